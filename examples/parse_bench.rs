//! Measures the line decoders alone, on one core and without I/O: the first `MB` megabytes
//! (default 256) of a file are read into memory once, then decoded line by line in 1 MB
//! chunks of whole lines, as report workers see them, best of 7.
//!
//!     cargo run --release --example parse_bench -- /tmp/flows10m.log [MB]
//!
//! A file in the default format goes through the fast path (`flow_v2_line`; lines it declines
//! are skipped to their newline). A file that starts with a header line of another format
//! (an S3 delivery, `bench/to_v5.py`'s output) goes through the general parser,
//! [`LineParser`](vpctop::parse::LineParser), in that format.
//!
//! Prints ns per line and MB/s; steadier than timing `report`, whose wall time on a shared
//! 2-core machine varies by about ±5 % from run to run.

use std::hint::black_box;
use std::io::Read;
use std::time::Instant;

use vpctop::parse::{Line, LineParser, flow_v2_line};
use vpctop::schema::{Field, Schema};

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
    // A header line of a format other than the default one: the general parser's file.
    let first_end = memchr::memchr(b'\n', &data).unwrap_or(data.len());
    let header = Schema::from_header_line(&data[..first_end]);
    let general = header.as_ref().filter(|s| !s.is_default_v2());
    if header.is_some() {
        data.drain(..(first_end + 1).min(data.len()));
    }
    let mut parser = LineParser::new();
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
                let rest = &chunk[at..];
                if let Some(schema) = general {
                    let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
                    if let Line::Record(r) = parser.parse(schema, &rest[..end]) {
                        taken += 1;
                        check = check.wrapping_add(r.uint(Field::Bytes).unwrap_or(0));
                    }
                    at += end + 1;
                    continue;
                }
                match flow_v2_line(rest) {
                    Some((flow, used)) => {
                        taken += 1;
                        check = check.wrapping_add(flow.bytes.unwrap_or(0));
                        at += used;
                    }
                    None => at += memchr::memchr(b'\n', rest).map_or(rest.len(), |e| e + 1),
                }
            }
            from = to;
        }
        black_box(check);
        best = best.min(started.elapsed().as_secs_f64());
        (lines, fast) = (n, taken);
    }
    let path_name = if general.is_some() {
        "decoded by the general parser"
    } else {
        "on the fast path"
    };
    println!(
        "{lines} lines ({fast} {path_name}), {:.1} MB: best {:.1} ms = {:.1} ns/line, {:.0} MB/s",
        data.len() as f64 / 1e6,
        best * 1e3,
        best * 1e9 / lines as f64,
        data.len() as f64 / 1e6 / best
    );
    Ok(())
}
