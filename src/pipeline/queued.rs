//! The partitions whose letters are on the render threads: at most two at
//! once, the next one's queued behind the oldest's, settled in order.
//! Pieces are handed to the combined print files and the report's pictures
//! in piece order, however the threads finish them.

use std::collections::{BTreeSet, VecDeque};
use std::path::PathBuf;

use super::books::Books;
use super::decide::{self, DecidedAccount, DecidedPart};
use super::letters::{self, Made};
use super::workers::{Job, Workers};
use super::{Bug, Error, Pictures, Setup};
use crate::print_files::PrintFiles;

/// How many partitions' letters are queued on the render threads at once.
/// With one, the threads sat idle at the end of every partition: one
/// waited for the other's last letter, then both for the partition's
/// accounts to be settled and the next one's jobs to be made.
pub(super) const PARTS_QUEUED: usize = 2;

/// A partition whose letters are queued on the render threads, and what
/// has come back of them.
pub(super) struct Queued {
    number: u64,
    accounts: Vec<DecidedAccount>,
    /// Each job's accounts, as positions in `accounts`.
    members: Vec<Vec<usize>>,
    /// Envelopes made but not yet handed over: those before them in piece
    /// order are still being made, or an earlier partition is.
    waiting: Vec<Option<letters::Envelopes>>,
    /// Each account's letter, once its envelope is handed over.
    made: Vec<Option<Made>>,
    /// The next job to hand over, in piece order.
    next: usize,
    /// The kinds of letter whose picture one of its jobs draws.
    drawing: BTreeSet<crate::run_folder::Kind>,
    entries: PathBuf,
}

impl Queued {
    /// Queues a decided partition's letters on the render threads: accounts
    /// that share a piece id (a household) in one job. The first job of each
    /// stage, language and variant that has no picture yet, and whose
    /// picture no partition still queued draws, draws its first page for
    /// the report: chosen in piece order, so the same run always shows the
    /// same letters, and never one to a confidential address.
    pub(super) fn start(
        setup: &Setup,
        workers: &Workers,
        (number, part, entries): (u64, DecidedPart, PathBuf),
        pictures: &Pictures,
        queued: &VecDeque<Queued>,
    ) -> Result<Queued, Error> {
        let accounts = part.accounts()?;
        let mut members: Vec<Vec<usize>> = Vec::new();
        let mut jobs: Vec<Job> = Vec::new();
        let mut drawing = BTreeSet::new();
        for (index, envelope) in decide::envelopes(&accounts).into_iter().enumerate() {
            let kind = setup.kind_of(&envelope.accounts);
            let drawn =
                pictures.contains_key(&kind) || queued.iter().any(|q| q.drawing.contains(&kind));
            // A confidential address is never shown in the report.
            let confidential = envelope.accounts.iter().any(|(a, _)| a.confidential_address());
            let picture = !drawn && !confidential && drawing.insert(kind);
            members.push(envelope.members);
            jobs.push(Job {
                part: number,
                index,
                accounts: envelope.accounts,
                piece: envelope.piece,
                picture,
            });
        }
        let (waiting, made) = (vec![None; jobs.len()], vec![None; accounts.len()]);
        workers.queue(jobs)?;
        Ok(Queued { number, accounts, members, waiting, made, next: 0, drawing, entries })
    }

    /// Hands over the envelopes that are next in piece order.
    fn hand_over_ready(
        &mut self,
        mut print: Option<&mut PrintFiles>,
        pictures: &mut Pictures,
    ) -> Result<(), Error> {
        while let Some(ready) = self.waiting.get_mut(self.next).and_then(Option::take) {
            for (carried, mut letter) in ready {
                if let Ok(piece) = letter.as_mut() {
                    hand_over(piece, print.as_deref_mut(), pictures)?;
                }
                for &at in &self.members[self.next][carried] {
                    self.made[at] = Some(letter.clone());
                }
            }
            self.next += 1;
        }
        Ok(())
    }
}

/// Waits for the oldest queued partition's letters and settles its
/// accounts in the books. Pieces go to the combined files and the report's
/// pictures in piece order, as soon as every piece before them is made, so
/// that only the few letters made out of turn wait with their pages, not a
/// whole partition's (at 100,000 accounts a partition is about 600 letters,
/// some 60 MiB of laid-out pages). Letters of the next partition that come
/// back meanwhile wait for their turn.
pub(super) fn finish_oldest(
    setup: &Setup,
    workers: &Workers,
    queued: &mut VecDeque<Queued>,
    books: &mut Books,
    (mut print, pictures): (Option<&mut PrintFiles>, &mut Pictures),
) -> Result<(), Error> {
    let Some(mut oldest) = queued.pop_front() else { return Ok(()) };
    oldest.hand_over_ready(print.as_deref_mut(), pictures)?;
    while oldest.next < oldest.waiting.len() {
        let ((number, index), envelopes) = workers.next()?;
        if number == oldest.number {
            oldest.waiting[index] = Some(envelopes);
            oldest.hand_over_ready(print.as_deref_mut(), pictures)?;
        } else {
            let later = queued
                .iter_mut()
                .find(|q| q.number == number)
                .ok_or(Error::from(Bug::RenderThreadStopped))?;
            later.waiting[index] = Some(envelopes);
        }
    }
    books.settle(oldest.accounts, oldest.made, &setup.config.policy, &oldest.entries)
}

/// Gives a made piece's pages to the combined files, noting where they
/// went in its manifest row, and its picture to the report if its kind has
/// none yet.
fn hand_over(
    piece: &mut letters::Piece,
    print: Option<&mut PrintFiles>,
    pictures: &mut Pictures,
) -> Result<(), Error> {
    if let Some(print) = print {
        let placed = print.add(&piece.pages.take().unwrap_or_default())?;
        piece.row.print_file = placed.file;
        piece.row.print_first_page = Some(placed.first_page);
        piece.row.print_last_page = Some(placed.last_page);
    }
    if let Some(picture) = piece.picture.take() {
        pictures.entry(piece.row.kind()).or_insert_with(|| (piece.row.piece_id.clone(), picture));
    }
    Ok(())
}
