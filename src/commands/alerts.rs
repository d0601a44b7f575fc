//! `vpctop alerts`: the alert detections over everything read, in record time, as text or
//! NDJSON events; with `--follow`, as the inputs grow. The exit code says whether an alert
//! at or above `--fail-on` opened; `--exec` runs a command per opened alert.

use std::collections::BTreeSet;
use std::io::{self, Write};

use anyhow::{Context, Result};

use super::alert_exec::Exec;
use super::{
    follow_setup, judged_exit_code, progress_line, report_errors, run_headless, stop_on_signals,
};
use crate::alerts::{AlertEvent, Config, Detection, Phase, Severity, evaluate};
use crate::cli::{self, AlertsArgs, Settings};
use crate::core::Aggregate;
use crate::pipeline::aggregate_and_retain;

/// Prints each event once (in follow mode the same events are evaluated again and again),
/// and hands opened alerts to `--exec`.
struct Emitter {
    json: bool,
    min: Severity,
    fail_on: Option<Severity>,
    seen: BTreeSet<(Detection, String, Phase, u64)>,
    exec: Option<Exec>,
    opened: u64,
    closed: u64,
    alarming: bool,
}

impl Emitter {
    fn emit(&mut self, events: &[AlertEvent], out: &mut impl Write) -> io::Result<()> {
        for e in events.iter().filter(|e| e.severity >= self.min) {
            if !self
                .seen
                .insert((e.detection, e.key.clone(), e.phase, e.at))
            {
                continue;
            }
            match e.phase {
                Phase::Opened => {
                    self.opened += 1;
                    self.alarming |= self.fail_on.is_some_and(|bar| e.severity >= bar);
                    if let Some(x) = self.exec.as_mut() {
                        x.send(serde_json::to_vec(e).map_err(io::Error::other)?);
                    }
                }
                Phase::Closed => self.closed += 1,
                Phase::Updated => {}
            }
            if self.json {
                serde_json::to_writer(&mut *out, e)?;
                writeln!(out)?;
            } else if e.phase != Phase::Updated {
                // Text stays quiet: when an alert opens and when it closes.
                writeln!(out, "{}", e.describe())?;
            }
        }
        out.flush()
    }
}

/// Runs `alerts`.
pub fn run(args: AlertsArgs) -> Result<i32> {
    let mut settings = Settings::new(&args.input, false)?;
    let alert_config: Config = args
        .thresholds
        .config(settings.inventory.as_ref())
        .context("the alert rules")?;
    settings.config.alerts = true;
    settings.config.alert_rules = alert_config.rule_counters();
    let exec = args.exec.as_deref().map(Exec::start).transpose()?;
    let mut emitter = Emitter {
        json: args.json,
        min: args.min_severity.into(),
        fail_on: args.fail_on.map(Severity::from),
        seen: BTreeSet::new(),
        exec,
        opened: 0,
        closed: 0,
        alarming: false,
    };
    let names = settings.names();
    let (agg, failed) = if args.follow {
        follow(&mut settings, &args, &alert_config, &mut emitter)?
    } else {
        let line = progress_line(&mut settings.config, &settings.inputs, false);
        let (agg, errors) = aggregate_and_retain(
            &settings.inputs,
            &settings.config,
            settings.filter.clone(),
            None,
        );
        drop(line);
        report_errors(&errors);
        let events = evaluate(&agg, &alert_config);
        emitter.emit(&events, &mut io::BufWriter::new(io::stdout().lock()))?;
        (agg, settings.failed || !errors.is_empty())
    };
    if !args.json {
        let still = emitter.opened.saturating_sub(emitter.closed);
        println!(
            "{} alert{} opened, {still} still open when the records end",
            emitter.opened,
            if emitter.opened == 1 { "" } else { "s" }
        );
    }
    if let Some(exec) = emitter.exec.take() {
        let c = exec.finish(args.exec_grace);
        let load = |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed);
        let (unrun, killed) = (load(&c.unrun), load(&c.killed));
        let cut_short = if unrun + killed > 0 {
            format!(
                "; after waiting {} at exit (--exec-grace), {killed} killed and {unrun} not run",
                crate::units::duration(args.exec_grace.as_secs())
            )
        } else {
            String::new()
        };
        if load(&c.failed) + load(&c.dropped) + unrun + killed > 0 {
            eprintln!(
                "vpctop: --exec: {} ran, {} failed, {} alerts dropped{cut_short}",
                load(&c.ran),
                load(&c.failed),
                load(&c.dropped)
            );
        }
    }
    let code = judged_exit_code(failed, &agg, &names, settings.filter.as_deref());
    Ok(if code == cli::EXIT_OK && emitter.alarming {
        cli::EXIT_ALERT
    } else {
        code
    })
}

/// `alerts --follow`: evaluates the running total every interval and prints the events not
/// printed yet, until a signal or the end of every input.
fn follow(
    settings: &mut Settings,
    args: &AlertsArgs,
    config: &Config,
    emitter: &mut Emitter,
) -> Result<(Aggregate, bool)> {
    let stop = stop_on_signals(&[
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ])?;
    follow_setup(settings, &args.input.paths, args.from_end, args.poll);
    let print = |agg: &Aggregate, _last: bool| {
        let events = evaluate(agg, config);
        emitter.emit(&events, &mut io::stdout().lock())
    };
    run_headless(settings, &stop, Some(args.interval), None, print)
}
