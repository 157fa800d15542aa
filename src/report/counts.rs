//! What a report counts, read from a run folder's files a row at a time
//! (or, for a dry run, handed over account by account).

use std::collections::BTreeMap;
use std::path::Path;

use super::picture_of;
use crate::model::Issue;
use crate::money::Cents;
use crate::policy::Stage;
use crate::run_folder::{
    AUDIT_CSV, AuditDecision, AuditRow, HOLDS_CSV, HoldRow, Kind, MANIFEST_CSV, ManifestRow,
    OutputError, REJECTS_CSV, RunRecord, WARNINGS_CSV, each_row,
};

/// Age buckets of the oldest unpaid service, in days, as billing managers
/// report them: (label, highest day in the bucket).
pub(super) const AGE_BUCKETS: [(&str, i64); 5] = [
    ("0-30 days", 30),
    ("31-60 days", 60),
    ("61-90 days", 90),
    ("91-120 days", 120),
    ("over 120 days", i64::MAX),
];

/// What the report counts, read from the run folder's files.
#[derive(Default)]
pub(super) struct FolderCounts {
    pub(super) letters: BTreeMap<(Stage, String), u64>,
    pub(super) dollars_by_stage: BTreeMap<Stage, Cents>,
    pub(super) accounts_by_stage: BTreeMap<Stage, u64>,
    pub(super) ages: [(u64, Cents); 5],
    pub(super) holds: BTreeMap<String, (u64, Cents)>,
    pub(super) rejects: BTreeMap<String, Vec<Issue>>,
    pub(super) warnings: BTreeMap<String, Vec<Issue>>,
    /// The piece of each stage, language and variant whose picture the run
    /// drew.
    pub(super) samples: BTreeMap<Kind, ManifestRow>,
}

fn money(text: &str) -> Cents {
    Cents::parse(text).unwrap_or(Cents::ZERO)
}

impl FolderCounts {
    /// An account, with its balance and the age of its oldest unpaid
    /// service, and the stage of its letter if it gets one.
    pub(super) fn account(&mut self, letter: Option<Stage>, balance: Cents, days_past_due: i64) {
        if let Some(stage) = letter {
            *self.dollars_by_stage.entry(stage).or_default() += balance;
            *self.accounts_by_stage.entry(stage).or_default() += 1;
        }
        if balance > Cents::ZERO {
            let bucket = AGE_BUCKETS.iter().position(|(_, top)| days_past_due <= *top).unwrap_or(4);
            self.ages[bucket].0 += 1;
            self.ages[bucket].1 += balance;
        }
    }

    pub(super) fn hold(&mut self, reason_code: String, balance: Cents) {
        let entry = self.holds.entry(reason_code).or_default();
        entry.0 += 1;
        entry.1 += balance;
    }

    pub(super) fn read(folder: &Path, record: &RunRecord) -> Result<FolderCounts, OutputError> {
        let mut t = FolderCounts::default();
        each_row(folder, MANIFEST_CSV, |row: ManifestRow| {
            *t.letters.entry((row.stage, row.language.clone())).or_default() += 1;
            if record.files.contains_key(&picture_of(&row.piece_id)) {
                t.samples.entry(row.kind()).or_insert(row);
            }
        })?;
        each_row(folder, AUDIT_CSV, |row: AuditRow| {
            let letter = row.stage.filter(|_| row.decision == AuditDecision::Letter);
            t.account(letter, money(&row.balance), row.days_past_due);
        })?;
        each_row(folder, HOLDS_CSV, |row: HoldRow| t.hold(row.reason_code, money(&row.balance)))?;
        let (mut rejects, mut warnings) = (Vec::new(), Vec::new());
        each_row(folder, REJECTS_CSV, |issue: Issue| rejects.push(issue))?;
        each_row(folder, WARNINGS_CSV, |issue: Issue| warnings.push(issue))?;
        t.issues(rejects, warnings);
        Ok(t)
    }

    pub(super) fn issues(&mut self, rejects: Vec<Issue>, warnings: Vec<Issue>) {
        for (issues, group) in [(rejects, &mut self.rejects), (warnings, &mut self.warnings)] {
            for issue in issues {
                group.entry(issue.kind.code().to_string()).or_default().push(issue);
            }
        }
    }
}
