//! Writing a run folder: staged beside its destination under a lock, each
//! file's SHA-256 taken as it is written, renamed into place when whole.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{
    AUDIT_CSV, AuditRow, HOLDS_CSV, HoldRow, LETTERS_DIR, MANIFEST_CSV, MANIFEST_JSON, ManifestRow,
    OutputError, RUN_JSON, RunRecord, csv_error, header, to_json, write_file,
};
use crate::digest::hex;
use crate::lock::Lock;

/// A run folder being written. Dropped without [`Staging::finish`] (the run
/// failed), its hidden `.NAME.PID.incomplete` folder is removed; a process
/// killed outright leaves it, and the next run into the folder removes it.
/// Either way no folder that looks done is left.
pub struct Staging {
    staging: PathBuf,
    target: PathBuf,
    overwrite: bool,
    files: BTreeMap<String, String>,
    /// Held until the folder is in place (or the run gives up).
    _lock: Lock,
    finished: bool,
}

impl Staging {
    /// Starts writing the run folder `target`. The folder is locked first,
    /// so a second process writing to it is refused at once, naming the
    /// first; each process stages in a folder of its own
    /// (`.NAME.PID.incomplete`), and one left by a run that was stopped is
    /// removed.
    pub fn create(target: &Path, overwrite: bool) -> Result<Staging, OutputError> {
        let name =
            target.file_name().map_or_else(|| "run".into(), |n| n.to_string_lossy().into_owned());
        let parent =
            target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)
            .map_err(|source| OutputError::Io { path: parent.to_path_buf(), source })?;
        let holder =
            crate::lock::holder(&format!("is writing the run folder {}", target.display()));
        let lock = Lock::take(&parent.join(format!(".{name}.lock")), &holder, Duration::ZERO)
            .map_err(|e| OutputError::Locked { folder: target.to_path_buf(), source: e })?;
        if target.exists() && !overwrite {
            return Err(OutputError::Exists(target.to_path_buf()));
        }
        let prefix = format!(".{name}.");
        for entry in std::fs::read_dir(parent)
            .map_err(|source| OutputError::Io { path: parent.to_path_buf(), source })?
        {
            let Ok(entry) = entry else { continue };
            let file = entry.file_name().to_string_lossy().into_owned();
            if file.starts_with(&prefix) && file.ends_with(".incomplete") {
                let stale = entry.path();
                std::fs::remove_dir_all(&stale)
                    .map_err(|source| OutputError::Io { path: stale, source })?;
            }
        }
        let staging = parent.join(format!(".{name}.{}.incomplete", std::process::id()));
        let io = |source| OutputError::Io { path: staging.clone(), source };
        std::fs::create_dir_all(staging.join(LETTERS_DIR)).map_err(io)?;
        Ok(Staging {
            staging,
            target: target.to_path_buf(),
            overwrite,
            files: BTreeMap::new(),
            _lock: lock,
            finished: false,
        })
    }

    pub fn letters_dir(&self) -> PathBuf {
        self.staging.join(LETTERS_DIR)
    }

    /// Writes a top-level file of the run and remembers its checksum.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<(), OutputError> {
        let mut file = self.start(name)?;
        file.write_all(bytes)
            .map_err(|source| OutputError::Io { path: file.path.clone(), source })?;
        self.keep(name, file)
    }

    /// Starts a top-level file of the run, to be written piece by piece.
    pub fn start(&self, name: &str) -> Result<HashedFile, OutputError> {
        HashedFile::create(self.staging.join(name))
    }

    /// Finishes a file from [`Staging::start`] and remembers its checksum.
    pub fn keep(&mut self, name: &str, file: HashedFile) -> Result<(), OutputError> {
        self.files.insert(name.to_string(), file.finish()?);
        Ok(())
    }

    /// A scratch folder inside the staging folder, for work files that are
    /// removed before the run is finished.
    pub fn scratch(&self) -> Result<Scratch, OutputError> {
        let dir = self.staging.join(".work");
        std::fs::create_dir_all(&dir)
            .map_err(|source| OutputError::Io { path: dir.clone(), source })?;
        Ok(Scratch(dir))
    }

    /// The folder being written, for files a stage writes itself.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Remembers the checksum of a file written into the folder by other
    /// means (the combined print files).
    pub fn written(&mut self, name: &str, sha256: &str) {
        self.files.insert(name.to_string(), sha256.to_string());
    }

    pub fn files(&self) -> &BTreeMap<String, String> {
        &self.files
    }

    /// Writes `run.json` last and moves the folder into place.
    pub fn finish(mut self, record: &RunRecord) -> Result<PathBuf, OutputError> {
        let json = to_json(record);
        write_file(&self.staging.join(RUN_JSON), &json)?;
        let io = |source| OutputError::Io { path: self.target.clone(), source };
        if self.overwrite && self.target.exists() {
            std::fs::remove_dir_all(&self.target).map_err(io)?;
        }
        std::fs::rename(&self.staging, &self.target).map_err(io)?;
        self.finished = true;
        Ok(self.target.clone())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.finished {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// A folder of work files, removed when dropped.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A file being written whose SHA-256 is taken on the way.
pub struct HashedFile {
    path: PathBuf,
    writer: std::io::BufWriter<std::fs::File>,
    hasher: Sha256,
}

impl HashedFile {
    pub fn create(path: PathBuf) -> Result<HashedFile, OutputError> {
        let file = std::fs::File::create(&path)
            .map_err(|source| OutputError::Io { path: path.clone(), source })?;
        Ok(HashedFile { path, writer: std::io::BufWriter::new(file), hasher: Sha256::new() })
    }

    /// Flushes the file and returns its SHA-256.
    pub fn finish(mut self) -> Result<String, OutputError> {
        self.writer
            .flush()
            .map_err(|source| OutputError::Io { path: self.path.clone(), source })?;
        Ok(hex(&self.hasher.finalize()))
    }
}

impl Write for HashedFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.writer.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

/// The run's files with a row per letter or account, written row by row in
/// account order: manifest.csv, manifest.json, audit.csv and holds.csv.
pub struct Records {
    manifest_csv: csv::Writer<HashedFile>,
    manifest_json: HashedFile,
    letters: u64,
    audit: csv::Writer<HashedFile>,
    holds: csv::Writer<HashedFile>,
}

impl Records {
    pub fn create(staging: &Staging) -> Result<Records, OutputError> {
        fn csv_file<'de, T: Deserialize<'de>>(
            staging: &Staging,
            name: &str,
        ) -> Result<csv::Writer<HashedFile>, OutputError> {
            let mut writer =
                csv::WriterBuilder::new().has_headers(false).from_writer(staging.start(name)?);
            writer
                .write_record(header::<T>())
                .map_err(|e| csv_error(staging.staging.join(name), e))?;
            Ok(writer)
        }
        let mut manifest_json = staging.start(MANIFEST_JSON)?;
        manifest_json
            .write_all(b"[")
            .map_err(|source| OutputError::Io { path: manifest_json.path.clone(), source })?;
        Ok(Records {
            manifest_csv: csv_file::<ManifestRow>(staging, MANIFEST_CSV)?,
            manifest_json,
            letters: 0,
            audit: csv_file::<AuditRow>(staging, AUDIT_CSV)?,
            holds: csv_file::<HoldRow>(staging, HOLDS_CSV)?,
        })
    }

    pub fn manifest(&mut self, row: &ManifestRow) -> Result<(), OutputError> {
        serialize(&mut self.manifest_csv, row)?;
        let json = self.manifest_json_line(row);
        let file = &mut self.manifest_json;
        file.write_all(json.as_bytes())
            .map_err(|source| OutputError::Io { path: file.path.clone(), source })
    }

    /// manifest.json is one JSON array with a letter per line, so that it
    /// can be written as the letters come.
    fn manifest_json_line(&mut self, row: &ManifestRow) -> String {
        let separator = if self.letters == 0 { "\n" } else { ",\n" };
        self.letters += 1;
        let json = serde_json::to_string(row)
            .unwrap_or_else(|e| unreachable!("plain data serializes: {e}"));
        format!("{separator}{json}")
    }

    pub fn audit(&mut self, row: &AuditRow) -> Result<(), OutputError> {
        serialize(&mut self.audit, row)
    }

    pub fn hold(&mut self, row: &HoldRow) -> Result<(), OutputError> {
        serialize(&mut self.holds, row)
    }

    pub fn finish(self, staging: &mut Staging) -> Result<(), OutputError> {
        let mut json = self.manifest_json;
        json.write_all(b"\n]\n")
            .map_err(|source| OutputError::Io { path: json.path.clone(), source })?;
        staging.keep(MANIFEST_JSON, json)?;
        for (name, writer) in
            [(MANIFEST_CSV, self.manifest_csv), (AUDIT_CSV, self.audit), (HOLDS_CSV, self.holds)]
        {
            let path = staging.staging.join(name);
            let file = writer
                .into_inner()
                .map_err(|e| OutputError::Io { path, source: e.into_error() })?;
            staging.keep(name, file)?;
        }
        Ok(())
    }
}

fn serialize(writer: &mut csv::Writer<HashedFile>, row: impl Serialize) -> Result<(), OutputError> {
    writer.serialize(row).map_err(|e| csv_error(writer.get_ref().path.clone(), e))
}
