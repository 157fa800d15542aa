//! "What changed since the last run": this run's audit.csv and holds.csv
//! beside the earlier run's decisions, both in account order, a row at a
//! time.

use std::collections::BTreeMap;
use std::path::Path;

use crate::policy::Stage;
use crate::run_folder::{AUDIT_CSV, AuditDecision, AuditRow, Decided, HOLDS_CSV, HoldRow};

/// What changed since an earlier run (`earlier`: its as-of date and
/// folder), worked out a row at a time: `decisions` hands the earlier run's
/// decisions, in account order, to the function it is given (the ledger's
/// query, streamed), beside this run's audit.csv and holds.csv in `staged`,
/// also in account order. Memory does not grow with the run.
pub fn changes_since<E>(
    (as_of, folder): (&str, &str),
    staged: &Path,
    decisions: impl FnOnce(&mut dyn FnMut(Decided) -> Result<(), E>) -> Result<(), E>,
    unreadable: impl Fn(String) -> E,
) -> Result<Changes, E> {
    let mut changes = Changes {
        previous_as_of: as_of.to_string(),
        previous_folder: folder.to_string(),
        ..Changes::default()
    };
    let now = |row: &AuditRow| (row.decision == AuditDecision::Letter, row.stage);
    let mut audit =
        InOrder::open(staged, AUDIT_CSV, |r: &AuditRow| &r.account).map_err(&unreadable)?;
    let mut holds =
        InOrder::open(staged, HOLDS_CSV, |r: &HoldRow| &r.account).map_err(&unreadable)?;
    decisions(&mut |then: Decided| {
        while let Some(row) = audit.take_if(|a| a < then.account.as_str()).map_err(&unreadable)? {
            changes.account(Some(now(&row)), None);
        }
        let same = audit.take_if(|a| a == then.account).map_err(&unreadable)?;
        changes.account(same.as_ref().map(now), Some(&then));
        while let Some(row) = holds.take_if(|a| a < then.account.as_str()).map_err(&unreadable)? {
            changes.new_hold(&row.reason_code, &row.account, &row.reason);
        }
        // On hold now and then: not a new hold.
        if let Some(row) = holds.take_if(|a| a == then.account).map_err(&unreadable)?
            && then.letter
        {
            changes.new_hold(&row.reason_code, &row.account, &row.reason);
        }
        Ok(())
    })?;
    while let Some(row) = audit.take_if(|_| true).map_err(&unreadable)? {
        changes.account(Some(now(&row)), None);
    }
    while let Some(row) = holds.take_if(|_| true).map_err(&unreadable)? {
        changes.new_hold(&row.reason_code, &row.account, &row.reason);
    }
    Ok(changes)
}

/// A run folder's CSV file read a row at a time, in its (account) order,
/// the next row kept back until it is taken.
struct InOrder<T> {
    name: &'static str,
    rows: csv::DeserializeRecordsIntoIter<std::fs::File, T>,
    next: Option<T>,
    account: fn(&T) -> &String,
}

impl<T: serde::de::DeserializeOwned> InOrder<T> {
    fn open(folder: &Path, name: &'static str, account: fn(&T) -> &String) -> Result<Self, String> {
        let reader =
            csv::Reader::from_path(folder.join(name)).map_err(|e| format!("{name}: {e}"))?;
        let mut rows = InOrder { name, rows: reader.into_deserialize(), next: None, account };
        rows.next = rows.read()?;
        Ok(rows)
    }

    fn read(&mut self) -> Result<Option<T>, String> {
        self.rows.next().transpose().map_err(|e| format!("{}: {e}", self.name))
    }

    /// The next row, if its account is one `wanted` takes.
    fn take_if(&mut self, wanted: impl Fn(&str) -> bool) -> Result<Option<T>, String> {
        if !self.next.as_ref().is_some_and(|row| wanted((self.account)(row))) {
            return Ok(None);
        }
        let next = self.read()?;
        Ok(std::mem::replace(&mut self.next, next))
    }
}

/// Accounts listed by name in each part of "What changed"; the rest are
/// counted.
const CHANGES_LISTED: usize = 5;

/// What changed since the latest earlier run the ledger holds.
#[derive(Default)]
pub struct Changes {
    pub previous_as_of: String,
    pub previous_folder: String,
    /// Accounts with a letter, by stage: (in the earlier run, in this one).
    pub letters: BTreeMap<Stage, (u64, u64)>,
    /// Accounts on hold now that were not then (they had a letter, or were
    /// not in that run), by reason code: how many, and the first few with
    /// their reasons.
    pub new_holds: BTreeMap<String, (u64, Vec<(String, String)>)>,
    /// Accounts in the earlier run that are not in this export: how many,
    /// and the first few with what they had then.
    pub left: (u64, Vec<(String, String)>),
    /// Accounts in this export that were not in the earlier run.
    pub new_accounts: u64,
    /// Accounts on hold then that get a letter now.
    pub released: u64,
}

impl Changes {
    /// One account, side by side: now (whether it gets a letter, at which
    /// stage) and then; either absent.
    pub fn account(&mut self, now: Option<(bool, Option<Stage>)>, then: Option<&Decided>) {
        if let Some(Decided { letter: true, stage: Some(stage), .. }) = then {
            self.letters.entry(*stage).or_default().0 += 1;
        }
        if let Some((true, Some(stage))) = now {
            self.letters.entry(stage).or_default().1 += 1;
        }
        match (now, then) {
            (None, Some(then)) => {
                self.left.0 += 1;
                if self.left.1.len() < CHANGES_LISTED {
                    let had = match (then.letter, then.stage) {
                        (true, Some(stage)) => format!("a {stage} letter"),
                        _ => "on hold".to_string(),
                    };
                    self.left.1.push((then.account.clone(), had));
                }
            }
            (Some(_), None) => self.new_accounts += 1,
            (Some((true, _)), Some(Decided { letter: false, .. })) => self.released += 1,
            _ => {}
        }
    }

    /// An account on hold now that was not then.
    pub fn new_hold(&mut self, code: &str, account: &str, reason: &str) {
        let (n, listed) = self.new_holds.entry(code.to_string()).or_default();
        *n += 1;
        if listed.len() < CHANGES_LISTED {
            listed.push((account.to_string(), reason.to_string()));
        }
    }
}
