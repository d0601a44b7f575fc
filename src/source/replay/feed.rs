//! The replay feed: the inputs' lines in record-time order, paced by a [`VirtualClock`] and
//! steered by [`ReplayCommand`]s, handed on as chunks of consecutive lines.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{MergedLines, ReplayCommand, Speed, VirtualClock};
use crate::schema::SharedSchema;
use crate::source::progress::Progress;
use crate::source::status::{SourceBoard, SourceState};
use crate::source::{Chunk, ChunkBody, InputSpec, SourceError};

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

/// A run of consecutive lines of one input, on its way to becoming a chunk.
struct Batch {
    input: u32,
    first_line: u64,
    next_line: u64,
    schema: SharedSchema,
    data: Vec<u8>,
}

/// Feeds the inputs' lines to the workers in record-time order, paced by a virtual clock and
/// steered by the control channel. Returns the input errors and the bytes read.
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
    let mut batch: Option<Batch> = None;
    let mut seq = 0u64;
    let mut bytes = 0u64;
    let mut steps = 0u32;
    let flush = |batch: &mut Option<Batch>, seq: &mut u64, send: &mut dyn FnMut(Chunk)| {
        if let Some(b) = batch.take() {
            send(Chunk {
                input: b.input,
                seq: *seq,
                first_line: b.first_line,
                first_offset: 0,
                schema: b.schema,
                headers_before: 0,
                body: ChunkBody::Lines(b.data),
            });
            *seq += 1;
        }
    };
    while !cancel.load(Ordering::Relaxed) {
        let now = Instant::now();
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
            merged.next_line();
            continue;
        }
        let due = if untimed {
            Some(Duration::ZERO)
        } else {
            // The clock starts at the first record; commands apply to it from then on.
            let c = clock.get_or_insert_with(|| VirtualClock::new(start, now, replay.speed));
            if let Some(control) = &replay.control
                && let Ok(rx) = control.lock()
            {
                while let Ok(command) = rx.try_recv() {
                    match command {
                        ReplayCommand::Step => steps += 1,
                        ReplayCommand::Seek(t) => {
                            // Skip what lies before the new time.
                            while merged.peek_start().is_some_and(|s| s < t) {
                                merged.next_line();
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
                let Some((line, schema)) = merged.next_line() else {
                    break;
                };
                bytes += line.text.len() as u64 + 1;
                if line.header {
                    flush(&mut batch, &mut seq, send);
                    send(Chunk {
                        input: line.input,
                        seq,
                        first_line: line.line_no + 1,
                        first_offset: 0,
                        schema,
                        headers_before: 1,
                        body: ChunkBody::Lines(Vec::new()),
                    });
                    seq += 1;
                    continue;
                }
                let joins = batch.as_ref().is_some_and(|b| {
                    b.input == line.input
                        && b.next_line == line.line_no
                        && Arc::ptr_eq(&b.schema, &schema)
                        && b.data.len() < 1 << 20
                });
                if !joins {
                    flush(&mut batch, &mut seq, send);
                    batch = Some(Batch {
                        input: line.input,
                        first_line: line.line_no,
                        next_line: line.line_no,
                        schema,
                        data: Vec::new(),
                    });
                }
                if let Some(b) = batch.as_mut() {
                    b.data.extend_from_slice(&line.text);
                    b.data.push(b'\n');
                    b.next_line += 1;
                }
            }
            wait => {
                // Nothing due now: hand over what is ready, then wait for the clock or a
                // command (briefly, so a stop is noticed).
                flush(&mut batch, &mut seq, send);
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
                                        merged.next_line();
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
    flush(&mut batch, &mut seq, send);
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
