//! An input cut into lines that stay in the blocks they were read into: a replay's merge
//! holds only where each waiting line is, and hands the workers the blocks, not copies.

use std::io::{self, Read as _};
use std::sync::Arc;

use crate::source::block::{BlockPool, ReadBlock};
use crate::source::framer::MAX_LINE_BYTES;

/// How much of an over-long line is kept to show (as the framer keeps).
const OVERLONG_PREFIX_BYTES: usize = 4096;

/// What a [`BlockReader`] found next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// A whole line, `start..end` of the [`BlockReader::block`] (without its newline), and
    /// the bytes it took, newline included.
    Line {
        /// Where it starts in the block.
        start: u32,
        /// Where it ends there.
        end: u32,
        /// Bytes of the input it took.
        used: u64,
    },
    /// An over-long line: its first bytes were copied out; the bytes it took.
    Overlong(u64),
    /// The end of the input.
    End,
}

/// Reads an input a block at a time and finds its lines in place.
///
/// A block is read to its end (or the input's) before its lines are handed out, and is never
/// written again: the start of a line cut by the block's end is copied to the next block.
pub struct BlockReader {
    reader: Box<dyn io::Read + Send>,
    pool: Arc<BlockPool>,
    block_bytes: usize,
    block: Arc<ReadBlock>,
    /// Counts the blocks read; the current one's number.
    seq: u64,
    pos: usize,
    eof: bool,
    /// A read error met after some bytes of a block: it ends the input once they are used.
    failed: Option<io::Error>,
}

impl BlockReader {
    /// Reads `reader` in blocks of about `block_bytes` from `pool`.
    pub fn new(
        reader: Box<dyn io::Read + Send>,
        pool: Arc<BlockPool>,
        block_bytes: usize,
    ) -> BlockReader {
        BlockReader {
            reader,
            pool,
            block_bytes: block_bytes.max(1),
            block: Arc::new(ReadBlock::new(Vec::new(), 0, None)),
            seq: 0,
            pos: 0,
            eof: false,
            failed: None,
        }
    }

    /// The block the last [`Next::Line`] lies in.
    pub fn block(&self) -> &Arc<ReadBlock> {
        &self.block
    }

    /// The current block's number (it grows by one or more with every block read).
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The next line; an over-long line's first bytes go to `prefix`.
    pub fn next(&mut self, prefix: &mut Vec<u8>) -> io::Result<Next> {
        loop {
            let bytes = self.block.bytes();
            let pending = &bytes[self.pos..];
            if let Some(nl) = memchr::memchr(b'\n', pending) {
                let start = self.pos;
                self.pos += nl + 1;
                return Ok(Next::Line {
                    start: start as u32,
                    end: (start + nl) as u32,
                    used: nl as u64 + 1,
                });
            }
            if pending.len() >= MAX_LINE_BYTES {
                prefix.clear();
                prefix.extend_from_slice(&pending[..OVERLONG_PREFIX_BYTES]);
                return self.skip_overlong();
            }
            if self.eof {
                if pending.is_empty() {
                    return Ok(Next::End);
                }
                // The input's last line, without a newline.
                let (start, end) = (self.pos, bytes.len());
                self.pos = end;
                return Ok(Next::Line {
                    start: start as u32,
                    end: end as u32,
                    used: (end - start) as u64,
                });
            }
            self.refill()?;
        }
    }

    /// The next line, as [`next`](Self::next) finds it, and where its `field`-th field lies
    /// in the block: found in the same pass as the line's end when the line lies whole in
    /// the current block (`None` otherwise, or when its fields are not plainly spaced up to
    /// that one; see [`line_and_field`](crate::parse::line_and_field)).
    pub fn next_with_field(
        &mut self,
        prefix: &mut Vec<u8>,
        field: Option<usize>,
    ) -> io::Result<(Next, Option<(u32, u32)>)> {
        if let Some(index) = field {
            let pending = &self.block.bytes()[self.pos..];
            if let Some(found) = crate::parse::line_and_field(pending, index, MAX_LINE_BYTES) {
                let start = self.pos;
                self.pos += found.newline + 1;
                let at = |p: usize| (start + p) as u32;
                let next = Next::Line {
                    start: start as u32,
                    end: at(found.newline),
                    used: found.newline as u64 + 1,
                };
                return Ok((next, found.field.map(|(a, b)| (at(a), at(b)))));
            }
        }
        Ok((self.next(prefix)?, None))
    }

    /// Skips the rest of an over-long line.
    fn skip_overlong(&mut self) -> io::Result<Next> {
        let mut used = 0u64;
        loop {
            let bytes = self.block.bytes();
            let pending = &bytes[self.pos..];
            if let Some(nl) = memchr::memchr(b'\n', pending) {
                self.pos += nl + 1;
                return Ok(Next::Overlong(used + nl as u64 + 1));
            }
            used += pending.len() as u64;
            self.pos = bytes.len();
            if self.eof {
                return Ok(Next::Overlong(used));
            }
            self.refill()?;
        }
    }

    /// Reads the next block: the unfinished line at the end of this one, then as much as
    /// fits (to the input's end).
    fn refill(&mut self) -> io::Result<()> {
        if let Some(e) = self.failed.take() {
            self.eof = true;
            return Err(e);
        }
        let tail = &self.block.bytes()[self.pos..];
        // A line longer than a block doubles the next one, up to the longest line kept.
        let want = (tail.len() * 2)
            .max(self.block_bytes)
            .min(MAX_LINE_BYTES + 1)
            .max(tail.len() + 1);
        let mut buf = self.pool.take(want);
        buf[..tail.len()].copy_from_slice(tail);
        let mut filled = tail.len();
        while filled < want {
            match self.reader.read(&mut buf[filled..want]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if filled > tail.len() => {
                    self.failed = Some(e);
                    break;
                }
                Err(e) => {
                    self.eof = true;
                    return Err(e);
                }
            }
        }
        self.block = Arc::new(ReadBlock::new(buf, filled, Some(Arc::clone(&self.pool))));
        self.pos = 0;
        self.seq += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line `BlockReader` finds, as text, and the bytes each took.
    fn lines_of(input: &[u8], block_bytes: usize) -> Vec<(Vec<u8>, u64, bool)> {
        let mut r = BlockReader::new(
            Box::new(io::Cursor::new(input.to_vec())),
            Arc::new(BlockPool::default()),
            block_bytes,
        );
        let mut prefix = Vec::new();
        let mut out = Vec::new();
        loop {
            match r.next(&mut prefix).unwrap() {
                Next::Line { start, end, used } => out.push((
                    r.block().bytes()[start as usize..end as usize].to_vec(),
                    used,
                    false,
                )),
                Next::Overlong(used) => out.push((prefix.clone(), used, true)),
                Next::End => return out,
            }
        }
    }

    #[test]
    fn lines_cut_by_a_block_end_come_whole_whatever_the_block_size() {
        let input = b"one\ntwo two\n\nthree three three\nlast";
        let want: Vec<(Vec<u8>, u64, bool)> = vec![
            (b"one".to_vec(), 4, false),
            (b"two two".to_vec(), 8, false),
            (b"".to_vec(), 1, false),
            (b"three three three".to_vec(), 18, false),
            (b"last".to_vec(), 4, false),
        ];
        for block in [1, 2, 3, 5, 7, 16, 1 << 20] {
            assert_eq!(lines_of(input, block), want, "blocks of {block}");
        }
        assert!(lines_of(b"", 4).is_empty());
        assert_eq!(lines_of(b"\n", 4), vec![(Vec::new(), 1, false)]);
    }

    #[test]
    fn an_over_long_line_is_its_prefix_and_the_next_line_still_comes() {
        let mut input = vec![b'x'; MAX_LINE_BYTES + 10];
        input.extend_from_slice(b"\nnext\n");
        let got = lines_of(&input, 1 << 20);
        assert_eq!(got.len(), 2);
        assert!(got[0].2, "over-long");
        assert_eq!(got[0].0.len(), OVERLONG_PREFIX_BYTES);
        assert_eq!(got[0].1, MAX_LINE_BYTES as u64 + 11);
        assert_eq!(got[1], (b"next".to_vec(), 5, false));
    }

    #[test]
    fn a_read_error_after_some_bytes_ends_the_input_once_they_are_used() {
        struct Failing(Vec<u8>);
        impl io::Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() {
                    return Err(io::Error::other("disk on fire"));
                }
                let n = buf.len().min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0.drain(..n);
                Ok(n)
            }
        }
        let mut r = BlockReader::new(
            Box::new(Failing(b"a\nb\nc".to_vec())),
            Arc::new(BlockPool::default()),
            64,
        );
        let mut prefix = Vec::new();
        assert!(matches!(
            r.next(&mut prefix),
            Ok(Next::Line { used: 2, .. })
        ));
        assert!(matches!(
            r.next(&mut prefix),
            Ok(Next::Line { used: 2, .. })
        ));
        let e = r.next(&mut prefix).unwrap_err();
        assert_eq!(e.to_string(), "disk on fire");
    }
}
