//! The last way out when the terminal hangs up: if the dashboard has not ended within a
//! grace time of SIGHUP, end the process from here.
//!
//! Why it is needed: crossterm 0.29 reads a hung-up terminal in a loop that never ends (the
//! terminal stays readable while `read` returns 0 or `EIO`; upstream crossterm issue #793).
//! When the event loop is inside that read as the terminal goes away, it never returns to see
//! SIGHUP, and an SSH drop would leave vpctop spinning on a core forever. The watch notices
//! the signal on its own thread (a flag set by the signal handler), waits for the normal exit,
//! and otherwise runs the dashboard's clean-up and exits with 128 + 1.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Clean-up the watch runs before it ends the process (the demo removes its directory).
pub type ForcedExit = Arc<dyn Fn() + Send + Sync>;

/// How long the dashboard has to end by itself after SIGHUP.
pub const GRACE: Duration = Duration::from_secs(2);

/// Watches for SIGHUP while it lives.
pub struct HangupWatch {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HangupWatch {
    /// Starts watching; `cleanup` runs before a forced exit.
    pub fn start(cleanup: Option<ForcedExit>) -> std::io::Result<HangupWatch> {
        let hung_up = Arc::new(AtomicBool::new(false));
        signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(&hung_up))?;
        let done = Arc::new(AtomicBool::new(false));
        let thread = {
            let done = Arc::clone(&done);
            std::thread::Builder::new()
                .name("vpctop-hangup".into())
                .spawn(move || watch(&hung_up, &done, GRACE, || force_exit(cleanup.as_ref())))?
        };
        Ok(HangupWatch {
            done,
            thread: Some(thread),
        })
    }
}

impl Drop for HangupWatch {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Waits until `done` (returns) or `hung_up` followed by `grace` without `done` (calls
/// `give_up`, which does not return in production).
fn watch(hung_up: &AtomicBool, done: &AtomicBool, grace: Duration, give_up: impl FnOnce()) {
    const STEP: Duration = Duration::from_millis(50);
    let mut since: Option<Instant> = None;
    loop {
        if done.load(Ordering::Relaxed) {
            return;
        }
        if since.is_none() && hung_up.load(Ordering::Relaxed) {
            since = Some(Instant::now());
        }
        if since.is_some_and(|t| t.elapsed() >= grace) {
            give_up();
            return;
        }
        std::thread::sleep(STEP);
    }
}

fn force_exit(cleanup: Option<&ForcedExit>) {
    if let Some(c) = cleanup {
        c();
    }
    // The terminal is gone: there is nothing to restore and no one to tell.
    std::process::exit(128 + signal_hook::consts::SIGHUP);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_up_only_after_a_hangup_and_the_grace_time() {
        let (hup, done) = (AtomicBool::new(true), AtomicBool::new(false));
        let started = Instant::now();
        let mut gave_up = false;
        watch(&hup, &done, Duration::from_millis(100), || gave_up = true);
        assert!(gave_up);
        assert!(started.elapsed() >= Duration::from_millis(100));
    }

    #[test]
    fn a_normal_end_stops_the_watch_without_giving_up() {
        let (hup, done) = (AtomicBool::new(true), AtomicBool::new(true));
        let mut gave_up = false;
        watch(&hup, &done, Duration::ZERO, || gave_up = true);
        assert!(!gave_up);
    }
}
