//! [`Flow`]: the fields of a record that aggregation reads, and the fast path that decodes a
//! default-format (v2) line straight into one.
//!
//! The fast path takes only the common case: a v2 line of at most 255 bytes with every field
//! present, single spaces, IPv4 or IPv6 addresses in hexadecimal groups (`::` compression
//! and either case included) and no control characters. Anything else (absent fields, an
//! IPv6 address with an embedded IPv4 tail, doubled spaces, errors) returns `None` and the
//! caller uses
//! [`LineParser`](super::LineParser), which gives the exact reason.
//! For every line it accepts, the fast path gives the same [`Flow`] as the general parser; a
//! property test holds it to that.

use std::net::IpAddr;

use super::decode::{action, log_status};
use super::scan::{FieldSeek, addr, lay_out_line, uint, window_spaces};
use super::{Action, LogStatus, Record};
use crate::schema::Field;

/// The fields of one record that totals and top lists are made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flow<'a> {
    /// `version`.
    pub version: Option<u8>,
    /// `account-id` as written.
    pub account: Option<&'a [u8]>,
    /// `srcport`.
    pub srcport: Option<u16>,
    /// `log-status` (`Some(Ok)` when the format has none).
    pub status: Option<LogStatus>,
    /// `start`, Unix seconds.
    pub start: Option<u64>,
    /// `end`, Unix seconds.
    pub end: Option<u64>,
    /// `bytes`.
    pub bytes: Option<u64>,
    /// `packets`.
    pub packets: Option<u64>,
    /// `action`.
    pub action: Option<Action>,
    /// `srcaddr`.
    pub src: Option<IpAddr>,
    /// `dstaddr`.
    pub dst: Option<IpAddr>,
    /// `dstport`.
    pub dstport: Option<u16>,
    /// `protocol`.
    pub protocol: Option<u8>,
    /// `interface-id` as written.
    pub interface: Option<&'a [u8]>,
}

impl<'a> Flow<'a> {
    /// The aggregation fields of a decoded record of any format.
    #[inline]
    pub fn from_record(rec: &Record<'a>) -> Flow<'a> {
        Flow {
            version: rec.uint(Field::Version).map(|v| v as u8),
            account: rec.text_of(Field::AccountId),
            srcport: rec.uint(Field::SrcPort).map(|p| p as u16),
            status: rec.log_status(),
            start: rec.uint(Field::Start),
            end: rec.uint(Field::End),
            bytes: rec.uint(Field::Bytes),
            packets: rec.uint(Field::Packets),
            action: rec.action(),
            src: rec.addr(Field::SrcAddr),
            dst: rec.addr(Field::DstAddr),
            // The parser has checked the widths (u16, u8) already.
            dstport: rec.uint(Field::DstPort).map(|p| p as u16),
            protocol: rec.uint(Field::Protocol).map(|p| p as u8),
            interface: rec.text_of(Field::InterfaceId),
        }
    }
}

/// The longest line the fast path takes (bytes, without its newline); longer ones go to
/// the general parser.
const MAX_FAST_LINE: usize = 256;

/// Separating spaces in a default-format line: one between each two of its 14 fields.
const SPACES: usize = 13;

/// Where the fields of one line are.
#[derive(Debug)]
struct Layout {
    /// The offset of each separating space (the first [`SPACES`]; the rest is scratch).
    spaces: [u32; SPACES + 8],
    /// Where the line's text ends (before `\r\n` or `\n`).
    end: usize,
    /// The bytes the line takes, its newline included.
    used: usize,
}

impl Layout {
    /// Finds the line at the start of `data` and its 14 fields: exactly 13 single spaces,
    /// no empty field, no control character; `None` otherwise.
    #[inline(always)]
    fn of(data: &[u8]) -> Option<Layout> {
        let mut spaces = [0u32; SPACES + 8];
        let line = lay_out_line(data, MAX_FAST_LINE, SPACES, &mut spaces)?;
        (line.spaces == SPACES).then_some(Layout {
            spaces,
            end: line.end,
            used: line.used,
        })
    }

    /// Where field `i` (0 to 13) starts and ends.
    #[inline(always)]
    fn bounds(&self, i: usize) -> (usize, usize) {
        let start = match i {
            0 => 0,
            _ => self.spaces[i - 1] as usize + 1,
        };
        let end = if i < SPACES {
            self.spaces[i] as usize
        } else {
            self.end
        };
        (start, end)
    }
}

/// A text field that is not `-` (the layout has ruled out control characters).
#[inline(always)]
fn text(token: &[u8]) -> Option<&[u8]> {
    (token != b"-").then_some(token)
}

/// The fourteen fields of the default-format line laid out as `at` says.
#[inline(always)]
fn fields<'a>(data: &'a [u8], at: &Layout) -> Option<Flow<'a>> {
    let field = |i: usize| {
        let (start, end) = at.bounds(i);
        &data[start..end]
    };
    let version = uint(data, at.bounds(0), u64::from(u8::MAX))? as u8;
    let account = text(field(1))?;
    let interface = text(field(2))?;
    let src = addr(field(3))?;
    let dst = addr(field(4))?;
    let srcport = uint(data, at.bounds(5), u64::from(u16::MAX))? as u16;
    let dstport = uint(data, at.bounds(6), u64::from(u16::MAX))? as u16;
    let protocol = uint(data, at.bounds(7), u64::from(u8::MAX))? as u8;
    let packets = uint(data, at.bounds(8), u64::MAX)?;
    let bytes = uint(data, at.bounds(9), u64::MAX)?;
    let start = uint(data, at.bounds(10), u64::MAX)?;
    let end = uint(data, at.bounds(11), u64::MAX)?;
    let action = action(field(12))?;
    let status = log_status(field(13))?;
    Some(Flow {
        version: Some(version),
        account: Some(account),
        srcport: Some(srcport),
        status: Some(status),
        start: Some(start),
        end: Some(end),
        bytes: Some(bytes),
        packets: Some(packets),
        action: Some(action),
        src: Some(src),
        dst: Some(dst),
        dstport: Some(dstport),
        protocol: Some(protocol),
        interface: Some(interface),
    })
}

/// The `index`-th (0-based) field of `line` (without its newline), found 64 bytes at a
/// time, when single spaces separate the fields before it: `None` when the line has fewer
/// fields, or a run of spaces (a leading space included) comes first, where the tokenizer's
/// rule (a run is one separator) is the general parser's to apply.
#[inline]
pub fn nth_field(line: &[u8], index: usize) -> Option<&[u8]> {
    let mut seek = FieldSeek::new(index);
    let mut at = 0;
    while at < line.len() && seek.searching() {
        seek.window(window_spaces(line, at), at);
        at += 64;
    }
    seek.finish(line.len())
        .map(|(start, end)| &line[start..end])
}

/// Decodes a line of the default v2 format with every field present, or returns `None`.
/// `text` is the line without `\n` and `\r`.
#[inline]
pub fn flow_v2(text: &[u8]) -> Option<Flow<'_>> {
    let layout = Layout::of(text)?;
    if layout.end != text.len() || layout.used != text.len() {
        return None;
    }
    fields(text, &layout)
}

/// Decodes the default-format line at the start of `data` (a chunk's remaining lines) and
/// returns it with the bytes the line takes, its `\n` (or `\r\n`) included; `None` whenever
/// [`flow_v2`] would decline the line. Saves finding the line's end separately.
///
/// The line is laid out first, 64 bytes at a time (spaces, newline and control characters
/// found by vector compares), then each field is decoded knowing its bounds.
#[inline]
pub fn flow_v2_line(data: &[u8]) -> Option<(Flow<'_>, usize)> {
    let layout = Layout::of(data)?;
    let flow = fields(data, &layout)?;
    Some((flow, layout.used))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::scan::ipv6;
    use crate::parse::{Line, LineParser};
    use crate::schema::Schema;
    use proptest::prelude::*;
    use std::net::Ipv6Addr;

    const LINE: &[u8] = b"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK";

    fn general(line: &[u8]) -> Option<Flow<'_>> {
        // The general parser reuses its buffers: copy the answer out.
        let schema = Schema::default_v2();
        let mut p = LineParser::new();
        match p.parse(&schema, line) {
            Line::Record(r) => {
                let f = Flow::from_record(&r);
                let eni = f.interface.map(|e| {
                    let at = line
                        .windows(e.len())
                        .position(|w| w == e)
                        .expect("span of line");
                    &line[at..at + e.len()]
                });
                let acct = f.account.map(|a| {
                    let at = line
                        .windows(a.len())
                        .position(|w| w == a)
                        .expect("span of line");
                    &line[at..at + a.len()]
                });
                Some(Flow {
                    interface: eni,
                    account: acct,
                    ..f
                })
            }
            _ => None,
        }
    }

    #[test]
    fn the_common_line_takes_the_fast_path() {
        let fast = flow_v2(LINE).expect("fast path");
        assert_eq!(Some(fast), general(LINE));
        assert_eq!(fast.dstport, Some(22));
    }

    #[test]
    fn unusual_lines_are_left_to_the_general_parser() {
        for line in [
            &b"2 1 eni-1 - - - - - - - 1 2 - NODATA"[..],
            b"2 1 eni-1 ::ffff:10.0.0.1 10.0.0.1 1 2 6 1 1 1 2 ACCEPT OK",
            b"2 1 eni-1 fe80::1%eth0 10.0.0.1 1 2 6 1 1 1 2 ACCEPT OK",
            b"2 1 eni-1 10.0.0.1  10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK",
            b"2 1 eni-1 10.0.0.01 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK",
            b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK ",
            b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT",
            b"",
            // Control characters anywhere, a carriage return inside the line.
            b"2 1\x01 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK",
            b"2 1 eni-1\x7f 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK",
            b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2\rACCEPT OK",
            b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT\tOK",
            // Fifteen fields; an empty field at the start.
            b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK x",
            b" 2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK",
        ] {
            assert_eq!(flow_v2(line), None, "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn lines_longer_than_the_fast_path_takes_still_parse() {
        // An account id of 300 characters: valid text, too long for the fast path.
        let long = format!(
            "2 {} eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK",
            "7".repeat(300)
        );
        assert_eq!(flow_v2(long.as_bytes()), None);
        assert_eq!(flow_v2_line(long.as_bytes()), None);
        let flow = general(long.as_bytes()).expect("the general parser takes it");
        assert_eq!(flow.account.map(<[u8]>::len), Some(300));
        // Just under the limit, the fast path takes it and agrees.
        let fits = format!(
            "2 {} eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK",
            "7".repeat(MAX_FAST_LINE - 60)
        );
        assert!(fits.len() < MAX_FAST_LINE);
        assert_eq!(flow_v2(fits.as_bytes()), general(fits.as_bytes()));
        assert!(flow_v2(fits.as_bytes()).is_some());
    }

    #[test]
    fn text_fields_keep_bytes_above_ascii_like_the_general_parser() {
        let line = "2 123 eni-\u{e9}t\u{e9} 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 REJECT OK".as_bytes();
        let fast = flow_v2(line).expect("fast path");
        assert_eq!(Some(fast), general(line));
        assert_eq!(fast.interface, Some("eni-\u{e9}t\u{e9}".as_bytes()));
    }

    #[test]
    fn line_at_the_start_of_a_chunk_is_the_same_flow_with_its_length() {
        let chunk = [LINE, b"\r\n", LINE, b"\n", LINE].concat();
        let (a, used) = flow_v2_line(&chunk).unwrap();
        assert_eq!(Some(a), flow_v2(LINE));
        assert_eq!(used, LINE.len() + 2);
        let (_, used2) = flow_v2_line(&chunk[used..]).unwrap();
        assert_eq!(used2, LINE.len() + 1);
        let (_, last) = flow_v2_line(&chunk[used + used2..]).unwrap();
        assert_eq!(last, LINE.len());
        // A trailing space, or a short line running into the next one, is declined.
        assert!(flow_v2_line(&[LINE, b" \n"].concat()).is_none());
        assert!(flow_v2_line(b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT\nOK\n").is_none());
    }

    /// IPv6 addresses in the textual forms logs and people write, and near misses.
    fn ipv6_text() -> impl Strategy<Value = String> {
        let group = "[0-9a-fA-F]{1,5}";
        prop_oneof![
            // Eight groups, some maybe too long.
            proptest::collection::vec(group, 8).prop_map(|g| g.join(":")),
            // Compressed: groups on either side of `::`.
            (
                proptest::collection::vec(group, 0..5),
                proptest::collection::vec(group, 0..5)
            )
                .prop_map(|(a, b)| format!("{}::{}", a.join(":"), b.join(":"))),
            // An embedded IPv4 tail, with a zone, with stray colons.
            (proptest::collection::vec(group, 0..4), 0u8..=255, 0u8..=255)
                .prop_map(|(a, x, y)| format!("{}::ffff:10.{x}.{y}.1", a.join(":"))),
            "[0-9a-f:]{1,12}(%eth0)?",
            proptest::collection::vec(group, 1..10).prop_map(|g| g.join(":")),
            proptest::collection::vec(group, 1..4).prop_map(|g| format!(":{}:", g.join("::"))),
        ]
    }

    proptest! {
        #[test]
        fn nth_field_is_the_tokenizers_field(
            tokens in proptest::collection::vec("[a-z0-9.:-]{1,20}", 1..40),
            doubled in proptest::option::of(0usize..40),
            index in 0usize..45,
        ) {
            let mut line = String::new();
            for (k, t) in tokens.iter().enumerate() {
                if k > 0 {
                    line.push_str(if doubled == Some(k) { "  " } else { " " });
                }
                line.push_str(t);
            }
            let want = line.split(' ').filter(|t| !t.is_empty()).nth(index);
            let got = nth_field(line.as_bytes(), index);
            match got {
                Some(f) => prop_assert_eq!(Some(f), want.map(str::as_bytes), "{}", line),
                // Declined only where a run of spaces comes before the field.
                None => prop_assert!(
                    want.is_none() || doubled.is_some_and(|d| d <= index),
                    "{} [{}]", line, index
                ),
            }
        }

        #[test]
        fn ipv6_fast_addresses_are_std_addresses(text in ipv6_text()) {
            let std = text.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
            if let Some(fast) = ipv6(text.as_bytes()) {
                prop_assert_eq!(Some(fast), std, "{}", text);
            }
            // Only the dotted tail is left to std among the addresses std takes.
            if std.is_some() && !text.contains('.') {
                prop_assert_eq!(ipv6(text.as_bytes()), std, "{}", text);
            }
        }

        #[test]
        fn lines_with_ipv6_addresses_agree_with_the_general_parser(
            src in ipv6_text(),
            dst in ipv6_text(),
            v4 in proptest::bool::ANY,
        ) {
            let dst = if v4 { "10.1.2.3".to_string() } else { dst };
            let line = format!("2 1 eni-1 {src} {dst} 443 40000 6 3 120 1700000000 1700000060 ACCEPT OK");
            let fast = flow_v2(line.as_bytes());
            if let Some(fast) = fast {
                prop_assert_eq!(Some(fast), general(line.as_bytes()), "{}", line);
            }
            // Every line the general parser reads without a dotted tail takes the fast path.
            if general(line.as_bytes()).is_some() && !src.contains('.') && !dst.contains('.')
                && !dst.contains('%') && !src.contains('%')
            {
                prop_assert!(fast.is_some(), "{}", line);
            }
        }

        #[test]
        fn fast_path_agrees_with_the_general_parser(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
            digits in proptest::collection::vec(b'0'..=b'9', 0..4),
        ) {
            let mut line = LINE.to_vec();
            for (at, byte) in edits {
                let i = at.index(line.len());
                // Bias mutations towards digits, dots and spaces: the interesting cases.
                line[i] = match byte % 4 { 0 => b'.', 1 => b' ', 2 => digits.first().copied().unwrap_or(b'0'), _ => byte };
            }
            if let Some(fast) = flow_v2(&line) {
                prop_assert_eq!(Some(fast), general(&line), "{}", String::from_utf8_lossy(&line));
            }
            // Within a chunk: the same answer, and the line's length with its newline.
            let chunk = [&line[..], b"\n", LINE].concat();
            let nl = line.iter().position(|b| *b == b'\n');
            match flow_v2_line(&chunk) {
                Some((f, used)) => {
                    prop_assert_eq!(nl, None);
                    prop_assert_eq!(used, line.len() + 1);
                    prop_assert_eq!(Some(f), flow_v2(crate::parse::strip_cr(&line)));
                }
                None => {
                    let first = &chunk[..nl.unwrap_or(line.len())];
                    prop_assert!(flow_v2(crate::parse::strip_cr(first)).is_none());
                }
            }
        }
    }
}
