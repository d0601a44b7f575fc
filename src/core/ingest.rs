//! The batch pipeline: readers frame inputs into chunks, N workers handle chunks in parallel.
//!
//! ```text
//!  inputs ─▶ reader threads (open, gunzip, frame) ─▶ bounded channel ─▶ N workers ─▶ outputs
//!                     ▲                                                     │
//!                     └──────────────── recycled chunk buffers ◀────────────┘
//! ```
//!
//! The channel is bounded, so a slow consumer slows the readers down and nothing is dropped.
//! What a worker does with a chunk is a [`ChunkHandler`]: counting into an [`Aggregate`]
//! ([`AggregateHandler`]), or formatting records (see `report::records`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex};

use super::aggregate::{Aggregate, LineCounts};
use crate::filter::Filter;
use crate::parse::{
    Flow, Line, LineParser, LogStatus, Malformed, MalformedKind, Payload, flow_v2_line,
};
use crate::schema::SharedSchema;
use crate::source::follow::{FollowReader, FollowTiming, Follower, StartAt};
use crate::source::replay::{MergedLines, ReplayCommand, Speed, VirtualClock};
use crate::source::status::{Mechanism, SourceBoard, SourceState};
use crate::source::watch::Wakeups;
use crate::source::{
    self, BufferPool, Chunk, ChunkBody, Framer, InputRegistry, InputSpec, SourceError,
};
use crate::store::{Position, Store, StoreWriter};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How a batch run is laid out.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// The format of lines before an input's first header.
    pub schema: SharedSchema,
    /// Parse workers (at least 1).
    pub workers: usize,
    /// Inputs read at the same time (at least 1). One keeps chunk order global.
    pub readers: usize,
    /// Target chunk size in bytes.
    pub chunk_bytes: usize,
    /// Follow inputs as they grow instead of reading them to their end (`--follow`).
    pub follow: Option<FollowConfig>,
    /// Where readers say what each input is doing, when someone wants to know.
    pub board: Option<Arc<SourceBoard>>,
    /// Directories whose new files join the run while following (`--follow DIR`).
    pub watch_dirs: Vec<PathBuf>,
    /// The run's input names; files found in `watch_dirs` are added to it.
    pub registry: Option<Arc<InputRegistry>>,
    /// Which files found in `watch_dirs` are read.
    pub select: source::FileSelector,
    /// Replay the inputs in record-time order, paced (`vpctop replay`).
    pub replay: Option<ReplayConfig>,
    /// Poll followed files and watched directories instead of using file events (`--poll`).
    pub force_polling: bool,
    /// Where reading counts its bytes and finished inputs (for a progress line or the
    /// status bar), when someone shows progress.
    pub progress: Option<Arc<source::progress::Progress>>,
}

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

/// How inputs are followed.
#[derive(Debug, Clone, Copy)]
pub struct FollowConfig {
    /// Where to start in files that already exist.
    pub start: StartAt,
    /// Poll interval and settle time.
    pub timing: FollowTiming,
}

impl IngestConfig {
    /// One worker per core, as many readers as helps decompress several inputs at once.
    pub fn new(schema: SharedSchema) -> IngestConfig {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        IngestConfig {
            schema,
            workers: cores,
            readers: cores.clamp(1, 4),
            chunk_bytes: source::framer::DEFAULT_CHUNK_BYTES,
            follow: None,
            board: None,
            watch_dirs: Vec::new(),
            registry: None,
            select: source::FileSelector::default(),
            replay: None,
            force_polling: false,
            progress: None,
        }
    }
}

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

/// The sending end of the chunk queue that readers fill and workers drain.
type ChunkSender = crossbeam_channel::Sender<Chunk>;

/// How long a worker waits for a chunk before calling [`ChunkHandler::idle`].
const IDLE_AFTER: std::time::Duration = std::time::Duration::from_millis(50);

/// The result of a batch run.
#[derive(Debug)]
pub struct IngestOutcome<O> {
    /// One output per worker.
    pub outputs: Vec<O>,
    /// Inputs that could not be read (to the end), in input order.
    pub errors: Vec<(usize, SourceError)>,
    /// Decoded bytes read over all inputs.
    pub bytes: u64,
}

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
    let (tx, rx) = crossbeam_channel::bounded::<Chunk>(workers * 2);
    let next_input = AtomicUsize::new(0);
    // Followed files are woken by file events where the OS can watch their directories.
    let (_wakeups, wake) = match config.follow {
        Some(_) if !config.force_polling => {
            let files: Vec<(usize, std::path::PathBuf)> = inputs
                .iter()
                .enumerate()
                .filter_map(|(i, s)| match s {
                    InputSpec::File(p) => Some((i, p.clone())),
                    InputSpec::Stdin => None,
                })
                .collect();
            let (w, rx) = Wakeups::new(&files);
            (Some(w), Mutex::new(rx))
        }
        _ => (None, Mutex::new(HashMap::new())),
    };
    // A followed input never ends on its own: each needs its own reader.
    // Files found later in watched directories: read from their start, whatever
    // `--from-end` said; their errors and bytes are gathered here.
    let joined = config.follow.map(|f| {
        let mut c = config.clone();
        c.follow = Some(FollowConfig {
            start: StartAt::Beginning,
            ..f
        });
        c
    });
    let found_errors = Mutex::new(Vec::new());
    let found_bytes = std::sync::atomic::AtomicU64::new(0);
    let readers = match (&config.follow, &config.replay) {
        // One reader merges every input in record-time order.
        (_, Some(_)) => 0,
        (Some(_), None) => inputs.len().max(1),
        (None, None) => config.readers.clamp(1, inputs.len().max(1)),
    };

    std::thread::scope(|scope| {
        let worker_handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
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
                        }
                    }
                    handler.finish()
                })
            })
            .collect();

        let reader_handles: Vec<_> = (0..readers)
            .map(|_| {
                let tx = tx.clone();
                let (pool, next_input, wake) = (&pool, &next_input, &wake);
                scope.spawn(move || {
                    let mut errors = Vec::new();
                    let mut bytes = 0u64;
                    let mut seq = 0u64;
                    loop {
                        let i = next_input.fetch_add(1, Ordering::Relaxed);
                        if i >= inputs.len() || cancel.load(Ordering::Relaxed) {
                            break;
                        }
                        let board = config.board.as_deref();
                        if let Some(b) = board {
                            b.set(i, SourceState::Reading);
                        }
                        let woken = wake.lock().ok().and_then(|mut m| m.remove(&i));
                        let input = (i, &inputs[i], woken);
                        let read = read_input(input, config, pool, &mut seq, &tx, cancel);
                        if let Some(p) = &config.progress {
                            p.input_done();
                        }
                        match read {
                            Ok(n) => {
                                bytes += n;
                                if let Some(b) = board {
                                    b.set(i, SourceState::Done);
                                }
                            }
                            Err((n, e)) => {
                                bytes += n;
                                if let Some(b) = board {
                                    b.error(i, e.to_string());
                                }
                                errors.push((i, e));
                            }
                        }
                    }
                    (errors, bytes)
                })
            })
            .collect();
        let replayer = config.replay.as_ref().map(|r| {
            let tx = tx.clone();
            scope.spawn(move || replay_inputs(inputs, config, r, &tx, cancel))
        });
        let discoverer = match (&joined, &config.registry) {
            (Some(joined), Some(registry)) if !config.watch_dirs.is_empty() => {
                let tx = tx.clone();
                let found = (&pool, &found_errors, &found_bytes);
                Some(scope.spawn(move || {
                    discover(scope, inputs, (config, joined), registry, found, tx, cancel)
                }))
            }
            _ => None,
        };
        drop(tx);

        let mut errors = Vec::new();
        let mut bytes = 0;
        if let Some(d) = discoverer {
            d.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        }
        if let Some(r) = replayer {
            let (e, b) = r.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            errors.extend(e);
            bytes += b;
        }
        for h in reader_handles {
            // A reader thread only panics on a bug; surface it rather than hide it.
            let (e, b) = h.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            errors.extend(e);
            bytes += b;
        }
        errors.extend(
            found_errors
                .lock()
                .map(|mut e| std::mem::take(&mut *e))
                .unwrap_or_default(),
        );
        bytes += found_bytes.load(Ordering::Relaxed);
        errors.sort_by_key(|(i, _)| *i);
        let outputs = worker_handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect();
        IngestOutcome {
            outputs,
            errors,
            bytes,
        }
    })
}

/// While following, finds files that appear in the watched directories (woken by `notify`,
/// or every poll where it cannot watch) and gives each a reader of its own, from its start.
/// A `.gz` file joins once its size has stayed the same across two looks (complete).
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
fn replay_inputs(
    inputs: &[InputSpec],
    config: &IngestConfig,
    replay: &ReplayConfig,
    tx: &ChunkSender,
    cancel: &AtomicBool,
) -> (Vec<(usize, SourceError)>, u64) {
    let board = config.board.as_deref();
    if let Some(b) = board {
        for i in 0..inputs.len() {
            b.set(i, SourceState::Reading);
        }
    }
    let mut merged = MergedLines::new(inputs, &config.schema, config.progress.as_ref());
    let mut clock: Option<VirtualClock> = None;
    let mut batch: Option<Batch> = None;
    let mut seq = 0u64;
    let mut bytes = 0u64;
    let mut steps = 0u32;
    let mut send = sender(tx, cancel);
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
                    flush(&mut batch, &mut seq, &mut send);
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
                    flush(&mut batch, &mut seq, &mut send);
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
                flush(&mut batch, &mut seq, &mut send);
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
    flush(&mut batch, &mut seq, &mut send);
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

/// Where readers of found files leave their buffers, errors and byte counts.
type Found<'a> = (
    &'a BufferPool,
    &'a Mutex<Vec<(usize, SourceError)>>,
    &'a std::sync::atomic::AtomicU64,
);

fn discover<'scope, 'env: 'scope>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    inputs: &'env [InputSpec],
    (config, joined): (&'env IngestConfig, &'env IngestConfig),
    registry: &'env Arc<InputRegistry>,
    (pool, errors, bytes): Found<'scope>,
    tx: ChunkSender,
    cancel: &'env AtomicBool,
) {
    use notify::Watcher;
    let Some(follow) = config.follow else {
        return;
    };
    let mut known: std::collections::HashSet<PathBuf> = inputs
        .iter()
        .filter_map(|s| match s {
            InputSpec::File(p) => Some(p.clone()),
            InputSpec::Stdin => None,
        })
        .collect();
    let mut growing_gz: HashMap<PathBuf, u64> = HashMap::new();
    let (wake_tx, wake) = sync_channel::<()>(1);
    let watcher = notify::recommended_watcher(move |_: notify::Result<notify::Event>| {
        let _ = wake_tx.try_send(());
    })
    .ok()
    .filter(|_| !config.force_polling)
    .and_then(|mut w| {
        let all = config
            .watch_dirs
            .iter()
            .all(|d| w.watch(d, notify::RecursiveMode::Recursive).is_ok());
        all.then_some(w)
    });
    while !cancel.load(Ordering::Relaxed) {
        for dir in &config.watch_dirs {
            for path in source::list_dir(dir, &config.select) {
                if known.contains(&path) {
                    continue;
                }
                // A followed file renamed away by rotation (current.log -> current.log.1) is
                // found under its new name: it has been read already.
                if source::follow::file_identity(&path).is_some_and(|id| registry.was_followed(id))
                {
                    known.insert(path);
                    continue;
                }
                if path.extension().is_some_and(|e| e == "gz") {
                    let size = std::fs::metadata(&path).map_or(0, |m| m.len());
                    match growing_gz.insert(path.clone(), size) {
                        Some(before) if before == size && size > 0 => {}
                        _ => continue,
                    }
                }
                known.insert(path.clone());
                let index = registry.add(path.display().to_string());
                if let Some(b) = config.board.as_deref() {
                    b.set(index, SourceState::Reading);
                }
                let tx = tx.clone();
                scope.spawn(move || {
                    let spec = InputSpec::File(path);
                    let mut seq = 0;
                    let result =
                        read_input((index, &spec, None), joined, pool, &mut seq, &tx, cancel);
                    let board = joined.board.as_deref();
                    match result {
                        Ok(n) => {
                            bytes.fetch_add(n, Ordering::Relaxed);
                            if let Some(b) = board {
                                b.set(index, SourceState::Done);
                            }
                        }
                        Err((n, e)) => {
                            bytes.fetch_add(n, Ordering::Relaxed);
                            if let Some(b) = board {
                                b.error(index, e.to_string());
                            }
                            if let Ok(mut all) = errors.lock() {
                                all.push((index, e));
                            }
                        }
                    }
                });
            }
        }
        match &watcher {
            Some(_) => {
                let _ = wake.recv_timeout(follow.timing.poll * 4);
            }
            None => std::thread::sleep(follow.timing.poll),
        }
    }
}

/// Sends chunks down `tx`. A send fails only when every worker is gone; then there is
/// nothing left to do, and `cancel` tells the readers so.
fn sender<'a>(tx: &'a ChunkSender, cancel: &'a AtomicBool) -> impl FnMut(Chunk) + 'a {
    move |chunk| {
        if tx.send(chunk).is_err() {
            cancel.store(true, Ordering::Relaxed);
        }
    }
}

/// Opens and frames one input, sending its chunks down `tx`.
fn read_input(
    (index, spec, woken): (usize, &InputSpec, Option<Receiver<()>>),
    config: &IngestConfig,
    pool: &BufferPool,
    seq: &mut u64,
    tx: &ChunkSender,
    cancel: &AtomicBool,
) -> Result<u64, (u64, SourceError)> {
    if let Some(follow) = config.follow {
        return follow_input((index, spec, woken), config, follow, pool, seq, tx, cancel);
    }
    let mut opened = source::open_counted(spec, config.progress.as_ref()).map_err(|e| (0, e))?;
    let framer = Framer::new(
        index as u32,
        Arc::clone(&config.schema),
        config.chunk_bytes,
        pool,
        seq,
        sender(tx, cancel),
    )
    .with_cancel(cancel);
    framer.run(&mut opened.reader).map_err(|(bytes, source)| {
        let name = spec.display_name();
        let err = if opened.gzip {
            SourceError::Gzip {
                name,
                bytes,
                source,
            }
        } else {
            SourceError::Read {
                name,
                bytes,
                source,
            }
        };
        (bytes, err)
    })
}

/// Follows one input (a file by name, or stdin as a stream) until `cancel` is set or stdin
/// ends. A gzip file cannot grow line by line: it is read once.
fn follow_input(
    (index, spec, woken): (usize, &InputSpec, Option<Receiver<()>>),
    config: &IngestConfig,
    follow: FollowConfig,
    pool: &BufferPool,
    seq: &mut u64,
    tx: &ChunkSender,
    cancel: &AtomicBool,
) -> Result<u64, (u64, SourceError)> {
    let framer = Framer::new(
        index as u32,
        Arc::clone(&config.schema),
        config.chunk_bytes,
        pool,
        seq,
        sender(tx, cancel),
    )
    .with_cancel(cancel)
    .live();
    let name = spec.display_name();
    let read_err = |(bytes, source)| {
        (
            bytes,
            SourceError::Read {
                name: name.clone(),
                bytes,
                source,
            },
        )
    };
    match spec {
        InputSpec::Stdin => {
            if let Some(b) = config.board.as_deref() {
                b.set(index, SourceState::Following);
            }
            let mut stream = source::StdinStream::new(follow.timing.poll, cancel);
            framer.run(&mut stream).map_err(read_err)
        }
        InputSpec::File(path) => {
            let gzip = std::fs::File::open(path)
                .and_then(|mut f| {
                    let mut magic = [0u8; 2];
                    let n = std::io::Read::read(&mut f, &mut magic)?;
                    Ok(n == 2 && magic == [0x1f, 0x8b])
                })
                .unwrap_or(false);
            if gzip {
                let mut opened = source::open(spec).map_err(|e| (0, e))?;
                return framer.run(&mut opened.reader).map_err(read_err);
            }
            let follower = Follower::new(path, follow.start);
            let mut reader = FollowReader::new(follower, follow.timing, cancel);
            let mechanism = match woken {
                Some(rx) => {
                    reader = reader.woken_by(rx);
                    Mechanism::Notify
                }
                None => Mechanism::Polling,
            };
            if let Some(b) = &config.board {
                b.set_mechanism(index, mechanism);
                reader = reader.reporting_to(Arc::clone(b), index);
            }
            if let Some(r) = &config.registry {
                reader = reader.noting_files_in(Arc::clone(r));
            }
            framer.run(&mut reader).map_err(read_err)
        }
    }
}

/// Walks the lines of a chunk, calling `on_line` with each line's number and bytes. Returns
/// how many lines there were. The last line of an input may lack its `\n`.
pub fn for_each_line(data: &[u8], first_line: u64, mut on_line: impl FnMut(u64, &[u8])) -> u64 {
    let mut start = 0;
    let mut n = first_line;
    for end in memchr::memchr_iter(b'\n', data) {
        on_line(n, &data[start..end]);
        n += 1;
        start = end + 1;
    }
    if start < data.len() {
        on_line(n, &data[start..]);
        n += 1;
    }
    n - first_line
}

/// Parses chunks and counts them into a worker-local [`Aggregate`], keeping only the
/// records that pass the filter, if there is one.
#[derive(Debug, Default)]
pub struct AggregateHandler {
    agg: Aggregate,
    filter: Option<Arc<Filter>>,
    store: Option<StoreWriter>,
}

impl AggregateHandler {
    /// A handler that counts the records passing `filter` (all when `None`).
    pub fn new(filter: Option<Arc<Filter>>) -> Self {
        AggregateHandler {
            agg: Aggregate::new(),
            filter: filter.filter(|f| !f.is_all()),
            store: None,
        }
    }

    /// Also retains every record (filtered or not) in `store`.
    pub fn retaining(mut self, store: StoreWriter) -> Self {
        self.store = Some(store);
        self
    }

    /// Takes the store writer out (to hand it to a fresh handler).
    pub fn take_store(&mut self) -> Option<StoreWriter> {
        self.store.take()
    }

    /// The aggregate being filled (to configure it before use).
    pub fn aggregate_mut(&mut self) -> &mut Aggregate {
        &mut self.agg
    }

    /// The filter records must pass, if any.
    pub fn filter(&self) -> Option<Arc<Filter>> {
        self.filter.clone()
    }

    /// Whether any line was counted since the handler was made.
    pub fn has_counted(&self) -> bool {
        self.agg.counts.lines > 0
    }
}

/// Counts a record that passed the filter by its log-status.
fn count_status(counts: &mut LineCounts, status: Option<LogStatus>) {
    counts.matched += 1;
    match status {
        Some(LogStatus::Ok) => counts.ok += 1,
        Some(LogStatus::NoData) => counts.nodata += 1,
        Some(LogStatus::SkipData) => counts.skipdata += 1,
        None => {}
    }
}

impl ChunkHandler for AggregateHandler {
    type Output = Aggregate;

    fn handle(&mut self, chunk: &Chunk, parser: &mut LineParser) {
        let mut counts = LineCounts {
            headers: chunk.headers_before,
            lines: chunk.headers_before,
            ..LineCounts::default()
        };
        let schema = &*chunk.schema;
        let agg = &mut self.agg;
        agg.fields_seen.add(crate::schema::FieldSet::of(schema));
        // Default-format chunks try the fast path first; it declines anything unusual.
        let v2 = schema.is_default_v2();
        let filter = self.filter.as_deref();
        let mut store = self.store.as_mut();
        let input = chunk.input;
        match &chunk.body {
            ChunkBody::Lines(data) => {
                counts.bytes += data.len() as u64;
                let position = |at: usize| Position {
                    input,
                    offset: chunk.first_offset + at as u64,
                };
                let mut at = 0;
                let mut line_no = chunk.first_line;
                while at < data.len() {
                    let rest = &data[at..];
                    counts.lines += 1;
                    // The fast path finds the line's end as it decodes it.
                    if v2 && let Some((flow, used)) = flow_v2_line(rest) {
                        if let Some(w) = store.as_mut() {
                            w.push(&flow, None, position(at));
                        }
                        counts.records += 1;
                        if filter.is_none_or(|f| f.matches(&flow)) {
                            count_status(&mut counts, flow.status);
                            agg.add_flow(&flow);
                        }
                        at += used;
                        line_no += 1;
                        continue;
                    }
                    let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
                    let line = &rest[..end];
                    let pos = position(at);
                    let mut classify =
                        |text: &[u8], counts: &mut LineCounts| match parser.parse(schema, text) {
                            Line::Blank => counts.blank += 1,
                            Line::Record(rec) => {
                                counts.records += 1;
                                if let Some(w) = store.as_mut() {
                                    w.push(&Flow::from_record(&rec), Some(&rec), pos);
                                }
                                if filter.is_none_or(|f| f.matches(&rec)) {
                                    count_status(counts, rec.log_status());
                                    agg.add_record(&rec);
                                }
                            }
                            Line::Malformed(m) => {
                                counts.malformed += 1;
                                agg.add_malformed(chunk.input, line_no, &m, schema, text);
                            }
                        };
                    match Payload::of(line) {
                        None => classify(line, &mut counts),
                        // CloudWatch checking the destination: metadata, like a header.
                        Some(p) if p.is_control() => counts.headers += 1,
                        Some(p) if p.log_events.is_empty() => counts.blank += 1,
                        // Each log event counts as a line of its own.
                        Some(p) => {
                            counts.lines += p.log_events.len() as u64 - 1;
                            for event in &p.log_events {
                                classify(event.message.as_bytes(), &mut counts);
                            }
                        }
                    }
                    at += end + 1;
                    line_no += 1;
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
                agg.add_malformed(chunk.input, chunk.first_line, &m, schema, prefix);
            }
        }
        agg.add_counts(chunk.input, &counts);
    }

    fn finish(mut self) -> Aggregate {
        if let Some(w) = self.store.as_mut() {
            w.flush();
        }
        self.agg.settle();
        self.agg
    }
}

/// Reads `inputs` on all cores, keeping the records that pass `filter`, and returns the
/// merged aggregate with any input errors.
pub fn aggregate_inputs(
    inputs: &[InputSpec],
    config: &IngestConfig,
    filter: Option<Arc<Filter>>,
) -> (Aggregate, Vec<(usize, SourceError)>) {
    aggregate_and_retain(inputs, config, filter, None)
}

/// Like [`aggregate_inputs`], and also retains every record in `store` when one is given.
pub fn aggregate_and_retain(
    inputs: &[InputSpec],
    config: &IngestConfig,
    filter: Option<Arc<Filter>>,
    store: Option<Arc<Store>>,
) -> (Aggregate, Vec<(usize, SourceError)>) {
    let cancel = AtomicBool::new(false);
    let outcome = ingest(inputs, config, &cancel, || {
        let h = AggregateHandler::new(filter.clone());
        match &store {
            Some(s) => h.retaining(StoreWriter::new(Arc::clone(s))),
            None => h,
        }
    });
    let mut partials = outcome.outputs.into_iter();
    let mut total = partials.next().unwrap_or_default();
    for p in partials {
        total.merge(p);
    }
    (total, outcome.errors)
}
