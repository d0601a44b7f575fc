//! Pacing and writing the demo's traffic: record time runs at `speed` × wall time, about
//! `rate` records per wall second, into one growing file (what the dashboard follows) or
//! into a directory of S3-style objects (`demo --write`).
//!
//! Never: generates traffic itself ([`super::generator`] does).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::GzEncoder;

use super::generator::{DemoFormat, DemoRecord, Generator};

/// How the demo runs.
#[derive(Debug, Clone, Copy)]
pub struct DemoPace {
    /// The generator's seed.
    pub seed: u64,
    /// Records per wall second, about.
    pub rate: f64,
    /// Record seconds per wall second.
    pub speed: f64,
    /// Record format.
    pub format: DemoFormat,
    /// Record time at which the script starts (Unix seconds).
    pub origin: u64,
}

impl DemoPace {
    /// The generator this pace drives.
    pub fn generator(&self) -> Generator {
        Generator::new(
            self.seed,
            self.format,
            self.origin,
            self.rate / self.speed.max(1e-3),
        )
    }
}

/// Where generated lines go.
pub trait DemoSink {
    /// Takes the lines of one batch (whole lines, newline-terminated).
    fn write_lines(&mut self, text: &str, records: usize) -> io::Result<()>;
    /// Called once at the end.
    fn finish(&mut self) -> io::Result<()>;
}

/// Runs the demo into `sink` until `stop` is set: every tick, the record seconds that wall
/// time has reached are generated and written.
pub fn run(pace: DemoPace, sink: &mut dyn DemoSink, stop: &AtomicBool) -> io::Result<u64> {
    let mut generator = pace.generator();
    let began = Instant::now();
    let mut records = Vec::<DemoRecord>::new();
    let mut text = String::new();
    let mut written = 0u64;
    while !stop.load(Ordering::Relaxed) {
        // The first record second is written at once, so something shows immediately.
        let reached = pace.origin + 1 + (began.elapsed().as_secs_f64() * pace.speed) as u64;
        records.clear();
        generator.records_until(reached, &mut records);
        if !records.is_empty() {
            text.clear();
            for r in &records {
                generator.format(r, &mut text);
            }
            sink.write_lines(&text, records.len())?;
            written += records.len() as u64;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    sink.finish()?;
    Ok(written)
}

/// One growing file, header first (the dashboard follows it like `tail -F`).
pub struct GrowingFile {
    file: File,
}

impl GrowingFile {
    /// Creates `path` with the format's header line.
    pub fn create(path: &Path, header: &str) -> io::Result<GrowingFile> {
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(path)?;
        writeln!(file, "{header}")?;
        Ok(GrowingFile { file })
    }
}

impl DemoSink for GrowingFile {
    fn write_lines(&mut self, text: &str, _records: usize) -> io::Result<()> {
        self.file.write_all(text.as_bytes())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// S3-style delivery into a directory: each object is written under a hidden `.tmp` name
/// and renamed into place when it holds `rotate_every` records, so a reader never sees a
/// half-written object; every fourth object is gzip-compressed, as S3 delivery does.
pub struct ObjectDir {
    dir: PathBuf,
    header: String,
    rotate_every: usize,
    pending: String,
    records: usize,
    objects: u64,
    account: String,
}

impl ObjectDir {
    /// Delivers into `dir` (created if missing).
    pub fn new(dir: &Path, header: &str, rotate_every: usize) -> io::Result<ObjectDir> {
        fs::create_dir_all(dir)?;
        Ok(ObjectDir {
            dir: dir.to_path_buf(),
            header: header.to_string(),
            rotate_every: rotate_every.max(1),
            pending: String::new(),
            records: 0,
            objects: 0,
            account: "123456789012".into(),
        })
    }

    /// Objects delivered so far.
    pub fn objects(&self) -> u64 {
        self.objects
    }

    fn deliver(&mut self) -> io::Result<()> {
        if self.records == 0 {
            return Ok(());
        }
        self.objects += 1;
        let gz = self.objects.is_multiple_of(4);
        let name = format!(
            "{}_vpcflowlogs_us-east-1_fl-0demo_{:06}.log{}",
            self.account,
            self.objects,
            if gz { ".gz" } else { "" }
        );
        let tmp = self.dir.join(format!(".{name}.tmp"));
        let body = format!("{}\n{}", self.header, self.pending);
        if gz {
            let mut enc = GzEncoder::new(File::create(&tmp)?, Compression::fast());
            enc.write_all(body.as_bytes())?;
            enc.finish()?.sync_all()?;
        } else {
            let mut f = File::create(&tmp)?;
            f.write_all(body.as_bytes())?;
            f.sync_all()?;
        }
        fs::rename(&tmp, self.dir.join(name))?;
        self.pending.clear();
        self.records = 0;
        Ok(())
    }
}

impl DemoSink for ObjectDir {
    fn write_lines(&mut self, text: &str, _records: usize) -> io::Result<()> {
        for line in text.split_inclusive('\n') {
            self.pending.push_str(line);
            self.records += 1;
            if self.records >= self.rotate_every {
                self.deliver()?;
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.deliver()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_appear_whole_with_a_header_and_some_gzipped() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = ObjectDir::new(dir.path(), "version account-id", 3).unwrap();
        sink.write_lines("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\n", 13)
            .unwrap();
        sink.finish().unwrap();
        let mut names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names.len(), 5, "{names:?}");
        assert!(names.iter().all(|n| !n.ends_with(".tmp")));
        assert_eq!(names.iter().filter(|n| n.ends_with(".gz")).count(), 1);
        let first = fs::read_to_string(dir.path().join(&names[0])).unwrap();
        assert_eq!(first, "version account-id\na\nb\nc\n");
    }
}
