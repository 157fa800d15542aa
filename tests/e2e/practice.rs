//! A practice as a busy office runs it: made with `kindly init`, run from
//! whatever folder the terminal is in and with `--out` anywhere, always with
//! the practice's own ledger; a ledger lost or a date mistyped stops the run
//! before a patient is mailed twice or wrongly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::*;

/// `kindly ARGS` started in the folder `cwd`.
fn kindly_in(cwd: &Path, args: &[&str]) -> Output {
    command(args).current_dir(cwd).output().unwrap()
}

/// A practice made by `kindly init` in `dir/name`, its EDIT ME lines filled
/// in as its office would.
fn practice(dir: &Path, name: &str) -> PathBuf {
    let folder = dir.join(name);
    let output = kindly(&["init", folder.to_str().unwrap(), "--name", "Hillside Family Care"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let config = folder.join("kindly.toml");
    std::fs::write(&config, fill_in(&std::fs::read_to_string(&config).unwrap())).unwrap();
    folder
}

/// Every `"EDIT ME..."` value replaced with the practice's own words.
fn fill_in(text: &str) -> String {
    let text = text
        .replace(
            "[\"EDIT ME: 1 Street Rd\", \"EDIT ME: City, ST 12345\"]",
            "[\"1 Hill Rd\", \"Eugene, OR 97401\"]",
        )
        .replace(
            "\"EDIT ME: https://pay.example.com/?account={account}\"",
            "\"https://pay.hillside.example/{account}\"",
        );
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("\"EDIT ME") {
        out += &rest[..at];
        let end = rest[at + 1..].find('"').unwrap() + at + 2;
        out += "\"Hillside\"";
        rest = &rest[end..];
    }
    out + rest
}

/// Each account's decision in a run folder: its stage, or its hold code.
fn decisions(run: &Path) -> BTreeMap<String, String> {
    let holds: BTreeMap<String, String> = read_csv(&run.join("holds.csv"))
        .into_iter()
        .map(|h| (h["account"].clone(), h["reason_code"].clone()))
        .collect();
    read_csv(&run.join("audit.csv"))
        .into_iter()
        .map(|r| {
            let what = if r["decision"] == "letter" {
                r["stage"].clone()
            } else {
                holds[&r["account"]].clone()
            };
            (r["account"].clone(), what)
        })
        .collect()
}

const LATER: &str = "2026-12-14";

/// Marks the first piece of `run` returned in the practice's ledger, from
/// the practice's folder: its account.
fn return_first_piece(practice: &Path, run: &Path) -> String {
    let first = read_csv(&run.join("manifest.csv"))[0].clone();
    let account = read_csv(&run.join("audit.csv"))
        .into_iter()
        .find(|r| r["piece_id"] == first["piece_id"])
        .unwrap()["account"]
        .clone();
    let returns = practice.join("returned.csv");
    std::fs::write(
        &returns,
        format!("piece_id,date,reason\n{},12/05/2026,Moved\n", first["piece_id"]),
    )
    .unwrap();
    let output = kindly_in(practice, &["returns", "returned.csv"]);
    assert!(output.status.success(), "{}", stderr(&output));
    account
}

#[test]
fn runs_from_another_folder_and_out_elsewhere_decide_with_the_practices_ledger() {
    let dir = scratch("practice-anywhere");
    let export = sample_export().display().to_string();
    let config = |p: &Path| p.join("kindly.toml").display().to_string();

    // The control: both months run in the practice folder, as the README shows.
    let home = practice(&dir, "home");
    let output = kindly_in(&home, &["run", &export, "--as-of", AS_OF, "--quiet"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let returned = return_first_piece(&home, &home.join("runs").join(AS_OF));
    let output = kindly_in(&home, &["run", &export, "--as-of", LATER, "--quiet"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let expected = decisions(&home.join("runs").join(LATER));
    let audit = read_csv(&home.join("runs").join(LATER).join("audit.csv"));
    let reason = &audit.iter().find(|r| r["account"] == returned).unwrap()["reason"];
    assert!(
        reason.contains("came back undeliverable"),
        "the returned letter holds its account: {reason}"
    );
    let too_soon = expected.values().filter(|d| *d == "too_soon").count();
    assert!(too_soon > 100, "the accounts written to two weeks ago wait: {too_soon}");

    // The same practice run from another folder, then with --out elsewhere.
    let away = practice(&dir, "away");
    let elsewhere = dir.join("somewhere-else");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let relative_config = "../away/kindly.toml".to_string();
    let output = kindly_in(
        &elsewhere,
        &["run", &export, "--config", &relative_config, "--as-of", AS_OF, "--quiet"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!stderr(&output).contains("a NEW ledger"), "init made the ledger: {}", stderr(&output));
    assert!(
        away.join("runs").join(AS_OF).join("run.json").is_file(),
        "the run folder is the practice's"
    );
    assert!(
        !elsewhere.join("runs").exists(),
        "nothing of the practice's is left in the current folder"
    );
    assert_eq!(return_first_piece(&away, &away.join("runs").join(AS_OF)), returned);
    let december = dir.join("december-run");
    let output = kindly_in(
        &away,
        &["run", &export, "--as-of", LATER, "--out", december.to_str().unwrap(), "--quiet"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!(
            "decided with the ledger {}: 1 run, latest {AS_OF}",
            "runs/kindly-ledger.sqlite"
        )),
        "the run names the ledger it used: {}",
        stderr(&output)
    );
    assert_eq!(decisions(&december), expected, "the same decisions as in the practice folder");

    // history and runs find both runs with only --config, from anywhere.
    let history = kindly_in(
        &elsewhere,
        &["history", &returned, "--config", &config(&away), "--format", "json"],
    );
    assert!(history.status.success(), "{}", stderr(&history));
    let history: serde_json::Value = serde_json::from_slice(&history.stdout).unwrap();
    assert_eq!(history.as_array().unwrap().len(), 2);
    assert_eq!(history[0]["piece_state"], "returned");
    assert!(
        history[1]["reason"].as_str().unwrap().contains("came back undeliverable"),
        "{history}"
    );
    let runs = kindly_in(&elsewhere, &["runs", "--config", &relative_config, "--format", "json"]);
    let runs: serde_json::Value = serde_json::from_slice(&runs.stdout).unwrap();
    assert_eq!(runs.as_array().unwrap().len(), 2);
    let shown = elsewhere.join(runs[1]["folder"].as_str().unwrap());
    assert_eq!(
        shown.canonicalize().unwrap(),
        december.canonicalize().unwrap(),
        "a path from where kindly ran"
    );

    // The practice folder moved whole keeps its ledger's run folders.
    let moved = dir.join("moved");
    std::fs::rename(&away, &moved).unwrap();
    let runs = kindly(&["runs", "--config", &config(&moved), "--format", "json"]);
    let runs: serde_json::Value = serde_json::from_slice(&runs.stdout).unwrap();
    assert!(Path::new(runs[0]["folder"].as_str().unwrap()).join("run.json").is_file(), "{runs}");
}

#[test]
fn a_ledger_the_config_names_that_is_not_there_stops_the_run() {
    let dir = scratch("practice-lost-ledger");
    let home = practice(&dir, "home");
    let ledger = home.join("runs/kindly-ledger.sqlite");
    std::fs::remove_file(&ledger).unwrap();
    let export = sample_export().display().to_string();
    let output = kindly_in(&home, &["run", &export, "--as-of", AS_OF, "--quiet"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("there is no ledger at runs/kindly-ledger.sqlite")
            && message.contains("[ledger] path in kindly.toml")
            && message.contains("--new-ledger"),
        "{message}"
    );
    assert!(!home.join("runs").join(AS_OF).exists() && !ledger.exists(), "nothing was written");
    // validate and proof stop too: their counts would be a new practice's.
    let output = kindly_in(&home, &["validate", &export, "--as-of", AS_OF]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    // Asked for, a new ledger is started, and the run says so loudly.
    let output = kindly_in(&home, &["run", &export, "--as-of", AS_OF, "--quiet", "--new-ledger"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("a NEW ledger, started by this run"), "{}", stderr(&output));
    assert!(ledger.is_file());
}

#[test]
fn a_date_the_ledger_cannot_trust_is_refused() {
    let dir = scratch("practice-dates");
    let home = practice(&dir, "home");
    let export = sample_export().display().to_string();
    let run = |as_of: &str, extra: &[&str]| {
        let mut args = vec!["run", export.as_str(), "--as-of", as_of, "--quiet"];
        args.extend_from_slice(extra);
        kindly_in(&home, &args)
    };
    assert!(run(AS_OF, &[]).status.success());
    // 12 July, or 7 December? Before the ledger's latest run either way.
    let output = run("2026-7-12", &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("is before the latest run in the ledger"),
        "{}",
        stderr(&output)
    );
    assert!(!home.join("runs/2026-07-12").exists());
    let trial = run("2026-7-12", &["--trial"]);
    assert!(trial.status.success(), "a trial may look at any month");
    assert!(
        stderr(&trial)
            .contains("WARNING: 1094 of 1310 rows are dated after the as-of date 2026-07-12"),
        "most rows after the date is said: {}",
        stderr(&trial)
    );
    // A year mistyped.
    let output = run("2027-11-30", &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("more than a month after today"), "{}", stderr(&output));
    assert!(!home.join("runs/2027-11-30").exists());
    let output = run("12/31/2026", &["--trial"]);
    assert!(output.status.success(), "US dates are read: {}", stderr(&output));
    let output = run("31/12/2026", &[]);
    assert_eq!(output.status.code(), Some(2), "a day-first date is never guessed at");
}

#[test]
fn init_with_the_export_proposes_a_mapping_checks_it_and_refuses_to_print_edit_me() {
    let dir = scratch("practice-init");
    let folder = dir.join("riverside");
    let output =
        kindly(&["init", folder.to_str().unwrap(), "--export", sample_export().to_str().unwrap()]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "the sample export has rows to fix: {}",
        stderr(&output)
    );
    let said = stderr(&output);
    assert!(
        said.contains("what to check before the first run") && said.contains("[practice] name"),
        "{said}"
    );
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(
        table.contains("Letters a run would make: ") && table.contains("Accounts on hold: "),
        "{table}"
    );
    let config = std::fs::read_to_string(folder.join("kindly.toml")).unwrap();
    assert!(
        config.contains("escalation = \"by_letters_sent\"") && config.contains("[input.columns]")
    );
    assert!(
        folder.join("runs/kindly-ledger.sqlite").is_file()
            && folder.join("layouts/letter.typ").is_file()
    );
    let again = kindly(&["init", folder.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2), "never made over an existing practice");

    let export = sample_export().display().to_string();
    let output = kindly_in(&folder, &["run", &export, "--as-of", AS_OF, "--quiet"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("still reads \"EDIT ME\""), "{}", stderr(&output));
    std::fs::write(folder.join("kindly.toml"), fill_in(&config)).unwrap();
    let elsewhere = dir.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let output = kindly_in(
        &elsewhere,
        &["run", &export, "--config", "../riverside/kindly.toml", "--as-of", AS_OF, "--quiet"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let record = read_json(&folder.join("runs").join(AS_OF).join("run.json"));
    assert_eq!(
        record["counts"]["letters"], 333,
        "a first run of a practice: by letters sent, reminders only"
    );
    let audit = read_csv(&folder.join("runs").join(AS_OF).join("audit.csv"));
    let stages: std::collections::BTreeSet<&str> =
        audit.iter().filter(|r| r["decision"] == "letter").map(|r| r["stage"].as_str()).collect();
    assert_eq!(stages.into_iter().collect::<Vec<_>>(), ["reminder"]);
}
