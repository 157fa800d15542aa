//! `kindly lint`, and `kindly run` refusing wording that fails its checks.

use std::path::Path;

use crate::common::*;

fn lint(layouts: &Path) -> (Option<i32>, String) {
    lint_with(&config(), layouts)
}

fn lint_with(config: &Path, layouts: &Path) -> (Option<i32>, String) {
    let output = kindly(&[
        "lint",
        "--config",
        config.to_str().unwrap(),
        "--layouts",
        layouts.to_str().unwrap(),
    ]);
    (output.status.code(), String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn the_shipped_wording_passes() {
    let (code, report) = lint(&repo().join("layouts"));
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(
        report.lines().filter(|l| l.ends_with(')') && l.contains(": ok (")).count(),
        8,
        "{report}"
    );
}

#[test]
fn threats_missing_facts_and_hard_sentences_are_named() {
    let dir = scratch("lint");
    let layouts = layouts_with(&dir, "wording/en/reminder.typ.j2", |t| {
        t.replace(
            "If you have already paid, thank you, and please ignore this letter.",
            "Notwithstanding any previous correspondence, the aforementioned outstanding obligation remains immediately \
             due and payable in accordance with the applicable contractual provisions, and nonpayment may result in \
             wage garnishment.",
        )
        .replace("{% include \"en/_closing.typ.j2\" %}", "Sincerely,\n#signature")
    });
    let (code, report) = lint(&layouts);
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("wording/en/reminder.typ.j2: PROBLEMS"), "{report}");
    assert!(
        report.contains("reading grade: Flesch-Kincaid grade")
            && report.contains("Notwithstanding"),
        "{report}"
    );
    assert!(report.contains("forbidden phrase: \"garnish\" in: \"Notwithstanding"), "{report}");
    assert!(report.contains("required: no sentence gives the office hours"), "{report}");
    assert!(report.contains("required: no sentence gives thanks"), "{report}");
    assert!(
        report.contains("wording/en/plan_offer.typ.j2: ok"),
        "only the edited template fails: {report}"
    );

    // And a run with that wording does not start.
    let export = write_export(
        &dir,
        "100,Ann Lee,1 Main St,,Eugene,OR,97401,2026-07-01,Visit,120.00,,,en,N,N,N,N\n",
    );
    let out = dir.join("run");
    let run = run_with(&config(), &export, &out, &["--layouts", layouts.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        stderr(&run).contains("wording/en/reminder.typ.j2: forbidden phrase"),
        "{}",
        stderr(&run)
    );
    assert!(!out.exists());
}

#[test]
fn credit_reporting_language_must_be_conditional() {
    let dir = scratch("lint-credit");
    let sentence = "Unpaid balances may be sent to a credit bureau.";
    let plain = layouts_with(&dir, "wording/en/final_notice.typ.j2", |t| {
        t.replace("#services", &format!("{sentence}\n\n#services"))
    });
    let (code, report) = lint(&plain);
    assert_eq!(code, Some(1), "{report}");
    assert!(
        report.contains("credit reporting: \"credit bureau\" in \"Unpaid balances"),
        "{report}"
    );

    let dir = scratch("lint-credit-if");
    let guarded = layouts_with(&dir, "wording/en/final_notice.typ.j2", |t| {
        t.replace(
            "#services",
            &format!("{{% if credit_reporting_possible %}}{sentence}{{% endif %}}\n\n#services"),
        )
    });
    let (code, report) = lint(&guarded);
    assert_eq!(code, Some(0), "{report}");
}

#[test]
fn a_credit_phrase_written_with_capitals_names_its_sentence() {
    let dir = scratch("lint-credit-capitals");
    let sentence = "Unpaid balances may be sent to a credit bureau.";
    let layouts = layouts_with(&dir, "wording/en/final_notice.typ.j2", |t| {
        t.replace("#services", &format!("{sentence}\n\n#services"))
    });
    let config = config_with(&dir, |t| t.replace("\"credit bureau\"", "\"Credit Bureau\""));
    let (code, report) = lint_with(&config, &layouts);
    assert_eq!(code, Some(1), "{report}");
    assert!(
        report.contains(&format!("credit reporting: \"Credit Bureau\" in {sentence:?}")),
        "{report}"
    );
}

#[test]
fn a_reader_that_stops_early_is_not_a_crash() {
    use std::process::Stdio;
    // Both ends are closed before kindly writes (it loads the layouts
    // first), as `kindly lint | head -0` would: no panic, its own exit code.
    let mut child = command(&["lint", "--config", config().to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    drop(child.stderr.take());
    assert_eq!(child.wait().unwrap().code(), Some(0));
}
