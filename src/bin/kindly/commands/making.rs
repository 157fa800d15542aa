//! Making runs: `run`, `merge` (shards into one run) and `reproduce` (a
//! run made again, for an auditor).

use std::path::Path;

use kindly::ledger::Ledger;
use kindly::pipeline::{self, RunOptions};

use super::{now, say, today};
use crate::args::{MergeArgs, ReproduceArgs, RunArgs};
use crate::failure::{Done, Failure};

pub fn run(args: RunArgs) -> Result<Done, Failure> {
    let started = std::time::Instant::now();
    let common = &args.common;
    let setup = common.setup()?;
    let as_of = common.as_of();
    let out = args.out.unwrap_or_else(|| kindly::practice::runs_dir(&common.config).join(as_of.to_string()));
    let options = RunOptions {
        ledger: common.ledger(&setup)?,
        export: args.export,
        out,
        as_of,
        jobs: args.jobs,
        progress: !args.quiet,
        overwrite: args.overwrite,
        strict: args.strict,
        shard: args.shard,
        started,
        trial: args.trial,
        recorded_at: now(),
        today: today(),
        future_date: args.future_date,
    };
    let summary = pipeline::run(&setup, &options)?;
    say(summary.lines(kindly::peak_rss_bytes()));
    Ok(Done::Ok)
}

pub fn merge(args: MergeArgs) -> Result<Done, Failure> {
    let place = args.at.place()?;
    place.check_for_writing(args.new_ledger)?;
    let (folder, record) = kindly::merge::merge(&args.shards, &args.out, args.overwrite, &place.path)?;
    let mut ledger = Ledger::open(&place.path, &format!("is recording the merged run {}", args.out.display()))?;
    ledger.record(&folder, &now()).map_err(|e| {
        Failure::new(format!(
            "the merged folder {} is complete, but the ledger could not record it: {e}",
            folder.display()
        ))
    })?;
    let c = &record.counts;
    say([
        format!(
            "merged {} shards: {} letters ({} pages, {} sheets), {} holds, {} rejected rows",
            args.shards.len(),
            c.letters,
            c.pages,
            c.sheets,
            c.holds,
            c.rows.rejected
        ),
        format!("run folder {}", folder.display()),
        format!("recorded in the {}", ledger.summary()?),
    ]);
    Ok(Done::Ok)
}

pub fn reproduce(args: ReproduceArgs) -> Result<Done, Failure> {
    let setup = args.common.setup()?;
    let place = args.common.ledger(&setup)?;
    let shown = pipeline::reproduce(&setup, &args.folder, &args.export, &place)?;
    let folder: &Path = &args.folder;
    if shown.differences.is_empty() {
        say([format!(
            "{} reproduced: all {} files (letters, manifests, audit and holds) are byte-identical",
            folder.display(),
            shown.compared
        )]);
        return Ok(Done::Ok);
    }
    say(shown.differences.iter().cloned());
    say([format!("{} of {} files differ from {}", shown.differences.len(), shown.compared, folder.display())]);
    Ok(Done::Problems)
}
