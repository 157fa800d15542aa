//! Looking at letters before a run: one account's letter as PDF (and PNG
//! pages), and the exact Typst sources of the letters a run would make.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::decide::decide;
use super::letters::Times;
use super::{Error, Setup};
use crate::ingest::{self, Partitioned};
use crate::output::{self, OutputError};
use crate::policy::{self, Decision, Stage};

/// What `kindly preview` wrote.
pub struct Preview {
    pub stage: Stage,
    pub pages: usize,
    pub pdf: PathBuf,
    pub pngs: Vec<PathBuf>,
}

/// Makes one account's letter into `pdf`: the letter it is due, or `stage`
/// if given (to see a letter it would not get). With `png`, each page is
/// also drawn as `PDF-1.png`, `PDF-2.png`, ... The account is decided as
/// of `as_of` with what the ledger says was sent before.
pub fn preview(
    setup: &Setup,
    export: &Path,
    account: &str,
    stage: Option<Stage>,
    (as_of, ledger): (NaiveDate, &Path),
    pdf: &Path,
    png: bool,
) -> Result<Preview, Error> {
    let read = ingest::read_export(export, &setup.config.input, as_of)?;
    let found = read
        .accounts
        .iter()
        .find(|a| a.id == account)
        .ok_or_else(|| Error::NoSuchAccount { account: account.to_string(), export: export.to_path_buf() })?;
    let history = match crate::ledger::Ledger::open_read_only(ledger)? {
        Some(ledger) => ledger.histories([account], as_of)?.remove(account).unwrap_or_default(),
        None => policy::History::default(),
    };
    let assessment = policy::assess(found, as_of, &setup.config.policy, &history);
    let stage = match (stage, &assessment.decision) {
        (Some(stage), _) => stage,
        (None, Decision::Letter { stage }) => *stage,
        (None, Decision::Hold { .. }) => {
            return Err(Error::NoLetterDue {
                account: account.to_string(),
                reason: assessment.explain(&setup.config.policy),
            });
        }
    };
    let piece = format!("PREVIEW-{account}");
    let cannot = |reason: String| Error::CannotMake { account: account.to_string(), reason };
    let due = [(found.clone(), stage)];
    let rendered =
        setup.make_letter(&due, &piece, (as_of, false), &Times::default()).map_err(|e| cannot(e.to_string()))?.rendered;
    output::write_file(pdf, &rendered.pdf)?;
    let mut pngs = Vec::new();
    if png {
        let (_, files) = setup.compose_letter(&due, &piece, as_of)?;
        let stem = pdf.with_extension("");
        for (i, page) in setup.renderer.png_pages(files, as_of, 2.0)?.iter().enumerate() {
            let file = PathBuf::from(format!("{}-{}.png", stem.display(), i + 1));
            output::write_file(&file, page)?;
            pngs.push(file);
        }
    }
    Ok(Preview { stage, pages: rendered.pages, pdf: pdf.to_path_buf(), pngs })
}

/// Writes the Typst sources of the first `limit` letters a run would make,
/// one folder per piece (`letter.typ`, `data.json`, `body.typ`, `qr.png`), so
/// that a letter can be compiled by hand with the `typst` command (fonts from
/// the layouts' `fonts` folder) and other renderers can be measured on the
/// same letters. Pieces are numbered as `kindly run` numbers them. Returns
/// how many were written. Accounts are decided as for a practice's first
/// run, with nothing in the ledger, and one letter per account (never a
/// household's).
pub fn write_sources(
    setup: &Setup,
    export_path: &Path,
    as_of: NaiveDate,
    out: &Path,
    limit: usize,
) -> Result<usize, Error> {
    let export = Partitioned::read(export_path, &setup.config.input, as_of)?;
    let mut next = 1;
    let mut written = 0;
    for part in export.parts() {
        for decided in decide(part?.accounts, as_of, &setup.config.policy, None, &mut next, false)? {
            let Some((stage, piece)) = decided.letter() else { continue };
            if written == limit {
                return Ok(written);
            }
            let (_, files) = setup.compose_letter(&[(decided.account.clone(), stage)], piece, as_of)?;
            let dir = out.join(piece);
            let write = |name: &str, bytes: &[u8]| output::write_file(&dir.join(name), bytes);
            std::fs::create_dir_all(&dir).map_err(|source| OutputError::Io { path: dir.clone(), source })?;
            write("letter.typ", setup.layouts.letter.as_bytes())?;
            write("data.json", &files.data)?;
            write("body.typ", files.body.as_bytes())?;
            if let Some(qr) = &files.qr {
                write("qr.png", qr)?;
            }
            written += 1;
        }
    }
    Ok(written)
}
