//! The dashboard's own state (what is selected, sorted, filtered, drilled into) and how an
//! [`Action`] changes it. Data never lives here: panes read it from the snapshot and the
//! query results; this holds only the user's choices.
//!
//! Never: reads the terminal, the clock or the store. [`UiState::apply`] is a pure function
//! of the state, the action and the rows on screen ([`Rows`]), and says what must happen
//! outside ([`Effect`]) instead of doing it.

use std::net::IpAddr;
use std::sync::Arc;

use super::keymap::{Action, EditKey, InputMode};
use super::layout::{Areas, Hit};
use crate::alerts::{AlertSummary, Severity};
use crate::core::series::EPHEMERAL_FROM;
use crate::core::{Dimension, Metric};
use crate::filter::{Filter, FilterError, Side};
use crate::snapshot::groups::GroupDim;
use crate::source::replay::{ReplayCommand, Speed};

/// The pane that arrows and Enter go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// Top talkers.
    Talkers,
    /// The port heatmap (rows are destination ports).
    Heatmap,
}

/// How much record time the panes cover, back from the newest record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// Everything retained.
    All,
    /// The last five minutes.
    FiveMinutes,
    /// The last hour.
    Hour,
    /// The last day.
    Day,
}

impl Window {
    /// Its length in seconds (`None` for all).
    pub const fn secs(self) -> Option<u64> {
        match self {
            Window::All => None,
            Window::FiveMinutes => Some(300),
            Window::Hour => Some(3600),
            Window::Day => Some(86_400),
        }
    }

    /// As the status bar shows it.
    pub const fn label(self) -> &'static str {
        match self {
            Window::All => "all",
            Window::FiveMinutes => "5m",
            Window::Hour => "1h",
            Window::Day => "24h",
        }
    }

    const fn next(self) -> Window {
        match self {
            Window::All => Window::FiveMinutes,
            Window::FiveMinutes => Window::Hour,
            Window::Hour => Window::Day,
            Window::Day => Window::All,
        }
    }
}

/// The filter bar: the line being edited, whether it parses, and the history.
#[derive(Debug, Clone, Default)]
pub struct FilterBar {
    /// Whether the bar is open for typing.
    pub editing: bool,
    /// The expression being typed.
    pub input: String,
    /// Cursor position, in characters.
    pub cursor: usize,
    /// Why the input does not parse (checked on every keystroke).
    pub error: Option<FilterError>,
    /// Applied expressions, oldest first (no adjacent repeats).
    pub history: Vec<String>,
    /// Which history entry ↑/↓ shows (`None`: the line being typed).
    history_pos: Option<usize>,
    /// The line being typed when history browsing began.
    draft: String,
    /// The account's inventory, which answers `name=`, `sg=`, `scope=` and the like.
    pub inventory: Option<std::sync::Arc<crate::inventory::Inventory>>,
}

impl FilterBar {
    fn byte_index(&self, chars: usize) -> usize {
        self.input
            .char_indices()
            .nth(chars)
            .map_or(self.input.len(), |(i, _)| i)
    }

    fn set(&mut self, text: String) {
        self.cursor = text.chars().count();
        self.input = text;
    }

    fn validate(&mut self) {
        self.error = match self.input.trim() {
            "" => None,
            text => Filter::parse_with(text, self.inventory.as_ref()).err(),
        };
    }

    /// Applies one editing key; returns the filter to apply on a valid Submit (`Some(None)`
    /// for an empty one, which clears the filter).
    fn edit(&mut self, key: EditKey) -> Option<Option<Filter>> {
        let len = self.input.chars().count();
        match key {
            EditKey::Insert(c) if !c.is_control() => {
                let at = self.byte_index(self.cursor);
                self.input.insert(at, c);
                self.cursor += 1;
            }
            EditKey::Insert(_) => {}
            EditKey::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                let at = self.byte_index(self.cursor);
                self.input.remove(at);
            }
            EditKey::Delete if self.cursor < len => {
                let at = self.byte_index(self.cursor);
                self.input.remove(at);
            }
            EditKey::Backspace | EditKey::Delete => {}
            EditKey::Left => self.cursor = self.cursor.saturating_sub(1),
            EditKey::Right => self.cursor = (self.cursor + 1).min(len),
            EditKey::Home => self.cursor = 0,
            EditKey::End => self.cursor = len,
            EditKey::ClearLine => self.set(String::new()),
            EditKey::HistoryPrev => {
                let pos = match self.history_pos {
                    None if self.history.is_empty() => return None,
                    None => {
                        self.draft = self.input.clone();
                        self.history.len() - 1
                    }
                    Some(p) => p.saturating_sub(1),
                };
                self.history_pos = Some(pos);
                self.set(self.history[pos].clone());
            }
            EditKey::HistoryNext => match self.history_pos {
                None => return None,
                Some(p) if p + 1 < self.history.len() => {
                    self.history_pos = Some(p + 1);
                    self.set(self.history[p + 1].clone());
                }
                Some(_) => {
                    self.history_pos = None;
                    let draft = std::mem::take(&mut self.draft);
                    self.set(draft);
                }
            },
            EditKey::Submit => {
                let text = self.input.trim().to_string();
                let filter = match Filter::parse_with(&text, self.inventory.as_ref()) {
                    Ok(f) => f,
                    Err(e) => {
                        self.error = Some(e);
                        return None;
                    }
                };
                self.error = None;
                self.editing = false;
                self.history_pos = None;
                if !text.is_empty() && self.history.last() != Some(&text) {
                    self.history.push(text);
                }
                return Some((!filter.is_all()).then_some(filter));
            }
            EditKey::Cancel => {
                self.editing = false;
                self.history_pos = None;
            }
        }
        self.validate();
        None
    }
}

/// One level of the inspector: what is drilled into and which row is selected.
#[derive(Debug, Clone)]
pub struct DrillLevel {
    /// As the title shows it (`src 10.0.0.5`, `10.0.0.5 <-> 10.0.1.9 :443/tcp`).
    pub title: String,
    /// The records it covers, as a filter.
    pub key: Arc<Filter>,
    /// The records its diagnosis looks at: both directions (a host's replies too).
    pub scope: Arc<Filter>,
    /// The destination port it is about (a conversation), if any.
    pub port: Option<u16>,
    /// Selected row.
    pub selected: usize,
    /// Which finding of the diagnosis is shown (`n` moves on, wrapping around).
    pub finding: usize,
}

/// An inspector row that Enter can drill into.
#[derive(Debug, Clone)]
pub struct Drillable {
    /// The next level's title.
    pub title: String,
    /// Its records, as a filter.
    pub key: Arc<Filter>,
    /// Its destination port.
    pub port: Option<u16>,
}

/// Replay state as the user controls it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplayControl {
    /// Current speed.
    pub speed: Speed,
    /// Whether the clock is stopped.
    pub paused: bool,
}

/// The rows on screen now: what selection, Enter and clicks act on.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rows<'a> {
    /// Keys of the top-talker list, in order.
    pub talkers: &'a [String],
    /// Destination-port rows of the heatmap, in order.
    pub heat_ports: &'a [u16],
    /// The inspector's rows at its current level: conversations can be drilled into;
    /// records cannot (they are the last level).
    pub inspector: &'a [Option<Drillable>],
    /// The alert list's rows, newest first (those at or above the severity floor).
    pub alerts: &'a [AlertSummary],
    /// Rows a page scroll moves.
    pub page: usize,
    /// Where panes were last drawn (for clicks).
    pub areas: Option<&'a Areas>,
}

/// What the event loop must do after an action.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Leave the dashboard.
    Quit,
    /// The filter or window changed: compute the view again.
    ViewChanged,
    /// The inspector's level changed: query it.
    InspectorChanged,
    /// Send this to the replay clock.
    Replay(ReplayCommand),
    /// Open the queries pane: write the view's queries (see [`compose_queries`]).
    ComposeQueries,
    /// Put this text on the terminal's clipboard (OSC 52).
    Copy(String),
    /// Write this text to a new file in the working directory.
    WriteFile(String),
}

/// The queries pane (`x`): the view as each engine's query, or why it cannot be one.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryPane {
    /// Athena, then CloudWatch Logs Insights: each engine's name and query, or why the view
    /// cannot be written for it.
    pub queries: [(&'static str, Result<String, String>); 2],
    /// Which one is shown.
    pub shown: usize,
    /// The first line shown.
    pub scroll: usize,
}

/// The queries of the view `state` shows: `--filter` (`base`) and the applied filter, the
/// time window back from `newest_end`, the talkers' grouping (or the heatmap's ports), the
/// metric and `top` rows, over the format `schema`.
pub fn compose_queries(
    state: &UiState,
    base: Option<&Filter>,
    schema: &crate::schema::Schema,
    newest_end: Option<u64>,
    top: usize,
) -> QueryPane {
    use crate::query::{View, athena, insights};
    let since = state
        .window
        .secs()
        .map(|secs| newest_end.unwrap_or(0).saturating_sub(secs));
    let mut filter: Option<Filter> = base.cloned();
    let extra = [
        state.filter.as_deref().cloned(),
        since.map(Filter::ended_since),
    ];
    for f in extra.into_iter().flatten() {
        filter = Some(match filter {
            Some(have) => have.and(&f),
            None => f,
        });
    }
    let group = match state.focus {
        Focus::Heatmap => Dimension::DstPort,
        Focus::Talkers => state.dimension,
    };
    let refusal = if state.group.is_some() && state.focus == Focus::Talkers {
        Some("an inventory grouping has no column in the flow-log table (d shows the others)")
    } else if state.by_cost {
        Some("the cost ranking needs vpctop's prices and inventory (s ranks by bytes)")
    } else {
        None
    };
    let view = View {
        filter: filter.as_ref(),
        group,
        metric: state.metric,
        top: top.max(1),
        window: (since, None),
    };
    let table = athena::Table {
        name: "vpc_flow_logs".into(),
        partitions: athena::Partitions::Day,
    };
    let written = |r: Result<String, crate::query::QueryError>| match refusal {
        Some(why) => Err(why.to_string()),
        None => r.map_err(|e| e.to_string()),
    };
    QueryPane {
        queries: [
            ("Athena", written(athena::query(&view, &table, schema))),
            ("Logs Insights", written(insights::query(&view, schema))),
        ],
        shown: 0,
        scroll: 0,
    }
}

/// Every choice the user has made.
#[derive(Debug, Clone)]
pub struct UiState {
    /// Focused pane.
    pub focus: Focus,
    /// Top-talker dimension.
    pub dimension: Dimension,
    /// A grouping by the inventory the talkers show instead of `dimension`.
    pub group: Option<GroupDim>,
    /// Lists made of addresses are ranked by estimated data-transfer cost (`s`, after
    /// flows); `metric` is then bytes, for the lists that cannot be costed.
    pub by_cost: bool,
    /// Sort metric.
    pub metric: Metric,
    /// Selected talker row.
    pub selected: usize,
    /// Selected heatmap row.
    pub heat_selected: usize,
    /// Time window.
    pub window: Window,
    /// The applied filter (on top of `--filter`, which ingest applies).
    pub filter: Option<Arc<Filter>>,
    /// The filter bar.
    pub filter_bar: FilterBar,
    /// Help overlay open.
    pub help: bool,
    /// Inputs overlay open (sources and malformed lines).
    pub inputs: bool,
    /// The inspector's levels; empty when closed.
    pub drill: Vec<DrillLevel>,
    /// Replay controls (`None` when following live).
    pub replay: Option<ReplayControl>,
    /// The live view is frozen (space when not replaying).
    pub frozen: bool,
    /// A message for the bottom line (e.g. why a drill-down is not possible).
    pub message: Option<String>,
    /// The alert list (`a`), when open: its selected row (newest alert first).
    pub alert_list: Option<usize>,
    /// Alerts below this severity are not shown (`--min-severity`).
    pub alert_floor: Severity,
    /// The queries pane (`x`), when open.
    pub queries: Option<QueryPane>,
}

/// The fastest finite replay speed; one step faster is `max`.
pub const MAX_TIMES: f64 = 1000.0;

impl UiState {
    /// The starting state; `replay` when the dashboard drives a replay clock.
    pub fn new(replay: Option<Speed>) -> UiState {
        UiState {
            focus: Focus::Talkers,
            dimension: Dimension::Src,
            group: None,
            by_cost: false,
            metric: Metric::Bytes,
            selected: 0,
            heat_selected: 0,
            window: Window::All,
            filter: None,
            filter_bar: FilterBar::default(),
            help: false,
            inputs: false,
            drill: Vec::new(),
            replay: replay.map(|speed| ReplayControl {
                speed,
                paused: false,
            }),
            frozen: false,
            message: None,
            alert_list: None,
            queries: None,
            alert_floor: Severity::Low,
        }
    }

    /// What keys mean now.
    pub fn input_mode(&self) -> InputMode {
        if self.help || self.inputs {
            InputMode::Help
        } else if self.queries.is_some() {
            InputMode::Queries
        } else if self.filter_bar.editing {
            InputMode::Editing
        } else {
            InputMode::Normal
        }
    }

    /// Whether the view needs a query (a filter or a window is applied).
    pub fn needs_query(&self) -> bool {
        self.filter.is_some() || self.window != Window::All || self.group.is_some() || self.by_cost
    }

    /// Applies `action`, given the rows on screen.
    pub fn apply(&mut self, action: Action, rows: &Rows<'_>) -> Vec<Effect> {
        self.message = None;
        match action {
            Action::Quit => return vec![Effect::Quit],
            Action::Redraw => {}
            Action::ToggleHelp => {
                self.help = !self.help;
                self.inputs = false;
            }
            Action::ToggleInputs => {
                self.inputs = !self.inputs;
                self.help = false;
            }
            Action::ToggleQueries => match self.queries.take() {
                Some(_) => {}
                None => return vec![Effect::ComposeQueries],
            },
            Action::OtherQuery => {
                if let Some(q) = &mut self.queries {
                    q.shown = (q.shown + 1) % q.queries.len();
                    q.scroll = 0;
                }
            }
            Action::CopyQuery => {
                if let Some(q) = &self.queries {
                    let (engine, text) = &q.queries[q.shown];
                    match text {
                        Ok(text) => {
                            self.message = Some(format!(
                                "copied the {engine} query to the clipboard (OSC 52; in tmux: set -g set-clipboard on)"
                            ));
                            return vec![Effect::Copy(text.clone())];
                        }
                        Err(_) => self.message = Some(format!("no {engine} query to copy")),
                    }
                }
            }
            Action::WriteQueries => {
                if let Some(q) = &self.queries {
                    let mut text = String::new();
                    for (engine, query) in &q.queries {
                        match query {
                            Ok(query) => {
                                text.push_str(&format!("==> {engine} <==\n{query}\n"));
                            }
                            Err(why) => {
                                text.push_str(&format!("==> {engine} <==\n(none: {why})\n\n"))
                            }
                        }
                    }
                    return vec![Effect::WriteFile(text)];
                }
            }
            Action::Up | Action::ScrollUp if self.queries.is_some() => {
                if let Some(q) = &mut self.queries {
                    q.scroll = q.scroll.saturating_sub(1);
                }
            }
            Action::Down | Action::ScrollDown if self.queries.is_some() => {
                if let Some(q) = &mut self.queries {
                    q.scroll += 1;
                }
            }
            Action::ToggleAlerts => {
                self.alert_list = match self.alert_list {
                    Some(_) => None,
                    None => Some(0),
                };
            }
            Action::NextFinding => match self.drill.last_mut() {
                Some(level) => level.finding = level.finding.wrapping_add(1),
                None => self.message = Some("`n` browses the diagnosis in the inspector".into()),
            },
            Action::CloseOverlay => {
                self.help = false;
                self.inputs = false;
            }
            Action::Edit(key) => return self.edit(key),
            Action::OpenFilter => {
                self.filter_bar.editing = true;
                self.filter_bar.set(
                    self.filter
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                );
                self.filter_bar.validate();
            }
            Action::ClearFilter => {
                if self.filter.take().is_some() {
                    self.filter_bar.set(String::new());
                    return self.view_changed();
                }
            }
            Action::CycleMetric => {
                // bytes → packets → flows → estimated cost → bytes. Cost ranks the lists
                // made of addresses; the others stay by bytes while it is on.
                let was_cost = self.by_cost;
                (self.metric, self.by_cost) = match (self.metric, self.by_cost) {
                    (_, true) => (Metric::Bytes, false),
                    (Metric::Bytes, false) => (Metric::Packets, false),
                    (Metric::Packets, false) => (Metric::Flows, false),
                    (Metric::Flows, false) => (Metric::Bytes, true),
                };
                if was_cost != self.by_cost {
                    return self.view_changed();
                }
                if !self.drill.is_empty() {
                    return vec![Effect::InspectorChanged];
                }
            }
            Action::CycleDimension => {
                self.selected = 0;
                // The aggregate's dimensions, then (with an inventory) the groupings by it.
                match self.group {
                    Some(g) => {
                        let i = GroupDim::ALL.iter().position(|d| *d == g).unwrap_or(0);
                        self.group = GroupDim::ALL.get(i + 1).copied();
                        if self.group.is_none() {
                            self.dimension = Dimension::ALL[0];
                        }
                        return self.view_changed();
                    }
                    None => {
                        let i = Dimension::ALL
                            .iter()
                            .position(|d| *d == self.dimension)
                            .unwrap_or(0);
                        // The groupings need the inventory (which the filter bar also binds).
                        let groups_available = self.filter_bar.inventory.is_some();
                        if i + 1 == Dimension::ALL.len() && groups_available {
                            self.group = Some(GroupDim::ALL[0]);
                            return self.view_changed();
                        }
                        self.dimension = Dimension::ALL[(i + 1) % Dimension::ALL.len()];
                    }
                }
            }
            Action::CycleWindow => {
                self.window = self.window.next();
                return self.view_changed();
            }
            Action::NextFocus => {
                self.focus = match self.focus {
                    Focus::Talkers => Focus::Heatmap,
                    Focus::Heatmap => Focus::Talkers,
                };
            }
            Action::TogglePause => return self.toggle_pause(),
            Action::Faster | Action::Slower => return self.change_speed(action == Action::Faster),
            Action::Step => {
                if let Some(r) = self.replay
                    && r.paused
                {
                    return vec![Effect::Replay(ReplayCommand::Step)];
                }
                self.message = Some("`.` steps a paused replay (space pauses)".into());
            }
            Action::Up => self.move_selection(rows, -1),
            Action::Down => self.move_selection(rows, 1),
            Action::ScrollUp => self.move_selection(rows, -3),
            Action::ScrollDown => self.move_selection(rows, 3),
            Action::PageUp => self.move_selection(rows, -(rows.page.max(1) as i64)),
            Action::PageDown => self.move_selection(rows, rows.page.max(1) as i64),
            Action::First => self.move_selection(rows, i64::MIN / 2),
            Action::Last => self.move_selection(rows, i64::MAX / 2),
            Action::Enter if self.alert_list.is_some() => return self.enter_alert(rows),
            Action::Enter => return self.enter(rows),
            Action::Back if self.alert_list.is_some() => self.alert_list = None,
            Action::Back => {
                if self.drill.pop().is_some() {
                    return match self.drill.is_empty() {
                        true => Vec::new(),
                        false => vec![Effect::InspectorChanged],
                    };
                }
                // Esc with nothing open returns to the start: the talker list.
                self.focus = Focus::Talkers;
            }
            Action::Click { column, row } => return self.click(column, row, rows),
        }
        Vec::new()
    }

    fn view_changed(&mut self) -> Vec<Effect> {
        self.selected = 0;
        self.heat_selected = 0;
        let mut effects = vec![Effect::ViewChanged];
        if !self.drill.is_empty() {
            effects.push(Effect::InspectorChanged);
        }
        effects
    }

    fn edit(&mut self, key: EditKey) -> Vec<Effect> {
        let Some(new) = self.filter_bar.edit(key) else {
            return Vec::new();
        };
        let new = new.map(Arc::new);
        // The same tests, however spelled: nothing to ask again.
        if self.filter == new {
            return Vec::new();
        }
        self.filter = new;
        // A new filter is a new question about talkers: focus goes back to them, so Enter
        // drills into a talker, not into a heatmap port chosen before.
        self.focus = Focus::Talkers;
        self.view_changed()
    }

    fn toggle_pause(&mut self) -> Vec<Effect> {
        match &mut self.replay {
            Some(r) => {
                r.paused = !r.paused;
                vec![Effect::Replay(match r.paused {
                    true => ReplayCommand::Pause,
                    false => ReplayCommand::Resume,
                })]
            }
            None => {
                self.frozen = !self.frozen;
                Vec::new()
            }
        }
    }

    fn change_speed(&mut self, faster: bool) -> Vec<Effect> {
        let Some(r) = &mut self.replay else {
            self.message = Some("+/- change the speed of `vpctop replay`".into());
            return Vec::new();
        };
        r.speed = match (r.speed, faster) {
            (Speed::Max, true) => Speed::Max,
            (Speed::Max, false) => Speed::Times(MAX_TIMES),
            (Speed::Times(n), true) if n * 2.0 > MAX_TIMES => Speed::Max,
            (Speed::Times(n), true) => Speed::Times(n * 2.0),
            (Speed::Times(n), false) => Speed::Times((n / 2.0).max(1.0)),
        };
        vec![Effect::Replay(ReplayCommand::Speed(r.speed))]
    }

    /// The length of the list that arrows move in now.
    fn list_len(&self, rows: &Rows<'_>) -> usize {
        if self.alert_list.is_some() {
            return rows.alerts.len();
        }
        if !self.drill.is_empty() {
            return rows.inspector.len();
        }
        match self.focus {
            Focus::Talkers => rows.talkers.len(),
            Focus::Heatmap => rows.heat_ports.len(),
        }
    }

    fn selection_mut(&mut self) -> &mut usize {
        if let Some(selected) = &mut self.alert_list {
            return selected;
        }
        if let Some(level) = self.drill.last_mut() {
            return &mut level.selected;
        }
        match self.focus {
            Focus::Talkers => &mut self.selected,
            Focus::Heatmap => &mut self.heat_selected,
        }
    }

    fn move_selection(&mut self, rows: &Rows<'_>, by: i64) {
        let len = self.list_len(rows);
        let sel = self.selection_mut();
        let max = len.saturating_sub(1) as i64;
        *sel = (*sel as i64).saturating_add(by).clamp(0, max) as usize;
    }

    /// Keeps selections inside lists that shrank (a new snapshot, a narrower filter).
    pub fn clamp(&mut self, rows: &Rows<'_>) {
        self.selected = self.selected.min(rows.talkers.len().saturating_sub(1));
        self.heat_selected = self
            .heat_selected
            .min(rows.heat_ports.len().saturating_sub(1));
        if let Some(level) = self.drill.last_mut() {
            level.selected = level.selected.min(rows.inspector.len().saturating_sub(1));
        }
        if let Some(selected) = &mut self.alert_list {
            *selected = (*selected).min(rows.alerts.len().saturating_sub(1));
        }
    }

    /// Enter on the alert list: the inspector opens on the alert's records within the
    /// window it opened with (a storm: its network's sources).
    fn enter_alert(&mut self, rows: &Rows<'_>) -> Vec<Effect> {
        let Some(alert) = self.alert_list.and_then(|i| rows.alerts.get(i)) else {
            return Vec::new();
        };
        match alert_target(alert, self.filter_bar.inventory.as_ref()) {
            Ok(t) => {
                self.alert_list = None;
                self.drill = vec![DrillLevel {
                    title: t.title,
                    key: t.key,
                    scope: t.scope,
                    port: None,
                    selected: 0,
                    finding: 0,
                }];
                vec![Effect::InspectorChanged]
            }
            Err(why) => {
                self.message = Some(why);
                Vec::new()
            }
        }
    }

    fn enter(&mut self, rows: &Rows<'_>) -> Vec<Effect> {
        let next = match self.drill.last() {
            Some(level) => rows
                .inspector
                .get(level.selected)
                .and_then(Option::as_ref)
                .map(|d| {
                    (
                        d.title.clone(),
                        Arc::clone(&d.key),
                        Arc::clone(&level.scope),
                        d.port,
                    )
                }),
            None => match self.focus {
                Focus::Talkers => rows.talkers.get(self.selected).map(|k| {
                    let target = match self.group {
                        Some(g) => group_target(g, k, self.filter_bar.inventory.as_ref()),
                        None => drill_target(self.dimension, k),
                    };
                    target.map(|t| (t.title, t.key, t.scope, None))
                }),
                Focus::Heatmap => rows.heat_ports.get(self.heat_selected).map(|p| {
                    let t = port_target(*p);
                    Ok((t.title, t.key, t.scope, Some(*p)))
                }),
            }
            .and_then(|target| match target {
                Ok(t) => Some(t),
                Err(why) => {
                    self.message = Some(why);
                    None
                }
            }),
        };
        match next {
            Some((title, key, scope, port)) => {
                self.drill.push(DrillLevel {
                    title,
                    key,
                    scope,
                    port,
                    selected: 0,
                    finding: 0,
                });
                vec![Effect::InspectorChanged]
            }
            None => Vec::new(),
        }
    }

    fn click(&mut self, column: u16, row: u16, rows: &Rows<'_>) -> Vec<Effect> {
        let Some(areas) = rows.areas else {
            return Vec::new();
        };
        match areas.hit(column, row) {
            Some(Hit::Talkers(i)) if self.drill.is_empty() => {
                self.focus = Focus::Talkers;
                if i < rows.talkers.len() {
                    self.selected = i;
                }
            }
            Some(Hit::Heatmap(i)) if self.drill.is_empty() => {
                self.focus = Focus::Heatmap;
                if i < rows.heat_ports.len() {
                    self.heat_selected = i;
                }
            }
            Some(Hit::Inspector(i)) => {
                if let Some(level) = self.drill.last_mut()
                    && i < rows.inspector.len()
                {
                    level.selected = i;
                }
            }
            _ => {}
        }
        Vec::new()
    }
}

/// What drilling into a key opens: its title, its records, and the records its diagnosis
/// looks at (both directions, so that rejected replies are seen).
#[derive(Debug, Clone)]
pub struct DrillTarget {
    /// The inspector's title.
    pub title: String,
    /// The key's records.
    pub key: Arc<Filter>,
    /// The key's records in both directions.
    pub scope: Arc<Filter>,
}

/// The drill target of a talker of `dim` keyed `key` (a top list's key text: an address,
/// `SRC -> DST`, a decimal port or protocol number, an interface id).
pub fn drill_target(dim: Dimension, key: &str) -> Result<DrillTarget, String> {
    let shown = crate::sanitize::escape(key.as_bytes());
    let cannot = |what: &str| format!("cannot drill into {}: not {what}", shown);
    let addr = |text: &str| text.parse::<IpAddr>().map_err(|_| cannot("an address"));
    let (key_filter, scope) = match dim {
        Dimension::Src | Dimension::Dst => {
            let side = if dim == Dimension::Src {
                Side::Src
            } else {
                Side::Dst
            };
            let a = addr(key)?;
            (Filter::addr(side, a), Filter::addr(Side::Either, a))
        }
        Dimension::Pair => {
            let (a, b) = key
                .split_once(" -> ")
                .ok_or_else(|| format!("cannot drill into pair {key:?}"))?;
            let (a, b) = (addr(a)?, addr(b)?);
            let one_way = |x, y| Filter::addr(Side::Src, x).and(&Filter::addr(Side::Dst, y));
            (one_way(a, b), one_way(a, b).or(&one_way(b, a)))
        }
        Dimension::DstPort => {
            let p: u16 = key.parse().map_err(|_| cannot("a port"))?;
            (Filter::port(Side::Dst, p), Filter::port(Side::Either, p))
        }
        Dimension::Interface => (Filter::interface(key), Filter::interface(key)),
        Dimension::Protocol => {
            let p: u8 = key.parse().map_err(|_| cannot("a protocol number"))?;
            (Filter::protocol(p), Filter::protocol(p))
        }
    };
    Ok(DrillTarget {
        title: format!("{} {}", dim.key(), shown),
        key: Arc::new(key_filter),
        scope: Arc::new(scope),
    })
}

/// The drill target of an alert: its records (its filter) within the window it opened
/// with; a storm's are its network's sources in its window.
pub fn alert_target(
    alert: &AlertSummary,
    inventory: Option<&Arc<crate::inventory::Inventory>>,
) -> Result<DrillTarget, String> {
    let shown_key = crate::sanitize::escape(alert.key.as_bytes());
    let name = crate::sanitize::escape(alert.name.as_bytes());
    let records = match (alert.filter.as_str(), alert.storm) {
        ("", Some(_)) => match crate::filter::Cidr::parse(&alert.key) {
            Some(_) => format!("src={}", alert.key),
            None => {
                return Err(format!(
                    "{name} storm over {shown_key}: `vpctop alerts` lists the alerts it folds"
                ));
            }
        },
        ("", None) => return Err(format!("{name} {shown_key}: no records to drill into")),
        // A gap's records are NODATA/SKIPDATA, which the inspector does not count: it
        // shows the interface's traffic around the gap instead (what stopped).
        (filter, _) if alert.detection == crate::alerts::Detection::LoggingGap => filter
            .replace(" log-status!=OK", "")
            .replace("log-status!=OK", ""),
        (filter, _) => filter.to_string(),
    };
    // The window it opened with, stretched over all its evidence so far.
    let (from, to) = (
        alert.window.0.min(alert.first_seen),
        alert.window.1.max(alert.last_seen),
    );
    let text = format!("({records}) end>={from} start<={to}");
    let filter = Filter::parse_with(&text, inventory)
        .map_err(|e| format!("cannot drill into {name} {shown_key}: {e}"))?;
    let filter = Arc::new(filter);
    Ok(DrillTarget {
        title: format!("alert {name} {shown_key}"),
        key: Arc::clone(&filter),
        scope: filter,
    })
}

/// The drill target of a row of a grouping by the inventory: its records, either end in
/// the group (`sg=sg-0web`), or of the scope.
pub fn group_target(
    dim: GroupDim,
    key: &str,
    inventory: Option<&Arc<crate::inventory::Inventory>>,
) -> Result<DrillTarget, String> {
    let shown = crate::sanitize::escape(key.as_bytes());
    let filter = match (dim, inventory) {
        (GroupDim::Scope, inv) => {
            let scope = crate::inventory::Scope::parse(key)
                .ok_or_else(|| format!("cannot drill into {shown}: not a scope"))?;
            Filter::scope(scope, inv)
        }
        (GroupDim::Of(kind), Some(inv)) => Filter::group(kind, key, inv),
        (GroupDim::Of(_), None) => {
            return Err(format!("cannot drill into {shown}: no --inventory"));
        }
    };
    let filter = Arc::new(filter);
    Ok(DrillTarget {
        title: format!("{} {shown}", dim.key()),
        key: Arc::clone(&filter),
        scope: filter,
    })
}

/// The drill target of a heatmap row: one destination port, or every ephemeral one.
fn port_target(row: u16) -> DrillTarget {
    let (title, key, scope) = match row {
        EPHEMERAL_FROM => (
            "dstport ephemeral (32768+)".to_string(),
            Filter::port_from(Side::Dst, EPHEMERAL_FROM),
            Filter::port_from(Side::Dst, EPHEMERAL_FROM)
                .or(&Filter::port_from(Side::Src, EPHEMERAL_FROM)),
        ),
        p => (
            format!("dstport {p}"),
            Filter::port(Side::Dst, p),
            Filter::port(Side::Either, p),
        ),
    };
    DrillTarget {
        title,
        key: Arc::new(key),
        scope: Arc::new(scope),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows<'a>(talkers: &'a [String]) -> Rows<'a> {
        Rows {
            talkers,
            page: 5,
            ..Rows::default()
        }
    }

    #[test]
    fn a_new_filter_and_esc_return_focus_to_the_talkers() {
        // Regression: after Tab, Esc and a new filter, Enter drilled into the heatmap's port.
        let keys: Vec<String> = vec!["10.0.0.1".into()];
        let mut s = UiState::new(None);
        s.apply(Action::NextFocus, &rows(&keys));
        assert_eq!(s.focus, Focus::Heatmap);
        s.apply(Action::Back, &rows(&keys));
        assert_eq!(s.focus, Focus::Talkers, "Esc with nothing open");
        s.apply(Action::NextFocus, &rows(&keys));
        s.apply(Action::OpenFilter, &rows(&keys));
        for c in "action=REJECT".chars() {
            s.apply(Action::Edit(EditKey::Insert(c)), &rows(&keys));
        }
        s.apply(Action::Edit(EditKey::Submit), &rows(&keys));
        assert!(s.filter.is_some());
        assert_eq!(s.focus, Focus::Talkers, "a new filter");
        s.apply(Action::Enter, &rows(&keys));
        assert_eq!(s.drill.len(), 1);
        assert_eq!(s.drill[0].title, "src 10.0.0.1");
    }

    #[test]
    fn selection_stays_inside_the_list() {
        let keys: Vec<String> = (0..3).map(|i| format!("10.0.0.{i}")).collect();
        let mut s = UiState::new(None);
        s.apply(Action::Up, &rows(&keys));
        assert_eq!(s.selected, 0);
        for _ in 0..5 {
            s.apply(Action::Down, &rows(&keys));
        }
        assert_eq!(s.selected, 2);
        s.apply(Action::First, &rows(&keys));
        assert_eq!(s.selected, 0);
        s.apply(Action::PageDown, &rows(&keys));
        assert_eq!(s.selected, 2);
        s.apply(Action::Down, &rows(&[]));
        assert_eq!(s.selected, 0);
    }

    #[test]
    fn enter_drills_into_the_selected_talker_and_esc_backs_out() {
        let keys = vec!["10.0.0.1".to_string(), "10.0.0.2".to_string()];
        let mut s = UiState::new(None);
        s.apply(Action::Down, &rows(&keys));
        assert_eq!(
            s.apply(Action::Enter, &rows(&keys)),
            vec![Effect::InspectorChanged]
        );
        assert_eq!(s.drill.len(), 1);
        assert_eq!(s.drill[0].title, "src 10.0.0.2");
        assert_eq!(*s.drill[0].key, Filter::parse("src=10.0.0.2").unwrap());
        // The inspector's rows now take the arrows.
        let row = |t: &str, p: u16| {
            Some(Drillable {
                title: t.to_string(),
                key: Arc::new(Filter::parse(&format!("dstport={p}")).unwrap()),
                port: Some(p),
            })
        };
        let conv = [row("a", 1), row("b", 2)];
        let in_inspector = Rows {
            inspector: &conv,
            ..rows(&keys)
        };
        s.apply(Action::Down, &in_inspector);
        assert_eq!((s.selected, s.drill[0].selected), (1, 1));
        s.apply(Action::Enter, &in_inspector);
        assert_eq!(s.drill.len(), 2);
        assert_eq!((s.drill[1].title.as_str(), s.drill[1].port), ("b", Some(2)));
        assert_eq!(
            s.apply(Action::Back, &rows(&keys)),
            vec![Effect::InspectorChanged]
        );
        assert_eq!(s.apply(Action::Back, &rows(&keys)), vec![]);
        assert!(s.drill.is_empty());
    }

    #[test]
    fn every_dimension_drills_with_a_filter_that_parses() {
        for (dim, key, want) in [
            (Dimension::Src, "10.0.0.1", "src=10.0.0.1"),
            (Dimension::Dst, "2001:db8::1", "dst=2001:db8::1"),
            (
                Dimension::Pair,
                "10.0.0.1 -> 10.0.0.2",
                "src=10.0.0.1 dst=10.0.0.2",
            ),
            (Dimension::DstPort, "443", "dstport=443"),
            (
                Dimension::Interface,
                "eni-0a1b2c3d",
                "interface=eni-0a1b2c3d",
            ),
            (Dimension::Protocol, "6", "proto=6"),
        ] {
            let t = drill_target(dim, key).unwrap();
            assert_eq!(*t.key, Filter::parse(want).unwrap(), "{want}");
        }
        let hostile = drill_target(Dimension::Interface, "eni-\u{1b}[2J x");
        if let Err(why) = hostile {
            assert!(!why.contains('\u{1b}'));
        }
    }

    #[test]
    fn the_filter_bar_validates_as_you_type_and_applies_on_enter() {
        let mut s = UiState::new(None);
        s.apply(Action::OpenFilter, &Rows::default());
        assert_eq!(s.input_mode(), InputMode::Editing);
        for c in "dstport=".chars() {
            s.apply(Action::Edit(EditKey::Insert(c)), &Rows::default());
        }
        assert!(s.filter_bar.error.is_some(), "a value is missing");
        // Enter on an invalid expression keeps the bar open and applies nothing.
        assert!(
            s.apply(Action::Edit(EditKey::Submit), &Rows::default())
                .is_empty()
        );
        assert!(s.filter_bar.editing && s.filter.is_none());
        s.apply(Action::Edit(EditKey::Insert('2')), &Rows::default());
        s.apply(Action::Edit(EditKey::Insert('2')), &Rows::default());
        assert!(s.filter_bar.error.is_none());
        assert_eq!(
            s.apply(Action::Edit(EditKey::Submit), &Rows::default()),
            vec![Effect::ViewChanged]
        );
        assert_eq!(s.input_mode(), InputMode::Normal);
        assert!(s.filter.is_some() && s.needs_query());
        assert_eq!(
            s.apply(Action::ClearFilter, &Rows::default()),
            vec![Effect::ViewChanged]
        );
        assert!(s.filter.is_none());
    }

    #[test]
    fn filter_history_walks_back_and_returns_to_the_draft() {
        let mut s = UiState::new(None);
        let r = Rows::default();
        for text in ["action=REJECT", "dstport=22"] {
            s.apply(Action::OpenFilter, &r);
            s.apply(Action::Edit(EditKey::ClearLine), &r);
            for c in text.chars() {
                s.apply(Action::Edit(EditKey::Insert(c)), &r);
            }
            s.apply(Action::Edit(EditKey::Submit), &r);
        }
        s.apply(Action::OpenFilter, &r);
        s.apply(Action::Edit(EditKey::ClearLine), &r);
        s.apply(Action::Edit(EditKey::Insert('x')), &r);
        s.apply(Action::Edit(EditKey::HistoryPrev), &r);
        assert_eq!(s.filter_bar.input, "dstport=22");
        s.apply(Action::Edit(EditKey::HistoryPrev), &r);
        s.apply(Action::Edit(EditKey::HistoryPrev), &r);
        assert_eq!(s.filter_bar.input, "action=REJECT");
        s.apply(Action::Edit(EditKey::HistoryNext), &r);
        s.apply(Action::Edit(EditKey::HistoryNext), &r);
        assert_eq!(s.filter_bar.input, "x");
    }

    #[test]
    fn editing_handles_multibyte_characters() {
        let mut bar = FilterBar::default();
        for c in ['é', 'ß', 'x'] {
            bar.edit(EditKey::Insert(c));
        }
        bar.edit(EditKey::Left);
        bar.edit(EditKey::Backspace);
        assert_eq!(bar.input, "éx");
        bar.edit(EditKey::Home);
        bar.edit(EditKey::Delete);
        assert_eq!(bar.input, "x");
        bar.edit(EditKey::Insert('\u{1b}'));
        assert_eq!(bar.input, "x", "control characters are not typed");
    }

    #[test]
    fn replay_keys_send_clock_commands() {
        let mut s = UiState::new(Some(Speed::Times(500.0)));
        let r = Rows::default();
        assert_eq!(
            s.apply(Action::Faster, &r),
            vec![Effect::Replay(ReplayCommand::Speed(Speed::Times(1000.0)))]
        );
        assert_eq!(
            s.apply(Action::Faster, &r),
            vec![Effect::Replay(ReplayCommand::Speed(Speed::Max))]
        );
        assert_eq!(
            s.apply(Action::Slower, &r),
            vec![Effect::Replay(ReplayCommand::Speed(Speed::Times(1000.0)))]
        );
        assert!(
            s.apply(Action::Step, &r).is_empty(),
            "no step while running"
        );
        assert_eq!(
            s.apply(Action::TogglePause, &r),
            vec![Effect::Replay(ReplayCommand::Pause)]
        );
        assert_eq!(
            s.apply(Action::Step, &r),
            vec![Effect::Replay(ReplayCommand::Step)]
        );
        assert_eq!(
            s.apply(Action::TogglePause, &r),
            vec![Effect::Replay(ReplayCommand::Resume)]
        );
        let mut slow = UiState::new(Some(Speed::Times(1.0)));
        slow.apply(Action::Slower, &r);
        assert_eq!(slow.replay.unwrap().speed, Speed::Times(1.0));
    }

    #[test]
    fn live_pause_freezes_the_view_without_clock_commands() {
        let mut s = UiState::new(None);
        assert!(s.apply(Action::TogglePause, &Rows::default()).is_empty());
        assert!(s.frozen);
        assert!(s.apply(Action::Faster, &Rows::default()).is_empty());
        assert!(s.message.is_some());
    }

    #[test]
    fn window_and_dimension_cycle() {
        let mut s = UiState::new(None);
        let r = Rows::default();
        let mut windows = vec![s.window];
        for _ in 0..4 {
            assert_eq!(s.apply(Action::CycleWindow, &r), vec![Effect::ViewChanged]);
            windows.push(s.window);
        }
        assert_eq!(
            windows,
            [
                Window::All,
                Window::FiveMinutes,
                Window::Hour,
                Window::Day,
                Window::All
            ]
        );
        let mut dims = Vec::new();
        for _ in 0..6 {
            dims.push(s.dimension);
            s.apply(Action::CycleDimension, &r);
        }
        assert_eq!(dims, Dimension::ALL);
        assert_eq!(s.dimension, Dimension::Src);
    }
}
