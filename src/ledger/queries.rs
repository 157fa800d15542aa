//! Reading the ledger: accounts' histories for deciding, an account's
//! letters for `kindly history`, the runs, what changed since the last run,
//! and a dump for checking.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;
use rusqlite::{OptionalExtension, params};

use super::places::absolute;
use super::{HistoryEntry, Ledger, LedgerError, LedgerSummary, RunEntry, sql_error};
use crate::model::Confidential;
use crate::money::Cents;
use crate::policy::{History, SentLetter, Stage};
use crate::run_folder::Decided;

/// An account's letters before this run, oldest first, each with the
/// address it came back from if it was returned; and the dates of the runs in
/// which it owed nothing.
#[derive(Default)]
pub(super) struct Past {
    pub(super) letters: Vec<(SentLetter, Option<String>)>,
    pub(super) resets: Vec<NaiveDate>,
}

impl Past {
    /// The history policy decides with: the last letter, whether the account
    /// owed nothing in a run since (a new sequence), and when the current
    /// sequence's first letter went out.
    pub(super) fn history(self) -> History {
        let returned = self
            .letters
            .iter()
            .filter_map(|(letter, to)| Some((letter.piece.clone(), to.clone()?)))
            .collect();
        let Some((last, _)) = self.letters.last().cloned() else { return History::default() };
        let paid_down_since = self.resets.iter().any(|d| *d > last.date);
        let restart = self.resets.iter().filter(|d| **d < last.date).max();
        let sequence_started = if paid_down_since {
            None
        } else {
            self.letters.iter().map(|(l, _)| l.date).find(|d| restart.is_none_or(|r| d > r))
        };
        History {
            last_letter: Some(last),
            paid_down_since,
            returned,
            sequence_started,
            listed: None,
        }
    }
}

pub(super) fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
}

/// A run recorded earlier: its as-of date and folder (as the ledger names
/// it, relative to the ledger).
pub struct EarlierRun {
    id: i64,
    pub as_of: String,
    pub folder: String,
}

impl Ledger {
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
        let ids =
            serde_json::to_string(&accounts.into_iter().collect::<Vec<_>>()).unwrap_or_default();
        let day = as_of.to_string();
        let mut past: HashMap<String, Past> = HashMap::new();
        self.sql(|c| {
            let mut letters = c.prepare_cached(
                "SELECT j.value, r.as_of, p.piece_id, COALESCE(d.stage, p.stage), d.balance_cents,
                 p.state = 'returned' AND p.state_on < ?2, p.address, d.mailed_to
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
                    to_confidential: row
                        .get::<_, Option<String>>(7)?
                        .is_some_and(|m| Confidential::went_to_confidential(&m)),
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

    /// How many runs the ledger holds (reruns aside) and the latest as-of
    /// date, for the line every command that uses it starts with.
    pub fn summary(&self) -> Result<LedgerSummary, LedgerError> {
        self.sql(|c| {
            c.query_row("SELECT COUNT(*), MAX(as_of) FROM runs WHERE rerun_of IS NULL", [], |r| {
                Ok(LedgerSummary {
                    path: self.path.clone(),
                    runs: r.get::<_, i64>(0)? as u64,
                    latest: r.get(1)?,
                })
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
    pub fn entries(&self, account: &str) -> Result<Vec<HistoryEntry>, LedgerError> {
        self.sql(|c| {
            let mut statement = c.prepare(
                "SELECT r.as_of, r.folder, d.decision, d.stage, d.hold_code, d.reason, d.balance_cents, d.piece_id,
                 p.state, p.state_on, p.state_reason, COALESCE(p.printed_address, p.address), p.file, p.sha256,
                 d.wording_sha256, d.wording_variant, d.mailed_to
                 FROM decisions d JOIN runs r ON r.id = d.run_id
                 LEFT JOIN pieces p ON p.piece_id = d.piece_id AND p.run_id = d.run_id
                 WHERE d.account = ?1 ORDER BY r.as_of, r.id",
            )?;
            let rows = statement.query_map([account], |row| {
                Ok(HistoryEntry {
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
                    wording_variant: row.get(15)?,
                    mailed_to: row.get(16)?,
                })
            })?;
            rows.collect()
        })
    }

    /// The latest run recorded before `as_of`, reruns aside, other than the
    /// one in `folder`: what a new run is compared with in its report.
    pub fn run_before(
        &self,
        folder: &Path,
        as_of: &str,
    ) -> Result<Option<EarlierRun>, LedgerError> {
        self.sql(|c| {
            c.query_row(
                "SELECT id, as_of, folder FROM runs WHERE rerun_of IS NULL AND as_of < ?1 AND folder != ?2
                 ORDER BY as_of DESC, id DESC LIMIT 1",
                params![as_of, self.place(folder)],
                |r| Ok(EarlierRun { id: r.get(0)?, as_of: r.get(1)?, folder: r.get(2)? }),
            )
            .optional()
        })
    }

    /// Hands `each` every decision of the run `run`, in account order, one
    /// at a time.
    pub fn each_decision<E: From<LedgerError>>(
        &self,
        run: &EarlierRun,
        mut each: impl FnMut(Decided) -> Result<(), E>,
    ) -> Result<(), E> {
        let sql = |source| sql_error(&self.path, source);
        let mut statement = self
            .conn
            .prepare(
                "SELECT account, decision, stage FROM decisions WHERE run_id = ?1 ORDER BY account",
            )
            .map_err(sql)?;
        let mut rows = statement.query([run.id]).map_err(sql)?;
        while let Some(r) = rows.next().map_err(sql)? {
            let decided = (|| {
                let stage: Option<String> = r.get(2)?;
                Ok(Decided {
                    account: r.get(0)?,
                    letter: r.get::<_, String>(1)? == "letter",
                    stage: stage.as_deref().and_then(Stage::from_id),
                })
            })()
            .map_err(sql)?;
            each(decided)?;
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
            for (table, order) in [
                ("runs", "as_of, folder"),
                ("decisions", "run_id, account"),
                ("pieces", "piece_id"),
            ] {
                let mut statement =
                    c.prepare(&format!("SELECT * FROM {table} ORDER BY {order}"))?;
                let names: Vec<String> = statement.column_names().map(String::from).collect();
                let mut rows = statement.query([])?;
                while let Some(row) = rows.next()? {
                    let mut fields = Vec::new();
                    for (i, name) in names.iter().enumerate() {
                        let value: rusqlite::types::Value = row.get(i)?;
                        match (name.as_str(), value) {
                            ("recorded_at", _) => {}
                            // Where the folder is, however the ledger names it.
                            ("folder", rusqlite::types::Value::Text(place)) => fields
                                .push(format!("folder={:?}", absolute(&self.folder_path(&place)))),
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
