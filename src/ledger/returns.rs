//! The vendor's report of returned pieces, and a run folder's pieces, read
//! to mark them in the ledger.

use std::path::Path;

use super::recording::read_rows;
use super::{LedgerError, PieceState, StateChange};
use crate::decode::SmallCsv;
use crate::run_folder::{MANIFEST_CSV, ManifestRow};

/// Reads a vendor's report of returned pieces: a CSV with a header naming a
/// piece column (`piece_id` or `piece`), a date column (`date`,
/// `returned_on` or `returned_at`; a date, or a timestamp that starts with
/// one) and, if it has one, a `reason` column. A row that cannot be read
/// stops the whole file, naming its line, column and value.
pub fn read_returns(path: &Path) -> Result<Vec<StateChange>, LedgerError> {
    let bad = |line: u64, column: &str, value: &str, reason: &str| LedgerError::Returns {
        file: path.to_path_buf(),
        line,
        column: column.to_string(),
        value: value.to_string(),
        reason: reason.to_string(),
    };
    let bytes = std::fs::read(path).map_err(|e| bad(0, "", "", &e.to_string()))?;
    let csv = SmallCsv::new(&bytes);
    let mut reader = csv.reader();
    let headers = reader.headers().map_err(|e| bad(1, "", "", &e.to_string()))?.clone();
    let find = |names: &[&str]| {
        headers.iter().position(|h| names.contains(&h.trim().to_lowercase().as_str()))
    };
    let piece =
        find(&["piece_id", "piece"]).ok_or_else(|| bad(1, "piece_id", "", "no piece_id column"))?;
    let day = find(&["date", "returned_on", "returned_at"])
        .ok_or_else(|| bad(1, "date", "", "no date column"))?;
    let reason = find(&["reason"]);
    let mut changes = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| bad(csv.line(e.position()), "", "", &e.to_string()))?;
        let line = csv.line(row.position());
        let cell = |i: usize| row.get(i).unwrap_or_default().trim();
        let id = cell(piece);
        if id.is_empty() {
            return Err(bad(line, &headers[piece], "", "no piece id"));
        }
        let text = cell(day);
        let on = crate::dates::parse(text).ok_or_else(|| {
            bad(line, &headers[day], text, &format!("not {}", crate::dates::FORMS))
        })?;
        let reason = reason.map(cell).filter(|r| !r.is_empty()).map(String::from);
        changes.push(StateChange {
            piece: id.to_string(),
            state: PieceState::Returned,
            on,
            reason,
        });
    }
    Ok(changes)
}

/// The piece ids of a run folder, from its manifest.
pub fn pieces_of(folder: &Path) -> Result<Vec<String>, LedgerError> {
    let rows: Vec<ManifestRow> = read_rows(folder, MANIFEST_CSV)
        .map_err(|reason| LedgerError::Folder { folder: folder.to_path_buf(), reason })?;
    Ok(rows.into_iter().map(|r| r.piece_id).collect())
}
