//! Where each field of the export is (one column, several, a name split
//! over columns, a fixed value) and how a row becomes a charge.

use chrono::NaiveDate;

use crate::config::{Columns, Field, Input};
use crate::model::{Address, Charge, Flags, Guarantor, HoldCode, IssueKind, Reversal, STATES};
use crate::money::Cents;

use super::aging::{Bucket, aged_charges, read_aged};
use super::cells::{Cells, Note, Problems, Row, natural_order, without_invisible};
use super::credits::{Credits, credit_columns, read_credits};
use super::medical_codes;
use super::source::Source;
use super::values::{normalise_language, parse_date, parse_flag, zip_plus_four};
use crate::usps::is_zip;

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
    /// The confidential name and address the row's own columns give, if
    /// any (`confidential_address1` and the rest).
    pub(super) confidential: Option<Guarantor>,
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

    /// Reads one row into its account's fields and charges, or the
    /// problems that reject it. Phases: the row's shape, its cells as text,
    /// who and where, dates, amounts and yes/no flags, then what is owed.
    pub(super) fn parse(
        &self,
        row: &Row,
        input: &Input,
        (as_of, credits, buckets): (NaiveDate, &Credits, &[Bucket]),
    ) -> Result<Parsed, Problems> {
        check_field_count(row)?;
        let mut cells = Cells {
            row,
            max_length: input.max_field_length,
            problems: Problems::default(),
            warnings: Problems::default(),
            read: Vec::new(),
            unprinted: Vec::new(),
        };
        let mut t = self.map(|source| cells.text(source));
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
        let written = Credited {
            payments: credit_cells(&self.payments),
            adjustments: credit_cells(&self.adjustments),
        };
        let Cells { problems, warnings, unprinted, .. } = cells;
        let mut r = Reading { layout: self, row, input, problems, warnings, unprinted };

        let description = t.description.take().map(|written| r.without_codes(written));
        let zip = zip_plus_four(std::mem::take(&mut t.zip));
        r.check_who_and_where(&t, &zip);
        let confidential = r.confidential(&mut t);
        let (service_date, last_payment) = r.dates(&t, as_of);
        let aged = read_aged(buckets, row, &mut r.problems);
        let owed = r.amounts(&t, written);
        let flags = r.flags(&t);
        let (Some(service_date), Some(owed), Some(aged)) = (service_date, owed, aged) else {
            return Err(r.problems);
        };
        if !r.problems.0.is_empty() {
            return Err(r.problems);
        }
        let settled = r.settle(owed, credits, &t);

        let street = [t.address1, t.address2.unwrap_or_default()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
        let patient = t.patient.map(|p| natural_order(&p).unwrap_or(p)).unwrap_or_default();
        let (city, state) = (t.city, t.state);
        Ok(Parsed {
            owed_written: settled.written,
            account: t.account,
            guarantor: Guarantor {
                name: t.guarantor,
                latin_name: t
                    .guarantor_latin
                    .filter(|n| !n.is_empty())
                    .map(|n| natural_order(&n).unwrap_or(n)),
                address: Address { street, city, state, zip },
            },
            language: normalise_language(&t.language.unwrap_or_default()),
            flags,
            codes,
            warnings: r.warnings.0,
            reversals: settled.reversals,
            estimate: settled.estimate,
            last_payment,
            confidential,
            charges: match buckets.is_empty() {
                true => vec![Charge {
                    line: row.line,
                    service_date,
                    description: description.unwrap_or_default(),
                    charge: settled.charge,
                    credits: settled.credits,
                    balance: settled.balance,
                    balance_blank: settled.balance_blank,
                    aged: None,
                    patient: patient.clone(),
                }],
                false => aged_charges(
                    row.line,
                    as_of,
                    &aged,
                    self.balance.is_some().then_some(settled.open_balance),
                    settled.balance_blank,
                ),
            },
            patient,
        })
    }
}

/// A row with fewer fields than the header, or more that are not blank,
/// has lost a delimiter or a quote: nothing in it can be trusted.
fn check_field_count(row: &Row) -> Result<(), Problems> {
    let (width, len) = (row.names.len(), row.record.len());
    let reason = if len < width {
        format!(
            "the row has {len} fields but the header has {width}; a delimiter or quote may be \
             missing"
        )
    } else if row.record.iter().skip(width).any(|f| !f.iter().all(u8::is_ascii_whitespace)) {
        format!("the row has {len} fields but the header has {width}")
    } else {
        return Ok(());
    };
    let mut problems = Problems::default();
    problems.add(IssueKind::FieldCount, "", "", reason);
    Err(problems)
}

/// The credit cells of a row as written: each payment and adjustment
/// column (or fixed value) with its text.
struct Credited {
    payments: Vec<(Option<usize>, String)>,
    adjustments: Vec<(Option<usize>, String)>,
}

/// A row's amounts, each read: its charge, its open balance, and each
/// payment and adjustment (column, amount, text).
struct Amounts {
    charge: Cents,
    open_balance: Cents,
    payments: Vec<(Option<usize>, Cents, String)>,
    adjustments: Vec<(Option<usize>, Cents, String)>,
    balance_blank: bool,
    estimate: Option<Cents>,
    /// The credit columns as written, (column, text), for `owed_written`.
    credits_written: Vec<(String, String)>,
}

/// What a row owes, worked out from its amounts.
struct Settled {
    charge: Cents,
    credits: Cents,
    balance: Cents,
    open_balance: Cents,
    balance_blank: bool,
    estimate: Option<Cents>,
    reversals: Vec<Reversal>,
    written: (String, String),
}

/// One row being read against the layout, with what is found wrong in it
/// (`problems`, which reject it) and what was mended (`warnings`).
struct Reading<'r, 'a> {
    layout: &'r ColumnLayout,
    row: &'r Row<'a>,
    input: &'r Input,
    problems: Problems,
    warnings: Problems,
    /// Cells read as empty for holding nothing that prints, with what they held.
    unprinted: Vec<(usize, String)>,
}

impl Reading<'_, '_> {
    /// The header name(s) a field is read from, for messages.
    fn name(&self, source: &Source) -> String {
        let names = self.row.names;
        match source {
            Source::At(i) | Source::LastFirst(i) | Source::NonZero(i) => names[*i].clone(),
            Source::Parts { first, last, .. } => format!("{} + {}", names[*first], names[*last]),
            Source::Several(at) => {
                at.iter().map(|i| names[*i].as_str()).collect::<Vec<_>>().join(" + ")
            }
            Source::Fixed(_) => "(fixed value)".to_string(),
        }
    }

    fn name_of(&self, source: &Option<Source>) -> String {
        source.as_ref().map(|s| self.name(s)).unwrap_or_default()
    }

    /// A service description without procedure or diagnosis codes, which
    /// a letter never prints.
    fn without_codes(&mut self, written: String) -> String {
        let Some(plain) = medical_codes::without_codes(&written) else { return written };
        let column = self.name_of(&self.layout.description);
        self.warnings.add(
            IssueKind::CodeRemoved,
            &column,
            &written,
            format!("the procedure or diagnosis code was taken out; the letter prints {plain:?}"),
        );
        plain
    }

    /// Rejects the row for an empty field that may not be empty. Where its
    /// cell was read as empty for holding only what prints as nothing
    /// (`U+0301`), the reject names what it held: the cell does not look
    /// empty where the office reads the export.
    fn missing(&mut self, kind: IssueKind, source: &Source, reason: &str) {
        let column = self.name(source);
        let held = match source {
            Source::At(i) | Source::LastFirst(i) | Source::NonZero(i) => {
                self.unprinted.iter().find(|(at, _)| at == i).map(|(_, held)| held.clone())
            }
            _ => None,
        };
        match held {
            Some(held) => self.problems.add(
                kind,
                &column,
                &held,
                format!("{reason}: the cell holds only {held}, which prints as nothing; type it again in the billing system"),
            ),
            None => self.problems.add(kind, &column, "", reason),
        }
    }

    /// Whose account it is and where its letter goes.
    fn check_who_and_where(&mut self, t: &Columns<String>, zip: &str) {
        let layout = self.layout;
        if t.account.is_empty() {
            self.missing(IssueKind::MissingAccount, &layout.account, "no account number");
        }
        if t.guarantor.is_empty() {
            self.missing(IssueKind::MissingGuarantor, &layout.guarantor, "no guarantor name");
        }
        let state = &t.state;
        if !state.is_empty() && !STATES.contains(&state.to_ascii_uppercase().as_str()) {
            let column = self.name(&layout.state);
            let reason = "not a US state or territory code";
            self.problems.add(IssueKind::UnknownState, &column, state, reason);
        }
        if !zip.is_empty() && !is_zip(zip) {
            let column = self.name(&layout.zip);
            let reason = "a ZIP code is 5 digits, or 5 and 4 (97477-1234)";
            self.problems.add(IssueKind::BadZip, &column, zip, reason);
        }
    }

    /// The confidential name and address of the row's own columns, if it
    /// gives one: every part of the address, or the row is rejected, since
    /// a letter to part of the address the patient asked for, or to the
    /// export's address instead, is a letter to the wrong place.
    fn confidential(&mut self, t: &mut Columns<String>) -> Option<Guarantor> {
        let layout = self.layout;
        let take = |field: &mut Option<String>| field.take().unwrap_or_default();
        let street1 = take(&mut t.confidential_address1);
        let street2 = take(&mut t.confidential_address2);
        let (city, state) = (take(&mut t.confidential_city), take(&mut t.confidential_state));
        let zip = zip_plus_four(take(&mut t.confidential_zip));
        let name = take(&mut t.confidential_name);
        let parts = [&street1, &street2, &city, &state, &zip];
        if parts.iter().all(|p| p.is_empty()) {
            return None;
        }
        // What else a filled part must be, if anything.
        type Check = fn(&str) -> Option<&'static str>;
        let any: Check = |_| None;
        let state_code: Check = |v| {
            (!STATES.contains(&v.to_ascii_uppercase().as_str()))
                .then_some("not a US state or territory code")
        };
        let zip_code: Check =
            |v| (!is_zip(v)).then_some("a ZIP code is 5 digits, or 5 and 4 (97477-1234)");
        let needed = [
            (&layout.confidential_address1, &street1, "no confidential street address", any),
            (&layout.confidential_city, &city, "no confidential city", any),
            (&layout.confidential_state, &state, "no confidential state", state_code),
            (&layout.confidential_zip, &zip, "no confidential ZIP code", zip_code),
        ];
        for (source, value, missing, check) in needed {
            let bad = match source {
                None => Some(format!("{missing} column in the mapping")),
                Some(_) if value.is_empty() => Some(missing.to_string()),
                Some(_) => check(value).map(str::to_string),
            };
            if let Some(reason) = bad {
                let column = source.as_ref().map(|s| self.name(s)).unwrap_or_default();
                let reason = format!(
                    "{reason}: the letter goes only to the confidential address, so every part of it is needed"
                );
                self.problems.add(IssueKind::ConfidentialAddress, &column, value, reason);
                return None;
            }
        }
        let street = [street1, street2].into_iter().filter(|s| !s.is_empty()).collect();
        Some(Guarantor {
            name,
            latin_name: None,
            address: Address { street, city, state: state.to_ascii_uppercase(), zip },
        })
    }

    /// The service date (the as-of date for an aging report, which has
    /// none: its spans of days say how old what is owed is) and the last
    /// payment's date.
    fn dates(
        &mut self,
        t: &Columns<String>,
        as_of: NaiveDate,
    ) -> (Option<NaiveDate>, Option<NaiveDate>) {
        let formats = &self.input.date_formats;
        let service = match (&self.layout.service_date, &t.service_date) {
            (Some(source), Some(text)) => match parse_date(text, formats) {
                Ok(d) if d > as_of => {
                    let column = self.name(source);
                    let reason = format!("the service is dated after the run's as-of date {as_of}");
                    self.problems.add(IssueKind::ServiceAfterAsOf, &column, text, reason);
                    None
                }
                Ok(d) => Some(d),
                Err(reason) => {
                    let column = self.name(source);
                    self.problems.add(IssueKind::BadDate, &column, text, reason);
                    None
                }
            },
            _ => Some(as_of),
        };
        let last_payment = match (&self.layout.last_payment_date, t.last_payment_date.as_deref()) {
            (Some(source), Some(text)) if !text.is_empty() => match parse_date(text, formats) {
                Ok(d) => Some(d),
                Err(reason) => {
                    let column = self.name(source);
                    self.problems.add(IssueKind::BadDate, &column, text, reason);
                    None
                }
            },
            _ => None,
        };
        (service, last_payment)
    }

    /// An amount; blank or not mapped is zero, unreadable is a problem.
    fn money(&mut self, at: &Option<Source>, value: Option<&String>) -> Option<Cents> {
        let (Some(source), Some(v)) = (at, value) else { return Some(Cents::ZERO) };
        if v.is_empty() {
            return Some(Cents::ZERO);
        }
        Cents::parse_amount(v)
            .map_err(|e| {
                let column = self.name(source);
                self.problems.add(IssueKind::BadAmount, &column, v, e.to_string())
            })
            .ok()
    }

    /// Every amount of the row, or None if one cannot be read.
    fn amounts(&mut self, t: &Columns<String>, written: Credited) -> Option<Amounts> {
        let layout = self.layout;
        let column_of = |source: &Option<Source>, at: Option<usize>| {
            at.map_or_else(|| self.name_of(source), |i| self.row.names[i].clone())
        };
        let credits_written: Vec<(String, String)> = (written.payments.iter())
            .map(|(at, v)| (column_of(&layout.payments, *at), v.clone()))
            .chain(
                (written.adjustments.iter())
                    .map(|(at, v)| (column_of(&layout.adjustments, *at), v.clone())),
            )
            .collect();
        let names = self.row.names;
        let payments = read_credits(
            written.payments,
            &layout.payments.as_ref().map(|s| self.name(s)),
            names,
            &mut self.problems,
        );
        let adjustments = read_credits(
            written.adjustments,
            &layout.adjustments.as_ref().map(|s| self.name(s)),
            names,
            &mut self.problems,
        );
        let charge = self.money(&layout.charge, t.charge.as_ref());
        let open_balance = self.money(&layout.balance, t.balance.as_ref());
        // A blank balance reads as nothing owed, which lowers a letter's
        // total or holds the account (as `blank_balance`, not as paid):
        // safe, but staff should know the export left it out. A row with
        // neither charge nor balance (a payment on a row of its own) is not
        // meant to have one.
        let balance_blank = t.balance.as_deref() == Some("")
            && (layout.charge.is_none() || charge.is_some_and(|c| c != Cents::ZERO));
        if let Some(source) = layout.balance.as_ref().filter(|_| balance_blank) {
            let column = self.name(source);
            self.warnings.add(
                IssueKind::BlankBalance,
                &column,
                "",
                "the balance is blank, so it is read as nothing owed; check the account in the \
                 billing system",
            );
        }
        let estimate = t.good_faith_estimate.as_ref().filter(|v| !v.is_empty());
        let estimate = estimate.and_then(|v| self.money(&layout.good_faith_estimate, Some(v)));
        Some(Amounts {
            charge: charge?,
            open_balance: open_balance?,
            payments: payments?,
            adjustments: adjustments?,
            balance_blank,
            estimate,
            credits_written,
        })
    }

    /// A yes/no; not mapped is no, unreadable is a problem.
    fn flag(&mut self, at: &Option<Source>, value: Option<&String>) -> bool {
        let (Some(source), Some(v)) = (at, value) else { return false };
        let read = match source {
            Source::NonZero(_) if v.is_empty() => Ok(false),
            Source::NonZero(_) => {
                Cents::parse_amount(v).map(|amount| amount != Cents::ZERO).map_err(|e| {
                    format!("{e}; this yes/no is read from a column of amounts (nonzero = ...)")
                })
            }
            _ => parse_flag(v, &self.input.flags),
        };
        read.map_err(|reason| {
            let column = self.name(source);
            self.problems.add(IssueKind::BadFlag, &column, v, reason)
        })
        .unwrap_or(false)
    }

    fn flags(&mut self, t: &Columns<String>) -> Flags {
        let layout = self.layout;
        Flags {
            insurance_pending: self.flag(&layout.insurance_pending, t.insurance_pending.as_ref()),
            dispute: self.flag(&layout.dispute, t.dispute.as_ref()),
            do_not_mail: self.flag(&layout.do_not_mail, t.do_not_mail.as_ref()),
            large_print: self.flag(&layout.large_print, t.large_print.as_ref()),
        }
    }

    /// What the row owes. Exports disagree on the sign of payments and
    /// adjustments; written the way the rest of the export writes them,
    /// both reduce what is owed, and written the other way they are
    /// reversals.
    fn settle(&mut self, a: Amounts, credits: &Credits, t: &Columns<String>) -> Settled {
        let layout = self.layout;
        let mut reversals = Vec::new();
        let (charge, taken, balance) = match &layout.balance {
            Some(source) => {
                let charge = if layout.charge.is_some() { a.charge } else { a.open_balance };
                // Credits mapped beside a balance are not read, but a balance
                // that is not the charge less them says a column is wrong.
                let taken: Cents =
                    a.payments.iter().chain(&a.adjustments).map(|(_, c, _)| Cents(c.0.abs())).sum();
                let mapped = !(a.payments.is_empty() && a.adjustments.is_empty());
                if layout.charge.is_some() && mapped && charge - taken != a.open_balance {
                    let column = self.name(source);
                    self.warnings.add(
                        IssueKind::BalanceDiffers,
                        &column,
                        t.balance.as_deref().unwrap_or_default(),
                        format!(
                            "the balance is not the charge {charge} less payments and adjustments \
                             {taken} ({}); the letter states the balance",
                            charge - taken
                        ),
                    );
                }
                (charge, charge - a.open_balance, a.open_balance)
            }
            None => {
                let mut credit = |(at, amount, text): (Option<usize>, Cents, String),
                                  source: &Option<Source>| {
                    let taken_off = Cents(amount.0.abs());
                    if !credits.of(at).is_reversal(amount) || amount == Cents::ZERO {
                        return taken_off;
                    }
                    let column =
                        at.map_or_else(|| self.name_of(source), |i| self.row.names[i].clone());
                    reversals.push(Reversal { line: self.row.line, column, value: text });
                    -taken_off
                };
                let paid: Cents = a.payments.into_iter().map(|c| credit(c, &layout.payments)).sum();
                let adjusted: Cents =
                    a.adjustments.into_iter().map(|c| credit(c, &layout.adjustments)).sum();
                let taken = paid + adjusted;
                (a.charge, taken, a.charge - taken)
            }
        };
        let written = match &layout.balance {
            Some(source) => (self.name(source), t.balance.clone().unwrap_or_default()),
            None => {
                let written: Vec<(String, String)> =
                    a.credits_written.into_iter().filter(|(_, v)| !v.is_empty()).collect();
                let columns =
                    written.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>().join(" + ");
                let values =
                    written.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(" + ");
                (columns, values)
            }
        };
        Settled {
            charge,
            credits: taken,
            balance,
            open_balance: a.open_balance,
            balance_blank: a.balance_blank,
            estimate: a.estimate,
            reversals,
            written,
        }
    }
}
