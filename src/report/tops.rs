//! Every top list a report shows, ranked once for text and JSON alike: the aggregate's own
//! dimensions (sources, destinations, pairs, ports, interfaces, protocols) and, with an
//! inventory, the groups derived from the address pairs (subnets, VPCs, security groups,
//! zones, AWS services, scopes). With `--by cost` the lists that come from addresses are
//! ranked by estimated data-transfer cost and carry it; the others stay ranked by bytes.

use super::SummaryOptions;
use crate::core::{Aggregate, Dimension, Stats};
pub use crate::snapshot::groups::{COST_NOTE, GroupDim};
use crate::snapshot::groups::{Rank, Sum, fold_costs, fold_groups, rank};

/// Which list a [`TopList`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// One of the aggregate's dimensions.
    Dim(Dimension),
    /// A grouping derived through the inventory.
    Group(GroupDim),
}

/// One row of a top list.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The key as text.
    pub key: String,
    /// Who or what the key is, by the inventory.
    pub name: Option<String>,
    /// Its totals (OK records).
    pub stats: Stats,
    /// Its estimated data-transfer cost in USD (with `--by cost`, on address lists).
    pub cost: Option<f64>,
}

/// One top list, ranked.
#[derive(Debug, Clone)]
pub struct TopList {
    /// Which list.
    pub kind: ListKind,
    /// Its rows, best first.
    pub rows: Vec<Row>,
    /// Whether it is ranked by cost (else by the report's metric).
    pub by_cost: bool,
}

/// Every list of the report, in report order, and with `--by cost` the estimated cost of
/// everything (from the same fold as the lists).
pub fn top_lists(agg: &Aggregate, opts: SummaryOptions<'_>) -> (Vec<TopList>, Option<f64>) {
    let inv = opts.inventory;
    let prices = opts.prices;
    let groups = inv.map(|inv| fold_groups(agg, inv, prices));
    let costed = prices.map(|p| fold_costs(agg, inv, p));
    let mut lists = Vec::new();
    for dim in Dimension::ALL {
        let from_addresses = matches!(dim, Dimension::Src | Dimension::Dst | Dimension::Pair);
        let rows = match (&costed, from_addresses) {
            (Some(c), true) => {
                let sums = match dim {
                    Dimension::Src => &c.src,
                    Dimension::Dst => &c.dst,
                    _ => &c.pair,
                };
                rows_of(rank(sums, Rank::Cost, opts.top), true)
            }
            _ => agg
                .top(dim, opts.by, opts.top)
                .into_iter()
                .map(|e| Row {
                    key: e.key,
                    name: None,
                    stats: e.stats,
                    cost: None,
                })
                .collect(),
        };
        let rows = rows
            .into_iter()
            .map(|r| Row {
                name: super::key_name(inv, &agg.tags, dim, &r.key),
                ..r
            })
            .collect();
        lists.push(TopList {
            kind: ListKind::Dim(dim),
            rows,
            by_cost: costed.is_some() && from_addresses,
        });
    }
    for (dim, sums) in groups.into_iter().flatten() {
        let how = if prices.is_some() {
            Rank::Cost
        } else {
            Rank::Metric(opts.by)
        };
        let mut rows = rows_of(rank(&sums, how, opts.top), prices.is_some());
        for r in &mut rows {
            r.name = match dim {
                GroupDim::Of(kind) => inv
                    .and_then(|i| i.group_name(kind, &r.key))
                    .map(str::to_string),
                GroupDim::Scope => None,
            };
        }
        lists.push(TopList {
            kind: ListKind::Group(dim),
            rows,
            by_cost: prices.is_some(),
        });
    }
    (lists, costed.map(|c| c.total))
}

/// Ranked sums as rows (with their cost when `costed`), names still to be added.
fn rows_of(ranked: Vec<(String, Sum)>, costed: bool) -> Vec<Row> {
    ranked
        .into_iter()
        .map(|(key, s)| Row {
            key,
            name: None,
            stats: s.stats,
            cost: costed.then_some(s.cost),
        })
        .collect()
}
