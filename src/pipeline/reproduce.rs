//! `kindly reproduce`: proves that a run folder is what the recorded inputs
//! make. The export, config, mapping and layouts given must be the very files
//! the run recorded (by SHA-256); the run is then made again, as a trial, in a
//! scratch folder, and every letter and every file but run.json is compared
//! byte for byte with the folder's.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use super::{ReproduceError, RunOptions, Setup};
use crate::practice::LedgerPlace;
use crate::run_folder::{Fingerprint, LETTERS_DIR, RUN_JSON, RunRecord};
use crate::shard::Shard;

/// What making the run again showed.
#[derive(Debug)]
pub struct Reproduction {
    /// Files compared (letters and the run's other files but run.json).
    pub compared: usize,
    /// Files that differ, are missing from the new run, or are new in it.
    pub differences: Vec<String>,
}

/// Makes the run of `folder` again from `export` and `setup` (which must be
/// the files it recorded) with the ledger `ledger`, and compares.
pub fn reproduce(
    setup: &Setup,
    folder: &Path,
    export: &Path,
    ledger: &LedgerPlace,
) -> Result<Reproduction, ReproduceError> {
    let unreadable =
        |reason: String| ReproduceError::NotARun { folder: folder.to_path_buf(), reason };
    let bytes =
        std::fs::read(folder.join(RUN_JSON)).map_err(|e| unreadable(format!("{RUN_JSON}: {e}")))?;
    let record: RunRecord =
        serde_json::from_slice(&bytes).map_err(|e| unreadable(format!("{RUN_JSON}: {e}")))?;
    let export_sha = sha256_file(export)
        .map_err(|e| ReproduceError::Read { path: export.to_path_buf(), source: e })?;
    let given_export = Fingerprint { file: export.display().to_string(), sha256: export_sha };
    let given_layouts = setup.layouts_fingerprint();
    let given_hold_list = setup.hold_list_fingerprint();
    let given_confidential = setup.confidential_fingerprint();
    let checks = [
        ("export", Some(&given_export), Some(&record.input)),
        ("config", Some(&setup.config_file), Some(&record.config)),
        ("mapping", setup.mapping_file.as_ref(), record.mapping.as_ref()),
        ("layouts", Some(&given_layouts), Some(&record.layouts)),
        ("hold list", given_hold_list.as_ref(), record.hold_list.as_ref()),
        ("confidential-address file", given_confidential.as_ref(), record.confidential.as_ref()),
    ];
    let named =
        |f: Option<&Fingerprint>| f.map_or_else(|| "(none)".to_string(), |f| f.file.clone());
    for (what, given, recorded) in checks {
        if given.map(|f| &f.sha256) != recorded.map(|f| &f.sha256) {
            return Err(ReproduceError::NotTheRecordedFile {
                what,
                file: named(given),
                recorded_file: named(recorded),
                folder: folder.to_path_buf(),
            });
        }
    }
    let as_of = NaiveDate::parse_from_str(&record.as_of, "%Y-%m-%d")
        .map_err(|_| unreadable(format!("{RUN_JSON}: as_of {:?} is not a date", record.as_of)))?;
    let scratch =
        ScratchRun(std::env::temp_dir().join(format!("kindly-reproduce-{}", std::process::id())));
    let out = scratch.0.join("run");
    let options = RunOptions {
        export: export.to_path_buf(),
        out: out.clone(),
        as_of,
        jobs: None,
        progress: Box::new(super::Silent),
        overwrite: true,
        strict: false,
        shard: record
            .shard
            .as_ref()
            .and_then(|s| Shard::parse(&format!("{}/{}", s.index, s.count)).ok()),
        started: std::time::Instant::now(),
        ledger: ledger.clone(),
        trial: true,
        recorded_at: String::new(),
        // A trial: its date is the recorded run's, whatever day it is now.
        today: as_of,
        future_date: true,
    };
    let again = super::run(setup, &options)?.record;
    let mut differences = Vec::new();
    let mut compared = 0;
    compare(&record.files, &again.files, "", &mut compared, &mut differences);
    let letters = |dir: &Path| letter_checksums(&dir.join(LETTERS_DIR));
    let (before, after) = (letters(folder)?, letters(&out)?);
    compare(&before, &after, &format!("{LETTERS_DIR}/"), &mut compared, &mut differences);
    Ok(Reproduction { compared, differences })
}

/// Compares two maps of file name to SHA-256, noting each difference.
fn compare(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
    prefix: &str,
    compared: &mut usize,
    differences: &mut Vec<String>,
) {
    for (name, sha) in before {
        *compared += 1;
        match after.get(name) {
            Some(again) if again == sha => {}
            Some(_) => differences.push(format!("{prefix}{name} differs")),
            None => differences.push(format!("{prefix}{name} is not made again")),
        }
    }
    differences.extend(
        after.keys().filter(|n| !before.contains_key(*n)).map(|n| format!("{prefix}{n} is new")),
    );
}

fn letter_checksums(dir: &Path) -> Result<BTreeMap<String, String>, ReproduceError> {
    let read = |source| ReproduceError::Read { path: dir.to_path_buf(), source };
    let mut sums = BTreeMap::new();
    for entry in std::fs::read_dir(dir).map_err(read)? {
        let path = entry.map_err(read)?.path();
        let sha = sha256_file(&path)
            .map_err(|source| ReproduceError::Read { path: path.clone(), source })?;
        sums.insert(path.file_name().unwrap_or_default().to_string_lossy().into_owned(), sha);
    }
    Ok(sums)
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 16];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(crate::digest::hex(&hasher.finalize()));
        }
        hasher.update(&buffer[..n]);
    }
}

/// The scratch run, removed when done.
struct ScratchRun(PathBuf);

impl Drop for ScratchRun {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
