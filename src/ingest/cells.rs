//! One row's cells read as text: decoded, trimmed, cleaned of invisible
//! characters, and every problem noted with its column and value.

use std::collections::BTreeMap;

use crate::config::CodeMeaning;
use crate::invisible::{code_point, invisible, prints};
use crate::model::{HoldCode, Issue, IssueKind, Line};

use super::decode;
use super::source::Source;

/// One data row with what is needed to describe its problems.
pub(super) struct Row<'a> {
    pub(super) line: Line,
    pub(super) fields: decode::FieldText,
    pub(super) names: &'a [String],
    pub(super) record: &'a csv::ByteRecord,
}

/// One problem with one field of a row.
#[derive(Debug, Clone)]
pub(super) struct Note {
    pub(super) kind: IssueKind,
    pub(super) column: String,
    pub(super) value: String,
    pub(super) reason: String,
}

impl Note {
    pub(super) fn issue(self, file: &str, line: Line) -> Issue {
        Issue {
            file: file.to_string(),
            line,
            account: String::new(),
            kind: self.kind,
            column: self.column,
            value: self.value,
            reason: self.reason,
        }
    }
}

/// Problems found in one row; the row becomes one reject that lists them
/// all, filed under the kind of the first.
#[derive(Default)]
pub(super) struct Problems(pub(super) Vec<Note>);

impl Problems {
    pub(super) fn add(
        &mut self,
        kind: IssueKind,
        column: &str,
        value: &str,
        reason: impl Into<String>,
    ) {
        self.0.push(Note {
            kind,
            column: column.to_string(),
            value: value.to_string(),
            reason: reason.into(),
        });
    }

    pub(super) fn into_reject(self, file: &str, line: Line) -> Issue {
        let reason = self
            .0
            .iter()
            .map(|n| {
                if n.column.is_empty() {
                    n.reason.clone()
                } else {
                    format!("{}: {}", n.column, n.reason)
                }
            })
            .collect::<Vec<_>>()
            .join("; ");
        let first = self.0.into_iter().next().unwrap_or(Note {
            kind: IssueKind::UnreadableRow,
            column: String::new(),
            value: String::new(),
            reason: String::new(),
        });
        Issue { reason, ..first.issue(file, line) }
    }
}

/// Reads one row's cells as text: decoded, trimmed, no longer than the
/// limit, without invisible characters and on one line. What is wrong goes to
/// `problems` (the row is rejected) and what was mended to `warnings`.
pub(super) struct Cells<'r, 'a> {
    pub(super) row: &'r Row<'a>,
    pub(super) max_length: usize,
    pub(super) problems: Problems,
    pub(super) warnings: Problems,
    pub(super) read: Vec<(usize, String)>,
    /// Cells read as empty for holding nothing that prints, with what they
    /// held (`U+0301`), for a reject to name.
    pub(super) unprinted: Vec<(usize, String)>,
}

impl Cells<'_, '_> {
    /// Cell `i`'s text; a cell read for two fields (the hold-code column is
    /// also read as codes) is reported once.
    pub(super) fn cell(&mut self, i: usize) -> String {
        if let Some((_, text)) = self.read.iter().find(|(at, _)| *at == i) {
            return text.clone();
        }
        let text = self.read_cell(i);
        self.read.push((i, text.clone()));
        text
    }

    pub(super) fn read_cell(&mut self, i: usize) -> String {
        let row = self.row;
        let raw = row.record.get(i).unwrap_or_default();
        let column = &row.names[i];
        if raw.len() > self.max_length {
            let start: String =
                String::from_utf8_lossy(&raw[..raw.len().min(40)]).chars().take(30).collect();
            self.problems.add(
                IssueKind::FieldTooLong,
                column,
                &format!("{start}..."),
                format!(
                    "the field is {} bytes long; no real value is longer than {} ([input] max_field_length)",
                    raw.len(),
                    self.max_length
                ),
            );
            return String::new();
        }
        match row.fields.decode(raw) {
            Ok(text) => {
                let text = text.trim();
                let clean = if text.chars().any(invisible) {
                    self.without_invisible(column, text)
                } else {
                    text.to_string()
                };
                let clean = if clean.contains(LINE_BREAKS) {
                    self.on_one_line(column, &clean)
                } else {
                    clean
                };
                if clean.is_empty() || prints(&clean) { clean } else { self.unprinted(i, &clean) }
            }
            Err(reason) => {
                self.problems.add(
                    IssueKind::Encoding,
                    column,
                    &String::from_utf8_lossy(raw),
                    reason,
                );
                String::new()
            }
        }
    }

    /// `text` without its invisible characters, with a warning naming them.
    pub(super) fn without_invisible(&mut self, column: &str, text: &str) -> String {
        let found: Vec<String> = text.chars().filter(|c| invisible(*c)).map(code_point).collect();
        let clean = without_invisible(text);
        self.warnings.add(
            IssueKind::InvisibleCharacter,
            column,
            &clean,
            format!(
                "invisible character(s) {} removed, so that nothing prints hidden or reversed",
                found.join(", ")
            ),
        );
        clean
    }

    /// Nothing, for cell `i` whose characters all print as nothing (a lone
    /// accent or variation selector): such a name would leave the address
    /// window's first line blank, so it is read as the empty cell it looks
    /// like, and what it held is named in a warning (and kept for a reject
    /// of a cell that may not be empty to name).
    fn unprinted(&mut self, i: usize, text: &str) -> String {
        let held: Vec<String> = text.chars().map(code_point).collect();
        let held = held.join(" ");
        self.warnings.add(
            IssueKind::InvisibleCharacter,
            &self.row.names[i],
            &held,
            format!("the cell holds only {held}, which prints as nothing; it is read as empty"),
        );
        self.unprinted.push((i, held));
        String::new()
    }

    /// `text` on one line, with a warning.
    pub(super) fn on_one_line(&mut self, column: &str, text: &str) -> String {
        let joined = one_line(text);
        self.warnings.add(
            IssueKind::LineBreak,
            column,
            &joined,
            "line breaks or tabs inside the field were joined into one line, so that a name or address prints on \
             the lines the envelope window expects",
        );
        joined
    }

    pub(super) fn text(&mut self, source: &Source) -> String {
        match source {
            Source::Fixed(value) => value.clone(),
            Source::At(i) | Source::NonZero(i) => self.cell(*i),
            Source::Several(at) => at.iter().map(|i| self.cell(*i)).collect::<Vec<_>>().join(";"),
            Source::LastFirst(i) => {
                let written = self.cell(*i);
                if written.is_empty() {
                    return written;
                }
                if let Some(name) = natural_order(&written) {
                    return name;
                }
                // A single name (`Cher`) prints as written. A comma says the
                // name was meant as `Last, First`, and with a part missing
                // (`, John`) or too many it would print as "Dear , John,".
                if written.contains(',') {
                    self.problems.add(
                        IssueKind::BadName,
                        &self.row.names[*i],
                        &written,
                        "the name has a comma but is not written \"Last, First\" (a part is empty, or there are more \
                         parts than last name, first name and a suffix such as Jr.); correct it in the billing system",
                    );
                } else {
                    self.warnings.add(
                        IssueKind::NameNotSplit,
                        &self.row.names[*i],
                        &written,
                        "the name is not written \"Last, First\"; the letter shows it as written",
                    );
                }
                written
            }
            Source::Parts { first, middle, last, suffix } => {
                let mut part = |at: Option<usize>| at.map(|i| self.cell(i)).unwrap_or_default();
                let parts = [part(Some(*first)), part(*middle), part(Some(*last)), part(*suffix)];
                let name =
                    parts.iter().filter(|p| !p.is_empty()).cloned().collect::<Vec<_>>().join(" ");
                for (at, what) in [(*first, "first"), (*last, "last")] {
                    let empty =
                        if at == *first { parts[0].is_empty() } else { parts[2].is_empty() };
                    if empty && !name.is_empty() {
                        self.warnings.add(
                            IssueKind::NameNotSplit,
                            &self.row.names[at],
                            &name,
                            format!("no {what} name; the letter shows the name as {name:?}"),
                        );
                    }
                }
                name
            }
        }
    }

    /// The status codes in the code column(s), each with its meaning.
    pub(super) fn codes(
        &mut self,
        source: &Source,
        meanings: &BTreeMap<String, CodeMeaning>,
    ) -> Vec<HoldCode> {
        let at = match source {
            Source::At(i) => vec![*i],
            Source::Several(at) => at.clone(),
            _ => return Vec::new(),
        };
        let mut codes = Vec::new();
        for i in at {
            let text = self.cell(i);
            for code in text.split([';', ',', '|']).map(str::trim).filter(|c| !c.is_empty()) {
                let meaning = meanings
                    .iter()
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case(code))
                    .map(|(_, m)| *m);
                codes.push(HoldCode {
                    code: code.to_string(),
                    column: self.row.names[i].clone(),
                    line: self.row.line,
                    meaning,
                });
            }
        }
        codes
    }
}

/// `text` with its invisible characters removed, trimmed again.
pub(super) fn without_invisible(text: &str) -> String {
    text.chars().filter(|c| !invisible(*c)).collect::<String>().trim().to_string()
}

/// What splits a field over several lines: kept by `invisible`, but a
/// name or street written over two lines would print over two lines of the
/// address block.
pub(super) const LINE_BREAKS: [char; 3] = ['\n', '\r', '\t'];

/// `text` on one line: each run of line breaks and tabs, with the spaces
/// around it, becomes one space.
pub(super) fn one_line(text: &str) -> String {
    text.split(LINE_BREAKS)
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A name written `Last, First` in natural order: `Reyes, Daniel` is
/// `Daniel Reyes`, `Smith Jr., Robert` is `Robert Smith Jr.` and
/// `Smith, Robert, Jr.` is `Robert Smith Jr.`. `None` when the text is not
/// written that way (no comma, an empty part, or more parts than that).
pub fn natural_order(text: &str) -> Option<String> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    if parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    match parts[..] {
        [last, first] => Some(format!("{first} {last}")),
        [last, first, suffix] if is_suffix(suffix) => Some(format!("{first} {last} {suffix}")),
        _ => None,
    }
}

pub(super) fn is_suffix(text: &str) -> bool {
    let t = text.trim_end_matches('.').to_ascii_uppercase();
    ["JR", "SR", "II", "III", "IV", "V", "MD", "PHD", "DDS", "ESQ"].contains(&t.as_str())
}
