//! The aggregation core: partial aggregates per worker, merged by one owner.
//!
//! Owns: counting lines and records ([`aggregate`]) and the parallel batch pipeline that feeds
//! it ([`ingest`]). Live snapshots, time buckets and histograms arrive here with the dashboard.
//!
//! Never: prints, or reads terminal state; outputs are built from what this module returns.

pub mod aggregate;
pub mod histograms;
pub mod ingest;
pub mod interfaces;
pub mod live;
pub mod lookahead;
pub mod pairs;
pub mod ports;
pub mod series;

pub use aggregate::{Aggregate, Dimension, Example, LineCounts, Metric, Stats, TopEntry};
pub use ingest::{
    AggregateHandler, ChunkHandler, IngestConfig, aggregate_and_retain, aggregate_inputs, ingest,
};
