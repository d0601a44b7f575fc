//! Live aggregation: workers hand partials to one merger, which publishes immutable
//! [`Snapshot`]s that readers take without ever blocking ingest.
//!
//! ```text
//!  chunks ─▶ N workers (parse, partial Aggregate) ──partial by value──▶ merger (owns the total)
//!                                   bounded channel: a slow merger slows ingest,        │
//!                                   never drops a record                                ▼
//!                                                   ArcSwap<Snapshot> ◀── publish every `cadence`
//!                                                          │
//!                                                    readers: load() per frame, no lock
//! ```
//!
//! A snapshot holds what one frame needs, precomputed by the merger: counters, top lists for
//! every dimension and metric, the ACCEPT/REJECT series, the port heatmap, percentiles, ingest
//! rates and lag. Readers never see the merger's maps, so nothing is shared mutably.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;
use serde::Serialize;

use super::aggregate::{Aggregate, Dimension, Example, LineCounts, Metric, Stats, TopEntry};
use super::histograms::Percentiles;
use super::ingest::{AggregateHandler, ChunkHandler, IngestConfig, ingest};
use super::series::{Bucket, Cell, TimeSeries};
use crate::filter::Filter;
use crate::parse::LineParser;
use crate::source::status::{Mechanism, SourceBoard, SourceState};
use crate::source::{Chunk, InputSpec, SourceError};
use crate::store::{Store, StoreWriter};

/// Entries kept per top list in a snapshot (the dashboard scrolls within these).
pub const SNAPSHOT_TOP: usize = 100;

/// The metrics, in the order snapshot tables are stored.
pub const METRICS: [Metric; 3] = [Metric::Bytes, Metric::Packets, Metric::Flows];

/// Ingest speed between two publications.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rates {
    /// Lines per second.
    pub lines_per_sec: f64,
    /// Decoded bytes per second.
    pub bytes_per_sec: f64,
}

/// Percentiles of the four flow distributions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HistogramSummary {
    /// Bytes per flow.
    pub bytes: Option<Percentiles>,
    /// Packets per flow.
    pub packets: Option<Percentiles>,
    /// Flow duration, seconds.
    pub duration: Option<Percentiles>,
    /// Bytes per packet.
    pub bytes_per_packet: Option<Percentiles>,
}

/// Everything one frame needs, immutable once published.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Publication number, from 1; 0 is the empty snapshot before any data.
    pub seq: u64,
    /// Line accounting over all inputs.
    pub counts: LineCounts,
    /// Line accounting per input.
    pub per_input: Vec<LineCounts>,
    /// OK records (matching the filter).
    pub totals: Stats,
    /// OK records with ACCEPT.
    pub accept: Stats,
    /// OK records with REJECT.
    pub reject: Stats,
    /// Least `start` seen.
    pub first_start: Option<u64>,
    /// Greatest `end` seen: "now" in record time.
    pub last_end: Option<u64>,
    /// Top lists, indexed by `[dimension][metric]` in [`Dimension::ALL`] / [`METRICS`] order.
    top: Vec<Vec<TopEntry>>,
    /// Distinct keys per dimension, [`Dimension::ALL`] order.
    pub distinct: [usize; 6],
    /// ACCEPT/REJECT per bucket, oldest first.
    pub series: Vec<(u64, Bucket)>,
    /// Width of the series buckets, seconds.
    pub series_width: u64,
    /// Port × bucket heatmap cells `(bucket start, port row, cell)`.
    pub heat: Vec<(u64, u16, Cell)>,
    /// Flow size and duration percentiles.
    pub histograms: HistogramSummary,
    /// Ingest speed since the previous publication.
    pub rates: Rates,
    /// Wall clock minus the newest record `end`, seconds (negative clocks read as 0).
    pub lag_secs: Option<u64>,
    /// The first malformed lines, in input order.
    pub malformed_examples: Vec<Example>,
    /// Whether ingest has finished (every input read to its end).
    pub complete: bool,
    /// The record store behind drill-down, when records are retained.
    pub retention: Option<Retention>,
    /// Every input: what it is doing and what it gave (when the run tracks sources).
    pub sources: Vec<SourceStatus>,
    /// Every known field of every format met so far (see [`Aggregate::fields_seen`]).
    pub fields_seen: crate::schema::FieldSet,
    /// The share of the inputs' bytes read (0.0 to 1.0), when reading is measured.
    pub read_share: Option<f64>,
}

/// One input as the status bar shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceStatus {
    /// The input as named on the command line.
    pub name: String,
    /// What it is doing.
    pub state: SourceState,
    /// How new data is noticed.
    pub mechanism: Mechanism,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// Decoded bytes read.
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Lines that were records.
    pub records: u64,
    /// Lines that were malformed.
    pub malformed: u64,
}

/// The status of every input on `board`, with the counts the aggregate holds for it.
pub fn source_statuses(
    board: &SourceBoard,
    names: &[String],
    agg: &Aggregate,
) -> Vec<SourceStatus> {
    (0..names.len())
        .map(|i| {
            let (state, mechanism, error) = board.get(i);
            let c = agg.per_input.get(i).copied().unwrap_or_default();
            SourceStatus {
                name: names.get(i).cloned().unwrap_or_default(),
                state,
                mechanism,
                error,
                bytes: c.bytes,
                lines: c.lines,
                records: c.records,
                malformed: c.malformed,
            }
        })
        .collect()
}

/// What the record store holds, as of a snapshot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    /// Records retained.
    pub records: u64,
    /// Bytes they take.
    pub memory: usize,
    /// Records evicted to stay within the budget.
    pub evicted: u64,
    /// The `end` range in which every record is still retained: what drill-down fully covers.
    pub coverage: Option<(u64, u64)>,
}

impl Retention {
    /// Reads the store's current state.
    pub fn of(store: &Store) -> Retention {
        Retention::of_state(&store.state())
    }

    /// What one published state of the store holds.
    pub fn of_state(s: &crate::store::StoreState) -> Retention {
        Retention {
            records: s.records,
            memory: s.memory,
            evicted: s.evicted_records,
            coverage: s.coverage(),
        }
    }
}

impl Snapshot {
    /// The top list of `dim` by `metric` (at most [`SNAPSHOT_TOP`] entries).
    pub fn top(&self, dim: Dimension, metric: Metric) -> &[TopEntry] {
        let d = Dimension::ALL.iter().position(|x| *x == dim).unwrap_or(0);
        let m = METRICS.iter().position(|x| *x == metric).unwrap_or(0);
        self.top
            .get(d * METRICS.len() + m)
            .map_or(&[], Vec::as_slice)
    }

    /// Builds a snapshot of `agg` (the merger's running total).
    pub fn of(agg: &Aggregate, seq: u64, rates: Rates, complete: bool) -> Snapshot {
        let mut top = Vec::with_capacity(Dimension::ALL.len() * METRICS.len());
        let mut distinct = [0; 6];
        for (i, dim) in Dimension::ALL.into_iter().enumerate() {
            let (n, lists) = agg.tops(dim, &METRICS, SNAPSHOT_TOP);
            distinct[i] = n;
            top.extend(lists);
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let h = &agg.histograms;
        Snapshot {
            seq,
            counts: agg.counts,
            per_input: agg.per_input.clone(),
            totals: agg.totals,
            accept: agg.accept,
            reject: agg.reject,
            first_start: agg.first_start,
            last_end: agg.last_end,
            top,
            distinct,
            series: agg.series.buckets(),
            series_width: agg.series.width(),
            heat: agg.series.heat_cells(),
            histograms: HistogramSummary {
                bytes: h.bytes(),
                packets: h.packets(),
                duration: h.duration(),
                bytes_per_packet: h.bytes_per_packet(),
            },
            rates,
            lag_secs: agg.last_end.map(|e| now.saturating_sub(e)),
            malformed_examples: agg.examples.clone(),
            complete,
            retention: None,
            sources: Vec::new(),
            fields_seen: agg.fields_seen,
            read_share: None,
        }
    }
}

/// Where the latest snapshot lives. Cheap to clone; readers call [`load`](Self::load).
#[derive(Debug, Clone)]
pub struct SnapshotCell {
    current: Arc<ArcSwap<Snapshot>>,
}

impl Default for SnapshotCell {
    fn default() -> Self {
        SnapshotCell {
            current: Arc::new(ArcSwap::from_pointee(Snapshot::default())),
        }
    }
}

impl SnapshotCell {
    /// The latest snapshot. Never blocks; holding it does not block the publisher.
    pub fn load(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Replaces the latest snapshot.
    pub fn publish(&self, snapshot: Snapshot) {
        self.current.store(Arc::new(snapshot));
    }
}

/// A worker's handler for live ingest: counts into a partial and hands it to the merger
/// (by value) twice per publication interval, so the merger's work is bounded by time, not
/// records, and no partial is handed over that no snapshot would show sooner.
pub struct LiveHandler {
    inner: AggregateHandler,
    out: SyncSender<Aggregate>,
    /// Hand-over interval in microseconds, set by the merger as its interval stretches.
    every: Arc<AtomicU64>,
    last: Instant,
    heatmap: bool,
}

impl LiveHandler {
    fn fresh(filter: Option<Arc<Filter>>, heatmap: bool) -> AggregateHandler {
        let mut h = AggregateHandler::new(filter);
        if heatmap {
            h.aggregate_mut().series = TimeSeries::with_heatmap();
        }
        h
    }

    fn hand_over(&mut self) {
        let filter = self.inner.filter();
        let store = self.inner.take_store();
        let mut fresh = Self::fresh(filter, self.heatmap);
        if let Some(mut w) = store {
            // Seal what this worker holds at least every second, so queries keep up.
            w.flush_if_older(Duration::from_secs(1));
            fresh = fresh.retaining(w);
        }
        let full = std::mem::replace(&mut self.inner, fresh);
        let mut partial = full.finish();
        partial.settle();
        // The merger is gone only when the run is over; nothing to hand over to then.
        let _ = self.out.send(partial);
        self.last = Instant::now();
    }
}

impl ChunkHandler for LiveHandler {
    type Output = ();

    fn handle(&mut self, chunk: &Chunk, parser: &mut LineParser) {
        self.inner.handle(chunk, parser);
        if self.last.elapsed() >= Duration::from_micros(self.every.load(Ordering::Relaxed)) {
            self.hand_over();
        }
    }

    fn idle(&mut self) {
        // Nothing new is coming for now: pass on what this worker holds, so a quiet stream's
        // last records reach the snapshot without waiting for more.
        if self.inner.has_counted() {
            self.hand_over();
        }
    }

    fn finish(mut self) {
        if let Some(mut w) = self.inner.take_store() {
            w.flush();
        }
        self.hand_over();
    }
}

/// How a live run publishes.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Least time between two publications.
    pub cadence: Duration,
    /// Keep only records passing this filter.
    pub filter: Option<Arc<Filter>>,
    /// Keep the port × time heatmap.
    pub heatmap: bool,
    /// Retain every record here for queries and drill-down.
    pub store: Option<Arc<Store>>,
    /// Track the inputs' states on this board (named by the list) in every snapshot.
    pub sources: Option<(Arc<SourceBoard>, Arc<[String]>)>,
    /// Called after every publication (the dashboard wakes up on it instead of polling).
    pub on_publish: Option<PublishHook>,
    /// How far reading has come, shown in every snapshot as the share of the inputs read.
    pub progress: Option<Arc<crate::source::progress::Progress>>,
}

/// A callback run after each snapshot is published; must be quick and never block.
#[derive(Clone)]
pub struct PublishHook(pub Arc<dyn Fn() + Send + Sync>);

impl std::fmt::Debug for PublishHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PublishHook")
    }
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            cadence: Duration::from_millis(100),
            filter: None,
            heatmap: true,
            store: None,
            sources: None,
            on_publish: None,
            progress: None,
        }
    }
}

/// What a finished live run leaves.
#[derive(Debug)]
pub struct LiveOutcome {
    /// The merged total (what the last snapshot was made of).
    pub total: Aggregate,
    /// Inputs that could not be read (to the end).
    pub errors: Vec<(usize, SourceError)>,
    /// Time each publication's swap took (what a writer could stall on).
    pub publish_times: Vec<Duration>,
    /// Time each snapshot took to build from the total (merger work, off the ingest path).
    pub build_times: Vec<Duration>,
}

/// Reads `inputs` on all cores, publishing snapshots to `cell` at most every
/// `options.cadence` and once more, complete, at the end.
pub fn run_live(
    inputs: &[InputSpec],
    config: &IngestConfig,
    options: &LiveOptions,
    cell: &SnapshotCell,
    cancel: &AtomicBool,
) -> LiveOutcome {
    run_live_reporting(inputs, config, options, cell, cancel, None)
}

/// A callback the merger runs on its running total every so often (headless `--follow`).
pub type Reporter<'r> = (Duration, &'r mut (dyn FnMut(&Aggregate) + Send));

/// Like [`run_live`], and also hands the running total to `reporter` every interval, whether
/// or not new records arrived.
pub fn run_live_reporting(
    inputs: &[InputSpec],
    config: &IngestConfig,
    options: &LiveOptions,
    cell: &SnapshotCell,
    cancel: &AtomicBool,
    reporter: Option<Reporter<'_>>,
) -> LiveOutcome {
    let (tx, rx) = sync_channel::<Aggregate>(config.workers.max(1) * 2);
    let every = Arc::new(AtomicU64::new(micros(options.cadence / 2)));
    std::thread::scope(|scope| {
        let merger = scope.spawn(|| merge_and_publish(rx, options, cell, &every, reporter));
        let outcome = ingest(inputs, config, cancel, || LiveHandler {
            inner: {
                let h = LiveHandler::fresh(options.filter.clone(), options.heatmap);
                match &options.store {
                    Some(store) => h.retaining(StoreWriter::new(Arc::clone(store))),
                    None => h,
                }
            },
            out: tx.clone(),
            every: Arc::clone(&every),
            last: Instant::now(),
            heatmap: options.heatmap,
        });
        drop(tx);
        let (total, publish_times, build_times) = merger
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        LiveOutcome {
            total,
            errors: outcome.errors,
            publish_times,
            build_times,
        }
    })
}

/// How often a quiet merger looks at the sources' states for a change to publish.
const BOARD_CHECK: Duration = Duration::from_millis(250);

/// The merger: folds partials into the total and publishes at the cadence.
fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

fn merge_and_publish(
    partials: Receiver<Aggregate>,
    options: &LiveOptions,
    cell: &SnapshotCell,
    hand_over_every: &AtomicU64,
    mut reporter: Option<Reporter<'_>>,
) -> (Aggregate, Vec<Duration>, Vec<Duration>) {
    let mut total = Aggregate::new();
    if options.heatmap {
        total.series = TimeSeries::with_heatmap();
    }
    let mut seq = 0;
    let mut times = Vec::new();
    let mut builds = Vec::new();
    let mut last = Instant::now();
    let mut last_counts = LineCounts::default();
    let mut publish = |total: &Aggregate, complete: bool, last: &mut Instant| {
        let started = Instant::now();
        let secs = started.duration_since(*last).as_secs_f64().max(1e-6);
        let rates = Rates {
            lines_per_sec: (total.counts.lines - last_counts.lines) as f64 / secs,
            bytes_per_sec: (total.counts.bytes - last_counts.bytes) as f64 / secs,
        };
        seq += 1;
        let mut snapshot = Snapshot::of(total, seq, rates, complete);
        snapshot.retention = options.store.as_deref().map(Retention::of);
        if let Some((board, names)) = &options.sources {
            snapshot.sources = source_statuses(board, names, total);
        }
        snapshot.read_share = options.progress.as_ref().map(|p| p.fraction());
        let built = Instant::now();
        builds.push(built - started);
        cell.publish(snapshot);
        times.push(built.elapsed());
        if let Some(hook) = &options.on_publish {
            (hook.0)();
        }
        last_counts = total.counts;
        *last = started;
        built - started
    };
    // The interval stretches to five times the last build, so publishing never takes more
    // than a fifth of the merger's time however big the total grows ("every cadence or per
    // build, whichever is later").
    let mut interval = options.cadence;
    let mut last_report = Instant::now();
    // Whether the total changed since the last publication: a quiet moment after a change
    // still publishes it within the interval.
    let mut dirty = false;
    // The board's change count as last published: a source that fails or starts waiting,
    // with no record arriving, is still published (within BOARD_CHECK). Nothing is published
    // yet, so any board (even one changed before the merger started) counts as changed.
    let board_changes = || options.sources.as_ref().map(|(b, _)| b.changes());
    let mut published_board: Option<u64> = None;
    loop {
        let report_wait = match &reporter {
            Some((every, _)) => every.saturating_sub(last_report.elapsed()),
            None => Duration::from_secs(3600),
        };
        let publish_wait = match (dirty, options.sources.is_some()) {
            (true, _) => interval.saturating_sub(last.elapsed()),
            (false, true) => BOARD_CHECK,
            (false, false) => Duration::from_secs(3600),
        };
        match partials.recv_timeout(report_wait.min(publish_wait).max(Duration::from_millis(1))) {
            Ok(partial) => {
                total.merge(partial);
                dirty = true;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if !dirty && options.sources.is_some() && board_changes() != published_board {
            dirty = true;
        }
        if dirty && last.elapsed() >= interval {
            dirty = false;
            published_board = board_changes();
            let build = publish(&total, false, &mut last);
            interval = options.cadence.max(build * 5);
            hand_over_every.store(micros(interval / 2), Ordering::Relaxed);
        }
        if let Some((every, report)) = reporter.as_mut()
            && last_report.elapsed() >= *every
        {
            report(&total);
            last_report = Instant::now();
        }
    }
    publish(&total, true, &mut last);
    (total, times, builds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_cell_holds_an_empty_snapshot() {
        let cell = SnapshotCell::default();
        let s = cell.load();
        assert_eq!(s.seq, 0);
        assert!(s.top(Dimension::Src, Metric::Bytes).is_empty());
    }
}
