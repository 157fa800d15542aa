//! Exports the way other billing systems write them, read through a mapping
//! file and nothing else.

use crate::common::*;

fn run_shape(mapping: &str, export: &str) -> serde_json::Value {
    let out = scratch(mapping).join("run");
    let export = repo().join("sample-data").join(export);
    let mapping = repo().join("sample-data/mappings").join(format!("{mapping}.toml"));
    run_ok(&export, &out, &["--mapping", mapping.to_str().unwrap()]);
    let verify = kindly(&["verify", out.to_str().unwrap()]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    read_json(&out.join("run.json"))
}

fn counts(record: &serde_json::Value) -> (u64, u64, u64) {
    let c = &record["counts"];
    (c["rows"]["input"].as_u64().unwrap(), c["rows"]["rejected"].as_u64().unwrap(), c["letters"].as_u64().unwrap())
}

#[test]
fn a_one_row_per_account_statement_in_windows_1252() {
    let record = run_shape("statement", "statement-export.csv");
    let (rows, rejected, letters) = counts(&record);
    assert_eq!((rows, rejected), (150, 0), "every account row read");
    assert!(letters > 50, "{letters}");
    assert_eq!(record["counts"]["accounts"], 150);
}

#[test]
fn a_tab_separated_utf16_export_with_odd_headers() {
    let record = run_shape("tab-utf16", "tab-export.txt");
    let (rows, rejected, letters) = counts(&record);
    let lines = std::fs::read(repo().join("sample-data/tab-export.txt")).unwrap();
    let text = String::from_utf16(&lines[2..].chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect::<Vec<_>>())
        .unwrap();
    // Records, not lines: some descriptions hold a line break inside quotes.
    let records = csv::ReaderBuilder::new().delimiter(b'\t').from_reader(text.as_bytes()).records().count() as u64;
    assert_eq!((rows, rejected), (records, 0));
    assert!(text.contains("visit\n(follow-up)\""), "the sample has line breaks inside quoted fields");
    assert!(letters > 50, "{letters}");
}

#[test]
fn the_encoding_can_be_forced_and_bad_bytes_are_named() {
    let dir = scratch("encoding");
    let export = dir.join("ansi.csv");
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes
        .extend_from_slice(b"700,Zo\xEB N\xFA\xF1ez,1 Main St,,Eugene,OR,97401,2026-07-01,Visit,120.00,,,en,N,N,N,N\n");
    std::fs::write(&export, &bytes).unwrap();
    let validate = |extra: &[&str]| on_export("validate", &config(), &export, extra);
    let plain = validate(&[]);
    assert_eq!(plain.status.code(), Some(1));
    let report = String::from_utf8_lossy(&plain.stdout);
    assert!(report.contains(":2: column \"Guarantor\"") && report.contains("--encoding windows-1252"), "{report}");
    let forced = validate(&["--encoding", "windows-1252"]);
    assert_eq!(forced.status.code(), Some(0), "{}", String::from_utf8_lossy(&forced.stdout));
}
