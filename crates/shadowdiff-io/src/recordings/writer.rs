//! Writing a native recording: one compact JSON line per exchange, zstd-compressed when the file
//! name ends in `.zst`.
//!
//! The lines go to a hidden temporary file in the target's folder, which is renamed over the
//! target only by [`RecordingWriter::finish`]; a failed or abandoned write leaves no partial
//! recording under the final name (and readers of folders skip hidden files).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::TempPath;

use crate::error::{Error, Result};
use shadowdiff_core::Exchange;

/// The zstd compression level of written recordings.
const ZSTD_LEVEL: i32 = 3;

/// Buffer size of the file writer.
const BUFFER_BYTES: usize = 64 * 1024;

/// Writes exchanges to a recording file, atomically: the file appears, complete, on
/// [`finish`](RecordingWriter::finish); dropping the writer without finishing discards it.
pub struct RecordingWriter {
    /// Declared before `temp` so the file is closed before the temporary path is removed.
    sink: Sink,
    temp: TempPath,
    path: PathBuf,
    line: Vec<u8>,
    bytes: u64,
    failed: bool,
}

enum Sink {
    Plain(BufWriter<File>),
    Zstd(zstd::stream::write::Encoder<'static, BufWriter<File>>),
}

impl RecordingWriter {
    /// Starts writing the recording `path`: zstd (level 3) when its name ends in `.zst`, plain
    /// JSON Lines otherwise. Nothing appears under `path` until [`finish`](Self::finish).
    pub fn create(path: &Path) -> Result<RecordingWriter> {
        let name = path.file_name().ok_or_else(|| {
            Error::io(
                path,
                io::Error::new(io::ErrorKind::InvalidInput, "not a file name"),
            )
        })?;
        let folder = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let mut prefix = std::ffi::OsString::from(".");
        prefix.push(name);
        prefix.push(".");
        let (file, temp) = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(".tmp")
            .tempfile_in(folder)
            .map_err(|err| Error::io(path, err))?
            .into_parts();
        let buffered = BufWriter::with_capacity(BUFFER_BYTES, file);
        let compressed = name
            .as_encoded_bytes()
            .to_ascii_lowercase()
            .ends_with(b".zst");
        let sink = if compressed {
            let mut encoder = zstd::stream::write::Encoder::new(buffered, ZSTD_LEVEL)
                .map_err(|err| Error::io(path, err))?;
            encoder
                .include_checksum(true)
                .map_err(|err| Error::io(path, err))?;
            Sink::Zstd(encoder)
        } else {
            Sink::Plain(buffered)
        };
        Ok(RecordingWriter {
            sink,
            temp,
            path: path.to_path_buf(),
            line: Vec::new(),
            bytes: 0,
            failed: false,
        })
    }

    /// Appends one exchange as one compact JSON line.
    pub fn write(&mut self, exchange: &Exchange) -> Result<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, exchange)
            .map_err(|err| Error::io(&self.path, io::Error::other(err)))?;
        self.line.push(b'\n');
        let written = match &mut self.sink {
            Sink::Plain(out) => out.write_all(&self.line),
            Sink::Zstd(out) => out.write_all(&self.line),
        };
        self.bytes += self.line.len() as u64;
        written.map_err(|err| {
            self.failed = true;
            Error::io(&self.path, err)
        })
    }

    /// The bytes of JSON Lines written so far, before compression.
    pub fn bytes_written(&self) -> u64 {
        self.bytes
    }

    /// Flushes and syncs everything written and moves the file to its final name. After an
    /// earlier failed write the recording is discarded instead, and this is an error.
    pub fn finish(self) -> Result<()> {
        let RecordingWriter {
            sink,
            temp,
            path,
            failed,
            ..
        } = self;
        if failed {
            return Err(Error::io(
                &path,
                io::Error::other("an earlier write failed, so the recording was not saved"),
            ));
        }
        let buffered = match sink {
            Sink::Plain(out) => out,
            Sink::Zstd(out) => out.finish().map_err(|err| Error::io(&path, err))?,
        };
        let file = buffered
            .into_inner()
            .map_err(|err| Error::io(&path, err.into_error()))?;
        file.sync_all().map_err(|err| Error::io(&path, err))?;
        drop(file);
        temp.persist(&path)
            .map_err(|err| Error::io(&path, err.error))?;
        Ok(())
    }
}
