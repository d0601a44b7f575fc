//! Wake-ups for followed files from the operating system's file events (`notify`: inotify on
//! Linux), so a follower polls when something happened instead of on a short timer.
//!
//! Each followed file's directory is watched (not the file: a rotated file's name moves to a
//! new inode). An event on a watched name wakes that input's reader. Where a directory cannot
//! be watched (it does not exist, the watch limit is reached, a network file system), that
//! input gets no wake-ups and its reader falls back to polling; the caller reports which.
//!
//! [`discover`] watches whole directories the same way and names each file that appears in
//! them, once, so that the caller can give it a reader.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Duration;

use super::status::{SourceBoard, SourceState};
use super::{FileSelector, InputRegistry, InputSpec};

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

/// The directories a followed run watches for new files, and how.
#[derive(Debug, Clone, Copy)]
pub struct DirWatch<'a> {
    /// The directories (watched recursively).
    pub dirs: &'a [PathBuf],
    /// Which files in them are read.
    pub select: &'a FileSelector,
    /// The run's input names: a found file is added to it.
    pub registry: &'a InputRegistry,
    /// Where a found file's state is shown.
    pub board: Option<&'a SourceBoard>,
    /// How often to look when no event wakes the watch (or when polling is forced).
    pub poll: Duration,
    /// Poll even where file events work (`--poll`).
    pub force_polling: bool,
}

/// Until `cancel` is set, finds files that appear in the watched directories (woken by
/// `notify`, or every poll where it cannot watch) and calls `found` once for each with its
/// index in the registry and its path. `inputs` are known already; so is a followed file
/// renamed away by rotation. A `.gz` file is found once its size has stayed the same across
/// two looks (complete).
pub fn discover(
    watch: DirWatch<'_>,
    inputs: &[InputSpec],
    cancel: &AtomicBool,
    mut found: impl FnMut(usize, PathBuf),
) {
    let mut known: HashSet<PathBuf> = inputs
        .iter()
        .filter_map(|s| match s {
            InputSpec::File(p) => Some(p.clone()),
            InputSpec::Stdin | InputSpec::Remote(_) => None,
        })
        .collect();
    let mut growing_gz: HashMap<PathBuf, u64> = HashMap::new();
    let (wake_tx, wake) = sync_channel::<()>(1);
    let watcher = notify::recommended_watcher(move |_: notify::Result<notify::Event>| {
        let _ = wake_tx.try_send(());
    })
    .ok()
    .filter(|_| !watch.force_polling)
    .and_then(|mut w| {
        let all = watch
            .dirs
            .iter()
            .all(|d| w.watch(d, RecursiveMode::Recursive).is_ok());
        all.then_some(w)
    });
    while !cancel.load(Ordering::Relaxed) {
        for dir in watch.dirs {
            for path in super::list_dir(dir, watch.select) {
                if known.contains(&path) {
                    continue;
                }
                // A followed file renamed away by rotation (current.log -> current.log.1) is
                // found under its new name: it has been read already.
                if super::follow::file_identity(&path)
                    .is_some_and(|id| watch.registry.was_followed(id))
                {
                    known.insert(path);
                    continue;
                }
                if path.extension().is_some_and(|e| e == "gz") {
                    let size = std::fs::metadata(&path).map_or(0, |m| m.len());
                    match growing_gz.insert(path.clone(), size) {
                        Some(before) if before == size && size > 0 => {}
                        _ => continue,
                    }
                }
                known.insert(path.clone());
                let index = watch.registry.add(path.display().to_string());
                if let Some(b) = watch.board {
                    b.set(index, SourceState::Reading);
                }
                found(index, path);
            }
        }
        match &watcher {
            Some(_) => {
                let _ = wake.recv_timeout(watch.poll * 4);
            }
            None => std::thread::sleep(watch.poll),
        }
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
