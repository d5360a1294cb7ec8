//! Captures of a stateful replay: the values each implementation chose for itself (the id of a
//! new order, a token) and where they stand in later requests and answers.
//!
//! A route's rules name places in its responses (`capture = ["$.id", "header:location"]`). The
//! value at such a place in the *recorded* response is the recorded value; the value at the same
//! place in a target's answer is that target's. Later requests carry recorded values, so before
//! one is sent to a target each recorded value in it is replaced by that target's
//! ([`rewrite_request`]); when two answers are compared, a pair of values that stand for the same
//! recorded value counts as that value on both sides ([`reconcile`]).

use std::fmt;
use std::str::FromStr;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

use crate::model::{header, Body, Request, Response};
use crate::redact::Redactor;
use crate::value_path::ValuePath;

/// Which later exchanges see a captured value (`capture_scope`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CaptureScope {
    /// The later exchanges of the same session (`--session`); exchanges of no session neither
    /// capture nor use captured values.
    #[default]
    Session,
    /// Every later exchange of the run: each waits for the exchanges before it that capture, so
    /// what it is sent and compared with never depends on timing.
    Run,
}

impl FromStr for CaptureScope {
    type Err = String;

    fn from_str(text: &str) -> Result<CaptureScope, String> {
        match text {
            "session" => Ok(CaptureScope::Session),
            "run" => Ok(CaptureScope::Run),
            _ => Err(format!(
                "`{text}` is not a capture scope; write \"session\" or \"run\""
            )),
        }
    }
}

/// Where a captured value is in a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CapturePlace {
    /// `$.path`: a string or number of the JSON body.
    Body(ValuePath),
    /// `header:NAME`: the value of a response header (lower-case name).
    Header(String),
}

impl FromStr for CapturePlace {
    type Err = String;

    fn from_str(text: &str) -> Result<CapturePlace, String> {
        if let Some(name) = text.strip_prefix("header:") {
            let name = name.trim();
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
                return Err(format!(
                    "`{text}` names no header; write header:NAME, e.g. header:location"
                ));
            }
            return Ok(CapturePlace::Header(name.to_ascii_lowercase()));
        }
        ValuePath::parse(text)
            .map(CapturePlace::Body)
            .ok_or_else(|| {
                format!(
                "`{text}` is not a place to capture; write a path of keys and indices into the \
                 response body, e.g. \"$.id\" or \"$.items[0].id\", or header:NAME"
            )
            })
    }
}

impl fmt::Display for CapturePlace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CapturePlace::Body(path) => path.fmt(f),
            CapturePlace::Header(name) => write!(f, "header:{name}"),
        }
    }
}

/// A captured value as it stands in JSON: a string's text or a number's literal. A header's
/// value is text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Captured {
    /// A JSON string (or a header value): its text.
    Text(String),
    /// A JSON number: its literal as written.
    Number(String),
}

impl Captured {
    /// The value as it stands in a path, a query or a header.
    pub fn text(&self) -> &str {
        match self {
            Captured::Text(text) | Captured::Number(text) => text,
        }
    }

    /// The value as JSON.
    pub fn to_json(&self) -> Value {
        match self {
            Captured::Text(text) => Value::String(text.clone()),
            Captured::Number(literal) => serde_json::from_str(literal)
                .ok()
                .filter(Value::is_number)
                .unwrap_or_else(|| Value::String(literal.clone())),
        }
    }
}

impl CapturePlace {
    /// The value at this place of `response`, or why there is none (said of the answer, e.g.
    /// `$.id is not in the answer`).
    pub fn find(&self, response: &Response) -> Result<Captured, String> {
        match self {
            CapturePlace::Header(name) => header(&response.headers, name)
                .map(|value| Captured::Text(value.to_string()))
                .ok_or_else(|| format!("the answer has no {name} header")),
            CapturePlace::Body(path) => {
                let document: Value = serde_json::from_slice(response.body.bytes())
                    .map_err(|_| format!("the answer's body is not JSON, so it has no {path}"))?;
                match path.find(&document) {
                    None => Err(format!("{path} is not in the answer")),
                    Some(Value::String(text)) => Ok(Captured::Text(text.clone())),
                    Some(Value::Number(number)) => Ok(Captured::Number(number.to_string())),
                    Some(other) => Err(format!(
                        "{path} is {}, not a string or a number",
                        kind_of(other)
                    )),
                }
            }
        }
    }
}

impl CapturePlace {
    /// Whether values at this place are secrets that `redactor` keeps out of what is written: a
    /// secret header, or a body field it redacts.
    pub fn is_secret(&self, redactor: &Redactor) -> bool {
        match self {
            CapturePlace::Header(name) => redactor.is_secret_header(name),
            CapturePlace::Body(path) => {
                redactor.value(&mut path.skeleton(Value::String(String::new())))
            }
        }
    }
}

/// The kind of a JSON value, with its article.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
    }
}

/// Characters escaped when a value goes into a path segment or a query value: all but the
/// unreserved ones of RFC 3986.
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Headers whose values are never rewritten: they describe the message, not its meaning.
const KEPT_HEADERS: &[&str] = &["host", "content-length", "content-type", "content-encoding"];

/// `request` with the values `replace` maps replaced: whole path segments, whole query values,
/// whole header values and bearer tokens, and whole JSON strings and numbers of the body (a
/// number stays a number where the replacement is one). `replace` is asked about each of those
/// texts; none when it replaced nothing. A rewritten body is JSON again, its keys in sorted
/// order.
///
/// Asked with a `replace` that only notes what it is asked, this is how a reader finds which
/// recorded values a request carries.
pub fn rewrite_request(
    request: &Request,
    mut replace: impl FnMut(&str) -> Option<Captured>,
) -> Option<Request> {
    let mut changed = false;
    let url = rewrite_url(&request.url, &mut replace, &mut changed);
    let headers = request
        .headers
        .iter()
        .map(|(name, value)| {
            let kept = KEPT_HEADERS.iter().any(|k| k.eq_ignore_ascii_case(name));
            let value = if kept {
                value.clone()
            } else if let Some(with) = replace(value) {
                changed = true;
                with.text().to_string()
            } else {
                match split_bearer(value) {
                    Some((scheme, token)) => match replace(token) {
                        Some(with) => {
                            changed = true;
                            format!("{scheme}{}", with.text())
                        }
                        None => value.clone(),
                    },
                    None => value.clone(),
                }
            };
            (name.clone(), value)
        })
        .collect();
    let body = match serde_json::from_slice::<Value>(request.body.bytes()) {
        Ok(mut document) if !request.body.is_empty() => {
            if rewrite_json(&mut document, &mut replace) {
                changed = true;
                serde_json::to_vec(&document)
                    .map_or_else(|_| request.body.clone(), Body::from_bytes)
            } else {
                request.body.clone()
            }
        }
        _ => request.body.clone(),
    };
    changed.then(|| Request {
        method: request.method.clone(),
        url,
        headers,
        body,
    })
}

/// `Bearer TOKEN` as the scheme with its space, and the token.
fn split_bearer(value: &str) -> Option<(&str, &str)> {
    let scheme = value.get(..7)?;
    scheme
        .eq_ignore_ascii_case("bearer ")
        .then(|| (scheme, value[7..].trim()))
        .filter(|(_, token)| !token.is_empty())
}

/// The URL with whole path segments and whole query values replaced.
fn rewrite_url(
    url: &str,
    replace: &mut impl FnMut(&str) -> Option<Captured>,
    changed: &mut bool,
) -> String {
    let (before_fragment, fragment) = match url.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (url, None),
    };
    let (path, query) = match before_fragment.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (before_fragment, None),
    };
    let mut out = String::with_capacity(url.len());
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        match (!segment.is_empty()).then(|| replace(segment)).flatten() {
            Some(with) => {
                *changed = true;
                out.extend(utf8_percent_encode(with.text(), ESCAPED));
            }
            None => out.push_str(segment),
        }
    }
    if let Some(query) = query {
        out.push('?');
        for (i, pair) in query.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
            let replaced = pair
                .split_once('=')
                .filter(|(_, value)| !value.is_empty())
                .and_then(|(name, value)| Some((name, replace(value)?)));
            match replaced {
                Some((name, with)) => {
                    *changed = true;
                    out.push_str(name);
                    out.push('=');
                    out.extend(utf8_percent_encode(with.text(), ESCAPED));
                }
                None => out.push_str(pair),
            }
        }
    }
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// Replaces whole strings and numbers of `document`; says whether any was.
fn rewrite_json(document: &mut Value, replace: &mut impl FnMut(&str) -> Option<Captured>) -> bool {
    match document {
        Value::String(text) => match replace(text) {
            Some(with) => {
                *text = with.text().to_string();
                true
            }
            None => false,
        },
        Value::Number(number) => match replace(&number.to_string()) {
            Some(with) => {
                *document = with.to_json();
                true
            }
            None => false,
        },
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |any, item| rewrite_json(item, replace) | any),
        Value::Object(members) => members
            .values_mut()
            .fold(false, |any, member| rewrite_json(member, replace) | any),
        Value::Null | Value::Bool(_) => false,
    }
}

/// Old's and new's answers with each pair of values that stand for the same recorded value
/// replaced by it on both sides, so a new resource's id, chosen by each implementation for
/// itself, compares equal. `stands_for(old, new)` is the recorded value that old's value `old`
/// and new's value `new` both stand for, if any.
///
/// Values pair up where they stand at the same place: the same JSON path (members by key, array
/// elements by index) or the same path segment of a header's value (the n-th header of a name on
/// each side). A value equal on both sides is left alone, so an unrelated `1` never becomes an
/// id. None when nothing is replaced.
pub fn reconcile(
    old: &Response,
    new: &Response,
    stands_for: impl Fn(&str, &str) -> Option<Captured>,
) -> Option<(Response, Response)> {
    let mut changed = false;
    let mut old_headers = old.headers.clone();
    let mut new_headers = new.headers.clone();
    for i in 0..old_headers.len() {
        let name = old_headers[i].0.to_ascii_lowercase();
        let nth = old_headers[..i]
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(&name))
            .count();
        let Some(j) = new_headers
            .iter()
            .enumerate()
            .filter(|(_, (n, _))| n.eq_ignore_ascii_case(&name))
            .nth(nth)
            .map(|(j, _)| j)
        else {
            continue;
        };
        if let Some(both) = reconcile_segments(&old_headers[i].1, &new_headers[j].1, &stands_for) {
            old_headers[i].1 = both.clone();
            new_headers[j].1 = both;
            changed = true;
        }
    }
    let mut bodies = None;
    if old.body.bytes() != new.body.bytes() {
        if let (Ok(mut a), Ok(mut b)) = (
            serde_json::from_slice::<Value>(old.body.bytes()),
            serde_json::from_slice::<Value>(new.body.bytes()),
        ) {
            if reconcile_json(&mut a, &mut b, &stands_for) {
                if let (Ok(a), Ok(b)) = (serde_json::to_vec(&a), serde_json::to_vec(&b)) {
                    bodies = Some((Body::from_bytes(a), Body::from_bytes(b)));
                    changed = true;
                }
            }
        }
    }
    if !changed {
        return None;
    }
    let (old_body, new_body) = bodies.unwrap_or_else(|| (old.body.clone(), new.body.clone()));
    Some((
        Response {
            status: old.status,
            headers: old_headers,
            body: old_body,
        },
        Response {
            status: new.status,
            headers: new_headers,
            body: new_body,
        },
    ))
}

/// Two header values with the same number of `/`-separated segments, every differing pair
/// standing for one recorded value: the value with those recorded values in place.
fn reconcile_segments(
    old: &str,
    new: &str,
    stands_for: &impl Fn(&str, &str) -> Option<Captured>,
) -> Option<String> {
    if old == new {
        return None;
    }
    let a: Vec<&str> = old.split('/').collect();
    let b: Vec<&str> = new.split('/').collect();
    if a.len() != b.len() {
        return None;
    }
    let mut out = Vec::with_capacity(a.len());
    for (x, y) in a.iter().zip(&b) {
        if x == y {
            out.push((*x).to_string());
        } else {
            out.push(stands_for(x, y)?.text().to_string());
        }
    }
    Some(out.join("/"))
}

/// Replaces, on both documents, each pair of differing strings or numbers at the same place
/// that stand for one recorded value; says whether any pair was. Rows of two stores are
/// reconciled this way too, so a column holding each implementation's own id compares equal.
pub fn reconcile_values(
    old: &mut Value,
    new: &mut Value,
    stands_for: impl Fn(&str, &str) -> Option<Captured>,
) -> bool {
    reconcile_json(old, new, &stands_for)
}

fn reconcile_json(
    old: &mut Value,
    new: &mut Value,
    stands_for: &impl Fn(&str, &str) -> Option<Captured>,
) -> bool {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => a.iter_mut().fold(false, |any, (key, x)| {
            b.get_mut(key)
                .is_some_and(|y| reconcile_json(x, y, stands_for))
                | any
        }),
        (Value::Array(a), Value::Array(b)) => a
            .iter_mut()
            .zip(b.iter_mut())
            .fold(false, |any, (x, y)| reconcile_json(x, y, stands_for) | any),
        (a, b) => {
            let (Some(x), Some(y)) = (scalar_text(a), scalar_text(b)) else {
                return false;
            };
            if a == b {
                return false;
            }
            match stands_for(&x, &y) {
                Some(recorded) => {
                    *a = recorded.to_json();
                    *b = recorded.to_json();
                    true
                }
                None => false,
            }
        }
    }
}

/// A string's text or a number's literal: how a captured value is looked up wherever it stands
/// (an answer, a request, a store's row).
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(url: &str, headers: &[(&str, &str)], body: &str) -> Request {
        Request::post(url, headers, body)
    }

    fn response(headers: &[(&str, &str)], body: &str) -> Response {
        Response {
            status: 200,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: Body::from_bytes(body.as_bytes().to_vec()),
        }
    }

    /// Recorded 1001 is new's "a-1", recorded "tok" is new's "t 2".
    fn for_new(text: &str) -> Option<Captured> {
        match text {
            "1001" => Some(Captured::Text("a-1".into())),
            "tok" => Some(Captured::Text("t 2".into())),
            _ => None,
        }
    }

    #[test]
    fn places_are_read_checked_and_found() {
        let answer = response(
            &[("Location", "/orders/7")],
            r#"{"id":7,"token":"t","items":[{"id":"x"}],"meta":{}}"#,
        );
        let found = |place: &str| place.parse::<CapturePlace>().unwrap().find(&answer);
        assert_eq!(found("$.id"), Ok(Captured::Number("7".into())));
        assert_eq!(found("$.items[0].id"), Ok(Captured::Text("x".into())));
        assert_eq!(
            found("header:Location"),
            Ok(Captured::Text("/orders/7".into()))
        );
        assert_eq!(found("$.nope"), Err("$.nope is not in the answer".into()));
        assert_eq!(
            found("$.meta"),
            Err("$.meta is an object, not a string or a number".into())
        );
        assert_eq!(
            found("header:x-id"),
            Err("the answer has no x-id header".into())
        );
        assert_eq!(
            "header:Location"
                .parse::<CapturePlace>()
                .unwrap()
                .to_string(),
            "header:location"
        );
        let redactor = Redactor::new(
            &["x-api-key".into()],
            vec![crate::PathPattern::parse("$.token").unwrap()],
            false,
        );
        let secret = |place: &str| place.parse::<CapturePlace>().unwrap().is_secret(&redactor);
        assert!(secret("$.token") && secret("header:X-Api-Key") && secret("header:authorization"));
        assert!(!secret("$.id") && !secret("header:location"));
        for bad in ["id", "$", "header:", "$.a[x]"] {
            assert!(bad.parse::<CapturePlace>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_request_has_recorded_values_replaced_where_they_stand_whole() {
        let recorded = request(
            "/orders/1001/lines?order=1001&page=1001x#1001",
            &[
                ("Authorization", "Bearer tok"),
                ("X-Order", "1001"),
                ("Content-Type", "1001"),
                ("X-Other", "tok-ish"),
            ],
            r#"{"order":1001,"ref":"1001","note":"1001 and more","items":[{"order":1001}]}"#,
        );
        let sent = rewrite_request(&recorded, for_new).expect("rewritten");
        assert_eq!(sent.url, "/orders/a-1/lines?order=a-1&page=1001x#1001");
        assert_eq!(
            sent.headers,
            vec![
                ("Authorization".to_string(), "Bearer t 2".to_string()),
                ("X-Order".into(), "a-1".into()),
                ("Content-Type".into(), "1001".into()),
                ("X-Other".into(), "tok-ish".into()),
            ]
        );
        assert_eq!(
            sent.body.lossy_text(),
            r#"{"items":[{"order":"a-1"}],"note":"1001 and more","order":"a-1","ref":"a-1"}"#
        );
        let as_number = |text: &str| (text == "1001").then(|| Captured::Number("17".into()));
        let sent = rewrite_request(&recorded, as_number).unwrap();
        assert!(sent
            .body
            .lossy_text()
            .starts_with(r#"{"items":[{"order":17}]"#));
        assert!(
            sent.body.lossy_text().contains(r#""ref":"17""#),
            "a string stays a string"
        );
        let escaped = |text: &str| (text == "1001").then(|| Captured::Text("a/b c".into()));
        assert_eq!(
            rewrite_request(&request("/o/1001?x=1001", &[], ""), escaped)
                .unwrap()
                .url,
            "/o/a%2Fb%20c?x=a%2Fb%20c"
        );
        assert!(rewrite_request(&request("/o/1?x=2", &[], r#"{"a":3}"#), for_new).is_none());
    }

    #[test]
    fn values_standing_for_one_recorded_value_compare_as_it() {
        let stands_for = |old: &str, new: &str| {
            (old == "1" && new == "a-1").then(|| Captured::Number("1001".into()))
        };
        let old = response(
            &[("location", "/orders/1"), ("x-n", "1")],
            r#"{"id":1,"qty":1,"lines":[{"order":1}],"only":1}"#,
        );
        let new = response(
            &[("location", "/orders/a-1"), ("x-n", "2")],
            r#"{"id":"a-1","qty":1,"lines":[{"order":"a-1"}]}"#,
        );
        let (old, new) = reconcile(&old, &new, stands_for).expect("reconciled");
        assert_eq!(old.headers[0].1, "/orders/1001");
        assert_eq!(new.headers[0].1, "/orders/1001");
        assert_eq!(old.headers[1].1, "1", "a pair standing for nothing stays");
        assert_eq!(
            old.body.lossy_text(),
            r#"{"id":1001,"lines":[{"order":1001}],"only":1,"qty":1}"#
        );
        assert_eq!(
            new.body.lossy_text(),
            r#"{"id":1001,"lines":[{"order":1001}],"qty":1}"#
        );
        let same = response(&[], r#"{"id":1}"#);
        assert!(reconcile(&same, &same, stands_for).is_none());
    }

    proptest::proptest! {
        /// Sending a target its own values and mapping them back gives the recorded request.
        #[test]
        fn rewriting_there_and_back_restores_the_request(
            recorded in "[a-z]{3}[0-9]{1,6}",
            own in "[A-Z]{3}-[0-9]{1,6}",
            other in 0u32..1000,
        ) {
            let original = request(
                &format!("/orders/{recorded}/lines?order={recorded}&n={other}"),
                &[("x-order", &recorded), ("authorization", &format!("Bearer {recorded}"))],
                &format!(r#"{{"order":"{recorded}","n":{other},"list":["{recorded}"]}}"#),
            );
            let there = |text: &str| (text == recorded).then(|| Captured::Text(own.clone()));
            let back = |text: &str| (text == own).then(|| Captured::Text(recorded.clone()));
            let sent = rewrite_request(&original, there).expect("the recorded value is there");
            proptest::prop_assert!(!sent.url.contains(&recorded));
            let restored = rewrite_request(&sent, back).expect("the target's value is there");
            proptest::prop_assert_eq!(&restored.url, &original.url);
            proptest::prop_assert_eq!(&restored.headers, &original.headers);
            let json = |body: &Body| serde_json::from_slice::<Value>(body.bytes()).unwrap();
            proptest::prop_assert_eq!(json(&restored.body), json(&original.body));
        }

        /// Two answers that differ only by each side's own value for one recorded value are
        /// equal once reconciled, whichever side is which.
        #[test]
        fn answers_differing_only_by_stand_ins_reconcile_to_the_same(
            old_id in 1u32..100_000,
            new_id in "[a-f0-9]{8}",
            qty in 1u32..5,
        ) {
            let old_text = old_id.to_string();
            let old = response(
                &[("location", &format!("/orders/{old_id}"))],
                &format!(r#"{{"id":{old_id},"qty":{qty},"lines":[{{"order":{old_id}}}]}}"#),
            );
            let new = response(
                &[("location", &format!("/orders/{new_id}"))],
                &format!(r#"{{"id":"{new_id}","qty":{qty},"lines":[{{"order":"{new_id}"}}]}}"#),
            );
            let recorded = Captured::Number("1001".into());
            let stands_for = |a: &str, b: &str| {
                (a == old_text && b == new_id).then(|| recorded.clone())
            };
            let (a, b) = reconcile(&old, &new, stands_for).expect("reconciled");
            proptest::prop_assert_eq!(&a, &b);
            let flipped = |a: &str, b: &str| stands_for(b, a);
            let (c, d) = reconcile(&new, &old, flipped).expect("reconciled");
            proptest::prop_assert_eq!(&c, &a);
            proptest::prop_assert_eq!(&d, &b);
        }
    }
}
