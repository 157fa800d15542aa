//! run.json: what made a run folder (its inputs by SHA-256, versions,
//! vendor) and what it holds (counts, and the SHA-256 of every file).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ManifestRow;
use crate::confidential::Unmatched;
use crate::config::NoticePlacement;
use crate::config::Postage;
use crate::hold_list::NotHeld;
use crate::language_access::{NOTICE_INSERT, NoticeRecord, TextFrom};
use crate::money::Cents;
use crate::policy::Stage;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowCounts {
    pub input: u64,
    pub in_letters: u64,
    pub in_holds: u64,
    pub rejected: u64,
    /// Rows with a warning; they are also in letters or holds.
    pub warned: u64,
}

impl RowCounts {
    /// Every input row ends in exactly one place.
    pub fn add_up(&self) -> bool {
        self.input == self.in_letters + self.in_holds + self.rejected
    }
}

/// What the language-assistance notice added to letters: its pages, the
/// sheets they took (none where it printed on the blank back of a letter's
/// last sheet; one for an insert), and the postage of those sheets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeCost {
    pub pages: u64,
    pub sheets: u64,
    #[serde(default)]
    pub postage: Cents,
}

impl NoticeCost {
    fn is_none(&self) -> bool {
        *self == NoticeCost::default()
    }

    fn add(&mut self, other: &NoticeCost) {
        self.pages += other.pages;
        self.sheets += other.sheets;
        self.postage += other.postage;
    }
}

/// Letters by stage and holds by reason: what a run made, or what
/// `validate` says a run would make. The one place they are added up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breakdown {
    pub holds_by_reason: BTreeMap<String, u64>,
    pub letters_by_stage: BTreeMap<String, u64>,
}

impl Breakdown {
    pub fn letter(&mut self, stage: Stage) {
        *self.letters_by_stage.entry(stage.to_string()).or_default() += 1;
    }

    pub fn hold(&mut self, reason_code: &str) {
        *self.holds_by_reason.entry(reason_code.to_string()).or_default() += 1;
    }

    pub fn add(&mut self, other: &Breakdown) {
        for (stage, n) in &other.letters_by_stage {
            *self.letters_by_stage.entry(stage.clone()).or_default() += n;
        }
        for (reason, n) in &other.holds_by_reason {
            *self.holds_by_reason.entry(reason.clone()).or_default() += n;
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub rows: RowCounts,
    pub accounts: u64,
    /// Accounts that got a letter: more than `letters` where households
    /// share one (absent from runs made before householding: `letters`).
    #[serde(default)]
    pub accounts_in_letters: u64,
    pub letters: u64,
    pub holds: u64,
    pub pages: u64,
    pub sheets: u64,
    /// One per letter: a household's accounts share one letter and envelope.
    #[serde(default)]
    pub envelopes: u64,
    /// Estimated from `[vendor.postage]`; the vendor's invoice is the real figure.
    #[serde(default)]
    pub estimated_postage: Cents,
    /// Letters to a confidential address the patient asked for (each an
    /// envelope of its own).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub to_confidential: u64,
    /// What the language-assistance notice added, when it was on.
    #[serde(default, skip_serializing_if = "NoticeCost::is_none")]
    pub language_notice: NoticeCost,
    #[serde(flatten)]
    pub by: Breakdown,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Counts {
    /// An account that got a letter (on its own, or in a household's), from
    /// `rows` rows of the export.
    pub fn in_letter(&mut self, rows: u64) {
        self.accounts += 1;
        self.accounts_in_letters += 1;
        self.rows.in_letters += rows;
    }

    /// A letter made, in its envelope, at the stage the manifest gives it.
    pub fn letter(&mut self, row: &ManifestRow, postage: &Postage) {
        self.letters += 1;
        self.envelopes += 1;
        self.pages += row.pages as u64;
        self.sheets += row.sheets as u64;
        self.estimated_postage += postage.of(row.sheets as u64);
        let without = (row.sheets - row.notice.sheets as usize) as u64;
        self.language_notice.add(&NoticeCost {
            postage: postage.of(row.sheets as u64) - postage.of(without),
            ..row.notice
        });
        self.by.letter(row.stage);
    }

    /// Accounts that got a letter, in runs made before and after kindly
    /// counted them apart from letters.
    pub fn accounts_in_letters(&self) -> u64 {
        if self.accounts_in_letters == 0 { self.letters } else { self.accounts_in_letters }
    }

    /// An account held for `reason_code`, from `rows` rows of the export.
    pub fn hold(&mut self, reason_code: &str, rows: u64) {
        self.accounts += 1;
        self.rows.in_holds += rows;
        self.holds += 1;
        self.by.hold(reason_code);
    }

    /// Another share of the same run's counts (a shard's), added in.
    pub fn add(&mut self, other: &Counts) {
        let (r, o) = (&mut self.rows, &other.rows);
        r.input += o.input;
        r.in_letters += o.in_letters;
        r.in_holds += o.in_holds;
        r.rejected += o.rejected;
        r.warned += o.warned;
        self.accounts += other.accounts;
        self.accounts_in_letters += other.accounts_in_letters;
        self.letters += other.letters;
        self.holds += other.holds;
        self.pages += other.pages;
        self.sheets += other.sheets;
        self.envelopes += other.envelopes;
        self.estimated_postage += other.estimated_postage;
        self.to_confidential += other.to_confidential;
        self.language_notice.add(&other.language_notice);
        self.by.add(&other.by);
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub file: String,
    pub sha256: String,
}

/// `run.json`: what produced this folder, and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    pub kindly_version: String,
    pub typst_version: String,
    pub as_of: String,
    pub input: Fingerprint,
    /// How `encoding = "auto"` found the export's encoding, where the file
    /// did not say (no byte-order mark) and it is not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_read_as: Option<crate::ingest::ReadAs>,
    pub config: Fingerprint,
    /// The mapping file that replaced the config's `[input]`, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping: Option<Fingerprint>,
    pub layouts: Fingerprint,
    /// The hold list the run was given (`--holds`), if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_list: Option<Fingerprint>,
    /// Its rows whose account was not in the export: they held nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_held: Vec<NotHeld>,
    /// The confidential-address file the run was given (`--confidential`),
    /// if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidential: Option<Fingerprint>,
    /// Its rows whose account was not in the export: they readdressed
    /// nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_readdressed: Vec<Unmatched>,
    /// SHA-256 of each letter template's wording (with its language's
    /// partials and labels), by template name, e.g. `en/reminder.typ.j2`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub wording: BTreeMap<String, String>,
    /// The language-assistance notice the letters carried, if it was on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language_notice: Option<NoticeRecord>,
    pub vendor: String,
    pub counts: Counts,
    /// SHA-256 of each file of the run other than the letters, which the
    /// manifest covers.
    pub files: BTreeMap<String, String>,
    /// For a shard's run: which share of the export it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardRecord>,
    /// For a merged run: the shard folders it was made from, each with the
    /// SHA-256 of its run.json.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<Fingerprint>,
    /// A trial run (`--trial`): never recorded in the ledger.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub trial: bool,
    /// Piece ids numbered for a letter that preflight then held (its
    /// account is in holds.csv): the manifest's numbers skip them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pieces_not_made: Vec<String>,
    /// Made with `[mailing] require_approval = true`: nothing of it goes to
    /// the vendor or counts as mailed until someone approves it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub approval_required: bool,
}

/// What made a run, each file by its SHA-256: the same as-of date and the
/// same inputs are the same run (a rerun), whatever folder it is made in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunInputs<'a> {
    pub export: &'a str,
    pub config: &'a str,
    pub mapping: Option<&'a str>,
    pub layouts: &'a str,
    pub hold_list: Option<&'a str>,
    pub confidential: Option<&'a str>,
}

impl RunRecord {
    /// What the language-assistance notice was and cost, in a sentence for
    /// the run's summary and its report; `None` when it was off.
    pub fn notice_sentence(&self) -> Option<String> {
        let notice = self.language_notice.as_ref()?;
        let cost = &self.counts.language_notice;
        let languages = notice.languages.len().saturating_sub(1);
        let own = notice.languages.iter().filter(|l| l.from == TextFrom::Config).count();
        let own = match own {
            0 => String::new(),
            1 if languages == 1 => " (the practice's own text from its config)".to_string(),
            1 => " (1 of them the practice's own text from its config)".to_string(),
            n => format!(" ({n} of them the practice's own texts from its config)"),
        };
        let sheets = match cost.sheets {
            1 => "1 more sheet".to_string(),
            n => format!("{n} more sheets"),
        };
        // A long notice in a large-print letter may take two pages.
        let own_pages = if cost.pages > self.counts.letters {
            "on pages of its own"
        } else {
            "on a page of its own"
        };
        let placed = match notice.placement {
            NoticePlacement::InLetter => format!(
                "{own_pages} after each letter: {} pages, {sheets} (none where it is printed on the \
                 blank back of a letter's last sheet)",
                cost.pages
            ),
            NoticePlacement::Insert => {
                format!("as {NOTICE_INSERT}, which the vendor puts in every envelope: {sheets}")
            }
        };
        let languages = match languages {
            1 => "1 other language".to_string(),
            n => format!("{n} languages"),
        };
        Some(format!(
            "the language-assistance notice, in English and {languages}{own}, went {placed}, \
             estimated postage {} more",
            cost.postage
        ))
    }

    /// What made this run.
    pub fn inputs(&self) -> RunInputs<'_> {
        RunInputs {
            export: &self.input.sha256,
            config: &self.config.sha256,
            mapping: self.mapping.as_ref().map(|m| m.sha256.as_str()),
            layouts: &self.layouts.sha256,
            hold_list: self.hold_list.as_ref().map(|h| h.sha256.as_str()),
            confidential: self.confidential.as_ref().map(|c| c.sha256.as_str()),
        }
    }
}

/// A shard's place in a sharded run. Rows rejected or warned about are
/// reported by shard 1 only, so that every row is counted once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardRecord {
    pub index: u32,
    pub count: u32,
    /// Data rows in the whole export; the shards' rows add up to this.
    pub export_rows: u64,
}
