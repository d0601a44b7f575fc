//! The lines waiting in a replay's merge, taken smallest `start` first: a ring of one bucket
//! per second of record time, so that taking and adding a line costs O(1) instead of a
//! heap's O(log n) (the heap of 4096 lines per input was a tenth of a replay's CPU).
//!
//! The ring covers [`RING`] seconds from `low`. A line that comes late (before `low`) or far
//! ahead (past the ring) waits in a small heap of its own: late ones come first, far ones
//! move into the ring as it slides on. Lines of one second come out in the order they were
//! added (each input's in line order), which is all a slice of a replay needs: a slice is
//! cut between seconds, and inside it order does not matter.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Seconds of record time the ring holds.
const RING: u64 = 4096;

/// A waiting line: its `start`, its place in the tie order, and where its text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Key {
    pub start: u64,
    /// Its input (top 24 bits) and line number (low 40 bits).
    pub order: u64,
    pub slot: u32,
}

/// Waiting lines by `start`.
pub(super) struct StartQueue {
    /// `buckets[s % RING]` holds the lines of second `s`, for `s` in `low..low + RING`.
    buckets: Vec<VecDeque<Key>>,
    low: u64,
    /// The smallest second with lines in the ring (meaningful while `in_ring > 0`).
    first: u64,
    in_ring: usize,
    /// Lines before `low`: they came late, and go first.
    early: BinaryHeap<Reverse<Key>>,
    /// Lines at `low + RING` and after.
    far: BinaryHeap<Reverse<Key>>,
}

impl StartQueue {
    pub fn new() -> StartQueue {
        StartQueue {
            buckets: (0..RING).map(|_| VecDeque::new()).collect(),
            low: 0,
            first: 0,
            in_ring: 0,
            early: BinaryHeap::new(),
            far: BinaryHeap::new(),
        }
    }

    fn bucket(&mut self, start: u64) -> &mut VecDeque<Key> {
        &mut self.buckets[(start % RING) as usize]
    }

    /// Adds a waiting line.
    pub fn push(&mut self, key: Key) {
        if self.in_ring == 0 && self.early.is_empty() && self.far.is_empty() {
            // Empty: the ring starts where the line is.
            self.low = key.start;
            self.first = key.start;
        }
        if key.start < self.low {
            self.early.push(Reverse(key));
        } else if key.start - self.low < RING {
            if self.in_ring == 0 || key.start < self.first {
                self.first = key.start;
            }
            self.bucket(key.start).push_back(key);
            self.in_ring += 1;
        } else {
            self.far.push(Reverse(key));
        }
    }

    /// The line that comes next, without taking it.
    pub fn peek(&self) -> Option<Key> {
        if let Some(Reverse(k)) = self.early.peek() {
            return Some(*k);
        }
        if self.in_ring > 0 {
            return self.buckets[(self.first % RING) as usize].front().copied();
        }
        self.far.peek().map(|Reverse(k)| *k)
    }

    /// Takes the line that comes next.
    pub fn pop(&mut self) -> Option<Key> {
        if let Some(Reverse(k)) = self.early.pop() {
            return Some(k);
        }
        if self.in_ring == 0 {
            // Only far lines: the ring moves to them.
            let Reverse(next) = *self.far.peek()?;
            self.low = next.start;
            self.first = next.start;
            self.pull_far();
        }
        let first = self.first;
        let key = self.bucket(first).pop_front()?;
        self.in_ring -= 1;
        if self.in_ring > 0 {
            while self.bucket(self.first).is_empty() {
                self.first += 1;
            }
        }
        // The ring slides up to the second now first, letting far lines in.
        if self.in_ring > 0 && self.first > self.low {
            self.low = self.first;
            self.pull_far();
        }
        Some(key)
    }

    /// Moves far lines that now fall in the ring into it.
    fn pull_far(&mut self) {
        while let Some(Reverse(k)) = self.far.peek().copied() {
            if k.start - self.low >= RING {
                break;
            }
            self.far.pop();
            if self.in_ring == 0 || k.start < self.first {
                self.first = k.start;
            }
            self.bucket(k.start).push_back(k);
            self.in_ring += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_come_out_by_start_however_far_apart_or_late() {
        // A sliding window like the merge's: add a few, take one, add more.
        let mut seed = 0x51_7cc1_b727_220a_u64;
        let mut next = move |m: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % m
        };
        for round in 0..50 {
            let mut q = StartQueue::new();
            let mut waiting: Vec<u64> = Vec::new();
            let mut taken = Vec::new();
            let base = 1_700_000_000 + next(1000);
            for i in 0..3000u64 {
                // Mostly near the front, sometimes far ahead or far back.
                let start = match next(20) {
                    0 => base + next(50_000),
                    1 => base.saturating_sub(next(5000)),
                    _ => base + i / 3 + next(30) * (round % 3),
                };
                q.push(Key {
                    start,
                    order: i,
                    slot: i as u32,
                });
                waiting.push(start);
                if i % 2 == 1 {
                    let k = q.pop().expect("a line waits");
                    // What comes out is the least start waiting.
                    let least = *waiting.iter().min().expect("waiting");
                    assert_eq!(k.start, least, "round {round}, line {i}");
                    let at = waiting.iter().position(|s| *s == least).expect("least");
                    waiting.swap_remove(at);
                    taken.push(k.slot);
                }
            }
            while let Some(k) = q.pop() {
                let least = *waiting.iter().min().expect("waiting");
                assert_eq!(k.start, least);
                let at = waiting.iter().position(|s| *s == least).expect("least");
                waiting.swap_remove(at);
                taken.push(k.slot);
            }
            assert!(waiting.is_empty());
            taken.sort_unstable();
            assert_eq!(taken, (0..3000).collect::<Vec<u32>>(), "every line once");
        }
    }

    #[test]
    fn peek_is_what_pop_takes() {
        let mut q = StartQueue::new();
        for (i, s) in [50u64, 10, 9000, 10, 4, 100_000].into_iter().enumerate() {
            q.push(Key {
                start: s,
                order: i as u64,
                slot: i as u32,
            });
        }
        let mut out = Vec::new();
        while let Some(p) = q.peek() {
            assert_eq!(q.pop(), Some(p));
            out.push((p.start, p.slot));
        }
        assert_eq!(
            out,
            [(4, 4), (10, 1), (10, 3), (50, 0), (9000, 2), (100_000, 5)]
        );
    }
}
