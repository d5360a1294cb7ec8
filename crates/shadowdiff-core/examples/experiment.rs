//! A Rust service that cannot be put behind `shadowdiff shadow` shadows inside itself: the old
//! pricing code answers every call, the new code runs beside it through an [`Experiment`], and
//! each comparison is appended to an outcomes file that `shadowdiff diff` judges into the usual
//! report folder, gate and snapshot.
//!
//! ```text
//! cargo run -p shadowdiff-core --example experiment -- quotes.jsonl
//! shadowdiff diff quotes.jsonl --rules quotes.toml --out quotes-report/
//! ```
//!
//! `diff` judges under the rules it is given, so the example writes the rules it compared
//! under beside the outcomes (a service keeps them in its repository's `comparators/`).

/// The service's comparator rules: `computed_at` is a timestamp of the computation, not of the
/// quote.
const RULES: &str = "[[route]]\nmatch = \"GET /quotes/{order}\"\nignore = [\"$.computed_at\"]\n";

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::Path;
use std::sync::Mutex;

use serde::Serialize;
use shadowdiff_core::{Body, Experiment, Request, RuleSet, Shadow, ShadowCall};

/// What the pricing code returns.
#[derive(Serialize)]
struct Quote {
    order: u32,
    total_cents: u64,
    computed_at: String,
}

/// The old pricing code.
fn old_quote(order: u32) -> Result<Quote, String> {
    Ok(Quote {
        order,
        total_cents: u64::from(order) * 125,
        computed_at: format!("2026-12-01T10:00:{:02}Z", order % 60),
    })
}

/// The new pricing code: rounds differently for every 13th order, and its tax lookup fails for
/// every 50th.
fn new_quote(order: u32) -> Result<Quote, String> {
    if order % 50 == 0 {
        return Err(format!("tax table has no entry for order {order}"));
    }
    let rounding = u64::from(order % 13 == 0);
    Ok(Quote {
        order,
        total_cents: u64::from(order) * 125 + rounding,
        computed_at: format!("2026-12-01T10:00:{:02}.5Z", order % 60),
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "quotes.jsonl".to_string());
    let rules_file = Path::new(&out).with_file_name("quotes.toml");
    std::fs::write(&rules_file, RULES)?;
    let rules = RuleSet::parse(RULES, &rules_file)?;
    let file = Mutex::new(BufWriter::new(File::create(&out)?));
    let sink = |call: &ShadowCall<'_>| {
        let mut file = file.lock().unwrap_or_else(|e| e.into_inner());
        // A sink must not fail the service: a line that cannot be written is dropped.
        let _ = writeln!(file, "{}", call.to_outcome_line());
    };
    let experiment = Experiment::new("quotes", Shadow::new(rules), sink);
    let mut served = 0u64;
    for order in 1..=200 {
        let request = Request {
            method: "GET".into(),
            url: format!("/quotes/{order}"),
            headers: Vec::new(),
            body: Body::Empty,
        };
        let quote = experiment.run(&request, || old_quote(order), || new_quote(order))?;
        served += quote.total_cents;
    }
    drop(experiment);
    file.into_inner()?.flush()?;
    println!("served 200 quotes ({served} cents in all); comparisons in {out}");
    println!(
        "judge them: shadowdiff diff {out} --rules {} --out quotes-report/",
        rules_file.display()
    );
    Ok(())
}
