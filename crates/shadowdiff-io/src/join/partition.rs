//! The grace hash join behind `diff`: every line goes to one of a few partition files by a hash
//! of its id, and each partition is then joined on its own, so memory holds one partition's ids,
//! never all of them.
//!
//! Lines the streaming join already paired go in as bare ids (`seen`), so that every id of both
//! sides meets its duplicates in one partition; lines still to pair go in with their bytes
//! (`held`). A partition larger than memory allows is split again with another hash seed.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek as _, SeekFrom, Write};
use std::os::unix::fs::FileExt as _;
use std::path::PathBuf;

use xxhash_rust::xxh3::xxh3_64_with_seed;

use shadowdiff_core::Location;

use crate::error::{Error, Result};
use crate::recordings::RawLine;

use super::{Joined, Side, Sizes};

/// How many times a partition too large for memory is split again before it is joined as it is
/// (only many lines sharing one id, which are duplicates, stay together that long).
const MAX_DEPTH: u64 = 4;
/// The fixed part of a record: side, held, position, file, line, id length, body length.
const HEAD: usize = 38;

/// Where a line came from: its side, its position there, and its file and line number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place {
    /// A or B.
    pub side: Side,
    /// The 0-based position among the lines of its side.
    pub pos: u64,
    /// The index of its file in the side's file list.
    pub file: u32,
    /// The 1-based line number in that file.
    pub line: u64,
}

/// Partition files being written: one buffered anonymous temp file per partition.
pub struct Partitions {
    writers: Vec<BufWriter<File>>,
    counts: Vec<u64>,
    seed: u64,
}

/// One partition file, written, with the number of lines in it.
struct Written {
    file: File,
    count: u64,
}

/// One line of a loaded partition; its id and bytes stay where they are.
struct Entry {
    place: Place,
    held: bool,
    id: (usize, usize),
    body: (u64, u64),
}

/// A line whose id its side had already used, and where that was.
struct Duplicate {
    id: String,
    first: Place,
    second: Place,
}

impl Duplicate {
    /// B's duplicates first, as B used to be read first; then by where the second use is.
    fn rank(&self) -> (bool, u64) {
        (self.second.side == Side::A, self.second.pos)
    }
}

fn temp_error(err: std::io::Error) -> Error {
    Error::io(std::env::temp_dir(), err)
}

impl Partitions {
    /// Opens `count` empty partitions whose hash uses `seed`.
    pub fn new(count: usize, seed: u64) -> Result<Partitions> {
        let writers = (0..count.max(1))
            .map(|_| {
                tempfile::tempfile()
                    .map(|file| BufWriter::with_capacity(64 * 1024, file))
                    .map_err(temp_error)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Partitions {
            counts: vec![0; writers.len()],
            writers,
            seed,
        })
    }

    /// Records a line already paired: only its id and place, for the duplicate check.
    pub fn seen(&mut self, place: Place, id: &str) -> Result<()> {
        self.write(place, id.as_bytes(), None)
    }

    /// Records a line still to pair, with its bytes.
    pub fn held(&mut self, place: Place, id: &str, bytes: &[u8]) -> Result<()> {
        self.write(place, id.as_bytes(), Some(bytes))
    }

    fn write(&mut self, place: Place, id: &[u8], body: Option<&[u8]>) -> Result<()> {
        let index = (xxh3_64_with_seed(id, self.seed) % self.writers.len() as u64) as usize;
        self.counts[index] += 1;
        let mut head = [0u8; HEAD];
        head[0] = place.side as u8;
        head[1] = u8::from(body.is_some());
        head[2..10].copy_from_slice(&place.pos.to_le_bytes());
        head[10..14].copy_from_slice(&place.file.to_le_bytes());
        head[14..22].copy_from_slice(&place.line.to_le_bytes());
        head[22..30].copy_from_slice(&(id.len() as u64).to_le_bytes());
        head[30..38].copy_from_slice(&(body.map_or(0, <[u8]>::len) as u64).to_le_bytes());
        let out = &mut self.writers[index];
        out.write_all(&head).map_err(temp_error)?;
        out.write_all(id).map_err(temp_error)?;
        out.write_all(body.unwrap_or_default()).map_err(temp_error)
    }

    fn finish(self) -> Result<Vec<Written>> {
        self.writers
            .into_iter()
            .zip(self.counts)
            .map(|(writer, count)| {
                let mut file = writer
                    .into_inner()
                    .map_err(|err| temp_error(err.into_error()))?;
                file.seek(SeekFrom::Start(0)).map_err(temp_error)?;
                Ok(Written { file, count })
            })
            .collect()
    }

    /// Joins every partition in turn: pairs, lines on one side only (`only_in_b` positioned after
    /// A's `a_count` lines, in B's order) go to `sink` in batches; a duplicate id on either side
    /// is an error naming both lines, and stops the judging.
    pub fn settle(
        self,
        files: &[Vec<PathBuf>; 2],
        a_count: u64,
        sizes: Sizes,
        sink: &mut dyn FnMut(Vec<Joined>) -> Result<()>,
    ) -> Result<()> {
        let mut settler = Settler {
            files,
            a_count,
            sizes,
            sink,
            batch: Vec::new(),
            duplicate: None,
        };
        for written in self.finish()? {
            settler.partition(written, 1)?;
        }
        settler.flush()?;
        match settler.duplicate.take() {
            None => Ok(()),
            Some(duplicate) => Err(Error::input(
                settler.location(duplicate.second),
                format!(
                    "duplicate id `{}`, first used at {}; ids must be unique within a recording",
                    duplicate.id,
                    settler.location(duplicate.first),
                ),
            )),
        }
    }
}

/// One record read back from a partition file.
struct Record {
    place: Place,
    held: bool,
    id: Vec<u8>,
    body_len: u64,
}

/// Reads the next record's head and id; the body (if held) is next in `reader`.
fn read_record(reader: &mut impl Read) -> Result<Option<Record>> {
    let mut head = [0u8; HEAD];
    match reader.read_exact(&mut head) {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(err) => return Err(temp_error(err)),
    }
    let u32_at =
        |at: usize| u32::from_le_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
    let u64_at = |at: usize| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&head[at..at + 8]);
        u64::from_le_bytes(bytes)
    };
    let mut id = vec![0u8; u64_at(22) as usize];
    reader.read_exact(&mut id).map_err(temp_error)?;
    Ok(Some(Record {
        place: Place {
            side: if head[0] == Side::A as u8 {
                Side::A
            } else {
                Side::B
            },
            pos: u64_at(2),
            file: u32_at(10),
            line: u64_at(14),
        },
        held: head[1] == 1,
        id,
        body_len: u64_at(30),
    }))
}

/// Joins partitions one at a time and sends what it finds on.
struct Settler<'a> {
    files: &'a [Vec<PathBuf>; 2],
    a_count: u64,
    sizes: Sizes,
    sink: &'a mut dyn FnMut(Vec<Joined>) -> Result<()>,
    batch: Vec<Joined>,
    duplicate: Option<Duplicate>,
}

impl Settler<'_> {
    fn location(&self, place: Place) -> Location {
        Location::line(
            &self.files[place.side as usize][place.file as usize],
            place.line,
        )
    }

    /// Joins one partition, splitting it first if it holds more lines than memory allows.
    fn partition(&mut self, written: Written, depth: u64) -> Result<()> {
        if written.count > self.sizes.in_memory as u64 && depth <= MAX_DEPTH {
            let mut parts = Partitions::new(self.sizes.partitions, depth)?;
            let mut reader = BufReader::with_capacity(64 * 1024, &written.file);
            while let Some(record) = read_record(&mut reader)? {
                let id = String::from_utf8_lossy(&record.id);
                if record.held {
                    let mut body = vec![0u8; record.body_len as usize];
                    reader.read_exact(&mut body).map_err(temp_error)?;
                    parts.held(record.place, &id, &body)?;
                } else {
                    parts.seen(record.place, &id)?;
                }
            }
            drop(reader);
            drop(written);
            for part in parts.finish()? {
                self.partition(part, depth + 1)?;
            }
            return Ok(());
        }
        let mut ids: Vec<u8> = Vec::new();
        let mut entries: Vec<Entry> = Vec::with_capacity(written.count as usize);
        let mut reader = BufReader::with_capacity(64 * 1024, &written.file);
        let mut offset = 0u64;
        while let Some(record) = read_record(&mut reader)? {
            offset += (HEAD + record.id.len()) as u64;
            entries.push(Entry {
                place: record.place,
                held: record.held,
                id: (ids.len(), record.id.len()),
                body: (offset, record.body_len),
            });
            ids.extend_from_slice(&record.id);
            reader
                .seek_relative(record.body_len as i64)
                .map_err(temp_error)?;
            offset += record.body_len;
        }
        drop(reader);
        let id_of = |entry: &Entry| &ids[entry.id.0..entry.id.0 + entry.id.1];
        entries.sort_unstable_by(|x, y| {
            id_of(x)
                .cmp(id_of(y))
                .then(x.place.side.cmp(&y.place.side))
                .then(x.place.pos.cmp(&y.place.pos))
        });
        for group in entries.chunk_by(|x, y| id_of(x) == id_of(y)) {
            self.group(group, id_of(&group[0]), &written.file)?;
        }
        Ok(())
    }

    /// Settles the lines of one id: a pair, a line on one side only, or a duplicate.
    fn group(&mut self, group: &[Entry], id: &[u8], file: &File) -> Result<()> {
        for twice in group.windows(2) {
            if twice[0].place.side == twice[1].place.side {
                let found = Duplicate {
                    id: String::from_utf8_lossy(id).into_owned(),
                    first: twice[0].place,
                    second: twice[1].place,
                };
                if self
                    .duplicate
                    .as_ref()
                    .map_or(true, |known| found.rank() < known.rank())
                {
                    self.duplicate = Some(found);
                }
                return Ok(());
            }
        }
        if self.duplicate.is_some() {
            return Ok(());
        }
        let held = |side: Side| group.iter().find(|e| e.held && e.place.side == side);
        let joined = match (held(Side::A), held(Side::B)) {
            (Some(a), Some(b)) => Joined::Pair {
                seq: a.place.pos,
                a: self.line(a, id, file)?,
                b: self.line(b, id, file)?,
            },
            (Some(a), None) => Joined::OnlyInA {
                seq: a.place.pos,
                line: self.line(a, id, file)?,
            },
            (None, Some(b)) => Joined::OnlyInB {
                seq: self.a_count + b.place.pos,
                line: self.line(b, id, file)?,
            },
            (None, None) => return Ok(()),
        };
        self.batch.push(joined);
        if self.batch.len() >= self.sizes.batch {
            self.flush()?;
        }
        Ok(())
    }

    /// Reads a held line back from its partition file.
    fn line(&self, entry: &Entry, id: &[u8], file: &File) -> Result<RawLine> {
        let mut bytes = vec![0u8; entry.body.1 as usize];
        file.read_exact_at(&mut bytes, entry.body.0)
            .map_err(temp_error)?;
        Ok(RawLine {
            bytes,
            location: self.location(entry.place),
            fallback_id: String::from_utf8_lossy(id).into_owned(),
        })
    }

    fn flush(&mut self) -> Result<()> {
        if self.batch.is_empty() || self.duplicate.is_some() {
            self.batch.clear();
            return Ok(());
        }
        (self.sink)(std::mem::take(&mut self.batch))
    }
}
