//! What each input is doing right now, written by its reader and read by the merger when it
//! builds a snapshot: lock-free (an atomic per input for the state, an `ArcSwap` for the
//! reason of an error).

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use arc_swap::ArcSwapOption;
use serde::Serialize;

/// The state of one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceState {
    /// Not opened yet.
    Pending,
    /// Being read (a file read once, or a followed file catching up).
    Reading,
    /// Read to its end; waiting for more.
    Following,
    /// The name was rotated or the file truncated; reading goes on from the new start.
    Rotated,
    /// The followed file does not exist (yet, or any more).
    Waiting,
    /// Read to its end; nothing more will come.
    Done,
    /// Reading failed (see the reason).
    Error,
}

impl SourceState {
    const ALL: [SourceState; 7] = [
        SourceState::Pending,
        SourceState::Reading,
        SourceState::Following,
        SourceState::Rotated,
        SourceState::Waiting,
        SourceState::Done,
        SourceState::Error,
    ];

    fn code(self) -> u8 {
        SourceState::ALL
            .iter()
            .position(|s| *s == self)
            .unwrap_or(0) as u8
    }

    fn from_code(code: u8) -> SourceState {
        SourceState::ALL
            .get(usize::from(code))
            .copied()
            .unwrap_or(SourceState::Pending)
    }
}

/// How new data is noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mechanism {
    /// Read once to the end.
    Read,
    /// Checked every poll interval.
    Polling,
    /// Woken by the operating system's file events (inotify), with a slow poll as a net.
    Notify,
    /// A stream read as data arrives (stdin).
    Stream,
}

impl Mechanism {
    const ALL: [Mechanism; 4] = [
        Mechanism::Read,
        Mechanism::Polling,
        Mechanism::Notify,
        Mechanism::Stream,
    ];
}

/// The states of every input of a run.
#[derive(Debug)]
pub struct SourceBoard {
    states: Box<[AtomicU8]>,
    errors: Box<[ArcSwapOption<String>]>,
    mechanisms: Box<[AtomicU8]>,
    /// Bumped whenever a state or an error actually changes, so a reader can tell "something
    /// changed" without comparing every input.
    changes: AtomicU64,
}

impl SourceBoard {
    /// A board for inputs noticed by `mechanisms[i]`, all pending.
    pub fn new(mechanisms: Vec<Mechanism>) -> Arc<SourceBoard> {
        let n = mechanisms.len();
        Arc::new(SourceBoard {
            states: (0..n).map(|_| AtomicU8::new(0)).collect(),
            errors: (0..n).map(|_| ArcSwapOption::empty()).collect(),
            mechanisms: mechanisms
                .into_iter()
                .map(|m| {
                    AtomicU8::new(Mechanism::ALL.iter().position(|x| *x == m).unwrap_or(0) as u8)
                })
                .collect(),
            changes: AtomicU64::new(0),
        })
    }

    /// How many times a state or an error has changed so far.
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::Relaxed)
    }

    /// Records the state of input `i` (an error's reason with [`error`](Self::error)).
    pub fn set(&self, i: usize, state: SourceState) {
        if let Some(s) = self.states.get(i)
            && s.swap(state.code(), Ordering::Relaxed) != state.code()
        {
            self.changes.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records how input `i` notices new data (it can change when a watch fails).
    pub fn set_mechanism(&self, i: usize, m: Mechanism) {
        if let Some(slot) = self.mechanisms.get(i) {
            let code = Mechanism::ALL.iter().position(|x| *x == m).unwrap_or(0);
            slot.store(code as u8, Ordering::Relaxed);
        }
    }

    /// Records that input `i` failed, and why.
    pub fn error(&self, i: usize, reason: String) {
        if let Some(e) = self.errors.get(i) {
            e.store(Some(Arc::new(reason)));
            self.changes.fetch_add(1, Ordering::Relaxed);
        }
        self.set(i, SourceState::Error);
    }

    /// The state, mechanism and error reason of input `i`.
    pub fn get(&self, i: usize) -> (SourceState, Mechanism, Option<String>) {
        let state = self.states.get(i).map_or(SourceState::Pending, |s| {
            SourceState::from_code(s.load(Ordering::Relaxed))
        });
        let mechanism = self
            .mechanisms
            .get(i)
            .and_then(|m| Mechanism::ALL.get(usize::from(m.load(Ordering::Relaxed))))
            .copied()
            .unwrap_or(Mechanism::Read);
        let reason = self
            .errors
            .get(i)
            .and_then(|e| e.load_full())
            .map(|r| r.as_ref().clone());
        (state, mechanism, reason)
    }

    /// How many inputs the board tracks.
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// Whether it tracks none.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }
}

/// An input's failure as a person reads it, escaped for the terminal: the reason alone when
/// it names the input already (most do), else `NAME: reason`. `shown_name` is how the input
/// is named where there is little room (a file name instead of its path).
pub fn failure_text(name: &str, shown_name: &str, reason: &str) -> String {
    let reason = crate::sanitize::escape(reason.as_bytes());
    if reason.contains(&crate::sanitize::escape(name.as_bytes())) {
        reason
    } else {
        format!(
            "{}: {reason}",
            crate::sanitize::escape(shown_name.as_bytes())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_and_errors_keep_their_reason() {
        let board = SourceBoard::new(vec![Mechanism::Polling, Mechanism::Stream]);
        assert_eq!(board.get(0).0, SourceState::Pending);
        for s in SourceState::ALL {
            board.set(1, s);
            assert_eq!(board.get(1).0, s);
        }
        board.error(0, "permission denied".into());
        assert_eq!(
            board.get(0),
            (
                SourceState::Error,
                Mechanism::Polling,
                Some("permission denied".to_string())
            )
        );
        assert_eq!(
            board.get(7).0,
            SourceState::Pending,
            "out of range reads as pending"
        );
    }

    #[test]
    fn the_change_count_moves_only_when_something_changes() {
        let b = SourceBoard::new(vec![Mechanism::Polling; 2]);
        let start = b.changes();
        b.set(0, SourceState::Reading);
        b.set(0, SourceState::Reading);
        assert_eq!(
            b.changes(),
            start + 1,
            "setting the same state again is no change"
        );
        b.error(1, "gone".into());
        assert!(b.changes() > start + 1);
    }
}
