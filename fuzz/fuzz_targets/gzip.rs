//! Gzip inputs as vpctop opens them (by their magic bytes, every member of a concatenated
//! file read): an intact file reads as its text, line for line; a truncated or damaged one
//! reads as a prefix of it, fails with an error rather than a panic, and every line read is
//! still counted once; cut before its magic bytes, it is no gzip and reads as what it holds.
#![no_main]

use std::io::Write;
use std::sync::Arc;

use arbitrary::Arbitrary;
use flate2::Compression;
use flate2::write::GzEncoder;
use libfuzzer_sys::fuzz_target;
use vpctop::source::input::RemoteInput;
use vpctop::source::{InputSpec, Opened, open_rows_or_text};
use vpctop_fuzz::{Memory, classify_all, frame, lines_in, v2};

#[derive(Arbitrary, Debug)]
struct Case<'a> {
    /// Where the text is cut into two gzip members.
    member_at: u16,
    /// Where the file is cut short (`u16::MAX`: not at all).
    truncate_at: u16,
    /// A byte changed (`None`: none), by position and xor.
    damage: Option<(u16, u8)>,
    text: &'a [u8],
}

fn gzip(text: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(text).expect("to memory");
    e.finish().expect("to memory")
}

fuzz_target!(|case: Case<'_>| {
    let cut = usize::from(case.member_at).min(case.text.len());
    let mut file = gzip(&case.text[..cut]);
    file.extend(gzip(&case.text[cut..]));
    let intact = case.truncate_at == u16::MAX && case.damage.is_none();
    if let Some((at, xor)) = case.damage
        && !file.is_empty()
    {
        let at = usize::from(at) % file.len();
        file[at] ^= xor.max(1);
    }
    if case.truncate_at != u16::MAX {
        file.truncate(usize::from(case.truncate_at));
    }
    let kept = file.clone();
    let object: Arc<dyn RemoteInput> = Arc::new(Memory::new("s3://b/k.log.gz", file));
    let Ok(Opened::Text(mut input)) = open_rows_or_text(&InputSpec::Remote(object), None) else {
        // A damaged header can make the bytes not gzip, or not anything: never a panic.
        return;
    };
    let (chunks, read, failed) = frame(&mut input.reader, v2(), 4096, false);
    let counts = classify_all(&chunks);
    let lines: Vec<u8> = chunks
        .iter()
        .flat_map(|c| match &c.body {
            vpctop::source::ChunkBody::Lines(d) => d.clone(),
            other => panic!("unexpected body {other:?}"),
        })
        .collect();
    if intact {
        assert!(input.gzip);
        assert!(!failed, "an intact file failed");
        assert_eq!(read, case.text.len() as u64);
        assert_eq!(counts.lines, lines_in(case.text));
    } else if input.gzip && !failed {
        // Damage the checksums let through still reads as whole lines of some text.
        assert_eq!(counts.lines, lines_in(&lines) + counts.headers);
    }
    if !input.gzip {
        // Cut before its magic bytes, a file is not gzip: it reads as the bytes it holds.
        assert_eq!(lines, kept, "a file that is not gzip read as other bytes");
    } else if case.damage.is_none() && counts.headers == 0 {
        assert!(
            case.text.starts_with(&lines),
            "a cut file read more than its text: gzip {}, failed {failed}, {} bytes read of \
             {} written ({} kept): {:?}",
            input.gzip,
            lines.len(),
            case.text.len(),
            case.truncate_at,
            String::from_utf8_lossy(&lines[..lines.len().min(80)])
        );
    }
});
