//! Wake-ups for followed files from the operating system's file events (`notify`: inotify on
//! Linux), so a follower polls when something happened instead of on a short timer.
//!
//! Each followed file's directory is watched (not the file: a rotated file's name moves to a
//! new inode). An event on a watched name wakes that input's reader. Where a directory cannot
//! be watched (it does not exist, the watch limit is reached, a network file system), that
//! input gets no wake-ups and its reader falls back to polling; the caller reports which.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use notify::{RecommendedWatcher, RecursiveMode, Watcher};

/// Keeps the watches alive; dropping it stops the wake-ups.
pub struct Wakeups {
    _watcher: Option<RecommendedWatcher>,
}

/// `(directory, file name)` of a path, the directory made absolute and canonical.
fn key(path: &Path) -> Option<(PathBuf, OsString)> {
    let name = path.file_name()?.to_os_string();
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Some((dir.canonicalize().ok()?, name))
}

impl Wakeups {
    /// Watches the directories of `files` (input index, path). Returns, per input, the
    /// receiver its reader waits on, or `None` where it must poll.
    pub fn new(files: &[(usize, PathBuf)]) -> (Wakeups, HashMap<usize, Receiver<()>>) {
        let mut senders: HashMap<(PathBuf, OsString), Vec<SyncSender<()>>> = HashMap::new();
        let mut receivers = HashMap::new();
        let mut dirs = Vec::new();
        for (input, path) in files {
            let Some(k) = key(path) else { continue };
            let (tx, rx) = sync_channel(1);
            if !dirs.contains(&k.0) {
                dirs.push(k.0.clone());
            }
            senders.entry(k).or_default().push(tx);
            receivers.insert(*input, rx);
        }
        if senders.is_empty() {
            return (Wakeups { _watcher: None }, HashMap::new());
        }
        let handler = move |event: notify::Result<notify::Event>| {
            let Ok(event) = event else { return };
            for path in &event.paths {
                let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
                    continue;
                };
                let k = (dir.to_path_buf(), name.to_os_string());
                for tx in senders.get(&k).into_iter().flatten() {
                    // A full channel already holds a wake-up: nothing is lost.
                    let _ = tx.try_send(());
                }
            }
        };
        let Ok(mut watcher) = notify::recommended_watcher(handler) else {
            return (Wakeups { _watcher: None }, HashMap::new());
        };
        let mut unwatched = Vec::new();
        for dir in &dirs {
            if watcher.watch(dir, RecursiveMode::NonRecursive).is_err() {
                unwatched.push(dir.clone());
            }
        }
        // Inputs whose directory could not be watched poll instead.
        receivers.retain(|input, _| {
            files
                .iter()
                .find(|(i, _)| i == input)
                .and_then(|(_, p)| key(p))
                .is_some_and(|(dir, _)| !unwatched.contains(&dir))
        });
        (
            Wakeups {
                _watcher: Some(watcher),
            },
            receivers,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn an_append_wakes_the_file_and_only_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.log");
        let b = dir.path().join("b.log");
        std::fs::write(&a, b"x\n").unwrap();
        std::fs::write(&b, b"x\n").unwrap();
        let missing_dir = dir.path().join("no/such/dir/c.log");
        let (_w, rx) = Wakeups::new(&[(0, a.clone()), (1, b.clone()), (2, missing_dir)]);
        assert!(rx.contains_key(&0) && rx.contains_key(&1));
        assert!(!rx.contains_key(&2), "an unwatchable directory polls");
        // Drain anything the setup itself caused.
        while rx[&0].try_recv().is_ok() {}
        while rx[&1].try_recv().is_ok() {}
        std::fs::OpenOptions::new()
            .append(true)
            .open(&a)
            .and_then(|mut f| std::io::Write::write_all(&mut f, b"more\n"))
            .unwrap();
        rx[&0]
            .recv_timeout(Duration::from_secs(10))
            .expect("a wake-up for a.log");
        assert!(rx[&1].try_recv().is_err(), "b.log was not touched");
        // A file created under a watched name (rotation) wakes it too.
        std::fs::rename(&b, dir.path().join("b.log.1")).unwrap();
        rx[&1]
            .recv_timeout(Duration::from_secs(10))
            .expect("a wake-up for the rotation");
    }
}
