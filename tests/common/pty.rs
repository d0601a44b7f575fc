//! The real binary in a pseudo-terminal, read back through a terminal emulator.
//!
//! `portable-pty` opens the terminal and starts vpctop as its session leader (so closing the
//! terminal hangs it up, as an SSH drop would); `vt100` keeps the screen, and also reports the
//! modes a program must restore: the alternate screen, cursor visibility and mouse reporting.
//! The terminal's own line settings (echo, canonical input) are read with `tcgetattr`. Nothing
//! outside the Rust toolchain is needed.

use std::io::{ErrorKind, Read, Write};
use std::num::NonZeroU16;
use std::os::fd::RawFd;
use std::path::Path;
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, ExitStatus, MasterPty, PtySize, native_pty_system};

/// How long any wait on the terminal may take before the test fails with the screen.
pub const WAIT: Duration = Duration::from_secs(30);

/// One vpctop run in its own terminal.
pub struct Term {
    master: Option<Box<dyn MasterPty + Send>>,
    reader: Option<Box<dyn Read + Send>>,
    writer: Option<Box<dyn Write + Send>>,
    child: Box<dyn Child + Send + Sync>,
    parser: vt100::Parser,
    raw: Vec<u8>,
    exit: Option<ExitStatus>,
}

impl Term {
    /// Starts `vpctop ARGS` in a `cols`×`rows` terminal, in `cwd`, with `env` added
    /// (`NO_COLOR` is removed unless `env` sets it).
    pub fn start(args: &[&str], cols: u16, rows: u16, cwd: &Path, env: &[(&str, &str)]) -> Term {
        let spawning = super::SPAWNING.lock().unwrap_or_else(|e| e.into_inner());
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pseudo-terminal");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_vpctop"));
        cmd.args(args);
        cmd.cwd(cwd);
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("NO_COLOR");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).expect("start vpctop");
        // Only the child holds the terminal's other end: closing ours hangs it up.
        drop(pair.slave);
        drop(spawning);
        let master = pair.master;
        let fd = master.as_raw_fd().expect("the terminal's descriptor");
        set_nonblocking(fd);
        let reader = master.try_clone_reader().expect("terminal reader");
        let writer = master.take_writer().expect("terminal writer");
        Term {
            master: Some(master),
            reader: Some(reader),
            writer: Some(writer),
            child,
            parser: vt100::Parser::new(nonzero(rows), nonzero(cols), 0),
            raw: Vec::new(),
            exit: None,
        }
    }

    /// vpctop's process id.
    pub fn pid(&self) -> u32 {
        self.child.process_id().expect("vpctop's pid")
    }

    /// Reads whatever the program wrote so far into the emulated screen.
    fn pump(&mut self) {
        let Some(reader) = self.reader.as_mut() else {
            return;
        };
        let mut buf = [0u8; 64 * 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    self.parser.process(&buf[..n]);
                    self.raw.extend_from_slice(&buf[..n]);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                // WouldBlock: nothing more for now; EIO: the program closed the terminal.
                Err(_) => return,
            }
        }
    }

    /// The screen as text, one line per row.
    pub fn screen(&mut self) -> String {
        self.pump();
        self.parser.screen().contents()
    }

    /// Every byte the program wrote so far, escape sequences included (what was drawn and
    /// later erased is still here).
    pub fn raw(&mut self) -> String {
        self.pump();
        String::from_utf8_lossy(&self.raw).into_owned()
    }

    /// The emulator's view of the terminal (modes, cursor, cells).
    pub fn vt(&mut self) -> &vt100::Screen {
        self.pump();
        self.parser.screen()
    }

    /// Types `bytes` as a user would (`\r` is Enter, `\x1b` Esc, `\t` Tab).
    pub fn keys(&mut self, bytes: &str) {
        let w = self.writer.as_mut().expect("the terminal is open");
        w.write_all(bytes.as_bytes())
            .expect("type into the terminal");
        w.flush().expect("flush the terminal");
    }

    /// Waits until the screen satisfies `ok` (at most [`WAIT`]); returns it. Fails with the
    /// screen, or with the exit status when vpctop ended first.
    pub fn wait_for(&mut self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            if let Some(status) = self.try_exit() {
                panic!(
                    "vpctop exited ({status:?}) while waiting for {what}; the screen was:\n{screen}"
                );
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; the screen was:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn try_exit(&mut self) -> Option<ExitStatus> {
        if self.exit.is_none() {
            self.exit = self.child.try_wait().expect("poll vpctop");
        }
        self.exit.clone()
    }

    /// Waits (at most [`WAIT`]) for vpctop to exit; returns its status after reading the last
    /// of its output.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.try_exit() {
                self.pump();
                return status;
            }
            let screen = self.screen();
            assert!(
                Instant::now() < deadline,
                "vpctop did not exit; the screen was:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The terminal's line settings echo and canonical input (as `stty` would show them).
    pub fn echo_and_icanon(&self) -> (bool, bool) {
        let fd = self
            .master
            .as_ref()
            .and_then(|m| m.as_raw_fd())
            .expect("the terminal is open");
        // SAFETY: termios is plain old data, for which all-zero bytes are a valid value.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: tcgetattr writes a termios into the value we own; the descriptor is ours
        // and open. On Linux a master's termios requests act on its slave.
        let rc = unsafe { libc::tcgetattr(fd, &mut t) };
        assert_eq!(rc, 0, "tcgetattr: {}", std::io::Error::last_os_error());
        (t.c_lflag & libc::ECHO != 0, t.c_lflag & libc::ICANON != 0)
    }

    /// Asserts the terminal is as vpctop found it: main screen, cursor shown, no mouse
    /// reporting, echo and line editing on.
    pub fn assert_restored(&mut self) {
        let screen = self.screen();
        let vt = self.vt();
        assert!(
            !vt.alternate_screen(),
            "the alternate screen was left on:\n{screen}"
        );
        assert!(!vt.hide_cursor(), "the cursor was left hidden");
        assert_eq!(
            vt.mouse_protocol_mode(),
            vt100::MouseProtocolMode::None,
            "mouse reporting was left on"
        );
        assert_eq!(
            self.echo_and_icanon(),
            (true, true),
            "echo and line editing must be back on"
        );
    }

    /// Closes the terminal, as a dropped SSH connection does: vpctop gets SIGHUP.
    pub fn hang_up(&mut self) {
        self.writer = None;
        self.reader = None;
        self.master = None;
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        if self.try_exit().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn nonzero(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n).expect("a terminal has at least one row and column")
}

fn set_nonblocking(fd: RawFd) {
    // SAFETY: fcntl on a descriptor we own, with flags it returned.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        assert!(flags >= 0, "F_GETFL: {}", std::io::Error::last_os_error());
        assert_eq!(libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK), 0);
    }
}

/// Sends `signal` to `pid`.
pub fn signal(pid: u32, signal: i32) {
    // SAFETY: kill(2) has no memory effects.
    let rc = unsafe { libc::kill(pid as libc::pid_t, signal) };
    assert_eq!(rc, 0, "kill: {}", std::io::Error::last_os_error());
}
