//! The help overlay: every binding of the key map, straight from [`BINDINGS`], so help
//! can never list a key that does nothing.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Widget};

use super::{pane_block, put_line, span};
use crate::ui::keymap::BINDINGS;
use crate::ui::theme::Theme;

/// Draws the overlay centred on `screen`.
pub fn render(buf: &mut Buffer, screen: Rect, theme: &Theme) {
    let width = screen.width.min(78);
    let height = screen.height.min(BINDINGS.len() as u16 + 4);
    let area = Rect {
        x: screen.x + (screen.width - width) / 2,
        y: screen.y + (screen.height - height) / 2,
        width,
        height,
    };
    Clear.render(area, buf);
    let title = Line::from(vec![
        span(" Keys ", theme.title()),
        span("any key", theme.key()),
        span(" closes ", theme.dim()),
    ]);
    let block = pane_block(title, true, theme);
    let inner = block.inner(area);
    block.render(area, buf);
    for (i, b) in BINDINGS.iter().enumerate() {
        put_line(
            buf,
            inner,
            i as u16,
            vec![
                span(format!("{:<11}", b.label), theme.key()),
                span(b.help, theme.text()),
            ],
        );
    }
    put_line(
        buf,
        inner,
        BINDINGS.len() as u16,
        vec![
            span("filter bar ", theme.key()),
            span(
                "Enter apply, Esc cancel, Up/Down history, Ctrl-U clear",
                theme.text(),
            ),
        ],
    );
    put_line(
        buf,
        inner,
        BINDINGS.len() as u16 + 1,
        vec![
            span("mouse      ", theme.key()),
            span("click selects a row, wheel scrolls", theme.text()),
        ],
    );
}
