//! `[trials.NAME]`: a wording trial. A stage's letters are split between
//! two or more wordings (variants), each with a share, so that the ledger
//! can later tell which wording more patients answered. A trial changes
//! only the words: who gets a letter, when, and at which stage stay the
//! policy's.
//!
//! Which variant an account gets is decided by a hash of the trial's name
//! and the account number alone: the same account keeps its variant in
//! every run, every rerun, `reproduce` and every shard, and nothing about
//! the account (its balance, its language, its place in the export) can
//! choose its wording, which is what makes the groups comparable.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::stage::Stage;

/// The variant that is the stage's own wording, `<stage>.typ.j2`.
pub const USUAL: &str = "usual";

/// One trial, as the config writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trial {
    /// The letter whose wording is tried.
    pub stage: Stage,
    /// Each variant's share of the stage's letters, in percent, adding up
    /// to 100. `usual` is the stage's own wording; any other name `NAME` is
    /// `wording/<language>/<stage>.NAME.typ.j2`.
    pub variants: BTreeMap<String, u32>,
}

/// The variant of a trial one letter got.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Assigned {
    pub trial: String,
    pub variant: String,
}

impl fmt::Display for Assigned {
    /// As audit.csv, the manifest and the ledger write it: `trial/variant`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.trial, self.variant)
    }
}

impl Assigned {
    /// The variant written as [`Assigned`]'s `Display` does, read back;
    /// nothing for an empty cell (a letter in no trial).
    pub fn parse(text: &str) -> Option<Assigned> {
        let (trial, variant) = text.split_once('/')?;
        Some(Assigned { trial: trial.to_string(), variant: variant.to_string() })
    }
}

/// The wording template's name without its language folder and extension:
/// `reminder` for the stage's own wording, `reminder.warm` for variant
/// `warm` of a trial.
pub fn template_stem(stage: Stage, wording: Option<&Assigned>) -> String {
    match wording {
        Some(w) if w.variant != USUAL => format!("{}.{}", stage.id(), w.variant),
        _ => stage.id().to_string(),
    }
}

impl Trial {
    /// The variant account `account` gets in the trial named `name`: the
    /// first 8 bytes of SHA-256 of the name, a zero byte and the account
    /// number, as a number, modulo 100, against the shares laid end to end
    /// in the variants' alphabetical order.
    pub fn variant_for(&self, name: &str, account: &str) -> &str {
        let mut hash = Sha256::new();
        hash.update(name.as_bytes());
        hash.update([0]);
        hash.update(account.as_bytes());
        let digest = hash.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        let mut point = u64::from_be_bytes(first) % 100;
        for (variant, share) in &self.variants {
            if point < u64::from(*share) {
                return variant;
            }
            point -= u64::from(*share);
        }
        // The shares add up to 100 (checked when the config is read), so
        // every point falls in one; this is never reached.
        self.variants.keys().next_back().map_or(USUAL, String::as_str)
    }
}

/// The variant the others are compared against, of a trial's `variants`
/// (in name order): `usual` when the trial has it, else the first.
pub fn baseline<'a>(mut variants: impl Iterator<Item = &'a str> + Clone) -> &'a str {
    match variants.clone().find(|v| *v == USUAL) {
        Some(usual) => usual,
        None => variants.next().unwrap_or(USUAL),
    }
}

/// The variant of the letter at `stage` for the envelope whose first
/// account is `account`: nothing when no trial tries that stage.
pub fn assign(trials: &BTreeMap<String, Trial>, stage: Stage, account: &str) -> Option<Assigned> {
    let (name, trial) = trials.iter().find(|(_, t)| t.stage == stage)?;
    Some(Assigned { trial: name.clone(), variant: trial.variant_for(name, account).to_string() })
}

/// Every wording a letter at `stage` can have: its own, or each variant of
/// the trial that tries it.
pub fn wordings(trials: &BTreeMap<String, Trial>, stage: Stage) -> Vec<Option<Assigned>> {
    match trials.iter().find(|(_, t)| t.stage == stage) {
        None => vec![None],
        Some((name, trial)) => trial
            .variants
            .keys()
            .map(|variant| Some(Assigned { trial: name.clone(), variant: variant.clone() }))
            .collect(),
    }
}

/// A trial's or variant's name: it goes into file names and CSV cells.
fn plain_name(name: &str, longest: usize) -> bool {
    !name.is_empty()
        && name.len() <= longest
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Names that can be file names, at least two variants, shares adding up
/// to 100, one trial a stage.
pub(super) fn check(trials: &BTreeMap<String, Trial>) -> Result<(), String> {
    let mut stages = BTreeMap::new();
    for (name, trial) in trials {
        let at = format!("[trials.{name}]");
        if !plain_name(name, 40) {
            return Err(format!(
                "{at}: a trial's name is lowercase letters, digits and hyphens, at most 40, \
                 like [trials.warm-reminder]"
            ));
        }
        if let Some(other) = stages.insert(trial.stage, name) {
            return Err(format!(
                "{at} and [trials.{other}] both try the {} letter's wording: one trial a \
                 stage; end one (delete its section) before starting the other",
                trial.stage
            ));
        }
        if trial.variants.len() < 2 {
            return Err(format!(
                "{at}: a trial needs two variants or more, like variants = {{ usual = 50, warm = 50 }}"
            ));
        }
        if let Some(bad) = trial.variants.keys().find(|v| !plain_name(v, 20)) {
            return Err(format!(
                "{at}: the variant {bad:?} is not a plain name: lowercase letters, digits and \
                 hyphens, at most 20 (it becomes part of the wording file's name)"
            ));
        }
        let total: u32 = trial.variants.values().sum();
        if trial.variants.values().any(|share| *share == 0) || total != 100 {
            return Err(format!(
                "{at}: each variant's share is a percentage of the {} letters, 1 or more, and \
                 they add up to 100, but they add up to {total}",
                trial.stage
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trial(variants: &[(&str, u32)]) -> Trial {
        Trial {
            stage: Stage::Reminder,
            variants: variants.iter().map(|(v, s)| (v.to_string(), *s)).collect(),
        }
    }

    #[test]
    fn the_shares_are_kept_and_an_account_keeps_its_variant() {
        let t = trial(&[("usual", 70), ("warm", 30)]);
        let accounts: Vec<String> = (0..20_000).map(|n| format!("A{n:06}")).collect();
        let warm = accounts.iter().filter(|a| t.variant_for("tone", a) == "warm").count();
        // 30% of 20,000 is 6,000; the hash's share is within 3 standard
        // errors (about 195) of it.
        assert!((5_805..=6_195).contains(&warm), "{warm}");
        assert!(accounts.iter().all(|a| t.variant_for("tone", a) == t.variant_for("tone", a)));
        // Another trial's name splits the same accounts another way.
        let same = accounts
            .iter()
            .filter(|a| t.variant_for("tone", a) == t.variant_for("other", a))
            .count();
        assert!(same < 15_000, "{same}");
    }

    #[test]
    fn a_known_account_gets_a_known_variant() {
        // Fixed here so that a change to the hashing, which would move
        // accounts between variants in the middle of a trial, fails a test.
        let t = trial(&[("usual", 50), ("warm", 50)]);
        let got: Vec<&str> =
            ["2000001", "2000002", "2000003", "2000004"].map(|a| t.variant_for("tone", a)).into();
        assert_eq!(got, ["usual", "warm", "warm", "usual"]);
    }

    #[test]
    fn a_trial_that_cannot_work_is_named() {
        let check_one = |t: Trial| check(&BTreeMap::from([("tone".to_string(), t)]));
        assert!(check_one(trial(&[("usual", 50), ("warm", 50)])).is_ok());
        let short = check_one(trial(&[("usual", 50), ("warm", 40)])).unwrap_err();
        assert!(short.contains("add up to 90"), "{short}");
        let alone = check_one(trial(&[("usual", 100)])).unwrap_err();
        assert!(alone.contains("two variants"), "{alone}");
        let named = check_one(trial(&[("usual", 50), ("Warm Tone", 50)])).unwrap_err();
        assert!(named.contains("\"Warm Tone\""), "{named}");
        let two = BTreeMap::from([
            ("a".to_string(), trial(&[("usual", 50), ("warm", 50)])),
            ("b".to_string(), trial(&[("usual", 50), ("brief", 50)])),
        ]);
        assert!(check(&two).unwrap_err().contains("one trial a stage"));
    }

    #[test]
    fn variants_are_written_and_read_back() {
        let a = Assigned { trial: "tone".into(), variant: "warm".into() };
        assert_eq!(a.to_string(), "tone/warm");
        assert_eq!(Assigned::parse("tone/warm"), Some(a.clone()));
        assert_eq!(Assigned::parse(""), None);
        assert_eq!(template_stem(Stage::Reminder, Some(&a)), "reminder.warm");
        let usual = Assigned { variant: USUAL.into(), ..a };
        assert_eq!(template_stem(Stage::PlanOffer, Some(&usual)), "plan_offer");
        assert_eq!(template_stem(Stage::PlanOffer, None), "plan_offer");
    }
}
