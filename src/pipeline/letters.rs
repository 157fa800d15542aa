//! Making one letter: wording, Typst layout, the envelope checks, the PDF
//! written into the run folder and its manifest row. A letter that cannot be
//! made, or fails a check of its laid-out page, is not an error of the run:
//! it comes back [`Unmade`] and its account is held with the reason.

use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use chrono::NaiveDate;
use typst_layout::PagedDocument;

use super::Setup;
use crate::compose;
use crate::config::NoticePlacement;
use crate::lint;
use crate::model::Account;
use crate::money::Cents;
use crate::policy::Stage;
use crate::preflight;
use crate::render::{Pages, RenderError, Rendered};
use crate::run_folder::{self, LETTERS_DIR, ManifestRow, NoticeCost, OutputError, Variant};

/// Why a letter that policy decided on was not made. Its account is held,
/// with this as the reason, and staff must look at the layout or wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmade {
    /// The letter could not be written or laid out.
    RenderFailed { message: String },
    /// The laid-out letter breaks a rule of the envelope, the vendor or the
    /// wording checks.
    Preflight { rule: String, detail: String },
}

impl Unmade {
    /// Whether the letter failed only for having more sheets or pages than
    /// one envelope or the vendor takes.
    pub fn too_long(&self) -> bool {
        matches!(self, Unmade::Preflight { rule, .. } if rule == preflight::SHEET_LIMIT || rule == preflight::PAGE_LIMIT)
    }

    /// The reason code in holds.csv and run.json.
    pub fn code(&self) -> &'static str {
        match self {
            Unmade::RenderFailed { .. } => "render_failed",
            Unmade::Preflight { .. } => "preflight",
        }
    }
}

impl fmt::Display for Unmade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unmade::RenderFailed { message } => {
                write!(f, "the letter could not be laid out: {message}")
            }
            Unmade::Preflight { rule, detail } => {
                write!(f, "the letter failed the {rule} check: {detail}")
            }
        }
    }
}

impl From<RenderError> for Unmade {
    fn from(e: RenderError) -> Unmade {
        match e {
            RenderError::Preflight(v) => {
                Unmade::Preflight { rule: v.rule.to_string(), detail: v.detail }
            }
            RenderError::Failed(message) => Unmade::RenderFailed { message },
        }
    }
}

/// A letter written: its manifest row, and its laid-out pages when the run
/// writes combined print files.
#[derive(Debug, Clone)]
pub struct Piece {
    pub row: ManifestRow,
    pub pages: Option<Pages>,
    /// A picture of its first page, when asked for (for the run's report).
    pub picture: Option<Picture>,
}

/// A picture of a letter's first page as PNG, or why it could not be drawn.
pub type Picture = Result<Vec<u8>, String>;

/// A letter laid out, checked and exported: its data, its PDF, its pages
/// when the run writes combined print files, and its first page when asked
/// for.
pub struct Laid {
    pub letter: compose::Letter,
    pub rendered: Rendered,
    /// The pages of the language-assistance notice at the letter's end.
    pub notice_pages: usize,
    pub pages: Option<Pages>,
    pub picture: Option<Picture>,
}

/// What became of one letter policy decided on: written with its manifest
/// row, or not made and why.
pub type Made = Result<Piece, Unmade>;

/// Time spent on each step of making letters, summed over all render
/// threads, to see where a run's time goes.
#[derive(Debug, Default)]
pub struct Times {
    pub(super) decide: AtomicU64,
    compose: AtomicU64,
    layout: AtomicU64,
    check: AtomicU64,
    export: AtomicU64,
    write: AtomicU64,
}

impl Times {
    /// Adds the time since `since` to a step and returns now.
    pub(super) fn add(&self, step: &AtomicU64, since: Instant) -> Instant {
        let now = Instant::now();
        step.fetch_add((now - since).as_nanos() as u64, Ordering::Relaxed);
        now
    }

    /// Seconds per step: deciding, wording, Typst layout, preflight, PDF
    /// export, writing.
    pub fn seconds(&self) -> [(&'static str, f64); 6] {
        let s = |step: &AtomicU64| step.load(Ordering::Relaxed) as f64 / 1e9;
        [
            ("deciding", s(&self.decide)),
            ("wording", s(&self.compose)),
            ("layout", s(&self.layout)),
            ("preflight", s(&self.check)),
            ("PDF export", s(&self.export)),
            ("writing", s(&self.write)),
        ]
    }
}

/// The export's values a letter prints, named as a billing manager knows
/// them, so that preflight can say where a character it cannot print is.
fn printed_fields(accounts: &[(Account, Stage)]) -> Vec<(&str, &str)> {
    let g = &accounts[0].0.guarantor;
    let mut fields = vec![("the guarantor's name", g.name.as_str())];
    fields.extend(g.latin_name.as_deref().map(|latin| ("the name in Latin letters", latin)));
    let street = ["address line 1", "address line 2", "address line 3"];
    fields.extend(street.into_iter().zip(g.address.street.iter().map(String::as_str)));
    fields.push(("the city", g.address.city.as_str()));
    for (account, _) in accounts {
        fields.extend([
            ("the account number", account.id.as_str()),
            ("the patient's name", account.patient.as_str()),
        ]);
        fields.extend(
            account.charges.iter().map(|c| ("a service description", c.description.as_str())),
        );
    }
    fields
}

/// The accounts of one envelope, split where the letter would not fit it:
/// each part with the range of accounts it carries and what became of it.
pub type Envelopes = Vec<(Range<usize>, Made)>;

impl Setup {
    /// Composes, lays out and checks one letter for the accounts of one
    /// envelope (one account, or a household's), each with its own stage.
    pub fn make_letter(
        &self,
        accounts: &[(Account, Stage)],
        piece: &str,
        (as_of, picture): (NaiveDate, bool),
        times: &Times,
    ) -> Result<Laid, Unmade> {
        let vendor = &self.config.vendor;
        let vendor_name = vendor.format.title();
        // (The vendor's limits on the recipient were applied when the
        // accounts were decided: see `decide::assess_all`.)
        let started = Instant::now();
        let (letter, files) = self
            .compose_letter(accounts, piece, as_of)
            .map_err(|e| Unmade::RenderFailed { message: e.to_string() })?;
        let started = times.add(&times.compose, started);
        if !letter.credit_reporting_possible
            && let Some(phrase) = self.config.lint.credit_language(&lint::plain_text(&files.body))
        {
            return Err(Unmade::Preflight {
                rule: "credit reporting".into(),
                detail: format!(
                    "the wording mentions {phrase:?}, but this account cannot be reported"
                ),
            });
        }
        let document = self.renderer.layout(files, as_of)?;
        let started = times.add(&times.layout, started);
        preflight::check_page(&document, vendor, &printed_fields(accounts))
            .map_err(RenderError::Preflight)?;
        preflight::check_pages(&self.limits, vendor_name, document.pages().len())
            .map_err(RenderError::Preflight)?;
        let notice_pages = self.check_notice(&document, letter.language_notice)?;
        let started = times.add(&times.check, started);
        let rendered = self.renderer.export(&document, piece, as_of)?;
        let pages = self.combined.then(|| crate::print_files::pages_for_print(document.pages()));
        // Drawn here, while the letter's fonts and images are in Typst's
        // cache, on the thread that made it, rather than after all letters:
        // there the run's dozen pictures were its last serial step (0.28 s
        // of a 5 s run of 1,000 accounts).
        let picture = document.pages().first().filter(|_| picture).map(|page| {
            crate::render::page_png(page, super::PICTURE_SCALE).map_err(|e| e.to_string())
        });
        times.add(&times.export, started);
        Ok(Laid { letter, rendered, notice_pages, pages, picture })
    }

    /// Makes the envelope of `accounts` (one account, or a household's) and
    /// writes its PDF into `letters_dir`. A household whose letter is over
    /// the envelope's or the vendor's limit is split into more envelopes,
    /// `PIECE-1`, `PIECE-2`, ... in account order, each as full as fits, so
    /// that no account is left out for want of room. Only a failure to
    /// write stops the run.
    pub(super) fn make_envelopes(
        &self,
        accounts: &[(Account, Stage)],
        piece: &str,
        (as_of, picture): (NaiveDate, bool),
        letters_dir: &Path,
        times: &Times,
    ) -> Result<Envelopes, OutputError> {
        let mut made = Vec::new();
        let mut start = 0;
        while start < accounts.len() {
            let mut end = accounts.len();
            loop {
                let id = match (start, end == accounts.len()) {
                    (0, true) => piece.to_string(),
                    _ => format!("{piece}-{}", made.len() + 1),
                };
                let picture = picture && made.is_empty();
                let letter = self.make_piece(
                    &accounts[start..end],
                    &id,
                    (as_of, picture),
                    letters_dir,
                    times,
                )?;
                match letter {
                    Err(unmade) if unmade.too_long() && end - start > 1 => {
                        end = start + (end - start) / 2
                    }
                    letter => {
                        made.push((start..end, letter));
                        break;
                    }
                }
            }
            start = end;
        }
        Ok(made)
    }

    /// Checks a laid-out letter against the language-assistance notice:
    /// with an insert, that the envelope still holds every sheet; placed
    /// in the letter (`in_letter`), that the layout printed it. Returns the
    /// notice's pages at the letter's end.
    fn check_notice(&self, document: &PagedDocument, in_letter: bool) -> Result<usize, Unmade> {
        let vendor = &self.config.vendor;
        if self.notice_is_insert() {
            let sheets = self.sheets(document.pages().len());
            if sheets > vendor.max_sheets as usize {
                return Err(Unmade::Preflight {
                    rule: preflight::SHEET_LIMIT.into(),
                    detail: format!(
                        "{sheets} sheets with the language-assistance insert; the envelope holds \
                         at most {}",
                        vendor.max_sheets
                    ),
                });
            }
        }
        let notice_pages = preflight::notice_pages(document).unwrap_or(0);
        if in_letter && notice_pages == 0 {
            return Err(Unmade::Preflight {
                rule: "language notice".into(),
                detail: format!(
                    "[language_access] is on, but the layout printed no notice (no <{}> label): \
                     letter.typ must include language-notice.typ after the letter",
                    preflight::NOTICE_LABEL
                ),
            });
        }
        Ok(notice_pages)
    }

    /// Whether the language-assistance notice is a sheet of its own in
    /// every envelope (`placement = "insert"`).
    fn notice_is_insert(&self) -> bool {
        self.config.language_access.placed() == Some(NoticePlacement::Insert)
    }

    /// The sheets in the envelope of a letter of `pages` pages: an insert
    /// is a sheet outside the letter's PDF.
    fn sheets(&self, pages: usize) -> usize {
        self.config.vendor.sheets(pages) + usize::from(self.notice_is_insert())
    }

    /// What the language-assistance notice adds to a piece of `pages` pages
    /// whose last `notice_pages` are the notice: the sheets they take (none
    /// on the blank back of a duplex letter's last sheet), or with
    /// `placement = "insert"` a sheet of its own in the envelope.
    fn notice_cost(&self, pages: usize, notice_pages: usize) -> NoticeCost {
        let vendor = &self.config.vendor;
        match self.config.language_access.placed() {
            None => NoticeCost::default(),
            Some(NoticePlacement::Insert) => NoticeCost { pages: 1, sheets: 1, postage: Cents(0) },
            Some(NoticePlacement::InLetter) => NoticeCost {
                pages: notice_pages as u64,
                sheets: (vendor.sheets(pages) - vendor.sheets(pages - notice_pages)) as u64,
                postage: Cents(0),
            },
        }
    }

    /// Makes one piece and writes its PDF into `letters_dir`.
    fn make_piece(
        &self,
        accounts: &[(Account, Stage)],
        piece: &str,
        (as_of, picture): (NaiveDate, bool),
        letters_dir: &Path,
        times: &Times,
    ) -> Result<Made, OutputError> {
        let Laid { letter, rendered, notice_pages, pages: laid_out, picture } =
            match self.make_letter(accounts, piece, (as_of, picture), times) {
                Ok(done) => done,
                Err(unmade) => return Ok(Err(unmade)),
            };
        let started = Instant::now();
        let vendor = &self.config.vendor;
        let pages = rendered.pages;
        let notice = self.notice_cost(pages, notice_pages);
        let sheets = self.sheets(pages);
        let file = format!("{piece}.pdf");
        run_folder::write_file(&letters_dir.join(&file), &rendered.pdf)?;
        times.add(&times.write, started);
        let guarantor = &accounts[0].0.guarantor;
        let address = &guarantor.address;
        let (address_line_1, address_line_2) = ManifestRow::street(&address.street);
        let row = ManifestRow {
            piece_id: piece.to_string(),
            file: format!("{LETTERS_DIR}/{file}"),
            first_page: 1,
            last_page: pages,
            pages,
            sheets,
            duplex: vendor.duplex,
            envelope: vendor.envelope.clone(),
            mail_class: vendor.mail_class.clone(),
            recipient_name: guarantor.window_name().to_string(),
            address_line_1,
            address_line_2,
            city: address.city.clone(),
            state: address.state.clone(),
            zip: address.zip.clone(),
            language: letter.language,
            variant: if letter.large_print { Variant::LargePrint } else { Variant::Standard },
            stage: letter.stage,
            sha256: crate::digest::sha256(&rendered.pdf),
            print_file: String::new(),
            print_first_page: None,
            print_last_page: None,
            wording: letter.wording.map(|w| w.to_string()).unwrap_or_default(),
            notice,
        };
        Ok(Ok(Piece { row, pages: laid_out, picture }))
    }
}
