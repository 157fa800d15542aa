//! Typst to PDF, embedded.
//!
//! One [`Renderer`] per process holds the standard library, the fonts and the
//! parsed layout. Each letter is compiled in a small [`World`] that serves
//! three fixed virtual files: the layout (`/letter.typ`), the letter's facts
//! (`/data.json`, read by the layout as data) and its wording (`/body.typ`).
//! The file ids are the same for every letter: Typst interns file ids
//! globally and allows only 65,535 per process. Nothing is read from disk.

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook, FontInfo};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_kit::fonts::{FontPath, FontStore};
use typst_layout::PagedDocument;

use crate::compose::LetterFiles;
use crate::config::{NoticePlacement, Pdf, PdfStandard};
use crate::language_access::Notice;
use crate::layouts::{Layouts, NOTICE_DATA, NOTICE_LAYOUT};
use crate::preflight::Violation;

/// The version of Typst compiled in, for the run record (pinned in Cargo.toml).
pub const TYPST_VERSION: &str = "0.15.1";

/// The stack of every thread that lays out or exports with Typst: its
/// workers recurse deeply on real letters, and rayon's default 2 MiB stack
/// overflows.
pub const TYPST_STACK: usize = 32 * 1024 * 1024;

pub(crate) fn file_id(path: &str) -> FileId {
    let vpath =
        VirtualPath::new(path).unwrap_or_else(|_| unreachable!("fixed virtual path {path}"));
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

static MAIN: LazyLock<FileId> = LazyLock::new(|| file_id("/letter.typ"));
static DATA: LazyLock<FileId> = LazyLock::new(|| file_id("/data.json"));
static BODY: LazyLock<FileId> = LazyLock::new(|| file_id("/body.typ"));
static QR: LazyLock<FileId> = LazyLock::new(|| file_id("/qr.png"));
static NOTICE: LazyLock<FileId> = LazyLock::new(|| file_id(&format!("/{NOTICE_LAYOUT}")));
static NOTICE_JSON: LazyLock<FileId> = LazyLock::new(|| file_id(&format!("/{NOTICE_DATA}")));

/// A letter's laid-out pages, kept for the combined print files (cheap to
/// clone: the frames are shared).
pub type Pages = ecow::EcoVec<typst_layout::Page>;

/// A rendered letter.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub pdf: Vec<u8>,
    pub pages: usize,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum RenderError {
    /// The layout or wording could not be compiled or exported.
    #[error("{0}")]
    Failed(String),
    /// The letter was laid out but would not go through the mail as it should.
    #[error("{0}")]
    Preflight(Violation),
}

/// What every letter shares, built once per process.
pub struct Renderer {
    library: LazyHash<Library>,
    fonts: FontStore,
    main: Source,
    /// The language-assistance notice's layout and data, when it is on:
    /// the data laid out at a letter's end or, with `placement =
    /// "insert"`, alone on the insert sheet (then no letter includes it).
    notice: Option<(Source, Bytes)>,
    tagged: bool,
    standards: typst_pdf::PdfStandards,
}

impl Renderer {
    pub fn new(
        layouts: &Layouts,
        pdf: &Pdf,
        notice: Option<&Notice>,
    ) -> Result<Renderer, RenderError> {
        let mut fonts = FontStore::new();
        for (_, path) in &layouts.fonts {
            let cannot_read = |e: std::io::Error| {
                RenderError::Failed(format!("cannot read the font {}: {e}", path.display()))
            };
            let file = std::fs::File::open(path).map_err(cannot_read)?;
            // Mapped, not read: only the tables that say what a face is and
            // which characters it has are paged in, and given back when the
            // map is dropped. Read whole, the CJK font (5 MB), which no Latin
            // letter uses, raised a 10,000-account run's peak: median of seven
            // runs each, 67.2 MiB read against 66.0 mapped (7 December).
            // SAFETY: the map lives only for this loop and is only read. A
            // font file cut short while mapped would stop the process
            // (SIGBUS), the risk Typst's own font loading (fontdb) takes with
            // system fonts; nothing writes the layouts' fonts during a run.
            let bytes = unsafe { memmap2::Mmap::map(&file) }.map_err(cannot_read)?;
            // A collection's faces by their index in the file, as Typst
            // loads them; a face that cannot be read is left out.
            let faces = ttf_parser::fonts_in_collection(&bytes).unwrap_or(1);
            for index in 0..faces {
                if let Some(info) = FontInfo::new(&bytes, index) {
                    fonts.push((FontPath { path: path.clone(), index }, info));
                }
            }
        }
        if fonts.font(0).is_none() {
            return Err(RenderError::Failed(format!(
                "no usable fonts in {}/fonts",
                layouts.dir.display()
            )));
        }
        Ok(Renderer {
            library: LazyHash::new(Library::default()),
            fonts,
            main: Source::new(*MAIN, layouts.letter.clone()),
            notice: notice.zip(layouts.notice_layout.as_ref()).map(|(notice, layout)| {
                let insert = notice.placement == NoticePlacement::Insert;
                (Source::new(*NOTICE, layout.clone()), Bytes::new(notice.data(insert)))
            }),
            tagged: pdf.tagged,
            standards: match pdf.standard {
                PdfStandard::Plain => typst_pdf::PdfStandards::default(),
                PdfStandard::PdfA2b => {
                    typst_pdf::PdfStandards::new(&[typst_pdf::PdfStandard::A_2b]).map_err(|e| {
                        RenderError::Failed(format!("PDF/A-2b cannot be set up: {}", e.message()))
                    })?
                }
            },
        })
    }

    /// Writes a laid-out letter as PDF (check it with [`crate::preflight::check`]
    /// first). The PDF's timestamp is the letter date and its identifier
    /// derives from the piece id, so the same inputs give the same bytes.
    pub fn export(
        &self,
        document: &PagedDocument,
        piece: &str,
        date: NaiveDate,
    ) -> Result<Rendered, RenderError> {
        let pdf = self.pdf(document, piece, date, self.tagged)?;
        Ok(Rendered { pdf, pages: document.pages().len() })
    }

    fn pdf(
        &self,
        document: &PagedDocument,
        ident: &str,
        date: NaiveDate,
        tagged: bool,
    ) -> Result<Vec<u8>, RenderError> {
        write_pdf(document, ident, date, tagged, self.standards.clone())
    }

    /// Writes many letters' laid-out pages as one PDF, `name` its identifier:
    /// a print file for the vendor, so untagged, and the fonts embedded once.
    pub fn export_combined(
        &self,
        pages: Pages,
        name: &str,
        date: NaiveDate,
    ) -> Result<Vec<u8>, RenderError> {
        let info = typst::model::DocumentInfo { title: Some(name.into()), ..Default::default() };
        self.pdf(&PagedDocument::new(pages, info), name, date, false)
    }

    /// Lays a letter out and draws each page as a PNG image, `scale` pixels
    /// per point (2.0 is about 144 dots per inch).
    pub fn png_pages(
        &self,
        files: LetterFiles,
        date: NaiveDate,
        scale: f64,
    ) -> Result<Vec<Vec<u8>>, RenderError> {
        let document = self.layout(files, date)?;
        document.pages().iter().map(|page| page_png(page, scale)).collect()
    }

    /// Lays a letter out without checking or exporting it.
    pub fn layout(
        &self,
        mut files: LetterFiles,
        date: NaiveDate,
    ) -> Result<PagedDocument, RenderError> {
        let title = std::mem::take(&mut files.title);
        let mut document = compile(&self.world(files, date))?;
        document.info_mut().title = Some(title.into());
        Ok(document)
    }

    fn world(&self, files: LetterFiles, date: NaiveDate) -> LetterWorld<'_> {
        LetterWorld {
            shared: self,
            main: *MAIN,
            data: Bytes::new(files.data),
            body: Source::new(*BODY, files.body),
            qr: files.qr.map(Bytes::new),
            date,
        }
    }

    /// Whether some font of the layouts has a glyph for `c`.
    pub fn covers(&self, c: char) -> bool {
        let book = self.fonts.book();
        (0..).map_while(|index| book.info(index)).any(|info| info.coverage.contains(c as u32))
    }

    /// The language-assistance notice laid out alone on US Letter, as the
    /// sheet the vendor puts in every envelope (`placement = "insert"`).
    pub fn notice_insert(&self, date: NaiveDate) -> Result<Rendered, RenderError> {
        let Some((layout, _)) = &self.notice else {
            return Err(RenderError::Failed(format!("the layouts have no {NOTICE_LAYOUT}")));
        };
        let world = LetterWorld {
            shared: self,
            main: layout.id(),
            data: Bytes::new(Vec::new()),
            body: Source::new(*BODY, String::new()),
            qr: None,
            date,
        };
        let mut document = compile(&world)?;
        document.info_mut().title = Some("Language-assistance notice".into());
        let pdf = self.pdf(&document, "language-notice", date, self.tagged)?;
        Ok(Rendered { pdf, pages: document.pages().len() })
    }
}

/// Writes a laid-out document as PDF whose timestamp is `date` and whose
/// identifier derives from `ident`, so the same inputs give the same bytes.
pub(crate) fn write_pdf(
    document: &PagedDocument,
    ident: &str,
    date: NaiveDate,
    tagged: bool,
    standards: typst_pdf::PdfStandards,
) -> Result<Vec<u8>, RenderError> {
    let options = typst_pdf::PdfOptions {
        ident: Smart::Custom(ident.to_string()),
        timestamp: Some(typst_pdf::Timestamp::new_utc(typst_datetime(date))),
        tagged,
        standards,
        ..Default::default()
    };
    typst_pdf::pdf(document, &options).map_err(|errors| {
        RenderError::Failed(
            errors.iter().map(|e| e.message.to_string()).collect::<Vec<_>>().join("; "),
        )
    })
}

fn compile(world: &LetterWorld) -> Result<PagedDocument, RenderError> {
    typst::compile::<PagedDocument>(world)
        .output
        .map_err(|errors| RenderError::Failed(describe(world, &errors)))
}

pub(crate) fn typst_datetime(date: NaiveDate) -> Datetime {
    Datetime::from_ymd_hms(date.year(), date.month() as u8, date.day() as u8, 0, 0, 0)
        .unwrap_or_else(|| unreachable!("a chrono date is a valid calendar date"))
}

/// Turns Typst's diagnostics into one message that names the layout file and
/// line, so whoever edited the layout can find the mistake.
fn describe(world: &LetterWorld, errors: &[SourceDiagnostic]) -> String {
    errors
        .iter()
        .map(|d| {
            let place = d.span.id().and_then(|id| {
                let name = if id == *MAIN {
                    "layouts/letter.typ"
                } else if id == *NOTICE {
                    "layouts/language-notice.typ"
                } else if id == *BODY {
                    "the wording template's output"
                } else {
                    "data.json"
                };
                let source = world.source(id).ok()?;
                let line = source.lines().byte_to_line(world.range(d.span)?.start)? + 1;
                Some(format!("{name}, line {line}: "))
            });
            format!("{}{}", place.unwrap_or_default(), d.message)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

struct LetterWorld<'a> {
    shared: &'a Renderer,
    main: FileId,
    data: Bytes,
    body: Source,
    qr: Option<Bytes>,
    date: NaiveDate,
}

impl World for LetterWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.shared.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        self.shared.fonts.book()
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == *MAIN {
            Ok(self.shared.main.clone())
        } else if id == *BODY {
            Ok(self.body.clone())
        } else if let Some((layout, _)) = self.shared.notice.as_ref().filter(|_| id == *NOTICE) {
            Ok(layout.clone())
        } else {
            Err(not_found(id))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == *DATA {
            Ok(self.data.clone())
        } else if let Some((_, data)) = self.shared.notice.as_ref().filter(|_| id == *NOTICE_JSON) {
            Ok(data.clone())
        } else if id == *QR && self.qr.is_some() {
            self.qr.clone().ok_or_else(|| not_found(id))
        } else if id == *MAIN {
            Ok(Bytes::from_string(self.shared.main.clone()))
        } else if id == *BODY {
            Ok(Bytes::from_string(self.body.clone()))
        } else {
            Err(not_found(id))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.shared.fonts.font(index)
    }

    /// `datetime.today()` in a layout is the letter date, never the clock.
    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        Some(typst_datetime(self.date))
    }
}

/// Draws a laid-out page as a PNG image, `scale` pixels per point (2.0 is
/// about 144 dots per inch), on white paper: RGB without alpha, at zlib
/// level 3. tiny-skia's own `encode_png` (RGBA, compressed harder) spent
/// 58% of the drawing's instructions on compressing (callgrind: 311 of 531
/// million for the 9 pictures of a 150-account run). The 14 pictures of a
/// 1,000-account run, drawn on two cores: 73 ms and 1.40 MB with png's
/// fastest compression, 96 ms and 1.01 MB at level 3, 107 ms and 1.00 MB
/// at its default; tiny-skia's made 0.74 MB.
pub fn page_png(page: &typst_layout::Page, scale: f64) -> Result<Vec<u8>, RenderError> {
    let options = typst_render::RenderOptions { pixel_per_pt: scale.into(), ..Default::default() };
    let pixmap = typst_render::render(page, &options);
    // Premultiplied RGBA over white: each channel plus the white that shows
    // through. An opaque page (the usual white one) keeps its pixels as they are.
    let rgb: Vec<u8> = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]].map(|c| c.saturating_add(255 - p[3])))
        .collect();
    let size = (pixmap.width(), pixmap.height());
    let rgb8 = (png::ColorType::Rgb, png::BitDepth::Eight);
    crate::png_file::encode(&rgb, size, rgb8, png::DeflateCompression::Level(3))
        .map_err(|e| RenderError::Failed(format!("cannot encode the page as PNG: {e}")))
}

/// The layout may read only the letter's own files; anything else (a stray
/// `image("/etc/passwd")`) is refused.
fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.get().vpath().get_with_slash().into())
}

#[cfg(test)]
mod tests {
    /// A layout may leave a page unfilled (`set page(fill: none)`): its
    /// picture is white paper, not the black of transparent pixels with
    /// their alpha dropped.
    #[test]
    fn a_page_without_fill_is_drawn_on_white() {
        use typst::foundations::{Content, Smart};
        use typst::layout::{Abs, Frame, Sides, Size};
        for fill in [Smart::Custom(None), Smart::Auto] {
            let page = typst_layout::Page {
                frame: Frame::soft(Size::new(Abs::pt(20.0), Abs::pt(10.0))),
                bleed: Sides::splat(Abs::zero()),
                fill: fill.clone(),
                numbering: None,
                supplement: Content::empty(),
                number: 1,
            };
            let png = super::page_png(&page, 1.0).unwrap();
            let mut reader = png::Decoder::new(std::io::Cursor::new(png)).read_info().unwrap();
            let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
            let frame = reader.next_frame(&mut pixels).unwrap();
            assert_eq!(
                (frame.width, frame.height, frame.color_type),
                (20, 10, png::ColorType::Rgb)
            );
            assert!(pixels[..frame.buffer_size()].iter().all(|&c| c == 255), "{fill:?}");
        }
    }

    #[test]
    fn the_recorded_typst_version_is_the_pinned_one() {
        let manifest =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
        assert!(
            manifest.contains(&format!("typst = \"={}\"", super::TYPST_VERSION)),
            "update TYPST_VERSION"
        );
    }
}
