//! An estimate of what a conversation's bytes cost in data-transfer charges, from where its
//! two ends sit: internet egress, crossing availability zones, a NAT gateway's processing,
//! and leaving the region. The prices are AWS's published us-east-1 list prices per GiB
//! (AWS bills a "GB" of 2^30 bytes), overridable by a JSON file (`--prices`).
//!
//! An estimate, said so wherever it is shown: flow logs carry no billing data, tiers and
//! discounts are ignored, and a flow logged on both of its interfaces counts on each (AWS
//! charges crossing zones in each direction, which is what two such records add up to).

use std::net::IpAddr;
use std::path::Path;

use serde::Deserialize;

use super::{Inventory, InventoryError, Place, is_public};

/// USD per GiB for each kind of charge.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Prices {
    /// Out of AWS to the internet (first 10 TB a month tier).
    pub internet_egress: f64,
    /// Between availability zones, charged on each side (each logged record pays once).
    pub cross_az: f64,
    /// Processed by a NAT gateway.
    pub nat_gateway: f64,
    /// To another region (a VPC peered across regions, or an AWS service's range elsewhere).
    pub inter_region: f64,
}

impl Prices {
    /// AWS's list prices for us-east-1 (USD per GiB).
    pub const LIST: Prices = Prices {
        internet_egress: 0.09,
        cross_az: 0.01,
        nat_gateway: 0.045,
        inter_region: 0.02,
    };
}

impl Default for Prices {
    /// [`Prices::LIST`].
    fn default() -> Prices {
        Prices::LIST
    }
}

/// Bytes in a GiB, the unit AWS prices data transfer in.
pub const GIB: f64 = (1u64 << 30) as f64;

impl Prices {
    /// Reads a price table (`{"internet_egress": 0.05, …}`; keys left out keep their
    /// defaults); an error names the file and the JSON path.
    pub fn load(path: &Path) -> Result<Prices, InventoryError> {
        let text = std::fs::read(path).map_err(|source| InventoryError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let de = &mut serde_json::Deserializer::from_slice(&text);
        let prices: Prices =
            serde_path_to_error::deserialize(de).map_err(|e| InventoryError::Json {
                path: path.to_path_buf(),
                at: super::json_path(&e.path().to_string()),
                message: crate::sanitize::escape(e.inner().to_string().as_bytes()),
            })?;
        let all = [
            prices.internet_egress,
            prices.cross_az,
            prices.nat_gateway,
            prices.inter_region,
        ];
        if let Some(bad) = all.iter().find(|p| !p.is_finite() || **p < 0.0) {
            return Err(InventoryError::Value {
                path: path.to_path_buf(),
                at: ".".to_string(),
                message: format!("a price must be a number of USD per GiB, not {bad}"),
            });
        }
        Ok(prices)
    }

    /// USD per GiB for bytes sent from `src` to `dst`: without an inventory only internet
    /// egress (a private source to a public destination) is known.
    pub fn per_gib(&self, inventory: Option<&Inventory>, src: IpAddr, dst: IpAddr) -> f64 {
        let Some(inv) = inventory else {
            return if !is_public(src) && is_public(dst) {
                self.internet_egress
            } else {
                0.0
            };
        };
        self.per_gib_at(inv, (&inv.place(src), src), (&inv.place(dst), dst))
    }

    /// [`per_gib`](Self::per_gib) with both ends already placed.
    pub fn per_gib_at(
        &self,
        inv: &Inventory,
        (ps, src): (&Place<'_>, IpAddr),
        (pd, dst): (&Place<'_>, IpAddr),
    ) -> f64 {
        let nat = [ps, pd].iter().any(|p| {
            p.interface
                .is_some_and(|i| i.kind.as_deref() == Some("nat_gateway"))
        });
        let mut price = if nat { self.nat_gateway } else { 0.0 };
        let sent_out = ps.in_account() || !is_public(src);
        if !pd.in_account() && is_public(dst) {
            if !sent_out {
                return price;
            }
            price += match inv.aws_range(dst) {
                Some(r) if ps.region().is_some_and(|home| home != r.region) => self.inter_region,
                Some(_) => 0.0,
                None => self.internet_egress,
            };
            return price;
        }
        if ps.in_account() && pd.in_account() {
            match (ps.region(), pd.region()) {
                (Some(a), Some(b)) if a != b => price += self.inter_region,
                _ => {
                    if let (Some(a), Some(b)) = (ps.az(), pd.az())
                        && a != b
                    {
                        price += self.cross_az;
                    }
                }
            }
        }
        price
    }

    /// The estimated cost in USD of `bytes` sent from `src` to `dst`.
    pub fn cost(&self, inventory: Option<&Inventory>, src: IpAddr, dst: IpAddr, bytes: u64) -> f64 {
        bytes as f64 / GIB * self.per_gib(inventory, src, dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::place::tests::account;

    fn ip(t: &str) -> IpAddr {
        t.parse().unwrap()
    }

    #[test]
    fn each_charge_applies_where_the_bytes_go() {
        let inv = account();
        let p = Prices::default();
        let at = |s: &str, d: &str| p.per_gib(Some(&inv), ip(s), ip(d));
        // Out to the internet; in from it is free.
        assert_eq!(at("10.0.1.10", "8.8.8.8"), 0.09);
        assert_eq!(at("8.8.8.8", "10.0.1.10"), 0.0);
        // Within one zone free, across zones charged, across regions more.
        assert_eq!(at("10.0.1.10", "10.0.1.5"), 0.0);
        assert_eq!(at("10.0.1.10", "10.0.2.20"), 0.01);
        assert_eq!(at("10.0.1.10", "10.9.0.10"), 0.02);
        // Through the NAT gateway: processing, plus egress on its way out.
        assert_eq!(at("10.0.1.10", "10.0.1.100"), 0.045);
        assert!((at("10.0.1.100", "8.8.8.8") - 0.135).abs() < 1e-12);
        // An AWS service in the region costs nothing to reach; elsewhere, inter-region.
        assert_eq!(at("10.0.1.10", "52.216.4.4"), 0.0);
        assert_eq!(at("10.9.0.10", "52.216.4.4"), 0.02);
        // Without an inventory only internet egress is known.
        assert_eq!(p.per_gib(None, ip("10.0.1.10"), ip("8.8.8.8")), 0.09);
        assert_eq!(p.per_gib(None, ip("10.0.1.10"), ip("10.0.2.20")), 0.0);
        let gib = 1u64 << 30;
        assert!((p.cost(Some(&inv), ip("10.0.1.10"), ip("8.8.8.8"), 10 * gib) - 0.9).abs() < 1e-9);
    }

    #[test]
    fn a_price_file_overrides_what_it_names_and_a_bad_one_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("prices.json");
        std::fs::write(&good, r#"{"internet_egress": 0.05}"#).unwrap();
        let p = Prices::load(&good).unwrap();
        assert_eq!(p.internet_egress, 0.05);
        assert_eq!(p.cross_az, Prices::default().cross_az);
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, r#"{"internet_egres": 0.05}"#).unwrap();
        let e = Prices::load(&bad).unwrap_err().to_string();
        assert!(
            e.contains("bad.json") && e.contains("internet_egres"),
            "{e}"
        );
        std::fs::write(&bad, r#"{"cross_az": -1}"#).unwrap();
        let e = Prices::load(&bad).unwrap_err().to_string();
        assert!(e.contains("USD per GiB"), "{e}");
    }
}
