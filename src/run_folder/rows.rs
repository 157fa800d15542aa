//! The rows of a run folder's CSV files: manifest.csv (a piece for the
//! vendor), audit.csv (every account), holds.csv (every account held).

use serde::{Deserialize, Serialize};

use super::record::NoticeCost;
use crate::policy::Stage;

/// One envelope for the print vendor: a row of manifest.csv and an entry of
/// manifest.json. No balances and no account numbers: those are not the
/// vendor's business. One column per street line, so that it opens cleanly
/// in a spreadsheet and a mail-merge tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestRow {
    pub piece_id: String,
    pub file: String,
    pub first_page: usize,
    pub last_page: usize,
    pub pages: usize,
    pub sheets: usize,
    pub duplex: bool,
    pub envelope: String,
    pub mail_class: String,
    pub recipient_name: String,
    pub address_line_1: String,
    pub address_line_2: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub language: String,
    pub variant: Variant,
    pub stage: Stage,
    pub sha256: String,
    /// The combined print file holding the piece, and the piece's pages in
    /// it; empty when the run writes no combined files (`[print]`).
    #[serde(default)]
    pub print_file: String,
    #[serde(default)]
    pub print_first_page: Option<usize>,
    #[serde(default)]
    pub print_last_page: Option<usize>,
    /// What the language-assistance notice added to this piece (counted in
    /// `pages` and `sheets`); for the run's counts, not a column.
    #[serde(skip)]
    pub notice: NoticeCost,
    /// The wording trial and variant of the letter, `trial/variant`; empty
    /// when no trial tries its stage.
    #[serde(default)]
    pub wording: String,
}

/// A kind of letter: the report draws one of each, and the proof shows one
/// of each.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Kind {
    pub stage: Stage,
    pub language: String,
    pub print: Variant,
    /// The wording trial's variant, `trial/variant`, or empty.
    pub wording: String,
}

impl Kind {
    /// ", wording tone/warm" for a letter in a wording trial, else nothing:
    /// what the proof and the report add to a kind's name.
    pub fn wording_suffix(&self) -> String {
        if self.wording.is_empty() { String::new() } else { format!(", wording {}", self.wording) }
    }
}

/// How a letter is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    Standard,
    /// Body text at 16 pt, for patients who asked for it.
    LargePrint,
}

impl Variant {
    /// As audit.csv and the ledger write it.
    pub fn id(self) -> &'static str {
        match self {
            Variant::Standard => "standard",
            Variant::LargePrint => "large_print",
        }
    }
}

/// One account's decision, for staff and auditors.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditRow {
    pub account: String,
    pub guarantor: String,
    pub decision: AuditDecision,
    pub stage: Option<Stage>,
    pub piece_id: String,
    pub balance: String,
    pub oldest_unpaid_service: String,
    pub days_past_due: i64,
    pub preferred_language: String,
    pub letter_language: String,
    pub variant: Option<Variant>,
    pub reason: String,
    pub input_lines: String,
    /// The latest payment the export shows on the account, where it shows
    /// one (`last_payment_date`): what the next run's outcomes read.
    #[serde(default)]
    pub last_payment: String,
    /// The wording trial and variant of the account's letter,
    /// `trial/variant`, as in the manifest.
    #[serde(default)]
    pub wording: String,
    /// Where the account's letter goes when not to the export's address:
    /// `confidential address (side file line N)`, or that the patient's
    /// request ended; empty for the export's address. The address itself
    /// is in the manifest, never here.
    #[serde(default)]
    pub mailed_to: String,
}

impl ManifestRow {
    /// The street lines of the export's two street columns, blank ones left
    /// out.
    pub fn street(street: &[String]) -> (String, String) {
        debug_assert!(street.len() <= 2, "the export has two street columns");
        let line = |i: usize| street.get(i).cloned().unwrap_or_default();
        (line(0), line(1))
    }

    /// The piece's stage, language, print size and wording.
    pub fn kind(&self) -> Kind {
        Kind {
            stage: self.stage,
            language: self.language.clone(),
            print: self.variant,
            wording: self.wording.clone(),
        }
    }

    /// The address the piece was sent to.
    pub fn address(&self) -> crate::model::Address {
        let street = [&self.address_line_1, &self.address_line_2]
            .into_iter()
            .filter(|l| !l.is_empty())
            .cloned();
        crate::model::Address {
            street: street.collect(),
            city: self.city.clone(),
            state: self.state.clone(),
            zip: self.zip.clone(),
        }
    }
}

/// What became of an account in audit.csv: a letter, or a hold (see
/// holds.csv for why).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditDecision {
    Letter,
    Hold,
}

/// One account's decision in a run, as its audit.csv says and the ledger
/// keeps it: a letter (at which stage) or not.
pub struct Decided {
    pub account: String,
    pub letter: bool,
    pub stage: Option<Stage>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HoldRow {
    pub account: String,
    pub guarantor: String,
    pub balance: String,
    pub reason_code: String,
    pub reason: String,
    pub input_lines: String,
}
