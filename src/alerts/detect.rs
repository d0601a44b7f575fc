//! The built-in detections and the user's rules as [`Track`]s: per key, its evidence
//! bucket by bucket, read from the total's [`Signals`](crate::core::Signals).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use super::window::{Seen, Threshold, Track};
use super::{Config, Detection};
use crate::core::signals::{Bucket, InterfaceKey, is_private};
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
        .keys()
        .map(|(b, _)| *b)
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
    let mut brute = Keyed::new();
    let mut talkers = Keyed::new();
    let mut replies = Keyed::new();
    let mut bpa = Keyed::new();
    // Talkers of the run's first window are its baseline: only later ones are new.
    let learned = since.saturating_add(c.thresholds.window_buckets() as Bucket);
    let mut known: BTreeSet<(IpAddr, IpAddr, u16)> = BTreeSet::new();
    for ((b, (src, dst, port)), l) in &s.logins {
        if l.accepted > 0 && *b < learned {
            known.insert((*src, *dst, *port));
        }
    }
    for (&(b, (src, dst, port)), l) in &s.logins {
        let key = format!("{src} -> {}", service(dst, port));
        count_into(
            &mut brute,
            &key,
            || {
                c.track(
                    Detection::BruteForce,
                    String::new(),
                    format!("srcaddr={src} dstaddr={dst} dstport={port}"),
                    c.fixed(Detection::BruteForce),
                )
            },
            b,
            // Short accepted sessions count from the internet only: inside, a bastion or
            // configuration tool opens many short SSH sessions by design.
            l.refused + if is_private(src) { 0 } else { l.short },
        );
        if l.accepted > 0 && !is_private(src) && !known.contains(&(src, dst, port)) {
            count_into(
                &mut talkers,
                &key,
                || {
                    c.track(
                        Detection::NewTalker,
                        String::new(),
                        format!("srcaddr={src} dstaddr={dst} dstport={port} action=ACCEPT"),
                        c.fixed(Detection::NewTalker),
                    )
                },
                b,
                l.accepted,
            );
        }
    }
    for (&(b, host, port), &n) in &s.replies {
        let key = service(host, port);
        count_into(
            &mut replies,
            &key,
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
    for (&(b, (src, dst, port)), &n) in &s.bpa {
        let key = format!("{src} -> {}", service(dst, port));
        count_into(
            &mut bpa,
            &key,
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

/// The key of an interface in text, and the filter selecting it.
fn interface_text(i: &InterfaceKey) -> String {
    i.text()
}

/// Logging gaps (minutes an interface that had traffic logged only NODATA/SKIPDATA) and
/// egress spikes (bytes to the internet above the interface's own baseline).
pub(super) fn interfaces(agg: &Aggregate, c: &Config, since: Bucket) -> Vec<Track> {
    let s = &agg.signals;
    let t = &c.thresholds;
    let mut first_ok: FastMap<&InterfaceKey, Bucket> = FastMap::default();
    for ((b, i), a) in &s.activity {
        if a.ok > 0 {
            let f = first_ok.entry(i).or_insert(*b);
            *f = (*f).min(*b);
        }
    }
    let mut gaps = Keyed::new();
    let mut egress = Keyed::new();
    let baseline = |floor: u64, factor: f64| Threshold::Baseline {
        factor,
        floor,
        windows: t.baseline_windows,
        since,
    };
    for ((b, i), a) in &s.activity {
        let dark = a.ok == 0 && a.nodata + a.skipdata > 0;
        if dark && first_ok.get(i).is_some_and(|f| f < b) {
            let id = interface_text(i);
            let filter = format!("interface={} log-status!=OK", quote(&id));
            count_into(
                &mut gaps,
                &id,
                || {
                    c.track(
                        Detection::LoggingGap,
                        String::new(),
                        filter,
                        c.fixed(Detection::LoggingGap),
                    )
                },
                *b,
                1,
            );
        }
        if a.ok > 0 {
            let id = interface_text(i);
            let filter = format!("interface={} action=ACCEPT scope=internet", quote(&id));
            let bar = baseline(t.egress_bytes, t.egress_factor);
            // Every active minute is a bucket (zero too): the baseline's mean needs them.
            let tr = match egress.get_mut(&id) {
                Some(tr) => tr,
                None => egress
                    .entry(id)
                    .or_insert_with(|| c.track(Detection::EgressSpike, String::new(), filter, bar)),
            };
            match tr.buckets.entry(*b).or_insert(Seen::Count(0)) {
                Seen::Count(n) => *n += a.egress,
                Seen::Distinct(_) => {}
            }
        }
    }
    // An interface that never sends enough to reach the floor in any window needs no walk.
    egress.retain(|_, tr| tr.buckets.values().map(count_of).sum::<u64>() >= t.egress_bytes);
    finish(gaps).chain(finish(egress)).collect()
}

fn count_of(s: &Seen) -> u64 {
    match s {
        Seen::Count(n) => *n,
        Seen::Distinct(v) => v.len() as u64,
    }
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
    let mut per: Keyed = Keyed::new();
    let mut all = c.track(
        Detection::RejectSurge,
        "all interfaces".to_string(),
        "action=REJECT".to_string(),
        bar(t.surge_flows.saturating_mul(4)),
    );
    // Minutes with traffic and no refusal count as zero in the baselines.
    for ((b, i), a) in &agg.signals.activity {
        if a.ok > 0 {
            let id = interface_text(i);
            if !per.contains_key(&id) {
                let filter = format!("interface={} action=REJECT", quote(&id));
                per.insert(
                    id.clone(),
                    c.track(
                        Detection::RejectSurge,
                        String::new(),
                        filter,
                        bar(t.surge_flows),
                    ),
                );
            }
            if let Some(tr) = per.get_mut(&id) {
                tr.buckets.entry(*b).or_insert(Seen::Count(0));
            }
            all.buckets.entry(*b).or_insert(Seen::Count(0));
        }
    }
    for ((b, i, src), n) in &agg.signals.refused_by_source {
        if explained.contains(src) {
            continue;
        }
        let id = interface_text(i);
        for tr in [per.get_mut(&id), Some(&mut all)].into_iter().flatten() {
            if let Seen::Count(c) = tr.buckets.entry(*b).or_insert(Seen::Count(0)) {
                *c += n;
            }
        }
    }
    per.retain(|_, tr| tr.buckets.values().map(count_of).sum::<u64>() >= t.surge_flows);
    let mut out: Vec<Track> = finish(per).collect();
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
        .map(|c| if c.is_control() { '*' } else { c })
        .collect();
    if !text.contains('"') {
        format!("\"{text}\"")
    } else if !text.contains('\'') {
        format!("'{text}'")
    } else {
        format!("\"{}\"", text.replace('"', "*"))
    }
}
