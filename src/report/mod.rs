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
pub mod tops;
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
    /// The account's inventory, to name addresses and interfaces (`--inventory`).
    pub inventory: Option<&'f crate::inventory::Inventory>,
    /// With `--by cost`: the prices that rank address lists by estimated cost.
    pub prices: Option<&'f crate::inventory::prices::Prices>,
    /// With `--alerts`: list the alerts the detections so set raised (the aggregate
    /// counted their evidence).
    pub alerts: Option<&'f crate::alerts::Config>,
}

/// Who a top-list key is, by the inventory (an address's or interface's owner, or both
/// ends of a pair: `web-1 (i-0abc) -> internet`), else by the records' own v11 tags.
pub fn key_name(
    inventory: Option<&crate::inventory::Inventory>,
    tags: &crate::core::TagNames,
    dim: crate::core::Dimension,
    key: &str,
) -> Option<String> {
    use crate::core::Dimension;
    let addr = |k: &str| {
        let a = k.parse().ok()?;
        inventory
            .and_then(|inv| inv.name_of(a))
            .or_else(|| tags.address(a).map(str::to_string))
    };
    match dim {
        Dimension::Src | Dimension::Dst => addr(key),
        Dimension::Interface => inventory
            .and_then(|inv| inv.name_of_interface(key))
            .or_else(|| tags.interface(key).map(str::to_string)),
        Dimension::Pair => {
            let (s, d) = key.split_once(" -> ")?;
            let (s_name, d_name) = (addr(s), addr(d));
            if s_name.is_none() && d_name.is_none() {
                return None;
            }
            Some(format!(
                "{} -> {}",
                s_name.unwrap_or_else(|| s.to_string()),
                d_name.unwrap_or_else(|| d.to_string())
            ))
        }
        Dimension::DstPort | Dimension::Protocol => None,
    }
}
