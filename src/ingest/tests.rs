//! Unit tests of [`super`] (`src/ingest.rs`), kept beside it in a file of their
//! own so that the module reads as one idea.

use super::*;
use super::{scan::*, values::*};
use crate::config::Field;
use crate::model::{IssueKind, Line, Reversal};
use crate::money::Cents;
use proptest::prelude::*;
use std::collections::BTreeMap;

const HEADER: &str = "Account,Guarantor,Address 1,Address 2,City,State,ZIP,Service Date,Description,Charge,Payments,Adjustments,Language,Insurance Pending,Dispute,Do Not Mail\n";

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
}

fn read(body: &str) -> Export {
    read_export_from("test.csv", format!("{HEADER}{body}").as_bytes(), &Input::default(), as_of())
        .unwrap()
}

#[test]
fn a_nine_digit_zip_is_read_as_zip_plus_four() {
    let export = read(
        "A1,Ann Lee,1 Main St,,Austin,TX,787042231,2026-09-01,Visit,10.00,0,0,en,N,N,N\n\
             A2,Bo Kim,2 Oak Ave,,Austin,TX,78704223,2026-09-01,Visit,10.00,0,0,en,N,N,N\n",
    );
    assert_eq!(export.accounts[0].guarantor.address.zip, "78704-2231");
    assert_eq!(export.rejects.len(), 1, "eight digits are no ZIP");
    assert_eq!(export.rejects[0].value, "78704223");
}

#[test]
fn groups_rows_into_accounts() {
    let export = read(
        "A2,Ann Lee,1 Main St,,Eugene,OR,97401,2026-01-05,Office visit,\"$1,200.00\",-200.00,,en,N,N,N\n\
             A1,Bo Diaz,2 Oak Ave,Apt 3,Eugene,OR,97402,01/06/2026,Lab work,80.00,(30.00),,es,,,\n\
             A2,Ann Lee,1 Main St,,Eugene,OR,97401,2026-02-05,Follow-up,50.00,,,en,Y,N,N\n",
    );
    assert_eq!(export.rows, 3);
    assert!(export.rejects.is_empty(), "{:?}", export.rejects);
    let ids: Vec<_> = export.accounts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["A1", "A2"]);
    assert_eq!(export.accounts[0].balance(), Cents(5000));
    assert_eq!(export.accounts[0].language, "es");
    assert_eq!(export.accounts[0].guarantor.address.street, ["2 Oak Ave", "Apt 3"]);
    assert_eq!(export.accounts[1].balance(), Cents(105000));
    assert!(export.accounts[1].flags.insurance_pending);
    assert_eq!(export.accounts[1].lines(), [2, 4]);
}

#[test]
fn bad_rows_are_rejected_with_line_column_and_value() {
    let export = read(
        "A1,Ann Lee,1 Main St,,Eugene,OR,97401,2026-13-05,Visit,12.00,,,en,N,N,N\n\
             A1,Ann Lee,1 Main St,,Eugene,OR,97401,2026-01-05,Visit,12.0.0,,,en,maybe,N,N\n\
             A1,Ann Lee,1 Main St,,Eugene,OR,97401,2026-01-05,Visit,12.00,,,en,N,N,N\n\
             A3,too,few\n",
    );
    assert_eq!(export.rows, 4);
    assert_eq!(export.rejects.len(), 3);
    let first = &export.rejects[0];
    assert_eq!(
        (first.file.as_str(), first.line, first.column.as_str()),
        ("test.csv", 2, "Service Date")
    );
    assert_eq!(first.value, "2026-13-05");
    let second = &export.rejects[1];
    assert_eq!(second.column, "Charge");
    assert!(second.reason.contains("Insurance Pending"), "{}", second.reason);
    assert_eq!(export.rejects[2].line, 5);
    assert_eq!(
        export.rejects.iter().map(|r| r.account.as_str()).collect::<Vec<_>>(),
        ["A1", "A1", "A3"]
    );
    assert_eq!(export.accounts.len(), 2, "an account none of whose rows were read is not lost");
    assert_eq!(export.accounts[0].rejected_lines, [2, 3]);
    assert!(export.accounts[1].unread_whole() && export.accounts[1].rejected_lines == [5]);
}

#[test]
fn header_matching_ignores_case_and_spaces() {
    let header = HEADER.to_uppercase().replace(",", " , ");
    let body = "A1,Ann Lee,1 Main St,,Eugene,OR,97401,2026-01-05,Visit,12.00,,,en,N,N,N\n";
    let export =
        read_export_from("t.csv", format!("{header}{body}").as_bytes(), &Input::default(), as_of())
            .unwrap();
    assert_eq!(export.accounts.len(), 1);
}

#[test]
fn a_missing_column_names_it() {
    let err = read_export_from(
        "t.csv",
        "Account,Guarantor\nA1,Ann\n".as_bytes(),
        &Input::default(),
        as_of(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("t.csv") && err.contains("\"Address 1\"") && err.contains("\"Guarantor\""),
        "{err}"
    );
}

#[test]
fn an_export_saved_as_windows_1252_is_read_as_such_and_said_so() {
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(
        b"A1,Ann L\xe9e,1 Main St,,Eugene,OR,97401,2026-01-05,Visit,12.00,,,es,N,N,N\n",
    );
    bytes.extend_from_slice(
        b"A2,Bo Kim,2 Oak Ave,,Eugene,OR,97401,2026-01-05,Visit,12.00,,,en,N,N,N\n",
    );
    let export = read_export_from("t.csv", &bytes[..], &Input::default(), as_of()).unwrap();
    assert!(export.rejects.is_empty(), "{:?}", export.rejects);
    assert_eq!(export.accounts[0].guarantor.name, "Ann Lée");
    assert_eq!(export.read_as, Some(ReadAs::Windows1252));
    // Through the partitions too, the way a run reads it.
    let path = std::env::temp_dir().join(format!("kindly-1252-{}.csv", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();
    let partitioned = tally_export(&path, &Input::default(), as_of(), |_| {}).unwrap();
    assert_eq!((partitioned.read_as, partitioned.rejects.len()), (Some(ReadAs::Windows1252), 0));
}

#[test]
fn a_row_that_is_not_the_utf8_of_the_rest_names_its_column() {
    let mut bytes = HEADER.as_bytes().to_vec();
    for i in 0..30 {
        let row = format!(
            "U{i},José Díaz,1 Main St,,Eugene,OR,97401,2026-01-05,Visit,12.00,,,es,N,N,N\n"
        );
        bytes.extend_from_slice(row.as_bytes());
    }
    bytes.extend_from_slice(
        b"A1,Ann L\xe9e,1 Main St,,Eugene,OR,97401,2026-01-05,Visit,12.00,,,en,N,N,N\n",
    );
    let export = read_export_from("t.csv", &bytes[..], &Input::default(), as_of()).unwrap();
    assert_eq!(
        export.read_as, None,
        "the file is UTF-8 where it is not ASCII: one bad row is the row's"
    );
    assert_eq!(export.rejects.len(), 1);
    assert_eq!(
        (export.rejects[0].column.as_str(), export.rejects[0].account.as_str()),
        ("Guarantor", "A1")
    );
    assert!(export.rejects[0].reason.contains("UTF-8"));
}

#[test]
fn an_export_whose_rows_are_mostly_not_its_encoding_stops() {
    let mut bytes = HEADER.as_bytes().to_vec();
    for i in 0..3 {
        bytes.extend_from_slice(
            format!("A{i},Ann L\u{e9}e,1 Main St,,Eugene,OR,97401,2026-01-05,V,1.00,,,en,N,N,N\n")
                .as_bytes(),
        );
    }
    bytes.extend_from_slice(
        b"A9,Ann L\xe9e,1 Main St,,Eugene,OR,97401,2026-01-05,Visit,12.00,,,en,N,N,N\n",
    );
    let said_utf8 = Input { encoding: crate::config::Encoding::Utf8, ..Input::default() };
    let stopped =
        read_export_from("t.csv", &bytes[..], &said_utf8, as_of()).unwrap_err().to_string();
    assert!(
        stopped.starts_with(
            "1 of the 4 rows of t.csv (the first on line 5) have text that is not UTF-8"
        )
    );
    assert!(stopped.contains("--encoding"), "{stopped}");
}

/// The line of the one bad row (its service date), as a text editor
/// numbers it, whatever the line ends, byte-order mark and encoding.
#[test]
fn line_numbers_are_the_lines_a_person_finds() {
    let good = "A1,Ann Lee,1 Main St,,Eugene,OR,97401,2026-01-05,Visit,12.00,,,en,N,N,N";
    let quoted =
        "A2,Bo Diaz,2 Oak Ave,,Eugene,OR,97402,2026-01-06,\"Lab\n(follow-up)\",80.00,,,en,N,N,N";
    let bad = "A3,Cy Park,3 Elm St,,Eugene,OR,97403,2026-13-45,Visit,12.00,,,en,N,N,N";
    // Header 1, good 2, quoted 3-4, blank 5, bad 6, good 7.
    let text = format!("{}{good}\n{quoted}\n\n{bad}\n{good}x\n", HEADER);
    let crlf = text.replace('\n', "\r\n");
    let utf16 = |t: &str| -> Vec<u8> {
        [0xFF, 0xFE].into_iter().chain(t.encode_utf16().flat_map(u16::to_le_bytes)).collect()
    };
    let cases: [(&str, Vec<u8>); 5] = [
        ("LF", text.clone().into_bytes()),
        ("CRLF", crlf.clone().into_bytes()),
        ("BOM and CRLF", [&[0xEF, 0xBB, 0xBF][..], crlf.as_bytes()].concat()),
        ("UTF-16 and CRLF", utf16(&crlf)),
        ("UTF-16 and LF", utf16(&text)),
    ];
    for (name, bytes) in cases {
        let export = read_export_from("t.csv", &bytes[..], &Input::default(), as_of()).unwrap();
        let lines: Vec<Line> = export.rejects.iter().map(|r| r.line).collect();
        assert_eq!(lines, [6, 7], "{name}: {:?}", export.rejects);
        let a2 = export.accounts.iter().find(|a| a.id == "A2").unwrap();
        assert_eq!(a2.lines(), [3], "{name}");
    }
}

#[test]
fn names_written_last_first_are_read_in_natural_order() {
    assert_eq!(natural_order("Reyes, Daniel").as_deref(), Some("Daniel Reyes"));
    assert_eq!(natural_order("Smith Jr., Robert").as_deref(), Some("Robert Smith Jr."));
    assert_eq!(natural_order("Smith, Robert, Jr.").as_deref(), Some("Robert Smith Jr."));
    assert_eq!(
        natural_order("García López, María José").as_deref(),
        Some("María José García López")
    );
    assert_eq!(natural_order("Daniel Reyes"), None);
    assert_eq!(natural_order("Reyes,"), None);
    assert_eq!(natural_order("A, B, C"), None);
}

#[test]
fn a_two_digit_year_is_read_by_the_format_that_expects_one() {
    let formats = Input::default().date_formats;
    assert_eq!(
        parse_date("11/19/26", &formats),
        Ok(NaiveDate::from_ymd_opt(2026, 11, 19).unwrap())
    );
    assert_eq!(
        parse_date("11/19/2026", &formats),
        Ok(NaiveDate::from_ymd_opt(2026, 11, 19).unwrap())
    );
    let wrong = parse_date("19.11.26", &formats).unwrap_err();
    assert!(wrong.ends_with("(YYYY-MM-DD, MM/DD/YYYY, MM/DD/YY)"), "{wrong}");
}

#[test]
fn a_flag_that_is_neither_says_what_yes_and_no_are() {
    let codes = |yes: &[&str], no: &[&str]| crate::config::FlagCodes {
        yes: yes.iter().map(|c| c.to_string()).collect(),
        no: no.iter().map(|c| c.to_string()).collect(),
    };
    let wrong = parse_flag("YES", &codes(&["INS", "DSP"], &[])).unwrap_err();
    assert!(wrong.contains("INS/DSP means yes and an empty cell means no"), "{wrong}");
    let wrong = parse_flag("maybe", &codes(&["Y"], &["N"])).unwrap_err();
    assert!(wrong.contains("Y means yes and N or an empty cell means no"), "{wrong}");
    assert_eq!(parse_flag("ins", &codes(&["INS"], &[])), Ok(true));
    assert_eq!(parse_flag("", &codes(&["INS"], &[])), Ok(false));
}

#[test]
fn invisible_characters_are_removed_with_a_warning_and_long_fields_rejected() {
    let body =
        "A1,\u{202E}eeL nnA\u{200B},1 Main St,,Eugene,OR,97401,2026-01-05,Visit,12.00,,,en,N,N,N\n";
    let export = read(body);
    assert_eq!(export.accounts[0].guarantor.name, "eeL nnA");
    let warning = &export.warnings[0];
    assert_eq!(
        (warning.kind, warning.line, warning.column.as_str()),
        (IssueKind::InvisibleCharacter, 2, "Guarantor")
    );
    assert!(
        warning.reason.contains("U+202E") && warning.reason.contains("U+200B"),
        "{}",
        warning.reason
    );
    let long = format!(
        "A1,{},1 Main St,,Eugene,OR,97401,2026-01-05,Visit,12.00,,,en,N,N,N\n",
        "x".repeat(5_000_000)
    );
    let export = read(&long);
    assert_eq!(export.rejects[0].kind, IssueKind::FieldTooLong);
    assert!(export.rejects[0].reason.contains("5000000 bytes"), "{}", export.rejects[0].reason);
}

/// A name that would print as a blank line (a variation selector, a
/// zero-width space or an accent alone) is no name: the row is rejected
/// for it, as an empty cell is.
#[test]
fn a_name_of_characters_that_print_nothing_is_no_name() {
    for name in ["\u{E0100}", "\u{200B}", "\u{0301}", " \u{0301}\u{FE0F}"] {
        let export = read(&format!(
            "A1,{name},1 Main St,,Eugene,OR,97401,2026-01-05,Visit,12.00,,,en,N,N,N\n"
        ));
        let rejects: Vec<_> =
            export.rejects.iter().map(|r| (r.kind, r.line, r.column.as_str())).collect();
        assert_eq!(rejects, [(IssueKind::MissingGuarantor, 2, "Guarantor")], "{name:?}");
    }
    // What the cell held is named, as it looks filled in a spreadsheet.
    let export =
        read("A1,\u{E0100},1 Main St,,Eugene,OR,97401,2026-01-05,Visit,12.00,,,en,N,N,N\n");
    let reject = &export.rejects[0];
    assert_eq!(reject.value, "U+E0100");
    assert!(
        reject.reason.contains("no guarantor name: the cell holds only U+E0100"),
        "{}",
        reject.reason
    );
    // An address's second line of an accent alone is no second line.
    let export =
        read("A1,Ann Lee,1 Main St,\u{0301},Eugene,OR,97401,2026-01-05,Visit,12.00,,,en,N,N,N\n");
    assert_eq!(export.accounts[0].guarantor.address.street, ["1 Main St"]);
    let warning = &export.warnings[0];
    assert_eq!((warning.kind, warning.value.as_str()), (IssueKind::InvisibleCharacter, "U+0301"));
}

#[test]
fn line_breaks_inside_a_field_are_joined_with_a_warning() {
    let body = "A1,\"Ann\r\nLee\",\"1 Main St\n\tApt 2\",,Eugene,OR,97401,2026-01-05,Visit,12.00,,,en,N,N,N\n";
    let export = read(body);
    let account = &export.accounts[0];
    assert_eq!(account.guarantor.name, "Ann Lee");
    assert_eq!(account.guarantor.address.street, ["1 Main St Apt 2"]);
    let found: Vec<_> = export
        .warnings
        .iter()
        .map(|w| (w.kind, w.line, w.column.as_str(), w.value.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (IssueKind::LineBreak, 2, "Guarantor", "Ann Lee"),
            (IssueKind::LineBreak, 2, "Address 1", "1 Main St Apt 2")
        ]
    );
}

#[test]
fn a_blank_balance_is_read_as_nothing_owed_with_a_warning() {
    let read = |text: &str| {
        let columns = "account = \"Account\"\nguarantor = \"Guarantor\"\naddress1 = \"Address 1\"\n\
                           city = \"City\"\nstate = \"State\"\nzip = \"ZIP\"\nservice_date = \"Service Date\"\n";
        let charge = if text.contains(",Charge,") {
            "charge = \"Charge\"\nbalance = \"Balance\"\n"
        } else {
            "balance = \"Balance Due\"\n"
        };
        let input: Input = toml::from_str(&format!("[columns]\n{columns}{charge}")).unwrap();
        read_export_from("test.csv", text.as_bytes(), &input, as_of()).unwrap()
    };
    let warned = |export: &Export| -> Vec<_> {
        export
            .warnings
            .iter()
            .map(|w| (w.kind, w.line, w.column.clone(), w.value.clone()))
            .collect()
    };
    let statement = read(
        "Account,Guarantor,Address 1,City,State,ZIP,Service Date,Balance Due\n\
             A1,Ann Lee,1 Main St,Eugene,OR,97401,2026-06-05,120.00\n\
             A2,Bo Diaz,2 Oak Ave,Eugene,OR,97402,2026-06-06,\n",
    );
    let balances: Vec<_> =
        statement.accounts.iter().map(|a| (a.id.as_str(), a.balance())).collect();
    assert_eq!(balances, [("A1", Cents(12000)), ("A2", Cents::ZERO)]);
    assert_eq!(
        warned(&statement),
        [(IssueKind::BlankBalance, 3, "Balance Due".to_string(), String::new())]
    );
    assert_eq!(
        statement.accounts[1].blank_balance_lines(),
        [3],
        "held as blank_balance, not as paid"
    );

    let lines = read(
        "Account,Guarantor,Address 1,City,State,ZIP,Service Date,Charge,Balance\n\
             A1,Ann Lee,1 Main St,Eugene,OR,97401,2026-06-05,80.00,\n\
             A1,Ann Lee,1 Main St,Eugene,OR,97401,2026-06-07,,\n\
             A1,Ann Lee,1 Main St,Eugene,OR,97401,2026-06-09,40.00,15.00\n",
    );
    assert_eq!(lines.accounts[0].balance(), Cents(1500));
    assert_eq!(
        warned(&lines),
        [(IssueKind::BlankBalance, 2, "Balance".to_string(), String::new())]
    );
    assert_eq!(lines.accounts[0].blank_balance_lines(), [2]);
}

#[test]
fn an_amount_too_large_to_add_up_is_rejected_not_wrapped() {
    let row = |line: &str| {
        format!(
            "A1,Ann Lee,1 Main St,,Eugene,OR,97401,2026-01-0{line},Visit,92233720368547758.07,,,en,N,N,N\n"
        )
    };
    let export = read(&(row("5") + &row("6")));
    assert!(export.accounts.iter().all(|a| a.charges.is_empty()), "no charge is kept");
    let found: Vec<_> =
        export.rejects.iter().map(|r| (r.kind, r.line, r.column.as_str())).collect();
    assert_eq!(found, [(IssueKind::BadAmount, 2, "Charge"), (IssueKind::BadAmount, 3, "Charge")]);
    assert!(
        export.rejects[0].reason.contains("more than any one amount"),
        "{}",
        export.rejects[0].reason
    );
}

#[test]
fn a_credit_written_the_other_way_round_is_a_reversal_that_adds_to_the_balance() {
    let export = read(
        "A1,Ann Lee,1 Main St,,Eugene,OR,97401,2026-01-05,Visit,100.00,(30.00),,en,N,N,N\n\
             A2,Bo Diaz,2 Oak Ave,,Eugene,OR,97401,2026-01-05,Visit,100.00,-20.00,5.00,en,N,N,N\n\
             A3,Cy Park,3 Elm St,,Eugene,OR,97401,2026-01-05,Visit,100.00,50.00,,en,N,N,N\n\
             A3,Cy Park,3 Elm St,,Eugene,OR,97401,2026-01-06,Visit,10.00,,(2.00),en,N,N,N\n",
    );
    assert!(export.rejects.is_empty(), "{:?}", export.rejects);
    let found: Vec<_> =
        export.accounts.iter().map(|a| (a.id.as_str(), a.balance(), a.reversals.clone())).collect();
    let reversal = |line, column: &str, value: &str| Reversal {
        line,
        column: column.into(),
        value: value.into(),
    };
    assert_eq!(
        found,
        [
            ("A1", Cents(7000), vec![]),
            // The only adjustments are one each way: positive is the usual way.
            ("A2", Cents(7500), vec![]),
            (
                "A3",
                Cents(16200),
                vec![reversal(4, "Payments", "50.00"), reversal(5, "Adjustments", "(2.00)")]
            ),
        ]
    );
}

/// An export with `header` read through the mapping `mapping` (TOML of
/// an `[input]` section's settings, columns under `[columns]`).
fn read_mapped(mapping: &str, header: &str, body: &str) -> Export {
    let input: Input = toml::from_str(mapping).unwrap();
    read_export_from("t.csv", format!("{header}\n{body}").as_bytes(), &input, as_of()).unwrap()
}

const PAID_IN_TWO: &str = "[columns]\naccount = \"Acct\"\nguarantor = \"Name\"\naddress1 = \"Street\"\n\
        city = \"City\"\nstate = \"St\"\nzip = \"Zip\"\nservice_date = \"DOS\"\ncharge = \"Charge\"\n\
        payments = [\"InsPaid\", \"PatPaid\"]\ninsurance_pending = { nonzero = \"InsPending\" }\n";

#[test]
fn payments_in_two_columns_are_both_taken_off_each_with_its_own_sign() {
    let header = "Acct,Name,Street,City,St,Zip,DOS,Charge,InsPaid,PatPaid,InsPending";
    let export = read_mapped(
        PAID_IN_TWO,
        header,
        "P1,Ann Lee,1 Main St,Eugene,OR,97401,2026-01-05,100.00,60.00,-10.00,0.00\n\
             P2,Bo Diaz,2 Oak Ave,Eugene,OR,97401,2026-01-05,100.00,50.00,-20.00,\n\
             P3,Cy Park,3 Elm St,Eugene,OR,97401,2026-01-05,100.00,40.00,25.00,108.00\n",
    );
    assert!(export.rejects.is_empty(), "{:?}", export.rejects);
    let found: Vec<_> = export.accounts.iter().map(|a| (a.balance(), a.reversals.len())).collect();
    // InsPaid is written positive, PatPaid negative: P3's 25.00 in
    // PatPaid is a returned check, which adds to what is owed.
    assert_eq!(found, [(Cents(3000), 0), (Cents(3000), 0), (Cents(8500), 1)]);
    assert_eq!(export.accounts[2].reversals[0].column, "PatPaid");
    let pending: Vec<bool> = export.accounts.iter().map(|a| a.flags.insurance_pending).collect();
    assert_eq!(pending, [false, false, true], "an amount pending with insurance is the flag");
    let bad = read_mapped(
        PAID_IN_TWO,
        header,
        "P4,Ann Lee,1 Main St,Eugene,OR,97401,2026-01-05,1.00,,,soon\n",
    );
    assert_eq!(
        (bad.rejects[0].column.as_str(), bad.rejects[0].kind),
        ("InsPending", IssueKind::BadFlag)
    );
}

#[test]
fn a_balance_that_is_not_the_charge_less_its_credits_is_warned_of() {
    let mapping = "[columns]\naccount = \"Acct\"\nguarantor = \"Name\"\naddress1 = \"Street\"\ncity = \"City\"\n\
            state = \"St\"\nzip = \"Zip\"\nservice_date = \"DOS\"\ncharge = \"Charge\"\npayments = \"Paid\"\n\
            balance = \"Balance\"\n";
    let export = read_mapped(
        mapping,
        "Acct,Name,Street,City,St,Zip,DOS,Charge,Paid,Balance",
        "B1,Ann Lee,1 Main St,Eugene,OR,97401,2026-01-05,100.00,30.00,70.00\n\
             B2,Bo Diaz,2 Oak Ave,Eugene,OR,97401,2026-01-05,100.00,30.00,50.00\n",
    );
    assert_eq!(export.warnings.len(), 1, "{:?}", export.warnings);
    let warning = &export.warnings[0];
    assert_eq!(
        (warning.kind, warning.account.as_str(), warning.value.as_str()),
        (IssueKind::BalanceDiffers, "B2", "50.00")
    );
    assert_eq!(export.accounts[1].balance(), Cents(5000), "the letter states the balance");
}

#[test]
fn a_credit_is_warned_with_its_column_and_its_value_as_written() {
    let mapping = "[columns]\naccount = \"Acct\"\nguarantor = \"Name\"\naddress1 = \"Street\"\ncity = \"City\"\n\
            state = \"St\"\nzip = \"Zip\"\nservice_date = \"DOS\"\nbalance = \"Balance\"\n";
    let export = read_mapped(
        mapping,
        "Acct,Name,Street,City,St,Zip,DOS,Balance",
        "C1,Ann Lee,1 Main St,Eugene,OR,97401,2026-01-05,($0.70)\n",
    );
    let warning = &export.warnings[0];
    assert_eq!((warning.column.as_str(), warning.value.as_str()), ("Balance", "($0.70)"));
}

#[test]
fn a_repeated_row_is_rejected_naming_the_setting_or_kept_when_the_export_means_it() {
    let header = "Acct,Name,Street,City,St,Zip,DOS,Charge";
    let base = "[columns]\naccount = \"Acct\"\nguarantor = \"Name\"\naddress1 = \"Street\"\ncity = \"City\"\n\
            state = \"St\"\nzip = \"Zip\"\nservice_date = \"DOS\"\ncharge = \"Charge\"\n";
    let rows = "V1,Ann Lee,1 Main St,Eugene,OR,97401,2026-01-05,25.00\n\
                    V1,Ann Lee,1 Main St,Eugene,OR,97401,2026-01-05,25.00\n";
    let rejected = read_mapped(base, header, rows);
    assert_eq!(rejected.rejects.len(), 1);
    assert!(
        rejected.rejects[0].reason.contains("duplicate_rows = \"keep\""),
        "{}",
        rejected.rejects[0].reason
    );
    let kept = read_mapped(&format!("duplicate_rows = \"keep\"\n{base}"), header, rows);
    assert!(kept.rejects.is_empty());
    assert_eq!(kept.accounts[0].balance(), Cents(5000), "two vaccines, two charges");
    assert_eq!(kept.warnings[0].kind, IssueKind::DuplicateKept);
}

#[test]
fn confidential_columns_readdress_and_a_part_missing_or_another_address_rejects() {
    let mut input = Input::default();
    let c = &mut input.columns;
    c.confidential_name = Some(Field::from("Alt Name"));
    c.confidential_address1 = Some(Field::from("Alt Street"));
    c.confidential_city = Some(Field::from("Alt City"));
    c.confidential_state = Some(Field::from("Alt St"));
    c.confidential_zip = Some(Field::from("Alt Zip"));
    let header = HEADER.replace('\n', ",Alt Name,Alt Street,Alt City,Alt St,Alt Zip\n");
    let row = "1 Main St,,Eugene,OR,97401,2026-10-05,Visit,60.00,,,en,N,N,N";
    let body = format!(
        "A1,Ann Lee,{row},Ann Lee,PO Box 7,Eugene,or,974401234\n\
         A1,Ann Lee,{row},,,,,\n\
         A1,Ann Lee,{row},Ann Lee,PO Box 8,Eugene,OR,97440\n\
         A2,Bo Diaz,{row},,PO Box 9,Eugene,,97440\n\
         A3,Cy Park,{row},,,,,\n"
    );
    let read = |input: &Input| {
        read_export_from("t.csv", format!("{header}{body}").as_bytes(), input, as_of()).unwrap()
    };
    let export = read(&input);
    let a1 = &export.accounts[0];
    assert_eq!(a1.confidential, Some(crate::model::Confidential::Export { line: 2 }));
    assert_eq!(a1.guarantor.address.one_line(), "PO Box 7, Eugene, OR 97440-1234");
    assert_eq!(export.accounts[2].confidential, None, "no confidential columns filled");
    let found: Vec<_> =
        export.rejects.iter().map(|r| (r.kind, r.line, r.column.as_str())).collect();
    assert_eq!(
        found,
        [(IssueKind::ConfidentialAddress, 4, ""), (IssueKind::ConfidentialAddress, 5, "Alt St")],
        "another address on a later row; a part missing"
    );
    assert_eq!(
        (a1.rejected_lines.clone(), export.accounts[1].rejected_lines.clone()),
        (vec![4], vec![5])
    );
}

#[test]
fn an_account_has_one_good_faith_estimate() {
    let mut input = Input::default();
    input.columns.good_faith_estimate = Some(Field::from("GFE"));
    let header = HEADER.replace('\n', ",GFE\n");
    let body = "A1,Ann Lee,1 Main St,,Eugene,OR,97401,2026-01-05,Visit,600.00,,,en,N,N,N,\n\
                    A1,Ann Lee,1 Main St,,Eugene,OR,97401,2026-01-06,Lab,300.00,,,en,N,N,N,$500.00\n\
                    A2,Bo Diaz,2 Oak Ave,,Eugene,OR,97401,2026-01-05,Visit,80.00,,,en,N,N,N,50.00\n\
                    A2,Bo Diaz,2 Oak Ave,,Eugene,OR,97401,2026-01-06,Lab,90.00,,,en,N,N,N,60.00\n";
    let export =
        read_export_from("t.csv", format!("{header}{body}").as_bytes(), &input, as_of()).unwrap();
    let estimates: Vec<_> =
        export.accounts.iter().map(|a| (a.id.as_str(), a.good_faith_estimate)).collect();
    assert_eq!(estimates, [("A1", Some(Cents(50_000))), ("A2", Some(Cents(5_000)))]);
    let found: Vec<_> = export.rejects.iter().map(|r| (r.kind, r.line, r.value.as_str())).collect();
    assert_eq!(found, [(IssueKind::EstimateDiffers, 5, "$60.00")]);
    assert_eq!(
        export.accounts[1].rejected_lines,
        [5],
        "the account is held, not mailed on one estimate"
    );
}

/// An amount written the way one of the export systems would.
fn written(cents: i64, style: u8) -> String {
    let c = Cents(cents);
    let plain = format!("{}.{:02}", cents.abs() / 100, cents.abs() % 100);
    match (cents < 0, style % 4) {
        (false, 0) => plain,
        (false, 1) => format!("\"{}\"", c),
        (false, _) => format!("\"{}\"", &c.to_string()[1..]),
        (true, 0) => format!("({plain})"),
        (true, 1) => format!("{plain}-"),
        (true, 2) => format!("{plain} CR"),
        (true, _) => format!("-{plain}"),
    }
}

/// Reads `path` whole and in partitions, and asserts that both find the
/// same accounts, rows, rejects and warnings.
fn partitions_agree_with_whole(path: &Path, input: &Input) {
    let file = path.display();
    let whole = read_export(path, input, as_of()).unwrap();
    let mut seen = Vec::new();
    let tally = tally_export(path, input, as_of(), |accounts| {
        seen.extend(
            accounts
                .iter()
                .map(|a| (a.id.clone(), a.balance(), a.charges.len(), a.rejected_lines.clone())),
        )
    })
    .unwrap();
    seen.sort();
    let expected: Vec<_> = whole
        .accounts
        .iter()
        .map(|a| (a.id.clone(), a.balance(), a.charges.len(), a.rejected_lines.clone()))
        .collect();
    assert_eq!(seen, expected, "{file}");
    assert_eq!((tally.rows, tally.accounts), (whole.rows, whole.accounts.len() as u64), "{file}");
    // Two records can start on one line (split by a lone carriage
    // return, which no editor shows as a line break); the tally orders
    // issues by line only, so compare in a fuller order.
    let ordered = |mut issues: Vec<Issue>| {
        issues.sort_by(|a, b| {
            (a.line, &a.reason, &a.value, &a.account)
                .cmp(&(b.line, &b.reason, &b.value, &b.account))
        });
        issues
    };
    assert_eq!(ordered(tally.rejects), ordered(whole.rejects), "{file}");
    assert_eq!(ordered(tally.warnings), ordered(whole.warnings), "{file}");
    assert_eq!(tally.sha256, whole.sha256);
}

#[test]
fn a_last_first_name_with_a_part_missing_is_rejected_and_a_single_name_kept() {
    let input: Input =
        toml::from_str(&std::fs::read_to_string("sample-data/mappings/last-first.toml").unwrap())
            .unwrap();
    let header = "Account,Patient Name,Address,City,State,ZIP,Oldest DOS,Balance,Acct Status\n";
    let rows =
        ["\"Reyes, Daniel\"", "\", John\"", "\"Smith,\"", "\"Smith, John, Jr., III\"", "Cher"]
            .iter()
            .enumerate()
            .map(|(i, name)| format!("A{i},{name},1 Main St,Eugene,OR,97401,2026-06-01,$100.00,\n"))
            .collect::<String>();
    let export =
        read_export_from("lf.csv", format!("{header}{rows}").as_bytes(), &input, as_of()).unwrap();
    let rejected: Vec<_> =
        export.rejects.iter().map(|r| (r.kind, r.line, r.value.as_str())).collect();
    assert_eq!(
        rejected,
        [
            (IssueKind::BadName, 3, ", John"),
            (IssueKind::BadName, 4, "Smith,"),
            (IssueKind::BadName, 5, "Smith, John, Jr., III")
        ]
    );
    let named: Vec<_> = export
        .accounts
        .iter()
        .filter(|a| !a.charges.is_empty())
        .map(|a| a.guarantor.name.as_str())
        .collect();
    assert_eq!(named, ["Daniel Reyes", "Cher"]);
    let warned: Vec<_> = export.warnings.iter().map(|w| (w.kind, w.line)).collect();
    assert_eq!(warned, [(IssueKind::NameNotSplit, 6)]);
}

#[test]
fn tallying_in_partitions_finds_what_reading_whole_finds() {
    let config: crate::config::Config =
        toml::from_str(&std::fs::read_to_string("sample-data/kindly.toml").unwrap()).unwrap();
    let statement: Input =
        toml::from_str(&std::fs::read_to_string("sample-data/mappings/statement.toml").unwrap())
            .unwrap();
    for (file, input) in [
        ("sample-data/export.csv", &config.input),
        ("sample-data/statement-export.csv", &statement),
    ] {
        partitions_agree_with_whole(Path::new(file), input);
    }
}

proptest! {
    #[test]
    fn balances_add_up_to_the_rows(rows in proptest::collection::vec((0u8..5, -500_000i64..5_000_000, 0u8..8, 0i64..400_000), 1..40)) {
        let mut body = String::new();
        let mut total = Cents::ZERO;
        for (i, (account, charge, style, paid)) in rows.iter().enumerate() {
            let paid = (*paid).min(charge.abs());
            body.push_str(&format!(
                "A{account},Ann Lee,1 Main St,,Eugene,OR,97401,2026-01-05,Visit {i},{},{},,en,N,N,N\n",
                written(*charge, *style),
                written(paid, *style),
            ));
            total += Cents(*charge) - Cents(paid);
        }
        let export = read(&body);
        prop_assert!(export.rejects.is_empty(), "{:?}", export.rejects);
        let sum: Cents = export.accounts.iter().map(Account::balance).sum();
        prop_assert_eq!(sum, total);
    }

    /// Whichever way an export writes its payments, one written the
    /// other way adds to the balance and marks its account, and only
    /// that one.
    #[test]
    fn a_payment_against_the_export_s_way_is_a_reversal(
        negative in any::<bool>(),
        rows in proptest::collection::vec((0u8..5, 0i64..5_000_000, 0u8..8, 1i64..400_000, 0u8..6), 1..40),
    ) {
        prop_assume!(rows.iter().filter(|r| r.4 == 0).count() * 2 < rows.len());
        let (mut body, mut expected) = (String::new(), BTreeMap::new());
        for (i, (account, charge, style, paid, reversed)) in rows.iter().enumerate() {
            let reversed = *reversed == 0;
            let written_paid = if negative != reversed { -*paid } else { *paid };
            body.push_str(&format!(
                "A{account},Ann Lee,1 Main St,,Eugene,OR,97401,2026-01-05,Visit {i},{},{},,en,N,N,N\n",
                written(*charge, *style),
                written(written_paid, *style),
            ));
            let entry = expected.entry(format!("A{account}")).or_insert((Cents::ZERO, false));
            entry.0 += Cents(*charge) + if reversed { Cents(*paid) } else { -Cents(*paid) };
            entry.1 |= reversed;
        }
        let export = read(&body);
        prop_assert!(export.rejects.is_empty(), "{:?}", export.rejects);
        let found: BTreeMap<_, _> =
            export.accounts.iter().map(|a| (a.id.clone(), (a.balance(), !a.reversals.is_empty()))).collect();
        prop_assert_eq!(found, expected);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut input = HEADER.as_bytes().to_vec();
        input.extend(bytes);
        if let Ok(export) = read_export_from("f.csv", &input[..], &Input::default(), as_of()) {
            let kept: usize = export.accounts.iter().map(|a| a.charges.len()).sum();
            prop_assert_eq!(kept as u64 + export.rejects.len() as u64, export.rows);
        }
    }

    /// Partition files keep rows as read (quotes, line breaks and
    /// invisible characters inside fields, short and long rows), so
    /// parsing them later finds what parsing the export at once does.
    #[test]
    fn partitions_read_messy_rows_as_the_whole_export_does(
        body in "(A[12\u{200B}]{1,2}|\"A1\r\n\"|[A-Za-z0-9 ]{0,6}|\"[,\"\r\n x]{0,4}\")?(,([A-Za-z0-9 ./-]{0,8}|\"[,\"\r\n\u{202E}x]{0,4}\")){0,16}(\r?\n(A[12\u{200B}]{1,2},Ann Lee,1 Main St,,Eugene,OR,97401,2026-01-0[1-9],Visit,1[0-9].00,,,en,N,N,N)?){1,3}"
    ) {
        static FILES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = FILES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("kindly-partitions-{}-{n}.csv", std::process::id()));
        std::fs::write(&path, format!("{HEADER}{body}")).unwrap();
        partitions_agree_with_whole(&path, &Input::default());
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn no_input_panics_and_every_row_is_accounted_for(body in "[A-Za-z0-9,\"$().\\- \n/]{0,400}") {
        let export = read_export_from("p.csv", format!("{HEADER}{body}").as_bytes(), &Input::default(), as_of()).unwrap();
        let kept: usize = export.accounts.iter().map(|a| a.charges.len()).sum();
        prop_assert_eq!(kept as u64 + export.rejects.len() as u64, export.rows);
    }
}
