//! Every parsed record, retained in sealed columnar segments within a memory budget.
//!
//! Owns: the segment list (published through `ArcSwap`, so queries read a consistent set
//! while workers add to it), the memory budget and eviction of the oldest segments, and what
//! time range is still fully queryable. Totals of evicted records live on in the core's
//! aggregates (time buckets, top lists); only drill-down loses them.
//!
//! Never: aggregates for the live view (that is `core`), or parses lines.

pub mod column;
mod dict;
pub mod query;
pub mod segment;
mod side;

use std::sync::Arc;

use arc_swap::ArcSwap;

pub use segment::{Position, Row, Segment, SegmentBuilder};

use crate::parse::{Flow, Record};

/// Default memory budget (`--memory`).
pub const DEFAULT_MEMORY: usize = 1 << 30;

/// The retained segments at one moment.
#[derive(Debug, Default, Clone)]
pub struct StoreState {
    /// Sealed segments, in the order they were sealed.
    pub segments: Vec<Arc<Segment>>,
    /// Bytes they hold.
    pub memory: usize,
    /// Records retained.
    pub records: u64,
    /// Records evicted to stay within the budget.
    pub evicted_records: u64,
    /// Greatest `end` among evicted records: before it, drill-down may miss records.
    pub evicted_until: Option<u64>,
}

impl StoreState {
    /// The `end` range fully queryable: everything after the evicted records.
    pub fn coverage(&self) -> Option<(u64, u64)> {
        let (lo, hi) = self
            .segments
            .iter()
            .filter_map(|s| s.end_range())
            .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)))?;
        let lo = match self.evicted_until {
            Some(e) => lo.max(e.saturating_add(1)),
            None => lo,
        };
        (lo <= hi).then_some((lo, hi))
    }
}

/// The shared store: workers add sealed segments, queries read a consistent state.
#[derive(Debug)]
pub struct Store {
    state: ArcSwap<StoreState>,
    budget: usize,
}

impl Store {
    /// An empty store that keeps at most `budget` bytes of segments.
    pub fn new(budget: usize) -> Arc<Store> {
        Arc::new(Store {
            state: ArcSwap::from_pointee(StoreState::default()),
            budget,
        })
    }

    /// The current state (never blocks; holding it does not block writers).
    pub fn state(&self) -> Arc<StoreState> {
        self.state.load_full()
    }

    /// Adds a sealed segment, evicting the oldest segments while over budget (the newest
    /// segment always stays).
    pub fn add(&self, segment: Segment) {
        if segment.is_empty() {
            return;
        }
        let segment = Arc::new(segment);
        self.state.rcu(|current| {
            let mut next = StoreState::clone(current);
            next.memory += segment.memory();
            next.records += segment.len() as u64;
            next.segments.push(Arc::clone(&segment));
            while next.memory > self.budget && next.segments.len() > 1 {
                // Evict by record time, not arrival: the segment whose newest record is
                // oldest. Then every record ending after `evicted_until` is still here.
                let oldest = next
                    .segments
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, s)| s.end_range().map_or(0, |(_, hi)| hi))
                    .map_or(0, |(i, _)| i);
                let old = next.segments.remove(oldest);
                next.memory -= old.memory();
                next.records -= old.len() as u64;
                next.evicted_records += old.len() as u64;
                if let Some((_, hi)) = old.end_range() {
                    next.evicted_until = Some(next.evicted_until.map_or(hi, |e| e.max(hi)));
                }
            }
            next
        });
    }
}

/// A worker's side of the store: fills a segment and hands it over when full.
#[derive(Debug)]
pub struct StoreWriter {
    builder: SegmentBuilder,
    store: Arc<Store>,
    /// When the open segment's first record came.
    opened: std::time::Instant,
}

impl StoreWriter {
    /// A writer adding to `store`.
    pub fn new(store: Arc<Store>) -> StoreWriter {
        StoreWriter {
            builder: SegmentBuilder::default(),
            store,
            opened: std::time::Instant::now(),
        }
    }

    /// Retains one record.
    #[inline]
    pub fn push(&mut self, flow: &Flow<'_>, record: Option<&Record<'_>>, pos: Position) {
        if self.builder.is_empty() {
            self.opened = std::time::Instant::now();
        }
        self.builder.push(flow, record, pos);
        if self.builder.len() >= segment::SEGMENT_RECORDS {
            self.flush();
        }
    }

    /// Seals what has been added so far and hands it to the store.
    pub fn flush(&mut self) {
        if !self.builder.is_empty() {
            let full = std::mem::take(&mut self.builder);
            self.store.add(full.seal());
        }
    }

    /// Seals the open segment if its first record came `age` or longer ago, so a slow
    /// trickle of records still becomes queryable without making one tiny segment per record.
    pub fn flush_if_older(&mut self, age: std::time::Duration) {
        if !self.builder.is_empty() && self.opened.elapsed() >= age {
            self.flush();
        }
    }
}
