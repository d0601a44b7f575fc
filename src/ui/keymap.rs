//! Terminal events → [`Action`]s. One table ([`BINDINGS`]) drives both the key handling and
//! the help overlay, so the two cannot disagree. Keys follow htop/less/lnav habits.
//!
//! Never: changes state; [`super::app::UiState::apply`] does that with the action.

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind,
};

/// What the user asked for, whatever key or click said it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Leave vpctop.
    Quit,
    /// Selection up one row.
    Up,
    /// Selection down one row.
    Down,
    /// Selection up one page.
    PageUp,
    /// Selection down one page.
    PageDown,
    /// First row.
    First,
    /// Last row.
    Last,
    /// Drill into the selection.
    Enter,
    /// Back out one level (inspector), or close what is open.
    Back,
    /// Focus the next pane.
    NextFocus,
    /// Cycle the sort metric (bytes, packets, flows).
    CycleMetric,
    /// Cycle the top-talker dimension (src, dst, pair, dst port, interface, protocol).
    CycleDimension,
    /// Cycle the time window (5 m, 1 h, 24 h, all).
    CycleWindow,
    /// Pause or resume the replay clock (or freeze the live view).
    TogglePause,
    /// Replay faster.
    Faster,
    /// Replay slower.
    Slower,
    /// While paused, let one more record through.
    Step,
    /// Open the filter bar.
    OpenFilter,
    /// Clear the applied filter.
    ClearFilter,
    /// Show or hide the help overlay.
    ToggleHelp,
    /// Show or hide the inputs overlay (every source with its state, the malformed lines).
    ToggleInputs,
    /// Open or close the alert list.
    ToggleAlerts,
    /// Open or close the queries pane: the view as Athena SQL and Logs Insights.
    ToggleQueries,
    /// Queries pane: show the other engine's query.
    OtherQuery,
    /// Queries pane: copy the shown query to the clipboard (OSC 52).
    CopyQuery,
    /// Queries pane: write both queries to a file.
    WriteQueries,
    /// Close whichever overlay is open.
    CloseOverlay,
    /// Show the inspector's next diagnosis finding.
    NextFinding,
    /// A key typed into the filter bar.
    Edit(EditKey),
    /// A mouse click at a screen cell.
    Click {
        /// Column.
        column: u16,
        /// Row.
        row: u16,
    },
    /// Mouse wheel up.
    ScrollUp,
    /// Mouse wheel down.
    ScrollDown,
    /// The terminal changed size: draw again.
    Redraw,
}

/// Editing keys of the filter bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKey {
    /// Type a character at the cursor.
    Insert(char),
    /// Delete before the cursor.
    Backspace,
    /// Delete at the cursor.
    Delete,
    /// Cursor left.
    Left,
    /// Cursor right.
    Right,
    /// Cursor to the start.
    Home,
    /// Cursor to the end.
    End,
    /// Clear the line (Ctrl-U).
    ClearLine,
    /// Older history entry.
    HistoryPrev,
    /// Newer history entry.
    HistoryNext,
    /// Apply the expression.
    Submit,
    /// Close the bar, keeping the filter that was applied before.
    Cancel,
}

/// What keys mean right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputMode {
    /// The dashboard.
    Normal,
    /// Typing into the filter bar.
    Editing,
    /// The help overlay is open.
    Help,
    /// The queries pane is open.
    Queries,
}

/// One line of the key map: the keys, what they do, and how help shows them.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// Keys without modifiers (Shift is implied by the character).
    pub keys: &'static [KeyCode],
    /// The action.
    pub action: Action,
    /// The keys as help shows them.
    pub label: &'static str,
    /// What help says they do.
    pub help: &'static str,
}

const fn bind(
    keys: &'static [KeyCode],
    action: Action,
    label: &'static str,
    help: &'static str,
) -> Binding {
    Binding {
        keys,
        action,
        label,
        help,
    }
}

/// The dashboard's key map (Ctrl-C always quits as well).
pub const BINDINGS: &[Binding] = &[
    bind(&[KeyCode::Char('q')], Action::Quit, "q  Ctrl-C", "quit"),
    bind(
        &[KeyCode::Char('?'), KeyCode::F(1)],
        Action::ToggleHelp,
        "?  F1",
        "this help",
    ),
    bind(
        &[KeyCode::Up, KeyCode::Char('k')],
        Action::Up,
        "↑ k",
        "select previous row",
    ),
    bind(
        &[KeyCode::Down, KeyCode::Char('j')],
        Action::Down,
        "↓ j",
        "select next row",
    ),
    bind(
        &[KeyCode::PageUp, KeyCode::Char('b')],
        Action::PageUp,
        "PgUp b",
        "page up",
    ),
    bind(
        &[KeyCode::PageDown, KeyCode::Char('f')],
        Action::PageDown,
        "PgDn f",
        "page down",
    ),
    bind(
        &[KeyCode::Home, KeyCode::Char('g')],
        Action::First,
        "Home g",
        "first row",
    ),
    bind(
        &[KeyCode::End, KeyCode::Char('G')],
        Action::Last,
        "End G",
        "last row",
    ),
    bind(
        &[KeyCode::Enter, KeyCode::Right, KeyCode::Char('l')],
        Action::Enter,
        "Enter → l",
        "drill down: talker → conversations → records",
    ),
    bind(
        &[
            KeyCode::Esc,
            KeyCode::Left,
            KeyCode::Char('h'),
            KeyCode::Backspace,
        ],
        Action::Back,
        "Esc ← h",
        "back up one level",
    ),
    bind(
        &[KeyCode::Tab, KeyCode::BackTab],
        Action::NextFocus,
        "Tab",
        "focus next pane (talkers, port heatmap)",
    ),
    bind(
        &[KeyCode::Char('s')],
        Action::CycleMetric,
        "s",
        "sort by bytes / packets / flows",
    ),
    bind(
        &[KeyCode::Char('d')],
        Action::CycleDimension,
        "d",
        "group by src dst pair port eni proto (+ subnet vpc sg az …)",
    ),
    bind(
        &[KeyCode::Char('t')],
        Action::CycleWindow,
        "t",
        "time window: all / 5m / 1h / 24h",
    ),
    bind(
        &[KeyCode::Char('/')],
        Action::OpenFilter,
        "/",
        "filter, e.g. action=REJECT dstport=22 src=10.0.0.0/8",
    ),
    bind(
        &[KeyCode::Char('c'), KeyCode::Char('\\')],
        Action::ClearFilter,
        "c \\",
        "clear the filter",
    ),
    bind(
        &[KeyCode::Char(' '), KeyCode::Char('p')],
        Action::TogglePause,
        "Space p",
        "pause / resume (replay clock, or freeze the live view)",
    ),
    bind(
        &[KeyCode::Char('+'), KeyCode::Char('=')],
        Action::Faster,
        "+",
        "replay faster (×2, up to 1000×, then max)",
    ),
    bind(
        &[KeyCode::Char('-'), KeyCode::Char('_')],
        Action::Slower,
        "-",
        "replay slower (÷2, down to 1×)",
    ),
    bind(
        &[KeyCode::Char('.')],
        Action::Step,
        ".",
        "replay: next record while paused",
    ),
    bind(
        &[KeyCode::Char('n')],
        Action::NextFinding,
        "n",
        "inspector: next finding of the diagnosis",
    ),
    bind(
        &[KeyCode::Char('i')],
        Action::ToggleInputs,
        "i",
        "inputs: every source with its state, and the malformed lines",
    ),
    bind(
        &[KeyCode::Char('a')],
        Action::ToggleAlerts,
        "a",
        "alerts: the list, newest first; Enter opens one's records",
    ),
    bind(
        &[KeyCode::Char('x')],
        Action::ToggleQueries,
        "x",
        "the view as Athena / Logs Insights queries: c copy, w write",
    ),
];

/// The action `event` means in `mode`, if any.
pub fn action_for(event: &Event, mode: InputMode) -> Option<Action> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => key_action(key, mode),
        Event::Mouse(mouse) if mode != InputMode::Help => mouse_action(mouse),
        Event::Resize(..) => Some(Action::Redraw),
        _ => None,
    }
}

fn key_action(key: &KeyEvent, mode: InputMode) -> Option<Action> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && matches!(key.code, KeyCode::Char('c' | 'C')) {
        return Some(Action::Quit);
    }
    match mode {
        InputMode::Editing => edit_action(key, ctrl).map(Action::Edit),
        InputMode::Help => match key.code {
            KeyCode::Char('q') => Some(Action::Quit),
            _ => Some(Action::CloseOverlay),
        },
        InputMode::Queries => match key.code {
            KeyCode::Char('q') => Some(Action::Quit),
            KeyCode::Tab | KeyCode::Left | KeyCode::Right => Some(Action::OtherQuery),
            KeyCode::Char('c' | 'y') => Some(Action::CopyQuery),
            KeyCode::Char('w') => Some(Action::WriteQueries),
            KeyCode::Up | KeyCode::Char('k') => Some(Action::Up),
            KeyCode::Down | KeyCode::Char('j') => Some(Action::Down),
            KeyCode::Esc | KeyCode::Char('x') => Some(Action::ToggleQueries),
            _ => None,
        },
        InputMode::Normal => {
            if ctrl || key.modifiers.contains(KeyModifiers::ALT) {
                return None;
            }
            BINDINGS
                .iter()
                .find(|b| b.keys.contains(&key.code))
                .map(|b| b.action)
        }
    }
}

fn edit_action(key: &KeyEvent, ctrl: bool) -> Option<EditKey> {
    Some(match key.code {
        KeyCode::Char('u') if ctrl => EditKey::ClearLine,
        KeyCode::Char('a') if ctrl => EditKey::Home,
        KeyCode::Char('e') if ctrl => EditKey::End,
        KeyCode::Char(_) if ctrl => return None,
        KeyCode::Char(c) => EditKey::Insert(c),
        KeyCode::Backspace => EditKey::Backspace,
        KeyCode::Delete => EditKey::Delete,
        KeyCode::Left => EditKey::Left,
        KeyCode::Right => EditKey::Right,
        KeyCode::Home => EditKey::Home,
        KeyCode::End => EditKey::End,
        KeyCode::Up => EditKey::HistoryPrev,
        KeyCode::Down => EditKey::HistoryNext,
        KeyCode::Enter => EditKey::Submit,
        KeyCode::Esc => EditKey::Cancel,
        _ => return None,
    })
}

fn mouse_action(mouse: &MouseEvent) -> Option<Action> {
    match mouse.kind {
        MouseEventKind::Down(crossterm::event::MouseButton::Left) => Some(Action::Click {
            column: mouse.column,
            row: mouse.row,
        }),
        MouseEventKind::ScrollUp => Some(Action::ScrollUp),
        MouseEventKind::ScrollDown => Some(Action::ScrollDown),
        _ => None,
    }
}

/// Whether a key named as VHS and tmux name keys (`q`, `Enter`, `Escape`, `Tab`, `Up`,
/// `Ctrl+C`, `/`, …) does something on the dashboard: what keeps `demo.tape` honest.
pub fn is_bound(name: &str) -> bool {
    let code = match name {
        "Enter" => KeyCode::Enter,
        "Escape" | "Esc" => KeyCode::Esc,
        "Tab" => KeyCode::Tab,
        "Up" => KeyCode::Up,
        "Down" => KeyCode::Down,
        "Left" => KeyCode::Left,
        "Right" => KeyCode::Right,
        "Space" => KeyCode::Char(' '),
        "Backspace" => KeyCode::Backspace,
        "PageUp" => KeyCode::PageUp,
        "PageDown" => KeyCode::PageDown,
        "Ctrl+C" | "C-c" => return true,
        other => {
            let mut chars = other.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => KeyCode::Char(c),
                _ => return false,
            }
        }
    };
    BINDINGS.iter().any(|b| b.keys.contains(&code))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> Event {
        Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn ctrl(c: char) -> Event {
        Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
    }

    #[test]
    fn dashboard_keys_follow_htop_and_less() {
        let n = InputMode::Normal;
        let cases = [
            (key(KeyCode::Char('q')), Action::Quit),
            (ctrl('c'), Action::Quit),
            (key(KeyCode::Char('j')), Action::Down),
            (key(KeyCode::Down), Action::Down),
            (key(KeyCode::Char('k')), Action::Up),
            (key(KeyCode::Enter), Action::Enter),
            (key(KeyCode::Esc), Action::Back),
            (key(KeyCode::Tab), Action::NextFocus),
            (key(KeyCode::Char('s')), Action::CycleMetric),
            (key(KeyCode::Char('d')), Action::CycleDimension),
            (key(KeyCode::Char('t')), Action::CycleWindow),
            (key(KeyCode::Char('/')), Action::OpenFilter),
            (key(KeyCode::Char('?')), Action::ToggleHelp),
            (key(KeyCode::Char(' ')), Action::TogglePause),
            (key(KeyCode::Char('+')), Action::Faster),
            (key(KeyCode::Char('-')), Action::Slower),
            (key(KeyCode::Char('.')), Action::Step),
        ];
        for (event, want) in cases {
            assert_eq!(action_for(&event, n), Some(want), "{event:?}");
        }
        assert_eq!(action_for(&key(KeyCode::Char('z')), n), None);
        assert_eq!(action_for(&ctrl('j'), n), None, "Ctrl-J is not j");
    }

    #[test]
    fn the_filter_bar_takes_every_printable_key_but_ctrl_c_still_quits() {
        let e = InputMode::Editing;
        for c in ['q', 'j', '/', '?', ' ', '=', 'é'] {
            assert_eq!(
                action_for(&key(KeyCode::Char(c)), e),
                Some(Action::Edit(EditKey::Insert(c)))
            );
        }
        assert_eq!(action_for(&ctrl('c'), e), Some(Action::Quit));
        assert_eq!(
            action_for(&key(KeyCode::Enter), e),
            Some(Action::Edit(EditKey::Submit))
        );
        assert_eq!(
            action_for(&key(KeyCode::Up), e),
            Some(Action::Edit(EditKey::HistoryPrev))
        );
        assert_eq!(
            action_for(&ctrl('u'), e),
            Some(Action::Edit(EditKey::ClearLine))
        );
    }

    #[test]
    fn any_key_closes_help_and_q_still_quits() {
        let h = InputMode::Help;
        assert_eq!(
            action_for(&key(KeyCode::Esc), h),
            Some(Action::CloseOverlay)
        );
        assert_eq!(
            action_for(&key(KeyCode::Char('x')), h),
            Some(Action::CloseOverlay)
        );
        assert_eq!(action_for(&key(KeyCode::Char('q')), h), Some(Action::Quit));
    }

    #[test]
    fn key_releases_are_ignored_and_mouse_clicks_select() {
        let mut release = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        release.kind = KeyEventKind::Release;
        assert_eq!(action_for(&Event::Key(release), InputMode::Normal), None);
        let click = Event::Mouse(MouseEvent {
            kind: MouseEventKind::Down(crossterm::event::MouseButton::Left),
            column: 3,
            row: 7,
            modifiers: KeyModifiers::NONE,
        });
        assert_eq!(
            action_for(&click, InputMode::Normal),
            Some(Action::Click { column: 3, row: 7 })
        );
    }

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen = Vec::new();
        for b in BINDINGS {
            for k in b.keys {
                assert!(!seen.contains(k), "{k:?} bound twice");
                seen.push(*k);
            }
        }
    }

    #[test]
    fn tape_key_names_resolve() {
        for name in ["q", "Enter", "Escape", "Tab", "d", "/", "Ctrl+C", "Down"] {
            assert!(is_bound(name), "{name}");
        }
        assert!(!is_bound("z"));
        assert!(!is_bound("F13"));
    }
}
