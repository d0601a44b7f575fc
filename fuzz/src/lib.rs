//! What the fuzz targets share: framing bytes the way an input is framed, read in arbitrary
//! pieces, and classifying every line the way the workers do, so a target can hold the line
//! accounting to its promise.

use std::io::{self, Read};
use std::sync::Arc;

use vpctop::core::LineCounts;
use vpctop::parse::{Flow, LineParser, Malformed, Record};
use vpctop::pipeline::classify::{LineSink, classify_chunk};
use vpctop::schema::{Schema, SharedSchema};
use vpctop::source::{BufferPool, Chunk, Framer};
use vpctop::store::Position;

/// A reader that hands out `data` in pieces of the sizes `cuts` says, in turn (a size of 0
/// is taken as 1, so only the end of the data reads 0 bytes).
pub struct Pieces<'a> {
    data: &'a [u8],
    cuts: &'a [u8],
    turn: usize,
}

impl<'a> Pieces<'a> {
    /// `data` in pieces of the sizes in `cuts` (all of what is asked for when `cuts` is empty).
    pub fn new(data: &'a [u8], cuts: &'a [u8]) -> Self {
        Pieces {
            data,
            cuts,
            turn: 0,
        }
    }
}

impl Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let size = match self.cuts.get(self.turn % self.cuts.len().max(1)) {
            Some(c) => usize::from(*c).max(1),
            None => buf.len(),
        };
        self.turn += 1;
        let n = size.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Frames everything `reader` yields, starting in `schema`, into chunks of about
/// `chunk_bytes`; also returns the bytes read and whether reading failed.
pub fn frame(
    reader: &mut dyn Read,
    schema: SharedSchema,
    chunk_bytes: usize,
    live: bool,
) -> (Vec<Chunk>, u64, bool) {
    let pool = BufferPool::default();
    let mut seq = 0;
    let mut chunks = Vec::new();
    let framer = Framer::new(0, schema, chunk_bytes, &pool, &mut seq, |c| chunks.push(c));
    let framer = if live { framer.live() } else { framer };
    let (read, failed) = match framer.run(reader) {
        Ok(n) => (n, false),
        Err((n, _)) => (n, true),
    };
    (chunks, read, failed)
}

#[cfg(feature = "parquet")]
/// Frames a Parquet file's rows as the pipeline does: its header, then a chunk per batch;
/// also returns whether reading failed.
pub fn frame_rows(rows: &mut vpctop::source::parquet::ParquetRows) -> (Vec<Chunk>, bool) {
    let pool = BufferPool::default();
    let mut seq = 0;
    let mut chunks = Vec::new();
    let framer = Framer::new(0, v2(), 1 << 20, &pool, &mut seq, |c| chunks.push(c));
    let failed = framer.run_rows(rows).is_err();
    (chunks, failed)
}

/// A sink that keeps nothing; `FLOWS` says whether it takes the default format's fast path.
pub struct Counting<const FLOWS: bool> {
    /// Records the sink was given, through either path.
    pub records: u64,
    /// Malformed lines it was given.
    pub malformed: u64,
}

impl<const FLOWS: bool> Default for Counting<FLOWS> {
    fn default() -> Self {
        Counting {
            records: 0,
            malformed: 0,
        }
    }
}

impl<const FLOWS: bool> LineSink for Counting<FLOWS> {
    const TAKES_FLOWS: bool = FLOWS;

    fn flow(&mut self, flow: &Flow<'_>, _at: Position) -> bool {
        self.records += 1;
        // What a dashboard would show of it must be printable.
        if let Some(i) = flow.interface {
            assert_printable(&vpctop::sanitize::escape(i));
        }
        true
    }

    fn record(&mut self, record: &Record<'_>, _line_no: u64, _at: Position) -> bool {
        self.records += 1;
        // Reading every value of a record must never panic.
        let _ = Flow::from_record(record);
        for column in record.schema().columns() {
            let _ = column.name();
        }
        true
    }

    fn malformed(&mut self, _line_no: u64, malformed: &Malformed, schema: &Schema, text: &[u8]) {
        self.malformed += 1;
        // The reason shown for a malformed line reaches the terminal: it must be escaped.
        assert_printable(&malformed.describe(schema, text));
    }
}

/// Classifies every chunk with a sink of each kind and returns the summed accounting,
/// checking on the way that each chunk's accounting balances, that both sinks saw every
/// record and malformed line the counts say, and that the fast path changed no count.
pub fn classify_all(chunks: &[Chunk]) -> LineCounts {
    let mut parser = LineParser::new();
    let mut total = LineCounts::default();
    for chunk in chunks {
        let mut fast = Counting::<true>::default();
        let mut general = Counting::<false>::default();
        let a = classify_chunk(chunk, &mut parser, &mut fast);
        let b = classify_chunk(chunk, &mut parser, &mut general);
        assert_eq!(
            a.lines,
            a.records + a.headers + a.blank + a.malformed,
            "unbalanced: {a:?}"
        );
        assert_eq!(
            (a.lines, a.records, a.headers, a.blank, a.malformed, a.bytes),
            (b.lines, b.records, b.headers, b.blank, b.malformed, b.bytes),
            "the fast path counted differently"
        );
        assert_eq!((fast.records, fast.malformed), (a.records, a.malformed));
        assert_eq!(
            (general.records, general.malformed),
            (b.records, b.malformed)
        );
        total.merge(&a);
    }
    total
}

/// How many lines `data` holds: one per `\n`, and a last one without it.
pub fn lines_in(data: &[u8]) -> u64 {
    let newlines = memchr_count(data);
    newlines + u64::from(!data.is_empty() && data.last() != Some(&b'\n'))
}

fn memchr_count(data: &[u8]) -> u64 {
    data.iter().filter(|b| **b == b'\n').count() as u64
}

/// The default format, shared.
pub fn v2() -> SharedSchema {
    Arc::new(Schema::default_v2())
}

/// Panics unless `text` holds no character a terminal acts on (a control character or a
/// bidirectional override: the rule of `vpctop::sanitize::is_unsafe`).
pub fn assert_printable(text: &str) {
    assert!(
        !text.chars().any(vpctop::sanitize::is_unsafe),
        "an unsafe character survived: {text:?}"
    );
}

/// Makes a panic that vpctop contains (a third-party decoder failing on a damaged file,
/// reported as that input's error) as quiet here as it is in the program; any other panic
/// still reaches libFuzzer's hook and is a crash. Call it first in a target.
pub fn contain_like_vpctop() {
    vpctop::source::contain::quiet_contained_panics();
}

/// An object held in memory, opened the way an S3 object is.
#[derive(Debug)]
pub struct Memory {
    name: String,
    bytes: Vec<u8>,
}

impl Memory {
    /// An object named `name` (`s3://…`) holding `bytes`.
    pub fn new(name: &str, bytes: Vec<u8>) -> Self {
        Memory {
            name: name.to_string(),
            bytes,
        }
    }
}

impl vpctop::source::input::RemoteInput for Memory {
    fn name(&self) -> String {
        self.name.clone()
    }
    fn size(&self) -> Option<u64> {
        Some(self.bytes.len() as u64)
    }
    fn open(&self) -> io::Result<Box<dyn Read + Send>> {
        Ok(Box::new(io::Cursor::new(self.bytes.clone())))
    }
}
