//! One pass over the export's bytes: the header, the column layout, each
//! row handed on with its line, the credit columns' signs counted, and the
//! encoding `auto` chose settled by the whole file.

use std::io::Read;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::config::Input;
use crate::model::{Issue, IssueKind, Line};
use crate::money::Cents;

use super::aging::{Bucket, find_buckets};
use super::cells::{Row, without_invisible};
use super::columns::{ColumnLayout, Parsed};
use super::credits::{Credits, credit_columns};
use super::readers::{HashingReader, NewlineReader, Newlines};
use super::source::Source;
use super::{IngestError, decode};

/// How many rows of an export may fail on its encoding (one in twenty)
/// before it is taken as saved in another encoding, and stopped: a few such
/// rows are a typo pasted from elsewhere, many a file in the wrong encoding.
pub(super) const ENCODING_FAILURES_TOLERATED: u64 = 20;

/// What one data row of the export became.
#[derive(Debug)]
pub(super) enum RowEvent {
    /// A row that was read, with a hash of its fields to find duplicates.
    Parsed { line: Line, hash: u64, parsed: Box<Parsed> },
    /// A row that was not; `account` when its account number could be read.
    Rejected { issue: Issue, account: Option<String> },
}

/// A data row as the CSV reader gave it: its line and fields, or, when it
/// could not be read as CSV at all, the reject that says so.
#[derive(Clone, Copy)]
pub(super) enum Scanned<'r> {
    Row(Line, &'r csv::ByteRecord),
    Unreadable(&'r Issue),
}

/// What it takes to parse a row of one export: its file name, header, where
/// each field is and how its text is decoded.
pub(super) struct RowParser {
    pub(super) file: String,
    pub(super) names: Vec<String>,
    pub(super) layout: ColumnLayout,
    /// An aging report's columns of amounts by age (`[input] age_buckets`).
    pub(super) buckets: Vec<Bucket>,
    pub(super) fields: decode::FieldText,
    pub(super) input: Input,
    pub(super) as_of: NaiveDate,
    /// How the export writes payments and adjustments, once it has all
    /// been read.
    pub(super) credits: Credits,
}

impl RowParser {
    /// The parser of an export whose header is `names`: every column the
    /// config or mapping names must be there, each missing one named.
    fn new(
        file: &str,
        names: Vec<String>,
        fields: decode::FieldText,
        input: &Input,
        as_of: NaiveDate,
    ) -> Result<RowParser, IngestError> {
        let missing = |missing: String, buckets: bool| IngestError::MissingColumns {
            named_in: match (&input.mapping_file, buckets) {
                (Some(mapping), false) => {
                    format!("[columns] of the mapping file {}", mapping.display())
                }
                (Some(mapping), true) => {
                    format!("age_buckets in the mapping file {}", mapping.display())
                }
                (None, false) => "the config's [input.columns]".to_string(),
                (None, true) => "the config's [input] age_buckets".to_string(),
            },
            file: file.to_string(),
            missing,
            found: names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", "),
        };
        let layout = ColumnLayout::find(&input.columns, &names).map_err(|m| missing(m, false))?;
        let buckets = find_buckets(input, &names).map_err(|m| missing(m, true))?;
        Ok(RowParser {
            file: file.to_string(),
            names,
            layout,
            buckets,
            fields,
            input: input.clone(),
            as_of,
            credits: Credits::default(),
        })
    }

    /// What the row becomes: parsed, with a hash of its fields to find
    /// duplicates, or rejected.
    pub(super) fn event(&self, scanned: Scanned) -> RowEvent {
        let (line, record) = match scanned {
            Scanned::Row(line, record) => (line, record),
            Scanned::Unreadable(issue) => {
                return RowEvent::Rejected { issue: issue.clone(), account: None };
            }
        };
        let row = Row { line, names: &self.names, record, fields: self.fields };
        match self.layout.parse(&row, &self.input, (self.as_of, &self.credits, &self.buckets)) {
            Ok(parsed) => {
                let hash = {
                    use std::hash::{Hash, Hasher};
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    record.iter().for_each(|field| field.hash(&mut h));
                    h.finish()
                };
                RowEvent::Parsed { line, hash, parsed: Box::new(parsed) }
            }
            Err(problems) => RowEvent::Rejected {
                issue: problems.into_reject(&self.file, line),
                account: self.layout.account_id(&row),
            },
        }
    }

    /// The row's account number, if it is one column's (cleaned as parsing
    /// cleans it), without parsing the rest of the row, to choose its
    /// partition. Bytes that are not UTF-8 are read leniently: the
    /// encoding is settled only once the whole export is read, and the same
    /// bytes always give the same key, so an account's rows stay together.
    pub(super) fn account_key(&self, record: &csv::ByteRecord) -> Option<String> {
        match &self.layout.account {
            Source::At(i) => {
                let id = without_invisible(String::from_utf8_lossy(record.get(*i)?).trim());
                (!id.is_empty()).then_some(id)
            }
            _ => self.layout.account_id(&Row {
                line: 0,
                names: &self.names,
                record,
                fields: self.fields,
            }),
        }
    }

    /// Counts the signs of the row's payment and adjustment. An export with
    /// a balance column states what is owed, and its credits are not read.
    pub(super) fn count_credits(&mut self, record: &csv::ByteRecord) {
        if self.layout.balance.is_some() {
            return;
        }
        let columns = credit_columns(&self.layout.payments)
            .into_iter()
            .chain(credit_columns(&self.layout.adjustments));
        for i in columns {
            let text = record.get(i).and_then(|bytes| self.fields.decode(bytes).ok());
            if let Some(amount) =
                text.and_then(|t| Cents::parse_amount(&without_invisible(t.trim())).ok())
            {
                self.credits.by_column.entry(i).or_default().count(amount);
            }
        }
    }
}

/// Streams an export's rows to `sink`, in file order. The encoding `auto`
/// chose (UTF-8) is settled by the whole file, so rows are parsed only
/// after it (`sink` needs only each row's account number, read leniently).
pub(super) fn scan(
    file: &str,
    reader: impl Read,
    input: &Input,
    as_of: NaiveDate,
    sink: &mut dyn FnMut(&RowParser, Scanned),
) -> Result<Scan, IngestError> {
    let hasher = std::rc::Rc::new(std::cell::RefCell::new(Sha256::new()));
    let hashing = HashingReader { inner: reader, hasher: hasher.clone() };
    let prepared = decode::prepare(hashing, input.encoding, input.delimiter)
        .map_err(|source| IngestError::Io { file: file.to_string(), source })?;
    if let Some(kind) = prepared.spreadsheet {
        return Err(IngestError::Spreadsheet { file: file.to_string(), kind });
    }
    let mut fields = prepared.fields;
    let may_switch = prepared.may_be_windows_1252;
    let mut evidence = decode::Utf8Evidence::default();
    let newlines = std::rc::Rc::new(std::cell::RefCell::new(Newlines::default()));
    let counted = NewlineReader { inner: prepared.reader, newlines: newlines.clone() };
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(prepared.delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(counted);
    let line_at = |position: Option<&csv::Position>| {
        position.map_or(0, |p| newlines.borrow_mut().line_at(p.byte()))
    };
    let io_err = |e: csv::Error| IngestError::Io { file: file.to_string(), source: e.into() };

    let header = csv.byte_headers().map_err(io_err)?.clone();
    let (names, in_header) = header_names(file, &header, &mut fields, may_switch)?;
    let mut parser = RowParser::new(file, names, fields, input, as_of)?;

    let mut rows = 0;
    let mut record = csv::ByteRecord::new();
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                // A malformed record (for example an unterminated quote) is
                // still one row of the file: reject it and carry on.
                let line = line_at(e.position());
                if e.is_io_error() {
                    return Err(io_err(e));
                }
                rows += 1;
                let issue = Issue {
                    file: file.to_string(),
                    line,
                    account: String::new(),
                    kind: IssueKind::UnreadableRow,
                    column: String::new(),
                    value: String::new(),
                    reason: format!("the row cannot be read as CSV: {e}"),
                };
                sink(&parser, Scanned::Unreadable(&issue));
                continue;
            }
        }
        rows += 1;
        parser.count_credits(&record);
        let line = line_at(record.position());
        if parser.fields == decode::FieldText::Utf8 {
            evidence.row(line, record.iter());
        }
        sink(&parser, Scanned::Row(line, &record));
    }
    drop(csv);
    let sha256 = crate::digest::hex(&hasher.take().finalize());
    let read_as =
        settle_encoding(file, &mut parser.fields, may_switch, (&evidence, &in_header), rows)?;
    Ok(Scan { rows, sha256, parser, read_as })
}

/// The header's column names, decoded. A header that is not UTF-8 (where
/// `auto` may switch) settles the encoding as Windows-1252 at once; what it
/// showed is returned for `settle_encoding`.
fn header_names(
    file: &str,
    header: &csv::ByteRecord,
    fields: &mut decode::FieldText,
    may_switch: bool,
) -> Result<(Vec<String>, decode::Utf8Evidence), IngestError> {
    if header.is_empty() || header.iter().all(|h| h.iter().all(u8::is_ascii_whitespace)) {
        return Err(IngestError::Empty { file: file.to_string() });
    }
    let mut in_header = decode::Utf8Evidence::default();
    if may_switch && *fields == decode::FieldText::Utf8 {
        in_header.row(1, header.iter());
        if in_header.is_windows_1252() {
            *fields = decode::FieldText::Windows1252;
        }
    }
    let names = header
        .iter()
        .map(|h| {
            fields
                .decode(h)
                .map_or_else(|_| String::from_utf8_lossy(h).into_owned(), |t| t.trim().to_string())
        })
        .collect();
    Ok((names, in_header))
}

/// The encoding the whole file settles: Windows-1252 where `auto` found no
/// UTF-8 and signs of Windows-1252 (said in the run's record), or an error
/// where too many rows are not the UTF-8 the export is read as.
fn settle_encoding(
    file: &str,
    fields: &mut decode::FieldText,
    may_switch: bool,
    (evidence, in_header): (&decode::Utf8Evidence, &decode::Utf8Evidence),
    rows: u64,
) -> Result<Option<ReadAs>, IngestError> {
    let read_as = if may_switch && *fields == decode::FieldText::Utf8 && evidence.is_windows_1252()
    {
        *fields = decode::FieldText::Windows1252;
        Some(ReadAs::Windows1252)
    } else if *fields == decode::FieldText::Windows1252 && in_header.is_windows_1252() {
        Some(ReadAs::Windows1252)
    } else {
        None
    };
    if *fields == decode::FieldText::Utf8
        && evidence.invalid_rows * ENCODING_FAILURES_TOLERATED > rows.max(1)
    {
        return Err(IngestError::Encoding {
            file: file.to_string(),
            rows: evidence.invalid_rows,
            total: rows,
            first_line: evidence.first_invalid_line,
            encoding: "UTF-8",
        });
    }
    Ok(read_as)
}

/// How `auto` found an export's encoding, where the file did not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ReadAs {
    /// Not UTF-8 anywhere, and Windows-1252 throughout: what Excel's "CSV
    /// (Comma delimited)" saves.
    #[serde(rename = "windows-1252")]
    Windows1252,
}

impl std::fmt::Display for ReadAs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadAs::Windows1252 => f.write_str(
                "read as Windows-1252: the export is not UTF-8 (Excel's \"CSV (Comma delimited)\" saves it so), \
                 and every byte of it is Windows-1252",
            ),
        }
    }
}

/// What [`scan`] found: the data rows, the SHA-256 of the file's bytes, how
/// to parse its rows, and how its encoding was found.
pub(super) struct Scan {
    pub(super) rows: u64,
    pub(super) sha256: String,
    pub(super) parser: RowParser,
    pub(super) read_as: Option<ReadAs>,
}
