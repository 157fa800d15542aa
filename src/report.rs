//! What `kindly validate` prints: what a run would do, and every row it could
//! not use, each with file, line, column and value.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::config::Policy;
use crate::pipeline::Plan;
use crate::policy::{Decision, HoldReason};

pub fn validation(plan: &Plan, policy: &Policy) -> String {
    let export = &plan.export;
    let mut stages: BTreeMap<String, u64> = BTreeMap::new();
    let mut holds: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for (account, assessment) in plan.accounts() {
        match &assessment.decision {
            Decision::Letter { stage } => *stages.entry(stage.to_string()).or_default() += 1,
            Decision::Hold { reasons } => holds
                .entry(reasons.first().map_or("", HoldReason::code))
                .or_default()
                .push(format!("{}: {}", account.id, assessment.explain(policy))),
        }
    }
    let mut out = String::new();
    let letters: u64 = stages.values().sum();
    let held: usize = holds.values().map(Vec::len).sum();
    let _ = writeln!(
        out,
        "{}: {} rows, {} accounts, as of {}",
        export.file,
        export.rows,
        export.accounts.len(),
        plan.as_of
    );
    let _ = writeln!(out, "\nLetters a run would make: {letters}");
    for (stage, n) in &stages {
        let _ = writeln!(out, "  {stage:<14} {n:>6}");
    }
    let _ = writeln!(out, "\nAccounts on hold: {held}");
    for (code, accounts) in &holds {
        let _ = writeln!(out, "  {code:<20} {:>6}", accounts.len());
    }
    for (code, accounts) in &holds {
        let _ = writeln!(out, "\n{code}:");
        for line in accounts {
            let _ = writeln!(out, "  {line}");
        }
    }
    let _ = writeln!(out, "\nRows that cannot be used: {}", export.rejects.len());
    for r in &export.rejects {
        let column = if r.column.is_empty() { String::new() } else { format!(" column {:?},", r.column) };
        let value = if r.value.is_empty() { String::new() } else { format!(" value {:?}:", r.value) };
        let _ = writeln!(out, "  {}:{}:{column}{value} {}", r.file, r.line, r.reason);
    }
    out
}
