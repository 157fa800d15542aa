//! `kindly validate` and bad input: clear messages naming file, line and
//! column, never a panic.

use crate::common::*;

#[test]
fn validate_reports_every_problem_with_file_line_and_column() {
    let dir = scratch("validate");
    let export = write_export(
        &dir,
        "100,Ann Lee,1 Main St,,Eugene,OR,97401,2026-07-01,Visit,120.00,,,en,N,N,N,N\n\
         101,Bo Diaz,2 Oak Ave,,Eugene,OR,97402,2026-02-30,Lab work,80.00,,,en,N,N,N,N\n\
         102,Cy Ng,3 Elm St,,Eugene,OR,97403,2026-07-01,X-ray,8O.00,,,en,N,N,N,N\n\
         103,Di Fox,4 Pine St,,Eugene,OR,97404\n",
    );
    let output = on_export("validate", &config(), &export, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = String::from_utf8_lossy(&output.stdout);
    let file = export.display().to_string();
    assert!(
        report.contains(&format!("{file}:3: column \"Service Date\", value \"2026-02-30\"")),
        "{report}"
    );
    assert!(report.contains(&format!("{file}:4: column \"Charge\", value \"8O.00\"")), "{report}");
    assert!(
        report.contains(&format!("{file}:5:"))
            && report.contains("has 7 fields but the header has 17"),
        "{report}"
    );
    assert!(report.contains("Rows that cannot be used (rejects): 3"), "{report}");
    assert!(report.contains("Letters a run would make: 1"), "{report}");
}

#[test]
fn validate_checks_beyond_parsing_and_speaks_json() {
    let dir = scratch("validate-json");
    let export = write_export(
        &dir,
        "100,Ann Lee,1 Main St,,Eugene,OR,97401,2026-07-01,Visit,120.00,,,en,N,N,N,N\n\
         100,Ann Lee,1 Main St,,Eugene,OR,97401,2026-07-01,Visit,120.00,,,en,N,N,N,N\n\
         100,Ann Lee,9 Other Rd,,Eugene,OR,97401,2026-08-01,Lab,20.00,30.00,,en,N,N,N,N\n\
         101,Bo Diaz,2 Oak Ave,,Eugene,XX,97402,2026-07-01,Visit,80.00,,,en,N,N,N,N\n\
         102,Cy Ng,3 Elm St,,Eugene,OR,9740,2026-07-01,Visit,80.00,,,en,N,N,N,N\n\
         103,Di Fox,4 Pine St,,Eugene,OR,97404,2026-12-25,Visit,80.00,,,en,N,N,N,N\n",
    );
    let output = on_export("validate", &config(), &export, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let kinds = &report["rejects"]["by_kind"];
    assert_eq!(report["rejects"]["count"], 4, "{report:#}");
    for kind in ["duplicate_row", "unknown_state", "bad_zip", "service_after_as_of"] {
        assert_eq!(kinds[kind], 1, "{kind}: {report:#}");
    }
    let duplicate = report["rejects"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "duplicate_row")
        .unwrap();
    assert_eq!(duplicate["line"], 3);
    assert!(duplicate["reason"].as_str().unwrap().contains("repeats line 2"));
    let warnings = &report["warnings"]["by_kind"];
    assert_eq!(
        (warnings["address_differs"].as_u64(), warnings["credit_on_service"].as_u64()),
        (Some(1), Some(1)),
        "{report:#}"
    );

    // --strict makes no letters when any row is rejected.
    let out = dir.join("run");
    let strict = run_with(&config(), &export, &out, &["--strict"]);
    assert_eq!(strict.status.code(), Some(2));
    assert!(stderr(&strict).contains("4 rows of the export cannot be used"), "{}", stderr(&strict));
    assert!(!out.exists());
    run_ok(&export, &out, &[]);
    assert_eq!(read_csv(&out.join("warnings.csv")).len(), 2);
    // Both warnings are on line 4: rows are counted once.
    assert_eq!(read_json(&out.join("run.json"))["counts"]["rows"]["warned"], 1);
}

#[test]
fn a_missing_column_is_named_and_nothing_is_written() {
    let dir = scratch("columns");
    let export = dir.join("export.csv");
    std::fs::write(&export, "Account,Name,Street\n1,Ann,1 Main St\n").unwrap();
    let out = dir.join("run");
    let output = run_with(&config(), &export, &out, &[]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("export.csv")
            && err.contains("\"Guarantor\"")
            && err.contains("\"Address 1\""),
        "{err}"
    );
    assert!(err.contains("the config's [input.columns] names them"), "{err}");
    assert!(!out.exists());
    // Read with a mapping file, the message names the mapping file and its
    // own sections, not the config's.
    let mapping = repo().join("sample-data/mappings/statement.toml");
    let output =
        on_export("validate", &config(), &export, &["--mapping", mapping.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("([columns] of the mapping file") && err.contains("statement.toml"),
        "{err}"
    );
    let broken = dir.join("broken.toml");
    let text = std::fs::read_to_string(&mapping).unwrap().replace("charge = ", "charges_typo = ");
    std::fs::write(&broken, text.replace("[columns]", "[columns]\nlanguage = [\"A\", \"B\"]"))
        .unwrap();
    let output =
        on_export("validate", &config(), &export, &["--mapping", broken.to_str().unwrap()]);
    let err = stderr(&output);
    assert!(
        err.contains("the mapping file") && !err.contains("config file") && !err.contains("[input"),
        "{err}"
    );
}

#[test]
fn a_broken_config_names_the_setting() {
    let dir = scratch("config");
    let config = dir.join("kindly.toml");
    let sample = std::fs::read_to_string(crate::common::config()).unwrap();
    let layouts = repo().join("layouts");
    let text = sample
        .replace(
            "layouts = \"../layouts\"",
            &format!("layouts = {:?}", layouts.display().to_string()),
        )
        .replace("minimum_balance = \"10.00\"", "minimum_balance = \"ten dollars\"");
    std::fs::write(&config, text).unwrap();
    let export = write_export(
        &dir,
        "100,Ann Lee,1 Main St,,Eugene,OR,97401,2026-07-01,Visit,120.00,,,en,N,N,N,N\n",
    );
    let output =
        kindly(&["validate", export.to_str().unwrap(), "--config", config.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("kindly.toml")
            && err.contains("minimum_balance")
            && err.contains("ten dollars"),
        "{err}"
    );
}

#[test]
fn preview_renders_one_account_and_explains_a_hold() {
    let dir = scratch("preview");
    let export = write_export(
        &dir,
        "100,Ann Lee,1 Main St,,Eugene,OR,97401,2026-07-01,Visit,120.00,,,en,N,N,N,N\n\
         101,Bo Diaz,2 Oak Ave,,Eugene,OR,97402,2026-07-01,Visit,120.00,,,en,N,Y,N,N\n",
    );
    let pdf = dir.join("ann.pdf");
    let preview = |account: &str| {
        on_export(
            "preview",
            &config(),
            &export,
            &["--account", account, "-o", pdf.to_str().unwrap()],
        )
    };
    let ok = preview("100");
    assert!(ok.status.success(), "{}", stderr(&ok));
    let text = crate::pdf::read(&std::fs::read(&pdf).unwrap()).text();
    assert!(text.contains("Dear Ann Lee,") && text.contains("$120.00"), "{text}");

    let held = preview("101");
    assert_eq!(held.status.code(), Some(2));
    assert!(stderr(&held).contains("disputes"), "{}", stderr(&held));
}

#[test]
fn a_spreadsheet_file_is_named_as_such_with_how_to_save_csv() {
    let dir = scratch("xlsx");
    let workbook = dir.join("balances.xlsx");
    std::fs::write(
        &workbook,
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml",
    )
    .unwrap();
    let output = on_export("validate", &config(), &workbook, &[]);
    assert_eq!(output.status.code(), Some(2));
    let said = stderr(&output);
    assert!(said.contains("is an Excel workbook (.xlsx)") && said.contains("CSV UTF-8"), "{said}");
    let suggest = kindly(&["mapping", "suggest", workbook.to_str().unwrap()]);
    assert_eq!(suggest.status.code(), Some(2), "no mapping of a workbook's zip header");
    assert!(stderr(&suggest).contains("is an Excel workbook"), "{}", stderr(&suggest));
}
