//! The `kindly` command: parses arguments, calls the library, reports.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use kindly::config::{Delimiter, Encoding};
use kindly::pipeline::{self, Plan, RunOptions, Setup};
use kindly::policy::{Decision, Stage};
use kindly::shard::Shard;

/// Exit codes, as documented in the README.
const EXIT_PROBLEMS: u8 = 1;
const EXIT_CANNOT_RUN: u8 = 2;

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
    },
    /// Check the export, config and wording, and say what a run would do, without making letters.
    Validate {
        /// The billing export to check.
        export: PathBuf,
        /// table (for people) or json (for other programs).
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
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
    /// Check every letter's wording in every language: reading level, required information, forbidden phrases.
    Lint {
        #[command(flatten)]
        common: Common,
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
        /// Where to write the CSV [default: standard output].
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
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
    /// The export's text encoding, overriding the config: auto, utf-8, windows-1252, utf-16le or utf-16be.
    #[arg(long, value_parser = Encoding::parse, value_name = "NAME")]
    encoding: Option<Encoding>,
    /// The export's delimiter, overriding the config: auto, ",", ";", "|" or tab.
    #[arg(long, value_parser = Delimiter::parse, value_name = "CHAR")]
    delimiter: Option<Delimiter>,
}

impl Common {
    fn as_of(&self) -> NaiveDate {
        self.as_of.unwrap_or_else(|| chrono::Local::now().date_naive())
    }

    fn setup(&self) -> Result<Setup, String> {
        let mut setup = Setup::load(&self.config, self.layouts.as_deref()).map_err(|e| e.to_string())?;
        if let Some(mapping) = &self.mapping {
            setup.config.use_mapping(mapping).map_err(|e| e.to_string())?;
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
    Stage::ALL
        .into_iter()
        .find(|s| s.id() == text)
        .ok_or_else(|| format!("{text:?} is not a stage: use reminder, plan_offer, assistance or final_notice"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli.command) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("kindly: {message}");
            ExitCode::from(EXIT_CANNOT_RUN)
        }
    }
}

fn execute(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::Run { export, common, out, jobs, quiet, overwrite, strict, shard } => {
            let started = std::time::Instant::now();
            let as_of = common.as_of();
            let setup = common.setup()?;
            let out = out.unwrap_or_else(|| Path::new("runs").join(as_of.to_string()));
            let options = RunOptions { export, out, as_of, jobs, progress: !quiet, overwrite, strict, shard, started };
            let summary = pipeline::run(&setup, &options).map_err(|e| e.to_string())?;
            let c = &summary.record.counts;
            let rate = c.letters as f64 / summary.elapsed_secs.max(1e-9);
            let rss = kindly::peak_rss_bytes().map_or(String::new(), |b| format!(", peak memory {} MiB", b >> 20));
            eprintln!(
                "kindly: {} letters ({} pages, {} sheets), {} holds, {} rejected rows in {:.1} s ({rate:.0} letters/s{rss})",
                c.letters, c.pages, c.sheets, c.holds, c.rows.rejected, summary.elapsed_secs
            );
            let show = |steps: &[(&str, f64)]| {
                steps.iter().map(|(name, secs)| format!("{name} {secs:.1} s")).collect::<Vec<_>>().join(", ")
            };
            let first = summary.first_letter_secs.map_or(String::new(), |s| format!("first letter after {s:.2} s; "));
            eprintln!(
                "kindly: time: {first}{}; per step, summed over threads: {}",
                show(&summary.wall),
                show(&summary.letter_steps)
            );
            eprintln!("kindly: run folder {}", summary.folder.display());
            if c.rows.rejected > 0 {
                eprintln!("kindly: {} rows could not be read; see rejects.csv", c.rows.rejected);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Merge { shards, out, overwrite } => {
            let (folder, record) = kindly::merge::merge(&shards, &out, overwrite)?;
            let c = &record.counts;
            eprintln!(
                "kindly: merged {} shards: {} letters ({} pages, {} sheets), {} holds, {} rejected rows",
                shards.len(),
                c.letters,
                c.pages,
                c.sheets,
                c.holds,
                c.rows.rejected
            );
            eprintln!("kindly: run folder {}", folder.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate { export, format, common } => {
            let setup = common.setup()?;
            let report = pipeline::validate(&export, &setup.config, common.as_of()).map_err(|e| e.to_string())?;
            match format {
                Format::Table => print!("{}", report.table()),
                Format::Json => print!("{}", report.json()),
            }
            Ok(if report.rejects.count == 0 { ExitCode::SUCCESS } else { ExitCode::from(EXIT_PROBLEMS) })
        }
        Command::Preview { export, account, output, stage, png, common } => {
            let as_of = common.as_of();
            let setup = common.setup()?;
            let plan = Plan::make(&export, &setup.config, as_of).map_err(|e| e.to_string())?;
            let (found, assessment) = plan.accounts().find(|(a, _)| a.id == account).ok_or_else(|| {
                format!("account {account} is not in {} (or all its rows were rejected)", export.display())
            })?;
            let stage = match (stage, &assessment.decision) {
                (Some(stage), _) => stage,
                (None, Decision::Letter { stage }) => *stage,
                (None, Decision::Hold { .. }) => {
                    return Err(format!(
                        "account {account} gets no letter: {}. Pass --stage to preview a letter anyway.",
                        assessment.explain(&setup.config.policy)
                    ));
                }
            };
            let (_, rendered) = setup
                .render_letter(found, stage, &format!("PREVIEW-{account}"), as_of, &Default::default())
                .map_err(|reason| format!("the letter for account {account} cannot be made: {reason}"))?;
            let path = output.unwrap_or_else(|| PathBuf::from(format!("preview-{account}.pdf")));
            std::fs::write(&path, &rendered.pdf).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            eprintln!("kindly: {stage} letter for account {account}, {} page(s): {}", rendered.pages, path.display());
            if png {
                let (_, files) = setup
                    .compose_letter(found, stage, &format!("PREVIEW-{account}"), as_of)
                    .map_err(|e| e.to_string())?;
                let pages = setup.renderer.png_pages(files, as_of, 2.0).map_err(|e| e.to_string())?;
                let stem = path.with_extension("");
                for (i, png) in pages.iter().enumerate() {
                    let file = PathBuf::from(format!("{}-{}.png", stem.display(), i + 1));
                    std::fs::write(&file, png).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
                    eprintln!("kindly: page {}: {}", i + 1, file.display());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Sources { export, out, limit, common } => {
            let setup = common.setup()?;
            let written =
                pipeline::write_sources(&setup, &export, common.as_of(), &out, limit).map_err(|e| e.to_string())?;
            eprintln!("kindly: the Typst sources of {written} letters are in {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Lint { common } => {
            let setup = Setup::open(&common.config, common.layouts.as_deref()).map_err(|e| e.to_string())?;
            let reports = setup.lint().map_err(|e| e.to_string())?;
            let mut problems = 0;
            for report in &reports {
                let verdict = if report.findings.is_empty() { "ok" } else { "PROBLEMS" };
                println!(
                    "{}: {verdict} ({})",
                    report.template,
                    report.readability.as_deref().unwrap_or("no reading score")
                );
                for finding in &report.findings {
                    println!("  {}: {}", finding.rule, finding.detail);
                }
                problems += report.findings.len();
            }
            eprintln!("kindly: {} letters checked, {problems} problem(s)", reports.len());
            Ok(if problems == 0 { ExitCode::SUCCESS } else { ExitCode::from(EXIT_PROBLEMS) })
        }
        Command::Verify { folder } => {
            let problems = kindly::verify::verify(&folder)?;
            if problems.is_empty() {
                eprintln!(
                    "kindly: {} is intact: every file matches its checksum and the counts add up",
                    folder.display()
                );
                Ok(ExitCode::SUCCESS)
            } else {
                for p in &problems {
                    eprintln!("kindly: {p}");
                }
                eprintln!("kindly: {} problem(s) in {}", problems.len(), folder.display());
                Ok(ExitCode::from(EXIT_PROBLEMS))
            }
        }
        Command::Mapping { command: MappingCommand::Suggest { export } } => {
            print!("{}", kindly::suggest::suggest(&export).map_err(|e| e.to_string())?);
            Ok(ExitCode::SUCCESS)
        }
        Command::SampleExport { accounts, seed, as_of, broken, shape, output } => {
            let result = match &output {
                Some(path) => std::fs::File::create(path)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))
                    .and_then(|f| {
                        kindly::synth::write_export(std::io::BufWriter::new(f), shape, accounts, seed, as_of, broken)
                            .map_err(|e| e.to_string())
                    }),
                None => kindly::synth::write_export(std::io::stdout().lock(), shape, accounts, seed, as_of, broken)
                    .map_err(|e| e.to_string()),
            };
            result.map(|()| ExitCode::SUCCESS)
        }
    }
}
