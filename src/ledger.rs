//! The ledger: what kindly has mailed, kept across runs in one SQLite file
//! per practice, so that letters follow what was sent and an auditor can ask
//! what went to an account, when, for how much and why.
//!
//! Run folders stay the source of truth: a run is written to the ledger only
//! after its folder is complete, from the folder's own files (run.json,
//! audit.csv, holds.csv, manifest.csv), in one transaction. The same code
//! mends a ledger that missed a run (a crash between the folder's rename and
//! the commit) and rebuilds one from folders alone.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::de::DeserializeOwned;

use crate::approval::Approval;
use crate::ingest::decode::SmallCsv;
use crate::lock::{Lock, LockError};
use crate::money::Cents;
use crate::output::{
    AUDIT_CSV, AuditDecision, AuditRow, HOLDS_CSV, HoldRow, MANIFEST_CSV, ManifestRow, RUN_JSON, RunInputs, RunRecord,
};
use crate::policy::{History, SentLetter, Stage};
use crate::run_report::{Changes, Then};

/// Whether a run's inputs are ?2 to ?6 of a query ([`RunInputs`]'s order).
const SAME_INPUTS: &str = "export_sha256 = ?2 AND config_sha256 = ?3 AND mapping_sha256 IS ?4 AND layouts_sha256 = ?5
     AND hold_list_sha256 IS ?6";

/// The schema, one migration per entry, run in order and each once; the
/// database's `user_version` counts those that have run. A migration only
/// ever adds, so no version loses data.
///
/// Every index is one a run's rows arrive in the order of (decisions by run
/// and account, and by account then run; pieces by piece id, and by run), so
/// recording 100,000 accounts walks each index once instead of touching its
/// pages at random: with SQLite's small page cache, an index filled in random
/// order made recording a 100,000-account run take minutes. A piece's account
/// is found through its decision, not stored twice.
const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        as_of TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        folder TEXT NOT NULL,
        run_json_sha256 TEXT NOT NULL,
        kindly_version TEXT NOT NULL,
        typst_version TEXT NOT NULL,
        export_sha256 TEXT NOT NULL,
        config_sha256 TEXT NOT NULL,
        mapping_sha256 TEXT,
        layouts_sha256 TEXT NOT NULL,
        accounts INTEGER NOT NULL,
        letters INTEGER NOT NULL,
        holds INTEGER NOT NULL,
        rerun_of INTEGER REFERENCES runs(id)
    );
    CREATE TABLE decisions (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        account TEXT NOT NULL,
        decision TEXT NOT NULL,
        stage TEXT,
        hold_code TEXT,
        reason TEXT NOT NULL,
        balance_cents INTEGER,
        oldest_unpaid TEXT,
        piece_id TEXT,
        PRIMARY KEY (run_id, account)
    );
    CREATE INDEX runs_by_folder ON runs (folder);
    CREATE INDEX decisions_by_account ON decisions (account, run_id);
    CREATE TABLE pieces (
        piece_id TEXT PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        stage TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        recipient TEXT NOT NULL,
        address TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'made',
        state_on TEXT
    );
    CREATE INDEX pieces_by_run ON pieces (run_id, state);
",
    "
    ALTER TABLE pieces ADD COLUMN file TEXT NOT NULL DEFAULT '';
    ALTER TABLE pieces ADD COLUMN state_reason TEXT;
    ALTER TABLE decisions ADD COLUMN wording_sha256 TEXT;
    CREATE TABLE piece_events (
        piece_id TEXT NOT NULL REFERENCES pieces(piece_id),
        state TEXT NOT NULL,
        on_date TEXT NOT NULL,
        reason TEXT
    );
    CREATE INDEX piece_events_by_piece ON piece_events (piece_id);
",
    "
    CREATE TABLE approvals (
        run_json_sha256 TEXT NOT NULL,
        folder TEXT NOT NULL,
        approved_by TEXT NOT NULL,
        approved_on TEXT NOT NULL
    );
    CREATE INDEX approvals_by_run ON approvals (run_json_sha256);
",
    "ALTER TABLE runs ADD COLUMN hold_list_sha256 TEXT;",
    // Whether the run was made with `[mailing] require_approval`: its pieces
    // go to the vendor and the mail only once it is approved. Run folders
    // are named relative to the ledger from here on (see `relative_folders`).
    // The address as the letter printed it, for `kindly history` (`address`
    // stays the key returned mail is matched by).
    "ALTER TABLE runs ADD COLUMN needs_approval INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE pieces ADD COLUMN printed_address TEXT;",
];

/// The schema version from which run folders are named relative to the
/// ledger's own folder, so that a practice folder can be moved or copied.
const RELATIVE_FOLDERS: usize = 5;

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
        "the ledger already has a run for {as_of} made from another export, config, mapping, hold list or layouts ({folder}); \
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
    #[error("{0} already exists; rebuild writes a new ledger, so choose another path or move it away")]
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
pub struct Entry {
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
            std::fs::create_dir_all(dir)
                .map_err(|e| LedgerError::Folder { folder: dir.to_path_buf(), reason: e.to_string() })?;
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
            return Err(LedgerError::Newer { path: path.to_path_buf(), found: version, known: MIGRATIONS.len() });
        }
        Ok(Some(ledger))
    }

    fn sql<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, LedgerError> {
        f(&self.conn).map_err(|source| sql_error(&self.path, source))
    }

    fn version(&self) -> Result<i64, LedgerError> {
        self.sql(|c| c.pragma_query_value(None, "user_version", |row| row.get(0)))
    }

    fn migrate(&mut self) -> Result<(), LedgerError> {
        let version = self.version()?;
        if version as usize > MIGRATIONS.len() {
            return Err(LedgerError::Newer { path: self.path.clone(), found: version, known: MIGRATIONS.len() });
        }
        let path = self.path.clone();
        let sql = |source| sql_error(&path, source);
        let home = self.home();
        for (i, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self.conn.transaction().map_err(sql)?;
            tx.execute_batch(migration).map_err(sql)?;
            if i + 1 == RELATIVE_FOLDERS {
                relative_folders(&tx, &home).map_err(sql)?;
            }
            tx.pragma_update(None, "user_version", i as i64 + 1).map_err(sql)?;
            tx.commit().map_err(sql)?;
        }
        Ok(())
    }

    /// What was sent to each of `accounts` by runs dated before `as_of` (a
    /// rerun of the same day never changes its own letters), in two queries
    /// for the whole set: callers ask partition by partition, so memory stays
    /// flat and a run of 100,000 accounts makes a few hundred queries, not
    /// 100,000.
    pub fn histories<'a>(
        &self,
        accounts: impl IntoIterator<Item = &'a str>,
        as_of: NaiveDate,
    ) -> Result<HashMap<String, History>, LedgerError> {
        let ids = serde_json::to_string(&accounts.into_iter().collect::<Vec<_>>()).unwrap_or_default();
        let day = as_of.to_string();
        let mut past: HashMap<String, Past> = HashMap::new();
        self.sql(|c| {
            let mut letters = c.prepare_cached(
                "SELECT j.value, r.as_of, p.piece_id, COALESCE(d.stage, p.stage), d.balance_cents,
                 p.state = 'returned' AND p.state_on < ?2, p.address
                 FROM json_each(?1) j JOIN decisions d ON d.account = j.value JOIN runs r ON r.id = d.run_id
                 JOIN pieces p ON p.piece_id = d.piece_id
                 WHERE r.as_of < ?2 ORDER BY j.value, r.as_of, p.piece_id",
            )?;
            let mut rows = letters.query(params![ids, day])?;
            while let Some(row) = rows.next()? {
                let stage: String = row.get(3)?;
                let letter = SentLetter {
                    date: date(&row.get::<_, String>(1)?),
                    piece: row.get(2)?,
                    stage: Stage::from_id(&stage).unwrap_or(Stage::Reminder),
                    balance: row.get::<_, Option<i64>>(4)?.map(Cents),
                };
                // Returned before this run's date: a rerun of an earlier
                // month decides as that month did.
                let returned = row.get::<_, bool>(5)?.then(|| row.get(6)).transpose()?;
                past.entry(row.get(0)?).or_default().letters.push((letter, returned));
            }
            // Runs since an account's first letter in which it owed nothing
            // (held as paid, or not in the export at all) start it over. A
            // run whose export left the balance blank, or whose rows of the
            // account could not all be read, did not say it was paid, so it
            // starts nothing over.
            let mut runs = c.prepare_cached("SELECT id, as_of FROM runs WHERE rerun_of IS NULL AND as_of < ?1")?;
            let runs: Vec<(i64, String)> =
                runs.query_map([&day], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
            let mut owed = c.prepare_cached(
                "SELECT j.value, d.run_id FROM json_each(?1) j JOIN decisions d ON d.account = j.value
                 WHERE (d.balance_cents > 0
                 AND (d.hold_code IS NULL OR d.hold_code NOT IN ('zero_balance', 'credit_balance', 'under_minimum')))
                 OR d.hold_code IN ('blank_balance', 'rows_rejected')",
            )?;
            let mut owing: HashMap<String, Vec<i64>> = HashMap::new();
            let mut rows = owed.query([&ids])?;
            while let Some(row) = rows.next()? {
                owing.entry(row.get(0)?).or_default().push(row.get(1)?);
            }
            for (account, past) in &mut past {
                let owed_in = owing.get(account).map_or(&[][..], Vec::as_slice);
                past.resets = runs.iter().filter(|(id, _)| !owed_in.contains(id)).map(|(_, d)| date(d)).collect();
            }
            Ok(())
        })?;
        Ok(past.into_iter().map(|(account, past)| (account, past.history())).collect())
    }

    /// A run recorded for `as_of` from other inputs than these, other than
    /// the one at `folder` (which a new run there replaces): its folder. A
    /// second run for a day would decide from the same history as the first
    /// and mail everyone again, so the pipeline refuses it.
    pub fn other_run_on(
        &self,
        as_of: NaiveDate,
        inputs: RunInputs,
        folder: &Path,
    ) -> Result<Option<String>, LedgerError> {
        self.sql(|c| {
            c.query_row(
                &format!("SELECT folder FROM runs WHERE as_of = ?1 AND folder != ?7 AND NOT ({SAME_INPUTS}) ORDER BY id LIMIT 1"),
                params![as_of.to_string(), inputs.export, inputs.config, inputs.mapping, inputs.layouts, inputs.hold_list, self.place(folder)],
                |r| r.get(0),
            )
            .optional()
        })
    }

    /// Whether a new run may replace the run recorded at `folder` (a run
    /// remade with `--overwrite`, after a wording fix say): only while none of
    /// its pieces was handed to the vendor or mailed. Nothing recorded there
    /// is fine too.
    pub fn check_replaceable(&self, folder: &Path) -> Result<(), LedgerError> {
        let place = self.place(folder);
        let gone: bool = self.sql(|c| {
            c.query_row(
                "SELECT EXISTS (SELECT 1 FROM pieces p JOIN runs r ON r.id = p.run_id
                 WHERE r.folder = ?1 AND p.state != 'made')",
                [&place],
                |r| r.get(0),
            )
        })?;
        if gone { Err(LedgerError::Sent { folder: place }) } else { Ok(()) }
    }

    /// Records a complete run folder, in one transaction.
    pub fn record(&mut self, folder: &Path, recorded_at: &str) -> Result<Recorded, LedgerError> {
        let failed = |reason: String| LedgerError::Folder { folder: folder.to_path_buf(), reason };
        let bytes = std::fs::read(folder.join(RUN_JSON)).map_err(|e| failed(format!("{RUN_JSON}: {e}")))?;
        let record: RunRecord = serde_json::from_slice(&bytes).map_err(|e| failed(format!("{RUN_JSON}: {e}")))?;
        let sha = crate::digest::sha256(&bytes);
        let place = self.place(folder);
        let known: Option<i64> = self.sql(|c| {
            c.query_row("SELECT id FROM runs WHERE run_json_sha256 = ?1 AND folder = ?2", [&sha, &place], |r| r.get(0))
                .optional()
        })?;
        if known.is_some() {
            return Ok(Recorded::Already);
        }
        self.check_replaceable(folder)?;
        let inputs = record.inputs();
        let earlier: Option<(i64, String)> = self.sql(|c| {
            c.query_row(
                &format!("SELECT id, folder FROM runs WHERE rerun_of IS NULL AND as_of = ?1 AND {SAME_INPUTS} AND folder != ?7"),
                params![record.as_of, inputs.export, inputs.config, inputs.mapping, inputs.layouts, inputs.hold_list, place],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
        })?;
        if earlier.is_none()
            && let Some(folder) = self.other_run_on(date(&record.as_of), inputs, folder)?
        {
            return Err(LedgerError::SameDay { as_of: record.as_of.clone(), folder });
        }
        let path = self.path.clone();
        let sql = |source| sql_error(&path, source);
        let tx = self.conn.transaction().map_err(sql)?;
        // The run this one replaces (made again into the same folder), with
        // any reruns of it: their letters never went out.
        let replaced = "SELECT id FROM runs WHERE folder = ?1 OR rerun_of IN (SELECT id FROM runs WHERE folder = ?1)";
        for statement in [
            format!(
                "DELETE FROM piece_events WHERE piece_id IN (SELECT piece_id FROM pieces WHERE run_id IN ({replaced}))"
            ),
            format!("DELETE FROM pieces WHERE run_id IN ({replaced})"),
            format!("DELETE FROM decisions WHERE run_id IN ({replaced})"),
            format!("DELETE FROM runs WHERE id IN ({replaced})"),
        ] {
            tx.execute(&statement, [&place]).map_err(sql)?;
        }
        let c = &record.counts;
        tx.execute(
            "INSERT INTO runs (as_of, recorded_at, folder, run_json_sha256, kindly_version, typst_version,
             export_sha256, config_sha256, mapping_sha256, layouts_sha256, accounts, letters, holds, rerun_of,
             hold_list_sha256, needs_approval)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            params![
                record.as_of,
                recorded_at,
                place,
                sha,
                record.kindly_version,
                record.typst_version,
                inputs.export,
                inputs.config,
                inputs.mapping,
                inputs.layouts,
                c.accounts as i64,
                c.letters as i64,
                c.holds as i64,
                earlier.as_ref().map(|e| e.0),
                inputs.hold_list,
                record.approval_required,
            ],
        )
        .map_err(sql)?;
        if let Some((_, of)) = earlier {
            tx.commit().map_err(sql)?;
            return Ok(Recorded::Rerun { of });
        }
        let run = tx.last_insert_rowid();
        // The run folder's files are read a row at a time, so recording a
        // run of 100,000 accounts takes no more memory than one of ten.
        {
            let mut decision = tx
                .prepare(
                    "INSERT INTO decisions (run_id, account, decision, stage, reason, balance_cents,
                     oldest_unpaid, piece_id, wording_sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(sql)?;
            for_each_row((folder, &path), AUDIT_CSV, |row: AuditRow| {
                let letter = row.decision == AuditDecision::Letter;
                let wording = row
                    .stage
                    .filter(|_| letter)
                    .and_then(|stage| record.wording.get(&format!("{}/{}.typ.j2", row.letter_language, stage.id())));
                decision
                    .execute(params![
                        run,
                        row.account,
                        if letter { "letter" } else { "hold" },
                        row.stage.map(Stage::id),
                        row.reason,
                        Cents::parse(&row.balance).ok().map(|b| b.0),
                        Some(&row.oldest_unpaid_service).filter(|d| !d.is_empty()),
                        Some(&row.piece_id).filter(|p| !p.is_empty()),
                        wording,
                    ])
                    .map(drop)
            })?;
            let mut hold =
                tx.prepare("UPDATE decisions SET hold_code = ?3 WHERE run_id = ?1 AND account = ?2").map_err(sql)?;
            for_each_row((folder, &path), HOLDS_CSV, |row: HoldRow| {
                hold.execute(params![run, row.account, row.reason_code]).map(drop)
            })?;
            let mut piece = tx
                .prepare(
                    "INSERT INTO pieces (piece_id, run_id, stage, sha256, recipient, address, file, printed_address)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(sql)?;
            for_each_row((folder, &path), MANIFEST_CSV, |row: ManifestRow| {
                piece
                    .execute(params![
                        row.piece_id,
                        run,
                        row.stage.id(),
                        row.sha256,
                        row.recipient_name,
                        row.address().key(),
                        row.file,
                        row.address().one_line(),
                    ])
                    .map(drop)
            })?;
        }
        tx.commit().map_err(sql)?;
        Ok(Recorded::Run)
    }

    /// Run folders beside the ledger that it does not hold yet (kindly
    /// stopped between a folder's rename and the ledger's commit), recorded
    /// now. Trial runs and shards (whose merged run is recorded) are not.
    /// Only the ledger's own folder is looked in: a folder elsewhere may be
    /// another practice's.
    pub fn mend(&mut self, recorded_at: &str) -> Result<Vec<PathBuf>, LedgerError> {
        let dir = self.path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
        let mut folders: Vec<(String, PathBuf)> = Vec::new();
        if dir.is_dir() {
            let entries = std::fs::read_dir(&dir)
                .map_err(|e| LedgerError::Folder { folder: dir.clone(), reason: e.to_string() })?;
            folders.extend(
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
                    .filter_map(|p| {
                        let record: RunRecord = serde_json::from_slice(&std::fs::read(p.join(RUN_JSON)).ok()?).ok()?;
                        (!record.trial && record.shard.is_none()).then_some((record.as_of, p))
                    }),
            );
        }
        folders.sort();
        let mut mended = Vec::new();
        for (_, folder) in folders {
            // A folder superseded by another run of its day (one that was
            // replaced, or a rerun of it) is left as it is.
            let recorded = match self.record(&folder, recorded_at) {
                Err(LedgerError::SameDay { .. }) => continue,
                other => other?,
            };
            if recorded == Recorded::Run {
                mended.push(folder);
            }
        }
        Ok(mended)
    }

    /// Records what became of pieces (handed to the vendor, mailed,
    /// returned), each as of its date, in one transaction: an unknown piece
    /// changes nothing. Every change is kept in `piece_events`; the piece
    /// shows its latest. A change the ledger already has (the same returns
    /// file given twice) is counted as such and not kept again.
    pub fn set_state(&mut self, changes: &[StateChange]) -> Result<Marked, LedgerError> {
        let path = self.path.clone();
        let sql = |source| sql_error(&path, source);
        let tx = self.conn.transaction().map_err(sql)?;
        let mut marked = Marked::default();
        for change in changes {
            let (state, on) = (change.state.id(), change.on.to_string());
            let known: Option<(String, Option<String>, String)> = tx
                .prepare_cached(
                    "SELECT p.state, p.state_on, r.as_of FROM pieces p JOIN runs r ON r.id = p.run_id
                     WHERE p.piece_id = ?1",
                )
                .and_then(|mut s| s.query_row(params![change.piece], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?))))
                .optional()
                .map_err(sql)?;
            // A piece is handed, mailed or returned on its run's date or
            // later: an earlier date is a mistyped date or piece id.
            let (current, current_on, as_of) = known.ok_or_else(|| LedgerError::NoSuchPiece(change.piece.clone()))?;
            if on < as_of {
                return Err(LedgerError::BeforeItsRun { piece: change.piece.clone(), state, on, as_of });
            }
            if current == state && current_on.as_deref() == Some(on.as_str()) {
                marked.already += 1;
                continue;
            }
            // Handing a run to the vendor again (another vendor, say) is
            // kept as an event, but a piece already mailed stays mailed.
            let handed_again = change.state == PieceState::Handed && current != "made" && current != state;
            if !handed_again {
                tx.prepare_cached("UPDATE pieces SET state = ?1, state_on = ?2, state_reason = ?3 WHERE piece_id = ?4")
                    .and_then(|mut s| s.execute(params![state, on, change.reason, change.piece]))
                    .map_err(sql)?;
            }
            tx.prepare_cached("INSERT INTO piece_events (piece_id, state, on_date, reason) VALUES (?1, ?2, ?3, ?4)")
                .and_then(|mut s| s.execute(params![change.piece, state, on, change.reason]))
                .map_err(sql)?;
            marked.new += 1;
        }
        tx.commit().map_err(sql)?;
        Ok(marked)
    }

    /// Records that a run was approved (`kindly approve`), by the SHA-256
    /// of the run.json approved.
    pub fn record_approval(&mut self, folder: &Path, approval: &Approval) -> Result<(), LedgerError> {
        let folder = self.place(folder);
        self.conn
            .execute(
                "INSERT INTO approvals (run_json_sha256, folder, approved_by, approved_on) VALUES (?1, ?2, ?3, ?4)",
                params![approval.run_json_sha256, folder, approval.approved_by, approval.approved_on],
            )
            .map(drop)
            .map_err(|source| sql_error(&self.path, source))
    }

    /// How many runs the ledger holds (reruns aside) and the latest as-of
    /// date, for the line every command that uses it starts with.
    pub fn summary(&self) -> Result<LedgerSummary, LedgerError> {
        self.sql(|c| {
            c.query_row("SELECT COUNT(*), MAX(as_of) FROM runs WHERE rerun_of IS NULL", [], |r| {
                Ok(LedgerSummary { path: self.path.clone(), runs: r.get::<_, i64>(0)? as u64, latest: r.get(1)? })
            })
        })
    }

    /// The runs of these pieces that were made needing approval and have
    /// none that matches them: their folders, once each.
    pub fn unapproved(&self, pieces: &[String]) -> Result<Vec<String>, LedgerError> {
        let ids = serde_json::to_string(pieces).unwrap_or_default();
        self.sql(|c| {
            let mut statement = c.prepare(
                "SELECT DISTINCT r.folder FROM json_each(?1) j JOIN pieces p ON p.piece_id = j.value
                 JOIN runs r ON r.id = p.run_id
                 WHERE r.needs_approval AND NOT EXISTS
                 (SELECT 1 FROM approvals a WHERE a.run_json_sha256 = r.run_json_sha256)
                 ORDER BY r.folder",
            )?;
            let folders = statement.query_map([ids], |r| r.get::<_, String>(0))?;
            folders.map(|f| f.map(|f| self.shown(f))).collect()
        })
    }

    /// Every decision recorded for an account, oldest first.
    pub fn entries(&self, account: &str) -> Result<Vec<Entry>, LedgerError> {
        self.sql(|c| {
            let mut statement = c.prepare(
                "SELECT r.as_of, r.folder, d.decision, d.stage, d.hold_code, d.reason, d.balance_cents, d.piece_id,
                 p.state, p.state_on, p.state_reason, COALESCE(p.printed_address, p.address), p.file, p.sha256,
                 d.wording_sha256
                 FROM decisions d JOIN runs r ON r.id = d.run_id
                 LEFT JOIN pieces p ON p.piece_id = d.piece_id AND p.run_id = d.run_id
                 WHERE d.account = ?1 ORDER BY r.as_of, r.id",
            )?;
            let rows = statement.query_map([account], |row| {
                Ok(Entry {
                    as_of: row.get(0)?,
                    folder: self.shown(row.get(1)?),
                    decision: row.get(2)?,
                    stage: row.get(3)?,
                    hold_code: row.get(4)?,
                    reason: row.get(5)?,
                    balance: row.get::<_, Option<i64>>(6)?.map(|c| Cents(c).to_string()),
                    piece_id: row.get(7)?,
                    piece_state: row.get(8)?,
                    piece_state_on: row.get(9)?,
                    piece_state_reason: row.get(10)?,
                    address: row.get(11)?,
                    file: row.get(12)?,
                    sha256: row.get(13)?,
                    wording_sha256: row.get(14)?,
                })
            })?;
            rows.collect()
        })
    }

    /// What changed between the latest earlier run recorded and the run
    /// whose files are in `staged` (to go into `folder`, as of `as_of`):
    /// None if the ledger has no earlier run. The run folder's audit.csv
    /// and holds.csv are read a row at a time beside the earlier run's
    /// decisions, both in account order, so memory does not grow with the
    /// run.
    pub fn changes(&self, folder: &Path, as_of: &str, staged: &Path) -> Result<Option<Changes>, LedgerError> {
        let previous: Option<(i64, String, String)> = self.sql(|c| {
            c.query_row(
                "SELECT id, as_of, folder FROM runs WHERE rerun_of IS NULL AND as_of < ?1 AND folder != ?2
                 ORDER BY as_of DESC, id DESC LIMIT 1",
                params![as_of, self.place(folder)],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
        })?;
        let Some((run, previous_as_of, previous_folder)) = previous else { return Ok(None) };
        let mut changes = Changes { previous_as_of, previous_folder, ..Changes::default() };
        self.side_by_side(
            run,
            staged,
            AUDIT_CSV,
            |row: &AuditRow| &row.account,
            |now, then| changes.account(now.map(|n| (n.decision == AuditDecision::Letter, n.stage)), then),
        )?;
        self.side_by_side(
            run,
            staged,
            HOLDS_CSV,
            |row: &HoldRow| &row.account,
            |now, then| {
                if let Some(now) = now
                    && then.is_none_or(|t| t.letter)
                {
                    changes.new_hold(&now.reason_code, &now.account, &now.reason);
                }
            },
        )?;
        Ok(Some(changes))
    }

    /// Hands `each` every account of a run folder's file (`name`, in account
    /// order) and of the earlier run `run`, side by side: (this run's row,
    /// the earlier run's decision), either absent where the account is not
    /// in that run.
    fn side_by_side<T: DeserializeOwned>(
        &self,
        run: i64,
        staged: &Path,
        name: &str,
        key: impl Fn(&T) -> &String,
        mut each: impl FnMut(Option<&T>, Option<&Then>),
    ) -> Result<(), LedgerError> {
        let sql = |source| sql_error(&self.path, source);
        let mut statement = self
            .conn
            .prepare("SELECT account, decision, stage FROM decisions WHERE run_id = ?1 ORDER BY account")
            .map_err(sql)?;
        let mut rows = statement.query([run]).map_err(sql)?;
        let mut next = || -> rusqlite::Result<Option<Then>> {
            rows.next()?
                .map(|r| {
                    let stage: Option<String> = r.get(2)?;
                    Ok(Then {
                        account: r.get(0)?,
                        letter: r.get::<_, String>(1)? == "letter",
                        stage: stage.as_deref().and_then(Stage::from_id),
                    })
                })
                .transpose()
        };
        let mut then = next().map_err(sql)?;
        for_each_row((staged, &self.path), name, |now: T| {
            while let Some(earlier) = then.as_ref().filter(|t| t.account < *key(&now)) {
                each(None, Some(earlier));
                then = next()?;
            }
            match then.as_ref().filter(|t| t.account == *key(&now)) {
                Some(same) => {
                    each(Some(&now), Some(same));
                    then = next()?;
                }
                None => each(Some(&now), None),
            }
            Ok(())
        })?;
        while let Some(earlier) = then {
            each(None, Some(&earlier));
            then = next().map_err(sql)?;
        }
        Ok(())
    }

    /// The runs recorded, oldest first, with their counts.
    pub fn runs(&self) -> Result<Vec<RunEntry>, LedgerError> {
        self.sql(|c| {
            let mut statement = c.prepare(
                "SELECT r.as_of, r.recorded_at, r.folder, r.accounts, r.letters, r.holds, o.folder, r.run_json_sha256,
                 (SELECT COUNT(*) FROM pieces p WHERE p.run_id = r.id AND p.state = 'mailed'),
                 (SELECT COUNT(*) FROM pieces p WHERE p.run_id = r.id AND p.state = 'returned')
                 FROM runs r LEFT JOIN runs o ON o.id = r.rerun_of ORDER BY r.as_of, r.id",
            )?;
            let rows = statement.query_map([], |row| {
                Ok(RunEntry {
                    as_of: row.get(0)?,
                    recorded_at: row.get(1)?,
                    folder: self.shown(row.get(2)?),
                    accounts: row.get(3)?,
                    letters: row.get(4)?,
                    holds: row.get(5)?,
                    rerun_of: row.get::<_, Option<String>>(6)?.map(|f| self.shown(f)),
                    run_json_sha256: row.get(7)?,
                    mailed: row.get(8)?,
                    returned: row.get(9)?,
                })
            })?;
            rows.collect()
        })
    }

    /// The whole ledger as text, without when each run was recorded and with
    /// each run folder's absolute path, so two ledgers can be compared (a
    /// rebuilt one and the one kept run by run).
    pub fn dump(&self) -> Result<String, LedgerError> {
        self.sql(|c| {
            let mut out = String::new();
            for (table, order) in [("runs", "as_of, folder"), ("decisions", "run_id, account"), ("pieces", "piece_id")]
            {
                let mut statement = c.prepare(&format!("SELECT * FROM {table} ORDER BY {order}"))?;
                let names: Vec<String> = statement.column_names().map(String::from).collect();
                let mut rows = statement.query([])?;
                while let Some(row) = rows.next()? {
                    let mut fields = Vec::new();
                    for (i, name) in names.iter().enumerate() {
                        let value: rusqlite::types::Value = row.get(i)?;
                        match (name.as_str(), value) {
                            ("recorded_at", _) => {}
                            // Where the folder is, however the ledger names it.
                            ("folder", rusqlite::types::Value::Text(place)) => {
                                fields.push(format!("folder={:?}", absolute(&self.folder_path(&place))))
                            }
                            (_, value) => fields.push(format!("{name}={value:?}")),
                        }
                    }
                    out.push_str(&format!("{table}: {}\n", fields.join(", ")));
                }
            }
            Ok(out)
        })
    }
}

/// The ledger at `path` in a line, for the commands that use it: `ledger
/// runs/kindly-ledger.sqlite: 2 runs, latest 2026-12-07`, or that there is
/// none there yet.
pub fn describe(path: &Path) -> Result<String, LedgerError> {
    Ok(match Ledger::open_read_only(path)? {
        Some(ledger) => ledger.summary()?.to_string(),
        None => format!("ledger {}: none there yet, so as if nothing had ever been sent", path.display()),
    })
}

/// A new ledger from run folders alone, recorded in as-of order.
pub fn rebuild(path: &Path, folders: &[PathBuf], recorded_at: &str) -> Result<Ledger, LedgerError> {
    if path.exists() {
        return Err(LedgerError::Exists(path.to_path_buf()));
    }
    let mut dated: Vec<(String, PathBuf)> = Vec::new();
    for folder in folders {
        let bytes = std::fs::read(folder.join(RUN_JSON))
            .map_err(|e| LedgerError::Folder { folder: folder.clone(), reason: format!("{RUN_JSON}: {e}") })?;
        let record: RunRecord = serde_json::from_slice(&bytes)
            .map_err(|e| LedgerError::Folder { folder: folder.clone(), reason: format!("{RUN_JSON}: {e}") })?;
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

/// An account's letters before this run, oldest first, each with the
/// address it came back from if it was returned; and the dates of the runs in
/// which it owed nothing.
#[derive(Default)]
struct Past {
    letters: Vec<(SentLetter, Option<String>)>,
    resets: Vec<NaiveDate>,
}

impl Past {
    /// The history policy decides with: the last letter, whether the account
    /// owed nothing in a run since (a new sequence), and when the current
    /// sequence's first letter went out.
    fn history(self) -> History {
        let returned =
            self.letters.iter().filter_map(|(letter, to)| Some((letter.piece.clone(), to.clone()?))).collect();
        let Some((last, _)) = self.letters.last().cloned() else { return History::default() };
        let paid_down_since = self.resets.iter().any(|d| *d > last.date);
        let restart = self.resets.iter().filter(|d| **d < last.date).max();
        let sequence_started = if paid_down_since {
            None
        } else {
            self.letters.iter().map(|(l, _)| l.date).find(|d| restart.is_none_or(|r| d > r))
        };
        History { last_letter: Some(last), paid_down_since, returned, sequence_started, listed: None }
    }
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
}

/// Reads a vendor's report of returned pieces: a CSV with a header naming a
/// piece column (`piece_id` or `piece`), a date column (`date`,
/// `returned_on` or `returned_at`; a date, or a timestamp that starts with
/// one) and, if it has one, a `reason` column. A row that cannot be read
/// stops the whole file, naming its line, column and value.
pub fn read_returns(path: &Path) -> Result<Vec<StateChange>, LedgerError> {
    let bad = |line: u64, column: &str, value: &str, reason: &str| LedgerError::Returns {
        file: path.to_path_buf(),
        line,
        column: column.to_string(),
        value: value.to_string(),
        reason: reason.to_string(),
    };
    let bytes = std::fs::read(path).map_err(|e| bad(0, "", "", &e.to_string()))?;
    let csv = SmallCsv::new(&bytes);
    let mut reader = csv.reader();
    let headers = reader.headers().map_err(|e| bad(1, "", "", &e.to_string()))?.clone();
    let find = |names: &[&str]| headers.iter().position(|h| names.contains(&h.trim().to_lowercase().as_str()));
    let piece = find(&["piece_id", "piece"]).ok_or_else(|| bad(1, "piece_id", "", "no piece_id column"))?;
    let day = find(&["date", "returned_on", "returned_at"]).ok_or_else(|| bad(1, "date", "", "no date column"))?;
    let reason = find(&["reason"]);
    let mut changes = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| bad(csv.line(e.position()), "", "", &e.to_string()))?;
        let line = csv.line(row.position());
        let cell = |i: usize| row.get(i).unwrap_or_default().trim();
        let id = cell(piece);
        if id.is_empty() {
            return Err(bad(line, &headers[piece], "", "no piece id"));
        }
        let text = cell(day);
        let on = crate::dates::parse(text)
            .ok_or_else(|| bad(line, &headers[day], text, &format!("not {}", crate::dates::FORMS)))?;
        let reason = reason.map(cell).filter(|r| !r.is_empty()).map(String::from);
        changes.push(StateChange { piece: id.to_string(), state: PieceState::Returned, on, reason });
    }
    Ok(changes)
}

/// The piece ids of a run folder, from its manifest.
pub fn pieces_of(folder: &Path) -> Result<Vec<String>, LedgerError> {
    let rows: Vec<ManifestRow> = read_rows(folder, MANIFEST_CSV)
        .map_err(|reason| LedgerError::Folder { folder: folder.to_path_buf(), reason })?;
    Ok(rows.into_iter().map(|r| r.piece_id).collect())
}

impl Ledger {
    /// The ledger's own folder, absolute: it names run folders from here.
    fn home(&self) -> PathBuf {
        absolute(self.path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")))
    }

    /// How the ledger names a run folder: its path from the ledger's own
    /// folder (`2026-11-30`, `../elsewhere/2026-12-07`), so the same folder
    /// is one run however a command spelled it, and a practice folder can be
    /// moved or copied whole.
    fn place(&self, folder: &Path) -> String {
        relative(&self.home(), &absolute(folder))
    }

    /// A run folder the ledger names, as a path from where kindly runs.
    pub fn folder_path(&self, place: &str) -> PathBuf {
        lexically_normal(&self.path.parent().unwrap_or(Path::new("")).join(place))
    }

    fn shown(&self, place: String) -> String {
        self.folder_path(&place).display().to_string()
    }
}

/// `to` as a path from `from` (both absolute), `/` between its parts.
fn relative(from: &Path, to: &Path) -> String {
    let path = pathdiff::diff_paths(to, from).unwrap_or_else(|| to.to_path_buf());
    let parts: Vec<String> = path.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    if parts.is_empty() { ".".to_string() } else { parts.join("/") }
}

/// `a/b/../c` as `a/c`, without asking the file system.
fn lexically_normal(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.components().next_back(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() { PathBuf::from(".") } else { out }
}

/// Ledgers made before schema version 5 named run folders by their
/// absolute paths: each becomes its path from the ledger's folder.
fn relative_folders(tx: &rusqlite::Transaction, home: &Path) -> rusqlite::Result<()> {
    for table in ["runs", "approvals"] {
        let folders: Vec<String> = tx
            .prepare(&format!("SELECT DISTINCT folder FROM {table}"))?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for folder in folders.iter().filter(|f| Path::new(f).is_absolute()) {
            let place = relative(home, &absolute(Path::new(folder)));
            tx.execute(&format!("UPDATE {table} SET folder = ?1 WHERE folder = ?2"), [&place, folder])?;
        }
    }
    Ok(())
}

/// A path made absolute, with links resolved as far as it exists (a run
/// folder about to be made does not yet).
fn absolute(path: &Path) -> PathBuf {
    if let Ok(real) = path.canonicalize() {
        return real;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) if !parent.as_os_str().is_empty() => absolute(parent).join(name),
        _ => std::env::current_dir().unwrap_or_default().join(path),
    }
}

/// A damaged file is told apart from other failures, since its remedy is
/// a rebuild from the run folders.
fn sql_error(path: &Path, source: rusqlite::Error) -> LedgerError {
    let code = source.sqlite_error_code();
    if matches!(code, Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)) {
        LedgerError::Damaged { path: path.to_path_buf(), source }
    } else {
        LedgerError::Sql { path: path.to_path_buf(), source }
    }
}

fn read_rows<T: DeserializeOwned>(folder: &Path, name: &str) -> Result<Vec<T>, String> {
    let mut reader = csv::Reader::from_path(folder.join(name)).map_err(|e| format!("{name}: {e}"))?;
    reader.deserialize().collect::<Result<_, _>>().map_err(|e| format!("{name}: {e}"))
}

/// Hands each row of a run folder's CSV file to `each`, one at a time.
fn for_each_row<T: DeserializeOwned>(
    (folder, ledger): (&Path, &Path),
    name: &str,
    mut each: impl FnMut(T) -> rusqlite::Result<()>,
) -> Result<(), LedgerError> {
    let failed = |reason: String| LedgerError::Folder { folder: folder.to_path_buf(), reason };
    let mut reader = csv::Reader::from_path(folder.join(name)).map_err(|e| failed(format!("{name}: {e}")))?;
    for row in reader.deserialize() {
        each(row.map_err(|e| failed(format!("{name}: {e}")))?).map_err(|e| sql_error(ledger, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("kindly-ledger-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(crate::practice::LEDGER_FILE)
    }

    #[test]
    fn the_schema_is_made_once_and_a_newer_one_is_refused() {
        let path = scratch("schema");
        let ledger = Ledger::open(&path, "is testing").unwrap();
        assert_eq!(ledger.version().unwrap(), MIGRATIONS.len() as i64);
        let mode: String = ledger.sql(|c| c.pragma_query_value(None, "journal_mode", |r| r.get(0))).unwrap();
        assert_eq!(mode, "wal");
        drop(ledger);
        let again = Ledger::open(&path, "is testing").unwrap();
        assert_eq!(again.version().unwrap(), MIGRATIONS.len() as i64, "opening again runs nothing twice");
        again.sql(|c| c.pragma_update(None, "user_version", 99)).unwrap();
        drop(again);
        assert!(matches!(Ledger::open(&path, "is testing"), Err(LedgerError::Newer { found: 99, .. })));
        assert!(matches!(Ledger::open_read_only(&path), Err(LedgerError::Newer { .. })));
    }

    #[test]
    fn no_ledger_means_no_history_and_a_trial_creates_none() {
        let path = scratch("none");
        assert!(Ledger::open_read_only(&path).unwrap().is_none());
        assert!(!path.exists());
        let ledger = Ledger::open(&path, "is testing").unwrap();
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert!(ledger.histories(["A1"], as_of).unwrap().is_empty());
    }

    #[test]
    fn a_ledger_of_an_older_schema_is_brought_up_to_date_keeping_its_rows() {
        let path = scratch("migrate");
        let old = Connection::open(&path).unwrap();
        old.execute_batch(MIGRATIONS[0]).unwrap();
        old.pragma_update(None, "user_version", 1).unwrap();
        old.execute_batch(
            "INSERT INTO runs VALUES (1, '2026-10-31', 't', 'runs/x', 's', '0.1', '0.15', 'e', 'c', NULL, 'l', 1, 1, 0, NULL);
             INSERT INTO pieces (piece_id, run_id, stage, sha256, recipient, address)
             VALUES ('K1', 1, 'reminder', 'p', 'Ann', '1 MAIN ST');",
        )
        .unwrap();
        drop(old);
        let ledger = Ledger::open(&path, "is testing").unwrap();
        assert_eq!(ledger.version().unwrap(), MIGRATIONS.len() as i64);
        let (piece, file): (String, String) = ledger
            .sql(|c| c.query_row("SELECT piece_id, file FROM pieces", [], |r| Ok((r.get(0)?, r.get(1)?))))
            .unwrap();
        assert_eq!((piece.as_str(), file.as_str()), ("K1", ""));
        assert_eq!(ledger.runs().unwrap().len(), 1);
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn letter(date: &str, stage: Stage) -> (SentLetter, Option<String>) {
        (SentLetter { piece: format!("K{date}"), date: day(date), stage, balance: Some(Cents(5000)) }, None)
    }

    #[test]
    fn a_sequence_starts_after_the_last_run_the_account_owed_nothing() {
        let letters = vec![
            letter("2026-05-31", Stage::Reminder),
            letter("2026-08-31", Stage::Reminder),
            letter("2026-09-30", Stage::PlanOffer),
        ];
        let past = Past { letters: letters.clone(), resets: vec![day("2026-06-30"), day("2026-07-31")] };
        let history = past.history();
        assert_eq!(history.sequence_started, Some(day("2026-08-31")));
        assert!(!history.paid_down_since);
        assert_eq!(history.last_letter.unwrap().stage, Stage::PlanOffer);
        let paid = Past { letters, resets: vec![day("2026-10-31")] }.history();
        assert!(paid.paid_down_since);
        assert_eq!(paid.sequence_started, None);
        assert_eq!(Past::default().history(), History::default());
    }
}
