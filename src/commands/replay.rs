//! `vpctop replay`: the inputs in record-time order, paced; in the dashboard when stdout is a
//! terminal, otherwise headless with reports along the way.

use std::io;

use anyhow::{Context, Result};

use super::report::write_report;
use super::{headless_live, judged_exit_code, progress_line, report_errors, stop_on_signals};
use crate::cli::{ReplayArgs, Settings};
use crate::core::Aggregate;
use crate::pipeline::{Mode, run_live_reporting};
use crate::snapshot::SnapshotCell;
use crate::source::replay::ReplayConfig;

/// Runs `replay`: the dashboard unless asked for reports, or stdout is not a terminal.
pub fn run(args: ReplayArgs) -> Result<i32> {
    use std::io::IsTerminal;
    let wants_dashboard =
        !args.no_ui && !args.output.json && args.interval.is_none() && io::stdout().is_terminal();
    if wants_dashboard {
        return super::dashboard::replay(args);
    }
    headless(args)
}

/// Headless replay: reports along the way with `--interval`, and a last one at the end or on
/// a signal.
fn headless(args: ReplayArgs) -> Result<i32> {
    let Settings {
        inputs,
        mut config,
        filter,
        mut failed,
    } = Settings::new(&args.input, false)?;
    let stop = stop_on_signals(&[signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM])?;
    let (from, to) = args.window();
    config.mode = Mode::Replay(ReplayConfig {
        speed: args.speed,
        from,
        to,
        control: None,
    });
    let line = progress_line(&mut config, &inputs, args.interval.is_some());
    let names: Vec<String> = inputs.iter().map(|i| i.display_name()).collect();
    let opts = args.output.summary(filter.as_deref());
    let options = headless_live(filter.clone());
    let json = args.output.json;
    let mut write_failed: Option<io::Error> = None;
    let mut print = |agg: &Aggregate, one_line: bool| {
        if write_failed.is_some() {
            return;
        }
        let mut out = io::stdout().lock();
        if let Err(e) = write_report(&mut out, agg, &names, opts, json, one_line) {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            write_failed = Some(e);
        }
    };
    let mut periodic = |agg: &Aggregate| print(agg, true);
    let reporter = args
        .interval
        .map(|every| (every, &mut periodic as &mut (dyn FnMut(&Aggregate) + Send)));
    let outcome = run_live_reporting(
        &inputs,
        &config,
        &options,
        &SnapshotCell::default(),
        &stop,
        reporter,
    );
    drop(line);
    report_errors(&outcome.errors);
    failed |= !outcome.errors.is_empty();
    print(&outcome.total, args.interval.is_some());
    if let Some(e) = write_failed {
        return Err(e).context("writing the report");
    }
    Ok(judged_exit_code(
        failed,
        &outcome.total,
        &names,
        filter.as_deref(),
    ))
}
