//! `kindly outcomes` after three months of one practice: every letter is
//! counted once, as what the next run saw, and nothing names a patient.

use std::collections::BTreeMap;

use crate::common::*;

const MONTHS: [&str; 3] = ["2026-09-30", "2026-10-31", "2026-11-30"];

#[test]
fn three_months_of_letters_lead_to_outcomes_counted_from_the_ledger() {
    let dir = scratch("outcomes");
    let config = config_with(&dir, |c| c.replace("escalation = \"by_age\"\n", ""));
    let exports = dir.join("exports");
    sample_months(&exports, (400, 9), MONTHS[0], 3, &[]);
    let ledger = dir.join("runs").join(kindly::practice::LEDGER_FILE);
    let ledger = ledger.to_str().unwrap();
    let (mut audits, mut runs) = (Vec::new(), Vec::new());
    for as_of in MONTHS {
        let out = dir.join("runs").join(as_of);
        let export = exports.join(format!("export-{as_of}.csv"));
        let output = run_as_of(&config, &export, &out, as_of, &[]);
        assert!(output.status.success(), "{}", stderr(&output));
        audits.push(read_csv(&out.join("audit.csv")));
        runs.push(out);
    }

    let letters_in = |audit: &[BTreeMap<String, String>]| {
        audit.iter().filter(|r| r["decision"] == "letter").count() as u64
    };
    // Each run's report shows what the letters of the runs before it led
    // to: none in the first two (no letter had a next run yet), the first
    // month's in the third.
    let report = |m: usize| std::fs::read_to_string(runs[m].join("report.html")).unwrap();
    assert!(!report(0).contains("<section id=\"outcomes\">"));
    assert!(!report(1).contains("<section id=\"outcomes\">"));
    let third = report(2);
    let all_row = format!("<th scope=\"row\">all letters</th><td>{}</td>", letters_in(&audits[0]));
    assert!(third.contains("<section id=\"outcomes\">") && third.contains(&all_row), "{third}");

    let output = kindly(&["outcomes", "--ledger", ledger, "--format", "json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    // Every letter once: the first two months' with an outcome, the last
    // month's waiting for the next run.
    assert_eq!(json["letters"], letters_in(&audits[0]) + letters_in(&audits[1]), "{json}");
    assert_eq!(json["pending"], letters_in(&audits[2]));
    let groups = json["groups"].as_array().unwrap();
    let all = groups.iter().find(|g| g["dimension"] == "all").unwrap();
    let outcomes: u64 =
        all["outcomes"].as_object().unwrap().values().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(outcomes, json["letters"].as_u64().unwrap(), "each letter has one outcome");
    let stages: u64 = groups
        .iter()
        .filter(|g| g["dimension"] == "stage")
        .map(|g| g["letters"].as_u64().unwrap())
        .sum();
    assert_eq!(stages, json["letters"].as_u64().unwrap(), "each letter in one stage");
    let wordings: Vec<&serde_json::Value> =
        groups.iter().filter(|g| g["dimension"] == "wording").collect();
    let in_wordings: u64 = wordings.iter().map(|g| g["letters"].as_u64().unwrap()).sum();
    assert_eq!(in_wordings, json["letters"].as_u64().unwrap(), "each letter in one wording");
    assert!(
        wordings.iter().all(|g| g["group"].as_str().unwrap().split(' ').count() == 3),
        "stage, language and the wording's SHA-256: {wordings:?}"
    );

    // Paid in full and paid part, worked out from the run folders: a
    // letter whose account owes nothing in the next run, or owes less and
    // is not held for something that happened (a dispute, here).
    let (mut paid_in_full, mut paid_part) = (0u64, 0u64);
    for m in 0..2 {
        let next: BTreeMap<&String, &BTreeMap<String, String>> =
            audits[m + 1].iter().map(|r| (&r["account"], r)).collect();
        let held: BTreeMap<String, String> = read_csv(&runs[m + 1].join("holds.csv"))
            .into_iter()
            .map(|h| (h["account"].clone(), h["reason_code"].clone()))
            .collect();
        for row in audits[m].iter().filter(|r| r["decision"] == "letter") {
            let Some(then) = next.get(&row["account"]) else { continue };
            let cents = |text: &str| kindly::money::Cents::parse(text).unwrap().0;
            let (asked, owed) = (cents(&row["balance"]), cents(&then["balance"]));
            let code = held.get(&row["account"]).map(String::as_str);
            if owed <= 0 && code != Some("blank_balance") {
                paid_in_full += 1;
            } else if owed < asked && code.is_none_or(|c| c == "too_soon" || c == "under_minimum") {
                paid_part += 1;
            }
        }
    }
    assert!(paid_part > 0, "the sample's patients pay part of some letters");
    assert_eq!(all["paid_in_full"]["count"], paid_in_full, "{all}");
    assert_eq!(all["outcomes"]["paid part"], paid_part, "{all}");
    let rate = all["any_payment"]["interval"].clone();
    assert!(rate["low"].as_f64().unwrap() <= rate["high"].as_f64().unwrap());

    // Aggregates only: no account number of the export is in any format.
    let csv = kindly(&["outcomes", "--ledger", ledger, "--format", "csv"]);
    let table = kindly(&["outcomes", "--ledger", ledger]);
    assert!(csv.status.success() && table.status.success());
    let table = String::from_utf8(table.stdout).unwrap();
    let csv_text = String::from_utf8(csv.stdout.clone()).unwrap();
    assert!(csv_text.lines().any(|l| l.starts_with("print_size,standard,")), "{csv_text}");
    assert!(table.contains("all letters") && table.contains("stage: reminder"), "{table}");
    let texts =
        [String::from_utf8(output.stdout).unwrap(), String::from_utf8(csv.stdout).unwrap(), table];
    let words: std::collections::BTreeSet<&str> =
        texts.iter().flat_map(|t| t.split(|c: char| !c.is_alphanumeric())).collect();
    for row in &audits[0] {
        assert!(!words.contains(row["account"].as_str()), "{} is in the outcomes", row["account"]);
        for text in &texts {
            assert!(!text.contains(&row["guarantor"]), "a name is in the outcomes");
        }
    }
    // --until before the second run leaves its letters out.
    let first = kindly(&["outcomes", "--ledger", ledger, "--format", "json", "--until", MONTHS[0]]);
    let first: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(first["letters"], letters_in(&audits[0]));
}
