//! The flow inspector: a talker's conversations, then a conversation's raw records, with
//! totals, flow-size and duration percentiles, and the diagnosis of its REJECTs (security
//! group or network ACL). Takes the whole body while open; Esc goes back.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::{View, fit, pane_block, percent, put_line, right, span};
use crate::core::histograms::Percentiles;
use crate::parse::Action as FlowAction;
use crate::snapshot::HistogramSummary;
use crate::ui::app::UiState;
use crate::ui::layout::{ListArea, Slot, scroll_offset};
use crate::ui::queries::{InspectorData, RecordRow, port_proto};
use crate::ui::theme::Theme;
use crate::units::{bytes, count, duration, utc};

/// The fewest rows worth drawing the key's charts in, and the most they take.
const CHARTS_MIN: u16 = 8;
const CHARTS_MAX: u16 = 16;

/// The key's own ACCEPT/REJECT over time (left) and ports × time (right): when it started,
/// and on which ports.
fn key_charts(
    buf: &mut Buffer,
    area: Rect,
    snap: &crate::snapshot::Snapshot,
    state: &UiState,
    view: &View<'_>,
    theme: &Theme,
) {
    let left = Rect {
        width: area.width / 2,
        ..area
    };
    let right_half = Rect {
        x: area.x + left.width,
        width: area.width - left.width,
        ..area
    };
    let key_view = View {
        shown: snap,
        ..*view
    };
    super::series::render(buf, Slot::Full(left), &key_view, theme);
    let rows = super::heatmap::port_rows(snap);
    let list = ListArea {
        rows: Rect {
            x: right_half.x + 1,
            y: right_half.y + 1,
            width: right_half.width.saturating_sub(2),
            height: right_half.height.saturating_sub(3),
        },
        offset: 0,
    };
    super::heatmap::render(
        buf,
        Slot::Full(right_half),
        &list,
        &rows,
        state,
        &key_view,
        theme,
    );
}

/// What the inspector's numbers cover when the store evicted records to keep its budget:
/// `covers records since 14:02; 137.6k older records evicted, raise --memory`.
fn coverage<'a>(data: &InspectorData, theme: &Theme) -> Option<Vec<Span<'a>>> {
    let r = data.retention;
    if r.evicted == 0 {
        return None;
    }
    let since = r.coverage.map_or_else(
        || "covers no retained records".to_string(),
        |(from, _)| format!("covers records since {}", super::status::short_time(from)),
    );
    Some(vec![span(
        format!(
            "{since}; {} older records evicted, raise --memory",
            crate::units::count(r.evicted)
        ),
        theme.alert(),
    )])
}

/// Draws the inspector in `area`; returns where its list rows are.
pub fn render(
    buf: &mut Buffer,
    area: Rect,
    state: &UiState,
    view: &View<'_>,
    theme: &Theme,
) -> ListArea {
    let crumbs: Vec<String> = state.drill.iter().map(|l| fit(&l.title, 40)).collect();
    let title = Line::from(vec![
        span(" Inspector: ", theme.title()),
        span(crumbs.join(" > "), theme.title()),
        span(" ", theme.title()),
        span("Esc", theme.key()),
        span(" back ", theme.dim()),
    ]);
    let block = pane_block(title, true, theme);
    let inner = block.inner(area);
    block.render(area, buf);
    let Some(data) = view.inspector else {
        put_line(buf, inner, 0, vec![span("loading…", theme.dim())]);
        return ListArea::default();
    };
    let mut y = 0;
    put_line(buf, inner, y, totals(data, theme));
    y += 1;
    if let Some(line) = coverage(data, theme) {
        put_line(buf, inner, y, line);
        y += 1;
    }
    for line in percentiles(&data.histograms, usize::from(inner.width), theme) {
        put_line(buf, inner, y, line);
        y += 1;
    }
    let chosen = state.drill.last().map_or(0, |l| l.finding);
    y += diagnosis(buf, inner, y, data, chosen, theme);
    let records = state.drill.len() >= 2;
    let selected = state.drill.last().map_or(0, |l| l.selected);
    // Records keep room for the selected one's detail below the list.
    let detail_h = if records {
        (inner.height.saturating_sub(y) / 2).clamp(0, 8)
    } else {
        0
    };
    let list_top = y + 1;
    // Conversations leave what they do not need to the key's own charts (from 8 rows).
    let charts_h = if records {
        0
    } else {
        let free = inner.height.saturating_sub(list_top);
        let needed = (data.conversations.len() as u16).max(3);
        let spare = free.saturating_sub(needed);
        if spare >= CHARTS_MIN {
            spare.min(CHARTS_MAX)
        } else {
            0
        }
    };
    let list_h = inner.height.saturating_sub(list_top + detail_h + charts_h);
    if charts_h > 0
        && let Some(snap) = data.view.as_deref()
    {
        let charts = Rect {
            x: inner.x,
            y: inner.y + inner.height - charts_h,
            width: inner.width,
            height: charts_h,
        };
        key_charts(buf, charts, snap, state, view, theme);
    }
    let list = ListArea {
        rows: Rect {
            x: inner.x,
            y: inner.y + list_top,
            width: inner.width,
            height: list_h,
        },
        offset: scroll_offset(selected, usize::from(list_h)),
    };
    let width = usize::from(inner.width);
    if records {
        put_line(buf, inner, y, record_header(width, theme));
        for (i, r) in data
            .records
            .iter()
            .enumerate()
            .skip(list.offset)
            .take(list.visible())
        {
            let row = list_top + (i - list.offset) as u16;
            put_line(buf, inner, row, record_line(r, width, theme));
            if i == selected {
                highlight(buf, inner, row, theme);
            }
        }
        if data.records.is_empty() {
            put_line(
                buf,
                inner,
                list_top,
                vec![span("no records retained", theme.dim())],
            );
        }
        if let Some(r) = data.records.get(selected) {
            let detail = Rect {
                y: inner.y + list_top + list_h,
                height: detail_h,
                ..inner
            };
            record_detail(buf, detail, r, theme);
        }
    } else {
        let key_w = conversation_key_width(data, &list, width);
        put_line(buf, inner, y, conversation_header(key_w, theme));
        for (i, c) in data
            .conversations
            .iter()
            .enumerate()
            .skip(list.offset)
            .take(list.visible())
        {
            let row = list_top + (i - list.offset) as u16;
            let s = &c.conversation.stats;
            let num_w = NUM_W;
            let key = fit(&c.label, key_w);
            put_line(
                buf,
                inner,
                row,
                vec![
                    span(format!("{key:<key_w$} "), theme.text()),
                    span(right(&count(s.flows), num_w), theme.text()),
                    span(format!(" {}", right(&bytes(s.bytes), num_w)), theme.text()),
                    span(
                        format!(" {}", right(&count(s.packets), num_w)),
                        theme.text(),
                    ),
                    span(
                        format!(" {}", right(&percent(s.reject, s.accept + s.reject), num_w)),
                        if s.reject > 0 {
                            theme.reject()
                        } else {
                            theme.dim()
                        },
                    ),
                ],
            );
            if i == selected {
                highlight(buf, inner, row, theme);
            }
        }
        if data.conversations.is_empty() {
            put_line(
                buf,
                inner,
                list_top,
                vec![span("no conversations in view", theme.dim())],
            );
        }
    }
    list
}

fn highlight(buf: &mut Buffer, inner: Rect, row: u16, theme: &Theme) {
    buf.set_style(
        Rect {
            y: inner.y + row,
            height: 1,
            ..inner
        },
        theme.selected(),
    );
}

fn totals<'a>(data: &InspectorData, theme: &Theme) -> Vec<Span<'a>> {
    let t = &data.totals;
    vec![
        span(format!("{} flows  ", count(t.flows)), theme.text()),
        span(format!("{}  ", bytes(t.bytes)), theme.text()),
        span(format!("{} packets  ", count(t.packets)), theme.text()),
        span(format!("accept {}  ", count(t.accept)), theme.accept()),
        span(
            format!(
                "reject {} ({})",
                count(t.reject),
                percent(t.reject, t.accept + t.reject)
            ),
            if t.reject > 0 {
                theme.reject()
            } else {
                theme.dim()
            },
        ),
    ]
}

fn pct_text(p: Option<Percentiles>, unit: fn(u64) -> String) -> String {
    match p {
        Some(p) => format!(
            "p50 {} p90 {} p99 {} max {}",
            unit(p.p50),
            unit(p.p90),
            unit(p.p99),
            unit(p.max)
        ),
        None => "-".to_string(),
    }
}

/// The size and duration percentiles: one line when it fits `width`, else one line each,
/// so no value is ever cut.
fn percentiles<'a>(h: &HistogramSummary, width: usize, theme: &Theme) -> Vec<Vec<Span<'a>>> {
    let (size, dur) = (pct_text(h.bytes, bytes), pct_text(h.duration, duration));
    if 5 + size.chars().count() + 11 + dur.chars().count() <= width {
        return vec![vec![
            span("size ", theme.dim()),
            span(size, theme.text()),
            span("  duration ", theme.dim()),
            span(dur, theme.text()),
        ]];
    }
    vec![
        vec![span("size     ", theme.dim()), span(size, theme.text())],
        vec![span("duration ", theme.dim()), span(dur, theme.text())],
    ]
}

/// Writes the diagnosis from row `y`: the finding the level has chosen (`n` moves on),
/// `k/N` when there are several, marked when it lies outside the filter. Returns the rows
/// used.
fn diagnosis(
    buf: &mut Buffer,
    inner: Rect,
    y: u16,
    data: &InspectorData,
    chosen: usize,
    theme: &Theme,
) -> u16 {
    let n = data.findings.len();
    if n == 0 {
        put_line(
            buf,
            inner,
            y,
            vec![
                span("Diagnosis: ", theme.title()),
                span("no REJECTed records", theme.dim()),
            ],
        );
        return 1;
    }
    let k = chosen % n;
    let row = &data.findings[k];
    let mut spans = vec![span(
        match n {
            1 => "Diagnosis: ".to_string(),
            n => format!("Diagnosis {}/{n} (n next): ", k + 1),
        },
        theme.title(),
    )];
    if row.outside_view {
        spans.push(span("[outside the filter] ", theme.dim()));
    }
    // The account's rule, when one blocks it, says more than the pattern: it comes first.
    match &row.rules {
        Some(crate::inventory::rules::Verdict::Blocked { rule, .. }) => {
            spans.push(span(row.finding.explain_with(rule), theme.reject()));
        }
        Some(other) => {
            spans.push(span(row.finding.explain(), theme.reject()));
            spans.push(span(" Rules: ", theme.title()));
            spans.push(span(other.text().to_string(), theme.dim()));
        }
        None => spans.push(span(row.finding.explain(), theme.reject())),
    }
    let text = Line::from(spans);
    let rows = inner.height.saturating_sub(y + 3).clamp(1, 3);
    let area = Rect {
        y: inner.y + y,
        height: rows,
        ..inner
    };
    Paragraph::new(text)
        .wrap(Wrap { trim: true })
        .render(area, buf);
    rows
}

/// Width of the inspector's number columns.
const NUM_W: usize = 9;

/// The key column: as wide as the widest row in view (at least the header), never wider
/// than what the numbers leave, so on a wide screen the numbers stay beside their keys.
fn conversation_key_width(data: &InspectorData, list: &ListArea, width: usize) -> usize {
    let room = width.saturating_sub(4 * (NUM_W + 1) + 1).max(10);
    let widest = data
        .conversations
        .iter()
        .skip(list.offset)
        .take(list.visible())
        .map(|c| c.label.chars().count())
        .max()
        .unwrap_or(0);
    room.min(widest.max(CONVERSATION_HEADER.chars().count()) + 2)
}

const CONVERSATION_HEADER: &str = "PEER :PORT/PROTO (Enter: records)";

fn conversation_header<'a>(key_w: usize, theme: &Theme) -> Vec<Span<'a>> {
    let num_w = NUM_W;
    vec![span(
        format!(
            "{:<key_w$} {} {} {} {}",
            fit(CONVERSATION_HEADER, key_w),
            right("FLOWS", num_w),
            right("BYTES", num_w),
            right("PACKETS", num_w),
            right("REJ", num_w)
        ),
        theme.title(),
    )]
}

fn endpoint(addr: Option<std::net::IpAddr>, port: Option<u16>) -> String {
    let a = addr.map_or_else(|| "-".to_string(), |a| a.to_string());
    match port {
        Some(p) => format!("{a}:{p}"),
        None => a,
    }
}

/// Width of the flow column: what the time, counters and action leave.
fn flow_width(width: usize) -> usize {
    width.saturating_sub(14 + 1 + 6 + 10 + 6 + 1).max(20)
}

fn record_header<'a>(width: usize, theme: &Theme) -> Vec<Span<'a>> {
    vec![span(
        fit(
            &format!(
                "{:<14} {:<flow_w$} {:>5} {:>9} {}",
                "END (UTC)",
                "SRC:PORT -> DST:PORT PROTO",
                "PKTS",
                "BYTES",
                "ACTION",
                flow_w = flow_width(width)
            ),
            width,
        ),
        theme.title(),
    )]
}

fn record_line<'a>(r: &RecordRow, width: usize, theme: &Theme) -> Vec<Span<'a>> {
    let rec = &r.record;
    // `11-14 22:16:13`: the year rarely matters in an incident.
    let end = rec.end.map_or_else(
        || "-".to_string(),
        |e| utc(e).chars().skip(5).take(14).collect(),
    );
    let flow_w = flow_width(width);
    let flow = format!(
        "{} -> {} {}",
        endpoint(rec.src, rec.srcport),
        endpoint(rec.dst, rec.dstport),
        port_proto(None, rec.protocol)
    );
    let (action, style) = match rec.action {
        Some(FlowAction::Accept) => ("ACCEPT", theme.accept()),
        Some(FlowAction::Reject) => ("REJECT", theme.reject()),
        None => ("-", theme.dim()),
    };
    let text = format!(
        "{end:<14} {:<flow_w$} {:>5} {:>9} ",
        fit(&flow, flow_w),
        rec.packets.map_or("-".to_string(), count),
        rec.bytes.map_or("-".to_string(), bytes),
    );
    let used = text.chars().count();
    vec![
        span(fit(&text, width), theme.text()),
        span(fit(action, width.saturating_sub(used)), style),
    ]
}

fn record_detail(buf: &mut Buffer, area: Rect, r: &RecordRow, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    let at = match r.line {
        Some(n) => format!("{}:{n}", crate::sanitize::escape(r.file.as_bytes())),
        None => format!(
            "{} (byte {})",
            crate::sanitize::escape(r.file.as_bytes()),
            r.record.position.offset
        ),
    };
    let mut lines = vec![Line::from(vec![
        span("source ", theme.dim()),
        span(at, theme.text()),
    ])];
    match &r.raw {
        Some(raw) => lines.push(Line::from(vec![
            span("raw    ", theme.dim()),
            span(raw.clone(), theme.text()),
        ])),
        None => lines.push(Line::from(span(
            "raw    (cannot be read again: stdin, or the file rotated)",
            theme.dim(),
        ))),
    }
    if let Some(fields) = &r.fields {
        let mut spans = vec![span("fields ", theme.dim())];
        for (name, value) in fields {
            spans.push(span(format!("{name}="), theme.dim()));
            match crate::names::field_meaning(name, value) {
                Some(meaning) => {
                    spans.push(span(value.clone(), theme.text()));
                    spans.push(span(format!(" ({meaning}) "), theme.dim()));
                }
                None => spans.push(span(format!("{value} "), theme.text())),
            }
        }
        lines.push(Line::from(spans));
    }
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(area, buf);
}
