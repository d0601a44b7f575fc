//! Headless output: the `report` summary as text or JSON, and `records` as NDJSON.
//!
//! Owns: the JSON contract (key names are public API: scripts depend on them) and the text
//! layout. Reads an [`Aggregate`](crate::core::Aggregate); computes nothing of its own.

pub mod drill;
pub mod json;
pub mod progress;
pub mod records;
pub mod text;
pub mod verdict;

/// Options shared by the text and JSON summaries.
#[derive(Debug, Clone, Copy)]
pub struct SummaryOptions<'f> {
    /// Entries per top list.
    pub top: usize,
    /// What top lists are sorted by.
    pub by: crate::core::Metric,
    /// The filter the aggregate was made with, if any (reported with its match count).
    pub filter: Option<&'f crate::filter::Filter>,
}
