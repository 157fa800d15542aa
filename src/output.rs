//! The run folder: what the vendor gets (letters and manifests), what staff and
//! auditors get (audit, holds, rejects) and the run record that ties them to
//! the exact input, config and layouts.
//!
//! A run is written into a hidden staging folder beside the destination and
//! renamed into place only when every file is written, so a folder under the
//! run's name is always a complete run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ingest::hex;
use crate::model::Issue;

pub const LETTERS_DIR: &str = "letters";
pub const MANIFEST_CSV: &str = "manifest.csv";
pub const MANIFEST_JSON: &str = "manifest.json";
pub const AUDIT_CSV: &str = "audit.csv";
pub const HOLDS_CSV: &str = "holds.csv";
pub const REJECTS_CSV: &str = "rejects.csv";
pub const WARNINGS_CSV: &str = "warnings.csv";
pub const RUN_JSON: &str = "run.json";

/// One envelope for the print vendor. No balances and no account numbers:
/// those are not the vendor's business.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestRow {
    pub piece_id: String,
    pub file: String,
    pub first_page: usize,
    pub last_page: usize,
    pub pages: usize,
    pub sheets: usize,
    pub duplex: bool,
    pub envelope: String,
    pub mail_class: String,
    pub recipient_name: String,
    pub address_lines: Vec<String>,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub language: String,
    /// `standard` or `large_print`.
    pub variant: String,
    pub stage: String,
    pub sha256: String,
}

/// One account's decision, for staff and auditors.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRow {
    pub account: String,
    pub guarantor: String,
    pub decision: &'static str,
    pub stage: String,
    pub piece_id: String,
    pub balance: String,
    pub oldest_unpaid_service: String,
    pub days_past_due: i64,
    pub preferred_language: String,
    pub letter_language: String,
    pub variant: String,
    pub reason: String,
    pub input_lines: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct HoldRow {
    pub account: String,
    pub guarantor: String,
    pub balance: String,
    pub reason_code: String,
    pub reason: String,
    pub input_lines: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowCounts {
    pub input: u64,
    pub in_letters: u64,
    pub in_holds: u64,
    pub rejected: u64,
    /// Rows with a warning; they are also in letters or holds.
    pub warned: u64,
}

impl RowCounts {
    /// Every input row ends in exactly one place.
    pub fn add_up(&self) -> bool {
        self.input == self.in_letters + self.in_holds + self.rejected
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub rows: RowCounts,
    pub accounts: u64,
    pub letters: u64,
    pub holds: u64,
    pub pages: u64,
    pub sheets: u64,
    pub holds_by_reason: BTreeMap<String, u64>,
    pub letters_by_stage: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub file: String,
    pub sha256: String,
}

/// `run.json`: what produced this folder, and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    pub kindly_version: String,
    pub typst_version: String,
    pub as_of: String,
    pub input: Fingerprint,
    pub config: Fingerprint,
    pub layouts: Fingerprint,
    pub vendor: String,
    pub counts: Counts,
    /// SHA-256 of each file of the run other than the letters, which the
    /// manifest covers.
    pub files: BTreeMap<String, String>,
}

pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("the run folder {0} already exists; choose another --out, or pass --overwrite for a trial run")]
    Exists(PathBuf),
    #[error("cannot write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// A run folder being written. Dropped without [`Staging::finish`], it leaves
/// only a hidden `.NAME.incomplete` folder, never a folder that looks done.
pub struct Staging {
    staging: PathBuf,
    target: PathBuf,
    overwrite: bool,
    files: BTreeMap<String, String>,
}

impl Staging {
    pub fn create(target: &Path, overwrite: bool) -> Result<Staging, OutputError> {
        if target.exists() && !overwrite {
            return Err(OutputError::Exists(target.to_path_buf()));
        }
        let name = target.file_name().map_or_else(|| "run".into(), |n| n.to_string_lossy().into_owned());
        let staging = target.with_file_name(format!(".{name}.incomplete"));
        let io = |source| OutputError::Io { path: staging.clone(), source };
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(io)?;
        }
        std::fs::create_dir_all(staging.join(LETTERS_DIR)).map_err(io)?;
        Ok(Staging { staging, target: target.to_path_buf(), overwrite, files: BTreeMap::new() })
    }

    pub fn letters_dir(&self) -> PathBuf {
        self.staging.join(LETTERS_DIR)
    }

    /// Writes a top-level file of the run and remembers its checksum.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<(), OutputError> {
        write_file(&self.staging.join(name), bytes)?;
        self.files.insert(name.to_string(), sha256(bytes));
        Ok(())
    }

    pub fn files(&self) -> &BTreeMap<String, String> {
        &self.files
    }

    /// Writes `run.json` last and moves the folder into place.
    pub fn finish(self, record: &RunRecord) -> Result<PathBuf, OutputError> {
        let json = to_json(record);
        write_file(&self.staging.join(RUN_JSON), &json)?;
        let io = |source| OutputError::Io { path: self.target.clone(), source };
        if self.overwrite && self.target.exists() {
            std::fs::remove_dir_all(&self.target).map_err(io)?;
        }
        std::fs::rename(&self.staging, &self.target).map_err(io)?;
        Ok(self.target)
    }
}

pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    std::fs::write(path, bytes).map_err(|source| OutputError::Io { path: path.to_path_buf(), source })
}

pub fn to_json(value: &impl Serialize) -> Vec<u8> {
    let mut json = serde_json::to_vec_pretty(value).unwrap_or_else(|e| unreachable!("plain data serializes: {e}"));
    json.push(b'\n');
    json
}

/// Writes rows as CSV with a header, whatever their type.
pub fn to_csv<T: Serialize>(header: &[&str], rows: impl IntoIterator<Item = T>) -> Vec<u8> {
    // The header is written here so that a file with no rows still has one.
    let mut writer = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    let fail = |e: csv::Error| unreachable!("CSV of plain data into memory: {e}");
    writer.write_record(header).unwrap_or_else(fail);
    for row in rows {
        writer.serialize(row).unwrap_or_else(fail);
    }
    writer.into_inner().unwrap_or_else(|e| unreachable!("flush to memory: {e}"))
}

/// The vendor's CSV has one column per address line so it opens cleanly in
/// a spreadsheet and a mail-merge tool.
pub fn manifest_csv(rows: &[ManifestRow]) -> Vec<u8> {
    let lines = rows.iter().map(|r| r.address_lines.len()).max().unwrap_or(1).max(2);
    let mut header: Vec<String> = [
        "piece_id",
        "file",
        "first_page",
        "last_page",
        "pages",
        "sheets",
        "duplex",
        "envelope",
        "mail_class",
        "recipient_name",
    ]
    .map(String::from)
    .to_vec();
    header.extend((1..=lines).map(|i| format!("address_line_{i}")));
    header.extend(["city", "state", "zip", "language", "variant", "stage", "sha256"].map(String::from));
    let mut writer = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| unreachable!("CSV of plain data into memory: {e}");
    writer.write_record(&header).unwrap_or_else(fail);
    for r in rows {
        let mut record = vec![
            r.piece_id.clone(),
            r.file.clone(),
            r.first_page.to_string(),
            r.last_page.to_string(),
            r.pages.to_string(),
            r.sheets.to_string(),
            r.duplex.to_string(),
            r.envelope.clone(),
            r.mail_class.clone(),
            r.recipient_name.clone(),
        ];
        record.extend((0..lines).map(|i| r.address_lines.get(i).cloned().unwrap_or_default()));
        record.extend([&r.city, &r.state, &r.zip, &r.language, &r.variant, &r.stage, &r.sha256].map(Clone::clone));
        writer.write_record(&record).unwrap_or_else(fail);
    }
    writer.into_inner().unwrap_or_else(|e| unreachable!("flush to memory: {e}"))
}

/// `rejects.csv` and `warnings.csv`.
pub fn issues_csv(issues: &[Issue]) -> Vec<u8> {
    to_csv(&["file", "line", "kind", "column", "value", "reason"], issues)
}

pub fn audit_csv(rows: &[AuditRow]) -> Vec<u8> {
    to_csv(
        &[
            "account",
            "guarantor",
            "decision",
            "stage",
            "piece_id",
            "balance",
            "oldest_unpaid_service",
            "days_past_due",
            "preferred_language",
            "letter_language",
            "variant",
            "reason",
            "input_lines",
        ],
        rows,
    )
}

pub fn holds_csv(rows: &[HoldRow]) -> Vec<u8> {
    to_csv(&["account", "guarantor", "balance", "reason_code", "reason", "input_lines"], rows)
}
