//! Aging reports: amounts in columns by age (0-30, 31-60...) read as
//! charges dated within their bucket.

use chrono::NaiveDate;

use crate::config::Input;
use crate::model::{Aged, Charge, IssueKind, Line};
use crate::money::Cents;

use super::cells::{Problems, Row, without_invisible};

/// An aging report's column of amounts, where it is in the header, and the
/// span of days it holds.
#[derive(Debug, Clone, Copy)]
pub(super) struct Bucket {
    pub(super) at: usize,
    pub(super) from_days: u32,
    pub(super) to_days: Option<u32>,
}

/// Where each of `[input] age_buckets` is in the header, or the headers
/// missing.
pub(super) fn find_buckets(input: &Input, names: &[String]) -> Result<Vec<Bucket>, String> {
    let mut missing = Vec::new();
    let mut found = Vec::new();
    for bucket in &input.age_buckets {
        let (from_days, to_days) = bucket.span()?;
        match names.iter().position(|n| n.eq_ignore_ascii_case(bucket.column().trim())) {
            Some(at) => found.push(Bucket { at, from_days, to_days }),
            None => missing.push(format!("{:?}", bucket.column())),
        }
    }
    if missing.is_empty() { Ok(found) } else { Err(missing.join(", ")) }
}

/// The amount in each of the row's age columns, or `None` with the
/// problems noted.
pub(super) fn read_aged(
    buckets: &[Bucket],
    row: &Row,
    problems: &mut Problems,
) -> Option<Vec<(Bucket, Cents)>> {
    let mut read = Some(Vec::new());
    for bucket in buckets {
        let text =
            row.record.get(bucket.at).and_then(|b| row.fields.decode(b).ok()).unwrap_or_default();
        let text = without_invisible(text.trim());
        match if text.is_empty() { Ok(Cents::ZERO) } else { Cents::parse_amount(&text) } {
            Ok(amount) => read.iter_mut().for_each(|r| r.push((*bucket, amount))),
            Err(e) => {
                problems.add(IssueKind::BadAmount, &row.names[bucket.at], &text, e.to_string());
                read = None;
            }
        }
    }
    read
}

/// An aging report's row as lines of the letter: one per span of days that
/// holds money, dated its start back from `as_of` (so the account's age is
/// its oldest such span), and, where the row states the patient's share
/// (`share`) apart from the spans' total, what insurance is expected to pay
/// as a credit. A row with nothing owed at all still gives one line, so
/// that it is counted.
pub(super) fn aged_charges(
    line: Line,
    as_of: NaiveDate,
    aged: &[(Bucket, Cents)],
    share: Option<Cents>,
    blank: bool,
) -> Vec<Charge> {
    let charge = |service_date: NaiveDate, amount: Cents, credits: Cents, aged: Aged| Charge {
        line,
        service_date,
        description: String::new(),
        charge: amount,
        credits,
        balance: amount - credits,
        balance_blank: blank && aged == Aged::InsuranceShare,
        aged: Some(aged),
        patient: String::new(),
    };
    let mut charges: Vec<Charge> = aged
        .iter()
        .filter(|(_, amount)| amount.0 != 0)
        .map(|(b, amount)| {
            let date = as_of - chrono::Duration::days(i64::from(b.from_days));
            charge(
                date,
                *amount,
                Cents::ZERO,
                Aged::Days { from_days: b.from_days, to_days: b.to_days },
            )
        })
        .collect();
    let total: Cents = aged.iter().map(|(_, amount)| *amount).sum();
    if let Some(share) = share.filter(|s| *s != total || blank) {
        charges.push(charge(as_of, Cents::ZERO, total - share, Aged::InsuranceShare));
    }
    if charges.is_empty() {
        let (from_days, to_days) =
            aged.first().map_or((0, None), |(b, _)| (b.from_days, b.to_days));
        charges.push(charge(as_of, Cents::ZERO, Cents::ZERO, Aged::Days { from_days, to_days }));
    }
    charges
}
