//! Athena (Trino) SQL for a view, over a flow-log table shaped as AWS documents it: one
//! column per field, named with `_` (`account_id`), text fields as `string` holding `-` when
//! absent, numbers as `int`/`bigint` (NULL when absent), partitioned by delivery day.
//!
//! The query computes exactly vpctop's top list: OK records only, `-` read as absent (a test
//! on an absent field is false, so `not` of it is true), sums of absent numbers as 0, ties
//! broken by the key's text. Partition columns narrow the scan to the window's days.

use std::fmt::Write as _;

use super::{QueryError, View, column_name, fields_read, group_fields, metric_field};
use crate::core::Dimension;
use crate::filter::{Condition, Operand, TextMatch};
use crate::schema::{Field, FieldKind, Schema};

/// How the table is partitioned, so a time window reads only its days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Partitions {
    /// `day` string `yyyy/MM/dd` (the table `vpctop athena-ddl` makes for the default
    /// delivery layout, and AWS's partition-projection example).
    #[default]
    Day,
    /// `year`, `month`, `day` strings (`vpctop athena-ddl --hive`, the Hive-compatible
    /// layout).
    Hive,
    /// `date` of type `date` (the table of AWS's `CREATE TABLE` example).
    Date,
    /// Not partitioned.
    None,
}

/// The table a query reads.
#[derive(Debug, Clone)]
pub struct Table {
    /// Its name, as written in `FROM` (may be `db.table`).
    pub name: String,
    /// Its partition columns.
    pub partitions: Partitions,
}

/// Seconds past `--to` a record of the window may still be delivered (its `end` is at most
/// an aggregation interval, 10 minutes, after its `start`; objects are named by `end`).
const DELIVERY_SLACK: u64 = 3600;

/// The Athena type of a field's column in AWS's tables.
pub fn column_type(f: Field) -> &'static str {
    match (f, f.kind()) {
        (Field::Protocol, _) => "bigint",
        (_, FieldKind::U8 | FieldKind::U16) => "int",
        (_, FieldKind::U64) => "bigint",
        (_, FieldKind::Text | FieldKind::Addr | FieldKind::Action | FieldKind::LogStatus) => {
            "string"
        }
    }
}

/// Whether the column holds text (where an absent value is written `-`).
fn is_text(f: Field) -> bool {
    column_type(f) == "string"
}

/// A column name quoted for Trino (`"end"` is a reserved word; every name is quoted alike).
pub fn quoted(f: Field) -> String {
    format!("\"{}\"", column_name(f))
}

/// A string literal; one holding a control character or a bidirectional override (an id
/// from a hostile log) spells it as a Unicode escape (`U&'eni-\001B'`), so the query text
/// itself stays printable.
fn literal(text: &str) -> String {
    let quoted = text.replace('\'', "''");
    if !quoted.chars().any(crate::sanitize::is_unsafe) {
        return format!("'{quoted}'");
    }
    let mut out = String::from("U&'");
    for c in quoted.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if crate::sanitize::is_unsafe(c) => out.push_str(&format!("\\{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The query for `view` over `table`, whose columns are the fields of `schema` (see the
/// module documentation).
pub fn query(view: &View<'_>, table: &Table, schema: &Schema) -> Result<String, QueryError> {
    let condition = view.filter.map(|f| f.condition());
    if let Some(what) = condition.as_ref().and_then(|c| c.unsupported()) {
        return Err(QueryError::Unsupported {
            engine: "Athena",
            construct: what.to_string(),
        });
    }
    if let Some(f) = super::missing_field(view, schema) {
        return Err(QueryError::MissingField(f.name()));
    }
    let mut sql = String::new();
    let _ = writeln!(sql, "-- vpctop: {}", super::describe(view));
    // Absent text (`-`) becomes NULL once, so every test below reads NULL as absent.
    sql.push_str("WITH flows AS (\n  SELECT");
    let fields = fields_read(view);
    for (i, f) in fields.iter().enumerate() {
        let sep = if i == 0 { " " } else { ",\n    " };
        let col = quoted(*f);
        if is_text(*f) {
            let _ = write!(sql, "{sep}NULLIF({col}, '-') AS {col}");
        } else {
            let _ = write!(sql, "{sep}{col}");
        }
    }
    let _ = write!(sql, "\n  FROM {}", table.name);
    if let Some(p) = partition_predicate(table.partitions, view.window) {
        let _ = write!(sql, "\n  WHERE {p}");
    }
    sql.push_str("\n)\n");
    let key = match view.group {
        Dimension::Pair => "\"srcaddr\" || ' -> ' || \"dstaddr\"".to_string(),
        g => format!("CAST({} AS varchar)", quoted(group_fields(g)[0])),
    };
    let value = match metric_field(view.metric) {
        Some(f) => format!("COALESCE(SUM({}), 0)", quoted(f)),
        None => "COUNT(*)".to_string(),
    };
    let _ = writeln!(sql, "SELECT {key} AS \"key\", {value} AS \"value\"");
    sql.push_str("FROM flows\nWHERE \"log_status\" = 'OK'");
    for f in group_fields(view.group) {
        let _ = write!(sql, "\n  AND {} IS NOT NULL", quoted(*f));
    }
    if let Some(c) = condition.filter(|c| *c != Condition::All) {
        let _ = write!(sql, "\n  AND ({})", expr(&c));
    }
    let _ = write!(
        sql,
        "\nGROUP BY 1\nORDER BY \"value\" DESC, \"key\"\nLIMIT {}\n",
        view.top
    );
    Ok(sql)
}

/// The partition test that keeps the days of the window (with slack for delivery).
fn partition_predicate(p: Partitions, (from, to): (Option<u64>, Option<u64>)) -> Option<String> {
    if from.is_none() && to.is_none() {
        return None;
    }
    let day = |secs: u64, sep: &str| {
        let (y, m, d) = crate::units::utc_date(secs);
        format!("{y:04}{sep}{m:02}{sep}{d:02}")
    };
    let to = to.map(|t| t.saturating_add(DELIVERY_SLACK));
    let bounds = |col: &str, fmt: &str, lit: &dyn Fn(String) -> String| -> String {
        match (from, to) {
            (Some(a), Some(b)) => format!(
                "{col} BETWEEN {} AND {}",
                lit(day(a, fmt)),
                lit(day(b, fmt))
            ),
            (Some(a), None) => format!("{col} >= {}", lit(day(a, fmt))),
            (None, Some(b)) => format!("{col} <= {}", lit(day(b, fmt))),
            (None, None) => String::new(),
        }
    };
    match p {
        Partitions::None => None,
        Partitions::Day => Some(bounds("\"day\"", "/", &|d| literal(&d))),
        Partitions::Date => Some(bounds("\"date\"", "-", &|d| format!("DATE '{d}'"))),
        Partitions::Hive => Some(bounds(
            "concat(\"year\", '/', \"month\", '/', \"day\")",
            "/",
            &|d| literal(&d),
        )),
    }
}

/// A condition as a SQL boolean. NULL (an absent field) counts as false: `and`/`or` keep it
/// so, and `not` first turns it into false.
fn expr(c: &Condition) -> String {
    match c {
        Condition::All => "TRUE".into(),
        Condition::And(items) => super::join_with(items, " AND ", "TRUE", expr),
        Condition::Or(items) => super::join_with(items, " OR ", "TRUE", expr),
        Condition::Not(inner) => format!("NOT COALESCE({}, FALSE)", expr(inner)),
        Condition::InCidr(f, cidr) => match cidr.single() {
            Some(a) => format!(
                "TRY_CAST({} AS IPADDRESS) = IPADDRESS {}",
                quoted(*f),
                literal(&a.to_string())
            ),
            None => format!(
                "contains({}, TRY_CAST({} AS IPADDRESS))",
                literal(&cidr.to_string()),
                quoted(*f)
            ),
        },
        Condition::AddrIn(f, addrs) => {
            let list: Vec<String> = addrs
                .iter()
                .map(|a| format!("IPADDRESS {}", literal(&a.to_string())))
                .collect();
            format!(
                "TRY_CAST({} AS IPADDRESS) IN ({})",
                quoted(*f),
                list.join(", ")
            )
        }
        Condition::Compare(o, op, v) => format!("{} {} {v}", operand(*o), op.as_str()),
        Condition::Between(o, r) if r.lo == r.hi => format!("{} = {}", operand(*o), r.lo),
        Condition::Between(o, r) => format!("{} BETWEEN {} AND {}", operand(*o), r.lo, r.hi),
        Condition::Action(a) => format!("\"action\" = {}", literal(super::action_text(*a))),
        Condition::Status(s) => format!("\"log_status\" = {}", literal(super::status_text(*s))),
        Condition::Text(f, TextMatch::Exact(t)) => format!("{} = {}", quoted(*f), literal(t)),
        Condition::Text(f, TextMatch::Wildcard(parts)) => {
            let pattern: Vec<String> = parts.iter().map(|p| like_escape(p)).collect();
            format!(
                "{} LIKE {} ESCAPE '\\'",
                quoted(*f),
                literal(&pattern.join("%"))
            )
        }
        Condition::FlagBits(bits) => {
            format!("bitwise_and(\"tcp_flags\", {bits}) = {bits}")
        }
        // Refused before any text is written (see `query`).
        Condition::Unsupported(_) => "FALSE".into(),
    }
}

fn operand(o: Operand) -> String {
    match o {
        Operand::Field(f) => quoted(f),
        Operand::Duration => "greatest(\"end\" - \"start\", 0)".into(),
    }
}

/// `text` with LIKE's own characters (`%`, `_`, and the escape `\`) escaped.
fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
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

    fn view<'a>(filter: Option<&'a Filter>, group: Dimension) -> View<'a> {
        View {
            filter,
            group,
            metric: Metric::Bytes,
            top: 10,
            window: (None, None),
        }
    }

    fn table() -> Table {
        Table {
            name: "vpc_flow_logs".into(),
            partitions: Partitions::Day,
        }
    }

    fn sql(filter: &str, group: Dimension) -> String {
        let f = Filter::parse(filter).unwrap();
        let v5 = Schema::parse_format(
            "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets \
             bytes start end action log-status tcp-flags",
        )
        .unwrap();
        query(&view(Some(&f), group), &table(), &v5).unwrap()
    }

    #[test]
    fn a_view_becomes_one_grouped_ranked_query() {
        let q = sql("action=REJECT dstport=22", Dimension::Src);
        assert_eq!(
            q,
            "-- vpctop: top 10 sources by bytes, filter: action=REJECT dstport=22\n\
             WITH flows AS (\n  SELECT NULLIF(\"log_status\", '-') AS \"log_status\",\n    \
             NULLIF(\"srcaddr\", '-') AS \"srcaddr\",\n    \"bytes\",\n    \
             NULLIF(\"action\", '-') AS \"action\",\n    \"dstport\"\n  FROM vpc_flow_logs\n)\n\
             SELECT CAST(\"srcaddr\" AS varchar) AS \"key\", COALESCE(SUM(\"bytes\"), 0) AS \"value\"\n\
             FROM flows\nWHERE \"log_status\" = 'OK'\n  AND \"srcaddr\" IS NOT NULL\n  \
             AND ((\"action\" = 'REJECT') AND (\"dstport\" = 22))\n\
             GROUP BY 1\nORDER BY \"value\" DESC, \"key\"\nLIMIT 10\n"
        );
    }

    #[test]
    fn every_construct_translates() {
        let q = sql(
            "host=10.0.0.0/8 port=1000-2000 proto=udp bytes>10k duration>=1m \
             not interface=eni-0a* dst in (10.0.0.5, 2001:db8::1)",
            Dimension::Pair,
        );
        for want in [
            "(contains('10.0.0.0/8', TRY_CAST(\"srcaddr\" AS IPADDRESS))) OR (contains('10.0.0.0/8', TRY_CAST(\"dstaddr\" AS IPADDRESS)))",
            "(\"srcport\" BETWEEN 1000 AND 2000) OR (\"dstport\" BETWEEN 1000 AND 2000)",
            "\"protocol\" = 17",
            "\"bytes\" > 10000",
            "greatest(\"end\" - \"start\", 0) >= 60",
            "NOT COALESCE(\"interface_id\" LIKE 'eni-0a%' ESCAPE '\\', FALSE)",
            "TRY_CAST(\"dstaddr\" AS IPADDRESS) = IPADDRESS '10.0.0.5'",
            "TRY_CAST(\"dstaddr\" AS IPADDRESS) = IPADDRESS '2001:db8::1'",
            "\"srcaddr\" || ' -> ' || \"dstaddr\" AS \"key\"",
        ] {
            assert!(q.contains(want), "{want}\n in\n{q}");
        }
        let q = sql("flags=syn account=1234'5_%", Dimension::Interface);
        assert!(q.contains("bitwise_and(\"tcp_flags\", 2) = 2"), "{q}");
        assert!(q.contains("\"account_id\" = '1234''5_%'"), "{q}");
        // Built from ids read in a log, not typed: the query of a built filter.
        let built = |f: &Filter| {
            query(
                &view(Some(f), Dimension::Src),
                &table(),
                &Schema::default_v2(),
            )
            .unwrap()
        };
        let q = built(&Filter::interface("eni-\u{1b}[2J\\"));
        assert!(
            q.contains("\"interface_id\" = U&'eni-\\001B[2J\\\\'"),
            "{q}"
        );
        assert!(!q.chars().any(|c| c.is_control() && c != '\n'), "{q}");
        // A bidirectional override would reorder the query on screen: escaped the same way.
        let q = built(&Filter::interface("eni-\u{202e}cba"));
        assert!(q.contains("\"interface_id\" = U&'eni-\\202Ecba'"), "{q}");
        assert!(!q.contains('\u{202e}'), "{q}");
        let q = sql("account=12*_%", Dimension::Interface);
        assert!(q.contains("LIKE '12%\\_\\%' ESCAPE"), "{q}");
    }

    #[test]
    fn what_athena_cannot_express_is_an_error_naming_it() {
        let f = Filter::parse("scope=internet").unwrap();
        let e = query(
            &view(Some(&f), Dimension::Src),
            &table(),
            &Schema::default_v2(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("scope=internet"), "{e}");
    }

    #[test]
    fn a_window_reads_only_its_days() {
        let mut v = view(None, Dimension::Src);
        v.window = (Some(1_700_000_000), Some(1_700_100_000));
        let q = query(&v, &table(), &Schema::default_v2()).unwrap();
        assert!(
            q.contains("WHERE \"day\" BETWEEN '2023/11/14' AND '2023/11/16'"),
            "{q}"
        );
        let hive = Table {
            partitions: Partitions::Hive,
            ..table()
        };
        let q = query(&v, &hive, &Schema::default_v2()).unwrap();
        assert!(
            q.contains("concat(\"year\", '/', \"month\", '/', \"day\") BETWEEN"),
            "{q}"
        );
        let q = query(&view(None, Dimension::Src), &table(), &Schema::default_v2()).unwrap();
        assert!(!q.contains("\"day\""), "{q}");
    }
}
