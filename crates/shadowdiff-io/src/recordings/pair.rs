//! The two lines of a pair that `diff` judges, parsed with their response bodies left as text
//! on the line until one is needed.
//!
//! Most pairs of a good migration answer with the same body, and decoding bodies (JSON inside
//! JSON is mostly escapes) was most of the cost of `diff`. When both responses' bodies are the
//! same `{"text": ..}` bytes on their lines, under the same content type and coding, they compare
//! equal under any rules: such bodies are checked but not decoded, and both responses are given
//! empty bodies, which compare exactly as the same bodies would (see
//! [`shadowdiff_core::same_type_and_coding`]). Two lines of the same bytes are read once. Every
//! other body is decoded from its text. A line this form cannot read goes through
//! [`parse_line`], so its error is `parse_line`'s.

use super::parse::{checked, parse_line, utf8_text, InputId};
use super::RawLine;
use crate::error::Result;
use shadowdiff_core::{same_type_and_coding, Body, Exchange, Response};

mod wire {
    //! An exchange as it may appear on input, with the response body borrowed as its JSON text.

    use std::collections::BTreeMap;

    use serde::Deserialize;
    use serde_json::value::RawValue;

    use super::InputId;
    use shadowdiff_core::{Headers, Request};

    #[derive(Deserialize)]
    pub(super) struct Exchange<'a> {
        #[serde(default)]
        pub id: Option<InputId>,
        #[serde(default)]
        pub ts: Option<String>,
        pub request: Request,
        #[serde(default, borrow)]
        pub response: Option<Response<'a>>,
        #[serde(default)]
        pub tags: BTreeMap<String, String>,
    }

    #[derive(Deserialize)]
    pub(super) struct Response<'a> {
        pub status: u16,
        #[serde(default)]
        pub headers: Headers,
        #[serde(default, borrow)]
        pub body: Option<&'a RawValue>,
    }
}

/// The old and the new exchange of a pair.
#[derive(Debug)]
pub struct ParsedPair {
    /// The exchange of A's line.
    pub old: Exchange,
    /// The exchange of B's line; `None` when B's line is the same bytes as A's, read once:
    /// `old` stands for both.
    pub new: Option<Exchange>,
    /// Whether the response bodies were the same text and were left out (empty on both sides).
    pub same_body_left_out: bool,
}

/// Parses the lines of a pair as [`parse_line`] would, except that response bodies that are the
/// same text on both lines are left out, and two lines of the same bytes are read once; errors
/// are `parse_line`'s, A's first.
pub fn parse_pair(a: &RawLine, b: &RawLine) -> Result<ParsedPair> {
    if a.bytes == b.bytes {
        if let Some(lean) = lean(a) {
            let plain = lean
                .response
                .as_ref()
                .and_then(|response| response.body)
                .is_some_and(|body| plain_text(body.get()));
            return Ok(ParsedPair {
                old: whole(lean, a, !plain)?,
                new: None,
                same_body_left_out: plain,
            });
        }
    }
    let (Some(old), Some(new)) = (lean(a), lean(b)) else {
        return Ok(ParsedPair {
            old: parse_line(a)?,
            new: Some(parse_line(b)?),
            same_body_left_out: false,
        });
    };
    let same = match (&old.response, &new.response) {
        (Some(x), Some(y)) => match (x.body, y.body) {
            (Some(left), Some(right)) => {
                left.get() == right.get()
                    && plain_text(left.get())
                    && same_type_and_coding(&x.headers, &y.headers)
            }
            _ => false,
        },
        _ => false,
    };
    Ok(ParsedPair {
        old: whole(old, a, !same)?,
        new: Some(whole(new, b, !same)?),
        same_body_left_out: same,
    })
}

/// The line in its lean form, or `None` when it is not an exchange object this form reads (the
/// full parse then says why).
fn lean(line: &RawLine) -> Option<wire::Exchange<'_>> {
    let text = utf8_text(line).ok()?;
    // Derived structs would also read a JSON array of the fields; `parse_line` refuses one.
    if !text.trim_start().starts_with('{') {
        return None;
    }
    serde_json::from_str(text).ok()
}

/// The exchange of a lean line, its response body decoded when `decode_body`.
fn whole(lean: wire::Exchange<'_>, line: &RawLine, decode_body: bool) -> Result<Exchange> {
    let response = match lean.response {
        None => None,
        Some(response) => {
            let body = match response.body {
                Some(raw) if decode_body => match serde_json::from_str::<Body>(raw.get()) {
                    Ok(body) => body,
                    // The full parse names the column and says what is wrong with the body.
                    Err(_) => return parse_line(line),
                },
                _ => Body::Empty,
            };
            Some(Response {
                status: response.status,
                headers: response.headers,
                body,
            })
        }
    };
    checked(
        Exchange {
            id: lean
                .id
                .map_or_else(|| line.fallback_id.clone(), |InputId(id)| id),
            ts: lean.ts,
            request: lean.request,
            response,
            tags: lean.tags,
        },
        line,
    )
}

/// Whether a body's JSON text (valid JSON: the lean parse read it) is `{"text": ".."}` whose
/// string has no `\uD800`-`\uDFFF` escape: such a body decodes without error, so two of them
/// with the same text are the same body. A surrogate escape (valid only as a pair, which the
/// decoder checks), base64, an escaped key or a second key are left to the decoder.
fn plain_text(raw: &str) -> bool {
    let Some(string) = skip_space(raw.as_bytes())
        .strip_prefix(b"{")
        .map(skip_space)
        .and_then(|rest| rest.strip_prefix(b"\"text\""))
        .map(skip_space)
        .and_then(|rest| rest.strip_prefix(b":"))
        .map(skip_space)
        .and_then(|rest| rest.strip_prefix(b"\""))
    else {
        return false;
    };
    let mut at = 0;
    loop {
        let Some(found) = memchr::memchr2(b'"', b'\\', &string[at..]) else {
            return false;
        };
        at += found;
        if string[at] == b'"' {
            return skip_space(&string[at + 1..])
                .strip_prefix(b"}")
                .is_some_and(|rest| skip_space(rest).is_empty());
        }
        match string.get(at + 1) {
            Some(b'u') => {
                let Some(&[high, next, ..]) = string.get(at + 2..at + 6) else {
                    return false;
                };
                if matches!(high, b'd' | b'D')
                    && matches!(next, b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F')
                {
                    return false;
                }
                at += 6;
            }
            Some(_) => at += 2,
            None => return false,
        }
    }
}

/// `bytes` without the JSON whitespace it starts with.
fn skip_space(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .unwrap_or(bytes.len());
    &bytes[start..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use shadowdiff_core::Location;

    fn raw(text: &str, line: u64) -> RawLine {
        RawLine {
            bytes: text.as_bytes().to_vec(),
            location: Location::line("recs/a.jsonl", line),
            fallback_id: line.to_string(),
        }
    }

    fn exchange(body: &str, content_type: &str) -> String {
        format!(
            r#"{{"id":"r1","request":{{"method":"GET","url":"/a"}},"response":{{"status":200,"headers":[["content-type","{content_type}"]],"body":{body}}}}}"#
        )
    }

    fn pair(a: &str, b: &str) -> Result<ParsedPair> {
        parse_pair(&raw(a, 1), &raw(b, 2))
    }

    #[test]
    fn the_same_body_text_is_left_out_and_anything_else_is_decoded_as_parse_line_does() {
        let body = r#"{"text":"{\"a\":[1,2],\"b\":\"\u00e9\"}"}"#;
        let line = exchange(body, "application/json");
        let full = parse_line(&raw(&line, 1)).unwrap();
        let mut without_body = full.clone();
        without_body.response.as_mut().unwrap().body = Body::Empty;
        let ParsedPair {
            old: same,
            new: None,
            same_body_left_out: true,
        } = pair(&line, &line).unwrap()
        else {
            panic!("the same line is read once");
        };
        assert_eq!(same, without_body);
        let other_status = line.replace(r#""status":200"#, r#""status":201"#);
        let ParsedPair {
            old,
            new: Some(new),
            same_body_left_out: true,
        } = pair(&line, &other_status).unwrap()
        else {
            panic!("the same body under the same type is left out");
        };
        assert_eq!(old, without_body);
        let new = new.response.unwrap();
        assert_eq!((new.status, new.body), (201, Body::Empty));

        let surrogates = r#"{ "text" : "\ud83d\ude00" }"#;
        for (a, b) in [
            (
                line.clone(),
                exchange(r#"{"text":"{\"a\":[1,3]}"}"#, "application/json"),
            ),
            (line.clone(), exchange(body, "text/plain")),
            (
                exchange(r#"{"base64":"YQ=="}"#, "x/y"),
                exchange(r#"{"base64":"YQ=="}"#, "x/z"),
            ),
            (exchange(surrogates, "t/p"), exchange(surrogates, "t/q")),
            (exchange("null", "t/p"), exchange("null", "t/q")),
        ] {
            let ParsedPair {
                old,
                new: Some(new),
                same_body_left_out: false,
            } = pair(&a, &b).unwrap()
            else {
                panic!("{a} and {b} are decoded");
            };
            assert_eq!(old, parse_line(&raw(&a, 1)).unwrap(), "{a}");
            assert_eq!(new, parse_line(&raw(&b, 2)).unwrap(), "{b}");
        }
        for decoded in [r#"{"base64":"YQ=="}"#, surrogates] {
            let line = exchange(decoded, "x/y");
            let ParsedPair {
                old: same,
                new: None,
                same_body_left_out: false,
            } = pair(&line, &line).unwrap()
            else {
                panic!("the same line is read once, its body decoded");
            };
            assert_eq!(same, parse_line(&raw(&line, 1)).unwrap(), "{line}");
        }
    }

    #[test]
    fn errors_are_parse_lines_even_in_a_body_both_sides_share() {
        let good = exchange(r#"{"text":"x"}"#, "t/p");
        for bad in [
            exchange(r#"{"text":"\ud800"}"#, "t/p"),
            exchange(r#"{"text":"a","base64":"YQ=="}"#, "t/p"),
            exchange(r#"{"base64":"!!"}"#, "t/p"),
            exchange(r#"{"html":"x"}"#, "t/p"),
            r#" ["r1",null,{"method":"GET","url":"/"}]"#.to_string(),
            r#"{"request":{"method":"GE T","url":"/"}}"#.to_string(),
            r#"{"id":"r1","#.to_string(),
        ] {
            let in_b = parse_line(&raw(&bad, 2)).unwrap_err().to_string();
            assert_eq!(pair(&good, &bad).unwrap_err().to_string(), in_b, "{bad}");
            let in_a = parse_line(&raw(&bad, 1)).unwrap_err().to_string();
            assert_eq!(pair(&bad, &bad).unwrap_err().to_string(), in_a, "{bad}");
            assert_eq!(pair(&bad, &good).unwrap_err().to_string(), in_a, "{bad}");
        }
    }

    #[test]
    fn plain_text_bodies_are_told_apart_from_what_only_the_decoder_can_judge() {
        for (body, plain) in [
            (r#"{"text":"a\"b\\"}"#, true),
            (" {\n\"text\" :\t\"\" } ", true),
            (r#"{"text":"\u00e9\u0041"}"#, true),
            (r#"{"text":"\uD83D\uDE00"}"#, false),
            (r#"{"text":"\udfff"}"#, false),
            (r#"{"text":"a","base64":"YQ=="}"#, false),
            (r#"{"te\u0078t":"a"}"#, false),
            (r#"{"base64":"YQ=="}"#, false),
            ("null", false),
        ] {
            assert_eq!(plain_text(body), plain, "{body}");
        }
    }
    /// A body's text as a recording may hold it: escapes of every kind, raw and escaped
    /// non-ASCII, surrogate pairs and lone surrogates, control characters left raw.
    fn body_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("a".to_string()),
            Just(r#"\""#.to_string()),
            Just(r"\\".to_string()),
            Just(r"\n".to_string()),
            Just(r"\u00e9".to_string()),
            Just("é".to_string()),
            Just(r"\ud83d\ude00".to_string()),
            Just(r"\ud800".to_string()),
            Just(r"\udc00x".to_string()),
            Just("\u{1}".to_string()),
            Just(r"\x".to_string()),
        ];
        proptest::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        /// Whatever the two lines hold, `parse_pair` reads what `parse_line` reads of each, or
        /// fails as it does; it leaves bodies out only where they are the same text under the
        /// same content type and coding, and reads once only lines of the same bytes.
        #[test]
        fn parse_pair_reads_what_parse_line_reads(
            a in body_text(),
            b in body_text(),
            same_text in any::<bool>(),
            types in (0..3usize, 0..3usize),
            base64 in any::<bool>(),
        ) {
            let kinds = ["application/json", "text/plain", "application/json; charset=utf-8"];
            let b = if same_text { a.clone() } else { b };
            let body = |text: &str| if base64 {
                format!(r#"{{"base64":"{}"}}"#, text.replace('\\', ""))
            } else {
                format!(r#"{{"text":"{text}"}}"#)
            };
            let left = exchange(&body(&a), kinds[types.0]);
            let right = exchange(&body(&b), kinds[types.1]);
            let expected = (parse_line(&raw(&left, 1)), parse_line(&raw(&right, 2)));
            match (pair(&left, &right), expected) {
                (Ok(parsed), (Ok(mut old), Ok(mut new))) => {
                    prop_assert_eq!(parsed.new.is_none(), left == right);
                    if parsed.same_body_left_out {
                        prop_assert_eq!(&old.response.as_ref().unwrap().body, &new.response.as_ref().unwrap().body);
                        prop_assert_eq!(kinds[types.0], kinds[types.1]);
                        old.response.as_mut().unwrap().body = Body::Empty;
                        new.response.as_mut().unwrap().body = Body::Empty;
                    }
                    prop_assert_eq!(&parsed.old, &old);
                    prop_assert_eq!(parsed.new.as_ref().unwrap_or(&parsed.old), &new);
                }
                (Err(err), (Err(first), _)) | (Err(err), (Ok(_), Err(first))) => {
                    prop_assert_eq!(err.to_string(), first.to_string());
                }
                (got, expected) => prop_assert!(false, "parse_pair {got:?}, parse_line {expected:?}"),
            }
        }
    }
}
