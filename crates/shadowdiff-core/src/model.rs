//! The data every stage passes along: captured exchanges, their requests and responses.
//!
//! These types are also the native recording format (README, "Recordings"): one [`Exchange`] a JSON line,
//! headers as ordered `[name, value]` pairs, bodies as `null`, `{"text": ..}` or `{"base64": ..}`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use base64::Engine as _;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// Header pairs in the order they were captured; repeated names are kept.
pub type Headers = Vec<(String, String)>;

/// One captured request with, where it was captured, its production response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    /// Unique within a recording; readers fill in the line number where the input has none.
    pub id: String,
    /// When the exchange was captured, as written by the capturing tool (RFC 3339 by convention).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<String>,
    /// What the client sent.
    pub request: Request,
    /// What production answered; absent for request-only captures and failed calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Response>,
    /// Free-form labels (source, region, ...) used by filters.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

impl Exchange {
    /// An exchange of a request without headers or body and no recorded response: where a
    /// caller building exchanges in code (and every test) starts.
    pub fn request_only(id: &str, method: &str, url: &str) -> Exchange {
        Exchange {
            id: id.into(),
            ts: None,
            request: Request {
                method: method.into(),
                url: url.into(),
                headers: vec![],
                body: Body::Empty,
            },
            response: None,
            tags: BTreeMap::new(),
        }
    }
}

/// A captured HTTP request; `url` is the path and query (`/orders/1?expand=items`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The HTTP method as captured (`GET`, `POST`, ...).
    pub method: String,
    /// Path and query string, without scheme and host.
    pub url: String,
    /// Request headers in captured order.
    #[serde(default)]
    pub headers: Headers,
    /// The request body.
    #[serde(default)]
    pub body: Body,
}

#[cfg(test)]
impl Request {
    /// A POST to `url` with these headers and this body (none when empty), for tests.
    pub(crate) fn post(url: &str, headers: &[(&str, &str)], body: &str) -> Request {
        Request {
            method: "POST".into(),
            url: url.into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: if body.is_empty() {
                Body::Empty
            } else {
                Body::Text(body.into())
            },
        }
    }
}

/// A captured or replayed HTTP response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// Response headers in the order they were received.
    #[serde(default)]
    pub headers: Headers,
    /// The response body, still content-encoded if it was on the wire.
    #[serde(default)]
    pub body: Body,
}

impl Request {
    /// The path part of `url`, without the query string or fragment.
    pub fn path(&self) -> &str {
        let end = self.url.find(['?', '#']).unwrap_or(self.url.len());
        &self.url[..end]
    }
}

/// Looks up the first header with `name`, compared case-insensitively.
pub fn header<'a>(headers: &'a Headers, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A message body. Text when it is valid UTF-8, bytes otherwise, so nothing is lost.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Body {
    /// No body was sent or captured (`null`).
    #[default]
    Empty,
    /// A UTF-8 body (`{"text": ..}`).
    Text(String),
    /// Any other body (`{"base64": ..}`).
    Binary(Vec<u8>),
}

impl Body {
    /// Builds the most readable faithful body for these bytes: text when valid UTF-8.
    pub fn from_bytes(bytes: Vec<u8>) -> Body {
        if bytes.is_empty() {
            return Body::Empty;
        }
        match String::from_utf8(bytes) {
            Ok(text) => Body::Text(text),
            Err(err) => Body::Binary(err.into_bytes()),
        }
    }

    /// The raw bytes of the body (empty for [`Body::Empty`]).
    pub fn bytes(&self) -> &[u8] {
        match self {
            Body::Empty => &[],
            Body::Text(text) => text.as_bytes(),
            Body::Binary(bytes) => bytes,
        }
    }

    /// The body as text, replacing invalid UTF-8, for display only.
    pub fn lossy_text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.bytes())
    }

    /// The number of bytes in the body.
    pub fn len(&self) -> usize {
        self.bytes().len()
    }

    /// Whether the body has no bytes.
    pub fn is_empty(&self) -> bool {
        self.bytes().is_empty()
    }
}

impl Serialize for Body {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Body::Empty => serializer.serialize_none(),
            Body::Text(text) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("text", text)?;
                map.end()
            }
            Body::Binary(bytes) => {
                let mut map = serializer.serialize_map(Some(1))?;
                let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
                map.serialize_entry("base64", &encoded)?;
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Body {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Body, D::Error> {
        deserializer.deserialize_option(BodyVisitor)
    }
}

struct BodyVisitor;

impl<'de> Visitor<'de> for BodyVisitor {
    type Value = Body;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(r#"null, {"text": "..."} or {"base64": "..."}"#)
    }

    fn visit_none<E: de::Error>(self) -> Result<Body, E> {
        Ok(Body::Empty)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Body, E> {
        Ok(Body::Empty)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Body, D::Error> {
        deserializer.deserialize_map(BodyVisitor)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Body, A::Error> {
        let Some(key) = map.next_key::<Cow<'de, str>>()? else {
            return Err(de::Error::custom(
                r#"empty body object: expected {"text": ..} or {"base64": ..}"#,
            ));
        };
        let body = match key.as_ref() {
            "text" => Body::Text(map.next_value::<String>()?),
            "base64" => {
                let encoded = map.next_value::<Cow<'de, str>>()?;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(encoded.as_bytes())
                    .map_err(|err| de::Error::custom(format!("body is not valid base64: {err}")))?;
                Body::Binary(bytes)
            }
            other => {
                return Err(de::Error::custom(format!(
                    r#"unknown body key `{other}`: expected "text" or "base64""#
                )))
            }
        };
        if let Some(extra) = map.next_key::<Cow<'de, str>>()? {
            return Err(de::Error::custom(format!(
                "body has a second key `{extra}`: a body is either text or base64"
            )));
        }
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_round_trip_through_json() {
        for body in [
            Body::Empty,
            Body::Text("héllo\n".into()),
            Body::Binary(vec![0, 159, 146, 150, 255]),
        ] {
            let json = serde_json::to_string(&body).unwrap();
            let back: Body = serde_json::from_str(&json).unwrap();
            assert_eq!(back, body, "{json}");
        }
        assert_eq!(serde_json::to_string(&Body::Empty).unwrap(), "null");
    }

    #[test]
    fn bad_bodies_are_rejected_with_a_reason() {
        let err = serde_json::from_str::<Body>(r#"{"base64":"!!!"}"#).unwrap_err();
        assert!(err.to_string().contains("not valid base64"), "{err}");
        let err = serde_json::from_str::<Body>(r#"{"html":"x"}"#).unwrap_err();
        assert!(err.to_string().contains("unknown body key `html`"), "{err}");
        let err = serde_json::from_str::<Body>(r#"{"text":"a","base64":"YQ=="}"#).unwrap_err();
        assert!(err.to_string().contains("second key"), "{err}");
    }

    #[test]
    fn request_path_drops_query_and_fragment() {
        let request = Request {
            method: "GET".into(),
            url: "/orders/1?expand=items#top".into(),
            headers: vec![],
            body: Body::Empty,
        };
        assert_eq!(request.path(), "/orders/1");
    }
}
