//! Every command's flags, in the order of the monthly cycle: what `kindly
//! --help` lists. Each command's arguments are a struct of their own, handed
//! whole to the function in `commands/` that carries the command out.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

use kindly::config::{Delimiter, Encoding, VendorFormat};
use kindly::ledger::PieceState;
use kindly::policy::Stage;
use kindly::shard::Shard;
use kindly::synth::Shape;

#[derive(Parser)]
#[command(
    name = "kindly",
    version,
    about = "Turn this month's billing export into kind, clear patient-balance letters ready for the print vendor.",
    after_help = "Each month: kindly validate, kindly proof, kindly run, look at the report, kindly approve, \
                  kindly handoff, kindly mailed; kindly returns when mail comes back.\n\
                  A new practice starts with `kindly init PRACTICE_FOLDER --export EXPORT.csv`.",
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Make a practice folder: a config with every setting explained, the layouts, runs/ and an empty ledger.
    #[command(after_help = "Example: kindly init riverside --export ~/Downloads/balances.csv")]
    Init(InitArgs),
    /// Check the export, config and wording, and say what a run would do, without making letters.
    #[command(after_help = "Example: kindly validate export.csv --config riverside/kindly.toml")]
    Validate(ValidateArgs),
    /// Make the proof set a run would make (a cover with the counts, one letter of each stage,
    /// language and print size, and the first, middle and last letter, each page marked PROOF),
    /// laying out only those letters: to check and sign before the run.
    #[command(after_help = "Example: kindly proof export.csv --config riverside/kindly.toml")]
    Proof(ProofArgs),
    /// Make the letters: read the export, decide each account, write a run folder for the vendor.
    #[command(after_help = "Example: kindly run export.csv --config riverside/kindly.toml")]
    Run(RunArgs),
    /// Record that someone looked at a run (its report.html and letters) and approved it for the
    /// vendor: approval.json in the run folder, and the practice's ledger.
    #[command(
        after_help = "Example: kindly approve riverside/runs/2026-11-30 --by \"Dana Whitfield\""
    )]
    Approve(ApproveArgs),
    /// Write a vendor's upload files from a finished run folder (after checking it), with copies of
    /// the PDFs they name, into a new folder, and record its pieces as handed to the vendor.
    #[command(
        after_help = "Example: kindly handoff riverside/runs/2026-11-30 --out riverside/handoffs/2026-11-30"
    )]
    Handoff(HandoffArgs),
    /// Record that a run's pieces were mailed.
    #[command(after_help = "Example: kindly mailed riverside/runs/2026-11-30 --date 2026-12-02")]
    Mailed(MailedArgs),
    /// Record pieces the vendor reports returned undeliverable: a CSV with piece_id, date and reason.
    #[command(
        after_help = "Example: kindly returns returned-2026-12.csv --config riverside/kindly.toml"
    )]
    Returns(ReturnsArgs),
    /// Every letter and hold of one account across all recorded runs, oldest first.
    #[command(after_help = "Example: kindly history 1000023 --config riverside/kindly.toml")]
    History(HistoryArgs),
    /// The runs recorded in the ledger, with their counts.
    #[command(after_help = "Example: kindly runs --config riverside/kindly.toml")]
    Runs(RunsArgs),
    /// What earlier letters led to, from the ledger: paid in full, paid part, no payment, held later,
    /// returned, or not in the next export; by stage, language, print size and envelope, each rate
    /// with its 95% interval. Counts only: no names, addresses or account numbers.
    #[command(
        after_help = "Example: kindly outcomes --config riverside/kindly.toml --since 2026-01-01"
    )]
    Outcomes(OutcomesArgs),
    /// Prove a run folder is what its inputs make: check the files given are the ones it recorded,
    /// make the run again in a scratch folder and compare every letter and manifest byte for byte.
    #[command(
        after_help = "Example: kindly reproduce riverside/runs/2026-11-30 --export export.csv \
                            --config riverside/kindly.toml"
    )]
    Reproduce(ReproduceArgs),
    /// Re-check a run folder: every file against its checksum, and the counts.
    #[command(after_help = "Example: kindly verify riverside/runs/2026-11-30")]
    Verify(VerifyArgs),
    /// Make the letter for one account, to look at before a run.
    #[command(
        after_help = "Example: kindly preview export.csv --account 1000023 --stage final_notice --png"
    )]
    Preview(PreviewArgs),
    /// Check every letter's wording in every language: reading level, required information, forbidden phrases.
    #[command(after_help = "Example: kindly lint --config riverside/kindly.toml")]
    Lint(LintArgs),
    /// Help with reading another billing system's export.
    #[command(subcommand)]
    Mapping(MappingCommand),
    /// The ledger itself: marking single pieces, rebuilding it from run folders.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Put the run folders of all shards of one run (`kindly run --shard K/N`) together into one run folder.
    #[command(
        after_help = "Example: kindly merge shard-1 shard-2 --out riverside/runs/2026-11-30 \
                            --config riverside/kindly.toml"
    )]
    Merge(MergeArgs),
    /// Write the Typst sources of the letters a run would make, one folder per piece, to compile
    /// one by hand with the `typst` command (`typst compile --root DIR/PIECE --font-path layouts/fonts
    /// DIR/PIECE/letter.typ`) or to measure other renderers on the same letters.
    #[command(after_help = "Example: kindly sources export.csv --out sources --limit 10")]
    Sources(SourcesArgs),
    /// Write a synthetic export (made-up patients) for trying kindly out and for benchmarks.
    #[command(
        after_help = "Example: kindly sample-export --as-of 2026-11-30 --accounts 1000 -o trial.csv"
    )]
    SampleExport(SampleExportArgs),
}

/// What `run`, `validate`, `preview`, `proof`, `sources`, `lint` and
/// `reproduce` load: the practice's config and what replaces parts of it.
#[derive(Args)]
pub struct Common {
    /// The practice's config file.
    #[arg(long, value_name = "FILE", default_value = "kindly.toml")]
    pub config: PathBuf,
    /// The date letters are dated and balances aged to, as YYYY-MM-DD (or MM/DD/YYYY) [default: today].
    #[arg(long, value_parser = parse_date, value_name = "DATE")]
    pub as_of: Option<NaiveDate>,
    /// Use this layouts folder instead of the one the config names (to try an edited copy).
    #[arg(long, value_name = "DIR")]
    pub layouts: Option<PathBuf>,
    /// A mapping file to read the export with, instead of the config's [input] section.
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// A hold list: a CSV of accounts to hold by hand this run (account, reason, until, note).
    #[arg(long, value_name = "FILE")]
    pub holds: Option<PathBuf>,
    /// Confidential addresses: a CSV of accounts whose patients asked for their letters elsewhere
    /// (account, name, address1, address2, city, state, zip, until, note). Give it every run.
    #[arg(long, value_name = "FILE")]
    pub confidential: Option<PathBuf>,
    /// The export's text encoding, overriding the config: auto, utf-8, windows-1252, utf-16le or utf-16be.
    #[arg(long, value_parser = Encoding::parse, value_name = "NAME")]
    pub encoding: Option<Encoding>,
    /// The export's delimiter, overriding the config: auto, ",", ";", "|" or tab.
    #[arg(long, value_parser = Delimiter::parse, value_name = "CHAR")]
    pub delimiter: Option<Delimiter>,
    #[command(flatten)]
    pub ledger: LedgerFlags,
}

/// Which ledger a command that makes or decides letters uses.
#[derive(Args)]
pub struct LedgerFlags {
    /// The ledger of what was mailed [default: the config's [ledger] path, else runs/kindly-ledger.sqlite
    /// beside the config file].
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    /// Start a new ledger where the config or --ledger names one that is not there (a practice's first
    /// run). Without it, a missing ledger stops the command: a ledger lost would mail everyone again.
    #[arg(long)]
    pub new_ledger: bool,
}

/// Which practice's ledger a command about the ledger reads or writes.
#[derive(Args)]
pub struct LedgerAt {
    /// The practice's config file, whose ledger is used [default: kindly.toml in this folder].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The ledger file itself, instead of the config's.
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
}

#[derive(Args)]
pub struct InitArgs {
    /// The practice folder to make; it must not exist yet, or be empty.
    pub dir: PathBuf,
    /// This practice's billing export: kindly proposes a mapping for it and checks it.
    #[arg(long, value_name = "FILE")]
    pub export: Option<PathBuf>,
    /// The practice's name, as patients know it.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

#[derive(Args)]
pub struct RunArgs {
    /// The billing export (CSV, one row per charge or per account).
    pub export: PathBuf,
    #[command(flatten)]
    pub common: Common,
    /// Folder to create for this run [default: runs/<as-of date> beside the config file].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Letters to lay out at once [default: one per CPU core].
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    pub jobs: Option<usize>,
    /// Print only the closing summary, no progress bar.
    #[arg(short, long)]
    pub quiet: bool,
    /// Make the run again into a folder that exists: for a run fixed before anything of it was handed to
    /// the vendor or mailed (refused after), or a trial run. The folder's approval goes with it.
    #[arg(long)]
    pub overwrite: bool,
    /// A trial run: decide with the ledger but never write to it (nothing counts as mailed).
    #[arg(long)]
    pub trial: bool,
    /// Stop before making any letter if any row of the export cannot be used.
    #[arg(long)]
    pub strict: bool,
    /// Make only shard K of N (e.g. 2/8): the letters of one share of the guarantors, for running
    /// on many machines at once; `kindly merge` puts the shards' folders together.
    #[arg(long, value_parser = Shard::parse, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Allow an --as-of more than a month after today (letters dated then).
    #[arg(long)]
    pub future_date: bool,
}

#[derive(Args)]
pub struct MergeArgs {
    /// The shards' run folders, one per shard.
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    /// The merged run folder to create.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace the merged folder if it exists.
    #[arg(long)]
    pub overwrite: bool,
    #[command(flatten)]
    pub at: LedgerAt,
    /// Start a new ledger where the config or --ledger names one that is not there.
    #[arg(long)]
    pub new_ledger: bool,
}

#[derive(Args)]
pub struct ValidateArgs {
    /// The billing export to check.
    pub export: PathBuf,
    /// table (for people) or json (for other programs).
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Also write the report a run would have (report.html's charts and tables, and a picture
    /// of one sample letter of each kind) to FILE.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args)]
pub struct PreviewArgs {
    /// The billing export the account is in.
    pub export: PathBuf,
    /// The account number to preview.
    #[arg(long)]
    pub account: String,
    /// Where to write the PDF [default: preview-<account>.pdf].
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Show this letter even if the account would get another or none:
    /// reminder, plan_offer, assistance or final_notice.
    #[arg(long, value_parser = parse_stage)]
    pub stage: Option<Stage>,
    /// Also draw each page as a PNG picture (FILE-1.png, FILE-2.png, ...), to look at without a PDF viewer.
    #[arg(long)]
    pub png: bool,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args)]
pub struct ProofArgs {
    /// The billing export.
    pub export: PathBuf,
    /// Where to write the proof [default: proof-<as-of date>.pdf].
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args)]
pub struct LintArgs {
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args)]
pub struct HandoffArgs {
    /// The run folder, e.g. runs/2026-11-30.
    pub run: PathBuf,
    /// The vendor's format: generic, click2mail, lob or postgrid [default: the config's].
    #[arg(long, value_name = "FORMAT")]
    pub vendor: Option<VendorFormat>,
    /// The folder to create for the vendor; it must not exist.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The practice's config file (its [vendor] options, return address and ledger).
    #[arg(long, value_name = "FILE", default_value = "kindly.toml")]
    pub config: PathBuf,
    /// The ledger to record the hand-off in, instead of the config's.
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    /// The day the files go to the vendor [default: today].
    #[arg(long, value_parser = parse_date, value_name = "DATE")]
    pub on: Option<NaiveDate>,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// The run folder, e.g. runs/2026-11-30.
    pub folder: PathBuf,
}

#[derive(Args)]
pub struct SourcesArgs {
    /// The billing export.
    pub export: PathBuf,
    /// Folder to write the pieces' folders into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Write only the first N letters.
    #[arg(long, value_name = "N", default_value_t = usize::MAX, hide_default_value = true)]
    pub limit: usize,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args)]
pub struct HistoryArgs {
    /// The account number, as in the export.
    pub account: String,
    #[command(flatten)]
    pub at: LedgerAt,
    /// table (for people) or json (for other programs).
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

#[derive(Args)]
pub struct OutcomesArgs {
    #[command(flatten)]
    pub at: LedgerAt,
    /// Only letters of runs dated on or after this day (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date, value_name = "DATE")]
    pub since: Option<NaiveDate>,
    /// Only letters of runs dated on or before this day (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date, value_name = "DATE")]
    pub until: Option<NaiveDate>,
    /// table (for people), json or csv (for other programs and spreadsheets).
    #[arg(long, value_enum, default_value = "table")]
    pub format: TableFormat,
}

/// How a table of measures is written.
#[derive(Clone, Copy, ValueEnum)]
pub enum TableFormat {
    Table,
    Json,
    Csv,
}

#[derive(Args)]
pub struct RunsArgs {
    #[command(flatten)]
    pub at: LedgerAt,
    /// table (for people) or json (for other programs).
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

#[derive(Args)]
pub struct ReproduceArgs {
    /// The run folder, e.g. runs/2026-11-30.
    pub folder: PathBuf,
    /// The export the run was made from.
    #[arg(long, value_name = "FILE")]
    pub export: PathBuf,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args)]
pub struct MailedArgs {
    /// The run folder, e.g. runs/2026-11-30.
    pub run: PathBuf,
    /// The day they were mailed [default: today].
    #[arg(long, value_parser = parse_date, value_name = "DATE")]
    pub date: Option<NaiveDate>,
    #[command(flatten)]
    pub at: LedgerAt,
}

#[derive(Args)]
pub struct ApproveArgs {
    /// The run folder, e.g. runs/2026-11-30.
    pub run: PathBuf,
    /// Who approves it.
    #[arg(long, value_name = "NAME")]
    pub by: String,
    /// The day it is approved [default: today].
    #[arg(long, value_parser = parse_date, value_name = "DATE")]
    pub on: Option<NaiveDate>,
    #[command(flatten)]
    pub at: LedgerAt,
}

#[derive(Args)]
pub struct ReturnsArgs {
    /// The vendor's CSV of returned pieces.
    pub file: PathBuf,
    #[command(flatten)]
    pub at: LedgerAt,
}

#[derive(Args)]
pub struct SampleExportArgs {
    /// How many accounts.
    #[arg(long, default_value_t = 500)]
    pub accounts: usize,
    /// Different seeds give different made-up patients.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Date the service dates are counted back from.
    #[arg(long, value_parser = parse_date)]
    pub as_of: NaiveDate,
    /// Mix in malformed rows, as real exports sometimes have.
    #[arg(long)]
    pub broken: bool,
    /// The layout of the export (see sample-data/mappings/ for the matching config).
    #[arg(long, value_enum, default_value = "charges")]
    pub shape: ShapeArg,
    /// Where to write the CSV [default: standard output]; with --months, the folder to write them into.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Write N consecutive monthly exports of one practice instead, the first as of --as-of, as
    /// export-<date>.csv (some accounts pay, some get new charges, some move), for trying the ledger.
    #[arg(long, value_name = "N", requires = "output", conflicts_with_all = ["broken", "shape"])]
    pub months: Option<u32>,
    /// With --months: patients who answer the wording trial warm-reminder (a config with
    /// [trials.warm-reminder], stage "reminder", variants { usual = 50, warm = 50 }): of those who
    /// would never pay, 40% of those whose first reminder was warm pay in full, 10% of the usual.
    #[arg(long, requires = "months")]
    pub trial: bool,
}

#[derive(Subcommand)]
pub enum MappingCommand {
    /// Read an export's header and first rows and print a starting mapping for the config.
    #[command(after_help = "Example: kindly mapping suggest export.csv > mapping.toml")]
    Suggest {
        /// The billing export (CSV or tab-separated text).
        export: PathBuf,
        /// Print it as a config's [input] sections, ready to paste into kindly.toml, instead of a
        /// mapping file (for --mapping).
        #[arg(long)]
        for_config: bool,
    },
}

#[derive(Subcommand)]
pub enum LedgerCommand {
    /// Record what became of single pieces: handed to the vendor, mailed, or returned undeliverable.
    #[command(
        after_help = "Example: kindly ledger mark returned K20261130-00012 --on 2026-12-15 --reason \"moved\""
    )]
    Mark {
        /// handed, mailed or returned.
        #[arg(value_enum)]
        state: StateArg,
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
    #[command(
        after_help = "Example: kindly ledger rebuild riverside/runs/2026-* --ledger rebuilt.sqlite"
    )]
    Rebuild {
        /// The run folders (not shards), in any order.
        #[arg(required = true)]
        folders: Vec<PathBuf>,
        /// The ledger file to create; it must not exist.
        #[arg(long, value_name = "FILE")]
        ledger: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// The states a piece can be marked with by hand.
#[derive(Clone, Copy, ValueEnum)]
pub enum StateArg {
    Handed,
    Mailed,
    Returned,
}

impl From<StateArg> for PieceState {
    fn from(state: StateArg) -> PieceState {
        match state {
            StateArg::Handed => PieceState::Handed,
            StateArg::Mailed => PieceState::Mailed,
            StateArg::Returned => PieceState::Returned,
        }
    }
}

/// The shapes of synthetic export, as `--shape` spells them.
#[derive(Clone, Copy, ValueEnum)]
pub enum ShapeArg {
    Charges,
    Statement,
    TabUtf16,
    Households,
}

impl From<ShapeArg> for Shape {
    fn from(shape: ShapeArg) -> Shape {
        match shape {
            ShapeArg::Charges => Shape::Charges,
            ShapeArg::Statement => Shape::Statement,
            ShapeArg::TabUtf16 => Shape::TabUtf16,
            ShapeArg::Households => Shape::Households,
        }
    }
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    kindly::dates::parse_given(text)
}

fn parse_stage(text: &str) -> Result<Stage, String> {
    Stage::from_id(text).ok_or_else(|| {
        format!("{text:?} is not a stage: use reminder, plan_offer, assistance or final_notice")
    })
}
