//! Patient data is data: whatever a name or address holds, it prints as
//! written and never runs as Typst code. And a balance kindly would have to
//! guess at is never mailed.

use crate::common::*;
use crate::pdf;

#[test]
fn markup_in_patient_data_prints_literally() {
    let dir = scratch("safety");
    let names = [
        "#panic(\"x\")",
        "*]_$ //",
        "Zoë O'Brien-Núñez",
        "= Heading <label> @ref",
        "`raw` \\ 1. #{1+1}",
    ];
    let rows: String = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let quoted = format!("\"{}\"", name.replace('"', "\"\""));
            format!(
                "{},{quoted},{} #emph[x] St,,Eugene,OR,97401,2026-07-01,Visit $x$ _y_,120.00,,,en,N,N,N,N\n",
                200 + i,
                10 + i
            )
        })
        .collect();
    let export = write_export(&dir, &rows);
    let out = dir.join("run");
    run_ok(&export, &out, &[]);
    let manifest = read_csv(&out.join("manifest.csv"));
    let mut printed: Vec<&str> = manifest.iter().map(|r| r["recipient_name"].as_str()).collect();
    printed.sort();
    let mut expected = names.to_vec();
    expected.sort();
    assert_eq!(printed, expected, "every letter rendered, with the name as written");
    for row in &manifest {
        let name = &row["recipient_name"];
        let text = pdf::read(&std::fs::read(out.join(&row["file"])).unwrap()).text();
        assert!(text.contains(&format!("Dear {name},")), "{name:?} not literal in\n{text}");
        assert!(text.contains("#emph[x] St"), "{text}");
        assert!(text.contains("Visit $x$ _y_"), "{text}");
    }
}

#[test]
fn an_address_too_long_for_the_window_is_held_not_clipped_or_shrunk() {
    let dir = scratch("long-address");
    let export = write_export(
        &dir,
        "300,Maximiliana Alessandra Bartholomew-Fitzgerald Worthington-Smythe,1 Main St,,Eugene,OR,97401,2026-07-01,Visit,120.00,,,en,N,N,N,N\n\
         301,Ann Lee,1 Main St,,Eugene,OR,97401,2026-07-01,Visit,120.00,,,en,N,N,N,N\n",
    );
    let out = dir.join("run");
    run_ok(&export, &out, &[]);
    let manifest = read_csv(&out.join("manifest.csv"));
    assert_eq!(manifest.len(), 1);
    assert_eq!(manifest[0]["recipient_name"], "Ann Lee");
    let holds = read_csv(&out.join("holds.csv"));
    assert_eq!(holds.len(), 1);
    assert_eq!(holds[0]["account"], "300");
    assert_eq!(holds[0]["reason_code"], "preflight");
    assert!(holds[0]["reason"].contains("past the window"), "{}", holds[0]["reason"]);
    assert_eq!(
        std::fs::read_dir(out.join("letters")).unwrap().count(),
        1,
        "no PDF for the held letter"
    );
}

#[test]
fn a_payment_written_the_other_way_round_holds_its_account() {
    let dir = scratch("reversal");
    // This export writes payments negative; 402's positive one is a bounced
    // check or a refund, which adds to what is owed.
    let export = write_export(
        &dir,
        "400,Ann Lee,1 Main St,,Eugene,OR,97401,2026-07-01,Visit,120.00,(20.00),,en,N,N,N,N\n\
         401,Bo Diaz,2 Oak Ave,,Eugene,OR,97401,2026-07-01,Visit,120.00,-30.00,,en,N,N,N,N\n\
         402,Cy Park,3 Elm St,,Eugene,OR,97401,2026-07-01,Visit,120.00,50.00,,en,N,N,N,N\n",
    );
    let out = dir.join("run");
    run_ok(&export, &out, &[]);
    let manifest = read_csv(&out.join("manifest.csv"));
    let mut mailed: Vec<&str> = manifest.iter().map(|r| r["recipient_name"].as_str()).collect();
    mailed.sort();
    assert_eq!(mailed, ["Ann Lee", "Bo Diaz"]);
    let holds = read_csv(&out.join("holds.csv"));
    assert_eq!(holds.len(), 1, "{holds:?}");
    let hold = &holds[0];
    assert_eq!((hold["account"].as_str(), hold["reason_code"].as_str()), ("402", "reversal"));
    assert_eq!(hold["balance"], "$170.00", "the reversal adds to what is owed");
    assert!(hold["reason"].contains("Payments \"50.00\" on line 4"), "{}", hold["reason"]);
}

#[test]
fn a_bill_well_over_the_good_faith_estimate_is_held() {
    let dir = scratch("estimate");
    let config = config_with(&dir, |t| {
        t.replace(
            "large_print = \"Large Print\"\n",
            "large_print = \"Large Print\"\ngood_faith_estimate = \"GFE\"\n",
        )
    });
    let export = dir.join("export.csv");
    let rows = "\
500,Ann Lee,1 Main St,,Eugene,OR,97401,2026-07-01,Visit,600.00,,,en,N,N,N,N,500.00
500,Ann Lee,1 Main St,,Eugene,OR,97401,2026-07-02,Lab work,300.00,,,en,N,N,N,N,
501,Bo Diaz,2 Oak Ave,,Eugene,OR,97401,2026-07-01,Visit,300.00,,,en,N,N,N,N,250.00
";
    std::fs::write(&export, format!("{}{rows}", HEADER.replace('\n', ",GFE\n"))).unwrap();
    let out = dir.join("run");
    let output = run_with(&config, &export, &out, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let manifest = read_csv(&out.join("manifest.csv"));
    assert_eq!(manifest.len(), 1);
    assert_eq!(manifest[0]["recipient_name"], "Bo Diaz", "$50.00 over the estimate is mailed");
    let holds = read_csv(&out.join("holds.csv"));
    assert_eq!(
        (holds[0]["account"].as_str(), holds[0]["reason_code"].as_str()),
        ("500", "over_estimate")
    );
    assert!(
        holds[0]["reason"].contains("billed $900.00, $400.00 more than"),
        "{}",
        holds[0]["reason"]
    );
}

#[test]
fn procedure_and_diagnosis_codes_never_print() {
    let dir = scratch("codes");
    let export = write_export(
        &dir,
        "600,Ann Lee,1 Main St,,Eugene,OR,97401,2026-07-01,99213 - Office visit,120.00,,,en,N,N,N,N\n\
         600,Ann Lee,1 Main St,,Eugene,OR,97401,2026-07-02,\"Lab work, Dx: E11.9\",80.00,,,en,N,N,N,N\n",
    );
    let out = dir.join("run");
    run_ok(&export, &out, &[]);
    let manifest = read_csv(&out.join("manifest.csv"));
    let text = pdf::read(&std::fs::read(out.join(&manifest[0]["file"])).unwrap()).text();
    assert!(text.contains("Office visit") && text.contains("Lab work"), "{text}");
    for code in ["99213", "E11.9", "Dx"] {
        assert!(!text.contains(code), "{code} printed:\n{text}");
    }
    let warnings = read_csv(&out.join("warnings.csv"));
    let kinds: Vec<_> = warnings.iter().map(|w| (w["line"].as_str(), w["kind"].as_str())).collect();
    assert_eq!(kinds, [("2", "code_removed"), ("3", "code_removed")]);
}

/// The characters of a text, decomposed (`ó` and `o` with a combining
/// acute are the same letter, and shaping may print either as the other),
/// without spaces and combining marks: reading a PDF back places a
/// combining mark as a glyph of its own, so where spaces fall around one
/// cannot be read back reliably; every base character, in order, can.
fn letters(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfd()
        .filter(|c| !c.is_whitespace() && !unicode_normalization::char::is_combining_mark(*c))
        .collect()
}

/// `text` in the order its characters stand on paper, left to right, as a
/// PDF is read back: a right-to-left run (`علي` in `علي (Ali)`) reversed,
/// as the Unicode bidirectional algorithm lays it out in a left-to-right
/// line. Typst's layout follows the same algorithm.
fn on_paper(text: &str) -> String {
    let info = unicode_bidi::BidiInfo::new(text, Some(unicode_bidi::Level::ltr()));
    info.paragraphs.iter().map(|p| info.reorder_line(p, p.range.clone()).into_owned()).collect()
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 8, ..Default::default() })]

    /// Whatever a name holds (markup, scripts the fonts lack, invisible and
    /// combining characters, right-to-left scripts), its letter prints it
    /// exactly, less the invisible characters kindly warns about, or the
    /// account is held or the row rejected, with a reason. A name of marks
    /// alone (a variation selector) is no name. Twelve names per run keep it
    /// quick; `proptest-regressions/safety.txt` keeps the draws that failed.
    #[test]
    fn a_name_prints_exactly_or_is_held_with_a_reason(names in proptest::collection::vec(
        proptest::prop_oneof![
            "[A-Za-z #*_$\\[\\]\\\\`<>@=+/'\",.()-]{1,24}",
            "[a-zà-ÿα-ωа-яđạễ\u{0301}\u{200b}\u{202e}\u{ad} ]{1,20}",
            "\\PC{1,10}",
        ],
        12,
    )) {
        let dir = scratch("any-name");
        let mut export = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
        for (i, name) in names.iter().enumerate() {
            let account = format!("{}", 500 + i);
            let row = [account.as_str(), name, "1 Main St", "", "Eugene", "OR", "97401", "2026-07-01", "Visit", "120.00", "", "", "en", "N", "N", "N", "N"];
            export.write_record(row).unwrap();
        }
        let export = write_export(&dir, &String::from_utf8(export.into_inner().unwrap()).unwrap());
        let out = dir.join("run");
        run_ok(&export, &out, &["--overwrite"]);
        let printed = names_in_window(&out);
        let held: std::collections::BTreeMap<String, String> =
            read_csv(&out.join("holds.csv")).into_iter().map(|r| (r["account"].clone(), r["reason"].clone())).collect();
        let rejected: Vec<String> = read_csv(&out.join("rejects.csv")).into_iter().map(|r| r["reason"].clone()).collect();
        for (i, name) in names.iter().enumerate() {
            let account = format!("{}", 500 + i);
            let visible: String = name.chars().filter(|c| !matches!(c, '\u{200b}' | '\u{202e}' | '\u{ad}')).collect();
            match (printed.get(&account), held.get(&account)) {
                (Some(line), None) => proptest::prop_assert_eq!(letters(line), letters(&on_paper(&visible)), "{:?}", name),
                (None, Some(reason)) => proptest::prop_assert!(!reason.is_empty(), "{:?}", name),
                (None, None) => proptest::prop_assert!(rejected.iter().any(|r| !r.is_empty()), "{:?} vanished", name),
                (Some(_), Some(_)) => proptest::prop_assert!(false, "{:?} both printed and held", name),
            }
        }
    }
}
