//! `records`: every record as one JSON object per line (NDJSON), in input order.
//!
//! Workers format their chunk into a buffer (`pipeline::records`); one writer puts the buffers
//! back in chunk order ([`write_in_order`]).
//! Keys are the format's field names with `_` for `-`, integers are numbers, `-` is `null`,
//! and every object ends with `"file"` and `"line"` (1-based).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;

use crate::parse::{Malformed, Record, Value};
use crate::schema::Schema;

/// One chunk's formatted output, tagged with its place in the input order.
pub type Piece = (u64, Vec<u8>);

fn write_str(buf: &mut Vec<u8>, s: &str) {
    // Serialising a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *buf, s);
}

/// Appends `rec` as one JSON object line, read from line `line_no` of `file`.
pub fn write_record(buf: &mut Vec<u8>, rec: &Record<'_>, file: &str, line_no: u64) {
    buf.push(b'{');
    for (column, value) in rec.schema().columns().iter().zip(rec.values()) {
        write_str(buf, &column.json_key());
        buf.push(b':');
        match *value {
            Value::Absent => buf.extend_from_slice(b"null"),
            Value::Uint(n) => {
                let _ = write!(buf, "{n}");
            }
            Value::Addr(a) => {
                let _ = write!(buf, "\"{a}\"");
            }
            Value::Text(span) => write_str(buf, &String::from_utf8_lossy(rec.span(span))),
            Value::Action(a) => write_str(buf, a.as_str()),
            Value::Status(s) => write_str(buf, s.as_str()),
        }
        buf.push(b',');
    }
    buf.extend_from_slice(b"\"file\":");
    write_str(buf, file);
    let _ = writeln!(buf, ",\"line\":{line_no}}}");
}

/// Appends a malformed line as `{"malformed": REASON, "text": …, "file", "line"}`.
pub fn write_malformed(
    buf: &mut Vec<u8>,
    schema: &Schema,
    m: &Malformed,
    raw: &[u8],
    file: &str,
    line_no: u64,
) {
    buf.extend_from_slice(b"{\"malformed\":");
    write_str(buf, &m.describe(schema, raw));
    buf.extend_from_slice(b",\"text\":");
    write_str(buf, &crate::sanitize::escape_limited(raw, 1000));
    buf.extend_from_slice(b",\"file\":");
    write_str(buf, file);
    let _ = writeln!(buf, ",\"line\":{line_no}}}");
}

/// Writes pieces to `out` in sequence order as they arrive. Stops quietly when the reader of
/// `out` goes away (`vpctop records … | head`), setting `cancel` so the readers stop too.
pub fn write_in_order(
    pieces: Receiver<Piece>,
    out: &mut dyn Write,
    cancel: &AtomicBool,
) -> io::Result<()> {
    let mut next = 0u64;
    let mut waiting: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    let mut failed: Option<io::Error> = None;
    for (seq, bytes) in pieces {
        if failed.is_some() {
            continue; // drain so workers never block on a full channel
        }
        waiting.insert(seq, bytes);
        while let Some(bytes) = waiting.remove(&next) {
            next += 1;
            if let Err(e) = out.write_all(&bytes) {
                cancel.store(true, Ordering::Relaxed);
                failed = Some(e);
                break;
            }
        }
    }
    match failed {
        Some(e) => Err(e),
        None => out.flush(),
    }
}
