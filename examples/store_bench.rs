//! Measures the aggregation core on one file: report-style ingest, ingest with retention and
//! live publication, retained bytes per record, snapshot swap times while a reader holds
//! snapshots, and a filtered re-aggregation over the retained records.
//!
//!     cargo run --release --example store_bench -- /tmp/flows10m.log
//!
//! `ONLY_LIVE=1` measures only the dashboard's ingest (retention, heatmap, publication);
//! `REPLAY=1` reads the file as the dashboard's replay does (record-time order, full speed).
//!
//! Prints one line per measurement and a JSON line at the end (see bench/README.md).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use vpctop::core::{Dimension, Metric};
use vpctop::filter::Filter;
use vpctop::pipeline::{IngestConfig, aggregate_and_retain, aggregate_inputs};
use vpctop::pipeline::{LiveOptions, run_live};
use vpctop::schema::Schema;
use vpctop::snapshot::SnapshotCell;
use vpctop::source::InputSpec;
use vpctop::store::Store;
use vpctop::store::query::{Query, aggregate};

fn percentile(mut v: Vec<Duration>, q: f64) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    v.sort();
    v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1]
}

/// Peak resident memory of this process (Linux `VmHWM`), in MB.
fn peak_rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: store_bench FILE");
        std::process::exit(2);
    };
    let inputs = vec![InputSpec::File(path.into())];
    let config = IngestConfig::new(Arc::new(Schema::default_v2()));

    let only_live = std::env::var_os("ONLY_LIVE").is_some();
    let t = Instant::now();
    let (agg, _) = if only_live {
        Default::default()
    } else {
        aggregate_inputs(&inputs, &config, None)
    };
    let report_s = t.elapsed().as_secs_f64();
    let lines = agg.counts.lines;
    println!(
        "report-style ingest: {report_s:.3} s ({:.0} lines/s)",
        lines as f64 / report_s
    );

    if !only_live {
        let store = Store::new(usize::MAX);
        let t = Instant::now();
        let _ = aggregate_and_retain(&inputs, &config, None, Some(Arc::clone(&store)));
        let retain_s = t.elapsed().as_secs_f64();
        println!(
            "batch ingest with retention: {retain_s:.3} s ({:.0}% of report throughput, {} records retained)",
            100.0 * report_s / retain_s,
            store.state().records
        );
    }

    let budget = std::env::var("BUDGET_MB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .map_or(usize::MAX, |mb| mb << 20);
    let store = Store::new(budget);
    let cell = SnapshotCell::default();
    let done = AtomicBool::new(false);
    let cadence_ms: u64 = std::env::var("CADENCE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let retain = std::env::var_os("NO_RETAIN").is_none();
    let options = LiveOptions {
        store: retain.then(|| Arc::clone(&store)),
        cadence: Duration::from_millis(cadence_ms),
        heatmap: std::env::var_os("NO_HEAT").is_none(),
        ..LiveOptions::default()
    };
    let mut live_config = config.clone();
    if std::env::var_os("REPLAY").is_some() {
        live_config.mode = vpctop::pipeline::Mode::Replay(vpctop::source::replay::ReplayConfig {
            speed: vpctop::source::replay::Speed::Max,
            from: None,
            to: None,
            control: None,
        });
    }
    let t = Instant::now();
    let (outcome, held) = std::thread::scope(|scope| {
        // A reader that always holds the previous snapshot while loading the next.
        let reader = scope.spawn(|| {
            let mut held = 0u64;
            let mut previous = cell.load();
            while !done.load(Ordering::Relaxed) {
                let next = cell.load();
                if next.seq != previous.seq {
                    held += 1;
                }
                previous = next;
                std::thread::sleep(Duration::from_millis(1));
            }
            held
        });
        let outcome = run_live(
            &inputs,
            &live_config,
            &options,
            &cell,
            &AtomicBool::new(false),
        );
        done.store(true, Ordering::Relaxed);
        (outcome, reader.join().unwrap_or(0))
    });
    let live_s = t.elapsed().as_secs_f64();
    let state = store.state();
    let per_record = state.memory as f64 / state.records.max(1) as f64;
    let swap_p99 = percentile(outcome.publish_times.clone(), 0.99);
    let swap_max = outcome
        .publish_times
        .iter()
        .max()
        .copied()
        .unwrap_or_default();
    let build_p50 = percentile(outcome.build_times.clone(), 0.5);
    println!(
        "ingest with retention + live publication: {live_s:.3} s ({:.0}% of report throughput)",
        100.0 * report_s / live_s
    );
    println!(
        "retained: {} records, {:.1} MB, {per_record:.1} bytes/record",
        state.records,
        state.memory as f64 / 1e6
    );
    println!(
        "publications: {} (reader saw {held}); swap p99 {swap_p99:?}, max {swap_max:?}; snapshot build p50 {build_p50:?}",
        outcome.publish_times.len()
    );

    if budget != usize::MAX {
        println!(
            "budget {} MB: store holds {:.1} MB, evicted {} records, coverage {:?}, peak RSS {} MB",
            budget >> 20,
            state.memory as f64 / 1e6,
            state.evicted_records,
            state.coverage(),
            peak_rss_mb()
        );
    }
    if only_live {
        return;
    }
    let q = Query {
        filter: Some(Arc::new(
            Filter::parse("action=REJECT and dstport=22").expect("filter"),
        )),
        window: None,
        group_by: Dimension::Src,
        metric: Metric::Bytes,
        limit: 10,
        heatmap: false,
    };
    let threads = config.workers;
    let mut best = Duration::MAX;
    let mut result = None;
    for _ in 0..5 {
        let t = Instant::now();
        let r = aggregate(&state, &q, threads);
        best = best.min(t.elapsed());
        result = Some(r);
    }
    let r = result.expect("ran");
    println!(
        "query action=REJECT and dstport=22, group by src: best of 5 {:.1} ms ({} scanned, {} matched)",
        best.as_secs_f64() * 1e3,
        r.scanned,
        r.matched
    );
    for e in r.top.iter().take(3) {
        println!(
            "  {} flows={} bytes={}",
            e.key, e.stats.flows, e.stats.bytes
        );
    }
    println!(
        "{{\"lines\":{lines},\"report_s\":{report_s:.3},\"live_retain_s\":{live_s:.3},\"bytes_per_record\":{per_record:.1},\"swap_p99_us\":{},\"query_ms\":{:.1}}}",
        swap_p99.as_micros(),
        best.as_secs_f64() * 1e3
    );
}
