//! ACCEPT/REJECT over time: one stacked bar per time column (ACCEPT `█` below, REJECT `▒`
//! above, so the split reads without colour), the current REJECT ratio and its trend.

use ratatui::buffer::Buffer;
use ratatui::text::Line;
use ratatui::widgets::Widget;

use super::{View, pane_block, percent, put_line, span};
use crate::snapshot::Snapshot;
use crate::ui::layout::Slot;
use crate::ui::theme::Theme;
use crate::units::{count, duration};

/// Glyph of the ACCEPT part of a bar.
pub const ACCEPT_GLYPH: &str = "█";
/// Glyph of the REJECT part of a bar.
pub const REJECT_GLYPH: &str = "▒";

/// Time buckets grouped into at most `cols` screen columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    /// Start of the first bucket.
    pub start: u64,
    /// Seconds per column.
    pub span: u64,
    /// Columns used.
    pub count: usize,
}

impl Columns {
    /// Groups the snapshot's buckets into at most `cols` columns (`None` without data).
    pub fn of(snap: &Snapshot, cols: usize) -> Option<Columns> {
        let (first, last) = (snap.series.first()?.0, snap.series.last()?.0);
        let w = snap.series_width.max(1);
        let buckets = (last - first) / w + 1;
        let per = buckets.div_ceil(cols.max(1) as u64).max(1);
        Some(Columns {
            start: first,
            span: per * w,
            count: buckets.div_ceil(per) as usize,
        })
    }

    /// The column of a bucket starting at `t`.
    pub fn column(&self, t: u64) -> usize {
        (t.saturating_sub(self.start) / self.span) as usize
    }
}

/// Flows per column: (accept, reject).
fn per_column(snap: &Snapshot, cols: &Columns) -> Vec<(u64, u64)> {
    let mut out = vec![(0, 0); cols.count];
    for (t, b) in &snap.series {
        if let Some(c) = out.get_mut(cols.column(*t)) {
            c.0 += b.accept_flows;
            c.1 += b.reject_flows;
        }
    }
    out
}

/// REJECT share of the last quarter of columns against the quarter before: the trend.
fn trend(columns: &[(u64, u64)]) -> Option<(f64, f64)> {
    let q = (columns.len() / 4).max(1);
    if columns.len() < 2 * q {
        return None;
    }
    let ratio = |part: &[(u64, u64)]| {
        let (a, r) = part.iter().fold((0, 0), |(a, r), (x, y)| (a + x, r + y));
        (a + r > 0).then(|| r as f64 / (a + r) as f64)
    };
    let n = columns.len();
    Some((
        ratio(&columns[n - q..])?,
        ratio(&columns[n - 2 * q..n - q])?,
    ))
}

fn trend_word(now: f64, before: f64) -> &'static str {
    if now > before * 1.25 + 0.005 {
        "↑"
    } else if now < before * 0.8 - 0.005 {
        "↓"
    } else {
        "="
    }
}

/// A share in 0..=1 as a percentage with one decimal.
fn pct(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// Draws the pane (or its summary).
pub fn render(buf: &mut Buffer, slot: Slot, view: &View<'_>, theme: &Theme) {
    let snap = view.shown;
    let total = snap.accept.flows + snap.reject.flows;
    let ratio = percent(snap.reject.flows, total);
    let area = match slot {
        Slot::Hidden => return,
        Slot::Summary(r) => {
            put_line(
                buf,
                r,
                0,
                vec![
                    span("ACCEPT/REJECT: ", theme.title()),
                    span(
                        format!("{} accepted ", count(snap.accept.flows)),
                        theme.accept(),
                    ),
                    span(
                        format!("{} rejected ({ratio})", count(snap.reject.flows)),
                        theme.reject(),
                    ),
                ],
            );
            return;
        }
        Slot::Full(r) => r,
    };
    let inner_w = usize::from(area.width.saturating_sub(2));
    let cols = Columns::of(snap, inner_w);
    let columns = cols.map(|c| per_column(snap, &c)).unwrap_or_default();
    // The title says what the REJECT share is now (the latest quarter of the view) and
    // where it is going; the share over the whole view is in the legend.
    let title = match trend(&columns) {
        Some((now, before)) => vec![
            // Narrow panes drop the pane's name before the numbers.
            span(
                if inner_w >= 48 {
                    " ACCEPT/REJECT: "
                } else {
                    " "
                },
                theme.title(),
            ),
            span(
                format!(
                    "REJECT now {} {} was {} ",
                    pct(now),
                    trend_word(now, before),
                    pct(before)
                ),
                theme.reject(),
            ),
        ],
        None => vec![
            span(" ACCEPT/REJECT ", theme.title()),
            span(format!("reject {ratio} "), theme.reject()),
        ],
    };
    let block = pane_block(Line::from(title), false, theme);
    let inner = block.inner(area);
    block.render(area, buf);
    let Some(cols) = cols else {
        put_line(buf, inner, 0, vec![span("no records yet", theme.dim())]);
        return;
    };
    // The last row holds the legend and the time span.
    let bars_h = inner.height.saturating_sub(1);
    let max = columns.iter().map(|(a, r)| a + r).max().unwrap_or(0).max(1);
    for (x, &(a, r)) in columns.iter().enumerate() {
        let h = bar_cells(a + r, max, bars_h);
        let rej = if a + r == 0 {
            0
        } else {
            (((r as f64 / (a + r) as f64) * f64::from(h)).round() as u16).max(u16::from(r > 0))
        }
        .min(h);
        for y in 0..h {
            let reject = y >= h - rej;
            let cell_y = inner.y + bars_h - 1 - y;
            let (glyph, style) = if reject {
                (REJECT_GLYPH, theme.reject())
            } else {
                (ACCEPT_GLYPH, theme.accept())
            };
            buf.set_string(inner.x + x as u16, cell_y, glyph, style);
        }
    }
    let per = if cols.span >= 60 {
        duration(cols.span)
    } else {
        format!("{}s", cols.span)
    };
    // The longest legend that fits: values are never cut, words are shortened first.
    let max = count(max);
    let legends = [
        (
            "accept ",
            "reject ",
            format!("all {ratio}, {per}/col, max {max}"),
        ),
        ("acc ", "rej ", format!("all {ratio} {per}/col max {max}")),
        ("", " ", format!("{ratio} {per}/col max {max}")),
        ("", " ", format!("{ratio} max {max}")),
    ];
    let width = usize::from(inner.width);
    let fits = |(a, r, rest): &(&str, &str, String)| {
        2 + a.chars().count() + r.chars().count() + rest.chars().count() <= width
    };
    let (a, r, rest) = legends
        .iter()
        .find(|l| fits(l))
        .unwrap_or(&legends[legends.len() - 1]);
    put_line(
        buf,
        inner,
        bars_h,
        vec![
            span(ACCEPT_GLYPH, theme.accept()),
            span(*a, theme.dim()),
            span(REJECT_GLYPH, theme.reject()),
            span(*r, theme.dim()),
            span(rest.clone(), theme.dim()),
        ],
    );
}

/// Cells of a bar of `value` against `max` in `height` rows: at least one when non-zero.
fn bar_cells(value: u64, max: u64, height: u16) -> u16 {
    if value == 0 || height == 0 {
        return 0;
    }
    ((value as f64 / max as f64 * f64::from(height)).round() as u16).clamp(1, height)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::series::Bucket;

    fn snap(buckets: &[(u64, u64, u64)], width: u64) -> Snapshot {
        let mut s = Snapshot::default();
        s.series = buckets
            .iter()
            .map(|&(t, a, r)| {
                (
                    t,
                    Bucket {
                        accept_flows: a,
                        reject_flows: r,
                        ..Bucket::default()
                    },
                )
            })
            .collect();
        s.series_width = width;
        s
    }

    #[test]
    fn buckets_group_into_the_columns_available() {
        let s = snap(&[(0, 1, 0), (60, 1, 0), (600 * 60, 1, 1)], 60);
        let c = Columns::of(&s, 100).unwrap();
        assert_eq!(c.span, 7 * 60, "601 buckets in 100 columns: 7 per column");
        assert_eq!(c.count, 86);
        assert_eq!(per_column(&s, &c)[0], (2, 0));
        assert_eq!(per_column(&s, &c)[85], (1, 1));
        assert!(Columns::of(&Snapshot::default(), 10).is_none());
    }

    #[test]
    fn trend_compares_the_last_quarter_with_the_one_before() {
        let rising = [(10, 0), (10, 0), (10, 0), (5, 5)];
        let (now, before) = trend(&rising).unwrap();
        assert_eq!(trend_word(now, before), "↑");
        assert_eq!(
            (pct(now), pct(before)),
            ("50.0%".to_string(), "0.0%".to_string())
        );
        let steady = [(9, 1); 8];
        let (now, before) = trend(&steady).unwrap();
        assert_eq!(trend_word(now, before), "=");
        assert!(trend(&[(1, 1)]).is_none());
    }

    #[test]
    fn small_values_still_show() {
        assert_eq!(bar_cells(1, 1_000_000, 8), 1);
        assert_eq!(bar_cells(0, 10, 8), 0);
        assert_eq!(bar_cells(10, 10, 8), 8);
    }
}
