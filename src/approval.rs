//! Sign-off before anything is mailed: `kindly approve` records who looked
//! at a run (its report.html and letters) and said "send it", as
//! `approval.json` in the run folder with the SHA-256 of the run's
//! `run.json`. With `[mailing] require_approval = true`, `kindly handoff`
//! refuses a run nobody approved, or one that changed after it was
//! approved (its run.json, or any file run.json lists, no longer matches).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::run_folder::FolderError;
use crate::run_folder::RUN_JSON;

/// The approval's file name in the run folder.
pub const APPROVAL_JSON: &str = "approval.json";

/// `approval.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// Who approved the run, as they gave their name.
    pub approved_by: String,
    /// The day they approved it.
    pub approved_on: String,
    /// The run's as-of date, from its run.json.
    pub as_of: String,
    /// SHA-256 of the run.json they approved.
    pub run_json_sha256: String,
    pub kindly_version: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApprovalError {
    #[error(transparent)]
    Verify(#[from] FolderError),
    #[error("{folder} fails its checks, so it cannot be approved: {}", problems.join("; "))]
    FailsChecks { folder: PathBuf, problems: Vec<String> },
    #[error("give the name of the person approving the run with --by")]
    NoName,
    #[error(
        "{folder} is a run of {as_of}, so it cannot have been approved on {on}; check the date \
         (nothing was approved)"
    )]
    BeforeRun { folder: PathBuf, on: String, as_of: String },
    #[error(
        "{folder} has not been approved, and the config requires approval before a handoff: look at its report.html, then run `kindly approve {folder} --by NAME`"
    )]
    NotApproved { folder: PathBuf },
    #[error(
        "{folder} changed after {by} approved it on {on} (its run.json is not the one approved): look at it again and approve it again"
    )]
    Changed { folder: PathBuf, by: String, on: String },
    #[error("{path} cannot be read as an approval: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

/// What `kindly approve` did: the approval written, and the one it replaced
/// (approving a run again), which the ledger keeps beside it.
pub struct Approved {
    pub approval: Approval,
    pub replaced: Option<Approval>,
}

/// Approves the run in `folder` as `by` on `on`, after checking every file
/// of it as `kindly verify` does; writes `approval.json`. A date before the
/// run's as-of date is a typo, and approves nothing.
pub fn approve(folder: &Path, by: &str, on: chrono::NaiveDate) -> Result<Approved, ApprovalError> {
    let by = by.trim();
    if by.is_empty() {
        return Err(ApprovalError::NoName);
    }
    let problems = crate::verify::verify(folder)?;
    if !problems.is_empty() {
        return Err(ApprovalError::FailsChecks { folder: folder.to_path_buf(), problems });
    }
    let (record, run_json) = crate::run_folder::read_record(folder)?;
    if on.to_string() < record.as_of {
        return Err(ApprovalError::BeforeRun {
            folder: folder.to_path_buf(),
            on: on.to_string(),
            as_of: record.as_of,
        });
    }
    let path = folder.join(APPROVAL_JSON);
    let replaced = read(folder);
    let approval = Approval {
        approved_by: by.to_string(),
        approved_on: on.to_string(),
        as_of: record.as_of,
        run_json_sha256: crate::digest::sha256(&run_json),
        kindly_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let mut json = serde_json::to_vec_pretty(&approval).unwrap_or_default();
    json.push(b'\n');
    std::fs::write(&path, json).map_err(|source| ApprovalError::Write { path, source })?;
    Ok(Approved { approval, replaced })
}

/// What the run folder's approval.json says, if it has one that can be
/// read, whether or not it still matches the run.
pub fn read(folder: &Path) -> Option<Approval> {
    serde_json::from_slice(&std::fs::read(folder.join(APPROVAL_JSON)).ok()?).ok()
}

/// The run's approval, if it has one that still matches its run.json.
/// (`kindly verify` checks the files run.json lists against it.)
pub fn check(folder: &Path) -> Result<Approval, ApprovalError> {
    let path = folder.join(APPROVAL_JSON);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ApprovalError::NotApproved { folder: folder.to_path_buf() });
        }
        Err(e) => return Err(ApprovalError::Unreadable { path, reason: e.to_string() }),
    };
    let approval: Approval = serde_json::from_slice(&bytes)
        .map_err(|e| ApprovalError::Unreadable { path, reason: e.to_string() })?;
    let run_json = crate::run_folder::read(folder, RUN_JSON)?;
    if crate::digest::sha256(&run_json) != approval.run_json_sha256 {
        return Err(ApprovalError::Changed {
            folder: folder.to_path_buf(),
            by: approval.approved_by,
            on: approval.approved_on,
        });
    }
    Ok(approval)
}
