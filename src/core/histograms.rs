//! Distributions of flow size and duration (`hdrhistogram`, 2 significant digits: 1 % is
//! plenty for p50/p90/p99, and the four histograms of a worker then fit in its L2 cache; at 3
//! digits they took 3.4 MB and cost a cache miss per record).

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
#[derive(Debug, Clone)]
pub struct FlowHistograms {
    bytes: Histogram<u64>,
    packets: Histogram<u64>,
    duration: Histogram<u64>,
    bytes_per_packet: Histogram<u64>,
}

fn histogram() -> Histogram<u64> {
    // 1 .. 2^62 at 2 significant digits; larger values saturate at the top (counters above
    // 4.6e18 are not plausible per flow).
    Histogram::new_with_bounds(1, 1 << 62, 2).expect("valid histogram bounds")
}

impl Default for FlowHistograms {
    fn default() -> Self {
        FlowHistograms {
            bytes: histogram(),
            packets: histogram(),
            duration: histogram(),
            bytes_per_packet: histogram(),
        }
    }
}

/// The percentiles of `h`, or `None` when it is empty.
fn percentiles(h: &Histogram<u64>) -> Option<Percentiles> {
    (!h.is_empty()).then(|| Percentiles {
        count: h.len(),
        p50: h.value_at_quantile(0.5),
        p90: h.value_at_quantile(0.9),
        p99: h.value_at_quantile(0.99),
        max: h.max(),
    })
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
            self.bytes.saturating_record(b);
        }
        if let Some(p) = packets {
            self.packets.saturating_record(p);
        }
        if let (Some(s), Some(e)) = (start, end) {
            self.duration.saturating_record(e.saturating_sub(s));
        }
        if let (Some(b), Some(p)) = (bytes, packets)
            && p > 0
        {
            // Most flows are one packet: skip the division (tens of cycles) for them.
            self.bytes_per_packet
                .saturating_record(if p == 1 { b } else { b / p });
        }
    }

    /// Adds everything `other` recorded.
    pub fn merge(&mut self, other: &FlowHistograms) {
        // Same bounds on both sides: adding cannot fail.
        let _ = self.bytes.add(&other.bytes);
        let _ = self.packets.add(&other.packets);
        let _ = self.duration.add(&other.duration);
        let _ = self.bytes_per_packet.add(&other.bytes_per_packet);
    }

    /// Bytes per flow.
    pub fn bytes(&self) -> Option<Percentiles> {
        percentiles(&self.bytes)
    }

    /// Packets per flow.
    pub fn packets(&self) -> Option<Percentiles> {
        percentiles(&self.packets)
    }

    /// Flow duration in seconds.
    pub fn duration(&self) -> Option<Percentiles> {
        percentiles(&self.duration)
    }

    /// Bytes per packet (flows with at least one packet).
    pub fn bytes_per_packet(&self) -> Option<Percentiles> {
        percentiles(&self.bytes_per_packet)
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
}
