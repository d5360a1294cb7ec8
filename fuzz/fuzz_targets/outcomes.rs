//! Fuzzes the reader of a run's outcomes file (`outcomes.jsonl.zst`, plain or zstd) as
//! `shadowdiff diff OUTCOMES` reads it: every line judged again under the shipped example's rules,
//! the report concluded and rendered in each format.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use shadowdiff_core::RuleSet;
use shadowdiff_io::Limits;
use shadowdiff_report::{Aggregate, Finish, Format, GatePolicy, TargetNames};

/// The shipped example's rules.
fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| {
        RuleSet::parse(
            include_str!("../../comparators/orders.toml"),
            Path::new("comparators/orders.toml"),
        )
        .expect("the example's rules")
    })
}

fuzz_target!(|data: &[u8]| {
    let path = shadowdiff_fuzz::write_input("outcomes.jsonl.zst", data);
    let rules = rules();
    let mut aggregate = Aggregate::new();
    let mut add = |judged, request: Option<_>| aggregate.add(&judged, request.as_ref());
    if let Err(err) = shadowdiff_replay::rejudge(&path, rules, &Limits::default(), &mut add) {
        return shadowdiff_fuzz::assert_names(&err, &path);
    }
    let report = aggregate.finish(&Finish {
        policy: &GatePolicy::default(),
        snapshot: None,
        find_stale: true,
        targets: TargetNames::default(),
        describe: &|rule| rules.describe(rule).to_string(),
    });
    for info in &Format::ALL {
        assert!(!info.format.render(&report, false).is_empty());
    }
});
