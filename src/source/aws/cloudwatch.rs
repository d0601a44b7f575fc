//! `cwl://LOG-GROUP` inputs: a CloudWatch Logs group's events as flow-log lines, one event a
//! line (CloudWatch events carry no header: the format is `--format`'s).
//!
//! History pages through `FilterLogEvents` over the time window, events of every stream (or
//! of the streams named by `--log-stream-prefix`) interleaved by time. Following polls for
//! new events the way `aws logs tail --follow` does, each event id passed on once however
//! often a poll sees it again. Unlike `aws logs tail`, each poll looks back
//! [`LATE_EVENTS_MS`] before the newest event seen: flow-log events arrive minutes after
//! their time (an event's time is its record's start), and one stream's can arrive after
//! another stream's newer ones. The price is that every poll reads that window again.

use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::s3::Window;
use super::{AwsContext, describe};
use crate::source::input::RemoteInput;

/// How far back following starts when no `--since`/`--from` says (as `aws logs tail`).
const FOLLOW_LOOKBACK_MS: i64 = 10 * 60 * 1000;

/// The most log streams one FilterLogEvents call may name.
const MAX_STREAMS: usize = 100;

/// How late (in event time) an event may arrive after a newer one and still be read.
pub const LATE_EVENTS_MS: i64 = 15 * 60 * 1000;

/// A log group to read.
#[derive(Clone)]
pub struct LogGroup {
    /// The group's name, slashes kept (`/vpc/flowlogs`).
    pub group: String,
    /// Only the streams whose names start with this (one ENI's: `eni-0abc`).
    pub stream_prefix: Option<String>,
    window: Window,
    context: Arc<AwsContext>,
}

impl std::fmt::Debug for LogGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl LogGroup {
    /// Reads `cwl://GROUP` (`cwl:///vpc/flowlogs` for a group named `/vpc/flowlogs`); `None`
    /// for anything else.
    pub fn parse(
        text: &str,
        stream_prefix: Option<String>,
        window: Window,
        context: &Arc<AwsContext>,
    ) -> Option<LogGroup> {
        let group = text.strip_prefix("cwl://")?;
        (!group.is_empty() && group != "/").then(|| LogGroup {
            group: group.to_string(),
            stream_prefix,
            window,
            context: Arc::clone(context),
        })
    }

    fn reader<'a>(&self, live: Option<(Duration, &'a AtomicBool)>) -> io::Result<EventReader<'a>> {
        let client = self.context.logs();
        let streams = match &self.stream_prefix {
            None => None,
            Some(prefix) => Some(self.streams(&client, prefix)?),
        };
        let now_ms = now_ms();
        let start = match (self.window.from, live) {
            (Some(from), _) => Some(secs_to_ms(from)),
            (None, Some(_)) => Some(now_ms - FOLLOW_LOOKBACK_MS),
            (None, None) => None,
        };
        Ok(EventReader {
            source: self.clone(),
            client,
            streams,
            start,
            // A record starting at `to` has its event there (an event's time is the record's
            // start); history ends there, or now.
            end: self.window.to.map(secs_to_ms),
            token: None,
            first: true,
            live,
            seen: HashMap::new(),
            newest: start.unwrap_or(0),
            out: Vec::new(),
            at: 0,
        })
    }

    /// The names of the group's streams that start with `prefix`; an error when there are
    /// more than one FilterLogEvents call takes.
    fn streams(
        &self,
        client: &aws_sdk_cloudwatchlogs::Client,
        prefix: &str,
    ) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        let mut token = None;
        loop {
            let mut request = client
                .describe_log_streams()
                .log_group_name(&self.group)
                .log_stream_name_prefix(prefix);
            if let Some(t) = token.take() {
                request = request.next_token(t);
            }
            let page = self
                .context
                .block_on(request.send())
                .map_err(|e| io::Error::other(describe(&e)))?;
            names.extend(
                page.log_streams()
                    .iter()
                    .filter_map(|s| s.log_stream_name().map(str::to_string)),
            );
            match page.next_token() {
                Some(t) if names.len() <= MAX_STREAMS => token = Some(t.to_string()),
                _ => break,
            }
        }
        // One FilterLogEvents call names at most this many streams: reading some of them
        // and dropping the rest unsaid would lose records.
        if names.len() > MAX_STREAMS {
            return Err(io::Error::other(format!(
                "more than {MAX_STREAMS} log streams start with {}: narrow --log-stream-prefix",
                crate::sanitize::escape(prefix.as_bytes())
            )));
        }
        if names.is_empty() {
            return Err(io::Error::other(format!(
                "no log stream starts with {}",
                crate::sanitize::escape(prefix.as_bytes())
            )));
        }
        Ok(names)
    }
}

impl RemoteInput for LogGroup {
    fn name(&self) -> String {
        format!("cwl://{}", self.group)
    }

    fn size(&self) -> Option<u64> {
        None
    }

    fn open(&self) -> io::Result<Box<dyn Read + Send>> {
        Ok(Box::new(self.reader(None)?))
    }

    fn grows(&self) -> bool {
        true
    }

    fn follow<'a>(
        &self,
        poll: Duration,
        cancel: &'a AtomicBool,
    ) -> io::Result<Box<dyn Read + Send + 'a>> {
        Ok(Box::new(self.reader(Some((poll, cancel)))?))
    }
}

/// The group's events as lines, page by page; live, it polls for more until cancelled.
struct EventReader<'a> {
    source: LogGroup,
    client: aws_sdk_cloudwatchlogs::Client,
    streams: Option<Vec<String>>,
    start: Option<i64>,
    end: Option<i64>,
    token: Option<String>,
    first: bool,
    live: Option<(Duration, &'a AtomicBool)>,
    /// Event ids passed on, with their times, within [`LATE_EVENTS_MS`] of `newest` (a
    /// poll reads those again).
    seen: HashMap<String, i64>,
    newest: i64,
    out: Vec<u8>,
    at: usize,
}

impl EventReader<'_> {
    /// Fetches the next page into `out`; false when history is over (never, live, until
    /// cancelled).
    fn next_page(&mut self) -> io::Result<bool> {
        self.out.clear();
        self.at = 0;
        loop {
            if !self.first && self.token.is_none() {
                let Some((poll, cancel)) = self.live else {
                    return Ok(false);
                };
                // Wait a poll (in short steps, so a stop is noticed), then look again from
                // the newest event seen.
                let mut waited = Duration::ZERO;
                while waited < poll {
                    if cancel.load(Ordering::Relaxed) {
                        return Ok(false);
                    }
                    let step = Duration::from_millis(50).min(poll - waited);
                    std::thread::sleep(step);
                    waited += step;
                }
                let floor = self.start.unwrap_or(0);
                self.start = Some((self.newest - LATE_EVENTS_MS).max(floor));
                // Streams created since (a new interface's) join the poll.
                if let Some(prefix) = &self.source.stream_prefix {
                    self.streams = Some(self.source.streams(&self.client, prefix)?);
                }
            }
            self.first = false;
            // `interleaved` is deprecated because AWS always interleaves now; servers that
            // emulate the API (the tests' moto) still read it.
            #[allow(deprecated)]
            let mut request = self
                .client
                .filter_log_events()
                .log_group_name(&self.source.group)
                .set_log_stream_names(self.streams.clone())
                .set_start_time(self.start)
                .set_end_time(self.end)
                .interleaved(true);
            if let Some(t) = self.token.take() {
                request = request.next_token(t);
            }
            let page = self
                .source
                .context
                .block_on(request.send())
                .map_err(|e| io::Error::other(describe(&e)))?;
            for event in page.events() {
                let time = event.timestamp().unwrap_or(0);
                if self.live.is_some() {
                    let id = event.event_id().unwrap_or_default().to_string();
                    if !id.is_empty() && self.seen.insert(id, time).is_some() {
                        continue;
                    }
                }
                self.newest = self.newest.max(time);
                push_event_line(&mut self.out, event.message().unwrap_or_default());
            }
            // Only ids within the look-back can be seen again.
            let oldest = self.newest - LATE_EVENTS_MS;
            self.seen.retain(|_, t| *t >= oldest);
            self.token = page.next_token().map(str::to_string);
            if !self.out.is_empty() {
                return Ok(true);
            }
        }
    }
}

impl Read for EventReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at >= self.out.len() && !self.next_page()? {
            return Ok(0);
        }
        let n = (&self.out[self.at..]).read(buf)?;
        self.at += n;
        Ok(n)
    }
}

/// Appends one log event's message to `out` as exactly one line: its trailing line ends
/// go, and a line break inside it (which no flow-log record has, but a hostile or broken
/// writer can send) becomes a space, so the event is one line, counted once, and not
/// two halves that each pass for something else.
pub fn push_event_line(out: &mut Vec<u8>, message: &str) {
    let text = message.trim_end_matches(['\n', '\r']).as_bytes();
    let from = out.len();
    out.extend_from_slice(text);
    for b in &mut out[from..] {
        if matches!(*b, b'\n' | b'\r') {
            *b = b' ';
        }
    }
    out.push(b'\n');
}

fn secs_to_ms(secs: u64) -> i64 {
    i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_keep_their_slashes() {
        let context = AwsContext::new(&super::super::AwsSettings {
            region: Some("us-east-1".into()),
            ..Default::default()
        })
        .unwrap();
        let g = LogGroup::parse("cwl:///vpc/flowlogs", None, Window::default(), &context).unwrap();
        assert_eq!(g.group, "/vpc/flowlogs");
        assert_eq!(g.name(), "cwl:///vpc/flowlogs");
        let g = LogGroup::parse("cwl://flows", None, Window::default(), &context).unwrap();
        assert_eq!(g.group, "flows");
        assert!(LogGroup::parse("cwl://", None, Window::default(), &context).is_none());
        assert!(LogGroup::parse("s3://x", None, Window::default(), &context).is_none());
    }

    #[test]
    fn each_event_is_one_line_whatever_its_message_holds() {
        let mut out = Vec::new();
        push_event_line(
            &mut out,
            "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\r\n",
        );
        push_event_line(&mut out, "half\nother half\rend");
        push_event_line(&mut out, "");
        assert_eq!(
            out,
            b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\nhalf other half end\n\n"
        );
    }
}
