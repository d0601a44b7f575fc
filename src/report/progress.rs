//! The progress line of long headless runs (`report`, `records`, `replay`): bytes read of
//! the total, inputs done of all, rate and time left, on stderr only when stderr is a
//! terminal, and erased when the run ends, so it never lands in a pipe or a log file.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::source::progress::Progress;

/// A progress line drawn while it lives; erased on drop.
pub struct ProgressLine {
    bar: ProgressBar,
    stop: Arc<AtomicBool>,
    ticker: Option<JoinHandle<()>>,
}

impl ProgressLine {
    /// Starts drawing `progress` on stderr, or returns `None` when stderr is not a terminal
    /// (or there are no files to measure).
    pub fn start(progress: Arc<Progress>) -> Option<ProgressLine> {
        if !std::io::stderr().is_terminal() || progress.total_bytes() == 0 {
            return None;
        }
        let bar = ProgressBar::with_draw_target(
            Some(progress.total_bytes()),
            ProgressDrawTarget::stderr_with_hz(5),
        );
        let style = ProgressStyle::with_template(
            "{bytes} of {total_bytes} ({percent}%) · {msg} · {binary_bytes_per_sec} · {eta} left",
        )
        .ok()?;
        bar.set_style(style);
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = {
            let (bar, stop) = (bar.clone(), Arc::clone(&stop));
            std::thread::Builder::new()
                .name("vpctop-progress".into())
                .spawn(move || {
                    // Drawn once at the start, however short the run.
                    loop {
                        bar.set_message(format!(
                            "{} of {} inputs",
                            progress.done(),
                            progress.inputs()
                        ));
                        bar.set_position(progress.read());
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(200));
                    }
                })
                .ok()?
        };
        Some(ProgressLine {
            bar,
            stop,
            ticker: Some(ticker),
        })
    }
}

impl Drop for ProgressLine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
        self.bar.finish_and_clear();
    }
}
