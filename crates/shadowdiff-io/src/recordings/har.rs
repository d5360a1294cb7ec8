//! HAR 1.2 files (browser devtools, mitmproxy, Charles, Fiddler, Proxyman, Insomnia, Playwright)
//! read as native exchanges, one `log.entries[]` element at a time.
//!
//! The file is never held whole: a small tokenizer walks the top-level JSON (tracking strings,
//! escapes and nesting, skipping everything it does not need without materialising it) until it
//! stands inside `log.entries`, then each entry is deserialized on its own from the stream, with
//! its size capped at [`Limits::max_line_bytes`]. The file comes decompressed (see `source`), so
//! `.har.gz` reads the same way.
//!
//! Each entry becomes a [`RawLine`] holding the native exchange JSON, with the 1-based entry
//! number standing in for the line number and as the id. The mapping:
//! - `request.url` keeps only the path and query (`/a/b?x=1`); the fragment is dropped.
//! - Headers keep their order; HTTP/2 pseudo-headers (`:authority`, `:status`, ...) are dropped.
//! - Request bodies come from `postData.text` (base64-decoded when `encoding` is `"base64"`), or
//!   from `postData.params` as an `application/x-www-form-urlencoded` body when there is no text.
//! - Response bodies come from `content.text`, base64-decoded when `content.encoding` is
//!   `"base64"`. An entry without a response, or with status 0 (blocked, cancelled), becomes an
//!   exchange without a response.
//! - `startedDateTime` becomes `ts`.
//!
//! Real exports deviate from the spec in many small ways, so only `request`, `request.method`
//! and `request.url` are required; every other field may be missing and unknown fields are
//! ignored. Errors name the file and the entry (`path:N: entry N: ...`) or, before the entries
//! are reached, the file. A trailing comma after the last entry is accepted.

use std::borrow::Cow;
use std::io::{self, BufRead, Read};
use std::path::{Path, PathBuf};

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use serde::de::Deserialize;
use serde::Deserialize as DeriveDeserialize;
use serde_json::Value;

use super::source::{Compression, Stream};
use super::{Limits, RawLine};
use crate::error::{Error, Result};
use shadowdiff_core::Location;
use shadowdiff_core::{Body, Exchange, Headers, Request, Response};

/// The first two bytes of a gzip member.
const GZIP_MAGIC: [u8; 2] = [0x1F, 0x8B];

/// The UTF-8 byte order mark, which some Windows tools write before the JSON.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The longest object key the tokenizer reads before `log.entries`.
const MAX_KEY_BYTES: usize = 1024;

/// Standard base64, accepting input with or without padding.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The entries of one HAR file as native exchange lines, read one at a time.
///
/// Only the current entry is held. The first error ends the iteration.
pub(crate) struct HarEntries {
    path: PathBuf,
    id_prefix: String,
    scanner: Scanner,
    max_entry_bytes: usize,
    /// Whether the file was written by mitmproxy (see [`text_body`]).
    mitmproxy: bool,
    /// Entries read so far.
    entries: u64,
    done: bool,
}

impl HarEntries {
    /// Reads a HAR file opened as `stream` (decompressed already) up to its first entry.
    ///
    /// `id_prefix` is `""` for a single file, `"<file name>:"` inside a folder. A file that is
    /// not a HAR object, has no `log.entries` array or an empty one is an error here.
    pub(crate) fn open(
        path: &Path,
        id_prefix: &str,
        stream: Stream,
        limits: &Limits,
    ) -> Result<HarEntries> {
        let Stream {
            reader,
            compression,
            ..
        } = stream;
        let mut har = HarEntries {
            path: path.to_path_buf(),
            id_prefix: id_prefix.to_owned(),
            scanner: Scanner {
                reader,
                compression,
            },
            max_entry_bytes: limits.max_line_bytes,
            mitmproxy: false,
            entries: 0,
            done: false,
        };
        har.find_entries()
            .map_err(|fault| har.file_error(fault, "before log.entries"))?;
        match har.scanner.peek() {
            Ok(Some(b']')) => Err(Error::input(
                Location::file(path),
                "HAR holds no entries: log.entries is empty",
            )),
            Ok(Some(_)) => Ok(har),
            Ok(None) => Err(har.entry_error(1, Fault::Eof)),
            Err(err) => Err(har.entry_error(1, Fault::Io(err))),
        }
    }

    /// Walks from the start of the file to just inside the `log.entries` array, noting the
    /// creator on the way.
    fn find_entries(&mut self) -> Result<(), Fault> {
        let scanner = &mut self.scanner;
        scanner.skip_bom()?;
        match scanner.peek()? {
            Some(b'{') => scanner.bump(),
            Some(b'[') => {
                return Err(Fault::Syntax(
                    "not a HAR file: the top level is a JSON array, not an object \
                     {\"log\": {\"entries\": [...]}}"
                        .into(),
                ))
            }
            Some(byte) => {
                return Err(Fault::Syntax(format!(
                    "not a HAR file: expected a JSON object, found {}",
                    describe(byte)
                )))
            }
            None => return Err(Fault::Syntax("not a HAR file: the file is empty".into())),
        }
        let mut first = true;
        while let Some(key) = scanner.next_key(&mut first)? {
            if key != "log" {
                scanner.skip_value()?;
                continue;
            }
            if scanner.peek()? != Some(b'{') {
                return Err(Fault::Syntax(
                    "not a HAR file: `log` is not an object".into(),
                ));
            }
            scanner.bump();
            let mut first_in_log = true;
            while let Some(key) = scanner.next_key(&mut first_in_log)? {
                match key.as_str() {
                    "entries" => {
                        if scanner.peek()? != Some(b'[') {
                            return Err(Fault::Syntax(
                                "not a HAR file: log.entries is not an array".into(),
                            ));
                        }
                        scanner.bump();
                        return Ok(());
                    }
                    "creator" if scanner.peek()? == Some(b'{') => {
                        let creator: Value = scanner.deserialize(self.max_entry_bytes)?;
                        self.mitmproxy =
                            creator.get("name").and_then(Value::as_str) == Some("mitmproxy");
                    }
                    _ => scanner.skip_value()?,
                }
            }
            return Err(Fault::Syntax(
                "not a HAR file: the `log` object has no log.entries array".into(),
            ));
        }
        Err(Fault::Syntax(
            "not a HAR file: no `log` object, so no log.entries".into(),
        ))
    }

    /// Reads entry `self.entries + 1` and the `,` or `]` after it.
    fn read_entry(&mut self) -> Result<Option<RawLine>> {
        let number = self.entries + 1;
        match self.scanner.peek() {
            Ok(Some(b']')) if number > 1 => {
                self.scanner.bump();
                self.done = true;
                self.read_to_end(number - 1)?;
                return Ok(None);
            }
            Ok(Some(_)) => {}
            Ok(None) => return Err(self.entry_error(number, Fault::Eof)),
            Err(err) => return Err(self.entry_error(number, Fault::Io(err))),
        }
        let entry: HarEntry = self
            .scanner
            .deserialize(self.max_entry_bytes)
            .map_err(|fault| self.entry_error(number, fault))?;
        self.entries = number;
        match self.scanner.peek() {
            Ok(Some(b',')) => self.scanner.bump(),
            Ok(Some(b']')) => {
                self.scanner.bump();
                self.done = true;
                self.read_to_end(number)?;
            }
            Ok(Some(byte)) => {
                return Err(self.entry_error(
                    number,
                    Fault::Syntax(format!(
                        "expected `,` or `]` after the entry, found {}",
                        describe(byte)
                    )),
                ))
            }
            Ok(None) => {
                return Err(self.entry_error(
                    number,
                    Fault::Syntax(
                        "the file ends right after this entry, before log.entries is closed: \
                         the HAR is truncated"
                            .into(),
                    ),
                ))
            }
            Err(err) => return Err(self.entry_error(number, Fault::Io(err))),
        }
        let id = format!("{}{number}", self.id_prefix);
        let location = Location::line(&self.path, number);
        let exchange = convert(entry, id.clone(), self.mitmproxy).map_err(|message| {
            Error::input(location.clone(), format!("entry {number}: {message}"))
        })?;
        let bytes = serde_json::to_vec(&exchange)
            .map_err(|err| Error::input(location.clone(), format!("entry {number}: {err}")))?;
        Ok(Some(RawLine {
            bytes,
            location,
            fallback_id: id,
        }))
    }

    /// Reads what follows log.entries, entry `last` being the last one: the rest of `log` and of
    /// the top-level object, then nothing but whitespace to the end of the file.
    fn read_to_end(&mut self, last: u64) -> Result<()> {
        let scanner = &mut self.scanner;
        let rest = (|| {
            for _ in ["log", "the top-level object"] {
                let mut first = false;
                while scanner.next_key(&mut first)?.is_some() {
                    scanner.skip_value()?;
                }
            }
            match scanner.peek()? {
                None => Ok(()),
                Some(byte) => Err(Fault::Syntax(format!(
                    "the file goes on after the HAR's top-level object with {}: it is not one \
                     JSON document",
                    describe(byte)
                ))),
            }
        })();
        rest.map_err(|fault| {
            let message = match fault {
                Fault::Eof => {
                    "the file ends before the HAR's objects are closed: the HAR is truncated"
                        .to_owned()
                }
                fault => self.fault_message(fault),
            };
            Error::input(
                Location::line(&self.path, last),
                format!("after entry {last}: {message}"),
            )
        })
    }

    /// The error for a problem inside entry `number`.
    fn entry_error(&self, number: u64, fault: Fault) -> Error {
        let message = match fault {
            Fault::Eof => "the file ends inside this entry: the HAR is truncated".to_owned(),
            fault => self.fault_message(fault),
        };
        Error::input(
            Location::line(&self.path, number),
            format!("entry {number}: {message}"),
        )
    }

    /// What a fault other than the end of the input means, in an entry or after the entries.
    fn fault_message(&self, fault: Fault) -> String {
        match fault {
            Fault::Eof => "the file ends here: the HAR is truncated".to_owned(),
            Fault::TooLong => format!(
                "entry is longer than the limit of {} bytes",
                self.max_entry_bytes
            ),
            Fault::Syntax(message) => message,
            Fault::Io(err) => self.io_message(&err),
        }
    }

    /// The error for a problem found before the entries, naming the file only.
    fn file_error(&self, fault: Fault, place: &str) -> Error {
        let message = match fault {
            Fault::Eof => format!("the file ends {place}: the HAR is truncated or not JSON"),
            Fault::TooLong => format!(
                "a value {place} is longer than the limit of {} bytes",
                self.max_entry_bytes
            ),
            Fault::Syntax(message) => message,
            Fault::Io(err) => self.io_message(&err),
        };
        Error::input(Location::file(&self.path), message)
    }

    /// Describes a read failure: a broken gzip stream, or the operating system's reason.
    fn io_message(&self, err: &io::Error) -> String {
        if self.scanner.compression != Compression::None {
            format!(
                "{} stream is truncated or corrupt: {err}",
                self.scanner.compression.name()
            )
        } else {
            format!("cannot read: {err}")
        }
    }
}

impl Iterator for HarEntries {
    type Item = Result<RawLine>;

    fn next(&mut self) -> Option<Result<RawLine>> {
        if self.done {
            return None;
        }
        let item = self.read_entry();
        if item.is_err() {
            self.done = true;
        }
        item.transpose()
    }
}

impl std::iter::FusedIterator for HarEntries {}

/// Why the tokenizer or an entry's deserializer stopped.
enum Fault {
    /// The input ended inside a value.
    Eof,
    /// One value is longer than the cap.
    TooLong,
    /// The input is not what a HAR file holds there.
    Syntax(String),
    /// Reading failed (a broken gzip stream, a disk error).
    Io(io::Error),
}

impl From<io::Error> for Fault {
    fn from(err: io::Error) -> Fault {
        Fault::Io(err)
    }
}

/// A JSON tokenizer over the (decompressed) file: just enough to walk objects and skip values.
struct Scanner {
    reader: Box<dyn BufRead + Send>,
    compression: Compression,
}

impl Scanner {
    /// The next byte without consuming it, or `None` at the end of the input.
    fn peek_raw(&mut self) -> io::Result<Option<u8>> {
        loop {
            match self.reader.fill_buf() {
                Ok(buf) => return Ok(buf.first().copied()),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
    }

    /// The next byte that is not JSON whitespace, without consuming it.
    fn peek(&mut self) -> io::Result<Option<u8>> {
        loop {
            match self.peek_raw()? {
                Some(b' ' | b'\t' | b'\r' | b'\n') => self.bump(),
                other => return Ok(other),
            }
        }
    }

    /// Consumes the byte last peeked.
    fn bump(&mut self) {
        self.reader.consume(1);
    }

    /// The next raw byte, consumed; the end of input is a fault here.
    fn next_raw(&mut self) -> Result<u8, Fault> {
        let byte = self.peek_raw()?.ok_or(Fault::Eof)?;
        self.bump();
        Ok(byte)
    }

    /// Drops a UTF-8 byte order mark at the start of the input.
    fn skip_bom(&mut self) -> Result<(), Fault> {
        if self.reader.fill_buf()?.starts_with(BOM) {
            self.reader.consume(BOM.len());
        }
        Ok(())
    }

    /// Reads the next key of an object whose `{` is consumed, and its `:`; `None` at the `}`.
    /// `first` tracks whether a `,` must come before the key.
    fn next_key(&mut self, first: &mut bool) -> Result<Option<String>, Fault> {
        let mut byte = self.peek()?;
        if byte == Some(b'}') {
            self.bump();
            return Ok(None);
        }
        if !*first {
            if byte != Some(b',') {
                return Err(self.unexpected(byte, "`,` or `}` in an object"));
            }
            self.bump();
            byte = self.peek()?;
        }
        *first = false;
        if byte != Some(b'"') {
            return Err(self.unexpected(byte, "an object key"));
        }
        self.bump();
        let mut raw = vec![b'"'];
        loop {
            let byte = self.next_raw()?;
            raw.push(byte);
            match byte {
                b'"' => break,
                b'\\' => raw.push(self.next_raw()?),
                _ => {}
            }
            if raw.len() > MAX_KEY_BYTES {
                return Err(Fault::Syntax(format!(
                    "an object key is longer than {MAX_KEY_BYTES} bytes"
                )));
            }
        }
        let key: String = serde_json::from_slice(&raw)
            .map_err(|err| Fault::Syntax(format!("invalid object key: {err}")))?;
        let colon = self.peek()?;
        if colon != Some(b':') {
            return Err(self.unexpected(colon, "`:` after an object key"));
        }
        self.bump();
        Ok(Some(key))
    }

    /// Skips one JSON value of any size without keeping it.
    fn skip_value(&mut self) -> Result<(), Fault> {
        let mut depth: u64 = 0;
        loop {
            let byte = self.peek()?.ok_or(Fault::Eof)?;
            self.bump();
            match byte {
                b'{' | b'[' => depth += 1,
                b'}' | b']' if depth > 0 => depth -= 1,
                b'}' | b']' => return Err(self.unexpected(Some(byte), "a value")),
                b',' | b':' if depth > 0 => continue,
                b',' | b':' => return Err(self.unexpected(Some(byte), "a value")),
                b'"' => loop {
                    match self.next_raw()? {
                        b'"' => break,
                        b'\\' => {
                            self.next_raw()?;
                        }
                        _ => {}
                    }
                },
                _ => {
                    while let Some(next) = self.peek_raw()? {
                        if matches!(
                            next,
                            b',' | b':' | b'}' | b']' | b'"' | b' ' | b'\t' | b'\r' | b'\n'
                        ) {
                            break;
                        }
                        self.bump();
                    }
                }
            }
            if depth == 0 {
                return Ok(());
            }
        }
    }

    /// Deserializes the next value, which starts with `{`, reading at most `cap` bytes.
    ///
    /// The value must be an object (or array): serde_json reads a byte past a number or
    /// literal, which would eat the `,` after it.
    fn deserialize<T: for<'de> Deserialize<'de>>(&mut self, cap: usize) -> Result<T, Fault> {
        let mut capped = Capped {
            inner: &mut self.reader,
            left: cap,
            over: false,
        };
        let mut de = serde_json::Deserializer::from_reader(&mut capped);
        match T::deserialize(&mut de) {
            Ok(value) => Ok(value),
            Err(_) if capped.over => Err(Fault::TooLong),
            Err(err) if err.is_eof() => Err(Fault::Eof),
            Err(err) if err.is_io() => Err(Fault::Io(io::Error::other(strip_position(&err)))),
            Err(err) if err.is_data() => Err(Fault::Syntax(format!(
                "invalid entry: {}",
                strip_position(&err)
            ))),
            Err(err) => Err(Fault::Syntax(format!(
                "invalid JSON: {}",
                strip_position(&err)
            ))),
        }
    }

    /// A syntax fault for finding `byte` where `expected` should be.
    fn unexpected(&self, byte: Option<u8>, expected: &str) -> Fault {
        match byte {
            None => Fault::Eof,
            Some(byte) => Fault::Syntax(format!(
                "invalid JSON: expected {expected}, found {}",
                describe(byte)
            )),
        }
    }
}

/// A reader that fails once more than `left` bytes were asked of it.
struct Capped<'a> {
    inner: &'a mut Box<dyn BufRead + Send>,
    left: usize,
    over: bool,
}

impl Read for Capped<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        if read > self.left {
            self.over = true;
            return Err(io::Error::other("value is longer than the limit"));
        }
        self.left -= read;
        Ok(read)
    }
}

/// A serde_json message without its " at line L column C" suffix, which counts from the start
/// of the entry and would mislead.
fn strip_position(err: &serde_json::Error) -> String {
    let full = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    full.strip_suffix(&suffix).unwrap_or(&full).to_owned()
}

/// A byte for an error message: the character when printable ASCII, else its hex value.
fn describe(byte: u8) -> String {
    if byte.is_ascii_graphic() {
        format!("`{}`", byte as char)
    } else {
        format!("byte 0x{byte:02X}")
    }
}

/// One element of `log.entries`, with only the fields the mapping uses.
#[derive(DeriveDeserialize)]
struct HarEntry {
    #[serde(rename = "startedDateTime", default)]
    started: Option<String>,
    #[serde(default)]
    request: Option<HarRequest>,
    #[serde(default)]
    response: Option<HarResponse>,
}

/// `entry.request`.
#[derive(DeriveDeserialize)]
struct HarRequest {
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    headers: Option<Vec<HarPair>>,
    #[serde(rename = "postData", default)]
    post_data: Option<HarPostData>,
}

/// `entry.response`.
#[derive(DeriveDeserialize)]
struct HarResponse {
    #[serde(default)]
    status: Option<i64>,
    #[serde(default)]
    headers: Option<Vec<HarPair>>,
    #[serde(default)]
    content: Option<HarContent>,
}

/// A header, or a `postData.params` element (whose `value` may be missing).
#[derive(DeriveDeserialize)]
struct HarPair {
    name: String,
    #[serde(default)]
    value: Option<String>,
}

/// `request.postData`.
#[derive(DeriveDeserialize)]
struct HarPostData {
    #[serde(rename = "mimeType", default)]
    mime_type: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    encoding: Option<String>,
    #[serde(default)]
    params: Option<Vec<HarPair>>,
}

/// `response.content`.
#[derive(DeriveDeserialize)]
struct HarContent {
    #[serde(rename = "mimeType", default)]
    mime_type: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    encoding: Option<String>,
}

/// Maps one HAR entry to an exchange with `id`; the error is the message after "entry N: ".
///
/// Browsers store `content.text` already decoded, while the response headers still say how it
/// was sent. So when `content-encoding` names gzip, br, deflate or zstd but the body is not
/// actually compressed (it does not start with that format's magic bytes; a brotli body never
/// counts as compressed), the `content-encoding` and `content-length` headers are removed: the
/// exchange then describes the body it holds, and replay comparisons do not try to decode it.
fn convert(entry: HarEntry, id: String, mitmproxy: bool) -> Result<Exchange, String> {
    let request = entry.request.ok_or("has no `request`")?;
    let method = request.method.ok_or("request has no `method`")?;
    let url = request.url.ok_or("request has no `url`")?;
    let url = path_and_query(&url)?;
    let headers = pairs(request.headers);
    let body = match request.post_data {
        None => Body::Empty,
        Some(post) => post_body(post, mitmproxy).map_err(|err| format!("request {err}"))?,
    };
    let response = match entry.response {
        Some(HarResponse {
            status: Some(status @ 1..),
            headers,
            content,
        }) => {
            let status = u16::try_from(status)
                .map_err(|_| format!("response status {status} is not an HTTP status"))?;
            let mut headers = pairs(headers);
            let body = match content {
                None => Body::Empty,
                Some(content) => text_body(
                    content.text,
                    content.encoding.as_deref(),
                    content.mime_type.as_deref(),
                    mitmproxy,
                )
                .map_err(|err| format!("response {err}"))?,
            };
            drop_decoded_encoding(&mut headers, &body);
            Some(Response {
                status,
                headers,
                body,
            })
        }
        _ => None,
    };
    Ok(Exchange {
        id,
        ts: entry.started,
        request: Request {
            method,
            url,
            headers,
            body,
        },
        response,
        tags: Default::default(),
    })
}

/// The path and query of a HAR URL: scheme and authority stripped, the query kept exactly, the
/// fragment (never sent) dropped. A URL that is already a path, or `*`, is kept.
fn path_and_query(url: &str) -> Result<String, String> {
    let url = url.split('#').next().unwrap_or_default();
    if url.starts_with('/') || url == "*" {
        return Ok(url.to_owned());
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(format!(
            "request url `{url}` is neither an absolute URL nor a path"
        ));
    };
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        return Err(format!("request url `{url}` has no valid scheme"));
    }
    let start = rest.find(['/', '?']).unwrap_or(rest.len());
    let tail = &rest[start..];
    Ok(if tail.starts_with('/') {
        tail.to_owned()
    } else {
        format!("/{tail}")
    })
}

/// HAR name/value pairs as headers, without HTTP/2 pseudo-headers.
fn pairs(headers: Option<Vec<HarPair>>) -> Headers {
    headers
        .unwrap_or_default()
        .into_iter()
        .filter(|pair| !pair.name.starts_with(':'))
        .map(|pair| (pair.name, pair.value.unwrap_or_default()))
        .collect()
}

/// The request body from `postData`: its text, or its params as a form body when there is no
/// text. Form params carrying files (multipart) cannot be rebuilt byte for byte and are encoded
/// as plain form fields.
fn post_body(post: HarPostData, mitmproxy: bool) -> Result<Body, String> {
    let has_text = post.text.as_deref().is_some_and(|text| !text.is_empty());
    let params = post.params.unwrap_or_default();
    if !has_text && !params.is_empty() {
        let form = params
            .iter()
            .map(|pair| {
                let value = pair.value.as_deref().unwrap_or_default();
                format!("{}={}", form_encode(&pair.name), form_encode(value))
            })
            .collect::<Vec<_>>()
            .join("&");
        return Ok(Body::Text(form));
    }
    text_body(
        post.text,
        post.encoding.as_deref(),
        post.mime_type.as_deref(),
        mitmproxy,
    )
}

/// Encodes a form name or value as `application/x-www-form-urlencoded` does: ASCII letters,
/// digits and `*-._` kept, space as `+`, every other byte `%XX`.
fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A body from a HAR `text` and `encoding`: base64-decoded when the encoding says so, else the
/// text's bytes.
///
/// mitmproxy writes a binary body it does not detect as binary as text decoded as Latin-1 (one
/// character per byte) when the media type names no charset and is not a text type. For such
/// bodies from mitmproxy, as for any body whose media type says `charset=iso-8859-1`, the
/// characters are turned back into the original bytes when they are all below U+0100.
fn text_body(
    text: Option<String>,
    encoding: Option<&str>,
    mime_type: Option<&str>,
    mitmproxy: bool,
) -> Result<Body, String> {
    let Some(text) = text else {
        return Ok(Body::Empty);
    };
    if encoding.is_some_and(|encoding| encoding.eq_ignore_ascii_case("base64")) {
        let compact: Cow<str> = if text.bytes().any(|b| b.is_ascii_whitespace()) {
            Cow::Owned(text.chars().filter(|c| !c.is_ascii_whitespace()).collect())
        } else {
            Cow::Borrowed(&text)
        };
        let bytes = BASE64
            .decode(compact.as_bytes())
            .map_err(|err| format!("body is not valid base64: {err}"))?;
        return Ok(Body::from_bytes(bytes));
    }
    let mime = mime_type.unwrap_or_default().to_ascii_lowercase();
    let latin1 = if mime.contains("charset=") {
        ["iso-8859-1", "latin1", "latin-1"]
            .iter()
            .any(|name| mime.contains(&format!("charset={name}")))
    } else {
        mitmproxy
            && !mime.starts_with("text/")
            && ![
                "json",
                "xml",
                "javascript",
                "html",
                "css",
                "x-www-form-urlencoded",
            ]
            .iter()
            .any(|kind| mime.contains(kind))
    };
    if latin1 && text.chars().all(|c| u32::from(c) < 0x100) {
        return Ok(Body::from_bytes(text.chars().map(|c| c as u8).collect()));
    }
    Ok(if text.is_empty() {
        Body::Empty
    } else {
        Body::Text(text)
    })
}

/// Removes `content-encoding` and `content-length` when `content-encoding` names a compression
/// the body does not actually carry (see [`convert`]).
fn drop_decoded_encoding(headers: &mut Headers, body: &Body) {
    let Some(coding) = shadowdiff_core::header(headers, "content-encoding") else {
        return;
    };
    let bytes = body.bytes();
    let still_compressed = match coding.trim().to_ascii_lowercase().as_str() {
        "gzip" | "x-gzip" => bytes.starts_with(&GZIP_MAGIC),
        "zstd" => bytes.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]),
        "deflate" => {
            bytes.len() >= 2
                && bytes[0] & 0x0F == 8
                && (u16::from(bytes[0]) << 8 | u16::from(bytes[1])) % 31 == 0
        }
        "br" => false,
        _ => return,
    };
    if !still_compressed {
        headers.retain(|(name, _)| {
            !name.eq_ignore_ascii_case("content-encoding")
                && !name.eq_ignore_ascii_case("content-length")
        });
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;
    use crate::recordings::parse_line;

    const FIXTURES: [&str; 5] = [
        "chrome-devtools.har",
        "firefox-devtools.har",
        "insomnia.har",
        "mitmproxy-savehar.har",
        "playwright-redirect.har",
    ];

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/har")
            .join(name)
    }

    /// Opens a HAR file as the recordings reader does.
    fn open_har(path: &Path, id_prefix: &str, limits: &Limits) -> Result<HarEntries> {
        let stream = crate::recordings::source::open(path, Some(crate::recordings::Format::Har))?;
        HarEntries::open(path, id_prefix, stream, limits)
    }

    fn limits(max_line_bytes: usize) -> Limits {
        Limits { max_line_bytes }
    }

    /// Every exchange of a HAR file that must read without error.
    fn exchanges(path: &Path) -> Vec<Exchange> {
        open_har(path, "", &Limits::default())
            .unwrap()
            .map(|line| parse_line(&line.unwrap()).unwrap())
            .collect()
    }

    /// The entries of a fixture as plain JSON, counted and inspected independently.
    fn json_entries(name: &str) -> Vec<Value> {
        let text = std::fs::read(fixture(name)).unwrap();
        let value: Value = serde_json::from_slice(&text).unwrap();
        value["log"]["entries"].as_array().unwrap().clone()
    }

    /// Writes `bytes` to a file named `name` in a new temporary folder.
    fn temp_file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        (dir, path)
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    /// The error of opening or reading `text` as a HAR file, with the file's path.
    fn error_of(text: &[u8]) -> (String, String) {
        let (_dir, path) = temp_file("bad.har", text);
        let shown = path.display().to_string();
        let message = match open_har(&path, "", &Limits::default()) {
            Err(err) => err.to_string(),
            Ok(entries) => entries
                .filter_map(Result::err)
                .map(|err| err.to_string())
                .next()
                .expect("an error"),
        };
        (message, shown)
    }

    fn entry(fields: &str) -> String {
        format!(r#"{{"log":{{"version":"1.2","entries":[{fields}]}}}}"#)
    }

    const GOOD: &str =
        r#"{"request":{"method":"GET","url":"http://h/a"},"response":{"status":200}}"#;

    #[test]
    fn every_fixture_reads_fully_with_ids_from_the_entry_number() {
        for name in FIXTURES {
            let path = fixture(name);
            let expected = json_entries(name).len();
            let lines: Vec<RawLine> = open_har(&path, "f.har:", &Limits::default())
                .unwrap()
                .map(|line| line.unwrap())
                .collect();
            assert_eq!(lines.len(), expected, "{name}");
            for (index, line) in lines.iter().enumerate() {
                let number = index as u64 + 1;
                assert_eq!(line.location, Location::line(&path, number), "{name}");
                assert_eq!(line.fallback_id, format!("f.har:{number}"), "{name}");
                let exchange = parse_line(line).unwrap();
                assert_eq!(exchange.id, line.fallback_id, "{name}");
                assert!(exchange.request.url.starts_with('/'), "{name}");
                let json = &json_entries(name)[index];
                assert_eq!(exchange.ts.as_deref(), json["startedDateTime"].as_str());
                assert_eq!(exchange.request.method, json["request"]["method"]);
                let all_headers = exchange.request.headers.iter().chain(
                    exchange
                        .response
                        .iter()
                        .flat_map(|response| response.headers.iter()),
                );
                for (header, _) in all_headers {
                    assert!(!header.starts_with(':'), "{name}: {header}");
                }
            }
        }
    }

    #[test]
    fn chrome_drops_pseudo_headers_keeps_blocked_requests_and_decodes_base64() {
        let json = json_entries("chrome-devtools.har");
        let had_pseudo = json[0]["request"]["headers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["name"].as_str().unwrap().starts_with(':'))
            .count();
        assert!(had_pseudo > 0);
        let exchanges = exchanges(&fixture("chrome-devtools.har"));
        let first = &exchanges[0];
        assert_eq!(
            first.request.headers.len() + had_pseudo,
            json[0]["request"]["headers"].as_array().unwrap().len()
        );
        assert_eq!(first.request.url, "/");
        let Body::Text(html) = &first.response.as_ref().unwrap().body else {
            panic!("text body expected");
        };
        assert!(html.starts_with("<!DOCTYPE html>"), "{html:.40}");

        assert_eq!(json[1]["response"]["status"], 0);
        assert_eq!(exchanges[1].response, None);
        assert_eq!(exchanges[1].request.method, "GET");

        let png = exchanges[2].response.as_ref().unwrap();
        let expected = base64::engine::general_purpose::STANDARD
            .decode(json[2]["response"]["content"]["text"].as_str().unwrap())
            .unwrap();
        assert!(expected.starts_with(b"\x89PNG"));
        assert_eq!(png.body, Body::Binary(expected));
        assert!(exchanges[2].request.url.starts_with("/images/branding/"));
    }

    #[test]
    fn firefox_bodies_missing_bodies_and_decoded_encodings() {
        let exchanges = exchanges(&fixture("firefox-devtools.har"));
        let logo = exchanges[1].response.as_ref().unwrap();
        assert_eq!(logo.status, 200);
        assert_eq!(logo.body, Body::Empty);
        let script = exchanges[6].response.as_ref().unwrap();
        assert!(shadowdiff_core::header(&script.headers, "content-encoding").is_none());
        assert!(script
            .body
            .lossy_text()
            .starts_with("// https://cdn.jsdelivr"));
        assert_eq!(
            exchanges[11].request.url,
            "/snapshots.mitmproxy.org?delimiter=/&prefix="
        );
        let icon = exchanges[13].response.as_ref().unwrap();
        assert_eq!(icon.body.len(), 98065);
        assert!(icon.body.bytes().starts_with(&[0, 0, 1, 0]));
        assert_eq!(
            shadowdiff_core::header(&icon.headers, "content-length"),
            Some("98065")
        );
    }

    #[test]
    fn mitmproxy_binary_post_data_and_bodies_are_decoded() {
        let json = json_entries("mitmproxy-savehar.har");
        let exchanges = exchanges(&fixture("mitmproxy-savehar.har"));
        let sync = &exchanges[3];
        assert_eq!(sync.request.method, "POST");
        assert!(sync
            .request
            .url
            .starts_with("/chrome-sync/command/?client=Google+Chrome&client_id="));
        let text = json[3]["request"]["postData"]["text"].as_str().unwrap();
        let Body::Binary(bytes) = &sync.request.body else {
            panic!("binary body expected: {:?}", sync.request.body);
        };
        assert_eq!(bytes.len(), text.chars().count());
        assert!(bytes.starts_with(b"\n\x14user0000@example.com\x10c\x18\x01\"\x88,"));
        let response = sync.response.as_ref().unwrap();
        assert!(matches!(response.body, Body::Binary(_)));
        assert!(shadowdiff_core::header(&response.headers, "content-encoding").is_none());

        let rpc = &exchanges[0];
        assert!(rpc
            .request
            .body
            .lossy_text()
            .starts_with("[\"O43z0dpjhgX20SCx4KAo\""));
        let rpc_response = rpc.response.as_ref().unwrap();
        assert!(shadowdiff_core::header(&rpc_response.headers, "content-encoding").is_none());
        assert!(shadowdiff_core::header(&rpc_response.headers, "content-length").is_none());

        let jpeg = exchanges[2].response.as_ref().unwrap();
        assert!(jpeg.body.bytes().starts_with(&[0xFF, 0xD8]));
        assert_eq!(jpeg.body.len(), 39198);
        let gif = exchanges[4].response.as_ref().unwrap();
        assert!(gif.body.bytes().starts_with(b"GIF89a"));
    }

    #[test]
    fn insomnia_empty_post_data_is_no_body() {
        let exchanges = exchanges(&fixture("insomnia.har"));
        assert_eq!(exchanges.len(), 1);
        assert_eq!(exchanges[0].request.body, Body::Empty);
        assert_eq!(exchanges[0].request.url, "/");
        assert_eq!(exchanges[0].response.as_ref().unwrap().status, 200);
    }

    #[test]
    fn playwright_redirects_and_decoded_brotli() {
        let exchanges = exchanges(&fixture("playwright-redirect.har"));
        let statuses: Vec<u16> = exchanges
            .iter()
            .map(|e| e.response.as_ref().unwrap().status)
            .collect();
        assert_eq!(statuses, [301, 301, 200]);
        let page = exchanges[2].response.as_ref().unwrap();
        assert_eq!(page.body, Body::Text("<h1>hello</h1>".into()));
        assert!(shadowdiff_core::header(&page.headers, "content-encoding").is_none());
        assert!(shadowdiff_core::header(&page.headers, "content-length").is_none());
        assert_eq!(
            shadowdiff_core::header(
                &exchanges[0].response.as_ref().unwrap().headers,
                "content-length"
            ),
            Some("0")
        );
    }

    #[test]
    fn gzip_files_read_like_plain_ones() {
        let plain = std::fs::read(fixture("chrome-devtools.har")).unwrap();
        let (_dir, path) = temp_file("chrome.har.gz", &gzip(&plain));
        assert_eq!(exchanges(&path), exchanges(&fixture("chrome-devtools.har")));
    }

    #[test]
    fn fifty_thousand_entries_stream_under_a_small_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.har");
        let mut out = io::BufWriter::new(std::fs::File::create(&path).unwrap());
        write!(
            out,
            r#"{{"log":{{"version":"1.2","creator":{{"name":"gen","version":"1"}},"entries":["#
        )
        .unwrap();
        for n in 0..50_000 {
            if n > 0 {
                out.write_all(b",\n").unwrap();
            }
            write!(
                out,
                r#"{{"startedDateTime":"2026-01-01T00:00:00Z","request":{{"method":"GET","url":"https://api.example/items/{n}?v=1","headers":[{{"name":"accept","value":"*/*"}}]}},"response":{{"status":200,"headers":[],"content":{{"text":"{{\"n\":{n}}}","mimeType":"application/json"}}}}}}"#
            )
            .unwrap();
        }
        write!(out, r#"],"pages":[{{"id":"p","title":"t"}}]}}}}"#).unwrap();
        drop(out);
        assert!(std::fs::metadata(&path).unwrap().len() > 100 * 4096);
        let mut count = 0;
        for line in open_har(&path, "", &limits(4096)).unwrap() {
            let line = line.unwrap();
            count += 1;
            if count == 50_000 {
                let exchange = parse_line(&line).unwrap();
                assert_eq!(exchange.id, "50000");
                assert_eq!(exchange.request.url, "/items/49999?v=1");
                assert_eq!(
                    exchange.response.unwrap().body,
                    Body::Text(r#"{"n":49999}"#.into())
                );
            }
        }
        assert_eq!(count, 50_000);
    }

    #[test]
    fn an_entry_over_the_cap_is_an_error_naming_it() {
        let big = format!(
            r#"{{"request":{{"method":"POST","url":"/a","postData":{{"text":"{}"}}}}}}"#,
            "x".repeat(5000)
        );
        let text = entry(&format!("{GOOD},{GOOD},{big},{GOOD}"));
        let (_dir, path) = temp_file("cap.har", text.as_bytes());
        let items: Vec<_> = open_har(&path, "", &limits(4096)).unwrap().collect();
        assert_eq!(items.len(), 3, "reading stops at the error");
        assert!(items[0].is_ok() && items[1].is_ok());
        let err = items[2].as_ref().unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "{}:3: entry 3: entry is longer than the limit of 4096 bytes",
                path.display()
            )
        );
    }

    #[test]
    fn keys_come_in_any_order_and_other_values_are_skipped() {
        let text = format!(
            r#"{{"comment":"a \"log\" ]}} string","n":-1.5e3,"flag":true,"x":null,
               "log":{{"pages":[{{"id":"p","a":[1,[2,{{}}]]}}],"n":12,"entr\u0069es":[{GOOD} , {GOOD}
               ],"version":"1.2","creator":{{"name":"x"}}}},"after":[1]}}"#
        );
        let (_dir, path) = temp_file("order.har", text.as_bytes());
        let lines: Vec<_> = open_har(&path, "", &Limits::default())
            .unwrap()
            .map(|line| parse_line(&line.unwrap()).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].id, "2");
        assert_eq!(lines[1].request.url, "/a");
        let with_bom = [BOM, entry(GOOD).as_bytes()].concat();
        let (_dir, path) = temp_file("bom.har", &with_bom);
        assert_eq!(exchanges(&path).len(), 1);
    }

    #[test]
    fn requests_map_urls_headers_and_bodies() {
        let entries = [
            r#"{"request":{"method":"POST","url":"https://h:8443/f?a=1&b=%20#frag","headers":[{"name":":method","value":"POST"},{"name":"X-A","value":"1"},{"name":"x-a","value":"2"},{"name":"empty"}],"postData":{"mimeType":"application/x-www-form-urlencoded","params":[{"name":"a b","value":"1&2"},{"name":"é","value":"x=y"},{"name":"flag"}]}}}"#,
            r#"{"request":{"method":"PUT","url":"http://h?q","postData":{"mimeType":"application/octet-stream","text":"AAEC/w==","encoding":"base64"}}}"#,
            r#"{"request":{"method":"POST","url":"/already/a/path","postData":{"text":"é latin","mimeType":"text/plain; charset=ISO-8859-1"}},"response":{"status":0}}"#,
            r#"{"request":{"method":"OPTIONS","url":"http://h","postData":{}},"response":{"status":204,"headers":[{"name":":status","value":"204"}]},"cache":{},"timings":{"wait":1}}"#,
        ]
        .join(",");
        let (_dir, path) = temp_file("map.har", entry(&entries).as_bytes());
        let exchanges = exchanges(&path);
        let form = &exchanges[0].request;
        assert_eq!(form.url, "/f?a=1&b=%20");
        assert_eq!(
            form.headers,
            vec![
                ("X-A".to_owned(), "1".to_owned()),
                ("x-a".to_owned(), "2".to_owned()),
                ("empty".to_owned(), String::new()),
            ]
        );
        assert_eq!(form.body, Body::Text("a+b=1%262&%C3%A9=x%3Dy&flag=".into()));
        assert_eq!(exchanges[0].response, None);
        assert_eq!(exchanges[1].request.url, "/?q");
        assert_eq!(exchanges[1].request.body, Body::Binary(vec![0, 1, 2, 255]));
        assert_eq!(exchanges[2].request.url, "/already/a/path");
        assert_eq!(
            exchanges[2].request.body,
            Body::Binary(b"\xE9 latin".to_vec())
        );
        assert_eq!(exchanges[2].response, None);
        assert_eq!(exchanges[3].request.url, "/");
        assert_eq!(exchanges[3].request.body, Body::Empty);
        let response = exchanges[3].response.as_ref().unwrap();
        assert_eq!(response.status, 204);
        assert!(response.headers.is_empty());
    }

    #[test]
    fn compressed_bodies_keep_their_content_encoding() {
        let compressed = base64::engine::general_purpose::STANDARD.encode(gzip(b"hello"));
        let text = entry(&format!(
            r#"{{"request":{{"method":"GET","url":"/z"}},"response":{{"status":200,"headers":[{{"name":"Content-Encoding","value":"gzip"}},{{"name":"Content-Length","value":"25"}}],"content":{{"text":"{compressed}","encoding":"base64"}}}}}}"#
        ));
        let (_dir, path) = temp_file("gz-body.har", text.as_bytes());
        let response = exchanges(&path).remove(0).response.unwrap();
        assert_eq!(response.headers.len(), 2);
        assert!(response.body.bytes().starts_with(&GZIP_MAGIC));
    }

    #[test]
    fn bad_inputs_name_the_file_and_the_entry() {
        let full = entry(&format!("{GOOD},{GOOD},{GOOD}"));
        let cut = &full.as_bytes()[..full.len() - 30];
        let after_comma = entry(&format!("{GOOD},"));
        let after_comma = &after_comma.as_bytes()[..after_comma.len() - 3];
        let bad_base64 = entry(&format!(
            r#"{GOOD},{{"request":{{"method":"GET","url":"/b"}},"response":{{"status":200,"content":{{"text":"!!not base64!!","encoding":"base64"}}}}}}"#
        ));
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (
                cut.to_vec(),
                ":3: entry 3: the file ends inside this entry: the HAR is truncated",
            ),
            (
                after_comma.to_vec(),
                ":2: entry 2: the file ends inside this entry",
            ),
            (
                full.as_bytes()[..full.len() - 3].to_vec(),
                ":3: entry 3: the file ends right after this entry",
            ),
            (
                bad_base64.into_bytes(),
                ":2: entry 2: response body is not valid base64",
            ),
            (
                entry(&format!(r#"{GOOD},{{"response":{{"status":200}}}}"#)).into_bytes(),
                ":2: entry 2: has no `request`",
            ),
            (
                entry(r#"{"request":{"url":"/a"}}"#).into_bytes(),
                ":1: entry 1: request has no `method`",
            ),
            (
                entry(r#"{"request":{"method":"GET"}}"#).into_bytes(),
                ":1: entry 1: request has no `url`",
            ),
            (
                entry(r#"{"request":{"method":"GET","url":"h/a"}}"#).into_bytes(),
                ":1: entry 1: request url `h/a` is neither an absolute URL nor a path",
            ),
            (
                entry(r#"{"request":{"method":7,"url":"/a"}}"#).into_bytes(),
                ":1: entry 1: invalid entry: invalid type: integer `7`, expected a string",
            ),
            (
                entry(r#"{"request":{"method":"GET","url":"/a"},"response":{"status":70000}}"#)
                    .into_bytes(),
                ":1: entry 1: response status 70000 is not an HTTP status",
            ),
            (
                format!("{}\n{{}}\n", entry(&format!("{GOOD},{GOOD}"))).into_bytes(),
                ":2: after entry 2: the file goes on after the HAR's top-level object with `{`",
            ),
            (
                format!("{} x", entry(&format!("{GOOD},"))).into_bytes(),
                ":1: after entry 1: the file goes on after the HAR's top-level object with `x`",
            ),
            (
                format!(r#"{{"log":{{"entries":[{GOOD}],"pages":[]}},"x":1}}]"#).into_bytes(),
                ":1: after entry 1: the file goes on after the HAR's top-level object with `]`",
            ),
            (
                format!(r#"{{"log":{{"entries":[{GOOD}],"pages":[1,"#).into_bytes(),
                ":1: after entry 1: the file ends before the HAR's objects are closed",
            ),
            (
                format!(r#"{{"log":{{"entries":[{GOOD}]}} "x"}}"#).into_bytes(),
                ":1: after entry 1: invalid JSON: expected `,` or `}` in an object, found `\"`",
            ),
            (
                entry(&format!("{GOOD} {GOOD}")).into_bytes(),
                ":1: entry 1: expected `,` or `]` after the entry, found `{`",
            ),
            (
                entry(r#"{"request":{"method":"GET","url":"/a"}"#).into_bytes(),
                ":1: entry 1: invalid JSON: expected `,` or `}`",
            ),
            (
                b"GET / HTTP/1.1\r\n".to_vec(),
                ": not a HAR file: expected a JSON object, found `G`",
            ),
            (b"".to_vec(), ": not a HAR file: the file is empty"),
            (
                entry("").into_bytes().split_off(0),
                ": HAR holds no entries",
            ),
            (
                b"[{\"log\":{}}]".to_vec(),
                ": not a HAR file: the top level is a JSON array",
            ),
            (
                br#"{"version":"1.2"}"#.to_vec(),
                ": not a HAR file: no `log` object",
            ),
            (
                br#"{"log":{"version":"1.2"}}"#.to_vec(),
                "no log.entries array",
            ),
            (
                br#"{"log":{"entries":{}}}"#.to_vec(),
                "log.entries is not an array",
            ),
            (
                br#"{"log":{"entries":["#.to_vec(),
                ":1: entry 1: the file ends inside this entry",
            ),
            (
                br#"{"log":{"version":"1."#.to_vec(),
                ": the file ends before log.entries",
            ),
            (
                br#"{"log" "x"}"#.to_vec(),
                ": invalid JSON: expected `:` after an object key",
            ),
        ];
        for (text, expected) in cases {
            let (message, path) = error_of(&text);
            assert!(
                message.starts_with(&path) && message.contains(expected),
                "{}\n  gave {message}\n  expected {expected}",
                String::from_utf8_lossy(&text)
            );
        }
    }

    #[test]
    fn a_gzip_file_cut_short_names_the_entry() {
        let plain = std::fs::read(fixture("firefox-devtools.har")).unwrap();
        let compressed = gzip(&plain);
        let (message, path) = error_of(&compressed[..compressed.len() / 2]);
        assert!(message.starts_with(&path), "{message}");
        assert!(message.contains(": entry "), "{message}");
        assert!(
            message.contains("gzip stream is truncated or corrupt"),
            "{message}"
        );
        let (message, path) = error_of(&compressed[..10]);
        assert!(message.starts_with(&path), "{message}");
        assert!(
            message.contains("gzip stream is truncated or corrupt"),
            "{message}"
        );
    }

    #[test]
    fn urls_keep_path_and_query_only() {
        for (url, expected) in [
            ("https://h/a/b?x=1", "/a/b?x=1"),
            ("http://user@h:8080", "/"),
            ("http://h:8080?x=%2F", "/?x=%2F"),
            ("HTTPS://H/a#b", "/a"),
            ("/p?q", "/p?q"),
            ("*", "*"),
        ] {
            assert_eq!(path_and_query(url).unwrap(), expected, "{url}");
        }
        assert!(path_and_query("://h/a").is_err());
        assert!(path_and_query("h/a").is_err());
    }
}
