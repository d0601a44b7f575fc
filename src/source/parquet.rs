//! Parquet flow-log files (AWS's `FileFormat=parquet` delivery, local or from S3) read as the
//! text lines the same records would have been: a header naming the file's fields, then one
//! line per row in that order, `-` for a null. Everything after the framer (parsing, filters,
//! the store, the inspector's raw line) then treats a Parquet record exactly as a text one;
//! the rendering is deterministic, so a line read back at its offset is the same line.
//!
//! The columns AWS writes are the catalogue's fields with `_` for `-` (`account_id`,
//! `pkt_src_aws_service`): INT32 for version, ports, protocol, tcp-flags and traffic-path,
//! INT64 for packets, bytes, start and end, strings otherwise. Any integer width is read for
//! any integer field, and columns in any subset or order. A column that is no catalogue field
//! is left out of the header and the lines (it cannot be named in a format).
//!
//! Never: trusts the file: a string holding whitespace or a control byte is written with `?`
//! in their place (a line must stay one line of space-separated fields), a nested or repeated
//! column is an error naming it, and every read error is an `io::Error` for the caller to
//! report with the file's name.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use parquet::basic::Type as PhysicalType;
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::{ByteArray, ByteArrayType, DataType, Int32Type, Int64Type};
use parquet::file::reader::{ChunkReader, FileReader};
use parquet::file::serialized_reader::SerializedFileReader;

use super::contain::contained;
use crate::schema::Field;

/// Rows decoded per column at a time: bounds memory whatever the row-group size.
const BATCH: usize = 4096;

/// A Parquet file as flow-log text: implements [`Read`]. Row groups are decoded on
/// several threads at once (group `g` by decoder `g mod N`) and their text is handed over in
/// file order, a few batches at a time.
pub struct ParquetLines {
    header: Vec<u8>,
    groups: usize,
    next_group: usize,
    decoders: Vec<Receiver<io::Result<Piece>>>,
    out: Vec<u8>,
    at: usize,
    started: bool,
}

/// What a decoder hands over: text of its current row group, or the end of that group.
enum Piece {
    Text(Vec<u8>),
    GroupEnd,
}

/// Text handed over at a time (a few MB): what bounds memory per decoder.
const PIECE_BYTES: usize = 4 << 20;

/// One decoder's reader of the file, and the columns of the row group it is on.
struct GroupDecoder<R: ChunkReader + 'static> {
    file: SerializedFileReader<R>,
    chosen: Vec<usize>,
    columns: Vec<ColumnState>,
}

/// One column's reader and the batch it has decoded.
struct ColumnState {
    values: Values,
    defs: Vec<i16>,
    max_def: i16,
    next: usize,
}

/// A column reader of one physical type with its decoded values.
enum Values {
    I32(ColumnReaderImpl<Int32Type>, Vec<i32>),
    I64(ColumnReaderImpl<Int64Type>, Vec<i64>),
    Bytes(ColumnReaderImpl<ByteArrayType>, Vec<ByteArray>),
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// A panic of the parquet decoder, contained: the file is damaged in a way it did not check.
fn decoder_panic(why: String) -> io::Error {
    invalid(format!("parquet: damaged file (the decoder failed: {why})"))
}

fn parquet_error(e: parquet::errors::ParquetError) -> io::Error {
    invalid(e.to_string())
}

/// The leaf columns of `file` that are flow-log fields, in file order, and the header line
/// naming them.
fn flow_columns<R: ChunkReader + 'static>(
    file: &SerializedFileReader<R>,
) -> io::Result<(Vec<usize>, Vec<u8>)> {
    let schema = file.metadata().file_metadata().schema_descr_ptr();
    let mut chosen = Vec::new();
    let mut names = Vec::new();
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
        chosen.push(i);
        names.push(field.name().to_string());
    }
    if chosen.is_empty() {
        return Err(invalid(
            "parquet: no column is a flow-log field (expected names such as account_id, srcaddr)"
                .to_string(),
        ));
    }
    let mut header = names.join(" ").into_bytes();
    header.push(b'\n');
    Ok((chosen, header))
}

impl ParquetLines {
    /// Opens the Parquet file that `open` gives a reader of (its footer is read now), and
    /// starts decoding it; `open` is called again by each decoder thread.
    pub fn new<R, F>(open: F) -> io::Result<Self>
    where
        R: ChunkReader + 'static,
        F: Fn() -> io::Result<R> + Send + Sync + 'static,
    {
        let file = contained(|| SerializedFileReader::new(open()?).map_err(parquet_error))
            .map_err(decoder_panic)??;
        let (chosen, header) = contained(|| flow_columns(&file)).map_err(decoder_panic)??;
        let groups = file.num_row_groups();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let n = cores.min(groups).max(1);
        let open = Arc::new(open);
        let mut decoders = Vec::with_capacity(n);
        for k in 0..n {
            let (tx, rx) = sync_channel(2);
            let (open, chosen) = (Arc::clone(&open), chosen.clone());
            std::thread::Builder::new()
                .name("vpctop-parquet".into())
                .spawn(move || {
                    let decoder = open().and_then(|r| {
                        let file = contained(|| SerializedFileReader::new(r))
                            .map_err(decoder_panic)?
                            .map_err(parquet_error)?;
                        Ok(GroupDecoder {
                            file,
                            chosen,
                            columns: Vec::new(),
                        })
                    });
                    let mut decoder = match decoder {
                        Ok(d) => d,
                        Err(e) => {
                            let _ = tx.send(Err(e));
                            return;
                        }
                    };
                    for g in (k..groups).step_by(n) {
                        // A closed channel means the reader is gone: stop.
                        match contained(|| decoder.send_group(g, &tx)) {
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
        Ok(ParquetLines {
            header,
            groups,
            next_group: 0,
            decoders,
            out: Vec::new(),
            at: 0,
            started: false,
        })
    }

    /// The next piece of text into `out`; false at the end of the file.
    fn fill(&mut self) -> io::Result<bool> {
        self.at = 0;
        if !self.started {
            self.started = true;
            self.out = std::mem::take(&mut self.header);
            return Ok(true);
        }
        while self.next_group < self.groups {
            let decoder = &self.decoders[self.next_group % self.decoders.len()];
            match decoder.recv() {
                Ok(Ok(Piece::Text(text))) => {
                    self.out = text;
                    return Ok(true);
                }
                Ok(Ok(Piece::GroupEnd)) => self.next_group += 1,
                Ok(Err(e)) => return Err(e),
                Err(_) => return Err(invalid("parquet: a decoder ended early".to_string())),
            }
        }
        self.out.clear();
        Ok(false)
    }
}

impl<R: ChunkReader + 'static> GroupDecoder<R> {
    /// Decodes row group `g` and sends its text piece by piece, then its end (or the error
    /// that stopped it). False when the reader is gone.
    fn send_group(&mut self, g: usize, tx: &SyncSender<io::Result<Piece>>) -> bool {
        if let Err(e) = self.open_group(g) {
            let _ = tx.send(Err(e));
            return false;
        }
        let mut out = Vec::new();
        loop {
            match self.render_batch(&mut out) {
                Ok(0) => break,
                Ok(_) if out.len() >= PIECE_BYTES => {
                    if tx.send(Ok(Piece::Text(std::mem::take(&mut out)))).is_err() {
                        return false;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return false;
                }
            }
        }
        if !out.is_empty() && tx.send(Ok(Piece::Text(out))).is_err() {
            return false;
        }
        tx.send(Ok(Piece::GroupEnd)).is_ok()
    }

    /// Opens row group `g`'s column readers.
    fn open_group(&mut self, g: usize) -> io::Result<()> {
        let group = self.file.get_row_group(g).map_err(parquet_error)?;
        let schema = self.file.metadata().file_metadata().schema_descr_ptr();
        self.columns.clear();
        for &i in &self.chosen {
            let values = match group.get_column_reader(i).map_err(parquet_error)? {
                ColumnReader::Int32ColumnReader(r) => Values::I32(r, Vec::new()),
                ColumnReader::Int64ColumnReader(r) => Values::I64(r, Vec::new()),
                ColumnReader::ByteArrayColumnReader(r) => Values::Bytes(r, Vec::new()),
                _ => return Err(invalid("parquet: unexpected column type".to_string())),
            };
            self.columns.push(ColumnState {
                values,
                defs: Vec::new(),
                max_def: schema.column(i).max_def_level(),
                next: 0,
            });
        }
        Ok(())
    }

    /// Decodes up to [`BATCH`] rows of every column and appends them to `out` as lines;
    /// returns how many rows (0 at the end of the group).
    fn render_batch(&mut self, out: &mut Vec<u8>) -> io::Result<usize> {
        let mut rows = None;
        for c in &mut self.columns {
            let n = c.read_batch()?;
            if rows.is_some_and(|r| r != n) {
                return Err(invalid(
                    "parquet: columns of one row group hold different numbers of rows".to_string(),
                ));
            }
            rows = Some(n);
        }
        let rows = rows.unwrap_or(0);
        render(&mut self.columns, rows, out);
        Ok(rows)
    }
}

/// Appends `rows` decoded rows of `columns` to `out`, one line each.
fn render(columns: &mut [ColumnState], rows: usize, out: &mut Vec<u8>) {
    let mut ints = itoa::Buffer::new();
    for r in 0..rows {
        for (ci, c) in columns.iter_mut().enumerate() {
            if ci > 0 {
                out.push(b' ');
            }
            let present = c.max_def == 0 || c.defs.get(r).is_some_and(|d| *d == c.max_def);
            if !present {
                out.push(b'-');
                continue;
            }
            let v = c.next;
            c.next += 1;
            match &c.values {
                Values::I32(_, vals) => {
                    let n = vals.get(v).copied().unwrap_or_default();
                    out.extend_from_slice(ints.format(n).as_bytes());
                }
                Values::I64(_, vals) => {
                    let n = vals.get(v).copied().unwrap_or_default();
                    out.extend_from_slice(ints.format(n).as_bytes());
                }
                Values::Bytes(_, vals) => {
                    let bytes = vals.get(v).map_or(&[][..], ByteArray::data);
                    if bytes.is_empty() {
                        out.push(b'-');
                    }
                    out.extend(
                        bytes
                            .iter()
                            .map(|&b| if b <= b' ' || b == 0x7f { b'?' } else { b }),
                    );
                }
            }
        }
        out.push(b'\n');
    }
}

impl ColumnState {
    /// Reads up to [`BATCH`] rows; returns how many.
    fn read_batch(&mut self) -> io::Result<usize> {
        self.defs.clear();
        self.next = 0;
        let defs = (self.max_def > 0).then_some(&mut self.defs);
        let (rows, _, _) = match &mut self.values {
            Values::I32(r, v) => read(r, v, defs)?,
            Values::I64(r, v) => read(r, v, defs)?,
            Values::Bytes(r, v) => read(r, v, defs)?,
        };
        Ok(rows)
    }
}

fn read<T: DataType>(
    reader: &mut ColumnReaderImpl<T>,
    values: &mut Vec<T::T>,
    defs: Option<&mut Vec<i16>>,
) -> io::Result<(usize, usize, usize)> {
    values.clear();
    reader
        .read_records(BATCH, defs, None, values)
        .map_err(parquet_error)
}

impl Read for ParquetLines {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at >= self.out.len() && !self.fill()? {
            return Ok(0);
        }
        let n = (&self.out[self.at..]).read(buf)?;
        self.at += n;
        Ok(n)
    }
}
