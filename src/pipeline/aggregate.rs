//! Counting: workers classify their chunks into a worker-local [`Aggregate`] (and, when
//! asked, retain every record in the store); the partials are merged at the end.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::IngestConfig;
use super::classify::{LineSink, account, classify_chunk};
use super::run::{ChunkHandler, ingest};
use crate::core::Aggregate;
use crate::filter::Filter;
use crate::parse::{Flow, LineParser, Malformed, Record};
use crate::schema::Schema;
use crate::source::{Chunk, InputSpec, SourceError};
use crate::store::{Position, Store, StoreWriter};

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

    /// The store writer, when records are retained.
    pub fn store_mut(&mut self) -> Option<&mut StoreWriter> {
        self.store.as_mut()
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

/// The per-line side of [`AggregateHandler`]: retain, filter, count.
struct Counting<'h> {
    agg: &'h mut Aggregate,
    filter: Option<&'h Filter>,
    store: Option<&'h mut StoreWriter>,
    input: u32,
}

impl LineSink for Counting<'_> {
    const TAKES_FLOWS: bool = true;

    #[inline]
    fn flow(&mut self, flow: &Flow<'_>, at: Position) -> bool {
        if let Some(w) = self.store.as_mut() {
            w.push(flow, None, at);
        }
        let matched = self.filter.is_none_or(|f| f.matches(flow));
        if matched {
            self.agg.add_flow(flow);
        }
        matched
    }

    #[inline]
    fn record(&mut self, rec: &Record<'_>, _line_no: u64, at: Position) -> bool {
        if let Some(w) = self.store.as_mut() {
            w.push(&Flow::from_record(rec), Some(rec), at);
        }
        let matched = self.filter.is_none_or(|f| f.matches(rec));
        if matched {
            self.agg.add_record(rec);
        }
        matched
    }

    fn malformed(&mut self, line_no: u64, m: &Malformed, schema: &Schema, text: &[u8]) {
        self.agg.add_malformed(self.input, line_no, m, schema, text);
    }
}

impl ChunkHandler for AggregateHandler {
    type Output = Aggregate;

    fn handle(&mut self, chunk: &Chunk, parser: &mut LineParser) {
        let mut sink = Counting {
            agg: &mut self.agg,
            filter: self.filter.as_deref(),
            store: self.store.as_mut(),
            input: chunk.input,
        };
        let counts = classify_chunk(chunk, parser, &mut sink);
        account(&mut self.agg, chunk, &counts);
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
        let mut h = AggregateHandler::new(filter.clone());
        h.aggregate_mut().count_signals(config.alerts);
        h.aggregate_mut()
            .count_rules(std::sync::Arc::clone(&config.alert_rules));
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
