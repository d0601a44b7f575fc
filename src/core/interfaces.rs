//! Totals per interface id. Ids are short (`eni-` and 17 hex digits): those of up to 24 bytes
//! are keyed as [`ShortBytes`], hashed and compared as integers (as byte strings the look-up
//! cost ~5 % of `report`'s time). Other ids go to an ordinary map.

use super::table::{FastMap, Stats, merge_map};
use crate::parse::Action;
use crate::short_bytes::ShortBytes;

/// An id as [`InterfaceTable::iter`] lists it.
#[derive(Debug, Clone, Copy)]
pub enum InterfaceId<'a> {
    /// Kept as words.
    Short(ShortBytes),
    /// Kept as written.
    Long(&'a [u8]),
}

impl InterfaceId<'_> {
    /// The id as written (lossy UTF-8), appended to `out`.
    pub fn write_to(&self, out: &mut String) {
        match self {
            InterfaceId::Short(id) => out.push_str(&String::from_utf8_lossy(&id.bytes())),
            InterfaceId::Long(bytes) => out.push_str(&String::from_utf8_lossy(bytes)),
        }
    }
}

/// Totals per interface id; see the module documentation.
#[derive(Debug, Clone, Default)]
pub struct InterfaceTable {
    short: FastMap<ShortBytes, Stats>,
    long: FastMap<Box<[u8]>, Stats>,
}

impl InterfaceTable {
    /// Counts one record of interface `id`.
    #[inline]
    pub fn add(&mut self, id: &[u8], bytes: u64, packets: u64, action: Option<Action>) {
        // A look-up first: `entry` is an out-of-line call, needed only for a new id.
        match ShortBytes::of(id) {
            Some(short) => match self.short.get_mut(&short) {
                Some(stats) => stats.add(bytes, packets, action),
                None => self
                    .short
                    .entry(short)
                    .or_default()
                    .add(bytes, packets, action),
            },
            None => match self.long.get_mut(id) {
                Some(stats) => stats.add(bytes, packets, action),
                None => self
                    .long
                    .entry(id.into())
                    .or_default()
                    .add(bytes, packets, action),
            },
        }
    }

    /// Adds everything `other` counted.
    pub fn merge(&mut self, other: InterfaceTable) {
        merge_map(&mut self.short, other.short);
        merge_map(&mut self.long, other.long);
    }

    /// The totals of interface `id`, if it was counted.
    pub fn get(&self, id: &[u8]) -> Option<&Stats> {
        match ShortBytes::of(id) {
            Some(short) => self.short.get(&short),
            None => self.long.get(id),
        }
    }

    /// Distinct ids counted.
    pub fn len(&self) -> usize {
        self.short.len() + self.long.len()
    }

    /// Whether no id was counted.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every id with its totals, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (InterfaceId<'_>, &Stats)> + Clone {
        let short = self
            .short
            .iter()
            .map(|(id, s)| (InterfaceId::Short(*id), s));
        let long = self.long.iter().map(|(id, s)| (InterfaceId::Long(id), s));
        short.chain(long)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn ids_of_every_length_count_apart_and_read_back_as_written() {
        let mut ids: Vec<Vec<u8>> = (0..=30)
            .map(|n| (0..n).map(|i| b'a' + i as u8).collect())
            .collect();
        ids.extend([
            b"eni-0123456789abcdef0".to_vec(),
            b"eni-1\0".to_vec(),
            b"eni-1\0\0\0\0\0\0\0\0\0".to_vec(),
            vec![b'x'; 200],
            "eni-\u{e9}".as_bytes().to_vec(),
        ]);
        let mut table = InterfaceTable::default();
        let mut naive: HashMap<Vec<u8>, (u64, u64)> = HashMap::new();
        for round in 0..3u64 {
            for (i, id) in ids.iter().enumerate() {
                let bytes = round * 100 + i as u64;
                table.add(id, bytes, 1, Some(Action::Accept));
                let e = naive.entry(id.clone()).or_default();
                e.0 += 1;
                e.1 += bytes;
            }
        }
        let mut other = InterfaceTable::default();
        other.add(b"eni-0123456789abcdef0", 7, 1, None);
        other.add(&[b'x'; 200], 8, 1, None);
        table.merge(other);
        for (id, add) in [(&b"eni-0123456789abcdef0"[..], 7), (&[b'x'; 200][..], 8)] {
            let e = naive.get_mut(id).expect("counted");
            e.0 += 1;
            e.1 += add;
        }
        assert_eq!(table.len(), ids.len());
        let mut seen = 0;
        for (id, stats) in table.iter() {
            let raw = match id {
                InterfaceId::Short(short) => short.bytes(),
                InterfaceId::Long(bytes) => bytes.to_vec(),
            };
            assert_eq!((stats.flows, stats.bytes), naive[&raw], "{raw:?}");
            let mut text = String::new();
            id.write_to(&mut text);
            assert_eq!(text, String::from_utf8_lossy(&raw));
            seen += 1;
        }
        assert_eq!(seen, ids.len());
    }
}
