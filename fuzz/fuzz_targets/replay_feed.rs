//! The replay feed. An input cut into lines in blocks of any size, read in pieces of any size,
//! gives the lines that splitting it at newlines gives, and a field found with a line's end
//! is the one `nth_field` finds in the line. A full-speed replay of two inputs
//! hands on every line once, with the text, number and offset it was read at, and counts
//! them as the batch framer does.
#![no_main]

use std::collections::HashSet;
use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use vpctop::source::block::BlockPool;
use vpctop::source::replay::lines::{BlockReader, Next};
use vpctop::source::replay::{ReplayConfig, Speed, replay_inputs};
use vpctop::source::{ChunkBody, InputSpec};
use vpctop_fuzz::{Memory, Pieces, classify_all, frame, v2};

#[derive(Arbitrary, Debug)]
struct Case<'a> {
    block: u16,
    cuts: Vec<u8>,
    a: &'a [u8],
    b: &'a [u8],
}

/// Owned bytes handed out in pieces of the sizes `cuts` says (a reader must be `'static`).
struct Cut {
    data: Vec<u8>,
    cuts: Vec<u8>,
    at: usize,
    turn: usize,
}

impl Read for Cut {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let size = match self.cuts.get(self.turn % self.cuts.len().max(1)) {
            Some(c) => usize::from(*c).max(1),
            None => buf.len(),
        };
        self.turn += 1;
        let n = size.min(buf.len()).min(self.data.len() - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// The lines of `data` as a split at newlines has them, with the bytes each takes.
fn split(data: &[u8]) -> Vec<(&[u8], u64)> {
    let mut out = Vec::new();
    for piece in data.split_inclusive(|b| *b == b'\n') {
        let text = piece.strip_suffix(b"\n").unwrap_or(piece);
        out.push((text, piece.len() as u64));
    }
    out
}

fuzz_target!(|case: Case<'_>| {
    // Lines in blocks, against the split.
    let mut reader = BlockReader::new(
        Box::new(Cut {
            data: case.a.to_vec(),
            cuts: case.cuts.clone(),
            at: 0,
            turn: 0,
        }),
        Arc::new(BlockPool::default()),
        usize::from(case.block % 512).max(1),
    );
    let mut prefix = Vec::new();
    let mut got = Vec::new();
    // Half the cases also ask for a field with each line, as the replay's merge does.
    let field = usize::from(case.block >> 11);
    let with_field = case.block & 0x400 != 0;
    loop {
        let (next, found) = if with_field {
            reader.next_with_field(&mut prefix, Some(field))
        } else {
            reader.next(&mut prefix).map(|n| (n, None))
        }
        .expect("reading memory never fails");
        match next {
            Next::Line { start, end, used } => {
                let bytes = reader.block().bytes();
                let text = bytes[start as usize..end as usize].to_vec();
                if let Some((a, b)) = found {
                    let want = vpctop::parse::nth_field(vpctop::parse::strip_cr(&text), field);
                    assert_eq!(
                        Some(&bytes[a as usize..b as usize]),
                        want,
                        "the field found with the line's end"
                    );
                }
                got.push((text, used));
            }
            Next::Overlong(_) => panic!("no line here is over-long"),
            Next::End => break,
        }
    }
    let want: Vec<(Vec<u8>, u64)> = split(case.a)
        .into_iter()
        .map(|(t, u)| (t.to_vec(), u))
        .collect();
    assert_eq!(got, want, "the lines depend on the blocks");

    // A whole replay of two inputs, against the batch framer. Inputs are told apart by their
    // first bytes: gzip and Parquet are other targets' (`gzip`, `input_bytes`).
    let inputs = [case.a, case.b];
    if inputs
        .iter()
        .any(|d| d.starts_with(&[0x1f, 0x8b]) || d.starts_with(vpctop::source::PARQUET_MAGIC))
    {
        return;
    }
    let specs: Vec<InputSpec> = inputs
        .iter()
        .enumerate()
        .map(|(i, d)| InputSpec::Remote(Arc::new(Memory::new(&format!("s3://b/{i}"), d.to_vec()))))
        .collect();
    let config = ReplayConfig {
        speed: Speed::Max,
        from: None,
        to: None,
        control: None,
    };
    let mut chunks = Vec::new();
    let (errors, _) = replay_inputs(
        &specs,
        (&v2(), None, None),
        &config,
        &mut |c| chunks.push(c),
        &AtomicBool::new(false),
    );
    assert!(errors.is_empty(), "{errors:?}");
    let mut seen = HashSet::new();
    for c in &chunks {
        if let ChunkBody::Picked { blocks, lines } = &c.body {
            let data = inputs[c.input as usize];
            for l in lines {
                let text = &blocks[l.block as usize].bytes()[l.start as usize..l.end as usize];
                let at = l.place.offset as usize;
                assert_eq!(
                    &data[at..at + text.len()],
                    text,
                    "the text read at its offset"
                );
                let before = data[..at].iter().filter(|b| **b == b'\n').count() as u64;
                assert_eq!(l.place.line_no, before + 1, "its line number");
                assert!(
                    seen.insert((c.input, l.place.line_no)),
                    "a line handed on twice"
                );
            }
        }
    }
    let replayed = classify_all(&chunks);
    let mut batch = vpctop::core::LineCounts::default();
    for d in inputs {
        let (framed, _, failed) = frame(&mut Pieces::new(d, &[]), v2(), 1 << 16, false);
        assert!(!failed);
        batch.merge(&classify_all(&framed));
    }
    assert_eq!(
        (
            replayed.lines,
            replayed.records,
            replayed.headers,
            replayed.blank,
            replayed.malformed
        ),
        (
            batch.lines,
            batch.records,
            batch.headers,
            batch.blank,
            batch.malformed
        ),
        "replay counts what report counts"
    );
});
