//! The one place that decides how `kindly` ends: what it says and its exit
//! code. Commands return [`Done`] or a [`Failure`]; every error of the
//! library becomes a failure through one `From`, so the library's errors
//! stay typed and know nothing of exit codes (as cargo's `CliError` does).
//!
//! - **0**: done.
//! - **1**: done, but problems were found (rows that cannot be used, wording
//!   that fails a check, files that do not match, ...), as [`Done::Problems`].
//! - **2**: could not run: a file missing or unreadable, a setting wrong, a
//!   ledger in use or damaged, a step refused to keep a patient from being
//!   mailed twice or wrongly. Nothing was written that looks finished.
//!
//! A broken rule of kindly's own (every row counted once, say) also ends
//! with 2, and says it is a bug to report rather than something to fix.

use std::process::ExitCode;

use kindly::pipeline;

/// A command that did its work.
pub enum Done {
    /// All is well.
    Ok,
    /// The work is done, and it found problems the command has listed.
    Problems,
}

/// A command that could not do its work: what to tell the person running it.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Failure {
        Failure { message: message.into() }
    }

    fn bug(error: impl std::fmt::Display) -> Failure {
        Failure::new(format!(
            "this is a bug in kindly, not a problem with your files: {error}. Nothing was recorded in the ledger. \
             Please report it with this message and the command you ran"
        ))
    }
}

/// The exit code of a finished command, its failure (if any) said first.
pub fn exit(result: Result<Done, Failure>) -> ExitCode {
    match result {
        Ok(Done::Ok) => ExitCode::SUCCESS,
        Ok(Done::Problems) => ExitCode::from(1),
        Err(failure) => {
            crate::talk::say([failure.message]);
            ExitCode::from(2)
        }
    }
}

impl From<pipeline::Error> for Failure {
    fn from(e: pipeline::Error) -> Failure {
        if e.is_bug() { Failure::bug(e) } else { Failure::new(e.to_string()) }
    }
}

impl From<pipeline::PreviewError> for Failure {
    fn from(e: pipeline::PreviewError) -> Failure {
        match e {
            pipeline::PreviewError::Pipeline(e) => e.into(),
            e => Failure::new(e.to_string()),
        }
    }
}

impl From<pipeline::ReproduceError> for Failure {
    fn from(e: pipeline::ReproduceError) -> Failure {
        match e {
            pipeline::ReproduceError::Run(e) => e.into(),
            e => Failure::new(e.to_string()),
        }
    }
}

/// Every other library error is something to fix or wait for, said as it is.
macro_rules! failure_from {
    ($($error:ty),* $(,)?) => {
        $(impl From<$error> for Failure {
            fn from(e: $error) -> Failure {
                Failure::new(e.to_string())
            }
        })*
    };
}

failure_from!(
    kindly::config::ConfigError,
    kindly::ledger::LedgerError,
    kindly::practice::PracticeError,
    kindly::approval::ApprovalError,
    kindly::handoff::HandoffError,
    kindly::merge::MergeError,
    kindly::run_folder::FolderError,
    kindly::ingest::IngestError,
    kindly::run_folder::OutputError,
);
