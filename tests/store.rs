//! The record store: what it retains, what it costs, what queries over it answer (against a
//! naive reference), and eviction under a tiny memory budget.
// Test code: an unwrap that fails is a test that fails, with its line.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use common::flows::{Rec, Rng, generate};
use vpctop::core::{Dimension, Metric};
use vpctop::filter::Filter;
use vpctop::pipeline::IngestConfig;
use vpctop::pipeline::{LiveOptions, run_live};
use vpctop::schema::Schema;
use vpctop::snapshot::SnapshotCell;
use vpctop::source::InputSpec;
use vpctop::store::query::{Query, aggregate, conversations, records};
use vpctop::store::{Store, StoreState};

fn write(dir: &std::path::Path, recs: &[Rec]) -> (Vec<InputSpec>, String) {
    let path = dir.join("flows.log");
    let text: String = recs.iter().map(|r| r.line() + "\n").collect();
    std::fs::write(&path, &text).unwrap();
    (vec![InputSpec::File(path)], text)
}

fn retain(inputs: &[InputSpec], budget: usize) -> (Arc<StoreState>, vpctop::core::Aggregate) {
    let store = Store::new(budget);
    let mut config = IngestConfig::new(Arc::new(Schema::default_v2()));
    config.chunk_bytes = 256 * 1024;
    let options = LiveOptions {
        store: Some(Arc::clone(&store)),
        ..LiveOptions::default()
    };
    let cell = SnapshotCell::default();
    let outcome = run_live(inputs, &config, &options, &cell, &AtomicBool::new(false));
    assert!(outcome.errors.is_empty());
    // The final snapshot says what the store holds.
    let retention = cell.load().retention.expect("retention in the snapshot");
    assert_eq!(retention.records, store.state().records);
    assert_eq!(retention.coverage, store.state().coverage());
    (store.state(), outcome.total)
}

#[test]
fn every_record_is_retained_with_its_position_and_within_64_bytes() {
    let mut rng = Rng(0x570e);
    let recs = generate(&mut rng, 200_000);
    let dir = tempfile::tempdir().unwrap();
    let (inputs, text) = write(dir.path(), &recs);
    let (state, _) = retain(&inputs, usize::MAX);
    assert_eq!(state.records, recs.len() as u64);
    assert_eq!(state.evicted_records, 0);
    let per_record = state.memory as f64 / state.records as f64;
    eprintln!("retained bytes per record: {per_record:.1}");
    assert!(per_record <= 64.0, "{per_record:.1} bytes per record");
    // Every stored position points at the line the record came from.
    let all = Filter::parse("").unwrap();
    let page = records(&state, &all, 0, 1000, 2);
    assert_eq!(page.len(), 1000);
    for r in &page {
        let line = text[r.position.offset as usize..].lines().next().unwrap();
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(
            Some(fields[6].parse::<u16>().ok()).flatten(),
            r.dstport,
            "{line}"
        );
        assert_eq!(fields[11].parse::<u64>().ok(), r.end, "{line}");
    }
    assert!(
        page.windows(2).all(|w| w[0].end >= w[1].end),
        "newest first"
    );
}

/// The naive reference: filter with a closure, group by a key, sort as vpctop does.
fn reference(
    recs: &[Rec],
    pred: impl Fn(&Rec) -> bool,
    key: impl Fn(&Rec) -> String,
) -> Vec<(String, u64, u64)> {
    let mut m: HashMap<String, (u64, u64)> = HashMap::new();
    for r in recs.iter().filter(|r| r.status == "OK" && pred(r)) {
        let e = m.entry(key(r)).or_default();
        e.0 += 1;
        e.1 += r.bytes;
    }
    let mut v: Vec<(String, u64, u64)> = m.into_iter().map(|(k, (f, b))| (k, f, b)).collect();
    v.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    v.truncate(10);
    v
}

fn canon(a: &str) -> String {
    a.parse::<std::net::IpAddr>().unwrap().to_string()
}

#[test]
fn queries_equal_a_naive_reference_for_filters_windows_and_groupings() {
    let mut rng = Rng(0x9e7);
    let recs = generate(&mut rng, 60_000);
    let dir = tempfile::tempdir().unwrap();
    let (inputs, _) = write(dir.path(), &recs);
    let (state, _) = retain(&inputs, usize::MAX);
    type Pred = Box<dyn Fn(&Rec) -> bool>;
    type Case = (&'static str, Option<(u64, u64)>, Pred);
    let t0 = 1_700_000_000;
    let cases: Vec<Case> = vec![
        (
            "action=REJECT dstport=22",
            None,
            Box::new(|r: &Rec| r.action == "REJECT" && r.dstport == 22),
        ),
        (
            "",
            Some((t0 + 600, t0 + 1200)),
            Box::new(move |r: &Rec| (t0 + 600..=t0 + 1200).contains(&r.end)),
        ),
        (
            "proto=udp or bytes>50k",
            None,
            Box::new(|r: &Rec| r.proto == 17 || r.bytes > 50_000),
        ),
        (
            "host=10.0.0.0/16 not dstport=443",
            Some((t0, t0 + 2000)),
            Box::new(move |r: &Rec| {
                (canon(&r.src).starts_with("10.0.") || canon(&r.dst).starts_with("10.0."))
                    && r.dstport != 443
                    && r.end <= t0 + 2000
            }),
        ),
    ];
    for (expr, window, pred) in &cases {
        let filter = Arc::new(Filter::parse(expr).unwrap());
        for (dim, key) in [
            (
                Dimension::Src,
                Box::new(|r: &Rec| canon(&r.src)) as Box<dyn Fn(&Rec) -> String>,
            ),
            (
                Dimension::DstPort,
                Box::new(|r: &Rec| r.dstport.to_string()),
            ),
            (Dimension::Interface, Box::new(|r: &Rec| r.eni.clone())),
        ] {
            let q = Query {
                filter: Some(Arc::clone(&filter)),
                window: *window,
                group_by: dim,
                metric: Metric::Bytes,
                limit: 10,
                heatmap: false,
            };
            let res = aggregate(&state, &q, 2);
            // The same result in the dashboard's shape.
            let snap = vpctop::snapshot::Snapshot::of_query(&res);
            assert_eq!(&snap.top(dim, Metric::Bytes)[..res.top.len()], &res.top[..]);
            let got: Vec<(String, u64, u64)> = res
                .top
                .iter()
                .map(|e| (e.key.clone(), e.stats.flows, e.stats.bytes))
                .collect();
            assert_eq!(
                got,
                reference(&recs, pred, key),
                "{expr} {window:?} by {dim:?}"
            );
        }
    }
}

#[test]
fn drill_down_from_a_host_to_its_conversations() {
    let mut rng = Rng(0xd1);
    let recs = generate(&mut rng, 30_000);
    let dir = tempfile::tempdir().unwrap();
    let (inputs, _) = write(dir.path(), &recs);
    let (state, _) = retain(&inputs, usize::MAX);
    let host: std::net::IpAddr = "10.0.0.3".parse().unwrap();
    let key = Filter::parse("host=10.0.0.3").unwrap();
    let conv = conversations(&state, &key, Some(host), Metric::Bytes, 2);
    let mut want: HashMap<(String, u16), (u64, u64)> = HashMap::new();
    for r in recs.iter().filter(|r| r.status == "OK") {
        let (s, d) = (canon(&r.src), canon(&r.dst));
        let peer = if s == "10.0.0.3" {
            d.clone()
        } else if d == "10.0.0.3" {
            s.clone()
        } else {
            continue;
        };
        let e = want.entry((peer, r.dstport)).or_default();
        e.0 += 1;
        e.1 += r.bytes;
    }
    let got: u64 = conv.iter().map(|c| c.stats.flows).sum();
    assert_eq!(got, want.values().map(|v| v.0).sum::<u64>());
    assert!(
        conv.windows(2)
            .all(|w| w[0].stats.bytes >= w[1].stats.bytes)
    );
    let page = records(&state, &key, 5, 10, 2);
    assert_eq!(page.len(), 10);
    assert!(
        page.iter()
            .all(|r| r.src == Some(host) || r.dst == Some(host))
    );
}

#[test]
fn a_tiny_budget_evicts_old_segments_keeps_totals_and_reports_coverage() {
    let mut rng = Rng(0xe71c);
    let recs = generate(&mut rng, 300_000);
    let dir = tempfile::tempdir().unwrap();
    let (inputs, _) = write(dir.path(), &recs);
    let budget = 6 << 20;
    let (state, total) = retain(&inputs, budget);
    assert!(
        state.memory <= budget + (5 << 20),
        "memory {} over budget",
        state.memory
    );
    assert!(state.evicted_records > 0);
    assert_eq!(state.records + state.evicted_records, recs.len() as u64);
    // Totals do not depend on retention.
    assert_eq!(total.counts.records, recs.len() as u64);
    let ok = recs.iter().filter(|r| r.status == "OK").count() as u64;
    assert_eq!(total.totals.flows, ok);
    let (lo, hi) = state.coverage().expect("coverage");
    assert!(lo > state.evicted_until.unwrap() && hi >= lo);
}

mod random_filters {
    use super::*;
    use proptest::prelude::*;

    /// A filter atom and the same predicate written naively in Rust.
    type Atom = (&'static str, fn(&Rec) -> bool);

    /// Records, their directory, the inputs and the store retaining them.
    type Fixture = (Vec<Rec>, tempfile::TempDir, Vec<InputSpec>, Arc<StoreState>);

    fn atoms() -> Vec<Atom> {
        vec![
            ("action=REJECT", |r| {
                r.status == "OK" && r.action == "REJECT"
            }),
            ("action=ACCEPT", |r| {
                r.status == "OK" && r.action == "ACCEPT"
            }),
            ("dstport=22", |r| r.status == "OK" && r.dstport == 22),
            ("dstport in (80, 443)", |r| {
                r.status == "OK" && [80, 443].contains(&r.dstport)
            }),
            ("dstport>=1000", |r| r.status == "OK" && r.dstport >= 1000),
            ("proto=udp", |r| r.status == "OK" && r.proto == 17),
            ("bytes>=10k", |r| r.status == "OK" && r.bytes >= 10_000),
            ("packets<10", |r| r.status == "OK" && r.packets < 10),
            ("duration>=5m", |r| r.end - r.start >= 300),
            ("src=10.0.0.0/16", |r| {
                r.status == "OK" && canon(&r.src).starts_with("10.0.")
            }),
            ("host=2001:db8::/32", |r| {
                r.status == "OK"
                    && (canon(&r.src).starts_with("2001:db8:")
                        || canon(&r.dst).starts_with("2001:db8:"))
            }),
            ("interface=eni-000*", |r| r.eni.starts_with("eni-000")),
            ("status=NODATA", |r| r.status == "NODATA"),
            ("end<=1700001800", |r| r.end <= 1_700_001_800),
        ]
    }

    /// A random expression over the atoms: the text, and the naive predicate.
    #[derive(Debug, Clone)]
    enum Expr {
        Atom(usize),
        Not(Box<Expr>),
        And(Box<Expr>, Box<Expr>),
        Or(Box<Expr>, Box<Expr>),
    }

    impl Expr {
        fn text(&self) -> String {
            let a = atoms();
            match self {
                Expr::Atom(i) => a[*i].0.to_string(),
                Expr::Not(e) => format!("not ({})", e.text()),
                Expr::And(x, y) => format!("({}) and ({})", x.text(), y.text()),
                Expr::Or(x, y) => format!("({}) or ({})", x.text(), y.text()),
            }
        }

        fn eval(&self, r: &Rec) -> bool {
            match self {
                Expr::Atom(i) => (atoms()[*i].1)(r),
                Expr::Not(e) => !e.eval(r),
                Expr::And(x, y) => x.eval(r) && y.eval(r),
                Expr::Or(x, y) => x.eval(r) || y.eval(r),
            }
        }
    }

    fn expr() -> impl Strategy<Value = Expr> {
        let leaf = (0..atoms().len()).prop_map(Expr::Atom);
        leaf.prop_recursive(3, 12, 2, |inner| {
            prop_oneof![
                inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
                (inner.clone(), inner.clone())
                    .prop_map(|(a, b)| Expr::And(Box::new(a), Box::new(b))),
                (inner.clone(), inner).prop_map(|(a, b)| Expr::Or(Box::new(a), Box::new(b))),
            ]
        })
    }

    fn fixture() -> &'static Fixture {
        static FIXTURE: std::sync::OnceLock<Fixture> = std::sync::OnceLock::new();
        FIXTURE.get_or_init(|| {
            let mut rng = Rng(0x7a9d);
            let recs = generate(&mut rng, 8_000);
            let dir = tempfile::tempdir().unwrap();
            let (inputs, _) = write(dir.path(), &recs);
            let (state, _) = retain(&inputs, usize::MAX);
            (recs, dir, inputs, state)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// The store's query, the streaming aggregate (`report --filter`'s path) and a naive
        /// fold agree exactly on random filters.
        #[test]
        fn store_stream_and_reference_agree(
            e in expr(),
            dim_i in 0..6usize,
            metric_i in 0..3usize,
            window in proptest::option::of((0u64..4200, 0u64..4200)),
        ) {
            let (recs, _dir, inputs, state) = fixture();
            let t0 = 1_700_000_000;
            let window = window.map(|(a, b)| (t0 + a.min(b), t0 + a.max(b)));
            // The window is `end` within [lo, hi]: the same as this filter term.
            let mut text = e.text();
            if let Some((lo, hi)) = window {
                text = format!("({text}) and end>={lo} and end<={hi}");
            }
            let filter = Arc::new(Filter::parse(&text).unwrap());
            let in_window = |r: &Rec| window.is_none_or(|(lo, hi)| lo <= r.end && r.end <= hi);
            let dim = Dimension::ALL[dim_i];
            let metric = [Metric::Bytes, Metric::Packets, Metric::Flows][metric_i];
            let q = Query {
                filter: Some(Arc::new(Filter::parse(&e.text()).unwrap())),
                window,
                group_by: dim,
                metric,
                limit: 20,
                heatmap: false,
            };
            let from_store = aggregate(state, &q, 2);
            let config = IngestConfig::new(Arc::new(Schema::default_v2()));
            let (streamed, _) = vpctop::pipeline::aggregate_inputs(inputs, &config, Some(Arc::clone(&filter)));
            let matching: Vec<&Rec> = recs.iter().filter(|r| e.eval(r) && in_window(r)).collect();
            let ok: Vec<&&Rec> = matching.iter().filter(|r| r.status == "OK").collect();
            prop_assert_eq!(from_store.matched, matching.len() as u64, "{}", text);
            prop_assert_eq!(streamed.counts.matched, matching.len() as u64, "{}", text);
            prop_assert_eq!(from_store.aggregate.totals.flows, ok.len() as u64);
            prop_assert_eq!(streamed.totals, from_store.aggregate.totals);
            prop_assert_eq!(streamed.top(dim, metric, 20), from_store.top);
            prop_assert_eq!(streamed.series.buckets(), from_store.aggregate.series.buckets());
        }
    }
}

#[test]
fn conversations_fold_replies_into_requests_and_a_scan_into_one_row() {
    // Regression: a server's drill split by each client's ephemeral port (its replies), and a
    // port scan listed one row of 2 flows per probed port.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.log");
    let mut text = String::new();
    for i in 0..10u32 {
        let eph = 40_000 + i;
        let (s, e) = (1_000 + i * 10, 1_005 + i * 10);
        text.push_str(&format!(
            "2 1 eni-a 10.0.1.9 10.0.0.5 {eph} 443 6 5 900 {s} {e} ACCEPT OK\n\
             2 1 eni-a 10.0.0.5 10.0.1.9 443 {eph} 6 4 5000 {s} {e} ACCEPT OK\n"
        ));
    }
    for port in 1..=300u32 {
        text.push_str(&format!(
            "2 1 eni-a 45.33.32.156 10.0.0.5 61000 {port} 6 1 40 2000 2001 REJECT OK\n"
        ));
    }
    std::fs::write(&path, text).unwrap();
    let (state, _) = retain(&[InputSpec::File(path)], usize::MAX);
    let host: std::net::IpAddr = "10.0.0.5".parse().unwrap();
    let key = Filter::parse("host=10.0.0.5").unwrap();
    let conv = conversations(&state, &key, Some(host), Metric::Flows, 2);
    assert_eq!(conv.len(), 2, "{conv:?}");
    let scan = conv.iter().find(|c| c.ports > 1).expect("the scan row");
    assert_eq!(
        (
            scan.peer,
            scan.port,
            scan.ports,
            scan.stats.flows,
            scan.stats.reject
        ),
        (Some("45.33.32.156".parse().unwrap()), None, 300, 300, 300)
    );
    let client = conv.iter().find(|c| c.ports == 1).expect("the client row");
    assert_eq!(
        (
            client.peer,
            client.port,
            client.stats.flows,
            client.stats.bytes
        ),
        (Some("10.0.1.9".parse().unwrap()), Some(443), 20, 10 * 5900)
    );
}
