//! One sealed, immutable block of retained records, stored column by column.
//!
//! Per record (default format): source and destination address (IPv4 inline as `u32`, IPv6
//! as an index into the segment's IPv6 table), ports, protocol, action and status packed in a
//! byte, version, interface and account as indexes into per-segment dictionaries, packets,
//! bytes, start, end, a presence bitmap for `-` values, and the source position (input,
//! byte offset). Counts, times and positions take 32 bits while a segment's values fit
//! ([`U64Column`]): about 44 bytes, dictionaries included. Fields beyond v2 go to side
//! columns (`side.rs`: text dictionary-encoded, numbers and addresses as such) that exist
//! only when the format has them.

use std::net::IpAddr;

use crate::filter::{ColumnTest, FieldSource};
use crate::parse::{Action, Flow, LogStatus, Record, Value};
use crate::schema::{Column, Field};

use super::column::{Base, U64Column};
use super::dict::{Dict, V6Table};
use super::side::{Side, SideValue};

/// Records per sealed segment.
pub const SEGMENT_RECORDS: usize = 1 << 16;

// Presence bits: a set bit means the value is there (not `-`, and in the format).
const P_SRC: u16 = 1 << 0;
const P_DST: u16 = 1 << 1;
const P_SRCPORT: u16 = 1 << 2;
const P_DSTPORT: u16 = 1 << 3;
const P_PROTO: u16 = 1 << 4;
const P_PACKETS: u16 = 1 << 5;
const P_BYTES: u16 = 1 << 6;
const P_START: u16 = 1 << 7;
const P_END: u16 = 1 << 8;
const P_ENI: u16 = 1 << 9;
const P_ACCOUNT: u16 = 1 << 10;
const P_VERSION: u16 = 1 << 11;
/// The address column holds an index into the IPv6 table, not an IPv4 address.
const V6_SRC: u16 = 1 << 12;
const V6_DST: u16 = 1 << 13;

/// Where a record came from: input number and byte offset of its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Index of the input.
    pub input: u32,
    /// Byte offset of the line in the decoded input.
    pub offset: u64,
}

impl Position {
    fn pack(self) -> u64 {
        (u64::from(self.input.min(0xffff)) << 48) | (self.offset & ((1 << 48) - 1))
    }

    fn unpack(v: u64) -> Position {
        Position {
            input: (v >> 48) as u32,
            offset: v & ((1 << 48) - 1),
        }
    }
}

/// Columns being filled; sealed into a [`Segment`].
#[derive(Debug, Default)]
pub struct SegmentBuilder {
    seg: Segment,
}

/// A sealed block of records.
#[derive(Debug, Default, Clone)]
pub struct Segment {
    src: Vec<u32>,
    dst: Vec<u32>,
    srcport: Vec<u16>,
    dstport: Vec<u16>,
    proto: Vec<u8>,
    /// action (bits 0–1: 0 none, 1 ACCEPT, 2 REJECT) | status (bits 2–3: 0 none, 1 OK,
    /// 2 NODATA, 3 SKIPDATA).
    state: Vec<u8>,
    version: Vec<u8>,
    /// Dictionary ids: a segment holds at most 65,536 records, so they fit in 16 bits.
    eni: Vec<u16>,
    account: Vec<u16>,
    packets: U64Column,
    bytes: U64Column,
    start: U64Column,
    end: U64Column,
    presence: Vec<u16>,
    position: U64Column,
    v6: V6Table,
    enis: Dict,
    accounts: Dict,
    side: Vec<Side>,
    /// Least and greatest `end`, once a record has one.
    ends: Option<(u64, u64)>,
}

fn action_code(a: Option<Action>) -> u8 {
    match a {
        None => 0,
        Some(Action::Accept) => 1,
        Some(Action::Reject) => 2,
    }
}

fn status_code(s: Option<LogStatus>) -> u8 {
    match s {
        None => 0,
        Some(LogStatus::Ok) => 1,
        Some(LogStatus::NoData) => 2,
        Some(LogStatus::SkipData) => 3,
    }
}

impl SegmentBuilder {
    /// Records so far.
    pub fn len(&self) -> usize {
        self.seg.len()
    }

    /// Whether no record was added.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sizes every column for a full segment up front: growing them by doubling would copy
    /// each column about twice over. A segment sealed early gives the excess back.
    fn reserve(&mut self) {
        let n = SEGMENT_RECORDS;
        let s = &mut self.seg;
        // Times and positions cluster around the segment's first; counts are small.
        s.start = U64Column::new(Base::AroundFirst);
        s.end = U64Column::new(Base::AroundFirst);
        s.position = U64Column::new(Base::AroundFirst);
        s.src.reserve_exact(n);
        s.dst.reserve_exact(n);
        s.srcport.reserve_exact(n);
        s.dstport.reserve_exact(n);
        s.proto.reserve_exact(n);
        s.state.reserve_exact(n);
        s.version.reserve_exact(n);
        s.eni.reserve_exact(n);
        s.account.reserve_exact(n);
        s.packets.reserve_exact(n);
        s.bytes.reserve_exact(n);
        s.start.reserve_exact(n);
        s.end.reserve_exact(n);
        s.presence.reserve_exact(n);
        s.position.reserve_exact(n);
    }

    fn addr(&mut self, a: Option<IpAddr>, present: u16, v6: u16, presence: &mut u16) -> u32 {
        match a {
            None => 0,
            Some(IpAddr::V4(v4)) => {
                *presence |= present;
                v4.to_bits()
            }
            Some(IpAddr::V6(v6addr)) => {
                *presence |= present | v6;
                self.seg.v6.id(v6addr)
            }
        }
    }

    /// Appends one record: its core fields from `flow`, fields beyond them from `record`
    /// (when the line went through the general parser).
    pub fn push(&mut self, flow: &Flow<'_>, record: Option<&Record<'_>>, pos: Position) {
        if self.seg.src.capacity() == 0 {
            self.reserve();
        }
        let mut p = 0u16;
        let src = self.addr(flow.src, P_SRC, V6_SRC, &mut p);
        let dst = self.addr(flow.dst, P_DST, V6_DST, &mut p);
        let s = &mut self.seg;
        s.src.push(src);
        s.dst.push(dst);
        let mut opt = |v: Option<u64>, bit: u16| {
            if v.is_some() {
                p |= bit;
            }
            v.unwrap_or(0)
        };
        s.srcport
            .push(opt(flow.srcport.map(u64::from), P_SRCPORT) as u16);
        s.dstport
            .push(opt(flow.dstport.map(u64::from), P_DSTPORT) as u16);
        s.proto
            .push(opt(flow.protocol.map(u64::from), P_PROTO) as u8);
        s.version
            .push(opt(flow.version.map(u64::from), P_VERSION) as u8);
        s.packets.push(opt(flow.packets, P_PACKETS));
        s.bytes.push(opt(flow.bytes, P_BYTES));
        s.start.push(opt(flow.start, P_START));
        let end = opt(flow.end, P_END);
        s.end.push(end);
        // A format without log-status already reads as OK in the flow.
        s.state
            .push(action_code(flow.action) | (status_code(flow.status) << 2));
        s.eni.push(match flow.interface {
            Some(e) => {
                p |= P_ENI;
                s.enis.id(e) as u16
            }
            None => 0,
        });
        s.account.push(match flow.account {
            Some(a) => {
                p |= P_ACCOUNT;
                s.accounts.id(a) as u16
            }
            None => 0,
        });
        s.presence.push(p);
        s.position.push(pos.pack());
        if flow.end.is_some() {
            s.ends = Some(
                s.ends
                    .map_or((end, end), |(lo, hi)| (lo.min(end), hi.max(end))),
            );
        }
        let row = s.src.len() - 1;
        if let Some(rec) = record {
            push_side(s, rec, row);
        }
        for side in &mut s.side {
            side.pad_to(row + 1);
        }
    }

    /// Seals the segment: no record is added after this.
    pub fn seal(self) -> Segment {
        let mut seg = self.seg;
        let n = seg.src.len();
        for side in &mut seg.side {
            side.seal(n);
        }
        seg.enis.seal();
        seg.accounts.seal();
        seg.src.shrink_to_fit();
        seg.dst.shrink_to_fit();
        seg.srcport.shrink_to_fit();
        seg.dstport.shrink_to_fit();
        seg.proto.shrink_to_fit();
        seg.state.shrink_to_fit();
        seg.version.shrink_to_fit();
        seg.eni.shrink_to_fit();
        seg.account.shrink_to_fit();
        seg.packets.shrink_to_fit();
        seg.bytes.shrink_to_fit();
        seg.start.shrink_to_fit();
        seg.end.shrink_to_fit();
        seg.presence.shrink_to_fit();
        seg.position.shrink_to_fit();
        seg.v6.seal();
        seg
    }
}

/// Appends the record's fields beyond the core to their side columns (made on first sight).
fn push_side(s: &mut Segment, rec: &Record<'_>, row: usize) {
    // Fields come in the format's order, and so do the side columns made from them: the
    // column after the last one found is the first guess.
    let mut next = 0;
    for (column, value) in rec.schema().columns().iter().zip(rec.values()) {
        let Column::Known(field) = column else {
            continue;
        };
        if in_core(*field) || *value == Value::Absent {
            continue;
        }
        let i = match s.side.get(next) {
            Some(c) if c.field == *field => next,
            _ => match s.side.iter().position(|c| c.field == *field) {
                Some(i) => i,
                None => {
                    s.side.push(Side::new(*field));
                    s.side.len() - 1
                }
            },
        };
        next = i + 1;
        let side = &mut s.side[i];
        side.pad_to(row);
        side.push(rec, value);
    }
}

/// Fields the core columns hold; everything else in a format is a side column.
fn in_core(f: Field) -> bool {
    use Field as F;
    matches!(
        f,
        F::Version
            | F::AccountId
            | F::InterfaceId
            | F::SrcAddr
            | F::DstAddr
            | F::SrcPort
            | F::DstPort
            | F::Protocol
            | F::Packets
            | F::Bytes
            | F::Start
            | F::End
            | F::Action
            | F::LogStatus
    )
}

impl Segment {
    /// Records in the segment.
    pub fn len(&self) -> usize {
        self.src.len()
    }

    /// Whether it holds no record.
    pub fn is_empty(&self) -> bool {
        self.src.is_empty()
    }

    /// Least and greatest `end` of its records (`None` if none has one).
    pub fn end_range(&self) -> Option<(u64, u64)> {
        self.ends
    }

    /// Bytes of memory the segment holds, columns and dictionaries included.
    pub fn memory(&self) -> usize {
        let n = self.len();
        // src dst srcport dstport proto state version eni account presence, then the
        // columns kept in 32 bits while they fit
        let wide = [
            &self.packets,
            &self.bytes,
            &self.start,
            &self.end,
            &self.position,
        ];
        let core = n * (4 + 4 + 2 + 2 + 1 + 1 + 1 + 2 + 2 + 2)
            + n * wide.iter().map(|c| c.width()).sum::<usize>();
        let side: usize = self.side.iter().map(Side::memory).sum();
        core + self.v6.bytes() + self.enis.bytes() + self.accounts.bytes() + side + 256
    }

    /// Appends to `out` the rows that pass every test, reading only the columns involved.
    pub fn candidates(&self, tests: &[ColumnTest], out: &mut Vec<u32>) {
        out.clear();
        'rows: for i in 0..self.len() {
            for t in tests {
                let pass = match *t {
                    ColumnTest::Action(a) => self.state[i] & 3 == action_code(Some(a)),
                    ColumnTest::Status(st) => (self.state[i] >> 2) & 3 == status_code(Some(st)),
                    ColumnTest::DstPort(r) => {
                        self.presence[i] & P_DSTPORT != 0 && r.contains(u64::from(self.dstport[i]))
                    }
                    ColumnTest::SrcPort(r) => {
                        self.presence[i] & P_SRCPORT != 0 && r.contains(u64::from(self.srcport[i]))
                    }
                    ColumnTest::Protocol(p) => {
                        self.presence[i] & P_PROTO != 0 && self.proto[i] == p
                    }
                };
                if !pass {
                    continue 'rows;
                }
            }
            out.push(i as u32);
        }
    }

    /// Row `i` as a record view.
    pub fn row(&self, i: usize) -> Row<'_> {
        Row { seg: self, i }
    }
}

/// One stored record, readable by field (and through [`FieldSource`] by filters).
#[derive(Debug, Clone, Copy)]
pub struct Row<'s> {
    seg: &'s Segment,
    i: usize,
}

impl<'s> Row<'s> {
    fn has(&self, bit: u16) -> bool {
        self.seg.presence[self.i] & bit != 0
    }

    fn addr_col(&self, col: &[u32], present: u16, v6: u16) -> Option<IpAddr> {
        if !self.has(present) {
            return None;
        }
        let v = col[self.i];
        if self.has(v6) {
            self.seg.v6.get(v).map(IpAddr::V6)
        } else {
            Some(IpAddr::V4(v.into()))
        }
    }

    /// Where the record came from.
    pub fn position(&self) -> Position {
        Position::unpack(self.seg.position.get(self.i))
    }

    /// The aggregation fields, as the parser would have given them.
    pub fn flow(&self) -> Flow<'s> {
        let s = self.seg;
        let i = self.i;
        let opt = |bit: u16, v: u64| self.has(bit).then_some(v);
        let state = s.state[i];
        Flow {
            version: opt(P_VERSION, u64::from(s.version[i])).map(|v| v as u8),
            account: self
                .has(P_ACCOUNT)
                .then(|| &*s.accounts.values[s.account[i] as usize]),
            srcport: opt(P_SRCPORT, u64::from(s.srcport[i])).map(|v| v as u16),
            status: match (state >> 2) & 3 {
                1 => Some(LogStatus::Ok),
                2 => Some(LogStatus::NoData),
                3 => Some(LogStatus::SkipData),
                _ => None,
            },
            start: opt(P_START, s.start.get(i)),
            end: opt(P_END, s.end.get(i)),
            bytes: opt(P_BYTES, s.bytes.get(i)),
            packets: opt(P_PACKETS, s.packets.get(i)),
            action: match state & 3 {
                1 => Some(Action::Accept),
                2 => Some(Action::Reject),
                _ => None,
            },
            src: self.addr_col(&s.src, P_SRC, V6_SRC),
            dst: self.addr_col(&s.dst, P_DST, V6_DST),
            dstport: opt(P_DSTPORT, u64::from(s.dstport[i])).map(|v| v as u16),
            protocol: opt(P_PROTO, u64::from(s.proto[i])).map(|v| v as u8),
            interface: self.has(P_ENI).then(|| &*s.enis.values[s.eni[i] as usize]),
        }
    }

    fn side(&self, field: Field) -> Option<SideValue<'s>> {
        let side = self.seg.side.iter().find(|c| c.field == field)?;
        side.get(self.i)
    }
}

impl FieldSource for Row<'_> {
    fn uint(&self, field: Field) -> Option<u64> {
        let (s, i) = (self.seg, self.i);
        let col = |bit: u16, v: u64| self.has(bit).then_some(v);
        match field {
            Field::Version => col(P_VERSION, u64::from(s.version[i])),
            Field::SrcPort => col(P_SRCPORT, u64::from(s.srcport[i])),
            Field::DstPort => col(P_DSTPORT, u64::from(s.dstport[i])),
            Field::Protocol => col(P_PROTO, u64::from(s.proto[i])),
            Field::Packets => col(P_PACKETS, s.packets.get(i)),
            Field::Bytes => col(P_BYTES, s.bytes.get(i)),
            Field::Start => col(P_START, s.start.get(i)),
            Field::End => col(P_END, s.end.get(i)),
            other => match self.side(other)? {
                SideValue::Uint(n) => Some(n),
                _ => None,
            },
        }
    }

    fn addr(&self, field: Field) -> Option<IpAddr> {
        match field {
            Field::SrcAddr => self.addr_col(&self.seg.src, P_SRC, V6_SRC),
            Field::DstAddr => self.addr_col(&self.seg.dst, P_DST, V6_DST),
            other => match self.side(other)? {
                SideValue::Addr(a) => Some(a),
                _ => None,
            },
        }
    }

    fn text(&self, field: Field) -> Option<&[u8]> {
        let (s, i) = (self.seg, self.i);
        match field {
            Field::InterfaceId => self.has(P_ENI).then(|| &*s.enis.values[s.eni[i] as usize]),
            Field::AccountId => self
                .has(P_ACCOUNT)
                .then(|| &*s.accounts.values[s.account[i] as usize]),
            other => match self.side(other)? {
                SideValue::Text(t) => Some(t),
                _ => None,
            },
        }
    }

    fn action(&self) -> Option<Action> {
        match self.seg.state[self.i] & 3 {
            1 => Some(Action::Accept),
            2 => Some(Action::Reject),
            _ => None,
        }
    }

    fn status(&self) -> Option<LogStatus> {
        match (self.seg.state[self.i] >> 2) & 3 {
            1 => Some(LogStatus::Ok),
            2 => Some(LogStatus::NoData),
            3 => Some(LogStatus::SkipData),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::FieldSource;
    use crate::parse::{Line, LineParser};
    use crate::schema::Schema;
    use proptest::strategy::Strategy;
    use std::net::Ipv6Addr;

    /// What a filter reads of one field: as a number, an address and text.
    type Reading = (Option<u64>, Option<IpAddr>, Option<Vec<u8>>);

    /// What a filter reads of `src`, field by field.
    fn readings(src: &dyn FieldSource) -> Vec<Reading> {
        Field::ALL
            .iter()
            .map(|f| (src.uint(*f), src.addr(*f), src.text(*f).map(<[u8]>::to_vec)))
            .collect()
    }

    /// Side fields of every kind: text, numbers, addresses.
    const SIDE: [Field; 6] = [
        Field::VpcId,
        Field::TcpFlags,
        Field::PktSrcAddr,
        Field::PktDstAddr,
        Field::FlowDirection,
        Field::TrafficPath,
    ];

    #[test]
    fn counts_times_and_positions_read_back_exactly_across_the_32_bit_range() {
        // The first rows fit 32-bit columns; later ones force each column wide mid-segment.
        let lines: [&[u8]; 5] = [
            b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 10 4294967295 1700000000 1700000060 ACCEPT OK",
            b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 0 0 0 1 REJECT OK",
            b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 - - - - - NODATA",
            b"2 1 eni-2 10.0.0.1 10.0.0.2 1 2 6 4294967296 18446744073709551615 18446744073709551615 9999999999 ACCEPT OK",
            b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 4 1700000000 1700000060 ACCEPT OK",
        ];
        let positions = [
            (0, 1 << 40),
            (0, 5),
            (3, 0),
            (0, (1 << 40) + 7),
            (0xffff, (1 << 48) - 1),
        ];
        let schema = Schema::default_v2();
        let mut parser = LineParser::new();
        let mut builder = SegmentBuilder::default();
        let mut want = Vec::new();
        for (line, (input, offset)) in lines.iter().zip(positions) {
            let Line::Record(rec) = parser.parse(&schema, line) else {
                panic!("a record: {}", String::from_utf8_lossy(line));
            };
            let flow = Flow::from_record(&rec);
            want.push((
                (flow.packets, flow.bytes, flow.start, flow.end),
                Position { input, offset },
            ));
            builder.push(&flow, None, Position { input, offset });
        }
        let seg = builder.seal();
        for (k, (counts, pos)) in want.iter().enumerate() {
            let f = seg.row(k).flow();
            assert_eq!(&(f.packets, f.bytes, f.start, f.end), counts, "row {k}");
            assert_eq!(seg.row(k).position(), *pos, "row {k}");
        }
    }

    #[test]
    fn a_segment_of_ordinary_records_takes_32_bits_for_counts_and_times() {
        let schema = Schema::default_v2();
        let mut parser = LineParser::new();
        let mut builder = SegmentBuilder::default();
        for k in 0..1000u64 {
            let line = format!(
                "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 {k} {} {} {} ACCEPT OK",
                k * 1500,
                1_700_000_000 + k,
                1_700_000_060 + k
            );
            let Line::Record(rec) = parser.parse(&schema, line.as_bytes()) else {
                panic!("a record");
            };
            let pos = Position {
                input: 0,
                offset: k * 120,
            };
            builder.push(&Flow::from_record(&rec), None, pos);
        }
        let seg = builder.seal();
        let bytes_per_record = seg.memory() as f64 / 1000.0;
        assert!(bytes_per_record < 45.0, "{bytes_per_record}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Every stored row reads, field by field and in every form a filter asks for, as
        /// the parsed record did: text, numbers and addresses of side fields included.
        #[test]
        fn stored_rows_read_as_their_records_did(
            rows in proptest::collection::vec(
                (
                    proptest::sample::select(vec!["vpc-0a", "vpc-0b", "-", "subnet-9"]),
                    proptest::prop_oneof![
                        proptest::num::u64::ANY.prop_map(|n| n.to_string()),
                        (0u64..300).prop_map(|n| n.to_string()),
                        proptest::strategy::Just("-".to_string()),
                    ],
                    proptest::option::of(0u8..=255),
                    proptest::prop_oneof![
                        proptest::num::u32::ANY
                            .prop_map(|a| std::net::Ipv4Addr::from(a).to_string()),
                        proptest::num::u128::ANY.prop_map(|a| Ipv6Addr::from(a).to_string()),
                        proptest::sample::select(vec!["2001:DB8::1", "::ffff:10.0.0.1", "-"])
                            .prop_map(str::to_string),
                    ],
                    0u8..4,
                ),
                1..60,
            ),
        ) {
            use proptest::prop_assert_eq;
            let schema = Schema::from_header_line(
                b"version srcaddr dstaddr vpc-id packets-lost-no-route pkt-srcaddr pkt-dstaddr \
                  tcp-flags traffic-path",
            )
            .expect("a format");
            let mut parser = LineParser::new();
            let mut builder = SegmentBuilder::default();
            let mut want = Vec::new();
            for (k, (vpc, lost, flags, addr, path)) in rows.iter().enumerate() {
                let path = if *path == 0 { "-".to_string() } else { path.to_string() };
                let flags = flags.map_or("-".to_string(), |f| f.to_string());
                let line =
                    format!("5 10.0.0.1 10.0.0.2 {vpc} {lost} {addr} {addr} {flags} {path}");
                let Line::Record(rec) = parser.parse(&schema, line.as_bytes()) else {
                    panic!("a record: {line}");
                };
                want.push(readings(&rec));
                let pos = Position { input: 0, offset: k as u64 };
                builder.push(&Flow::from_record(&rec), Some(&rec), pos);
            }
            let seg = builder.seal();
            for (k, want) in want.iter().enumerate() {
                for (f, (got, want)) in Field::ALL.iter().zip(readings(&seg.row(k)).iter().zip(want)) {
                    prop_assert_eq!(got, want, "row {} {:?}", k, f);
                }
            }
        }
    }

    #[test]
    fn fields_beyond_v2_read_back_as_the_record_has_them() {
        // Side columns of every kind: text, numbers, IPv4 and IPv6 addresses, absent, in two
        // formats whose side fields come in different orders.
        let a = Schema::from_header_line(
            b"version srcaddr dstaddr vpc-id tcp-flags pkt-srcaddr pkt-dstaddr flow-direction traffic-path",
        )
        .expect("a format");
        let b = Schema::from_header_line(b"version traffic-path pkt-dstaddr vpc-id tcp-flags")
            .expect("a format");
        let lines: [(&Schema, &[u8]); 4] = [
            (
                &a,
                b"5 10.0.0.1 10.0.0.2 vpc-0a 19 10.0.0.1 192.168.255.254 ingress 1",
            ),
            (&a, b"5 10.0.0.1 10.0.0.2 vpc-0b 3 2001:db8::1 - egress -"),
            (&b, b"5 8 fe80::abcd:ef01:2345:6789 vpc-0a 0"),
            (&a, b"5 10.0.0.1 10.0.0.2 - - - ::ffff:10.1.2.3 - 3"),
        ];
        let mut builder = SegmentBuilder::default();
        let mut parser = LineParser::new();
        let mut want = Vec::new();
        let mut sources = Vec::new();
        for (k, (schema, line)) in lines.iter().enumerate() {
            let Line::Record(rec) = parser.parse(schema, line) else {
                panic!("line {k} is a record");
            };
            sources.push(readings(&rec));
            // What the record holds, as text.
            want.push(SIDE.map(|f| match rec.get(f) {
                Some(Value::Text(span)) => {
                    Some(String::from_utf8_lossy(rec.span(span)).into_owned())
                }
                Some(Value::Uint(n)) => Some(n.to_string()),
                Some(Value::Addr(a)) => Some(a.to_string()),
                _ => None,
            }));
            let pos = Position {
                input: 0,
                offset: k as u64,
            };
            builder.push(&Flow::from_record(&rec), Some(&rec), pos);
        }
        let seg = builder.seal();
        for (k, want) in want.iter().enumerate() {
            let row = seg.row(k);
            let got = SIDE.map(|f| {
                row.side(f).map(|v| match v {
                    SideValue::Text(t) => String::from_utf8_lossy(t).into_owned(),
                    SideValue::Uint(n) => n.to_string(),
                    SideValue::Addr(a) => a.to_string(),
                })
            });
            assert_eq!(&got, want, "row {k}");
            // A filter reads the stored row as it read the record.
            for (f, (got, want)) in Field::ALL
                .iter()
                .zip(readings(&row).iter().zip(&sources[k]))
            {
                assert_eq!(got, want, "row {k} {f:?}");
            }
        }
        assert_eq!(seg.row(2).uint(Field::TcpFlags), Some(0));
        assert_eq!(
            seg.row(1).addr(Field::PktSrcAddr),
            Some("2001:db8::1".parse().expect("an address"))
        );
    }
}
