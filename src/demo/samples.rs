//! The sample files shipped in `assets/samples/`, made by the generator with fixed seeds and times
//! so they can be made again byte for byte (`cargo run --example make_assets`) and checked
//! by a test.

use super::generator::{DemoFormat, Generator};

/// Record time at which the samples start (2023-11-14 22:13:20 UTC).
pub const ORIGIN: u64 = 1_700_000_000;

/// One shipped sample: its file name, whether it is gzip-compressed, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// File name in `assets/`.
    pub name: &'static str,
    /// Stored gzip-compressed (the text is what it decompresses to).
    pub gzip: bool,
    /// The lines, header first.
    pub text: String,
}

fn lines(g: &mut Generator, until: u64) -> String {
    let mut recs = Vec::new();
    g.records_until(until, &mut recs);
    let mut text = format!("{}\n", g.header());
    for r in &recs {
        g.format(r, &mut text);
    }
    text
}

/// The inventory of the v2 samples' network (the same interfaces: the same seed), as the
/// files of `assets/samples/inventory/`.
pub fn sample_inventory() -> Vec<(String, String)> {
    super::inventory::files(&Generator::new(1, DemoFormat::V2, ORIGIN, 20.0))
}

/// The samples: two minutes of v2 (one whole incident cycle) with an S3 header, the next
/// minute as a gzip object, and one minute of the 29-field v5 format.
pub fn samples() -> Vec<Sample> {
    let mut v2 = Generator::new(1, DemoFormat::V2, ORIGIN, 20.0);
    let first = lines(&mut v2, ORIGIN + 120);
    let next = lines(&mut v2, ORIGIN + 180);
    let mut v5 = Generator::new(2, DemoFormat::V5, ORIGIN + 600, 12.0);
    let custom = lines(&mut v5, ORIGIN + 660);
    vec![
        Sample {
            name: "demo-v2.log",
            gzip: false,
            text: first,
        },
        Sample {
            name: "demo-v2-next.log.gz",
            gzip: true,
            text: next,
        },
        Sample {
            name: "demo-v5.log",
            gzip: false,
            text: custom,
        },
    ]
}
