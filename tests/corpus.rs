//! The public fixtures vendored in `tests/corpus` (see its SOURCES.md), run through the binary and
//! compared with the expected outputs their projects ship.
// Test code: an unwrap that fails is a test that fails, with its line.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use common::{assert_balanced, corpus, count_lines, read_input, records, report_json, run_on};
use serde_json::Value;

const V5_TABLE_ORDER: &str = "version account-id interface-id srcaddr dstaddr srcport dstport \
    protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type \
    pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service \
    pkt-dst-aws-service flow-direction traffic-path";
const ECS_FIELDS: &str = "ecs-cluster-arn ecs-cluster-name ecs-container-instance-arn \
    ecs-container-instance-id ecs-container-id ecs-second-container-id ecs-service-name \
    ecs-task-definition-arn ecs-task-arn ecs-task-id";
const TGW_DEFAULT: &str = "version resource-type account-id tgw-id tgw-attachment-id \
    tgw-src-vpc-account-id tgw-dst-vpc-account-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id \
    tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id \
    srcaddr dstaddr srcport dstport protocol packets bytes start end log-status type \
    packets-lost-no-route packets-lost-blackhole packets-lost-mtu-exceeded \
    packets-lost-ttl-expired tcp-flags region flow-direction pkt-src-aws-service \
    pkt-dst-aws-service";
const TGW_CW: &str = "version account-id tgw-id tgw-attachment-id tgw-src-vpc-id \
    tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id \
    tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes \
    start end log-status type tcp-flags flow-direction region";
const TGW_EXAMPLE: &str = "version interface-id account-id vpc-id subnet-id instance-id srcaddr \
    dstaddr srcport dstport protocol tcp-flags type pkt-srcaddr pkt-dstaddr action log-status";

/// The format a headerless fixture needs (SOURCES.md), `None` for the v2 default or a header.
fn format_for(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    Some(match name {
        "custom-transit-gateway.log" => TGW_EXAMPLE.to_string(),
        "test-ecs-samples.log" => format!("{V5_TABLE_ORDER} {ECS_FIELDS}"),
        "test-v8-samples.log" => format!("{V5_TABLE_ORDER} {ECS_FIELDS} reject-reason"),
        "test-v5-all-fields.log" => V5_TABLE_ORDER.to_string(),
        "test-tgw-samples.log" => TGW_DEFAULT.to_string(),
        // SOURCES.md: the custom payload's format is not in the payload.
        "valid_vpc_flow_cw_custom.json" => "version interface-id srcaddr dstaddr".to_string(),
        // TGW over CloudWatch: the TGW order without the four packets-lost counters.
        "valid_tgw_flow_cw.json" => TGW_CW.to_string(),
        _ => return None,
    })
}

/// Every input fixture: `.log`, `.log.gz` and the CloudWatch `.json` payloads.
fn input_fixtures() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("test input {}: {e}", dir.display()))
        {
            let p = entry.expect("entry").path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                let cw = name.starts_with("valid_") && name.ends_with(".json");
                if name.ends_with(".log") || name.ends_with(".log.gz") || cw {
                    out.push(p);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(&corpus(), &mut out);
    out.sort();
    assert!(out.len() >= 30, "corpus incomplete: {out:?}");
    out
}

/// A fixture as text, or a one-line panic naming it and why it could not be read.
fn read_text(path: &Path) -> String {
    String::from_utf8(read_input(path))
        .unwrap_or_else(|e| panic!("test input {}: not UTF-8: {e}", path.display()))
}

fn read_decoded(path: &Path) -> Vec<u8> {
    let raw = read_input(path);
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        raw
    }
}

/// Fixtures that are negative on purpose, with the reason vpctop must give.
fn expected_malformed(name: &str) -> Option<(u64, &'static str)> {
    Some(match name {
        "bad.log" => (1, "expected 14 fields, found 4"),
        "vpc_flow_log_too_few_fields.log" => (1, "expected 14 fields, found 13"),
        "vpc_flow_log_too_many_fields.log" => (1, "expected 14 fields, found 15"),
        _ => return None,
    })
}

/// Lines as vpctop counts them: a CloudWatch subscription payload counts one per log event.
fn logical_lines(data: &[u8]) -> u64 {
    if let Ok(Value::Object(payload)) = serde_json::from_slice::<Value>(data)
        && let Some(Value::Array(events)) = payload.get("logEvents")
    {
        return events.len() as u64;
    }
    count_lines(data)
}

#[test]
fn replay_at_full_speed_answers_as_report_does_on_every_fixture() {
    // Replay reads lines its own way (in record-time order, `start` read without decoding);
    // at full speed it must come to the very same report, byte for byte, every line counted
    // the same way (envelopes, headers, malformed lines and their places included).
    let mut all: Vec<PathBuf> = Vec::new();
    for path in input_fixtures() {
        let format = format_for(&path);
        let report = run_on(&["report", "--json"], &[&path], format.as_deref(), &[]);
        let replay = run_on(
            &["replay", "--speed", "max", "--json"],
            &[&path],
            format.as_deref(),
            &[],
        );
        assert_eq!(
            replay.code,
            report.code,
            "{}: {}",
            path.display(),
            replay.stderr
        );
        assert_eq!(replay.stdout, report.stdout, "{}", path.display());
        if format.is_none() {
            all.push(path);
        }
    }
    // And all the default-format fixtures at once, merged across files.
    let paths: Vec<&Path> = all.iter().map(PathBuf::as_path).collect();
    let report = run_on(&["report", "--json"], &paths, None, &[]);
    let replay = run_on(&["replay", "--speed", "max", "--json"], &paths, None, &[]);
    assert_eq!(replay.stdout, report.stdout);
}

#[test]
fn every_fixture_accounts_for_every_line() {
    for path in input_fixtures() {
        let format = format_for(&path);
        let (doc, run) = report_json(&[&path], format.as_deref());
        let (lines, records, malformed) = assert_balanced(&doc);
        // Exit 3 says no line was a record (the negative fixtures); anything else is 0.
        let want = if records == 0 && malformed > 0 { 3 } else { 0 };
        assert_eq!(run.code, want, "{}: {}", path.display(), run.stderr);
        assert_eq!(
            lines,
            logical_lines(&read_decoded(&path)),
            "{}",
            path.display()
        );
        let name = path.file_name().unwrap().to_str().unwrap();
        match expected_malformed(name) {
            Some((n, reason)) => {
                assert_eq!(malformed, n, "{name}");
                let got = doc["malformed_examples"][0]["reason"].as_str().unwrap();
                assert!(got.starts_with(reason), "{name}: {got}");
                assert_eq!(doc["malformed_examples"][0]["line"], lines);
            }
            None => {
                assert_eq!(malformed, 0, "{name}: {}", doc["malformed_examples"]);
                assert!(records > 0, "{name}");
            }
        }
    }
}

#[test]
fn aws_doc_examples_have_the_documented_record_counts() {
    let dir = corpus().join("aws-docs/flow-logs-records-examples");
    let want: BTreeMap<&str, u64> = [
        ("accepted-rejected.log", 2),
        ("no-data-skipped.log", 2),
        ("security-group-nacl.log", 2),
        ("ipv6.log", 1),
        ("tcp-flag-sequence.log", 8),
        ("nat-gateway-eni.log", 4),
        ("nat-gateway-instance-eni.log", 2),
        ("transit-gateway-vpc-eni.log", 4),
        ("service-name-traffic-path.log", 2),
        (
            "123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz",
            7,
        ),
    ]
    .into_iter()
    .collect();
    for (name, n) in &want {
        let (doc, _) = report_json(&[&dir.join(name)], None);
        assert_eq!(doc["records"], *n, "{name}");
        assert_eq!(doc["headers"], 1, "{name}");
    }
    // The doubled space in the last record and the u32-sized byte count (SOURCES.md).
    let (recs, _) = records(&[&dir.join("tcp-flag-sequence.log")], None, &[]);
    assert_eq!(recs.len(), 8);
    assert_eq!(recs[7]["srcport"], 5001);
    assert_eq!(recs[7]["dstport"], 43638);
    assert_eq!(recs[7]["pkt_srcaddr"], "10.0.0.62");
    assert!(recs.iter().any(|r| r["bytes"] == 23294588));
    // A header that does not start with `version`; `-` instance-id is null.
    let (nat, _) = records(&[&dir.join("nat-gateway-eni.log")], None, &[]);
    assert_eq!(nat[0]["instance_id"], Value::Null);
    assert_eq!(nat[0]["pkt_dstaddr"], "203.0.113.5");
}

/// Flattens nested objects into dotted keys (`aws.vpcflow.action`), leaving dotted keys be.
fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), other.clone());
        }
    }
}

/// A JSON scalar as text, so `"2"` and `2` compare equal (Beats keeps some numbers as text).
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `2014-12-14T04:06:50.000Z` or `2014-12-14T04:06:50Z` → Unix seconds, via vpctop's own
/// formatting in the other direction (tested in `units`).
fn iso_matches(iso: &str, secs: &Value) -> bool {
    let ours = vpctop::units::utc(secs.as_u64().unwrap()).replace(' ', "T");
    iso.get(..19) == ours.get(..19)
}

/// Byte offset of every line start in `data`.
fn line_offsets(data: &[u8]) -> Vec<u64> {
    let mut v = vec![0];
    v.extend(
        data.iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i as u64 + 1),
    );
    v
}

/// Compares one expected Elastic document with one vpctop record. Returns the checked keys.
fn compare_elastic(doc: &BTreeMap<String, Value>, rec: &Value, raw: &str, offset: u64) -> usize {
    let mut checked = 0;
    let mut check = |what: &str, ok: bool| {
        assert!(ok, "{what}: expected {doc:?}\n got {rec}");
        checked += 1;
    };
    for (k, v) in doc {
        if let Some(field) = k.strip_prefix("aws.vpcflow.") {
            if let Some(ours) = rec.get(field) {
                if text(v) == "-" {
                    // The Beats module keeps `-` as text; vpctop says absent.
                    check(k, ours.is_null());
                } else if field == "start" || field == "end" {
                    check(k, iso_matches(&text(v), ours) || text(v) == text(ours));
                } else {
                    check(k, text(v) == text(ours));
                }
            }
            continue;
        }
        match k.as_str() {
            "source.ip" => check(k, *v == rec["srcaddr"]),
            "destination.ip" => check(k, *v == rec["dstaddr"]),
            "source.port" => check(k, *v == rec["srcport"]),
            "destination.port" => check(k, *v == rec["dstport"]),
            "network.bytes" => check(k, *v == rec["bytes"]),
            "network.packets" => check(k, *v == rec["packets"]),
            "network.iana_number" => check(k, text(v) == text(&rec["protocol"])),
            "event.start" => check(k, iso_matches(&text(v), &rec["start"])),
            "event.end" => check(k, iso_matches(&text(v), &rec["end"])),
            "event.original" => check(k, text(v) == raw),
            "log.offset" => check(k, *v == offset),
            _ => {}
        }
    }
    checked
}

#[test]
fn elastic_expected_documents_match_record_by_record() {
    let mut compared = 0;
    for path in input_fixtures() {
        let expected_path = PathBuf::from(format!("{}-expected.json", path.display()));
        let Ok(expected) = std::fs::read_to_string(&expected_path) else {
            continue;
        };
        let expected: Value = serde_json::from_str(&expected).unwrap();
        let docs = match &expected {
            Value::Array(a) => a.clone(),
            Value::Object(o) => o["expected"].as_array().unwrap().clone(),
            _ => panic!("unexpected shape"),
        };
        let format = format_for(&path);
        let (recs, run) = records(&[&path], format.as_deref(), &["--include-malformed"]);
        let all_malformed = recs.iter().all(|r| r.get("malformed").is_some());
        assert_eq!(
            run.code,
            if all_malformed { 3 } else { 0 },
            "{}",
            run.stderr
        );
        assert_eq!(recs.len(), docs.len(), "{}", path.display());
        let data = read_input(&path);
        let offsets = line_offsets(&data);
        let lines: Vec<&str> = std::str::from_utf8(&data).unwrap().lines().collect();
        for (doc, rec) in docs.iter().zip(&recs) {
            let mut flat = BTreeMap::new();
            flatten("", doc, &mut flat);
            let line_no = rec["line"].as_u64().unwrap() as usize;
            let mut raw = lines[line_no - 1].to_string();
            if let Ok(Value::Object(wrapper)) = serde_json::from_str::<Value>(&raw) {
                raw = wrapper["message"].as_str().unwrap().to_string();
            }
            if rec.get("malformed").is_some() {
                // bad.log: Beats keeps only the original text; so do we, with a reason.
                assert_eq!(flat["event.original"], Value::String(raw.clone()));
                continue;
            }
            let checked = compare_elastic(&flat, rec, &raw, offsets[line_no - 1]);
            assert!(
                checked >= 3,
                "{}: only {checked} keys compared",
                path.display()
            );
            compared += 1;
        }
    }
    assert!(compared >= 15, "compared {compared} documents");
}

/// Reads `key:` → the `format:` and first sample of a test case in Beats' YAML test table.
fn beats_case(yml: &str, case: &str) -> (String, String) {
    let start = yml.find(&format!("\n{case}:")).expect("case in yml");
    let rest = &yml[start..];
    let format = rest
        .lines()
        .find_map(|l| l.trim().strip_prefix("format: "))
        .unwrap();
    let sample = rest.lines().find_map(|l| l.strip_prefix("    - ")).unwrap();
    (format.to_string(), sample.trim_matches('\'').to_string())
}

#[test]
fn beats_processor_goldens_match_field_by_field() {
    let dir = corpus().join("elastic-beats/processor-aws_vpcflow-testdata");
    let yml = read_text(&dir.join("aws-vpc-flow-logs.yml"));
    let tmp = tempfile::tempdir().unwrap();
    for v in [5, 6, 7] {
        let (format, sample) = beats_case(&yml, &format!("v{v}-fields-original"));
        let golden: Value = serde_json::from_str(&read_text(
            &dir.join(format!("v{v}-fields-original.golden.json")),
        ))
        .unwrap();
        let golden = &golden[0];
        assert_eq!(golden["message"], Value::String(sample.clone()));
        let input = tmp.path().join(format!("v{v}.log"));
        std::fs::write(&input, format!("{sample}\n")).unwrap();
        let (recs, run) = records(&[&input], Some(&format), &[]);
        assert_eq!(recs.len(), 1, "v{v}: {}", run.stderr);
        let rec = &recs[0];
        let fields = golden["aws"]["vpcflow"].as_object().unwrap();
        let mut checked = 0;
        for (k, want) in fields {
            if k == "tcp_flags_array" {
                continue; // a Beats decoration, not a flow-log field
            }
            let got = &rec[k.as_str()];
            if k == "start" || k == "end" {
                assert!(iso_matches(want.as_str().unwrap(), got), "v{v} {k}");
            } else {
                assert_eq!(got, want, "v{v} {k}");
            }
            checked += 1;
        }
        // Beats drops `-` fields; every other field of ours must be null.
        for (k, got) in rec.as_object().unwrap() {
            if !fields.contains_key(k) && k != "file" && k != "line" {
                assert_eq!(*got, Value::Null, "v{v} {k} should be `-`");
            }
        }
        assert!(checked >= 14, "v{v}: {checked}");
    }
}

/// The strings of a VRL call: the record, then the format when one is given.
fn vrl_call_strings(source: &str) -> Vec<String> {
    source
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

#[test]
fn vrl_examples_match_exactly() {
    let doc: Value = serde_json::from_str(&read_text(
        &corpus().join("vrl/parse_aws_vpc_flow_log.json"),
    ))
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let examples = doc["examples"].as_array().unwrap();
    assert_eq!(examples.len(), 4);
    for (i, ex) in examples.iter().enumerate() {
        let strings = vrl_call_strings(ex["source"].as_str().unwrap());
        let input = tmp.path().join(format!("ex{i}.log"));
        std::fs::write(&input, format!("{}\n", strings[0])).unwrap();
        let (recs, run) = records(&[&input], strings.get(1).map(String::as_str), &[]);
        assert_eq!(recs.len(), 1, "example {i}: {}", run.stderr);
        let mut ours = recs[0].as_object().unwrap().clone();
        assert_eq!(
            ours.remove("file"),
            Some(Value::String(input.display().to_string()))
        );
        assert_eq!(ours.remove("line"), Some(Value::from(1)));
        assert_eq!(Value::Object(ours), ex["return"], "example {i}");
    }
}

#[test]
fn vrl_test_vectors_all_parse() {
    let doc: Value = serde_json::from_str(&read_text(
        &corpus().join("vrl/parse_aws_vpc_flow_log.test-vectors.json"),
    ))
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut total = 0;
    for (i, group) in doc["groups"].as_array().unwrap().iter().enumerate() {
        let recs: Vec<&str> = group["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        let input = tmp.path().join(format!("g{i}.log"));
        std::fs::write(&input, recs.join("\n")).unwrap();
        let (doc, run) = report_json(&[&input], group["format"].as_str());
        assert_eq!(run.code, 0);
        assert_eq!(doc["records"], recs.len() as u64, "group {i}: {doc}");
        assert_eq!(
            doc["malformed"], 0,
            "group {i}: {}",
            doc["malformed_examples"]
        );
        total += recs.len();
    }
    assert_eq!(total, 30);
}

#[test]
fn cloudwatch_subscription_payloads_give_their_events_as_records() {
    let dir = corpus()
        .join("opentelemetry-collector-contrib/awslogsencodingextension-vpc-flow-log-testdata");
    let (recs, run) = records(&[&dir.join("valid_vpc_flow_cw.json")], None, &[]);
    assert_eq!(run.code, 0);
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0]["dstport"], 22);
    assert_eq!(recs[1]["action"], "REJECT");
    assert!(
        recs.iter().all(|r| r["line"] == 1),
        "both events are on line 1"
    );
    let (custom, _) = records(
        &[&dir.join("valid_vpc_flow_cw_custom.json")],
        Some("version interface-id srcaddr dstaddr"),
        &[],
    );
    assert_eq!(custom[1]["dstaddr"], "172.31.9.12");
    let (tgw, _) = records(&[&dir.join("valid_tgw_flow_cw.json")], Some(TGW_CW), &[]);
    assert_eq!(tgw[0]["tgw_id"], "tgw-0abc12345def67890");
    assert_eq!(tgw[0]["bytes"], 1000);
    // A control message is metadata: counted like a header, no record.
    let tmp = tempfile::tempdir().unwrap();
    let control = tmp.path().join("control.json");
    std::fs::write(
        &control,
        r#"{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}"#,
    )
    .unwrap();
    let (doc, _) = report_json(&[&control], None);
    assert_eq!(
        (
            doc["lines"].as_u64(),
            doc["headers"].as_u64(),
            doc["records"].as_u64()
        ),
        (Some(1), Some(1), Some(0))
    );
}
