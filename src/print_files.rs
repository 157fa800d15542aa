//! Combined print files: the run's letters, in the manifest's order, as a
//! few large PDFs in `print/` for a vendor or print shop that takes one file
//! of many letters (Click2Mail's batch, a local printer).
//!
//! Each combined file is exported by Typst from the pieces' own laid-out
//! pages, so its pages are exactly the pieces' pages and its fonts are
//! embedded (and subset) once per file, not once per piece. Pages are
//! handed to one exporting thread a file at a time and dropped once the
//! file is written: memory holds at most two files' pages, however long
//! the run.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::{Scope, ScopedJoinHandle};

use chrono::NaiveDate;
use typst::layout::{Frame, FrameItem};

use crate::render::{Pages, RenderError, Renderer, TYPST_STACK};
use crate::run_folder::{OutputError, write_file};

pub const PRINT_DIR: &str = "print";

/// A letter's laid-out pages as the combined file needs them: without the
/// introspection tags, which hold on to every element of the letter's
/// document and which an untagged print file never reads.
pub fn pages_for_print(pages: &[typst_layout::Page]) -> Pages {
    fn untagged(frame: &mut Frame) {
        frame.retain(|item| match item {
            FrameItem::Tag(_) => false,
            FrameItem::Group(group) => {
                untagged(&mut group.frame);
                true
            }
            _ => true,
        });
    }
    pages
        .iter()
        .map(|page| {
            let mut page = page.clone();
            untagged(&mut page.frame);
            page
        })
        .collect()
}

/// Where a piece is in the combined files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// The file, relative to the run folder (`print/letters-0001.pdf`).
    pub file: String,
    pub first_page: usize,
    pub last_page: usize,
}

/// A combined file written: its name in the run folder, pages and SHA-256.
#[derive(Debug, Clone)]
pub struct Written {
    pub file: String,
    pub pages: usize,
    pub sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("the combined print file {file} could not be made: {source}")]
    Render { file: String, source: RenderError },
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("the thread writing combined print files stopped")]
    Stopped,
}

struct Batch {
    file: String,
    pages: Pages,
}

/// Collects pieces' pages into combined files and has them written.
pub struct PrintFiles<'scope> {
    /// File names start with this: `letters`, or a shard's own.
    stem: String,
    max_pages: usize,
    current: Batch,
    written: usize,
    send: Option<SyncSender<Batch>>,
    thread: Option<ScopedJoinHandle<'scope, Result<Vec<Written>, PrintError>>>,
}

impl<'scope> PrintFiles<'scope> {
    /// Starts the thread that writes combined files of at most `max_pages`
    /// pages into `dir` (the run folder's `print/`), dated `date`, named
    /// `STEM-0001.pdf` and on.
    pub fn start<'env>(
        scope: &'scope Scope<'scope, 'env>,
        renderer: &'env Renderer,
        (dir, stem): (PathBuf, String),
        max_pages: usize,
        date: NaiveDate,
    ) -> Result<PrintFiles<'scope>, PrintError> {
        std::fs::create_dir_all(&dir)
            .map_err(|source| OutputError::Io { path: dir.clone(), source })?;
        // No file waits in between: one is written while the next fills,
        // so at most two files' pages are held (each page about 90 KB of
        // laid-out frames, measured on the sample letters).
        let (send, receive) = sync_channel::<Batch>(0);
        let thread = std::thread::Builder::new()
            .name("kindly-print".into())
            .stack_size(TYPST_STACK)
            .spawn_scoped(scope, move || write_all(renderer, &dir, date, receive))
            .map_err(|source| OutputError::Io { path: PathBuf::from(PRINT_DIR), source })?;
        Ok(PrintFiles {
            current: Batch { file: file_name(&stem, 1), pages: Pages::new() },
            stem,
            max_pages: max_pages.max(1),
            written: 0,
            send: Some(send),
            thread: Some(thread),
        })
    }

    /// Adds the next piece of the manifest and says where it is. A piece
    /// that would take the file past its page limit starts the next file;
    /// a piece is never split between two.
    pub fn add(&mut self, pages: &Pages) -> Result<Placed, PrintError> {
        let held = self.current.pages.len();
        if held > 0 && held + pages.len() > self.max_pages {
            self.flush()?;
        }
        let first_page = self.current.pages.len() + 1;
        self.current.pages.extend(pages.iter().cloned());
        Ok(Placed {
            file: format!("{PRINT_DIR}/{}", self.current.file),
            first_page,
            last_page: self.current.pages.len(),
        })
    }

    fn flush(&mut self) -> Result<(), PrintError> {
        self.written += 1;
        let next = Batch { file: file_name(&self.stem, self.written + 1), pages: Pages::new() };
        let batch = std::mem::replace(&mut self.current, next);
        let send = self.send.as_ref().ok_or(PrintError::Stopped)?;
        // A send fails only if the writer stopped; its error is the one to report.
        if send.send(batch).is_err() {
            return Err(self.join().err().unwrap_or(PrintError::Stopped));
        }
        Ok(())
    }

    /// Writes the last file and waits for all of them.
    pub fn finish(mut self) -> Result<Vec<Written>, PrintError> {
        if !self.current.pages.is_empty() {
            self.flush()?;
        }
        self.join()
    }

    fn join(&mut self) -> Result<Vec<Written>, PrintError> {
        self.send = None;
        let thread = self.thread.take().ok_or(PrintError::Stopped)?;
        thread.join().map_err(|_| PrintError::Stopped)?
    }
}

/// `letters-0001.pdf`: four digits sort in order up to 9,999 files (2.5
/// million pages at the default limit).
fn file_name(stem: &str, n: usize) -> String {
    format!("{stem}-{n:04}.pdf")
}

fn write_all(
    renderer: &Renderer,
    dir: &std::path::Path,
    date: NaiveDate,
    receive: Receiver<Batch>,
) -> Result<Vec<Written>, PrintError> {
    let mut written = Vec::new();
    for batch in receive {
        let pages = batch.pages.len();
        let pdf = renderer
            .export_combined(batch.pages, &batch.file, date)
            .map_err(|source| PrintError::Render { file: batch.file.clone(), source })?;
        write_file(&dir.join(&batch.file), &pdf)?;
        written.push(Written {
            file: format!("{PRINT_DIR}/{}", batch.file),
            pages,
            sha256: crate::digest::sha256(&pdf),
        });
    }
    Ok(written)
}
