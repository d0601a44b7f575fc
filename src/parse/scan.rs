//! Reading a line's bytes a block at a time: where its spaces, newlines and control characters
//! are (16 bytes by SSE2, or by word arithmetic elsewhere; 64 bytes as four of those), the
//! offsets of set bits without a branch on their count, and the values both decoders take
//! from a field whose bounds they know: numbers eight digits at a time, IPv4 and IPv6
//! addresses by std's rules.
//!
//! Used by the default format's fast path (`flow`) and the general decoder's laid-out path
//! (`decode`); property tests in both hold these to the standard library and to the byte
//! loop. [`FieldSeek`] finds one field by the same windows, for `nth_field` on a cut line and
//! [`line_and_field`] on the rest of a block.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Bit masks over 16 bytes (bit `i` for byte `i`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct BlockMasks {
    /// Bytes equal to `' '`.
    spaces: u32,
    /// Bytes equal to `'\n'`.
    newlines: u32,
    /// Control bytes: below `0x20` (`'\n'` and `'\r'` included) and `0x7f`.
    controls: u32,
}

/// Classifies 16 bytes at once with SSE2 (part of every x86-64 CPU).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn block_masks(block: &[u8; 16]) -> BlockMasks {
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
fn block_masks(block: &[u8; 16]) -> BlockMasks {
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
struct WindowMasks {
    /// Bytes equal to `' '`.
    spaces: u64,
    /// Bytes equal to `'\n'`.
    newlines: u64,
    /// Control bytes: below `0x20` (`'\n'` and `'\r'` included) and `0x7f`.
    controls: u64,
}

/// Classifies the 64 bytes of `data` at `at`: four 16-byte blocks.
#[inline(always)]
fn window_masks(data: &[u8], at: usize) -> WindowMasks {
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

/// The bits below the lowest set bit of `newlines` (all of them when none is set): a
/// window's bytes that come before its first newline.
#[inline(always)]
fn before_first(newlines: u64) -> u64 {
    match newlines {
        0 => u64::MAX,
        nl => (1 << nl.trailing_zeros()) - 1,
    }
}

/// Writes the offsets (`at` + bit index) of the set bits of `bits` to `out[0..]`, in order,
/// and returns how many there are. Eight are written whatever the count (most windows of a
/// flow-log line hold fewer spaces), so the loop's trip count does not depend on the line:
/// no branch to mispredict. `out` must have room for eight, or for the count if larger.
#[inline(always)]
fn set_bit_offsets(mut bits: u64, at: u32, out: &mut [u32]) -> usize {
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

/// Where the line at the start of some bytes ends, as [`lay_out_line`] finds it; the offsets
/// of its spaces are in the caller's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct LineEnd {
    /// Its spaces, one between each two of its fields.
    pub(super) spaces: usize,
    /// Where its text ends: at its `\n` (before a `\r` just ahead of it), or at the end of
    /// the bytes.
    pub(super) end: usize,
    /// The bytes it takes, its newline included.
    pub(super) used: usize,
}

/// Lays out the line at the start of `data` (up to its first `\n`, or all of `data`), 64
/// bytes at a time: writes the offsets of its spaces to `out` and says where it ends. `None`
/// unless the line is plain: it ends within `max_line` bytes, has at most `max_spaces`
/// spaces, each single and between two fields that hold a byte or more (none leading or
/// trailing), and no control character but a `\r` before its `\n`. `out` must have room for
/// `max_spaces` + 8 offsets.
///
/// The one layout both decoders use: the default format's fast path on a chunk's next line,
/// the general decoder on a line already cut out.
#[inline(always)]
pub(super) fn lay_out_line(
    data: &[u8],
    max_line: usize,
    max_spaces: usize,
    out: &mut [u32],
) -> Option<LineEnd> {
    let mut found = 0;
    let mut first_control = usize::MAX;
    // Spaces that follow a space (or start the line): an empty field.
    let mut doubled = 0u64;
    let mut after_space = 1u64;
    let mut at = 0;
    let newline = loop {
        if at >= max_line {
            return None;
        }
        let m = window_masks(data, at);
        let before_newline = before_first(m.newlines);
        let controls = m.controls & before_newline;
        if controls != 0 && first_control == usize::MAX {
            first_control = at + controls.trailing_zeros() as usize;
        }
        let spaces = m.spaces & before_newline;
        doubled |= spaces & ((spaces << 1) | after_space);
        after_space = spaces >> 63;
        if found + spaces.count_ones() as usize > max_spaces {
            return None;
        }
        found += set_bit_offsets(spaces, at as u32, &mut out[found..]);
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
    // The last field is empty when the line ends in a space (or is empty).
    let empty_last = end == 0 || data[end - 1] == b' ';
    if doubled != 0 || empty_last || first_control < end {
        return None;
    }
    let used = if newline < data.len() {
        newline + 1
    } else {
        newline
    };
    Some(LineEnd {
        spaces: found,
        end,
        used,
    })
}

/// Where the line at the start of some bytes ends, and where one of its fields lies, as
/// [`line_and_field`] finds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineField {
    /// Where its `\n` is.
    pub newline: usize,
    /// `start..end` of the field asked for (a `\r` before the newline left out); `None`
    /// when the line has fewer fields (an empty last one is none), or a run of spaces (or a
    /// leading space) comes before the field's end: [`nth_field`](super::nth_field) would
    /// not split it plainly either.
    pub field: Option<(usize, usize)>,
}

/// The search for a line's `index`-th field (fields split on single spaces), fed the spaces of
/// one 64-byte window after another: shared by [`line_and_field`], which also looks for the
/// line's end, and [`nth_field`](super::nth_field), on a line already cut out.
pub(super) struct FieldSeek {
    index: usize,
    /// Spaces in the windows fed so far, and where the last of them is.
    seen: usize,
    last_space: Option<usize>,
    /// Whether the byte before the next window is a space (before the line: as if it were,
    /// so a leading space counts as a run).
    after_space: u64,
    state: Seek,
}

/// Where a [`FieldSeek`] stands.
#[derive(Clone, Copy)]
enum Seek {
    Searching,
    Found(usize, usize),
    /// A run of spaces came before the field's end: no plain split.
    Declined,
}

impl FieldSeek {
    /// A search for field `index`.
    #[inline(always)]
    pub(super) fn new(index: usize) -> FieldSeek {
        FieldSeek {
            index,
            seen: 0,
            last_space: None,
            after_space: 1,
            state: Seek::Searching,
        }
    }

    /// Whether the field is still to be found (neither found nor declined).
    #[inline(always)]
    pub(super) fn searching(&self) -> bool {
        matches!(self.state, Seek::Searching)
    }

    /// Takes the spaces of the window at `at` (bit `i` for byte `at + i`; none past the
    /// line's end).
    #[inline(always)]
    pub(super) fn window(&mut self, spaces: u64, at: usize) {
        if !self.searching() {
            return;
        }
        let doubled = spaces & ((spaces << 1) | self.after_space);
        let count = spaces.count_ones() as usize;
        if self.seen + count > self.index {
            // The field ends at this window's `index - seen`-th space (from 0).
            let mut bits = spaces;
            let mut start = self.last_space.map_or(0, |p| p + 1);
            for _ in 0..self.index - self.seen {
                start = at + bits.trailing_zeros() as usize + 1;
                bits &= bits - 1;
            }
            let end_bit = bits.trailing_zeros();
            let through_end = u64::MAX >> (63 - end_bit);
            self.state = if doubled & through_end != 0 {
                Seek::Declined
            } else {
                Seek::Found(start, at + end_bit as usize)
            };
        } else if doubled != 0 {
            self.state = Seek::Declined;
        } else {
            if count > 0 {
                self.last_space = Some(at + 63 - spaces.leading_zeros() as usize);
            }
            self.seen += count;
            self.after_space = spaces >> 63;
        }
    }

    /// The field, once the line's text is known to end at `end`: found in a window, or the
    /// line's last field when it is the one (`None` if that is empty).
    #[inline(always)]
    pub(super) fn finish(&self, end: usize) -> Option<(usize, usize)> {
        match self.state {
            Seek::Found(start, field_end) => Some((start, field_end)),
            Seek::Searching if self.seen == self.index => {
                let start = self.last_space.map_or(0, |p| p + 1);
                (start < end).then_some((start, end))
            }
            _ => None,
        }
    }
}

/// Finds the end of the line at the start of `data` and its `index`-th field (fields split
/// on single spaces) in one pass, 64 bytes at a time: what a `memchr` for the newline and
/// then [`nth_field`](super::nth_field) on the line find, without reading the line twice.
/// `None` when no `\n` comes within `max_line` bytes or before the end of `data` (the
/// caller reads on, or takes the slow path).
#[inline]
pub fn line_and_field(data: &[u8], index: usize, max_line: usize) -> Option<LineField> {
    let mut seek = FieldSeek::new(index);
    let mut at = 0;
    loop {
        if at >= max_line {
            return None;
        }
        let m = window_masks(data, at);
        seek.window(m.spaces & before_first(m.newlines), at);
        if m.newlines != 0 {
            let newline = at + m.newlines.trailing_zeros() as usize;
            if newline >= data.len() {
                return None; // a stand-in past the end of `data`
            }
            let end = super::strip_cr(&data[..newline]).len();
            let field = seek.finish(end);
            return Some(LineField { newline, field });
        }
        at += 64;
        if !seek.searching() {
            // Only the line's end is left to find: `memchr` reads the rest of a long line
            // (a custom format's) faster than windows of three masks.
            let rest = data.get(at..max_line.min(data.len())).unwrap_or_default();
            let newline = at + memchr::memchr(b'\n', rest)?;
            let field = seek.finish(newline);
            return Some(LineField { newline, field });
        }
    }
}

/// The spaces of the 64 bytes of `line` at `at` (none past its end), for [`FieldSeek`] on a
/// line already cut out.
#[inline(always)]
pub(super) fn window_spaces(line: &[u8], at: usize) -> u64 {
    window_masks(line, at).spaces
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
pub(super) fn ipv6(token: &[u8]) -> Option<IpAddr> {
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn line_and_field_finds_what_memchr_and_nth_field_find() {
        let text =
            b"2 123 eni-a 10.0.0.1 10.0.0.2 1 22 6 1 1 1700000050 1700000056 ACCEPT OK\r\nnext";
        let lf = line_and_field(text, 10, 1 << 20).unwrap();
        assert_eq!(Some(lf.newline), memchr::memchr(b'\n', text));
        assert_eq!(lf.field.map(|(a, b)| &text[a..b]), Some(&b"1700000050"[..]));
        // The last field, without its `\r`; the first.
        let last = line_and_field(text, 13, 1 << 20).unwrap().field.unwrap();
        assert_eq!(&text[last.0..last.1], b"OK");
        let first = line_and_field(text, 0, 1 << 20).unwrap().field.unwrap();
        assert_eq!(&text[first.0..first.1], b"2");
        // Too few fields; a run of spaces before the field; no newline in the bytes.
        assert_eq!(line_and_field(text, 14, 1 << 20).unwrap().field, None);
        assert_eq!(line_and_field(b"1  2 3\n", 2, 64).unwrap().field, None);
        assert_eq!(line_and_field(b" 1 2\n", 0, 64).unwrap().field, None);
        assert_eq!(
            line_and_field(b"1 2 3  \n", 1, 64).unwrap().field,
            Some((2, 3))
        );
        assert_eq!(line_and_field(b"1 2 3", 1, 64), None);
        assert_eq!(line_and_field(&[b'1'; 200], 0, 128), None);
    }

    proptest::proptest! {
        /// Wherever `line_and_field` answers, its newline is the first one and its field is
        /// `nth_field`'s on the line without its `\r`; on a plainly spaced line it always
        /// finds the field.
        #[test]
        fn line_and_field_agrees_with_memchr_and_nth_field(
            tokens in proptest::collection::vec("[0-9a-z.\\r]{0,24}", 1..40),
            seps in proptest::collection::vec("( |  | \\n)", 40),
            index in 0usize..42,
            plain in proptest::bool::ANY,
            tail in "[ 0-9\\r\\n]{0,3}",
        ) {
            let mut line = Vec::new();
            for (k, t) in tokens.iter().enumerate() {
                if k > 0 {
                    line.extend_from_slice(if plain { b" " } else { seps[k].as_bytes() });
                }
                line.extend_from_slice(t.as_bytes());
            }
            line.extend_from_slice(tail.as_bytes());
            let nl = memchr::memchr(b'\n', &line);
            match line_and_field(&line, index, 1 << 20) {
                None => proptest::prop_assert_eq!(nl, None),
                Some(lf) => {
                    proptest::prop_assert_eq!(Some(lf.newline), nl);
                    let bare = crate::parse::strip_cr(&line[..lf.newline]);
                    let want = crate::parse::nth_field(bare, index);
                    match lf.field {
                        Some((a, b)) => proptest::prop_assert_eq!(Some(&line[a..b]), want),
                        None => proptest::prop_assert!(
                            want.is_none() || !plain || tokens.iter().any(String::is_empty),
                            "declined {:?}", String::from_utf8_lossy(&line)
                        ),
                    }
                }
            }
        }
    }
}
