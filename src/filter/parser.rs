//! The filter language's parser: tokens → a tree of tests, with positioned errors; which
//! field each name means and what kind of value it takes.

use super::build::Side;
use super::lexer::{self, CmpOp, Tok, Token};
use super::owner::{Owner, OwnerTest, ScopeTest};
use super::values::{self, Cidr, Range};
use super::{FilterError, Node, Pattern, Target, Test};
use crate::inventory::{GroupKind, Scope};
use crate::parse::{Action, LogStatus};
use crate::schema::{Field, FieldKind};

/// Parses a filter expression into its root node; an empty one passes everything.
pub(super) fn parse(text: &str) -> Result<Node, FilterError> {
    let tokens = lexer::lex(text)?;
    let end = text.chars().count() + 1;
    let mut p = Parser {
        tokens: &tokens,
        pos: 0,
        end,
    };
    if tokens.is_empty() {
        return Ok(Node::All);
    }
    let node = p.or()?;
    if let Some(t) = p.peek() {
        return Err(FilterError::new(
            t.column,
            format!("unexpected {}", describe(&t.tok)),
        ));
    }
    Ok(node)
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
        let mut items = Vec::new();
        push_flat(&mut items, self.and()?, false);
        while self.peek().is_some_and(|t| is_keyword(&t.tok, "or")) {
            self.next();
            push_flat(&mut items, self.and()?, false);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Node::Or(items)
        })
    }

    fn and(&mut self) -> Result<Node, FilterError> {
        let mut items = Vec::new();
        push_flat(&mut items, self.unary()?, true);
        loop {
            match self.peek() {
                Some(t) if is_keyword(&t.tok, "and") => {
                    self.next();
                    push_flat(&mut items, self.unary()?, true);
                }
                Some(t) if is_keyword(&t.tok, "or") || t.tok == Tok::Close => break,
                Some(_) => push_flat(&mut items, self.unary()?, true),
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
                    _ => bare(word, t.column, t.quoted),
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
                     packets, start, end, duration, flags, direction, name, sg, az, service, \
                     scope or a flow-log field name)"
                ),
            )
        })
    }

    /// The next token as a value: its text, column and whether it was quoted.
    fn value(&mut self, kind: ValueKind) -> Result<(&'t str, usize, bool), FilterError> {
        match self.peek() {
            Some(Token {
                tok: Tok::Word(w),
                column,
                quoted,
            }) => {
                self.next();
                Ok((w.as_str(), *column, *quoted))
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
        if let Some(field) = OwnerField::lookup(name) {
            if !matches!(op, CmpOp::Eq | CmpOp::Ne) {
                return Err(FilterError::new(
                    op_col,
                    format!("`{}` does not apply to {name} (use = or !=)", op.as_str()),
                ));
            }
            let (text, vcol, quoted) = self.value(ValueKind::Text)?;
            let test = field.test(text, column, vcol, quoted)?;
            return Ok(if op == CmpOp::Ne {
                Node::Not(Box::new(test))
            } else {
                test
            });
        }
        let (target, kind) = Self::field(name, column)?;
        if !matches!(op, CmpOp::Eq | CmpOp::Ne) && !kind.ordered() {
            return Err(FilterError::new(
                op_col,
                format!("`{}` does not apply to {name} (use = or !=)", op.as_str()),
            ));
        }
        let (text, vcol, quoted) = self.value(kind)?;
        let test = typed_test(target, kind, op, text, vcol, quoted)?;
        Ok(if op == CmpOp::Ne {
            Node::Not(Box::new(test))
        } else {
            test
        })
    }

    fn in_list(&mut self, name: &str, column: usize) -> Result<Node, FilterError> {
        let owner = OwnerField::lookup(name);
        let (target, kind) = match owner {
            Some(_) => (Target::One(Field::SrcAddr), ValueKind::Text),
            None => Self::field(name, column)?,
        };
        match self.next() {
            Some(Token { tok: Tok::Open, .. }) => {}
            _ => {
                let col = self.tokens.get(self.pos - 1).map_or(self.end, |t| t.column);
                return Err(FilterError::new(col, "expected `(` after `in`"));
            }
        }
        let mut items = Vec::new();
        loop {
            let (text, vcol, quoted) = self.value(kind)?;
            items.push(match owner {
                Some(field) => field.test(text, column, vcol, quoted)?,
                None => typed_test(target, kind, CmpOp::Eq, text, vcol, quoted)?,
            });
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

/// Adds `node` to the terms of an `and` (`conjunction`) or an `or`, opening it up when it is
/// itself one of the same kind: `(a b) c` is `a b c`, so a filter equals the same filter
/// however it was parenthesised, and as the program builds it ([`Filter::and`](super::Filter::and)).
fn push_flat(items: &mut Vec<Node>, node: Node, conjunction: bool) {
    match node {
        Node::And(inner) if conjunction => items.extend(inner),
        Node::Or(inner) if !conjunction => items.extend(inner),
        other => items.push(other),
    }
}

/// A test of `target` against `text` read as `kind`; a `quoted` text value has no wildcards.
fn typed_test(
    target: Target,
    kind: ValueKind,
    op: CmpOp,
    text: &str,
    column: usize,
    quoted: bool,
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
        ValueKind::Text => Test::Text(one(target).ok_or_else(err)?, pattern(text, quoted)),
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

/// A text value's pattern: as written when it was quoted, else with `*` as a wildcard.
fn pattern(text: &str, quoted: bool) -> Pattern {
    if quoted {
        Pattern::exact(text)
    } else {
        Pattern::new(text)
    }
}

/// A value on its own: the field it fits (see the module documentation).
fn bare(text: &str, column: usize, quoted: bool) -> Result<Node, FilterError> {
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
    } else if let Some(kind) = [
        ("vpc-", GroupKind::Vpc),
        ("subnet-", GroupKind::Subnet),
        ("sg-", GroupKind::SecurityGroup),
    ]
    .iter()
    .find_map(|(prefix, k)| lower.starts_with(prefix).then_some(*k))
    {
        Test::Owner(OwnerTest::new(
            Owner::Group(kind),
            Side::Either,
            text,
            column,
            quoted,
        ))
    } else if let Some(field) = [("eni-", F::InterfaceId), ("i-", F::InstanceId)]
        .iter()
        .find_map(|(prefix, f)| lower.starts_with(prefix).then_some(*f))
    {
        Test::Text(field, pattern(text, quoted))
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

/// An inventory field: `name`, `sg`, `subnet`, `vpc`, `az`, `service` (each also with a
/// `src`/`dst` prefix), or `scope`.
#[derive(Debug, Clone, Copy)]
enum OwnerField {
    Owner(Owner, Side),
    Scope,
}

impl OwnerField {
    /// The inventory field `name` names, or `None` for other fields.
    fn lookup(name: &str) -> Option<OwnerField> {
        let lower = name.to_ascii_lowercase();
        if lower == "scope" {
            return Some(OwnerField::Scope);
        }
        Owner::lookup(&lower).map(|(o, s)| OwnerField::Owner(o, s))
    }

    /// The test of value `text` (at `vcol`, `quoted` or not) for this field (named at
    /// `column`).
    fn test(
        self,
        text: &str,
        column: usize,
        vcol: usize,
        quoted: bool,
    ) -> Result<Node, FilterError> {
        let test = match self {
            OwnerField::Owner(owner, side) => {
                Test::Owner(OwnerTest::new(owner, side, text, column, quoted))
            }
            OwnerField::Scope => {
                let scope = Scope::parse(text).ok_or_else(|| {
                    let all: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
                    FilterError::new(vcol, format!("expected a scope: {}", all.join(", ")))
                })?;
                Test::Scope(ScopeTest::new(scope, column))
            }
        };
        Ok(Node::Test(test))
    }
}
