//! The plain data that flows between the pipeline's stages.
//!
//! Account, guarantor and mail piece are kept apart on purpose: an account is
//! what the billing system tracks, the guarantor is the person who owes and
//! receives mail, and a piece is one envelope (which may later carry several of
//! one guarantor's accounts).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::config::CodeMeaning;
use crate::money::Cents;

/// A line number in the input file (1-based, the header is line 1).
pub type Line = u64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Street lines, blank ones already removed.
    pub street: Vec<String>,
    pub city: String,
    pub state: String,
    pub zip: String,
}

impl Address {
    /// `SPRINGFIELD, OR 97477`: the last line, as USPS wants it.
    pub fn last_line(&self) -> String {
        format!("{}, {} {}", self.city, self.state, self.zip)
    }

    /// The first line or part with a letter outside the Latin script, if
    /// any: USPS reads domestic addresses in Latin letters.
    pub fn not_latin(&self) -> Option<&str> {
        let latin = |c: char| {
            !c.is_alphabetic() || (c as u32) < 0x250 || ('\u{1E00}'..='\u{1EFF}').contains(&c)
        };
        self.street
            .iter()
            .chain([&self.city, &self.state])
            .map(String::as_str)
            .find(|t| !t.chars().all(latin))
    }

    /// The address as one line, as the letter prints it.
    pub fn one_line(&self) -> String {
        let mut parts = self.street.clone();
        parts.push(self.last_line());
        parts.join(", ")
    }

    /// The address as one line in capitals, to tell whether two addresses
    /// are the same (the ledger keeps where each piece went).
    pub fn key(&self) -> String {
        self.one_line().to_uppercase()
    }

    /// What is missing for USPS to deliver this, if anything.
    pub fn missing(&self) -> Option<&'static str> {
        if self.street.is_empty() {
            Some("street address")
        } else if self.city.is_empty() {
            Some("city")
        } else if self.state.is_empty() {
            Some("state")
        } else if self.zip.is_empty() {
            Some("ZIP code")
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guarantor {
    pub name: String,
    /// The name in Latin letters, where the export gives it beside a name in
    /// another script (`王小明`, `Wang Xiaoming`): the address window and the
    /// vendor's files print it, the letter greets the name as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latin_name: Option<String>,
    pub address: Address,
}

impl Guarantor {
    /// The name the envelope's window and the vendor's files carry.
    pub fn window_name(&self) -> &str {
        self.latin_name.as_deref().unwrap_or(&self.name)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flags {
    pub insurance_pending: bool,
    pub dispute: bool,
    pub do_not_mail: bool,
    pub large_print: bool,
}

/// One service on the account, as one row of the export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    pub line: Line,
    pub service_date: NaiveDate,
    pub description: String,
    pub charge: Cents,
    /// What payments and adjustments took off the charge (a reversal, see
    /// [`Reversal`], counts against them).
    pub credits: Cents,
    /// What is still owed on this service.
    pub balance: Cents,
    /// The export left this service's balance blank, so `balance` is a
    /// zero it never stated.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub balance_blank: bool,
    /// Not one service but what an aging report says is owed for a span
    /// of days (its `service_date` is the span's start, counted back from
    /// the as-of date): see [`Aged`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aged: Option<Aged>,
    /// Whose care it was, where the row names a patient: an account of
    /// several patients names each on its lines.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub patient: String,
}

/// A line of an aging report ("Aging of A/R": what is owed by how long
/// ago), read instead of services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Aged {
    /// Owed for `from_days` to `to_days` days (no end: or longer).
    Days { from_days: u32, to_days: Option<u32> },
    /// Of the amounts by age, what insurance is expected to pay: the
    /// report's total less the patient's share (a credit).
    InsuranceShare,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub guarantor: Guarantor,
    /// The patient the account is for, when the export names one apart
    /// from the guarantor (a child on a parent's bill); empty otherwise.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub patient: String,
    /// ISO 639-1 code such as `en` or `es`, lower case.
    pub language: String,
    pub flags: Flags,
    pub charges: Vec<Charge>,
    /// Rows of this account that could not be read: the account is held so
    /// that no letter states a balance built from part of its charges.
    pub rejected_lines: Vec<Line>,
    /// Status and hold codes on any of its rows, each once, first seen first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<HoldCode>,
    /// Payments or adjustments written the other way round from the rest of
    /// the export: the account is held rather than mailed a balance read
    /// from them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reversals: Vec<Reversal>,
    /// The good-faith estimate the patient was given, if the export has
    /// one: a bill well over it may be disputed, and policy holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub good_faith_estimate: Option<Cents>,
    /// When the account last paid, where the export says (an aging report's
    /// "Last Pay Date"): never a service date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_payment: Option<NaiveDate>,
    /// The patient asked for the account's letters at another address
    /// (see [`crate::confidential`]): its guarantor is then that name and
    /// address, and nothing of the export's address is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidential: Option<Confidential>,
}

/// An account on the confidential-address file, by the file's line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Confidential {
    /// Its letters go to the address the patient asked for, on this line
    /// of the confidential-address file.
    Address { line: Line },
    /// Its letters go to the confidential address the export's own
    /// columns give, on this line of the export.
    Export { line: Line },
    /// The patient's request ended (the row's `until` is before the run):
    /// its letters go to the export's address again.
    Ended { line: Line, until: NaiveDate },
}

impl Confidential {
    /// How audit.csv's `mailed_to` starts for a letter to a confidential
    /// address: what the ledger reads back to know it went to one.
    const TO_CONFIDENTIAL: &str = "confidential address (";

    /// Whether audit.csv's `mailed_to` says the letter went to a
    /// confidential address.
    pub fn went_to_confidential(mailed_to: &str) -> bool {
        mailed_to.starts_with(Confidential::TO_CONFIDENTIAL)
    }
}

impl std::fmt::Display for Confidential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Confidential::Address { line } => {
                write!(f, "{}side file line {line})", Confidential::TO_CONFIDENTIAL)
            }
            Confidential::Export { line } => {
                write!(f, "{}export line {line})", Confidential::TO_CONFIDENTIAL)
            }
            Confidential::Ended { line, until } => write!(
                f,
                "the export's address: the confidential address ended {until} (side file line {line})"
            ),
        }
    }
}

/// A payment or adjustment written with the other sign from most of its
/// column in the export (`50.00` where payments are written `-20.00`, or the
/// other way round): a reversal or refund, which adds to what is owed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reversal {
    pub line: Line,
    pub column: String,
    pub value: String,
}

/// A status or hold code in the export, where it was found and what the
/// mapping says it means (`None`: the mapping does not name it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldCode {
    pub code: String,
    pub column: String,
    pub line: Line,
    pub meaning: Option<CodeMeaning>,
}

impl Account {
    /// An account as its first row names it, before anything of its rows
    /// (charges, flags, codes) is added.
    pub fn new(id: String, guarantor: Guarantor, patient: String, language: String) -> Account {
        Account {
            id,
            guarantor,
            patient,
            language,
            flags: Flags::default(),
            charges: Vec::new(),
            rejected_lines: Vec::new(),
            codes: Vec::new(),
            reversals: Vec::new(),
            good_faith_estimate: None,
            last_payment: None,
            confidential: None,
        }
    }

    /// Whether its letters go to a confidential address the patient asked
    /// for (see [`Confidential`]).
    pub fn confidential_address(&self) -> bool {
        matches!(
            self.confidential,
            Some(Confidential::Address { .. } | Confidential::Export { .. })
        )
    }

    /// An account whose every row was rejected: known by its number only.
    pub fn unread(id: String) -> Account {
        let address = Address {
            street: Vec::new(),
            city: String::new(),
            state: String::new(),
            zip: String::new(),
        };
        let guarantor = Guarantor { name: String::new(), latin_name: None, address };
        Account::new(id, guarantor, String::new(), String::new())
    }

    /// Whether none of the account's rows could be read.
    pub fn unread_whole(&self) -> bool {
        self.charges.is_empty() && !self.rejected_lines.is_empty()
    }

    pub fn balance(&self) -> Cents {
        self.charges.iter().map(|c| c.balance).sum()
    }

    /// The lines whose balance the export left blank.
    pub fn blank_balance_lines(&self) -> Vec<Line> {
        self.charges.iter().filter(|c| c.balance_blank).map(|c| c.line).collect()
    }

    /// Every input line that belongs to this account and was read, once
    /// (an aging report's row gives several lines of the letter).
    pub fn lines(&self) -> Vec<Line> {
        let mut lines: Vec<Line> = self.charges.iter().map(|c| c.line).collect();
        lines.dedup();
        lines
    }

    /// How many rows of the export the account was read from.
    pub fn rows(&self) -> u64 {
        self.lines().len() as u64
    }
}

/// A problem with a row of the export, with enough to find and fix it. As a
/// reject the row cannot be used; as a warning the letter still goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    pub file: String,
    pub line: Line,
    /// The account number of the row, where it could be read, so that an
    /// auditor searching by account finds its rejected rows too.
    #[serde(default)]
    pub account: String,
    pub kind: IssueKind,
    /// The column at fault, when one is.
    pub column: String,
    pub value: String,
    pub reason: String,
}

/// What kind of problem a row has, for grouping and counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueKind {
    // Rejects: the row cannot be used.
    UnreadableRow,
    FieldCount,
    Encoding,
    MissingAccount,
    ConfidentialAddress,
    MissingGuarantor,
    BadDate,
    BadAmount,
    BadFlag,
    ServiceAfterAsOf,
    UnknownState,
    BadZip,
    DuplicateRow,
    FieldTooLong,
    BadName,
    EstimateDiffers,
    // Warnings: the letter still goes.
    AddressDiffers,
    GuarantorDiffers,
    CreditOnService,
    NameNotSplit,
    InvisibleCharacter,
    LineBreak,
    CodeRemoved,
    BlankBalance,
    DuplicateKept,
    BalanceDiffers,
}

impl IssueKind {
    pub fn code(self) -> &'static str {
        match self {
            IssueKind::UnreadableRow => "unreadable_row",
            IssueKind::FieldCount => "field_count",
            IssueKind::Encoding => "encoding",
            IssueKind::MissingAccount => "missing_account",
            IssueKind::ConfidentialAddress => "confidential_address",
            IssueKind::MissingGuarantor => "missing_guarantor",
            IssueKind::BadDate => "bad_date",
            IssueKind::BadAmount => "bad_amount",
            IssueKind::BadFlag => "bad_flag",
            IssueKind::ServiceAfterAsOf => "service_after_as_of",
            IssueKind::UnknownState => "unknown_state",
            IssueKind::BadZip => "bad_zip",
            IssueKind::DuplicateRow => "duplicate_row",
            IssueKind::FieldTooLong => "field_too_long",
            IssueKind::BadName => "bad_name",
            IssueKind::EstimateDiffers => "estimate_differs",
            IssueKind::AddressDiffers => "address_differs",
            IssueKind::GuarantorDiffers => "guarantor_differs",
            IssueKind::CreditOnService => "credit_on_service",
            IssueKind::NameNotSplit => "name_not_split",
            IssueKind::InvisibleCharacter => "invisible_character",
            IssueKind::LineBreak => "line_break",
            IssueKind::CodeRemoved => "code_removed",
            IssueKind::BlankBalance => "blank_balance",
            IssueKind::DuplicateKept => "duplicate_kept",
            IssueKind::BalanceDiffers => "balance_differs",
        }
    }
}

/// USPS state, district, territory and military codes.
pub const STATES: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY", "AS", "GU", "MP", "PR", "VI", "UM", "FM", "MH", "PW", "AA", "AE", "AP",
];
