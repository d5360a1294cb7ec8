//! Reproduction commands: a sample's request as a `curl` command line against a target, with
//! the secrets already redacted in the report (so a redacted header shows as `[redacted]`).

use shadowdiff_core::{Body, Request};

/// Headers curl sets itself, or that belong to the original connection.
const LEFT_OUT: &[&str] = &["host", "content-length", "connection", "transfer-encoding"];

/// The command for `request` against `base` (a base URL), or against the shell variable
/// `variable` (`OLD_URL`) when the target has no fixed address.
pub fn command(request: &Request, base: Option<&str>, variable: &str) -> String {
    let url = match base {
        Some(base) => quote(&format!("{}{}", base.trim_end_matches('/'), request.url)),
        None => format!("\"${{{variable}}}\"{}", quote(&request.url)),
    };
    let mut parts = vec!["curl -sS -i".to_string()];
    if request.method != "GET" {
        parts.push(format!("-X {}", quote(&request.method)));
    }
    parts.push(url);
    for (name, value) in &request.headers {
        if LEFT_OUT.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            continue;
        }
        parts.push(format!("-H {}", quote(&format!("{name}: {value}"))));
    }
    match &request.body {
        Body::Empty => {}
        Body::Text(text) => parts.push(format!("--data-binary {}", quote(text))),
        Body::Binary(bytes) => parts.push(format!(
            "--data-binary @body.bin  # a binary body of {} bytes, in outcomes.jsonl.zst",
            bytes.len()
        )),
    }
    parts.join(" ")
}

/// A POSIX shell word: as is when every character is plain, else single-quoted (`?` globs and
/// `&` ends the command, so a query string is quoted).
///
/// Not `shlex::try_quote`: it double-quotes a word holding `'` or `\` (`"x-note: it's"`),
/// quotes `=`, `%` and `,`, leaves `]` bare and refuses NUL, so the reproduce commands in
/// reports would change; this keeps them as they are, always in single quotes.
fn quote(text: &str) -> String {
    let safe = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=%+,@".contains(c));
    if safe {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, body: Body) -> Request {
        Request {
            method: method.into(),
            url: "/orders/1?q=a b".into(),
            headers: vec![
                ("Host".into(), "prod".into()),
                ("authorization".into(), "[redacted]".into()),
                ("x-note".into(), "it's".into()),
            ],
            body,
        }
    }

    #[test]
    fn get_against_a_fixed_base() {
        assert_eq!(
            command(
                &request("GET", Body::Empty),
                Some("http://127.0.0.1:8081/"),
                "OLD_URL"
            ),
            "curl -sS -i 'http://127.0.0.1:8081/orders/1?q=a b' -H 'authorization: [redacted]' \
             -H 'x-note: it'\\''s'"
        );
    }

    #[test]
    fn query_strings_are_quoted() {
        let request = Request {
            method: "GET".into(),
            url: "/flights/search?from=VIE&to=CPH".into(),
            headers: vec![],
            body: Body::Empty,
        };
        assert_eq!(
            command(&request, None, "OLD_URL"),
            "curl -sS -i \"${OLD_URL}\"'/flights/search?from=VIE&to=CPH'"
        );
    }

    #[test]
    fn post_against_a_variable() {
        assert_eq!(
            command(
                &request("POST", Body::Text("{\"a\":1}".into())),
                None,
                "NEW_URL"
            ),
            "curl -sS -i -X POST \"${NEW_URL}\"'/orders/1?q=a b' -H 'authorization: [redacted]' \
             -H 'x-note: it'\\''s' --data-binary '{\"a\":1}'"
        );
    }
}
