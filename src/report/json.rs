//! The `report --json` document. Key names are a contract; see README "JSON output".

use serde::Serialize;

use super::SummaryOptions;
use super::tops::{GroupDim, ListKind};
use crate::core::histograms::Percentiles;
use crate::core::{Aggregate, Dimension, Stats};
use crate::inventory::GroupKind;

/// The whole report document.
#[derive(Debug, Serialize)]
pub struct ReportDoc {
    /// Every line read.
    pub lines: u64,
    /// Lines decoded as records.
    pub records: u64,
    /// S3 header lines.
    pub headers: u64,
    /// Empty or whitespace-only lines.
    pub blank: u64,
    /// Lines that are none of the above.
    pub malformed: u64,
    /// Records by log-status.
    pub status: StatusDoc,
    /// OK records.
    pub flows: u64,
    /// Bytes of OK records.
    pub bytes: u64,
    /// Packets of OK records.
    pub packets: u64,
    /// OK records by action.
    pub actions: ActionsDoc,
    /// OK records by `encryption-status` (only when a format has the field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption: Option<EncryptionDoc>,
    /// The time span of all records.
    pub time: TimeDoc,
    /// Top lists per dimension.
    pub top: TopDoc,
    /// The data-transfer cost estimate (only with `--by cost`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<CostDoc>,
    /// The alerts the built-in detections raised at their default thresholds (see
    /// `vpctop alerts`), in the order they opened (only with `--alerts`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alerts: Option<Vec<crate::alerts::AlertSummary>>,
    /// The first malformed lines, in input order.
    pub malformed_examples: Vec<ExampleDoc>,
    /// ACCEPT/REJECT per record-time bucket (by `end`), oldest first, non-empty buckets only.
    pub series: Vec<BucketDoc>,
    /// Percentiles of flow size and duration; `null` where nothing was recorded.
    pub histograms: HistogramsDoc,
    /// The `--filter` and how many records passed it (only when one was given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<FilterDoc>,
    /// The `--drill` result (only when one was asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drill: Option<super::drill::DrillDoc>,
    /// Every input's state and counts (only with `--follow`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<crate::snapshot::SourceStatus>>,
}

/// OK records by `encryption-status` (v10).
#[derive(Debug, Serialize, PartialEq)]
pub struct EncryptionDoc {
    /// `0`: not encrypted.
    pub cleartext: u64,
    /// `1`: encrypted by the Nitro hardware.
    pub nitro: u64,
    /// `2`: application-layer TLS.
    pub tls: u64,
    /// `3`: both.
    pub both: u64,
    /// Share of these records in cleartext, 0 to 1.
    pub cleartext_share: f64,
}

impl EncryptionDoc {
    /// The summary of `counts` (by status 0 to 3); `None` when nothing had the field.
    pub fn of(counts: [u64; 4]) -> Option<EncryptionDoc> {
        let all: u64 = counts.iter().sum();
        (all > 0).then(|| EncryptionDoc {
            cleartext: counts[0],
            nitro: counts[1],
            tls: counts[2],
            both: counts[3],
            cleartext_share: counts[0] as f64 / all as f64,
        })
    }
}

/// One time bucket.
#[derive(Debug, Serialize)]
pub struct BucketDoc {
    /// Bucket start, Unix seconds.
    pub start: u64,
    /// Bucket width in seconds (the same for every bucket of a report).
    pub width: u64,
    /// ACCEPT records.
    pub accept_flows: u64,
    /// Bytes of ACCEPT records.
    pub accept_bytes: u64,
    /// REJECT records.
    pub reject_flows: u64,
    /// Bytes of REJECT records.
    pub reject_bytes: u64,
}

/// Percentiles of each distribution.
#[derive(Debug, Serialize)]
pub struct HistogramsDoc {
    /// Bytes per flow.
    pub bytes: Option<Percentiles>,
    /// Packets per flow.
    pub packets: Option<Percentiles>,
    /// Flow duration (`end - start`), seconds.
    pub duration: Option<Percentiles>,
    /// Bytes per packet.
    pub bytes_per_packet: Option<Percentiles>,
}

/// The filter a report was made with.
#[derive(Debug, Serialize)]
pub struct FilterDoc {
    /// The expression as given.
    pub expression: String,
    /// Records that passed it; `status`, totals and top lists count only these.
    pub matched: u64,
}

/// Records by log-status.
#[derive(Debug, Serialize)]
pub struct StatusDoc {
    /// `OK` (or no log-status field).
    #[serde(rename = "OK")]
    pub ok: u64,
    /// `NODATA`.
    #[serde(rename = "NODATA")]
    pub nodata: u64,
    /// `SKIPDATA`.
    #[serde(rename = "SKIPDATA")]
    pub skipdata: u64,
}

/// Totals of one action.
#[derive(Debug, Serialize)]
pub struct TotalsDoc {
    /// Records.
    pub flows: u64,
    /// Sum of bytes.
    pub bytes: u64,
    /// Sum of packets.
    pub packets: u64,
}

/// OK records by action.
#[derive(Debug, Serialize)]
pub struct ActionsDoc {
    /// `ACCEPT`.
    #[serde(rename = "ACCEPT")]
    pub accept: TotalsDoc,
    /// `REJECT`.
    #[serde(rename = "REJECT")]
    pub reject: TotalsDoc,
}

/// The time span of all records.
#[derive(Debug, Serialize)]
pub struct TimeDoc {
    /// Least `start`.
    pub first_start: Option<u64>,
    /// Greatest `end`.
    pub last_end: Option<u64>,
}

/// One top-list entry: its key, then flows, bytes, packets, accept, reject.
#[derive(Debug, Serialize, PartialEq)]
pub struct EntryDoc {
    /// The key as text.
    pub key: String,
    /// Who the key is, by the inventory (`--inventory`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its totals (OK records).
    #[serde(flatten)]
    pub stats: Stats,
    /// Its estimated data-transfer cost in USD (`--by cost`, lists made of addresses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_cost_usd: Option<f64>,
}

/// The estimate behind `--by cost`.
#[derive(Debug, Serialize)]
pub struct CostDoc {
    /// Estimated data-transfer cost of every OK record with both addresses, in USD.
    pub estimated_usd: f64,
    /// The prices applied, USD per GiB.
    pub prices_per_gib: crate::inventory::prices::Prices,
    /// What the estimate is and is not.
    pub note: &'static str,
}

/// Top lists per dimension.
#[derive(Debug, Serialize)]
pub struct TopDoc {
    /// By `srcaddr`.
    pub src: Vec<EntryDoc>,
    /// By `dstaddr`.
    pub dst: Vec<EntryDoc>,
    /// By `srcaddr -> dstaddr`.
    pub pair: Vec<EntryDoc>,
    /// By `dstport`.
    pub dstport: Vec<EntryDoc>,
    /// By `interface-id`.
    pub interface: Vec<EntryDoc>,
    /// By `protocol`.
    pub protocol: Vec<EntryDoc>,
    /// By subnet, either end (`--inventory`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subnet: Option<Vec<EntryDoc>>,
    /// By VPC, either end (`--inventory`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc: Option<Vec<EntryDoc>>,
    /// By security group, either end (`--inventory`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sg: Option<Vec<EntryDoc>>,
    /// By availability zone, either end (`--inventory`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub az: Option<Vec<EntryDoc>>,
    /// By AWS service (`--ip-ranges`), either end outside the account (`--inventory`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<Vec<EntryDoc>>,
    /// By scope: subnet, vpc, cross-vpc, service, internet, private (`--inventory`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<Vec<EntryDoc>>,
}

/// A malformed line.
#[derive(Debug, Serialize)]
pub struct ExampleDoc {
    /// The input as named on the command line.
    pub file: String,
    /// 1-based line number.
    pub line: u64,
    /// Why it is malformed.
    pub reason: String,
    /// The line, control characters escaped.
    pub text: String,
}

fn totals(s: &Stats) -> TotalsDoc {
    TotalsDoc {
        flows: s.flows,
        bytes: s.bytes,
        packets: s.packets,
    }
}

fn entries(rows: &[super::tops::Row]) -> Vec<EntryDoc> {
    rows.iter()
        .map(|r| EntryDoc {
            key: r.key.clone(),
            name: r.name.clone(),
            stats: r.stats,
            estimated_cost_usd: r.cost.map(|c| (c * 1e6).round() / 1e6),
        })
        .collect()
}

impl ReportDoc {
    /// Builds the document; `input_names[i]` names input `i`.
    pub fn new(agg: &Aggregate, input_names: &[String], opts: SummaryOptions<'_>) -> ReportDoc {
        let (lists, cost_total) = super::tops::top_lists(agg, opts);
        let list = |kind: ListKind| {
            lists
                .iter()
                .find(|l| l.kind == kind)
                .map(|l| entries(&l.rows))
        };
        let top = |d: Dimension| list(ListKind::Dim(d)).unwrap_or_default();
        let group = |k: GroupKind| list(ListKind::Group(GroupDim::Of(k)));
        let c = &agg.counts;
        ReportDoc {
            lines: c.lines,
            records: c.records,
            headers: c.headers,
            blank: c.blank,
            malformed: c.malformed,
            status: StatusDoc {
                ok: c.ok,
                nodata: c.nodata,
                skipdata: c.skipdata,
            },
            flows: agg.totals.flows,
            bytes: agg.totals.bytes,
            packets: agg.totals.packets,
            actions: ActionsDoc {
                accept: totals(&agg.accept),
                reject: totals(&agg.reject),
            },
            encryption: EncryptionDoc::of(agg.encryption),
            time: TimeDoc {
                first_start: agg.first_start,
                last_end: agg.last_end,
            },
            top: TopDoc {
                src: top(Dimension::Src),
                dst: top(Dimension::Dst),
                pair: top(Dimension::Pair),
                dstport: top(Dimension::DstPort),
                interface: top(Dimension::Interface),
                protocol: top(Dimension::Protocol),
                subnet: group(GroupKind::Subnet),
                vpc: group(GroupKind::Vpc),
                sg: group(GroupKind::SecurityGroup),
                az: group(GroupKind::Zone),
                service: group(GroupKind::Service),
                scope: list(ListKind::Group(GroupDim::Scope)),
            },
            cost: opts.prices.zip(cost_total).map(|(p, total)| CostDoc {
                estimated_usd: (total * 1e6).round() / 1e6,
                prices_per_gib: *p,
                note: super::tops::COST_NOTE,
            }),
            alerts: opts
                .alerts
                .map(|c| crate::alerts::summarise(&crate::alerts::evaluate(agg, c))),
            malformed_examples: agg
                .examples
                .iter()
                .map(|e| ExampleDoc {
                    file: input_names
                        .get(e.input as usize)
                        .cloned()
                        .unwrap_or_default(),
                    line: e.line,
                    reason: e.reason.clone(),
                    text: e.text.clone(),
                })
                .collect(),
            series: agg
                .series
                .buckets()
                .into_iter()
                .map(|(start, b)| BucketDoc {
                    start,
                    width: agg.series.width(),
                    accept_flows: b.accept_flows,
                    accept_bytes: b.accept_bytes,
                    reject_flows: b.reject_flows,
                    reject_bytes: b.reject_bytes,
                })
                .collect(),
            histograms: HistogramsDoc {
                bytes: agg.histograms.bytes(),
                packets: agg.histograms.packets(),
                duration: agg.histograms.duration(),
                bytes_per_packet: agg.histograms.bytes_per_packet(),
            },
            filter: opts.filter.map(|f| FilterDoc {
                expression: f.to_string(),
                matched: c.matched,
            }),
            drill: None,
            sources: None,
        }
    }
}
