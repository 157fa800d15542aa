//! What `kindly validate` prints: what a run would do, and every row it could
//! not use or would use with a warning, each with file, line, column, value
//! and reason, grouped and counted by kind. As a table for people, or JSON
//! for other programs.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::config::Policy;
use crate::ingest;
use crate::model::{Account, Issue};
use crate::policy::{Assessment, Decision, HoldReason};
use crate::run_folder::Breakdown;

/// Held accounts listed by name per reason; beyond this they are counted.
const HOLDS_LISTED: usize = 50;

#[derive(Debug, Serialize)]
pub struct Validation {
    pub file: String,
    /// The export's SHA-256, for a dry run's report.
    #[serde(skip)]
    pub sha256: String,
    pub as_of: String,
    pub rows: u64,
    pub accounts: u64,
    pub letters_by_stage: BTreeMap<String, u64>,
    pub holds_by_reason: BTreeMap<String, Holds>,
    /// Codes in the hold-code column(s) that `[input.hold_codes]` does not
    /// name, as `CODE in "Column"`, with how many accounts have each.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub unknown_codes: BTreeMap<String, usize>,
    pub rejects: Group,
    pub warnings: Group,
    /// Rows of the hold list whose account is not in the export.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_held: Vec<crate::hold_list::NotHeld>,
    /// Rows of the confidential-address file whose account is not in the
    /// export.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_readdressed: Vec<crate::confidential::Unmatched>,
    /// The language-assistance notice's texts that are the practice's own
    /// (from its config, not the layouts' table of published translations),
    /// for someone qualified to check.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notice_texts_to_check: Vec<crate::language_access::RecordedLanguage>,
    /// The ledger decided with, in a line: its path, runs and latest date.
    pub ledger: String,
    /// How `encoding = "auto"` found the export's encoding, if the file did
    /// not say and it is not UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_as: Option<String>,
    /// What looks wrong with the export as a whole (see [`crate::sanity`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<crate::sanity::Warning>,
}

#[derive(Debug, Default, Serialize)]
pub struct Holds {
    pub count: usize,
    /// The first accounts held for this reason, in account order.
    pub accounts: Vec<Hold>,
}

#[derive(Debug, Serialize)]
pub struct Hold {
    pub account: String,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct Group {
    pub count: usize,
    pub by_kind: BTreeMap<&'static str, usize>,
    pub rows: Vec<Issue>,
}

impl Group {
    fn of(rows: Vec<Issue>) -> Group {
        let mut by_kind = BTreeMap::new();
        for issue in &rows {
            *by_kind.entry(issue.kind.code()).or_default() += 1;
        }
        Group { count: rows.len(), by_kind, rows }
    }
}

/// Collects the decisions account by account, so the accounts themselves
/// need not be kept.
#[derive(Debug, Default)]
pub struct Decisions {
    breakdown: Breakdown,
    listed: BTreeMap<&'static str, Vec<Hold>>,
    unknown_codes: BTreeMap<String, usize>,
}

impl Decisions {
    pub fn add(&mut self, account: &Account, assessment: &Assessment, policy: &Policy) {
        for code in account.codes.iter().filter(|c| c.meaning.is_none()) {
            *self
                .unknown_codes
                .entry(format!("{} in {:?}", code.code.to_uppercase(), code.column))
                .or_default() += 1;
        }
        match &assessment.decision {
            Decision::Letter { stage } => self.breakdown.letter(*stage),
            Decision::Hold { reasons } => {
                let code = reasons.first().map_or("", HoldReason::code);
                self.breakdown.hold(code);
                let listed = self.listed.entry(code).or_default();
                if listed.len() < HOLDS_LISTED {
                    listed.push(Hold {
                        account: account.id.clone(),
                        reason: assessment.explain(policy),
                    });
                }
            }
        }
    }

    pub fn finish(mut self, tally: ingest::Tally, as_of: chrono::NaiveDate) -> Validation {
        let holds_by_reason = self
            .breakdown
            .holds_by_reason
            .into_iter()
            .map(|(code, count)| {
                // Accounts arrive partition by partition: list them in account order.
                let mut accounts = self.listed.remove(code.as_str()).unwrap_or_default();
                accounts.sort_by(|a, b| a.account.cmp(&b.account));
                (code, Holds { count: count as usize, accounts })
            })
            .collect();
        Validation {
            file: tally.file,
            sha256: tally.sha256,
            as_of: as_of.to_string(),
            rows: tally.rows,
            accounts: tally.accounts,
            letters_by_stage: self.breakdown.letters_by_stage,
            holds_by_reason,
            unknown_codes: self.unknown_codes,
            rejects: Group::of(tally.rejects),
            warnings: Group::of(tally.warnings),
            not_held: Vec::new(),
            not_readdressed: Vec::new(),
            notice_texts_to_check: Vec::new(),
            ledger: String::new(),
            read_as: None,
            checks: Vec::new(),
        }
    }
}

impl Validation {
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| unreachable!("plain data serializes: {e}"))
            + "\n"
    }

    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}: {} rows, {} accounts, as of {}",
            self.file, self.rows, self.accounts, self.as_of
        );
        if let Some(read_as) = &self.read_as {
            let _ = writeln!(out, "The export was {read_as}");
        }
        let _ = writeln!(out, "Decided with the {}", self.ledger);
        for check in &self.checks {
            let _ = writeln!(out, "\nWARNING: {}", check.message);
        }
        let letters: u64 = self.letters_by_stage.values().sum();
        let _ = writeln!(out, "\nLetters a run would make: {letters}");
        for (stage, n) in &self.letters_by_stage {
            let _ = writeln!(out, "  {stage:<20} {n:>6}");
        }
        let held: usize = self.holds_by_reason.values().map(|h| h.count).sum();
        let _ = writeln!(out, "\nAccounts on hold: {held}");
        for (code, holds) in &self.holds_by_reason {
            let _ = writeln!(out, "  {code:<20} {:>6}", holds.count);
        }
        for (code, holds) in &self.holds_by_reason {
            let _ = writeln!(out, "\n{code}:");
            for hold in &holds.accounts {
                let _ = writeln!(out, "  {}: {}", hold.account, hold.reason);
            }
            if holds.count > holds.accounts.len() {
                let _ = writeln!(
                    out,
                    "  ... and {} more (holds.csv of a run lists them all)",
                    holds.count - holds.accounts.len()
                );
            }
        }
        if !self.unknown_codes.is_empty() {
            let _ = writeln!(
                out,
                "\nCodes the mapping does not name (each holds its accounts until [input.hold_codes] says what it means):"
            );
            for (code, n) in &self.unknown_codes {
                let _ = writeln!(out, "  {code:<30} {n:>6} accounts");
            }
        }
        for (advice, rows) in crate::hold_list::not_held_groups(&self.not_held) {
            let mut advice = advice.to_string();
            advice[..1].make_ascii_uppercase();
            let _ = writeln!(out, "\n{advice}:");
            for row in rows {
                let _ = writeln!(out, "  {row}");
            }
        }
        if !self.notice_texts_to_check.is_empty() {
            let _ = writeln!(
                out,
                "\nThe language-assistance notice's texts in these languages are the practice's own, \
                 from its config, not a published translation: have a qualified translator check \
                 each before the letters go out:"
            );
            for text in &self.notice_texts_to_check {
                let _ = writeln!(out, "  {} (source given: {})", text.code, text.source);
            }
        }
        if !self.not_readdressed.is_empty() {
            let mut advice = crate::confidential::UNMATCHED_ADVICE.to_string();
            advice[..1].make_ascii_uppercase();
            let _ = writeln!(out, "\n{advice}:");
            for row in &self.not_readdressed {
                let _ = writeln!(out, "  {row}");
            }
        }
        group(&mut out, "Rows that cannot be used (rejects)", &self.rejects);
        group(&mut out, "Rows used with a warning", &self.warnings);
        out
    }
}

fn group(out: &mut String, title: &str, group: &Group) {
    let _ = writeln!(out, "\n{title}: {}", group.count);
    for (kind, n) in &group.by_kind {
        let _ = writeln!(out, "  {kind:<20} {n:>6}");
    }
    for r in &group.rows {
        let column =
            if r.column.is_empty() { String::new() } else { format!(" column {:?},", r.column) };
        let value =
            if r.value.is_empty() { String::new() } else { format!(" value {:?}:", r.value) };
        let _ = writeln!(out, "  {}:{}:{column}{value} {}", r.file, r.line, r.reason);
    }
}
