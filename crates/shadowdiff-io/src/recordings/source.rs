//! Where a recording's bytes come from: the files a path names, in reading order, each opened
//! once as a decompressed byte stream whose format is known before it is read.
//!
//! A file is read as zstd when it starts with the zstd magic number, whatever its name, or when
//! its name ends in `.zst` and it does not look like plain JSON text; as gzip when it starts with
//! the gzip magic number. Its format comes from its name (`.har`, `.har.gz`, `.gor`, `.gor.gz`),
//! else from its first decompressed bytes, which are read ahead and then handed back to the
//! reader: the file is opened once, so standard input (`-`), a FIFO or a process substitution
//! (`<(zstdcat a.jsonl.zst)`) reads whole. A folder means every recording file directly in it,
//! sorted by file name in byte order; hidden files are ignored.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::{Error, Result};
use shadowdiff_core::Location;

/// The first four bytes of every zstd frame.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

/// The first two bytes of every gzip member.
const GZIP_MAGIC: [u8; 2] = [0x1F, 0x8B];

/// How many decompressed bytes are read ahead to tell the format.
const SNIFF_BYTES: usize = 512;

/// The path that names standard input.
const STDIN: &str = "-";

/// File name endings of recordings, compared ASCII case-insensitively.
const EXTENSIONS: [&str; 9] = [
    ".jsonl",
    ".ndjson",
    ".json",
    ".jsonl.zst",
    ".ndjson.zst",
    ".har",
    ".har.gz",
    ".gor",
    ".gor.gz",
];

/// What a recording file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Native JSON Lines, plain or zstd.
    Native,
    /// HAR 1.2 (browsers, mitmproxy, Charles, Fiddler, Proxyman), plain or gzip.
    Har,
    /// GoReplay, plain or gzip.
    Gor,
}

/// How a file's bytes are compressed, as its first bytes (or its `.zst` name) say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Compression {
    /// Not compressed.
    None,
    /// A zstd stream.
    Zstd,
    /// One or more gzip members.
    Gzip,
}

impl Compression {
    /// The name used in messages about a broken stream.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "plain",
            Compression::Zstd => "zstd",
            Compression::Gzip => "gzip",
        }
    }
}

/// Whether a path names standard input (`-`).
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == STDIN
}

/// Whether a path can be read only once: standard input, a FIFO, a process substitution
/// (`/dev/fd/N`) or another file that is neither a regular file nor a folder. Such a recording
/// is not opened ahead of the run to check or count it.
pub fn is_stream(path: &Path) -> bool {
    is_stdin(path) || fs::metadata(path).is_ok_and(|meta| !meta.is_file() && !meta.is_dir())
}

/// The format a file's name says (`.har`, `.har.gz`, `.gor`, `.gor.gz`), if it says one.
fn format_by_name(path: &Path) -> Option<Format> {
    let by_name = |ext: &str| {
        path.file_name()
            .is_some_and(|name| ends_with_ignore_case(name.as_encoded_bytes(), ext))
    };
    if by_name(".har") || by_name(".har.gz") {
        Some(Format::Har)
    } else if by_name(".gor") || by_name(".gor.gz") {
        Some(Format::Gor)
    } else {
        None
    }
}

/// The format that the first bytes of a file suggest: a JSON object with a `"log"` key is HAR; a
/// `1 ID TIMESTAMP` header line is GoReplay; anything else is native.
fn sniff(head: &[u8]) -> Format {
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if let Some(object) = trimmed.strip_prefix('{') {
        if object.trim_start().starts_with("\"log\"") {
            return Format::Har;
        }
    }
    let first_line = trimmed.lines().next().unwrap_or("");
    let fields: Vec<&str> = first_line.split(' ').collect();
    let gor_header = (3..=4).contains(&fields.len())
        && matches!(fields[0], "1" | "2" | "3")
        && fields[1].bytes().all(|b| b.is_ascii_hexdigit())
        && !fields[1].is_empty()
        && fields[2..]
            .iter()
            .all(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    if gor_header {
        Format::Gor
    } else {
        Format::Native
    }
}

/// Buffer size of file and decompressor readers.
const BUFFER_BYTES: usize = 64 * 1024;

/// Whether a file name has the ending of a recording (`.jsonl`, `.ndjson`, `.json`,
/// `.jsonl.zst`, `.ndjson.zst`, `.har`, `.har.gz`, `.gor`, `.gor.gz`, in any letter case).
/// Only the name is looked at.
pub fn is_recording_file(path: &Path) -> bool {
    path.file_name().is_some_and(|name| {
        EXTENSIONS
            .iter()
            .any(|ext| ends_with_ignore_case(name.as_encoded_bytes(), ext))
    })
}

fn ends_with_ignore_case(name: &[u8], suffix: &str) -> bool {
    name.len() > suffix.len()
        && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// The files to read for a path, and whether the path was a folder.
pub(crate) struct Listing {
    /// The files in reading order.
    pub files: Vec<PathBuf>,
    /// Whether the path named a folder (fallback ids then carry the file name).
    pub folder: bool,
}

/// Lists the files a path names: the path itself when it is a file (or `-`, standard input),
/// else the recording files directly in the folder, sorted by name. A folder without one is an
/// error.
pub(crate) fn list(path: &Path) -> Result<Listing> {
    if is_stdin(path) {
        return Ok(Listing {
            files: vec![path.to_path_buf()],
            folder: false,
        });
    }
    let metadata = fs::metadata(path).map_err(|err| Error::io(path, err))?;
    if !metadata.is_dir() {
        return Ok(Listing {
            files: vec![path.to_path_buf()],
            folder: false,
        });
    }
    let mut names = Vec::new();
    for entry in fs::read_dir(path).map_err(|err| Error::io(path, err))? {
        let entry = entry.map_err(|err| Error::io(path, err))?;
        let name = entry.file_name();
        if name.as_encoded_bytes().starts_with(b".") || !is_recording_file(Path::new(&name)) {
            continue;
        }
        let is_file = fs::metadata(entry.path())
            .map_err(|err| Error::io(entry.path(), err))?
            .is_file();
        if is_file {
            names.push(name);
        }
    }
    if names.is_empty() {
        return Err(Error::input(
            Location::file(path),
            format!(
                "folder holds no recordings: expected files ending in {}",
                EXTENSIONS.join(", ")
            ),
        ));
    }
    names.sort_by(|a, b| a.as_encoded_bytes().cmp(b.as_encoded_bytes()));
    Ok(Listing {
        files: names.into_iter().map(|name| path.join(name)).collect(),
        folder: true,
    })
}

/// One opened recording file: its decompressed bytes, buffered, and what they hold.
pub(crate) struct Stream {
    /// The decompressed bytes, from the first.
    pub reader: Box<dyn BufRead + Send>,
    /// The format of the file: the one asked for, else by name, else by its first bytes.
    pub format: Format,
    /// How the file is compressed.
    pub compression: Compression,
    /// Tells whether an I/O error came from the file itself rather than from the decoder.
    pub file_failed: FailFlag,
}

/// Set when reading a file itself failed, as opposed to decoding what was read.
pub(crate) struct FailFlag(Arc<AtomicBool>);

impl FailFlag {
    /// Whether reading the file failed.
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Opens a recording file (`-` is standard input) once: sniffs its compression from its first
/// bytes, then its format, unless `format` is given, from its name or its first decompressed
/// bytes, which the reader then gives again.
pub(crate) fn open(path: &Path, format: Option<Format>) -> Result<Stream> {
    let inner: Box<dyn Read + Send> = if is_stdin(path) {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(path).map_err(|err| Error::io(path, err))?)
    };
    let file_failed = Arc::new(AtomicBool::new(false));
    let mut file = Tracked {
        inner,
        failed: Arc::clone(&file_failed),
    };
    let (magic, err) = read_ahead(&mut file, ZSTD_MAGIC.len());
    if let Some(err) = err {
        return Err(Error::io(path, err));
    }
    let named_zst = ends_with_ignore_case(path.as_os_str().as_encoded_bytes(), ".zst");
    let compression = if magic == ZSTD_MAGIC || (named_zst && !looks_like_text(&magic)) {
        Compression::Zstd
    } else if magic.starts_with(&GZIP_MAGIC) {
        Compression::Gzip
    } else {
        Compression::None
    };
    let raw = Cursor::new(magic).chain(file);
    let mut decoded: Box<dyn Read + Send> = match compression {
        Compression::None => Box::new(raw),
        Compression::Zstd => Box::new(
            zstd::stream::read::Decoder::with_buffer(BufReader::with_capacity(BUFFER_BYTES, raw))
                .map_err(|err| Error::io(path, err))?,
        ),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(
            BufReader::with_capacity(BUFFER_BYTES, raw),
        )),
    };
    let (head, error) = read_ahead(&mut decoded, SNIFF_BYTES);
    let format = format
        .or_else(|| format_by_name(path))
        .unwrap_or_else(|| sniff(&head));
    let reader = Rewound {
        head: Cursor::new(head),
        error,
        rest: decoded,
    };
    Ok(Stream {
        reader: Box::new(BufReader::with_capacity(BUFFER_BYTES, reader)),
        format,
        compression,
        file_failed: FailFlag(file_failed),
    })
}

/// Whether the first bytes of a file look like JSON Lines rather than a compressed stream; an
/// empty file counts as text, so that it is reported as empty rather than as corrupt.
fn looks_like_text(head: &[u8]) -> bool {
    match head.first() {
        None => true,
        Some(&byte) => byte == b'{' || byte.is_ascii_whitespace(),
    }
}

/// Reads up to `want` bytes, fewer only at the end of the input or when reading fails; returns
/// them with the error reading stopped at, if any.
fn read_ahead(reader: &mut impl Read, want: usize) -> (Vec<u8>, Option<io::Error>) {
    let mut head = vec![0u8; want];
    let mut filled = 0;
    while filled < want {
        match reader.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => {
                head.truncate(filled);
                return (head, Some(err));
            }
        }
    }
    head.truncate(filled);
    (head, None)
}

/// A reader that gives the bytes read ahead again, then the error reading them stopped at (if
/// one did), then the rest.
struct Rewound<R> {
    head: Cursor<Vec<u8>>,
    error: Option<io::Error>,
    rest: R,
}

impl<R: Read> Read for Rewound<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.head.read(buf)?;
        if read > 0 || buf.is_empty() {
            return Ok(read);
        }
        if let Some(err) = self.error.take() {
            return Err(err);
        }
        self.rest.read(buf)
    }
}

/// A reader that notes when the reader inside it fails.
struct Tracked<R> {
    inner: R,
    failed: Arc<AtomicBool>,
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let result = self.inner.read(buf);
        if matches!(&result, Err(err) if err.kind() != io::ErrorKind::Interrupted) {
            self.failed.store(true, Ordering::Relaxed);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recording_files_are_known_by_their_ending() {
        for name in [
            "a.jsonl",
            "a.ndjson",
            "a.json",
            "a.jsonl.zst",
            "A.NDJSON.ZST",
            "dir/b.JSONL",
            "a.har",
            "a.HAR.gz",
            "a.gor",
            "a.gor.gz",
        ] {
            assert!(is_recording_file(Path::new(name)), "{name}");
        }
        for name in ["a.zst", "a.json.gz", "jsonl", ".jsonl", "a.jsonl.tmp"] {
            assert!(!is_recording_file(Path::new(name)), "{name}");
        }
    }

    #[test]
    fn formats_are_sniffed_from_the_first_bytes() {
        assert_eq!(sniff(b"{\"id\":\"r1\"}"), Format::Native);
        assert_eq!(sniff(b"  {\n  \"log\": {\"version\": \"1.2\""), Format::Har);
        assert_eq!(
            sniff(b"1 8e1c3a 1700000000000000000\nGET / HTTP/1.1\r\n"),
            Format::Gor
        );
        assert_eq!(sniff(b"1 8e1c3a 1700000000000000000 1200\n"), Format::Gor);
        assert_eq!(sniff(b"1 2 3 4 5\n"), Format::Native);
        assert_eq!(sniff(b""), Format::Native);
    }

    #[test]
    fn the_format_is_sniffed_after_decompressing_and_the_head_is_read_again() {
        use std::io::Write as _;
        let dir = tempfile::tempdir().unwrap();
        let har = format!(
            r#"{{"log":{{"entries":[{}]}}}}"#,
            " ".repeat(2 * SNIFF_BYTES)
        );
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gzip.write_all(har.as_bytes()).unwrap();
        let path = dir.path().join("capture");
        fs::write(&path, gzip.finish().unwrap()).unwrap();
        let mut stream = open(&path, None).unwrap();
        assert_eq!(
            (stream.format, stream.compression),
            (Format::Har, Compression::Gzip)
        );
        let mut text = String::new();
        stream.reader.read_to_string(&mut text).unwrap();
        assert_eq!(text, har);
    }

    #[test]
    fn plain_text_is_not_taken_for_compressed_data() {
        assert!(looks_like_text(b""));
        assert!(looks_like_text(b"{\"id\""));
        assert!(looks_like_text(b"\n\n{"));
        assert!(!looks_like_text(&ZSTD_MAGIC));
        assert!(!looks_like_text(b"\x00\x01"));
    }
}
