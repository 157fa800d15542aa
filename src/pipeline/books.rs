//! The run's books: where every account and every row ended (a letter, a
//! hold with its reason, a reject), the manifest written as letters are made,
//! and audit.csv, holds.csv, rejects.csv and warnings.csv written at the end,
//! with the check that every row of the export is counted exactly once.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::decide::{DecidedAccount, DecidedPart};
use super::error::work_file;
use super::letters::{Made, Piece};
use super::{Bug, Error};
use crate::config::{Policy, Postage};
use crate::model::Issue;
use crate::policy::{Decision, HoldReason};
use crate::run_folder::{
    AuditDecision, AuditRow, Counts, HoldRow, REJECTS_CSV, Records, Staging, WARNINGS_CSV,
    issues_csv,
};
use crate::shard::Shard;

/// One account's rows of audit.csv and holds.csv, as kept on disk between
/// making the letters (partition by partition) and writing those files (in
/// account order).
#[derive(Serialize, Deserialize)]
struct Entry {
    audit: AuditRow,
    hold: Option<HoldRow>,
}

pub(super) struct Books {
    pub counts: Counts,
    rejects: Vec<Issue>,
    warnings: Vec<Issue>,
    /// Rows in the accounts of every partition taken, whichever shard makes
    /// their letters.
    rows_in_accounts: u64,
    records: Records,
    /// Each partition's audit and hold rows, in account order within it.
    entries: Vec<PathBuf>,
    postage: Postage,
    /// Accounts the hold list held, in every shard.
    pub held_by_list: BTreeSet<String>,
    /// Accounts the confidential-address file named, in every shard.
    pub readdressed: BTreeSet<String>,
    /// Piece ids numbered for a letter that preflight then held: the
    /// manifest's numbers skip them.
    pub pieces_not_made: BTreeSet<String>,
    /// What the checks on the run as a whole count, account by account.
    pub facts: crate::sanity::Facts,
}

impl Books {
    /// Books for a run whose export had `loose` rejects: rows whose account
    /// could not be read, so in no partition.
    pub fn open(staging: &Staging, loose: Vec<Issue>, postage: Postage) -> Result<Books, Error> {
        Ok(Books {
            counts: Counts::default(),
            rejects: loose,
            warnings: Vec::new(),
            rows_in_accounts: 0,
            records: Records::create(staging)?,
            entries: Vec::new(),
            postage,
            held_by_list: BTreeSet::new(),
            readdressed: BTreeSet::new(),
            pieces_not_made: BTreeSet::new(),
            facts: crate::sanity::Facts::default(),
        })
    }

    /// How many rows were rejected for `kind`, so far.
    pub fn rejected(&self, kind: crate::model::IssueKind) -> u64 {
        self.rejects.iter().filter(|i| i.kind == kind).count() as u64
    }

    /// How many warnings of `kind` there are, so far.
    pub fn warned(&self, kind: crate::model::IssueKind) -> u64 {
        self.warnings.iter().filter(|i| i.kind == kind).count() as u64
    }

    /// Takes a decided partition's rows and issues.
    pub fn take(&mut self, part: &mut DecidedPart) {
        self.rows_in_accounts += part.rows;
        self.rejects.append(&mut part.rejects);
        self.warnings.append(&mut part.warnings);
        self.held_by_list.extend(part.listed.drain(..));
        self.readdressed.extend(part.readdressed.drain(..));
    }

    /// Settles a partition's accounts, in piece order: each with its
    /// letter as made, or none if policy held it. Manifest rows are written
    /// now, in piece order; audit and hold rows go to the work file
    /// `entries` in account order, to be merged at the end.
    pub fn settle(
        &mut self,
        accounts: Vec<DecidedAccount>,
        made: Vec<Option<Made>>,
        policy: &Policy,
        entries: &Path,
    ) -> Result<(), Error> {
        let mut file = std::io::BufWriter::new(
            std::fs::File::create(entries).map_err(|e| work_file(entries, e))?,
        );
        let mut last_piece = String::new();
        let mut settled = Vec::with_capacity(accounts.len());
        for (decided, made) in accounts.into_iter().zip(made) {
            // A household's accounts share one piece: it is listed and
            // counted with the first of them.
            let first = match &made {
                Some(Ok(piece)) if piece.row.piece_id != last_piece => {
                    last_piece.clone_from(&piece.row.piece_id);
                    true
                }
                _ => false,
            };
            settled.push(self.settle_one(decided, made, first, policy)?);
        }
        // In account order for audit.csv, whatever order the pieces are in.
        settled.sort_by(|a, b| a.audit.account.cmp(&b.audit.account));
        for entry in &settled {
            crate::jsonl::write(&mut file, entry).map_err(|e| work_file(entries, e))?;
        }
        file.flush().map_err(|e| work_file(entries, e))?;
        self.entries.push(entries.to_path_buf());
        Ok(())
    }

    /// One account; `first` when it is the first account of its piece.
    fn settle_one(
        &mut self,
        decided: DecidedAccount,
        made: Option<Made>,
        first: bool,
        policy: &Policy,
    ) -> Result<Entry, Error> {
        let DecidedAccount { account, assessment, piece } = decided;
        if !account.unread_whole() {
            self.facts.account(assessment.balance.0, &account.guarantor.name);
        }
        let lines = account.lines().iter().map(|l| l.to_string()).collect::<Vec<_>>().join(" ");
        let rows = account.rows();
        let audit = |decision, reason| AuditRow {
            account: account.id.clone(),
            guarantor: account.guarantor.name.clone(),
            decision,
            stage: None,
            piece_id: String::new(),
            balance: assessment.balance.to_string(),
            oldest_unpaid_service: assessment
                .oldest_unpaid
                .map(|d| d.to_string())
                .unwrap_or_default(),
            days_past_due: assessment.days_past_due,
            preferred_language: account.language.clone(),
            letter_language: String::new(),
            variant: None,
            reason,
            input_lines: lines.clone(),
            last_payment: account.last_payment.map(|d| d.to_string()).unwrap_or_default(),
            wording: String::new(),
            mailed_to: account.confidential.map(|c| c.to_string()).unwrap_or_default(),
        };
        let hold = |code: &str, reason: String| {
            let row = HoldRow {
                account: account.id.clone(),
                guarantor: account.guarantor.name.clone(),
                balance: assessment.balance.to_string(),
                reason_code: code.to_string(),
                reason: reason.clone(),
                input_lines: lines.clone(),
            };
            Entry { audit: audit(AuditDecision::Hold, reason), hold: Some(row) }
        };
        let entry = match (&assessment.decision, made) {
            (Decision::Letter { stage }, Some(Ok(Piece { row, .. }))) => {
                self.counts.in_letter(rows);
                self.counts.to_confidential += u64::from(account.confidential_address());
                if first {
                    self.counts.letter(&row, &self.postage);
                    self.records.manifest(&row)?;
                }
                let audit = AuditRow {
                    stage: Some(*stage),
                    piece_id: row.piece_id.clone(),
                    letter_language: row.language.clone(),
                    variant: Some(row.variant),
                    wording: row.wording.clone(),
                    ..audit(AuditDecision::Letter, assessment.explain(policy))
                };
                Entry { audit, hold: None }
            }
            (Decision::Letter { .. }, Some(Err(unmade))) => {
                self.pieces_not_made.extend(piece);
                self.counts.hold(unmade.code(), rows);
                hold(unmade.code(), unmade.to_string())
            }
            (Decision::Hold { reasons }, _) => {
                let code = reasons.first().map_or("", HoldReason::code);
                self.counts.hold(code, rows);
                hold(code, assessment.explain(policy))
            }
            (Decision::Letter { .. }, None) => {
                return Err(Bug::NoOutcome(account.id.clone()).into());
            }
        };
        Ok(entry)
    }

    /// Checks that every row of the export is counted once, and writes
    /// audit.csv, holds.csv, rejects.csv and warnings.csv. A shard reports
    /// rejects and warnings only if it is the shard that reports rows.
    pub fn close(
        mut self,
        export_rows: u64,
        shard: Option<Shard>,
        staging: &mut Staging,
    ) -> Result<Counts, Error> {
        if self.rows_in_accounts + self.rejects.len() as u64 != export_rows {
            return Err(Error::from(Bug::RowsLost {
                read: export_rows,
                in_accounts: self.rows_in_accounts,
                rejected: self.rejects.len() as u64,
            }));
        }
        self.rejects.sort_by_key(|i| i.line);
        self.warnings.sort_by_key(|i| i.line);
        if !shard.is_none_or(Shard::reports_rows) {
            self.rejects.clear();
            self.warnings.clear();
        }
        let rows = &mut self.counts.rows;
        rows.rejected = self.rejects.len() as u64;
        rows.warned = self.warnings.iter().map(|w| w.line).collect::<BTreeSet<_>>().len() as u64;
        rows.input = match shard {
            None => export_rows,
            Some(_) => rows.in_letters + rows.in_holds + rows.rejected,
        };
        if !rows.add_up() {
            return Err(Bug::RowsDoNotAddUp(rows.clone()).into());
        }
        let entries =
            self.entries.iter().map(|path| read_entries(path)).collect::<Result<Vec<_>, _>>()?;
        for entry in crate::sorted::merge(entries, |e: &Entry| e.audit.account.clone()) {
            let entry = entry?;
            self.records.audit(&entry.audit)?;
            if let Some(row) = &entry.hold {
                self.records.hold(row)?;
            }
        }
        self.records.finish(staging)?;
        staging.write(REJECTS_CSV, &issues_csv(&self.rejects))?;
        staging.write(WARNINGS_CSV, &issues_csv(&self.warnings))?;
        Ok(self.counts)
    }
}

/// A partition's work file, entry by entry.
fn read_entries(path: &Path) -> Result<impl Iterator<Item = Result<Entry, Error>> + use<>, Error> {
    let path = path.to_path_buf();
    let entries = crate::jsonl::read(&path).map_err(|e| work_file(&path, e))?;
    Ok(entries.map(move |entry| entry.map_err(|e| work_file(&path, e))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::decide::decide;
    use crate::pipeline::letters::Unmade;
    use crate::policy::Stage;

    fn account(id: &str, cents: i64) -> crate::model::Account {
        let mut account = crate::synth::sample_account();
        account.id = id.into();
        account.charges.truncate(1);
        account.charges[0].balance = crate::money::Cents(cents);
        account
    }

    fn made(decided: &DecidedAccount) -> crate::run_folder::ManifestRow {
        let (stage, piece) = decided.letter().unwrap();
        crate::run_folder::ManifestRow {
            piece_id: piece.into(),
            file: format!("letters/{piece}.pdf"),
            first_page: 1,
            last_page: 3,
            pages: 3,
            sheets: 2,
            duplex: true,
            envelope: "#10".into(),
            mail_class: "First-Class".into(),
            recipient_name: decided.account.guarantor.name.clone(),
            address_line_1: "1 Main St".into(),
            address_line_2: String::new(),
            city: "Eugene".into(),
            state: "OR".into(),
            zip: "97401".into(),
            language: "en".into(),
            variant: crate::run_folder::Variant::Standard,
            stage,
            sha256: String::new(),
            print_file: String::new(),
            print_first_page: None,
            print_last_page: None,
            wording: String::new(),
            notice: Default::default(),
        }
    }

    #[test]
    fn every_account_and_row_ends_in_one_place() {
        let dir = std::env::temp_dir().join(format!("kindly-books-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut staging = Staging::create(&dir.join("run"), false).unwrap();
        let reject = Issue {
            file: "e.csv".into(),
            line: 9,
            account: String::new(),
            kind: crate::model::IssueKind::BadDate,
            column: "Service Date".into(),
            value: "x".into(),
            reason: "not a date".into(),
        };
        let mut books = Books::open(&staging, vec![reject], Postage::default()).unwrap();
        let mut config: crate::config::Config =
            toml::from_str(&std::fs::read_to_string("sample-data/kindly.toml").unwrap()).unwrap();
        config.policy =
            Policy { escalation: crate::config::Escalation::ByAge, ..Policy::default() };
        let policy = config.policy.clone();
        let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let accounts = decide(
            vec![account("A1", 5000), account("A2", 200), account("A3", 9000)],
            (as_of, &config, None),
            None,
            &mut 1,
            false,
        )
        .unwrap();
        let outcomes = vec![
            Some(Ok(Piece { row: made(&accounts[0]), pages: None, picture: None })),
            None,
            Some(Err(Unmade::Preflight { rule: "window".into(), detail: "too long".into() })),
        ];
        let mut part = DecidedPart {
            file: dir.join("p"),
            to_make: 2,
            rows: 3,
            rejects: vec![],
            warnings: vec![],
            listed: vec![],
            readdressed: vec![],
        };
        books.take(&mut part);
        books.settle(accounts, outcomes, &policy, &dir.join("entries.jsonl")).unwrap();
        let counts = books.close(4, None, &mut staging).unwrap();
        assert_eq!((counts.accounts, counts.letters, counts.holds), (3, 1, 2));
        assert_eq!(
            (counts.rows.input, counts.rows.in_letters, counts.rows.in_holds, counts.rows.rejected),
            (4, 1, 2, 1)
        );
        assert_eq!((counts.pages, counts.sheets, counts.envelopes), (3, 2, 1));
        assert_eq!(counts.estimated_postage, Postage::default().of(2));
        assert_eq!(counts.by.letters_by_stage[Stage::FinalNotice.id()], 1);
        assert_eq!(counts.by.holds_by_reason["under_minimum"], 1);
        assert_eq!(counts.by.holds_by_reason["preflight"], 1);
    }

    #[test]
    fn a_row_counted_nowhere_stops_the_run() {
        let dir = std::env::temp_dir().join(format!("kindly-books-lost-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut staging = Staging::create(&dir.join("run"), false).unwrap();
        let books = Books::open(&staging, vec![], Postage::default()).unwrap();
        let err = books.close(1, None, &mut staging).unwrap_err();
        assert!(
            matches!(err, Error::Bug(Bug::RowsLost { read: 1, in_accounts: 0, rejected: 0 })),
            "{err}"
        );
    }
}
