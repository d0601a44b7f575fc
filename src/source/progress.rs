//! How far a run has read its inputs: bytes read from disk (compressed bytes for gzip) of
//! their total size, and inputs finished of all. Readers add to it as they go; whoever shows
//! progress (a progress line, the status bar) reads it whenever it likes.
//!
//! Hot path: one relaxed atomic add per read call (each read is 64 KiB or more).

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::InputSpec;

/// Shared counters of one run's reading.
#[derive(Debug, Default)]
pub struct Progress {
    total_bytes: u64,
    inputs: u64,
    read: AtomicU64,
    done: AtomicU64,
}

impl Progress {
    /// Counters for `inputs`, whose total is the size of every file on disk (stdin, which has
    /// no size, adds nothing).
    pub fn for_inputs(inputs: &[InputSpec]) -> Arc<Progress> {
        let total_bytes = inputs
            .iter()
            .filter_map(|i| match i {
                InputSpec::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
                InputSpec::Remote(r) => r.size(),
                InputSpec::Stdin => None,
            })
            .sum();
        Arc::new(Progress {
            total_bytes,
            inputs: inputs.len() as u64,
            ..Progress::default()
        })
    }

    /// Counts `n` more bytes read from disk.
    pub fn add_read(&self, n: u64) {
        self.read.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts one more input read to its end (or given up on).
    pub fn input_done(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }

    /// Bytes read so far.
    pub fn read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }

    /// The size of every input file together.
    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    /// Inputs finished so far.
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    /// Inputs in all.
    pub fn inputs(&self) -> u64 {
        self.inputs
    }

    /// The share of bytes read, 0.0 to 1.0 (1.0 when there is nothing to read).
    pub fn fraction(&self) -> f64 {
        if self.total_bytes == 0 {
            return 1.0;
        }
        (self.read() as f64 / self.total_bytes as f64).min(1.0)
    }
}

/// A reader that counts what passes through it into a [`Progress`].
pub struct Counted<R> {
    inner: R,
    progress: Arc<Progress>,
}

impl<R> Counted<R> {
    /// Counts `inner`'s bytes into `progress`.
    pub fn new(inner: R, progress: Arc<Progress>) -> Counted<R> {
        Counted { inner, progress }
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.add_read(n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_bytes_of_the_files_total_and_inputs_done() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.log");
        std::fs::write(&a, vec![b'x'; 1000]).unwrap();
        let inputs = [InputSpec::File(a.clone()), InputSpec::Stdin];
        let p = Progress::for_inputs(&inputs);
        assert_eq!((p.total_bytes(), p.inputs()), (1000, 2));
        let mut r = Counted::new(std::fs::File::open(&a).unwrap(), Arc::clone(&p));
        let mut buf = [0u8; 400];
        assert_eq!(r.read(&mut buf).unwrap(), 400);
        assert!((p.fraction() - 0.4).abs() < 1e-9);
        std::io::copy(&mut r, &mut std::io::sink()).unwrap();
        p.input_done();
        assert_eq!((p.read(), p.done(), p.fraction()), (1000, 1, 1.0));
    }
}
