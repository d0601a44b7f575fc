//! Property tests on the library: random records in random formats parse back to what was
//! written, and mutated lines never panic and are always accounted for.
// Test code: an unwrap that fails is a test that fails, with its line.
#![allow(clippy::unwrap_used)]

use std::net::IpAddr;

use proptest::prelude::*;
use vpctop::parse::{Action, Line, LineParser, LogStatus, Value};
use vpctop::schema::{Field, FieldKind, Schema};

/// What a field's value was, before formatting.
#[derive(Debug, Clone)]
enum Written {
    Absent,
    Uint(u64),
    Addr(IpAddr),
    Text(String),
    Action(Action),
    Status(LogStatus),
}

fn value_for(kind: FieldKind) -> BoxedStrategy<Written> {
    let absent = Just(Written::Absent);
    let present = match kind {
        FieldKind::U8 => (0u64..=255).prop_map(Written::Uint).boxed(),
        FieldKind::U16 => (0u64..=65535).prop_map(Written::Uint).boxed(),
        FieldKind::U64 => any::<u64>().prop_map(Written::Uint).boxed(),
        FieldKind::Addr => prop_oneof![
            any::<[u8; 4]>().prop_map(|o| Written::Addr(IpAddr::from(o))),
            any::<[u8; 16]>().prop_map(|o| Written::Addr(IpAddr::from(o))),
        ]
        .boxed(),
        // Ids, ARNs, Cyrillic: anything without spaces or control characters, never a lone `-`.
        FieldKind::Text => "[a-zA-Z0-9:/._@+=б-]{1,30}"
            .prop_filter("`-` means absent", |s| s != "-")
            .prop_map(Written::Text)
            .boxed(),
        FieldKind::Action => prop_oneof![Just(Action::Accept), Just(Action::Reject)]
            .prop_map(Written::Action)
            .boxed(),
        FieldKind::LogStatus => prop_oneof![
            Just(LogStatus::Ok),
            Just(LogStatus::NoData),
            Just(LogStatus::SkipData)
        ]
        .prop_map(Written::Status)
        .boxed(),
    };
    prop_oneof![1 => absent, 6 => present].boxed()
}

fn render(w: &Written) -> String {
    match w {
        Written::Absent => "-".into(),
        Written::Uint(n) => n.to_string(),
        Written::Addr(a) => a.to_string(),
        Written::Text(t) => t.clone(),
        Written::Action(a) => a.as_str().into(),
        Written::Status(s) => s.as_str().into(),
    }
}

/// A random format (subset of the catalogue, random order) with a value for each field.
fn record() -> impl Strategy<Value = Vec<(Field, Written)>> {
    proptest::sample::subsequence(Field::ALL.to_vec(), 1..Field::ALL.len())
        .prop_shuffle()
        .prop_flat_map(|fields| {
            let values: Vec<_> = fields.iter().map(|f| value_for(f.kind())).collect();
            (Just(fields), values)
        })
        .prop_map(|(fields, values)| fields.into_iter().zip(values).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn records_in_random_formats_parse_back_equal(
        rec in record(),
        spelling in 0..3usize,
        gap in 1..3usize,
    ) {
        let format: Vec<String> = rec
            .iter()
            .map(|(f, _)| match spelling {
                0 => format!("${{{}}}", f.name()),
                1 => f.name().to_string(),
                _ => f.name().replace('-', "_"),
            })
            .collect();
        let schema = Schema::parse_format(&format.join(" ")).unwrap();
        let line = rec.iter().map(|(_, w)| render(w)).collect::<Vec<_>>().join(&" ".repeat(gap));
        let mut parser = LineParser::new();
        let parsed = parser.parse(&schema, line.as_bytes());
        let Line::Record(r) = parsed else {
            return Err(TestCaseError::fail(format!("{line:?} did not parse: {parsed:?}")));
        };
        for (field, written) in &rec {
            let got = r.get(*field).unwrap();
            let same = match (written, got) {
                (Written::Absent, Value::Absent) => true,
                (Written::Uint(a), Value::Uint(b)) => *a == b,
                (Written::Addr(a), Value::Addr(b)) => *a == b,
                (Written::Text(a), Value::Text(span)) => a.as_bytes() == r.span(span),
                (Written::Action(a), Value::Action(b)) => *a == b,
                (Written::Status(a), Value::Status(b)) => *a == b,
                _ => false,
            };
            prop_assert!(same, "{field}: wrote {written:?}, got {got:?}");
        }
    }

    #[test]
    fn mutated_lines_never_panic_and_are_always_one_thing(
        rec in record(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let format: Vec<&str> = rec.iter().map(|(f, _)| f.name()).collect();
        let schema = Schema::parse_format(&format.join(" ")).unwrap();
        let mut line = rec.iter().map(|(_, w)| render(w)).collect::<Vec<_>>().join(" ").into_bytes();
        for (at, byte) in edits {
            let i = at.index(line.len());
            line[i] = byte;
        }
        let mut parser = LineParser::new();
        match parser.parse(&schema, &line) {
            Line::Blank => prop_assert!(line.iter().all(u8::is_ascii_whitespace)),
            Line::Record(r) => prop_assert_eq!(r.values().len(), schema.len()),
            Line::Malformed(m) => prop_assert!(!m.describe(&schema, &line).is_empty()),
        }
    }
}
