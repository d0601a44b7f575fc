//! The queries pane (`x`): the current view (filter, window, grouping, metric, top N) as
//! the query that computes it at scale, in Athena SQL or CloudWatch Logs Insights (Tab
//! switches), or why the view cannot be one. `c` copies the shown query through the
//! terminal (OSC 52), `w` writes both to a file. The text holds the user's filter: it is
//! escaped here like everything else the panes show.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Widget;

use super::{fit, pane_block, put_line, span};
use crate::sanitize::escape;
use crate::ui::app::QueryPane;
use crate::ui::theme::Theme;

/// The query as written, a backslash left alone (the text is SQL to read and type, and the
/// writers never put a control character in it), any unsafe character escaped all the same.
fn printable(line: &str) -> String {
    line.chars()
        .map(|c| match crate::sanitize::is_unsafe(c) {
            true => escape(c.to_string().as_bytes()),
            false => c.to_string(),
        })
        .collect()
}

/// Draws the pane over the middle of `screen`.
pub fn render(buf: &mut Buffer, screen: Rect, pane: &QueryPane, theme: &Theme) {
    let width = match screen.width {
        w if w <= 100 => w,
        w => (w - 4).min(140),
    };
    let height = screen.height.saturating_sub(2).max(6);
    let area = super::centred(screen, width, height);
    ratatui::widgets::Clear.render(area, buf);
    let mut title = vec![span(" Query: ", theme.title())];
    for (i, (engine, _)) in pane.queries.iter().enumerate() {
        let style = if i == pane.shown {
            theme.focus_marker()
        } else {
            theme.dim()
        };
        title.push(span(format!(" {engine} "), style));
    }
    let block = pane_block(Line::from(title), true, theme);
    let inner = block.inner(area);
    block.render(area, buf);
    let w = usize::from(inner.width);
    // The last row tells the keys.
    let body_rows = usize::from(inner.height.saturating_sub(1));
    let (engine, query) = &pane.queries[pane.shown];
    let text = match query {
        Ok(text) => text.clone(),
        Err(why) => format!("The view cannot be written for {engine}:\n{why}"),
    };
    // Long lines wrap (a WHERE clause is wider than 80 columns), continued after `↪`.
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        let chars: Vec<char> = printable(line).chars().collect();
        let mut rest = chars.as_slice();
        let mut first_piece = true;
        loop {
            let room = if first_piece { w } else { w.saturating_sub(2) }.max(1);
            let (piece, after) = rest.split_at(rest.len().min(room));
            let piece: String = piece.iter().collect();
            lines.push(if first_piece {
                piece
            } else {
                format!("↪ {piece}")
            });
            rest = after;
            first_piece = false;
            if rest.is_empty() {
                break;
            }
        }
    }
    let first = pane.scroll.min(lines.len().saturating_sub(body_rows));
    for (row, line) in lines.iter().skip(first).take(body_rows).enumerate() {
        let style = if query.is_ok() {
            theme.text()
        } else {
            theme.reject()
        };
        put_line(buf, inner, row as u16, vec![span(fit(line, w), style)]);
    }
    let more = lines.len().saturating_sub(first + body_rows);
    let mut keys = vec![
        span("Tab", theme.key()),
        span(" other  ", theme.dim()),
        span("c", theme.key()),
        span(" copy  ", theme.dim()),
        span("w", theme.key()),
        span(" write both  ", theme.dim()),
        span("Esc", theme.key()),
        span(" close", theme.dim()),
    ];
    if more > 0 || first > 0 {
        let lines = if more == 1 { "line" } else { "lines" };
        keys.push(span(format!("  ↑↓ {more} more {lines}"), theme.dim()));
    }
    put_line(buf, inner, inner.height.saturating_sub(1), keys);
}
