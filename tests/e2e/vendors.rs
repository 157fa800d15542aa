//! Handing a run to a vendor: the combined print files hold each piece's
//! own pages with the fonts once, Click2Mail's batch XML, Lob's and
//! PostGrid's requests read back field by field, vendor limits held at
//! preflight, and `kindly handoff` from a finished run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::*;

/// A run of `export` with the sample config, `[vendor] format` set.
fn run_for(name: &str, format: &str, export: &Path) -> PathBuf {
    let dir = scratch(name);
    // Combined print files on, so that the run can be handed to Click2Mail too.
    let config = config_with(&dir, |t| {
        t.replace("format = \"generic\"", &format!("format = \"{format}\""))
            .replace("combined = false", "combined = true")
    });
    let out = dir.join("run");
    let output = run_with(&config, export, &out, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    out
}

/// Each line of a JSON-lines file.
fn json_lines(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn page_texts(pdf: &crate::pdf::Pdf, pages: std::ops::RangeInclusive<u32>) -> Vec<String> {
    pages.map(|p| pdf.lines(p).iter().map(|l| l.text()).collect::<Vec<_>>().join("\n")).collect()
}

/// FontDescriptor objects of a PDF: one per embedded font subset.
fn embedded_fonts(bytes: &[u8]) -> usize {
    let doc = pdf_extract::Document::load_mem(bytes).unwrap();
    doc.objects
        .values()
        .filter(|o| {
            o.as_dict().is_ok_and(|d| {
                d.get(b"Type").and_then(|t| t.as_name()).is_ok_and(|n| n == b"FontDescriptor")
            })
        })
        .count()
}

#[test]
fn combined_print_files_hold_each_piece_exactly_with_the_fonts_once() {
    assert_print_files_hold_their_pieces(print_run());
}

/// Every piece's pages in its combined print file are its own PDF's pages,
/// pieces follow each other in the manifest's order with no gap, and each
/// combined file embeds its fonts once, not once per piece.
pub fn assert_print_files_hold_their_pieces(run: &Path) {
    assert_combined_files_hold_their_pieces(run, run, "run.json");
    let manifest = read_csv(&run.join("manifest.csv"));
    let one_piece = embedded_fonts(&std::fs::read(run.join(&manifest[0]["file"])).unwrap());
    let files: std::collections::BTreeSet<&String> =
        manifest.iter().map(|r| &r["print_file"]).collect();
    for file in files {
        let fonts = embedded_fonts(&std::fs::read(run.join(file)).unwrap());
        assert!(
            fonts <= one_piece + 2,
            "{file} embeds {fonts} fonts; one piece embeds {one_piece}"
        );
    }
}

/// The combined print files in `folder` (listed in its `record`, run.json
/// or handoff.json, with the manifest that places the pieces) hold each
/// piece of the run folder `run` exactly: its pages, text for text, in the
/// manifest's order, with no gap and nothing more.
pub fn assert_combined_files_hold_their_pieces(folder: &Path, run: &Path, record: &str) {
    let manifest = read_csv(&folder.join("manifest.csv"));
    let record = read_json(&folder.join(record));
    let mut combined: BTreeMap<String, crate::pdf::Pdf> = BTreeMap::new();
    let mut next_page: BTreeMap<String, usize> = BTreeMap::new();
    for row in &manifest {
        let file = &row["print_file"];
        assert!(file.starts_with("print/letters-"), "{row:?}");
        let pdf = combined.entry(file.clone()).or_insert_with(|| {
            assert!(record["files"][file].as_str().is_some(), "the record lists {file}");
            crate::pdf::read(&std::fs::read(folder.join(file)).unwrap())
        });
        let first: usize = row["print_first_page"].parse().unwrap();
        let last: usize = row["print_last_page"].parse().unwrap();
        assert_eq!(first, *next_page.get(file).unwrap_or(&1), "{row:?}");
        next_page.insert(file.clone(), last + 1);
        let piece = crate::pdf::read(&std::fs::read(run.join(&row["file"])).unwrap());
        let pages: usize = row["pages"].parse().unwrap();
        assert_eq!((last - first + 1, piece.pages.len()), (pages, pages), "{row:?}");
        assert_eq!(
            page_texts(pdf, first as u32..=last as u32),
            page_texts(&piece, 1..=pages as u32),
            "piece {} in {file}",
            row["piece_id"]
        );
    }
    assert!(!combined.is_empty());
    for (file, pdf) in &combined {
        assert_eq!(pdf.pages.len(), next_page[file] - 1, "{file} has no pages beyond its pieces");
    }
}

#[test]
fn combined_files_split_at_the_page_limit_never_inside_a_piece() {
    let dir = scratch("print-split");
    let config = config_with(&dir, |t| {
        t.replace("max_pages = 250", "max_pages = 25")
            .replace("combined = false", "combined = true")
    });
    let out = dir.join("run");
    let output = run_with(&config, &sample_export(), &out, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let manifest = read_csv(&out.join("manifest.csv"));
    let mut last_page: BTreeMap<String, usize> = BTreeMap::new();
    for row in &manifest {
        let last: usize = row["print_last_page"].parse().unwrap();
        assert!(last <= 25, "{row:?}");
        last_page.insert(row["print_file"].clone(), last);
    }
    let pages: usize = manifest.iter().map(|r| r["pages"].parse::<usize>().unwrap()).sum();
    assert!(last_page.len() >= pages.div_ceil(25), "{} files for {pages} pages", last_page.len());
    for (file, last) in &last_page {
        let pdf = crate::pdf::read(&std::fs::read(out.join(file)).unwrap());
        assert_eq!(pdf.pages.len(), *last, "{file}");
    }
    let verify = kindly(&["verify", out.to_str().unwrap()]);
    assert!(verify.status.success(), "{}", stderr(&verify));
}

/// The child elements of an XML element, by tag name.
fn child<'a>(node: roxmltree::Node<'a, 'a>, tag: &str) -> roxmltree::Node<'a, 'a> {
    node.children()
        .find(|c| c.has_tag_name(tag))
        .unwrap_or_else(|| panic!("<{tag}> in <{}>", node.tag_name().name()))
}

fn text_of<'a>(node: roxmltree::Node<'a, 'a>, tag: &str) -> &'a str {
    child(node, tag).text().unwrap_or("")
}

fn tags<'a>(node: roxmltree::Node<'a, 'a>) -> Vec<&'a str> {
    node.children().filter(|c| c.is_element()).map(|c| c.tag_name().name()).collect()
}

#[test]
fn click2mail_batch_xml_gives_every_piece_its_page_range() {
    let run = run_for("click2mail", "click2mail", &sample_export());
    let manifest = read_csv(&run.join("manifest.csv"));
    let record = read_json(&run.join("run.json"));
    let mut by_file: BTreeMap<String, Vec<&BTreeMap<String, String>>> = BTreeMap::new();
    for row in &manifest {
        by_file.entry(row["print_file"].clone()).or_default().push(row);
    }
    for (print_file, rows) in &by_file {
        let stem = print_file.trim_start_matches("print/").trim_end_matches(".pdf");
        let name = format!("click2mail-{stem}.xml");
        assert!(record["files"][&name].as_str().is_some(), "run.json lists {name}");
        let text = std::fs::read_to_string(run.join(&name)).unwrap();
        let xml = roxmltree::Document::parse(&text).unwrap();
        let batch = xml.root_element();
        assert_eq!(batch.tag_name().name(), "batch");
        // Credentials are never written: the upload script fills these in.
        assert_eq!(text_of(batch, "username"), "${CLICK2MAIL_USERNAME}");
        assert_eq!(text_of(batch, "password"), "${CLICK2MAIL_PASSWORD}");
        assert_eq!(text_of(batch, "filename"), print_file.trim_start_matches("print/"));
        let jobs: Vec<_> = batch.children().filter(|c| c.has_tag_name("job")).collect();
        assert_eq!(jobs.len(), rows.len(), "{name}: one job per piece");
        for (job, row) in jobs.iter().zip(rows) {
            // The order of Click2Mail's published sample (batch-request-letter.xml).
            assert_eq!(
                tags(*job),
                [
                    "startingPage",
                    "endingPage",
                    "printProductionOptions",
                    "returnAddress",
                    "recipients"
                ]
            );
            assert_eq!(text_of(*job, "startingPage"), row["print_first_page"]);
            assert_eq!(text_of(*job, "endingPage"), row["print_last_page"]);
            let options = child(*job, "printProductionOptions");
            assert_eq!(
                tags(options),
                [
                    "documentClass",
                    "layout",
                    "productionTime",
                    "envelope",
                    "color",
                    "paperType",
                    "printOption",
                    "mailClass"
                ]
            );
            assert_eq!(text_of(options, "documentClass"), "Letter 8.5 x 11");
            assert_eq!(text_of(options, "envelope"), "#10 Double Window");
            assert_eq!(text_of(options, "printOption"), "Printing both sides");
            assert_eq!(text_of(options, "mailClass"), "First Class");
            let from = child(*job, "returnAddress");
            assert_eq!(text_of(from, "name"), "Riverside Family Medicine");
            assert_eq!(text_of(from, "address1"), "1200 Willow Creek Road, Suite 300");
            assert_eq!(
                (text_of(from, "city"), text_of(from, "state"), text_of(from, "postalCode")),
                ("Springfield", "OR", "97477")
            );
            let recipients: Vec<_> =
                child(*job, "recipients").children().filter(|c| c.is_element()).collect();
            assert_eq!(recipients.len(), 1);
            let to = recipients[0];
            assert_eq!(
                tags(to),
                [
                    "name",
                    "organization",
                    "address1",
                    "address2",
                    "address3",
                    "city",
                    "state",
                    "postalCode",
                    "country"
                ]
            );
            assert_eq!(text_of(to, "name"), row["recipient_name"]);
            assert_eq!(text_of(to, "address1"), row["address_line_1"]);
            assert_eq!(text_of(to, "address2"), row["address_line_2"]);
            assert_eq!(text_of(to, "city"), row["city"]);
            assert_eq!(text_of(to, "state"), row["state"]);
            assert_eq!(text_of(to, "postalCode"), row["zip"]);
            assert_eq!(text_of(to, "country"), "US");
        }
    }
}

#[test]
fn lob_requests_and_csv_read_back_and_keep_their_keys_on_a_rerun() {
    let run = run_for("lob", "lob", &sample_export());
    let manifest = read_csv(&run.join("manifest.csv"));
    let letters = json_lines(&run.join("lob-letters.jsonl"));
    assert_eq!(letters.len(), manifest.len());
    let mut keys = std::collections::BTreeSet::new();
    for (letter, row) in letters.iter().zip(&manifest) {
        let to = &letter["to"];
        assert_eq!(to["name"], row["recipient_name"].as_str());
        assert_eq!(to["address_line1"], row["address_line_1"].as_str());
        assert_eq!(to["address_city"], row["city"].as_str());
        assert_eq!(to["address_state"], row["state"].as_str());
        assert_eq!(to["address_zip"], row["zip"].as_str());
        assert!(to["name"].as_str().unwrap().chars().count() <= 40);
        assert_eq!(letter["from"]["address_zip"], "97477");
        assert_eq!(letter["file"], row["file"].as_str());
        let pdf = std::fs::read(run.join(&row["file"])).unwrap();
        assert_eq!(kindly::digest::sha256(&pdf), row["sha256"]);
        assert_eq!(letter["double_sided"], true);
        assert_eq!(letter["color"], false);
        // kindly's letters print their own addresses: Lob adds a page for its.
        assert_eq!(letter["address_placement"], "insert_blank_page");
        assert_eq!(letter["mail_type"], "usps_first_class");
        assert_eq!(letter["use_type"], "operational");
        assert_eq!(letter["metadata"]["piece_id"], row["piece_id"].as_str());
        assert!(letter["metadata"].as_object().unwrap().len() <= 20);
        let key = letter["idempotency_key"].as_str().unwrap();
        assert_eq!(
            key,
            format!("kindly-{}-{}", row["piece_id"], &row["sha256"][..32]),
            "the piece and its PDF"
        );
        assert!(key.len() <= 256);
        assert!(keys.insert(key.to_string()), "{key} twice");
        // Balances and account numbers are not the vendor's business.
        let text = letter.to_string();
        assert!(!text.contains("balance") && !text.contains("account"), "{text}");
    }
    let csv = read_csv(&run.join("lob-addresses.csv"));
    let columns: Vec<_> = csv[0].keys().map(String::as_str).collect();
    for column in
        ["name", "address_line1", "address_line2", "address_city", "address_state", "address_zip"]
    {
        assert!(columns.contains(&column), "{columns:?}");
    }
    assert_eq!(csv.len(), manifest.len());
    assert_eq!(csv[3]["name"], manifest[3]["recipient_name"]);

    // The same run made again gives the same requests, keys and all; so
    // does one made with a setting changed that changes no letter (combined
    // print files off): a second upload of either mails nobody twice.
    let again = run.with_file_name("again");
    let config = run.parent().unwrap().join("kindly.toml");
    let output = run_with(&config, &sample_export(), &again, &["--trial"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let requests = std::fs::read(run.join("lob-letters.jsonl")).unwrap();
    assert_eq!(std::fs::read(again.join("lob-letters.jsonl")).unwrap(), requests);
    let dir = run.parent().unwrap().join("other");
    std::fs::create_dir_all(&dir).unwrap();
    let dir = dir.as_path();
    let other = config_with(dir, |t| t.replace("format = \"generic\"", "format = \"lob\""));
    let unrelated = dir.join("combined-off");
    let output = run_with(&other, &sample_export(), &unrelated, &["--trial"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!unrelated.join("print").exists(), "this run has no combined files");
    let keys = |path: &Path| -> Vec<String> {
        json_lines(path)
            .iter()
            .map(|l| l["idempotency_key"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(keys(&unrelated.join("lob-letters.jsonl")), keys(&run.join("lob-letters.jsonl")));
    // Another letter under the same piece id (a run dated a day later, so
    // every date on it changes) has another key.
    let later = dir.join("a-day-later");
    let output = run_as_of(&other, &sample_export(), &later, "2026-12-01", &["--trial"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let (before, after) =
        (keys(&run.join("lob-letters.jsonl")), keys(&later.join("lob-letters.jsonl")));
    assert!(before.iter().all(|k| !after.contains(k)), "a different letter never has an old key");
}

#[test]
fn postgrid_requests_read_back() {
    let run = run_for("postgrid", "postgrid", &sample_export());
    let manifest = read_csv(&run.join("manifest.csv"));
    let letters = json_lines(&run.join("postgrid-letters.jsonl"));
    assert_eq!(letters.len(), manifest.len());
    for (letter, row) in letters.iter().zip(&manifest) {
        assert_eq!(letter["to"]["firstName"], row["recipient_name"].as_str());
        assert_eq!(letter["to"]["addressLine1"], row["address_line_1"].as_str());
        assert_eq!(letter["to"]["postalOrZip"], row["zip"].as_str());
        assert_eq!(letter["to"]["countryCode"], "US");
        assert_eq!(letter["from"]["companyName"], "Riverside Family Medicine");
        assert_eq!(letter["pdf"], row["file"].as_str());
        assert_eq!(letter["addressPlacement"], "insert_blank_page");
        assert_eq!(letter["doubleSided"], true);
        assert_eq!(letter["mailingClass"], "first_class");
        assert_eq!(letter["metadata"]["piece_id"], row["piece_id"].as_str());
        assert_eq!(
            letter["idempotencyKey"],
            format!("kindly-{}-{}", row["piece_id"], &row["sha256"][..32])
        );
    }
}

#[test]
fn a_piece_outside_lobs_limits_is_held_with_the_rule() {
    let dir = scratch("lob-limits");
    // 41 characters: fits the envelope window, but not Lob's 40.
    let long_name = "Maximiliana Konstantinopoulou-Worthington";
    let long_street = "4400 North Northwestern Industrial Technology Park Boulevard Building";
    let rows = format!(
        "L1,{long_name},12 Oak St,,Eugene,OR,97401,2026-06-01,Office visit,200.00,0,0,en,N,N,N,N\n\
         L2,Ana Ruiz,{long_street},,Eugene,OR,97401,2026-06-01,Office visit,200.00,0,0,en,N,N,N,N\n\
         L3,Ben Ode,12 Oak St,,Eugene,OR,9740,2026-06-01,Office visit,200.00,0,0,en,N,N,N,N\n\
         L4,Cy Pak,12 Oak St,,Eugene,OR,97401-1234,2026-06-01,Office visit,200.00,0,0,en,N,N,N,N\n"
    );
    let export = write_export(&dir, &rows);
    let run = run_for("lob-limits-run", "lob", &export);
    let holds: BTreeMap<String, String> = read_csv(&run.join("holds.csv"))
        .into_iter()
        .map(|r| (r["account"].clone(), r["reason"].clone()))
        .collect();
    assert!(
        holds["L1"].contains("vendor field limit")
            && holds["L1"].contains("41 characters; Lob takes at most 40"),
        "{}",
        holds["L1"]
    );
    assert!(
        holds["L1"].contains("Shorten it in the billing system"),
        "says how to fix it: {}",
        holds["L1"]
    );
    assert!(
        holds["L2"].contains("street line") && holds["L2"].contains("at most 64"),
        "{}",
        holds["L2"]
    );
    // A ZIP no vendor takes is already a reject of the export, with its line.
    let rejects = read_csv(&run.join("rejects.csv"));
    assert_eq!(
        (rejects.len(), rejects[0]["line"].as_str(), rejects[0]["value"].as_str()),
        (1, "4", "9740")
    );
    let letters: Vec<_> = read_csv(&run.join("manifest.csv"))
        .into_iter()
        .map(|r| r["recipient_name"].clone())
        .collect();
    assert_eq!(letters, ["Cy Pak"]);
    // Held when the accounts are decided, before they are numbered: no gap
    // in the piece numbers, and validate holds them as the run does.
    assert!(read_json(&run.join("run.json"))["pieces_not_made"].is_null());
    let config = run.parent().unwrap().join("kindly.toml");
    let validate = on_export("validate", &config, &export, &["--format", "json"]);
    let validation: serde_json::Value = serde_json::from_slice(&validate.stdout).unwrap();
    assert_eq!(validation["holds_by_reason"]["vendor_limit"]["count"], 2, "{validation}");
    // The generic vendor takes the long name; the long street line does not
    // fit the envelope window either.
    let generic = run_for("lob-limits-generic", "generic", &export);
    let mut letters: Vec<_> = read_csv(&generic.join("manifest.csv"))
        .into_iter()
        .map(|r| r["recipient_name"].clone())
        .collect();
    letters.sort();
    assert_eq!(letters, ["Cy Pak", long_name]);
}

#[test]
fn handoff_writes_another_vendors_files_from_a_finished_run() {
    let lob_run = run_for("handoff-lob", "lob", &sample_export());
    let dir = lob_run.parent().unwrap();
    let config = dir.join("kindly.toml");
    let handoff = |run: &Path, vendor: &str, out: &Path| {
        let ledger = ledger_beside(run);
        kindly(&[
            "handoff",
            run.to_str().unwrap(),
            "--vendor",
            vendor,
            "--out",
            out.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--ledger",
            ledger.to_str().unwrap(),
            "--on",
            "2026-12-01",
        ])
    };
    // Handed over again, a run gives the very requests it was made with.
    let again = dir.join("lob-again");
    let output = handoff(&lob_run, "lob", &again);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("recorded as handed to Lob on 2026-12-01"),
        "{}",
        stderr(&output)
    );
    let requests = std::fs::read(again.join("lob-letters.jsonl")).unwrap();
    assert_eq!(requests, std::fs::read(lob_run.join("lob-letters.jsonl")).unwrap());
    for letter in json_lines(&again.join("lob-letters.jsonl")) {
        assert!(again.join(letter["file"].as_str().unwrap()).is_file(), "{letter}");
    }
    let record = read_json(&again.join("handoff.json"));
    assert_eq!(record["vendor"], "lob");
    assert_eq!(
        record["run_json_sha256"],
        kindly::digest::sha256(&std::fs::read(lob_run.join("run.json")).unwrap()).as_str()
    );
    // A hand-off folder is written once: no --overwrite is offered.
    let output = handoff(&lob_run, "lob", &again);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("already exists") && !stderr(&output).contains("--overwrite"));

    // The same run to Click2Mail: its combined files and a batch XML.
    let c2m = dir.join("to-click2mail");
    let output = handoff(&lob_run, "click2mail", &c2m);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(c2m.join("print/letters-0001.pdf").is_file());
    let xml = std::fs::read_to_string(c2m.join("click2mail-letters-0001.xml")).unwrap();
    assert!(roxmltree::Document::parse(&xml).is_ok());

    // A run made without combined files goes to Click2Mail too: they are
    // made from its letters, each letter's pages exactly.
    let plain = dir.join("plain-runs").join("plain");
    let output = run_with(&crate::common::config(), &sample_export(), &plain, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!plain.join("print").exists());
    let joined = dir.join("plain-to-click2mail");
    let output = handoff(&plain, "click2mail", &joined);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_combined_files_hold_their_pieces(&joined, &plain, "handoff.json");
    let batch = std::fs::read_to_string(joined.join("click2mail-letters-0001.xml")).unwrap();
    let batch = roxmltree::Document::parse(&batch).unwrap();
    let first_job = batch.descendants().find(|n| n.has_tag_name("job")).unwrap();
    let first = &read_csv(&joined.join("manifest.csv"))[0];
    assert_eq!(text_of(first_job, "startingPage"), first["print_first_page"]);
    assert_eq!(text_of(first_job, "endingPage"), first["print_last_page"]);

    // A trial run was never recorded, so it cannot go to a vendor.
    let trial = dir.join("trial");
    let output = run_with(&crate::common::config(), &sample_export(), &trial, &["--trial"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = handoff(&trial, "lob", &dir.join("trial-to-lob"));
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("is a trial run"), "{}", stderr(&output));

    // A run changed since it was made is not handed over.
    let letter = read_csv(&lob_run.join("manifest.csv"))[0]["file"].clone();
    std::fs::write(lob_run.join(&letter), b"not the letter").unwrap();
    let output = handoff(&lob_run, "lob", &dir.join("changed"));
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("fails its checks"), "{}", stderr(&output));
    assert!(!dir.join("changed").exists());
}

#[test]
fn run_json_counts_envelopes_and_estimates_postage() {
    let run = sample_run();
    let record = read_json(&run.join("run.json"));
    let counts = &record["counts"];
    assert_eq!(counts["envelopes"], counts["letters"]);
    let expected: i64 = read_csv(&run.join("manifest.csv"))
        .iter()
        .map(|r| {
            let sheets: i64 = r["sheets"].parse().unwrap();
            78 + 29 * ((sheets + 3) / 4 - 1)
        })
        .sum();
    assert_eq!(
        counts["estimated_postage"],
        format!("{}.{:02}", expected / 100, expected % 100).as_str()
    );
}

#[test]
fn zip_order_numbers_pieces_by_zip_and_counts_them() {
    let dir = scratch("zip-order");
    let config = config_with(&dir, |t| {
        t.replace("order = \"run\"", "order = \"zip\"")
            .replace("combined = false", "combined = true")
    });
    let out = dir.join("run");
    let output = run_with(&config, &sample_export(), &out, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("3-digit ZIP areas"), "{}", stderr(&output));
    let manifest = read_csv(&out.join("manifest.csv"));
    let zips: Vec<(String, String)> = manifest
        .iter()
        .map(|r| {
            let (five, four) = r["zip"].split_once('-').unwrap_or((&r["zip"], ""));
            (five.to_string(), four.to_string())
        })
        .collect();
    assert!(zips.windows(2).all(|w| w[0] <= w[1]), "pieces in ZIP order, then ZIP+4");
    let pieces: Vec<&String> = manifest.iter().map(|r| &r["piece_id"]).collect();
    assert!(pieces.windows(2).all(|w| w[0] < w[1]), "pieces numbered in that order");
    assert_print_files_hold_their_pieces(&out);

    // The same letters as the run in the usual order; audit.csv still in account order.
    let usual: std::collections::BTreeSet<(String, String)> =
        read_csv(&sample_run().join("manifest.csv"))
            .into_iter()
            .map(|r| (r["recipient_name"].clone(), r["stage"].clone()))
            .collect();
    let zipped: std::collections::BTreeSet<(String, String)> =
        manifest.iter().map(|r| (r["recipient_name"].clone(), r["stage"].clone())).collect();
    assert_eq!(usual, zipped);
    let audit: Vec<String> =
        read_csv(&out.join("audit.csv")).into_iter().map(|r| r["account"].clone()).collect();
    assert!(audit.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(audit.len(), read_csv(&sample_run().join("audit.csv")).len());

    // zip-counts.csv: one row per ZIP code, adding up to the run.
    let counts = read_csv(&out.join("zip-counts.csv"));
    let total: usize = counts.iter().map(|r| r["pieces"].parse::<usize>().unwrap()).sum();
    assert_eq!(total, manifest.len());
    let codes: Vec<&String> = counts.iter().map(|r| &r["zip5"]).collect();
    assert!(codes.windows(2).all(|w| w[0] < w[1]));
    assert!(counts.iter().all(|r| r["zip5"].starts_with(&r["zip3"]) && r["zip3"].len() == 3));
    let verify = kindly(&["verify", out.to_str().unwrap()]);
    assert!(verify.status.success(), "{}", stderr(&verify));

    // And again: the same bytes.
    let again = dir.join("again");
    let output = run_with(&config, &sample_export(), &again, &["--trial", "-j", "1"]);
    assert!(output.status.success(), "{}", stderr(&output));
    for name in ["manifest.csv", "audit.csv", "zip-counts.csv", "print/letters-0001.pdf"] {
        assert_eq!(
            std::fs::read(out.join(name)).unwrap(),
            std::fs::read(again.join(name)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn patient_data_is_escaped_in_the_vendors_files() {
    let dir = scratch("vendor-escaping");
    let name = "Ann & Bo <Lee> \"#panic()\"";
    let export = write_export(
        &dir,
        &format!(
            "E1,\"{}\",\"12 Oak St, *]_$\",,Eugene,OR,97401,2026-06-01,Office visit,200.00,0,0,en,N,N,N,N\n",
            name.replace('"', "\"\"")
        ),
    );
    let run = run_for("vendor-escaping-c2m", "click2mail", &export);
    let xml = std::fs::read_to_string(run.join("click2mail-letters-0001.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let to = doc.descendants().find(|n| n.has_tag_name("recipients")).unwrap();
    let address = to.children().find(|c| c.is_element()).unwrap();
    assert_eq!(text_of(address, "name"), name);
    assert_eq!(text_of(address, "address1"), "12 Oak St, *]_$");
    let lob = run_for("vendor-escaping-lob", "lob", &export);
    let letter = &json_lines(&lob.join("lob-letters.jsonl"))[0];
    assert_eq!(letter["to"]["name"], name);
}
