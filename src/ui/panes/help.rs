//! The help overlay: every binding of the key map, straight from [`BINDINGS`], so help
//! can never list a key that does nothing.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::{overlay, put_line, span};
use crate::ui::keymap::{Action, BINDINGS};
use crate::ui::theme::Theme;

/// Bindings shown together on one row, so the whole list fits 80×24.
const PAIRS: &[(Action, Action, &str)] = &[
    (Action::Up, Action::Down, "select previous / next row"),
    (Action::PageUp, Action::PageDown, "page up / down"),
    (Action::First, Action::Last, "first / last row"),
    (
        Action::Faster,
        Action::Slower,
        "replay faster / slower (×2, ÷2; up to 1000×, then max)",
    ),
];

/// The rows of the help: (keys, what they do), pairs joined.
fn rows() -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for b in BINDINGS {
        if PAIRS.iter().any(|(_, second, _)| *second == b.action) {
            continue;
        }
        match PAIRS.iter().find(|(first, _, _)| *first == b.action) {
            Some((_, second, text)) => {
                let other = BINDINGS.iter().find(|o| o.action == *second);
                let label = match other {
                    Some(o) => format!("{}  {}", b.label, o.label),
                    None => b.label.to_string(),
                };
                out.push((label, *text));
            }
            None => out.push((b.label.to_string(), b.help)),
        }
    }
    out
}

/// Draws the overlay centred on `screen`.
pub fn render(buf: &mut Buffer, screen: Rect, theme: &Theme) {
    let rows = rows();
    let inner = overlay(buf, screen, (78, rows.len() as u16 + 4), " Keys ", theme);
    for (i, (label, help)) in rows.iter().enumerate() {
        put_line(
            buf,
            inner,
            i as u16,
            vec![
                span(format!("{label:<15}"), theme.key()),
                span(*help, theme.text()),
            ],
        );
    }
    put_line(
        buf,
        inner,
        rows.len() as u16,
        vec![
            span("filter bar     ", theme.key()),
            span(
                "Enter apply, Esc cancel, Up/Down history, Ctrl-U clear",
                theme.text(),
            ),
        ],
    );
    put_line(
        buf,
        inner,
        rows.len() as u16 + 1,
        vec![
            span("mouse          ", theme.key()),
            span("click selects a row, wheel scrolls", theme.text()),
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_binding_is_in_the_help_and_it_fits_80_by_24() {
        let rows = rows();
        for b in BINDINGS {
            let shown = rows.iter().any(|(label, _)| label.contains(b.label));
            assert!(shown, "{} is missing from help", b.label);
        }
        // Two more rows (filter bar, mouse) and the border.
        assert!(rows.len() + 4 <= 24, "{} rows", rows.len());
        assert!(
            rows.iter()
                .all(|(l, h)| 15 + h.chars().count() <= 76 && l.chars().count() < 15)
        );
    }
}
