//! What `kindly validate` prints: what a run would do, and every row it could
//! not use or would use with a warning, each with file, line, column, value
//! and reason, grouped and counted by kind. As a table for people, or JSON
//! for other programs.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::config::Policy;
use crate::model::Issue;
use crate::pipeline::Plan;
use crate::policy::{Decision, HoldReason};

#[derive(Debug, Serialize)]
pub struct Validation<'a> {
    pub file: &'a str,
    pub as_of: String,
    pub rows: u64,
    pub accounts: usize,
    pub letters_by_stage: BTreeMap<String, u64>,
    pub holds_by_reason: BTreeMap<&'static str, Vec<Hold>>,
    pub rejects: Group<'a>,
    pub warnings: Group<'a>,
}

#[derive(Debug, Serialize)]
pub struct Hold {
    pub account: String,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct Group<'a> {
    pub count: usize,
    pub by_kind: BTreeMap<&'static str, usize>,
    pub rows: &'a [Issue],
}

impl<'a> Group<'a> {
    fn of(rows: &'a [Issue]) -> Group<'a> {
        let mut by_kind = BTreeMap::new();
        for issue in rows {
            *by_kind.entry(issue.kind.code()).or_default() += 1;
        }
        Group { count: rows.len(), by_kind, rows }
    }
}

pub fn validation<'a>(plan: &'a Plan, policy: &Policy) -> Validation<'a> {
    let mut letters_by_stage: BTreeMap<String, u64> = BTreeMap::new();
    let mut holds_by_reason: BTreeMap<&'static str, Vec<Hold>> = BTreeMap::new();
    for (account, assessment) in plan.accounts() {
        match &assessment.decision {
            Decision::Letter { stage } => *letters_by_stage.entry(stage.to_string()).or_default() += 1,
            Decision::Hold { reasons } => holds_by_reason
                .entry(reasons.first().map_or("", HoldReason::code))
                .or_default()
                .push(Hold { account: account.id.clone(), reason: assessment.explain(policy) }),
        }
    }
    Validation {
        file: &plan.export.file,
        as_of: plan.as_of.to_string(),
        rows: plan.export.rows,
        accounts: plan.export.accounts.len(),
        letters_by_stage,
        holds_by_reason,
        rejects: Group::of(&plan.export.rejects),
        warnings: Group::of(&plan.export.warnings),
    }
}

impl Validation<'_> {
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| unreachable!("plain data serializes: {e}")) + "\n"
    }

    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}: {} rows, {} accounts, as of {}", self.file, self.rows, self.accounts, self.as_of);
        let letters: u64 = self.letters_by_stage.values().sum();
        let _ = writeln!(out, "\nLetters a run would make: {letters}");
        for (stage, n) in &self.letters_by_stage {
            let _ = writeln!(out, "  {stage:<20} {n:>6}");
        }
        let held: usize = self.holds_by_reason.values().map(Vec::len).sum();
        let _ = writeln!(out, "\nAccounts on hold: {held}");
        for (code, accounts) in &self.holds_by_reason {
            let _ = writeln!(out, "  {code:<20} {:>6}", accounts.len());
        }
        for (code, accounts) in &self.holds_by_reason {
            let _ = writeln!(out, "\n{code}:");
            for hold in accounts {
                let _ = writeln!(out, "  {}: {}", hold.account, hold.reason);
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
    for r in group.rows {
        let column = if r.column.is_empty() { String::new() } else { format!(" column {:?},", r.column) };
        let value = if r.value.is_empty() { String::new() } else { format!(" value {:?}:", r.value) };
        let _ = writeln!(out, "  {}:{}:{column}{value} {}", r.file, r.line, r.reason);
    }
}
