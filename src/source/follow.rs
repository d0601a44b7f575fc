//! Following one file by name, like `tail -F`: read what it holds, then what is appended,
//! across rename rotation, copy-truncate, plain truncation, deletion and re-creation, and a
//! file that does not exist yet.
//!
//! The follower is polled: each [`Follower::poll`] reads whatever is available now and says
//! what happened to the file. It never blocks and never sleeps; the caller decides when to
//! poll (on a `notify` event or a timer). It hands out bytes, not lines: holding a half-written
//! line until its newline arrives is the framer's job.
//!
//! Identity is the (device, inode) pair on Unix, so a rotated file is told apart from its
//! successor even when both have the same size. Elsewhere only truncation by size is seen.

use std::fs::{File, Metadata};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;

use super::status::{SourceBoard, SourceState};
use std::time::{Duration, Instant};

/// Where to start reading a file that already exists when following begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartAt {
    /// From its first byte (like `tail -n +1 -F`).
    #[default]
    Beginning,
    /// From its current end (like `tail -n 0 -F`). Files that appear later are read whole.
    End,
}

/// Something that happened to the followed file during a poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowEvent {
    /// The file was opened (at the start, or when it first appeared).
    Opened,
    /// The file does not exist (yet, or any more); following goes on.
    Missing,
    /// The file shrank below what had been read: reading restarted at its beginning.
    Truncated,
    /// The name now points at a new file: the old one was read to its end first.
    Rotated,
    /// Reading failed; the follower tries again on the next poll.
    Error(String),
}

/// What one poll read and saw.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Poll {
    /// Bytes appended to the caller's buffer.
    pub bytes: usize,
    /// Events, in the order they happened.
    pub events: Vec<FollowEvent>,
    /// For each event, how many of this poll's bytes had been appended when it happened (so
    /// a reader knows where one file's bytes end and the next one's begin).
    pub event_at: Vec<usize>,
}

impl Poll {
    fn push(&mut self, event: FollowEvent) {
        self.events.push(event);
        self.event_at.push(self.bytes);
    }
}

/// One followed path.
#[derive(Debug)]
pub struct Follower {
    path: PathBuf,
    file: Option<File>,
    identity: Option<(u64, u64)>,
    offset: u64,
    start: StartAt,
    opened_once: bool,
    missing_reported: bool,
    /// The last bytes read (up to [`TAIL_CHECK`]): if they are no longer where they were, the
    /// file was truncated and written again past the old size between two polls.
    tail: Vec<u8>,
    /// How long a file whose name now points elsewhere is still read while it ends mid-line.
    rotation_grace: Duration,
    /// When the name was first seen pointing at a new file while the old one ended mid-line.
    rotation_seen: Option<Instant>,
}

/// How many of the last bytes read are checked for a truncate-and-rewrite.
const TAIL_CHECK: usize = 64;

/// The (device, inode) of the file at `path`, where the platform has them.
pub fn file_identity(path: &std::path::Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().as_ref().and_then(identity)
}

#[cfg(unix)]
fn identity(meta: &Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn identity(_meta: &Metadata) -> Option<(u64, u64)> {
    None
}

impl Follower {
    /// Follows `path`, which need not exist yet.
    pub fn new(path: impl Into<PathBuf>, start: StartAt) -> Follower {
        Follower {
            path: path.into(),
            file: None,
            identity: None,
            offset: 0,
            start,
            opened_once: false,
            missing_reported: false,
            tail: Vec::new(),
            rotation_grace: FollowTiming::default().settle,
            rotation_seen: None,
        }
    }

    /// Sets how long a rotated-away file that ends mid-line is still read for the rest of
    /// that line (a writer that has not reopened yet may still be writing it).
    pub fn with_rotation_grace(mut self, grace: Duration) -> Self {
        self.rotation_grace = grace;
        self
    }

    /// Whether the last byte read from the current file ends a line (or nothing was read).
    fn at_line_end(&self) -> bool {
        self.tail.last().is_none_or(|b| *b == b'\n')
    }

    /// Whether the bytes before the read position are still the ones read there: a file cut
    /// by copy-truncate and written again past its old size keeps its size, not its bytes.
    fn rewritten(&self) -> bool {
        self.changed_before(self.offset, &self.tail)
    }

    /// Whether the bytes of the open file that end at `offset` are no longer `tail`.
    fn changed_before(&self, offset: u64, tail: &[u8]) -> bool {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileExt;
            let Some(file) = self.file.as_ref() else {
                return false;
            };
            if tail.is_empty() {
                return false;
            }
            let at = offset - tail.len() as u64;
            let mut now = vec![0u8; tail.len()];
            match file.read_exact_at(&mut now, at) {
                Ok(()) => now != tail,
                Err(_) => true, // shorter than before: truncated
            }
        }
        #[cfg(not(unix))]
        {
            let _ = (offset, tail);
            false
        }
    }

    /// [`Follower::drain`], checked: a file cut and written again between the check at the
    /// start of the poll and this read would be read from the old position, its first bytes
    /// lost without a trace. So after reading, the bytes before where the read began must
    /// still be the ones read there; if not, what was read is dropped and the file is read
    /// again from its start.
    fn drain_checked(&mut self, out: &mut Vec<u8>, max: usize, poll: &mut Poll) -> io::Result<()> {
        let (from, kept, tail) = (self.offset, out.len(), self.tail.clone());
        let before = poll.bytes;
        self.drain(out, max, poll)?;
        if poll.bytes > before && self.changed_before(from, &tail) {
            out.truncate(kept);
            poll.bytes = before;
            poll.push(FollowEvent::Truncated);
            self.restart_at_zero(poll);
            self.drain(out, max, poll)?;
        }
        Ok(())
    }

    fn remember_tail(&mut self, out: &[u8], appended: usize) {
        let new = &out[out.len() - appended..];
        if new.len() >= TAIL_CHECK {
            self.tail.clear();
            self.tail.extend_from_slice(&new[new.len() - TAIL_CHECK..]);
        } else {
            self.tail.extend_from_slice(new);
            let excess = self.tail.len().saturating_sub(TAIL_CHECK);
            self.tail.drain(..excess);
        }
    }

    /// The followed path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes read from the current file so far (its read position).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Whether the path was missing at the last poll (waiting for it to come back).
    pub fn waiting(&self) -> bool {
        self.missing_reported
    }

    /// Reads everything available now (at most `max` bytes) onto the end of `out`.
    pub fn poll(&mut self, out: &mut Vec<u8>, max: usize) -> Poll {
        let mut poll = Poll::default();
        if self.file.is_none() && !self.open(&mut poll) {
            return poll;
        }
        if self.rewritten() {
            poll.push(FollowEvent::Truncated);
            self.restart_at_zero(&mut poll);
        }
        // At most a few file switches per poll: a name rotating faster than that is read on
        // the next poll.
        for _ in 0..4 {
            if let Err(e) = self.drain_checked(out, max, &mut poll) {
                poll.push(FollowEvent::Error(e.to_string()));
                return poll;
            }
            if poll.bytes >= max {
                return poll;
            }
            match std::fs::metadata(&self.path) {
                Err(_) => {
                    // Deleted or renamed away: keep the handle (a writer may still append to
                    // it) and wait for the name to come back.
                    if !self.missing_reported {
                        poll.push(FollowEvent::Missing);
                        self.missing_reported = true;
                    }
                    return poll;
                }
                Ok(meta) => {
                    self.missing_reported = false;
                    let same = match (identity(&meta), self.identity) {
                        (Some(a), Some(b)) => a == b,
                        _ => true,
                    };
                    if !same {
                        // The old file was read to its end above. If that end is mid-line,
                        // its writer may not have reopened yet: keep reading the old file
                        // until the line ends or the grace time passes, so a line is never
                        // cut in two by where the rotation happened to fall.
                        if !self.at_line_end() {
                            let seen = *self.rotation_seen.get_or_insert_with(Instant::now);
                            if seen.elapsed() < self.rotation_grace {
                                return poll;
                            }
                        }
                        self.rotation_seen = None;
                        poll.push(FollowEvent::Rotated);
                        self.file = None;
                        if !self.open(&mut poll) {
                            return poll;
                        }
                        continue;
                    }
                    if meta.len() < self.offset {
                        poll.push(FollowEvent::Truncated);
                        self.restart_at_zero(&mut poll);
                        continue;
                    }
                    return poll;
                }
            }
        }
        poll
    }

    fn restart_at_zero(&mut self, poll: &mut Poll) {
        if let Some(f) = self.file.as_mut()
            && let Err(e) = f.seek(SeekFrom::Start(0))
        {
            poll.push(FollowEvent::Error(e.to_string()));
        }
        self.offset = 0;
        self.tail.clear();
    }

    /// Opens the path; false (with the event recorded) when it is not there.
    fn open(&mut self, poll: &mut Poll) -> bool {
        let opened = File::open(&self.path).and_then(|f| {
            let meta = f.metadata()?;
            Ok((f, meta))
        });
        match opened {
            Ok((mut file, meta)) => {
                let from_end = self.start == StartAt::End && !self.opened_once;
                self.offset = if from_end { meta.len() } else { 0 };
                if from_end && let Err(e) = file.seek(SeekFrom::Start(self.offset)) {
                    poll.push(FollowEvent::Error(e.to_string()));
                    return false;
                }
                self.identity = identity(&meta);
                self.file = Some(file);
                self.tail.clear();
                self.opened_once = true;
                self.missing_reported = false;
                poll.push(FollowEvent::Opened);
                true
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // A file that appears later is read from its start.
                self.opened_once = true;
                if !self.missing_reported {
                    poll.push(FollowEvent::Missing);
                    self.missing_reported = true;
                }
                false
            }
            Err(e) => {
                poll.push(FollowEvent::Error(e.to_string()));
                false
            }
        }
    }

    /// Reads the open file to its current end (or until `max` bytes were read this poll).
    fn drain(&mut self, out: &mut Vec<u8>, max: usize, poll: &mut Poll) -> io::Result<()> {
        let Some(file) = self.file.as_mut() else {
            return Ok(());
        };
        let want = max.saturating_sub(poll.bytes) as u64;
        let n = file.take(want).read_to_end(out)?;
        self.offset += n as u64;
        poll.bytes += n;
        self.remember_tail(out, n);
        Ok(())
    }
}

/// How a followed file is read as a stream of bytes.
#[derive(Debug, Clone, Copy)]
pub struct FollowTiming {
    /// How long to wait between polls when nothing new is there.
    pub poll: Duration,
    /// How long a file renamed away by rotation is still read when it ends mid-line, for the
    /// rest of that line. An unterminated last line is otherwise never completed by time: it
    /// waits for its newline, a rotation or truncation, or the end of following, however
    /// long a writer pauses mid-line.
    pub settle: Duration,
}

impl Default for FollowTiming {
    fn default() -> Self {
        FollowTiming {
            poll: Duration::from_millis(250),
            settle: Duration::from_secs(5),
        }
    }
}

/// A followed file as a blocking [`Read`]: each read returns what is there now, waiting (in
/// poll-interval steps) until something is, and ends only when `stop` is set.
///
/// Where one file ends and the next begins (rotation, truncation), a `\n` is added if the bytes
/// so far did not end with one: the old file's last line ends there, rather than gluing it to
/// the next file's first. A line still unterminated is never ended by a timer (a writer may
/// pause mid-line for any time, a buffered one until its next flush); it is complete when its
/// newline arrives, or when following stops and the stream ends.
pub struct FollowReader<'s> {
    follower: Follower,
    timing: FollowTiming,
    stop: &'s AtomicBool,
    pending: Vec<u8>,
    pos: usize,
    last_byte: Option<u8>,
    board: Option<(Arc<SourceBoard>, usize)>,
    wake: Option<Receiver<()>>,
    registry: Option<Arc<super::InputRegistry>>,
}

impl<'s> FollowReader<'s> {
    /// Records on `registry` every file this reader opens, so that the directory watcher
    /// knows a rotated file under its new name.
    pub fn noting_files_in(mut self, registry: Arc<super::InputRegistry>) -> Self {
        self.registry = Some(registry);
        self
    }

    /// Says what the file is doing on `board`, as input `index`.
    pub fn reporting_to(mut self, board: Arc<SourceBoard>, index: usize) -> Self {
        self.board = Some((board, index));
        self
    }

    fn report(&self, poll: &Poll, read: bool) {
        let Some((board, i)) = &self.board else {
            return;
        };
        let error = poll.events.iter().find_map(|e| match e {
            FollowEvent::Error(reason) => Some(reason.clone()),
            _ => None,
        });
        if let Some(reason) = error {
            board.error(*i, reason);
            return;
        }
        let has = |want: &FollowEvent| poll.events.contains(want);
        let state = if has(&FollowEvent::Missing) || self.follower.waiting() {
            SourceState::Waiting
        } else if has(&FollowEvent::Rotated) || has(&FollowEvent::Truncated) {
            SourceState::Rotated
        } else if read {
            SourceState::Reading
        } else {
            SourceState::Following
        };
        board.set(*i, state);
    }

    /// Reads `follower` until `stop` is set.
    pub fn new(follower: Follower, timing: FollowTiming, stop: &'s AtomicBool) -> Self {
        FollowReader {
            follower: follower.with_rotation_grace(timing.settle),
            timing,
            stop,
            pending: Vec::new(),
            pos: 0,
            last_byte: None,
            board: None,
            wake: None,
            registry: None,
        }
    }

    /// Polls when `wake` says the file changed (and at least every `4 × poll` as a net for
    /// missed events) instead of every poll interval.
    pub fn woken_by(mut self, wake: Receiver<()>) -> Self {
        self.wake = Some(wake);
        self
    }

    /// Waits for a reason to poll again.
    fn wait(&self) {
        match &self.wake {
            Some(rx) => {
                let net = (self.timing.poll * 4).min(self.timing.settle);
                let _ = rx.recv_timeout(net.max(self.timing.poll));
            }
            None => std::thread::sleep(self.timing.poll),
        }
    }

    /// Polls once into `pending`, ending a line wherever one file gave way to the next.
    fn refill(&mut self) {
        let mut raw = Vec::new();
        let poll = self.follower.poll(&mut raw, 1 << 20);
        self.pending.clear();
        self.pos = 0;
        let mut from = 0;
        let mut last = self.last_byte;
        for (event, &at) in poll.events.iter().zip(&poll.event_at) {
            if matches!(event, FollowEvent::Rotated | FollowEvent::Truncated) {
                self.pending.extend_from_slice(&raw[from..at]);
                if let Some(&b) = raw[..at].last() {
                    last = Some(b);
                }
                if last.is_some_and(|b| b != b'\n') {
                    self.pending.push(b'\n');
                    last = Some(b'\n');
                }
                from = at;
            }
        }
        self.pending.extend_from_slice(&raw[from..]);
        if let Some(registry) = &self.registry
            && poll.events.contains(&FollowEvent::Opened)
            && let Some(id) = self.follower.identity
        {
            registry.note_followed(id);
        }
        self.report(&poll, !raw.is_empty());
    }
}

impl Read for FollowReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.pos < self.pending.len() {
                let n = buf.len().min(self.pending.len() - self.pos);
                buf[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
                self.pos += n;
                self.last_byte = Some(buf[n - 1]);
                return Ok(n);
            }
            if self.stop.load(Ordering::Relaxed) {
                return Ok(0);
            }
            self.refill();
            if self.pos < self.pending.len() {
                continue;
            }
            self.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const MAX: usize = 1 << 20;

    fn append(path: &Path, data: &[u8]) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        f.write_all(data).unwrap();
    }

    /// Cuts the file to zero in place, as copytruncate does.
    fn truncate(path: &Path) {
        std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .unwrap()
            .set_len(0)
            .unwrap();
    }

    fn poll(f: &mut Follower) -> (Vec<u8>, Vec<FollowEvent>) {
        let mut out = Vec::new();
        let p = f.poll(&mut out, MAX);
        assert_eq!(p.bytes, out.len());
        (out, p.events)
    }

    #[test]
    fn reads_what_is_there_then_what_is_appended() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flows.log");
        append(&path, b"one\ntw");
        let mut f = Follower::new(&path, StartAt::Beginning);
        assert_eq!(
            poll(&mut f),
            (b"one\ntw".to_vec(), vec![FollowEvent::Opened])
        );
        assert_eq!(poll(&mut f), (Vec::new(), vec![]));
        append(&path, b"o\nthree\n");
        assert_eq!(poll(&mut f).0, b"o\nthree\n");
    }

    #[test]
    fn from_end_skips_existing_content_but_not_files_that_appear_later() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        append(&path, b"old\n");
        let mut f = Follower::new(&path, StartAt::End);
        assert_eq!(poll(&mut f).0, b"");
        append(&path, b"new\n");
        assert_eq!(poll(&mut f).0, b"new\n");

        let later = dir.path().join("b.log");
        let mut g = Follower::new(&later, StartAt::End);
        assert_eq!(poll(&mut g), (Vec::new(), vec![FollowEvent::Missing]));
        assert_eq!(poll(&mut g), (Vec::new(), vec![]), "missing is said once");
        append(&later, b"first\n");
        assert_eq!(
            poll(&mut g),
            (b"first\n".to_vec(), vec![FollowEvent::Opened])
        );
    }

    #[test]
    fn rename_rotation_finishes_the_old_file_then_reads_the_new_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flows.log");
        append(&path, b"a1\n");
        let mut f = Follower::new(&path, StartAt::Beginning);
        assert_eq!(poll(&mut f).0, b"a1\n");
        append(&path, b"a2\n"); // written before the rotation, not yet read
        std::fs::rename(&path, dir.path().join("flows.log.1")).unwrap();
        append(&path, b"b1\n");
        let (data, events) = poll(&mut f);
        assert_eq!(data, b"a2\nb1\n");
        assert_eq!(events, vec![FollowEvent::Rotated, FollowEvent::Opened]);
    }

    #[test]
    fn truncation_restarts_at_the_beginning() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flows.log");
        append(&path, b"0123456789\n");
        let mut f = Follower::new(&path, StartAt::Beginning);
        assert_eq!(poll(&mut f).0.len(), 11);
        // copytruncate: the content is copied elsewhere, then the file is cut to zero.
        truncate(&path);
        append(&path, b"new\n");
        let (data, events) = poll(&mut f);
        assert_eq!(data, b"new\n");
        assert_eq!(events, vec![FollowEvent::Truncated]);
    }

    #[test]
    fn a_truncate_and_rewrite_past_the_old_size_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flows.log");
        append(&path, b"first generation line\n");
        let mut f = Follower::new(&path, StartAt::Beginning);
        assert_eq!(poll(&mut f).0, b"first generation line\n");
        truncate(&path);
        append(&path, b"second generation, longer than the first one\n");
        let (data, events) = poll(&mut f);
        assert_eq!(data, b"second generation, longer than the first one\n");
        assert_eq!(events, vec![FollowEvent::Truncated]);
    }

    #[test]
    fn a_cut_and_rewrite_landing_between_the_check_and_the_read_loses_nothing() {
        // The poll's check at its start sees the old file; the cut and the new lines land
        // before its read, one of them starting exactly where the old file ended. Read from
        // the old position, the new first line would vanish without a malformed trace.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flows.log");
        append(&path, b"old line one\n");
        let mut f = Follower::new(&path, StartAt::Beginning);
        assert_eq!(poll(&mut f).0, b"old line one\n");
        truncate(&path);
        append(&path, b"new line 001\nnew line two\n");
        // What `poll` does after its check passed: read, checked.
        let mut out = Vec::new();
        let mut p = Poll::default();
        f.drain_checked(&mut out, MAX, &mut p).unwrap();
        assert_eq!(out, b"new line 001\nnew line two\n");
        assert_eq!(p.bytes, out.len());
        assert_eq!(p.events, vec![FollowEvent::Truncated]);
        assert_eq!(f.offset(), out.len() as u64);
        // Without the check the same read gives the second line only.
        let mut g = Follower::new(&path, StartAt::Beginning);
        truncate(&path);
        append(&path, b"old line one\n");
        poll(&mut g);
        truncate(&path);
        append(&path, b"new line 001\nnew line two\n");
        let mut unchecked = Vec::new();
        g.drain(&mut unchecked, MAX, &mut Poll::default()).unwrap();
        assert_eq!(unchecked, b"new line two\n", "the race the check closes");
    }

    #[test]
    fn delete_and_recreate() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flows.log");
        append(&path, b"x\n");
        let mut f = Follower::new(&path, StartAt::Beginning);
        poll(&mut f);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(poll(&mut f), (Vec::new(), vec![FollowEvent::Missing]));
        append(&path, b"y\n");
        let (data, events) = poll(&mut f);
        assert_eq!(data, b"y\n");
        assert_eq!(events, vec![FollowEvent::Rotated, FollowEvent::Opened]);
    }

    #[test]
    fn a_poll_reads_at_most_max_bytes_and_the_rest_next_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.log");
        append(&path, &vec![b'z'; 1000]);
        let mut f = Follower::new(&path, StartAt::Beginning);
        let mut out = Vec::new();
        assert_eq!(f.poll(&mut out, 600).bytes, 600);
        assert_eq!(f.poll(&mut out, 600).bytes, 400);
        assert_eq!(out.len(), 1000);
        assert_eq!(f.offset(), 1000);
    }

    #[test]
    fn random_appends_and_rename_rotations_lose_and_repeat_nothing() {
        // Deterministic pseudo-random schedule: appends of random sizes (splitting lines),
        // rename rotations, and polls at random points. Everything written is read once.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flows.log");
        // Rotations fall mid-line here: switch at once, as this checks bytes, not lines.
        let mut f = Follower::new(&path, StartAt::Beginning).with_rotation_grace(Duration::ZERO);
        let mut x: u64 = 0x1234_5678;
        let mut next = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let mut written = Vec::new();
        let mut read = Vec::new();
        let mut rotations = 0;
        // The file under the name is polled at least once before it is rotated away, as with
        // a real writer whose rotation interval is far longer than the poll interval.
        let mut polled = false;
        for step in 0..2_000u32 {
            match next(10) {
                0 if polled && written.len() > 100 && path.exists() => {
                    rotations += 1;
                    polled = false;
                    std::fs::rename(&path, dir.path().join(format!("flows.log.{rotations}")))
                        .unwrap();
                }
                1..=3 => {
                    let _ = f.poll(&mut read, MAX);
                    polled = true;
                }
                _ => {
                    if !path.exists() {
                        polled = false; // a new file: the follower has not seen it yet
                    }
                    let len = next(40) as usize + 1;
                    let chunk: Vec<u8> = (0..len)
                        .map(|i| {
                            if (step as usize + i).is_multiple_of(17) {
                                b'\n'
                            } else {
                                b'a' + (i % 26) as u8
                            }
                        })
                        .collect();
                    append(&path, &chunk);
                    written.extend_from_slice(&chunk);
                }
            }
        }
        let _ = f.poll(&mut read, MAX);
        assert!(rotations > 10, "{rotations}");
        assert_eq!(read.len(), written.len());
        assert_eq!(read, written);
    }

    #[test]
    fn the_reader_ends_a_line_where_a_file_gives_way_to_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flows.log");
        append(&path, b"a1\na2-unterminated");
        let stop = AtomicBool::new(false);
        // No grace: the rotated-away file is left at once, mid-line.
        let timing = FollowTiming {
            poll: Duration::from_millis(1),
            settle: Duration::ZERO,
        };
        let mut r = FollowReader::new(Follower::new(&path, StartAt::Beginning), timing, &stop);
        let mut buf = [0u8; 64];
        let n = r.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"a1\na2-unterminated");
        std::fs::rename(&path, dir.path().join("flows.log.1")).unwrap();
        append(&path, b"b1\n");
        let n = r.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"\nb1\n");
        stop.store(true, Ordering::Relaxed);
        assert_eq!(r.read(&mut buf).unwrap(), 0, "stop ends the stream");
    }

    /// Reads `r` on a thread of its own until it has handed out `want` bytes.
    fn read_in_background(
        mut r: FollowReader<'static>,
        want: usize,
    ) -> (
        std::thread::JoinHandle<Vec<u8>>,
        Arc<std::sync::Mutex<Vec<u8>>>,
    ) {
        let got = Arc::new(std::sync::Mutex::new(Vec::new()));
        let shared = Arc::clone(&got);
        let handle = std::thread::spawn(move || {
            let mut buf = [0u8; 64];
            loop {
                let n = r.read(&mut buf).unwrap();
                let mut g = shared.lock().unwrap();
                g.extend_from_slice(&buf[..n]);
                if g.len() >= want || n == 0 {
                    return g.clone();
                }
            }
        });
        (handle, got)
    }

    #[test]
    fn a_writer_pausing_mid_line_far_past_the_settle_time_does_not_split_the_line() {
        // Regression: an unterminated line used to be ended by a timer, so a writer paused
        // mid-line (a loaded machine, a buffered writer between flushes) had its line cut in
        // two and the rest counted as a malformed line of its own.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flows.log");
        append(&path, b"one\nthe first half of a line ");
        static STOP: AtomicBool = AtomicBool::new(false);
        let timing = FollowTiming {
            poll: Duration::from_millis(1),
            settle: Duration::from_millis(5),
        };
        let r = FollowReader::new(Follower::new(&path, StartAt::Beginning), timing, &STOP);
        let whole = b"one\nthe first half of a line and its end\n";
        let (reader, got) = read_in_background(r, whole.len());
        let deadline = Instant::now() + Duration::from_secs(10);
        while got.lock().unwrap().len() < 28 {
            assert!(Instant::now() < deadline, "the first half was not read");
            std::thread::sleep(Duration::from_millis(1));
        }
        // The writer pauses for 20 settle times; the reader polls every millisecond.
        std::thread::sleep(timing.settle * 20);
        append(&path, b"and its end\n");
        assert_eq!(reader.join().unwrap(), whole);
    }

    #[test]
    fn a_file_rotated_away_mid_line_is_read_to_the_end_of_that_line_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flows.log");
        let old = dir.path().join("flows.log.1");
        append(&path, b"a1\na2 half");
        let mut f = Follower::new(&path, StartAt::Beginning).with_rotation_grace(Duration::MAX);
        assert_eq!(poll(&mut f).0, b"a1\na2 half");
        // Rotated while the writer, not yet reopened, is still in the middle of a line.
        std::fs::rename(&path, &old).unwrap();
        append(&path, b"b1\n");
        assert_eq!(
            poll(&mut f),
            (Vec::new(), vec![]),
            "waits for the line's end"
        );
        append(&old, b" and the rest\n");
        let (data, events) = poll(&mut f);
        assert_eq!(data, b" and the rest\nb1\n");
        assert_eq!(events, vec![FollowEvent::Rotated, FollowEvent::Opened]);
    }

    #[test]
    fn a_file_rotated_away_mid_line_is_left_after_the_grace_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flows.log");
        append(&path, b"a1\na2 never ended");
        let mut f = Follower::new(&path, StartAt::Beginning).with_rotation_grace(Duration::ZERO);
        assert_eq!(poll(&mut f).0, b"a1\na2 never ended");
        std::fs::rename(&path, dir.path().join("flows.log.1")).unwrap();
        append(&path, b"b1\n");
        let (data, events) = poll(&mut f);
        assert_eq!(data, b"b1\n");
        assert_eq!(events, vec![FollowEvent::Rotated, FollowEvent::Opened]);
    }
}
