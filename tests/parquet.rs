//! Parquet flow logs (AWS's `parquet` delivery): the same records as their text twins, field
//! by field, whatever the compression, row groups, field subset or order; from a file or
//! standard input; a damaged file named with its reason while the other inputs go on.
//!
//! The fixtures in `tests/corpus/parquet` were written by pyarrow (`make.py` there), not by the
//! crate vpctop reads them with.
#![cfg(feature = "parquet")]
// Test code: an unwrap that fails is a test that fails, with its line.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;

use common::{json_of_success, read_input, records, report_json, vpctop, vpctop_with_stdin};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    common::corpus().join("parquet").join(name)
}

/// A record without its `"file"` (the two twins are different files).
fn without_file(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("file");
    }
    v
}

#[test]
fn every_parquet_record_is_its_text_twin_field_by_field() {
    for name in ["v2", "v5", "v8-custom"] {
        let (text, run) = records(&[&fixture(&format!("{name}.log"))], None, &[]);
        assert_eq!(run.code, 0, "{name}.log: {}", run.stderr);
        let (parquet, run) = records(&[&fixture(&format!("{name}.parquet"))], None, &[]);
        assert_eq!(run.code, 0, "{name}.parquet: {}", run.stderr);
        assert!(text.len() >= 400, "{name}: {} records", text.len());
        assert_eq!(text.len(), parquet.len(), "{name}");
        for (t, p) in text.into_iter().zip(parquet) {
            assert_eq!(without_file(t), without_file(p), "{name}");
        }
    }
}

#[test]
fn a_parquet_report_is_the_text_report() {
    for name in ["v2", "v5", "v8-custom"] {
        let (text, run) = report_json(&[&fixture(&format!("{name}.log"))], None);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let (parquet, run) = report_json(&[&fixture(&format!("{name}.parquet"))], None);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(text, parquet, "{name}");
        assert_eq!(parquet["malformed"], 0, "{name}");
    }
    // The custom set's own fields are there to filter on.
    let run = vpctop(&[
        "report",
        "--json",
        "--filter",
        "reject-reason=BPA",
        fixture("v8-custom.parquet").to_str().unwrap(),
    ]);
    let doc = json_of_success(&run);
    assert!(doc["filter"]["matched"].as_u64().unwrap() > 0, "{doc}");
}

#[test]
fn parquet_on_standard_input_reads_the_same_records() {
    let bytes = read_input(&fixture("v5.parquet"));
    let piped = vpctop_with_stdin(&["report", "--json", "-"], &bytes);
    let (file, _) = report_json(&[&fixture("v5.parquet")], None);
    assert_eq!(json_of_success(&piped), file);
}

#[test]
fn a_damaged_parquet_file_is_named_with_its_reason_and_the_others_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let whole = read_input(&fixture("v2.parquet"));
    let cut = dir.path().join("cut.parquet");
    std::fs::write(&cut, &whole[..whole.len() / 2]).unwrap();
    let good = fixture("v5.log");
    let run = vpctop(&[
        "report",
        "--json",
        cut.to_str().unwrap(),
        good.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "an input failed: {}", run.stderr);
    assert!(run.stderr.contains("cut.parquet"), "{}", run.stderr);
    assert!(run.stderr.contains("parquet"), "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let (alone, _) = report_json(&[&good], None);
    assert_eq!(
        doc["records"], alone["records"],
        "the good input still counts"
    );
}

#[test]
fn a_file_that_makes_the_decoder_panic_is_an_error_of_that_input_and_nothing_more() {
    // damaged-footer: v5.parquet with bytes overwritten, on which the parquet crate panics
    // decoding its metadata. damaged-page (found by fuzzing): arrow panics decoding a row
    // group, in one of the decoder threads.
    let good = fixture("v2.log");
    let (alone, _) = report_json(&[&good], None);
    for name in ["damaged-footer.parquet", "damaged-page.parquet"] {
        let damaged = fixture(name);
        let run = vpctop(&[
            "report",
            "--json",
            damaged.to_str().unwrap(),
            good.to_str().unwrap(),
        ]);
        assert_eq!(run.code, 1, "{name}: {}", run.stderr);
        assert!(run.stderr.contains(name), "{}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        let doc: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(doc["records"], alone["records"], "{name}");
    }
}

#[test]
fn records_kept_from_parquet_rows_are_read_back_as_their_text_lines() {
    // `--drill` keeps every record with its place in the input and reads the sample records
    // back from there: a Parquet row counted from its columns must point at its own line.
    for name in ["v2", "v5", "v8-custom"] {
        let drill = |file: &str| {
            let path = fixture(file);
            let run = vpctop(&[
                "report",
                "--json",
                "--drill",
                "host=10.0.0.0/8",
                path.to_str().unwrap(),
            ]);
            json_of_success(&run)["drill"]
                .to_string()
                .replace(file, "FILE")
        };
        let (text, parquet) = (
            drill(&format!("{name}.log")),
            drill(&format!("{name}.parquet")),
        );
        assert!(text.contains("\"raw\""), "{name}: no raw records in {text}");
        assert_eq!(text, parquet, "{name}");
    }
}
