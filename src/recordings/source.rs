//! Where a recording's bytes come from: the files a path names, in reading order, each opened as
//! a decompressed byte stream.
//!
//! A file is read as zstd when it starts with the zstd magic number, whatever its name, or when
//! its name ends in `.zst` and it does not look like plain JSON text. A folder means every
//! recording file directly in it, sorted by file name in byte order; hidden files are ignored.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::{Error, Location, Result};

/// The first four bytes of every zstd frame.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

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

/// The format of a file: by its name (`.har`, `.har.gz`, `.gor`, `.gor.gz`), else by its first
/// bytes (a JSON object with a `"log"` key is HAR; a `1 ID TIMESTAMP` header line is GoReplay),
/// else native.
pub fn format_of(path: &Path) -> Format {
    let by_name = |ext: &str| {
        path.file_name()
            .is_some_and(|name| ends_with_ignore_case(name.as_encoded_bytes(), ext))
    };
    if by_name(".har") || by_name(".har.gz") {
        return Format::Har;
    }
    if by_name(".gor") || by_name(".gor.gz") {
        return Format::Gor;
    }
    let mut head = [0u8; 512];
    let read = File::open(path)
        .and_then(|mut file| read_head(&mut file, &mut head))
        .unwrap_or(0);
    sniff(&head[..read])
}

/// The format that the first bytes of a file suggest.
fn sniff(head: &[u8]) -> Format {
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start();
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

/// Lists the files a path names: the path itself when it is a file, else the recording files
/// directly in the folder, sorted by name. A folder without one is an error.
pub(crate) fn list(path: &Path) -> Result<Listing> {
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

/// One opened recording file: its decompressed bytes, buffered.
pub(crate) struct Stream {
    /// The decompressed bytes.
    pub reader: Box<dyn BufRead + Send>,
    /// Whether the file is read through the zstd decoder.
    pub compressed: bool,
    /// Tells whether an I/O error came from the file itself rather than from the zstd decoder.
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

/// Opens a recording file, sniffing whether it is zstd-compressed.
pub(crate) fn open(path: &Path) -> Result<Stream> {
    let file = File::open(path).map_err(|err| Error::io(path, err))?;
    let file_failed = Arc::new(AtomicBool::new(false));
    let mut file = Tracked {
        inner: file,
        failed: Arc::clone(&file_failed),
    };
    let mut head = [0u8; 4];
    let head_len = read_head(&mut file, &mut head).map_err(|err| Error::io(path, err))?;
    let head = &head[..head_len];
    let named_zst = ends_with_ignore_case(path.as_os_str().as_encoded_bytes(), ".zst");
    let compressed = head == ZSTD_MAGIC || (named_zst && !looks_like_text(head));
    let raw = BufReader::with_capacity(BUFFER_BYTES, Cursor::new(head.to_vec()).chain(file));
    let reader: Box<dyn BufRead + Send> = if compressed {
        let decoder =
            zstd::stream::read::Decoder::with_buffer(raw).map_err(|err| Error::io(path, err))?;
        Box::new(BufReader::with_capacity(BUFFER_BYTES, decoder))
    } else {
        Box::new(raw)
    };
    Ok(Stream {
        reader,
        compressed,
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

/// Reads up to `head.len()` bytes, fewer only at the end of the file.
fn read_head(reader: &mut impl Read, head: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < head.len() {
        match reader.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
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
    fn plain_text_is_not_taken_for_compressed_data() {
        assert!(looks_like_text(b""));
        assert!(looks_like_text(b"{\"id\""));
        assert!(looks_like_text(b"\n\n{"));
        assert!(!looks_like_text(&ZSTD_MAGIC));
        assert!(!looks_like_text(b"\x00\x01"));
    }
}
