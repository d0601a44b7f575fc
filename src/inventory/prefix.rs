//! A longest-prefix-match map from address blocks to values: one hash look-up per prefix
//! length present, never a scan of the blocks. Holds AWS's ranges and the account's subnet
//! and VPC blocks.

use std::collections::HashMap;
use std::net::IpAddr;

use super::Cidr;

/// The blocks of one address family.
#[derive(Debug, Clone)]
struct Family<V> {
    /// Prefix lengths present, longest first.
    lengths: Vec<u8>,
    /// (prefix length, masked network) → value.
    map: HashMap<(u8, u128), V, foldhash::fast::RandomState>,
}

impl<V> Default for Family<V> {
    fn default() -> Self {
        Family {
            lengths: Vec::new(),
            map: HashMap::default(),
        }
    }
}

/// Values by address block, for longest-prefix match.
#[derive(Debug, Clone)]
pub struct PrefixMap<V> {
    /// IPv4, IPv6.
    families: [Family<V>; 2],
}

impl<V> Default for PrefixMap<V> {
    fn default() -> Self {
        PrefixMap {
            families: [Family::default(), Family::default()],
        }
    }
}

fn bits(addr: IpAddr) -> (usize, u128, u8) {
    match addr {
        IpAddr::V4(v4) => (0, u128::from(u32::from(v4)), 32),
        IpAddr::V6(v6) => (1, u128::from(v6), 128),
    }
}

fn masked(value: u128, width: u8, len: u8) -> u128 {
    value.checked_shr(u32::from(width - len)).unwrap_or(0)
}

impl<V> PrefixMap<V> {
    /// The value stored for exactly `cidr`, to be set or replaced.
    pub fn entry(&mut self, cidr: Cidr) -> std::collections::hash_map::Entry<'_, (u8, u128), V> {
        let (family, value, width) = bits(cidr.first());
        let len = cidr.prefix_len();
        let Family { lengths, map } = &mut self.families[family];
        if !lengths.contains(&len) {
            lengths.push(len);
            lengths.sort_unstable_by(|a, b| b.cmp(a));
        }
        map.entry((len, masked(value, width, len)))
    }

    /// Stores `value` for `cidr`, replacing what was there.
    pub fn insert(&mut self, cidr: Cidr, value: V) {
        self.entry(cidr).insert_entry(value);
    }

    /// The value of the most specific block holding `addr`.
    pub fn lookup(&self, addr: IpAddr) -> Option<&V> {
        let (family, value, width) = bits(addr);
        let Family { lengths, map } = &self.families[family];
        lengths
            .iter()
            .find_map(|&len| map.get(&(len, masked(value, width, len))))
    }

    /// How many blocks are stored.
    pub fn len(&self) -> usize {
        self.families.iter().map(|f| f.map.len()).sum()
    }

    /// Whether none are.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(t: &str) -> Cidr {
        t.parse().unwrap()
    }

    #[test]
    fn the_most_specific_block_wins_in_each_family() {
        let mut m = PrefixMap::default();
        m.insert(cidr("10.0.0.0/16"), "vpc");
        m.insert(cidr("10.0.1.0/24"), "subnet");
        m.insert(cidr("2600:1f18::/56"), "v6");
        let at = |a: &str| m.lookup(a.parse().unwrap()).copied();
        assert_eq!(at("10.0.1.7"), Some("subnet"));
        assert_eq!(at("10.0.2.7"), Some("vpc"));
        assert_eq!(at("10.1.0.1"), None);
        assert_eq!(at("2600:1f18::9"), Some("v6"));
        // An IPv4 block never holds an IPv6 address with the same leading bits.
        assert_eq!(at("::a00:107"), None);
        assert_eq!(m.len(), 3);
    }

    #[test]
    fn a_zero_length_block_holds_everything_of_its_family() {
        let mut m = PrefixMap::default();
        m.insert(cidr("0.0.0.0/0"), 1);
        assert_eq!(m.lookup("203.0.113.9".parse().unwrap()), Some(&1));
        assert_eq!(m.lookup("::1".parse().unwrap()), None);
    }

    proptest::proptest! {
        /// The map agrees with a scan of every block for the longest one holding the address.
        #[test]
        fn agrees_with_a_scan(
            blocks in proptest::collection::vec((proptest::prelude::any::<u32>(), 0u8..=32), 0..40),
            probes in proptest::collection::vec(proptest::prelude::any::<u32>(), 1..40),
        ) {
            let mut m = PrefixMap::default();
            let mut all: Vec<Cidr> = Vec::new();
            for (i, (a, len)) in blocks.iter().enumerate() {
                let c = Cidr::new(IpAddr::V4((*a).into()), *len).unwrap();
                m.insert(c, i);
                all.retain(|x| *x != c);
                all.push(c);
            }
            for p in probes {
                let addr = IpAddr::V4(p.into());
                let want = all
                    .iter()
                    .filter(|c| c.contains(addr))
                    .max_by_key(|c| c.prefix_len())
                    .map(|c| {
                        // The last value inserted for that block.
                        blocks.iter().rposition(|(a, len)| {
                            Cidr::new(IpAddr::V4((*a).into()), *len) == Some(*c)
                        })
                    });
                proptest::prop_assert_eq!(m.lookup(addr).copied(), want.flatten());
            }
        }
    }
}
