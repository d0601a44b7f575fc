//! Whether a run understood its input, in words a person reads on stderr and in the exit code
//! a script reads: a file of prose, a wrong `--format` or a directory of junk must not look
//! like a quiet success.

use crate::core::{Aggregate, LineCounts};
use crate::sanitize::escape;

/// What a run made of the lines that were not blank or headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Understanding {
    /// Records, and at most as many malformed lines as records (or nothing at all).
    Understood,
    /// More than half the candidate lines were malformed, but some were records.
    MostlyMalformed,
    /// Not one line was a record, and some were malformed.
    NothingUnderstood,
}

/// Judges `counts` (see [`Understanding`]).
pub fn judge(counts: &LineCounts) -> Understanding {
    let (records, malformed) = (counts.records, counts.malformed);
    if malformed == 0 {
        Understanding::Understood
    } else if records == 0 {
        Understanding::NothingUnderstood
    } else if malformed > records {
        Understanding::MostlyMalformed
    } else {
        Understanding::Understood
    }
}

/// The warning for stderr when most or all lines were malformed, naming the first one and
/// its reason; `None` when the input was understood. `names` are the inputs' display names.
pub fn warning(agg: &Aggregate, names: &[String]) -> Option<String> {
    let c = &agg.counts;
    let lead = match judge(c) {
        Understanding::Understood => return None,
        Understanding::NothingUnderstood => format!(
            "no line was a flow-log record: {} malformed {}",
            c.malformed,
            plural(c.malformed, "line", "lines")
        ),
        Understanding::MostlyMalformed => format!(
            "{} of {} lines were malformed",
            c.malformed,
            c.malformed + c.records
        ),
    };
    let first = first_malformed(agg, names);
    Some(format!(
        "vpctop: {lead}{first}. Is --format right, and are these VPC flow logs? \
         `vpctop records --include-malformed` lists them."
    ))
}

/// The warning for stderr when a filter matched none of the records read and reads fields
/// that no format met in the input has (`tcp-flags=syn` over v2 data): a test on a field a
/// record does not have is false, so such a filter silently matches nothing. `None`
/// otherwise.
pub fn filter_warning(agg: &Aggregate, filter: Option<&crate::filter::Filter>) -> Option<String> {
    let filter = filter?;
    let c = &agg.counts;
    if c.records == 0 || c.matched > 0 {
        return None;
    }
    let missing = filter.fields_missing_from(agg.fields_seen);
    if missing.is_empty() {
        return None;
    }
    let names: Vec<&str> = missing.iter().map(|f| f.name()).collect();
    Some(format!(
        "vpctop: the filter matched none of {} records: {} {} in no format the input was read \
         in, and a test on a field a record lacks is false. Give --format, or read files whose \
         header names {}.",
        c.records,
        names.join(", "),
        if names.len() == 1 { "is" } else { "are" },
        if names.len() == 1 { "it" } else { "them" },
    ))
}

/// ` (first: FILE:LINE: reason)` for the first malformed line, escaped; empty when there is
/// none. `names` are the inputs' display names.
pub fn first_malformed(agg: &Aggregate, names: &[String]) -> String {
    agg.examples
        .first()
        .map(|e| {
            let name = names.get(e.input as usize).map_or("?", String::as_str);
            format!(
                " (first: {}:{}: {})",
                escape(name.as_bytes()),
                e.line,
                e.reason
            )
        })
        .unwrap_or_default()
}

/// `one` or `many` by `n`.
pub fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(records: u64, malformed: u64) -> LineCounts {
        LineCounts {
            lines: records + malformed,
            records,
            malformed,
            ..LineCounts::default()
        }
    }

    #[test]
    fn judges_by_records_and_malformed_lines() {
        assert_eq!(
            judge(&counts(0, 0)),
            Understanding::Understood,
            "empty input"
        );
        assert_eq!(judge(&counts(10, 0)), Understanding::Understood);
        assert_eq!(judge(&counts(10, 10)), Understanding::Understood);
        assert_eq!(judge(&counts(10, 11)), Understanding::MostlyMalformed);
        assert_eq!(judge(&counts(0, 1)), Understanding::NothingUnderstood);
    }

    #[test]
    fn the_warning_names_the_first_malformed_line_escaped() {
        let mut agg = Aggregate::new();
        agg.counts = counts(0, 12);
        agg.examples.push(crate::core::aggregate::Example {
            input: 0,
            line: 1,
            reason: "expected 14 fields, found 12".into(),
            text: String::new(),
        });
        let w = warning(&agg, &["bad\x1b[2J.log".into()]).unwrap();
        assert!(
            w.contains("no line was a flow-log record: 12 malformed lines"),
            "{w}"
        );
        assert!(
            w.contains("bad\\x1b[2J.log:1: expected 14 fields, found 12"),
            "{w}"
        );
        assert!(!w.contains('\x1b'));
        agg.counts = counts(5, 1);
        assert_eq!(warning(&agg, &[]), None);
    }
}
