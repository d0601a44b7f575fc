//! Bytes → chunks of whole lines, each tagged with its input, first line number and format.
//!
//! Hot path: one `memchr` pass over every byte, looking only at the first byte of each line;
//! a line that starts with a lowercase letter is checked as an S3 header. Headers never reach
//! the parse workers: the framer counts them and starts a new chunk with the new format, so a
//! chunk always has exactly one format and workers can parse chunks in any order.

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::parse::strip_cr;
use crate::schema::{Schema, SharedSchema};

/// Default chunk size: big enough to amortise hand-offs, small enough to spread over cores.
pub const DEFAULT_CHUNK_BYTES: usize = 1 << 20;

/// Lines longer than this are cut: counted as one malformed line, their rest skipped.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// How much of an over-long line is kept to show as an example.
const OVERLONG_PREFIX_BYTES: usize = 4096;

/// A run of whole lines from one input, all of one format.
#[derive(Debug)]
pub struct Chunk {
    /// Index of the input in the run's input list.
    pub input: u32,
    /// Position of the chunk among all chunks of its reader (for ordered output).
    pub seq: u64,
    /// 1-based line number of the chunk's first line within its input.
    pub first_line: u64,
    /// Byte offset of the chunk's first line within its (decoded) input.
    pub first_offset: u64,
    /// The format of every line in the chunk.
    pub schema: SharedSchema,
    /// Header lines the framer consumed right before this chunk (counted, never parsed).
    pub headers_before: u64,
    /// What the chunk holds.
    pub body: ChunkBody,
}

/// The payload of a [`Chunk`].
#[derive(Debug)]
pub enum ChunkBody {
    /// Whole lines, `\n`-terminated except possibly the last line of an input.
    Lines(Vec<u8>),
    /// One line longer than [`MAX_LINE_BYTES`]: its first bytes only.
    Overlong(Vec<u8>),
    /// Lines of one input picked out of file order (a replay's record-time order), left in
    /// the blocks they were read into.
    Picked {
        /// The blocks the lines lie in, shared with the reader that read them.
        blocks: Vec<std::sync::Arc<super::block::ReadBlock>>,
        /// Each line: its block, its bytes there and where it was read.
        lines: Vec<PickedLine>,
    },
    /// Rows of a Parquet file, one line each (in `Lines`' numbering and offsets).
    #[cfg(feature = "parquet")]
    Rows(super::parquet::RowBatch),
}

/// One line of a [`ChunkBody::Picked`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PickedLine {
    /// Its block, an index into the chunk's blocks.
    pub block: u32,
    /// Where it starts in that block's bytes.
    pub start: u32,
    /// Where it ends there (its `\n`, or the end of the input).
    pub end: u32,
    /// Where it was read.
    pub place: LinePlace,
}

/// Where a picked line was read in its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinePlace {
    /// Its 1-based line number.
    pub line_no: u64,
    /// The byte offset of its first byte in the (decoded) input.
    pub offset: u64,
}

/// Reusable chunk buffers, so steady-state framing allocates nothing.
#[derive(Debug, Default)]
pub struct BufferPool {
    free: Mutex<Vec<Vec<u8>>>,
}

impl BufferPool {
    /// An empty buffer, recycled when one is available.
    pub fn take(&self) -> Vec<u8> {
        let mut buf = self.take_scratch();
        buf.clear();
        buf
    }

    /// A buffer to read into, recycled when one is available, with the length and bytes it
    /// had: overwriting them costs nothing more, where a cleared buffer is zeroed again as it
    /// grows. The caller keeps count of how much of it holds new bytes.
    pub fn take_scratch(&self) -> Vec<u8> {
        let recycled = self.free.lock().ok().and_then(|mut f| f.pop());
        recycled.unwrap_or_default()
    }

    /// Returns a buffer for reuse (dropped when the pool already holds enough).
    pub fn give(&self, buf: Vec<u8>) {
        if let Ok(mut free) = self.free.lock()
            && free.len() < 64
        {
            free.push(buf);
        }
    }
}

/// Splits one input into chunks and hands each to `emit`, in order.
pub struct Framer<'p, E: FnMut(Chunk)> {
    input: u32,
    schema: SharedSchema,
    next_line: u64,
    /// Decoded bytes of the input already emitted or consumed as headers.
    consumed: u64,
    headers_pending: u64,
    chunk_bytes: usize,
    pool: &'p BufferPool,
    seq: &'p mut u64,
    emit: E,
    cancel: Option<&'p AtomicBool>,
    live: bool,
}

impl<'p, E: FnMut(Chunk)> Framer<'p, E> {
    /// A framer for input number `input`, starting with `schema` (the `--format` or v2).
    pub fn new(
        input: u32,
        schema: SharedSchema,
        chunk_bytes: usize,
        pool: &'p BufferPool,
        seq: &'p mut u64,
        emit: E,
    ) -> Self {
        Framer {
            input,
            schema,
            next_line: 1,
            consumed: 0,
            headers_pending: 0,
            chunk_bytes: chunk_bytes.max(1),
            pool,
            seq,
            emit,
            cancel: None,
            live: false,
        }
    }

    /// Live mode: hands on complete lines as soon as a read returns them, instead of filling a
    /// whole chunk first (for stdin streams and followed files, whose reads return what is
    /// there now). Only a read of zero bytes ends the input.
    pub fn live(mut self) -> Self {
        self.live = true;
        self
    }

    fn at_end(&self, n: usize, want: usize) -> bool {
        want > 0 && if self.live { n == 0 } else { n < want }
    }

    /// Stops reading (as if at the end of the input) once `cancel` is set.
    pub fn with_cancel(mut self, cancel: &'p AtomicBool) -> Self {
        self.cancel = Some(cancel);
        self
    }

    fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|c| c.load(Ordering::Relaxed))
    }

    /// Reads `reader` to its end and returns how many bytes it read. Everything read before
    /// an error (a truncated gzip, say) is framed and emitted, its last partial line included,
    /// before the error is returned with the byte count.
    pub fn run(mut self, reader: &mut dyn Read) -> Result<u64, (u64, io::Error)> {
        // `buf[..filled]` is read and not yet emitted. Past `filled` the buffer holds what it
        // held before (a recycled chunk's bytes), so reading writes over them instead of
        // zeroing a chunk's worth first: a chunk leaves with its length cut to its lines.
        let mut buf = self.pool.take_scratch();
        let mut filled = 0;
        let mut total: u64 = 0;
        loop {
            // Fill up to a chunk; a line still in progress doubles the buffer, up to the limit.
            let want = if filled < self.chunk_bytes {
                self.chunk_bytes - filled
            } else {
                filled.min(MAX_LINE_BYTES.saturating_sub(filled))
            };
            let (got, read) = fill(reader, &mut buf, filled, want, self.live);
            filled += got;
            total += got as u64;
            let eof = match read {
                Ok(()) => self.at_end(got, want) || self.cancelled(),
                Err(e) => {
                    buf.truncate(filled);
                    self.emit_lines(buf, true);
                    self.flush_headers();
                    return Err((total, e));
                }
            };
            if eof {
                buf.truncate(filled);
                self.emit_lines(buf, true);
                self.flush_headers();
                return Ok(total);
            }
            match memchr::memrchr(b'\n', &buf[..filled]) {
                Some(last) => {
                    // The unfinished line starts the next buffer.
                    let mut rest = self.pool.take_scratch();
                    let tail = &buf[last + 1..filled];
                    if rest.len() < tail.len() {
                        rest.resize(tail.len(), 0);
                    }
                    rest[..tail.len()].copy_from_slice(tail);
                    filled = tail.len();
                    buf.truncate(last + 1);
                    self.emit_lines(buf, false);
                    buf = rest;
                }
                None if filled >= MAX_LINE_BYTES => {
                    buf.truncate(filled);
                    let (rest, eof, n) = self.skip_overlong(buf, reader).map_err(|e| (total, e))?;
                    total += n;
                    buf = rest;
                    filled = buf.len();
                    if eof {
                        self.emit_lines(buf, true);
                        self.flush_headers();
                        return Ok(total);
                    }
                }
                // A long line in progress: keep reading into the same buffer.
                None => {}
            }
        }
    }

    /// Emits the first bytes of an over-long line as one malformed line, then discards the
    /// line's remainder. Returns the bytes after the line's end, whether EOF was reached, and
    /// how many bytes were read while skipping.
    fn skip_overlong(
        &mut self,
        mut buf: Vec<u8>,
        reader: &mut dyn Read,
    ) -> io::Result<(Vec<u8>, bool, u64)> {
        let mut prefix = self.pool.take();
        prefix.extend_from_slice(&buf[..OVERLONG_PREFIX_BYTES.min(buf.len())]);
        let offset = self.consumed;
        self.send(ChunkBody::Overlong(prefix), 1, offset);
        self.consumed += buf.len() as u64;
        let mut read_total = 0u64;
        loop {
            let (n, read) = fill(reader, &mut buf, 0, self.chunk_bytes, self.live);
            read?;
            buf.truncate(n);
            read_total += n as u64;
            if let Some(nl) = memchr::memchr(b'\n', &buf) {
                self.consumed += nl as u64 + 1;
                let mut rest = self.pool.take();
                rest.extend_from_slice(&buf[nl + 1..]);
                self.pool.give(buf);
                return Ok((rest, !self.live && n < self.chunk_bytes, read_total));
            }
            self.consumed += n as u64;
            if self.at_end(n, self.chunk_bytes) {
                buf.clear();
                return Ok((buf, true, read_total));
            }
        }
    }

    /// Splits `data` at header lines and emits the runs between them. `at_eof` means a final
    /// line without `\n` is complete.
    fn emit_lines(&mut self, data: Vec<u8>, at_eof: bool) {
        debug_assert!(at_eof || data.is_empty() || data.last() == Some(&b'\n'));
        let base = self.consumed;
        let mut line_start = 0;
        let mut run_start = 0;
        let mut run_lines: u64 = 0;
        let mut split_any = false;
        let mut positions = memchr::memchr_iter(b'\n', &data);
        loop {
            let line_end = match positions.next() {
                Some(p) => p,
                None if line_start < data.len() => data.len(),
                None => break,
            };
            let line = &data[line_start..line_end];
            if line.first().is_some_and(u8::is_ascii_lowercase)
                && let Some(schema) = Schema::from_header_line(strip_cr(line))
            {
                if run_lines > 0 {
                    let mut part = self.pool.take();
                    part.extend_from_slice(&data[run_start..line_start]);
                    self.send(ChunkBody::Lines(part), run_lines, base + run_start as u64);
                }
                self.header(schema);
                run_start = (line_end + 1).min(data.len());
                run_lines = 0;
                split_any = true;
                line_start = line_end + 1;
                continue;
            }
            run_lines += 1;
            line_start = line_end + 1;
        }
        self.consumed += data.len() as u64;
        if run_lines == 0 {
            self.pool.give(data);
        } else if !split_any {
            self.send(ChunkBody::Lines(data), run_lines, base);
        } else {
            let mut part = self.pool.take();
            part.extend_from_slice(&data[run_start..]);
            self.pool.give(data);
            self.send(ChunkBody::Lines(part), run_lines, base + run_start as u64);
        }
    }

    /// Counts a header line (the next chunk carries it) and takes its format.
    fn header(&mut self, schema: Schema) {
        self.headers_pending += 1;
        self.next_line += 1;
        if *self.schema != schema {
            self.schema = Arc::new(schema);
        }
    }

    /// Frames a Parquet file's rows: its header line counted as any header (with the format
    /// it names), then each batch as one chunk, numbered and placed as the lines of the text
    /// the file stands for. Returns the bytes that text would have; an error ends the rows,
    /// what came before it is sent.
    #[cfg(feature = "parquet")]
    pub fn run_rows(
        mut self,
        rows: &mut super::parquet::ParquetRows,
    ) -> Result<u64, (u64, io::Error)> {
        let header = rows.header();
        let text = strip_cr(header.strip_suffix(b"\n").unwrap_or(header));
        if let Some(schema) = Schema::from_header_line(text) {
            self.header(schema);
        }
        self.consumed += header.len() as u64;
        let ended = loop {
            if self.cancelled() {
                break Ok(());
            }
            match rows.next_batch() {
                Ok(Some(batch)) => {
                    let (lines, bytes) = (batch.rows() as u64, batch.text_bytes());
                    self.send(ChunkBody::Rows(batch), lines, self.consumed);
                    self.consumed += bytes;
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        self.flush_headers();
        ended
            .map(|()| self.consumed)
            .map_err(|e| (self.consumed, e))
    }

    /// Headers at the very end of an input still have to be counted: send an empty chunk.
    fn flush_headers(&mut self) {
        if self.headers_pending > 0 {
            let empty = self.pool.take();
            self.send(ChunkBody::Lines(empty), 0, self.consumed);
        }
    }

    fn send(&mut self, body: ChunkBody, lines: u64, offset: u64) {
        let chunk = Chunk {
            input: self.input,
            seq: *self.seq,
            first_line: self.next_line,
            first_offset: offset,
            schema: Arc::clone(&self.schema),
            headers_before: std::mem::take(&mut self.headers_pending),
            body,
        };
        *self.seq += 1;
        self.next_line += lines;
        (self.emit)(chunk);
    }
}

/// Reads up to `want` bytes from `reader` into `buf[start..]`, stopping early only at end of
/// input (or, `live`, after the first read that returned something). Returns how many bytes
/// it read, and the error that stopped it (the bytes before it are kept). The buffer grows
/// (zeroed) only where it is shorter than `start + want`; bytes already there are
/// overwritten, not cleared first, so a recycled buffer costs no `memset`.
fn fill(
    reader: &mut dyn Read,
    buf: &mut Vec<u8>,
    start: usize,
    want: usize,
    live: bool,
) -> (usize, io::Result<()>) {
    if buf.len() < start + want {
        buf.resize(start + want, 0);
    }
    let mut got = 0;
    while got < want && !(live && got > 0) {
        match reader.read(&mut buf[start + got..start + want]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (got, Err(e)),
        }
    }
    (got, Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(data: &[u8], chunk_bytes: usize) -> Vec<Chunk> {
        let pool = BufferPool::default();
        let mut seq = 0;
        let mut out = Vec::new();
        let framer = Framer::new(
            0,
            Arc::new(Schema::default_v2()),
            chunk_bytes,
            &pool,
            &mut seq,
            |c| out.push(c),
        );
        framer.run(&mut &data[..]).unwrap();
        out
    }

    fn lines_of(chunks: &[Chunk]) -> Vec<(u64, String)> {
        let mut v = Vec::new();
        for c in chunks {
            if let ChunkBody::Lines(d) = &c.body {
                let d = d.strip_suffix(b"\n").unwrap_or(d);
                if d.is_empty() && c.headers_before > 0 {
                    continue;
                }
                for (n, l) in (c.first_line..).zip(d.split(|b| *b == b'\n')) {
                    v.push((n, String::from_utf8_lossy(l).into_owned()));
                }
            }
        }
        v
    }

    #[test]
    fn every_line_once_in_order_with_numbers_whatever_the_chunk_size() {
        let data = b"a 1\nb 2\n\nc 3\nlast-without-newline";
        for size in [1, 2, 3, 5, 8, 64] {
            let got = lines_of(&frame(data, size));
            let want: Vec<_> = ["a 1", "b 2", "", "c 3", "last-without-newline"]
                .iter()
                .enumerate()
                .map(|(i, s)| (i as u64 + 1, s.to_string()))
                .collect();
            assert_eq!(got, want, "chunk size {size}");
        }
    }

    #[test]
    fn chunk_offsets_point_at_their_first_line() {
        let data = b"a 1\nversion srcaddr dstaddr\nb 2\nc 3\n";
        for size in [1, 4, 64] {
            for c in frame(data, size) {
                if let ChunkBody::Lines(d) = &c.body
                    && !d.is_empty()
                {
                    let at = c.first_offset as usize;
                    assert_eq!(&data[at..at + d.len()], &d[..], "chunk size {size}");
                }
            }
        }
    }

    #[test]
    fn headers_switch_the_format_and_are_counted_not_passed_on() {
        let data =
            b"version srcaddr srcport\n3 10.0.0.1 1\n\nversion dstaddr dstport\n3 10.0.0.2 2\n\
            version dstaddr dstport\n";
        let chunks = frame(data, 1 << 10);
        let headers: u64 = chunks.iter().map(|c| c.headers_before).sum();
        assert_eq!(headers, 3);
        let lines = lines_of(&chunks);
        assert_eq!(
            lines,
            vec![
                (2, "3 10.0.0.1 1".into()),
                (3, String::new()),
                (5, "3 10.0.0.2 2".into())
            ]
        );
        let with_dst: Vec<_> = chunks
            .iter()
            .filter(|c| c.schema.columns()[1].name() == "dstaddr")
            .collect();
        assert!(!with_dst.is_empty());
    }

    #[test]
    fn an_overlong_line_is_cut_and_the_rest_still_framed() {
        let mut data = vec![b'x'; MAX_LINE_BYTES + 10];
        data.extend_from_slice(b"\nnext line\n");
        let chunks = frame(&data, 1 << 16);
        let overlong: Vec<_> = chunks
            .iter()
            .filter(|c| matches!(c.body, ChunkBody::Overlong(_)))
            .collect();
        assert_eq!(overlong.len(), 1);
        assert_eq!(overlong[0].first_line, 1);
        assert_eq!(lines_of(&chunks), vec![(2, "next line".to_string())]);
    }
}
