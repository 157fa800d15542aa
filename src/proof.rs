//! `proof.pdf`: the proof set someone at the practice checks and signs
//! before a run goes to the vendor, as print shops send one. A cover page
//! with the run's counts and a sign-off box, then one letter of each stage,
//! language and print size in the run and the run's first, middle and last
//! letter, each page exactly the letter's own (drawn from its PDF) with
//! PROOF in the left margin, and last the language-assistance insert, if
//! the run has one. The letters the vendor gets are never marked.
//!
//! The proof's layout (`proof.typ`) and its two fonts are built into kindly,
//! so a merged run or `kindly proof` makes the same proof without the
//! practice's layouts folder. Its values reach Typst only as data.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::LazyLock;

use chrono::NaiveDate;
use serde::Serialize;
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{FileId, Source};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

use crate::language_access::NOTICE_INSERT;
use crate::policy::Stage;
use crate::render::{RenderError, file_id, typst_datetime, write_pdf};
use crate::run_folder::{
    Fingerprint, Kind, MANIFEST_CSV, ManifestRow, OutputError, RunRecord, Variant,
};

/// The proof's file name in the run folder.
pub const PROOF_PDF: &str = "proof.pdf";

const LAYOUT: &str = include_str!("proof.typ");
const FONTS: [&[u8]; 2] = [
    include_bytes!("../layouts/fonts/Inter-Regular.otf"),
    include_bytes!("../layouts/fonts/Inter-Bold.otf"),
];

static MAIN: LazyLock<FileId> = LazyLock::new(|| file_id("/proof.typ"));
static DATA: LazyLock<FileId> = LazyLock::new(|| file_id("/proof.json"));

#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    #[error("proof.pdf cannot be made: {0}")]
    Render(#[from] RenderError),
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// Chooses the proof's letters from the run's letters, offered one by one in
/// piece order: the first of each kind, and the first, middle and last
/// letter. It also counts the letters by stage and language for the cover.
pub struct Picker {
    total: u64,
    seen: u64,
    kinds: BTreeSet<Kind>,
    letters: BTreeMap<(Stage, String), u64>,
}

impl Picker {
    /// A picker for a run of `total` letters.
    pub fn new(total: u64) -> Picker {
        Picker { total, seen: 0, kinds: BTreeSet::new(), letters: BTreeMap::new() }
    }

    /// The next letter, of `kind`: why it is in the proof, or nothing if it
    /// is not.
    pub fn offer(&mut self, kind: &Kind) -> Vec<String> {
        let (at, total) = (self.seen, self.total);
        self.seen += 1;
        *self.letters.entry((kind.stage, kind.language.clone())).or_default() += 1;
        let mut why = Vec::new();
        if at == 0 {
            why.push("the run's first letter".to_string());
        }
        if total > 2 && at == total / 2 {
            why.push(format!("the run's middle letter ({} of {total})", at + 1));
        }
        if at > 0 && at + 1 == total {
            why.push(format!("the run's last letter ({total} of {total})"));
        }
        if self.kinds.insert(kind.clone()) {
            why.push(format!(
                "the first {} letter in {}, {}{}",
                kind.stage,
                kind.language,
                variant_name(kind.print),
                kind.wording_suffix()
            ));
        }
        why
    }
}

fn variant_name(variant: Variant) -> &'static str {
    match variant {
        Variant::Standard => "standard print",
        Variant::LargePrint => "large print",
    }
}

/// What the cover says besides the letters: the same for a run and for
/// `kindly proof` of the same export, config and date.
pub struct Cover {
    pub as_of: String,
    pub accounts: u64,
    pub accounts_in_letters: u64,
    /// Accounts on hold by reason code.
    pub holds: BTreeMap<String, u64>,
    pub rejected: u64,
    /// What made the letters: (what, SHA-256), export first.
    pub identity: Vec<(String, String)>,
}

impl Cover {
    /// The cover of a run folder's proof, from its record.
    pub fn of_record(record: &RunRecord) -> Cover {
        let c = &record.counts;
        let made_by = [&record.input, &record.config, &record.layouts];
        Cover {
            as_of: record.as_of.clone(),
            accounts: c.accounts,
            accounts_in_letters: c.accounts_in_letters(),
            holds: c.by.holds_by_reason.clone(),
            rejected: c.rows.rejected,
            identity: Cover::identity(
                made_by,
                [record.mapping.as_ref(), record.hold_list.as_ref(), record.confidential.as_ref()],
            ),
        }
    }

    /// What made the letters, as the cover lists it: the export, config,
    /// layouts, and the mapping, hold list and confidential-address file if
    /// there were, each with its SHA-256.
    pub fn identity(
        [export, config, layouts]: [&Fingerprint; 3],
        [mapping, hold_list, confidential]: [Option<&Fingerprint>; 3],
    ) -> Vec<(String, String)> {
        let named =
            [("Export", Some(export)), ("Config", Some(config)), ("Layouts", Some(layouts))];
        let optional = [
            ("Mapping", mapping),
            ("Hold list", hold_list),
            ("Confidential addresses", confidential),
        ];
        named
            .into_iter()
            .chain(optional)
            .filter_map(|(what, file)| {
                Some((format!("{what} {}", file?.file), file?.sha256.clone()))
            })
            .collect()
    }
}

/// One letter of the proof: its manifest row, why it is there, its PDF.
pub struct Proofed {
    pub row: ManifestRow,
    pub reasons: Vec<String>,
    pub pdf: Vec<u8>,
}

/// The proof of a finished run folder (its letters written, its record not
/// yet): the manifest read a row at a time, and only the chosen letters'
/// PDFs read.
pub fn of_folder(folder: &Path, record: &RunRecord) -> Result<Vec<u8>, ProofError> {
    let read = |path: std::path::PathBuf| {
        std::fs::read(&path).map_err(|source| OutputError::Io { path, source })
    };
    let insert = if record.files.contains_key(NOTICE_INSERT) {
        Some(read(folder.join(NOTICE_INSERT))?)
    } else {
        None
    };
    let mut picker = Picker::new(record.counts.letters);
    let mut chosen = Vec::new();
    crate::run_folder::each_row(folder, MANIFEST_CSV, |row: ManifestRow| {
        let reasons = picker.offer(&row.kind());
        if !reasons.is_empty() {
            chosen.push((row, reasons));
        }
    })?;
    let mut pieces = Vec::with_capacity(chosen.len());
    for (row, reasons) in chosen {
        let pdf = read(folder.join(&row.file))?;
        pieces.push(Proofed { row, reasons, pdf });
    }
    make(&Cover::of_record(record), &picker, pieces, insert)
}

#[derive(Serialize)]
struct Data<'a> {
    title: String,
    source: String,
    letters: Vec<LetterCount>,
    letters_total: u64,
    accounts: u64,
    accounts_in_letters: u64,
    holds: Vec<HoldCount<'a>>,
    rejected: u64,
    pieces: Vec<PieceData<'a>>,
    identity: Vec<IdentityLine<'a>>,
    approve: &'static str,
    /// The proof's page of the language-assistance insert, after the
    /// letters, when the run has one.
    insert_page: Option<usize>,
}

#[derive(Serialize)]
struct LetterCount {
    stage: String,
    language: String,
    count: u64,
}

#[derive(Serialize)]
struct HoldCount<'a> {
    reason: &'a str,
    count: u64,
}

#[derive(Serialize)]
struct PieceData<'a> {
    piece: &'a str,
    recipient: &'a str,
    stage: String,
    language: &'a str,
    variant: &'static str,
    pages: usize,
    first_page: usize,
    reasons: &'a [String],
}

#[derive(Serialize)]
struct IdentityLine<'a> {
    label: &'a str,
    value: &'a str,
}

/// Lays the proof out: the cover from `cover` and the picker's counts, then
/// the pieces' pages, marked, then the language-assistance `insert` that
/// goes in every envelope (`placement = "insert"`), if there is one. The
/// cover's own length is known only once it is laid out, so the proof's
/// page numbers of the letters are counted from a cover of one page and
/// laid out again if it took more.
pub fn make(
    cover: &Cover,
    picker: &Picker,
    pieces: Vec<Proofed>,
    insert: Option<Vec<u8>>,
) -> Result<Vec<u8>, ProofError> {
    let as_of = NaiveDate::parse_from_str(&cover.as_of, "%Y-%m-%d").unwrap_or_default();
    let has_insert = insert.is_some();
    // The insert is the file after the last letter's (it is one page).
    let letters: Vec<Bytes> =
        pieces.iter().map(|p| Bytes::new(p.pdf.clone())).chain(insert.map(Bytes::new)).collect();
    let letter_pages: usize =
        pieces.iter().map(|p| p.row.pages).sum::<usize>() + usize::from(has_insert);
    let mut cover_pages = 1;
    loop {
        let data = data(cover, picker, &pieces, cover_pages, has_insert);
        let world = ProofWorld::new(crate::run_folder::to_json(&data), letters.clone(), as_of);
        let document = typst::compile::<PagedDocument>(&world).output.map_err(|errors| {
            RenderError::Failed(
                errors.iter().map(|e| e.message.to_string()).collect::<Vec<_>>().join("; "),
            )
        })?;
        let laid_cover = document.pages().len().saturating_sub(letter_pages).max(1);
        if laid_cover == cover_pages {
            let ident = format!("proof-{}", cover.as_of);
            return Ok(write_pdf(
                &document,
                &ident,
                as_of,
                false,
                typst_pdf::PdfStandards::default(),
            )?);
        }
        cover_pages = laid_cover;
    }
}

fn data<'a>(
    cover: &'a Cover,
    picker: &Picker,
    pieces: &'a [Proofed],
    cover_pages: usize,
    insert: bool,
) -> Data<'a> {
    let mut page = cover_pages + 1;
    let pieces = pieces
        .iter()
        .map(|p| {
            let first_page = page;
            page += p.row.pages;
            PieceData {
                piece: &p.row.piece_id,
                recipient: &p.row.recipient_name,
                stage: p.row.stage.to_string(),
                language: &p.row.language,
                variant: variant_name(p.row.variant),
                pages: p.row.pages,
                first_page,
                reasons: &p.reasons,
            }
        })
        .collect();
    Data {
        title: format!("Letters as of {}: proof", cover.as_of),
        source: "The letters below are the run's own, exactly as the vendor will print them. Only this proof is marked; \
                 the letters in letters/ and print/ are not. Check the wording, the amounts and the addresses, then sign."
            .to_string(),
        letters: picker
            .letters
            .iter()
            .map(|((stage, language), n)| LetterCount {
                stage: stage.to_string(),
                language: language.clone(),
                count: *n,
            })
            .collect(),
        letters_total: picker.seen,
        accounts: cover.accounts,
        accounts_in_letters: cover.accounts_in_letters,
        holds: cover.holds.iter().map(|(reason, n)| HoldCount { reason, count: *n }).collect(),
        rejected: cover.rejected,
        pieces,
        identity: cover.identity.iter().map(|(label, value)| IdentityLine { label, value }).collect(),
        approve: "kindly approve RUN_FOLDER --by \"Your Name\"",
        insert_page: insert.then_some(page),
    }
}

/// The proof's own small world: its layout, its data, the letters' PDFs and
/// the two built-in fonts. Nothing is read from disk.
struct ProofWorld {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    main: Source,
    data: Bytes,
    letters: Vec<Bytes>,
    today: Datetime,
}

impl ProofWorld {
    fn new(data: Vec<u8>, letters: Vec<Bytes>, as_of: NaiveDate) -> ProofWorld {
        let fonts: Vec<Font> =
            FONTS.iter().flat_map(|bytes| Font::iter(Bytes::new(*bytes))).collect();
        ProofWorld {
            library: LazyHash::new(Library::default()),
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
            main: Source::new(*MAIN, LAYOUT.to_string()),
            data: Bytes::new(data),
            letters,
            today: typst_datetime(as_of),
        }
    }

    /// The letter a file id names: `/letter-3.pdf` is the third piece's.
    fn letter(&self, id: FileId) -> Option<Bytes> {
        let path = id.get().vpath().get_with_slash().to_string();
        let n: usize = path.strip_prefix("/letter-")?.strip_suffix(".pdf")?.parse().ok()?;
        self.letters.get(n.checked_sub(1)?).cloned()
    }
}

impl World for ProofWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.book
    }

    fn main(&self) -> FileId {
        *MAIN
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == *MAIN { Ok(self.main.clone()) } else { Err(not_found(id)) }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == *DATA {
            Ok(self.data.clone())
        } else {
            self.letter(id).ok_or_else(|| not_found(id))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.get().vpath().get_with_slash().into())
}

#[cfg(test)]
mod tests;
