//! The evidence alert detections read, counted per record-time bucket: ports a source was
//! refused on at one host, refused logins to one service, VPC Block Public Access refusals,
//! and NODATA/SKIPDATA records per interface. Counts are exact and merge in any order, so
//! any split of the records among workers gives the same alerts.
//!
//! Only refused flows, log gaps and BPA records are counted (a few per cent of a log), so
//! keeping the evidence costs little beside the rest of the aggregate.

use std::net::IpAddr;

use super::FastMap;
use crate::parse::{Action, Flow, LogStatus};

/// Record seconds per bucket (by `end`).
pub const BUCKET_SECS: u64 = 60;

/// Distinct refused ports kept per source and host and bucket: enough to tell a scan (the
/// smallest ports are kept, so a merge keeps the same ones whatever the order).
pub const MAX_PORTS: usize = 512;

/// Ports whose refused connections count as login attempts (SSH, RDP, databases, …).
pub const LOGIN_PORTS: [u16; 9] = [22, 23, 3389, 5900, 1433, 1521, 3306, 5432, 27017];

/// The bucket of record time `end`.
pub fn bucket_of(end: u64) -> u64 {
    end / BUCKET_SECS
}

/// A conversation's ends and service port.
pub type Service = (IpAddr, IpAddr, u16);

/// Per-bucket evidence (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signals {
    /// (bucket, source, destination) → the refused destination ports, sorted, at most
    /// [`MAX_PORTS`].
    pub refused_ports: FastMap<(u64, IpAddr, IpAddr), Vec<u16>>,
    /// (bucket, source, destination, login port) → refused flows.
    pub refused_logins: FastMap<(u64, Service), u64>,
    /// (bucket, source, destination, port) → flows refused by VPC Block Public Access.
    pub bpa: FastMap<(u64, Service), u64>,
    /// (bucket, interface) → NODATA and SKIPDATA records.
    pub gaps: FastMap<(u64, String), u64>,
}

impl Signals {
    /// Counts one record's evidence; `rejected_by_bpa` when its `reject-reason` is `BPA`.
    #[inline]
    pub fn add(&mut self, f: &Flow<'_>, rejected_by_bpa: bool) {
        let Some(end) = f.end else { return };
        let b = bucket_of(end);
        match f.status {
            Some(LogStatus::NoData | LogStatus::SkipData) => {
                if let Some(eni) = f.interface {
                    let eni = String::from_utf8_lossy(eni).into_owned();
                    *self.gaps.entry((b, eni)).or_default() += 1;
                }
                return;
            }
            Some(LogStatus::Ok) => {}
            None => return,
        }
        if f.action != Some(Action::Reject) {
            return;
        }
        let (Some(src), Some(dst), Some(port)) = (f.src, f.dst, f.dstport) else {
            return;
        };
        if rejected_by_bpa {
            *self.bpa.entry((b, (src, dst, port))).or_default() += 1;
            return;
        }
        // A refused reply (from a service port to a client's ephemeral one, as a stateless
        // ACL refuses them) is no probe of the client's ports.
        let reply = f.srcport.is_some_and(|p| p < 1024) && port >= 1024;
        if reply {
            return;
        }
        let ports = self.refused_ports.entry((b, src, dst)).or_default();
        if let Err(at) = ports.binary_search(&port)
            && (ports.len() < MAX_PORTS || at < ports.len())
        {
            ports.insert(at, port);
            ports.truncate(MAX_PORTS);
        }
        if LOGIN_PORTS.contains(&port) {
            *self
                .refused_logins
                .entry((b, (src, dst, port)))
                .or_default() += 1;
        }
    }

    /// Adds everything `other` counted.
    pub fn merge(&mut self, other: Signals) {
        for (k, ports) in other.refused_ports {
            let mine = self.refused_ports.entry(k).or_default();
            mine.extend(ports);
            mine.sort_unstable();
            mine.dedup();
            mine.truncate(MAX_PORTS);
        }
        for (k, n) in other.refused_logins {
            *self.refused_logins.entry(k).or_default() += n;
        }
        for (k, n) in other.bpa {
            *self.bpa.entry(k).or_default() += n;
        }
        for (k, n) in other.gaps {
            *self.gaps.entry(k).or_default() += n;
        }
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.refused_ports.is_empty()
            && self.refused_logins.is_empty()
            && self.bpa.is_empty()
            && self.gaps.is_empty()
    }
}
