//! Writing each letter: the facts the layout prints (as JSON data) and the
//! wording of its body (Typst markup from the stage's template).
//!
//! Wording templates are minijinja, strict about undefined values, and every
//! value they print is escaped for Typst here, in the one formatter, so a
//! patient named `#panic()` or `*]_$` prints literally whatever the template
//! does.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use minijinja::value::{Serde, Value};
use minijinja::{Environment, Error as TemplateError, ErrorKind, UndefinedBehavior};
use serde::Serialize;

use crate::config::{Assigned, Config, NameCase, NoticePlacement, Practice, Rect, Trial};
use crate::layouts::Layouts;
use crate::model::{Account, Aged, Charge};
use crate::money::Cents;
use crate::policy::Stage;

/// The language whose wording is used when an account's preferred language
/// has none.
pub const FALLBACK_LANGUAGE: &str = "en";

/// Everything the layout needs to print one letter. Serialized as the
/// letter's `/data.json`, and the context of its wording template.
#[derive(Debug, Clone, Serialize)]
pub struct Letter {
    pub piece: String,
    pub stage: Stage,
    pub stage_number: u8,
    /// The language of the wording used.
    pub language: String,
    pub date: String,
    pub account: String,
    pub name: String,
    /// Recipient block: name, street lines, city/state/ZIP line.
    pub recipient: Vec<String>,
    pub zip: String,
    pub practice: Practice,
    /// Every service of every account in the letter.
    pub items: Vec<Item>,
    /// The accounts in the letter, each with its services: one, or a
    /// household's several.
    pub accounts: Vec<AccountPart>,
    /// The accounts whose own stage is the letter's (in a household's
    /// letter, the others are at an earlier stage).
    pub leading_accounts: Vec<String>,
    pub balance: String,
    pub due_date: String,
    /// Only on a final notice.
    pub reply_by: Option<String>,
    pub plans: Vec<PaymentPlan>,
    pub windows: Windows,
    /// Body text at 16 pt for patients who asked for large print.
    pub large_print: bool,
    /// The address the letter's QR code opens, if the practice has one.
    pub payment_link: Option<String>,
    /// Whether this debt could be reported to a credit bureau at all (balance,
    /// age and state, per `[lint]`); wording may mention it only then.
    pub credit_reporting_possible: bool,
    /// An aging report's letter: what is owed by age, not by service.
    pub by_age: bool,
    /// Whether the language-assistance notice follows the letter, on a page
    /// of its own (`[language_access]`, placed in the letter).
    pub language_notice: bool,
    /// When the account last paid, where the export says.
    pub last_payment: Option<String>,
    /// The layout's fixed words in the letter's language.
    pub labels: BTreeMap<String, String>,
    /// The wording trial's variant the letter is in, if a trial tries its
    /// stage. Not in the letter's data: the wording is the variant's.
    #[serde(skip)]
    pub wording: Option<Assigned>,
}

/// The files one letter is laid out from: what compose hands to render.
#[derive(Debug, Clone)]
pub struct LetterFiles {
    /// The letter's facts as JSON, read by the layout as data.
    pub data: Vec<u8>,
    /// The wording, as Typst markup with every value escaped.
    pub body: String,
    /// The QR code image, if the letter has one.
    pub qr: Option<Vec<u8>>,
    /// The PDF's title. kindly sets it rather than the layout: a per-letter
    /// `set document(title: ..)` would differ in every letter's styles and
    /// stop Typst from reusing any layout from one letter to the next.
    pub title: String,
}

/// The files Typst lays a letter out from.
pub fn files(letter: &Letter, body: String) -> Result<LetterFiles, ComposeError> {
    Ok(LetterFiles {
        data: serde_json::to_vec(letter).map_err(|e| ComposeError::Data(e.to_string()))?,
        body,
        qr: letter.payment_link.as_deref().map(qr_png).transpose()?,
        title: format!("{} – {}", letter.practice.name, letter.piece),
    })
}

/// One account of a letter, as a household's letter lists it.
#[derive(Debug, Clone, Serialize)]
pub struct AccountPart {
    pub account: String,
    /// The patient's name, or the guarantor's where the export has none.
    pub patient: String,
    /// The letter this account alone would have got.
    pub stage: Stage,
    /// Whether its stage is the letter's.
    pub leading: bool,
    pub balance: String,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub date: String,
    pub description: String,
    pub charge: String,
    pub credits: String,
    pub balance: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentPlan {
    pub months: u32,
    pub monthly: String,
}

/// Envelope window geometry for the layout, in inches.
#[derive(Debug, Clone, Serialize)]
pub struct Windows {
    #[serde(rename = "return")]
    pub return_: Rect,
    pub recipient: Rect,
    /// Clearance plus the insert's slide: how far inside each window the
    /// address block starts.
    pub inset: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("the wording template {template} has a problem: {message}")]
    Template { template: String, message: String },
    #[error(
        "there is no wording for the {stage} letter{trial}: add {expected} to the layouts folder"
    )]
    NoWording { stage: Stage, expected: String, trial: String },
    #[error("{file} has a problem: {message}")]
    Labels { file: String, message: String },
    #[error("cannot make a QR code for {link}: {message}")]
    Qr { link: String, message: String },
    #[error("cannot write the letter's data: {0}")]
    Data(String),
}

/// The fixed words of the layout and how dates are written, in one language:
/// `wording/<language>/labels.toml`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Labels {
    /// How a date is written, with `{day}`, `{month}` and `{year}`.
    date_format: String,
    months: [String; 12],
    #[serde(flatten)]
    words: BTreeMap<String, String>,
}

impl Labels {
    /// "November 30, 2026", "30 de noviembre de 2026".
    pub fn date(&self, date: NaiveDate) -> String {
        self.date_format
            .replace("{day}", &date.day().to_string())
            .replace("{month}", &self.months[date.month0() as usize])
            .replace("{year}", &date.year().to_string())
    }

    /// "31 to 60 days", "91 days or more": a span of an aging report.
    pub fn days(&self, from: u32, to: Option<u32>) -> String {
        let word = |key: &str| self.words.get(key).cloned().unwrap_or_default();
        match to {
            Some(to) => word("days_from_to")
                .replace("{from}", &from.to_string())
                .replace("{to}", &to.to_string()),
            None => word("days_or_more").replace("{from}", &from.to_string()),
        }
    }
}

/// The wording templates of a layouts folder, parsed once per process.
pub struct Wording {
    env: Environment<'static>,
    labels: BTreeMap<String, Labels>,
}

impl Wording {
    /// The wording of `layouts`, checked to have every stage's letter, and
    /// every variant of every trial, in every language.
    pub fn new(
        layouts: &Layouts,
        trials: &BTreeMap<String, Trial>,
    ) -> Result<Wording, ComposeError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_formatter(typst_formatter);
        let mut languages = BTreeSet::new();
        for (name, source) in &layouts.wording {
            env.add_template_owned(name.clone(), source.clone())
                .map_err(|e| template_error(name, &e, None))?;
            if let Some((language, _)) = name.split_once('/') {
                languages.insert(language.to_string());
            }
        }
        languages.insert(FALLBACK_LANGUAGE.to_string());
        let mut labels = BTreeMap::new();
        for language in languages {
            let file = format!("{}/{language}/labels.toml", crate::layouts::WORDING_DIR);
            let problem = |message: String| ComposeError::Labels { file: file.clone(), message };
            let text = layouts
                .labels
                .get(&language)
                .ok_or_else(|| problem("the file is missing".into()))?;
            labels.insert(language, toml::from_str(text).map_err(|e| problem(e.to_string()))?);
        }
        let wording = Wording { env, labels };
        for language in wording.labels.keys() {
            for stage in Stage::ALL {
                wording.template_name(language, stage, None)?;
            }
            for (name, trial) in trials {
                for variant in trial.variants.keys() {
                    let assigned = Assigned { trial: name.clone(), variant: variant.clone() };
                    wording.template_name(language, trial.stage, Some(&assigned))?;
                }
            }
        }
        Ok(wording)
    }

    /// Languages that have wording, e.g. `en`.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.labels.keys().map(String::as_str)
    }

    /// The language a letter is written in, and its labels: the patient's
    /// preferred language when the layouts have wording for it.
    pub fn language_for<'a>(&'a self, preferred: &'a str) -> (&'a str, &'a Labels) {
        match self.labels.get_key_value(preferred) {
            Some((language, labels)) => (language, labels),
            None => (FALLBACK_LANGUAGE, &self.labels[FALLBACK_LANGUAGE]),
        }
    }

    /// The template of `stage`'s letter in `language`, in the trial's
    /// variant `wording` if it has one.
    fn template_name(
        &self,
        language: &str,
        stage: Stage,
        wording: Option<&Assigned>,
    ) -> Result<String, ComposeError> {
        let stem = crate::config::template_stem(stage, wording);
        let name = format!("{language}/{stem}.typ.j2");
        match self.env.get_template(&name) {
            Ok(_) => Ok(name),
            Err(_) => Err(ComposeError::NoWording {
                stage,
                expected: format!("{}/{name}", crate::layouts::WORDING_DIR),
                trial: wording.map(|w| format!(" (the trial {w} needs it)")).unwrap_or_default(),
            }),
        }
    }

    /// Renders the body markup of a letter.
    pub fn body(&self, letter: &Letter) -> Result<String, ComposeError> {
        let name = self.template_name(&letter.language, letter.stage, letter.wording.as_ref())?;
        let template = self.env.get_template(&name).map_err(|e| template_error(&name, &e, None))?;
        template.render(Value::from(Serde(letter))).map_err(|e| {
            // An error in an included template comes wrapped in "could not
            // render include": the included file's own line is the one to fix.
            let mut inner = &e;
            while let Some(next) =
                std::error::Error::source(inner).and_then(|s| s.downcast_ref::<TemplateError>())
            {
                inner = next;
            }
            template_error(inner.name().unwrap_or(&name), inner, self.values_there(inner, letter))
        })
    }

    /// After a template failed on an undefined value (a typo such as `nmae`,
    /// or `practice.phnoe`): the values there are at that place, so the
    /// message says what to write instead.
    fn values_there(&self, error: &TemplateError, letter: &Letter) -> Option<String> {
        if error.kind() != ErrorKind::UndefinedError {
            return None;
        }
        let template = self.env.get_template(error.name()?).ok()?;
        let data = serde_json::to_value(letter).ok()?;
        let mut unknown: Vec<String> = template
            .undeclared_variables(true)
            .into_iter()
            .filter(|path| path.split('.').try_fold(&data, |value, key| value.get(key)).is_none())
            .filter(|path| {
                let first = path.split('.').next().unwrap_or_default();
                first != "loop" && !self.env.globals().any(|(global, _)| global == first)
            })
            .collect();
        unknown.sort();
        let path = unknown.first()?;
        // The deepest part of the path that exists, and what it holds.
        let (mut parent, mut found) = (Vec::new(), &data);
        for key in path.split('.') {
            let Some(value) = found.get(key) else { break };
            parent.push(key);
            found = value;
        }
        let keys: Vec<&str> = found.as_object()?.keys().map(String::as_str).collect();
        let holder = match parent.as_slice() {
            [] => "a letter has".to_string(),
            _ => format!("`{}` has", parent.join(".")),
        };
        Some(format!("the values {holder} are {}", keys.join(", ")))
    }
}

/// The error of template `name`, with its line, and after it `values`: what
/// there is where a value was not found.
fn template_error(name: &str, e: &TemplateError, values: Option<String>) -> ComposeError {
    let mut message = e.to_string();
    if let Some(line) = e.line() {
        message = format!("line {line}: {message}");
    }
    if let Some(values) = values {
        message = format!("{message}: {values}");
    }
    ComposeError::Template { template: format!("{}/{name}", crate::layouts::WORDING_DIR), message }
}

/// Prints every value as literal Typst text. An empty value is an error: a
/// letter that says "Dear ," is worse than no letter.
fn typst_formatter(
    out: &mut minijinja::Output,
    _state: &mut minijinja::State,
    value: &Value,
) -> Result<(), TemplateError> {
    if value.is_undefined() || value.is_none() {
        return Err(TemplateError::new(
            ErrorKind::UndefinedError,
            "this value is empty for this letter",
        ));
    }
    out.write_str(&escape(&value.to_string()))
        .map_err(|_| TemplateError::new(ErrorKind::WriteFailure, "write"))
}

/// Escapes text for Typst markup: every ASCII symbol gets a backslash (Typst
/// reads `\x` as a literal `x` for any symbol), and line breaks become spaces
/// so a value can never start a heading, list or comment on a new line.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for ch in text.chars() {
        if ch.is_ascii_punctuation() {
            out.push('\\');
            out.push(ch);
        } else if ch.is_whitespace() {
            out.push(' ');
        } else if !ch.is_control() {
            out.push(ch);
        }
    }
    out
}

/// Image pixels per QR module: exact at any size when printed unsmoothed
/// (the layout asks for that), and still crisp where a viewer smooths.
const QR_PIXELS_PER_MODULE: u32 = 4;

/// A QR code for a link, as a black-and-white PNG with no quiet zone (the
/// layout leaves white space around it). A PNG rather than SVG: the PDF gets
/// one small image instead of hundreds of paths, which made letters with a
/// QR code about 20% slower to lay out and write. qrcodegen rather than the
/// qrcode crate: both choose the mask the QR standard asks for (the lowest
/// penalty of all eight), qrcodegen three times as fast (0.13 vs 0.38 ms).
pub fn qr_png(link: &str) -> Result<Vec<u8>, ComposeError> {
    let failed = |message: String| ComposeError::Qr { link: link.to_string(), message };
    let code = qrcodegen::QrCode::encode_binary(link.as_bytes(), qrcodegen::QrCodeEcc::Medium)
        .map_err(|e| failed(e.to_string()))?;
    let (modules, scale) = (code.size() as usize, QR_PIXELS_PER_MODULE as usize);
    let side = modules * scale;
    // One bit per pixel, 1 = white, each row padded to a whole byte. Each
    // row of modules is drawn into its first row of pixels, which the
    // module's other rows then copy.
    let row_bytes = side.div_ceil(8);
    let mut pixels = vec![0u8; row_bytes * side];
    for (y, rows) in pixels.chunks_exact_mut(row_bytes * scale).enumerate() {
        let (first, copies) = rows.split_at_mut(row_bytes);
        for x in (0..modules).filter(|&x| !code.get_module(x as i32, y as i32)) {
            for pixel in x * scale..(x + 1) * scale {
                first[pixel / 8] |= 0x80 >> (pixel % 8);
            }
        }
        copies.chunks_exact_mut(row_bytes).for_each(|row| row.copy_from_slice(first));
    }
    // Typst decodes the PNG back to pixels before writing the PDF, so how
    // hard it is compressed changes nothing in the letter, only the time.
    let gray = (png::ColorType::Grayscale, png::BitDepth::One);
    crate::png_file::encode(
        &pixels,
        (side as u32, side as u32),
        gray,
        png::DeflateCompression::FdeflateUltraFast,
    )
    .map_err(|e| failed(format!("cannot encode the QR code as PNG: {e}")))
}

/// The plans offered for a balance: each configured length whose monthly
/// payment stays at or above the configured minimum.
pub fn plans(balance: Cents, config: &Config) -> Vec<PaymentPlan> {
    let plans = &config.payment_plans;
    plans
        .months
        .iter()
        .map(|&months| (months, balance.div_ceil(i64::from(months))))
        .filter(|(_, monthly)| *monthly >= plans.minimum_monthly)
        .map(|(months, monthly)| PaymentPlan { months, monthly: monthly.to_string() })
        .collect()
}

/// The services of one account, as the letter lists them: by date, each
/// under its patient's name where the account is several patients'. An
/// aging report's account lists what is owed by age instead, youngest
/// first, with what insurance is expected to pay last.
fn items(account: &Account, labels: &Labels, case: NameCase) -> Vec<Item> {
    let mut charges: Vec<_> = account.charges.iter().collect();
    let order = |c: &Charge| match c.aged {
        Some(Aged::Days { from_days, .. }) => (0, i64::from(from_days), c.service_date, c.line),
        Some(Aged::InsuranceShare) => (1, 0, c.service_date, c.line),
        None => (0, 0, c.service_date, c.line),
    };
    charges.sort_by_key(|c| order(c));
    let patients: BTreeSet<&str> =
        charges.iter().map(|c| c.patient.as_str()).filter(|p| !p.is_empty()).collect();
    let word = |key: &str| labels.words.get(key).cloned().unwrap_or_default();
    charges
        .into_iter()
        .map(|c| {
            let (date, description) = match c.aged {
                Some(Aged::Days { from_days, to_days }) => {
                    (labels.days(from_days, to_days), word("owed_for_that_time"))
                }
                Some(Aged::InsuranceShare) => (String::new(), word("insurance_share")),
                // A one-row-per-account export has no description.
                None if c.description.is_empty() => {
                    (c.service_date.format("%m/%d/%Y").to_string(), word("balance_forward"))
                }
                None if patients.len() > 1 => (
                    c.service_date.format("%m/%d/%Y").to_string(),
                    format!("{}: {}", case.print(&c.patient), c.description),
                ),
                None => (c.service_date.format("%m/%d/%Y").to_string(), c.description.clone()),
            };
            let charge = if c.aged == Some(Aged::InsuranceShare) {
                String::new()
            } else {
                c.charge.to_string()
            };
            Item {
                date,
                description,
                charge,
                credits: (-c.credits).to_string(),
                balance: c.balance.to_string(),
            }
        })
        .collect()
}

/// The stage of one envelope's letter: the most advanced of its accounts'.
pub fn envelope_stage(accounts: &[(Account, Stage)]) -> Stage {
    accounts.iter().map(|(_, stage)| *stage).max().unwrap_or(Stage::Reminder)
}

/// Whether one envelope's letter is in large print: if any of its
/// accounts asked for it.
pub fn envelope_large_print(accounts: &[(Account, Stage)]) -> bool {
    accounts.iter().any(|(account, _)| account.flags.large_print)
}

/// Builds the letter data for the accounts of one envelope that are due a
/// letter, each with its own stage: one account, or a household's (one
/// guarantor at one address). A household's letter is at the most advanced
/// of their stages, lists each account's services under the patient's name
/// with its balance, and states one total.
pub fn letter(
    accounts: &[(Account, Stage)],
    piece: &str,
    (language, labels): (&str, &Labels),
    as_of: NaiveDate,
    config: &Config,
) -> Letter {
    let policy = &config.policy;
    let (first, _) = &accounts[0];
    let stage = envelope_stage(accounts);
    let guarantor = &first.guarantor;
    let address = &guarantor.address;
    let case = config.letters.names;
    let name = case.print(&guarantor.name);
    let mut recipient = vec![case.print(guarantor.window_name())];
    recipient.extend(address.street.iter().map(|line| case.print(line)));
    recipient.push(format!("{}, {} {}", case.print(&address.city), address.state, address.zip));
    let reply_by = (stage == Stage::FinalNotice)
        .then(|| as_of + chrono::Duration::days(policy.final_notice_reply_days));
    let due = reply_by.unwrap_or(as_of + chrono::Duration::days(policy.payment_due_days));
    let balance: Cents = accounts.iter().map(|(a, _)| a.balance()).sum();
    let parts: Vec<AccountPart> = accounts
        .iter()
        .map(|(account, own)| AccountPart {
            account: account.id.clone(),
            patient: case.print(if account.patient.is_empty() {
                &guarantor.name
            } else {
                &account.patient
            }),
            stage: *own,
            leading: *own == stage,
            balance: account.balance().to_string(),
            items: items(account, labels, case),
        })
        .collect();
    let reportable = accounts.iter().all(|(account, _)| {
        let age = crate::policy::oldest_unpaid(account).map_or(0, |d| (as_of - d).num_days());
        config.lint.credit_reporting_possible(account.balance(), age, &address.state)
    });
    Letter {
        piece: piece.to_string(),
        stage,
        stage_number: stage.number(),
        language: language.to_string(),
        date: labels.date(as_of),
        account: parts.iter().map(|p| p.account.as_str()).collect::<Vec<_>>().join(", "),
        name,
        recipient,
        zip: address.zip.clone(),
        practice: config.practice.in_language(language),
        items: parts.iter().flat_map(|p| p.items.iter().cloned()).collect(),
        leading_accounts: parts.iter().filter(|p| p.leading).map(|p| p.account.clone()).collect(),
        accounts: parts,
        balance: balance.to_string(),
        due_date: labels.date(due),
        reply_by: reply_by.map(|d| labels.date(d)),
        plans: plans(balance, config),
        windows: Windows {
            return_: config.vendor.return_window,
            recipient: config.vendor.recipient_window,
            inset: config.vendor.clearance + config.vendor.tolerance,
        },
        large_print: envelope_large_print(accounts),
        // The first account's link: a practice's portal shows the
        // guarantor's other accounts beside it.
        payment_link: config
            .practice
            .payment_link
            .as_ref()
            .map(|link| link.replace("{account}", &first.id)),
        credit_reporting_possible: reportable,
        by_age: accounts.iter().any(|(a, _)| a.charges.iter().any(|c| c.aged.is_some())),
        language_notice: config.language_access.placed() == Some(NoticePlacement::InLetter),
        last_payment: accounts
            .iter()
            .filter_map(|(a, _)| a.last_payment)
            .max()
            .map(|d| labels.date(d)),
        labels: labels.words.clone(),
        wording: crate::config::assign(&config.trials, stage, &first.id),
    }
}

#[cfg(test)]
mod tests;
