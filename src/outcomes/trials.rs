//! A wording trial read from the ledger: each variant against the trial's
//! baseline (`usual` where the trial has it), as differences with their
//! 95% intervals and one plain sentence a billing manager can act on.
//!
//! What it will not do is declare a winner from a p-value: the sentence
//! says what the interval shows, how many letters it took, and, while the
//! interval still holds no difference, about how many more letters would
//! show a difference worth acting on ([`WORTH_SHOWING`]). Every run's
//! report reads the trial again, and each reading is another chance for
//! luck to look like a difference; the sentence says how many runs it has
//! been read after, so that nobody stops a trial the first time it looks
//! good.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::stats::{self, Interval};
use super::{GroupTally, TOO_FEW};
use crate::config::baseline;
use crate::money::thousands;

/// The difference in a rate a practice would act on, in points: smaller
/// differences are not worth the change of wording and take tens of
/// thousands of letters to show.
pub const WORTH_SHOWING: f64 = 0.03;

/// Readings after which the sentence warns that the trial has been looked
/// at many times (each run's report is one).
const MANY_LOOKS: usize = 3;

/// A difference (variant less baseline) with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Difference {
    pub difference: f64,
    pub interval: Interval,
}

/// One variant of a trial against the trial's baseline.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub trial: String,
    pub baseline: String,
    pub variant: String,
    /// Letters with an outcome: the baseline's, the variant's.
    pub letters: (u64, u64),
    /// Differences in the share paid in full and followed by any payment
    /// (Newcombe's interval), and in dollars paid per letter, in cents
    /// (normal approximation of the difference of two means); None while
    /// either group has fewer than [`TOO_FEW`] letters.
    pub paid_in_full: Option<Difference>,
    pub any_payment: Option<Difference>,
    pub paid_per_letter_cents: Option<Difference>,
    /// The runs the trial's letters were read after (each report reads it).
    pub looks: usize,
    pub sentence: String,
}

/// Which runs' letters each trial's comparison read: its readings.
#[derive(Default)]
pub(super) struct Readings(BTreeMap<String, BTreeSet<u32>>);

impl Readings {
    /// A letter of `trial/variant` from run `run`.
    pub(super) fn add(&mut self, assigned: &str, run: u32) {
        let trial = assigned.split_once('/').map_or(assigned, |(t, _)| t);
        if let Some(runs) = self.0.get_mut(trial) {
            runs.insert(run);
        } else {
            self.0.insert(trial.to_string(), BTreeSet::from([run]));
        }
    }
}

/// Every variant of every trial against its trial's baseline, from the
/// tallies of the variants, by `trial/variant`.
pub(super) fn compare_all<'a>(
    variants: impl Iterator<Item = (&'a str, &'a GroupTally)>,
    readings: &Readings,
) -> Vec<Comparison> {
    let mut by_trial: BTreeMap<&str, BTreeMap<&str, &GroupTally>> = BTreeMap::new();
    for (assigned, tally) in variants {
        if let Some((trial, variant)) = assigned.split_once('/') {
            by_trial.entry(trial).or_default().insert(variant, tally);
        }
    }
    let mut out = Vec::new();
    for (trial, variants) in by_trial {
        let baseline = baseline(variants.keys().copied());
        let Some(base) = variants.get(baseline) else { continue };
        let looks = readings.0.get(trial).map_or(0, BTreeSet::len);
        for (variant, tally) in variants.iter().filter(|(v, _)| **v != baseline) {
            out.push(compare((trial, looks), (baseline, base), (variant, tally)));
        }
    }
    out
}

fn compare(
    (trial, looks): (&str, usize),
    (baseline, a): (&str, &GroupTally),
    (variant, b): (&str, &GroupTally),
) -> Comparison {
    let shown = a.letters >= TOO_FEW && b.letters >= TOO_FEW;
    let rate = |count: fn(&GroupTally) -> u64| {
        shown.then(|| {
            let (pa, pb) = (count(a) as f64 / a.letters as f64, count(b) as f64 / b.letters as f64);
            Difference {
                difference: pb - pa,
                interval: stats::rate_difference((count(a), a.letters), (count(b), b.letters)),
            }
        })
    };
    let any_payment = rate(|t| t.any_payment);
    let mut comparison = Comparison {
        trial: trial.to_string(),
        baseline: baseline.to_string(),
        variant: variant.to_string(),
        letters: (a.letters, b.letters),
        paid_in_full: rate(|t| t.paid_in_full),
        any_payment,
        paid_per_letter_cents: shown.then(|| mean_difference(a, b)),
        looks,
        sentence: String::new(),
    };
    comparison.sentence = sentence(&comparison, a);
    comparison
}

/// Dollars per letter, b less a, in cents, with the normal approximation
/// of the difference of two means (Welch's standard error): sound at the
/// group sizes a trial needs to show anything.
fn mean_difference(a: &GroupTally, b: &GroupTally) -> Difference {
    let (ma, va) = mean_and_variance(a);
    let (mb, vb) = mean_and_variance(b);
    let half = stats::Z95 * (va / a.letters as f64 + vb / b.letters as f64).sqrt();
    let d = mb - ma;
    Difference { difference: d, interval: Interval { low: d - half, high: d + half } }
}

fn mean_and_variance(t: &GroupTally) -> (f64, f64) {
    let n = t.letters as f64;
    let mean = t.paid.0 as f64 / n;
    let variance = ((t.paid.1 as f64) - n * mean * mean) / (n - 1.0).max(1.0);
    (mean, variance.max(0.0))
}

/// The plain sentence of a comparison, on the share of letters followed by
/// any payment.
fn sentence(c: &Comparison, baseline: &GroupTally) -> String {
    let (na, nb) = c.letters;
    let total = na + nb;
    let base_rate = if na == 0 { 0.5 } else { baseline.any_payment as f64 / na as f64 };
    let each = stats::letters_to_show(base_rate, WORTH_SHOWING);
    let points = WORTH_SHOWING * 100.0;
    let who = format!("{}, {} against {}", c.trial, c.variant, c.baseline);
    let mut text = match c.any_payment {
        None => format!(
            "{who}: too few letters yet ({na} and {nb}; {TOO_FEW} each at least); about \
             {} letters in all would show a {points:.0}-point difference in payments.",
            thousands(2 * each)
        ),
        Some(d) if d.interval.low > 0.0 || d.interval.high < 0.0 => {
            // Shown, but all of the interval under what is worth a change
            // of wording: a very large trial shows differences too small
            // to act on.
            let small = d.interval.low.abs().max(d.interval.high.abs()) < WORTH_SHOWING;
            let small = if small {
                format!(" The whole interval is under {points:.0} points: too small to act on.")
            } else {
                String::new()
            };
            format!(
                "{who}: {:.1} points {} letters followed by a payment, 95% interval {:.1} to \
                 {:.1}, from {} letters.{small}",
                d.difference.abs() * 100.0,
                if d.difference > 0.0 { "more" } else { "fewer" },
                d.interval.low * 100.0,
                d.interval.high * 100.0,
                thousands(total)
            )
        }
        Some(d) => {
            let more = (2 * each).saturating_sub(total);
            let then = if more == 0 {
                format!(
                    "with this many letters a difference of {points:.0} points would likely \
                     have shown, so the two are probably closer than that"
                )
            } else {
                format!(
                    "about {} more letters would show a {points:.0}-point difference",
                    thousands(more)
                )
            };
            format!(
                "{who}: no difference shown yet ({:+.1} points, 95% interval {:.1} to {:.1}, \
                 from {} letters); {then}.",
                d.difference * 100.0,
                d.interval.low * 100.0,
                d.interval.high * 100.0,
                thousands(total)
            )
        }
    };
    if c.looks >= MANY_LOOKS {
        text.push_str(&format!(
            " Read after {} runs: each reading is another chance for luck to look like a \
             difference, so judge the trial at the number of letters chosen when it began, \
             not the first time it looks good.",
            c.looks
        ));
    }
    text
}
