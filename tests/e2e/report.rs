//! report.html, checked without a browser: it parses, every chart has its
//! numbers as a table, the numbers are run.json's, and nothing in it points
//! outside the file but the run's own letters.

use std::collections::BTreeSet;

use crate::common::*;

fn cells(table: roxmltree::Node) -> Vec<Vec<String>> {
    table
        .descendants()
        .filter(|n| n.has_tag_name("tr") && n.ancestors().any(|a| a.has_tag_name("tbody")))
        .map(|tr| {
            tr.children()
                .filter(|c| c.has_tag_name("td") || c.has_tag_name("th"))
                .map(|c| c.text().unwrap_or_default().to_string())
                .collect()
        })
        .collect()
}

fn section<'a>(doc: &'a roxmltree::Document, id: &str) -> roxmltree::Node<'a, 'a> {
    doc.descendants().find(|n| n.has_tag_name("section") && n.attribute("id") == Some(id)).unwrap()
}

fn first_table<'a>(node: roxmltree::Node<'a, 'a>) -> roxmltree::Node<'a, 'a> {
    node.descendants().find(|n| n.has_tag_name("table")).unwrap()
}

fn sum(rows: &[Vec<String>], column: usize) -> u64 {
    rows.iter().map(|r| r[column].parse::<u64>().unwrap()).sum()
}

fn parse(text: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse_with_options(
        text.strip_prefix("<!DOCTYPE html>").unwrap(),
        roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() },
    )
    .unwrap_or_else(|e| panic!("the report does not parse: {e}"))
}

/// No script, no stylesheet or font from elsewhere, no address.
fn self_contained(doc: &roxmltree::Document, text: &str, allowed_link: impl Fn(&str) -> bool) {
    for node in doc.descendants() {
        assert!(
            !node.has_tag_name("script") && !node.has_tag_name("link"),
            "{:?}",
            node.tag_name()
        );
        if let Some(src) = node.attribute("src") {
            assert!(src.starts_with("data:"), "{src}");
        }
        if let Some(href) = node.attribute("href") {
            assert!(allowed_link(href) && !href.contains(".."), "{href}");
        }
    }
    // (The SVG charts name their XML namespace, which is no address to fetch.)
    let text = text.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!text.contains("http://") && !text.contains("https://"), "no address outside the file");
}

#[test]
fn the_report_has_the_runs_numbers_and_nothing_from_outside() {
    let run = sample_run();
    let record = read_json(&run.join("run.json"));
    let counts = &record["counts"];
    let text = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(record["files"]["report.html"].is_string(), "report.html is listed in run.json");
    let verify = kindly(&["verify", run.to_str().unwrap()]);
    assert!(verify.status.success(), "{}", stderr(&verify));

    let doc = parse(&text);

    // Every chart has a table of its numbers beside it.
    let charts: Vec<_> =
        doc.descendants().filter(|n| n.attribute("class") == Some("chart")).collect();
    assert!(charts.len() >= 5, "{} charts", charts.len());
    for chart in &charts {
        assert!(chart.descendants().any(|n| n.has_tag_name("svg")), "a chart is drawn as SVG");
        let section = chart.parent().unwrap();
        assert!(
            section.children().any(|n| n.has_tag_name("table")),
            "{:?} has no table",
            section.attribute("id")
        );
    }

    // The numbers are run.json's.
    let letters = cells(first_table(section(&doc, "letters")));
    assert_eq!(sum(&letters, 2), counts["letters"].as_u64().unwrap());
    for (stage, n) in counts["letters_by_stage"].as_object().unwrap() {
        let in_report: u64 =
            letters.iter().filter(|r| &r[0] == stage).map(|r| r[2].parse::<u64>().unwrap()).sum();
        assert_eq!(in_report, n.as_u64().unwrap(), "{stage}");
    }
    let holds = cells(first_table(section(&doc, "holds")));
    assert_eq!(sum(&holds, 1), counts["holds"].as_u64().unwrap());
    for (reason, n) in counts["holds_by_reason"].as_object().unwrap() {
        let row = holds
            .iter()
            .find(|r| &r[0] == reason)
            .unwrap_or_else(|| panic!("{reason} is not in the report"));
        assert_eq!(row[1].parse::<u64>().unwrap(), n.as_u64().unwrap(), "{reason}");
    }
    let rejects = cells(first_table(section(&doc, "rejects")));
    assert_eq!(sum(&rejects, 1), counts["rows"]["rejected"].as_u64().unwrap());
    let ages = cells(first_table(section(&doc, "ages")));
    assert_eq!(ages.len(), 5);
    let mail = cells(first_table(section(&doc, "mail")));
    assert_eq!(mail[1][1], counts["pages"].as_u64().unwrap().to_string());
    assert_eq!(mail[2][1], counts["sheets"].as_u64().unwrap().to_string());

    // One picture per stage, language and variant in the manifest, each
    // linked to its letter in the run folder.
    let kinds: BTreeSet<(String, String, String)> = read_csv(&run.join("manifest.csv"))
        .into_iter()
        .map(|r| (r["stage"].clone(), r["language"].clone(), r["variant"].clone()))
        .collect();
    let figures: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("figure")).collect();
    assert_eq!(figures.len(), kinds.len());
    for figure in &figures {
        let img = figure
            .descendants()
            .find(|n| n.has_tag_name("img"))
            .expect("each letter has its picture");
        assert!(img.attribute("src").unwrap().starts_with("data:image/png;base64,"));
        let href = figure.descendants().find_map(|n| n.attribute("href")).unwrap();
        assert!(run.join(href).is_file(), "{href} is a letter of the run");
    }

    // Nothing points outside the file but the run's own letters and proof.
    self_contained(&doc, &text, |href| href.starts_with("letters/") || href == "proof.pdf");
}

/// Runs of two months on one ledger: the second's report says what changed.
#[test]
fn the_report_says_what_changed_since_the_last_run() {
    let dir = scratch("changes");
    let row = |account: &str, name: &str, dispute: &str| {
        format!(
            "{account},{name},1 Main St,,Eugene,OR,97401,2026-10-15,Office visit,120.00,,,en,N,{dispute},N,N\n"
        )
    };
    type Person = (&'static str, &'static str, &'static str);
    let months: [(&str, [Person; 4]); 2] = [
        (
            "2026-11-30",
            [
                ("3000001", "Ann Lee", "N"),
                ("3000002", "Bo Kim", "N"),
                ("3000003", "Cy Park", "Y"),
                ("3000005", "Eve Ng", "N"),
            ],
        ),
        (
            "2026-12-31",
            [
                ("3000001", "Ann Lee", "N"),
                ("3000003", "Cy Park", "Y"),
                ("3000004", "Dee Roy", "N"),
                ("3000005", "Eve Ng", "Y"),
            ],
        ),
    ];
    let mut runs = Vec::new();
    for (as_of, rows) in &months {
        let month = dir.join(as_of);
        std::fs::create_dir_all(&month).unwrap();
        let rows: String =
            rows.iter().map(|(account, name, dispute)| row(account, name, dispute)).collect();
        let export = write_export(&month, &rows);
        let out = dir.join("runs").join(as_of);
        let output = run_as_of(&config(), &export, &out, as_of, &[]);
        assert!(output.status.success(), "{}", stderr(&output));
        runs.push(out);
    }
    let first = std::fs::read_to_string(runs[0].join("report.html")).unwrap();
    assert!(first.contains("The ledger holds no earlier run to compare this one with."));

    let text = std::fs::read_to_string(runs[1].join("report.html")).unwrap();
    let doc = parse(&text);
    let changes = section(&doc, "changes");
    let summary =
        changes.descendants().find(|n| n.has_tag_name("p")).unwrap().text().unwrap().to_string();
    assert!(
        summary.contains("run of 2026-11-30") && summary.contains("Accounts new since then: 1."),
        "{summary}"
    );
    let tables: Vec<_> = changes.descendants().filter(|n| n.has_tag_name("table")).collect();
    let letters = cells(tables[0]);
    let letters_then = read_json(&runs[0].join("run.json"))["counts"]["letters"].as_u64().unwrap();
    let letters_now = read_json(&runs[1].join("run.json"))["counts"]["letters"].as_u64().unwrap();
    assert_eq!((sum(&letters, 1), sum(&letters, 2)), (letters_then, letters_now), "{letters:?}");
    assert_eq!(cells(tables[1]), [["dispute", "1"]], "Eve's dispute is new; Cy's is not");
    assert_eq!(cells(tables[2])[0][0], "3000005");
    let left = cells(tables[3]);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0][0], "3000002", "Bo is not in December's export");
    assert!(left[0][1].ends_with("letter"), "{left:?}");
}

/// `kindly validate --report`: the run's report, for a dry run.
#[test]
fn validate_writes_the_report_of_a_dry_run() {
    let dir = scratch("validate-report");
    let html = dir.join("dry-run.html");
    let output = on_export(
        "validate",
        &config(),
        &sample_export(),
        &["--format", "json", "--report", html.to_str().unwrap()],
    );
    assert!(matches!(output.status.code(), Some(0 | 1)), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let text = std::fs::read_to_string(&html).unwrap();
    let doc = parse(&text);
    let letters = cells(first_table(section(&doc, "letters")));
    let by_stage = json["letters_by_stage"].as_object().unwrap();
    assert_eq!(sum(&letters, 2), by_stage.values().map(|n| n.as_u64().unwrap()).sum::<u64>());
    let holds = cells(first_table(section(&doc, "holds")));
    for (reason, held) in json["holds_by_reason"].as_object().unwrap() {
        let row = holds.iter().find(|r| &r[0] == reason).unwrap_or_else(|| panic!("{reason}"));
        assert_eq!(row[1], held["count"].as_u64().unwrap().to_string(), "{reason}");
    }
    let rejects = cells(first_table(section(&doc, "rejects")));
    assert_eq!(sum(&rejects, 1), json["rejects"]["count"].as_u64().unwrap());
    assert!(
        doc.descendants().all(|n| n.attribute("id") != Some("mail")),
        "no pages or postage before letters are made"
    );
    // A sample letter of each kind the run makes, drawn, with nothing to link to.
    let kinds: BTreeSet<(String, String, String)> = read_csv(&sample_run().join("manifest.csv"))
        .into_iter()
        .map(|r| (r["stage"].clone(), r["language"].clone(), r["variant"].clone()))
        .collect();
    let figures = doc.descendants().filter(|n| n.has_tag_name("figure")).count();
    assert_eq!(figures, kinds.len());
    self_contained(&doc, &text, |_| false);
}

#[test]
fn nothing_goes_to_the_vendor_or_the_mail_before_an_approval_of_the_very_run() {
    let dir = scratch("approval");
    let config = config_with(&dir, |t| {
        t.replace("require_approval = false", "require_approval = true")
            .replace("format = \"generic\"", "format = \"lob\"")
    });
    let export = write_export(
        &dir,
        "3000001,Ann Lee,1 Main St,,Eugene,OR,97401,2026-09-01,Office visit,120.00,,,en,N,N,N,N\n\
         3000002,Bo Kim,2 Oak Ave,,Eugene,OR,97401,2026-07-01,Lab work,80.00,,,en,N,N,N,N\n",
    );
    let (first, second) = (dir.join("runs/first"), dir.join("runs/second"));
    let ledger = ledger_beside(&first);
    let ledger = ledger.to_str().unwrap();
    let output = run_as_of(&config, &export, &first, AS_OF, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    // The run writes no upload file before it is approved.
    assert!(!first.join("lob-letters.jsonl").exists() && !first.join("lob-addresses.csv").exists());
    let handoff = |run: &std::path::Path, out: &str| {
        let out = dir.join(out);
        kindly(&[
            "handoff",
            run.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ])
    };
    let refused = handoff(&first, "before");
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("has not been approved")
            && stderr(&refused).contains("kindly approve"),
        "{}",
        stderr(&refused)
    );
    assert!(!dir.join("before").exists());
    let piece = read_csv(&first.join("manifest.csv"))[0]["piece_id"].clone();
    let mailed =
        kindly(&["mailed", first.to_str().unwrap(), "--date", "2026-12-02", "--ledger", ledger]);
    assert_eq!(mailed.status.code(), Some(2));
    assert!(stderr(&mailed).contains("nobody has approved it"), "{}", stderr(&mailed));
    let marked =
        kindly(&["ledger", "mark", "handed", &piece, "--on", "2026-12-02", "--ledger", ledger]);
    assert_eq!(marked.status.code(), Some(2), "{}", stderr(&marked));

    // An approval dated before the run is a typo, and approves nothing.
    let approve = |run: &std::path::Path, on: &str| {
        kindly(&[
            "approve",
            run.to_str().unwrap(),
            "--by",
            "Dana Whitfield",
            "--on",
            on,
            "--ledger",
            ledger,
        ])
    };
    let early = approve(&first, "2026-01-01");
    assert_eq!(early.status.code(), Some(2));
    assert!(
        stderr(&early).contains("cannot have been approved on 2026-01-01"),
        "{}",
        stderr(&early)
    );
    assert!(!first.join("approval.json").exists());

    let approved = approve(&first, "2026-12-01");
    assert!(approved.status.success(), "{}", stderr(&approved));
    let approval = read_json(&first.join("approval.json"));
    assert_eq!(approval["approved_by"], "Dana Whitfield");
    assert_eq!(approval["approved_on"], "2026-12-01");
    let run_json = std::fs::read(first.join("run.json")).unwrap();
    use sha2::Digest;
    let sha: String = sha2::Sha256::digest(&run_json).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(approval["run_json_sha256"], sha.as_str());
    let again = approve(&first, "2026-12-02");
    assert!(
        stderr(&again).contains("replaces the approval by Dana Whitfield on 2026-12-01"),
        "{}",
        stderr(&again)
    );

    let handed = handoff(&first, "after");
    assert!(handed.status.success(), "{}", stderr(&handed));
    assert_eq!(
        read_json(&dir.join("after/handoff.json"))["approval"]["approved_by"],
        "Dana Whitfield"
    );
    assert!(dir.join("after/lob-letters.jsonl").is_file());
    let history = kindly(&["history", "3000001", "--ledger", ledger, "--format", "json"]);
    let history: serde_json::Value = serde_json::from_slice(&history.stdout).unwrap();
    assert_eq!(history[0]["piece_state"], "handed", "{history}");
    // Handed to the vendor, the run cannot be made again over itself.
    let overwrite = run_as_of(&config, &export, &first, AS_OF, &["--overwrite"]);
    assert_eq!(overwrite.status.code(), Some(2));
    assert!(
        stderr(&overwrite).contains("went to the vendor or the mail"),
        "{}",
        stderr(&overwrite)
    );
    let mailed =
        kindly(&["mailed", first.to_str().unwrap(), "--date", "2026-12-02", "--ledger", ledger]);
    assert!(mailed.status.success(), "{}", stderr(&mailed));

    // An approval of another run does not approve this one.
    let output = run_as_of(&config, &export, &second, "2026-12-31", &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    std::fs::copy(first.join("approval.json"), second.join("approval.json")).unwrap();
    let refused = handoff(&second, "other");
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("changed after Dana Whitfield approved it"),
        "{}",
        stderr(&refused)
    );

    let nameless = kindly(&["approve", second.to_str().unwrap(), "--by", "  ", "--ledger", ledger]);
    assert_eq!(nameless.status.code(), Some(2));
    // Made again over itself, a run loses its approval, and is told so.
    let remade = run_as_of(&config, &export, &second, "2026-12-31", &["--overwrite"]);
    assert!(remade.status.success(), "{}", stderr(&remade));
    assert!(
        stderr(&remade)
            .contains("was approved by Dana Whitfield on 2026-12-02; that approval went with it")
    );
    assert!(!second.join("approval.json").exists());
}
