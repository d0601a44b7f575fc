//! The status bar: sources and their state, records, ingest rates, malformed lines, lag,
//! the time span in view, coverage after eviction, the filter and the replay clock. Items
//! are added in order of importance until the line is full; a second line (from 40 rows)
//! takes the rest, and on the last line an item too long to fit is skipped for the shorter
//! ones after it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;

use super::{View, put_line, span};
use crate::source::replay::Speed;
use crate::source::status::SourceState;
use crate::ui::app::UiState;
use crate::ui::theme::Theme;
use crate::units::{bytes, count, duration, utc};

/// Draws the status bar in `area` (one or two rows).
pub fn render(buf: &mut Buffer, area: Rect, state: &UiState, view: &View<'_>, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    buf.set_style(area, theme.status());
    let items = items(state, view, theme);
    let width = usize::from(area.width);
    let mut row = 0;
    let mut used = 0;
    let mut line: Vec<Span<'_>> = Vec::new();
    for item in items {
        let len: usize = item.iter().map(|s| s.content.chars().count()).sum();
        let sep = if used > 0 { 3 } else { 1 };
        if used + sep + len > width && used > 0 {
            // On the last row, an item that does not fit is left out and the shorter ones
            // after it still get their chance.
            if row + 1 >= area.height {
                continue;
            }
            put_line(buf, area, row, std::mem::take(&mut line));
            row += 1;
            used = 0;
        }
        line.push(span(if used > 0 { " | " } else { " " }, theme.status()));
        used += if used > 0 { 3 } else { 1 } + len;
        line.extend(item);
    }
    put_line(buf, area, row, line);
}

/// The status items, most important first; each a few spans.
fn items<'a>(state: &UiState, view: &View<'a>, theme: &Theme) -> Vec<Vec<Span<'a>>> {
    let s = theme.status();
    let live = view.live;
    let mut out: Vec<Vec<Span<'a>>> = Vec::new();
    // The replay clock, or that the view is frozen, comes first: it explains everything else.
    if let Some(r) = state.replay {
        let speed = match r.speed {
            Speed::Max => "max".to_string(),
            Speed::Times(n) => format!("{n}x"),
        };
        let text = match (r.paused, live.complete) {
            (_, true) => format!("replay done ({speed})"),
            (true, false) => format!("PAUSED ({speed}, . steps)"),
            (false, false) => format!("replay {speed}"),
        };
        out.push(vec![span(
            text,
            s.add_modifier(ratatui::style::Modifier::BOLD),
        )]);
    } else if state.frozen {
        out.push(vec![span("FROZEN (space resumes)", theme.alert())]);
    }
    out.push(vec![span(
        format!("{} records", count(live.counts.records)),
        s,
    )]);
    // The newest alert is the next most important thing on screen.
    if let Some(item) = super::alerts::status_item(state, view, theme) {
        out.push(item);
    }
    // A test on a field no input has is false for every record: say so before the view
    // silently shows nothing.
    if let Some(filter) = &state.filter
        && !live.fields_seen.is_empty()
    {
        let missing = filter.fields_missing_from(live.fields_seen);
        if !missing.is_empty() {
            let names: Vec<&str> = missing.iter().map(|f| f.name()).collect();
            out.push(vec![span(
                format!(
                    "{} not in the data: filter matches nothing",
                    names.join(", ")
                ),
                theme.alert(),
            )]);
        }
    }
    // An input that cannot be read is named with its reason before anything else can crowd
    // it out (the rest are on the sources line and printed when the dashboard ends).
    if let Some(failed) = live.sources.iter().find(|x| x.error.is_some()) {
        let name = std::path::Path::new(&failed.name)
            .file_name()
            .map_or(failed.name.as_str(), |n| n.to_str().unwrap_or("?"));
        let reason = failed.error.as_deref().unwrap_or_default();
        let text = crate::source::status::failure_text(&failed.name, name, reason);
        out.push(vec![span(super::fit(&text, 60), theme.alert())]);
    }
    // A filtered view, a time window and the inspector are answered from the retained
    // records: when some were evicted, that view covers less than the totals, and says so
    // before anything else can crowd it out.
    let store_backed = state.filter.is_some()
        || state.window != crate::ui::app::Window::All
        || !state.drill.is_empty();
    if store_backed && let Some(notice) = eviction_notice(live.retention, theme) {
        out.push(notice);
    }
    if live.counts.malformed > 0 {
        out.push(vec![span(
            format!("{} malformed (i)", count(live.counts.malformed)),
            theme.alert(),
        )]);
    }
    if !live.complete
        && let Some(share) = live.read_share
        && share < 1.0
    {
        out.push(vec![span(format!("read {:.0}%", share * 100.0), s)]);
    }
    if !live.complete {
        out.push(vec![span(
            format!(
                "{}/s {}/s",
                count(live.rates.lines_per_sec as u64),
                bytes(live.rates.bytes_per_sec as u64)
            ),
            s,
        )]);
    }
    if let Some(filter) = &state.filter {
        out.push(vec![span(
            format!("filter {}", super::fit(&filter.to_string(), 40)),
            s,
        )]);
    }

    if let Some(base) = view.base_filter {
        out.push(vec![span(format!("--filter {}", super::fit(base, 30)), s)]);
    }
    if state.window != crate::ui::app::Window::All {
        out.push(vec![span(format!("window {}", state.window.label()), s)]);
    }
    if view.updating {
        out.push(vec![span("updating…", s)]);
    }
    // Lag means something only while records still arrive (not for history read once).
    if state.replay.is_none()
        && !live.complete
        && let Some(end) = live.last_end
    {
        out.push(vec![span(
            format!("lag {}", duration(view.wall_now.saturating_sub(end))),
            s,
        )]);
    }
    out.push(sources(view, theme));
    if let (Some(a), Some(b)) = (view.shown.first_start, view.shown.last_end) {
        out.push(vec![span(
            format!("{} .. {}", short_utc(a), short_utc(b)),
            s,
        )]);
    }
    if let Some(notice) = eviction_notice(live.retention, theme)
        && !store_backed
    {
        out.push(notice);
    }
    // With encryption-status (v10) in the format: how much of the traffic is in cleartext.
    let [clear, ..] = live.encryption;
    let all: u64 = live.encryption.iter().sum();
    if all > 0 {
        out.push(vec![span(
            format!("cleartext {:.0}%", clear as f64 * 100.0 / all as f64),
            s,
        )]);
    }
    out
}

/// `137.6k evicted: views from 14:02 (raise --memory)`, when the store had to evict its
/// oldest records to stay within its budget (short enough for 80 columns).
fn eviction_notice<'a>(
    retention: Option<crate::snapshot::Retention>,
    theme: &Theme,
) -> Option<Vec<Span<'a>>> {
    let r = retention.filter(|r| r.evicted > 0)?;
    let text = match r.coverage {
        Some((from, _)) => format!(
            "{} evicted: views from {} (raise --memory)",
            count(r.evicted),
            short_time(from)
        ),
        None => format!(
            "{} evicted: nothing retained (raise --memory)",
            count(r.evicted)
        ),
    };
    Some(vec![span(text, theme.alert())])
}

/// `14:02` (UTC): enough to place a coverage start within a day's view.
pub(crate) fn short_time(secs: u64) -> String {
    utc(secs).chars().skip(11).take(5).collect()
}

/// `2023-11-14 22:13` (UTC, minutes).
pub(crate) fn short_utc(secs: u64) -> String {
    utc(secs).chars().take(16).collect()
}

/// `3 sources: 2 following, 1 error`.
fn sources<'a>(view: &View<'a>, theme: &Theme) -> Vec<Span<'a>> {
    let all = &view.live.sources;
    if all.is_empty() {
        return vec![span(
            if view.live.complete {
                "read"
            } else {
                "reading"
            },
            theme.status(),
        )];
    }
    let states = [
        (SourceState::Reading, "reading"),
        (SourceState::Following, "following"),
        (SourceState::Rotated, "rotated"),
        (SourceState::Waiting, "waiting"),
        (SourceState::Done, "done"),
        (SourceState::Pending, "pending"),
        (SourceState::Error, "error"),
    ];
    let mut parts = Vec::new();
    for (st, name) in states {
        let n = all.iter().filter(|x| x.state == st).count();
        if n > 0 {
            parts.push(format!("{n} {name}"));
        }
    }
    let label = match all.len() {
        1 => {
            // The file name says enough; the directory is on the command line.
            let name = std::path::Path::new(&all[0].name)
                .file_name()
                .map_or(all[0].name.as_str(), |n| n.to_str().unwrap_or("?"));
            let state = match all[0].state {
                SourceState::Waiting => "waiting for it to exist".to_string(),
                _ => states
                    .iter()
                    .find(|(st, _)| *st == all[0].state)
                    .map_or_else(|| parts.join(", "), |(_, word)| word.to_string()),
            };
            format!(
                "{}: {state}",
                super::fit(&crate::sanitize::escape(name.as_bytes()), 24),
            )
        }
        n => format!("{n} sources: {}", parts.join(", ")),
    };
    let errors = all.iter().any(|x| x.state == SourceState::Error);
    vec![span(
        label,
        if errors {
            theme.alert()
        } else {
            theme.status()
        },
    )]
}
