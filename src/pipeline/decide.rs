//! Deciding ahead: each partition's accounts assessed by policy, once, and
//! their letters numbered, on a thread of its own ahead of the render
//! threads. A decided partition waits in a work file until its letters are
//! made, so memory holds one partition however far ahead deciding runs, and
//! the run's progress learns the run's total early.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Instant;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::Error;
use super::letters::Times;
use crate::config::Config;
use crate::hold_list::HoldList;
use crate::ingest::{Part, Partitioned};
use crate::ledger::{Ledger, LedgerError};
use crate::model::{Account, Issue};
use crate::policy::{self, Assessment, Decision, HoldReason, Stage};
use crate::run_folder::Scratch;
use crate::shard::Shard;

/// One account as policy decided it, with its piece id if it gets a letter.
#[derive(Debug, Serialize, Deserialize)]
pub struct DecidedAccount {
    pub account: Account,
    pub assessment: Assessment,
    pub piece: Option<String>,
}

impl DecidedAccount {
    /// The stage and piece id of the letter to make, if there is one.
    pub fn letter(&self) -> Option<(Stage, &str)> {
        match (&self.assessment.decision, &self.piece) {
            (Decision::Letter { stage }, Some(piece)) => Some((*stage, piece)),
            _ => None,
        }
    }
}

/// One letter to make from a partition: its piece id, the places in the
/// partition of the accounts it carries (one, or a household's), and those
/// accounts with their stages.
pub struct Envelope {
    pub piece: String,
    pub members: Vec<usize>,
    pub accounts: Vec<(Account, Stage)>,
}

/// The letters to make from a partition's decided accounts, in piece order.
/// A household's accounts are neighbours in the partition (in the order of
/// [`crate::household::envelope_key`]) and share a piece id, so they share
/// one letter.
pub fn envelopes(decided: &[DecidedAccount]) -> Vec<Envelope> {
    let mut envelopes: Vec<Envelope> = Vec::new();
    for (at, account) in decided.iter().enumerate() {
        let Some((stage, piece)) = account.letter() else { continue };
        let due = (account.account.clone(), stage);
        match envelopes.last_mut().filter(|e| e.piece == piece) {
            Some(envelope) => {
                envelope.members.push(at);
                envelope.accounts.push(due);
            }
            None => envelopes.push(Envelope {
                piece: piece.to_string(),
                members: vec![at],
                accounts: vec![due],
            }),
        }
    }
    envelopes
}

/// Decides a partition's accounts, numbering letters from `next` in account
/// order; `next` moves past them. Every run and shard numbers this way,
/// partition by partition, so a piece id is the same whichever shard makes
/// the letter. What was sent before comes from the ledger, if there is one.
/// With `household`, the accounts due a letter whose guarantor has the same
/// name and address and that ask for the same language
/// ([`crate::household::envelope_key`]) share one piece id: one envelope. The partition holds whole households (see
/// [`crate::ingest::Regroup::Household`]). An account on the hold list is
/// held.
pub fn decide(
    accounts: Vec<Account>,
    (as_of, config, holds): (NaiveDate, &Config, Option<&HoldList>),
    ledger: Option<&Ledger>,
    next: &mut u64,
    household: bool,
) -> Result<Vec<DecidedAccount>, Error> {
    let stamp = as_of.format("%Y%m%d");
    let assessments = assess_all(&accounts, (as_of, config, holds), ledger)?;
    let mut envelopes: HashMap<String, String> = HashMap::new();
    Ok(accounts
        .into_iter()
        .zip(assessments)
        .map(|(account, assessment)| {
            let mut number = || {
                *next += 1;
                format!("K{stamp}-{:05}", *next - 1)
            };
            let piece = match assessment.decision {
                Decision::Letter { .. } if household => {
                    let key = crate::household::envelope_key(&account);
                    Some(envelopes.entry(key).or_insert_with(number).clone())
                }
                Decision::Letter { .. } => Some(number()),
                Decision::Hold { .. } => None,
            };
            DecidedAccount { account, assessment, piece }
        })
        .collect())
}

/// Each account's assessment by policy, in the accounts' order, with what
/// the ledger says was sent to it (if there is a ledger) and its row of the
/// hold list (if it has one): what every command that decides reads. A
/// letter whose recipient the vendor's upload would refuse or cut (`[vendor]
/// format` and `[vendor.limits]`) is held here, before it has a piece
/// number, so that `validate` and the proof hold it as the run does.
pub fn assess_all(
    accounts: &[Account],
    (as_of, config, holds): (NaiveDate, &Config, Option<&HoldList>),
    ledger: Option<&Ledger>,
) -> Result<Vec<Assessment>, LedgerError> {
    let mut histories = match ledger {
        Some(ledger) => ledger.histories(accounts.iter().map(|a| a.id.as_str()), as_of)?,
        None => Default::default(),
    };
    let (limits, vendor) = (config.vendor.field_limits(), config.vendor.format.title());
    let assessed = accounts.iter().map(|account| {
        let mut history = histories.remove(&account.id).unwrap_or_default();
        history.listed = holds.and_then(|h| h.get(&account.id, as_of)).cloned();
        let mut assessed = policy::assess(account, as_of, &config.policy, &history);
        if let Decision::Letter { .. } = assessed.decision
            && let Err(too_much) =
                crate::preflight::check_recipient(&limits, vendor, &account.guarantor)
        {
            assessed.decision = Decision::Hold {
                reasons: vec![HoldReason::VendorLimit { detail: too_much.detail }],
            };
        }
        assessed
    });
    Ok(assessed.collect())
}

/// How a run decides: its as-of date, policy, hold list, shard (if it is
/// one) and whether households share envelopes.
pub(super) type Deciding<'a> = (NaiveDate, &'a Config, Option<&'a HoldList>, Option<Shard>, bool);

/// A decided partition, as the deciding thread hands it over.
pub(super) struct DecidedPart {
    /// This run's (or shard's) accounts of the partition, in a work file.
    pub file: PathBuf,
    /// Letters to make from it.
    pub to_make: u64,
    /// Rows in the partition's accounts, whichever shard makes their letters.
    pub rows: u64,
    pub rejects: Vec<Issue>,
    pub warnings: Vec<Issue>,
    /// Accounts the hold list held, in every shard.
    pub listed: Vec<String>,
    /// Accounts the confidential-address file named, in every shard.
    pub readdressed: Vec<String>,
}

impl DecidedPart {
    /// The partition's accounts as decided, in account order.
    pub fn accounts(&self) -> Result<Vec<DecidedAccount>, Error> {
        let read =
            crate::jsonl::read(&self.file).map_err(|e| super::error::work_file(&self.file, e))?;
        let accounts = read
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| super::error::work_file(&self.file, e))?;
        let _ = std::fs::remove_file(&self.file);
        Ok(accounts)
    }
}

/// Starts deciding every partition in turn; the partitions come out of the
/// receiver in order. `planned` learns how many letters each adds.
pub(super) fn decide_ahead<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    export: &'scope Partitioned,
    (as_of, config, holds, shard, household): Deciding<'scope>,
    ledger: Option<Ledger>,
    scratch: &'scope Scratch,
    times: &'scope Times,
    planned: impl Fn(u64) + Send + 'scope,
) -> mpsc::Receiver<Result<DecidedPart, Error>> {
    let (send, decided) = mpsc::channel();
    scope.spawn(move || {
        let mut next = 1;
        for i in 0..export.count() {
            let started = Instant::now();
            let part = export.part(i).map_err(Error::from).and_then(|part| {
                let file = scratch.path(&format!("decided-{i}.jsonl"));
                decide_part(
                    part,
                    file,
                    (as_of, config, holds, shard, household),
                    ledger.as_ref(),
                    &mut next,
                )
            });
            times.add(&times.decide, started);
            if let Ok(part) = &part {
                planned(part.to_make);
            }
            if send.send(part).is_err() {
                break;
            }
        }
    });
    decided
}

fn decide_part(
    part: Part,
    file: PathBuf,
    (as_of, config, holds, shard, household): Deciding,
    ledger: Option<&Ledger>,
    next: &mut u64,
) -> Result<DecidedPart, Error> {
    let rows = part.accounts.iter().map(Account::rows).sum();
    let in_shard = |account: &Account| shard.is_none_or(|s| s.includes(&account.guarantor));
    let mut writer = std::io::BufWriter::new(
        std::fs::File::create(&file).map_err(|e| super::error::work_file(&file, e))?,
    );
    let mut to_make = 0;
    let mut last_piece = None;
    let decided = decide(part.accounts, (as_of, config, holds), ledger, next, household)?;
    let listed = decided
        .iter()
        .filter(|d| d.assessment.held_by_list())
        .map(|d| d.account.id.clone())
        .collect();
    let readdressed = decided
        .iter()
        .filter(|d| d.account.confidential.is_some())
        .map(|d| d.account.id.clone())
        .collect();
    for decided in decided.into_iter().filter(|d| in_shard(&d.account)) {
        // A household's accounts are neighbours, so a new piece id is a new letter.
        if let Some((_, piece)) = decided.letter()
            && last_piece.as_deref() != Some(piece)
        {
            to_make += 1;
            last_piece = Some(piece.to_string());
        }
        crate::jsonl::write(&mut writer, &decided)
            .map_err(|e| super::error::work_file(&file, e))?;
    }
    std::io::Write::flush(&mut writer).map_err(|e| super::error::work_file(&file, e))?;
    Ok(DecidedPart {
        file,
        to_make,
        rows,
        rejects: part.rejects,
        warnings: part.warnings,
        listed,
        readdressed,
    })
}
