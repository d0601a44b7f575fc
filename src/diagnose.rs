//! What a set of REJECT records means, by the rules of FORMAT.md §8. A flow log does not say
//! whether a security group or a network ACL rejected a packet, but the pattern tells:
//! security groups are stateful, so replies to an accepted request are never rejected by
//! them; a rejected reply to an accepted request is a network ACL (stateless) denying the
//! return traffic. A rejected request on its own is a security group or a network ACL.
//! Which side is the reply is not recorded either: it is taken to be the one sent from the
//! lower port (the service's) to the higher (the client's ephemeral port).
//!
//! Never: reads the store or inputs itself; it is handed observed records and answers.

use std::collections::HashMap;
use std::net::IpAddr;

use serde::Serialize;

use crate::parse::Action;

/// One observed flow: its 5-tuple and what happened to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Source port.
    pub srcport: u16,
    /// Destination port.
    pub dstport: u16,
    /// Protocol number.
    pub protocol: u8,
    /// ACCEPT or REJECT.
    pub action: Action,
    /// A reason AWS gave for a REJECT that is neither a security group nor a network ACL.
    pub reason: Option<AwsReason>,
}

/// A `reject-reason` AWS records (v8): what rejected it when it was not a security group or
/// network ACL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AwsReason {
    /// `BPA`: VPC Block Public Access.
    BlockPublicAccess,
    /// `EC`: VPC encryption controls.
    EncryptionControls,
}

impl AwsReason {
    /// The reason a `reject-reason` value names, if it is one vpctop knows.
    pub fn of(text: &str) -> Option<AwsReason> {
        match text {
            "BPA" => Some(AwsReason::BlockPublicAccess),
            "EC" => Some(AwsReason::EncryptionControls),
            _ => None,
        }
    }
}

/// What the rejections mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// Requests were accepted but their replies rejected: a network ACL (stateless) denies the
    /// return traffic, usually a missing rule for the client's ephemeral ports.
    NetworkAclDeniesReturnTraffic,
    /// Requests were rejected: a security group or a network ACL denies them (or packets
    /// arrived after the connection closed).
    SecurityGroupOrNetworkAcl,
    /// One client was rejected on many ports of one server: a port scan, stopped by a
    /// security group or network ACL.
    PortScan,
    /// AWS says VPC Block Public Access rejected it (`reject-reason` BPA): no security group
    /// or network ACL is involved.
    BlockPublicAccess,
    /// AWS says VPC encryption controls rejected it (`reject-reason` EC).
    EncryptionControls,
}

/// Distinct rejected ports of one server from one client that make a port scan.
pub const PORT_SCAN_PORTS: usize = 20;

/// One finding: a client, a service (server address and port) and what blocks them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What the rejections mean.
    pub cause: Cause,
    /// The side that opened the connections.
    pub client: IpAddr,
    /// The side that was connected to.
    pub server: IpAddr,
    /// The service port on `server`.
    pub port: u16,
    /// Protocol number.
    pub protocol: u8,
    /// REJECT records behind the finding.
    pub rejected: u64,
    /// Distinct rejected ports behind the finding (more than one for a port scan, whose
    /// `port` is then the lowest).
    pub ports: u64,
    /// A port the client used (the lowest seen): where replies go back to.
    pub client_port: u16,
}

impl Finding {
    /// One line for people, e.g. "10.0.0.9 → 10.0.1.5:443/6: requests accepted, replies
    /// rejected: a network ACL denies the return traffic (ACLs are stateless)".
    pub fn explain(&self) -> String {
        let what = match self.cause {
            Cause::NetworkAclDeniesReturnTraffic => {
                "requests accepted, replies rejected: a network ACL denies the return traffic \
                 (ACLs are stateless; allow the client's ephemeral ports)"
            }
            Cause::SecurityGroupOrNetworkAcl => {
                "rejected: a security group or network ACL denies it (or packets came after \
                 the connection closed)"
            }
            Cause::BlockPublicAccess => {
                "rejected by VPC Block Public Access (reject-reason BPA), not by a security \
                 group or network ACL: see the VPC's or account's BPA settings and exclusions"
            }
            Cause::EncryptionControls => {
                "rejected by VPC encryption controls (reject-reason EC): the traffic would \
                 not be encrypted as the VPC requires"
            }
            Cause::PortScan => {
                return format!(
                    "{} -> {}: port scan: {} ports probed from port {} up, all rejected by a \
                     security group or network ACL ({})",
                    self.client,
                    self.server,
                    self.ports,
                    self.port,
                    rejected_records(self.rejected)
                );
            }
        };
        format!(
            "{} -> {}:{}/{}: {what} ({})",
            self.client,
            self.server,
            self.port,
            crate::names::protocol(self.protocol)
                .map_or_else(|| self.protocol.to_string(), str::to_string),
            rejected_records(self.rejected)
        )
    }
}

impl Finding {
    /// Whether security groups and network ACLs are what to judge it by (not when AWS gave
    /// another reason).
    pub fn judged_by_rules(&self) -> bool {
        !matches!(
            self.cause,
            Cause::BlockPublicAccess | Cause::EncryptionControls
        )
    }

    /// One line for people with what blocks it said by `rule` (from the account's rules)
    /// instead of the pattern's guess: "10.0.3.7 -> 10.0.2.20:5432/tcp: network ACL … rule
    /// 120 DENY … (1 rejected record)".
    pub fn explain_with(&self, rule: &str) -> String {
        let protocol = crate::names::protocol(self.protocol)
            .map_or_else(|| self.protocol.to_string(), str::to_string);
        let what = match self.cause {
            Cause::PortScan => format!(
                "{} -> {}: port scan of {} {protocol} ports from port {} up",
                self.client, self.server, self.ports, self.port
            ),
            _ => format!(
                "{} -> {}:{}/{protocol}",
                self.client, self.server, self.port
            ),
        };
        format!("{what}: {rule} ({})", rejected_records(self.rejected))
    }

    /// The request behind the finding, as a packet the inventory's rules can judge.
    pub fn request(&self) -> crate::inventory::rules::Packet {
        crate::inventory::rules::Packet {
            src: self.client,
            dst: self.server,
            srcport: self.client_port,
            dstport: self.port,
            protocol: self.protocol,
        }
    }
}

impl Observation {
    /// The observation a retained record makes, if it has every field the rules need.
    pub fn of(r: &crate::store::query::StoredRecord) -> Option<Observation> {
        let reason = r.reject_reason.as_deref().and_then(AwsReason::of);
        Some(Observation {
            src: r.src?,
            dst: r.dst?,
            // A reason AWS gives needs no reply pattern: a format without srcport still says it.
            srcport: match reason {
                Some(_) => r.srcport.unwrap_or(0),
                None => r.srcport?,
            },
            dstport: r.dstport?,
            protocol: r.protocol?,
            action: r.action?,
            reason,
        })
    }
}

/// What a finding is about: cause, client, server, port, protocol.
type FindingKey = (Cause, IpAddr, IpAddr, u16, u8);

/// Per client, server and protocol: rejected ports, the lowest of them, rejected records
/// and the lowest client port.
type ScanTally = (usize, u16, u64, u16);

/// The 5-tuple as seen from the other side.
type Tuple = (IpAddr, IpAddr, u16, u16, u8);

/// Finds what the REJECT records among `observations` mean, most rejected records first,
/// at most `limit` findings.
pub fn diagnose(observations: impl IntoIterator<Item = Observation>, limit: usize) -> Vec<Finding> {
    let mut accepted: HashMap<Tuple, u64> = HashMap::new();
    let mut rejected: HashMap<Tuple, u64> = HashMap::new();
    // REJECTs AWS gave a reason for are that reason's findings, whatever their pattern.
    let mut by_reason: HashMap<FindingKey, (u64, u16)> = HashMap::new();
    for o in observations {
        if let (Action::Reject, Some(reason)) = (o.action, o.reason) {
            let cause = match reason {
                AwsReason::BlockPublicAccess => Cause::BlockPublicAccess,
                AwsReason::EncryptionControls => Cause::EncryptionControls,
            };
            let e = by_reason
                .entry((cause, o.src, o.dst, o.dstport, o.protocol))
                .or_insert((0, u16::MAX));
            *e = (e.0 + 1, e.1.min(o.srcport));
            continue;
        }
        let tuple = (o.src, o.dst, o.srcport, o.dstport, o.protocol);
        let side = match o.action {
            Action::Accept => &mut accepted,
            Action::Reject => &mut rejected,
        };
        *side.entry(tuple).or_default() += 1;
    }
    // (cause, client, server, port, protocol) -> rejected records, lowest client port
    let mut findings: HashMap<FindingKey, (u64, u16)> = HashMap::new();
    for (&(src, dst, sport, dport, proto), &n) in &rejected {
        // A reply comes from the service port, which is the lower one (well-known or
        // registered) against the client's ephemeral port.
        let reply_to_accepted =
            sport < dport && accepted.contains_key(&(dst, src, dport, sport, proto));
        let (key, client_port) = if reply_to_accepted {
            // This rejected record is the reply: its source is the server.
            (
                (Cause::NetworkAclDeniesReturnTraffic, dst, src, sport, proto),
                dport,
            )
        } else {
            (
                (Cause::SecurityGroupOrNetworkAcl, src, dst, dport, proto),
                sport,
            )
        };
        let e = findings.entry(key).or_insert((0, u16::MAX));
        *e = (e.0 + n, e.1.min(client_port));
    }
    findings.extend(by_reason);
    // Many rejected ports between one client and one server are one port scan.
    let mut ports: HashMap<(IpAddr, IpAddr, u8), ScanTally> = HashMap::new();
    for (&(cause, client, server, port, protocol), &(n, cport)) in &findings {
        if cause == Cause::SecurityGroupOrNetworkAcl {
            let e = ports
                .entry((client, server, protocol))
                .or_insert((0, u16::MAX, 0, u16::MAX));
            *e = (e.0 + 1, e.1.min(port), e.2 + n, e.3.min(cport));
        }
    }
    let scans: HashMap<(IpAddr, IpAddr, u8), ScanTally> = ports
        .into_iter()
        .filter(|(_, (n, _, _, _))| *n >= PORT_SCAN_PORTS)
        .collect();
    let mut out: Vec<Finding> = findings
        .into_iter()
        .filter(|((cause, client, server, _, protocol), _)| {
            *cause != Cause::SecurityGroupOrNetworkAcl
                || !scans.contains_key(&(*client, *server, *protocol))
        })
        .map(
            |((cause, client, server, port, protocol), (rejected, client_port))| Finding {
                cause,
                client,
                server,
                port,
                protocol,
                rejected,
                ports: 1,
                client_port,
            },
        )
        .collect();
    out.extend(scans.into_iter().map(
        |((client, server, protocol), (n, low, rejected, client_port))| Finding {
            cause: Cause::PortScan,
            client,
            server,
            port: low,
            protocol,
            rejected,
            ports: n as u64,
            client_port,
        },
    ));
    // Most rejected first; the rest only to make the order deterministic.
    out.sort_by(|a, b| {
        b.rejected.cmp(&a.rejected).then_with(|| {
            (a.client, a.server, a.port, a.protocol).cmp(&(b.client, b.server, b.port, b.protocol))
        })
    });
    out.truncate(limit);
    out
}

/// The request behind a finding as a record a filter can read: client → server:port over
/// the protocol, REJECTed. Fields a finding does not know read as absent.
struct FindingRequest<'a>(&'a Finding);

impl crate::filter::FieldSource for FindingRequest<'_> {
    fn uint(&self, field: crate::schema::Field) -> Option<u64> {
        use crate::schema::Field;
        match field {
            Field::DstPort => Some(u64::from(self.0.port)),
            Field::Protocol => Some(u64::from(self.0.protocol)),
            _ => None,
        }
    }
    fn addr(&self, field: crate::schema::Field) -> Option<IpAddr> {
        use crate::schema::Field;
        match field {
            Field::SrcAddr => Some(self.0.client),
            Field::DstAddr => Some(self.0.server),
            _ => None,
        }
    }
    fn text(&self, _field: crate::schema::Field) -> Option<&[u8]> {
        None
    }
    fn action(&self) -> Option<crate::parse::Action> {
        Some(crate::parse::Action::Reject)
    }
    fn status(&self) -> Option<crate::parse::LogStatus> {
        Some(crate::parse::LogStatus::Ok)
    }
}

impl Finding {
    /// Whether the finding's REJECTed request lies inside `filter`'s view; `None` when the
    /// filter reads fields a finding does not carry (then it cannot be told).
    pub fn within(&self, filter: &crate::filter::Filter) -> Option<bool> {
        use crate::schema::Field;
        let known = [
            Field::SrcAddr,
            Field::DstAddr,
            Field::SrcPort,
            Field::DstPort,
            Field::Protocol,
            Field::Action,
            Field::LogStatus,
        ];
        let fields = filter.fields();
        if fields.iter().any(|f| !known.contains(f)) {
            return None;
        }
        Some(filter.matches(&FindingRequest(self)))
    }
}

/// `1 rejected record`, `2 rejected records`.
fn rejected_records(n: u64) -> String {
    format!("{n} rejected {}", if n == 1 { "record" } else { "records" })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(src: &str, sport: u16, dst: &str, dport: u16, action: Action) -> Observation {
        Observation {
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            srcport: sport,
            dstport: dport,
            protocol: 6,
            action,
            reason: None,
        }
    }

    #[test]
    fn a_reason_aws_gives_is_the_finding_whatever_the_pattern() {
        let mut bpa = obs("10.0.1.5", 40000, "203.0.113.9", 443, Action::Reject);
        bpa.reason = AwsReason::of("BPA");
        let accepted = obs("203.0.113.9", 443, "10.0.1.5", 40000, Action::Accept);
        let f = diagnose([bpa, bpa, accepted], 10);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].cause, Cause::BlockPublicAccess);
        assert_eq!(
            (f[0].rejected, f[0].port, f[0].client_port),
            (2, 443, 40000)
        );
        assert!(!f[0].judged_by_rules());
        assert!(
            f[0].explain().contains("VPC Block Public Access"),
            "{}",
            f[0].explain()
        );
        assert_eq!(AwsReason::of("EC"), Some(AwsReason::EncryptionControls));
        assert_eq!(AwsReason::of("-"), None);
    }

    #[test]
    fn rejected_replies_to_accepted_requests_are_a_network_acl() {
        let client = "203.0.113.7";
        let server = "10.0.1.5";
        let mut set = Vec::new();
        for eph in [50_001, 50_002, 50_003] {
            set.push(obs(client, eph, server, 443, Action::Accept));
            set.push(obs(server, 443, client, eph, Action::Reject));
        }
        let found = diagnose(set, 10);
        assert_eq!(found.len(), 1, "{found:?}");
        let f = &found[0];
        assert_eq!(f.cause, Cause::NetworkAclDeniesReturnTraffic);
        assert_eq!(f.client.to_string(), client);
        assert_eq!(f.server.to_string(), server);
        assert_eq!((f.port, f.rejected), (443, 3));
        assert!(
            f.explain()
                .contains("network ACL denies the return traffic")
        );
        assert!(f.explain().starts_with("203.0.113.7 -> 10.0.1.5:443/TCP"));
    }

    #[test]
    fn a_lone_rejected_request_is_a_security_group_or_network_acl() {
        let set = vec![
            obs("198.51.100.9", 40_000, "10.0.1.5", 22, Action::Reject),
            obs("198.51.100.9", 40_001, "10.0.1.5", 22, Action::Reject),
            // An accepted flow elsewhere says nothing about this one.
            obs("10.0.1.5", 22, "198.51.100.10", 40_000, Action::Accept),
            obs("198.51.100.8", 40_000, "10.0.1.5", 3389, Action::Reject),
        ];
        let found = diagnose(set, 10);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].cause, Cause::SecurityGroupOrNetworkAcl);
        assert_eq!((found[0].port, found[0].rejected), (22, 2));
        assert_eq!(found[0].client.to_string(), "198.51.100.9");
        assert_eq!((found[1].port, found[1].rejected), (3389, 1));
        assert!(found[0].explain().contains("security group or network ACL"));
    }

    #[test]
    fn a_rejected_request_whose_reply_direction_was_accepted_is_not_return_traffic() {
        // The request to port 80 is the rejected side: that is no stateless-reply pattern.
        let set = vec![
            obs("10.0.0.7", 58_376, "198.51.100.1", 80, Action::Reject),
            obs("198.51.100.1", 80, "10.0.0.7", 58_376, Action::Accept),
        ];
        let found = diagnose(set, 10);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].cause, Cause::SecurityGroupOrNetworkAcl);
        assert_eq!(found[0].client.to_string(), "10.0.0.7");
        assert_eq!(found[0].port, 80);
    }

    #[test]
    fn accepted_traffic_needs_no_diagnosis_and_the_limit_holds() {
        let ok = vec![
            obs("10.0.0.1", 50_000, "10.0.0.2", 443, Action::Accept),
            obs("10.0.0.2", 443, "10.0.0.1", 50_000, Action::Accept),
        ];
        assert!(diagnose(ok, 10).is_empty());
        // Twenty clients each rejected on one port (not a scan: different clients).
        let many: Vec<_> = (0..20)
            .map(|p| {
                let client = format!("10.0.1.{p}");
                obs(&client, 50_000, "10.0.0.2", 1000 + p, Action::Reject)
            })
            .collect();
        assert_eq!(diagnose(many, 5).len(), 5);
    }

    #[test]
    fn many_rejected_ports_from_one_client_are_one_port_scan() {
        let scanner: IpAddr = "45.33.32.156".parse().unwrap();
        let target: IpAddr = "10.0.1.20".parse().unwrap();
        let mut obs: Vec<Observation> = (1..=30)
            .map(|p| Observation {
                src: scanner,
                dst: target,
                srcport: 61_000,
                dstport: p,
                protocol: 6,
                action: Action::Reject,
                reason: None,
            })
            .collect();
        // Fewer ports from someone else stay separate findings.
        for p in [22, 23] {
            obs.push(Observation {
                src: "198.51.100.1".parse().unwrap(),
                dst: target,
                srcport: 40_000,
                dstport: p,
                protocol: 6,
                action: Action::Reject,
                reason: None,
            });
        }
        let found = diagnose(obs, 10);
        assert_eq!(found[0].cause, Cause::PortScan);
        assert_eq!((found[0].client, found[0].server), (scanner, target));
        assert_eq!(
            (found[0].ports, found[0].port, found[0].rejected),
            (30, 1, 30)
        );
        assert!(found[0].explain().contains("port scan: 30 ports"));
        assert_eq!(found.len(), 3);
        assert!(
            found[1..]
                .iter()
                .all(|f| f.cause == Cause::SecurityGroupOrNetworkAcl)
        );
    }

    #[test]
    fn one_rejected_record_is_singular() {
        assert_eq!(rejected_records(1), "1 rejected record");
        assert_eq!(rejected_records(2), "2 rejected records");
    }

    #[test]
    fn a_finding_is_inside_a_filter_by_its_rejected_request() {
        use crate::filter::Filter;
        let f = Finding {
            cause: Cause::SecurityGroupOrNetworkAcl,
            client: "198.51.100.9".parse().unwrap(),
            server: "10.0.0.3".parse().unwrap(),
            port: 5900,
            protocol: 6,
            rejected: 3,
            ports: 1,
            client_port: 50123,
        };
        let within = |text: &str| f.within(&Filter::parse(text).unwrap());
        assert_eq!(within("action=REJECT dstport=22"), Some(false));
        assert_eq!(within("action=REJECT dstport=vnc"), Some(true));
        assert_eq!(within("src=198.51.100.0/24 tcp"), Some(true));
        assert_eq!(
            within("interface=eni-1"),
            None,
            "a finding has no interface"
        );
    }
}
