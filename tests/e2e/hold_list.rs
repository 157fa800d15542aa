//! The hold list (`--holds`): accounts held by hand for a run, with staff's
//! reason in holds.csv; rows that hold nothing named; a row kindly cannot
//! read stops the run before anything is written.

use crate::common::*;

/// Three accounts due a letter.
const ROWS: &str = "\
H1,Ann Lee,1 Main St,,Eugene,OR,97401,2026-08-01,Visit,300.00,,,en,N,N,N,N
H2,Bo Diaz,2 Oak Ave,,Eugene,OR,97402,2026-08-10,Visit,120.00,,,en,N,N,N,N
H3,Cy Park,3 Elm St,,Eugene,OR,97403,2026-08-20,Visit,80.00,,,en,N,N,N,N
";

/// H1 disputed; H2 paid, but only until the day before the run (so its hold
/// has ended); H9 is not in the export (a mistyped account number).
const HOLDS: &str = "\
Account,Reason,Until,Note
H1,dispute,,Called 11/28 about the lab bill
H2,payment posted,11/29/2026,Paid at the desk
H9,dispute,,Called 11/30
";

#[test]
fn the_hold_list_holds_its_accounts_and_names_rows_that_hold_nothing() {
    let dir = scratch("hold-list");
    let export = write_export(&dir, ROWS);
    let holds = dir.join("holds.csv");
    std::fs::write(&holds, HOLDS).unwrap();
    let out = dir.join("runs").join("2026-11-30");
    let output = run_with(&config(), &export, &out, &["--holds", holds.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("check their account numbers: H9 (line 4)"),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("change their until date: H2 (line 3, until 2026-11-29)"),
        "{}",
        stderr(&output)
    );

    let audit = read_csv(&out.join("audit.csv"));
    let decisions: Vec<(&str, &str)> =
        audit.iter().map(|r| (r["account"].as_str(), r["decision"].as_str())).collect();
    assert_eq!(decisions, [("H1", "hold"), ("H2", "letter"), ("H3", "letter")]);
    let held = &read_csv(&out.join("holds.csv"))[0];
    assert_eq!(held["reason_code"], "dispute");
    assert_eq!(
        held["reason"],
        "the patient disputes the bill (the hold list, line 2: Called 11/28 about the lab bill)"
    );
    let mut mailed: Vec<String> = read_csv(&out.join("manifest.csv"))
        .into_iter()
        .map(|r| r["recipient_name"].clone())
        .collect();
    mailed.sort();
    assert_eq!(mailed, ["Bo Diaz", "Cy Park"]);

    let record = read_json(&out.join("run.json"));
    assert_eq!(record["hold_list"]["sha256"], kindly::digest::sha256(HOLDS.as_bytes()));
    assert_eq!(
        record["not_held"],
        serde_json::json!([{ "account": "H2", "line": 3, "ended": "2026-11-29" }, { "account": "H9", "line": 4 }])
    );
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("Rows of the hold list that held nothing"), "{report}");
    assert!(
        report.contains("<th scope=\"row\">H9</th><td>4</td><td>not in the export</td>"),
        "{report}"
    );
    assert!(report.contains("<td>its hold ended on 2026-11-29</td>"), "{report}");
    let proof = crate::pdf::read(&std::fs::read(out.join("proof.pdf")).unwrap()).text();
    assert!(proof.contains("Hold list"), "the proof's cover names the hold list: {proof}");

    let dry = on_export(
        "validate",
        &config(),
        &export,
        &["--holds", holds.to_str().unwrap(), "--format", "json"],
    );
    let dry: serde_json::Value = serde_json::from_slice(&dry.stdout).unwrap();
    assert_eq!(dry["holds_by_reason"]["dispute"]["count"], 1);
    assert_eq!(dry["not_held"][1]["account"], "H9");
    assert_eq!(dry["not_held"][0]["ended"], "2026-11-29");

    // An auditor reproduces the run with the list it recorded, and only with it.
    let config = config();
    let reproduce = |extra: &[&str]| {
        let mut args =
            vec!["reproduce", out.to_str().unwrap(), "--export", export.to_str().unwrap()];
        args.extend(["--config", config.to_str().unwrap()]);
        args.extend_from_slice(extra);
        kindly(&args)
    };
    let same = reproduce(&["--holds", holds.to_str().unwrap()]);
    assert!(same.status.success() && stderr(&same).contains("byte-identical"), "{}", stderr(&same));
    let without = reproduce(&[]);
    assert_eq!(without.status.code(), Some(2));
    assert!(
        stderr(&without).contains("the hold list given ((none)) is not the one"),
        "{}",
        stderr(&without)
    );

    // The same day without the list is another run, which would mail H1.
    let other = run_with(&config, &export, &dir.join("runs").join("again"), &[]);
    assert_eq!(other.status.code(), Some(2));
    assert!(stderr(&other).contains("hold list"), "{}", stderr(&other));
}

#[test]
fn a_hold_list_row_that_cannot_be_read_stops_the_run() {
    let dir = scratch("hold-list-bad");
    let export = write_export(&dir, ROWS);
    let holds = dir.join("holds.csv");
    std::fs::write(&holds, "account,reason\nH1,dispute\nH2,on vacation\n").unwrap();
    let out = dir.join("run");
    let output = run_with(&config(), &export, &out, &["--holds", holds.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let expected = format!(
        "{}:3: column \"reason\", value \"on vacation\": is not a hold reason",
        holds.display()
    );
    assert!(stderr(&output).contains(&expected), "{}", stderr(&output));
    assert!(!out.exists(), "nothing is written");
}
