//! Writing to the ledger: a finished run from its folder's own files (or a
//! rerun of one), runs an earlier one missed, what happened to pieces
//! since, and approvals.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rusqlite::{OptionalExtension, Transaction, params};
use serde::de::DeserializeOwned;

use super::queries::date;
use super::{Ledger, LedgerError, Marked, PieceState, Recorded, StateChange, sql_error};
use crate::approval::Approval;
use crate::config::Assigned;
use crate::money::Cents;
use crate::policy::Stage;
use crate::run_folder::{
    AUDIT_CSV, AuditDecision, AuditRow, HOLDS_CSV, HoldRow, MANIFEST_CSV, ManifestRow, RUN_JSON,
    RunInputs, RunRecord, Variant,
};

/// Whether a run's inputs are ?2 to ?6 and ?8 of a query ([`RunInputs`]'s
/// order; ?7 is the folder).
pub(super) const SAME_INPUTS: &str =
    "export_sha256 = ?2 AND config_sha256 = ?3 AND mapping_sha256 IS ?4 AND layouts_sha256 = ?5
     AND hold_list_sha256 IS ?6 AND confidential_sha256 IS ?8";

pub(super) fn read_rows<T: DeserializeOwned>(folder: &Path, name: &str) -> Result<Vec<T>, String> {
    let mut reader =
        csv::Reader::from_path(folder.join(name)).map_err(|e| format!("{name}: {e}"))?;
    reader.deserialize().collect::<Result<_, _>>().map_err(|e| format!("{name}: {e}"))
}

impl Ledger {
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
                params![as_of.to_string(), inputs.export, inputs.config, inputs.mapping, inputs.layouts, inputs.hold_list, self.place(folder), inputs.confidential],
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

    /// Records a complete run folder, in one transaction: a run made again
    /// from the same inputs as one already recorded is a rerun of it (its
    /// letters not counted twice); a new run replaces what was recorded in
    /// its folder before, and its decisions and pieces are read from the
    /// folder's own files.
    pub fn record(&mut self, folder: &Path, recorded_at: &str) -> Result<Recorded, LedgerError> {
        let failed = |reason: String| LedgerError::Folder { folder: folder.to_path_buf(), reason };
        let bytes =
            std::fs::read(folder.join(RUN_JSON)).map_err(|e| failed(format!("{RUN_JSON}: {e}")))?;
        let record: RunRecord =
            serde_json::from_slice(&bytes).map_err(|e| failed(format!("{RUN_JSON}: {e}")))?;
        let sha = crate::digest::sha256(&bytes);
        let place = self.place(folder);
        let known: Option<i64> = self.sql(|c| {
            c.query_row(
                "SELECT id FROM runs WHERE run_json_sha256 = ?1 AND folder = ?2",
                [&sha, &place],
                |r| r.get(0),
            )
            .optional()
        })?;
        if known.is_some() {
            return Ok(Recorded::Already);
        }
        self.check_replaceable(folder)?;
        let earlier = self.rerun_of(&record, &place)?;
        if earlier.is_none()
            && let Some(folder) = self.other_run_on(date(&record.as_of), record.inputs(), folder)?
        {
            return Err(LedgerError::SameDay { as_of: record.as_of.clone(), folder });
        }
        let path = self.path.clone();
        let sql = |source| sql_error(&path, source);
        let tx = self.conn.transaction().map_err(sql)?;
        forget_replaced(&tx, &place).map_err(sql)?;
        let run = (&record, place.as_str(), sha.as_str(), recorded_at);
        insert_run(&tx, run, earlier.as_ref().map(|e| e.0)).map_err(sql)?;
        if let Some((_, of)) = earlier {
            tx.commit().map_err(sql)?;
            return Ok(Recorded::Rerun { of });
        }
        let run = tx.last_insert_rowid();
        insert_rows(&tx, run, (folder, &path), &record)?;
        tx.commit().map_err(sql)?;
        Ok(Recorded::Run)
    }

    /// The run (id and folder) that one made as of the same date from the
    /// same inputs in another folder is a rerun of, if there is one.
    fn rerun_of(
        &self,
        record: &RunRecord,
        place: &str,
    ) -> Result<Option<(i64, String)>, LedgerError> {
        let inputs = record.inputs();
        self.sql(|c| {
            c.query_row(
                &format!("SELECT id, folder FROM runs WHERE rerun_of IS NULL AND as_of = ?1 AND {SAME_INPUTS} AND folder != ?7"),
                params![record.as_of, inputs.export, inputs.config, inputs.mapping, inputs.layouts, inputs.hold_list, place, inputs.confidential],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
        })
    }

    /// Run folders beside the ledger that it does not hold yet (kindly
    /// stopped between a folder's rename and the ledger's commit), recorded
    /// now. Trial runs and shards (whose merged run is recorded) are not.
    /// Only the ledger's own folder is looked in: a folder elsewhere may be
    /// another practice's.
    pub fn mend(&mut self, recorded_at: &str) -> Result<Vec<PathBuf>, LedgerError> {
        let dir = self
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let mut folders: Vec<(String, PathBuf)> = Vec::new();
        if dir.is_dir() {
            let entries = std::fs::read_dir(&dir)
                .map_err(|e| LedgerError::Folder { folder: dir.clone(), reason: e.to_string() })?;
            folders.extend(
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| {
                        !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
                    })
                    .filter_map(|p| {
                        let record: RunRecord =
                            serde_json::from_slice(&std::fs::read(p.join(RUN_JSON)).ok()?).ok()?;
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
            let (current, current_on, as_of) =
                known.ok_or_else(|| LedgerError::NoSuchPiece(change.piece.clone()))?;
            if on < as_of {
                return Err(LedgerError::BeforeItsRun {
                    piece: change.piece.clone(),
                    state,
                    on,
                    as_of,
                });
            }
            if current == state && current_on.as_deref() == Some(on.as_str()) {
                marked.already += 1;
                continue;
            }
            // Handing a run to the vendor again (another vendor, say) is
            // kept as an event, but a piece already mailed stays mailed.
            let handed_again =
                change.state == PieceState::Handed && current != "made" && current != state;
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
    pub fn record_approval(
        &mut self,
        folder: &Path,
        approval: &Approval,
    ) -> Result<(), LedgerError> {
        let folder = self.place(folder);
        self.conn
            .execute(
                "INSERT INTO approvals (run_json_sha256, folder, approved_by, approved_on) VALUES (?1, ?2, ?3, ?4)",
                params![approval.run_json_sha256, folder, approval.approved_by, approval.approved_on],
            )
            .map(drop)
            .map_err(|source| sql_error(&self.path, source))
    }
}

/// Hands each row of a run folder's CSV file to `each`, one at a time.
fn for_each_row<T: DeserializeOwned>(
    (folder, ledger): (&Path, &Path),
    name: &str,
    mut each: impl FnMut(T) -> rusqlite::Result<()>,
) -> Result<(), LedgerError> {
    let failed = |reason: String| LedgerError::Folder { folder: folder.to_path_buf(), reason };
    let mut reader =
        csv::Reader::from_path(folder.join(name)).map_err(|e| failed(format!("{name}: {e}")))?;
    for row in reader.deserialize() {
        each(row.map_err(|e| failed(format!("{name}: {e}")))?).map_err(|e| sql_error(ledger, e))?;
    }
    Ok(())
}

/// Forgets the run recorded at `place` (made again into the same folder),
/// with any reruns of it: their letters never went out.
fn forget_replaced(tx: &Transaction, place: &str) -> rusqlite::Result<()> {
    let replaced = "SELECT id FROM runs WHERE folder = ?1 OR rerun_of IN (SELECT id FROM runs WHERE folder = ?1)";
    for statement in [
        format!(
            "DELETE FROM piece_events WHERE piece_id IN (SELECT piece_id FROM pieces WHERE run_id IN ({replaced}))"
        ),
        format!("DELETE FROM pieces WHERE run_id IN ({replaced})"),
        format!("DELETE FROM decisions WHERE run_id IN ({replaced})"),
        format!("DELETE FROM runs WHERE id IN ({replaced})"),
    ] {
        tx.execute(&statement, [place])?;
    }
    Ok(())
}

/// The runs table's row of a run: its record, where it is, the SHA-256 of
/// its run.json and when it was recorded; a rerun names the run it repeats.
fn insert_run(
    tx: &Transaction,
    (record, place, sha, recorded_at): (&RunRecord, &str, &str, &str),
    rerun_of: Option<i64>,
) -> rusqlite::Result<()> {
    let (inputs, c) = (record.inputs(), &record.counts);
    tx.execute(
        "INSERT INTO runs (as_of, recorded_at, folder, run_json_sha256, kindly_version, typst_version,
         export_sha256, config_sha256, mapping_sha256, layouts_sha256, accounts, letters, holds, rerun_of,
         hold_list_sha256, needs_approval, confidential_sha256)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
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
            rerun_of,
            inputs.hold_list,
            record.approval_required,
            inputs.confidential,
        ],
    )
    .map(drop)
}

/// Run `run`'s decisions (audit.csv, with holds.csv's reason codes) and
/// pieces (manifest.csv), read from its folder a row at a time, so that
/// recording a run of 100,000 accounts takes no more memory than one of
/// ten.
fn insert_rows(
    tx: &Transaction,
    run: i64,
    (folder, ledger): (&Path, &Path),
    record: &RunRecord,
) -> Result<(), LedgerError> {
    let sql = |source| sql_error(ledger, source);
    let mut decision = tx
        .prepare(
            "INSERT INTO decisions (run_id, account, decision, stage, reason, balance_cents,
             oldest_unpaid, piece_id, wording_sha256, letter_language, print_size, last_payment,
             wording_variant, mailed_to)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )
        .map_err(sql)?;
    for_each_row((folder, ledger), AUDIT_CSV, |row: AuditRow| {
        let letter = row.decision == AuditDecision::Letter;
        let variant = Assigned::parse(&row.wording).filter(|_| letter);
        let wording = row.stage.filter(|_| letter).and_then(|stage| {
            let stem = crate::config::template_stem(stage, variant.as_ref());
            record.wording.get(&format!("{}/{stem}.typ.j2", row.letter_language))
        });
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
                Some(&row.letter_language).filter(|l| letter && !l.is_empty()),
                row.variant.filter(|_| letter).map(Variant::id),
                Some(&row.last_payment).filter(|d| !d.is_empty()),
                variant.map(|v| v.to_string()),
                Some(&row.mailed_to).filter(|m| !m.is_empty()),
            ])
            .map(drop)
    })?;
    let mut hold = tx
        .prepare("UPDATE decisions SET hold_code = ?3 WHERE run_id = ?1 AND account = ?2")
        .map_err(sql)?;
    for_each_row((folder, ledger), HOLDS_CSV, |row: HoldRow| {
        hold.execute(params![run, row.account, row.reason_code]).map(drop)
    })?;
    let mut piece = tx
        .prepare(
            "INSERT INTO pieces (piece_id, run_id, stage, sha256, recipient, address, file, printed_address)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .map_err(sql)?;
    for_each_row((folder, ledger), MANIFEST_CSV, |row: ManifestRow| {
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
    })
}
