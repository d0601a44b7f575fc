//! The `vpctop` binary: parse arguments, run one command, map the outcome to an exit code.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::sync_channel;

use anyhow::{Context, Result};
use clap::Parser;

use vpctop::cli::{self, Cli, Command, InputArgs, RecordsArgs, ReplayArgs, ReportArgs};
use vpctop::core::ingest::{FollowConfig, ReplayConfig};
use vpctop::core::live::{LiveOptions, SnapshotCell, run_live_reporting};
use vpctop::core::{Aggregate, IngestConfig, aggregate_and_retain, ingest};
use vpctop::filter::Filter;
use vpctop::report::{SummaryOptions, drill, json::ReportDoc, records, text, verdict};
use vpctop::source::InputRegistry;
use vpctop::source::follow::{FollowTiming, StartAt};
use vpctop::source::status::{Mechanism, SourceBoard, SourceState};
use vpctop::source::{InputSpec, SourceError, expand_paths};
use vpctop::store::Store;

/// How many files found in watched directories a `--follow` run tracks the state of.
const MAX_FOUND_FILES: usize = 4096;

fn main() {
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => cli::EXIT_OK,
        Err(e) if e.is::<Explained>() => cli::EXIT_USAGE,
        Err(e) => {
            // Not eprintln!: stderr may be a terminal that hung up, and that must not panic.
            let _ = writeln!(io::stderr(), "vpctop: {e:#}");
            cli::EXIT_USAGE
        }
    };
    std::process::exit(code);
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

fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        None => dashboard(cli.dashboard),
        Some(Command::Report(args)) => report(args),
        Some(Command::Records(args)) => records(args),
        Some(Command::Replay(args)) if wants_dashboard(&args) => replay_dashboard(args),
        Some(Command::Replay(args)) => replay(args),
        Some(Command::Demo(args)) => demo(args),
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "vpctop", &mut io::stdout());
            Ok(cli::EXIT_OK)
        }
        Some(Command::Man) => {
            let cmd = <Cli as clap::CommandFactory>::command();
            vpctop::manual::render(cmd, &mut io::stdout())?;
            Ok(cli::EXIT_OK)
        }
    }
}

/// `vpctop demo`: generated traffic into a temporary file that the dashboard follows, or
/// into a directory of objects with `--write`.
fn demo(args: cli::DemoArgs) -> Result<i32> {
    use vpctop::demo::{DemoPace, GrowingFile, ObjectDir};
    if !(args.rate > 0.0 && args.rate.is_finite() && args.speed > 0.0 && args.speed.is_finite()) {
        eprintln!("vpctop: --rate and --speed must be positive numbers");
        return Err(Explained.into());
    }
    let pace = DemoPace {
        seed: args.seed,
        rate: args.rate,
        speed: args.speed,
        format: args.format,
        origin: now_secs(),
    };
    let header = pace.generator().header();
    if let Some(dir) = &args.write {
        let stop = stop_on_signals(&[
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGHUP,
        ])?;
        let mut sink = ObjectDir::new(dir, header, args.rotate_every)
            .with_context(|| format!("creating {}", dir.display()))?;
        eprintln!(
            "vpctop: writing flow-log objects into {} (every {} records; Ctrl-C stops). \
             Watch them with: vpctop {}",
            dir.display(),
            args.rotate_every,
            dir.display()
        );
        let records = vpctop::demo::run(pace, &mut sink, &stop)
            .with_context(|| format!("writing into {}", dir.display()))?;
        eprintln!(
            "vpctop: wrote {records} records in {} objects",
            sink.objects()
        );
        return Ok(cli::EXIT_OK);
    }
    need_terminal()?;
    let dir = std::env::temp_dir().join(format!("vpctop-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("demo-flows.log");
    let mut sink = GrowingFile::create(&path, header)
        .with_context(|| format!("creating {}", path.display()))?;
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = Arc::clone(&stop);
        std::thread::Builder::new()
            .name("vpctop-demo".into())
            .spawn(move || vpctop::demo::run(pace, &mut sink, &stop))?
    };
    // Stops the writer and removes the directory on every way out, unwinding included.
    let _cleanup = DemoCleanup {
        stop: Arc::clone(&stop),
        writer: Some(writer),
        dir: dir.clone(),
    };
    let input = InputArgs {
        paths: vec![path],
        format: None,
        allow_unknown_fields: false,
        filter: None,
        glob: None,
        threads: None,
    };
    let outcome = (|| {
        let mut prepared = prepare(&input, false)?;
        let inputs = prepared.inputs.clone();
        let registry = follow_setup(&mut prepared.config, &inputs, &[], false, None);
        let mut d = dashboard_for(prepared, registry, &args.ui, None);
        // A hang-up that has to end the process from outside still removes the directory.
        let (stop, dir) = (Arc::clone(&stop), dir.clone());
        d.on_forced_exit = Some(Arc::new(move || {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            let _ = std::fs::remove_dir_all(&dir);
        }));
        vpctop::ui::run(d).context("running the dashboard")
    })();
    Ok(dashboard_exit(outcome?, false))
}

/// The demo's writer thread and temporary directory, ended and removed when dropped.
struct DemoCleanup {
    stop: Arc<AtomicBool>,
    writer: Option<std::thread::JoinHandle<io::Result<u64>>>,
    dir: std::path::PathBuf,
}

impl Drop for DemoCleanup {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `replay` opens the dashboard unless asked for reports, or stdout is not a terminal.
fn wants_dashboard(args: &ReplayArgs) -> bool {
    use std::io::IsTerminal;
    !args.no_ui && !args.output.json && args.interval.is_none() && io::stdout().is_terminal()
}

/// Refuses `-` when standard input is the terminal itself: the dashboard reads its keys from
/// the terminal, so the two would fight over every keystroke (`q` would go to the log reader).
fn refuse_stdin_terminal(inputs: &[InputSpec]) -> Result<()> {
    use std::io::IsTerminal;
    if !inputs.contains(&InputSpec::Stdin) || !io::stdin().is_terminal() {
        return Ok(());
    }
    eprintln!(
        "vpctop: `-` reads flow logs from standard input, but standard input is this terminal, \
         where the dashboard reads its keys. Pipe the logs in (`aws logs tail GROUP --follow | \
         vpctop -`) or name files; `vpctop report -` reads typed lines."
    );
    Err(Explained.into())
}

/// Fails early, with a hint, when there is no terminal to draw on.
fn need_terminal() -> Result<()> {
    use std::io::IsTerminal;
    if io::stdout().is_terminal() {
        return Ok(());
    }
    eprintln!(
        "vpctop: the dashboard needs a terminal on stdout; for text or JSON use \
         `vpctop report` (or `report --follow`)"
    );
    Err(Explained.into())
}

/// Sets `config` up to follow `inputs` (and watch the directories among `paths`), with
/// every input's state on a board; returns the registry of input names.
fn follow_setup(
    config: &mut IngestConfig,
    inputs: &[InputSpec],
    paths: &[std::path::PathBuf],
    from_end: bool,
    poll: Option<std::time::Duration>,
) -> Arc<InputRegistry> {
    let registry = board_setup(config, inputs);
    config.watch_dirs = paths.iter().filter(|p| p.is_dir()).cloned().collect();
    config.force_polling = poll.is_some();
    config.follow = Some(FollowConfig {
        start: if from_end {
            StartAt::End
        } else {
            StartAt::Beginning
        },
        timing: FollowTiming {
            poll: poll.unwrap_or(FollowTiming::default().poll),
            ..FollowTiming::default()
        },
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
        })
        .collect();
    mechanisms.resize(inputs.len() + MAX_FOUND_FILES, Mechanism::Polling);
    config.board = Some(SourceBoard::new(mechanisms));
    let registry = InputRegistry::new(names(inputs));
    config.registry = Some(Arc::clone(&registry));
    registry
}

/// The dashboard's settings for a prepared run.
fn dashboard_for(
    prepared: Prepared,
    registry: Arc<InputRegistry>,
    ui: &cli::UiArgs,
    base_filter: Option<String>,
) -> vpctop::ui::Dashboard {
    let Prepared {
        inputs,
        mut config,
        filter,
        ..
    } = prepared;
    // Inputs read once (not followed) say how far reading has come in the status bar.
    let progress = config
        .follow
        .is_none()
        .then(|| vpctop::source::progress::Progress::for_inputs(&inputs));
    config.progress = progress.clone();
    let store = Store::new(usize::try_from(ui.memory).unwrap_or(usize::MAX));
    let names: Arc<[String]> = names(&inputs).into();
    let live = LiveOptions {
        filter,
        heatmap: true,
        store: Some(Arc::clone(&store)),
        sources: config.board.clone().map(|b| (b, names)),
        progress,
        ..LiveOptions::default()
    };
    let no_color = std::env::var("NO_COLOR").ok();
    vpctop::ui::Dashboard {
        inputs,
        ingest: config,
        live,
        store,
        registry,
        theme: vpctop::ui::theme::Theme::new(vpctop::ui::theme::ColorMode::resolve(
            ui.color,
            no_color.as_deref(),
        )),
        replay: None,
        replay_control: None,
        base_filter,
        latency_log: ui.latency_log.clone(),
        on_forced_exit: None,
    }
}

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
                let text = vpctop::source::status::failure_text(name, name, &reason);
                let _ = writeln!(io::stderr(), "vpctop: {text}");
            }
            (SourceState::Waiting, _, None) => {
                let name = vpctop::sanitize::escape(name.as_bytes());
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

fn dashboard_exit(exit: vpctop::ui::Exit, failed: bool) -> i32 {
    match exit {
        vpctop::ui::Exit::Quit => exit_code(failed),
        vpctop::ui::Exit::Signal(n) => 128 + n,
    }
}

/// `vpctop [OPTIONS] PATHS…`: the live dashboard.
fn dashboard(args: cli::DashboardArgs) -> Result<i32> {
    let mut prepared = prepare(&args.input, false)?;
    need_terminal()?;
    refuse_stdin_terminal(&prepared.inputs)?;
    let inputs = prepared.inputs.clone();
    let registry = if args.no_follow {
        board_setup(&mut prepared.config, &inputs)
    } else {
        follow_setup(
            &mut prepared.config,
            &inputs,
            &args.input.paths,
            args.from_end,
            args.poll,
        )
    };
    let failed = prepared.failed;
    let board = prepared.config.board.clone();
    let d = dashboard_for(
        prepared,
        Arc::clone(&registry),
        &args.ui,
        args.input.filter.clone(),
    );
    let exit = vpctop::ui::run(d).context("running the dashboard")?;
    let troubled = say_source_problems(board.as_deref(), &registry.names());
    Ok(dashboard_exit(exit, failed || troubled))
}

/// `vpctop replay` in the dashboard: the replay clock takes pause, speed and step keys.
fn replay_dashboard(args: ReplayArgs) -> Result<i32> {
    let mut prepared = prepare(&args.input, false)?;
    refuse_stdin_terminal(&prepared.inputs)?;
    let inputs = prepared.inputs.clone();
    let registry = board_setup(&mut prepared.config, &inputs);
    let (tx, rx) = std::sync::mpsc::channel();
    let (from, to) = args.window();
    prepared.config.replay = Some(ReplayConfig {
        speed: args.speed,
        from,
        to,
        control: Some(Arc::new(std::sync::Mutex::new(rx))),
    });
    let failed = prepared.failed;
    let board = prepared.config.board.clone();
    let mut d = dashboard_for(
        prepared,
        Arc::clone(&registry),
        &args.ui,
        args.input.filter.clone(),
    );
    d.replay = Some(args.speed);
    d.replay_control = Some(tx);
    let exit = vpctop::ui::run(d).context("running the dashboard")?;
    let troubled = say_source_problems(board.as_deref(), &registry.names());
    Ok(dashboard_exit(exit, failed || troubled))
}

/// Everything a reading command needs, validated.
struct Prepared {
    inputs: Vec<InputSpec>,
    config: IngestConfig,
    filter: Option<Arc<Filter>>,
    /// Some path could not be listed (already reported).
    failed: bool,
}

/// A usage error already explained on stderr: exit 2 without another message.
#[derive(Debug)]
struct Explained;

impl std::fmt::Display for Explained {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("invalid arguments")
    }
}

impl std::error::Error for Explained {}

/// Validates the format and filter, expands paths and builds the ingest settings; reports
/// unlistable paths on stderr.
fn prepare(input: &InputArgs, ordered: bool) -> Result<Prepared> {
    let schema = input.schema().context("--format")?;
    let filter = match input.filter.as_deref() {
        Some(text) => Some(Arc::new(parse_filter_flag("--filter", text)?)),
        None => None,
    };
    let select = vpctop::source::FileSelector::new(input.glob.clone());
    let (inputs, errors) = expand_paths(&input.paths, &select);
    for e in &errors {
        eprintln!("vpctop: {e}");
    }
    let mut config = IngestConfig::new(Arc::new(schema));
    if let Some(n) = input.threads {
        config.workers = n.max(1);
    }
    if ordered {
        config.readers = 1;
    }
    config.select = select;
    Ok(Prepared {
        inputs,
        config,
        filter,
        failed: !errors.is_empty(),
    })
}

/// Parses a filter given on the command line; on error, points at the column (like a
/// compiler would) and fails with a usage error.
fn parse_filter_flag(flag: &str, text: &str) -> Result<Filter> {
    Filter::parse(text).map_err(|e| {
        eprintln!("vpctop: invalid {flag}: {e}");
        eprintln!("  {}", vpctop::sanitize::escape(text.as_bytes()));
        eprintln!("  {}^", " ".repeat(e.column.saturating_sub(1)));
        Explained.into()
    })
}

fn names(inputs: &[InputSpec]) -> Vec<String> {
    inputs.iter().map(InputSpec::display_name).collect()
}

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
) -> Option<vpctop::report::progress::ProgressLine> {
    use std::io::IsTerminal;
    if prints_while_reading && io::stdout().is_terminal() {
        return None;
    }
    let progress = vpctop::source::progress::Progress::for_inputs(inputs);
    config.progress = Some(Arc::clone(&progress));
    vpctop::report::progress::ProgressLine::start(progress)
}

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

fn report(args: ReportArgs) -> Result<i32> {
    if args.follow {
        return follow_report(args);
    }
    let Prepared {
        inputs,
        mut config,
        filter,
        mut failed,
    } = prepare(&args.input, false)?;
    let line = progress_line(&mut config, &inputs, false);
    let drill_key = match args.drill.as_deref() {
        Some(text) => Some(parse_filter_flag("--drill", text)?),
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
    let names = names(&inputs);
    let opts = args.output.summary(filter.as_deref());
    let drilled = match (&drill_key, &store) {
        (Some(key), Some(store)) => Some(drill::drill(
            &store.state(),
            drill::DrillRequest {
                key,
                filter: filter.as_deref(),
                limit: args.drill_limit,
                metric: opts.by,
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
fn write_report(
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

/// How headless live runs (`report --follow`, `replay` without the dashboard) publish:
/// through `filter`, without the dashboard's heatmap.
fn headless_live(filter: Option<Arc<Filter>>) -> LiveOptions {
    LiveOptions {
        filter,
        heatmap: false,
        ..LiveOptions::default()
    }
}

/// `report --follow`: follows the inputs, prints a report every interval and a last one when
/// a signal arrives or every input has ended. A signal-initiated stop exits 0.
fn follow_report(args: ReportArgs) -> Result<i32> {
    let Prepared {
        inputs,
        mut config,
        filter,
        mut failed,
    } = prepare(&args.input, false)?;
    let stop = stop_on_signals(&[
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ])?;
    let registry = follow_setup(
        &mut config,
        &inputs,
        &args.input.paths,
        args.from_end,
        args.poll,
    );
    let opts = args.output.summary(filter.as_deref());
    let options = headless_live(filter.clone());
    let json = args.output.json;
    let mut write_failed: Option<io::Error> = None;
    let board = config.board.clone();
    let mut print = |agg: &Aggregate| {
        if write_failed.is_some() {
            return;
        }
        let names = registry.names();
        let sources = board
            .as_deref()
            .map(|b| vpctop::core::live::source_statuses(b, &names, agg));
        let mut out = io::stdout().lock();
        let written = if json {
            let mut doc = ReportDoc::new(agg, &names, opts);
            doc.sources = sources;
            serde_json::to_writer(&mut out, &doc)
                .map_err(io::Error::from)
                .and_then(|()| writeln!(out))
                .and_then(|()| out.flush())
        } else {
            let mut text = format!("--- {} ---\n", vpctop::units::utc(now_secs()));
            for s in sources.iter().flatten() {
                let reason = s
                    .error
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default();
                text.push_str(&format!(
                    "source   {} {:?}{reason}  {} lines, {} malformed\n",
                    vpctop::sanitize::escape(s.name.as_bytes()),
                    s.state,
                    s.lines,
                    s.malformed
                ));
            }
            out.write_all(text.as_bytes())
                .and_then(|()| write_report(&mut out, agg, &names, opts, false, true))
        };
        if let Err(e) = written {
            // The reader went away (`| head`): stop following.
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            write_failed = Some(e);
        }
    };
    let outcome = run_live_reporting(
        &inputs,
        &config,
        &options,
        &SnapshotCell::default(),
        &stop,
        Some((args.interval, &mut print)),
    );
    report_errors(&outcome.errors);
    failed |= !outcome.errors.is_empty();
    print(&outcome.total);
    if let Some(e) = write_failed {
        return Err(e).context("writing the report");
    }
    Ok(exit_code(failed))
}

/// `vpctop replay`: the inputs in record-time order, paced; reports along the way with
/// `--interval`, and a last one at the end or on a signal.
fn replay(args: ReplayArgs) -> Result<i32> {
    let Prepared {
        inputs,
        mut config,
        filter,
        mut failed,
    } = prepare(&args.input, false)?;
    let stop = stop_on_signals(&[signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM])?;
    let (from, to) = args.window();
    config.replay = Some(ReplayConfig {
        speed: args.speed,
        from,
        to,
        control: None,
    });
    let line = progress_line(&mut config, &inputs, args.interval.is_some());
    let names = names(&inputs);
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

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn records(args: RecordsArgs) -> Result<i32> {
    let Prepared {
        inputs,
        mut config,
        filter,
        mut failed,
    } = prepare(&args.input, true)?;
    let line = progress_line(&mut config, &inputs, true);
    let names: Arc<[String]> = names(&inputs).into();
    let cancel = AtomicBool::new(false);
    let (tx, rx) = sync_channel(config.workers * 4);
    let (outcome, written) = std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let mut out = io::BufWriter::with_capacity(1 << 20, io::stdout().lock());
            records::write_in_order(rx, &mut out, &cancel)
        });
        let outcome = ingest(&inputs, &config, &cancel, || {
            records::RecordsHandler::new(
                tx.clone(),
                Arc::clone(&names),
                args.include_malformed,
                filter.clone(),
            )
        });
        drop(tx);
        let written = writer
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (outcome, written)
    });
    drop(line);
    if let Err(e) = written {
        if e.kind() == io::ErrorKind::BrokenPipe {
            return Ok(cli::EXIT_OK);
        }
        return Err(e).context("writing records");
    }
    report_errors(&outcome.errors);
    failed |= !outcome.errors.is_empty();
    let mut tally = Aggregate::new();
    for t in outcome.outputs {
        tally.merge(t);
    }
    let judged = verdict::judge(&tally.counts);
    if tally.counts.malformed > 0
        && !args.include_malformed
        && judged == verdict::Understanding::Understood
    {
        let first = verdict::first_malformed(&tally, &names);
        eprintln!(
            "vpctop: {} malformed {} not printed{}; --include-malformed prints them",
            tally.counts.malformed,
            verdict::plural(tally.counts.malformed, "line", "lines"),
            first
        );
    }
    Ok(judged_exit_code(failed, &tally, &names, filter.as_deref()))
}
