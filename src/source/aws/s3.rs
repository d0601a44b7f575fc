//! `s3://bucket/prefix` inputs: listing the objects under a prefix, only the date prefixes
//! and objects that can hold a time window, and reading each object as a stream.
//!
//! AWS delivers flow logs under `AWSLogs/{account}/vpcflowlogs/{region}/{yyyy}/{mm}/{dd}/
//! [{hh}/]` with names `{account}_vpcflowlogs_{region}_{flow-log-id}_{YYYYMMDDTHHmmZ}_{hash}
//! .log.gz` (or `.log.parquet`), or with Hive-compatible prefixes (`aws-account-id=…/
//! aws-service=vpcflowlogs/aws-region=…/year=…/month=…/day=…/[hour=…/]`, also spelled
//! `service=vpcflowlogs`). An object named `…_20180620T1620Z_…` holds the records whose `end`
//! lies in 16:20:00–16:24:59 UTC. Listing walks the prefix one level at a time and skips a
//! date level (`2024`, `06`, `month=06`…) whose span cannot overlap the window, and an object
//! whose name time cannot; a key that names no time is read, never skipped.

use std::io::{self, Read};
use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;

use super::{AwsContext, describe};
use crate::source::input::{FileSelector, InputSpec, RemoteInput};

/// A bucket and a key prefix, as in `s3://bucket/prefix/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    /// The bucket.
    pub bucket: String,
    /// The key prefix (may be empty).
    pub prefix: String,
}

impl S3Location {
    /// Reads `s3://bucket[/prefix]`; `None` for anything else.
    pub fn parse(text: &str) -> Option<S3Location> {
        let rest = text.strip_prefix("s3://")?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        (!bucket.is_empty()).then(|| S3Location {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        })
    }
}

impl std::fmt::Display for S3Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

/// A time window in Unix seconds; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    /// Records ending before this are not wanted.
    pub from: Option<u64>,
    /// Records starting after this are not wanted.
    pub to: Option<u64>,
}

/// How long one delivery window lasts (the object's name time starts it).
const DELIVERY_WINDOW: u64 = 300;

/// How long before its `end` a record may start: the longest aggregation interval (10
/// minutes) and a margin for late capture.
const LONGEST_FLOW: u64 = 900;

impl Window {
    /// Whether records whose `end` lies in `[lo, hi)` can be in the window.
    fn overlaps(&self, lo: u64, hi: u64) -> bool {
        self.from.is_none_or(|from| hi > from)
            && self
                .to
                .is_none_or(|to| lo <= to.saturating_add(LONGEST_FLOW))
    }
}

/// The part of a date that the key levels walked so far name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DatePart {
    year: Option<i64>,
    month: Option<u32>,
    day: Option<u32>,
    hour: Option<u32>,
}

impl DatePart {
    /// This part with one more level read from a key segment (`2024`, `06`, `year=2024`,
    /// `hour=16`), or `None` when the segment is no date level.
    pub fn with(self, segment: &str) -> Option<DatePart> {
        let number = |s: &str, len: usize| {
            (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u32>().ok())
                .flatten()
        };
        let mut next = self;
        if let Some((name, value)) = segment.split_once('=') {
            match name {
                "year" => next.year = number(value, 4).map(i64::from),
                "month" => next.month = number(value, 2).filter(|m| (1..=12).contains(m)),
                "day" => next.day = number(value, 2).filter(|d| (1..=31).contains(d)),
                "hour" => next.hour = number(value, 2).filter(|h| *h < 24),
                _ => return None,
            }
            let changed = next != self;
            return changed.then_some(next);
        }
        match (self.year, self.month, self.day, self.hour) {
            (None, ..) => {
                next.year = number(segment, 4)
                    .map(i64::from)
                    .filter(|y| (1970..=2200).contains(y));
            }
            (Some(_), None, ..) => next.month = number(segment, 2).filter(|m| (1..=12).contains(m)),
            (Some(_), Some(_), None, _) => {
                next.day = number(segment, 2).filter(|d| (1..=31).contains(d));
            }
            (Some(_), Some(_), Some(_), None) => {
                next.hour = number(segment, 2).filter(|h| *h < 24);
            }
            _ => return None,
        }
        (next != self).then_some(next)
    }

    /// The span `[lo, hi)` in Unix seconds this part covers, when it names a year at least.
    pub fn span(&self) -> Option<(u64, u64)> {
        let year = self.year?;
        let secs = |y: i64, m: u32, d: u32| {
            let days = crate::units::days_from_civil(y, m, d);
            u64::try_from(days).ok().map(|d| d * 86_400)
        };
        Some(match (self.month, self.day, self.hour) {
            (None, ..) => (secs(year, 1, 1)?, secs(year + 1, 1, 1)?),
            (Some(m), None, _) => {
                let (ny, nm) = if m == 12 {
                    (year + 1, 1)
                } else {
                    (year, m + 1)
                };
                (secs(year, m, 1)?, secs(ny, nm, 1)?)
            }
            (Some(m), Some(d), None) => {
                let lo = secs(year, m, d)?;
                (lo, lo + 86_400)
            }
            (Some(m), Some(d), Some(h)) => {
                let lo = secs(year, m, d)? + u64::from(h) * 3600;
                (lo, lo + 3600)
            }
        })
    }
}

/// The time an object's name gives (`…_20180620T1620Z_…`), in Unix seconds.
pub fn name_time(key: &str) -> Option<u64> {
    let name = key.rsplit('/').next().unwrap_or(key);
    name.split('_').find_map(|part| {
        let b = part.as_bytes();
        if b.len() != 14 || b[8] != b'T' || b[13] != b'Z' {
            return None;
        }
        let digits = |r: std::ops::Range<usize>| -> Option<u32> {
            let s = part.get(r)?;
            s.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| s.parse().ok())
                .flatten()
        };
        let (y, mo, d, h, mi) = (
            digits(0..4)?,
            digits(4..6)?,
            digits(6..8)?,
            digits(9..11)?,
            digits(11..13)?,
        );
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 {
            return None;
        }
        let days = u64::try_from(crate::units::days_from_civil(i64::from(y), mo, d)).ok()?;
        Some(days * 86_400 + u64::from(h) * 3600 + u64::from(mi) * 60)
    })
}

/// Whether listing goes into `sub`, a common prefix the server returned for a listing of
/// `prefix` (whose levels name `date`): the date with `sub`'s level read, or `None` when
/// the date it names cannot hold records of `window`, or the server's answer does not lie
/// under `prefix` at all.
pub fn descend(prefix: &str, date: DatePart, sub: &str, window: Window) -> Option<DatePart> {
    let segment = sub.strip_prefix(prefix)?.trim_end_matches('/');
    let date = date.with(segment).unwrap_or(date);
    date.span()
        .is_none_or(|(lo, hi)| window.overlaps(lo, hi + DELIVERY_WINDOW))
        .then_some(date)
}

/// Whether the object at `key` is one to read: its name is taken by `select` and the time
/// in it (when it has one) can hold records of `window`.
pub fn wanted(key: &str, window: Window, select: &FileSelector) -> bool {
    let name = key.rsplit('/').next().unwrap_or(key);
    !name.is_empty()
        && select.accepts(std::path::Path::new(name))
        && name_time(key).is_none_or(|t| window.overlaps(t, t + DELIVERY_WINDOW))
}

/// One object to read.
#[derive(Clone)]
pub struct S3Object {
    /// Its bucket.
    pub bucket: String,
    /// Its key.
    pub key: String,
    /// Its size in bytes, from the listing.
    pub size: u64,
    context: Arc<AwsContext>,
    client: aws_sdk_s3::Client,
}

impl std::fmt::Debug for S3Object {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

impl RemoteInput for S3Object {
    fn name(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }

    fn size(&self) -> Option<u64> {
        Some(self.size)
    }

    fn open(&self) -> io::Result<Box<dyn Read + Send>> {
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .send();
        let response = self
            .context
            .block_on(request)
            .map_err(|e| io::Error::other(describe(&e)))?;
        Ok(Box::new(ObjectReader {
            context: Arc::clone(&self.context),
            body: response.body,
            chunk: Bytes::new(),
        }))
    }
}

/// An object's body as it arrives: each read waits for the next piece, so no object is ever
/// held whole.
struct ObjectReader {
    context: Arc<AwsContext>,
    body: ByteStream,
    chunk: Bytes,
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            match self.context.block_on(self.body.try_next()) {
                Ok(Some(next)) => self.chunk = next,
                Ok(None) => return Ok(0),
                Err(e) => return Err(io::Error::other(e)),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}

/// An S3 prefix listed again and again while following.
#[derive(Debug)]
pub struct S3Listing {
    context: Arc<AwsContext>,
    location: S3Location,
    window: Window,
    select: FileSelector,
}

impl S3Listing {
    /// The objects under `location` that can hold `window` and that `select` takes.
    pub fn new(
        context: &Arc<AwsContext>,
        location: S3Location,
        window: Window,
        select: FileSelector,
    ) -> S3Listing {
        S3Listing {
            context: Arc::clone(context),
            location,
            window,
            select,
        }
    }
}

impl crate::source::input::RemoteListing for S3Listing {
    fn name(&self) -> String {
        self.location.to_string()
    }

    fn list(&self) -> Result<Vec<InputSpec>, String> {
        list(&self.context, &self.location, self.window, &self.select)
    }
}

/// Lists the objects under `location` that can hold records of `window` and that `select`
/// accepts by file name, in key order, each as an input. An error is what S3 said (the
/// caller names the location).
pub fn list(
    context: &Arc<AwsContext>,
    location: &S3Location,
    window: Window,
    select: &FileSelector,
) -> Result<Vec<InputSpec>, String> {
    let client = context.s3();
    let mut found = Vec::new();
    // Prefixes still to list, with the date their levels name so far.
    let mut pending = vec![(location.prefix.clone(), DatePart::default())];
    while let Some((prefix, date)) = pending.pop() {
        let mut token = None;
        loop {
            let mut request = client
                .list_objects_v2()
                .bucket(&location.bucket)
                .prefix(&prefix)
                .delimiter("/");
            if let Some(t) = token.take() {
                request = request.continuation_token(t);
            }
            let page = context.block_on(request.send()).map_err(|e| describe(&e))?;
            for common in page.common_prefixes() {
                let Some(sub) = common.prefix() else { continue };
                if let Some(date) = descend(&prefix, date, sub, window) {
                    pending.push((sub.to_string(), date));
                }
            }
            for object in page.contents() {
                let Some(key) = object.key() else { continue };
                if !wanted(key, window, select) {
                    continue;
                }
                found.push(S3Object {
                    bucket: location.bucket.clone(),
                    key: key.to_string(),
                    size: object
                        .size()
                        .and_then(|s| u64::try_from(s).ok())
                        .unwrap_or(0),
                    context: Arc::clone(context),
                    client: client.clone(),
                });
            }
            match page.next_continuation_token() {
                Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
                _ => break,
            }
        }
    }
    found.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(found
        .into_iter()
        .map(|o| InputSpec::Remote(Arc::new(o)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i64, m: u32, d: u32, h: u64, mi: u64) -> u64 {
        u64::try_from(crate::units::days_from_civil(y, m, d)).unwrap() * 86_400 + h * 3600 + mi * 60
    }

    #[test]
    fn locations_parse_with_and_without_a_prefix() {
        let l = S3Location::parse("s3://logs/AWSLogs/1/").unwrap();
        assert_eq!(
            (l.bucket.as_str(), l.prefix.as_str()),
            ("logs", "AWSLogs/1/")
        );
        let l = S3Location::parse("s3://logs").unwrap();
        assert_eq!((l.bucket.as_str(), l.prefix.as_str()), ("logs", ""));
        assert_eq!(S3Location::parse("s3:///x"), None);
        assert_eq!(S3Location::parse("/tmp/x"), None);
    }

    #[test]
    fn a_listing_answer_outside_the_prefix_is_passed_over_not_a_panic() {
        let w = Window::default();
        let d = DatePart::default();
        assert_eq!(descend("AWSLogs/é", d, "AWSLogs/", w), None, "shorter");
        assert_eq!(
            descend("AWSLogs/é", d, "AWSLogs/\u{e8}x/", w),
            None,
            "mid-character"
        );
        assert_eq!(descend("a/", d, "b/2024/", w), None, "elsewhere");
        let year = descend("a/", d, "a/2024/", w).expect("under the prefix");
        assert_eq!(year.span().map(|s| s.0), Some(at(2024, 1, 1, 0, 0)));
        let past = Window {
            from: Some(at(2025, 1, 1, 0, 0)),
            to: None,
        };
        assert_eq!(descend("a/", d, "a/2023/", past), None, "before the window");
        assert!(wanted(
            "a/x_20250101T0000Z_y.log.gz",
            past,
            &FileSelector::default()
        ));
        assert!(!wanted(
            "a/x_20230101T0000Z_y.log.gz",
            past,
            &FileSelector::default()
        ));
        assert!(
            !wanted("a/", past, &FileSelector::default()),
            "a folder marker"
        );
    }

    #[test]
    fn an_object_name_gives_the_start_of_its_delivery_window() {
        let key = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2018/06/20/\
                   123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz";
        assert_eq!(name_time(key), Some(at(2018, 6, 20, 16, 20)));
        assert_eq!(name_time("x/notes.txt"), None);
        assert_eq!(name_time("a_20181320T1620Z_b.log.gz"), None, "month 13");
    }

    #[test]
    fn date_levels_are_read_in_both_layouts() {
        let plain = ["2024", "06", "20", "16"]
            .iter()
            .try_fold(DatePart::default(), |d, s| d.with(s))
            .unwrap();
        let hive = ["year=2024", "month=06", "day=20", "hour=16"]
            .iter()
            .try_fold(DatePart::default(), |d, s| d.with(s))
            .unwrap();
        assert_eq!(plain, hive);
        let lo = at(2024, 6, 20, 16, 0);
        assert_eq!(plain.span(), Some((lo, lo + 3600)));
        // Account ids, regions and service names are no date levels.
        assert_eq!(DatePart::default().with("123456789012"), None);
        assert_eq!(DatePart::default().with("aws-region=us-east-1"), None);
        assert_eq!(DatePart::default().with("us-east-1"), None);
        let month = DatePart::default()
            .with("2024")
            .unwrap()
            .with("12")
            .unwrap();
        assert_eq!(
            month.span(),
            Some((at(2024, 12, 1, 0, 0), at(2025, 1, 1, 0, 0)))
        );
    }

    #[test]
    fn the_window_keeps_what_can_hold_its_records() {
        let w = Window {
            from: Some(at(2024, 6, 20, 12, 0)),
            to: Some(at(2024, 6, 20, 13, 0)),
        };
        let day = |d| (at(2024, 6, d, 0, 0), at(2024, 6, d + 1, 0, 0));
        assert!(w.overlaps(day(20).0, day(20).1));
        assert!(!w.overlaps(day(19).0, day(19).1));
        assert!(!w.overlaps(day(21).0, day(21).1));
        // An object whose window ends just after `from` is read; one ending before is not.
        let t = at(2024, 6, 20, 11, 55);
        assert!(w.overlaps(t, t + DELIVERY_WINDOW) == (t + DELIVERY_WINDOW > w.from.unwrap()));
        let early = at(2024, 6, 20, 11, 50);
        assert!(!w.overlaps(early, early + DELIVERY_WINDOW));
        // Records starting before `to` may end up to a long flow later.
        let late = at(2024, 6, 20, 13, 10);
        assert!(w.overlaps(late, late + DELIVERY_WINDOW));
        assert!(Window::default().overlaps(0, 1));
    }
}
