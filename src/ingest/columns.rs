//! Where each field of the export is (one column, several, a name split
//! over columns, a fixed value) and how a row becomes a charge.

use chrono::NaiveDate;

use crate::config::{Columns, Field, Input};
use crate::model::{Address, Charge, Flags, Guarantor, HoldCode, IssueKind, Reversal, STATES};
use crate::money::Cents;

use super::aging::{Bucket, aged_charges, read_aged};
use super::cells::{Cells, Note, Problems, Row, natural_order, without_invisible};
use super::medical_codes;
use super::scan::{Credits, credit_columns, read_credits};
use super::values::{is_zip, normalise_language, parse_date, parse_flag, zip_plus_four};

#[derive(Debug)]
pub(super) struct Parsed {
    pub(super) account: String,
    pub(super) guarantor: Guarantor,
    pub(super) patient: String,
    pub(super) language: String,
    pub(super) flags: Flags,
    pub(super) codes: Vec<HoldCode>,
    /// The row's service; an aging report's row gives one line per span of
    /// days that holds money (see `aged_charges`).
    pub(super) charges: Vec<Charge>,
    pub(super) last_payment: Option<NaiveDate>,
    /// What was mended in the row, for warnings.csv.
    pub(super) warnings: Vec<Note>,
    pub(super) reversals: Vec<Reversal>,
    pub(super) estimate: Option<Cents>,
    /// Where what is owed on the row was read from, and as written there:
    /// the balance column, or the credit columns that were not empty.
    pub(super) owed_written: (String, String),
}

/// Where one field comes from in this export: a column by its position, a
/// fixed value, or several columns (see [`Field`]).
#[derive(Debug, Clone)]
pub(super) enum Source {
    At(usize),
    /// A yes/no read from a column of amounts (see `Field::NonZero`).
    NonZero(usize),
    Fixed(String),
    Several(Vec<usize>),
    LastFirst(usize),
    Parts {
        first: usize,
        middle: Option<usize>,
        last: usize,
        suffix: Option<usize>,
    },
}

/// Where each configured field comes from in this export.
pub(super) type ColumnLayout = Columns<Source>;

impl ColumnLayout {
    /// Header names match ignoring case and surrounding spaces. Every column
    /// the config names must exist; a missing one is reported by name.
    pub(super) fn find(columns: &Columns, names: &[String]) -> Result<ColumnLayout, String> {
        let mut missing = Vec::new();
        let mut at = |wanted: &String| match names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(wanted.trim()))
        {
            Some(at) => at,
            None => {
                missing.push(format!("{wanted:?}"));
                0
            }
        };
        let layout = columns.map(|field| match field {
            Field::Fixed { value } => Source::Fixed(value.clone()),
            Field::Column(wanted) => Source::At(at(wanted)),
            Field::Several(wanted) => Source::Several(wanted.iter().map(&mut at).collect()),
            Field::LastFirst { last_first } => Source::LastFirst(at(last_first)),
            Field::NonZero { nonzero } => Source::NonZero(at(nonzero)),
            Field::Parts { first, middle, last, suffix } => Source::Parts {
                first: at(first),
                middle: middle.as_ref().map(&mut at),
                last: at(last),
                suffix: suffix.as_ref().map(&mut at),
            },
        });
        if missing.is_empty() { Ok(layout) } else { Err(missing.join(", ")) }
    }

    pub(super) fn account_id(&self, row: &Row) -> Option<String> {
        let id = match &self.account {
            Source::At(i) => without_invisible(row.fields.decode(row.record.get(*i)?).ok()?.trim()),
            Source::Fixed(value) => value.clone(),
            _ => return None,
        };
        (!id.is_empty()).then_some(id)
    }

    pub(super) fn parse(
        &self,
        row: &Row,
        input: &Input,
        (as_of, credits, buckets): (NaiveDate, &Credits, &[Bucket]),
    ) -> Result<Parsed, Problems> {
        let mut problems = Problems::default();
        let width = row.names.len();
        let len = row.record.len();
        if len < width {
            problems.add(
                IssueKind::FieldCount,
                "",
                "",
                format!("the row has {len} fields but the header has {width}; a delimiter or quote may be missing"),
            );
            return Err(problems);
        }
        if row.record.iter().skip(width).any(|f| !f.iter().all(u8::is_ascii_whitespace)) {
            problems.add(
                IssueKind::FieldCount,
                "",
                "",
                format!("the row has {len} fields but the header has {width}"),
            );
            return Err(problems);
        }

        let name = |source: &Source| match source {
            Source::At(i) | Source::LastFirst(i) | Source::NonZero(i) => row.names[*i].clone(),
            Source::Parts { first, last, .. } => {
                format!("{} + {}", row.names[*first], row.names[*last])
            }
            Source::Several(at) => {
                at.iter().map(|i| row.names[*i].as_str()).collect::<Vec<_>>().join(" + ")
            }
            Source::Fixed(_) => "(fixed value)".to_string(),
        };
        let mut cells = Cells {
            row,
            max_length: input.max_field_length,
            problems,
            warnings: Problems::default(),
            read: Vec::new(),
        };
        let t = self.map(|source| cells.text(source));
        let codes =
            self.hold_code.as_ref().map(|s| cells.codes(s, &input.hold_codes)).unwrap_or_default();
        // Each credit column on its own: its amount, and its own sign.
        let mut credit_cells = |source: &Option<Source>| -> Vec<(Option<usize>, String)> {
            match source {
                Some(Source::Fixed(value)) => vec![(None, value.clone())],
                other => {
                    credit_columns(other).into_iter().map(|i| (Some(i), cells.cell(i))).collect()
                }
            }
        };
        let (payment_cells, adjustment_cells) =
            (credit_cells(&self.payments), credit_cells(&self.adjustments));
        let Cells { mut problems, mut warnings, .. } = cells;
        let description = t.description.map(|written| match medical_codes::without_codes(&written) {
            Some(plain) => {
                let column = self.description.as_ref().map(&name).unwrap_or_default();
                warnings.add(
                    IssueKind::CodeRemoved,
                    &column,
                    &written,
                    format!("the procedure or diagnosis code was taken out; the letter prints {plain:?}"),
                );
                plain
            }
            None => written,
        });
        let (account, guarantor, city, state, service_date) =
            (t.account, t.guarantor, t.city, t.state, t.service_date);
        let zip = zip_plus_four(t.zip);

        if account.is_empty() {
            problems.add(IssueKind::MissingAccount, &name(&self.account), "", "no account number");
        }
        if guarantor.is_empty() {
            problems.add(
                IssueKind::MissingGuarantor,
                &name(&self.guarantor),
                "",
                "no guarantor name",
            );
        }
        if !state.is_empty() && !STATES.contains(&state.to_ascii_uppercase().as_str()) {
            problems.add(
                IssueKind::UnknownState,
                &name(&self.state),
                &state,
                "not a US state or territory code",
            );
        }
        if !zip.is_empty() && !is_zip(&zip) {
            problems.add(
                IssueKind::BadZip,
                &name(&self.zip),
                &zip,
                "a ZIP code is 5 digits, or 5 and 4 (97477-1234)",
            );
        }
        // An aging report has no service dates: its spans of days say how
        // old what is owed is (see `aged` below).
        let date = match (&self.service_date, service_date) {
            (Some(source), Some(text)) => match parse_date(&text, &input.date_formats) {
                Ok(d) if d > as_of => {
                    problems.add(
                        IssueKind::ServiceAfterAsOf,
                        &name(source),
                        &text,
                        format!("the service is dated after the run's as-of date {as_of}"),
                    );
                    None
                }
                Ok(d) => Some(d),
                Err(reason) => {
                    problems.add(IssueKind::BadDate, &name(source), &text, reason);
                    None
                }
            },
            _ => Some(as_of),
        };
        let last_payment = match (&self.last_payment_date, t.last_payment_date.as_deref()) {
            (Some(source), Some(text)) if !text.is_empty() => {
                match parse_date(text, &input.date_formats) {
                    Ok(d) => Some(d),
                    Err(reason) => {
                        problems.add(IssueKind::BadDate, &name(source), text, reason);
                        None
                    }
                }
            }
            _ => None,
        };
        let aged = read_aged(buckets, row, &mut problems);
        let column_of = |source: &Option<Source>, at: Option<usize>| {
            at.map_or_else(
                || source.as_ref().map(&name).unwrap_or_default(),
                |i| row.names[i].clone(),
            )
        };
        let credit_written: Vec<(String, String)> = (payment_cells
            .iter()
            .map(|(at, v)| (column_of(&self.payments, *at), v)))
        .chain(adjustment_cells.iter().map(|(at, v)| (column_of(&self.adjustments, *at), v)))
        .map(|(c, v)| (c, v.clone()))
        .collect();
        let payments = read_credits(
            payment_cells,
            &self.payments.as_ref().map(&name),
            row.names,
            &mut problems,
        );
        let adjustments = read_credits(
            adjustment_cells,
            &self.adjustments.as_ref().map(&name),
            row.names,
            &mut problems,
        );
        let mut money = |at: &Option<Source>, value: Option<&String>| -> Option<Cents> {
            let (Some(source), Some(v)) = (at, value) else { return Some(Cents::ZERO) };
            if v.is_empty() {
                return Some(Cents::ZERO);
            }
            Cents::parse_amount(v)
                .map_err(|e| problems.add(IssueKind::BadAmount, &name(source), v, e.to_string()))
                .ok()
        };
        let charge_amount = money(&self.charge, t.charge.as_ref());
        let open_balance = money(&self.balance, t.balance.as_ref());
        // A blank balance reads as nothing owed, which lowers a letter's
        // total or holds the account (as `blank_balance`, not as paid):
        // safe, but staff should know the export left it out. A row with
        // neither charge nor balance (a payment on a row of its own) is not
        // meant to have one.
        let balance_blank = t.balance.as_deref() == Some("")
            && (self.charge.is_none() || charge_amount.is_some_and(|c| c != Cents::ZERO));
        if let Some(source) = self.balance.as_ref().filter(|_| balance_blank) {
            warnings.add(
                IssueKind::BlankBalance,
                &name(source),
                "",
                "the balance is blank, so it is read as nothing owed; check the account in the billing system",
            );
        }
        let estimate = t.good_faith_estimate.as_ref().filter(|v| !v.is_empty());
        let estimate = estimate.and_then(|v| money(&self.good_faith_estimate, Some(v)));
        let mut flag = |at: &Option<Source>, value: Option<&String>| -> bool {
            let (Some(source), Some(v)) = (at, value) else { return false };
            let read = match source {
                Source::NonZero(_) if v.is_empty() => Ok(false),
                Source::NonZero(_) => {
                    Cents::parse_amount(v).map(|amount| amount != Cents::ZERO).map_err(|e| {
                        format!("{e}; this yes/no is read from a column of amounts (nonzero = ...)")
                    })
                }
                _ => parse_flag(v, &input.flags),
            };
            read.map_err(|reason| problems.add(IssueKind::BadFlag, &name(source), v, reason))
                .unwrap_or(false)
        };
        let flags = Flags {
            insurance_pending: flag(&self.insurance_pending, t.insurance_pending.as_ref()),
            dispute: flag(&self.dispute, t.dispute.as_ref()),
            do_not_mail: flag(&self.do_not_mail, t.do_not_mail.as_ref()),
            large_print: flag(&self.large_print, t.large_print.as_ref()),
        };
        let (
            Some(service_date),
            Some(charge_amount),
            Some(payments),
            Some(adjustments),
            Some(open_balance),
            Some(aged),
        ) = (date, charge_amount, payments, adjustments, open_balance, aged)
        else {
            return Err(problems);
        };
        if !problems.0.is_empty() {
            return Err(problems);
        }
        // Exports disagree on the sign of payments and adjustments; written
        // the way the rest of the export writes them, both reduce what is
        // owed, and written the other way they are reversals.
        let mut reversals = Vec::new();
        let (charge, credits, balance) = match &self.balance {
            Some(source) => {
                let charge = if self.charge.is_some() { charge_amount } else { open_balance };
                // Credits mapped beside a balance are not read, but a balance
                // that is not the charge less them says a column is wrong.
                let taken: Cents =
                    payments.iter().chain(&adjustments).map(|(_, c, _)| Cents(c.0.abs())).sum();
                let mapped = !(payments.is_empty() && adjustments.is_empty());
                if self.charge.is_some() && mapped && charge - taken != open_balance {
                    warnings.add(
                        IssueKind::BalanceDiffers,
                        &name(source),
                        t.balance.as_deref().unwrap_or_default(),
                        format!(
                            "the balance is not the charge {charge} less payments and adjustments {taken} ({}); \
                             the letter states the balance",
                            charge - taken
                        ),
                    );
                }
                (charge, charge - open_balance, open_balance)
            }
            None => {
                let mut credit = |(at, amount, text): (Option<usize>, Cents, String),
                                  source: &Option<Source>| {
                    let taken_off = Cents(amount.0.abs());
                    if !credits.of(at).is_reversal(amount) || amount == Cents::ZERO {
                        return taken_off;
                    }
                    let column = at.map_or_else(
                        || source.as_ref().map(&name).unwrap_or_default(),
                        |i| row.names[i].clone(),
                    );
                    reversals.push(Reversal { line: row.line, column, value: text });
                    -taken_off
                };
                let paid: Cents = payments.into_iter().map(|c| credit(c, &self.payments)).sum();
                let adjusted: Cents =
                    adjustments.into_iter().map(|c| credit(c, &self.adjustments)).sum();
                let credits = paid + adjusted;
                (charge_amount, credits, charge_amount - credits)
            }
        };
        let owed_written = match &self.balance {
            Some(source) => (name(source), t.balance.clone().unwrap_or_default()),
            None => {
                let written: Vec<(String, String)> =
                    credit_written.into_iter().filter(|(_, v)| !v.is_empty()).collect();
                let columns =
                    written.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>().join(" + ");
                let values =
                    written.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(" + ");
                (columns, values)
            }
        };
        let street = [t.address1, t.address2.unwrap_or_default()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
        let patient = t.patient.map(|p| natural_order(&p).unwrap_or(p)).unwrap_or_default();
        Ok(Parsed {
            owed_written,
            account,
            guarantor: Guarantor { name: guarantor, address: Address { street, city, state, zip } },
            language: normalise_language(&t.language.unwrap_or_default()),
            flags,
            codes,
            warnings: warnings.0,
            reversals,
            estimate,
            last_payment,
            charges: match buckets.is_empty() {
                true => vec![Charge {
                    line: row.line,
                    service_date,
                    description: description.unwrap_or_default(),
                    charge,
                    credits,
                    balance,
                    balance_blank,
                    aged: None,
                    patient: patient.clone(),
                }],
                false => aged_charges(
                    row.line,
                    as_of,
                    &aged,
                    self.balance.is_some().then_some(open_balance),
                    balance_blank,
                ),
            },
            patient,
        })
    }
}
