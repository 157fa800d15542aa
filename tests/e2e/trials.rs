//! A wording trial over four months of one practice whose patients answer
//! the warm reminder more often (`sample-export --months --trial`): every
//! reminder is in one variant, an account keeps its variant, the variant is
//! in audit.csv, the manifest, the ledger and `kindly history`, each
//! variant's letter has its own words, and `kindly outcomes` finds the
//! effect the generator put in, with the truth inside its interval.

use std::collections::BTreeMap;

use crate::common::*;

const MONTHS: [&str; 4] = ["2026-08-31", "2026-09-30", "2026-10-31", "2026-11-30"];

const TRIAL: &str =
    "\n[trials.warm-reminder]\nstage = \"reminder\"\nvariants = { usual = 50, warm = 50 }\n";

/// The first reminders' true difference in the share followed by a
/// payment: of the 45% of patients who would never pay, 40% answer the
/// warm wording and 10% the usual one (`kindly::synth`).
fn truth() -> f64 {
    let (warm, usual) = (kindly::synth::WARM_ANSWER_PERCENT, kindly::synth::USUAL_ANSWER_PERCENT);
    0.45 * (warm - usual) as f64 / 100.0
}

#[test]
fn a_wording_trial_is_kept_recorded_and_its_effect_found() {
    let dir = scratch("trials");
    let config = config_with(&dir, |c| c.replace("escalation = \"by_age\"\n", "") + TRIAL);
    let exports = dir.join("exports");
    sample_months(&exports, (1_000, 11), MONTHS[0], 4, &["--trial"]);
    let ledger = dir.join("runs").join(kindly::practice::LEDGER_FILE);
    let ledger = ledger.to_str().unwrap();
    let mut variant_of: BTreeMap<String, String> = BTreeMap::new();
    let mut runs = Vec::new();
    for as_of in MONTHS {
        let out = dir.join("runs").join(as_of);
        let export = exports.join(format!("export-{as_of}.csv"));
        let output = run_as_of(&config, &export, &out, as_of, &[]);
        assert!(output.status.success(), "{}", stderr(&output));
        let manifest: BTreeMap<String, String> = read_csv(&out.join("manifest.csv"))
            .into_iter()
            .map(|r| (r["piece_id"].clone(), r["wording"].clone()))
            .collect();
        for row in read_csv(&out.join("audit.csv")).iter().filter(|r| r["decision"] == "letter") {
            let wording = &row["wording"];
            assert_eq!(wording, &manifest[&row["piece_id"]], "audit.csv and the manifest agree");
            if row["stage"] != "reminder" {
                assert_eq!(wording, "", "only the reminder is tried: {row:?}");
                continue;
            }
            assert!(
                ["warm-reminder/usual", "warm-reminder/warm"].contains(&wording.as_str()),
                "{row:?}"
            );
            let kept = variant_of.entry(row["account"].clone()).or_insert(wording.clone());
            assert_eq!(kept, wording, "an account keeps its variant from month to month");
        }
        runs.push(out);
    }
    let warm = variant_of.values().filter(|v| v.ends_with("/warm")).count();
    assert!((400..=600).contains(&warm), "about half of {} are warm: {warm}", variant_of.len());

    // Each variant's letter has its own words, read back from the PDF.
    let first = read_csv(&runs[0].join("audit.csv"));
    let letter_of = |variant: &str| {
        let row = first.iter().find(|r| r["wording"] == variant).unwrap();
        let pdf = runs[0].join("letters").join(format!("{}.pdf", row["piece_id"]));
        let text = crate::pdf::read(&std::fs::read(pdf).unwrap()).text();
        (row["account"].clone(), text.split_whitespace().collect::<Vec<_>>().join(" "))
    };
    let (warm_account, warm_text) = letter_of("warm-reminder/warm");
    let (_, usual_text) = letter_of("warm-reminder/usual");
    assert!(warm_text.contains("We will find a way that works for you."), "{warm_text}");
    assert!(!usual_text.contains("We will find a way"), "{usual_text}");
    assert!(usual_text.contains("friendly reminder"), "{usual_text}");

    let history = kindly(&["history", warm_account.as_str(), "--ledger", ledger]);
    assert!(String::from_utf8_lossy(&history.stdout).contains("wording: trial warm-reminder/warm"));

    // The first month's reminders, as the second month saw them: the warm
    // wording was followed by a payment more often, by about the truth.
    let until = kindly(&["outcomes", "--ledger", ledger, "--until", MONTHS[0], "--format", "json"]);
    assert!(until.status.success(), "{}", stderr(&until));
    let json: serde_json::Value = serde_json::from_slice(&until.stdout).unwrap();
    let trial = &json["trials"][0];
    assert_eq!((&trial["baseline"], &trial["variant"]), (&"usual".into(), &"warm".into()));
    let any = &trial["any_payment"];
    let (low, high) =
        (any["interval"]["low"].as_f64().unwrap(), any["interval"]["high"].as_f64().unwrap());
    assert!(low > 0.0, "the effect's sign is found: {trial}");
    assert!(low <= truth() && truth() <= high, "the truth {} is inside {trial}", truth());
    assert!(trial["paid_in_full"]["difference"].as_f64().unwrap() > 0.0, "{trial}");
    let sentence = trial["sentence"].as_str().unwrap();
    assert!(sentence.contains("points more letters followed by a payment"), "{sentence}");

    // All four months: the same sign, the runs read counted, and the
    // sentence in the table and in the last run's report.
    let table = kindly(&["outcomes", "--ledger", ledger]);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains("Wording trials") && table.contains("trial: warm-reminder/warm"),
        "{table}"
    );
    assert!(table.contains("Read after 3 runs"), "{table}");
    let report = std::fs::read_to_string(runs[3].join("report.html")).unwrap();
    assert!(report.contains("<h3>Wording trials</h3>"), "{report}");
    assert!(report.contains("wording warm-reminder/warm"), "a picture of each variant");

    // The dry run's report reads the ledger too.
    let dry = dir.join("dry.html");
    let export = exports.join(format!("export-{}.csv", MONTHS[3]));
    let output = on_export(
        "validate",
        &config,
        &export,
        &["--ledger", ledger, "--report", dry.to_str().unwrap()],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let dry = std::fs::read_to_string(dry).unwrap();
    assert!(dry.contains("<section id=\"outcomes\">") && dry.contains("counted once the next run"));
}

/// The sample run with the trial is the sample run without it but for the
/// words: the same decisions, stages, pieces and envelopes, each reminder in
/// a variant; and two shards merged give the same letters as one machine.
#[test]
fn a_trial_changes_only_the_words_and_shards_agree() {
    let dir = scratch("trials-words");
    let config = config_with(&dir, |c| c.to_string() + TRIAL);
    let out = dir.join("whole");
    let output = run_with(&config, &sample_export(), &out, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let without = read_csv(&sample_run().join("audit.csv"));
    let with = read_csv(&out.join("audit.csv"));
    assert_eq!(without.len(), with.len());
    let mut variants = BTreeMap::new();
    for (a, b) in without.iter().zip(&with) {
        let mut b = b.clone();
        let wording = b.insert("wording".into(), String::new()).unwrap();
        assert_eq!(a, &b, "only the wording differs");
        assert_eq!(
            wording.is_empty(),
            a["stage"] != "reminder" || a["decision"] != "letter",
            "{a:?}"
        );
        *variants.entry(wording).or_insert(0) += 1;
    }
    assert!(
        variants["warm-reminder/usual"] > 20 && variants["warm-reminder/warm"] > 20,
        "{variants:?}"
    );

    let shards = crate::shards::shard_runs(&dir, 2, &config);
    let merged = dir.join("merged");
    let output =
        crate::shards::merge(&shards.iter().map(String::as_str).collect::<Vec<_>>(), &merged);
    assert!(output.status.success(), "{}", stderr(&output));
    let (a, b) = (crate::shards::files(&out), crate::shards::files(&merged));
    assert_eq!(a.len(), b.len());
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{name} differs between the unsharded and the merged run");
    }
}
