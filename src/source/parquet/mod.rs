//! Parquet flow-log files (AWS's `FileFormat=parquet` delivery, local or from S3): decoded
//! into batches of rows ([`ParquetRows`]), which the pipeline counts straight from their
//! columns, or read as the text lines the same records would have been ([`ParquetLines`]): a
//! header naming the file's fields, then one line per row in that order, `-` for a null.
//! Both views agree byte for byte: a row's line, its line number (the header is line 1) and
//! its offset are the same whichever way the file was read, so a record kept in the store is
//! read back as the same line.
//!
//! The columns AWS writes are the catalogue's fields with `_` for `-` (`account_id`,
//! `pkt_src_aws_service`): INT32 for version, ports, protocol, tcp-flags and traffic-path,
//! INT64 for packets, bytes, start and end, dictionary-encoded strings otherwise. Any integer
//! width is read for any integer field, and columns in any subset or order. A column that is
//! no catalogue field is left out (it cannot be named in a format).
//!
//! Row groups are decoded on several threads at once (group `g` by decoder `g mod N`, through
//! the `parquet` crate's Arrow reader, string columns kept as dictionaries) and handed over in
//! file order, a batch at a time, so memory stays bounded whatever the file's size.
//!
//! Never: trusts the file: a string holding whitespace or a control byte is written with `?`
//! in their place (a line must stay one line of space-separated fields), a nested, repeated or
//! non-integer, non-string column is an error naming it, a panic inside the decoder is
//! contained, and every read error is an `io::Error` for the caller to report with the file's
//! name.

mod batch;

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use arrow_schema::{DataType, Schema as ArrowSchema};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::basic::Type as PhysicalType;
use parquet::file::reader::ChunkReader;
use parquet::schema::types::SchemaDescriptor;

pub use batch::RowBatch;
use batch::{ColumnIn, Dictionary};

use super::contain::contained;
use super::progress::Progress;
use crate::schema::Field;

/// Rows decoded at a time: one batch, one chunk for the workers.
const BATCH_ROWS: usize = 8192;

/// Batches a decoder may have ready before the reader takes them.
const READY_BATCHES: usize = 4;

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// A panic of the parquet decoder, contained: the file is damaged in a way it did not check.
fn decoder_panic(why: String) -> io::Error {
    invalid(format!("parquet: damaged file (the decoder failed: {why})"))
}

fn parquet_error(e: parquet::errors::ParquetError) -> io::Error {
    invalid(format!(
        "parquet: {}",
        e.to_string().trim_start_matches("Parquet error: ")
    ))
}

fn arrow_error(e: arrow_schema::ArrowError) -> io::Error {
    invalid(format!("parquet: {e}"))
}

/// The leaf columns of a file that are flow-log fields, in file order.
#[derive(Debug, Clone)]
struct FlowColumns {
    /// Leaf index in the file, field, and the column's name as written.
    chosen: Vec<(usize, Field, String)>,
}

impl FlowColumns {
    /// Picks the flow-log columns of `schema`; an error for a flow-log column that is
    /// nested, repeated or of a type flow logs never use, or when there is none.
    fn of(schema: &SchemaDescriptor) -> io::Result<FlowColumns> {
        let mut chosen = Vec::new();
        for (i, column) in schema.columns().iter().enumerate() {
            let name = column.name();
            let Some(field) = Field::lookup(name) else {
                continue;
            };
            if column.max_rep_level() > 0 || column.path().parts().len() > 1 {
                return Err(invalid(format!(
                    "parquet: column {name} is nested or repeated; flow-log columns are flat"
                )));
            }
            match column.physical_type() {
                PhysicalType::INT32 | PhysicalType::INT64 | PhysicalType::BYTE_ARRAY => {}
                other => {
                    return Err(invalid(format!(
                        "parquet: column {name} is {other}; flow-log columns are integers or strings"
                    )));
                }
            }
            chosen.push((i, field, name.to_string()));
        }
        if chosen.is_empty() {
            return Err(invalid(
                "parquet: no column is a flow-log field (expected names such as account_id, srcaddr)"
                    .to_string(),
            ));
        }
        Ok(FlowColumns { chosen })
    }

    /// The header line naming the fields, newline included.
    fn header(&self) -> Vec<u8> {
        let names: Vec<&str> = self.chosen.iter().map(|(_, f, _)| f.name()).collect();
        let mut header = names.join(" ").into_bytes();
        header.push(b'\n');
        header
    }
}

/// The Arrow schema to read `file` with: as the file's own, but every string column of a
/// flow-log field read as a dictionary (kept as the file stores it, examined once).
fn reading_schema(descr: &SchemaDescriptor, columns: &FlowColumns) -> io::Result<Arc<ArrowSchema>> {
    let plain = parquet::arrow::parquet_to_arrow_schema(descr, None).map_err(parquet_error)?;
    let fields = plain
        .fields()
        .iter()
        .map(|f| {
            let ours = columns.chosen.iter().any(|(_, _, name)| name == f.name());
            match f.data_type() {
                DataType::Utf8 | DataType::Binary if ours => {
                    let dict = DataType::Dictionary(
                        Box::new(DataType::Int32),
                        Box::new(f.data_type().clone()),
                    );
                    Arc::new(f.as_ref().clone().with_data_type(dict))
                }
                _ => Arc::clone(f),
            }
        })
        .collect::<Vec<_>>();
    Ok(Arc::new(ArrowSchema::new(fields)))
}

/// What a decoder hands over: a batch of its current row group, or the end of that group.
enum Piece {
    Batch(RowBatch),
    GroupEnd,
}

/// A Parquet file as batches of rows in file order, decoded on several threads.
pub struct ParquetRows {
    header: Vec<u8>,
    groups: usize,
    next_group: usize,
    decoders: Vec<Receiver<io::Result<Piece>>>,
    /// Each row group's compressed bytes, and where to count them once the group is read.
    group_bytes: Vec<u64>,
    progress: Option<Arc<Progress>>,
}

/// What each decoder thread needs to open and read its row groups.
struct Plan<F> {
    open: F,
    metadata: ArrowReaderMetadata,
    mask: ProjectionMask,
    columns: FlowColumns,
}

impl ParquetRows {
    /// Opens the Parquet file that `open` gives a reader of (its footer is read now), and
    /// starts decoding it; `open` is called again for each row group a decoder reads.
    pub fn open<R, F>(open: F) -> io::Result<Self>
    where
        R: ChunkReader + 'static,
        F: Fn() -> io::Result<R> + Send + Sync + 'static,
    {
        let plan = contained(|| -> io::Result<_> {
            let reader = open()?;
            let plain = ArrowReaderMetadata::load(
                &reader,
                ArrowReaderOptions::new().with_skip_arrow_metadata(true),
            )
            .map_err(parquet_error)?;
            let descr = plain.metadata().file_metadata().schema_descr_ptr();
            let columns = FlowColumns::of(&descr)?;
            let schema = reading_schema(&descr, &columns)?;
            let metadata = ArrowReaderMetadata::try_new(
                Arc::clone(plain.metadata()),
                ArrowReaderOptions::new()
                    .with_skip_arrow_metadata(true)
                    .with_schema(schema),
            )
            .map_err(parquet_error)?;
            let mask = ProjectionMask::leaves(&descr, columns.chosen.iter().map(|(i, _, _)| *i));
            Ok(Plan {
                open,
                metadata,
                mask,
                columns,
            })
        })
        .map_err(decoder_panic)??;
        let header = plan.columns.header();
        let groups = plan.metadata.metadata().num_row_groups();
        let group_bytes = (0..groups)
            .map(|g| {
                let size = plan.metadata.metadata().row_group(g).compressed_size();
                u64::try_from(size).unwrap_or(0)
            })
            .collect();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let n = cores.min(groups).max(1);
        let plan = Arc::new(plan);
        let mut decoders = Vec::with_capacity(n);
        for k in 0..n {
            let (tx, rx) = sync_channel(READY_BATCHES);
            let plan = Arc::clone(&plan);
            std::thread::Builder::new()
                .name("vpctop-parquet".into())
                .spawn(move || {
                    let mut dictionaries = Vec::new();
                    for g in (k..groups).step_by(n) {
                        // A closed channel means the reader is gone: stop.
                        match contained(|| plan.send_group(g, &mut dictionaries, &tx)) {
                            Ok(true) => {}
                            Ok(false) => return,
                            Err(why) => {
                                let _ = tx.send(Err(decoder_panic(why)));
                                return;
                            }
                        }
                    }
                })?;
            decoders.push(rx);
        }
        Ok(ParquetRows {
            header,
            groups,
            next_group: 0,
            decoders,
            group_bytes,
            progress: None,
        })
    }

    /// Counts each row group's compressed bytes into `progress` once it has been read (for a
    /// file read where it lies; an object read whole first was counted as it came).
    pub fn counting(mut self, progress: Option<Arc<Progress>>) -> Self {
        self.progress = progress;
        self
    }

    /// The header line naming the file's flow-log fields, newline included.
    pub fn header(&self) -> &[u8] {
        &self.header
    }

    /// The next batch of rows in file order; `None` at the end of the file.
    pub fn next_batch(&mut self) -> io::Result<Option<RowBatch>> {
        while self.next_group < self.groups {
            let decoder = &self.decoders[self.next_group % self.decoders.len()];
            match decoder.recv() {
                Ok(Ok(Piece::Batch(batch))) => return Ok(Some(batch)),
                Ok(Ok(Piece::GroupEnd)) => {
                    if let Some(p) = &self.progress {
                        p.add_read(self.group_bytes.get(self.next_group).copied().unwrap_or(0));
                    }
                    self.next_group += 1;
                }
                Ok(Err(e)) => {
                    // The error ends the file: nothing after it is read.
                    self.next_group = self.groups;
                    return Err(e);
                }
                Err(_) => return Err(invalid("parquet: a decoder ended early".to_string())),
            }
        }
        Ok(None)
    }
}

impl<R, F> Plan<F>
where
    R: ChunkReader + 'static,
    F: Fn() -> io::Result<R>,
{
    /// Decodes row group `g` and sends its batches, then its end (or the error that stopped
    /// it). False when the reader is gone or an error was sent.
    fn send_group(
        &self,
        g: usize,
        dictionaries: &mut Vec<Option<Arc<Dictionary>>>,
        tx: &SyncSender<io::Result<Piece>>,
    ) -> bool {
        let reader = (self.open)().and_then(|r| {
            ParquetRecordBatchReaderBuilder::new_with_metadata(r, self.metadata.clone())
                .with_projection(self.mask.clone())
                .with_row_groups(vec![g])
                .with_batch_size(BATCH_ROWS)
                .build()
                .map_err(parquet_error)
        });
        let reader = match reader {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.send(Err(e));
                return false;
            }
        };
        for batch in reader {
            let batch = batch.map_err(arrow_error).and_then(|b| {
                let columns = self
                    .columns
                    .chosen
                    .iter()
                    .zip(b.columns())
                    .map(|((_, field, name), array)| ColumnIn {
                        field: *field,
                        name,
                        array: Arc::clone(array),
                    })
                    .collect();
                RowBatch::new(columns, dictionaries).map_err(|e| invalid(format!("parquet: {e}")))
            });
            let piece = batch.map(Piece::Batch);
            let failed = piece.is_err();
            if tx.send(piece).is_err() || failed {
                return false;
            }
        }
        tx.send(Ok(Piece::GroupEnd)).is_ok()
    }
}

/// A Parquet file as flow-log text: implements [`Read`].
pub struct ParquetLines {
    rows: ParquetRows,
    out: Vec<u8>,
    at: usize,
    started: bool,
}

impl ParquetLines {
    /// Opens the Parquet file that `open` gives a reader of (see [`ParquetRows::open`]).
    pub fn new<R, F>(open: F) -> io::Result<Self>
    where
        R: ChunkReader + 'static,
        F: Fn() -> io::Result<R> + Send + Sync + 'static,
    {
        Ok(ParquetLines::of(ParquetRows::open(open)?))
    }

    /// The text of rows already opened.
    pub fn of(rows: ParquetRows) -> Self {
        ParquetLines {
            rows,
            out: Vec::new(),
            at: 0,
            started: false,
        }
    }

    /// The next piece of text into `out`; false at the end of the file.
    fn fill(&mut self) -> io::Result<bool> {
        self.at = 0;
        self.out.clear();
        if !self.started {
            self.started = true;
            self.out.extend_from_slice(self.rows.header());
            return Ok(true);
        }
        match self.rows.next_batch()? {
            Some(batch) => {
                for r in 0..batch.rows() {
                    batch.render(r, &mut self.out);
                }
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

impl Read for ParquetLines {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at >= self.out.len() {
            if !self.fill()? {
                return Ok(0);
            }
        }
        let n = (&self.out[self.at..]).read(buf)?;
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;
    use std::path::PathBuf;

    fn fixture(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/corpus/parquet")
            .join(name)
    }

    #[test]
    fn rows_come_in_file_order_and_count_their_bytes_read() {
        let path = fixture("v5.parquet");
        let size = std::fs::metadata(&path).unwrap().len();
        let progress = Arc::new(Progress::default());
        let open = {
            let path = path.clone();
            move || File::open(&path)
        };
        let mut rows = ParquetRows::open(open)
            .unwrap()
            .counting(Some(Arc::clone(&progress)));
        assert!(
            rows.header().starts_with(b"version account-id"),
            "{:?}",
            rows.header()
        );
        let mut text = rows.header().to_vec();
        while let Some(batch) = rows.next_batch().unwrap() {
            for r in 0..batch.rows() {
                batch.render(r, &mut text);
            }
        }
        // The same text as the file's twin, line for line (the twin has no header line).
        let twin = std::fs::read(fixture("v5.log")).unwrap();
        let ours: Vec<&[u8]> = text.split(|&b| b == b'\n').skip(1).collect();
        let theirs: Vec<&[u8]> = twin
            .split(|&b| b == b'\n')
            .filter(|l| !l.starts_with(b"version"))
            .collect();
        assert_eq!(ours.len(), theirs.len());
        // Every row group was counted once, and nothing beyond the file.
        let read = progress.read();
        assert!(read > size / 2 && read <= size, "{read} of {size}");
    }
}
