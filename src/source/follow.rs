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

/// Where to start reading a file that already exists when following begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    /// From its first byte (like `tail -n +1 -F`).
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

    /// Reads everything available now (at most `max` bytes) onto the end of `out`.
    pub fn poll(&mut self, out: &mut Vec<u8>, max: usize) -> Poll {
        let mut poll = Poll::default();
        if self.file.is_none() && !self.open(&mut poll) {
            return poll;
        }
        // At most a few file switches per poll: a name rotating faster than that is read on
        // the next poll.
        for _ in 0..4 {
            if let Err(e) = self.drain(out, max, &mut poll) {
                poll.events.push(FollowEvent::Error(e.to_string()));
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
                        poll.events.push(FollowEvent::Missing);
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
                        // The old file was read to its end above; switch to the new one.
                        poll.events.push(FollowEvent::Rotated);
                        self.file = None;
                        if !self.open(&mut poll) {
                            return poll;
                        }
                        continue;
                    }
                    if meta.len() < self.offset {
                        poll.events.push(FollowEvent::Truncated);
                        if let Some(f) = self.file.as_mut()
                            && let Err(e) = f.seek(SeekFrom::Start(0))
                        {
                            poll.events.push(FollowEvent::Error(e.to_string()));
                            return poll;
                        }
                        self.offset = 0;
                        continue;
                    }
                    return poll;
                }
            }
        }
        poll
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
                    poll.events.push(FollowEvent::Error(e.to_string()));
                    return false;
                }
                self.identity = identity(&meta);
                self.file = Some(file);
                self.opened_once = true;
                self.missing_reported = false;
                poll.events.push(FollowEvent::Opened);
                true
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // A file that appears later is read from its start.
                self.opened_once = true;
                if !self.missing_reported {
                    poll.events.push(FollowEvent::Missing);
                    self.missing_reported = true;
                }
                false
            }
            Err(e) => {
                poll.events.push(FollowEvent::Error(e.to_string()));
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
        Ok(())
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
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(0)
            .unwrap();
        append(&path, b"new\n");
        let (data, events) = poll(&mut f);
        assert_eq!(data, b"new\n");
        assert_eq!(events, vec![FollowEvent::Truncated]);
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
        let mut f = Follower::new(&path, StartAt::Beginning);
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
}
