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

mod detect;
mod rules;
mod storm;
mod window;

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::Serialize;

pub use rules::{Rule, RuleError, load_rules, parse_rules};

use crate::core::Aggregate;
use crate::core::signals::{BUCKET_SECS, bucket_of, bucket_start};

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

/// A detection: built in, or a rule of the user's (by its index in [`Config::rules`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Detection {
    /// One source refused on many ports of one host.
    PortScan,
    /// One source refused on one port of many hosts.
    HostSweep,
    /// Many refused (or short accepted) connections from one source to one login service
    /// (SSH, RDP, a database).
    BruteForce,
    /// A service whose replies are refused (return traffic a stateless network ACL drops).
    ReturnDenied,
    /// Refusals on an interface (or overall) far above their own recent baseline, from
    /// sources no other alert explains.
    RejectSurge,
    /// Bytes from an interface to the internet far above its own recent baseline.
    EgressSpike,
    /// Flows refused by VPC Block Public Access (`reject-reason` BPA).
    BlockPublicAccess,
    /// Minutes of only NODATA/SKIPDATA records from an interface that had traffic.
    LoggingGap,
    /// An internet source accepted on a login port it had not reached in the run's first
    /// window.
    NewTalker,
    /// A rule of the user's.
    Rule(u16),
}

impl Detection {
    /// Every built-in detection.
    pub const BUILT_IN: [Detection; 9] = [
        Detection::PortScan,
        Detection::HostSweep,
        Detection::BruteForce,
        Detection::ReturnDenied,
        Detection::RejectSurge,
        Detection::EgressSpike,
        Detection::BlockPublicAccess,
        Detection::LoggingGap,
        Detection::NewTalker,
    ];

    /// Its name in output (`port-scan`, …; `rule` for the user's, which are named by
    /// their own names).
    pub const fn as_str(self) -> &'static str {
        match self {
            Detection::PortScan => "port-scan",
            Detection::HostSweep => "host-sweep",
            Detection::BruteForce => "brute-force",
            Detection::ReturnDenied => "return-traffic-denied",
            Detection::RejectSurge => "reject-surge",
            Detection::EgressSpike => "egress-spike",
            Detection::BlockPublicAccess => "block-public-access",
            Detection::LoggingGap => "logging-gap",
            Detection::NewTalker => "new-talker",
            Detection::Rule(_) => "rule",
        }
    }

    /// How much a built-in detection matters (a rule says its own).
    pub const fn severity(self) -> Severity {
        match self {
            Detection::PortScan | Detection::HostSweep | Detection::BruteForce => Severity::High,
            Detection::ReturnDenied
            | Detection::RejectSurge
            | Detection::EgressSpike
            | Detection::BlockPublicAccess
            | Detection::NewTalker
            | Detection::Rule(_) => Severity::Medium,
            Detection::LoggingGap => Severity::Low,
        }
    }

    /// What its count counts.
    pub const fn unit(self) -> &'static str {
        match self {
            Detection::PortScan => "ports",
            Detection::HostSweep => "hosts",
            Detection::EgressSpike => "bytes",
            Detection::LoggingGap => "dark minutes",
            _ => "flows",
        }
    }

    /// The detection a built-in name names.
    pub fn named(name: &str) -> Option<Detection> {
        Detection::BUILT_IN.into_iter().find(|d| d.as_str() == name)
    }
}

/// The thresholds and windows the built-in detections use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Record seconds a detection looks back over (rounded up to whole minutes).
    pub window_secs: u64,
    /// Record seconds the count must stay under its threshold before an alert closes.
    pub hold_secs: u64,
    /// Distinct refused ports of one host, from one source: a port scan.
    pub scan_ports: u64,
    /// Distinct hosts refused on one port, from one source: a host sweep.
    pub sweep_hosts: u64,
    /// Refused or short accepted connections to one login service from one source: a
    /// brute force.
    pub login_flows: u64,
    /// Refused replies of one service.
    pub reply_flows: u64,
    /// Flows refused by Block Public Access, to one service from one source.
    pub bpa_flows: u64,
    /// Minutes of only NODATA/SKIPDATA records of an interface that had traffic.
    pub gap_minutes: u64,
    /// Least unexplained refusals of one interface that make a surge (four times as many
    /// over all interfaces).
    pub surge_flows: u64,
    /// How many times its baseline a surge is.
    pub surge_factor: f64,
    /// Least bytes an interface sends to the internet that make an egress spike.
    pub egress_bytes: u64,
    /// How many times its baseline an egress spike is.
    pub egress_factor: f64,
    /// Windows before the current one a baseline is the mean of.
    pub baseline_windows: u64,
    /// Accepted flows of a new internet talker to a login port.
    pub talker_flows: u64,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            window_secs: 300,
            hold_secs: 120,
            scan_ports: 100,
            sweep_hosts: 50,
            login_flows: 50,
            reply_flows: 50,
            bpa_flows: 5,
            gap_minutes: 1,
            surge_flows: 500,
            surge_factor: 5.0,
            egress_bytes: 1 << 30,
            egress_factor: 10.0,
            baseline_windows: 6,
            talker_flows: 1,
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
            Detection::HostSweep => self.sweep_hosts,
            Detection::BruteForce => self.login_flows,
            Detection::ReturnDenied => self.reply_flows,
            Detection::BlockPublicAccess => self.bpa_flows,
            Detection::LoggingGap => self.gap_minutes,
            Detection::NewTalker => self.talker_flows,
            Detection::RejectSurge => self.surge_flows,
            Detection::EgressSpike => self.egress_bytes,
            Detection::Rule(_) => 1,
        }
    }
}

/// Everything the engine is set with: thresholds, which detections run, the user's rules,
/// and how storms fold.
#[derive(Debug, Clone)]
pub struct Config {
    /// The built-in detections' thresholds.
    pub thresholds: Thresholds,
    /// Built-in detections turned off.
    pub disabled: Vec<Detection>,
    /// The user's rules.
    pub rules: Vec<Rule>,
    /// Alerts of one detection from one network within a window told one by one before
    /// the rest fold into a storm alert (0: never fold).
    pub storm_after: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            thresholds: Thresholds::default(),
            disabled: Vec::new(),
            rules: Vec::new(),
            storm_after: 3,
        }
    }
}

impl Config {
    /// The defaults with these thresholds.
    pub fn with(thresholds: Thresholds) -> Config {
        Config {
            thresholds,
            ..Config::default()
        }
    }

    /// What workers must count for the rules.
    pub fn rule_counters(&self) -> std::sync::Arc<[crate::core::signals::RuleCounter]> {
        self.rules.iter().map(|r| r.counter.clone()).collect()
    }

    fn runs(&self, d: Detection) -> bool {
        !self.disabled.contains(&d)
    }
}

/// Where an alert is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
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
    /// Within the window: distinct ports or hosts (scans), bytes (egress), dark minutes
    /// (gaps), flows (the others), or, for a storm, the alerts folded into it.
    pub count: u64,
    /// What `count` counts.
    pub unit: &'static str,
    /// The count that makes the alert (for a baseline detection, the one in effect when it
    /// opened).
    pub threshold: u64,
    /// For baseline detections: the key's mean count per window before it opened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<u64>,
    /// Start of the first minute with evidence in this incident, Unix seconds.
    pub first_seen: u64,
    /// End of the last minute with evidence so far.
    pub last_seen: u64,
}

/// One event of one alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertEvent {
    /// Opened, updated or closed.
    pub phase: Phase,
    /// Which detection.
    #[serde(skip)]
    pub detection: Detection,
    /// The detection's name (`port-scan`, …, or a rule's own name).
    #[serde(rename = "detection")]
    pub name: String,
    /// How much it matters.
    pub severity: Severity,
    /// What it is about: `SRC -> DST` (a scan), `SRC -> *:PORT` (a sweep),
    /// `SRC -> DST:PORT`, `HOST:PORT`, an interface id, a rule's group, or a storm's
    /// network.
    pub key: String,
    /// Record time of the event: the end of the minute it was decided in, Unix seconds.
    pub at: u64,
    /// The window the count is over, Unix seconds (start, end).
    pub window: (u64, u64),
    /// The filter that selects the alert's records (with `window` as the time range:
    /// `vpctop records --filter …`); empty for a storm.
    pub filter: String,
    /// What it saw.
    pub evidence: Evidence,
    /// For a storm: how many alerts it folds (they are not told one by one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storm: Option<u64>,
}

impl AlertEvent {
    /// One line for people: `opened high port-scan 45.33.32.156 -> 10.0.1.20 at …: 300
    /// ports in the 5m before it (first seen …)`.
    pub fn describe(&self) -> String {
        let head = format!(
            "{} {} {}",
            self.severity.as_str(),
            crate::sanitize::escape(self.name.as_bytes()),
            crate::sanitize::escape(self.key.as_bytes()),
        );
        let at = crate::units::utc(self.at);
        let e = &self.evidence;
        let phase = match self.phase {
            Phase::Opened => "opened",
            Phase::Updated => "updated",
            Phase::Closed => "closed",
        };
        if let Some(n) = self.storm {
            return format!(
                "{phase} {} storm from {} at {at}: {} more {} alert{} folded here",
                self.severity.as_str(),
                crate::sanitize::escape(self.key.as_bytes()),
                crate::units::thousands(n),
                crate::sanitize::escape(self.name.as_bytes()),
                if n == 1 { "" } else { "s" },
            );
        }
        let count = match e.unit {
            "bytes" => crate::units::bytes(e.count),
            _ => format!("{} {}", crate::units::thousands(e.count), e.unit),
        };
        match self.phase {
            Phase::Closed => format!(
                "closed {head} at {at}: quiet since {} (first seen {})",
                crate::units::utc(e.last_seen),
                crate::units::utc(e.first_seen),
            ),
            _ => {
                let baseline = match e.baseline {
                    Some(b) if e.unit == "bytes" => {
                        format!(", baseline {}", crate::units::bytes(b))
                    }
                    Some(b) => format!(", baseline {}", crate::units::thousands(b)),
                    None => String::new(),
                };
                format!(
                    "{phase} {head} at {at}: {count} in the {} before it (threshold {}{baseline}; first seen {})",
                    crate::units::duration(self.window.1 - self.window.0),
                    match e.unit {
                        "bytes" => crate::units::bytes(e.threshold),
                        _ => crate::units::thousands(e.threshold),
                    },
                    crate::units::utc(e.first_seen),
                )
            }
        }
    }
}

/// One alert from its opening to its closing (or the end of the records).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertSummary {
    /// Which detection.
    #[serde(skip)]
    pub detection: Detection,
    /// The detection's name.
    #[serde(rename = "detection")]
    pub name: String,
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
    /// What `peak` counts.
    pub unit: &'static str,
    /// Its first and last evidence, Unix seconds.
    pub first_seen: u64,
    /// See `first_seen`.
    pub last_seen: u64,
    /// The filter that selects its records.
    pub filter: String,
    /// The window it opened with (Unix seconds): with `filter`, its drill-down.
    pub window: (u64, u64),
    /// For a storm: the alerts it folds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storm: Option<u64>,
}

impl AlertSummary {
    /// Whether it was still open when the records ended.
    pub fn is_open(&self) -> bool {
        self.closed.is_none()
    }
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
                    name: e.name.clone(),
                    severity: e.severity,
                    key: e.key.clone(),
                    opened: e.at,
                    closed: None,
                    peak: e.evidence.count,
                    unit: e.evidence.unit,
                    first_seen: e.evidence.first_seen,
                    last_seen: e.evidence.last_seen,
                    filter: e.filter.clone(),
                    window: e.window,
                    storm: e.storm,
                });
            }
            (phase, Some(&i)) => {
                let a = &mut out[i];
                a.peak = a.peak.max(e.evidence.count);
                a.last_seen = a.last_seen.max(e.evidence.last_seen);
                a.storm = e.storm.or(a.storm);
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

/// Every alert event of `agg`'s evidence under `config`, in record-time order (ties by
/// detection, then key), storms folded.
pub fn evaluate(agg: &Aggregate, config: &Config) -> Vec<AlertEvent> {
    let since = detect::first_bucket(agg);
    // Alerts still open when the records end stay open: nothing after the data is known.
    let end = agg.last_end.map_or(0, bucket_of);
    let mut events = Vec::new();
    let walk_all = |tracks: Vec<window::Track>, events: &mut Vec<AlertEvent>| {
        for t in tracks.iter().filter(|t| config.runs(t.detection)) {
            t.walk(end, events);
        }
    };
    walk_all(detect::scans(agg, config), &mut events);
    walk_all(detect::services(agg, config, since), &mut events);
    // The sources the alerts so far name explain their refusals: a surge is what is left.
    let explained: BTreeSet<IpAddr> = events
        .iter()
        .filter(|e| e.phase == Phase::Opened)
        .filter_map(|e| e.key.split(" -> ").next())
        .filter_map(|head| {
            head.parse().ok().or_else(|| {
                head.rsplit_once(':')
                    .and_then(|(h, _)| h.trim_start_matches('[').trim_end_matches(']').parse().ok())
            })
        })
        .collect();
    walk_all(detect::surges(agg, config, since, &explained), &mut events);
    walk_all(detect::interfaces(agg, config, since), &mut events);
    walk_all(detect::rules(agg, config), &mut events);
    events.sort_by(|a, b| {
        (a.at, a.detection, &a.key, phase_rank(a.phase)).cmp(&(
            b.at,
            b.detection,
            &b.key,
            phase_rank(b.phase),
        ))
    });
    let t = &config.thresholds;
    let (quiet, end) = (t.window_secs + t.hold_secs, bucket_start(end) + BUCKET_SECS);
    // First per network, then per detection as a whole: however spread the sources, a
    // window tells at most a few alerts of one detection one by one.
    let per_network = storm::collapse(
        events,
        (config.storm_after, storm::network_of),
        t.window_secs,
        quiet,
        end,
    );
    storm::collapse(
        per_network,
        (config.storm_after * 4, |_| "every network".to_string()),
        t.window_secs,
        quiet,
        end,
    )
}

fn phase_rank(p: Phase) -> u8 {
    match p {
        Phase::Closed => 0,
        Phase::Opened => 1,
        Phase::Updated => 2,
    }
}

#[cfg(test)]
mod tests;
