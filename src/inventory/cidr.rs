//! An address block (`10.0.0.0/16`, `2600:1f18::/40`) and whether it holds an address.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// An IPv4 or IPv6 block: its first address and prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    addr: IpAddr,
    len: u8,
}

impl Cidr {
    /// The block of `len` leading bits of `addr` (the rest cleared).
    pub fn new(addr: IpAddr, len: u8) -> Option<Cidr> {
        let max = if addr.is_ipv4() { 32 } else { 128 };
        (len <= max).then(|| Cidr {
            addr: mask(addr, len),
            len,
        })
    }

    /// Whether `ip` lies in the block (never across families).
    pub fn contains(&self, ip: IpAddr) -> bool {
        ip.is_ipv4() == self.addr.is_ipv4() && mask(ip, self.len) == self.addr
    }

    /// The block's first address.
    pub fn first(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length.
    pub fn prefix_len(&self) -> u8 {
        self.len
    }

    /// Whether the block is every address of its family (`0.0.0.0/0`, `::/0`).
    pub fn is_everything(&self) -> bool {
        self.len == 0
    }
}

fn mask(ip: IpAddr, len: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let m = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            IpAddr::V4((bits & m).into())
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let m = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            IpAddr::V6((bits & m).into())
        }
    }
}

impl FromStr for Cidr {
    type Err = String;

    /// `a.b.c.d/n` or `v6/n`; a bare address is its own block.
    fn from_str(s: &str) -> Result<Cidr, String> {
        let bad = || format!("{s:?} is not an address block (a.b.c.d/n)");
        let (addr, len) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s, None),
        };
        let addr: IpAddr = addr.trim().parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = match len {
            Some(l) => l.trim().parse::<u8>().map_err(|_| bad())?,
            None => max,
        };
        Cidr::new(addr, len).ok_or_else(bad)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_hold_their_addresses_and_no_others() {
        let c: Cidr = "10.0.3.0/24".parse().unwrap();
        assert!(c.contains("10.0.3.255".parse().unwrap()));
        assert!(!c.contains("10.0.4.0".parse().unwrap()));
        assert!(
            !c.contains("::ffff:10.0.3.1".parse().unwrap()),
            "families never mix"
        );
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("203.0.113.9".parse().unwrap()) && all.is_everything());
        let v6: Cidr = "2600:1f18:abcd::/48".parse().unwrap();
        assert!(v6.contains("2600:1f18:abcd:1::9".parse().unwrap()));
        assert!(!v6.contains("2600:1f18:abce::1".parse().unwrap()));
        assert_eq!(
            "10.0.3.7/24".parse::<Cidr>().unwrap().to_string(),
            "10.0.3.0/24"
        );
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("banana/8".parse::<Cidr>().is_err());
    }
}
