//! What one frame shows: immutable [`Snapshot`]s of the running total, published through an
//! [`SnapshotCell`] (`ArcSwap`) that readers load without ever blocking the writer.
//!
//! A snapshot holds what one frame needs, precomputed by the merger: counters, top lists for
//! every dimension and metric, the ACCEPT/REJECT series, the port heatmap, percentiles, ingest
//! rates and lag, each input's state and what the record store retains. Readers never see the
//! merger's maps, so nothing is shared mutably.
//!
//! Never: reads inputs, spawns threads or counts records; it only describes a total that the
//! pipeline (or a store query) made.

pub mod groups;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;
use serde::Serialize;

use crate::core::histograms::Percentiles;
use crate::core::series::{Bucket, Cell};
use crate::core::{Aggregate, Dimension, Example, LineCounts, Metric, Stats, TopEntry};
use crate::source::status::{Mechanism, SourceBoard, SourceState};
use crate::store::query::QueryResult;
use crate::store::{Store, StoreState};

/// Entries kept per top list in a snapshot (the dashboard scrolls within these).
pub const SNAPSHOT_TOP: usize = 100;

/// Port rows of the heatmap a snapshot carries cells for (the busiest; the pane ranks these).
pub const HEAT_ROWS: usize = 64;

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
    /// Port × bucket heatmap cells `(bucket start, port row, cell)` of the [`HEAT_ROWS`]
    /// busiest port rows, sorted.
    pub heat: Vec<(u64, u16, Cell)>,
    /// Every other port row's cells, summed.
    pub heat_rest: Cell,
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
    /// The v11 tag names of the interfaces and addresses in the top lists.
    pub tags: crate::core::TagNames,
    /// OK records by `encryption-status` (see [`Aggregate::encryption`]).
    pub encryption: [u64; 4],
    /// Top lists by subnet, VPC, security group, zone, service and scope, when a store
    /// query was asked for them with an inventory (empty otherwise).
    pub groups: Vec<groups::GroupTops>,
    /// Lists ranked by estimated cost, when a store query was asked for them.
    pub costs: Option<groups::CostTops>,
    /// The alerts so far, in the order they opened, when the run watches for them (the
    /// merger evaluates them at most about once a second, so they may trail the counters).
    pub alerts: Option<Arc<[crate::alerts::AlertSummary]>>,
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
    pub fn of_state(s: &StoreState) -> Retention {
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

    /// The top list of derived grouping `dim` by `metric` and how many groups it has
    /// (empty until a query with the inventory answered).
    pub fn group_top(&self, dim: groups::GroupDim, metric: Metric) -> (&[TopEntry], usize) {
        let m = METRICS.iter().position(|x| *x == metric).unwrap_or(0);
        self.groups
            .iter()
            .find(|g| g.dim == dim)
            .map_or((&[][..], 0), |g| {
                (g.lists.get(m).map_or(&[][..], Vec::as_slice), g.distinct)
            })
    }

    /// A store query's result in the shape the dashboard renders: a complete snapshot.
    pub fn of_query(result: &QueryResult) -> Snapshot {
        Snapshot::of(&result.aggregate, 0, Rates::default(), true)
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
        let tags = shown_tags(agg, &top);
        let (heat, heat_rest) = agg.series.heat_top(HEAT_ROWS);
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
            heat,
            heat_rest,
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
            tags,
            encryption: agg.encryption,
            groups: Vec::new(),
            costs: None,
            alerts: None,
        }
    }
}

/// The tag names of the interfaces and addresses in `top` (lists in [`Dimension::ALL`] ×
/// [`METRICS`] order), so a frame carries the few names it can show.
fn shown_tags(agg: &Aggregate, top: &[Vec<TopEntry>]) -> crate::core::TagNames {
    if agg.tags.is_empty() {
        return crate::core::TagNames::default();
    }
    let lists = |dim: Dimension| {
        let d = Dimension::ALL.iter().position(|x| *x == dim).unwrap_or(0);
        top[d * METRICS.len()..(d + 1) * METRICS.len()]
            .iter()
            .flatten()
    };
    let interfaces = lists(Dimension::Interface).map(|e| e.key.as_str());
    let addresses = [Dimension::Src, Dimension::Dst, Dimension::Pair]
        .into_iter()
        .flat_map(lists)
        .flat_map(|e| e.key.split(" -> "))
        .filter_map(|k| k.parse().ok());
    agg.tags.only(interfaces, addresses)
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
