//! Splitting a line into fields: runs of spaces are one separator, a trailing `\r` is
//! dropped.

/// Drops one trailing `\r` (CRLF files).
#[inline]
pub fn strip_cr(line: &[u8]) -> &[u8] {
    match line.split_last() {
        Some((b'\r', rest)) => rest,
        _ => line,
    }
}

/// Empty, or only ASCII whitespace.
#[inline]
pub fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// Iterates the `(start, end)` byte ranges of space-separated tokens.
pub(super) struct Tokens<'a> {
    line: &'a [u8],
    pos: usize,
}

impl<'a> Tokens<'a> {
    pub(super) fn new(line: &'a [u8]) -> Self {
        Tokens { line, pos: 0 }
    }
}

impl Iterator for Tokens<'_> {
    type Item = (usize, usize);

    #[inline]
    fn next(&mut self) -> Option<(usize, usize)> {
        let line = self.line;
        let mut i = self.pos;
        while i < line.len() && line[i] == b' ' {
            i += 1;
        }
        if i == line.len() {
            self.pos = i;
            return None;
        }
        let start = i;
        while i < line.len() && line[i] != b' ' {
            i += 1;
        }
        self.pos = i;
        Some((start, i))
    }
}
