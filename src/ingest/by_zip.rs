//! The export in ZIP order, for a printer who wants the pieces by ZIP code
//! (five digits, then ZIP+4): each partition's accounts are sorted and
//! spilled, the sorted partitions merged into one stream, and the stream
//! cut into partitions again, so that partitions follow each other in ZIP
//! order and memory still holds one partition at a time. A practice's
//! patients crowd into a few ZIP codes, so partitions are cut by count,
//! never by ZIP range.

use super::{IngestError, Part, Partitioned, Spill};
use crate::model::{Account, Issue};

/// The regrouped partitions, and the rows' issues (reported with the first).
pub(super) struct ZipOrder {
    spill: Spill,
    parts: u64,
    rejects: Vec<Issue>,
    warnings: Vec<Issue>,
}

/// Where an account goes: its ZIP, then ZIP+4 (none first), then number.
fn key(account: &Account) -> (String, String, String) {
    let zip = &account.guarantor.address.zip;
    let (five, four) = zip.split_once('-').unwrap_or((zip, ""));
    (five.to_string(), four.to_string(), account.id.clone())
}

impl Partitioned {
    /// The same export with its partitions in ZIP order.
    pub fn by_zip(mut self) -> Result<Partitioned, IngestError> {
        let io = |source| IngestError::Io { file: self.file.clone(), source };
        let runs = Spill::create().map_err(io)?;
        let (mut rejects, mut warnings, mut accounts) = (Vec::new(), Vec::new(), 0u64);
        for i in 0..self.count() {
            let mut part = self.part(i)?;
            part.accounts.sort_by_key(key);
            accounts += part.accounts.len() as u64;
            rejects.append(&mut part.rejects);
            warnings.append(&mut part.warnings);
            write_all(&runs.part(i), &part.accounts).map_err(io)?;
        }
        let parts = self.count();
        let streams = (0..parts).map(|i| crate::jsonl::read::<Account>(&runs.part(i))).collect::<Result<Vec<_>, _>>();
        let merged = crate::sorted::merge(streams.map_err(io)?, key);
        let spill = Spill::create().map_err(io)?;
        let per_part = accounts.div_ceil(parts).max(1);
        let mut chunk = Vec::new();
        let mut written = 0;
        for account in merged {
            chunk.push(account.map_err(io)?);
            if chunk.len() as u64 == per_part {
                write_all(&spill.part(written), &chunk).map_err(io)?;
                (written, chunk) = (written + 1, Vec::new());
            }
        }
        if !chunk.is_empty() || written == 0 {
            write_all(&spill.part(written), &chunk).map_err(io)?;
            written += 1;
        }
        rejects.sort_by_key(|i| i.line);
        warnings.sort_by_key(|i| i.line);
        self.zip = Some(ZipOrder { spill, parts: written, rejects, warnings });
        Ok(self)
    }
}

impl ZipOrder {
    pub(super) fn count(&self) -> u64 {
        self.parts
    }

    pub(super) fn part(&self, i: u64, file: &str) -> Result<Part, IngestError> {
        let io = |source| IngestError::Io { file: file.to_string(), source };
        let accounts =
            crate::jsonl::read(&self.spill.part(i)).map_err(io)?.collect::<Result<Vec<_>, _>>().map_err(io)?;
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
