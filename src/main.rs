//! The `kindly` command: parses arguments, calls the library, reports.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use kindly::config::{Delimiter, Encoding};
use kindly::ledger::{Ledger, LedgerError, PieceState, StateChange};
use kindly::pipeline::{self, RunOptions, Setup};
use kindly::policy::Stage;
use kindly::shard::Shard;
use kindly::{EXIT_CANNOT_RUN, EXIT_PROBLEMS};

/// mimalloc rather than the system's malloc: Typst's memo cache is shared
/// by the render threads, so one thread often frees what the other
/// allocated. glibc takes the other thread's arena lock for each such free,
/// and `perf` found four fifths of the render threads' waits there; mimalloc
/// hands such frees back without a lock. See `kindly::allocator`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "kindly",
    version,
    about = "Turn this month's billing export into kind, clear patient-balance letters ready for the print vendor.",
    after_help = "Start with `kindly validate EXPORT.csv` to see what a run would do, then `kindly run EXPORT.csv`."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Make the letters: read the export, decide each account, write a run folder for the vendor.
    Run {
        /// The billing export (CSV, one row per charge).
        export: PathBuf,
        #[command(flatten)]
        common: Common,
        /// Folder to create for this run [default: runs/<as-of date>].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Letters to lay out at once [default: one per CPU core].
        #[arg(short = 'j', long = "jobs", value_name = "N")]
        jobs: Option<usize>,
        /// Print only the closing summary, no progress bar.
        #[arg(short, long)]
        quiet: bool,
        /// Replace the run folder if it exists (for trial runs; real runs are kept for audit).
        #[arg(long)]
        overwrite: bool,
        /// A trial run: decide with the ledger but never write to it (nothing counts as mailed).
        #[arg(long)]
        trial: bool,
        /// Stop before making any letter if any row of the export cannot be used.
        #[arg(long)]
        strict: bool,
        /// Make only shard K of N (e.g. 2/8): the letters of one share of the guarantors, for running
        /// on many machines at once; `kindly merge` puts the shards' folders together.
        #[arg(long, value_parser = Shard::parse, value_name = "K/N")]
        shard: Option<Shard>,
    },
    /// Put the run folders of all shards of one run (`kindly run --shard K/N`) together into one run folder.
    Merge {
        /// The shards' run folders, one per shard.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// The merged run folder to create.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Replace the merged folder if it exists.
        #[arg(long)]
        overwrite: bool,
        /// The ledger to record the merged run in [default: kindly-ledger.sqlite beside the merged folder].
        #[arg(long, value_name = "FILE")]
        ledger: Option<PathBuf>,
    },
    /// Check the export, config and wording, and say what a run would do, without making letters.
    Validate {
        /// The billing export to check.
        export: PathBuf,
        /// table (for people) or json (for other programs).
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Also write the report a run would have (report.html's charts and tables, and a picture
        /// of one sample letter of each kind) to FILE.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// Make the letter for one account, to look at before a run.
    Preview {
        /// The billing export the account is in.
        export: PathBuf,
        /// The account number to preview.
        #[arg(long)]
        account: String,
        /// Where to write the PDF [default: preview-<account>.pdf].
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Show this letter even if the account would get another or none:
        /// reminder, plan_offer, assistance or final_notice.
        #[arg(long, value_parser = parse_stage)]
        stage: Option<Stage>,
        /// Also draw each page as a PNG picture (FILE-1.png, FILE-2.png, ...), to look at without a PDF viewer.
        #[arg(long)]
        png: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Make the proof set a run would make (a cover with the counts, one letter of each stage,
    /// language and print size, and the first, middle and last letter, each page marked PROOF),
    /// laying out only those letters: to check and sign before the run.
    Proof {
        /// The billing export.
        export: PathBuf,
        /// Where to write the proof [default: proof-<as-of date>.pdf].
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// Check every letter's wording in every language: reading level, required information, forbidden phrases.
    Lint {
        #[command(flatten)]
        common: Common,
    },
    /// Write a vendor's upload files from a finished run folder (after checking it), with copies of
    /// the PDFs they name, into a new folder: to hand a run to another vendor, or again.
    Handoff {
        /// The run folder, e.g. runs/2026-11-30.
        run: PathBuf,
        /// The vendor's format: generic, click2mail, lob or postgrid [default: the config's].
        #[arg(long, value_name = "FORMAT")]
        vendor: Option<kindly::config::VendorFormat>,
        /// The folder to create for the vendor.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The practice's config file (its [vendor] options and return address).
        #[arg(long, value_name = "FILE", default_value = "kindly.toml")]
        config: PathBuf,
    },
    /// Re-check a run folder: every file against its checksum, and the counts.
    Verify {
        /// The run folder, e.g. runs/2026-11-30.
        folder: PathBuf,
    },
    /// Write the Typst sources of the letters a run would make, one folder per piece, to compile
    /// one by hand with the `typst` command (`typst compile --root DIR/PIECE --font-path layouts/fonts
    /// DIR/PIECE/letter.typ`) or to measure other renderers on the same letters.
    Sources {
        /// The billing export.
        export: PathBuf,
        /// Folder to write the pieces' folders into.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Write only the first N letters.
        #[arg(long, value_name = "N", default_value_t = usize::MAX, hide_default_value = true)]
        limit: usize,
        #[command(flatten)]
        common: Common,
    },
    /// Every letter and hold of one account across all recorded runs, oldest first.
    History {
        /// The account number, as in the export.
        account: String,
        #[command(flatten)]
        at: LedgerAt,
        /// table (for people) or json (for other programs).
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// The runs recorded in the ledger, with their counts.
    Runs {
        #[command(flatten)]
        at: LedgerAt,
        /// table (for people) or json (for other programs).
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Prove a run folder is what its inputs make: check the files given are the ones it recorded,
    /// make the run again in a scratch folder and compare every letter and manifest byte for byte.
    Reproduce {
        /// The run folder, e.g. runs/2026-11-30.
        folder: PathBuf,
        /// The export the run was made from.
        #[arg(long, value_name = "FILE")]
        export: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Record that a run's pieces were mailed.
    Mailed {
        /// The run folder, e.g. runs/2026-11-30.
        run: PathBuf,
        /// The day they were mailed [default: today].
        #[arg(long, value_parser = parse_date, value_name = "DATE")]
        date: Option<NaiveDate>,
        #[command(flatten)]
        at: LedgerAt,
    },
    /// Record that someone looked at a run (its report.html and letters) and approved it for the
    /// vendor: approval.json in the run folder, and the ledger where there is one.
    Approve {
        /// The run folder, e.g. runs/2026-11-30.
        run: PathBuf,
        /// Who approves it.
        #[arg(long, value_name = "NAME")]
        by: String,
        /// The day it is approved [default: today].
        #[arg(long, value_parser = parse_date, value_name = "DATE")]
        on: Option<NaiveDate>,
        #[command(flatten)]
        at: LedgerAt,
    },
    /// Record pieces the vendor reports returned undeliverable: a CSV with piece_id, date and reason.
    Returns {
        /// The vendor's CSV of returned pieces.
        file: PathBuf,
        #[command(flatten)]
        at: LedgerAt,
    },
    /// The ledger itself: marking single pieces, rebuilding it from run folders.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// Help with reading another billing system's export.
    Mapping {
        #[command(subcommand)]
        command: MappingCommand,
    },
    /// Write a synthetic export (made-up patients) for trying kindly out and for benchmarks.
    SampleExport {
        /// How many accounts.
        #[arg(long, default_value_t = 500)]
        accounts: usize,
        /// Different seeds give different made-up patients.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Date the service dates are counted back from.
        #[arg(long, value_parser = parse_date)]
        as_of: NaiveDate,
        /// Mix in malformed rows, as real exports sometimes have.
        #[arg(long)]
        broken: bool,
        /// The layout of the export (see sample-data/mappings/ for the matching config).
        #[arg(long, value_enum, default_value = "charges")]
        shape: kindly::synth::Shape,
        /// Where to write the CSV [default: standard output]; with --months, the folder to write them into.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Write N consecutive monthly exports of one practice instead, the first as of --as-of, as
        /// export-<date>.csv (some accounts pay, some get new charges, some move), for trying the ledger.
        #[arg(long, value_name = "N", requires = "output", conflicts_with_all = ["broken", "shape"])]
        months: Option<u32>,
    },
}

#[derive(Subcommand)]
enum MappingCommand {
    /// Read an export's header and first rows and print a starting mapping for the config.
    Suggest {
        /// The billing export (CSV or tab-separated text).
        export: PathBuf,
    },
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Record what became of single pieces: handed to the vendor, mailed, or returned undeliverable.
    Mark {
        /// handed, mailed or returned.
        #[arg(value_enum)]
        state: kindly::ledger::PieceState,
        /// Piece ids, as in the run's manifest.csv.
        #[arg(required = true)]
        pieces: Vec<String>,
        /// The date it happened, as YYYY-MM-DD.
        #[arg(long, value_parser = parse_date, value_name = "DATE")]
        on: NaiveDate,
        /// Why (for returns: the vendor's reason).
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        at: LedgerAt,
    },
    /// Build a new ledger from run folders alone (the folders are the source of truth).
    Rebuild {
        /// The run folders (not shards), in any order.
        #[arg(required = true)]
        folders: Vec<PathBuf>,
        /// The ledger file to create; it must not exist.
        #[arg(long, value_name = "FILE")]
        ledger: PathBuf,
    },
}

/// Which ledger a command reads or writes.
#[derive(clap::Args)]
struct LedgerAt {
    /// The ledger file [default: the config's [ledger] path, or runs/kindly-ledger.sqlite].
    #[arg(long, value_name = "FILE")]
    ledger: Option<PathBuf>,
    /// The config whose [ledger] path to use.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

impl LedgerAt {
    fn path(&self) -> Result<PathBuf, LedgerFailure> {
        if let Some(ledger) = &self.ledger {
            return Ok(ledger.clone());
        }
        let configured = match &self.config {
            Some(config) => kindly::config::Config::load(config)?.0.ledger.path,
            None => None,
        };
        Ok(configured.unwrap_or_else(|| Path::new("runs").join(kindly::ledger::LEDGER_FILE)))
    }
}

/// What stops a ledger command.
#[derive(Debug, thiserror::Error)]
enum LedgerFailure {
    #[error(transparent)]
    Config(#[from] kindly::config::ConfigError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("there is no ledger at {} yet: no run has been recorded there (pass --ledger or --config)", .0.display())]
    NoLedger(PathBuf),
    #[error(transparent)]
    Approval(#[from] kindly::approval::ApprovalError),
}

impl Failure for LedgerFailure {
    fn exit_code(&self) -> u8 {
        EXIT_CANNOT_RUN
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Table,
    Json,
}

#[derive(clap::Args)]
struct Common {
    /// The practice's config file.
    #[arg(long, value_name = "FILE", default_value = "kindly.toml")]
    config: PathBuf,
    /// The date letters are dated and balances aged to, as YYYY-MM-DD [default: today].
    #[arg(long, value_parser = parse_date, value_name = "DATE")]
    as_of: Option<NaiveDate>,
    /// Use this layouts folder instead of the one the config names (to try an edited copy).
    #[arg(long, value_name = "DIR")]
    layouts: Option<PathBuf>,
    /// A mapping file to read the export with, instead of the config's [input] section.
    #[arg(long, value_name = "FILE")]
    mapping: Option<PathBuf>,
    /// A hold list: a CSV of accounts to hold by hand this run (account, reason, until, note).
    #[arg(long, value_name = "FILE")]
    holds: Option<PathBuf>,
    /// The export's text encoding, overriding the config: auto, utf-8, windows-1252, utf-16le or utf-16be.
    #[arg(long, value_parser = Encoding::parse, value_name = "NAME")]
    encoding: Option<Encoding>,
    /// The export's delimiter, overriding the config: auto, ",", ";", "|" or tab.
    #[arg(long, value_parser = Delimiter::parse, value_name = "CHAR")]
    delimiter: Option<Delimiter>,
    /// The ledger of what was mailed [default: the config's [ledger] path, or kindly-ledger.sqlite
    /// beside the run folders].
    #[arg(long, value_name = "FILE")]
    ledger: Option<PathBuf>,
}

impl Common {
    fn as_of(&self) -> NaiveDate {
        self.as_of.unwrap_or_else(|| chrono::Local::now().date_naive())
    }

    /// The ledger: `--ledger`, else the config's, else beside the run
    /// folders (`runs` unless the run's folder is elsewhere).
    fn ledger(&self, setup: &Setup, runs: &Path) -> PathBuf {
        let configured = setup.config.ledger.path.clone();
        self.ledger.clone().or(configured).unwrap_or_else(|| runs.join(kindly::ledger::LEDGER_FILE))
    }

    /// The setup for a run: config, mapping, overrides, and the wording
    /// checked.
    fn setup(&self) -> Result<Setup, pipeline::Error> {
        self.load(Setup::load)
    }

    /// The same without checking the wording (what `lint` reports on).
    fn open(&self) -> Result<Setup, pipeline::Error> {
        self.load(Setup::open)
    }

    fn load(&self, how: fn(&Path, Option<&Path>) -> Result<Setup, pipeline::Error>) -> Result<Setup, pipeline::Error> {
        let mut setup = how(&self.config, self.layouts.as_deref())?;
        if let Some(mapping) = &self.mapping {
            setup.use_mapping(mapping)?;
        }
        if let Some(holds) = &self.holds {
            setup.use_hold_list(holds)?;
        }
        let input = &mut setup.config.input;
        input.encoding = self.encoding.unwrap_or(input.encoding);
        input.delimiter = self.delimiter.unwrap_or(input.delimiter);
        Ok(setup)
    }
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| format!("{text:?} is not a date like 2026-11-30"))
}

fn parse_stage(text: &str) -> Result<Stage, String> {
    Stage::from_id(text)
        .ok_or_else(|| format!("{text:?} is not a stage: use reminder, plan_offer, assistance or final_notice"))
}

/// An error a command stops with: what it says, and the exit code.
trait Failure: std::fmt::Display {
    fn exit_code(&self) -> u8;
}

impl Failure for pipeline::Error {
    fn exit_code(&self) -> u8 {
        pipeline::Error::exit_code(self)
    }
}

impl Failure for kindly::merge::MergeError {
    fn exit_code(&self) -> u8 {
        kindly::merge::MergeError::exit_code(self)
    }
}

impl Failure for kindly::verify::VerifyError {
    fn exit_code(&self) -> u8 {
        kindly::verify::VerifyError::exit_code(self)
    }
}

impl Failure for kindly::ingest::IngestError {
    fn exit_code(&self) -> u8 {
        kindly::ingest::IngestError::exit_code(self)
    }
}

/// Writing a synthetic export failed.
struct SampleFailed(String);

impl std::fmt::Display for SampleFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Failure for SampleFailed {
    fn exit_code(&self) -> u8 {
        EXIT_CANNOT_RUN
    }
}

fn main() -> ExitCode {
    kindly::allocator::give_freed_memory_back_soon();
    match Cli::parse().command {
        Command::Run { export, common, out, jobs, quiet, overwrite, trial, strict, shard } => {
            let as_of = common.as_of();
            let out = out.unwrap_or_else(|| Path::new("runs").join(as_of.to_string()));
            let options = RunOptions {
                export,
                out,
                as_of,
                jobs,
                progress: !quiet,
                overwrite,
                strict,
                shard,
                started: std::time::Instant::now(),
                ledger: PathBuf::new(),
                trial,
                recorded_at: now(),
            };
            finish(run(&common, options))
        }
        Command::History { account, at, format } => finish(history(&account, &at, format)),
        Command::Runs { at, format } => finish(runs(&at, format)),
        Command::Reproduce { folder, export, common } => finish(reproduce(&folder, &export, &common)),
        Command::Mailed { run, date, at } => {
            let date = date.unwrap_or_else(|| chrono::Local::now().date_naive());
            finish(mailed(&run, date, &at))
        }
        Command::Approve { run, by, on, at } => {
            let on = on.unwrap_or_else(|| chrono::Local::now().date_naive());
            finish(approve(&run, &by, on, &at))
        }
        Command::Returns { file, at } => finish(returns(&file, &at)),
        Command::Ledger { command } => finish(ledger(command)),
        Command::Merge { shards, out, overwrite, ledger } => {
            let ledger =
                ledger.unwrap_or_else(|| out.parent().unwrap_or(Path::new(".")).join(kindly::ledger::LEDGER_FILE));
            finish(merge(&shards, &out, overwrite, &ledger))
        }
        Command::Validate { export, format, report, common } => finish(validate(&export, format, report, &common)),
        Command::Preview { export, account, output, stage, png, common } => {
            let pdf = output.unwrap_or_else(|| PathBuf::from(format!("preview-{account}.pdf")));
            finish(preview(&export, &account, stage, &pdf, png, &common))
        }
        Command::Proof { export, output, common } => {
            let output = output.unwrap_or_else(|| PathBuf::from(format!("proof-{}.pdf", common.as_of())));
            finish(proof(&export, &output, &common))
        }
        Command::Sources { export, out, limit, common } => finish(sources(&export, &out, limit, &common)),
        Command::Lint { common } => finish(lint(&common)),
        Command::Verify { folder } => finish(verify(&folder)),
        Command::Handoff { run, vendor, out, config } => finish(handoff(&run, vendor, &out, &config)),
        Command::Mapping { command: MappingCommand::Suggest { export } } => finish(suggest(&export)),
        Command::SampleExport { accounts, seed, as_of, broken, shape, output, months } => match (months, output) {
            (Some(months), Some(dir)) => finish(sample_months(&dir, accounts, seed, as_of, months)),
            (_, output) => finish(sample_export(output.as_deref(), shape, accounts, seed, as_of, broken)),
        },
    }
}

/// The exit code of a command's result, its error printed.
fn finish(result: Result<ExitCode, impl Failure>) -> ExitCode {
    result.unwrap_or_else(|e| {
        say([e.to_string()]);
        ExitCode::from(e.exit_code())
    })
}

/// Tells the person running kindly, on stderr.
fn say(lines: impl IntoIterator<Item = String>) {
    let text: String = lines.into_iter().map(|line| format!("kindly: {line}\n")).collect();
    quietly(std::io::stderr().lock(), &text);
}

/// Output for the reader of stdout, e.g. a ledger's history.
fn show(text: &str) {
    quietly(std::io::stdout().lock(), text);
}

/// A ledger's entries as indented JSON on stdout.
fn show_json(value: &impl serde::Serialize) {
    show(&format!("{}\n", serde_json::to_string_pretty(value).unwrap_or_default()));
}

/// A reader that stops early (`kindly history A-1 | head`) is not kindly's
/// failure: the rest is dropped, and the command's exit code stays its own
/// instead of a panic's 101 after the work is done.
fn quietly(mut to: impl std::io::Write, text: &str) {
    let _ = to.write_all(text.as_bytes()).and_then(|()| to.flush());
}

/// The wall clock, for when a run was recorded (never for deciding).
fn now() -> String {
    chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

fn run(common: &Common, mut options: RunOptions) -> Result<ExitCode, pipeline::Error> {
    let setup = common.setup()?;
    options.ledger = common.ledger(&setup, options.out.parent().unwrap_or(Path::new(".")));
    let summary = pipeline::run(&setup, &options)?;
    say(summary.lines(kindly::peak_rss_bytes()));
    Ok(ExitCode::SUCCESS)
}

/// What stops `kindly merge`: the merge itself, or recording its result.
#[derive(Debug, thiserror::Error)]
enum MergeFailure {
    #[error(transparent)]
    Merge(#[from] kindly::merge::MergeError),
    #[error("the merged folder is complete, but the ledger could not record it: {0}")]
    Ledger(#[from] LedgerError),
}

impl Failure for MergeFailure {
    fn exit_code(&self) -> u8 {
        match self {
            MergeFailure::Merge(e) => e.exit_code(),
            MergeFailure::Ledger(e) => e.exit_code(),
        }
    }
}

impl Failure for LedgerError {
    fn exit_code(&self) -> u8 {
        LedgerError::exit_code(self)
    }
}

fn merge(shards: &[PathBuf], out: &Path, overwrite: bool, ledger: &Path) -> Result<ExitCode, MergeFailure> {
    let (folder, record) = kindly::merge::merge(shards, out, overwrite, ledger)?;
    Ledger::open(ledger, &format!("is recording the merged run {}", out.display()))?.record(&folder, &now())?;
    let c = &record.counts;
    say([
        format!(
            "merged {} shards: {} letters ({} pages, {} sheets), {} holds, {} rejected rows",
            shards.len(),
            c.letters,
            c.pages,
            c.sheets,
            c.holds,
            c.rows.rejected
        ),
        format!("run folder {}", folder.display()),
    ]);
    Ok(ExitCode::SUCCESS)
}

fn existing_ledger(at: &LedgerAt) -> Result<Ledger, LedgerFailure> {
    let path = at.path()?;
    Ledger::open_read_only(&path)?.ok_or(LedgerFailure::NoLedger(path))
}

fn history(account: &str, at: &LedgerAt, format: Format) -> Result<ExitCode, LedgerFailure> {
    let entries = existing_ledger(at)?.entries(account)?;
    match format {
        Format::Json => show_json(&entries),
        Format::Table => show(&kindly::ledger::history_table(account, &entries)),
    }
    if entries.is_empty() {
        say([format!("the ledger has nothing for account {account}")]);
        return Ok(ExitCode::from(EXIT_PROBLEMS));
    }
    Ok(ExitCode::SUCCESS)
}

fn runs(at: &LedgerAt, format: Format) -> Result<ExitCode, LedgerFailure> {
    let runs = existing_ledger(at)?.runs()?;
    match format {
        Format::Json => show_json(&runs),
        Format::Table => show(&kindly::ledger::runs_table(&runs)),
    }
    Ok(ExitCode::SUCCESS)
}

fn reproduce(folder: &Path, export: &Path, common: &Common) -> Result<ExitCode, pipeline::Error> {
    let setup = common.setup()?;
    let ledger = common.ledger(&setup, folder.parent().unwrap_or(Path::new(".")));
    let shown = pipeline::reproduce(&setup, folder, export, &ledger)?;
    if shown.differences.is_empty() {
        say([format!(
            "{} reproduced: all {} files (letters, manifests, audit and holds) are byte-identical",
            folder.display(),
            shown.compared
        )]);
        return Ok(ExitCode::SUCCESS);
    }
    say(shown.differences.iter().cloned());
    say([format!("{} of {} files differ from {}", shown.differences.len(), shown.compared, folder.display())]);
    Ok(ExitCode::from(EXIT_PROBLEMS))
}

fn mark(at: &LedgerAt, changes: &[StateChange]) -> Result<(), LedgerFailure> {
    let path = at.path()?;
    if !path.exists() {
        return Err(LedgerFailure::NoLedger(path));
    }
    Ledger::open(&path, "is recording piece states")?.set_state(changes)?;
    Ok(())
}

fn mailed(run: &Path, date: NaiveDate, at: &LedgerAt) -> Result<ExitCode, LedgerFailure> {
    let pieces = kindly::ledger::pieces_of(run)?;
    let changes: Vec<StateChange> = pieces
        .into_iter()
        .map(|piece| StateChange { piece, state: PieceState::Mailed, on: date, reason: None })
        .collect();
    mark(at, &changes)?;
    say([format!("{} pieces of {} recorded as mailed on {date}", changes.len(), run.display())]);
    Ok(ExitCode::SUCCESS)
}

fn approve(run: &Path, by: &str, on: NaiveDate, at: &LedgerAt) -> Result<ExitCode, LedgerFailure> {
    let approval = kindly::approval::approve(run, by, &on.to_string())?;
    let mut lines = vec![format!(
        "{} approved by {} on {on} (approval.json; run.json SHA-256 {})",
        run.display(),
        approval.approved_by,
        &approval.run_json_sha256[..16]
    )];
    // The ledger named, or the one the run was recorded in, beside it.
    let ledger = match (&at.ledger, &at.config) {
        (None, None) => run.parent().unwrap_or(Path::new(".")).join(kindly::ledger::LEDGER_FILE),
        _ => at.path()?,
    };
    if ledger.exists() {
        Ledger::open(&ledger, "is recording an approval")?.record_approval(run, &approval)?;
        lines.push(format!("recorded in the ledger {}", ledger.display()));
    }
    say(lines);
    Ok(ExitCode::SUCCESS)
}

fn returns(file: &Path, at: &LedgerAt) -> Result<ExitCode, LedgerFailure> {
    let changes = kindly::ledger::read_returns(file)?;
    mark(at, &changes)?;
    say([format!(
        "{} pieces recorded as returned; their accounts are held until the export has a new address",
        changes.len()
    )]);
    Ok(ExitCode::SUCCESS)
}

fn ledger(command: LedgerCommand) -> Result<ExitCode, LedgerFailure> {
    match command {
        LedgerCommand::Mark { state, pieces, on, reason, at } => {
            let changes: Vec<StateChange> =
                pieces.into_iter().map(|piece| StateChange { piece, state, on, reason: reason.clone() }).collect();
            mark(&at, &changes)?;
            say([format!("{} pieces marked {}", changes.len(), state.id())]);
            Ok(ExitCode::SUCCESS)
        }
        LedgerCommand::Rebuild { folders, ledger } => {
            kindly::ledger::rebuild(&ledger, &folders, &now())?;
            say([format!("ledger {} built from {} run folders", ledger.display(), folders.len())]);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn validate(
    export: &Path,
    format: Format,
    html: Option<PathBuf>,
    common: &Common,
) -> Result<ExitCode, pipeline::Error> {
    let setup = common.setup()?;
    let ledger = common.ledger(&setup, Path::new("runs"));
    let report = pipeline::validate(export, &setup, common.as_of(), &ledger, html.as_deref())?;
    match format {
        Format::Table => show(&report.table()),
        Format::Json => show(&report.json()),
    }
    Ok(if report.rejects.count == 0 { ExitCode::SUCCESS } else { ExitCode::from(EXIT_PROBLEMS) })
}

fn preview(
    export: &Path,
    account: &str,
    stage: Option<Stage>,
    pdf: &Path,
    png: bool,
    common: &Common,
) -> Result<ExitCode, pipeline::Error> {
    let setup = common.setup()?;
    let ledger = common.ledger(&setup, Path::new("runs"));
    let made = pipeline::preview(&setup, export, account, stage, (common.as_of(), &ledger), pdf, png)?;
    say(std::iter::once(format!(
        "{} letter for account {account}, {} page(s): {}",
        made.stage,
        made.pages,
        made.pdf.display()
    )));
    say(made.pngs.iter().enumerate().map(|(i, file)| format!("page {}: {}", i + 1, file.display())));
    Ok(ExitCode::SUCCESS)
}

fn proof(export: &Path, out: &Path, common: &Common) -> Result<ExitCode, pipeline::Error> {
    let setup = common.setup()?;
    let ledger = common.ledger(&setup, Path::new("runs"));
    let made = pipeline::proof(&setup, export, (common.as_of(), &ledger), out)?;
    let mut lines = vec![format!(
        "proof of {} letters: {} letters on {} pages after the cover, in {}",
        made.letters,
        made.proofed,
        made.pages,
        out.display()
    )];
    for (piece, why) in &made.unmade {
        lines.push(format!("{piece} is not in the proof: {why}; a run would hold its accounts"));
    }
    say(lines);
    Ok(ExitCode::SUCCESS)
}

fn sources(export: &Path, out: &Path, limit: usize, common: &Common) -> Result<ExitCode, pipeline::Error> {
    let written = pipeline::write_sources(&common.setup()?, export, common.as_of(), out, limit)?;
    say(std::iter::once(format!("the Typst sources of {written} letters are in {}", out.display())));
    Ok(ExitCode::SUCCESS)
}

fn lint(common: &Common) -> Result<ExitCode, pipeline::Error> {
    let reports = common.open()?.lint()?;
    let mut problems = 0;
    for report in &reports {
        let verdict = if report.findings.is_empty() { "ok" } else { "PROBLEMS" };
        let score = report.readability.as_deref().unwrap_or("no reading score");
        let mut text = format!("{}: {verdict} ({score})\n", report.template);
        for finding in &report.findings {
            text += &format!("  {}: {}\n", finding.rule, finding.detail);
        }
        show(&text);
        problems += report.findings.len();
    }
    say(std::iter::once(format!("{} letters checked, {problems} problem(s)", reports.len())));
    Ok(if problems == 0 { ExitCode::SUCCESS } else { ExitCode::from(EXIT_PROBLEMS) })
}

fn verify(folder: &Path) -> Result<ExitCode, kindly::verify::VerifyError> {
    let problems = kindly::verify::verify(folder)?;
    if problems.is_empty() {
        say(std::iter::once(format!(
            "{} is intact: every file matches its checksum and the counts add up",
            folder.display()
        )));
        return Ok(ExitCode::SUCCESS);
    }
    say(problems.iter().cloned());
    say(std::iter::once(format!("{} problem(s) in {}", problems.len(), folder.display())));
    Ok(ExitCode::from(EXIT_PROBLEMS))
}

/// What stops `kindly handoff`.
#[derive(Debug, thiserror::Error)]
enum HandoffFailure {
    #[error(transparent)]
    Config(#[from] kindly::config::ConfigError),
    #[error(transparent)]
    Handoff(#[from] kindly::handoff::HandoffError),
}

impl Failure for HandoffFailure {
    fn exit_code(&self) -> u8 {
        match self {
            HandoffFailure::Config(_) => EXIT_CANNOT_RUN,
            HandoffFailure::Handoff(e) => e.exit_code(),
        }
    }
}

fn handoff(
    run: &Path,
    vendor: Option<kindly::config::VendorFormat>,
    out: &Path,
    config: &Path,
) -> Result<ExitCode, HandoffFailure> {
    let (config, _) = kindly::config::Config::load(config)?;
    let format = vendor.unwrap_or(config.vendor.format);
    let handed = kindly::handoff::handoff(run, &config, format, out)?;
    say([format!(
        "{} pieces of {} for {}: {} files in {}",
        handed.pieces,
        run.display(),
        format.title(),
        handed.files.len() + 1,
        out.display()
    )]);
    Ok(ExitCode::SUCCESS)
}

fn suggest(export: &Path) -> Result<ExitCode, kindly::ingest::IngestError> {
    show(&kindly::suggest::suggest(export)?);
    Ok(ExitCode::SUCCESS)
}

fn sample_months(
    dir: &Path,
    accounts: usize,
    seed: u64,
    first: NaiveDate,
    months: u32,
) -> Result<ExitCode, SampleFailed> {
    let failed = |path: &Path, e: &dyn std::fmt::Display| SampleFailed(format!("cannot write {}: {e}", path.display()));
    std::fs::create_dir_all(dir).map_err(|e| failed(dir, &e))?;
    for month in 0..months {
        let path = dir.join(format!("export-{}.csv", kindly::synth::month_date(first, month)));
        let file = std::fs::File::create(&path).map_err(|e| failed(&path, &e))?;
        kindly::synth::write_month(std::io::BufWriter::new(file), accounts, seed, first, month)
            .map_err(|e| failed(&path, &e))?;
        say([format!("month {}: {}", month + 1, path.display())]);
    }
    Ok(ExitCode::SUCCESS)
}

fn sample_export(
    output: Option<&Path>,
    shape: kindly::synth::Shape,
    accounts: usize,
    seed: u64,
    as_of: NaiveDate,
    broken: bool,
) -> Result<ExitCode, SampleFailed> {
    let write = |out: &mut dyn std::io::Write| kindly::synth::write_export(out, shape, accounts, seed, as_of, broken);
    let result = match output {
        Some(path) => std::fs::File::create(path)
            .map_err(|e| SampleFailed(format!("cannot write {}: {e}", path.display())))
            .and_then(|f| write(&mut std::io::BufWriter::new(f)).map_err(|e| SampleFailed(e.to_string()))),
        None => write(&mut std::io::stdout().lock()).map_err(|e| SampleFailed(e.to_string())),
    };
    result.map(|()| ExitCode::SUCCESS)
}
