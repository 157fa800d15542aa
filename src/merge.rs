//! `kindly merge`: shard run folders made into one run folder, as if one
//! machine had made every letter. Each shard is verified first, the shards
//! must be the whole of one run (same export, config, layouts and date; every
//! shard once), and the letters are checked against the manifests as they
//! are copied.

use std::path::{Path, PathBuf};

use crate::output::{
    self, AUDIT_CSV, AuditRow, Counts, Fingerprint, HOLDS_CSV, HoldRow, MANIFEST_CSV, ManifestLine, ManifestRow,
    REJECTS_CSV, RUN_JSON, Records, RunRecord, Staging, WARNINGS_CSV,
};

/// Merges `shards` into a new run folder `out`; returns its record.
pub fn merge(shards: &[PathBuf], out: &Path, overwrite: bool) -> Result<(PathBuf, RunRecord), String> {
    let (records, merged_from): (Vec<RunRecord>, Vec<Fingerprint>) =
        shards.iter().map(|folder| load(folder)).collect::<Result<Vec<_>, _>>()?.into_iter().unzip();
    let first = records.first().ok_or_else(|| "name the shard folders to merge".to_string())?;
    let count = first.shard.as_ref().map_or(0, |s| s.count);
    let mut present: Vec<u32> = records.iter().filter_map(|r| r.shard.as_ref().map(|s| s.index)).collect();
    present.sort_unstable();
    if present != (1..=count).collect::<Vec<_>>() {
        return Err(format!(
            "the folders are shards {} of {count}; a merge needs each of shards 1 to {count} exactly once",
            present.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
        ));
    }
    for (folder, record) in shards.iter().zip(&records) {
        let same = |what: &str, a: &str, b: &str| {
            if a == b {
                Ok(())
            } else {
                Err(format!("{} has a different {what} ({b}) from {} ({a})", folder.display(), shards[0].display()))
            }
        };
        same("export", &first.input.sha256, &record.input.sha256)?;
        same("config", &first.config.sha256, &record.config.sha256)?;
        same("layouts", &first.layouts.sha256, &record.layouts.sha256)?;
        same("as-of date", &first.as_of, &record.as_of)?;
        same("kindly version", &first.kindly_version, &record.kindly_version)?;
        same("Typst version", &first.typst_version, &record.typst_version)?;
        same("vendor", &first.vendor, &record.vendor)?;
        same("shard count", &count.to_string(), &record.shard.as_ref().map_or(0, |s| s.count).to_string())?;
    }
    let counts = records.iter().fold(Counts::default(), |sum, r| add(sum, &r.counts));
    let export_rows = first.shard.as_ref().map_or(0, |s| s.export_rows);
    if counts.rows.input != export_rows {
        return Err(format!(
            "the shards hold {} rows between them, but the export has {export_rows}",
            counts.rows.input
        ));
    }

    let mut staging = Staging::create(out, overwrite).map_err(|e| e.to_string())?;
    let mut records_out = Records::create(&staging).map_err(|e| e.to_string())?;
    let manifests = open_each(shards, MANIFEST_CSV, |line: ManifestLine| ManifestRow::from(line))?;
    let mut last = None;
    let (mut letters, mut pages) = (0, 0);
    for item in crate::sorted::merge(manifests, |(row, _): &(ManifestRow, usize)| piece_order(&row.piece_id)) {
        let (row, shard) = item?;
        let folder = &shards[shard];
        if last.as_ref() == Some(&row.piece_id) {
            return Err(format!("piece {} is in more than one shard", row.piece_id));
        }
        let bytes = read(&folder.join(&row.file))?;
        if output::sha256(&bytes) != row.sha256 {
            return Err(format!("{} in {} does not match its manifest checksum", row.file, folder.display()));
        }
        let name = Path::new(&row.file).file_name().ok_or_else(|| format!("{} is not a letter file", row.file))?;
        output::write_file(&staging.letters_dir().join(name), &bytes).map_err(|e| e.to_string())?;
        records_out.manifest(&row).map_err(|e| e.to_string())?;
        (letters, pages) = (letters + 1, pages + row.pages as u64);
        last = Some(row.piece_id);
    }
    let audits = open_each(shards, AUDIT_CSV, |row: AuditRow| row)?;
    for item in crate::sorted::merge(audits, |(row, _): &(AuditRow, usize)| row.account.clone()) {
        let (row, _) = item?;
        records_out.audit(&row).map_err(|e| e.to_string())?;
    }
    let holds = open_each(shards, HOLDS_CSV, |row: HoldRow| row)?;
    for item in crate::sorted::merge(holds, |(row, _): &(HoldRow, usize)| row.account.clone()) {
        let (row, _) = item?;
        records_out.hold(&row).map_err(|e| e.to_string())?;
    }
    records_out.finish(&mut staging).map_err(|e| e.to_string())?;
    if letters != counts.letters || pages != counts.pages {
        return Err(format!(
            "the shards' records count {} letters and {} pages, but their manifests list {letters} and {pages}",
            counts.letters, counts.pages
        ));
    }
    // Rows that were rejected or warned about belong to no guarantor; shard 1
    // reports them all.
    let reporter = records.iter().position(|r| r.shard.as_ref().is_some_and(|s| s.index == 1)).unwrap_or(0);
    for name in [REJECTS_CSV, WARNINGS_CSV] {
        let bytes = read(&shards[reporter].join(name))?;
        staging.write(name, &bytes).map_err(|e| e.to_string())?;
    }
    let record = RunRecord { counts, files: staging.files().clone(), shard: None, merged_from, ..first.clone() };
    let folder = staging.finish(&record).map_err(|e| e.to_string())?;
    Ok((folder, record))
}

/// A shard's run record, once the folder passes `kindly verify`, and the
/// folder with the SHA-256 of its run.json, for the merged run's record.
fn load(folder: &Path) -> Result<(RunRecord, Fingerprint), String> {
    let problems = crate::verify::verify(folder)?;
    if !problems.is_empty() {
        return Err(format!(
            "{} fails its checks, so it is not merged:\n  {}",
            folder.display(),
            problems.join("\n  ")
        ));
    }
    let path = folder.join(RUN_JSON);
    let bytes = read(&path)?;
    let record: RunRecord =
        serde_json::from_slice(&bytes).map_err(|e| format!("{} is not a kindly run record: {e}", path.display()))?;
    if record.shard.is_none() {
        return Err(format!("{} is not a shard's run (it was not made with --shard)", folder.display()));
    }
    Ok((record, Fingerprint { file: folder.display().to_string(), sha256: output::sha256(&bytes) }))
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

type Rows<T> = Box<dyn Iterator<Item = Result<(T, usize), String>>>;

/// One of the run's CSV files from each shard, row by row, each row with the
/// number of its shard.
fn open_each<L: serde::de::DeserializeOwned + 'static, T: 'static>(
    shards: &[PathBuf],
    name: &str,
    convert: fn(L) -> T,
) -> Result<Vec<Rows<T>>, String> {
    shards
        .iter()
        .enumerate()
        .map(|(n, folder)| {
            let path = folder.join(name);
            let reader = csv::Reader::from_path(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let rows = reader.into_deserialize::<L>().map(move |row| {
                row.map(|r| (convert(r), n)).map_err(|e| format!("{} cannot be read: {e}", path.display()))
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

fn add(mut sum: Counts, c: &Counts) -> Counts {
    sum.rows.input += c.rows.input;
    sum.rows.in_letters += c.rows.in_letters;
    sum.rows.in_holds += c.rows.in_holds;
    sum.rows.rejected += c.rows.rejected;
    sum.rows.warned += c.rows.warned;
    sum.accounts += c.accounts;
    sum.letters += c.letters;
    sum.holds += c.holds;
    sum.pages += c.pages;
    sum.sheets += c.sheets;
    for (reason, n) in &c.holds_by_reason {
        *sum.holds_by_reason.entry(reason.clone()).or_default() += n;
    }
    for (stage, n) in &c.letters_by_stage {
        *sum.letters_by_stage.entry(stage.clone()).or_default() += n;
    }
    sum
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
