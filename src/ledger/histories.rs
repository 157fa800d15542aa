//! Every account's runs, one account at a time: what `kindly outcomes`
//! reads to see what each letter led to. The ledger hands the rows over as
//! it reads them; memory holds one account's history, never the ledger.

use chrono::NaiveDate;

use super::queries::date;
use super::{Ledger, LedgerError};
use crate::money::Cents;
use crate::policy::Stage;

/// A run the ledger holds, reruns left out: its place (1 the first) and
/// as-of date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerRun {
    pub number: u32,
    pub as_of: NaiveDate,
}

/// One account in one run, as the ledger recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInRun {
    pub run: LedgerRun,
    /// A letter (at `stage`), or a hold (with its reason code).
    pub letter: bool,
    pub stage: Option<Stage>,
    pub hold_code: Option<String>,
    /// What it owed as of the run; None where the folder did not say.
    pub balance: Option<Cents>,
    /// The letter's language and print size; None before these were
    /// recorded (ledger version 6).
    pub language: Option<String>,
    pub print_size: Option<String>,
    /// The latest payment the export showed, where it shows one.
    pub last_payment: Option<NaiveDate>,
    /// The SHA-256 of its letter's wording template, where recorded.
    pub wording: Option<String>,
    /// Its letter's wording trial and variant, `trial/variant`, if a trial
    /// tried its stage.
    pub trial_variant: Option<String>,
    /// Whether its letter came back undeliverable.
    pub returned: bool,
    /// How many accounts shared the letter's envelope (1: a letter of its
    /// own; 0: no letter).
    pub in_envelope: u32,
}

impl Ledger {
    /// The runs, reruns left out, oldest first.
    pub fn ledger_runs(&self) -> Result<Vec<LedgerRun>, LedgerError> {
        self.sql(|c| {
            let mut statement =
                c.prepare("SELECT as_of FROM runs WHERE rerun_of IS NULL ORDER BY as_of, id")?;
            let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
            let mut runs = Vec::new();
            for (i, as_of) in rows.enumerate() {
                runs.push(LedgerRun { number: i as u32 + 1, as_of: date(&as_of?) });
            }
            Ok(runs)
        })
    }

    /// Hands `each` every account's runs, oldest first, one account at a
    /// time in account order; `runs` are [`Ledger::ledger_runs`].
    pub fn each_account_history(
        &self,
        runs: &[LedgerRun],
        mut each: impl FnMut(&[AccountInRun]),
    ) -> Result<(), LedgerError> {
        self.sql(|c| {
            let mut statement = c.prepare(
                "WITH main AS (SELECT id, ROW_NUMBER() OVER (ORDER BY as_of, id) AS n
                               FROM runs WHERE rerun_of IS NULL),
                      envelopes AS (SELECT run_id, piece_id, COUNT(*) AS accounts FROM decisions
                                    WHERE piece_id IS NOT NULL GROUP BY run_id, piece_id)
                 SELECT d.account, m.n, d.decision, d.stage, d.hold_code, d.balance_cents,
                        d.letter_language, d.print_size, d.last_payment,
                        COALESCE(p.state = 'returned', 0), COALESCE(e.accounts, 0), d.wording_sha256,
                        d.wording_variant
                 FROM decisions d
                 JOIN main m ON m.id = d.run_id
                 LEFT JOIN pieces p ON p.piece_id = d.piece_id AND d.decision = 'letter'
                 LEFT JOIN envelopes e ON e.run_id = d.run_id AND e.piece_id = d.piece_id
                 ORDER BY d.account, m.n",
            )?;
            let mut rows = statement.query([])?;
            let (mut account, mut history): (String, Vec<AccountInRun>) = Default::default();
            while let Some(row) = rows.next()? {
                let this: String = row.get(0)?;
                if this != account && !history.is_empty() {
                    each(&history);
                    history.clear();
                }
                account = this;
                let number: u32 = row.get(1)?;
                let Some(run) = runs.get(number as usize - 1).copied() else { continue };
                let stage: Option<String> = row.get(3)?;
                history.push(AccountInRun {
                    run,
                    letter: row.get::<_, String>(2)? == "letter",
                    stage: stage.as_deref().and_then(Stage::from_id),
                    hold_code: row.get(4)?,
                    balance: row.get::<_, Option<i64>>(5)?.map(Cents),
                    language: row.get(6)?,
                    print_size: row.get(7)?,
                    last_payment: row.get::<_, Option<String>>(8)?.map(|d| date(&d)),
                    returned: row.get(9)?,
                    in_envelope: row.get(10)?,
                    wording: row.get(11)?,
                    trial_variant: row.get(12)?,
                });
            }
            if !history.is_empty() {
                each(&history);
            }
            Ok(())
        })
    }
}
