//! Re-checking a finished run folder: every letter against the manifest's
//! checksum, every other file against the run record, and the counts against
//! each other. What an auditor runs months later, or the vendor on receipt.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;

use crate::run_folder::{FolderError, LETTERS_DIR, MANIFEST_JSON, read, read_record};

/// What verifying needs of a manifest entry. Only these fields are read, so
/// run folders of every kindly version can be verified.
#[derive(Deserialize)]
struct ListedPiece {
    piece_id: String,
    file: String,
    pages: usize,
    sha256: String,
}

/// Every problem found; empty means the folder is intact.
pub fn verify(folder: &Path) -> Result<Vec<String>, FolderError> {
    let (record, _) = read_record(folder)?;
    let manifest: Vec<ListedPiece> =
        serde_json::from_slice(&read(folder, MANIFEST_JSON)?).map_err(|source| {
            FolderError::NotKindly { path: folder.join(MANIFEST_JSON), what: "manifest", source }
        })?;
    let read = |name: &str| read(folder, name).map_err(|e| e.to_string());

    let mut problems = Vec::new();
    for (name, expected) in &record.files {
        match read(name) {
            Ok(bytes) if crate::digest::sha256(&bytes) == *expected => {}
            Ok(_) => problems.push(format!("{name} has changed since the run (checksum differs)")),
            Err(e) => problems.push(e),
        }
    }
    let mut listed = BTreeSet::new();
    for row in &manifest {
        listed.insert(row.file.clone());
        match read(&row.file) {
            Ok(bytes) if crate::digest::sha256(&bytes) == row.sha256 => {}
            Ok(_) => problems.push(format!(
                "{} ({}) has changed since the run (checksum differs)",
                row.file, row.piece_id
            )),
            Err(e) => problems.push(e),
        }
    }
    if let Ok(entries) = std::fs::read_dir(folder.join(LETTERS_DIR)) {
        for entry in entries.flatten() {
            let file = format!("{LETTERS_DIR}/{}", entry.file_name().to_string_lossy());
            if !listed.contains(&file) {
                problems.push(format!("{file} is not in the manifest"));
            }
        }
    }
    let counts = &record.counts;
    if !counts.rows.add_up() {
        let r = &counts.rows;
        problems.push(format!(
            "rows do not add up: {} read, but {} in letters + {} in holds + {} rejected",
            r.input, r.in_letters, r.in_holds, r.rejected
        ));
    }
    if counts.letters != manifest.len() as u64 {
        problems.push(format!(
            "run.json counts {} letters but the manifest lists {}",
            counts.letters,
            manifest.len()
        ));
    }
    let pages: u64 = manifest.iter().map(|r| r.pages as u64).sum();
    if counts.pages != pages {
        problems.push(format!(
            "run.json counts {} pages but the manifest adds up to {pages}",
            counts.pages
        ));
    }
    let in_letters = counts.accounts_in_letters();
    if counts.accounts != in_letters + counts.holds {
        problems.push(format!(
            "{} accounts, but {in_letters} in letters + {} holds",
            counts.accounts, counts.holds
        ));
    }
    Ok(problems)
}
