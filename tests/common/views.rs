//! Random views for the query writers' tests: a v5 flow-log file with `-` where AWS writes
//! it, and random report flags (filters over every construct, metric, top N, window).

/// The v2–v5 fields in AWS's table order (the Athena DDL's columns).
pub const V5: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol \
                  packets bytes start end action log-status vpc-id subnet-id instance-id \
                  tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type \
                  sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction \
                  traffic-path";

/// Record time of the generated file: three days from here.
pub const BASE: u64 = 1_764_000_000;

/// The report's lists, in report order, as `--group` names them and JSON keys them.
pub const GROUPS: [&str; 6] = ["src", "dst", "pair", "dstport", "interface", "protocol"];

pub use super::flows::Rng;

/// Choices on top of [`Rng`].
pub trait Choose {
    /// One of `items`.
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T;
    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: u64) -> bool;
}

impl Choose for Rng {
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const ADDRS: &[&str] = &[
    "10.0.0.5",
    "10.0.0.9",
    "10.0.1.20",
    "10.0.1.21",
    "10.0.2.7",
    "10.1.0.3",
    "172.16.5.4",
    "192.168.1.10",
    "198.51.100.7",
    "198.51.100.200",
    "203.0.113.9",
    "45.33.32.156",
    "8.8.8.8",
    "2001:db8::1",
    "2001:db8::2",
    "2001:db8:1::10",
    "2001:db8:1::11",
    "2001:db8:ff::abcd",
];

const PORTS: &[u64] = &[22, 53, 80, 123, 443, 3306, 3389, 5432, 8080];

/// A v5 text file with a header: realistic fields, NODATA/SKIPDATA records and `-` where
/// AWS writes it.
pub fn flow_file(rng: &mut Rng, records: usize) -> String {
    let mut out = format!("{V5}\n");
    for _ in 0..records {
        let start = BASE + rng.below(3 * 86_400);
        let end = start + rng.below(601);
        let eni = format!("eni-0a1b2c3d4e5f6a7b{}", rng.below(8));
        let account = rng.pick(&["123456789012", "210987654321"]).to_string();
        let status = match rng.below(100) {
            0..=3 => "NODATA",
            4 => "SKIPDATA",
            _ => "OK",
        };
        if status != "OK" {
            out.push_str(&format!(
                "5 {account} {eni} - - - - - - - {start} {end} - {status} vpc-01 subnet-0{} - - - - - us-east-1 use1-az1 - - - - - -\n",
                rng.below(3)
            ));
            continue;
        }
        let src = *rng.pick(ADDRS);
        let v6 = src.contains(':');
        let dst = loop {
            let d = *rng.pick(ADDRS);
            if d.contains(':') == v6 && d != src {
                break d;
            }
        };
        let port = |rng: &mut Rng| {
            if rng.chance(55) {
                *rng.pick(PORTS)
            } else {
                1024 + rng.below(64_512)
            }
        };
        let (sport, dport) = (port(rng), port(rng));
        let proto = *rng.pick(&[6u64, 6, 6, 17, 17, 1, 58]);
        let packets = 1 + rng.below(200);
        let bytes = packets * (40 + rng.below(1460));
        let action = if rng.chance(30) { "REJECT" } else { "ACCEPT" };
        let flags = rng
            .pick(&["0", "2", "18", "19", "3", "1", "4", "-"])
            .to_string();
        let instance = if rng.chance(20) {
            "-".to_string()
        } else {
            format!("i-0{}", rng.below(5))
        };
        let pkt_src = if rng.chance(25) { "-" } else { src };
        let pkt_dst = if rng.chance(25) { "-" } else { dst };
        let service = rng.pick(&["-", "-", "S3", "AMAZON"]).to_string();
        let direction = rng.pick(&["ingress", "egress"]).to_string();
        let path = if direction == "egress" {
            (1 + rng.below(8)).to_string()
        } else {
            "-".to_string()
        };
        let kind = if v6 { "IPv6" } else { "IPv4" };
        out.push_str(&format!(
            "5 {account} {eni} {src} {dst} {sport} {dport} {proto} {packets} {bytes} {start} {end} {action} OK vpc-0{} subnet-0{} {instance} {flags} {kind} {pkt_src} {pkt_dst} us-east-1 use1-az1 - - {service} - {direction} {path}\n",
            rng.below(2),
            rng.below(3),
        ));
    }
    out
}

/// One random test of the filter language.
pub fn test_text(rng: &mut Rng) -> String {
    let cidr = |rng: &mut Rng| {
        rng.pick(&[
            "10.0.0.0/8",
            "10.0.1.0/24",
            "10.0.0.5",
            "198.51.100.0/24",
            "8.8.8.8/32",
            "172.16.0.0/12",
            "2001:db8::/48",
            "2001:db8:1::/64",
            "2001:db8::1",
            "10.1.2.3/16",
        ])
        .to_string()
    };
    match rng.below(26) {
        0 => format!("src={}", cidr(rng)),
        1 => format!("dst={}", cidr(rng)),
        2 => format!("host={}", cidr(rng)),
        3 => cidr(rng),
        4 => format!("pkt-srcaddr={}", cidr(rng)),
        5 => format!("port={}", rng.pick(PORTS)),
        6 => format!(
            "dstport{}{}",
            rng.pick(&["=", "!=", "<", "<=", ">", ">="]),
            rng.pick(PORTS)
        ),
        7 => rng
            .pick(&["dstport=1024-65535", "srcport=0-1023", "port=3000-9000"])
            .to_string(),
        8 => rng
            .pick(&["ssh", "https", "postgres", "port in (22, 443, 53)"])
            .to_string(),
        9 => rng
            .pick(&[
                "proto=tcp",
                "proto=udp",
                "proto!=6",
                "icmp",
                "proto=icmpv6",
                "proto in (udp, 1)",
            ])
            .to_string(),
        10 => format!(
            "bytes{}{}",
            rng.pick(&[">", "<=", ">="]),
            rng.pick(&["10k", "1500", "64Ki", "100000"])
        ),
        11 => format!("packets{}{}", rng.pick(&[">", "<", "="]), rng.below(60)),
        12 => format!(
            "duration{}{}",
            rng.pick(&[">=", "<", ">"]),
            rng.pick(&["1m", "30s", "5m", "0"])
        ),
        13 => rng
            .pick(&[
                "flags=syn",
                "flags=synack",
                "flags=2",
                "flags=fin",
                "flags=rst",
            ])
            .to_string(),
        14 => rng
            .pick(&["action=REJECT", "ACCEPT", "action=accept", "REJECT"])
            .to_string(),
        15 => rng.pick(&["status=OK", "status=NODATA", "OK"]).to_string(),
        16 => format!("interface=eni-0a1b2c3d4e5f6a7b{}", rng.below(9)),
        17 => rng
            .pick(&["interface=eni-*3", "eni=*7b1", "interface=*a*b*"])
            .to_string(),
        18 => rng
            .pick(&[
                "account=123456789012",
                "account=2109*",
                "account=12'3",
                "account=1_%",
            ])
            .to_string(),
        19 => rng
            .pick(&["instance=i-0*", "instance=i-03", "instance-id=i-01"])
            .to_string(),
        20 => rng
            .pick(&["direction=ingress", "flow-direction=egress"])
            .to_string(),
        21 => rng
            .pick(&["vpc=vpc-01", "subnet=subnet-0*", "vpc-id=vpc-00"])
            .to_string(),
        22 => format!(
            "{}{}{}",
            rng.pick(&["start", "end"]),
            rng.pick(&[">=", "<", ">"]),
            BASE + rng.below(3 * 86_400)
        ),
        23 => rng
            .pick(&[
                "traffic-path=2",
                "traffic-path>=4",
                "pkt-src-aws-service=S3",
                "type=IPv6",
            ])
            .to_string(),
        24 => format!("src in ({}, {})", cidr(rng), cidr(rng)),
        _ => rng
            .pick(&[
                "tcp-flags=19",
                "sublocation-id=-x",
                "pkt-dst-aws-service=AMAZON",
            ])
            .to_string(),
    }
}

/// A random filter: tests joined by and/or, some negated or grouped.
pub fn filter_text(rng: &mut Rng, depth: u32) -> String {
    let n = 1 + rng.below(3);
    let mut parts = Vec::new();
    for _ in 0..n {
        let mut t = if depth < 2 && rng.chance(20) {
            format!("({})", filter_text(rng, depth + 1))
        } else {
            test_text(rng)
        };
        if rng.chance(20) {
            t = format!("not {t}");
        }
        parts.push(t);
    }
    let mut out = parts[0].clone();
    for p in &parts[1..] {
        let joiner: &&str = rng.pick(&[" ", " and ", " or "]);
        out.push_str(joiner);
        out.push_str(p);
    }
    out
}

/// One random view: the report flags.
pub fn view_flags(rng: &mut Rng) -> Vec<String> {
    let mut flags = Vec::new();
    if !rng.chance(10) {
        flags.push("--filter".to_string());
        flags.push(filter_text(rng, 0));
    }
    flags.push("--by".to_string());
    flags.push(rng.pick(&["bytes", "packets", "flows"]).to_string());
    flags.push("--top".to_string());
    flags.push((1 + rng.below(15)).to_string());
    if rng.chance(40) {
        let from = BASE + rng.below(2 * 86_400);
        flags.push("--from".to_string());
        flags.push(from.to_string());
        if rng.chance(70) {
            flags.push("--to".to_string());
            flags.push((from + rng.below(86_400)).to_string());
        }
    }
    flags
}
