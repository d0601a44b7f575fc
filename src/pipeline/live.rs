//! The live pipeline: workers hand partials to one merger, which publishes immutable
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

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::time::{Duration, Instant};

use super::IngestConfig;
use super::aggregate::AggregateHandler;
use super::run::{ChunkHandler, ingest};
use crate::core::series::TimeSeries;
use crate::core::{Aggregate, LineCounts};
use crate::filter::Filter;
use crate::parse::LineParser;
use crate::snapshot::{Rates, Retention, Snapshot, SnapshotCell, source_statuses};
use crate::source::progress::Progress;
use crate::source::status::SourceBoard;
use crate::source::{Chunk, InputSpec, SourceError};
use crate::store::{Store, StoreWriter};
/// The longest a retained record waits in a worker's open segment before queries see it.
const SEAL_AFTER: Duration = Duration::from_secs(1);

/// A worker's handler for live ingest: counts into a partial and hands it to the merger
/// (by value) once per publication interval, so the merger's work is bounded by time, not
/// records, and no partial is handed over that no snapshot would show sooner.
pub struct LiveHandler {
    inner: AggregateHandler,
    out: SyncSender<Aggregate>,
    /// Hand-over interval in microseconds, set by the merger as its interval stretches.
    every: Arc<AtomicU64>,
    last: Instant,
    heatmap: bool,
    /// The alert rules workers count for, when alert evidence is counted.
    alerts: Option<Arc<[crate::core::signals::RuleCounter]>>,
}

impl LiveHandler {
    fn fresh(
        filter: Option<Arc<Filter>>,
        heatmap: bool,
        alerts: Option<&Arc<[crate::core::signals::RuleCounter]>>,
    ) -> AggregateHandler {
        let mut h = AggregateHandler::new(filter);
        if heatmap {
            h.aggregate_mut().series = TimeSeries::with_heatmap();
        }
        if let Some(rules) = alerts {
            h.aggregate_mut().count_signals(true);
            h.aggregate_mut().count_rules(Arc::clone(rules));
        }
        h
    }

    fn hand_over(&mut self) {
        let filter = self.inner.filter();
        let store = self.inner.take_store();
        let mut fresh = Self::fresh(filter, self.heatmap, self.alerts.as_ref());
        if let Some(mut w) = store {
            // Seal what this worker holds at least every second, so queries keep up.
            w.flush_if_older(SEAL_AFTER);
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
        // The hand-over seals a segment old enough; without one, seal it here once its
        // records have waited as long as a busy stream's would: a file that went quiet
        // otherwise kept its last segment open, unseen by every filter and drill-down, until
        // more lines came.
        if self.inner.has_counted() {
            self.hand_over();
        } else if let Some(w) = self.inner.store_mut() {
            w.flush_if_older(SEAL_AFTER);
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
    pub progress: Option<Arc<Progress>>,
    /// Evaluate the alert detections under this configuration for the snapshots (the
    /// ingest configuration must count their evidence: [`super::IngestConfig::alerts`]).
    pub alerts: Option<Arc<crate::alerts::Config>>,
    /// Build and publish snapshots. Off when nobody reads the cell (a headless run with a
    /// reporter): the merger then only merges, and the total is all there is.
    pub snapshots: bool,
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
            alerts: None,
            snapshots: true,
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
    // Workers hand over once per publication interval (twice per reporter interval, whose
    // reports must not miss a beat), or, with neither, only at the end (or when idle): a
    // merge of partials costs as much as counting them, and nobody would see it sooner.
    // Twice per publication interval cost a bulk load 2.6 % of its wall time, for snapshots
    // at most half an interval fresher.
    let mut first = Duration::MAX;
    if options.snapshots {
        first = options.cadence;
    }
    if let Some((report_every, _)) = &reporter {
        first = first.min(*report_every / 2);
    }
    let every = Arc::new(AtomicU64::new(micros(first)));
    let alerts = config.alerts.then(|| Arc::clone(&config.alert_rules));
    std::thread::scope(|scope| {
        let merger = scope.spawn(|| merge_and_publish(rx, options, cell, &every, reporter));
        let outcome = ingest(inputs, config, cancel, || LiveHandler {
            inner: {
                let h =
                    LiveHandler::fresh(options.filter.clone(), options.heatmap, alerts.as_ref());
                match &options.store {
                    Some(store) => h.retaining(StoreWriter::new(Arc::clone(store))),
                    None => h,
                }
            },
            out: tx.clone(),
            every: Arc::clone(&every),
            last: Instant::now(),
            heatmap: options.heatmap,
            alerts: alerts.clone(),
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

/// Least time between two evaluations of the alert detections for the snapshots.
const ALERTS_EVERY: Duration = Duration::from_secs(1);

/// When the merger last evaluated the alerts, what it found and how long that took: they
/// are evaluated again at most every [`ALERTS_EVERY`] or five times the last evaluation,
/// whichever is later, so that watching never takes more than a sixth of the merger's time.
#[derive(Default)]
struct AlertClock {
    last: Option<(Instant, Duration, Arc<[crate::alerts::AlertSummary]>)>,
}

impl AlertClock {
    fn evaluate(
        &mut self,
        total: &Aggregate,
        config: &crate::alerts::Config,
        complete: bool,
    ) -> (Arc<[crate::alerts::AlertSummary]>, bool) {
        if let Some((at, took, alerts)) = &self.last
            && !complete
            && at.elapsed() < ALERTS_EVERY.max(*took * 5)
        {
            return (Arc::clone(alerts), false);
        }
        let started = Instant::now();
        let alerts: Arc<[_]> =
            crate::alerts::summarise(&crate::alerts::evaluate(total, config)).into();
        self.last = Some((started, started.elapsed(), Arc::clone(&alerts)));
        (alerts, true)
    }
}

/// How often a quiet merger looks at the sources' states for a change to publish.
const BOARD_CHECK: Duration = Duration::from_millis(250);

/// A duration in whole microseconds (saturating).
fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// The merger: folds partials into the total and publishes at the cadence.
fn merge_and_publish(
    partials: Receiver<Aggregate>,
    options: &LiveOptions,
    cell: &SnapshotCell,
    hand_over_every: &AtomicU64,
    mut reporter: Option<Reporter<'_>>,
) -> (Aggregate, Vec<Duration>, Vec<Duration>) {
    let mut total = Aggregate::new();
    // Snapshots and reports read the address top lists over and over.
    if options.snapshots || reporter.is_some() {
        total.keep_per_address();
    }
    if options.heatmap {
        total.series = TimeSeries::with_heatmap();
    }
    let mut seq = 0;
    let mut times = Vec::new();
    let mut builds = Vec::new();
    let mut last = Instant::now();
    let mut last_counts = LineCounts::default();
    let mut alerts = AlertClock::default();
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
        let mut alerts_trail = false;
        if let Some(config) = &options.alerts {
            let (found, fresh) = alerts.evaluate(total, config, complete);
            snapshot.alerts = Some(found);
            alerts_trail = !fresh;
        }
        let built = Instant::now();
        builds.push(built - started);
        cell.publish(snapshot);
        times.push(built.elapsed());
        if let Some(hook) = &options.on_publish {
            (hook.0)();
        }
        last_counts = total.counts;
        *last = started;
        (built - started, alerts_trail)
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
        let publish_wait = match (dirty && options.snapshots, options.sources.is_some()) {
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
        if dirty && options.snapshots && last.elapsed() >= interval {
            published_board = board_changes();
            let (build, alerts_trail) = publish(&total, false, &mut last);
            // Alerts older than the counters are published again once they are due, even
            // when nothing new arrives.
            dirty = alerts_trail;
            interval = options.cadence.max(build * 5);
            let report_every = reporter.as_ref().map_or(Duration::MAX, |r| r.0);
            hand_over_every.store(micros(interval.min(report_every / 2)), Ordering::Relaxed);
        }
        if let Some((every, report)) = reporter.as_mut()
            && last_report.elapsed() >= *every
        {
            report(&total);
            last_report = Instant::now();
        }
    }
    if options.snapshots {
        publish(&total, true, &mut last);
    }
    (total, times, builds)
}
