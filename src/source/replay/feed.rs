//! The replay feed: the inputs' lines in record-time order, paced by a [`VirtualClock`] and
//! steered by [`ReplayCommand`]s, handed on as chunks of consecutive lines.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{LineInfo, LineText, MergedLines, ReplayCommand, Speed, VirtualClock};
use crate::schema::SharedSchema;
use crate::source::block::ReadBlock;
use crate::source::progress::Progress;
use crate::source::status::{SourceBoard, SourceState};
use crate::source::{Chunk, ChunkBody, InputSpec, LinePlace, PickedLine, SourceError};

/// How a replay runs.
#[derive(Debug, Clone)]
pub struct ReplayConfig {
    /// How fast record time runs.
    pub speed: Speed,
    /// Records starting before this (Unix seconds) are skipped.
    pub from: Option<u64>,
    /// Records starting after this end the replay.
    pub to: Option<u64>,
    /// Pause, resume, step, speed and seek commands (the dashboard sends them).
    pub control: Option<Arc<Mutex<Receiver<ReplayCommand>>>>,
}

/// The lines due so far, on their way to becoming chunks: one per input, each line with the
/// place it was read. A slice goes out whole before any later line is taken, so every line
/// of a slice comes after every line of the slices before it; within a slice, order no
/// longer matters, since workers take its chunks in parallel.
struct Slice {
    /// Each input's lines so far, by input index.
    open: Vec<Option<Picked>>,
    /// The inputs that have lines in `open`.
    inputs: Vec<u32>,
    /// Bytes held over all inputs.
    bytes: usize,
    /// Chunks sent so far.
    seq: u64,
}

/// One input's lines in a slice, all of one format.
struct Picked {
    schema: SharedSchema,
    /// The blocks its lines lie in.
    blocks: Vec<Arc<ReadBlock>>,
    lines: Vec<PickedLine>,
    /// Lines that had to be copied out of their blocks, one after another.
    own: Vec<u8>,
    /// Bytes of its lines, newlines included.
    bytes: usize,
}

/// The block of a picked line kept in [`Picked::own`] until the chunk is sent.
const OWN: u32 = u32::MAX;

/// A slice's chunk for one input goes once it holds this much.
const CHUNK_BYTES: usize = 1 << 20;
/// A whole slice goes once it holds this much.
const SLICE_BYTES: usize = 4 << 20;

impl Slice {
    fn new(inputs: usize) -> Slice {
        Slice {
            open: (0..inputs).map(|_| None).collect(),
            inputs: Vec::new(),
            bytes: 0,
            seq: 0,
        }
    }

    /// Adds a line, sending what the slice cannot hold any more.
    fn push(
        &mut self,
        line: &LineInfo,
        text: LineText<'_>,
        schema: &SharedSchema,
        send: &mut dyn FnMut(Chunk),
    ) {
        let i = line.input as usize;
        if self.open[i]
            .as_ref()
            .is_some_and(|p| !Arc::ptr_eq(&p.schema, schema))
        {
            self.send_input(i, send);
        }
        let picked = match &mut self.open[i] {
            Some(p) => p,
            empty => {
                self.inputs.push(line.input);
                empty.insert(Picked {
                    schema: Arc::clone(schema),
                    blocks: Vec::new(),
                    lines: Vec::with_capacity(CHUNK_BYTES / 128),
                    own: Vec::new(),
                    bytes: 0,
                })
            }
        };
        let place = LinePlace {
            line_no: line.line_no,
            offset: line.offset,
        };
        let len = match text {
            LineText::Block { block, start, end } => {
                // A chunk's lines lie in a few blocks: the last ones it took, mostly.
                let b = match picked.blocks.iter().rposition(|b| Arc::ptr_eq(b, block)) {
                    Some(b) => b,
                    None => {
                        picked.blocks.push(Arc::clone(block));
                        picked.blocks.len() - 1
                    }
                };
                picked.lines.push(PickedLine {
                    block: b as u32,
                    start,
                    end,
                    place,
                });
                (end - start) as usize
            }
            LineText::Own(bytes) => {
                let start = picked.own.len();
                picked.own.extend_from_slice(bytes);
                picked.own.push(b'\n');
                picked.lines.push(PickedLine {
                    block: OWN,
                    start: start as u32,
                    end: (start + bytes.len()) as u32,
                    place,
                });
                bytes.len()
            }
        };
        picked.bytes += len + 1;
        self.bytes += len + 1;
        if picked.bytes >= CHUNK_BYTES {
            self.send_input(i, send);
        }
        if self.bytes >= SLICE_BYTES {
            self.send_all(send);
        }
    }

    /// Sends one chunk that is not a slice's (a header, an over-long line) in sequence.
    fn send_other(&mut self, chunk: impl FnOnce(u64) -> Chunk, send: &mut dyn FnMut(Chunk)) {
        send(chunk(self.seq));
        self.seq += 1;
    }

    /// Sends input `i`'s lines, if it has any.
    fn send_input(&mut self, i: usize, send: &mut dyn FnMut(Chunk)) {
        let Some(mut p) = self.open[i].take() else {
            return;
        };
        self.bytes -= p.bytes;
        if !p.own.is_empty() {
            let own = p.blocks.len() as u32;
            let len = p.own.len();
            p.blocks.push(Arc::new(ReadBlock::new(
                std::mem::take(&mut p.own),
                len,
                None,
            )));
            for line in p.lines.iter_mut().filter(|l| l.block == OWN) {
                line.block = own;
            }
        }
        let first = p.lines.first().map(|l| l.place);
        send(Chunk {
            input: i as u32,
            seq: self.seq,
            first_line: first.map_or(0, |f| f.line_no),
            first_offset: first.map_or(0, |f| f.offset),
            schema: p.schema,
            headers_before: 0,
            body: ChunkBody::Picked {
                blocks: p.blocks,
                lines: p.lines,
            },
        });
        self.seq += 1;
    }

    /// Sends every input's lines: the slice is complete.
    fn send_all(&mut self, send: &mut dyn FnMut(Chunk)) {
        for i in std::mem::take(&mut self.inputs) {
            self.send_input(i as usize, send);
        }
        self.bytes = 0;
    }
}

/// Feeds the inputs' lines to the workers in record-time order, paced by a virtual clock and
/// steered by the control channel; each line stays in the block it was read into. Returns
/// the input errors and the bytes read.
pub fn replay_inputs(
    inputs: &[InputSpec],
    (schema, progress, board): (&SharedSchema, Option<&Arc<Progress>>, Option<&SourceBoard>),
    replay: &ReplayConfig,
    send: &mut dyn FnMut(Chunk),
    cancel: &AtomicBool,
) -> (Vec<(usize, SourceError)>, u64) {
    if let Some(b) = board {
        for i in 0..inputs.len() {
            b.set(i, SourceState::Reading);
        }
    }
    let mut merged = MergedLines::new(inputs, schema, progress);
    let mut clock: Option<VirtualClock> = None;
    let mut slice = Slice::new(inputs.len());
    let mut bytes = 0u64;
    let mut steps = 0u32;
    // The wall clock and the control channel are looked at once per `LOOK_EVERY` lines
    // while lines keep coming due, and after every wait.
    const LOOK_EVERY: u32 = 256;
    let mut now = Instant::now();
    let mut look_in = 0u32;
    while !cancel.load(Ordering::Relaxed) {
        let Some((start, timed)) = merged.peek() else {
            break;
        };
        if replay.to.is_some_and(|to| start > to) {
            break;
        }
        // A line before its input's first record (a header, a blank line) carries no time
        // of its own: it goes at once and must not start the clock (at 1970).
        let untimed = !timed;
        if !untimed && replay.from.is_some_and(|from| start < from) {
            merged.skip();
            continue;
        }
        let due = if untimed {
            Some(Duration::ZERO)
        } else {
            // The clock starts at the first record; commands apply to it from then on.
            let c = clock.get_or_insert_with(|| VirtualClock::new(start, now, replay.speed));
            if look_in == 0 {
                look_in = LOOK_EVERY;
                now = Instant::now();
                if let Some(control) = &replay.control
                    && let Ok(rx) = control.lock()
                {
                    while let Ok(command) = rx.try_recv() {
                        match command {
                            ReplayCommand::Step => steps += 1,
                            ReplayCommand::Seek(t) => {
                                // Skip what lies before the new time.
                                while merged.peek_start().is_some_and(|s| s < t) {
                                    merged.skip();
                                }
                                c.apply(command, now);
                            }
                            other => c.apply(other, now),
                        }
                    }
                }
                if merged.peek_start() != Some(start) {
                    continue; // a seek moved on
                }
            }
            look_in -= 1;
            // A step lets the next record through now, paused or not.
            if steps > 0 {
                Some(Duration::ZERO)
            } else {
                c.due_in(start, now)
            }
        };
        match due {
            Some(d) if d.is_zero() => {
                if !untimed {
                    steps = steps.saturating_sub(1);
                }
                merged.take(|line, text, schema| {
                    let len = text.bytes().len() as u64;
                    bytes += len + 1;
                    if line.header {
                        // Its input's lines before it go first, in a format of their own.
                        slice.send_input(line.input as usize, send);
                        slice.send_other(
                            |seq| Chunk {
                                input: line.input,
                                seq,
                                first_line: line.line_no + 1,
                                first_offset: line.offset + len + 1,
                                schema: Arc::clone(schema),
                                headers_before: 1,
                                body: ChunkBody::Lines(Vec::new()),
                            },
                            send,
                        );
                    } else if line.overlong {
                        slice.send_other(
                            |seq| Chunk {
                                input: line.input,
                                seq,
                                first_line: line.line_no,
                                first_offset: line.offset,
                                schema: Arc::clone(schema),
                                headers_before: 0,
                                body: ChunkBody::Overlong(text.bytes().to_vec()),
                            },
                            send,
                        );
                    } else {
                        slice.push(line, text, schema, send);
                    }
                });
            }
            wait => {
                // Nothing due now: hand over what is ready, then wait for the clock or a
                // command (briefly, so a stop is noticed).
                slice.send_all(send);
                look_in = 0;
                let wait = wait
                    .unwrap_or(Duration::from_millis(50))
                    .min(Duration::from_millis(50));
                match &replay.control {
                    Some(control) => {
                        if let Ok(rx) = control.lock()
                            && let Ok(command) = rx.recv_timeout(wait)
                        {
                            if command == ReplayCommand::Step {
                                steps += 1;
                            } else if let Some(c) = clock.as_mut() {
                                if let ReplayCommand::Seek(t) = command {
                                    while merged.peek_start().is_some_and(|s| s < t) {
                                        merged.skip();
                                    }
                                }
                                c.apply(command, Instant::now());
                            }
                        }
                    }
                    None => std::thread::sleep(wait),
                }
            }
        }
    }
    slice.send_all(send);
    // Every input is now read as far as the replay goes: say so, or say why not.
    if let Some(b) = board {
        for i in 0..inputs.len() {
            b.set(i, SourceState::Done);
        }
        for (i, e) in &merged.errors {
            b.error(*i, e.to_string());
        }
    }
    (merged.errors, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    /// Every line a full-speed replay hands on, with the number and offset it says it came
    /// from, from each chunk in the order sent.
    fn replayed(inputs: &[InputSpec]) -> Vec<(u32, u64, u64, Vec<u8>, bool)> {
        let config = ReplayConfig {
            speed: Speed::Max,
            from: None,
            to: None,
            control: None,
        };
        let mut out = Vec::new();
        let mut send = |chunk: Chunk| match chunk.body {
            ChunkBody::Picked { blocks, lines } => {
                for l in lines {
                    let text = &blocks[l.block as usize].bytes()[l.start as usize..l.end as usize];
                    let p = l.place;
                    out.push((chunk.input, p.line_no, p.offset, text.to_vec(), false));
                }
            }
            ChunkBody::Lines(data) => {
                assert!(data.is_empty() && chunk.headers_before == 1);
                out.push((chunk.input, chunk.first_line - 1, 0, Vec::new(), true));
            }
            other => panic!("unexpected chunk {other:?}"),
        };
        let schema = Arc::new(crate::schema::Schema::default_v2());
        let (errors, _) = replay_inputs(
            inputs,
            (&schema, None, None),
            &config,
            &mut send,
            &AtomicBool::new(false),
        );
        assert!(errors.is_empty());
        out
    }

    #[test]
    fn picked_lines_keep_the_number_and_offset_they_were_read_at() {
        let dir = tempfile::tempdir().unwrap();
        let line = |start: u64, crlf: bool| {
            format!(
                "2 1 eni-a 10.0.0.1 10.0.0.2 1 22 6 1 1 {start} {} ACCEPT OK{}\n",
                start + 5,
                if crlf { "\r" } else { "" }
            )
        };
        let header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n";
        // Out of order, with a CRLF line, a header half-way and a last line without newline.
        let a = [
            line(50, false),
            line(10, true),
            header.to_string(),
            line(30, false),
            "2 1 eni-a 10.0.0.1 10.0.0.2 1 22 6 1 1 20 25 ACCEPT OK".to_string(),
        ]
        .concat();
        let b = [line(15, false), line(5, false)].concat();
        let (pa, pb) = (dir.path().join("a.log"), dir.path().join("b.log"));
        std::fs::write(&pa, &a).unwrap();
        std::fs::write(&pb, &b).unwrap();
        let got = replayed(&[InputSpec::File(pa), InputSpec::File(pb)]);
        let texts = [a.as_bytes(), b.as_bytes()];
        let mut seen = 0;
        for (input, line_no, offset, text, header) in &got {
            let file = texts[*input as usize];
            if *header {
                assert_eq!(*line_no, 3, "the header is a's third line");
                continue;
            }
            seen += 1;
            let at = *offset as usize;
            let body = text.strip_suffix(b"\n").unwrap_or(text);
            assert_eq!(
                &file[at..at + body.len()],
                body,
                "line {line_no} of input {input}"
            );
            let number = file[..at].iter().filter(|b| **b == b'\n').count() as u64 + 1;
            assert_eq!(number, *line_no);
        }
        assert_eq!(seen, 6);
    }
}
