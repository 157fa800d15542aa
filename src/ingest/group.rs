//! Rows grouped into accounts, with what only shows across an account's
//! rows: exact duplicates and rows that disagree.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;

use crate::confidential::ConfidentialList;
use crate::config::{DuplicateRows, Input};
use crate::model::{Account, Aged, Guarantor, Issue, IssueKind, Line};
use crate::money::Cents;

use super::cells::Problems;
use super::columns::Parsed;
use super::scan::RowEvent;

/// Groups rows into accounts in file order, and catches what can only be
/// seen across an account's rows: exact duplicates and rows that disagree.
#[derive(Default)]
pub(super) struct Grouper {
    pub(super) accounts: BTreeMap<String, Account>,
    pub(super) rejected_by_account: BTreeMap<String, Vec<Line>>,
    /// Hashes of rows already read, to catch exact duplicates without
    /// keeping the rows themselves.
    pub(super) seen: std::collections::HashMap<u64, Line>,
    pub(super) rejects: Vec<Issue>,
    pub(super) warnings: Vec<Issue>,
    /// `[input] duplicate_rows = "keep"`.
    pub(super) keep_duplicates: bool,
    /// The confidential-address file, if there is one.
    confidential: Option<Arc<ConfidentialList>>,
    /// The as-of date, which says which of the file's requests are in force.
    as_of: NaiveDate,
    /// The confidential address each account's rows give (first row that
    /// gives one), with its line.
    from_export: BTreeMap<String, (Line, Guarantor)>,
}

impl Grouper {
    pub(super) fn new(input: &Input, as_of: NaiveDate) -> Grouper {
        Grouper {
            keep_duplicates: input.duplicate_rows == DuplicateRows::Keep,
            confidential: input.confidential.clone(),
            as_of,
            ..Grouper::default()
        }
    }

    /// Adds a row to its account: rejected, refused beside the account's
    /// other rows, or counted (with what is worth a warning about it).
    pub(super) fn add(&mut self, file: &str, event: RowEvent) {
        let (line, hash, parsed) = match event {
            RowEvent::Rejected { mut issue, account } => {
                if let Some(id) = account {
                    self.rejected_by_account.entry(id.clone()).or_default().push(issue.line);
                    issue.account = id;
                }
                self.rejects.push(issue);
                return;
            }
            RowEvent::Parsed { line, hash, parsed } => (line, hash, parsed),
        };
        let repeats = match self.refusal(hash, &parsed) {
            Ok(repeats) => repeats,
            Err(refused) => return self.reject_row(file, line, &parsed.account, refused),
        };
        self.seen.insert(hash, line);
        self.warn_of(file, line, repeats, &parsed);
        if let Some(requested) = &parsed.confidential {
            self.from_export.entry(parsed.account.clone()).or_insert((line, requested.clone()));
        }
        self.fold_in(*parsed);
    }

    /// Why a row cannot be counted beside the account's rows read so far
    /// (an exact repeat, a second good-faith estimate), or else the line it
    /// repeats, if it does and duplicates are kept.
    fn refusal(
        &self,
        hash: u64,
        parsed: &Parsed,
    ) -> Result<Option<Line>, (IssueKind, String, String)> {
        let repeats = self.seen.get(&hash).copied();
        if let Some(earlier) = repeats.filter(|_| !self.keep_duplicates) {
            let reason = format!(
                "the row repeats line {earlier} exactly, so it is not counted, and its account is held until the \
                 export is checked. If the export lists one charge twice on purpose (two identical vaccines on a \
                 day), set duplicate_rows = \"keep\" in the mapping; an export with a transaction or line number \
                 column never repeats a row"
            );
            return Err((IssueKind::DuplicateRow, String::new(), reason));
        }
        let known_estimate = self.accounts.get(&parsed.account).and_then(|a| a.good_faith_estimate);
        if let (Some(known), Some(estimate)) = (known_estimate, parsed.estimate)
            && known != estimate
        {
            let reason = format!(
                "the good-faith estimate differs from the {known} on an earlier row of the account; it has one"
            );
            return Err((IssueKind::EstimateDiffers, estimate.to_string(), reason));
        }
        if let (Some((first, known)), Some(requested)) =
            (self.from_export.get(&parsed.account), &parsed.confidential)
            && known != requested
        {
            let reason = format!(
                "the confidential address differs from the one on line {first} of the account; a letter is not \
                 mailed on a guess between two"
            );
            return Err((IssueKind::ConfidentialAddress, requested.address.one_line(), reason));
        }
        Ok(repeats)
    }

    /// The row's warnings: what differs from the account's first row, what
    /// reading it mended, a repeat kept, a credit on the service.
    fn warn_of(&mut self, file: &str, line: Line, repeats: Option<Line>, parsed: &Parsed) {
        let warn = |kind, value: String, reason: String| Issue {
            file: file.to_string(),
            line,
            account: parsed.account.clone(),
            kind,
            column: String::new(),
            value,
            reason,
        };
        if let Some(account) = self.accounts.get(&parsed.account) {
            let first = account.charges.first().map_or(line, |c| c.line);
            if account.guarantor.name != parsed.guarantor.name {
                self.warnings.push(warn(
                    IssueKind::GuarantorDiffers,
                    parsed.guarantor.name.clone(),
                    format!("the guarantor differs from line {first}'s; the letter goes to line {first}'s"),
                ));
            } else if account.guarantor.address != parsed.guarantor.address {
                self.warnings.push(warn(
                    IssueKind::AddressDiffers,
                    parsed.guarantor.address.street.join(", "),
                    format!(
                        "the address differs from line {first}'s; the letter goes to line {first}'s"
                    ),
                ));
            }
        }
        let account = &parsed.account;
        self.warnings.extend(
            parsed
                .warnings
                .iter()
                .cloned()
                .map(|n| Issue { account: account.clone(), ..n.issue(file, line) }),
        );
        if let Some(earlier) = repeats {
            self.warnings.push(warn(
                IssueKind::DuplicateKept,
                String::new(),
                format!(
                    "the row repeats line {earlier} exactly and is counted as a charge of its own (duplicate_rows = \
                     \"keep\")"
                ),
            ));
        }
        // A row's credit on a service is worth a word; what insurance is
        // expected to pay of an aging report's amounts is not.
        let owed: Cents = parsed
            .charges
            .iter()
            .filter(|c| c.aged != Some(Aged::InsuranceShare))
            .map(|c| c.balance)
            .sum();
        if owed.0 < 0 {
            let (column, written) = parsed.owed_written.clone();
            self.warnings.push(Issue {
                column,
                ..warn(
                    IssueKind::CreditOnService,
                    written,
                    format!(
                        "a credit of {} on this service; it reduces what the account owes",
                        -owed
                    ),
                )
            });
        }
    }

    /// The row's charges, codes, flags and the rest, into its account.
    fn fold_in(&mut self, parsed: Parsed) {
        let account = self.accounts.entry(parsed.account.clone()).or_insert_with(|| {
            let (guarantor, patient) = (parsed.guarantor.clone(), parsed.patient.clone());
            Account::new(parsed.account.clone(), guarantor, patient, parsed.language.clone())
        });
        for code in parsed.codes {
            if !account
                .codes
                .iter()
                .any(|c| c.code.eq_ignore_ascii_case(&code.code) && c.column == code.column)
            {
                account.codes.push(code);
            }
        }
        // A flag set on any of the account's rows applies to the account.
        account.flags.insurance_pending |= parsed.flags.insurance_pending;
        account.flags.dispute |= parsed.flags.dispute;
        account.flags.do_not_mail |= parsed.flags.do_not_mail;
        account.flags.large_print |= parsed.flags.large_print;
        account.reversals.extend(parsed.reversals);
        account.good_faith_estimate = account.good_faith_estimate.or(parsed.estimate);
        account.last_payment = account.last_payment.max(parsed.last_payment);
        account.charges.extend(parsed.charges);
    }

    /// Rejects a row that was read but cannot be used beside its account's
    /// other rows; the account is then held.
    pub(super) fn reject_row(
        &mut self,
        file: &str,
        line: Line,
        account: &str,
        (kind, value, reason): (IssueKind, String, String),
    ) {
        let mut problems = Problems::default();
        problems.add(kind, "", &value, reason);
        self.rejected_by_account.entry(account.to_string()).or_default().push(line);
        self.rejects
            .push(Issue { account: account.to_string(), ..problems.into_reject(file, line) });
    }

    /// Accounts in account-number order, rejects and warnings in file order.
    /// An account none of whose rows could be read is an account still:
    /// with no charges and its rejected lines, so that policy holds it and
    /// audit.csv, holds.csv and the ledger have it, instead of losing it.
    /// Accounts with a confidential address (the file's, or their rows'
    /// own) are readdressed here.
    pub(super) fn finish(mut self) -> (Vec<Account>, Vec<Issue>, Vec<Issue>) {
        for (id, lines) in std::mem::take(&mut self.rejected_by_account) {
            let account = self.accounts.entry(id.clone()).or_insert_with(|| Account::unread(id));
            account.rejected_lines = lines;
        }
        let mut accounts: Vec<Account> = self.accounts.into_values().collect();
        let file = (self.confidential.as_deref(), self.as_of);
        super::readdress::readdress(&mut accounts, file, &mut self.from_export);
        (accounts, self.rejects, self.warnings)
    }
}
