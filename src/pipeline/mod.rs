//! The pipeline: wires readers → framer → parse workers → what each worker does with its
//! lines (count, retain, format) → the merger that publishes snapshots.
//!
//! ```text
//!  inputs ─▶ reader threads (source: open, gunzip, follow, frame) ─▶ bounded queue ─▶ N workers
//!   │          one per input when following; one replay feed in record-time order   │ classify
//!   └ watched directories (source::watch) add readers while following               ▼
//!                                                     ChunkHandler: AggregateHandler (count + retain)
//!                                                                   RecordsHandler (format NDJSON)
//!                                                                   LiveHandler ─▶ merger ─▶ SnapshotCell
//! ```
//!
//! Owns: the thread layout ([`run`]), how one input is read in each [`Mode`] (`read`), the
//! single place where a framed line becomes a record, header, blank or malformed line
//! ([`classify`]), and the handlers that workers run ([`aggregate`], [`records`], [`live`]).
//!
//! Never: decodes fields itself (that is `parse`), keeps data structures of its own beyond a
//! run (that is `core`, `store` and `snapshot`), or prints: commands decide what is shown.

pub mod aggregate;
pub mod classify;
pub mod live;
mod read;
pub mod records;
pub mod run;

use std::path::PathBuf;
use std::sync::Arc;

use crate::schema::SharedSchema;
use crate::source::follow::{FollowTiming, StartAt};
use crate::source::input::RemoteListing;
use crate::source::progress::Progress;
use crate::source::replay::ReplayConfig;
use crate::source::status::SourceBoard;
use crate::source::{self, FileSelector, InputRegistry};

pub use aggregate::{AggregateHandler, aggregate_and_retain, aggregate_inputs};
pub use live::{LiveOptions, LiveOutcome, PublishHook, run_live, run_live_reporting};
pub use run::{ChunkHandler, IngestOutcome, ingest};

/// How a run reads its inputs.
#[derive(Debug, Clone, Default)]
pub enum Mode {
    /// Every input read once to its end, several at a time (`report`, `records`).
    #[default]
    Batch,
    /// Inputs followed as they grow, each by a reader of its own (`--follow`, the dashboard).
    Follow(FollowConfig),
    /// Every input merged in record-time order by one feed, paced (`replay`).
    Replay(ReplayConfig),
}

/// How inputs are followed.
#[derive(Debug, Clone, Default)]
pub struct FollowConfig {
    /// Where to start in files that already exist.
    pub start: StartAt,
    /// Poll interval and settle time.
    pub timing: FollowTiming,
    /// Directories whose new files join the run (read from their start).
    pub watch_dirs: Vec<PathBuf>,
    /// Poll followed files and watched directories instead of using file events (`--poll`).
    pub force_polling: bool,
    /// Remote locations (S3 prefixes) listed again every `listing_poll`; objects not seen
    /// before join the run, read once each.
    pub listings: Vec<Arc<dyn RemoteListing>>,
    /// How often remote locations are listed again.
    pub listing_poll: std::time::Duration,
}

/// How a run is laid out.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// The format of lines before an input's first header.
    pub schema: SharedSchema,
    /// Parse workers (at least 1).
    pub workers: usize,
    /// Inputs read at the same time in batch mode (at least 1). One keeps chunk order global.
    pub readers: usize,
    /// Target chunk size in bytes.
    pub chunk_bytes: usize,
    /// Read once, follow, or replay.
    pub mode: Mode,
    /// Where readers say what each input is doing, when someone wants to know.
    pub board: Option<Arc<SourceBoard>>,
    /// The run's input names; files found in watched directories are added to it.
    pub registry: Option<Arc<InputRegistry>>,
    /// Which files found in watched directories are read.
    pub select: FileSelector,
    /// Where reading counts its bytes and finished inputs (for a progress line or the
    /// status bar), when someone shows progress.
    pub progress: Option<Arc<Progress>>,
    /// Whether workers also count the alert detections' evidence (`alerts`, `report
    /// --alerts`).
    pub alerts: bool,
    /// The user's alert rules workers count for (with `alerts`).
    pub alert_rules: std::sync::Arc<[crate::core::signals::RuleCounter]>,
}

impl IngestConfig {
    /// A batch run: one worker per core, as many readers as helps decompress several inputs
    /// at once.
    pub fn new(schema: SharedSchema) -> IngestConfig {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        IngestConfig {
            schema,
            workers: cores,
            readers: cores.clamp(1, 4),
            chunk_bytes: source::framer::DEFAULT_CHUNK_BYTES,
            mode: Mode::Batch,
            board: None,
            registry: None,
            select: FileSelector::default(),
            progress: None,
            alerts: false,
            alert_rules: std::sync::Arc::new([]),
        }
    }

    /// How inputs are followed, when they are.
    pub fn follow(&self) -> Option<&FollowConfig> {
        match &self.mode {
            Mode::Follow(f) => Some(f),
            _ => None,
        }
    }
}
