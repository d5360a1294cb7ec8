//! Which exchanges replay: route, method and tag filters, and the safety rule that only GET,
//! HEAD and OPTIONS replay unless allowed. Every exchange held back is skipped with its reason,
//! never dropped.

use crate::model::Exchange;

/// The methods that replay without being allowed: they are not supposed to change data.
pub const SAFE_METHODS: &[&str] = &["GET", "HEAD", "OPTIONS"];

/// The filters of one run.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    /// Route globs (`GET /orders/*`); when any is given, other routes are skipped.
    pub include_routes: Vec<String>,
    /// Route globs whose exchanges are skipped.
    pub exclude_routes: Vec<String>,
    /// Methods to replay; when any is given, other methods are skipped.
    pub methods: Vec<String>,
    /// `key=value` tags an exchange must all carry.
    pub tags: Vec<(String, String)>,
    /// Methods allowed to replay on every route, beyond the safe ones (`--allow-method`).
    pub allow_methods: Vec<String>,
}

impl Filters {
    /// `None` when the exchange replays, else why it is skipped. `route_allows` are the methods
    /// the route's rules allow.
    pub fn skip_reason(
        &self,
        exchange: &Exchange,
        route: &str,
        route_allows: &[String],
    ) -> Option<String> {
        let method = exchange.request.method.to_ascii_uppercase();
        if !self.include_routes.is_empty() && !self.include_routes.iter().any(|g| glob(g, route)) {
            return Some("route not selected by --include-route".to_string());
        }
        if let Some(glob_text) = self.exclude_routes.iter().find(|g| glob(g, route)) {
            return Some(format!("route excluded by --exclude-route {glob_text}"));
        }
        if !self.methods.is_empty() && !self.methods.iter().any(|m| m.eq_ignore_ascii_case(&method))
        {
            return Some(format!("method {method} not selected by --method"));
        }
        for (key, value) in &self.tags {
            if exchange.tags.get(key) != Some(value) {
                return Some(format!("tag {key}={value} not present"));
            }
        }
        let allowed = SAFE_METHODS.contains(&method.as_str())
            || self
                .allow_methods
                .iter()
                .any(|m| m.eq_ignore_ascii_case(&method))
            || route_allows.iter().any(|m| m.eq_ignore_ascii_case(&method));
        if !allowed {
            return Some(format!(
                "{method} is not replayed unless allowed (--allow-method {method}, or allow = [\"{method}\"] in the route's rules)"
            ));
        }
        None
    }
}

/// Whether `text` matches `pattern`, where `*` stands for any run of characters.
pub fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == text;
    };
    if parts.len() == 1 {
        return pattern == text;
    }
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(method: &str, tags: &[(&str, &str)]) -> Exchange {
        Exchange {
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Exchange::request_only("r1", method, "/orders/1")
        }
    }

    #[test]
    fn globs() {
        assert!(glob("GET /orders/*", "GET /orders/{id}"));
        assert!(glob("*", "anything"));
        assert!(glob("*/seats", "GET /flights/{code}/seats"));
        assert!(glob("GET /a*b*c", "GET /a-b-c"));
        assert!(!glob("GET /orders/*", "POST /orders/{id}"));
        assert!(!glob("GET /a*bc", "GET /abcx"));
        assert!(glob("GET /x", "GET /x"));
        assert!(!glob("ab*ba", "aba"));
    }

    #[test]
    fn only_safe_methods_replay_unless_allowed() {
        let filters = Filters::default();
        assert_eq!(
            filters.skip_reason(&exchange("GET", &[]), "GET /o", &[]),
            None
        );
        assert_eq!(
            filters.skip_reason(&exchange("head", &[]), "HEAD /o", &[]),
            None
        );
        let reason = filters
            .skip_reason(&exchange("POST", &[]), "POST /o", &[])
            .unwrap();
        assert!(
            reason.starts_with("POST is not replayed unless allowed"),
            "{reason}"
        );
        assert_eq!(
            filters.skip_reason(&exchange("POST", &[]), "POST /o", &["POST".into()]),
            None
        );
        let global = Filters {
            allow_methods: vec!["post".into()],
            ..Filters::default()
        };
        assert_eq!(
            global.skip_reason(&exchange("POST", &[]), "POST /o", &[]),
            None
        );
        assert!(global
            .skip_reason(&exchange("DELETE", &[]), "DELETE /o", &[])
            .is_some());
    }

    #[test]
    fn route_method_and_tag_filters() {
        let filters = Filters {
            include_routes: vec!["GET /orders*".into()],
            exclude_routes: vec!["*/{id}".into()],
            methods: vec![],
            tags: vec![("source".into(), "prod-eu".into())],
            allow_methods: vec![],
        };
        let eu = exchange("GET", &[("source", "prod-eu")]);
        assert_eq!(filters.skip_reason(&eu, "GET /orders", &[]), None);
        assert!(filters.skip_reason(&eu, "GET /customers", &[]).is_some());
        assert!(filters
            .skip_reason(&eu, "GET /orders/{id}", &[])
            .unwrap()
            .contains("--exclude-route"));
        let us = exchange("GET", &[("source", "prod-us")]);
        assert!(filters
            .skip_reason(&us, "GET /orders", &[])
            .unwrap()
            .contains("source=prod-eu"));
        let head_only = Filters {
            methods: vec!["HEAD".into()],
            ..Filters::default()
        };
        assert!(head_only
            .skip_reason(&eu, "GET /orders", &[])
            .unwrap()
            .contains("--method"));
    }
}
