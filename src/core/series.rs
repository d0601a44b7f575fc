//! Record-time buckets: ACCEPT/REJECT over time and the destination-port × time heatmap.
//!
//! Buckets are keyed by the record's `end` (the S3 file window uses `end`, FORMAT.md §9.10).
//! The bucket width adapts to the span of record time seen: it starts at 1 s and steps up a
//! ladder of widths that divide each other (1 s, 5 s, 10 s, 30 s, 1 m, 5 m, 10 m, 30 m, 1 h)
//! whenever the span would need more than [`MAX_BUCKETS`]; wider buckets are exact sums of
//! narrower ones, so partials of different widths merge exactly. Storage is sparse: an
//! outlier timestamp costs one bucket, not the years in between.

use serde::Serialize;

use super::table::FastMap;
use crate::parse::Action;

/// Bucket widths in seconds; each divides the next.
pub const WIDTHS: [u64; 9] = [1, 5, 10, 30, 60, 300, 600, 1800, 3600];

/// The most buckets a span is cut into before the width steps up (1 h buckets are final).
pub const MAX_BUCKETS: u64 = 720;

/// Destination ports from here up are one heatmap row: ephemeral ports of replies.
pub const EPHEMERAL_FROM: u16 = 32768;

/// How many adjacent buckets stay open for in-place updates.
const OPEN: usize = 4;

/// `open_base` when no bucket is open.
const NONE: u64 = u64::MAX;

/// `x / WIDTHS[index]`, with each divisor a constant (a multiply, not a division).
#[inline(always)]
fn div_width(x: u64, index: usize) -> u64 {
    match index {
        0 => x,
        1 => x / 5,
        2 => x / 10,
        3 => x / 30,
        4 => x / 60,
        5 => x / 300,
        6 => x / 600,
        7 => x / 1800,
        _ => x / 3600,
    }
}

/// ACCEPT and REJECT totals of one bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Bucket {
    /// ACCEPT records.
    pub accept_flows: u64,
    /// Bytes of ACCEPT records.
    pub accept_bytes: u64,
    /// REJECT records.
    pub reject_flows: u64,
    /// Bytes of REJECT records.
    pub reject_bytes: u64,
}

impl Bucket {
    fn merge(&mut self, o: &Bucket) {
        self.accept_flows += o.accept_flows;
        self.accept_bytes = self.accept_bytes.saturating_add(o.accept_bytes);
        self.reject_flows += o.reject_flows;
        self.reject_bytes = self.reject_bytes.saturating_add(o.reject_bytes);
    }
}

/// One heatmap cell: traffic to one destination-port row in one bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cell {
    /// Records.
    pub flows: u64,
    /// Bytes.
    pub bytes: u64,
    /// REJECT records among them.
    pub reject: u64,
}

impl Cell {
    fn merge(&mut self, o: &Cell) {
        self.flows += o.flows;
        self.bytes = self.bytes.saturating_add(o.bytes);
        self.reject += o.reject;
    }
}

/// The heatmap row of a destination port: itself, or [`EPHEMERAL_FROM`] for all above.
pub fn port_row(port: u16) -> u16 {
    port.min(EPHEMERAL_FROM)
}

/// The `n` busiest of `rows` (port row, flows), most flows first, ties to the lower port:
/// how the heatmap ranks its rows.
pub fn busiest_rows(rows: impl IntoIterator<Item = (u16, u64)>, n: usize) -> Vec<u16> {
    let mut ranked: Vec<(u16, u64)> = rows.into_iter().collect();
    let order = |a: &(u16, u64), b: &(u16, u64)| b.1.cmp(&a.1).then(a.0.cmp(&b.0));
    if ranked.len() > n && n > 0 {
        ranked.select_nth_unstable_by(n - 1, order);
    }
    ranked.truncate(n);
    ranked.sort_unstable_by(order);
    ranked.into_iter().map(|(row, _)| row).collect()
}

/// ACCEPT/REJECT per bucket and the port × bucket heatmap, at one adaptive width.
#[derive(Debug, Clone)]
pub struct TimeSeries {
    width_index: usize,
    first_end: u64,
    last_end: u64,
    buckets: FastMap<u64, Bucket>,
    /// Keyed by `bucket start << 16 | port row`: one integer hashes faster than a tuple.
    heat: FastMap<u64, Cell>,
    /// A few adjacent buckets around where records are arriving (they come roughly in time
    /// order, a capture window straddling two buckets): updated in place, folded into the
    /// map only when a record lands outside them. `NONE` when none are open.
    open_base: u64,
    open: [Bucket; OPEN],
    /// The span at which the width must step up (`MAX_BUCKETS × width`), so that the
    /// per-record check is a subtraction, not a division.
    span_limit: u64,
    /// Whether the heatmap is kept (the dashboard needs it; `report` does not, and it costs
    /// a fifth of `report`'s time).
    heatmap: bool,
}

fn heat_key(start: u64, row: u16) -> u64 {
    (start << 16) | u64::from(row)
}

fn heat_parts(key: u64) -> (u64, u16) {
    (key >> 16, key as u16)
}

impl Default for TimeSeries {
    fn default() -> Self {
        TimeSeries {
            width_index: 0,
            first_end: u64::MAX,
            last_end: 0,
            buckets: FastMap::default(),
            heat: FastMap::default(),
            open_base: NONE,
            open: [Bucket::default(); OPEN],
            span_limit: MAX_BUCKETS * WIDTHS[0],
            heatmap: false,
        }
    }
}

impl TimeSeries {
    /// A series that also keeps the destination-port × time heatmap.
    pub fn with_heatmap() -> TimeSeries {
        TimeSeries {
            heatmap: true,
            ..TimeSeries::default()
        }
    }

    /// The current bucket width in seconds.
    pub fn width(&self) -> u64 {
        WIDTHS[self.width_index]
    }

    /// Counts one OK record ending at `end`.
    #[inline]
    pub fn add(&mut self, end: u64, action: Option<Action>, bytes: u64, dstport: Option<u16>) {
        self.last_end = self.last_end.max(end);
        if end < self.first_end || self.last_end - self.first_end >= self.span_limit {
            self.first_end = self.first_end.min(end);
            self.fit_width();
        }
        let width = self.width();
        let mut slot = div_width(end.wrapping_sub(self.open_base), self.width_index) as usize;
        if self.open_base == NONE || slot >= OPEN {
            self.close_open();
            let start = div_width(end, self.width_index) * width;
            self.open_base = start.saturating_sub(width * (OPEN as u64 / 2));
            slot = ((start - self.open_base) / width) as usize;
        }
        let b = &mut self.open[slot];
        let rejected = action == Some(Action::Reject);
        match action {
            Some(Action::Accept) => {
                b.accept_flows += 1;
                b.accept_bytes = b.accept_bytes.saturating_add(bytes);
            }
            Some(Action::Reject) => {
                b.reject_flows += 1;
                b.reject_bytes = b.reject_bytes.saturating_add(bytes);
            }
            None => {}
        }
        if let Some(port) = dstport.filter(|_| self.heatmap) {
            let start = self.open_base + slot as u64 * width;
            let cell = self
                .heat
                .entry(heat_key(start, port_row(port)))
                .or_default();
            cell.flows += 1;
            cell.bytes = cell.bytes.saturating_add(bytes);
            cell.reject += u64::from(rejected);
        }
    }

    /// Folds the open buckets into the map.
    fn close_open(&mut self) {
        if self.open_base == NONE {
            return;
        }
        let width = self.width();
        for (i, b) in self.open.iter_mut().enumerate() {
            if *b != Bucket::default() {
                let start = self.open_base + i as u64 * width;
                self.buckets.entry(start).or_default().merge(b);
                *b = Bucket::default();
            }
        }
        self.open_base = NONE;
    }

    /// Steps the width up until the span fits in [`MAX_BUCKETS`] (or the widest is reached).
    fn fit_width(&mut self) {
        let span = self.last_end.saturating_sub(self.first_end);
        let mut index = self.width_index;
        while index + 1 < WIDTHS.len() && span / WIDTHS[index] >= MAX_BUCKETS {
            index += 1;
        }
        self.coarsen_to(index);
    }

    fn coarsen_to(&mut self, index: usize) {
        if index <= self.width_index {
            return;
        }
        self.close_open();
        self.width_index = index;
        self.span_limit = if index + 1 == WIDTHS.len() {
            u64::MAX
        } else {
            MAX_BUCKETS * WIDTHS[index]
        };
        let width = self.width();
        let mut buckets = FastMap::default();
        for (start, b) in self.buckets.drain() {
            buckets
                .entry(start - start % width)
                .or_insert_with(Bucket::default)
                .merge(&b);
        }
        self.buckets = buckets;
        let mut heat = FastMap::default();
        for (key, c) in self.heat.drain() {
            let (start, row) = heat_parts(key);
            heat.entry(heat_key(start - start % width, row))
                .or_insert_with(Cell::default)
                .merge(&c);
        }
        self.heat = heat;
    }

    /// Adds everything `other` counted (at the wider of the two widths).
    pub fn merge(&mut self, mut other: TimeSeries) {
        self.close_open();
        other.close_open();
        if other.buckets.is_empty() && other.heat.is_empty() {
            return;
        }
        self.first_end = self.first_end.min(other.first_end);
        self.last_end = self.last_end.max(other.last_end);
        other.coarsen_to(self.width_index);
        self.coarsen_to(other.width_index);
        self.fit_width();
        other.coarsen_to(self.width_index);
        for (start, b) in other.buckets {
            self.buckets.entry(start).or_default().merge(&b);
        }
        for (key, c) in other.heat {
            self.heat.entry(key).or_default().merge(&c);
        }
    }

    /// Every non-empty bucket, oldest first, as `(bucket start, totals)`.
    pub fn buckets(&self) -> Vec<(u64, Bucket)> {
        let mut all = self.buckets.clone();
        if self.open_base != NONE {
            for (i, b) in self.open.iter().enumerate() {
                all.entry(self.open_base + i as u64 * self.width())
                    .or_default()
                    .merge(b);
            }
        }
        let mut v: Vec<_> = all
            .into_iter()
            .filter(|(_, b)| *b != Bucket::default())
            .collect();
        v.sort_unstable_by_key(|(s, _)| *s);
        v
    }

    /// The heatmap cells of the `rows` busiest port rows (most flows, ties to the lower port)
    /// as `(bucket start, port row, cell)`, sorted, and every other row's cells summed into
    /// one. A busy VPC has thousands of rows (a port scan alone makes one per port) and a pane
    /// shows a few dozen: copying and sorting every cell was most of a snapshot's build.
    pub fn heat_top(&self, rows: usize) -> (Vec<(u64, u16, Cell)>, Cell) {
        let mut per_row = vec![0u64; usize::from(EPHEMERAL_FROM) + 1];
        for (key, c) in &self.heat {
            let (_, row) = heat_parts(*key);
            if let Some(total) = per_row.get_mut(usize::from(row)) {
                *total += c.flows;
            }
        }
        let counted = per_row
            .iter()
            .enumerate()
            .filter(|(_, flows)| **flows > 0)
            .map(|(row, flows)| (row as u16, *flows));
        let mut shown = vec![false; per_row.len()];
        for row in busiest_rows(counted, rows) {
            shown[usize::from(row)] = true;
        }
        let mut cells = Vec::new();
        let mut rest = Cell::default();
        for (key, c) in &self.heat {
            let (start, row) = heat_parts(*key);
            if shown.get(usize::from(row)).copied().unwrap_or(false) {
                cells.push((start, row, *c));
            } else {
                rest.merge(c);
            }
        }
        cells.sort_unstable_by_key(|(s, p, _)| (*s, *p));
        (cells, rest)
    }

    /// Every non-empty heatmap cell as `(bucket start, port row, cell)`, sorted (empty unless
    /// made [`with_heatmap`](Self::with_heatmap)).
    pub fn heat_cells(&self) -> Vec<(u64, u16, Cell)> {
        let mut v: Vec<_> = self
            .heat
            .iter()
            .map(|(k, c)| (*k, *c))
            .map(|(k, c)| {
                let (s, p) = heat_parts(k);
                (s, p, c)
            })
            .collect();
        v.sort_unstable_by_key(|(s, p, _)| (*s, *p));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_width_adapts_to_the_span_and_keeps_totals() {
        let mut s = TimeSeries::with_heatmap();
        s.add(1_000, Some(Action::Accept), 10, Some(443));
        assert_eq!(s.width(), 1);
        s.add(1_000 + 719, Some(Action::Reject), 5, Some(40_000));
        assert_eq!(s.width(), 1);
        s.add(1_000 + 720, Some(Action::Reject), 5, Some(40_001));
        assert_eq!(s.width(), 5);
        s.add(1_000 + 86_400 * 3, Some(Action::Accept), 1, None);
        assert_eq!(s.width(), 600);
        let total: u64 = s
            .buckets()
            .iter()
            .map(|(_, b)| b.accept_flows + b.reject_flows)
            .sum();
        assert_eq!(total, 4);
        assert!(s.buckets().iter().all(|(start, _)| start % 600 == 0));
        let rows: Vec<u16> = s.heat_cells().iter().map(|(_, p, _)| *p).collect();
        assert_eq!(rows, vec![443, EPHEMERAL_FROM]);
        assert_eq!(s.heat_cells()[1].2.reject, 2);
    }

    #[test]
    fn an_outlier_costs_one_bucket() {
        let mut s = TimeSeries::default();
        s.add(164_000_066, Some(Action::Accept), 1, None);
        s.add(1_640_000_297, Some(Action::Accept), 1, None);
        assert_eq!(s.width(), 3600);
        assert_eq!(s.buckets().len(), 2);
    }

    #[test]
    fn merging_partials_of_different_widths_is_exact() {
        let mut a = TimeSeries::with_heatmap();
        let mut b = TimeSeries::with_heatmap();
        let mut whole = TimeSeries::with_heatmap();
        for i in 0..5_000u64 {
            let end = 10_000 + (i * 7919) % 4_000;
            let action = if i % 3 == 0 {
                Action::Reject
            } else {
                Action::Accept
            };
            let part = if i < 100 { &mut a } else { &mut b };
            part.add(end, Some(action), i, Some((i % 50) as u16));
            whole.add(end, Some(action), i, Some((i % 50) as u16));
        }
        a.merge(b);
        assert_eq!(a.width(), whole.width());
        assert_eq!(a.buckets(), whole.buckets());
        assert_eq!(a.heat_cells(), whole.heat_cells());
    }

    #[test]
    fn the_busiest_rows_keep_their_cells_and_the_rest_is_summed() {
        let mut s = TimeSeries::with_heatmap();
        // Port p gets p % 7 + 1 flows in each of three buckets, so ranks tie in groups; an
        // ephemeral port and port 0 are rows like any other.
        let ports: Vec<u16> = (0..90).chain([40_000, 50_000]).collect();
        for bucket in 0..3u64 {
            for &p in &ports {
                for _ in 0..(p % 7 + 1) {
                    let rejected = p % 3 == 0;
                    let action = if rejected {
                        Action::Reject
                    } else {
                        Action::Accept
                    };
                    s.add(1_000 + bucket * 2, Some(action), 100, Some(p));
                }
            }
        }
        let all = s.heat_cells();
        let (shown, rest) = s.heat_top(10);
        // The ranking the pane uses, over every cell.
        let mut per_row: std::collections::BTreeMap<u16, u64> = Default::default();
        for (_, row, c) in &all {
            *per_row.entry(*row).or_default() += c.flows;
        }
        let mut ranked: Vec<(u16, u64)> = per_row.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let top: Vec<u16> = ranked.iter().take(10).map(|(p, _)| *p).collect();
        let kept: Vec<_> = all
            .iter()
            .filter(|(_, row, _)| top.contains(row))
            .copied()
            .collect();
        assert_eq!(shown, kept, "the top rows' cells, sorted");
        let mut others = Cell::default();
        for (_, row, c) in &all {
            if !top.contains(row) {
                others.merge(c);
            }
        }
        assert_eq!(rest, others);
        assert!(rest.flows > 0 && rest.reject > 0);
        // Fewer rows than asked for: everything is shown.
        let (every, none) = s.heat_top(1_000);
        assert_eq!(every, all);
        assert_eq!(none, Cell::default());
        assert_eq!(
            s.heat_top(0).1.flows,
            all.iter().map(|(_, _, c)| c.flows).sum::<u64>()
        );
    }
}

#[cfg(test)]
mod heat_off {
    use super::*;

    #[test]
    fn without_the_heatmap_only_buckets_are_kept() {
        let mut s = TimeSeries::default();
        s.add(1_000, Some(Action::Accept), 10, Some(443));
        assert_eq!(s.buckets().len(), 1);
        assert!(s.heat_cells().is_empty());
    }
}
