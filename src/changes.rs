//! What the ledger tells a new run's report of earlier runs: what changed
//! since its last run (the ledger hands over the earlier run's decisions,
//! [`Ledger::each_decision`], and the report works out what changed,
//! [`report::changes_since`], so that neither stands on the other), and what
//! earlier letters led to ([`crate::outcomes`]).

use std::path::Path;

use crate::ledger::{Ledger, LedgerError};
use crate::report::{self, Changes, FromLedger};

/// What changed between the latest run `ledger` holds before `as_of` and
/// the run whose files are in `staged` (to go into `folder`); None if the
/// ledger has no earlier run.
pub fn since_last_run(
    ledger: &Ledger,
    folder: &Path,
    as_of: &str,
    staged: &Path,
) -> Result<Option<Changes>, LedgerError> {
    let Some(earlier) = ledger.run_before(folder, as_of)? else { return Ok(None) };
    let unreadable = |reason| LedgerError::Folder { folder: staged.to_path_buf(), reason };
    let decisions =
        |each: &mut dyn FnMut(_) -> Result<(), LedgerError>| ledger.each_decision(&earlier, each);
    report::changes_since((&earlier.as_of, &earlier.folder), staged, decisions, unreadable)
        .map(Some)
}

/// Both parts of [`FromLedger`] for the run whose files are in `staged`
/// (to go into `folder`, as of `as_of`); nothing without a ledger.
pub fn from_ledger(
    ledger: Option<&Ledger>,
    folder: &Path,
    as_of: &str,
    staged: &Path,
) -> Result<FromLedger, LedgerError> {
    let Some(ledger) = ledger else { return Ok(FromLedger::default()) };
    let changes = since_last_run(ledger, folder, as_of, staged)?;
    let looking_back = crate::outcomes::for_report(&crate::outcomes::measure(ledger, None, None)?);
    Ok(FromLedger { changes, looking_back })
}
