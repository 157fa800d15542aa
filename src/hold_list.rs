//! The hold list: accounts the practice holds by hand for a run, when its
//! billing system's export cannot say so yet: a dispute phoned in after the
//! export was made, a payment posted since, a payment plan agreed at the
//! front desk. Staff keep it as a spreadsheet saved as CSV and pass it with
//! `--holds FILE`; the run records its SHA-256 beside the export's.
//!
//! Columns (header names in any case): `account`, `reason` (a hold meaning
//! such as `dispute` or `payment_posted`), and optionally `until` (the last
//! as-of date the hold applies to) and `note` (why, in staff's words). A row
//! kindly cannot read stops the run, naming its line, column and value: a
//! hold that silently did not apply would mail the letter it was meant to
//! stop.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::config::CodeMeaning;
use crate::decode::{StaffFileError, StaffTable, TableProblem};

/// One account's row of the hold list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    pub meaning: CodeMeaning,
    /// Its line in the hold list, for the hold's reason.
    pub line: u64,
    /// The last as-of date it holds; none: every run it is given to.
    pub until: Option<NaiveDate>,
    pub note: String,
}

impl Listed {
    /// Whether it holds for a run as of `as_of`.
    fn in_force(&self, as_of: NaiveDate) -> bool {
        self.until.is_none_or(|until| as_of <= until)
    }
}

/// A hold list as read: its file, SHA-256 and rows by account.
#[derive(Debug, Clone)]
pub struct HoldList {
    pub file: PathBuf,
    pub sha256: String,
    rows: BTreeMap<String, Listed>,
}

/// A row of the hold list that held nothing in a run: its account is not in
/// the export, or its hold `ended` (the row's `until` date is before the
/// run's as-of date).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotHeld {
    pub account: String,
    pub line: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<NaiveDate>,
}

impl NotHeld {
    /// Why the row held nothing, in a few words.
    pub fn why(&self) -> String {
        match self.ended {
            Some(until) => format!("its hold ended on {until}"),
            None => "not in the export".to_string(),
        }
    }
}

/// The rows that held nothing by why, each group with what staff should do
/// about it (for the run's summary and `validate`): accounts not in the
/// export first, then holds that ended. Empty groups are left out.
pub fn not_held_groups(rows: &[NotHeld]) -> Vec<(&'static str, Vec<&NotHeld>)> {
    let (ended, missing): (Vec<&NotHeld>, Vec<&NotHeld>) =
        rows.iter().partition(|r| r.ended.is_some());
    [
        (
            "the hold list names accounts that are not in the export, so it holds nothing for them; check their \
             account numbers",
            missing,
        ),
        (
            "holds on the hold list that ended before this run hold nothing (their accounts are mailed again if \
             due); take the rows off the list or change their until date",
            ended,
        ),
    ]
    .into_iter()
    .filter(|(_, rows)| !rows.is_empty())
    .collect()
}

impl std::fmt::Display for NotHeld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.ended {
            Some(until) => write!(f, "{} (line {}, until {until})", self.account, self.line),
            None => write!(f, "{} (line {})", self.account, self.line),
        }
    }
}

impl HoldList {
    /// Reads a hold list. Spreadsheets save CSV as UTF-8 (with or without a
    /// byte-order mark) or as Windows-1252 ("ANSI"); a field that is not
    /// UTF-8 is read as Windows-1252.
    pub fn read(path: &Path) -> Result<HoldList, StaffFileError> {
        let (rows, bytes) = crate::decode::read_file(path, "the hold list", rows)?;
        Ok(HoldList { file: path.to_path_buf(), sha256: crate::digest::sha256(&bytes), rows })
    }

    /// The hold on `account` for a run as of `as_of`, if there is one.
    pub fn get(&self, account: &str, as_of: NaiveDate) -> Option<&Listed> {
        self.rows.get(account).filter(|l| l.in_force(as_of))
    }

    /// The rows that held nothing in a run as of `as_of`, in which this list
    /// held the accounts `held`: rows in force whose account is not among
    /// them (a mistyped account number), and rows past their `until` date
    /// (whose accounts are mailed again if due). A run names both, so a
    /// list never stops doing its work unnoticed.
    pub fn not_held(&self, held: &BTreeSet<String>, as_of: NaiveDate) -> Vec<NotHeld> {
        self.rows
            .iter()
            .filter(|(account, listed)| !listed.in_force(as_of) || !held.contains(*account))
            .map(|(account, listed)| NotHeld {
                account: account.clone(),
                line: listed.line,
                ended: listed.until.filter(|_| !listed.in_force(as_of)),
            })
            .collect()
    }
}

/// The hold list's rows by account.
fn rows(table: &StaffTable) -> Result<BTreeMap<String, Listed>, TableProblem> {
    const HEADER: &str = "account,reason,until,note";
    let account =
        table.require(&["account", "account_id", "account number"], "the hold list", HEADER)?;
    let reason = table.require(&["reason", "hold"], "the hold list", HEADER)?;
    let (until, note) = (table.column(&["until"]), table.column(&["note", "notes"]));
    let mut rows: BTreeMap<String, Listed> = BTreeMap::new();
    for row in &table.rows {
        let id = row.get(Some(&account));
        if id.is_empty() {
            return Err(row.problem(&account, "no account number"));
        }
        let why = row.get(Some(&reason));
        let meaning = meaning(why).ok_or_else(|| {
            let known: Vec<&str> = reasons().map(CodeMeaning::code).collect();
            row.problem(&reason, format!("is not a hold reason; use one of {}", known.join(", ")))
        })?;
        let until = row.optional(until.as_ref(), crate::dates::parse, crate::dates::FORMS)?;
        if let Some(first) = rows.get(id) {
            let reason = format!(
                "account {id} is already on line {}; give each account one row",
                first.line
            );
            return Err(row.problem(&account, reason));
        }
        let note = row.get(note.as_ref()).to_string();
        rows.insert(id.to_string(), Listed { meaning, line: row.line, until, note });
    }
    Ok(rows)
}

/// A hold meaning as staff write it: its code (`payment_posted`), in any
/// case, with spaces or hyphens for the underscores. `none` holds nothing,
/// so it is not a reason.
fn meaning(text: &str) -> Option<CodeMeaning> {
    let wanted = text.to_lowercase().replace([' ', '-'], "_");
    reasons().find(|m| m.code() == wanted)
}

/// The meanings a row may give: every one that holds.
fn reasons() -> impl Iterator<Item = CodeMeaning> {
    CodeMeaning::ALL.into_iter().filter(|m| *m != CodeMeaning::None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &[u8]) -> Result<HoldList, StaffFileError> {
        crate::decode::read_as_file("holds.csv", text, HoldList::read)
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn rows_are_read_as_spreadsheets_save_them() {
        let list = read(
            b"\xEF\xBB\xBFAccount,Reason,Until,Note\r\n\
              1000012,Dispute,,Called 11/28 about the lab bill\r\n\
              1000019,payment posted,12/31/2026,Paid $120 at the desk\r\n\
              ,,,\r\n\
              1000023,PAYMENT_PLAN,2026-11-29,Caf\xE9 owner\r\n",
        )
        .unwrap();
        let as_of = day("2026-11-30");
        let dispute = list.get("1000012", as_of).unwrap();
        assert_eq!((dispute.meaning, dispute.line, dispute.until), (CodeMeaning::Dispute, 2, None));
        assert_eq!(dispute.note, "Called 11/28 about the lab bill");
        let posted = list.get("1000019", as_of).unwrap();
        assert_eq!(
            (posted.meaning, posted.until),
            (CodeMeaning::PaymentPosted, Some(day("2026-12-31")))
        );
        assert_eq!(list.get("1000019", day("2027-01-01")), None, "past its until date");
        assert_eq!(list.get("1000023", as_of), None, "until the day before this run");
        assert_eq!(list.get("1000023", day("2026-11-29")).unwrap().note, "Café owner");
        let held = BTreeSet::from(["1000012".to_string()]);
        let not_held = list.not_held(&held, as_of);
        assert_eq!(
            not_held,
            [
                NotHeld { account: "1000019".into(), line: 3, ended: None },
                NotHeld { account: "1000023".into(), line: 5, ended: Some(day("2026-11-29")) }
            ],
            "in force and not held; past its until date"
        );
        assert_eq!(not_held[1].to_string(), "1000023 (line 5, until 2026-11-29)");
    }

    #[test]
    fn a_list_saved_with_semicolons_is_read_alike() {
        let list = read(
            b"Account;Reason;Until;Note\r\n1000012;Dispute;31/12/2026;\r\n1000019;payment_plan;;Plan, $50 a month\r\n",
        );
        let error = list.unwrap_err().to_string();
        assert!(error.contains("holds.csv:2: column \"until\", value \"31/12/2026\""), "{error}");
        let list = read(b"Account;Reason;Note\n1000019;payment_plan;Plan, $50 a month\n").unwrap();
        let plan = list.get("1000019", day("2026-11-30")).unwrap();
        assert_eq!(
            (plan.meaning, plan.line, plan.note.as_str()),
            (CodeMeaning::PaymentPlan, 2, "Plan, $50 a month")
        );
    }

    #[test]
    fn a_row_that_cannot_be_read_names_its_line_column_and_value() {
        let cases: [(&[u8], &str); 5] = [
            (
                b"acct,reason\n1,dispute\n",
                "holds.csv:1: column \"account\", value \"\": the hold list has no account column; its first line names the columns, separated by commas",
            ),
            (
                b"account,reason\n1,dispute\n2,on vacation\n",
                "holds.csv:3: column \"reason\", value \"on vacation\": is not a hold reason; use one of bankruptcy,",
            ),
            (
                b"account,reason\n1,none\n",
                "holds.csv:2: column \"reason\", value \"none\": is not a hold reason",
            ),
            (
                b"account,reason,until\n1,dispute,31/12/2026\n",
                "holds.csv:2: column \"until\", value \"31/12/2026\": is not a date",
            ),
            (
                b"account,reason\n1,dispute\n1,payment_plan\n",
                "holds.csv:3: column \"account\", value \"1\": account 1 is already on line 2",
            ),
        ];
        for (text, expected) in cases {
            let message = read(text).unwrap_err().to_string();
            assert!(message.contains(expected), "{message:?} should contain {expected:?}");
        }
        let missing = HoldList::read(Path::new("/nonexistent/holds.csv")).unwrap_err().to_string();
        assert!(
            missing.starts_with("cannot read the hold list /nonexistent/holds.csv: "),
            "{missing}"
        );
    }
}
