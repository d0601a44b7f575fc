//! Format strings (`--format`, `${field}` lists) and S3 header lines: reading one never
//! panics; a format reads back from the text it prints as the same format; a line parsed in
//! it gives a record or a reason that is safe to print; the laid-out decoder and the byte loop
//! give the same values or the same reason.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpctop::parse::decode::decode_both_ways_for_fuzzing;
use vpctop::parse::{Line, LineParser};
use vpctop::schema::Schema;
use vpctop_fuzz::assert_printable;

fuzz_target!(|data: &[u8]| {
    let (head, line) = match data.iter().position(|b| *b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &b""[..]),
    };
    let mut schemas = Vec::new();
    if let Some(s) = Schema::from_header_line(head) {
        schemas.push(s);
    }
    if let Ok(text) = std::str::from_utf8(head)
        && let Ok(s) = Schema::parse_format(text)
    {
        schemas.push(s);
    }
    for schema in schemas {
        let printed = schema.to_format_string();
        let again = Schema::parse_format(&printed)
            .unwrap_or_else(|e| panic!("{printed:?} does not read back: {e}"));
        assert_eq!(again.columns(), schema.columns(), "{printed:?}");
        let _ = schema.require_known();
        let text = line.strip_suffix(b"\r").unwrap_or(line);
        let [(fast, laid), (slow, plain)] = decode_both_ways_for_fuzzing(&schema, text);
        assert_eq!(fast, slow, "{text:?}");
        if fast.is_ok() {
            assert_eq!(laid, plain, "{text:?}");
        }
        let mut parser = LineParser::new();
        match parser.parse(&schema, line) {
            Line::Record(r) => {
                assert_eq!(r.values().len(), schema.len());
                for column in schema.columns() {
                    let _ = column.json_key();
                }
            }
            Line::Malformed(m) => assert_printable(&m.describe(&schema, line)),
            Line::Blank => {}
        }
    }
});
