//! Bodies: content codings undone, then compared by content type.
//!
//! JSON (`application/json`, `+json`, or no content type and a body that parses) is walked
//! structurally; text (`text/*`, XML, JavaScript, form-urlencoded, or no content type and UTF-8)
//! is compared by line; anything else by bytes. A body that claims JSON but does not parse is
//! compared as text when the other side is not JSON either, and is one `$` type difference when
//! the other side is JSON. Notes on the differences say when the comparison took such a turn.

use serde_json::Value;

use super::decode::decode;
use super::deep;
use super::json::Walker;
use super::{binary, text, Difference, Ignored, Kind, Target};
use crate::model::{header, Headers, Response};
use crate::rules::BodyMatcher;

/// One body, classified by its content type and contents.
enum Parsed<'b> {
    Empty,
    Json(Value),
    /// Claims JSON (the media type is kept) but does not parse (the error is kept).
    NotJson(String, String, &'b [u8]),
    Text(&'b [u8]),
    Binary(&'b [u8]),
}

fn media_type(content_type: Option<&str>) -> Option<String> {
    let media = content_type?.split(';').next()?.trim().to_ascii_lowercase();
    (!media.is_empty()).then_some(media)
}

fn claims_json(media: &str) -> bool {
    media == "application/json" || media.ends_with("+json")
}

/// Whether a `content-type` value claims JSON (`application/json` or `+json`, any parameters).
pub(crate) fn claims_json_type(content_type: Option<&str>) -> bool {
    media_type(content_type).is_some_and(|media| claims_json(&media))
}

fn is_text(media: &str) -> bool {
    media.starts_with("text/")
        || media.contains("xml")
        || media.contains("javascript")
        || media == "application/x-www-form-urlencoded"
}

fn classify<'b>(bytes: &'b [u8], content_type: Option<&str>) -> Parsed<'b> {
    if bytes.is_empty() {
        return Parsed::Empty;
    }
    match media_type(content_type) {
        Some(media) if claims_json(&media) => match deep::parse(bytes) {
            Ok(value) => Parsed::Json(value),
            Err(error) => Parsed::NotJson(media, error.to_string(), bytes),
        },
        Some(media) if is_text(&media) => Parsed::Text(bytes),
        Some(_) => Parsed::Binary(bytes),
        None => match deep::parse(bytes) {
            Ok(value) => Parsed::Json(value),
            Err(_) if std::str::from_utf8(bytes).is_ok() => Parsed::Text(bytes),
            Err(_) => Parsed::Binary(bytes),
        },
    }
}

/// How a whole body shows as the value of a `$` difference.
fn shown(parsed: &Parsed<'_>) -> Option<Value> {
    match parsed {
        Parsed::Empty => None,
        Parsed::Json(value) => Some(deep::shown(value).0),
        Parsed::NotJson(_, _, bytes) | Parsed::Text(bytes) => {
            Some(Value::String(text::head(&String::from_utf8_lossy(bytes))))
        }
        Parsed::Binary(bytes) => Some(Value::String(binary::summary(bytes))),
    }
}

fn not_json_note(side: &str, parsed: &Parsed<'_>) -> Option<String> {
    match parsed {
        Parsed::NotJson(media, error, _) => Some(format!(
            "{side} body claims {media} but is not valid JSON ({error})"
        )),
        _ => None,
    }
}

fn raw<'b>(parsed: &Parsed<'b>) -> &'b [u8] {
    match parsed {
        Parsed::Empty | Parsed::Json(_) => &[],
        Parsed::NotJson(_, _, bytes) | Parsed::Text(bytes) | Parsed::Binary(bytes) => bytes,
    }
}

fn whole(kind: Kind, old: Option<Value>, new: Option<Value>, note: Option<String>) -> Difference {
    Difference {
        target: Target::Body(super::BodyPath::root()),
        kind,
        old,
        new,
        note,
    }
}

/// Whether two bodies are the same bytes under the same content type and coding: they decode,
/// classify and compare the same, so they are equal under any rules (and rules hide nothing in
/// them) without being parsed. Most exchanges of a good migration take this path.
fn identical(old: &Response, new: &Response) -> bool {
    old.body.bytes() == new.body.bytes() && same_type_and_coding(&old.headers, &new.headers)
}

/// Whether two responses declare the same content type and content coding: then the same body
/// bytes compare equal under any rules. Readers that can tell two bodies are the same bytes
/// without holding them (`diff` on two recordings) ask this to leave them undecoded.
pub fn same_type_and_coding(old: &Headers, new: &Headers) -> bool {
    ["content-type", "content-encoding"]
        .iter()
        .all(|name| header(old, name) == header(new, name))
}

/// Compares the bodies of two responses under the body rules; results in document order.
pub(crate) fn compare(
    old: &Response,
    new: &Response,
    matcher: &BodyMatcher,
) -> (Vec<Difference>, Vec<Ignored>) {
    if identical(old, new) {
        return (Vec::new(), Vec::new());
    }
    let old_decoded = decode(old.body.bytes(), &old.headers, "old");
    let new_decoded = decode(new.body.bytes(), &new.headers, "new");
    let a = classify(&old_decoded.bytes, header(&old.headers, "content-type"));
    let b = classify(&new_decoded.bytes, header(&new.headers, "content-type"));
    let (mut differences, mut ignored) = compare_parsed(&a, &b, matcher);
    for parsed in [a, b] {
        if let Parsed::Json(value) = parsed {
            deep::dismantle(value);
        }
    }
    let decode_notes: Vec<String> = [old_decoded.note, new_decoded.note]
        .into_iter()
        .flatten()
        .collect();
    if !decode_notes.is_empty() {
        for difference in &mut differences {
            let mut notes = decode_notes.clone();
            notes.extend(difference.note.take());
            difference.note = Some(notes.join("; "));
        }
    }
    if let Some(rule) = matcher.ignored_by(&matcher.root()) {
        ignored.extend(differences.drain(..).map(|difference| Ignored {
            rule,
            target: difference.target,
        }));
    }
    (differences, ignored)
}

fn compare_parsed(
    a: &Parsed<'_>,
    b: &Parsed<'_>,
    matcher: &BodyMatcher,
) -> (Vec<Difference>, Vec<Ignored>) {
    let one = |difference: Difference| (vec![difference], Vec::new());
    let nothing = || (Vec::new(), Vec::new());
    match (a, b) {
        (Parsed::Empty, Parsed::Empty) => nothing(),
        (Parsed::Empty, _) => one(whole(Kind::Added, None, shown(b), None)),
        (_, Parsed::Empty) => one(whole(Kind::Removed, shown(a), None, None)),
        (Parsed::Json(x), Parsed::Json(y)) => {
            let mut walker = Walker::new(matcher);
            walker.documents(x, y);
            walker.sort();
            (walker.differences, walker.ignored)
        }
        (Parsed::Json(_), Parsed::NotJson(..)) | (Parsed::NotJson(..), Parsed::Json(_)) => {
            let note = not_json_note("old", a).or_else(|| not_json_note("new", b));
            one(whole(Kind::Type, shown(a), shown(b), note))
        }
        (Parsed::Json(_), _) => one(whole(
            Kind::Type,
            shown(a),
            shown(b),
            Some("old body is JSON, new body is not".into()),
        )),
        (_, Parsed::Json(_)) => one(whole(
            Kind::Type,
            shown(a),
            shown(b),
            Some("new body is JSON, old body is not".into()),
        )),
        (Parsed::Binary(_), _) | (_, Parsed::Binary(_)) => match binary::compare(raw(a), raw(b)) {
            Some((x, y)) => one(whole(Kind::Changed, Some(x.into()), Some(y.into()), None)),
            None => nothing(),
        },
        _ => {
            let notes: Vec<String> = [not_json_note("old", a), not_json_note("new", b)]
                .into_iter()
                .flatten()
                .collect();
            let note =
                (!notes.is_empty()).then(|| format!("{}; compared as text", notes.join("; ")));
            let (x, y) = (raw(a), raw(b));
            if x == y {
                return nothing();
            }
            let (old_text, new_text) = (String::from_utf8_lossy(x), String::from_utf8_lossy(y));
            let (old_value, new_value) = match text::compare(&old_text, &new_text) {
                Some(excerpts) => excerpts,
                // Different bytes that read the same once invalid UTF-8 is replaced.
                None => (binary::summary(x), binary::summary(y)),
            };
            one(whole(
                Kind::Changed,
                Some(old_value.into()),
                Some(new_value.into()),
                note,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::decode::tests::{brotli, gzip, zstd};
    use crate::compare::testutil::{diff_strings, rule};
    use crate::model::Body;
    use crate::rules::{Action, RuleId};
    use serde_json::json;

    fn response(content_type: Option<&str>, encoding: Option<&str>, body: Vec<u8>) -> Response {
        let mut headers = Vec::new();
        if let Some(ct) = content_type {
            headers.push(("Content-Type".to_string(), ct.to_string()));
        }
        if let Some(ce) = encoding {
            headers.push(("Content-Encoding".to_string(), ce.to_string()));
        }
        Response {
            status: 200,
            headers,
            body: Body::from_bytes(body),
        }
    }

    #[test]
    fn identical_bytes_are_equal_only_under_the_same_content_type() {
        let bytes = br#"{"a":1}"#.to_vec();
        let json = response(Some("application/json"), None, bytes.clone());
        let (d, i) = compare(&json, &json.clone(), &BodyMatcher::default());
        assert!(d.is_empty() && i.is_empty());
        let text = response(Some("text/plain"), None, bytes);
        let (d, _) = compare(&json, &text, &BodyMatcher::default());
        assert_eq!(d.len(), 1, "same bytes, other type: {d:?}");
        assert_eq!(d[0].kind, Kind::Type);
    }

    fn json_response(text: &str) -> Response {
        response(
            Some("application/json; charset=utf-8"),
            None,
            text.as_bytes().to_vec(),
        )
    }

    #[test]
    fn encoded_json_bodies_are_decoded_first() {
        let plain = json_response(r#"{"a": 1, "b": 2}"#);
        let same = br#"{"b": 2, "a": 1.0}"#;
        for (coding, body) in [
            ("gzip", gzip(same)),
            ("br", brotli(same)),
            ("zstd", zstd(same)),
        ] {
            let encoded = response(Some("application/json"), Some(coding), body);
            let (d, _) = compare(&plain, &encoded, &BodyMatcher::default());
            assert!(d.is_empty(), "{coding}: {d:?}");
        }
    }

    #[test]
    fn bad_gzip_is_compared_raw_with_a_note() {
        let old = response(
            Some("application/octet-stream"),
            Some("gzip"),
            b"garbage".to_vec(),
        );
        let new = response(
            Some("application/octet-stream"),
            Some("gzip"),
            gzip(b"fine"),
        );
        let (d, _) = compare(&old, &new, &BodyMatcher::default());
        assert_eq!(diff_strings(&d), vec!["$ changed"]);
        let note = d[0].note.as_deref().unwrap_or_default();
        assert!(note.contains("old body is not valid gzip"), "{note}");
    }

    #[test]
    fn json_that_does_not_parse_on_both_sides_is_text_with_a_note() {
        let (d, _) = compare(
            &json_response("<html>old</html>\n"),
            &json_response("{\"a\": [1, 2"),
            &BodyMatcher::default(),
        );
        assert_eq!(diff_strings(&d), vec!["$ changed"]);
        let note = d[0].note.as_deref().unwrap_or_default();
        assert!(
            note.contains("old body claims application/json but is not valid JSON ("),
            "{note}"
        );
        assert!(
            note.contains(
                "new body claims application/json but is not valid JSON (EOF while parsing"
            ),
            "{note}"
        );
        assert!(note.ends_with("; compared as text"), "{note}");
        assert_eq!(d[0].old, Some(json!("<html>old</html>")));
    }

    #[test]
    fn json_on_one_side_only_is_a_type_difference() {
        let (d, _) = compare(
            &json_response("{\"a\":1}"),
            &json_response("oops"),
            &BodyMatcher::default(),
        );
        assert_eq!(diff_strings(&d), vec!["$ type"]);
        assert!(d[0]
            .note
            .as_deref()
            .is_some_and(|n| n.starts_with("new body claims application/json")));
        let html = response(Some("text/html"), None, b"<p>".to_vec());
        let (d, _) = compare(&json_response("{}"), &html, &BodyMatcher::default());
        assert_eq!(diff_strings(&d), vec!["$ type"]);
    }

    #[test]
    fn content_types_choose_the_comparison() {
        let none = BodyMatcher::default();
        let sniffed = response(None, None, b"{\"a\": [1]}".to_vec());
        let vendor = response(
            Some("application/problem+json"),
            None,
            b"{\"a\":[1.0]}".to_vec(),
        );
        assert!(compare(&sniffed, &vendor, &none).0.is_empty());
        let a = response(Some("text/plain"), None, b"x\ny\n".to_vec());
        let b = response(Some("text/plain"), None, b"x\nz\n".to_vec());
        let (d, _) = compare(&a, &b, &none);
        assert_eq!(
            (d[0].old.clone(), d[0].new.clone()),
            (Some(json!("y")), Some(json!("z")))
        );
        let png = response(Some("image/png"), None, vec![1, 2, 3]);
        let png2 = response(Some("image/png"), None, vec![1, 2, 4]);
        let (d, _) = compare(&png, &png2, &none);
        assert!(d[0]
            .old
            .as_ref()
            .and_then(Value::as_str)
            .is_some_and(|s| s.starts_with("<3 bytes, xxh3 ")));
        let empty = response(Some("text/plain"), None, Vec::new());
        assert_eq!(diff_strings(&compare(&empty, &a, &none).0), vec!["$ added"]);
        assert_eq!(
            diff_strings(&compare(&a, &empty, &none).0),
            vec!["$ removed"]
        );
    }

    #[test]
    fn bodies_of_any_depth_compare_structurally() {
        use crate::compare::deep::tests::{nested_arrays, nested_objects};
        const LEVELS: usize = 10_000;
        let json = |text: String| json_response(&text);
        let (d, _) = compare(
            &json(nested_objects(LEVELS, r#"{"v":1,"w":2}"#)),
            &json(nested_objects(LEVELS, r#"{"v":3,"w":2}"#)),
            &BodyMatcher::default(),
        );
        assert_eq!(d.len(), 1, "{:?}", d.first().map(|d| &d.note));
        assert_eq!(d[0].kind, Kind::Changed);
        let expected = format!("${}.v", ".a".repeat(LEVELS));
        assert_eq!(d[0].target.place().as_deref(), Some(expected.as_str()));
        assert_eq!(d[0].note, None);

        let (d, _) = compare(
            &json(nested_arrays(LEVELS, "[1,2]")),
            &json(nested_arrays(LEVELS, "[1,2,3]")),
            &BodyMatcher::default(),
        );
        assert_eq!(diff_strings(&d).len(), 1);
        let expected = format!("${}[2]", "[0]".repeat(LEVELS));
        assert_eq!(d[0].target.place().as_deref(), Some(expected.as_str()));
        assert_eq!(d[0].kind, Kind::Added);

        let (d, _) = compare(
            &json(r#"{"a":1}"#.to_string()),
            &json(format!(
                r#"{{"a":1,"deep":{}}}"#,
                nested_arrays(LEVELS, "0")
            )),
            &BodyMatcher::default(),
        );
        assert_eq!(diff_strings(&d), vec!["$.deep added"]);
        let shown = d[0]
            .new
            .as_ref()
            .and_then(Value::as_str)
            .unwrap_or_default();
        assert!(shown.starts_with("[[[["), "{shown:.20}");
        assert!(d[0]
            .note
            .as_deref()
            .is_some_and(|n| n.contains("10000 levels deep")));
    }

    #[test]
    fn a_root_ignore_hides_any_body() {
        let matcher = BodyMatcher::new(vec![rule("$", Action::Ignore, 3)]);
        let a = response(Some("text/plain"), None, b"x".to_vec());
        let b = response(Some("text/plain"), None, b"y".to_vec());
        let (d, i) = compare(&a, &b, &matcher);
        assert!(d.is_empty());
        assert_eq!(i[0].rule, RuleId(3));
    }
}
