//! The building blocks every table of the core shares: a fast hash map for untrusted keys,
//! the [`Stats`] one key accumulates, the [`Metric`] lists are ranked by, and merging two
//! maps of stats.

use std::collections::HashMap;

use serde::Serialize;

use crate::parse::Action;

/// A hash map with a fast, randomly seeded hasher (keys come from untrusted input).
pub type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Flow, byte and packet totals, with the flows split by action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Records counted.
    pub flows: u64,
    /// Sum of `bytes` (`-` counts as 0; saturates at `u64::MAX`).
    pub bytes: u64,
    /// Sum of `packets` (`-` counts as 0; saturates at `u64::MAX`).
    pub packets: u64,
    /// Records whose action is ACCEPT.
    pub accept: u64,
    /// Records whose action is REJECT.
    pub reject: u64,
}

impl Stats {
    /// Counts one record.
    #[inline]
    pub fn add(&mut self, bytes: u64, packets: u64, action: Option<Action>) {
        self.flows += 1;
        self.bytes = self.bytes.saturating_add(bytes);
        self.packets = self.packets.saturating_add(packets);
        match action {
            Some(Action::Accept) => self.accept += 1,
            Some(Action::Reject) => self.reject += 1,
            None => {}
        }
    }

    /// Adds another total into this one.
    pub fn merge(&mut self, other: &Stats) {
        self.flows += other.flows;
        self.bytes = self.bytes.saturating_add(other.bytes);
        self.packets = self.packets.saturating_add(other.packets);
        self.accept += other.accept;
        self.reject += other.reject;
    }

    /// The value of `metric`.
    pub fn metric(&self, metric: Metric) -> u64 {
        match metric {
            Metric::Bytes => self.bytes,
            Metric::Packets => self.packets,
            Metric::Flows => self.flows,
        }
    }
}

/// What a top list is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Metric {
    /// Sum of bytes.
    #[default]
    Bytes,
    /// Sum of packets.
    Packets,
    /// Number of records.
    Flows,
}

/// Adds the totals of `from` into `into`, walking the smaller of the two maps.
pub fn merge_map<K: std::hash::Hash + Eq>(
    into: &mut FastMap<K, Stats>,
    mut from: FastMap<K, Stats>,
) {
    if from.len() > into.len() {
        std::mem::swap(into, &mut from);
    }
    for (k, v) in from {
        into.entry(k).or_default().merge(&v);
    }
}
