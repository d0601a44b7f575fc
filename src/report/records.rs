//! `records`: every record as one JSON object per line (NDJSON), in input order.
//!
//! Workers format their chunk into a buffer; one writer puts the buffers back in chunk order.
//! Keys are the format's field names with `_` for `-`, integers are numbers, `-` is `null`,
//! and every object ends with `"file"` and `"line"` (1-based).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender};

use crate::core::aggregate::{Aggregate, LineCounts};
use crate::core::ingest::{ChunkHandler, for_each_line};
use crate::filter::Filter;
use crate::parse::{Line, LineParser, Malformed, MalformedKind, Payload, Record, Value};
use crate::schema::Schema;
use crate::source::{Chunk, ChunkBody};

/// One chunk's formatted output, tagged with its place in the input order.
pub type Piece = (u64, Vec<u8>);

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

impl ChunkHandler for RecordsHandler {
    type Output = Aggregate;

    fn handle(&mut self, chunk: &Chunk, parser: &mut LineParser) {
        let mut buf = Vec::new();
        let mut counts = LineCounts {
            headers: chunk.headers_before,
            lines: chunk.headers_before,
            ..LineCounts::default()
        };
        let schema = &*chunk.schema;
        self.tally
            .fields_seen
            .add(crate::schema::FieldSet::of(schema));
        let file = self
            .input_names
            .get(chunk.input as usize)
            .map_or("", String::as_str);
        let mut on_malformed = |buf: &mut Vec<u8>, line_no: u64, m: &Malformed, raw: &[u8]| {
            self.tally
                .add_malformed(chunk.input, line_no, m, schema, raw);
            if self.include_malformed {
                write_malformed(buf, schema, m, raw, file, line_no);
            }
        };
        match &chunk.body {
            ChunkBody::Lines(data) => {
                let filter = self.filter.as_deref();
                for_each_line(data, chunk.first_line, |line_no, line| {
                    counts.lines += 1;
                    let mut classify =
                        |text: &[u8], counts: &mut LineCounts, buf: &mut Vec<u8>| match parser
                            .parse(schema, text)
                        {
                            Line::Blank => counts.blank += 1,
                            Line::Record(rec) => {
                                counts.records += 1;
                                if filter.is_none_or(|f| f.matches(&rec)) {
                                    counts.matched += 1;
                                    write_record(buf, &rec, file, line_no);
                                }
                            }
                            Line::Malformed(m) => {
                                counts.malformed += 1;
                                on_malformed(buf, line_no, &m, text);
                            }
                        };
                    match Payload::of(line) {
                        None => classify(line, &mut counts, &mut buf),
                        Some(p) if p.is_control() => counts.headers += 1,
                        Some(p) if p.log_events.is_empty() => counts.blank += 1,
                        Some(p) => {
                            counts.lines += p.log_events.len() as u64 - 1;
                            for event in &p.log_events {
                                classify(event.message.as_bytes(), &mut counts, &mut buf);
                            }
                        }
                    }
                });
            }
            ChunkBody::Overlong(prefix) => {
                counts.lines += 1;
                counts.malformed += 1;
                let m = Malformed {
                    kind: MalformedKind::TooLong,
                    column: None,
                };
                on_malformed(&mut buf, chunk.first_line, &m, prefix);
            }
        }
        self.tally.add_counts(chunk.input, &counts);
        // The writer is gone only when output failed; the run is being cancelled then.
        let _ = self.out.send((chunk.seq, buf));
    }

    fn finish(self) -> Aggregate {
        self.tally
    }
}

fn write_str(buf: &mut Vec<u8>, s: &str) {
    // Serialising a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *buf, s);
}

fn write_record(buf: &mut Vec<u8>, rec: &Record<'_>, file: &str, line_no: u64) {
    buf.push(b'{');
    for (column, value) in rec.schema().columns().iter().zip(rec.values()) {
        write_str(buf, &column.json_key());
        buf.push(b':');
        match *value {
            Value::Absent => buf.extend_from_slice(b"null"),
            Value::Uint(n) => {
                let _ = write!(buf, "{n}");
            }
            Value::Addr(a) => {
                let _ = write!(buf, "\"{a}\"");
            }
            Value::Text(span) => write_str(buf, &String::from_utf8_lossy(rec.span(span))),
            Value::Action(a) => write_str(buf, a.as_str()),
            Value::Status(s) => write_str(buf, s.as_str()),
        }
        buf.push(b',');
    }
    buf.extend_from_slice(b"\"file\":");
    write_str(buf, file);
    let _ = writeln!(buf, ",\"line\":{line_no}}}");
}

fn write_malformed(
    buf: &mut Vec<u8>,
    schema: &Schema,
    m: &Malformed,
    raw: &[u8],
    file: &str,
    line_no: u64,
) {
    buf.extend_from_slice(b"{\"malformed\":");
    write_str(buf, &m.describe(schema, raw));
    buf.extend_from_slice(b",\"text\":");
    write_str(buf, &crate::sanitize::escape_limited(raw, 1000));
    buf.extend_from_slice(b",\"file\":");
    write_str(buf, file);
    let _ = writeln!(buf, ",\"line\":{line_no}}}");
}

/// Writes pieces to `out` in sequence order as they arrive. Stops quietly when the reader of
/// `out` goes away (`vpctop records … | head`), setting `cancel` so the readers stop too.
pub fn write_in_order(
    pieces: Receiver<Piece>,
    out: &mut dyn Write,
    cancel: &AtomicBool,
) -> io::Result<()> {
    let mut next = 0u64;
    let mut waiting: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    let mut failed: Option<io::Error> = None;
    for (seq, bytes) in pieces {
        if failed.is_some() {
            continue; // drain so workers never block on a full channel
        }
        waiting.insert(seq, bytes);
        while let Some(bytes) = waiting.remove(&next) {
            next += 1;
            if let Err(e) = out.write_all(&bytes) {
                cancel.store(true, Ordering::Relaxed);
                failed = Some(e);
                break;
            }
        }
    }
    match failed {
        Some(e) => Err(e),
        None => out.flush(),
    }
}
