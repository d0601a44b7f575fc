//! The dashboard's questions to the record store, answered off the event loop.
//!
//! One worker thread takes [`Request`]s (the filtered/windowed view, the inspector's current
//! level), keeps only the newest of each kind when several queue up, scans the store's
//! segments on every core, and sends a [`Reply`] back to the loop. The loop never waits for
//! it: until a reply comes it draws what it has, marked as updating.
//!
//! Never: touches ingest state (it reads the store's published segment list only).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

use crate::core::{Dimension, Metric, Stats};
use crate::diagnose::{Finding, Observation, diagnose};
use crate::filter::{Filter, Side};
use crate::names;
use crate::sanitize::escape_limited;
use crate::schema::Schema;
use crate::snapshot::{HistogramSummary, Retention, Snapshot};
use crate::source::input::read_lines_at;
use crate::source::{InputRegistry, InputSpec};
use crate::store::query::{self, Conversation, Query, StoredRecord};
use crate::store::{Store, StoreState};

/// How many of a key's newest records the diagnosis looks at.
const DIAGNOSIS_RECORDS: usize = 100_000;
/// Conversations listed.
const CONVERSATIONS: usize = 500;
/// Records listed (newest first).
const RECORDS: usize = 200;
/// Characters of a raw line shown.
const RAW_CHARS: usize = 2000;

/// A question for the worker.
#[derive(Debug, Clone)]
pub enum Request {
    /// Re-aggregate everything retained that passes `filter` within `window`.
    View {
        /// Which view this is (replies to older ones are dropped).
        generation: u64,
        /// The dashboard's filter.
        filter: Option<Arc<Filter>>,
        /// Record-time range of `end`, inclusive.
        window: Option<(u64, u64)>,
        /// Also the lists by subnet, VPC, security group, zone, service and scope.
        groups: bool,
        /// Also the lists ranked by estimated cost.
        cost: bool,
    },
    /// Answer the inspector's current level.
    Inspect(InspectRequest),
}

/// What the inspector shows at its current level.
#[derive(Debug, Clone)]
pub struct InspectRequest {
    /// Which request this is.
    pub generation: u64,
    /// The talker's key (level 1).
    pub talker: Arc<Filter>,
    /// The talker's records in both directions: what the diagnosis looks at.
    pub scope: Arc<Filter>,
    /// At level 2: the conversation's key (within the talker) and its destination port.
    pub conversation: Option<(Arc<Filter>, Option<u16>)>,
    /// The dashboard's filter, which listings stay within.
    pub filter: Option<Arc<Filter>>,
    /// Only records whose `end` is at least this (the time window).
    pub since: Option<u64>,
    /// What conversations are sorted by.
    pub metric: Metric,
}

/// An answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// The view for a filter and window.
    View {
        /// The request's generation.
        generation: u64,
        /// What the panes draw.
        snapshot: Arc<Snapshot>,
        /// How long the scan took.
        took: Duration,
    },
    /// The inspector's content.
    Inspect(Arc<InspectorData>),
}

/// One conversation row, with the key that drills into its records.
#[derive(Debug, Clone)]
pub struct ConversationRow {
    /// The conversation.
    pub conversation: Conversation,
    /// Its records, as a filter.
    pub key: Arc<Filter>,
    /// As the inspector's title shows it.
    pub title: String,
    /// As its row in the list shows it: `198.51.100.9 :22/TCP ssh`, or for a peer on many
    /// ports (a scan) `45.33.32.156 → 4,300 ports/TCP`.
    pub label: String,
}

/// One record with what the inspector shows of it.
#[derive(Debug, Clone)]
pub struct RecordRow {
    /// The stored fields.
    pub record: StoredRecord,
    /// The input it came from.
    pub file: String,
    /// Its line number, when the input could be read again.
    pub line: Option<u64>,
    /// The raw line, escaped (`None` for stdin or a rotated file).
    pub raw: Option<String>,
    /// Every field of the raw line, named by the format it was written in (its file's last
    /// header line before it, or the starting format); `None` if the count does not match.
    pub fields: Option<Vec<(String, String)>>,
}

/// What the inspector draws.
#[derive(Debug, Clone, Default)]
pub struct InspectorData {
    /// The request's generation.
    pub generation: u64,
    /// The key's own records as a snapshot: its ACCEPT/REJECT over time and its ports ×
    /// time, drawn under the conversations so a drill says when as well as who.
    pub view: Option<Arc<Snapshot>>,
    /// Totals of the records in view (OK records, within the filter and window).
    pub totals: Stats,
    /// Their flow size and duration percentiles.
    pub histograms: HistogramSummary,
    /// Level 1: conversations, largest first.
    pub conversations: Vec<ConversationRow>,
    /// Level 2: records, newest first.
    pub records: Vec<RecordRow>,
    /// What the REJECTs mean.
    pub findings: Vec<FindingRow>,
    /// How much the store still holds.
    pub retention: Retention,
    /// How long the answer took.
    pub took: Duration,
}

/// Where the worker finds what it needs.
#[derive(Clone)]
pub struct QueryContext {
    /// The retained records.
    pub store: Arc<Store>,
    /// The inputs named on the command line (files found later come from `registry`).
    pub inputs: Arc<[InputSpec]>,
    /// Every input's name, including files found in watched directories.
    pub registry: Arc<InputRegistry>,
    /// The starting format (names a raw line's fields).
    pub schema: Arc<Schema>,
    /// Scan threads.
    pub threads: usize,
    /// The account's inventory, when given: findings are judged by its rules.
    pub inventory: Option<Arc<crate::inventory::Inventory>>,
    /// The prices the cost ranking uses.
    pub prices: crate::inventory::prices::Prices,
}

/// Starts the worker; it ends when the request sender is dropped.
pub fn spawn(
    context: QueryContext,
    replies: impl Fn(Reply) + Send + 'static,
) -> (Sender<Request>, std::thread::JoinHandle<()>) {
    let (tx, rx) = crossbeam_channel::unbounded();
    let handle = std::thread::Builder::new()
        .name("vpctop-query".into())
        .spawn(move || {
            // Scans use every core; the event loop must still get one at once.
            crate::os::lower_thread_priority();
            serve(&context, &rx, &replies)
        })
        .unwrap_or_else(|e| panic!("cannot start the query thread: {e}"));
    (tx, handle)
}

fn serve(context: &QueryContext, rx: &Receiver<Request>, replies: &dyn Fn(Reply)) {
    while let Ok(first) = rx.recv() {
        // Only the newest request of each kind matters.
        let (mut view, mut inspect) = (None, None);
        for request in std::iter::once(first).chain(rx.try_iter()) {
            match request {
                r @ Request::View { .. } => view = Some(r),
                Request::Inspect(r) => inspect = Some(r),
            }
        }
        let state = context.store.state();
        if let Some(Request::View {
            generation,
            filter,
            window,
            groups,
            cost,
        }) = view
        {
            let started = Instant::now();
            let inventory = context.inventory.as_deref();
            let snapshot = view_snapshot(
                &state,
                filter,
                window,
                context.threads,
                ViewExtras {
                    groups: inventory.filter(|_| groups),
                    cost: cost.then_some((inventory, &context.prices)),
                },
            );
            replies(Reply::View {
                generation,
                snapshot: Arc::new(snapshot),
                took: started.elapsed(),
            });
        }
        if let Some(r) = inspect {
            replies(Reply::Inspect(Arc::new(inspect_level(&state, &r, context))));
        }
    }
}

/// What a view query computes beyond the snapshot of its records.
#[derive(Debug, Clone, Copy, Default)]
pub struct ViewExtras<'a> {
    /// The lists by subnet, VPC, security group, zone, service and scope, by this
    /// inventory.
    pub groups: Option<&'a crate::inventory::Inventory>,
    /// The lists ranked by estimated cost (with the inventory, if any, and the prices).
    pub cost: Option<(
        Option<&'a crate::inventory::Inventory>,
        &'a crate::inventory::prices::Prices,
    )>,
}

/// The filtered, windowed view as a snapshot the panes can draw, with what `extras` asks
/// for (the groupings, the cost ranking).
pub fn view_snapshot(
    state: &StoreState,
    filter: Option<Arc<Filter>>,
    window: Option<(u64, u64)>,
    threads: usize,
    extras: ViewExtras<'_>,
) -> Snapshot {
    let result = query::aggregate(
        state,
        &Query {
            filter,
            window,
            group_by: Dimension::Src,
            metric: Metric::Bytes,
            limit: 0,
            heatmap: true,
        },
        threads,
    );
    let mut snapshot = Snapshot::of_query(&result);
    snapshot.retention = Some(Retention::of_state(state));
    if let Some(inv) = extras.groups {
        snapshot.groups = crate::snapshot::groups::group_tops(
            &result.aggregate,
            inv,
            crate::snapshot::SNAPSHOT_TOP,
        );
    }
    if let Some((inv, prices)) = extras.cost {
        snapshot.costs = Some(crate::snapshot::groups::cost_tops(
            &result.aggregate,
            inv,
            prices,
            crate::snapshot::SNAPSHOT_TOP,
        ));
    }
    snapshot
}

/// One finding of the diagnosis as the inspector lists it.
#[derive(Debug, Clone)]
pub struct FindingRow {
    /// What the REJECTs mean.
    pub finding: Finding,
    /// The finding's rejected request lies outside the applied filter (shown after those
    /// inside it, and marked).
    pub outside_view: bool,
    /// What the inventory's rules say about it, when an inventory is loaded.
    pub rules: Option<crate::inventory::rules::Verdict>,
}

/// Answers one inspector request.
pub fn inspect_level(
    state: &StoreState,
    req: &InspectRequest,
    context: &QueryContext,
) -> InspectorData {
    let started = Instant::now();
    let threads = context.threads;
    let since = req.since.map(Filter::ended_since);
    let within = |key: &Filter| {
        let mut f = key.clone();
        for also in [req.filter.as_deref(), since.as_ref()]
            .into_iter()
            .flatten()
        {
            f = f.and(also);
        }
        Arc::new(f)
    };
    let level_key = req.conversation.as_ref().map_or(&req.talker, |(c, _)| c);
    let select = within(level_key);
    let view = view_snapshot(
        state,
        Some(Arc::clone(&select)),
        None,
        threads,
        ViewExtras::default(),
    );
    // Replies matter to the diagnosis even when the filter would hide them.
    let sample = query::records(state, &req.scope, 0, DIAGNOSIS_RECORDS, threads);
    let observed = sample.iter().filter_map(Observation::of);
    let mut findings = diagnose(observed, 50);
    let mut data = InspectorData {
        generation: req.generation,
        totals: view.totals,
        histograms: view.histograms,
        retention: view.retention.unwrap_or_default(),
        ..InspectorData::default()
    };
    data.view = Some(Arc::new(view));
    match &req.conversation {
        None => {
            let host = req.talker.single_host();
            data.conversations = query::conversations(state, &select, host, req.metric, threads)
                .into_iter()
                .take(CONVERSATIONS)
                .map(|c| conversation_row(&req.talker, host, c, context.inventory.as_deref()))
                .collect();
        }
        Some((_, port)) => {
            // Only the findings about this conversation's service port.
            if let Some(p) = port {
                findings.retain(|f| f.port == *p);
            }
            let recs = query::records(state, &select, 0, RECORDS, threads);
            data.records = record_rows(recs, context);
        }
    }
    // Findings inside the view come first; those outside it are kept, and marked.
    let rows = findings.into_iter().map(|finding| {
        let outside_view = req
            .filter
            .as_deref()
            .and_then(|f| finding.within(f))
            .is_some_and(|inside| !inside);
        FindingRow {
            rules: context
                .inventory
                .as_deref()
                .filter(|_| finding.judged_by_rules())
                .map(|inv| inv.judge(finding.request())),
            finding,
            outside_view,
        }
    });
    let (mut inside, outside): (Vec<_>, Vec<_>) = rows.partition(|r| !r.outside_view);
    inside.extend(outside);
    data.findings = inside;
    data.took = started.elapsed();
    data
}

/// `443/tcp`, `53/udp`, `-`.
pub fn port_proto(port: Option<u16>, protocol: Option<u8>) -> String {
    let proto = protocol.map(|p| names::protocol(p).map_or_else(|| p.to_string(), str::to_string));
    match (port, proto) {
        (Some(p), Some(pr)) => format!("{p}/{pr}"),
        (Some(p), None) => p.to_string(),
        (None, Some(pr)) => pr,
        (None, None) => "-".to_string(),
    }
}

fn conversation_row(
    talker: &Filter,
    host: Option<IpAddr>,
    c: Conversation,
    inventory: Option<&crate::inventory::Inventory>,
) -> ConversationRow {
    let mut key = talker.clone();
    if let Some(peer) = c.peer {
        let side = if host.is_some() {
            Side::Either
        } else {
            Side::Src
        };
        key = key.and(&Filter::addr(side, peer));
    }
    // Either side: a conversation holds its requests and their replies.
    if let Some(p) = c.port {
        key = key.and(&Filter::port(Side::Either, p));
    }
    if let Some(p) = c.protocol {
        key = key.and(&Filter::protocol(p));
    }
    let peer = c.peer.map_or_else(|| "-".to_string(), |p| p.to_string());
    // The list names the peer by the inventory; the title keeps the bare address.
    let named = match c.peer.zip(inventory).and_then(|(p, inv)| inv.name_of(p)) {
        Some(n) => format!("{peer} {}", crate::sanitize::escape(n.as_bytes())),
        None => peer.clone(),
    };
    // A folded row's port count grows while data arrives: its title names no number.
    let service = match c.port {
        Some(_) => port_proto(c.port, c.protocol),
        None => format!("many ports/{}", port_proto(None, c.protocol)),
    };
    let title = match host {
        Some(h) => format!("{h} <-> {peer} :{service}"),
        None => format!("from {peer} :{service}"),
    };
    let label = match c.port {
        Some(port) => {
            let name = names::service(port)
                .map(|n| format!(" {n}"))
                .unwrap_or_default();
            format!("{named} :{service}{name}")
        }
        None => format!(
            "{named} → {} ports/{}",
            crate::units::thousands(c.ports),
            port_proto(None, c.protocol)
        ),
    };
    ConversationRow {
        conversation: c,
        key: Arc::new(key),
        title,
        label,
    }
}

fn record_rows(records: Vec<StoredRecord>, context: &QueryContext) -> Vec<RecordRow> {
    let names = context.registry.names();
    let spec_of = |i: usize| match context.inputs.get(i) {
        Some(s) => Some(s.clone()),
        None => names.get(i).map(|n| InputSpec::File(n.into())),
    };
    // One pass per input over the offsets it is asked for.
    let mut lines: std::collections::HashMap<(u32, u64), crate::source::input::LineAt> =
        Default::default();
    let mut inputs: Vec<u32> = records.iter().map(|r| r.position.input).collect();
    inputs.sort_unstable();
    inputs.dedup();
    for input in inputs {
        let offsets: Vec<u64> = records
            .iter()
            .filter(|r| r.position.input == input)
            .map(|r| r.position.offset)
            .collect();
        if let Some(spec) = spec_of(input as usize)
            && let Ok(found) = read_lines_at(&spec, &offsets, 64 * 1024)
        {
            for l in found {
                lines.insert((input, l.offset), l);
            }
        }
    }
    records
        .into_iter()
        .map(|record| {
            let found = lines.remove(&(record.position.input, record.position.offset));
            let (line, raw, fields) = match found {
                Some(l) => {
                    let bytes = crate::parse::strip_cr(&l.bytes);
                    // The format the line was written in: its file's header, or the start.
                    let schema = l.header.as_deref().and_then(Schema::from_header_line);
                    (
                        Some(l.line),
                        Some(escape_limited(bytes, RAW_CHARS)),
                        named_fields(schema.as_ref().unwrap_or(&context.schema), bytes),
                    )
                }
                None => (None, None, None),
            };
            RecordRow {
                file: names
                    .get(record.position.input as usize)
                    .cloned()
                    .unwrap_or_default(),
                record,
                line,
                raw,
                fields,
            }
        })
        .collect()
}

/// The line's fields named by `schema`, when the field count matches.
fn named_fields(schema: &Schema, line: &[u8]) -> Option<Vec<(String, String)>> {
    let values: Vec<&[u8]> = line
        .split(|b| *b == b' ')
        .filter(|v| !v.is_empty())
        .collect();
    (values.len() == schema.len()).then(|| {
        schema
            .columns()
            .iter()
            .zip(values)
            .map(|(c, v)| (c.name().to_string(), escape_limited(v, 200)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_named_only_when_the_count_matches() {
        let v2 = Schema::default_v2();
        let line = b"2 123456789012 eni-1 10.0.0.1 10.0.0.2 443 49152 6 10 840 1 2 ACCEPT OK";
        let fields = named_fields(&v2, line).unwrap();
        assert_eq!(fields[3], ("srcaddr".to_string(), "10.0.0.1".to_string()));
        assert_eq!(fields[13], ("log-status".to_string(), "OK".to_string()));
        assert!(named_fields(&v2, b"2 123 eni-1").is_none());
        let hostile =
            b"2 123456789012 eni-\x1b[2J 10.0.0.1 10.0.0.2 443 49152 6 10 840 1 2 ACCEPT OK";
        let fields = named_fields(&v2, hostile).unwrap();
        assert!(!fields[2].1.contains('\u{1b}'));
    }

    #[test]
    fn ports_read_with_their_protocol() {
        assert_eq!(port_proto(Some(443), Some(6)), "443/TCP");
        assert_eq!(port_proto(None, Some(1)), "ICMP");
        assert_eq!(port_proto(Some(5), Some(253)), "5/253");
        assert_eq!(port_proto(None, None), "-");
    }
}
