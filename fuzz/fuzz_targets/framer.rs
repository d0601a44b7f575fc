//! The framer over arbitrary read sizes and chunk sizes: every line is counted exactly once
//! (`lines = records + headers + blank + malformed`, and as many lines as the bytes hold),
//! and how the bytes arrive changes nothing: not the counts, not the lines' text, numbers
//! or offsets, batch or live.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use vpctop::source::ChunkBody;
use vpctop_fuzz::{Pieces, classify_all, frame, lines_in, v2};

#[derive(Arbitrary, Debug)]
struct Case<'a> {
    cuts: &'a [u8],
    chunk_bytes: u8,
    live: bool,
    data: &'a [u8],
}

/// Every line's (number, offset, text) and each chunk's format, in order.
fn lines_of(chunks: &[vpctop::source::Chunk]) -> Vec<(u64, u64, Vec<u8>, String)> {
    let mut out = Vec::new();
    for c in chunks {
        let ChunkBody::Lines(data) = &c.body else {
            panic!("unexpected chunk body {:?}", c.body)
        };
        let format = c.schema.to_format_string();
        let (mut line_no, mut offset) = (c.first_line, c.first_offset);
        for line in data.split_inclusive(|b| *b == b'\n') {
            out.push((line_no, offset, line.to_vec(), format.clone()));
            line_no += 1;
            offset += line.len() as u64;
        }
    }
    out
}

fuzz_target!(|case: Case<'_>| {
    let chunk_bytes = usize::from(case.chunk_bytes).max(1);
    let mut whole = Pieces::new(case.data, &[]);
    let (reference, read, failed) = frame(&mut whole, v2(), 1 << 17, false);
    assert!(!failed);
    assert_eq!(read, case.data.len() as u64);
    let counts = classify_all(&reference);
    assert_eq!(counts.lines, lines_in(case.data), "every line counted once");

    let mut pieces = Pieces::new(case.data, case.cuts);
    let (chunks, read, failed) = frame(&mut pieces, v2(), chunk_bytes, case.live);
    assert!(!failed);
    assert_eq!(read, case.data.len() as u64);
    let split = classify_all(&chunks);
    assert_eq!(
        (
            split.lines,
            split.records,
            split.headers,
            split.blank,
            split.malformed,
            split.bytes
        ),
        (
            counts.lines,
            counts.records,
            counts.headers,
            counts.blank,
            counts.malformed,
            counts.bytes
        ),
        "the counts depend on how the bytes arrived"
    );
    assert_eq!(
        lines_of(&chunks),
        lines_of(&reference),
        "the lines depend on the reads"
    );
    let mut seqs: Vec<u64> = chunks.iter().map(|c| c.seq).collect();
    seqs.dedup();
    assert_eq!(seqs.len(), chunks.len(), "chunk numbers repeat");
});
