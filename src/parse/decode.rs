//! Decoding a line's fields by the format's [`FieldKind`]s, `-` as absent: numbers,
//! addresses, actions and statuses, each failure with its exact reason.

use std::net::{IpAddr, Ipv4Addr};

use super::scan::{addr, block16, lay_out_line, uint};
use super::tokens::Tokens;
use super::values::{Action, LogStatus, Malformed, MalformedKind, Span, Value};
use crate::schema::{FieldKind, Schema};

/// Decodes every column of `text` into `values`, or says why the line is malformed.
///
/// Most lines take [`decode_laid_out`], which lays the line out 64 bytes at a time and then
/// decodes each field knowing its bounds; anything unusual (runs of spaces, a control
/// character, a value it does not take, an error) goes to [`decode_bytewise`], which gives
/// the exact reason. A property test holds the two to the same answer on every line.
pub(super) fn decode(
    schema: &Schema,
    text: &[u8],
    values: &mut Vec<Value>,
    ends: &mut FieldEnds,
) -> Result<(), Malformed> {
    let kinds = schema.kinds();
    if decode_laid_out(kinds, text, values, ends) {
        return Ok(());
    }
    decode_bytewise(kinds, text, values)
}

/// What a line decodes into, and why not, by [`decode`] as the parser runs it (laid out
/// first) and by [`decode_bytewise`] alone: public for the fuzz targets, which hold the two to
/// the same answer.
#[doc(hidden)]
pub type BothWays = [(Result<(), Malformed>, Vec<Value>); 2];

/// Decodes `text` both ways (see [`BothWays`]).
#[doc(hidden)]
pub fn decode_both_ways_for_fuzzing(schema: &Schema, text: &[u8]) -> BothWays {
    let (mut laid, mut plain) = (Vec::new(), Vec::new());
    let mut ends = NO_ENDS;
    let fast = decode(schema, text, &mut laid, &mut ends);
    let slow = decode_bytewise(schema.kinds(), text, &mut plain);
    [(fast, laid), (slow, plain)]
}

/// [`decode`] one byte at a time: every line, whatever its spacing, with its exact reason.
///
/// One pass over the bytes. Integers and dotted-quad IPv4 addresses are decoded while their
/// token is being scanned, and text fields are checked for control characters in the same
/// pass; only unusual tokens (absent, over 19 digits, IPv6, errors) take [`decode_value`].
fn decode_bytewise(
    kinds: &[FieldKind],
    text: &[u8],
    values: &mut Vec<Value>,
) -> Result<(), Malformed> {
    values.clear();
    values.resize(kinds.len(), Value::Absent);
    let n = text.len();
    let mut pos = 0;
    let mut first_error: Option<Malformed> = None;
    for (i, (&kind, slot)) in kinds.iter().zip(values.iter_mut()).enumerate() {
        while pos < n && text[pos] == b' ' {
            pos += 1;
        }
        if pos == n {
            return Err(Malformed::whole_line(MalformedKind::FieldCount {
                expected: kinds.len() as u32,
                found: i as u32,
            }));
        }
        let start = pos;
        let decoded = match kind {
            FieldKind::U64 | FieldKind::U16 | FieldKind::U8 => {
                let mut v: u64 = 0;
                let mut all_digits = true;
                while pos < n && text[pos] != b' ' {
                    let d = text[pos].wrapping_sub(b'0');
                    all_digits &= d <= 9;
                    v = v.wrapping_mul(10).wrapping_add(u64::from(d));
                    pos += 1;
                }
                let max = match kind {
                    FieldKind::U8 => u64::from(u8::MAX),
                    FieldKind::U16 => u64::from(u16::MAX),
                    _ => u64::MAX,
                };
                if all_digits && pos - start <= 19 && v <= max {
                    Ok(Value::Uint(v))
                } else {
                    decode_value(kind, &text[start..pos], start, pos)
                }
            }
            FieldKind::Text => {
                let mut control = false;
                while pos < n && text[pos] != b' ' {
                    let b = text[pos];
                    control |= b < 0x20 || b == 0x7f;
                    pos += 1;
                }
                if control {
                    Err(MalformedKind::ControlCharacter)
                } else if pos - start == 1 && text[start] == b'-' {
                    Ok(Value::Absent)
                } else {
                    Ok(Value::Text(Span {
                        start: start as u32,
                        end: pos as u32,
                    }))
                }
            }
            FieldKind::Addr => {
                // Dotted quad on the fly; anything else (IPv6, `-`, junk) goes the slow way.
                let mut bits: u32 = 0;
                let mut octet: u32 = 0;
                let mut digits = 0u32;
                let mut dots = 0u32;
                let mut plain = true;
                while pos < n && text[pos] != b' ' {
                    let b = text[pos];
                    if b == b'.' {
                        plain &= digits > 0;
                        bits = (bits << 8) | octet;
                        octet = 0;
                        digits = 0;
                        dots += 1;
                    } else {
                        let d = b.wrapping_sub(b'0');
                        // No leading zeros, as `std` parses addresses.
                        plain &= d <= 9 && !(digits == 1 && octet == 0);
                        octet = (octet * 10 + u32::from(d)).min(1000); // no overflow on junk
                        digits += 1;
                        plain &= octet <= 255;
                    }
                    pos += 1;
                }
                if plain && dots == 3 && digits > 0 {
                    Ok(Value::Addr(IpAddr::V4(Ipv4Addr::from_bits(
                        (bits << 8) | octet,
                    ))))
                } else {
                    decode_value(kind, &text[start..pos], start, pos)
                }
            }
            FieldKind::Action | FieldKind::LogStatus => {
                while pos < n && text[pos] != b' ' {
                    pos += 1;
                }
                decode_value(kind, &text[start..pos], start, pos)
            }
        };
        match decoded {
            Ok(v) => *slot = v,
            Err(kind) => {
                // Keep scanning: a field-count mismatch is the more useful reason.
                first_error.get_or_insert(Malformed {
                    kind,
                    column: Some(i as u32),
                });
            }
        }
    }
    let extra = Tokens::new(&text[pos..]).count();
    if extra > 0 {
        return Err(Malformed::whole_line(MalformedKind::FieldCount {
            expected: kinds.len() as u32,
            found: (kinds.len() + extra) as u32,
        }));
    }
    match first_error {
        Some(m) => Err(m),
        None => Ok(()),
    }
}

/// The most fields a line may have for [`decode_laid_out`] (the longest AWS format has fewer).
const MAX_LAID_OUT_FIELDS: usize = 64;
/// Where a line's fields end, as [`decode_laid_out`] finds them: kept by the parser from line
/// to line, so that no line pays for clearing it.
pub(super) type FieldEnds = [u32; MAX_LAID_OUT_FIELDS + 8];

/// A [`FieldEnds`] to start with.
pub(super) const NO_ENDS: FieldEnds = [0; MAX_LAID_OUT_FIELDS + 8];

/// The longest line [`decode_laid_out`] takes.
const MAX_LAID_OUT_LINE: usize = 1024;

/// The common case of [`decode`], branch-light: a line of single spaces between its fields,
/// no control character, every value well-formed. The line is laid out first
/// ([`lay_out_line`], shared with the fast path), then each field is
/// decoded knowing its bounds, numbers eight digits at a time. Returns false, having decided
/// nothing, for anything else: [`decode`]'s byte loop then gives the exact reason.
#[inline(always)]
fn decode_laid_out(
    kinds: &[FieldKind],
    text: &[u8],
    values: &mut Vec<Value>,
    ends: &mut FieldEnds,
) -> bool {
    let fields = kinds.len();
    if fields == 0 || fields > MAX_LAID_OUT_FIELDS {
        return false;
    }
    // `text` is one line, cut out already: a `\r` or `\n` in it is a control character.
    let plain = lay_out_line(text, MAX_LAID_OUT_LINE, fields - 1, ends).is_some_and(|line| {
        line.spaces + 1 == fields && line.used == text.len() && line.end == text.len()
    });
    if !plain {
        return false;
    }
    values.clear();
    // The addresses decoded so far in this line: `pkt-srcaddr` and `pkt-dstaddr` mostly
    // repeat `srcaddr` and `dstaddr` as written, and a repeat costs a compare, not a decode.
    // Each as where it starts, its length, its first 16 bytes (zero past its end) and its
    // value: most compare as two words, without a call.
    let mut seen: [(usize, usize, u128, Value); 4] = [(0, 0, 0, Value::Absent); 4];
    let mut seen_count = 0;
    let mut start = 0;
    for (i, &kind) in kinds.iter().enumerate() {
        let end = if i + 1 < fields {
            ends[i] as usize
        } else {
            text.len()
        };
        let token = &text[start..end];
        let absent = token == b"-";
        let fast = match kind {
            _ if absent => Some(Value::Absent),
            FieldKind::U64 => uint(text, (start, end), u64::MAX).map(Value::Uint),
            FieldKind::U16 => uint(text, (start, end), u64::from(u16::MAX)).map(Value::Uint),
            FieldKind::U8 => uint(text, (start, end), u64::from(u8::MAX)).map(Value::Uint),
            FieldKind::Addr => {
                let len = token.len();
                let head = u128::from_le_bytes(block16(text, start))
                    & u128::MAX
                        .checked_shr(8 * (16 - len.min(16)) as u32)
                        .unwrap_or(0);
                let same = seen[..seen_count].iter().find(|(s, l, h, _)| {
                    *l == len && *h == head && (len <= 16 || text[*s..*s + len] == *token)
                });
                match same {
                    Some(&(_, _, _, v)) => Some(v),
                    None => {
                        let v = addr(token).map(Value::Addr);
                        if let Some(v) = v
                            && seen_count < seen.len()
                        {
                            seen[seen_count] = (start, len, head, v);
                            seen_count += 1;
                        }
                        v
                    }
                }
            }
            // Control characters are ruled out already.
            FieldKind::Text => Some(Value::Text(Span {
                start: start as u32,
                end: end as u32,
            })),
            _ => None,
        };
        let value = match fast {
            Some(v) => v,
            None => match decode_value(kind, token, start, end) {
                Ok(v) => v,
                Err(_) => return false,
            },
        };
        values.push(value);
        start = end + 1;
    }
    true
}

#[inline(always)]
pub(super) fn decode_value(
    kind: FieldKind,
    token: &[u8],
    s: usize,
    e: usize,
) -> Result<Value, MalformedKind> {
    if token == b"-" {
        return Ok(Value::Absent);
    }
    Ok(match kind {
        FieldKind::Text => {
            if token.iter().any(|&b| b < 0x20 || b == 0x7f) {
                return Err(MalformedKind::ControlCharacter);
            }
            Value::Text(Span {
                start: s as u32,
                end: e as u32,
            })
        }
        FieldKind::U64 => Value::Uint(parse_u64(token)?),
        FieldKind::U16 => Value::Uint(parse_bounded(token, u64::from(u16::MAX))?),
        FieldKind::U8 => Value::Uint(parse_bounded(token, u64::from(u8::MAX))?),
        FieldKind::Addr => Value::Addr(parse_addr(token).ok_or(MalformedKind::BadAddress)?),
        FieldKind::Action => Value::Action(action(token).ok_or(MalformedKind::UnknownAction)?),
        FieldKind::LogStatus => {
            Value::Status(log_status(token).ok_or(MalformedKind::UnknownStatus)?)
        }
    })
}

/// `ACCEPT` / `REJECT`, compared as fixed-size arrays (inline loads, no `memcmp` call).
#[inline(always)]
pub fn action(token: &[u8]) -> Option<Action> {
    match <[u8; 6]>::try_from(token).ok()? {
        [b'A', b'C', b'C', b'E', b'P', b'T'] => Some(Action::Accept),
        [b'R', b'E', b'J', b'E', b'C', b'T'] => Some(Action::Reject),
        _ => None,
    }
}

/// `OK` / `NODATA` / `SKIPDATA`, compared as fixed-size arrays.
#[inline(always)]
pub fn log_status(token: &[u8]) -> Option<LogStatus> {
    match token.len() {
        2 if token == b"OK" => Some(LogStatus::Ok),
        6 if <[u8; 6]>::try_from(token).ok()? == *b"NODATA" => Some(LogStatus::NoData),
        8 if <[u8; 8]>::try_from(token).ok()? == *b"SKIPDATA" => Some(LogStatus::SkipData),
        _ => None,
    }
}

/// Decimal digits → u64; leading zeros are fine, signs and overflow are not.
#[inline]
pub fn parse_u64(token: &[u8]) -> Result<u64, MalformedKind> {
    if token.is_empty() {
        return Err(MalformedKind::NotANumber);
    }
    if token.len() <= 19 {
        // 19 digits cannot overflow u64: no checks in the loop.
        let mut v: u64 = 0;
        for &b in token {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                return Err(non_digit(token));
            }
            v = v * 10 + u64::from(d);
        }
        return Ok(v);
    }
    let mut v: u64 = 0;
    let mut overflow = false;
    for &b in token {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return Err(non_digit(token));
        }
        match v.checked_mul(10).and_then(|x| x.checked_add(u64::from(d))) {
            Some(x) => v = x,
            None => overflow = true,
        }
    }
    if overflow {
        Err(MalformedKind::TooLarge)
    } else {
        Ok(v)
    }
}

#[cold]
pub(super) fn non_digit(token: &[u8]) -> MalformedKind {
    if token.len() > 1 && token[0] == b'-' && token[1..].iter().all(u8::is_ascii_digit) {
        MalformedKind::Negative
    } else {
        MalformedKind::NotANumber
    }
}

#[inline]
pub(super) fn parse_bounded(token: &[u8], max: u64) -> Result<u64, MalformedKind> {
    let v = parse_u64(token)?;
    if v > max {
        Err(MalformedKind::TooLarge)
    } else {
        Ok(v)
    }
}

/// IPv4 (fast path, same rules as `std`: four decimal octets, no leading zeros) or IPv6.
#[inline]
pub fn parse_addr(token: &[u8]) -> Option<IpAddr> {
    if let Some(v4) = parse_ipv4(token) {
        return Some(IpAddr::V4(v4));
    }
    // Only IPv6 has colons: parse it as that alone (`IpAddr`'s parser tries IPv4 first).
    if token.contains(&b':') {
        let v6: std::net::Ipv6Addr = std::str::from_utf8(token).ok()?.parse().ok()?;
        return Some(IpAddr::V6(v6));
    }
    None
}

#[inline]
pub(super) fn parse_ipv4(token: &[u8]) -> Option<Ipv4Addr> {
    if token.len() < 7 || token.len() > 15 {
        return None;
    }
    let mut octets = [0u8; 4];
    let mut part = 0;
    let mut value: u32 = 0;
    let mut digits = 0;
    for &b in token {
        if b == b'.' {
            if digits == 0 || part == 3 {
                return None;
            }
            octets[part] = value as u8;
            part += 1;
            value = 0;
            digits = 0;
        } else {
            let d = b.wrapping_sub(b'0');
            if d > 9 || (digits == 1 && value == 0) {
                return None; // not a digit, or a leading zero
            }
            value = value * 10 + u32::from(d);
            digits += 1;
            if value > 255 {
                return None;
            }
        }
    }
    if digits == 0 || part != 3 {
        return None;
    }
    octets[3] = value as u8;
    Some(Ipv4Addr::from(octets))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Fields of every kind, to make formats of.
    const FIELDS: [&str; 16] = [
        "version",
        "account-id",
        "interface-id",
        "srcaddr",
        "dstaddr",
        "srcport",
        "protocol",
        "bytes",
        "start",
        "action",
        "log-status",
        "vpc-id",
        "tcp-flags",
        "pkt-srcaddr",
        "pkt-dstaddr",
        "flow-direction",
    ];

    /// A token that may fit a field of any kind, or none: numbers (leading zeros, 19 to 25
    /// digits, signs, fractions, past a width), addresses in every textual form (compressed,
    /// mixed case, embedded IPv4, zones, leading zeros, past 255), texts with control
    /// characters and high bytes, actions and statuses in the wrong case, and `-`.
    fn token() -> impl Strategy<Value = Vec<u8>> {
        let text = |t: &str| t.as_bytes().to_vec();
        prop_oneof![
            4 => any::<u64>().prop_map(|n| n.to_string().into_bytes()),
            3 => (0u32..70_000).prop_map(|n| n.to_string().into_bytes()),
            2 => Just(text("-")),
            1 => "0{1,8}[0-9]{1,20}".prop_map(|t| t.into_bytes()),
            1 => "[0-9]{19,25}".prop_map(|t| t.into_bytes()),
            1 => prop::sample::select(vec!["-5", "1.5", "+1", "abc", "", "18446744073709551616"])
                .prop_map(text),
            4 => (any::<[u8; 4]>()).prop_map(|o| {
                format!("{}.{}.{}.{}", o[0], o[1], o[2], o[3]).into_bytes()
            }),
            3 => (any::<[u16; 8]>(), 0usize..8, 0usize..9, any::<bool>()).prop_map(
                |(g, from, len, upper)| {
                    let ip = std::net::Ipv6Addr::from(g);
                    let mut t = if len > 0 {
                        // A run of zero groups, written compressed by Display.
                        let mut z = g;
                        for x in z.iter_mut().skip(from).take(len) {
                            *x = 0;
                        }
                        std::net::Ipv6Addr::from(z).to_string()
                    } else {
                        ip.segments().map(|s| format!("{s:x}")).join(":")
                    };
                    if upper {
                        t = t.to_uppercase();
                    }
                    t.into_bytes()
                }
            ),
            1 => prop::sample::select(vec![
                "::ffff:10.0.0.1", "fe80::1%eth0", "::", "::1", "1::", "01.2.3.4", "1.2.3.256",
                "1.2.3", "1.2.3.4.5", "1:2:3:4:5:6:7:8:9", "1:::2", "12345::", "g::1", ":1::",
            ])
            .prop_map(text),
            3 => proptest::collection::vec(
                prop_oneof![8 => 0x21u8..0x7f, 1 => 0u8..0x20, 1 => Just(0x7fu8), 1 => 0x80u8..=0xff],
                1..30,
            ),
            2 => prop::sample::select(vec![
                "ACCEPT", "REJECT", "OK", "NODATA", "SKIPDATA", "accept", "ok", "ingress",
            ])
            .prop_map(text),
        ]
    }

    proptest! {
        /// The laid-out decoder and the byte loop give the same values or the same reason on
        /// every line: formats of any kinds, tokens that fit or do not, runs of spaces,
        /// leading and trailing spaces, fields too few or too many.
        #[test]
        fn laid_out_and_bytewise_decoders_agree(
            picks in proptest::collection::vec(0usize..FIELDS.len(), 1..12),
            tokens in proptest::collection::vec(token(), 14),
            // Mostly as many tokens as the format has fields; sometimes one fewer or more.
            delta in prop_oneof![8 => Just(0isize), 1 => Just(-1isize), 1 => Just(1isize)],
            // Mostly single spaces; sometimes a run, a tab, or a space at an end.
            gaps in proptest::collection::vec(prop_oneof![20 => Just(" "), 1 => Just("  "), 1 => Just("\t")], 14),
            lead in prop_oneof![9 => Just(""), 1 => Just(" ")],
            trail in prop_oneof![9 => Just(""), 1 => Just(" ")],
        ) {
            let mut names: Vec<&str> = Vec::new();
            for p in picks {
                if !names.contains(&FIELDS[p]) {
                    names.push(FIELDS[p]);
                }
            }
            let schema = Schema::parse_format(&names.join(" ")).expect("distinct known fields");
            let count = names.len().saturating_add_signed(delta);
            let mut line = lead.as_bytes().to_vec();
            for (k, t) in tokens.iter().take(count).enumerate() {
                if k > 0 {
                    line.extend_from_slice(gaps[k].as_bytes());
                }
                line.extend_from_slice(t);
            }
            line.extend_from_slice(trail.as_bytes());
            let (mut ours, mut plain) = (Vec::new(), Vec::new());
            let mut ends = NO_ENDS;
            let got = decode(&schema, &line, &mut ours, &mut ends);
            let want = decode_bytewise(schema.kinds(), &line, &mut plain);
            prop_assert_eq!(got, want, "{}", String::from_utf8_lossy(&line));
            if got.is_ok() {
                prop_assert_eq!(ours, plain);
            }
        }

        /// Text fields are the tokens between spaces (runs of them one separator), `-` is
        /// absent, and the first field holding a control character is the reason.
        #[test]
        fn text_fields_are_split_and_checked_as_byte_by_byte(
            tokens in proptest::collection::vec(
                proptest::collection::vec(
                    prop_oneof![8 => 0x21u8..0x7f, 1 => 0u8..0x20, 1 => Just(0x7fu8), 1 => 0x80u8..=0xff],
                    1..40,
                ),
                1..7,
            ),
            runs in proptest::collection::vec(1usize..3, 7),
            lead in 0usize..3,
        ) {
            let schema = Schema::from_header_line(b"vpc-id subnet-id instance-id region az-id")
                .expect("a header of text fields");
            let mut line = vec![b' '; lead];
            for (k, t) in tokens.iter().enumerate() {
                if k > 0 {
                    line.extend(std::iter::repeat_n(b' ', runs[k]));
                }
                line.extend_from_slice(t);
            }
            let mut values = Vec::new();
            let mut ends = NO_ENDS;
            let got = decode(&schema, &line, &mut values, &mut ends);
            let fields = schema.kinds().len();
            match got {
                Ok(()) => {
                    prop_assert_eq!(tokens.len(), fields);
                    for (v, t) in values.iter().zip(&tokens) {
                        match v {
                            Value::Text(span) => prop_assert_eq!(
                                &line[span.start as usize..span.end as usize],
                                &t[..]
                            ),
                            Value::Absent => prop_assert_eq!(&t[..], b"-"),
                            other => prop_assert!(false, "{other:?}"),
                        }
                        prop_assert!(!t.iter().any(|b| *b < 0x20 || *b == 0x7f));
                    }
                }
                Err(m) => match m.kind {
                    MalformedKind::FieldCount { found, .. } => {
                        prop_assert_ne!(tokens.len(), fields);
                        prop_assert_eq!(found as usize, tokens.len());
                    }
                    MalformedKind::ControlCharacter => {
                        prop_assert_eq!(tokens.len(), fields);
                        let first = tokens
                            .iter()
                            .position(|t| t.iter().any(|b| *b < 0x20 || *b == 0x7f));
                        prop_assert_eq!(m.column.map(|c| c as usize), first);
                    }
                    other => prop_assert!(false, "{other:?}"),
                },
            }
        }
    }
}
