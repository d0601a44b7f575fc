//! Totals per (source, destination) address pair: the largest table of a run.
//!
//! Hot path: with ~10⁵–10⁶ distinct pairs the table is bigger than the CPU caches, so a lookup
//! per record is a cache miss. IPv4 pairs (one `u64` key) live in an open-addressing table
//! whose slot for a record is prefetched when the record arrives and updated a few records
//! later (see [`lookahead`](super::lookahead)), so the misses of consecutive records overlap
//! instead of queueing. Pairs with an IPv6 side go to an ordinary map. Call
//! [`PairTable::settle`] before reading.

use std::hash::BuildHasher;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::lookahead::{Deferred, prefetch};
use super::table::{FastMap, Stats};
use crate::parse::Action;

/// One pending update: the pair, its slot hash and what to add.
#[derive(Debug, Clone, Copy, Default)]
struct Pending {
    key: u64,
    hash: u64,
    bytes: u64,
    packets: u64,
    action: Option<Action>,
}

/// An occupied slot has `stats.flows > 0`: every insertion adds a flow.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    key: u64,
    stats: Stats,
}

/// Totals per address pair; see the module documentation.
#[derive(Debug, Clone, Default)]
pub struct PairTable {
    slots: Vec<Slot>,
    used: usize,
    hasher: foldhash::fast::RandomState,
    pending: Deferred<Pending>,
    other: FastMap<WideKey, Stats>,
}

/// A pair with an IPv6 side as integers (IPv4 sides flagged in `v4`): hashed as two words
/// of 128 bits and a byte, where `(IpAddr, IpAddr)` hashed each enum's discriminant and
/// field by field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct WideKey {
    src: u128,
    dst: u128,
    /// Bit 0: the source is IPv4; bit 1: the destination is.
    v4: u8,
}

fn wide_key(src: IpAddr, dst: IpAddr) -> WideKey {
    let side = |a: IpAddr| match a {
        IpAddr::V4(a) => (u128::from(a.to_bits()), 1u8),
        IpAddr::V6(a) => (a.to_bits(), 0),
    };
    let ((src, s4), (dst, d4)) = (side(src), side(dst));
    WideKey {
        src,
        dst,
        v4: s4 | d4 << 1,
    }
}

fn wide_pair(k: WideKey) -> (IpAddr, IpAddr) {
    let side = |bits: u128, v4: bool| match v4 {
        true => IpAddr::V4(Ipv4Addr::from_bits(bits as u32)),
        false => IpAddr::V6(Ipv6Addr::from_bits(bits)),
    };
    (side(k.src, k.v4 & 1 != 0), side(k.dst, k.v4 & 2 != 0))
}

fn v4_key(src: Ipv4Addr, dst: Ipv4Addr) -> u64 {
    (u64::from(src.to_bits()) << 32) | u64::from(dst.to_bits())
}

fn v4_pair(key: u64) -> (IpAddr, IpAddr) {
    let src = Ipv4Addr::from_bits((key >> 32) as u32);
    let dst = Ipv4Addr::from_bits(key as u32);
    (IpAddr::V4(src), IpAddr::V4(dst))
}

impl PairTable {
    /// Counts one record of `src -> dst` (applied now or within a few records).
    #[inline]
    pub fn add(
        &mut self,
        src: IpAddr,
        dst: IpAddr,
        bytes: u64,
        packets: u64,
        action: Option<Action>,
    ) {
        let (IpAddr::V4(s), IpAddr::V4(d)) = (src, dst) else {
            // A look-up first: `entry` is an out-of-line call, needed only for a new pair.
            let key = wide_key(src, dst);
            match self.other.get_mut(&key) {
                Some(stats) => stats.add(bytes, packets, action),
                None => self
                    .other
                    .entry(key)
                    .or_default()
                    .add(bytes, packets, action),
            }
            return;
        };
        let key = v4_key(s, d);
        let hash = self.hasher.hash_one(key);
        if !self.slots.is_empty() {
            prefetch(&self.slots[hash as usize & (self.slots.len() - 1)]);
        }
        let update = Pending {
            key,
            hash,
            bytes,
            packets,
            action,
        };
        if let Some(due) = self.pending.push(update) {
            self.apply(due);
        }
    }

    /// Applies every pending update; reads after this see every record added.
    pub fn settle(&mut self) {
        for due in self.pending.drain() {
            self.apply(due);
        }
    }

    /// Adds everything `other` counted.
    pub fn merge(&mut self, mut other: PairTable) {
        self.settle();
        other.settle();
        if self.used == 0 && self.other.is_empty() {
            // Into an empty table (a merger's first partial): the other one as it is, instead
            // of a million inserts into a table growing as they come.
            *self = other;
            return;
        }
        for slot in other.slots.iter().filter(|s| s.stats.flows > 0) {
            let hash = self.hasher.hash_one(slot.key);
            self.slot_for(slot.key, hash).merge(&slot.stats);
        }
        if other.other.len() > self.other.len() {
            std::mem::swap(&mut self.other, &mut other.other);
        }
        for (k, v) in other.other {
            self.other.entry(k).or_default().merge(&v);
        }
    }

    /// Distinct pairs (after [`settle`](Self::settle)).
    pub fn len(&self) -> usize {
        debug_assert!(self.pending.is_empty(), "read before settle()");
        self.used + self.other.len()
    }

    /// Whether no pair was counted (after [`settle`](Self::settle)).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every pair with its totals (after [`settle`](Self::settle)), in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = ((IpAddr, IpAddr), &Stats)> + Clone {
        debug_assert!(self.pending.is_empty(), "read before settle()");
        let v4 = self
            .slots
            .iter()
            .filter(|s| s.stats.flows > 0)
            .map(|s| (v4_pair(s.key), &s.stats));
        v4.chain(self.other.iter().map(|(k, s)| (wide_pair(*k), s)))
    }

    #[inline]
    fn apply(&mut self, p: Pending) {
        self.slot_for(p.key, p.hash)
            .add(p.bytes, p.packets, p.action);
    }

    /// The totals slot of `key`, inserted empty if new (the caller adds to it at once).
    #[inline]
    fn slot_for(&mut self, key: u64, hash: u64) -> &mut Stats {
        if (self.used + 1) * 8 > self.slots.len() * 7 {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let slot = &self.slots[i];
            if slot.stats.flows == 0 {
                self.used += 1;
                self.slots[i].key = key;
                return &mut self.slots[i].stats;
            }
            if slot.key == key {
                return &mut self.slots[i].stats;
            }
            i = (i + 1) & mask;
        }
    }

    #[cold]
    fn grow(&mut self) {
        let capacity = (self.slots.len() * 2).max(1024);
        let mut fresh: Vec<Slot> = Vec::with_capacity(capacity);
        crate::os::advise_huge_pages(&mut fresh);
        fresh.resize(capacity, Slot::default());
        let old = std::mem::replace(&mut self.slots, fresh);
        let mask = capacity - 1;
        for slot in old.into_iter().filter(|s| s.stats.flows > 0) {
            let mut i = self.hasher.hash_one(slot.key) as usize & mask;
            while self.slots[i].stats.flows > 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = slot;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn deferred_updates_equal_immediate_counting() {
        let mut table = PairTable::default();
        let mut naive: HashMap<(IpAddr, IpAddr), (u64, u64)> = HashMap::new();
        let mut x: u64 = 7;
        for i in 0..50_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v4 = |bits: u64| IpAddr::from(Ipv4Addr::from_bits(bits as u32));
            // IPv6 on either side, and IPv4-mapped IPv6 addresses, which are not the IPv4
            // addresses with the same bits.
            let mapped =
                |bits: u64| IpAddr::from(Ipv4Addr::from_bits(bits as u32).to_ipv6_mapped());
            let src = match i % 89 {
                0 => mapped(x % 3),
                1 => "2001:db8::2".parse().unwrap(),
                _ => v4(x % 300),
            };
            let dst = match i % 97 {
                0 => "2001:db8::1".parse().unwrap(),
                1 => mapped((x >> 20) % 3),
                _ => v4((x >> 20) % 700),
            };
            table.add(src, dst, i, 1, Some(Action::Accept));
            let e = naive.entry((src, dst)).or_default();
            e.0 += 1;
            e.1 += i;
        }
        let mut halves = table.clone();
        table.settle();
        assert_eq!(table.len(), naive.len());
        for (k, s) in table.iter() {
            assert_eq!((s.flows, s.bytes), naive[&k], "{k:?}");
        }
        // Merging a table into an empty one (both unsettled) changes nothing.
        let mut empty = PairTable::default();
        empty.merge(std::mem::take(&mut halves));
        assert_eq!(empty.len(), naive.len());
        for (k, s) in empty.iter() {
            assert_eq!((s.flows, s.bytes), naive[&k], "{k:?}");
        }
        // The table it became takes more, into the same keys.
        empty.merge(table.clone());
        assert_eq!(empty.len(), naive.len());
        for (k, s) in empty.iter() {
            let (flows, bytes) = naive[&k];
            assert_eq!((s.flows, s.bytes), (2 * flows, 2 * bytes), "{k:?}");
        }
    }
}
