//! `report.html`: the run at a glance, for the billing manager who decides
//! whether it goes to the vendor. One self-contained file (charts as inline
//! SVG drawn by plotters, each with the table of its numbers for screen
//! readers, pictures as inline PNG, the styles inline, no script, no font
//! and no address outside the run folder), made from the run folder's own
//! files a row at a time, so its cost does not grow with memory.
//!
//! Everything a patient's record or the export holds is HTML-escaped.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use base64::Engine;
use plotters::prelude::*;

use crate::model::Issue;
use crate::money::Cents;
use crate::output::{
    AUDIT_CSV, AuditDecision, AuditRow, Decided, HOLDS_CSV, HoldRow, Kind, MANIFEST_CSV,
    ManifestRow, OutputError, REJECTS_CSV, RunRecord, Staging, Variant, WARNINGS_CSV, each_row,
};
use crate::policy::Stage;
use crate::proof::{Cover, PROOF_PDF, ProofError};
use crate::render::TYPST_STACK;

/// The report's file name in the run folder.
pub const REPORT_HTML: &str = "report.html";

/// Rows of rejects and warnings shown per kind; the rest are counted.
const ROWS_SHOWN: usize = 5;

/// The folder of the run with the pictures of letters the report shows,
/// `pictures/<piece>.png`: the first page of the first letter of each
/// stage, language and variant, drawn by the run as it laid them out.
pub const PICTURES_DIR: &str = "pictures";

/// Age buckets of the oldest unpaid service, in days, as billing managers
/// report them: (label, highest day in the bucket).
const AGE_BUCKETS: [(&str, i64); 5] = [
    ("0-30 days", 30),
    ("31-60 days", 60),
    ("61-90 days", 90),
    ("91-120 days", 120),
    ("over 120 days", i64::MAX),
];

/// One letter's picture: which kind of letter it shows, its piece (or, in a
/// dry run, its account), the letter's file to link to, and the first page
/// as PNG.
struct LetterPicture {
    kind: Kind,
    name: String,
    link: Option<String>,
    png: Vec<u8>,
}

/// What the report counts, read from the run folder's files.
#[derive(Default)]
struct FolderCounts {
    letters: BTreeMap<(Stage, String), u64>,
    dollars_by_stage: BTreeMap<Stage, Cents>,
    accounts_by_stage: BTreeMap<Stage, u64>,
    ages: [(u64, Cents); 5],
    holds: BTreeMap<String, (u64, Cents)>,
    rejects: BTreeMap<String, Vec<Issue>>,
    warnings: BTreeMap<String, Vec<Issue>>,
    /// The piece of each stage, language and variant whose picture the run
    /// drew.
    samples: BTreeMap<Kind, ManifestRow>,
}

fn money(text: &str) -> Cents {
    Cents::parse(text).unwrap_or(Cents::ZERO)
}

impl FolderCounts {
    /// An account, with its balance and the age of its oldest unpaid
    /// service, and the stage of its letter if it gets one.
    fn account(&mut self, letter: Option<Stage>, balance: Cents, days_past_due: i64) {
        if let Some(stage) = letter {
            *self.dollars_by_stage.entry(stage).or_default() += balance;
            *self.accounts_by_stage.entry(stage).or_default() += 1;
        }
        if balance > Cents::ZERO {
            let bucket = AGE_BUCKETS.iter().position(|(_, top)| days_past_due <= *top).unwrap_or(4);
            self.ages[bucket].0 += 1;
            self.ages[bucket].1 += balance;
        }
    }

    fn hold(&mut self, reason_code: String, balance: Cents) {
        let entry = self.holds.entry(reason_code).or_default();
        entry.0 += 1;
        entry.1 += balance;
    }

    fn read(folder: &Path, record: &RunRecord) -> Result<FolderCounts, OutputError> {
        let mut t = FolderCounts::default();
        each_row(folder, MANIFEST_CSV, |row: ManifestRow| {
            *t.letters.entry((row.stage, row.language.clone())).or_default() += 1;
            if record.files.contains_key(&picture_of(&row.piece_id)) {
                t.samples.entry(row.kind()).or_insert(row);
            }
        })?;
        each_row(folder, AUDIT_CSV, |row: AuditRow| {
            let letter = row.stage.filter(|_| row.decision == AuditDecision::Letter);
            t.account(letter, money(&row.balance), row.days_past_due);
        })?;
        each_row(folder, HOLDS_CSV, |row: HoldRow| t.hold(row.reason_code, money(&row.balance)))?;
        let (mut rejects, mut warnings) = (Vec::new(), Vec::new());
        each_row(folder, REJECTS_CSV, |issue: Issue| rejects.push(issue))?;
        each_row(folder, WARNINGS_CSV, |issue: Issue| warnings.push(issue))?;
        t.issues(rejects, warnings);
        Ok(t)
    }

    fn issues(&mut self, rejects: Vec<Issue>, warnings: Vec<Issue>) {
        for (issues, group) in [(rejects, &mut self.rejects), (warnings, &mut self.warnings)] {
            for issue in issues {
                group.entry(issue.kind.code().to_string()).or_default().push(issue);
            }
        }
    }
}

/// The report of a dry run (`kindly validate --report`): the same sections
/// as a run's, from the accounts as policy decides them, one letter per
/// account (households are not put together), and pictures of sample
/// letters; no pages, sheets or postage, which are known once letters are
/// made.
#[derive(Default)]
pub struct DryRun {
    tally: FolderCounts,
    pictures: Vec<LetterPicture>,
}

impl DryRun {
    /// An account policy decided: its letter's kind if it gets one, else
    /// its hold's reason code; its balance and days past due.
    pub fn account(&mut self, decided: Result<&Kind, &str>, balance: Cents, days_past_due: i64) {
        match decided {
            Ok((stage, language, _)) => {
                *self.tally.letters.entry((*stage, language.clone())).or_default() += 1;
                self.tally.account(Some(*stage), balance, days_past_due);
            }
            Err(code) => {
                self.tally.account(None, balance, days_past_due);
                self.tally.hold(code.to_string(), balance);
            }
        }
    }

    /// The export's rejected rows and warnings.
    pub fn issues(&mut self, rejects: Vec<Issue>, warnings: Vec<Issue>) {
        self.tally.issues(rejects, warnings);
    }

    /// A sample letter's first page, of `kind`, for `account`.
    pub fn picture(&mut self, kind: Kind, account: &str, png: Vec<u8>) {
        self.pictures.push(LetterPicture {
            kind,
            name: format!("account {account}"),
            link: None,
            png,
        });
    }

    /// The report; `record` gives its identity and counts (of accounts,
    /// letters, holds and rejected rows).
    pub fn write(self, record: &RunRecord) -> Vec<u8> {
        render(record, &self.tally, &self.pictures, Heading::DryRun).into_bytes()
    }
}

/// What the report is of: a run, with what changed since the ledger's
/// latest earlier run (None if it has none), or a dry run.
#[derive(Clone, Copy)]
enum Heading<'a> {
    Run(Option<&'a Changes>),
    DryRun,
}

/// What changed since an earlier run (`earlier`: its as-of date and
/// folder), worked out a row at a time: `decisions` hands the earlier run's
/// decisions, in account order, to the function it is given (the ledger's
/// query, streamed), beside this run's audit.csv and holds.csv in `staged`,
/// also in account order. Memory does not grow with the run.
pub fn changes_since<E>(
    (as_of, folder): (&str, &str),
    staged: &Path,
    decisions: impl FnOnce(&mut dyn FnMut(Decided) -> Result<(), E>) -> Result<(), E>,
    unreadable: impl Fn(String) -> E,
) -> Result<Changes, E> {
    let mut changes = Changes {
        previous_as_of: as_of.to_string(),
        previous_folder: folder.to_string(),
        ..Changes::default()
    };
    let now = |row: &AuditRow| (row.decision == AuditDecision::Letter, row.stage);
    let mut audit =
        InOrder::open(staged, AUDIT_CSV, |r: &AuditRow| &r.account).map_err(&unreadable)?;
    let mut holds =
        InOrder::open(staged, HOLDS_CSV, |r: &HoldRow| &r.account).map_err(&unreadable)?;
    decisions(&mut |then: Decided| {
        while let Some(row) = audit.take_if(|a| a < then.account.as_str()).map_err(&unreadable)? {
            changes.account(Some(now(&row)), None);
        }
        let same = audit.take_if(|a| a == then.account).map_err(&unreadable)?;
        changes.account(same.as_ref().map(now), Some(&then));
        while let Some(row) = holds.take_if(|a| a < then.account.as_str()).map_err(&unreadable)? {
            changes.new_hold(&row.reason_code, &row.account, &row.reason);
        }
        // On hold now and then: not a new hold.
        if let Some(row) = holds.take_if(|a| a == then.account).map_err(&unreadable)?
            && then.letter
        {
            changes.new_hold(&row.reason_code, &row.account, &row.reason);
        }
        Ok(())
    })?;
    while let Some(row) = audit.take_if(|_| true).map_err(&unreadable)? {
        changes.account(Some(now(&row)), None);
    }
    while let Some(row) = holds.take_if(|_| true).map_err(&unreadable)? {
        changes.new_hold(&row.reason_code, &row.account, &row.reason);
    }
    Ok(changes)
}

/// A run folder's CSV file read a row at a time, in its (account) order,
/// the next row kept back until it is taken.
struct InOrder<T> {
    name: &'static str,
    rows: csv::DeserializeRecordsIntoIter<std::fs::File, T>,
    next: Option<T>,
    account: fn(&T) -> &String,
}

impl<T: serde::de::DeserializeOwned> InOrder<T> {
    fn open(folder: &Path, name: &'static str, account: fn(&T) -> &String) -> Result<Self, String> {
        let reader =
            csv::Reader::from_path(folder.join(name)).map_err(|e| format!("{name}: {e}"))?;
        let mut rows = InOrder { name, rows: reader.into_deserialize(), next: None, account };
        rows.next = rows.read()?;
        Ok(rows)
    }

    fn read(&mut self) -> Result<Option<T>, String> {
        self.rows.next().transpose().map_err(|e| format!("{}: {e}", self.name))
    }

    /// The next row, if its account is one `wanted` takes.
    fn take_if(&mut self, wanted: impl Fn(&str) -> bool) -> Result<Option<T>, String> {
        if !self.next.as_ref().is_some_and(|row| wanted((self.account)(row))) {
            return Ok(None);
        }
        let next = self.read()?;
        Ok(std::mem::replace(&mut self.next, next))
    }
}

/// Accounts listed by name in each part of "What changed"; the rest are
/// counted.
const CHANGES_LISTED: usize = 5;

/// What changed since the latest earlier run the ledger holds.
#[derive(Default)]
pub struct Changes {
    pub previous_as_of: String,
    pub previous_folder: String,
    /// Accounts with a letter, by stage: (in the earlier run, in this one).
    pub letters: BTreeMap<Stage, (u64, u64)>,
    /// Accounts on hold now that were not then (they had a letter, or were
    /// not in that run), by reason code: how many, and the first few with
    /// their reasons.
    pub new_holds: BTreeMap<String, (u64, Vec<(String, String)>)>,
    /// Accounts in the earlier run that are not in this export: how many,
    /// and the first few with what they had then.
    pub left: (u64, Vec<(String, String)>),
    /// Accounts in this export that were not in the earlier run.
    pub new_accounts: u64,
    /// Accounts on hold then that get a letter now.
    pub released: u64,
}

impl Changes {
    /// One account, side by side: now (whether it gets a letter, at which
    /// stage) and then; either absent.
    pub fn account(&mut self, now: Option<(bool, Option<Stage>)>, then: Option<&Decided>) {
        if let Some(Decided { letter: true, stage: Some(stage), .. }) = then {
            self.letters.entry(*stage).or_default().0 += 1;
        }
        if let Some((true, Some(stage))) = now {
            self.letters.entry(stage).or_default().1 += 1;
        }
        match (now, then) {
            (None, Some(then)) => {
                self.left.0 += 1;
                if self.left.1.len() < CHANGES_LISTED {
                    let had = match (then.letter, then.stage) {
                        (true, Some(stage)) => format!("a {stage} letter"),
                        _ => "on hold".to_string(),
                    };
                    self.left.1.push((then.account.clone(), had));
                }
            }
            (Some(_), None) => self.new_accounts += 1,
            (Some((true, _)), Some(Decided { letter: false, .. })) => self.released += 1,
            _ => {}
        }
    }

    /// An account on hold now that was not then.
    pub fn new_hold(&mut self, code: &str, account: &str, reason: &str) {
        let (n, listed) = self.new_holds.entry(code.to_string()).or_default();
        *n += 1;
        if listed.len() < CHANGES_LISTED {
            listed.push((account.to_string(), reason.to_string()));
        }
    }

    fn html(&self) -> String {
        let mut html = String::new();
        let _ = write!(
            html,
            "<p>Compared with the run of {} ({}), from the ledger. Accounts new since then: {}. Accounts on hold then that get a letter now: {}.</p>",
            esc(&self.previous_as_of),
            esc(&self.previous_folder),
            self.new_accounts,
            self.released
        );
        let rows: Vec<Vec<String>> = self
            .letters
            .iter()
            .map(|(stage, (then, now))| {
                vec![
                    stage.to_string(),
                    then.to_string(),
                    now.to_string(),
                    format!("{:+}", *now as i64 - *then as i64),
                ]
            })
            .collect();
        let then = format!("Run of {}", self.previous_as_of);
        html.push_str(&table(
            "Accounts with a letter, by stage",
            &["Stage", &then, "This run", "Change"],
            &rows,
        ));
        let rows: Vec<Vec<String>> =
            self.new_holds.iter().map(|(code, (n, _))| vec![code.clone(), n.to_string()]).collect();
        html.push_str(&table(
            "Accounts on hold now that were not then, by reason",
            &["Reason", "Accounts"],
            &rows,
        ));
        for (code, (n, listed)) in &self.new_holds {
            let rows: Vec<Vec<String>> =
                listed.iter().map(|(a, why)| vec![a.clone(), why.clone()]).collect();
            let caption = format!("{code}: the first {} of {n}", rows.len());
            html.push_str(&table(&caption, &["Account", "Reason"], &rows));
        }
        let rows: Vec<Vec<String>> =
            self.left.1.iter().map(|(a, had)| vec![a.clone(), had.clone()]).collect();
        let caption = format!(
            "Accounts in the run of {} that are not in this export: the first {} of {}",
            self.previous_as_of,
            rows.len(),
            self.left.0
        );
        html.push_str(&table(&caption, &["Account", "Then"], &rows));
        html
    }
}

/// Text made safe to put in HTML, in an element or an attribute.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A horizontal bar chart as inline SVG, one bar per row, values in whole
/// units (letters, or cents shown as dollars). Empty if plotters cannot
/// draw it: the table beside it still has the numbers.
fn bar_chart(rows: &[(String, u64)], dollars: bool) -> String {
    let mut svg = String::new();
    let height = 48 + 26 * rows.len().max(1) as u32;
    let drawn = draw_bars(
        SVGBackend::with_string(&mut svg, (640, height)).into_drawing_area(),
        rows,
        dollars,
    );
    if drawn.is_err() { String::new() } else { svg }
}

fn draw_bars(
    root: DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    rows: &[(String, u64)],
    dollars: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    root.fill(&WHITE)?;
    let max = rows.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    // A segmented axis of 0..0 has no height: one row (a month of reminders
    // only) gets the axis 0..1, its bar the whole of it.
    let last_segment = rows.len().max(2) - 1;
    let mut chart = ChartBuilder::on(&root)
        .margin(8)
        .x_label_area_size(24)
        .y_label_area_size(170)
        .build_cartesian_2d(0u64..max + max / 10 + 1, (0..last_segment).into_segmented())?;
    // The first row at the top: segment 0 is at the bottom of the chart.
    let top_down = |i: usize| rows.len().saturating_sub(1 + i);
    let label = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(i) | SegmentValue::Exact(i) if *i < rows.len() => {
            rows.get(top_down(*i)).map(|r| r.0.clone()).unwrap_or_default()
        }
        _ => String::new(),
    };
    let amount = |v: &u64| if dollars { format!("${}", v / 100) } else { v.to_string() };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(RGBColor(238, 238, 238))
        .y_labels(rows.len().max(1))
        .y_label_formatter(&label)
        .x_label_formatter(&amount)
        .x_labels(5)
        .label_style(("sans-serif", 13))
        .draw()?;
    // Bars drawn one by one, in the rows' order: plotters' Histogram sums
    // its data in a HashMap and would draw them in a different order on
    // every run, and the report must be the same bytes on a rerun.
    let bar = RGBColor(46, 94, 140).filled();
    chart.draw_series(rows.iter().enumerate().map(|(row, (_, value))| {
        let i = top_down(row);
        let end = if i + 1 == rows.len() { SegmentValue::Last } else { SegmentValue::Exact(i + 1) };
        let mut rect = Rectangle::new([(0, SegmentValue::Exact(i)), (*value, end)], bar);
        rect.set_margin(4, 4, 0, 0);
        rect
    }))?;
    root.present()?;
    Ok(())
}

/// A table of the chart's numbers: the header cells, then rows of cells.
fn table(caption: &str, header: &[&str], rows: &[Vec<String>]) -> String {
    let mut html = format!("<table><caption>{}</caption><thead><tr>", esc(caption));
    for h in header {
        let _ = write!(html, "<th scope=\"col\">{}</th>", esc(h));
    }
    html.push_str("</tr></thead><tbody>");
    for row in rows {
        html.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let _ = if i == 0 {
                write!(html, "<th scope=\"row\">{}</th>", esc(cell))
            } else {
                write!(html, "<td>{}</td>", esc(cell))
            };
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table>");
    html
}

/// One bar of a chart and the row of its table.
struct ChartBar {
    label: String,
    value: u64,
    cells: Vec<String>,
}

/// One section: a heading, the chart of `bars` (hidden from screen readers,
/// which read the table), the table of their numbers under `header`, and
/// `more` after it.
fn section(
    html: &mut String,
    (id, title): (&str, &str),
    header: &[&str],
    bars: &[ChartBar],
    dollars: bool,
    more: &str,
) {
    let chart: Vec<(String, u64)> = bars.iter().map(|b| (b.label.clone(), b.value)).collect();
    let rows: Vec<Vec<String>> = bars.iter().map(|b| b.cells.clone()).collect();
    let _ = write!(
        html,
        "<section id=\"{id}\"><h2>{}</h2><div class=\"chart\" aria-hidden=\"true\">{}</div>{}{more}</section>",
        esc(title),
        bar_chart(&chart, dollars),
        table(title, header, &rows)
    );
}

/// The name in the run folder of a piece's picture.
pub fn picture_of(piece: &str) -> String {
    format!("{PICTURES_DIR}/{piece}.png")
}

/// Writes the last files of a run folder, which read the others: proof.pdf,
/// and report.html, which links to it. `record` gives the run's record
/// with the files staged so far. They are the run's last work, and the
/// proof is laid out on a thread of its own while the report is written,
/// so that a core is not idle while the other lays the proof out (1,000
/// accounts: "manifests and records" 0.1 s before, 0.06-0.07 s after).
pub fn finish_folder(
    staging: &mut Staging,
    record: impl Fn(&Staging) -> RunRecord,
    changes: Option<&Changes>,
) -> Result<(), ProofError> {
    let folder = staging.path().to_path_buf();
    let record = record(staging);
    let proof = || crate::proof::of_folder(&folder, &record);
    let (proof, report) = std::thread::scope(|scope| {
        let thread = std::thread::Builder::new().stack_size(TYPST_STACK).spawn_scoped(scope, proof);
        let report = write(&folder, &record, changes);
        let proof = match thread {
            Ok(thread) => thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // Without a second thread, the proof is made after the report.
            Err(_) => proof(),
        };
        (proof, report)
    });
    staging.write(PROOF_PDF, &proof?)?;
    staging.write(REPORT_HTML, &report?)?;
    Ok(())
}

/// The report of the run folder `folder`, whose record is `record` (not
/// yet written; its `files` list the pictures), with what changed since the
/// ledger's latest earlier run, if there is one.
fn write(
    folder: &Path,
    record: &RunRecord,
    changes: Option<&Changes>,
) -> Result<Vec<u8>, OutputError> {
    let tally = FolderCounts::read(folder, record)?;
    let mut pictures = Vec::new();
    for (kind, piece) in &tally.samples {
        let path = folder.join(picture_of(&piece.piece_id));
        let png = std::fs::read(&path).map_err(|source| OutputError::Io { path, source })?;
        let (name, link) = (piece.piece_id.clone(), Some(piece.file.clone()));
        pictures.push(LetterPicture { kind: kind.clone(), name, link, png });
    }
    Ok(render(record, &tally, &pictures, Heading::Run(changes)).into_bytes())
}

fn render(
    record: &RunRecord,
    t: &FolderCounts,
    pictures: &[LetterPicture],
    heading: Heading,
) -> String {
    let c = &record.counts;
    let mut html = String::with_capacity(256 * 1024);
    let title = match heading {
        Heading::Run(_) => format!("kindly run of {}", record.as_of),
        Heading::DryRun => {
            format!("kindly dry run of {}, as of {}", record.input.file, record.as_of)
        }
    };
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"/><title>{}</title><style>{STYLE}</style></head><body>",
        esc(&title)
    );
    let lead = match heading {
        Heading::Run(_) => format!(
            "{} letters ({} pages, {} sheets, {} envelopes) for {} accounts; {} accounts on hold; {} rows could not be read. Estimated postage {}.",
            c.letters,
            c.pages,
            c.sheets,
            c.envelopes,
            c.accounts_in_letters(),
            c.holds,
            c.rows.rejected,
            c.estimated_postage,
        ),
        Heading::DryRun => format!(
            "A dry run: no letters were made. A run would make {} letters, one per account (households are put together only by a run); {} accounts on hold; {} rows could not be read. Pages, sheets and postage are known once the letters are made.",
            c.letters, c.holds, c.rows.rejected,
        ),
    };
    let _ = write!(
        html,
        "<header><h1>{}</h1><p class=\"lead\">{}</p></header>",
        esc(&title),
        esc(&lead)
    );
    // A run's report always has its proof beside it; a dry run has none.
    if let Heading::Run(_) = heading {
        let _ = write!(
            html,
            "<p class=\"proof\"><a href=\"{PROOF_PDF}\">proof.pdf</a>: the letters to check and sign before this run goes to the vendor, then <code>kindly approve</code>.</p>"
        );
    }
    let bars: Vec<ChartBar> = t
        .letters
        .iter()
        .map(|((stage, language), n)| ChartBar {
            label: format!("{stage} ({language})"),
            value: *n,
            cells: vec![stage.to_string(), language.clone(), n.to_string()],
        })
        .collect();
    let letters = ("letters", "Letters by stage and language");
    section(&mut html, letters, &["Stage", "Language", "Letters"], &bars, false, "");

    let bars: Vec<ChartBar> = t
        .dollars_by_stage
        .iter()
        .map(|(stage, cents)| ChartBar {
            label: stage.to_string(),
            value: cents.0.max(0) as u64,
            cells: vec![
                stage.to_string(),
                t.accounts_by_stage.get(stage).copied().unwrap_or(0).to_string(),
                cents.to_string(),
            ],
        })
        .collect();
    let dollars = ("dollars", "Dollars in letters, by stage");
    section(&mut html, dollars, &["Stage", "Accounts", "Balance"], &bars, true, "");

    let bars: Vec<ChartBar> = AGE_BUCKETS
        .iter()
        .zip(&t.ages)
        .map(|((label, _), (n, cents))| ChartBar {
            label: label.to_string(),
            value: *n,
            cells: vec![label.to_string(), n.to_string(), cents.to_string()],
        })
        .collect();
    let ages = ("ages", "Accounts owing, by age of the oldest unpaid service");
    section(&mut html, ages, &["Age", "Accounts", "Balance"], &bars, false, "");

    let bars: Vec<ChartBar> = t
        .holds
        .iter()
        .map(|(reason, (n, cents))| ChartBar {
            label: reason.clone(),
            value: *n,
            cells: vec![reason.clone(), n.to_string(), cents.to_string()],
        })
        .collect();
    let holds = ("holds", "Accounts on hold, by reason (holds.csv lists each)");
    let mut not_held = String::new();
    if !record.not_held.is_empty() {
        let rows: Vec<Vec<String>> = record
            .not_held
            .iter()
            .map(|r| vec![r.account.clone(), r.line.to_string(), r.why()])
            .collect();
        let caption = "Rows of the hold list that held nothing: check the account numbers of those not in the \
                       export, and take ended holds off the list";
        not_held = table(caption, &["Account", "Line of the hold list", "Why"], &rows);
    }
    if !record.pieces_not_made.is_empty() {
        let _ = write!(
            not_held,
            "<p>Piece numbers {} are not in the manifest: their letters failed the envelope and vendor checks \
             (held as held_at_preflight or for the vendor's limits; holds.csv says why).</p>",
            esc(&record.pieces_not_made.join(", "))
        );
    }
    section(&mut html, holds, &["Reason", "Accounts", "Balance"], &bars, false, &not_held);

    for (id, title, group) in [
        ("rejects", "Rows that could not be read (rejects.csv)", &t.rejects),
        ("warnings", "Rows read with a warning (warnings.csv)", &t.warnings),
    ] {
        let bars: Vec<ChartBar> = group
            .iter()
            .map(|(kind, rows)| ChartBar {
                label: kind.clone(),
                value: rows.len() as u64,
                cells: vec![kind.clone(), rows.len().to_string()],
            })
            .collect();
        let mut shown_rows = String::new();
        for (kind, rows) in group {
            let shown: Vec<Vec<String>> = rows
                .iter()
                .take(ROWS_SHOWN)
                .map(|i| {
                    vec![
                        format!("{}:{}", i.file, i.line),
                        i.column.clone(),
                        i.value.clone(),
                        i.reason.clone(),
                    ]
                })
                .collect();
            let caption = format!("{kind}: the first {} of {}", shown.len(), rows.len());
            shown_rows.push_str(&table(&caption, &["Line", "Column", "Value", "Reason"], &shown));
        }
        section(&mut html, (id, title), &["Kind", "Rows"], &bars, false, &shown_rows);
    }

    if let Heading::Run(changes) = heading {
        mail_and_changes(&mut html, c, changes);
    }

    html.push_str(
        "<section id=\"letters-seen\"><h2>One letter of each kind</h2><div class=\"pictures\">",
    );
    for p in pictures {
        let (stage, language, variant) = &p.kind;
        let variant = match variant {
            Variant::Standard => "standard",
            Variant::LargePrint => "large print",
        };
        let caption = format!("{stage}, {language}, {variant}: {}", p.name);
        let data = base64::engine::general_purpose::STANDARD.encode(&p.png);
        let img = format!(
            "<img src=\"data:image/png;base64,{data}\" alt=\"First page of {}\"/>",
            esc(&caption)
        );
        let _ = match &p.link {
            Some(file) => write!(html, "<figure><a href=\"{}\">{img}</a>", esc(file)),
            None => write!(html, "<figure>{img}"),
        };
        let _ = write!(html, "<figcaption>{}</figcaption></figure>", esc(&caption));
    }
    html.push_str("</div></section>");

    let mut identity = vec![
        vec!["As of".to_string(), record.as_of.clone()],
        vec!["kindly".to_string(), record.kindly_version.clone()],
        vec!["Typst".to_string(), record.typst_version.clone()],
        vec!["Vendor".to_string(), record.vendor.clone()],
    ];
    let made_by = [&record.input, &record.config, &record.layouts];
    identity.extend(
        Cover::identity(made_by, [record.mapping.as_ref(), record.hold_list.as_ref()])
            .into_iter()
            .map(|(what, sha)| vec![what, sha]),
    );
    let _ = write!(
        html,
        "<section id=\"identity\"><h2>What made this run</h2>{}<p class=\"note\">SHA-256 checksums: <code>kindly verify</code> checks every file of the run against run.json.</p></section>",
        table("What made this run", &["", "Value or SHA-256"], &identity)
    );
    html.push_str("</body></html>\n");
    html
}

/// The sections of a run only: pages, sheets and postage, and what changed
/// since the last run.
fn mail_and_changes(html: &mut String, c: &crate::output::Counts, changes: Option<&Changes>) {
    let rows = vec![
        vec!["Letters".to_string(), c.letters.to_string()],
        vec!["Pages".to_string(), c.pages.to_string()],
        vec!["Sheets".to_string(), c.sheets.to_string()],
        vec!["Envelopes".to_string(), c.envelopes.to_string()],
        vec!["Estimated postage".to_string(), c.estimated_postage.to_string()],
    ];
    let _ = write!(
        html,
        "<section id=\"mail\"><h2>Pages, sheets and postage</h2>{}<p class=\"note\">Postage is an estimate from the rates in the config's [vendor.postage]; the vendor's invoice is the real figure.</p></section>",
        table("Pages, sheets and postage", &["", "Count"], &rows)
    );

    let changed = match changes {
        Some(changes) => changes.html(),
        None => "<p>The ledger holds no earlier run to compare this one with.</p>".to_string(),
    };
    let _ = write!(
        html,
        "<section id=\"changes\"><h2>What changed since the last run</h2>{changed}</section>"
    );
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b;line-height:1.45}\
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}\
.lead{font-size:1.05rem}table{border-collapse:collapse;margin:.6rem 0 1rem;font-size:.9rem}\
caption{text-align:left;font-weight:600;padding:.2rem 0}th,td{border:1px solid #ccc;padding:.2rem .6rem;text-align:left}\
td{font-variant-numeric:tabular-nums}thead th{background:#eef2f6}.chart svg{max-width:100%;height:auto}\
.pictures{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0;width:280px}figure img{width:100%;border:1px solid #999}\
figcaption{font-size:.85rem}.note{font-size:.85rem;color:#444}code{font-size:.85rem}\
@media print{body{margin:0;max-width:none}section{break-inside:avoid}a{color:inherit;text-decoration:none}}";

#[cfg(test)]
mod tests;
