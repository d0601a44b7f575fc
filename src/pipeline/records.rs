//! `records`: workers classify their chunks and format each record (and, when asked, each
//! malformed line) as NDJSON into a buffer; `report::records` writes the buffers in order.

use std::sync::Arc;
use std::sync::mpsc::SyncSender;

use super::classify::{LineSink, account, classify_chunk};
use super::run::ChunkHandler;
use crate::core::Aggregate;
use crate::filter::Filter;
use crate::parse::{LineParser, Malformed, Record};
use crate::report::records::{Piece, write_malformed, write_record};
use crate::schema::Schema;
use crate::source::Chunk;
use crate::store::Position;

/// Formats the records of each chunk and sends them to the ordered writer.
pub struct RecordsHandler {
    out: SyncSender<Piece>,
    input_names: Arc<[String]>,
    include_malformed: bool,
    filter: Option<Arc<Filter>>,
    tally: Aggregate,
}

impl RecordsHandler {
    /// A handler sending to `out`; `input_names[i]` is written as `"file"` for input `i`.
    /// With `include_malformed`, malformed lines are written too, as
    /// `{"malformed": REASON, "text": …, "file", "line"}`.
    /// Only records passing `filter` are written (all when `None`).
    pub fn new(
        out: SyncSender<Piece>,
        input_names: Arc<[String]>,
        include_malformed: bool,
        filter: Option<Arc<Filter>>,
    ) -> Self {
        RecordsHandler {
            out,
            input_names,
            include_malformed,
            filter: filter.filter(|f| !f.is_all()),
            tally: Aggregate::new(),
        }
    }
}

/// The per-line side of [`RecordsHandler`]: one chunk's output buffer.
struct Formatting<'h> {
    buf: Vec<u8>,
    file: &'h str,
    filter: Option<&'h Filter>,
    include_malformed: bool,
    tally: &'h mut Aggregate,
    input: u32,
}

impl LineSink for Formatting<'_> {
    const TAKES_FLOWS: bool = false;

    fn record(&mut self, rec: &Record<'_>, line_no: u64, _at: Position) -> bool {
        let matched = self.filter.is_none_or(|f| f.matches(rec));
        if matched {
            write_record(&mut self.buf, rec, self.file, line_no);
        }
        matched
    }

    fn malformed(&mut self, line_no: u64, m: &Malformed, schema: &Schema, text: &[u8]) {
        self.tally
            .add_malformed(self.input, line_no, m, schema, text);
        if self.include_malformed {
            write_malformed(&mut self.buf, schema, m, text, self.file, line_no);
        }
    }
}

impl ChunkHandler for RecordsHandler {
    type Output = Aggregate;

    fn handle(&mut self, chunk: &Chunk, parser: &mut LineParser) {
        let file = self
            .input_names
            .get(chunk.input as usize)
            .map_or("", String::as_str);
        let mut sink = Formatting {
            buf: Vec::new(),
            file,
            filter: self.filter.as_deref(),
            include_malformed: self.include_malformed,
            tally: &mut self.tally,
            input: chunk.input,
        };
        let counts = classify_chunk(chunk, parser, &mut sink);
        let buf = sink.buf;
        account(&mut self.tally, chunk, &counts);
        // The writer is gone only when output failed; the run is being cancelled then.
        let _ = self.out.send((chunk.seq, buf));
    }

    fn finish(self) -> Aggregate {
        self.tally
    }
}
