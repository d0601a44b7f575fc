//! The thread layout of a run: readers frame inputs into chunks, N workers handle chunks in
//! parallel.
//!
//! ```text
//!  inputs ─▶ reader threads (open, gunzip, frame) ─▶ bounded channel ─▶ N workers ─▶ outputs
//!                     ▲                                                     │
//!                     └──────────────── recycled chunk buffers ◀────────────┘
//! ```
//!
//! The channel is bounded, so a slow consumer slows the readers down and nothing is dropped.
//! What a worker does with a chunk is a [`ChunkHandler`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use super::read::{ChunkSender, Reading};
use super::{FollowConfig, IngestConfig, Mode};
use crate::parse::LineParser;
use crate::source::follow::StartAt;
use crate::source::replay::replay_inputs;
use crate::source::watch::{DirWatch, Wakeups, discover};
use crate::source::{BufferPool, Chunk, ChunkBody, InputSpec, SourceError};

/// What a worker does with each chunk.
pub trait ChunkHandler: Send {
    /// What the worker hands back at the end.
    type Output: Send;
    /// Handles one chunk (chunks arrive in any order across workers).
    fn handle(&mut self, chunk: &Chunk, parser: &mut LineParser);
    /// Called when no chunk has come for a while (live inputs): a chance to pass on what
    /// the handler holds.
    fn idle(&mut self) {}
    /// Called once after the last chunk.
    fn finish(self) -> Self::Output;
}

/// How long a worker waits for a chunk before calling [`ChunkHandler::idle`].
const IDLE_AFTER: std::time::Duration = std::time::Duration::from_millis(50);

/// The result of a run.
#[derive(Debug)]
pub struct IngestOutcome<O> {
    /// One output per worker.
    pub outputs: Vec<O>,
    /// Inputs that could not be read (to the end), in input order.
    pub errors: Vec<(usize, SourceError)>,
    /// Decoded bytes read over all inputs.
    pub bytes: u64,
}

/// Input errors and decoded bytes gathered from every reader.
#[derive(Default)]
struct Gathered {
    errors: Mutex<Vec<(usize, SourceError)>>,
    bytes: AtomicU64,
}

impl Gathered {
    fn add(&self, (errors, bytes): (Vec<(usize, SourceError)>, u64)) {
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        if let Ok(mut all) = self.errors.lock() {
            all.extend(errors);
        }
    }
}

/// While following, lists the remote locations again every `listing_poll` and calls `found`
/// once for each input not seen before (in key order), with its index in the registry. A
/// location that cannot be listed is an error of the run (said once until it lists again);
/// the next poll tries again.
fn relist(
    follow: &FollowConfig,
    inputs: &[InputSpec],
    registry: &crate::source::InputRegistry,
    (gathered, cancel): (&Gathered, &AtomicBool),
    mut found: impl FnMut(usize, InputSpec),
) {
    // Waits one poll in short steps; false once the run is cancelled.
    let wait = || {
        let step = std::time::Duration::from_millis(50);
        let mut waited = std::time::Duration::ZERO;
        while waited < follow.listing_poll {
            if cancel.load(Ordering::Relaxed) {
                return false;
            }
            std::thread::sleep(step);
            waited += step;
        }
        !cancel.load(Ordering::Relaxed)
    };
    let mut known: std::collections::HashSet<String> =
        inputs.iter().map(InputSpec::display_name).collect();
    let mut failing: std::collections::HashSet<String> = Default::default();
    while wait() {
        for listing in &follow.listings {
            match listing.list() {
                Ok(now) => {
                    failing.remove(&listing.name());
                    for spec in now {
                        let name = spec.display_name();
                        if known.insert(name.clone()) {
                            found(registry.add(name), spec);
                        }
                    }
                }
                Err(why) => {
                    let name = listing.name();
                    if failing.insert(name.clone()) {
                        let error = SourceError::Open {
                            name,
                            source: std::io::Error::other(why),
                        };
                        gathered.add((vec![(usize::MAX, error)], 0));
                    }
                }
            }
        }
    }
}

/// How many nice levels a replay's workers run below its feed. The feed is the one serial
/// stage: when it waits for a core, the workers soon have nothing to do (with the three on
/// two cores, 1.86 cores were busy; with the workers below it, 1.96). Release builds, five
/// alternating pairs each against 0 levels: 10 M default-format lines 0.96x wall at 2
/// levels (0.99x at 1, the same as 2 at 3); a 29-field custom format, where the workers
/// are the bottleneck, 1.01x wall and 1.04x CPU at 2 (1.02x and 1.09x at 3), as the feed
/// then reads further ahead of them. Where all cores are busy anyway (the dashboard's
/// replay, which also keeps every record) it changes nothing.
const REPLAY_WORKER_NICE: i32 = 2;

/// Reads every input through the framer and hands its chunks to `workers` handlers made by
/// `make_handler`. `cancel` stops the readers early (e.g. the output pipe closed).
pub fn ingest<H, F>(
    inputs: &[InputSpec],
    config: &IngestConfig,
    cancel: &AtomicBool,
    make_handler: F,
) -> IngestOutcome<H::Output>
where
    H: ChunkHandler,
    F: Fn() -> H + Sync,
{
    let pool = BufferPool::default();
    let workers = config.workers.max(1);
    // Multi-consumer, so that each worker waits on its own and notices its own idle time: a
    // shared receiver behind a mutex let one worker starve on the lock while holding counted
    // records, which then reached the snapshot seconds late.
    // A replay's feed shares the cores with the workers and sends in bursts (a slice at a
    // time): more room lets it run ahead while it has the core (5 pairs, 10 M lines: wall
    // 0.98x, same CPU).
    let queued = match config.mode {
        Mode::Replay(_) => workers * 8,
        _ => workers * 2,
    };
    let (tx, rx) = crossbeam_channel::bounded::<Chunk>(queued);
    let next_input = AtomicUsize::new(0);
    // Followed files are woken by file events where the OS can watch their directories.
    let (_wakeups, wake) = match config.follow() {
        Some(f) if !f.force_polling => {
            let files: Vec<(usize, std::path::PathBuf)> = inputs
                .iter()
                .enumerate()
                .filter_map(|(i, s)| match s {
                    InputSpec::File(p) => Some((i, p.clone())),
                    InputSpec::Stdin | InputSpec::Remote(_) => None,
                })
                .collect();
            let (w, rx) = Wakeups::new(&files);
            (Some(w), Mutex::new(rx))
        }
        _ => (None, Mutex::new(HashMap::new())),
    };
    // Files found later in watched directories are read from their start, whatever
    // `--from-end` said.
    let joined = config.follow().map(|f| IngestConfig {
        mode: Mode::Follow(FollowConfig {
            start: StartAt::Beginning,
            ..f.clone()
        }),
        ..config.clone()
    });
    let gathered = Gathered::default();
    let readers = match &config.mode {
        // One feed merges every input in record-time order.
        Mode::Replay(_) => 0,
        // A followed input never ends on its own: each needs its own reader.
        Mode::Follow(_) => inputs.len().max(1),
        Mode::Batch => config.readers.clamp(1, inputs.len().max(1)),
    };
    let reading = Reading {
        config,
        pool: &pool,
        cancel,
    };

    let outputs = std::thread::scope(|scope| {
        let worker_handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    if let Mode::Replay(_) = config.mode {
                        crate::os::lower_thread_priority_by(REPLAY_WORKER_NICE);
                    }
                    let mut handler = make_handler();
                    let mut parser = LineParser::new();
                    loop {
                        let chunk = match rx.recv_timeout(IDLE_AFTER) {
                            Ok(chunk) => chunk,
                            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                                handler.idle();
                                continue;
                            }
                            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
                        };
                        handler.handle(&chunk, &mut parser);
                        match chunk.body {
                            ChunkBody::Lines(buf) | ChunkBody::Overlong(buf) => pool.give(buf),
                            // Its blocks go back to their reader's pool as they are dropped.
                            ChunkBody::Picked { .. } => {}
                            #[cfg(feature = "parquet")]
                            ChunkBody::Rows(_) => {}
                        }
                    }
                    handler.finish()
                })
            })
            .collect();

        for _ in 0..readers {
            let (tx, next_input, wake, gathered) = (tx.clone(), &next_input, &wake, &gathered);
            scope.spawn(move || {
                let mut errors = Vec::new();
                let mut bytes = 0u64;
                let mut seq = 0u64;
                loop {
                    let i = next_input.fetch_add(1, Ordering::Relaxed);
                    if i >= inputs.len() || cancel.load(Ordering::Relaxed) {
                        break;
                    }
                    let woken = wake.lock().ok().and_then(|mut m| m.remove(&i));
                    let (n, e) = reading.read_one(i, &inputs[i], woken, &mut seq, &tx);
                    bytes += n;
                    errors.extend(e);
                }
                gathered.add((errors, bytes));
            });
        }
        if let Mode::Replay(replay) = &config.mode {
            let (tx, gathered) = (tx.clone(), &gathered);
            scope.spawn(move || {
                let mut send = super::read::sender(&tx, cancel);
                let shown = (
                    &config.schema,
                    config.progress.as_ref(),
                    config.board.as_deref(),
                );
                gathered.add(replay_inputs(inputs, shown, replay, &mut send, cancel));
            });
        }
        // An input found while following (in a watched directory, or a remote listing) is
        // read on a thread of its own, from its start.
        let read_found = joined.as_ref().map(|joined| {
            let found = Reading {
                config: joined,
                pool: &pool,
                cancel,
            };
            let gathered = &gathered;
            move |index: usize, spec: InputSpec, tx: ChunkSender| {
                scope.spawn(move || {
                    let mut seq = 0;
                    let (n, e) = found.read_one(index, &spec, None, &mut seq, &tx);
                    gathered.add((e.into_iter().collect(), n));
                });
            }
        });
        if let (Some(read_found), Some(registry), Some(follow)) =
            (read_found, &config.registry, config.follow())
        {
            if !follow.watch_dirs.is_empty() {
                let tx = tx.clone();
                scope.spawn(move || {
                    let watch = DirWatch {
                        dirs: &follow.watch_dirs,
                        select: &config.select,
                        registry,
                        board: config.board.as_deref(),
                        poll: follow.timing.poll,
                        force_polling: follow.force_polling,
                    };
                    discover(watch, inputs, cancel, |index, path| {
                        read_found(index, InputSpec::File(path), tx.clone());
                    });
                });
            }
            if !follow.listings.is_empty() {
                let (tx, gathered) = (tx.clone(), &gathered);
                scope.spawn(move || {
                    relist(
                        follow,
                        inputs,
                        registry,
                        (gathered, cancel),
                        |index, spec| {
                            read_found(index, spec, tx.clone());
                        },
                    );
                });
            }
        }
        drop(tx);
        worker_handles
            .into_iter()
            // A worker thread only panics on a bug; surface it rather than hide it.
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect::<Vec<_>>()
    });
    // Every reader has ended with the scope.
    let mut errors = gathered.errors.into_inner().unwrap_or_default();
    errors.sort_by_key(|(i, _)| *i);
    IngestOutcome {
        outputs,
        errors,
        bytes: gathered.bytes.into_inner(),
    }
}
