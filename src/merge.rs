//! `kindly merge`: shard run folders made into one run folder, as if one
//! machine had made every letter. Each shard is verified first, the shards
//! must be the whole of one run (same export, config, layouts and date; every
//! shard once), and the letters are checked against the manifests as they
//! are copied.

use std::path::{Path, PathBuf};

use crate::language_access::NOTICE_INSERT;
use crate::print_files::PRINT_DIR;
use crate::run_folder::{self, FolderError};
use crate::run_folder::{
    AUDIT_CSV, AuditRow, Counts, Fingerprint, HOLDS_CSV, HoldRow, MANIFEST_CSV, ManifestRow,
    OutputError, REJECTS_CSV, Records, RunRecord, Staging, WARNINGS_CSV, ZIP_COUNTS,
};
use crate::verify;

#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("name the shard folders to merge")]
    NoShards,
    #[error(transparent)]
    Unreadable(#[from] FolderError),
    #[error("{folder} fails its checks, so it is not merged:\n  {}", .problems.join("\n  "))]
    FailsChecks { folder: PathBuf, problems: Vec<String> },
    #[error("{0} is not a shard's run (it was not made with --shard)")]
    NotShard(PathBuf),
    #[error(
        "the folders are shards {present} of {count}; a merge needs each of shards 1 to {count} exactly once"
    )]
    NotEveryShard { present: String, count: u32 },
    #[error("{folder} has a different {what} ({theirs}) from {first} ({ours})")]
    Differs { folder: PathBuf, what: &'static str, theirs: String, first: PathBuf, ours: String },
    #[error("the shards hold {held} rows between them, but the export has {export_rows}")]
    RowsDiffer { held: u64, export_rows: u64 },
    #[error("piece {0} is in more than one shard")]
    PieceTwice(String),
    #[error("{file} in {folder} does not match its manifest checksum")]
    LetterChanged { file: String, folder: PathBuf },
    #[error("{0} is not a letter file")]
    NotLetter(String),
    #[error("{path} cannot be read: {source}")]
    Csv { path: PathBuf, source: csv::Error },
    #[error(
        "the shards' records count {letters} letters and {pages} pages, but their manifests list {listed} and {listed_pages}"
    )]
    CountsDiffer { letters: u64, pages: u64, listed: u64, listed_pages: u64 },
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Proof(#[from] crate::proof::ProofError),
    #[error(transparent)]
    Ledger(#[from] Box<crate::ledger::LedgerError>),
}

/// Merges `shards` into a new run folder `out`; returns its record. Its
/// report compares it with the latest earlier run in `ledger`, if any.
pub fn merge(
    shards: &[PathBuf],
    out: &Path,
    overwrite: bool,
    ledger: &Path,
) -> Result<(PathBuf, RunRecord), MergeError> {
    let (records, merged_from): (Vec<RunRecord>, Vec<Fingerprint>) = shards
        .iter()
        .map(|folder| load(folder))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .unzip();
    let first = records.first().ok_or(MergeError::NoShards)?;
    check_shards(shards, &records)?;
    let counts = records.iter().fold(Counts::default(), |mut sum, r| {
        sum.add(&r.counts);
        sum
    });
    let export_rows = first.shard.as_ref().map_or(0, |s| s.export_rows);
    if counts.rows.input != export_rows {
        return Err(MergeError::RowsDiffer { held: counts.rows.input, export_rows });
    }

    let mut staging = Staging::create(out, overwrite)?;
    let mut records_out = Records::create(&staging)?;
    let (letters, pages) = merge_letters(shards, &records, &mut staging, &mut records_out)?;
    let audits = open_each::<AuditRow>(shards, AUDIT_CSV)?;
    for item in crate::sorted::merge(audits, |(row, _): &(AuditRow, usize)| row.account.clone()) {
        records_out.audit(&item?.0)?;
    }
    let holds = open_each::<HoldRow>(shards, HOLDS_CSV)?;
    for item in crate::sorted::merge(holds, |(row, _): &(HoldRow, usize)| row.account.clone()) {
        records_out.hold(&item?.0)?;
    }
    records_out.finish(&mut staging)?;
    if letters != counts.letters || pages != counts.pages {
        return Err(MergeError::CountsDiffer {
            letters: counts.letters,
            pages: counts.pages,
            listed: letters,
            listed_pages: pages,
        });
    }
    copy_shard_files(shards, &records, &mut staging)?;
    let mut pieces_not_made: Vec<String> =
        records.iter().flat_map(|r| r.pieces_not_made.clone()).collect();
    pieces_not_made.sort();
    let record = |staging: &Staging| RunRecord {
        counts: counts.clone(),
        files: staging.files().clone(),
        shard: None,
        merged_from: merged_from.clone(),
        pieces_not_made: pieces_not_made.clone(),
        ..first.clone()
    };
    let ledger = crate::ledger::Ledger::open_read_only(ledger).map_err(Box::new)?;
    let from_ledger =
        crate::changes::from_ledger(ledger.as_ref(), out, &first.as_of, staging.path())
            .map_err(Box::new)?;
    crate::report::finish_folder(&mut staging, record, &from_ledger)?;
    let record = record(&staging);
    let folder = staging.finish(&record)?;
    Ok((folder, record))
}

/// Every shard of one split is there, once, and all were made from the
/// same files, date, versions and vendor as the first.
fn check_shards(shards: &[PathBuf], records: &[RunRecord]) -> Result<(), MergeError> {
    let first = records.first().ok_or(MergeError::NoShards)?;
    let count = first.shard.as_ref().map_or(0, |s| s.count);
    let mut present: Vec<u32> =
        records.iter().filter_map(|r| r.shard.as_ref().map(|s| s.index)).collect();
    present.sort_unstable();
    if present != (1..=count).collect::<Vec<_>>() {
        let present = present.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
        return Err(MergeError::NotEveryShard { present, count });
    }
    let sha = |f: &Option<Fingerprint>| {
        f.as_ref().map_or_else(|| "none".to_string(), |f| f.sha256.clone())
    };
    let shard_count = |r: &RunRecord| r.shard.as_ref().map_or(0, |s| s.count).to_string();
    let made_by = |r: &RunRecord| -> [(&'static str, String); 11] {
        [
            ("export", r.input.sha256.clone()),
            ("config", r.config.sha256.clone()),
            ("mapping", sha(&r.mapping)),
            ("hold list", sha(&r.hold_list)),
            ("confidential-address file", sha(&r.confidential)),
            ("layouts", r.layouts.sha256.clone()),
            ("as-of date", r.as_of.clone()),
            ("kindly version", r.kindly_version.clone()),
            ("Typst version", r.typst_version.clone()),
            ("vendor", r.vendor.clone()),
            ("shard count", shard_count(r)),
        ]
    };
    let ours = made_by(first);
    for (folder, record) in shards.iter().zip(records) {
        for ((what, ours), (_, theirs)) in ours.iter().zip(made_by(record)) {
            if *ours != theirs {
                return Err(MergeError::Differs {
                    folder: folder.clone(),
                    what,
                    theirs,
                    first: shards[0].clone(),
                    ours: ours.clone(),
                });
            }
        }
    }
    Ok(())
}

/// Copies the shards' letters into the merged folder in piece order, each
/// checked against its manifest row, with the report's picture of each
/// kind of letter; returns how many letters and pages were listed.
fn merge_letters(
    shards: &[PathBuf],
    records: &[RunRecord],
    staging: &mut Staging,
    records_out: &mut Records,
) -> Result<(u64, u64), MergeError> {
    let manifests = open_each::<ManifestRow>(shards, MANIFEST_CSV)?;
    let mut last = None;
    let (mut letters, mut pages) = (0, 0);
    let mut pictured = std::collections::BTreeSet::new();
    for item in crate::sorted::merge(manifests, |(row, _): &(ManifestRow, usize)| {
        piece_order(&row.piece_id)
    }) {
        let (row, shard) = item?;
        let folder = &shards[shard];
        if last.as_ref() == Some(&row.piece_id) {
            return Err(MergeError::PieceTwice(row.piece_id));
        }
        let bytes = run_folder::read(folder, &row.file)?;
        if crate::digest::sha256(&bytes) != row.sha256 {
            return Err(MergeError::LetterChanged { file: row.file, folder: folder.clone() });
        }
        let name = Path::new(&row.file)
            .file_name()
            .ok_or_else(|| MergeError::NotLetter(row.file.clone()))?;
        crate::run_folder::write_file(&staging.letters_dir().join(name), &bytes)?;
        // The report's picture of each kind of letter: the first piece's
        // that has one, as a single run would have drawn it.
        let picture = crate::report::picture_of(&row.piece_id);
        let kind = row.kind();
        if records[shard].files.contains_key(&picture) && pictured.insert(kind) {
            let dir = staging.path().join(crate::report::PICTURES_DIR);
            std::fs::create_dir_all(&dir)
                .map_err(|source| OutputError::Io { path: dir, source })?;
            staging.write(&picture, &run_folder::read(folder, &picture)?)?;
        }
        records_out.manifest(&row)?;
        (letters, pages) = (letters + 1, pages + row.pages as u64);
        last = Some(row.piece_id);
    }
    Ok((letters, pages))
}

/// The files the shards made whole: rejects and warnings (shard 1 reports
/// every row that belongs to no guarantor), each shard's combined print
/// files (named by shard), and ZIP counts over the merged manifest.
fn copy_shard_files(
    shards: &[PathBuf],
    records: &[RunRecord],
    staging: &mut Staging,
) -> Result<(), MergeError> {
    let reporter =
        records.iter().position(|r| r.shard.as_ref().is_some_and(|s| s.index == 1)).unwrap_or(0);
    for name in [REJECTS_CSV, WARNINGS_CSV] {
        staging.write(name, &run_folder::read(&shards[reporter], name)?)?;
    }
    // The language-assistance insert is the same in every shard.
    if records[reporter].files.contains_key(NOTICE_INSERT) {
        staging.write(NOTICE_INSERT, &run_folder::read(&shards[reporter], NOTICE_INSERT)?)?;
    }
    for (folder, record) in shards.iter().zip(records) {
        for name in record.files.keys().filter(|f| f.starts_with(&format!("{PRINT_DIR}/"))) {
            let dir = staging.path().join(PRINT_DIR);
            std::fs::create_dir_all(&dir)
                .map_err(|source| OutputError::Io { path: dir, source })?;
            staging.write(name, &run_folder::read(folder, name)?)?;
        }
    }
    if records.first().is_some_and(|first| first.files.contains_key(ZIP_COUNTS)) {
        let folder = staging.path().to_path_buf();
        crate::run_folder::write_zip_counts(&folder, |name, sha| staging.written(name, sha))?;
    }
    Ok(())
}

/// A shard's run record, once the folder passes `kindly verify`, and the
/// folder with the SHA-256 of its run.json, for the merged run's record.
fn load(folder: &Path) -> Result<(RunRecord, Fingerprint), MergeError> {
    let problems = verify::verify(folder)?;
    if !problems.is_empty() {
        return Err(MergeError::FailsChecks { folder: folder.to_path_buf(), problems });
    }
    let (record, bytes) = run_folder::read_record(folder)?;
    if record.shard.is_none() {
        return Err(MergeError::NotShard(folder.to_path_buf()));
    }
    Ok((
        record,
        Fingerprint { file: folder.display().to_string(), sha256: crate::digest::sha256(&bytes) },
    ))
}

type Rows<T> = Box<dyn Iterator<Item = Result<(T, usize), MergeError>>>;

/// One of the run's CSV files from each shard, row by row, each row with the
/// number of its shard.
fn open_each<T: serde::de::DeserializeOwned + 'static>(
    shards: &[PathBuf],
    name: &str,
) -> Result<Vec<Rows<T>>, MergeError> {
    shards
        .iter()
        .enumerate()
        .map(|(n, folder)| {
            let path = folder.join(name);
            let reader = csv::Reader::from_path(&path)
                .map_err(|source| MergeError::Csv { path: path.clone(), source })?;
            let rows = reader.into_deserialize::<T>().map(move |row| {
                row.map(|r| (r, n)).map_err(|source| MergeError::Csv { path: path.clone(), source })
            });
            Ok(Box::new(rows) as Rows<T>)
        })
        .collect()
}

/// Pieces in the order they were numbered: K20261130-00002 before
/// K20261130-00010, and -99999 before -100000.
fn piece_order(piece: &str) -> (usize, String) {
    (piece.len(), piece.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn pieces_sort_by_number() {
        let mut pieces = ["K1-100000", "K1-00010", "K1-99999", "K1-00002"];
        pieces.sort_by_key(|p| super::piece_order(p));
        assert_eq!(pieces, ["K1-00002", "K1-00010", "K1-99999", "K1-100000"]);
    }
}
