//! The `report` summary as an aligned text table for people.

use std::fmt::Write;

use super::SummaryOptions;
use crate::core::{Aggregate, Dimension, Metric, TopEntry};
use crate::sanitize::escape;
use crate::units::{bytes, count, duration, thousands, utc};

/// Renders the summary. `input_names[i]` names input `i`.
pub fn render(agg: &Aggregate, input_names: &[String], opts: SummaryOptions<'_>) -> String {
    let mut out = String::new();
    let c = &agg.counts;
    let by = match opts.by {
        Metric::Bytes => "bytes",
        Metric::Packets => "packets",
        Metric::Flows => "flows",
    };
    let _ = writeln!(
        out,
        "lines {}   records {}   headers {}   blank {}   malformed {}",
        thousands(c.lines),
        thousands(c.records),
        thousands(c.headers),
        thousands(c.blank),
        thousands(c.malformed)
    );
    if let Some(f) = opts.filter {
        let _ = writeln!(
            out,
            "filter   {}: {} of {} records match",
            escape(f.to_string().as_bytes()),
            thousands(c.matched),
            thousands(c.records)
        );
    }
    let _ = writeln!(
        out,
        "status   OK {}   NODATA {}   SKIPDATA {}",
        thousands(c.ok),
        thousands(c.nodata),
        thousands(c.skipdata)
    );
    let t = &agg.totals;
    let _ = writeln!(
        out,
        "traffic  {} flows   {}   {} packets",
        thousands(t.flows),
        bytes(t.bytes),
        count(t.packets)
    );
    for (name, s) in [("ACCEPT", &agg.accept), ("REJECT", &agg.reject)] {
        let share = if t.flows > 0 {
            100.0 * s.flows as f64 / t.flows as f64
        } else {
            0.0
        };
        let _ = writeln!(
            out,
            "  {name}  {} flows ({share:.1}%)   {}   {} packets",
            thousands(s.flows),
            bytes(s.bytes),
            count(s.packets)
        );
    }
    if let Some(e) = super::json::EncryptionDoc::of(agg.encryption) {
        let _ = writeln!(
            out,
            "crypto   {:.1}% of flows in cleartext ({} of {})   Nitro {}   TLS {}   both {}",
            100.0 * e.cleartext_share,
            thousands(e.cleartext),
            thousands(e.cleartext + e.nitro + e.tls + e.both),
            thousands(e.nitro),
            thousands(e.tls),
            thousands(e.both)
        );
    }
    match (agg.first_start, agg.last_end) {
        (Some(a), Some(b)) => {
            let _ = writeln!(
                out,
                "time     {} → {} ({})",
                utc(a),
                utc(b),
                duration(b.saturating_sub(a))
            );
        }
        _ => {
            let _ = writeln!(out, "time     no record has start/end");
        }
    }
    let h = &agg.histograms;
    if let (Some(b), Some(d)) = (h.bytes(), h.duration()) {
        let _ = writeln!(
            out,
            "size     p50 {}  p90 {}  p99 {}  max {} per flow\n\
             duration p50 {}  p90 {}  p99 {}  max {}",
            bytes(b.p50),
            bytes(b.p90),
            bytes(b.p99),
            bytes(b.max),
            duration(d.p50),
            duration(d.p90),
            duration(d.p99),
            duration(d.max)
        );
    }
    let series = agg.series.buckets();
    if let Some(peak) = series
        .iter()
        .max_by_key(|(_, b)| (b.reject_flows, b.accept_flows))
    {
        let rejects: u64 = series.iter().map(|(_, b)| b.reject_flows).sum();
        if rejects > 0 {
            let _ = writeln!(
                out,
                "rejects  peak {} in the {} bucket at {}",
                thousands(peak.1.reject_flows),
                duration(agg.series.width()),
                utc(peak.0)
            );
        }
    }
    for dim in Dimension::ALL {
        let list = agg.top(dim, opts.by, opts.top);
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\nTop {} by {by}", plural(dim));
        table(&mut out, dim, &list, opts.inventory);
    }
    if c.malformed > 0 {
        let _ = writeln!(
            out,
            "\nMalformed lines: {} (first {} shown)",
            thousands(c.malformed),
            agg.examples.len()
        );
        let mut reasons: Vec<_> = agg.malformed_reasons.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let summary: Vec<_> = reasons
            .iter()
            .map(|(k, v)| format!("{k} {}", thousands(**v)))
            .collect();
        let _ = writeln!(out, "  by reason: {}", summary.join(", "));
        for e in &agg.examples {
            let name = input_names
                .get(e.input as usize)
                .map_or("?", String::as_str);
            let _ = writeln!(
                out,
                "  {}:{}: {}",
                escape(name.as_bytes()),
                e.line,
                e.reason
            );
            let _ = writeln!(out, "    {}", e.text);
        }
    }
    out
}

fn plural(dim: Dimension) -> &'static str {
    match dim {
        Dimension::Src => "sources",
        Dimension::Dst => "destinations",
        Dimension::Pair => "pairs",
        Dimension::DstPort => "destination ports",
        Dimension::Interface => "interfaces",
        Dimension::Protocol => "protocols",
    }
}

/// A key with its well-known name: `22 (ssh)`, `6 (TCP)`.
fn label(dim: Dimension, key: &str) -> String {
    let name = match dim {
        Dimension::DstPort => key.parse().ok().and_then(crate::names::service),
        Dimension::Protocol => key.parse().ok().and_then(crate::names::protocol),
        _ => None,
    };
    match name {
        Some(n) => format!("{key} ({n})"),
        None => escape(key.as_bytes()),
    }
}

fn table(
    out: &mut String,
    dim: Dimension,
    list: &[TopEntry],
    inventory: Option<&crate::inventory::Inventory>,
) {
    let labels: Vec<String> = list
        .iter()
        .map(|e| match super::key_name(inventory, dim, &e.key) {
            Some(name) => format!("{} [{}]", label(dim, &e.key), escape(name.as_bytes())),
            None => label(dim, &e.key),
        })
        .collect();
    let width = labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
        .max(dim.title().len());
    let _ = writeln!(
        out,
        "  {:>3}  {:<width$}  {:>10}  {:>9}  {:>8}  {:>9}  {:>9}",
        "#",
        dim.title(),
        "flows",
        "bytes",
        "packets",
        "accept",
        "reject"
    );
    for (i, (e, l)) in list.iter().zip(&labels).enumerate() {
        let _ = writeln!(
            out,
            "  {:>3}  {:<width$}  {:>10}  {:>9}  {:>8}  {:>9}  {:>9}",
            i + 1,
            l,
            thousands(e.stats.flows),
            bytes(e.stats.bytes),
            count(e.stats.packets),
            thousands(e.stats.accept),
            thousands(e.stats.reject)
        );
    }
}
