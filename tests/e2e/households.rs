//! One envelope per household (`[mailing] household = true`): a family's
//! accounts in one letter, read back from the PDF; the vendor manifest a row
//! per envelope, audit.csv an account per row linked to its envelope.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::*;

pub const HOUSEHOLD_HEADER: &str = "Account,Guarantor,Patient,Address 1,Address 2,City,State,ZIP,Service Date,Description,Charge,Payments,Adjustments,Language,Insurance Pending,Dispute,Do Not Mail,Large Print\n";

/// A mother with three children's accounts (one address written two ways,
/// one ZIP with its +4) and a fourth in dispute; two people with different
/// names at one address; as of 2026-11-30, stages by age.
pub const ROWS: &str = "\
2000001,Rosa Delgado,Lucia Delgado,48 Willow Creek Road,Apartment 4,Eugene,OR,97401,2026-09-15,Office visit,120.00,,,en,N,N,N,N
2000002,ROSA DELGADO,\"Delgado, Mateo\",48 WILLOW CREEK RD.,Apt 4,Eugene,OR,97401-1234,2026-07-01,Urgent care visit,85.50,,,en,N,N,N,N
2000003,Rosa  Delgado,Sofia Delgado,48 Willow Creek Rd,#4,Eugene,OR,97401,2026-10-20,Vaccination,42.25,,,en,N,N,N,N
2000004,Rosa Delgado,Leo Delgado,48 Willow Creek Road,Apartment 4,Eugene,OR,97401,2026-08-01,Lab work,64.00,,,en,N,Y,N,N
2000010,Ana Park,Ana Park,9 Oak Ave,,Springfield,OR,97477,2026-10-01,Office visit,75.00,,,en,N,N,N,N
2000011,James Park,James Park,9 Oak Avenue,,Springfield,OR,97477,2026-10-01,Office visit,60.00,,,en,N,N,N,N
";

pub fn household_config(dir: &Path, edit: impl Fn(&str) -> String) -> PathBuf {
    config_with(dir, |t| edit(&t.replace("household = false", "household = true")))
}

/// Runs an export of `rows` (under the households header) with the
/// households mapping into `out`, and insists it succeeds.
pub fn run_households(dir: &Path, config: &Path, rows: &str, out: &Path, extra: &[&str]) {
    let export = dir.join("households.csv");
    std::fs::write(&export, format!("{HOUSEHOLD_HEADER}{rows}")).unwrap();
    let mapping = repo().join("sample-data/mappings/households.toml");
    let mut args = vec!["--mapping", mapping.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = run_with(config, &export, out, &args);
    assert!(output.status.success(), "{}", stderr(&output));
}

pub fn by_account(run: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    read_csv(&run.join("audit.csv")).into_iter().map(|row| (row["account"].clone(), row)).collect()
}

#[test]
fn a_family_gets_one_envelope_listing_each_account_and_the_total() {
    let dir = scratch("households");
    let config = household_config(&dir, |t| t.to_string());
    let out = dir.join("run");
    run_households(&dir, &config, ROWS, &out, &[]);

    let audit = by_account(&out);
    let piece = &audit["2000001"]["piece_id"];
    for account in ["2000002", "2000003"] {
        assert_eq!(&audit[account]["piece_id"], piece, "{account} shares the family's envelope");
    }
    // Each account keeps its own stage in audit.csv.
    let stages: Vec<&str> =
        ["2000001", "2000002", "2000003"].iter().map(|a| audit[*a]["stage"].as_str()).collect();
    assert_eq!(stages, ["plan_offer", "final_notice", "reminder"]);
    assert_eq!(
        audit["2000004"]["decision"], "hold",
        "the disputed account stays out of the envelope"
    );
    assert!(audit["2000004"]["piece_id"].is_empty());
    // Two people at one address with different names: two envelopes.
    assert!(!audit["2000010"]["piece_id"].is_empty());
    assert_ne!(audit["2000010"]["piece_id"], audit["2000011"]["piece_id"]);

    // The vendor's manifest: one row per envelope, at the most advanced
    // stage, and no account numbers or balances anywhere in it.
    let manifest = read_csv(&out.join("manifest.csv"));
    assert_eq!(manifest.len(), 3);
    let family = manifest.iter().find(|r| &r["piece_id"] == piece).unwrap();
    assert_eq!(family["stage"], "final_notice");
    assert_eq!(family["recipient_name"], "Rosa Delgado");
    let text = std::fs::read_to_string(out.join("manifest.csv")).unwrap();
    for number in ["2000001", "2000002", "2000003", "247.75", "120.00"] {
        assert!(!text.contains(number), "manifest.csv shows {number}");
    }

    // The letter: every account under its patient's name with its balance,
    // one total, and the honest sentence about which account is at the
    // final notice.
    let pdf = crate::pdf::read(&std::fs::read(out.join(&family["file"])).unwrap());
    let letter = pdf.text();
    for expected in [
        "Lucia Delgado",
        "Mateo Delgado",
        "Sofia Delgado",
        "$120.00",
        "$85.50",
        "$42.25",
        "$247.75",
        "This letter covers 3 accounts",
        "next steps is for account 2000002",
    ] {
        assert!(letter.contains(expected), "{expected:?} not in the family's letter:\n{letter}");
    }
    assert!(!letter.contains("Leo Delgado") && !letter.contains("$64.00"), "{letter}");
    assert!(
        pdf.lines(1)
            .iter()
            .any(|l| l.text().contains("Amount due") && l.text().contains("$247.75"))
    );

    // A letter about one account says nothing of households.
    let single = manifest.iter().find(|r| r["recipient_name"] == "Ana Park").unwrap();
    let single = crate::pdf::read(&std::fs::read(out.join(&single["file"])).unwrap()).text();
    assert!(!single.contains("This letter covers"), "{single}");

    let record = read_json(&out.join("run.json"));
    let counts = &record["counts"];
    assert_eq!((counts["letters"].as_u64(), counts["envelopes"].as_u64()), (Some(3), Some(3)));
    assert_eq!(
        (counts["accounts"].as_u64(), counts["accounts_in_letters"].as_u64()),
        (Some(6), Some(5))
    );
    assert_eq!(counts["holds"].as_u64(), Some(1));
    let verify = kindly(&["verify", out.to_str().unwrap()]);
    assert!(verify.status.success(), "{}", stderr(&verify));

    // The ledger has each account's own letter in the family's envelope.
    let ledger = dir.join("kindly-ledger.sqlite");
    let history =
        kindly(&["history", "2000003", "--ledger", ledger.to_str().unwrap(), "--format", "json"]);
    assert!(history.status.success(), "{}", stderr(&history));
    let history: serde_json::Value = serde_json::from_slice(&history.stdout).unwrap();
    assert_eq!(history[0]["piece_id"].as_str(), Some(piece.as_str()));
    assert_eq!(history[0]["stage"].as_str(), Some("reminder"));

    // The same files again, byte for byte, on one thread.
    let again = dir.join("again");
    run_households(&dir, &config, ROWS, &again, &["--trial", "-j", "1"]);
    for row in &manifest {
        let file = &row["file"];
        assert_eq!(
            std::fs::read(out.join(file)).unwrap(),
            std::fs::read(again.join(file)).unwrap(),
            "{file}"
        );
    }
    for name in ["manifest.csv", "audit.csv", "holds.csv"] {
        assert_eq!(
            std::fs::read(out.join(name)).unwrap(),
            std::fs::read(again.join(name)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn a_household_over_the_page_limit_splits_and_leaves_no_account_out() {
    let dir = scratch("households-split");
    // A vendor that takes two pages a letter, and a family whose letter
    // lists too many services for that.
    let config = household_config(&dir, |t| format!("{t}\n[vendor.limits]\npages = 2\n"));
    let mut rows = String::from(ROWS);
    for (account, patient) in [
        ("2000001", "Lucia Delgado"),
        ("2000002", "\"Delgado, Mateo\""),
        ("2000003", "Sofia Delgado"),
    ] {
        for day in 1..=20 {
            rows.push_str(&format!(
                "{account},Rosa Delgado,{patient},48 Willow Creek Road,Apartment 4,Eugene,OR,97401,2026-10-{day:02},Follow-up visit,10.00,,,en,N,N,N,N\n"
            ));
        }
    }
    let out = dir.join("run");
    run_households(&dir, &config, &rows, &out, &[]);

    let audit = by_account(&out);
    let family = ["2000001", "2000002", "2000003"];
    let pieces: std::collections::BTreeSet<&str> =
        family.iter().map(|a| audit[*a]["piece_id"].as_str()).collect();
    assert!(
        pieces.len() >= 2 && !pieces.contains(""),
        "every account in a letter, over several: {pieces:?}"
    );
    let base = pieces.iter().next().unwrap().rsplit_once('-').unwrap().0;
    for (n, piece) in pieces.iter().enumerate() {
        assert_eq!(
            *piece,
            format!("{base}-{}", n + 1),
            "split pieces are numbered in account order"
        );
    }
    let manifest = read_csv(&out.join("manifest.csv"));
    assert!(manifest.iter().all(|r| r["pages"].parse::<u32>().unwrap() <= 2), "{manifest:?}");
    // Each part lists its own accounts and their own total.
    for piece in &pieces {
        let text =
            crate::pdf::read(&std::fs::read(out.join(format!("letters/{piece}.pdf"))).unwrap())
                .text();
        let carried: Vec<&str> =
            family.iter().copied().filter(|a| audit[*a]["piece_id"] == *piece).collect();
        for account in family {
            assert_eq!(
                text.contains(&format!("Account {account}")),
                carried.contains(&account),
                "{piece}: {text}"
            );
        }
    }
    let verify = kindly(&["verify", out.to_str().unwrap()]);
    assert!(verify.status.success(), "{}", stderr(&verify));
}

#[test]
fn the_generated_households_export_shares_envelopes() {
    let dir = scratch("households-generated");
    let export = dir.join("export.csv");
    let output = kindly(&[
        "sample-export",
        "--accounts",
        "300",
        "--seed",
        "11",
        "--as-of",
        AS_OF,
        "--shape",
        "households",
        "-o",
        export.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let config = household_config(&dir, |t| t.to_string());
    let mapping = repo().join("sample-data/mappings/households.toml");
    let out = dir.join("run");
    let output = run_with(&config, &export, &out, &["--mapping", mapping.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let audit = read_csv(&out.join("audit.csv"));
    let mut per_piece: BTreeMap<&str, usize> = BTreeMap::new();
    for row in audit.iter().filter(|r| !r["piece_id"].is_empty()) {
        *per_piece.entry(&row["piece_id"]).or_default() += 1;
    }
    assert!(per_piece.values().any(|n| *n >= 2), "some envelopes carry several accounts");
    let manifest = read_csv(&out.join("manifest.csv"));
    assert_eq!(manifest.len(), per_piece.len(), "one manifest row per envelope");
    let verify = kindly(&["verify", out.to_str().unwrap()]);
    assert!(verify.status.success(), "{}", stderr(&verify));
}

#[test]
fn a_guarantor_whose_accounts_ask_for_two_languages_gets_a_letter_in_each() {
    let dir = scratch("households-languages");
    let config = household_config(&dir, |t| t.to_string());
    // The English account's number falls between the Spanish ones, so the
    // Spanish pair shares an envelope only if the export is grouped by
    // language as well as household.
    let rows = "\
2000020,Carmen Ruiz,Diego Ruiz,77 Maple Street,,Eugene,OR,97401,2026-09-15,Office visit,120.00,,,es,N,N,N,N
2000021,Carmen Ruiz,Carmen Ruiz,77 Maple St,,Eugene,OR,97401,2026-09-15,Lab work,64.00,,,en,N,N,N,N
2000022,Carmen Ruiz,Elena Ruiz,77 MAPLE ST.,,Eugene,OR,97401,2026-09-15,Vaccination,42.25,,,es,N,N,N,N
";
    let out = dir.join("run");
    run_households(&dir, &config, rows, &out, &[]);

    let audit = by_account(&out);
    let (spanish, english) = (&audit["2000020"]["piece_id"], &audit["2000021"]["piece_id"]);
    assert_eq!(
        &audit["2000022"]["piece_id"], spanish,
        "the two Spanish accounts share an envelope"
    );
    assert_ne!(spanish, english, "the English account has its own");
    let manifest = read_csv(&out.join("manifest.csv"));
    assert_eq!(manifest.len(), 2, "{manifest:?}");
    let text = |piece: &str| {
        crate::pdf::read(&std::fs::read(out.join(format!("letters/{piece}.pdf"))).unwrap()).text()
    };
    let (spanish, english) = (text(spanish), text(english));
    for expected in ["Saldo a pagar", "Diego Ruiz", "Elena Ruiz", "$162.25"] {
        assert!(spanish.contains(expected), "{expected:?} not in the Spanish letter:\n{spanish}");
    }
    assert!(!spanish.contains("$64.00"), "{spanish}");
    assert!(english.contains("Amount due") && english.contains("$64.00"), "{english}");
    assert!(!english.contains("Saldo"), "{english}");
}
