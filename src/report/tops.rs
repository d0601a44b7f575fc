//! Every top list a report shows, ranked once for text and JSON alike: the aggregate's own
//! dimensions (sources, destinations, pairs, ports, interfaces, protocols) and, with an
//! inventory, the groups derived from the address pairs (subnets, VPCs, security groups,
//! zones, AWS services, scopes). With `--by cost` the lists that come from addresses are
//! ranked by estimated data-transfer cost and carry it; the others stay ranked by bytes.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::IpAddr;

use super::SummaryOptions;
use crate::core::{Aggregate, Dimension, Metric, Stats};
use crate::inventory::{GroupKind, Inventory, prices::Prices};

/// A grouping the inventory derives from addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupDim {
    /// A group kind an address belongs to; a flow counts once in each group either of its
    /// ends is in (as the filter `subnet=…` matches either end).
    Of(GroupKind),
    /// Where the conversation goes; each flow is in exactly one.
    Scope,
}

impl GroupDim {
    /// Every derived grouping, in report order.
    pub const ALL: [GroupDim; 6] = [
        GroupDim::Of(GroupKind::Subnet),
        GroupDim::Of(GroupKind::Vpc),
        GroupDim::Of(GroupKind::SecurityGroup),
        GroupDim::Of(GroupKind::Zone),
        GroupDim::Of(GroupKind::Service),
        GroupDim::Scope,
    ];

    /// The JSON key, which is also the filter field that selects one entry.
    pub const fn key(self) -> &'static str {
        match self {
            GroupDim::Of(GroupKind::Subnet) => "subnet",
            GroupDim::Of(GroupKind::Vpc) => "vpc",
            GroupDim::Of(GroupKind::SecurityGroup) => "sg",
            GroupDim::Of(GroupKind::Zone) => "az",
            GroupDim::Of(GroupKind::Service) => "service",
            GroupDim::Scope => "scope",
        }
    }

    /// The column title.
    pub const fn title(self) -> &'static str {
        match self {
            GroupDim::Of(GroupKind::Subnet) => "subnet",
            GroupDim::Of(GroupKind::Vpc) => "vpc",
            GroupDim::Of(GroupKind::SecurityGroup) => "security group",
            GroupDim::Of(GroupKind::Zone) => "availability zone",
            GroupDim::Of(GroupKind::Service) => "AWS service",
            GroupDim::Scope => "scope",
        }
    }

    /// The heading's plural (`Top subnets by bytes`).
    pub const fn plural(self) -> &'static str {
        match self {
            GroupDim::Of(GroupKind::Subnet) => "subnets",
            GroupDim::Of(GroupKind::Vpc) => "VPCs",
            GroupDim::Of(GroupKind::SecurityGroup) => "security groups",
            GroupDim::Of(GroupKind::Zone) => "availability zones",
            GroupDim::Of(GroupKind::Service) => "AWS services",
            GroupDim::Scope => "scopes",
        }
    }
}

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

/// Totals and cost of one key.
#[derive(Debug, Clone, Copy, Default)]
struct Sum {
    stats: Stats,
    cost: f64,
}

impl Sum {
    fn add(&mut self, stats: &Stats, cost: f64) {
        self.stats.merge(stats);
        self.cost += cost;
    }
}

/// Every list of the report, in report order.
pub fn top_lists(agg: &Aggregate, opts: SummaryOptions<'_>) -> Vec<TopList> {
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
                rank(sums, Rank::Cost, opts.top)
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
        let mut rows = rank(&sums, how, opts.top);
        for r in &mut rows {
            if prices.is_none() {
                r.cost = None;
            }
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
    lists
}

/// How rows are ranked.
#[derive(Clone, Copy)]
enum Rank {
    Metric(Metric),
    Cost,
}

/// The `n` best keys of `sums`, ties broken by key text.
fn rank(sums: &HashMap<String, Sum>, how: Rank, n: usize) -> Vec<Row> {
    let mut all: Vec<(&String, &Sum)> = sums.iter().collect();
    let value = |s: &Sum| match how {
        Rank::Metric(m) => s.stats.metric(m) as f64,
        Rank::Cost => s.cost,
    };
    all.sort_by(|a, b| value(b.1).total_cmp(&value(a.1)).then_with(|| a.0.cmp(b.0)));
    all.into_iter()
        .take(n)
        .map(|(k, s)| Row {
            key: k.clone(),
            name: None,
            stats: s.stats,
            cost: Some(s.cost),
        })
        .collect()
}

/// The per-address and per-pair totals with their cost.
struct Costed {
    src: HashMap<String, Sum>,
    dst: HashMap<String, Sum>,
    pair: HashMap<String, Sum>,
}

fn fold_costs(agg: &Aggregate, inv: Option<&Inventory>, prices: &Prices) -> Costed {
    let mut c = Costed {
        src: HashMap::new(),
        dst: HashMap::new(),
        pair: HashMap::new(),
    };
    let mut text = String::new();
    agg.for_each_pair(|s, d, stats| {
        let cost = match (s, d) {
            (Some(s), Some(d)) => prices.cost(inv, s, d, stats.bytes),
            _ => 0.0,
        };
        if let Some(s) = s {
            c.src.entry(s.to_string()).or_default().add(stats, cost);
        }
        if let Some(d) = d {
            c.dst.entry(d.to_string()).or_default().add(stats, cost);
        }
        if let (Some(s), Some(d)) = (s, d) {
            text.clear();
            let _ = write!(text, "{s} -> {d}");
            c.pair.entry(text.clone()).or_default().add(stats, cost);
        }
    });
    c
}

/// Totals per group of every derived grouping, each address placed once however many
/// pairs it is in.
fn fold_groups(
    agg: &Aggregate,
    inv: &Inventory,
    prices: Option<&Prices>,
) -> Vec<(GroupDim, HashMap<String, Sum>)> {
    let kinds: Vec<GroupKind> = GroupDim::ALL
        .iter()
        .filter_map(|d| match d {
            GroupDim::Of(k) => Some(*k),
            GroupDim::Scope => None,
        })
        .collect();
    // Each address's groups, per kind, looked up once.
    let mut memo: HashMap<IpAddr, Vec<Vec<String>>> = HashMap::new();
    let mut place = |a: Option<IpAddr>| {
        if let Some(a) = a {
            memo.entry(a).or_insert_with(|| {
                kinds
                    .iter()
                    .map(|k| {
                        inv.groups_of(*k, a)
                            .into_iter()
                            .map(str::to_string)
                            .collect()
                    })
                    .collect()
            });
        }
    };
    agg.for_each_pair(|s, d, _| {
        place(s);
        place(d);
    });
    let mut sums: Vec<HashMap<String, Sum>> = vec![HashMap::new(); GroupDim::ALL.len()];
    agg.for_each_pair(|s, d, stats| {
        let cost = match (s, d, prices) {
            (Some(s), Some(d), Some(p)) => p.cost(Some(inv), s, d, stats.bytes),
            _ => 0.0,
        };
        let ks = s.and_then(|a| memo.get(&a));
        let kd = d.and_then(|a| memo.get(&a));
        let none: &[Vec<String>] = &[];
        let (ks, kd) = (
            ks.map_or(none, Vec::as_slice),
            kd.map_or(none, Vec::as_slice),
        );
        for (i, table) in sums.iter_mut().enumerate().take(kinds.len()) {
            let src_keys = ks.get(i).map_or(&[][..], Vec::as_slice);
            let dst_keys = kd.get(i).map_or(&[][..], Vec::as_slice);
            // Once per group either end is in (an address's own groups are distinct).
            let dst_only = dst_keys.iter().filter(|k| !src_keys.contains(k));
            for k in src_keys.iter().chain(dst_only) {
                table.entry(k.clone()).or_default().add(stats, cost);
            }
        }
        let scope = inv.scope(s, d);
        sums[kinds.len()]
            .entry(scope.as_str().to_string())
            .or_default()
            .add(stats, cost);
    });
    GroupDim::ALL.into_iter().zip(sums).collect()
}

/// What the cost estimate is, said wherever it is shown.
pub const COST_NOTE: &str = "an estimate from list prices (see --prices): flow logs carry no \
    billing data, tiers, discounts and free allowances are ignored, and a flow logged on both \
    of its interfaces counts on each";

/// The estimated data-transfer cost of every record with both addresses, in USD.
pub fn total_cost(agg: &Aggregate, inv: Option<&Inventory>, prices: &Prices) -> f64 {
    let mut total = 0.0;
    agg.for_each_pair(|s, d, stats| {
        if let (Some(s), Some(d)) = (s, d) {
            total += prices.cost(inv, s, d, stats.bytes);
        }
    });
    total
}
