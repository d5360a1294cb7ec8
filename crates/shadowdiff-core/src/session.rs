//! Sessions of a stateful replay: which exchanges belong together and must be sent one after
//! another, in recorded order (`--session SPEC`). A session is named by a value of the request:
//! a header, a cookie, a query parameter, a parameter of the route template, or a place in the
//! JSON body. Exchanges without that value belong to no session and replay as any other.

use std::fmt;
use std::str::FromStr;

use crate::model::{header, Request};
use crate::value_path::ValuePath;

/// Where a request's session value is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionKey {
    /// `header:NAME`: the first value of that header.
    Header(String),
    /// `cookie:NAME`: that cookie of the `cookie` header.
    Cookie(String),
    /// `query:NAME`: that parameter of the query string, as written.
    Query(String),
    /// `path:{param}`: the path segment where the route template has `{param}`.
    Path(String),
    /// `body:$.path`: the value at a path of object keys and array indices in the JSON body.
    Body(ValuePath),
}

impl FromStr for SessionKey {
    type Err = String;

    fn from_str(text: &str) -> Result<SessionKey, String> {
        let expected = "write header:NAME, cookie:NAME, query:NAME, path:{param} or body:$.path";
        let (kind, name) = text
            .split_once(':')
            .ok_or_else(|| format!("`{text}` is not a session; {expected}"))?;
        let name = name.trim();
        if name.is_empty() {
            return Err(format!(
                "`{text}` names nothing after `{kind}:`; {expected}"
            ));
        }
        match kind {
            "header" => Ok(SessionKey::Header(name.to_ascii_lowercase())),
            "cookie" => Ok(SessionKey::Cookie(name.to_string())),
            "query" => Ok(SessionKey::Query(name.to_string())),
            "path" => {
                let param = name
                    .strip_prefix('{')
                    .and_then(|rest| rest.strip_suffix('}'))
                    .filter(|param| !param.is_empty() && !param.contains(['{', '}', '/']))
                    .ok_or_else(|| {
                        format!("`{text}`: write the route template's parameter in braces, e.g. path:{{id}}")
                    })?;
                Ok(SessionKey::Path(param.to_string()))
            }
            "body" => ValuePath::parse(name)
                .map(SessionKey::Body)
                .ok_or_else(|| {
                    format!("`{text}`: write a path of keys and indices, e.g. body:$.cart.id or body:$.items[0].sku")
                }),
            _ => Err(format!("`{text}`: unknown kind `{kind}`; {expected}")),
        }
    }
}

impl fmt::Display for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionKey::Header(name) => write!(f, "header:{name}"),
            SessionKey::Cookie(name) => write!(f, "cookie:{name}"),
            SessionKey::Query(name) => write!(f, "query:{name}"),
            SessionKey::Path(param) => write!(f, "path:{{{param}}}"),
            SessionKey::Body(path) => write!(f, "body:{path}"),
        }
    }
}

impl SessionKey {
    /// The session `request` belongs to, if it carries the value; `route` is its route
    /// (`POST /carts/{cart}/items`), whose template `path:` reads.
    pub fn of(&self, request: &Request, route: &str) -> Option<String> {
        match self {
            SessionKey::Header(name) => header(&request.headers, name).map(str::to_string),
            SessionKey::Cookie(name) => request
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
                .flat_map(|(_, value)| value.split(';'))
                .filter_map(|pair| pair.trim().split_once('='))
                .find(|(n, _)| n == name)
                .map(|(_, value)| value.to_string()),
            SessionKey::Query(name) => request
                .url
                .split_once('?')
                .map(|(_, query)| query.split('#').next().unwrap_or_default())
                .into_iter()
                .flat_map(|query| query.split('&'))
                .find_map(|pair| {
                    let (n, value) = pair.split_once('=').unwrap_or((pair, ""));
                    (n == name).then(|| value.to_string())
                }),
            SessionKey::Path(param) => {
                let template = route.split_once(' ').map_or(route, |(_, path)| path);
                let wanted = format!("{{{param}}}");
                let position = template.split('/').position(|segment| segment == wanted)?;
                let segments: Vec<&str> = request.path().split('/').collect();
                (segments.len() == template.split('/').count())
                    .then(|| segments[position].to_string())
            }
            SessionKey::Body(path) => {
                let value: serde_json::Value = serde_json::from_slice(request.body.bytes()).ok()?;
                match path.find(&value)? {
                    serde_json::Value::Null => None,
                    serde_json::Value::String(text) => Some(text.clone()),
                    other => Some(other.to_string()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(url: &str, headers: &[(&str, &str)], body: &str) -> Request {
        Request::post(url, headers, body)
    }

    fn key(spec: &str) -> SessionKey {
        spec.parse().unwrap()
    }

    #[test]
    fn each_kind_finds_its_value() {
        let r = request(
            "/carts/c-9/items?user=u1&x=2",
            &[("X-Session", "s-1"), ("cookie", "a=1; sid=abc; b=2")],
            r#"{"cart":{"id":42,"lines":[{"sku":"K"}]}}"#,
        );
        let route = "POST /carts/{cart}/items";
        assert_eq!(
            key("header:x-session").of(&r, route).as_deref(),
            Some("s-1")
        );
        assert_eq!(
            key("header:X-Session").of(&r, route).as_deref(),
            Some("s-1")
        );
        assert_eq!(key("cookie:sid").of(&r, route).as_deref(), Some("abc"));
        assert_eq!(key("query:user").of(&r, route).as_deref(), Some("u1"));
        assert_eq!(key("path:{cart}").of(&r, route).as_deref(), Some("c-9"));
        assert_eq!(key("body:$.cart.id").of(&r, route).as_deref(), Some("42"));
        assert_eq!(
            key("body:$.cart.lines[0].sku").of(&r, route).as_deref(),
            Some("K")
        );
        for missing in [
            "header:other",
            "cookie:none",
            "query:nope",
            "path:{id}",
            "body:$.cart.x",
        ] {
            assert_eq!(key(missing).of(&r, route), None, "{missing}");
        }
        assert_eq!(
            key("body:$.a").of(&request("/x", &[], "not json"), route),
            None
        );
    }

    #[test]
    fn specs_are_checked_and_shown_as_written() {
        for spec in [
            "header:x-session",
            "cookie:sid",
            "query:user",
            "path:{cart}",
            "body:$.a[2].b",
        ] {
            assert_eq!(key(spec).to_string(), spec);
        }
        for bad in [
            "header",
            "header:",
            "path:id",
            "body:a.b",
            "body:$.",
            "body:$[x]",
            "form:a",
        ] {
            assert!(bad.parse::<SessionKey>().is_err(), "{bad}");
        }
    }
}
