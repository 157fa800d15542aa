//! proof.pdf and `kindly proof`: a cover with the counts, then one letter
//! of each stage, language and print size and the run's first, middle and
//! last letter, each page the letter's own with PROOF in its margin; the
//! vendor's letters never marked.

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::*;
use crate::pdf;

type Row = std::collections::BTreeMap<String, String>;

/// The manifest rows a proof of this manifest shows, in piece order.
fn expected_pieces(manifest: &[Row]) -> Vec<&Row> {
    let n = manifest.len();
    let mut kinds = BTreeSet::new();
    manifest
        .iter()
        .enumerate()
        .filter(|(i, row)| {
            let first_of_kind = kinds.insert((
                row["stage"].clone(),
                row["language"].clone(),
                row["variant"].clone(),
            ));
            *i == 0 || (n > 2 && *i == n / 2) || *i + 1 == n || first_of_kind
        })
        .map(|(_, row)| row)
        .collect()
}

/// Checks a proof against the letters it shows (in `letters`, by manifest
/// row) and returns its cover's text.
fn check_proof(proof: &Path, pieces: &[&Row], letters: &Path) -> String {
    let proof = pdf::read(&std::fs::read(proof).unwrap());
    let letter_pages: usize = pieces.iter().map(|r| r["pages"].parse::<usize>().unwrap()).sum();
    let cover = proof.pages.len() - letter_pages;
    assert!(cover >= 1, "a cover, then {letter_pages} pages of letters");
    let cover_text: String = (1..=cover as u32).map(|p| proof.drawn(p)).collect();
    assert!(cover_text.starts_with("PROOF—forchecking"), "{cover_text}");
    assert!(cover_text.contains("PROOF—NOTFORMAILING"), "the cover is marked too");
    let mut page = cover as u32;
    for row in pieces {
        let listed = format!("{}{}", page + 1, row["piece_id"]);
        assert!(
            cover_text.contains(&listed),
            "the cover lists {} on page {}",
            row["piece_id"],
            page + 1
        );
        let letter = pdf::read(&std::fs::read(letters.join(&row["file"])).unwrap());
        for n in 1..=letter.pages.len() as u32 {
            page += 1;
            let (drawn, own) = (proof.drawn(page), letter.drawn(n));
            // The letter's page is drawn first, whole, and the mark after it.
            assert!(
                drawn.starts_with(&own),
                "proof page {page} is page {n} of {} as it is",
                row["piece_id"]
            );
            assert!(
                !own.contains("PROOF"),
                "the vendor's letter {} is not marked",
                row["piece_id"]
            );
            // The mark: a line of text up the left margin, clear of the
            // letter's 0.75 in margin. (pdf-extract mistakes the mark's font
            // for the letter's, which has the same name inside the page, so
            // its words are checked on the cover, whose mark is the same.)
            let glyphs: Vec<_> =
                proof.glyphs.iter().filter(|g| g.page == page && g.text.trim() != "").collect();
            let letter_glyphs =
                letter.glyphs.iter().filter(|g| g.page == n && g.text.trim() != "").count();
            let mark = &glyphs[letter_glyphs..];
            assert!(mark.len() >= 40, "page {page} has its mark ({} glyphs)", mark.len());
            assert!(
                mark.iter().all(|g| g.x < 0.5),
                "the mark is in the left margin of page {page}"
            );
            assert_eq!(
                proof.pages[page as usize - 1],
                letter.pages[n as usize - 1],
                "the page keeps its size"
            );
        }
    }
    cover_text
}

#[test]
fn a_runs_proof_shows_each_kind_and_its_first_middle_and_last_letter_marked() {
    let run = sample_run();
    let record = read_json(&run.join("run.json"));
    assert!(
        record["files"]["proof.pdf"].is_string(),
        "proof.pdf is listed in run.json, so verify checks it"
    );
    let manifest = read_csv(&run.join("manifest.csv"));
    let pieces = expected_pieces(&manifest);
    assert!(pieces.len() >= 6, "{} pieces", pieces.len());
    let cover = check_proof(&run.join("proof.pdf"), &pieces, run);
    for words in ["Checkedandapprovedformailing", "kindlyapprove", "Lettersbystageandlanguage"] {
        assert!(cover.contains(words), "the cover has {words}: {cover}");
    }
    let letters = record["counts"]["letters"].as_u64().unwrap();
    assert!(cover.contains(&format!("{letters}lettersfor")), "the cover counts {letters} letters");
    let middle = format!("middleletter({}of{})", manifest.len() / 2 + 1, manifest.len());
    assert!(cover.contains(&middle), "the cover says why each letter is there: {middle}");
}

#[test]
fn kindly_proof_makes_the_runs_proof_without_a_run() {
    let run = sample_run();
    let dir = scratch("proof-command");
    let out = dir.join("proof.pdf");
    let output = on_export("proof", &config(), &sample_export(), &["-o", out.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        !dir.read_dir().unwrap().any(|e| e.unwrap().file_name() != "proof.pdf"),
        "no letters left behind"
    );
    // The same letters, laid out the same, on the same cover.
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(run.join("proof.pdf")).unwrap());
    let manifest = read_csv(&run.join("manifest.csv"));
    check_proof(&out, &expected_pieces(&manifest), run);
}
