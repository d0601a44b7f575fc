//! The one place where a framed line becomes exactly one of record, header, blank or
//! malformed, envelopes included: every line is counted once, here, whatever then happens to
//! it.
//!
//! A line may carry an envelope: a CloudWatch Logs subscription payload (each log event is a
//! line of its own, a control message counts as a header) or a JSON `message` line; `parse`
//! unwraps it. An over-long line arrives as its prefix and is malformed. Default-format
//! lines may take the fast path into a [`Flow`] when the sink takes flows.
//!
//! Hot path: [`classify_chunk`] runs once per chunk on every worker.

use crate::core::lookahead::prefetch;
use crate::core::{Aggregate, LineCounts};
use crate::parse::{
    Flow, Line, LineParser, LogStatus, Malformed, MalformedKind, Payload, Record, flow_v2_line,
};
use crate::schema::{FieldSet, Schema};
use crate::source::block::ReadBlock;
use crate::source::{Chunk, ChunkBody, PickedLine};
use crate::store::Position;
use std::sync::Arc;

/// What the lines of a chunk go to, one call per record or malformed line.
pub trait LineSink {
    /// Whether default-format lines take the fast path to [`LineSink::flow`].
    const TAKES_FLOWS: bool;

    /// A default-format line decoded by the fast path (only when [`Self::TAKES_FLOWS`]);
    /// returns whether it passed the sink's filter.
    fn flow(&mut self, flow: &Flow<'_>, at: Position) -> bool {
        let _ = (flow, at);
        false
    }

    /// A record, read from line `line_no` (1-based) at `at`; returns whether it passed the
    /// sink's filter.
    fn record(&mut self, record: &Record<'_>, line_no: u64, at: Position) -> bool;

    /// A malformed line (an over-long line's prefix), read from line `line_no`.
    fn malformed(&mut self, line_no: u64, malformed: &Malformed, schema: &Schema, text: &[u8]);
}

/// Classifies every line of `chunk`, calling `sink` for its records and malformed lines, and
/// returns the chunk's line accounting: `lines = records + headers + blank + malformed`, and
/// `matched` (with its log-status counts) for the records the sink says passed.
pub fn classify_chunk<S: LineSink>(
    chunk: &Chunk,
    parser: &mut LineParser,
    sink: &mut S,
) -> LineCounts {
    let mut counts = LineCounts {
        headers: chunk.headers_before,
        lines: chunk.headers_before,
        ..LineCounts::default()
    };
    let schema = &*chunk.schema;
    match &chunk.body {
        ChunkBody::Lines(data) => {
            let (first_line, first_offset) = (chunk.first_line, chunk.first_offset);
            let place = |k: usize, at: usize| (first_line + k as u64, first_offset + at as u64);
            classify_lines(chunk, data, place, parser, sink, &mut counts);
        }
        ChunkBody::Picked { blocks, lines } => {
            classify_picked(chunk, blocks, lines, parser, sink, &mut counts);
        }
        #[cfg(feature = "parquet")]
        ChunkBody::Rows(batch) => {
            // Rows with the default columns go straight to flows; the rest (and every row for
            // a sink that takes no flows) as the line they would have been.
            let fast = S::TAKES_FLOWS && schema.is_default_v2();
            let mut offset = chunk.first_offset;
            let mut text = Vec::new();
            for (r, line_no) in (0..batch.rows()).zip(chunk.first_line..) {
                let len = batch.line_len(r);
                counts.bytes += u64::from(len);
                counts.lines += 1;
                let pos = Position {
                    input: chunk.input,
                    offset,
                };
                match if fast { batch.flow(r) } else { None } {
                    Some(flow) => {
                        counts.records += 1;
                        if sink.flow(&flow, pos) {
                            count_matched(&mut counts, flow.status);
                        }
                    }
                    None => {
                        text.clear();
                        batch.render(r, &mut text);
                        let line = text.strip_suffix(b"\n").unwrap_or(&text);
                        general_line(line, (line_no, pos), schema, parser, sink, &mut counts);
                    }
                }
                offset += u64::from(len);
            }
        }
        ChunkBody::Overlong(prefix) => {
            counts.bytes += prefix.len() as u64;
            counts.lines += 1;
            counts.malformed += 1;
            let m = Malformed {
                kind: MalformedKind::TooLong,
                column: None,
            };
            sink.malformed(chunk.first_line, &m, schema, prefix);
        }
    }
    counts
}

/// Classifies the `\n`-separated lines of `data`; `place(k, at)` is the line number and
/// input offset of the `k`-th line, which starts at `data[at]`.
#[inline(always)]
fn classify_lines<S: LineSink>(
    chunk: &Chunk,
    data: &[u8],
    place: impl Fn(usize, usize) -> (u64, u64),
    parser: &mut LineParser,
    sink: &mut S,
    counts: &mut LineCounts,
) {
    counts.bytes += data.len() as u64;
    let schema = &*chunk.schema;
    // Default-format chunks try the fast path first; it declines anything unusual.
    let fast = S::TAKES_FLOWS && schema.is_default_v2();
    let position = |offset: u64| Position {
        input: chunk.input,
        offset,
    };
    let mut at = 0;
    let mut k = 0;
    while at < data.len() {
        let rest = &data[at..];
        counts.lines += 1;
        let (line_no, offset) = place(k, at);
        k += 1;
        // The fast path finds the line's end as it decodes it.
        if fast && let Some((flow, used)) = flow_v2_line(rest) {
            counts.records += 1;
            if sink.flow(&flow, position(offset)) {
                count_matched(counts, flow.status);
            }
            at += used;
            continue;
        }
        let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        let line = &rest[..end];
        general_line(
            line,
            (line_no, position(offset)),
            schema,
            parser,
            sink,
            counts,
        );
        at += end + 1;
    }
}

/// Classifies lines picked out of the blocks they were read into (a replay's), each counted
/// with its newline as the framer counts it.
fn classify_picked<S: LineSink>(
    chunk: &Chunk,
    blocks: &[Arc<ReadBlock>],
    lines: &[PickedLine],
    parser: &mut LineParser,
    sink: &mut S,
    counts: &mut LineCounts,
) {
    let schema = &*chunk.schema;
    let fast = S::TAKES_FLOWS && schema.is_default_v2();
    // Picked lines lie here and there in their blocks, out of the hardware prefetcher's
    // sight: ask for a line's bytes a few lines ahead.
    const AHEAD: usize = 4;
    for (k, picked) in lines.iter().enumerate() {
        if let Some(next) = lines.get(k + AHEAD)
            && let Some(block) = blocks.get(next.block as usize)
        {
            let bytes = block.bytes();
            let at = next.start as usize;
            if let Some(first) = bytes.get(at) {
                prefetch(first);
            }
            if let Some(second) = bytes.get(at + 64) {
                prefetch(second);
            }
        }
        let bytes = blocks
            .get(picked.block as usize)
            .map_or(&[][..], |b| b.bytes());
        let (start, end) = (picked.start as usize, picked.end as usize);
        let Some(line) = bytes.get(start..end) else {
            // The feed never builds one so: a line outside its block.
            debug_assert!(false, "a picked line outside its block");
            continue;
        };
        counts.bytes += line.len() as u64 + 1;
        counts.lines += 1;
        let pos = Position {
            input: chunk.input,
            offset: picked.place.offset,
        };
        // The fast path reads on to the block's end to find the line's; it must find this one's.
        if fast
            && let Some((flow, used)) = flow_v2_line(&bytes[start..])
            && (used == line.len() + 1 || (used == line.len() && end == bytes.len()))
        {
            counts.records += 1;
            if sink.flow(&flow, pos) {
                count_matched(counts, flow.status);
            }
            continue;
        }
        general_line(
            line,
            (picked.place.line_no, pos),
            schema,
            parser,
            sink,
            counts,
        );
    }
}

/// Classifies one line by the general parser (envelopes unwrapped): a record, a header, a
/// blank or a malformed line, read from line `line_no` at `pos`.
fn general_line<S: LineSink>(
    line: &[u8],
    (line_no, pos): (u64, Position),
    schema: &Schema,
    parser: &mut LineParser,
    sink: &mut S,
    counts: &mut LineCounts,
) {
    let mut one = |text: &[u8], counts: &mut LineCounts| match parser.parse(schema, text) {
        Line::Blank => counts.blank += 1,
        Line::Record(rec) => {
            counts.records += 1;
            if sink.record(&rec, line_no, pos) {
                count_matched(counts, rec.log_status());
            }
        }
        Line::Malformed(m) => {
            counts.malformed += 1;
            sink.malformed(line_no, &m, schema, text);
        }
    };
    match Payload::of(line) {
        None => one(line, counts),
        // CloudWatch checking the destination: metadata, like a header.
        Some(p) if p.is_control() => counts.headers += 1,
        Some(p) if p.log_events.is_empty() => counts.blank += 1,
        // Each log event counts as a line of its own.
        Some(p) => {
            counts.lines += p.log_events.len() as u64 - 1;
            for event in &p.log_events {
                one(event.message.as_bytes(), counts);
            }
        }
    }
}

/// Adds a chunk's accounting to `agg`, with the fields its format has.
pub fn account(agg: &mut Aggregate, chunk: &Chunk, counts: &LineCounts) {
    agg.fields_seen.add(FieldSet::of(&chunk.schema));
    agg.add_counts(chunk.input, counts);
}

/// Counts a record that passed the filter, by its log-status.
fn count_matched(counts: &mut LineCounts, status: Option<LogStatus>) {
    counts.matched += 1;
    match status {
        Some(LogStatus::Ok) => counts.ok += 1,
        Some(LogStatus::NoData) => counts.nodata += 1,
        Some(LogStatus::SkipData) => counts.skipdata += 1,
        None => {}
    }
}
