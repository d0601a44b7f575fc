//! The live dashboard: a ratatui event loop on crossterm, driven by tokio.
//!
//! Owns: the terminal while it runs, the user's choices ([`app::UiState`]), the key map
//! ([`keymap`]), the layout ([`layout`]), the panes ([`panes`]) and the worker that answers
//! the filter bar and the inspector from the record store ([`queries`]).
//!
//! ```text
//!  ingest threads ──publish──▶ SnapshotCell (ArcSwap) ──load on notify──┐
//!                                 │ PublishHook → Notify                 ▼
//!  crossterm EventStream ──▶ keymap ──▶ UiState::apply ──▶ Effects ──▶ event loop (one select!)
//!  SIGTERM / SIGHUP / SIGINT ────────────────────────────────────────▶    │  ▲
//!  1 s tick (lag, throttled re-queries) ─────────────────────────────▶    │  │ replies
//!                                   query worker (store scans) ◀─requests─┘  │
//!                                            └───────────────────────────────┘
//!  render: panes::draw(&UiState, &View, rows) at most every 66 ms, only when something changed
//! ```
//!
//! Never: starts or blocks ingest (the dashboard command starts it; the loop reads published
//! snapshots and the store's published segment list), or writes a byte from a log to the
//! terminal unescaped.

pub mod app;
pub mod hangup;
pub mod keymap;
pub mod layout;
pub mod panes;
pub mod queries;
pub mod terminal;
pub mod theme;

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::{Notify, mpsc};

use crate::filter::Filter;
use crate::schema::SharedSchema;
use crate::snapshot::{Snapshot, SnapshotCell};
use crate::source::replay::{ReplayCommand, Speed};
use crate::source::{InputRegistry, InputSpec};
use crate::store::Store;
use app::{Effect, Rows, UiState};
use layout::Areas;
use panes::{View, ViewRows};
use queries::{InspectRequest, InspectorData, QueryContext, Reply, Request};
use theme::Theme;

/// Least time between two frames that new data asks for (about 15 frames per second).
pub const FRAME: Duration = Duration::from_millis(66);

/// Least time between two frames when a key asks for one: answering the user comes first,
/// yet a held-down key still cannot make frames back to back.
pub const KEY_FRAME: Duration = Duration::from_millis(8);

/// How often the filtered view and the inspector are recomputed while new data arrives, at
/// most (and never more often than four times the last query took).
const REQUERY_EVERY: Duration = Duration::from_secs(1);

/// Everything the dashboard runs on. Ingest runs elsewhere (the caller starts it): the
/// dashboard only reads what it publishes.
pub struct Dashboard {
    /// Where ingest publishes its snapshots.
    pub cell: SnapshotCell,
    /// Notified after every publication (the loop wakes on it instead of polling).
    pub published: Arc<Notify>,
    /// The inputs being read (the inspector reads raw lines back from them).
    pub inputs: Vec<InputSpec>,
    /// The format of lines before an input's first header.
    pub schema: SharedSchema,
    /// Threads a store query may use.
    pub query_threads: usize,
    /// The retained records the filter bar and the inspector query.
    pub store: Arc<Store>,
    /// Input names, including files found later.
    pub registry: Arc<InputRegistry>,
    /// Colours.
    pub theme: Theme,
    /// The starting replay speed, when replaying.
    pub replay: Option<Speed>,
    /// Where the replay clock takes commands.
    pub replay_control: Option<std::sync::mpsc::Sender<ReplayCommand>>,
    /// The `--filter` ingest applies, as typed.
    pub base_filter: Option<String>,
    /// Write each keypress → frame latency (microseconds, one per line) here at exit.
    pub latency_log: Option<PathBuf>,
    /// Clean-up to run if a hang-up has to end the process from outside the event loop
    /// (see [`hangup`]).
    pub on_forced_exit: Option<hangup::ForcedExit>,
    /// The account's inventory (`--inventory`): findings are judged by its rules.
    pub inventory: Option<Arc<crate::inventory::Inventory>>,
    /// The prices of the cost ranking (`--prices`).
    pub prices: crate::inventory::prices::Prices,
    /// Ring the terminal bell when an alert opens (`--bell`).
    pub bell: bool,
    /// Alerts below this are not shown (`--min-severity`).
    pub min_severity: crate::alerts::Severity,
}

/// How the dashboard ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The user quit.
    Quit,
    /// A signal asked it to stop (its number).
    Signal(i32),
}

/// Runs the dashboard until the user quits or a signal arrives; the terminal is restored
/// on every way out.
pub fn run(dashboard: Dashboard) -> io::Result<Exit> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let watch = hangup::HangupWatch::start(dashboard.on_forced_exit.clone())?;
    let mut guard = terminal::TerminalGuard::enter()?;
    let result = runtime.block_on(event_loop(dashboard, &mut guard));
    drop(guard);
    drop(watch);
    result
}

/// The loop's moving parts that are not the user's choices.
struct Session {
    live: Arc<Snapshot>,
    view: Option<(u64, Arc<Snapshot>)>,
    view_generation: u64,
    view_in_flight: bool,
    view_stale: bool,
    view_took: Duration,
    view_sent: Instant,
    inspector: Option<Arc<InspectorData>>,
    inspect_generation: u64,
    inspect_sent: Instant,
    inspect_stale: bool,
    requests: crossbeam_channel::Sender<Request>,
}

impl Session {
    fn window(&self, state: &UiState) -> Option<(u64, u64)> {
        let secs = state.window.secs()?;
        let end = self.live.last_end.unwrap_or(0);
        Some((end.saturating_sub(secs), u64::MAX))
    }

    fn request_view(&mut self, state: &UiState) {
        self.view_in_flight = true;
        self.view_stale = false;
        self.view_sent = Instant::now();
        let _ = self.requests.send(Request::View {
            generation: self.view_generation,
            filter: state.filter.clone(),
            window: self.window(state),
            groups: state.group.is_some(),
            cost: state.by_cost,
        });
    }

    fn request_inspector(&mut self, state: &UiState) {
        let Some(talker) = state.drill.first() else {
            self.inspector = None;
            return;
        };
        let conversation = state.drill.get(1).map(|c| (Arc::clone(&c.key), c.port));
        self.inspect_sent = Instant::now();
        self.inspect_stale = false;
        let _ = self.requests.send(Request::Inspect(InspectRequest {
            generation: self.inspect_generation,
            talker: Arc::clone(&talker.key),
            scope: Arc::clone(&talker.scope),
            conversation,
            filter: state.filter.clone(),
            since: self.window(state).map(|(lo, _)| lo),
            metric: state.metric,
        }));
    }

    /// Re-asks stale queries whose throttle has passed.
    fn refresh(&mut self, state: &UiState) {
        let gap = REQUERY_EVERY.max(self.view_took * 4);
        if state.needs_query()
            && self.view_stale
            && !self.view_in_flight
            && self.view_sent.elapsed() >= gap
        {
            self.request_view(state);
        }
        if !state.drill.is_empty() && self.inspect_stale && self.inspect_sent.elapsed() >= gap * 2 {
            self.request_inspector(state);
        }
    }

    fn view<'a>(
        &'a self,
        state: &UiState,
        empty: &'a Snapshot,
        (base, inventory): (Option<&'a str>, Option<&'a crate::inventory::Inventory>),
    ) -> View<'a> {
        let (shown, updating) = if state.needs_query() {
            match &self.view {
                Some((g, s)) => (s.as_ref(), *g != self.view_generation),
                None => (empty, true),
            }
        } else {
            (self.live.as_ref(), false)
        };
        View {
            live: &self.live,
            shown,
            updating,
            inspector: self
                .inspector
                .as_deref()
                .filter(|d| d.generation == self.inspect_generation),
            wall_now: now_secs(),
            base_filter: base,
            inventory,
        }
    }
}

/// Writes the queries pane's text to a new file in the working directory; says where, or
/// why not.
fn write_queries(text: &str) -> String {
    let now = now_secs();
    let (y, m, d) = crate::units::utc_date(now);
    let (hh, mm, ss) = (now % 86_400 / 3600, now % 3600 / 60, now % 60);
    let stamp = format!("{y:04}-{m:02}-{d:02}T{hh:02}{mm:02}{ss:02}Z");
    let path = PathBuf::from(format!("vpctop-view-{stamp}.txt"));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()));
    match written {
        Ok(()) => format!("wrote both queries to {}", path.display()),
        Err(e) => format!("could not write {}: {e}", path.display()),
    }
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

async fn event_loop(d: Dashboard, guard: &mut terminal::TerminalGuard) -> io::Result<Exit> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;

    let (cell, notify) = (d.cell.clone(), Arc::clone(&d.published));

    // The query worker answers on a channel the loop selects on.
    let (reply_tx, mut replies) = mpsc::unbounded_channel();
    let (requests, _worker) = queries::spawn(
        QueryContext {
            store: Arc::clone(&d.store),
            inputs: d.inputs.clone().into(),
            registry: Arc::clone(&d.registry),
            schema: Arc::clone(&d.schema),
            threads: d.query_threads.max(1),
            inventory: d.inventory.clone(),
            prices: d.prices,
        },
        move |r| {
            let _ = reply_tx.send(r);
        },
    );

    let mut state = UiState::new(d.replay);
    state.filter_bar.inventory = d.inventory.clone();
    state.alert_floor = d.min_severity;
    // Alerts opened so far (at or above the floor): the bell rings when one more opens.
    let mut alerts_opened = 0usize;
    let mut s = Session {
        live: cell.load(),
        view: None,
        view_generation: 0,
        view_in_flight: false,
        view_stale: false,
        view_took: Duration::ZERO,
        view_sent: Instant::now(),
        inspector: None,
        inspect_generation: 0,
        inspect_sent: Instant::now(),
        inspect_stale: false,
        requests,
    };
    let empty = Snapshot::default();
    let base = d.base_filter.as_deref();
    let mut events = crossterm::event::EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;
    // A key is waiting to be shown: the next frame comes sooner.
    let mut key_waiting = false;
    let mut last_frame = Instant::now() - FRAME;
    let mut areas = Areas::default();
    let mut rows = ViewRows::default();
    // Keypresses not yet on screen, and how long each took to get there.
    let mut pending_keys: Vec<Instant> = Vec::new();
    let mut latencies: Vec<u128> = Vec::new();

    let exit = loop {
        let gap = if key_waiting { KEY_FRAME } else { FRAME };
        let next_frame = tokio::time::Instant::from_std(last_frame + gap);
        tokio::select! {
            _ = sigterm.recv() => break Exit::Signal(15),
            _ = sighup.recv() => break Exit::Signal(1),
            _ = sigint.recv() => break Exit::Signal(2),
            event = events.next() => {
                let event = match event {
                    Some(Ok(e)) => e,
                    // The terminal is gone (hung up, closed): leave as SIGHUP would.
                    Some(Err(_)) | None => break Exit::Signal(1),
                };
                let Some(action) = keymap::action_for(&event, state.input_mode()) else {
                    continue;
                };
                pending_keys.push(Instant::now());
                let view_rows = Rows {
                    talkers: &rows.talkers,
                    heat_ports: &rows.heat_ports,
                    inspector: &rows.inspector,
                    alerts: &rows.alerts,
                    page: areas.talker_list.visible().max(1),
                    areas: Some(&areas),
                };
                let mut quit = false;
                for effect in state.apply(action, &view_rows) {
                    match effect {
                        Effect::Quit => quit = true,
                        Effect::ViewChanged => {
                            s.view_generation += 1;
                            if state.needs_query() {
                                s.request_view(&state);
                            }
                        }
                        Effect::InspectorChanged => {
                            s.inspect_generation += 1;
                            s.request_inspector(&state);
                        }
                        Effect::Replay(command) => {
                            if let Some(tx) = &d.replay_control {
                                let _ = tx.send(command);
                            }
                        }
                        Effect::ComposeQueries => {
                            let base = base.and_then(|b| match &d.inventory {
                                Some(inv) => Filter::parse_with(b, Some(inv)).ok(),
                                None => Filter::parse(b).ok(),
                            });
                            state.queries = Some(app::compose_queries(
                                &state,
                                base.as_ref(),
                                &d.schema,
                                s.live.last_end,
                                areas.talker_list.visible().max(10),
                            ));
                        }
                        Effect::Copy(text) => {
                            if let Err(e) = terminal::copy_to_clipboard(&text) {
                                state.message = Some(format!("could not copy: {e}"));
                            }
                        }
                        Effect::WriteFile(text) => {
                            state.message = Some(write_queries(&text));
                        }
                    }
                }
                if quit {
                    break Exit::Quit;
                }
                dirty = true;
                key_waiting = true;
            }
            () = notify.notified() => {
                if !state.frozen {
                    s.live = cell.load();
                    let opened = s.live.alerts.as_deref().map_or(0, |a| {
                        a.iter().filter(|a| a.severity >= state.alert_floor).count()
                    });
                    if opened > alerts_opened && d.bell {
                        use std::io::Write;
                        let out = guard.terminal.backend_mut();
                        out.write_all(b"\x07")?;
                        out.flush()?;
                    }
                    alerts_opened = alerts_opened.max(opened);
                    s.view_stale = true;
                    s.inspect_stale = true;
                    s.refresh(&state);
                    dirty = true;
                }
            }
            Some(reply) = replies.recv() => {
                match reply {
                    Reply::View { generation, snapshot, took } => {
                        s.view_in_flight = false;
                        s.view_took = took;
                        s.view = Some((generation, snapshot));
                        if generation != s.view_generation && state.needs_query() {
                            s.request_view(&state);
                        }
                    }
                    Reply::Inspect(data) => s.inspector = Some(data),
                }
                dirty = true;
            }
            _ = tick.tick() => {
                s.refresh(&state);
                // Lag and rates move with the wall clock.
                dirty = true;
            }
            () = tokio::time::sleep_until(next_frame), if dirty => {
                let view = s.view(&state, &empty, (base, d.inventory.as_deref()));
                rows = ViewRows::of(&state, &view);
                state.clamp(&Rows {
                    talkers: &rows.talkers,
                    heat_ports: &rows.heat_ports,
                    inspector: &rows.inspector,
                    alerts: &rows.alerts,
                    ..Rows::default()
                });
                guard.terminal.draw(|frame| {
                    areas = panes::draw(frame, &state, &view, &rows, &d.theme);
                })?;
                let drawn = Instant::now();
                latencies.extend(pending_keys.drain(..).map(|t| (drawn - t).as_micros()));
                last_frame = drawn;
                dirty = false;
                key_waiting = false;
            }
        }
    };
    if let Some(path) = &d.latency_log {
        let text: String = latencies.iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(path, text)?;
    }
    Ok(exit)
}
