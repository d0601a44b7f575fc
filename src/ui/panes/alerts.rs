//! The alerts: one status-bar item (how many, how many open, the newest in one line) and the
//! alert list (`a`), newest first, with the selected alert's evidence and filter below it.
//! Enter on a row opens its records in the inspector ([`crate::ui::app::alert_target`]).
//! Detection names and keys come from logs and rule files: they are escaped here.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::status::short_time;
use super::{View, fit, pane_block, put_line, right, span};
use crate::alerts::{AlertSummary, Severity};
use crate::sanitize::escape;
use crate::ui::app::UiState;
use crate::ui::theme::Theme;
use crate::units::{bytes, thousands};

/// The alerts the dashboard shows (at or above its severity floor), newest first.
pub fn shown<'v>(
    state: &UiState,
    view: &View<'v>,
) -> impl Iterator<Item = &'v AlertSummary> + use<'v> {
    let floor = state.alert_floor;
    view.live
        .alerts
        .as_deref()
        .unwrap_or_default()
        .iter()
        .rev()
        .filter(move |a| a.severity >= floor)
}

/// The status-bar item: `3 alerts, 1 open: high port-scan 45.33.32.156 -> 10.0.1.20 (a)`;
/// `None` while the detections are off or nothing fired.
pub fn status_item<'a>(state: &UiState, view: &View<'_>, theme: &Theme) -> Option<Vec<Span<'a>>> {
    let mut all = shown(state, view).peekable();
    let newest = (*all.peek()?).clone();
    let (n, open) = all.fold((0usize, 0usize), |(n, open), a| {
        (n + 1, open + usize::from(a.is_open()))
    });
    let head = match (n, open) {
        (1, 1) => "1 alert open".to_string(),
        (1, _) => "1 alert".to_string(),
        (n, 0) => format!("{n} alerts"),
        (n, open) => format!("{n} alerts, {open} open"),
    };
    let style = match (open, newest.severity) {
        (0, _) => theme.status(),
        (_, Severity::Low) => theme.status(),
        _ => theme.alert(),
    };
    Some(vec![
        span(format!("{head}: "), style),
        span(fit(&one_line(&newest), 52), style),
        span(" (a)", theme.status()),
    ])
}

/// `high port-scan 45.33.32.156 -> 10.0.1.20`, escaped.
fn one_line(a: &AlertSummary) -> String {
    let name = escape(a.name.as_bytes());
    let key = escape(a.key.as_bytes());
    match a.storm {
        Some(_) => format!("{} {name} storm {key}", a.severity.as_str()),
        None => format!("{} {name} {key}", a.severity.as_str()),
    }
}

/// `300 ports`, `2.1 GiB`, `+37 folded`.
fn peak(a: &AlertSummary) -> String {
    match (a.storm, a.unit) {
        (Some(n), _) => format!("+{} folded", thousands(n)),
        (None, "bytes") => bytes(a.peak),
        (None, "dark minutes") => format!("{} min dark", thousands(a.peak)),
        (None, unit) => format!("{} {unit}", thousands(a.peak)),
    }
}

/// Draws the alert list over most of `screen`, `selected` (a row of `alerts`) highlighted.
pub fn render(
    buf: &mut Buffer,
    screen: Rect,
    alerts: &[AlertSummary],
    selected: usize,
    theme: &Theme,
) {
    // Keys are long (`185.220.101.47 -> 10.0.1.20:22`): at 80 columns the list takes the
    // whole width.
    let width = match screen.width {
        w if w <= 100 => w,
        w => w - 4,
    };
    let height = screen.height.saturating_sub(2).max(6);
    let area = super::centred(screen, width, height);
    ratatui::widgets::Clear.render(area, buf);
    let open = alerts.iter().filter(|a| a.is_open()).count();
    let title = Line::from(vec![
        span(
            format!(" Alerts: {} (● {open} open) ", alerts.len()),
            theme.title(),
        ),
        span("Enter", theme.key()),
        span(" records ", theme.dim()),
        span("a Esc", theme.key()),
        span(" close ", theme.dim()),
    ]);
    let block = pane_block(title, true, theme);
    let inner = block.inner(area);
    block.render(area, buf);
    let w = usize::from(inner.width);
    if alerts.is_empty() {
        put_line(
            buf,
            inner,
            0,
            vec![span(
                fit(
                    "no alerts so far: the detections watch every record read",
                    w,
                ),
                theme.dim(),
            )],
        );
        return;
    }
    // Rows, then a blank line and three lines about the selected alert.
    let rows = usize::from(inner.height.saturating_sub(4)).max(1);
    let first = selected.saturating_sub(rows - 1);
    let peak_w = alerts
        .iter()
        .map(|a| peak(a).chars().count())
        .max()
        .unwrap_or(0)
        .min(14);
    let fixed = 2 + 7 + 6 + peak_w + 1;
    let name_w = alerts
        .iter()
        .map(|a| escape(a.name.as_bytes()).chars().count() + if a.storm.is_some() { 6 } else { 0 })
        .max()
        .unwrap_or(0)
        .min(28)
        .min(w.saturating_sub(fixed) / 2);
    let key_w = w.saturating_sub(fixed + name_w + 1);
    for (row, (i, a)) in alerts.iter().enumerate().skip(first).take(rows).enumerate() {
        // Open alerts are marked in every colour mode (and bold in colour).
        let state = if a.is_open() { "●" } else { "○" };
        let base = if i == selected {
            theme.selected()
        } else if a.is_open() && a.severity > Severity::Low {
            theme.alert()
        } else {
            theme.text()
        };
        let name = match a.storm {
            Some(_) => format!("{} storm", escape(a.name.as_bytes())),
            None => escape(a.name.as_bytes()),
        };
        let text = format!(
            "{state} {:<7}{:<6}{:<name_w$} {:<key_w$} {}",
            a.severity.as_str(),
            short_time(a.opened),
            fit(&name, name_w),
            fit(&escape(a.key.as_bytes()), key_w),
            right(&peak(a), peak_w),
        );
        put_line(buf, inner, row as u16, vec![span(fit(&text, w), base)]);
    }
    let Some(a) = alerts.get(selected) else {
        return;
    };
    let y = inner.height.saturating_sub(3);
    let closed = match a.closed {
        Some(at) => format!("closed {}", short_time(at)),
        None => "still open".to_string(),
    };
    let lines = [
        format!(
            "opened {} UTC, {closed} · evidence {} .. {}",
            super::status::short_utc(a.opened),
            short_time(a.first_seen),
            short_time(a.last_seen)
        ),
        format!(
            "window {} .. {} · peak {}",
            short_time(a.window.0),
            short_time(a.window.1),
            peak(a)
        ),
        match a.filter.as_str() {
            "" => "a storm: `vpctop alerts` lists the alerts it folds".to_string(),
            f => format!("filter {}", escape(f.as_bytes())),
        },
    ];
    for (k, text) in lines.iter().enumerate() {
        put_line(
            buf,
            inner,
            y + k as u16,
            vec![span(fit(text, w), theme.dim())],
        );
    }
}
