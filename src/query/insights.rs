//! CloudWatch Logs Insights for a view, over a log group of flow-log events: `parse` splits
//! each message by the format in effect, then `filter`, `stats`, `sort` and `limit` compute
//! vpctop's top list. Absent values are the text `-`, so every test first checks for it (a
//! test on an absent field is false, and `not` of it true, as in vpctop).
//!
//! Insights has no bitwise operators: a `flags` test becomes the list of the values that
//! have those bits. The time window is a filter on `start` and `end`, but the query's time
//! range (the console's picker, `--start-time`/`--end-time`) must also cover it.

use std::fmt::Write as _;

use super::{QueryError, View, column_name, group_fields, metric_field};
use crate::core::Dimension;
use crate::filter::{Condition, Operand, TextMatch};
use crate::schema::{Column, Field, Schema};

/// The query for `view` over events in the format `schema` (see the module documentation).
pub fn query(view: &View<'_>, schema: &Schema) -> Result<String, QueryError> {
    let condition = view.filter.map(|f| f.condition());
    if let Some(what) = condition.as_ref().and_then(|c| c.unsupported()) {
        return Err(QueryError::Unsupported {
            engine: "CloudWatch Logs Insights",
            construct: what.to_string(),
        });
    }
    // Tested on the expression written, not the filter's text: that text prints control
    // characters escaped, and the expression holds them as they are.
    let tested = condition
        .as_ref()
        .filter(|c| **c != Condition::All)
        .map(|c| format!("({})", expr(c)));
    if tested
        .as_ref()
        .is_some_and(|t| t.chars().any(crate::sanitize::is_unsafe))
    {
        return Err(QueryError::Unsupported {
            engine: "CloudWatch Logs Insights",
            construct: "a control character or bidirectional override in a value (Insights \
                        strings have no escape for it)"
                .into(),
        });
    }
    if let Some(f) = super::missing_field(view, schema) {
        return Err(QueryError::MissingField(f.name()));
    }
    let names: Vec<String> = schema
        .columns()
        .iter()
        .map(|c| match c {
            Column::Known(f) => column_name(*f),
            Column::Unknown(name) => name.replace(['-', '$', '{', '}'], "_"),
        })
        .collect();
    let globs = vec!["*"; names.len()].join(" ");
    let mut q = String::new();
    let _ = writeln!(q, "# vpctop: {}", super::describe(view));
    let _ = writeln!(q, "parse @message \"{globs}\" as {}", names.join(", "));
    let mut tests = vec!["log_status = \"OK\"".to_string()];
    for f in group_fields(view.group) {
        tests.push(format!("{} != \"-\"", column_name(*f)));
    }
    tests.extend(tested);
    let _ = writeln!(q, "| filter {}", tests.join(" and "));
    let value = match metric_field(view.metric) {
        Some(f) => format!("sum({})", column_name(f)),
        None => "count(*)".to_string(),
    };
    let by: Vec<String> = group_fields(view.group)
        .iter()
        .map(|f| column_name(*f))
        .collect();
    let _ = writeln!(q, "| stats {value} as value by {}", by.join(", "));
    let tie = match view.group {
        Dimension::Pair => "srcaddr asc, dstaddr asc".to_string(),
        g => format!("{} asc", column_name(group_fields(g)[0])),
    };
    let _ = writeln!(q, "| sort value desc, {tie}");
    let _ = writeln!(q, "| limit {}", view.top);
    Ok(q)
}

/// A string literal.
fn literal(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The field, tested present (not `-`) first.
fn present(f: Field) -> String {
    format!("{} != \"-\"", column_name(f))
}

fn expr(c: &Condition) -> String {
    match c {
        Condition::All => "1 = 1".into(),
        Condition::And(items) => super::join_with(items, " and ", "1 = 1", expr),
        Condition::Or(items) => super::join_with(items, " or ", "1 = 1", expr),
        Condition::Not(inner) => format!("not ({})", expr(inner)),
        Condition::InCidr(f, cidr) => {
            format!(
                "isIpInSubnet({}, {})",
                column_name(*f),
                literal(&cidr.to_string())
            )
        }
        Condition::AddrIn(f, addrs) => {
            let list: Vec<String> = addrs.iter().map(|a| literal(&a.to_string())).collect();
            format!("{} in [{}]", column_name(*f), list.join(", "))
        }
        Condition::Compare(o, op, v) => guarded(*o, &format!("{} {v}", op.as_str())),
        Condition::Between(o, r) if r.lo == r.hi => guarded(*o, &format!("= {}", r.lo)),
        Condition::Between(o, r) => {
            let x = operand(*o);
            let guard = guard_of(*o);
            format!("{guard} and {x} >= {} and {x} <= {}", r.lo, r.hi)
        }
        Condition::Action(a) => format!("action = {}", literal(super::action_text(*a))),
        Condition::Status(s) => format!("log_status = {}", literal(super::status_text(*s))),
        Condition::Text(f, TextMatch::Exact(t)) => {
            format!("{} = {}", column_name(*f), literal(t))
        }
        Condition::Text(f, TextMatch::Wildcard(parts)) => {
            let parts: Vec<String> = parts.iter().map(|p| regex_escape(p)).collect();
            format!("{} like /^{}$/", column_name(*f), parts.join(".*"))
        }
        Condition::FlagBits(bits) => {
            let values: Vec<String> = (0..=255u16)
                .filter(|v| *v as u8 & bits == *bits)
                .map(|v| v.to_string())
                .collect();
            format!(
                "{} and tcp_flags in [{}]",
                present(Field::TcpFlags),
                values.join(", ")
            )
        }
        Condition::Unsupported(_) => "1 = 0".into(),
    }
}

fn operand(o: Operand) -> String {
    match o {
        Operand::Field(f) => column_name(f),
        Operand::Duration => "greatest(end - start, 0)".into(),
    }
}

fn guard_of(o: Operand) -> String {
    match o {
        Operand::Field(f) => present(f),
        Operand::Duration => format!("{} and {}", present(Field::Start), present(Field::End)),
    }
}

fn guarded(o: Operand, test: &str) -> String {
    format!("{} and {} {test}", guard_of(o), operand(o))
}

/// `text` with regular-expression characters and the `/` delimiter escaped.
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$/".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Metric;
    use crate::filter::Filter;

    fn q(filter: &str, group: Dimension, schema: &Schema) -> Result<String, QueryError> {
        let f = Filter::parse(filter).unwrap();
        let view = View {
            filter: Some(&f),
            group,
            metric: Metric::Flows,
            top: 5,
            window: (None, None),
        };
        query(&view, schema)
    }

    #[test]
    fn a_control_character_in_a_value_is_refused_not_written() {
        // Built from an interface id read in a hostile log (typed text may not hold one):
        // the filter's text shows it escaped, but an Insights string could only hold it raw.
        assert!(Filter::parse("interface='eni-\u{1b}[2J'").is_err());
        let alone = Filter::interface("eni-\u{1b}[2J");
        let joined = Filter::parse("action=REJECT")
            .unwrap()
            .and(&Filter::interface("eni-\u{7}"));
        for f in [alone, joined] {
            let view = View {
                filter: Some(&f),
                group: Dimension::Src,
                metric: Metric::Flows,
                top: 5,
                window: (None, None),
            };
            match query(&view, &Schema::default_v2()) {
                Err(QueryError::Unsupported { construct, .. }) => {
                    assert!(construct.contains("control character"), "{construct}")
                }
                other => panic!("{f}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_view_becomes_parse_filter_stats_sort_limit() {
        let got = q(
            "action=REJECT dstport=22",
            Dimension::Src,
            &Schema::default_v2(),
        )
        .unwrap();
        assert_eq!(
            got,
            "# vpctop: top 5 sources by flows, filter: action=REJECT dstport=22\n\
             parse @message \"* * * * * * * * * * * * * *\" as version, account_id, interface_id, \
             srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, \
             log_status\n\
             | filter log_status = \"OK\" and srcaddr != \"-\" and ((action = \"REJECT\") and \
             (dstport != \"-\" and dstport = 22))\n\
             | stats count(*) as value by srcaddr\n\
             | sort value desc, srcaddr asc\n\
             | limit 5\n"
        );
    }

    #[test]
    fn every_construct_translates_and_the_format_must_hold_its_fields() {
        let v5 = Schema::parse_format(
            "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets \
             bytes start end action log-status tcp-flags",
        )
        .unwrap();
        let got = q(
            "not host=10.0.0.0/8 port=1000-2000 duration>1m account=12*.3 flags=synack",
            Dimension::Pair,
            &v5,
        )
        .unwrap();
        for want in [
            "not ((isIpInSubnet(srcaddr, \"10.0.0.0/8\")) or (isIpInSubnet(dstaddr, \"10.0.0.0/8\")))",
            "(srcport != \"-\" and srcport >= 1000 and srcport <= 2000) or",
            "start != \"-\" and end != \"-\" and greatest(end - start, 0) > 60",
            "account_id like /^12.*\\.3$/",
            "tcp_flags in [18, 19, 22, 23,",
            "| stats count(*) as value by srcaddr, dstaddr",
        ] {
            assert!(got.contains(want), "{want}\n in\n{got}");
        }
        let e = q("flags=syn", Dimension::Src, &Schema::default_v2()).unwrap_err();
        assert_eq!(e, QueryError::MissingField("tcp-flags"));
        let e = q("scope=internet", Dimension::Src, &Schema::default_v2()).unwrap_err();
        assert!(
            e.to_string()
                .contains("Insights cannot express `scope=internet`"),
            "{e}"
        );
    }
}
