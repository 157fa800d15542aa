//! Reading the billing export: one row per charge, grouped into accounts.
//!
//! The export is streamed row by row. A row that cannot be used becomes a
//! reject ([`Issue`]) naming the file, line, column and value; the rest of the
//! file is still read. A row that can be used but looks wrong gets a warning.
//! Only a file that cannot be read at all (missing, or without the columns the
//! config names) stops ingest.

use std::io::Read;
use std::path::Path;

use chrono::NaiveDate;

use crate::config::Input;
use crate::model::{Account, Issue};

/// What was read from one export.
#[derive(Debug, Clone)]
pub struct Export {
    /// The file name as given, for messages and rejects.
    pub file: String,
    /// Accounts in account-number order.
    pub accounts: Vec<Account>,
    /// One entry per unusable row, in file order.
    pub rejects: Vec<Issue>,
    /// Rows that were used but look wrong, in file order.
    pub warnings: Vec<Issue>,
    /// Data rows read (the header and blank lines are not rows).
    pub rows: u64,
    /// SHA-256 of the file's bytes, for the run record.
    pub sha256: String,
    /// How `auto` found the encoding, where the file did not say.
    pub read_as: Option<ReadAs>,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("cannot read the export {file}: {source}")]
    Io { file: String, source: std::io::Error },
    #[error("the export {file} has no header row")]
    Empty { file: String },
    #[error(
        "the export {file} has no column {missing} ({named_in} names them); its header has: {found}"
    )]
    MissingColumns { file: String, missing: String, found: String, named_in: String },
    #[error(
        "{rows} of the {total} rows of {file} (the first on line {first_line}) have text that is not {encoding}, \
         so the export was saved in another encoding and most letters would be wrong or missing. Save it again \
         as \"CSV UTF-8\", or give its encoding with --encoding (or `encoding` in the config's [input]); nothing \
         was made"
    )]
    Encoding { file: String, rows: u64, total: u64, first_line: u64, encoding: &'static str },
    #[error(
        "{file} is {kind}, not a CSV file. Open it in the spreadsheet program and save it with File > Save As > \
         \"CSV UTF-8 (Comma delimited) (*.csv)\", then give kindly that file"
    )]
    Spreadsheet { file: String, kind: &'static str },
}

mod aging;
mod cells;
mod columns;
mod credits;
mod group;
mod partition;
mod readdress;
mod readers;
mod regroup;
mod scan;
mod source;
mod spill;
mod values;

pub use regroup::Regroup;
mod medical_codes;

use crate::decode;
pub use crate::decode::{FieldText, prepare};
pub use cells::natural_order;
use group::Grouper;
pub use partition::Partitioned;
pub use scan::ReadAs;
use scan::{Scan, Scanned, scan};
pub use values::parse_date;

/// Reads an export; services dated after `as_of` are rejected.
pub fn read_export(path: &Path, input: &Input, as_of: NaiveDate) -> Result<Export, IngestError> {
    let file = path.display().to_string();
    let reader = std::fs::File::open(path)
        .map_err(|source| IngestError::Io { file: file.clone(), source })?;
    read_export_from(&file, reader, input, as_of)
}

/// Reads an export from any reader; `file` names it in messages.
pub fn read_export_from(
    file: &str,
    reader: impl Read,
    input: &Input,
    as_of: NaiveDate,
) -> Result<Export, IngestError> {
    // Rows are parsed once the whole export has been read, when it is known
    // which way it writes payments (see [`CreditSigns`]).
    let mut scanned = Vec::new();
    let Scan { rows, sha256, parser, read_as } =
        scan(file, reader, input, as_of, &mut |_, row| {
            scanned.push(match row {
                Scanned::Row(line, record) => Ok((line, record.clone())),
                Scanned::Unreadable(issue) => Err(issue.clone()),
            })
        })?;
    let mut grouper = Grouper::new(input, as_of);
    for row in &scanned {
        let row = match row {
            Ok((line, record)) => Scanned::Row(*line, record),
            Err(issue) => Scanned::Unreadable(issue),
        };
        grouper.add(file, parser.event(row));
    }
    let (accounts, rejects, warnings) = grouper.finish();
    Ok(Export { file: file.to_string(), accounts, rejects, warnings, rows, sha256, read_as })
}

/// What tallying an export found, without the accounts themselves.
#[derive(Debug, Clone)]
pub struct Tally {
    pub file: String,
    /// How `auto` found the encoding, where the file did not say.
    pub read_as: Option<ReadAs>,
    pub rows: u64,
    pub accounts: u64,
    pub rejects: Vec<Issue>,
    pub warnings: Vec<Issue>,
    pub sha256: String,
}

/// Reads an export with memory that does not grow with it (see
/// [`Partitioned`]) and hands it, a partition's accounts at a time, to `each`. The issues
/// found are the same as [`read_export`]'s, and they are all that is kept.
pub fn tally_export(
    path: &Path,
    input: &Input,
    as_of: NaiveDate,
    mut each: impl FnMut(&[Account]),
) -> Result<Tally, IngestError> {
    let export = Partitioned::read(path, input, as_of)?;
    let (mut rejects, mut warnings, mut accounts) = (export.loose.clone(), Vec::new(), 0);
    for part in export.parts() {
        let part = part?;
        accounts += part.accounts.len() as u64;
        each(&part.accounts);
        rejects.extend(part.rejects);
        warnings.extend(part.warnings);
    }
    rejects.sort_by_key(|i| i.line);
    warnings.sort_by_key(|i| i.line);
    Ok(Tally {
        file: export.file,
        rows: export.rows,
        accounts,
        rejects,
        warnings,
        sha256: export.sha256,
        read_as: export.read_as,
    })
}

#[cfg(test)]
mod tests;

/// One partition: its accounts in account-number order, and the issues found
/// in its rows, in file order.
pub struct Part {
    pub accounts: Vec<Account>,
    pub rejects: Vec<Issue>,
    pub warnings: Vec<Issue>,
}
