//! The panes: each a pure function from the dashboard state and the data in view to
//! widgets on a frame. Nothing here mutates state or reads a clock; [`View`] carries the
//! wall time so that frames are reproducible in tests.

pub mod alerts;
pub mod bar;
pub mod heatmap;
pub mod help;
pub mod inputs;
pub mod inspector;
pub mod queries;
pub mod series;
pub mod status;
pub mod talkers;

use std::sync::Arc;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};

use super::app::{Drillable, UiState};
use super::layout::{Areas, Slot};
use super::queries::InspectorData;
use super::theme::Theme;
use crate::snapshot::Snapshot;

/// The data a frame draws.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    /// Ingest's latest snapshot: what the status bar counts.
    pub live: &'a Snapshot,
    /// What the talkers, series and heatmap draw: the live snapshot, or the answer to the
    /// filter/window query.
    pub shown: &'a Snapshot,
    /// A query for the current filter or window has not answered yet.
    pub updating: bool,
    /// The inspector's data for its current level, when it has arrived.
    pub inspector: Option<&'a InspectorData>,
    /// Wall clock, Unix seconds (for lag).
    pub wall_now: u64,
    /// The `--filter` ingest applies.
    pub base_filter: Option<&'a str>,
    /// The account's inventory (`--inventory`): talkers carry their owners' names.
    pub inventory: Option<&'a crate::inventory::Inventory>,
}

/// The rows of every list in view, in order: what keys and clicks select from.
#[derive(Debug, Clone, Default)]
pub struct ViewRows {
    /// Top-talker keys.
    pub talkers: Vec<String>,
    /// Heatmap port rows.
    pub heat_ports: Vec<u16>,
    /// Inspector rows at the current level.
    pub inspector: Vec<Option<Drillable>>,
    /// The alerts at or above the severity floor, newest first.
    pub alerts: Vec<crate::alerts::AlertSummary>,
}

impl ViewRows {
    /// The rows of `view` as `state` looks at it.
    pub fn of(state: &UiState, view: &View<'_>) -> ViewRows {
        let talkers = talkers::listing(view.shown, state)
            .entries
            .iter()
            .map(|e| e.key.clone())
            .collect();
        let heat_ports = heatmap::port_rows(view.shown);
        let inspector = match (state.drill.len(), view.inspector) {
            (1, Some(data)) => data
                .conversations
                .iter()
                .map(|c| {
                    Some(Drillable {
                        title: c.title.clone(),
                        key: Arc::clone(&c.key),
                        port: c.conversation.port,
                    })
                })
                .collect(),
            (_, Some(data)) => vec![None; data.records.len()],
            (_, None) => Vec::new(),
        };
        ViewRows {
            talkers,
            heat_ports,
            inspector,
            alerts: alerts::shown(state, view).cloned().collect(),
        }
    }
}

/// Draws one frame of `view` whose list rows are `rows` ([`ViewRows::of`] the same view);
/// returns where the panes went (for clicks).
pub fn draw(
    frame: &mut Frame<'_>,
    state: &UiState,
    view: &View<'_>,
    rows: &ViewRows,
    theme: &Theme,
) -> Areas {
    let mut areas = Areas::compute(
        frame.area(),
        !state.drill.is_empty(),
        state.selected,
        state.heat_selected,
    );
    let buf = frame.buffer_mut();
    status::render(buf, areas.status, state, view, theme);
    if let Some(Slot::Full(r) | Slot::Summary(r)) = areas.talkers {
        let full = matches!(areas.talkers, Some(Slot::Full(_)));
        talkers::render(buf, r, full, &areas.talker_list, state, view, theme);
    }
    if let Some(slot) = areas.series {
        series::render(buf, slot, view, theme);
    }
    if let Some(slot) = areas.heatmap {
        heatmap::render(
            buf,
            slot,
            &areas.heat_list,
            &rows.heat_ports,
            state,
            view,
            theme,
        );
    }
    if let Some(r) = areas.inspector {
        areas.inspector_list = inspector::render(buf, r, state, view, theme);
    }
    if let Some(cursor) = bar::render(buf, areas.bar, state, view, theme) {
        frame.set_cursor_position(cursor);
    }
    if state.help {
        let screen = frame.area();
        help::render(frame.buffer_mut(), screen, theme);
    }
    if state.inputs {
        let screen = frame.area();
        inputs::render(frame.buffer_mut(), screen, view, theme);
    }
    if let Some(selected) = state.alert_list {
        let screen = frame.area();
        alerts::render(frame.buffer_mut(), screen, &rows.alerts, selected, theme);
    }
    if let Some(pane) = &state.queries {
        let screen = frame.area();
        queries::render(frame.buffer_mut(), screen, pane, theme);
    }
    areas
}

/// A pane's border with a title. The focused pane stands out in colour and without: a
/// reverse-video `▶` before its title and a thick, bright border.
pub(crate) fn pane_block<'t>(title: Line<'t>, focused: bool, theme: &Theme) -> Block<'t> {
    let title = if focused {
        let mut spans = vec![span("▶", theme.focus_marker())];
        spans.extend(title.spans);
        Line::from(spans)
    } else {
        title
    };
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(if focused {
            theme.focus_border()
        } else {
            theme.border()
        })
        .title(title)
}

/// Clears a `width`×`height` box centred on `screen` and draws an overlay's frame titled
/// `name` (with "any key closes"); returns the box's inside.
pub(crate) fn overlay(
    buf: &mut Buffer,
    screen: Rect,
    (width, height): (u16, u16),
    name: &'static str,
    theme: &Theme,
) -> Rect {
    let area = centred(screen, width, height);
    use ratatui::widgets::Widget;
    ratatui::widgets::Clear.render(area, buf);
    let title = Line::from(vec![
        span(name, theme.title()),
        span("any key", theme.key()),
        span(" closes ", theme.dim()),
    ]);
    let block = pane_block(title, true, theme);
    let inner = block.inner(area);
    block.render(area, buf);
    inner
}

/// A `width`×`height` box (at most the screen) centred on `screen`.
pub(crate) fn centred(screen: Rect, width: u16, height: u16) -> Rect {
    let (width, height) = (width.min(screen.width), height.min(screen.height));
    Rect {
        x: screen.x + (screen.width - width) / 2,
        y: screen.y + (screen.height - height) / 2,
        width,
        height,
    }
}

/// Writes `spans` on one row of `area`, cut at its width.
pub(crate) fn put_line(buf: &mut Buffer, area: Rect, row: u16, spans: Vec<Span<'_>>) {
    if row >= area.height {
        return;
    }
    buf.set_line(area.x, area.y + row, &Line::from(spans), area.width);
}

/// `text` cut to `width` characters, marking a cut with `…`.
pub(crate) fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    if width > 0 {
        out.push('…');
    }
    out
}

/// `text` in at most `width` characters, cut in the middle when it is longer: the start and
/// the end of a name (`s3://bucket/…/…_20261123T1620Z_fe12.log.gz`) are what tell inputs
/// apart.
pub(crate) fn fit_middle(text: &str, width: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= width {
        return text.to_string();
    }
    if width < 3 {
        return fit(text, width);
    }
    let keep = width - 1;
    let head = keep / 3;
    let tail = keep - head;
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// `text` right-aligned in `width` characters.
pub(crate) fn right(text: &str, width: usize) -> String {
    format!("{:>width$}", fit(text, width))
}

/// A span in `style`.
pub(crate) fn span<'a>(text: impl Into<std::borrow::Cow<'a, str>>, style: Style) -> Span<'a> {
    Span::styled(text, style)
}

/// `part / whole` as a percentage with one decimal, or `-` when there is nothing.
pub(crate) fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "-".to_string();
    }
    let p = part as f64 * 100.0 / whole as f64;
    if p > 0.0 && p < 0.1 {
        "<0.1%".to_string()
    } else {
        format!("{p:.1}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_cuts_with_an_ellipsis() {
        assert_eq!(fit("10.0.0.1", 20), "10.0.0.1");
        assert_eq!(fit("10.0.0.123 -> 10.0.0.231", 10), "10.0.0.12…");
        assert_eq!(fit("abc", 0), "");
        let key = "s3://logs/AWSLogs/1/vpcflowlogs/us-east-1/2026/11/23/x_20261123T1620Z_a.log.gz";
        let cut = fit_middle(key, 30);
        assert_eq!(cut.chars().count(), 30);
        assert!(
            cut.starts_with("s3://logs") && cut.ends_with("1620Z_a.log.gz"),
            "{cut}"
        );
        assert_eq!(fit_middle("short", 30), "short");
        assert_eq!(fit_middle("abcdef", 2), "a…");
        assert_eq!(right("7", 3), "  7");
    }

    #[test]
    fn percentages_never_round_a_reject_away() {
        assert_eq!(percent(1, 10_000), "<0.1%");
        assert_eq!(percent(0, 10), "0.0%");
        assert_eq!(percent(5, 0), "-");
        assert_eq!(percent(1, 3), "33.3%");
    }
}
