//! What vpctop reads from AWS's answers beyond file contents: S3 locations, the keys and
//! common prefixes a listing returns (their date levels and name times decide what is
//! read), and CloudWatch Logs event messages (each becomes exactly one line).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use vpctop::source::FileSelector;
use vpctop::source::aws::cloudwatch::push_event_line;
use vpctop::source::aws::s3::{DatePart, S3Location, Window, descend, name_time, wanted};

#[derive(Arbitrary, Debug)]
struct Case<'a> {
    location: &'a str,
    prefix: &'a str,
    answers: Vec<&'a str>,
    from: Option<u32>,
    to: Option<u32>,
    glob: Option<&'a str>,
    messages: Vec<&'a str>,
}

fuzz_target!(|case: Case<'_>| {
    if let Some(loc) = S3Location::parse(case.location) {
        assert!(!loc.bucket.is_empty());
        assert_eq!(
            S3Location::parse(&loc.to_string()).map(|l| l.bucket),
            Some(loc.bucket)
        );
    }
    let window = Window {
        from: case.from.map(u64::from),
        to: case.to.map(u64::from),
    };
    let select = FileSelector::new(case.glob.map(str::to_string));
    // A listing walked level by level, as the server answers.
    let mut date = DatePart::default();
    let mut prefix = case.prefix.to_string();
    for answer in &case.answers {
        if let Some(next) = descend(&prefix, date, answer, window) {
            assert!(answer.starts_with(prefix.as_str()));
            if let Some((lo, hi)) = next.span() {
                assert!(lo < hi, "{next:?}");
            }
            date = next;
            prefix = answer.to_string();
        }
        let keep = wanted(answer, window, &select);
        if keep && let (Some(t), Some(from)) = (name_time(answer), window.from) {
            assert!(t + 300 > from, "{answer} ends before the window");
        }
    }
    // Every event is one line, whatever its message holds.
    let mut out = Vec::new();
    for m in &case.messages {
        push_event_line(&mut out, m);
    }
    assert_eq!(
        out.iter().filter(|b| **b == b'\n').count(),
        case.messages.len()
    );
    assert!(!out.contains(&b'\r'));
});
