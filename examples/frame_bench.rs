//! Measures one dashboard frame at 120×40 over a snapshot of N distinct keys (default 1 M):
//! the merger's snapshot build (off the UI path) and the UI's own work per frame (rows of
//! every list + drawing every pane into a buffer), as percentiles over many frames.
//!
//!     cargo run --release --example frame_bench -- [DISTINCT_KEYS]
//!
//! Ends with a JSON line (see bench/README.md).

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use vpctop::pipeline::IngestConfig;
use vpctop::pipeline::{LiveOptions, run_live};
use vpctop::schema::Schema;
use vpctop::snapshot::{Snapshot, SnapshotCell};
use vpctop::source::InputSpec;
use vpctop::ui::app::UiState;
use vpctop::ui::panes::{self, View, ViewRows};
use vpctop::ui::theme::{ColorMode, Theme};

fn percentile(v: &mut [Duration], q: f64) -> Duration {
    v.sort();
    v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1]
}

fn main() -> std::io::Result<()> {
    let keys: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    // Every record a new source, destination and pair; ports and times spread out.
    let dir = std::env::temp_dir().join(format!("vpctop-frame-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("keys.log");
    let mut text = String::with_capacity(keys as usize * 110);
    for i in 0..keys {
        let (a, b, c) = (i >> 16 & 0xff, i >> 8 & 0xff, i & 0xff);
        let start = 1_700_000_000 + i % 86_400;
        text.push_str(&format!(
            "2 123456789012 eni-{:x} 10.{a}.{b}.{c} 172.16.{b}.{c} {} {} 6 {} {} {start} {} {} OK\n",
            i % 5000,
            1024 + i % 60_000,
            [22, 80, 443, 3306, 5432, 6379][(i % 6) as usize],
            1 + i % 50,
            40 + i % 9000,
            start + 30,
            if i % 7 == 0 { "REJECT" } else { "ACCEPT" },
        ));
    }
    std::fs::write(&path, text)?;
    let cell = SnapshotCell::default();
    let options = LiveOptions {
        heatmap: true,
        ..LiveOptions::default()
    };
    let config = IngestConfig::new(Arc::new(Schema::default_v2()));
    let outcome = run_live(
        &[InputSpec::File(path)],
        &config,
        &options,
        &cell,
        &AtomicBool::new(false),
    );
    std::fs::remove_dir_all(&dir)?;
    let snapshot = cell.load();
    if std::env::var_os("PROBE").is_some() {
        let agg = &outcome.total;
        for dim in vpctop::core::Dimension::ALL {
            let t = Instant::now();
            let _ = agg.tops(dim, &vpctop::snapshot::METRICS, 100);
            println!("tops {dim:?}: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
        }
        let t = Instant::now();
        let _ = Snapshot::of(agg, 1, Default::default(), true);
        println!("Snapshot::of: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    }
    let build = *outcome.build_times.last().unwrap_or(&Duration::ZERO);
    println!(
        "snapshot of {} records, {} distinct sources: built in {:.1} ms (merger thread)",
        snapshot.counts.records,
        snapshot.distinct[0],
        build.as_secs_f64() * 1e3
    );

    let theme = Theme::new(ColorMode::Ansi16);
    let Ok(mut terminal) = Terminal::new(TestBackend::new(120, 40));
    let mut state = UiState::new(None);
    let view = View {
        live: &snapshot,
        shown: &snapshot,
        updating: false,
        inspector: None,
        wall_now: snapshot.last_end.unwrap_or(0) + 60,
        base_filter: None,
        inventory: None,
    };
    let mut times = Vec::new();
    for i in 0..500 {
        // Vary what is drawn, as keys would.
        state.selected = i % 40;
        if i % 50 == 0 {
            state.dimension = vpctop::core::Dimension::ALL[(i / 50) % 6];
        }
        let t = Instant::now();
        let rows = ViewRows::of(&state, &view);
        let Ok(_) = terminal.draw(|f| {
            panes::draw(f, &state, &view, &rows, &theme);
        });
        times.push(t.elapsed());
        assert!(rows.talkers.len() <= 100);
    }
    let p50 = percentile(&mut times, 0.5);
    let p99 = percentile(&mut times, 0.99);
    let max = *times.iter().max().unwrap_or(&Duration::ZERO);
    println!(
        "frame (rows + draw, 120x40): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3
    );
    println!(
        "{{\"distinct_keys\": {}, \"snapshot_build_ms\": {:.2}, \"frame_p50_ms\": {:.3}, \"frame_p99_ms\": {:.3}, \"frame_max_ms\": {:.3}}}",
        snapshot.distinct[0],
        build.as_secs_f64() * 1e3,
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3
    );
    Ok(())
}
