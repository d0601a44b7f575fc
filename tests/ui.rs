//! Dashboard rendering: every pane and the whole screen at 80×24 and 120×40, in colour and
//! monochrome, drawn into ratatui's `TestBackend` from fixed data (a generated file read by
//! the real ingest and store; no clocks) and snapshotted with `insta`.
// Test code: an unwrap that fails is a test that fails, with its line.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use common::flows::{Rng, generate};
use vpctop::filter::Filter;
use vpctop::pipeline::{IngestConfig, aggregate_and_retain};
use vpctop::schema::Schema;
use vpctop::snapshot::{Rates, Retention, Snapshot, SourceStatus};
use vpctop::source::status::{Mechanism, SourceState};
use vpctop::source::{InputRegistry, InputSpec};
use vpctop::store::Store;
use vpctop::ui::app::{UiState, Window};
use vpctop::ui::keymap::{Action, EditKey};
use vpctop::ui::panes::{self, View};
use vpctop::ui::queries::{self, InspectRequest, InspectorData, QueryContext};
use vpctop::ui::theme::{ColorMode, Theme};
use vpctop::units::utc;

/// The scanner, the ACL victim and the brute-forcer of the fixture.
const CLIENT: &str = "203.0.113.7";
const SERVER: &str = "10.0.0.3";
const BRUTE: &str = "198.51.100.9";

/// Everything a frame is drawn from.
struct Fixture {
    live: Snapshot,
    shown: Snapshot,
    context: QueryContext,
    _dir: tempfile::TempDir,
}

fn fixture_lines() -> String {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut text = String::new();
    for r in generate(&mut rng, 3000) {
        text.push_str(&r.line());
        text.push('\n');
    }
    let t = 1_700_000_000u64;
    for i in 0..40u64 {
        let (start, end) = (t + i * 60, t + i * 60 + 50);
        let cport = 51_000 + i;
        // Requests accepted, replies rejected: a network ACL denying return traffic.
        text.push_str(&format!(
            "2 123456789012 eni-0acl {CLIENT} {SERVER} {cport} 443 6 10 5200 {start} {end} ACCEPT OK\n"
        ));
        text.push_str(&format!(
            "2 123456789012 eni-0acl {SERVER} {CLIENT} 443 {cport} 6 8 4100 {start} {end} REJECT OK\n"
        ));
        // An SSH brute force, every attempt rejected.
        text.push_str(&format!(
            "2 123456789012 eni-0ssh {BRUTE} {SERVER} {} 22 6 3 180 {start} {end} REJECT OK\n",
            40_000 + i * 7
        ));
    }
    // A hostile malformed line: its escape sequence must never reach the screen.
    text.push_str("2 123456789012 eni-\u{1b}[2J\u{1b}]0;pwned\u{7} bad line\n");
    text
}

fn fixture() -> Fixture {
    fixture_of(&fixture_lines(), 1 << 30)
}

/// `text` read into a store of `memory` bytes.
fn fixture_of(text: &str, memory: usize) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("flows.log");
    std::fs::write(&path, text).expect("write fixture");
    let inputs = vec![InputSpec::File(path)];
    let schema = Arc::new(Schema::default_v2());
    let mut config = IngestConfig::new(Arc::clone(&schema));
    config.workers = 2;
    let store = Store::new(memory);
    let (agg, errors) = aggregate_and_retain(&inputs, &config, None, Some(Arc::clone(&store)));
    assert!(errors.is_empty(), "{errors:?}");
    let mut live = Snapshot::of(&agg, 7, Rates::default(), true);
    live.retention = Some(Retention::of(&store));
    live.sources = vec![SourceStatus {
        name: "flows.log".into(),
        state: SourceState::Done,
        mechanism: Mechanism::Polling,
        error: None,
        bytes: agg.counts.bytes,
        lines: agg.counts.lines,
        records: agg.counts.records,
        malformed: agg.counts.malformed,
    }];
    let shown = queries::view_snapshot(&store.state(), None, None, 2, Default::default());
    let context = QueryContext {
        store,
        inputs: inputs.into(),
        // Shown names are fixed, whatever the temporary directory is called.
        registry: InputRegistry::new(vec!["flows.log".into()]),
        schema,
        threads: 2,
        inventory: None,
        prices: vpctop::inventory::prices::Prices::LIST,
    };
    Fixture {
        live,
        shown,
        context,
        _dir: dir,
    }
}

fn theme(color: bool) -> Theme {
    Theme::new(if color {
        ColorMode::Ansi16
    } else {
        ColorMode::Monochrome
    })
}

/// Draws one frame and returns the buffer.
fn frame(w: u16, h: u16, state: &UiState, view: &View<'_>, color: bool) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    terminal
        .draw(|f| {
            panes::draw(
                f,
                state,
                view,
                &panes::ViewRows::of(state, view),
                &theme(color),
            );
        })
        .expect("draw");
    terminal.backend().buffer().clone()
}

fn text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in 0..area.height {
        for x in 0..area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// Checks what must hold in every frame, then snapshots it: text for monochrome, text and
/// style runs for colour.
fn check(name: &str, buf: &Buffer, color: bool) {
    let t = text(buf);
    assert!(
        !t.chars().any(|c| c.is_control() && c != '\n'),
        "{name}: a control character reached the screen"
    );
    if !color {
        for cell in &buf.content {
            assert_eq!(
                (cell.fg, cell.bg),
                (ratatui::style::Color::Reset, ratatui::style::Color::Reset),
                "{name}: monochrome frames set no colour"
            );
        }
        insta::assert_snapshot!(name, t);
    } else {
        insta::assert_snapshot!(name, format!("{buf:?}"));
    }
}

fn view<'a>(f: &'a Fixture, inspector: Option<&'a InspectorData>) -> View<'a> {
    View {
        live: &f.live,
        shown: &f.shown,
        updating: false,
        inspector,
        wall_now: f.live.last_end.unwrap_or(0) + 125,
        base_filter: None,
        inventory: f.context.inventory.as_deref(),
    }
}

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn each_look(mut draw: impl FnMut(u16, u16, bool, &str)) {
    for (w, h) in SIZES {
        for color in [true, false] {
            let look = format!("{w}x{h}_{}", if color { "color" } else { "mono" });
            draw(w, h, color, &look);
        }
    }
}

#[test]
fn dashboard_shows_every_pane_at_both_sizes() {
    let f = fixture();
    let state = UiState::new(None);
    each_look(|w, h, color, look| {
        let buf = frame(w, h, &state, &view(&f, None), color);
        let t = text(&buf);
        for must in [
            "Top source by bytes",
            "REJECT now",
            "▒rej",
            "Ports x time",
            "malformed",
        ] {
            assert!(t.contains(must), "{look}: {must:?} missing\n{t}");
        }
        // The chart's legend keeps its values whole at any width (its max is the last).
        let legend = t.lines().find(|l| l.contains("▒rej")).unwrap_or_default();
        assert!(
            legend.contains("max ") && !legend.contains('…'),
            "{look}: {legend}"
        );
        let top = &f
            .shown
            .top(vpctop::core::Dimension::Src, vpctop::core::Metric::Bytes)[0]
            .key;
        assert!(t.contains(top.as_str()), "{look}: the top talker is shown");
        check(&format!("dashboard_{look}"), &buf, color);
    });
}

#[test]
fn ports_grouping_and_a_selection_draw_at_both_sizes() {
    let f = fixture();
    let mut state = UiState::new(None);
    let rows = panes::ViewRows::of(&state, &view(&f, None));
    let r = vpctop::ui::app::Rows {
        talkers: &rows.talkers,
        page: 5,
        ..Default::default()
    };
    for _ in 0..3 {
        state.apply(Action::CycleDimension, &r);
    }
    state.apply(Action::CycleMetric, &r);
    state.apply(Action::Down, &r);
    state.apply(Action::NextFocus, &r);
    each_look(|w, h, color, look| {
        let buf = frame(w, h, &state, &view(&f, None), color);
        let t = text(&buf);
        assert!(t.contains("Top destination port by packets"), "{look}\n{t}");
        assert!(t.contains("22 ssh"), "{look}: well-known ports are named");
        check(&format!("ports_{look}"), &buf, color);
    });
}

#[test]
fn filter_bar_shows_the_error_column_while_typing() {
    let f = fixture();
    let mut state = UiState::new(None);
    let r = vpctop::ui::app::Rows::default();
    state.apply(Action::OpenFilter, &r);
    for c in "action=REJECT dstport=".chars() {
        state.apply(Action::Edit(EditKey::Insert(c)), &r);
    }
    each_look(|w, h, color, look| {
        let buf = frame(w, h, &state, &view(&f, None), color);
        let last = text(&buf).lines().last().unwrap_or("").to_string();
        assert!(
            last.starts_with("/ action=REJECT dstport="),
            "{look}: {last}"
        );
        assert!(last.contains("col 23"), "{look}: {last}");
        check(&format!("filter_error_{look}"), &buf, color);
    });
}

#[test]
fn a_filtered_view_draws_only_matching_flows() {
    let f = fixture();
    let mut state = UiState::new(None);
    state.filter = Some(Arc::new(Filter::parse("action=REJECT dstport=22").unwrap()));
    state.window = Window::Hour;
    state.metric = vpctop::core::Metric::Flows;
    let end = f.live.last_end.unwrap();
    let shown = queries::view_snapshot(
        &f.context.store.state(),
        state.filter.clone(),
        Some((end - 3600, u64::MAX)),
        2,
        Default::default(),
    );
    assert_eq!(shown.accept.flows, 0);
    let v = View {
        shown: &shown,
        ..view(&f, None)
    };
    each_look(|w, h, color, look| {
        let buf = frame(w, h, &state, &v, color);
        let t = text(&buf);
        assert!(t.contains("filter action=REJECT"), "{look}\n{t}");
        let first_row = t.lines().find(|l| l.contains("┃1   ")).unwrap_or("");
        assert!(
            first_row.contains(BRUTE),
            "{look}: the brute-forcer leads\n{t}"
        );
        assert!(t.contains("REJECT now 100.0% = was 100.0%"), "{look}\n{t}");
        assert!(t.contains("all 100.0%"), "{look}\n{t}");
        check(&format!("filtered_{look}"), &buf, color);
    });
}

fn inspect(f: &Fixture, state: &UiState) -> InspectorData {
    let request = InspectRequest {
        generation: 0,
        talker: Arc::clone(&state.drill[0].key),
        scope: Arc::clone(&state.drill[0].scope),
        conversation: state.drill.get(1).map(|c| (Arc::clone(&c.key), c.port)),
        filter: None,
        since: None,
        metric: state.metric,
    };
    queries::inspect_level(&f.context.store.state(), &request, &f.context)
}

/// Enter on the first conversation of the inspector's first level.
fn enter_first_conversation(f: &Fixture, state: &mut UiState) {
    let first = inspect(f, state);
    let rows: Vec<_> = first
        .conversations
        .iter()
        .map(|c| {
            Some(vpctop::ui::app::Drillable {
                title: c.title.clone(),
                key: Arc::clone(&c.key),
                port: c.conversation.port,
            })
        })
        .collect();
    state.apply(
        Action::Enter,
        &vpctop::ui::app::Rows {
            inspector: &rows,
            ..Default::default()
        },
    );
}

/// The state after Enter on `key` in the source list.
fn drilled_into(key: &str) -> UiState {
    let mut state = UiState::new(None);
    let keys = [key.to_string()];
    let rows = vpctop::ui::app::Rows {
        talkers: &keys,
        ..Default::default()
    };
    state.apply(Action::Enter, &rows);
    assert_eq!(state.drill.len(), 1);
    state
}

#[test]
fn with_an_inventory_the_inspector_names_the_rule_behind_the_reject() {
    let f = inventory_fixture();
    let state = drilled_into("10.0.3.7");
    let data = inspect(&f, &state);
    assert_eq!(data.findings.len(), 1);
    let rules = data.findings[0]
        .rules
        .as_ref()
        .expect("judged by the inventory");
    assert!(rules.text().contains("rule 120 DENY tcp 5432"), "{rules:?}");
    each_look(|w, h, color, look| {
        let buf = frame(w, h, &state, &view(&f, Some(&data)), color);
        // The paragraph wraps inside the pane's border: read it without the border.
        let flat: String = text(&buf)
            .replace('┃', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            flat.contains("10.0.3.7 -> 10.0.2.20:5432/TCP: network ACL acl-0db (subnet subnet-0db (db-b)) rule 120 DENY"),
            "{look}\n{}",
            text(&buf)
        );
        check(&format!("inspector_rules_{look}"), &buf, color);
    });
}

/// tests/corpus/inventory-flows.log read with the account of tests/corpus/inventory.
fn inventory_fixture() -> Fixture {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let flows = std::fs::read_to_string(corpus.join("inventory-flows.log")).unwrap();
    let mut f = fixture_of(&flows, 1 << 30);
    let inventory = vpctop::inventory::Inventory::load(&[corpus.join("inventory")]).unwrap();
    f.context.inventory = Some(Arc::new(inventory));
    f
}

#[test]
fn with_an_inventory_talkers_carry_their_owners_names() {
    let f = inventory_fixture();
    let state = UiState::new(None);
    each_look(|w, h, color, look| {
        let buf = frame(w, h, &state, &view(&f, None), color);
        let t = text(&buf);
        assert!(t.contains("10.0.1.10 web-1 (i-0web1)"), "{look}\n{t}");
        assert!(t.contains("45.33.32.156 internet"), "{look}\n{t}");
        check(&format!("talkers_named_{look}"), &buf, color);
    });
}

#[test]
fn inspector_diagnoses_acl_return_traffic_and_lists_conversations() {
    let f = fixture();
    let state = drilled_into(CLIENT);
    let data = inspect(&f, &state);
    assert_eq!(data.conversations.len(), 1);
    assert_eq!(data.totals.flows, 40);
    each_look(|w, h, color, look| {
        let buf = frame(w, h, &state, &view(&f, Some(&data)), color);
        let t = text(&buf);
        assert!(t.contains("network ACL"), "{look}: diagnosis\n{t}");
        assert!(
            t.contains(&format!("{SERVER} :443/TCP https")),
            "{look}\n{t}"
        );
        // With room to spare, the key's own charts say when it happened and on which ports.
        if h >= 40 {
            let below: String = t
                .lines()
                .skip_while(|l| !l.contains(&format!("{SERVER} :443")))
                .collect();
            assert!(
                below.contains("ACCEPT/REJECT")
                    && below.contains("Ports x time")
                    && below.contains("443 https"),
                "{look}: the key's charts under its conversations\n{t}"
            );
        }
        check(&format!("inspector_conversations_{look}"), &buf, color);
    });
}

#[test]
fn inspector_shows_raw_records_with_file_and_line() {
    let f = fixture();
    let mut state = drilled_into(BRUTE);
    enter_first_conversation(&f, &mut state);
    assert_eq!(state.drill.len(), 2);
    let data = inspect(&f, &state);
    assert_eq!(data.records.len(), 40);
    let newest = &data.records[0];
    // 3000 generated lines, then 3 per minute: the last brute-force line is 3000 + 40 × 3.
    assert_eq!(newest.line, Some(3000 + 40 * 3));
    each_look(|w, h, color, look| {
        let buf = frame(w, h, &state, &view(&f, Some(&data)), color);
        let t = text(&buf);
        assert!(t.contains("flows.log:3120"), "{look}\n{t}");
        assert!(t.contains("security group or"), "{look}\n{t}");
        check(&format!("inspector_records_{look}"), &buf, color);
    });
}

#[test]
fn help_lists_every_binding() {
    let f = fixture();
    let mut state = UiState::new(None);
    state.help = true;
    each_look(|w, h, color, look| {
        let buf = frame(w, h, &state, &view(&f, None), color);
        let t = text(&buf);
        // Every key is on screen (pairs such as ↑ k / ↓ j share a row), and so are the last
        // rows, which no longer fall off at 80×24.
        for b in vpctop::ui::keymap::BINDINGS {
            assert!(t.contains(b.label), "{look}: help lacks {:?}", b.label);
        }
        assert!(
            t.contains("click selects a row"),
            "{look}: the mouse row\n{t}"
        );
        check(&format!("help_{look}"), &buf, color);
    });
}

#[test]
fn a_tiny_terminal_collapses_panes_instead_of_garbling() {
    let f = fixture();
    let state = UiState::new(None);
    let buf = frame(60, 7, &state, &view(&f, None), false);
    let t = text(&buf);
    assert!(t.contains("top source:"), "{t}");
    assert!(t.contains("ACCEPT/REJECT:"), "{t}");
    check("tiny_60x7_mono", &buf, false);
}

#[test]
fn while_following_the_status_bar_shows_rates_and_lag() {
    let mut f = fixture();
    f.live.complete = false;
    f.live.rates = Rates {
        lines_per_sec: 48_000.0,
        bytes_per_sec: 5_100_000.0,
    };
    let state = UiState::new(None);
    each_look(|w, h, color, look| {
        let buf = frame(w, h, &state, &view(&f, None), color);
        let t = text(&buf);
        let status: String = t.lines().take(2).collect();
        assert!(status.contains("48.0k/s 5.1 MB/s"), "{look}: {status}");
        assert!(status.contains("lag 2m 5s"), "{look}: {status}");
        check(&format!("following_{look}"), &buf, color);
    });
}

#[test]
fn eviction_is_said_plainly_at_80_columns() {
    // Regression: with a small --memory the inspector counted fewer flows than the talker list
    // and the only notice ("… evicted, complete from nothing") showed at 200 columns.
    // Three store segments' worth of older traffic, then the fixture; room for about one.
    let older: String = generate(&mut Rng(11), 150_000)
        .iter()
        .map(|r| r.line() + "\n")
        .collect();
    let f = fixture_of(&(older + &fixture_lines()), 6 << 20);
    let r = f.live.retention.expect("retention");
    assert!(r.evicted > 0, "the budget must evict: {r:?}");
    let state = drilled_into(CLIENT);
    let data = inspect(&f, &state);
    let since = match r.coverage {
        Some((from, _)) => format!("covers records since {}", &utc(from)[11..16]),
        None => "covers no retained records".to_string(),
    };
    let evicted = format!("{} older records evicted", vpctop::units::count(r.evicted));
    for color in [false, true] {
        let buf = frame(80, 24, &state, &view(&f, Some(&data)), color);
        let t = text(&buf);
        let status = t.lines().next().unwrap_or_default();
        let short = format!("{} evicted: views from", vpctop::units::count(r.evicted));
        assert!(status.contains(&short), "status bar: {status}");
        assert!(
            t.contains(&format!("{since}; {evicted}, raise --memory")),
            "inspector:\n{t}"
        );
    }
    // Without a store-backed view the live totals are whole: the notice yields to the rest.
    let buf = frame(80, 24, &UiState::new(None), &view(&f, None), false);
    let status = text(&buf).lines().next().unwrap_or_default().to_string();
    assert!(status.contains("records"), "{status}");
}

#[test]
fn a_filter_on_a_field_the_data_lacks_is_flagged() {
    // Regression: `tcp-flags=syn` on v2 data silently matched nothing.
    let f = fixture();
    let mut state = UiState::new(None);
    state.filter = Some(Arc::new(Filter::parse("tcp-flags=syn").unwrap()));
    let buf = frame(80, 24, &state, &view(&f, None), false);
    let status = text(&buf).lines().next().unwrap_or_default().to_string();
    assert!(
        status.contains("tcp-flags not in the data: filter matches nothing"),
        "{status}"
    );
    // A field the data has is not flagged.
    state.filter = Some(Arc::new(Filter::parse("dstport=22").unwrap()));
    let buf = frame(80, 24, &state, &view(&f, None), false);
    assert!(!text(&buf).contains("not in the data"));
}

#[test]
fn while_reading_the_status_bar_shows_the_share_read() {
    let mut f = fixture();
    f.live.complete = false;
    f.live.read_share = Some(0.45);
    let buf = frame(80, 24, &UiState::new(None), &view(&f, None), false);
    let status = text(&buf).lines().next().unwrap_or_default().to_string();
    assert!(status.contains("read 45%"), "{status}");
    f.live.complete = true;
    let buf = frame(80, 24, &UiState::new(None), &view(&f, None), false);
    assert!(
        !text(&buf).contains("read 45%"),
        "gone once everything is read"
    );
}

#[test]
fn the_inputs_overlay_lists_sources_and_malformed_lines_escaped() {
    let mut f = fixture();
    f.live.sources.push(SourceStatus {
        name: "/gone/flows-\u{1b}[31m.log".into(),
        state: SourceState::Error,
        mechanism: Mechanism::Polling,
        error: Some("/gone/flows.log: No such file or directory (os error 2)".into()),
        bytes: 0,
        lines: 0,
        records: 0,
        malformed: 0,
    });
    let mut state = UiState::new(None);
    state.apply(Action::ToggleInputs, &vpctop::ui::app::Rows::default());
    assert!(state.inputs);
    each_look(|w, h, color, look| {
        let buf = frame(w, h, &state, &view(&f, None), color);
        let t = text(&buf);
        assert!(t.contains("2 sources"), "{look}\n{t}");
        assert!(t.contains("No such file or directory"), "{look}\n{t}");
        assert!(
            t.contains("flows-\\x1b[31m.log"),
            "{look}: escaped name\n{t}"
        );
        assert!(t.contains("first 1 of 1 malformed lines"), "{look}\n{t}");
        assert!(t.contains("flows.log:"), "{look}: file:line\n{t}");
        assert!(!t.contains('\u{1b}'), "{look}: no raw escape");
    });
    // Any key closes it.
    state.apply(Action::CloseOverlay, &vpctop::ui::app::Rows::default());
    assert!(!state.inputs);
}

#[test]
fn every_finding_can_be_browsed_and_those_outside_the_filter_come_last_marked() {
    // Regression: the inspector showed `(+N more)` with no way to see them, and led with a
    // finding outside the applied filter.
    let f = fixture();
    let mut state = drilled_into(SERVER);
    state.filter = Some(Arc::new(Filter::parse("action=REJECT dstport=22").unwrap()));
    let request = InspectRequest {
        generation: 0,
        talker: Arc::clone(&state.drill[0].key),
        scope: Arc::clone(&state.drill[0].scope),
        conversation: None,
        filter: state.filter.clone(),
        since: None,
        metric: state.metric,
    };
    let data = queries::inspect_level(&f.context.store.state(), &request, &f.context);
    assert!(data.findings.len() >= 2, "{:?}", data.findings);
    assert!(!data.findings[0].outside_view, "inside the view first");
    assert_eq!(data.findings[0].finding.port, 22);
    let first_outside = data.findings.iter().position(|r| r.outside_view);
    let first_outside = first_outside.expect("some finding lies outside dstport=22");
    assert!(
        data.findings[first_outside..]
            .iter()
            .all(|r| r.outside_view),
        "every finding inside the view comes before those outside it"
    );
    let acl = data.findings.iter().find(|r| r.finding.port == 443);
    assert!(
        acl.is_some_and(|r| r.outside_view),
        "the ACL finding (443) is outside"
    );
    let n = data.findings.len();
    let rows = vpctop::ui::app::Rows::default();
    for k in 0..=n {
        let buf = frame(120, 40, &state, &view(&f, Some(&data)), false);
        let t = text(&buf);
        assert!(
            t.contains(&format!("Diagnosis {}/{n} (n next)", k % n + 1)),
            "{t}"
        );
        assert_eq!(
            t.contains("[outside the filter]"),
            data.findings[k % n].outside_view,
            "{t}"
        );
        state.apply(Action::NextFinding, &rows);
    }
}

#[test]
fn the_focused_pane_is_marked_in_reverse_video_in_colour_and_mono() {
    let f = fixture();
    let mut state = UiState::new(None);
    for color in [false, true] {
        for (focus_heat, title) in [(false, "Top source"), (true, "Ports x time")] {
            if focus_heat {
                state.apply(Action::NextFocus, &vpctop::ui::app::Rows::default());
            }
            let buf = frame(80, 24, &state, &view(&f, None), color);
            let t = text(&buf);
            let markers: Vec<(u16, u16)> = (0..buf.area.height)
                .flat_map(|y| (0..buf.area.width).map(move |x| (x, y)))
                .filter(|&(x, y)| buf[(x, y)].symbol() == "▶")
                .collect();
            assert_eq!(markers.len(), 1, "one focused pane:\n{t}");
            let (x, y) = markers[0];
            let line: String = t.lines().nth(usize::from(y)).unwrap_or_default().into();
            let after: String = line.chars().skip(usize::from(x)).collect();
            assert!(after.contains(title), "the marker leads {title}: {line}");
            let cell = &buf[(x, y)];
            assert!(
                cell.modifier.contains(ratatui::style::Modifier::REVERSED)
                    || cell.bg != ratatui::style::Color::Reset,
                "the marker stands out without relying on a border glyph"
            );
        }
        state.apply(Action::Back, &vpctop::ui::app::Rows::default());
    }
}

#[test]
fn at_200_columns_the_numbers_stay_beside_their_keys_and_nothing_is_cut() {
    // Regression: the SOURCE column grew to ~150 characters with the numbers far right, and
    // the heatmap cut `5432 postgres` even at 200 columns.
    let f = fixture();
    let state = UiState::new(None);
    let buf = frame(200, 50, &state, &view(&f, None), false);
    let t = text(&buf);
    let header = t.lines().find(|l| l.contains("SOURCE")).expect("header");
    let bytes_at = header.find("BYTES").expect("BYTES column");
    assert!(bytes_at < 70, "BYTES at column {bytes_at}: {header}");
    let row = t.lines().find(|l| l.starts_with("┃1 ")).expect("first row");
    assert!(row.contains('%'), "{row}");
    assert!(!t.contains('…'), "nothing is cut at 200 columns:\n{t}");
}

/// A v10 log (with an S3 header) in which one of five flows is in cleartext and one REJECT
/// comes from VPC Block Public Access.
const V10_LOG: &str = "version interface-id srcaddr dstaddr srcport dstport protocol packets \
bytes start end action log-status encryption-status reject-reason traffic-path
10 eni-0a1 10.0.1.5 10.0.2.9 40000 5432 6 10 900 1700000000 1700000060 ACCEPT OK 0 - 1
10 eni-0a1 10.0.1.5 10.0.2.9 40001 5432 6 10 900 1700000000 1700000060 ACCEPT OK 1 - 1
10 eni-0a1 10.0.1.5 52.216.4.4 40002 443 6 10 900 1700000000 1700000060 ACCEPT OK 2 - 2
10 eni-0a1 10.0.1.5 52.216.4.5 40003 443 6 10 900 1700000000 1700000060 ACCEPT OK 3 - 2
10 eni-0b2 198.51.100.9 10.0.1.5 50000 22 6 1 40 1700000000 1700000060 REJECT OK 3 BPA -
";

#[test]
fn the_newer_fields_are_said_in_words_and_the_cleartext_share_is_shown() {
    let f = fixture_of(V10_LOG, 1 << 30);
    // The status bar: one of five OK flows is in cleartext.
    let state = UiState::new(None);
    let buf = frame(120, 40, &state, &view(&f, None), false);
    let t = text(&buf);
    assert!(t.contains("cleartext 20%"), "{t}");
    // The records of the blocked source, with their fields named.
    let mut state = drilled_into("198.51.100.9");
    enter_first_conversation(&f, &mut state);
    let data = inspect(&f, &state);
    assert_eq!(data.records.len(), 1);
    let buf = frame(120, 40, &state, &view(&f, Some(&data)), false);
    let t = text(&buf);
    assert!(
        t.contains("reject-reason=BPA (VPC Block Public Access)"),
        "{t}"
    );
    assert!(t.contains("encryption-status=3 (Nitro and TLS)"), "{t}");
    check("inspector_v10_fields_120x40_mono", &buf, false);
}

#[test]
fn with_an_inventory_d_cycles_on_to_subnets_groups_and_scopes_which_drill_like_talkers() {
    let f = inventory_fixture();
    let inventory = f.context.inventory.clone();
    let mut state = UiState::new(None);
    state.filter_bar.inventory = inventory.clone();
    let none = vpctop::ui::app::Rows::default();
    // Past the six dimensions come the groupings, then back to sources.
    let mut seen = Vec::new();
    for _ in 0..12 {
        state.apply(Action::CycleDimension, &none);
        seen.push(state.group.map(|g| g.key()));
    }
    assert_eq!(
        seen,
        [
            None,
            None,
            None,
            None,
            None,
            Some("subnet"),
            Some("vpc"),
            Some("sg"),
            Some("az"),
            Some("service"),
            Some("scope"),
            None
        ]
    );
    assert_eq!(state.dimension, vpctop::core::Dimension::Src);
    for _ in 0..8 {
        state.apply(Action::CycleDimension, &none);
    }
    assert_eq!(state.group.map(|g| g.key()), Some("sg"));
    assert!(state.needs_query(), "a grouping is answered from the store");
    // The query worker's answer with the inventory: the groups' lists.
    let mut f = f;
    f.shown = queries::view_snapshot(
        &f.context.store.state(),
        None,
        None,
        2,
        queries::ViewExtras {
            groups: inventory.as_deref(),
            cost: None,
        },
    );
    each_look(|w, h, color, look| {
        let buf = frame(w, h, &state, &view(&f, None), color);
        let t = text(&buf);
        assert!(t.contains("sg-0db db"), "{look}\n{t}");
        assert!(t.contains("Top security group by bytes"), "{look}\n{t}");
        check(&format!("talkers_by_security_group_{look}"), &buf, color);
    });
    // Enter on a group drills into its records, either end in the group.
    let keys: Vec<String> = f
        .shown
        .group_top(vpctop::snapshot::groups::GroupDim::ALL[2], state.metric)
        .0
        .iter()
        .map(|e| e.key.clone())
        .collect();
    let db = keys.iter().position(|k| k == "sg-0db").unwrap();
    state.selected = db;
    state.apply(
        Action::Enter,
        &vpctop::ui::app::Rows {
            talkers: &keys,
            ..Default::default()
        },
    );
    assert_eq!(state.drill.len(), 1);
    assert_eq!(state.drill[0].title, "sg sg-0db");
    let data = inspect(&f, &state);
    // Every record touching db-1 (10.0.2.20): the web leg both ways and the denied client.
    assert_eq!(data.totals.flows, 3, "{:?}", data.totals);
}

#[test]
fn s_after_flows_ranks_talkers_by_estimated_cost_and_ports_stay_by_bytes() {
    let mut f = fixture();
    let mut state = UiState::new(None);
    let none = vpctop::ui::app::Rows::default();
    for _ in 0..3 {
        state.apply(Action::CycleMetric, &none);
    }
    assert!(state.by_cost && state.needs_query());
    let prices = vpctop::inventory::prices::Prices::LIST;
    f.shown = queries::view_snapshot(
        &f.context.store.state(),
        None,
        None,
        2,
        queries::ViewExtras {
            groups: None,
            cost: Some((None, &prices)),
        },
    );
    let costs = f.shown.costs.as_ref().unwrap();
    let (entries, dollars) = costs
        .list(vpctop::snapshot::groups::CostList::Dim(
            vpctop::core::Dimension::Src,
        ))
        .unwrap();
    assert!(!entries.is_empty());
    assert!(dollars.windows(2).all(|w| w[0] >= w[1]), "{dollars:?}");
    each_look(|w, h, color, look| {
        let buf = frame(w, h, &state, &view(&f, None), color);
        let t = text(&buf);
        assert!(t.contains("Top source by est. cost"), "{look}\n{t}");
        if w >= 100 {
            assert!(t.contains("EST. COST (USD)"), "{look}\n{t}");
        }
        check(&format!("talkers_by_cost_{look}"), &buf, color);
    });
    // Ports cannot be costed: they stay ranked by bytes, and say so.
    state.apply(Action::CycleDimension, &none);
    state.apply(Action::CycleDimension, &none);
    state.apply(Action::CycleDimension, &none);
    let buf = frame(120, 40, &state, &view(&f, None), false);
    let t = text(&buf);
    assert!(
        t.contains("by bytes (cost: addresses and groups only)"),
        "{t}"
    );
    // One more s: back to bytes, the live view again.
    state.apply(Action::CycleMetric, &none);
    assert!(!state.by_cost);
    assert_eq!(state.metric, vpctop::core::Metric::Bytes);
}

/// The fixture with its alerts evaluated at thresholds its incidents cross (three refused
/// SSH attempts, three refused replies in five minutes), and one hostile alert.
fn alerting_fixture() -> (Fixture, vpctop::alerts::Config) {
    use vpctop::alerts::Detection;
    use vpctop::alerts::{Config, Thresholds, evaluate, summarise};
    let mut alerts = Config::with(Thresholds {
        login_flows: 3,
        reply_flows: 3,
        ..Thresholds::default()
    });
    // The random background has NODATA lines and IPv6 talkers on login ports: off, so the
    // list shows the fixture's two incidents.
    alerts.disabled = vec![Detection::LoggingGap, Detection::NewTalker];
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("flows.log");
    std::fs::write(&path, fixture_lines()).expect("write fixture");
    let inputs = vec![InputSpec::File(path.clone())];
    let mut config = IngestConfig::new(Arc::new(Schema::default_v2()));
    config.workers = 2;
    config.alerts = true;
    config.alert_rules = alerts.rule_counters();
    let (agg, errors) = aggregate_and_retain(&inputs, &config, None, None);
    assert!(errors.is_empty(), "{errors:?}");
    let mut summaries = summarise(&evaluate(&agg, &alerts));
    assert!(
        !summaries.is_empty(),
        "the fixture's incidents raise alerts"
    );
    // A rule named by a hostile file, keyed by a hostile interface id.
    let mut hostile = summaries[0].clone();
    hostile.name = "rule\u{1b}]0;pwned\u{7}".into();
    hostile.key = "eni-\u{1b}[2J".into();
    hostile.severity = vpctop::alerts::Severity::Low;
    hostile.opened = summaries[0].opened - 60;
    summaries.insert(0, hostile);
    let mut f = fixture_of(&fixture_lines(), 1 << 30);
    f.live.alerts = Some(summaries.into());
    (f, alerts)
}

#[test]
fn the_status_bar_tells_the_newest_alert_and_a_opens_the_list() {
    let (f, _) = alerting_fixture();
    let alerts = f.live.alerts.clone().unwrap();
    let newest = alerts.last().unwrap();
    let open = alerts.iter().filter(|a| a.is_open()).count();
    let mut state = UiState::new(None);
    each_look(|w, h, color, look| {
        let buf = frame(w, h, &state, &view(&f, None), color);
        let t = text(&buf);
        let status = t.lines().next().unwrap();
        let head = match open {
            0 => format!("{} alerts:", alerts.len()),
            n => format!("{} alerts, {n} open:", alerts.len()),
        };
        assert!(status.contains(&head), "{look}: {status}");
        assert!(status.contains(&newest.name), "{look}: {status}");
        check(&format!("alert_status_{look}"), &buf, color);
    });
    let rows = panes::ViewRows::of(&state, &view(&f, None));
    assert_eq!(rows.alerts.len(), alerts.len());
    assert_eq!(rows.alerts[0], *newest, "newest first");
    let r = vpctop::ui::app::Rows {
        alerts: &rows.alerts,
        page: 5,
        ..Default::default()
    };
    state.apply(Action::ToggleAlerts, &r);
    each_look(|w, h, color, look| {
        let buf = frame(w, h, &state, &view(&f, None), color);
        let t = text(&buf);
        assert!(
            t.contains(&format!("Alerts: {}", alerts.len())),
            "{look}\n{t}"
        );
        for a in alerts.iter().filter(|a| !a.name.contains('\u{1b}')) {
            assert!(t.contains(&a.name), "{look}: {} listed\n{t}", a.name);
        }
        assert!(
            t.contains("eni-\\x1b[2J"),
            "{look}: the hostile key, escaped\n{t}"
        );
        check(&format!("alert_list_{look}"), &buf, color);
    });
    // --min-severity hides what is below it, in the list and the status bar.
    let mut high = UiState::new(None);
    high.alert_floor = vpctop::alerts::Severity::High;
    let rows_high = panes::ViewRows::of(&high, &view(&f, None));
    assert!(
        rows_high
            .alerts
            .iter()
            .all(|a| a.severity == vpctop::alerts::Severity::High)
    );
    assert!(rows_high.alerts.len() < alerts.len());
}

#[test]
fn enter_on_an_alert_opens_its_records_within_its_window() {
    let (f, _) = alerting_fixture();
    let mut state = UiState::new(None);
    let rows = panes::ViewRows::of(&state, &view(&f, None));
    let brute = rows
        .alerts
        .iter()
        .position(|a| a.name == "brute-force")
        .expect("the brute force raised an alert");
    let r = vpctop::ui::app::Rows {
        alerts: &rows.alerts,
        page: 5,
        ..Default::default()
    };
    state.apply(Action::ToggleAlerts, &r);
    for _ in 0..brute {
        state.apply(Action::Down, &r);
    }
    assert_eq!(state.alert_list, Some(brute));
    let effects = state.apply(Action::Enter, &r);
    assert_eq!(effects, vec![vpctop::ui::app::Effect::InspectorChanged]);
    assert_eq!(state.alert_list, None, "the list closes");
    assert_eq!(state.drill.len(), 1);
    assert!(
        state.drill[0].title.starts_with("alert brute-force"),
        "{}",
        state.drill[0].title
    );
    let a = &rows.alerts[brute];
    let data = inspect(&f, &state);
    // Its records: the brute-forcer's refused SSH attempts, only within its window.
    let (from, to) = (a.window.0.min(a.first_seen), a.window.1.max(a.last_seen));
    let conv = &data.conversations;
    assert_eq!(
        conv.len(),
        1,
        "{:?}",
        conv.iter().map(|c| &c.title).collect::<Vec<_>>()
    );
    assert!(conv[0].title.contains(BRUTE), "{}", conv[0].title);
    // The brute-forcer's attempts (one a minute from 1_700_000_000) that overlap the
    // alert's window and evidence.
    let t = 1_700_000_000u64;
    let want = (0..40u64)
        .filter(|i| t + i * 60 + 50 >= from && t + i * 60 <= to)
        .count() as u64;
    assert!(want > 0);
    assert_eq!(data.totals.flows, want, "window {from}..{to}");
    // Esc returns to the dashboard; a hostile alert that cannot be drilled into says why.
    state.apply(Action::Back, &r);
    assert!(state.drill.is_empty());
}

#[test]
fn x_shows_the_view_as_athena_and_insights_c_copies_it_and_it_is_reports_query() {
    use vpctop::ui::app::{Effect, compose_queries};
    let f = fixture();
    let mut state = UiState::new(None);
    state.filter = Some(Arc::new(
        Filter::parse("action=REJECT dstport=22 not interface=eni-0a*").unwrap(),
    ));
    state.metric = vpctop::core::Metric::Flows;
    let r = vpctop::ui::app::Rows::default();
    assert_eq!(
        state.apply(Action::ToggleQueries, &r),
        vec![Effect::ComposeQueries]
    );
    let v2 = Schema::default_v2();
    state.queries = Some(compose_queries(&state, None, &v2, f.live.last_end, 10));
    let pane = state.queries.clone().unwrap();
    // The dashboard's view is exactly what `report --emit` writes for the same flags.
    let filter = state.filter.as_ref().unwrap().to_string();
    for (i, engine) in ["athena", "insights"].into_iter().enumerate() {
        let run = common::vpctop(&[
            "report", "--emit", engine, "--filter", &filter, "--by", "flows", "--top", "10",
            "--group", "src", "-",
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let shown = pane.queries[i].1.as_ref().unwrap();
        assert_eq!(
            shown.trim_end(),
            run.stdout.trim_end().trim_end_matches(';'),
            "{engine}"
        );
    }
    // A drill-down's filter holds text from the logs (an interface id): it reaches the query
    // as a quoted literal, and the screen escaped.
    let hostile = Filter::interface("eni-\u{1b}[2J");
    state.filter = Some(Arc::new(state.filter.as_deref().unwrap().and(&hostile)));
    state.queries = Some(compose_queries(&state, None, &v2, f.live.last_end, 10));
    let pane = state.queries.clone().unwrap();
    each_look(|w, h, color, look| {
        let buf = frame(w, h, &state, &view(&f, None), color);
        let t = text(&buf);
        assert!(t.contains("Query:"), "{look}\n{t}");
        assert!(t.contains("GROUP BY 1"), "{look}\n{t}");
        // Wrapped lines joined again.
        let joined = t.replace("┃\n┃↪ ", "");
        assert!(
            joined.contains("U&'eni-\\001B[2J'"),
            "{look}: a Unicode escape in the literal\n{t}"
        );
        check(&format!("queries_athena_{look}"), &buf, color);
    });
    // Insights strings have no escape for a control character: it says so instead.
    state.apply(Action::OtherQuery, &r);
    let buf = frame(80, 24, &state, &view(&f, None), false);
    let t = text(&buf);
    assert!(t.contains("cannot be written for Logs Insights"), "{t}");
    assert!(t.contains("control character"), "{t}");
    check("queries_insights_refused_80x24_mono", &buf, false);
    assert_eq!(state.apply(Action::CopyQuery, &r), vec![]);
    assert!(
        state
            .message
            .as_deref()
            .unwrap()
            .contains("no Logs Insights query")
    );
    // c copies the shown query (the loop writes it as OSC 52); w writes both.
    state.apply(Action::OtherQuery, &r);
    match state.apply(Action::CopyQuery, &r).as_slice() {
        [Effect::Copy(text)] => {
            assert_eq!(Some(text), pane.queries[0].1.as_ref().ok());
            assert!(text.contains("U&'eni-\\001B[2J'"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    assert!(state.message.as_deref().unwrap().contains("OSC 52"));
    match state.apply(Action::WriteQueries, &r).as_slice() {
        [Effect::WriteFile(text)] => {
            assert!(text.contains("==> Athena <==") && text.contains("==> Logs Insights <=="));
            assert!(text.contains("GROUP BY 1") && text.contains("(none: "));
            assert!(!text.chars().any(|c| c.is_control() && c != '\n'));
        }
        other => panic!("{other:?}"),
    }
    // A view no engine can express says why instead.
    let mut scoped = UiState::new(None);
    scoped.filter = Some(Arc::new(Filter::parse("scope=internet").unwrap()));
    let pane = compose_queries(&scoped, None, &v2, f.live.last_end, 10);
    let why = pane.queries[0].1.as_ref().unwrap_err();
    assert!(
        why.contains("Athena cannot express `scope=internet`"),
        "{why}"
    );
    state.apply(Action::ToggleQueries, &r);
    assert!(state.queries.is_none(), "x closes it again");
}
