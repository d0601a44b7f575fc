//! Names people know numbers by: IANA protocol numbers and well-known service ports.
//!
//! Never: depends on another module of the crate; it is a table.

/// The IANA name of a protocol number, for the ones flow logs commonly carry.
pub fn protocol(number: u8) -> Option<&'static str> {
    Some(match number {
        1 => "ICMP",
        2 => "IGMP",
        4 => "IPIP",
        6 => "TCP",
        17 => "UDP",
        41 => "IPv6",
        47 => "GRE",
        50 => "ESP",
        51 => "AH",
        58 => "ICMPv6",
        89 => "OSPF",
        132 => "SCTP",
        _ => return None,
    })
}

/// The service usually behind a well-known port (TCP or UDP).
pub fn service(port: u16) -> Option<&'static str> {
    Some(match port {
        20 | 21 => "ftp",
        22 => "ssh",
        23 => "telnet",
        25 => "smtp",
        53 => "dns",
        67 | 68 => "dhcp",
        80 => "http",
        110 => "pop3",
        123 => "ntp",
        135 => "msrpc",
        137..=139 => "netbios",
        143 => "imap",
        161 => "snmp",
        389 => "ldap",
        443 => "https",
        445 => "smb",
        465 | 587 => "smtps",
        500 | 4500 => "ipsec",
        636 => "ldaps",
        873 => "rsync",
        993 => "imaps",
        995 => "pop3s",
        1433 => "mssql",
        1521 => "oracle",
        2049 => "nfs",
        2379 | 2380 => "etcd",
        3306 => "mysql",
        3389 => "rdp",
        5432 => "postgres",
        5439 => "redshift",
        5671 | 5672 => "amqp",
        5900 => "vnc",
        6379 => "redis",
        6443 => "k8s-api",
        8080 => "http-alt",
        8443 => "https-alt",
        9092 => "kafka",
        9200 | 9300 => "elastic",
        10250 => "kubelet",
        11211 => "memcached",
        27017 => "mongodb",
        _ => return None,
    })
}

/// The ports behind a service name as [`service`] names them (`ssh` → 22, `ftp` → 20–21),
/// in any case, as inclusive ranges; empty for a name it does not know.
pub fn service_ports(name: &str) -> Vec<(u16, u16)> {
    let mut ranges: Vec<(u16, u16)> = Vec::new();
    for port in 0..=u16::MAX {
        if service(port).is_some_and(|s| s.eq_ignore_ascii_case(name)) {
            match ranges.last_mut() {
                Some((_, hi)) if *hi + 1 == port => *hi = port,
                _ => ranges.push((port, port)),
            }
        }
    }
    ranges
}

/// What traffic to or from `addr` is, when VPC Flow Logs never record it (AWS's list of what
/// flow logs do not capture): the instance metadata service, Amazon Time Sync, the Amazon DNS
/// resolver's link-local address, Windows license activation. The resolver at the VPC's base
/// + 2 and the VPC router at base + 1 need the VPC's blocks (see the inventory).
pub fn never_logged(addr: std::net::IpAddr) -> Option<&'static str> {
    use std::net::IpAddr;
    match addr {
        IpAddr::V4(v4) => match v4.octets() {
            [169, 254, 169, 254] => Some("instance metadata"),
            [169, 254, 169, 123] => Some("Amazon Time Sync"),
            [169, 254, 169, 253] => Some("the Amazon DNS resolver"),
            [169, 254, 169, 250 | 251] => Some("Windows license activation"),
            _ => None,
        },
        IpAddr::V6(v6) => match v6.segments() {
            [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254] => Some("instance metadata (IPv6)"),
            [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x123] => Some("Amazon Time Sync (IPv6)"),
            [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x253] => Some("the Amazon DNS resolver (IPv6)"),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn knows_the_common_ones() {
        assert_eq!(super::protocol(6), Some("TCP"));
        assert_eq!(super::protocol(200), None);
        assert_eq!(super::service(22), Some("ssh"));
        assert_eq!(super::service(40000), None);
    }

    #[test]
    fn service_names_give_their_ports() {
        assert_eq!(service_ports("ssh"), vec![(22, 22)]);
        assert_eq!(service_ports("HTTPS"), vec![(443, 443)]);
        assert_eq!(service_ports("ftp"), vec![(20, 21)]);
        assert_eq!(service_ports("smtps"), vec![(465, 465), (587, 587)]);
        assert!(service_ports("gopher").is_empty());
    }

    #[test]
    fn addresses_flow_logs_never_record_are_named() {
        let at = |a: &str| super::never_logged(a.parse().unwrap());
        assert_eq!(at("169.254.169.254"), Some("instance metadata"));
        assert_eq!(at("169.254.169.123"), Some("Amazon Time Sync"));
        assert_eq!(at("fd00:ec2::254"), Some("instance metadata (IPv6)"));
        assert_eq!(at("169.254.169.1"), None);
        assert_eq!(at("10.0.0.2"), None, "base + 2 needs the VPC's blocks");
    }
}

/// What a coded flow-log value means, for people (`encryption-status` `0` → `not
/// encrypted`, `traffic-path` `2` → `internet gateway or gateway VPC endpoint`,
/// `reject-reason` `BPA` → `VPC Block Public Access`); `None` for fields or values with no
/// meaning to add. `field` is the flow-log field name.
pub fn field_meaning(field: &str, value: &str) -> Option<&'static str> {
    Some(match (field, value) {
        ("encryption-status", "0") => "not encrypted",
        ("encryption-status", "1") => "Nitro hardware encryption",
        ("encryption-status", "2") => "application TLS",
        ("encryption-status", "3") => "Nitro and TLS",
        ("reject-reason", "BPA") => "VPC Block Public Access",
        ("reject-reason", "EC") => "VPC encryption controls",
        ("traffic-path", "1") => "to a resource in the same VPC",
        ("traffic-path", "2") => "internet gateway or gateway VPC endpoint",
        ("traffic-path", "3") => "virtual private gateway",
        ("traffic-path", "4") => "intra-region VPC peering",
        ("traffic-path", "5") => "inter-region VPC peering",
        ("traffic-path", "6") => "local gateway",
        ("traffic-path", "7") => "gateway VPC endpoint (Nitro)",
        ("traffic-path", "8") => "internet gateway (Nitro)",
        ("resource-id", v) if v.starts_with("nat-") => "NAT gateway",
        ("next-hop-interface-type", "nat_gateway") => "NAT gateway",
        ("next-hop-interface-type", "transit_gateway") => "transit gateway",
        ("next-hop-interface-type", "vpc_endpoint") => "VPC endpoint",
        ("next-hop-interface-type", "network_load_balancer") => "load balancer",
        ("next-hop-interface-type", "gateway_load_balancer_endpoint") => {
            "gateway load balancer endpoint"
        }
        _ => return None,
    })
}

#[cfg(test)]
mod meaning_tests {
    use super::field_meaning;

    #[test]
    fn coded_values_of_the_newer_fields_are_said_in_words() {
        assert_eq!(
            field_meaning("encryption-status", "0"),
            Some("not encrypted")
        );
        assert_eq!(
            field_meaning("reject-reason", "BPA"),
            Some("VPC Block Public Access")
        );
        assert_eq!(
            field_meaning("traffic-path", "2"),
            Some("internet gateway or gateway VPC endpoint")
        );
        assert_eq!(field_meaning("resource-id", "nat-0f3"), Some("NAT gateway"));
        assert_eq!(field_meaning("traffic-path", "-"), None);
        assert_eq!(field_meaning("srcaddr", "0"), None);
    }
}
