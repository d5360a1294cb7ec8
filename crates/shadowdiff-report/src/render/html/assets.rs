//! The page's one stylesheet and one script, inlined into every report, and the hash that the
//! Content-Security-Policy allows the script by.

/// The stylesheet.
pub const STYLE: &str = include_str!("style.css");

/// The script: wires the filters and marks the page ready (`data-ready="1"`).
pub const SCRIPT: &str = include_str!("script.js");

/// The base64 SHA-256 of [`SCRIPT`]: no other script may run, whatever a recording holds.
/// After changing script.js: `openssl dgst -sha256 -binary script.js | base64`.
pub const SCRIPT_SHA256: &str = "k86cdOh99haziVQCQxuyYZh2qMd6GUFCOe8O4jPcbCY=";

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use sha2::{Digest as _, Sha256};

    use super::*;

    #[test]
    fn the_policy_hash_is_the_scripts() {
        let digest = Sha256::digest(SCRIPT.as_bytes());
        let encoded = base64::engine::general_purpose::STANDARD.encode(digest);
        assert_eq!(encoded, SCRIPT_SHA256);
    }

    #[test]
    fn the_script_and_style_cannot_close_their_element() {
        assert!(!SCRIPT.to_ascii_lowercase().contains("</script"));
        assert!(!STYLE.to_ascii_lowercase().contains("</style"));
    }
}
