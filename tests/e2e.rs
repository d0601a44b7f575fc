//! End to end: the real binary in an 80×24 pseudo-terminal (see `common::pty`). It must show
//! the known top talker, take a filter, drill down to the diagnosis, quit, and leave the
//! terminal as it found it (main screen, cursor visible, no mouse reporting, echo on); a second
//! run is stopped with SIGTERM and must restore the terminal just the same.
// Test code: an unwrap that fails is a test that fails, with its line.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::pty::{Term, WAIT, signal};

const BIG: &str = "10.9.9.9";
const BRUTE: &str = "198.51.100.9";
const SERVER: &str = "10.0.0.3";

fn write_flows(path: &Path) {
    let mut text = String::new();
    let t = 1_700_000_000u64;
    for i in 0..300u64 {
        let (s, e) = (t + i * 10, t + i * 10 + 9);
        text.push_str(&format!(
            "2 123456789012 eni-0big {BIG} 10.0.0.7 443 {} 6 900 9000000 {s} {e} ACCEPT OK\n",
            50_000 + i % 100
        ));
        text.push_str(&format!(
            "2 123456789012 eni-0ssh {BRUTE} {SERVER} {} 22 6 3 180 {s} {e} REJECT OK\n",
            40_000 + i
        ));
        text.push_str(&format!(
            "2 123456789012 eni-0web 10.0.1.{} 10.0.0.8 {} 80 6 10 4000 {s} {e} ACCEPT OK\n",
            i % 50,
            30_000 + i
        ));
    }
    std::fs::write(path, text).expect("write flows");
}

/// The dashboard on `flows`, read once, at 80×24.
fn dashboard(flows: &Path) -> Term {
    let dir = flows.parent().expect("flows in a directory");
    let path = flows.display().to_string();
    Term::start(&["--no-follow", &path], 80, 24, dir, &[])
}

/// After vpctop exits with `code`: the terminal is as it was.
fn assert_exit_restored(term: &mut Term, code: u32) {
    let status = term.wait_exit();
    assert_eq!(status.exit_code(), code, "exit status {status:?}");
    term.assert_restored();
}

#[test]
fn filter_drill_quit_and_the_terminal_is_restored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let flows = dir.path().join("e2e-flows.log");
    write_flows(&flows);
    let mut term = dashboard(&flows);
    let screen = term.wait_for("the top talker", |s| s.contains(BIG));
    assert!(screen.contains("Top source by bytes"), "{screen}");
    assert!(
        term.vt().alternate_screen(),
        "the dashboard uses the alternate screen"
    );
    assert_eq!(
        term.echo_and_icanon(),
        (false, false),
        "raw mode while running"
    );

    term.keys("/action=REJECT\r");
    let screen = term.wait_for("the filtered view", |s| {
        s.contains("filter action=REJECT")
            && s.lines().any(|l| l.contains("1   ") && l.contains(BRUTE))
    });
    assert!(!screen.contains(BIG), "only REJECT flows remain:\n{screen}");

    term.keys("\r");
    let screen = term.wait_for("the inspector", |s| {
        s.contains("Diagnosis:") && s.contains(":22/TCP")
    });
    assert!(
        screen.contains(&format!("Inspector: src {BRUTE}")),
        "{screen}"
    );
    assert!(screen.contains("security group or"), "{screen}");

    term.keys("\r");
    term.wait_for("the raw records", |s| {
        s.contains("e2e-flows.log:") && s.contains("REJECT OK")
    });

    term.keys("q");
    assert_exit_restored(&mut term, 0);
}

#[test]
fn sigterm_restores_the_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let flows = dir.path().join("e2e-term-flows.log");
    write_flows(&flows);
    let mut term = dashboard(&flows);
    term.wait_for("the top talker", |s| s.contains(BIG));
    signal(term.pid(), libc::SIGTERM);
    assert_exit_restored(&mut term, 143);
}

/// The talker rows of a screen: lines of the top-talkers table that start with a rank.
fn talker_rows(screen: &str) -> Vec<&str> {
    screen
        .lines()
        .filter(|l| {
            l.strip_prefix('┃')
                .and_then(|r| r.split_whitespace().next())
                .is_some_and(|rank| rank.parse::<u32>().is_ok())
        })
        .collect()
}

#[test]
fn the_demo_shows_the_scan_and_a_reject_filter_leaves_only_rejects() {
    let dir = tempfile::tempdir().expect("tempdir");
    let args = ["demo", "--seed", "3", "--rate", "400"];
    let mut term = Term::start(&args, 80, 24, dir.path(), &[]);
    term.wait_for("the dashboard", |s| s.contains("Top source"));
    // By flows, the port scan (100 probes a second) leads within seconds.
    term.keys("ss");
    let scanner = vpctop::demo::INCIDENTS[0].outsider.to_string();
    term.wait_for("the scanner among the top talkers", |s| {
        s.contains("Top source by flows") && talker_rows(s).iter().any(|r| r.contains(&scanner))
    });

    term.keys("/action=REJECT\r");
    // The filtered view is answered from the record store, which seals what ingest holds
    // about every second: wait for it to catch up with the scanner.
    let screen = term.wait_for("only REJECT flows, the scanner first", |s| {
        s.contains("filter action=REJECT")
            && s.contains("all 100.0%")
            && talker_rows(s).first().is_some_and(|r| r.contains(&scanner))
    });
    for row in talker_rows(&screen) {
        assert!(
            row.trim_end_matches('┃').trim_end().ends_with("100.0%"),
            "{row}\n{screen}"
        );
    }

    term.keys("\r");
    let screen = term.wait_for("the scan diagnosis", |s| s.contains("port scan"));
    assert!(
        screen.contains(&format!("Inspector: src {scanner}")),
        "{screen}"
    );
    term.keys("q");
    assert_exit_restored(&mut term, 0);
}

#[test]
fn a_hangup_ends_the_demo_and_removes_its_files() {
    // Regression: when the terminal went away, a panic on the dead stderr skipped the
    // demo's clean-up and left its directory behind.
    let cwd = tempfile::tempdir().expect("tempdir");
    let mut term = Term::start(&["demo"], 80, 24, cwd.path(), &[]);
    term.wait_for("the dashboard", |s| s.contains("Top source"));
    let pid = term.pid();
    let dir = std::env::temp_dir().join(format!("vpctop-demo-{pid}"));
    assert!(dir.is_dir(), "the demo writes into {}", dir.display());
    term.hang_up();
    let deadline = Instant::now() + WAIT;
    while dir.exists() || Path::new(&format!("/proc/{pid}/status")).exists() && !is_zombie(pid) {
        assert!(
            Instant::now() < deadline,
            "the demo outlived its terminal (alive: {}) or left {} (exists: {}); {}",
            !is_zombie(pid),
            dir.display(),
            dir.exists(),
            process_state(pid)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = term.wait_exit();
    assert!(
        !status.success(),
        "a hang-up is not a clean quit: {status:?}"
    );
}

/// What a process is doing, for a failure message: its signal masks and each thread's state.
fn process_state(pid: u32) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let mut out: Vec<String> = status
        .lines()
        .filter(|l| {
            ["State", "SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt"]
                .iter()
                .any(|k| l.starts_with(k))
        })
        .map(str::to_string)
        .collect();
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
            let wchan = std::fs::read_to_string(t.path().join("wchan")).unwrap_or_default();
            let stat = std::fs::read_to_string(t.path().join("stat")).unwrap_or_default();
            let state = stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .next()
                .unwrap_or("?")
                .to_string();
            out.push(format!("{} {state} {wchan}", comm.trim()));
        }
    }
    // Who still holds this terminal's master side (a hang-up needs every holder gone).
    let pts = std::fs::read_link(format!("/proc/{pid}/fd/0")).unwrap_or_default();
    let index = pts
        .to_string_lossy()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    for p in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(fds) = std::fs::read_dir(p.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let link = std::fs::read_link(fd.path()).unwrap_or_default();
            if !link.to_string_lossy().contains("ptmx") {
                continue;
            }
            let info = std::fs::read_to_string(p.path().join("fdinfo").join(fd.file_name()))
                .unwrap_or_default();
            if info.lines().any(|l| l == format!("tty-index:\t{index}")) {
                let comm = std::fs::read_to_string(p.path().join("comm")).unwrap_or_default();
                out.push(format!(
                    "master of {} held by {} ({}) fd {}",
                    pts.display(),
                    p.file_name().to_string_lossy(),
                    comm.trim(),
                    fd.file_name().to_string_lossy()
                ));
            }
        }
    }
    out.join("; ")
}

/// Whether `pid` has exited and waits only to be reaped by us.
fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("State:") && l.contains('Z'))
        })
        .unwrap_or(true)
}

#[test]
fn a_dash_on_a_terminal_is_refused_with_a_reason_instead_of_stealing_keys() {
    // Regression: `vpctop -` with the terminal as stdin read the user's keys as log lines
    // (`q` was ignored twice).
    let dir = tempfile::tempdir().expect("tempdir");
    let mut term = Term::start(&["-"], 80, 24, dir.path(), &[]);
    let status = term.wait_exit();
    assert_eq!(status.exit_code(), 2, "{status:?}");
    let screen = term.screen();
    assert!(
        screen.contains("standard input is this terminal"),
        "{screen}"
    );
    term.assert_restored();
}

#[test]
fn a_finished_replay_says_its_sources_are_done() {
    // Regression: after `replay done` the status bar still read `2 sources: 2 pending`.
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.log");
    let b = dir.path().join("b.log");
    write_flows(&a);
    write_flows(&b);
    let (a, b) = (a.display().to_string(), b.display().to_string());
    let mut term = Term::start(
        // 120 columns: at 80 the brute force's alert, ahead of it, fills the status line.
        &["replay", "--speed", "max", &a, &b],
        120,
        24,
        dir.path(),
        &[],
    );
    let screen = term.wait_for("the replay to finish", |s| s.contains("2 sources: 2 done"));
    assert!(!screen.contains("pending"), "{screen}");
    term.keys("q");
    assert_exit_restored(&mut term, 0);
}

#[test]
fn an_input_that_cannot_be_read_is_named_with_its_reason_on_screen_and_at_exit() {
    // Regression: `--no-follow /missing` showed `1 error` with no reason anywhere, and
    // following it showed `reading` forever.
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("no-such-dir").join("flows.log");
    let m = missing.display().to_string();
    let mut term = Term::start(&["--no-follow", &m], 80, 24, dir.path(), &[]);
    let screen = term.wait_for("the reason in the status bar", |s| {
        s.lines().next().is_some_and(|l| l.contains("No such file"))
    });
    assert!(screen.contains("flows.log"), "{screen}");
    term.keys("q");
    let status = term.wait_exit();
    assert_eq!(status.exit_code(), 1, "an input failed: {status:?}");
    let screen = term.screen();
    assert!(
        screen.contains(&format!("vpctop: {m}")) && screen.contains("No such file"),
        "the reason is printed after the dashboard:\n{screen}"
    );
    term.assert_restored();

    let mut term = Term::start(&[&m], 80, 24, dir.path(), &[]);
    term.wait_for("the follower waiting for the file", |s| {
        s.lines()
            .next()
            .is_some_and(|l| l.contains("flows.log: waiting for it to exist"))
    });
    term.keys("q");
    assert_eq!(term.wait_exit().exit_code(), 0);
    let screen = term.screen();
    assert!(screen.contains("never appeared"), "{screen}");
}

#[test]
fn a_long_report_shows_progress_on_a_terminal_and_erases_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let flows = dir.path().join("flows.log");
    write_flows(&flows);
    let f = flows.display().to_string();
    let mut term = Term::start(&["report", &f, &f], 80, 24, dir.path(), &[]);
    assert_eq!(term.wait_exit().exit_code(), 0);
    let raw = term.raw();
    assert!(
        raw.contains("of 2 inputs"),
        "a progress line was drawn: {raw:?}"
    );
    let report_at = raw.find("lines 1,800").expect("the report");
    let erased_at = raw.rfind("\x1b[2K").or_else(|| raw.rfind("\r\x1b[K"));
    assert!(
        erased_at.is_some_and(|e| e < report_at),
        "the line is erased before the report starts: {raw:?}"
    );
    assert!(!term.screen().contains("inputs"), "{}", term.screen());
    // Into a pipe, never.
    let piped = common::vpctop(&["report", &f]);
    assert!(!piped.stderr.contains("inputs"), "{}", piped.stderr);
}

#[test]
fn the_demo_raises_alerts_in_the_status_bar_rings_and_drills_from_the_list() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 20 record seconds a second: the scan's first minute closes in about three seconds.
    let args = ["demo", "--seed", "2", "--speed", "20", "--bell"];
    let mut term = Term::start(&args, 80, 24, dir.path(), &[]);
    let scanner = vpctop::demo::INCIDENTS[0].outsider.to_string();
    term.wait_for("an alert in the status bar", |s| {
        s.lines().next().is_some_and(|l| l.contains("alert"))
    });
    assert!(
        term.raw().contains('\u{7}'),
        "--bell rings when an alert opens"
    );
    term.keys("a");
    term.wait_for("the alert list with the scan", |s| {
        s.contains("Alerts: ") && s.contains("port-scan") && s.contains(&scanner)
    });
    // The oldest alert is the last row: the scan, which starts the incident script.
    term.keys("G");
    let screen = term.wait_for("the scan selected", |s| {
        s.lines()
            .any(|l| l.contains("filter") && l.contains(&format!("srcaddr={scanner}")))
    });
    assert!(screen.contains("port-scan"), "{screen}");
    term.keys("\r");
    let screen = term.wait_for("the scan's records in the inspector", |s| {
        s.contains("Inspector: alert port-scan") && s.contains("port scan")
    });
    assert!(!screen.contains("Alerts: "), "the list closed\n{screen}");
    term.keys("q");
    assert_exit_restored(&mut term, 0);

    // Without --bell the same alerts ring nothing.
    let quiet = ["demo", "--seed", "2", "--speed", "20"];
    let mut term = Term::start(&quiet, 80, 24, dir.path(), &[]);
    term.wait_for("an alert in the status bar", |s| {
        s.lines().next().is_some_and(|l| l.contains("alert"))
    });
    assert!(!term.raw().contains('\u{7}'), "no bell without --bell");
    term.keys("q");
    assert_exit_restored(&mut term, 0);
}

#[test]
fn x_hands_the_view_to_athena_c_copies_it_through_the_terminal_and_w_writes_it() {
    use base64::Engine as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut term = Term::start(
        &["demo", "--seed", "1", "--speed", "5"],
        80,
        24,
        dir.path(),
        &[],
    );
    term.wait_for("the dashboard", |s| s.contains("Top source by bytes"));
    term.keys("/");
    term.keys("action=REJECT\r");
    term.wait_for("the filter applied", |s| s.contains("filter action=REJECT"));
    term.keys("x");
    term.wait_for("the Athena query of the view", |s| {
        s.contains("Query:") && s.contains("\"action\" = 'REJECT'") && s.contains("GROUP BY 1")
    });
    term.keys("c");
    let deadline = Instant::now() + WAIT;
    let copied = loop {
        let raw = term.raw();
        if let Some(at) = raw.find("\u{1b}]52;c;")
            && let Some(len) = raw[at + 7..].find('\u{7}')
        {
            break raw[at + 7..at + 7 + len].to_string();
        }
        assert!(Instant::now() < deadline, "no OSC 52 sequence was written");
        std::thread::sleep(Duration::from_millis(20));
    };
    let copied = base64::engine::general_purpose::STANDARD
        .decode(copied)
        .expect("base64");
    let copied = String::from_utf8(copied).expect("UTF-8");
    assert!(copied.contains("\"action\" = 'REJECT'"), "{copied}");
    assert!(copied.starts_with("-- vpctop: top "), "{copied}");
    term.keys("\t");
    term.wait_for("the Insights query", |s| {
        s.contains("| stats sum(bytes) as value")
    });
    term.keys("w");
    term.wait_for("where it was written", |s| {
        s.contains("wrote both queries to vpctop-view-")
    });
    let written: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("vpctop-view-"))
        .collect();
    assert_eq!(written.len(), 1);
    let text = std::fs::read_to_string(written[0].path()).unwrap();
    assert!(
        text.contains("==> Athena <==") && text.contains(copied.trim_end()),
        "{text}"
    );
    assert!(
        text.contains("==> Logs Insights <==") && text.contains("| filter log_status = \"OK\"")
    );
    term.keys("\u{1b}");
    term.wait_for("the pane closed", |s| !s.contains("Query:"));
    term.keys("q");
    assert_exit_restored(&mut term, 0);
}
