//! AWS's published address ranges (`ip-ranges.json`): which service and region an address
//! belongs to, by longest-prefix match ([`PrefixMap`]: a hash look-up per prefix length
//! present, never a scan of the ranges).

use std::collections::hash_map::Entry;
use std::net::IpAddr;

use serde::Deserialize;

use super::Cidr;
use super::prefix::PrefixMap;

/// The file's shape, as far as vpctop reads it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RangesFile {
    prefixes: Vec<V4Prefix>,
    ipv6_prefixes: Vec<V6Prefix>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct V4Prefix {
    ip_prefix: String,
    region: String,
    service: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct V6Prefix {
    ipv6_prefix: String,
    region: String,
    service: String,
}

/// What a range says of an address: the AWS service and region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsRange {
    /// `S3`, `EC2`, `CLOUDFRONT`, … (`AMAZON` when no more specific service lists it).
    pub service: String,
    /// `us-east-1`, or `GLOBAL`.
    pub region: String,
}

/// The ranges, indexed for longest-prefix match.
#[derive(Debug, Default)]
pub struct Ranges {
    map: PrefixMap<AwsRange>,
}

impl Ranges {
    /// Reads `ip-ranges.json` text; the error says what is wrong and where.
    pub fn parse(text: &[u8]) -> Result<Ranges, (String, String)> {
        let de = &mut serde_json::Deserializer::from_slice(text);
        let file: RangesFile = serde_path_to_error::deserialize(de)
            .map_err(|e| (e.path().to_string(), e.inner().to_string()))?;
        let mut ranges = Ranges::default();
        let all = file
            .prefixes
            .into_iter()
            .enumerate()
            .map(|(i, p)| (format!("prefixes[{i}]"), p.ip_prefix, p.service, p.region))
            .chain(file.ipv6_prefixes.into_iter().enumerate().map(|(i, p)| {
                (
                    format!("ipv6_prefixes[{i}]"),
                    p.ipv6_prefix,
                    p.service,
                    p.region,
                )
            }));
        for (at, prefix, service, region) in all {
            let cidr: Cidr = prefix.parse().map_err(|m| (at, m))?;
            ranges.insert(cidr, AwsRange { service, region });
        }
        Ok(ranges)
    }

    fn insert(&mut self, cidr: Cidr, range: AwsRange) {
        match self.map.entry(cidr) {
            // The same prefix under AMAZON and a specific service: keep the specific one.
            Entry::Occupied(old) if old.get().service != "AMAZON" && range.service == "AMAZON" => {}
            Entry::Occupied(mut old) => {
                old.insert(range);
            }
            Entry::Vacant(slot) => {
                slot.insert(range);
            }
        }
    }

    /// The most specific range holding `addr`.
    pub fn lookup(&self, addr: IpAddr) -> Option<&AwsRange> {
        self.map.lookup(addr)
    }

    /// How many distinct prefixes are loaded.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether none are.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
      "syncToken": "1700000000", "createDate": "2023-11-14-22-13-20",
      "prefixes": [
        {"ip_prefix": "52.216.0.0/15", "region": "us-east-1", "service": "AMAZON", "network_border_group": "us-east-1"},
        {"ip_prefix": "52.216.0.0/15", "region": "us-east-1", "service": "S3", "network_border_group": "us-east-1"},
        {"ip_prefix": "52.0.0.0/10", "region": "us-east-1", "service": "AMAZON", "network_border_group": "us-east-1"},
        {"ip_prefix": "52.94.76.0/22", "region": "us-west-2", "service": "DYNAMODB", "network_border_group": "us-west-2"}
      ],
      "ipv6_prefixes": [
        {"ipv6_prefix": "2600:1f18::/33", "region": "us-east-1", "service": "EC2", "network_border_group": "us-east-1"}
      ]
    }"#;

    #[test]
    fn the_longest_prefix_wins_and_a_specific_service_beats_amazon() {
        let r = Ranges::parse(SAMPLE.as_bytes()).unwrap();
        let at = |a: &str| {
            r.lookup(a.parse().unwrap())
                .map(|x| (x.service.as_str(), x.region.as_str()))
        };
        assert_eq!(at("52.217.1.9"), Some(("S3", "us-east-1")));
        assert_eq!(at("52.94.77.1"), Some(("DYNAMODB", "us-west-2")));
        assert_eq!(at("52.1.2.3"), Some(("AMAZON", "us-east-1")));
        assert_eq!(at("8.8.8.8"), None);
        assert_eq!(at("2600:1f18:aa::1"), Some(("EC2", "us-east-1")));
        assert_eq!(r.len(), 4);
    }

    #[test]
    fn a_bad_prefix_is_named_by_its_place() {
        let bad =
            r#"{"prefixes": [{"ip_prefix": "52.216.0.0/40", "region": "x", "service": "S3"}]}"#;
        let (at, why) = Ranges::parse(bad.as_bytes()).unwrap_err();
        assert_eq!(at, "prefixes[0]");
        assert!(why.contains("52.216.0.0/40"), "{why}");
    }
}
