//! The window engine: one key's per-bucket evidence walked in record-time order, opening an
//! alert when the window's count crosses its threshold, updating it while the count grows,
//! and closing it once the count has stayed under for the hold time.

use std::collections::BTreeMap;

use super::{AlertEvent, Detection, Evidence, Phase, Severity};
use crate::core::signals::{BUCKET_SECS, Bucket, bucket_start};

/// What one key saw in one bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Seen {
    /// Distinct things (ports, hosts): a window counts the distinct ones over its buckets.
    Distinct(Vec<u128>),
    /// A count: a window sums them.
    Count(u64),
}

impl Seen {
    fn count(&self) -> u64 {
        match self {
            Seen::Distinct(v) => v.len() as u64,
            Seen::Count(n) => *n,
        }
    }
}

/// When a window's count is alarming.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Threshold {
    /// At or above this count.
    Fixed(u64),
    /// At or above `factor` times the key's own mean window count over the `windows`
    /// windows before, and never under `floor`; history starts at bucket `since` (the
    /// run's first).
    Baseline {
        factor: f64,
        floor: u64,
        windows: u64,
        since: Bucket,
    },
}

/// One key of one detection, with everything its events carry.
#[derive(Debug, Clone)]
pub(super) struct Track {
    pub detection: Detection,
    pub name: String,
    pub severity: Severity,
    pub key: String,
    pub filter: String,
    pub unit: &'static str,
    pub threshold: Threshold,
    /// Buckets per window and per hold time.
    pub window: u64,
    pub hold: u64,
    /// Only the key's first incident alerts (a new talker is new once).
    pub first_only: bool,
    pub buckets: BTreeMap<Bucket, Seen>,
}

impl Track {
    fn window_count(&self, lo: Bucket, b: Bucket) -> u64 {
        let mut distinct: Vec<u128> = Vec::new();
        let mut sum = 0;
        let mut parts = 0;
        for s in self.buckets.range(lo..=b).map(|(_, s)| s) {
            match s {
                Seen::Distinct(v) => {
                    distinct.extend_from_slice(v);
                    parts += 1;
                }
                Seen::Count(n) => sum += n,
            }
        }
        if parts == 0 {
            return sum;
        }
        if parts > 1 {
            distinct.sort_unstable();
            distinct.dedup();
        }
        distinct.len() as u64
    }

    /// The threshold for the window `lo..=b`.
    fn threshold_at(&self, lo: Bucket) -> (u64, Option<u64>) {
        match self.threshold {
            Threshold::Fixed(n) => (n, None),
            Threshold::Baseline {
                factor,
                floor,
                windows,
                since,
            } => {
                let span = (windows * self.window).min(u64::from(lo.saturating_sub(since)));
                if span == 0 {
                    return (floor, Some(0));
                }
                let from = lo - span as Bucket;
                let sum: u64 = self.buckets.range(from..lo).map(|(_, s)| s.count()).sum();
                let mean = (sum as f64 * self.window as f64 / span as f64).round() as u64;
                let bar = (factor * mean as f64).ceil() as u64;
                (bar.max(floor), Some(mean))
            }
        }
    }

    /// The events of this key, from its first bucket until it closes after its last (or
    /// the records end at bucket `end`: an alert still open then stays open).
    pub fn walk(&self, end: Bucket, out: &mut Vec<AlertEvent>) {
        let (Some(&first), Some(&last)) =
            (self.buckets.keys().next(), self.buckets.keys().next_back())
        else {
            return;
        };
        // A fixed bar no window can reach (the sum of every bucket is under it): no alert.
        if let Threshold::Fixed(n) = self.threshold
            && self.buckets.values().map(Seen::count).sum::<u64>() < n
        {
            return;
        }
        let w = self.window.max(1) as Bucket;
        let hold = self.hold.max(1);
        // While open: (first evidence bucket, last reported count, threshold and baseline
        // it opened at).
        let mut open: Option<(Bucket, u64, (u64, Option<u64>))> = None;
        let mut under = 0;
        let stop = u64::from(last) + u64::from(w) + hold;
        let stop = stop.min(u64::from(end.max(last))) as Bucket;
        let mut b = first;
        loop {
            let lo = (b + 1).saturating_sub(w);
            let count = self.window_count(lo, b);
            let bar = match open {
                Some((_, _, bar)) => bar,
                None => self.threshold_at(lo),
            };
            let last_seen = self.buckets.range(..=b).next_back().map_or(b, |(k, _)| *k);
            let event = |phase, since: Bucket| AlertEvent {
                phase,
                detection: self.detection,
                name: self.name.clone(),
                severity: self.severity,
                key: self.key.clone(),
                at: bucket_start(b + 1),
                window: (bucket_start(lo), bucket_start(b + 1)),
                filter: self.filter.clone(),
                evidence: Evidence {
                    count,
                    unit: self.unit,
                    threshold: bar.0,
                    baseline: bar.1,
                    first_seen: bucket_start(since),
                    last_seen: bucket_start(last_seen) + BUCKET_SECS,
                },
                storm: None,
            };
            match open {
                None if count >= bar.0 && bar.0 > 0 => {
                    // The incident's first evidence: the oldest bucket of this window with any.
                    let since = self.buckets.range(lo..=b).next().map_or(b, |(k, _)| *k);
                    out.push(event(Phase::Opened, since));
                    open = Some((since, count, bar));
                    under = 0;
                }
                None => {}
                Some((since, reported, bar)) if count >= bar.0 => {
                    under = 0;
                    if count > reported {
                        out.push(event(Phase::Updated, since));
                        open = Some((since, count, bar));
                    }
                }
                Some((since, _, _)) => {
                    under += 1;
                    if under >= hold {
                        out.push(event(Phase::Closed, since));
                        open = None;
                        under = 0;
                        if self.first_only {
                            return;
                        }
                    }
                }
            }
            if (open.is_none() && b >= last) || b >= stop {
                return;
            }
            // Closed, a window only crosses when new evidence comes in: go to the next.
            b = match open {
                None => self
                    .buckets
                    .range(b + 1..)
                    .next()
                    .map_or(b + 1, |(k, _)| *k),
                Some(_) => b + 1,
            };
        }
    }
}
