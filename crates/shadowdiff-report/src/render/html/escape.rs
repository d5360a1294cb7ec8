//! HTML escaping: every piece of text from a recording goes through [`escape`] before it
//! reaches the page, in element content and in attribute values alike.

/// `text` with `&`, `<`, `>`, `"` and `'` replaced by character references, safe in element
/// content and in quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A sentence of the report escaped, with its `backticked` parts set as code.
pub fn prose(text: &str) -> String {
    if text.matches('`').count() % 2 != 0 {
        return escape(text);
    }
    let mut out = String::with_capacity(text.len());
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str("<code>");
            out.push_str(&escape(part));
            out.push_str("</code>");
        } else {
            out.push_str(&escape(part));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_become_references() {
        assert_eq!(
            escape("<script>document.title='pwned'</script>"),
            "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;"
        );
        assert_eq!(
            escape(r#"<img src=x onerror="a&b">"#),
            "&lt;img src=x onerror=&quot;a&amp;b&quot;&gt;"
        );
    }

    #[test]
    fn references_are_escaped_again_and_plain_text_is_kept() {
        assert_eq!(escape("&lt;"), "&amp;lt;");
        assert_eq!(
            escape("GET /orders/{id} → 200 ✓"),
            "GET /orders/{id} → 200 ✓"
        );
        assert_eq!(escape(""), "");
    }

    #[test]
    fn prose_sets_backticks_as_code_and_still_escapes() {
        assert_eq!(
            prose("`body $.a<b> changed` in 5% <i>"),
            "<code>body $.a&lt;b&gt; changed</code> in 5% &lt;i&gt;"
        );
        assert_eq!(prose("odd ` <b>"), "odd ` &lt;b&gt;");
    }
}
