//! A line reader whose memory is bounded by the longest line it accepts.
//!
//! Lines are read straight from the reader's buffer with `fill_buf`/`consume`; a line's bytes are
//! kept only up to the limit, so a line too long (or a file without line ends) costs at most the
//! limit in memory. The rest of a line too long is skipped, in buffer-sized steps, when the next
//! line is asked for.

use std::io::{self, BufRead};

/// One line read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line {
    /// A line within the limit, without its `\n` or `\r\n`.
    Complete(Vec<u8>),
    /// A line longer than the limit; its bytes are not kept.
    TooLong,
}

/// Reads lines of at most `max_bytes` bytes (not counting the line end) from a buffered reader.
pub(crate) struct LineReader<R> {
    inner: R,
    max_bytes: usize,
    lines: u64,
    skipping: bool,
}

impl<R: BufRead> LineReader<R> {
    /// A reader of lines from `inner`, each at most `max_bytes` long.
    pub fn new(inner: R, max_bytes: usize) -> LineReader<R> {
        LineReader {
            inner,
            max_bytes,
            lines: 0,
            skipping: false,
        }
    }

    /// The number of lines read completely so far.
    pub fn lines_read(&self) -> u64 {
        self.lines
    }

    /// The next line with its 1-based number, or `None` at the end of the input.
    pub fn next_line(&mut self) -> io::Result<Option<(u64, Line)>> {
        if self.skipping {
            self.skip_rest_of_line()?;
            self.skipping = false;
        }
        // One byte more than the limit is kept, so that a `\r` before the `\n` fits.
        let keep = self.max_bytes.saturating_add(1);
        let mut line = Vec::new();
        loop {
            let available = fill_buf(&mut self.inner)?;
            if available.is_empty() {
                if line.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(self.finish(line)));
            }
            let (chunk_len, used, found_end) = match memchr::memchr(b'\n', available) {
                Some(end) => (end, end + 1, true),
                None => (available.len(), available.len(), false),
            };
            if line.len() + chunk_len > keep {
                self.inner.consume(used);
                self.lines += 1;
                self.skipping = !found_end;
                return Ok(Some((self.lines, Line::TooLong)));
            }
            reserve_bounded(&mut line, chunk_len, keep);
            line.extend_from_slice(&available[..chunk_len]);
            self.inner.consume(used);
            if found_end {
                return Ok(Some(self.finish(line)));
            }
        }
    }

    fn finish(&mut self, mut line: Vec<u8>) -> (u64, Line) {
        self.lines += 1;
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if line.len() > self.max_bytes {
            (self.lines, Line::TooLong)
        } else {
            (self.lines, Line::Complete(line))
        }
    }

    /// Discards input up to and including the next `\n`, without keeping it.
    fn skip_rest_of_line(&mut self) -> io::Result<()> {
        loop {
            let available = fill_buf(&mut self.inner)?;
            if available.is_empty() {
                return Ok(());
            }
            match memchr::memchr(b'\n', available) {
                Some(end) => {
                    self.inner.consume(end + 1);
                    return Ok(());
                }
                None => {
                    let len = available.len();
                    self.inner.consume(len);
                }
            }
        }
    }
}

/// `fill_buf`, retried when interrupted.
fn fill_buf(reader: &mut impl BufRead) -> io::Result<&[u8]> {
    loop {
        match reader.fill_buf() {
            Ok(_) => break,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    reader.fill_buf()
}

/// Makes room for `extra` more bytes, growing geometrically but never beyond `cap` bytes.
/// The caller guarantees `line.len() + extra <= cap`.
fn reserve_bounded(line: &mut Vec<u8>, extra: usize, cap: usize) {
    let needed = line.len() + extra;
    if needed > line.capacity() {
        let target = needed
            .max(line.capacity().saturating_mul(2))
            .max(256)
            .min(cap);
        line.reserve_exact(target - line.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufReader, Cursor};

    fn all_lines(input: &[u8], max: usize, buffer: usize) -> Vec<(u64, Line)> {
        let mut reader = LineReader::new(BufReader::with_capacity(buffer, Cursor::new(input)), max);
        let mut lines = Vec::new();
        while let Some(line) = reader.next_line().unwrap() {
            lines.push(line);
        }
        lines
    }

    fn complete(text: &str) -> Line {
        Line::Complete(text.as_bytes().to_vec())
    }

    #[test]
    fn lines_are_split_and_numbered_and_lose_their_line_ends() {
        for buffer in [1, 2, 3, 7, 1024] {
            let lines = all_lines(b"ab\r\n\ncd\nlast", 10, buffer);
            assert_eq!(
                lines,
                vec![
                    (1, complete("ab")),
                    (2, complete("")),
                    (3, complete("cd")),
                    (4, complete("last"))
                ],
                "buffer {buffer}"
            );
        }
        assert!(all_lines(b"", 10, 8).is_empty());
        assert_eq!(all_lines(b"x\n", 10, 8), vec![(1, complete("x"))]);
    }

    #[test]
    fn a_line_too_long_is_reported_and_skipped_without_being_kept() {
        for buffer in [1, 4, 1024] {
            let lines = all_lines(b"12345\n123456\r\n1234567890\nok\n123456", 5, buffer);
            assert_eq!(
                lines,
                vec![
                    (1, complete("12345")),
                    (2, Line::TooLong),
                    (3, Line::TooLong),
                    (4, complete("ok")),
                    (5, Line::TooLong)
                ],
                "buffer {buffer}"
            );
        }
        assert_eq!(all_lines(b"12345\r\n", 5, 2), vec![(1, complete("12345"))]);
    }

    #[test]
    fn memory_stays_within_the_limit() {
        let input = vec![b'x'; 100_000];
        let mut reader = LineReader::new(BufReader::with_capacity(64, Cursor::new(&input)), 1000);
        assert_eq!(reader.next_line().unwrap(), Some((1, Line::TooLong)));
        assert_eq!(reader.next_line().unwrap(), None);

        let mut line = Vec::new();
        for _ in 0..100 {
            reserve_bounded(&mut line, 10, 1001);
            line.extend_from_slice(&[0; 10]);
        }
        assert!(line.capacity() <= 1001, "{}", line.capacity());
    }

    #[test]
    fn lines_read_counts_complete_lines() {
        let mut reader = LineReader::new(Cursor::new(&b"a\nb\nc"[..]), 10);
        assert_eq!(reader.lines_read(), 0);
        reader.next_line().unwrap();
        reader.next_line().unwrap();
        assert_eq!(reader.lines_read(), 2);
    }
}
