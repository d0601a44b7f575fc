//! Side columns: the fields of a custom format beyond the v2 core, one column per field,
//! stored by the field's kind. Text (ids, names, enumerations) is dictionary-encoded;
//! numbers are kept as numbers ([`U64Column`]) and addresses as addresses (IPv4 inline,
//! IPv6 in the column's own table). Writing `pkt-srcaddr` as text and looking it up in a
//! dictionary that held nearly every address of the segment was most of what a v5 record's
//! retention cost.

use std::net::IpAddr;

use super::column::{Base, U64Column};
use super::dict::{Dict, V6Table};
use crate::parse::{Record, Value};
use crate::schema::{Field, FieldKind};

/// One side column.
#[derive(Debug, Clone)]
pub(super) struct Side {
    /// The field it holds.
    pub(super) field: Field,
    values: Values,
}

/// A side column's rows, by the field's kind.
#[derive(Debug, Clone)]
enum Values {
    /// Dictionary id + 1, 0 for absent.
    Text { ids: Vec<u32>, dict: Dict },
    /// Numbers, with whether each row has one.
    Uint {
        present: Vec<bool>,
        values: U64Column,
    },
    /// Addresses: `kinds` says absent (0), IPv4 (1, the address in `values`) or IPv6 (2,
    /// `values` is its id in `v6`).
    Addr {
        kinds: Vec<u8>,
        values: Vec<u32>,
        v6: V6Table,
    },
}

const ABSENT: u8 = 0;
const V4: u8 = 1;
const V6: u8 = 2;

/// A side field's value in a stored row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SideValue<'s> {
    /// Text as written.
    Text(&'s [u8]),
    /// A number.
    Uint(u64),
    /// An address.
    Addr(IpAddr),
}

impl Side {
    /// An empty column for `field`, stored as its kind says.
    pub(super) fn new(field: Field) -> Side {
        let values = match field.kind() {
            FieldKind::U8 | FieldKind::U16 | FieldKind::U64 => Values::Uint {
                present: Vec::new(),
                values: U64Column::new(Base::Zero),
            },
            FieldKind::Addr => Values::Addr {
                kinds: Vec::new(),
                values: Vec::new(),
                v6: V6Table::default(),
            },
            FieldKind::Text | FieldKind::Action | FieldKind::LogStatus => Values::Text {
                ids: Vec::new(),
                dict: Dict::default(),
            },
        };
        Side { field, values }
    }

    /// Rows held.
    pub(super) fn len(&self) -> usize {
        match &self.values {
            Values::Text { ids, .. } => ids.len(),
            Values::Uint { present, .. } => present.len(),
            Values::Addr { kinds, .. } => kinds.len(),
        }
    }

    /// Appends absent rows until it holds `rows`.
    pub(super) fn pad_to(&mut self, rows: usize) {
        while self.len() < rows {
            self.push_absent();
        }
    }

    fn push_absent(&mut self) {
        match &mut self.values {
            Values::Text { ids, .. } => ids.push(0),
            Values::Uint { present, values } => {
                present.push(false);
                values.push(0);
            }
            Values::Addr { kinds, values, .. } => {
                kinds.push(ABSENT);
                values.push(0);
            }
        }
    }

    /// Appends `value` of a record (its text from `rec`). A value of another kind than the
    /// field's cannot come from the parser, which decodes each field by its kind; it would
    /// be stored as absent.
    #[inline]
    pub(super) fn push(&mut self, rec: &Record<'_>, value: &Value) {
        match (&mut self.values, *value) {
            (Values::Text { ids, dict }, Value::Text(span)) => {
                ids.push(dict.id(rec.span(span)) + 1);
            }
            (Values::Text { ids, dict }, Value::Action(a)) => {
                ids.push(dict.id(a.as_str().as_bytes()) + 1);
            }
            (Values::Text { ids, dict }, Value::Status(s)) => {
                ids.push(dict.id(s.as_str().as_bytes()) + 1);
            }
            (Values::Uint { present, values }, Value::Uint(n)) => {
                present.push(true);
                values.push(n);
            }
            (Values::Addr { kinds, values, .. }, Value::Addr(IpAddr::V4(a))) => {
                kinds.push(V4);
                values.push(a.to_bits());
            }
            (Values::Addr { kinds, values, v6 }, Value::Addr(IpAddr::V6(a))) => {
                kinds.push(V6);
                values.push(v6.id(a));
            }
            _ => self.push_absent(),
        }
    }

    /// Row `i`'s value, if it has one.
    pub(super) fn get(&self, i: usize) -> Option<SideValue<'_>> {
        match &self.values {
            Values::Text { ids, dict } => {
                let id = *ids.get(i)?;
                (id > 0).then(|| SideValue::Text(&dict.values[id as usize - 1]))
            }
            Values::Uint { present, values } => present
                .get(i)
                .copied()?
                .then(|| SideValue::Uint(values.get(i))),
            Values::Addr { kinds, values, v6 } => match *kinds.get(i)? {
                V4 => Some(SideValue::Addr(IpAddr::V4(values[i].into()))),
                V6 => Some(SideValue::Addr(IpAddr::V6(v6.get(values[i])?))),
                _ => None,
            },
        }
    }

    /// Drops what only adding rows needs, and unused capacity.
    pub(super) fn seal(&mut self, rows: usize) {
        self.pad_to(rows);
        match &mut self.values {
            Values::Text { ids, dict } => {
                ids.shrink_to_fit();
                dict.seal();
            }
            Values::Uint { present, values } => {
                present.shrink_to_fit();
                values.shrink_to_fit();
            }
            Values::Addr { kinds, values, v6 } => {
                kinds.shrink_to_fit();
                values.shrink_to_fit();
                v6.seal();
            }
        }
    }

    /// Bytes of memory held.
    pub(super) fn memory(&self) -> usize {
        32 + match &self.values {
            Values::Text { ids, dict } => ids.len() * 4 + dict.bytes(),
            Values::Uint { present, values } => present.len() * (1 + values.width()),
            Values::Addr { kinds, v6, .. } => kinds.len() * 5 + v6.bytes(),
        }
    }
}
