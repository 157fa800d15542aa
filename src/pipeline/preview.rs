//! Looking at letters before a run: one account's letter as PDF (and PNG
//! pages), the proof set a run would make, and the exact Typst sources of
//! the letters a run would make.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::decide::{DecidedAccount, assess_all, decide, envelopes};
use super::letters::Times;
use super::{Bug, Error, PreviewError, Setup};
use crate::ingest::{self, Partitioned};
use crate::layouts::{NOTICE_DATA, NOTICE_LAYOUT};
use crate::policy::{Decision, HoldReason, Stage};
use crate::proof::{Cover, Picker, Proofed};
use crate::run_folder::{self, OutputError};

/// What `kindly preview` wrote.
pub struct Preview {
    pub stage: Stage,
    /// What a run would do with the account, where that is not this letter:
    /// why it is held, or the letter it is due instead (with `--stage`).
    pub not_sent: Option<String>,
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
) -> Result<Preview, PreviewError> {
    let read = ingest::read_export(export, &setup.config.input, as_of)?;
    let found = read.accounts.iter().find(|a| a.id == account).ok_or_else(|| {
        PreviewError::NoSuchAccount { account: account.to_string(), export: export.to_path_buf() }
    })?;
    let ledger = crate::ledger::Ledger::open_read_only(ledger)?;
    let deciding = (as_of, &setup.config, setup.hold_list.as_ref());
    let assessed = assess_all(std::slice::from_ref(found), deciding, ledger.as_ref())?;
    let assessment = assessed
        .into_iter()
        .next()
        .ok_or_else(|| Error::from(Bug::NoOutcome(account.to_string())))?;
    let not_sent = match (stage, &assessment.decision) {
        (Some(shown), Decision::Letter { stage }) if shown != *stage => {
            Some(format!("a run would send it the {stage} letter, not this one"))
        }
        (Some(_), Decision::Hold { .. }) => Some(format!(
            "a run would send it no letter: it is held ({})",
            assessment.explain(&setup.config.policy)
        )),
        _ => None,
    };
    let stage = match (stage, &assessment.decision) {
        (Some(stage), _) => stage,
        (None, Decision::Letter { stage }) => *stage,
        (None, Decision::Hold { .. }) => {
            return Err(PreviewError::NoLetterDue {
                account: account.to_string(),
                reason: assessment.explain(&setup.config.policy),
            });
        }
    };
    let piece = format!("PREVIEW-{account}");
    let cannot = |reason: String| PreviewError::CannotMake { account: account.to_string(), reason };
    let due = [(found.clone(), stage)];
    let rendered = setup
        .make_letter(&due, &piece, (as_of, false), &Times::default())
        .map_err(|e| cannot(e.to_string()))?
        .rendered;
    run_folder::write_file(pdf, &rendered.pdf)?;
    let mut pngs = Vec::new();
    if png {
        let (_, files) = setup.compose_letter(&due, &piece, as_of)?;
        let stem = pdf.with_extension("");
        for (i, page) in setup.renderer.png_pages(files, as_of, 2.0)?.iter().enumerate() {
            let file = PathBuf::from(format!("{}-{}.png", stem.display(), i + 1));
            run_folder::write_file(&file, page)?;
            pngs.push(file);
        }
    }
    Ok(Preview { stage, not_sent, pages: rendered.pages, pdf: pdf.to_path_buf(), pngs })
}

/// Writes the Typst sources of the first `limit` letters a run would make,
/// one folder per piece (`letter.typ`, `data.json`, `body.typ`, `qr.png`, and
/// with the language-assistance notice on `language-notice.typ` and
/// `notice.json`), so
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
        for decided in decide(
            part?.accounts,
            (as_of, &setup.config, setup.hold_list.as_ref()),
            None,
            &mut next,
            false,
        )? {
            let Some((stage, piece)) = decided.letter() else { continue };
            if written == limit {
                return Ok(written);
            }
            let (_, files) =
                setup.compose_letter(&[(decided.account.clone(), stage)], piece, as_of)?;
            let dir = out.join(piece);
            let write = |name: &str, bytes: &[u8]| run_folder::write_file(&dir.join(name), bytes);
            std::fs::create_dir_all(&dir)
                .map_err(|source| OutputError::Io { path: dir.clone(), source })?;
            write("letter.typ", setup.layouts.letter.as_bytes())?;
            write("data.json", &files.data)?;
            write("body.typ", files.body.as_bytes())?;
            if let Some(qr) = &files.qr {
                write("qr.png", qr)?;
            }
            // The notice the letter includes, when `[language_access]` is on.
            if let (Some(notice), Some(layout)) = (&setup.notice, &setup.layouts.notice_layout) {
                write(NOTICE_LAYOUT, layout.as_bytes())?;
                write(NOTICE_DATA, &notice.data(false))?;
            }
            written += 1;
        }
    }
    Ok(written)
}

/// What `kindly proof` made.
pub struct ProofSet {
    /// Letters the run would make.
    pub letters: u64,
    /// Letters in the proof, and its pages with the cover.
    pub proofed: usize,
    pub pages: usize,
    /// Letters chosen for the proof that could not be made, with why: the
    /// run would hold their accounts.
    pub unmade: Vec<(String, String)>,
}

/// Makes the proof set of the run `kindly run` would make of `export` as of
/// `as_of` (the same letters, chosen the same way, on the same cover) into
/// `out`, laying out only the letters in it. Accounts are decided twice, a
/// partition at a time: once to count the letters and learn their kinds,
/// once to make the chosen ones; memory holds one partition.
pub fn proof(
    setup: &Setup,
    export_path: &Path,
    (as_of, ledger): (NaiveDate, &Path),
    out: &Path,
) -> Result<ProofSet, Error> {
    let export = super::read_export(setup, export_path, as_of)?;
    let insert = super::notice_insert(setup, as_of)?;
    let ledger = crate::ledger::Ledger::open_read_only(ledger)?;
    let household = setup.config.mailing.household;
    let holds = setup.hold_list.as_ref();
    // Each partition's decided accounts, and how many of its rows were rejected.
    let each_part =
        |f: &mut dyn FnMut(Vec<DecidedAccount>, usize) -> Result<(), Error>| -> Result<(), Error> {
            let mut next = 1;
            for part in export.parts() {
                let part = part?;
                let rejected = part.rejects.len();
                f(
                    decide(
                        part.accounts,
                        (as_of, &setup.config, holds),
                        ledger.as_ref(),
                        &mut next,
                        household,
                    )?,
                    rejected,
                )?;
            }
            Ok(())
        };
    let mut kinds = Vec::new();
    let mut counts = run_folder::Counts::default();
    counts.rows.rejected = export.loose.len() as u64;
    each_part(&mut |decided, rejected| {
        counts.rows.rejected += rejected as u64;
        for account in &decided {
            match &account.assessment.decision {
                Decision::Letter { .. } => counts.in_letter(0),
                Decision::Hold { reasons } => {
                    counts.hold(reasons.first().map_or("", HoldReason::code), 0)
                }
            }
        }
        kinds.extend(envelopes(&decided).iter().map(|e| setup.kind_of(&e.accounts)));
        Ok(())
    })?;
    let mut picker = Picker::new(kinds.len() as u64);
    let chosen: Vec<Vec<String>> = kinds.iter().map(|kind| picker.offer(kind)).collect();

    let scratch = out.with_file_name(format!(".kindly-proof-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)
        .map_err(|source| OutputError::Io { path: scratch.clone(), source })?;
    let made = make_chosen(setup, &each_part, &chosen, as_of, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    let ChosenLetters { pieces, unmade } = made?;
    let cover = cover_of(setup, &export, as_of, counts);
    let proofed = pieces.len();
    let pages = pieces.iter().map(|p| p.row.pages).sum::<usize>();
    let pdf = crate::proof::make(&cover, &picker, pieces, insert)?;
    run_folder::write_file(out, &pdf)?;
    Ok(ProofSet { letters: kinds.len() as u64, proofed, pages, unmade })
}

/// Each partition's decided accounts, and how many of its rows were
/// rejected, handed to the function given, in the run's order.
type EachPart<'a> = dyn Fn(&mut dyn FnMut(Vec<DecidedAccount>, usize) -> Result<(), Error>) -> Result<(), Error>
    + 'a;

/// The proof's letters as laid out, and those chosen that could not be
/// made, with why (the run would hold their accounts).
struct ChosenLetters {
    pieces: Vec<Proofed>,
    unmade: Vec<(String, String)>,
}

/// Lays out the letters `chosen` (for each envelope in order, why it is in
/// the proof; empty if it is not) in `scratch`: the proof's pieces, and the
/// chosen letters that could not be made, with why.
fn make_chosen(
    setup: &Setup,
    each_part: &EachPart,
    chosen: &[Vec<String>],
    as_of: NaiveDate,
    scratch: &Path,
) -> Result<ChosenLetters, Error> {
    let mut pieces = Vec::new();
    let mut unmade = Vec::new();
    let mut at = 0;
    let made = each_part(&mut |decided, _| {
        for envelope in envelopes(&decided) {
            let reasons = &chosen[at];
            at += 1;
            if reasons.is_empty() {
                continue;
            }
            let times = Times::default();
            for (_, made) in setup.make_envelopes(
                &envelope.accounts,
                &envelope.piece,
                (as_of, false),
                scratch,
                &times,
            )? {
                match made {
                    Ok(piece) => {
                        let path = scratch.join(format!("{}.pdf", piece.row.piece_id));
                        let pdf = std::fs::read(&path)
                            .map_err(|source| OutputError::Io { path, source })?;
                        pieces.push(Proofed { row: piece.row, reasons: reasons.clone(), pdf });
                    }
                    Err(why) => unmade.push((envelope.piece.clone(), why.to_string())),
                }
            }
        }
        Ok(())
    });
    made.map(|()| ChosenLetters { pieces, unmade })
}

/// The proof's cover: the run's date and counts, and what made it.
fn cover_of(
    setup: &Setup,
    export: &Partitioned,
    as_of: NaiveDate,
    counts: run_folder::Counts,
) -> Cover {
    let input =
        run_folder::Fingerprint { file: export.file.clone(), sha256: export.sha256.clone() };
    let made_by = [&input, &setup.config_file, &setup.layouts_fingerprint()];
    let (hold_list, confidential) =
        (setup.hold_list_fingerprint(), setup.confidential_fingerprint());
    Cover {
        as_of: as_of.to_string(),
        accounts: counts.accounts,
        accounts_in_letters: counts.accounts_in_letters(),
        holds: counts.by.holds_by_reason,
        rejected: counts.rows.rejected,
        identity: Cover::identity(
            made_by,
            [setup.mapping_file.as_ref(), hold_list.as_ref(), confidential.as_ref()],
        ),
    }
}
