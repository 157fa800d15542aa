//! Re-checking a finished run folder: every letter against the manifest's
//! checksum, every other file against the run record, and the counts against
//! each other. What an auditor runs months later, or the vendor on receipt.

use std::collections::BTreeSet;
use std::path::Path;

use crate::output::{self, LETTERS_DIR, MANIFEST_JSON, ManifestRow, RUN_JSON, RunRecord};

/// Every problem found; empty means the folder is intact.
pub fn verify(folder: &Path) -> Result<Vec<String>, String> {
    let read = |name: &str| {
        std::fs::read(folder.join(name)).map_err(|e| format!("cannot read {}: {e}", folder.join(name).display()))
    };
    let record: RunRecord = serde_json::from_slice(&read(RUN_JSON)?)
        .map_err(|e| format!("{} is not a kindly run record: {e}", folder.join(RUN_JSON).display()))?;
    let manifest: Vec<ManifestRow> = serde_json::from_slice(&read(MANIFEST_JSON)?)
        .map_err(|e| format!("{} is not a kindly manifest: {e}", folder.join(MANIFEST_JSON).display()))?;

    let mut problems = Vec::new();
    for (name, expected) in &record.files {
        match read(name) {
            Ok(bytes) if output::sha256(&bytes) == *expected => {}
            Ok(_) => problems.push(format!("{name} has changed since the run (checksum differs)")),
            Err(e) => problems.push(e),
        }
    }
    let mut listed = BTreeSet::new();
    for row in &manifest {
        listed.insert(row.file.clone());
        match read(&row.file) {
            Ok(bytes) if output::sha256(&bytes) == row.sha256 => {}
            Ok(_) => {
                problems.push(format!("{} ({}) has changed since the run (checksum differs)", row.file, row.piece_id))
            }
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
        problems.push(format!("run.json counts {} letters but the manifest lists {}", counts.letters, manifest.len()));
    }
    let pages: u64 = manifest.iter().map(|r| r.pages as u64).sum();
    if counts.pages != pages {
        problems.push(format!("run.json counts {} pages but the manifest adds up to {pages}", counts.pages));
    }
    if counts.accounts != counts.letters + counts.holds {
        problems.push(format!("{} accounts, but {} letters + {} holds", counts.accounts, counts.letters, counts.holds));
    }
    Ok(problems)
}
