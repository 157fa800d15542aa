//! `--confidential`: a patient who asked for their letters at another
//! address gets them only there, in an envelope of their own, and nothing of
//! theirs goes in the household's letter; later runs without the file hold
//! them rather than write to the export's address; a returned piece holds
//! until the file changes; reruns and `reproduce` read the same file.

use std::path::Path;

use crate::common::*;
use crate::households::{ROWS, by_account, household_config, run_households};

/// Sofia (2000003, a child of the Delgado household of three) asked for her
/// letters at her own box; 2999999 is a mistyped account number.
const REQUESTS: &str = "\
account,name,address1,address2,city,state,zip,until,note
2000003,Sofia Delgado,PO Box 118,,Eugene,OR,97440,,asked 11/12 at the front desk
2999999,Ana Park,PO Box 9,,Springfield,OR,97477,,
";

fn write_requests(dir: &Path, text: &str) -> String {
    let path = dir.join("confidential.csv");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn letter_text(run: &Path, row: &std::collections::BTreeMap<String, String>) -> String {
    crate::pdf::read(&std::fs::read(run.join(&row["file"])).unwrap()).text()
}

#[test]
fn a_confidential_address_gets_its_own_envelope_and_nothing_leaks() {
    let dir = scratch("confidential");
    let config = household_config(&dir, |t| t.to_string());
    let requests = write_requests(&dir, REQUESTS);
    let out = dir.join("nov");
    run_households(&dir, &config, ROWS, &out, &["--confidential", &requests]);

    // A household of three with one confidential address: two envelopes.
    let audit = by_account(&out);
    let family = &audit["2000001"]["piece_id"];
    assert_eq!(&audit["2000002"]["piece_id"], family);
    let sofia = &audit["2000003"]["piece_id"];
    assert!(!sofia.is_empty() && sofia != family, "{audit:?}");
    assert_eq!(audit["2000003"]["mailed_to"], "confidential address (side file line 2)");
    assert_eq!(audit["2000001"]["mailed_to"], "");

    // The vendor gets the requested name and address for her piece, and
    // the household's address for the family's.
    let manifest = read_csv(&out.join("manifest.csv"));
    assert_eq!(manifest.len(), 4, "the family, Mateo, and the two Parks");
    let row = |piece: &str| manifest.iter().find(|r| r["piece_id"] == piece).unwrap();
    let (hers, theirs) = (row(sofia), row(family));
    assert_eq!(
        (hers["recipient_name"].as_str(), hers["address_line_1"].as_str(), hers["zip"].as_str()),
        ("Sofia Delgado", "PO Box 118", "97440")
    );
    assert_eq!(theirs["address_line_1"], "48 Willow Creek Road");

    // The family's letter says nothing of her; hers says nothing of them.
    let family_letter = letter_text(&out, theirs);
    for absent in ["Sofia", "$42.25", "PO Box 118"] {
        assert!(
            !family_letter.contains(absent),
            "{absent:?} in the family's letter:\n{family_letter}"
        );
    }
    assert!(family_letter.contains("This letter covers 2 accounts"), "{family_letter}");
    let her_letter = letter_text(&out, hers);
    for present in ["Sofia Delgado", "PO Box 118", "EUGENE, OR 97440", "$42.25"] {
        assert!(
            her_letter.to_uppercase().contains(&present.to_uppercase()),
            "{present:?}:\n{her_letter}"
        );
    }
    for absent in ["48 Willow", "Rosa", "Lucia", "Mateo", "This letter covers"] {
        assert!(!her_letter.contains(absent), "{absent:?} in Sofia's letter:\n{her_letter}");
    }

    // The report shows no picture of her letter; the run names the
    // mistyped row; run.json records the file.
    let pictures: Vec<String> = std::fs::read_dir(out.join("pictures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !pictures.is_empty() && !pictures.iter().any(|p| p.contains(sofia.as_str())),
        "{pictures:?}"
    );
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!report.contains("PO Box 118"));
    let record = read_json(&out.join("run.json"));
    assert_eq!(record["not_readdressed"][0]["account"], "2999999");
    assert_eq!(record["not_readdressed"][0]["line"], 3);
    assert_eq!(record["confidential"]["sha256"].as_str().map(str::len), Some(64));
    let verify = kindly(&["verify", out.to_str().unwrap()]);
    assert!(verify.status.success(), "{}", stderr(&verify));

    // `kindly history` says where it went, by the file's line.
    let ledger = dir.join("kindly-ledger.sqlite");
    let ledger = ledger.to_str().unwrap();
    let history = kindly(&["history", "2000003", "--ledger", ledger]);
    let history = String::from_utf8_lossy(&history.stdout);
    let expected = "PO Box 118, Eugene, OR 97440: confidential address (side file line 2)";
    assert!(history.contains(expected), "{history}");

    // The same files again, byte for byte, on one thread.
    let again = dir.join("again");
    run_households(
        &dir,
        &config,
        ROWS,
        &again,
        &["--confidential", &requests, "--trial", "-j", "1"],
    );
    for name in ["manifest.csv", "audit.csv", "holds.csv", &hers["file"], &theirs["file"]] {
        assert_eq!(
            std::fs::read(out.join(name)).unwrap(),
            std::fs::read(again.join(name)).unwrap(),
            "{name}"
        );
    }

    // `reproduce` wants the same file.
    let export = dir.join("households.csv");
    let mapping = repo().join("sample-data/mappings/households.toml");
    let reproduce = |extra: &[&str]| {
        let mut args =
            vec!["reproduce", out.to_str().unwrap(), "--export", export.to_str().unwrap()];
        args.extend(["--config", config.to_str().unwrap(), "--mapping", mapping.to_str().unwrap()]);
        args.extend(["--ledger", ledger]);
        args.extend_from_slice(extra);
        kindly(&args)
    };
    let same = reproduce(&["--confidential", &requests]);
    assert!(same.status.success() && stderr(&same).contains("byte-identical"), "{}", stderr(&same));
    let without = reproduce(&[]);
    assert_eq!(without.status.code(), Some(2));
    assert!(stderr(&without).contains("confidential-address file"), "{}", stderr(&without));

    // A month later, a run without the file holds her rather than writing
    // to the household's address.
    let month = |name: &str, extra: &[&str]| {
        let mut args = vec!["--mapping", mapping.to_str().unwrap(), "--ledger", ledger, "--trial"];
        args.extend_from_slice(extra);
        let run = dir.join(name);
        let output = run_as_of(&config, &export, &run, "2026-12-31", &args);
        assert!(output.status.success(), "{}", stderr(&output));
        by_account(&run)
    };
    let forgotten = month("dec-forgotten", &[]);
    assert_eq!(forgotten["2000003"]["decision"], "hold");
    assert!(
        forgotten["2000003"]["reason"]
            .contains("went to a confidential address the patient asked for"),
        "{:?}",
        forgotten["2000003"]
    );
    // When the patient withdraws the request, the row's until date says so.
    let ended = write_requests(&dir, &REQUESTS.replace("97440,,", "97440,2026-12-15,"));
    let withdrawn = month("dec-withdrawn", &["--confidential", &ended]);
    assert_eq!(
        withdrawn["2000003"]["mailed_to"],
        "the export's address: the confidential address ended 2026-12-15 (side file line 2)"
    );
    assert_ne!(withdrawn["2000003"]["reason"], forgotten["2000003"]["reason"]);

    // Returned from her box: held until the file changes.
    let mark =
        kindly(&["ledger", "mark", "returned", sofia, "--on", "2026-12-05", "--ledger", ledger]);
    assert!(mark.status.success(), "{}", stderr(&mark));
    let requests = write_requests(&dir, REQUESTS);
    let returned = month("dec-returned", &["--confidential", &requests]);
    assert!(
        returned["2000003"]["reason"]
            .contains("the confidential-address file still has that address (line 2)"),
        "{:?}",
        returned["2000003"]
    );
    let moved = write_requests(&dir, &REQUESTS.replace("PO Box 118", "PO Box 240"));
    let moved = month("dec-moved", &["--confidential", &moved]);
    assert_eq!(moved["2000003"]["mailed_to"], "confidential address (side file line 2)");
    assert_ne!(moved["2000003"]["decision"], "hold", "{:?}", moved["2000003"]);
}

#[test]
fn a_confidential_row_that_cannot_be_read_stops_the_run() {
    let dir = scratch("confidential-bad");
    let config = household_config(&dir, |t| t.to_string());
    let requests =
        write_requests(&dir, &REQUESTS.replace("Eugene,OR,97440", "Eugene,Oregon,97440"));
    let export = dir.join("households.csv");
    std::fs::write(&export, format!("{}{ROWS}", crate::households::HOUSEHOLD_HEADER)).unwrap();
    let mapping = repo().join("sample-data/mappings/households.toml");
    let out = dir.join("run");
    let output = run_with(
        &config,
        &export,
        &out,
        &["--mapping", mapping.to_str().unwrap(), "--confidential", &requests],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("confidential.csv:2: column \"state\", value \"Oregon\""),
        "{}",
        stderr(&output)
    );
    assert!(!out.exists(), "no half-written run");
}

#[test]
fn a_config_that_names_the_file_reads_it_every_run() {
    let dir = scratch("confidential-config");
    write_requests(&dir, REQUESTS);
    // A path in the config is taken from the config's own folder.
    let config = household_config(&dir, |t| {
        t.replace(
            "require_approval = false",
            "require_approval = false\nconfidential_addresses = \"confidential.csv\"",
        )
    });
    let out = dir.join("run");
    run_households(&dir, &config, ROWS, &out, &[]);
    let audit = by_account(&out);
    assert_eq!(audit["2000003"]["mailed_to"], "confidential address (side file line 2)");
    let record = read_json(&out.join("run.json"));
    assert!(
        record["confidential"]["file"].as_str().is_some_and(|f| f.ends_with("confidential.csv")),
        "{record}"
    );
    // `--confidential` names another file for one command.
    let other = dir.join("other.csv");
    std::fs::write(&other, REQUESTS.replace("2000003,", "2000010,")).unwrap();
    let trial = dir.join("trial");
    run_households(
        &dir,
        &config,
        ROWS,
        &trial,
        &["--confidential", other.to_str().unwrap(), "--trial"],
    );
    let audit = by_account(&trial);
    assert_eq!(
        (audit["2000003"]["mailed_to"].as_str(), audit["2000010"]["mailed_to"].as_str()),
        ("", "confidential address (side file line 2)")
    );
}

#[test]
fn the_exports_own_confidential_columns_readdress_too() {
    let dir = scratch("confidential-columns");
    let config = household_config(&dir, |t| t.to_string());
    let mapping = std::fs::read_to_string(repo().join("sample-data/mappings/households.toml"))
        .unwrap()
        + "confidential_address1 = \"Alt Street\"\nconfidential_city = \"Alt City\"\n\
           confidential_state = \"Alt St\"\nconfidential_zip = \"Alt Zip\"\n";
    let mapping_file = dir.join("mapping.toml");
    std::fs::write(&mapping_file, mapping).unwrap();
    let header =
        crate::households::HOUSEHOLD_HEADER.replace('\n', ",Alt Street,Alt City,Alt St,Alt Zip\n");
    let rows: String = ROWS
        .lines()
        .map(|row| match row.starts_with("2000003,") {
            true => format!("{row},PO Box 118,Eugene,OR,97440\n"),
            false => format!("{row},,,,\n"),
        })
        .collect();
    let export = dir.join("households.csv");
    std::fs::write(&export, format!("{header}{rows}")).unwrap();
    let out = dir.join("run");
    let output = run_with(&config, &export, &out, &["--mapping", mapping_file.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let audit = by_account(&out);
    assert_eq!(audit["2000003"]["mailed_to"], "confidential address (export line 4)");
    assert_eq!(audit["2000001"]["piece_id"], audit["2000002"]["piece_id"]);
    assert_ne!(audit["2000001"]["piece_id"], audit["2000003"]["piece_id"]);
    let manifest = read_csv(&out.join("manifest.csv"));
    let hers = manifest.iter().find(|r| r["piece_id"] == audit["2000003"]["piece_id"]).unwrap();
    assert_eq!(
        (hers["recipient_name"].as_str(), hers["address_line_1"].as_str()),
        ("Sofia Delgado", "PO Box 118")
    );
}
