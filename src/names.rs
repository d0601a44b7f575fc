//! Names people know numbers by: IANA protocol numbers and well-known service ports.

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

#[cfg(test)]
mod tests {
    #[test]
    fn knows_the_common_ones() {
        assert_eq!(super::protocol(6), Some("TCP"));
        assert_eq!(super::protocol(200), None);
        assert_eq!(super::service(22), Some("ssh"));
        assert_eq!(super::service(40000), None);
    }
}
