//! The port heatmap: rows are the busiest destination ports (named when well known, all
//! ephemeral ports in one row), columns are time, a cell's glyph grows with the log of its
//! flows. REJECT-dominated cells use letters (`x`, `X`) instead of shades, so they stand
//! out without colour.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Widget;

use super::series::Columns;
use super::{View, fit, pane_block, put_line, span};
use crate::core::series::{EPHEMERAL_FROM, busiest_rows};
use crate::names;
use crate::snapshot::Snapshot;
use crate::ui::app::{Focus, UiState};
use crate::ui::layout::{ListArea, Slot};
use crate::ui::theme::Theme;

/// Rows the heatmap ranks (the pane shows as many as fit): those a snapshot has cells for.
pub const MAX_ROWS: usize = crate::snapshot::HEAT_ROWS;
/// Shades for ACCEPT-dominated cells, faint to hot.
const SHADES: [&str; 4] = ["░", "▒", "▓", "█"];
/// Letters for REJECT-dominated cells, faint to hot.
const REJECTS: [&str; 4] = ["x", "x", "X", "X"];
/// The narrowest and widest port label column: labels are never cut (`11211 memcached` is the
/// longest name) unless the pane is too narrow for them and the cells.
const LABEL_MIN: usize = 6;
const LABEL_MAX: usize = 15;

/// The port rows, busiest (most flows) first; ties by port.
pub fn port_rows(snap: &Snapshot) -> Vec<u16> {
    let mut flows: std::collections::HashMap<u16, u64> = Default::default();
    for (_, row, cell) in &snap.heat {
        *flows.entry(*row).or_default() += cell.flows;
    }
    busiest_rows(flows, MAX_ROWS)
}

/// `443 https`, `ephemeral`.
pub fn port_label(row: u16) -> String {
    match row {
        EPHEMERAL_FROM => "32768+".to_string(),
        p => match names::service(p) {
            Some(s) => format!("{p} {s}"),
            None => p.to_string(),
        },
    }
}

/// Intensity 1..=4 of `v` on a log scale up to `max`.
pub fn level(v: u64, max: u64) -> u8 {
    if v == 0 {
        return 0;
    }
    if max <= 1 {
        return 4;
    }
    let f = (v as f64).ln_1p() / (max as f64).ln_1p();
    (1.0 + (f * 3.0).round()).clamp(1.0, 4.0) as u8
}

/// Draws the pane (or its summary); `rows` are its [`port_rows`].
pub fn render(
    buf: &mut Buffer,
    slot: Slot,
    list: &ListArea,
    rows: &[u16],
    state: &UiState,
    view: &View<'_>,
    theme: &Theme,
) {
    let snap = view.shown;
    let area = match slot {
        Slot::Hidden => return,
        Slot::Summary(r) => {
            let top: Vec<String> = rows.iter().take(4).map(|p| port_label(*p)).collect();
            put_line(
                buf,
                r,
                0,
                vec![
                    span("busiest ports: ", theme.title()),
                    span(
                        if top.is_empty() {
                            "-".to_string()
                        } else {
                            top.join(", ")
                        },
                        theme.text(),
                    ),
                ],
            );
            return;
        }
        Slot::Full(r) => r,
    };
    let focused = state.focus == Focus::Heatmap && state.drill.is_empty();
    let title = Line::from(vec![
        span(" Ports x time ", theme.title()),
        span("░▒▓█", theme.heat(3, false)),
        span(" accept ", theme.dim()),
        span("xX", theme.heat(3, true)),
        span(" reject ", theme.dim()),
    ]);
    let block = pane_block(title, focused, theme);
    let inner = block.inner(area);
    block.render(area, buf);
    // As wide as the longest label in view, and at most half the pane.
    let label_w = rows
        .iter()
        .skip(list.offset)
        .take(list.visible())
        .map(|p| port_label(*p).chars().count())
        .max()
        .unwrap_or(LABEL_MIN)
        .clamp(LABEL_MIN, LABEL_MAX)
        .min(usize::from(inner.width) / 2);
    let cells_w = usize::from(inner.width).saturating_sub(label_w + 1);
    let Some(cols) = Columns::of(snap, cells_w).filter(|_| !rows.is_empty()) else {
        put_line(buf, inner, 0, vec![span("no records yet", theme.dim())]);
        return;
    };
    // (row index, column) → (flows, reject)
    let index: std::collections::HashMap<u16, usize> =
        rows.iter().enumerate().map(|(i, p)| (*p, i)).collect();
    let mut grid = vec![vec![(0u64, 0u64); cols.count]; rows.len()];
    for (t, row, cell) in &snap.heat {
        if let Some(&r) = index.get(row)
            && let Some(c) = grid[r].get_mut(cols.column(*t))
        {
            c.0 += cell.flows;
            c.1 += cell.reject;
        }
    }
    let max = grid.iter().flatten().map(|c| c.0).max().unwrap_or(0);
    for (i, port) in rows
        .iter()
        .enumerate()
        .skip(list.offset)
        .take(list.visible())
    {
        let y = (i - list.offset) as u16;
        let selected = focused && i == state.heat_selected;
        let label_style = if selected {
            theme.selected()
        } else {
            theme.text()
        };
        put_line(
            buf,
            inner,
            y,
            vec![span(
                format!("{:>label_w$} ", fit(&port_label(*port), label_w)),
                label_style,
            )],
        );
        for (x, &(flows, reject)) in grid[i].iter().enumerate() {
            let lv = level(flows, max);
            if lv == 0 {
                continue;
            }
            let rejecting = reject * 2 > flows;
            let glyph = if rejecting {
                REJECTS[usize::from(lv - 1)]
            } else {
                SHADES[usize::from(lv - 1)]
            };
            buf.set_string(
                inner.x + (label_w + 1 + x) as u16,
                inner.y + y,
                glyph,
                theme.heat(lv, rejecting),
            );
        }
    }
    let footer = Rect {
        y: inner.bottom().saturating_sub(1),
        height: 1,
        ..inner
    };
    if inner.height > 1 {
        put_line(
            buf,
            footer,
            0,
            vec![span(
                format!(
                    "{:>label_w$} {} .. {}",
                    "UTC",
                    super::status::short_utc(cols.start).get(11..).unwrap_or(""),
                    super::status::short_utc(cols.start + cols.span * cols.count as u64)
                        .get(11..)
                        .unwrap_or("")
                ),
                theme.dim(),
            )],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::series::Cell;

    #[test]
    fn rows_rank_ports_by_flows() {
        let cell = |flows| Cell {
            flows,
            ..Cell::default()
        };
        let mut snap = Snapshot::default();
        snap.heat = vec![
            (0, 22, cell(5)),
            (60, 22, cell(5)),
            (0, 443, cell(7)),
            (0, 80, cell(10)),
        ];
        assert_eq!(port_rows(&snap), [22, 80, 443]);
    }

    #[test]
    fn levels_are_logarithmic_and_never_hide_a_flow() {
        assert_eq!(level(0, 100), 0);
        assert_eq!(level(1, 1_000_000), 1);
        assert_eq!(level(1_000_000, 1_000_000), 4);
        assert!(level(1000, 1_000_000) >= 2 && level(1000, 1_000_000) <= 3);
        assert_eq!(level(1, 1), 4);
    }

    #[test]
    fn labels_name_services_and_ephemeral_ports() {
        assert_eq!(port_label(22), "22 ssh");
        assert_eq!(port_label(EPHEMERAL_FROM), "32768+");
        assert_eq!(port_label(12345), "12345");
    }
}
