//! A segment's dictionaries: text values (interface and account ids, text fields beyond the
//! v2 core) and IPv6 addresses, each stored once and named in its column by a small id.

use std::net::Ipv6Addr;

use crate::core::aggregate::FastMap;
use crate::short_bytes::ShortBytes;

/// Text values of one segment, each stored once. The look-up index keys values of up to 24
/// bytes (interface and account ids, regions, enumerations, short numbers) as
/// [`ShortBytes`]: hashing and comparing byte strings was most of what retention added to
/// each record.
#[derive(Debug, Clone, Default)]
pub(super) struct Dict {
    /// Every value, by id.
    pub(super) values: Vec<Box<[u8]>>,
    short: FastMap<ShortBytes, u32>,
    index: FastMap<Box<[u8]>, u32>,
}

impl Dict {
    /// The id of `v`, added when new.
    pub(super) fn id(&mut self, v: &[u8]) -> u32 {
        let key = ShortBytes::of(v);
        let found = match &key {
            Some(k) => self.short.get(k),
            None => self.index.get(v),
        };
        if let Some(id) = found {
            return *id;
        }
        let id = self.values.len() as u32;
        self.values.push(v.into());
        match key {
            Some(k) => self.short.insert(k, id),
            None => self.index.insert(v.into(), id),
        };
        id
    }

    /// Memory held: each value once (plus its pointer), and the lookup index while the
    /// segment is being built.
    pub(super) fn bytes(&self) -> usize {
        let values: usize = self.values.iter().map(|v| v.len() + 16).sum();
        let short = self.short.len() * (std::mem::size_of::<ShortBytes>() + 4 + 1);
        let index: usize = self.index.keys().map(|k| k.len() + 16 + 4 + 1).sum();
        values + short + index
    }

    /// Drops the lookup index: a sealed segment only reads values by id.
    pub(super) fn seal(&mut self) {
        self.short = FastMap::default();
        self.index = FastMap::default();
        self.values.shrink_to_fit();
    }
}

/// IPv6 addresses of one segment's address column(s), each stored once.
#[derive(Debug, Clone, Default)]
pub(super) struct V6Table {
    addrs: Vec<Ipv6Addr>,
    index: FastMap<u128, u32>,
}

impl V6Table {
    /// The id of `addr`, added when new.
    pub(super) fn id(&mut self, addr: Ipv6Addr) -> u32 {
        let next = self.addrs.len() as u32;
        let id = *self.index.entry(addr.to_bits()).or_insert(next);
        if id == next {
            self.addrs.push(addr);
        }
        id
    }

    /// Address `id`, if there is one.
    pub(super) fn get(&self, id: u32) -> Option<Ipv6Addr> {
        self.addrs.get(id as usize).copied()
    }

    /// Memory held: each address once, and the look-up index while the segment is built.
    pub(super) fn bytes(&self) -> usize {
        self.addrs.len() * 16 + self.index.len() * 21
    }

    /// Drops the look-up index: a sealed segment only reads addresses by id.
    pub(super) fn seal(&mut self) {
        self.index = FastMap::default();
        self.addrs.shrink_to_fit();
    }
}
