//! Typed filter values: addresses and CIDRs, port ranges, protocols, sizes, durations.
//! Each parser returns `None` for text that is not its kind; the caller words the error.

use std::net::IpAddr;

/// An address block: `10.0.0.0/8`, `2001:db8::/32`, or one address (`/32`, `/128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `ADDR` or `ADDR/LEN` (host bits after the prefix are ignored).
    pub fn parse(text: &str) -> Option<Cidr> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let network: IpAddr = addr.parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
            Some(_) => return None,
            None => max,
        };
        (prefix <= max).then_some(Cidr { network, prefix })
    }

    /// The block holding just `addr`.
    pub fn host(addr: IpAddr) -> Cidr {
        let prefix = if addr.is_ipv4() { 32 } else { 128 };
        Cidr {
            network: addr,
            prefix,
        }
    }

    /// The address, when the block is exactly one address (`/32`, `/128`).
    pub fn single(&self) -> Option<IpAddr> {
        let max = if self.network.is_ipv4() { 32 } else { 128 };
        (self.prefix == max).then_some(self.network)
    }

    /// Whether `addr` lies in the block (an IPv4 address never lies in an IPv6 block).
    pub fn contains(&self, addr: IpAddr) -> bool {
        match (self.network, addr) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                n.to_bits() & mask == a.to_bits() & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                n.to_bits() & mask == a.to_bits() & mask
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for Cidr {
    /// The block as `NETWORK/LEN`, host bits cleared (`10.1.2.3/8` → `10.0.0.0/8`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let network = match self.network {
            IpAddr::V4(n) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V4(std::net::Ipv4Addr::from_bits(n.to_bits() & mask))
            }
            IpAddr::V6(n) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V6(std::net::Ipv6Addr::from_bits(n.to_bits() & mask))
            }
        };
        write!(f, "{network}/{}", self.prefix)
    }
}

/// An inclusive range of unsigned values (`22`, `1024-65535`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// Lowest value included.
    pub lo: u64,
    /// Highest value included.
    pub hi: u64,
}

impl Range {
    /// Whether `v` is in the range.
    pub fn contains(&self, v: u64) -> bool {
        self.lo <= v && v <= self.hi
    }
}

/// `22` or `1024-65535` (each end at most 65535, low end first).
pub fn port_range(text: &str) -> Option<Range> {
    let port = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
            .filter(|p| *p <= 65535)
    };
    match text.split_once('-') {
        Some((lo, hi)) => {
            let (lo, hi) = (port(lo)?, port(hi)?);
            (lo <= hi).then_some(Range { lo, hi })
        }
        None => port(text).map(|p| Range { lo: p, hi: p }),
    }
}

/// A protocol name (`tcp`, `udp`, `icmp`, `icmpv6`, …, any case) or number 0–255.
pub fn protocol(text: &str) -> Option<u8> {
    if let Ok(n) = text.parse::<u8>() {
        return Some(n);
    }
    (0..=255u8)
        .find(|n| crate::names::protocol(*n).is_some_and(|name| name.eq_ignore_ascii_case(text)))
}

/// A byte count: `1500`, `10k`, `5M`, `2G`, `1.5T` (SI: ×1000) or `64Ki`, `5Mi`, `2Gi` (×1024);
/// an optional trailing `B` (`10kB`, `5MiB`) is accepted.
pub fn size(text: &str) -> Option<u64> {
    let t = text
        .strip_suffix(['B', 'b'])
        .filter(|t| !t.is_empty())
        .unwrap_or(text);
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let scale: u64 = match unit {
        "" => 1,
        "k" | "K" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        _ => return None,
    };
    scaled(number, scale)
}

/// A duration in seconds: `90`, `30s`, `5m`, `1h`, `2d`, or sums such as `1h30m`.
pub fn duration(text: &str) -> Option<u64> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok();
    }
    let mut total: u64 = 0;
    let mut rest = text;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let split = rest.find(|c: char| !c.is_ascii_digit())?;
        let (number, tail) = rest.split_at(split);
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(tail.len());
        let (unit, next) = tail.split_at(unit_len);
        let scale = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return None,
        };
        if number.is_empty() {
            return None;
        }
        total = total.checked_add(number.parse::<u64>().ok()?.checked_mul(scale)?)?;
        rest = next;
    }
    Some(total)
}

/// `number × scale`, where `number` may have a fractional part (`1.5` × 1000 = 1500).
fn scaled(number: &str, scale: u64) -> Option<u64> {
    if number.is_empty() || number.starts_with('.') || number.ends_with('.') {
        return None;
    }
    match number.split_once('.') {
        None => number.parse::<u64>().ok()?.checked_mul(scale),
        Some((int, frac)) => {
            if frac.contains('.') || frac.len() > 9 {
                return None;
            }
            let whole = int.parse::<u64>().ok()?.checked_mul(scale)?;
            let digits = frac.parse::<u64>().ok()?;
            let part = u128::from(digits) * u128::from(scale) / 10u128.pow(frac.len() as u32);
            whole.checked_add(u64::try_from(part).ok()?)
        }
    }
}

/// A point in time, in Unix seconds: Unix seconds (`1700000000`); RFC 3339 or close to it
/// (`2023-11-14T22:15:00Z`, `2023-11-14 22:15`, `2023-11-14T22:15:00.5+01:00`; no zone means
/// UTC); a date (`2023-11-14`, midnight UTC); `now`; a time before now (`-2h`, `now-90m`,
/// `-1d`); or a time of day (`11:30`, `11:30:15`, UTC) on the day of `day_of`.
pub fn time(text: &str, now: u64, day_of: u64) -> Option<u64> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse().ok();
    }
    let lower = t.to_ascii_lowercase();
    if lower == "now" {
        return Some(now);
    }
    if let Some(ago) = lower
        .strip_prefix("now-")
        .or_else(|| lower.strip_prefix('-'))
    {
        return now.checked_sub(duration(ago)?);
    }
    if let Some(secs) = time_of_day(t) {
        return Some(day_of - day_of % 86_400 + secs);
    }
    // Ten bytes of date, if they end on a character (else it is no date).
    let (date, rest) = t.split_at_checked(10).unwrap_or((t, ""));
    let days = date_days(date)?;
    let rest = rest.strip_prefix(['T', 't', ' ']).unwrap_or(rest);
    if rest.is_empty() {
        return u64::try_from(days * 86_400).ok();
    }
    // The clock, then an optional zone.
    let zone_at = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (clock, zone) = rest.split_at(zone_at);
    let clock = clock.split_once('.').map_or(clock, |(whole, frac)| {
        if frac.bytes().all(|b| b.is_ascii_digit()) {
            whole
        } else {
            "?"
        }
    });
    let secs = time_of_day(clock)?;
    let offset: i64 = match zone {
        "" | "Z" | "z" => 0,
        z => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let hm = &z[1..];
            let (h, m) = hm.split_once(':').unwrap_or((hm.get(..2)?, hm.get(2..)?));
            let (h, m): (i64, i64) = (small(h, 23)?.into(), small(m, 59)?.into());
            sign * (h * 3600 + m * 60)
        }
    };
    u64::try_from(days * 86_400 + i64::try_from(secs).ok()? - offset).ok()
}

/// `HH:MM` or `HH:MM:SS` → seconds after midnight.
fn time_of_day(text: &str) -> Option<u64> {
    let mut parts = text.split(':');
    let h = small(parts.next()?, 23)?;
    let m = small(parts.next()?, 59)?;
    let s = match parts.next() {
        Some(s) => small(s, 60)?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    Some(u64::from(h) * 3600 + u64::from(m) * 60 + u64::from(s))
}

/// `YYYY-MM-DD` → days since 1970-01-01.
fn date_days(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i64 = text[..4].parse().ok()?;
    let m = small(&text[5..7], 12).filter(|m| *m >= 1)?;
    let d = small(&text[8..10], 31).filter(|d| *d >= 1)?;
    Some(crate::units::days_from_civil(y, m, d))
}

/// Two ASCII digits (or one) no greater than `max`.
fn small(text: &str, max: u32) -> Option<u32> {
    (!text.is_empty() && text.len() <= 2 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
        .filter(|n| *n <= max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_match_both_families() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains("10.200.1.1".parse().unwrap()));
        assert!(!c.contains("11.0.0.1".parse().unwrap()));
        assert!(!c.contains("::ffff:10.0.0.1".parse().unwrap()));
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains("2001:db8:1234::1".parse().unwrap()));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert!(
            Cidr::parse("10.0.0.5")
                .unwrap()
                .contains("10.0.0.5".parse().unwrap())
        );
        for bad in [
            "10.0.0.0/33",
            "10.0.0/8",
            "10.0.0.0/",
            "10.0.0.0/x",
            "::/129",
        ] {
            assert_eq!(Cidr::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn ports_protocols_sizes_durations() {
        assert_eq!(port_range("22"), Some(Range { lo: 22, hi: 22 }));
        assert_eq!(
            port_range("1024-65535"),
            Some(Range {
                lo: 1024,
                hi: 65535
            })
        );
        assert_eq!(port_range("65536"), None);
        assert_eq!(port_range("90-80"), None);
        assert_eq!(protocol("TCP"), Some(6));
        assert_eq!(protocol("icmpv6"), Some(58));
        assert_eq!(protocol("17"), Some(17));
        assert_eq!(protocol("tcpx"), None);
        assert_eq!(size("10k"), Some(10_000));
        assert_eq!(size("5M"), Some(5_000_000));
        assert_eq!(size("2Gi"), Some(2 << 30));
        assert_eq!(size("1.5kB"), Some(1500));
        assert_eq!(size("64KiB"), Some(65_536));
        assert_eq!(size("64Kx"), None);
        assert_eq!(size("12"), Some(12));
        assert_eq!(size("abc"), None);
        assert_eq!(duration("30s"), Some(30));
        assert_eq!(duration("1h30m"), Some(5400));
        assert_eq!(duration("90"), Some(90));
        assert_eq!(duration("5x"), None);
        assert_eq!(duration("m"), None);
    }

    #[test]
    fn a_time_with_a_wide_character_where_the_date_ends_is_no_time_not_a_panic() {
        // Found by fuzzing the filter language: byte 10 fell inside a character.
        for text in [
            "////////\u{81c7}: or",
            "2023-11-1\u{e9}T00:00",
            "2023-11-14\u{e9}",
        ] {
            assert_eq!(time(text, 0, 0), None, "{text:?}");
        }
        assert!(crate::filter::Filter::parse("start>////////\u{81c7}").is_err());
    }

    #[test]
    fn times_in_every_spelling() {
        let now = 1_700_000_000; // 2023-11-14 22:13:20 UTC
        let t = |s: &str| time(s, now, now);
        assert_eq!(t("1700000000"), Some(now));
        assert_eq!(t("2023-11-14T22:13:20Z"), Some(now));
        assert_eq!(t("2023-11-14T22:13:20.75Z"), Some(now));
        assert_eq!(t("2023-11-14 22:13:20"), Some(now));
        assert_eq!(t("2023-11-14T22:13Z"), Some(now - 20));
        assert_eq!(t("2023-11-14T23:13:20+01:00"), Some(now));
        assert_eq!(t("2023-11-14T21:13:20-0100"), Some(now));
        assert_eq!(t("2023-11-14"), Some(now - now % 86_400));
        assert_eq!(t("now"), Some(now));
        assert_eq!(t("-2h"), Some(now - 7200));
        assert_eq!(t("now-1d"), Some(now - 86_400));
        assert_eq!(t("22:13:20"), Some(now));
        assert_eq!(t("00:00"), Some(now - now % 86_400));
        for bad in [
            "",
            "2023-13-01",
            "2023-11-14T25:00Z",
            "yesterday",
            "-2x",
            "11:30:15:1",
        ] {
            assert_eq!(t(bad), None, "{bad}");
        }
    }
}
