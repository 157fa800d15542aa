//! `report.html`: the run at a glance, for the billing manager who decides
//! whether it goes to the vendor. One self-contained file (charts as inline
//! SVG drawn by plotters, each with the table of its numbers for screen
//! readers, pictures as inline PNG, the styles inline, no script, no font
//! and no address outside the run folder), made from the run folder's own
//! files a row at a time, so its cost does not grow with memory.
//!
//! The counting is `counts` (or, for a dry run, `dry_run`), "What changed"
//! is `changes`, the charts are `charts`, and `page` puts them into the
//! words of `report/report.html`, a minijinja template like the letters',
//! which HTML-escapes everything a patient's record or the export holds.

use std::path::Path;

use crate::proof::{PROOF_PDF, ProofError};
use crate::render::TYPST_STACK;
use crate::run_folder::{OutputError, RunRecord, Staging};

mod changes;
mod charts;
mod counts;
mod dry_run;
mod page;

pub use changes::{Changes, changes_since};

/// What a run's report shows from the ledger, made before the run is
/// recorded in it: what changed since its latest earlier run, and what
/// earlier letters led to.
#[derive(Default)]
pub struct FromLedger {
    pub changes: Option<Changes>,
    pub looking_back: Option<LookingBack>,
}

/// "What earlier letters led to", as `kindly outcomes` measures it: its
/// table's rows (group, letters, paid in full, any payment, paid per
/// letter) and its chart's bars (any payment, in whole percent, by stage).
pub struct LookingBack {
    pub runs: usize,
    pub letters: u64,
    pub pending: u64,
    pub rows: Vec<Vec<String>>,
    pub bars: Vec<(String, u64)>,
    /// Each wording trial's variant against its baseline, in a sentence.
    pub trials: Vec<String>,
}
pub use dry_run::DryRun;

use counts::FolderCounts;
use page::{Heading, LetterPicture, render};

/// The report's file name in the run folder.
pub const REPORT_HTML: &str = "report.html";

/// Rows of rejects and warnings shown per kind; the rest are counted.
const ROWS_SHOWN: usize = 5;

/// The folder of the run with the pictures of letters the report shows,
/// `pictures/<piece>.png`: the first page of the first letter of each
/// stage, language and variant, drawn by the run as it laid them out.
pub const PICTURES_DIR: &str = "pictures";

/// The name in the run folder of a piece's picture.
pub fn picture_of(piece: &str) -> String {
    format!("{PICTURES_DIR}/{piece}.png")
}

/// Writes the last files of a run folder, which read the others: proof.pdf,
/// and report.html, which links to it. `record` gives the run's record
/// with the files staged so far. They are the run's last work, and the
/// proof is laid out on a thread of its own while the report is written,
/// so that a core is not idle while the other lays the proof out (1,000
/// accounts: "manifests and records" 0.1 s before, 0.06-0.07 s after).
pub fn finish_folder(
    staging: &mut Staging,
    record: impl Fn(&Staging) -> RunRecord,
    from_ledger: &FromLedger,
) -> Result<(), ProofError> {
    let folder = staging.path().to_path_buf();
    let record = record(staging);
    let proof = || crate::proof::of_folder(&folder, &record);
    let (proof, report) = std::thread::scope(|scope| {
        let thread = std::thread::Builder::new().stack_size(TYPST_STACK).spawn_scoped(scope, proof);
        let report = write(&folder, &record, from_ledger);
        let proof = match thread {
            Ok(thread) => thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // Without a second thread, the proof is made after the report.
            Err(_) => proof(),
        };
        (proof, report)
    });
    staging.write(PROOF_PDF, &proof?)?;
    staging.write(REPORT_HTML, &report?)?;
    Ok(())
}

/// The report of the run folder `folder`, whose record is `record` (not
/// yet written; its `files` list the pictures), with what the ledger tells
/// of earlier runs.
fn write(
    folder: &Path,
    record: &RunRecord,
    from_ledger: &FromLedger,
) -> Result<Vec<u8>, OutputError> {
    let tally = FolderCounts::read(folder, record)?;
    let mut pictures = Vec::new();
    for (kind, piece) in &tally.samples {
        let path = folder.join(picture_of(&piece.piece_id));
        let png = std::fs::read(&path).map_err(|source| OutputError::Io { path, source })?;
        let (name, link) = (piece.piece_id.clone(), Some(piece.file.clone()));
        pictures.push(LetterPicture { kind: kind.clone(), name, link, png });
    }
    Ok(render(record, &tally, &pictures, Heading::Run(from_ledger)).into_bytes())
}

#[cfg(test)]
mod tests;
