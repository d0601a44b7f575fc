//! Headless output: the `report` summary as text or JSON, and `records` as NDJSON.
//!
//! Owns: the JSON contract (key names are public API: scripts depend on them) and the text
//! layout, the drill-down of `report --drill` over the record store, the verdict on what a
//! run understood, and the progress line of long headless runs. Reads an
//! [`Aggregate`](crate::core::Aggregate) or the store; computes no totals of its own.
//!
//! Never: reads inputs or runs the pipeline (commands do), or writes to the terminal's
//! screen a byte from a log unescaped.

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
