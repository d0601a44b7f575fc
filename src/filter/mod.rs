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
mod condition;
mod fields;
mod lexer;
mod owner;
mod parser;
mod values;

use std::fmt;
use std::net::IpAddr;

pub use build::Side;
pub use condition::{Condition, Operand, TextMatch};
pub use fields::FieldSource;
pub use lexer::CmpOp;
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
use crate::schema::Field;

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
    /// What the inventory knows of an address (`sg=web`, `subnet=db-b`).
    Owner(owner::OwnerTest),
    /// Where the conversation goes (`scope=internet`).
    Scope(owner::ScopeTest),
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
            Test::Owner(t) => t.eval(r),
            Test::Scope(t) => t.eval(r),
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

impl Node {
    /// Every test of the tree, to be changed in place.
    fn tests_mut(&mut self, f: &mut dyn FnMut(&mut Test)) {
        match self {
            Node::All => {}
            Node::And(items) | Node::Or(items) => items.iter_mut().for_each(|i| i.tests_mut(f)),
            Node::Not(inner) => inner.tests_mut(f),
            Node::Test(t) => f(t),
        }
    }
}

impl Filter {
    /// Parses a filter expression; an empty one matches everything. Fields that need an
    /// inventory (`name`, `sg`, `az`, `service`, most scopes) are an error here: use
    /// [`parse_with`](Self::parse_with).
    pub fn parse(text: &str) -> Result<Filter, FilterError> {
        Filter::parse_with(text, None)
    }

    /// Parses a filter expression whose inventory fields (`name=web-*`, `sg=db`,
    /// `subnet=db-b`, `scope=vpc`, …) are answered by `inventory`; without one, a field that
    /// only the inventory can answer is an error at its column.
    pub fn parse_with(
        text: &str,
        inventory: Option<&std::sync::Arc<crate::inventory::Inventory>>,
    ) -> Result<Filter, FilterError> {
        let mut filter = Filter {
            text: text.trim().to_string(),
            root: parser::parse(text)?,
        };
        match inventory {
            Some(inv) => filter.bind(inv),
            None => {
                let mut missing = None;
                filter.root.tests_mut(&mut |t| {
                    let need = match t {
                        Test::Owner(o) if !o.works_unbound() => Some((o.column, o.owner.word())),
                        Test::Scope(s) if !s.works_unbound() => Some((s.column, "scope")),
                        _ => None,
                    };
                    if missing.is_none() {
                        missing = need;
                    }
                });
                if let Some((column, word)) = missing {
                    return Err(FilterError::new(
                        column,
                        format!(
                            "`{word}` needs the account's inventory (--inventory DIR, and \
                             --ip-ranges FILE for services)"
                        ),
                    ));
                }
            }
        }
        Ok(filter)
    }

    /// Answers the filter's inventory fields from `inventory` (see
    /// [`parse_with`](Self::parse_with)).
    pub fn bind(&mut self, inventory: &std::sync::Arc<crate::inventory::Inventory>) {
        self.root.tests_mut(&mut |t| match t {
            Test::Owner(o) => o.bind(inventory),
            Test::Scope(s) => s.bind(inventory),
            _ => {}
        });
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
                        Test::Owner(o) => {
                            o.fields().into_iter().for_each(&mut add);
                            None
                        }
                        Test::Scope(_) => Some(Target::Either(Field::SrcAddr, Field::DstAddr)),
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

#[cfg(test)]
mod tests;
