//! The ledger: what became of a run (`approve`, `mailed`, `returns`,
//! `ledger mark`), what it holds (`history`, `runs`) and rebuilding it from
//! run folders. Each names the ledger it used, with its runs and latest date.

use std::path::Path;

use kindly::ledger::{self, HistoryEntry, Ledger, Marked, PieceState, RunEntry, StateChange};
use kindly::practice::LedgerPlace;

use super::{now, say, show, show_json, today};
use crate::args::{
    ApproveArgs, Format, HistoryArgs, LedgerAt, LedgerCommand, MailedArgs, ReturnsArgs, RunsArgs,
};
use crate::failure::{Done, Failure};

/// The ledger to read: it must be there.
pub fn existing(at: &LedgerAt) -> Result<Ledger, Failure> {
    let place = at.place()?;
    Ledger::open_read_only(&place.path)?.ok_or_else(|| no_ledger(&place))
}

fn no_ledger(place: &LedgerPlace) -> Failure {
    Failure::new(format!(
        "there is no ledger at {} ({}): no run has been recorded there. Pass the practice's --config FILE, \
         or --ledger FILE",
        place.path.display(),
        place.source
    ))
}

pub fn history(args: HistoryArgs) -> Result<Done, Failure> {
    let ledger = existing(&args.at)?;
    let entries = ledger.entries(&args.account)?;
    match args.format {
        Format::Json => show_json(&entries),
        Format::Table => show(&history_table(&args.account, &entries)),
    }
    say([format!("from the {}", ledger.summary()?)]);
    if entries.is_empty() {
        say([format!("the ledger has nothing for account {}", args.account)]);
        return Ok(Done::Problems);
    }
    Ok(Done::Ok)
}

pub fn runs(args: RunsArgs) -> Result<Done, Failure> {
    let ledger = existing(&args.at)?;
    let runs = ledger.runs()?;
    match args.format {
        Format::Json => show_json(&runs),
        Format::Table => show(&runs_table(&runs)),
    }
    say([format!("from the {}", ledger.summary()?)]);
    Ok(Done::Ok)
}

/// Records `changes` in the practice's ledger, which must be there. Pieces
/// going to the vendor or the mail must belong to runs that were approved
/// where their run asked for it.
fn mark(at: &LedgerAt, changes: &[StateChange]) -> Result<(Marked, String), Failure> {
    let place = at.place()?;
    if !place.path.exists() {
        return Err(no_ledger(&place));
    }
    let mut ledger = Ledger::open(&place.path, "is recording piece states")?;
    if changes.iter().any(|c| matches!(c.state, PieceState::Handed | PieceState::Mailed)) {
        let pieces: Vec<String> = changes.iter().map(|c| c.piece.clone()).collect();
        if let Some(folder) = ledger.unapproved(&pieces)?.first() {
            return Err(Failure::new(format!(
                "{folder} was made with [mailing] require_approval = true and nobody has approved it, so none of \
                 its pieces can go to the vendor or the mail: look at its report.html and proof.pdf, then run \
                 `kindly approve {folder} --by NAME` (nothing was recorded)"
            )));
        }
    }
    let marked = ledger.set_state(changes)?;
    Ok((marked, ledger.summary()?.to_string()))
}

/// "12 pieces recorded as mailed", with those the ledger already had.
fn marked_lines(marked: Marked, what: &str, ledger: String) -> Vec<String> {
    let mut lines = vec![format!("{} {what}", pieces(marked.new))];
    if marked.already > 0 {
        lines.push(format!(
            "{} already recorded so (nothing changed for them)",
            pieces(marked.already)
        ));
    }
    lines.push(format!("in the {ledger}"));
    lines
}

fn pieces(n: usize) -> String {
    if n == 1 { "1 piece".to_string() } else { format!("{n} pieces") }
}

pub fn mailed(args: MailedArgs) -> Result<Done, Failure> {
    let date = args.date.unwrap_or_else(today);
    let changes: Vec<StateChange> = ledger::pieces_of(&args.run)?
        .into_iter()
        .map(|piece| StateChange { piece, state: PieceState::Mailed, on: date, reason: None })
        .collect();
    let (marked, ledger) = mark(&args.at, &changes)?;
    say(marked_lines(
        marked,
        &format!("of {} recorded as mailed on {date}", args.run.display()),
        ledger,
    ));
    Ok(Done::Ok)
}

pub fn approve(args: ApproveArgs) -> Result<Done, Failure> {
    let run: &Path = &args.run;
    let on = args.on.unwrap_or_else(today);
    let approved = kindly::approval::approve(run, &args.by, on)?;
    let approval = &approved.approval;
    let mut lines = vec![format!(
        "{} approved by {} on {on} (approval.json; run.json SHA-256 {})",
        run.display(),
        approval.approved_by,
        &approval.run_json_sha256[..16]
    )];
    if let Some(earlier) = &approved.replaced {
        lines.push(format!(
            "this replaces the approval by {} on {} in approval.json; the ledger keeps both",
            earlier.approved_by, earlier.approved_on
        ));
    }
    let place = args.at.place()?;
    if place.path.exists() {
        let mut ledger = Ledger::open(&place.path, "is recording an approval")?;
        ledger.record_approval(run, approval)?;
        lines.push(format!("recorded in the {}", ledger.summary()?));
    } else {
        lines.push(format!(
            "not recorded in a ledger: there is none at {} ({})",
            place.path.display(),
            place.source
        ));
    }
    say(lines);
    Ok(Done::Ok)
}

pub fn returns(args: ReturnsArgs) -> Result<Done, Failure> {
    let changes = ledger::read_returns(&args.file)?;
    let (marked, ledger) = mark(&args.at, &changes)?;
    let mut lines = marked_lines(marked, "recorded as returned", ledger);
    lines.push("their accounts are held until the export has a new address".to_string());
    say(lines);
    Ok(Done::Ok)
}

pub fn ledger(command: LedgerCommand) -> Result<Done, Failure> {
    match command {
        LedgerCommand::Mark { state, pieces, on, reason, at } => {
            let state = PieceState::from(state);
            let changes: Vec<StateChange> = pieces
                .into_iter()
                .map(|piece| StateChange { piece, state, on, reason: reason.clone() })
                .collect();
            let (marked, ledger) = mark(&at, &changes)?;
            say(marked_lines(marked, &format!("marked {}", state.id()), ledger));
            Ok(Done::Ok)
        }
        LedgerCommand::Rebuild { folders, ledger } => {
            ledger::rebuild(&ledger, &folders, &now())?;
            say([format!("ledger {} built from {} run folders", ledger.display(), folders.len())]);
            Ok(Done::Ok)
        }
    }
}

/// `kindly history` for people: one block per run, oldest first.
fn history_table(account: &str, entries: &[HistoryEntry]) -> String {
    let runs =
        if entries.len() == 1 { "1 run".to_string() } else { format!("{} runs", entries.len()) };
    let mut out = format!("account {account}: {runs}\n");
    for e in entries {
        let what = e.stage.as_deref().or(e.hold_code.as_deref()).unwrap_or_default();
        let balance = e.balance.as_deref().unwrap_or_default();
        out += &format!("{}  {} {what}, balance {balance}  ({})\n", e.as_of, e.decision, e.folder);
        if let Some(piece) = &e.piece_id {
            let state = e.piece_state.as_deref().unwrap_or("made");
            let since = e.piece_state_on.as_ref().map_or(String::new(), |d| format!(" on {d}"));
            let why = e.piece_state_reason.as_ref().map_or(String::new(), |r| format!(" ({r})"));
            out += &format!("    piece {piece}: {state}{since}{why}\n");
            let address = e.address.as_deref().unwrap_or_default();
            match &e.mailed_to {
                Some(mailed_to) => out += &format!("    to {address}: {mailed_to}\n"),
                None => out += &format!("    to {address}\n"),
            }
            out += &format!(
                "    file {}, SHA-256 {}\n",
                e.file.as_deref().unwrap_or_default(),
                e.sha256.as_deref().unwrap_or_default()
            );
            if let Some(variant) = &e.wording_variant {
                out += &format!("    wording: trial {variant}\n");
            }
        }
        out += &format!("    why: {}\n", e.reason);
    }
    out
}

/// `kindly runs` for people: one line per run.
fn runs_table(runs: &[RunEntry]) -> String {
    let mut out = String::from("as of       letters   holds  accounts  mailed  returned  folder\n");
    for r in runs {
        let rerun = r
            .rerun_of
            .as_ref()
            .map_or(String::new(), |o| format!("  (a rerun of {o}, not counted)"));
        out += &format!(
            "{:<10} {:>8} {:>7} {:>9} {:>7} {:>9}  {}{rerun}\n",
            r.as_of, r.letters, r.holds, r.accounts, r.mailed, r.returned, r.folder
        );
    }
    out
}
