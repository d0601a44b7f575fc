//! The values a line decodes into: actions, log statuses, field values, records, and the
//! exact reason a line is malformed.

use std::net::IpAddr;

use super::envelope::record_text;
use super::tokens::Tokens;
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
    pub(super) const fn whole_line(kind: MalformedKind) -> Malformed {
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
    pub(super) schema: &'a Schema,
    pub(super) values: &'a [Value],
    pub(super) text: &'a [u8],
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
