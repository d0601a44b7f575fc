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

use common::views::{Choose, GROUPS, Rng, V5, flow_file, view_flags};
use serde_json::{Value, json};

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

/// Asserts each query's rows are vpctop's list, keys and values; returns how many lists
/// are non-empty.
fn same_lists(answer: &Value, expected: &[Vec<(String, u64)>], described: &[String]) -> usize {
    let results = answer["results"].as_array().unwrap();
    assert_eq!(results.len(), expected.len());
    let mut nonempty = 0;
    for ((got, want), what) in results.iter().zip(expected).zip(described) {
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
    nonempty
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

/// Every header line of the corpus (each a format seen in the wild).
fn corpus_formats() -> Vec<String> {
    let mut formats = Vec::new();
    let mut dirs = vec![common::corpus()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "log") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let first = text.lines().next().unwrap_or("").trim().to_string();
                let word = first.split(' ').next().unwrap_or("");
                if vpctop::schema::Field::lookup(word).is_some() && !formats.contains(&first) {
                    formats.push(first);
                }
            }
        }
    }
    formats.sort();
    formats
}

#[test]
fn the_table_parses_for_every_format_of_the_corpus_in_every_layout() {
    let formats = corpus_formats();
    assert!(formats.len() >= 8, "{formats:?}");
    let mut ddl = Vec::new();
    for (i, format) in formats.iter().enumerate() {
        let layout: &[&str] = match i % 4 {
            0 => &[],
            1 => &["--parquet"],
            2 => &["--hive", "--hourly"],
            _ => &["--parquet", "--hive"],
        };
        let mut args = vec![
            "athena-ddl",
            "--format",
            format,
            "--location",
            "s3://b/p/AWSLogs/",
            "--account",
            "123456789012,210987654321",
            "--region",
            "us-east-1",
        ];
        args.extend(layout);
        let run = common::vpctop(&args);
        assert_eq!(run.code, 0, "{format}: {}", run.stderr);
        ddl.push(run.stdout);
    }
    let answer = run_sql(&json!({"queries": [], "ddl": ddl}));
    assert_eq!(answer["ddl_errors"], json!([]), "{answer}");
    for (format, columns) in formats
        .iter()
        .zip(answer["ddl_columns"].as_array().unwrap())
    {
        let names: Vec<&str> = columns
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c[0].as_str().unwrap())
            .collect();
        let want: Vec<String> = format
            .split_whitespace()
            .map(|f| f.replace('-', "_"))
            .collect();
        assert_eq!(
            names, want,
            "the table's columns are the format's, in order"
        );
    }
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
    let nonempty = same_lists(&answer, &expected, &described);
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
    let nonempty = same_lists(&answer, &expected, &described);
    assert!(nonempty * 3 > expected.len(), "only {nonempty} non-empty");
}
