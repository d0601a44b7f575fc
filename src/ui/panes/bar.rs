//! The bottom line: the filter bar while typing (validated as you type, the error and its
//! column shown inline), otherwise a message or the key hints.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::Modifier;

use super::{View, put_line, span};
use crate::ui::app::UiState;
use crate::ui::theme::Theme;

/// Draws the bar; returns where the cursor goes while typing.
pub fn render(
    buf: &mut Buffer,
    area: Rect,
    state: &UiState,
    _view: &View<'_>,
    theme: &Theme,
) -> Option<Position> {
    if area.height == 0 {
        return None;
    }
    let bar = &state.filter_bar;
    if bar.editing {
        let width = usize::from(area.width);
        let prompt = "/ ";
        let chars: Vec<char> = bar.input.chars().collect();
        // Scroll the input so the cursor stays on screen.
        let room = width.saturating_sub(prompt.len() + 1).max(1);
        let start = bar.cursor.saturating_sub(room - 1);
        let err_col = bar.error.as_ref().map(|e| e.column.saturating_sub(1));
        let mut spans = vec![span(prompt, theme.key())];
        for (i, c) in chars.iter().enumerate().skip(start).take(room) {
            let style = if Some(i) == err_col {
                theme
                    .reject()
                    .add_modifier(Modifier::UNDERLINED | Modifier::REVERSED)
            } else {
                theme.text()
            };
            spans.push(span(c.to_string(), style));
        }
        let typed = chars.len().saturating_sub(start).min(room);
        if err_col.is_some_and(|c| c >= chars.len()) {
            spans.push(span(" ", theme.reject().add_modifier(Modifier::REVERSED)));
        }
        match &bar.error {
            Some(e) => spans.push(span(
                format!("  x col {}: {}", e.column, e.message),
                theme.reject(),
            )),
            None if bar.input.trim().is_empty() => {
                spans.push(span("  empty: Enter clears the filter", theme.dim()))
            }
            None => spans.push(span(
                "  ok: Enter applies, Esc cancels, Up/Down history",
                theme.dim(),
            )),
        }
        put_line(buf, area, 0, spans);
        let x = prompt.len() + (bar.cursor - start).min(typed);
        return Some(Position::new(area.x + x as u16, area.y));
    }
    if let Some(msg) = &state.message {
        put_line(buf, area, 0, vec![span(msg.clone(), theme.alert())]);
        return None;
    }
    let hint =
        |k: &'static str, what: &'static str| [span(k, theme.key()), span(what, theme.dim())];
    let mut spans = Vec::new();
    if state.queries.is_some() {
        for (k, w) in [
            ("Tab", " other engine "),
            ("c", " copy "),
            ("w", " write "),
            ("j/k", " scroll "),
            ("x/Esc", " close "),
        ] {
            spans.extend(hint(k, w));
        }
    } else if state.alert_list.is_some() {
        for (k, w) in [
            ("j/k", " move "),
            ("Enter", " its records "),
            ("a/Esc", " close "),
            ("q", " quit "),
        ] {
            spans.extend(hint(k, w));
        }
    } else if state.drill.is_empty() {
        for (k, w) in [
            ("q", " quit "),
            ("?", " help "),
            ("/", " filter "),
            ("Enter", " drill "),
            ("d", " group "),
            ("s", " sort "),
            ("t", " window "),
            ("Tab", " focus "),
            ("i", " inputs "),
            ("a", " alerts "),
            ("x", " query "),
        ] {
            spans.extend(hint(k, w));
        }
    } else {
        for (k, w) in [
            ("Esc", " back "),
            ("Enter", " records "),
            ("j/k", " move "),
            ("/", " filter "),
            ("q", " quit "),
        ] {
            spans.extend(hint(k, w));
        }
    }
    if state.replay.is_some() {
        for (k, w) in [("space", " pause "), ("+/-", " speed "), (".", " step ")] {
            spans.extend(hint(k, w));
        }
    }
    // Whole hints only: one that does not fit is left out, not cut in the middle.
    let mut used = 0;
    let mut whole = Vec::new();
    for pair in spans.chunks(2) {
        let len: usize = pair.iter().map(|s| s.content.chars().count()).sum();
        if used + len > usize::from(area.width) + 1 {
            break;
        }
        used += len;
        whole.extend_from_slice(pair);
    }
    put_line(buf, area, 0, whole);
    None
}
