//! `kindly init`: a practice folder that cannot start wrong. It holds a
//! config with every setting explained (letters by letters sent, the
//! ledger's path set, the layouts beside it, approval required), a copy of
//! the layouts to edit, and `runs/` for the ledger and the run folders. The
//! config's practice details read "EDIT ME" until someone fills them in, and
//! a run refuses to print them.

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use super::{LEDGER_FILE, RUNS_DIR};

/// The layouts kindly ships, inside the program, so that `kindly init`
/// works wherever kindly is installed.
static LAYOUTS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/layouts");

/// The config a new practice starts from.
pub const CONFIG_TEMPLATE: &str = include_str!("kindly.toml");

/// The line after which the template holds the export's mapping.
const MAPPING_STARTS: &str = "# ---- How kindly reads this practice's export ----";

/// The files of a new practice folder.
#[derive(Debug)]
pub struct NewPractice {
    pub config: PathBuf,
    pub layouts: PathBuf,
    /// Where its ledger goes (the caller makes it).
    pub ledger: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error(
        "{0} already exists and is not empty; give a new folder for the practice (nothing was written)"
    )]
    NotEmpty(PathBuf),
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

/// Makes the practice folder `dir`: its config (with `name` as the
/// practice's name, if given, and `mapping` as its `[input]` sections, if
/// given, in place of the template's), a copy of the layouts and `runs/`.
pub fn make_folder(
    dir: &Path,
    name: Option<&str>,
    mapping: Option<&str>,
) -> Result<NewPractice, InitError> {
    if dir.exists() && std::fs::read_dir(dir).map_or(true, |mut entries| entries.next().is_some()) {
        return Err(InitError::NotEmpty(dir.to_path_buf()));
    }
    let write = |path: &Path, bytes: &[u8]| -> Result<(), InitError> {
        let fail = |source| InitError::Write { path: path.to_path_buf(), source };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(fail)?;
        }
        std::fs::write(path, bytes).map_err(fail)
    };
    let layouts = dir.join("layouts");
    for file in files(&LAYOUTS) {
        write(&layouts.join(file.path()), file.contents())?;
    }
    let config = dir.join("kindly.toml");
    write(&config, config_text(name, mapping).as_bytes())?;
    let runs = dir.join(RUNS_DIR);
    std::fs::create_dir_all(&runs)
        .map_err(|source| InitError::Write { path: runs.clone(), source })?;
    Ok(NewPractice { config, layouts, ledger: runs.join(LEDGER_FILE) })
}

fn files<'a>(dir: &'a Dir<'a>) -> Vec<&'a include_dir::File<'a>> {
    let mut all: Vec<_> = dir.files().collect();
    for sub in dir.dirs() {
        all.extend(files(sub));
    }
    all
}

/// The template with the practice's name and the export's mapping.
pub fn config_text(name: Option<&str>, mapping: Option<&str>) -> String {
    let mut text = CONFIG_TEMPLATE.to_string();
    if let Some(name) = name {
        let placeholder = "name = \"EDIT ME: Practice Name\"";
        text = text.replacen(placeholder, &format!("name = {}", toml_string(name)), 1);
    }
    if let Some(mapping) = mapping
        && let Some(at) = text.find(MAPPING_STARTS)
    {
        text.truncate(at + MAPPING_STARTS.len());
        text += "\n# What `kindly mapping suggest` proposed for this practice's export: check\n";
        text += "# every column it chose, and the warnings it wrote as comments.\n\n";
        text += mapping;
    }
    text
}

/// A string as TOML writes it, quotes and escapes included.
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Escalation};

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("kindly-init-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_new_practice_goes_by_letters_sent_with_its_ledger_and_layouts_beside_its_config() {
        let dir = scratch("new");
        let made = make_folder(&dir, Some("Hillside \"Family\" Care"), None).unwrap();
        let (config, _) = Config::load(&made.config).unwrap();
        assert_eq!(config.policy.escalation, Escalation::ByLettersSent);
        assert_eq!(config.ledger.path.as_deref(), Some(made.ledger.as_path()));
        assert_eq!(config.layouts, dir.join("layouts"));
        assert!(config.mailing.require_approval);
        assert_eq!(config.practice.name, "Hillside \"Family\" Care");
        assert!(
            dir.join("layouts/letter.typ").is_file()
                && dir.join("layouts/wording/es/reminder.typ.j2").is_file()
        );
        assert!(dir.join("runs").is_dir());
        let unfilled = config.unfilled();
        assert!(
            unfilled.contains(&"[practice] phone") && !unfilled.contains(&"[practice] name"),
            "{unfilled:?}"
        );
        assert!(
            matches!(make_folder(&dir, None, None), Err(InitError::NotEmpty(_))),
            "never over a practice"
        );
    }

    #[test]
    fn the_mapping_given_replaces_the_templates() {
        let text = config_text(
            None,
            Some("[input]\ndelimiter = \"auto\"\n\n[input.columns]\naccount = \"Acct\"\n"),
        );
        assert!(text.contains("account = \"Acct\"") && !text.contains("account = \"Account\""));
        assert!(text.contains("[lint]"), "everything before the mapping stays");
    }
}
