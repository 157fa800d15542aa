//! Patient data is data: whatever a name or address holds, it prints as
//! written and never runs as Typst code.

use crate::common::*;
use crate::pdf;

#[test]
fn markup_in_patient_data_prints_literally() {
    let dir = scratch("safety");
    let names = ["#panic(\"x\")", "*]_$ //", "Zoë O'Brien-Núñez", "= Heading <label> @ref", "`raw` \\ 1. #{1+1}"];
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
    assert_eq!(std::fs::read_dir(out.join("letters")).unwrap().count(), 1, "no PDF for the held letter");
}
