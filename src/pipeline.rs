//! The statement run, stage by stage: ingest, policy, compose, render, output.
//! Each stage is a plain function of plain data; this module only wires them
//! together, spreads rendering over the cores and keeps the books.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};

use crate::compose::{self, ComposeError, LetterFiles, Wording};
use crate::config::{Config, ConfigError};
use crate::ingest::{self, Export, IngestError};
use crate::layouts::{Layouts, LayoutsError};
use crate::lint::{self, Finding};
use crate::model::Account;
use crate::output::{self, *};
use crate::policy::{self, Assessment, Decision, HoldReason, Stage};
use crate::preflight;
use crate::render::{RenderError, Renderer, TYPST_VERSION};

/// Typst's workers recurse deeply on real letters; rayon's default 2 MiB
/// stack overflows.
const WORKER_STACK: usize = 32 * 1024 * 1024;
/// Letters are rendered in batches, and Typst's memo cache is trimmed between
/// batches, when no compile is running: trimming while other threads compile
/// let the cache grow without bound (1.8 GB at 2,000 letters), trimming
/// between batches of 32 keeps it near 200 MB however long the run. Entries
/// unused for `CACHE_MAX_AGE` trims are dropped, so the layout's unchanging
/// parts stay cached.
const BATCH: usize = 32;
const CACHE_MAX_AGE: usize = 1;

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
                self.renderer.export(&document, "CHECK", as_of, &self.config.vendor).map_err(cannot)?;
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
        let rendered = self.renderer.export(&document, piece, as_of, &self.config.vendor).map_err(hold)?;
        times.add(&times.export, started);
        Ok((letter, rendered))
    }
}

/// Time spent on each step of making letters, summed over all render
/// threads, to see where a run's time goes.
#[derive(Debug, Default)]
pub struct Times {
    compose: AtomicU64,
    layout: AtomicU64,
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

    /// Seconds per step: wording, Typst layout, preflight and PDF, writing.
    pub fn seconds(&self) -> [(&'static str, f64); 4] {
        let s = |step: &AtomicU64| step.load(Ordering::Relaxed) as f64 / 1e9;
        [
            ("wording", s(&self.compose)),
            ("layout", s(&self.layout)),
            ("checks and PDF", s(&self.export)),
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

/// The export read and every account decided: what `validate` reports and
/// what `run` renders.
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

pub struct RunOptions {
    pub export: PathBuf,
    pub out: PathBuf,
    pub as_of: NaiveDate,
    pub jobs: Option<usize>,
    pub progress: bool,
    pub overwrite: bool,
    /// Make no letter at all if any row is rejected.
    pub strict: bool,
}

/// What the CLI reports at the end of a run.
pub struct RunSummary {
    pub folder: PathBuf,
    pub record: RunRecord,
    pub elapsed_secs: f64,
    /// Wall seconds for reading and deciding, making letters, and writing
    /// the manifests and records.
    pub wall: [(&'static str, f64); 3],
    /// Thread-seconds for each step of making letters.
    pub letter_steps: [(&'static str, f64); 4],
}

/// The outcome of one letter: its manifest row, or why it was held.
type Outcome = Result<ManifestRow, HoldReason>;

pub fn run(setup: &Setup, options: &RunOptions) -> Result<RunSummary, Error> {
    let started = Instant::now();
    let plan = Plan::make(&options.export, &setup.config, options.as_of)?;
    let decided = Instant::now();
    if options.strict && !plan.export.rejects.is_empty() {
        return Err(Error::Strict(plan.export.rejects.len()));
    }
    let mut staging = Staging::create(&options.out, options.overwrite)?;

    let stamp = options.as_of.format("%Y%m%d");
    let mut jobs = Vec::new();
    for (index, (account, assessment)) in plan.accounts().enumerate() {
        if let Decision::Letter { stage } = assessment.decision {
            jobs.push((index, account, stage, format!("K{stamp}-{:05}", jobs.len() + 1)));
        }
    }

    let bar = if options.progress { ProgressBar::new(jobs.len() as u64) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} letters, {per_sec}, {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let threads = options.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    let letters_dir = staging.letters_dir();
    let times = Times::default();
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(jobs.len());
    for batch in jobs.chunks(BATCH) {
        let done = render_batch(batch.len(), threads, |i| {
            let (_, account, stage, piece) = &batch[i];
            let outcome = render_piece(setup, account, *stage, piece, options.as_of, &letters_dir, &times);
            bar.inc(1);
            outcome
        })?;
        outcomes.extend(done.into_iter().collect::<Result<Vec<_>, OutputError>>()?);
        comemo::evict(CACHE_MAX_AGE);
    }
    bar.finish_and_clear();
    comemo::evict(0);
    let rendered = Instant::now();

    let mut outcome_of: Vec<Option<Outcome>> = vec![None; plan.export.accounts.len()];
    for ((index, ..), outcome) in jobs.iter().zip(outcomes) {
        outcome_of[*index] = Some(outcome);
    }
    let mut manifest = Vec::new();
    let mut audit = Vec::new();
    let mut holds = Vec::new();
    let mut counts = Counts {
        rows: RowCounts {
            input: plan.export.rows,
            rejected: plan.export.rejects.len() as u64,
            warned: plan.export.warnings.iter().map(|w| w.line).collect::<std::collections::BTreeSet<_>>().len() as u64,
            ..RowCounts::default()
        },
        accounts: plan.export.accounts.len() as u64,
        ..Counts::default()
    };
    for ((account, assessment), outcome) in plan.accounts().zip(outcome_of) {
        let mut assessment = assessment.clone();
        let mut row = None;
        match outcome {
            Some(Ok(manifest_row)) => row = Some(manifest_row),
            Some(Err(reason)) => assessment.decision = Decision::Hold { reasons: vec![reason] },
            None => {}
        }
        let lines = account.lines().map(|l| l.to_string()).collect::<Vec<_>>().join(" ");
        let rows = account.charges.len() as u64;
        let explain = assessment.explain(&setup.config.policy);
        let base = AuditRow {
            account: account.id.clone(),
            guarantor: account.guarantor.name.clone(),
            decision: "hold",
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
                audit.push(AuditRow {
                    decision: "letter",
                    stage: stage.to_string(),
                    piece_id: row.piece_id.clone(),
                    letter_language: row.language.clone(),
                    variant: row.variant.clone(),
                    ..base
                });
                manifest.push(row);
            }
            (Decision::Hold { reasons }, _) => {
                counts.rows.in_holds += rows;
                counts.holds += 1;
                let first = reasons.first().map_or("", HoldReason::code);
                *counts.holds_by_reason.entry(first.to_string()).or_default() += 1;
                holds.push(HoldRow {
                    account: account.id.clone(),
                    guarantor: account.guarantor.name.clone(),
                    balance: assessment.balance.to_string(),
                    reason_code: first.to_string(),
                    reason: explain,
                    input_lines: lines,
                });
                audit.push(base);
            }
            (Decision::Letter { .. }, None) => {
                return Err(Error::Other(format!("internal error: no outcome for account {}", account.id)));
            }
        }
    }
    if !counts.rows.add_up() {
        return Err(Error::Other(format!("internal error: rows do not add up: {:?}", counts.rows)));
    }

    staging.write(MANIFEST_CSV, &manifest_csv(&manifest))?;
    staging.write(MANIFEST_JSON, &to_json(&manifest))?;
    staging.write(AUDIT_CSV, &audit_csv(&audit))?;
    staging.write(HOLDS_CSV, &holds_csv(&holds))?;
    staging.write(REJECTS_CSV, &issues_csv(&plan.export.rejects))?;
    staging.write(WARNINGS_CSV, &issues_csv(&plan.export.warnings))?;
    let record = RunRecord {
        kindly_version: env!("CARGO_PKG_VERSION").to_string(),
        typst_version: TYPST_VERSION.to_string(),
        as_of: options.as_of.to_string(),
        input: Fingerprint { file: plan.export.file.clone(), sha256: plan.export.sha256.clone() },
        config: setup.config_file.clone(),
        layouts: Fingerprint { file: setup.layouts.dir.display().to_string(), sha256: setup.layouts.sha256.clone() },
        vendor: setup.config.vendor.name.clone(),
        counts,
        files: staging.files().clone(),
    };
    let folder = staging.finish(&record)?;
    let wall = [
        ("reading and deciding", (decided - started).as_secs_f64()),
        ("making letters", (rendered - decided).as_secs_f64()),
        ("manifests and records", rendered.elapsed().as_secs_f64()),
    ];
    Ok(RunSummary {
        folder,
        record,
        elapsed_secs: started.elapsed().as_secs_f64(),
        wall,
        letter_steps: times.seconds(),
    })
}

/// Runs `make(0..count)` on `threads` plain threads with large stacks and
/// returns the results in order. Letters are not rayon tasks: Typst queues
/// its own work on rayon, and a letter waiting on that work would otherwise
/// pick up other letters and stretch its own latency.
fn render_batch<T: Send>(count: usize, threads: usize, make: impl Fn(usize) -> T + Sync) -> Result<Vec<T>, Error> {
    let next = AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<T>>> = (0..count).map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| -> Result<(), Error> {
        for n in 0..threads.min(count) {
            std::thread::Builder::new()
                .name(format!("kindly-render-{n}"))
                .stack_size(WORKER_STACK)
                .spawn_scoped(scope, || {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= count {
                            break;
                        }
                        let result = make(i);
                        if let Ok(mut slot) = slots[i].lock() {
                            *slot = Some(result);
                        }
                    }
                })
                .map_err(|e| Error::Other(format!("cannot start a render thread: {e}")))?;
        }
        Ok(())
    })?;
    slots
        .into_iter()
        .map(|slot| slot.into_inner().ok().flatten())
        .collect::<Option<Vec<T>>>()
        .ok_or_else(|| Error::Other("a render thread stopped before finishing its letters".into()))
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
