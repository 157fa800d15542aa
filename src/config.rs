//! The practice's configuration file (`kindly.toml`): who the practice is, when
//! a letter is due, how the export's columns are named, and the envelope
//! geometry of the print vendor. Billing managers edit this file, so every
//! error names the file and the setting.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::money::Cents;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub practice: Practice,
    #[serde(default)]
    pub policy: Policy,
    #[serde(default)]
    pub payment_plans: PaymentPlans,
    #[serde(default)]
    pub input: Input,
    #[serde(default)]
    pub vendor: Vendor,
    #[serde(default)]
    pub pdf: Pdf,
    #[serde(default)]
    pub lint: crate::lint::LintConfig,
    /// Folder holding `letter.typ`, `wording/` and `fonts/`, relative to the
    /// config file.
    #[serde(default = "default_layouts")]
    pub layouts: PathBuf,
}

fn default_layouts() -> PathBuf {
    PathBuf::from("layouts")
}

/// The practice as its patients know it: this name heads every letter.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Practice {
    pub name: String,
    /// Street and city lines of the practice's mailing address, as printed in
    /// the return-address window and on the remittance stub.
    pub address: Vec<String>,
    pub phone: String,
    pub hours: String,
    pub portal: String,
    /// How a patient asks for financial assistance, in one sentence.
    pub assistance: String,
    pub signer: String,
    pub signer_title: String,
    /// Address the QR code on each letter opens, with `{account}` for the
    /// account number, e.g. `https://pay.example.com/?account={account}`.
    /// Leave it out for letters without a QR code.
    #[serde(default)]
    pub payment_link: Option<String>,
    /// The same sentences in other languages, e.g. `[practice.translations.es]`.
    #[serde(default, skip_serializing)]
    pub translations: BTreeMap<String, PracticeText>,
}

/// The practice's sentences that are written in a language, for letters in
/// that language. Anything left out is printed as in `[practice]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PracticeText {
    pub hours: Option<String>,
    pub assistance: Option<String>,
    pub signer_title: Option<String>,
}

impl Practice {
    /// The practice as described to a patient reading `language`.
    pub fn in_language(&self, language: &str) -> Practice {
        let mut practice = self.clone();
        if let Some(text) = self.translations.get(language) {
            let pick = |t: &Option<String>, default: &String| t.clone().unwrap_or_else(|| default.clone());
            practice.hours = pick(&text.hours, &self.hours);
            practice.assistance = pick(&text.assistance, &self.assistance);
            practice.signer_title = pick(&text.signer_title, &self.signer_title);
        }
        practice.translations.clear();
        practice
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// No letter for balances below this.
    pub minimum_balance: Cents,
    pub reminder_after_days: i64,
    pub plan_offer_after_days: i64,
    pub assistance_after_days: i64,
    pub final_notice_after_days: i64,
    /// Days from the letter date to the payment due date (stages 1 to 3).
    pub payment_due_days: i64,
    /// Days from the letter date to the reply-by date on a final notice.
    pub final_notice_reply_days: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            minimum_balance: Cents::from_dollars(10),
            reminder_after_days: 30,
            plan_offer_after_days: 60,
            assistance_after_days: 90,
            final_notice_after_days: 120,
            payment_due_days: 30,
            final_notice_reply_days: 14,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PaymentPlans {
    /// Plan lengths offered, in months.
    pub months: Vec<u32>,
    /// A plan whose monthly payment would fall below this is not offered.
    pub minimum_monthly: Cents,
}

impl Default for PaymentPlans {
    fn default() -> Self {
        PaymentPlans { months: vec![3, 6, 12], minimum_monthly: Cents::from_dollars(25) }
    }
}

/// How the billing system's export is laid out.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Input {
    /// Accepted date formats, tried in order (chrono `strftime` syntax).
    pub date_formats: Vec<String>,
    /// `auto` (from the header line), or one of `,` `;` `|` and `\t`.
    pub delimiter: Delimiter,
    /// `auto` (UTF-8, or what a byte-order mark says), `utf-8`,
    /// `windows-1252`, `utf-16le` or `utf-16be`.
    pub encoding: Encoding,
    /// Values of the yes/no columns, beyond which a value is an error.
    pub flags: FlagCodes,
    pub columns: Columns,
}

impl Default for Input {
    fn default() -> Self {
        Input {
            date_formats: vec!["%Y-%m-%d".into(), "%m/%d/%Y".into(), "%m/%d/%y".into()],
            delimiter: Delimiter::Auto,
            encoding: Encoding::Auto,
            flags: FlagCodes::default(),
            columns: Columns::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delimiter {
    Auto,
    Char(u8),
}

impl<'de> Deserialize<'de> for Delimiter {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Delimiter, D::Error> {
        let text = String::deserialize(d)?;
        Delimiter::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Delimiter {
    pub fn parse(text: &str) -> Result<Delimiter, String> {
        match text {
            "auto" => Ok(Delimiter::Auto),
            "\\t" | "\t" | "tab" => Ok(Delimiter::Char(b'\t')),
            t if t.len() == 1 && t.is_ascii() && t != "\"" => Ok(Delimiter::Char(t.as_bytes()[0])),
            t => Err(format!("{t:?} is not a delimiter: use \"auto\", \",\", \";\", \"|\" or \"tab\"")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    Auto,
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "windows-1252")]
    Windows1252,
    #[serde(rename = "utf-16le")]
    Utf16Le,
    #[serde(rename = "utf-16be")]
    Utf16Be,
}

impl Encoding {
    pub fn parse(text: &str) -> Result<Encoding, String> {
        Encoding::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(text))
            .map_err(|_| format!("{text:?} is not an encoding: use auto, utf-8, windows-1252, utf-16le or utf-16be"))
    }
}

/// The codes a practice's system writes in yes/no columns. Matched ignoring
/// case; an empty cell is "no".
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FlagCodes {
    pub yes: Vec<String>,
    pub no: Vec<String>,
}

impl Default for FlagCodes {
    fn default() -> Self {
        let codes = |c: &[&str]| c.iter().map(|s| s.to_string()).collect();
        FlagCodes { yes: codes(&["Y", "YES", "TRUE", "T", "1", "X"]), no: codes(&["N", "NO", "FALSE", "F", "0"]) }
    }
}

/// Where a field comes from: a column of the export (by its header), or a
/// fixed value for every row (`{ value = "en" }`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Field {
    Column(String),
    Fixed { value: String },
}

impl From<&str> for Field {
    fn from(header: &str) -> Field {
        Field::Column(header.to_string())
    }
}

/// The source of each field kindly reads. Optional fields may be left out
/// when the export has no such column.
///
/// In the config, the required fields must be named; an optional field left
/// out is not read.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    pub account: Field,
    pub guarantor: Field,
    pub address1: Field,
    #[serde(default)]
    pub address2: Option<Field>,
    pub city: Field,
    pub state: Field,
    pub zip: Field,
    /// Date of service; in a one-row-per-account export, the oldest unpaid
    /// service date.
    pub service_date: Field,
    #[serde(default)]
    pub description: Option<Field>,
    #[serde(default)]
    pub charge: Option<Field>,
    #[serde(default)]
    pub payments: Option<Field>,
    #[serde(default)]
    pub adjustments: Option<Field>,
    /// Open balance of the row; used instead of charge minus payments and
    /// adjustments when the export has it.
    #[serde(default)]
    pub balance: Option<Field>,
    #[serde(default)]
    pub language: Option<Field>,
    #[serde(default)]
    pub insurance_pending: Option<Field>,
    #[serde(default)]
    pub dispute: Option<Field>,
    #[serde(default)]
    pub do_not_mail: Option<Field>,
    /// Flag for patients who asked for large print (16 pt).
    #[serde(default)]
    pub large_print: Option<Field>,
}

impl Default for Columns {
    fn default() -> Self {
        Columns {
            account: "Account".into(),
            guarantor: "Guarantor".into(),
            address1: "Address 1".into(),
            address2: Some("Address 2".into()),
            city: "City".into(),
            state: "State".into(),
            zip: "ZIP".into(),
            service_date: "Service Date".into(),
            description: Some("Description".into()),
            charge: Some("Charge".into()),
            payments: Some("Payments".into()),
            adjustments: Some("Adjustments".into()),
            balance: None,
            language: Some("Language".into()),
            insurance_pending: Some("Insurance Pending".into()),
            dispute: Some("Dispute".into()),
            do_not_mail: Some("Do Not Mail".into()),
            large_print: None,
        }
    }
}

/// How the letters' PDF files are written.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Pdf {
    /// Tagged PDF, which screen readers can read aloud in order.
    pub tagged: bool,
    /// `pdf-a-2b` makes every letter a PDF/A-2b archive file.
    pub standard: PdfStandard,
}

impl Default for Pdf {
    fn default() -> Self {
        Pdf { tagged: true, standard: PdfStandard::Plain }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum PdfStandard {
    #[serde(rename = "plain")]
    Plain,
    #[serde(rename = "pdf-a-2b")]
    PdfA2b,
}

/// A rectangle on the flat (unfolded) first page, in inches from its top-left.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rect {
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
}

/// The print vendor's envelope and production settings. Window positions
/// differ by a few tenths of an inch between vendors, so they live here.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Vendor {
    pub name: String,
    pub envelope: String,
    pub mail_class: String,
    pub duplex: bool,
    pub max_sheets: u32,
    /// Clear space kept between an address block and its window's edges.
    pub clearance: f64,
    /// How far the folded insert can slide inside the envelope, in any
    /// direction; the address must stay clear of the window even then.
    pub tolerance: f64,
    pub return_window: Rect,
    pub recipient_window: Rect,
}

impl Default for Vendor {
    fn default() -> Self {
        Vendor {
            name: "Generic #10 double-window".into(),
            envelope: "#10 double window".into(),
            mail_class: "First-Class".into(),
            duplex: true,
            max_sheets: 6,
            clearance: 0.125,
            tolerance: 0.0625,
            return_window: Rect { left: 0.625, top: 0.5, width: 3.25, height: 0.875 },
            recipient_window: Rect { left: 0.625, top: 2.125, width: 4.0, height: 1.0 },
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("the config file {path} has a problem: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Config {
    /// Reads a config file; relative paths inside it are taken from the
    /// file's own folder so the run does not depend on the current directory.
    pub fn load(path: &Path) -> Result<(Config, Vec<u8>), ConfigError> {
        let bytes = std::fs::read(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        let invalid = |message: String| ConfigError::Invalid { path: path.to_path_buf(), message };
        let text = std::str::from_utf8(&bytes).map_err(|e| invalid(format!("not UTF-8 text ({e})")))?;
        let mut config: Config = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.layouts = base.join(&config.layouts);
        config.check().map_err(invalid)?;
        Ok((config, bytes))
    }

    /// Replaces the `[input]` section with a mapping file: the same settings,
    /// at its top level.
    pub fn use_mapping(&mut self, path: &Path) -> Result<(), ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        let invalid = |message: String| ConfigError::Invalid { path: path.to_path_buf(), message };
        self.input = toml::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        self.check().map_err(invalid)
    }

    fn check(&self) -> Result<(), String> {
        let p = &self.policy;
        let ascending =
            [p.reminder_after_days, p.plan_offer_after_days, p.assistance_after_days, p.final_notice_after_days];
        if ascending.windows(2).any(|w| w[0] > w[1]) || ascending[0] < 0 {
            return Err("[policy] stage days must rise: reminder_after_days <= plan_offer_after_days <= assistance_after_days <= final_notice_after_days".into());
        }
        if self.payment_plans.months.contains(&0) {
            return Err("[payment_plans] months must be 1 or more".into());
        }
        if self.input.date_formats.is_empty() {
            return Err("[input] date_formats needs at least one format".into());
        }
        let c = &self.input.columns;
        if c.balance.is_none() && c.charge.is_none() {
            return Err("[input.columns] needs either `charge` or `balance`".into());
        }
        if self.practice.address.is_empty() {
            return Err("[practice] address needs at least one line".into());
        }
        Ok(())
    }
}
