//! The inputs overlay (`i`): every source with its state, what it gave and why it failed,
//! then the malformed lines with file:line, reason and the escaped text, like
//! `records --include-malformed`. Nothing from a log reaches the screen unescaped.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::{View, fit, fit_middle, overlay, put_line, span};
use crate::sanitize::escape;
use crate::ui::theme::Theme;
use crate::units::{bytes, count};

/// Draws the overlay over most of `screen`.
pub fn render(buf: &mut Buffer, screen: Rect, view: &View<'_>, theme: &Theme) {
    let size = (
        screen.width.saturating_sub(4).max(20),
        screen.height.saturating_sub(2).max(5),
    );
    let inner = overlay(buf, screen, size, " Inputs ", theme);
    let w = usize::from(inner.width);
    let live = view.live;
    let mut y = 0u16;
    let sources = &live.sources;
    put_line(
        buf,
        inner,
        y,
        vec![span(
            format!(
                "{} {}: {} lines, {} records, {} malformed",
                sources.len(),
                if sources.len() == 1 {
                    "source"
                } else {
                    "sources"
                },
                count(live.counts.lines),
                count(live.counts.records),
                count(live.counts.malformed)
            ),
            theme.title(),
        )],
    );
    y += 1;
    // Failed sources first: they are what this overlay is opened for.
    let mut order: Vec<_> = sources.iter().collect();
    order.sort_by_key(|s| s.error.is_none());
    let room = inner.height.saturating_sub(y + 3).max(1);
    let shown_sources = order.len().min(usize::from(room) / 2 + 1);
    for s in order.iter().take(shown_sources) {
        let state = format!("{:?}", s.state).to_lowercase();
        let numbers = format!(
            "{} lines {} malformed {}",
            count(s.lines),
            count(s.malformed),
            bytes(s.bytes)
        );
        let style = if s.error.is_some() {
            theme.alert()
        } else {
            theme.text()
        };
        let name = escape(s.name.as_bytes());
        let one_line = 11 + name.chars().count() + 1 + numbers.chars().count() <= w;
        let mut first = vec![
            span(format!("{:<10} ", state), style),
            span(fit_middle(&name, w.saturating_sub(11)), theme.text()),
        ];
        if one_line {
            first.push(span(format!(" {numbers}"), theme.dim()));
        }
        put_line(buf, inner, y, first);
        y += 1;
        // Too narrow for both: the numbers go under the name, never cutting it.
        if !one_line {
            put_line(
                buf,
                inner,
                y,
                vec![span(format!("{:11}{numbers}", ""), theme.dim())],
            );
            y += 1;
        }
        if let Some(reason) = &s.error {
            put_line(
                buf,
                inner,
                y,
                vec![span(
                    format!(
                        "           {}",
                        fit(&escape(reason.as_bytes()), w.saturating_sub(11))
                    ),
                    theme.alert(),
                )],
            );
            y += 1;
        }
    }
    if order.len() > shown_sources {
        put_line(
            buf,
            inner,
            y,
            vec![span(
                format!("… and {} more sources", order.len() - shown_sources),
                theme.dim(),
            )],
        );
        y += 1;
    }
    y += 1;
    let examples = &live.malformed_examples;
    let heading = if live.counts.malformed == 0 {
        "no malformed lines".to_string()
    } else {
        format!(
            "first {} of {} malformed lines · all: vpctop records --include-malformed",
            examples.len(),
            count(live.counts.malformed)
        )
    };
    put_line(buf, inner, y, vec![span(fit(&heading, w), theme.title())]);
    y += 1;
    for e in examples {
        if y + 1 >= inner.height {
            break;
        }
        let file = live
            .sources
            .get(e.input as usize)
            .map_or_else(|| format!("input {}", e.input), |s| s.name.clone());
        let file = std::path::Path::new(&file)
            .file_name()
            .map_or(file.clone(), |n| n.to_string_lossy().into_owned());
        put_line(
            buf,
            inner,
            y,
            vec![
                span(
                    format!("{}:{} ", escape(file.as_bytes()), e.line),
                    theme.key(),
                ),
                span(e.reason.clone(), theme.alert()),
            ],
        );
        y += 1;
        // Ingest escaped and shortened the text already (escaping twice would double every
        // backslash); the ui tests check no control character reaches the frame. The text
        // wraps over up to two rows before it is cut.
        let text_w = w.saturating_sub(2).max(1);
        let chars: Vec<char> = e.text.chars().collect();
        let first: String = chars.iter().take(text_w).collect();
        put_line(buf, inner, y, vec![span(format!("  {first}"), theme.dim())]);
        if chars.len() > text_w {
            y += 1;
            let rest: String = chars[text_w..].iter().collect();
            put_line(
                buf,
                inner,
                y,
                vec![span(format!("  {}", fit(&rest, text_w)), theme.dim())],
            );
        }
        y += 1;
    }
}
