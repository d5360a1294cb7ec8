//! Benchmarks of the comparison engine and of `diff` against a plain baseline.
//!
//! Run with `cargo bench --bench compare`. The corpus is generated (see `support/corpus.rs`).
//! - `engine/*`: compare throughput in bytes of old+new body per second for 2 KB documents,
//!   equal and slightly different.
//! - `arrays/*`: a 100 000-item keyed array and the same as a multiset, shuffled, a few changes.
//! - `diff_20k/*`: `diff` over 20 000 pairs of ~1.3 KB JSON bodies (10 % different) next to a
//!   baseline that reads both files line by line, parses each line and its body with serde_json
//!   and compares the bodies with `==`. The ratio of the two is the figure that matters.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/diff_corpus.rs"]
mod diff_corpus;

use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use serde_json::{json, Value};
use shadowdiff_core::{compare, compare_json, Body, Response, RuleSet};
use shadowdiff_io::Limits;
use shadowdiff_report::{Aggregate, Finish, GatePolicy};

fn response(body: &Value) -> Response {
    Response {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: Body::Text(body.to_string()),
    }
}

fn rules(toml: &str) -> RuleSet {
    RuleSet::parse(toml, Path::new("bench.toml")).expect("bench rules parse")
}

fn engine(c: &mut Criterion) {
    let mut rng = corpus::Rng::new(1);
    let doc = corpus::order(&mut rng, 1, 10);
    let changed = corpus::slightly_changed(&doc);
    let rules =
        rules("[[route]]\nmatch = \"GET /orders/{id}\"\nkeyed = { \"$.items\" = \"sku\" }\n");
    let plain = RuleSet::builtin();
    let mut group = c.benchmark_group("engine");
    for (name, old, new) in [("equal_2kb", &doc, &doc), ("different_2kb", &doc, &changed)] {
        let (old, new) = (response(old), response(new));
        group.throughput(Throughput::Bytes((old.body.len() + new.body.len()) as u64));
        let ordered = plain.route("GET", "/orders/1").rules;
        group.bench_with_input(BenchmarkId::new("ordered", name), &(), |b, _| {
            b.iter(|| compare(&old, &new, ordered))
        });
        let keyed = rules.route("GET", "/orders/1").rules;
        group.bench_with_input(BenchmarkId::new("keyed", name), &(), |b, _| {
            b.iter(|| compare(&old, &new, keyed))
        });
    }
    group.finish();
}

/// An array of `n` keyed items and a shuffled copy with `changes` prices changed.
pub fn keyed_arrays(n: usize, changes: usize) -> (Value, Value) {
    let mut rng = corpus::Rng::new(7);
    let old: Vec<Value> = (0..n)
        .map(|i| json!({"sku": format!("S{i:07}"), "qty": i % 7, "price": i as f64 / 4.0}))
        .collect();
    let mut new = old.clone();
    for i in (1..n).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        new.swap(i, j);
    }
    for k in 0..changes {
        let i = (k * 7919) % n;
        new[i]["price"] = json!(-1.0);
    }
    (json!({ "items": old }), json!({ "items": new }))
}

fn arrays(c: &mut Criterion) {
    let (old_doc, new_doc) = keyed_arrays(100_000, 10);
    let (old, new) = (response(&old_doc), response(&new_doc));
    let keyed = rules("[[route]]\nmatch = \"GET /x\"\nkeyed = { \"$.items\" = \"sku\" }\n");
    let unordered = rules("[[route]]\nmatch = \"GET /x\"\nunordered = [\"$.items\"]\n");
    let mut group = c.benchmark_group("arrays");
    group.sample_size(10);
    group.throughput(Throughput::Bytes((old.body.len() + new.body.len()) as u64));
    for (name, set, expected) in [
        ("keyed_100k", &keyed, 10),
        ("multiset_100k", &unordered, 20),
    ] {
        let route_rules = set.route("GET", "/x").rules;
        let result = compare(&old, &new, route_rules);
        assert_eq!(result.differences.len(), expected, "{name}");
        // The engine alone, on parsed documents: the figure the 100 ms aim is about.
        group.bench_function(BenchmarkId::new("parsed", name), |b| {
            b.iter(|| compare_json(&old_doc, &new_doc, &route_rules.body))
        });
        // The same from response bodies, JSON parsing of both ~5 MB bodies included.
        group.bench_function(BenchmarkId::new("from_bodies", name), |b| {
            b.iter(|| compare(&old, &new, route_rules))
        });
    }
    group.finish();
}

fn diff_20k(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let pairs = 20_000;
    let (a, b) = diff_corpus::write(dir.path(), pairs);
    let bytes = std::fs::metadata(&a).expect("a").len() + std::fs::metadata(&b).expect("b").len();
    let rules = RuleSet::builtin();
    let limits = Limits::default();
    let mut group = c.benchmark_group("diff_20k");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    assert_eq!(diff_corpus::floor(&a, &b), pairs / 10);
    group.bench_function("baseline_serde_eq", |bench| {
        bench.iter(|| diff_corpus::floor(&a, &b))
    });
    group.bench_function("shadowdiff_diff", |bench| {
        bench.iter(|| {
            let mut aggregate = Aggregate::new();
            shadowdiff_replay::diff(&a, &b, &rules, &limits, &mut |judged, request| {
                aggregate.add(&judged, Some(&request))
            })
            .expect("diff");
            let report = aggregate.finish(&Finish {
                policy: &GatePolicy::default(),
                snapshot: None,
                find_stale: false,
                targets: Default::default(),
                describe: &|_| String::new(),
            });
            assert_eq!(report.totals.different as usize, pairs / 10);
            report
        })
    });
    group.finish();
}

criterion_group!(benches, engine, arrays, diff_20k);
criterion_main!(benches);
