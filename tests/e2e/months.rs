//! Month after month on one ledger, as a practice runs kindly: the shapes of
//! the letter sequences, returned mail, reproducing a run for an auditor,
//! and what happens when runs collide, are killed or find the ledger damaged.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use kindly::ledger::Ledger;

use crate::common::*;

const MONTHS: [&str; 5] = ["2026-07-31", "2026-08-31", "2026-09-30", "2026-10-31", "2026-11-30"];

fn stage_number(what: &str) -> Option<usize> {
    ["reminder", "plan_offer", "assistance", "final_notice"].iter().position(|s| *s == what)
}

/// What each account got in a run folder: its stage, or its hold code; and
/// its balance.
fn outcomes(run: &Path) -> BTreeMap<String, (String, String)> {
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
            (r["account"].clone(), (what, r["balance"].clone()))
        })
        .collect()
}

fn cents(text: &str) -> i64 {
    kindly::money::Cents::parse(text).unwrap().0
}

fn street_by_account(export: &Path) -> BTreeMap<String, String> {
    read_csv(export).into_iter().map(|r| (r["Account"].clone(), r["Address 1"].clone())).collect()
}

#[test]
fn five_months_of_one_practice_follow_what_was_sent() {
    let dir = scratch("months");
    let config = config_with(&dir, |c| c.replace("escalation = \"by_age\"\n", ""));
    let exports = dir.join("exports");
    sample_months(&exports, (120, 5), MONTHS[0], 5, &[]);
    let export = |m: usize| exports.join(format!("export-{}.csv", MONTHS[m]));
    let ledger = dir.join("runs").join(kindly::practice::LEDGER_FILE);
    let ledger_arg = ledger.to_str().unwrap().to_string();

    // Accounts that move in month 4 (index 3): their letters of month 2 came
    // back, and the vendor reports it before month 3's run.
    let (before, after) = (street_by_account(&export(1)), street_by_account(&export(3)));
    let movers: Vec<String> = before.keys().filter(|a| before[*a] != after[*a]).cloned().collect();
    assert!(!movers.is_empty());

    let mut by_month = Vec::new();
    for (m, as_of) in MONTHS.iter().enumerate() {
        let out = dir.join("runs").join(as_of);
        let output = run_as_of(&config, &export(m), &out, as_of, &[]);
        assert!(output.status.success(), "{}", stderr(&output));
        by_month.push(outcomes(&out));
        if m == 1 {
            let audit = read_csv(&out.join("audit.csv"));
            let mut returns = String::from("piece_id,date,reason\n");
            for row in
                audit.iter().filter(|r| movers.contains(&r["account"]) && !r["piece_id"].is_empty())
            {
                returns += &format!(
                    "{},2026-09-12T10:00:00Z,\"Moved, left no address\"\n",
                    row["piece_id"]
                );
            }
            std::fs::write(dir.join("returns.csv"), returns).unwrap();
            let recorded = kindly(&[
                "returns",
                dir.join("returns.csv").to_str().unwrap(),
                "--ledger",
                &ledger_arg,
            ]);
            assert!(recorded.status.success(), "{}", stderr(&recorded));
        }
    }

    let accounts: Vec<&String> = by_month[0].keys().collect();
    let sequence = |a: &str| -> Vec<String> { by_month.iter().map(|m| m[a].0.clone()).collect() };
    let mut seen = BTreeMap::new();
    for account in &accounts {
        let months = sequence(account);
        *seen.entry(months.join(" ")).or_insert(0) += 1;
        let mut last: Option<usize> = None;
        let mut last_final_balance = None;
        for (m, what) in months.iter().enumerate() {
            let balance = cents(&by_month[m][*account].1);
            match stage_number(what) {
                Some(stage) => {
                    let highest = last.map_or(0, |l| l + 1);
                    assert!(stage <= highest, "{account} skipped a stage: {months:?}");
                    if stage == 3 {
                        if let Some(before) = last_final_balance {
                            assert!(
                                balance > before,
                                "{account} got a second final notice without new charges"
                            );
                        }
                        last_final_balance = Some(balance);
                    }
                    last = Some(stage);
                }
                // Paid off: the next letter starts over.
                None if what == "zero_balance" || what == "under_minimum" => {
                    (last, last_final_balance) = (None, None)
                }
                None => {}
            }
        }
    }
    let has = |pattern: &str| seen.get(pattern).copied().unwrap_or(0) > 0;
    // Never pays: one stage a month, then held after the final notice.
    assert!(has("reminder plan_offer assistance final_notice final_notice_sent"), "{seen:#?}");
    // Pays all but $5 in month 3, new visit in month 4: starts over at the
    // reminder, though the $5 left is months old.
    assert!(has("reminder plan_offer under_minimum reminder plan_offer"), "{seen:#?}");
    // Pays part every month: the reminder again.
    assert!(has("reminder reminder reminder reminder reminder"), "{seen:#?}");
    // New charges after the final notice: it may go once more.
    assert!(has("reminder plan_offer assistance final_notice final_notice"), "{seen:#?}");
    // Mail came back: held until the export has the new address.
    for mover in &movers {
        assert_eq!(sequence(mover)[2], "returned_mail", "{mover}: {:?}", sequence(mover));
        assert_ne!(sequence(mover)[3], "returned_mail", "{mover}: {:?}", sequence(mover));
    }

    // The auditor's view of one mover: every run, the returned piece, its file.
    let mover = &movers[0];
    let history = kindly(&["history", mover, "--ledger", &ledger_arg, "--format", "json"]);
    assert!(history.status.success(), "{}", stderr(&history));
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&history.stdout).unwrap();
    assert_eq!(entries.len(), 5);
    let dates: Vec<&str> = entries.iter().map(|e| e["as_of"].as_str().unwrap()).collect();
    assert_eq!(dates, MONTHS);
    assert_eq!(entries[1]["piece_state"], "returned");
    assert_eq!(entries[1]["piece_state_reason"], "Moved, left no address");
    assert_eq!(entries[2]["hold_code"], "returned_mail");
    let letter = &entries[3];
    assert_eq!(letter["decision"], "letter");
    let file = dir.join("runs").join(MONTHS[3]).join(letter["file"].as_str().unwrap());
    assert_eq!(
        letter["sha256"].as_str().unwrap(),
        kindly::digest::sha256(&std::fs::read(file).unwrap())
    );
    assert_eq!(letter["wording_sha256"].as_str().unwrap().len(), 64);
    // Letters to one account are at least 28 days apart.
    let sent: Vec<chrono::NaiveDate> = entries
        .iter()
        .filter(|e| e["decision"] == "letter")
        .map(|e| e["as_of"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(sent.windows(2).all(|w| (w[1] - w[0]).num_days() >= 28), "{sent:?}");

    let runs = kindly(&["runs", "--ledger", &ledger_arg, "--format", "json"]);
    let runs: Vec<serde_json::Value> = serde_json::from_slice(&runs.stdout).unwrap();
    assert_eq!(runs.len(), 5);
    assert_eq!(runs[1]["returned"].as_i64().unwrap(), movers.len() as i64);

    // Mailing day for the last run.
    let last = dir.join("runs").join(MONTHS[4]);
    let mailed = kindly(&[
        "mailed",
        last.to_str().unwrap(),
        "--date",
        "2026-12-02",
        "--ledger",
        &ledger_arg,
    ]);
    assert!(mailed.status.success(), "{}", stderr(&mailed));
    let runs = kindly(&["runs", "--ledger", &ledger_arg, "--format", "json"]);
    let runs: Vec<serde_json::Value> = serde_json::from_slice(&runs.stdout).unwrap();
    assert_eq!(runs[4]["mailed"], runs[4]["letters"]);
}

#[test]
fn a_returns_file_that_cannot_be_read_names_its_line_and_changes_nothing() {
    let dir = scratch("returns-bad");
    let out = dir.join("runs/2026-11-30");
    run_ok(&sample_export(), &out, &[]);
    let piece = read_csv(&out.join("manifest.csv"))[0]["piece_id"].clone();
    let ledger = dir.join("runs").join(kindly::practice::LEDGER_FILE);
    let before = Ledger::open_read_only(&ledger).unwrap().unwrap().dump().unwrap();
    let file = dir.join("returns.csv");
    // As a spreadsheet saves it: a byte-order mark and CRLF line ends.
    // US dates are read (12/05/2026); a day-first one is never guessed at.
    let rows = format!(
        "\u{feff}piece_id,date,reason\r\n{piece},12/05/2026,Moved\r\n{piece},05.12.2026,Moved\r\n"
    );
    std::fs::write(&file, rows).unwrap();
    let output = kindly(&["returns", file.to_str().unwrap(), "--ledger", ledger.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("returns.csv:3: column \"date\", value \"05.12.2026\""),
        "{}",
        stderr(&output)
    );
    std::fs::write(&file, "piece_id,date\nK20261130-99999,2026-12-05\n").unwrap();
    let output = kindly(&["returns", file.to_str().unwrap(), "--ledger", ledger.to_str().unwrap()]);
    assert!(stderr(&output).contains("no piece K20261130-99999"), "{}", stderr(&output));
    // A date before the piece's run is a mistyped date (or piece id), for a
    // return as for the mailing day.
    std::fs::write(&file, format!("piece_id,date\n{piece},2026-11-01\n")).unwrap();
    let output = kindly(&["returns", file.to_str().unwrap(), "--ledger", ledger.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let message = format!(
        "piece {piece} was made by the run of 2026-11-30, so it cannot have been returned on 2026-11-01"
    );
    assert!(stderr(&output).contains(&message), "{}", stderr(&output));
    let output = kindly(&[
        "mailed",
        out.to_str().unwrap(),
        "--date",
        "2026-11-29",
        "--ledger",
        ledger.to_str().unwrap(),
    ]);
    assert!(
        stderr(&output).contains("cannot have been mailed on 2026-11-29"),
        "{}",
        stderr(&output)
    );
    assert_eq!(Ledger::open_read_only(&ledger).unwrap().unwrap().dump().unwrap(), before);
}

fn strs(a: &[String]) -> Vec<&str> {
    a.iter().map(String::as_str).collect()
}

#[test]
fn reproduce_proves_the_sample_run_and_refuses_another_export() {
    let run = sample_run();
    let config = config();
    let args = |export: &Path| {
        let mut a = vec!["reproduce".to_string(), run.display().to_string(), "--export".into()];
        a.extend([export.display().to_string(), "--config".into(), config.display().to_string()]);
        a
    };
    let same = args(&sample_export());
    let output = kindly(&strs(&same));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("byte-identical"), "{}", stderr(&output));

    let dir = scratch("reproduce");
    let mut bytes = std::fs::read(sample_export()).unwrap();
    let last = bytes.len() - 2;
    bytes[last] = if bytes[last] == b'N' { b'Y' } else { b'N' };
    let changed = dir.join("export.csv");
    std::fs::write(&changed, bytes).unwrap();
    let output = kindly(&strs(&args(&changed)));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output)
            .contains(&format!("the export given ({}) is not the one", changed.display())),
        "{}",
        stderr(&output)
    );
}

/// A run that takes long enough to be caught in the middle.
fn long_export(dir: &Path) -> PathBuf {
    let export = dir.join("big.csv");
    let args = [
        "sample-export",
        "--accounts",
        "4000",
        "--seed",
        "9",
        "--as-of",
        AS_OF,
        "-o",
        export.to_str().unwrap(),
    ];
    assert!(kindly(&args).status.success());
    export
}

fn spawn_run(config: &Path, export: &Path, out: &Path) -> std::process::Child {
    command(&[
        "run",
        export.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--as-of",
        AS_OF,
    ])
    .args(["--out", out.to_str().unwrap(), "--quiet"])
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap()
}

/// Waits until the run writing `out` has made some letters.
fn wait_for_letters(out: &Path) {
    let parent = out.parent().unwrap();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(120) {
        let staging = std::fs::read_dir(parent)
            .unwrap()
            .filter_map(Result::ok)
            .find(|e| e.file_name().to_string_lossy().ends_with(".incomplete"));
        if let Some(staging) = staging
            && std::fs::read_dir(staging.path().join("letters")).is_ok_and(|d| d.count() > 5)
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the run never made a letter");
}

#[test]
fn runs_that_collide_are_refused_and_a_killed_run_changes_nothing() {
    let dir = scratch("collide");
    let config = config_with(&dir, |c| c.to_string());
    let first = run_as_of(&config, &sample_export(), &dir.join("runs/first"), "2026-10-31", &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    let ledger = dir.join("runs").join(kindly::practice::LEDGER_FILE);
    let dump = || Ledger::open_read_only(&ledger).unwrap().unwrap().dump().unwrap();
    let before = dump();

    let export = long_export(&dir);
    let out = dir.join("runs/2026-11-30");
    let mut running = spawn_run(&config, &export, &out);
    wait_for_letters(&out);

    // The same folder: refused at once, naming the run that holds it.
    let started = Instant::now();
    let second = run_with(&config, &export, &out, &[]);
    assert_eq!(second.status.code(), Some(2));
    assert!(started.elapsed() < Duration::from_secs(4), "refused at once");
    let holder = format!("is being written by another run: kindly (process {})", running.id());
    assert!(stderr(&second).contains(&holder), "{}", stderr(&second));

    // Another folder on the same ledger: waits a little, then stops.
    let third = run_with(&config, &export, &dir.join("runs/other"), &[]);
    assert_eq!(third.status.code(), Some(2));
    assert!(stderr(&third).contains("is in use by kindly"), "{}", stderr(&third));
    assert!(!dir.join("runs/other").exists());

    // kill -9 in the middle of making letters: no folder, no trace in the ledger.
    running.kill().unwrap();
    running.wait().unwrap();
    assert!(!out.exists());
    assert_eq!(dump(), before, "a killed run leaves the ledger as it was");

    // The next run takes the folder over (the dead run's lock and staging go).
    let again = run_as_of(&config, &sample_export(), &out, "2026-12-31", &[]);
    assert!(again.status.success(), "{}", stderr(&again));
    let hidden: Vec<String> = std::fs::read_dir(dir.join("runs"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".incomplete"))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
}

#[test]
fn a_second_run_for_the_same_day_from_another_export_is_refused() {
    let dir = scratch("same-day");
    run_ok(&sample_export(), &dir.join("runs/2026-11-30"), &[]);
    let mut text = std::fs::read_to_string(sample_export()).unwrap();
    text.push_str(
        "9999999,New Person,5 Elm St,,Eugene,OR,97401,2026-09-01,Visit,80.00,,,en,N,N,N,N\n",
    );
    let corrected = dir.join("corrected.csv");
    std::fs::write(&corrected, text).unwrap();
    let output = run_with(&config(), &corrected, &dir.join("runs/2026-11-30-b"), &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("already has a run for 2026-11-30"), "{}", stderr(&output));
    assert!(!dir.join("runs/2026-11-30-b").exists());
    // A trial of it is fine: it records nothing.
    let trial = run_with(&config(), &corrected, &dir.join("runs/trial"), &["--trial"]);
    assert!(trial.status.success(), "{}", stderr(&trial));
}

#[test]
fn a_damaged_ledger_says_so_and_the_run_folders_rebuild_it() {
    let dir = scratch("damaged");
    let out = dir.join("runs/2026-11-30");
    run_ok(&sample_export(), &out, &[]);
    let ledger = dir.join("runs").join(kindly::practice::LEDGER_FILE);
    let good = Ledger::open_read_only(&ledger).unwrap().unwrap().dump().unwrap();
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", ledger.display()));
    }
    std::fs::write(&ledger, vec![0x5a; 8192]).unwrap();

    let output =
        run_as_of(&config(), &sample_export(), &dir.join("runs/2026-12-31"), "2026-12-31", &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("is damaged") && stderr(&output).contains("kindly ledger rebuild"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.join("runs/2026-12-31").exists());

    let rebuilt = dir.join("rebuilt.sqlite");
    let output = kindly(&[
        "ledger",
        "rebuild",
        out.to_str().unwrap(),
        "--ledger",
        rebuilt.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(Ledger::open_read_only(&rebuilt).unwrap().unwrap().dump().unwrap(), good);
}

#[test]
fn a_run_remade_before_it_went_out_replaces_itself_and_one_that_went_out_is_kept() {
    let dir = scratch("remade");
    let out = dir.join("runs/2026-11-30");
    run_ok(&sample_export(), &out, &[]);
    let ledger = dir.join("runs").join(kindly::practice::LEDGER_FILE);
    // A wording fix, then the same run again over its folder.
    let layouts =
        layouts_with(&dir, "wording/en/reminder.typ.j2", |t| t.replacen("Dear", "Hello", 1));
    let config = config_with(&dir, |c| {
        c.replace(&repo().join("layouts").display().to_string(), &layouts.display().to_string())
    });
    let again = run_with(&config, &sample_export(), &out, &["--overwrite"]);
    assert!(again.status.success(), "{}", stderr(&again));
    let runs = kindly(&["runs", "--ledger", ledger.to_str().unwrap(), "--format", "json"]);
    let runs: Vec<serde_json::Value> = serde_json::from_slice(&runs.stdout).unwrap();
    assert_eq!(runs.len(), 1, "the remade run replaced the first");
    let recorded = Ledger::open_read_only(&ledger).unwrap().unwrap().dump().unwrap();
    assert!(recorded.contains(
        &read_json(&out.join("run.json"))["layouts"]["sha256"].as_str().unwrap().to_string()
    ));

    // Once mailed, it stays as it is.
    let mailed = kindly(&[
        "mailed",
        out.to_str().unwrap(),
        "--date",
        "2026-12-02",
        "--ledger",
        ledger.to_str().unwrap(),
    ]);
    assert!(mailed.status.success(), "{}", stderr(&mailed));
    let sent = std::fs::read(out.join("run.json")).unwrap();
    let third = run_with(&crate::common::config(), &sample_export(), &out, &["--overwrite"]);
    assert_eq!(third.status.code(), Some(2));
    assert!(stderr(&third).contains("went to the vendor or the mail"), "{}", stderr(&third));
    assert_eq!(
        std::fs::read(out.join("run.json")).unwrap(),
        sent,
        "the folder that went out is untouched"
    );
}
