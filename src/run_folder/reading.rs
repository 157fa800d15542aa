//! Reading a finished run folder back: its files, and its run.json. What
//! the ledger, the hand-off, merge and `kindly verify` read a run from.

use std::path::{Path, PathBuf};

use super::{RUN_JSON, RunRecord};

/// Why a finished folder cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a kindly {what}: {source}")]
    NotKindly { path: PathBuf, what: &'static str, source: serde_json::Error },
}

/// Reads a file of a run folder.
pub fn read(folder: &Path, name: &str) -> Result<Vec<u8>, FolderError> {
    let path = folder.join(name);
    std::fs::read(&path).map_err(|source| FolderError::Read { path, source })
}

/// Reads a run folder's run.json: the record, and its bytes.
pub fn read_record(folder: &Path) -> Result<(RunRecord, Vec<u8>), FolderError> {
    let bytes = read(folder, RUN_JSON)?;
    let record = serde_json::from_slice(&bytes).map_err(|source| FolderError::NotKindly {
        path: folder.join(RUN_JSON),
        what: "run record",
        source,
    })?;
    Ok((record, bytes))
}
