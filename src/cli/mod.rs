//! Command-line definitions (clap) and their translation into validated settings.
//!
//! Owns: every flag, its help text and its default; exit codes; the validated [`Settings`]
//! a reading command runs on. Everything after `cli` sees only validated values (a parsed
//! [`Schema`], a [`Metric`], a [`Filter`](crate::filter::Filter)), never raw strings.
//!
//! Never: reads an input or runs a command; `commands` does.

mod settings;

pub use settings::{Settings, UsageError, parse_filter_flag, view_of};

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::core::Metric;
use crate::schema::{FormatError, Schema};

/// Exit code when everything was read.
pub const EXIT_OK: i32 = 0;
/// Exit code when an input could not be read (to the end); the others were still processed.
pub const EXIT_INPUT_ERROR: i32 = 1;
/// Exit code for a usage error (bad flag or value).
pub const EXIT_USAGE: i32 = 2;
/// Exit code when every input was read but not one line was a flow-log record while some
/// were malformed (prose, a wrong `--format`): nothing was understood.
pub const EXIT_NOTHING_UNDERSTOOD: i32 = 3;
/// Exit code of `alerts` when an alert at or above `--fail-on` opened (and nothing else
/// went wrong).
pub const EXIT_ALERT: i32 = 4;

/// vpctop: htop for a VPC. Reads AWS VPC Flow Logs and shows who talks to whom.
///
/// Without a subcommand, opens the live dashboard on PATHS (following them like tail -F).
#[derive(Debug, Parser)]
#[command(
    name = "vpctop",
    version,
    about,
    long_about = None,
    after_long_help = crate::manual::long_help(),
    arg_required_else_help = true,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    /// What to do (default: the dashboard).
    #[command(subcommand)]
    pub command: Option<Command>,

    /// The dashboard's options.
    #[command(flatten)]
    pub dashboard: DashboardArgs,
}

/// `vpctop [OPTIONS] PATHS…`: the live dashboard.
#[derive(Debug, Args)]
pub struct DashboardArgs {
    /// Inputs and format.
    #[command(flatten)]
    pub input: InputArgs,

    /// Read the inputs to their end and stop reading (the dashboard stays open).
    #[arg(long)]
    pub no_follow: bool,

    /// Start at the end of files that already exist (like tail -n0 -F).
    #[arg(long, conflicts_with = "no_follow")]
    pub from_end: bool,

    /// Poll files and directories every DURATION (e.g. 250ms, 1s) instead of waiting for
    /// the operating system's file events (network file systems, inotify limits).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub poll: Option<std::time::Duration>,

    /// Dashboard look.
    #[command(flatten)]
    pub ui: UiArgs,
}

/// Options of the dashboard itself.
#[derive(Debug, Args)]
pub struct UiArgs {
    /// Memory for the records the filter bar and the inspector query (e.g. 512M, 2G); the
    /// oldest are evicted beyond it and the status bar says what is still complete.
    #[arg(long, value_name = "SIZE", default_value = "1Gi", value_parser = parse_memory)]
    pub memory: u64,

    /// Colours: auto (16 colours unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = crate::ui::theme::ColorChoice::Auto)]
    pub color: crate::ui::theme::ColorChoice,

    /// Benchmarks: write every keypress → frame latency (microseconds) to FILE at exit.
    #[arg(long, value_name = "FILE", hide = true)]
    pub latency_log: Option<PathBuf>,

    /// Ring the terminal bell when an alert opens (at or above --min-severity).
    #[arg(long)]
    pub bell: bool,

    /// Do not run the alert detections (ingest is faster without their evidence).
    #[arg(long, conflicts_with = "bell")]
    pub no_alerts: bool,

    /// Show only alerts of this severity or above in the status bar and the alert list.
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = SeverityArg::Low)]
    pub min_severity: SeverityArg,

    /// The alert detections' thresholds, windows and rules.
    #[command(flatten)]
    pub thresholds: ThresholdArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Summarise flow logs: line accounting, totals, top talkers, malformed lines.
    Report(ReportArgs),
    /// Print every record as one JSON object per line (NDJSON), for jq and friends.
    Records(RecordsArgs),
    /// Run the alert detections (port scan, brute force on login ports, VPC Block Public
    /// Access, logging gaps) over the inputs in record time and print each alert's events
    /// (opened, updated, closed); exits 4 when one at or above --fail-on opened.
    Alerts(AlertsArgs),
    /// Replay history in record-time order (merged across files by start) at N× speed in the
    /// dashboard (space pauses, +/- change speed, . steps), or headless with reports.
    Replay(ReplayArgs),
    /// Live demo without AWS: realistic generated traffic with scripted incidents (port
    /// scan, SSH brute force, a network ACL dropping replies, a VPC Block Public Access
    /// rejection, an egress burst, NODATA gaps).
    Demo(DemoArgs),
    /// Print the Athena CREATE EXTERNAL TABLE for a flow log's S3 objects, with partition
    /// projection over the delivery layout (then `report --emit athena` queries it).
    AthenaDdl(AthenaDdlArgs),
    /// Print a shell completion script (e.g. `vpctop completions bash > /etc/bash_completion.d/vpctop`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `vpctop man | man -l -`.
    Man,
}

/// `vpctop alerts`.
#[derive(Debug, Args)]
pub struct AlertsArgs {
    /// Inputs and format.
    #[command(flatten)]
    pub input: InputArgs,

    /// One JSON object per event (NDJSON: phase, detection, severity, key, at, window,
    /// evidence) instead of text.
    #[arg(long)]
    pub json: bool,

    /// Only alerts of this severity or above.
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = SeverityArg::Low)]
    pub min_severity: SeverityArg,

    /// Exit 4 when an alert of this severity or above opened (for cron and CI).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,

    /// Thresholds, windows and rules.
    #[command(flatten)]
    pub thresholds: ThresholdArgs,

    /// Keep reading (files like tail -F, directories and S3 prefixes for new objects) and
    /// print each alert event as record time reaches it, until Ctrl-C or every input ends.
    #[arg(long)]
    pub follow: bool,

    /// With --follow, how often the detections look at what was read (e.g. 1s, 500ms).
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration)]
    pub interval: std::time::Duration,

    /// With --follow, start at the end of files (only what is appended from now on).
    #[arg(long, requires = "follow")]
    pub from_end: bool,

    /// With --follow, poll files and directories every DURATION instead of waiting for
    /// change notifications.
    #[arg(long, value_name = "DURATION", requires = "follow", value_parser = parse_duration)]
    pub poll: Option<std::time::Duration>,

    /// Run CMD once per opened alert with the alert's JSON on its stdin (split into words,
    /// never run by a shell; e.g. `--exec 'curl -s -d @- https://hooks.example/x'`). At most
    /// four run at once, each killed after 30 s; ingest never waits for them.
    #[arg(long, value_name = "CMD")]
    pub exec: Option<String>,

    /// When the records end, wait at most DURATION for the --exec commands still queued or
    /// running; those left are then killed or not run, and counted on stderr.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration, requires = "exec")]
    pub exec_grace: std::time::Duration,
}

/// The detections' thresholds and the user's rules (`alerts`, `report --alerts`, the
/// dashboard). A flag given here wins over the alerts file, which wins over the defaults.
#[derive(Debug, Clone, Default, Args)]
pub struct ThresholdArgs {
    /// Alert rules and threshold overrides, TOML (default ~/.config/vpctop/alerts.toml when
    /// it exists): `[[rule]]` tables of name, filter (the filter language), group (src, dst,
    /// pair, dstport, service, interface, all), metric (flows, bytes, packets), over (a
    /// window), above (a threshold) and severity; a `[thresholds]` table; `disable = [names]`.
    #[arg(long = "alert-rules", value_name = "FILE")]
    pub rules: Option<std::path::PathBuf>,

    /// Record time each detection looks back over (e.g. 5m, 1h; whole minutes) [default: 5m].
    #[arg(long, value_name = "DURATION", value_parser = parse_secs)]
    pub window: Option<u64>,

    /// Record time a count must stay under its threshold before its alert closes
    /// [default: 2m].
    #[arg(long, value_name = "DURATION", value_parser = parse_secs)]
    pub hold: Option<u64>,

    /// Distinct refused ports of one host, from one source, within the window: a port scan
    /// [default: 100].
    #[arg(long, value_name = "N")]
    pub scan_ports: Option<u64>,

    /// Distinct hosts refused on one port, from one source: a host sweep [default: 50].
    #[arg(long, value_name = "N")]
    pub sweep_hosts: Option<u64>,

    /// Refused (or short accepted) connections from one source to one login service (SSH,
    /// RDP, databases) within the window: a brute force [default: 50].
    #[arg(long, value_name = "N")]
    pub login_flows: Option<u64>,

    /// Flows from one source to one service refused by VPC Block Public Access
    /// [default: 5].
    #[arg(long, value_name = "N")]
    pub bpa_flows: Option<u64>,

    /// Minutes of only NODATA/SKIPDATA records from an interface that had traffic: a
    /// logging gap [default: 1].
    #[arg(long, value_name = "N")]
    pub gap_minutes: Option<u64>,

    /// Alerts of one detection from one network (a /16) told one by one within a window
    /// before the rest fold into one storm alert; 0 never folds [default: 3].
    #[arg(long, value_name = "N")]
    pub storm_after: Option<usize>,
}

impl ThresholdArgs {
    /// The engine's settings: the defaults, then the alerts file, then these flags; rule
    /// filters are bound to `inventory`.
    pub fn config(
        &self,
        inventory: Option<&std::sync::Arc<crate::inventory::Inventory>>,
    ) -> Result<crate::alerts::Config, crate::alerts::RuleError> {
        let mut c = crate::alerts::Config::default();
        let file = self.rules.clone().or_else(|| {
            let base = std::env::var_os("XDG_CONFIG_HOME")
                .filter(|v| !v.is_empty())
                .map(std::path::PathBuf::from)
                .or_else(|| {
                    std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".config"))
                })?;
            Some(base.join("vpctop/alerts.toml")).filter(|p| p.is_file())
        });
        if let Some(path) = file {
            crate::alerts::load_rules(&path, &mut c, inventory)?;
        }
        let t = &mut c.thresholds;
        let set = |slot: &mut u64, v: Option<u64>| {
            if let Some(v) = v {
                *slot = v.max(1);
            }
        };
        set(&mut t.window_secs, self.window);
        set(&mut t.hold_secs, self.hold);
        set(&mut t.scan_ports, self.scan_ports);
        set(&mut t.sweep_hosts, self.sweep_hosts);
        set(&mut t.login_flows, self.login_flows);
        set(&mut t.bpa_flows, self.bpa_flows);
        set(&mut t.gap_minutes, self.gap_minutes);
        if let Some(n) = self.storm_after {
            c.storm_after = n;
        }
        Ok(c)
    }
}

/// `--window` and `--hold` values: a filter-language duration, at least a second.
fn parse_secs(text: &str) -> Result<u64, String> {
    crate::filter::parse_duration(text)
        .filter(|s| *s > 0)
        .ok_or_else(|| format!("`{text}` is not a duration (expected e.g. 5m, 1h)"))
}

/// Severity values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum SeverityArg {
    /// Logging gaps and above.
    Low,
    /// Block Public Access refusals and above.
    Medium,
    /// Scans and brute force.
    High,
}

impl From<SeverityArg> for crate::alerts::Severity {
    fn from(s: SeverityArg) -> crate::alerts::Severity {
        match s {
            SeverityArg::Low => crate::alerts::Severity::Low,
            SeverityArg::Medium => crate::alerts::Severity::Medium,
            SeverityArg::High => crate::alerts::Severity::High,
        }
    }
}

/// `vpctop demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seed of the generator: the same seed always makes the same traffic.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,

    /// Records per second of wall time, about.
    #[arg(long, value_name = "RECORDS_PER_S", default_value_t = 400.0)]
    pub rate: f64,

    /// Record seconds per wall second (the incident script repeats every 120 record seconds).
    #[arg(long, value_name = "N", default_value_t = 1.0)]
    pub speed: f64,

    /// Record format: v2 (14 fields), v5 (29 fields) or v10 (the v5 fields, reject-reason and
    /// encryption-status); files start with an S3 header line.
    #[arg(long, value_enum, default_value_t = crate::demo::DemoFormat::V2)]
    pub format: crate::demo::DemoFormat,

    /// Write the traffic into DIR as S3-style objects instead of showing it (try `vpctop
    /// DIR` in another terminal); stops on Ctrl-C.
    #[arg(long, value_name = "DIR")]
    pub write: Option<PathBuf>,

    /// With --write: records per object (objects appear whole, by rename; every fourth is
    /// gzip-compressed).
    #[arg(long, value_name = "N", default_value_t = 2000, requires = "write")]
    pub rotate_every: usize,

    /// Dashboard look.
    #[command(flatten)]
    pub ui: UiArgs,
}

/// `vpctop replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Inputs and format.
    #[command(flatten)]
    pub input: InputArgs,

    /// Record seconds per wall second (e.g. 1, 60, 1000), or `max` for as fast as possible.
    #[arg(long, value_name = "N|max", default_value = "60", value_parser = parse_speed)]
    pub speed: crate::source::replay::Speed,

    /// Print a report every DURATION of wall time while replaying (one JSON object per line
    /// with --json), and always a last one at the end.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub interval: Option<std::time::Duration>,

    /// Output shape.
    #[command(flatten)]
    pub output: OutputArgs,

    /// Print reports instead of opening the dashboard (the default when stdout is not a
    /// terminal, or with --json or --interval).
    #[arg(long)]
    pub no_ui: bool,

    /// Headless: every report carries the alerts opened so far in record time (`"alerts"`
    /// in JSON), so a replay at speed says when each incident began. The dashboard always
    /// watches unless --no-alerts.
    #[arg(long, conflicts_with = "no_alerts")]
    pub alerts: bool,

    /// Dashboard look.
    #[command(flatten)]
    pub ui: UiArgs,
}

/// Checks a `--from`/`--to` value now, so a typo is a usage error before anything is read.
fn parse_time_arg(text: &str) -> Result<String, String> {
    let now = now_secs();
    crate::filter::parse_time(text, now, now)
        .map(|_| text.to_string())
        .ok_or_else(|| {
            format!(
                "`{text}` is not a time (expected e.g. 2026-11-23T10:00Z, 2026-11-23, \
                 1700000000, -2h or 11:30)"
            )
        })
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl ReplayArgs {
    /// `--from` (or `--since`) and `--to` in Unix seconds.
    pub fn window(&self) -> (Option<u64>, Option<u64>) {
        self.input.window()
    }
}

/// `--speed` values: a positive number, or `max`.
fn parse_speed(text: &str) -> Result<crate::source::replay::Speed, String> {
    use crate::source::replay::Speed;
    if text.eq_ignore_ascii_case("max") {
        return Ok(Speed::Max);
    }
    match text.trim_end_matches(['x', 'X']).parse::<f64>() {
        Ok(n) if n > 0.0 && n.is_finite() => Ok(Speed::Times(n)),
        _ => Err(format!(
            "`{text}` is not a speed (expected e.g. 60, 1000 or max)"
        )),
    }
}

/// Options every command that reads flow logs shares.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Files, directories (every file below them) or `-` for stdin; gzip is detected.
    #[arg(required = true, value_name = "PATHS")]
    pub paths: Vec<PathBuf>,

    /// Record format for lines before the first header line, as `${a} ${b}`, `a b` or `a_b`
    /// field names. Default: the 14-field v2 format. S3 header lines override it.
    #[arg(long, value_name = "FMT")]
    pub format: Option<String>,

    /// Accept names in --format that are not known flow-log fields (kept as text). Without
    /// it, an unknown name is an error that suggests the nearest field (a typo like `srcadr`
    /// would otherwise leave that column empty everywhere).
    #[arg(long)]
    pub allow_unknown_fields: bool,

    /// The account as the AWS CLI prints it, a JSON file or a directory of them (repeatable):
    /// what `aws ec2 describe-network-interfaces`, `describe-security-groups`,
    /// `describe-network-acls`, `describe-subnets`, `describe-vpcs` and `describe-instances`
    /// print. The diagnosis then names the security group or network ACL rule that blocks a
    /// REJECTed conversation.
    #[arg(long, value_name = "PATH")]
    pub inventory: Vec<PathBuf>,

    /// AWS's published address ranges (`ip-ranges.json`, from
    /// `https://ip-ranges.amazonaws.com/ip-ranges.json`): addresses outside the account are
    /// named by the AWS service and region that own them (`AWS S3 us-east-1`).
    #[arg(long, value_name = "FILE")]
    pub ip_ranges: Option<PathBuf>,

    /// The prices of the estimated data-transfer cost (`report --by cost`, the dashboard's
    /// `s` after flows): a JSON table in USD per GiB (`{"internet_egress": 0.09,
    /// "cross_az": 0.01, "nat_gateway": 0.045, "inter_region": 0.02}`, the us-east-1 list
    /// prices used without it; keys left out keep them).
    #[arg(long, value_name = "FILE", value_parser = load_prices)]
    pub prices: Option<crate::inventory::prices::Prices>,

    /// Keep only records matching EXPR, e.g. 'action=REJECT dstport=22 src=10.0.0.0/8'
    /// (the language is in `vpctop --help` and `vpctop man`).
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,

    /// In directories, read only files whose name matches PATTERN (`*` and `?`), e.g.
    /// '*.log.gz'. Hidden and work files (*.tmp, *.partial, *.swp, *~) are always skipped.
    #[arg(long, value_name = "PATTERN")]
    pub glob: Option<String>,

    /// Parse threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// Only records of the last DURATION (e.g. 2h, 30m): S3 prefixes and objects that cannot
    /// hold them are not even listed or read.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, conflicts_with = "from")]
    pub since: Option<std::time::Duration>,

    /// Only records from TIME on: RFC 3339 (2026-11-23T10:00Z; no zone is UTC), a date, Unix
    /// seconds, or relative to now (-2h, now-1d). `replay` starts there.
    #[arg(long, value_name = "TIME", value_parser = parse_time_arg)]
    pub from: Option<String>,

    /// Only records that start at TIME or before (as --from; a time of day such as 11:30 is
    /// on the day of --from). `replay` stops there.
    #[arg(long, value_name = "TIME", value_parser = parse_time_arg)]
    pub to: Option<String>,

    /// Where AWS inputs (`s3://…`) are read from.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// How AWS inputs are reached: the standard credential chain, with these on top.
#[derive(Debug, Args, Clone, Default)]
pub struct AwsArgs {
    /// A named profile of ~/.aws/config and ~/.aws/credentials (or AWS_PROFILE).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// The AWS region (or AWS_REGION, or the profile's).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// Another endpoint for S3 and CloudWatch Logs: an S3-compatible store or a local test
    /// server (or AWS_ENDPOINT_URL). S3 then uses path-style addressing.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// For `cwl://` inputs: only the log streams whose names start with PREFIX (one ENI's
    /// streams: eni-0abc).
    #[arg(long, value_name = "PREFIX")]
    pub log_stream_prefix: Option<String>,

    /// S3 objects read at the same time.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub s3_concurrency: usize,
}

impl InputArgs {
    /// `--from` (or now minus `--since`) and `--to` in Unix seconds; a time of day in `--to`
    /// is on `--from`'s day (or today, UTC, without `--from`).
    pub fn window(&self) -> (Option<u64>, Option<u64>) {
        let now = now_secs();
        let from = match self.since {
            Some(d) => Some(now.saturating_sub(d.as_secs())),
            None => self
                .from
                .as_deref()
                .and_then(|t| crate::filter::parse_time(t, now, now)),
        };
        let to = self
            .to
            .as_deref()
            .and_then(|t| crate::filter::parse_time(t, now, from.unwrap_or(now)));
        (from, to)
    }

    /// The starting format: `--format` or the default v2. Unknown names in `--format` are an
    /// error unless `--allow-unknown-fields` is given.
    pub fn schema(&self) -> Result<Schema, FormatError> {
        format_schema(self.format.as_deref(), self.allow_unknown_fields)
    }
}

/// The format a `--format` flag names, or the default v2 without one; unknown field names
/// are an error unless `allow_unknown`.
pub fn format_schema(format: Option<&str>, allow_unknown: bool) -> Result<Schema, FormatError> {
    match format {
        Some(f) => {
            let schema = Schema::parse_format(f)?;
            if !allow_unknown {
                schema.require_known()?;
            }
            Ok(schema)
        }
        None => Ok(Schema::default_v2()),
    }
}

/// How `report` and `replay` print their reports.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Print JSON instead of text (one object per line when reports repeat).
    #[arg(long)]
    pub json: bool,

    /// Entries in each top list.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,

    /// What top lists are sorted by. `cost` ranks the lists made of addresses (sources,
    /// destinations, pairs and, with --inventory, subnets, VPCs, security groups, zones,
    /// services and scopes) by estimated data-transfer cost in USD and shows it; the others
    /// stay ranked by bytes.
    #[arg(long, value_enum, default_value_t = MetricArg::Bytes)]
    pub by: MetricArg,
}

/// `--prices` values: a price table file, read and checked.
fn load_prices(text: &str) -> Result<crate::inventory::prices::Prices, String> {
    crate::inventory::prices::Prices::load(std::path::Path::new(text)).map_err(|e| e.to_string())
}

impl OutputArgs {
    /// The summary options these flags ask for, for an aggregate made with `filter`
    /// (`prices` rank the lists with `--by cost`).
    pub fn summary<'f>(
        &self,
        filter: Option<&'f crate::filter::Filter>,
        prices: &'f crate::inventory::prices::Prices,
    ) -> crate::report::SummaryOptions<'f> {
        crate::report::SummaryOptions {
            top: self.top,
            by: self.by.into(),
            filter,
            inventory: None,
            prices: (self.by == MetricArg::Cost).then_some(prices),
            alerts: None,
        }
    }
}

/// `vpctop report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Inputs and format.
    #[command(flatten)]
    pub input: InputArgs,

    /// Output shape.
    #[command(flatten)]
    pub output: OutputArgs,

    /// Read nothing: print the query that computes this report's top lists (the same
    /// --filter, --from/--to, --by and --top) at scale, in Athena SQL over the flow-log table
    /// (`vpctop athena-ddl` makes it) or in CloudWatch Logs Insights over a log group. The
    /// format is --format, or the header of the first input file.
    #[arg(long, value_enum, value_name = "ENGINE", conflicts_with_all = ["follow", "drill", "alerts"])]
    pub emit: Option<EmitArg>,

    /// With --emit: only the list of this grouping (default: every list of the report).
    #[arg(long, value_enum, value_name = "KEY", requires = "emit")]
    pub group: Option<GroupArg>,

    /// With --emit athena: the table queried (may be `database.table`).
    #[arg(
        long,
        value_name = "NAME",
        default_value = "vpc_flow_logs",
        requires = "emit"
    )]
    pub table: String,

    /// With --emit athena: the table's partition columns, used to read only the days of
    /// --from/--to (`day` as `vpctop athena-ddl` makes it, `hive` for year/month/day, `date`
    /// for AWS's example table, `none`).
    #[arg(long, value_enum, value_name = "LAYOUT", default_value_t = PartitionsArg::Day, requires = "emit")]
    pub partitions: PartitionsArg,

    /// Drill into KEY (a filter such as 'host=10.0.0.5', 'dstport=22', 'interface=eni-0a1b'):
    /// its conversations and newest records with their raw lines. Retains every record in
    /// memory while reading (bounded by --memory).
    #[arg(long, value_name = "KEY")]
    pub drill: Option<String>,

    /// Memory for retained records with --drill (e.g. 512M, 2G, 1Gi); the oldest are evicted
    /// beyond it and the report says what time range is still complete.
    #[arg(long, value_name = "SIZE", default_value = "1Gi", value_parser = parse_memory)]
    pub memory: u64,

    /// Also run the alert detections and list the alerts: JSON `alerts`, text `alert`
    /// lines (thresholds and rules as for `vpctop alerts`).
    #[arg(long)]
    pub alerts: bool,

    /// Thresholds and rules of --alerts.
    #[command(flatten)]
    pub thresholds: ThresholdArgs,

    /// Conversations and records shown with --drill.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub drill_limit: usize,

    /// Keep reading: follow files as they grow, rotate and are truncated (like tail -F), and
    /// stdin until it ends; print a report every --interval and a last one on Ctrl-C,
    /// SIGTERM or the end of every input (one JSON object per line with --json).
    #[arg(long, conflicts_with = "drill")]
    pub follow: bool,

    /// Time between reports with --follow (e.g. 5s, 1m).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub interval: std::time::Duration,

    /// With --follow, start at the end of files that already exist (like tail -n0 -F).
    #[arg(long, requires = "follow")]
    pub from_end: bool,

    /// With --follow, poll files and directories every DURATION (e.g. 250ms, 1s) instead of
    /// waiting for the operating system's file events (for network file systems, or when the
    /// inotify watch limit is reached).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub poll: Option<std::time::Duration>,
}

/// `--interval` and `--poll` values: `250ms`, or a filter-language duration (`5s`, `1m`).
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    if let Some(ms) = text.strip_suffix("ms")
        && let Ok(ms) = ms.parse::<u64>()
    {
        return Ok(std::time::Duration::from_millis(ms));
    }
    crate::filter::parse_duration(text)
        .map(std::time::Duration::from_secs)
        .ok_or_else(|| format!("`{text}` is not a duration (expected e.g. 250ms, 5s or 1m)"))
}

/// `--memory` values: a size with an optional SI or binary suffix.
fn parse_memory(text: &str) -> Result<u64, String> {
    crate::filter::parse_size(text)
        .ok_or_else(|| format!("`{text}` is not a size (expected e.g. 512M, 2G or 1Gi)"))
}

/// `vpctop records`.
#[derive(Debug, Args)]
pub struct RecordsArgs {
    /// Inputs and format.
    #[command(flatten)]
    pub input: InputArgs,

    /// Also print malformed lines, as {"malformed": REASON, "text": …, "file", "line"}.
    #[arg(long)]
    pub include_malformed: bool,
}

/// `--emit` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EmitArg {
    /// Amazon Athena (Trino SQL).
    Athena,
    /// CloudWatch Logs Insights.
    Insights,
}

/// `--group` values: the report's lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupArg {
    /// Source addresses.
    Src,
    /// Destination addresses.
    Dst,
    /// Source -> destination pairs.
    Pair,
    /// Destination ports.
    Dstport,
    /// Network interfaces.
    Interface,
    /// IP protocols.
    Protocol,
}

impl From<GroupArg> for crate::core::Dimension {
    fn from(g: GroupArg) -> crate::core::Dimension {
        use crate::core::Dimension as D;
        match g {
            GroupArg::Src => D::Src,
            GroupArg::Dst => D::Dst,
            GroupArg::Pair => D::Pair,
            GroupArg::Dstport => D::DstPort,
            GroupArg::Interface => D::Interface,
            GroupArg::Protocol => D::Protocol,
        }
    }
}

/// `--partitions` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PartitionsArg {
    /// `day` string yyyy/MM/dd.
    Day,
    /// `year`, `month`, `day` strings.
    Hive,
    /// `date` of type date.
    Date,
    /// Not partitioned.
    None,
}

impl From<PartitionsArg> for crate::query::athena::Partitions {
    fn from(p: PartitionsArg) -> crate::query::athena::Partitions {
        use crate::query::athena::Partitions as P;
        match p {
            PartitionsArg::Day => P::Day,
            PartitionsArg::Hive => P::Hive,
            PartitionsArg::Date => P::Date,
            PartitionsArg::None => P::None,
        }
    }
}

/// `vpctop athena-ddl`.
#[derive(Debug, Args)]
pub struct AthenaDdlArgs {
    /// The objects' format, as `${a} ${b}`, `a b` or `a_b` (default: the v2 default format).
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,

    /// Where the flow log delivers: s3://bucket[/prefix]/AWSLogs/ (or deeper, down to the
    /// region's folder).
    #[arg(long, value_name = "S3_URL")]
    pub location: String,

    /// The objects are Parquet (the flow log's FileFormat parquet).
    #[arg(long)]
    pub parquet: bool,

    /// The keys use the Hive-compatible layout (aws-account-id=…/year=…).
    #[arg(long)]
    pub hive: bool,

    /// The keys have per-hour folders (PerHourPartition).
    #[arg(long)]
    pub hourly: bool,

    /// The accounts under --location (comma-separated), when it does not name one.
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub account: Vec<String>,

    /// The regions under --location (comma-separated), when it does not name one.
    #[arg(long, value_name = "REGION", value_delimiter = ',')]
    pub region: Vec<String>,

    /// The table's name (may be `database.table`).
    #[arg(long, value_name = "NAME", default_value = "vpc_flow_logs")]
    pub table: String,
}

/// `--by` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MetricArg {
    /// Sum of bytes.
    Bytes,
    /// Sum of packets.
    Packets,
    /// Number of records.
    Flows,
    /// Estimated data-transfer cost in USD (see --prices).
    Cost,
}

impl From<MetricArg> for Metric {
    fn from(m: MetricArg) -> Metric {
        match m {
            MetricArg::Bytes => Metric::Bytes,
            MetricArg::Packets => Metric::Packets,
            MetricArg::Flows => Metric::Flows,
            // Lists that cannot be costed (ports, interfaces, protocols) rank by bytes.
            MetricArg::Cost => Metric::Bytes,
        }
    }
}
