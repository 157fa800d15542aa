//! Unit tests of [`super`] (`src/outcomes.rs`): each outcome read as what
//! it is, the measures against hand-computed values, and the intervals'
//! coverage over many simulated ledgers.

use chrono::NaiveDate;

use super::stats::SplitMix;
use super::*;
use crate::policy::Stage;

fn run(number: u32) -> LedgerRun {
    let as_of = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap() + chrono::Months::new(number - 1);
    LedgerRun { number, as_of }
}

fn runs(n: u32) -> Vec<LedgerRun> {
    (1..=n).map(run).collect()
}

/// A letter at run `number` asking for `balance` dollars.
fn letter(number: u32, balance: i64) -> AccountInRun {
    AccountInRun {
        run: run(number),
        letter: true,
        stage: Some(Stage::Reminder),
        hold_code: None,
        balance: Some(Cents(balance * 100)),
        language: Some("en".into()),
        print_size: Some("standard".into()),
        last_payment: None,
        returned: false,
        in_envelope: 1,
        wording: Some("3f2a9c1be0d4a1b2c3d4".into()),
        trial_variant: None,
    }
}

/// A hold at run `number` for `code`, owing `balance` dollars.
fn hold(number: u32, code: &str, balance: i64) -> AccountInRun {
    AccountInRun {
        letter: false,
        stage: None,
        hold_code: Some(code.into()),
        language: None,
        print_size: None,
        in_envelope: 0,
        ..letter(number, balance)
    }
}

fn outcome(history: &[AccountInRun]) -> Outcome {
    outcome_of(history, 0, &runs(3)).unwrap().outcome
}

#[test]
fn each_outcome_is_counted_as_what_it_is() {
    assert_eq!(outcome(&[letter(1, 100), hold(2, "zero_balance", 0)]), Outcome::PaidInFull);
    assert_eq!(outcome(&[letter(1, 100), hold(2, "credit_balance", -5)]), Outcome::PaidInFull);
    assert_eq!(outcome(&[letter(1, 100), letter(2, 60)]), Outcome::PaidPart);
    assert_eq!(outcome(&[letter(1, 100), letter(2, 100)]), Outcome::NoPayment);
    assert_eq!(outcome(&[letter(1, 100), letter(2, 180)]), Outcome::BalanceGrew);
    // Held later, for what it says: a dispute, even owing less.
    assert_eq!(
        outcome(&[letter(1, 100), hold(2, "dispute", 80)]),
        Outcome::HeldLater("dispute".into())
    );
    // A hold that only follows from the letter says nothing: judged by the
    // balance.
    assert_eq!(outcome(&[letter(1, 100), hold(2, "too_soon", 100)]), Outcome::NoPayment);
    // A blank balance reads as 0 but is not paid.
    let blank = outcome_of(&[letter(1, 100), hold(2, "blank_balance", 0)], 0, &runs(3)).unwrap();
    assert_eq!(blank.outcome, Outcome::HeldLater("blank_balance".into()));
    assert!(!blank.any_payment && blank.paid == Cents::ZERO);
    // Returned mail never reached them, whatever the balance did.
    let returned = AccountInRun { returned: true, ..letter(1, 100) };
    assert_eq!(outcome(&[returned, hold(2, "returned_mail", 0)]), Outcome::Returned);
    // Not in the next export, though in a later one: absent, never paid.
    let absent = outcome_of(&[letter(1, 100), letter(3, 100)], 0, &runs(3)).unwrap();
    assert_eq!(absent.outcome, Outcome::Absent);
    assert!(!absent.any_payment && absent.paid == Cents::ZERO);
    // The latest run's letter has no next run yet: pending.
    assert_eq!(outcome_of(&[letter(3, 100)], 0, &runs(3)), None);
    // A hold is not a letter.
    assert_eq!(outcome_of(&[hold(1, "dispute", 100), letter(2, 100)], 0, &runs(3)), None);
}

#[test]
fn a_payment_the_export_dates_after_the_letter_counts() {
    let later = run(1).as_of + chrono::Days::new(10);
    let next = AccountInRun { last_payment: Some(later), ..letter(2, 140) };
    let o = outcome_of(&[letter(1, 100), next], 0, &runs(3)).unwrap();
    assert_eq!(o.outcome, Outcome::PaidPart, "paid, though new charges outgrew it");
    assert!(o.any_payment);
    assert_eq!(o.paid, Cents::ZERO, "how much is not known: dollars are a floor");
    assert_eq!(o.runs_to_payment, Some(1));
}

#[test]
fn runs_to_the_first_payment_look_past_the_next_run() {
    let history = [letter(1, 100), letter(2, 100), hold(3, "zero_balance", 0)];
    let o = outcome_of(&history, 0, &runs(4)).unwrap();
    assert_eq!((o.outcome, o.runs_to_payment), (Outcome::NoPayment, Some(2)));
}

/// Sixty letters by hand: 15 paid in full (each 100 dollars), 15 paid 40 of
/// 100, 30 paid nothing.
#[test]
fn measures_match_hand_computed_values() {
    let mut tally = GroupTally::default();
    let runs = runs(2);
    let mut add = |next: AccountInRun| {
        tally.add(&outcome_of(&[letter(1, 100), next], 0, &runs).unwrap());
    };
    (0..15).for_each(|_| add(hold(2, "zero_balance", 0)));
    (0..15).for_each(|_| add(letter(2, 60)));
    (0..30).for_each(|_| add(letter(2, 100)));
    let m = group_measures(Dimension::All, "all".into(), tally);
    assert_eq!(m.letters, 60);
    assert_eq!((m.paid_in_full.count, m.any_payment.count), (15, 30));
    assert_eq!(m.paid_in_full.rate, Some(0.25));
    let i = m.any_payment.interval.unwrap();
    // Wilson for 30 of 60: 0.3773 to 0.6227.
    assert!((i.low - 0.3773).abs() < 5e-4 && (i.high - 0.6227).abs() < 5e-4, "{i:?}");
    // (15 x 100 + 15 x 40) / 60 = 35 dollars a letter; of 6,000 asked, 2,100.
    assert_eq!(m.paid_per_letter_cents, Some(3_500.0));
    assert_eq!(m.paid_per_dollar_asked, Some(0.35));
    let i = m.paid_per_letter_interval.unwrap();
    assert!(i.low < 3_500.0 && i.high > 3_500.0, "{i:?}");
    assert_eq!(m.outcomes["paid in full"], 15);
    assert_eq!(m.median_runs_to_payment, Some(1));
}

#[test]
fn a_letter_is_grouped_by_its_wording_in_its_stage_and_language() {
    let o = outcome_of(&[letter(1, 100), letter(2, 60)], 0, &runs(2)).unwrap();
    assert_eq!(o.groups[4], (Dimension::Wording, "reminder en 3f2a9c1be0d4".to_string()));
    let unrecorded = AccountInRun { wording: None, language: None, ..letter(1, 100) };
    let o = outcome_of(&[unrecorded, letter(2, 60)], 0, &runs(2)).unwrap();
    assert_eq!(o.groups[4].1, "reminder not recorded not recorded");
}

#[test]
fn a_small_group_shows_no_rate() {
    let mut tally = GroupTally::default();
    let runs = runs(2);
    for _ in 0..TOO_FEW - 1 {
        tally.add(&outcome_of(&[letter(1, 100), letter(2, 60)], 0, &runs).unwrap());
    }
    let m = group_measures(Dimension::Stage, "reminder".into(), tally);
    assert_eq!((m.any_payment.count, m.any_payment.rate), (TOO_FEW - 1, None));
    assert!(m.paid_per_letter_cents.is_none() && m.any_payment.interval.is_none());
}

/// Over 1,000 simulated groups of 400 letters each paying with chance
/// 0.3, the 95% interval holds the true rate in at least 93% of them, and
/// the dollars' interval holds the true mean as often.
#[test]
fn the_intervals_cover_the_truth() {
    let mut rng = SplitMix(2026);
    let (mut rate_covered, mut dollars_covered) = (0, 0);
    const GROUPS: usize = 1_000;
    for g in 0..GROUPS {
        let mut tally = GroupTally::default();
        let runs = runs(2);
        for _ in 0..400 {
            let pays = rng.below(1_000) < 300;
            let next = if pays { letter(2, 20) } else { letter(2, 100) };
            tally.add(&outcome_of(&[letter(1, 100), next], 0, &runs).unwrap());
        }
        let m = group_measures(Dimension::All, format!("group {g}"), tally);
        let i = m.any_payment.interval.unwrap();
        rate_covered += usize::from(i.low <= 0.3 && 0.3 <= i.high);
        // Each payer paid 80 dollars: the true mean is 24 dollars a letter.
        let d = m.paid_per_letter_interval.unwrap();
        dollars_covered += usize::from(d.low <= 2_400.0 && 2_400.0 <= d.high);
    }
    assert!(rate_covered >= 930, "the rate's interval covered {rate_covered} of {GROUPS}");
    assert!(dollars_covered >= 930, "the dollars' interval covered {dollars_covered} of {GROUPS}");
}

/// A simulated trial: `letters` in each of `usual` and `warm`, each
/// followed by a payment with chance `usual_rate` and `warm_rate` (in
/// thousandths); each payer pays 80 of 100 dollars.
fn simulated_trial(
    rng: &mut SplitMix,
    letters: u32,
    (usual_rate, warm_rate): (usize, usize),
) -> Comparison {
    let runs = runs(2);
    let mut tallies: BTreeMap<String, GroupTally> = BTreeMap::new();
    let mut readings = trials::Readings::default();
    for (variant, rate) in [("usual", usual_rate), ("warm", warm_rate)] {
        let assigned = format!("tone/{variant}");
        for _ in 0..letters {
            let next = if rng.below(1_000) < rate { letter(2, 20) } else { letter(2, 100) };
            let first = AccountInRun { trial_variant: Some(assigned.clone()), ..letter(1, 100) };
            let o = outcome_of(&[first, next], 0, &runs).unwrap();
            tallies.entry(o.trial.clone().unwrap()).or_default().add(&o);
            readings.add(&assigned, 1);
        }
    }
    let mut compared = trials::compare_all(tallies.iter().map(|(g, t)| (g.as_str(), t)), &readings);
    assert_eq!(compared.len(), 1);
    compared.remove(0)
}

/// Newcombe's example in a trial's words: 48 of 80 letters of the usual
/// wording followed by a payment, 56 of 70 of the warm one.
#[test]
fn a_trial_says_what_its_interval_shows() {
    let runs = runs(2);
    let mut tallies: BTreeMap<String, GroupTally> = BTreeMap::new();
    let mut add = |variant: &str, paid: bool| {
        let first =
            AccountInRun { trial_variant: Some(format!("tone/{variant}")), ..letter(1, 100) };
        let next = if paid { letter(2, 20) } else { letter(2, 100) };
        let o = outcome_of(&[first, next], 0, &runs).unwrap();
        tallies.entry(o.trial.clone().unwrap()).or_default().add(&o);
    };
    (0..80).for_each(|i| add("usual", i < 48));
    (0..70).for_each(|i| add("warm", i < 56));
    let readings = trials::Readings::default();
    let c = &trials::compare_all(tallies.iter().map(|(g, t)| (g.as_str(), t)), &readings)[0];
    assert_eq!((c.baseline.as_str(), c.variant.as_str(), c.letters), ("usual", "warm", (80, 70)));
    let d = c.any_payment.unwrap();
    assert!((d.difference - 0.2).abs() < 1e-9);
    assert!((d.interval.low - 0.0524).abs() < 5e-4 && (d.interval.high - 0.3339).abs() < 5e-4);
    assert_eq!(
        c.sentence,
        "tone, warm against usual: 20.0 points more letters followed by a payment, 95% \
         interval 5.2 to 33.4, from 150 letters."
    );
    // 80 dollars from 48 of 80, and from 56 of 70: 48 and 64 dollars a letter.
    let dollars = c.paid_per_letter_cents.unwrap();
    assert!((dollars.difference - 1_600.0).abs() < 1e-6, "{dollars:?}");
    assert!(dollars.interval.low > 0.0 && dollars.interval.high < 3_200.0, "{dollars:?}");
}

#[test]
fn a_trial_too_small_or_undecided_says_how_many_letters_would_show() {
    let mut rng = SplitMix(1);
    let small = simulated_trial(&mut rng, 20, (300, 300));
    assert!(small.any_payment.is_none());
    assert!(small.sentence.contains("too few letters yet (20 and 20"), "{}", small.sentence);
    let even = simulated_trial(&mut rng, 400, (300, 300));
    // Near 30%, 3 points take about 3,760 letters a variant (95%, 80% power).
    assert!(even.sentence.contains("no difference shown yet"), "{}", even.sentence);
    assert!(
        even.sentence.contains("more letters would show a 3-point difference"),
        "{}",
        even.sentence
    );
    // 30% against 31.5% over 40,000 letters a variant: shown, and too small.
    let tiny = simulated_trial(&mut rng, 40_000, (300, 315));
    assert!(tiny.sentence.contains("points more letters"), "{}", tiny.sentence);
    assert!(tiny.sentence.contains("too small to act on"), "{}", tiny.sentence);
}

/// Over 400 simulated trials of 1,500 letters a variant where the warm
/// wording truly raises the share paying from 30% to 36%, the interval of
/// the difference holds the true 6 points (and the true $4.80 a letter) in
/// at least 90% of them; where it truly changes nothing, a difference is
/// declared in at most 8% (5% expected).
#[test]
fn trial_intervals_cover_the_truth_and_rarely_see_what_is_not_there() {
    let mut rng = SplitMix(37);
    const TRIALS: usize = 400;
    let (mut covered, mut dollars_covered, mut declared) = (0, 0, 0);
    for _ in 0..TRIALS {
        let effect = simulated_trial(&mut rng, 1_500, (300, 360));
        let i = effect.any_payment.unwrap().interval;
        covered += usize::from(i.low <= 0.06 && 0.06 <= i.high);
        let d = effect.paid_per_letter_cents.unwrap().interval;
        dollars_covered += usize::from(d.low <= 480.0 && 480.0 <= d.high);
        let none = simulated_trial(&mut rng, 1_500, (300, 300));
        let i = none.any_payment.unwrap().interval;
        declared += usize::from(i.low > 0.0 || i.high < 0.0);
    }
    assert!(covered >= 360, "the difference's interval covered the truth {covered} of {TRIALS}");
    assert!(dollars_covered >= 360, "the dollars' interval covered {dollars_covered} of {TRIALS}");
    assert!(declared <= 32, "no effect, yet a difference declared {declared} of {TRIALS}");
}
