use std::net::{IpAddr, Ipv4Addr};

use proptest::prelude::*;

use super::*;
use crate::parse::{Action, Flow, LogStatus};

const T0: u64 = 1_700_000_000 / BUCKET_SECS * BUCKET_SECS;

fn ip(a: u8, b: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, a, b))
}

/// A refused TCP flow ending at `end`.
fn refused(src: IpAddr, dst: IpAddr, port: u16, end: u64) -> Flow<'static> {
    Flow {
        version: Some(2),
        account: None,
        srcport: Some(40_000),
        status: Some(LogStatus::Ok),
        start: Some(end.saturating_sub(10)),
        end: Some(end),
        bytes: Some(40),
        packets: Some(1),
        action: Some(Action::Reject),
        src: Some(src),
        dst: Some(dst),
        dstport: Some(port),
        protocol: Some(6),
        interface: Some(b"eni-0a"),
    }
}

fn counting() -> Aggregate {
    let mut a = Aggregate::new();
    a.count_signals(true);
    a
}

fn aggregate(flows: &[Flow<'_>]) -> Aggregate {
    let mut a = counting();
    for f in flows {
        a.add_flow(f);
    }
    a.settle();
    a
}

fn phases(events: &[AlertEvent], d: Detection) -> Vec<(Phase, u64)> {
    events
        .iter()
        .filter(|e| e.detection == d)
        .map(|e| (e.phase, e.at))
        .collect()
}

#[test]
fn a_scan_opens_once_grows_and_closes_after_the_hold_time() {
    let (scanner, host) = (ip(9, 9), ip(1, 20));
    let mut flows = Vec::new();
    // 150 ports a minute for three minutes, then quiet traffic for ten.
    for minute in 0..3u64 {
        for p in 0..150u16 {
            flows.push(refused(
                scanner,
                host,
                1 + minute as u16 * 150 + p,
                T0 + minute * 60 + 5,
            ));
        }
    }
    for minute in 3..13u64 {
        flows.push(refused(ip(7, 7), ip(1, 21), 23, T0 + minute * 60 + 5));
    }
    let events = evaluate(&aggregate(&flows), &Config::default());
    let scan = phases(&events, Detection::PortScan);
    assert_eq!(
        scan,
        [
            (Phase::Opened, T0 + 60),
            (Phase::Updated, T0 + 120),
            (Phase::Updated, T0 + 180),
            // The 5-minute window empties at minute 8; two minutes under, it closes.
            (Phase::Closed, T0 + 9 * 60),
        ]
    );
    let opened = &events[0];
    assert_eq!(opened.key, "10.0.9.9 -> 10.0.1.20");
    assert_eq!(opened.evidence.count, 150);
    assert_eq!(opened.severity, Severity::High);
    let summary = summarise(&events);
    assert_eq!(summary.len(), 1);
    assert_eq!(
        (summary[0].opened, summary[0].closed),
        (T0 + 60, Some(T0 + 540))
    );
    assert_eq!(summary[0].peak, 450);
    let closed = events.iter().find(|e| e.phase == Phase::Closed).unwrap();
    assert_eq!(closed.evidence.first_seen, T0);
    assert_eq!(closed.evidence.last_seen, T0 + 180);
    // Nothing else crossed a threshold: one stray probe a minute is no brute force.
    assert!(events.iter().all(|e| e.detection == Detection::PortScan));
}

#[test]
fn refused_logins_and_gaps_on_interfaces_with_traffic_raise_their_alerts() {
    let mut flows: Vec<Flow<'_>> = (0..60)
        .map(|i| refused(ip(9, 1), ip(0, 10), 22, T0 + i))
        .collect();
    let mut ok = refused(ip(0, 10), ip(0, 11), 443, T0);
    ok.action = Some(Action::Accept);
    ok.interface = Some(b"eni-0gap");
    flows.push(ok);
    for i in 0..4 {
        let mut gap = refused(ip(0, 0), ip(0, 0), 0, T0 + 60 + i);
        gap.status = Some(LogStatus::NoData);
        gap.interface = Some(b"eni-0gap");
        flows.push(gap);
        // An interface that never had traffic: idle, not a gap.
        let mut idle = gap;
        idle.interface = Some(b"eni-0idle");
        flows.push(idle);
    }
    let events = evaluate(&aggregate(&flows), &Config::default());
    let keys: Vec<(Detection, &str)> = events
        .iter()
        .filter(|e| e.phase == Phase::Opened)
        .map(|e| (e.detection, e.key.as_str()))
        .collect();
    assert_eq!(
        keys,
        [
            (Detection::BruteForce, "10.0.9.1 -> 10.0.0.10:22"),
            (Detection::LoggingGap, "eni-0gap"),
        ]
    );
}

proptest! {
    /// However the records are split among workers and the partials merged, the alerts are
    /// the same.
    #[test]
    fn merging_partials_in_any_order_gives_the_same_alerts(
        records in proptest::collection::vec((0u8..4, 0u8..3, 1u16..400, 0u64..900), 0..600),
        split in proptest::collection::vec(0usize..4, 600),
        order in Just([0usize, 1, 2, 3]).prop_shuffle(),
    ) {
        let flows: Vec<Flow<'_>> = records
            .iter()
            .map(|&(s, d, port, t)| refused(ip(9, s), ip(1, d), port, T0 + t))
            .collect();
        let t = Thresholds { scan_ports: 40, login_flows: 3, ..Thresholds::default() };
        let t = Config::with(t);
        let whole = evaluate(&aggregate(&flows), &t);
        let mut parts = vec![counting(); 4];
        for (i, f) in flows.iter().enumerate() {
            parts[split[i]].add_flow(f);
        }
        let mut merged = counting();
        for i in order {
            let mut p = std::mem::take(&mut parts[i]);
            p.settle();
            merged.merge(p);
        }
        merged.settle();
        prop_assert_eq!(evaluate(&merged, &t), whole);
    }

    /// An alert's life never flaps: per key it is opened, maybe updated, then closed, and
    /// opened again only after it closed; updates only grow its count.
    #[test]
    fn open_update_close_never_flap(
        counts in proptest::collection::vec(0u64..8, 1..40),
    ) {
        let mut flows = Vec::new();
        for (minute, n) in counts.iter().enumerate() {
            for i in 0..*n {
                flows.push(refused(ip(9, 1), ip(0, 10), 22, T0 + minute as u64 * 60 + i));
            }
        }
        let t = Thresholds { login_flows: 10, window_secs: 120, hold_secs: 120, ..Thresholds::default() };
        let events = evaluate(&aggregate(&flows), &Config::with(t));
        let mut open = false;
        let mut last = 0;
        for e in &events {
            match e.phase {
                Phase::Opened => { prop_assert!(!open); open = true; last = e.evidence.count; }
                Phase::Updated => { prop_assert!(open); prop_assert!(e.evidence.count > last); last = e.evidence.count; }
                Phase::Closed => { prop_assert!(open); open = false; }
            }
            prop_assert!(e.evidence.count >= t.login_flows || e.phase == Phase::Closed);
        }
    }
}
