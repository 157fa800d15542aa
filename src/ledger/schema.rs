//! The ledger's schema: its migrations, run in order and each once, and
//! the one that made run folders relative to the ledger.

use std::path::Path;

use super::places::{absolute, relative};
use super::{Ledger, LedgerError, sql_error};

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
pub(super) const MIGRATIONS: &[&str] = &[
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
    // What `kindly outcomes` groups letters by and reads payments from;
    // runs recorded before this have none (their letters are grouped as
    // "not recorded").
    "ALTER TABLE decisions ADD COLUMN letter_language TEXT;
     ALTER TABLE decisions ADD COLUMN print_size TEXT;
     ALTER TABLE decisions ADD COLUMN last_payment TEXT;",
    // The wording trial and variant of each letter, `trial/variant`
    // (`[trials]`), for `kindly outcomes` to compare; empty outside trials.
    "ALTER TABLE decisions ADD COLUMN wording_variant TEXT;",
    // Where a letter went when not to the export's address (a confidential
    // address the patient asked for: later runs hold the account rather
    // than mail the export's address), and the confidential-address file
    // a run read, which a rerun must read again to be the same run.
    "ALTER TABLE decisions ADD COLUMN mailed_to TEXT;
     ALTER TABLE runs ADD COLUMN confidential_sha256 TEXT;",
];

/// The schema version from which run folders are named relative to the
/// ledger's own folder, so that a practice folder can be moved or copied.
pub(super) const RELATIVE_FOLDERS: usize = 5;

/// Ledgers made before schema version 5 named run folders by their
/// absolute paths: each becomes its path from the ledger's folder.
pub(super) fn relative_folders(tx: &rusqlite::Transaction, home: &Path) -> rusqlite::Result<()> {
    for table in ["runs", "approvals"] {
        let folders: Vec<String> = tx
            .prepare(&format!("SELECT DISTINCT folder FROM {table}"))?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for folder in folders.iter().filter(|f| Path::new(f).is_absolute()) {
            let place = relative(home, &absolute(Path::new(folder)));
            tx.execute(
                &format!("UPDATE {table} SET folder = ?1 WHERE folder = ?2"),
                [&place, folder],
            )?;
        }
    }
    Ok(())
}

impl Ledger {
    pub(super) fn version(&self) -> Result<i64, LedgerError> {
        self.sql(|c| c.pragma_query_value(None, "user_version", |row| row.get(0)))
    }

    pub(super) fn migrate(&mut self) -> Result<(), LedgerError> {
        let version = self.version()?;
        if version as usize > MIGRATIONS.len() {
            return Err(LedgerError::Newer {
                path: self.path.clone(),
                found: version,
                known: MIGRATIONS.len(),
            });
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
}
