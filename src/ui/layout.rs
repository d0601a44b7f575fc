//! Where each pane goes for a terminal size, and which list row a screen cell belongs to.
//!
//! ```text
//!  ┌ status bar (1 line; 2 from 40 lines up) ────────────────────────────────┐
//!  ├ top talkers ─────────────────────────────────────────────────────────────┤
//!  │ rank key  bytes packets flows  share  accept/reject                      │
//!  ├ ACCEPT/REJECT over time ───────────┬ port heatmap ───────────────────────┤
//!  │ stacked bars per bucket            │ dst port × time, log intensity      │
//!  ├────────────────────────────────────┴─────────────────────────────────────┤
//!  │ filter bar / key hints / messages (1 line)                               │
//!  └──────────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! With the inspector open it takes the whole body. A pane too small to draw collapses to a
//! one-line summary instead of garbling.

use ratatui::layout::Rect;

/// Rows of a table's border and header above its first list row.
const TABLE_TOP: u16 = 2;

/// A scrolling list drawn in a pane.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListArea {
    /// Screen rows of the list's entries.
    pub rows: Rect,
    /// Index of the entry in the first row.
    pub offset: usize,
}

impl ListArea {
    /// Entries that fit.
    pub fn visible(&self) -> usize {
        usize::from(self.rows.height)
    }

    fn hit(&self, column: u16, row: u16) -> Option<usize> {
        let r = self.rows;
        (r.x <= column && column < r.right() && r.y <= row && row < r.bottom())
            .then(|| self.offset + usize::from(row - r.y))
    }
}

/// How a pane is drawn: in full, or as a one-line summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// The full pane in this rectangle.
    Full(Rect),
    /// Only a summary line here.
    Summary(Rect),
    /// Not drawn (the inspector covers it).
    Hidden,
}

/// What a click landed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit {
    /// A top-talker row.
    Talkers(usize),
    /// A heatmap port row.
    Heatmap(usize),
    /// An inspector row.
    Inspector(usize),
}

/// Every pane's place for one frame.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Areas {
    /// The whole screen.
    pub screen: Rect,
    /// Status bar.
    pub status: Rect,
    /// Top talkers.
    pub talkers: Option<Slot>,
    /// ACCEPT/REJECT over time.
    pub series: Option<Slot>,
    /// Port heatmap.
    pub heatmap: Option<Slot>,
    /// The inspector (when open).
    pub inspector: Option<Rect>,
    /// Bottom line.
    pub bar: Rect,
    /// The talkers' list rows.
    pub talker_list: ListArea,
    /// The heatmap's port rows.
    pub heat_list: ListArea,
    /// The inspector's list rows (set while drawing it).
    pub inspector_list: ListArea,
}

/// The first entry to show so that `selected` is visible in `visible` rows.
pub fn scroll_offset(selected: usize, visible: usize) -> usize {
    match visible {
        0 => 0,
        v => selected.saturating_sub(v - 1),
    }
}

/// The list rows inside a bordered pane with `header` rows above and `footer` rows below.
pub fn inner_list(pane: Rect, header: u16, footer: u16, selected: usize) -> ListArea {
    let top = 1 + header;
    let rows = Rect {
        x: pane.x + 1,
        y: pane.y + top,
        width: pane.width.saturating_sub(2),
        height: pane.height.saturating_sub(top + 1 + footer),
    };
    ListArea {
        rows,
        offset: scroll_offset(selected, usize::from(rows.height)),
    }
}

impl Areas {
    /// Lays out `screen`; `inspector` when it is open; the selections decide scrolling.
    pub fn compute(
        screen: Rect,
        inspector: bool,
        talker_selected: usize,
        heat_selected: usize,
    ) -> Areas {
        let status_h = if screen.height >= 40 { 2 } else { 1 }.min(screen.height);
        let bar_h = u16::from(screen.height > status_h);
        let body = Rect {
            x: screen.x,
            y: screen.y + status_h,
            width: screen.width,
            height: screen.height - status_h - bar_h,
        };
        let bar = Rect {
            y: body.bottom(),
            height: bar_h,
            ..body
        };
        let status = Rect {
            height: status_h,
            ..screen
        };
        let mut areas = Areas {
            screen,
            status,
            bar,
            ..Areas::default()
        };
        if inspector {
            areas.inspector = Some(body);
            areas.talkers = Some(Slot::Hidden);
            areas.series = Some(Slot::Hidden);
            areas.heatmap = Some(Slot::Hidden);
            return areas;
        }
        // Talkers get a little over half; the charts need 5 rows (border + 3) to be drawn.
        // Below 10 rows the charts shrink to two summary lines and the talkers keep the rest.
        let charts_h = if body.height >= 10 {
            (body.height * 45 / 100).max(5)
        } else {
            body.height.min(2)
        };
        let talkers_h = body.height - charts_h;
        let talkers = Rect {
            height: talkers_h,
            ..body
        };
        let charts = Rect {
            y: body.y + talkers_h,
            height: charts_h,
            ..body
        };
        areas.talkers = Some(if talkers_h >= 2 + TABLE_TOP {
            areas.talker_list = inner_list(talkers, 1, 0, talker_selected);
            Slot::Full(talkers)
        } else {
            Slot::Summary(Rect {
                height: talkers_h.min(1),
                ..talkers
            })
        });
        let left_w = charts.width / 2;
        let left = Rect {
            width: left_w,
            ..charts
        };
        let right = Rect {
            x: charts.x + left_w,
            width: charts.width - left_w,
            ..charts
        };
        if charts_h >= 5 && left_w >= 24 {
            areas.series = Some(Slot::Full(left));
            areas.heatmap = Some(Slot::Full(right));
            areas.heat_list = inner_list(right, 0, 1, heat_selected);
        } else {
            // One summary line each, stacked, as far as they fit.
            let line = |i: u16| Rect {
                y: charts.y + i.min(charts.height),
                height: u16::from(charts.height > i),
                ..charts
            };
            areas.series = Some(Slot::Summary(line(0)));
            areas.heatmap = Some(Slot::Summary(line(1)));
        }
        areas
    }

    /// The list row under a screen cell.
    pub fn hit(&self, column: u16, row: u16) -> Option<Hit> {
        if self.inspector.is_some() {
            return self.inspector_list.hit(column, row).map(Hit::Inspector);
        }
        if let Some(i) = self.talker_list.hit(column, row) {
            return Some(Hit::Talkers(i));
        }
        self.heat_list.hit(column, row).map(Hit::Heatmap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn screen(w: u16, h: u16) -> Rect {
        Rect::new(0, 0, w, h)
    }

    #[test]
    fn eighty_by_twenty_four_draws_every_pane_in_full() {
        let a = Areas::compute(screen(80, 24), false, 0, 0);
        assert!(matches!(a.talkers, Some(Slot::Full(_))));
        assert!(matches!(a.series, Some(Slot::Full(_))));
        assert!(matches!(a.heatmap, Some(Slot::Full(_))));
        assert_eq!(a.status.height, 1);
        assert_eq!(a.bar.y, 23);
        assert!(a.talker_list.visible() >= 8, "{:?}", a.talker_list);
    }

    #[test]
    fn panes_never_overlap_and_cover_the_screen() {
        for (w, h) in [
            (80, 24),
            (120, 40),
            (200, 60),
            (40, 10),
            (80, 8),
            (10, 3),
            (1, 1),
        ] {
            let a = Areas::compute(screen(w, h), false, 0, 0);
            let mut rects = vec![a.status, a.bar];
            for slot in [a.talkers, a.series, a.heatmap].into_iter().flatten() {
                if let Slot::Full(r) | Slot::Summary(r) = slot {
                    rects.push(r);
                }
            }
            for (i, r) in rects.iter().enumerate() {
                assert!(
                    r.right() <= w && r.bottom() <= h,
                    "{w}x{h}: {r:?} leaves the screen"
                );
                for s in &rects[i + 1..] {
                    assert!(
                        r.intersection(*s).is_empty(),
                        "{w}x{h}: {r:?} overlaps {s:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn small_screens_collapse_panes_to_summaries() {
        let a = Areas::compute(screen(80, 6), false, 0, 0);
        assert!(matches!(a.talkers, Some(Slot::Summary(_))));
        assert!(matches!(a.series, Some(Slot::Summary(_))));
        assert!(matches!(a.heatmap, Some(Slot::Summary(_))));
    }

    #[test]
    fn clicks_map_to_rows_after_scrolling() {
        let a = Areas::compute(screen(80, 24), false, 20, 0);
        let list = a.talker_list;
        assert!(list.offset > 0, "row 20 is below the fold");
        let first = list.rows.y;
        assert_eq!(a.hit(5, first), Some(Hit::Talkers(list.offset)));
        assert_eq!(a.hit(5, first + 2), Some(Hit::Talkers(list.offset + 2)));
        assert_eq!(a.hit(5, 0), None, "the status bar is not a row");
        let heat = a.heat_list.rows;
        assert_eq!(a.hit(heat.x, heat.y), Some(Hit::Heatmap(0)));
    }

    #[test]
    fn scroll_keeps_the_selection_visible() {
        assert_eq!(scroll_offset(0, 5), 0);
        assert_eq!(scroll_offset(4, 5), 0);
        assert_eq!(scroll_offset(5, 5), 1);
        assert_eq!(scroll_offset(3, 0), 0);
    }
}
