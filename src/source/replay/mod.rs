//! Replaying history: the lines of many inputs in record-time order, paced by a virtual clock.
//!
//! [`MergedLines`] is a k-way merge by `start` across inputs. Each input keeps a window of
//! lines in the merge, so a record up to [`WINDOW`] lines out of order within its file
//! still comes out in order. [`VirtualClock`] turns record time into wall time at N× (or as
//! fast as possible), and can pause, step, change speed and seek: the commands of a replay's
//! control channel ([`ReplayCommand`]). [`feed`] runs the two together and hands the lines on
//! as chunks, the way a reader hands on a file's.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub mod feed;
pub mod lines;
mod queue;

pub use feed::{ReplayConfig, replay_inputs};

use super::{InputSpec, SourceError, open_counted};
use crate::parse::{Line, LineParser, strip_cr};
use crate::schema::{Schema, SharedSchema};
use crate::source::block::{BlockPool, ReadBlock};
use lines::{BlockReader, Next};

/// How many lines per input wait in the merge (how far out of order a record may be).
pub const WINDOW: usize = 4096;

/// How fast record time runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// N seconds of record time per second of wall time.
    Times(f64),
    /// As fast as the records can be read.
    Max,
}

/// A command on a replay's control channel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReplayCommand {
    /// Stop the clock.
    Pause,
    /// Start it again.
    Resume,
    /// While paused: let the next record through.
    Step,
    /// Change the speed.
    Speed(Speed),
    /// Jump to this record time (Unix seconds); records before it are skipped.
    Seek(u64),
}

/// Record time as a function of wall time: `anchor + (wall - anchor_wall) × speed`.
#[derive(Debug, Clone, Copy)]
pub struct VirtualClock {
    anchor_record: f64,
    anchor_wall: Instant,
    speed: Speed,
    paused: bool,
}

impl VirtualClock {
    /// A clock showing `record` at `wall`, running at `speed`.
    pub fn new(record: u64, wall: Instant, speed: Speed) -> VirtualClock {
        VirtualClock {
            anchor_record: record as f64,
            anchor_wall: wall,
            speed,
            paused: false,
        }
    }

    /// Record time at `wall` (infinite at `Max` speed).
    pub fn now_at(&self, wall: Instant) -> f64 {
        if self.paused {
            return self.anchor_record;
        }
        match self.speed {
            Speed::Max => f64::INFINITY,
            Speed::Times(n) => {
                self.anchor_record
                    + wall
                        .saturating_duration_since(self.anchor_wall)
                        .as_secs_f64()
                        * n
            }
        }
    }

    /// How long until record time `t` comes (zero if it has; `None` while paused).
    pub fn due_in(&self, t: u64, wall: Instant) -> Option<Duration> {
        if self.paused {
            return None;
        }
        let now = self.now_at(wall);
        match self.speed {
            _ if now >= t as f64 => Some(Duration::ZERO),
            Speed::Times(n) if n > 0.0 => Some(Duration::from_secs_f64((t as f64 - now) / n)),
            _ => None,
        }
    }

    fn reanchor(&mut self, wall: Instant) {
        if !self.paused && self.speed != Speed::Max {
            self.anchor_record = self.now_at(wall);
        }
        self.anchor_wall = wall;
    }

    /// Applies a command at `wall`. `Step` is the caller's (it lets one record through).
    pub fn apply(&mut self, command: ReplayCommand, wall: Instant) {
        match command {
            ReplayCommand::Pause => {
                self.reanchor(wall);
                self.paused = true;
            }
            ReplayCommand::Resume => {
                self.anchor_wall = wall;
                self.paused = false;
            }
            ReplayCommand::Speed(s) => {
                self.reanchor(wall);
                self.speed = s;
            }
            ReplayCommand::Seek(t) => {
                self.anchor_record = t as f64;
                self.anchor_wall = wall;
            }
            ReplayCommand::Step => {}
        }
    }

    /// Whether the clock is stopped.
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Moves the clock to record time `t` if it is behind it (the first record, a seek).
    pub fn catch_up(&mut self, t: u64, wall: Instant) {
        if self.speed != Speed::Max && self.now_at(wall) < t as f64 && !self.paused {
            self.anchor_record = t as f64;
            self.anchor_wall = wall;
        }
    }
}

/// One line of a replay, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayLine {
    /// Where it came from and what it is.
    pub info: LineInfo,
    /// The line, without its newline (an over-long line's first bytes only).
    pub text: Vec<u8>,
}

/// One input being read line by line.
struct Cursor {
    lines: BlockReader,
    /// The blocks that lines still waiting in the merge lie in, oldest first (the block
    /// being read last).
    live: VecDeque<Live>,
    /// Bytes of the blocks in `live`.
    live_bytes: usize,
    /// A `slots` list to reuse.
    spare: Vec<u32>,
    /// Its current format, an index into [`MergedLines::schemas`].
    schema: u32,
    /// Where `start` is in its format, for [`quick_start`].
    start_field: Option<usize>,
    next_line: u64,
    offset: u64,
    last_start: u64,
    /// Whether a record has set `last_start`.
    timed: bool,
    done: bool,
}

/// `start` of a plain line whose `index`-th field is `start`, read without decoding the
/// rest: `None` for anything else (an envelope: JSON, or a first field with the `T` and `:`
/// of a timestamp; too few fields; a `start` that is not a plain number), which the general
/// parser reads.
pub fn quick_start(line: &[u8], index: usize) -> Option<u64> {
    let line = crate::parse::strip_cr(line);
    start_token(line, crate::parse::nth_field(line, index)?)
}

/// [`quick_start`] once the `start` field's `token` is found in `line`.
fn start_token(line: &[u8], token: &[u8]) -> Option<u64> {
    // The first field is short (a version): a plain loop beats a `memchr` call.
    if line
        .iter()
        .take_while(|b| **b != b' ')
        .any(|b| matches!(b, b'{' | b'T' | b':'))
    {
        return None;
    }
    if token.is_empty() || token.len() > 19 || !token.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(token.iter().fold(0, |n, d| n * 10 + u64::from(d - b'0')))
}

use queue::{Key, StartQueue};

impl Cursor {
    /// Lets go of the oldest blocks once none of their lines waits (the one being read
    /// stays until the input ends).
    fn release_taken(&mut self) {
        while let Some(front) = self.live.front()
            && front.waiting == 0
            && (self.live.len() > 1 || self.done)
        {
            if let Some(old) = self.live.pop_front() {
                self.live_bytes -= old.block.bytes().len();
                self.recycle(old);
            }
        }
    }

    /// Keeps a released block's slot list for the next block.
    fn recycle(&mut self, old: Live) {
        let mut slots = old.slots;
        slots.clear();
        if slots.capacity() > self.spare.capacity() {
            self.spare = slots;
        }
    }
}

/// A block of an input that waiting lines lie in.
struct Live {
    seq: u64,
    block: Arc<ReadBlock>,
    /// Its lines still waiting in the merge.
    waiting: u32,
    /// The slots its lines were put in (some since taken, and perhaps reused).
    slots: Vec<u32>,
}

/// Where a waiting line's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Loc {
    /// `start..end` of its input's block number `seq`.
    Block { seq: u64, start: u32, end: u32 },
    /// In the slot's own buffer (an over-long line's prefix, a line moved out of an old
    /// block).
    #[default]
    Own,
}

/// A waiting line: where its bytes are and where it came from; slots are reused, and so
/// their buffers.
#[derive(Default)]
struct Slot {
    loc: Loc,
    text: Vec<u8>,
    info: LineInfo,
}

/// A line taken from the merge: its bytes, and the block they lie in when they do.
#[derive(Debug, Clone, Copy)]
pub enum LineText<'a> {
    /// `start..end` of a block read from its input.
    Block {
        /// The block.
        block: &'a Arc<ReadBlock>,
        /// Where the line starts in it.
        start: u32,
        /// Where it ends (its newline or the input's end).
        end: u32,
    },
    /// Bytes of their own.
    Own(&'a [u8]),
}

impl LineText<'_> {
    /// The line, without its newline.
    pub fn bytes(&self) -> &[u8] {
        match *self {
            LineText::Block { block, start, end } => &block.bytes()[start as usize..end as usize],
            LineText::Own(text) => text,
        }
    }
}

/// Bytes of blocks read ahead over all inputs: each input's blocks are this divided by the
/// number of inputs, within [`BLOCK_BYTES`].
const READ_AHEAD_BYTES: usize = 64 << 20;
/// The smallest and largest block an input is read in.
const BLOCK_BYTES: (usize, usize) = (64 << 10, 1 << 20);
/// Lines waiting in an input's older blocks are copied out once its blocks hold more than
/// this many blocks' bytes (at least [`MIN_LIVE_BYTES`]), so that a line far ahead of its
/// file's time does not keep a block each.
const LIVE_BLOCKS: usize = 4;
/// See [`LIVE_BLOCKS`].
const MIN_LIVE_BYTES: usize = 1 << 20;

/// Where a line of a replay came from and what it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineInfo {
    /// Its record's `start` (for lines without one, the last `start` of its file).
    pub start: u64,
    /// Whether `start` is a record time: false for lines before its file's first record
    /// (a header, a blank line), which carry no time and go at once.
    pub timed: bool,
    /// Its input.
    pub input: u32,
    /// Its 1-based line number in that input.
    pub line_no: u64,
    /// The byte offset of its first byte in that (decoded) input.
    pub offset: u64,
    /// Whether it is an S3 header line.
    pub header: bool,
    /// Whether it is longer than [`MAX_LINE_BYTES`](crate::source::framer::MAX_LINE_BYTES): its text is then its first bytes
    /// only, and the line is malformed, as the framer would have it.
    pub overlong: bool,
    /// Its format, an index into the merge's formats.
    schema: u32,
}

/// The lines of many inputs in record-time order, each with the format it was written in.
///
/// Only a line's `start` is read here, straight from its field when the line is plain
/// ([`quick_start`]); the workers decode the lines, in parallel, after the merge. A ring of
/// one bucket per second (the `queue` module) holds small keys; the lines wait in the blocks
/// they were read into (the `lines` module), and a reused slot says where each one is.
pub struct MergedLines {
    cursors: Vec<Option<Cursor>>,
    pool: Arc<BlockPool>,
    block_bytes: usize,
    queue: StartQueue,
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// Every format met: the starting one, then one per header line.
    schemas: Vec<SharedSchema>,
    progress: Option<Arc<super::progress::Progress>>,
    parser: LineParser,
    /// Inputs that could not be opened or read to their end.
    pub errors: Vec<(usize, SourceError)>,
}

impl MergedLines {
    /// Opens every input; `schema` is the format before a file's first header. Bytes read and
    /// inputs finished are counted into `progress` when given.
    pub fn new(
        inputs: &[InputSpec],
        schema: &SharedSchema,
        progress: Option<&Arc<super::progress::Progress>>,
    ) -> MergedLines {
        let block_bytes =
            (READ_AHEAD_BYTES / inputs.len().max(1)).clamp(BLOCK_BYTES.0, BLOCK_BYTES.1);
        let mut m = MergedLines {
            cursors: Vec::new(),
            pool: Arc::new(BlockPool::default()),
            block_bytes,
            queue: StartQueue::new(),
            slots: Vec::new(),
            free: Vec::new(),
            schemas: vec![Arc::clone(schema)],
            progress: progress.cloned(),
            parser: LineParser::new(),
            errors: Vec::new(),
        };
        for (i, spec) in inputs.iter().enumerate() {
            match open_counted(spec, progress) {
                Ok(o) => m.cursors.push(Some(Cursor {
                    lines: BlockReader::new(o.reader, Arc::clone(&m.pool), block_bytes),
                    live: VecDeque::new(),
                    live_bytes: 0,
                    spare: Vec::new(),
                    schema: 0,
                    start_field: schema.position(crate::schema::Field::Start),
                    next_line: 1,
                    offset: 0,
                    last_start: 0,
                    timed: false,
                    done: false,
                })),
                Err(e) => {
                    m.errors.push((i, e));
                    m.cursors.push(None);
                    if let Some(p) = progress {
                        p.input_done();
                    }
                }
            }
        }
        for i in 0..m.cursors.len() {
            for _ in 0..WINDOW {
                if !m.read_one(i) {
                    break;
                }
            }
        }
        m
    }

    /// Reads one line of input `i` into the merge; false at its end.
    fn read_one(&mut self, i: usize) -> bool {
        let Some(c) = self.cursors[i].as_mut().filter(|c| !c.done) else {
            return false;
        };
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(Slot::default());
                (self.slots.len() - 1) as u32
            }
        };
        let s = &mut self.slots[slot as usize];
        let (read, field) = match c.lines.next_with_field(&mut s.text, c.start_field) {
            Ok((next, field)) => (Ok(next), field),
            Err(e) => (Err(e), None),
        };
        let (used, overlong) = match read {
            Ok(Next::Line { start, end, used }) => {
                let seq = c.lines.seq();
                if c.live.back().is_none_or(|l| l.seq != seq) {
                    let block = Arc::clone(c.lines.block());
                    c.live_bytes += block.bytes().len();
                    c.live.push_back(Live {
                        seq,
                        block,
                        waiting: 0,
                        slots: std::mem::take(&mut c.spare),
                    });
                }
                if let Some(live) = c.live.back_mut() {
                    live.waiting += 1;
                    live.slots.push(slot);
                }
                s.loc = Loc::Block { seq, start, end };
                (used, false)
            }
            Ok(Next::Overlong(used)) => {
                s.loc = Loc::Own;
                (used, true)
            }
            end => {
                s.loc = Loc::Own;
                self.free.push(slot);
                c.done = true;
                if let Some(p) = &self.progress {
                    p.input_done();
                }
                if let Err(e) = end {
                    self.errors.push((
                        i,
                        SourceError::Read {
                            name: format!("input {i}"),
                            bytes: c.offset,
                            source: e,
                        },
                    ));
                }
                c.release_taken();
                return false;
            }
        };
        let (line_no, offset) = (c.next_line, c.offset);
        c.next_line += 1;
        c.offset += used;
        let text = match s.loc {
            Loc::Block { start, end, .. } => &c.lines.block().bytes()[start as usize..end as usize],
            Loc::Own => &s.text[..],
        };
        let bare = strip_cr(text);
        let header = !overlong
            && bare.first().is_some_and(u8::is_ascii_lowercase)
            && match Schema::from_header_line(bare) {
                Some(schema) => {
                    c.start_field = schema.position(crate::schema::Field::Start);
                    self.schemas.push(Arc::new(schema));
                    c.schema = (self.schemas.len() - 1) as u32;
                    true
                }
                None => false,
            };
        if !header && !overlong {
            let quick = match field {
                // The field was found with the line's end: only its digits are left to read.
                Some((a, b)) => start_token(text, &c.lines.block().bytes()[a as usize..b as usize]),
                None => c.start_field.and_then(|f| quick_start(text, f)),
            };
            let start = match quick {
                Some(s) => Some(s),
                None => match self.parser.parse(&self.schemas[c.schema as usize], text) {
                    Line::Record(r) => r.uint(crate::schema::Field::Start),
                    _ => None,
                },
            };
            if let Some(s) = start {
                c.last_start = s;
                c.timed = true;
            }
        }
        s.info = LineInfo {
            start: c.last_start,
            timed: c.timed,
            input: i as u32,
            line_no,
            offset,
            header,
            overlong,
            schema: c.schema,
        };
        self.queue.push(Key {
            start: c.last_start,
            order: (i as u64) << 40 | line_no.min((1 << 40) - 1),
            slot,
        });
        // Lines far ahead of their file's time must not keep old blocks: move them out.
        let limit = (LIVE_BLOCKS * self.block_bytes).max(MIN_LIVE_BYTES);
        while c.live_bytes > limit && c.live.len() > 1 {
            let Some(old) = c.live.pop_front() else {
                break;
            };
            for &k in &old.slots {
                let s = &mut self.slots[k as usize];
                if let Loc::Block { seq, start, end } = s.loc
                    && seq == old.seq
                    && s.info.input == i as u32
                {
                    s.text.clear();
                    s.text
                        .extend_from_slice(&old.block.bytes()[start as usize..end as usize]);
                    s.loc = Loc::Own;
                }
            }
            c.live_bytes -= old.block.bytes().len();
            c.recycle(old);
        }
        true
    }

    /// Takes the next line in record-time order: `f` sees where it came from, its text
    /// (without its newline) and its format. False when all are read.
    pub fn take(&mut self, f: impl FnOnce(&LineInfo, LineText<'_>, &SharedSchema)) -> bool {
        let Some(key) = self.queue.pop() else {
            return false;
        };
        let slot = &mut self.slots[key.slot as usize];
        let input = slot.info.input as usize;
        let schema = &self.schemas[slot.info.schema as usize];
        match (slot.loc, self.cursors[input].as_mut()) {
            (Loc::Block { seq, start, end }, Some(c)) => {
                match c.live.iter_mut().find(|l| l.seq == seq) {
                    Some(live) => {
                        let text = LineText::Block {
                            block: &live.block,
                            start,
                            end,
                        };
                        f(&slot.info, text, schema);
                        live.waiting = live.waiting.saturating_sub(1);
                    }
                    // Every waiting line's block is live or the line was moved out.
                    None => debug_assert!(false, "line of a released block"),
                }
                c.release_taken();
            }
            _ => f(&slot.info, LineText::Own(&slot.text), schema),
        }
        slot.loc = Loc::Own;
        self.free.push(key.slot);
        self.read_one(input);
        true
    }

    /// The next line in record-time order and its format, or `None` when all are read.
    pub fn next_line(&mut self) -> Option<(ReplayLine, SharedSchema)> {
        let mut out = None;
        self.take(|info, text, schema| {
            out = Some((
                ReplayLine {
                    info: *info,
                    text: text.bytes().to_vec(),
                },
                Arc::clone(schema),
            ));
        });
        out
    }

    /// Skips the next line.
    pub fn skip(&mut self) -> bool {
        self.take(|_, _, _| {})
    }

    /// The `start` of the next line, without taking it.
    pub fn peek_start(&self) -> Option<u64> {
        self.queue.peek().map(|k| k.start)
    }

    /// The `start` of the next line and whether it is a record time, without taking it.
    pub fn peek(&self) -> Option<(u64, bool)> {
        self.queue
            .peek()
            .map(|k| (k.start, self.slots[k.slot as usize].info.timed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_runs_at_its_speed_pauses_and_seeks() {
        let t0 = Instant::now();
        let mut c = VirtualClock::new(1_000, t0, Speed::Times(60.0));
        assert_eq!(c.now_at(t0 + Duration::from_secs(2)), 1_120.0);
        assert_eq!(c.due_in(1_060, t0), Some(Duration::from_secs(1)));
        assert_eq!(c.due_in(900, t0), Some(Duration::ZERO));
        c.apply(ReplayCommand::Pause, t0 + Duration::from_secs(1));
        assert_eq!(c.now_at(t0 + Duration::from_secs(10)), 1_060.0);
        assert_eq!(c.due_in(2_000, t0), None);
        c.apply(ReplayCommand::Resume, t0 + Duration::from_secs(10));
        assert_eq!(c.now_at(t0 + Duration::from_secs(11)), 1_120.0);
        c.apply(
            ReplayCommand::Speed(Speed::Times(1.0)),
            t0 + Duration::from_secs(11),
        );
        assert_eq!(c.now_at(t0 + Duration::from_secs(13)), 1_122.0);
        c.apply(ReplayCommand::Seek(5_000), t0 + Duration::from_secs(13));
        assert_eq!(c.now_at(t0 + Duration::from_secs(14)), 5_001.0);
        let max = VirtualClock::new(0, t0, Speed::Max);
        assert_eq!(max.due_in(u64::MAX, t0), Some(Duration::ZERO));
    }

    #[test]
    fn lines_of_several_files_come_out_by_start() {
        let dir = tempfile::tempdir().unwrap();
        let line = |start: u64| {
            format!(
                "2 1 eni-a 10.0.0.1 10.0.0.2 1 22 6 1 1 {start} {} ACCEPT OK\n",
                start + 5
            )
        };
        let a = dir.path().join("a.log");
        let b = dir.path().join("b.log");
        // a: 10, 30, 20 (out of order), 50; b: header, 15, 40
        std::fs::write(&a, [line(10), line(30), line(20), line(50)].concat()).unwrap();
        let header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n";
        std::fs::write(&b, [header.to_string(), line(15), line(40)].concat()).unwrap();
        let inputs = vec![InputSpec::File(a), InputSpec::File(b)];
        let mut m = MergedLines::new(&inputs, &Arc::new(Schema::default_v2()), None);
        let mut order = Vec::new();
        while let Some((l, _)) = m.next_line() {
            order.push((l.info.start, l.info.input, l.info.header));
        }
        assert_eq!(
            order,
            vec![
                (0, 1, true),
                (10, 0, false),
                (15, 1, false),
                (20, 0, false),
                (30, 0, false),
                (40, 1, false),
                (50, 0, false)
            ]
        );
    }

    #[test]
    fn lines_far_ahead_of_their_file_are_moved_out_of_old_blocks_and_keep_their_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ahead.log");
        // 40,000 lines (about 4 MB) in time order, every 97th line a day ahead.
        let mut text = String::new();
        for k in 0..40_000u64 {
            let start = if k % 97 == 0 {
                1_000_000 + k
            } else {
                1_000 + k / 10
            };
            text.push_str(&format!(
                "2 1 eni-{k:08x} 10.0.0.1 10.0.0.2 1 22 6 1 1 {start} {} ACCEPT OK\n",
                start + 5
            ));
        }
        std::fs::write(&path, &text).unwrap();
        let mut m = MergedLines::new(
            &[InputSpec::File(path)],
            &Arc::new(Schema::default_v2()),
            None,
        );
        let limit = (LIVE_BLOCKS * m.block_bytes).max(MIN_LIVE_BYTES);
        let (mut last, mut seen, mut moved) = (0, 0, 0);
        while let Some((line, _)) = m.next_line() {
            let at = line.info.offset as usize;
            assert_eq!(
                &text.as_bytes()[at..at + line.text.len()],
                &line.text[..],
                "line {}",
                line.info.line_no
            );
            assert!(line.info.start >= last, "in time order");
            last = line.info.start;
            seen += 1;
            if let Some(c) = &m.cursors[0] {
                assert!(
                    c.live_bytes <= limit + m.block_bytes,
                    "{} bytes held",
                    c.live_bytes
                );
            }
            if seen % 1000 == 0 {
                moved += m
                    .slots
                    .iter()
                    .filter(|s| s.loc == Loc::Own && s.info.start >= 1_000_000)
                    .count();
            }
        }
        assert_eq!(seen, 40_000);
        assert!(
            moved > 0,
            "the lines a day ahead were moved out of their blocks"
        );
    }

    proptest::proptest! {
        /// Wherever `quick_start` reads a start, the general parser reads the same one from a
        /// record (or calls the line malformed, which has no start of its own).
        #[test]
        fn quick_start_agrees_with_the_general_parser(
            tokens in proptest::collection::vec(
                proptest::prop_oneof![
                    "[0-9]{1,21}",
                    proptest::strategy::Just("-".to_string()),
                    "[0-9a-f.:]{1,12}",
                    "(ACCEPT|REJECT|OK|NODATA|eni-[0-9a-f]{3})",
                ],
                10..16,
            ),
            seps in proptest::collection::vec("( |  )", 16),
            cr in proptest::bool::ANY,
        ) {
            let mut line = String::new();
            for (k, t) in tokens.iter().enumerate() {
                if k > 0 {
                    line.push_str(&seps[k]);
                }
                line.push_str(t);
            }
            if cr {
                line.push('\r');
            }
            let schema = Schema::default_v2();
            let quick = schema
                .position(crate::schema::Field::Start)
                .and_then(|f| quick_start(line.as_bytes(), f));
            let mut parser = LineParser::new();
            if let Some(s) = quick {
                match parser.parse(&schema, line.as_bytes()) {
                    Line::Record(r) => {
                        proptest::prop_assert_eq!(r.uint(crate::schema::Field::Start), Some(s))
                    }
                    Line::Malformed(_) => {}
                    Line::Blank => proptest::prop_assert!(false, "blank: {line:?}"),
                }
            }
        }
    }
}
