//! `vpctop report`: one report of everything read (text or JSON, with an optional
//! drill-down), or with `--follow` a report every interval while the inputs grow.

use std::io::{self, Write};

use anyhow::Result;

use super::{
    exit_code, follow_setup, judged_exit_code, now_secs, progress_line, report_errors,
    run_headless, stop_on_signals,
};
use crate::cli::{ReportArgs, Settings, parse_filter_flag};
use crate::core::Aggregate;
use crate::pipeline::aggregate_and_retain;
use crate::report::{SummaryOptions, drill, json::ReportDoc, text};
use crate::snapshot::source_statuses;
use crate::store::Store;

/// Runs `report` (or `report --follow`).
pub fn run(args: ReportArgs) -> Result<i32> {
    if let Some(engine) = args.emit {
        return super::emit::report(&args, engine);
    }
    if args.follow {
        return follow(args);
    }
    let settings = Settings::new(&args.input, false)?;
    let names = settings.names();
    let Settings {
        inputs,
        mut config,
        filter,
        mut failed,
        inventory,
        prices,
        ..
    } = settings;
    let alert_config = match args.alerts {
        true => Some(args.thresholds.config(inventory.as_ref())?),
        false => None,
    };
    if let Some(c) = &alert_config {
        config.alerts = true;
        config.alert_rules = c.rule_counters();
    }
    let line = progress_line(&mut config, &inputs, false);
    let drill_key = match args.drill.as_deref() {
        Some(text) => Some(parse_filter_flag("--drill", text, inventory.as_ref())?),
        None => None,
    };
    // Retain records only when a drill-down needs them: report alone keeps nothing per record.
    let store = drill_key
        .as_ref()
        .map(|_| Store::new(usize::try_from(args.memory).unwrap_or(usize::MAX)));
    let (agg, errors) = aggregate_and_retain(&inputs, &config, filter.clone(), store.clone());
    drop(line);
    report_errors(&errors);
    failed |= !errors.is_empty();
    let mut opts = args.output.summary(filter.as_deref(), &prices);
    opts.inventory = inventory.as_deref();
    opts.alerts = alert_config.as_ref();
    let drilled = match (&drill_key, &store) {
        (Some(key), Some(store)) => Some(drill::drill(
            &store.state(),
            drill::DrillRequest {
                key,
                filter: filter.as_deref(),
                limit: args.drill_limit,
                metric: opts.by,
                inventory: inventory.as_deref(),
            },
            &inputs,
            &names,
            config.workers,
        )),
        _ => None,
    };
    let mut out = io::stdout().lock();
    if args.output.json {
        let mut doc = ReportDoc::new(&agg, &names, opts);
        doc.drill = drilled;
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
        out.flush()?;
    } else {
        write_report(&mut out, &agg, &names, opts, false, false)?;
        if let Some(d) = &drilled {
            out.write_all(drill::render(d).as_bytes())?;
        }
        out.flush()?;
    }
    Ok(judged_exit_code(failed, &agg, &names, filter.as_deref()))
}

/// Writes one report: pretty JSON, one compact JSON line (`--follow --json`), or text.
pub(super) fn write_report(
    out: &mut dyn Write,
    agg: &Aggregate,
    names: &[String],
    opts: SummaryOptions<'_>,
    json: bool,
    one_line: bool,
) -> io::Result<()> {
    if json {
        let doc = ReportDoc::new(agg, names, opts);
        if one_line {
            serde_json::to_writer(&mut *out, &doc)?;
        } else {
            serde_json::to_writer_pretty(&mut *out, &doc)?;
        }
        writeln!(out)?;
    } else {
        out.write_all(text::render(agg, names, opts).as_bytes())?;
    }
    out.flush()
}

/// `report --follow`: follows the inputs, prints a report every interval and a last one when
/// a signal arrives or every input has ended. A signal-initiated stop exits 0.
fn follow(args: ReportArgs) -> Result<i32> {
    let mut run = Settings::new(&args.input, false)?;
    let stop = stop_on_signals(&[
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ])?;
    let registry = follow_setup(&mut run, &args.input.paths, args.from_end, args.poll);
    let mut opts = args.output.summary(run.filter.as_deref(), &run.prices);
    opts.inventory = run.inventory.as_deref();
    let json = args.output.json;
    let board = run.config.board.clone();
    let print = |agg: &Aggregate, _last: bool| {
        let names = registry.names();
        let sources = board.as_deref().map(|b| source_statuses(b, &names, agg));
        let mut out = io::stdout().lock();
        if json {
            let mut doc = ReportDoc::new(agg, &names, opts);
            doc.sources = sources;
            serde_json::to_writer(&mut out, &doc)?;
            writeln!(out)?;
            return out.flush();
        }
        let mut text = format!("--- {} ---\n", crate::units::utc(now_secs()));
        for s in sources.iter().flatten() {
            let reason = s
                .error
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default();
            text.push_str(&format!(
                "source   {} {:?}{reason}  {} lines, {} malformed\n",
                crate::sanitize::escape(s.name.as_bytes()),
                s.state,
                s.lines,
                s.malformed
            ));
        }
        out.write_all(text.as_bytes())?;
        write_report(&mut out, agg, &names, opts, false, true)
    };
    let (_, failed) = run_headless(&run, &stop, Some(args.interval), None, print)?;
    Ok(exit_code(failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_follow_report_line_is_one_compact_json_object() {
        let agg = Aggregate::new();
        let names = vec!["a.log".to_string()];
        let opts = SummaryOptions {
            top: 3,
            by: crate::core::Metric::Bytes,
            filter: None,
            inventory: None,
            prices: None,
            alerts: None,
        };
        let mut out = Vec::new();
        write_report(&mut out, &agg, &names, opts, true, true).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches('\n').count(), 1, "{text}");
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["lines"], 0, "{text}");
        assert!(doc["top"].is_object(), "{text}");
    }
}
