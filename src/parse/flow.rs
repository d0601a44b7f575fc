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

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::decode::{action, log_status};
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

/// Bit masks over 16 bytes (bit `i` for byte `i`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct BlockMasks {
    /// Bytes equal to `' '`.
    pub(super) spaces: u32,
    /// Bytes equal to `'\n'`.
    newlines: u32,
    /// Control bytes: below `0x20` (`'\n'` and `'\r'` included) and `0x7f`.
    pub(super) controls: u32,
}

/// Classifies 16 bytes at once with SSE2 (part of every x86-64 CPU).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
pub(super) fn block_masks(block: &[u8; 16]) -> BlockMasks {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    // SAFETY: the unaligned load reads exactly the 16 bytes of `block`, and these intrinsics
    // need only SSE2, which this build has (see the `cfg`).
    unsafe {
        let v = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
        let mask = |m| _mm_movemask_epi8(m) as u32 & 0xffff;
        let below_space = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
        let delete = _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f));
        BlockMasks {
            spaces: mask(_mm_cmpeq_epi8(v, _mm_set1_epi8(b' ' as i8))),
            newlines: mask(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8))),
            controls: mask(_mm_or_si128(below_space, delete)),
        }
    }
}

/// Classifies 16 bytes, eight at a time (other CPUs).
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline(always)]
pub(super) fn block_masks(block: &[u8; 16]) -> BlockMasks {
    block_masks_swar(block)
}

/// Classifies 16 bytes with word arithmetic: the portable twin of the SSE2 version.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
#[inline(always)]
fn block_masks_swar(block: &[u8; 16]) -> BlockMasks {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // High bit of each byte that is zero in `x`, exactly (no borrow between bytes).
    let zero = |x: u64| !(((x & !HIGH).wrapping_add(!HIGH)) | x | !HIGH) & HIGH;
    // High bits (one per byte) packed into the low 8 bits.
    let pack = |m: u64| ((m >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u32;
    let mut out = BlockMasks {
        spaces: 0,
        newlines: 0,
        controls: 0,
    };
    for (half, word) in block.chunks_exact(8).enumerate() {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        let w = u64::from_le_bytes(bytes);
        // Below 0x20: the top three bits are zero.
        let below_space = zero(w & (0xe0 * ONES));
        let controls = below_space | zero(w ^ (0x7f * ONES));
        let shift = 8 * half as u32;
        out.spaces |= pack(zero(w ^ (u64::from(b' ') * ONES))) << shift;
        out.newlines |= pack(zero(w ^ (u64::from(b'\n') * ONES))) << shift;
        out.controls |= pack(controls) << shift;
    }
    out
}

/// The 16 bytes of `data` at `at`, with `'\n'` standing in for bytes past its end.
#[inline(always)]
pub(super) fn block16(data: &[u8], at: usize) -> [u8; 16] {
    let rest = data.get(at..).unwrap_or_default();
    match rest.first_chunk::<16>() {
        Some(block) => *block,
        None => {
            let mut block = [b'\n'; 16];
            block[..rest.len()].copy_from_slice(rest);
            block
        }
    }
}

/// The 8 bytes of `data` at `at` as a little-endian word, spaces standing in past its end.
#[inline(always)]
fn word8(data: &[u8], at: usize) -> u64 {
    let rest = data.get(at..).unwrap_or_default();
    match rest.first_chunk::<8>() {
        Some(word) => u64::from_le_bytes(*word),
        None => {
            let mut word = [b' '; 8];
            word[..rest.len()].copy_from_slice(rest);
            u64::from_le_bytes(word)
        }
    }
}

/// Masks of the 64 bytes of `data` at `at` (bit `i` for byte `at + i`), bytes past its end
/// reading as newlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct WindowMasks {
    /// Bytes equal to `' '`.
    pub(super) spaces: u64,
    /// Bytes equal to `'\n'`.
    pub(super) newlines: u64,
    /// Control bytes: below `0x20` (`'\n'` and `'\r'` included) and `0x7f`.
    pub(super) controls: u64,
}

/// Classifies the 64 bytes of `data` at `at`: four 16-byte blocks.
#[inline(always)]
pub(super) fn window_masks(data: &[u8], at: usize) -> WindowMasks {
    let mut w = WindowMasks {
        spaces: 0,
        newlines: 0,
        controls: 0,
    };
    for k in 0..4 {
        let m = block_masks(&block16(data, at + 16 * k));
        w.spaces |= u64::from(m.spaces) << (16 * k);
        w.newlines |= u64::from(m.newlines) << (16 * k);
        w.controls |= u64::from(m.controls) << (16 * k);
    }
    w
}

/// Writes the offsets (`at` + bit index) of the set bits of `bits` to `out[0..]`, in order,
/// and returns how many there are. Eight are written whatever the count (most windows of a
/// flow-log line hold fewer spaces), so the loop's trip count does not depend on the line:
/// no branch to mispredict. `out` must have room for eight, or for the count if larger.
#[inline(always)]
pub(super) fn set_bit_offsets(mut bits: u64, at: u32, out: &mut [u32]) -> usize {
    let count = bits.count_ones() as usize;
    for slot in out.iter_mut().take(8) {
        *slot = at + bits.trailing_zeros();
        bits &= bits.wrapping_sub(1);
    }
    let mut k = 8;
    while bits != 0 {
        out[k] = at + bits.trailing_zeros();
        k += 1;
        bits &= bits - 1;
    }
    count
}

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
        let mut found = 0;
        let mut first_control = usize::MAX;
        let mut at = 0;
        let newline = loop {
            if at >= MAX_FAST_LINE {
                return None;
            }
            let m = window_masks(data, at);
            let before_newline = match m.newlines {
                0 => u64::MAX,
                nl => (1 << nl.trailing_zeros()) - 1,
            };
            let controls = m.controls & before_newline;
            if controls != 0 && first_control == usize::MAX {
                first_control = at + controls.trailing_zeros() as usize;
            }
            let bits = m.spaces & before_newline;
            if found + bits.count_ones() as usize > SPACES {
                return None;
            }
            found += set_bit_offsets(bits, at as u32, &mut spaces[found..]);
            if m.newlines != 0 {
                break at + m.newlines.trailing_zeros() as usize;
            }
            at += 64;
        };
        // The newline found may be a stand-in past the end of `data`.
        let newline = newline.min(data.len());
        let end = match newline.checked_sub(1) {
            Some(cr) if data[cr] == b'\r' => cr,
            _ => newline,
        };
        if found != SPACES || first_control < end {
            return None;
        }
        // Single spaces only: every field holds at least one byte.
        let mut field_start = 0;
        for &space in &spaces[..SPACES] {
            let space = space as usize;
            if space == field_start {
                return None;
            }
            field_start = space + 1;
        }
        if end == field_start {
            return None;
        }
        let used = if newline < data.len() {
            newline + 1
        } else {
            newline
        };
        Some(Layout { spaces, end, used })
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

/// 1 to 19 decimal digits at `data[start..end]`, at most `max`.
#[inline(always)]
pub(super) fn uint(data: &[u8], (start, end): (usize, usize), max: u64) -> Option<u64> {
    let len = end - start;
    if len == 0 || len > 19 {
        return None;
    }
    // Eight digits at a time: the per-digit multiply chain is what a number costs.
    let mut v: u64 = 0;
    let mut at = start;
    while end - at >= 8 {
        let w = word8(data, at);
        if digit_run(w) < 8 {
            return None;
        }
        v = v.wrapping_mul(100_000_000).wrapping_add(digits_value(w, 8));
        at += 8;
    }
    let rest = end - at;
    if rest > 0 {
        let w = word8(data, at);
        if digit_run(w) < rest {
            return None;
        }
        v = v
            .wrapping_mul(POW10[rest])
            .wrapping_add(digits_value(w, rest));
    }
    (v <= max).then_some(v)
}

/// A dotted-quad IPv4 address filling `token` (std's rules: no leading zeros).
#[inline(always)]
fn ipv4(token: &[u8]) -> Option<IpAddr> {
    if !(7..=15).contains(&token.len()) {
        return None;
    }
    let mut bits: u32 = 0;
    let mut at = 0;
    for part in 0..4 {
        if part > 0 {
            if token.get(at) != Some(&b'.') {
                return None;
            }
            at += 1;
        }
        let start = at;
        let mut octet: u32 = 0;
        while let Some(&b) = token.get(at) {
            let d = b.wrapping_sub(b'0');
            if d > 9 || at - start == 3 {
                break;
            }
            octet = octet * 10 + u32::from(d);
            at += 1;
        }
        let len = at - start;
        if len == 0 || octet > 255 || (len > 1 && token[start] == b'0') {
            return None;
        }
        bits = (bits << 8) | octet;
    }
    (at == token.len()).then_some(IpAddr::V4(Ipv4Addr::from_bits(bits)))
}

/// An address filling `token`: IPv4 ([`ipv4`]) or, with a colon in it, IPv6 ([`ipv6`]).
#[inline(always)]
pub(super) fn addr(token: &[u8]) -> Option<IpAddr> {
    // A colon is at most five bytes in (`ffff:`); an IPv4 address has none.
    let head = &token[..token.len().min(5)];
    if head.contains(&b':') {
        ipv6(token)
    } else {
        ipv4(token)
    }
}

/// An IPv6 address of hexadecimal groups filling `token`, by std's rules: one to four digits
/// a group (either case, leading zeros allowed), eight groups, or fewer with one `::`
/// standing for at least one group of zeros. A dotted IPv4 tail (`::ffff:10.0.0.1`) is the
/// general parser's, as is anything else.
#[inline(always)]
fn ipv6(token: &[u8]) -> Option<IpAddr> {
    if !(2..=39).contains(&token.len()) {
        return None;
    }
    let mut groups = [0u16; 8];
    let mut count = 0;
    // Where `::` stands, counted in groups before it.
    let mut gap = None;
    let mut at = 0;
    if token.starts_with(b"::") {
        gap = Some(0);
        at = 2;
    }
    while at < token.len() {
        let start = at;
        let mut group: u16 = 0;
        while at < token.len() && at - start < 4 {
            let b = token[at];
            let d = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => break,
            };
            group = group << 4 | u16::from(d);
            at += 1;
        }
        if at == start || count == 8 {
            return None;
        }
        groups[count] = group;
        count += 1;
        match token.get(at) {
            None => break,
            Some(b':') => at += 1,
            Some(_) => return None,
        }
        if token.get(at) == Some(&b':') {
            if gap.is_some() {
                return None;
            }
            gap = Some(count);
            at += 1;
        } else if at == token.len() {
            // A group cannot end the address with a single colon.
            return None;
        }
    }
    let bits = match gap {
        None if count == 8 => groups,
        Some(before) if count <= 7 => {
            let mut full = [0u16; 8];
            full[..before].copy_from_slice(&groups[..before]);
            let after = count - before;
            full[8 - after..].copy_from_slice(&groups[before..count]);
            full
        }
        _ => return None,
    };
    Some(IpAddr::V6(Ipv6Addr::from(bits)))
}

/// A text field that is not `-` (the layout has ruled out control characters).
#[inline(always)]
fn text(token: &[u8]) -> Option<&[u8]> {
    (token != b"-").then_some(token)
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

/// The `index`-th (0-based) field of `line` (without its newline), found 16 bytes at a
/// time, when single spaces separate the fields before it: `None` when the line has fewer
/// fields, or a run of spaces (a leading space included) comes first, where the tokenizer's
/// rule (a run is one separator) is the general parser's to apply.
#[inline]
pub fn nth_field(line: &[u8], index: usize) -> Option<&[u8]> {
    let mut seen = 0;
    let mut field_start = 0;
    // Whether the byte before the block was a space (before the line: as if it were, so a
    // leading space counts as a run).
    let mut after_space = 1u32;
    let mut at = 0;
    while at < line.len() {
        let m = block_masks(&block16(line, at));
        let left = line.len() - at;
        let valid = if left >= 16 {
            0xffff
        } else {
            (1u32 << left) - 1
        };
        let spaces = m.spaces & valid;
        let doubled = spaces & ((spaces << 1) | after_space);
        let count = spaces.count_ones() as usize;
        if seen + count <= index {
            // The field ends in a later block: pass this one's spaces at once.
            if doubled != 0 {
                return None;
            }
            if count > 0 {
                seen += count;
                field_start = at + (31 - spaces.leading_zeros()) as usize + 1;
            }
            after_space = spaces >> 15 & 1;
            at += 16;
            continue;
        }
        let mut bits = spaces;
        while bits != 0 {
            let bit = bits & bits.wrapping_neg();
            let p = at + bits.trailing_zeros() as usize;
            if bit & doubled != 0 {
                // A run of spaces: an empty field here, for a plain split.
                return None;
            }
            if seen == index {
                return Some(&line[field_start..p]);
            }
            seen += 1;
            field_start = p + 1;
            bits &= bits - 1;
        }
        after_space = spaces >> 15 & 1;
        at += 16;
    }
    (seen == index && field_start < line.len()).then(|| &line[field_start..])
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
/// The line is laid out first, 16 bytes at a time (spaces, newline and control characters
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
        let text = b"1418530070 9999999999999999999 0000000000000000042 7";
        let field = |start: usize, len: usize| uint(text, (start, start + len), u64::MAX);
        assert_eq!(field(0, 10), Some(1_418_530_070));
        assert_eq!(field(11, 19), Some(9_999_999_999_999_999_999));
        assert_eq!(field(31, 19), Some(42));
        assert_eq!(field(51, 1), Some(7));
        assert_eq!(uint(b"256", (0, 3), 255), None);
        assert_eq!(uint(b"12a4", (0, 4), u64::MAX), None);
        // Twenty digits and more are the general parser's (it checks overflow).
        assert_eq!(uint(b"18446744073709551615", (0, 20), u64::MAX), None);
    }

    #[test]
    fn block_masks_agree_with_the_portable_version() {
        let blocks: [&[u8; 16]; 4] = [
            b"2 123 eni-1\n\r\x7f\x00 ",
            b"\xff\x80\x1f\x20\x21\x7e\x7f\x0a\x0d\t      ",
            b"ACCEPT OK\r\nnext!",
            b"0123456789abcdef",
        ];
        for block in blocks {
            let m = block_masks(block);
            assert_eq!(m, block_masks_swar(block), "{block:?}");
            for (i, &b) in block.iter().enumerate() {
                assert_eq!(m.spaces >> i & 1 == 1, b == b' ', "{block:?} at {i}");
                assert_eq!(m.newlines >> i & 1 == 1, b == b'\n', "{block:?} at {i}");
                let control = b < 0x20 || b == 0x7f;
                assert_eq!(m.controls >> i & 1 == 1, control, "{block:?} at {i}");
            }
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

    #[test]
    fn ipv6_forms_match_std() {
        for (text, want) in [
            ("2001:db8::1", Some("2001:db8::1")),
            ("2001:DB8:0:0:0:0:0:1", Some("2001:db8::1")),
            ("::", Some("::")),
            ("::1", Some("::1")),
            ("1::", Some("1::")),
            (
                "0001:0002:0003:0004:0005:0006:0007:0008",
                Some("1:2:3:4:5:6:7:8"),
            ),
            ("1:2:3:4:5:6:7::", Some("1:2:3:4:5:6:7:0")),
            ("1:2:3:4:5:6:7:8::", None),
            ("1::2::3", None),
            (":1", None),
            ("1:", None),
            (":::", None),
            ("12345::", None),
            ("1:2:3:4:5:6:7", None),
            ("::ffff:10.0.0.1", None),
        ] {
            let got = ipv6(text.as_bytes()).map(|a| a.to_string());
            assert_eq!(got.as_deref(), want, "{text}");
        }
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
