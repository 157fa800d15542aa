//! Checking before and after a run: `validate`, `proof`, `preview` and
//! `lint` before; `verify` after; `sources` for chasing a layout problem.

use std::path::PathBuf;

use kindly::pipeline;

use super::{say, show};
use crate::args::{
    Format, LintArgs, PreviewArgs, ProofArgs, SourcesArgs, ValidateArgs, VerifyArgs,
};
use crate::failure::{Done, Failure};

pub fn validate(args: ValidateArgs) -> Result<Done, Failure> {
    let common = &args.common;
    let setup = common.setup()?;
    let ledger = common.ledger(&setup)?;
    let report = pipeline::validate(
        &args.export,
        &setup,
        common.as_of(),
        &ledger.path,
        args.report.as_deref(),
    )?;
    match args.format {
        Format::Table => show(&report.table()),
        Format::Json => show(&report.json()),
    }
    Ok(if report.rejects.count == 0 { Done::Ok } else { Done::Problems })
}

pub fn preview(args: PreviewArgs) -> Result<Done, Failure> {
    let common = &args.common;
    let setup = common.setup()?;
    let ledger = common.ledger(&setup)?;
    let pdf = args.output.unwrap_or_else(|| PathBuf::from(format!("preview-{}.pdf", args.account)));
    let at = (common.as_of(), ledger.path.as_path());
    let made =
        pipeline::preview(&setup, &args.export, &args.account, args.stage, at, &pdf, args.png)?;
    let mut lines = vec![format!(
        "{} letter for account {}, {} page(s): {}",
        made.stage,
        args.account,
        made.pages,
        made.pdf.display()
    )];
    if let Some(not_sent) = &made.not_sent {
        lines.push(format!("only a preview: {not_sent}"));
    }
    lines.extend(
        made.pngs.iter().enumerate().map(|(i, file)| format!("page {}: {}", i + 1, file.display())),
    );
    lines.push(format!("decided with the {}", kindly::ledger::describe(&ledger.path)?));
    say(lines);
    Ok(Done::Ok)
}

pub fn proof(args: ProofArgs) -> Result<Done, Failure> {
    let common = &args.common;
    let setup = common.setup()?;
    let ledger = common.ledger(&setup)?;
    let out = args.output.unwrap_or_else(|| PathBuf::from(format!("proof-{}.pdf", common.as_of())));
    let made = pipeline::proof(&setup, &args.export, (common.as_of(), &ledger.path), &out)?;
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
    lines.push(format!("decided with the {}", kindly::ledger::describe(&ledger.path)?));
    say(lines);
    Ok(Done::Ok)
}

pub fn sources(args: SourcesArgs) -> Result<Done, Failure> {
    let common = &args.common;
    let written = pipeline::write_sources(
        &common.setup()?,
        &args.export,
        common.as_of(),
        &args.out,
        args.limit,
    )?;
    say([format!("the Typst sources of {written} letters are in {}", args.out.display())]);
    Ok(Done::Ok)
}

pub fn lint(args: LintArgs) -> Result<Done, Failure> {
    let reports = args.common.open()?.lint()?;
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
    say([format!("{} letters checked, {problems} problem(s)", reports.len())]);
    Ok(if problems == 0 { Done::Ok } else { Done::Problems })
}

pub fn verify(args: VerifyArgs) -> Result<Done, Failure> {
    let folder = &args.folder;
    let problems = kindly::verify::verify(folder)?;
    if problems.is_empty() {
        say([format!(
            "{} is intact: every file matches its checksum and the counts add up",
            folder.display()
        )]);
        return Ok(Done::Ok);
    }
    say(problems.iter().cloned());
    say([format!("{} problem(s) in {}", problems.len(), folder.display())]);
    Ok(Done::Problems)
}
