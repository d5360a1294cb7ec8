//! GoReplay files (`.gor`, `.gor.gz`) read as native exchange lines, one record at a time.
//!
//! A GoReplay file is a sequence of records. Each record is a header line
//! `TYPE ID TIMESTAMP [LATENCY]` (type `1` a request, `2` the original response, `3` a replayed
//! response; the timestamp in nanoseconds since the Unix epoch; GoReplay 1.x adds the latency),
//! the raw HTTP message, and the separator line. GoReplay writes `header "\n" message "\n🐵🙈🙉\n"`,
//! so the `\n` just before the separator line belongs to the framing, not to the message: a body
//! ends at the byte before it. GoReplay escapes nothing, so only a line that is exactly
//! `🐵🙈🙉` followed by `\n` (or by the end of the file) ends a record; a body that holds the emoji
//! elsewhere on a line is kept as it is. Blank lines where a header line is expected are skipped.
//! Within a record, the message's head says where its body ends (see `framing`: Go's rules):
//! whatever follows is an error, named at the line of a record header line when it is one (the
//! separator before it is missing), so two records are never merged into one; a body that runs
//! to the end of its record (a response with neither length nor chunks) is searched for a record
//! header line followed by an HTTP start line for the same reason.
//! The file comes decompressed (see `source`), so `.gor.gz` reads the same way.
//!
//! Requests and original responses are paired by id. GoReplay 1.x may reuse one id for several
//! requests on a keep-alive connection, so pairing is first in, first out per id: the k-th
//! response with id `X` answers the k-th request with id `X`. The second and later requests of an
//! id get the ids `X#2`, `X#3`, ... Exchanges come out in the order of their request records,
//! each once its response has been read; requests never answered come out without a response
//! (`response` absent) when the file ends.
//!
//! Memory stays bounded: at most one record is held as bytes, and at most [`PENDING_CAP`]
//! exchanges wait (for their response, or for an earlier request's). Beyond that, the oldest
//! waiting request comes out without a response; a response for it arriving later is then
//! skipped as a response with no request (or, when its id was reused, may answer the next request
//! of that id). Ids are remembered for the [`PENDING_CAP`] most recent requests, so a reused id is
//! only numbered `#2`, `#3`, ... when its requests are closer together than that.
//!
//! Records that are read but produce nothing are counted by reason (a response with no request, a
//! replayed response, an empty record) and, because the items are lines, reported when the file
//! has been read completely, as one warning line per reason on standard error:
//! `path: N records skipped: <reason>`.
//!
//! Errors name the file and the line of the record's header line (`path:line: message`):
//! - `path:line: record header is not "TYPE ID TIMESTAMP [LATENCY]": ...`
//! - `path:line: record has no separator line 🐵🙈🙉 before the end of the file: ...`
//! - `path:line: record is bigger than the limit of N bytes`
//! - `path:line: request (or response) head is not valid HTTP/1.x: ...`, `... is incomplete ...`,
//!   `... is not valid UTF-8 ...`
//! - `path:line: chunked response (or request) body: ...` for bad chunk sizes and cut chunks
//! - `path:line: response body: content-length says N bytes but the body has only M`
//! - `path:line: N bytes follow the end of the response (or request), which its head delimits ...`
//! - `path:line: a record header line inside the record of line M: the separator line 🐵🙈🙉
//!   before it is missing`, naming the header line
//! - `path:line: gzip stream is truncated or corrupt ...: <flate2 message>`
//! - `path: <operating system error>` for a file that cannot be opened or read.
//!
//! A record-level error (bad header line, bad head, bad chunks, a record too big) is one error
//! item, and reading goes on with the next record. An error about the rest of the file (a record
//! without separator, a corrupt gzip stream, a read failure) is the last item.
//! A request whose response record is in error stays unanswered; exchanges still waiting when
//! the last item is an error are not handed out. A file with no records gives no items, and no
//! error: saying that a recording is empty is the caller's business.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{self, BufRead};
use std::path::{Path, PathBuf};

use super::framing::{self, Framing, Kind};
use super::source::{Compression, Stream};
use super::{Limits, RawLine};
use crate::error::{Error, Result};
use shadowdiff_core::Location;
use shadowdiff_core::{Body, Exchange, Headers, Request, Response};

/// The record separator: the three monkey emoji U+1F435 U+1F648 U+1F649.
const SEPARATOR: &[u8] = "🐵🙈🙉".as_bytes();

/// The most exchanges held while they wait for a response or for an earlier request.
pub(crate) const PENDING_CAP: usize = 100_000;

/// The longest header line read as one; longer lines are not GoReplay header lines.
const MAX_HEADER_LINE: usize = 1024;

/// The size of the read buffers.
const BUFFER_BYTES: usize = 64 * 1024;

/// The most headers one HTTP head may hold.
const MAX_HEADERS: usize = 16 * 1024;

/// Skip reason: a type 2 record whose id has no request waiting.
const NO_REQUEST: &str = "original response (type 2) with no request before it";
/// Skip reason: a type 3 record.
const REPLAYED: &str = "replayed response (type 3), ignored";
/// Skip reason: a separator line where a header line was expected.
const EMPTY_RECORD: &str = "empty record (a separator line with no header line)";

/// The exchanges of one GoReplay file, as native exchange lines, in the order of their requests.
pub(crate) struct GorRecords {
    path: PathBuf,
    id_prefix: String,
    reader: Box<dyn BufRead + Send>,
    compression: Compression,
    max_record_bytes: usize,
    cap: usize,
    /// Lines read so far.
    line: u64,
    /// The header line of the record being read, while one is being read.
    record_line: Option<u64>,
    /// The message of the record being read; reused from record to record.
    buffer: Vec<u8>,
    /// Requests in file order from the oldest one not yet handed out.
    slots: VecDeque<Slot>,
    /// The sequence number the next request gets.
    next_seq: u64,
    /// What is known of each recent GoReplay id.
    ids: HashMap<String, IdState>,
    /// The most recent requests' ids, oldest first, to forget ids no longer needed.
    recent: VecDeque<(String, u64)>,
    /// Records skipped, by reason.
    skipped: BTreeMap<&'static str, u64>,
    state: State,
}

/// How far reading has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Records are still being read.
    Reading,
    /// The file has been read; what is left in `slots` is handed out.
    Draining,
    /// Nothing more comes.
    Done,
}

/// One request, with its response once paired.
struct Slot {
    /// The GoReplay id, without the `#n` suffix.
    gor_id: String,
    exchange: Exchange,
    /// The line of the request's header line.
    line: u64,
    /// Whether the exchange is complete (paired, or given up on).
    done: bool,
}

/// The requests seen with one GoReplay id.
struct IdState {
    /// How many requests had this id.
    requests: u32,
    /// Sequence numbers of this id's requests waiting for a response, oldest first.
    waiting: VecDeque<u64>,
    /// The sequence number of this id's latest request.
    last_seq: u64,
}

/// A parsed record header line.
struct Header {
    kind: u8,
    id: String,
    nanos: u64,
}

/// How a record ended.
enum RecordEnd {
    /// At its separator line; the message is in the buffer unless the record was too big.
    Separated {
        /// Whether the record was bigger than the limit (its bytes were not kept).
        too_big: bool,
    },
    /// At the end of the file, with no separator.
    Truncated,
}

impl GorRecords {
    /// Reads a GoReplay file opened as `stream` (decompressed already).
    ///
    /// `id_prefix` is "" for a single file, "<file name>:" inside a folder.
    pub(crate) fn open(
        path: &Path,
        id_prefix: &str,
        stream: Stream,
        limits: &Limits,
    ) -> Result<GorRecords> {
        let Stream {
            reader,
            compression,
            ..
        } = stream;
        Ok(GorRecords {
            path: path.to_path_buf(),
            id_prefix: id_prefix.to_string(),
            reader,
            compression,
            max_record_bytes: limits.max_line_bytes,
            cap: PENDING_CAP,
            line: 0,
            record_line: None,
            buffer: Vec::new(),
            slots: VecDeque::new(),
            next_seq: 0,
            ids: HashMap::new(),
            recent: VecDeque::new(),
            skipped: BTreeMap::new(),
            state: State::Reading,
        })
    }

    /// An input error at line `line` of the file.
    fn error_at(&self, line: u64, message: impl Into<String>) -> Error {
        Error::input(Location::line(&self.path, line), message)
    }

    /// The error for a failed read: a corrupt compressed stream, or an I/O error on the file.
    fn read_error(&self, err: io::Error) -> Error {
        if self.compression == Compression::None {
            return Error::io(&self.path, err);
        }
        let name = self.compression.name();
        match self.record_line {
            Some(line) => self.error_at(
                line,
                format!("{name} stream is truncated or corrupt in this record: {err}"),
            ),
            None => self.error_at(
                self.line + 1,
                format!(
                    "{name} stream is truncated or corrupt after line {}: {err}",
                    self.line
                ),
            ),
        }
    }

    /// Reads one line into `out`, keeping at most `room` bytes of it; counts it.
    fn read_line(&mut self, out: &mut Vec<u8>, room: usize) -> Result<usize> {
        match read_line(&mut *self.reader, out, room) {
            Ok(len) => {
                if len > 0 {
                    self.line += 1;
                }
                Ok(len)
            }
            Err(err) => Err(self.read_error(err)),
        }
    }

    /// Reads one record and acts on it. Returns an error item, if the record gives one.
    fn step(&mut self) -> Option<Error> {
        match self.read_record() {
            Ok(None) => None,
            Ok(Some(Err(err))) => Some(err),
            Ok(Some(Ok(()))) => None,
            Err(err) => {
                self.state = State::Done;
                self.slots.clear();
                Some(err)
            }
        }
    }

    /// Reads the next record. `Err` ends the file; `Ok(Some(Err))` is an error about one record.
    fn read_record(&mut self) -> Result<Option<Result<()>>> {
        self.record_line = None;
        let mut header_line = Vec::new();
        let len = loop {
            header_line.clear();
            let len = self.read_line(&mut header_line, MAX_HEADER_LINE)?;
            if len == 0 {
                self.finish();
                return Ok(None);
            }
            let text = trim_line_end(&header_line);
            if text.iter().all(u8::is_ascii_whitespace) && len == header_line.len() {
                continue;
            }
            if text == SEPARATOR {
                *self.skipped.entry(EMPTY_RECORD).or_default() += 1;
                continue;
            }
            break len;
        };
        let line = self.line;
        self.record_line = Some(line);
        let header = if len > header_line.len() {
            Err(format!(
                "record header is not \"TYPE ID TIMESTAMP [LATENCY]\": the line is longer than \
                 {MAX_HEADER_LINE} bytes"
            ))
        } else {
            parse_header(trim_line_end(&header_line))
        };
        let too_big =
            match self.read_message()? {
                RecordEnd::Separated { too_big } => too_big,
                RecordEnd::Truncated => return Err(self.error_at(
                    line,
                    "record has no separator line 🐵🙈🙉 before the end of the file: the file is \
                     truncated",
                )),
            };
        self.record_line = None;
        let header = match header {
            Ok(header) => header,
            Err(message) => return Ok(Some(Err(self.error_at(line, message)))),
        };
        if too_big {
            return Ok(Some(Err(self.error_at(
                line,
                format!(
                    "record is bigger than the limit of {} bytes",
                    self.max_record_bytes
                ),
            ))));
        }
        let message = std::mem::take(&mut self.buffer);
        let result = self.handle(header, &message, line);
        self.buffer = message;
        Ok(Some(result))
    }

    /// Reads a record's message up to and including its separator line into `self.buffer`,
    /// without the `\n` that precedes the separator.
    fn read_message(&mut self) -> Result<RecordEnd> {
        let mut buffer = std::mem::take(&mut self.buffer);
        buffer.clear();
        // Room for the largest message, its framing `\n` and the separator line.
        let room = self
            .max_record_bytes
            .saturating_add(1 + SEPARATOR.len() + 1);
        let mut too_big = false;
        let mut scratch = Vec::new();
        let end = loop {
            let start = buffer.len();
            let (line, len) = if too_big {
                scratch.clear();
                let len = self.read_line(&mut scratch, SEPARATOR.len() + 1);
                (&scratch[..], len)
            } else {
                let len = self.read_line(&mut buffer, room.saturating_sub(start));
                (&buffer[start..], len)
            };
            let len = match len {
                Ok(len) => len,
                Err(err) => {
                    self.buffer = buffer;
                    return Err(err);
                }
            };
            if len == 0 {
                break RecordEnd::Truncated;
            }
            let complete = line.len() == len;
            let separator = complete
                && (line.strip_suffix(b"\n") == Some(SEPARATOR)
                    || (line == SEPARATOR && !line.ends_with(b"\n")));
            if separator {
                if !too_big {
                    buffer.truncate(start);
                }
                break RecordEnd::Separated { too_big };
            }
            if !too_big && !complete {
                too_big = true;
                buffer.clear();
                buffer.shrink_to(BUFFER_BYTES);
            }
        };
        if buffer.last() == Some(&b'\n') {
            buffer.pop();
        }
        let end = match end {
            RecordEnd::Separated { too_big: false } if buffer.len() > self.max_record_bytes => {
                RecordEnd::Separated { too_big: true }
            }
            end => end,
        };
        self.buffer = buffer;
        Ok(end)
    }

    /// Acts on one complete record.
    fn handle(&mut self, header: Header, message: &[u8], line: u64) -> Result<()> {
        match header.kind {
            b'1' => {
                let (request, end) =
                    parse_request(message).map_err(|msg| self.error_at(line, msg))?;
                self.check_rest(message, end, line, "request")?;
                self.add_request(header, request, line);
            }
            b'2' => {
                let to_head = self
                    .waiting_request(&header.id)
                    .is_some_and(|request| request.method.eq_ignore_ascii_case("HEAD"));
                let (response, end, to_end) =
                    parse_response(message, to_head).map_err(|msg| self.error_at(line, msg))?;
                if to_end {
                    if let Some(at) = header_inside(message) {
                        return Err(self.missing_separator(message, at, line));
                    }
                }
                self.check_rest(message, end, line, "response")?;
                self.add_response(&header.id, response);
            }
            _ => *self.skipped.entry(REPLAYED).or_default() += 1,
        }
        Ok(())
    }

    /// The request a response with GoReplay id `id` would answer, if one waits.
    fn waiting_request(&self, id: &str) -> Option<&Request> {
        let base = self.next_seq - self.slots.len() as u64;
        let seq = *self.ids.get(id)?.waiting.front()?;
        let index = usize::try_from(seq.checked_sub(base)?).ok()?;
        self.slots.get(index).map(|slot| &slot.exchange.request)
    }

    /// Checks that nothing follows the message that ends at `end` of the record of `line`: a
    /// record header line there means a missing separator line, anything else does not belong
    /// to the message.
    fn check_rest(&self, message: &[u8], end: usize, line: u64, what: &str) -> Result<()> {
        let rest = &message[end..];
        if rest.is_empty() {
            return Ok(());
        }
        let skip = usize::from(rest.starts_with(b"\n"));
        if starts_with_header(&rest[skip..]) {
            return Err(self.missing_separator(message, end + skip, line));
        }
        Err(self.error_at(
            line,
            format!(
                "{} bytes follow the end of the {what}, which its head delimits (content-length, \
                 chunked, or no body): a record holds one message",
                rest.len()
            ),
        ))
    }

    /// The error for a record header line at byte `at` of the message of the record of `line`.
    fn missing_separator(&self, message: &[u8], at: usize, line: u64) -> Error {
        let header_line = line + 1 + message[..at].iter().filter(|&&b| b == b'\n').count() as u64;
        self.error_at(
            header_line,
            format!(
                "a record header line inside the record of line {line}: the separator line \
                 🐵🙈🙉 before it is missing"
            ),
        )
    }

    /// Queues a request to wait for its response.
    fn add_request(&mut self, header: Header, request: Request, line: u64) {
        if self.slots.len() >= self.cap {
            self.give_up_oldest();
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let state = self.ids.entry(header.id.clone()).or_insert(IdState {
            requests: 0,
            waiting: VecDeque::new(),
            last_seq: seq,
        });
        state.requests = state.requests.saturating_add(1);
        state.waiting.push_back(seq);
        state.last_seq = seq;
        let id = if state.requests == 1 {
            format!("{}{}", self.id_prefix, header.id)
        } else {
            format!("{}{}#{}", self.id_prefix, header.id, state.requests)
        };
        self.recent.push_back((header.id.clone(), seq));
        while self.recent.len() > self.cap {
            if let Some((old_id, old_seq)) = self.recent.pop_front() {
                self.forget_if_idle(&old_id, old_seq);
            }
        }
        self.slots.push_back(Slot {
            gor_id: header.id,
            exchange: Exchange {
                id,
                ts: Some(rfc3339(header.nanos)),
                request,
                response: None,
                tags: BTreeMap::new(),
            },
            line,
            done: false,
        });
    }

    /// Forgets an id whose latest request is `seq` when none of its requests waits any more.
    fn forget_if_idle(&mut self, id: &str, seq: u64) {
        if self
            .ids
            .get(id)
            .is_some_and(|state| state.last_seq == seq && state.waiting.is_empty())
        {
            self.ids.remove(id);
        }
    }

    /// Hands the oldest waiting request out without a response, to stay within the cap.
    fn give_up_oldest(&mut self) {
        let seq = self.next_seq - self.slots.len() as u64;
        let Some(front) = self.slots.front_mut() else {
            return;
        };
        front.done = true;
        if let Some(state) = self.ids.get_mut(&front.gor_id) {
            state.waiting.retain(|&waiting| waiting != seq);
        }
    }

    /// Pairs a response with the oldest waiting request of its id.
    fn add_response(&mut self, id: &str, response: Response) {
        let base = self.next_seq - self.slots.len() as u64;
        let seq = self
            .ids
            .get_mut(id)
            .and_then(|state| state.waiting.pop_front());
        let slot = seq
            .and_then(|seq| usize::try_from(seq.checked_sub(base)?).ok())
            .and_then(|index| self.slots.get_mut(index));
        let Some(slot) = slot else {
            *self.skipped.entry(NO_REQUEST).or_default() += 1;
            return;
        };
        slot.exchange.response = Some(response);
        slot.done = true;
        if let Some(state) = self.ids.get(id) {
            if state.waiting.is_empty()
                && state.last_seq.saturating_add(self.cap as u64) < self.next_seq
            {
                self.ids.remove(id);
            }
        }
    }

    /// At the end of the file: every waiting request is complete without a response, and the
    /// skipped records are reported.
    fn finish(&mut self) {
        for slot in &mut self.slots {
            slot.done = true;
        }
        self.ids.clear();
        self.recent.clear();
        for (reason, count) in &self.skipped {
            eprintln!("{}: {count} records skipped: {reason}", self.path.display());
        }
        self.state = State::Draining;
    }

    /// The native line of a complete exchange.
    fn line_of(&self, slot: Slot) -> Result<RawLine> {
        let bytes = serde_json::to_vec(&slot.exchange).map_err(|err| {
            self.error_at(
                slot.line,
                format!("cannot write the exchange as JSON: {err}"),
            )
        })?;
        Ok(RawLine {
            bytes,
            location: Location::line(&self.path, slot.line),
            fallback_id: slot.exchange.id,
        })
    }
}

impl Iterator for GorRecords {
    type Item = Result<RawLine>;

    fn next(&mut self) -> Option<Result<RawLine>> {
        loop {
            if self.slots.front().is_some_and(|slot| slot.done) {
                let slot = self.slots.pop_front()?;
                return Some(self.line_of(slot));
            }
            match self.state {
                State::Done => return None,
                State::Draining => {
                    self.state = State::Done;
                    return None;
                }
                State::Reading => {
                    if let Some(err) = self.step() {
                        return Some(Err(err));
                    }
                }
            }
        }
    }
}

/// Reads one line, through its `\n`, appending at most `room` bytes of it to `out`. Returns the
/// full length of the line, 0 at the end of the input.
fn read_line(reader: &mut dyn BufRead, out: &mut Vec<u8>, room: usize) -> io::Result<usize> {
    let mut total = 0usize;
    let mut kept = 0usize;
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        if available.is_empty() {
            return Ok(total);
        }
        let (used, found_end) = match available.iter().position(|&b| b == b'\n') {
            Some(end) => (end + 1, true),
            None => (available.len(), false),
        };
        let keep = used.min(room.saturating_sub(kept));
        out.extend_from_slice(&available[..keep]);
        kept += keep;
        reader.consume(used);
        total = total.saturating_add(used);
        if found_end {
            return Ok(total);
        }
    }
}

/// Whether `bytes` start with a line that is a record header line.
fn starts_with_header(bytes: &[u8]) -> bool {
    let end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(bytes.len());
    end <= MAX_HEADER_LINE && parse_header(trim_line_end(&bytes[..end])).is_ok()
}

/// Where, in a message whose body runs to the end of its record, a line starts that is a record
/// header line followed by an HTTP start line (`GET / HTTP/1.1`, `HTTP/1.1 200 OK`): the start
/// of a record whose separator line is missing before it.
fn header_inside(message: &[u8]) -> Option<usize> {
    let starts = message
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'\n')
        .map(|(at, _)| at + 1);
    starts
        .filter(|&at| matches!(message.get(at..at + 2), Some([b'1'..=b'3', b' '])))
        .find(|&at| {
            let rest = &message[at..];
            starts_with_header(rest)
                && rest
                    .iter()
                    .position(|&b| b == b'\n')
                    .is_some_and(|end| is_start_line(&rest[end + 1..]))
        })
}

/// Whether `bytes` start with an HTTP/1.x request line or status line.
fn is_start_line(bytes: &[u8]) -> bool {
    let end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(bytes.len());
    let line = trim_line_end(&bytes[..end]);
    line.starts_with(b"HTTP/1.") || {
        let words: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        words.len() == 3
            && words[2].starts_with(b"HTTP/1.")
            && http::Method::from_bytes(words[0]).is_ok()
    }
}

/// A line without its `\n` or `\r\n`.
fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Parses a header line `TYPE ID TIMESTAMP [LATENCY]`.
fn parse_header(line: &[u8]) -> Result<Header, String> {
    let shown = String::from_utf8_lossy(&line[..line.len().min(80)]).into_owned();
    let bad = |why: &str| {
        format!("record header is not \"TYPE ID TIMESTAMP [LATENCY]\": {why}: `{shown}`")
    };
    let text = std::str::from_utf8(line).map_err(|_| bad("not UTF-8"))?;
    let fields: Vec<&str> = text.split_ascii_whitespace().collect();
    let (kind, id, ts) = match fields[..] {
        [kind, id, ts] | [kind, id, ts, _] => (kind, id, ts),
        _ => return Err(bad("expected 3 or 4 fields")),
    };
    let kind = match kind {
        "1" => b'1',
        "2" => b'2',
        "3" => b'3',
        _ => return Err(bad("the type is not 1, 2 or 3")),
    };
    if let [_, _, _, latency] = fields[..] {
        latency
            .parse::<i64>()
            .map_err(|_| bad("the latency is not a whole number"))?;
    }
    let nanos = ts
        .parse::<u64>()
        .map_err(|_| bad("the timestamp is not a whole number of nanoseconds"))?;
    Ok(Header {
        kind,
        id: id.to_string(),
        nanos,
    })
}

/// Parses a raw HTTP/1.x request; returns it with the length of the message, which may be
/// shorter than the record.
fn parse_request(message: &[u8]) -> Result<(Request, usize), String> {
    let mut capacity = 64;
    loop {
        let mut headers = vec![httparse::EMPTY_HEADER; capacity];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(message) {
            Ok(httparse::Status::Complete(head_len)) => {
                check_utf8_head(&message[..head_len], "request")?;
                let method = request.method.unwrap_or_default().to_string();
                let url = origin_form(request.path.unwrap_or_default());
                let mut headers = owned_headers(request.headers, "request")?;
                let framing = framing::framing(&headers, Kind::Request)
                    .map_err(|why| format!("request head: {why}"))?;
                let (body, used) = body_of(&mut headers, &message[head_len..], framing, "request")?;
                let request = Request {
                    method,
                    url,
                    headers,
                    body,
                };
                return Ok((request, head_len + used));
            }
            Ok(httparse::Status::Partial) => return Err(incomplete("request")),
            Err(httparse::Error::TooManyHeaders) if capacity < MAX_HEADERS => capacity *= 4,
            Err(err) => return Err(format!("request head is not valid HTTP/1.x: {err}")),
        }
    }
}

/// Parses a raw HTTP/1.x response (to a HEAD request when `to_head`); returns it with the
/// length of the message, which may be shorter than the record, and whether its body ran to
/// the end of the record.
fn parse_response(message: &[u8], to_head: bool) -> Result<(Response, usize, bool), String> {
    let mut capacity = 64;
    loop {
        let mut headers = vec![httparse::EMPTY_HEADER; capacity];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(message) {
            Ok(httparse::Status::Complete(head_len)) => {
                check_utf8_head(&message[..head_len], "response")?;
                let status = response.code.unwrap_or_default();
                let mut headers = owned_headers(response.headers, "response")?;
                let kind = Kind::Response { status, to_head };
                let framing = framing::framing(&headers, kind)
                    .map_err(|why| format!("response head: {why}"))?;
                let (body, used) =
                    body_of(&mut headers, &message[head_len..], framing, "response")?;
                let response = Response {
                    status,
                    headers,
                    body,
                };
                return Ok((response, head_len + used, framing == Framing::ToEnd));
            }
            Ok(httparse::Status::Partial) => return Err(incomplete("response")),
            Err(httparse::Error::TooManyHeaders) if capacity < MAX_HEADERS => capacity *= 4,
            Err(err) => return Err(format!("response head is not valid HTTP/1.x: {err}")),
        }
    }
}

/// The message for a head with no empty line after it.
fn incomplete(what: &str) -> String {
    format!("{what} head is incomplete: no empty line after the headers")
}

/// Checks that a head is UTF-8 (httparse lets other bytes through in header values).
fn check_utf8_head(head: &[u8], what: &str) -> Result<(), String> {
    std::str::from_utf8(head).map(|_| ()).map_err(|err| {
        format!(
            "{what} head is not valid UTF-8 at byte {}",
            err.valid_up_to()
        )
    })
}

/// Header pairs as strings, in order.
fn owned_headers(headers: &[httparse::Header<'_>], what: &str) -> Result<Headers, String> {
    headers
        .iter()
        .map(|header| {
            let value = std::str::from_utf8(header.value)
                .map_err(|_| format!("{what} header `{}` is not valid UTF-8", header.name))?;
            Ok((header.name.to_string(), value.to_string()))
        })
        .collect()
}

/// The body after a head, as `framing` delimits it: de-chunked (and `transfer-encoding`
/// dropped) when chunked. Returns it with the bytes of `rest` the message used.
fn body_of(
    headers: &mut Headers,
    rest: &[u8],
    framing: Framing,
    what: &str,
) -> Result<(Body, usize), String> {
    let (bytes, used) = framing::body(rest, framing).map_err(|why| match framing {
        Framing::Chunked => format!("chunked {what} body: {why}"),
        _ => format!("{what} body: {why}"),
    })?;
    if framing == Framing::Chunked {
        headers.retain(|(name, _)| !name.eq_ignore_ascii_case("transfer-encoding"));
    }
    Ok((Body::from_bytes(bytes), used))
}

/// A request target in origin form (`/path?query`): an absolute-form target
/// (`http://host/path`) loses its scheme and authority.
fn origin_form(target: &str) -> String {
    let lower = target.get(..8).unwrap_or(target).to_ascii_lowercase();
    let after_scheme = if lower.starts_with("http://") {
        &target[7..]
    } else if lower.starts_with("https://") {
        &target[8..]
    } else {
        return target.to_string();
    };
    match after_scheme.find(['/', '?']) {
        Some(start) if after_scheme[start..].starts_with('?') => {
            format!("/{}", &after_scheme[start..])
        }
        Some(start) => after_scheme[start..].to_string(),
        None => "/".to_string(),
    }
}

/// Nanoseconds since the Unix epoch as an RFC 3339 UTC time; the fraction is left out when it is
/// zero and written without trailing zeros otherwise.
fn rfc3339(nanos: u64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(nanos);
    let text = humantime::format_rfc3339_nanos(time).to_string();
    let (seconds, fraction) = text
        .trim_end_matches('Z')
        .split_once('.')
        .unwrap_or((&text, ""));
    match fraction.trim_end_matches('0') {
        "" => format!("{seconds}Z"),
        digits => format!("{seconds}.{digits}Z"),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;
    use crate::recordings::parse_line;

    /// The path of a fixture.
    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/gor")
            .join(name)
    }

    /// Opens a GoReplay file as the recordings reader does.
    fn open_gor(path: &Path, id_prefix: &str, limits: &Limits) -> Result<GorRecords> {
        let stream = crate::recordings::source::open(path, Some(crate::recordings::Format::Gor))?;
        GorRecords::open(path, id_prefix, stream, limits)
    }

    /// Every item of a file read with default limits.
    fn read_all(path: &Path) -> (Vec<Result<RawLine>>, BTreeMap<&'static str, u64>) {
        read_with(path, &Limits::default(), PENDING_CAP)
    }

    /// Every item of a file read with these limits and pending cap, and the skip counts.
    fn read_with(
        path: &Path,
        limits: &Limits,
        cap: usize,
    ) -> (Vec<Result<RawLine>>, BTreeMap<&'static str, u64>) {
        let mut records = open_gor(path, "", limits).unwrap();
        records.cap = cap;
        let items: Vec<_> = records.by_ref().collect();
        (items, records.skipped.clone())
    }

    /// The exchanges of a file that must read without errors, checking each line parses.
    fn exchanges(path: &Path) -> Vec<(Exchange, u64)> {
        let (items, _) = read_all(path);
        items
            .into_iter()
            .map(|item| {
                let line = item.unwrap();
                let exchange = parse_line(&line).unwrap();
                assert_eq!(exchange.id, line.fallback_id);
                assert_eq!(line.location.path, path);
                (exchange, line.location.line.unwrap())
            })
            .collect()
    }

    /// A record as GoReplay writes it.
    fn record(header: &str, message: &[u8]) -> Vec<u8> {
        let mut out = format!("{header}\n").into_bytes();
        out.extend_from_slice(message);
        out.push(b'\n');
        out.extend_from_slice(SEPARATOR);
        out.push(b'\n');
        out
    }

    /// Writes `bytes` to a file `name` in a new temporary folder.
    fn temp_file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(bytes)
            .unwrap();
        (dir, path)
    }

    /// The only error among the items, as text.
    fn only_error(items: &[Result<RawLine>]) -> String {
        let errors: Vec<String> = items
            .iter()
            .filter_map(|item| item.as_ref().err().map(ToString::to_string))
            .collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        errors[0].clone()
    }

    const GET: &[u8] = b"GET /x HTTP/1.1\r\nHost: h\r\n\r\n";
    const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    #[test]
    fn headers_without_latency_pair_requests_in_request_order() {
        let path = fixture("requests-v1.gor");
        let all = exchanges(&path);
        let ids: Vec<&str> = all.iter().map(|(e, _)| e.id.as_str()).collect();
        assert_eq!(ids, ["a1", "a2", "a3", "a4", "k1", "k1#2"]);
        let (a1, line) = &all[0];
        assert_eq!(*line, 1);
        assert_eq!(a1.ts.as_deref(), Some("2023-11-14T22:13:20Z"));
        assert_eq!(a1.request.method, "GET");
        assert_eq!(a1.request.url, "/orders/1?expand=items");
        let names: Vec<&str> = a1.request.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["Host", "Accept", "X-Trace", "X-Trace"]);
        assert_eq!(a1.request.body, Body::Empty);
        let response = a1.response.as_ref().unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(response.body, Body::Text(r#"{"id":1}"#.into()));
        let (a2, line) = &all[1];
        assert_eq!(*line, 10);
        assert_eq!(a2.ts.as_deref(), Some("2023-11-14T22:13:20.1Z"));
        assert_eq!(
            a2.request.body,
            Body::Text("{\"item\":\"pen\",\"qty\":2}\n".into()),
            "the body keeps its own line end and loses the framing one"
        );
        assert_eq!(a2.response.as_ref().unwrap().status, 201);
    }

    #[test]
    fn a_reused_id_pairs_first_in_first_out() {
        let all = exchanges(&fixture("requests-v1.gor"));
        let (first, second) = (&all[4].0, &all[5].0);
        assert_eq!(
            (first.id.as_str(), first.request.url.as_str()),
            ("k1", "/a")
        );
        assert_eq!(
            (second.id.as_str(), second.request.url.as_str()),
            ("k1#2", "/b")
        );
        assert_eq!(
            first.response.as_ref().unwrap().body,
            Body::Text("a".into())
        );
        assert_eq!(
            second.response.as_ref().unwrap().body,
            Body::Text("b".into())
        );
    }

    #[test]
    fn chunked_bodies_are_decoded_and_transfer_encoding_dropped() {
        let all = exchanges(&fixture("requests-v1.gor"));
        let response = all[2].0.response.as_ref().unwrap();
        assert_eq!(response.body, Body::Text("chunked body!".into()));
        let names: Vec<&str> = response.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["Content-Type", "X-After"]);
    }

    #[test]
    fn binary_bodies_are_byte_exact_even_around_separator_like_bytes() {
        let all = exchanges(&fixture("requests-v1.gor"));
        let mut expected = b"\x89PNG\r\n\x1a\n\x00\xff\xfe\x01x".to_vec();
        expected.extend_from_slice(SEPARATOR);
        expected.extend_from_slice(b"\n\x00\n");
        let response = all[3].0.response.as_ref().unwrap();
        assert_eq!(response.body, Body::Binary(expected));
    }

    #[test]
    fn headers_with_latency_read_with_replays_ignored_and_unanswered_requests_kept() {
        let path = fixture("requests-v2.gor");
        let (_, skipped) = read_all(&path);
        assert_eq!(skipped.get(REPLAYED), Some(&1));
        assert_eq!(skipped.len(), 1);
        let all = exchanges(&path);
        let ids: Vec<&str> = all.iter().map(|(e, _)| e.id.as_str()).collect();
        assert_eq!(ids, ["b1", "b2", "b3"]);
        assert_eq!(all[0].0.ts.as_deref(), Some("2023-11-14T22:13:30Z"));
        assert_eq!(
            all[0].0.response.as_ref().unwrap().body,
            Body::Text("ok".into())
        );
        let put = &all[1].0;
        assert!(put.response.is_none());
        assert_eq!(put.request.body, Body::Text(r#"{"name":"Al"}"#.into()));
        assert!(model_header(&put.request.headers, "transfer-encoding").is_none());
        let delete = all[2].0.response.as_ref().unwrap();
        assert_eq!((delete.status, &delete.body), (404, &Body::Empty));
    }

    /// Looks a header up by name.
    fn model_header<'a>(headers: &'a Headers, name: &str) -> Option<&'a str> {
        shadowdiff_core::header(headers, name)
    }

    #[test]
    fn gzip_reads_the_same_as_plain() {
        let plain = read_all(&fixture("requests-v1.gor")).0;
        let gzipped = read_all(&fixture("requests.gor.gz")).0;
        assert_eq!(plain.len(), gzipped.len());
        for (a, b) in plain.iter().zip(&gzipped) {
            let (a, b) = (a.as_ref().unwrap(), b.as_ref().unwrap());
            assert_eq!(a.bytes, b.bytes);
            assert_eq!(a.location.line, b.location.line);
            assert_eq!(a.fallback_id, b.fallback_id);
        }
    }

    #[test]
    fn ids_carry_the_folder_prefix() {
        let path = fixture("requests-v1.gor");
        let records = open_gor(&path, "requests-v1.gor:", &Limits::default()).unwrap();
        let ids: Vec<String> = records
            .map(|item| parse_line(&item.unwrap()).unwrap().id)
            .collect();
        assert_eq!(ids[0], "requests-v1.gor:a1");
        assert_eq!(ids[5], "requests-v1.gor:k1#2");
    }

    #[test]
    fn a_header_line_without_separator_is_a_truncated_file() {
        let mut bytes = record("1 a 1", GET);
        bytes.extend_from_slice(b"1 b 2\nGET /y HTTP/1.1\r\nHost: h\r\n\r\n");
        let (_dir, path) = temp_file("cut.gor", &bytes);
        let (items, _) = read_all(&path);
        let err = only_error(&items);
        assert!(
            err.starts_with(&format!("{}:7: record has no separator", path.display())),
            "{err}"
        );
        assert!(items.last().unwrap().is_err(), "the error ends the file");
    }

    #[test]
    fn bad_chunk_sizes_name_the_record_and_reading_goes_on() {
        let mut bytes = record("1 a 1", GET);
        bytes.extend(record(
            "2 a 2",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
        ));
        bytes.extend(record("1 b 3", GET));
        bytes.extend(record(
            "2 b 4",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100\r\nabc\r\n0\r\n\r\n",
        ));
        let (_dir, path) = temp_file("chunks.gor", &bytes);
        let (items, _) = read_all(&path);
        let errors: Vec<String> = items
            .iter()
            .filter_map(|item| item.as_ref().err().map(ToString::to_string))
            .collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        let prefix = path.display().to_string();
        assert!(
            errors[0].starts_with(&format!(
                "{prefix}:7: chunked response body: invalid chunk size"
            )),
            "{}",
            errors[0]
        );
        assert!(
            errors[1].starts_with(&format!("{prefix}:23: chunked response body: the chunk")),
            "{}",
            errors[1]
        );
        assert!(
            errors[1].contains("declares 256 bytes but only"),
            "{}",
            errors[1]
        );
        let ids: Vec<String> = items
            .iter()
            .filter_map(|item| item.as_ref().ok())
            .map(|line| line.fallback_id.clone())
            .collect();
        assert_eq!(
            ids,
            ["a", "b"],
            "requests whose response failed stay unanswered"
        );
    }

    /// The errors among the items, as text.
    fn errors(items: &[Result<RawLine>]) -> Vec<String> {
        items
            .iter()
            .filter_map(|item| item.as_ref().err().map(ToString::to_string))
            .collect()
    }

    #[test]
    fn chunk_lines_may_end_in_a_bare_lf_and_carry_extensions_and_trailers() {
        let mut bytes = record("1 a 1", GET);
        bytes.extend(record(
            "2 a 2",
            b"HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n5;x=1\nhello\n1\r\n!\r\n0\nX-Sum: 1\n\n",
        ));
        let (_dir, path) = temp_file("lf.gor", &bytes);
        let all = exchanges(&path);
        let response = all[0].0.response.as_ref().unwrap();
        assert_eq!(response.body, Body::Text("hello!".into()));
    }

    #[test]
    fn a_missing_separator_is_an_error_naming_the_header_line_after_it() {
        let unseparated = |first: &[u8]| {
            let mut bytes = record("1 a 1", GET);
            bytes.extend_from_slice(b"2 a 2\n");
            bytes.extend_from_slice(first);
            bytes.extend_from_slice(b"\n");
            bytes.extend(record("1 b 3", GET));
            bytes
        };
        for (name, first) in [
            ("length.gor", OK),
            ("close.gor", &b"HTTP/1.1 200 OK\r\n\r\nto the end"[..]),
            (
                "chunked.gor",
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
            ),
        ] {
            let (_dir, path) = temp_file(name, &unseparated(first));
            let (items, _) = read_all(&path);
            let errors = errors(&items);
            assert_eq!(errors.len(), 1, "{name}: {errors:?}");
            let header_line = 8 + first.iter().filter(|&&b| b == b'\n').count() + 1;
            assert_eq!(
                errors[0],
                format!(
                    "{}:{header_line}: a record header line inside the record of line 7: the \
                     separator line 🐵🙈🙉 before it is missing",
                    path.display()
                ),
                "{name}"
            );
        }
        let mut bytes = b"1 a 1\n".to_vec();
        bytes.extend_from_slice(GET);
        bytes.extend_from_slice(b"\n");
        bytes.extend(record("1 b 2", GET));
        let (_dir, path) = temp_file("request.gor", &bytes);
        let (items, _) = read_all(&path);
        assert_eq!(
            errors(&items),
            [format!(
                "{}:6: a record header line inside the record of line 1: the separator line \
                 🐵🙈🙉 before it is missing",
                path.display()
            )]
        );
    }

    #[test]
    fn a_body_that_does_not_match_its_content_length_is_an_error() {
        let mut bytes = record("1 a 1", GET);
        bytes.extend(record(
            "2 a 2",
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok",
        ));
        bytes.extend(record("1 b 3", GET));
        bytes.extend(record(
            "2 b 4",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nok",
        ));
        bytes.extend(record("1 c 5", b"GET /x HTTP/1.1\r\nHost: h\r\n\r\nstray"));
        let (_dir, path) = temp_file("length.gor", &bytes);
        let (items, _) = read_all(&path);
        let prefix = path.display().to_string();
        assert_eq!(
            errors(&items),
            [
                format!(
                    "{prefix}:7: response body: content-length says 10 bytes but the body has \
                     only 2"
                ),
                format!(
                    "{prefix}:19: 1 bytes follow the end of the response, which its head \
                     delimits (content-length, chunked, or no body): a record holds one message"
                ),
                format!(
                    "{prefix}:25: 5 bytes follow the end of the request, which its head \
                     delimits (content-length, chunked, or no body): a record holds one message"
                ),
            ]
        );
    }

    #[test]
    fn a_response_to_head_has_no_body_whatever_its_content_length() {
        let mut bytes = record("1 a 1", b"HEAD /x HTTP/1.1\r\nHost: h\r\n\r\n");
        bytes.extend(record(
            "2 a 2",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n",
        ));
        bytes.extend(record("1 b 3", GET));
        bytes.extend(record(
            "2 b 4",
            b"HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n",
        ));
        let (_dir, path) = temp_file("head.gor", &bytes);
        let all = exchanges(&path);
        for (exchange, _) in &all {
            assert_eq!(exchange.response.as_ref().unwrap().body, Body::Empty);
        }
    }

    #[test]
    fn a_response_with_no_request_is_skipped_and_counted() {
        let mut bytes = record("2 orphan 1", OK);
        bytes.extend(record("1 a 2", GET));
        bytes.extend(record("2 a 3", OK));
        bytes.extend(record("2 a 4", OK));
        let (_dir, path) = temp_file("orphan.gor", &bytes);
        let (items, skipped) = read_all(&path);
        assert_eq!(items.len(), 1);
        assert!(items[0].is_ok());
        assert_eq!(skipped.get(NO_REQUEST), Some(&2));
    }

    #[test]
    fn a_garbage_header_line_names_the_record_and_reading_goes_on() {
        let mut bytes = record("1 a 1", GET);
        bytes.extend(record("hello there", GET));
        bytes.extend(record("1 b 2 x", GET));
        bytes.extend(record("7 c 2", GET));
        bytes.extend(record("1 d 3", GET));
        let (_dir, path) = temp_file("garbage.gor", &bytes);
        let (items, _) = read_all(&path);
        let prefix = path.display().to_string();
        let errors: Vec<String> = items
            .iter()
            .filter_map(|item| item.as_ref().err().map(ToString::to_string))
            .collect();
        assert_eq!(errors.len(), 3, "{errors:?}");
        for (error, line) in errors.iter().zip([7, 13, 19]) {
            let expected = format!("{prefix}:{line}: record header is not");
            assert!(error.starts_with(&expected), "{error}");
        }
        let ok = items.iter().filter(|item| item.is_ok()).count();
        assert_eq!(ok, 2);
    }

    #[test]
    fn a_gzip_file_cut_short_is_an_error_not_a_panic() {
        let whole = std::fs::read(fixture("requests.gor.gz")).unwrap();
        for cut in [whole.len() / 2, whole.len() - 4, 12] {
            let (_dir, path) = temp_file("cut.gor.gz", &whole[..cut]);
            let (items, _) = read_all(&path);
            let err = only_error(&items);
            assert!(err.starts_with(&format!("{}:", path.display())), "{err}");
            assert!(err.contains("gzip stream is truncated or corrupt"), "{err}");
            assert!(items.last().unwrap().is_err(), "the error ends the file");
        }
    }

    #[test]
    fn a_record_over_the_size_cap_is_an_error_and_reading_goes_on() {
        let big = format!("POST /x HTTP/1.1\r\nHost: h\r\n\r\n{}", "y\n".repeat(100));
        let mut bytes = record("1 a 1", big.as_bytes());
        bytes.extend(record("1 b 2", GET));
        let (_dir, path) = temp_file("big.gor", &bytes);
        let limits = Limits { max_line_bytes: 64 };
        let (items, _) = read_with(&path, &limits, PENDING_CAP);
        let err = only_error(&items);
        assert_eq!(
            err,
            format!(
                "{}:1: record is bigger than the limit of 64 bytes",
                path.display()
            )
        );
        assert_eq!(items.last().unwrap().as_ref().unwrap().fallback_id, "b");
        let exact = record("1 c 3", &[b'z'; 64]);
        let (_dir, path) = temp_file("exact.gor", &exact);
        let (items, _) = read_with(&path, &limits, PENDING_CAP);
        let err = only_error(&items);
        assert!(err.contains("request head is incomplete"), "{err}");
    }

    #[test]
    fn a_head_that_is_not_utf8_or_not_complete_is_an_error() {
        let mut bytes = record("1 a 1", b"GET / HTTP/1.1\r\nX-Name: caf\xe9\r\n\r\n");
        bytes.extend(record("1 b 2", b"GET / HTTP/1.1\r\nHost: h\r\n"));
        let (_dir, path) = temp_file("heads.gor", &bytes);
        let (items, _) = read_all(&path);
        let prefix = path.display().to_string();
        let errors: Vec<String> = items
            .iter()
            .filter_map(|item| item.as_ref().err().map(ToString::to_string))
            .collect();
        assert!(
            errors[0].starts_with(&format!("{prefix}:1: request head is not valid UTF-8")),
            "{}",
            errors[0]
        );
        assert!(
            errors[1].starts_with(&format!("{prefix}:7: request head is incomplete")),
            "{}",
            errors[1]
        );
    }

    #[test]
    fn beyond_the_cap_the_oldest_request_goes_out_unanswered() {
        let mut bytes = Vec::new();
        for (n, id) in ["a", "b", "c"].iter().enumerate() {
            bytes.extend(record(&format!("1 {id} {n}"), GET));
        }
        bytes.extend(record("2 a 9", OK));
        bytes.extend(record("2 c 9", OK));
        let (_dir, path) = temp_file("cap.gor", &bytes);
        let (items, skipped) = read_with(&path, &Limits::default(), 2);
        let exchanges: Vec<Exchange> = items
            .iter()
            .map(|item| parse_line(item.as_ref().unwrap()).unwrap())
            .collect();
        let ids: Vec<&str> = exchanges.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        let answered: Vec<bool> = exchanges.iter().map(|e| e.response.is_some()).collect();
        assert_eq!(answered, [false, false, true]);
        assert_eq!(skipped.get(NO_REQUEST), Some(&1));
    }

    #[test]
    fn separators_blank_lines_and_a_missing_final_line_end_are_tolerated() {
        let mut bytes = b"\n".to_vec();
        bytes.extend_from_slice(SEPARATOR);
        bytes.push(b'\n');
        bytes.extend(record("1 a 1", GET));
        bytes.extend(record("2 a 2", OK));
        bytes.pop();
        let (_dir, path) = temp_file("loose.gor", &bytes);
        let (items, skipped) = read_all(&path);
        assert_eq!(items.len(), 1);
        let exchange = parse_line(items[0].as_ref().unwrap()).unwrap();
        assert_eq!(exchange.response.unwrap().body, Body::Text("ok".into()));
        assert_eq!(skipped.get(EMPTY_RECORD), Some(&1));
        assert_eq!(items[0].as_ref().unwrap().location.line, Some(3));
    }

    #[test]
    fn an_empty_file_has_no_exchanges() {
        let (_dir, path) = temp_file("empty.gor", b"");
        assert!(read_all(&path).0.is_empty());
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400_000_000_000), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(4_102_444_799_000_000_000), "2099-12-31T23:59:59Z");
        assert_eq!(
            rfc3339(1_439_818_823_587_396_305),
            "2015-08-17T13:40:23.587396305Z"
        );
        assert_eq!(rfc3339(u64::MAX), "2554-07-21T23:34:33.709551615Z");
    }

    #[test]
    fn absolute_targets_become_origin_form() {
        assert_eq!(origin_form("/a?b=1"), "/a?b=1");
        assert_eq!(origin_form("http://host:80/a?b=1"), "/a?b=1");
        assert_eq!(origin_form("HTTPS://host"), "/");
        assert_eq!(origin_form("http://host?q=1"), "/?q=1");
        assert_eq!(origin_form("*"), "*");
    }
}
