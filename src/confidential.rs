//! Confidential addresses: patients who asked that their mail go somewhere
//! other than the billing system's address for them. HIPAA's right to
//! request confidential communications (45 CFR 164.522(b)) says a provider
//! must accommodate a reasonable request to receive communications at an
//! alternative address, and may not ask why: an adult child on a parent's
//! account, a patient leaving an abusive home. Staff keep the requests as a
//! spreadsheet saved as CSV and pass it with `--confidential FILE`; the run
//! records its SHA-256 beside the export's.
//!
//! Columns (header names in any case): `account`; the address as the
//! patient gave it, `address1`, optionally `address2`, `city`, `state`,
//! `zip`; optionally `name` (how the patient asked to be addressed; else
//! the account's patient, else its guarantor), `until` (the last as-of
//! date the request applies to: when the patient withdraws it) and `note`
//! (staff's own, which kindly does not read). An account on it is mailed
//! only at that address and never shares an envelope. A row kindly cannot
//! read stops the run, naming its line, column and value: an address that
//! silently did not apply would send the letter where the patient asked it
//! not to go.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::decode::{StaffFileError, StaffRow, StaffTable, TableProblem};

/// The columns a confidential-address file has, for messages.
const HEADER: &str = "account,name,address1,address2,city,state,zip,until,note";

/// One account's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requested {
    /// Its line in the file.
    pub line: u64,
    /// How the patient asked to be addressed; empty: the account's patient
    /// (or guarantor) as the export names them.
    pub name: String,
    /// Street lines, one or two.
    pub street: Vec<String>,
    pub city: String,
    pub state: String,
    pub zip: String,
    /// The last as-of date it applies to; none: every run.
    pub until: Option<NaiveDate>,
}

impl Requested {
    /// Whether a run as of `as_of` mails to this address.
    pub fn in_force(&self, as_of: NaiveDate) -> bool {
        self.until.is_none_or(|until| as_of <= until)
    }
}

/// A confidential-address file as read: its file, SHA-256 and requests by
/// account.
#[derive(Debug, Clone)]
pub struct ConfidentialList {
    pub file: PathBuf,
    pub sha256: String,
    rows: BTreeMap<String, Requested>,
}

/// A row that matched no account of the export: a mistyped account number
/// would otherwise mail that patient at the export's address unnoticed, so
/// the run names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unmatched {
    pub account: String,
    pub line: u64,
}

/// What the run's summary and `validate` say of [`Unmatched`] rows, before
/// listing them.
pub const UNMATCHED_ADVICE: &str = "the confidential-address file names accounts that are not in the \
     export, so no letter went to those addresses; check their account numbers (a patient mailed under \
     another number would get the letter at the export's address)";

impl std::fmt::Display for Unmatched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (line {})", self.account, self.line)
    }
}

impl ConfidentialList {
    /// Reads a confidential-address file, saved as a spreadsheet saves CSV
    /// (see [`crate::decode::StaffTable`]).
    pub fn read(path: &Path) -> Result<ConfidentialList, StaffFileError> {
        let (rows, bytes) = crate::decode::read_file(path, "the confidential-address file", rows)?;
        Ok(ConfidentialList {
            file: path.to_path_buf(),
            sha256: crate::digest::sha256(&bytes),
            rows,
        })
    }

    /// The request for `account`, in force or not.
    pub fn get(&self, account: &str) -> Option<&Requested> {
        self.rows.get(account)
    }

    /// The rows whose account is not among `found` (the accounts of the
    /// export that the file readdressed).
    pub fn unmatched(&self, found: &BTreeSet<String>) -> Vec<Unmatched> {
        self.rows
            .iter()
            .filter(|(account, _)| !found.contains(*account))
            .map(|(account, requested)| Unmatched {
                account: account.clone(),
                line: requested.line,
            })
            .collect()
    }
}

/// The file's requests by account.
fn rows(table: &StaffTable) -> Result<BTreeMap<String, Requested>, TableProblem> {
    const WHAT: &str = "the confidential-address file";
    let account = table.require(&["account", "account_id", "account number"], WHAT, HEADER)?;
    let street1 = table.require(&["address1", "address", "street", "address 1"], WHAT, HEADER)?;
    let city = table.require(&["city"], WHAT, HEADER)?;
    let state = table.require(&["state", "st"], WHAT, HEADER)?;
    let zip = table.require(&["zip", "zip code", "zipcode", "postal code"], WHAT, HEADER)?;
    let street2 = table.column(&["address2", "address 2", "street2"]);
    let (name, until) = (table.column(&["name"]), table.column(&["until"]));
    let mut rows: BTreeMap<String, Requested> = BTreeMap::new();
    for row in &table.rows {
        let id = row.get(Some(&account));
        if id.is_empty() {
            return Err(row.problem(&account, "no account number"));
        }
        let until = row.optional(until.as_ref(), crate::dates::parse, crate::dates::FORMS)?;
        let street: Vec<String> = [row.get(Some(&street1)), row.get(street2.as_ref())]
            .into_iter()
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let requested = Requested {
            line: row.line,
            name: row.get(name.as_ref()).to_string(),
            street,
            city: row.get(Some(&city)).to_string(),
            state: row.get(Some(&state)).to_uppercase(),
            zip: row.get(Some(&zip)).to_string(),
            until,
        };
        check_address(row, &requested, [&street1, &city, &state, &zip])?;
        if let Some(first) = rows.get(id) {
            let reason = format!(
                "account {id} is already on line {}; give each account one row",
                first.line
            );
            return Err(row.problem(&account, reason));
        }
        rows.insert(id.to_string(), requested);
    }
    Ok(rows)
}

/// That the row's address is one USPS can deliver to: street, city, a
/// two-letter state and a ZIP code. A request that has ended (`until`) may
/// leave the address blank.
fn check_address(
    row: &StaffRow,
    requested: &Requested,
    [street, city, state, zip]: [&crate::decode::Column; 4],
) -> Result<(), TableProblem> {
    let blank = requested.street.is_empty()
        && requested.city.is_empty()
        && requested.state.is_empty()
        && requested.zip.is_empty();
    if blank && requested.until.is_some() {
        return Ok(());
    }
    let needed = [
        (street, requested.street.is_empty(), "no street address"),
        (city, requested.city.is_empty(), "no city"),
        (state, requested.state.is_empty(), "no state"),
        (zip, requested.zip.is_empty(), "no ZIP code"),
    ];
    if let Some((column, _, missing)) = needed.into_iter().find(|(_, empty, _)| *empty) {
        return Err(row.problem(
            column,
            format!(
                "{missing}; the letter goes only to this address, so every part of it is needed (a request the \
                 patient withdrew keeps its row with an until date)"
            ),
        ));
    }
    let two_letters =
        requested.state.len() == 2 && requested.state.bytes().all(|b| b.is_ascii_alphabetic());
    if !two_letters {
        return Err(row.problem(state, "is not a two-letter state code such as OR"));
    }
    if !crate::usps::is_zip(&requested.zip) {
        return Err(row.problem(zip, "is not a ZIP code such as 97401 or 97401-1234"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &[u8]) -> Result<ConfidentialList, StaffFileError> {
        crate::decode::read_as_file("confidential.csv", text, ConfidentialList::read)
    }

    #[test]
    fn requests_are_read_as_spreadsheets_save_them() {
        let list = read(
            b"\xEF\xBB\xBFAccount;Name;Address1;Address2;City;State;ZIP;Until;Note\r\n\
              1000012;Jos\xE9 Ruiz;PO Box 118;;Eugene;or;97440;;asked 11/2\r\n\
              1000019;;;;;;;12/31/2026;withdrawn\r\n",
        )
        .unwrap();
        let ruiz = list.get("1000012").unwrap();
        assert_eq!(
            (ruiz.line, ruiz.name.as_str(), ruiz.street.clone(), ruiz.state.as_str(), ruiz.until),
            (2, "José Ruiz", vec!["PO Box 118".to_string()], "OR", None)
        );
        let ended = list.get("1000019").unwrap();
        let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
        assert!(ended.in_force(day("2026-12-31")) && !ended.in_force(day("2027-01-01")));
        let found = BTreeSet::from(["1000012".to_string()]);
        assert_eq!(list.unmatched(&found), [Unmatched { account: "1000019".into(), line: 3 }]);
    }

    #[test]
    fn a_row_that_cannot_be_read_names_its_line_column_and_value() {
        let header = "account,name,address1,address2,city,state,zip,until\n";
        let cases = [
            (
                "1,,PO Box 1,,Eugene,OR,97440,\n1,,PO Box 2,,Eugene,OR,97440,\n",
                "3: column \"account\", value \"1\": account 1 is already on line 2",
            ),
            ("1,,PO Box 1,,,OR,97440,\n", "2: column \"city\", value \"\": no city"),
            ("1,,,,,,,\n", "2: column \"address1\", value \"\": no street address"),
            (
                "1,,PO Box 1,,Eugene,Oregon,97440,\n",
                "2: column \"state\", value \"Oregon\": is not a two-letter state",
            ),
            (
                "1,,PO Box 1,,Eugene,OR,9744,\n",
                "2: column \"zip\", value \"9744\": is not a ZIP code",
            ),
            (
                "1,,PO Box 1,,Eugene,OR,97440,31/12/2026\n",
                "2: column \"until\", value \"31/12/2026\": is not a date",
            ),
            (
                ",,PO Box 1,,Eugene,OR,97440,\n",
                "2: column \"account\", value \"\": no account number",
            ),
        ];
        for (rows, expected) in cases {
            let message = read(format!("{header}{rows}").as_bytes()).unwrap_err().to_string();
            assert!(
                message.contains(&format!("confidential.csv:{expected}")),
                "{message:?} should contain {expected:?}"
            );
        }
        let no_city =
            read(b"account,address1,state,zip\n1,PO Box 1,OR,97440\n").unwrap_err().to_string();
        assert!(no_city.contains("the confidential-address file has no city column"), "{no_city}");
    }
}
