//! The built-in detections and the user's rules as [`Track`]s: per key, its evidence
//! bucket by bucket, read from the total's [`Signals`](crate::core::Signals).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use super::window::{Seen, Threshold, Track};
use super::{Config, Detection};
use crate::core::signals::{Bucket, Service, is_private};
use crate::core::{Aggregate, FastMap};

/// `10.0.0.1:22`, `[2001:db8::1]:22`.
pub(super) fn service(addr: IpAddr, port: u16) -> String {
    match addr {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

fn addr_bits(a: IpAddr) -> u128 {
    match a {
        IpAddr::V4(v) => u128::from(v.to_bits()),
        IpAddr::V6(v) => v.to_bits(),
    }
}

/// Tracks keyed by their key text, for one detection.
type Keyed = BTreeMap<String, Track>;

/// The run's first bucket (where baselines start).
pub(super) fn first_bucket(agg: &Aggregate) -> Bucket {
    agg.signals
        .activity
        .minutes
        .iter()
        .filter_map(|m| m.first().map(|(b, _)| *b))
        .min()
        .or_else(|| agg.first_start.map(crate::core::signals::bucket_of))
        .unwrap_or(0)
}

impl Config {
    fn track(&self, d: Detection, key: String, filter: String, threshold: Threshold) -> Track {
        Track {
            detection: d,
            name: d.as_str().to_string(),
            severity: d.severity(),
            key,
            filter,
            unit: d.unit(),
            threshold,
            window: self.thresholds.window_buckets(),
            hold: self.thresholds.hold_buckets(),
            first_only: d == Detection::NewTalker,
            buckets: BTreeMap::new(),
        }
    }

    fn fixed(&self, d: Detection) -> Threshold {
        Threshold::Fixed(self.thresholds.of(d))
    }
}

fn count_into(tracks: &mut Keyed, key: &str, make: impl FnOnce() -> Track, b: Bucket, n: u64) {
    if n == 0 {
        return;
    }
    let t = match tracks.get_mut(key) {
        Some(t) => t,
        None => tracks.entry(key.to_string()).or_insert_with(make),
    };
    match t.buckets.entry(b).or_insert(Seen::Count(0)) {
        Seen::Count(c) => *c += n,
        Seen::Distinct(_) => {}
    }
}

fn distinct_into(
    tracks: &mut Keyed,
    key: String,
    make: impl FnOnce() -> Track,
    b: Bucket,
    x: u128,
) {
    let t = tracks.entry(key).or_insert_with(make);
    match t.buckets.entry(b).or_insert(Seen::Distinct(Vec::new())) {
        Seen::Distinct(v) => v.push(x),
        Seen::Count(_) => {}
    }
}

/// Port scans (one source, many ports of one host) and host sweeps (one source, many hosts
/// on one port), from the distinct refused probes.
pub(super) fn scans(agg: &Aggregate, c: &Config) -> Vec<Track> {
    let probes = &agg.signals.probes;
    // Only pairs (and sweeps) with enough distinct values over the whole run can cross:
    // count those first, so the common one-off probe costs no track.
    let mut per_pair: FastMap<(IpAddr, IpAddr), u64> = FastMap::default();
    let mut per_sweep: FastMap<(IpAddr, u16), u64> = FastMap::default();
    for p in probes.iter() {
        *per_pair.entry((p.src, p.dst)).or_default() += 1;
        *per_sweep.entry((p.src, p.port)).or_default() += 1;
    }
    let t = &c.thresholds;
    let mut scan = Keyed::new();
    let mut sweep = Keyed::new();
    for p in probes.iter() {
        if per_pair[&(p.src, p.dst)] >= t.scan_ports {
            distinct_into(
                &mut scan,
                format!("{} -> {}", p.src, p.dst),
                || {
                    c.track(
                        Detection::PortScan,
                        String::new(),
                        format!("srcaddr={} dstaddr={} action=REJECT", p.src, p.dst),
                        c.fixed(Detection::PortScan),
                    )
                },
                p.bucket,
                u128::from(p.port),
            );
        }
        if per_sweep[&(p.src, p.port)] >= t.sweep_hosts {
            distinct_into(
                &mut sweep,
                format!("{} -> *:{}", p.src, p.port),
                || {
                    c.track(
                        Detection::HostSweep,
                        String::new(),
                        format!("srcaddr={} dstport={} action=REJECT", p.src, p.port),
                        c.fixed(Detection::HostSweep),
                    )
                },
                p.bucket,
                addr_bits(p.dst),
            );
        }
    }
    finish(scan).chain(finish(sweep)).collect()
}

/// Sets each track's key from its map key and yields them in key order.
fn finish(tracks: Keyed) -> impl Iterator<Item = Track> {
    tracks.into_iter().map(|(k, mut t)| {
        t.key = k;
        t
    })
}

/// Brute force (refused or short accepted logins), new internet talkers on login ports,
/// refused replies of a service, and Block Public Access refusals.
pub(super) fn services(agg: &Aggregate, c: &Config, since: Bucket) -> Vec<Track> {
    let s = &agg.signals;
    let t = &c.thresholds;
    // Short accepted sessions count from the internet only: inside, a bastion or a
    // configuration tool opens many short SSH sessions by design.
    let attempts = |src: IpAddr, l: &crate::core::signals::Logins| {
        l.refused + if is_private(src) { 0 } else { l.short }
    };
    // Only keys whose whole-run total reaches the bar can cross it in a window: total
    // first, so the many one-off keys cost no track.
    let mut brute_total: FastMap<Service, u64> = FastMap::default();
    // Services the internet reached in the run's first window are open to it by design:
    // a new internet talker is news only on a service it had not reached then.
    let learned = since.saturating_add(t.window_buckets() as Bucket);
    let mut exposed: BTreeSet<(IpAddr, u16)> = BTreeSet::new();
    for (&(b, (src, dst, port)), l) in &s.logins {
        *brute_total.entry((src, dst, port)).or_default() += attempts(src, l);
        if l.accepted > 0 && b < learned && !is_private(src) {
            exposed.insert((dst, port));
        }
    }
    let mut brute = Keyed::new();
    let mut talkers = Keyed::new();
    for (&(b, (src, dst, port)), l) in &s.logins {
        if brute_total[&(src, dst, port)] >= t.login_flows {
            count_into(
                &mut brute,
                &format!("{src} -> {}", service(dst, port)),
                || {
                    c.track(
                        Detection::BruteForce,
                        String::new(),
                        format!("srcaddr={src} dstaddr={dst} dstport={port}"),
                        c.fixed(Detection::BruteForce),
                    )
                },
                b,
                attempts(src, l),
            );
        }
        let long = l.accepted - l.short;
        if b >= learned && long > 0 && !is_private(src) && !exposed.contains(&(dst, port)) {
            count_into(
                &mut talkers,
                &format!("{src} -> {}", service(dst, port)),
                || {
                    c.track(
                        Detection::NewTalker,
                        String::new(),
                        format!("srcaddr={src} dstaddr={dst} dstport={port} action=ACCEPT"),
                        c.fixed(Detection::NewTalker),
                    )
                },
                b,
                long,
            );
        }
    }
    let mut reply_total: FastMap<(IpAddr, u16), u64> = FastMap::default();
    for (&(_, host, port), &n) in &s.replies {
        *reply_total.entry((host, port)).or_default() += n;
    }
    let mut replies = Keyed::new();
    for (&(b, host, port), &n) in &s.replies {
        if reply_total[&(host, port)] < t.reply_flows {
            continue;
        }
        count_into(
            &mut replies,
            &service(host, port),
            || {
                c.track(
                    Detection::ReturnDenied,
                    String::new(),
                    format!("srcaddr={host} srcport={port} action=REJECT"),
                    c.fixed(Detection::ReturnDenied),
                )
            },
            b,
            n,
        );
    }
    let mut bpa = Keyed::new();
    for (&(b, (src, dst, port)), &n) in &s.bpa {
        count_into(
            &mut bpa,
            &format!("{src} -> {}", service(dst, port)),
            || {
                c.track(
                    Detection::BlockPublicAccess,
                    String::new(),
                    format!("srcaddr={src} dstaddr={dst} dstport={port} reject-reason=BPA"),
                    c.fixed(Detection::BlockPublicAccess),
                )
            },
            b,
            n,
        );
    }
    [brute, talkers, replies, bpa]
        .into_iter()
        .flat_map(finish)
        .collect()
}

/// Logging gaps (minutes an interface that had traffic logged only NODATA/SKIPDATA) and
/// egress spikes (bytes to the internet above the interface's own baseline).
pub(super) fn interfaces(agg: &Aggregate, c: &Config, since: Bucket) -> Vec<Track> {
    let t = &c.thresholds;
    let acts = &agg.signals.activity;
    let mut out = Vec::new();
    for (key, minutes) in acts.keys.iter().zip(&acts.minutes) {
        let id = key.text();
        // Minutes are sorted: the first with OK records is where "had traffic" starts.
        let first_ok = minutes.iter().find(|(_, a)| a.ok > 0).map(|(b, _)| *b);
        let mut gap = c.track(
            Detection::LoggingGap,
            id.clone(),
            format!("interface={} log-status!=OK", quote(&id)),
            c.fixed(Detection::LoggingGap),
        );
        for (b, a) in minutes {
            if a.ok == 0 && a.nodata + a.skipdata > 0 && first_ok.is_some_and(|f| f < *b) {
                gap.buckets.insert(*b, Seen::Count(1));
            }
        }
        if !gap.buckets.is_empty() {
            out.push(gap);
        }
        // An interface that never sends enough to reach the floor in any window needs no
        // walk. Every active minute is a bucket (zero too): the baseline's mean needs them.
        let sent: u64 = minutes
            .iter()
            .map(|(_, a)| a.egress)
            .fold(0, u64::saturating_add);
        if sent >= t.egress_bytes {
            let mut spike = c.track(
                Detection::EgressSpike,
                id.clone(),
                format!("interface={} action=ACCEPT scope=internet", quote(&id)),
                Threshold::Baseline {
                    factor: t.egress_factor,
                    floor: t.egress_bytes,
                    windows: t.baseline_windows,
                    since,
                },
            );
            spike.buckets = minutes
                .iter()
                .filter(|(_, a)| a.ok > 0)
                .map(|(b, a)| (*b, Seen::Count(a.egress)))
                .collect();
            out.push(spike);
        }
    }
    out
}

/// REJECT surges, overall and per interface, counting only refusals from sources no other
/// alert explains (`explained`: the sources of the scans, sweeps, brute forces, BPA and
/// refused-reply alerts that opened).
pub(super) fn surges(
    agg: &Aggregate,
    c: &Config,
    since: Bucket,
    explained: &BTreeSet<IpAddr>,
) -> Vec<Track> {
    let t = &c.thresholds;
    let bar = |floor: u64| Threshold::Baseline {
        factor: t.surge_factor,
        floor,
        windows: t.baseline_windows,
        since,
    };
    let acts = &agg.signals.activity;
    let mut unexplained: Vec<BTreeMap<Bucket, u64>> = vec![BTreeMap::new(); acts.keys.len()];
    for (&(b, i, src), &n) in &agg.signals.refused_by_source {
        if !explained.contains(&src)
            && let Some(m) = unexplained.get_mut(i as usize)
        {
            *m.entry(b).or_default() += n;
        }
    }
    let mut all = c.track(
        Detection::RejectSurge,
        "all interfaces".to_string(),
        "action=REJECT".to_string(),
        bar(t.surge_flows.saturating_mul(4)),
    );
    let mut out = Vec::new();
    for ((key, minutes), refused) in acts.keys.iter().zip(&acts.minutes).zip(&unexplained) {
        // Minutes with traffic and no refusal count as zero in the baselines.
        for (b, _) in minutes.iter().filter(|(_, a)| a.ok > 0) {
            let n = refused.get(b).copied().unwrap_or(0);
            if let Seen::Count(c) = all.buckets.entry(*b).or_insert(Seen::Count(0)) {
                *c += n;
            }
        }
        if refused.values().sum::<u64>() < t.surge_flows {
            continue;
        }
        let id = key.text();
        let mut tr = c.track(
            Detection::RejectSurge,
            id.clone(),
            format!("interface={} action=REJECT", quote(&id)),
            bar(t.surge_flows),
        );
        tr.buckets = minutes
            .iter()
            .filter(|(_, a)| a.ok > 0)
            .map(|(b, _)| (*b, Seen::Count(refused.get(b).copied().unwrap_or(0))))
            .collect();
        out.push(tr);
    }
    out.push(all);
    out
}

/// The user's rules, one track per rule and group key.
pub(super) fn rules(agg: &Aggregate, c: &Config) -> Vec<Track> {
    let mut out = Vec::new();
    for (i, (rule, counts)) in c.rules.iter().zip(&agg.signals.rules).enumerate() {
        let mut keyed = Keyed::new();
        for ((b, key), n) in counts {
            count_into(
                &mut keyed,
                key,
                || Track {
                    detection: Detection::Rule(i as u16),
                    name: rule.name.clone(),
                    severity: rule.severity,
                    key: String::new(),
                    filter: rule.filter_for(key),
                    unit: rule.unit(),
                    threshold: Threshold::Fixed(rule.above),
                    window: rule.window_buckets(),
                    hold: c.thresholds.hold_buckets(),
                    first_only: false,
                    buckets: BTreeMap::new(),
                },
                *b,
                *n,
            );
        }
        out.extend(finish(keyed));
    }
    out
}

/// A filter value, quoted when it is not a plain word (the language has no escapes: a
/// value with both quote characters has them matched by `*` instead).
pub(super) fn quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/".contains(&b));
    if plain {
        return text.to_string();
    }
    let text: String = text
        .chars()
        .map(|c| {
            if crate::sanitize::is_unsafe(c) {
                '*'
            } else {
                c
            }
        })
        .collect();
    if !text.contains('"') {
        format!("\"{text}\"")
    } else if !text.contains('\'') {
        format!("'{text}'")
    } else {
        format!("\"{}\"", text.replace('"', "*"))
    }
}
