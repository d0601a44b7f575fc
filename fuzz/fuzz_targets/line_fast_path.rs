//! The default format's fast path against the general parser: on every line both read, they
//! read the same flow; the fast path declines nothing the general parser calls malformed
//! into a record; finding a field and `start` without decoding agrees with the tokenizer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpctop::parse::{Flow, Line, LineParser, flow_v2, flow_v2_line, nth_field, strip_cr};
use vpctop::schema::{Field, Schema};
use vpctop::source::replay::quick_start;

fuzz_target!(|data: &[u8]| {
    let schema = Schema::default_v2();
    let line = &data[..memchr_nl(data).unwrap_or(data.len())];
    let mut parser = LineParser::new();
    let general = match parser.parse(&schema, line) {
        Line::Record(r) => Some(Flow::from_record(&r)),
        _ => None,
    };
    // Whole line: whatever the fast path reads, the general parser reads the same.
    if let Some(fast) = flow_v2(strip_cr(line)) {
        assert_eq!(Some(fast), general, "{:?}", String::from_utf8_lossy(line));
    }
    // Within a chunk: the same answer as the whole line, and the line's length with its end.
    if let Some((fast, used)) = flow_v2_line(data) {
        assert_eq!(Some(fast), flow_v2(strip_cr(line)));
        assert_eq!(used, (line.len() + 1).min(data.len()));
    } else {
        assert!(
            flow_v2(strip_cr(line)).is_none(),
            "declined in a chunk, taken alone: {:?}",
            String::from_utf8_lossy(line)
        );
    }
    // A field found 16 bytes at a time is the tokenizer's field.
    let text = strip_cr(line);
    for index in [0, 1, 10, 13, 20] {
        if let Some(field) = nth_field(text, index) {
            let reference = text
                .split(|b| *b == b' ')
                .filter(|t| !t.is_empty())
                .nth(index);
            assert_eq!(Some(field), reference, "field {index}");
        }
    }
    // Replay's `start` read without decoding is the record's.
    if let Some(start) = schema
        .position(Field::Start)
        .and_then(|i| quick_start(line, i))
    {
        let mut parser = LineParser::new();
        if let Line::Record(r) = parser.parse(&schema, line) {
            assert_eq!(r.uint(Field::Start), Some(start));
        }
    }
});

fn memchr_nl(data: &[u8]) -> Option<usize> {
    data.iter().position(|b| *b == b'\n')
}
