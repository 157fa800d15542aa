//! The export's partitions in another order: by ZIP code (five digits, then
//! ZIP+4) for a printer who wants the pieces that way, or by household, so
//! that the accounts of one envelope are decided together. Each partition's
//! accounts are sorted and spilled, the sorted partitions merged into one
//! stream, and the stream cut into partitions again, so that partitions
//! follow each other in order and memory still holds one partition at a
//! time. A practice's patients crowd into a few ZIP codes, so partitions are
//! cut by count, never by ZIP range, and never inside a household.

use super::spill::Spill;
use super::{IngestError, Part};
use crate::model::{Account, Issue};

/// The order to regroup the export in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Regroup {
    /// By ZIP, then ZIP+4 (none first), then account number.
    Zip,
    /// By envelope ([`crate::household::envelope_key`], which starts with
    /// the five-digit ZIP), then account number; one envelope's accounts are
    /// never cut between two partitions.
    Household,
}

impl Regroup {
    /// An account's place: what must stay in one partition, then the rest.
    fn key(self, account: &Account) -> ((String, String), String) {
        match self {
            Regroup::Zip => {
                let zip = &account.guarantor.address.zip;
                let (five, four) = zip.split_once('-').unwrap_or((zip, ""));
                ((five.to_string(), four.to_string()), account.id.clone())
            }
            Regroup::Household => {
                ((crate::household::envelope_key(account), String::new()), account.id.clone())
            }
        }
    }

    /// Whether two neighbouring accounts may go to different partitions.
    fn may_cut(self, before: &Account, after: &Account) -> bool {
        match self {
            Regroup::Zip => true,
            Regroup::Household => self.key(before).0 != self.key(after).0,
        }
    }
}

/// The regrouped partitions, and the rows' issues (reported with the first).
pub(super) struct Regrouped {
    spill: Spill,
    parts: u64,
    rejects: Vec<Issue>,
    warnings: Vec<Issue>,
}

/// The `count` partitions `part` reads, in `order`.
pub(super) fn regroup(
    count: u64,
    part: impl Fn(u64) -> Result<Part, IngestError>,
    file: &str,
    order: Regroup,
) -> Result<Regrouped, IngestError> {
    let io = |source| IngestError::Io { file: file.to_string(), source };
    let key = |account: &Account| order.key(account);
    let runs = Spill::create().map_err(io)?;
    let (mut rejects, mut warnings, mut accounts) = (Vec::new(), Vec::new(), 0u64);
    for i in 0..count {
        let mut part = part(i)?;
        part.accounts.sort_by_cached_key(key);
        accounts += part.accounts.len() as u64;
        rejects.append(&mut part.rejects);
        warnings.append(&mut part.warnings);
        write_all(&runs.part(i), &part.accounts).map_err(io)?;
    }
    let parts = count;
    let streams = (0..parts)
        .map(|i| crate::jsonl::read::<Account>(&runs.part(i)))
        .collect::<Result<Vec<_>, _>>();
    let merged = crate::sorted::merge(streams.map_err(io)?, key);
    let spill = Spill::create().map_err(io)?;
    let per_part = accounts.div_ceil(parts).max(1);
    let mut chunk: Vec<Account> = Vec::new();
    let mut written = 0;
    for account in merged {
        let account = account.map_err(io)?;
        let full = chunk.len() as u64 >= per_part;
        if full && chunk.last().is_some_and(|last| order.may_cut(last, &account)) {
            write_all(&spill.part(written), &chunk).map_err(io)?;
            (written, chunk) = (written + 1, Vec::new());
        }
        chunk.push(account);
    }
    if !chunk.is_empty() || written == 0 {
        write_all(&spill.part(written), &chunk).map_err(io)?;
        written += 1;
    }
    rejects.sort_by_key(|i| i.line);
    warnings.sort_by_key(|i| i.line);
    Ok(Regrouped { spill, parts: written, rejects, warnings })
}

impl Regrouped {
    pub(super) fn count(&self) -> u64 {
        self.parts
    }

    pub(super) fn part(&self, i: u64, file: &str) -> Result<Part, IngestError> {
        let io = |source| IngestError::Io { file: file.to_string(), source };
        let accounts = crate::jsonl::read(&self.spill.part(i))
            .map_err(io)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(io)?;
        let first = i == 0;
        Ok(Part {
            accounts,
            rejects: if first { self.rejects.clone() } else { Vec::new() },
            warnings: if first { self.warnings.clone() } else { Vec::new() },
        })
    }
}

fn write_all(path: &std::path::Path, accounts: &[Account]) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for account in accounts {
        crate::jsonl::write(&mut out, account)?;
    }
    std::io::Write::flush(&mut out)
}
