//! `demo.tape` cannot rot: every key it presses after starting vpctop is replayed through
//! the dashboard's key map and state, and must do something there.
// Test code: an unwrap that fails is a test that fails, with its line.
#![allow(clippy::unwrap_used)]

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use vpctop::ui::app::{Rows, UiState};
use vpctop::ui::keymap::{Action, InputMode, action_for, is_bound};

/// The tape's key presses after the command that starts vpctop, as terminal events.
fn tape_keys(tape: &str) -> Vec<(String, Event)> {
    let key = |code| Event::Key(KeyEvent::new(code, KeyModifiers::NONE));
    let mut started = false;
    let mut keys = Vec::new();
    for line in tape.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (command, rest) = line.split_once(' ').unwrap_or((line, ""));
        let mut presses: Vec<(String, Event)> = match command {
            "Type" => {
                let text = rest.trim().trim_matches('"');
                text.chars()
                    .map(|c| (c.to_string(), key(KeyCode::Char(c))))
                    .collect()
            }
            "Enter" => vec![("Enter".into(), key(KeyCode::Enter))],
            "Escape" => vec![("Escape".into(), key(KeyCode::Esc))],
            "Tab" => vec![("Tab".into(), key(KeyCode::Tab))],
            "Up" => vec![("Up".into(), key(KeyCode::Up))],
            "Down" => vec![("Down".into(), key(KeyCode::Down))],
            "Left" => vec![("Left".into(), key(KeyCode::Left))],
            "Right" => vec![("Right".into(), key(KeyCode::Right))],
            "Space" => vec![("Space".into(), key(KeyCode::Char(' ')))],
            "Backspace" => vec![("Backspace".into(), key(KeyCode::Backspace))],
            "Ctrl+C" => vec![(
                "Ctrl+C".into(),
                Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            )],
            "Output" | "Set" | "Sleep" | "Require" | "Hide" | "Show" | "Source" | "Env" => {
                Vec::new()
            }
            other => panic!("demo.tape: unknown VHS command {other:?}"),
        };
        if !started {
            // Everything up to the Enter that runs vpctop is typed into the shell.
            if command == "Enter" {
                started = true;
            }
            continue;
        }
        keys.append(&mut presses);
    }
    keys
}

#[test]
fn every_key_the_tape_presses_is_bound() {
    let tape = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/demo.tape"))
        .expect("demo.tape");
    let keys = tape_keys(&tape);
    assert!(keys.len() > 10, "the tape presses keys");
    let mut state = UiState::new(None);
    let rows = Rows::default();
    let mut quit = false;
    for (name, event) in &keys {
        assert!(!quit, "the tape presses {name:?} after quitting");
        let mode = state.input_mode();
        let action = action_for(event, mode);
        match mode {
            InputMode::Normal => {
                assert!(
                    is_bound(name),
                    "demo.tape presses {name:?}, which is not bound"
                );
                assert!(action.is_some(), "{name:?} does nothing on the dashboard");
            }
            // Typing into the filter bar and closing help take any key; the queries pane
            // takes its own.
            InputMode::Editing | InputMode::Help | InputMode::Queries => {
                assert!(action.is_some(), "{name:?}")
            }
        }
        if let Some(action) = action {
            quit |= action == Action::Quit;
            for effect in state.apply(action, &rows) {
                if effect == vpctop::ui::app::Effect::ComposeQueries {
                    let v2 = vpctop::schema::Schema::default_v2();
                    state.queries = Some(vpctop::ui::app::compose_queries(
                        &state, None, &v2, None, 10,
                    ));
                }
            }
        }
    }
    assert!(quit, "the tape ends by quitting");
    assert_eq!(
        state.filter.as_ref().map(ToString::to_string),
        Some(
            vpctop::filter::Filter::parse("action=REJECT")
                .unwrap()
                .to_string()
        ),
        "the filter the tape types parses and is applied"
    );
}

#[test]
fn an_unbound_key_in_a_tape_is_caught() {
    let keys = tape_keys("Type \"vpctop demo\"\nEnter\nType \"z\"\n");
    assert_eq!(keys.len(), 1);
    let (name, event) = &keys[0];
    assert!(!is_bound(name));
    assert_eq!(action_for(event, InputMode::Normal), None);
}
