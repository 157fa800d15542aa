//! The page of report.html: what the counts say, put into the words, tables
//! and charts of `report.html` (the template beside this file), which
//! lays them out. Every value the template prints is HTML-escaped but the
//! charts' SVG, which plotters draws from numbers and labels it escapes.

use std::sync::LazyLock;

use base64::Engine;
use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Serde, Value};
use minijinja::{Environment, ErrorKind, UndefinedBehavior};
use serde::Serialize;

use super::ROWS_SHOWN;
use super::changes::Changes;
use super::charts::bar_chart;
use super::counts::{AGE_BUCKETS, FolderCounts};
use super::{FromLedger, LookingBack};
use crate::proof::{Cover, PROOF_PDF};
use crate::run_folder::{Counts, Kind, RunRecord, Variant};

/// The template's name: its `.html` ending turns HTML escaping on.
const TEMPLATE: &str = "report.html";

/// The template, parsed once: it is kindly's own, so an error in it is a
/// bug that the unit tests find, never an office's.
static PAGE: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_formatter(html_formatter);
    // Block tags on lines of their own leave no blank lines behind.
    let whitespace = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build();
    env.set_syntax(whitespace.unwrap_or_else(|e| panic!("{e}")));
    env.add_template(TEMPLATE, include_str!("report.html"))
        .unwrap_or_else(|e| panic!("kindly's report template does not parse: {e:#}"));
    env
});

/// What the report is of: a run, with what the ledger tells of earlier
/// runs, or a dry run.
#[derive(Clone, Copy)]
pub(super) enum Heading<'a> {
    Run(&'a FromLedger),
    DryRun(Option<&'a LookingBack>),
}

/// One letter's picture: which kind of letter it shows, its piece (or, in a
/// dry run, its account), the letter's file to link to, and the first page
/// as PNG.
pub(super) struct LetterPicture {
    pub(super) kind: Kind,
    pub(super) name: String,
    pub(super) link: Option<String>,
    pub(super) png: Vec<u8>,
}

/// Everything the template shows.
#[derive(Serialize)]
struct Page {
    title: String,
    lead: String,
    sections: Vec<Section>,
    /// A run's own sections; a dry run has no letters made.
    run: Option<RunPart>,
    /// What earlier letters led to, where the ledger knows.
    looking_back: Option<LookingBackPart>,
    figures: Vec<Figure>,
    identity: Table,
}

/// The parts only a run has: its proof, pages, sheets and postage, and what
/// changed since the last run (None if the ledger holds no earlier run).
#[derive(Serialize)]
struct RunPart {
    proof: &'static str,
    mail: Table,
    changes: Option<ChangesPart>,
}

/// "What earlier letters led to": its chart and table, and how many runs
/// and letters it counts.
#[derive(Serialize)]
struct LookingBackPart {
    section: Section,
    runs: usize,
    letters: u64,
    pending: u64,
    /// When the latest run's letters are counted.
    pending_note: &'static str,
    trials: Vec<String>,
}

#[derive(Serialize)]
struct ChangesPart {
    previous_as_of: String,
    previous_folder: String,
    new_accounts: u64,
    released: u64,
    tables: Vec<Table>,
}

/// One section: a chart (SVG, hidden from screen readers, which read the
/// table), the table of its numbers, then more tables and a closing note.
#[derive(Serialize)]
struct Section {
    id: &'static str,
    title: &'static str,
    chart: String,
    table: Table,
    more: Vec<Table>,
    note: Option<String>,
}

/// A table: its caption, header cells, and rows of cells (the first a row
/// header).
#[derive(Serialize)]
struct Table {
    caption: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(caption: impl Into<String>, header: &[&str], rows: Vec<Vec<String>>) -> Table {
        let header = header.iter().map(|h| h.to_string()).collect();
        Table { caption: caption.into(), header, rows }
    }
}

/// One letter's first page, linked to its file when there is one.
#[derive(Serialize)]
struct Figure {
    caption: String,
    png_base64: String,
    link: Option<String>,
}

/// One bar of a chart and the row of its table.
struct ChartBar {
    label: String,
    value: u64,
    cells: Vec<String>,
}

/// A section of a chart of `bars` and the table of their numbers.
fn section(
    (id, title): (&'static str, &'static str),
    header: &[&str],
    bars: Vec<ChartBar>,
    dollars: bool,
) -> Section {
    let chart: Vec<(String, u64)> = bars.iter().map(|b| (b.label.clone(), b.value)).collect();
    let rows = bars.into_iter().map(|b| b.cells).collect();
    Section {
        id,
        title,
        chart: bar_chart(&chart, dollars),
        table: Table::new(title, header, rows),
        more: Vec::new(),
        note: None,
    }
}

/// The report's HTML.
pub(super) fn render(
    record: &RunRecord,
    counts: &FolderCounts,
    pictures: &[LetterPicture],
    heading: Heading,
) -> String {
    let page = Page {
        title: title(record, heading),
        lead: lead(record, heading),
        sections: sections(record, counts),
        run: match heading {
            Heading::Run(from_ledger) => Some(RunPart {
                proof: PROOF_PDF,
                mail: mail(&record.counts),
                changes: from_ledger.changes.as_ref().map(changes_part),
            }),
            Heading::DryRun(_) => None,
        },
        looking_back: match heading {
            Heading::Run(from_ledger) => {
                from_ledger.looking_back.as_ref().map(|b| looking_back_part(b, heading))
            }
            Heading::DryRun(back) => back.map(|b| looking_back_part(b, heading)),
        },
        figures: pictures.iter().map(figure).collect(),
        identity: identity(record),
    };
    PAGE.get_template(TEMPLATE)
        .and_then(|template| template.render(Value::from(Serde(&page))))
        .unwrap_or_else(|e| panic!("kindly's report template cannot show the report: {e:#}"))
}

fn title(record: &RunRecord, heading: Heading) -> String {
    match heading {
        Heading::Run(_) => format!("kindly run of {}", record.as_of),
        Heading::DryRun(_) => {
            format!("kindly dry run of {}, as of {}", record.input.file, record.as_of)
        }
    }
}

fn lead(record: &RunRecord, heading: Heading) -> String {
    let c = &record.counts;
    match heading {
        Heading::Run(_) => {
            let mut lead = format!(
                "{} letters ({} pages, {} sheets, {} envelopes) for {} accounts; {} accounts on hold; \
             {} rows could not be read. Estimated postage {}.",
                c.letters,
                c.pages,
                c.sheets,
                c.envelopes,
                c.accounts_in_letters(),
                c.holds,
                c.rows.rejected,
                c.estimated_postage,
            );
            // What the language-assistance notice added, when it was on.
            if let Some(notice) = record.notice_sentence() {
                lead.push_str(&format!(" {}{}.", notice[..1].to_uppercase(), &notice[1..]));
            }
            lead
        }
        Heading::DryRun(_) => format!(
            "A dry run: no letters were made. A run would make {} letters, one per account \
             (households are put together only by a run); {} accounts on hold; {} rows could not \
             be read. Pages, sheets and postage are known once the letters are made.",
            c.letters, c.holds, c.rows.rejected,
        ),
    }
}

/// The sections a run and a dry run share: letters, dollars, ages, holds,
/// rejected rows and warnings.
fn sections(record: &RunRecord, t: &FolderCounts) -> Vec<Section> {
    let letters = t.letters.iter().map(|((stage, language), n)| ChartBar {
        label: format!("{stage} ({language})"),
        value: *n,
        cells: vec![stage.to_string(), language.clone(), n.to_string()],
    });
    let dollars = t.dollars_by_stage.iter().map(|(stage, cents)| ChartBar {
        label: stage.to_string(),
        value: cents.0.max(0) as u64,
        cells: vec![
            stage.to_string(),
            t.accounts_by_stage.get(stage).copied().unwrap_or(0).to_string(),
            cents.to_string(),
        ],
    });
    let ages = AGE_BUCKETS.iter().zip(&t.ages).map(|((label, _), (n, cents))| ChartBar {
        label: label.to_string(),
        value: *n,
        cells: vec![label.to_string(), n.to_string(), cents.to_string()],
    });
    let holds = t.holds.iter().map(|(reason, (n, cents))| ChartBar {
        label: reason.clone(),
        value: *n,
        cells: vec![reason.clone(), n.to_string(), cents.to_string()],
    });
    let mut sections = vec![
        section(
            ("letters", "Letters by stage and language"),
            &["Stage", "Language", "Letters"],
            letters.collect(),
            false,
        ),
        section(
            ("dollars", "Dollars in letters, by stage"),
            &["Stage", "Accounts", "Balance"],
            dollars.collect(),
            true,
        ),
        section(
            ("ages", "Accounts owing, by age of the oldest unpaid service"),
            &["Age", "Accounts", "Balance"],
            ages.collect(),
            false,
        ),
        holds_section(record, holds.collect()),
    ];
    for (id, title, group) in [
        ("rejects", "Rows that could not be read (rejects.csv)", &t.rejects),
        ("warnings", "Rows read with a warning (warnings.csv)", &t.warnings),
    ] {
        let bars = group.iter().map(|(kind, rows)| ChartBar {
            label: kind.clone(),
            value: rows.len() as u64,
            cells: vec![kind.clone(), rows.len().to_string()],
        });
        let mut section = section((id, title), &["Kind", "Rows"], bars.collect(), false);
        for (kind, rows) in group {
            let shown: Vec<Vec<String>> = rows
                .iter()
                .take(ROWS_SHOWN)
                .map(|i| {
                    let line = format!("{}:{}", i.file, i.line);
                    vec![line, i.column.clone(), i.value.clone(), i.reason.clone()]
                })
                .collect();
            let caption = format!("{kind}: the first {} of {}", shown.len(), rows.len());
            section.more.push(Table::new(caption, &["Line", "Column", "Value", "Reason"], shown));
        }
        sections.push(section);
    }
    sections
}

/// Holds by reason, then the hold list's rows that held nothing and the
/// piece numbers the manifest skips.
fn holds_section(record: &RunRecord, bars: Vec<ChartBar>) -> Section {
    let title = ("holds", "Accounts on hold, by reason (holds.csv lists each)");
    let mut section = section(title, &["Reason", "Accounts", "Balance"], bars, false);
    if !record.not_held.is_empty() {
        let rows = record
            .not_held
            .iter()
            .map(|r| vec![r.account.clone(), r.line.to_string(), r.why()])
            .collect();
        let caption = "Rows of the hold list that held nothing: check the account numbers of \
                       those not in the export, and take ended holds off the list";
        section.more.push(Table::new(caption, &["Account", "Line of the hold list", "Why"], rows));
    }
    if !record.pieces_not_made.is_empty() {
        let (pieces, are, letters) = match record.pieces_not_made.len() {
            1 => ("Piece number", "is", "its letter"),
            _ => ("Piece numbers", "are", "their letters"),
        };
        section.note = Some(format!(
            "{pieces} {} {are} not in the manifest: {letters} failed the envelope and vendor \
             checks (held as held_at_preflight or for the vendor's limits; holds.csv says why).",
            record.pieces_not_made.join(", ")
        ));
    }
    section
}

fn mail(c: &Counts) -> Table {
    let rows = vec![
        vec!["Letters".to_string(), c.letters.to_string()],
        vec!["Pages".to_string(), c.pages.to_string()],
        vec!["Sheets".to_string(), c.sheets.to_string()],
        vec!["Envelopes".to_string(), c.envelopes.to_string()],
        vec!["Estimated postage".to_string(), c.estimated_postage.to_string()],
    ];
    Table::new("Pages, sheets and postage", &["", "Count"], rows)
}

fn changes_part(changes: &Changes) -> ChangesPart {
    let letters = changes
        .letters
        .iter()
        .map(|(stage, (then, now))| {
            let change = format!("{:+}", *now as i64 - *then as i64);
            vec![stage.to_string(), then.to_string(), now.to_string(), change]
        })
        .collect();
    let then = format!("Run of {}", changes.previous_as_of);
    let mut tables = vec![
        Table::new(
            "Accounts with a letter, by stage",
            &["Stage", &then, "This run", "Change"],
            letters,
        ),
        Table::new(
            "Accounts on hold now that were not then, by reason",
            &["Reason", "Accounts"],
            changes
                .new_holds
                .iter()
                .map(|(code, (n, _))| vec![code.clone(), n.to_string()])
                .collect(),
        ),
    ];
    for (code, (n, listed)) in &changes.new_holds {
        let rows: Vec<Vec<String>> =
            listed.iter().map(|(a, why)| vec![a.clone(), why.clone()]).collect();
        let caption = format!("{code}: the first {} of {n}", rows.len());
        tables.push(Table::new(caption, &["Account", "Reason"], rows));
    }
    let (left, listed) = &changes.left;
    let rows: Vec<Vec<String>> =
        listed.iter().map(|(a, had)| vec![a.clone(), had.clone()]).collect();
    let caption = format!(
        "Accounts in the run of {} that are not in this export: the first {} of {left}",
        changes.previous_as_of,
        rows.len(),
    );
    tables.push(Table::new(caption, &["Account", "Then"], rows));
    ChangesPart {
        previous_as_of: changes.previous_as_of.clone(),
        previous_folder: changes.previous_folder.clone(),
        new_accounts: changes.new_accounts,
        released: changes.released,
        tables,
    }
}

fn looking_back_part(back: &LookingBack, heading: Heading) -> LookingBackPart {
    let bars = back
        .bars
        .iter()
        .map(|(label, percent)| ChartBar { label: label.clone(), value: *percent, cells: vec![] })
        .collect();
    let title = ("outcomes", "What earlier letters led to");
    let header = ["Group", "Letters", "Paid in full", "Any payment", "Paid per letter"];
    let mut section = section(title, &header, bars, false);
    section.table.rows = back.rows.clone();
    let pending_note = match heading {
        Heading::Run(_) => "are counted once this run is recorded",
        Heading::DryRun(_) => "are counted once the next run is recorded",
    };
    LookingBackPart {
        section,
        runs: back.runs,
        letters: back.letters,
        pending: back.pending,
        pending_note,
        trials: back.trials.clone(),
    }
}

fn figure(p: &LetterPicture) -> Figure {
    let print = match p.kind.print {
        Variant::Standard => "standard",
        Variant::LargePrint => "large print",
    };
    let Kind { stage, language, .. } = &p.kind;
    Figure {
        caption: format!("{stage}, {language}, {print}{}: {}", p.kind.wording_suffix(), p.name),
        png_base64: base64::engine::general_purpose::STANDARD.encode(&p.png),
        link: p.link.clone(),
    }
}

fn identity(record: &RunRecord) -> Table {
    let mut rows = vec![
        vec!["As of".to_string(), record.as_of.clone()],
        vec!["kindly".to_string(), record.kindly_version.clone()],
        vec!["Typst".to_string(), record.typst_version.clone()],
        vec!["Vendor".to_string(), record.vendor.clone()],
    ];
    let made_by = [&record.input, &record.config, &record.layouts];
    let optional =
        [record.mapping.as_ref(), record.hold_list.as_ref(), record.confidential.as_ref()];
    rows.extend(Cover::identity(made_by, optional).into_iter().map(|(what, sha)| vec![what, sha]));
    Table::new("What made this run", &["", "Value or SHA-256"], rows)
}

/// Prints a value HTML-escaped, unless the template marked it safe (the
/// charts' SVG, and the tables its macro makes of escaped values).
fn html_formatter(
    out: &mut minijinja::Output,
    _state: &mut minijinja::State,
    value: &Value,
) -> Result<(), minijinja::Error> {
    let text = value.to_string();
    let written = if value.is_safe() { out.write_str(&text) } else { out.write_str(&esc(&text)) };
    written.map_err(|_| minijinja::Error::new(ErrorKind::WriteFailure, "write"))
}

/// Text made safe to put in HTML, in an element or an attribute.
pub(super) fn esc(text: &str) -> String {
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
