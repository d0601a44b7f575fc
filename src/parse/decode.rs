//! Decoding a line's fields by the format's [`FieldKind`]s, `-` as absent: numbers,
//! addresses, actions and statuses, each failure with its exact reason.

use std::net::{IpAddr, Ipv4Addr};

use super::tokens::Tokens;
use super::values::{Action, LogStatus, Malformed, MalformedKind, Span, Value};
use crate::schema::{FieldKind, Schema};

/// Decodes every column of `text` into `values`, or says why the line is malformed.
///
/// The hot loop: one pass over the bytes. Integers and dotted-quad IPv4 addresses are decoded
/// while their token is being scanned, and text fields are checked for control characters in
/// the same pass; only unusual tokens (absent, over 19 digits, IPv6, errors) take
/// [`decode_value`].
pub(super) fn decode(
    schema: &Schema,
    text: &[u8],
    values: &mut Vec<Value>,
) -> Result<(), Malformed> {
    let kinds = schema.kinds();
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

    proptest! {
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
            let got = decode(&schema, &line, &mut values);
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
