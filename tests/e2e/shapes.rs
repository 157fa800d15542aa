//! Exports the way other billing systems write them, read through a mapping
//! file and nothing else.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::*;

fn run_shape(mapping: &str, export: &str) -> serde_json::Value {
    read_json(&run_shape_in(mapping, export).join("run.json"))
}

/// Runs a shipped shape with its mapping, checks the folder, and returns it.
fn run_shape_in(mapping: &str, export: &str) -> PathBuf {
    let out = scratch(mapping).join("run");
    let export = repo().join("sample-data").join(export);
    let mapping = repo().join("sample-data/mappings").join(format!("{mapping}.toml"));
    run_ok(&export, &out, &["--mapping", mapping.to_str().unwrap()]);
    let verify = kindly(&["verify", out.to_str().unwrap()]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    let record = read_json(&out.join("run.json"));
    let bytes = std::fs::read(&mapping).unwrap();
    assert_eq!(
        record["mapping"]["sha256"],
        kindly::digest::sha256(&bytes),
        "run.json names the mapping file"
    );
    out
}

/// The export's rows as text, by header (a shipped shape is UTF-8).
fn export_rows(export: &str) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(repo().join("sample-data").join(export)).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            headers.iter().map(String::from).zip(r.unwrap().iter().map(String::from)).collect()
        })
        .collect()
}

/// holds.csv by account: (reason code, reason).
fn holds(run: &Path) -> BTreeMap<String, (String, String)> {
    read_csv(&run.join("holds.csv"))
        .into_iter()
        .map(|r| (r["account"].clone(), (r["reason_code"].clone(), r["reason"].clone())))
        .collect()
}

#[test]
fn split_name_columns_and_a_status_code_column_with_windows_line_ends() {
    let run = run_shape_in("split-names", "split-names-export.csv");
    let rows = export_rows("split-names-export.csv");
    let names = names_in_window(&run);
    let holds = holds(&run);
    assert!(names.len() >= 15, "{names:?}");
    let meanings = [
        ("BK", "bankruptcy"),
        ("DECEASED", "deceased"),
        ("ATTY", "attorney"),
        ("COLL", "with_agency"),
        ("DISPUTE", "dispute"),
        ("NOMAIL", "do_not_mail"),
        ("BADADDR", "bad_address"),
        ("INSPEND", "insurance_pending"),
        ("PLAN", "payment_plan"),
        ("HOLD7", "unknown_hold_code"),
    ];
    for row in &rows {
        let account = &row["Acct #"];
        if let Some(name) = names.get(account) {
            let parts = [&row["Guar First"], &row["MI"], &row["Guar Last"], &row["Suffix"]];
            let natural = parts
                .iter()
                .filter(|p| !p.is_empty())
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            assert_eq!(name, &natural, "{account}: the name in the window, in natural order");
        }
        let code = row["Status"].split(';').next().unwrap_or_default();
        if let Some((_, meaning)) = meanings.iter().find(|(c, _)| *c == code) {
            let (held, reason) =
                holds.get(account).unwrap_or_else(|| panic!("{account} ({code}) got a letter"));
            assert_eq!(held, meaning, "{account}: {reason}");
            assert!(
                reason.contains(&format!("{code:?} in column \"Status\"")),
                "{account}: {reason}"
            );
        }
    }
    let rejects = read_csv(&run.join("rejects.csv"));
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    assert_eq!(
        (rejects[0]["line"].as_str(), rejects[0]["column"].as_str()),
        ("10", "DOS"),
        "the physical line, CRLF and all"
    );
    let text = std::fs::read_to_string(repo().join("sample-data/split-names-export.csv")).unwrap();
    assert!(
        text.lines().nth(9).unwrap().contains(&rejects[0]["value"]),
        "line 10 holds the bad value"
    );
    // A returned check, written the other way round from the export's
    // payments, holds its account instead of lowering the balance.
    let (held, reason) = &holds["SN2038"];
    assert_eq!(held, "reversal", "{reason}");
    let line = text.lines().position(|l| l.contains("Returned check")).unwrap() + 1;
    assert!(reason.contains(&format!("Pmts \"20.00\" on line {line}")), "{reason}");
}

#[test]
fn names_written_last_first_and_several_codes_in_one_column() {
    let run = run_shape_in("last-first", "last-first-statement.csv");
    let names = names_in_window(&run);
    let holds = holds(&run);
    let audit = read_csv(&run.join("audit.csv"));
    let guarantor = |account: &str| {
        audit.iter().find(|r| r["account"] == account).unwrap()["guarantor"].clone()
    };
    let written: BTreeMap<String, String> = export_rows("last-first-statement.csv")
        .into_iter()
        .map(|r| (r["Patient Name"].clone(), r["Account"].clone()))
        .collect();
    for (as_written, natural) in [
        ("Reyes, Daniel", "Daniel Reyes"),
        ("Smith Jr., Robert", "Robert Smith Jr."),
        ("Smith, Robert, Jr.", "Robert Smith Jr."),
        ("Nguyen, Thi Mai", "Thi Mai Nguyen"),
        ("Madonna", "Madonna"),
    ] {
        let account = &written[as_written];
        assert_eq!(guarantor(account), natural, "{as_written}");
        if let Some(name) = names.get(account) {
            assert_eq!(name, natural, "{as_written}: in the window");
        }
    }
    assert!(
        names.values().any(|n| n == "Daniel Reyes") && names.values().any(|n| n == "Madonna"),
        "{names:?}"
    );
    let garcia = &written["García López, María José"];
    assert_eq!(holds[garcia].0, "bankruptcy");
    assert_eq!(guarantor(garcia), "María José García López");
    let both = holds.values().find(|(_, reason)| reason.contains("\"BK\"")).unwrap();
    assert!(both.1.contains("\"ATTY\""), "both codes of \"BK;ATTY\" are named: {}", both.1);
    assert!(
        holds
            .values()
            .filter(|(code, _)| code == "unknown_hold_code")
            .all(|(_, r)| r.contains("ZZ-NEW"))
    );
    assert_eq!(holds.values().filter(|(code, _)| code == "unknown_hold_code").count(), 3);
    let warnings = read_csv(&run.join("warnings.csv"));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(
        (warnings[0]["kind"].as_str(), warnings[0]["line"].as_str()),
        ("name_not_split", "10")
    );
}

#[test]
fn characters_the_fonts_lack_are_held_and_other_scripts_print() {
    let run = run_shape_in("scripts", "scripts-export.csv");
    let names = names_in_window(&run);
    let holds = holds(&run);
    let rows = export_rows("scripts-export.csv");
    let account_of = |name: &str| {
        rows.iter().find(|r| r["Responsible Party"] == name).unwrap()["Patient Acct"].clone()
    };
    let (code, reason) = &holds[&account_of("Ann 🙂 Lee")];
    assert_eq!(code, "preflight");
    assert!(
        reason.contains("missing glyph")
            && reason.contains("U+1F642")
            && reason.contains("the guarantor's name"),
        "{reason}"
    );
    // Chinese and Arabic from layouts/fonts' Noto; Greek, Cyrillic and
    // Vietnamese from Inter.
    for printable in ["王小明", "Αλέξης Παππάς", "Ольга Петрова", "Nguyễn Văn Đức"]
    {
        assert_eq!(names[&account_of(printable)], printable, "printed exactly");
    }
    let arabic = account_of("محمد علي");
    assert!(names.contains_key(&arabic) && !holds.contains_key(&arabic), "{holds:?}");
    assert_eq!(
        names[&account_of("\u{202e}eeL nnA")],
        "eeL nnA",
        "the override is gone: nothing prints reversed"
    );
    assert_eq!(names[&account_of("Zo\u{200b}ë Núñez")], "Zoë Núñez");
    assert_eq!(holds[&account_of("Ivan Petrov")].0, "address_not_latin");
    let text = std::fs::read_to_string(repo().join("sample-data/scripts-export.csv")).unwrap();
    for warning in read_csv(&run.join("warnings.csv")) {
        assert_eq!(warning["kind"], "invisible_character");
        let line: usize = warning["line"].parse().unwrap();
        let physical = text.lines().nth(line - 1).unwrap();
        assert!(
            physical.contains(|c: char| ('\u{200b}'..='\u{202e}').contains(&c) || c == '\u{ad}'),
            "line {line}: {physical}"
        );
    }
    let record = read_json(&run.join("run.json"));
    let letters = record["counts"]["letters"].as_u64().unwrap();
    assert_eq!(letters as usize, names.len());
    // The letter held once laid out had its piece number: the run and its
    // report name the number the manifest skips.
    let skipped: Vec<&str> =
        record["pieces_not_made"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    let report = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(report.contains(&format!("Piece number {} is not in the manifest", skipped[0])));
}

fn counts(record: &serde_json::Value) -> (u64, u64, u64) {
    let c = &record["counts"];
    (
        c["rows"]["input"].as_u64().unwrap(),
        c["rows"]["rejected"].as_u64().unwrap(),
        c["letters"].as_u64().unwrap(),
    )
}

#[test]
fn a_one_row_per_account_statement_in_windows_1252() {
    let run = run_shape_in("statement", "statement-export.csv");
    let record = read_json(&run.join("run.json"));
    let (rows, rejected, letters) = counts(&record);
    assert_eq!((rows, rejected), (150, 0), "every account row read");
    assert!(letters > 50, "{letters}");
    assert_eq!(record["counts"]["accounts"], 150);
    // Line 4 leaves the balance blank: warned, and held for it, not as paid.
    let warned: Vec<_> = read_csv(&run.join("warnings.csv"))
        .into_iter()
        .filter(|w| w["kind"] == "blank_balance")
        .map(|w| (w["line"].clone(), w["column"].clone()))
        .collect();
    assert_eq!(warned, [("4".to_string(), "Balance Due".to_string())]);
    let held =
        read_csv(&run.join("holds.csv")).into_iter().find(|h| h["account"] == "1000026").unwrap();
    assert_eq!(held["reason_code"], "blank_balance");
}

#[test]
fn a_tab_separated_utf16_export_with_odd_headers() {
    let record = run_shape("tab-utf16", "tab-export.txt");
    let (rows, rejected, letters) = counts(&record);
    let lines = std::fs::read(repo().join("sample-data/tab-export.txt")).unwrap();
    let text = String::from_utf16(
        &lines[2..].chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect::<Vec<_>>(),
    )
    .unwrap();
    // Records, not lines: some descriptions hold a line break inside quotes.
    let records =
        csv::ReaderBuilder::new().delimiter(b'\t').from_reader(text.as_bytes()).records().count()
            as u64;
    assert_eq!((rows, rejected), (records, 0));
    assert!(
        text.contains("visit\n(follow-up)\""),
        "the sample has line breaks inside quoted fields"
    );
    assert!(letters > 50, "{letters}");
}

#[test]
fn windows_1252_is_found_and_an_export_not_in_the_encoding_given_stops() {
    let dir = scratch("encoding");
    let export = dir.join("ansi.csv");
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(
        b"700,Zo\xEB N\xFA\xF1ez,1 Main St,,Eugene,OR,97401,2026-07-01,Visit,120.00,,,en,N,N,N,N\n",
    );
    std::fs::write(&export, &bytes).unwrap();
    let validate = |extra: &[&str]| on_export("validate", &config(), &export, extra);
    let found = validate(&[]);
    assert_eq!(found.status.code(), Some(0), "{}", String::from_utf8_lossy(&found.stdout));
    assert!(String::from_utf8_lossy(&found.stdout).contains("read as Windows-1252"));
    let forced = validate(&["--encoding", "windows-1252"]);
    assert_eq!(forced.status.code(), Some(0), "{}", String::from_utf8_lossy(&forced.stdout));
    let wrong = validate(&["--encoding", "utf-8"]);
    assert_eq!(wrong.status.code(), Some(2), "a file not in the encoding given stops");
    assert!(
        stderr(&wrong).contains("(the first on line 2) have text that is not UTF-8")
            && stderr(&wrong).contains("--encoding"),
        "{}",
        stderr(&wrong)
    );
}

/// The shipped export as Excel saves it in a locale that writes decimal
/// commas: "CSV (Comma delimited)", which is Windows-1252 with semicolons.
fn as_excel_saves_it(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(sample_export()).unwrap();
    // The sample's broken rows stay broken: rows of any length.
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let mut out = csv::WriterBuilder::new().delimiter(b';').flexible(true).from_writer(Vec::new());
    out.write_record(reader.headers().unwrap()).unwrap();
    for record in reader.records() {
        out.write_record(&record.unwrap()).unwrap();
    }
    // Excel writes what Windows-1252 lacks (Vietnamese "ễ") as "?".
    let utf8: String = String::from_utf8(out.into_inner().unwrap())
        .unwrap()
        .chars()
        .map(|c| if encoding_rs::WINDOWS_1252.encode(&c.to_string()).2 { '?' } else { c })
        .collect();
    let (bytes, _, lossy) = encoding_rs::WINDOWS_1252.encode(&utf8);
    assert!(!lossy);
    let path = dir.join("export-excel.csv");
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn an_export_re_saved_by_excel_makes_the_same_letters() {
    let dir = scratch("excel-resaved");
    let export = as_excel_saves_it(&dir);
    let out = dir.join("runs/run");
    let output = run_with(&config(), &export, &out, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("the export was read as Windows-1252"),
        "said: {}",
        stderr(&output)
    );
    let (again, original) =
        (read_json(&out.join("run.json")), read_json(&sample_run().join("run.json")));
    assert_eq!(
        again["counts"], original["counts"],
        "every Spanish-speaking household still gets its letter"
    );
    assert_eq!(again["input_read_as"], "windows-1252");
    let names = |run: &Path| -> Vec<String> {
        read_csv(&run.join("manifest.csv"))
            .into_iter()
            .map(|r| r["recipient_name"].clone())
            .collect()
    };
    let (resaved, shipped) = (names(&out), names(sample_run()));
    assert_eq!(resaved.len(), shipped.len());
    let kept: Vec<(&String, &String)> =
        resaved.iter().zip(&shipped).filter(|(r, _)| !r.contains('?')).collect();
    assert!(kept.iter().all(|(r, s)| r == s), "accents and all");
    assert!(
        kept.iter().any(|(r, _)| r.contains('é') || r.contains('ñ')),
        "names with accents are among them"
    );
    let validate = on_export("validate", &config(), &export, &[]);
    assert!(
        String::from_utf8_lossy(&validate.stdout).contains("The export was read as Windows-1252")
    );
}

#[test]
fn a_statement_with_the_responsible_party_and_insurance_beside_the_patient() {
    let run = run_shape_in("resp-statement", "resp-statement-export.csv");
    let rows = export_rows("resp-statement-export.csv");
    let holds = holds(&run);
    let audit = read_csv(&run.join("audit.csv"));
    let manifest = read_csv(&run.join("manifest.csv"));
    let names = names_in_window(&run);
    assert!(names.len() >= 10, "{names:?}");
    for (account, name) in &names {
        let row = rows.iter().find(|r| &r["AccountNumber"] == account).unwrap();
        // To the responsible party, in natural order: "Wilson, Andre" is Andre Wilson.
        let (last, first) = row["RespName"].split_once(", ").unwrap();
        assert_eq!(name, &format!("{first} {last}"), "{account}");
    }
    for row in &rows {
        let account = &row["AccountNumber"];
        let owed_by_insurance = row["InsBalance"] != "0.00";
        if owed_by_insurance && row["AcctStatus"].is_empty() {
            assert_eq!(
                holds[account].0, "insurance_pending",
                "{account}: insurance's balance is not the patient's"
            );
        }
        match row["AcctStatus"].as_str() {
            "BK" => assert_eq!(holds[account].0, "bankruptcy"),
            "HOLD" => assert_eq!(holds[account].0, "unknown_hold_code"),
            _ => {}
        }
    }
    // The balance is the patient's share, never insurance's.
    let letter = audit.iter().find(|r| r["decision"] == "letter").unwrap();
    let share: i64 = rows
        .iter()
        .filter(|r| r["AccountNumber"] == letter["account"])
        .map(|r| (r["PatBalance"].parse::<f64>().unwrap() * 100.0).round() as i64)
        .sum();
    assert_eq!(letter["balance"], format!("${}.{:02}", share / 100, share % 100));
    // Nine-digit ZIPs go out as ZIP+4.
    assert!(
        manifest.iter().any(|m| m["zip"].len() == 10 && m["zip"].as_bytes()[5] == b'-'),
        "{manifest:?}"
    );
    assert!(manifest.iter().all(|m| m["zip"].len() == 5 || m["zip"].len() == 10));
    // The procedure codes never print.
    let pdf = crate::pdf::read(&std::fs::read(run.join(&manifest[0]["file"])).unwrap());
    let text = pdf.text();
    assert!(
        !text.contains("99213") && !text.contains("99203") && !text.contains("85025"),
        "{text}"
    );
}

#[test]
fn a_mapping_that_took_the_wrong_columns_is_warned_of_in_validate_and_the_run() {
    let dir = scratch("wrong-columns");
    let shipped =
        std::fs::read_to_string(repo().join("sample-data/mappings/resp-statement.toml")).unwrap();
    let wrong = shipped
        .replace("balance = \"PatBalance\"", "balance = \"InsBalance\"")
        .replace("insurance_pending = { nonzero = \"InsBalance\" }\n", "")
        .replace("guarantor = { last_first = \"RespName\" }", "guarantor = \"PatientID\"");
    let mapping = dir.join("wrong.toml");
    std::fs::write(&mapping, wrong).unwrap();
    let export = repo().join("sample-data/resp-statement-export.csv");
    let validate =
        on_export("validate", &config(), &export, &["--mapping", mapping.to_str().unwrap()]);
    let table = String::from_utf8_lossy(&validate.stdout);
    assert!(
        table.contains("WARNING: ")
            && table.contains("accounts owe nothing: check that the mapping reads"),
        "{table}"
    );
    assert!(table.contains("guarantors' names look like ids"), "{table}");
    let json = on_export(
        "validate",
        &config(),
        &export,
        &["--mapping", mapping.to_str().unwrap(), "--format", "json"],
    );
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    // (The demo config's letters by age on a new ledger are warned of too.)
    let codes: Vec<&str> = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .filter(|c| *c != "by_age_first_run")
        .collect();
    assert_eq!(codes, ["most_accounts_owe_nothing", "names_look_like_ids"]);
    let out = dir.join("runs/run");
    let run =
        run_with(&config(), &export, &out, &["--mapping", mapping.to_str().unwrap(), "--trial"]);
    assert!(
        stderr(&run).contains("WARNING: ") && stderr(&run).contains("accounts owe nothing"),
        "{}",
        stderr(&run)
    );
    // The shipped mapping warns of nothing (with letters by letters sent,
    // as a practice's config chooses them).
    let right = repo().join("sample-data/mappings/resp-statement.toml");
    let practice = config_with(&dir, |c| c.replace("escalation = \"by_age\"\n", ""));
    let validate =
        on_export("validate", &practice, &export, &["--mapping", right.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&validate.stdout);
    assert!(!text.contains("WARNING"), "{text}");
    // With the demo's letters by age, a new ledger is warned of.
    let validate =
        on_export("validate", &config(), &export, &["--mapping", right.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&validate.stdout);
    assert!(text.contains("WARNING") && text.contains("escalation = \"by_age\""), "{text}");
}

#[test]
fn an_aging_report_makes_letters_of_what_is_owed_by_age_in_both_languages() {
    let run = run_shape_in("aging", "aging-export.csv");
    let rows = export_rows("aging-export.csv");
    let audit = read_csv(&run.join("audit.csv"));
    let manifest = read_csv(&run.join("manifest.csv"));
    let cents = |text: &str| (text.parse::<f64>().unwrap() * 100.0).round() as i64;
    for letter in audit.iter().filter(|r| r["decision"] == "letter") {
        let row = rows.iter().find(|r| r["Account"] == letter["account"]).unwrap();
        // The patient's share, after what insurance is estimated to pay.
        let share = cents(&row["Pat Portion"]);
        assert_eq!(letter["balance"], format!("${}.{:02}", share / 100, share % 100), "{letter:?}");
        // Its age is its oldest column holding money.
        let oldest = ["> 90 Days", "61-90 Days", "31-60 Days", "0-30 Days"]
            .iter()
            .find(|c| cents(&row[**c]) != 0)
            .unwrap();
        let stage = match *oldest {
            "> 90 Days" => "assistance",
            "61-90 Days" => "plan_offer",
            _ => "reminder",
        };
        assert_eq!(letter["stage"], stage, "{letter:?}");
        assert!(!letter["oldest_unpaid_service"].is_empty());
    }
    // The letter lists what is owed by age, the insurance estimate, and
    // the last payment's date, never as a service date.
    let with_estimate = rows
        .iter()
        .find(|r| {
            r["Ins Est"] != "0.00"
                && audit.iter().any(|a| a["account"] == r["Account"] && a["decision"] == "letter")
        })
        .unwrap();
    let piece =
        &audit.iter().find(|a| a["account"] == with_estimate["Account"]).unwrap()["piece_id"];
    let file = &manifest.iter().find(|m| &m["piece_id"] == piece).unwrap()["file"];
    let text = crate::pdf::read(&std::fs::read(run.join(file)).unwrap()).text();
    assert!(
        text.contains("Owed for")
            && text.contains("0 to 30 days")
            && text.contains("Expected from your insurance"),
        "{text}"
    );
    assert!(!text.contains("Date of service"), "{text}");
    if !with_estimate["Last Pay Date"].is_empty() {
        assert!(text.contains("Last payment received:"), "{text}");
    }
    // In Spanish too.
    let dir = scratch("aging-es");
    let mapping = std::fs::read_to_string(repo().join("sample-data/mappings/aging.toml")).unwrap();
    let spanish = dir.join("aging-es.toml");
    std::fs::write(
        &spanish,
        mapping.replace("language = { value = \"en\" }", "language = { value = \"es\" }"),
    )
    .unwrap();
    let export = repo().join("sample-data/aging-export.csv");
    let out = dir.join("runs/run");
    run_ok(&export, &out, &["--mapping", spanish.to_str().unwrap()]);
    let first = &read_csv(&out.join("manifest.csv"))[0]["file"];
    let text = crate::pdf::read(&std::fs::read(out.join(first)).unwrap()).text();
    assert!(text.contains("Adeudado hace") && text.contains(" días"), "{text}");
}
