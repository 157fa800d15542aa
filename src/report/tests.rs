//! Unit tests of [`super`] (`src/report.rs`), kept beside it in a file of their
//! own so that the module reads as one idea.

use super::DryRun;
use super::charts::bar_chart;
use crate::model::{Issue, IssueKind};
use crate::run_folder::{Fingerprint, RunRecord};

/// The heights of the bars (filled rectangles) of a chart's SVG.
fn bar_heights(svg: &str) -> Vec<i64> {
    svg.split("<rect")
        .skip(1)
        .filter(|r| r.contains("fill=\"#2E5E8C\""))
        .filter_map(|r| r.split("height=\"").nth(1)?.split('"').next()?.parse().ok())
        .collect()
}

#[test]
fn a_chart_of_one_category_draws_its_bar() {
    let one = bar_chart(&[("reminder".to_string(), 12)], false);
    let heights = bar_heights(&one);
    assert_eq!(heights.len(), 1, "{one}");
    assert!(heights[0] > 10, "a bar of one category has a height: {heights:?}");
    let three = bar_chart(&[("a".into(), 3), ("b".into(), 2), ("c".into(), 1)], false);
    let heights = bar_heights(&three);
    assert_eq!(heights.len(), 3);
    assert!(heights.iter().all(|h| *h > 10), "{heights:?}");
}

/// A record with every file named `name` and nothing counted.
fn record_of(name: &str) -> RunRecord {
    let file = || Fingerprint { file: name.to_string(), sha256: "0".repeat(64) };
    RunRecord {
        kindly_version: "0".into(),
        typst_version: "0".into(),
        as_of: "2026-11-30".into(),
        input: file(),
        input_read_as: None,
        config: file(),
        language_notice: None,
        mapping: None,
        layouts: file(),
        hold_list: None,
        confidential: None,
        not_readdressed: Vec::new(),
        not_held: Vec::new(),
        wording: Default::default(),
        vendor: "generic".into(),
        counts: Default::default(),
        files: Default::default(),
        shard: None,
        merged_from: Vec::new(),
        trial: false,
        pieces_not_made: Vec::new(),
        approval_required: false,
    }
}

/// What an export holds reaches the page as text, never as markup: the
/// template's values are escaped (all but the charts' SVG).
#[test]
fn the_exports_values_are_escaped_in_the_report() {
    let hostile = "<img src=x onerror=alert(1)> & \"quoted\" 'single'";
    let mut dry = DryRun::default();
    let issue = Issue {
        file: hostile.to_string(),
        line: 2,
        account: "1".into(),
        kind: IssueKind::BadAmount,
        column: "balance".into(),
        value: hostile.to_string(),
        reason: "not an amount".into(),
    };
    dry.issues(vec![issue], Vec::new());
    let html = String::from_utf8(dry.write(&record_of(hostile), None)).unwrap();
    assert!(!html.contains("<img src=x"), "{html}");
    let escaped = "&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quoted&quot; &#39;single&#39;";
    // The title, the row's value and its file:line, and the identity table.
    assert!(html.matches(escaped).count() >= 4, "{html}");
    assert!(html.contains("<section id=\"rejects\">"));
}

/// The notice's sentence counts its pages; where a large-print letter's
/// notice took two, it does not say "a page" of each letter.
#[test]
fn the_notice_sentence_says_pages_when_some_letter_took_two() {
    use crate::config::NoticePlacement;
    use crate::language_access::{NoticeRecord, RecordedLanguage, TextFrom};
    let mut record = record_of("x");
    let language =
        |code: &str, from| RecordedLanguage { code: code.into(), from, source: "s".into() };
    record.language_notice = Some(NoticeRecord {
        placement: NoticePlacement::InLetter,
        languages: vec![language("en", TextFrom::Table), language("es", TextFrom::Config)],
    });
    record.counts.letters = 3;
    record.counts.language_notice.pages = 3;
    record.counts.language_notice.sheets = 1;
    let one = record.notice_sentence().unwrap();
    assert!(
        one.contains("went on a page of its own after each letter: 3 pages, 1 more sheet"),
        "{one}"
    );
    record.counts.language_notice.pages = 4;
    let two = record.notice_sentence().unwrap();
    assert!(two.contains("went on pages of its own after each letter: 4 pages"), "{two}");
}
