//! `vpctop records`: every record (matching `--filter`) as one JSON object per line, in
//! input order.

use std::io;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::sync_channel;

use anyhow::{Context, Result};

use super::{judged_exit_code, progress_line, report_errors};
use crate::cli::{self, RecordsArgs, Settings};
use crate::core::Aggregate;
use crate::pipeline::ingest;
use crate::pipeline::records::RecordsHandler;
use crate::report::{records, verdict};

/// Runs `records`.
pub fn run(args: RecordsArgs) -> Result<i32> {
    let settings = Settings::new(&args.input, true)?;
    let names: Arc<[String]> = settings.names().into();
    let Settings {
        inputs,
        mut config,
        filter,
        mut failed,
        ..
    } = settings;
    let line = progress_line(&mut config, &inputs, true);
    let cancel = AtomicBool::new(false);
    let (tx, rx) = sync_channel(config.workers * 4);
    let (outcome, written) = std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let mut out = io::BufWriter::with_capacity(1 << 20, io::stdout().lock());
            records::write_in_order(rx, &mut out, &cancel)
        });
        let outcome = ingest(&inputs, &config, &cancel, || {
            RecordsHandler::new(
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
