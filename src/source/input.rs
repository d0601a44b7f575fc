//! Naming and opening inputs: files, directories of files, `-` for stdin, gzip by content.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::bufread::MultiGzDecoder;

use std::sync::Arc;

use super::SourceError;

/// One input as the user named it.
#[derive(Debug, Clone)]
pub enum InputSpec {
    /// Standard input (`-`).
    Stdin,
    /// A file on disk.
    File(PathBuf),
    /// An object of a remote store (an S3 object), read once.
    Remote(Arc<dyn RemoteInput>),
}

impl PartialEq for InputSpec {
    fn eq(&self, other: &InputSpec) -> bool {
        match (self, other) {
            (InputSpec::Stdin, InputSpec::Stdin) => true,
            (InputSpec::File(a), InputSpec::File(b)) => a == b,
            (InputSpec::Remote(a), InputSpec::Remote(b)) => a.name() == b.name(),
            _ => false,
        }
    }
}

impl Eq for InputSpec {}

impl InputSpec {
    /// How the input is named in messages and JSON (`-` for stdin, the path as given, the
    /// object's URL).
    pub fn display_name(&self) -> String {
        match self {
            InputSpec::Stdin => "-".to_string(),
            InputSpec::File(p) => p.display().to_string(),
            InputSpec::Remote(r) => r.name(),
        }
    }
}

/// A remote location that holds inputs (an S3 prefix), listed again while following so that
/// new objects join the run.
pub trait RemoteListing: Send + Sync + std::fmt::Debug {
    /// The location (`s3://bucket/prefix`).
    fn name(&self) -> String;
    /// Every input there now (that the run's window and selector take), in key order; or
    /// why it cannot be listed (without the location's name).
    fn list(&self) -> Result<Vec<InputSpec>, String>;
}

/// An input read over the network, once (an S3 object): what `source::aws` provides.
pub trait RemoteInput: Send + Sync + std::fmt::Debug {
    /// Its name in messages and JSON (`s3://bucket/key`).
    fn name(&self) -> String;
    /// Its size in bytes, when known before reading.
    fn size(&self) -> Option<u64>;
    /// Starts reading it: its bytes as they arrive.
    fn open(&self) -> io::Result<Box<dyn Read + Send>>;
    /// Starts following it: a stream that waits for more (polling every `poll`) until
    /// `cancel` is set. What cannot grow is read once.
    fn follow<'a>(
        &self,
        poll: std::time::Duration,
        cancel: &'a std::sync::atomic::AtomicBool,
    ) -> io::Result<Box<dyn Read + Send + 'a>> {
        let _ = (poll, cancel);
        self.open()
    }
    /// Whether following it waits for more (a log group), rather than reading it once.
    fn grows(&self) -> bool {
        false
    }
}

/// Which files in a directory are flow logs: not hidden, not a work file, and matching the
/// `--glob` pattern on the file name when one is given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSelector {
    glob: Option<String>,
}

impl FileSelector {
    /// Files whose name matches `glob` (`*` any run of characters, `?` one character).
    pub fn new(glob: Option<String>) -> FileSelector {
        FileSelector { glob }
    }

    /// Whether `path` is taken.
    pub fn accepts(&self, path: &Path) -> bool {
        if !is_log_candidate(path) {
            return false;
        }
        match (&self.glob, path.file_name().and_then(|n| n.to_str())) {
            (None, _) => true,
            (Some(g), Some(name)) => glob_match(g.as_bytes(), name.as_bytes()),
            (Some(_), None) => false,
        }
    }
}

/// `*` matches any run of bytes, `?` any one byte, anything else itself.
fn glob_match(pattern: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == b'?' || c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    p = sp + 1;
                    n = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p.min(pattern.len())..].iter().all(|c| *c == b'*')
}

/// Turns command-line paths into inputs: `-` is stdin, a directory stands for the files
/// below it that `select` accepts (sorted). Paths that cannot be listed are returned as
/// errors, and the others still count.
pub fn expand_paths(
    paths: &[PathBuf],
    select: &FileSelector,
) -> (Vec<InputSpec>, Vec<SourceError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(InputSpec::Stdin);
        } else if path.is_dir() {
            let mut files = Vec::new();
            collect_dir(path, &mut files, &mut errors);
            files.retain(|p| select.accepts(p));
            files.sort();
            inputs.extend(files.into_iter().map(InputSpec::File));
        } else {
            inputs.push(InputSpec::File(path.clone()));
        }
    }
    (inputs, errors)
}

fn collect_dir(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<SourceError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(source) => {
            errors.push(SourceError::Open {
                name: dir.display().to_string(),
                source,
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if hidden {
            continue;
        }
        match entry.file_type() {
            Ok(t) if t.is_dir() => collect_dir(&path, files, errors),
            Ok(t) if t.is_file() => files.push(path),
            // Follow symlinks to files, skip everything else (sockets, fifos, broken links).
            Ok(t) if t.is_symlink() && path.is_file() => files.push(path),
            _ => {}
        }
    }
}

/// An opened input: its decompressed bytes, and whether it was gzip (for error messages).
pub struct OpenInput {
    /// The decoded byte stream.
    pub reader: Box<dyn Read + Send>,
    /// True when the content started with the gzip magic bytes.
    pub gzip: bool,
}

/// Opens an input for reading; gzip is recognised by its magic bytes, not by its name, and
/// concatenated (multi-member) gzip is read to the end.
pub fn open(spec: &InputSpec) -> Result<OpenInput, SourceError> {
    open_counted(spec, None)
}

/// Like [`open`], counting the bytes read from disk (before decompression) into `progress`.
pub fn open_counted(
    spec: &InputSpec,
    progress: Option<&Arc<super::progress::Progress>>,
) -> Result<OpenInput, SourceError> {
    match open_rows_or_text(spec, progress)? {
        Opened::Text(input) => Ok(input),
        #[cfg(feature = "parquet")]
        Opened::Rows(rows) => Ok(OpenInput {
            reader: Box::new(super::parquet::ParquetLines::of(rows)),
            gzip: false,
        }),
    }
}

/// An input opened for counting: text to frame, or a Parquet file's rows, which are counted
/// from their columns (the same records, lines and offsets as its text, without the text).
pub enum Opened {
    /// Bytes to frame into lines.
    Text(OpenInput),
    /// A Parquet file's rows.
    #[cfg(feature = "parquet")]
    Rows(super::parquet::ParquetRows),
}

/// Like [`open_counted`], but a Parquet file comes as its rows.
pub fn open_rows_or_text(
    spec: &InputSpec,
    progress: Option<&Arc<super::progress::Progress>>,
) -> Result<Opened, SourceError> {
    let name = spec.display_name();
    let raw: Box<dyn Read + Send> = match spec {
        InputSpec::Stdin => Box::new(io::stdin()),
        InputSpec::File(path) => {
            if path.is_dir() {
                return Err(SourceError::Open {
                    name,
                    source: io::Error::other("is a directory"),
                });
            }
            Box::new(File::open(path).map_err(|source| SourceError::Open {
                name: name.clone(),
                source,
            })?)
        }
        InputSpec::Remote(r) => r.open().map_err(|source| SourceError::Open {
            name: name.clone(),
            source,
        })?,
    };
    let raw: Box<dyn Read + Send> = match progress {
        Some(p) => Box::new(super::progress::Counted::new(raw, Arc::clone(p))),
        None => raw,
    };
    let mut buffered = BufReader::with_capacity(256 * 1024, raw);
    let head = buffered.fill_buf().map_err(|source| SourceError::Read {
        name,
        bytes: 0,
        source,
    })?;
    if head.starts_with(super::PARQUET_MAGIC) {
        return open_parquet(spec, buffered, progress).map_err(|source| SourceError::Read {
            name: spec.display_name(),
            bytes: 0,
            source,
        });
    }
    let gzip = head.starts_with(&GZIP_MAGIC);
    let reader: Box<dyn Read + Send> = if gzip {
        Box::new(MultiGzDecoder::new(buffered))
    } else {
        Box::new(buffered)
    };
    Ok(Opened::Text(OpenInput { reader, gzip }))
}

/// A Parquet input's rows (see [`super::parquet`]): a file is read where it lies, standard
/// input and an object are read whole first (Parquet is read from its end).
#[cfg(feature = "parquet")]
fn open_parquet(
    spec: &InputSpec,
    mut rest: impl Read,
    progress: Option<&Arc<super::progress::Progress>>,
) -> io::Result<Opened> {
    use super::parquet::ParquetRows;
    let rows = match spec {
        InputSpec::File(path) => {
            let path = path.clone();
            ParquetRows::open(move || File::open(&path))?.counting(progress.cloned())
        }
        InputSpec::Stdin | InputSpec::Remote(_) => {
            let mut all = Vec::new();
            rest.read_to_end(&mut all)?;
            let all = bytes::Bytes::from(all);
            ParquetRows::open(move || Ok(all.clone()))?
        }
    };
    Ok(Opened::Rows(rows))
}

/// Without Parquet support built in, a Parquet input is an error that says so.
#[cfg(not(feature = "parquet"))]
fn open_parquet(
    _: &InputSpec,
    _: impl Read,
    _: Option<&Arc<super::progress::Progress>>,
) -> io::Result<Opened> {
    Err(io::Error::other(
        "a Parquet file, and this vpctop was built without the `parquet` feature",
    ))
}

/// The first two bytes of every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Whether the file at `path` holds gzip (by its first bytes, whatever its name); false when
/// it cannot be read.
pub fn is_gzip_file(path: &Path) -> bool {
    let mut magic = [0u8; 2];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok_and(|()| magic == GZIP_MAGIC)
}

/// Standard input as a live stream that can be stopped: a helper thread reads stdin (a read
/// there cannot be interrupted) and hands the bytes over; [`Read::read`] waits for them in
/// `poll` steps and ends at end of input or once `stop` is set.
pub struct StdinStream<'s> {
    rx: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    poll: std::time::Duration,
    stop: &'s std::sync::atomic::AtomicBool,
    pending: Vec<u8>,
    pos: usize,
    done: bool,
}

impl<'s> StdinStream<'s> {
    /// Starts reading stdin.
    pub fn new(poll: std::time::Duration, stop: &'s std::sync::atomic::AtomicBool) -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel(16);
        std::thread::spawn(move || {
            let mut stdin = io::stdin().lock();
            loop {
                let mut buf = vec![0u8; 256 * 1024];
                let sent = match stdin.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        buf.truncate(n);
                        tx.send(Ok(buf))
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        break;
                    }
                };
                if sent.is_err() {
                    break; // the reader is gone
                }
            }
        });
        StdinStream {
            rx,
            poll,
            stop,
            pending: Vec::new(),
            pos: 0,
            done: false,
        }
    }
}

impl Read for StdinStream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use std::sync::mpsc::RecvTimeoutError;
        loop {
            if self.pos < self.pending.len() {
                let n = buf.len().min(self.pending.len() - self.pos);
                buf[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            if self.done || self.stop.load(std::sync::atomic::Ordering::Relaxed) {
                return Ok(0);
            }
            match self.rx.recv_timeout(self.poll) {
                Ok(Ok(data)) => {
                    self.pending = data;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => self.done = true,
            }
        }
    }
}

/// Reads the line starting at byte `offset` of the decoded input (what a stored record's
/// [`Position`](crate::store::Position) points at), without its newline, cut at `max` bytes.
/// Gzip inputs are decompressed up to the line; stdin cannot be read again.
pub fn read_line_at(spec: &InputSpec, offset: u64, max: usize) -> Result<Vec<u8>, SourceError> {
    if *spec == InputSpec::Stdin {
        return Err(SourceError::Open {
            name: spec.display_name(),
            source: io::Error::other("standard input cannot be read again"),
        });
    }
    let name = spec.display_name();
    let read_err = |source| SourceError::Read {
        name: name.clone(),
        bytes: offset,
        source,
    };
    let opened = open(spec)?;
    let mut reader = opened.reader;
    let skipped = io::copy(&mut (&mut reader).take(offset), &mut io::sink()).map_err(read_err)?;
    if skipped < offset {
        return Err(read_err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the input is shorter than the offset (rotated or truncated?)",
        )));
    }
    let mut line = Vec::new();
    BufReader::new(reader.take(max as u64))
        .read_until(b'\n', &mut line)
        .map_err(read_err)?;
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    Ok(line)
}

/// A line read back from an input: its 1-based number and its bytes (without the newline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineAt {
    /// Byte offset of the line in the decoded input.
    pub offset: u64,
    /// 1-based line number.
    pub line: u64,
    /// The line, cut at the asked-for maximum.
    pub bytes: Vec<u8>,
    /// The last S3 header line before it (the format it was written in), if any.
    pub header: Option<Vec<u8>>,
}

/// Reads the lines starting at each of `offsets` (any order) in one pass over the input,
/// counting lines on the way, so a page of records costs one read, not one per record.
/// Lines are cut at `max` bytes. Offsets past the end (a rotated or truncated file) are
/// left out of the answer.
pub fn read_lines_at(
    spec: &InputSpec,
    offsets: &[u64],
    max: usize,
) -> Result<Vec<LineAt>, SourceError> {
    if *spec == InputSpec::Stdin {
        return Err(SourceError::Open {
            name: spec.display_name(),
            source: io::Error::other("standard input cannot be read again"),
        });
    }
    let mut wanted: Vec<u64> = offsets.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    let name = spec.display_name();
    let mut reader = BufReader::with_capacity(1 << 16, open(spec)?.reader);
    let (mut pos, mut line) = (0u64, 1u64);
    let mut out = Vec::with_capacity(wanted.len());
    // The S3 header line in effect (the last one passed), and whether `pos` starts a line.
    let mut header: Option<Vec<u8>> = None;
    let mut at_start = true;
    let read_err = |pos: u64, source| SourceError::Read {
        name: name.clone(),
        bytes: pos,
        source,
    };
    for target in wanted {
        // Skip to the target, counting the newlines passed and keeping header lines (a line
        // starting with a lowercase letter, checked whole).
        while pos < target {
            let buf = reader.fill_buf().map_err(|e| read_err(pos, e))?;
            if buf.is_empty() {
                return Ok(out);
            }
            if at_start && buf[0].is_ascii_lowercase() {
                let mut candidate = Vec::new();
                let n = reader
                    .by_ref()
                    .take(64 * 1024)
                    .read_until(b'\n', &mut candidate)
                    .map_err(|e| read_err(pos, e))?;
                pos += n as u64;
                at_start = candidate.last() == Some(&b'\n');
                line += u64::from(at_start);
                let text =
                    crate::parse::strip_cr(candidate.strip_suffix(b"\n").unwrap_or(&candidate));
                if crate::schema::Schema::from_header_line(text).is_some() {
                    header = Some(text.to_vec());
                }
                continue;
            }
            let take = buf
                .len()
                .min(usize::try_from(target - pos).unwrap_or(usize::MAX));
            // Stop right after a newline that starts a possible header line.
            let mut upto = take;
            for i in memchr::memchr_iter(b'\n', &buf[..take]) {
                if buf.get(i + 1).is_some_and(u8::is_ascii_lowercase) && i + 1 < take {
                    upto = i + 1;
                    break;
                }
            }
            line += memchr::memchr_iter(b'\n', &buf[..upto]).count() as u64;
            at_start = buf[upto - 1] == b'\n';
            reader.consume(upto);
            pos += upto as u64;
        }
        let mut bytes = Vec::new();
        let n = reader
            .read_until(b'\n', &mut bytes)
            .map_err(|e| read_err(pos, e))?;
        if n == 0 {
            return Ok(out);
        }
        pos += n as u64;
        let ended = bytes.last() == Some(&b'\n');
        if ended {
            bytes.pop();
        }
        bytes.truncate(max);
        out.push(LineAt {
            offset: target,
            line,
            bytes,
            header: header.clone(),
        });
        line += u64::from(ended);
        at_start = ended;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn globs_and_work_files() {
        let all = FileSelector::default();
        assert!(all.accepts(Path::new("d/a.log")));
        assert!(!all.accepts(Path::new("d/.a.log")));
        assert!(!all.accepts(Path::new("d/a.log.tmp")));
        assert!(!all.accepts(Path::new("d/a.swp")));
        let gz = FileSelector::new(Some("*_vpcflowlogs_*.log.gz".into()));
        assert!(gz.accepts(Path::new(
            "x/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz"
        )));
        assert!(!gz.accepts(Path::new("x/other.log")));
        let q = FileSelector::new(Some("flows-??.log".into()));
        assert!(q.accepts(Path::new("flows-01.log")));
        assert!(!q.accepts(Path::new("flows-1.log")));
        assert!(glob_match(b"*", b""));
        assert!(glob_match(b"a*b*c", b"aXXbYYc"));
        assert!(!glob_match(b"a*b*c", b"aXXbYY"));
    }

    #[test]
    fn reads_the_line_at_an_offset_in_plain_and_gzip_files() {
        let dir = tempfile::tempdir().unwrap();
        let text = b"first line\nsecond line\nthird";
        let plain = dir.path().join("a.log");
        std::fs::write(&plain, text).unwrap();
        let gz = dir.path().join("a.log.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(text).unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        for path in [plain, gz] {
            let spec = InputSpec::File(path);
            assert_eq!(read_line_at(&spec, 11, 1000).unwrap(), b"second line");
            assert_eq!(read_line_at(&spec, 23, 1000).unwrap(), b"third");
            assert_eq!(read_line_at(&spec, 0, 5).unwrap(), b"first");
            assert!(read_line_at(&spec, 1000, 10).is_err());
        }
        assert!(read_line_at(&InputSpec::Stdin, 0, 10).is_err());
    }
}

/// The names of a run's inputs, which can grow while it runs (files appearing in a watched
/// directory). Readers of the list get a consistent copy without taking a lock.
#[derive(Debug, Default)]
pub struct InputRegistry {
    names: arc_swap::ArcSwap<Vec<String>>,
    adding: std::sync::Mutex<()>,
    /// Every file (device, inode) a follower has had open: a file found under a new name with
    /// one of these is a renamed (rotated) file already read, not a new input.
    followed: std::sync::Mutex<std::collections::HashSet<(u64, u64)>>,
}

impl InputRegistry {
    /// A registry holding `names` as inputs 0, 1, ….
    pub fn new(names: Vec<String>) -> Arc<InputRegistry> {
        Arc::new(InputRegistry {
            names: arc_swap::ArcSwap::from_pointee(names),
            adding: std::sync::Mutex::new(()),
            followed: Default::default(),
        })
    }

    /// Every input's name, by index.
    pub fn names(&self) -> Arc<Vec<String>> {
        self.names.load_full()
    }

    /// Adds an input and returns its index.
    pub fn add(&self, name: String) -> usize {
        // One adder at a time, so indexes are handed out once; readers never wait.
        let _one = self.adding.lock();
        let mut next = Vec::clone(&self.names.load());
        next.push(name);
        let index = next.len() - 1;
        self.names.store(Arc::new(next));
        index
    }

    /// Records that a follower has the file `identity` (device, inode) open.
    pub fn note_followed(&self, identity: (u64, u64)) {
        if let Ok(mut set) = self.followed.lock() {
            set.insert(identity);
        }
    }

    /// Whether a follower has had the file `identity` open (it was read under another name).
    pub fn was_followed(&self, identity: (u64, u64)) -> bool {
        self.followed
            .lock()
            .is_ok_and(|set| set.contains(&identity))
    }
}

/// Whether a file found in a watched directory should be read: not hidden, and not an
/// obvious work file (`*.tmp`, `*.partial`, `*.swp`, `*~`).
pub fn is_log_candidate(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    !(name.starts_with('.')
        || name.ends_with('~')
        || [".tmp", ".partial", ".swp", ".swx", ".crdownload"]
            .iter()
            .any(|s| name.ends_with(s)))
}

/// Every regular file below `dir` that `select` accepts, sorted.
pub fn list_dir(dir: &Path, select: &FileSelector) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    collect_dir(dir, &mut files, &mut errors);
    files.retain(|p| select.accepts(p));
    files.sort();
    files
}

#[cfg(test)]
mod read_back_tests {
    use super::*;

    #[test]
    fn lines_are_read_back_with_their_numbers_in_one_pass() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, "one\ntwo\n\nfour\nfive").unwrap();
        let spec = InputSpec::File(path);
        let got = read_lines_at(&spec, &[14, 0, 4, 9, 999], 3).unwrap();
        let got: Vec<(u64, u64, &[u8])> = got
            .iter()
            .map(|l| (l.offset, l.line, l.bytes.as_slice()))
            .collect();
        assert_eq!(
            got,
            [
                (0, 1, &b"one"[..]),
                (4, 2, b"two"),
                (9, 4, b"fou"),
                (14, 5, b"fiv")
            ]
        );
        assert!(read_lines_at(&InputSpec::Stdin, &[0], 10).is_err());
        assert!(got_headers_are_none(&spec));
    }

    fn got_headers_are_none(spec: &InputSpec) -> bool {
        read_lines_at(spec, &[0, 14], 10)
            .unwrap()
            .iter()
            .all(|l| l.header.is_none())
    }

    #[test]
    fn lines_read_back_carry_the_header_line_in_effect() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s3.log");
        let v2 = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status";
        let custom = "version srcaddr dstaddr action";
        let text = format!("{v2}\nrec1\nrec2\n{custom}\nrec3\nlowercase but not a header\nrec4\n");
        std::fs::write(&path, &text).unwrap();
        let spec = InputSpec::File(path);
        let at = |needle: &str| text.find(needle).unwrap() as u64;
        let got = read_lines_at(
            &spec,
            &[at("rec4"), at("rec1"), at("rec3"), at("rec2")],
            100,
        )
        .unwrap();
        let lines: Vec<u64> = got.iter().map(|l| l.line).collect();
        let bytes: Vec<&[u8]> = got.iter().map(|l| l.bytes.as_slice()).collect();
        let headers: Vec<Option<&[u8]>> = got.iter().map(|l| l.header.as_deref()).collect();
        assert_eq!(lines, [2, 3, 5, 7]);
        assert_eq!(bytes, [&b"rec1"[..], b"rec2", b"rec3", b"rec4"]);
        let (v2, custom) = (Some(v2.as_bytes()), Some(custom.as_bytes()));
        assert_eq!(headers, [v2, v2, custom, custom]);
    }
}
