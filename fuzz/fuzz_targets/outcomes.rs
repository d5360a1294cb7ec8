//! Fuzzes the reader of a run's outcomes file (`outcomes.jsonl.zst`, plain or zstd) as
//! `shadowdiff diff OUTCOMES` reads it: every line judged again under the shipped example's rules,
//! the report concluded and rendered in each format.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use shadowdiff::recordings::Limits;
use shadowdiff::report::render::{html, json, junit, markdown, terminal};
use shadowdiff::report::{Aggregate, Finish, GatePolicy, TargetNames};
use shadowdiff::rules::RuleSet;

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
    if let Err(err) = shadowdiff::diff::rejudge(&path, rules, &Limits::default(), &mut aggregate) {
        return shadowdiff_fuzz::assert_names(&err, &path);
    }
    let report = aggregate.finish(&Finish {
        policy: &GatePolicy::default(),
        snapshot: None,
        find_stale: true,
        targets: TargetNames::default(),
        describe: &|rule| rules.describe(rule).to_string(),
    });
    for text in [
        json::render(&report),
        markdown::render(&report),
        html::render(&report),
        junit::render(&report),
        terminal::render(&report, false),
    ] {
        assert!(!text.is_empty());
    }
});
