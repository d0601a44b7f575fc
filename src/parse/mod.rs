//! One flow-log line → a typed record, or the exact reason it is malformed.
//!
//! Owns: the value types ([`values`]), taking envelopes off a line ([`envelope`]: CloudWatch
//! payloads, `{"message": "…"}` JSON lines, `aws logs tail` prefixes), splitting it into
//! fields ([`tokens`]), decoding each field by its [`FieldKind`](crate::schema::FieldKind) with `-` as absent
//! ([`decode`]), and the fast path for default-format lines (`flow`, [`flow_v2_line`]); both
//! decoders read bytes a block at a time with the helpers of `scan`.
//!
//! Hot path: [`LineParser::parse`] runs once per line on every worker. It allocates nothing for
//! a valid line: values land in a buffer the parser owns and reuses, and text values are spans
//! of the line. Malformed lines are cheap too: the reason is a small enum, turned into words
//! only when an example is kept ([`Malformed::describe`]).
//!
//! Never: decides what a header is (that is `schema`), or aggregates.

pub mod decode;
pub mod envelope;
mod flow;
mod scan;
pub mod tokens;
pub mod values;

pub use decode::{parse_addr, parse_u64};
pub use envelope::{Payload, PayloadEvent};
pub use flow::{Flow, flow_v2, flow_v2_line, nth_field};
pub use scan::{LineField, line_and_field};
pub use tokens::{is_blank, strip_cr};
pub use values::{Action, Line, LogStatus, Malformed, MalformedKind, Record, Span, Value};

use crate::schema::Schema;
use decode::decode;
use envelope::{Unwrapped, unwrap_line};
/// Decodes lines of one format, reusing its value buffer from line to line.
#[derive(Debug)]
pub struct LineParser {
    values: Vec<Value>,
    unwrapped: Vec<u8>,
    ends: decode::FieldEnds,
}

impl Default for LineParser {
    fn default() -> Self {
        LineParser::new()
    }
}

impl LineParser {
    /// A parser with an empty value buffer.
    pub fn new() -> LineParser {
        LineParser {
            values: Vec::with_capacity(64),
            unwrapped: Vec::new(),
            ends: decode::NO_ENDS,
        }
    }

    /// Classifies and decodes one line (without its `\n`) according to `schema`.
    pub fn parse<'a>(&'a mut self, schema: &'a Schema, line: &'a [u8]) -> Line<'a> {
        if is_blank(strip_cr(line)) {
            return Line::Blank;
        }
        let text = match unwrap_line(line, schema) {
            Unwrapped::Plain(text) => text,
            Unwrapped::Message(message) => {
                self.unwrapped = message;
                &self.unwrapped
            }
        };
        match decode(schema, text, &mut self.values, &mut self.ends) {
            Ok(()) => Line::Record(Record {
                schema,
                values: &self.values,
                text,
            }),
            Err(m) => Line::Malformed(m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::decode::parse_ipv4;
    use super::*;
    use crate::schema::Field;
    use proptest::prelude::*;
    use std::net::{IpAddr, Ipv4Addr};

    const V2: &[u8] =
        b"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK";

    fn parse_v2(line: &[u8]) -> Result<Vec<Value>, Malformed> {
        let schema = Schema::default_v2();
        let mut p = LineParser::new();
        match p.parse(&schema, line) {
            Line::Record(r) => Ok(r.values().to_vec()),
            Line::Malformed(m) => Err(m),
            Line::Blank => panic!("blank"),
        }
    }

    fn reason_v2(line: &[u8]) -> String {
        let schema = Schema::default_v2();
        parse_v2(line).unwrap_err().describe(&schema, line)
    }

    #[test]
    fn decodes_a_default_record() {
        let schema = Schema::default_v2();
        let mut p = LineParser::new();
        let Line::Record(r) = p.parse(&schema, V2) else {
            panic!("not a record")
        };
        assert_eq!(r.uint(Field::Version), Some(2));
        assert_eq!(r.text_of(Field::AccountId), Some(&b"123456789010"[..]));
        assert_eq!(
            r.addr(Field::SrcAddr),
            Some("172.31.16.139".parse().unwrap())
        );
        assert_eq!(r.uint(Field::DstPort), Some(22));
        assert_eq!(r.uint(Field::Bytes), Some(4249));
        assert_eq!(r.action(), Some(Action::Accept));
        assert_eq!(r.log_status(), Some(LogStatus::Ok));
        assert_eq!(r.get(Field::VpcId), None);
    }

    #[test]
    fn dash_is_absent_in_every_kind_of_field() {
        let values = parse_v2(b"2 123 eni-1 - - - - - - - 1431280876 1431280934 - NODATA").unwrap();
        assert!(values[3..10].iter().all(|v| *v == Value::Absent));
        assert_eq!(values[12], Value::Absent);
        assert_eq!(values[13], Value::Status(LogStatus::NoData));
    }

    #[test]
    fn runs_of_spaces_crlf_and_edges_are_tolerated() {
        let doubled = b"  2 123 eni-1 10.0.0.1  10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK  \r";
        assert!(parse_v2(doubled).is_ok());
    }

    #[test]
    fn counters_above_u32_and_up_to_u64_max_are_real() {
        let line =
            b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 18446744073709551615 4294967296 1 2 ACCEPT OK";
        let v = parse_v2(line).unwrap();
        assert_eq!(v[8], Value::Uint(u64::MAX));
        assert_eq!(v[9], Value::Uint(1 << 32));
        let over = b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 18446744073709551616 1 1 2 ACCEPT OK";
        assert_eq!(
            reason_v2(over),
            "packets: \"18446744073709551616\" is larger than 18446744073709551615"
        );
        let zeros = b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 000000000000000000000007 1 1 2 ACCEPT OK";
        assert_eq!(parse_v2(zeros).unwrap()[8], Value::Uint(7));
    }

    #[test]
    fn each_malformed_reason_names_field_and_value() {
        let cases: &[(&[u8], &str)] = &[
            (
                b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT",
                "expected 14 fields, found 13",
            ),
            (
                b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK #c",
                "expected 14 fields, found 15",
            ),
            (
                b"2 1 eni-1 10.0.0.1 10.0.0.2 1 abc 6 1 1 1 2 ACCEPT OK",
                "dstport: \"abc\" is not a number",
            ),
            (
                b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 -5 1 2 ACCEPT OK",
                "bytes: \"-5\" is negative",
            ),
            (
                b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1.5 1 2 ACCEPT OK",
                "bytes: \"1.5\" is not a number",
            ),
            (
                b"2 1 eni-1 10.0.0.1 10.0.0.2 70000 2 6 1 1 1 2 ACCEPT OK",
                "srcport: \"70000\" is larger than 65535",
            ),
            (
                b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 256 1 1 1 2 ACCEPT OK",
                "protocol: \"256\" is larger than 255",
            ),
            (
                b"2 1 eni-1 10.0.0.256 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK",
                "srcaddr: \"10.0.0.256\" is not an IP address",
            ),
            (
                b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 DENY OK",
                "action: \"DENY\" is not ACCEPT or REJECT",
            ),
            (
                b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT ok",
                "log-status: \"ok\" is not OK, NODATA or SKIPDATA",
            ),
            (
                b"2 1 eni\x1b[31m 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK",
                "interface-id: control character in \"eni\\x1b[31m\"",
            ),
            (
                b"2 1\teni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK",
                "expected 14 fields, found 13",
            ),
        ];
        for (line, want) in cases {
            assert_eq!(&reason_v2(line), want, "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn nul_bytes_and_invalid_utf8() {
        let nul = b"2 1 eni-\x00 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK";
        assert_eq!(
            parse_v2(nul).unwrap_err().kind,
            MalformedKind::ControlCharacter
        );
        // Invalid UTF-8 in a text field is kept (decoded lossily on output)…
        let latin1 = b"2 1 eni-\xe9 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK";
        assert!(parse_v2(latin1).is_ok());
        // …but never accepted where a number or address belongs.
        let bad = b"2 1 eni-1 10.0.0.\xff 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK";
        assert_eq!(parse_v2(bad).unwrap_err().kind, MalformedKind::BadAddress);
    }

    #[test]
    fn ipv6_in_full_and_compressed_forms() {
        assert_eq!(
            parse_addr(b"2a02:cf40::"),
            Some("2a02:cf40::".parse().unwrap())
        );
        assert!(parse_addr(b"2001:db8:1234:a100:8d6e:3477:df66:f105").is_some());
        assert!(parse_addr(b"::ffff:10.0.0.1").is_some());
        assert_eq!(parse_addr(b"2001:db8::g"), None);
        assert_eq!(parse_addr(b"eni-1"), None);
    }

    #[test]
    fn message_wrapped_json_is_unwrapped() {
        let schema = Schema::default_v2();
        let mut p = LineParser::new();
        let line = br#"{"message":"2 428961148399 eni-0e0bf7be352692297 - - - - - - - 1671029698 1671029728 - NODATA"}"#;
        let Line::Record(r) = p.parse(&schema, line) else {
            panic!()
        };
        assert_eq!(r.log_status(), Some(LogStatus::NoData));
        assert_eq!(
            r.text_of(Field::InterfaceId),
            Some(&b"eni-0e0bf7be352692297"[..])
        );
    }

    #[test]
    fn cloudwatch_timestamps_and_log_stream_names_are_taken_off() {
        let schema = Schema::default_v2();
        let mut p = LineParser::new();
        let record = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK";
        for line in [
            format!("2024-11-23T12:34:56.789000+00:00 eni-1235b8ca123456789-all {record}"),
            format!("2024-11-23T12:34:56.789Z {record}"),
            format!("2024-11-23T12:34:56Z  {record}\r"),
        ] {
            let Line::Record(r) = p.parse(&schema, line.as_bytes()) else {
                panic!("{line}")
            };
            assert_eq!(r.uint(Field::DstPort), Some(22), "{line}");
            assert_eq!(r.text(), record.as_bytes());
        }
        // A stream name but a field short: the name is read as the first field, and the
        // reason quotes it.
        let short =
            "2024-11-23T12:34:56Z eni-1-all 2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT";
        let Line::Malformed(m) = p.parse(&schema, short.as_bytes()) else {
            panic!()
        };
        assert_eq!(
            m.describe(&schema, short.as_bytes()),
            "version: \"eni-1-all\" is not a number"
        );
        // Not a timestamp: left alone.
        let odd = "2024-11-23 12:34:56 x";
        assert!(matches!(
            p.parse(&schema, odd.as_bytes()),
            Line::Malformed(_)
        ));
    }

    #[test]
    fn blank_lines() {
        let schema = Schema::default_v2();
        let mut p = LineParser::new();
        for line in [&b""[..], b"   ", b"\r", b" \t "] {
            assert!(matches!(p.parse(&schema, line), Line::Blank));
        }
    }

    proptest! {
        #[test]
        fn ipv4_fast_path_agrees_with_std(s in "[0-9.]{0,17}") {
            let ours = parse_ipv4(s.as_bytes());
            let std = s.parse::<Ipv4Addr>().ok();
            prop_assert_eq!(ours, std);
        }

        #[test]
        fn address_fields_agree_with_std(addr in "[0-9.:a-f]{0,20}") {
            let schema = Schema::parse_format("srcaddr srcport").unwrap();
            let line = format!("{addr} 1");
            let mut p = LineParser::new();
            let ours = match p.parse(&schema, line.as_bytes()) {
                Line::Record(r) => r.addr(Field::SrcAddr).map(Some),
                _ => None,
            };
            let std = if addr == "-" { Some(None) } else { addr.parse::<IpAddr>().ok().map(Some) };
            if addr.is_empty() || addr == "-" {
                return Ok(());
            }
            prop_assert_eq!(ours, std);
        }

        #[test]
        fn u64_parsing_agrees_with_std(s in "[0-9]{1,25}") {
            let ours = parse_u64(s.as_bytes()).ok();
            prop_assert_eq!(ours, s.parse::<u64>().ok());
        }

        #[test]
        fn arbitrary_bytes_never_panic(line in proptest::collection::vec(any::<u8>(), 0..300)) {
            let schema = Schema::default_v2();
            let mut p = LineParser::new();
            if let Line::Malformed(m) = p.parse(&schema, &line) {
                let reason = m.describe(&schema, &line);
                prop_assert!(!reason.is_empty());
                prop_assert!(!reason.bytes().any(|b| b < 0x20 || b == 0x7f));
            }
        }
    }
}
