//! Helpers for tests that run the built `vpctop` binary.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

pub mod flows;
pub mod pty;
pub mod views;

/// What one run of the binary produced.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Held while a test starts a process. A pseudo-terminal is opened without close-on-exec
/// and only then marked, so a process started by another test thread in that instant would
/// inherit the terminal and keep it open after its test closes it (no hang-up would come).
pub static SPAWNING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `vpctop ARGS` with `stdin` as standard input.
pub fn vpctop_with_stdin(args: &[&str], stdin: &[u8]) -> Run {
    let spawning = SPAWNING.lock().unwrap_or_else(|e| e.into_inner());
    let mut child = Command::new(env!("CARGO_BIN_EXE_vpctop"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn vpctop");
    drop(spawning);
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait for vpctop");
    feeder.join().expect("stdin feeder");
    to_run(out)
}

/// Runs `vpctop ARGS` with empty standard input.
pub fn vpctop(args: &[&str]) -> Run {
    vpctop_with_stdin(args, b"")
}

fn to_run(out: Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `vpctop COMMAND EXTRA… [--format FORMAT] PATHS…`.
pub fn run_on(command: &[&str], paths: &[&Path], format: Option<&str>, extra: &[&str]) -> Run {
    let mut args: Vec<String> = command.iter().chain(extra).map(|s| s.to_string()).collect();
    if let Some(f) = format {
        args.push("--format".into());
        args.push(f.into());
    }
    args.extend(paths.iter().map(|p| p.display().to_string()));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    vpctop(&argv)
}

/// The JSON document a run printed (panics with the run's output when it is not one).
pub fn json_of(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "report JSON: {e}\nstdout: {}\nstderr: {}",
            run.stdout, run.stderr
        )
    })
}

/// The JSON document a successful run printed: exit code 0 (else panics with stderr).
pub fn json_of_success(run: &Run) -> Value {
    assert_eq!(run.code, 0, "{}", run.stderr);
    json_of(run)
}

/// `report --json` on `paths` (with an optional format): the parsed document.
pub fn report_json(paths: &[&Path], format: Option<&str>) -> (Value, Run) {
    let run = run_on(&["report", "--json"], paths, format, &[]);
    (json_of(&run), run)
}

/// `records` on `paths` (with an optional format and extra flags): one value per line.
pub fn records(paths: &[&Path], format: Option<&str>, extra: &[&str]) -> (Vec<Value>, Run) {
    let run = run_on(&["records"], paths, format, extra);
    let values = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("NDJSON line {l:?}: {e}")))
        .collect();
    (values, run)
}

/// The public fixtures vendored into `tests/corpus` (see its SOURCES.md).
pub fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// Reads a test input, or panics with one line naming the file and why it could not be read.
pub fn read_input(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("test input {}: {e}", path.display()))
}

/// Asserts the line identity of a report document and returns (lines, records, malformed).
pub fn assert_balanced(doc: &Value) -> (u64, u64, u64) {
    let n = |k: &str| {
        doc[k]
            .as_u64()
            .unwrap_or_else(|| panic!("{k} missing in {doc}"))
    };
    assert_eq!(
        n("lines"),
        n("records") + n("headers") + n("blank") + n("malformed"),
        "lines = records + headers + blank + malformed in {doc}"
    );
    let status = &doc["status"];
    let by_status: u64 = ["OK", "NODATA", "SKIPDATA"]
        .iter()
        .map(|k| status[k].as_u64().unwrap())
        .sum();
    assert!(by_status <= n("records"));
    (n("lines"), n("records"), n("malformed"))
}

/// Counts lines the way vpctop defines them: `\n`-terminated, plus a final unterminated one.
pub fn count_lines(data: &[u8]) -> u64 {
    let newlines = data.iter().filter(|b| **b == b'\n').count() as u64;
    newlines + u64::from(!data.is_empty() && data.last() != Some(&b'\n'))
}
