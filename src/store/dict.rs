//! A segment's dictionary: text values (interface and account ids, text fields beyond the
//! v2 core) stored once, each named in its column by a small id.

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
