//! Questions asked of the retained records: filtered re-aggregation, and the drill-down from a
//! key to its conversations and raw records. Segments are scanned in parallel, each thread
//! into its own partial, merged at the end (the same shape as ingest).

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Position, Row, Segment, StoreState};
use crate::core::aggregate::{Aggregate, FastMap, Stats};
use crate::core::{Dimension, Metric, TopEntry};
use crate::filter::Filter;
use crate::names;
use crate::parse::Flow;

/// Filter + time window + grouping.
#[derive(Debug, Clone)]
pub struct Query {
    /// Records must pass this filter.
    pub filter: Option<Arc<Filter>>,
    /// Records must have `end` within this inclusive range.
    pub window: Option<(u64, u64)>,
    /// What to group the top list by.
    pub group_by: Dimension,
    /// What to sort it by.
    pub metric: Metric,
    /// How many entries.
    pub limit: usize,
    /// Also build the port × time heatmap (the dashboard draws it; reports do not).
    pub heatmap: bool,
}

/// What a query found.
#[derive(Debug)]
pub struct QueryResult {
    /// Everything the matching records add up to (totals, every top list, series).
    pub aggregate: Aggregate,
    /// The asked-for top list.
    pub top: Vec<TopEntry>,
    /// Records looked at (segments outside the window are skipped whole).
    pub scanned: u64,
    /// Records that matched.
    pub matched: u64,
}

fn in_window(flow_end: Option<u64>, window: Option<(u64, u64)>) -> bool {
    match window {
        None => true,
        Some((lo, hi)) => flow_end.is_some_and(|e| lo <= e && e <= hi),
    }
}

fn segment_overlaps(seg: &Segment, window: Option<(u64, u64)>) -> bool {
    match (window, seg.end_range()) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some((lo, hi)), Some((a, b))) => a <= hi && lo <= b,
    }
}

/// Runs `f` on every segment that may hold records in `window`, on `threads` threads, each
/// with its own accumulator from `init`; returns the accumulators.
fn scan<A: Send>(
    state: &StoreState,
    window: Option<(u64, u64)>,
    threads: usize,
    init: impl Fn() -> A + Sync,
    f: impl Fn(&mut A, &Segment) + Sync,
) -> Vec<A> {
    let next = AtomicUsize::new(0);
    let segments = &state.segments;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.max(1))
            .map(|_| {
                scope.spawn(|| {
                    let mut acc = init();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(seg) = segments.get(i) else { break };
                        if segment_overlaps(seg, window) {
                            f(&mut acc, seg);
                        }
                    }
                    acc
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// Re-aggregates the retained records that pass the query's filter and window.
pub fn aggregate(state: &StoreState, q: &Query, threads: usize) -> QueryResult {
    let filter = q.filter.as_deref().filter(|f| !f.is_all());
    let tests = filter
        .map(Filter::required_column_tests)
        .unwrap_or_default();
    let parts = scan(
        state,
        q.window,
        threads,
        || {
            let mut agg = Aggregate::new();
            if q.heatmap {
                agg.series = crate::core::series::TimeSeries::with_heatmap();
            }
            (agg, 0u64, 0u64, Vec::new())
        },
        |(agg, scanned, matched, rows), seg| {
            *scanned += seg.len() as u64;
            // Narrow down on the columns first when the filter allows it.
            if tests.is_empty() {
                rows.clear();
                rows.extend(0..seg.len() as u32);
            } else {
                seg.candidates(&tests, rows);
            }
            for &i in rows.iter() {
                let row = seg.row(i as usize);
                if filter.is_some_and(|f| !f.matches(&row)) {
                    continue;
                }
                let flow = row.flow();
                if !in_window(flow.end, q.window) {
                    continue;
                }
                *matched += 1;
                agg.add_flow(&flow);
            }
        },
    );
    let mut total = Aggregate::new();
    if q.heatmap {
        total.series = crate::core::series::TimeSeries::with_heatmap();
    }
    let (mut scanned, mut matched) = (0, 0);
    for (mut agg, s, m, _) in parts {
        agg.settle();
        total.merge(agg);
        scanned += s;
        matched += m;
    }
    total.settle();
    QueryResult {
        top: total.top(q.group_by, q.metric, q.limit),
        aggregate: total,
        scanned,
        matched,
    }
}

/// One conversation of a drilled-into key: the other side, the destination port and the
/// protocol, with their totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    /// The other address (for a host key), or the source address (for other keys).
    pub peer: Option<IpAddr>,
    /// The service port: the server's side of the flow, whichever direction the record
    /// went (replies fold into their requests). `None` when the row stands for many ports.
    pub port: Option<u16>,
    /// Protocol number.
    pub protocol: Option<u8>,
    /// Distinct service ports the row stands for: 1, or more when the peer touched more than
    /// [`MANY_PORTS`] (a port scan reads as one row).
    pub ports: u64,
    /// Totals (OK records).
    pub stats: Stats,
}

/// More distinct service ports than this between one peer and the key fold into one row.
pub const MANY_PORTS: usize = 20;

/// The service side of a flow's two ports: a named service port over an unnamed one, else
/// the lower (ephemeral client ports are high).
pub fn service_port(srcport: Option<u16>, dstport: Option<u16>) -> Option<u16> {
    match (srcport, dstport) {
        (Some(s), Some(d)) => {
            let (named_s, named_d) = (names::service(s).is_some(), names::service(d).is_some());
            Some(match (named_s, named_d) {
                (true, false) => s,
                (false, true) => d,
                _ => s.min(d),
            })
        }
        (s, d) => d.or(s),
    }
}

/// The conversations of the records passing `key` (e.g. `host=10.0.0.5`, `dstport=22`):
/// grouped by peer, service port and protocol (a request and its reply are one
/// conversation), largest `metric` first. A peer seen on more than [`MANY_PORTS`] service
/// ports becomes one row for all of them.
pub fn conversations(
    state: &StoreState,
    key: &Filter,
    host: Option<IpAddr>,
    metric: Metric,
    threads: usize,
) -> Vec<Conversation> {
    type Key = (Option<IpAddr>, Option<u16>, Option<u8>);
    let parts = scan(
        state,
        None,
        threads,
        FastMap::<Key, Stats>::default,
        |acc, seg| {
            for i in 0..seg.len() {
                let row = seg.row(i);
                if !key.matches(&row) {
                    continue;
                }
                let f = row.flow();
                if f.status != Some(crate::parse::LogStatus::Ok) {
                    continue;
                }
                let peer = match host {
                    Some(h) if f.src == Some(h) => f.dst,
                    _ => f.src,
                };
                let port = service_port(f.srcport, f.dstport);
                acc.entry((peer, port, f.protocol)).or_default().add(
                    f.bytes.unwrap_or(0),
                    f.packets.unwrap_or(0),
                    f.action,
                );
            }
        },
    );
    let mut all: FastMap<Key, Stats> = FastMap::default();
    for part in parts {
        for (k, v) in part {
            all.entry(k).or_default().merge(&v);
        }
    }
    // Peers on many ports (a scan) fold into one row per peer and protocol.
    let mut per_peer: FastMap<(Option<IpAddr>, Option<u8>), usize> = FastMap::default();
    for (peer, _, protocol) in all.keys() {
        *per_peer.entry((*peer, *protocol)).or_default() += 1;
    }
    let mut folded: FastMap<Key, (Stats, u64)> = FastMap::default();
    for ((peer, port, protocol), stats) in all {
        let many = per_peer.get(&(peer, protocol)).copied().unwrap_or(0) > MANY_PORTS;
        let key = (peer, if many { None } else { port }, protocol);
        let entry = folded.entry(key).or_default();
        entry.0.merge(&stats);
        entry.1 += 1;
    }
    let mut v: Vec<Conversation> = folded
        .into_iter()
        .map(|((peer, port, protocol), (stats, ports))| Conversation {
            peer,
            port,
            protocol,
            ports,
            stats,
        })
        .collect();
    v.sort_by(|a, b| {
        b.stats
            .metric(metric)
            .cmp(&a.stats.metric(metric))
            .then_with(|| (a.peer, a.port, a.protocol).cmp(&(b.peer, b.port, b.protocol)))
    });
    v
}

/// A retained record with its position: what the inspector lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    /// Where its line is.
    pub position: Position,
    /// `end` (for ordering).
    pub end: Option<u64>,
    /// The aggregation fields, owned.
    pub src: Option<IpAddr>,
    /// Destination address.
    pub dst: Option<IpAddr>,
    /// Source port.
    pub srcport: Option<u16>,
    /// Destination port.
    pub dstport: Option<u16>,
    /// Protocol.
    pub protocol: Option<u8>,
    /// Bytes.
    pub bytes: Option<u64>,
    /// Packets.
    pub packets: Option<u64>,
    /// Action.
    pub action: Option<crate::parse::Action>,
    /// Start.
    pub start: Option<u64>,
    /// `reject-reason` (v8), when the format has it and it is not `-`.
    pub reject_reason: Option<Box<str>>,
}

impl StoredRecord {
    fn of(row: &Row<'_>, f: &Flow<'_>) -> StoredRecord {
        use crate::filter::FieldSource;
        let reject_reason = row
            .text(crate::schema::Field::RejectReason)
            .filter(|t| !t.is_empty() && *t != b"-")
            .map(|t| String::from_utf8_lossy(t).into());
        StoredRecord {
            reject_reason,
            position: row.position(),
            end: f.end,
            src: f.src,
            dst: f.dst,
            srcport: f.srcport,
            dstport: f.dstport,
            protocol: f.protocol,
            bytes: f.bytes,
            packets: f.packets,
            action: f.action,
            start: f.start,
        }
    }
}

/// The records passing `key`, newest `end` first (ties: latest position first), skipping
/// `offset` and returning at most `limit`: one page of the inspector's list.
pub fn records(
    state: &StoreState,
    key: &Filter,
    offset: usize,
    limit: usize,
    threads: usize,
) -> Vec<StoredRecord> {
    let keep = offset + limit;
    let order = |r: &StoredRecord| {
        (
            std::cmp::Reverse(r.end),
            std::cmp::Reverse((r.position.input, r.position.offset)),
        )
    };
    let parts = scan(
        state,
        None,
        threads,
        Vec::new,
        |acc: &mut Vec<StoredRecord>, seg| {
            for i in 0..seg.len() {
                let row = seg.row(i);
                if key.matches(&row) {
                    acc.push(StoredRecord::of(&row, &row.flow()));
                    if acc.len() >= keep * 2 + 1024 {
                        acc.sort_by_key(order);
                        acc.truncate(keep);
                    }
                }
            }
        },
    );
    let mut all: Vec<StoredRecord> = parts.into_iter().flatten().collect();
    all.sort_by_key(order);
    all.into_iter().skip(offset).take(limit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_port_is_the_named_or_the_lower_side() {
        assert_eq!(service_port(Some(51_000), Some(443)), Some(443));
        assert_eq!(service_port(Some(443), Some(51_000)), Some(443), "a reply");
        assert_eq!(
            service_port(Some(1023), Some(8443)),
            Some(8443),
            "named beats lower"
        );
        assert_eq!(service_port(Some(40_000), Some(30_000)), Some(30_000));
        assert_eq!(service_port(None, Some(22)), Some(22));
        assert_eq!(service_port(None, None), None);
    }
}
