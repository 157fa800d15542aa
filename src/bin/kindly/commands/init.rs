//! `kindly init`: a practice folder that cannot start wrong, and, given the
//! practice's export, the mapping kindly proposes for it, checked at once.

use std::path::Path;

use kindly::ledger::Ledger;
use kindly::pipeline::{self, Setup};
use kindly::practice::init::make_folder;

use super::{say, show, today};
use crate::args::InitArgs;
use crate::failure::{Done, Failure};

pub fn init(args: InitArgs) -> Result<Done, Failure> {
    let mapping = match &args.export {
        Some(export) => Some(kindly::suggest::for_config(&kindly::suggest::suggest(export)?)),
        None => None,
    };
    let made = make_folder(&args.dir, args.name.as_deref(), mapping.as_deref())
        .map_err(|e| Failure::new(e.to_string()))?;
    // The practice's ledger exists from the start, so its first run needs no
    // flag and a ledger lost later is noticed.
    drop(Ledger::open(&made.ledger, "is starting the practice's ledger")?);
    let config = made.config.display();
    say([
        format!("made the practice folder {}:", args.dir.display()),
        format!("  {config}: the settings, each explained; fill in the lines that read EDIT ME"),
        format!("  {}: the letters' layout and wording, to edit", made.layouts.display()),
        format!(
            "  {}: the ledger, and the run folders to come",
            made.ledger.parent().unwrap_or(Path::new("")).display()
        ),
    ]);
    let Some(export) = &args.export else {
        say([format!(
            "next: `kindly init` again with --export, or `kindly mapping suggest EXPORT.csv --for-config` to map the \
             export into {config}; then `kindly validate EXPORT.csv --config {config}`"
        )]);
        return Ok(Done::Ok);
    };
    say([format!(
        "the mapping at the end of {config} is what kindly proposes for {}; checking it:",
        export.display()
    )]);
    let checked = Setup::load(&made.config, None).and_then(|setup| {
        let report = pipeline::validate(export, &setup, today(), &made.ledger, None)?;
        Ok((report, setup.config.unfilled()))
    });
    let (report, unfilled) = match checked {
        Ok(checked) => checked,
        Err(e) => {
            say([
                format!("the export cannot be read with the proposed mapping yet: {e}"),
                format!(
                    "fix the mapping in {config}, then run `kindly validate {} --config {config}`",
                    export.display()
                ),
            ]);
            return Ok(Done::Problems);
        }
    };
    show(&report.table());
    let mut next = vec!["what to check before the first run:".to_string()];
    if !unfilled.is_empty() {
        next.push(format!("  fill in {} in {config} (a run refuses EDIT ME)", unfilled.join(", ")));
    }
    next.extend([
        format!(
            "  the columns the mapping chose (end of {config}), above all the balance or amounts and the guarantor"
        ),
        "  that the letters, holds and rejected rows above are what you expect of this export".to_string(),
        format!(
            "  then `kindly proof {} --config {config}`, print the proof and read it, and `kindly run`",
            export.display()
        ),
    ]);
    say(next);
    Ok(if report.rejects.count == 0 { Done::Ok } else { Done::Problems })
}
