//! The statement run, step by step: read the export into partitions, decide
//! every account ahead, make each partition's letters on all cores, check
//! that every row is counted once, write the books and the run record. Each
//! step is a function of its own below `run`; this module only wires the
//! stages (ingest, policy, compose, render, output) together.
//!
//! The pipeline runs one way. `pipeline` may use every stage; no stage uses
//! `pipeline`. (The compiler would allow a cycle; this rule is kept by hand.)

mod books;
mod decide;
mod error;
mod letters;
mod preview;
mod progress;
mod queued;
mod reproduce;
mod setup;
mod workers;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;

pub use decide::{DecidedAccount, decide};
pub use error::{Bug, Error, PreviewError, ReproduceError};
pub use letters::{Made, Times, Unmade};
pub use preview::{Preview, ProofSet, preview, proof, write_sources};
pub use progress::{Progress, Silent};
pub use reproduce::{Reproduction, reproduce};
pub use setup::{LintReport, Setup};

use books::Books;
use decide::decide_ahead;
use queued::{PARTS_QUEUED, Queued, finish_oldest};
use workers::{Job, Workers};

use crate::config::{Escalation, NoticePlacement, PieceOrder};
use crate::ingest::{self, IngestError, Partitioned, Regroup};
use crate::language_access::{NOTICE_INSERT, Notice, NoticeError};
use crate::ledger::{Ledger, LedgerError, LedgerSummary, Recorded};
use crate::model::{Account, IssueKind};
use crate::policy::{self, Stage};
use crate::practice::LedgerPlace;
use crate::print_files::{self, PrintFiles};
use crate::render::TYPST_VERSION;
use crate::report::PICTURES_DIR;
use crate::run_folder::{
    Counts, Fingerprint, Kind, RowCounts, RunInputs, RunRecord, Scratch, ShardRecord, Staging,
};
use crate::sanity::{Facts, Warning};
use crate::shard::Shard;
use crate::validation::Validation;

pub struct RunOptions {
    pub export: PathBuf,
    pub out: PathBuf,
    pub as_of: NaiveDate,
    pub jobs: Option<usize>,
    /// Told as letters are decided and made.
    pub progress: Box<dyn Progress>,
    pub overwrite: bool,
    /// Make no letter at all if any row is rejected.
    pub strict: bool,
    /// Make only this shard's share of the letters.
    pub shard: Option<Shard>,
    /// When the command started (before the config, layouts and fonts were
    /// loaded): the run's times count from here.
    pub started: Instant,
    /// The ledger of what was mailed: read to decide, and written when the
    /// run is complete, unless this is a trial or a shard.
    /// (Its place is checked first: see [`LedgerPlace::check_for_writing`].)
    pub ledger: LedgerPlace,
    /// Today, by the wall clock: a run dated more than a month after it is
    /// refused as a typo unless `future_date` says the date is meant.
    pub today: NaiveDate,
    pub future_date: bool,
    /// A trial run reads the ledger but never writes to it.
    pub trial: bool,
    /// When the run is recorded in the ledger, as the wall clock says.
    pub recorded_at: String,
}

impl RunOptions {
    /// Whether the run is written to the ledger: a shard's run is recorded
    /// when its shards are merged.
    fn records(&self) -> bool {
        !self.trial && self.shard.is_none()
    }
}

/// What the CLI reports at the end of a run.
pub struct RunSummary {
    pub folder: PathBuf,
    pub record: RunRecord,
    pub elapsed_secs: f64,
    /// Seconds from the command's start until the first letters were written.
    pub first_letter_secs: Option<f64>,
    /// Wall seconds for loading the config, layouts and fonts (and checking
    /// the wording), reading the export, deciding every account and making
    /// letters, and writing the manifests and records.
    pub wall: [(&'static str, f64); 4],
    /// Thread-seconds for deciding the accounts and each step of making
    /// letters.
    pub letter_steps: [(&'static str, f64); 6],
    /// What the ledger did with the run, and run folders it mended.
    pub ledger: Option<(Recorded, Vec<PathBuf>)>,
    /// The ledger decided with, as it was before this run (none for a
    /// trial or shard without one), and whether this run started it.
    pub ledger_before: Option<(LedgerSummary, bool)>,
    /// With pieces in ZIP order: how many 3-digit ZIP areas and ZIP codes
    /// they go to (zip-counts.csv has each).
    pub zips: Option<(u64, u64)>,
    /// What looks wrong with the run as a whole (see [`crate::sanity`]).
    pub warnings: Vec<Warning>,
    /// The approval of the run this one replaced (`--overwrite`), which
    /// does not approve this one.
    pub replaced_approval: Option<crate::approval::Approval>,
}

/// What a run would do with an export, without making letters or keeping
/// the accounts: memory stays the same however long the export. With
/// `report`, also writes there the report of this dry run: report.html's
/// sections, and a picture of one sample letter of each stage, language and
/// print size (only these are laid out).
pub fn validate(
    export_path: &Path,
    setup: &Setup,
    as_of: NaiveDate,
    ledger: &Path,
    report: Option<&Path>,
) -> Result<Validation, Error> {
    let config = &setup.config;
    let ledger_line = crate::ledger::describe(ledger)?;
    let ledger = Ledger::open_read_only(ledger)?;
    let first_run = match &ledger {
        Some(ledger) => ledger.summary()?.runs == 0,
        None => true,
    };
    let mut decisions = crate::validation::Decisions::default();
    let mut dry = crate::report::DryRun::default();
    let mut samples: BTreeMap<Kind, (Account, Stage)> = BTreeMap::new();
    let mut failed = None;
    let mut held_by_list = BTreeSet::new();
    let mut readdressed = BTreeSet::new();
    let mut facts = Facts::default();
    let deciding = (as_of, config, setup.hold_list.as_ref());
    let tally = ingest::tally_export(export_path, &config.input, as_of, |accounts| {
        let assessments = match decide::assess_all(accounts, deciding, ledger.as_ref()) {
            Ok(assessments) => assessments,
            Err(e) => {
                failed.get_or_insert(e);
                return;
            }
        };
        for (account, assessment) in accounts.iter().zip(assessments) {
            if assessment.held_by_list() {
                held_by_list.insert(account.id.clone());
            }
            if account.confidential.is_some() {
                readdressed.insert(account.id.clone());
            }
            if !account.unread_whole() {
                facts.account(assessment.balance.0, &account.guarantor.name);
            }
            decisions.add(account, &assessment, &config.policy);
            if report.is_none() {
                continue;
            }
            let (balance, days) = (assessment.balance, assessment.days_past_due);
            match &assessment.decision {
                policy::Decision::Letter { stage } => {
                    let due = [(account.clone(), *stage)];
                    let kind = setup.kind_of(&due);
                    dry.account(Ok(&kind), balance, days);
                    let [due] = due;
                    if !due.0.confidential_address() {
                        samples.entry(kind).or_insert(due);
                    }
                }
                policy::Decision::Hold { reasons } => dry.account(
                    Err(reasons.first().map_or("", policy::HoldReason::code)),
                    balance,
                    days,
                ),
            }
        }
    })?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    let not_held = setup.not_held(&held_by_list, as_of);
    let not_readdressed = setup.not_readdressed(&readdressed);
    let finish = |decisions: crate::validation::Decisions, tally: ingest::Tally| {
        let count = |issues: &[crate::model::Issue], kind| {
            issues.iter().filter(|i| i.kind == kind).count() as u64
        };
        let facts = Facts {
            as_of: Some(as_of),
            rows: tally.rows,
            after_as_of: count(&tally.rejects, IssueKind::ServiceAfterAsOf),
            balance_differs: count(&tally.warnings, IssueKind::BalanceDiffers),
            ..facts.clone()
        };
        let read_as = tally.read_as.map(|r| r.to_string());
        let validation = decisions.finish(tally, as_of);
        let by_age_first_letters =
            by_age_first_letters(setup, first_run, &validation.letters_by_stage);
        let facts = Facts { by_age_first_letters, ..facts };
        Validation {
            not_held,
            not_readdressed: not_readdressed.clone(),
            notice_texts_to_check: setup.notice.iter().flat_map(Notice::to_check).collect(),
            read_as,
            ledger: ledger_line.clone(),
            checks: crate::sanity::warnings(&facts),
            ..validation
        }
    };
    let Some(report) = report else { return Ok(finish(decisions, tally)) };
    dry.issues(tally.rejects.clone(), tally.warnings.clone());
    for (kind, due) in samples {
        let account = due.0.id.clone();
        dry.picture(kind, &account, sample_picture(setup, due, as_of)?);
    }
    let validation = finish(decisions, tally);
    let looking_back = match &ledger {
        Some(ledger) => crate::outcomes::for_report(&crate::outcomes::measure(ledger, None, None)?),
        None => None,
    };
    let record = dry_run_record(setup, as_of, &validation);
    crate::run_folder::write_file(report, &dry.write(&record, looking_back.as_ref()))?;
    Ok(validation)
}

/// The first page of a sample letter, drawn for a dry run's report.
fn sample_picture(
    setup: &Setup,
    due: (Account, Stage),
    as_of: NaiveDate,
) -> Result<Vec<u8>, Error> {
    let account = due.0.id.clone();
    let (_, files) = setup.compose_letter(&[due], &format!("SAMPLE-{account}"), as_of)?;
    let document = setup.renderer.layout(files, as_of)?;
    let picture = |message: String| Error::Picture { piece: format!("account {account}"), message };
    let page = document.pages().first().ok_or_else(|| picture("it has no pages".to_string()))?;
    crate::render::page_png(page, PICTURE_SCALE).map_err(|e| picture(e.to_string()))
}

/// The record a dry run's report shows: a trial, one letter per account.
fn dry_run_record(setup: &Setup, as_of: NaiveDate, validation: &Validation) -> RunRecord {
    let counts = Counts {
        accounts: validation.accounts,
        letters: validation.letters_by_stage.values().sum(),
        accounts_in_letters: validation.letters_by_stage.values().sum(),
        holds: validation.holds_by_reason.values().map(|h| h.count as u64).sum(),
        rows: RowCounts { rejected: validation.rejects.count as u64, ..RowCounts::default() },
        ..Counts::default()
    };
    let input = Fingerprint { file: validation.file.clone(), sha256: validation.sha256.clone() };
    RunRecord {
        trial: true,
        not_held: validation.not_held.clone(),
        not_readdressed: validation.not_readdressed.clone(),
        ..base_record(setup, as_of, input, counts)
    }
}

/// Makes the letters and writes the run folder. The export is read once into
/// partitions by account; a thread decides each partition ahead of the
/// letters (so letters are numbered the same in every shard and the
/// progress bar learns the total), and the letters are made a partition
/// at a time (the next one queued behind it), so memory does not grow with
/// the export. The manifest is
/// written as letters are made, in piece order; audit and hold rows are
/// merged into account order at the end.
pub fn run(setup: &Setup, options: &RunOptions) -> Result<RunSummary, Error> {
    let (started, entered) = (options.started, Instant::now());
    // The folder first: a second run into it is refused at once, without
    // waiting for the ledger the first one holds.
    refuse_unfilled(setup, options)?;
    let mut staging = Staging::create(&options.out, options.overwrite)?;
    let unapproved = crate::approval::read(&options.out);
    let (writer, mended, ledger_before) = open_ledger(options)?;
    let export = read_export(setup, &options.export, options.as_of)?;
    let read = Instant::now();
    if let Some(writer) = &writer {
        refuse_a_second_run(writer, setup, options, &export)?;
    }
    if options.strict {
        refuse_rejects(&export)?;
    }
    // Before the letters, so an insert that does not fit stops the run at once.
    if let Some(insert) = notice_insert(setup, options.as_of)? {
        staging.write(NOTICE_INSERT, &insert)?;
    }
    let scratch = staging.scratch()?;
    let times = Times::default();
    let mut books = Books::open(&staging, export.loose.clone(), setup.config.vendor.postage)?;
    let reader = Ledger::open_read_only(&options.ledger.path)?;
    let (first_letter, print_files, pictures) =
        make_letters(setup, options, &export, reader, (&staging, &scratch), &times, &mut books)?;
    let made = Instant::now();
    // The letters' layouts are not needed again: dropping them before the
    // proof and report are made keeps those from adding to the run's peak
    // (1,000 accounts: 63-64 instead of 71-72 MiB).
    comemo::evict(0);
    for written in &print_files {
        staging.written(&written.file, &written.sha256);
    }
    write_pictures(&mut staging, pictures)?;
    let not_held = setup.not_held(&books.held_by_list, options.as_of);
    let not_readdressed = setup.not_readdressed(&books.readdressed);
    let pieces_not_made: Vec<String> = books.pieces_not_made.iter().cloned().collect();
    let facts = Facts {
        as_of: Some(options.as_of),
        rows: export.rows,
        after_as_of: books.rejected(IssueKind::ServiceAfterAsOf),
        balance_differs: books.warned(IssueKind::BalanceDiffers),
        ..books.facts.clone()
    };
    let counts = books.close(export.rows, options.shard, &mut staging)?;
    let first_run = ledger_before.as_ref().is_none_or(|(before, _)| before.runs == 0);
    let facts = Facts {
        by_age_first_letters: by_age_first_letters(setup, first_run, &counts.by.letters_by_stage),
        ..facts
    };
    drop(scratch);
    let folder = staging.path().to_path_buf();
    let zips = write_vendor_files(setup, &mut staging)?;
    // A shard's report leaves the ledger to the merged run's.
    let ledger = match options.shard {
        None => Ledger::open_read_only(&options.ledger.path)?,
        Some(_) => None,
    };
    let as_of = options.as_of.to_string();
    let from_ledger = crate::changes::from_ledger(ledger.as_ref(), &options.out, &as_of, &folder)?;
    let record = |staging: &Staging| RunRecord {
        not_held: not_held.clone(),
        not_readdressed: not_readdressed.clone(),
        pieces_not_made: pieces_not_made.clone(),
        ..run_record(setup, options, &export, counts.clone(), staging)
    };
    crate::report::finish_folder(&mut staging, record, &from_ledger)?;
    let record = record(&staging);
    let folder = staging.finish(&record)?;
    let ledger_recorded = match writer {
        Some(mut writer) => Some((record_run(&mut writer, &folder, options)?, mended)),
        None => None,
    };
    Ok(RunSummary {
        replaced_approval: unapproved,
        warnings: crate::sanity::warnings(&facts),
        ledger: ledger_recorded,
        ledger_before,
        zips,
        folder,
        record,
        elapsed_secs: started.elapsed().as_secs_f64(),
        first_letter_secs: first_letter,
        wall: [
            ("loading and checking layouts", (entered - started).as_secs_f64()),
            ("reading", (read - entered).as_secs_f64()),
            ("deciding and making letters", (made - read).as_secs_f64()),
            ("manifests and records", made.elapsed().as_secs_f64()),
        ],
        letter_steps: times.seconds(),
    })
}

/// The language-assistance notice as the sheet the vendor puts in every
/// envelope, when `[language_access] placement = "insert"`: one page, as
/// each envelope's sheets count it, or an error naming the fix. The run
/// writes it before any letter and `kindly proof` ends with it, so a
/// notice too long for its sheet stops both before anything is signed.
fn notice_insert(setup: &Setup, as_of: NaiveDate) -> Result<Option<Vec<u8>>, Error> {
    if setup.config.language_access.placed() != Some(NoticePlacement::Insert) {
        return Ok(None);
    }
    let insert = setup.renderer.notice_insert(as_of)?;
    if insert.pages > 1 {
        return Err(NoticeError::InsertPages { pages: insert.pages }.into());
    }
    Ok(Some(insert.pdf))
}

/// With `escalation = "by_age"` and a ledger without runs (`first_run`),
/// the letters past the reminder in `letters_by_stage`: each is a
/// patient's first letter from kindly, which a practice starts at the
/// reminder. None otherwise.
fn by_age_first_letters(
    setup: &Setup,
    first_run: bool,
    letters_by_stage: &BTreeMap<String, u64>,
) -> Option<u64> {
    let by_age = setup.config.policy.escalation == Escalation::ByAge;
    let reminder = Stage::Reminder.to_string();
    (by_age && first_run)
        .then(|| letters_by_stage.iter().filter(|(s, _)| **s != reminder).map(|(_, n)| n).sum())
}

/// A run that would print "EDIT ME" on letters is refused; a trial run
/// may show it.
fn refuse_unfilled(setup: &Setup, options: &RunOptions) -> Result<(), Error> {
    let unfilled = setup.config.unfilled();
    if unfilled.is_empty() || options.trial {
        return Ok(());
    }
    Err(Error::Unfilled { config: setup.config_file.file.clone(), settings: unfilled.join(", ") })
}

/// A run over a folder whose letters went out, or a second run for the
/// same day from other inputs, would mail patients twice: refused.
fn refuse_a_second_run(
    writer: &Ledger,
    setup: &Setup,
    options: &RunOptions,
    export: &Partitioned,
) -> Result<(), Error> {
    writer.check_replaceable(&options.out)?;
    match writer.other_run_on(options.as_of, run_inputs(setup, export), &options.out)? {
        Some(folder) => {
            Err(LedgerError::SameDay { as_of: options.as_of.to_string(), folder }.into())
        }
        None => Ok(()),
    }
}

/// The vendor's upload files (unless the run needs approving first:
/// `kindly handoff` writes them then) and, in ZIP order, the ZIP counts.
fn write_vendor_files(setup: &Setup, staging: &mut Staging) -> Result<Option<(u64, u64)>, Error> {
    let folder = staging.path().to_path_buf();
    if !setup.config.mailing.require_approval {
        crate::handoff::write_requests(&setup.config, &folder, |name, sha| {
            staging.written(name, sha)
        })?;
    }
    Ok(match setup.config.mailing.order {
        PieceOrder::Zip => Some(crate::run_folder::write_zip_counts(&folder, |name, sha| {
            staging.written(name, sha)
        })?),
        PieceOrder::Run => None,
    })
}

/// Records the finished folder in the ledger; a failure leaves the folder
/// complete, and says how it gets recorded.
fn record_run(writer: &mut Ledger, folder: &Path, options: &RunOptions) -> Result<Recorded, Error> {
    writer.record(folder, &options.recorded_at).map_err(|source| Error::NotRecorded {
        folder: folder.to_path_buf(),
        source: Box::new(source),
    })
}

/// The export read into partitions, in the order the run makes their
/// letters: households together, or ZIP order, as `[mailing]` says.
fn read_export(setup: &Setup, path: &Path, as_of: NaiveDate) -> Result<Partitioned, Error> {
    let export = Partitioned::read(path, &setup.config.input, as_of)?;
    let mailing = &setup.config.mailing;
    Ok(match (mailing.household, mailing.order) {
        (true, _) => export.regroup(Regroup::Household)?,
        (false, PieceOrder::Zip) => export.regroup(Regroup::Zip)?,
        (false, PieceOrder::Run) => export,
    })
}

/// What made the run: export, config, mapping and hold list (if any) and
/// layouts.
fn run_inputs<'a>(setup: &'a Setup, export: &'a Partitioned) -> RunInputs<'a> {
    RunInputs {
        export: &export.sha256,
        config: &setup.config_file.sha256,
        mapping: setup.mapping_file.as_ref().map(|m| m.sha256.as_str()),
        layouts: &setup.layouts.sha256,
        hold_list: setup.hold_list.as_ref().map(|h| h.sha256.as_str()),
        confidential: setup.confidential.as_ref().map(|c| c.sha256.as_str()),
    }
}

/// The ledger to record the run in, locked for the whole run so that two
/// runs never decide from the same history at once, and mended first (a run
/// folder an earlier run did not record is recorded now), with what it held
/// before and whether this run starts it. A trial or a shard only reads it,
/// and gets no writer. The run's date is checked against it: see
/// [`check_as_of`].
#[allow(clippy::type_complexity)]
fn open_ledger(
    options: &RunOptions,
) -> Result<(Option<Ledger>, Vec<PathBuf>, Option<(LedgerSummary, bool)>), Error> {
    let new = !options.ledger.path.exists();
    if !options.records() {
        let before =
            Ledger::open_read_only(&options.ledger.path)?.map(|l| l.summary()).transpose()?;
        return Ok((None, Vec::new(), before.map(|s| (s, false))));
    }
    let mut ledger = Ledger::open(
        &options.ledger.path,
        &format!("is making the run {}", options.out.display()),
    )?;
    let mended = ledger.mend(&options.recorded_at)?;
    let summary = ledger.summary()?;
    check_as_of(&summary, options)?;
    Ok((Some(ledger), mended, Some((summary, new))))
}

/// A run's date must fit the ledger it is recorded in: not before its
/// latest run (a run dated earlier would decide from a past that has already
/// happened and record letters out of order; the same day is a rerun), and
/// not more than a month after today unless `--future-date` says it is
/// meant (a year mistyped dates every letter a year ahead).
fn check_as_of(ledger: &LedgerSummary, options: &RunOptions) -> Result<(), Error> {
    let as_of = options.as_of.to_string();
    if let Some(latest) = ledger.latest.as_ref().filter(|latest| as_of < **latest) {
        return Err(Error::AsOfBeforeLedger {
            as_of,
            latest: latest.clone(),
            ledger: ledger.path.clone(),
        });
    }
    let ahead = options.today.checked_add_months(chrono::Months::new(1)).unwrap_or(options.today);
    if options.as_of > ahead && !options.future_date {
        return Err(Error::AsOfAhead { as_of, today: options.today.to_string() });
    }
    Ok(())
}

/// `--strict`: no letter at all if any row of the export is rejected, which
/// must be known before the first letter.
fn refuse_rejects(export: &Partitioned) -> Result<(), Error> {
    use rayon::prelude::*;
    let per_part: Vec<usize> = (0..export.count())
        .into_par_iter()
        .map(|i| export.part(i).map(|part| part.rejects.len()))
        .collect::<Result<_, IngestError>>()?;
    let rejected = export.loose.len() + per_part.iter().sum::<usize>();
    if rejected > 0 { Err(Error::Strict(rejected)) } else { Ok(()) }
}

/// Pixels per point of the pictures of letters in the run's report: 0.6
/// draws a US Letter page 367 x 475 pixels, enough to read the wording and
/// see the layout, at about 70 KB a picture.
const PICTURE_SCALE: f64 = 0.6;

/// The picture of the first letter of each stage, language and variant, in
/// piece order, for the run's report: its piece id and the picture.
type Pictures = BTreeMap<Kind, (String, letters::Picture)>;

/// Writes the pictures of letters for the report into `pictures/`, each
/// named after its piece.
fn write_pictures(staging: &mut Staging, pictures: Pictures) -> Result<(), Error> {
    let dir = staging.path().join(PICTURES_DIR);
    std::fs::create_dir_all(&dir)
        .map_err(|source| crate::run_folder::OutputError::Io { path: dir, source })?;
    for (piece, picture) in pictures.into_values() {
        let png = picture.map_err(|message| Error::Picture { piece: piece.clone(), message })?;
        staging.write(&crate::report::picture_of(&piece), &png)?;
    }
    Ok(())
}

/// Decides every partition ahead and makes its letters as it comes, into
/// the books. Returns when the first letter was made, in seconds from the
/// command's start, the combined print files written, and the pictures of
/// letters for the report.
fn make_letters(
    setup: &Setup,
    options: &RunOptions,
    export: &Partitioned,
    ledger: Option<Ledger>,
    (staging, scratch): (&Staging, &Scratch),
    times: &Times,
    books: &mut Books,
) -> Result<(Option<f64>, Vec<print_files::Written>, Pictures), Error> {
    let as_of = options.as_of;
    let progress = options.progress.as_ref();
    let letters_dir = staging.letters_dir();
    let threads = options
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let first_letter = std::sync::OnceLock::new();
    let make = |job: &Job| {
        let made = setup.make_envelopes(
            &job.accounts,
            &job.piece,
            (as_of, job.picture),
            &letters_dir,
            times,
        );
        first_letter.get_or_init(|| options.started.elapsed().as_secs_f64());
        progress.made_one();
        made
    };
    let mut pictures = Pictures::new();
    let print_files = std::thread::scope(|scope| -> Result<Vec<print_files::Written>, Error> {
        let deciding = (
            as_of,
            &setup.config,
            setup.hold_list.as_ref(),
            options.shard,
            setup.config.mailing.household,
        );
        let decided = decide_ahead(scope, export, deciding, ledger, scratch, times, |letters| {
            progress.more_to_make(letters)
        });
        let workers = Workers::start(scope, threads, &make)?;
        let mut print = start_print(scope, setup, options, staging)?;
        let mut queued = VecDeque::new();
        for i in 0..export.count() {
            let mut part = decided.recv().map_err(|_| Error::from(Bug::DecidingStopped))??;
            books.take(&mut part);
            let entries = scratch.path(&format!("{i}.jsonl"));
            queued.push_back(Queued::start(
                setup,
                &workers,
                (i, part, entries),
                &pictures,
                &queued,
            )?);
            if queued.len() >= PARTS_QUEUED {
                finish_oldest(
                    setup,
                    &workers,
                    &mut queued,
                    books,
                    (print.as_mut(), &mut pictures),
                )?;
            }
        }
        while !queued.is_empty() {
            finish_oldest(setup, &workers, &mut queued, books, (print.as_mut(), &mut pictures))?;
        }
        Ok(match print {
            Some(print) => print.finish()?,
            None => Vec::new(),
        })
    })?;
    progress.finished();
    Ok((first_letter.get().copied(), print_files, pictures))
}

/// The combined print files' writer, if the run writes them: named
/// `letters-0001.pdf` and on, or after the shard.
fn start_print<'scope, 'env>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    setup: &'env Setup,
    options: &RunOptions,
    staging: &Staging,
) -> Result<Option<PrintFiles<'scope>>, Error> {
    if !setup.combined {
        return Ok(None);
    }
    let stem = match options.shard {
        Some(shard) => format!("letters-shard-{}-of-{}", shard.index(), shard.count()),
        None => "letters".to_string(),
    };
    let to = (staging.path().join(print_files::PRINT_DIR), stem);
    let max_pages = setup.config.print.max_pages;
    Ok(Some(PrintFiles::start(scope, &setup.renderer, to, max_pages, options.as_of)?))
}

/// `run.json`: what made this run, and what it holds.
fn run_record(
    setup: &Setup,
    options: &RunOptions,
    export: &Partitioned,
    counts: Counts,
    staging: &Staging,
) -> RunRecord {
    let input = Fingerprint { file: export.file.clone(), sha256: export.sha256.clone() };
    RunRecord {
        input_read_as: export.read_as,
        files: staging.files().clone(),
        shard: options.shard.map(|s| ShardRecord {
            index: s.index(),
            count: s.count(),
            export_rows: export.rows,
        }),
        trial: options.trial,
        ..base_record(setup, options.as_of, input, counts)
    }
}

/// A record of what made letters of `input` as of `as_of` with this setup,
/// and `counts`: no files, not a shard's, not a trial.
fn base_record(setup: &Setup, as_of: NaiveDate, input: Fingerprint, counts: Counts) -> RunRecord {
    RunRecord {
        kindly_version: env!("CARGO_PKG_VERSION").to_string(),
        typst_version: TYPST_VERSION.to_string(),
        as_of: as_of.to_string(),
        input,
        input_read_as: None,
        config: setup.config_file.clone(),
        mapping: setup.mapping_file.clone(),
        layouts: setup.layouts_fingerprint(),
        hold_list: setup.hold_list_fingerprint(),
        not_held: Vec::new(),
        confidential: setup.confidential_fingerprint(),
        not_readdressed: Vec::new(),
        language_notice: setup.notice.as_ref().map(Notice::record),
        wording: setup.layouts.wording_sha256(),
        vendor: setup.config.vendor.name.clone(),
        counts,
        files: BTreeMap::new(),
        shard: None,
        merged_from: Vec::new(),
        trial: false,
        pieces_not_made: Vec::new(),
        approval_required: setup.config.mailing.require_approval,
    }
}
