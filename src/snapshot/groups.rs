//! Top lists derived through the inventory from a total's address pairs: subnets, VPCs,
//! security groups, zones, AWS services and scopes, and the estimated data-transfer cost of
//! addresses and pairs. Computed on demand (a report, the dashboard's query worker), never per
//! record: one pass over the distinct pairs, each address placed once.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt::Write as _;
use std::net::IpAddr;

use crate::core::{Aggregate, FastMap, Metric, Stats, TopEntry};
use crate::inventory::place::{Place, Reach};
use crate::inventory::{
    GroupKind, Inventory, Scope,
    prices::{GIB, Prices},
};

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

/// Totals and cost of one key.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sum {
    /// Totals (OK records).
    pub stats: Stats,
    /// Estimated cost, USD (0 when no prices were given).
    pub cost: f64,
}

impl Sum {
    /// Adds a pair's totals and cost.
    pub fn add(&mut self, stats: &Stats, cost: f64) {
        self.stats.merge(stats);
        self.cost += cost;
    }
}

/// How rows are ranked.
#[derive(Debug, Clone, Copy)]
pub enum Rank {
    /// By a metric.
    Metric(Metric),
    /// By estimated cost.
    Cost,
}

/// The `n` best keys of `sums`, ties broken by bytes, then by key text.
pub fn rank(sums: &HashMap<String, Sum>, how: Rank, n: usize) -> Vec<(String, Sum)> {
    let mut all: Vec<(&String, &Sum)> = sums.iter().collect();
    let value = |s: &Sum| match how {
        Rank::Metric(m) => s.stats.metric(m) as f64,
        Rank::Cost => s.cost,
    };
    // Equal costs (often nothing) fall back to bytes, so the list still says who is big.
    all.sort_by(|a, b| {
        value(b.1)
            .total_cmp(&value(a.1))
            .then_with(|| b.1.stats.bytes.cmp(&a.1.stats.bytes))
            .then_with(|| a.0.cmp(b.0))
    });
    all.into_iter()
        .take(n)
        .map(|(k, s)| (k.clone(), *s))
        .collect()
}

/// The per-address and per-pair totals with their cost.
pub struct Costed {
    /// By source address.
    pub src: HashMap<String, Sum>,
    /// By destination address.
    pub dst: HashMap<String, Sum>,
    /// By `SRC -> DST`.
    pub pair: HashMap<String, Sum>,
    /// The cost of every pair, USD.
    pub total: f64,
}

/// Totals and estimated cost per source, destination and pair, and the cost of all of
/// them; each address is placed once.
pub fn fold_costs(agg: &Aggregate, inv: Option<&Inventory>, prices: &Prices) -> Costed {
    let mut c = Costed {
        src: HashMap::new(),
        dst: HashMap::new(),
        pair: HashMap::new(),
        total: 0.0,
    };
    let mut places: FastMap<IpAddr, Place<'_>> = FastMap::default();
    let mut text = String::new();
    agg.for_each_pair(|s, d, stats| {
        let cost = match (s, d, inv) {
            (Some(s), Some(d), Some(inv)) => {
                let ps = *places.entry(s).or_insert_with(|| inv.place(s));
                let pd = *places.entry(d).or_insert_with(|| inv.place(d));
                stats.bytes as f64 / GIB * prices.per_gib_at(inv, (&ps, s), (&pd, d))
            }
            (Some(s), Some(d), None) => prices.cost(None, s, d, stats.bytes),
            _ => 0.0,
        };
        c.total += cost;
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

/// What one address contributes to the groupings: the interned ids of its groups (every
/// kind) and what its conversations' scope needs of it.
struct Known<'i> {
    groups: Vec<u32>,
    reach: Reach<'i>,
    place: Place<'i>,
}

/// Addresses placed so far, and the groups interned.
struct Placed<'i, 'k> {
    inv: &'i Inventory,
    kinds: &'k [GroupKind],
    index: FastMap<IpAddr, u32>,
    known: Vec<Known<'i>>,
    ids: FastMap<(usize, &'i str), u32>,
    names: Vec<(usize, &'i str)>,
}

impl<'i> Placed<'i, '_> {
    /// The index of `a` in `known`, placing it on first sight.
    fn place(&mut self, a: IpAddr) -> usize {
        if let Some(i) = self.index.get(&a) {
            return *i as usize;
        }
        let place = self.inv.place(a);
        let mut groups = Vec::new();
        for (k, kind) in self.kinds.iter().enumerate() {
            for id in self.inv.groups_at(&place, *kind, a) {
                let next = self.names.len() as u32;
                groups.push(match self.ids.entry((k, id)) {
                    Entry::Occupied(e) => *e.get(),
                    Entry::Vacant(e) => {
                        self.names.push((k, id));
                        *e.insert(next)
                    }
                });
            }
        }
        self.known.push(Known {
            groups,
            reach: self.inv.reach_at(&place, a),
            place,
        });
        let i = self.known.len() - 1;
        self.index.insert(a, i as u32);
        i
    }
}

/// Totals per group of every derived grouping. Each address is placed once however many
/// pairs it is in, and groups are interned, so a pair costs two hash look-ups and an add
/// per group its ends are in.
pub fn fold_groups(
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
    let mut placed = Placed {
        inv,
        kinds: &kinds,
        index: FastMap::default(),
        known: Vec::new(),
        ids: FastMap::default(),
        names: Vec::new(),
    };
    let mut sums: Vec<Sum> = Vec::new();
    let mut scopes = [Sum::default(); Scope::ALL.len()];
    agg.for_each_pair(|s, d, stats| {
        let (a, b) = (s.map(|a| placed.place(a)), d.map(|a| placed.place(a)));
        sums.resize(placed.names.len(), Sum::default());
        let cost = match (s.zip(a), d.zip(b), prices) {
            (Some((s, a)), Some((d, b)), Some(p)) => {
                let (ka, kb) = (&placed.known[a], &placed.known[b]);
                stats.bytes as f64 / GIB * p.per_gib_at(inv, (&ka.place, s), (&kb.place, d))
            }
            _ => 0.0,
        };
        let none: &[u32] = &[];
        let ga = a.map_or(none, |i| placed.known[i].groups.as_slice());
        let gb = b.map_or(none, |i| placed.known[i].groups.as_slice());
        // Once per group either end is in (an address's own groups are distinct).
        for id in ga.iter().chain(gb.iter().filter(|g| !ga.contains(g))) {
            sums[*id as usize].add(stats, cost);
        }
        let scope = match (a, b) {
            (Some(a), Some(b)) => Scope::between(placed.known[a].reach, placed.known[b].reach),
            _ => Scope::without_inventory(s, d),
        };
        let at = Scope::ALL.iter().position(|x| *x == scope).unwrap_or(0);
        scopes[at].add(stats, cost);
    });
    let names = placed.names;
    let mut tables: Vec<HashMap<String, Sum>> = vec![HashMap::new(); GroupDim::ALL.len()];
    for ((k, id), sum) in names.iter().zip(sums) {
        tables[*k].insert((*id).to_string(), sum);
    }
    for (scope, sum) in Scope::ALL.iter().zip(scopes) {
        if sum.stats.flows > 0 {
            tables[kinds.len()].insert(scope.as_str().to_string(), sum);
        }
    }
    GroupDim::ALL.into_iter().zip(tables).collect()
}

/// What the cost estimate is, said wherever it is shown.
pub const COST_NOTE: &str = "an estimate from list prices (see --prices): flow logs carry no \
    billing data, tiers, discounts and free allowances are ignored, and a flow logged on both \
    of its interfaces counts on each";

/// One derived grouping's top lists for the dashboard, by each of the snapshot metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupTops {
    /// Which grouping.
    pub dim: GroupDim,
    /// How many groups have traffic.
    pub distinct: usize,
    /// The best `n` groups by each metric, in [`crate::snapshot::METRICS`] order.
    pub lists: Vec<Vec<TopEntry>>,
}

/// Every derived grouping of `agg`, ranked by each snapshot metric.
pub fn group_tops(agg: &Aggregate, inv: &Inventory, n: usize) -> Vec<GroupTops> {
    fold_groups(agg, inv, None)
        .into_iter()
        .map(|(dim, sums)| GroupTops {
            dim,
            distinct: sums.len(),
            lists: super::METRICS
                .iter()
                .map(|m| {
                    rank(&sums, Rank::Metric(*m), n)
                        .into_iter()
                        .map(|(key, s)| TopEntry {
                            key,
                            stats: s.stats,
                        })
                        .collect()
                })
                .collect(),
        })
        .collect()
}

/// Lists ranked by estimated data-transfer cost for the dashboard: sources, destinations,
/// pairs and (with an inventory) the groupings, each entry's cost beside it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CostTops {
    /// The estimated cost of everything in view, USD.
    pub total: f64,
    /// By list: the entries, best first, and their costs in the same order.
    pub lists: Vec<(CostList, Vec<TopEntry>, Vec<f64>)>,
}

/// Which list of [`CostTops`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CostList {
    /// One of the address dimensions (sources, destinations, pairs).
    Dim(crate::core::Dimension),
    /// A grouping by the inventory.
    Group(GroupDim),
}

impl CostTops {
    /// The list `which`, with its costs; `None` for lists that cannot be costed.
    pub fn list(&self, which: CostList) -> Option<(&[TopEntry], &[f64])> {
        self.lists
            .iter()
            .find(|(w, _, _)| *w == which)
            .map(|(_, e, c)| (e.as_slice(), c.as_slice()))
    }
}

/// The cost-ranked lists of `agg` (`n` entries each).
pub fn cost_tops(agg: &Aggregate, inv: Option<&Inventory>, prices: &Prices, n: usize) -> CostTops {
    use crate::core::Dimension;
    let split = |ranked: Vec<(String, Sum)>| -> (Vec<TopEntry>, Vec<f64>) {
        ranked
            .into_iter()
            .map(|(key, s)| {
                (
                    TopEntry {
                        key,
                        stats: s.stats,
                    },
                    s.cost,
                )
            })
            .unzip()
    };
    let c = fold_costs(agg, inv, prices);
    let mut lists = Vec::new();
    for (dim, sums) in [
        (Dimension::Src, &c.src),
        (Dimension::Dst, &c.dst),
        (Dimension::Pair, &c.pair),
    ] {
        let (e, costs) = split(rank(sums, Rank::Cost, n));
        lists.push((CostList::Dim(dim), e, costs));
    }
    if let Some(inv) = inv {
        for (dim, sums) in fold_groups(agg, inv, Some(prices)) {
            let (e, costs) = split(rank(&sums, Rank::Cost, n));
            lists.push((CostList::Group(dim), e, costs));
        }
    }
    CostTops {
        total: c.total,
        lists,
    }
}
