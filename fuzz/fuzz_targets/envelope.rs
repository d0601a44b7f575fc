//! Envelopes: a record wrapped as a `{"message": …}` JSON line, behind the timestamp that
//! CloudWatch exports and `aws logs tail` print, or inside a CloudWatch Logs subscription
//! payload reads as the same record as the bare line; nothing else panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpctop::parse::{Line, LineParser, Payload, Value};
use vpctop::schema::Schema;

/// What a parse gives, owned: the record's values, or the kind of line.
#[derive(Debug, PartialEq)]
enum Read {
    Record(Vec<Value>, Vec<Vec<u8>>),
    Malformed,
    Blank,
}

fn read(parser: &mut LineParser, schema: &Schema, line: &[u8]) -> Read {
    match parser.parse(schema, line) {
        Line::Record(r) => {
            // Spans point into the unwrapped text: compare the texts they cover.
            let texts = r
                .values()
                .iter()
                .map(|v| match v {
                    Value::Text(span) => r.span(*span).to_vec(),
                    _ => Vec::new(),
                })
                .collect();
            let values = r
                .values()
                .iter()
                .map(|v| match v {
                    Value::Text(_) => Value::Absent,
                    other => *other,
                })
                .collect();
            Read::Record(values, texts)
        }
        Line::Malformed(_) => Read::Malformed,
        Line::Blank => Read::Blank,
    }
}

fuzz_target!(|data: &[u8]| {
    let schema = Schema::default_v2();
    let mut parser = LineParser::new();
    // Whatever the bytes are, as a line and as a payload: no panic.
    let bare = read(&mut parser, &schema, data);
    if let Some(payload) = Payload::of(data) {
        let _ = payload.is_control();
        for event in &payload.log_events {
            let _ = read(&mut parser, &schema, event.message.as_bytes());
        }
    }
    let Read::Record(..) = bare else { return };
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.contains(['\n', '\r']) || text.starts_with([' ', '{']) {
        return;
    }
    let json = serde_json::to_string(text).expect("a string serialises");
    let wrapped = format!("{{\"message\":{json}}}");
    assert_eq!(
        read(&mut parser, &schema, wrapped.as_bytes()),
        bare,
        "{wrapped}"
    );
    let payload = format!(
        "{{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[{{\"id\":\"1\",\"message\":{json}}}]}}"
    );
    let events = Payload::of(payload.as_bytes()).expect("a payload");
    assert_eq!(events.log_events.len(), 1);
    assert_eq!(
        read(
            &mut parser,
            &schema,
            events.log_events[0].message.as_bytes()
        ),
        bare
    );
    let first = text.split(' ').find(|t| !t.is_empty()).unwrap_or("");
    if first.len() < 19 {
        let tailed = format!("2024-11-23T12:34:56.789Z {text}");
        assert_eq!(
            read(&mut parser, &schema, tailed.as_bytes()),
            bare,
            "{tailed}"
        );
    }
});
