//! Taking the wrapping off a line (FORMAT.md §9.14): CloudWatch Logs subscription payloads,
//! `{"message": …}` JSON lines, and the timestamp (and log stream) that CloudWatch exports and
//! `aws logs tail` put before a record.

use serde::Deserialize;

use super::tokens::{Tokens, strip_cr};
use crate::schema::Schema;

/// A `{"message": "…"}` wrapper (CloudWatch Logs events, Elastic fixtures).
#[derive(Deserialize)]
pub(super) struct MessageWrapper {
    message: String,
}

/// A CloudWatch Logs subscription payload (what a subscription filter delivers through
/// Kinesis, Firehose or Lambda, decompressed): one line holding many log events.
#[derive(Debug, Deserialize)]
pub struct Payload {
    /// `DATA_MESSAGE`, or `CONTROL_MESSAGE` for CloudWatch's reachability checks.
    #[serde(rename = "messageType", default)]
    pub message_type: String,
    /// The log events; each message is one flow-log record.
    #[serde(rename = "logEvents", default)]
    pub log_events: Vec<PayloadEvent>,
}

/// One event of a [`Payload`].
#[derive(Debug, Deserialize)]
pub struct PayloadEvent {
    /// The record text.
    pub message: String,
}

impl Payload {
    /// Reads `line` as a subscription payload, when it is one (a JSON object with
    /// `logEvents`); anything else is `None` and parses as a line of its own.
    pub fn of(line: &[u8]) -> Option<Payload> {
        let text = strip_cr(line);
        if text.iter().find(|b| **b != b' ') != Some(&b'{')
            || memchr::memmem::find(text, b"\"logEvents\"").is_none()
        {
            return None;
        }
        serde_json::from_slice::<Payload>(text).ok()
    }

    /// Whether CloudWatch sent it only to check the destination (it holds no records).
    pub fn is_control(&self) -> bool {
        self.message_type == "CONTROL_MESSAGE"
    }
}

/// What a line holds once its wrapping is taken off.
pub(super) enum Unwrapped<'a> {
    /// A part of the line itself.
    Plain(&'a [u8]),
    /// The `message` of a JSON-wrapped line.
    Message(Vec<u8>),
}

/// Takes the wrapping off a line (FORMAT.md §9.14): a trailing `\r`; a `{"message": …}` JSON
/// object (CloudWatch Logs events); a leading ISO-8601 timestamp (CloudWatch export objects,
/// `aws logs tail`), followed by the log stream name when `aws logs tail` printed one (the
/// line then has one token more than the format).
pub(super) fn unwrap_line<'a>(line: &'a [u8], schema: &Schema) -> Unwrapped<'a> {
    let text = strip_cr(line);
    if let Some(&b'{') = text.iter().find(|b| **b != b' ')
        && let Ok(w) = serde_json::from_slice::<MessageWrapper>(text)
    {
        return Unwrapped::Message(strip_cr(w.message.as_bytes()).to_vec());
    }
    Unwrapped::Plain(strip_timestamp(text, schema))
}

/// `2024-11-23T12:34:56.789Z` and the like: date, `T`, time, anything after.
pub(super) fn looks_like_timestamp(token: &[u8]) -> bool {
    let digits = |r: std::ops::Range<usize>| token[r].iter().all(u8::is_ascii_digit);
    token.len() >= 19
        && token[4] == b'-'
        && token[7] == b'-'
        && token[10] == b'T'
        && token[13] == b':'
        && token[16] == b':'
        && digits(0..4)
        && digits(5..7)
        && digits(8..10)
        && digits(11..13)
        && digits(14..16)
}

pub(super) fn strip_timestamp<'a>(text: &'a [u8], schema: &Schema) -> &'a [u8] {
    let mut tokens = Tokens::new(text);
    let Some((s, e)) = tokens.next() else {
        return text;
    };
    if !looks_like_timestamp(&text[s..e]) {
        return text;
    }
    let rest_at = |end: usize| {
        let rest = &text[end..];
        &rest[rest.iter().take_while(|b| **b == b' ').count()..]
    };
    let rest = rest_at(e);
    if Tokens::new(rest).count() == schema.len() + 1
        && let Some((_, stream_end)) = Tokens::new(rest).next()
    {
        let after = &rest[stream_end..];
        return &after[after.iter().take_while(|b| **b == b' ').count()..];
    }
    rest
}

/// The text a record is decoded from (see [`unwrap_line`]); used to quote values in
/// malformed reasons.
pub(crate) fn record_text<'a>(line: &'a [u8], schema: &Schema) -> std::borrow::Cow<'a, [u8]> {
    match unwrap_line(line, schema) {
        Unwrapped::Plain(text) => std::borrow::Cow::Borrowed(text),
        Unwrapped::Message(m) => std::borrow::Cow::Owned(m),
    }
}
