//! `report --drill KEY`: the headless twin of the dashboard's flow inspector. From the
//! retained records it lists the key's conversations and its newest records with their raw
//! lines (read back from the inputs, escaped).

use std::fmt::Write;
use std::net::IpAddr;

use serde::Serialize;

use crate::core::{Metric, Stats};
use crate::diagnose::{Finding, Observation, diagnose};
use crate::filter::Filter;
use crate::inventory::Inventory;
use crate::inventory::rules::Verdict;
use crate::names;
use crate::sanitize::escape_limited;
use crate::source::InputSpec;
use crate::source::input::{LineAt, read_lines_at};
use crate::store::StoreState;
use crate::store::query::{Conversation, StoredRecord, conversations, records};
use crate::units::{bytes, count, thousands, utc};

/// How much of a raw line is shown.
const RAW_CHARS: usize = 400;

/// How many of the key's newest records the diagnosis looks at.
const DIAGNOSIS_RECORDS: usize = 100_000;

/// What the drill-down found.
#[derive(Debug, Serialize)]
pub struct DrillDoc {
    /// The key as given (a filter expression).
    pub key: String,
    /// Records retained in the store (all records, not only the key's).
    pub retained: u64,
    /// Records evicted to stay within `--memory`: the drill-down cannot see them.
    pub evicted: u64,
    /// The `end` range in which every record is still retained (`null` when none is).
    pub coverage: Option<CoverageDoc>,
    /// The key's conversations, largest first.
    pub conversations: Vec<ConversationDoc>,
    /// The key's newest records, newest first.
    pub records: Vec<RecordDoc>,
    /// What the key's REJECT records mean (security group or network ACL), most rejected
    /// first; from the key's newest 100,000 records, ignoring `--filter` (replies count).
    pub diagnosis: Vec<DiagnosisDoc>,
    /// Why there are no records, when the key is traffic flow logs never record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One diagnosis: a finding and its explanation.
#[derive(Debug, Serialize)]
pub struct DiagnosisDoc {
    /// The finding.
    #[serde(flatten)]
    pub finding: Finding,
    /// The finding in words.
    pub explanation: String,
    /// What the inventory's rules say about it (with `--inventory`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules: Option<Verdict>,
}

/// A time range, Unix seconds, inclusive.
#[derive(Debug, Serialize)]
pub struct CoverageDoc {
    /// First second.
    pub from: u64,
    /// Last second.
    pub to: u64,
}

/// One conversation.
#[derive(Debug, Serialize)]
pub struct ConversationDoc {
    /// The other side (for a host key) or the source address.
    pub peer: Option<String>,
    /// Who the peer is, by the inventory (`--inventory`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The service port (the server's side, whichever way each record went); `null` when
    /// the row stands for many ports.
    pub port: Option<u16>,
    /// How many distinct service ports the row stands for (more than one: a port scan).
    pub ports: u64,
    /// Protocol number.
    pub protocol: Option<u8>,
    /// Its totals (OK records): flows, bytes, packets, accept, reject.
    #[serde(flatten)]
    pub stats: Stats,
}

/// One retained record with its raw line.
#[derive(Debug, Serialize)]
pub struct RecordDoc {
    /// The input it came from.
    pub file: String,
    /// 1-based line number in that input (`null` when it cannot be read back, e.g. stdin).
    pub line: Option<u64>,
    /// Byte offset of its line in the (decoded) input.
    pub offset: u64,
    /// `end`, Unix seconds.
    pub end: Option<u64>,
    /// The raw line, control characters escaped (`null` when it cannot be read back, e.g.
    /// from stdin).
    pub raw: Option<String>,
}

/// What to drill into.
#[derive(Debug, Clone, Copy)]
pub struct DrillRequest<'a> {
    /// The key, as a filter (`host=10.0.0.5`, `dstport=22`, …).
    pub key: &'a Filter,
    /// The report's `--filter`, which the drill-down stays within.
    pub filter: Option<&'a Filter>,
    /// Conversations and records to show.
    pub limit: usize,
    /// What conversations are sorted by.
    pub metric: Metric,
    /// The account's inventory, to judge findings by its rules.
    pub inventory: Option<&'a Inventory>,
}

/// Runs the drill-down over `state`; `inputs`/`names` resolve record positions.
pub fn drill(
    state: &StoreState,
    req: DrillRequest<'_>,
    inputs: &[InputSpec],
    names: &[String],
    threads: usize,
) -> DrillDoc {
    let DrillRequest {
        key,
        filter,
        limit,
        metric,
        inventory,
    } = req;
    let within = filter.filter(|f| !f.is_all()).map(|f| key.and(f));
    let select = within.as_ref().unwrap_or(key);
    let conv = conversations(state, select, key.single_host(), metric, threads);
    // Replies matter to the diagnosis even when `--filter` would hide them.
    let sample = records(state, key, 0, DIAGNOSIS_RECORDS.max(limit), threads);
    // Without a filter the listing is the sample's newest records: no second scan.
    let filtered;
    let recs: &[StoredRecord] = match within {
        Some(_) => {
            filtered = records(state, select, 0, limit, threads);
            &filtered
        }
        None => &sample[..limit.min(sample.len())],
    };
    let observed = sample
        .iter()
        .take(DIAGNOSIS_RECORDS)
        .filter_map(Observation::of);
    let diagnosis = diagnose(observed, limit)
        .into_iter()
        .map(|finding| DiagnosisDoc {
            explanation: finding.explain(),
            rules: inventory
                .filter(|_| finding.judged_by_rules())
                .map(|inv| inv.judge(finding.request())),
            finding,
        })
        .collect();
    DrillDoc {
        key: key.to_string(),
        retained: state.records,
        evicted: state.evicted_records,
        coverage: state.coverage().map(|(from, to)| CoverageDoc { from, to }),
        conversations: conv
            .iter()
            .take(limit)
            .map(|c| conversation_doc(c, req.inventory))
            .collect(),
        note: unlogged_note(key, inventory).filter(|_| recs.is_empty()),
        records: record_docs(recs, inputs, names),
        diagnosis,
    }
}

/// "no records: traffic to 169.254.169.254 (instance metadata) is never logged", when `key`
/// is one host whose traffic flow logs never record.
pub fn unlogged_note(key: &Filter, inventory: Option<&Inventory>) -> Option<String> {
    let host = key.single_host()?;
    let what = match inventory {
        Some(inv) => inv.never_logged(host),
        None => crate::names::never_logged(host).map(str::to_string),
    }?;
    Some(format!(
        "no records: traffic to {host} ({what}) is never logged by VPC Flow Logs"
    ))
}

fn conversation_doc(
    c: &Conversation,
    inventory: Option<&crate::inventory::Inventory>,
) -> ConversationDoc {
    ConversationDoc {
        peer: c.peer.map(|p: IpAddr| p.to_string()),
        name: c.peer.zip(inventory).and_then(|(p, inv)| inv.name_of(p)),
        port: c.port,
        ports: c.ports,
        protocol: c.protocol,
        stats: c.stats,
    }
}

/// The records with their raw lines and line numbers, read back with one pass per input.
fn record_docs(recs: &[StoredRecord], inputs: &[InputSpec], names: &[String]) -> Vec<RecordDoc> {
    let mut offsets: std::collections::BTreeMap<usize, Vec<u64>> = Default::default();
    for r in recs {
        offsets
            .entry(r.position.input as usize)
            .or_default()
            .push(r.position.offset);
    }
    let mut lines: std::collections::HashMap<(usize, u64), LineAt> = Default::default();
    for (i, wanted) in offsets {
        let Some(spec) = inputs.get(i) else { continue };
        for l in read_lines_at(spec, &wanted, 64 * 1024).unwrap_or_default() {
            lines.insert((i, l.offset), l);
        }
    }
    recs.iter()
        .map(|r| {
            let i = r.position.input as usize;
            let at = lines.get(&(i, r.position.offset));
            RecordDoc {
                file: names.get(i).cloned().unwrap_or_default(),
                line: at.map(|l| l.line),
                offset: r.position.offset,
                end: r.end,
                raw: at.map(|l| escape_limited(crate::parse::strip_cr(&l.bytes), RAW_CHARS)),
            }
        })
        .collect()
}

/// The drill-down as text.
pub fn render(d: &DrillDoc) -> String {
    let mut out = String::new();
    let coverage = match &d.coverage {
        Some(c) if d.evicted > 0 => format!("fully queryable from {}", utc(c.from)),
        Some(_) => "nothing evicted".to_string(),
        None if d.evicted > 0 => "older records evicted; raise --memory".to_string(),
        None => "no records retained".to_string(),
    };
    let _ = writeln!(
        out,
        "\nDrill-down: {} ({} records retained, {} evicted; {coverage})",
        escape_limited(d.key.as_bytes(), 200),
        thousands(d.retained),
        thousands(d.evicted)
    );
    if d.conversations.is_empty() {
        let _ = writeln!(out, "  no OK records match the key");
    } else {
        let _ = writeln!(
            out,
            "  {:<39}  {:<16}  {:<7}  {:>9}  {:>9}  {:>8}  {:>8}  {:>8}",
            "peer", "port", "proto", "flows", "bytes", "packets", "accept", "reject"
        );
        for c in &d.conversations {
            let port = match c.port {
                Some(p) => match names::service(p) {
                    Some(s) => format!("{p} ({s})"),
                    None => p.to_string(),
                },
                None => format!("{} ports", thousands(c.ports)),
            };
            let proto = match c.protocol {
                Some(p) => names::protocol(p).map_or_else(|| p.to_string(), str::to_string),
                None => "-".into(),
            };
            let peer = match (&c.peer, &c.name) {
                (Some(p), Some(n)) => format!("{p} [{}]", crate::sanitize::escape(n.as_bytes())),
                (Some(p), None) => p.clone(),
                (None, _) => "-".to_string(),
            };
            let _ = writeln!(
                out,
                "  {:<39}  {:<16}  {:<7}  {:>9}  {:>9}  {:>8}  {:>8}  {:>8}",
                peer,
                port,
                proto,
                thousands(c.stats.flows),
                bytes(c.stats.bytes),
                count(c.stats.packets),
                thousands(c.stats.accept),
                thousands(c.stats.reject)
            );
        }
    }
    if let Some(note) = &d.note {
        let _ = writeln!(out, "  {note}");
    }
    if !d.diagnosis.is_empty() {
        let _ = writeln!(out, "  diagnosis:");
        for f in &d.diagnosis {
            let _ = writeln!(out, "    {}", f.explanation);
            if let Some(rules) = &f.rules {
                let _ = writeln!(out, "      by the account's rules: {}", rules.text());
            }
        }
    }
    if !d.records.is_empty() {
        let _ = writeln!(out, "  newest records:");
        for r in &d.records {
            let when = r.end.map_or_else(|| "-".to_string(), utc);
            let place = match r.line {
                Some(n) => format!("{}:{n}", escape_limited(r.file.as_bytes(), 200)),
                None => format!(
                    "{} (byte {})",
                    escape_limited(r.file.as_bytes(), 200),
                    r.offset
                ),
            };
            let _ = writeln!(
                out,
                "    {place}  end {when}\n      {}",
                r.raw.as_deref().unwrap_or("(raw line not readable)")
            );
        }
    }
    out
}
