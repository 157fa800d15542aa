//! What earlier letters led to: for every letter the ledger holds, what the
//! next run of the same ledger saw of its account (paid in full, paid part,
//! no payment, a balance that grew, held later and why, returned, or not in
//! the next export), and the measures a practice asks of them, by stage,
//! language, print size, envelope and wording, each rate with its 95%
//! interval.
//!
//! Read from the ledger one account at a time ([`Ledger::each_account_history`]);
//! what is kept is one small tally per group. Outcomes are aggregates: no
//! name, address or account number is in them.
//!
//! How a letter's outcome is read, in this order (the first that holds):
//! 1. its piece was marked returned: **returned** (it never reached them);
//! 2. the next run has no row of the account: **absent** (paid and closed,
//!    sent to collections, moved, merged: the export does not say which, so
//!    it is never counted as paid);
//! 3. the next run holds it as `blank_balance`: **held later** (the balance
//!    is unknown, not zero);
//! 4. it owes nothing or is in credit: **paid in full**;
//! 5. the next run holds it for a reason that says something happened
//!    (dispute, payment plan, bankruptcy, insurance, do not mail...): **held
//!    later**, with the reason; holds that only follow from the letter
//!    itself (too soon for another, final notice sent, under the minimum,
//!    not yet due) do not count here;
//! 6. it owes less, or the export shows a payment dated after the letter's
//!    run: **paid part**;
//! 7. it owes more: **balance grew** (new charges);
//! 8. else **no payment**.
//!
//! Dollars paid are the fall in the balance (never below nothing); where new
//! charges came in the same month the export cannot tell them from a
//! smaller payment, so dollars paid are a floor. A letter of the ledger's
//! latest run has no next run yet: it is **pending** and counted apart.

mod stats;
mod trials;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::ledger::{AccountInRun, Ledger, LedgerError, LedgerRun};
use crate::money::Cents;
use crate::report::LookingBack;

pub use stats::{Interval, letters_to_show, rate_difference, wilson};
pub use trials::{Comparison, Difference, WORTH_SHOWING};

/// Fewer letters than this in a group show no rates: an interval from a
/// handful of letters is too wide to act on.
pub const TOO_FEW: u64 = 30;

/// Holds that follow from the letter itself, and say nothing of what the
/// patient did.
const ROUTINE_HOLDS: &[&str] = &[
    "too_soon",
    "final_notice_sent",
    "under_minimum",
    "not_yet_due",
    "zero_balance",
    "credit_balance",
];

/// What a letter led to, as the next run saw it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "reason")]
pub enum Outcome {
    PaidInFull,
    PaidPart,
    NoPayment,
    BalanceGrew,
    HeldLater(String),
    Returned,
    Absent,
}

impl Outcome {
    /// As the table and CSV name it.
    pub fn name(&self) -> String {
        match self {
            Outcome::PaidInFull => "paid in full".into(),
            Outcome::PaidPart => "paid part".into(),
            Outcome::NoPayment => "no payment".into(),
            Outcome::BalanceGrew => "balance grew".into(),
            Outcome::HeldLater(code) => format!("held later: {code}"),
            Outcome::Returned => "returned".into(),
            Outcome::Absent => "not in the next export".into(),
        }
    }
}

/// One letter and what it led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterOutcome {
    pub run: LedgerRun,
    /// What the letter grouped by: stage, language, print size, envelope,
    /// wording.
    pub groups: [(Dimension, String); 5],
    /// The balance the letter asked for.
    pub asked: Cents,
    /// The fall in the balance by the next run (a floor; see the module).
    pub paid: Cents,
    pub any_payment: bool,
    /// Runs from the letter to the first that saw a payment, if one did.
    pub runs_to_payment: Option<u32>,
    pub outcome: Outcome,
    /// The wording trial's variant, `trial/variant`, if it was in one.
    pub trial: Option<String>,
}

/// What letters are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    All,
    Stage,
    Language,
    PrintSize,
    Envelope,
    /// A stage's wording in a language, by its template's SHA-256: a
    /// change of wording starts a new group.
    Wording,
    /// A wording trial's variant, `trial/variant`.
    Trial,
}

impl Dimension {
    pub fn name(self) -> &'static str {
        match self {
            Dimension::All => "all letters",
            Dimension::Stage => "stage",
            Dimension::Language => "language",
            Dimension::PrintSize => "print size",
            Dimension::Envelope => "envelope",
            Dimension::Wording => "wording",
            Dimension::Trial => "trial",
        }
    }
}

/// The outcome of the letter at `history[at]`, given the ledger's runs
/// (`runs`, oldest first); None if it is not a letter, or its run is the
/// latest (pending).
pub fn outcome_of(
    history: &[AccountInRun],
    at: usize,
    runs: &[LedgerRun],
) -> Option<LetterOutcome> {
    let letter = history.get(at).filter(|e| e.letter)?;
    let next_run = runs.get(letter.run.number as usize)?;
    let next = history.get(at + 1).filter(|e| e.run == *next_run);
    let asked = letter.balance.unwrap_or(Cents::ZERO);
    let paid_by = |e: &AccountInRun| -> bool {
        e.balance.is_some_and(|b| b < asked) || e.last_payment.is_some_and(|d| d > letter.run.as_of)
    };
    let runs_to_payment = history[at + 1..]
        .iter()
        .find(|e| e.hold_code.as_deref() != Some("blank_balance") && paid_by(e))
        .map(|e| e.run.number - letter.run.number);
    let paid = next
        .filter(|e| e.hold_code.as_deref() != Some("blank_balance"))
        .and_then(|e| e.balance)
        .map_or(Cents::ZERO, |b| Cents((asked.0 - b.0.max(0)).max(0)));
    let outcome = classify(letter, next, asked);
    let any_payment = match &outcome {
        Outcome::Returned | Outcome::Absent => false,
        Outcome::HeldLater(code) if code == "blank_balance" => false,
        _ => next.is_some_and(paid_by),
    };
    let envelope = match letter.in_envelope {
        0 | 1 => "single",
        _ => "household",
    };
    let or_unknown = |v: &Option<String>| v.clone().unwrap_or_else(|| "not recorded".into());
    let stage = letter.stage.map_or("not recorded".into(), |s| s.id().to_string());
    // Twelve hex digits name a wording among a practice's few.
    let wording = letter.wording.as_ref().map(|sha| sha.chars().take(12).collect::<String>());
    let wording = wording.as_deref().unwrap_or("not recorded");
    let wording = format!("{stage} {} {wording}", or_unknown(&letter.language));
    Some(LetterOutcome {
        run: letter.run,
        groups: [
            (Dimension::Stage, stage),
            (Dimension::Language, or_unknown(&letter.language)),
            (Dimension::PrintSize, or_unknown(&letter.print_size)),
            (Dimension::Envelope, envelope.into()),
            (Dimension::Wording, wording),
        ],
        asked,
        paid,
        any_payment,
        runs_to_payment,
        outcome,
        trial: letter.trial_variant.clone(),
    })
}

fn classify(letter: &AccountInRun, next: Option<&AccountInRun>, asked: Cents) -> Outcome {
    if letter.returned {
        return Outcome::Returned;
    }
    let Some(next) = next else { return Outcome::Absent };
    let code = next.hold_code.as_deref().filter(|_| !next.letter);
    if code == Some("blank_balance") {
        return Outcome::HeldLater("blank_balance".into());
    }
    let owed = next.balance.unwrap_or(asked);
    if owed <= Cents::ZERO {
        return Outcome::PaidInFull;
    }
    if let Some(code) = code.filter(|c| !ROUTINE_HOLDS.contains(c)) {
        return Outcome::HeldLater(code.to_string());
    }
    if owed < asked || next.last_payment.is_some_and(|d| d > letter.run.as_of) {
        Outcome::PaidPart
    } else if owed > asked {
        Outcome::BalanceGrew
    } else {
        Outcome::NoPayment
    }
}

/// A group's tally, kept as letters come.
#[derive(Debug, Default, Clone)]
struct GroupTally {
    letters: u64,
    paid_in_full: u64,
    any_payment: u64,
    asked: i128,
    paid: (i128, i128),
    /// Each letter's dollars paid, in cents, while the group is small
    /// enough to bootstrap; emptied and no longer kept past that.
    paid_each: Vec<i64>,
    too_many_to_keep: bool,
    runs_to_payment: Vec<u32>,
    outcomes: BTreeMap<String, u64>,
}

impl GroupTally {
    fn add(&mut self, letter: &LetterOutcome) {
        self.letters += 1;
        self.paid_in_full += u64::from(letter.outcome == Outcome::PaidInFull);
        self.any_payment += u64::from(letter.any_payment);
        self.asked += i128::from(letter.asked.0.max(0));
        let paid = i128::from(letter.paid.0);
        self.paid = (self.paid.0 + paid, self.paid.1 + paid * paid);
        if !self.too_many_to_keep {
            self.paid_each.push(letter.paid.0);
            if self.paid_each.len() > stats::BOOTSTRAP_UP_TO {
                (self.paid_each, self.too_many_to_keep) = (Vec::new(), true);
            }
        }
        self.runs_to_payment.extend(letter.runs_to_payment);
        *self.outcomes.entry(letter.outcome.name()).or_default() += 1;
    }
}

/// A rate, with its 95% interval; None where the group is too small.
#[derive(Debug, Clone, Serialize)]
pub struct Rate {
    pub count: u64,
    pub rate: Option<f64>,
    pub interval: Option<Interval>,
}

impl Rate {
    /// "25.4% (22.4-28.6)": the rate and its interval, in percent; None
    /// where the group is too small to show one.
    pub fn percent(&self) -> Option<String> {
        let (rate, i) = (self.rate?, self.interval?);
        Some(format!("{:.1}% ({:.1}-{:.1})", rate * 100.0, i.low * 100.0, i.high * 100.0))
    }

    fn of(count: u64, letters: u64) -> Rate {
        let shown = letters >= TOO_FEW;
        Rate {
            count,
            rate: shown.then(|| count as f64 / letters as f64),
            interval: shown.then(|| wilson(count, letters)),
        }
    }
}

/// The measures of one group of letters.
#[derive(Debug, Clone, Serialize)]
pub struct GroupMeasures {
    pub dimension: Dimension,
    pub group: String,
    pub letters: u64,
    pub paid_in_full: Rate,
    pub any_payment: Rate,
    /// Dollars paid per letter, in cents, with its interval.
    pub paid_per_letter_cents: Option<f64>,
    pub paid_per_letter_interval: Option<Interval>,
    /// Dollars paid per dollar the letters asked.
    pub paid_per_dollar_asked: Option<f64>,
    /// The median number of runs from a letter to the first payment seen,
    /// of the letters followed by one.
    pub median_runs_to_payment: Option<u32>,
    /// How many letters led to each outcome.
    pub outcomes: BTreeMap<String, u64>,
}

impl GroupMeasures {
    /// "all letters", or the dimension and group: "stage: reminder".
    pub fn label(&self) -> String {
        match self.dimension {
            Dimension::All => "all letters".to_string(),
            d => format!("{}: {}", d.name(), self.group),
        }
    }
}

/// What `kindly outcomes` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Outcomes {
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    /// Runs the ledger holds (reruns left out).
    pub runs: usize,
    /// Letters with an outcome, in the dates asked for.
    pub letters: u64,
    /// Letters of the latest run, which has no next run yet.
    pub pending: u64,
    pub groups: Vec<GroupMeasures>,
    /// Each wording trial's variants against its baseline.
    pub trials: Vec<Comparison>,
}

/// Every letter's outcome in the ledger, of runs dated from `since` to
/// `until` (both included), measured.
pub fn measure(
    ledger: &Ledger,
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
) -> Result<Outcomes, LedgerError> {
    let runs = ledger.ledger_runs()?;
    let in_dates = |d: NaiveDate| since.is_none_or(|s| d >= s) && until.is_none_or(|u| d <= u);
    let mut tallies: BTreeMap<(Dimension, String), GroupTally> = BTreeMap::new();
    let (mut letters, mut pending) = (0, 0);
    let mut readings = trials::Readings::default();
    ledger.each_account_history(&runs, |history| {
        for at in 0..history.len() {
            let entry = &history[at];
            if !entry.letter || !in_dates(entry.run.as_of) {
                continue;
            }
            let Some(outcome) = outcome_of(history, at, &runs) else {
                pending += 1;
                continue;
            };
            letters += 1;
            tallies.entry((Dimension::All, "all".into())).or_default().add(&outcome);
            for (dimension, group) in &outcome.groups {
                tallies.entry((*dimension, group.clone())).or_default().add(&outcome);
            }
            if let Some(trial) = &outcome.trial {
                tallies.entry((Dimension::Trial, trial.clone())).or_default().add(&outcome);
                readings.add(trial, outcome.run.number);
            }
        }
    })?;
    let variants = tallies
        .iter()
        .filter(|((d, _), _)| *d == Dimension::Trial)
        .map(|((_, g), t)| (g.as_str(), t));
    let trials = trials::compare_all(variants, &readings);
    let groups = tallies.into_iter().map(|((d, g), t)| group_measures(d, g, t)).collect();
    Ok(Outcomes { since, until, runs: runs.len(), letters, pending, groups, trials })
}

fn group_measures(dimension: Dimension, group: String, mut t: GroupTally) -> GroupMeasures {
    let shown = t.letters >= TOO_FEW;
    // The seed is the group's name: the same ledger gives the same report.
    let seed = crate::digest::sha256(format!("{dimension:?}/{group}").as_bytes());
    let seed = u64::from_str_radix(&seed[..16], 16).unwrap_or(0);
    let interval = stats::mean_interval(
        (!t.too_many_to_keep).then_some(&t.paid_each[..]),
        (t.letters, t.paid.0, t.paid.1),
        seed,
    );
    t.runs_to_payment.sort_unstable();
    GroupMeasures {
        dimension,
        paid_in_full: Rate::of(t.paid_in_full, t.letters),
        any_payment: Rate::of(t.any_payment, t.letters),
        paid_per_letter_cents: shown.then(|| t.paid.0 as f64 / t.letters as f64),
        paid_per_letter_interval: shown.then_some(interval),
        paid_per_dollar_asked: (shown && t.asked > 0).then(|| t.paid.0 as f64 / t.asked as f64),
        median_runs_to_payment: t.runs_to_payment.get(t.runs_to_payment.len() / 2).copied(),
        letters: t.letters,
        outcomes: t.outcomes,
        group,
    }
}

/// The report's section of `o`: every group's letters, rates and dollars
/// in a row, and the share followed by any payment by stage for its
/// chart; None when no letter has an outcome yet.
pub fn for_report(o: &Outcomes) -> Option<LookingBack> {
    if o.letters == 0 {
        return None;
    }
    let percent = |r: &Rate| {
        r.percent().unwrap_or_else(|| format!("{} (too few letters for a rate)", r.count))
    };
    let rows = o
        .groups
        .iter()
        .map(|g| {
            let dollars = g
                .paid_per_letter_cents
                .map_or("too few".into(), |c| Cents(c.round() as i64).to_string());
            let (letters, in_full, any) =
                (g.letters.to_string(), percent(&g.paid_in_full), percent(&g.any_payment));
            vec![g.label(), letters, in_full, any, dollars]
        })
        .collect();
    let bars = o
        .groups
        .iter()
        .filter(|g| g.dimension == Dimension::Stage)
        .filter_map(|g| Some((g.group.clone(), (g.any_payment.rate? * 100.0).round() as u64)))
        .collect();
    let trials = o.trials.iter().map(|c| c.sentence.clone()).collect();
    Some(LookingBack { runs: o.runs, letters: o.letters, pending: o.pending, rows, bars, trials })
}

#[cfg(test)]
mod tests;
