//! `[language_access]`: the language-assistance notice after every letter
//! (or as an insert), exactly the pages and sheets it says, every language's
//! script printed with no missing glyph, a long notice on two pages in large
//! print counted as such, the same bytes on a rerun; what
//! stops a run (a language with no text, a character no font has); and
//! names in other scripts with their Latin form in the window.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::*;

const PHONE: &str = "1-541-555-0100";

/// Test texts, not translations: each language's name in itself and a few
/// characters of its script, to see every script print. A practice's real
/// texts are published translations or its own translator's.
const TEXTS: &[(&str, &str, &str)] = &[
    ("zh", "中文", "语言帮助"),
    ("ko", "한국어", "언어 지원"),
    ("ar", "العربية", "مساعدة"),
    ("hi", "हिन्दी", "सहायता"),
    ("ru", "Русский", "Помощь"),
    ("vi", "Tiếng Việt", "Hỗ trợ"),
    ("am", "አማርኛ", "እርዳታ"),
    ("hy", "Հայերեն", "Օգնություն"),
    ("th", "ไทย", "ช่วยเหลือ"),
    ("pa", "ਪੰਜਾਬੀ", "ਮਦਦ"),
];

fn notice_config(dir: &Path, placement: &str) -> PathBuf {
    notice_config_repeated(dir, placement, 1)
}

/// The notice config with each test text `times` over, as long as a real
/// translation's two or three sentences.
fn notice_config_repeated(dir: &Path, placement: &str, times: usize) -> PathBuf {
    let codes: Vec<String> = TEXTS.iter().map(|(code, _, _)| format!("{code:?}")).collect();
    let settings = format!(
        "phone = \"{PHONE}\"\ntty = \"711\"\nlanguages = [{}]\nplacement = \"{placement}\"\n",
        codes.join(", ")
    );
    let texts: String = TEXTS
        .iter()
        .map(|(code, name, words)| {
            format!(
                "[language_access.texts.{code}]\nname = \"{name}\"\ntext = \"{}{{phone}}\"\n\
                 source = \"kindly's end-to-end test: not a translation\"\n",
                format!("{words} ").repeat(times)
            )
        })
        .collect();
    config_with_notice(dir, &settings, &texts)
}

/// The sample config with the notice on: `settings` in `[language_access]`,
/// and `texts` (its `[language_access.texts.CODE]` tables) at the end.
fn config_with_notice(dir: &Path, settings: &str, texts: &str) -> PathBuf {
    config_with(dir, |t| {
        t.replace("enabled = false\n", "").replace(
            "[language_access]\n",
            &format!("[language_access]\nenabled = true\n{settings}"),
        ) + "\n"
            + texts
    })
}

/// Each piece's manifest row, by piece id.
fn manifest(run: &Path) -> Manifest {
    read_csv(&run.join("manifest.csv")).into_iter().map(|r| (r["piece_id"].clone(), r)).collect()
}

fn num(row: &BTreeMap<String, String>, column: &str) -> u64 {
    row[column].parse().unwrap()
}

type Manifest = BTreeMap<String, BTreeMap<String, String>>;

/// The sample run without the notice and with it, each with a ledger of
/// its own (beside its folder), in one scratch folder.
struct Runs {
    dir: PathBuf,
    config: PathBuf,
    plain: PathBuf,
    out: PathBuf,
    before: Manifest,
    after: Manifest,
}

/// [`Runs`] in the scratch folder `name`, the second with the config
/// `notice` writes there.
fn without_and_with(name: &str, notice: impl Fn(&Path) -> PathBuf) -> Runs {
    let dir = scratch(name);
    let plain = dir.join("plain/run");
    run_ok(&sample_export(), &plain, &[]);
    let config = notice(&dir);
    let out = dir.join("notice/run");
    let output = run_with(&config, &sample_export(), &out, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let (before, after) = (manifest(&plain), manifest(&out));
    Runs { dir, config, plain, out, before, after }
}

#[test]
fn the_notice_follows_each_letter_with_exactly_the_pages_and_sheets_it_says() {
    let Runs { dir, config, plain, out, before, after } =
        without_and_with("language-notice", |dir| notice_config(dir, "in_letter"));

    // The same letters, none held for the notice (the window checks pass,
    // no glyph is missing), each one page longer.
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>());
    assert_eq!(read_csv(&plain.join("holds.csv")), read_csv(&out.join("holds.csv")));
    let mut added_sheets = 0;
    for (piece, row) in &after {
        let was = &before[piece];
        assert_eq!(num(row, "pages"), num(was, "pages") + 1, "{piece}");
        // Printed on both sides: the notice takes the blank back of an odd
        // page count's last sheet, and a sheet of its own after an even one.
        let expected = u64::from(num(was, "pages").is_multiple_of(2));
        assert_eq!(num(row, "sheets"), num(was, "sheets") + expected, "{piece}");
        added_sheets += expected;
    }
    assert!(added_sheets > 0 && added_sheets < after.len() as u64, "{added_sheets}");
    let record = read_json(&out.join("run.json"));
    let cost = &record["counts"]["language_notice"];
    assert_eq!(cost["pages"].as_u64(), Some(after.len() as u64));
    assert_eq!(cost["sheets"].as_u64(), Some(added_sheets));
    let plain_record = read_json(&plain.join("run.json"));
    assert_eq!(
        record["counts"]["sheets"].as_u64().unwrap(),
        plain_record["counts"]["sheets"].as_u64().unwrap() + added_sheets
    );
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    let said = format!(
        "The language-assistance notice, in English and {} languages ({} of them the practice's \
         own texts from its config), went on a page of its own after each letter: {} pages, {} more \
         sheets",
        TEXTS.len(),
        TEXTS.len(),
        after.len(),
        added_sheets
    );
    assert!(report.contains(&said.replace('\'', "&#39;")), "{said}");
    let languages = record["language_notice"]["languages"].as_array().unwrap();
    assert_eq!(languages.len(), TEXTS.len() + 1);
    assert_eq!(languages[0]["code"], "en");
    assert_eq!(languages[0]["from"], "table");
    assert_eq!(languages[1]["from"], "config");

    // The notice page, read back: English first, then every language's
    // name and words in its own script, and the number in each.
    let first = after.values().next().unwrap();
    let doc = crate::pdf::read(&std::fs::read(out.join(&first["file"])).unwrap());
    let last = num(first, "pages") as u32;
    let page: Vec<String> = doc.lines(last).iter().map(|l| l.text()).collect();
    let text = page.join("\n");
    assert!(text.starts_with("Free help in your language"), "{text}");
    assert!(text.contains("You can get free help in your language"), "{text}");
    for (code, name, words) in
        TEXTS.iter().filter(|(code, _, _)| !["ar", "hi", "th", "pa"].contains(code))
    {
        assert!(text.contains(name) && text.contains(words), "{code}: {text}");
    }
    // Arabic, Hindi, Thai and Punjabi are shaped (joined, reordered), so
    // what a PDF reader gets back is not the characters typed: their lines
    // are there, each with the number, whole and in order.
    assert_eq!(text.matches(PHONE).count(), TEXTS.len() + 1, "{text}");
    // Each language's line (the number's, after English's) starts at the
    // left margin, but Arabic's ends at the right one: its direction comes
    // from its script, not its code (Typst would set Punjabi right to left).
    let lines: Vec<_> =
        doc.lines(last).into_iter().filter(|l| l.text().contains(PHONE)).skip(1).collect();
    let margin = (lines.iter().map(|l| l.left()).fold(f64::MAX, f64::min), {
        lines.iter().map(|l| l.right()).fold(0.0, f64::max)
    });
    for ((code, _, _), line) in TEXTS.iter().zip(&lines) {
        let (left, right) = (line.left() - margin.0, margin.1 - line.right());
        let starts_right = *code == "ar";
        assert!(
            if starts_right { right < 0.05 && left > 1.0 } else { left < 0.05 && right > 1.0 },
            "{code}: {left:.2} in from the left margin, {right:.2} in from the right"
        );
    }
    // In a large-print letter the notice is large print too (its heading
    // and every language's line; the page's footer keeps its own size).
    let large = after.values().find(|r| r["variant"] == "large_print").unwrap();
    let doc = crate::pdf::read(&std::fs::read(out.join(&large["file"])).unwrap());
    let notice: Vec<_> = doc
        .lines(num(large, "pages") as u32)
        .into_iter()
        .filter(|l| l.text().starts_with("Free help") || l.text().contains(PHONE))
        .collect();
    assert_eq!(notice.len(), TEXTS.len() + 2, "the heading, English and each language");
    let smallest = notice.iter().flat_map(|l| &l.glyphs).map(|g| g.size_in * 72.0);
    let smallest = smallest.fold(f64::MAX, f64::min);
    assert!(smallest >= 15.0, "the notice's text at {smallest:.1} pt in large print");

    // The same inputs give the same bytes.
    let again = dir.join("notice/again");
    let output = run_with(&config, &sample_export(), &again, &["--trial", "-j", "1"]);
    assert!(output.status.success(), "{}", stderr(&output));
    for (piece, row) in &after {
        let file = &row["file"];
        assert_eq!(
            std::fs::read(out.join(file)).unwrap(),
            std::fs::read(again.join(file)).unwrap(),
            "{piece}"
        );
    }
    assert_eq!(
        std::fs::read(out.join("manifest.csv")).unwrap(),
        std::fs::read(again.join("manifest.csv")).unwrap()
    );
}

#[test]
fn a_long_notice_takes_two_pages_in_large_print_and_the_run_counts_them() {
    let Runs { out, before, after, .. } =
        without_and_with("language-long", |dir| notice_config_repeated(dir, "in_letter", 30));
    let (mut pages, mut sheets) = (0, 0);
    for (piece, row) in &after {
        let was = &before[piece];
        let notice = if row["variant"] == "large_print" { 2 } else { 1 };
        assert_eq!(num(row, "pages"), num(was, "pages") + notice, "{piece}");
        pages += notice;
        sheets += num(row, "sheets") - num(was, "sheets");
    }
    let record = read_json(&out.join("run.json"));
    let cost = &record["counts"]["language_notice"];
    assert_eq!((cost["pages"].as_u64(), cost["sheets"].as_u64()), (Some(pages), Some(sheets)));
    let said = format!("went on pages of its own after each letter: {pages} pages, {sheets} more");
    assert!(std::fs::read_to_string(out.join("report.html")).unwrap().contains(&said), "{said}");
}

#[test]
fn as_an_insert_the_notice_is_one_sheet_in_every_envelope() {
    let Runs { dir, config, out, before, after, .. } =
        without_and_with("language-insert", |dir| notice_config(dir, "insert"));
    for (piece, row) in &after {
        let was = &before[piece];
        assert_eq!(num(row, "pages"), num(was, "pages"), "{piece}: the letter is as it was");
        assert_eq!(num(row, "sheets"), num(was, "sheets") + 1, "{piece}: and the insert");
    }
    let insert = std::fs::read(out.join("language-notice.pdf")).unwrap();
    let doc = crate::pdf::read(&insert);
    let text: Vec<String> = doc.lines(1).iter().map(|l| l.text()).collect();
    assert!(text[0].starts_with("Free help in your language"), "{text:?}");
    let record = read_json(&out.join("run.json"));
    assert!(record["files"]["language-notice.pdf"].is_string(), "{record}");
    assert_eq!(record["counts"]["language_notice"]["sheets"].as_u64(), Some(after.len() as u64));
    let verified = kindly(&["verify", out.to_str().unwrap()]);
    assert!(verified.status.success(), "{}", stderr(&verified));

    // Whoever signs the proof sees the insert too, after the letters: in
    // the run's proof and in `kindly proof`'s, the same.
    let proof = std::fs::read(out.join("proof.pdf")).unwrap();
    let standalone = dir.join("proof.pdf");
    let output =
        on_export("proof", &config, &sample_export(), &["-o", standalone.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    for pdf in [proof, std::fs::read(&standalone).unwrap()] {
        let doc = crate::pdf::read(&pdf);
        let last = doc.pages.len() as u32;
        let page: Vec<String> = doc.lines(last).iter().map(|l| l.text()).collect();
        assert!(page.iter().any(|l| l.starts_with("Free help in your language")), "{page:?}");
        assert!(doc.text().contains("language-notice.pdf) is page"), "the cover names its page");
    }
}

/// Each envelope's sheets count the insert as one sheet printed on one
/// side: an insert that takes two pages stops the run before any letter.
#[test]
fn an_insert_longer_than_a_page_stops_the_run_and_the_proof() {
    let dir = scratch("language-insert-long");
    let out = dir.join("run");
    let config = notice_config_repeated(&dir, "insert", 100);
    let output = run_with(&config, &sample_export(), &out, &[]);
    assert_eq!(output.status.code(), Some(2));
    let said = stderr(&output);
    assert!(said.contains("insert takes 2 pages") && said.contains("in_letter"), "{said}");
    assert!(!out.exists(), "no run folder");
    // A proof signed with the insert's first page alone would approve a
    // sheet that cannot go out: `kindly proof` stops the same way.
    let proof = dir.join("proof.pdf");
    let output = on_export("proof", &config, &sample_export(), &["-o", proof.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let said = stderr(&output);
    assert!(said.contains("insert takes 2 pages") && said.contains("in_letter"), "{said}");
    assert!(!proof.exists(), "no proof");
}

#[test]
fn a_language_without_a_text_or_a_glyph_stops_the_run_and_validate_names_the_practices_texts() {
    let dir = scratch("language-refused");
    let no_text =
        config_with_notice(&dir, "phone = \"1-541-555-0100\"\nlanguages = [\"so\"]\n", "");
    let out = dir.join("run");
    let output = run_with(&no_text, &sample_export(), &out, &[]);
    assert_eq!(output.status.code(), Some(2));
    let said = stderr(&output);
    assert!(
        said.contains("\"so\"")
            && said.contains("language-access.toml")
            && said.contains("[language_access.texts.so]"),
        "{said}"
    );
    assert!(!out.exists(), "no run folder");

    // Cherokee: no font in layouts/fonts has it.
    let cherokee = config_with_notice(
        &dir,
        "phone = \"1-541-555-0100\"\nlanguages = [\"chr\"]\n",
        "[language_access.texts.chr]\nname = \"ᏣᎳᎩ\"\ntext = \"{phone}\"\nsource = \"test\"\n",
    );
    let output = run_with(&cherokee, &sample_export(), &out, &[]);
    assert_eq!(output.status.code(), Some(2));
    let said = stderr(&output);
    assert!(
        said.contains("ᏣᎳᎩ (chr)") && said.contains("U+13E3") && said.contains("fonts"),
        "{said}"
    );
    assert!(!out.exists(), "no run folder");

    // validate names the texts that are the practice's own.
    let output = on_export("validate", &notice_config(&dir, "in_letter"), &sample_export(), &[]);
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.contains("not a published translation"), "{table}");
    for (code, _, _) in TEXTS {
        assert!(
            table.contains(&format!("  {code} (source given: kindly's end-to-end test")),
            "{table}"
        );
    }
}

#[test]
fn a_name_in_another_script_prints_with_its_latin_form_in_the_window() {
    let dir = scratch("language-names");
    let header = HEADER.trim_end().to_string() + ",Latin Name\n";
    let rows = "\
7000001,王小明,313 Willow Way,,Springfield,OR,97477,2026-08-09,X-ray,421.16,,,en,N,N,N,N,Wang Xiaoming
7000002,김민준,10 Oak St,,Eugene,OR,97401,2026-08-09,Office visit,150.00,,,en,N,N,N,N,
";
    let export = dir.join("export.csv");
    std::fs::write(&export, header + rows).unwrap();
    let config = config_with(&dir, |t| {
        t.replace(
            "large_print = \"Large Print\"\n",
            "large_print = \"Large Print\"\nguarantor_latin = \"Latin Name\"\n",
        )
    });
    let out = dir.join("run");
    let output = run_with(&config, &export, &out, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let window = names_in_window(&out);
    assert_eq!(window["7000001"], "Wang Xiaoming", "the Latin form in the window");
    assert_eq!(window["7000002"], "김민준", "no Latin form: the name as written");
    let manifest = read_csv(&out.join("manifest.csv"));
    let mut names: Vec<&str> = manifest.iter().map(|r| r["recipient_name"].as_str()).collect();
    names.sort();
    assert_eq!(names, ["Wang Xiaoming", "김민준"]);
    // The letter greets the name as written.
    let audit = read_csv(&out.join("audit.csv"));
    let piece = &audit.iter().find(|r| r["account"] == "7000001").unwrap()["piece_id"];
    let doc =
        crate::pdf::read(&std::fs::read(out.join("letters").join(format!("{piece}.pdf"))).unwrap());
    assert!(doc.text().contains("王小明"), "{}", doc.text());
}
