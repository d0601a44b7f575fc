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

use parquet::basic::Type as PhysicalType;
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::{ByteArray, ByteArrayType, DataType, Int32Type, Int64Type};
use parquet::file::reader::{ChunkReader, FileReader};
use parquet::file::serialized_reader::SerializedFileReader;

use crate::schema::Field;

/// Rows decoded per column at a time: bounds memory whatever the row-group size.
const BATCH: usize = 4096;

/// A Parquet file as flow-log text: implements [`Read`].
pub struct ParquetLines<R: ChunkReader + 'static> {
    file: SerializedFileReader<R>,
    /// Leaf column index in the file of each field rendered, in header order.
    chosen: Vec<usize>,
    header: Vec<u8>,
    next_group: usize,
    columns: Vec<ColumnState>,
    out: Vec<u8>,
    at: usize,
    started: bool,
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

fn parquet_error(e: parquet::errors::ParquetError) -> io::Error {
    invalid(e.to_string())
}

impl<R: ChunkReader + 'static> ParquetLines<R> {
    /// Opens the Parquet file held by `reader` (its footer is read now).
    pub fn new(reader: R) -> io::Result<Self> {
        let file = SerializedFileReader::new(reader).map_err(parquet_error)?;
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
        Ok(ParquetLines {
            file,
            chosen,
            header,
            next_group: 0,
            columns: Vec::new(),
            out: Vec::with_capacity(1 << 20),
            at: 0,
            started: false,
        })
    }

    /// Rows in the file.
    pub fn rows(&self) -> i64 {
        self.file.metadata().file_metadata().num_rows()
    }

    /// Opens the next row group's readers; false when there is none.
    fn next_row_group(&mut self) -> io::Result<bool> {
        if self.next_group >= self.file.num_row_groups() {
            return Ok(false);
        }
        let group = self
            .file
            .get_row_group(self.next_group)
            .map_err(parquet_error)?;
        self.next_group += 1;
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
        Ok(true)
    }

    /// Decodes the next batch of rows into `out` as lines; false at the end of the file.
    fn fill(&mut self) -> io::Result<bool> {
        self.out.clear();
        self.at = 0;
        if !self.started {
            self.started = true;
            self.out.extend_from_slice(&self.header);
            return Ok(true);
        }
        loop {
            if self.columns.is_empty() && !self.next_row_group()? {
                return Ok(false);
            }
            let mut rows = None;
            for c in &mut self.columns {
                let n = c.read_batch()?;
                if rows.is_some_and(|r| r != n) {
                    return Err(invalid(
                        "parquet: columns of one row group hold different numbers of rows"
                            .to_string(),
                    ));
                }
                rows = Some(n);
            }
            match rows {
                Some(0) | None => {
                    self.columns.clear();
                    continue;
                }
                Some(n) => {
                    self.render(n);
                    return Ok(true);
                }
            }
        }
    }

    fn render(&mut self, rows: usize) {
        let mut ints = itoa::Buffer::new();
        for r in 0..rows {
            for (ci, c) in self.columns.iter_mut().enumerate() {
                if ci > 0 {
                    self.out.push(b' ');
                }
                let present = c.max_def == 0 || c.defs.get(r).is_some_and(|d| *d == c.max_def);
                if !present {
                    self.out.push(b'-');
                    continue;
                }
                let v = c.next;
                c.next += 1;
                match &c.values {
                    Values::I32(_, vals) => {
                        let n = vals.get(v).copied().unwrap_or_default();
                        self.out.extend_from_slice(ints.format(n).as_bytes());
                    }
                    Values::I64(_, vals) => {
                        let n = vals.get(v).copied().unwrap_or_default();
                        self.out.extend_from_slice(ints.format(n).as_bytes());
                    }
                    Values::Bytes(_, vals) => {
                        let bytes = vals.get(v).map_or(&[][..], ByteArray::data);
                        if bytes.is_empty() {
                            self.out.push(b'-');
                        }
                        self.out.extend(
                            bytes
                                .iter()
                                .map(|&b| if b <= b' ' || b == 0x7f { b'?' } else { b }),
                        );
                    }
                }
            }
            self.out.push(b'\n');
        }
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

impl<R: ChunkReader + 'static> Read for ParquetLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at >= self.out.len() && !self.fill()? {
            return Ok(0);
        }
        let n = buf.len().min(self.out.len() - self.at);
        buf[..n].copy_from_slice(&self.out[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
