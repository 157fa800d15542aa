//! The statement run on the shipped sample export, read back as a vendor and
//! an auditor would.

use std::collections::BTreeMap;

use crate::common::*;
use crate::pdf;

#[test]
fn every_input_row_ends_in_exactly_one_place() {
    let run = sample_run();
    let record = read_json(&run.join("run.json"));
    let rows = &record["counts"]["rows"];
    let n = |v: &serde_json::Value| v.as_u64().unwrap();
    assert_eq!(
        n(&rows["input"]),
        n(&rows["in_letters"]) + n(&rows["in_holds"]) + n(&rows["rejected"])
    );

    // And the files agree with the counts, line by line.
    let data_rows = std::fs::read_to_string(sample_export()).unwrap().lines().count() as u64 - 1;
    assert_eq!(n(&rows["input"]), data_rows);
    let audit = read_csv(&run.join("audit.csv"));
    let lines_of = |decision: &str| -> Vec<u64> {
        audit
            .iter()
            .filter(|r| r["decision"] == decision)
            .flat_map(|r| {
                let lines = r["input_lines"].split(' ').filter(|l| !l.is_empty());
                lines.map(|l| l.parse::<u64>().unwrap()).collect::<Vec<_>>()
            })
            .collect()
    };
    let rejects: Vec<u64> =
        read_csv(&run.join("rejects.csv")).iter().map(|r| r["line"].parse().unwrap()).collect();
    let mut all: Vec<u64> =
        lines_of("letter").into_iter().chain(lines_of("hold")).chain(rejects.clone()).collect();
    assert_eq!(lines_of("letter").len() as u64, n(&rows["in_letters"]));
    assert_eq!(rejects.len() as u64, n(&rows["rejected"]));
    all.sort();
    let expected: Vec<u64> = (2..=data_rows + 1).collect();
    assert_eq!(all, expected, "every line 2..=N appears exactly once");
    assert!(!rejects.is_empty(), "the sample has broken rows");
}

#[test]
fn an_account_none_of_whose_rows_can_be_read_is_held_not_lost() {
    let dir = scratch("unread-account");
    let export = write_export(
        &dir,
        "U1,Ann Lee,1 Main St,,Eugene,OR,97401,2026-13-01,Office visit,120.00,,,en,N,N,N,N\n\
         U1,Ann Lee,1 Main St,,Eugene,OR,97401,2026-09-01,Lab work,12.0.0,,,en,N,N,N,N\n\
         U2,Bo Kim,2 Oak Ave,,Eugene,OR,97401,2026-09-01,Office visit,80.00,,,en,N,N,N,N\n",
    );
    let out = dir.join("runs/run");
    let output = run_with(&config(), &export, &out, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let rejects = read_csv(&out.join("rejects.csv"));
    assert_eq!(rejects.iter().map(|r| r["account"].as_str()).collect::<Vec<_>>(), ["U1", "U1"]);
    let audit = read_csv(&out.join("audit.csv"));
    let u1 = audit.iter().find(|r| r["account"] == "U1").expect("U1 is in audit.csv");
    assert_eq!(u1["decision"], "hold");
    assert!(
        u1["reason"].starts_with("none of its rows could be read (lines 2, 3)"),
        "{}",
        u1["reason"]
    );
    let holds = read_csv(&out.join("holds.csv"));
    assert_eq!(
        holds.iter().find(|h| h["account"] == "U1").unwrap()["reason_code"],
        "rows_rejected"
    );
    assert_eq!(read_json(&out.join("run.json"))["counts"]["accounts"], 2);
    let ledger = ledger_beside(&out);
    let history =
        kindly(&["history", "U1", "--ledger", ledger.to_str().unwrap(), "--format", "json"]);
    assert!(history.status.success(), "history finds it: {}", stderr(&history));
    let history: serde_json::Value = serde_json::from_slice(&history.stdout).unwrap();
    assert_eq!(history[0]["hold_code"], "rows_rejected");
}

#[test]
fn sample_covers_every_stage_and_hold() {
    let record = read_json(&sample_run().join("run.json"));
    let stages = record["counts"]["letters_by_stage"].as_object().unwrap();
    for stage in ["reminder", "plan_offer", "assistance", "final_notice"] {
        assert!(stages[stage].as_u64().unwrap() > 0, "no {stage} letters");
    }
    let holds = record["counts"]["holds_by_reason"].as_object().unwrap();
    for reason in [
        "rows_rejected",
        "do_not_mail",
        "dispute",
        "insurance_pending",
        "incomplete_address",
        "credit_balance",
        "zero_balance",
        "under_minimum",
        "not_yet_due",
    ] {
        assert!(holds.get(reason).and_then(|v| v.as_u64()).unwrap_or(0) > 0, "no {reason} holds");
    }
}

#[test]
fn letters_are_us_letter_with_the_right_page_counts_names_and_balances() {
    let run = sample_run();
    let manifest = read_csv(&run.join("manifest.csv"));
    let audit = read_csv(&run.join("audit.csv"));
    let audit_of: BTreeMap<&str, (&str, &str)> = audit
        .iter()
        .filter(|r| r["decision"] == "letter")
        .map(|r| (r["piece_id"].as_str(), (r["balance"].as_str(), r["account"].as_str())))
        .collect();
    assert_eq!(manifest.len(), audit_of.len());
    assert!(manifest.len() > 300);
    let pdfs = std::fs::read_dir(run.join("letters")).unwrap().count();
    assert_eq!(pdfs, manifest.len(), "one PDF per manifest row, nothing else");
    for row in &manifest {
        let bytes = std::fs::read(run.join(&row["file"])).unwrap();
        let doc = pdf::read(&bytes);
        assert_eq!(doc.pages.len().to_string(), row["pages"], "{}", row["piece_id"]);
        for (w, h) in &doc.pages {
            assert_eq!((*w, *h), (612.0, 792.0), "{} is not US Letter", row["piece_id"]);
        }
        let text = doc.text();
        assert!(
            text.contains(&row["recipient_name"]),
            "{}: no name {:?} in\n{text}",
            row["piece_id"],
            row["recipient_name"]
        );
        let (balance, account) = audit_of[row["piece_id"].as_str()];
        assert!(text.contains(balance), "{}: no balance {balance}", row["piece_id"]);
        assert!(text.contains(account), "{}: no account number {account}", row["piece_id"]);
        // Balances and account numbers are not the vendor's business.
        assert!(!row.values().any(|v| v.contains(balance) || v.contains(account)), "{row:?}");
    }
}

/// Window from sample-data/kindly.toml, in inches from the page's top-left.
const RETURN_WINDOW: (f64, f64, f64, f64) = (0.625, 0.5, 3.25, 0.875);

#[test]
fn the_address_lies_inside_the_window_and_nothing_else_does() {
    let run = sample_run();
    let manifest = read_csv(&run.join("manifest.csv"));
    for row in manifest.iter().step_by(7) {
        let doc = pdf::read(&std::fs::read(run.join(&row["file"])).unwrap());
        let mut expected = vec![row["recipient_name"].clone()];
        expected.extend(
            ["address_line_1", "address_line_2"]
                .iter()
                .map(|c| row[*c].clone())
                .filter(|l| !l.is_empty()),
        );
        expected.push(format!("{}, {} {}", row["city"], row["state"], row["zip"]));

        let (left, top, width, height) = RECIPIENT_WINDOW;
        let clearance = 0.125;
        let inside = doc.lines_touching(1, RECIPIENT_WINDOW);
        let texts: Vec<String> = inside.iter().map(|l| l.text()).collect();
        assert_eq!(texts, expected, "{}: text in the recipient window", row["piece_id"]);
        for line in &inside {
            assert!(
                line.left() >= left + clearance - 0.01,
                "{}: {:?} too far left",
                row["piece_id"],
                line.text()
            );
            assert!(
                line.right() <= left + width - clearance + 0.01,
                "{}: {:?} too far right",
                row["piece_id"],
                line.text()
            );
            assert!(
                line.top() >= top + clearance - 0.02,
                "{}: {:?} too high",
                row["piece_id"],
                line.text()
            );
            assert!(
                line.bottom() <= top + height - clearance + 0.02,
                "{}: {:?} too low",
                row["piece_id"],
                line.text()
            );
        }

        let in_return: Vec<String> =
            doc.lines_touching(1, RETURN_WINDOW).iter().map(|l| l.text()).collect();
        assert_eq!(
            in_return,
            [
                "Riverside Family Medicine",
                "1200 Willow Creek Road, Suite 300",
                "Springfield, OR 97477"
            ]
        );
    }
}

#[test]
fn two_runs_give_identical_files() {
    let a = sample_run();
    let b = scratch("again").join("run");
    run_ok(&sample_export(), &b, &["-j", "1"]);
    for name in ["manifest.csv", "manifest.json", "audit.csv", "holds.csv", "rejects.csv"] {
        assert_eq!(
            std::fs::read(a.join(name)).unwrap(),
            std::fs::read(b.join(name)).unwrap(),
            "{name} differs"
        );
    }
    for row in read_csv(&a.join("manifest.csv")) {
        assert_eq!(
            std::fs::read(a.join(&row["file"])).unwrap(),
            std::fs::read(b.join(&row["file"])).unwrap(),
            "{} differs",
            row["file"]
        );
    }
}

#[test]
fn two_runs_give_identical_print_files() {
    let a = print_run();
    let dir = scratch("print-again");
    let b = dir.join("run");
    let output = run_with(&print_config(&dir), &sample_export(), &b, &["-j", "1"]);
    assert!(output.status.success(), "{}", stderr(&output));
    // Made from pages laid out on other threads, in another order.
    let files = read_json(&a.join("run.json"))["files"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect::<Vec<_>>();
    let print_files: Vec<_> = files.into_iter().filter(|f| f.starts_with("print/")).collect();
    assert!(!print_files.is_empty());
    for name in print_files.iter().map(String::as_str).chain(["manifest.csv"]) {
        assert_eq!(
            std::fs::read(a.join(name)).unwrap(),
            std::fs::read(b.join(name)).unwrap(),
            "{name} differs"
        );
    }
}

#[test]
fn verify_passes_on_a_run_and_catches_a_changed_letter() {
    let dir = scratch("verify");
    let out = dir.join("run");
    let export = write_export(
        &dir,
        "100,Ann Lee,1 Main St,,Eugene,OR,97401,2026-07-01,Office visit,120.00,,,en,N,N,N,N\n\
         101,Bo Diaz,2 Oak Ave,,Eugene,OR,97402,2026-09-15,Lab work,80.00,,,en,N,N,N,N\n",
    );
    run_ok(&export, &out, &[]);
    let ok = kindly(&["verify", out.to_str().unwrap()]);
    assert!(ok.status.success(), "{}", stderr(&ok));

    let letter = std::fs::read_dir(out.join("letters")).unwrap().next().unwrap().unwrap().path();
    let mut bytes = std::fs::read(&letter).unwrap();
    bytes.push(b'\n');
    std::fs::write(&letter, bytes).unwrap();
    std::fs::write(out.join("letters/stray.pdf"), b"%PDF").unwrap();
    let bad = kindly(&["verify", out.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(1));
    let err = stderr(&bad);
    assert!(err.contains("checksum differs") && err.contains("stray.pdf"), "{err}");
}

#[test]
fn a_failed_run_leaves_no_folder_that_looks_complete() {
    let dir = scratch("failed");
    let out = dir.join("run");
    let export = dir.join("missing.csv");
    let result = run_with(&config(), &export, &out, &[]);
    assert_eq!(result.status.code(), Some(2));
    assert!(stderr(&result).contains("missing.csv"), "{}", stderr(&result));
    assert!(!out.exists());

    // An existing run is never overwritten by accident.
    std::fs::create_dir_all(&out).unwrap();
    let export = write_export(
        &dir,
        "100,Ann Lee,1 Main St,,Eugene,OR,97401,2026-07-01,Visit,120.00,,,en,N,N,N,N\n",
    );
    let again = run_with(&config(), &export, &out, &[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("already exists"), "{}", stderr(&again));
}

/// The footer finds the account number on the page rather than in the page
/// settings (see layouts/letter.typ), and kindly sets the PDF title: both
/// must still name this letter's own account and piece on every page.
#[test]
fn each_page_footer_names_the_account_and_its_own_page_number() {
    let run = sample_run();
    let accounts: BTreeMap<String, String> = read_csv(&run.join("audit.csv"))
        .into_iter()
        .map(|r| (r["piece_id"].clone(), r["account"].clone()))
        .collect();
    let manifest = read_csv(&run.join("manifest.csv"));
    assert!(
        manifest.iter().any(|r| r["pages"] != "1"),
        "the sample has letters of more than one page"
    );
    for row in &manifest {
        let bytes = std::fs::read(run.join(&row["file"])).unwrap();
        let title = format!(
            "<rdf:li xml:lang=\"x-default\">Riverside Family Medicine – {}</rdf:li>",
            row["piece_id"]
        );
        assert!(
            String::from_utf8_lossy(&bytes).contains(&title),
            "{}: no PDF title {title}",
            row["file"]
        );
        let doc = pdf::read(&bytes);
        let account = &accounts[&row["piece_id"]];
        for page in 1..=doc.pages.len() as u32 {
            let footer = doc.lines(page).last().map(|l| l.text()).unwrap_or_default();
            assert!(
                footer.ends_with(&format!(" {page}")),
                "{}: page {page}'s footer is {footer:?}",
                row["file"]
            );
            assert!(
                footer.contains(&format!(" {account} ")),
                "{}: page {page}'s footer is {footer:?}",
                row["file"]
            );
        }
    }
}

#[test]
fn sources_are_the_typst_input_of_the_runs_own_pieces() {
    let dir = scratch("sources");
    let output = on_export(
        "sources",
        &config(),
        &sample_export(),
        &["--out", dir.to_str().unwrap(), "--limit", "5"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let manifest = read_csv(&sample_run().join("manifest.csv"));
    let pieces: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(pieces.len(), 5);
    for piece in pieces {
        let id = piece.file_name().unwrap().to_str().unwrap().to_string();
        let row = manifest
            .iter()
            .find(|r| r["piece_id"] == id)
            .unwrap_or_else(|| panic!("{id} is not in the run"));
        let data = read_json(&piece.join("data.json"));
        assert_eq!(data["piece"], id.as_str());
        assert_eq!(data["name"], row["recipient_name"].as_str());
        for file in ["letter.typ", "body.typ"] {
            assert!(piece.join(file).is_file(), "{id}/{file}");
        }
    }
}
