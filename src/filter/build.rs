//! Filters built by the program (drill-down keys, time windows, the conjunction of two
//! filters) as nodes, never as text to be parsed. Each gets the text a user would type for
//! it, so it prints the way the parser would have read it.

use std::net::IpAddr;

use super::{Cidr, CmpOp, Filter, Node, Pattern, Range, Target, Test};
use crate::schema::Field;

/// Which address a built address test reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `srcaddr` / `srcport`.
    Src,
    /// `dstaddr` / `dstport`.
    Dst,
    /// Either side (`host`, `port`).
    Either,
}

impl Side {
    fn addr(self) -> (Target, &'static str) {
        match self {
            Side::Src => (Target::One(Field::SrcAddr), "src"),
            Side::Dst => (Target::One(Field::DstAddr), "dst"),
            Side::Either => (Target::Either(Field::SrcAddr, Field::DstAddr), "host"),
        }
    }

    fn port(self) -> (Target, &'static str) {
        match self {
            Side::Src => (Target::One(Field::SrcPort), "srcport"),
            Side::Dst => (Target::One(Field::DstPort), "dstport"),
            Side::Either => (Target::Either(Field::SrcPort, Field::DstPort), "port"),
        }
    }
}

impl Filter {
    fn built(text: String, root: Node) -> Filter {
        Filter { text, root }
    }

    /// Records whose `side` address is `addr` (`src=10.0.0.5`, `host=…`).
    pub fn addr(side: Side, addr: IpAddr) -> Filter {
        let (target, name) = side.addr();
        Filter::built(
            format!("{name}={addr}"),
            Node::Test(Test::Addr(target, Cidr::host(addr))),
        )
    }

    /// Records whose `side` port is `port` (`dstport=22`, `port=443`).
    pub fn port(side: Side, port: u16) -> Filter {
        Filter::port_test(side, CmpOp::Eq, port)
    }

    /// Records whose `side` port is `port` or above (`dstport>=32768`).
    pub fn port_from(side: Side, port: u16) -> Filter {
        Filter::port_test(side, CmpOp::Ge, port)
    }

    fn port_test(side: Side, op: CmpOp, port: u16) -> Filter {
        let (target, name) = side.port();
        let range = Range {
            lo: u64::from(port),
            hi: u64::from(port),
        };
        Filter::built(
            format!("{name}{}{port}", op.as_str()),
            Node::Test(Test::Port(target, op, range)),
        )
    }

    /// Records of IP protocol `number` (`proto=6`).
    pub fn protocol(number: u8) -> Filter {
        Filter::built(
            format!("proto={number}"),
            Node::Test(Test::Uint(
                Target::One(Field::Protocol),
                CmpOp::Eq,
                u64::from(number),
            )),
        )
    }

    /// Records of the network interface `id`, exactly (`interface=eni-…`).
    pub fn interface(id: &str) -> Filter {
        Filter::built(
            format!("interface={}", value_text(id)),
            Node::Test(Test::Text(Field::InterfaceId, Pattern::exact(id))),
        )
    }

    /// Records either end of which is in the group `id` of `kind` by `inventory`, exactly
    /// (`sg=sg-0web`, `az=us-east-1a`): a dashboard row of a grouping, drilled into.
    pub fn group(
        kind: crate::inventory::GroupKind,
        id: &str,
        inventory: &std::sync::Arc<crate::inventory::Inventory>,
    ) -> Filter {
        let owner = super::owner::Owner::Group(kind);
        let mut test = super::owner::OwnerTest::exact(owner, Side::Either, id);
        test.bind(inventory);
        Filter::built(
            format!("{}={}", owner.word(), value_text(id)),
            Node::Test(Test::Owner(test)),
        )
    }

    /// Records of conversations whose scope is `scope` (`scope=cross-vpc`), told by
    /// `inventory` (without one only `internet` and `private` can be told).
    pub fn scope(
        scope: crate::inventory::Scope,
        inventory: Option<&std::sync::Arc<crate::inventory::Inventory>>,
    ) -> Filter {
        let mut test = super::owner::ScopeTest::new(scope, 0);
        if let Some(inv) = inventory {
            test.bind(inv);
        }
        Filter::built(
            format!("scope={}", scope.as_str()),
            Node::Test(Test::Scope(test)),
        )
    }

    /// Records whose window ended at `secs` (Unix seconds) or later (`end>=…`): a time
    /// window reaching to now.
    pub fn ended_since(secs: u64) -> Filter {
        Filter::built(
            format!("end>={secs}"),
            Node::Test(Test::Uint(Target::One(Field::End), CmpOp::Ge, secs)),
        )
    }

    /// Records that started at `secs` (Unix seconds) or before (`start<=…`): a time window's
    /// far end.
    pub fn started_until(secs: u64) -> Filter {
        Filter::built(
            format!("start<={secs}"),
            Node::Test(Test::Uint(Target::One(Field::Start), CmpOp::Le, secs)),
        )
    }

    /// Records passing both filters. A filter that passes everything leaves the other as
    /// it is. The terms are kept flat (`a and b and c`), so a store scan sees every simple
    /// test at the top (see [`Filter::required_column_tests`]).
    pub fn and(&self, other: &Filter) -> Filter {
        match (self.is_all(), other.is_all()) {
            (_, true) => self.clone(),
            (true, false) => other.clone(),
            (false, false) => Filter::built(
                format!("({self}) and ({other})"),
                Node::And(flat(&self.root, &other.root, |n| match n {
                    Node::And(items) => Some(items),
                    _ => None,
                })),
            ),
        }
    }

    /// Records passing either filter.
    pub fn or(&self, other: &Filter) -> Filter {
        Filter::built(
            format!("({self}) or ({other})"),
            Node::Or(flat(&self.root, &other.root, |n| match n {
                Node::Or(items) => Some(items),
                _ => None,
            })),
        )
    }
}

/// `value` as the filter language reads it back exactly: bare when it is one plain word,
/// else quoted (a quoted value has no wildcards, so a `*` from a log stays a `*`). A value
/// holding both kinds of quote or a control character has no such text; it is written
/// escaped, to be read, and the filter it names is still the exact one.
pub(super) fn value_text(value: &str) -> String {
    let plain = |c: char| {
        !(c.is_whitespace()
            || crate::sanitize::is_unsafe(c)
            || matches!(
                c,
                '(' | ')' | ',' | '=' | '!' | '<' | '>' | '*' | '\'' | '"'
            ))
    };
    if !value.is_empty() && value.chars().all(plain) {
        return value.to_string();
    }
    if value.chars().any(crate::sanitize::is_unsafe) {
        return format!("'{}'", crate::sanitize::escape(value.as_bytes()));
    }
    match (value.contains('\''), value.contains('"')) {
        (false, _) => format!("'{value}'"),
        (true, false) => format!("\"{value}\""),
        (true, true) => format!("'{}'", value.replace('\'', "\\'")),
    }
}

/// The terms of `a` and `b` joined, each opened up when `same` says it is already a join of
/// the same kind (`(a and b) and c` is `a and b and c`).
fn flat(a: &Node, b: &Node, same: impl Fn(&Node) -> Option<&Vec<Node>>) -> Vec<Node> {
    let mut terms = Vec::new();
    for root in [a, b] {
        match same(root) {
            Some(items) => terms.extend(items.iter().cloned()),
            None => terms.push(root.clone()),
        }
    }
    terms
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::tests::record;

    /// A built filter is the filter its text parses into, and prints as that text.
    fn same_as_parsed(built: &Filter, text: &str) {
        let parsed = Filter::parse(text).unwrap();
        assert_eq!(built, &parsed, "{text}");
        assert_eq!(built.to_string(), text);
    }

    #[test]
    fn built_tests_are_what_their_text_parses_into() {
        let a: IpAddr = "10.0.0.5".parse().unwrap();
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        same_as_parsed(&Filter::addr(Side::Src, a), "src=10.0.0.5");
        same_as_parsed(&Filter::addr(Side::Dst, v6), "dst=2001:db8::1");
        same_as_parsed(&Filter::addr(Side::Either, a), "host=10.0.0.5");
        same_as_parsed(&Filter::port(Side::Dst, 22), "dstport=22");
        same_as_parsed(&Filter::port(Side::Either, 443), "port=443");
        same_as_parsed(&Filter::port_from(Side::Dst, 32768), "dstport>=32768");
        same_as_parsed(&Filter::protocol(6), "proto=6");
        same_as_parsed(&Filter::interface("eni-0a1b"), "interface=eni-0a1b");
        same_as_parsed(&Filter::ended_since(1_700_000_000), "end>=1700000000");
        same_as_parsed(&Filter::started_until(1_700_000_000), "start<=1700000000");
    }

    #[test]
    fn a_built_conjunction_matches_what_the_parsed_one_matches() {
        let a: IpAddr = "10.0.0.5".parse().unwrap();
        let both = Filter::addr(Side::Src, a).and(&Filter::port(Side::Dst, 22));
        let either = Filter::addr(Side::Src, a).or(&Filter::port(Side::Dst, 22));
        assert_eq!(both.to_string(), "(src=10.0.0.5) and (dstport=22)");
        let parsed_both = Filter::parse("(src=10.0.0.5) and (dstport=22)").unwrap();
        let parsed_either = Filter::parse("(src=10.0.0.5) or (dstport=22)").unwrap();
        for line in [
            "2 1 eni-a 10.0.0.5 10.0.0.9 40000 22 6 1 60 1 2 ACCEPT OK",
            "2 1 eni-a 10.0.0.5 10.0.0.9 40000 80 6 1 60 1 2 ACCEPT OK",
            "2 1 eni-a 10.0.0.6 10.0.0.9 40000 22 6 1 60 1 2 REJECT OK",
            "2 1 eni-a 10.0.0.6 10.0.0.9 40000 80 6 1 60 1 2 REJECT OK",
        ] {
            record(line, |r| {
                assert_eq!(both.matches(r), parsed_both.matches(r), "{line}");
                assert_eq!(either.matches(r), parsed_either.matches(r), "{line}");
            });
        }
    }

    #[test]
    fn a_conjunction_of_conjunctions_keeps_every_simple_test_at_the_top() {
        let a: IpAddr = "10.0.0.5".parse().unwrap();
        let key = Filter::addr(Side::Src, a).and(&Filter::port(Side::Dst, 22));
        let f = key.and(&Filter::protocol(6));
        assert_eq!(f.required_column_tests().len(), 2, "dstport and proto: {f}");
        assert_eq!(f, Filter::parse("src=10.0.0.5 dstport=22 proto=6").unwrap());
    }

    #[test]
    fn and_with_a_filter_that_passes_everything_is_the_other_filter() {
        let all = Filter::parse("").unwrap();
        let port = Filter::port(Side::Dst, 22);
        assert_eq!(port.and(&all), port);
        assert_eq!(all.and(&port), port);
        assert_eq!(port.and(&all).to_string(), "dstport=22");
    }

    #[test]
    fn a_key_from_a_log_prints_as_text_that_parses_back_into_it() {
        for id in [
            "eni-*",
            "eni-a b",
            "eni-(x)",
            "it's",
            "say \"hi\"",
            "a=b,c",
            "",
            "and",
        ] {
            let f = Filter::interface(id);
            assert_eq!(Filter::parse(&f.to_string()).unwrap(), f, "{id:?} as {f}");
        }
        assert_eq!(Filter::interface("eni-*").to_string(), "interface='eni-*'");
        assert_eq!(
            Filter::interface("eni-0a1b").to_string(),
            "interface=eni-0a1b"
        );
        // Quoted, a star is a star; bare, a wildcard.
        let exact = Filter::parse("interface='eni-*'").unwrap();
        let wild = Filter::parse("interface=eni-*").unwrap();
        assert_ne!(exact, wild);
        record(
            "2 1 eni-abc 10.0.0.5 10.0.0.9 1 22 6 1 60 1 2 ACCEPT OK",
            |r| assert!(!exact.matches(r) && wild.matches(r)),
        );
        // No text names a value with a control character: it is shown escaped.
        let f = Filter::interface("eni-\u{1b}[2J");
        assert!(!f.to_string().chars().any(char::is_control), "{f}");
        // Nor one with a bidirectional override, which would show the text reordered; typed,
        // one is refused.
        let f = Filter::interface("eni-\u{202e}cba");
        assert_eq!(f.to_string(), "interface='eni-\\u{202e}cba'");
        assert!(Filter::parse("interface=eni-\u{202e}cba").is_err());
    }

    #[test]
    fn an_interface_key_is_matched_exactly_even_with_a_star_in_it() {
        let f = Filter::interface("eni-*");
        record(
            "2 1 eni-abc 10.0.0.5 10.0.0.9 1 22 6 1 60 1 2 ACCEPT OK",
            |r| assert!(!f.matches(r)),
        );
        record(
            "2 1 eni-* 10.0.0.5 10.0.0.9 1 22 6 1 60 1 2 ACCEPT OK",
            |r| assert!(f.matches(r)),
        );
    }
}
