//! The user's alert rules and threshold overrides, from a TOML file
//! (`~/.config/vpctop/alerts.toml` or `--alerts FILE`), validated before any record is read:
//! every error names its file, line and column (inside a filter, the column of the filter's
//! own error).
//!
//! ```toml
//! disable = ["new-talker"]          # built-in detections to turn off
//!
//! [thresholds]                      # any of the built-in thresholds
//! scan_ports = 200
//!
//! [[rule]]
//! name = "ssh-refused"
//! filter = "action=REJECT dstport=22"
//! group = "src"                     # src, dst, pair, dstport, service, interface, all
//! metric = "flows"                  # flows, bytes, packets
//! over = "5m"
//! above = 100
//! severity = "medium"               # low, medium, high
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use super::{Config, Detection, Severity};
use crate::core::signals::{BUCKET_SECS, RuleCounter, RuleGroup, RuleMetric};
use crate::filter::Filter;
use crate::inventory::Inventory;

/// A rule of the user's, ready to count and judge.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Its name (the `detection` of its alerts).
    pub name: String,
    /// How much its alerts matter.
    pub severity: Severity,
    /// What workers count for it.
    pub counter: RuleCounter,
    /// Record seconds its window covers.
    pub window_secs: u64,
    /// The window's sum that opens an alert.
    pub above: u64,
}

impl Rule {
    pub(super) fn window_buckets(&self) -> u64 {
        self.window_secs.div_ceil(BUCKET_SECS).max(1)
    }

    pub(super) fn unit(&self) -> &'static str {
        match self.counter.metric {
            RuleMetric::Flows => "flows",
            RuleMetric::Bytes => "bytes",
            RuleMetric::Packets => "packets",
        }
    }

    /// The filter selecting the records of its group `key`.
    pub(super) fn filter_for(&self, key: &str) -> String {
        let f = self.counter.filter.to_string();
        let q = super::detect::quote;
        let part = match self.counter.group {
            RuleGroup::Src => format!("srcaddr={key}"),
            RuleGroup::Dst => format!("dstaddr={key}"),
            RuleGroup::Pair => match key.split_once(" -> ") {
                Some((s, d)) => format!("srcaddr={s} dstaddr={d}"),
                None => String::new(),
            },
            RuleGroup::DstPort => format!("dstport={key}"),
            RuleGroup::Service => match key.rsplit_once(':') {
                Some((h, p)) => format!(
                    "dstaddr={} dstport={p}",
                    h.trim_start_matches('[').trim_end_matches(']')
                ),
                None => String::new(),
            },
            RuleGroup::Interface => format!("interface={}", q(key)),
            RuleGroup::All => String::new(),
        };
        match (f.is_empty(), part.is_empty()) {
            (true, _) => part,
            (false, true) => f.to_string(),
            (false, false) => format!("({f}) {part}"),
        }
    }
}

/// Why an alerts file was refused.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// It could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// It is not valid, at this line and column.
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column (characters).
        column: usize,
        /// What is wrong.
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    disable: Vec<Spanned<String>>,
    #[serde(default)]
    thresholds: Option<ThresholdOverrides>,
    #[serde(default)]
    rule: Vec<RuleText>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThresholdOverrides {
    window: Option<Spanned<String>>,
    hold: Option<Spanned<String>>,
    scan_ports: Option<u64>,
    sweep_hosts: Option<u64>,
    login_flows: Option<u64>,
    reply_flows: Option<u64>,
    bpa_flows: Option<u64>,
    gap_minutes: Option<u64>,
    surge_flows: Option<u64>,
    surge_factor: Option<f64>,
    egress_bytes: Option<u64>,
    egress_factor: Option<f64>,
    baseline_windows: Option<u64>,
    talker_flows: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleText {
    name: Spanned<String>,
    filter: Spanned<String>,
    #[serde(default)]
    group: Option<Spanned<String>>,
    #[serde(default)]
    metric: Option<Spanned<String>>,
    #[serde(default)]
    over: Option<Spanned<String>>,
    above: Spanned<u64>,
    #[serde(default)]
    severity: Option<Spanned<String>>,
}

/// Line and column (1-based, characters) of byte `at` in `text`.
fn position(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Reads the alerts file `path` into `config` (its rules appended, thresholds overridden,
/// detections disabled), binding rule filters to `inventory` when one is loaded.
pub fn load_rules(
    path: &Path,
    config: &mut Config,
    inventory: Option<&Arc<Inventory>>,
) -> Result<(), RuleError> {
    let text = std::fs::read_to_string(path).map_err(|source| RuleError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_rules(&text, config, inventory).map_err(|(at, message)| {
        let (line, column) = position(&text, at);
        RuleError::Invalid {
            path: path.to_path_buf(),
            line,
            column,
            message,
        }
    })
}

/// [`load_rules`] on the text of a file; errors are (byte offset, message).
pub fn parse_rules(
    text: &str,
    config: &mut Config,
    inventory: Option<&Arc<Inventory>>,
) -> Result<(), (usize, String)> {
    let file: File = toml::from_str(text).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        (at, e.message().to_string())
    })?;
    for d in &file.disable {
        let det = Detection::named(d.get_ref()).ok_or_else(|| {
            (
                d.span().start,
                format!(
                    "no built-in detection is named `{}` (they are: {})",
                    d.get_ref(),
                    Detection::BUILT_IN.map(Detection::as_str).join(", ")
                ),
            )
        })?;
        config.disabled.push(det);
    }
    if let Some(o) = file.thresholds {
        let t = &mut config.thresholds;
        if let Some(w) = o.window {
            t.window_secs = duration(&w)?;
        }
        if let Some(h) = o.hold {
            t.hold_secs = duration(&h)?;
        }
        let set = |slot: &mut u64, v: Option<u64>| {
            if let Some(v) = v {
                *slot = v.max(1);
            }
        };
        set(&mut t.scan_ports, o.scan_ports);
        set(&mut t.sweep_hosts, o.sweep_hosts);
        set(&mut t.login_flows, o.login_flows);
        set(&mut t.reply_flows, o.reply_flows);
        set(&mut t.bpa_flows, o.bpa_flows);
        set(&mut t.gap_minutes, o.gap_minutes);
        set(&mut t.surge_flows, o.surge_flows);
        set(&mut t.egress_bytes, o.egress_bytes);
        set(&mut t.baseline_windows, o.baseline_windows);
        set(&mut t.talker_flows, o.talker_flows);
        if let Some(f) = o.surge_factor {
            t.surge_factor = f.max(1.0);
        }
        if let Some(f) = o.egress_factor {
            t.egress_factor = f.max(1.0);
        }
    }
    for r in file.rule {
        let name = r.name.get_ref().trim();
        if name.is_empty() || name.chars().any(char::is_control) {
            return Err((r.name.span().start, "a rule needs a printable name".into()));
        }
        if Detection::named(name).is_some() || config.rules.iter().any(|x| x.name == name) {
            return Err((
                r.name.span().start,
                format!("the name `{name}` is taken: give each rule its own"),
            ));
        }
        // The filter's own error column, counted from inside the quotes.
        let filter = Filter::parse_with(r.filter.get_ref(), inventory).map_err(|e| {
            let inside = r.filter.span().start + 1;
            let offset: usize = r
                .filter
                .get_ref()
                .chars()
                .take(e.column.saturating_sub(1))
                .map(char::len_utf8)
                .sum();
            (inside + offset, format!("in the filter: {}", e.message))
        })?;
        let group = match r
            .group
            .as_ref()
            .map(|g| (g.get_ref().as_str(), g.span().start))
        {
            None | Some(("all", _)) => RuleGroup::All,
            Some(("src", _)) => RuleGroup::Src,
            Some(("dst", _)) => RuleGroup::Dst,
            Some(("pair", _)) => RuleGroup::Pair,
            Some(("dstport", _)) => RuleGroup::DstPort,
            Some(("service", _)) => RuleGroup::Service,
            Some(("interface", _)) => RuleGroup::Interface,
            Some((other, at)) => {
                return Err((
                    at,
                    format!(
                        "`{other}` is no grouping (src, dst, pair, dstport, service, interface, all)"
                    ),
                ));
            }
        };
        let metric = match r
            .metric
            .as_ref()
            .map(|m| (m.get_ref().as_str(), m.span().start))
        {
            None | Some(("flows", _)) => RuleMetric::Flows,
            Some(("bytes", _)) => RuleMetric::Bytes,
            Some(("packets", _)) => RuleMetric::Packets,
            Some((other, at)) => {
                return Err((
                    at,
                    format!("`{other}` is no metric (flows, bytes, packets)"),
                ));
            }
        };
        let severity = match r
            .severity
            .as_ref()
            .map(|s| (s.get_ref().as_str(), s.span().start))
        {
            None | Some(("medium", _)) => Severity::Medium,
            Some(("low", _)) => Severity::Low,
            Some(("high", _)) => Severity::High,
            Some((other, at)) => {
                return Err((at, format!("`{other}` is no severity (low, medium, high)")));
            }
        };
        let window_secs = match &r.over {
            Some(o) => duration(o)?,
            None => config.thresholds.window_secs,
        };
        if *r.above.get_ref() == 0 {
            return Err((r.above.span().start, "`above` must be at least 1".into()));
        }
        config.rules.push(Rule {
            name: name.to_string(),
            severity,
            counter: RuleCounter {
                filter: Arc::new(filter),
                group,
                metric,
            },
            window_secs,
            above: *r.above.get_ref(),
        });
    }
    Ok(())
}

fn duration(s: &Spanned<String>) -> Result<u64, (usize, String)> {
    crate::filter::parse_duration(s.get_ref())
        .filter(|d| *d > 0)
        .ok_or_else(|| {
            (
                s.span().start,
                format!("`{}` is not a duration (e.g. 5m, 1h)", s.get_ref()),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, (usize, usize, String)> {
        let mut c = Config::default();
        parse_rules(text, &mut c, None)
            .map(|()| c)
            .map_err(|(at, m)| {
                let (l, col) = position(text, at);
                (l, col, m)
            })
    }

    #[test]
    fn a_rule_file_sets_rules_thresholds_and_disabled_detections() {
        let c = parse(
            "disable = [\"new-talker\"]\n[thresholds]\nscan_ports = 200\nwindow = \"10m\"\n\
             [[rule]]\nname = \"ssh\"\nfilter = \"action=REJECT dstport=22\"\ngroup = \"src\"\n\
             metric = \"flows\"\nover = \"1m\"\nabove = 10\nseverity = \"high\"\n",
        )
        .unwrap();
        assert_eq!(c.disabled, [Detection::NewTalker]);
        assert_eq!(
            (c.thresholds.scan_ports, c.thresholds.window_secs),
            (200, 600)
        );
        let r = &c.rules[0];
        assert_eq!(
            (r.name.as_str(), r.severity, r.window_secs, r.above),
            ("ssh", Severity::High, 60, 10)
        );
        assert_eq!(r.counter.group, RuleGroup::Src);
        assert_eq!(
            r.filter_for("1.2.3.4"),
            "(action=REJECT dstport=22) srcaddr=1.2.3.4"
        );
        Filter::parse(&r.filter_for("1.2.3.4")).unwrap();
    }

    #[test]
    fn errors_name_the_line_and_column() {
        let e = parse("[[rule]]\nname = \"x\"\nfilter = \"action=REJECT dstport=>\"\nabove = 1\n")
            .unwrap_err();
        assert_eq!((e.0, e.1), (3, 33), "{e:?}");
        assert!(e.2.starts_with("in the filter"), "{e:?}");
        let e = parse("[[rule]]\nname = \"x\"\nfilter = \"\"\ngroup = \"host\"\nabove = 1\n")
            .unwrap_err();
        assert_eq!((e.0, e.1), (4, 9), "{e:?}");
        let e = parse("disable = [\"port-scna\"]\n").unwrap_err();
        assert_eq!((e.0, e.1), (1, 12), "{e:?}");
        assert!(e.2.contains("port-scan"), "{e:?}");
        let e = parse("[[rule]]\nname = \"x\"\nfilter = \"\"\nabove = 1\nwindow = \"5m\"\n")
            .unwrap_err();
        assert_eq!(e.0, 5, "{e:?}");
        let e = parse("[[rule]]\nname = \"port-scan\"\nfilter = \"\"\nabove = 1\n").unwrap_err();
        assert!(e.2.contains("taken"), "{e:?}");
        let e = parse("[thresholds]\nwindow = \"soon\"\n").unwrap_err();
        assert_eq!((e.0, e.1), (2, 10), "{e:?}");
    }
}
