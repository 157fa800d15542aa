//! Where run folders are, as the ledger names them: relative to the ledger's
//! own folder, so that a practice folder can be moved or copied whole.

use super::Ledger;
use std::path::{Path, PathBuf};

impl Ledger {
    /// The ledger's own folder, absolute: it names run folders from here.
    pub(super) fn home(&self) -> PathBuf {
        absolute(self.path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")))
    }

    /// How the ledger names a run folder: its path from the ledger's own
    /// folder (`2026-11-30`, `../elsewhere/2026-12-07`), so the same folder
    /// is one run however a command spelled it, and a practice folder can be
    /// moved or copied whole.
    pub(super) fn place(&self, folder: &Path) -> String {
        relative(&self.home(), &absolute(folder))
    }

    /// A run folder the ledger names, as a path from where kindly runs.
    pub fn folder_path(&self, place: &str) -> PathBuf {
        lexically_normal(&self.path.parent().unwrap_or(Path::new("")).join(place))
    }

    pub(super) fn shown(&self, place: String) -> String {
        self.folder_path(&place).display().to_string()
    }
}

/// `to` as a path from `from` (both absolute), `/` between its parts.
pub(super) fn relative(from: &Path, to: &Path) -> String {
    let path = pathdiff::diff_paths(to, from).unwrap_or_else(|| to.to_path_buf());
    let parts: Vec<String> =
        path.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    if parts.is_empty() { ".".to_string() } else { parts.join("/") }
}

/// `a/b/../c` as `a/c`, without asking the file system.
pub(super) fn lexically_normal(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() { PathBuf::from(".") } else { out }
}

/// A path made absolute, with links resolved as far as it exists (a run
/// folder about to be made does not yet).
pub(super) fn absolute(path: &Path) -> PathBuf {
    if let Ok(real) = path.canonicalize() {
        return real;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) if !parent.as_os_str().is_empty() => absolute(parent).join(name),
        _ => std::env::current_dir().unwrap_or_default().join(path),
    }
}
