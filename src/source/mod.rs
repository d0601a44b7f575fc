//! Where bytes come from and how they become chunks of lines.
//!
//! Owns: naming and opening inputs (files, directories, stdin, gzip by magic bytes:
//! [`input`]) and framing their bytes into chunks of whole lines tagged with input, line
//! number and format ([`framer`]), and following a file by name as it grows, rotates and is
//! truncated ([`follow`]), watching directories for new files and waking followers on file
//! events ([`watch`]), merging inputs in record-time order and pacing them ([`replay`]) in
//! blocks of read bytes that workers share instead of copies ([`block`]), each
//! input's state ([`status`]) and how far reading has come ([`progress`]).
//!
//! Never: decodes fields beyond the `start` that replay orders by, aggregates, or starts
//! threads of its own for reading (the pipeline lays those out); a bad input is an error
//! value, never a panic.

#[cfg(feature = "aws")]
pub mod aws;
pub mod block;
pub mod contain;
pub mod follow;
pub mod framer;
pub mod input;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod progress;
pub mod replay;
pub mod status;
pub mod watch;

use thiserror::Error;

/// The first bytes of every Parquet file.
pub const PARQUET_MAGIC: &[u8; 4] = b"PAR1";

pub use framer::{BufferPool, Chunk, ChunkBody, Framer, LinePlace, PickedLine};
pub use input::{
    FileSelector, InputRegistry, InputSpec, Opened, StdinStream, expand_paths, is_gzip_file,
    is_log_candidate, list_dir, open, open_counted, open_rows_or_text, read_line_at,
};

/// Why an input could not be read (to the end).
#[derive(Debug, Error)]
pub enum SourceError {
    /// The path could not be opened or listed.
    #[error("{name}: {source}")]
    Open {
        /// The input as the user named it.
        name: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// Reading failed part-way; what was read before still counts.
    #[error("{name}: read error after {bytes} bytes: {source}")]
    Read {
        /// The input as the user named it.
        name: String,
        /// Decoded bytes read before the failure.
        bytes: u64,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A gzip stream is corrupt or cut short; the records before the damage still count.
    #[error("{name}: corrupt or truncated gzip after {bytes} decompressed bytes: {source}")]
    Gzip {
        /// The input as the user named it.
        name: String,
        /// Decompressed bytes read before the damage.
        bytes: u64,
        /// What the decoder said.
        source: std::io::Error,
    },
}
