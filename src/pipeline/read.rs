//! Reading one input into chunks: opened and framed to its end, or followed as it grows.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;

use super::{FollowConfig, IngestConfig};
use crate::source::follow::{FollowReader, Follower};
use crate::source::status::{Mechanism, SourceState};
use crate::source::{self, BufferPool, Chunk, Framer, InputSpec, Opened, SourceError};

/// The sending end of the chunk queue that readers fill and workers drain.
pub(super) type ChunkSender = crossbeam_channel::Sender<Chunk>;

/// What every reader of a run shares.
#[derive(Clone, Copy)]
pub(super) struct Reading<'r> {
    pub config: &'r IngestConfig,
    pub pool: &'r BufferPool,
    pub cancel: &'r AtomicBool,
}

impl Reading<'_> {
    /// Reads input `index` into `tx`, keeping its state on the board and its progress;
    /// returns the decoded bytes read and the error that ended it early, if one did.
    pub fn read_one(
        &self,
        index: usize,
        spec: &InputSpec,
        woken: Option<Receiver<()>>,
        seq: &mut u64,
        tx: &ChunkSender,
    ) -> (u64, Option<(usize, SourceError)>) {
        let board = self.config.board.as_deref();
        if let Some(b) = board {
            b.set(index, SourceState::Reading);
        }
        let read = read_input((index, spec, woken), self, seq, tx);
        if let Some(p) = &self.config.progress {
            p.input_done();
        }
        match read {
            Ok(n) => {
                if let Some(b) = board {
                    b.set(index, SourceState::Done);
                }
                (n, None)
            }
            Err((n, e)) => {
                if let Some(b) = board {
                    b.error(index, e.to_string());
                }
                (n, Some((index, e)))
            }
        }
    }
}

/// Sends chunks down `tx`. A send fails only when every worker is gone; then there is
/// nothing left to do, and `cancel` tells the readers so.
pub(super) fn sender<'a>(tx: &'a ChunkSender, cancel: &'a AtomicBool) -> impl FnMut(Chunk) + 'a {
    move |chunk| {
        if tx.send(chunk).is_err() {
            cancel.store(true, Ordering::Relaxed);
        }
    }
}

/// Opens and frames one input, sending its chunks down `tx`.
pub(super) fn read_input(
    (index, spec, woken): (usize, &InputSpec, Option<Receiver<()>>),
    reading: &Reading<'_>,
    seq: &mut u64,
    tx: &ChunkSender,
) -> Result<u64, (u64, SourceError)> {
    let Reading {
        config,
        pool,
        cancel,
    } = *reading;
    let framer = Framer::new(
        index as u32,
        Arc::clone(&config.schema),
        config.chunk_bytes,
        pool,
        seq,
        sender(tx, cancel),
    )
    .with_cancel(cancel);
    if let Some(follow) = config.follow() {
        return follow_input((index, spec, woken), config, follow, framer.live(), cancel);
    }
    let (framed, gzip) = match source::open_rows_or_text(spec, config.progress.as_ref()) {
        Ok(Opened::Text(mut opened)) => (framer.run(&mut opened.reader), opened.gzip),
        #[cfg(feature = "parquet")]
        Ok(Opened::Rows(mut rows)) => (framer.run_rows(&mut rows), false),
        Err(e) => return Err((0, e)),
    };
    framed.map_err(|(bytes, source)| {
        let name = spec.display_name();
        let err = if gzip {
            SourceError::Gzip {
                name,
                bytes,
                source,
            }
        } else {
            SourceError::Read {
                name,
                bytes,
                source,
            }
        };
        (bytes, err)
    })
}

/// Follows one input (a file by name, stdin or a log group as a stream) until `cancel` is
/// set or stdin ends. A gzip file or an S3 object cannot grow line by line: it is read once.
fn follow_input<F: FnMut(Chunk)>(
    (index, spec, woken): (usize, &InputSpec, Option<Receiver<()>>),
    config: &IngestConfig,
    follow: &FollowConfig,
    framer: Framer<'_, F>,
    cancel: &AtomicBool,
) -> Result<u64, (u64, SourceError)> {
    let name = spec.display_name();
    let read_err = |(bytes, source)| {
        (
            bytes,
            SourceError::Read {
                name: name.clone(),
                bytes,
                source,
            },
        )
    };
    // Neither a gzip file nor an object can grow line by line: each is read once, as it is.
    let read_once = match spec {
        InputSpec::Stdin => false,
        InputSpec::File(path) => source::is_gzip_file(path),
        InputSpec::Remote(r) => !r.grows(),
    };
    if read_once {
        let mut opened = source::open(spec).map_err(|e| (0, e))?;
        return framer.run(&mut opened.reader).map_err(read_err);
    }
    match spec {
        InputSpec::Stdin => {
            if let Some(b) = config.board.as_deref() {
                b.set(index, SourceState::Following);
            }
            let mut stream = source::StdinStream::new(follow.timing.poll, cancel);
            framer.run(&mut stream).map_err(read_err)
        }
        // A log group is polled for new events.
        InputSpec::Remote(r) => {
            if let Some(b) = config.board.as_deref() {
                b.set(index, SourceState::Following);
            }
            let mut stream = r.follow(follow.timing.poll, cancel).map_err(|source| {
                (
                    0,
                    SourceError::Open {
                        name: name.clone(),
                        source,
                    },
                )
            })?;
            framer.run(&mut stream).map_err(read_err)
        }
        InputSpec::File(path) => {
            let follower = Follower::new(path, follow.start);
            let mut reader = FollowReader::new(follower, follow.timing, cancel);
            let mechanism = match woken {
                Some(rx) => {
                    reader = reader.woken_by(rx);
                    Mechanism::Notify
                }
                None => Mechanism::Polling,
            };
            if let Some(b) = &config.board {
                b.set_mechanism(index, mechanism);
                reader = reader.reporting_to(Arc::clone(b), index);
            }
            if let Some(r) = &config.registry {
                reader = reader.noting_files_in(Arc::clone(r));
            }
            framer.run(&mut reader).map_err(read_err)
        }
    }
}
