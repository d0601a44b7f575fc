//! A filter as plain conditions on flow-log fields, for the query writers that hand a view
//! to other engines (Athena SQL, CloudWatch Logs Insights). Either-side fields (`host`,
//! `port`) become an `or` of the two sides, and inventory tests become the addresses and
//! blocks they were bound to, so a writer needs to know nothing of the filter language.
//!
//! What no field can express (an AWS service by its ip-ranges, a scope, an unbound
//! inventory name) is [`Condition::Unsupported`], naming the construct: a writer must
//! refuse it rather than write a query that computes something else.

use std::net::IpAddr;

use super::owner::{Owner, OwnerTest, ScopeTest};
use super::{Cidr, CmpOp, Filter, Node, Pattern, Range, Target, Test};
use crate::inventory::GroupKind;
use crate::parse::{Action, LogStatus};
use crate::schema::Field;

/// A number a condition compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operand {
    /// A numeric field's value.
    Field(Field),
    /// `end - start`, zero when `end` is before `start`.
    Duration,
}

/// A text condition's pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextMatch {
    /// Exactly this text.
    Exact(String),
    /// The parts between `*` wildcards, in order (the first is a prefix, the last a
    /// suffix; empty parts where the pattern starts or ends with `*`).
    Wildcard(Vec<String>),
}

/// One condition of a lowered filter. A condition on a field the record lacks (or holds as
/// `-`) is false, so `not` of it is true.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Every record.
    All,
    /// All of these.
    And(Vec<Condition>),
    /// Any of these.
    Or(Vec<Condition>),
    /// Not this one.
    Not(Box<Condition>),
    /// The address field lies in the block.
    InCidr(Field, Cidr),
    /// The address field is one of these addresses.
    AddrIn(Field, Vec<IpAddr>),
    /// The number compares with the value.
    Compare(Operand, CmpOp, u64),
    /// The number lies in the inclusive range.
    Between(Operand, Range),
    /// `action` is this one.
    Action(Action),
    /// `log-status` is this one.
    Status(LogStatus),
    /// The text field matches.
    Text(Field, TextMatch),
    /// `tcp-flags` has all these bits set.
    FlagBits(u8),
    /// A construct no flow-log field can express, as the user wrote it (`scope=internet`,
    /// `service=S3`).
    Unsupported(String),
}

impl Filter {
    /// The filter as conditions on flow-log fields (see the module documentation).
    pub fn condition(&self) -> Condition {
        lower(&self.root)
    }
}

impl Condition {
    /// The first construct no field can express, if any.
    pub fn unsupported(&self) -> Option<&str> {
        match self {
            Condition::Unsupported(what) => Some(what),
            Condition::And(items) | Condition::Or(items) => {
                items.iter().find_map(Condition::unsupported)
            }
            Condition::Not(inner) => inner.unsupported(),
            _ => None,
        }
    }
}

fn lower(node: &Node) -> Condition {
    match node {
        Node::All => Condition::All,
        Node::And(items) => Condition::And(items.iter().map(lower).collect()),
        Node::Or(items) => Condition::Or(items.iter().map(lower).collect()),
        Node::Not(inner) => Condition::Not(Box::new(lower(inner))),
        Node::Test(t) => lower_test(t),
    }
}

/// One condition per side of an either-side target.
fn per_side(target: Target, each: impl Fn(Operand) -> Condition) -> Condition {
    match target {
        Target::One(f) => each(Operand::Field(f)),
        Target::Either(a, b) => {
            Condition::Or(vec![each(Operand::Field(a)), each(Operand::Field(b))])
        }
        Target::Duration => each(Operand::Duration),
    }
}

fn lower_test(t: &Test) -> Condition {
    match t {
        Test::Addr(target, cidr) => per_side(*target, |o| match o {
            Operand::Field(f) => Condition::InCidr(f, *cidr),
            Operand::Duration => Condition::Unsupported("an address test on duration".into()),
        }),
        Test::Port(target, CmpOp::Eq, range) => {
            per_side(*target, |o| Condition::Between(o, *range))
        }
        Test::Port(target, op, range) => {
            per_side(*target, |o| Condition::Compare(o, *op, range.lo))
        }
        Test::Uint(target, op, v) => per_side(*target, |o| Condition::Compare(o, *op, *v)),
        Test::Action(a) => Condition::Action(*a),
        Test::Status(s) => Condition::Status(*s),
        Test::Text(f, p) => Condition::Text(*f, text_match(p)),
        Test::FlagBits(bits) => Condition::FlagBits(*bits),
        Test::Owner(o) => lower_owner(o),
        Test::Scope(s) => lower_scope(s),
    }
}

fn text_match(p: &Pattern) -> TextMatch {
    match p.0.as_slice() {
        [one] => TextMatch::Exact(one.clone()),
        parts => TextMatch::Wildcard(parts.to_vec()),
    }
}

fn pattern_text(p: &Pattern) -> String {
    p.0.join("*")
}

fn lower_owner(o: &OwnerTest) -> Condition {
    let written = format!("{}={}", o.owner.word(), pattern_text(&o.pattern));
    if o.owner == Owner::Group(GroupKind::Service) {
        return Condition::Unsupported(format!(
            "`{written}` (AWS services are told from ip-ranges.json, which the query cannot read)"
        ));
    }
    let mut any = Vec::new();
    if o.side == super::Side::Either
        && let Some(f) = o.owner.record_field()
    {
        any.push(Condition::Text(f, text_match(&o.pattern)));
    }
    match o.resolved() {
        Some((exact, blocks)) => {
            let sides: &[Field] = match o.side {
                super::Side::Src => &[Field::SrcAddr],
                super::Side::Dst => &[Field::DstAddr],
                super::Side::Either => &[Field::SrcAddr, Field::DstAddr],
            };
            for &f in sides {
                if !exact.is_empty() {
                    any.push(Condition::AddrIn(f, exact.clone()));
                }
                for b in blocks.iter().filter_map(|b| Cidr::parse(&b.to_string())) {
                    any.push(Condition::InCidr(f, b));
                }
            }
        }
        None if any.is_empty() => {
            return Condition::Unsupported(format!("`{written}` (needs the inventory)"));
        }
        None => {}
    }
    match any.len() {
        // Bound, and nothing in the inventory matches: no record passes.
        0 => Condition::Not(Box::new(Condition::All)),
        1 => any.remove(0),
        _ => Condition::Or(any),
    }
}

fn lower_scope(s: &ScopeTest) -> Condition {
    Condition::Unsupported(format!(
        "`scope={}` (a scope is told from both addresses and the inventory)",
        s.scope.as_str()
    ))
}
