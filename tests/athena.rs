//! `report --emit athena` computes what `report` computes, proven by running it: for
//! hundreds of random views (filters over every construct, every grouping, metric, top N
//! and time window), the emitted SQL, run by DuckDB over a table shaped like AWS's, returns
//! exactly vpctop's top list, keys and values. Over the text file (loaded as Athena's text
//! tables read it, in each partition layout) and over AWS-shaped Parquet. Every query also
//! parses and round-trips in sqlglot's Trino dialect, and `athena-ddl`'s table parses in its
//! Athena dialect with the columns the queries ran on.
//!
//! They need Python with `duckdb` and `sqlglot` (`pip install -r
//! tests/athena/requirements.txt`), so they build only with the `sql-tests` feature:
//! `cargo test --features sql-tests --test athena`. `.ci/run` installs the packages and runs
//! them. The dialect differences the DuckDB run needs are in one table, in
//! `tests/athena/run_sql.py`.
#![cfg(all(feature = "sql-tests", feature = "parquet"))]
// Test code: an unwrap that fails is a test that fails, with its line.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

/// The v2–v5 fields in AWS's table order (the Athena DDL's columns).
const V5: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol \
                  packets bytes start end action log-status vpc-id subnet-id instance-id \
                  tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type \
                  sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction \
                  traffic-path";

/// Record time of the generated file: three days from here.
const BASE: u64 = 1_764_000_000;

/// The report's lists, in report order, as `--group` names them and JSON keys them.
const GROUPS: [&str; 6] = ["src", "dst", "pair", "dstport", "interface", "protocol"];

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const ADDRS: &[&str] = &[
    "10.0.0.5",
    "10.0.0.9",
    "10.0.1.20",
    "10.0.1.21",
    "10.0.2.7",
    "10.1.0.3",
    "172.16.5.4",
    "192.168.1.10",
    "198.51.100.7",
    "198.51.100.200",
    "203.0.113.9",
    "45.33.32.156",
    "8.8.8.8",
    "2001:db8::1",
    "2001:db8::2",
    "2001:db8:1::10",
    "2001:db8:1::11",
    "2001:db8:ff::abcd",
];

const PORTS: &[u64] = &[22, 53, 80, 123, 443, 3306, 3389, 5432, 8080];

/// A v5 text file with a header: realistic fields, NODATA/SKIPDATA records and `-` where
/// AWS writes it.
fn flow_file(rng: &mut Rng, records: usize) -> String {
    let mut out = format!("{V5}\n");
    for _ in 0..records {
        let start = BASE + rng.below(3 * 86_400);
        let end = start + rng.below(601);
        let eni = format!("eni-0a1b2c3d4e5f6a7b{}", rng.below(8));
        let account = rng.pick(&["123456789012", "210987654321"]).to_string();
        let status = match rng.below(100) {
            0..=3 => "NODATA",
            4 => "SKIPDATA",
            _ => "OK",
        };
        if status != "OK" {
            out.push_str(&format!(
                "5 {account} {eni} - - - - - - - {start} {end} - {status} vpc-01 subnet-0{} - - - - - us-east-1 use1-az1 - - - - - -\n",
                rng.below(3)
            ));
            continue;
        }
        let src = *rng.pick(ADDRS);
        let v6 = src.contains(':');
        let dst = loop {
            let d = *rng.pick(ADDRS);
            if d.contains(':') == v6 && d != src {
                break d;
            }
        };
        let port = |rng: &mut Rng| {
            if rng.chance(55) {
                *rng.pick(PORTS)
            } else {
                1024 + rng.below(64_512)
            }
        };
        let (sport, dport) = (port(rng), port(rng));
        let proto = *rng.pick(&[6u64, 6, 6, 17, 17, 1, 58]);
        let packets = 1 + rng.below(200);
        let bytes = packets * (40 + rng.below(1460));
        let action = if rng.chance(30) { "REJECT" } else { "ACCEPT" };
        let flags = rng
            .pick(&["0", "2", "18", "19", "3", "1", "4", "-"])
            .to_string();
        let instance = if rng.chance(20) {
            "-".to_string()
        } else {
            format!("i-0{}", rng.below(5))
        };
        let pkt_src = if rng.chance(25) { "-" } else { src };
        let pkt_dst = if rng.chance(25) { "-" } else { dst };
        let service = rng.pick(&["-", "-", "S3", "AMAZON"]).to_string();
        let direction = rng.pick(&["ingress", "egress"]).to_string();
        let path = if direction == "egress" {
            (1 + rng.below(8)).to_string()
        } else {
            "-".to_string()
        };
        let kind = if v6 { "IPv6" } else { "IPv4" };
        out.push_str(&format!(
            "5 {account} {eni} {src} {dst} {sport} {dport} {proto} {packets} {bytes} {start} {end} {action} OK vpc-0{} subnet-0{} {instance} {flags} {kind} {pkt_src} {pkt_dst} us-east-1 use1-az1 - - {service} - {direction} {path}\n",
            rng.below(2),
            rng.below(3),
        ));
    }
    out
}

/// One random test of the filter language.
fn test_text(rng: &mut Rng) -> String {
    let cidr = |rng: &mut Rng| {
        rng.pick(&[
            "10.0.0.0/8",
            "10.0.1.0/24",
            "10.0.0.5",
            "198.51.100.0/24",
            "8.8.8.8/32",
            "172.16.0.0/12",
            "2001:db8::/48",
            "2001:db8:1::/64",
            "2001:db8::1",
            "10.1.2.3/16",
        ])
        .to_string()
    };
    match rng.below(26) {
        0 => format!("src={}", cidr(rng)),
        1 => format!("dst={}", cidr(rng)),
        2 => format!("host={}", cidr(rng)),
        3 => cidr(rng),
        4 => format!("pkt-srcaddr={}", cidr(rng)),
        5 => format!("port={}", rng.pick(PORTS)),
        6 => format!(
            "dstport{}{}",
            rng.pick(&["=", "!=", "<", "<=", ">", ">="]),
            rng.pick(PORTS)
        ),
        7 => rng
            .pick(&["dstport=1024-65535", "srcport=0-1023", "port=3000-9000"])
            .to_string(),
        8 => rng
            .pick(&["ssh", "https", "postgres", "port in (22, 443, 53)"])
            .to_string(),
        9 => rng
            .pick(&[
                "proto=tcp",
                "proto=udp",
                "proto!=6",
                "icmp",
                "proto=icmpv6",
                "proto in (udp, 1)",
            ])
            .to_string(),
        10 => format!(
            "bytes{}{}",
            rng.pick(&[">", "<=", ">="]),
            rng.pick(&["10k", "1500", "64Ki", "100000"])
        ),
        11 => format!("packets{}{}", rng.pick(&[">", "<", "="]), rng.below(60)),
        12 => format!(
            "duration{}{}",
            rng.pick(&[">=", "<", ">"]),
            rng.pick(&["1m", "30s", "5m", "0"])
        ),
        13 => rng
            .pick(&[
                "flags=syn",
                "flags=synack",
                "flags=2",
                "flags=fin",
                "flags=rst",
            ])
            .to_string(),
        14 => rng
            .pick(&["action=REJECT", "ACCEPT", "action=accept", "REJECT"])
            .to_string(),
        15 => rng.pick(&["status=OK", "status=NODATA", "OK"]).to_string(),
        16 => format!("interface=eni-0a1b2c3d4e5f6a7b{}", rng.below(9)),
        17 => rng
            .pick(&["interface=eni-*3", "eni=*7b1", "interface=*a*b*"])
            .to_string(),
        18 => rng
            .pick(&[
                "account=123456789012",
                "account=2109*",
                "account=12'3",
                "account=1_%",
            ])
            .to_string(),
        19 => rng
            .pick(&["instance=i-0*", "instance=i-03", "instance-id=i-01"])
            .to_string(),
        20 => rng
            .pick(&["direction=ingress", "flow-direction=egress"])
            .to_string(),
        21 => rng
            .pick(&["vpc=vpc-01", "subnet=subnet-0*", "vpc-id=vpc-00"])
            .to_string(),
        22 => format!(
            "{}{}{}",
            rng.pick(&["start", "end"]),
            rng.pick(&[">=", "<", ">"]),
            BASE + rng.below(3 * 86_400)
        ),
        23 => rng
            .pick(&[
                "traffic-path=2",
                "traffic-path>=4",
                "pkt-src-aws-service=S3",
                "type=IPv6",
            ])
            .to_string(),
        24 => format!("src in ({}, {})", cidr(rng), cidr(rng)),
        _ => rng
            .pick(&[
                "tcp-flags=19",
                "sublocation-id=-x",
                "pkt-dst-aws-service=AMAZON",
            ])
            .to_string(),
    }
}

/// A random filter: tests joined by and/or, some negated or grouped.
fn filter_text(rng: &mut Rng, depth: u32) -> String {
    let n = 1 + rng.below(3);
    let mut parts = Vec::new();
    for _ in 0..n {
        let mut t = if depth < 2 && rng.chance(20) {
            format!("({})", filter_text(rng, depth + 1))
        } else {
            test_text(rng)
        };
        if rng.chance(20) {
            t = format!("not {t}");
        }
        parts.push(t);
    }
    let mut out = parts[0].clone();
    for p in &parts[1..] {
        let joiner: &&str = rng.pick(&[" ", " and ", " or "]);
        out.push_str(joiner);
        out.push_str(p);
    }
    out
}

/// One random view: the report flags.
fn view_flags(rng: &mut Rng) -> Vec<String> {
    let mut flags = Vec::new();
    if !rng.chance(10) {
        flags.push("--filter".to_string());
        flags.push(filter_text(rng, 0));
    }
    flags.push("--by".to_string());
    flags.push(rng.pick(&["bytes", "packets", "flows"]).to_string());
    flags.push("--top".to_string());
    flags.push((1 + rng.below(15)).to_string());
    if rng.chance(40) {
        let from = BASE + rng.below(2 * 86_400);
        flags.push("--from".to_string());
        flags.push(from.to_string());
        if rng.chance(70) {
            flags.push("--to".to_string());
            flags.push((from + rng.below(86_400)).to_string());
        }
    }
    flags
}

/// Runs the job through DuckDB and sqlglot (tests/athena/run_sql.py).
fn run_sql(job: &Value) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/athena/run_sql.py");
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    let text = job.to_string();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "run_sql.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// vpctop's lists for a view: per group, (key, metric value).
fn vpctop_lists(path: &Path, flags: &[String], format: Option<&str>) -> Vec<Vec<(String, u64)>> {
    let by = flags
        .iter()
        .position(|f| f == "--by")
        .map(|i| flags[i + 1].clone())
        .unwrap();
    let mut args: Vec<&str> = vec!["report", "--json"];
    args.extend(flags.iter().map(String::as_str));
    if let Some(f) = format {
        args.extend(["--format", f]);
    }
    let p = path.to_str().unwrap();
    args.push(p);
    let run = common::vpctop(&args);
    assert!(run.code == 0 || run.code == 1, "{args:?}: {}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    GROUPS
        .iter()
        .map(|g| {
            doc["top"][g]
                .as_array()
                .unwrap()
                .iter()
                .map(|row| {
                    (
                        row["key"].as_str().unwrap().to_string(),
                        row[&by].as_u64().unwrap(),
                    )
                })
                .collect()
        })
        .collect()
}

/// The six emitted queries of a view, one per list.
fn emitted(path: &Path, flags: &[String], table: &str, partitions: &str) -> Vec<String> {
    let mut args: Vec<&str> = vec![
        "report",
        "--emit",
        "athena",
        "--table",
        table,
        "--partitions",
        partitions,
    ];
    args.extend(flags.iter().map(String::as_str));
    let p = path.to_str().unwrap();
    args.push(p);
    let run = common::vpctop(&args);
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    let queries: Vec<String> = run
        .stdout
        .split(";\n")
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(str::to_string)
        .collect();
    assert_eq!(queries.len(), 6, "{}", run.stdout);
    queries
}

fn athena_columns() -> Vec<Value> {
    let run = common::vpctop(&[
        "athena-ddl",
        "--format",
        V5,
        "--location",
        "s3://b/AWSLogs/123456789012/vpcflowlogs/us-east-1/",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ddl = run.stdout;
    let columns: Vec<Value> = V5
        .split_whitespace()
        .map(|f| {
            let name = f.replace('-', "_");
            let ty = match f {
                "protocol" | "packets" | "bytes" | "start" | "end" => "bigint",
                "version" | "srcport" | "dstport" | "tcp-flags" | "traffic-path" => "int",
                _ => "string",
            };
            json!([name, ty])
        })
        .collect();
    let answer = run_sql(&json!({
        "queries": [],
        "ddl": [ddl],
    }));
    assert_eq!(answer["ddl_errors"], json!([]), "{answer}");
    assert_eq!(
        answer["ddl_columns"][0],
        json!(columns),
        "the DDL's columns are the test table's"
    );
    columns
}

#[test]
fn emitted_athena_sql_returns_exactly_vpctops_top_lists() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x5eed_2026_1203);
    let data = dir.path().join("flows.log");
    std::fs::write(&data, flow_file(&mut rng, 2500)).unwrap();
    let columns = athena_columns();

    let mut queries = Vec::new();
    let mut expected = Vec::new();
    let mut described = Vec::new();
    let views: usize = std::env::var("VIEWS").map_or(300, |v| v.parse().unwrap());
    for i in 0..views {
        let flags = view_flags(&mut rng);
        let (table, partitions) = *rng.pick(&[
            ("flows_text", "day"),
            ("flows_text", "none"),
            ("flows_hive", "hive"),
        ]);
        let lists = vpctop_lists(&data, &flags, None);
        for (q, list) in emitted(&data, &flags, table, partitions)
            .into_iter()
            .zip(lists)
        {
            queries.push(json!({"sql": q, "table": "text"}));
            expected.push(list);
            described.push(format!("view {i} ({table}): {flags:?}"));
        }
    }
    let answer = run_sql(&json!({
        "text": {"path": data, "columns": columns, "header": true},
        "queries": queries,
    }));
    assert_eq!(
        answer["trino_errors"],
        json!([]),
        "sqlglot (Trino) rejected some"
    );
    let results = answer["results"].as_array().unwrap();
    assert_eq!(results.len(), expected.len());
    let mut nonempty = 0;
    for ((got, want), what) in results.iter().zip(&expected).zip(&described) {
        assert!(got.get("error").is_none(), "{what}: {}", got["error"]);
        let got: Vec<(String, u64)> = got
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r[0].as_str().unwrap().to_string(), r[1].as_u64().unwrap()))
            .collect();
        assert_eq!(&got, want, "{what}");
        nonempty += usize::from(!want.is_empty());
    }
    // The views must mostly select something, or equality would prove little.
    assert!(
        nonempty * 2 > expected.len(),
        "only {nonempty} of {} lists are non-empty",
        expected.len()
    );
}

#[test]
fn emitted_athena_sql_over_aws_parquet_matches_too() {
    let parquet = common::corpus().join("parquet/v5.parquet");
    let mut rng = Rng(0x0b5e_55ed);
    let mut queries = Vec::new();
    let mut expected = Vec::new();
    let mut described = Vec::new();
    for i in 0..60 {
        let mut flags = view_flags(&mut rng);
        // The fixture's records are of another time: no window.
        if let Some(at) = flags.iter().position(|f| f == "--from") {
            flags.truncate(at);
        }
        let lists = vpctop_lists(&parquet, &flags, Some(V5));
        let mut emit_flags = flags.clone();
        emit_flags.extend(["--format".to_string(), V5.to_string()]);
        for (q, list) in emitted(&parquet, &emit_flags, "flows_parquet", "day")
            .into_iter()
            .zip(lists)
        {
            queries.push(json!({"sql": q, "table": "parquet"}));
            expected.push(list);
            described.push(format!("view {i}: {flags:?}"));
        }
    }
    let answer = run_sql(&json!({
        "parquet": {"path": parquet},
        "queries": queries,
    }));
    let results = answer["results"].as_array().unwrap();
    let mut nonempty = 0;
    for ((got, want), what) in results.iter().zip(&expected).zip(&described) {
        assert!(got.get("error").is_none(), "{what}: {}", got["error"]);
        let got: Vec<(String, u64)> = got
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r[0].as_str().unwrap().to_string(), r[1].as_u64().unwrap()))
            .collect();
        assert_eq!(&got, want, "{what}");
        nonempty += usize::from(!want.is_empty());
    }
    assert!(nonempty * 3 > expected.len(), "only {nonempty} non-empty");
}
