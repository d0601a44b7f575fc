//! Top talkers: rank, key (with service and protocol names), bytes, packets, flows, a
//! share bar of the sort metric and the REJECT share. Rows scroll with the selection.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::{View, fit, pane_block, percent, put_line, right, span};
use crate::core::{Dimension, Metric, TopEntry};
use crate::names;
use crate::snapshot::Snapshot;
use crate::snapshot::groups::{CostList, GroupDim};
use crate::ui::app::{Focus, UiState};
use crate::ui::layout::ListArea;
use crate::ui::theme::Theme;
use crate::units::{bytes, count};

const NUM_W: usize = 9;
const SHARE_W: usize = 11;
/// The widest the share column grows on a wide screen.
const SHARE_MAX: usize = 45;
/// The narrowest key column on a wide screen (before any key is known).
const KEY_MIN: usize = 24;
const REJ_W: usize = 6;

/// How a key reads with its owner's name from the inventory or the records' tags, when
/// either has one.
fn named_label(
    dim: Dimension,
    key: &str,
    (inventory, tags): (Option<&crate::inventory::Inventory>, &crate::core::TagNames),
) -> String {
    let label = key_label(dim, key);
    match crate::report::key_name(inventory, tags, dim, key) {
        Some(name) => format!("{label} {}", crate::sanitize::escape(name.as_bytes())),
        None => label,
    }
}

/// What the pane lists as `state` looks at `snap`.
pub struct Listing<'s> {
    /// The rows, best first.
    pub entries: &'s [TopEntry],
    /// How many keys there are.
    pub distinct: usize,
    /// The column title.
    pub title: &'static str,
    /// With the cost ranking on a list that can be costed: each row's estimated cost (same
    /// order) and the total in view.
    pub costs: Option<(&'s [f64], f64)>,
}

/// What the pane lists: one of the aggregate's dimensions or a grouping by the inventory,
/// ranked by the metric or, on the lists made of addresses, by estimated cost.
pub fn listing<'s>(snap: &'s Snapshot, state: &UiState) -> Listing<'s> {
    let (entries, distinct, title, which) = match state.group {
        Some(g) => {
            let (entries, distinct) = snap.group_top(g, state.metric);
            (entries, distinct, g.title(), Some(CostList::Group(g)))
        }
        None => {
            let d = Dimension::ALL
                .iter()
                .position(|x| *x == state.dimension)
                .unwrap_or(0);
            let costable = matches!(
                state.dimension,
                Dimension::Src | Dimension::Dst | Dimension::Pair
            );
            (
                snap.top(state.dimension, state.metric),
                snap.distinct[d],
                state.dimension.title(),
                costable.then_some(CostList::Dim(state.dimension)),
            )
        }
    };
    let costed = match (state.by_cost, which) {
        (true, Some(w)) => Some(
            snap.costs
                .as_ref()
                .and_then(|c| c.list(w).map(|(e, costs)| (e, costs, c.total)))
                .unwrap_or((&[], &[], 0.0)),
        ),
        _ => None,
    };
    Listing {
        entries: costed.map_or(entries, |(e, _, _)| e),
        distinct,
        title,
        costs: costed.map(|(_, costs, total)| (costs, total)),
    }
}

/// Dollars as the cost column shows them: cents, or `<$0.01` for less but not nothing.
fn usd(amount: f64) -> String {
    if amount > 0.0 && amount < 0.01 {
        "<$0.01".to_string()
    } else {
        format!("${amount:.2}")
    }
}

/// How a row's key reads in the current listing, with its name when one is known.
fn row_label(
    state: &UiState,
    key: &str,
    names: (Option<&crate::inventory::Inventory>, &crate::core::TagNames),
) -> String {
    let Some(group) = state.group else {
        return named_label(state.dimension, key, names);
    };
    let shown = crate::sanitize::escape(key.as_bytes());
    let name = match (group, names.0) {
        (GroupDim::Of(kind), Some(inv)) => inv.group_name(kind, key),
        _ => None,
    };
    match name {
        Some(n) => format!("{shown} {}", crate::sanitize::escape(n.as_bytes())),
        None => shown,
    }
}

/// How a key reads: ports and protocols get their names, everything is escaped.
pub fn key_label(dim: Dimension, key: &str) -> String {
    let named = match dim {
        Dimension::DstPort => key
            .parse::<u16>()
            .ok()
            .and_then(names::service)
            .map(|s| format!("{key} {s}")),
        Dimension::Protocol => key
            .parse::<u8>()
            .ok()
            .and_then(names::protocol)
            .map(|p| format!("{key} {p}")),
        _ => None,
    };
    crate::sanitize::escape(named.as_deref().unwrap_or(key).as_bytes())
}

fn metric_name(m: Metric) -> &'static str {
    match m {
        Metric::Bytes => "bytes",
        Metric::Packets => "packets",
        Metric::Flows => "flows",
    }
}

/// A bar of `fraction` in `width` cells, in half-cell steps.
fn bar(fraction: f64, width: usize) -> String {
    let halves = (fraction.clamp(0.0, 1.0) * (width * 2) as f64).round() as usize;
    let mut s = "█".repeat(halves / 2);
    if halves % 2 == 1 {
        s.push('▌');
    }
    format!("{s:<width$}")
}

/// Draws the pane in `area` (or its summary line when not `full`).
pub fn render(
    buf: &mut Buffer,
    area: Rect,
    full: bool,
    list: &ListArea,
    state: &UiState,
    view: &View<'_>,
    theme: &Theme,
) {
    let snap = view.shown;
    let shown = listing(snap, state);
    let (entries, distinct, dim_title) = (shown.entries, shown.distinct, shown.title);
    let ranked_by = match (state.by_cost, shown.costs) {
        (true, Some(_)) => "est. cost",
        (true, None) => "bytes (cost: addresses and groups only)",
        (false, _) => metric_name(state.metric),
    };
    if !full {
        let top = entries.first().map_or("-".to_string(), |e| {
            row_label(state, &e.key, (view.inventory, &snap.tags))
        });
        put_line(
            buf,
            area,
            0,
            vec![
                span(format!("top {dim_title}: "), theme.title()),
                span(top, theme.text()),
                span(
                    format!(" ({} distinct)", count(distinct as u64)),
                    theme.dim(),
                ),
            ],
        );
        return;
    }
    let title = Line::from(vec![
        span(" Top ", theme.title()),
        span(dim_title, theme.title()),
        span(
            format!(" by {ranked_by} ({} distinct) ", count(distinct as u64)),
            theme.title(),
        ),
        span("d", theme.key()),
        span(" group ", theme.dim()),
        span("s", theme.key()),
        span(" sort ", theme.dim()),
    ]);
    let block = pane_block(title, state.focus == Focus::Talkers, theme);
    let inner = block.inner(area);
    block.render(area, buf);
    let width = usize::from(inner.width);
    let rank_w = 3;
    let fixed = rank_w + 1 + 3 * (NUM_W + 1) + SHARE_W + 1 + REJ_W;
    // Narrow screens drop the share bar, then packets, before the key gets unreadable.
    let show_share = width >= fixed + 16;
    let show_packets = width >= fixed - SHARE_W - 1 + 16;
    let room = width
        .saturating_sub(fixed)
        .saturating_add(if show_share { 0 } else { SHARE_W + 1 })
        .saturating_add(if show_packets || show_share {
            0
        } else {
            NUM_W + 1
        })
        .max(8);
    // On a wide screen the key column is as wide as the widest key in view (never less than
    // KEY_MIN) and what is left widens the share bar, so the numbers stay beside their key;
    // any width beyond that stays empty at the right.
    let widest = entries
        .iter()
        .skip(list.offset)
        .take(list.visible())
        .map(|e| {
            row_label(state, &e.key, (view.inventory, &snap.tags))
                .chars()
                .count()
        })
        .max()
        .unwrap_or(0);
    let key_w = room.min(widest.max(KEY_MIN) + 2);
    let share_w = if show_share {
        (SHARE_W + room - key_w).min(SHARE_MAX)
    } else {
        SHARE_W
    };
    let sort = |m: Metric, label: &str| {
        let text = right(label, NUM_W);
        if m == state.metric && shown.costs.is_none() {
            span(
                text,
                theme
                    .title()
                    .add_modifier(ratatui::style::Modifier::UNDERLINED),
            )
        } else {
            span(text, theme.title())
        }
    };
    let mut header = vec![
        span(format!("{:<rank_w$} ", "#"), theme.title()),
        span(
            format!("{:<key_w$}", fit(&dim_title.to_uppercase(), key_w)),
            theme.title(),
        ),
        sort(Metric::Bytes, "BYTES"),
        span(" ", theme.title()),
    ];
    if show_packets {
        header.push(sort(Metric::Packets, "PACKETS"));
        header.push(span(" ", theme.title()));
    }
    header.push(sort(Metric::Flows, "FLOWS"));
    if show_share {
        let head = match shown.costs {
            Some(_) if share_w >= 16 => "EST. COST (USD)",
            Some(_) => "EST. COST",
            None => "SHARE",
        };
        header.push(span(
            format!(" {:<share_w$}", fit(head, share_w)),
            theme.title(),
        ));
    }
    header.push(span(format!(" {}", right("REJ", REJ_W)), theme.title()));
    put_line(buf, inner, 0, header);
    if entries.is_empty() {
        let unlogged = state
            .filter
            .as_deref()
            .and_then(|f| crate::report::drill::unlogged_note(f, view.inventory));
        let why = if view.updating {
            "updating…".to_string()
        } else if let Some(note) = unlogged {
            note
        } else if state.filter.is_some() {
            "no records match the filter".to_string()
        } else {
            "no records yet".to_string()
        };
        put_line(buf, inner, 1, vec![span(why, theme.dim())]);
        return;
    }
    let whole = snap.totals.metric(state.metric);
    for (i, e) in entries
        .iter()
        .enumerate()
        .skip(list.offset)
        .take(list.visible())
    {
        let row = (i - list.offset) as u16 + 1;
        let cost = shown
            .costs
            .map(|(c, total)| (c.get(i).copied().unwrap_or(0.0), total));
        let spans = row_spans(
            i,
            e,
            (whole, cost),
            RowLayout {
                key_w,
                inventory: view.inventory,
                tags: &snap.tags,
                show_packets,
                show_share,
                share_w,
            },
            state,
            theme,
        );
        put_line(buf, inner, row, spans);
        if i == state.selected && state.drill.is_empty() {
            let line = Rect {
                x: inner.x,
                y: inner.y + row,
                width: inner.width,
                height: 1,
            };
            buf.set_style(line, theme.selected());
        }
    }
}

#[derive(Clone, Copy)]
struct RowLayout<'v> {
    key_w: usize,
    inventory: Option<&'v crate::inventory::Inventory>,
    tags: &'v crate::core::TagNames,
    show_packets: bool,
    show_share: bool,
    share_w: usize,
}

fn row_spans<'a>(
    i: usize,
    e: &TopEntry,
    (whole, cost): (u64, Option<(f64, f64)>),
    layout: RowLayout<'_>,
    state: &UiState,
    theme: &Theme,
) -> Vec<Span<'a>> {
    let key_w = layout.key_w;
    let s = &e.stats;
    let mut spans = vec![
        span(format!("{:<3} ", i + 1), theme.dim()),
        span(
            format!(
                "{:<key_w$}",
                fit(
                    &row_label(state, &e.key, (layout.inventory, layout.tags)),
                    key_w
                )
            ),
            theme.text(),
        ),
        span(right(&bytes(s.bytes), NUM_W), theme.text()),
        span(" ", theme.text()),
    ];
    if layout.show_packets {
        spans.push(span(right(&count(s.packets), NUM_W), theme.text()));
        spans.push(span(" ", theme.text()));
    }
    spans.push(span(right(&count(s.flows), NUM_W), theme.text()));
    if layout.show_share {
        let (fraction, label) = match cost {
            // The share of the estimated cost in view, and the estimate itself.
            Some((c, total)) => (if total > 0.0 { c / total } else { 0.0 }, usd(c)),
            None => {
                let fraction = match whole {
                    0 => 0.0,
                    w => s.metric(state.metric) as f64 / w as f64,
                };
                (fraction, format!("{:>3.0}%", fraction * 100.0))
            }
        };
        let label_w = label.chars().count().max(4);
        spans.push(span(" ", theme.text()));
        spans.push(span(
            bar(fraction, layout.share_w.saturating_sub(label_w + 1)),
            theme.accept(),
        ));
        spans.push(span(format!(" {label:>label_w$}"), theme.dim()));
    }
    let rej = percent(s.reject, s.accept + s.reject);
    let rej_style = if s.reject > 0 {
        theme.reject()
    } else {
        theme.dim()
    };
    spans.push(span(format!(" {}", right(&rej, REJ_W)), rej_style));
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_grow_in_half_cells() {
        assert_eq!(bar(0.0, 4), "    ");
        assert_eq!(bar(0.5, 4), "██  ");
        assert_eq!(bar(0.0625 * 2.0, 4), "▌   ");
        assert_eq!(bar(2.0, 2), "██");
    }

    #[test]
    fn keys_get_service_names_and_are_escaped() {
        assert_eq!(key_label(Dimension::DstPort, "443"), "443 https");
        assert_eq!(key_label(Dimension::Protocol, "6"), "6 TCP");
        assert_eq!(key_label(Dimension::Interface, "eni-\u{1b}x"), "eni-\\x1bx");
    }
}
