//! Payments and adjustments: the sign each credit column is written with
//! across the export, and a row's credit cells read as amounts.

use std::collections::BTreeMap;

use crate::model::IssueKind;
use crate::money::Cents;

use super::cells::Problems;
use super::source::Source;

/// The signs one credit column (payments or adjustments) is written with
/// across an export. A billing system writes every payment one way, negative
/// (`-20.00`, `(20.00)`) or positive, so a value written the other way is a
/// reversal or a refund, which adds to what is owed instead.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct CreditSigns {
    pub(super) negative: u64,
    pub(super) positive: u64,
}

impl CreditSigns {
    pub(super) fn count(&mut self, amount: Cents) {
        match amount.0.signum() {
            -1 => self.negative += 1,
            1 => self.positive += 1,
            _ => {}
        }
    }

    /// Whether `amount` has the export's less usual sign. With as many of
    /// each, positive counts as usual (two rows cannot say which is meant,
    /// and holding the negative ones errs towards no letter).
    pub(super) fn is_reversal(self, amount: Cents) -> bool {
        if self.negative > self.positive { amount.0 > 0 } else { amount.0 < 0 }
    }
}

/// The signs of each credit column (by its place in the header): a
/// practice may map payments to several columns (`InsPaid` and `PatPaid`),
/// and each is written its own way.
#[derive(Debug, Clone, Default)]
pub(super) struct Credits {
    pub(super) by_column: BTreeMap<usize, CreditSigns>,
}

impl Credits {
    pub(super) fn of(&self, column: Option<usize>) -> CreditSigns {
        column.and_then(|c| self.by_column.get(&c)).copied().unwrap_or_default()
    }
}

/// A credit field's amounts, each with its column (none for a fixed value)
/// and the text it was read from; `None`, with the problems noted, if one
/// is not an amount.
pub(super) fn read_credits(
    cells: Vec<(Option<usize>, String)>,
    field: &Option<String>,
    names: &[String],
    problems: &mut Problems,
) -> Option<Vec<(Option<usize>, Cents, String)>> {
    let mut read = Some(Vec::new());
    for (at, text) in cells {
        let amount = if text.is_empty() { Ok(Cents::ZERO) } else { Cents::parse_amount(&text) };
        match amount {
            Ok(amount) => read.iter_mut().for_each(|r| r.push((at, amount, text.clone()))),
            Err(e) => {
                let column =
                    at.map_or_else(|| field.clone().unwrap_or_default(), |i| names[i].clone());
                problems.add(IssueKind::BadAmount, &column, &text, e.to_string());
                read = None;
            }
        }
    }
    read
}

/// The columns a credit field (payments, adjustments) reads.
pub(super) fn credit_columns(source: &Option<Source>) -> Vec<usize> {
    match source {
        Some(Source::At(i)) => vec![*i],
        Some(Source::Several(at)) => at.clone(),
        _ => Vec::new(),
    }
}
