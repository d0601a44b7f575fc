//! [`Flow`]: the fields of a record that aggregation reads, and the fast path that decodes a
//! default-format (v2) line straight into one.
//!
//! The fast path takes only the common case: a v2 line with every field present, single
//! spaces, IPv4 addresses. Anything else (absent fields, IPv6, doubled spaces, errors) returns
//! `None` and the caller uses [`LineParser`](super::LineParser), which gives the exact reason.
//! For every line it accepts, the fast path gives the same [`Flow`] as the general parser; a
//! property test holds it to that.

use std::net::{IpAddr, Ipv4Addr};

use super::{Action, LogStatus, Record, action, log_status};
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

/// Answers as a default-format (v2) record would: the v2 fields from the flow, `None` for
/// every field the v2 format lacks. Use it only on flows of v2 lines.
impl crate::filter::FieldSource for Flow<'_> {
    fn uint(&self, field: Field) -> Option<u64> {
        match field {
            Field::Version => self.version.map(u64::from),
            Field::SrcPort => self.srcport.map(u64::from),
            Field::DstPort => self.dstport.map(u64::from),
            Field::Protocol => self.protocol.map(u64::from),
            Field::Packets => self.packets,
            Field::Bytes => self.bytes,
            Field::Start => self.start,
            Field::End => self.end,
            _ => None,
        }
    }
    fn addr(&self, field: Field) -> Option<IpAddr> {
        match field {
            Field::SrcAddr => self.src,
            Field::DstAddr => self.dst,
            _ => None,
        }
    }
    fn text(&self, field: Field) -> Option<&[u8]> {
        match field {
            Field::AccountId => self.account,
            Field::InterfaceId => self.interface,
            _ => None,
        }
    }
    fn action(&self) -> Option<Action> {
        self.action
    }
    fn status(&self) -> Option<LogStatus> {
        self.status
    }
}

/// Reads single-space-separated tokens of one line, failing (`None`) on anything unusual.
struct Cursor<'a> {
    text: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// Consumes the separator after a token: one space, or the end of the line.
    #[inline(always)]
    fn separator(&mut self) -> Option<()> {
        match self.text.get(self.pos) {
            None => Some(()),
            Some(b' ') if self.text.get(self.pos + 1).is_some_and(|b| *b != b' ') => {
                self.pos += 1;
                Some(())
            }
            _ => None,
        }
    }

    /// The 8 bytes at the cursor, when the line has that many left.
    #[inline(always)]
    fn word8(&self) -> Option<u64> {
        let bytes = self.text.get(self.pos..self.pos + 8)?;
        Some(u64::from_le_bytes(bytes.try_into().ok()?))
    }

    /// 1 to 19 decimal digits, at most `max`.
    #[inline(always)]
    fn uint(&mut self, max: u64) -> Option<u64> {
        let start = self.pos;
        let mut v: u64 = 0;
        // Eight bytes at a time while they are all digits (timestamps have ten): the
        // per-digit multiply chain is what a number costs.
        while let Some(w) = self.word8() {
            let run = digit_run(w);
            if run < 8 {
                if run > 0 {
                    v = v
                        .wrapping_mul(POW10[run])
                        .wrapping_add(digits_value(w, run));
                    self.pos += run;
                }
                break;
            }
            v = v.wrapping_mul(100_000_000).wrapping_add(digits_value(w, 8));
            self.pos += 8;
        }
        while let Some(&b) = self.text.get(self.pos) {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            v = v.wrapping_mul(10).wrapping_add(u64::from(d));
            self.pos += 1;
        }
        let len = self.pos - start;
        if len == 0 || len > 19 || v > max {
            return None;
        }
        self.separator()?;
        Some(v)
    }

    /// A token without control characters that is not `-`.
    #[inline(always)]
    fn text(&mut self) -> Option<&'a [u8]> {
        let start = self.pos;
        while let Some(&b) = self.text.get(self.pos) {
            if b == b' ' {
                break;
            }
            if b < 0x20 || b == 0x7f {
                return None;
            }
            self.pos += 1;
        }
        let token = &self.text[start..self.pos];
        if token.is_empty() || token == b"-" {
            return None;
        }
        self.separator()?;
        Some(token)
    }

    /// A dotted-quad IPv4 address (std's rules: no leading zeros).
    #[inline(always)]
    fn ipv4(&mut self) -> Option<IpAddr> {
        let mut bits: u32 = 0;
        for part in 0..4 {
            if part > 0 {
                if self.text.get(self.pos) != Some(&b'.') {
                    return None;
                }
                self.pos += 1;
            }
            let start = self.pos;
            let mut octet: u32 = 0;
            while let Some(&b) = self.text.get(self.pos) {
                let d = b.wrapping_sub(b'0');
                if d > 9 || self.pos - start == 3 {
                    break;
                }
                octet = octet * 10 + u32::from(d);
                self.pos += 1;
            }
            let len = self.pos - start;
            if len == 0 || octet > 255 || (len > 1 && self.text[start] == b'0') {
                return None;
            }
            bits = (bits << 8) | octet;
        }
        self.separator()?;
        Some(IpAddr::V4(Ipv4Addr::from_bits(bits)))
    }

    /// The last token of a line: up to a space, `\r`, `\n` or the end (not consumed).
    #[inline(always)]
    fn last_word(&mut self) -> &'a [u8] {
        let start = self.pos;
        while self
            .text
            .get(self.pos)
            .is_some_and(|b| !matches!(b, b' ' | b'\r' | b'\n'))
        {
            self.pos += 1;
        }
        &self.text[start..self.pos]
    }

    /// The rest of the current token.
    #[inline(always)]
    fn word(&mut self) -> Option<&'a [u8]> {
        let start = self.pos;
        while self.text.get(self.pos).is_some_and(|b| *b != b' ') {
            self.pos += 1;
        }
        let token = &self.text[start..self.pos];
        self.separator()?;
        Some(token)
    }
}

/// 10^0 … 10^8.
const POW10: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// How many leading bytes (in memory order) of `w` are ASCII digits, 0 to 8.
#[inline(always)]
fn digit_run(w: u64) -> usize {
    // A byte is a digit when its high nibble is 3 and adding 6 keeps it there. Carries only
    // run upwards from a non-digit byte, so the first non-digit is found exactly.
    let high = (w & 0xf0f0_f0f0_f0f0_f0f0) ^ 0x3030_3030_3030_3030;
    let low =
        (w.wrapping_add(0x0606_0606_0606_0606) & 0xf0f0_f0f0_f0f0_f0f0) ^ 0x3030_3030_3030_3030;
    let bad = high | low;
    // High bit set in every non-zero byte of `bad`.
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let nonzero = ((bad & LOW7).wrapping_add(LOW7) | bad) & 0x8080_8080_8080_8080;
    (nonzero.trailing_zeros() / 8) as usize
}

/// The value of the first `n` (1..=8) digit bytes of `w` (first digit in the lowest byte).
#[inline(always)]
fn digits_value(w: u64, n: usize) -> u64 {
    // Keep the n digits, move them to the top, and fill the bottom with '0's: eight digits
    // with leading zeros, converted with three multiplications.
    let shift = 8 * (8 - n) as u32;
    let v = (w << shift)
        | 0x3030_3030_3030_3030u64
            .checked_shr(8 * n as u32)
            .unwrap_or(0);
    let mut x = v.wrapping_sub(0x3030_3030_3030_3030);
    x = x.wrapping_mul(10).wrapping_add(x >> 8);
    x = ((x & 0x0000_00ff_0000_00ff).wrapping_mul(0x000f_4240_0000_0064))
        .wrapping_add(((x >> 16) & 0x0000_00ff_0000_00ff).wrapping_mul(0x0000_2710_0000_0001))
        >> 32;
    x
}

/// The fourteen fields of a default-format record at the cursor, up to (not including) what
/// ends the line.
#[inline(always)]
fn fields<'a>(c: &mut Cursor<'a>) -> Option<Flow<'a>> {
    let version = c.uint(u64::from(u8::MAX))? as u8;
    let account = c.text()?;
    let interface = c.text()?;
    let src = c.ipv4()?;
    let dst = c.ipv4()?;
    let srcport = c.uint(u64::from(u16::MAX))? as u16;
    let dstport = c.uint(u64::from(u16::MAX))? as u16;
    let protocol = c.uint(u64::from(u8::MAX))? as u8;
    let packets = c.uint(u64::MAX)?;
    let bytes = c.uint(u64::MAX)?;
    let start = c.uint(u64::MAX)?;
    let end = c.uint(u64::MAX)?;
    let action = action(c.word()?)?;
    let status = log_status(c.last_word())?;
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

/// Decodes a line of the default v2 format with every field present, or returns `None`.
/// `text` is the line without `\n` and `\r`.
#[inline]
pub fn flow_v2(text: &[u8]) -> Option<Flow<'_>> {
    let mut c = Cursor { text, pos: 0 };
    let flow = fields(&mut c)?;
    (c.pos == text.len()).then_some(flow)
}

/// Decodes the default-format line at the start of `data` (a chunk's remaining lines) and
/// returns it with the bytes the line takes, its `\n` (or `\r\n`) included; `None` whenever
/// [`flow_v2`] would decline the line. Saves finding the line's end separately.
#[inline]
pub fn flow_v2_line(data: &[u8]) -> Option<(Flow<'_>, usize)> {
    let mut c = Cursor { text: data, pos: 0 };
    let flow = fields(&mut c)?;
    let used = match &data[c.pos..] {
        [] => c.pos,
        [b'\n', ..] | [b'\r'] => c.pos + 1,
        [b'\r', b'\n', ..] => c.pos + 2,
        _ => return None,
    };
    Some((flow, used))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Line, LineParser};
    use crate::schema::Schema;
    use proptest::prelude::*;

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
    fn eight_byte_digit_helpers() {
        let w = |s: &[u8]| u64::from_le_bytes(s[..8].try_into().unwrap());
        assert_eq!(digit_run(w(b"12345678")), 8);
        assert_eq!(digit_run(w(b"123 5678")), 3);
        assert_eq!(digit_run(w(b"x2345678")), 0);
        assert_eq!(digit_run(w(b"1234567\xff")), 7);
        assert_eq!(digit_run(w(b"12/:5678")), 2);
        assert_eq!(digits_value(w(b"12345678"), 8), 12_345_678);
        assert_eq!(digits_value(w(b"1234 678"), 4), 1234);
        assert_eq!(digits_value(w(b"9       "), 1), 9);
        let mut c = Cursor {
            text: b"1418530070 9999999999999999999 0000000000000000042 7",
            pos: 0,
        };
        assert_eq!(c.uint(u64::MAX), Some(1_418_530_070));
        assert_eq!(c.uint(u64::MAX), Some(9_999_999_999_999_999_999));
        assert_eq!(c.uint(u64::MAX), Some(42));
        assert_eq!(c.uint(u64::MAX), Some(7));
        // Twenty digits and more are the general parser's (it checks overflow).
        let mut long = Cursor {
            text: b"18446744073709551615",
            pos: 0,
        };
        assert_eq!(long.uint(u64::MAX), None);
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
            b"2 1 eni-1 2001:db8::1 10.0.0.1 1 2 6 1 1 1 2 ACCEPT OK",
            b"2 1 eni-1 10.0.0.1  10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK",
            b"2 1 eni-1 10.0.0.01 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK",
            b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK ",
            b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT",
            b"",
        ] {
            assert_eq!(flow_v2(line), None, "{}", String::from_utf8_lossy(line));
        }
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

    proptest! {
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
