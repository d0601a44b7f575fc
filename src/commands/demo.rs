//! `vpctop demo`: generated traffic into a temporary file that the dashboard follows, or
//! into a directory of objects with `--write`.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};

use super::dashboard::{Run, need_terminal};
use super::{follow_setup, now_secs, stop_on_signals};
use crate::cli::{self, DemoArgs, InputArgs, Settings, UsageError};
use crate::demo::{DemoPace, GrowingFile, ObjectDir};

/// Runs `demo`.
pub fn run(args: DemoArgs) -> Result<i32> {
    if !(args.rate > 0.0 && args.rate.is_finite() && args.speed > 0.0 && args.speed.is_finite()) {
        eprintln!("vpctop: --rate and --speed must be positive numbers");
        return Err(UsageError::Explained.into());
    }
    let pace = DemoPace {
        seed: args.seed,
        rate: args.rate,
        speed: args.speed,
        format: args.format,
        // On a whole minute: the detections count record-time minutes, and the gap
        // incident darkens one whole minute of the script.
        origin: now_secs() / 60 * 60,
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
        let records = crate::demo::run(pace, &mut sink, &stop)
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
    // The demo network's inventory, so the inspector names the rules behind its REJECTs.
    let inventory = dir.join("inventory");
    std::fs::create_dir_all(&inventory)
        .with_context(|| format!("creating {}", inventory.display()))?;
    for (name, text) in crate::demo::inventory::files(&pace.generator()) {
        std::fs::write(inventory.join(&name), text)
            .with_context(|| format!("writing {}", inventory.join(&name).display()))?;
    }
    let mut sink = GrowingFile::create(&path, header)
        .with_context(|| format!("creating {}", path.display()))?;
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = Arc::clone(&stop);
        std::thread::Builder::new()
            .name("vpctop-demo".into())
            .spawn(move || crate::demo::run(pace, &mut sink, &stop))?
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
        inventory: vec![inventory],
        ip_ranges: None,
        prices: None,
        filter: None,
        glob: None,
        threads: None,
        since: None,
        from: None,
        to: None,
        aws: Default::default(),
    };
    let mut settings = Settings::new(&input, false)?;
    let registry = follow_setup(&mut settings, &[], false, None);
    let run = Run {
        settings,
        registry,
        ui: &args.ui,
        base_filter: None,
    };
    // A hang-up that has to end the process from outside still removes the directory.
    let forced_exit: crate::ui::hangup::ForcedExit = Arc::new(move || {
        stop.store(true, Ordering::Relaxed);
        let _ = std::fs::remove_dir_all(&dir);
    });
    run.show(None, Some(forced_exit))
}

/// The demo's writer thread and temporary directory, ended and removed when dropped.
struct DemoCleanup {
    stop: Arc<AtomicBool>,
    writer: Option<std::thread::JoinHandle<io::Result<u64>>>,
    dir: PathBuf,
}

impl Drop for DemoCleanup {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
