//! Undoing `Content-Encoding` (gzip, x-gzip, deflate, br, zstd) before bodies are compared.
//!
//! Codings are listed in the order they were applied, so they are undone from last to first.
//! Output is capped; a body past the cap, a coding that fails, or an unknown coding leaves the raw
//! bytes to be compared, with a note that says why.

use std::borrow::Cow;
use std::io::Read;

use crate::model::Headers;

/// The most bytes a body may decompress to (256 MiB); past it the raw bytes are compared.
pub(crate) const MAX_DECODED: usize = 256 << 20;

/// A body after undoing its content codings, with a note when that was not possible.
pub(crate) struct Decoded<'b> {
    /// The decoded bytes, or the raw ones when decoding did not succeed.
    pub bytes: Cow<'b, [u8]>,
    /// Why the raw bytes are compared, if they are.
    pub note: Option<String>,
}

enum Failure {
    TooLarge,
    Broken(String),
    Unknown,
}

/// Undoes the content codings named in `headers`; `side` ("old"/"new") names the body in notes.
pub(crate) fn decode<'b>(raw: &'b [u8], headers: &Headers, side: &str) -> Decoded<'b> {
    decode_capped(raw, headers, side, MAX_DECODED)
}

pub(crate) fn decode_capped<'b>(
    raw: &'b [u8],
    headers: &Headers,
    side: &str,
    cap: usize,
) -> Decoded<'b> {
    let codings = codings(headers);
    let mut bytes = Cow::Borrowed(raw);
    if raw.is_empty() {
        return Decoded { bytes, note: None };
    }
    for coding in codings.iter().rev() {
        match undo(coding, &bytes, cap) {
            Ok(decoded) => bytes = Cow::Owned(decoded),
            Err(failure) => {
                let why = match failure {
                    Failure::TooLarge => {
                        format!("{side} body decompresses ({coding}) to more than {cap} bytes")
                    }
                    Failure::Broken(error) => {
                        format!("{side} body is not valid {coding} ({error})")
                    }
                    Failure::Unknown => {
                        format!("{side} body has an unknown content-encoding `{coding}`")
                    }
                };
                return Decoded {
                    bytes: Cow::Borrowed(raw),
                    note: Some(format!("{why}; compared the raw bytes")),
                };
            }
        }
    }
    Decoded { bytes, note: None }
}

/// The content codings `headers` name, lower-case, in the order applied (`identity` left out).
pub(crate) fn codings(headers: &Headers) -> Vec<String> {
    headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("content-encoding"))
        .flat_map(|(_, value)| value.split(','))
        .map(|coding| coding.trim().to_ascii_lowercase())
        .filter(|coding| !coding.is_empty() && coding != "identity")
        .collect()
}

fn undo(coding: &str, input: &[u8], cap: usize) -> Result<Vec<u8>, Failure> {
    match coding {
        "gzip" | "x-gzip" => read_capped(flate2::read::MultiGzDecoder::new(input), cap),
        "deflate" => match read_capped(flate2::read::ZlibDecoder::new(input), cap) {
            // Many servers send raw deflate under this name.
            Err(Failure::Broken(_)) => read_capped(flate2::read::DeflateDecoder::new(input), cap),
            other => other,
        },
        "br" => read_capped(brotli::Decompressor::new(input, 4096), cap),
        "zstd" => match zstd::stream::read::Decoder::new(input) {
            Ok(decoder) => read_capped(decoder, cap),
            Err(error) => Err(Failure::Broken(error.to_string())),
        },
        _ => Err(Failure::Unknown),
    }
}

fn read_capped(reader: impl Read, cap: usize) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::new();
    let limit = u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1);
    reader
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|error| Failure::Broken(error.to_string()))?;
    if out.len() > cap {
        return Err(Failure::TooLarge);
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).expect("gzip");
        encoder.finish().expect("gzip")
    }

    pub(crate) fn brotli(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
            writer.write_all(bytes).expect("br");
        }
        out
    }

    pub(crate) fn zstd(bytes: &[u8]) -> Vec<u8> {
        zstd::encode_all(bytes, 3).expect("zstd")
    }

    fn headers(coding: &str) -> Headers {
        vec![("Content-Encoding".into(), coding.into())]
    }

    #[test]
    fn gzip_br_zstd_and_deflate_decode() {
        let text = b"{\"a\": 1}";
        for (coding, body) in [
            ("gzip", gzip(text)),
            ("x-gzip", gzip(text)),
            ("br", brotli(text)),
            ("zstd", zstd(text)),
        ] {
            let decoded = decode(&body, &headers(coding), "old");
            assert_eq!(&*decoded.bytes, text, "{coding}");
            assert_eq!(decoded.note, None);
        }
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        zlib.write_all(text).expect("zlib");
        let zlib = zlib.finish().expect("zlib");
        assert_eq!(&*decode(&zlib, &headers("deflate"), "old").bytes, text);
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        raw.write_all(text).expect("deflate");
        let raw = raw.finish().expect("deflate");
        assert_eq!(&*decode(&raw, &headers("deflate"), "old").bytes, text);
    }

    #[test]
    fn codings_are_undone_last_first() {
        let body = brotli(&gzip(b"hello"));
        let decoded = decode(&body, &headers("gzip, br"), "new");
        assert_eq!(&*decoded.bytes, b"hello");
        let split = vec![
            ("content-encoding".to_string(), "gzip".to_string()),
            ("content-encoding".to_string(), "br".to_string()),
        ];
        assert_eq!(&*decode(&body, &split, "new").bytes, b"hello");
    }

    #[test]
    fn failures_keep_raw_bytes_with_a_note() {
        let bad = decode(b"not gzip", &headers("gzip"), "new");
        assert_eq!(&*bad.bytes, b"not gzip");
        let note = bad.note.expect("note");
        assert!(note.starts_with("new body is not valid gzip"), "{note}");
        assert!(note.ends_with("compared the raw bytes"), "{note}");
        let unknown = decode(b"x", &headers("compress"), "old");
        assert!(unknown
            .note
            .expect("note")
            .contains("unknown content-encoding `compress`"));
        let big = gzip(&[0u8; 10_000]);
        let capped = decode_capped(&big, &headers("gzip"), "old", 1000);
        assert_eq!(&*capped.bytes, &big[..]);
        assert!(capped.note.expect("note").contains("more than 1000 bytes"));
        let plain = decode(b"abc", &headers("identity"), "old");
        assert!(matches!(plain.bytes, Cow::Borrowed(_)) && plain.note.is_none());
    }
}
