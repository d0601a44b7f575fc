//! Untrusted bytes → text that is safe to print on a terminal.
//!
//! Owns: the one escaping rule every output uses for text that came from a log file. Printable
//! ASCII and valid non-control Unicode pass through; control characters (C0, DEL, C1 such as
//! the one-byte CSI `U+009B`), bidirectional overrides, backslashes and invalid UTF-8 bytes are
//! written as escapes (`\x1b`, `\u{9b}`, `\u{202e}`, `\\`). The output never contains a byte
//! that a terminal interprets.

use std::fmt::Write;

/// Escapes `bytes` in full.
pub fn escape(bytes: &[u8]) -> String {
    escape_limited(bytes, usize::MAX)
}

/// Escapes at most `max_chars` input characters of `bytes`; a cut is marked with `…`.
pub fn escape_limited(bytes: &[u8], max_chars: usize) -> String {
    let mut out = String::with_capacity(bytes.len().min(max_chars.saturating_mul(2)));
    let mut taken = 0;
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if taken == max_chars {
                out.push('…');
                return out;
            }
            taken += 1;
            push_char(&mut out, c);
        }
        for &b in chunk.invalid() {
            if taken == max_chars {
                out.push('…');
                return out;
            }
            taken += 1;
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

fn push_char(out: &mut String, c: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\0' => out.push_str("\\0"),
        c if (c as u32) < 0x80 && c.is_ascii_control() => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if is_unsafe(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// Whether `c` may not reach a terminal as itself: a control character, or a bidirectional
/// override or isolate (which can reorder what a terminal shows). Every writer of text that
/// came from others (filters, queries, escapes) holds to this one rule.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_format_control(c)
}

/// Bidirectional overrides and isolates can reorder what a terminal shows: escape them too.
fn is_format_control(c: char) -> bool {
    matches!(c as u32, 0x200e | 0x200f | 0x202a..=0x202e | 0x2066..=0x2069)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn unsafe_is_control_or_bidirectional_override() {
        for c in [
            '\u{1b}', '\u{9b}', '\u{7f}', '\u{202e}', '\u{2066}', '\u{200f}',
        ] {
            assert!(is_unsafe(c), "{c:?}");
        }
        for c in ['a', 'б', '…', '\u{200b}', '臇'] {
            assert!(!is_unsafe(c), "{c:?}");
        }
    }

    #[test]
    fn printable_text_passes_through() {
        assert_eq!(escape(b"subnet-0abc-\xd0\xb1"), "subnet-0abc-б");
    }

    #[test]
    fn control_characters_and_escapes_are_written_as_escapes() {
        assert_eq!(escape(b"a\x1b[31mb"), "a\\x1b[31mb");
        assert_eq!(escape(b"\x00\t\r\n\x7f"), "\\0\\t\\r\\n\\x7f");
        assert_eq!(escape("x\u{9b}y".as_bytes()), "x\\u{9b}y");
        assert_eq!(escape("\u{202e}".as_bytes()), "\\u{202e}");
        assert_eq!(escape(b"\xff\xfe"), "\\xff\\xfe");
        assert_eq!(escape(b"a\\b"), "a\\\\b");
    }

    #[test]
    fn limited_escape_marks_the_cut() {
        assert_eq!(escape_limited(b"abcdef", 3), "abc…");
        assert_eq!(escape_limited(b"abc", 3), "abc");
    }

    proptest! {
        #[test]
        fn output_never_holds_a_control_character(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let out = escape(&bytes);
            prop_assert!(!out.chars().any(|c| c.is_control() || is_format_control(c)));
        }
    }
}
