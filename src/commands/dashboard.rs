//! `vpctop [OPTIONS] PATHS…` and `vpctop replay` in a terminal: the live dashboard, with
//! ingest on threads of its own publishing the snapshots it draws.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use tokio::sync::Notify;

use super::{board_setup, exit_code, follow_setup};
use crate::cli::{self, DashboardArgs, ReplayArgs, Settings, UsageError};
use crate::pipeline::{LiveOptions, Mode, PublishHook, run_live};
use crate::snapshot::SnapshotCell;
use crate::source::replay::ReplayConfig;
use crate::source::status::{SourceBoard, SourceState};
use crate::source::{InputRegistry, InputSpec};
use crate::store::Store;
use crate::ui::{self, Dashboard, Exit, hangup::ForcedExit, theme};

/// `vpctop [OPTIONS] PATHS…`: the live dashboard, following its inputs (or reading them
/// once with `--no-follow`).
pub fn run(args: DashboardArgs) -> Result<i32> {
    let mut settings = Settings::new(&args.input, false)?;
    need_terminal()?;
    refuse_stdin_terminal(&settings.inputs)?;
    let registry = if args.no_follow {
        board_setup(&mut settings.config, &settings.inputs)
    } else {
        follow_setup(&mut settings, &args.input.paths, args.from_end, args.poll)
    };
    let run = Run {
        settings,
        registry,
        ui: &args.ui,
        base_filter: args.input.filter.clone(),
    };
    run.show(None, None)
}

/// `vpctop replay` in the dashboard: the replay clock takes pause, speed and step keys.
pub fn replay(args: ReplayArgs) -> Result<i32> {
    let mut settings = Settings::new(&args.input, false)?;
    refuse_stdin_terminal(&settings.inputs)?;
    let registry = board_setup(&mut settings.config, &settings.inputs);
    let (tx, rx) = std::sync::mpsc::channel();
    let (from, to) = args.window();
    settings.config.mode = Mode::Replay(ReplayConfig {
        speed: args.speed,
        from,
        to,
        control: Some(Arc::new(std::sync::Mutex::new(rx))),
    });
    let run = Run {
        settings,
        registry,
        ui: &args.ui,
        base_filter: args.input.filter.clone(),
    };
    run.show(Some((args.speed, tx)), None)
}

/// A dashboard about to start: what it reads and how it looks.
pub(super) struct Run<'a> {
    /// The validated inputs and pipeline.
    pub settings: Settings,
    /// Input names, including files found later.
    pub registry: Arc<InputRegistry>,
    /// Colours, memory budget, latency log.
    pub ui: &'a cli::UiArgs,
    /// The `--filter` ingest applies, as typed.
    pub base_filter: Option<String>,
}

impl Run<'_> {
    /// Starts ingest, runs the dashboard until the user quits or a signal ends it, then
    /// names the inputs that failed; returns the exit code.
    pub fn show(
        self,
        replay: Option<(crate::source::replay::Speed, ReplayControl)>,
        on_forced_exit: Option<ForcedExit>,
    ) -> Result<i32> {
        let Run {
            settings,
            registry,
            ui,
            base_filter,
        } = self;
        let names: Arc<[String]> = settings.names().into();
        let Settings {
            inputs,
            mut config,
            filter,
            failed,
            inventory,
            prices,
            ..
        } = settings;
        let alerts = match ui.no_alerts {
            true => None,
            false => {
                let c = ui
                    .thresholds
                    .config(inventory.as_ref())
                    .context("the alert rules")?;
                config.alerts = true;
                config.alert_rules = c.rule_counters();
                Some(Arc::new(c))
            }
        };
        // Inputs read once (not followed) say how far reading has come in the status bar.
        let progress = config
            .follow()
            .is_none()
            .then(|| crate::source::progress::Progress::for_inputs(&inputs));
        config.progress = progress.clone();
        let store = Store::new(usize::try_from(ui.memory).unwrap_or(usize::MAX));
        let published = Arc::new(Notify::new());
        let woken = Arc::clone(&published);
        let live = LiveOptions {
            filter,
            heatmap: true,
            store: Some(Arc::clone(&store)),
            sources: config.board.clone().map(|b| (b, names)),
            progress,
            on_publish: Some(PublishHook(Arc::new(move || woken.notify_one()))),
            alerts,
            ..LiveOptions::default()
        };
        let board = config.board.clone();
        let cell = SnapshotCell::default();
        let cancel = Arc::new(AtomicBool::new(false));
        let no_color = std::env::var("NO_COLOR").ok();
        let (replay, replay_control) = replay.unzip();
        let dashboard = Dashboard {
            cell: cell.clone(),
            published,
            inputs: inputs.clone(),
            schema: Arc::clone(&config.schema),
            query_threads: config.workers,
            store,
            registry: Arc::clone(&registry),
            theme: theme::Theme::new(theme::ColorMode::resolve(ui.color, no_color.as_deref())),
            replay,
            replay_control,
            base_filter,
            latency_log: ui.latency_log.clone(),
            on_forced_exit,
            inventory,
            prices,
            bell: ui.bell,
            min_severity: ui.min_severity.into(),
        };
        {
            let cancel = Arc::clone(&cancel);
            std::thread::Builder::new()
                .name("vpctop-ingest".into())
                .spawn(move || {
                    // Ingest's threads (spawned from this one) inherit the lower priority.
                    crate::os::lower_thread_priority();
                    run_live(&inputs, &config, &live, &cell, &cancel)
                })?;
        }
        let exit = ui::run(dashboard).context("running the dashboard");
        cancel.store(true, Ordering::Relaxed);
        let exit = exit?;
        let troubled = say_source_problems(board.as_deref(), &registry.names());
        Ok(match exit {
            Exit::Quit => exit_code(failed || troubled),
            Exit::Signal(n) => 128 + n,
        })
    }
}

/// Where the dashboard's keys steer the replay clock.
pub(super) type ReplayControl = std::sync::mpsc::Sender<crate::source::replay::ReplayCommand>;

/// After the dashboard (the terminal is restored): names on stderr every input that failed,
/// with its reason, and every followed file that never appeared. True when one failed.
fn say_source_problems(board: Option<&SourceBoard>, names: &[String]) -> bool {
    let Some(board) = board else {
        return false;
    };
    let mut failed = false;
    for (i, name) in names.iter().enumerate() {
        match board.get(i) {
            (_, _, Some(reason)) => {
                failed = true;
                let text = crate::source::status::failure_text(name, name, &reason);
                let _ = writeln!(io::stderr(), "vpctop: {text}");
            }
            (SourceState::Waiting, _, None) => {
                let name = crate::sanitize::escape(name.as_bytes());
                let _ = writeln!(
                    io::stderr(),
                    "vpctop: {name}: never appeared (still waited for at exit)"
                );
            }
            _ => {}
        }
    }
    failed
}

/// Refuses `-` when standard input is the terminal itself: the dashboard reads its keys from
/// the terminal, so the two would fight over every keystroke (`q` would go to the log reader).
fn refuse_stdin_terminal(inputs: &[InputSpec]) -> Result<(), UsageError> {
    use std::io::IsTerminal;
    if !inputs.contains(&InputSpec::Stdin) || !io::stdin().is_terminal() {
        return Ok(());
    }
    eprintln!(
        "vpctop: `-` reads flow logs from standard input, but standard input is this terminal, \
         where the dashboard reads its keys. Pipe the logs in (`aws logs tail GROUP --follow | \
         vpctop -`) or name files; `vpctop report -` reads typed lines."
    );
    Err(UsageError::Explained)
}

/// Fails early, with a hint, when there is no terminal to draw on.
pub(super) fn need_terminal() -> Result<(), UsageError> {
    use std::io::IsTerminal;
    if io::stdout().is_terminal() {
        return Ok(());
    }
    eprintln!(
        "vpctop: the dashboard needs a terminal on stdout; for text or JSON use \
         `vpctop report` (or `report --follow`)"
    );
    Err(UsageError::Explained)
}
