//! Checks that catch a run that is wrong as a whole while every row reads
//! well: a date mistyped, or a mapping that took the wrong column. Each is
//! a warning with its likely fix, in `validate` (table and JSON) and in the
//! run's summary. They count what the run already counts; none reads the
//! export again.

use chrono::NaiveDate;
use serde::Serialize;

/// What the checks look at, counted over the whole export.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub as_of: Option<NaiveDate>,
    /// Data rows read.
    pub rows: u64,
    /// Rows rejected because their service is dated after the as-of date.
    pub after_as_of: u64,
    /// Rows whose balance column is not their charge less their credits.
    pub balance_differs: u64,
    /// Accounts read (an account none of whose rows could be read aside).
    pub accounts: u64,
    /// Accounts that owe nothing or are in credit.
    pub owing_nothing: u64,
    /// Accounts whose guarantor's "name" has more digits than letters.
    pub named_like_ids: u64,
    /// With `escalation = "by_age"` and a ledger that holds no earlier run:
    /// the letters past the reminder the run makes, each a patient's first
    /// letter from kindly.
    pub by_age_first_letters: Option<u64>,
}

impl Facts {
    /// One account: what it owes, in cents, and its guarantor's name.
    pub fn account(&mut self, balance_cents: i64, guarantor: &str) {
        self.accounts += 1;
        self.owing_nothing += u64::from(balance_cents <= 0);
        let (letters, digits) = guarantor.chars().fold((0, 0), |(l, d), c| {
            (l + usize::from(c.is_alphabetic()), d + usize::from(c.is_ascii_digit()))
        });
        self.named_like_ids += u64::from(letters < digits || letters == 0);
    }
}

/// One thing that looks wrong, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub code: &'static str,
    pub message: String,
}

/// Whether `part` is most of `whole`.
fn most(part: u64, whole: u64) -> bool {
    whole > 0 && part * 2 > whole
}

/// The checks' warnings, most likely cause first.
pub fn warnings(facts: &Facts) -> Vec<Warning> {
    let mut found = Vec::new();
    let mut warn = |code, message| found.push(Warning { code, message });
    if let Some(as_of) = facts.as_of
        && most(facts.after_as_of, facts.rows)
    {
        warn(
            "most_rows_after_as_of",
            format!(
                "{} of {} rows are dated after the as-of date {as_of} and were rejected: is --as-of right \
                 (YYYY-MM-DD)? If it is, the export's dates may be read the wrong way round (check date_formats)",
                facts.after_as_of, facts.rows
            ),
        );
    }
    if most(facts.owing_nothing, facts.accounts) {
        warn(
            "most_accounts_owe_nothing",
            format!(
                "{} of {} accounts owe nothing: check that the mapping reads the patient's balance (balance, or \
                 charge, payments and adjustments), not insurance's or an amount already paid",
                facts.owing_nothing, facts.accounts
            ),
        );
    }
    if most(facts.balance_differs, facts.rows) {
        warn(
            "balance_differs",
            format!(
                "in {} of {} rows the balance column is not the charge less payments and adjustments: one of \
                 those columns may be the wrong one (insurance's, say); warnings.csv lists the rows",
                facts.balance_differs, facts.rows
            ),
        );
    }
    if most(facts.named_like_ids, facts.accounts) {
        warn(
            "names_look_like_ids",
            format!(
                "{} of {} guarantors' names look like ids (more digits than letters): the guarantor column may be \
                 an id (PatientID, say); map the column with the responsible party's name",
                facts.named_like_ids, facts.accounts
            ),
        );
    }
    if let Some(letters) = facts.by_age_first_letters.filter(|n| *n > 0) {
        warn(
            "by_age_first_run",
            format!(
                "{letters} letters are plan offers, assistance letters or final notices, though the ledger \
                 holds no earlier run: the config chooses letters by the age of the debt alone (escalation = \
                 \"by_age\", the demo's setting), so patients never written to get a later letter first. A \
                 practice sends the reminder first: remove the escalation line (by_letters_sent is the \
                 default, and what kindly init writes), then run again with --overwrite"
            ),
        );
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_rows_after_the_as_of_date_is_a_warning_and_a_few_are_not() {
        let as_of = NaiveDate::from_ymd_opt(2026, 7, 12);
        let facts = |after_as_of| Facts { as_of, rows: 85, after_as_of, ..Facts::default() };
        let warned = warnings(&facts(51));
        assert_eq!(warned.len(), 1);
        assert!(
            warned[0]
                .message
                .starts_with("51 of 85 rows are dated after the as-of date 2026-07-12")
        );
        assert!(warnings(&facts(3)).is_empty());
        assert!(warnings(&Facts::default()).is_empty());
    }

    #[test]
    fn a_mapping_that_took_the_wrong_column_is_warned_of() {
        let mut facts = Facts { rows: 10, balance_differs: 6, ..Facts::default() };
        for (balance, name) in
            [(0, "Ann Lee"), (-300, "Bo Diaz"), (0, "1043"), (500, "P22031"), (0, "3301")]
        {
            facts.account(balance, name);
        }
        let codes: Vec<&str> = warnings(&facts).iter().map(|w| w.code).collect();
        assert_eq!(codes, ["most_accounts_owe_nothing", "balance_differs", "names_look_like_ids"]);
        let fine = Facts {
            rows: 10,
            balance_differs: 5,
            accounts: 4,
            owing_nothing: 2,
            named_like_ids: 2,
            ..Facts::default()
        };
        assert!(warnings(&fine).is_empty(), "half is not most");
    }

    #[test]
    fn a_first_run_by_age_that_skips_the_reminder_is_warned_of() {
        let facts = |n| Facts { by_age_first_letters: n, ..Facts::default() };
        let codes = |f| warnings(&f).iter().map(|w| w.code).collect::<Vec<_>>();
        assert_eq!(codes(facts(Some(12))), ["by_age_first_run"]);
        assert!(codes(facts(Some(0))).is_empty(), "reminders only");
        assert!(codes(facts(None)).is_empty(), "by letters sent, or a ledger with runs");
    }
}
