//! `--exec CMD`: runs the user's command once per opened alert, the alert's JSON on its
//! stdin. The command line is the user's alone, split like a shell would split it but never
//! given to one, and nothing from the logs reaches its arguments or environment: a hostile
//! flow log cannot run anything.
//!
//! Alerts are queued to a runner thread without waiting (ingest never blocks on a command);
//! at most [`PARALLEL`] commands run at once, each killed after [`TIMEOUT`]. A failing
//! command is said once on stderr and counted; a full queue drops alerts and says so once.
//! At the end of the records the queue is given a bounded time to drain
//! ([`Exec::finish`]): a slow command cannot hold a batch run for minutes.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

/// Commands running at once.
pub const PARALLEL: usize = 4;

/// How long a command may run before it is killed.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Alerts waiting for a command before new ones are dropped.
const QUEUE: usize = 256;

/// What happened to the commands, for the closing line.
#[derive(Debug, Default)]
pub struct ExecCounts {
    /// Commands started.
    pub ran: AtomicU64,
    /// Commands that could not start, exited non-zero or timed out.
    pub failed: AtomicU64,
    /// Alerts dropped because the queue was full.
    pub dropped: AtomicU64,
    /// Alerts still queued when the wait at exit ran out (never run).
    pub unrun: AtomicU64,
    /// Commands still running when the wait at exit ran out (killed).
    pub killed: AtomicU64,
}

/// The runner: [`send`](Self::send) queues an alert's JSON.
pub struct Exec {
    tx: Option<SyncSender<Vec<u8>>>,
    runner: Option<JoinHandle<()>>,
    counts: Arc<ExecCounts>,
    stop: Arc<AtomicBool>,
    said_dropped: bool,
}

impl Exec {
    /// Starts the runner for `command` (split into words, no shell).
    pub fn start(command: &str) -> Result<Exec> {
        let Some(argv) = shlex::split(command).filter(|a| !a.is_empty()) else {
            bail!("--exec: `{command}` is no command (an unclosed quote, or nothing)");
        };
        let (tx, rx) = sync_channel(QUEUE);
        let counts = Arc::new(ExecCounts::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (c, st) = (Arc::clone(&counts), Arc::clone(&stop));
        let runner = std::thread::Builder::new()
            .name("alert-exec".into())
            .spawn(move || run_queue(&argv, &rx, &c, &st))?;
        Ok(Exec {
            tx: Some(tx),
            runner: Some(runner),
            counts,
            stop,
            said_dropped: false,
        })
    }

    /// Queues one alert's JSON; never waits.
    pub fn send(&mut self, json: Vec<u8>) {
        let Some(tx) = &self.tx else { return };
        match tx.try_send(json) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.counts.dropped.fetch_add(1, Ordering::Relaxed);
                if !self.said_dropped {
                    eprintln!(
                        "vpctop: --exec: the command is slower than the alerts; alerts are \
                         dropped until it catches up (counted at the end)"
                    );
                    self.said_dropped = true;
                }
            }
            Err(TrySendError::Disconnected(_)) => {}
        }
    }

    /// Lets the queued commands run for at most `grace`, then kills those still running and
    /// drops those not started (both counted); returns the counts.
    pub fn finish(mut self, grace: Duration) -> Arc<ExecCounts> {
        drop(self.tx.take());
        if let Some(r) = self.runner.take() {
            let deadline = Instant::now() + grace;
            while !r.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            self.stop.store(true, Ordering::Relaxed);
            let _ = r.join();
        }
        Arc::clone(&self.counts)
    }
}

fn run_queue(argv: &[String], rx: &Receiver<Vec<u8>>, counts: &ExecCounts, stop: &AtomicBool) {
    let mut running: Vec<(std::process::Child, Instant)> = Vec::new();
    let mut said = false;
    let mut fail = |why: String, counts: &ExecCounts| {
        counts.failed.fetch_add(1, Ordering::Relaxed);
        if !said {
            eprintln!(
                "vpctop: --exec `{}`: {why} (further failures are only counted)",
                argv.join(" ")
            );
            said = true;
        }
    };
    let mut open = true;
    while open || !running.is_empty() {
        if stop.load(Ordering::Relaxed) {
            for (mut child, _) in running.drain(..) {
                let _ = child.kill();
                let _ = child.wait();
                counts.killed.fetch_add(1, Ordering::Relaxed);
            }
            let left = rx.try_iter().count() as u64;
            counts.unrun.fetch_add(left, Ordering::Relaxed);
            return;
        }
        // Reap what ended, kill what ran too long.
        let mut i = 0;
        while i < running.len() {
            let (child, started) = &mut running[i];
            match child.try_wait() {
                Ok(Some(status)) => {
                    if !status.success() {
                        fail(format!("exited with {status}"), counts);
                    }
                    running.swap_remove(i);
                    continue;
                }
                Ok(None) if started.elapsed() > TIMEOUT => {
                    let _ = child.kill();
                    let _ = child.wait();
                    fail(format!("killed after {} s", TIMEOUT.as_secs()), counts);
                    running.swap_remove(i);
                    continue;
                }
                Ok(None) => {}
                Err(e) => {
                    fail(e.to_string(), counts);
                    running.swap_remove(i);
                    continue;
                }
            }
            i += 1;
        }
        if running.len() >= PARALLEL || !open {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        match rx.recv_timeout(Duration::from_millis(20)) {
            Ok(json) => {
                counts.ran.fetch_add(1, Ordering::Relaxed);
                let spawned = Command::new(&argv[0])
                    .args(&argv[1..])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::null())
                    .spawn();
                match spawned {
                    Ok(mut child) => {
                        // A command that does not read its stdin is no failure.
                        if let Some(mut stdin) = child.stdin.take() {
                            let _ = stdin.write_all(&json);
                            let _ = stdin.write_all(b"\n");
                        }
                        running.push((child, Instant::now()));
                    }
                    Err(e) => fail(format!("cannot run it: {e}"), counts),
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => open = false,
        }
    }
}
