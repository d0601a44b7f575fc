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
