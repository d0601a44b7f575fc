//! The evidence alert detections read, counted per record-time minute: the distinct refused
//! (source, host, port) probes, login-service attempts, refused replies of services, flows
//! refused by VPC Block Public Access, each interface's activity (OK records, egress bytes,
//! NODATA/SKIPDATA records), its refused flows by source, and the counts of user rules.
//! Counts are exact and merge in any order, so any split of the records among workers
//! gives the same alerts.
//!
//! Keys of IPv4 probes are packed into one integer (the refused flows are the bulk of the
//! evidence): one set insert per refused record, no allocation.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use super::FastMap;
use crate::filter::{FieldSource, Filter};
use crate::parse::{Action, Flow, LogStatus};
use crate::short_bytes::ShortBytes;

/// Record seconds per bucket (by `end`).
pub const BUCKET_SECS: u64 = 60;

/// A bucket: minutes since the epoch.
pub type Bucket = u32;

/// Ports whose connections count as login attempts (SSH, Telnet, RDP, VNC, databases).
pub const LOGIN_PORTS: [u16; 9] = [22, 23, 3389, 5900, 1433, 1521, 3306, 5432, 27017];

/// Interactive login ports, where short accepted flows are failed logins too.
pub const INTERACTIVE_PORTS: [u16; 4] = [22, 23, 3389, 5900];

/// An accepted flow to an interactive port with at most this many packets is a short one
/// (a login that failed, or a banner grab).
pub const SHORT_PACKETS: u64 = 12;

/// A hash set with the core's fast hasher.
pub type FastSet<K> = HashSet<K, foldhash::fast::RandomState>;

/// The bucket of record time `end`.
pub fn bucket_of(end: u64) -> Bucket {
    Bucket::try_from(end / BUCKET_SECS).unwrap_or(Bucket::MAX)
}

/// Start of bucket `b`, Unix seconds.
pub fn bucket_start(b: Bucket) -> u64 {
    u64::from(b) * BUCKET_SECS
}

/// A conversation's ends and service port.
pub type Service = (IpAddr, IpAddr, u16);

/// One refused connection attempt (its bucket, ends and destination port).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Probe {
    /// When.
    pub bucket: Bucket,
    /// Who tried.
    pub src: IpAddr,
    /// Which host.
    pub dst: IpAddr,
    /// Which port.
    pub port: u16,
}

/// The distinct refused probes: IPv4 ones packed into an integer, others as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Probes {
    v4: FastSet<u128>,
    other: FastSet<Probe>,
}

impl Probes {
    #[inline]
    fn insert(&mut self, p: Probe) {
        match (p.src, p.dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let key = u128::from(p.bucket) << 80
                    | u128::from(s.to_bits()) << 48
                    | u128::from(d.to_bits()) << 16
                    | u128::from(p.port);
                self.v4.insert(key);
            }
            _ => {
                self.other.insert(p);
            }
        }
    }

    fn merge(&mut self, other: Probes) {
        self.v4.extend(other.v4);
        self.other.extend(other.other);
    }

    /// Distinct probes kept.
    pub fn len(&self) -> usize {
        self.v4.len() + self.other.len()
    }

    /// Whether none was kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every probe, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = Probe> + '_ {
        let v4 = self.v4.iter().map(|&k| Probe {
            bucket: (k >> 80) as Bucket,
            src: IpAddr::V4(Ipv4Addr::from_bits((k >> 48) as u32)),
            dst: IpAddr::V4(Ipv4Addr::from_bits((k >> 16) as u32)),
            port: k as u16,
        });
        v4.chain(self.other.iter().copied())
    }
}

/// Attempts on one login service in one bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Logins {
    /// Refused flows.
    pub refused: u64,
    /// Accepted flows of at most [`SHORT_PACKETS`] packets (interactive ports only; from
    /// public sources only).
    pub short: u64,
    /// Accepted flows (from public sources only).
    pub accepted: u64,
}

/// What one interface did in one bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Activity {
    /// OK records.
    pub ok: u64,
    /// Bytes of accepted flows from a private address to a public one (egress to the
    /// internet).
    pub egress: u64,
    /// NODATA records.
    pub nodata: u64,
    /// SKIPDATA records.
    pub skipdata: u64,
}

impl Activity {
    fn merge(&mut self, o: &Activity) {
        self.ok += o.ok;
        self.egress = self.egress.saturating_add(o.egress);
        self.nodata += o.nodata;
        self.skipdata += o.skipdata;
    }
}

/// Each interface's minutes. Interfaces are numbered in the order met (a small map, looked
/// up once per record); a record's minute is almost always its interface's newest or one a
/// few minutes before it, found at its distance from the newest, so counting it is a compare
/// and an add, not a search of every minute (records of a few minutes interleave in every
/// delivered file).
#[derive(Debug, Clone, Default)]
pub struct Activities {
    ids: FastMap<InterfaceKey, u32>,
    /// The interfaces, by number.
    pub keys: Vec<InterfaceKey>,
    /// Per interface number: its minutes, sorted, each with what it did.
    pub minutes: Vec<Vec<(Bucket, Activity)>>,
}

impl Activities {
    /// The number of interface `id`, given one if it is new.
    #[inline]
    fn id(&mut self, id: &[u8]) -> u32 {
        let key = InterfaceKey::of(id);
        if let Some(&n) = self.ids.get(&key) {
            return n;
        }
        let n = self.keys.len() as u32;
        self.ids.insert(key.clone(), n);
        self.keys.push(key);
        self.minutes.push(Vec::new());
        n
    }

    /// The activity of interface `n` in bucket `b`.
    #[inline]
    fn at(&mut self, n: u32, b: Bucket) -> &mut Activity {
        let list = &mut self.minutes[n as usize];
        let i = match list.last() {
            Some((last, _)) if *last == b => list.len() - 1,
            Some((last, _)) if *last < b => {
                list.push((b, Activity::default()));
                list.len() - 1
            }
            None => {
                list.push((b, Activity::default()));
                0
            }
            // An earlier minute: where it would be if the minutes since were all
            // present (they usually are), else searched for.
            Some((last, _)) => {
                let guess = usize::try_from(*last - b)
                    .ok()
                    .and_then(|back| (list.len() - 1).checked_sub(back));
                match guess {
                    Some(i) if list[i].0 == b => i,
                    _ => match list.binary_search_by_key(&b, |(k, _)| *k) {
                        Ok(i) => i,
                        Err(i) => {
                            list.insert(i, (b, Activity::default()));
                            i
                        }
                    },
                }
            }
        };
        &mut list[i].1
    }

    /// Adds `other`'s minutes; returns the numbers `other`'s interfaces have here.
    fn merge(&mut self, other: Activities) -> Vec<u32> {
        let mut renumber = Vec::with_capacity(other.keys.len());
        for (key, minutes) in other.keys.into_iter().zip(other.minutes) {
            let n = match self.ids.get(&key) {
                Some(&n) => n,
                None => {
                    let n = self.keys.len() as u32;
                    self.ids.insert(key.clone(), n);
                    self.keys.push(key);
                    self.minutes.push(Vec::new());
                    n
                }
            };
            renumber.push(n);
            let mine = &mut self.minutes[n as usize];
            if mine.is_empty() {
                *mine = minutes;
                continue;
            }
            for (b, a) in minutes {
                match mine.binary_search_by_key(&b, |(k, _)| *k) {
                    Ok(i) => mine[i].1.merge(&a),
                    Err(i) => mine.insert(i, (b, a)),
                }
            }
        }
        renumber
    }

    /// Whether no interface was counted.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Every (interface, minute, activity).
    pub fn iter(&self) -> impl Iterator<Item = (&InterfaceKey, Bucket, &Activity)> + '_ {
        self.keys
            .iter()
            .zip(&self.minutes)
            .flat_map(|(k, m)| m.iter().map(move |(b, a)| (k, *b, a)))
    }
}

/// An interface id, kept as words when short.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum InterfaceKey {
    /// Up to 24 bytes.
    Short(ShortBytes),
    /// Any other length.
    Long(Box<[u8]>),
}

impl InterfaceKey {
    #[inline]
    fn of(id: &[u8]) -> InterfaceKey {
        match ShortBytes::of(id) {
            Some(s) => InterfaceKey::Short(s),
            None => InterfaceKey::Long(id.into()),
        }
    }

    /// The id as written (lossy UTF-8; it is escaped where it is shown).
    pub fn text(&self) -> String {
        match self {
            InterfaceKey::Short(s) => String::from_utf8_lossy(&s.bytes()).into_owned(),
            InterfaceKey::Long(b) => String::from_utf8_lossy(b).into_owned(),
        }
    }
}

/// What a rule of the user's groups its matching records by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleGroup {
    /// `srcaddr`.
    Src,
    /// `dstaddr`.
    Dst,
    /// `srcaddr -> dstaddr`.
    Pair,
    /// `dstport`.
    DstPort,
    /// `dstaddr:dstport`.
    Service,
    /// `interface-id`.
    Interface,
    /// All matching records as one key.
    All,
}

/// What a rule of the user's sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleMetric {
    /// Records.
    Flows,
    /// `bytes`.
    Bytes,
    /// `packets`.
    Packets,
}

/// The counting side of a user rule: which records, grouped how, summing what.
#[derive(Debug, Clone)]
pub struct RuleCounter {
    /// Records the rule counts (OK records passing it).
    pub filter: Arc<Filter>,
    /// What it groups them by.
    pub group: RuleGroup,
    /// What it sums.
    pub metric: RuleMetric,
}

impl RuleCounter {
    /// The group key of `f`, when it has the fields the grouping needs.
    fn key(&self, f: &Flow<'_>) -> Option<String> {
        Some(match self.group {
            RuleGroup::Src => f.src?.to_string(),
            RuleGroup::Dst => f.dst?.to_string(),
            RuleGroup::Pair => format!("{} -> {}", f.src?, f.dst?),
            RuleGroup::DstPort => f.dstport?.to_string(),
            RuleGroup::Service => match f.dst? {
                IpAddr::V4(a) => format!("{a}:{}", f.dstport?),
                IpAddr::V6(a) => format!("[{a}]:{}", f.dstport?),
            },
            RuleGroup::Interface => String::from_utf8_lossy(f.interface?).into_owned(),
            RuleGroup::All => "all".to_string(),
        })
    }

    fn value(&self, f: &Flow<'_>) -> u64 {
        match self.metric {
            RuleMetric::Flows => 1,
            RuleMetric::Bytes => f.bytes.unwrap_or(0),
            RuleMetric::Packets => f.packets.unwrap_or(0),
        }
    }
}

/// Whether `a` is an address the public internet cannot route to (RFC 1918, CGNAT,
/// loopback, link-local, unique-local, unspecified): the inside of a VPC or a network it
/// is connected to.
pub fn is_private(a: IpAddr) -> bool {
    match a {
        IpAddr::V4(v) => {
            let [a, b, ..] = v.octets();
            v.is_private()
                || v.is_loopback()
                || v.is_link_local()
                || v.is_unspecified()
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v) => {
            let first = v.segments()[0];
            v.is_loopback()
                || v.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || v.to_ipv4_mapped()
                    .is_some_and(|m| is_private(IpAddr::V4(m)))
        }
    }
}

/// Per-bucket evidence (see the module documentation).
#[derive(Debug, Clone, Default)]
pub struct Signals {
    /// The distinct refused (bucket, source, host, port) probes; refused replies from a
    /// service port to an ephemeral one are not probes and are not here.
    pub probes: Probes,
    /// (bucket, source, destination, login port) → attempts.
    pub logins: FastMap<(Bucket, Service), Logins>,
    /// (bucket, service host, service port) → its refused replies (from a port under 1024
    /// to an ephemeral one: return traffic a stateless ACL drops).
    pub replies: FastMap<(Bucket, IpAddr, u16), u64>,
    /// (bucket, source, destination, port) → flows refused by VPC Block Public Access.
    pub bpa: FastMap<(Bucket, Service), u64>,
    /// Per interface: what it did, minute by minute (see [`Activities`]).
    pub activity: Activities,
    /// (bucket, interface number in `activity`, source) → refused flows (a REJECT surge
    /// not explained by a detected attacker is told from these).
    pub refused_by_source: FastMap<(Bucket, u32, IpAddr), u64>,
    /// Per user rule, in order: (bucket, group key) → the rule's metric summed.
    pub rules: Vec<FastMap<(Bucket, String), u64>>,
}

impl Signals {
    /// Counts one record's evidence; `rejected_by_bpa` when its `reject-reason` is `BPA`;
    /// `record` is what `rules` filter (the record itself, or `f` on the fast path).
    #[inline]
    pub fn add(
        &mut self,
        f: &Flow<'_>,
        rejected_by_bpa: bool,
        rules: &[RuleCounter],
        record: &dyn FieldSource,
    ) {
        let Some(end) = f.end else { return };
        let b = bucket_of(end);
        let iface = f.interface.map(|i| self.activity.id(i));
        let ok = match f.status {
            Some(LogStatus::NoData | LogStatus::SkipData) => {
                if let Some(i) = iface {
                    let a = self.activity.at(i, b);
                    if f.status == Some(LogStatus::NoData) {
                        a.nodata += 1;
                    } else {
                        a.skipdata += 1;
                    }
                }
                return;
            }
            Some(LogStatus::Ok) => true,
            None => false,
        };
        if !ok {
            return;
        }
        if !rules.is_empty() {
            self.count_rules(b, f, rules, record);
        }
        let accepted = f.action == Some(Action::Accept);
        if let Some(i) = iface {
            let egress = match (accepted, f.src, f.dst) {
                (true, Some(s), Some(d)) if is_private(s) && !is_private(d) => f.bytes.unwrap_or(0),
                _ => 0,
            };
            let a = self.activity.at(i, b);
            a.ok += 1;
            a.egress = a.egress.saturating_add(egress);
        }
        let (Some(src), Some(dst), Some(port)) = (f.src, f.dst, f.dstport) else {
            return;
        };
        if accepted {
            // Accepted logins matter from the internet only (new talkers, short sessions).
            if LOGIN_PORTS.contains(&port) && !is_private(src) {
                let l = self.logins.entry((b, (src, dst, port))).or_default();
                l.accepted += 1;
                if INTERACTIVE_PORTS.contains(&port) && f.packets.unwrap_or(0) <= SHORT_PACKETS {
                    l.short += 1;
                }
            }
            return;
        }
        if f.action != Some(Action::Reject) {
            return;
        }
        if let Some(i) = iface {
            *self.refused_by_source.entry((b, i, src)).or_default() += 1;
        }
        if rejected_by_bpa {
            *self.bpa.entry((b, (src, dst, port))).or_default() += 1;
            return;
        }
        // A refused reply (from a service port to a client's ephemeral one, as a stateless
        // ACL refuses them) is no probe of the client's ports.
        if let Some(sport) = f.srcport
            && sport < 1024
            && port >= 1024
        {
            *self.replies.entry((b, src, sport)).or_default() += 1;
            return;
        }
        self.probes.insert(Probe {
            bucket: b,
            src,
            dst,
            port,
        });
        if LOGIN_PORTS.contains(&port) {
            self.logins
                .entry((b, (src, dst, port)))
                .or_default()
                .refused += 1;
        }
    }

    #[cold]
    fn count_rules(
        &mut self,
        b: Bucket,
        f: &Flow<'_>,
        rules: &[RuleCounter],
        rec: &dyn FieldSource,
    ) {
        if self.rules.len() < rules.len() {
            self.rules.resize_with(rules.len(), FastMap::default);
        }
        for (r, counts) in rules.iter().zip(&mut self.rules) {
            if r.filter.matches(rec)
                && let Some(key) = r.key(f)
            {
                *counts.entry((b, key)).or_default() += r.value(f);
            }
        }
    }

    /// Adds everything `other` counted.
    pub fn merge(&mut self, other: Signals) {
        self.probes.merge(other.probes);
        for (k, n) in other.logins {
            let l = self.logins.entry(k).or_default();
            l.refused += n.refused;
            l.short += n.short;
            l.accepted += n.accepted;
        }
        add_counts(&mut self.replies, other.replies);
        add_counts(&mut self.bpa, other.bpa);
        let renumber = self.activity.merge(other.activity);
        for ((b, i, src), n) in other.refused_by_source {
            let i = renumber.get(i as usize).copied().unwrap_or(i);
            *self.refused_by_source.entry((b, i, src)).or_default() += n;
        }
        if self.rules.len() < other.rules.len() {
            self.rules.resize_with(other.rules.len(), FastMap::default);
        }
        for (mine, theirs) in self.rules.iter_mut().zip(other.rules) {
            add_counts(mine, theirs);
        }
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.probes.is_empty()
            && self.logins.is_empty()
            && self.replies.is_empty()
            && self.bpa.is_empty()
            && self.activity.is_empty()
            && self.refused_by_source.is_empty()
            && self.rules.iter().all(|r| r.is_empty())
    }
}

fn add_counts<K: std::hash::Hash + Eq>(mine: &mut FastMap<K, u64>, theirs: FastMap<K, u64>) {
    if mine.is_empty() {
        *mine = theirs;
        return;
    }
    for (k, n) in theirs {
        *mine.entry(k).or_default() += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_probes_read_back_as_they_went_in() {
        let mut p = Probes::default();
        let probes = [
            Probe {
                bucket: 28_333_333,
                src: "45.33.32.156".parse().unwrap(),
                dst: "10.0.1.20".parse().unwrap(),
                port: 65535,
            },
            Probe {
                bucket: Bucket::MAX,
                src: "255.255.255.255".parse().unwrap(),
                dst: "0.0.0.0".parse().unwrap(),
                port: 0,
            },
            Probe {
                bucket: 7,
                src: "2001:db8::1".parse().unwrap(),
                dst: "10.0.0.1".parse().unwrap(),
                port: 22,
            },
        ];
        for q in probes {
            p.insert(q);
            p.insert(q);
        }
        let mut back: Vec<Probe> = p.iter().collect();
        back.sort();
        let mut want = probes.to_vec();
        want.sort();
        assert_eq!(back, want);
    }

    proptest::proptest! {
        /// Minutes met in any order, with gaps and repeats, end up sorted, each counted once
        /// per record (the position guess and the search agree).
        #[test]
        fn minutes_in_any_order_are_counted_in_place(
            minutes in proptest::collection::vec((0u32..3, 0u32..40), 0..300),
        ) {
            let mut a = Activities::default();
            let mut want = std::collections::BTreeMap::<(u32, u32), u64>::new();
            for &(iface, b) in &minutes {
                let n = a.id(format!("eni-{iface:017}").as_bytes());
                a.at(n, b).ok += 1;
                *want.entry((iface, b)).or_default() += 1;
            }
            let mut got = std::collections::BTreeMap::new();
            for (key, b, act) in a.iter() {
                let iface: u32 = key.text()[4..].parse().unwrap();
                proptest::prop_assert!(got.insert((iface, b), act.ok).is_none());
            }
            for m in &a.minutes {
                proptest::prop_assert!(m.windows(2).all(|w| w[0].0 < w[1].0));
            }
            proptest::prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn private_ranges_are_told_from_public_ones() {
        for a in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.9.9",
            "100.64.0.1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_private(a.parse().unwrap()), "{a}");
        }
        for a in [
            "8.8.8.8",
            "100.128.0.1",
            "172.32.0.1",
            "2600:1f18::1",
            "::ffff:8.8.8.8",
        ] {
            assert!(!is_private(a.parse().unwrap()), "{a}");
        }
    }
}
