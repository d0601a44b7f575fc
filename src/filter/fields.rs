//! What a filter reads a record through: [`FieldSource`], and its answers for a parsed line
//! ([`Record`]) and for a fast-path default-format line ([`Flow`]).

use std::net::IpAddr;

use crate::parse::{Action, Flow, LogStatus, Record};
use crate::schema::Field;

/// Read access to the fields of one record, whatever holds it (a parsed line, a stored row).
pub trait FieldSource {
    /// An integer field (`None` when absent or not in the format).
    fn uint(&self, field: Field) -> Option<u64>;
    /// An address field.
    fn addr(&self, field: Field) -> Option<IpAddr>;
    /// A text field's bytes.
    fn text(&self, field: Field) -> Option<&[u8]>;
    /// The `action`.
    fn action(&self) -> Option<Action>;
    /// The `log-status` (`OK` when the format has none).
    fn status(&self) -> Option<LogStatus>;
}

impl FieldSource for Record<'_> {
    fn uint(&self, field: Field) -> Option<u64> {
        Record::uint(self, field)
    }
    fn addr(&self, field: Field) -> Option<IpAddr> {
        Record::addr(self, field)
    }
    fn text(&self, field: Field) -> Option<&[u8]> {
        self.text_of(field)
    }
    fn action(&self) -> Option<Action> {
        Record::action(self)
    }
    fn status(&self) -> Option<LogStatus> {
        self.log_status()
    }
}

/// Answers as a default-format (v2) record would: the v2 fields from the flow, `None` for
/// every field the v2 format lacks. Use it only on flows of v2 lines.
impl FieldSource for Flow<'_> {
    fn uint(&self, field: Field) -> Option<u64> {
        match field {
            Field::Version => self.version.map(u64::from),
            Field::SrcPort => self.srcport.map(u64::from),
            Field::DstPort => self.dstport.map(u64::from),
            Field::Protocol => self.protocol.map(u64::from),
            Field::Packets => self.packets,
            Field::Bytes => self.bytes,
            Field::Start => self.start,
            Field::End => self.end,
            _ => None,
        }
    }
    fn addr(&self, field: Field) -> Option<IpAddr> {
        match field {
            Field::SrcAddr => self.src,
            Field::DstAddr => self.dst,
            _ => None,
        }
    }
    fn text(&self, field: Field) -> Option<&[u8]> {
        match field {
            Field::AccountId => self.account,
            Field::InterfaceId => self.interface,
            _ => None,
        }
    }
    fn action(&self) -> Option<Action> {
        self.action
    }
    fn status(&self) -> Option<LogStatus> {
        self.status
    }
}
