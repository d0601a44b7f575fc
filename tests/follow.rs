//! `report --follow`: the real binary follows files and stdin while a writer appends, rotates
//! and truncates. Every wait is for a condition, with a bounded timeout.
// Test code: an unwrap that fails is a test that fails, with its line.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use common::flows::{Rec, Rng, generate};
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(30);

/// A running `vpctop report --follow --json` and the reports it printed so far.
struct Follow {
    child: Child,
    reports: Receiver<Value>,
    last: Option<Value>,
}

impl Follow {
    fn start(args: &[&str], stdin: bool) -> Follow {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vpctop"))
            .args(["report", "--follow", "--json", "--interval", "50ms"])
            .args(args)
            .stdin(if stdin { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn vpctop");
        let out = child.stdout.take().expect("stdout");
        let (tx, reports) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let doc: Value = serde_json::from_str(&line).expect("one JSON report per line");
                if tx.send(doc).is_err() {
                    break;
                }
            }
        });
        Follow {
            child,
            reports,
            last: None,
        }
    }

    /// Waits until a report satisfies `pred`, and returns it.
    fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(last) = &self.last
                && pred(last)
            {
                return last.clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "timed out waiting for {what}; last report: records {:?}, malformed {:?}: {:?}",
                self.last.as_ref().map(|d| d["records"].clone()),
                self.last.as_ref().map(|d| d["malformed"].clone()),
                self.last.as_ref().map(|d| d["malformed_examples"].clone()),
            );
            if let Ok(doc) = self
                .reports
                .recv_timeout(left.min(Duration::from_millis(200)))
            {
                self.last = Some(doc);
            }
        }
    }

    /// Sends SIGTERM, waits for the exit, and returns the exit code and the final report.
    fn terminate(self) -> (Option<i32>, Value) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(status.success());
        self.finish()
    }

    /// Waits for the process to end by itself; returns the exit code and the final report.
    fn finish(mut self) -> (Option<i32>, Value) {
        let deadline = Instant::now() + TIMEOUT;
        let code = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status.code();
            }
            assert!(Instant::now() < deadline, "vpctop did not stop");
            std::thread::sleep(Duration::from_millis(10));
        };
        // Everything it printed, up to its last report.
        while let Ok(doc) = self.reports.recv_timeout(Duration::from_secs(2)) {
            self.last = Some(doc);
        }
        (code, self.last.expect("a final report"))
    }
}

fn append(path: &Path, data: &[u8]) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(data).unwrap();
}

fn records(doc: &Value) -> u64 {
    doc["records"].as_u64().unwrap()
}

#[test]
fn rotation_and_truncation_under_a_writer_lose_nothing_and_count_nothing_twice() {
    // FOLLOW_STRESS_SEEDS=N runs seeds 1..=N (for a stress run under load); 3 by default.
    let seeds = std::env::var("FOLLOW_STRESS_SEEDS")
        .ok()
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(3);
    for seed in 1..=seeds {
        let mut rng = Rng(0xf011 + seed);
        let recs = generate(&mut rng, 3_000);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("current.log");
        let p = path.display().to_string();
        // The file does not exist yet when following starts. Every third seed (2, 5, 8) is polled (`--poll`),
        // the others are woken by file events.
        let poll: &[&str] = if seed % 3 == 2 {
            &["--poll", "20ms"]
        } else {
            &[]
        };
        let mut f = Follow::start(&[poll, &[p.as_str()]].concat(), false);
        let text: Vec<u8> = recs
            .iter()
            .flat_map(|r| (r.line() + "\n").into_bytes())
            .collect();
        let mut written = 0usize; // bytes of `text` written so far
        let mut complete = 0u64; // whole lines written so far
        let mut rotations = 0;
        while written < text.len() {
            let rotate = rng.below(10) == 0;
            // A random-sized write that may split a line; before a rotation, up to the end of
            // the line in progress (a logger rotates between lines).
            let len = if rotate {
                text[written..]
                    .iter()
                    .position(|b| *b == b'\n')
                    .map_or(0, |i| i + 1)
            } else {
                rng.below(700) as usize + 1
            }
            .clamp(1, text.len() - written);
            append(&path, &text[written..written + len]);
            complete += text[written..written + len]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            written += len;
            if rotate && written < text.len() {
                // Rotate only what vpctop has caught up with, as a real writer's rotation
                // interval is far longer than the poll interval.
                let seen = complete;
                let what = format!(
                    "seed {seed}: catching up before rotation {} ({} bytes written)",
                    rotations + 1,
                    written
                );
                f.wait_for(&what, |d| records(d) == seen);
                rotations += 1;
                if rng.below(2) == 0 {
                    std::fs::rename(&path, dir.path().join(format!("current.log.{rotations}")))
                        .unwrap();
                } else {
                    // copytruncate
                    std::fs::copy(&path, dir.path().join(format!("copy.{rotations}"))).unwrap();
                    std::fs::OpenOptions::new()
                        .write(true)
                        .open(&path)
                        .unwrap()
                        .set_len(0)
                        .unwrap();
                }
            }
        }
        let n = recs.len() as u64;
        f.wait_for(&format!("seed {seed}: every record"), |d| records(d) == n);
        let (code, last) = f.terminate();
        assert_eq!(
            code,
            Some(0),
            "seed {seed}: a signal-initiated stop exits 0"
        );
        assert_eq!(
            records(&last),
            n,
            "seed {seed}: nothing lost, nothing twice"
        );
        assert_eq!(
            last["malformed"], 0,
            "seed {seed}: {}",
            last["malformed_examples"]
        );
        assert!(rotations >= 2, "seed {seed}: only {rotations} rotations");
    }
}

#[test]
fn a_deleted_file_is_picked_up_again_when_recreated() {
    let mut rng = Rng(0xde1);
    let recs = generate(&mut rng, 20);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.log");
    let lines: Vec<String> = recs.iter().map(|r| r.line() + "\n").collect();
    append(&path, lines[..10].concat().as_bytes());
    let mut f = Follow::start(&[&path.display().to_string()], false);
    f.wait_for("the first ten", |d| records(d) == 10);
    std::fs::remove_file(&path).unwrap();
    f.wait_for("the source to be waiting", |d| {
        d["sources"][0]["state"] == "waiting"
    });
    append(&path, lines[10..].concat().as_bytes());
    f.wait_for("the recreated file", |d| records(d) == 20);
    f.wait_for("the source to be followed again", |d| {
        d["sources"][0]["state"] == "following" && d["sources"][0]["lines"] == 20
    });
    let (code, last) = f.terminate();
    assert_eq!((code, records(&last)), (Some(0), 20));
}

#[test]
fn from_end_skips_what_is_already_there() {
    let mut rng = Rng(0xe0d);
    let recs = generate(&mut rng, 8);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.log");
    append(&path, (recs[0].line() + "\n").as_bytes());
    let mut f = Follow::start(&["--from-end", &path.display().to_string()], false);
    f.wait_for("a first report", |_| true);
    let rest: String = recs[1..].iter().map(|r| r.line() + "\n").collect();
    append(&path, rest.as_bytes());
    f.wait_for("the appended records", |d| records(d) == 7);
    let (_, last) = f.terminate();
    assert_eq!(records(&last), 7);
}

#[test]
fn stdin_is_a_live_stream_with_cloudwatch_shaped_lines() {
    let mut rng = Rng(0x57d1);
    let recs = generate(&mut rng, 50);
    let mut f = Follow::start(&["-"], true);
    let mut stdin = f.child.stdin.take().unwrap();
    let tail: Vec<String> = recs
        .iter()
        .map(|r: &Rec| {
            format!(
                "2026-11-23T10:00:00.000000+00:00 {}-all {}\n",
                r.eni,
                r.line()
            )
        })
        .collect();
    stdin.write_all(tail[..30].concat().as_bytes()).unwrap();
    stdin.flush().unwrap();
    // Reported while stdin is still open: a live stream, not a batch.
    f.wait_for("the first thirty", |d| records(d) == 30);
    stdin.write_all(tail[30..].concat().as_bytes()).unwrap();
    drop(stdin); // end of input ends the run, with a final report
    let (code, last) = f.finish();
    assert_eq!(code, Some(0));
    assert_eq!((records(&last), last["malformed"].as_u64()), (50, Some(0)));
}

#[test]
fn an_unreadable_input_says_why_and_the_others_go_on() {
    let mut rng = Rng(0xbad);
    let recs = generate(&mut rng, 5);
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.log");
    let body: String = recs.iter().map(|r| r.line() + "\n").collect();
    append(&good, body.as_bytes());
    // A path under a regular file can never be opened (not even by root).
    let bad = good.join("nested.log");
    let mut f = Follow::start(
        &[&bad.display().to_string(), &good.display().to_string()],
        false,
    );
    let doc = f.wait_for("the good file and the bad one's error", |d| {
        records(d) == 5 && d["sources"][0]["state"] == "error"
    });
    let reason = doc["sources"][0]["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        reason.to_lowercase().contains("not a directory"),
        "{reason}"
    );
    assert_eq!(doc["sources"][1]["state"], "following");
    assert_eq!(doc["sources"][1]["mechanism"], "notify");
    let (code, _) = f.terminate();
    assert_eq!(code, Some(0));
}

#[test]
fn a_watched_directory_picks_up_new_plain_and_gzip_files() {
    let mut rng = Rng(0xd1e);
    let recs = generate(&mut rng, 300);
    let text = |r: &[Rec]| -> String { r.iter().map(|x| x.line() + "\n").collect() };
    let dir = tempfile::tempdir().unwrap();
    append(&dir.path().join("a.log"), text(&recs[..5]).as_bytes());
    let mut f = Follow::start(&[&dir.path().display().to_string()], false);
    f.wait_for("the file already there", |d| records(d) == 5);

    // A plain file that appears and grows in pieces, split mid-line.
    let b = dir.path().join("sub/b.log");
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let body = text(&recs[5..205]);
    for piece in body.as_bytes().chunks(333) {
        append(&b, piece);
    }
    // A gzip object written under a temporary name, then renamed into place.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(text(&recs[205..]).as_bytes()).unwrap();
    let tmp = dir.path().join("c.log.gz.tmp");
    std::fs::write(&tmp, enc.finish().unwrap()).unwrap();
    std::fs::rename(&tmp, dir.path().join("c.log.gz")).unwrap();
    // Work files and hidden files are not flow logs.
    append(&dir.path().join(".hidden.log"), text(&recs[..3]).as_bytes());
    append(&dir.path().join("notes.swp"), b"not a flow log\n");

    let doc = f.wait_for("every record of every file", |d| records(d) == 300);
    let names: Vec<String> = doc["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names.iter().any(|n| n.ends_with("sub/b.log")));
    assert!(names.iter().any(|n| n.ends_with("c.log.gz")));
    let (code, last) = f.terminate();
    assert_eq!(code, Some(0));
    assert_eq!((records(&last), last["malformed"].as_u64()), (300, Some(0)));
}

#[test]
fn a_directory_receiving_files_at_random_loses_nothing() {
    for seed in [7u64, 8] {
        let mut rng = Rng(0xd0 + seed);
        let recs = generate(&mut rng, 1_500);
        let dir = tempfile::tempdir().unwrap();
        let mut f = Follow::start(&[&dir.path().display().to_string()], false);
        f.wait_for("a first report", |_| true);
        let mut at = 0;
        let mut file = 0;
        while at < recs.len() {
            let n = (rng.below(200) as usize + 1).min(recs.len() - at);
            let body: String = recs[at..at + n].iter().map(|r| r.line() + "\n").collect();
            file += 1;
            if rng.below(3) == 0 {
                // A finished S3 object: gzip, renamed into place.
                let mut enc =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                enc.write_all(body.as_bytes()).unwrap();
                let tmp = dir.path().join(format!("obj{file}.log.gz.partial"));
                std::fs::write(&tmp, enc.finish().unwrap()).unwrap();
                std::fs::rename(&tmp, dir.path().join(format!("obj{file}.log.gz"))).unwrap();
            } else {
                // A plain file written in random pieces that split lines.
                let path = dir.path().join(format!("flows{file}.log"));
                let bytes = body.as_bytes();
                let mut i = 0;
                while i < bytes.len() {
                    let len = (rng.below(500) as usize + 1).min(bytes.len() - i);
                    append(&path, &bytes[i..i + len]);
                    i += len;
                }
            }
            at += n;
        }
        let total = recs.len() as u64;
        f.wait_for("every record of every file", |d| records(d) == total);
        let (code, last) = f.terminate();
        assert_eq!(code, Some(0), "seed {seed}");
        assert_eq!(
            records(&last),
            total,
            "seed {seed}: nothing lost, nothing twice"
        );
        assert_eq!(last["malformed"], 0, "seed {seed}");
    }
}

#[test]
fn a_line_longer_than_10_mb_arriving_in_pieces_is_one_line() {
    let mut rng = Rng(0x10b);
    let recs = generate(&mut rng, 4);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.log");
    append(&path, (recs[0].line() + "\n").as_bytes());
    let mut f = Follow::start(&["--poll", "20ms", &path.display().to_string()], false);
    f.wait_for("the first record", |d| records(d) == 1);
    // 11 MB of one line, written in 1 MB pieces with the follower reading in between.
    let piece = vec![b'x'; 1 << 20];
    for _ in 0..11 {
        append(&path, &piece);
    }
    append(&path, b"\n");
    let rest: String = recs[1..].iter().map(|r| r.line() + "\n").collect();
    append(&path, rest.as_bytes());
    let doc = f.wait_for("the records after the long line", |d| records(d) == 4);
    assert_eq!(doc["malformed"], 1, "the long line is one malformed line");
    assert_eq!(doc["lines"], 5);
    assert_eq!(doc["sources"][0]["mechanism"], "polling");
    let (code, _) = f.terminate();
    assert_eq!(code, Some(0));
}

#[test]
fn a_watched_directory_with_rename_rotation_counts_each_record_once() {
    // logrotate-style: current.log is renamed to current.log.1 (then .2) and a new
    // current.log is started. The renamed files are the same files vpctop has followed:
    // found again in the directory, they must not be read a second time.
    let mut rng = Rng(0x7073);
    let recs = generate(&mut rng, 400);
    let text = |r: &[Rec]| -> String { r.iter().map(|x| x.line() + "\n").collect() };
    let dir = tempfile::tempdir().unwrap();
    let current = dir.path().join("current.log");
    append(&current, text(&recs[..100]).as_bytes());
    let mut f = Follow::start(&[&dir.path().display().to_string()], false);
    f.wait_for("the live file", |d| records(d) == 100);
    for (round, part) in [(1, &recs[100..200]), (2, &recs[200..300])] {
        if round == 2 {
            std::fs::rename(
                dir.path().join("current.log.1"),
                dir.path().join("current.log.2"),
            )
            .unwrap();
        }
        std::fs::rename(&current, dir.path().join("current.log.1")).unwrap();
        append(&current, text(part).as_bytes());
        let want = 100 * (round + 1);
        f.wait_for("the new live file", |d| records(d) == want);
    }
    // A file created after the renames: once it is counted, the directory has been looked at
    // since they happened.
    append(&dir.path().join("later.log"), text(&recs[300..]).as_bytes());
    f.wait_for("the later file", |d| {
        d["sources"].as_array().is_some_and(|s| {
            s.iter()
                .any(|s| s["name"].as_str().is_some_and(|n| n.ends_with("later.log")))
        })
    });
    let (code, last) = f.terminate();
    assert_eq!(code, Some(0));
    assert_eq!(
        records(&last),
        400,
        "every record once: {:?}",
        last["sources"]
    );
}
