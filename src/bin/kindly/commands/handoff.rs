//! `kindly handoff`: a finished run's files in the vendor's own shape, in a
//! folder of their own, recorded in the ledger as handed to the vendor.

use kindly::config::Config;
use kindly::handoff::HandoffError;
use kindly::ledger::{Ledger, PieceState, StateChange};

use super::{say, today};
use crate::args::HandoffArgs;
use crate::failure::{Done, Failure};

pub fn handoff(args: HandoffArgs) -> Result<Done, Failure> {
    let (config, _) = Config::load(&args.config)?;
    let format = args.vendor.unwrap_or(config.vendor.format);
    let place = kindly::practice::ledger(args.ledger.as_deref(), Some((&args.config, &config)))?;
    let on = args.on.unwrap_or_else(today);
    let mut recorded = String::new();
    // Every piece is marked handed before the folder appears: from then on
    // the run cannot be made again over itself (`--overwrite`), which would
    // give the vendor other letters under the same piece ids.
    let handed = |handoff: &kindly::handoff::Handoff| -> Result<(), HandoffError> {
        let failed = |e: kindly::ledger::LedgerError| HandoffError::Ledger(e.to_string());
        if !place.path.exists() {
            return Err(HandoffError::Ledger(format!(
                "there is no ledger at {} ({}); pass the practice's --config or --ledger",
                place.path.display(),
                place.source
            )));
        }
        let mut ledger = Ledger::open(&place.path, "is recording a hand-off").map_err(failed)?;
        let reason = format!("to {} in {}", format.title(), args.out.display());
        let changes: Vec<StateChange> = kindly::ledger::pieces_of(&args.run)
            .map_err(failed)?
            .into_iter()
            .map(|piece| StateChange {
                piece,
                state: PieceState::Handed,
                on,
                reason: Some(reason.clone()),
            })
            .collect();
        if changes.len() as u64 != handoff.pieces {
            return Err(HandoffError::Ledger(format!(
                "the manifest lists {} pieces, the run {}",
                changes.len(),
                handoff.pieces
            )));
        }
        ledger.set_state(&changes).map_err(failed)?;
        recorded = ledger.summary().map_err(failed)?.to_string();
        Ok(())
    };
    let handoff = kindly::handoff::handoff(&args.run, &config, format, &args.out, handed)?;
    say([
        format!(
            "{} pieces of {} for {}: {} files in {}",
            handoff.pieces,
            args.run.display(),
            format.title(),
            handoff.files.len() + 1,
            args.out.display()
        ),
        format!("recorded as handed to {} on {on} in the {recorded}", format.title()),
    ]);
    Ok(Done::Ok)
}
