//! The ledger across months: letters follow what was sent, reruns do not
//! count twice, trial runs leave no trace, and run folders alone rebuild it.

use std::path::{Path, PathBuf};

use kindly::ledger::Ledger;

use crate::common::*;

/// Two accounts: one first seen long overdue, one newer.
const ROWS: &str = "\
L1,Ann Lee,1 Main St,,Eugene,OR,97401,2026-04-01,Visit,300.00,,,en,N,N,N,N
L2,Bo Diaz,2 Oak Ave,,Eugene,OR,97402,2026-08-10,Visit,120.00,,,en,N,N,N,N
";

struct Practice {
    dir: PathBuf,
    config: PathBuf,
    export: PathBuf,
}

impl Practice {
    fn new(name: &str) -> Practice {
        let dir = scratch(name);
        // The practice's own config: the default escalation, by letters sent.
        let config = config_with(&dir, |c| c.replace("escalation = \"by_age\"\n", ""));
        let export = write_export(&dir, ROWS);
        Practice { dir: dir.clone(), config, export }
    }

    fn ledger(&self) -> PathBuf {
        self.dir.join("runs").join(kindly::practice::LEDGER_FILE)
    }

    /// `kindly run` as of a date into runs/FOLDER; stages by account.
    fn run(
        &self,
        as_of: &str,
        folder: &str,
        extra: &[&str],
    ) -> std::collections::BTreeMap<String, String> {
        let out = self.dir.join("runs").join(folder);
        let output = run_as_of(&self.config, &self.export, &out, as_of, extra);
        assert!(output.status.success(), "{}", stderr(&output));
        read_csv(&out.join("audit.csv"))
            .into_iter()
            .map(|r| {
                let what = if r["decision"] == "letter" {
                    r["stage"].clone()
                } else {
                    holds_code(&out, &r["account"])
                };
                (r["account"].clone(), what)
            })
            .collect()
    }

    fn dump(&self) -> String {
        Ledger::open_read_only(&self.ledger()).unwrap().unwrap().dump().unwrap()
    }
}

fn holds_code(out: &Path, account: &str) -> String {
    read_csv(&out.join("holds.csv")).into_iter().find(|h| h["account"] == account).unwrap()["reason_code"].clone()
}

fn stages(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    pairs.iter().map(|(a, s)| (a.to_string(), s.to_string())).collect()
}

#[test]
fn letters_follow_what_was_sent_month_by_month() {
    let p = Practice::new("ledger-months");
    // September: both get the first letter, though L1 is 182 days old.
    assert_eq!(
        p.run("2026-09-30", "2026-09-30", &[]),
        stages(&[("L1", "reminder"), ("L2", "reminder")])
    );
    let audit = read_csv(&p.dir.join("runs/2026-09-30/audit.csv"));
    assert!(audit[0]["reason"].contains("no letter sent before"), "{}", audit[0]["reason"]);

    // A trial run in October writes nothing to the ledger.
    let before = p.dump();
    p.run("2026-10-31", "trial", &["--trial"]);
    assert_eq!(p.dump(), before, "a trial run leaves the ledger as it was");
    assert_eq!(read_json(&p.dir.join("runs/trial/run.json"))["trial"], true);
    std::fs::remove_dir_all(p.dir.join("runs/trial")).unwrap();

    // October: one stage further each, no more.
    assert_eq!(
        p.run("2026-10-31", "2026-10-31", &[]),
        stages(&[("L1", "plan_offer"), ("L2", "plan_offer")])
    );
    let october = std::fs::read(p.dir.join("runs/2026-10-31/manifest.csv")).unwrap();
    // The same run again is recognised and does not count twice.
    let rerun = run_as_of(&p.config, &p.export, &p.dir.join("runs/again"), "2026-10-31", &[]);
    assert!(rerun.status.success(), "{}", stderr(&rerun));
    assert!(stderr(&rerun).contains("recorded as a rerun"), "{}", stderr(&rerun));
    assert_eq!(
        std::fs::read(p.dir.join("runs/again/manifest.csv")).unwrap(),
        october,
        "a rerun makes the same letters"
    );
    std::fs::remove_dir_all(p.dir.join("runs/again")).unwrap();

    // Mid-November: too soon after October's letters.
    let mid = p.run("2026-11-12", "2026-11-12-trial", &["--trial"]);
    assert_eq!(mid, stages(&[("L1", "too_soon"), ("L2", "too_soon")]));
    std::fs::remove_dir_all(p.dir.join("runs/2026-11-12-trial")).unwrap();

    // L1's October letter came back; November holds it until the address changes.
    let piece = read_csv(&p.dir.join("runs/2026-10-31/audit.csv"))
        .into_iter()
        .find(|r| r["account"] == "L1")
        .unwrap()["piece_id"]
        .clone();
    let ledger = p.ledger();
    let mark = kindly(&[
        "ledger",
        "mark",
        "returned",
        &piece,
        "--on",
        "2026-11-10",
        "--ledger",
        ledger.to_str().unwrap(),
    ]);
    assert!(mark.status.success(), "{}", stderr(&mark));
    assert_eq!(
        p.run("2026-11-30", "2026-11-30", &[]),
        stages(&[("L1", "returned_mail"), ("L2", "assistance")])
    );

    let history = kindly(&["history", "L1", "--ledger", ledger.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&history.stdout);
    assert_eq!(text.lines().filter(|l| l.starts_with("2026-")).count(), 3, "{text}");
    assert!(
        text.contains(&format!("piece {piece}: returned on 2026-11-10"))
            && text.contains("returned_mail"),
        "{text}"
    );
    assert!(
        text.contains("to 1 Main St, Eugene, OR 97401"),
        "the address as the letter printed it: {text}"
    );
}

#[test]
fn a_final_notice_goes_once_and_run_folders_rebuild_the_ledger() {
    let p = Practice::new("ledger-final");
    let months = ["2026-07-31", "2026-08-31", "2026-09-30", "2026-10-31", "2026-11-30"];
    let l1: Vec<String> = months.iter().map(|m| p.run(m, m, &[])["L1"].clone()).collect();
    assert_eq!(l1, ["reminder", "plan_offer", "assistance", "final_notice", "final_notice_sent"]);

    // A crash after October's folder was written but before the ledger
    // recorded it: the next run finds the folder and records it first.
    let rebuilt = p.dir.join("rebuilt.sqlite");
    let folders: Vec<String> =
        months.iter().map(|m| p.dir.join("runs").join(m).display().to_string()).collect();
    let mut args = vec!["ledger", "rebuild"];
    args.extend(folders.iter().rev().map(String::as_str));
    args.extend(["--ledger", rebuilt.to_str().unwrap()]);
    let output = kindly(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    let rebuilt = Ledger::open_read_only(&rebuilt).unwrap().unwrap().dump().unwrap();
    assert_eq!(rebuilt, p.dump(), "the run folders alone give the same ledger");

    std::fs::remove_file(p.ledger()).unwrap();
    let _ = std::fs::remove_file(p.ledger().with_extension("sqlite-wal"));
    let _ = std::fs::remove_file(p.ledger().with_extension("sqlite-shm"));
    let again = run_as_of(&p.config, &p.export, &p.dir.join("runs/2026-12-31"), "2026-12-31", &[]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(
        stderr(&again).matches("which an earlier run had not").count(),
        5,
        "{}",
        stderr(&again)
    );
    assert_eq!(holds_code(&p.dir.join("runs/2026-12-31"), "L1"), "final_notice_sent");
}

#[test]
fn a_month_whose_export_leaves_the_balance_blank_is_held_and_starts_nothing_over() {
    let dir = scratch("ledger-blank-balance");
    let config = config_with(&dir, |c| c.replace("escalation = \"by_age\"\n", ""));
    let mapping = repo().join("sample-data/mappings/statement.toml");
    let header = "Acct No;Responsible Party;Street;Street 2;City;St;Zip Code;Oldest DOS;Balance Due;Lang;Ins Pend;\
                  Disputed;No Mail\n";
    let month = |as_of: &str, balance: &str| -> (String, String) {
        let export = dir.join(format!("statement-{as_of}.csv"));
        let row = format!("B1;Ann Lee;1 Main St;;Eugene;OR;97401;7/1/26;{balance};English;;;\n");
        std::fs::write(&export, format!("{header}{row}")).unwrap();
        let out = dir.join("runs").join(as_of);
        let output =
            run_as_of(&config, &export, &out, as_of, &["--mapping", mapping.to_str().unwrap()]);
        assert!(output.status.success(), "{}", stderr(&output));
        let audit = &read_csv(&out.join("audit.csv"))[0];
        let what = if audit["decision"] == "letter" {
            audit["stage"].clone()
        } else {
            holds_code(&out, "B1")
        };
        (what, audit["reason"].clone())
    };
    assert_eq!(month("2026-09-30", "300.00").0, "reminder");
    let (held, reason) = month("2026-10-31", "");
    assert_eq!(held, "blank_balance");
    assert!(reason.starts_with("the export leaves the balance blank (line 2)"), "{reason}");
    // The blank month said nothing of a payment: the letters go on from the
    // reminder, not over again.
    assert_eq!(month("2026-11-30", "300.00").0, "plan_offer");
}

#[test]
fn a_month_whose_rows_of_an_account_cannot_be_read_starts_nothing_over() {
    let dir = scratch("ledger-unread-month");
    let config = config_with(&dir, |c| c.replace("escalation = \"by_age\"\n", ""));
    let month = |as_of: &str, charge: &str| -> String {
        let export = write_export(
            &dir,
            &format!(
                "R1,Ann Lee,1 Main St,,Eugene,OR,97401,2026-07-01,Visit,{charge},,,en,N,N,N,N\n"
            ),
        );
        let out = dir.join("runs").join(as_of);
        let output = run_as_of(&config, &export, &out, as_of, &[]);
        assert!(output.status.success(), "{}", stderr(&output));
        let audit = &read_csv(&out.join("audit.csv"))[0];
        if audit["decision"] == "letter" { audit["stage"].clone() } else { holds_code(&out, "R1") }
    };
    assert_eq!(month("2026-09-30", "300.00"), "reminder");
    // A charge mistyped: the account's only row is rejected, so what it owes
    // is not known, and that is no payment.
    assert_eq!(month("2026-10-31", "30O.00"), "rows_rejected");
    assert_eq!(month("2026-11-30", "300.00"), "plan_offer", "the letters go on, not over again");
}
