//! `vpctop alerts`: the alert detections over everything read, in record time, as text or
//! NDJSON events; the exit code says whether an alert at or above `--fail-on` opened.

use std::io::{self, Write};

use anyhow::Result;

use super::{judged_exit_code, progress_line, report_errors};
use crate::alerts::{Phase, Severity, evaluate};
use crate::cli::{self, AlertsArgs, Settings};
use crate::pipeline::aggregate_and_retain;

/// Runs `alerts`.
pub fn run(args: AlertsArgs) -> Result<i32> {
    let settings = Settings::new(&args.input, false)?;
    let names = settings.names();
    let Settings {
        inputs,
        mut config,
        filter,
        mut failed,
        ..
    } = settings;
    config.alerts = true;
    let line = progress_line(&mut config, &inputs, false);
    let (agg, errors) = aggregate_and_retain(&inputs, &config, filter.clone(), None);
    drop(line);
    report_errors(&errors);
    failed |= !errors.is_empty();
    let min: Severity = args.min_severity.into();
    let events: Vec<_> = evaluate(&agg, &args.thresholds.thresholds())
        .into_iter()
        .filter(|e| e.severity >= min)
        .collect();
    let mut out = io::BufWriter::new(io::stdout().lock());
    for e in &events {
        if args.json {
            serde_json::to_writer(&mut out, e)?;
            writeln!(out)?;
        } else if e.phase != Phase::Updated {
            // Text stays quiet: when an alert opens and when it closes.
            writeln!(out, "{}", e.describe())?;
        }
    }
    if !args.json {
        let opened = events.iter().filter(|e| e.phase == Phase::Opened).count();
        let still = opened - events.iter().filter(|e| e.phase == Phase::Closed).count();
        writeln!(
            out,
            "{opened} alert{} opened, {still} still open when the records end",
            if opened == 1 { "" } else { "s" }
        )?;
    }
    out.flush()?;
    drop(out);
    let code = judged_exit_code(failed, &agg, &names, filter.as_deref());
    let alarming = args.fail_on.map(Severity::from).is_some_and(|bar| {
        events
            .iter()
            .any(|e| e.phase == Phase::Opened && e.severity >= bar)
    });
    Ok(if code == cli::EXIT_OK && alarming {
        cli::EXIT_ALERT
    } else {
        code
    })
}
