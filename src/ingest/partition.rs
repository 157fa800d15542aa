//! The export spread over partition files by account, so that one
//! partition at a time is in memory however long the export.

use std::path::Path;

use chrono::NaiveDate;

use crate::config::Input;
use crate::model::Issue;

use super::group::Grouper;
use super::regroup::{self, Regroup};
use super::scan::{ReadAs, RowEvent, RowParser, Scan, Scanned, scan};
use super::spill::Spill;
use super::{IngestError, Part};

/// About how many bytes of export go into one partition file (small, so the
/// one partition in memory at a time stays small), and the bounds on how many partitions there are (the upper one
/// keeps well under the usual limit of 1,024 open files).
pub(super) const PARTITION_BYTES: u64 = 256 * 1024;
pub(super) const PARTITIONS: std::ops::RangeInclusive<u64> = 16..=512;

/// An export spread over partition files of about 256 KiB by account (so an
/// account's rows stay together), to be read partition by partition, as
/// often as needed, in memory that does not grow with the export.
///
/// The partition files hold the export's rows as read, each with its line
/// number, and a partition's rows are parsed when it is read. So reading the
/// export only finds each row's account number, and the first partition is
/// decided (and the first letter made) after one quick pass over the file:
/// at 100,000 accounts parsing every row before the first decision took two
/// thirds of the 3 s to the first letter.
pub struct Partitioned {
    pub file: String,
    /// Data rows read.
    pub rows: u64,
    pub sha256: String,
    /// How `auto` found the encoding, where the file did not say.
    pub read_as: Option<ReadAs>,
    /// Rows rejected before their account number could be read.
    pub loose: Vec<Issue>,
    pub(super) spill: Spill,
    pub(super) parts: u64,
    /// Parses the rows in the partition files.
    pub(super) parser: RowParser,
    /// The partitions regrouped, if asked for ([`Partitioned::regroup`]).
    pub(super) regrouped: Option<regroup::Regrouped>,
}

impl Partitioned {
    /// The same export with its partitions in `order` (see [`Regroup`]).
    pub fn regroup(mut self, order: Regroup) -> Result<Partitioned, IngestError> {
        let regrouped = regroup::regroup(self.count(), |i| self.part(i), &self.file, order)?;
        self.regrouped = Some(regrouped);
        Ok(self)
    }

    /// Reads the export once and writes its rows into partition files.
    pub fn read(path: &Path, input: &Input, as_of: NaiveDate) -> Result<Partitioned, IngestError> {
        let file = path.display().to_string();
        let io = |source| IngestError::Io { file: file.clone(), source };
        let reader = std::fs::File::open(path).map_err(io)?;
        let size = reader.metadata().map_err(io)?.len();
        let parts = (size / PARTITION_BYTES).clamp(*PARTITIONS.start(), *PARTITIONS.end());
        let spill = Spill::create().map_err(io)?;
        let mut writers = (0..parts)
            .map(|i| {
                std::fs::File::create(spill.part(i))
                    .map(|f| csv::WriterBuilder::new().flexible(true).from_writer(f))
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(io)?;
        let mut loose = Vec::new();
        let mut failed = None;
        let Scan { rows, sha256, parser, read_as } =
            scan(&file, reader, input, as_of, &mut |parser, scanned| {
                let (line, record) = match scanned {
                    Scanned::Row(line, record) => (line, record),
                    Scanned::Unreadable(issue) => return loose.push(issue.clone()),
                };
                let account = match parser.account_key(record) {
                    Some(account) => account,
                    // Only a row whose account number is not one column's needs
                    // parsing now to find it (its credits are read again, the
                    // right way round, when its partition is parsed).
                    None => match parser.event(scanned) {
                        RowEvent::Parsed { parsed, .. } => parsed.account,
                        RowEvent::Rejected { account: Some(account), .. } => account,
                        RowEvent::Rejected { issue, account: None } => return loose.push(issue),
                    },
                };
                let line = line.to_string();
                let written = writers[partition(&account, parts)]
                    .write_record(record.iter().chain([line.as_bytes()]));
                if let Err(e) = written {
                    failed.get_or_insert(e);
                }
            })?;
        for w in &mut writers {
            if let Err(e) = w.flush() {
                failed.get_or_insert(e.into());
            }
        }
        if let Some(e) = failed {
            return Err(io(e.into()));
        }
        Ok(Partitioned {
            file,
            rows,
            sha256,
            read_as,
            loose,
            spill,
            parts,
            parser,
            regrouped: None,
        })
    }

    /// Each partition in turn, grouped into accounts.
    pub fn parts(&self) -> impl Iterator<Item = Result<Part, IngestError>> + '_ {
        (0..self.parts).map(|i| self.part(i))
    }

    /// How many partitions there are.
    pub fn count(&self) -> u64 {
        self.regrouped.as_ref().map_or(self.parts, regroup::Regrouped::count)
    }

    /// Partition `i`, its rows parsed and grouped into accounts.
    pub fn part(&self, i: u64) -> Result<Part, IngestError> {
        if let Some(regrouped) = &self.regrouped {
            return regrouped.part(i, &self.file);
        }
        let io = |source| IngestError::Io { file: self.file.clone(), source };
        let mut spilled = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_path(self.spill.part(i))
            .map_err(|e| io(e.into()))?;
        let mut grouper = Grouper::new(&self.parser.input, self.parser.as_of);
        let mut record = csv::ByteRecord::new();
        while spilled.read_byte_record(&mut record).map_err(|e| io(e.into()))? {
            // Each row was written with its line number last.
            let fields = record.len().saturating_sub(1);
            let line = record.get(fields).and_then(|l| std::str::from_utf8(l).ok()?.parse().ok());
            let line = line.ok_or_else(|| {
                io(std::io::Error::other("a work file was changed while kindly read it"))
            })?;
            record.truncate(fields);
            grouper.add(&self.file, self.parser.event(Scanned::Row(line, &record)));
        }
        let (accounts, rejects, warnings) = grouper.finish();
        Ok(Part { accounts, rejects, warnings })
    }
}

/// The partition of an account: FNV-1a of its number, a hash that stays the
/// same across Rust versions, so the same export is always read in the same
/// order.
pub(super) fn partition(account: &str, parts: u64) -> usize {
    let hash = account
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    (hash % parts) as usize
}
