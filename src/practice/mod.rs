//! Where a practice keeps what kindly remembers: its ledger and its run
//! folders. Both are found from the practice's config file, never from the
//! folder kindly is started in or from where a run is written, so that the
//! office lead who runs `kindly run ../practice/export.csv --config
//! ../practice/kindly.toml` from another folder, or with `--out` elsewhere,
//! decides with the same ledger as always. Every command that uses the
//! ledger asks [`ledger`] where it is.

pub mod init;

use std::path::{Path, PathBuf};

use crate::config::Config;

/// The folder beside the config that holds the ledger and the run folders
/// unless the config says otherwise.
pub const RUNS_DIR: &str = "runs";

/// The ledger's file name in [`RUNS_DIR`].
pub const LEDGER_FILE: &str = "kindly-ledger.sqlite";

/// Who named the ledger a command uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerSource {
    /// `--ledger FILE` on the command line.
    Flag,
    /// `[ledger] path` in this config file.
    Config(PathBuf),
    /// Nobody: `runs/kindly-ledger.sqlite` beside this config file.
    Default(PathBuf),
}

/// The ledger a command uses, and who named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerPlace {
    pub path: PathBuf,
    pub source: LedgerSource,
}

#[derive(Debug, thiserror::Error)]
pub enum PracticeError {
    #[error(
        "there is no ledger at {} ({}). If this practice has run kindly before, its ledger was moved or the \
         path is mistyped: find the file and correct the path, because a new ledger remembers no letter and \
         would mail every patient as if never written to. To start this practice's first ledger there, pass \
         --new-ledger (or make the practice with `kindly init`)",
        place.path.display(), place.source
    )]
    Missing { place: LedgerPlace },
    #[error(
        "which practice? There is no kindly.toml in this folder; pass --config FILE (the practice's \
         kindly.toml, whose ledger is used) or --ledger FILE"
    )]
    NoPractice,
}

impl std::fmt::Display for LedgerSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LedgerSource::Flag => f.write_str("given with --ledger"),
            LedgerSource::Config(config) => {
                write!(f, "named by [ledger] path in {}", config.display())
            }
            LedgerSource::Default(config) => {
                write!(f, "{RUNS_DIR}/{LEDGER_FILE} beside the config {}", config.display())
            }
        }
    }
}

/// The ledger: `--ledger FILE`, else the config's `[ledger] path` (which
/// [`Config::load`] has made relative to the config file), else
/// `runs/kindly-ledger.sqlite` in the config file's folder. `config` is the
/// config file and what it says, if the command has one.
pub fn ledger(
    flag: Option<&Path>,
    config: Option<(&Path, &Config)>,
) -> Result<LedgerPlace, PracticeError> {
    if let Some(path) = flag {
        return Ok(LedgerPlace { path: path.to_path_buf(), source: LedgerSource::Flag });
    }
    let (file, config) = config.ok_or(PracticeError::NoPractice)?;
    Ok(match &config.ledger.path {
        Some(path) => {
            LedgerPlace { path: path.clone(), source: LedgerSource::Config(file.to_path_buf()) }
        }
        None => LedgerPlace {
            path: runs_dir(file).join(LEDGER_FILE),
            source: LedgerSource::Default(file.to_path_buf()),
        },
    })
}

/// The practice's folder of run folders: `runs/` beside its config file.
/// A run's folder goes there unless `--out` says otherwise.
pub fn runs_dir(config_file: &Path) -> PathBuf {
    config_file.parent().unwrap_or(Path::new("")).join(RUNS_DIR)
}

impl LedgerPlace {
    /// Whether a command that writes may use this ledger: one that exists,
    /// or a new one where nobody named a place (the practice's first run
    /// from a config without `[ledger] path`), or where `new_ledger` asks
    /// for one. A ledger someone named that is not there is a ledger lost or
    /// a path mistyped, and a new one would mail everyone again. Returns
    /// whether the ledger is new.
    pub fn check_for_writing(&self, new_ledger: bool) -> Result<bool, PracticeError> {
        if self.path.exists() {
            return Ok(false);
        }
        match (&self.source, new_ledger) {
            (LedgerSource::Default(_), _) | (_, true) => Ok(true),
            _ => Err(PracticeError::Missing { place: self.clone() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A config from the `kindly init` template with this `[ledger] path`.
    fn config(ledger: Option<&str>) -> Config {
        let template = init::config_text(None, None);
        let text = match ledger {
            Some(path) => template
                .replace("path = \"runs/kindly-ledger.sqlite\"", &format!("path = {path:?}")),
            None => template.replace("path = \"runs/kindly-ledger.sqlite\"", ""),
        };
        let dir = std::env::temp_dir().join(format!(
            "kindly-practice-{}-{}",
            std::process::id(),
            ledger.is_some()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("kindly.toml");
        std::fs::write(&file, text).unwrap();
        Config::load(&file).unwrap().0
    }

    #[test]
    fn the_ledger_is_the_flag_else_the_configs_else_beside_the_config_never_the_current_folder() {
        let file = Path::new("/practice/kindly.toml");
        let plain = config(None);
        let place = ledger(None, Some((file, &plain))).unwrap();
        assert_eq!(place.path, Path::new("/practice/runs/kindly-ledger.sqlite"));
        assert_eq!(place.source, LedgerSource::Default(file.to_path_buf()));
        let named = config(Some("books/ledger.sqlite"));
        let place = ledger(None, Some((file, &named))).unwrap();
        assert!(
            place.path.ends_with("books/ledger.sqlite") && place.path.is_absolute(),
            "{place:?}"
        );
        let flag = ledger(Some(Path::new("x.sqlite")), Some((file, &named))).unwrap();
        assert_eq!((flag.path.as_path(), flag.source), (Path::new("x.sqlite"), LedgerSource::Flag));
        assert!(matches!(ledger(None, None), Err(PracticeError::NoPractice)));
    }

    #[test]
    fn a_named_ledger_that_is_not_there_is_refused_unless_a_new_one_is_asked_for() {
        let missing =
            |source| LedgerPlace { path: PathBuf::from("/no/such/ledger.sqlite"), source };
        let named = missing(LedgerSource::Config(PathBuf::from("kindly.toml")));
        let error = named.check_for_writing(false).unwrap_err().to_string();
        assert!(
            error.contains("/no/such/ledger.sqlite") && error.contains("--new-ledger"),
            "{error}"
        );
        assert!(missing(LedgerSource::Flag).check_for_writing(false).is_err());
        assert!(named.check_for_writing(true).unwrap(), "--new-ledger starts one");
        assert!(
            missing(LedgerSource::Default(PathBuf::from("kindly.toml")))
                .check_for_writing(false)
                .unwrap()
        );
    }
}
