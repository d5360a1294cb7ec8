//! Route templates (`GET /orders/{id}`) and route inference for requests no template matches.

use std::fmt;

/// A parsed route template: an optional method and path segments, literal or `{param}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteTemplate {
    text: String,
}

impl RouteTemplate {
    /// Parses `METHOD /path/{param}` or `/path/{param}` (any method).
    pub fn parse(text: &str) -> Result<RouteTemplate, String> {
        todo!("{text}")
    }

    /// Whether a request with this method and path (no query) belongs to the template.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        todo!("{method} {path}")
    }

    /// Orders templates that match the same request: literal segments beat parameters,
    /// a named method beats any method.
    pub fn specificity(&self) -> Vec<u8> {
        todo!()
    }
}

impl fmt::Display for RouteTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The route of a request no template matches: numeric, UUID, hex and long opaque path
/// segments become `{id}`.
pub fn infer_route(method: &str, path: &str) -> String {
    todo!("{method} {path}")
}
