//! Route templates (`GET /orders/{id}`) and route inference for requests no template matches.
//!
//! A template is an optional method and a path of literal and `{param}` segments. Its
//! [`Display`](fmt::Display) form is the route name that reports show: `GET /orders/{id}` when
//! the template names a method, `/orders/{id}` when it matches any method (written either as
//! `/orders/{id}` or as `* /orders/{id}`). A trailing slash is dropped, so `/orders/` is shown
//! as `/orders`.
//!
//! A table of `shadowdiff data` is a route too, written `table NAME`: it matches that table's
//! rows and never a request.

use std::fmt;

/// One path segment of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    /// Must equal the request's segment exactly.
    Literal(String),
    /// `{name}`: matches any non-empty segment.
    Param(String),
}

/// A parsed route template: an optional method and path segments, literal or `{param}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteTemplate {
    /// The table, for a `table NAME` template; such a template has no method and no parts.
    table: Option<String>,
    /// Upper case; `None` matches any method.
    method: Option<String>,
    parts: Vec<Part>,
    /// The normalised text, as reports show it.
    text: String,
}

impl RouteTemplate {
    /// Parses `METHOD /path/{param}`, `/path/{param}` (any method) or `table NAME`.
    pub fn parse(text: &str) -> Result<RouteTemplate, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        if let ["table", name] = words.as_slice() {
            if !name.starts_with('/') {
                return Ok(RouteTemplate::table(name));
            }
        }
        let (method, path) = match words.as_slice() {
            [] => {
                return Err(
                    "route template is empty; expected `METHOD /path` or `/path`".to_string(),
                )
            }
            [path] => (None, *path),
            [method, path] => (parse_method(method)?, *path),
            _ => {
                return Err(format!(
                    "route template `{}` has more than two words; expected `METHOD /path` or \
                     `/path`",
                    text.trim()
                ))
            }
        };
        let parts = parse_path(path)?;
        let mut text = String::new();
        if let Some(method) = &method {
            text.push_str(method);
            text.push(' ');
        }
        text.push_str(&render(&parts));
        Ok(RouteTemplate {
            table: None,
            method,
            parts,
            text,
        })
    }

    /// The template of a table's rows, `table NAME`.
    pub fn table(name: &str) -> RouteTemplate {
        RouteTemplate {
            table: Some(name.to_string()),
            method: None,
            parts: Vec::new(),
            text: format!("table {name}"),
        }
    }

    /// Whether the rows of table `name` belong to the template.
    pub fn matches_table(&self, name: &str) -> bool {
        self.table.as_deref() == Some(name)
    }

    /// Whether a request with this method and path (no query) belongs to the template.
    ///
    /// The method compares case-insensitively; a trailing slash on the path is tolerated; the
    /// number of segments must be the same. A table's template matches no request.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        if self.table.is_some() {
            return false;
        }
        if let Some(own) = &self.method {
            if !own.eq_ignore_ascii_case(method.trim()) {
                return false;
            }
        }
        let segments = request_segments(path);
        segments.len() == self.parts.len()
            && self
                .parts
                .iter()
                .zip(&segments)
                .all(|(part, segment)| match part {
                    Part::Literal(literal) => literal == segment,
                    Part::Param(_) => !segment.is_empty(),
                })
    }

    /// Orders templates that match the same request: literal segments beat parameters,
    /// a named method beats any method.
    ///
    /// The key has one byte per path segment (1 literal, 0 parameter) compared position by
    /// position, then one byte for the method (1 named, 0 any): a larger key is more specific.
    /// Templates that match the same request have the same number of segments, so their keys
    /// have the same length.
    pub fn specificity(&self) -> Vec<u8> {
        self.parts
            .iter()
            .map(|part| u8::from(matches!(part, Part::Literal(_))))
            .chain(std::iter::once(u8::from(self.method.is_some())))
            .collect()
    }

    /// Whether two templates match exactly the same requests (parameter names aside), so that
    /// the second could never be chosen.
    pub(super) fn same_shape(&self, other: &RouteTemplate) -> bool {
        self.table == other.table
            && self.method == other.method
            && self.parts.len() == other.parts.len()
            && self
                .parts
                .iter()
                .zip(&other.parts)
                .all(|(a, b)| match (a, b) {
                    (Part::Literal(a), Part::Literal(b)) => a == b,
                    (Part::Param(_), Part::Param(_)) => true,
                    _ => false,
                })
    }
}

impl fmt::Display for RouteTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// An HTTP method token (RFC 9110), upper-cased; `*` means any method.
fn parse_method(word: &str) -> Result<Option<String>, String> {
    if word == "*" {
        return Ok(None);
    }
    if word.starts_with('/') {
        return Err(format!(
            "route template has a path `{word}` where the method belongs; expected `METHOD /path`"
        ));
    }
    if let Some(bad) = word.chars().find(|c| !is_tchar(*c)) {
        return Err(format!(
            "method `{word}` contains `{bad}`; expected a method such as GET or POST"
        ));
    }
    Ok(Some(word.to_ascii_uppercase()))
}

/// RFC 9110 token characters.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// The segments of a template path.
fn parse_path(path: &str) -> Result<Vec<Part>, String> {
    let Some(rest) = path.strip_prefix('/') else {
        return Err(format!(
            "route path `{path}` must start with `/`, as in `GET /orders/{{id}}`"
        ));
    };
    if path.contains(['?', '#']) {
        return Err(format!(
            "route path `{path}` has a query or fragment; a route is the path alone"
        ));
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    let mut parts = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for segment in rest.split('/') {
        if segment.is_empty() {
            return Err(format!("route path `{path}` has an empty segment (`//`)"));
        }
        if !segment.contains(['{', '}']) {
            parts.push(Part::Literal(segment.to_string()));
            continue;
        }
        let name = segment
            .strip_prefix('{')
            .and_then(|inner| inner.strip_suffix('}'))
            .filter(|inner| !inner.contains(['{', '}']));
        let Some(name) = name else {
            let opens = segment.matches('{').count();
            let closes = segment.matches('}').count();
            return Err(if opens != closes {
                format!("route path `{path}` has unbalanced braces in segment `{segment}`")
            } else {
                format!(
                    "route path `{path}`: a parameter must be a whole segment, as in `/{{id}}`, \
                     not `{segment}`"
                )
            });
        };
        if name.is_empty() {
            return Err(format!(
                "route path `{path}` has an unnamed parameter `{{}}`; expected `{{name}}`"
            ));
        }
        if let Some(bad) = name
            .chars()
            .find(|c| !(c.is_alphanumeric() || *c == '_' || *c == '-'))
        {
            return Err(format!(
                "route parameter `{{{name}}}` contains `{bad}`; use letters, digits, `_` or `-`"
            ));
        }
        if names.contains(&name) {
            return Err(format!(
                "route path `{path}` names parameter `{{{name}}}` twice"
            ));
        }
        names.push(name);
        parts.push(Part::Param(name.to_string()));
    }
    Ok(parts)
}

/// The normalised path of a template.
fn render(parts: &[Part]) -> String {
    if parts.is_empty() {
        return "/".to_string();
    }
    let mut out = String::new();
    for part in parts {
        out.push('/');
        match part {
            Part::Literal(literal) => out.push_str(literal),
            Part::Param(name) => {
                out.push('{');
                out.push_str(name);
                out.push('}');
            }
        }
    }
    out
}

/// The segments of a request path: query and fragment dropped, one trailing slash tolerated.
fn request_segments(path: &str) -> Vec<&str> {
    let path = path.split(['?', '#']).next().unwrap_or("");
    let path = path.strip_prefix('/').unwrap_or(path);
    let path = path.strip_suffix('/').unwrap_or(path);
    if path.is_empty() {
        Vec::new()
    } else {
        path.split('/').collect()
    }
}

/// The route of a request no template matches: numeric, UUID, hex and long opaque path
/// segments become `{id}`.
///
/// The method is upper-cased; the query is dropped and so is a trailing slash. A segment becomes
/// `{id}` when it is all digits; a UUID (`8-4-4-4-12` hex digits); at least 8 hex digits with
/// at least one decimal digit among them; or at least 16 characters of the base64url alphabet
/// (letters, digits, `-`, `_`, trailing `=`) mixing letters and digits. Words and short mixes
/// such as `v2` stay as they are.
pub fn infer_route(method: &str, path: &str) -> String {
    let mut route = String::new();
    let method = method.trim();
    if !method.is_empty() {
        route.push_str(&method.to_ascii_uppercase());
        route.push(' ');
    }
    let segments = request_segments(path);
    if segments.is_empty() {
        route.push('/');
    }
    for segment in segments {
        route.push('/');
        route.push_str(if is_id_like(segment) { "{id}" } else { segment });
    }
    route
}

/// Whether a path segment looks like an identifier rather than a word.
fn is_id_like(segment: &str) -> bool {
    is_numeric(segment) || is_uuid(segment) || is_hex_id(segment) || is_opaque_token(segment)
}

fn is_numeric(segment: &str) -> bool {
    !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit())
}

fn is_uuid(segment: &str) -> bool {
    let groups: Vec<&str> = segment.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn is_hex_id(segment: &str) -> bool {
    segment.len() >= 8
        && segment.bytes().all(|b| b.is_ascii_hexdigit())
        && segment.bytes().any(|b| b.is_ascii_digit())
}

fn is_opaque_token(segment: &str) -> bool {
    let body = segment.trim_end_matches('=');
    body.len() >= 16
        && segment.len() - body.len() <= 2
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && body.bytes().any(|b| b.is_ascii_digit())
        && body.bytes().any(|b| b.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(text: &str) -> RouteTemplate {
        match RouteTemplate::parse(text) {
            Ok(template) => template,
            Err(message) => panic!("{text:?} should parse: {message}"),
        }
    }

    #[test]
    fn parse_and_display() {
        let cases = [
            ("GET /orders/{id}", "GET /orders/{id}"),
            ("get /orders/{id}", "GET /orders/{id}"),
            ("  POST   /orders  ", "POST /orders"),
            ("/orders/{id}", "/orders/{id}"),
            ("* /orders/{id}", "/orders/{id}"),
            ("GET /orders/", "GET /orders"),
            ("GET /", "GET /"),
            ("/", "/"),
            ("DELETE /a/{x}/b/{y-z}", "DELETE /a/{x}/b/{y-z}"),
        ];
        for (text, shown) in cases {
            assert_eq!(template(text).to_string(), shown, "{text}");
        }
    }

    #[test]
    fn a_table_template_matches_its_rows_and_no_request() {
        let table = template("table  reservations");
        assert_eq!(table.to_string(), "table reservations");
        assert!(table.matches_table("reservations") && !table.matches_table("orders"));
        assert!(!table.matches("TABLE", "/reservations") && !table.matches("GET", "/"));
        assert!(!template("GET /table").matches_table("table"));
        assert!(table.same_shape(&template("table reservations")));
        assert!(!table.same_shape(&template("table orders")));
        assert_eq!(
            template("table /x").to_string(),
            "TABLE /x",
            "a path is a method's"
        );
    }

    #[test]
    fn parse_errors() {
        let cases = [
            ("", "route template is empty"),
            ("   ", "route template is empty"),
            (
                "GET orders/{id}",
                "route path `orders/{id}` must start with `/`",
            ),
            ("orders", "route path `orders` must start with `/`"),
            ("GET /orders/{id", "unbalanced braces in segment `{id`"),
            ("GET /orders/id}", "unbalanced braces in segment `id}`"),
            (
                "GET /orders/{id}.json",
                "a parameter must be a whole segment",
            ),
            ("GET /orders/x{id}", "a parameter must be a whole segment"),
            ("GET /orders/{}", "unnamed parameter"),
            ("GET /a/{id}/b/{id}", "names parameter `{id}` twice"),
            ("GET /a/{i d}", "has more than two words"),
            ("GET /a/{i.d}", "route parameter `{i.d}` contains `.`"),
            ("GET /a//b", "has an empty segment"),
            ("GET /a?x=1", "has a query or fragment"),
            ("G(T /a", "method `G(T` contains `(`"),
            ("/a /b", "has a path `/a` where the method belongs"),
            ("GET /a b", "has more than two words"),
        ];
        for (text, expected) in cases {
            match RouteTemplate::parse(text) {
                Ok(t) => panic!("{text:?} should not parse, got {t}"),
                Err(message) => {
                    assert!(message.contains(expected), "{text:?}: {message:?}")
                }
            }
        }
    }

    #[test]
    fn matching() {
        let cases = [
            ("GET /orders/{id}", "GET", "/orders/12", true),
            ("GET /orders/{id}", "get", "/orders/12", true),
            ("GET /orders/{id}", "GET", "/orders/12/", true),
            ("GET /orders/{id}", "GET", "/orders/12?x=1", true),
            ("GET /orders/{id}", "POST", "/orders/12", false),
            ("GET /orders/{id}", "GET", "/orders", false),
            ("GET /orders/{id}", "GET", "/orders/", false),
            ("GET /orders/{id}", "GET", "/orders//", false),
            ("GET /orders/{id}", "GET", "/orders/12/items", false),
            ("GET /orders/{id}", "GET", "/Orders/12", false),
            ("/orders/{id}", "DELETE", "/orders/12", true),
            ("GET /", "GET", "/", true),
            ("GET /", "GET", "", true),
            ("GET /", "GET", "/x", false),
            ("GET /orders/summary", "GET", "/orders/summary", true),
            ("GET /orders/summary", "GET", "/orders/other", false),
        ];
        for (text, method, path, expected) in cases {
            assert_eq!(
                template(text).matches(method, path),
                expected,
                "{text} vs {method} {path}"
            );
        }
    }

    #[test]
    fn specificity_orders_literals_then_method() {
        let literal = template("GET /orders/summary").specificity();
        let param = template("GET /orders/{id}").specificity();
        let any_literal = template("/orders/summary").specificity();
        let any_param = template("/orders/{id}").specificity();
        assert!(literal > param);
        assert!(literal > any_literal);
        assert!(
            any_literal > param,
            "a literal segment outweighs the method"
        );
        assert!(param > any_param);
        let early = template("GET /a/b/{c}").specificity();
        let late = template("GET /a/{b}/c").specificity();
        assert!(early > late, "position by position");
    }

    #[test]
    fn same_shape_ignores_parameter_names() {
        assert!(template("GET /a/{x}").same_shape(&template("get /a/{y}/")));
        assert!(!template("GET /a/{x}").same_shape(&template("/a/{x}")));
        assert!(!template("GET /a/{x}").same_shape(&template("GET /a/x")));
    }

    #[test]
    fn inference() {
        let cases = [
            ("GET", "/orders/123", "GET /orders/{id}"),
            ("get", "/orders/123?expand=items", "GET /orders/{id}"),
            ("GET", "/orders/123/", "GET /orders/{id}"),
            ("GET", "/v2/orders", "GET /v2/orders"),
            ("GET", "/api2/html5/x1y2", "GET /api2/html5/x1y2"),
            (
                "GET",
                "/users/550e8400-e29b-41d4-a716-446655440000/cart",
                "GET /users/{id}/cart",
            ),
            (
                "GET",
                "/users/550E8400-E29B-41D4-A716-446655440000",
                "GET /users/{id}",
            ),
            ("GET", "/commits/9fceb02d", "GET /commits/{id}"),
            (
                "GET",
                "/commits/9fceb02d0ae598e95dc970b74767f19372d61af8",
                "GET /commits/{id}",
            ),
            ("GET", "/food/cafebabe", "GET /food/cafebabe"),
            ("GET", "/x/deadbeefcafe", "GET /x/deadbeefcafe"),
            ("GET", "/x/abc123", "GET /x/abc123"),
            ("GET", "/s/aZ3kP9xQ2mN7vB1c", "GET /s/{id}"),
            ("GET", "/s/aZ3kP9xQ2mN7vB1c-_x==", "GET /s/{id}"),
            (
                "GET",
                "/s/order-confirmation-details",
                "GET /s/order-confirmation-details",
            ),
            (
                "GET",
                "/s/very_long_word_with_underscores",
                "GET /s/very_long_word_with_underscores",
            ),
            ("GET", "/reports/2024-01-15", "GET /reports/2024-01-15"),
            ("GET", "/", "GET /"),
            ("GET", "", "GET /"),
            ("POST", "/a/0/b/7", "POST /a/{id}/b/{id}"),
            ("GET", "/a//b", "GET /a//b"),
        ];
        for (method, path, expected) in cases {
            assert_eq!(infer_route(method, path), expected, "{method} {path}");
        }
    }

    #[test]
    fn inferred_routes_parse_as_templates() {
        for path in ["/orders/123", "/v2/orders/9fceb02d/items", "/"] {
            let route = infer_route("GET", path);
            assert_eq!(template(&route).to_string(), route);
            assert!(template(&route).matches("GET", path));
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in "[A-Za-z /{}*?0-9-]{0,24}", path in "[/a-z0-9{}?-]{0,24}") {
            if let Ok(template) = RouteTemplate::parse(&text) {
                let _ = template.matches("GET", &path);
                let _ = template.specificity();
            }
            let _ = infer_route("get", &path);
        }
    }
}
