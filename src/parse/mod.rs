//! One flow-log line → a typed record, or the exact reason it is malformed.
//!
//! Owns: splitting a line into fields (runs of spaces are one separator, a trailing `\r` is
//! dropped), decoding each field by its [`FieldKind`], `-` as absent, and the unwrapping of a
//! `{"message": "…"}` JSON line (FORMAT.md §9.14).
//!
//! Hot path: [`LineParser::parse`] runs once per line on every worker. It allocates nothing for
//! a valid line: values land in a buffer the parser owns and reuses, and text values are spans
//! of the line. Malformed lines are cheap too: the reason is a small enum, turned into words
//! only when an example is kept ([`Malformed::describe`]).
//!
//! Never: decides what a header is (that is `schema`), or aggregates.

mod flow;

use std::net::{IpAddr, Ipv4Addr};

pub use flow::{Flow, flow_v2, flow_v2_line};

use serde::Deserialize;

use crate::schema::{Column, Field, FieldKind, Schema};

/// `ACCEPT` or `REJECT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// The traffic was allowed.
    Accept,
    /// Denied by a security group, a network ACL, Block Public Access, or a packet after the
    /// connection closed.
    Reject,
}

impl Action {
    /// The text AWS writes.
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "ACCEPT",
            Action::Reject => "REJECT",
        }
    }
}

/// The `log-status` of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogStatus {
    /// Data is logging normally.
    Ok,
    /// No traffic to or from the interface during the capture window.
    NoData,
    /// Some records were skipped during the capture window (data loss).
    SkipData,
}

impl LogStatus {
    /// The text AWS writes.
    pub const fn as_str(self) -> &'static str {
        match self {
            LogStatus::Ok => "OK",
            LogStatus::NoData => "NODATA",
            LogStatus::SkipData => "SKIPDATA",
        }
    }
}

/// A byte range of the line a record was decoded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Offset of the first byte.
    pub start: u32,
    /// Offset one past the last byte.
    pub end: u32,
}

/// One decoded field value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// The field was `-`.
    Absent,
    /// Any unsigned integer field (its width was checked against the field's kind).
    Uint(u64),
    /// An address field.
    Addr(IpAddr),
    /// A text field: where it is in the record text.
    Text(Span),
    /// The `action` field.
    Action(Action),
    /// The `log-status` field.
    Status(LogStatus),
}

/// What is wrong with a malformed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MalformedKind {
    /// The line has a different number of fields than the format.
    FieldCount {
        /// Fields in the format.
        expected: u32,
        /// Fields on the line.
        found: u32,
    },
    /// A number field holds something other than decimal digits.
    NotANumber,
    /// A number field holds a negative number.
    Negative,
    /// A number field does not fit its width (u8, u16 or u64).
    TooLarge,
    /// An address field is not an IPv4 or IPv6 address.
    BadAddress,
    /// `action` is neither `ACCEPT` nor `REJECT`.
    UnknownAction,
    /// `log-status` is not `OK`, `NODATA` or `SKIPDATA`.
    UnknownStatus,
    /// A field holds a control character (tab, NUL, escape, …): AWS never writes one.
    ControlCharacter,
    /// The line exceeds the framer's line-length limit and was cut.
    TooLong,
}

/// A malformed line's reason: what is wrong and in which column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Malformed {
    /// What is wrong.
    pub kind: MalformedKind,
    /// The column (0-based) holding the bad value, when one does.
    pub column: Option<u32>,
}

impl Malformed {
    const fn whole_line(kind: MalformedKind) -> Malformed {
        Malformed { kind, column: None }
    }

    /// A short stable label for counting reasons (`field-count`, `bad-address`, …).
    pub fn label(&self) -> &'static str {
        match self.kind {
            MalformedKind::FieldCount { .. } => "field-count",
            MalformedKind::NotANumber => "not-a-number",
            MalformedKind::Negative => "negative",
            MalformedKind::TooLarge => "too-large",
            MalformedKind::BadAddress => "bad-address",
            MalformedKind::UnknownAction => "unknown-action",
            MalformedKind::UnknownStatus => "unknown-log-status",
            MalformedKind::ControlCharacter => "control-character",
            MalformedKind::TooLong => "too-long",
        }
    }

    /// The reason in words, naming the field and quoting the value (escaped, shortened).
    /// `line` is the raw line the reason came from.
    pub fn describe(&self, schema: &Schema, line: &[u8]) -> String {
        let column = self.column.and_then(|c| schema.columns().get(c as usize));
        let value = self
            .column
            .and_then(|c| Tokens::new(record_text(line, schema).as_ref()).nth(c as usize))
            .map(|(s, e)| {
                let text = record_text(line, schema);
                crate::sanitize::escape_limited(&text[s..e], 40)
            })
            .unwrap_or_default();
        let name = column.map(Column::name).unwrap_or("line");
        match self.kind {
            MalformedKind::FieldCount { expected, found } => {
                format!("expected {expected} fields, found {found}")
            }
            MalformedKind::NotANumber => format!("{name}: \"{value}\" is not a number"),
            MalformedKind::Negative => format!("{name}: \"{value}\" is negative"),
            MalformedKind::TooLarge => {
                let max = match column.map(Column::kind) {
                    Some(FieldKind::U8) => u64::from(u8::MAX),
                    Some(FieldKind::U16) => u64::from(u16::MAX),
                    _ => u64::MAX,
                };
                format!("{name}: \"{value}\" is larger than {max}")
            }
            MalformedKind::BadAddress => format!("{name}: \"{value}\" is not an IP address"),
            MalformedKind::UnknownAction => {
                format!("{name}: \"{value}\" is not ACCEPT or REJECT")
            }
            MalformedKind::UnknownStatus => {
                format!("{name}: \"{value}\" is not OK, NODATA or SKIPDATA")
            }
            MalformedKind::ControlCharacter => {
                format!("{name}: control character in \"{value}\"")
            }
            MalformedKind::TooLong => "line is too long (cut at the line-length limit)".into(),
        }
    }
}

/// What one line turned out to be.
#[derive(Debug)]
pub enum Line<'a> {
    /// Empty or only whitespace.
    Blank,
    /// A record of the parser's format.
    Record(Record<'a>),
    /// Not a record: why.
    Malformed(Malformed),
}

/// A decoded record: the values of one line, readable by field.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    schema: &'a Schema,
    values: &'a [Value],
    text: &'a [u8],
}

impl<'a> Record<'a> {
    /// The format the record was decoded with.
    pub fn schema(&self) -> &'a Schema {
        self.schema
    }

    /// Every value, in column order.
    pub fn values(&self) -> &'a [Value] {
        self.values
    }

    /// The record's text (after unwrapping and without a trailing `\r`).
    pub fn text(&self) -> &'a [u8] {
        self.text
    }

    /// The value of `field`, or `None` when the format lacks it. `-` is `Some(Value::Absent)`.
    #[inline]
    pub fn get(&self, field: Field) -> Option<Value> {
        self.schema.position(field).map(|i| self.values[i])
    }

    /// An integer field's value; `None` when absent or not in the format.
    #[inline]
    pub fn uint(&self, field: Field) -> Option<u64> {
        match self.get(field) {
            Some(Value::Uint(v)) => Some(v),
            _ => None,
        }
    }

    /// An address field's value; `None` when absent or not in the format.
    #[inline]
    pub fn addr(&self, field: Field) -> Option<IpAddr> {
        match self.get(field) {
            Some(Value::Addr(a)) => Some(a),
            _ => None,
        }
    }

    /// A text field's bytes; `None` when absent or not in the format.
    #[inline]
    pub fn text_of(&self, field: Field) -> Option<&'a [u8]> {
        match self.get(field) {
            Some(Value::Text(span)) => Some(self.span(span)),
            _ => None,
        }
    }

    /// The bytes of a text span of this record.
    #[inline]
    pub fn span(&self, span: Span) -> &'a [u8] {
        &self.text[span.start as usize..span.end as usize]
    }

    /// The `action`, when present.
    #[inline]
    pub fn action(&self) -> Option<Action> {
        match self.get(Field::Action) {
            Some(Value::Action(a)) => Some(a),
            _ => None,
        }
    }

    /// The `log-status`; a format without the field counts as `OK` (there is no other
    /// evidence), an absent `-` value as `None`.
    #[inline]
    pub fn log_status(&self) -> Option<LogStatus> {
        match self.get(Field::LogStatus) {
            None => Some(LogStatus::Ok),
            Some(Value::Status(s)) => Some(s),
            Some(_) => None,
        }
    }
}

/// Decodes lines of one format, reusing its value buffer from line to line.
#[derive(Debug)]
pub struct LineParser {
    values: Vec<Value>,
    unwrapped: Vec<u8>,
}

impl Default for LineParser {
    fn default() -> Self {
        LineParser::new()
    }
}

/// A `{"message": "…"}` wrapper (CloudWatch Logs events, Elastic fixtures).
#[derive(Deserialize)]
struct MessageWrapper {
    message: String,
}

impl LineParser {
    /// A parser with an empty value buffer.
    pub fn new() -> LineParser {
        LineParser {
            values: Vec::with_capacity(64),
            unwrapped: Vec::new(),
        }
    }

    /// Classifies and decodes one line (without its `\n`) according to `schema`.
    pub fn parse<'a>(&'a mut self, schema: &'a Schema, line: &'a [u8]) -> Line<'a> {
        if is_blank(strip_cr(line)) {
            return Line::Blank;
        }
        let text = match unwrap_line(line, schema) {
            Unwrapped::Plain(text) => text,
            Unwrapped::Message(message) => {
                self.unwrapped = message;
                &self.unwrapped
            }
        };
        match decode(schema, text, &mut self.values) {
            Ok(()) => Line::Record(Record {
                schema,
                values: &self.values,
                text,
            }),
            Err(m) => Line::Malformed(m),
        }
    }
}

/// A CloudWatch Logs subscription payload (what a subscription filter delivers through
/// Kinesis, Firehose or Lambda, decompressed): one line holding many log events.
#[derive(Debug, Deserialize)]
pub struct Payload {
    /// `DATA_MESSAGE`, or `CONTROL_MESSAGE` for CloudWatch's reachability checks.
    #[serde(rename = "messageType", default)]
    pub message_type: String,
    /// The log events; each message is one flow-log record.
    #[serde(rename = "logEvents", default)]
    pub log_events: Vec<PayloadEvent>,
}

/// One event of a [`Payload`].
#[derive(Debug, Deserialize)]
pub struct PayloadEvent {
    /// The record text.
    pub message: String,
}

impl Payload {
    /// Reads `line` as a subscription payload, when it is one (a JSON object with
    /// `logEvents`); anything else is `None` and parses as a line of its own.
    pub fn of(line: &[u8]) -> Option<Payload> {
        let text = strip_cr(line);
        if text.iter().find(|b| **b != b' ') != Some(&b'{')
            || memchr::memmem::find(text, b"\"logEvents\"").is_none()
        {
            return None;
        }
        serde_json::from_slice::<Payload>(text).ok()
    }

    /// Whether CloudWatch sent it only to check the destination (it holds no records).
    pub fn is_control(&self) -> bool {
        self.message_type == "CONTROL_MESSAGE"
    }
}

/// What a line holds once its wrapping is taken off.
enum Unwrapped<'a> {
    /// A part of the line itself.
    Plain(&'a [u8]),
    /// The `message` of a JSON-wrapped line.
    Message(Vec<u8>),
}

/// Takes the wrapping off a line (FORMAT.md §9.14): a trailing `\r`; a `{"message": …}` JSON
/// object (CloudWatch Logs events); a leading ISO-8601 timestamp (CloudWatch export objects,
/// `aws logs tail`), followed by the log stream name when `aws logs tail` printed one (the
/// line then has one token more than the format).
fn unwrap_line<'a>(line: &'a [u8], schema: &Schema) -> Unwrapped<'a> {
    let text = strip_cr(line);
    if let Some(&b'{') = text.iter().find(|b| **b != b' ')
        && let Ok(w) = serde_json::from_slice::<MessageWrapper>(text)
    {
        return Unwrapped::Message(strip_cr(w.message.as_bytes()).to_vec());
    }
    Unwrapped::Plain(strip_timestamp(text, schema))
}

/// `2024-11-23T12:34:56.789Z` and the like: date, `T`, time, anything after.
fn looks_like_timestamp(token: &[u8]) -> bool {
    let digits = |r: std::ops::Range<usize>| token[r].iter().all(u8::is_ascii_digit);
    token.len() >= 19
        && token[4] == b'-'
        && token[7] == b'-'
        && token[10] == b'T'
        && token[13] == b':'
        && token[16] == b':'
        && digits(0..4)
        && digits(5..7)
        && digits(8..10)
        && digits(11..13)
        && digits(14..16)
}

fn strip_timestamp<'a>(text: &'a [u8], schema: &Schema) -> &'a [u8] {
    let mut tokens = Tokens::new(text);
    let Some((s, e)) = tokens.next() else {
        return text;
    };
    if !looks_like_timestamp(&text[s..e]) {
        return text;
    }
    let rest_at = |end: usize| {
        let rest = &text[end..];
        &rest[rest.iter().take_while(|b| **b == b' ').count()..]
    };
    let rest = rest_at(e);
    if Tokens::new(rest).count() == schema.len() + 1
        && let Some((_, stream_end)) = Tokens::new(rest).next()
    {
        let after = &rest[stream_end..];
        return &after[after.iter().take_while(|b| **b == b' ').count()..];
    }
    rest
}

/// The text a record is decoded from (see [`unwrap_line`]); used to quote values in
/// malformed reasons.
fn record_text<'a>(line: &'a [u8], schema: &Schema) -> std::borrow::Cow<'a, [u8]> {
    match unwrap_line(line, schema) {
        Unwrapped::Plain(text) => std::borrow::Cow::Borrowed(text),
        Unwrapped::Message(m) => std::borrow::Cow::Owned(m),
    }
}

/// Drops one trailing `\r` (CRLF files).
#[inline]
pub fn strip_cr(line: &[u8]) -> &[u8] {
    match line.split_last() {
        Some((b'\r', rest)) => rest,
        _ => line,
    }
}

/// Empty, or only ASCII whitespace.
#[inline]
pub fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// Iterates the `(start, end)` byte ranges of space-separated tokens.
struct Tokens<'a> {
    line: &'a [u8],
    pos: usize,
}

impl<'a> Tokens<'a> {
    fn new(line: &'a [u8]) -> Self {
        Tokens { line, pos: 0 }
    }
}

impl Iterator for Tokens<'_> {
    type Item = (usize, usize);

    #[inline]
    fn next(&mut self) -> Option<(usize, usize)> {
        let line = self.line;
        let mut i = self.pos;
        while i < line.len() && line[i] == b' ' {
            i += 1;
        }
        if i == line.len() {
            self.pos = i;
            return None;
        }
        let start = i;
        while i < line.len() && line[i] != b' ' {
            i += 1;
        }
        self.pos = i;
        Some((start, i))
    }
}

/// Decodes every column of `text` into `values`, or says why the line is malformed.
///
/// The hot loop: one pass over the bytes. Integers and dotted-quad IPv4 addresses are decoded
/// while their token is being scanned, and text fields are checked for control characters in
/// the same pass; only unusual tokens (absent, over 19 digits, IPv6, errors) take
/// [`decode_value`].
fn decode(schema: &Schema, text: &[u8], values: &mut Vec<Value>) -> Result<(), Malformed> {
    let kinds = schema.kinds();
    values.clear();
    values.resize(kinds.len(), Value::Absent);
    let n = text.len();
    let mut pos = 0;
    let mut first_error: Option<Malformed> = None;
    for (i, (&kind, slot)) in kinds.iter().zip(values.iter_mut()).enumerate() {
        while pos < n && text[pos] == b' ' {
            pos += 1;
        }
        if pos == n {
            return Err(Malformed::whole_line(MalformedKind::FieldCount {
                expected: kinds.len() as u32,
                found: i as u32,
            }));
        }
        let start = pos;
        let decoded = match kind {
            FieldKind::U64 | FieldKind::U16 | FieldKind::U8 => {
                let mut v: u64 = 0;
                let mut all_digits = true;
                while pos < n && text[pos] != b' ' {
                    let d = text[pos].wrapping_sub(b'0');
                    all_digits &= d <= 9;
                    v = v.wrapping_mul(10).wrapping_add(u64::from(d));
                    pos += 1;
                }
                let max = match kind {
                    FieldKind::U8 => u64::from(u8::MAX),
                    FieldKind::U16 => u64::from(u16::MAX),
                    _ => u64::MAX,
                };
                if all_digits && pos - start <= 19 && v <= max {
                    Ok(Value::Uint(v))
                } else {
                    decode_value(kind, &text[start..pos], start, pos)
                }
            }
            FieldKind::Text => {
                let mut control = false;
                while pos < n && text[pos] != b' ' {
                    let b = text[pos];
                    control |= b < 0x20 || b == 0x7f;
                    pos += 1;
                }
                if control {
                    Err(MalformedKind::ControlCharacter)
                } else if pos - start == 1 && text[start] == b'-' {
                    Ok(Value::Absent)
                } else {
                    Ok(Value::Text(Span {
                        start: start as u32,
                        end: pos as u32,
                    }))
                }
            }
            FieldKind::Addr => {
                // Dotted quad on the fly; anything else (IPv6, `-`, junk) goes the slow way.
                let mut bits: u32 = 0;
                let mut octet: u32 = 0;
                let mut digits = 0u32;
                let mut dots = 0u32;
                let mut plain = true;
                while pos < n && text[pos] != b' ' {
                    let b = text[pos];
                    if b == b'.' {
                        plain &= digits > 0;
                        bits = (bits << 8) | octet;
                        octet = 0;
                        digits = 0;
                        dots += 1;
                    } else {
                        let d = b.wrapping_sub(b'0');
                        // No leading zeros, as `std` parses addresses.
                        plain &= d <= 9 && !(digits == 1 && octet == 0);
                        octet = (octet * 10 + u32::from(d)).min(1000); // no overflow on junk
                        digits += 1;
                        plain &= octet <= 255;
                    }
                    pos += 1;
                }
                if plain && dots == 3 && digits > 0 {
                    Ok(Value::Addr(IpAddr::V4(Ipv4Addr::from_bits(
                        (bits << 8) | octet,
                    ))))
                } else {
                    decode_value(kind, &text[start..pos], start, pos)
                }
            }
            FieldKind::Action | FieldKind::LogStatus => {
                while pos < n && text[pos] != b' ' {
                    pos += 1;
                }
                decode_value(kind, &text[start..pos], start, pos)
            }
        };
        match decoded {
            Ok(v) => *slot = v,
            Err(kind) => {
                // Keep scanning: a field-count mismatch is the more useful reason.
                first_error.get_or_insert(Malformed {
                    kind,
                    column: Some(i as u32),
                });
            }
        }
    }
    let extra = Tokens::new(&text[pos..]).count();
    if extra > 0 {
        return Err(Malformed::whole_line(MalformedKind::FieldCount {
            expected: kinds.len() as u32,
            found: (kinds.len() + extra) as u32,
        }));
    }
    match first_error {
        Some(m) => Err(m),
        None => Ok(()),
    }
}

#[inline(always)]
fn decode_value(kind: FieldKind, token: &[u8], s: usize, e: usize) -> Result<Value, MalformedKind> {
    if token == b"-" {
        return Ok(Value::Absent);
    }
    Ok(match kind {
        FieldKind::Text => {
            if token.iter().any(|&b| b < 0x20 || b == 0x7f) {
                return Err(MalformedKind::ControlCharacter);
            }
            Value::Text(Span {
                start: s as u32,
                end: e as u32,
            })
        }
        FieldKind::U64 => Value::Uint(parse_u64(token)?),
        FieldKind::U16 => Value::Uint(parse_bounded(token, u64::from(u16::MAX))?),
        FieldKind::U8 => Value::Uint(parse_bounded(token, u64::from(u8::MAX))?),
        FieldKind::Addr => Value::Addr(parse_addr(token).ok_or(MalformedKind::BadAddress)?),
        FieldKind::Action => Value::Action(action(token).ok_or(MalformedKind::UnknownAction)?),
        FieldKind::LogStatus => {
            Value::Status(log_status(token).ok_or(MalformedKind::UnknownStatus)?)
        }
    })
}

/// `ACCEPT` / `REJECT`, compared as fixed-size arrays (inline loads, no `memcmp` call).
#[inline(always)]
fn action(token: &[u8]) -> Option<Action> {
    match <[u8; 6]>::try_from(token).ok()? {
        [b'A', b'C', b'C', b'E', b'P', b'T'] => Some(Action::Accept),
        [b'R', b'E', b'J', b'E', b'C', b'T'] => Some(Action::Reject),
        _ => None,
    }
}

/// `OK` / `NODATA` / `SKIPDATA`, compared as fixed-size arrays.
#[inline(always)]
fn log_status(token: &[u8]) -> Option<LogStatus> {
    match token.len() {
        2 if token == b"OK" => Some(LogStatus::Ok),
        6 if <[u8; 6]>::try_from(token).ok()? == *b"NODATA" => Some(LogStatus::NoData),
        8 if <[u8; 8]>::try_from(token).ok()? == *b"SKIPDATA" => Some(LogStatus::SkipData),
        _ => None,
    }
}

/// Decimal digits → u64; leading zeros are fine, signs and overflow are not.
#[inline]
pub fn parse_u64(token: &[u8]) -> Result<u64, MalformedKind> {
    if token.is_empty() {
        return Err(MalformedKind::NotANumber);
    }
    if token.len() <= 19 {
        // 19 digits cannot overflow u64: no checks in the loop.
        let mut v: u64 = 0;
        for &b in token {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                return Err(non_digit(token));
            }
            v = v * 10 + u64::from(d);
        }
        return Ok(v);
    }
    let mut v: u64 = 0;
    let mut overflow = false;
    for &b in token {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return Err(non_digit(token));
        }
        match v.checked_mul(10).and_then(|x| x.checked_add(u64::from(d))) {
            Some(x) => v = x,
            None => overflow = true,
        }
    }
    if overflow {
        Err(MalformedKind::TooLarge)
    } else {
        Ok(v)
    }
}

#[cold]
fn non_digit(token: &[u8]) -> MalformedKind {
    if token.len() > 1 && token[0] == b'-' && token[1..].iter().all(u8::is_ascii_digit) {
        MalformedKind::Negative
    } else {
        MalformedKind::NotANumber
    }
}

#[inline]
fn parse_bounded(token: &[u8], max: u64) -> Result<u64, MalformedKind> {
    let v = parse_u64(token)?;
    if v > max {
        Err(MalformedKind::TooLarge)
    } else {
        Ok(v)
    }
}

/// IPv4 (fast path, same rules as `std`: four decimal octets, no leading zeros) or IPv6.
#[inline]
pub fn parse_addr(token: &[u8]) -> Option<IpAddr> {
    if let Some(v4) = parse_ipv4(token) {
        return Some(IpAddr::V4(v4));
    }
    // Only IPv6 has colons: parse it as that alone (`IpAddr`'s parser tries IPv4 first).
    if token.contains(&b':') {
        let v6: std::net::Ipv6Addr = std::str::from_utf8(token).ok()?.parse().ok()?;
        return Some(IpAddr::V6(v6));
    }
    None
}

#[inline]
fn parse_ipv4(token: &[u8]) -> Option<Ipv4Addr> {
    if token.len() < 7 || token.len() > 15 {
        return None;
    }
    let mut octets = [0u8; 4];
    let mut part = 0;
    let mut value: u32 = 0;
    let mut digits = 0;
    for &b in token {
        if b == b'.' {
            if digits == 0 || part == 3 {
                return None;
            }
            octets[part] = value as u8;
            part += 1;
            value = 0;
            digits = 0;
        } else {
            let d = b.wrapping_sub(b'0');
            if d > 9 || (digits == 1 && value == 0) {
                return None; // not a digit, or a leading zero
            }
            value = value * 10 + u32::from(d);
            digits += 1;
            if value > 255 {
                return None;
            }
        }
    }
    if digits == 0 || part != 3 {
        return None;
    }
    octets[3] = value as u8;
    Some(Ipv4Addr::from(octets))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const V2: &[u8] =
        b"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK";

    fn parse_v2(line: &[u8]) -> Result<Vec<Value>, Malformed> {
        let schema = Schema::default_v2();
        let mut p = LineParser::new();
        match p.parse(&schema, line) {
            Line::Record(r) => Ok(r.values().to_vec()),
            Line::Malformed(m) => Err(m),
            Line::Blank => panic!("blank"),
        }
    }

    fn reason_v2(line: &[u8]) -> String {
        let schema = Schema::default_v2();
        parse_v2(line).unwrap_err().describe(&schema, line)
    }

    #[test]
    fn decodes_a_default_record() {
        let schema = Schema::default_v2();
        let mut p = LineParser::new();
        let Line::Record(r) = p.parse(&schema, V2) else {
            panic!("not a record")
        };
        assert_eq!(r.uint(Field::Version), Some(2));
        assert_eq!(r.text_of(Field::AccountId), Some(&b"123456789010"[..]));
        assert_eq!(
            r.addr(Field::SrcAddr),
            Some("172.31.16.139".parse().unwrap())
        );
        assert_eq!(r.uint(Field::DstPort), Some(22));
        assert_eq!(r.uint(Field::Bytes), Some(4249));
        assert_eq!(r.action(), Some(Action::Accept));
        assert_eq!(r.log_status(), Some(LogStatus::Ok));
        assert_eq!(r.get(Field::VpcId), None);
    }

    #[test]
    fn dash_is_absent_in_every_kind_of_field() {
        let values = parse_v2(b"2 123 eni-1 - - - - - - - 1431280876 1431280934 - NODATA").unwrap();
        assert!(values[3..10].iter().all(|v| *v == Value::Absent));
        assert_eq!(values[12], Value::Absent);
        assert_eq!(values[13], Value::Status(LogStatus::NoData));
    }

    #[test]
    fn runs_of_spaces_crlf_and_edges_are_tolerated() {
        let doubled = b"  2 123 eni-1 10.0.0.1  10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK  \r";
        assert!(parse_v2(doubled).is_ok());
    }

    #[test]
    fn counters_above_u32_and_up_to_u64_max_are_real() {
        let line =
            b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 18446744073709551615 4294967296 1 2 ACCEPT OK";
        let v = parse_v2(line).unwrap();
        assert_eq!(v[8], Value::Uint(u64::MAX));
        assert_eq!(v[9], Value::Uint(1 << 32));
        let over = b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 18446744073709551616 1 1 2 ACCEPT OK";
        assert_eq!(
            reason_v2(over),
            "packets: \"18446744073709551616\" is larger than 18446744073709551615"
        );
        let zeros = b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 000000000000000000000007 1 1 2 ACCEPT OK";
        assert_eq!(parse_v2(zeros).unwrap()[8], Value::Uint(7));
    }

    #[test]
    fn each_malformed_reason_names_field_and_value() {
        let cases: &[(&[u8], &str)] = &[
            (
                b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT",
                "expected 14 fields, found 13",
            ),
            (
                b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK #c",
                "expected 14 fields, found 15",
            ),
            (
                b"2 1 eni-1 10.0.0.1 10.0.0.2 1 abc 6 1 1 1 2 ACCEPT OK",
                "dstport: \"abc\" is not a number",
            ),
            (
                b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 -5 1 2 ACCEPT OK",
                "bytes: \"-5\" is negative",
            ),
            (
                b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1.5 1 2 ACCEPT OK",
                "bytes: \"1.5\" is not a number",
            ),
            (
                b"2 1 eni-1 10.0.0.1 10.0.0.2 70000 2 6 1 1 1 2 ACCEPT OK",
                "srcport: \"70000\" is larger than 65535",
            ),
            (
                b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 256 1 1 1 2 ACCEPT OK",
                "protocol: \"256\" is larger than 255",
            ),
            (
                b"2 1 eni-1 10.0.0.256 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK",
                "srcaddr: \"10.0.0.256\" is not an IP address",
            ),
            (
                b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 DENY OK",
                "action: \"DENY\" is not ACCEPT or REJECT",
            ),
            (
                b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT ok",
                "log-status: \"ok\" is not OK, NODATA or SKIPDATA",
            ),
            (
                b"2 1 eni\x1b[31m 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK",
                "interface-id: control character in \"eni\\x1b[31m\"",
            ),
            (
                b"2 1\teni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK",
                "expected 14 fields, found 13",
            ),
        ];
        for (line, want) in cases {
            assert_eq!(&reason_v2(line), want, "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn nul_bytes_and_invalid_utf8() {
        let nul = b"2 1 eni-\x00 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK";
        assert_eq!(
            parse_v2(nul).unwrap_err().kind,
            MalformedKind::ControlCharacter
        );
        // Invalid UTF-8 in a text field is kept (decoded lossily on output)…
        let latin1 = b"2 1 eni-\xe9 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK";
        assert!(parse_v2(latin1).is_ok());
        // …but never accepted where a number or address belongs.
        let bad = b"2 1 eni-1 10.0.0.\xff 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK";
        assert_eq!(parse_v2(bad).unwrap_err().kind, MalformedKind::BadAddress);
    }

    #[test]
    fn ipv6_in_full_and_compressed_forms() {
        assert_eq!(
            parse_addr(b"2a02:cf40::"),
            Some("2a02:cf40::".parse().unwrap())
        );
        assert!(parse_addr(b"2001:db8:1234:a100:8d6e:3477:df66:f105").is_some());
        assert!(parse_addr(b"::ffff:10.0.0.1").is_some());
        assert_eq!(parse_addr(b"2001:db8::g"), None);
        assert_eq!(parse_addr(b"eni-1"), None);
    }

    #[test]
    fn message_wrapped_json_is_unwrapped() {
        let schema = Schema::default_v2();
        let mut p = LineParser::new();
        let line = br#"{"message":"2 428961148399 eni-0e0bf7be352692297 - - - - - - - 1671029698 1671029728 - NODATA"}"#;
        let Line::Record(r) = p.parse(&schema, line) else {
            panic!()
        };
        assert_eq!(r.log_status(), Some(LogStatus::NoData));
        assert_eq!(
            r.text_of(Field::InterfaceId),
            Some(&b"eni-0e0bf7be352692297"[..])
        );
    }

    #[test]
    fn cloudwatch_timestamps_and_log_stream_names_are_taken_off() {
        let schema = Schema::default_v2();
        let mut p = LineParser::new();
        let record = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK";
        for line in [
            format!("2024-11-23T12:34:56.789000+00:00 eni-1235b8ca123456789-all {record}"),
            format!("2024-11-23T12:34:56.789Z {record}"),
            format!("2024-11-23T12:34:56Z  {record}\r"),
        ] {
            let Line::Record(r) = p.parse(&schema, line.as_bytes()) else {
                panic!("{line}")
            };
            assert_eq!(r.uint(Field::DstPort), Some(22), "{line}");
            assert_eq!(r.text(), record.as_bytes());
        }
        // A stream name but a field short: the name is read as the first field, and the
        // reason quotes it.
        let short =
            "2024-11-23T12:34:56Z eni-1-all 2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT";
        let Line::Malformed(m) = p.parse(&schema, short.as_bytes()) else {
            panic!()
        };
        assert_eq!(
            m.describe(&schema, short.as_bytes()),
            "version: \"eni-1-all\" is not a number"
        );
        // Not a timestamp: left alone.
        let odd = "2024-11-23 12:34:56 x";
        assert!(matches!(
            p.parse(&schema, odd.as_bytes()),
            Line::Malformed(_)
        ));
    }

    #[test]
    fn blank_lines() {
        let schema = Schema::default_v2();
        let mut p = LineParser::new();
        for line in [&b""[..], b"   ", b"\r", b" \t "] {
            assert!(matches!(p.parse(&schema, line), Line::Blank));
        }
    }

    proptest! {
        #[test]
        fn ipv4_fast_path_agrees_with_std(s in "[0-9.]{0,17}") {
            let ours = parse_ipv4(s.as_bytes());
            let std = s.parse::<Ipv4Addr>().ok();
            prop_assert_eq!(ours, std);
        }

        #[test]
        fn address_fields_agree_with_std(addr in "[0-9.:a-f]{0,20}") {
            let schema = Schema::parse_format("srcaddr srcport").unwrap();
            let line = format!("{addr} 1");
            let mut p = LineParser::new();
            let ours = match p.parse(&schema, line.as_bytes()) {
                Line::Record(r) => r.addr(Field::SrcAddr).map(Some),
                _ => None,
            };
            let std = if addr == "-" { Some(None) } else { addr.parse::<IpAddr>().ok().map(Some) };
            if addr.is_empty() || addr == "-" {
                return Ok(());
            }
            prop_assert_eq!(ours, std);
        }

        #[test]
        fn u64_parsing_agrees_with_std(s in "[0-9]{1,25}") {
            let ours = parse_u64(s.as_bytes()).ok();
            prop_assert_eq!(ours, s.parse::<u64>().ok());
        }

        #[test]
        fn arbitrary_bytes_never_panic(line in proptest::collection::vec(any::<u8>(), 0..300)) {
            let schema = Schema::default_v2();
            let mut p = LineParser::new();
            if let Line::Malformed(m) = p.parse(&schema, &line) {
                let reason = m.describe(&schema, &line);
                prop_assert!(!reason.is_empty());
                prop_assert!(!reason.bytes().any(|b| b < 0x20 || b == 0x7f));
            }
        }
    }
}
