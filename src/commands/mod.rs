//! One module per command: each turns validated settings into a pipeline run and what the
//! user sees of it (the dashboard, a report, records), and returns the exit code.
//!
//! Owns: the wiring of each command (`dashboard`, `report`, `records`, `replay`, `demo`),
//! what a run says on stderr when it ends (inputs that failed, a verdict on what was read),
//! and how an error becomes an exit code ([`run`]).
//!
//! Never: parses flags (that is `cli`) or reads, counts or draws anything itself: it asks
//! `pipeline`, `report` and `ui` to.

mod alert_exec;
pub mod alerts;
pub mod dashboard;
pub mod demo;
mod emit;
pub mod records;
pub mod replay;
pub mod report;

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};

use crate::cli::{self, Cli, Command, Settings, UsageError};
use crate::core::Aggregate;
use crate::filter::Filter;
use crate::pipeline::{FollowConfig, IngestConfig, LiveOptions, Mode, run_live_reporting};
use crate::report::verdict;
use crate::snapshot::SnapshotCell;
use crate::source::follow::{FollowTiming, StartAt};
use crate::source::status::{Mechanism, SourceBoard};
use crate::source::{InputRegistry, InputSpec, SourceError};

/// How many files found in watched directories a `--follow` run tracks the state of.
const MAX_FOUND_FILES: usize = 4096;

/// Runs the command `cli` names and returns the process's exit code; an error is said on
/// stderr (once) and becomes a usage error's code, a closed output pipe a normal end.
pub fn run(cli: Cli) -> i32 {
    crate::source::contain::quiet_contained_panics();
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => cli::EXIT_OK,
        Err(e) if matches!(e.downcast_ref(), Some(UsageError::Explained)) => cli::EXIT_USAGE,
        Err(e) => {
            // Not eprintln!: stderr may be a terminal that hung up, and that must not panic.
            let _ = writeln!(io::stderr(), "vpctop: {e:#}");
            cli::EXIT_USAGE
        }
    }
}

fn dispatch(cli: Cli) -> Result<i32> {
    match cli.command {
        None => dashboard::run(cli.dashboard),
        Some(Command::Report(args)) => report::run(args),
        Some(Command::AthenaDdl(args)) => emit::athena_ddl(&args),
        Some(Command::Records(args)) => records::run(args),
        Some(Command::Alerts(args)) => alerts::run(args),
        Some(Command::Replay(args)) => replay::run(args),
        Some(Command::Demo(args)) => demo::run(args),
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "vpctop", &mut io::stdout());
            Ok(cli::EXIT_OK)
        }
        Some(Command::Man) => {
            let cmd = <Cli as clap::CommandFactory>::command();
            crate::manual::render(cmd, &mut io::stdout())?;
            Ok(cli::EXIT_OK)
        }
    }
}

/// A closed output pipe (`vpctop … | head`) is a normal end, whichever writer noticed it.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        let io = c.downcast_ref::<io::Error>().map(io::Error::kind);
        let json = c
            .downcast_ref::<serde_json::Error>()
            .and_then(serde_json::Error::io_error_kind);
        io.or(json) == Some(io::ErrorKind::BrokenPipe)
    })
}

/// How often S3 prefixes are listed again while following, unless `--poll` says: AWS
/// delivers every 5 to 10 minutes.
const LISTING_POLL: std::time::Duration = std::time::Duration::from_secs(60);

/// Sets `run` up to follow its inputs (and watch the directories among `paths` and its S3
/// prefixes), with every input's state on a board; returns the registry of input names.
fn follow_setup(
    run: &mut Settings,
    paths: &[std::path::PathBuf],
    from_end: bool,
    poll: Option<std::time::Duration>,
) -> Arc<InputRegistry> {
    let config = &mut run.config;
    let registry = board_setup(config, &run.inputs);
    config.mode = Mode::Follow(FollowConfig {
        start: if from_end {
            StartAt::End
        } else {
            StartAt::Beginning
        },
        timing: FollowTiming {
            poll: poll.unwrap_or(FollowTiming::default().poll),
            ..FollowTiming::default()
        },
        watch_dirs: paths.iter().filter(|p| p.is_dir()).cloned().collect(),
        force_polling: poll.is_some(),
        listings: run.listings.clone(),
        listing_poll: poll.unwrap_or(LISTING_POLL),
    });
    registry
}

/// Gives `config` a source board (with room for files found in watched directories) and a
/// registry of input names.
fn board_setup(config: &mut IngestConfig, inputs: &[InputSpec]) -> Arc<InputRegistry> {
    let mut mechanisms: Vec<Mechanism> = inputs
        .iter()
        .map(|i| match i {
            InputSpec::Stdin => Mechanism::Stream,
            InputSpec::File(_) => Mechanism::Polling,
            InputSpec::Remote(r) if r.grows() => Mechanism::Polling,
            InputSpec::Remote(_) => Mechanism::Read,
        })
        .collect();
    mechanisms.resize(inputs.len() + MAX_FOUND_FILES, Mechanism::Polling);
    config.board = Some(SourceBoard::new(mechanisms));
    let registry = InputRegistry::new(inputs.iter().map(InputSpec::display_name).collect());
    config.registry = Some(Arc::clone(&registry));
    registry
}

/// Says on stderr why each input that failed did.
fn report_errors(errors: &[(usize, SourceError)]) {
    for (_, e) in errors {
        eprintln!("vpctop: {e}");
    }
}

/// Counts the reading of `config`'s inputs and draws a progress line on stderr while the
/// returned guard lives: only when stderr is a terminal, and, for a command that prints
/// while it reads, only when stdout is not one (a line redrawn between records would garble
/// them).
fn progress_line(
    config: &mut IngestConfig,
    inputs: &[InputSpec],
    prints_while_reading: bool,
) -> Option<crate::report::progress::ProgressLine> {
    use std::io::IsTerminal;
    if prints_while_reading && io::stdout().is_terminal() {
        return None;
    }
    let progress = crate::source::progress::Progress::for_inputs(inputs);
    config.progress = Some(Arc::clone(&progress));
    crate::report::progress::ProgressLine::start(progress)
}

/// The exit code of a run: an input error, or success.
fn exit_code(failed: bool) -> i32 {
    if failed {
        cli::EXIT_INPUT_ERROR
    } else {
        cli::EXIT_OK
    }
}

/// The exit code of a run that read `agg` from `names`, after saying on stderr when most or
/// all of its lines were malformed: an input error first, then "nothing understood".
fn judged_exit_code(
    failed: bool,
    agg: &Aggregate,
    names: &[String],
    filter: Option<&Filter>,
) -> i32 {
    if let Some(w) = verdict::warning(agg, names) {
        let _ = writeln!(io::stderr(), "{w}");
    }
    if let Some(w) = verdict::filter_warning(agg, filter) {
        let _ = writeln!(io::stderr(), "{w}");
    }
    if failed {
        cli::EXIT_INPUT_ERROR
    } else if verdict::judge(&agg.counts) == verdict::Understanding::NothingUnderstood {
        cli::EXIT_NOTHING_UNDERSTOOD
    } else {
        cli::EXIT_OK
    }
}

/// A flag set by the first of `signals`, asking for a final report; a second signal, while
/// that is still being made, ends the process at once with 130.
fn stop_on_signals(signals: &[i32]) -> Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    for &signal in signals {
        // The check must be registered before the flag, or the first signal would trip it.
        signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&stop))
            .context("installing signal handlers")?;
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .context("installing signal handlers")?;
    }
    Ok(stop)
}

/// A headless live run (`report --follow`, `replay` without the dashboard): runs the
/// pipeline through `run.filter` (without the dashboard's heatmap), hands the running total
/// to `print` every `interval` and the final one once more at the end (`last` set), and says
/// on stderr which inputs failed. A failed `print` (the reader of stdout went away) stops the
/// run and is the error returned. Returns the total and whether an input failed.
fn run_headless(
    run: &Settings,
    stop: &AtomicBool,
    interval: Option<std::time::Duration>,
    progress: Option<crate::report::progress::ProgressLine>,
    mut print: impl FnMut(&Aggregate, bool) -> io::Result<()> + Send,
) -> Result<(Aggregate, bool)> {
    // Nobody reads snapshots here: what is printed comes from the total.
    let options = LiveOptions {
        filter: run.filter.clone(),
        heatmap: false,
        snapshots: false,
        ..LiveOptions::default()
    };
    let mut write_failed: Option<io::Error> = None;
    let mut write = |agg: &Aggregate, last: bool| {
        if write_failed.is_none()
            && let Err(e) = print(agg, last)
        {
            stop.store(true, Ordering::Relaxed);
            write_failed = Some(e);
        }
    };
    let mut periodic = |agg: &Aggregate| write(agg, false);
    let reporter =
        interval.map(|every| (every, &mut periodic as &mut (dyn FnMut(&Aggregate) + Send)));
    let outcome = run_live_reporting(
        &run.inputs,
        &run.config,
        &options,
        &SnapshotCell::default(),
        stop,
        reporter,
    );
    drop(progress);
    report_errors(&outcome.errors);
    write(&outcome.total, true);
    if let Some(e) = write_failed {
        return Err(e).context("writing the report");
    }
    let failed = run.failed || !outcome.errors.is_empty();
    Ok((outcome.total, failed))
}

/// The wall clock in Unix seconds.
fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_pipe_is_a_normal_end_wherever_it_was_noticed() {
        let pipe = || io::Error::from(io::ErrorKind::BrokenPipe);
        assert!(is_broken_pipe(&anyhow::Error::from(pipe())));
        let wrapped = anyhow::Error::from(pipe()).context("writing the report");
        assert!(is_broken_pipe(&wrapped));
        let json = anyhow::Error::from(serde_json::Error::io(pipe()));
        assert!(is_broken_pipe(&json));
        let other = anyhow::Error::from(io::Error::from(io::ErrorKind::PermissionDenied));
        assert!(!is_broken_pipe(&other));
    }

    #[test]
    fn following_watches_only_the_directories_among_the_paths() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.log");
        std::fs::write(&file, "").unwrap();
        let mut run = Settings {
            inputs: vec![InputSpec::File(file.clone())],
            config: IngestConfig::new(Arc::new(crate::schema::Schema::default_v2())),
            filter: None,
            failed: false,
            listings: Vec::new(),
            inventory: None,
            prices: Default::default(),
        };
        let paths = [dir.path().to_path_buf(), file];
        let registry = follow_setup(&mut run, &paths, true, None);
        let config = run.config;
        let follow = config.follow().expect("follow mode");
        assert_eq!(follow.watch_dirs, [dir.path().to_path_buf()]);
        assert_eq!(follow.start, StartAt::End);
        assert!(!follow.force_polling);
        assert_eq!(registry.names().len(), 1);
        assert!(config.board.is_some());
    }
}
