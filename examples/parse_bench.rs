//! Measures the default-format fast path alone, on one core and without I/O: the first
//! `MB` megabytes (default 256) of a file are read into memory once, then decoded line by
//! line with `flow_v2_line` in 1 MB chunks of whole lines, as report workers see them
//! (lines it declines are skipped to their newline), best of 7.
//!
//!     cargo run --release --example parse_bench -- /tmp/flows10m.log [MB]
//!
//! Prints ns per line and MB/s; steadier than timing `report`, whose wall time on a shared
//! 2-core machine varies by about ±5 % from run to run.

use std::hint::black_box;
use std::io::Read;
use std::time::Instant;

use vpctop::parse::flow_v2_line;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: parse_bench FILE [MB]"))?;
    let mb: u64 = args.next().map_or(Ok(256), |s| s.parse())?;
    let mut data = Vec::new();
    std::fs::File::open(&path)?
        .take(mb << 20)
        .read_to_end(&mut data)?;
    // Whole lines only.
    if let Some(last) = memchr::memrchr(b'\n', &data) {
        data.truncate(last + 1);
    }
    let mut best = f64::MAX;
    let (mut lines, mut fast) = (0u64, 0u64);
    for _ in 0..7 {
        let started = Instant::now();
        let (mut n, mut taken, mut check) = (0u64, 0u64, 0u64);
        let mut from = 0;
        while from < data.len() {
            // 1 MB of whole lines, as the framer cuts them.
            let cut = (from + (1 << 20)).min(data.len());
            let to = memchr::memrchr(b'\n', &data[from..cut]).map_or(cut, |e| from + e + 1);
            let chunk = &data[from..to];
            let mut at = 0;
            while at < chunk.len() {
                n += 1;
                match flow_v2_line(&chunk[at..]) {
                    Some((flow, used)) => {
                        taken += 1;
                        check = check.wrapping_add(flow.bytes.unwrap_or(0));
                        at += used;
                    }
                    None => {
                        at +=
                            memchr::memchr(b'\n', &chunk[at..]).map_or(chunk.len() - at, |e| e + 1)
                    }
                }
            }
            from = to;
        }
        black_box(check);
        best = best.min(started.elapsed().as_secs_f64());
        (lines, fast) = (n, taken);
    }
    println!(
        "{lines} lines ({fast} on the fast path), {:.1} MB: best {:.1} ms = {:.1} ns/line, {:.0} MB/s",
        data.len() as f64 / 1e6,
        best * 1e3,
        best * 1e9 / lines as f64,
        data.len() as f64 / 1e6 / best
    );
    Ok(())
}
