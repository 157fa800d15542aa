//! The `layouts/` folder that billing staff edit: the Typst page layout, the
//! wording of each letter, and the fonts. It is read once per process, and its
//! fingerprint goes into the run record so a past letter can be traced to the
//! exact wording it used.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::digest::hex;

/// The page layout's file name inside the layouts folder.
pub const LETTER: &str = "letter.typ";
/// Wording templates live in `wording/<language>/<stage>.typ.j2`, beside the
/// language's `labels.toml`.
pub const WORDING_DIR: &str = "wording";
pub const FONTS_DIR: &str = "fonts";
/// The language-assistance notice's layout, set after a letter or alone on
/// the insert sheet (see the `language_access` module).
pub const NOTICE_LAYOUT: &str = "language-notice.typ";
/// The notice's texts and numbers as the layout reads them, written by kindly.
pub const NOTICE_DATA: &str = "notice.json";
/// The table of the notice's published texts, by language.
pub const NOTICE_TEXTS: &str = "language-access.toml";

#[derive(Debug, Clone)]
pub struct Layouts {
    pub dir: PathBuf,
    /// The Typst source of the page layout.
    pub letter: String,
    /// Wording templates by name, e.g. `en/reminder.typ.j2`.
    pub wording: BTreeMap<String, String>,
    /// The layout's fixed words (`wording/<language>/labels.toml`) by language.
    pub labels: BTreeMap<String, String>,
    /// The notice's layout and its table of texts, where the folder has them.
    pub notice_layout: Option<String>,
    pub notice_texts: Option<String>,
    /// Font files (relative name and path), in file-name order. Only their
    /// fingerprint is read here: the renderer reads each file's faces once
    /// and a face's outlines when a letter first needs it, so fonts for
    /// scripts a run never prints cost it no memory.
    pub fonts: Vec<(String, PathBuf)>,
    /// SHA-256 over every file's relative path and contents.
    pub sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LayoutsError {
    #[error("cannot read the layouts folder {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the layouts folder {dir} has no {what}")]
    Missing { dir: PathBuf, what: String },
    #[error("{path} is not UTF-8 text")]
    NotText { path: PathBuf },
}

impl Layouts {
    pub fn load(dir: &Path) -> Result<Layouts, LayoutsError> {
        let mut files = Vec::new();
        collect(dir, dir, &mut files)?;
        files.sort();
        let mut hasher = Sha256::new();
        let mut letter = None;
        let mut wording = BTreeMap::new();
        let mut labels = BTreeMap::new();
        let mut fonts = Vec::new();
        let (mut notice_layout, mut notice_texts) = (None, None);
        for rel in files {
            let path = dir.join(&rel);
            let io = |source| LayoutsError::Io { path: path.clone(), source };
            let name = rel.to_string_lossy().replace('\\', "/");
            hasher.update(name.as_bytes());
            hasher.update([0]);
            if is_font(&name) {
                // Streamed into the hash, never held whole (the CJK font is
                // 5 MB): the renderer reads each font's faces itself.
                let mut file = std::fs::File::open(&path).map_err(io)?;
                let len = file.metadata().map_err(io)?.len();
                hasher.update(len.to_le_bytes());
                let mut buffer = [0u8; 64 * 1024];
                loop {
                    let n = std::io::Read::read(&mut file, &mut buffer).map_err(io)?;
                    if n == 0 {
                        break;
                    }
                    hasher.update(&buffer[..n]);
                }
                fonts.push((name, path));
                continue;
            }
            let bytes = std::fs::read(&path).map_err(io)?;
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(&bytes);
            let text = || {
                String::from_utf8(bytes.clone())
                    .map_err(|_| LayoutsError::NotText { path: path.clone() })
            };
            if name == LETTER {
                letter = Some(text()?);
            } else if name == NOTICE_LAYOUT {
                notice_layout = Some(text()?);
            } else if name == NOTICE_TEXTS {
                notice_texts = Some(text()?);
            } else if let Some(template) = name.strip_prefix(&format!("{WORDING_DIR}/")) {
                if template.ends_with(".j2") {
                    wording.insert(template.to_string(), text()?);
                } else if let Some(language) = template.strip_suffix("/labels.toml") {
                    labels.insert(language.to_string(), text()?);
                }
            }
        }
        let missing =
            |what: &str| LayoutsError::Missing { dir: dir.to_path_buf(), what: what.to_string() };
        let letter = letter.ok_or_else(|| missing(LETTER))?;
        if wording.is_empty() {
            return Err(missing("wording templates (wording/<language>/<stage>.typ.j2)"));
        }
        if fonts.is_empty() {
            return Err(missing("fonts (fonts/*.otf or *.ttf)"));
        }
        Ok(Layouts {
            dir: dir.to_path_buf(),
            letter,
            wording,
            labels,
            notice_layout,
            notice_texts,
            fonts,
            sha256: hex(&hasher.finalize()),
        })
    }
}

/// Whether a file of the layouts (its path inside the folder) is a font.
fn is_font(name: &str) -> bool {
    name.starts_with(&format!("{FONTS_DIR}/"))
        && [".otf", ".ttf", ".ttc", ".otc"].iter().any(|ext| name.to_lowercase().ends_with(ext))
}

impl Layouts {
    /// SHA-256 of each letter's wording, by template name
    /// (`en/reminder.typ.j2`): the template with every partial (`_*.typ.j2`)
    /// and the labels of its language, which is all the text a letter of
    /// that stage and language can be made of. Recorded per letter in the
    /// ledger, so an auditor can tell which wording a letter had.
    pub fn wording_sha256(&self) -> BTreeMap<String, String> {
        let letters = self
            .wording
            .keys()
            .filter(|n| !n.rsplit('/').next().is_some_and(|f| f.starts_with('_')));
        letters
            .map(|name| {
                let language = name.split('/').next().unwrap_or_default();
                let mut hasher = Sha256::new();
                let partials = self.wording.iter().filter(|(n, _)| {
                    n.strip_prefix(&format!("{language}/")).is_some_and(|f| f.starts_with('_'))
                });
                let labels = self.labels.get(language).map(|l| ("labels.toml", l));
                for (part, text) in [(name.as_str(), &self.wording[name])]
                    .into_iter()
                    .chain(partials.map(|(n, t)| (n.as_str(), t)))
                    .chain(labels)
                {
                    hasher.update(part.as_bytes());
                    hasher.update([0]);
                    hasher.update((text.len() as u64).to_le_bytes());
                    hasher.update(text.as_bytes());
                }
                (name.clone(), hex(&hasher.finalize()))
            })
            .collect()
    }
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LayoutsError> {
    let io = |source| LayoutsError::Io { path: dir.to_path_buf(), source };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        let name = entry.file_name();
        // Editor backups and hidden files are not part of the layouts.
        if name.to_string_lossy().starts_with('.') || name.to_string_lossy().ends_with('~') {
            continue;
        }
        if entry.file_type().map_err(io)?.is_dir() {
            collect(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_path_buf());
        }
    }
    Ok(())
}
