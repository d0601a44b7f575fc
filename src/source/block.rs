//! Blocks of an input's bytes shared between the reader that read them and the workers that
//! parse lines out of them, so that a line picked out of file order (a replay's record-time
//! order) reaches a worker without being copied.
//!
//! A [`ReadBlock`] is written once, when it is read, and only read after that; it goes back
//! to its [`BlockPool`] when the last holder lets go of it, so steady-state reading
//! allocates (and zero-fills) nothing.

use std::sync::{Arc, Mutex};

/// Bytes read from an input: whole lines, and possibly the start of one more.
#[derive(Debug)]
pub struct ReadBlock {
    buf: Vec<u8>,
    len: usize,
    home: Option<Arc<BlockPool>>,
}

impl ReadBlock {
    /// The first `len` bytes of `buf`, which goes back to `home` when the block is dropped.
    pub fn new(buf: Vec<u8>, len: usize, home: Option<Arc<BlockPool>>) -> ReadBlock {
        let len = len.min(buf.len());
        ReadBlock { buf, len, home }
    }

    /// The bytes read.
    #[inline]
    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Drop for ReadBlock {
    fn drop(&mut self) {
        if let Some(pool) = &self.home {
            pool.give(std::mem::take(&mut self.buf));
        }
    }
}

/// Buffers for [`ReadBlock`]s, kept at their length so that reusing one writes nothing.
#[derive(Debug, Default)]
pub struct BlockPool {
    free: Mutex<Vec<Vec<u8>>>,
}

/// Buffers a pool keeps at most (more are dropped).
const POOLED: usize = 64;

/// Buffers longer than this are not kept (a block grown for one very long line).
const POOLED_BYTES: usize = 4 << 20;

impl BlockPool {
    /// A buffer of at least `len` bytes (their contents are whatever it last held).
    pub fn take(&self, len: usize) -> Vec<u8> {
        let recycled = self.free.lock().ok().and_then(|mut f| f.pop());
        let mut buf = recycled.unwrap_or_default();
        if buf.len() < len {
            buf.resize(len, 0);
        }
        buf
    }

    /// Returns a buffer for reuse.
    pub fn give(&self, buf: Vec<u8>) {
        if buf.len() > POOLED_BYTES || buf.is_empty() {
            return;
        }
        if let Ok(mut free) = self.free.lock()
            && free.len() < POOLED
        {
            free.push(buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_block_gives_its_buffer_back_and_reuse_keeps_its_length() {
        let pool = Arc::new(BlockPool::default());
        let mut buf = pool.take(1000);
        assert_eq!(buf.len(), 1000);
        buf[..3].copy_from_slice(b"abc");
        let block = ReadBlock::new(buf, 3, Some(Arc::clone(&pool)));
        assert_eq!(block.bytes(), b"abc");
        drop(block);
        let again = pool.take(10);
        assert_eq!(again.len(), 1000, "the same buffer, not a fresh one");
        assert_eq!(&again[..3], b"abc");
    }
}
