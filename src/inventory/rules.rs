//! Security-group rules and network ACL entries, and which of them blocks a conversation.
//!
//! A conversation (client → server:port over a protocol) is walked as AWS walks its packets:
//! the request leaves the client's interface (its subnet's ACL outbound, unless both ends
//! share the subnet, then its security groups outbound), enters the server's (ACL inbound,
//! security groups inbound), and the reply goes back (the server's ACL outbound, the client's
//! ACL inbound: ACLs are stateless; security groups are stateful, so replies pass them). The
//! first thing that stops a packet is the answer.
//!
//! ACL entries are taken in rule-number order, the first match decides, and nothing matching
//! is the default rule `*`'s DENY. A security group allows what any of its rules allows (the
//! interface's groups together); a rule's peer is a block, a prefix list, or a security group
//! (the interfaces that belong to it, by the inventory's interfaces). Flow logs carry no ICMP
//! type or code: an ICMP rule is taken to match every ICMP packet.

use std::net::IpAddr;

use super::aws_json::{AclEntry as JsonAclEntry, Permission};
use super::{Cidr, Interface, Inventory};

/// A rule's protocol: every protocol, or one by number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `-1`: all traffic.
    All,
    /// One IANA protocol number (`tcp` is 6).
    Number(u8),
}

impl Protocol {
    /// `-1`, `all`, a name the CLI uses (`tcp`, `udp`, `icmp`, `icmpv6`) or a number.
    pub fn parse(text: &str) -> Result<Protocol, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "-1" | "all" => Ok(Protocol::All),
            "tcp" => Ok(Protocol::Number(6)),
            "udp" => Ok(Protocol::Number(17)),
            "icmp" => Ok(Protocol::Number(1)),
            "icmpv6" => Ok(Protocol::Number(58)),
            n => n
                .parse::<u8>()
                .map(Protocol::Number)
                .map_err(|_| format!("protocol {text:?} is not -1, a name or a number")),
        }
    }

    fn matches(self, protocol: u8) -> bool {
        self == Protocol::All || self == Protocol::Number(protocol)
    }

    /// Whether rules of this protocol have ports (TCP and UDP).
    fn has_ports(self) -> bool {
        matches!(self, Protocol::Number(6 | 17))
    }
}

/// Inclusive ports of a TCP or UDP rule; `None` is every port.
type Ports = Option<(u16, u16)>;

fn ports_of(protocol: Protocol, from: Option<i64>, to: Option<i64>) -> Result<Ports, String> {
    if !protocol.has_ports() {
        return Ok(None);
    }
    match (from, to) {
        (None, None) | (Some(-1), _) | (_, Some(-1)) => Ok(None),
        (Some(a), Some(b)) => {
            let port = |p: i64| u16::try_from(p).map_err(|_| format!("port {p} is not 0-65535"));
            let (a, b) = (port(a)?, port(b)?);
            if a > b {
                return Err(format!("port range {a}-{b} runs backwards"));
            }
            Ok(Some((a, b)))
        }
        (Some(a), None) | (None, Some(a)) => {
            let p = u16::try_from(a).map_err(|_| format!("port {a} is not 0-65535"))?;
            Ok(Some((p, p)))
        }
    }
}

fn ports_match(protocol: Protocol, ports: Ports, port: u16) -> bool {
    match ports {
        Some((a, b)) if protocol.has_ports() => (a..=b).contains(&port),
        _ => true,
    }
}

/// Whom a security-group rule allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peer {
    /// Addresses in a block.
    Block(Cidr),
    /// Addresses of the interfaces in a security group.
    Group(String),
    /// Addresses in a managed prefix list.
    PrefixList(String),
}

/// One security-group rule for one peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRule {
    /// The protocol it allows.
    pub protocol: Protocol,
    /// The destination ports it allows (TCP and UDP).
    pub ports: Ports,
    /// Whom it allows.
    pub peer: Peer,
}

impl GroupRule {
    /// The rules of one CLI permission, one per peer.
    pub(super) fn from_permission(p: &Permission) -> Result<Vec<GroupRule>, String> {
        let protocol = Protocol::parse(&p.ip_protocol)?;
        let ports = ports_of(protocol, p.from_port, p.to_port)?;
        let mut peers = Vec::new();
        for r in &p.ip_ranges {
            peers.push(Peer::Block(r.cidr_ip.parse()?));
        }
        for r in &p.ipv6_ranges {
            peers.push(Peer::Block(r.cidr_ipv6.parse()?));
        }
        for r in &p.prefix_list_ids {
            peers.push(Peer::PrefixList(r.prefix_list_id.clone()));
        }
        for r in &p.user_id_group_pairs {
            peers.push(Peer::Group(r.group_id.clone()));
        }
        Ok(peers
            .into_iter()
            .map(|peer| GroupRule {
                protocol,
                ports,
                peer,
            })
            .collect())
    }

    fn peer_matches(&self, inv: &Inventory, addr: IpAddr) -> bool {
        match &self.peer {
            Peer::Block(c) => c.contains(addr),
            Peer::Group(id) => inv
                .interface_of(addr)
                .is_some_and(|i| i.groups.iter().any(|g| g == id)),
            Peer::PrefixList(id) => inv
                .prefix_list(id)
                .is_some_and(|list| list.iter().any(|c| c.contains(addr))),
        }
    }

    /// `tcp/22 from 10.0.0.0/8`.
    fn describe(&self, outbound: bool) -> String {
        let peer = match &self.peer {
            Peer::Block(c) => c.to_string(),
            Peer::Group(g) => format!("security group {g}"),
            Peer::PrefixList(p) => format!("prefix list {p}"),
        };
        format!(
            "{} {} {peer}",
            traffic(self.protocol, self.ports),
            if outbound { "to" } else { "from" }
        )
    }
}

/// One network ACL entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclEntry {
    /// Rule number: lower numbers are evaluated first.
    pub number: i64,
    /// Outbound (`true`) or inbound.
    pub egress: bool,
    /// ALLOW or DENY.
    pub allow: bool,
    /// The protocol it matches.
    pub protocol: Protocol,
    /// The destination ports it matches (TCP and UDP).
    pub ports: Ports,
    /// The peer block: the source inbound, the destination outbound.
    pub block: Cidr,
}

impl AclEntry {
    pub(super) fn from_entry(e: &JsonAclEntry) -> Result<AclEntry, String> {
        let protocol = Protocol::parse(&e.protocol)?;
        let block = e
            .cidr_block
            .as_deref()
            .or(e.ipv6_cidr_block.as_deref())
            .ok_or("an entry without CidrBlock or Ipv6CidrBlock")?
            .parse()?;
        let allow = match e.rule_action.to_ascii_lowercase().as_str() {
            "allow" => true,
            "deny" => false,
            other => return Err(format!("RuleAction {other:?} is neither allow nor deny")),
        };
        let range = e.port_range.as_ref();
        Ok(AclEntry {
            number: e.rule_number,
            egress: e.egress,
            allow,
            protocol,
            ports: ports_of(protocol, range.map(|r| r.from), range.map(|r| r.to))?,
            block,
        })
    }

    fn matches(&self, p: &Packet, egress: bool) -> bool {
        let peer = if egress { p.dst } else { p.src };
        self.egress == egress
            && self.protocol.matches(p.protocol)
            && ports_match(self.protocol, self.ports, p.dstport)
            && self.block.contains(peer)
    }

    /// `rule 120 DENY tcp 5432 from 10.0.3.0/24`.
    fn describe(&self) -> String {
        let number = if self.number >= 32767 {
            "*".to_string()
        } else {
            self.number.to_string()
        };
        format!(
            "rule {number} {} {} {} {}",
            if self.allow { "ALLOW" } else { "DENY" },
            traffic(self.protocol, self.ports),
            if self.egress { "to" } else { "from" },
            self.block
        )
    }
}

/// `tcp 5432`, `tcp 1024-65535`, `udp` (every port), `all traffic`.
fn traffic(protocol: Protocol, ports: Ports) -> String {
    match protocol {
        Protocol::All => "all traffic".to_string(),
        Protocol::Number(n) => {
            let name = crate::names::protocol(n).map_or_else(|| n.to_string(), str::to_lowercase);
            match ports {
                Some((a, b)) if a == b => format!("{name} {a}"),
                Some((a, b)) => format!("{name} {a}-{b}"),
                None => name,
            }
        }
    }
}

/// One packet of a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet {
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
}

impl Packet {
    fn reply(&self) -> Packet {
        Packet {
            src: self.dst,
            dst: self.src,
            srcport: self.dstport,
            dstport: self.srcport,
            protocol: self.protocol,
        }
    }

    /// `tcp 5432`.
    fn what(&self) -> String {
        traffic(
            Protocol::Number(self.protocol),
            Protocol::Number(self.protocol)
                .has_ports()
                .then_some((self.dstport, self.dstport)),
        )
    }
}

/// What a network ACL does with a packet in one direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AclDecision<'a> {
    /// The first matching entry allows it.
    Allowed(&'a AclEntry),
    /// The first matching entry denies it.
    Denied(&'a AclEntry),
    /// No entry matches: the default rule `*` denies it.
    DefaultDenied,
}

/// The first entry of `entries` (in rule-number order) that matches `p` going out
/// (`egress`) or coming in.
pub fn acl_decide<'a>(entries: &'a [AclEntry], p: &Packet, egress: bool) -> AclDecision<'a> {
    let mut ordered: Vec<&AclEntry> = entries.iter().filter(|e| e.egress == egress).collect();
    ordered.sort_by_key(|e| e.number);
    match ordered.into_iter().find(|e| e.matches(p, egress)) {
        Some(e) if e.allow => AclDecision::Allowed(e),
        Some(e) => AclDecision::Denied(e),
        None => AclDecision::DefaultDenied,
    }
}

/// Whether the security groups `groups` let `p` out (`outbound`) or in; when they do not,
/// the rules for the same traffic from or to other peers (to say what they do allow).
pub fn groups_allow<'a>(
    inv: &Inventory,
    groups: impl IntoIterator<Item = &'a super::Group>,
    p: &Packet,
    outbound: bool,
) -> Result<(), Vec<&'a GroupRule>> {
    let peer = if outbound { p.dst } else { p.src };
    let mut near = Vec::new();
    for g in groups {
        let rules = if outbound { &g.outbound } else { &g.inbound };
        for r in rules {
            if r.protocol.matches(p.protocol) && ports_match(r.protocol, r.ports, p.dstport) {
                if r.peer_matches(inv, peer) {
                    return Ok(());
                }
                near.push(r);
            }
        }
    }
    Err(near)
}

/// Which leg of a conversation a block stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Leg {
    /// The request, client to server.
    Request,
    /// The reply, server to client.
    Reply,
}

/// What the loaded rules say about a conversation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Something blocks it.
    Blocked {
        /// The leg it stops.
        leg: Leg,
        /// What stops it, for people.
        rule: String,
    },
    /// Every rule on the way allows it.
    Allowed {
        /// For people.
        rule: String,
    },
    /// The inventory cannot tell (neither end is a known interface, or what guards it is
    /// missing).
    Unknown {
        /// Why not.
        rule: String,
    },
}

impl Verdict {
    /// The sentence for people.
    pub fn text(&self) -> &str {
        match self {
            Verdict::Blocked { rule, .. }
            | Verdict::Allowed { rule }
            | Verdict::Unknown { rule } => rule,
        }
    }
}

/// `subnet-0a (db-a)`.
fn labelled(id: &str, name: Option<&str>) -> String {
    match name {
        Some(n) => format!("{id} ({n})"),
        None => id.to_string(),
    }
}

impl Inventory {
    /// Walks `request` (client to server) and its reply through every network ACL and
    /// security group on the way, and says what stops it first.
    pub fn judge(&self, request: Packet) -> Verdict {
        let client = self.interface_of(request.src);
        let server = self.interface_of(request.dst);
        if client.is_none() && server.is_none() {
            return Verdict::Unknown {
                rule: format!(
                    "neither {} nor {} belongs to an interface in the inventory",
                    request.src, request.dst
                ),
            };
        }
        let same_subnet = matches!((client, server), (Some(c), Some(s))
            if c.subnet.is_some() && c.subnet == s.subnet);
        let reply = request.reply();
        let mut missing = Vec::new();
        // Request out of the client, into the server; reply out of the server, into the client.
        let steps: [(Option<&Interface>, &Packet, bool, Leg); 4] = [
            (client, &request, true, Leg::Request),
            (server, &request, false, Leg::Request),
            (server, &reply, true, Leg::Reply),
            (client, &reply, false, Leg::Reply),
        ];
        for (iface, packet, outbound, leg) in steps {
            let Some(iface) = iface else { continue };
            if !same_subnet
                && let Some(rule) = self.acl_blocks(iface, packet, outbound, leg, &mut missing)
            {
                return Verdict::Blocked { leg, rule };
            }
            if leg == Leg::Request
                && let Some(rule) = self.groups_block(iface, packet, outbound, &mut missing)
            {
                return Verdict::Blocked { leg, rule };
            }
        }
        if missing.is_empty() {
            Verdict::Allowed {
                rule: "the rules as loaded allow it: the REJECT predates the inventory, or see \
                       reject-reason"
                    .to_string(),
            }
        } else {
            Verdict::Unknown {
                rule: format!(
                    "nothing loaded blocks it, but the inventory lacks {}",
                    missing.join(", ")
                ),
            }
        }
    }

    fn acl_blocks(
        &self,
        iface: &Interface,
        p: &Packet,
        egress: bool,
        leg: Leg,
        missing: &mut Vec<String>,
    ) -> Option<String> {
        let Some(subnet) = iface.subnet.as_deref() else {
            missing.push(format!("the subnet of {}", iface.id));
            return None;
        };
        let Some(acl) = self.acl_of(subnet) else {
            missing.push(format!("the network ACL of {subnet}"));
            return None;
        };
        let dir = if egress { "outbound" } else { "inbound" };
        let where_ = format!(
            "network ACL {} (subnet {})",
            labelled(&acl.id, acl.name.as_deref()),
            labelled(subnet, self.subnet(subnet).and_then(|s| s.name.as_deref()))
        );
        let peer = if egress {
            format!("to {}", p.dst)
        } else {
            format!("from {}", p.src)
        };
        let replies = if leg == Leg::Reply {
            " the replies"
        } else {
            " it"
        };
        match acl_decide(&acl.entries, p, egress) {
            AclDecision::Allowed(_) => None,
            AclDecision::Denied(e) if e.number < 32767 => {
                Some(format!("{where_} {} ({dir}) denies{replies}", e.describe()))
            }
            AclDecision::Denied(_) | AclDecision::DefaultDenied => Some(format!(
                "{where_}: no {dir} rule allows {} {peer}: the default rule * denies{replies}",
                p.what()
            )),
        }
    }

    fn groups_block(
        &self,
        iface: &Interface,
        p: &Packet,
        outbound: bool,
        missing: &mut Vec<String>,
    ) -> Option<String> {
        let groups: Vec<&super::Group> =
            iface.groups.iter().filter_map(|g| self.group(g)).collect();
        if groups.len() < iface.groups.len() || iface.groups.is_empty() {
            missing.push(format!("the security groups of {}", iface.id));
            return None;
        }
        let near = groups_allow(self, groups.iter().copied(), p, outbound).err()?;
        let dir = if outbound { "outbound" } else { "inbound" };
        let named: Vec<String> = groups
            .iter()
            .map(|g| labelled(&g.id, g.name.as_deref()))
            .collect();
        let (which, verb) = if named.len() == 1 {
            ("security group", "allows")
        } else {
            ("security groups", "allow")
        };
        let peer = if outbound {
            format!("to {}", p.dst)
        } else {
            format!("from {}", p.src)
        };
        let mut text = format!(
            "{which} {} of {} {verb} no {dir} {} {peer}",
            named.join(", "),
            labelled(&iface.id, iface.name.as_deref()),
            p.what()
        );
        if !near.is_empty() {
            let shown: Vec<String> = near.iter().take(3).map(|r| r.describe(outbound)).collect();
            text.push_str(&format!(" (it allows {})", shown.join("; ")));
        }
        Some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::path::PathBuf;

    fn account() -> Inventory {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/inventory");
        Inventory::load(&[dir]).unwrap()
    }

    fn tcp(src: &str, srcport: u16, dst: &str, dstport: u16) -> Packet {
        Packet {
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            srcport,
            dstport,
            protocol: 6,
        }
    }

    fn blocked(v: &Verdict) -> (Leg, &str) {
        match v {
            Verdict::Blocked { leg, rule } => (*leg, rule),
            other => panic!("not blocked: {other:?}"),
        }
    }

    #[test]
    fn a_security_group_that_allows_the_port_only_from_elsewhere_is_named_with_what_it_allows() {
        let v = account().judge(tcp("45.33.32.156", 40000, "10.0.1.10", 22));
        let (leg, rule) = blocked(&v);
        assert_eq!(leg, Leg::Request);
        assert_eq!(
            rule,
            "security group sg-0web (web) of eni-0web1 (web-1) allows no inbound tcp 22 from \
             45.33.32.156 (it allows tcp 22 from security group sg-0bastion)"
        );
    }

    #[test]
    fn a_stateless_acl_without_an_ephemeral_rule_denies_the_replies() {
        let v = account().judge(tcp("10.0.1.10", 50000, "10.0.2.20", 5432));
        let (leg, rule) = blocked(&v);
        assert_eq!(leg, Leg::Reply);
        assert_eq!(
            rule,
            "network ACL acl-0db (subnet subnet-0db (db-b)): no outbound rule allows tcp 50000 \
             to 10.0.1.10: the default rule * denies the replies"
        );
    }

    #[test]
    fn an_explicit_deny_is_named_by_its_rule_number_in_rule_order() {
        let v = account().judge(tcp("10.0.3.7", 41000, "10.0.2.20", 5432));
        let (_, rule) = blocked(&v);
        assert_eq!(
            rule,
            "network ACL acl-0db (subnet subnet-0db (db-b)) rule 120 DENY tcp 5432 from \
             10.0.3.0/24 (inbound) denies it"
        );
    }

    #[test]
    fn prefix_lists_and_public_addresses_are_followed_and_an_allowed_flow_says_so() {
        let inv = account();
        // From an office in the prefix list to the bastion's public address.
        let v = inv.judge(tcp("198.51.100.9", 51000, "54.210.0.5", 22));
        assert!(matches!(v, Verdict::Allowed { .. }), "{v:?}");
        assert!(v.text().starts_with("the rules as loaded allow it"));
        // From elsewhere: the bastion's group allows 22 only from the list.
        let v = inv.judge(tcp("192.0.2.1", 51000, "10.0.1.5", 22));
        assert!(
            blocked(&v)
                .1
                .ends_with("(it allows tcp 22 from prefix list pl-0corp)"),
            "{v:?}"
        );
    }

    #[test]
    fn ipv6_is_held_to_ipv6_rules_only() {
        // The ACL allows 443 over IPv6 (rule 101), the group only from 0.0.0.0/0.
        let v = account().judge(tcp("2001:db8::1", 40000, "2600:1f18:aa::10", 443));
        let (_, rule) = blocked(&v);
        assert!(rule.starts_with("security group sg-0web (web)"), "{rule}");
        assert!(
            rule.contains("no inbound tcp 443 from 2001:db8::1"),
            "{rule}"
        );
    }

    #[test]
    fn acls_are_not_crossed_within_a_subnet_and_group_references_resolve() {
        // bastion and web-1 share subnet-0web: no ACL, and sg-0web allows 22 from sg-0bastion.
        let v = account().judge(tcp("10.0.1.5", 40000, "10.0.1.10", 22));
        assert!(matches!(v, Verdict::Allowed { .. }), "{v:?}");
    }

    #[test]
    fn udp_replies_need_a_udp_rule_and_all_protocol_rules_match_everything() {
        let dns = Packet {
            protocol: 17,
            ..tcp("10.0.1.10", 50000, "8.8.8.8", 53)
        };
        let v = account().judge(dns);
        let (leg, rule) = blocked(&v);
        assert_eq!(leg, Leg::Reply);
        assert!(
            rule.contains("no inbound rule allows udp 50000 from 8.8.8.8"),
            "{rule}"
        );
    }

    #[test]
    fn neither_end_known_is_unknown_not_allowed() {
        let v = account().judge(tcp("192.0.2.1", 1, "192.0.2.2", 2));
        assert!(matches!(v, Verdict::Unknown { .. }), "{v:?}");
    }

    #[test]
    fn a_malformed_file_names_the_file_and_the_json_path() {
        let mut inv = Inventory::default();
        let bad = br#"{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "tcp", "FromPort": "twenty"}]}]}"#;
        let err = inv
            .add_json(std::path::Path::new("sg.json"), bad)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("sg.json: at .SecurityGroups[0].IpPermissions[0].FromPort: "),
            "{err}"
        );
        let bad = br#"{"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [{"RuleNumber": 1, "Protocol": "6", "RuleAction": "allow", "CidrBlock": "10.0.0.0/99"}]}]}"#;
        let err = inv
            .add_json(std::path::Path::new("acl.json"), bad)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("acl.json: at .NetworkAcls[0].Entries[0]: "),
            "{err}"
        );
        assert!(err.contains("10.0.0.0/99"), "{err}");
    }

    /// Found by the `inventory_json` fuzz target: a key with a control character in it
    /// reached the error's path unescaped.
    #[test]
    fn a_json_path_from_a_hostile_file_is_escaped() {
        let mut inv = Inventory::default();
        let bad = br#"{"Reservations": [{"I\u001b[2Jes": [1 2]}]}"#;
        let err = inv
            .add_json(std::path::Path::new("a.json"), bad)
            .unwrap_err()
            .to_string();
        assert!(!err.chars().any(char::is_control), "{err:?}");
        assert!(err.contains(r"I\x1b[2Jes"), "{err}");
    }

    /// A plain model of an ACL: the lowest-numbered entry whose every part matches, with
    /// blocks compared as numeric ranges.
    fn reference_acl(entries: &[AclEntry], p: &Packet, egress: bool) -> Option<(i64, bool)> {
        let in_block = |c: &Cidr, ip: IpAddr| {
            let (IpAddr::V4(base), IpAddr::V4(ip)) = (
                c.to_string()
                    .split('/')
                    .next()
                    .unwrap()
                    .parse::<IpAddr>()
                    .unwrap(),
                ip,
            ) else {
                return false;
            };
            let size = 1u64 << (32 - u32::from(c.prefix_len()));
            let (lo, x) = (u64::from(u32::from(base)), u64::from(u32::from(ip)));
            lo <= x && x < lo + size
        };
        entries
            .iter()
            .filter(|e| e.egress == egress)
            .filter(|e| match e.protocol {
                Protocol::All => true,
                Protocol::Number(n) => n == p.protocol,
            })
            .filter(|e| match (e.protocol, e.ports) {
                (Protocol::Number(6 | 17), Some((a, b))) => a <= p.dstport && p.dstport <= b,
                _ => true,
            })
            .filter(|e| in_block(&e.block, if egress { p.dst } else { p.src }))
            .min_by_key(|e| e.number)
            .map(|e| (e.number, e.allow))
    }

    fn entry() -> impl Strategy<Value = AclEntry> {
        (
            1i64..200,
            any::<bool>(),
            any::<bool>(),
            prop_oneof![
                Just(Protocol::All),
                Just(Protocol::Number(6)),
                Just(Protocol::Number(17)),
                Just(Protocol::Number(1))
            ],
            prop_oneof![
                Just(None),
                (0u16..100, 0u16..100).prop_map(|(a, b)| Some((a.min(b), a.max(b))))
            ],
            (0u8..4, 0u8..=32),
        )
            .prop_map(
                |(number, egress, allow, protocol, ports, (net, len))| AclEntry {
                    number,
                    egress,
                    allow,
                    protocol,
                    ports,
                    block: Cidr::new(IpAddr::from([10, net, 0, 0]), len.min(24)).unwrap(),
                },
            )
    }

    proptest! {
        #[test]
        fn acl_decisions_agree_with_a_plain_model(
            // Unique rule numbers, as AWS requires within a direction.
            entries in prop::collection::vec(entry(), 0..12).prop_map(|mut v| {
                let mut seen = std::collections::HashSet::new();
                v.retain(|e| seen.insert((e.egress, e.number)));
                v
            }),
            src in (0u8..4, 0u8..3), dst in (0u8..4, 0u8..3),
            dstport in 0u16..100, protocol in prop::sample::select(vec![1u8, 6, 17, 47]),
            egress in any::<bool>(),
        ) {
            let p = Packet {
                src: IpAddr::from([10, src.0, src.1, 1]),
                dst: IpAddr::from([10, dst.0, dst.1, 1]),
                srcport: 1000,
                dstport,
                protocol,
            };
            let ours = match acl_decide(&entries, &p, egress) {
                AclDecision::Allowed(e) => Some((e.number, true)),
                AclDecision::Denied(e) => Some((e.number, false)),
                AclDecision::DefaultDenied => None,
            };
            prop_assert_eq!(ours, reference_acl(&entries, &p, egress));
        }
    }
}
