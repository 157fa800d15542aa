//! Snapshots of what kindly prints and records for the sample export, so any
//! change to them is seen and accepted on purpose (`cargo insta review`, or
//! `INSTA_UPDATE=always cargo test` and a look at the diff).

use crate::common::*;

/// Text with the checkout's own path written as `[repo]`, and the tests'
/// scratch folder as `[tmp]`.
fn portable(text: &str) -> String {
    text.replace(env!("CARGO_TARGET_TMPDIR"), "[tmp]")
        .replace(&repo().display().to_string(), "[repo]")
}

#[test]
fn validate_json_of_the_sample_export() {
    let output = on_export("validate", &config(), &sample_export(), &["--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "the sample has broken rows: {}", stderr(&output));
    insta::assert_snapshot!(portable(&String::from_utf8_lossy(&output.stdout)));
}

#[test]
fn lint_report_of_the_shipped_wording() {
    let output = kindly(&["lint", "--config", config().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stdout));
}

#[test]
fn run_counts_of_the_sample_export() {
    let record = read_json(&sample_run().join("run.json"));
    insta::assert_snapshot!(serde_json::to_string_pretty(&record["counts"]).unwrap());
}
