//! Which forwarded requests are recorded: method and route filters, then a deterministic sample.

use shadowdiff_core::infer_route;
use shadowdiff_core::RouteGlob;

/// The recording filters of `shadowdiff record`.
#[derive(Clone, Debug)]
pub struct Selection {
    /// Methods recorded; empty means all.
    pub methods: Vec<String>,
    /// Route globs recorded; empty means all.
    pub include_routes: Vec<RouteGlob>,
    /// Route globs never recorded.
    pub exclude_routes: Vec<RouteGlob>,
    /// The share of the remaining requests recorded, 0 to 1.
    pub sample: f64,
}

impl Default for Selection {
    fn default() -> Selection {
        Selection {
            methods: Vec::new(),
            include_routes: Vec::new(),
            exclude_routes: Vec::new(),
            sample: 1.0,
        }
    }
}

impl Selection {
    /// Whether request number `seq` (`method`, `path` without query) is recorded. The sample
    /// hashes `seq`, so the same traffic gives the same choice.
    pub fn records(&self, seq: u64, method: &str, path: &str) -> bool {
        if !self.methods.is_empty() && !self.methods.iter().any(|m| m.eq_ignore_ascii_case(method))
        {
            return false;
        }
        if !self.include_routes.is_empty() || !self.exclude_routes.is_empty() {
            let route = infer_route(method, path);
            if !self.include_routes.is_empty()
                && !self.include_routes.iter().any(|g| g.matches(&route))
            {
                return false;
            }
            if self.exclude_routes.iter().any(|g| g.matches(&route)) {
                return false;
            }
        }
        if self.sample >= 1.0 {
            return true;
        }
        if self.sample <= 0.0 {
            return false;
        }
        let hash = xxhash_rust::xxh3::xxh3_64(&seq.to_le_bytes());
        (hash as f64 / u64::MAX as f64) < self.sample
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            methods: vec!["get".into()],
            exclude_routes: vec![RouteGlob::new("* /health").unwrap()],
            ..Selection::default()
        };
        assert!(gets.records(1, "GET", "/orders/1"));
        assert!(!gets.records(1, "POST", "/orders/1"));
        assert!(!gets.records(1, "GET", "/health"));
        let orders = Selection {
            include_routes: vec![RouteGlob::new("GET /orders*").unwrap()],
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
