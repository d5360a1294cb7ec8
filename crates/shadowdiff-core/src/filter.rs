//! Which exchanges replay: route, method and tag filters, and the safety rule that only GET,
//! HEAD and OPTIONS replay unless allowed. Every exchange held back is skipped with its reason,
//! never dropped.

use std::fmt;

use crate::model::Exchange;

/// The methods that replay without being allowed: they are not supposed to change data.
pub const SAFE_METHODS: &[&str] = &["GET", "HEAD", "OPTIONS"];

/// The filters of one run.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    /// Route globs (`GET /orders/*`); when any is given, other routes are skipped.
    pub include_routes: Vec<RouteGlob>,
    /// Route globs whose exchanges are skipped.
    pub exclude_routes: Vec<RouteGlob>,
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
        if let Some(reason) = self.route_or_method_skip(&method, || route) {
            return Some(reason);
        }
        for (key, value) in &self.tags {
            if exchange.tags.get(key) != Some(value) {
                return Some(format!("tag {key}={value} not present"));
            }
        }
        self.method_refusal(&method, route_allows)
    }

    /// `None` when `method` (upper-case) may be sent to the targets: a safe method, or one
    /// allowed by `--allow-method` or the route's rules (`route_allows`); else why not.
    pub fn method_refusal(&self, method: &str, route_allows: &[String]) -> Option<String> {
        let allowed = SAFE_METHODS.contains(&method)
            || self
                .allow_methods
                .iter()
                .any(|m| m.eq_ignore_ascii_case(method))
            || route_allows.iter().any(|m| m.eq_ignore_ascii_case(method));
        if !allowed {
            return Some(format!(
                "{method} is not replayed unless allowed (--allow-method {method}, or allow = [\"{method}\"] in the route's rules)"
            ));
        }
        None
    }
}

impl Filters {
    /// `None` when a request of `method` passes the route and method filters
    /// (`--include-route`, `--exclude-route`, `--method`), else why not; tags and the safety
    /// rule are [`Filters::skip_reason`]'s. `route` is asked for only when a route filter is
    /// given, so a caller that infers it pays only then.
    pub fn route_or_method_skip<R: AsRef<str>>(
        &self,
        method: &str,
        route: impl FnOnce() -> R,
    ) -> Option<String> {
        if !self.include_routes.is_empty() || !self.exclude_routes.is_empty() {
            let route = route();
            let route = route.as_ref();
            if !self.include_routes.is_empty()
                && !self.include_routes.iter().any(|g| g.matches(route))
            {
                return Some("route not selected by --include-route".to_string());
            }
            if let Some(glob) = self.exclude_routes.iter().find(|g| g.matches(route)) {
                return Some(format!("route excluded by --exclude-route {glob}"));
            }
        }
        if !self.methods.is_empty() && !self.methods.iter().any(|m| m.eq_ignore_ascii_case(method))
        {
            return Some(format!("method {method} not selected by --method"));
        }
        None
    }
}

/// A compiled route glob (`GET /orders/*`): `*` stands for any run of characters, `?` for one,
/// `[abc]` and `[!abc]` for one of a set, `\\` escapes the next character; `{` and `}` are
/// themselves, as in route templates (`GET /orders/{id}`).
#[derive(Clone, Debug)]
pub struct RouteGlob {
    text: String,
    matcher: globset::GlobMatcher,
}

impl RouteGlob {
    /// Compiles `text`; the error says what is wrong with it.
    pub fn new(text: &str) -> Result<RouteGlob, String> {
        let glob = globset::GlobBuilder::new(&braces_literal(text))
            .literal_separator(false)
            .backslash_escape(true)
            .build()
            .map_err(|err| format!("`{text}` is not a valid route glob: {}", err.kind()))?;
        Ok(RouteGlob {
            text: text.to_string(),
            matcher: glob.compile_matcher(),
        })
    }

    /// Whether the route matches.
    pub fn matches(&self, route: &str) -> bool {
        self.matcher.is_match(route)
    }
}

impl PartialEq for RouteGlob {
    fn eq(&self, other: &RouteGlob) -> bool {
        self.text == other.text
    }
}

impl fmt::Display for RouteGlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// `text` with `{` and `}` outside character classes made literal, since globset reads them as
/// alternatives and route templates use them for parameters.
fn braces_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                out.extend(chars.next());
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A `]` right after `[` or `[!` belongs to the class.
                let mut rest = chars.clone();
                match rest.next() {
                    Some('!') if rest.next() == Some(']') => {
                        out.push_str("!]");
                        chars = rest;
                    }
                    Some(']') => {
                        out.push(']');
                        chars.next();
                    }
                    _ => {}
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '{' | '}' if !in_class => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    out
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

    fn glob(pattern: &str, route: &str) -> bool {
        RouteGlob::new(pattern).unwrap().matches(route)
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
        assert!(glob("GET /orders/{id}", "GET /orders/{id}"));
        assert!(!glob("GET /orders/{id}", "GET /orders/id"));
        assert!(glob("[GP]* /orders", "POST /orders"));
        assert!(glob("GET /[{]x}", "GET /{x}"));
        assert!(glob("GET /a\\*", "GET /a*") && !glob("GET /a\\*", "GET /ab"));
        assert!(glob("GET /v?/x", "GET /v2/x"));
    }

    #[test]
    fn invalid_globs_say_why() {
        for bad in ["[", "GET /orders/[a-", "x[!"] {
            let err = RouteGlob::new(bad).unwrap_err();
            assert!(
                err.starts_with(&format!("`{bad}` is not a valid route glob")),
                "{err}"
            );
        }
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
            include_routes: vec![RouteGlob::new("GET /orders*").unwrap()],
            exclude_routes: vec![RouteGlob::new("*/{id}").unwrap()],
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
