//! The run folder: what the vendor gets (letters and manifests), what staff and
//! auditors get (audit, holds, rejects) and the run record that ties them to
//! the exact input, config and layouts.
//!
//! A run is written into a hidden staging folder beside the destination and
//! renamed into place only when every file is written, so a folder under the
//! run's name is always a complete run.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Postage;
use crate::digest::hex;
use crate::hold_list::NotHeld;
use crate::lock::{Lock, LockError};
use crate::model::Issue;
use crate::money::Cents;
use crate::policy::Stage;

pub const LETTERS_DIR: &str = "letters";
pub const MANIFEST_CSV: &str = "manifest.csv";
pub const MANIFEST_JSON: &str = "manifest.json";
pub const AUDIT_CSV: &str = "audit.csv";
pub const HOLDS_CSV: &str = "holds.csv";
pub const REJECTS_CSV: &str = "rejects.csv";
pub const WARNINGS_CSV: &str = "warnings.csv";
pub const RUN_JSON: &str = "run.json";
pub const ZIP_COUNTS: &str = "zip-counts.csv";

/// One envelope for the print vendor: a row of manifest.csv and an entry of
/// manifest.json. No balances and no account numbers: those are not the
/// vendor's business. One column per street line, so that it opens cleanly
/// in a spreadsheet and a mail-merge tool.
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
    pub address_line_1: String,
    pub address_line_2: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub language: String,
    pub variant: Variant,
    pub stage: Stage,
    pub sha256: String,
    /// The combined print file holding the piece, and the piece's pages in
    /// it; empty when the run writes no combined files (`[print]`).
    #[serde(default)]
    pub print_file: String,
    #[serde(default)]
    pub print_first_page: Option<usize>,
    #[serde(default)]
    pub print_last_page: Option<usize>,
}

/// A letter's stage, language and print size: the report draws one of
/// each, and the proof shows one of each.
pub type Kind = (Stage, String, Variant);

/// How a letter is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    Standard,
    /// Body text at 16 pt, for patients who asked for it.
    LargePrint,
}

/// One account's decision, for staff and auditors.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditRow {
    pub account: String,
    pub guarantor: String,
    pub decision: AuditDecision,
    pub stage: Option<Stage>,
    pub piece_id: String,
    pub balance: String,
    pub oldest_unpaid_service: String,
    pub days_past_due: i64,
    pub preferred_language: String,
    pub letter_language: String,
    pub variant: Option<Variant>,
    pub reason: String,
    pub input_lines: String,
}

impl ManifestRow {
    /// The street lines of the export's two street columns, blank ones left
    /// out.
    pub fn street(street: &[String]) -> (String, String) {
        debug_assert!(street.len() <= 2, "the export has two street columns");
        let line = |i: usize| street.get(i).cloned().unwrap_or_default();
        (line(0), line(1))
    }

    /// The piece's stage, language and print size.
    pub fn kind(&self) -> Kind {
        (self.stage, self.language.clone(), self.variant)
    }

    /// The address the piece was sent to.
    pub fn address(&self) -> crate::model::Address {
        let street = [&self.address_line_1, &self.address_line_2]
            .into_iter()
            .filter(|l| !l.is_empty())
            .cloned();
        crate::model::Address {
            street: street.collect(),
            city: self.city.clone(),
            state: self.state.clone(),
            zip: self.zip.clone(),
        }
    }
}

/// What became of an account in audit.csv: a letter, or a hold (see
/// holds.csv for why).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditDecision {
    Letter,
    Hold,
}

/// One account's decision in a run, as its audit.csv says and the ledger
/// keeps it: a letter (at which stage) or not.
pub struct Decided {
    pub account: String,
    pub letter: bool,
    pub stage: Option<Stage>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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

/// Letters by stage and holds by reason: what a run made, or what
/// `validate` says a run would make. The one place they are added up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breakdown {
    pub holds_by_reason: BTreeMap<String, u64>,
    pub letters_by_stage: BTreeMap<String, u64>,
}

impl Breakdown {
    pub fn letter(&mut self, stage: Stage) {
        *self.letters_by_stage.entry(stage.to_string()).or_default() += 1;
    }

    pub fn hold(&mut self, reason_code: &str) {
        *self.holds_by_reason.entry(reason_code.to_string()).or_default() += 1;
    }

    pub fn add(&mut self, other: &Breakdown) {
        for (stage, n) in &other.letters_by_stage {
            *self.letters_by_stage.entry(stage.clone()).or_default() += n;
        }
        for (reason, n) in &other.holds_by_reason {
            *self.holds_by_reason.entry(reason.clone()).or_default() += n;
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub rows: RowCounts,
    pub accounts: u64,
    /// Accounts that got a letter: more than `letters` where households
    /// share one (absent from runs made before householding: `letters`).
    #[serde(default)]
    pub accounts_in_letters: u64,
    pub letters: u64,
    pub holds: u64,
    pub pages: u64,
    pub sheets: u64,
    /// One per letter: a household's accounts share one letter and envelope.
    #[serde(default)]
    pub envelopes: u64,
    /// Estimated from `[vendor.postage]`; the vendor's invoice is the real figure.
    #[serde(default)]
    pub estimated_postage: Cents,
    #[serde(flatten)]
    pub by: Breakdown,
}

impl Counts {
    /// An account that got a letter (on its own, or in a household's), from
    /// `rows` rows of the export.
    pub fn in_letter(&mut self, rows: u64) {
        self.accounts += 1;
        self.accounts_in_letters += 1;
        self.rows.in_letters += rows;
    }

    /// A letter made, in its envelope, at the stage the manifest gives it.
    pub fn letter(&mut self, row: &ManifestRow, postage: &Postage) {
        self.letters += 1;
        self.envelopes += 1;
        self.pages += row.pages as u64;
        self.sheets += row.sheets as u64;
        self.estimated_postage += postage.of(row.sheets as u64);
        self.by.letter(row.stage);
    }

    /// Accounts that got a letter, in runs made before and after kindly
    /// counted them apart from letters.
    pub fn accounts_in_letters(&self) -> u64 {
        if self.accounts_in_letters == 0 { self.letters } else { self.accounts_in_letters }
    }

    /// An account held for `reason_code`, from `rows` rows of the export.
    pub fn hold(&mut self, reason_code: &str, rows: u64) {
        self.accounts += 1;
        self.rows.in_holds += rows;
        self.holds += 1;
        self.by.hold(reason_code);
    }

    /// Another share of the same run's counts (a shard's), added in.
    pub fn add(&mut self, other: &Counts) {
        let (r, o) = (&mut self.rows, &other.rows);
        r.input += o.input;
        r.in_letters += o.in_letters;
        r.in_holds += o.in_holds;
        r.rejected += o.rejected;
        r.warned += o.warned;
        self.accounts += other.accounts;
        self.accounts_in_letters += other.accounts_in_letters;
        self.letters += other.letters;
        self.holds += other.holds;
        self.pages += other.pages;
        self.sheets += other.sheets;
        self.envelopes += other.envelopes;
        self.estimated_postage += other.estimated_postage;
        self.by.add(&other.by);
    }
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
    /// How `encoding = "auto"` found the export's encoding, where the file
    /// did not say (no byte-order mark) and it is not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_read_as: Option<crate::ingest::ReadAs>,
    pub config: Fingerprint,
    /// The mapping file that replaced the config's `[input]`, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping: Option<Fingerprint>,
    pub layouts: Fingerprint,
    /// The hold list the run was given (`--holds`), if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_list: Option<Fingerprint>,
    /// Its rows whose account was not in the export: they held nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_held: Vec<NotHeld>,
    /// SHA-256 of each letter template's wording (with its language's
    /// partials and labels), by template name, e.g. `en/reminder.typ.j2`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub wording: BTreeMap<String, String>,
    pub vendor: String,
    pub counts: Counts,
    /// SHA-256 of each file of the run other than the letters, which the
    /// manifest covers.
    pub files: BTreeMap<String, String>,
    /// For a shard's run: which share of the export it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardRecord>,
    /// For a merged run: the shard folders it was made from, each with the
    /// SHA-256 of its run.json.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<Fingerprint>,
    /// A trial run (`--trial`): never recorded in the ledger.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub trial: bool,
    /// Piece ids numbered for a letter that preflight then held (its
    /// account is in holds.csv): the manifest's numbers skip them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pieces_not_made: Vec<String>,
    /// Made with `[mailing] require_approval = true`: nothing of it goes to
    /// the vendor or counts as mailed until someone approves it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub approval_required: bool,
}

/// What made a run, each file by its SHA-256: the same as-of date and the
/// same inputs are the same run (a rerun), whatever folder it is made in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunInputs<'a> {
    pub export: &'a str,
    pub config: &'a str,
    pub mapping: Option<&'a str>,
    pub layouts: &'a str,
    pub hold_list: Option<&'a str>,
}

impl RunRecord {
    /// What made this run.
    pub fn inputs(&self) -> RunInputs<'_> {
        RunInputs {
            export: &self.input.sha256,
            config: &self.config.sha256,
            mapping: self.mapping.as_ref().map(|m| m.sha256.as_str()),
            layouts: &self.layouts.sha256,
            hold_list: self.hold_list.as_ref().map(|h| h.sha256.as_str()),
        }
    }
}

/// A shard's place in a sharded run. Rows rejected or warned about are
/// reported by shard 1 only, so that every row is counted once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardRecord {
    pub index: u32,
    pub count: u32,
    /// Data rows in the whole export; the shards' rows add up to this.
    pub export_rows: u64,
}

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

/// A run folder being written. Dropped without [`Staging::finish`] (the run
/// failed), its hidden `.NAME.PID.incomplete` folder is removed; a process
/// killed outright leaves it, and the next run into the folder removes it.
/// Either way no folder that looks done is left.
pub struct Staging {
    staging: PathBuf,
    target: PathBuf,
    overwrite: bool,
    files: BTreeMap<String, String>,
    /// Held until the folder is in place (or the run gives up).
    _lock: Lock,
    finished: bool,
}

impl Staging {
    /// Starts writing the run folder `target`. The folder is locked first,
    /// so a second process writing to it is refused at once, naming the
    /// first; each process stages in a folder of its own
    /// (`.NAME.PID.incomplete`), and one left by a run that was stopped is
    /// removed.
    pub fn create(target: &Path, overwrite: bool) -> Result<Staging, OutputError> {
        let name =
            target.file_name().map_or_else(|| "run".into(), |n| n.to_string_lossy().into_owned());
        let parent =
            target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)
            .map_err(|source| OutputError::Io { path: parent.to_path_buf(), source })?;
        let holder =
            crate::lock::holder(&format!("is writing the run folder {}", target.display()));
        let lock = Lock::take(&parent.join(format!(".{name}.lock")), &holder, Duration::ZERO)
            .map_err(|e| OutputError::Locked { folder: target.to_path_buf(), source: e })?;
        if target.exists() && !overwrite {
            return Err(OutputError::Exists(target.to_path_buf()));
        }
        let prefix = format!(".{name}.");
        for entry in std::fs::read_dir(parent)
            .map_err(|source| OutputError::Io { path: parent.to_path_buf(), source })?
        {
            let Ok(entry) = entry else { continue };
            let file = entry.file_name().to_string_lossy().into_owned();
            if file.starts_with(&prefix) && file.ends_with(".incomplete") {
                let stale = entry.path();
                std::fs::remove_dir_all(&stale)
                    .map_err(|source| OutputError::Io { path: stale, source })?;
            }
        }
        let staging = parent.join(format!(".{name}.{}.incomplete", std::process::id()));
        let io = |source| OutputError::Io { path: staging.clone(), source };
        std::fs::create_dir_all(staging.join(LETTERS_DIR)).map_err(io)?;
        Ok(Staging {
            staging,
            target: target.to_path_buf(),
            overwrite,
            files: BTreeMap::new(),
            _lock: lock,
            finished: false,
        })
    }

    pub fn letters_dir(&self) -> PathBuf {
        self.staging.join(LETTERS_DIR)
    }

    /// Writes a top-level file of the run and remembers its checksum.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<(), OutputError> {
        let mut file = self.start(name)?;
        file.write_all(bytes)
            .map_err(|source| OutputError::Io { path: file.path.clone(), source })?;
        self.keep(name, file)
    }

    /// Starts a top-level file of the run, to be written piece by piece.
    pub fn start(&self, name: &str) -> Result<HashedFile, OutputError> {
        HashedFile::create(self.staging.join(name))
    }

    /// Finishes a file from [`Staging::start`] and remembers its checksum.
    pub fn keep(&mut self, name: &str, file: HashedFile) -> Result<(), OutputError> {
        self.files.insert(name.to_string(), file.finish()?);
        Ok(())
    }

    /// A scratch folder inside the staging folder, for work files that are
    /// removed before the run is finished.
    pub fn scratch(&self) -> Result<Scratch, OutputError> {
        let dir = self.staging.join(".work");
        std::fs::create_dir_all(&dir)
            .map_err(|source| OutputError::Io { path: dir.clone(), source })?;
        Ok(Scratch(dir))
    }

    /// The folder being written, for files a stage writes itself.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Remembers the checksum of a file written into the folder by other
    /// means (the combined print files).
    pub fn written(&mut self, name: &str, sha256: &str) {
        self.files.insert(name.to_string(), sha256.to_string());
    }

    pub fn files(&self) -> &BTreeMap<String, String> {
        &self.files
    }

    /// Writes `run.json` last and moves the folder into place.
    pub fn finish(mut self, record: &RunRecord) -> Result<PathBuf, OutputError> {
        let json = to_json(record);
        write_file(&self.staging.join(RUN_JSON), &json)?;
        let io = |source| OutputError::Io { path: self.target.clone(), source };
        if self.overwrite && self.target.exists() {
            std::fs::remove_dir_all(&self.target).map_err(io)?;
        }
        std::fs::rename(&self.staging, &self.target).map_err(io)?;
        self.finished = true;
        Ok(self.target.clone())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.finished {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// A folder of work files, removed when dropped.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A file being written whose SHA-256 is taken on the way.
pub struct HashedFile {
    path: PathBuf,
    writer: std::io::BufWriter<std::fs::File>,
    hasher: Sha256,
}

impl HashedFile {
    pub fn create(path: PathBuf) -> Result<HashedFile, OutputError> {
        let file = std::fs::File::create(&path)
            .map_err(|source| OutputError::Io { path: path.clone(), source })?;
        Ok(HashedFile { path, writer: std::io::BufWriter::new(file), hasher: Sha256::new() })
    }

    /// Flushes the file and returns its SHA-256.
    pub fn finish(mut self) -> Result<String, OutputError> {
        self.writer
            .flush()
            .map_err(|source| OutputError::Io { path: self.path.clone(), source })?;
        Ok(hex(&self.hasher.finalize()))
    }
}

impl Write for HashedFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.writer.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

/// The run's files with a row per letter or account, written row by row in
/// account order: manifest.csv, manifest.json, audit.csv and holds.csv.
pub struct Records {
    manifest_csv: csv::Writer<HashedFile>,
    manifest_json: HashedFile,
    letters: u64,
    audit: csv::Writer<HashedFile>,
    holds: csv::Writer<HashedFile>,
}

impl Records {
    pub fn create(staging: &Staging) -> Result<Records, OutputError> {
        fn csv_file<'de, T: Deserialize<'de>>(
            staging: &Staging,
            name: &str,
        ) -> Result<csv::Writer<HashedFile>, OutputError> {
            let mut writer =
                csv::WriterBuilder::new().has_headers(false).from_writer(staging.start(name)?);
            writer
                .write_record(header::<T>())
                .map_err(|e| csv_error(staging.staging.join(name), e))?;
            Ok(writer)
        }
        let mut manifest_json = staging.start(MANIFEST_JSON)?;
        manifest_json
            .write_all(b"[")
            .map_err(|source| OutputError::Io { path: manifest_json.path.clone(), source })?;
        Ok(Records {
            manifest_csv: csv_file::<ManifestRow>(staging, MANIFEST_CSV)?,
            manifest_json,
            letters: 0,
            audit: csv_file::<AuditRow>(staging, AUDIT_CSV)?,
            holds: csv_file::<HoldRow>(staging, HOLDS_CSV)?,
        })
    }

    pub fn manifest(&mut self, row: &ManifestRow) -> Result<(), OutputError> {
        serialize(&mut self.manifest_csv, row)?;
        let json = self.manifest_json_line(row);
        let file = &mut self.manifest_json;
        file.write_all(json.as_bytes())
            .map_err(|source| OutputError::Io { path: file.path.clone(), source })
    }

    /// manifest.json is one JSON array with a letter per line, so that it
    /// can be written as the letters come.
    fn manifest_json_line(&mut self, row: &ManifestRow) -> String {
        let separator = if self.letters == 0 { "\n" } else { ",\n" };
        self.letters += 1;
        let json = serde_json::to_string(row)
            .unwrap_or_else(|e| unreachable!("plain data serializes: {e}"));
        format!("{separator}{json}")
    }

    pub fn audit(&mut self, row: &AuditRow) -> Result<(), OutputError> {
        serialize(&mut self.audit, row)
    }

    pub fn hold(&mut self, row: &HoldRow) -> Result<(), OutputError> {
        serialize(&mut self.holds, row)
    }

    pub fn finish(self, staging: &mut Staging) -> Result<(), OutputError> {
        let mut json = self.manifest_json;
        json.write_all(b"\n]\n")
            .map_err(|source| OutputError::Io { path: json.path.clone(), source })?;
        staging.keep(MANIFEST_JSON, json)?;
        for (name, writer) in
            [(MANIFEST_CSV, self.manifest_csv), (AUDIT_CSV, self.audit), (HOLDS_CSV, self.holds)]
        {
            let path = staging.staging.join(name);
            let file = writer
                .into_inner()
                .map_err(|e| OutputError::Io { path, source: e.into_error() })?;
            staging.keep(name, file)?;
        }
        Ok(())
    }
}

fn serialize(writer: &mut csv::Writer<HashedFile>, row: impl Serialize) -> Result<(), OutputError> {
    writer.serialize(row).map_err(|e| csv_error(writer.get_ref().path.clone(), e))
}

fn csv_error(path: PathBuf, e: csv::Error) -> OutputError {
    OutputError::Io { path, source: e.into() }
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
