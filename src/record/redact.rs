//! Secret header values replaced before an exchange reaches disk.

use crate::model::Headers;

/// The headers whose values are always redacted unless `--keep-secrets`.
pub const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "cookie",
    "set-cookie",
    "proxy-authorization",
];

/// What a redacted value is written as.
pub const REDACTED: &str = "[redacted]";

/// Replaces the values of secret headers in recorded headers.
#[derive(Clone, Debug)]
pub struct Redactor {
    /// Lower-case names redacted; empty when secrets are kept.
    names: Vec<String>,
}

impl Redactor {
    /// Redacts [`SECRET_HEADERS`] and `extra`, or nothing when `keep_secrets`.
    pub fn new(extra: &[String], keep_secrets: bool) -> Redactor {
        let names = if keep_secrets {
            Vec::new()
        } else {
            SECRET_HEADERS
                .iter()
                .map(|name| name.to_string())
                .chain(extra.iter().map(|name| name.to_ascii_lowercase()))
                .collect()
        };
        Redactor { names }
    }

    /// Replaces the value of every header named in the list with `[redacted]`.
    pub fn apply(&self, headers: &mut Headers) {
        for (name, value) in headers.iter_mut() {
            if self
                .names
                .iter()
                .any(|secret| secret.eq_ignore_ascii_case(name))
            {
                *value = REDACTED.to_string();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers() -> Headers {
        vec![
            ("Authorization".into(), "Bearer x".into()),
            ("accept".into(), "*/*".into()),
            ("x-api-key".into(), "k".into()),
            ("cookie".into(), "a=1".into()),
        ]
    }

    #[test]
    fn secrets_and_extra_names_are_redacted() {
        let mut h = headers();
        Redactor::new(&["X-Api-Key".into()], false).apply(&mut h);
        let values: Vec<&str> = h.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(values, [REDACTED, "*/*", REDACTED, REDACTED]);
    }

    #[test]
    fn keep_secrets_keeps_everything() {
        let mut h = headers();
        Redactor::new(&["x-api-key".into()], true).apply(&mut h);
        assert_eq!(h, headers());
    }
}
