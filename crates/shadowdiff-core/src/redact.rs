//! Secrets kept out of everything shadowdiff writes: recordings made by `record`, the outcomes
//! file, every report and reproduction command. Comparison always sees the real values;
//! only what reaches disk or a screen is redacted.
//!
//! Body fields are found in JSON. When fields are to be redacted, a content-encoded body
//! (gzip, deflate, br, zstd) is decoded first, with the decoder comparison uses, and kept
//! decoded: its `content-encoding` header is replaced by `x-shadowdiff-decoded: CODING`, which
//! says so. A body whose fields cannot be found (one that claims JSON but does not parse, or
//! cannot be decoded) is replaced whole, as are the excerpts of such a body in differences:
//! better a hidden body than a leaked secret.

use serde_json::Value;

use crate::compare::body::claims_json_type;
use crate::compare::decode::{codings, decode};
use crate::compare::deep;
use crate::compare::{Difference, Step, Target};
use crate::model::{header, Body, Headers, Request, Response};
use crate::rules::path::PathPattern;
use crate::rules::{Action, BodyMatcher, BodyRule, MatchState, RuleId};

/// The headers whose values are always redacted (unless `record --keep-secrets`).
pub const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "cookie",
    "set-cookie",
    "proxy-authorization",
];

/// What a redacted value is written as.
pub const REDACTED: &str = "[redacted]";

/// What a body is written as when fields are to be redacted but cannot be found in it.
pub const REDACTED_BODY: &str = "[redacted: the body is not JSON that could be read (it claims \
                                 JSON but does not parse, or cannot be decoded), so the fields \
                                 to redact cannot be found in it]";

/// The header that replaces `content-encoding` on a body stored decoded, naming the codings.
pub const DECODED_HEADER: &str = "x-shadowdiff-decoded";

/// How a difference's note says that a body claims JSON but does not parse (the comparison's
/// wording, pinned by a test below).
const NOT_JSON_NOTE: &str = "but is not valid JSON";

/// Replaces secret header values and configured JSON body fields.
#[derive(Clone, Debug)]
pub struct Redactor {
    /// Lower-case header names redacted; empty when secrets are kept.
    names: Vec<String>,
    /// Body fields redacted wherever a JSON body has them, matched as comparison matches body
    /// rules (each field an [`Action::Ignore`] rule; only where it matches is used).
    fields: BodyMatcher,
}

impl Default for Redactor {
    fn default() -> Redactor {
        Redactor::new(&[], Vec::new(), false)
    }
}

impl Redactor {
    /// Redacts [`SECRET_HEADERS`], the `extra` header names and the body `fields`, or nothing
    /// when `keep_secrets`.
    pub fn new(extra: &[String], fields: Vec<PathPattern>, keep_secrets: bool) -> Redactor {
        if keep_secrets {
            return Redactor {
                names: Vec::new(),
                fields: BodyMatcher::default(),
            };
        }
        let mut names: Vec<String> = SECRET_HEADERS
            .iter()
            .map(|name| name.to_string())
            .chain(extra.iter().map(|name| name.to_ascii_lowercase()))
            .collect();
        names.sort();
        names.dedup();
        let fields = fields
            .into_iter()
            .zip(0..)
            .map(|(path, id)| BodyRule {
                path,
                action: Action::Ignore,
                id: RuleId(id),
            })
            .collect();
        Redactor {
            names,
            fields: BodyMatcher::new(fields),
        }
    }

    /// Whether the header called `name` is a secret.
    pub fn is_secret_header(&self, name: &str) -> bool {
        self.names
            .iter()
            .any(|secret| secret.eq_ignore_ascii_case(name))
    }

    /// Replaces the value of every secret header with `[redacted]`.
    pub fn apply(&self, headers: &mut Headers) {
        for (name, value) in headers.iter_mut() {
            if self.is_secret_header(name) {
                *value = REDACTED.to_string();
            }
        }
    }

    /// Redacts a request's secret headers and body fields.
    pub fn request(&self, request: &mut Request) {
        self.apply(&mut request.headers);
        self.body(&mut request.headers, &mut request.body);
    }

    /// Redacts a response's secret headers and body fields.
    pub fn response(&self, response: &mut Response) {
        self.apply(&mut response.headers);
        self.body(&mut response.headers, &mut response.body);
    }

    /// Redacts the configured fields of a message's body, `headers` being the message's: a
    /// content-encoded body is decoded and kept so (see the module's documentation); a JSON body
    /// has its fields replaced; a body that claims JSON but does not parse, or cannot be
    /// decoded, is replaced by [`REDACTED_BODY`]; other bodies are left as they are.
    pub fn body(&self, headers: &mut Headers, body: &mut Body) {
        if self.fields.is_empty() {
            return;
        }
        let codings = codings(headers);
        if !codings.is_empty() {
            let decoded = decode(body.bytes(), headers, "stored");
            let readable = decoded.note.is_none();
            let bytes = decoded.bytes.into_owned();
            headers.retain(|(name, _)| {
                !name.eq_ignore_ascii_case("content-encoding")
                    && !name.eq_ignore_ascii_case("content-length")
            });
            headers.push((DECODED_HEADER.to_string(), codings.join(", ")));
            if !readable {
                *body = Body::Text(REDACTED_BODY.to_string());
                return;
            }
            *body = Body::from_bytes(bytes);
        }
        let claims_json = claims_json_type(header(headers, "content-type"));
        let parsed = match &*body {
            Body::Empty => return,
            Body::Text(text) => deep::parse(text.as_bytes()).ok(),
            Body::Binary(_) => None,
        };
        let redacted = match parsed {
            Some(mut value) => {
                let text = self.value(&mut value).then(|| deep::to_string(&value));
                deep::dismantle(value);
                text
            }
            None => claims_json.then(|| REDACTED_BODY.to_string()),
        };
        if let Some(text) = redacted {
            *body = Body::Text(text);
        }
    }

    /// Redacts the configured fields of a whole JSON document; true when something was.
    pub fn value(&self, value: &mut Value) -> bool {
        self.walk(&self.fields.root(), value)
    }

    /// Redacts the old and new values of a difference found at a secret header or inside a
    /// secret field (or holding one).
    pub fn difference_values(&self, difference: &mut Difference) {
        match &difference.target {
            Target::Status => {}
            Target::Header(name) => {
                if self.is_secret_header(name) {
                    for value in [&mut difference.old, &mut difference.new]
                        .into_iter()
                        .flatten()
                    {
                        *value = Value::String(REDACTED.into());
                    }
                }
            }
            Target::Row => {
                for value in [&mut difference.old, &mut difference.new]
                    .into_iter()
                    .flatten()
                {
                    self.value(value);
                }
            }
            Target::Body(path) | Target::Field(path) => {
                if self.fields.is_empty() {
                    return;
                }
                // Excerpts of a body that claims JSON but does not parse: its fields cannot be
                // found in them.
                let unparsed = path.0.is_empty()
                    && difference
                        .note
                        .as_deref()
                        .is_some_and(|note| note.contains(NOT_JSON_NOTE));
                let mut state = self.fields.root();
                for step in &path.0 {
                    state = match step {
                        Step::Key(key) => self.fields.child(&state, key),
                        Step::Index(index) => self.fields.index(&state, *index),
                    };
                }
                for value in [&mut difference.old, &mut difference.new]
                    .into_iter()
                    .flatten()
                {
                    if self.done(&state) {
                        *value = Value::String(REDACTED.into());
                    } else if unparsed && value.is_string() {
                        *value = Value::String(REDACTED_BODY.into());
                    } else {
                        self.walk(&state, value);
                    }
                }
            }
        }
    }

    /// Whether some pattern is complete at the place of `state`: the place itself is secret.
    fn done(&self, state: &MatchState) -> bool {
        self.fields.accepting(state).next().is_some()
    }

    /// Replaces every value below `value` that a pattern reaches; true when something was.
    fn walk(&self, state: &MatchState, value: &mut Value) -> bool {
        deep::guarded(|| self.walk_here(state, value))
    }

    fn walk_here(&self, state: &MatchState, value: &mut Value) -> bool {
        if state.is_empty() {
            return false;
        }
        let mut changed = false;
        match value {
            Value::Object(members) => {
                for (key, member) in members.iter_mut() {
                    let next = self.fields.child(state, key);
                    changed |= self.replace_or_walk(&next, member);
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter_mut().enumerate() {
                    let next = self.fields.index(state, index);
                    changed |= self.replace_or_walk(&next, item);
                }
            }
            _ => {}
        }
        changed
    }

    fn replace_or_walk(&self, state: &MatchState, value: &mut Value) -> bool {
        if self.done(state) {
            *value = Value::String(REDACTED.into());
            true
        } else {
            self.walk(state, value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::{BodyPath, Kind};
    use serde_json::json;

    fn headers() -> Headers {
        vec![
            ("Authorization".into(), "Bearer x".into()),
            ("accept".into(), "*/*".into()),
            ("x-api-key".into(), "k".into()),
            ("cookie".into(), "a=1".into()),
        ]
    }

    fn fields(patterns: &[&str]) -> Redactor {
        let patterns = patterns
            .iter()
            .map(|p| PathPattern::parse(p).unwrap())
            .collect();
        Redactor::new(&[], patterns, false)
    }

    #[test]
    fn secrets_and_extra_names_are_redacted() {
        let mut h = headers();
        Redactor::new(&["X-Api-Key".into()], vec![], false).apply(&mut h);
        let values: Vec<&str> = h.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(values, [REDACTED, "*/*", REDACTED, REDACTED]);
    }

    #[test]
    fn keep_secrets_keeps_everything() {
        let mut h = headers();
        Redactor::new(&["x-api-key".into()], vec![], true).apply(&mut h);
        assert_eq!(h, headers());
    }

    #[test]
    fn body_fields_are_redacted_at_any_depth_the_pattern_says() {
        let redactor = fields(&["$.user.ssn", "$..token", "$.cards[*].number"]);
        let mut doc = json!({
            "user": {"ssn": "123", "name": "Ann"},
            "auth": {"inner": {"token": "t1"}},
            "cards": [{"number": "4111", "exp": "12/30"}],
            "token": "t0"
        });
        assert!(redactor.value(&mut doc));
        assert_eq!(
            doc,
            json!({
                "user": {"ssn": REDACTED, "name": "Ann"},
                "auth": {"inner": {"token": REDACTED}},
                "cards": [{"number": REDACTED, "exp": "12/30"}],
                "token": REDACTED
            })
        );
        let mut body = Body::Text(r#"{"user":{"ssn":"9"}}"#.into());
        redactor.body(&mut vec![], &mut body);
        assert_eq!(body, Body::Text(r#"{"user":{"ssn":"[redacted]"}}"#.into()));
    }

    fn json_response(encoding: Option<&str>, body: Vec<u8>) -> Response {
        let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
        if let Some(coding) = encoding {
            headers.push(("Content-Encoding".into(), coding.into()));
            headers.push(("content-length".into(), body.len().to_string()));
        }
        Response {
            status: 200,
            headers,
            body: Body::from_bytes(body),
        }
    }

    #[test]
    fn an_encoded_body_is_stored_decoded_with_its_fields_redacted() {
        use crate::compare::decode::tests::{brotli, gzip, zstd};
        let text = br#"{"token":"s3cret","n":1.50}"#;
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut zlib, text).unwrap();
        let redactor = fields(&["$.token"]);
        for (coding, bytes) in [
            ("gzip", gzip(text)),
            ("br", brotli(text)),
            ("zstd", zstd(text)),
            ("deflate", zlib.finish().unwrap()),
        ] {
            let mut response = json_response(Some(coding), bytes);
            redactor.response(&mut response);
            assert_eq!(
                response.body,
                Body::Text(r#"{"n":1.50,"token":"[redacted]"}"#.into()),
                "{coding}"
            );
            assert_eq!(
                response.headers,
                [
                    ("content-type".to_string(), "application/json".to_string()),
                    (DECODED_HEADER.to_string(), coding.to_string()),
                ],
                "{coding}"
            );
        }
        // Without fields to redact, the body is stored as it came.
        let mut kept = json_response(Some("gzip"), gzip(text));
        let before = kept.clone();
        Redactor::default().response(&mut kept);
        assert_eq!(kept, before);
    }

    #[test]
    fn fields_are_redacted_in_bodies_of_any_depth() {
        const LEVELS: usize = 10_000;
        let nest =
            |leaf: &str| format!("{}{leaf}{}", r#"{"a":"#.repeat(LEVELS), "}".repeat(LEVELS));
        let redactor = fields(&["$..token"]);
        let mut deep = json_response(None, nest(r#"{"token":"s3cret","n":1.50}"#).into_bytes());
        redactor.response(&mut deep);
        assert_eq!(
            deep.body,
            Body::Text(nest(r#"{"n":1.50,"token":"[redacted]"}"#))
        );
    }

    #[test]
    fn a_body_whose_fields_cannot_be_found_is_replaced_whole() {
        let redactor = fields(&["$.token"]);
        let mut broken = json_response(None, br#"{"token":"s3cret", "#.to_vec());
        redactor.response(&mut broken);
        assert_eq!(broken.body, Body::Text(REDACTED_BODY.into()));
        let mut undecodable = json_response(Some("gzip"), b"{\"token\":\"s3cret\"}".to_vec());
        redactor.response(&mut undecodable);
        assert_eq!(undecodable.body, Body::Text(REDACTED_BODY.into()));
        // Text that does not claim JSON is not JSON: no field in it.
        let mut text = Response {
            status: 200,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: Body::Text("token s3cret".into()),
        };
        redactor.response(&mut text);
        assert_eq!(text.body, Body::Text("token s3cret".into()));
    }

    #[test]
    fn excerpts_of_a_body_that_claims_json_but_does_not_parse_are_redacted() {
        let old = json_response(None, br#"{"token":"old-s3cret", "#.to_vec());
        let new = json_response(None, br#"{"token":"new-s3cret", "#.to_vec());
        let rules = crate::rules::RuleSet::builtin();
        let exchange = crate::model::Exchange::request_only("r1", "GET", "/o");
        let judged = crate::judge::judge(
            crate::judge::Pair {
                id: "r1",
                seq: 0,
                request: &exchange.request,
                old: Some(&old),
                new: Some(&new),
                noise: None,
            },
            &rules,
        );
        let crate::outcome::Outcome::Compared(comparison) = judged.outcome else {
            panic!("{:?}", judged.outcome)
        };
        let mut difference = comparison.differences[0].clone();
        assert!(
            format!("{difference:?}").contains("s3cret"),
            "the comparison sees the real text"
        );
        fields(&["$.token"]).difference_values(&mut difference);
        assert!(
            !format!("{difference:?}").contains("s3cret"),
            "{difference:?}"
        );
        assert_eq!(difference.old, Some(Value::String(REDACTED_BODY.into())));
    }

    #[test]
    fn differences_at_or_around_a_secret_place_lose_their_values() {
        let redactor = fields(&["$.user.ssn"]);
        let at = |steps: Vec<Step>, old: Value, new: Value| Difference {
            target: Target::Body(BodyPath(steps)),
            kind: Kind::Changed,
            old: Some(old),
            new: Some(new),
            note: None,
        };
        let mut exact = at(
            vec![Step::Key("user".into()), Step::Key("ssn".into())],
            json!("1"),
            json!("2"),
        );
        redactor.difference_values(&mut exact);
        assert_eq!(exact.old, Some(json!(REDACTED)));
        assert_eq!(exact.new, Some(json!(REDACTED)));
        let mut above = at(
            vec![Step::Key("user".into())],
            json!({"ssn": "1", "name": "a"}),
            json!(null),
        );
        redactor.difference_values(&mut above);
        assert_eq!(above.old, Some(json!({"ssn": REDACTED, "name": "a"})));
        let mut header = Difference {
            target: Target::Header("set-cookie".into()),
            kind: Kind::Changed,
            old: Some(json!("s=1")),
            new: Some(json!("s=2")),
            note: None,
        };
        redactor.difference_values(&mut header);
        assert_eq!(header.new, Some(json!(REDACTED)));
    }
}
