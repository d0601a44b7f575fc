//! `vpctop replay`: the inputs in record-time order, paced; in the dashboard when stdout is a
//! terminal, otherwise headless with reports along the way.

use std::io;

use anyhow::{Context, Result};

use super::report::write_report;
use super::{judged_exit_code, progress_line, run_headless, stop_on_signals};
use crate::cli::{ReplayArgs, Settings};
use crate::core::Aggregate;
use crate::pipeline::Mode;
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
    let mut run = Settings::new(&args.input, false)?;
    let stop = stop_on_signals(&[signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM])?;
    let (from, to) = args.window();
    run.config.mode = Mode::Replay(ReplayConfig {
        speed: args.speed,
        from,
        to,
        control: None,
    });
    let alert_config = match args.alerts {
        true => Some(
            args.ui
                .thresholds
                .config(run.inventory.as_ref())
                .context("the alert rules")?,
        ),
        false => None,
    };
    if let Some(c) = &alert_config {
        run.config.alerts = true;
        run.config.alert_rules = c.rule_counters();
    }
    let line = progress_line(&mut run.config, &run.inputs, args.interval.is_some());
    let names = run.names();
    let mut opts = args.output.summary(run.filter.as_deref(), &run.prices);
    opts.inventory = run.inventory.as_deref();
    opts.alerts = alert_config.as_ref();
    let (json, every) = (args.output.json, args.interval);
    // Along the way, one line each; the last report is pretty JSON unless others came first.
    let print = |agg: &Aggregate, last: bool| {
        let one_line = !last || every.is_some();
        write_report(&mut io::stdout().lock(), agg, &names, opts, json, one_line)
    };
    let (total, failed) = run_headless(&run, &stop, every, line, print)?;
    Ok(judged_exit_code(
        failed,
        &total,
        &names,
        run.filter.as_deref(),
    ))
}
