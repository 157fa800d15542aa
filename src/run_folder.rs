//! The run folder: what the vendor gets (letters and manifests), what staff and
//! auditors get (audit, holds, rejects) and the run record that ties them to
//! the exact input, config and layouts; written here and read back here.
//!
//! A run is written into a hidden staging folder beside the destination and
//! renamed into place only when every file is written, so a folder under the
//! run's name is always a complete run ([`staging`]). The rows of its CSV
//! files are [`rows`], its run.json is [`record`], and [`reading`] reads a
//! finished folder back (the ledger, the hand-off, merge and verify do).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::lock::LockError;
use crate::model::Issue;

mod reading;
mod record;
mod rows;
mod staging;

pub use reading::{FolderError, read, read_record};
pub use record::{
    Breakdown, Counts, Fingerprint, NoticeCost, RowCounts, RunInputs, RunRecord, ShardRecord,
};
pub use rows::{AuditDecision, AuditRow, Decided, HoldRow, Kind, ManifestRow, Variant};
pub use staging::{HashedFile, Records, Scratch, Staging};

pub const LETTERS_DIR: &str = "letters";
pub const MANIFEST_CSV: &str = "manifest.csv";
pub const MANIFEST_JSON: &str = "manifest.json";
pub const AUDIT_CSV: &str = "audit.csv";
pub const HOLDS_CSV: &str = "holds.csv";
pub const REJECTS_CSV: &str = "rejects.csv";
pub const WARNINGS_CSV: &str = "warnings.csv";
pub const RUN_JSON: &str = "run.json";
pub const ZIP_COUNTS: &str = "zip-counts.csv";

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(
        "the run folder {0} already exists, and a run is kept as it was made, for audit. Choose another --out; \
         or, to make that run again (a trial, or a run fixed before any of it was handed to the vendor or \
         mailed: refused after), pass --overwrite, which replaces the folder and its approval"
    )]
    Exists(PathBuf),
    #[error("cannot write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "the run folder {folder} is being written by another run: {source}; wait for it, or choose another --out"
    )]
    Locked { folder: PathBuf, source: LockError },
}

/// Reads each row of one of a run folder's CSV files, one at a time.
pub fn each_row<T: serde::de::DeserializeOwned>(
    folder: &Path,
    name: &str,
    mut f: impl FnMut(T),
) -> Result<(), OutputError> {
    let path = folder.join(name);
    let unreadable =
        |e: csv::Error| OutputError::Io { path: path.clone(), source: std::io::Error::other(e) };
    let mut reader = csv::Reader::from_path(&path).map_err(unreadable)?;
    for row in reader.deserialize() {
        f(row.map_err(unreadable)?);
    }
    Ok(())
}

pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    std::fs::write(path, bytes)
        .map_err(|source| OutputError::Io { path: path.to_path_buf(), source })
}

pub fn to_json(value: &impl Serialize) -> Vec<u8> {
    let mut json = serde_json::to_vec_pretty(value)
        .unwrap_or_else(|e| unreachable!("plain data serializes: {e}"));
    json.push(b'\n');
    json
}

/// Writes rows as CSV with their header.
pub fn to_csv<'a, T: Serialize + Deserialize<'a> + 'a>(
    rows: impl IntoIterator<Item = &'a T>,
) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    let fail = |e: csv::Error| unreachable!("CSV of plain data into memory: {e}");
    writer.write_record(header::<T>()).unwrap_or_else(fail);
    for row in rows {
        writer.serialize(row).unwrap_or_else(fail);
    }
    writer.into_inner().unwrap_or_else(|e| unreachable!("flush to memory: {e}"))
}

/// `rejects.csv` and `warnings.csv`.
pub fn issues_csv(issues: &[Issue]) -> Vec<u8> {
    to_csv(issues)
}

/// The header of a CSV file of `T` rows: its field names, as serde writes
/// them, so that a file with no rows still has its header and the header can
/// never drift from the rows.
fn header<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    serde_aux::serde_introspection::serde_introspect::<T>()
}

/// `zip-counts.csv`: pieces and sheets by 5-digit ZIP, with its 3-digit
/// area, for a run whose manifest is in ZIP order (`[mailing] order =
/// "zip"`), written a row per ZIP as the manifest is read. Returns how
/// many 3-digit areas and ZIP codes there are.
pub fn write_zip_counts(
    folder: &Path,
    mut written: impl FnMut(&str, &str),
) -> Result<(u64, u64), OutputError> {
    let path = folder.join(ZIP_COUNTS);
    let fail = |e: csv::Error| csv_error(path.clone(), e);
    let mut out = csv::Writer::from_writer(HashedFile::create(path.clone())?);
    out.write_record(["zip3", "zip5", "pieces", "sheets"]).map_err(fail)?;
    let (mut areas, mut codes) = (0, 0);
    let mut current: Option<(String, u64, u64)> = None;
    let flush = |out: &mut csv::Writer<HashedFile>, (zip5, pieces, sheets): (String, u64, u64)| {
        out.write_record([
            &zip5[..3.min(zip5.len())],
            &zip5,
            &pieces.to_string(),
            &sheets.to_string(),
        ])
    };
    let mut last_area = String::new();
    let manifest = folder.join(MANIFEST_CSV);
    let reader = csv::Reader::from_path(&manifest).map_err(|e| csv_error(manifest.clone(), e))?;
    for row in reader.into_deserialize::<ManifestRow>() {
        let row = row.map_err(|e| csv_error(manifest.clone(), e))?;
        let zip5: String = row.zip.chars().take(5).collect();
        let area: String = zip5.chars().take(3).collect();
        if area != last_area {
            areas += 1;
            last_area = area;
        }
        match &mut current {
            Some((zip, pieces, sheets)) if *zip == zip5 => {
                *pieces += 1;
                *sheets += row.sheets as u64;
            }
            _ => {
                if let Some(done) = current.replace((zip5, 1, row.sheets as u64)) {
                    flush(&mut out, done).map_err(fail)?;
                }
                codes += 1;
            }
        }
    }
    if let Some(done) = current {
        flush(&mut out, done).map_err(fail)?;
    }
    let file = out
        .into_inner()
        .map_err(|e| OutputError::Io { path: path.clone(), source: e.into_error() })?;
    written(ZIP_COUNTS, &file.finish()?);
    Ok((areas, codes))
}

fn csv_error(path: PathBuf, e: csv::Error) -> OutputError {
    OutputError::Io { path, source: e.into() }
}
