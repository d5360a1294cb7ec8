//! Where the body of a raw HTTP/1.x message ends, decided as Go's net/http decides it (RFC 9112
//! §6.3), so that a GoReplay record holding more than one message, or less than its head
//! promises, is found out instead of being kept as one body.
//!
//! - A response to HEAD, or with status 1xx, 204 or 304, has no body.
//! - A message whose last transfer coding is `chunked` is chunked: chunk-size lines end in CRLF
//!   or a bare LF, as Go (before 1.23.8 and 1.24.2) and the tools that rewrite captures accept;
//!   chunk extensions (`;name=value`) and trailer fields are read and dropped; the data of each
//!   chunk is followed by CRLF or LF; the trailer section ends with an empty line.
//! - Otherwise `Content-Length` (repeated only with one value, digits only) gives the length,
//!   and a body shorter than it is an error.
//! - Otherwise a request has no body and a response's body runs to the end of the record.

use shadowdiff_core::Headers;

/// How the body of one message is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body, whatever the headers say.
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Everything up to the end of the record (a response closing its connection).
    ToEnd,
}

/// What a message is, as far as its framing goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A request.
    Request,
    /// A response with this status, to a HEAD request or not.
    Response {
        /// The status code.
        status: u16,
        /// Whether the request was HEAD.
        to_head: bool,
    },
}

/// The framing of a message with these headers.
pub(crate) fn framing(headers: &Headers, kind: Kind) -> Result<Framing, String> {
    if let Kind::Response { status, to_head } = kind {
        if to_head || (100..200).contains(&status) || status == 204 || status == 304 {
            return Ok(Framing::Empty);
        }
    }
    if is_chunked(headers) {
        return Ok(Framing::Chunked);
    }
    let mut length = None;
    for (_, value) in headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("content-length"))
    {
        let value = value.trim_matches([' ', '\t']);
        let parsed = Some(value)
            .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| format!("content-length `{value}` is not a number of bytes"))?;
        if length.is_some_and(|length| length != parsed) {
            return Err("content-length is given twice with different values".into());
        }
        length = Some(parsed);
    }
    Ok(match (length, kind) {
        (Some(length), _) => Framing::Length(length),
        (None, Kind::Request) => Framing::Empty,
        (None, Kind::Response { .. }) => Framing::ToEnd,
    })
}

/// Whether the last transfer coding is `chunked`.
pub(crate) fn is_chunked(headers: &Headers) -> bool {
    headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("transfer-encoding"))
        .flat_map(|(_, value)| value.split(','))
        .last()
        .is_some_and(|coding| coding.trim().eq_ignore_ascii_case("chunked"))
}

/// The body that `framing` delimits at the start of `rest`, and how many bytes of `rest` the
/// message used. Errors say what is wrong, to follow "`what` body: ".
pub(crate) fn body(rest: &[u8], framing: Framing) -> Result<(Vec<u8>, usize), String> {
    match framing {
        Framing::Empty => Ok((Vec::new(), 0)),
        Framing::ToEnd => Ok((rest.to_vec(), rest.len())),
        Framing::Length(length) => match usize::try_from(length) {
            Ok(length) if length <= rest.len() => Ok((rest[..length].to_vec(), length)),
            _ => Err(format!(
                "content-length says {length} bytes but the body has only {}",
                rest.len()
            )),
        },
        Framing::Chunked => dechunk(rest),
    }
}

/// Undoes chunked transfer coding; returns the data and the bytes used, trailer included.
fn dechunk(body: &[u8]) -> Result<(Vec<u8>, usize), String> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    loop {
        let (line, next) = line_at(body, pos).ok_or_else(|| {
            format!("the body ends at byte {pos} before the last (zero-size) chunk")
        })?;
        let size = chunk_size(line).ok_or_else(|| {
            let shown = String::from_utf8_lossy(&line[..line.len().min(40)]);
            format!("invalid chunk size at byte {pos}: `{}`", shown.trim_end())
        })?;
        if size == 0 {
            return trailer_end(body, next).map(|end| (out, end));
        }
        let left = body.len() - next;
        let size = usize::try_from(size)
            .ok()
            .filter(|&size| size <= left)
            .ok_or_else(|| {
                format!("the chunk at byte {pos} declares {size} bytes but only {left} remain")
            })?;
        out.extend_from_slice(&body[next..next + size]);
        pos = next + size;
        let after = &body[pos..];
        if after.starts_with(b"\r\n") {
            pos += 2;
        } else if after.starts_with(b"\n") {
            pos += 1;
        } else {
            return Err(format!("no line end after the chunk ending at byte {pos}"));
        }
    }
}

/// The line starting at `pos` without its `\n` (a `\r` before it stays), and where the next
/// begins; `None` when no `\n` ends it.
fn line_at(bytes: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    let rest = bytes.get(pos..)?;
    let end = rest.iter().position(|&b| b == b'\n')?;
    Some((&rest[..end], pos + end + 1))
}

/// The size a chunk-size line gives: hexadecimal digits (at most 16), then optional spaces or
/// tabs and an extension after `;`, then optional whitespace and the line end.
fn chunk_size(line: &[u8]) -> Option<u64> {
    let line = line.trim_ascii_end();
    let digits = match line.iter().position(|&b| b == b';') {
        Some(semi) => line[..semi].trim_ascii_end(),
        None => line,
    };
    if digits.is_empty() || digits.len() > 16 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

/// Where the trailer section that starts at `pos` ends: after its empty line.
fn trailer_end(body: &[u8], mut pos: usize) -> Result<usize, String> {
    loop {
        let (line, next) = line_at(body, pos).ok_or_else(|| {
            format!(
                "the body ends at byte {pos}, after the last chunk but before the empty line \
                 that ends the chunked body"
            )
        })?;
        if line.is_empty() || line == b"\r" {
            return Ok(next);
        }
        pos = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Headers {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn chunks_end_in_crlf_or_bare_lf_with_extensions_and_trailers() {
        for (body, data, used) in [
            (&b"3\r\nabc\r\n0\r\n\r\n"[..], &b"abc"[..], 13),
            (b"3\nabc\n0\n\n", b"abc", 9),
            (
                b"3;name=\"v\"\r\nabc\r\n2 ; x\nde\n0\r\nX-T: 1\r\nY: 2\n\r\nrest",
                b"abcde",
                44,
            ),
            (b"A\r\n0123456789\r\n0\r\n\r\n", b"0123456789", 20),
        ] {
            assert_eq!(
                dechunk(body).unwrap(),
                (data.to_vec(), used),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn broken_chunks_are_errors() {
        for (body, error) in [
            (
                &b"zz\r\nabc\r\n0\r\n\r\n"[..],
                "invalid chunk size at byte 0: `zz`",
            ),
            (b"\r\nabc\r\n0\r\n\r\n", "invalid chunk size at byte 0"),
            (b"3 4\r\nabc\r\n0\r\n\r\n", "invalid chunk size at byte 0"),
            (b"11111111111111111\r\n", "invalid chunk size at byte 0"),
            (
                b"100\r\nabc\r\n0\r\n\r\n",
                "declares 256 bytes but only 10 remain",
            ),
            (
                b"3\r\nabcX0\r\n\r\n",
                "no line end after the chunk ending at byte 6",
            ),
            (b"3\r\nabc\r\n", "before the last (zero-size) chunk"),
            (b"3\r\nabc\r\n0\r\n", "before the empty line"),
            (b"3\r\nabc\r\n0\r\nX-T: 1\r\n", "before the empty line"),
        ] {
            let err = dechunk(body).unwrap_err();
            assert!(
                err.contains(error),
                "{}: {err}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn framing_follows_the_status_the_method_and_the_headers() {
        let response = |status| Kind::Response {
            status,
            to_head: false,
        };
        let length = headers(&[("Content-Length", "5")]);
        assert_eq!(framing(&length, response(200)), Ok(Framing::Length(5)));
        assert_eq!(framing(&length, Kind::Request), Ok(Framing::Length(5)));
        for status in [101, 204, 304] {
            assert_eq!(framing(&length, response(status)), Ok(Framing::Empty));
        }
        let head = Kind::Response {
            status: 200,
            to_head: true,
        };
        assert_eq!(framing(&length, head), Ok(Framing::Empty));
        assert_eq!(framing(&headers(&[]), Kind::Request), Ok(Framing::Empty));
        assert_eq!(framing(&headers(&[]), response(200)), Ok(Framing::ToEnd));
        let chunked = headers(&[
            ("Content-Length", "5"),
            ("Transfer-Encoding", "gzip, chunked"),
        ]);
        assert_eq!(framing(&chunked, response(200)), Ok(Framing::Chunked));
        let twice = headers(&[("Content-Length", "5"), ("content-length", "5")]);
        assert_eq!(framing(&twice, response(200)), Ok(Framing::Length(5)));
        let differ = headers(&[("Content-Length", "5"), ("content-length", "6")]);
        assert!(framing(&differ, response(200)).is_err());
        for bad in ["", "-1", "5x", "0x5", "+5"] {
            let err = framing(&headers(&[("Content-Length", bad)]), response(200)).unwrap_err();
            assert!(err.contains("is not a number of bytes"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_body_shorter_than_its_content_length_is_an_error() {
        assert_eq!(body(b"okrest", Framing::Length(2)), Ok((b"ok".to_vec(), 2)));
        let err = body(b"ok", Framing::Length(10)).unwrap_err();
        assert_eq!(err, "content-length says 10 bytes but the body has only 2");
        assert_eq!(
            body(b"all of it", Framing::ToEnd),
            Ok((b"all of it".to_vec(), 9))
        );
        assert_eq!(body(b"x", Framing::Empty), Ok((Vec::new(), 0)));
    }
}
