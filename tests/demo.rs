//! The demo generator and what ships with it: the sample files are exactly what the
//! generator makes, every generated line parses, each scripted incident is found by the
//! diagnosis rules, `demo --write` delivers whole objects, and completions and the man page
//! name every subcommand.
// Test code: an unwrap that fails is a test that fails, with its line.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Read;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use vpctop::demo::samples::samples;
use vpctop::demo::{DemoFormat, Generator, INCIDENTS};
use vpctop::diagnose::{Cause, Finding, Observation, diagnose};
use vpctop::parse::{Action, Line, LineParser};
use vpctop::schema::Schema;

const ORIGIN: u64 = 1_700_000_000;

fn cycle(
    seed: u64,
    format: DemoFormat,
    per_second: f64,
) -> (Generator, Vec<vpctop::demo::DemoRecord>) {
    let mut g = Generator::new(seed, format, ORIGIN, per_second);
    let mut recs = Vec::new();
    g.records_until(ORIGIN + vpctop::demo::CYCLE, &mut recs);
    (g, recs)
}

#[test]
fn shipped_samples_are_what_the_generator_makes() {
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join("samples");
    let mut total = 0;
    for s in samples() {
        let bytes = std::fs::read(assets.join(s.name)).expect("sample file");
        total += bytes.len();
        let text = if s.gzip {
            let mut out = String::new();
            flate2::read::MultiGzDecoder::new(&bytes[..])
                .read_to_string(&mut out)
                .unwrap();
            out
        } else {
            String::from_utf8(bytes).unwrap()
        };
        assert!(
            text == s.text,
            "assets/samples/{} differs from the generator: run `cargo run --example make_assets`",
            s.name
        );
    }
    assert!(total < 1 << 20, "samples stay under 1 MB ({total} bytes)");
    for (name, text) in vpctop::demo::samples::sample_inventory() {
        let shipped =
            std::fs::read_to_string(assets.join("inventory").join(&name)).expect("inventory file");
        assert!(
            shipped == text,
            "assets/samples/inventory/{name} differs from the generator: run `cargo run --example make_assets`"
        );
    }
}

#[test]
fn the_demo_inventory_names_the_rule_behind_each_incident() {
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/samples");
    let run = common::vpctop(&[
        "report",
        "--json",
        "--inventory",
        assets.join("inventory").to_str().unwrap(),
        "--drill",
        "host=10.0.0.0/8",
        assets.join("demo-v2.log").to_str().unwrap(),
    ]);
    let doc = common::json_of_success(&run);
    let findings = doc["drill"]["diagnosis"].as_array().unwrap();
    let rule = |client: &str, server: &str| {
        let f = findings
            .iter()
            .find(|f| f["client"] == client && f["server"] == server)
            .unwrap_or_else(|| panic!("no finding {client} -> {server}"));
        assert_eq!(f["rules"]["verdict"], "blocked", "{f}");
        f["rules"]["rule"].as_str().unwrap().to_string()
    };
    let scan = rule("45.33.32.156", "10.0.1.20");
    assert!(
        scan.starts_with("security group sg-0fleet00000000 (fleet)"),
        "{scan}"
    );
    let brute = rule("185.220.101.47", "10.0.0.10");
    assert!(
        brute.contains("(bastion) allow no inbound tcp 22 from 185.220.101.47")
            && brute.contains("tcp 22 from prefix list"),
        "{brute}"
    );
    let replies = rule("203.0.113.50", "10.0.2.30");
    assert!(
        replies.starts_with("network ACL acl-0strict0000000000 (app-strict)")
            && replies.ends_with("the default rule * denies the replies"),
        "{replies}"
    );
}

#[test]
fn every_generated_line_parses_in_both_formats() {
    for format in [DemoFormat::V2, DemoFormat::V5, DemoFormat::V10] {
        let (g, recs) = cycle(11, format, 400.0);
        let schema = Schema::from_header_line(g.header().as_bytes()).expect("a header line");
        let mut text = String::new();
        for r in &recs {
            g.format(r, &mut text);
        }
        let mut parser = LineParser::new();
        let mut records = 0;
        for line in text.lines() {
            match parser.parse(&schema, line.as_bytes()) {
                Line::Record(_) => records += 1,
                other => panic!("{format:?}: {line:?} is {other:?}"),
            }
        }
        assert_eq!(records, recs.len());
        assert!(
            records > 120 * 300,
            "{format:?}: a cycle at 400/s, got {records}"
        );
    }
}

fn findings(seed: u64) -> Vec<Finding> {
    let (_, recs) = cycle(seed, DemoFormat::V2, 400.0);
    let obs = recs
        .iter()
        .filter(|r| r.status == "OK")
        .map(|r| Observation {
            src: IpAddr::V4(r.src.0),
            dst: IpAddr::V4(r.dst.0),
            srcport: r.src.1,
            dstport: r.dst.1,
            protocol: r.protocol,
            action: if r.accept {
                Action::Accept
            } else {
                Action::Reject
            },
            reason: None,
        });
    diagnose(obs, 10_000)
}

fn found(all: &[Finding], cause: Cause, client: Ipv4Addr, server: Ipv4Addr) -> &Finding {
    all.iter()
        .find(|f| {
            f.cause == cause && f.client == IpAddr::V4(client) && f.server == IpAddr::V4(server)
        })
        .unwrap_or_else(|| panic!("no {cause:?} finding for {client} -> {server}"))
}

#[test]
fn each_scripted_incident_is_named_by_the_diagnosis() {
    for seed in [1, 2, 3] {
        let all = findings(seed);
        let by_name = |n: &str| INCIDENTS.iter().find(|i| i.name == n).unwrap();
        let scan = by_name("port-scan");
        let f = found(&all, Cause::PortScan, scan.outsider, scan.insider);
        assert!(f.ports > 1000, "{f:?}");
        let brute = by_name("ssh-brute-force");
        let f = found(
            &all,
            Cause::SecurityGroupOrNetworkAcl,
            brute.outsider,
            brute.insider,
        );
        assert_eq!(f.port, 22);
        assert!(f.rejected > 500);
        let nacl = by_name("nacl-drops-return-traffic");
        let f = found(
            &all,
            Cause::NetworkAclDeniesReturnTraffic,
            nacl.outsider,
            nacl.insider,
        );
        assert_eq!(f.port, 443);
        assert!(
            f.explain()
                .contains("network ACL denies the return traffic")
        );
        // The burst is all ACCEPT: nothing to diagnose, however large.
        let burst = by_name("egress-burst");
        assert!(!all.iter().any(
            |f| f.client == IpAddr::V4(burst.insider) || f.server == IpAddr::V4(burst.outsider)
        ));
    }
}

#[test]
fn the_gap_incident_makes_nodata_and_skipdata_records() {
    let (_, recs) = cycle(5, DemoFormat::V2, 400.0);
    let nodata = recs.iter().filter(|r| r.status == "NODATA").count();
    let skipdata = recs.iter().filter(|r| r.status == "SKIPDATA").count();
    assert!(nodata > 0 && skipdata > 0, "{nodata} {skipdata}");
}

#[test]
fn demo_write_delivers_whole_objects_until_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("objects");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vpctop"))
        .args([
            "demo",
            "--rate",
            "4000",
            "--speed",
            "10",
            "--rotate-every",
            "500",
            "--write",
        ])
        .arg(&out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let objects = || {
        std::fs::read_dir(&out)
            .map(|d| {
                d.flatten()
                    .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                    .count()
            })
            .unwrap_or(0)
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while objects() < 8 {
        assert!(Instant::now() < deadline, "no objects after 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Ctrl-C: the last partial object is delivered too, then it exits 0.
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "demo --write did not stop on SIGINT"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    assert!(names.iter().any(|n| n.ends_with(".log.gz")), "{names:?}");
    let run = common::vpctop(&["report", "--json", &out.display().to_string()]);
    let doc = common::json_of_success(&run);
    assert_eq!(doc["malformed"], 0);
    assert_eq!(
        doc["headers"].as_u64(),
        Some(names.len() as u64),
        "one header per object"
    );
    // Every object but the last holds exactly 500 records.
    assert!(doc["records"].as_u64().unwrap() > 500 * (names.len() as u64 - 1));
}

#[test]
fn completions_and_the_man_page_name_every_subcommand() {
    let subcommands = ["report", "records", "replay", "demo", "completions", "man"];
    for shell in ["bash", "zsh", "fish"] {
        let run = common::vpctop(&["completions", shell]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        for s in subcommands {
            assert!(run.stdout.contains(s), "{shell} completion lacks {s}");
        }
    }
    let man = common::vpctop(&["man"]);
    assert_eq!(man.code, 0);
    assert!(
        man.stdout.starts_with(".ie") || man.stdout.contains(".TH"),
        "roff"
    );
    for s in subcommands {
        assert!(
            man.stdout
                .contains(&format!(".SH \"VPCTOP {}\"", s.to_uppercase())),
            "man page lacks a section for {s}"
        );
    }
    // One page with everything an installed user needs, and no pages that do not exist.
    for section in ["FILTER LANGUAGE", "KEYS", "EXIT STATUS"] {
        assert!(man.stdout.contains(section), "man page lacks {section}");
    }
    assert!(
        !man.stdout.contains("vpctop\\-report(1)"),
        "names a page nothing installs"
    );
    for b in vpctop::ui::keymap::BINDINGS {
        assert!(
            man.stdout.contains(&b.help.replace('-', "\\-")),
            "man page lacks key {}",
            b.label
        );
    }
    // --help carries the language and the exit codes, and sends nobody to the README.
    let help = common::vpctop(&["--help"]);
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("Filter language:") && help.stdout.contains("Exit status:"));
    for sub in ["", "report", "records", "replay", "demo"] {
        let args: Vec<&str> = [sub, "--help"]
            .into_iter()
            .filter(|a| !a.is_empty())
            .collect();
        let run = common::vpctop(&args);
        assert!(
            !run.stdout.contains("README"),
            "{args:?} --help points at the README"
        );
    }
}

#[test]
fn the_inspector_names_every_field_of_a_v5_record_by_its_header() {
    use std::sync::Arc;
    use vpctop::filter::Filter;
    use vpctop::ui::queries::{InspectRequest, QueryContext, inspect_level};
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/samples/demo-v5.log");
    let inputs = vec![vpctop::source::InputSpec::File(path)];
    let schema = Arc::new(Schema::default_v2());
    let config = vpctop::pipeline::IngestConfig::new(Arc::clone(&schema));
    let store = vpctop::store::Store::new(1 << 28);
    let (agg, errors) =
        vpctop::pipeline::aggregate_and_retain(&inputs, &config, None, Some(Arc::clone(&store)));
    assert!(errors.is_empty() && agg.counts.malformed == 0);
    let context = QueryContext {
        store: Arc::clone(&store),
        inputs: inputs.into(),
        registry: vpctop::source::InputRegistry::new(vec!["demo-v5.log".into()]),
        schema,
        threads: 2,
        inventory: None,
        prices: vpctop::inventory::prices::Prices::LIST,
    };
    let scanner = INCIDENTS[0].outsider;
    let talker = Arc::new(Filter::parse(&format!("src={scanner}")).unwrap());
    let scope = Arc::new(Filter::parse(&format!("host={scanner}")).unwrap());
    let mut request = InspectRequest {
        generation: 0,
        talker: Arc::clone(&talker),
        scope,
        conversation: None,
        filter: None,
        since: None,
        metric: vpctop::core::Metric::Flows,
    };
    let level1 = inspect_level(&store.state(), &request, &context);
    assert_eq!(level1.findings[0].finding.cause, Cause::PortScan);
    let conv = &level1.conversations[0];
    request.conversation = Some((Arc::clone(&conv.key), conv.conversation.port));
    let level2 = inspect_level(&store.state(), &request, &context);
    let fields = level2.records[0]
        .fields
        .as_ref()
        .expect("fields named by the v5 header");
    assert_eq!(fields.len(), 29);
    assert!(
        fields.contains(&("flow-direction".to_string(), "ingress".to_string())),
        "{fields:?}"
    );
    assert!(fields.contains(&("action".to_string(), "REJECT".to_string())));
}

#[test]
fn block_public_access_is_named_by_its_reason_in_v10_and_left_to_it_by_the_rules_in_v2() {
    let dir = tempfile::tempdir().unwrap();
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/samples");
    let inventory = assets.join("inventory");
    let bpa = INCIDENTS
        .iter()
        .find(|i| i.name == "block-public-access")
        .unwrap();
    let key = format!("host={}", bpa.outsider);
    let finding = |format: DemoFormat| {
        // Seed 1 is the shipped inventory's network.
        let (g, recs) = cycle(1, format, 100.0);
        let mut text = format!("{}\n", g.header());
        for r in &recs {
            g.format(r, &mut text);
        }
        let path = dir.path().join(format!("{format:?}.log"));
        std::fs::write(&path, text).unwrap();
        let doc = common::json_of_success(&common::vpctop(&[
            "report",
            "--json",
            "--inventory",
            inventory.to_str().unwrap(),
            "--drill",
            &key,
            path.to_str().unwrap(),
        ]));
        let all = doc["drill"]["diagnosis"].as_array().unwrap().clone();
        assert_eq!(all.len(), 1, "{all:?}");
        all[0].clone()
    };
    let v10 = finding(DemoFormat::V10);
    assert_eq!(v10["server"], bpa.insider.to_string());
    let why = v10["explanation"].as_str().unwrap();
    assert!(why.contains("VPC Block Public Access"), "{why}");
    assert!(v10.get("rules").is_none_or(|r| r.is_null()), "{v10}");
    // Without reject-reason the security group (open to everyone on 443) allows it, and the
    // rules say to look at the reason.
    let v2 = finding(DemoFormat::V2);
    assert_eq!(v2["rules"]["verdict"], "allowed", "{v2}");
}

#[test]
fn each_detected_incident_raises_exactly_its_alert_within_a_window_of_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let by_name = |n: &str| INCIDENTS.iter().find(|i| i.name == n).unwrap();
    for seed in [1, 2, 3] {
        // Three cycles of v10 traffic at 200 records a second.
        // On a whole minute, as the demo command starts it (the gap darkens a whole minute).
        let origin = ORIGIN / 60 * 60;
        let mut g = Generator::new(seed, DemoFormat::V10, origin, 200.0);
        let mut recs = Vec::new();
        g.records_until(origin + 3 * vpctop::demo::CYCLE, &mut recs);
        let mut text = format!("{}\n", g.header());
        for r in &recs {
            g.format(r, &mut text);
        }
        let path = dir.path().join(format!("seed{seed}.log"));
        std::fs::write(&path, text).unwrap();
        let file = path.to_str().unwrap();
        let run = common::vpctop(&["alerts", "--json", file]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let opened: Vec<serde_json::Value> = run
            .stdout
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|e| e["phase"] == "opened")
            .collect();
        let keys = |d: &str| -> Vec<String> {
            opened
                .iter()
                .filter(|e| e["detection"] == d)
                .map(|e| e["key"].as_str().unwrap().to_string())
                .collect()
        };
        let (scan, brute, acl, bpa, egress, gap) = (
            by_name("port-scan"),
            by_name("ssh-brute-force"),
            by_name("nacl-drops-return-traffic"),
            by_name("block-public-access"),
            by_name("egress-burst"),
            by_name("nodata-skipdata-gap"),
        );
        let want = [
            (
                "port-scan",
                vec![format!("{} -> {}", scan.outsider, scan.insider)],
            ),
            (
                "brute-force",
                vec![format!("{} -> {}:22", brute.outsider, brute.insider)],
            ),
            (
                "return-traffic-denied",
                vec![format!("{}:{}", acl.insider, acl.port)],
            ),
            (
                "block-public-access",
                vec![format!("{} -> {}:{}", bpa.outsider, bpa.insider, bpa.port)],
            ),
        ];
        for (d, k) in &want {
            assert_eq!(&keys(d), k, "seed {seed}: {d}");
        }
        // The egress spike and the gaps are keyed by interface: their filters select the
        // incident's records.
        let spike: Vec<&serde_json::Value> = opened
            .iter()
            .filter(|e| e["detection"] == "egress-spike")
            .collect();
        assert_eq!(spike.len(), 1, "seed {seed}: {opened:?}");
        let doc = common::json_of_success(&common::vpctop(&[
            "report",
            "--json",
            "--filter",
            spike[0]["filter"].as_str().unwrap(),
            file,
        ]));
        assert_eq!(
            doc["top"]["src"][0]["key"],
            egress.insider.to_string(),
            "seed {seed}"
        );
        let gaps = keys("logging-gap");
        assert_eq!(
            gaps.len(),
            3,
            "seed {seed}: three servers go dark: {gaps:?}"
        );
        for e in opened.iter().filter(|e| e["detection"] == "logging-gap") {
            let doc = common::json_of_success(&common::vpctop(&[
                "report",
                "--json",
                "--filter",
                e["filter"].as_str().unwrap(),
                file,
            ]));
            assert!(
                doc["filter"]["matched"].as_u64().unwrap() > 0,
                "seed {seed}: {e}"
            );
            assert_eq!(doc["status"]["OK"], 0, "seed {seed}: {e}");
        }
        // Each opens within one window (5 minutes) of its incident's first start.
        for (d, inc) in [
            ("port-scan", scan),
            ("brute-force", brute),
            ("return-traffic-denied", acl),
            ("block-public-access", bpa),
            ("egress-spike", egress),
            ("logging-gap", gap),
        ] {
            let first = opened.iter().find(|e| e["detection"] == d).unwrap();
            let at = first["at"].as_u64().unwrap();
            let start = origin + inc.during.0;
            assert!(
                at >= start && at <= start + 300,
                "seed {seed}: {d} opened at {at}, incident from {start}"
            );
        }
        // Nothing else: no surge the attacks explain, no sweep, no new talker, no storm.
        assert_eq!(opened.len(), 4 + 1 + 3, "seed {seed}: {opened:#?}");
        if seed == 1 {
            replay_tells_each_alert_as_its_clock_passes(file, &opened);
        }
    }
}

/// `replay --alerts` at 1000×: every report lists only alerts opened by its record clock,
/// the list grows as the clock passes the incidents, and the last one holds every alert
/// `alerts` opens over the same file.
fn replay_tells_each_alert_as_its_clock_passes(file: &str, opened: &[serde_json::Value]) {
    let run = common::vpctop(&[
        "replay",
        "--speed",
        "1000",
        "--interval",
        "40ms",
        "--json",
        "--alerts",
        file,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let reports: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(reports.len() >= 3, "{} reports", reports.len());
    let mut counts = Vec::new();
    for r in &reports {
        let clock = r["time"]["last_end"].as_u64().unwrap_or(0);
        let alerts = r["alerts"].as_array().unwrap();
        for a in alerts {
            assert!(
                a["opened"].as_u64().unwrap() <= clock.div_ceil(60) * 60,
                "{a} before the clock reached it ({clock})"
            );
        }
        counts.push(alerts.len());
    }
    assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
    assert!(counts[0] < *counts.last().unwrap(), "{counts:?}");
    let key = |e: &serde_json::Value| (e["detection"].to_string(), e["key"].to_string());
    let mut last: Vec<_> = reports.last().unwrap()["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(key)
        .collect();
    let mut want: Vec<_> = opened.iter().map(key).collect();
    last.sort();
    want.sort();
    assert_eq!(last, want);
}

#[test]
fn report_lists_the_alerts_and_alerts_fails_on_request() {
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/samples");
    let log = assets.join("demo-v2.log");
    let plain = common::json_of_success(&common::vpctop(&[
        "report",
        "--json",
        log.to_str().unwrap(),
    ]));
    assert!(plain.get("alerts").is_none(), "alerts are asked for");
    let doc = common::json_of_success(&common::vpctop(&[
        "report",
        "--json",
        "--alerts",
        log.to_str().unwrap(),
    ]));
    let alerts = doc["alerts"].as_array().unwrap();
    let found: Vec<(&str, &str)> = alerts
        .iter()
        .map(|a| (a["detection"].as_str().unwrap(), a["key"].as_str().unwrap()))
        .collect();
    let detections: Vec<&str> = found.iter().map(|(d, _)| *d).collect();
    assert_eq!(
        detections,
        [
            "port-scan",
            "brute-force",
            "return-traffic-denied",
            "egress-spike",
            "logging-gap",
            "logging-gap",
            "logging-gap",
        ]
    );
    assert_eq!(found[0].1, "45.33.32.156 -> 10.0.1.20");
    assert_eq!(found[1].1, "185.220.101.47 -> 10.0.0.10:22");
    // Two minutes of samples: both are still open when the records end.
    assert!(alerts.iter().all(|a| a["closed"].is_null()));
    let run = common::vpctop(&["alerts", "--fail-on", "high", log.to_str().unwrap()]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(run.stdout.contains("7 alerts opened"), "{}", run.stdout);
    let run = common::vpctop(&[
        "alerts",
        "--fail-on",
        "high",
        "--min-severity",
        "high",
        "--scan-ports",
        "1000",
        "--login-flows",
        "1000",
        log.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let run = common::vpctop(&["alerts", "--window", "0s", log.to_str().unwrap()]);
    assert_eq!(run.code, 2);
}

#[test]
fn a_slow_exec_holds_the_exit_only_for_its_grace_and_says_what_was_left() {
    let log = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/samples/demo-v2.log");
    let started = std::time::Instant::now();
    let run = common::vpctop(&[
        "alerts",
        "--exec",
        "sleep 60",
        "--exec-grace",
        "1s",
        log.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Four commands run at once and each sleeps a minute: without the grace the exit would
    // wait for all seven alerts' commands.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(45),
        "the exit waited {:?}",
        started.elapsed()
    );
    assert!(
        run.stderr
            .contains("4 ran, 0 failed, 0 alerts dropped; after waiting 1s at exit"),
        "{}",
        run.stderr
    );
    let said = run
        .stderr
        .lines()
        .find(|l| l.contains("--exec-grace"))
        .unwrap();
    let number = |before: &str| -> u64 {
        let at = said.find(before).unwrap();
        said[..at]
            .split_whitespace()
            .last()
            .unwrap()
            .parse()
            .unwrap()
    };
    // Every opened alert is accounted for: started (then killed) or never run.
    assert_eq!(number(" killed"), 4, "{said}");
    assert_eq!(number(" not run"), 3, "{said}");
}

#[test]
fn exec_gets_each_opened_alert_on_stdin_and_rules_are_checked_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let log = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/samples/demo-v2.log");
    let got = dir.path().join("hook.ndjson");
    let exec = format!("tee -a '{}'", got.display());
    let run = common::vpctop(&["alerts", "--exec", &exec, log.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&got)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 7, "one command per opened alert: {lines:?}");
    assert!(lines.iter().all(|e| e["phase"] == "opened"));
    // A failing command is said once, and the run goes on.
    let run = common::vpctop(&["alerts", "--exec", "false", log.to_str().unwrap()]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stderr.matches("--exec `false`").count(),
        1,
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("7 failed"), "{}", run.stderr);
    // A rule of one's own, and a bad one named at its line and column.
    let rules = dir.path().join("alerts.toml");
    std::fs::write(
        &rules,
        "[[rule]]\nname = \"scanner\"\nfilter = \"src=45.33.32.156 action=REJECT\"\ngroup = \"src\"\nabove = 50\n",
    )
    .unwrap();
    let run = common::vpctop(&[
        "alerts",
        "--json",
        "--alert-rules",
        rules.to_str().unwrap(),
        log.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .lines()
            .any(|l| l.contains("\"detection\":\"scanner\"")
                && l.contains("\"key\":\"45.33.32.156\"")),
        "{}",
        run.stdout
    );
    std::fs::write(
        &rules,
        "[[rule]]\nname = \"x\"\nfilter = \"dstport=>\"\nabove = 5\n",
    )
    .unwrap();
    let run = common::vpctop(&[
        "alerts",
        "--alert-rules",
        rules.to_str().unwrap(),
        log.to_str().unwrap(),
    ]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("alerts.toml:3:19"), "{}", run.stderr);
}
