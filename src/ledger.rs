//! The ledger: what kindly has mailed, kept across runs in one SQLite file
//! per practice, so that letters follow what was sent and an auditor can ask
//! what went to an account, when, for how much and why.
//!
//! Run folders stay the source of truth: a run is written to the ledger only
//! after its folder is complete, from the folder's own files (run.json,
//! audit.csv, holds.csv, manifest.csv), in one transaction. The same code
//! mends a ledger that missed a run (a crash between the folder's rename and
//! the commit) and rebuilds one from folders alone.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;
use rusqlite::{Connection, OpenFlags};

use crate::lock::{Lock, LockError};
use crate::run_folder::{RUN_JSON, RunRecord};

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("the ledger {path}: {source}")]
    Sql { path: PathBuf, source: rusqlite::Error },
    #[error(
        "the ledger {path} is damaged ({source}); the run folders still hold everything: build a new one with \
         `kindly ledger rebuild RUN_FOLDER... --ledger NEW_FILE`, then put NEW_FILE in its place"
    )]
    Damaged { path: PathBuf, source: rusqlite::Error },
    #[error("the ledger {path} is in use by {source}; wait for that to finish, then run again")]
    Busy { path: PathBuf, source: LockError },
    #[error(
        "the ledger {path} has schema version {found}, newer than this kindly knows ({known}); run the kindly that wrote it"
    )]
    Newer { path: PathBuf, found: i64, known: usize },
    #[error("cannot record the run folder {folder} in the ledger: {reason}")]
    Folder { folder: PathBuf, reason: String },
    #[error(
        "the ledger already has a run for {as_of} made from another export, config, mapping, hold list, confidential-address file or layouts ({folder}); \
         a second run for the same day would mail the same accounts again. Make a trial run (--trial), \
         or date this run with another --as-of"
    )]
    SameDay { as_of: String, folder: String },
    #[error("{}:{line}: column {column:?}, value {value:?}: {reason}", file.display())]
    Returns { file: PathBuf, line: u64, column: String, value: String, reason: String },
    #[error(
        "the run {folder} went to the vendor or the mail (the ledger says so), and a run that went out is kept \
         for audit; write the new run to another --out"
    )]
    Sent { folder: String },
    #[error("the ledger has no piece {0}; piece ids are in the run's manifest.csv")]
    NoSuchPiece(String),
    #[error(
        "piece {piece} was made by the run of {as_of}, so it cannot have been {state} on {on}; check the date \
         (nothing was recorded)"
    )]
    BeforeItsRun { piece: String, state: &'static str, on: String, as_of: String },
    #[error(
        "{0} already exists; rebuild writes a new ledger, so choose another path or move it away"
    )]
    Exists(PathBuf),
}

/// What became of a piece after it was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PieceState {
    Made,
    /// Handed to the print vendor.
    Handed,
    Mailed,
    /// Came back undeliverable.
    Returned,
}

impl PieceState {
    pub fn id(self) -> &'static str {
        match self {
            PieceState::Made => "made",
            PieceState::Handed => "handed",
            PieceState::Mailed => "mailed",
            PieceState::Returned => "returned",
        }
    }
}

/// What recording a run folder did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// A new run: its decisions and pieces are in the ledger.
    Run,
    /// The same export, config, mapping, layouts and as-of date as an earlier
    /// run (in `of`): noted, but its decisions are not counted again.
    Rerun { of: String },
    /// This very folder was recorded before.
    Already,
}

/// One line of an account's history, for `kindly history`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HistoryEntry {
    pub as_of: String,
    pub folder: String,
    pub decision: String,
    pub stage: Option<String>,
    pub hold_code: Option<String>,
    pub reason: String,
    pub balance: Option<String>,
    pub piece_id: Option<String>,
    pub piece_state: Option<String>,
    pub piece_state_on: Option<String>,
    pub piece_state_reason: Option<String>,
    /// Where the piece went, as one line.
    pub address: Option<String>,
    /// The letter's PDF in its run folder.
    pub file: Option<String>,
    /// SHA-256 of the letter's PDF.
    pub sha256: Option<String>,
    /// SHA-256 of the wording it was written with (run.json's `wording`).
    pub wording_sha256: Option<String>,
    /// The wording trial and variant of its letter, `trial/variant`.
    pub wording_variant: Option<String>,
    /// audit.csv's `mailed_to`: a confidential address, by its line in the
    /// side file (never the address itself).
    pub mailed_to: Option<String>,
}

/// One run, for `kindly runs`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunEntry {
    pub as_of: String,
    pub recorded_at: String,
    pub folder: String,
    pub accounts: i64,
    pub letters: i64,
    pub holds: i64,
    /// The run this one repeated (same export, config, mapping, layouts and
    /// date); its letters are not counted again.
    pub rerun_of: Option<String>,
    pub run_json_sha256: String,
    pub mailed: i64,
    pub returned: i64,
}

/// What a ledger holds, in a line: `ledger runs/kindly-ledger.sqlite: 2
/// runs, latest 2026-12-07`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerSummary {
    pub path: PathBuf,
    /// Runs recorded, reruns not counted.
    pub runs: u64,
    /// The latest run's as-of date.
    pub latest: Option<String>,
}

impl std::fmt::Display for LedgerSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let runs = if self.runs == 1 { "1 run".to_string() } else { format!("{} runs", self.runs) };
        match &self.latest {
            Some(latest) => write!(f, "ledger {}: {runs}, latest {latest}", self.path.display()),
            None => write!(f, "ledger {}: no runs yet", self.path.display()),
        }
    }
}

/// What [`Ledger::set_state`] did: pieces marked now, and pieces the
/// ledger already had in that state on that day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Marked {
    pub new: usize,
    pub already: usize,
}

/// A piece's new state, as of a date, with the vendor's reason if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    pub piece: String,
    pub state: PieceState,
    pub on: NaiveDate,
    pub reason: Option<String>,
}

pub struct Ledger {
    conn: Connection,
    path: PathBuf,
    /// A ledger opened for writing is locked against other writers until
    /// dropped; one opened to read is not.
    _lock: Option<Lock>,
}

/// SQLite's page cache per connection, as a negative number of KiB (its
/// convention): a quarter of its 2 MiB default, since a run holds two
/// connections and a large cache buys nothing here. The indexes are filled in
/// order and history is read a partition at a time: recording a second month
/// of 10,000 accounts took 0.2 s with this cache, and peak memory was within
/// noise of the default's.
const CACHE_KIB: i64 = -512;

/// How long a second writer waits for the ledger before it gives up.
const WAIT_FOR_WRITER: Duration = Duration::from_secs(5);

impl Ledger {
    /// Opens the ledger to write, creating it on first use, and brings its
    /// schema up to date. `what` says what this process does with it, for a
    /// second writer that is refused.
    pub fn open(path: &Path, what: &str) -> Result<Ledger, LedgerError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| LedgerError::Folder {
                folder: dir.to_path_buf(),
                reason: e.to_string(),
            })?;
        }
        let mut lock_path = path.as_os_str().to_owned();
        lock_path.push(".lock");
        let lock = Lock::take(Path::new(&lock_path), &crate::lock::holder(what), WAIT_FOR_WRITER)
            .map_err(|source| LedgerError::Busy { path: path.to_path_buf(), source })?;
        let conn = Connection::open(path).map_err(|source| sql_error(path, source))?;
        let mut ledger = Ledger { conn, path: path.to_path_buf(), _lock: Some(lock) };
        ledger.sql(|c| c.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(())))?;
        ledger.sql(|c| c.pragma_update(None, "foreign_keys", true))?;
        ledger.sql(|c| c.pragma_update(None, "cache_size", CACHE_KIB))?;
        ledger.migrate()?;
        Ok(ledger)
    }

    /// Opens an existing ledger without writing to it (a trial run reads
    /// what was sent but records nothing); `None` when there is none yet.
    pub fn open_read_only(path: &Path) -> Result<Option<Ledger>, LedgerError> {
        if !path.exists() {
            return Ok(None);
        }
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|source| sql_error(path, source))?;
        let ledger = Ledger { conn, path: path.to_path_buf(), _lock: None };
        ledger.sql(|c| c.pragma_update(None, "cache_size", CACHE_KIB))?;
        let version = ledger.version()?;
        if version as usize > MIGRATIONS.len() {
            return Err(LedgerError::Newer {
                path: path.to_path_buf(),
                found: version,
                known: MIGRATIONS.len(),
            });
        }
        Ok(Some(ledger))
    }

    fn sql<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, LedgerError> {
        f(&self.conn).map_err(|source| sql_error(&self.path, source))
    }
}

/// The ledger at `path` in a line, for the commands that use it: `ledger
/// runs/kindly-ledger.sqlite: 2 runs, latest 2026-12-07`, or that there is
/// none there yet.
pub fn describe(path: &Path) -> Result<String, LedgerError> {
    Ok(match Ledger::open_read_only(path)? {
        Some(ledger) => ledger.summary()?.to_string(),
        None => format!(
            "ledger {}: none there yet, so as if nothing had ever been sent",
            path.display()
        ),
    })
}

/// A new ledger from run folders alone, recorded in as-of order.
pub fn rebuild(path: &Path, folders: &[PathBuf], recorded_at: &str) -> Result<Ledger, LedgerError> {
    if path.exists() {
        return Err(LedgerError::Exists(path.to_path_buf()));
    }
    let mut dated: Vec<(String, PathBuf)> = Vec::new();
    for folder in folders {
        let bytes = std::fs::read(folder.join(RUN_JSON)).map_err(|e| LedgerError::Folder {
            folder: folder.clone(),
            reason: format!("{RUN_JSON}: {e}"),
        })?;
        let record: RunRecord = serde_json::from_slice(&bytes).map_err(|e| {
            LedgerError::Folder { folder: folder.clone(), reason: format!("{RUN_JSON}: {e}") }
        })?;
        dated.push((record.as_of, folder.clone()));
    }
    dated.sort();
    let mut ledger = Ledger::open(path, "is rebuilding this ledger from run folders")?;
    for (_, folder) in dated {
        ledger.record(&folder, recorded_at)?;
        // An approval still matching its run comes back too.
        if let Ok(approval) = crate::approval::check(&folder) {
            ledger.record_approval(&folder, &approval)?;
        }
    }
    Ok(ledger)
}

/// A damaged file is told apart from other failures, since its remedy is
/// a rebuild from the run folders.
fn sql_error(path: &Path, source: rusqlite::Error) -> LedgerError {
    let code = source.sqlite_error_code();
    if matches!(
        code,
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    ) {
        LedgerError::Damaged { path: path.to_path_buf(), source }
    } else {
        LedgerError::Sql { path: path.to_path_buf(), source }
    }
}

mod histories;
mod places;
mod queries;
mod recording;
mod returns;
mod schema;

pub use histories::{AccountInRun, LedgerRun};
pub use queries::EarlierRun;
pub use returns::{pieces_of, read_returns};
use schema::MIGRATIONS;

#[cfg(test)]
mod tests;
