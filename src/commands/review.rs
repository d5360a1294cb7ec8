//! `shadowdiff review`: walk the pending changes one at a time, with the example shown, and
//! accept, reject or skip each (insta's review, for differences between implementations).

use std::io::{BufRead, Write as _};

use crate::cli::ReviewArgs;
use crate::error::{exit, Error, Result};
use crate::settings::resolve;
use shadowdiff_report::percent;
use shadowdiff_report::{Change, Pending, Review, Snapshot};

/// Runs `review`, reading answers line by line from stdin.
pub fn run(args: ReviewArgs) -> Result<u8> {
    let path = resolve::snapshot_files(&args.files)?.snapshot.value;
    let mut review = Review::load(&path)?;
    if review.is_empty() {
        println!(
            "shadowdiff: nothing to review ({} does not exist)",
            review.pending_path().display()
        );
        return Ok(exit::PASS);
    }
    let mut snapshot = Snapshot::load(&path)?;
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let total = review.len();
    let mut number = 0;
    while let Some(change) = review.next() {
        number += 1;
        show(change, number, total);
        match ask(&mut input, "[a]ccept, [r]eject, [s]kip, [q]uit? ")?.as_deref() {
            Some("a" | "accept") => {
                let reason = ask(&mut input, "reason (empty: keep or fill in later): ")?
                    .filter(|r| !r.is_empty());
                review.accept(reason.as_deref());
            }
            Some("r" | "reject") => {
                review.reject();
            }
            Some("q" | "quit") | None => break,
            Some(_) => {
                review.skip();
            }
        }
    }
    let accepted = review.accepted().count();
    if accepted > 0 {
        review.apply(&mut snapshot);
        snapshot.save()?;
    }
    review.save_pending()?;
    println!(
        "shadowdiff: {accepted} accepted, {} rejected, {} still pending",
        review.rejected().len(),
        review.still_pending()
    );
    Ok(exit::PASS)
}

/// Prints one pending change.
fn show(change: &Pending, number: usize, total: usize) {
    let what = match change.change {
        Change::New => format!("new, in {} of the route's exchanges", percent(change.rate)),
        Change::Rate => format!(
            "in {} of the route's exchanges, above the accepted {}",
            percent(change.rate),
            percent(change.accepted_rate.unwrap_or(0.0))
        ),
        Change::Stale => {
            "accepted, but no exchange showed it in the last run (accept removes it)".to_string()
        }
    };
    println!(
        "\n[{number}/{total}] {}\n  {}\n  {what} ({} of {})",
        change.route, change.signature, change.count, change.exchanges
    );
    if let Some(example) = &change.example {
        println!("  e.g. {example}");
    }
}

/// Prompts and reads one trimmed, lower-cased answer; `None` at the end of input.
fn ask(input: &mut impl BufRead, prompt: &str) -> Result<Option<String>> {
    print!("{prompt}");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    let read = input
        .read_line(&mut line)
        .map_err(|err| Error::usage(format!("cannot read the answer from stdin: {err}")))?;
    Ok((read > 0).then(|| line.trim().to_string()))
}
