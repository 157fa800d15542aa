//! Making runs: `run`, `merge` (shards into one run) and `reproduce` (a
//! run made again, for an auditor).

use std::path::Path;

use kindly::hold_list::{NotHeld, not_held_groups};
use kindly::ledger::{Ledger, Recorded};
use kindly::pipeline::{self, RunOptions, RunSummary};

use super::{now, say, today};
use crate::args::{MergeArgs, ReproduceArgs, RunArgs};
use crate::failure::{Done, Failure};
use crate::progress::Bar;

pub fn run(args: RunArgs) -> Result<Done, Failure> {
    let started = std::time::Instant::now();
    let common = &args.common;
    let setup = common.setup()?;
    let as_of = common.as_of();
    let out = args
        .out
        .unwrap_or_else(|| kindly::practice::runs_dir(&common.config).join(as_of.to_string()));
    let options = RunOptions {
        ledger: common.ledger(&setup)?,
        export: args.export,
        out,
        as_of,
        jobs: args.jobs,
        progress: Box::new(Bar::new(!args.quiet)),
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
    say(summary_lines(&summary, kindly::peak_rss_bytes()));
    Ok(Done::Ok)
}

/// The lines `kindly run` ends with: counts, speed, where the time went,
/// and where the folder is.
fn summary_lines(summary: &RunSummary, peak_memory: Option<u64>) -> Vec<String> {
    let c = &summary.record.counts;
    let rate = c.letters as f64 / summary.elapsed_secs.max(1e-9);
    let rss = peak_memory.map_or(String::new(), |b| format!(", peak memory {} MiB", b >> 20));
    let show = |steps: &[(&str, f64)]| {
        steps
            .iter()
            .map(|(name, secs)| format!("{name} {secs:.2} s"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let first = summary
        .first_letter_secs
        .map_or(String::new(), |s| format!("first letter after {s:.2} s; "));
    let mut lines = vec![
        format!(
            "{} letters ({} pages, {} sheets), {} holds, {} rejected rows in {:.1} s ({rate:.0} letters/s{rss})",
            c.letters, c.pages, c.sheets, c.holds, c.rows.rejected, summary.elapsed_secs
        ),
        format!(
            "{} envelopes for {} accounts, estimated postage {} (rates in [vendor.postage])",
            c.envelopes,
            c.accounts_in_letters(),
            c.estimated_postage
        ),
        format!(
            "time: {first}{}; per step, summed over threads: {}",
            show(&summary.wall),
            show(&summary.letter_steps)
        ),
        format!("run folder {}", summary.folder.display()),
    ];
    match &summary.ledger_before {
        Some((ledger, true)) => lines
            .push(format!("ledger {}: a NEW ledger, started by this run", ledger.path.display())),
        Some((ledger, false)) => lines.push(format!("decided with the {ledger}")),
        None => lines.push("no ledger: decided as if nothing had ever been sent".to_string()),
    }
    match &summary.ledger {
        None => lines.push("not recorded in the ledger (a trial run or a shard)".to_string()),
        Some((recorded, mended)) => {
            for folder in mended {
                lines.push(format!(
                    "ledger: recorded {}, which an earlier run had not",
                    folder.display()
                ));
            }
            lines.push(match recorded {
                Recorded::Run => "recorded in the ledger".to_string(),
                Recorded::Already => "already in the ledger".to_string(),
                Recorded::Rerun { of } => format!(
                    "the same export, config and date as {of}: recorded as a rerun, its letters not counted twice"
                ),
            });
        }
    }
    if let Some(read_as) = &summary.record.input_read_as {
        lines.push(format!("the export was {read_as}"));
    }
    if let Some((areas, codes)) = summary.zips {
        lines.push(format!(
            "pieces in ZIP order: {areas} 3-digit ZIP areas, {codes} ZIP codes (counts in zip-counts.csv; not a USPS presort)"
        ));
    }
    if c.rows.rejected > 0 {
        lines.push(format!("{} rows could not be read; see rejects.csv", c.rows.rejected));
    }
    if !summary.record.pieces_not_made.is_empty() {
        lines.push(format!(
            "piece numbers {} are not in the manifest: their letters failed the envelope and vendor checks, \
             and holds.csv says why",
            summary.record.pieces_not_made.join(", ")
        ));
    }
    if let Some(file) = &summary.record.confidential {
        let n = c.to_confidential;
        let letters = if n == 1 { "1 letter".to_string() } else { format!("{n} letters") };
        lines.push(format!(
            "{letters} went to confidential addresses from {} (each in an envelope of its own; the report \
             shows none of them)",
            file.file
        ));
    }
    lines.extend(summary.record.notice_sentence());
    lines.extend(not_held_lines(&summary.record.not_held));
    if !summary.record.not_readdressed.is_empty() {
        let rows: Vec<String> =
            summary.record.not_readdressed.iter().map(ToString::to_string).collect();
        lines.push(format!("{}: {}", kindly::confidential::UNMATCHED_ADVICE, rows.join(", ")));
    }
    lines.extend(summary.warnings.iter().map(|w| format!("WARNING: {}", w.message)));
    if let Some(earlier) = &summary.replaced_approval {
        lines.push(format!(
            "the run this one replaced was approved by {} on {}; that approval went with it: look at this \
             run's report.html and proof.pdf and approve it again",
            earlier.approved_by, earlier.approved_on
        ));
    }
    lines
}

/// The warnings for rows of the hold list that held nothing.
fn not_held_lines(rows: &[NotHeld]) -> Vec<String> {
    let list =
        |rows: &[&NotHeld]| rows.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(", ");
    not_held_groups(rows)
        .into_iter()
        .map(|(advice, rows)| format!("{advice}: {}", list(&rows)))
        .collect()
}

pub fn merge(args: MergeArgs) -> Result<Done, Failure> {
    let place = args.at.place()?;
    place.check_for_writing(args.new_ledger)?;
    let (folder, record) =
        kindly::merge::merge(&args.shards, &args.out, args.overwrite, &place.path)?;
    let mut ledger =
        Ledger::open(&place.path, &format!("is recording the merged run {}", args.out.display()))?;
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
    say([format!(
        "{} of {} files differ from {}",
        shown.differences.len(),
        shown.compared,
        folder.display()
    )]);
    Ok(Done::Problems)
}
