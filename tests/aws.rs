//! S3 inputs against a real S3 API server on 127.0.0.1: moto in server mode, started by these
//! tests on a free port and stopped when they end. Nothing inside vpctop is mocked.
//!
//! They need Python with `moto[server]`, `boto3` and `pyarrow`
//! (`pip install -r tests/aws/requirements.txt`), so they build only with the `moto-tests`
//! feature: `cargo test --features moto-tests --test aws`. `.ci/run` installs the packages and
//! runs them.
#![cfg(all(feature = "aws", feature = "moto-tests"))]
// Test code: an unwrap that fails is a test that fails, with its line.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Run;
use serde_json::Value;

/// A moto server on a free port of 127.0.0.1, killed when dropped. Its request log (one line
/// per request) goes to a file, so tests can count what vpctop asked for.
struct Moto {
    child: Child,
    endpoint: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Moto {
    fn start() -> Moto {
        Moto::start_with(&[])
    }

    /// A server that checks every request's credentials against its own IAM users (it has
    /// none), as AWS does.
    fn start_checking_credentials() -> Moto {
        Moto::start_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", "0")])
    }

    fn start_with(env: &[(&str, &str)]) -> Moto {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("requests.log");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("python3 -m moto.server (pip install -r tests/aws/requirements.txt)");
        let endpoint = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto did not start: {}",
                read(&log)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto {
            child,
            endpoint,
            log,
            _dir: dir,
        }
    }

    /// GET requests for objects (not listings) of `bucket` so far.
    fn object_gets(&self, bucket: &str) -> Vec<String> {
        let wanted = format!("\"GET /{bucket}/");
        read(&self.log)
            .lines()
            .filter_map(|l| {
                let at = l.find(&wanted)?;
                let path = l[at + 5..].split(' ').next()?;
                // A listing asks `?list-type=2…`; an object read is its key (and `x-id`).
                let (key, query) = path.split_once('?').unwrap_or((path, ""));
                (!query.contains("list-type")).then(|| key.to_string())
            })
            .collect()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read(path: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut f) = std::fs::File::open(path) {
        let _ = f.read_to_string(&mut text);
    }
    text
}

/// A bucket filled by tests/aws/make_bucket.py, and the same objects in a local directory.
struct Delivered {
    bucket: String,
    local: tempfile::TempDir,
    /// Every object key with the start of its delivery window (when its name has one).
    objects: Vec<(String, Option<u64>)>,
}

fn deliver(moto: &Moto, bucket: &str) -> Delivered {
    let local = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/aws/make_bucket.py");
    let out = Command::new("python3")
        .arg(&script)
        .args([moto.endpoint.as_str(), bucket])
        .arg(local.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "make_bucket.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let objects = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (key, start) = l.rsplit_once(' ').unwrap();
            (key.to_string(), start.parse().ok())
        })
        .collect();
    Delivered {
        bucket: bucket.to_string(),
        local,
        objects,
    }
}

/// Runs vpctop with test credentials (moto accepts any) and the server as endpoint.
fn vpctop_at(moto: &Moto, args: &[&str]) -> Run {
    vpctop_env(
        args,
        &[
            ("AWS_ACCESS_KEY_ID", "testing-key-id"),
            ("AWS_SECRET_ACCESS_KEY", "testing-secret-key-42"),
            ("AWS_ENDPOINT_URL", moto.endpoint.as_str()),
        ],
    )
}

/// Runs vpctop with only these AWS settings in its environment (no profile files).
fn vpctop_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vpctop"));
    cmd.args(args)
        .env("HOME", home.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-east-1");
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") && k != "AWS_REGION" && k != "AWS_EC2_METADATA_DISABLED" {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn a_bucket_reads_as_the_same_objects_synced_to_a_directory() {
    let moto = Moto::start();
    let d = deliver(&moto, "delivered");
    assert!(d.objects.len() >= 13, "{} objects", d.objects.len());
    let url = format!("s3://{}/", d.bucket);
    let remote = vpctop_at(&moto, &["report", "--json", &url]);
    assert_eq!(remote.code, 0, "{}", remote.stderr);
    let local_dir = format!("{}/", d.local.path().display());
    let local = common::vpctop(&["report", "--json", &local_dir]);
    assert_eq!(local.code, 0, "{}", local.stderr);
    // The same report, field for field, once object URLs are read as the synced paths.
    let remote: Value = serde_json::from_str(&remote.stdout.replace(&url, &local_dir)).unwrap();
    let local: Value = serde_json::from_str(&local.stdout).unwrap();
    assert_eq!(remote, local);
    // Both layouts, both formats and the stray object were read: 6 × 40 text records,
    // 6 × 30 Parquet records, and the README's two lines are malformed.
    assert_eq!(remote["records"], 420, "{remote}");
    assert_eq!(remote["malformed"], 2, "{remote}");
    let gets: BTreeSet<String> = moto.object_gets(&d.bucket).into_iter().collect();
    assert_eq!(gets.len(), d.objects.len(), "every object once: {gets:?}");
}

#[test]
fn a_time_window_gets_only_the_objects_that_can_hold_it() {
    let moto = Moto::start();
    let d = deliver(&moto, "window");
    // 2024-06-19 from 12:00 to 16:00 UTC: the two objects of 15:20 that day.
    let (from, to) = ("2024-06-19T12:00:00Z", "2024-06-19T16:00:00Z");
    let url = format!("s3://{}/", d.bucket);
    let run = vpctop_at(
        &moto,
        &["report", "--json", "--from", from, "--to", to, &url],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let (lo, hi) = (1_718_798_400u64, 1_718_812_800u64);
    let expected: BTreeSet<String> = d
        .objects
        .iter()
        .filter(|(_, start)| start.is_some_and(|s| s + 300 > lo && s <= hi + 900))
        .map(|(key, _)| format!("/{}/{key}", d.bucket))
        .collect();
    assert_eq!(expected.len(), 2, "{expected:?}");
    let gets: BTreeSet<String> = moto.object_gets(&d.bucket).into_iter().collect();
    // The README names no time: it is read, not skipped.
    let readme = format!("/{}/AWSLogs/123456789012/vpcflowlogs/README.txt", d.bucket);
    let mut want = expected.clone();
    want.insert(readme);
    assert_eq!(gets, want);
    // And the records outside the window are not counted.
    assert_eq!(doc["records"], 70, "{doc}");
    assert_eq!(doc["flows"], 70, "{doc}");
}

#[test]
fn a_missing_bucket_and_missing_credentials_are_named_and_other_inputs_go_on() {
    let moto = Moto::start();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/samples/demo-v5.log");
    let sample = sample.to_str().unwrap();
    let run = vpctop_at(&moto, &["report", "--json", "s3://no-such-bucket/", sample]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("s3://no-such-bucket/: NoSuchBucket"),
        "{}",
        run.stderr
    );
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(
        doc["records"].as_u64().unwrap() > 900,
        "the sample still counts"
    );
    // The secret key never shows, whatever fails.
    assert!(
        !run.stderr.contains("testing-secret-key-42")
            && !run.stdout.contains("testing-secret-key-42")
    );

    let endpoint = moto.endpoint.as_str();
    let run = vpctop_env(
        &["report", "s3://anything/", sample],
        &[("AWS_ENDPOINT_URL", endpoint)],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("no AWS credentials"), "{}", run.stderr);
}

#[test]
fn credentials_a_server_refuses_fail_each_cloud_input_by_name_and_others_go_on() {
    let moto = Moto::start_checking_credentials();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/samples/demo-v5.log");
    let run = vpctop_env(
        &[
            "report",
            "--json",
            "s3://flow-logs/AWSLogs/",
            "cwl:///vpc/flow-logs",
            sample.to_str().unwrap(),
        ],
        &[
            ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEUNKNOWN01"),
            ("AWS_SECRET_ACCESS_KEY", "refused-secret-key-77"),
            ("AWS_ENDPOINT_URL", moto.endpoint.as_str()),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    for source in ["s3://flow-logs/AWSLogs/: ", "cwl:///vpc/flow-logs: "] {
        let line = run
            .stderr
            .lines()
            .find(|l| l.contains(source))
            .unwrap_or_else(|| panic!("no error for {source} in {}", run.stderr));
        // S3 says InvalidAccessKeyId; CloudWatch Logs says UnrecognizedClientException (AWS)
        // or InvalidClientTokenId (moto, in XML the SDK cannot read, reported all the same).
        assert!(
            [
                "InvalidAccessKeyId",
                "UnrecognizedClient",
                "InvalidClientTokenId"
            ]
            .iter()
            .any(|code| line.contains(code)),
            "{line}"
        );
        assert!(line.len() < 200, "one short line: {line}");
    }
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(
        doc["records"].as_u64().unwrap() > 900,
        "the sample still counts"
    );
    let everything = format!("{}{}", run.stdout, run.stderr);
    assert!(
        !everything.contains("refused-secret-key-77"),
        "{everything}"
    );
}

/// Puts `count` events into `stream` of `group` (see tests/aws/logs.py); returns their
/// messages.
fn put_events(
    moto: &Moto,
    group: &str,
    stream: &str,
    first: u64,
    count: u64,
    base: u64,
) -> Vec<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/aws/logs.py");
    let out = Command::new("python3")
        .arg(&script)
        .args([
            moto.endpoint.as_str(),
            group,
            stream,
            &first.to_string(),
            &count.to_string(),
            &base.to_string(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "logs.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn a_log_group_reads_as_its_events_and_a_stream_prefix_narrows_it() {
    let moto = Moto::start();
    let base = now_secs() - 3600;
    let mut all = Vec::new();
    for stream in ["eni-0001aaaa-all", "eni-0002bbbb-all", "eni-0003cccc-all"] {
        all.extend(put_events(&moto, "/vpc/flowlogs", stream, 0, 25, base));
    }
    let run = vpctop_at(&moto, &["records", "cwl:///vpc/flowlogs"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let got: BTreeSet<String> = run
        .stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["file"], "cwl:///vpc/flowlogs");
            format!("{} {}", v["srcaddr"].as_str().unwrap(), v["start"])
        })
        .collect();
    let want: BTreeSet<String> = all
        .iter()
        .map(|m| {
            let f: Vec<&str> = m.split(' ').collect();
            format!("{} {}", f[3], f[10])
        })
        .collect();
    assert_eq!(got.len(), 75);
    assert_eq!(got, want);

    let one = vpctop_at(
        &moto,
        &[
            "report",
            "--json",
            "--log-stream-prefix",
            "eni-0002",
            "cwl:///vpc/flowlogs",
        ],
    );
    let doc: Value = serde_json::from_str(&one.stdout).unwrap();
    assert_eq!(doc["records"], 25, "{}", one.stderr);
    assert_eq!(doc["top"]["src"].as_array().unwrap().len().min(1), 1);
    // A window: the events of the first 100 s (records 0..=9 of each stream start there).
    let from = base.to_string();
    let to = (base + 95).to_string();
    let windowed = vpctop_at(
        &moto,
        &[
            "report",
            "--json",
            "--from",
            &from,
            "--to",
            &to,
            "cwl:///vpc/flowlogs",
        ],
    );
    let doc: Value = serde_json::from_str(&windowed.stdout).unwrap();
    assert_eq!(doc["records"], 30, "{}", windowed.stderr);
    // A group that does not exist is named with CloudWatch's reason.
    let missing = vpctop_at(&moto, &["report", "cwl:///no/such/group"]);
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("cwl:///no/such/group"),
        "{}",
        missing.stderr
    );
    assert!(
        missing.stderr.contains("ResourceNotFound"),
        "{}",
        missing.stderr
    );
}

#[test]
fn following_a_log_group_counts_new_events_exactly_once() {
    let moto = Moto::start();
    let base = now_secs() - 300;
    put_events(&moto, "flows", "eni-0001aaaa-all", 0, 10, base);
    let run = Following::start(&moto, &["--poll", "200ms", "--since", "1h", "cwl://flows"]);
    run.wait_for(10);
    // New events in the same stream and in a new one, while vpctop polls.
    put_events(&moto, "flows", "eni-0001aaaa-all", 10, 5, base);
    put_events(&moto, "flows", "eni-0002bbbb-all", 0, 5, base);
    run.wait_for(20);
    // Several more polls see the same events again: still counted once.
    for _ in 0..5 {
        assert_eq!(run.next(), 20);
    }
    assert_eq!(run.stop(), Some(0));
}

/// `vpctop report --follow --json ARGS…` against the server, its reports' record counts
/// read as they come.
struct Following {
    child: Child,
    reports: std::sync::mpsc::Receiver<u64>,
    _home: tempfile::TempDir,
}

impl Following {
    fn start(moto: &Moto, args: &[&str]) -> Following {
        use std::io::BufRead;
        let home = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_vpctop"))
            .args(["report", "--follow", "--json", "--interval", "300ms"])
            .args(args)
            .env("HOME", home.path())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", &moto.endpoint)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, reports) = std::sync::mpsc::channel::<u64>();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let doc: Value = serde_json::from_str(&line).unwrap();
                if tx.send(doc["records"].as_u64().unwrap()).is_err() {
                    break;
                }
            }
        });
        Following {
            child,
            reports,
            _home: home,
        }
    }

    /// The next report's record count (within 30 s).
    fn next(&self) -> u64 {
        self.reports
            .recv_timeout(Duration::from_secs(30))
            .expect("a report in time")
    }

    /// Waits (up to a minute) for a report counting `n` records; none may count more.
    fn wait_for(&self, n: u64) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let got = self.reports.recv_timeout(left).expect("a report in time");
            assert!(
                got <= n,
                "counted {got} records, more than the {n} there are"
            );
            if got == n {
                return;
            }
        }
    }

    /// SIGTERM: a last report, then the exit code.
    fn stop(mut self) -> Option<i32> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().unwrap().code()
    }
}

fn put_object(moto: &Moto, bucket: &str, key: &str, file: &Path) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/aws/put_object.py");
    let out = Command::new("python3")
        .arg(&script)
        .args([moto.endpoint.as_str(), bucket, key])
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "put_object.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn following_a_prefix_reads_each_new_object_once_even_under_an_earlier_key() {
    let moto = Moto::start();
    let d = deliver(&moto, "growing");
    let parquet = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/parquet");
    let url = format!("s3://{}/AWSLogs/", d.bucket);
    let run = Following::start(&moto, &["--poll", "300ms", &url]);
    run.wait_for(420);
    // A new object after every key, and one whose key sorts before keys already read.
    let late = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/06/21/\
                123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d_20240621T0005Z_late.log";
    let early = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/06/17/\
                 123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d_20240617T2355Z_early.log.parquet";
    put_object(&moto, &d.bucket, late, &parquet.join("v8-custom.log"));
    put_object(&moto, &d.bucket, early, &parquet.join("v2.parquet"));
    run.wait_for(420 + 400 + 1500);
    for _ in 0..4 {
        assert_eq!(run.next(), 2320, "each object once");
    }
    let gets = moto.object_gets(&d.bucket);
    let unique: BTreeSet<&String> = gets.iter().collect();
    assert_eq!(
        gets.len(),
        unique.len(),
        "no object was read twice: {gets:?}"
    );
    assert_eq!(run.stop(), Some(0));
}

#[test]
fn following_a_stream_prefix_picks_up_streams_created_while_it_runs() {
    let moto = Moto::start();
    let base = now_secs() - 300;
    put_events(&moto, "by-eni", "eni-0001aaaa-all", 0, 10, base);
    put_events(&moto, "by-eni", "eni-0009zzzz-all", 0, 7, base);
    let run = Following::start(
        &moto,
        &[
            "--poll",
            "200ms",
            "--since",
            "1h",
            "--log-stream-prefix",
            "eni-000",
            "cwl://by-eni",
        ],
    );
    run.wait_for(17);
    // A new interface's stream, created after following began, matches the prefix too.
    put_events(&moto, "by-eni", "eni-0002bbbb-all", 0, 5, base);
    run.wait_for(22);
    assert_eq!(run.stop(), Some(0));
}
