//! The `report` summary as an aligned text table for people.

use std::fmt::Write;

use super::SummaryOptions;
use super::tops::{ListKind, Row};
use crate::core::{Aggregate, Dimension, Metric};
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
    let alerts = match opts.alerts {
        Some(c) => crate::alerts::summarise(&crate::alerts::evaluate(agg, c)),
        None => Vec::new(),
    };
    for a in alerts {
        let until = match a.closed {
            Some(t) => format!("closed {}", utc(t)),
            None => "still open at the end".to_string(),
        };
        let _ = writeln!(
            out,
            "alert    {} {} {} opened {}, {until}: peak {} {}",
            a.severity.as_str(),
            a.detection.as_str(),
            escape(a.key.as_bytes()),
            utc(a.opened),
            thousands(a.peak),
            a.unit
        );
    }
    let (lists, cost_total) = super::tops::top_lists(agg, opts);
    if let Some(total) = cost_total {
        let _ = writeln!(
            out,
            "cost     ~{} estimated data transfer\n         ({})",
            usd(total),
            super::tops::COST_NOTE
        );
    }
    for list in lists {
        if list.rows.is_empty() {
            continue;
        }
        let (plural, title) = match list.kind {
            ListKind::Dim(d) => (plural(d), d.title()),
            ListKind::Group(g) => (g.plural(), g.title()),
        };
        let rank = if list.by_cost { "estimated cost" } else { by };
        let _ = writeln!(out, "\nTop {plural} by {rank}");
        table(&mut out, list.kind, title, &list.rows);
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

fn table(out: &mut String, kind: ListKind, title: &str, rows: &[Row]) {
    let labels: Vec<String> = rows
        .iter()
        .map(|r| {
            let key = match kind {
                ListKind::Dim(d) => label(d, &r.key),
                ListKind::Group(_) => escape(r.key.as_bytes()),
            };
            match &r.name {
                Some(name) => format!("{key} [{}]", escape(name.as_bytes())),
                None => key,
            }
        })
        .collect();
    let width = labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
        .max(title.len());
    let costed = rows.iter().any(|r| r.cost.is_some());
    let cost_head = if costed { "  est. cost" } else { "" };
    let _ = writeln!(
        out,
        "  {:>3}  {:<width$}  {:>10}  {:>9}  {:>8}  {:>9}  {:>9}{cost_head}",
        "#", title, "flows", "bytes", "packets", "accept", "reject"
    );
    for (i, (r, l)) in rows.iter().zip(&labels).enumerate() {
        let cost = match r.cost {
            Some(c) if costed => format!("  {:>9}", usd(c)),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "  {:>3}  {:<width$}  {:>10}  {:>9}  {:>8}  {:>9}  {:>9}{cost}",
            i + 1,
            l,
            thousands(r.stats.flows),
            bytes(r.stats.bytes),
            count(r.stats.packets),
            thousands(r.stats.accept),
            thousands(r.stats.reject)
        );
    }
}

/// Dollars for a table: cents, and four places below one cent so small costs still differ
/// from nothing.
fn usd(amount: f64) -> String {
    if amount > 0.0 && amount < 0.01 {
        format!("${amount:.4}")
    } else {
        format!("${amount:.2}")
    }
}
