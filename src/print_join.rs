//! Combined print files made from a finished run's own letter PDFs, for a
//! hand-off to a vendor that takes one file of many letters (Click2Mail)
//! from a run that was made without them: no letter is laid out again.
//!
//! Each letter's PDF is read with lopdf, its objects renumbered after those
//! already in the file and copied as they are (content streams, fonts and
//! images keep their bytes), and its pages hung under the combined file's
//! page tree. Only what a page needs is copied: a letter's catalog, page
//! tree, structure tree and metadata stay behind. A combined file holds at
//! most `[print] max_pages` pages, a letter never split between two, and is
//! written before the next is started, so memory holds one file's letters
//! however long the run.
//!
//! Unlike the files a run makes with `[print] combined = true` (fonts once
//! per file), each letter keeps its own font subsets, so these files are
//! larger; see `kindly::print_join` in BENCHMARKS.md for the sizes.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use lopdf::{Dictionary, Document, Object, ObjectId};

use crate::print_files::{PRINT_DIR, Placed, Written};
use crate::run_folder::{HashedFile, ManifestRow, OutputError};

#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error("{file} cannot be read as a PDF to combine: {reason}")]
    Letter { file: String, reason: String },
    #[error("the combined print file {file} cannot be written: {reason}")]
    Write { file: String, reason: String },
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// Writes the letters of `rows` (in their order), read from the run folder
/// `run`, as combined files `print/letters-0001.pdf` and on in `dir`.
/// Returns the files written and where each piece is in them.
pub fn join_letters(
    run: &Path,
    rows: &[ManifestRow],
    max_pages: usize,
    dir: &Path,
) -> Result<(Vec<Written>, HashMap<String, Placed>), JoinError> {
    let mut written = Vec::new();
    let mut placed = HashMap::new();
    let mut batch: Vec<&ManifestRow> = Vec::new();
    let mut pages = 0;
    let flush = |batch: &mut Vec<&ManifestRow>,
                 written: &mut Vec<Written>,
                 placed: &mut HashMap<String, Placed>| {
        if batch.is_empty() {
            return Ok(());
        }
        let file = format!("{PRINT_DIR}/letters-{:04}.pdf", written.len() + 1);
        let (done, at) = write_combined(run, batch, dir, &file)?;
        placed.extend(at);
        written.push(done);
        batch.clear();
        Ok::<(), JoinError>(())
    };
    for row in rows {
        if pages > 0 && pages + row.pages > max_pages {
            flush(&mut batch, &mut written, &mut placed)?;
            pages = 0;
        }
        pages += row.pages;
        batch.push(row);
    }
    flush(&mut batch, &mut written, &mut placed)?;
    Ok((written, placed))
}

/// One combined file of `rows`' letters.
fn write_combined(
    run: &Path,
    rows: &[&ManifestRow],
    dir: &Path,
    file: &str,
) -> Result<(Written, HashMap<String, Placed>), JoinError> {
    let mut combined = Document::with_version("1.7");
    let tree = combined.new_object_id();
    let mut kids = Vec::new();
    let mut placed = HashMap::new();
    for row in rows {
        let bytes = std::fs::read(run.join(&row.file))
            .map_err(|e| JoinError::Letter { file: row.file.clone(), reason: e.to_string() })?;
        let pages = append(&mut combined, tree, &bytes)
            .map_err(|e| JoinError::Letter { file: row.file.clone(), reason: e.to_string() })?;
        let first = kids.len() + 1;
        kids.extend(pages.into_iter().map(Object::Reference));
        placed.insert(
            row.piece_id.clone(),
            Placed { file: file.to_string(), first_page: first, last_page: kids.len() },
        );
    }
    let count = kids.len();
    let mut pages = Dictionary::new();
    pages.set("Type", Object::Name(b"Pages".to_vec()));
    pages.set("Kids", Object::Array(kids));
    pages.set("Count", Object::Integer(count as i64));
    combined.objects.insert(tree, Object::Dictionary(pages));
    let mut catalog = Dictionary::new();
    catalog.set("Type", Object::Name(b"Catalog".to_vec()));
    catalog.set("Pages", Object::Reference(tree));
    let root = combined.add_object(catalog);
    combined.trailer.set("Root", Object::Reference(root));
    let path = dir.join(file);
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)
            .map_err(|source| OutputError::Io { path: folder.to_path_buf(), source })?;
    }
    let mut out = HashedFile::create(path)?;
    combined
        .save_to(&mut out)
        .map_err(|e| JoinError::Write { file: file.to_string(), reason: e.to_string() })?;
    let sha256 = out.finish()?;
    Ok((Written { file: file.to_string(), pages: count, sha256 }, placed))
}

/// Copies one letter's pages, and what they refer to, into `combined`
/// under the page tree `tree`; returns its pages' object ids, in order.
fn append(
    combined: &mut Document,
    tree: ObjectId,
    bytes: &[u8],
) -> Result<Vec<ObjectId>, lopdf::Error> {
    let mut letter = Document::load_mem(bytes)?;
    letter.renumber_objects_with(combined.max_id + 1);
    let pages: Vec<ObjectId> = letter.get_pages().into_values().collect();
    for &id in &pages {
        let inherited = inherited(&letter, id);
        let page = letter.get_object_mut(id)?.as_dict_mut()?;
        for (key, value) in inherited {
            if !page.has(&key) {
                page.set(key, value);
            }
        }
        page.set("Parent", Object::Reference(tree));
        // Its place in the letter's structure tree, which stays behind.
        page.remove(b"StructParents");
    }
    for id in reachable(&letter, &pages) {
        if let Some(object) = letter.objects.remove(&id) {
            combined.objects.insert(id, object);
        }
    }
    combined.max_id = combined.max_id.max(letter.max_id);
    Ok(pages)
}

/// The attributes a page takes from its page tree when it has none of its
/// own (PDF 32000-1, 7.7.3.4).
fn inherited(letter: &Document, page: ObjectId) -> Vec<(Vec<u8>, Object)> {
    let mut found = Vec::new();
    let mut parent =
        letter.get_dictionary(page).ok().and_then(|p| p.get(b"Parent").ok()?.as_reference().ok());
    while let Some(id) = parent {
        let Ok(node) = letter.get_dictionary(id) else { break };
        for key in [&b"Resources"[..], b"MediaBox", b"CropBox", b"Rotate"] {
            if let Ok(value) = node.get(key)
                && !found.iter().any(|(k, _): &(Vec<u8>, Object)| k == key)
            {
                found.push((key.to_vec(), value.clone()));
            }
        }
        parent = node.get(b"Parent").ok().and_then(|p| p.as_reference().ok());
    }
    found
}

/// Every object the pages refer to, directly or through others, but not
/// back up their page tree (`Parent`) or into the structure tree (`P` of
/// an annotation points at its page, which is already kept).
fn reachable(letter: &Document, pages: &[ObjectId]) -> BTreeSet<ObjectId> {
    let mut seen: BTreeSet<ObjectId> = pages.iter().copied().collect();
    let mut todo: Vec<ObjectId> = pages.to_vec();
    while let Some(id) = todo.pop() {
        let Some(object) = letter.objects.get(&id) else { continue };
        let mut refs = Vec::new();
        references(object, &mut refs);
        for found in refs {
            if seen.insert(found) {
                todo.push(found);
            }
        }
    }
    seen
}

fn references(object: &Object, out: &mut Vec<ObjectId>) {
    let dict = |d: &Dictionary, out: &mut Vec<ObjectId>| {
        for (key, value) in d.iter() {
            if key != b"Parent" && key != b"P" {
                references(value, out);
            }
        }
    };
    match object {
        Object::Reference(id) => out.push(*id),
        Object::Array(items) => items.iter().for_each(|item| references(item, out)),
        Object::Dictionary(d) => dict(d, out),
        Object::Stream(stream) => dict(&stream.dict, out),
        _ => {}
    }
}
