//! The filter language: one grammar for `--filter` and the dashboard's `/` bar.
//!
//! Owns: parsing an expression such as `action=REJECT dstport=22 src=10.0.0.0/8` into a
//! [`Filter`], with errors that name the column and what was expected, and evaluating it
//! against any record-like [`FieldSource`].
//!
//! ```text
//! expr     := or
//! or       := and ("or" and)*
//! and      := unary (["and"] unary)*          juxtaposition means and
//! unary    := "not" unary | "(" expr ")" | test
//! test     := FIELD OP VALUE | FIELD "in" "(" VALUE ("," VALUE)* ")" | VALUE
//! OP       := = | != | < | <= | > | >=
//! ```
//!
//! A bare VALUE matches the field it fits: an address or CIDR → `host`, a port, range or
//! service name (`ssh`, `https`: the names the panes show) → `port`, ACCEPT/REJECT → `action`, OK/NODATA/SKIPDATA → `status`, a protocol name →
//! `proto`, `eni-…` → `interface`, `i-…` → `instance`, `vpc-…` → `vpc`, `subnet-…` → `subnet`.
//! A test on a field the record lacks (or holds `-`) is false; `!=` is `not =`.
//!
//! Never: touches ingest or the store; callers evaluate.

mod build;
mod fields;
mod lexer;
mod values;

use std::fmt;
use std::net::IpAddr;

pub use build::Side;
pub use fields::FieldSource;
pub use lexer::CmpOp;
use lexer::{Tok, Token};
pub use values::{Cidr, Range};

/// A duration in seconds such as `30s`, `5m`, `1h30m` or `90` (the filter language's
/// durations, for flags like `--interval`); `None` when it is not one.
pub fn parse_duration(text: &str) -> Option<u64> {
    values::duration(text)
}

/// A time such as `2023-11-14T22:15:00Z`, `2023-11-14`, `1700000000`, `now`, `-2h` or a time
/// of day (`11:30`, on the day of `day_of`) in Unix seconds (for `--from`/`--to` and the
/// filter's `start` and `end`); `None` when it is not one.
pub fn parse_time(text: &str, now: u64, day_of: u64) -> Option<u64> {
    values::time(text, now, day_of)
}

/// A size such as `512M`, `1G`, `64Ki` or `1.5GiB` in bytes (the filter language's sizes,
/// for flags like `--memory`); `None` when it is not one.
pub fn parse_size(text: &str) -> Option<u64> {
    values::size(text)
}

use crate::parse::{Action, LogStatus};
use crate::schema::{Field, FieldKind};

/// A filter that does not parse: where, and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at column {column}")]
pub struct FilterError {
    /// 1-based column (in characters) of the offending token, or one past the end.
    pub column: usize,
    /// What was expected or found.
    pub message: String,
}

impl FilterError {
    fn new(column: usize, message: impl Into<String>) -> FilterError {
        FilterError {
            column,
            message: message.into(),
        }
    }
}

/// A parsed filter, ready to evaluate. Two filters are equal when they test the same
/// things, however they were spelled (`a b` and `a and b`).
#[derive(Debug, Clone)]
pub struct Filter {
    text: String,
    root: Node,
}

impl PartialEq for Filter {
    fn eq(&self, other: &Filter) -> bool {
        self.root == other.root
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Filter {
    type Err = FilterError;
    fn from_str(s: &str) -> Result<Filter, FilterError> {
        Filter::parse(s)
    }
}

/// A node of the compiled expression.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    All,
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Test(Test),
}

/// Which value(s) of a record a test reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    One(Field),
    /// Either side: `host`, `port`.
    Either(Field, Field),
    /// `end - start`.
    Duration,
}

/// A text pattern: exact, or with `*` wildcards.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern(Vec<String>);

impl Pattern {
    fn new(text: &str) -> Pattern {
        Pattern(text.split('*').map(str::to_string).collect())
    }

    /// Exactly `text`, a `*` in it included.
    fn exact(text: &str) -> Pattern {
        Pattern(vec![text.to_string()])
    }

    fn matches(&self, value: &[u8]) -> bool {
        let parts = &self.0;
        if parts.len() == 1 {
            return value == parts[0].as_bytes();
        }
        let (first, last) = (parts[0].as_bytes(), parts[parts.len() - 1].as_bytes());
        if !value.starts_with(first) || value.len() < first.len() + last.len() {
            return false;
        }
        let mut rest = &value[first.len()..value.len() - last.len()];
        if !value.ends_with(last) {
            return false;
        }
        for part in &parts[1..parts.len() - 1] {
            let p = part.as_bytes();
            match rest.windows(p.len().max(1)).position(|w| w == p) {
                Some(at) if !p.is_empty() => rest = &rest[at + p.len()..],
                _ if p.is_empty() => {}
                _ => return false,
            }
        }
        true
    }
}

/// One comparison.
#[derive(Debug, Clone, PartialEq)]
enum Test {
    Addr(Target, Cidr),
    Port(Target, CmpOp, Range),
    Uint(Target, CmpOp, u64),
    Action(Action),
    Status(LogStatus),
    Text(Field, Pattern),
    FlagBits(u8),
}

fn compare(v: u64, op: CmpOp, want: u64) -> bool {
    match op {
        CmpOp::Eq => v == want,
        CmpOp::Ne => v != want,
        CmpOp::Lt => v < want,
        CmpOp::Le => v <= want,
        CmpOp::Gt => v > want,
        CmpOp::Ge => v >= want,
    }
}

impl Test {
    fn eval(&self, r: &dyn FieldSource) -> bool {
        let uints = |t: Target, pred: &dyn Fn(u64) -> bool| match t {
            Target::One(f) => r.uint(f).is_some_and(pred),
            Target::Either(a, b) => r.uint(a).is_some_and(pred) || r.uint(b).is_some_and(pred),
            Target::Duration => match (r.uint(Field::Start), r.uint(Field::End)) {
                (Some(s), Some(e)) => pred(e.saturating_sub(s)),
                _ => false,
            },
        };
        match self {
            Test::Addr(t, cidr) => match *t {
                Target::One(f) => r.addr(f).is_some_and(|a| cidr.contains(a)),
                Target::Either(a, b) => {
                    r.addr(a).is_some_and(|x| cidr.contains(x))
                        || r.addr(b).is_some_and(|x| cidr.contains(x))
                }
                Target::Duration => false,
            },
            Test::Port(t, op, range) => match op {
                CmpOp::Eq => uints(*t, &|v| range.contains(v)),
                op => uints(*t, &|v| compare(v, *op, range.lo)),
            },
            Test::Uint(t, op, want) => uints(*t, &|v| compare(v, *op, *want)),
            Test::Action(a) => r.action() == Some(*a),
            Test::Status(s) => r.status() == Some(*s),
            Test::Text(f, p) => r.text(*f).is_some_and(|v| p.matches(v)),
            Test::FlagBits(bits) => r
                .uint(Field::TcpFlags)
                .is_some_and(|v| v as u8 & bits == *bits),
        }
    }
}

impl Node {
    fn eval(&self, r: &dyn FieldSource) -> bool {
        match self {
            Node::All => true,
            Node::And(v) => v.iter().all(|n| n.eval(r)),
            Node::Or(v) => v.iter().any(|n| n.eval(r)),
            Node::Not(n) => !n.eval(r),
            Node::Test(t) => t.eval(r),
        }
    }
}

impl Filter {
    /// Parses a filter expression; an empty one matches everything.
    pub fn parse(text: &str) -> Result<Filter, FilterError> {
        let tokens = lexer::lex(text)?;
        let end = text.chars().count() + 1;
        let mut p = Parser {
            tokens: &tokens,
            pos: 0,
            end,
        };
        let root = if tokens.is_empty() {
            Node::All
        } else {
            let node = p.or()?;
            if let Some(t) = p.peek() {
                return Err(FilterError::new(
                    t.column,
                    format!("unexpected {}", describe(&t.tok)),
                ));
            }
            node
        };
        Ok(Filter {
            text: text.trim().to_string(),
            root,
        })
    }

    /// Whether `record` passes.
    pub fn matches(&self, record: &dyn FieldSource) -> bool {
        self.root.eval(record)
    }

    /// Whether this filter passes everything (it was empty).
    pub fn is_all(&self) -> bool {
        self.root == Node::All
    }

    /// The address this filter is about, when it is exactly one host (`host=10.0.0.5`, a
    /// bare address, `src=…` or `dst=…`): the drill-down then shows the other side of each
    /// conversation.
    pub fn single_host(&self) -> Option<IpAddr> {
        match &self.root {
            Node::Test(Test::Addr(
                Target::Either(Field::SrcAddr, Field::DstAddr)
                | Target::One(Field::SrcAddr | Field::DstAddr),
                cidr,
            )) => cidr.single(),
            _ => None,
        }
    }

    /// Every flow-log field the filter reads, in order of first use, without repeats.
    pub fn fields(&self) -> Vec<Field> {
        fn walk(n: &Node, out: &mut Vec<Field>) {
            let mut add = |f: Field| {
                if !out.contains(&f) {
                    out.push(f);
                }
            };
            match n {
                Node::All => {}
                Node::And(items) | Node::Or(items) => items.iter().for_each(|i| walk(i, out)),
                Node::Not(inner) => walk(inner, out),
                Node::Test(t) => {
                    let target = match t {
                        Test::Addr(t, _) | Test::Port(t, _, _) | Test::Uint(t, _, _) => Some(*t),
                        Test::Action(_) => Some(Target::One(Field::Action)),
                        Test::Status(_) => Some(Target::One(Field::LogStatus)),
                        Test::Text(f, _) => Some(Target::One(*f)),
                        Test::FlagBits(_) => Some(Target::One(Field::TcpFlags)),
                    };
                    match target {
                        Some(Target::One(f)) => add(f),
                        Some(Target::Either(a, b)) => {
                            add(a);
                            add(b);
                        }
                        Some(Target::Duration) => {
                            add(Field::Start);
                            add(Field::End);
                        }
                        None => {}
                    }
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        out
    }

    /// The fields the filter reads that none of the formats in `seen` has: a test on one of
    /// them is false for every record (`tcp-flags=syn` on v2 data matches nothing).
    pub fn fields_missing_from(&self, seen: crate::schema::FieldSet) -> Vec<Field> {
        self.fields()
            .into_iter()
            .filter(|f| !seen.contains(*f))
            .collect()
    }

    /// Simple tests every passing record must meet (the top-level `and` terms a column scan
    /// can check cheaply). A record failing one of them fails the filter; one passing them
    /// all must still be checked with [`matches`](Self::matches).
    pub fn required_column_tests(&self) -> Vec<ColumnTest> {
        let terms: &[Node] = match &self.root {
            Node::And(items) => items,
            other => std::slice::from_ref(other),
        };
        terms
            .iter()
            .filter_map(|n| match n {
                Node::Test(Test::Action(a)) => Some(ColumnTest::Action(*a)),
                Node::Test(Test::Status(s)) => Some(ColumnTest::Status(*s)),
                Node::Test(Test::Port(Target::One(Field::DstPort), CmpOp::Eq, r)) => {
                    Some(ColumnTest::DstPort(*r))
                }
                Node::Test(Test::Port(Target::One(Field::SrcPort), CmpOp::Eq, r)) => {
                    Some(ColumnTest::SrcPort(*r))
                }
                Node::Test(Test::Uint(Target::One(Field::Protocol), CmpOp::Eq, v)) => {
                    u8::try_from(*v).ok().map(ColumnTest::Protocol)
                }
                _ => None,
            })
            .collect()
    }
}

/// A test on one stored column (see [`Filter::required_column_tests`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnTest {
    /// `action` equals.
    Action(Action),
    /// `log-status` equals.
    Status(LogStatus),
    /// `dstport` within.
    DstPort(Range),
    /// `srcport` within.
    SrcPort(Range),
    /// `protocol` equals.
    Protocol(u8),
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Open => "`(`".into(),
        Tok::Close => "`)`".into(),
        Tok::Comma => "`,`".into(),
        Tok::Op(o) => format!("`{}`", o.as_str()),
        Tok::Word(w) => format!("`{w}`"),
    }
}

fn is_keyword(tok: &Tok, kw: &str) -> bool {
    matches!(tok, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
}

/// What kind of value a field takes in a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValueKind {
    Addr,
    Port,
    Protocol,
    Action,
    Status,
    Size,
    Count,
    Duration,
    Number,
    Time,
    Flags,
    Text,
}

impl ValueKind {
    fn expected(self) -> &'static str {
        match self {
            ValueKind::Addr => "an IP address or CIDR block",
            ValueKind::Port => "a port, port range or service name (ssh, https, postgres, …)",
            ValueKind::Protocol => "a protocol name or number",
            ValueKind::Action => "ACCEPT or REJECT",
            ValueKind::Status => "OK, NODATA or SKIPDATA",
            ValueKind::Size => "a byte count such as 1500, 10k, 5M or 2Gi",
            ValueKind::Count => "a count such as 100 or 10k",
            ValueKind::Duration => "a duration such as 30s, 5m or 1h",
            ValueKind::Number => "a number",
            ValueKind::Time => {
                "a time such as 1700000000, 2023-11-14T22:15:00Z, 2023-11-14, 22:15 or -2h"
            }
            ValueKind::Flags => "TCP flags as a number or syn, fin, rst, synack",
            ValueKind::Text => "a value",
        }
    }

    fn ordered(self) -> bool {
        matches!(
            self,
            ValueKind::Port
                | ValueKind::Protocol
                | ValueKind::Size
                | ValueKind::Count
                | ValueKind::Duration
                | ValueKind::Number
                | ValueKind::Time
        )
    }
}

/// The short names of the filter language, then every catalogue field by its own name.
fn resolve_field(name: &str) -> Option<(Target, ValueKind)> {
    use Field as F;
    let one = |f: F| Target::One(f);
    Some(match name.to_ascii_lowercase().as_str() {
        "src" => (one(F::SrcAddr), ValueKind::Addr),
        "dst" => (one(F::DstAddr), ValueKind::Addr),
        "host" => (Target::Either(F::SrcAddr, F::DstAddr), ValueKind::Addr),
        "port" => (Target::Either(F::SrcPort, F::DstPort), ValueKind::Port),
        "proto" => (one(F::Protocol), ValueKind::Protocol),
        "status" => (one(F::LogStatus), ValueKind::Status),
        "interface" | "eni" => (one(F::InterfaceId), ValueKind::Text),
        "account" => (one(F::AccountId), ValueKind::Text),
        "vpc" => (one(F::VpcId), ValueKind::Text),
        "subnet" => (one(F::SubnetId), ValueKind::Text),
        "instance" => (one(F::InstanceId), ValueKind::Text),
        "duration" => (Target::Duration, ValueKind::Duration),
        "flags" => (one(F::TcpFlags), ValueKind::Flags),
        "direction" => (one(F::FlowDirection), ValueKind::Text),
        other => {
            let f = Field::lookup(other)?;
            let kind = match (f, f.kind()) {
                (F::SrcPort | F::DstPort, _) => ValueKind::Port,
                (F::Protocol, _) => ValueKind::Protocol,
                (F::Bytes, _) => ValueKind::Size,
                (F::Packets | F::PacketsLostNoRoute | F::PacketsLostBlackhole, _)
                | (F::PacketsLostMtuExceeded | F::PacketsLostTtlExpired, _) => ValueKind::Count,
                (F::TcpFlags, _) => ValueKind::Flags,
                (F::Start | F::End, _) => ValueKind::Time,
                (_, FieldKind::Addr) => ValueKind::Addr,
                (_, FieldKind::Action) => ValueKind::Action,
                (_, FieldKind::LogStatus) => ValueKind::Status,
                (_, FieldKind::Text) => ValueKind::Text,
                (_, FieldKind::U8 | FieldKind::U16 | FieldKind::U64) => ValueKind::Number,
            };
            (Target::One(f), kind)
        }
    })
}

struct Parser<'t> {
    tokens: &'t [Token],
    pos: usize,
    end: usize,
}

impl<'t> Parser<'t> {
    fn peek(&self) -> Option<&'t Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<&'t Token> {
        let t = self.tokens.get(self.pos);
        self.pos += 1;
        t
    }

    fn column(&self) -> usize {
        self.peek().map_or(self.end, |t| t.column)
    }

    fn or(&mut self) -> Result<Node, FilterError> {
        let mut items = vec![self.and()?];
        while self.peek().is_some_and(|t| is_keyword(&t.tok, "or")) {
            self.next();
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Node::Or(items)
        })
    }

    fn and(&mut self) -> Result<Node, FilterError> {
        let mut items = vec![self.unary()?];
        loop {
            match self.peek() {
                Some(t) if is_keyword(&t.tok, "and") => {
                    self.next();
                    items.push(self.unary()?);
                }
                Some(t) if is_keyword(&t.tok, "or") || t.tok == Tok::Close => break,
                Some(_) => items.push(self.unary()?),
                None => break,
            }
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Node::And(items)
        })
    }

    fn unary(&mut self) -> Result<Node, FilterError> {
        let Some(t) = self.peek() else {
            return Err(FilterError::new(
                self.end,
                "expected a test such as dstport=22",
            ));
        };
        if is_keyword(&t.tok, "not") {
            self.next();
            return Ok(Node::Not(Box::new(self.unary()?)));
        }
        match &t.tok {
            Tok::Open => {
                self.next();
                let inner = self.or()?;
                match self.next() {
                    Some(Token {
                        tok: Tok::Close, ..
                    }) => Ok(inner),
                    _ => Err(FilterError::new(
                        self.tokens.get(self.pos - 1).map_or(self.end, |t| t.column),
                        format!("expected `)` to close the `(` at column {}", t.column),
                    )),
                }
            }
            Tok::Word(w) if is_keyword(&t.tok, "and") || is_keyword(&t.tok, "or") => Err(
                FilterError::new(t.column, format!("expected a test before `{w}`")),
            ),
            Tok::Word(word) => {
                self.next();
                match self.peek().map(|n| &n.tok) {
                    Some(Tok::Op(op)) => {
                        let op_col = self.next().map_or(self.end, |t| t.column);
                        self.comparison(word, t.column, *op, op_col)
                    }
                    Some(n) if is_keyword(n, "in") => {
                        self.next();
                        self.in_list(word, t.column)
                    }
                    _ => bare(word, t.column),
                }
            }
            other => Err(FilterError::new(
                t.column,
                match other {
                    Tok::Op(o) => format!("expected a field name before `{}`", o.as_str()),
                    tok => format!("unexpected {}", describe(tok)),
                },
            )),
        }
    }

    fn field(name: &str, column: usize) -> Result<(Target, ValueKind), FilterError> {
        resolve_field(name).ok_or_else(|| {
            FilterError::new(
                column,
                format!(
                    "unknown field `{name}` (expected src, dst, host, srcport, dstport, port, \
                     proto, action, status, interface, account, vpc, subnet, instance, bytes, \
                     packets, start, end, duration, flags, direction or a flow-log field name)"
                ),
            )
        })
    }

    fn value(&mut self, kind: ValueKind) -> Result<(&'t str, usize), FilterError> {
        match self.peek() {
            Some(Token {
                tok: Tok::Word(w),
                column,
            }) => {
                self.next();
                Ok((w.as_str(), *column))
            }
            _ => Err(FilterError::new(
                self.column(),
                format!("expected {}", kind.expected()),
            )),
        }
    }

    fn comparison(
        &mut self,
        name: &str,
        column: usize,
        op: CmpOp,
        op_col: usize,
    ) -> Result<Node, FilterError> {
        let (target, kind) = Self::field(name, column)?;
        if !matches!(op, CmpOp::Eq | CmpOp::Ne) && !kind.ordered() {
            return Err(FilterError::new(
                op_col,
                format!("`{}` does not apply to {name} (use = or !=)", op.as_str()),
            ));
        }
        let (text, vcol) = self.value(kind)?;
        let test = typed_test(target, kind, op, text, vcol)?;
        Ok(if op == CmpOp::Ne {
            Node::Not(Box::new(test))
        } else {
            test
        })
    }

    fn in_list(&mut self, name: &str, column: usize) -> Result<Node, FilterError> {
        let (target, kind) = Self::field(name, column)?;
        match self.next() {
            Some(Token { tok: Tok::Open, .. }) => {}
            _ => {
                let col = self.tokens.get(self.pos - 1).map_or(self.end, |t| t.column);
                return Err(FilterError::new(col, "expected `(` after `in`"));
            }
        }
        let mut items = Vec::new();
        loop {
            let (text, vcol) = self.value(kind)?;
            items.push(typed_test(target, kind, CmpOp::Eq, text, vcol)?);
            match self.next() {
                Some(Token {
                    tok: Tok::Comma, ..
                }) => continue,
                Some(Token {
                    tok: Tok::Close, ..
                }) => break,
                _ => {
                    let col = self.tokens.get(self.pos - 1).map_or(self.end, |t| t.column);
                    return Err(FilterError::new(col, "expected `,` or `)` in the list"));
                }
            }
        }
        Ok(Node::Or(items))
    }
}

/// A test of `target` against `text` read as `kind`.
fn typed_test(
    target: Target,
    kind: ValueKind,
    op: CmpOp,
    text: &str,
    column: usize,
) -> Result<Node, FilterError> {
    let err = || FilterError::new(column, format!("expected {}", kind.expected()));
    let op = if op == CmpOp::Ne { CmpOp::Eq } else { op };
    let one = |t: Target| match t {
        Target::One(f) => Some(f),
        _ => None,
    };
    let test = match kind {
        ValueKind::Addr => Test::Addr(target, Cidr::parse(text).ok_or_else(err)?),
        ValueKind::Port => match values::port_range(text) {
            Some(range) => {
                if op != CmpOp::Eq && range.lo != range.hi {
                    return Err(FilterError::new(column, "a port range needs = or !="));
                }
                Test::Port(target, op, range)
            }
            None => {
                let ranges = crate::names::service_ports(text);
                if ranges.is_empty() {
                    return Err(err());
                }
                if op != CmpOp::Eq {
                    return Err(FilterError::new(column, "a service name needs = or !="));
                }
                return Ok(service_node(target, &ranges));
            }
        },
        ValueKind::Protocol => Test::Uint(
            target,
            op,
            u64::from(values::protocol(text).ok_or_else(err)?),
        ),
        ValueKind::Action => Test::Action(match text.to_ascii_uppercase().as_str() {
            "ACCEPT" => Action::Accept,
            "REJECT" => Action::Reject,
            _ => return Err(err()),
        }),
        ValueKind::Status => Test::Status(match text.to_ascii_uppercase().as_str() {
            "OK" => LogStatus::Ok,
            "NODATA" => LogStatus::NoData,
            "SKIPDATA" => LogStatus::SkipData,
            _ => return Err(err()),
        }),
        ValueKind::Size | ValueKind::Count => {
            Test::Uint(target, op, values::size(text).ok_or_else(err)?)
        }
        ValueKind::Duration => Test::Uint(target, op, values::duration(text).ok_or_else(err)?),
        ValueKind::Number => Test::Uint(target, op, text.parse().map_err(|_| err())?),
        ValueKind::Time => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            Test::Uint(target, op, values::time(text, now, now).ok_or_else(err)?)
        }
        ValueKind::Flags => match text.parse::<u8>() {
            Ok(n) => Test::Uint(target, op, u64::from(n)),
            Err(_) => Test::FlagBits(match text.to_ascii_lowercase().as_str() {
                "fin" => 0x01,
                "syn" => 0x02,
                "rst" => 0x04,
                "synack" | "syn-ack" => 0x12,
                _ => return Err(err()),
            }),
        },
        ValueKind::Text => Test::Text(one(target).ok_or_else(err)?, Pattern::new(text)),
    };
    Ok(Node::Test(test))
}

/// The ports of a service (`ssh`, `ftp` = 20–21) as one test or an `or` of them.
fn service_node(target: Target, ranges: &[(u16, u16)]) -> Node {
    let mut tests: Vec<Node> = ranges
        .iter()
        .map(|&(lo, hi)| {
            let range = Range {
                lo: u64::from(lo),
                hi: u64::from(hi),
            };
            Node::Test(Test::Port(target, CmpOp::Eq, range))
        })
        .collect();
    if tests.len() == 1 {
        tests.remove(0)
    } else {
        Node::Or(tests)
    }
}

/// A value on its own: the field it fits (see the module documentation).
fn bare(text: &str, column: usize) -> Result<Node, FilterError> {
    use Field as F;
    let lower = text.to_ascii_lowercase();
    let test = if let Some(cidr) = Cidr::parse(text) {
        Test::Addr(Target::Either(F::SrcAddr, F::DstAddr), cidr)
    } else if let Some(range) = values::port_range(text) {
        Test::Port(Target::Either(F::SrcPort, F::DstPort), CmpOp::Eq, range)
    } else if let ranges = crate::names::service_ports(text)
        && !ranges.is_empty()
    {
        return Ok(service_node(
            Target::Either(F::SrcPort, F::DstPort),
            &ranges,
        ));
    } else if lower == "accept" || lower == "reject" {
        Test::Action(if lower == "accept" {
            Action::Accept
        } else {
            Action::Reject
        })
    } else if let Some(s) = [LogStatus::Ok, LogStatus::NoData, LogStatus::SkipData]
        .into_iter()
        .find(|s| s.as_str().eq_ignore_ascii_case(text))
    {
        Test::Status(s)
    } else if let Some(p) = values::protocol(text) {
        Test::Uint(Target::One(F::Protocol), CmpOp::Eq, u64::from(p))
    } else if let Some(field) = [
        ("eni-", F::InterfaceId),
        ("i-", F::InstanceId),
        ("vpc-", F::VpcId),
        ("subnet-", F::SubnetId),
    ]
    .iter()
    .find_map(|(prefix, f)| lower.starts_with(prefix).then_some(*f))
    {
        Test::Text(field, Pattern::new(text))
    } else {
        return Err(FilterError::new(
            column,
            format!(
                "`{text}` is not an address, port, service, action, status, protocol or \
                 resource id; write FIELD=VALUE"
            ),
        ));
    };
    Ok(Node::Test(test))
}

#[cfg(test)]
mod tests;
