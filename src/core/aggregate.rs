//! Partial aggregates: what one worker has seen, merged into one total by a single owner.
//!
//! Hot path: [`Aggregate::add_record`] runs once per record on every worker. It touches one
//! hash-map entry per dimension and a few counters; keys are allocated only the first time a
//! worker sees them.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;

use super::histograms::FlowHistograms;
use super::interfaces::InterfaceTable;
use super::pairs::PairTable;
use super::ports::PortTable;
use super::series::TimeSeries;
use super::table::merge_map;
pub use super::table::{FastMap, Metric, Stats};
use crate::parse::{Action, Flow, LogStatus, Malformed, Record};
use crate::schema::Schema;

/// How many malformed examples a run keeps (the first ones, in input order).
pub const MAX_EXAMPLES: usize = 10;

/// How much of a malformed line an example quotes.
const EXAMPLE_TEXT_CHARS: usize = 1000;

/// What lines turned out to be. Always `lines = records + headers + blank + malformed`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LineCounts {
    /// Every line read, a final line without `\n` included.
    pub lines: u64,
    /// Lines decoded as records.
    pub records: u64,
    /// S3 header lines.
    pub headers: u64,
    /// Empty or whitespace-only lines.
    pub blank: u64,
    /// Lines that are none of the above.
    pub malformed: u64,
    /// Records that passed the filter (all records when there is none). The status counts
    /// below, and every total and top list, count only these.
    pub matched: u64,
    /// Records with log-status OK (or no log-status field).
    pub ok: u64,
    /// Records with log-status NODATA.
    pub nodata: u64,
    /// Records with log-status SKIPDATA.
    pub skipdata: u64,
    /// Decoded bytes of the lines counted (newlines included; the skipped rest of an
    /// over-long line is not).
    pub bytes: u64,
}

impl LineCounts {
    /// Adds another count into this one.
    pub fn merge(&mut self, o: &LineCounts) {
        self.lines += o.lines;
        self.records += o.records;
        self.headers += o.headers;
        self.blank += o.blank;
        self.malformed += o.malformed;
        self.matched += o.matched;
        self.ok += o.ok;
        self.nodata += o.nodata;
        self.skipdata += o.skipdata;
        self.bytes += o.bytes;
    }

    /// Whether every line is accounted for.
    pub fn is_balanced(&self) -> bool {
        self.lines == self.records + self.headers + self.blank + self.malformed
    }
}

/// A dimension that top lists group by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dimension {
    /// `srcaddr`.
    Src,
    /// `dstaddr`.
    Dst,
    /// `srcaddr -> dstaddr`.
    Pair,
    /// `dstport`.
    DstPort,
    /// `interface-id`.
    Interface,
    /// `protocol`.
    Protocol,
}

impl Dimension {
    /// Every dimension, in report order.
    pub const ALL: [Dimension; 6] = [
        Dimension::Src,
        Dimension::Dst,
        Dimension::Pair,
        Dimension::DstPort,
        Dimension::Interface,
        Dimension::Protocol,
    ];

    /// The JSON key (`src`, `dstport`, …).
    pub const fn key(self) -> &'static str {
        match self {
            Dimension::Src => "src",
            Dimension::Dst => "dst",
            Dimension::Pair => "pair",
            Dimension::DstPort => "dstport",
            Dimension::Interface => "interface",
            Dimension::Protocol => "protocol",
        }
    }

    /// A human title (`source`, `destination port`, …).
    pub const fn title(self) -> &'static str {
        match self {
            Dimension::Src => "source",
            Dimension::Dst => "destination",
            Dimension::Pair => "pair",
            Dimension::DstPort => "destination port",
            Dimension::Interface => "interface",
            Dimension::Protocol => "protocol",
        }
    }
}

/// One row of a top list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopEntry {
    /// The key as text: canonical address, `SRC -> DST`, decimal port or protocol, interface.
    pub key: String,
    /// Its totals.
    pub stats: Stats,
}

/// A malformed line kept to be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// Index of the input it came from.
    pub input: u32,
    /// 1-based line number in that input.
    pub line: u64,
    /// Why it is malformed, in words.
    pub reason: String,
    /// The line, escaped and shortened.
    pub text: String,
}

/// Everything counted so far: a worker's partial, or the merged total.
#[derive(Debug, Clone)]
pub struct Aggregate {
    /// Line accounting over all inputs.
    pub counts: LineCounts,
    /// Line accounting per input (indexed by input number).
    pub per_input: Vec<LineCounts>,
    /// OK records: flows, bytes, packets, and the flows by action.
    pub totals: Stats,
    /// OK records with action ACCEPT.
    pub accept: Stats,
    /// OK records with action REJECT.
    pub reject: Stats,
    /// Least `start` over all records that have one.
    pub first_start: Option<u64>,
    /// Greatest `end` over all records that have one.
    pub last_end: Option<u64>,
    /// Malformed lines per reason label.
    pub malformed_reasons: FastMap<&'static str, u64>,
    /// The first malformed lines (at most [`MAX_EXAMPLES`], input order).
    pub examples: Vec<Example>,
    /// ACCEPT/REJECT per record-time bucket and the port × time heatmap (OK records).
    pub series: TimeSeries,
    /// Distributions of flow size and duration (OK records).
    pub histograms: FlowHistograms,
    /// Every known field of every format lines were read in (the starting format and the
    /// S3 headers met), so a filter on a field no input has can be told apart.
    pub fields_seen: crate::schema::FieldSet,
    /// OK records by `encryption-status` (v10): not encrypted, Nitro, TLS, both; all zero
    /// when no format has the field.
    pub encryption: [u64; 4],
    /// Names the records' v11 tag fields give interfaces and their addresses.
    pub tags: super::TagNames,
    /// The evidence alert detections read, per record-time bucket (counted only when asked
    /// for, see [`Aggregate::count_signals`]).
    pub signals: super::Signals,
    /// Whether records count into `signals`.
    counting_signals: bool,
    /// The user rules records are also counted for (while counting signals).
    rule_counters: std::sync::Arc<[super::signals::RuleCounter]>,
    /// Records with both addresses; per-address totals are derived from it (one hash lookup
    /// per record instead of three).
    pair: PairTable,
    /// Records with a source but no destination address.
    src_only: AddrTable,
    /// Records with a destination but no source address.
    dst_only: AddrTable,
    /// Totals per source and per destination address (pairs and one-sided records alike),
    /// kept up to date as records and partials come in once [`Aggregate::keep_per_address`]
    /// asked for them: the merger's total, whose every snapshot reads them.
    by_address: Option<Box<ByAddress>>,
    dstport: PortTable,
    interface: InterfaceTable,
    protocol: Vec<Stats>,
}

impl Default for Aggregate {
    fn default() -> Self {
        Aggregate::new()
    }
}

impl Aggregate {
    /// An empty aggregate.
    pub fn new() -> Aggregate {
        Aggregate {
            counts: LineCounts::default(),
            per_input: Vec::new(),
            totals: Stats::default(),
            accept: Stats::default(),
            reject: Stats::default(),
            first_start: None,
            last_end: None,
            malformed_reasons: FastMap::default(),
            examples: Vec::new(),
            series: TimeSeries::default(),
            histograms: FlowHistograms::default(),
            fields_seen: crate::schema::FieldSet::default(),
            encryption: [0; 4],
            tags: super::TagNames::default(),
            signals: super::Signals::default(),
            counting_signals: false,
            rule_counters: std::sync::Arc::new([]),
            pair: PairTable::default(),
            src_only: AddrTable::default(),
            dst_only: AddrTable::default(),
            by_address: None,
            dstport: PortTable::default(),
            interface: InterfaceTable::default(),
            protocol: vec![Stats::default(); 256],
        }
    }

    /// Adds `lines` line-level counts for input `input`.
    pub fn add_counts(&mut self, input: u32, counts: &LineCounts) {
        self.counts.merge(counts);
        let i = input as usize;
        if self.per_input.len() <= i {
            self.per_input.resize(i + 1, LineCounts::default());
        }
        self.per_input[i].merge(counts);
    }

    /// Counts one decoded record into the totals and every top list (OK records only).
    #[inline]
    pub fn add_record(&mut self, rec: &Record<'_>) {
        let flow = Flow::from_record(rec);
        if flow.status == Some(LogStatus::Ok)
            && let Some(e) = rec.uint(crate::schema::Field::EncryptionStatus)
            && let Some(slot) = usize::try_from(e)
                .ok()
                .and_then(|e| self.encryption.get_mut(e))
        {
            *slot += 1;
        }
        self.tags.add(rec);
        // Only the alert evidence reads reject-reason: no look-up when it is not counted.
        let bpa = self.counting_signals
            && rec.text_of(crate::schema::Field::RejectReason) == Some(b"BPA");
        self.count_flow(&flow, bpa, rec);
    }

    /// Whether records also count into [`signals`](Self::signals), the alert detections'
    /// evidence (off by default: it costs a look-up per refused record).
    pub fn count_signals(&mut self, on: bool) {
        self.counting_signals = on;
    }

    /// Also counts, while counting signals, the records of these user rules.
    pub fn count_rules(&mut self, rules: std::sync::Arc<[super::signals::RuleCounter]>) {
        self.rule_counters = rules;
    }

    /// The user rules counted (see [`count_rules`](Self::count_rules)).
    pub fn rule_counters(&self) -> &std::sync::Arc<[super::signals::RuleCounter]> {
        &self.rule_counters
    }

    /// Counts one record's aggregation fields (see [`Flow`]).
    #[inline]
    pub fn add_flow(&mut self, f: &Flow<'_>) {
        self.count_flow(f, false, f);
    }

    /// [`add_flow`](Self::add_flow), knowing whether VPC Block Public Access refused it.
    #[inline]
    fn count_flow(
        &mut self,
        f: &Flow<'_>,
        rejected_by_bpa: bool,
        record: &dyn crate::filter::FieldSource,
    ) {
        if self.counting_signals {
            self.signals
                .add(f, rejected_by_bpa, &self.rule_counters, record);
        }
        if let Some(start) = f.start {
            self.first_start = Some(self.first_start.map_or(start, |s| s.min(start)));
        }
        if let Some(end) = f.end {
            self.last_end = Some(self.last_end.map_or(end, |e| e.max(end)));
        }
        if f.status != Some(LogStatus::Ok) {
            return;
        }
        let bytes = f.bytes.unwrap_or(0);
        let packets = f.packets.unwrap_or(0);
        let action = f.action;
        if let Some(end) = f.end {
            self.series.add(end, action, bytes, f.dstport);
        }
        self.histograms.add(f.bytes, f.packets, f.start, f.end);
        self.totals.add(bytes, packets, action);
        match action {
            Some(Action::Accept) => self.accept.add(bytes, packets, action),
            Some(Action::Reject) => self.reject.add(bytes, packets, action),
            None => {}
        }
        match (f.src, f.dst) {
            (Some(s), Some(d)) => self.pair.add(s, d, bytes, packets, action),
            (Some(s), None) => self.src_only.get(s).add(bytes, packets, action),
            (None, Some(d)) => self.dst_only.get(d).add(bytes, packets, action),
            (None, None) => {}
        }
        if let Some(by) = &mut self.by_address {
            by.add(f.src, f.dst, bytes, packets, action);
        }
        if let Some(port) = f.dstport {
            self.dstport.add(port, bytes, packets, action);
        }
        if let Some(eni) = f.interface {
            self.interface.add(eni, bytes, packets, action);
        }
        if let Some(proto) = f.protocol {
            self.protocol[usize::from(proto)].add(bytes, packets, action);
        }
    }

    /// Counts a malformed reason and keeps the line as an example while it is among the first
    /// [`MAX_EXAMPLES`] by input order.
    pub fn add_malformed(
        &mut self,
        input: u32,
        line_no: u64,
        m: &Malformed,
        schema: &Schema,
        raw: &[u8],
    ) {
        *self.malformed_reasons.entry(m.label()).or_default() += 1;
        let full = self.examples.len() >= MAX_EXAMPLES;
        let later = |e: &Example| (e.input, e.line) > (input, line_no);
        if full && !self.examples.iter().any(later) {
            return;
        }
        self.examples.push(Example {
            input,
            line: line_no,
            reason: m.describe(schema, raw),
            text: crate::sanitize::escape_limited(raw, EXAMPLE_TEXT_CHARS),
        });
        self.examples.sort_by_key(|e| (e.input, e.line));
        self.examples.truncate(MAX_EXAMPLES);
    }

    /// Applies updates still queued for the pair and port tables. Top lists and counts of
    /// distinct keys read the aggregate as of the last call; [`merge`](Self::merge) settles
    /// both sides.
    pub fn settle(&mut self) {
        self.pair.settle();
        self.dstport.settle();
    }

    /// Adds everything `other` counted into `self`.
    pub fn merge(&mut self, mut other: Aggregate) {
        self.counts.merge(&other.counts);
        self.fields_seen.add(other.fields_seen);
        if self.per_input.len() < other.per_input.len() {
            self.per_input
                .resize(other.per_input.len(), LineCounts::default());
        }
        for (mine, theirs) in self.per_input.iter_mut().zip(&other.per_input) {
            mine.merge(theirs);
        }
        self.totals.merge(&other.totals);
        self.accept.merge(&other.accept);
        self.reject.merge(&other.reject);
        for (mine, theirs) in self.encryption.iter_mut().zip(other.encryption) {
            *mine += theirs;
        }
        self.tags.merge(other.tags);
        self.signals.merge(other.signals);
        self.counting_signals |= other.counting_signals;
        if self.rule_counters.is_empty() {
            self.rule_counters = other.rule_counters;
        }
        self.first_start = min_opt(self.first_start, other.first_start);
        self.last_end = max_opt(self.last_end, other.last_end);
        for (k, v) in other.malformed_reasons {
            *self.malformed_reasons.entry(k).or_default() += v;
        }
        self.examples.extend(other.examples);
        self.examples.sort_by_key(|e| (e.input, e.line));
        self.examples.truncate(MAX_EXAMPLES);
        if let Some(by) = &mut self.by_address {
            by.fold(&mut other.pair, &other.src_only, &other.dst_only);
        }
        self.pair.merge(other.pair);
        self.series.merge(other.series);
        self.histograms.merge(&other.histograms);
        self.src_only.merge(other.src_only);
        self.dst_only.merge(other.dst_only);
        self.interface.merge(other.interface);
        self.dstport.merge(other.dstport);
        for (mine, theirs) in self.protocol.iter_mut().zip(&other.protocol) {
            mine.merge(theirs);
        }
    }

    /// The `n` largest keys of `dim` by `metric`, ties broken by key text (byte order).
    pub fn top(&self, dim: Dimension, metric: Metric, n: usize) -> Vec<TopEntry> {
        match dim {
            Dimension::Src | Dimension::Dst => {
                let table = self.per_address(dim == Dimension::Src);
                top_n_ranked(table.iter(), metric, n, addr_text, addr_rank)
            }
            Dimension::Pair => top_n_ranked(self.pair.iter(), metric, n, pair_text, |p| {
                v4_pair_text_rank(p)
            }),
            Dimension::DstPort => top_n(dense(self.dstport.slots()), metric, n, number_text),
            Dimension::Interface => top_n(self.interface.iter(), metric, n, |k, t| k.write_to(t)),
            Dimension::Protocol => top_n(dense(&self.protocol), metric, n, number_text),
        }
    }

    /// The distinct keys of `dim` and its top lists for each of `metrics`, computing the
    /// per-address fold (for sources and destinations) once for all metrics.
    pub fn tops(
        &self,
        dim: Dimension,
        metrics: &[Metric],
        n: usize,
    ) -> (usize, Vec<Vec<TopEntry>>) {
        match dim {
            Dimension::Src | Dimension::Dst => {
                let table = self.per_address(dim == Dimension::Src);
                let lists = top_n_each(table.iter(), metrics, n, addr_text, addr_rank);
                (table.len(), lists)
            }
            Dimension::Pair => {
                let lists = top_n_each(self.pair.iter(), metrics, n, pair_text, |p| {
                    v4_pair_text_rank(p)
                });
                (self.pair.len(), lists)
            }
            _ => (
                self.distinct(dim),
                metrics.iter().map(|m| self.top(dim, *m, n)).collect(),
            ),
        }
    }

    /// Keeps per-address totals from now on, instead of folding them from the pair table
    /// each time a top list of addresses is read: an aggregate read often (the merger's
    /// total) pays two hash updates per distinct pair merged in, not a million per read.
    pub fn keep_per_address(&mut self) {
        if self.by_address.is_some() {
            return;
        }
        let mut by = Box::new(ByAddress::default());
        by.fold(&mut self.pair, &self.src_only, &self.dst_only);
        self.by_address = Some(by);
    }

    /// Totals per source (`sources`) or destination address, folded from the pair table
    /// unless they are kept.
    fn per_address(&self, sources: bool) -> std::borrow::Cow<'_, AddrTable> {
        if let Some(by) = &self.by_address {
            return std::borrow::Cow::Borrowed(if sources { &by.src } else { &by.dst });
        }
        let mut table = if sources {
            self.src_only.clone()
        } else {
            self.dst_only.clone()
        };
        for ((s, d), stats) in self.pair.iter() {
            table.get(if sources { s } else { d }).merge(stats);
        }
        std::borrow::Cow::Owned(table)
    }

    /// Calls `f` with every distinct (source, destination) address pair and its totals, a
    /// record lacking one of the two addresses coming with `None` on that side: what derived
    /// groupings (subnet, security group, scope, cost) fold into their own totals.
    pub fn for_each_pair(&self, mut f: impl FnMut(Option<IpAddr>, Option<IpAddr>, &Stats)) {
        for ((s, d), stats) in self.pair.iter() {
            f(Some(s), Some(d), stats);
        }
        for (s, stats) in self.src_only.iter() {
            f(Some(s), None, stats);
        }
        for (d, stats) in self.dst_only.iter() {
            f(None, Some(d), stats);
        }
    }

    /// The totals of interface `id` (OK records), if it had any.
    pub fn interface_stats(&self, id: &str) -> Option<Stats> {
        self.interface.get(id.as_bytes()).copied()
    }

    /// How many distinct keys `dim` has.
    pub fn distinct(&self, dim: Dimension) -> usize {
        match dim {
            Dimension::Src => self.per_address(true).len(),
            Dimension::Dst => self.per_address(false).len(),
            Dimension::Pair => self.pair.len(),
            Dimension::DstPort => self.dstport.slots().iter().filter(|s| s.flows > 0).count(),
            Dimension::Interface => self.interface.len(),
            Dimension::Protocol => self.protocol.iter().filter(|s| s.flows > 0).count(),
        }
    }
}

/// Totals per source and per destination address.
#[derive(Debug, Clone, Default)]
struct ByAddress {
    src: AddrTable,
    dst: AddrTable,
}

impl ByAddress {
    #[inline]
    fn add(
        &mut self,
        src: Option<IpAddr>,
        dst: Option<IpAddr>,
        bytes: u64,
        packets: u64,
        action: Option<Action>,
    ) {
        if let Some(s) = src {
            self.src.get(s).add(bytes, packets, action);
        }
        if let Some(d) = dst {
            self.dst.get(d).add(bytes, packets, action);
        }
    }

    /// Adds the totals of a partial's pairs and one-sided records.
    fn fold(&mut self, pair: &mut PairTable, src_only: &AddrTable, dst_only: &AddrTable) {
        pair.settle();
        for ((s, d), stats) in pair.iter() {
            self.src.get(s).merge(stats);
            self.dst.get(d).merge(stats);
        }
        self.src.merge_from(src_only);
        self.dst.merge_from(dst_only);
    }
}

/// Totals per address. IPv4 keys are kept as `u32`, which hash in one multiply; IPv6 apart.
#[derive(Debug, Clone, Default)]
struct AddrTable {
    v4: FastMap<u32, Stats>,
    v6: FastMap<u128, Stats>,
}

impl AddrTable {
    #[inline]
    fn get(&mut self, addr: IpAddr) -> &mut Stats {
        match addr {
            IpAddr::V4(a) => self.v4.entry(a.to_bits()).or_default(),
            IpAddr::V6(a) => self.v6.entry(a.to_bits()).or_default(),
        }
    }

    fn merge(&mut self, other: AddrTable) {
        merge_map(&mut self.v4, other.v4);
        merge_map(&mut self.v6, other.v6);
    }

    fn merge_from(&mut self, other: &AddrTable) {
        for (k, v) in &other.v4 {
            self.v4.entry(*k).or_default().merge(v);
        }
        for (k, v) in &other.v6 {
            self.v6.entry(*k).or_default().merge(v);
        }
    }

    fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    fn iter(&self) -> impl Iterator<Item = (IpAddr, &Stats)> + Clone {
        let v4 = self
            .v4
            .iter()
            .map(|(k, s)| (IpAddr::V4(Ipv4Addr::from_bits(*k)), s));
        let v6 = self
            .v6
            .iter()
            .map(|(k, s)| (IpAddr::V6(Ipv6Addr::from_bits(*k)), s));
        v4.chain(v6)
    }
}

fn min_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

fn max_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

/// A key tied at the cut, ordered by its text alone (keys of one table are distinct).
struct Tied(String, Stats);

impl PartialEq for Tied {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for Tied {}

impl PartialOrd for Tied {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Tied {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}

/// An address as a top-list key.
fn addr_text(a: &IpAddr, t: &mut String) {
    let _ = write!(t, "{a}");
}

/// An address's text order, for IPv4 ([`v4_text_rank`]).
fn addr_rank(a: &IpAddr) -> Option<u64> {
    v4_text_rank(a).map(u64::from)
}

/// A pair as a top-list key.
fn pair_text((s, d): &(IpAddr, IpAddr), t: &mut String) {
    let _ = write!(t, "{s} -> {d}");
}

/// A port or protocol number as a top-list key.
fn number_text(n: &usize, t: &mut String) {
    let _ = write!(t, "{n}");
}

/// The keys of a dense table (index = key) that were seen.
fn dense(table: &[Stats]) -> impl Iterator<Item = (usize, &Stats)> + Clone {
    table.iter().enumerate().filter(|(_, s)| s.flows > 0)
}

/// Selects the `n` best entries in two passes over the table and no allocation per entry:
/// first the cut (the n-th largest value, with a heap of n values), then the entries above
/// it plus, among the entries tied at the cut, the ones with the smallest key text (each
/// tied key is formatted into one reused buffer). A million keys tied at one flow each cost
/// a million cheap formats, not a million strings sorted.
fn top_n<'s, K: Copy>(
    entries: impl Iterator<Item = (K, &'s Stats)> + Clone,
    metric: Metric,
    n: usize,
    key_text: impl Fn(&K, &mut String),
) -> Vec<TopEntry> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    if n == 0 {
        return Vec::new();
    }
    let mut largest: BinaryHeap<Reverse<u64>> = BinaryHeap::with_capacity(n + 1);
    for (_, s) in entries.clone() {
        let m = s.metric(metric);
        if largest.len() < n {
            largest.push(Reverse(m));
        } else if largest.peek().is_some_and(|Reverse(low)| m > *low) {
            largest.pop();
            largest.push(Reverse(m));
        }
    }
    // With fewer than n entries every one makes the list.
    let cut = match largest.len() < n {
        true => 0,
        false => largest.peek().map_or(0, |Reverse(low)| *low),
    };
    let need = n - largest.iter().filter(|Reverse(m)| *m > cut).count();
    let text = |k: &K| {
        let mut t = String::new();
        key_text(k, &mut t);
        t
    };
    let mut rows: Vec<(u64, TopEntry)> = Vec::with_capacity(n);
    // The tied entries kept so far, largest key text on top (the first to give way).
    let mut tied: BinaryHeap<Tied> = BinaryHeap::with_capacity(need + 1);
    let mut buf = String::new();
    for (k, s) in entries {
        let m = s.metric(metric);
        if m > cut {
            rows.push((
                m,
                TopEntry {
                    key: text(&k),
                    stats: *s,
                },
            ));
        } else if m == cut && need > 0 {
            buf.clear();
            key_text(&k, &mut buf);
            if tied.len() < need {
                tied.push(Tied(buf.clone(), *s));
            } else if tied.peek().is_some_and(|top| buf < top.0) {
                tied.pop();
                tied.push(Tied(buf.clone(), *s));
            }
        }
    }
    rows.extend(
        tied.into_iter()
            .map(|Tied(key, stats)| (cut, TopEntry { key, stats })),
    );
    rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.key.cmp(&b.1.key)));
    rows.truncate(n);
    rows.into_iter().map(|(_, e)| e).collect()
}

/// [`top_n`] with `rank`: a number whose order is the order of the key texts, for keys that
/// have one (IPv4 addresses and pairs of them, see [`v4_text_rank`]). When every key tied at
/// the cut has a rank, the tied keys are chosen by rank and only the winners are formatted:
/// a million sources tied at one flow each cost a million table look-ups, not a million
/// formats.
fn top_n_ranked<'s, K: Copy>(
    entries: impl Iterator<Item = (K, &'s Stats)> + Clone,
    metric: Metric,
    n: usize,
    key_text: impl Fn(&K, &mut String),
    rank: impl Fn(&K) -> Option<u64>,
) -> Vec<TopEntry> {
    top_n_each(entries, &[metric], n, key_text, rank)
        .pop()
        .unwrap_or_default()
}

/// [`top_n_ranked`] for several metrics at once, in one pass over the table whatever their
/// number (a million-key table is read from memory once, not once per metric; see
/// [`OnePass`]). A metric whose keys tied at the cut lack ranks is chosen again by
/// [`top_n`] on its own.
fn top_n_each<'s, K: Copy>(
    entries: impl Iterator<Item = (K, &'s Stats)> + Clone,
    metrics: &[Metric],
    n: usize,
    key_text: impl Fn(&K, &mut String),
    rank: impl Fn(&K) -> Option<u64>,
) -> Vec<Vec<TopEntry>> {
    if n == 0 {
        return metrics.iter().map(|_| Vec::new()).collect();
    }
    let mut lists: Vec<OnePass<K>> = metrics.iter().map(|_| OnePass::new(n)).collect();
    for (k, s) in entries.clone() {
        // The key's rank, computed once for all metrics that need it.
        let mut ranked: Option<Option<u64>> = None;
        for (list, metric) in lists.iter_mut().zip(metrics) {
            list.offer(k, s, s.metric(*metric), &mut ranked, &rank);
        }
    }
    lists
        .into_iter()
        .zip(metrics)
        .map(|(list, metric)| {
            list.finish(&key_text, &rank)
                .unwrap_or_else(|| top_n(entries.clone(), *metric, n, &key_text))
        })
        .collect()
}

/// One metric's top `n` chosen in a single pass. A heap holds the `n` largest values seen
/// (its least is the running cut, which only rises); an entry above the running cut when it
/// is seen is kept as a candidate, and one equal to it goes to a heap of the `n` tied
/// entries with the smallest ranks. Every winner is among them: one above the final cut
/// was above the running cut when seen, and one at the final cut was seen either while the
/// cut was lower (a candidate) or while it was already there (a tie). Candidates that fall
/// below the cut are dropped whenever they grow past a bound, so memory stays O(n) in any
/// order of the table.
struct OnePass<K> {
    n: usize,
    largest: std::collections::BinaryHeap<std::cmp::Reverse<u64>>,
    candidates: Vec<(u64, K, Stats)>,
    tied: std::collections::BinaryHeap<RankTied<K>>,
    /// The value every entry in `tied` has.
    tied_at: u64,
    /// The running cut at which a tied key had no rank: if that is the final cut, ranks
    /// cannot choose among the tied keys.
    unranked_at: Option<u64>,
}

impl<K: Copy> OnePass<K> {
    fn new(n: usize) -> Self {
        OnePass {
            n,
            largest: std::collections::BinaryHeap::with_capacity(n + 1),
            candidates: Vec::with_capacity(n * 2),
            tied: std::collections::BinaryHeap::with_capacity(n + 1),
            tied_at: 0,
            unranked_at: None,
        }
    }

    /// The running cut, once `n` values have been seen.
    fn cut(&self) -> Option<u64> {
        match self.largest.len() < self.n {
            true => None,
            false => self.largest.peek().map(|r| r.0),
        }
    }

    fn offer(
        &mut self,
        k: K,
        s: &Stats,
        m: u64,
        ranked: &mut Option<Option<u64>>,
        rank: &impl Fn(&K) -> Option<u64>,
    ) {
        let Some(cut) = self.cut() else {
            self.largest.push(std::cmp::Reverse(m));
            self.candidates.push((m, k, *s));
            return;
        };
        if m > cut {
            self.largest.pop();
            self.largest.push(std::cmp::Reverse(m));
            self.candidates.push((m, k, *s));
            if self.candidates.len() >= 4 * self.n + 1024 {
                self.compact(rank);
            }
        } else if m == cut && self.unranked_at != Some(cut) {
            let r = *ranked.get_or_insert_with(|| rank(&k));
            self.tie(cut, r, k, *s);
        }
    }

    /// Keeps `k` among the entries tied at `cut` if its rank is among the `n` smallest.
    fn tie(&mut self, cut: u64, r: Option<u64>, key: K, stats: Stats) {
        let Some(rank) = r else {
            self.unranked_at = Some(cut);
            return;
        };
        if self.tied_at != cut {
            self.tied.clear();
            self.tied_at = cut;
        }
        if self.tied.len() < self.n {
            self.tied.push(RankTied { rank, key, stats });
        } else if self.tied.peek().is_some_and(|top| rank < top.rank) {
            self.tied.pop();
            self.tied.push(RankTied { rank, key, stats });
        }
    }

    /// Drops the candidates below the running cut and moves those at it to the ties.
    fn compact(&mut self, rank: &impl Fn(&K) -> Option<u64>) {
        let Some(cut) = self.cut() else { return };
        let mut kept = std::mem::take(&mut self.candidates);
        kept.retain(|(m, k, s)| {
            if *m == cut && self.unranked_at != Some(cut) {
                self.tie(cut, rank(k), *k, *s);
            }
            *m > cut
        });
        self.candidates = kept;
    }

    /// The list, best first (ties by key text); `None` when keys tied at the cut lack ranks.
    fn finish(
        mut self,
        key_text: &impl Fn(&K, &mut String),
        rank: &impl Fn(&K) -> Option<u64>,
    ) -> Option<Vec<TopEntry>> {
        let text = |k: &K| {
            let mut t = String::new();
            key_text(k, &mut t);
            t
        };
        let mut rows: Vec<(u64, TopEntry)> = Vec::with_capacity(self.n);
        let entry = |m: u64, k: &K, stats: Stats| {
            (
                m,
                TopEntry {
                    key: text(k),
                    stats,
                },
            )
        };
        match self.cut() {
            // Fewer than n entries: every one makes the list.
            None => rows.extend(self.candidates.iter().map(|(m, k, s)| entry(*m, k, *s))),
            Some(cut) => {
                self.compact(rank);
                if self.unranked_at == Some(cut) {
                    return None;
                }
                rows.extend(self.candidates.iter().map(|(m, k, s)| entry(*m, k, *s)));
                if self.tied_at == cut {
                    let mut tied = self.tied.into_vec();
                    tied.sort_unstable_by_key(|t| t.rank);
                    tied.truncate(self.n - rows.len().min(self.n));
                    rows.extend(tied.iter().map(|t| entry(cut, &t.key, t.stats)));
                }
            }
        }
        rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.key.cmp(&b.1.key)));
        rows.truncate(self.n);
        Some(rows.into_iter().map(|(_, e)| e).collect())
    }
}

/// A key tied at the cut, ordered by its rank alone.
struct RankTied<K> {
    rank: u64,
    key: K,
    stats: Stats,
}

impl<K> PartialEq for RankTied<K> {
    fn eq(&self, other: &Self) -> bool {
        self.rank == other.rank
    }
}

impl<K> Eq for RankTied<K> {}

impl<K> PartialOrd for RankTied<K> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<K> Ord for RankTied<K> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank.cmp(&other.rank)
    }
}

/// Each octet's place among the decimal texts of 0 to 255 ("0" < "1" < "10" < "100" < …
/// < "2" < …): dotted-quad texts compare as their octets' places do, since the `.` (or the
/// end, or the ` ` of a pair's arrow) after an octet sorts before every digit.
fn octet_text_places() -> &'static [u8; 256] {
    static PLACES: std::sync::OnceLock<[u8; 256]> = std::sync::OnceLock::new();
    PLACES.get_or_init(|| {
        let mut octets: Vec<u16> = (0..=255).collect();
        octets.sort_by_key(|o| o.to_string());
        let mut places = [0u8; 256];
        for (place, o) in octets.into_iter().enumerate() {
            places[usize::from(o)] = place as u8;
        }
        places
    })
}

/// A number ordered as the text of the IPv4 address `a` is; `None` for IPv6.
fn v4_text_rank(a: &IpAddr) -> Option<u32> {
    let IpAddr::V4(v4) = a else {
        return None;
    };
    let places = octet_text_places();
    Some(
        v4.octets()
            .iter()
            .fold(0u32, |r, o| r << 8 | u32::from(places[usize::from(*o)])),
    )
}

/// A number ordered as the text `s -> d` is, for two IPv4 addresses.
fn v4_pair_text_rank((s, d): &(IpAddr, IpAddr)) -> Option<u64> {
    Some(u64::from(v4_text_rank(s)?) << 32 | u64::from(v4_text_rank(d)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Line, LineParser};

    /// A repeatable stream of pseudo-random numbers from `seed` (xorshift64).
    fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
        move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        }
    }

    fn aggregate(lines: &[&str]) -> Aggregate {
        let schema = Schema::default_v2();
        let mut p = LineParser::new();
        let mut agg = Aggregate::new();
        for l in lines {
            if let Line::Record(r) = p.parse(&schema, l.as_bytes()) {
                agg.add_record(&r);
            }
        }
        agg.settle();
        agg
    }

    #[test]
    fn only_ok_records_count_as_traffic_but_all_give_the_time_span() {
        let agg = aggregate(&[
            "2 1 eni-a 10.0.0.1 10.0.0.2 1000 22 6 3 300 100 160 ACCEPT OK",
            "2 1 eni-a 10.0.0.1 10.0.0.2 1001 22 6 1 50 110 170 REJECT OK",
            "2 1 eni-b - - - - - - - 50 400 - NODATA",
        ]);
        assert_eq!(agg.totals.flows, 2);
        assert_eq!(agg.totals.bytes, 350);
        assert_eq!(agg.accept.bytes, 300);
        assert_eq!(agg.reject.packets, 1);
        assert_eq!((agg.first_start, agg.last_end), (Some(50), Some(400)));
        let eni = agg.top(Dimension::Interface, Metric::Flows, 10);
        assert_eq!(eni.len(), 1, "the NODATA interface is not traffic");
        let pair = agg.top(Dimension::Pair, Metric::Bytes, 10);
        assert_eq!(pair[0].key, "10.0.0.1 -> 10.0.0.2");
        assert_eq!((pair[0].stats.accept, pair[0].stats.reject), (1, 1));
    }

    #[test]
    fn top_lists_sort_by_metric_then_key_bytes() {
        let agg = aggregate(&[
            "2 1 eni-a 10.0.0.9 10.0.0.2 1 80 6 1 100 1 2 ACCEPT OK",
            "2 1 eni-a 10.0.0.10 10.0.0.2 1 80 6 1 100 1 2 ACCEPT OK",
            "2 1 eni-a 10.0.0.3 10.0.0.2 1 80 6 1 500 1 2 ACCEPT OK",
        ]);
        let keys: Vec<_> = agg
            .top(Dimension::Src, Metric::Bytes, 2)
            .into_iter()
            .map(|e| e.key)
            .collect();
        // "10.0.0.10" < "10.0.0.9" in byte order.
        assert_eq!(keys, ["10.0.0.3", "10.0.0.10"]);
    }

    #[test]
    fn merging_partials_equals_counting_everything_in_one() {
        let lines = [
            "2 1 eni-a 10.0.0.1 10.0.0.2 1 443 6 3 300 100 160 ACCEPT OK",
            "2 1 eni-b 10.0.0.2 10.0.0.1 443 1 6 2 200 100 160 ACCEPT OK",
            "2 1 eni-a 10.0.0.5 10.0.0.2 1 22 6 1 60 90 99 REJECT OK",
        ];
        let whole = aggregate(&lines);
        let mut merged = aggregate(&lines[..1]);
        merged.merge(aggregate(&lines[1..]));
        for dim in Dimension::ALL {
            assert_eq!(
                whole.top(dim, Metric::Bytes, 10),
                merged.top(dim, Metric::Bytes, 10)
            );
        }
        assert_eq!(whole.totals, merged.totals);
        assert_eq!(
            (whole.first_start, whole.last_end),
            (merged.first_start, merged.last_end)
        );
    }

    #[test]
    fn kept_per_address_totals_equal_the_ones_folded_from_pairs() {
        let mut seed = 0x9e37_79b9_u64;
        let mut next = move |m: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % m
        };
        let addr = |n: u64| match n % 3 {
            0 => format!("10.0.0.{}", n % 7),
            1 => format!("2600:1f18::{:x}", n % 5),
            _ => "-".to_string(),
        };
        let lines: Vec<String> = (0..400)
            .map(|_| {
                format!(
                    "2 1 eni-a {} {} 1 {} 6 {} {} 100 160 {} OK",
                    addr(next(30)),
                    addr(next(30)),
                    next(4),
                    1 + next(9),
                    1 + next(900),
                    if next(3) == 0 { "REJECT" } else { "ACCEPT" }
                )
            })
            .collect();
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let folded = aggregate(&lines);
        // Kept from the start, then fed in every way: merged partials, records counted
        // directly, and kept again (which changes nothing).
        let mut kept = Aggregate::new();
        kept.keep_per_address();
        kept.merge(aggregate(&lines[..150]));
        let schema = Schema::default_v2();
        let mut p = LineParser::new();
        for l in &lines[150..250] {
            if let Line::Record(r) = p.parse(&schema, l.as_bytes()) {
                kept.add_record(&r);
            }
        }
        kept.keep_per_address();
        kept.merge(aggregate(&lines[250..]));
        kept.settle();
        // And kept only after everything was counted.
        let mut late = aggregate(&lines);
        late.keep_per_address();
        for dim in [Dimension::Src, Dimension::Dst] {
            assert_eq!(folded.distinct(dim), kept.distinct(dim));
            assert_eq!(folded.distinct(dim), late.distinct(dim));
            for metric in [Metric::Bytes, Metric::Flows, Metric::Packets] {
                let want = folded.top(dim, metric, 1000);
                assert!(want.len() > 5, "{want:?}");
                assert_eq!(want, kept.top(dim, metric, 1000), "{dim:?} {metric:?}");
                assert_eq!(want, late.top(dim, metric, 1000), "{dim:?} {metric:?}");
            }
        }
    }

    #[test]
    fn ranks_order_ipv4_keys_as_their_texts() {
        let mut next = xorshift(0x2545_f491_u64);
        let mut addrs: Vec<IpAddr> = (0..3000)
            .map(|_| {
                // Small octets often, so that prefixes ("1" and "10") meet.
                let o =
                    |r: u64| [r % 256, r % 12, (r % 3) * 100 + r % 7][(r >> 20) as usize % 3] as u8;
                IpAddr::V4(Ipv4Addr::new(o(next()), o(next()), o(next()), o(next())))
            })
            .collect();
        addrs.sort_by_key(|a| a.to_string());
        for w in addrs.windows(2) {
            assert!(
                v4_text_rank(&w[0]) <= v4_text_rank(&w[1]),
                "{} {}",
                w[0],
                w[1]
            );
        }
        let mut pairs: Vec<(IpAddr, IpAddr)> =
            addrs.chunks_exact(2).map(|c| (c[0], c[1])).collect();
        pairs.extend(addrs.chunks_exact(2).map(|c| (c[1], c[0])));
        pairs.sort_by_key(|(s, d)| format!("{s} -> {d}"));
        for w in pairs.windows(2) {
            assert!(v4_pair_text_rank(&w[0]) <= v4_pair_text_rank(&w[1]));
        }
        // Ranked and text selection agree, ties and all.
        let table: Vec<(IpAddr, Stats)> = addrs
            .iter()
            .map(|a| {
                let v = next() % 3;
                (
                    *a,
                    Stats {
                        flows: v,
                        bytes: v,
                        ..Stats::default()
                    },
                )
            })
            .collect();
        let metrics = [Metric::Flows, Metric::Bytes, Metric::Packets];
        for n in [0, 1, 7, 100, 5000] {
            let entries = table.iter().map(|(a, s)| (*a, s));
            let each = top_n_each(entries.clone(), &metrics, n, addr_text, addr_rank);
            for (list, metric) in each.iter().zip(metrics) {
                assert_eq!(list, &top_n(entries.clone(), metric, n, addr_text));
            }
            // With an IPv6 key tied too, texts decide.
            let mixed = entries.clone().chain(std::iter::once((
                "2001:db8::1".parse().unwrap(),
                &table[0].1,
            )));
            let each = top_n_each(mixed.clone(), &metrics, n, addr_text, addr_rank);
            for (list, metric) in each.iter().zip(metrics) {
                assert_eq!(list, &top_n(mixed.clone(), metric, n, addr_text));
            }
            assert_eq!(
                top_n_ranked(entries.clone(), Metric::Flows, n, addr_text, addr_rank),
                top_n(entries, Metric::Flows, n, addr_text),
                "n = {n}"
            );
        }
    }

    #[test]
    fn one_pass_selection_equals_two_passes_in_any_order_of_the_table() {
        // Ascending values make every entry a candidate (the bound then drops the fallen
        // ones); descending ones make none after the first n; few distinct values make most
        // of the table tie at a cut that keeps rising. IPv6 keys have no rank.
        let mut next = xorshift(0x9e37_79b9_u64);
        for round in 0..60 {
            let len = 1 + (next() % 6000) as usize;
            let range = [3, 50, 1 << 40][round % 3];
            let mut values: Vec<u64> = (0..len).map(|_| next() % range).collect();
            match round % 4 {
                0 => values.sort_unstable(),
                1 => values.sort_unstable_by(|a, b| b.cmp(a)),
                _ => {}
            }
            let v6 = round % 5 == 4;
            let table: Vec<(IpAddr, Stats)> = values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let i = i as u32;
                    let addr = match v6 && i.is_multiple_of(3) {
                        true => IpAddr::from([0x2001, 0xdb8, 0, 0, 0, 0, 0, i as u16]),
                        // Odd multiples modulo 2^24: distinct, in no order.
                        false => IpAddr::from(
                            (0x0a00_0000 + (i.wrapping_mul(2_654_435_761) & 0x00ff_ffff))
                                .to_be_bytes(),
                        ),
                    };
                    let stats = Stats {
                        flows: *v,
                        bytes: v / 2,
                        packets: u64::from(i) % 7,
                        ..Stats::default()
                    };
                    (addr, stats)
                })
                .collect();
            let metrics = [Metric::Flows, Metric::Bytes, Metric::Packets];
            let n = [1, 5, 100, 7000][(next() % 4) as usize];
            let entries = table.iter().map(|(a, s)| (*a, s));
            let each = top_n_each(entries.clone(), &metrics, n, addr_text, addr_rank);
            for (list, metric) in each.iter().zip(metrics) {
                assert_eq!(
                    list,
                    &top_n(entries.clone(), metric, n, addr_text),
                    "round {round}, {len} entries, n {n}, {metric:?}"
                );
            }
        }
    }

    #[test]
    fn top_n_equals_a_full_sort_however_many_keys_tie() {
        // Values from a tiny range, so most keys tie at the cut.
        let mut next = xorshift(0x1234_5678_u64);
        for round in 0..200 {
            let len = (next() % 300) as usize;
            let range = 1 + next() % 4;
            let table: Vec<(u32, Stats)> = (0..len)
                .map(|i| {
                    let v = next() % range;
                    let stats = Stats {
                        flows: v,
                        bytes: v * 10,
                        packets: next() % 3,
                        ..Stats::default()
                    };
                    (i as u32 * 7919 % 100_000, stats)
                })
                .collect();
            let n = (next() % 40) as usize;
            for metric in [Metric::Flows, Metric::Bytes, Metric::Packets] {
                let got = top_n(table.iter().map(|(k, s)| (*k, s)), metric, n, |k, t| {
                    t.push_str(&k.to_string())
                });
                let mut naive: Vec<(u64, String)> = table
                    .iter()
                    .map(|(k, s)| (s.metric(metric), k.to_string()))
                    .collect();
                naive.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
                naive.truncate(n);
                let got: Vec<(u64, String)> = got
                    .iter()
                    .map(|e| (e.stats.metric(metric), e.key.clone()))
                    .collect();
                assert_eq!(got, naive, "round {round}, n {n}, {metric:?}");
            }
        }
    }
}
