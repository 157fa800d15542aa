//! Unit tests of [`super`] (`src/suggest.rs`), kept beside it in a file of their
//! own so that the module reads as one idea.

use super::*;

#[test]
fn a_mapping_becomes_the_configs_input_sections() {
    let mapping = "# Mapping suggested\ndate_formats = [\"%m/%d/%Y\"]\n\n[flags]\nyes = [\"Y\"]\n\n[columns]\naccount = \"Acct\"\n";
    let text = for_config(mapping);
    assert_eq!(
        text,
        "# Mapping suggested\n[input]\ndate_formats = [\"%m/%d/%Y\"]\n\n[input.flags]\nyes = [\"Y\"]\n\n\
             [input.columns]\naccount = \"Acct\"\n"
    );
    let config: toml::Value = toml::from_str(&text).unwrap();
    assert_eq!(config["input"]["columns"]["account"].as_str(), Some("Acct"));
}
use crate::config::Input;

fn suggested(file: &str) -> Input {
    let text = suggest(Path::new("sample-data").join(file).as_path()).unwrap();
    toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn shipped(mapping: &str) -> Input {
    toml::from_str(
        &std::fs::read_to_string(Path::new("sample-data/mappings").join(mapping)).unwrap(),
    )
    .unwrap()
}

/// Headers match ignoring case, so the comparison does too.
fn columns(input: &Input) -> String {
    format!("{:?}", input.columns).to_lowercase()
}

#[test]
fn suggests_the_shipped_mappings_for_the_sample_exports() {
    for (export, mapping) in [
        ("statement-export.csv", "statement.toml"),
        ("tab-export.txt", "tab-utf16.toml"),
        ("split-names-export.csv", "split-names.toml"),
        ("last-first-statement.csv", "last-first.toml"),
        ("scripts-export.csv", "scripts.toml"),
        ("resp-statement-export.csv", "resp-statement.toml"),
        ("aging-export.csv", "aging.toml"),
    ] {
        let (got, want) = (suggested(export), shipped(mapping));
        assert_eq!(columns(&got), columns(&want), "{export}");
        assert_eq!(got.hold_codes, want.hold_codes, "{export}");
        assert_eq!(got.date_formats, want.date_formats, "{export}");
        assert_eq!(got.encoding, want.encoding, "{export}");
        assert_eq!(
            got.delimiter,
            Delimiter::Auto,
            "{export}: re-saved with another delimiter, it still reads"
        );
        assert_eq!(got.age_buckets, want.age_buckets, "{export}");
    }
    let config: crate::config::Config =
        toml::from_str(&std::fs::read_to_string("sample-data/kindly.toml").unwrap()).unwrap();
    let got = suggested("export.csv");
    assert_eq!(columns(&got), columns(&config.input));
    assert_eq!(got.date_formats, ["%Y-%m-%d", "%m/%d/%Y"]);
}

#[test]
fn values_decide_between_dates_and_amounts_and_unplaced_amounts_are_named() {
    let export = "Acct,Name,Street,City,State,Zip,Payment Date,DOS,Charge,Pmts,Ins Adj\n\
                      1,Ann Lee,1 Main St,Eugene,OR,97401,2026-03-01,2026-01-05,120.00,20.00,(5.00)\n\
                      2,Bo Diaz,2 Oak Ave,Eugene,OR,97402,2026-03-02,2026-01-06,80.00,,\n";
    let text = suggest_from("t.csv", export.as_bytes(), Encoding::Auto).unwrap().unwrap();
    let input: Input = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(input.columns.payments, Some("Pmts".into()), "{text}");
    assert_eq!(input.columns.service_date, Some("DOS".into()), "{text}");
    assert!(text.contains("WARNING: column \"Ins Adj\" holds amounts"), "{text}");
    assert!(!text.contains("= \"Payment Date\""), "a date column is never an amount: {text}");
}

#[test]
fn names_are_never_ids_insurance_is_never_the_patients_and_a_dead_balance_is_named() {
    let export = "PatientID,Acct,PatientName,Name,Street,City,St,RespZip,Svc Date,Last Pay Date,Charge,InsBalance,\
                      Balance Due\n\
                      P100,1,Ann Lee,Ann Lee,1 Main St,Eugene,OR,97401,2026-01-05,2026-02-01,120.00,0.00,0.00\n\
                      P101,2,Bo Diaz,Cy Diaz,2 Oak Ave,Eugene,OR,97402,2026-01-06,2026-02-03,80.00,40.00,0.00\n\
                      P102,3,Di Park,Di Park,3 Elm St,Eugene,OR,97402,2026-01-06,2026-02-03,80.00,20.00,0.00\n";
    let text = suggest_from("t.csv", export.as_bytes(), Encoding::Auto).unwrap().unwrap();
    let input: Input = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let c = &input.columns;
    assert_eq!(c.patient, Some("PatientName".into()), "an id is never a name: {text}");
    assert_eq!(c.zip, "RespZip".into(), "{text}");
    assert_eq!(
        c.service_date,
        Some("Svc Date".into()),
        "a last-payment date is never a service date: {text}"
    );
    assert_eq!(c.balance, Some("Balance Due".into()), "{text}");
    assert_eq!(
        c.insurance_pending,
        Some(crate::config::Field::NonZero { nonzero: "InsBalance".into() })
    );
    assert!(
        text.contains("WARNING: the balance column \"Balance Due\" is zero in most rows"),
        "{text}"
    );
}

#[test]
fn a_status_column_is_found_by_its_values_and_its_codes_listed() {
    let mut export = String::from("Acct,Name,Street,City,State,Zip,DOS,Charge,Misc 7\n");
    for (i, code) in ["", "", "BK", "", "DECEASED", "", "XQ", "", "", "BK"].iter().enumerate() {
        export
            .push_str(&format!("{i},Ann Lee,1 Main St,Eugene,OR,97401,2026-01-05,12.00,{code}\n"));
    }
    let text = suggest_from("t.csv", export.as_bytes(), Encoding::Auto).unwrap().unwrap();
    let input: Input = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(input.columns.hold_code, Some("Misc 7".into()), "{text}");
    assert_eq!(input.hold_codes.get("BK"), Some(&crate::config::CodeMeaning::Bankruptcy), "{text}");
    assert!(text.contains("# \"XQ\" = \"?\"   # 1 rows; what does it mean?"), "{text}");
}
