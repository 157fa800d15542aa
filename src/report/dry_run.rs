//! The report of a dry run (`kindly validate --report`), fed account by
//! account as policy decides them.

use super::counts::FolderCounts;
use super::page::{Heading, LetterPicture, render};
use crate::model::Issue;
use crate::money::Cents;
use crate::report::LookingBack;
use crate::run_folder::{Kind, RunRecord};

/// The report of a dry run (`kindly validate --report`): the same sections
/// as a run's, from the accounts as policy decides them, one letter per
/// account (households are not put together), and pictures of sample
/// letters; no pages, sheets or postage, which are known once letters are
/// made.
#[derive(Default)]
pub struct DryRun {
    tally: FolderCounts,
    pictures: Vec<LetterPicture>,
}

impl DryRun {
    /// An account policy decided: its letter's kind if it gets one, else
    /// its hold's reason code; its balance and days past due.
    pub fn account(&mut self, decided: Result<&Kind, &str>, balance: Cents, days_past_due: i64) {
        match decided {
            Ok(kind) => {
                *self.tally.letters.entry((kind.stage, kind.language.clone())).or_default() += 1;
                self.tally.account(Some(kind.stage), balance, days_past_due);
            }
            Err(code) => {
                self.tally.account(None, balance, days_past_due);
                self.tally.hold(code.to_string(), balance);
            }
        }
    }

    /// The export's rejected rows and warnings.
    pub fn issues(&mut self, rejects: Vec<Issue>, warnings: Vec<Issue>) {
        self.tally.issues(rejects, warnings);
    }

    /// A sample letter's first page, of `kind`, for `account`.
    pub fn picture(&mut self, kind: Kind, account: &str, png: Vec<u8>) {
        self.pictures.push(LetterPicture {
            kind,
            name: format!("account {account}"),
            link: None,
            png,
        });
    }

    /// The report; `record` gives its identity and counts (of accounts,
    /// letters, holds and rejected rows).
    /// The report, with what earlier letters led to where the ledger has
    /// letters with an outcome.
    pub fn write(self, record: &RunRecord, looking_back: Option<&LookingBack>) -> Vec<u8> {
        render(record, &self.tally, &self.pictures, Heading::DryRun(looking_back)).into_bytes()
    }
}
