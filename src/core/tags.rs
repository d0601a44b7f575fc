//! Names the records give themselves: the v11 tag fields (`instance-tag`, `interface-tag`,
//! `asg-tag` and their `-2` twins), kept per interface and, where `flow-direction` says which
//! end is the interface's own, per address, so a log in a tagged format names its talkers
//! without an inventory.

use std::net::IpAddr;

use super::FastMap;
use crate::parse::Record;
use crate::schema::Field;

/// At most this many interfaces and addresses are named (the first seen keep their names).
const MAX_NAMES: usize = 1 << 16;

/// The tag fields, most telling first: an instance's tag names a host better than its
/// interface's or its auto-scaling group's.
const TAG_FIELDS: [Field; 6] = [
    Field::InstanceTag,
    Field::InterfaceTag,
    Field::AsgTag,
    Field::InstanceTag2,
    Field::InterfaceTag2,
    Field::AsgTag2,
];

/// Tag names by interface id and by address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagNames {
    by_interface: FastMap<String, String>,
    by_address: FastMap<IpAddr, String>,
}

impl TagNames {
    /// Takes the name `rec` gives its interface, if its format has a tag field and the record
    /// a value in one.
    #[inline]
    pub fn add(&mut self, rec: &Record<'_>) {
        let Some(tag) = TAG_FIELDS
            .iter()
            .filter_map(|f| rec.text_of(*f))
            .find(|t| !t.is_empty() && *t != b"-")
        else {
            return;
        };
        let tag = || String::from_utf8_lossy(tag).into_owned();
        if let Some(eni) = rec.text_of(Field::InterfaceId)
            && self.by_interface.len() < MAX_NAMES
            && let Ok(eni) = std::str::from_utf8(eni)
            && !self.by_interface.contains_key(eni)
        {
            self.by_interface.insert(eni.to_string(), tag());
        }
        let own = match rec.text_of(Field::FlowDirection) {
            Some(b"ingress") => rec.addr(Field::DstAddr),
            Some(b"egress") => rec.addr(Field::SrcAddr),
            _ => None,
        };
        if let Some(addr) = own
            && self.by_address.len() < MAX_NAMES
        {
            self.by_address.entry(addr).or_insert_with(tag);
        }
    }

    /// Adds `other`'s names where `self` has none.
    pub fn merge(&mut self, other: TagNames) {
        for (k, v) in other.by_interface {
            if self.by_interface.len() < MAX_NAMES {
                self.by_interface.entry(k).or_insert(v);
            }
        }
        for (k, v) in other.by_address {
            if self.by_address.len() < MAX_NAMES {
                self.by_address.entry(k).or_insert(v);
            }
        }
    }

    /// The tag of interface `eni-…`.
    pub fn interface(&self, id: &str) -> Option<&str> {
        self.by_interface.get(id).map(String::as_str)
    }

    /// The tag of the interface whose own address `addr` is.
    pub fn address(&self, addr: IpAddr) -> Option<&str> {
        self.by_address.get(&addr).map(String::as_str)
    }

    /// Whether nothing is named.
    pub fn is_empty(&self) -> bool {
        self.by_interface.is_empty() && self.by_address.is_empty()
    }

    /// Only the names of `interfaces` and `addresses` (what a frame shows).
    pub fn only<'k>(
        &self,
        interfaces: impl IntoIterator<Item = &'k str>,
        addresses: impl IntoIterator<Item = IpAddr>,
    ) -> TagNames {
        let mut out = TagNames::default();
        if self.is_empty() {
            return out;
        }
        for i in interfaces {
            if let Some(t) = self.by_interface.get(i) {
                out.by_interface.insert(i.to_string(), t.clone());
            }
        }
        for a in addresses {
            if let Some(t) = self.by_address.get(&a) {
                out.by_address.insert(a, t.clone());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Line, LineParser};
    use crate::schema::Schema;

    const FORMAT: &str = "version interface-id srcaddr dstaddr srcport dstport protocol packets \
        bytes start end action log-status flow-direction instance-tag interface-tag";

    fn names(lines: &[&str]) -> TagNames {
        let schema = Schema::parse_format(FORMAT).unwrap();
        let mut p = LineParser::new();
        let mut t = TagNames::default();
        for l in lines {
            let Line::Record(r) = p.parse(&schema, l.as_bytes()) else {
                panic!("{l}")
            };
            t.add(&r);
        }
        t
    }

    #[test]
    fn the_instance_tag_names_the_interface_and_its_own_address() {
        let t = names(&[
            "11 eni-0a 10.0.1.5 8.8.8.8 40000 53 17 1 80 100 160 ACCEPT OK egress web-1 nic-a",
            "11 eni-0b 8.8.8.8 10.0.2.9 53 40001 17 1 80 100 160 ACCEPT OK ingress - db-nic",
            "11 eni-0c 10.0.3.1 10.0.3.2 1 2 6 1 80 100 160 ACCEPT OK - - -",
        ]);
        assert_eq!(t.interface("eni-0a"), Some("web-1"));
        assert_eq!(t.address("10.0.1.5".parse().unwrap()), Some("web-1"));
        // No instance tag: the interface's own.
        assert_eq!(t.interface("eni-0b"), Some("db-nic"));
        assert_eq!(t.address("10.0.2.9".parse().unwrap()), Some("db-nic"));
        // The far ends and untagged records are named by nothing.
        assert_eq!(t.address("8.8.8.8".parse().unwrap()), None);
        assert_eq!(t.interface("eni-0c"), None);
        let only = t.only(["eni-0a"], []);
        assert_eq!(only.interface("eni-0a"), Some("web-1"));
        assert_eq!(only.interface("eni-0b"), None);
    }

    #[test]
    fn merging_keeps_the_first_name() {
        let mut a = names(&["11 eni-0a 10.0.1.5 8.8.8.8 1 2 6 1 1 1 2 ACCEPT OK egress one -"]);
        let b = names(&[
            "11 eni-0a 10.0.1.5 8.8.8.8 1 2 6 1 1 1 2 ACCEPT OK egress two -",
            "11 eni-0z 10.0.1.6 8.8.8.8 1 2 6 1 1 1 2 ACCEPT OK egress zed -",
        ]);
        a.merge(b);
        assert_eq!(a.interface("eni-0a"), Some("one"));
        assert_eq!(a.interface("eni-0z"), Some("zed"));
    }
}
