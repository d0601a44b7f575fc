//! Taking over the terminal and giving it back: raw mode, the alternate screen, mouse
//! capture and a hidden cursor on the way in; all of it undone on every way out (the guard's
//! drop, a panic, a signal), exactly once.

use std::io::{self, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// Whether the terminal is in dashboard mode (so restoring twice is harmless).
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// The terminal in dashboard mode; restores it when dropped.
pub struct TerminalGuard {
    /// The ratatui terminal drawing on stdout. Never dropped: its own drop shows the cursor
    /// and, when that fails (the terminal hung up), prints to stderr, which panics when stderr
    /// is the same dead terminal. [`restore`] does the showing instead, quietly.
    pub terminal: std::mem::ManuallyDrop<Terminal<CrosstermBackend<Stdout>>>,
}

impl TerminalGuard {
    /// Enters dashboard mode and installs a panic hook that leaves it before the panic
    /// message is printed (so the message is readable).
    pub fn enter() -> io::Result<TerminalGuard> {
        install_panic_hook();
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let mut stdout = io::stdout();
        if let Err(e) = execute!(
            stdout,
            EnterAlternateScreen,
            EnableMouseCapture,
            cursor::Hide
        ) {
            restore();
            return Err(e);
        }
        let terminal = match Terminal::new(CrosstermBackend::new(stdout)) {
            Ok(t) => t,
            Err(e) => {
                restore();
                return Err(e);
            }
        };
        Ok(TerminalGuard {
            terminal: std::mem::ManuallyDrop::new(terminal),
        })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Leaves dashboard mode if it is on: mouse capture off, main screen back, cursor shown,
/// raw mode off. Safe to call from any thread, any number of times.
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = execute!(
            io::stdout(),
            DisableMouseCapture,
            LeaveAlternateScreen,
            cursor::Show
        );
        let _ = disable_raw_mode();
    }
}

fn install_panic_hook() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // A decoder's panic contained as an input's error leaves the dashboard running.
        if crate::source::contain::is_contained() {
            return;
        }
        restore();
        previous(info);
    }));
}

/// The OSC 52 sequence that puts `text` on the terminal's clipboard (the terminal's own, so
/// it works over SSH; tmux passes it on with `set -g set-clipboard on`). The text travels
/// base64-encoded, so nothing in it can act as a control sequence.
pub fn osc52(text: &str) -> String {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\x1b]52;c;{encoded}\x07")
}

/// Writes [`osc52`] of `text` to the terminal.
pub fn copy_to_clipboard(text: &str) -> io::Result<()> {
    use std::io::Write as _;
    let mut out = io::stdout().lock();
    out.write_all(osc52(text).as_bytes())?;
    out.flush()
}

#[cfg(test)]
mod osc52_tests {
    #[test]
    fn the_clipboard_sequence_carries_the_text_base64_encoded() {
        assert_eq!(
            super::osc52("SELECT 1;\n"),
            "\x1b]52;c;U0VMRUNUIDE7Cg==\x07"
        );
        // Control characters in the text cannot escape the sequence.
        assert!(!super::osc52("\x1b]0;owned\x07").contains("owned"));
    }
}
