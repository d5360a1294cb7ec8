//! What an exchange must be to be replayed and compared, checked as it is read, whatever the
//! reader (native, HAR, GoReplay): bad input is refused with its file and line rather than sent
//! or compared as something else.
//!
//! - the method is an RFC 9110 token (`GET`, `PROPFIND`; not `GE T`, not empty);
//! - the URL is a path (`/orders/1?x=2`), an absolute `http://` or `https://` URL (its path and
//!   query are replayed), or `*` for `OPTIONS`;
//! - a recorded status is 100 to 599;
//! - `ts`, when present, is an RFC 3339 time (`2026-11-20T10:00:00Z`, `...10:00:00.5+01:00`).

use std::time::SystemTime;

use shadowdiff_core::Exchange;

/// Why `exchange` cannot be used, or `None` when it can.
pub(crate) fn problem(exchange: &Exchange) -> Option<String> {
    let request = &exchange.request;
    if http::Method::from_bytes(request.method.as_bytes()).is_err() {
        return Some(format!(
            "request method {:?} is not an HTTP method (a token such as GET or PROPFIND)",
            request.method
        ));
    }
    if !is_request_target(&request.method, &request.url) {
        return Some(format!(
            "request url {:?} is neither a path starting with `/` nor an absolute http(s) URL",
            request.url
        ));
    }
    if let Some(response) = &exchange.response {
        if !(100..=599).contains(&response.status) {
            return Some(format!(
                "response status {} is not an HTTP status (100 to 599)",
                response.status
            ));
        }
    }
    if let Some(ts) = &exchange.ts {
        if rfc3339(ts).is_none() {
            return Some(format!(
                "ts {ts:?} is not an RFC 3339 time such as 2026-11-20T10:00:00Z"
            ));
        }
    }
    None
}

/// Whether `url` can be replayed: a path, an absolute http(s) URL with a host, or `*` for
/// `OPTIONS`.
fn is_request_target(method: &str, url: &str) -> bool {
    if url.starts_with('/') {
        return true;
    }
    if url == "*" {
        return method == "OPTIONS";
    }
    let scheme = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (scheme.starts_with("http://") || scheme.starts_with("https://"))
        && url::Url::parse(url).is_ok_and(|parsed| parsed.host().is_some())
}

/// The time an RFC 3339 text denotes (`T` or `t`, `Z`, `z` or a `+hh:mm` / `-hh:mm` offset).
fn rfc3339(text: &str) -> Option<SystemTime> {
    let (local, offset) = match text.as_bytes().last()? {
        b'Z' | b'z' => (&text[..text.len() - 1], 0i64),
        _ => {
            let split = text.len().checked_sub(6)?;
            let (local, offset) = (text.get(..split)?, text.get(split..)?.as_bytes());
            let sign = match offset[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits = |pair: &[u8]| -> Option<i64> {
                let text = std::str::from_utf8(pair).ok()?;
                text.bytes()
                    .all(|b| b.is_ascii_digit())
                    .then(|| text.parse().ok())?
            };
            let (hours, minutes) = (digits(&offset[1..3])?, digits(&offset[4..6])?);
            if offset[3] != b':' || hours > 23 || minutes > 59 {
                return None;
            }
            (local, sign * (hours * 3600 + minutes * 60))
        }
    };
    if !matches!(local.as_bytes().get(10), Some(b'T' | b't')) {
        return None;
    }
    let utc = humantime::parse_rfc3339(&format!("{}T{}Z", &local[..10], &local[11..])).ok()?;
    let shift = std::time::Duration::from_secs(offset.unsigned_abs());
    if offset >= 0 {
        utc.checked_sub(shift)
    } else {
        utc.checked_add(shift)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shadowdiff_core::{Body, Response};

    fn exchange(method: &str, url: &str) -> Exchange {
        Exchange::request_only("r1", method, url)
    }

    #[test]
    fn methods_are_tokens() {
        for method in ["GET", "PROPFIND", "M-SEARCH", "get"] {
            assert_eq!(problem(&exchange(method, "/")), None, "{method}");
        }
        for method in ["GE T", "", "GET\n", "Ä"] {
            let problem = problem(&exchange(method, "/")).expect(method);
            assert!(problem.contains("is not an HTTP method"), "{problem}");
        }
    }

    #[test]
    fn urls_are_paths_absolute_http_urls_or_the_asterisk_of_options() {
        for (method, url) in [
            ("GET", "/"),
            ("GET", "/a?b=1"),
            ("GET", "http://h/a"),
            ("GET", "HTTPS://h:8443"),
            ("OPTIONS", "*"),
        ] {
            assert_eq!(problem(&exchange(method, url)), None, "{url}");
        }
        for (method, url) in [
            ("GET", ""),
            ("GET", "orders/1"),
            ("GET", "?q=1"),
            ("GET", "ftp://h/a"),
            ("GET", "http://"),
            ("GET", "*"),
        ] {
            let problem = problem(&exchange(method, url)).expect(url);
            assert!(problem.contains("request url"), "{problem}");
        }
    }

    #[test]
    fn statuses_are_100_to_599() {
        for (status, ok) in [
            (100, true),
            (599, true),
            (99, false),
            (600, false),
            (999, false),
        ] {
            let mut exchange = exchange("GET", "/");
            exchange.response = Some(Response {
                status,
                headers: Vec::new(),
                body: Body::Empty,
            });
            assert_eq!(problem(&exchange).is_none(), ok, "{status}");
        }
    }

    #[test]
    fn timestamps_are_rfc3339() {
        for ts in [
            "2026-11-20T10:00:00Z",
            "2026-11-20t10:00:00.123456789z",
            "2023-03-29T16:58:59.303-07:00",
            "2024-02-29T00:00:00+14:00",
        ] {
            assert!(rfc3339(ts).is_some(), "{ts}");
        }
        assert_eq!(
            rfc3339("2023-03-29T16:58:59-07:00"),
            rfc3339("2023-03-29T23:58:59Z")
        );
        for ts in [
            "yesterday",
            "",
            "2026-11-20",
            "2026-11-20 10:00:00Z",
            "2026-11-20T10:00:00",
            "2026-02-30T10:00:00Z",
            "2026-11-20T25:00:00Z",
            "2026-11-20T10:00:00+1:00",
            "2026-11-20T10:00:00+01:60",
            "2026-11-20T10:00:00+0100",
        ] {
            assert!(rfc3339(ts).is_none(), "{ts}");
        }
        let mut dated = exchange("GET", "/");
        dated.ts = Some("yesterday".into());
        assert!(problem(&dated).unwrap().contains("RFC 3339"));
    }
}
