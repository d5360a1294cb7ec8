//! Which forwarded requests are recorded: method and route filters, then a deterministic sample.

use shadowdiff_core::{infer_route, Filters};

/// The recording filters of `shadowdiff record`.
#[derive(Clone, Debug)]
pub struct Selection {
    /// Methods and route globs recorded (`--method`, `--include-route`, `--exclude-route`),
    /// checked as a run checks them; its tags and allowed methods are not used.
    pub filters: Filters,
    /// The share of the remaining requests recorded, 0 to 1.
    pub sample: f64,
}

impl Default for Selection {
    fn default() -> Selection {
        Selection {
            filters: Filters::default(),
            sample: 1.0,
        }
    }
}

impl Selection {
    /// Whether request number `seq` (`method`, `path` without query) is recorded. The sample
    /// hashes `seq`, so the same traffic gives the same choice.
    pub fn records(&self, seq: u64, method: &str, path: &str) -> bool {
        if self
            .filters
            .route_or_method_skip(method, || infer_route(method, path))
            .is_some()
        {
            return false;
        }
        sampled(seq, self.sample)
    }
}

/// Whether request number `seq` falls in a sample of `rate` (0 to 1): `seq` is hashed, so the
/// same traffic gives the same choice.
pub fn sampled(seq: u64, rate: f64) -> bool {
    if rate >= 1.0 {
        return true;
    }
    if rate <= 0.0 {
        return false;
    }
    let hash = xxhash_rust::xxh3::xxh3_64(&seq.to_le_bytes());
    (hash as f64 / u64::MAX as f64) < rate
}

#[cfg(test)]
mod tests {
    use super::*;
    use shadowdiff_core::RouteGlob;

    #[test]
    fn filters_and_sample() {
        let all = Selection::default();
        assert!(all.records(1, "GET", "/orders/1"));
        let none = Selection {
            sample: 0.0,
            ..Selection::default()
        };
        assert!(!none.records(1, "GET", "/orders/1"));
        let gets = Selection {
            filters: Filters {
                methods: vec!["get".into()],
                exclude_routes: vec![RouteGlob::new("* /health").unwrap()],
                ..Filters::default()
            },
            ..Selection::default()
        };
        assert!(gets.records(1, "GET", "/orders/1"));
        assert!(!gets.records(1, "POST", "/orders/1"));
        assert!(!gets.records(1, "GET", "/health"));
        let orders = Selection {
            filters: Filters {
                include_routes: vec![RouteGlob::new("GET /orders*").unwrap()],
                ..Filters::default()
            },
            ..Selection::default()
        };
        assert!(orders.records(1, "GET", "/orders/7"));
        assert!(!orders.records(1, "GET", "/users/7"));
        let tenth = Selection {
            sample: 0.1,
            ..Selection::default()
        };
        let kept = (0..10_000)
            .filter(|&i| tenth.records(i, "GET", "/"))
            .count();
        assert!((800..1200).contains(&kept), "{kept}");
        let again = (0..10_000)
            .filter(|&i| tenth.records(i, "GET", "/"))
            .count();
        assert_eq!(kept, again);
    }
}
