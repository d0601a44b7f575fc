//! A deterministic generator of realistic VPC Flow Log traffic with a scripted incident
//! timeline, for `vpctop demo` and the shipped sample files.
//!
//! Owns: the simulated VPCs (accounts, interfaces, servers, clients), the background mix
//! (heavy-tailed talkers, service ports, both directions of every conversation, REJECT
//! noise) and the incident script. Output is a function of the seed and the record time
//! only: the same seed always gives the same lines.
//!
//! Never: reads a clock or does I/O; [`super::writer`] paces and writes.

use std::fmt::Write;
use std::net::Ipv4Addr;

/// Record seconds in one turn of the incident script.
pub const CYCLE: u64 = 120;

/// The record formats the generator writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum DemoFormat {
    /// The 14 default fields.
    #[default]
    V2,
    /// All fields of versions 2 to 5 (29), in table order.
    V5,
    /// The v5 fields plus `reject-reason` (v8) and `encryption-status` (v10): the BPA
    /// incident says why, and the status bar shows the cleartext share.
    V10,
}

/// The v5 field list (v2 + 15), as an S3 header line names it.
pub const V5_FIELDS: &str = "version account-id interface-id srcaddr dstaddr srcport dstport \
protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type \
pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service \
pkt-dst-aws-service flow-direction traffic-path";

/// The v10 field list (the v5 fields, `reject-reason`, `encryption-status`).
pub const V10_FIELDS: &str = "version account-id interface-id srcaddr dstaddr srcport dstport \
protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type \
pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service \
pkt-dst-aws-service flow-direction traffic-path reject-reason encryption-status";

/// The v2 field list.
pub const V2_FIELDS: &str = "version account-id interface-id srcaddr dstaddr srcport dstport \
protocol packets bytes start end action log-status";

/// One scripted incident: when it runs in each cycle and who is involved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Incident {
    /// Short name (`port-scan`, …).
    pub name: &'static str,
    /// Start and end, record seconds into each cycle.
    pub during: (u64, u64),
    /// The outside address involved.
    pub outsider: Ipv4Addr,
    /// The inside address involved.
    pub insider: Ipv4Addr,
    /// The service port involved (0 when many).
    pub port: u16,
}

/// The incident script, in order of first appearance.
pub const INCIDENTS: [Incident; 6] = [
    Incident {
        name: "port-scan",
        during: (2, 45),
        outsider: Ipv4Addr::new(45, 33, 32, 156),
        insider: Ipv4Addr::new(10, 0, 1, 20),
        port: 0,
    },
    Incident {
        name: "ssh-brute-force",
        during: (4, 70),
        outsider: Ipv4Addr::new(185, 220, 101, 47),
        insider: Ipv4Addr::new(10, 0, 0, 10),
        port: 22,
    },
    Incident {
        name: "nacl-drops-return-traffic",
        during: (20, 100),
        outsider: Ipv4Addr::new(203, 0, 113, 50),
        insider: Ipv4Addr::new(10, 0, 2, 30),
        port: 443,
    },
    Incident {
        name: "block-public-access",
        during: (30, 60),
        outsider: Ipv4Addr::new(198, 51, 100, 77),
        insider: Ipv4Addr::new(10, 1, 0, 17),
        port: 443,
    },
    Incident {
        name: "egress-burst",
        during: (50, 95),
        outsider: Ipv4Addr::new(198, 51, 100, 200),
        insider: Ipv4Addr::new(10, 1, 3, 77),
        port: 443,
    },
    Incident {
        name: "nodata-skipdata-gap",
        during: (60, 120),
        outsider: Ipv4Addr::UNSPECIFIED,
        insider: Ipv4Addr::UNSPECIFIED,
        port: 0,
    },
];

/// Services the simulated servers offer: (port, protocol, bytes per request, weight).
const SERVICES: [(u16, u8, u64, u32); 8] = [
    (443, 6, 6_000, 40),
    (80, 6, 3_000, 10),
    (5432, 6, 2_500, 12),
    (3306, 6, 2_000, 8),
    (6379, 6, 400, 12),
    (53, 17, 120, 10),
    (123, 17, 76, 3),
    (22, 6, 1_500, 5),
];

const ACCOUNTS: [&str; 3] = ["123456789012", "210987654321", "345678901234"];
const REGION: &str = "us-east-1";

/// A small, fast, seedable random source (xorshift64*): the demo needs repeatability, not
/// cryptography, and no dependency.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// An index in `0..n` skewed towards 0: a few talkers carry most traffic.
    fn heavy(&mut self, n: usize) -> usize {
        ((self.unit().powi(3)) * n as f64) as usize % n.max(1)
    }
}

/// One simulated network interface.
#[derive(Debug, Clone)]
pub(super) struct Interface {
    pub(super) eni: String,
    pub(super) account: &'static str,
    pub(super) vpc: String,
    pub(super) subnet: String,
    pub(super) instance: String,
    pub(super) az: &'static str,
    pub(super) ip: Ipv4Addr,
}

/// One flow record, before formatting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoRecord {
    /// Index of the capturing interface.
    interface: usize,
    /// Source address and port.
    pub src: (Ipv4Addr, u16),
    /// Destination address and port.
    pub dst: (Ipv4Addr, u16),
    /// Protocol number.
    pub protocol: u8,
    /// Packets.
    pub packets: u64,
    /// Bytes.
    pub bytes: u64,
    /// Capture window.
    pub start: u64,
    /// Capture window end.
    pub end: u64,
    /// ACCEPT or REJECT.
    pub accept: bool,
    /// OK, NODATA or SKIPDATA.
    pub status: &'static str,
    /// Whether the capturing interface received it.
    pub ingress: bool,
    /// `reject-reason` (`BPA`), when AWS gives one.
    pub reject_reason: Option<&'static str>,
}

impl DemoRecord {
    /// A one-packet, 40-byte TCP record, accepted, OK, received by `interface`: the fields
    /// each incident then changes.
    fn tcp(
        interface: usize,
        src: (Ipv4Addr, u16),
        dst: (Ipv4Addr, u16),
        (start, end): (u64, u64),
    ) -> DemoRecord {
        DemoRecord {
            interface,
            src,
            dst,
            protocol: 6,
            packets: 1,
            bytes: 40,
            start,
            end,
            accept: true,
            status: "OK",
            ingress: true,
            reject_reason: None,
        }
    }
}

/// The traffic of the simulated VPCs.
#[derive(Debug, Clone)]
pub struct Generator {
    rng: Rng,
    format: DemoFormat,
    interfaces: Vec<Interface>,
    /// Interfaces that serve each service, by index into [`SERVICES`].
    servers: Vec<Vec<usize>>,
    /// Outside clients.
    internet: Vec<Ipv4Addr>,
    /// Interfaces whose logging breaks during the gap incident (they serve traffic the
    /// rest of the time).
    dark: Vec<usize>,
    /// Record time (Unix seconds) of the start of the script.
    origin: u64,
    /// Records per record-second, on average.
    per_second: f64,
    /// The next record second to generate.
    next: u64,
}

impl Generator {
    /// A generator for `seed`, starting its script at `origin` (Unix seconds), making about
    /// `per_second` records per record-second.
    pub fn new(seed: u64, format: DemoFormat, origin: u64, per_second: f64) -> Generator {
        let mut rng = Rng::new(seed);
        let mut interfaces = Vec::new();
        for (a, account) in ACCOUNTS.iter().enumerate() {
            for i in 0..120u32 {
                let subnet = i % 6;
                let ip = Ipv4Addr::new(10, a as u8, subnet as u8, 10 + (i / 6 * 7 % 240) as u8);
                interfaces.push(Interface {
                    eni: format!("eni-{:017x}", rng.next() >> 4),
                    account,
                    vpc: format!("vpc-{:017x}", 0xa11c_0000 + a as u64),
                    subnet: format!(
                        "subnet-{:017x}",
                        0x5b00 + (a as u64) * 16 + u64::from(subnet)
                    ),
                    instance: format!("i-{:017x}", rng.next() >> 4),
                    az: ["use1-az1", "use1-az2", "use1-az4"][subnet as usize % 3],
                    ip,
                });
            }
        }
        // The incidents' insiders are real interfaces of the fleet, in the subnet, VPC and
        // account their address is in.
        for (k, inc) in INCIDENTS.iter().enumerate() {
            // An insider whose address an interface already has is that interface (two
            // interfaces with one address would name it twice in the inventory).
            let taken = interfaces.iter().any(|i| i.ip == inc.insider);
            if !inc.insider.is_unspecified() && !taken {
                let [_, a, subnet, _] = inc.insider.octets();
                let i = &mut interfaces[k * 37 + 5];
                i.ip = inc.insider;
                i.account = ACCOUNTS[usize::from(a) % ACCOUNTS.len()];
                i.vpc = format!("vpc-{:017x}", 0xa11c_0000 + u64::from(a));
                i.subnet = format!(
                    "subnet-{:017x}",
                    0x5b00 + u64::from(a) * 16 + u64::from(subnet)
                );
                i.az = ["use1-az1", "use1-az2", "use1-az4"][usize::from(subnet) % 3];
            }
        }
        let servers: Vec<Vec<usize>> = SERVICES
            .iter()
            .enumerate()
            .map(|(s, _)| {
                (0..interfaces.len())
                    .filter(|i| (i * 7 + s * 13) % 11 == 0)
                    .collect()
            })
            .collect();
        let internet = (0..400)
            .map(|_| {
                let v = rng.next();
                Ipv4Addr::new(
                    [23, 34, 52, 64, 81, 91, 104, 151, 172, 188][(v % 10) as usize],
                    (v >> 8) as u8,
                    (v >> 16) as u8,
                    1 + (v >> 24) as u8 % 250,
                )
            })
            .collect();
        // Three busy servers (not incident insiders) go dark during the gap.
        let dark = [0, 2, 4].iter().map(|&s| servers[s][1]).collect();
        Generator {
            rng,
            format,
            interfaces,
            servers,
            internet,
            dark,
            origin,
            per_second: per_second.max(1.0),
            next: origin,
        }
    }

    /// The S3 header line of the generator's format (without a newline).
    pub fn header(&self) -> &'static str {
        match self.format {
            DemoFormat::V2 => V2_FIELDS,
            DemoFormat::V5 => V5_FIELDS,
            DemoFormat::V10 => V10_FIELDS,
        }
    }

    /// The simulated interfaces (for the demo's inventory).
    pub(super) fn interfaces(&self) -> &[Interface] {
        &self.interfaces
    }

    /// The record second the next call starts at.
    pub fn now(&self) -> u64 {
        self.next
    }

    fn interface_of(&self, ip: Ipv4Addr) -> usize {
        self.interfaces.iter().position(|i| i.ip == ip).unwrap_or(0)
    }

    /// A capture window ending at `t`, never starting before the script does.
    fn window(&mut self, t: u64) -> (u64, u64) {
        let back = self.rng.below(55).min(t.saturating_sub(self.origin));
        (t - back, t)
    }

    /// Generates every record ending in the record seconds before `until`.
    pub fn records_until(&mut self, until: u64, out: &mut Vec<DemoRecord>) {
        while self.next < until {
            let t = self.next;
            self.second(t, out);
            self.next += 1;
        }
    }

    /// The records of one record second.
    fn second(&mut self, t: u64, out: &mut Vec<DemoRecord>) {
        let phase = (t - self.origin) % CYCLE;
        let active = |name: &str| {
            INCIDENTS
                .iter()
                .any(|i| i.name == name && i.during.0 <= phase && phase < i.during.1)
        };
        // Incidents scale with the traffic, so they stand out the same at any rate.
        let per_second = self.per_second;
        let scaled = move |base: f64| (base * per_second / 400.0).ceil().max(1.0) as u64;
        // Background: conversations in both directions, and some REJECT noise.
        let mut budget = self.per_second * (0.9 + 0.2 * self.rng.unit());
        let dark = active("nodata-skipdata-gap");
        while budget >= 2.0 {
            budget -= self.conversation(t, dark, out);
        }
        if active("port-scan") {
            // Sweeps ports upward (100 a second at 400 records/s), every probe rejected by the
            // security group.
            let inc = INCIDENTS[0];
            let n = scaled(100.0);
            let base = ((phase - inc.during.0) * n) as u16;
            for k in 0..n as u16 {
                let (start, end) = self.window(t);
                out.push(DemoRecord {
                    bytes: 44,
                    accept: false,
                    ..DemoRecord::tcp(
                        self.interface_of(inc.insider),
                        (inc.outsider, 61_000 + k),
                        (inc.insider, 1 + (base + k) % 10_000),
                        (start, end),
                    )
                });
            }
        }
        if active("ssh-brute-force") {
            let inc = INCIDENTS[1];
            for _ in 0..scaled(12.0) {
                let (start, end) = self.window(t);
                let sport = 32_768 + self.rng.below(28_000) as u16;
                out.push(DemoRecord {
                    packets: 2 + self.rng.below(3),
                    bytes: 120 + self.rng.below(60),
                    accept: false,
                    ..DemoRecord::tcp(
                        self.interface_of(inc.insider),
                        (inc.outsider, sport),
                        (inc.insider, 22),
                        (start, end),
                    )
                });
            }
        }
        if active("nacl-drops-return-traffic") {
            // Requests reach the server (security group allows them), but the subnet's
            // network ACL has no outbound rule for ephemeral ports: every reply is dropped.
            let inc = INCIDENTS[2];
            for k in 0..scaled(6.0) {
                let (start, end) = self.window(t);
                let client = if k % 3 == 0 {
                    inc.outsider
                } else {
                    self.internet[self.rng.below(8) as usize]
                };
                let eph = 49_152 + self.rng.below(16_000) as u16;
                let nic = self.interface_of(inc.insider);
                out.push(DemoRecord {
                    packets: 3,
                    bytes: 180,
                    ..DemoRecord::tcp(nic, (client, eph), (inc.insider, 443), (start, end))
                });
                out.push(DemoRecord {
                    packets: 3,
                    bytes: 164,
                    accept: false,
                    ingress: false,
                    ..DemoRecord::tcp(nic, (inc.insider, 443), (client, eph), (start, end))
                });
            }
        }
        if active("block-public-access") {
            // A public web server the security group opens to everyone, rejected anyway:
            // the account turned on VPC Block Public Access (only a format with
            // reject-reason says so; the rules as loaded allow it).
            let inc = INCIDENTS[3];
            for _ in 0..scaled(4.0) {
                let (start, end) = self.window(t);
                let sport = 32_768 + self.rng.below(28_000) as u16;
                out.push(DemoRecord {
                    packets: 1,
                    bytes: 60,
                    accept: false,
                    reject_reason: Some("BPA"),
                    ..DemoRecord::tcp(
                        self.interface_of(inc.insider),
                        (inc.outsider, sport),
                        (inc.insider, inc.port),
                        (start, end),
                    )
                });
            }
        }
        if active("egress-burst") {
            let inc = INCIDENTS[4];
            for _ in 0..scaled(3.0) {
                let (start, end) = self.window(t);
                let packets = 40_000 + self.rng.below(20_000);
                out.push(DemoRecord {
                    packets,
                    bytes: packets * 1_400,
                    ingress: false,
                    ..DemoRecord::tcp(
                        self.interface_of(inc.insider),
                        (inc.insider, 40_000 + self.rng.below(20_000) as u16),
                        (inc.outsider, inc.port),
                        (start, end),
                    )
                });
            }
        }
        if active("nodata-skipdata-gap") && t.is_multiple_of(10) {
            // Three busy servers log nothing but NODATA (two) and SKIPDATA (one) records.
            for (k, &nic) in self.dark.clone().iter().enumerate() {
                let (start, end) = self.window(t);
                out.push(DemoRecord {
                    protocol: 0,
                    packets: 0,
                    bytes: 0,
                    status: if k == 2 { "SKIPDATA" } else { "NODATA" },
                    ..DemoRecord::tcp(
                        nic,
                        (Ipv4Addr::UNSPECIFIED, 0),
                        (Ipv4Addr::UNSPECIFIED, 0),
                        (start, end),
                    )
                });
            }
        }
    }

    /// One background conversation: a request and its reply, or a stray rejected probe.
    /// Returns the records made.
    fn conversation(&mut self, t: u64, dark: bool, out: &mut Vec<DemoRecord>) -> f64 {
        let (start, end) = self.window(t);
        // A dark interface's traffic flows on, unlogged.
        let unlogged = |nic: usize| dark && self.dark.contains(&nic);
        if self.rng.below(100) < 4 {
            // Internet background radiation: probes on random ports, rejected.
            let target = self.rng.below(self.interfaces.len() as u64) as usize;
            let probe = [23, 445, 3389, 8080, 1433, 5900, 2323][self.rng.below(7) as usize];
            let src = self.internet[self.rng.below(self.internet.len() as u64) as usize];
            if unlogged(target) {
                return 1.0;
            }
            out.push(DemoRecord {
                accept: false,
                ..DemoRecord::tcp(
                    target,
                    (src, 1024 + self.rng.below(60_000) as u16),
                    (self.interfaces[target].ip, probe),
                    (start, end),
                )
            });
            return 1.0;
        }
        let total: u32 = SERVICES.iter().map(|s| s.3).sum();
        let mut pick = self.rng.below(u64::from(total)) as u32;
        let s = SERVICES
            .iter()
            .position(|x| {
                if pick < x.3 {
                    true
                } else {
                    pick -= x.3;
                    false
                }
            })
            .unwrap_or(0);
        let (port, protocol, size, _) = SERVICES[s];
        let servers = &self.servers[s];
        let server = servers[self.rng.heavy(servers.len())];
        let outside = port == 443 || port == 80;
        let client_ip = if outside && self.rng.below(3) == 0 {
            self.internet[self.rng.heavy(self.internet.len())]
        } else {
            // A host never talks to itself in a flow log (and accounts reuse private
            // addresses): take the next interface with another address instead.
            let n = self.interfaces.len();
            let first = self.rng.heavy(n);
            let server_ip = self.interfaces[server].ip;
            (0..n)
                .map(|k| self.interfaces[(first + k) % n].ip)
                .find(|ip| *ip != server_ip)
                .unwrap_or(server_ip)
        };
        let eph = 32_768 + self.rng.below(28_000) as u16;
        // Heavy-tailed sizes: most requests small, a few very large.
        let scale = 1.0 / (0.02 + self.rng.unit()).powi(2);
        let bytes = (size as f64 * scale) as u64;
        let packets = (bytes / 1_200).max(1) + self.rng.below(4);
        let server_ip = self.interfaces[server].ip;
        if unlogged(server) {
            return 2.0;
        }
        out.push(DemoRecord {
            protocol,
            packets,
            bytes: bytes / 8 + 60,
            ..DemoRecord::tcp(server, (client_ip, eph), (server_ip, port), (start, end))
        });
        out.push(DemoRecord {
            protocol,
            packets,
            bytes,
            ingress: false,
            ..DemoRecord::tcp(server, (server_ip, port), (client_ip, eph), (start, end))
        });
        2.0
    }

    /// Appends `r` as one line (with its newline) in the generator's format.
    pub fn format(&self, r: &DemoRecord, out: &mut String) {
        let nic = &self.interfaces[r.interface % self.interfaces.len()];
        let _ = if r.status != "OK" {
            write!(
                out,
                "2 {} {} - - - - - - - {} {} - {}",
                nic.account, nic.eni, r.start, r.end, r.status
            )
        } else {
            write!(
                out,
                "2 {} {} {} {} {} {} {} {} {} {} {} {} OK",
                nic.account,
                nic.eni,
                r.src.0,
                r.dst.0,
                r.src.1,
                r.dst.1,
                r.protocol,
                r.packets,
                r.bytes,
                r.start,
                r.end,
                if r.accept { "ACCEPT" } else { "REJECT" },
            )
        };
        if self.format != DemoFormat::V2 {
            if r.status != "OK" {
                let _ = write!(
                    out,
                    " {} {} {} - - - - {REGION} {} - - - - - -",
                    nic.vpc, nic.subnet, nic.instance, nic.az
                );
            } else {
                let flags = match (r.protocol, r.accept, r.ingress) {
                    (6, true, _) => "19",
                    (6, false, _) => "2",
                    _ => "0",
                };
                let (direction, path) = if r.ingress {
                    ("ingress", "-")
                } else if r.dst.0.is_private() {
                    ("egress", "1")
                } else {
                    ("egress", "8")
                };
                let _ = write!(
                    out,
                    " {} {} {} {flags} IPv4 {} {} {REGION} {} - - - - {direction} {path}",
                    nic.vpc, nic.subnet, nic.instance, r.src.0, r.dst.0, nic.az
                );
            }
        }
        if self.format == DemoFormat::V10 {
            let reason = r.reject_reason.unwrap_or("-");
            let _ = match r.status {
                "OK" => write!(out, " {reason} {}", encryption(r)),
                _ => write!(out, " - -"),
            };
        }
        out.push('\n');
    }
}

/// A record's `encryption-status`: TLS on 443, Nitro between the VPCs' own addresses,
/// both for 443 inside, cleartext otherwise.
fn encryption(r: &DemoRecord) -> u8 {
    let tls = r.src.1 == 443 || r.dst.1 == 443;
    let inside = r.src.0.is_private() && r.dst.0.is_private();
    match (inside, tls) {
        (true, true) => 3,
        (true, false) => 1,
        (false, true) => 2,
        (false, false) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(seed: u64, format: DemoFormat, secs: u64) -> String {
        let mut g = Generator::new(seed, format, 1_700_000_000, 300.0);
        let mut recs = Vec::new();
        g.records_until(1_700_000_000 + secs, &mut recs);
        let mut out = String::new();
        for r in &recs {
            g.format(r, &mut out);
        }
        out
    }

    #[test]
    fn the_same_seed_gives_the_same_lines_and_another_seed_does_not() {
        assert_eq!(lines(7, DemoFormat::V2, 30), lines(7, DemoFormat::V2, 30));
        assert_ne!(lines(7, DemoFormat::V2, 30), lines(8, DemoFormat::V2, 30));
    }

    #[test]
    fn records_end_in_time_order_within_their_second() {
        let mut g = Generator::new(1, DemoFormat::V2, 1_700_000_000, 200.0);
        let mut recs = Vec::new();
        g.records_until(1_700_000_010, &mut recs);
        assert!(recs.windows(2).all(|w| w[0].end <= w[1].end));
        assert!(
            recs.iter()
                .all(|r| r.start <= r.end && r.start >= 1_700_000_000)
        );
        assert_eq!(g.now(), 1_700_000_010);
    }

    #[test]
    fn the_rate_is_kept_roughly() {
        let mut g = Generator::new(3, DemoFormat::V2, 1_700_000_000, 500.0);
        let mut recs = Vec::new();
        // Outside every incident's busiest stretch: background only is ~500/s.
        g.records_until(1_700_000_001, &mut recs);
        assert!((400..700).contains(&recs.len()), "{}", recs.len());
    }

    #[test]
    fn no_host_talks_to_itself() {
        // Regression: an internal client could be drawn equal to its server (588 flows of
        // 10.0.0.10 -> 10.0.0.10 in the demo); real flow logs never show that.
        for seed in [1, 7, 42] {
            let mut g = Generator::new(seed, DemoFormat::V2, 1_700_000_000, 400.0);
            let mut recs = Vec::new();
            g.records_until(1_700_000_120, &mut recs);
            let own = recs
                .iter()
                .filter(|r| r.status == "OK" && r.src.0 == r.dst.0)
                .count();
            assert_eq!(own, 0, "seed {seed}: {own} of {} records", recs.len());
        }
    }
}
