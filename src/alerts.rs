//! Alerts: detections that watch a total's per-bucket evidence
//! ([`Signals`](crate::core::Signals)) over a sliding record-time window. An alert opens
//! when its key crosses the threshold, is updated while the window's count grows, and closes
//! once the count has stayed under the threshold for the hold time: one alert per key per
//! incident, never one per record.
//!
//! Evaluation walks the buckets in record-time order, so replaying history gives the
//! moment each incident started; the evidence merges exactly, so the same records in any
//! split among workers give the same alerts.
//!
//! Never: reads inputs or the store, or prints; commands and `report` show the events.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

use crate::core::Aggregate;
use crate::core::signals::{BUCKET_SECS, LOGIN_PORTS};

/// How much an alert matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look.
    Low,
    /// Something is wrong.
    Medium,
    /// Someone is attacking.
    High,
}

impl Severity {
    /// Its name (`low`, `medium`, `high`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// A built-in detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Detection {
    /// One source refused on many ports of one host.
    PortScan,
    /// Many refused connections from one source to one login service (SSH, RDP, a
    /// database).
    BruteForce,
    /// Flows refused by VPC Block Public Access (`reject-reason` BPA).
    BlockPublicAccess,
    /// NODATA/SKIPDATA records from an interface that had traffic: a logging gap.
    LoggingGap,
}

impl Detection {
    /// Every detection.
    pub const ALL: [Detection; 4] = [
        Detection::PortScan,
        Detection::BruteForce,
        Detection::BlockPublicAccess,
        Detection::LoggingGap,
    ];

    /// Its name in output (`port-scan`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Detection::PortScan => "port-scan",
            Detection::BruteForce => "brute-force",
            Detection::BlockPublicAccess => "block-public-access",
            Detection::LoggingGap => "logging-gap",
        }
    }

    /// How much it matters.
    pub const fn severity(self) -> Severity {
        match self {
            Detection::PortScan | Detection::BruteForce => Severity::High,
            Detection::BlockPublicAccess => Severity::Medium,
            Detection::LoggingGap => Severity::Low,
        }
    }
}

/// The thresholds and windows detections use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Record seconds a detection looks back over (rounded up to whole buckets).
    pub window_secs: u64,
    /// Record seconds the count must stay under its threshold before an alert closes.
    pub hold_secs: u64,
    /// Distinct refused ports of one host, from one source, that make a port scan.
    pub scan_ports: u64,
    /// Refused connections to one login service, from one source, that make a brute force.
    pub login_flows: u64,
    /// Flows refused by Block Public Access, to one service from one source.
    pub bpa_flows: u64,
    /// NODATA/SKIPDATA records of one interface.
    pub gap_records: u64,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            window_secs: 300,
            hold_secs: 120,
            scan_ports: 100,
            login_flows: 30,
            bpa_flows: 5,
            gap_records: 3,
        }
    }
}

impl Thresholds {
    fn window_buckets(&self) -> u64 {
        self.window_secs.div_ceil(BUCKET_SECS).max(1)
    }

    fn hold_buckets(&self) -> u64 {
        self.hold_secs.div_ceil(BUCKET_SECS).max(1)
    }

    fn of(&self, d: Detection) -> u64 {
        match d {
            Detection::PortScan => self.scan_ports,
            Detection::BruteForce => self.login_flows,
            Detection::BlockPublicAccess => self.bpa_flows,
            Detection::LoggingGap => self.gap_records,
        }
    }
}

/// Where an alert is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Its count crossed the threshold.
    Opened,
    /// Its count grew while it was open.
    Updated,
    /// Its count stayed under the threshold for the hold time.
    Closed,
}

/// What an alert saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// Within the window: distinct ports (a scan), flows or records (the others).
    pub count: u64,
    /// What `count` counts.
    pub unit: &'static str,
    /// Start of the first bucket with evidence in this incident, Unix seconds.
    pub first_seen: u64,
    /// End of the last bucket with evidence so far.
    pub last_seen: u64,
}

/// One event of one alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertEvent {
    /// Opened, updated or closed.
    pub phase: Phase,
    /// Which detection.
    pub detection: Detection,
    /// How much it matters.
    pub severity: Severity,
    /// What it is about: `SRC -> DST` (a scan), `SRC -> DST:PORT`, or an interface id.
    pub key: String,
    /// Record time of the event: the end of the bucket it was decided in, Unix seconds.
    pub at: u64,
    /// The window the count is over, Unix seconds (start, end).
    pub window: (u64, u64),
    /// What it saw.
    pub evidence: Evidence,
}

impl AlertEvent {
    /// One line for people: `opened high port-scan 45.33.32.156 -> 10.0.1.20: 300 ports in
    /// 5m (…)`.
    pub fn describe(&self) -> String {
        let head = format!(
            "{} {} {}",
            self.severity.as_str(),
            self.detection.as_str(),
            crate::sanitize::escape(self.key.as_bytes()),
        );
        let at = crate::units::utc(self.at);
        let e = &self.evidence;
        match self.phase {
            Phase::Closed => format!(
                "closed {head} at {at}: quiet since {} (first seen {})",
                crate::units::utc(e.last_seen),
                crate::units::utc(e.first_seen),
            ),
            phase => format!(
                "{} {head} at {at}: {} {} in the {} before it (first seen {})",
                if phase == Phase::Opened {
                    "opened"
                } else {
                    "updated"
                },
                crate::units::thousands(e.count),
                e.unit,
                crate::units::duration(self.window.1 - self.window.0),
                crate::units::utc(e.first_seen),
            ),
        }
    }
}

/// One alert from its opening to its closing (or the end of the records).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertSummary {
    /// Which detection.
    pub detection: Detection,
    /// How much it matters.
    pub severity: Severity,
    /// What it is about.
    pub key: String,
    /// When it opened, Unix seconds (record time).
    pub opened: u64,
    /// When it closed; `null` while it was still open when the records ended.
    pub closed: Option<u64>,
    /// The largest count any of its windows reached.
    pub peak: u64,
    /// What `peak` counts (`ports`, `flows`, `records`).
    pub unit: &'static str,
    /// Its first and last evidence, Unix seconds.
    pub first_seen: u64,
    /// See `first_seen`.
    pub last_seen: u64,
}

/// The alerts `events` (from [`evaluate`]) tell of, in the order they opened.
pub fn summarise(events: &[AlertEvent]) -> Vec<AlertSummary> {
    let mut out: Vec<AlertSummary> = Vec::new();
    let mut open: BTreeMap<(Detection, &str), usize> = BTreeMap::new();
    for e in events {
        let k = (e.detection, e.key.as_str());
        match (e.phase, open.get(&k)) {
            (Phase::Opened, _) => {
                open.insert(k, out.len());
                out.push(AlertSummary {
                    detection: e.detection,
                    severity: e.severity,
                    key: e.key.clone(),
                    opened: e.at,
                    closed: None,
                    peak: e.evidence.count,
                    unit: e.evidence.unit,
                    first_seen: e.evidence.first_seen,
                    last_seen: e.evidence.last_seen,
                });
            }
            (phase, Some(&i)) => {
                let a = &mut out[i];
                a.peak = a.peak.max(e.evidence.count);
                a.last_seen = a.last_seen.max(e.evidence.last_seen);
                if phase == Phase::Closed {
                    a.closed = Some(e.at);
                    open.remove(&k);
                }
            }
            (_, None) => {}
        }
    }
    out
}

/// Per bucket, what one key saw: distinct ports, or a count.
#[derive(Debug, Clone)]
enum Seen<'a> {
    Ports(&'a [u16]),
    Count(u64),
}

/// Every alert event of `agg`'s evidence at thresholds `t`, in record-time order (ties by
/// detection, then key).
pub fn evaluate(agg: &Aggregate, t: &Thresholds) -> Vec<AlertEvent> {
    let s = &agg.signals;
    type Series<'a> = BTreeMap<(Detection, String), BTreeMap<u64, Seen<'a>>>;
    let mut series: Series<'_> = BTreeMap::new();
    fn put<'a>(series: &mut Series<'a>, d: Detection, key: String, bucket: u64, seen: Seen<'a>) {
        series.entry((d, key)).or_default().insert(bucket, seen);
    }
    // A scan needs many ports in some window: skip keys that never have that many at all.
    let mut scan_ports: crate::core::FastMap<(IpAddr, IpAddr), usize> = Default::default();
    for ((_, src, dst), ports) in &s.refused_ports {
        *scan_ports.entry((*src, *dst)).or_default() += ports.len();
    }
    for ((b, src, dst), ports) in &s.refused_ports {
        if scan_ports[&(*src, *dst)] as u64 >= t.scan_ports {
            put(
                &mut series,
                Detection::PortScan,
                format!("{src} -> {dst}"),
                *b,
                Seen::Ports(ports),
            );
        }
    }
    for ((b, (src, dst, port)), n) in &s.refused_logins {
        debug_assert!(LOGIN_PORTS.contains(port));
        put(
            &mut series,
            Detection::BruteForce,
            format!("{src} -> {}", service(*dst, *port)),
            *b,
            Seen::Count(*n),
        );
    }
    for ((b, (src, dst, port)), n) in &s.bpa {
        put(
            &mut series,
            Detection::BlockPublicAccess,
            format!("{src} -> {}", service(*dst, *port)),
            *b,
            Seen::Count(*n),
        );
    }
    for ((b, eni), n) in &s.gaps {
        let had_traffic = agg.interface_stats(eni).is_some_and(|st| st.flows > 0);
        if had_traffic {
            put(
                &mut series,
                Detection::LoggingGap,
                eni.clone(),
                *b,
                Seen::Count(*n),
            );
        }
    }
    // Alerts still open when the records end stay open: nothing after the data is known.
    let end = agg.last_end.map_or(0, crate::core::signals::bucket_of);
    let mut events = Vec::new();
    for ((d, key), buckets) in &series {
        walk(*d, key, buckets, (t, end), &mut events);
    }
    events.sort_by(|a, b| {
        (a.at, a.detection, &a.key, phase_rank(a.phase)).cmp(&(
            b.at,
            b.detection,
            &b.key,
            phase_rank(b.phase),
        ))
    });
    events
}

fn phase_rank(p: Phase) -> u8 {
    match p {
        Phase::Closed => 0,
        Phase::Opened => 1,
        Phase::Updated => 2,
    }
}

/// `10.0.0.1:22`, `[2001:db8::1]:22`.
fn service(addr: IpAddr, port: u16) -> String {
    match addr {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

/// The events of one key: its window count bucket by bucket, from its first bucket until
/// it closes after its last.
fn walk(
    d: Detection,
    key: &str,
    buckets: &BTreeMap<u64, Seen<'_>>,
    (t, end): (&Thresholds, u64),
    out: &mut Vec<AlertEvent>,
) {
    let (w, hold, threshold) = (t.window_buckets(), t.hold_buckets(), t.of(d));
    let (Some(&first), Some(&last)) = (buckets.keys().next(), buckets.keys().next_back()) else {
        return;
    };
    let mut open: Option<(u64, u64)> = None; // (first seen bucket, last reported count)
    let mut under = 0;
    let mut b = first;
    // Past the last bucket the window empties; walk on until the alert can close, or the
    // records end.
    while b <= (last + w + hold).min(end.max(last)) {
        let lo = (b + 1).saturating_sub(w);
        let count = window_count(buckets.range(lo..=b).map(|(_, s)| s));
        let last_seen = buckets.range(..=b).next_back().map_or(b, |(k, _)| *k);
        let event = |phase, first_bucket: u64| AlertEvent {
            phase,
            detection: d,
            severity: d.severity(),
            key: key.to_string(),
            at: (b + 1) * BUCKET_SECS,
            window: (lo * BUCKET_SECS, (b + 1) * BUCKET_SECS),
            evidence: Evidence {
                count,
                unit: match d {
                    Detection::PortScan => "ports",
                    Detection::LoggingGap => "records",
                    _ => "flows",
                },
                first_seen: first_bucket * BUCKET_SECS,
                last_seen: (last_seen + 1) * BUCKET_SECS,
            },
        };
        match open {
            None if count >= threshold => {
                // The incident's first evidence: the oldest bucket of this window with any.
                let since = buckets.range(lo..=b).next().map_or(b, |(k, _)| *k);
                out.push(event(Phase::Opened, since));
                open = Some((since, count));
                under = 0;
            }
            None => {}
            Some((since, reported)) if count >= threshold => {
                under = 0;
                if count > reported {
                    out.push(event(Phase::Updated, since));
                    open = Some((since, count));
                }
            }
            Some((since, _)) => {
                under += 1;
                if under >= hold {
                    out.push(event(Phase::Closed, since));
                    open = None;
                    under = 0;
                }
            }
        }
        if open.is_none() && b >= last {
            break;
        }
        b += 1;
    }
}

/// A window's count: distinct ports over its buckets, or the sum of their counts.
fn window_count<'s, 'a: 's>(seen: impl Iterator<Item = &'s Seen<'a>>) -> u64 {
    let mut ports: Vec<u16> = Vec::new();
    let mut sum = 0;
    for s in seen {
        match s {
            Seen::Ports(p) => ports.extend_from_slice(p),
            Seen::Count(n) => sum += n,
        }
    }
    if ports.is_empty() {
        return sum;
    }
    ports.sort_unstable();
    ports.dedup();
    ports.len() as u64
}

#[cfg(test)]
mod tests;
