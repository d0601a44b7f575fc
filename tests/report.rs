//! `report` and `records` on generated data, checked against numbers the test computes itself.
// Test code: an unwrap that fails is a test that fails, with its line.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use common::flows::{Rec, Rng, generate};
use common::{
    assert_balanced, json_of, json_of_success, records, report_json, vpctop, vpctop_with_stdin,
};
use serde_json::{Value, json};

#[derive(Default, Clone, Copy)]
struct Tot {
    flows: u64,
    bytes: u64,
    packets: u64,
    accept: u64,
    reject: u64,
}

/// The naive reference: group, sort by metric desc then key asc, keep `n`.
fn reference_top(recs: &[Rec], key: impl Fn(&Rec) -> String, by: &str, n: usize) -> Value {
    let mut groups: HashMap<String, Tot> = HashMap::new();
    for r in recs.iter().filter(|r| r.status == "OK") {
        let t = groups.entry(key(r)).or_default();
        t.flows += 1;
        t.bytes += r.bytes;
        t.packets += r.packets;
        if r.action == "ACCEPT" {
            t.accept += 1;
        } else {
            t.reject += 1;
        }
    }
    let metric = |t: &Tot| match by {
        "bytes" => t.bytes,
        "packets" => t.packets,
        _ => t.flows,
    };
    let mut rows: Vec<(String, Tot)> = groups.into_iter().collect();
    rows.sort_by(|a, b| metric(&b.1).cmp(&metric(&a.1)).then(a.0.cmp(&b.0)));
    rows.truncate(n);
    Value::Array(
        rows.into_iter()
            .map(|(k, t)| {
                json!({"key": k, "flows": t.flows, "bytes": t.bytes, "packets": t.packets,
                       "accept": t.accept, "reject": t.reject})
            })
            .collect(),
    )
}

/// Canonical text of an address as the reference writes it (what `IpAddr` prints).
fn canon(a: &str) -> String {
    a.parse::<std::net::IpAddr>().unwrap().to_string()
}

#[test]
fn report_numbers_match_an_independent_reference() {
    let mut rng = Rng(0x5eed);
    let recs = generate(&mut rng, 60_000);
    let dir = tempfile::tempdir().unwrap();
    // Two files (one gzip), a header, blank lines, CRLF, and malformed lines in between.
    let mut text = String::from(
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n",
    );
    let mut extra_blank = 0;
    let mut extra_bad = 0;
    for (i, r) in recs[..30_000].iter().enumerate() {
        text.push_str(&r.line());
        text.push_str(if i % 1000 == 0 { "\r\n" } else { "\n" });
        if i % 5000 == 1 {
            text.push_str("\n   \n");
            extra_blank += 2;
            text.push_str("2 1 eni-x 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 MAYBE OK\n");
            extra_bad += 1;
        }
    }
    let plain = dir.path().join("a.log");
    std::fs::write(&plain, &text).unwrap();
    let gz = dir.path().join("b.log.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for r in &recs[30_000..] {
        writeln!(enc, "{}", r.line()).unwrap();
    }
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();

    for by in ["bytes", "packets", "flows"] {
        let run = vpctop(&[
            "report",
            "--json",
            "--top",
            "7",
            "--by",
            by,
            &plain.display().to_string(),
            &gz.display().to_string(),
        ]);
        let doc = json_of_success(&run);
        assert_balanced(&doc);
        assert_eq!(doc["records"], recs.len() as u64);
        assert_eq!(doc["headers"], 1);
        assert_eq!(doc["blank"], extra_blank);
        assert_eq!(doc["malformed"], extra_bad);
        let ok: Vec<&Rec> = recs.iter().filter(|r| r.status == "OK").collect();
        assert_eq!(doc["flows"], ok.len() as u64);
        assert_eq!(doc["bytes"], ok.iter().map(|r| r.bytes).sum::<u64>());
        assert_eq!(
            doc["status"]["NODATA"],
            recs.iter().filter(|r| r.status == "NODATA").count() as u64
        );
        let rejects: Vec<_> = ok.iter().filter(|r| r.action == "REJECT").collect();
        assert_eq!(doc["actions"]["REJECT"]["flows"], rejects.len() as u64);
        assert_eq!(
            doc["actions"]["REJECT"]["packets"],
            rejects.iter().map(|r| r.packets).sum::<u64>()
        );
        assert_eq!(
            doc["time"]["first_start"],
            recs.iter().map(|r| r.start).min().unwrap()
        );
        assert_eq!(
            doc["time"]["last_end"],
            recs.iter().map(|r| r.end).max().unwrap()
        );
        let top = &doc["top"];
        assert_eq!(
            top["src"],
            reference_top(&recs, |r| canon(&r.src), by, 7),
            "src by {by}"
        );
        assert_eq!(
            top["dst"],
            reference_top(&recs, |r| canon(&r.dst), by, 7),
            "dst by {by}"
        );
        let pair = |r: &Rec| format!("{} -> {}", canon(&r.src), canon(&r.dst));
        assert_eq!(
            top["pair"],
            reference_top(&recs, pair, by, 7),
            "pair by {by}"
        );
        let port = |r: &Rec| r.dstport.to_string();
        assert_eq!(
            top["dstport"],
            reference_top(&recs, port, by, 7),
            "dstport by {by}"
        );
        let eni = |r: &Rec| r.eni.clone();
        assert_eq!(
            top["interface"],
            reference_top(&recs, eni, by, 7),
            "eni by {by}"
        );
        let proto = |r: &Rec| r.proto.to_string();
        assert_eq!(
            top["protocol"],
            reference_top(&recs, proto, by, 7),
            "proto by {by}"
        );
        let examples = doc["malformed_examples"].as_array().unwrap();
        assert_eq!(examples.len(), extra_bad as usize);
        assert!(
            examples
                .windows(2)
                .all(|w| w[0]["line"].as_u64() < w[1]["line"].as_u64())
        );
        assert_eq!(
            examples[0]["reason"],
            "action: \"MAYBE\" is not ACCEPT or REJECT"
        );
    }
}

#[test]
fn records_come_out_in_input_order_with_line_numbers() {
    let mut rng = Rng(42);
    let recs = generate(&mut rng, 40_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.log");
    let body: Vec<String> = recs.iter().map(Rec::line).collect();
    std::fs::write(&path, body.join("\n")).unwrap(); // no final newline
    let (out, run) = records(&[&path], None, &["-j", "2"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(out.len(), recs.len());
    for (i, (o, r)) in out.iter().zip(&recs).enumerate() {
        assert_eq!(o["line"], i as u64 + 1);
        assert_eq!(o["interface_id"], r.eni.as_str());
        assert_eq!(o["start"], r.start);
        if r.status == "OK" {
            assert_eq!(o["bytes"], r.bytes);
            assert_eq!(o["srcaddr"], canon(&r.src));
        } else {
            assert_eq!(o["bytes"], Value::Null);
        }
    }
}

#[test]
fn an_unreadable_path_is_reported_and_the_others_still_count() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.log");
    std::fs::write(
        &good,
        "2 1 eni-a 10.0.0.1 10.0.0.2 1 22 6 1 100 1 2 ACCEPT OK\n",
    )
    .unwrap();
    let missing = dir.path().join("missing.log");
    let run = vpctop(&[
        "report",
        "--json",
        &missing.display().to_string(),
        &good.display().to_string(),
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("missing.log"), "{}", run.stderr);
    let doc = json_of(&run);
    assert_eq!(doc["records"], 1);
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn numbered_lines(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "2 1 eni-a 10.0.{}.{} 10.0.0.2 1 22 6 1 {i} 1 2 ACCEPT OK\n",
                i / 250,
                i % 250
            )
        })
        .collect()
}

#[test]
fn multi_member_gzip_is_read_to_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cat.log.gz");
    let header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n";
    let mut data = gzip(format!("{header}{}", numbered_lines(100)).as_bytes());
    data.extend(gzip(format!("{header}{}", numbered_lines(50)).as_bytes()));
    std::fs::write(&path, data).unwrap();
    let (doc, run) = report_json(&[&path], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        (doc["records"].as_u64(), doc["headers"].as_u64()),
        (Some(150), Some(2))
    );
}

#[test]
fn a_truncated_gzip_keeps_the_records_before_the_damage_and_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.log.gz");
    let full = gzip(numbered_lines(20_000).as_bytes());
    std::fs::write(&path, &full[..full.len() / 2]).unwrap();
    let (doc, run) = report_json(&[&path], None);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("gzip"), "{}", run.stderr);
    let (lines, records, malformed) = assert_balanced(&doc);
    assert!(records > 1000 && records < 20_000, "records {records}");
    // At most the one line cut in half by the damage is malformed.
    assert!(malformed <= 1 && lines == records + malformed);
}

#[test]
fn stdin_is_read_with_a_dash() {
    let input = numbered_lines(10);
    let run = vpctop_with_stdin(&["report", "--json", "-"], input.as_bytes());
    let doc = json_of_success(&run);
    assert_eq!(doc["records"], 10);
    let gz = gzip(input.as_bytes());
    let run = vpctop_with_stdin(&["records", "-"], &gz);
    assert_eq!(run.stdout.lines().count(), 10);
    assert!(run.stdout.contains("\"file\":\"-\""));
}

#[test]
fn hostile_bytes_are_counted_and_never_printed_raw() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.log");
    let mut data = Vec::new();
    data.extend_from_slice(b"2 1 eni-\x1b]0;pwned\x07 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\n");
    data.extend_from_slice(b"2 1 eni-\x00\x00 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\n");
    data.extend_from_slice(b"2 1 eni-\xff\xfe 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\n");
    data.extend_from_slice(b"\x9b31m garbage \xc2\x9b\n");
    data.extend(std::iter::repeat_n(b'A', 10 << 20)); // a 10 MB line
    data.extend_from_slice(b"\n2 1 eni-ok 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK");
    std::fs::write(&path, &data).unwrap();
    let (doc, run) = report_json(&[&path], None);
    assert_eq!(run.code, 0);
    let (lines, records, malformed) = assert_balanced(&doc);
    assert_eq!((lines, records, malformed), (6, 2, 4));
    let reasons: Vec<&str> = doc["malformed_examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons[0].starts_with("interface-id: control character in \"eni-\\x1b]0;pwned\\x07\"")
    );
    assert_eq!(reasons[3], "expected 14 fields, found 1");
    // The invalid-UTF-8 interface is a record, shown with replacement characters.
    assert!(doc["top"]["interface"].to_string().contains("eni-\u{fffd}"));
    for args in [vec!["report"], vec!["records", "--include-malformed"]] {
        let mut argv = args.clone();
        let p = path.display().to_string();
        argv.push(&p);
        let run = vpctop(&argv);
        let raw_control = run
            .stdout
            .chars()
            .any(|c| (c.is_control() && c != '\n') || c == '\u{9b}');
        assert!(!raw_control, "{args:?} printed a raw control character");
    }
}

#[test]
fn a_header_mid_file_switches_the_format_and_format_flag_covers_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mixed.log");
    std::fs::write(
        &path,
        "10.0.0.1 10.0.0.2 ACCEPT\n\nsrcaddr dstaddr bytes\n10.0.0.3 10.0.0.4 77\n",
    )
    .unwrap();
    let (recs, run) = records(&[&path], Some("${srcaddr} ${dstaddr} ${action}"), &[]);
    assert_eq!(run.code, 0);
    assert_eq!(recs[0]["action"], "ACCEPT");
    assert_eq!(recs[1]["bytes"], 77);
    assert_eq!(recs[1]["line"], 4);
    assert!(recs[1].get("action").is_none());
    let bad = vpctop(&[
        "report",
        "--format",
        "version Src",
        &path.display().to_string(),
    ]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("`Src` is not a field name"),
        "{}",
        bad.stderr
    );
}

#[test]
fn text_report_names_ports_and_protocols() {
    let input = numbered_lines(3);
    let run = vpctop_with_stdin(&["report", "-"], input.as_bytes());
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("22 (ssh)"), "{}", run.stdout);
    assert!(run.stdout.contains("6 (TCP)"));
    assert!(run.stdout.contains("records 3"));
}

#[test]
fn records_stops_quietly_when_the_reader_goes_away() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.log");
    std::fs::write(&path, numbered_lines(200_000)).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vpctop"))
        .args(["records", &path.display().to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("\"line\":1}"));
    // stdout is dropped here: the next write gets EPIPE.
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn directories_stand_for_the_files_below_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("a.log"), numbered_lines(3)).unwrap();
    std::fs::write(dir.path().join("sub/b.log"), numbered_lines(4)).unwrap();
    std::fs::write(dir.path().join(".hidden"), numbered_lines(5)).unwrap();
    let (doc, run) = report_json(&[Path::new(dir.path())], None);
    assert_eq!(run.code, 0);
    assert_eq!(doc["records"], 7);
}

#[test]
fn filters_select_the_same_records_as_a_reference_predicate() {
    let mut rng = Rng(0xf117e4);
    let recs = generate(&mut rng, 20_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.log");
    let body: Vec<String> = recs.iter().map(Rec::line).collect();
    std::fs::write(&path, body.join("\n")).unwrap();
    type Pred = fn(&Rec) -> bool;
    let cases: &[(&str, Pred)] = &[
        ("action=REJECT dstport=22", |r| {
            r.status == "OK" && r.action == "REJECT" && r.dstport == 22
        }),
        ("src=10.0.0.0/16 or dst=2001:db8::/32", |r| {
            r.status == "OK"
                && (canon(&r.src).starts_with("10.0.") || canon(&r.dst).starts_with("2001:db8:"))
        }),
        ("not proto=tcp and bytes>=50k", |r| {
            r.status == "OK" && r.proto != 6 && r.bytes >= 50_000
        }),
        ("dstport in (80, 443) duration>5m", |r| {
            r.status == "OK" && [80, 443].contains(&r.dstport) && r.end - r.start > 300
        }),
        ("status!=OK", |r| r.status != "OK"),
        ("interface=eni-000*", |r| r.eni.starts_with("eni-000")),
    ];
    for (filter, pred) in cases {
        let (doc, run) = {
            let run = vpctop(&[
                "report",
                "--json",
                "--filter",
                filter,
                &path.display().to_string(),
            ]);
            (serde_json::from_str::<Value>(&run.stdout).unwrap(), run)
        };
        assert_eq!(run.code, 0, "{filter}: {}", run.stderr);
        assert_balanced(&doc);
        let want: Vec<&Rec> = recs.iter().filter(|r| pred(r)).collect();
        assert!(!want.is_empty(), "{filter} selects nothing: a weak case");
        assert_eq!(doc["filter"]["matched"], want.len() as u64, "{filter}");
        assert_eq!(
            doc["records"],
            recs.len() as u64,
            "line accounting is about the input"
        );
        let ok: Vec<&&Rec> = want.iter().filter(|r| r.status == "OK").collect();
        assert_eq!(doc["flows"], ok.len() as u64, "{filter}");
        assert_eq!(
            doc["bytes"],
            ok.iter().map(|r| r.bytes).sum::<u64>(),
            "{filter}"
        );
        let (out, _) = records(&[&path], None, &["--filter", filter]);
        assert_eq!(out.len(), want.len(), "records --filter {filter}");
    }
}

#[test]
fn a_bad_filter_is_a_usage_error_pointing_at_the_column() {
    let run = vpctop(&["report", "--filter", "dstport=abc", "-"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(
            "expected a port, port range or service name (ssh, https, postgres, …) at column 9"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("          ^"), "{}", run.stderr);
}

#[test]
fn series_and_histograms_match_a_reference() {
    let mut rng = Rng(0x5e41e5);
    let recs = generate(&mut rng, 30_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.log");
    let body: Vec<String> = recs.iter().map(Rec::line).collect();
    std::fs::write(&path, body.join("\n")).unwrap();
    let (doc, run) = report_json(&[&path], None);
    assert_eq!(run.code, 0);
    let series = doc["series"].as_array().unwrap();
    let width = series[0]["width"].as_u64().unwrap();
    // The span is ~4200 s: the first width that cuts it into at most 720 buckets is 10 s.
    assert_eq!(width, 10);
    let mut want: std::collections::BTreeMap<u64, [u64; 4]> = Default::default();
    for r in recs.iter().filter(|r| r.status == "OK") {
        let b = want.entry(r.end / width * width).or_default();
        if r.action == "ACCEPT" {
            b[0] += 1;
            b[1] += r.bytes;
        } else {
            b[2] += 1;
            b[3] += r.bytes;
        }
    }
    let got: std::collections::BTreeMap<u64, [u64; 4]> = series
        .iter()
        .map(|b| {
            assert_eq!(b["width"], width);
            let n = |k: &str| b[k].as_u64().unwrap();
            (
                n("start"),
                [
                    n("accept_flows"),
                    n("accept_bytes"),
                    n("reject_flows"),
                    n("reject_bytes"),
                ],
            )
        })
        .collect();
    assert_eq!(got, want);

    let ok: Vec<&Rec> = recs.iter().filter(|r| r.status == "OK").collect();
    let check = |name: &str, mut values: Vec<u64>| {
        values.sort_unstable();
        let h = &doc["histograms"][name];
        assert_eq!(h["count"], values.len() as u64, "{name}");
        for (key, q) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)] {
            let exact = values[((q * values.len() as f64).ceil() as usize).max(1) - 1];
            let got = h[key].as_u64().unwrap();
            // Two significant digits: within 1 % (or 1 for small values).
            let tolerance = (exact as f64 * 0.01).max(1.0);
            assert!(
                got.abs_diff(exact) as f64 <= tolerance,
                "{name} {key}: {got} vs {exact}"
            );
        }
        let max = *values.last().unwrap();
        let got = h["max"].as_u64().unwrap();
        assert!(
            got.abs_diff(max) as f64 <= (max as f64 * 0.01).max(1.0),
            "{name} max"
        );
    };
    check("bytes", ok.iter().map(|r| r.bytes).collect());
    check("packets", ok.iter().map(|r| r.packets).collect());
    check("duration", ok.iter().map(|r| r.end - r.start).collect());
    check(
        "bytes_per_packet",
        ok.iter()
            .filter(|r| r.packets > 0)
            .map(|r| r.bytes / r.packets)
            .collect(),
    );
}

#[test]
fn drill_down_shows_a_hosts_conversations_and_raw_records() {
    let mut rng = Rng(0xd711);
    let recs = generate(&mut rng, 20_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.log");
    let lines: Vec<String> = recs.iter().map(Rec::line).collect();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let p = path.display().to_string();
    let run = vpctop(&[
        "report",
        "--json",
        "--drill",
        "host=10.0.0.3",
        "--drill-limit",
        "100000",
        &p,
    ]);
    let doc = json_of_success(&run);
    let d = &doc["drill"];
    assert_eq!(d["key"], "host=10.0.0.3");
    assert_eq!(d["evicted"], 0);
    let involved: Vec<&Rec> = recs
        .iter()
        .filter(|r| {
            r.status == "OK" && (canon(&r.src) == "10.0.0.3" || canon(&r.dst) == "10.0.0.3")
        })
        .collect();
    assert!(!involved.is_empty());
    let conv = d["conversations"].as_array().unwrap();
    let flows: u64 = conv.iter().map(|c| c["flows"].as_u64().unwrap()).sum();
    assert_eq!(flows, involved.len() as u64);
    // The peer is always the other side.
    assert!(
        conv.iter()
            .all(|c| c["peer"] != "10.0.0.3" || involved.iter().any(|r| r.src == r.dst))
    );
    let records = d["records"].as_array().unwrap();
    assert_eq!(records.len(), involved.len());
    let text = std::fs::read_to_string(&path).unwrap();
    for r in records {
        let offset = r["offset"].as_u64().unwrap() as usize;
        let line = text[offset..].lines().next().unwrap();
        assert_eq!(r["raw"], line, "raw line read back at its offset");
        assert_eq!(r["file"], p.as_str());
        let number = text[..offset].matches('\n').count() as u64 + 1;
        assert_eq!(r["line"], number, "the line number of that offset");
    }
    let ends: Vec<u64> = records.iter().map(|r| r["end"].as_u64().unwrap()).collect();
    assert!(ends.windows(2).all(|w| w[0] >= w[1]), "newest first");

    // Within --filter, the drill-down sees only matching records.
    let rejects = vpctop(&[
        "report",
        "--json",
        "--drill",
        "host=10.0.0.3",
        "--filter",
        "action=REJECT",
        "--drill-limit",
        "100000",
        &p,
    ]);
    let r: Value = serde_json::from_str(&rejects.stdout).unwrap();
    let want = involved.iter().filter(|x| x.action == "REJECT").count() as u64;
    let got: u64 = r["drill"]["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["reject"].as_u64().unwrap())
        .sum();
    assert_eq!(got, want);
    assert!(
        r["drill"]["conversations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["accept"] == 0)
    );

    // A tiny --memory evicts, says so, and changes no total.
    let small = vpctop(&["report", "--json", "--drill", "22", "--memory", "64Ki", &p]);
    assert_eq!(small.code, 0, "{}", small.stderr);
    let s: Value = serde_json::from_str(&small.stdout).unwrap();
    assert!(s["drill"]["evicted"].as_u64().unwrap() > 0);
    assert_eq!(s["flows"], doc["flows"]);
    assert_eq!(s["top"], doc["top"]);
}

#[test]
fn report_stops_quietly_when_the_reader_goes_away() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    for json in [true, false] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vpctop"));
        cmd.arg("report").arg("--top").arg("1000");
        if json {
            cmd.arg("--json");
        }
        let assets = concat!(env!("CARGO_MANIFEST_DIR"), "/assets");
        let mut child = cmd
            .arg(assets)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read a little, then close the pipe before the report is written out.
        let mut first = [0u8; 16];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "json={json}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "json={json}: {stderr}");
    }
}

#[test]
fn aws_logs_tail_output_on_stdin_is_read_as_records() {
    // What `aws logs tail /vpc/flowlogs` prints: timestamp, log stream, record.
    let input: String = numbered_lines(5)
        .lines()
        .enumerate()
        .map(|(i, l)| format!("2026-11-23T10:00:0{i}.000000+00:00 eni-0a1b2c3d-all {l}\n"))
        .collect();
    let run = vpctop_with_stdin(&["report", "--json", "-"], input.as_bytes());
    let doc = json_of_success(&run);
    assert_eq!(
        (doc["records"].as_u64(), doc["malformed"].as_u64()),
        (Some(5), Some(0))
    );
    let run = vpctop_with_stdin(&["records", "-"], input.as_bytes());
    let first: Value = serde_json::from_str(run.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["srcaddr"], "10.0.0.0");
    assert_eq!(first["interface_id"], "eni-a");
}

#[test]
fn glob_chooses_the_files_of_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.log"), numbered_lines(3)).unwrap();
    std::fs::write(dir.path().join("b.txt"), numbered_lines(4)).unwrap();
    std::fs::write(dir.path().join("c.log.tmp"), numbered_lines(5)).unwrap();
    let d = dir.path().display().to_string();
    let only_logs = vpctop(&["report", "--json", "--glob", "*.log", &d]);
    let doc: Value = serde_json::from_str(&only_logs.stdout).unwrap();
    assert_eq!(doc["records"], 3);
    let all = vpctop(&["report", "--json", &d]);
    let doc: Value = serde_json::from_str(&all.stdout).unwrap();
    assert_eq!(
        doc["records"], 7,
        "work files (*.tmp) are skipped without a glob too"
    );
}

#[test]
fn replay_reports_every_record_and_keeps_to_its_window_and_speed() {
    let dir = tempfile::tempdir().unwrap();
    // Two files whose records interleave in time: 20 records 5 s apart, spanning 95 s.
    let line = |i: u64| {
        format!(
            "2 1 eni-a 10.0.0.{i} 10.0.0.2 1 22 6 1 100 {} {} ACCEPT OK\n",
            1000 + i * 5,
            1003 + i * 5
        )
    };
    let a: String = (0..20).filter(|i| i % 2 == 0).map(line).collect();
    let b: String = (0..20).filter(|i| i % 2 == 1).map(line).collect();
    std::fs::write(dir.path().join("a.log"), a).unwrap();
    std::fs::write(dir.path().join("b.log"), b).unwrap();
    let d = dir.path().display().to_string();

    let fast = vpctop(&["replay", "--speed", "max", "--json", &d]);
    assert_eq!(fast.code, 0, "{}", fast.stderr);
    let doc: Value = serde_json::from_str(&fast.stdout).unwrap();
    assert_eq!(doc["records"], 20);
    assert_eq!(doc["bytes"], 2000);

    let window = vpctop(&[
        "replay", "--speed", "max", "--json", "--from", "1020", "--to", "1050", &d,
    ]);
    let doc: Value = serde_json::from_str(&window.stdout).unwrap();
    assert_eq!(doc["records"], 7, "starts 1020, 1025, …, 1050");
    // The same window as people write it: RFC 3339, and a time of day on --from's day.
    let written = vpctop(&[
        "replay",
        "--speed",
        "max",
        "--json",
        "--from",
        "1970-01-01T00:17:00Z",
        "--to",
        "00:17:30",
        &d,
    ]);
    let doc = json_of_success(&written);
    assert_eq!(doc["records"], 7, "the same window: {}", written.stderr);
    let typo = vpctop(&["replay", "--from", "yesterday", &d]);
    assert_eq!(typo.code, 2);
    assert!(
        typo.stderr.contains("`yesterday` is not a time"),
        "{}",
        typo.stderr
    );

    // 95 s of record time at 100x is about 0.95 s of wall time: measured, with tolerance.
    let started = std::time::Instant::now();
    let paced = vpctop(&["replay", "--speed", "100", "--json", &d]);
    let took = started.elapsed().as_secs_f64();
    assert_eq!(paced.code, 0);
    assert!((0.8..5.0).contains(&took), "95 s at 100x took {took:.2} s");
    let bad = vpctop(&["replay", "--speed", "fast", &d]);
    assert_eq!(bad.code, 2);
}

#[test]
fn drill_down_diagnoses_what_blocks_a_host() {
    let dir = tempfile::tempdir().unwrap();
    let line = |src: &str, sport: u16, dst: &str, dport: u16, action: &str| {
        format!("2 1 eni-a {src} {dst} {sport} {dport} 6 1 100 1000 1060 {action} OK\n")
    };
    let mut body = String::new();
    // HTTPS requests accepted, their replies rejected: a stateless ACL without the
    // ephemeral range outbound.
    for eph in 50_000..50_004 {
        body += &line("203.0.113.7", eph, "10.0.1.5", 443, "ACCEPT");
        body += &line("10.0.1.5", 443, "203.0.113.7", eph, "REJECT");
    }
    // SSH attempts rejected outright.
    body += &line("198.51.100.9", 40_000, "10.0.1.5", 22, "REJECT");
    let path = dir.path().join("f.log");
    std::fs::write(&path, body).unwrap();
    let p = path.display().to_string();

    // --filter hides the accepted requests from the listing, not from the diagnosis.
    let run = vpctop(&[
        "report",
        "--json",
        "--drill",
        "host=10.0.1.5",
        "--filter",
        "action=REJECT",
        &p,
    ]);
    let doc = json_of_success(&run);
    let diagnosis = doc["drill"]["diagnosis"].as_array().unwrap();
    assert_eq!(diagnosis.len(), 2, "{diagnosis:?}");
    assert_eq!(diagnosis[0]["cause"], "network_acl_denies_return_traffic");
    assert_eq!(diagnosis[0]["client"], "203.0.113.7");
    assert_eq!(diagnosis[0]["server"], "10.0.1.5");
    assert_eq!(diagnosis[0]["port"], 443);
    assert_eq!(diagnosis[0]["rejected"], 4);
    assert_eq!(diagnosis[1]["cause"], "security_group_or_network_acl");
    assert_eq!(diagnosis[1]["port"], 22);

    let text = vpctop(&["report", "--drill", "host=10.0.1.5", &p]);
    assert!(
        text.stdout
            .contains("203.0.113.7 -> 10.0.1.5:443/TCP: requests accepted, replies rejected: a network ACL denies the return traffic"),
        "{}",
        text.stdout
    );
    // Records are placed as file:line, as the dashboard places them, never file@offset.
    assert!(text.stdout.contains(&format!("{p}:")), "{}", text.stdout);
    assert!(!text.stdout.contains(&format!("{p}@")), "{}", text.stdout);
}

#[test]
fn replay_of_a_file_with_a_header_line_starts_at_its_first_record_not_at_1970() {
    // Regression: the header line has no time of its own; it anchored the replay clock at
    // 0, so at 100x the first record was due in half a year.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s3.log");
    let mut text = String::from(
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n",
    );
    for i in 0..20u64 {
        let start = 1_700_000_000 + i * 5;
        text += &format!(
            "2 1 eni-a 10.0.0.{i} 10.0.0.2 1 22 6 1 100 {start} {} ACCEPT OK\n",
            start + 3
        );
    }
    std::fs::write(&path, text).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vpctop"))
        .args([
            "replay",
            "--speed",
            "100",
            "--json",
            &path.display().to_string(),
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // 95 s of record time at 100x: about a second. Bounded wait, then fail (not hang).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the replay did not finish in 20 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (doc["records"].as_u64(), doc["headers"].as_u64()),
        (Some(20), Some(1))
    );
}

#[test]
fn text_that_is_not_a_flow_log_yields_no_header_and_no_record() {
    // Regression: prose with one field name in it (`end of the notes`, a lone `end` in
    // PostScript) was taken for an S3 header, and the lines after it for records.
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (name, from) in [
        ("lib.rs", "src/lib.rs"),
        ("schema.rs", "src/schema.rs"),
        ("main.rs", "src/main.rs"),
        ("Cargo.toml", "Cargo.toml"),
    ] {
        let text = common::read_input(&root.join(from));
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    std::fs::write(
        dir.path().join("notes.ps"),
        "%!PS-Adobe-3.0\n/box { newpath 0 0 moveto } def\nend\n0 0 1 setrgbcolor\nshowpage\nend\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("NEWS"),
        "end of the notes\nversion 13 of the debugger\n\nstart end\n1 2\nprotocol version three\n\
         6 7 8\nThe start and end of a flow\n5 6 7 8\n",
    )
    .unwrap();
    let d = dir.path().display().to_string();
    let run = vpctop(&["report", "--json", &d]);
    let doc = json_of(&run);
    let (lines, records, malformed) = assert_balanced(&doc);
    assert_eq!(records, 0, "{doc}");
    assert_eq!(doc["headers"], 0, "{doc}");
    assert_eq!(malformed + doc["blank"].as_u64().unwrap(), lines);
    assert_eq!(run.code, 3, "nothing understood: {}", run.stderr);
}

#[test]
fn a_run_that_understood_nothing_says_so_and_exits_3() {
    // The seed document's example line: 12 fields, not 14.
    let line =
        "2 123456789010 eni-abc123de 178.31.16.21 20642 22 6 20 1418530010 141850070 ACCEPT OK\n";
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.log");
    std::fs::write(&bad, line.repeat(3)).unwrap();
    let b = bad.display().to_string();
    for args in [
        vec!["report", b.as_str()],
        vec!["report", "--json", b.as_str()],
        vec!["records", b.as_str()],
        vec!["replay", "--speed", "max", "--no-ui", b.as_str()],
    ] {
        let run = vpctop(&args);
        assert_eq!(run.code, 3, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("no line was a flow-log record: 3 malformed lines")
                && run
                    .stderr
                    .contains("bad.log:1: expected 14 fields, found 12")
                && run.stderr.contains("Is --format right"),
            "{args:?}: {}",
            run.stderr
        );
    }
    // Real data read with a wrong --format: nothing understood either.
    let good = dir.path().join("good.log");
    let recs = generate(&mut Rng(5), 50);
    let text: String = recs.iter().map(|r| r.line() + "\n").collect();
    std::fs::write(&good, &text).unwrap();
    let g = good.display().to_string();
    let run = vpctop(&["report", "--format", "version srcaddr dstaddr", &g]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    // Mostly malformed but some records: a warning, and exit 0.
    std::fs::write(
        &good,
        format!(
            "{}{}",
            &text[..text.find('\n').unwrap() + 1],
            line.repeat(3)
        ),
    )
    .unwrap();
    let run = vpctop(&["report", &g]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("3 of 4 lines were malformed"),
        "{}",
        run.stderr
    );
    // An empty input is not an error.
    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, "").unwrap();
    let run = vpctop(&["report", &empty.display().to_string()]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
}

#[test]
fn a_misspelled_format_field_is_an_error_that_suggests_the_right_one() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("f.log");
    std::fs::write(&f, "2 10.0.0.1 10.0.0.2\n").unwrap();
    let p = f.display().to_string();
    let run = vpctop(&["report", "--format", "version srcadr dstaddr", &p]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("`srcadr` is not a flow-log field (did you mean `srcaddr`?)"),
        "{}",
        run.stderr
    );
    // Opting in keeps the unknown name as a text column.
    let run = vpctop(&[
        "records",
        "--allow-unknown-fields",
        "--format",
        "version srcadr dstaddr",
        &p,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("\"srcadr\":\"10.0.0.1\""),
        "{}",
        run.stdout
    );
    // A header line in the data with an unknown (future) name stays accepted.
    std::fs::write(
        &f,
        "version srcaddr dstaddr next-field\n2 10.0.0.1 10.0.0.2 x\n",
    )
    .unwrap();
    let run = vpctop(&["report", "--json", &p]);
    let doc = json_of_success(&run);
    assert_eq!(
        (doc["headers"].clone(), doc["records"].clone()),
        (json!(1), json!(1))
    );
}

#[test]
fn a_filter_on_a_field_no_input_has_says_why_it_matched_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let v2 = dir.path().join("v2.log");
    let recs = generate(&mut Rng(9), 30);
    std::fs::write(
        &v2,
        recs.iter().map(|r| r.line() + "\n").collect::<String>(),
    )
    .unwrap();
    let p = v2.display().to_string();
    for command in ["report", "records"] {
        let run = vpctop(&[command, "--filter", "tcp-flags=syn", &p]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            run.stderr
                .contains("matched none of 30 records: tcp-flags is in no format"),
            "{command}: {}",
            run.stderr
        );
    }
    // With a header that names the field, no record matching is just no match.
    let v3 = dir.path().join("v3.log");
    std::fs::write(
        &v3,
        "version srcaddr dstaddr tcp-flags\n3 10.0.0.1 10.0.0.2 2\n",
    )
    .unwrap();
    let run = vpctop(&[
        "report",
        "--filter",
        "tcp-flags=fin",
        &v3.display().to_string(),
    ]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
}

#[test]
fn encryption_status_is_summarised_when_a_format_has_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v10.log");
    let mut text = String::from(
        "version srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status encryption-status\n",
    );
    for (i, status) in ["0", "2", "2", "1", "3", "-"].iter().enumerate() {
        text.push_str(&format!(
            "2 10.0.0.1 10.0.0.2 {} 443 6 1 100 1700000000 1700000060 ACCEPT OK {status}\n",
            40_000 + i
        ));
    }
    // Records without data say nothing about encryption.
    text.push_str("2 10.0.0.1 10.0.0.2 1 443 6 0 0 1700000000 1700000060 ACCEPT NODATA 0\n");
    std::fs::write(&path, text).unwrap();
    let doc = common::json_of_success(&common::vpctop(&[
        "report",
        "--json",
        path.to_str().unwrap(),
    ]));
    let e = &doc["encryption"];
    assert_eq!(
        (e["cleartext"].as_u64(), e["nitro"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!((e["tls"].as_u64(), e["both"].as_u64()), (Some(2), Some(1)));
    assert!(
        (e["cleartext_share"].as_f64().unwrap() - 0.2).abs() < 1e-9,
        "{e}"
    );
    let run = common::vpctop(&["report", path.to_str().unwrap()]);
    assert!(
        run.stdout
            .contains("crypto   20.0% of flows in cleartext (1 of 5)"),
        "{}",
        run.stdout
    );
    // A format without the field says nothing about it.
    let plain = common::corpus().join("inventory-flows.log");
    let doc = common::json_of_success(&common::vpctop(&[
        "report",
        "--json",
        plain.to_str().unwrap(),
    ]));
    assert!(doc.get("encryption").is_none());
}

#[test]
fn replay_at_full_speed_counts_what_report_counts_however_lines_are_mixed() {
    // Records out of order within and across files, CRLF lines, blank and malformed lines,
    // an over-long line, a header half-way through a file and a gzip file: the replay merges
    // them in record time, and must still come to report's answer byte for byte.
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(11);
    let lines =
        |rng: &mut Rng, n| -> Vec<String> { generate(rng, n).iter().map(Rec::line).collect() };
    let mut a = lines(&mut rng, 3000);
    a[10].push('\r');
    a[20] = String::new();
    a[30] = "2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1700000100 x ACCEPT OK".into();
    a[40] = "x".repeat(17 << 20);
    std::fs::write(dir.path().join("a.log"), a.join("\n")).unwrap();
    let header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status";
    let mut b = lines(&mut rng, 2000);
    b.insert(0, header.to_string());
    b.insert(700, header.to_string());
    std::fs::write(dir.path().join("b.log"), b.join("\n") + "\n").unwrap();
    let c = lines(&mut rng, 1000).join("\n") + "\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(c.as_bytes()).unwrap();
    std::fs::write(dir.path().join("c.log.gz"), gz.finish().unwrap()).unwrap();
    let d = dir.path().display().to_string();
    let report = vpctop(&["report", "--json", &d]);
    let doc = json_of(&report);
    assert_eq!(doc["malformed"], 2, "{doc}");
    assert_eq!(doc["headers"], 2, "{doc}");
    let replay = vpctop(&["replay", "--speed", "max", "--json", &d]);
    assert_eq!(replay.code, report.code, "{}", replay.stderr);
    assert_eq!(replay.stdout, report.stdout);
}
