//! One decoded batch of Parquet rows, column by column, with what every reader of it needs:
//! each row's text line (exactly as [`super::ParquetLines`] writes it) and its length, and,
//! for the default v2 columns, the row as a [`Flow`] without writing or parsing text.
//!
//! String columns arrive dictionary-encoded (as AWS and every common writer store them):
//! each dictionary is examined once — its entries' rendered lengths and, for the address,
//! action and log-status columns, their decoded values — and shared by every batch that uses
//! it, so a row costs a few table look-ups.
//!
//! Never: builds a [`Flow`] the general parser would not build from the row's text line; any
//! row that is not plainly valid (a null, a `-`, a negative number, an odd string) returns
//! `None` and goes the text way.

use std::net::IpAddr;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type};
use arrow_array::{Array, ArrayRef, Int32Array, Int64Array};
use arrow_buffer::NullBuffer;
use arrow_schema::DataType;

use crate::parse::decode::{action, log_status, parse_addr};
use crate::parse::{Action, Flow, LogStatus};
use crate::schema::Field;

/// Rows of one Parquet batch, in the file's column order (flow-log columns only).
#[derive(Debug)]
pub struct RowBatch {
    rows: usize,
    columns: Vec<Column>,
    /// The rendered length of each row, its newline included.
    lens: Vec<u32>,
    /// Whether the columns are the 14 default v2 fields in order (rows can be flows).
    v2: bool,
}

/// One column of a batch.
#[derive(Debug)]
enum Column {
    /// Integers of any width, as 64-bit (unsigned 64-bit values kept apart).
    I32(Int32Array),
    I64(Int64Array),
    /// Any other integer type, widened.
    Wide(Vec<Option<i128>>),
    /// Strings: dictionary keys and the examined dictionary.
    Text(Int32Array, Arc<Dictionary>),
}

/// A string column's dictionary, examined once.
#[derive(Debug)]
pub struct Dictionary {
    /// The shared array examined (kept to know it again).
    values: ArrayRef,
    /// The entries' bytes, one after another, and where each starts (one more for the end).
    bytes: Vec<u8>,
    starts: Vec<usize>,
    /// Each entry's length as written in a line (`-` for an empty one).
    lens: Vec<u32>,
    /// Each entry decoded for the [`Flow`] field its column is, if any.
    decoded: Decoded,
}

/// Dictionary entries decoded for a [`Flow`] field.
#[derive(Debug)]
enum Decoded {
    Addr(Vec<Option<IpAddr>>),
    Action(Vec<Option<Action>>),
    Status(Vec<Option<LogStatus>>),
    /// Whether each entry can stand as itself in a flow (not `-`, no byte to replace).
    Plain(Vec<bool>),
}

/// The bytes of array entry `i` (strings and binary alike).
fn array_entry(values: &ArrayRef, i: usize) -> &[u8] {
    if let Some(s) = values.as_string_opt::<i32>() {
        return s.value(i).as_bytes();
    }
    if let Some(b) = values.as_binary_opt::<i32>() {
        return b.value(i);
    }
    &[]
}

/// Whether `b` is written as `?` in a line (a line must stay one line of space-separated
/// fields).
#[inline]
fn replaced(b: u8) -> bool {
    b <= b' ' || b == 0x7f
}

impl Dictionary {
    /// Examines `values` (a string or binary array) for a column holding `field`.
    pub fn examine(values: ArrayRef, field: Field) -> Dictionary {
        let n = values.len();
        let mut bytes = Vec::new();
        let mut starts = Vec::with_capacity(n + 1);
        for i in 0..n {
            starts.push(bytes.len());
            bytes.extend_from_slice(array_entry(&values, i));
        }
        starts.push(bytes.len());
        let mut dict = Dictionary {
            values,
            bytes,
            starts,
            lens: Vec::new(),
            decoded: Decoded::Plain(Vec::new()),
        };
        dict.lens = (0..n).map(|i| dict.entry(i).len().max(1) as u32).collect();
        let each = |f: &dyn Fn(&[u8]) -> bool| (0..n).map(|i| f(dict.entry(i))).collect();
        dict.decoded = match field {
            Field::SrcAddr | Field::DstAddr => {
                Decoded::Addr((0..n).map(|i| parse_addr(dict.entry(i))).collect())
            }
            Field::Action => Decoded::Action((0..n).map(|i| action(dict.entry(i))).collect()),
            Field::LogStatus => {
                Decoded::Status((0..n).map(|i| log_status(dict.entry(i))).collect())
            }
            _ => Decoded::Plain(each(&|b| {
                !b.is_empty() && b != b"-" && !b.iter().any(|&c| replaced(c))
            })),
        };
        dict
    }

    /// Entry `k`'s bytes (empty past the end).
    #[inline(always)]
    fn entry(&self, k: usize) -> &[u8] {
        match (self.starts.get(k), self.starts.get(k + 1)) {
            (Some(&a), Some(&b)) => self.bytes.get(a..b).unwrap_or_default(),
            _ => &[],
        }
    }

    /// Whether this dictionary was made from exactly `values` (the same shared array).
    pub fn is_of(&self, values: &ArrayRef) -> bool {
        std::ptr::addr_eq(Arc::as_ptr(&self.values), Arc::as_ptr(values))
    }
}

/// Why a batch could not be taken: a column of a type flow logs never use.
#[derive(Debug, thiserror::Error)]
#[error("column {name} is {data_type}; flow-log columns are integers or strings")]
pub struct UnsupportedColumn {
    name: String,
    data_type: DataType,
}

/// What [`RowBatch::new`] is given for each column: its field, and the arrow array decoded.
pub struct ColumnIn<'d> {
    /// The flow-log field of the column.
    pub field: Field,
    /// The column's name in the file (for errors).
    pub name: &'d str,
    /// The decoded values.
    pub array: ArrayRef,
}

impl RowBatch {
    /// Takes a decoded batch. `dictionaries` holds, per column, the dictionary examined last:
    /// it is reused when the batch shares it (the same row group), and replaced otherwise.
    pub fn new(
        columns: Vec<ColumnIn<'_>>,
        dictionaries: &mut Vec<Option<Arc<Dictionary>>>,
    ) -> Result<RowBatch, UnsupportedColumn> {
        let rows = columns.first().map_or(0, |c| c.array.len());
        dictionaries.resize(columns.len(), None);
        let v2 = columns.len() == V2.len() && columns.iter().zip(V2).all(|(c, f)| c.field == f);
        let mut out = Vec::with_capacity(columns.len());
        for (c, cached) in columns.into_iter().zip(dictionaries.iter_mut()) {
            out.push(Column::of(c, cached)?);
        }
        let mut batch = RowBatch {
            rows,
            columns: out,
            lens: Vec::new(),
            v2,
        };
        batch.lens = batch.measure();
        Ok(batch)
    }

    /// How many rows the batch holds.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The length of row `r`'s line, its newline included.
    pub fn line_len(&self, r: usize) -> u32 {
        self.lens.get(r).copied().unwrap_or(0)
    }

    /// The bytes of all the batch's lines.
    pub fn text_bytes(&self) -> u64 {
        self.lens.iter().map(|&l| u64::from(l)).sum()
    }

    /// Every row's line length, measured column by column without writing it.
    fn measure(&self) -> Vec<u32> {
        // Separators and the newline.
        let mut lens = vec![self.columns.len() as u32; self.rows];
        for c in &self.columns {
            match c {
                Column::I32(a) => {
                    add_widths(&mut lens, a.values(), a.nulls(), |v| digits64(i64::from(v)))
                }
                Column::I64(a) => add_widths(&mut lens, a.values(), a.nulls(), digits64),
                Column::Wide(v) => {
                    for (len, v) in lens.iter_mut().zip(v) {
                        *len += v.map_or(1, digits);
                    }
                }
                Column::Text(keys, dict) => {
                    add_widths(&mut lens, keys.values(), keys.nulls(), |k| {
                        usize::try_from(k)
                            .ok()
                            .and_then(|k| dict.lens.get(k))
                            .copied()
                            .unwrap_or(1)
                    })
                }
            }
        }
        lens
    }

    /// Appends row `r` as a line (with its newline) to `out`: values space-separated, `-` for
    /// a null or an empty string, `?` for a byte that would break the line.
    pub fn render(&self, r: usize, out: &mut Vec<u8>) {
        let mut ints = itoa::Buffer::new();
        for (ci, c) in self.columns.iter().enumerate() {
            if ci > 0 {
                out.push(b' ');
            }
            match c {
                Column::I32(a) if a.is_valid(r) => {
                    out.extend_from_slice(ints.format(a.value(r)).as_bytes())
                }
                Column::I64(a) if a.is_valid(r) => {
                    out.extend_from_slice(ints.format(a.value(r)).as_bytes())
                }
                Column::Wide(v) if v.get(r).copied().flatten().is_some() => {
                    let n = v[r].unwrap_or_default();
                    out.extend_from_slice(ints.format(n).as_bytes());
                }
                Column::Text(keys, dict) if keys.is_valid(r) => {
                    let bytes = usize::try_from(keys.value(r)).map_or(&[][..], |k| dict.entry(k));
                    if bytes.is_empty() {
                        out.push(b'-');
                    }
                    out.extend(bytes.iter().map(|&b| if replaced(b) { b'?' } else { b }));
                }
                _ => out.push(b'-'),
            }
        }
        out.push(b'\n');
    }

    /// Row `r` as the [`Flow`] the general parser would make of its line, when the batch has
    /// the default v2 columns and every value is plainly valid; `None` otherwise.
    #[inline]
    pub fn flow(&self, r: usize) -> Option<Flow<'_>> {
        if !self.v2 {
            return None;
        }
        let c = &self.columns;
        Some(Flow {
            version: Some(u8::try_from(int(&c[0], r)?).ok()?),
            account: Some(plain(&c[1], r)?),
            interface: Some(plain(&c[2], r)?),
            src: Some(addr(&c[3], r)?),
            dst: Some(addr(&c[4], r)?),
            srcport: Some(u16::try_from(int(&c[5], r)?).ok()?),
            dstport: Some(u16::try_from(int(&c[6], r)?).ok()?),
            protocol: Some(u8::try_from(int(&c[7], r)?).ok()?),
            packets: Some(u64::try_from(int(&c[8], r)?).ok()?),
            bytes: Some(u64::try_from(int(&c[9], r)?).ok()?),
            start: Some(u64::try_from(int(&c[10], r)?).ok()?),
            end: Some(u64::try_from(int(&c[11], r)?).ok()?),
            action: Some(word(&c[12], r, |d| match d {
                Decoded::Action(v) => Some(v),
                _ => None,
            })?),
            status: Some(word(&c[13], r, |d| match d {
                Decoded::Status(v) => Some(v),
                _ => None,
            })?),
        })
    }
}

/// The 14 default v2 fields in order.
const V2: [Field; 14] = [
    Field::Version,
    Field::AccountId,
    Field::InterfaceId,
    Field::SrcAddr,
    Field::DstAddr,
    Field::SrcPort,
    Field::DstPort,
    Field::Protocol,
    Field::Packets,
    Field::Bytes,
    Field::Start,
    Field::End,
    Field::Action,
    Field::LogStatus,
];

/// Decimal characters of `n`, its sign included, without a loop: the bit length gives the
/// digit count to within one, and one comparison settles it.
#[inline(always)]
fn digits64(n: i64) -> u32 {
    const POW10: [u64; 20] = {
        let mut t = [1u64; 20];
        let mut i = 1;
        while i < 20 {
            t[i] = t[i - 1] * 10;
            i += 1;
        }
        t
    };
    let v = n.unsigned_abs();
    let bits = 64 - (v | 1).leading_zeros();
    let guess = (bits * 1233) >> 12;
    let digits = guess + u32::from(POW10.get(guess as usize).is_some_and(|&p| v >= p));
    u32::from(n < 0) + digits.max(1)
}

/// Decimal characters of `n`, its sign included.
fn digits(n: i128) -> u32 {
    let sign = u32::from(n < 0);
    sign + n.unsigned_abs().checked_ilog10().unwrap_or(0) + 1
}

/// Adds each value's width (1 for a null, written `-`) to its row's length.
#[inline(always)]
fn add_widths<T: Copy>(
    lens: &mut [u32],
    values: &[T],
    nulls: Option<&NullBuffer>,
    width: impl Fn(T) -> u32,
) {
    match nulls {
        None => {
            for (len, &v) in lens.iter_mut().zip(values) {
                *len += width(v);
            }
        }
        Some(nulls) => {
            for (r, (len, &v)) in lens.iter_mut().zip(values).enumerate() {
                *len += if nulls.is_valid(r) { width(v) } else { 1 };
            }
        }
    }
}

/// Value `r` of a primitive column, unless it is null.
#[inline(always)]
fn value<T: Copy>(values: &[T], nulls: Option<&NullBuffer>, r: usize) -> Option<T> {
    match nulls {
        Some(n) if !n.is_valid(r) => None,
        _ => values.get(r).copied(),
    }
}

/// An integer column's value at `r`, if present.
#[inline(always)]
fn int(c: &Column, r: usize) -> Option<i128> {
    match c {
        Column::I32(a) => value(a.values(), a.nulls(), r).map(i128::from),
        Column::I64(a) => value(a.values(), a.nulls(), r).map(i128::from),
        Column::Wide(v) => v.get(r).copied().flatten(),
        Column::Text(..) => None,
    }
}

/// A string column's dictionary key at `r`, if present.
#[inline(always)]
fn key(c: &Column, r: usize) -> Option<(usize, &Dictionary)> {
    match c {
        Column::Text(keys, dict) => {
            let k = value(keys.values(), keys.nulls(), r)?;
            Some((usize::try_from(k).ok()?, dict))
        }
        _ => None,
    }
}

/// A plain string value at `r` (see [`Decoded::Plain`]).
#[inline(always)]
fn plain(c: &Column, r: usize) -> Option<&[u8]> {
    let (k, dict) = key(c, r)?;
    match &dict.decoded {
        Decoded::Plain(ok) if *ok.get(k)? => Some(dict.entry(k)),
        _ => None,
    }
}

/// A decoded address at `r`.
#[inline(always)]
fn addr(c: &Column, r: usize) -> Option<IpAddr> {
    let (k, dict) = key(c, r)?;
    match &dict.decoded {
        Decoded::Addr(v) => *v.get(k)?,
        _ => None,
    }
}

/// A decoded word (action, log-status) at `r`, from the table `pick` chooses.
#[inline(always)]
fn word<T: Copy>(
    c: &Column,
    r: usize,
    pick: impl Fn(&Decoded) -> Option<&Vec<Option<T>>>,
) -> Option<T> {
    let (k, dict) = key(c, r)?;
    *pick(&dict.decoded)?.get(k)?
}

impl Column {
    /// Takes one decoded column, examining its dictionary unless `cached` is the same one.
    fn of(
        c: ColumnIn<'_>,
        cached: &mut Option<Arc<Dictionary>>,
    ) -> Result<Column, UnsupportedColumn> {
        let unsupported = || UnsupportedColumn {
            name: c.name.to_string(),
            data_type: c.array.data_type().clone(),
        };
        let a = &c.array;
        let retyped = |to: DataType| a.to_data().into_builder().data_type(to).build().ok();
        Ok(match a.data_type() {
            DataType::Int32 => Column::I32(dense(a.as_primitive::<Int32Type>())),
            DataType::Int64 => Column::I64(dense(a.as_primitive::<Int64Type>())),
            // Dates and times written as plain integers: their integers, as written.
            DataType::Date32 => Column::I32(dense(&Int32Array::from(
                retyped(DataType::Int32).ok_or_else(unsupported)?,
            ))),
            DataType::Date64 | DataType::Timestamp(..) | DataType::Duration(_) => {
                Column::I64(dense(&Int64Array::from(
                    retyped(DataType::Int64).ok_or_else(unsupported)?,
                )))
            }
            DataType::Int8 => widened::<arrow_array::types::Int8Type>(a),
            DataType::Int16 => widened::<arrow_array::types::Int16Type>(a),
            DataType::UInt8 => widened::<arrow_array::types::UInt8Type>(a),
            DataType::UInt16 => widened::<arrow_array::types::UInt16Type>(a),
            DataType::UInt32 => widened::<arrow_array::types::UInt32Type>(a),
            DataType::UInt64 => widened::<arrow_array::types::UInt64Type>(a),
            DataType::Dictionary(k, v)
                if **k == DataType::Int32 && matches!(**v, DataType::Utf8 | DataType::Binary) =>
            {
                let d = a.as_dictionary::<Int32Type>();
                let values = d.values();
                let dict = match cached {
                    Some(dict) if dict.is_of(values) => Arc::clone(dict),
                    _ => {
                        let dict = Arc::new(Dictionary::examine(Arc::clone(values), c.field));
                        *cached = Some(Arc::clone(&dict));
                        dict
                    }
                };
                Column::Text(dense(d.keys()), dict)
            }
            // Plain strings (a writer or reader that kept no dictionary): their own dictionary.
            DataType::Utf8 | DataType::Binary => {
                let keys = Int32Array::from_iter(
                    (0..a.len())
                        .map(|r| a.is_valid(r).then(|| i32::try_from(r).unwrap_or(i32::MAX))),
                );
                Column::Text(keys, Arc::new(Dictionary::examine(Arc::clone(a), c.field)))
            }
            _ => return Err(unsupported()),
        })
    }
}

/// Any other integer type, widened (nulls kept).
fn widened<T: arrow_array::ArrowPrimitiveType>(a: &ArrayRef) -> Column
where
    T::Native: Into<i128>,
{
    let v = a.as_primitive::<T>();
    Column::Wide(
        (0..v.len())
            .map(|r| v.is_valid(r).then(|| v.value(r).into()))
            .collect(),
    )
}

/// `a` without its null mask when nothing is null (the readers' loops then test nothing).
fn dense<T: arrow_array::ArrowPrimitiveType>(
    a: &arrow_array::PrimitiveArray<T>,
) -> arrow_array::PrimitiveArray<T> {
    match a.nulls() {
        Some(n) if n.null_count() == 0 => {
            arrow_array::PrimitiveArray::new(a.values().clone(), None)
        }
        _ => a.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Line, LineParser};
    use crate::schema::Schema;
    use arrow_array::DictionaryArray;
    use proptest::prelude::*;

    /// One row of the default v2 columns, as the strings and integers a file may hold.
    type Row = ([Option<i64>; 8], [Option<&'static str>; 6]);

    fn batch_of(rows: &[Row]) -> RowBatch {
        let ints =
            |i: usize| -> ArrayRef { Arc::new(Int64Array::from_iter(rows.iter().map(|r| r.0[i]))) };
        let small = |i: usize| -> ArrayRef {
            Arc::new(Int32Array::from_iter(
                rows.iter().map(|r| r.0[i].map(|v| v as i32)),
            ))
        };
        let texts = |i: usize| -> ArrayRef {
            Arc::new(
                rows.iter()
                    .map(|r| r.1[i])
                    .collect::<DictionaryArray<Int32Type>>(),
            )
        };
        // Texts: account, interface, srcaddr, dstaddr, action, log-status.
        // Integers: version, srcport, dstport, protocol, packets, bytes, start, end.
        let arrays = [
            small(0),
            texts(0),
            texts(1),
            texts(2),
            texts(3),
            small(1),
            small(2),
            small(3),
            ints(4),
            ints(5),
            ints(6),
            ints(7),
            texts(4),
            texts(5),
        ];
        let columns = V2
            .iter()
            .zip(arrays)
            .map(|(f, array)| ColumnIn {
                field: *f,
                name: f.name(),
                array,
            })
            .collect();
        RowBatch::new(columns, &mut Vec::new()).unwrap()
    }

    /// Every row's line has the length measured for it, and a row taken as a flow is exactly
    /// the flow the general parser makes of that line.
    fn check(batch: &RowBatch) -> usize {
        let schema = Schema::default_v2();
        let mut parser = LineParser::new();
        let mut flows = 0;
        for r in 0..batch.rows() {
            let mut line = Vec::new();
            batch.render(r, &mut line);
            assert_eq!(
                line.len() as u32,
                batch.line_len(r),
                "{}",
                String::from_utf8_lossy(&line)
            );
            assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
            let text = &line[..line.len() - 1];
            let general = match parser.parse(&schema, text) {
                Line::Record(rec) => Some(Flow::from_record(&rec)),
                _ => None,
            };
            if let Some(flow) = batch.flow(r) {
                flows += 1;
                assert_eq!(Some(flow), general, "{}", String::from_utf8_lossy(text));
            }
        }
        flows
    }

    const GOOD: Row = (
        [
            Some(2),
            Some(443),
            Some(51000),
            Some(6),
            Some(10),
            Some(8400),
            Some(1_700_000_000),
            Some(1_700_000_060),
        ],
        [
            Some("123456789012"),
            Some("eni-0a1b2c3d"),
            Some("10.0.1.5"),
            Some("2001:db8::7"),
            Some("ACCEPT"),
            Some("OK"),
        ],
    );

    #[test]
    fn plainly_valid_rows_are_flows_equal_to_their_parsed_lines() {
        let mut other = GOOD;
        other.1[4] = Some("REJECT");
        other.1[5] = Some("NODATA");
        other.1[2] = Some("2001:DB8:0:0::1");
        let batch = batch_of(&[GOOD, other, GOOD]);
        assert_eq!(check(&batch), 3);
        let mut out = Vec::new();
        batch.render(0, &mut out);
        assert_eq!(
            out,
            b"2 123456789012 eni-0a1b2c3d 10.0.1.5 2001:db8::7 443 51000 6 10 8400 1700000000 1700000060 ACCEPT OK\n"
        );
    }

    #[test]
    fn odd_values_go_the_text_way() {
        let odd: Vec<Row> = vec![
            {
                let mut r = GOOD;
                r.0[0] = None;
                r
            },
            {
                let mut r = GOOD;
                r.0[0] = Some(300);
                r
            },
            {
                let mut r = GOOD;
                r.0[4] = Some(-1);
                r
            },
            {
                let mut r = GOOD;
                r.0[2] = Some(70_000);
                r
            },
            {
                let mut r = GOOD;
                r.1[0] = Some("-");
                r
            },
            {
                let mut r = GOOD;
                r.1[0] = Some("");
                r
            },
            {
                let mut r = GOOD;
                r.1[1] = Some("eni 1");
                r
            },
            {
                let mut r = GOOD;
                r.1[2] = Some("010.0.0.1");
                r
            },
            {
                let mut r = GOOD;
                r.1[4] = Some("accept");
                r
            },
            {
                let mut r = GOOD;
                r.1[5] = None;
                r
            },
        ];
        let batch = batch_of(&odd);
        assert_eq!(check(&batch), 0);
        let mut out = Vec::new();
        batch.render(6, &mut out);
        assert!(
            out.windows(5).any(|w| w == b"eni?1"),
            "{}",
            String::from_utf8_lossy(&out)
        );
    }

    fn int() -> impl Strategy<Value = Option<i64>> {
        prop_oneof![
            Just(None),
            (-2i64..300).prop_map(Some),
            prop::sample::select(vec![65_535i64, 65_536, i64::MAX, i64::MIN]).prop_map(Some),
        ]
    }

    fn text() -> impl Strategy<Value = Option<&'static str>> {
        prop::sample::select(vec![
            None,
            Some(""),
            Some("-"),
            Some("123456789012"),
            Some("eni-0a1b2c3d"),
            Some("a\tb"),
            Some("10.0.1.5"),
            Some("10.0.1.256"),
            Some("::ffff:10.0.0.1"),
            Some("fe80::1%eth0"),
            Some("2001:DB8::1"),
            Some("ACCEPT"),
            Some("REJECT"),
            Some("OK"),
            Some("SKIPDATA"),
            Some("{\"message\":\"x\"}"),
        ])
    }

    #[test]
    fn any_integer_type_and_plain_strings_render_as_written() {
        use arrow_array::{StringArray, TimestampSecondArray, UInt8Array, UInt64Array};
        let arrays: Vec<(Field, ArrayRef)> = vec![
            (
                Field::Version,
                Arc::new(UInt8Array::from(vec![Some(2), None])),
            ),
            (Field::Bytes, Arc::new(UInt64Array::from(vec![u64::MAX, 0]))),
            (
                Field::Start,
                Arc::new(TimestampSecondArray::from(vec![1_700_000_000, 7])),
            ),
            (
                Field::Action,
                Arc::new(StringArray::from(vec![Some("ACCEPT"), None])),
            ),
        ];
        let columns = arrays
            .into_iter()
            .map(|(field, array)| ColumnIn {
                field,
                name: field.name(),
                array,
            })
            .collect();
        let batch = RowBatch::new(columns, &mut Vec::new()).unwrap();
        let mut out = Vec::new();
        for r in 0..batch.rows() {
            let before = out.len();
            batch.render(r, &mut out);
            assert_eq!(out.len() - before, batch.line_len(r) as usize);
        }
        assert_eq!(out, b"2 18446744073709551615 1700000000 ACCEPT\n- 0 7 -\n");
    }

    #[test]
    fn widths_are_the_lengths_of_the_written_numbers() {
        let mut cases = vec![
            0i64,
            1,
            9,
            10,
            99,
            100,
            -1,
            -10,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ];
        for p in 0..19 {
            let t = 10i64.pow(p);
            cases.extend([t - 1, t, t + 1, -t, -(t - 1)]);
        }
        for n in cases {
            assert_eq!(digits64(n) as usize, n.to_string().len(), "{n}");
            assert_eq!(digits(i128::from(n)) as usize, n.to_string().len(), "{n}");
        }
    }

    proptest! {
        #[test]
        fn any_row_is_either_its_parsed_flow_or_left_to_the_parser(
            rows in prop::collection::vec(
                (prop::array::uniform8(int()), prop::array::uniform6(text())),
                1..40,
            )
        ) {
            check(&batch_of(&rows));
        }
    }
}
