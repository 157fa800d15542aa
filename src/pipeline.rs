//! The statement run, stage by stage: ingest, policy, compose, render, output.
//! Each stage is a plain function of plain data; this module only wires them
//! together, spreads rendering over the cores and keeps the books.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Instant;

use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};

use crate::compose::{self, ComposeError, LetterFiles, Wording};
use crate::config::{Config, ConfigError};
use crate::ingest::{self, Export, IngestError, Partitioned};
use crate::layouts::{Layouts, LayoutsError};
use crate::lint::{self, Finding};
use crate::model::Account;
use crate::output::{self, *};
use crate::policy::{self, Assessment, Decision, HoldReason, Stage};
use crate::preflight;
use crate::render::{RenderError, Renderer, TYPST_VERSION};
use crate::shard::Shard;

/// Typst's workers recurse deeply on real letters; rayon's default 2 MiB
/// stack overflows.
const WORKER_STACK: usize = 32 * 1024 * 1024;
/// Typst's memo cache is trimmed after every this many letters per thread,
/// by whichever thread makes that letter, while the others go on laying out
/// theirs (comemo allows that). Trimming at a barrier instead, with every
/// thread idle, cost ~12% of the run (10,000 accounts: 304 vs 346 letters/s,
/// peak 73 vs 69 MiB). Trimming less often only cost memory.
const LETTERS_BETWEEN_TRIMS: usize = 4;
/// What Typst laid out for earlier letters is kept while a letter since the
/// last trim used it: the layout's fixed parts (letterhead, labels, the
/// wording's set paragraphs) are laid out once per run, each letter's own
/// lines are dropped at the next trim but one. Clearing it all instead made
/// layout ~20% slower (1.95 vs 1.6 s of layout for 659 letters) for 7 MiB less.
const CACHE_AGE: usize = 1;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Layouts(#[from] LayoutsError),
    #[error(transparent)]
    Compose(#[from] ComposeError),
    #[error("the layout cannot be used: {0}")]
    Render(#[from] RenderError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("the wording does not pass its checks; fix these and run again:\n{}", .0.iter().map(|f| format!("  {f}")).collect::<Vec<_>>().join("\n"))]
    Lint(Vec<Finding>),
    #[error("{0} rows of the export cannot be used, and --strict makes no letters then; see `kindly validate`")]
    Strict(usize),
    #[error("{0}")]
    Other(String),
}

/// Everything loaded once per process: config, layouts, wording, fonts.
pub struct Setup {
    pub config: Config,
    pub config_file: Fingerprint,
    pub layouts: Layouts,
    pub wording: Wording,
    pub renderer: Renderer,
}

impl Setup {
    /// Loads the config and its layouts, and lays out one sample letter of
    /// every stage and language so that a broken template or layout stops
    /// the run before any letter is written.
    /// Loads the config and its layouts, lints every stage's wording in every
    /// language and lays out a sample of each, so that a broken template,
    /// wording that fails its checks, or a layout that fails preflight stops
    /// the run before any letter is written. `layouts` replaces the folder
    /// named in the config, so a practice can try an edited copy.
    pub fn load(config_path: &Path, layouts: Option<&Path>) -> Result<Setup, Error> {
        let setup = Setup::open(config_path, layouts)?;
        let findings: Vec<Finding> = setup.lint()?.into_iter().flat_map(|r| r.findings).collect();
        if findings.is_empty() { Ok(setup) } else { Err(Error::Lint(findings)) }
    }

    /// Loads the config and layouts without checking the wording.
    pub fn open(config_path: &Path, layouts: Option<&Path>) -> Result<Setup, Error> {
        // Typst lays pages out and writes PDFs on rayon's global pool; its
        // workers need large stacks too. Set up once, before any letter.
        let _ = rayon::ThreadPoolBuilder::new().stack_size(WORKER_STACK).build_global();
        let (mut config, bytes) = Config::load(config_path)?;
        if let Some(dir) = layouts {
            config.layouts = dir.to_path_buf();
        }
        let layouts = Layouts::load(&config.layouts)?;
        let wording = Wording::new(&layouts)?;
        let renderer = Renderer::new(&layouts, &config.pdf)?;
        Ok(Setup {
            config_file: Fingerprint { file: config_path.display().to_string(), sha256: output::sha256(&bytes) },
            config,
            layouts,
            wording,
            renderer,
        })
    }

    /// Every stage's letter in every language, written for a sample account
    /// that cannot be credit-reported: its findings, and an error if one
    /// cannot be laid out.
    pub fn lint(&self) -> Result<Vec<LintReport>, Error> {
        let sample = crate::synth::sample_account();
        let as_of = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap_or_default();
        let mut reports = Vec::new();
        for language in self.wording.languages() {
            for stage in Stage::ALL {
                let letter =
                    compose::letter(&sample, stage, "CHECK", self.wording.language_for(language), as_of, &self.config);
                let body = self.wording.body(&letter)?;
                let template = format!("{}/{language}/{}.typ.j2", crate::layouts::WORDING_DIR, stage.id());
                let mut findings = lint::check(&template, &letter, &body, &self.config.lint);
                let readability = lint::readability(language, &body);
                let files = compose::files(&letter, body)?;
                let cannot =
                    |e: RenderError| Error::Other(format!("the {language} {stage} letter cannot be laid out: {e}"));
                let document = self.renderer.layout(files, as_of).map_err(cannot)?;
                let name = &letter.practice.name;
                if !preflight::letterhead_names(&document, name, &self.config.vendor) {
                    findings.push(Finding {
                        template: template.clone(),
                        rule: "letterhead",
                        detail: format!("the first page does not name {name:?} above the recipient window"),
                    });
                }
                preflight::check(&document, &self.config.vendor).map_err(|v| cannot(RenderError::Preflight(v)))?;
                self.renderer.export(&document, "CHECK", as_of).map_err(cannot)?;
                reports.push(LintReport { readability, findings, template });
            }
        }
        Ok(reports)
    }

    /// Writes one letter: its facts, wording and QR code.
    pub fn compose_letter(
        &self,
        account: &Account,
        stage: Stage,
        piece: &str,
        as_of: NaiveDate,
    ) -> Result<(compose::Letter, LetterFiles), ComposeError> {
        let language = self.wording.language_for(&account.language);
        let letter = compose::letter(account, stage, piece, language, as_of, &self.config);
        let body = self.wording.body(&letter)?;
        let files = compose::files(&letter, body)?;
        Ok((letter, files))
    }

    /// Composes, lays out and checks one letter; one that cannot be made or
    /// fails a check comes back as the reason to hold it.
    pub fn render_letter(
        &self,
        account: &Account,
        stage: Stage,
        piece: &str,
        as_of: NaiveDate,
        times: &Times,
    ) -> Result<(compose::Letter, crate::render::Rendered), HoldReason> {
        let started = Instant::now();
        let (letter, files) = self
            .compose_letter(account, stage, piece, as_of)
            .map_err(|e| HoldReason::RenderFailed { message: e.to_string() })?;
        let started = times.add(&times.compose, started);
        if !letter.credit_reporting_possible
            && let Some(phrase) = self.config.lint.credit_language(&lint::plain_text(&files.body))
        {
            return Err(HoldReason::Preflight {
                rule: "credit reporting".into(),
                detail: format!("the wording mentions {phrase:?}, but this account cannot be reported"),
            });
        }
        let hold = |e| match e {
            RenderError::Preflight(v) => HoldReason::Preflight { rule: v.rule.to_string(), detail: v.detail },
            RenderError::Failed(message) => HoldReason::RenderFailed { message },
        };
        let document = self.renderer.layout(files, as_of).map_err(hold)?;
        let started = times.add(&times.layout, started);
        preflight::check(&document, &self.config.vendor).map_err(|v| hold(RenderError::Preflight(v)))?;
        let started = times.add(&times.check, started);
        let rendered = self.renderer.export(&document, piece, as_of).map_err(hold)?;
        times.add(&times.export, started);
        Ok((letter, rendered))
    }
}

/// Time spent on each step of making letters, summed over all render
/// threads, to see where a run's time goes.
#[derive(Debug, Default)]
pub struct Times {
    decide: AtomicU64,
    compose: AtomicU64,
    layout: AtomicU64,
    check: AtomicU64,
    export: AtomicU64,
    write: AtomicU64,
}

impl Times {
    /// Adds the time since `since` to a step and returns now.
    fn add(&self, step: &AtomicU64, since: Instant) -> Instant {
        let now = Instant::now();
        step.fetch_add((now - since).as_nanos() as u64, Ordering::Relaxed);
        now
    }

    /// Seconds per step: deciding, wording, Typst layout, preflight, PDF
    /// export, writing.
    pub fn seconds(&self) -> [(&'static str, f64); 6] {
        let s = |step: &AtomicU64| step.load(Ordering::Relaxed) as f64 / 1e9;
        [
            ("deciding", s(&self.decide)),
            ("wording", s(&self.compose)),
            ("layout", s(&self.layout)),
            ("preflight", s(&self.check)),
            ("PDF export", s(&self.export)),
            ("writing", s(&self.write)),
        ]
    }
}

/// What linting found in one wording template.
pub struct LintReport {
    pub template: String,
    pub readability: Option<String>,
    pub findings: Vec<Finding>,
}

/// What a run would do with an export, without making letters or keeping
/// the accounts: memory stays the same however long the export.
pub fn validate(export_path: &Path, config: &Config, as_of: NaiveDate) -> Result<crate::report::Validation, Error> {
    let mut decisions = crate::report::Decisions::default();
    let tally = ingest::tally_export(export_path, &config.input, as_of, |account| {
        decisions.add(account, &policy::assess(account, as_of, &config.policy), &config.policy)
    })?;
    Ok(decisions.finish(tally, as_of))
}

/// The export read and every account decided, for previewing one account.
pub struct Plan {
    pub export: Export,
    pub assessments: Vec<Assessment>,
    pub as_of: NaiveDate,
}

impl Plan {
    pub fn make(export_path: &Path, config: &Config, as_of: NaiveDate) -> Result<Plan, Error> {
        let export = ingest::read_export(export_path, &config.input, as_of)?;
        let assessments = export.accounts.iter().map(|a| policy::assess(a, as_of, &config.policy)).collect();
        Ok(Plan { export, assessments, as_of })
    }

    pub fn accounts(&self) -> impl Iterator<Item = (&Account, &Assessment)> {
        self.export.accounts.iter().zip(&self.assessments)
    }
}

/// Writes the Typst sources of the first `limit` letters a run would make,
/// one folder per piece (`letter.typ`, `data.json`, `body.typ`, `qr.png`), so
/// that a letter can be compiled by hand with the `typst` command (fonts from
/// the layouts' `fonts` folder) and other renderers can be measured on the
/// same letters. Returns how many were written.
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
        let part = part?;
        for (account, assessment, piece) in number_letters(&part.accounts, as_of, &setup.config.policy, &mut next) {
            let (Decision::Letter { stage }, Some(piece)) = (assessment.decision, piece) else { continue };
            if written == limit {
                return Ok(written);
            }
            let (_, files) = setup.compose_letter(account, stage, &piece, as_of)?;
            let dir = out.join(&piece);
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

/// A partition's accounts, each decided and, if it gets a letter, given its
/// piece id: letters are numbered from `next` in account order, and `next`
/// moves past them. Every run and shard numbers this way, partition by
/// partition, so a piece id is the same whichever shard makes the letter.
fn number_letters<'a>(
    accounts: &'a [Account],
    as_of: NaiveDate,
    policy: &crate::config::Policy,
    next: &mut u64,
) -> Vec<(&'a Account, Assessment, Option<String>)> {
    let stamp = as_of.format("%Y%m%d");
    accounts
        .iter()
        .map(|account| {
            let assessment = policy::assess(account, as_of, policy);
            let piece = matches!(assessment.decision, Decision::Letter { .. }).then(|| {
                *next += 1;
                format!("K{stamp}-{:05}", *next - 1)
            });
            (account, assessment, piece)
        })
        .collect()
}

pub struct RunOptions {
    pub export: PathBuf,
    pub out: PathBuf,
    pub as_of: NaiveDate,
    pub jobs: Option<usize>,
    pub progress: bool,
    pub overwrite: bool,
    /// Make no letter at all if any row is rejected.
    pub strict: bool,
    /// Make only this shard's share of the letters.
    pub shard: Option<Shard>,
    /// When the command started (before the config, layouts and fonts were
    /// loaded): the run's times count from here.
    pub started: Instant,
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
}

/// The outcome of one letter: its manifest row, or why it was held.
type Outcome = Result<ManifestRow, HoldReason>;

/// One account's rows of audit.csv and holds.csv, as kept on disk between
/// making the letters (partition by partition) and writing those files (in
/// account order).
#[derive(serde::Serialize, serde::Deserialize)]
struct Entry {
    audit: AuditRow,
    hold: Option<HoldRow>,
}

/// Makes the letters and writes the run folder. The export is read into
/// partitions by account and gone through twice: once to decide every
/// account and count the letters of each partition, so that letters are
/// numbered the same way in every shard and the progress bar knows the
/// total, and once to make them, one partition at a time, so memory does not
/// grow with the export. The manifest is written as letters are made, in
/// piece order; each partition's audit and hold rows wait in a work file
/// until all are merged into audit.csv and holds.csv in account order.
pub fn run(setup: &Setup, options: &RunOptions) -> Result<RunSummary, Error> {
    let (started, entered) = (options.started, Instant::now());
    let (as_of, policy) = (options.as_of, &setup.config.policy);
    let export = Partitioned::read(&options.export, &setup.config.input, as_of)?;
    let read = Instant::now();
    let mine = |account: &Account| options.shard.is_none_or(|s| s.includes(&account.guarantor));

    if options.strict {
        let rejected = count_rejects(&export)?;
        if rejected > 0 {
            return Err(Error::Strict(rejected));
        }
    }

    let mut staging = Staging::create(&options.out, options.overwrite)?;
    let scratch = staging.scratch()?;
    let bar = if options.progress { ProgressBar::new(0) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} letters, {rate}, {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key("rate", |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0} letters/s", state.per_sec());
            })
            .progress_chars("=> "),
    );
    let threads = options.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    let letters_dir = staging.letters_dir();
    let times = Times::default();
    let mut counts = Counts::default();
    let (mut rejects, mut warnings) = (export.loose.clone(), Vec::new());
    let (mut lettered, mut rows_in_accounts) = (0, 0);
    let mut first_letter = None;
    let mut work_files = Vec::new();
    let make = |job: &Job| {
        let outcome = render_piece(setup, &job.account, job.stage, &job.piece, as_of, &letters_dir, &times);
        bar.inc(1);
        outcome
    };
    let mut records = Records::create(&staging)?;
    std::thread::scope(|scope| -> Result<(), Error> {
        // Every account is decided once ahead of making the letters, to
        // count each partition's letters: a partition's letters are numbered
        // after those of the partitions before it (whichever shard makes
        // them), so the first letter waits only for the first partition, and
        // the progress bar learns the total as deciding goes on.
        let (decisions, decided) = mpsc::channel();
        let (export, bar, times) = (&export, &bar, &times);
        scope.spawn(move || {
            for i in 0..export.count() {
                let started = Instant::now();
                let part = export.part(i).map(|part| Decided::part(part, as_of, policy, mine));
                times.add(&times.decide, started);
                if let Ok(part) = &part {
                    bar.inc_length(part.to_make);
                }
                if decisions.send(part).is_err() {
                    break;
                }
            }
        });
        let workers = Workers::start(scope, threads, &make)?;
        for part in export.parts() {
            let part = part?;
            let counted = decided.recv().map_err(|_| Error::Other("deciding the accounts stopped early".into()))??;
            let mut next = lettered + 1;
            lettered += counted.letters;
            rows_in_accounts += counted.rows;
            rejects.extend(counted.rejects);
            warnings.extend(counted.warnings);
            let accounts: Vec<_> = number_letters(&part.accounts, as_of, policy, &mut next)
                .into_iter()
                .filter(|(account, ..)| mine(account))
                .collect();
            let jobs: Vec<Job> = accounts
                .iter()
                .enumerate()
                .filter_map(|(index, (account, assessment, piece))| match (&assessment.decision, piece) {
                    (Decision::Letter { stage }, Some(piece)) => {
                        Some(Job { index, account: (*account).clone(), stage: *stage, piece: piece.clone() })
                    }
                    _ => None,
                })
                .collect();
            let mut outcomes: Vec<Option<Outcome>> = vec![None; accounts.len()];
            workers.make(jobs, |(index, outcome)| {
                first_letter.get_or_insert_with(|| started.elapsed().as_secs_f64());
                outcomes[index] = Some(outcome?);
                Ok(())
            })?;
            let path = scratch.path(&format!("{}.jsonl", work_files.len()));
            let mut file = std::io::BufWriter::new(std::fs::File::create(&path).map_err(|e| scratch_error(&path, e))?);
            for ((account, assessment, _), outcome) in accounts.into_iter().zip(outcomes) {
                let (entry, manifest) = settle(account, assessment, outcome, policy, &mut counts)?;
                if let Some(row) = &manifest {
                    records.manifest(row)?;
                }
                crate::jsonl::write(&mut file, &entry).map_err(|e| scratch_error(&path, e))?;
            }
            file.flush().map_err(|e| scratch_error(&path, e))?;
            work_files.push(path);
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    let rendered = Instant::now();
    if rows_in_accounts + rejects.len() as u64 != export.rows {
        return Err(Error::Other(format!(
            "internal error: {} rows read, but {rows_in_accounts} in accounts and {} rejected",
            export.rows,
            rejects.len()
        )));
    }
    rejects.sort_by_key(|i| i.line);
    warnings.sort_by_key(|i| i.line);
    if !options.shard.is_none_or(Shard::reports_rows) {
        rejects.clear();
        warnings.clear();
    }
    counts.rows.rejected = rejects.len() as u64;
    counts.rows.warned = warnings.iter().map(|w| w.line).collect::<std::collections::BTreeSet<_>>().len() as u64;

    counts.rows.input = match options.shard {
        None => export.rows,
        Some(_) => counts.rows.in_letters + counts.rows.in_holds + counts.rows.rejected,
    };
    if !counts.rows.add_up() {
        return Err(Error::Other(format!("internal error: rows do not add up: {:?}", counts.rows)));
    }
    let entries = work_files.iter().map(|path| read_entries(path)).collect::<Result<Vec<_>, _>>()?;
    for entry in crate::sorted::merge(entries, |e: &Entry| e.audit.account.clone()) {
        let entry = entry?;
        records.audit(&entry.audit)?;
        if let Some(row) = &entry.hold {
            records.hold(row)?;
        }
    }
    records.finish(&mut staging)?;
    drop(scratch);
    staging.write(REJECTS_CSV, &issues_csv(&rejects))?;
    staging.write(WARNINGS_CSV, &issues_csv(&warnings))?;
    let record = RunRecord {
        kindly_version: env!("CARGO_PKG_VERSION").to_string(),
        typst_version: TYPST_VERSION.to_string(),
        as_of: as_of.to_string(),
        input: Fingerprint { file: export.file.clone(), sha256: export.sha256.clone() },
        config: setup.config_file.clone(),
        layouts: Fingerprint { file: setup.layouts.dir.display().to_string(), sha256: setup.layouts.sha256.clone() },
        vendor: setup.config.vendor.name.clone(),
        counts,
        files: staging.files().clone(),
        shard: options.shard.map(|s| ShardRecord { index: s.index(), count: s.count(), export_rows: export.rows }),
        merged_from: Vec::new(),
    };
    let folder = staging.finish(&record)?;
    let wall = [
        ("loading and checking layouts", (entered - started).as_secs_f64()),
        ("reading", (read - entered).as_secs_f64()),
        ("deciding and making letters", (rendered - read).as_secs_f64()),
        ("manifests and records", rendered.elapsed().as_secs_f64()),
    ];
    Ok(RunSummary {
        folder,
        record,
        elapsed_secs: started.elapsed().as_secs_f64(),
        first_letter_secs: first_letter,
        wall,
        letter_steps: times.seconds(),
    })
}

/// Rows rejected in the whole export, for `--strict`, which must know before
/// any letter is made.
fn count_rejects(export: &Partitioned) -> Result<usize, Error> {
    use rayon::prelude::*;
    let per_part: Vec<usize> = (0..export.count())
        .into_par_iter()
        .map(|i| export.part(i).map(|part| part.rejects.len()))
        .collect::<Result<_, IngestError>>()?;
    Ok(export.loose.len() + per_part.iter().sum::<usize>())
}

/// What deciding one partition's accounts found: how many letters it has, for
/// numbering them, and its rows, for counting them.
struct Decided {
    /// Accounts that get a letter, whichever shard makes it.
    letters: u64,
    /// Letters this run (or shard) makes.
    to_make: u64,
    /// Rows in the partition's accounts.
    rows: u64,
    rejects: Vec<crate::model::Issue>,
    warnings: Vec<crate::model::Issue>,
}

impl Decided {
    fn part(
        part: ingest::Part,
        as_of: NaiveDate,
        policy: &crate::config::Policy,
        mine: impl Fn(&Account) -> bool,
    ) -> Decided {
        let mut decided = Decided { letters: 0, to_make: 0, rows: 0, rejects: part.rejects, warnings: part.warnings };
        for account in &part.accounts {
            decided.rows += account.charges.len() as u64;
            if let Decision::Letter { .. } = policy::assess(account, as_of, policy).decision {
                decided.letters += 1;
                decided.to_make += u64::from(mine(account));
            }
        }
        decided
    }
}

fn scratch_error(path: &Path, source: std::io::Error) -> Error {
    Error::Output(OutputError::Io { path: path.to_path_buf(), source })
}

/// A partition's work file, entry by entry.
fn read_entries(path: &Path) -> Result<impl Iterator<Item = Result<Entry, Error>> + use<>, Error> {
    let path = path.to_path_buf();
    let entries = crate::jsonl::read(&path).map_err(|e| scratch_error(&path, e))?;
    Ok(entries.map(move |entry| entry.map_err(|e| scratch_error(&path, e))))
}

/// Where one account ends: its audit row, and its hold row or manifest row.
fn settle(
    account: &Account,
    mut assessment: Assessment,
    outcome: Option<Outcome>,
    policy: &crate::config::Policy,
    counts: &mut Counts,
) -> Result<(Entry, Option<ManifestRow>), Error> {
    let mut row = None;
    match outcome {
        Some(Ok(manifest_row)) => row = Some(manifest_row),
        Some(Err(reason)) => assessment.decision = Decision::Hold { reasons: vec![reason] },
        None => {}
    }
    counts.accounts += 1;
    let lines = account.lines().map(|l| l.to_string()).collect::<Vec<_>>().join(" ");
    let rows = account.charges.len() as u64;
    let explain = assessment.explain(policy);
    let audit = AuditRow {
        account: account.id.clone(),
        guarantor: account.guarantor.name.clone(),
        decision: output::Outcome::Hold,
        stage: String::new(),
        piece_id: String::new(),
        balance: assessment.balance.to_string(),
        oldest_unpaid_service: assessment.oldest_unpaid.map(|d| d.to_string()).unwrap_or_default(),
        days_past_due: assessment.days_past_due,
        preferred_language: account.language.clone(),
        letter_language: String::new(),
        variant: String::new(),
        reason: explain.clone(),
        input_lines: lines.clone(),
    };
    match (&assessment.decision, row) {
        (Decision::Letter { stage }, Some(row)) => {
            counts.rows.in_letters += rows;
            counts.letters += 1;
            counts.pages += row.pages as u64;
            counts.sheets += row.sheets as u64;
            *counts.letters_by_stage.entry(stage.to_string()).or_default() += 1;
            let audit = AuditRow {
                decision: output::Outcome::Letter,
                stage: stage.to_string(),
                piece_id: row.piece_id.clone(),
                letter_language: row.language.clone(),
                variant: row.variant.clone(),
                ..audit
            };
            Ok((Entry { audit, hold: None }, Some(row)))
        }
        (Decision::Hold { reasons }, _) => {
            counts.rows.in_holds += rows;
            counts.holds += 1;
            let first = reasons.first().map_or("", HoldReason::code);
            *counts.holds_by_reason.entry(first.to_string()).or_default() += 1;
            let hold = HoldRow {
                account: account.id.clone(),
                guarantor: account.guarantor.name.clone(),
                balance: assessment.balance.to_string(),
                reason_code: first.to_string(),
                reason: explain,
                input_lines: lines,
            };
            Ok((Entry { audit, hold: Some(hold) }, None))
        }
        (Decision::Letter { .. }, None) => {
            Err(Error::Other(format!("internal error: no outcome for account {}", account.id)))
        }
    }
}

/// One letter to make: the account's place in its partition, the account,
/// its stage and its piece id.
struct Job {
    index: usize,
    account: Account,
    stage: Stage,
    piece: String,
}

type Made = (usize, Result<Outcome, OutputError>);

/// The threads that make letters, one per core with large stacks, for the
/// whole run. Letters are not rayon tasks: Typst queues its own work on
/// rayon, and a letter waiting on that work would pick up other letters
/// meanwhile (measured 5% slower). Threads that last the run, rather than new
/// ones for every batch, keep the allocator from spreading memory over ever
/// more arenas (peak 78 MiB rather than 105 MiB at 100,000 accounts).
struct Workers {
    jobs: mpsc::Sender<Job>,
    made: mpsc::Receiver<Made>,
    /// Set when the run stops early (a letter could not be written), so
    /// that the threads drop the letters still queued instead of making them.
    stopping: Arc<AtomicBool>,
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::Relaxed);
    }
}

impl Workers {
    fn start<'scope, 'env>(
        scope: &'scope std::thread::Scope<'scope, 'env>,
        threads: usize,
        make: &'env (dyn Fn(&Job) -> Result<Outcome, OutputError> + Sync),
    ) -> Result<Workers, Error> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let (done, made) = mpsc::channel();
        let letters = Arc::new(AtomicUsize::new(0));
        let stopping = Arc::new(AtomicBool::new(false));
        let trim_every = LETTERS_BETWEEN_TRIMS * threads;
        for n in 0..threads {
            let (queue, done, letters, stopping) = (queue.clone(), done.clone(), letters.clone(), stopping.clone());
            std::thread::Builder::new()
                .name(format!("kindly-render-{n}"))
                .stack_size(WORKER_STACK)
                .spawn_scoped(scope, move || {
                    while let Ok(Ok(job)) = queue.lock().map(|q| q.recv()) {
                        if stopping.load(Ordering::Relaxed) {
                            break;
                        }
                        let outcome = make_caught(make, &job);
                        if (letters.fetch_add(1, Ordering::Relaxed) + 1) % trim_every == 0 {
                            comemo::evict(CACHE_AGE);
                        }
                        if done.send((job.index, outcome)).is_err() {
                            break;
                        }
                    }
                })
                .map_err(|e| Error::Other(format!("cannot start a render thread: {e}")))?;
        }
        Ok(Workers { jobs, made, stopping })
    }

    /// Makes the letters, handing each to `each` as it is made (in any order).
    fn make(&self, jobs: Vec<Job>, mut each: impl FnMut(Made) -> Result<(), Error>) -> Result<(), Error> {
        let stopped = || Error::Other("a render thread stopped before finishing its letters".into());
        let count = jobs.len();
        for job in jobs {
            self.jobs.send(job).map_err(|_| stopped())?;
        }
        for _ in 0..count {
            each(self.made.recv().map_err(|_| stopped())?)?;
        }
        Ok(())
    }
}

/// A panic inside Typst holds that one letter, with the reason, instead of
/// stopping the run.
fn make_caught(
    make: &(dyn Fn(&Job) -> Result<Outcome, OutputError> + Sync),
    job: &Job,
) -> Result<Outcome, OutputError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| make(job))).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Ok(Err(HoldReason::RenderFailed { message: format!("Typst stopped with an internal error: {message}") }))
    })
}

/// Renders one piece and writes its PDF. A letter that cannot be composed,
/// laid out or passed by preflight is held with the reason; only a failure
/// to write stops the run.
fn render_piece(
    setup: &Setup,
    account: &Account,
    stage: Stage,
    piece: &str,
    as_of: NaiveDate,
    letters_dir: &Path,
    times: &Times,
) -> Result<Outcome, OutputError> {
    let (letter, rendered) = match setup.render_letter(account, stage, piece, as_of, times) {
        Ok(done) => done,
        Err(reason) => return Ok(Err(reason)),
    };
    let started = Instant::now();
    let vendor = &setup.config.vendor;
    let pages = rendered.pages;
    let sheets = if vendor.duplex { pages.div_ceil(2) } else { pages };
    let file = format!("{piece}.pdf");
    output::write_file(&letters_dir.join(&file), &rendered.pdf)?;
    times.add(&times.write, started);
    let address = &account.guarantor.address;
    Ok(Ok(ManifestRow {
        piece_id: piece.to_string(),
        file: format!("{LETTERS_DIR}/{file}"),
        first_page: 1,
        last_page: pages,
        pages,
        sheets,
        duplex: vendor.duplex,
        envelope: vendor.envelope.clone(),
        mail_class: vendor.mail_class.clone(),
        recipient_name: account.guarantor.name.clone(),
        address_lines: address.street.clone(),
        city: address.city.clone(),
        state: address.state.clone(),
        zip: address.zip.clone(),
        language: letter.language,
        variant: if letter.large_print { "large_print" } else { "standard" }.to_string(),
        stage: stage.to_string(),
        sha256: output::sha256(&rendered.pdf),
    }))
}
