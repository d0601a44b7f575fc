//! Distributions of flow size and duration (`hdrhistogram`, 2 significant digits: 1 % is
//! plenty for p50/p90/p99, and the four histograms of a worker then fit in its L2 cache; at 3
//! digits they took 3.4 MB and cost a cache miss per record).
//!
//! Hot path: four values per record. Recording through `Histogram` (bounds, clamping, min,
//! max and total upkeep, one call each) cost ~8 % of `report`'s time, so records go into
//! `Bins`, plain counters laid out exactly as the histogram's buckets, and a `Histogram`
//! is filled from them only when percentiles are read. A test holds the two layouts equal.

use hdrhistogram::Histogram;
use serde::Serialize;

/// Percentiles of one distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Percentiles {
    /// How many values were recorded.
    pub count: u64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Largest value (exact up to the histogram's precision).
    pub max: u64,
}

/// Bytes per flow, packets per flow, flow duration (`end - start`, seconds) and bytes per
/// packet, over OK records that carry the needed fields.
#[derive(Debug, Clone, Default)]
pub struct FlowHistograms {
    bytes: Bins,
    packets: Bins,
    duration: Bins,
    bytes_per_packet: Bins,
}

/// The largest value kept apart; larger values saturate into its bucket (counters above
/// 4.6e18 are not plausible per flow).
const HIGHEST: u64 = 1 << 62;

/// 1 .. [`HIGHEST`] at 2 significant digits.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIGHEST, 2).expect("valid histogram bounds")
}

/// Sub-buckets per bucket at 2 significant digits: the power of two at or above 2 × 10².
const SUB_BUCKET_MAGNITUDE: u32 = 8;
/// Values below this share bucket 0.
const SUB_BUCKET_MASK: u64 = (1 << SUB_BUCKET_MAGNITUDE) - 1;
/// Half the sub-buckets: the upper half of each bucket after the first is the one used.
const HALF_MAGNITUDE: u32 = SUB_BUCKET_MAGNITUDE - 1;
/// Buckets needed to reach [`HIGHEST`]: 2^8 · 2^55 > 2^62.
const BUCKETS: usize = 56;
/// Counters in the layout: (buckets + 1) × half the sub-buckets.
const BINS: usize = (BUCKETS + 1) << HALF_MAGNITUDE;

/// The counter of `value` in `hdrhistogram`'s layout for these bounds (see `Histogram::
/// index_for`), values past the layout's end counted at [`HIGHEST`] as the histogram's
/// saturating record does.
#[inline(always)]
fn bin(value: u64) -> usize {
    let at = |v: u64| {
        let bucket = (64 - SUB_BUCKET_MAGNITUDE) - (v | SUB_BUCKET_MASK).leading_zeros();
        let sub_bucket = (v >> bucket) as usize;
        ((bucket as usize + 1) << HALF_MAGNITUDE) + sub_bucket - (1 << HALF_MAGNITUDE)
    };
    match at(value) {
        i if i < BINS => i,
        _ => at(HIGHEST),
    }
}

/// The least value counted by counter `i` (see `Histogram::value_for`).
fn lowest_value(i: usize) -> u64 {
    let half = 1usize << HALF_MAGNITUDE;
    let (bucket, sub_bucket) = match (i >> HALF_MAGNITUDE).checked_sub(1) {
        Some(bucket) => (bucket, (i & (half - 1)) + half),
        None => (0, i & (half - 1)),
    };
    (sub_bucket as u64) << bucket
}

/// Counts per histogram bucket; see the module documentation.
#[derive(Debug, Clone)]
struct Bins {
    counts: Box<[u64]>,
}

impl Default for Bins {
    fn default() -> Self {
        Bins {
            counts: vec![0; BINS].into_boxed_slice(),
        }
    }
}

impl Bins {
    /// Counts one value.
    #[inline(always)]
    fn record(&mut self, value: u64) {
        self.counts[bin(value)] += 1;
    }

    /// Adds everything `other` counted.
    fn merge(&mut self, other: &Bins) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
    }

    /// The counts as a histogram: each bucket's count recorded at its least value.
    fn histogram(&self) -> Histogram<u64> {
        let mut h = histogram();
        for (i, &count) in self.counts.iter().enumerate() {
            if count > 0 {
                h.saturating_record_n(lowest_value(i), count);
            }
        }
        h
    }

    /// The percentiles of the values counted, or `None` when there are none.
    fn percentiles(&self) -> Option<Percentiles> {
        let h = self.histogram();
        (!h.is_empty()).then(|| Percentiles {
            count: h.len(),
            p50: h.value_at_quantile(0.5),
            p90: h.value_at_quantile(0.9),
            p99: h.value_at_quantile(0.99),
            max: h.max(),
        })
    }
}

impl FlowHistograms {
    /// Records one OK record's values (each only when present).
    #[inline]
    pub fn add(
        &mut self,
        bytes: Option<u64>,
        packets: Option<u64>,
        start: Option<u64>,
        end: Option<u64>,
    ) {
        if let Some(b) = bytes {
            self.bytes.record(b);
        }
        if let Some(p) = packets {
            self.packets.record(p);
        }
        if let (Some(s), Some(e)) = (start, end) {
            self.duration.record(e.saturating_sub(s));
        }
        if let (Some(b), Some(p)) = (bytes, packets)
            && p > 0
        {
            // Most flows are one packet: skip the division (tens of cycles) for them.
            self.bytes_per_packet.record(if p == 1 { b } else { b / p });
        }
    }

    /// Adds everything `other` recorded.
    pub fn merge(&mut self, other: &FlowHistograms) {
        self.bytes.merge(&other.bytes);
        self.packets.merge(&other.packets);
        self.duration.merge(&other.duration);
        self.bytes_per_packet.merge(&other.bytes_per_packet);
    }

    /// Bytes per flow.
    pub fn bytes(&self) -> Option<Percentiles> {
        self.bytes.percentiles()
    }

    /// Packets per flow.
    pub fn packets(&self) -> Option<Percentiles> {
        self.packets.percentiles()
    }

    /// Flow duration in seconds.
    pub fn duration(&self) -> Option<Percentiles> {
        self.duration.percentiles()
    }

    /// Bytes per packet (flows with at least one packet).
    pub fn bytes_per_packet(&self) -> Option<Percentiles> {
        self.bytes_per_packet.percentiles()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_within_two_significant_digits() {
        let mut h = FlowHistograms::default();
        for v in 1..=10_000u64 {
            h.add(Some(v * 1000), Some(v), Some(100), Some(100 + v % 60));
        }
        h.add(Some(u64::MAX), Some(0), None, None);
        let b = h.bytes().unwrap();
        assert_eq!(b.count, 10_001);
        assert!((b.p50 as f64 - 5_000_000.0).abs() / 5e6 < 0.01, "{b:?}");
        assert!((b.p99 as f64 - 9_900_000.0).abs() / 9.9e6 < 0.01, "{b:?}");
        assert!(b.max >= 1 << 61, "saturated at the top, not dropped");
        assert!(h.bytes_per_packet().unwrap().p50.abs_diff(1000) <= 10);
        assert_eq!(h.duration().unwrap().max, 59);
        assert!(FlowHistograms::default().bytes().is_none());
    }

    /// Values at the edges of every bucket, saturation included, and a spread in between.
    fn probe_values() -> Vec<u64> {
        let mut values = vec![0, 1, 2, 127, 128, 129, 200, 255, 256, 257, 511, 512, 513];
        for shift in 0..64 {
            let p = 1u64 << shift;
            values.extend([p - 1, p, p + 1, p | (p >> 1), p.saturating_mul(3) / 2]);
        }
        values.extend([
            HIGHEST - 1,
            HIGHEST,
            HIGHEST + 1,
            (1 << 63) - 1,
            1 << 63,
            u64::MAX,
        ]);
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Every magnitude equally often.
            values.push(x >> (x % 64));
        }
        values
    }

    #[test]
    fn bins_follow_the_histogram_layout_exactly() {
        let reference = histogram();
        assert_eq!(reference.distinct_values(), BINS);
        for v in probe_values() {
            // The layout reaches 2^63 - 1; the histogram clamps what lies beyond to HIGHEST.
            let recorded = if v >= 1 << 63 { HIGHEST } else { v };
            assert_eq!(
                lowest_value(bin(v)),
                reference.lowest_equivalent(recorded),
                "value {v}"
            );
        }
    }

    #[test]
    fn percentiles_equal_those_of_recording_into_the_histogram_directly() {
        let values = probe_values();
        let mut direct = histogram();
        let mut bins = Bins::default();
        for (i, &v) in values.iter().enumerate() {
            direct.saturating_record(v);
            bins.record(v);
            // Part way too, with the histogram built from the bins each time.
            if i % 5_000 == 0 {
                let h = bins.histogram();
                assert_eq!(h.len(), direct.len());
                assert_eq!(h.max(), direct.max());
            }
        }
        let expected = Percentiles {
            count: direct.len(),
            p50: direct.value_at_quantile(0.5),
            p90: direct.value_at_quantile(0.9),
            p99: direct.value_at_quantile(0.99),
            max: direct.max(),
        };
        assert_eq!(bins.percentiles(), Some(expected));
        let rebuilt = bins.histogram();
        let pairs = |h: &Histogram<u64>| -> Vec<(u64, u64)> {
            h.iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect()
        };
        assert_eq!(pairs(&rebuilt), pairs(&direct));
        assert_eq!(Bins::default().percentiles(), None);
    }
}
