//! Request headers on their way to a target: hop-by-hop headers dropped, `Host` replaced unless
//! preserved, and the target's configured edits applied, with `${ENV_VAR}` expanded once at start.

use std::env::VarError;

use hyper::header::{HeaderName, HeaderValue};

use super::HeaderEdits;
use crate::client::HOP_BY_HOP;
use shadowdiff_core::Headers;

/// Whether `name` is a hop-by-hop header, or an HTTP/2 pseudo-header (`:authority`, as HAR
/// exports from browsers contain) that is not a header at all on the wire.
pub fn is_hop_by_hop(name: &str) -> bool {
    name.starts_with(':') || HOP_BY_HOP.iter().any(|hop| hop.eq_ignore_ascii_case(name))
}

/// A target's header edits, checked and with environment variables expanded.
#[derive(Clone, Debug, Default)]
pub struct Edits {
    /// Headers to set, lower-case names, in name order.
    set: Vec<(String, String)>,
    /// Lower-case names of headers to remove.
    remove: Vec<String>,
}

impl Edits {
    /// Checks the configured names and values and expands `${ENV_VAR}` in the values. The error
    /// names the header and the reason, never the (possibly secret) value.
    pub fn compile(edits: &HeaderEdits) -> Result<Edits, String> {
        let mut set = Vec::with_capacity(edits.set.len());
        for (name, value) in &edits.set {
            let name = check_name(name, "headers.set")?;
            let value = expand_env(value).map_err(|err| format!("headers.set `{name}`: {err}"))?;
            if HeaderValue::from_str(&value).is_err() {
                return Err(format!(
                    "headers.set `{name}`: the value is not a valid header value \
                     (control characters or line breaks)"
                ));
            }
            set.push((name, value));
        }
        let remove = edits
            .remove
            .iter()
            .map(|name| check_name(name, "headers.remove"))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Edits { set, remove })
    }

    /// The headers to send for `recorded`: hop-by-hop headers dropped when `strip_hop_by_hop`,
    /// `host` dropped unless `keep_host`, removed and set names dropped, then the set headers
    /// appended. Recorded order and repeats are otherwise kept.
    pub fn apply(&self, recorded: &Headers, strip_hop_by_hop: bool, keep_host: bool) -> Headers {
        let dropped = |name: &str| {
            (strip_hop_by_hop && is_hop_by_hop(name))
                || (!keep_host && name.eq_ignore_ascii_case("host"))
                || self.remove.iter().any(|r| r.eq_ignore_ascii_case(name))
                || self.set.iter().any(|(s, _)| s.eq_ignore_ascii_case(name))
        };
        recorded
            .iter()
            .filter(|(name, _)| !dropped(name))
            .cloned()
            .chain(self.set.iter().cloned())
            .collect()
    }
}

fn check_name(name: &str, key: &str) -> Result<String, String> {
    match HeaderName::from_bytes(name.as_bytes()) {
        Ok(parsed) => Ok(parsed.as_str().to_owned()),
        Err(_) => Err(format!("{key}: `{name}` is not a valid header name")),
    }
}

/// Replaces every `${NAME}` in `value` with the environment variable `NAME`. A variable that is
/// not set (or not UTF-8) is an error naming it; `$` without `{` is kept as it is.
pub fn expand_env(value: &str) -> Result<String, String> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err("`${` without a closing `}`".to_owned());
        };
        let name = &after[..end];
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(format!(
                "`${{{name}}}` is not a valid environment variable name"
            ));
        }
        match std::env::var(name) {
            Ok(found) => out.push_str(&found),
            Err(VarError::NotPresent) => {
                return Err(format!("environment variable `{name}` is not set"))
            }
            Err(VarError::NotUnicode(_)) => {
                return Err(format!("environment variable `{name}` is not valid UTF-8"))
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Headers {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn env_variables_expand_and_missing_ones_are_named() {
        std::env::set_var("SHADOWDIFF_HEADERS_TEST_TOKEN", "s3cret");
        assert_eq!(
            expand_env("Bearer ${SHADOWDIFF_HEADERS_TEST_TOKEN}!").unwrap(),
            "Bearer s3cret!"
        );
        assert_eq!(expand_env("cost $5 {x}").unwrap(), "cost $5 {x}");
        let err = expand_env("${SHADOWDIFF_HEADERS_TEST_MISSING}").unwrap_err();
        assert!(err.contains("SHADOWDIFF_HEADERS_TEST_MISSING"), "{err}");
        assert!(expand_env("${OPEN").unwrap_err().contains("closing"));
        assert!(expand_env("${1X}").unwrap_err().contains("not a valid"));
    }

    #[test]
    fn hop_by_hop_host_and_edits_are_applied_in_order() {
        let mut config = HeaderEdits::default();
        config.set.insert("X-Token".into(), "t".into());
        config.remove.push("Cookie".into());
        let edits = Edits::compile(&config).unwrap();
        let recorded = pairs(&[
            ("Host", "prod"),
            ("accept", "a"),
            ("Connection", "keep-alive"),
            ("cookie", "c"),
            ("x-token", "old"),
            (":authority", "prod"),
            ("accept", "b"),
            ("Content-Length", "3"),
        ]);
        let sent = edits.apply(&recorded, true, false);
        assert_eq!(
            sent,
            pairs(&[("accept", "a"), ("accept", "b"), ("x-token", "t")])
        );
        let kept = edits.apply(&recorded, true, true);
        assert_eq!(kept[0], ("Host".to_string(), "prod".to_string()));
        let raw = edits.apply(&recorded, false, true);
        assert!(raw.iter().any(|(n, _)| n == "Connection"));
    }

    #[test]
    fn bad_names_and_values_are_configuration_errors() {
        let mut config = HeaderEdits::default();
        config.set.insert("bad name".into(), "v".into());
        assert!(Edits::compile(&config).unwrap_err().contains("`bad name`"));
        let mut config = HeaderEdits::default();
        config.set.insert("x".into(), "a\nb".into());
        let err = Edits::compile(&config).unwrap_err();
        assert!(err.contains("not a valid header value"), "{err}");
        let mut config = HeaderEdits::default();
        config.remove.push("".into());
        assert!(Edits::compile(&config).is_err());
    }
}
