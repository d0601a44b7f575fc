//! The bridge to months of history: a vpctop view (filter, time window, grouping, metric,
//! top N) written as the query that computes the same top list in the engines AWS runs at
//! scale: Athena SQL over the S3 objects ([`athena`]), CloudWatch Logs Insights over a log
//! group ([`insights`]), and the Athena table to run it on ([`ddl`]).
//!
//! Owns: the text of those queries and tables. A filter construct an engine cannot express
//! is a [`QueryError`] naming it, never a query that computes something else.
//!
//! Never: reads records, touches the terminal.

pub mod athena;
pub mod ddl;
pub mod insights;

use crate::core::{Dimension, Metric};
use crate::filter::Filter;
use crate::schema::{Field, Schema};

/// What a top list shows: the records it counts, how it groups and ranks them.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    /// The records counted (the time window included, as `end>=` and `start<=` tests);
    /// `None` is every record.
    pub filter: Option<&'a Filter>,
    /// What the list is of.
    pub group: Dimension,
    /// What it is ranked by.
    pub metric: Metric,
    /// How many rows.
    pub top: usize,
    /// The time window in Unix seconds (`--from`, `--to`), for partition pruning.
    pub window: (Option<u64>, Option<u64>),
}

/// Why a view cannot be written as a query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// A filter construct the engine cannot express.
    #[error("{engine} cannot express {construct}")]
    Unsupported {
        /// `Athena` or `CloudWatch Logs Insights`.
        engine: &'static str,
        /// The construct, as the user wrote it.
        construct: String,
    },
    /// The view reads a field the format in effect lacks.
    #[error("the format in effect has no `{0}` (give --format with the fields of your flow log)")]
    MissingField(&'static str),
}

/// The column name of a field in AWS's Athena tables and in parsed Insights fields
/// (`account-id` → `account_id`).
pub fn column_name(f: Field) -> String {
    f.name().replace('-', "_")
}

/// Every field a view reads: the grouping's, the metric's, `log-status` (top lists count OK
/// records) and the filter's.
fn fields_read(view: &View<'_>) -> Vec<Field> {
    let mut out = vec![Field::LogStatus];
    let mut add = |f: Field| {
        if !out.contains(&f) {
            out.push(f);
        }
    };
    group_fields(view.group).iter().copied().for_each(&mut add);
    if let Some(f) = metric_field(view.metric) {
        add(f);
    }
    if let Some(filter) = view.filter {
        filter.fields().into_iter().for_each(add);
    }
    out
}

/// The fields a grouping's key is made of.
fn group_fields(group: Dimension) -> &'static [Field] {
    match group {
        Dimension::Src => &[Field::SrcAddr],
        Dimension::Dst => &[Field::DstAddr],
        Dimension::Pair => &[Field::SrcAddr, Field::DstAddr],
        Dimension::DstPort => &[Field::DstPort],
        Dimension::Interface => &[Field::InterfaceId],
        Dimension::Protocol => &[Field::Protocol],
    }
}

/// The field a metric sums (`None`: it counts records).
fn metric_field(metric: Metric) -> Option<Field> {
    match metric {
        Metric::Bytes => Some(Field::Bytes),
        Metric::Packets => Some(Field::Packets),
        Metric::Flows => None,
    }
}

/// The first field the view reads that `schema` lacks.
fn missing_field(view: &View<'_>, schema: &Schema) -> Option<Field> {
    fields_read(view).into_iter().find(|f| !schema.has(*f))
}

/// `items` written by `write`, each in parentheses, joined by `sep` (`empty` for none).
fn join_with(
    items: &[crate::filter::Condition],
    sep: &str,
    empty: &str,
    write: fn(&crate::filter::Condition) -> String,
) -> String {
    match items {
        [] => empty.to_string(),
        [one] => write(one),
        _ => {
            let parts: Vec<String> = items.iter().map(|c| format!("({})", write(c))).collect();
            parts.join(sep)
        }
    }
}

/// `action` as the logs write it.
fn action_text(a: crate::parse::Action) -> &'static str {
    match a {
        crate::parse::Action::Accept => "ACCEPT",
        crate::parse::Action::Reject => "REJECT",
    }
}

/// `log-status` as the logs write it.
fn status_text(s: crate::parse::LogStatus) -> &'static str {
    match s {
        crate::parse::LogStatus::Ok => "OK",
        crate::parse::LogStatus::NoData => "NODATA",
        crate::parse::LogStatus::SkipData => "SKIPDATA",
    }
}

/// A human description of the view, for the comment heading each query.
pub fn describe(view: &View<'_>) -> String {
    let metric = match view.metric {
        Metric::Bytes => "bytes",
        Metric::Packets => "packets",
        Metric::Flows => "flows",
    };
    let mut out = format!("top {} {}s by {metric}", view.top, view.group.title());
    if let Some(f) = view.filter.filter(|f| !f.is_all()) {
        out.push_str(", filter: ");
        // The heading is a comment line: no control character may end it early.
        out.push_str(&crate::sanitize::escape(f.to_string().as_bytes()));
    }
    out
}
