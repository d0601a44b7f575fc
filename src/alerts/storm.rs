//! Storm collapse: past a few alerts of one detection from one network (a /16 of IPv4, a
//! /48 of IPv6; for keys that are no address, the detection as a whole) within a window,
//! further alerts are folded into one storm alert ("37 more port scans from
//! 45.33.0.0/16") instead of each being told.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use super::{AlertEvent, Detection, Evidence, Phase};

/// The network a key's leading address is in, or `all` for keys that are no address.
pub(super) fn network_of(key: &str) -> String {
    let head = key.split(" -> ").next().unwrap_or(key);
    let head = head
        .strip_prefix('[')
        .and_then(|h| h.split(']').next())
        .or_else(|| {
            head.rsplit_once(':')
                .filter(|(h, _)| !h.contains(':'))
                .map(|(h, _)| h)
        })
        .unwrap_or(head);
    match head.parse::<IpAddr>() {
        Ok(IpAddr::V4(a)) => {
            let [x, y, ..] = a.octets();
            format!("{x}.{y}.0.0/16")
        }
        Ok(IpAddr::V6(a)) => {
            let s = a.segments();
            let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0);
            format!("{net}/48")
        }
        Err(_) => "all".to_string(),
    }
}

/// An open storm of one (detection, network).
struct Storm {
    /// Alerts folded so far.
    folded: u64,
    /// When the last was folded.
    last: u64,
    /// Index of its last event (updated in place while in the same record second).
    latest: usize,
}

/// `events` (in time order) with the alerts past `after` per (detection, network) and
/// `window` seconds folded into storm alerts, which close `quiet` seconds after the last
/// alert folded into them (or stay open when the records end at `end` before that).
pub(super) fn collapse(
    events: Vec<AlertEvent>,
    (after, group_of): (usize, fn(&str) -> String),
    window: u64,
    quiet: u64,
    end: u64,
) -> Vec<AlertEvent> {
    if after == 0 {
        return events;
    }
    let mut out: Vec<AlertEvent> = Vec::with_capacity(events.len());
    let mut shown: BTreeMap<(Detection, String), Vec<u64>> = BTreeMap::new();
    let mut folded: BTreeSet<(Detection, String)> = BTreeSet::new();
    let mut storms: BTreeMap<(Detection, String), Storm> = BTreeMap::new();
    let close_quiet =
        |storms: &mut BTreeMap<(Detection, String), Storm>, out: &mut Vec<AlertEvent>, now: u64| {
            storms.retain(|_, s| {
                let closes = s.last + quiet;
                if closes > now {
                    return true;
                }
                let mut e = out[s.latest].clone();
                e.phase = Phase::Closed;
                e.at = closes;
                e.window = (s.last, closes);
                out.push(e);
                false
            });
        };
    for e in events {
        close_quiet(&mut storms, &mut out, e.at);
        let id = (e.detection, e.key.clone());
        // A storm of the first pass is folded like any alert in the second.
        if e.phase != Phase::Opened {
            if folded.contains(&id) {
                if e.phase == Phase::Closed {
                    folded.remove(&id);
                }
            } else {
                out.push(e);
            }
            continue;
        }
        let net = group_of(&e.key);
        let recent = shown.entry((e.detection, net.clone())).or_default();
        recent.retain(|&t| t + window > e.at);
        if recent.len() < after {
            recent.push(e.at);
            out.push(e);
            continue;
        }
        folded.insert(id);
        let storm_id = (e.detection, net.clone());
        match storms.get_mut(&storm_id) {
            Some(s) => {
                s.folded += 1;
                s.last = e.at;
                let same_second = out[s.latest].at == e.at;
                let mut next = out[s.latest].clone();
                next.storm = Some(s.folded);
                next.evidence.count = s.folded;
                next.evidence.last_seen = next.evidence.last_seen.max(e.evidence.last_seen);
                if same_second {
                    out[s.latest] = next;
                } else {
                    next.phase = Phase::Updated;
                    next.at = e.at;
                    next.window.1 = e.at;
                    out.push(next);
                    s.latest = out.len() - 1;
                }
            }
            None => {
                let storm = AlertEvent {
                    phase: Phase::Opened,
                    detection: e.detection,
                    name: e.name.clone(),
                    severity: e.severity,
                    key: net.clone(),
                    at: e.at,
                    window: e.window,
                    filter: String::new(),
                    evidence: Evidence {
                        count: 1,
                        unit: "more alerts",
                        threshold: after as u64,
                        baseline: None,
                        first_seen: e.evidence.first_seen,
                        last_seen: e.evidence.last_seen,
                    },
                    storm: Some(1),
                };
                out.push(storm);
                let i = out.len() - 1;
                storms.insert(
                    storm_id,
                    Storm {
                        folded: 1,
                        last: e.at,
                        latest: i,
                    },
                );
            }
        }
    }
    close_quiet(&mut storms, &mut out, end);
    out
}

#[cfg(test)]
mod tests {
    use super::network_of as group_of;

    #[test]
    fn keys_are_grouped_by_the_network_of_their_leading_address() {
        assert_eq!(group_of("45.33.32.156 -> 10.0.1.20"), "45.33.0.0/16");
        assert_eq!(group_of("45.33.9.1 -> *:22"), "45.33.0.0/16");
        assert_eq!(group_of("10.0.2.30:443"), "10.0.0.0/16");
        assert_eq!(group_of("[2001:db8:1:2::1]:22"), "2001:db8:1::/48");
        assert_eq!(
            group_of("2001:db8:1:2::1 -> [2001:db8::2]:22"),
            "2001:db8:1::/48"
        );
        assert_eq!(group_of("eni-0123456789abcdef0"), "all");
        assert_eq!(group_of("all interfaces"), "all");
    }
}
