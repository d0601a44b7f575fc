//! Deterministic flow records for tests, with the values kept for reference answers.

/// A small deterministic generator (xorshift), so the test owns its data and its answers.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One generated v2 record, kept as values for the reference computation.
pub struct Rec {
    pub eni: String,
    pub src: String,
    pub dst: String,
    pub dstport: u16,
    pub proto: u8,
    pub packets: u64,
    pub bytes: u64,
    pub start: u64,
    pub end: u64,
    pub action: &'static str,
    pub status: &'static str,
}

impl Rec {
    pub fn line(&self) -> String {
        if self.status != "OK" {
            return format!(
                "2 123456789012 {} - - - - - - - {} {} - {}",
                self.eni, self.start, self.end, self.status
            );
        }
        format!(
            "2 123456789012 {} {} {} 40000 {} {} {} {} {} {} {} OK",
            self.eni,
            self.src,
            self.dst,
            self.dstport,
            self.proto,
            self.packets,
            self.bytes,
            self.start,
            self.end,
            self.action
        )
    }
}

pub fn generate(rng: &mut Rng, n: usize) -> Vec<Rec> {
    let hosts: Vec<String> = (0..40)
        .map(|i| {
            if i % 10 == 9 {
                format!("2001:db8::{:x}", i * 7)
            } else {
                format!("10.0.{}.{}", i / 7, i * 3 % 250)
            }
        })
        .collect();
    (0..n)
        .map(|_| {
            let status = match rng.below(50) {
                0 => "NODATA",
                1 => "SKIPDATA",
                _ => "OK",
            };
            let start = 1_700_000_000 + rng.below(3600);
            Rec {
                eni: format!("eni-{:04x}", rng.below(12)),
                src: hosts[rng.below(hosts.len() as u64) as usize].clone(),
                dst: hosts[rng.below(8) as usize].clone(),
                dstport: [22, 80, 443, 3306, 5432][rng.below(5) as usize],
                proto: [6, 6, 17, 1][rng.below(4) as usize],
                packets: rng.below(100),
                // Some byte counts above u32::MAX.
                bytes: if rng.below(100) == 0 {
                    (1 << 33) + rng.below(1000)
                } else {
                    rng.below(100_000)
                },
                start,
                end: start + rng.below(600),
                action: if rng.below(10) == 0 {
                    "REJECT"
                } else {
                    "ACCEPT"
                },
                status,
            }
        })
        .collect()
}
