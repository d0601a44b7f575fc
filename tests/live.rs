//! Live snapshots under concurrency: readers take snapshots in a loop while workers ingest;
//! every snapshot must be internally consistent, counters must never go back, and the final
//! snapshot must equal the batch answer for the same input.
// Test code: an unwrap that fails is a test that fails, with its line.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::flows::{Rec, Rng, generate};
use vpctop::core::Dimension;
use vpctop::filter::Filter;
use vpctop::pipeline::{IngestConfig, aggregate_inputs};
use vpctop::pipeline::{LiveOptions, run_live};
use vpctop::schema::Schema;
use vpctop::snapshot::{METRICS, Snapshot, SnapshotCell};
use vpctop::source::InputSpec;

/// Checks what must hold in any snapshot, whenever it was taken.
fn assert_consistent(s: &Snapshot) {
    let c = &s.counts;
    assert!(
        c.is_balanced(),
        "lines unbalanced in snapshot {}: {c:?}",
        s.seq
    );
    assert_eq!(
        c.ok + c.nodata + c.skipdata,
        c.matched,
        "status sums, snapshot {}",
        s.seq
    );
    assert_eq!(s.totals.flows, c.ok, "OK records are the flows");
    assert_eq!(
        s.totals.flows,
        s.accept.flows + s.reject.flows,
        "every flow has an action"
    );
    assert_eq!(
        s.totals.bytes,
        s.accept.bytes + s.reject.bytes,
        "bytes split by action"
    );
    let series_accept: u64 = s.series.iter().map(|(_, b)| b.accept_flows).sum();
    let series_reject_bytes: u64 = s.series.iter().map(|(_, b)| b.reject_bytes).sum();
    assert_eq!(series_accept, s.accept.flows, "series sums to the totals");
    assert_eq!(series_reject_bytes, s.reject.bytes);
    let heat_flows: u64 = s.heat.iter().map(|(_, _, c)| c.flows).sum();
    assert_eq!(
        heat_flows + s.heat_rest.flows,
        s.totals.flows,
        "heatmap (shown rows and the rest) sums to the totals"
    );
    let rows: std::collections::HashSet<u16> = s.heat.iter().map(|(_, p, _)| *p).collect();
    assert!(
        rows.len() <= vpctop::snapshot::HEAT_ROWS,
        "{} rows",
        rows.len()
    );
    for dim in Dimension::ALL {
        for metric in METRICS {
            let list = s.top(dim, metric);
            assert!(
                list.windows(2)
                    .all(|w| w[0].stats.metric(metric) >= w[1].stats.metric(metric)),
                "{dim:?} by {metric:?} not sorted"
            );
        }
    }
}

/// `records` generated records (from `seed`) written over `files` files in a fresh directory
/// (kept as long as the returned guard lives).
fn generated_inputs(
    seed: u64,
    records: usize,
    files: usize,
) -> (Vec<Rec>, tempfile::TempDir, Vec<InputSpec>) {
    let recs = generate(&mut Rng(seed), records);
    let dir = tempfile::tempdir().unwrap();
    let inputs = write_inputs(dir.path(), &recs, files);
    (recs, dir, inputs)
}

fn write_inputs(dir: &std::path::Path, recs: &[Rec], files: usize) -> Vec<InputSpec> {
    let per = recs.len().div_ceil(files);
    recs.chunks(per)
        .enumerate()
        .map(|(i, part)| {
            let path = dir.join(format!("part-{i}.log"));
            let body: Vec<String> = part.iter().map(Rec::line).collect();
            std::fs::write(&path, body.join("\n") + "\n").unwrap();
            InputSpec::File(path)
        })
        .collect()
}

#[test]
fn readers_see_consistent_growing_snapshots_and_the_final_one_equals_the_batch_answer() {
    let (recs, _dir, inputs) = generated_inputs(0x11fe, 120_000, 3);
    let mut config = IngestConfig::new(Arc::new(Schema::default_v2()));
    config.chunk_bytes = 32 * 1024; // many chunks, many hand-overs
    config.workers = 2;
    let options = LiveOptions {
        cadence: Duration::from_millis(2),
        ..LiveOptions::default()
    };
    let cell = SnapshotCell::default();
    let done = AtomicBool::new(false);
    let (outcome, seen) = std::thread::scope(|scope| {
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let cell = cell.clone();
                let done = &done;
                scope.spawn(move || {
                    let mut seen = 0u64;
                    let mut last: Option<Arc<Snapshot>> = None;
                    let deadline = Instant::now() + Duration::from_secs(60);
                    loop {
                        let s = cell.load();
                        if let Some(prev) = &last {
                            assert!(s.seq >= prev.seq, "snapshots went back");
                            assert!(s.counts.lines >= prev.counts.lines, "lines went back");
                            assert!(s.totals.bytes >= prev.totals.bytes, "bytes went back");
                        }
                        if last.as_ref().is_none_or(|p| p.seq != s.seq) {
                            assert_consistent(&s);
                            seen += 1;
                        }
                        let finished = s.complete;
                        // Hold the snapshot while the publisher carries on.
                        last = Some(s);
                        if finished || done.load(Ordering::Relaxed) {
                            break;
                        }
                        assert!(Instant::now() < deadline, "no complete snapshot in time");
                    }
                    seen
                })
            })
            .collect();
        let cancel = AtomicBool::new(false);
        let outcome = run_live(&inputs, &config, &options, &cell, &cancel);
        done.store(true, Ordering::Relaxed);
        let seen: Vec<u64> = readers.into_iter().map(|r| r.join().unwrap()).collect();
        (outcome, seen)
    });
    assert!(outcome.errors.is_empty());
    let last = cell.load();
    assert!(last.complete);
    assert_consistent(&last);
    assert!(
        outcome.publish_times.len() >= 3,
        "expected several publications, got {}",
        outcome.publish_times.len()
    );
    assert!(seen.iter().all(|n| *n >= 1), "{seen:?}");

    // The final snapshot equals the batch answer.
    let (batch, errors) = aggregate_inputs(&inputs, &config, None);
    assert!(errors.is_empty());
    assert_eq!(last.counts.records, recs.len() as u64);
    assert_eq!(last.counts.lines, batch.counts.lines);
    assert_eq!(last.counts.bytes, batch.counts.bytes);
    assert_eq!(last.totals, batch.totals);
    assert_eq!(last.series, batch.series.buckets());
    for dim in Dimension::ALL {
        for metric in METRICS {
            assert_eq!(
                last.top(dim, metric),
                batch.top(dim, metric, 100).as_slice(),
                "{dim:?} by {metric:?}"
            );
        }
    }
}

#[test]
fn a_filtered_live_run_counts_only_matching_records() {
    let (recs, _dir, inputs) = generated_inputs(0xf11, 20_000, 1);
    let config = IngestConfig::new(Arc::new(Schema::default_v2()));
    let filter = Arc::new(Filter::parse("action=REJECT dstport in (22, 3306)").unwrap());
    let options = LiveOptions {
        filter: Some(filter),
        ..LiveOptions::default()
    };
    let cell = SnapshotCell::default();
    let outcome = run_live(&inputs, &config, &options, &cell, &AtomicBool::new(false));
    assert!(outcome.errors.is_empty());
    let s = cell.load();
    let want = recs
        .iter()
        .filter(|r| r.status == "OK" && r.action == "REJECT" && [22, 3306].contains(&r.dstport))
        .count() as u64;
    assert!(want > 0);
    assert_eq!(s.totals.flows, want);
    assert_eq!(s.accept.flows, 0);
    assert_eq!(s.counts.records, recs.len() as u64);
}

#[test]
fn a_replay_obeys_its_control_channel() {
    use std::sync::Mutex;
    use vpctop::pipeline::Mode;
    use vpctop::source::replay::ReplayConfig;
    use vpctop::source::replay::{ReplayCommand, Speed};
    let (recs, _dir, inputs) = generated_inputs(0x7e9, 2_000, 2);
    let (tx, rx) = std::sync::mpsc::channel();
    let mut config = IngestConfig::new(Arc::new(Schema::default_v2()));
    // So slow that it would never finish on its own: an hour of records at 1/1000x.
    config.mode = Mode::Replay(ReplayConfig {
        speed: Speed::Times(0.001),
        from: None,
        to: None,
        control: Some(Arc::new(Mutex::new(rx))),
    });
    let cell = SnapshotCell::default();
    // Paused from the first record on, three records let through one by one, then full speed.
    tx.send(ReplayCommand::Pause).unwrap();
    for _ in 0..3 {
        tx.send(ReplayCommand::Step).unwrap();
    }
    let outcome = std::thread::scope(|scope| {
        let run = scope.spawn(|| {
            run_live(
                &inputs,
                &config,
                &LiveOptions::default(),
                &cell,
                &AtomicBool::new(false),
            )
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut stepped = 0;
        while Instant::now() < deadline {
            stepped = cell.load().counts.records;
            if stepped >= 3 {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        // Paused, only the stepped records came through (a pause holds the rest back).
        std::thread::sleep(Duration::from_millis(200));
        let held = cell.load().counts.records;
        tx.send(ReplayCommand::Resume).unwrap();
        tx.send(ReplayCommand::Speed(Speed::Max)).unwrap();
        let outcome = run.join().unwrap();
        assert_eq!(stepped, 3, "three steps, three records");
        assert_eq!(held, 3, "nothing more while paused");
        outcome
    });
    assert!(outcome.errors.is_empty());
    assert_eq!(outcome.total.counts.records, recs.len() as u64);
}

#[test]
fn a_replay_advances_record_time_at_its_speed() {
    use vpctop::pipeline::Mode;
    use vpctop::source::replay::ReplayConfig;
    use vpctop::source::replay::Speed;
    // 300 s of records, one a second, alternating between two files; at 100x, about 3 s.
    let dir = tempfile::tempdir().unwrap();
    let line = |i: u64| {
        let start = 10_000 + i;
        format!(
            "2 1 eni-a 10.0.0.1 10.0.0.2 1 22 6 1 1 {start} {} ACCEPT OK\n",
            start + 1
        )
    };
    let mut inputs = Vec::new();
    for part in 0..2u64 {
        let body: String = (0..300).filter(|i| i % 2 == part).map(line).collect();
        let path = dir.path().join(format!("part-{part}.log"));
        std::fs::write(&path, body).unwrap();
        inputs.push(InputSpec::File(path));
    }
    let mut config = IngestConfig::new(Arc::new(Schema::default_v2()));
    config.mode = Mode::Replay(ReplayConfig {
        speed: Speed::Times(100.0),
        from: None,
        to: None,
        control: None,
    });
    let cell = SnapshotCell::default();
    let done = AtomicBool::new(false);
    // (wall time, newest record end) as the snapshots show them, sampled until the run ends.
    let samples = std::thread::scope(|scope| {
        let run = scope.spawn(|| {
            let outcome = run_live(
                &inputs,
                &config,
                &LiveOptions::default(),
                &cell,
                &AtomicBool::new(false),
            );
            done.store(true, Ordering::Release);
            outcome
        });
        let started = Instant::now();
        let mut samples = Vec::new();
        while !done.load(Ordering::Acquire) && started.elapsed() < Duration::from_secs(60) {
            if let Some(end) = cell.load().last_end {
                samples.push((started.elapsed().as_secs_f64(), end as f64));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let outcome = run.join().unwrap();
        assert_eq!(outcome.total.counts.records, 300);
        samples
    });
    // Compare the clock over the middle of the run, away from start-up and the last record.
    let (t1, e1) = samples[samples.len() / 5];
    let (t2, e2) = samples[samples.len() * 4 / 5];
    assert!(t2 - t1 >= 1.0, "too few samples: {samples:?}");
    let speed = (e2 - e1) / (t2 - t1);
    assert!(
        (60.0..140.0).contains(&speed),
        "record time advanced at {speed:.0}x, not 100x"
    );
}

#[test]
fn a_followed_file_that_goes_quiet_is_retained_in_full_for_queries() {
    // The dashboard follows files by default. Once one stops growing, every record it gave
    // must reach the store's sealed segments (what filters and drill-down read), not wait
    // in a worker's open segment for lines that never come.
    let (recs, _dir, inputs) = generated_inputs(0x5ea1, 500, 1);
    let mut config = IngestConfig::new(Arc::new(Schema::default_v2()));
    config.workers = 2;
    config.mode = vpctop::pipeline::Mode::Follow(vpctop::pipeline::FollowConfig::default());
    let store = vpctop::store::Store::new(usize::MAX);
    let options = LiveOptions {
        store: Some(Arc::clone(&store)),
        ..LiveOptions::default()
    };
    let cell = SnapshotCell::default();
    let cancel = AtomicBool::new(false);
    let retained = std::thread::scope(|scope| {
        let run = scope.spawn(|| run_live(&inputs, &config, &options, &cell, &cancel));
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut retained = 0;
        while Instant::now() < deadline {
            retained = store.state().records;
            if retained == recs.len() as u64 {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        cancel.store(true, Ordering::Relaxed);
        run.join().unwrap();
        retained
    });
    assert_eq!(
        retained,
        recs.len() as u64,
        "records sealed while the file was quiet"
    );
}
