//! Totals per destination port: one dense slot per port (65,536 × 40 bytes, more than a
//! core's L2 cache), so updates are deferred behind a prefetch like the pair table's (see
//! [`lookahead`](super::lookahead)). Call [`PortTable::settle`] before reading.

use super::lookahead::{Deferred, prefetch};
use super::table::Stats;
use crate::parse::Action;

/// One deferred update.
#[derive(Debug, Clone, Copy, Default)]
struct Update {
    port: u16,
    bytes: u64,
    packets: u64,
    action: Option<Action>,
}

/// Totals per destination port; see the module documentation.
#[derive(Debug, Clone)]
pub struct PortTable {
    slots: Vec<Stats>,
    pending: Deferred<Update>,
}

impl Default for PortTable {
    fn default() -> Self {
        PortTable {
            slots: vec![Stats::default(); 1 << 16],
            pending: Deferred::default(),
        }
    }
}

impl PortTable {
    /// Counts one record to `port` (applied now or within a few records).
    #[inline]
    pub fn add(&mut self, port: u16, bytes: u64, packets: u64, action: Option<Action>) {
        prefetch(&self.slots[usize::from(port)]);
        let update = Update {
            port,
            bytes,
            packets,
            action,
        };
        if let Some(due) = self.pending.push(update) {
            self.apply(due);
        }
    }

    #[inline]
    fn apply(&mut self, u: Update) {
        self.slots[usize::from(u.port)].add(u.bytes, u.packets, u.action);
    }

    /// Applies every pending update; reads after this see every record added.
    pub fn settle(&mut self) {
        for due in self.pending.drain() {
            self.apply(due);
        }
    }

    /// Adds everything `other` counted.
    pub fn merge(&mut self, mut other: PortTable) {
        self.settle();
        other.settle();
        for (mine, theirs) in self.slots.iter_mut().zip(&other.slots) {
            mine.merge(theirs);
        }
    }

    /// The totals of every port, indexed by port (after [`settle`](Self::settle)).
    pub fn slots(&self) -> &[Stats] {
        debug_assert!(self.pending.is_empty(), "read before settle()");
        &self.slots
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deferred_updates_equal_immediate_counting() {
        let mut table = PortTable::default();
        let mut naive = vec![(0u64, 0u64, 0u64); 1 << 16];
        for i in 0..1000u64 {
            let port = (i * 7919 % 65_536) as u16 % 300;
            let action = if i % 3 == 0 {
                Some(Action::Reject)
            } else {
                Some(Action::Accept)
            };
            table.add(port, i, 2, action);
            let n = &mut naive[usize::from(port)];
            n.0 += 1;
            n.1 += i;
            n.2 += u64::from(i % 3 == 0);
        }
        let mut other = table.clone();
        table.settle();
        for (port, s) in table.slots().iter().enumerate() {
            assert_eq!((s.flows, s.bytes, s.reject), naive[port], "port {port}");
        }
        // Merging an unsettled table doubles every count.
        other.add(22, 5, 1, None);
        table.merge(other);
        let ssh = table.slots()[22];
        assert_eq!(ssh.flows, 2 * naive[22].0 + 1);
        assert_eq!(ssh.bytes, 2 * naive[22].1 + 5);
    }
}
