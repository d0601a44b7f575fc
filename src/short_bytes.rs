//! Short byte strings (up to 24 bytes, such as interface and account ids, regions and
//! enumerations) as three words and a length: hashed and compared as integers, where a byte
//! string takes the hasher's slow path and a `memcmp` call. Read with fixed-size, overlapping
//! loads; copying a variable length into a padded key instead costs a `memcpy` call and undid
//! the gain.

use std::hash::{Hash, Hasher};

/// A byte string of at most 24 bytes, zero-padded into three little-endian words, with its
/// length (so strings that differ only in trailing NULs stay apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShortBytes {
    words: [u64; 3],
    len: u8,
}

impl Hash for ShortBytes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.words[0]);
        state.write_u64(self.words[1]);
        state.write_u64(self.words[2] ^ u64::from(self.len) << 56);
    }
}

/// The little-endian word of the 8 bytes ending at `end` in `bytes`, shifted so that only
/// the bytes from `from` on remain, zero-padded (`end` − 8 ≤ `from` < `end`, `end` ≥ 8).
#[inline(always)]
fn tail_word(bytes: &[u8], from: usize, end: usize) -> u64 {
    let word = bytes
        .get(end - 8..end)
        .and_then(|s| s.first_chunk::<8>())
        .map_or(0, |w| u64::from_le_bytes(*w));
    let drop = 8 - (end - from);
    word.checked_shr(8 * drop as u32).unwrap_or(0)
}

impl ShortBytes {
    /// The longest string kept as words.
    pub const MAX: usize = 24;

    /// `bytes` as words, when it has at most [`MAX`](Self::MAX) bytes.
    #[inline(always)]
    pub fn of(bytes: &[u8]) -> Option<ShortBytes> {
        let len = bytes.len();
        if len > Self::MAX {
            return None;
        }
        let first = match bytes.first_chunk::<8>() {
            Some(word) => u64::from_le_bytes(*word),
            // Under 8 bytes (`IPv4`, `ingress`, a port): assembled a byte at a time, which
            // still beats hashing and comparing a byte string.
            None => bytes
                .iter()
                .enumerate()
                .fold(0, |w, (i, b)| w | u64::from(*b) << (8 * i)),
        };
        let (second, third) = match len {
            0..=8 => (0, 0),
            9..=16 => (tail_word(bytes, 8, len), 0),
            _ => (
                u64::from_le_bytes(*bytes.get(8..16)?.first_chunk::<8>()?),
                tail_word(bytes, 16, len),
            ),
        };
        Some(ShortBytes {
            words: [first, second, third],
            len: len as u8,
        })
    }

    /// The bytes.
    pub fn bytes(&self) -> Vec<u8> {
        let mut bytes: Vec<u8> = self.words.iter().flat_map(|w| w.to_le_bytes()).collect();
        bytes.truncate(usize::from(self.len));
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_of_up_to_24_bytes_round_trip_and_stay_apart() {
        let strings: Vec<Vec<u8>> = (0..=30)
            .map(|n| (0..n).map(|i| b'a' + i as u8).collect())
            .chain([b"eni-1\0\0\0".to_vec(), b"eni-1\0\0\0\0".to_vec()])
            .chain([b"ab\0".to_vec(), b"a\0".to_vec(), b"\0".to_vec()])
            .collect();
        let mut keys = Vec::new();
        for s in &strings {
            match ShortBytes::of(s) {
                Some(k) => {
                    assert!(s.len() <= 24);
                    assert_eq!(k.bytes(), *s);
                    keys.push(k);
                }
                None => assert!(s.len() > 24, "{s:?}"),
            }
        }
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(keys.len(), 25 + 2 + 3);
    }
}
