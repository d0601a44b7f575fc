//! The aggregation core: what is counted, and how partial counts merge.
//!
//! Owns: the per-worker partial [`Aggregate`] (line accounting, totals, top tables) and its
//! parts — the pair table with its prefetching [`lookahead`], per-port and per-interface
//! tables, the ACCEPT/REJECT and heatmap [`series`], flow [`histograms`] — with the shared
//! hash map and counters they are built on ([`table`]). Merging partials is exact: the same
//! records in any split give the same total.
//!
//! Never: opens, reads or watches an input, spawns a thread, or prints; it is fed records and
//! asked for tables.

pub mod aggregate;
pub mod histograms;
pub mod interfaces;
pub mod lookahead;
pub mod pairs;
pub mod ports;
pub mod series;
pub mod signals;
pub mod table;
pub mod tags;

pub use aggregate::{Aggregate, Dimension, Example, LineCounts, TopEntry};
pub use signals::Signals;
pub use table::{FastMap, Metric, Stats};
pub use tags::TagNames;
