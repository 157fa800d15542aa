//! What can stop a run (and `validate`, `lint`, `sources` and `proof`, which
//! load the same setup) before its folder is complete, each with what to do
//! about it; what stops `preview` and `reproduce` besides; and the bugs,
//! kept apart from what an office can fix. The command line decides the
//! exit codes.

use std::path::PathBuf;

use crate::compose::ComposeError;
use crate::config::ConfigError;
use crate::ingest::IngestError;
use crate::language_access::NoticeError;
use crate::layouts::LayoutsError;
use crate::ledger::LedgerError;
use crate::lint::Finding;
use crate::policy::Stage;
use crate::render::RenderError;
use crate::run_folder::OutputError;

impl From<NoticeError> for Error {
    fn from(error: NoticeError) -> Error {
        Error::Notice(Box::new(error))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Layouts(#[from] LayoutsError),
    /// Boxed: its message's parts are many, and every `Result` carries
    /// the largest variant.
    #[error(transparent)]
    Notice(Box<NoticeError>),
    #[error(transparent)]
    Compose(#[from] ComposeError),
    #[error("the layout cannot be used: {0}")]
    Render(#[from] RenderError),
    #[error("cannot draw the first page of {piece} for report.html: {message}")]
    Picture { piece: String, message: String },
    #[error("the {language} {stage} letter cannot be laid out: {source}")]
    SampleLetter { language: String, stage: Stage, source: RenderError },
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error("{what} cannot be used: {0}", what = .0.what())]
    StaffFile(#[from] crate::decode::StaffFileError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Print(#[from] crate::print_files::PrintError),
    #[error(transparent)]
    Proof(#[from] crate::proof::ProofError),
    #[error(transparent)]
    Handoff(#[from] crate::handoff::HandoffError),
    #[error(transparent)]
    Ledger(Box<LedgerError>),
    #[error(transparent)]
    Practice(#[from] crate::practice::PracticeError),
    #[error(
        "--as-of {as_of} is before the latest run in the ledger {} ({latest}): a run dated earlier would decide \
         from a past that has already happened. Check the date (YYYY-MM-DD, e.g. 2026-12-07); to look at an \
         earlier month without recording anything, add --trial",
        ledger.display()
    )]
    AsOfBeforeLedger { as_of: String, latest: String, ledger: PathBuf },
    #[error(
        "--as-of {as_of} is more than a month after today ({today}), and every letter would be dated then. \
         Check the year and month (YYYY-MM-DD); if the date is meant, add --future-date"
    )]
    AsOfAhead { as_of: String, today: String },
    #[error(
        "{config} still reads \"EDIT ME\" in {settings}, and letters would print that. Write the practice's \
         own words there (kindly validate and kindly proof show the letters meanwhile; a --trial run makes them)"
    )]
    Unfilled { config: String, settings: String },
    #[error(
        "the run folder {folder} is complete, but the ledger could not record it ({source}); \
         the next run records it, or run `kindly ledger rebuild`"
    )]
    NotRecorded { folder: PathBuf, source: Box<LedgerError> },
    #[error("the wording does not pass its checks; fix these and run again:\n{}", .0.iter().map(|f| format!("  {f}")).collect::<Vec<_>>().join("\n"))]
    Lint(Vec<Finding>),
    #[error(
        "{0} rows of the export cannot be used, and --strict makes no letters then; see `kindly validate`"
    )]
    Strict(usize),
    #[error("cannot start a render thread: {0}")]
    Thread(std::io::Error),
    #[error(transparent)]
    Bug(#[from] Bug),
}

/// Boxed: a ledger error carries SQLite's, which would make every result of
/// the pipeline large.
impl From<LedgerError> for Error {
    fn from(e: LedgerError) -> Error {
        Error::Ledger(Box::new(e))
    }
}

/// Something in the run folder's work area could not be written or read.
pub(super) fn work_file(path: &std::path::Path, source: std::io::Error) -> Error {
    Error::Output(OutputError::Io { path: path.to_path_buf(), source })
}

impl Error {
    /// Whether this is a bug in kindly rather than a problem with the files,
    /// the settings or the machine: the command line asks for a report then.
    pub fn is_bug(&self) -> bool {
        matches!(self, Error::Bug(_))
    }
}

/// A rule of kindly's own broken (every row counted once, every account
/// decided): a bug in kindly, never something an office can fix.
#[derive(Debug, thiserror::Error)]
pub enum Bug {
    #[error("a render thread stopped before finishing its letters")]
    RenderThreadStopped,
    #[error("deciding the accounts stopped before the last partition")]
    DecidingStopped,
    #[error("{read} rows read, but {in_accounts} in accounts and {rejected} rejected")]
    RowsLost { read: u64, in_accounts: u64, rejected: u64 },
    #[error("rows do not add up: {0:?}")]
    RowsDoNotAddUp(crate::run_folder::RowCounts),
    #[error("no letter and no reason for account {0}")]
    NoOutcome(String),
}

/// What can stop `kindly preview` besides what stops a run.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error("account {account} is not in {export} (or all its rows were rejected)")]
    NoSuchAccount { account: String, export: PathBuf },
    #[error("account {account} gets no letter: {reason}. Pass --stage to preview a letter anyway.")]
    NoLetterDue { account: String, reason: String },
    #[error("the letter for account {account} cannot be made: {reason}")]
    CannotMake { account: String, reason: String },
    #[error(transparent)]
    Pipeline(#[from] Error),
}

/// What can stop `kindly reproduce` besides what stops a run.
#[derive(Debug, thiserror::Error)]
pub enum ReproduceError {
    #[error("{} is not a run folder kindly can read: {reason}", folder.display())]
    NotARun { folder: PathBuf, reason: String },
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error(
        "the {what} given ({file}) is not the one {} was made from ({recorded_file}, by SHA-256); \
         give the exact file the run recorded",
        folder.display()
    )]
    NotTheRecordedFile { what: &'static str, file: String, recorded_file: String, folder: PathBuf },
    #[error(transparent)]
    Run(#[from] Error),
}

/// Errors of the stages preview calls, through [`Error`].
macro_rules! preview_from {
    ($($error:ty),* $(,)?) => {
        $(impl From<$error> for PreviewError {
            fn from(e: $error) -> PreviewError {
                PreviewError::Pipeline(e.into())
            }
        })*
    };
}

preview_from!(IngestError, LedgerError, OutputError, RenderError, ComposeError);
