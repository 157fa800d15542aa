//! The practice's configuration file (`kindly.toml`): who the practice is, when
//! a letter is due, how the export's columns are named, and the envelope
//! geometry of the print vendor. Billing managers edit this file, so every
//! error names the file and the setting.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use crate::decode::{Delimiter, Encoding};
use crate::money::Cents;
use crate::stage::Stage;

mod language_access;
mod trials;
mod vendor;
pub use language_access::{LanguageAccess, NoticePlacement, NoticeText};
pub use trials::{Assigned, Trial, USUAL, assign, baseline, template_stem, wordings};
pub use vendor::{
    Click2MailOptions, FieldLimits, LobOptions, PostGridOptions, Postage, Print, Rect, Vendor,
    VendorFormat,
};

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
    pub lint: LintConfig,
    #[serde(default)]
    pub ledger: LedgerSettings,
    #[serde(default)]
    pub print: Print,
    #[serde(default)]
    pub mailing: Mailing,
    #[serde(default)]
    pub letters: Letters,
    #[serde(default)]
    pub language_access: LanguageAccess,
    /// `[trials.NAME]`: wording trials, by name; at most one a stage.
    #[serde(default)]
    pub trials: BTreeMap<String, Trial>,
    /// Folder holding `letter.typ`, `wording/` and `fonts/`, relative to the
    /// config file.
    #[serde(default = "default_layouts")]
    pub layouts: PathBuf,
}

fn default_layouts() -> PathBuf {
    PathBuf::from("layouts")
}

/// `[ledger]`: where kindly keeps what it has mailed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LedgerSettings {
    /// The ledger file, relative to the config file. Left out, it is
    /// `kindly-ledger.sqlite` in the folder that holds the run folders.
    pub path: Option<PathBuf>,
}

/// `[letters]`: how the export's words are printed on letters.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Letters {
    pub names: NameCase,
}

/// How names and addresses written all in capitals are printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameCase {
    /// As the export writes them.
    #[default]
    AsWritten,
    /// `JOSEPH WILLIAMS` as `Joseph Williams` in the salutation and the
    /// address block (`MCDONALD` as `McDonald`, `O'BRIEN` as `O'Brien`,
    /// `III`, `PO` and `NE` kept); text with a small letter is as written.
    TitleCaseAllCaps,
}

impl NameCase {
    /// `text` as this setting prints it.
    pub fn print(self, text: &str) -> String {
        if self == NameCase::AsWritten || text.chars().any(char::is_lowercase) {
            return text.to_string();
        }
        text.split(' ').map(title_word).collect::<Vec<_>>().join(" ")
    }
}

/// One word of capitals in title case, its parts after a hyphen or an
/// apostrophe too; what is kept in capitals is kept.
fn title_word(word: &str) -> String {
    const KEPT: &[&str] =
        &["II", "III", "IV", "PO", "NE", "NW", "SE", "SW", "USA", "US", "MD", "DDS", "DO", "RN"];
    if KEPT.contains(&word.trim_end_matches([',', '.'])) || word.chars().any(|c| c.is_ascii_digit())
    {
        return word.to_string();
    }
    let mut out = String::new();
    let mut start = true;
    let chars: Vec<char> = word.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        // McDonald: the letter after "Mc" at a word's start is a capital.
        let after_mc = i == 2 && chars[0] == 'M' && chars[1] == 'C' && chars.len() > 3;
        if start || after_mc {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        start = matches!(c, '-' | '\'' | '’');
    }
    out
}

/// `[mailing]`: how the run's pieces go out.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Mailing {
    pub order: PieceOrder,
    /// One envelope for the accounts due a letter that share a guarantor
    /// and a mailing address, read as `household::key` reads them.
    pub household: bool,
    /// `kindly handoff` only for a run someone approved (`kindly approve`)
    /// and that has not changed since.
    pub require_approval: bool,
    /// The practice's confidential-address file (see
    /// [`crate::confidential`]), relative to the config file: read by every
    /// command, so no run can forget it. `--confidential` names another.
    pub confidential_addresses: Option<PathBuf>,
}

/// The order pieces are numbered, made and listed in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PieceOrder {
    /// As kindly reads the export (the same on every run of it).
    #[default]
    Run,
    /// By ZIP code, then ZIP+4, for a printer who sorts mail by ZIP.
    Zip,
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
            let pick =
                |t: &Option<String>, default: &String| t.clone().unwrap_or_else(|| default.clone());
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
    /// How the stage follows what was sent (see [`Escalation`]).
    pub escalation: Escalation,
    /// No letter to an account sooner than this many days after its last.
    pub min_days_between_letters: i64,
    /// With `by_letters_sent`: days after a letter before the next may be
    /// one stage further.
    pub days_between_stages: i64,
    /// With `by_letters_sent`: a payment since the last letter repeats its
    /// stage instead of escalating.
    pub repeat_stage_after_payment: bool,
    /// For nonprofit hospitals under IRS 501(r): no final notice sooner than
    /// [`IRS_501R_FINAL_NOTICE_DAYS`] after the first letter of the
    /// sequence, and a reply-by date at least [`IRS_501R_REPLY_DAYS`] out.
    pub irs_501r: bool,
}

impl Policy {
    /// The age in days of the oldest unpaid service from which `stage` is
    /// due.
    pub fn after_days(&self, stage: Stage) -> i64 {
        match stage {
            Stage::Reminder => self.reminder_after_days,
            Stage::PlanOffer => self.plan_offer_after_days,
            Stage::Assistance => self.assistance_after_days,
            Stage::FinalNotice => self.final_notice_after_days,
        }
    }
}

/// With `irs_501r`: days from the first letter of a sequence before a final
/// notice may go, so that its 30 days end no sooner than 120 days after the
/// first statement (IRS 501(r), extraordinary collection actions).
pub const IRS_501R_FINAL_NOTICE_DAYS: i64 = 90;

/// Days a final notice's reply-by date must give under `irs_501r`.
pub const IRS_501R_REPLY_DAYS: i64 = 30;

/// How an account's stage is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Escalation {
    /// At most one stage beyond the last letter actually sent (from the
    /// ledger), and never beyond what the account's age calls for; an
    /// account never written to starts at the reminder.
    ByLettersSent,
    /// From the age of the oldest unpaid service alone.
    ByAge,
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
            escalation: Escalation::ByLettersSent,
            min_days_between_letters: 28,
            days_between_stages: 30,
            repeat_stage_after_payment: true,
            irs_501r: false,
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
    /// What each value of the `hold_code` column(s) means, e.g.
    /// `BK = "bankruptcy"`. Matched ignoring case. A code not listed here
    /// holds its account as `unknown_hold_code` until it is.
    pub hold_codes: BTreeMap<String, CodeMeaning>,
    /// A field longer than this many bytes is rejected at ingest: no real
    /// name or address is, and laying out a megabyte-long name would take
    /// the run minutes and gigabytes.
    pub max_field_length: usize,
    /// What to do with a row that repeats another exactly (see
    /// [`DuplicateRows`]).
    pub duplicate_rows: DuplicateRows,
    /// For an aging report ("Aging of A/R": a row per account, what is owed
    /// by how long ago): its columns of amounts by age, youngest first.
    /// Each row's age is its oldest span holding money; `service_date` is
    /// then left out.
    pub age_buckets: Vec<AgeBucket>,
    pub columns: Columns,
    /// The mapping file these settings came from (`--mapping`), if they did
    /// not come from the config's `[input]`: messages name its sections.
    #[serde(skip)]
    pub mapping_file: Option<PathBuf>,
    /// Addresses patients asked their letters be sent to instead of the
    /// export's (`--confidential`): every reading of the export applies
    /// them, so no command can mail such a patient at the export's address.
    #[serde(skip)]
    pub confidential: Option<std::sync::Arc<crate::confidential::ConfidentialList>>,
}

/// One column of an aging report: its header, and the span of days its
/// amounts have been owed, read from the header (`0-30`, `31-60`, `> 90`,
/// `90+`, `Over 90`, `Current`) or given (`{ column = "Older",
/// from_days = 121 }`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum AgeBucket {
    Column(String),
    Span {
        column: String,
        from_days: u32,
        #[serde(default)]
        to_days: Option<u32>,
    },
}

impl AgeBucket {
    pub fn column(&self) -> &str {
        match self {
            AgeBucket::Column(column) | AgeBucket::Span { column, .. } => column,
        }
    }

    /// The days its amounts have been owed: from, and to (none: or longer).
    pub fn span(&self) -> Result<(u32, Option<u32>), String> {
        match self {
            AgeBucket::Span { from_days, to_days, .. } => Ok((*from_days, *to_days)),
            AgeBucket::Column(header) => days_of(header).ok_or_else(|| {
                format!(
                    "[input] age_buckets: the column {header:?} does not say its days (like \"31-60\" or \"> 90\"); \
                     write it as {{ column = {header:?}, from_days = 31, to_days = 60 }}"
                )
            }),
        }
    }
}

/// The days an aging report's header names: `0-30`, `31 - 60 days`,
/// `> 90`, `90+`, `Over 90`, `Current` (0 to 30).
pub fn days_of(header: &str) -> Option<(u32, Option<u32>)> {
    let h = header.trim().to_lowercase();
    if h == "current" {
        return Some((0, Some(30)));
    }
    let numbers: Vec<u32> =
        h.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse().ok()).collect();
    let words: String = h.chars().filter(|c| c.is_alphabetic() || "<>+-".contains(*c)).collect();
    let words = words.trim_end_matches("days").trim_end_matches("day");
    match (numbers.as_slice(), words) {
        ([from, to], "-") if from <= to => Some((*from, Some(*to))),
        ([n], ">" | "over") => Some((n + 1, None)),
        ([n], "+") => Some((*n, None)),
        _ => None,
    }
}

/// What a row that repeats an earlier one exactly is taken for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateRows {
    /// A row exported twice: rejected, and its account held, so that no
    /// charge is counted twice.
    #[default]
    Reject,
    /// The practice's export repeats lines that are truly two charges (two
    /// identical vaccines on one day): kept, with a warning.
    Keep,
}

/// What a status or hold code in the export means for the letter.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "snake_case")]
pub enum CodeMeaning {
    /// The code is known and changes nothing (e.g. `ACTIVE`).
    None,
    Bankruptcy,
    Deceased,
    Attorney,
    WithAgency,
    Dispute,
    DoNotMail,
    BadAddress,
    InsurancePending,
    /// On a payment plan in good standing: the plan's own statements go
    /// instead of collection letters.
    PaymentPlan,
    /// A payment was posted after the export was made: its balance may
    /// already be paid.
    PaymentPosted,
}

impl CodeMeaning {
    /// Every meaning, in the order the README and the mapping files list
    /// them.
    pub const ALL: [CodeMeaning; 11] = [
        CodeMeaning::None,
        CodeMeaning::Bankruptcy,
        CodeMeaning::Deceased,
        CodeMeaning::Attorney,
        CodeMeaning::WithAgency,
        CodeMeaning::Dispute,
        CodeMeaning::DoNotMail,
        CodeMeaning::BadAddress,
        CodeMeaning::InsurancePending,
        CodeMeaning::PaymentPlan,
        CodeMeaning::PaymentPosted,
    ];

    /// The hold reason's code in holds.csv and audit.csv.
    pub fn code(self) -> &'static str {
        match self {
            CodeMeaning::None => "none",
            CodeMeaning::Bankruptcy => "bankruptcy",
            CodeMeaning::Deceased => "deceased",
            CodeMeaning::Attorney => "attorney",
            CodeMeaning::WithAgency => "with_agency",
            CodeMeaning::Dispute => "dispute",
            CodeMeaning::DoNotMail => "do_not_mail",
            CodeMeaning::BadAddress => "bad_address",
            CodeMeaning::InsurancePending => "insurance_pending",
            CodeMeaning::PaymentPlan => "payment_plan",
            CodeMeaning::PaymentPosted => "payment_posted",
        }
    }

    /// Why an account with this code gets no letter, in plain words.
    pub fn explain(self) -> &'static str {
        match self {
            CodeMeaning::None => "no hold",
            CodeMeaning::Bankruptcy => {
                "the guarantor is in bankruptcy: the automatic stay forbids collection letters"
            }
            CodeMeaning::Deceased => {
                "the patient or guarantor has died: the estate is contacted another way"
            }
            CodeMeaning::Attorney => {
                "an attorney represents the guarantor: contact goes through the attorney"
            }
            CodeMeaning::WithAgency => {
                "the account is with a collection agency: the practice does not write as well"
            }
            CodeMeaning::Dispute => "the patient disputes the bill",
            CodeMeaning::DoNotMail => "marked do-not-mail",
            CodeMeaning::BadAddress => "the address is known to be bad",
            CodeMeaning::InsurancePending => "insurance is still pending",
            CodeMeaning::PaymentPlan => {
                "the account is on a payment plan in good standing: its plan statements go instead of a letter"
            }
            CodeMeaning::PaymentPosted => {
                "a payment was posted after the export was made: the balance in the export may already be paid"
            }
        }
    }

    /// A meaning for the codes billing systems commonly write, for
    /// `kindly mapping suggest`; a person confirms it.
    pub fn guess(code: &str) -> Option<CodeMeaning> {
        let c: String = code
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect();
        const KNOWN: &[(CodeMeaning, &[&str])] = &[
            (
                CodeMeaning::Bankruptcy,
                &["BK", "BANKRUPT", "BANKRUPTCY", "BKRPT", "CH7", "CH13", "BK7", "BK13"],
            ),
            (CodeMeaning::Deceased, &["DECEASED", "EXPIRED", "DEAD", "DECD", "DEC"]),
            (CodeMeaning::Attorney, &["ATTY", "ATTORNEY", "LEGAL", "LAWYER"]),
            (
                CodeMeaning::WithAgency,
                &["COLL", "COLLECTIONS", "AGENCY", "AGCY", "COLLAGENCY", "SENTTOCOLL"],
            ),
            (CodeMeaning::Dispute, &["DISPUTE", "DISPUTED", "DSP", "DISP"]),
            (CodeMeaning::DoNotMail, &["NOMAIL", "DNM", "DONOTMAIL", "NOSTMT", "HOLDSTMT"]),
            (
                CodeMeaning::BadAddress,
                &["BADADDR", "BADADDRESS", "RTNMAIL", "RETURNEDMAIL", "UNDELIVERABLE", "RTS"],
            ),
            (CodeMeaning::InsurancePending, &["INSPEND", "INSPENDING", "INS", "PENDINGINS"]),
            (
                CodeMeaning::PaymentPlan,
                &["PLAN", "PP", "PAYPLAN", "PMTPLAN", "PAYMENTPLAN", "ONPLAN", "BUDGET"],
            ),
            (
                CodeMeaning::PaymentPosted,
                &["PMTPOSTED", "PAYMENTPOSTED", "PAIDAFTER", "PMTRCVD", "PAYMENTRECEIVED"],
            ),
            (CodeMeaning::None, &["ACTIVE", "OK", "NORMAL", "CURRENT", "OPEN"]),
        ];
        KNOWN.iter().find(|(_, codes)| codes.contains(&c.as_str())).map(|(meaning, _)| *meaning)
    }
}

impl Default for Input {
    fn default() -> Self {
        Input {
            date_formats: vec!["%Y-%m-%d".into(), "%m/%d/%Y".into(), "%m/%d/%y".into()],
            delimiter: Delimiter::Auto,
            encoding: Encoding::Auto,
            flags: FlagCodes::default(),
            hold_codes: BTreeMap::new(),
            max_field_length: 1000,
            duplicate_rows: DuplicateRows::Reject,
            age_buckets: Vec::new(),
            columns: Columns::default(),
            mapping_file: None,
            confidential: None,
        }
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
        FlagCodes {
            yes: codes(&["Y", "YES", "TRUE", "T", "1", "X"]),
            no: codes(&["N", "NO", "FALSE", "F", "0"]),
        }
    }
}

/// Where a field comes from: a column of the export (by its header), or a
/// fixed value for every row (`{ value = "en" }`). Two fields may also be
/// built from several columns: the guarantor's name from its parts
/// (`{ first = "First", middle = "MI", last = "Last", suffix = "Sfx" }`) or
/// from one column written `Last, First` (`{ last_first = "Patient" }`), and
/// hold codes from more than one column (`["Status", "Alert"]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Field {
    Column(String),
    Fixed {
        value: String,
    },
    Several(Vec<String>),
    LastFirst {
        last_first: String,
    },
    /// A yes/no field read from a column of amounts: any amount but zero
    /// is yes (`insurance_pending = { nonzero = "Ins Balance" }`).
    NonZero {
        nonzero: String,
    },
    Parts {
        first: String,
        #[serde(default)]
        middle: Option<String>,
        last: String,
        #[serde(default)]
        suffix: Option<String>,
    },
}

impl Field {
    /// The export's headers this field reads.
    pub fn headers(&self) -> Vec<&str> {
        match self {
            Field::Column(h)
            | Field::LastFirst { last_first: h }
            | Field::NonZero { nonzero: h } => vec![h],
            Field::Fixed { .. } => vec![],
            Field::Several(hs) => hs.iter().map(String::as_str).collect(),
            Field::Parts { first, middle, last, suffix } => {
                [Some(first), middle.as_ref(), Some(last), suffix.as_ref()]
                    .into_iter()
                    .flatten()
                    .map(String::as_str)
                    .collect()
            }
        }
    }
}

impl From<&str> for Field {
    fn from(header: &str) -> Field {
        Field::Column(header.to_string())
    }
}

/// What kind of value a field holds, for reading it and for telling, from a
/// sample of values, which column could hold it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Date,
    Amount,
    /// A yes/no column, read with `[input.flags]`.
    Flag,
    /// Short codes, read with `[input.hold_codes]`.
    Code,
}

/// One field of the export, as [`FIELDS`] lists it.
#[derive(Debug)]
pub struct FieldSpec {
    /// The field's name in `[input.columns]`.
    pub name: &'static str,
    pub required: bool,
    pub kind: FieldKind,
    /// Header spellings seen in real exports, compared without case, spaces
    /// or punctuation, best first (for `kindly mapping suggest`).
    pub seen: &'static [&'static str],
}

/// The export's fields, each written once: whether the config must name it,
/// the header kindly reads by default, what kind of value it holds, and the
/// headers real exports give it. From this one table come [`Columns`] (what
/// the config names), its default, [`Columns::map`] (the same fields holding
/// something else, such as where each is in one export's header, or one
/// row's text) and [`FIELDS`]. Adding a field is one line here.
macro_rules! export_fields {
    (
        required { $( $(#[$rdoc:meta])* $req:ident = $rdefault:literal, $rkind:ident, seen [$($rseen:literal),* $(,)?]; )* }
        optional { $( $(#[$odoc:meta])* $opt:ident = $odefault:expr, $okind:ident, seen [$($oseen:literal),* $(,)?]; )* }
    ) => {
        /// The source of each field kindly reads (`F` is a [`Field`] in the
        /// config). Optional fields may be left out when the export has no
        /// such column; the required ones must be named.
        #[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Columns<F = Field> {
            $( $(#[$rdoc])* pub $req: F, )*
            $( $(#[$odoc])* #[serde(default = "none")] pub $opt: Option<F>, )*
        }

        impl Default for Columns {
            fn default() -> Self {
                Columns { $( $req: Field::from($rdefault), )* $( $opt: default_header($odefault), )* }
            }
        }

        impl<F> Columns<F> {
            /// Each field in [`FIELDS`] order, `None` where an optional one is left out.
            pub fn each(&self) -> Vec<Option<&F>> {
                vec![ $( Some(&self.$req), )* $( self.$opt.as_ref(), )* ]
            }

            /// The same fields, each turned into something else by `f`.
            pub fn map<G>(&self, mut f: impl FnMut(&F) -> G) -> Columns<G> {
                Columns { $( $req: f(&self.$req), )* $( $opt: self.$opt.as_ref().map(&mut f), )* }
            }
        }

        /// Every field of the export, required ones first.
        pub const FIELDS: &[FieldSpec] = &[
            $( FieldSpec { name: stringify!($req), required: true, kind: FieldKind::$rkind, seen: &[$($rseen),*] }, )*
            $( FieldSpec { name: stringify!($opt), required: false, kind: FieldKind::$okind, seen: &[$($oseen),*] }, )*
        ];
    };
}

/// An optional field the config leaves out.
fn none<F>() -> Option<F> {
    None
}

fn default_header(header: Option<&str>) -> Option<Field> {
    header.map(Field::from)
}

export_fields! {
    required {
        account = "Account", Text, seen [
            "account", "accountnumber", "accountno", "acct", "acctno", "acctnum", "patientaccount",
            "guarantoraccount", "accountid", "patientaccountnumber",
        ];
        guarantor = "Guarantor", Text, seen [
            "guarantor", "guarantorname", "responsibleparty", "responsible", "respname", "responsiblename",
            "resppartyname", "guarname", "patientname", "billto", "name", "fullname",
        ];
        address1 = "Address 1", Text, seen [
            "address1", "address", "addr1", "addrline1", "addressline1", "street", "street1", "mailingaddress",
        ];
        city = "City", Text, seen ["city", "town"];
        state = "State", Text, seen ["state", "st", "province"];
        zip = "ZIP", Text, seen ["zip", "zipcode", "postalcode", "postcode", "zip5"];
    }
    optional {
        /// Date of service; in a one-row-per-account export, the oldest unpaid
        /// service date. Required unless the export is an aging report
        /// (`[input] age_buckets`).
        service_date = Some("Service Date"), Date, seen [
            "servicedate", "dos", "dateofservice", "svcdate", "oldestdos", "oldestservicedate", "date",
        ];
        address2 = Some("Address 2"), Text, seen [
            "address2", "addr2", "addrline2", "addressline2", "street2", "apt", "suite",
        ];
        description = Some("Description"), Text, seen [
            "description", "procdesc", "servicedescription", "service", "desc", "procedure",
        ];
        charge = Some("Charge"), Amount, seen [
            "charge", "charges", "amtbilled", "billed", "chargeamount", "amount", "fee",
        ];
        payments = Some("Payments"), Amount, seen [
            "payments", "payment", "paid", "amtpaid", "paymentamount", "pmts", "pmt", "receipts", "receipt",
            "patientpaid", "ptpaid",
        ];
        adjustments = Some("Adjustments"), Amount, seen [
            "adjustments", "adjustment", "adj", "adjamt", "adjs", "writeoff", "writeoffs", "wo", "contractual",
        ];
        /// Open balance of the row; used instead of charge minus payments and
        /// adjustments when the export has it.
        balance = None, Amount, seen [
            "patbalance", "ptbalance", "patientbalance", "patientresponsibility", "patresp", "patportion",
            "patientportion", "patientshare", "patshare", "guarbalance", "respbalance", "balance", "balancedue",
            "amountdue", "openbalance", "due",
        ];
        language = Some("Language"), Text, seen ["language", "lang", "preferredlanguage"];
        /// The patient the account is for, where the guarantor is someone
        /// else (a parent): a household letter lists each account under it.
        patient = None, Text, seen ["patient", "patientname", "patientfullname", "patientfirstlast", "ptname"];
        /// The guarantor's name in Latin letters, where the billing system
        /// keeps one beside a name in another script: the address window
        /// prints it, the letter greets the name as written.
        guarantor_latin = None, Text, seen [
            "guarantorlatin", "latinname", "namelatin", "romanizedname", "nameinlatin", "englishname",
        ];
        insurance_pending = Some("Insurance Pending"), Flag, seen [
            "insurancepending", "inspending", "inspend", "pendinginsurance",
        ];
        dispute = Some("Dispute"), Flag, seen ["dispute", "disputed", "disputeflag", "indispute"];
        do_not_mail = Some("Do Not Mail"), Flag, seen [
            "donotmail", "nomail", "donotsend", "returnedmail", "badaddress",
        ];
        /// Flag for patients who asked for large print (16 pt).
        large_print = None, Flag, seen ["largeprint", "largetype"];
        /// The good-faith estimate a self-pay patient was given for the
        /// account's care (No Surprises Act), on any of its rows.
        good_faith_estimate = None, Amount, seen [
            "goodfaithestimate", "gfe", "gfeamount", "estimate", "estimatedcharges", "gfetotal",
        ];
        /// Status or hold codes (`BK`, `DECEASED`...), read with
        /// `[input.hold_codes]`; a list of headers reads several columns.
        /// When the account last paid (an aging report's "Last Pay Date"):
        /// never a service date.
        last_payment_date = None, Date, seen [
            "lastpaydate", "lastpaymentdate", "lastpmtdate", "lastpaid", "lastpayment", "lastpmt",
        ];
        /// A confidential address the patient asked for, where the billing
        /// system keeps one (see [`crate::confidential`]): the account's
        /// letters go only there. With `confidential_address1`, the city,
        /// state and ZIP columns are needed too; the name is optional.
        confidential_name = None, Text, seen ["confidentialname", "altname", "alternatename"];
        confidential_address1 = None, Text, seen [
            "confidentialaddress", "confidentialaddress1", "altaddress1", "alternateaddress1",
        ];
        confidential_address2 = None, Text, seen [
            "confidentialaddress2", "altaddress2", "alternateaddress2",
        ];
        confidential_city = None, Text, seen ["confidentialcity", "altcity", "alternatecity"];
        confidential_state = None, Text, seen ["confidentialstate", "altstate", "alternatestate"];
        confidential_zip = None, Text, seen ["confidentialzip", "altzip", "alternatezip"];
        hold_code = None, Code, seen [
            "holdcode", "status", "statuscode", "accountstatus", "acctstatus", "alert", "alertcode", "hold",
            "flag", "collectionstatus",
        ];
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

/// `[lint]` in the config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LintConfig {
    /// Highest Flesch-Kincaid grade allowed for English wording.
    pub max_grade_en: f64,
    /// Lowest Fernández-Huerta reading ease allowed for Spanish wording
    /// (0 to 100, higher is easier; 60 to 70 reads as "normal", about 8th grade).
    pub min_ease_es: f64,
    /// Phrases no letter may contain: threats the practice does not make.
    pub forbidden: Vec<String>,
    /// Phrases about credit reporting, allowed only where reporting can happen.
    pub credit_reporting: Vec<String>,
    /// Credit reporting cannot happen below this balance...
    pub credit_reporting_min_balance: Cents,
    /// ...for debts younger than this many days...
    pub credit_reporting_min_days: i64,
    /// ...or for patients in these states.
    pub credit_reporting_banned_states: Vec<String>,
    /// Words that thank the patient, by language.
    pub thanks: BTreeMap<String, Vec<String>>,
    /// Words that name financial assistance, by language.
    pub assistance: BTreeMap<String, Vec<String>>,
}

impl Default for LintConfig {
    fn default() -> Self {
        let words = |en: &[&str], es: &[&str]| {
            BTreeMap::from([
                ("en".to_string(), en.iter().map(|s| s.to_string()).collect()),
                ("es".to_string(), es.iter().map(|s| s.to_string()).collect()),
            ])
        };
        LintConfig {
            max_grade_en: 8.0,
            min_ease_es: 60.0,
            forbidden: [
                "arrest",
                "jail",
                "prison",
                "police",
                "garnish",
                "lawsuit",
                "sue you",
                "take you to court",
                "arresto",
                "cárcel",
                "policía",
                "embargo de salario",
                "demanda judicial",
                "demandarle",
            ]
            .map(String::from)
            .to_vec(),
            credit_reporting: [
                "credit report",
                "credit bureau",
                "credit score",
                "credit history",
                "credit rating",
                "reporte de crédito",
                "buró de crédito",
                "historial de crédito",
                "puntaje de crédito",
            ]
            .map(String::from)
            .to_vec(),
            credit_reporting_min_balance: Cents::from_dollars(500),
            credit_reporting_min_days: 365,
            credit_reporting_banned_states: ["CO", "NY", "CA"].map(String::from).to_vec(),
            thanks: words(&["thank"], &["gracias"]),
            assistance: words(&["financial assistance"], &["asistencia financiera"]),
        }
    }
}

impl LintConfig {
    /// Whether credit reporting can happen for this balance, age and state.
    pub fn credit_reporting_possible(
        &self,
        balance: Cents,
        days_past_due: i64,
        state: &str,
    ) -> bool {
        balance >= self.credit_reporting_min_balance
            && days_past_due >= self.credit_reporting_min_days
            && !self
                .credit_reporting_banned_states
                .iter()
                .any(|s| s.eq_ignore_ascii_case(state.trim()))
    }

    /// The first credit-reporting phrase in a text, if any.
    pub fn credit_language<'a>(&'a self, text: &str) -> Option<&'a str> {
        let lower = text.to_lowercase();
        self.credit_reporting.iter().map(String::as_str).find(|p| lower.contains(&p.to_lowercase()))
    }
}

/// What a new practice's config (`kindly init`) says where the practice's
/// own words must go.
pub const EDIT_ME: &str = "EDIT ME";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("the config file {path} has a problem: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("cannot read the mapping file {path}: {source}")]
    ReadMapping { path: PathBuf, source: std::io::Error },
    #[error("the mapping file {path} has a problem: {message}")]
    InvalidMapping { path: PathBuf, message: String },
}

impl Config {
    /// Reads a config file; relative paths inside it are taken from the
    /// file's own folder so the run does not depend on the current directory.
    pub fn load(path: &Path) -> Result<(Config, Vec<u8>), ConfigError> {
        let bytes = std::fs::read(path)
            .map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        let invalid = |message: String| ConfigError::Invalid { path: path.to_path_buf(), message };
        let text =
            std::str::from_utf8(&bytes).map_err(|e| invalid(format!("not UTF-8 text ({e})")))?;
        let mut config: Config = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.layouts = base.join(&config.layouts);
        config.ledger.path = config.ledger.path.map(|p| base.join(p));
        config.mailing.confidential_addresses =
            config.mailing.confidential_addresses.map(|p| base.join(p));
        config.check_settings().map_err(invalid)?;
        Ok((config, bytes))
    }

    /// Replaces the `[input]` section with a mapping file: the same settings,
    /// at its top level. Returns the file's bytes, for the run record.
    pub fn use_mapping(&mut self, path: &Path) -> Result<Vec<u8>, ConfigError> {
        let read = |source| ConfigError::ReadMapping { path: path.to_path_buf(), source };
        let bytes = std::fs::read(path).map_err(read)?;
        // A mapping file holds the [input] settings at its top level: its
        // messages name its own sections.
        let invalid = |message: String| ConfigError::InvalidMapping {
            path: path.to_path_buf(),
            message: message
                .replace("[input.columns]", "[columns]")
                .replace("[input.flags]", "[flags]")
                .replace("[input.hold_codes]", "[hold_codes]")
                .replace("[input] ", ""),
        };
        let text =
            std::str::from_utf8(&bytes).map_err(|e| invalid(format!("not UTF-8 text ({e})")))?;
        // Confidential addresses are the practice's, not the mapping's.
        let confidential = self.input.confidential.take();
        self.input = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        self.input.mapping_file = Some(path.to_path_buf());
        self.input.confidential = confidential;
        self.check_settings().map_err(invalid)?;
        Ok(bytes)
    }

    /// Settings that each parse but do not make sense, or not together:
    /// the first one found, in the words of the config file.
    fn check_settings(&self) -> Result<(), String> {
        self.check_policy()?;
        if self.payment_plans.months.contains(&0) {
            return Err("[payment_plans] months must be 1 or more".into());
        }
        self.check_input()?;
        self.check_vendor()?;
        trials::check(&self.trials)?;
        self.language_access.check()?;
        if self.print.max_pages == 0 || self.vendor.postage.sheets_per_ounce == 0 {
            return Err(
                "[print] max_pages and [vendor.postage] sheets_per_ounce must be 1 or more".into(),
            );
        }
        Ok(())
    }

    /// Stages in order, the 501(r) reply period, no negative spacing.
    fn check_policy(&self) -> Result<(), String> {
        let p = &self.policy;
        let ascending = [
            p.reminder_after_days,
            p.plan_offer_after_days,
            p.assistance_after_days,
            p.final_notice_after_days,
        ];
        if ascending.windows(2).any(|w| w[0] > w[1]) || ascending[0] < 0 {
            let [reminder, plan, assistance, last] = ascending;
            return Err(format!(
                "[policy] stage days must be 0 or more and rise: reminder_after_days <= plan_offer_after_days <= \
                 assistance_after_days <= final_notice_after_days, but they are {reminder}, {plan}, {assistance} and {last}"
            ));
        }
        if p.irs_501r && p.final_notice_reply_days < IRS_501R_REPLY_DAYS {
            return Err(format!(
                "[policy] irs_501r = true needs final_notice_reply_days = {IRS_501R_REPLY_DAYS} or more \
                 (the final notice gives 30 days before any extraordinary collection action)"
            ));
        }
        if p.min_days_between_letters < 0 || p.days_between_stages < 0 {
            return Err(
                "[policy] min_days_between_letters and days_between_stages cannot be negative"
                    .into(),
            );
        }
        Ok(())
    }

    /// Dates readable, what is owed and how old it is findable, each field
    /// read in a way its kind allows, fields long enough for addresses.
    fn check_input(&self) -> Result<(), String> {
        if self.input.date_formats.is_empty() {
            return Err("[input] date_formats needs at least one format".into());
        }
        let c = &self.input.columns;
        let buckets = &self.input.age_buckets;
        if c.balance.is_none() && c.charge.is_none() && buckets.is_empty() {
            return Err("[input.columns] needs either `charge` or `balance`".into());
        }
        match (&c.service_date, buckets.is_empty()) {
            (None, true) => {
                return Err(
                    "[input.columns] needs `service_date` (or, for an aging report, [input] age_buckets)".into()
                );
            }
            (Some(_), false) => {
                return Err(
                    "[input] age_buckets reads an aging report, which has no service dates: leave \
                            [input.columns] service_date out"
                        .into(),
                );
            }
            _ => {}
        }
        for bucket in buckets {
            bucket.span()?;
        }
        Self::check_column_kinds(c)?;
        if self.input.max_field_length < 100 {
            return Err("[input] max_field_length must be at least 100 (bytes): real addresses are that long".into());
        }
        Ok(())
    }

    /// The first column setting that reads its field in a way the field's
    /// kind does not allow (a list of columns for a name, say).
    fn check_column_kinds(c: &Columns) -> Result<(), String> {
        let only = |field: &str, allowed: bool, what: &str| -> Result<(), String> {
            if allowed { Ok(()) } else { Err(format!("[input.columns] {field}: {what}")) }
        };
        for (spec, field) in FIELDS.iter().zip(c.each()) {
            let Some(field) = field else { continue };
            match field {
                Field::Several(headers) => {
                    let listed = spec.kind == FieldKind::Code
                        || ["payments", "adjustments"].contains(&spec.name);
                    only(
                        spec.name,
                        listed,
                        "only hold_code, payments and adjustments can read a list of columns",
                    )?;
                    only(spec.name, !headers.is_empty(), "the list of columns is empty")?;
                }
                Field::NonZero { .. } => only(
                    spec.name,
                    spec.kind == FieldKind::Flag,
                    "only a yes/no field (insurance_pending, dispute, do_not_mail, large_print) can be read from a \
                     column of amounts",
                )?,
                Field::LastFirst { .. } => only(
                    spec.name,
                    ["guarantor", "patient"].contains(&spec.name),
                    "only guarantor and patient can be read as \"Last, First\"",
                )?,
                Field::Parts { .. } => only(
                    spec.name,
                    spec.name == "guarantor",
                    "only guarantor can be built from name parts",
                )?,
                Field::Column(_) | Field::Fixed { .. } => {}
            }
        }
        Ok(())
    }

    /// A return address, and what the vendor's format needs of it and of
    /// where it prints addresses.
    fn check_vendor(&self) -> Result<(), String> {
        if self.practice.address.is_empty() {
            return Err("[practice] address needs at least one line".into());
        }
        if self.vendor.format != VendorFormat::Generic {
            let format = self.vendor.format.name();
            self.practice
                .return_address()
                .map_err(|e| format!("[vendor] format = {format:?}: {e}"))?;
            if let Some(max) = self.vendor.field_limits().name
                && self.practice.name.chars().count() > max
            {
                return Err(format!(
                    "[practice] name is {} characters; {} takes at most {max} in the return address",
                    self.practice.name.chars().count(),
                    self.vendor.format.title()
                ));
            }
        }
        for (format, placement) in [
            ("lob", &self.vendor.lob.address_placement),
            ("postgrid", &self.vendor.postgrid.address_placement),
        ] {
            if placement != vendor::INSERT_BLANK_PAGE {
                return Err(format!(
                    "[vendor.{format}] address_placement = {placement:?}: kindly's letters print both addresses \
                     themselves, in the envelope's windows, and the vendor would print its own over them \
                     ({:?} prints over the top of the first page). Use {:?}: the vendor adds a page for the \
                     addresses, one sheet more per piece, counted in sheets and postage",
                    vendor::TOP_FIRST_PAGE,
                    vendor::INSERT_BLANK_PAGE
                ));
            }
        }
        Ok(())
    }

    /// The `[practice]` settings that still read "EDIT ME", as `kindly init`
    /// wrote them: a run refuses to print them on letters.
    pub fn unfilled(&self) -> Vec<&'static str> {
        let p = &self.practice;
        let edit_me = |text: &str| text.contains(EDIT_ME);
        let settings = [
            ("[practice] name", edit_me(&p.name)),
            ("[practice] address", p.address.iter().any(|l| edit_me(l))),
            ("[practice] phone", edit_me(&p.phone)),
            ("[practice] hours", edit_me(&p.hours)),
            ("[practice] portal", edit_me(&p.portal)),
            ("[practice] assistance", edit_me(&p.assistance)),
            ("[practice] signer", edit_me(&p.signer)),
            ("[practice] signer_title", edit_me(&p.signer_title)),
            ("[practice] payment_link", p.payment_link.as_deref().is_some_and(edit_me)),
        ];
        settings.into_iter().filter(|(_, unfilled)| *unfilled).map(|(name, _)| name).collect()
    }

    /// Whether the run writes combined print files: when `[print]` asks,
    /// and always for a vendor that takes only those.
    pub fn combined_print(&self) -> bool {
        self.print.combined || self.vendor.format.needs_combined()
    }
}

/// The practice's mailing address in the fields a vendor's upload takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReturnAddress {
    pub name: String,
    pub street: Vec<String>,
    pub city: String,
    pub state: String,
    pub zip: String,
}

impl Practice {
    /// `[practice] address` read as street lines and a last line
    /// `City, ST 12345`, which vendors take as separate fields.
    pub fn return_address(&self) -> Result<ReturnAddress, String> {
        let (last, street) =
            self.address.split_last().ok_or("[practice] address needs at least one line")?;
        let bad = || {
            format!(
                "the last line of [practice] address must read \"City, ST 12345\" for the vendor's files, not {last:?}"
            )
        };
        let (city, rest) = last.rsplit_once(',').ok_or_else(bad)?;
        let mut words = rest.split_whitespace();
        let (Some(state), Some(zip), None) = (words.next(), words.next(), words.next()) else {
            return Err(bad());
        };
        if state.len() != 2 || !state.chars().all(|c| c.is_ascii_uppercase()) || street.is_empty() {
            return Err(bad());
        }
        Ok(ReturnAddress {
            name: self.name.clone(),
            street: street.to_vec(),
            city: city.trim().to_string(),
            state: state.to_string(),
            zip: zip.to_string(),
        })
    }
}

#[cfg(test)]
mod tests;
