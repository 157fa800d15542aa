//! Checking each laid-out letter against the vendor's envelope before it is
//! written: page edges, both address windows (with the insert allowed to
//! slide by the vendor's tolerance), nothing else showing through a window,
//! and the sheet count. A letter that fails is held with the rule and the
//! measurement, never printed.
//!
//! The layout marks its two address blocks with the labels
//! `<kindly-recipient>` and `<kindly-return>`; everything is measured on the
//! laid-out frames, so what is checked is exactly what would be printed.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use ecow::EcoString;
use typst::layout::{Abs, Em, Frame, FrameItem, Point, Transform};
use typst::text::{FontInstance, TextItem};
use typst::utils::PicoStr;
use typst_layout::PagedDocument;

use crate::config::{FieldLimits, Rect, Vendor};
use crate::invisible::code_point;
use crate::model::Guarantor;

/// US Letter in inches; vendors reject any other page size.
const LETTER_IN: (f64, f64) = (8.5, 11.0);
/// Nothing may be printed closer than this to a page edge (Lob letter spec).
const EDGE_IN: f64 = 1.0 / 16.0;
/// USPS: an address has 2 to 6 lines.
const ADDRESS_LINES: std::ops::RangeInclusive<usize> = 2..=6;
pub const RECIPIENT_LABEL: &str = "kindly-recipient";
pub const RETURN_LABEL: &str = "kindly-return";
/// Where the language-assistance notice starts (`language-notice.typ`).
pub const NOTICE_LABEL: &str = "kindly-notice";

/// A broken rule and what was measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub rule: &'static str,
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.rule, self.detail)
    }
}

/// Something printed, with its box on the page in inches from the top-left.
#[derive(Debug, Clone)]
struct Mark {
    what: EcoString,
    /// The address block it belongs to, if any.
    block: Option<&'static str>,
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
}

impl Mark {
    fn intersects(&self, r: &Rect) -> bool {
        self.right > r.left
            && self.left < r.left + r.width
            && self.bottom > r.top
            && self.top < r.top + r.height
    }
}

/// Checks a laid-out letter; the first rule broken is returned. `fields`
/// are the patient's values on the letter, by name, to say which one holds
/// a character that no font can print.
pub fn check_page(
    document: &PagedDocument,
    vendor: &Vendor,
    fields: &[(&str, &str)],
) -> Result<(), Violation> {
    let missing = missing_glyphs(document);
    if !missing.is_empty() {
        let shown: Vec<String> =
            missing.iter().map(|c| format!("{c:?} ({})", code_point(*c))).collect();
        let field = fields
            .iter()
            .find(|(_, value)| value.contains(missing.as_slice()))
            .map_or("the letter", |f| f.0);
        return Err(Violation {
            rule: "missing glyph",
            detail: format!(
                "no font of the layouts has {} in {field}; it would print as an empty box",
                shown.join(", ")
            ),
        });
    }
    let pages = document.pages();
    let sheets = vendor.sheets(pages.len());
    if sheets > vendor.max_sheets as usize {
        return Err(Violation {
            rule: SHEET_LIMIT,
            detail: format!("{sheets} sheets; the envelope holds at most {}", vendor.max_sheets),
        });
    }
    for (index, page) in pages.iter().enumerate() {
        let marks = marks(&page.frame);
        let (width, height) = (page.frame.width().to_inches(), page.frame.height().to_inches());
        if (width - LETTER_IN.0).abs() > 0.01 || (height - LETTER_IN.1).abs() > 0.01 {
            return Err(Violation {
                rule: "page size",
                detail: format!(
                    "page {} is {width:.2} x {height:.2} in.; the vendor takes US Letter (8.5 x 11 in.) only",
                    index + 1
                ),
            });
        }
        for m in &marks {
            let gaps = [
                ("left", m.left),
                ("top", m.top),
                ("right", width - m.right),
                ("bottom", height - m.bottom),
            ];
            if let Some((edge, gap)) = gaps.into_iter().find(|(_, gap)| *gap < EDGE_IN - 1e-6) {
                return Err(Violation {
                    rule: "page margin",
                    detail: format!(
                        "{:?} on page {} is {:.3} in. from the {edge} edge (at least {:.4} in.)",
                        m.what,
                        index + 1,
                        gap,
                        EDGE_IN
                    ),
                });
            }
        }
        if index == 0 {
            check_window(&marks, RECIPIENT_LABEL, "recipient", &vendor.recipient_window, vendor)?;
            check_window(&marks, RETURN_LABEL, "return address", &vendor.return_window, vendor)?;
        }
    }
    Ok(())
}

/// The pages of a laid-out letter from where its language-assistance notice
/// starts to its end; `None` when the layout printed no notice.
pub fn notice_pages(document: &PagedDocument) -> Option<usize> {
    let label = typst::foundations::Label::new(PicoStr::intern(NOTICE_LABEL))?;
    let introspector = document.introspector();
    let start = introspector.elements().query_label(label).ok()?.location()?;
    let page = introspector.position(start)?.page.get();
    Some(document.pages().len() + 1 - page)
}

/// Checks a piece's recipient against what the vendor's upload takes
/// (`[vendor] format` and `[vendor.limits]`), before the letter is laid out:
/// a name or street line the vendor would cut, or a ZIP it would refuse.
pub fn check_recipient(
    limits: &FieldLimits,
    vendor: &str,
    to: &Guarantor,
) -> Result<(), Violation> {
    let too_long = |what: &str, value: &str, max: Option<usize>| match max {
        Some(max) if value.chars().count() > max => Err(Violation {
            rule: "vendor field limit",
            detail: format!(
                "{what} {value:?} is {} characters; {vendor} takes at most {max}",
                value.chars().count()
            ),
        }),
        _ => Ok(()),
    };
    too_long("the guarantor's name", to.window_name(), limits.name)?;
    for line in &to.address.street {
        too_long("the street line", line, limits.address_line)?;
    }
    too_long("the city", &to.address.city, limits.city)?;
    if let Some(shapes) = &limits.zip
        && !shapes.iter().any(|shape| zip_fits(&to.address.zip, shape))
    {
        return Err(Violation {
            rule: "vendor field limit",
            detail: format!(
                "the ZIP code {:?} is not written {}, as {vendor} takes it",
                to.address.zip,
                shapes.join(" or ")
            ),
        });
    }
    Ok(())
}

/// Whether a ZIP code has a shape like `#####-####` (`#` one digit).
fn zip_fits(zip: &str, shape: &str) -> bool {
    zip.len() == shape.len()
        && zip
            .chars()
            .zip(shape.chars())
            .all(|(z, s)| if s == '#' { z.is_ascii_digit() } else { z == s })
}

/// The rule a letter breaks with more sheets than its envelope holds.
pub const SHEET_LIMIT: &str = "sheet limit";
/// The rule a letter breaks with more pages than the vendor takes in one.
pub const PAGE_LIMIT: &str = "vendor page limit";

/// Checks a laid-out piece's page count against the vendor's limit.
pub fn check_pages(limits: &FieldLimits, vendor: &str, pages: usize) -> Result<(), Violation> {
    match limits.pages {
        Some(max) if pages > max => Err(Violation {
            rule: PAGE_LIMIT,
            detail: format!("{pages} pages; {vendor} takes at most {max} in one letter"),
        }),
        _ => Ok(()),
    }
}

fn check_window(
    marks: &[Mark],
    label: &'static str,
    name: &str,
    window: &Rect,
    vendor: &Vendor,
) -> Result<(), Violation> {
    let block: Vec<&Mark> = marks.iter().filter(|m| m.block == Some(label)).collect();
    if block.is_empty() {
        return Err(Violation {
            rule: "address block",
            detail: format!("the layout has no {name} block (a block labelled <{label}>)"),
        });
    }
    let lines = lines(&block);
    if name == "recipient" && !ADDRESS_LINES.contains(&lines.len()) {
        return Err(Violation {
            rule: "address lines",
            detail: format!("the recipient address has {} lines; USPS takes 2 to 6", lines.len()),
        });
    }
    // The block must stay clear of the window's edges wherever the insert
    // slides within the envelope.
    let inset = vendor.clearance + vendor.tolerance;
    let allowed = Rect {
        left: window.left + inset,
        top: window.top + inset,
        width: window.width - 2.0 * inset,
        height: window.height - 2.0 * inset,
    };
    for (n, line) in lines.iter().enumerate() {
        let n = n + 1;
        let past = [
            ("starts", "left of", allowed.left - line.left),
            ("ends", "past", line.right - (allowed.left + allowed.width)),
            ("rises", "above", allowed.top - line.top),
            ("drops", "below", line.bottom - (allowed.top + allowed.height)),
        ];
        if let Some((verb, side, by)) = past.into_iter().find(|(_, _, by)| *by > 1e-3) {
            return Err(Violation {
                rule: "address window",
                detail: format!(
                    "{name} line {n} ({:?}) {verb} {by:.2} in. {side} the window's safe area \
                     ({:.3} in. clearance and {:.3} in. slide allowed)",
                    line.what, vendor.clearance, vendor.tolerance
                ),
            });
        }
    }
    if let Some(intruder) = marks.iter().find(|m| m.block.is_none() && m.intersects(window)) {
        return Err(Violation {
            rule: "window content",
            detail: format!(
                "{:?} shows through the {name} window; only the address may",
                intruder.what
            ),
        });
    }
    Ok(())
}

/// Whether the first page names the practice in its letterhead: above the
/// recipient window and outside the return-address block.
pub fn letterhead_names(document: &PagedDocument, name: &str, vendor: &Vendor) -> bool {
    let Some(page) = document.pages().first() else { return false };
    let marks = marks(&page.frame);
    let head: Vec<&Mark> = marks
        .iter()
        .filter(|m| m.block.is_none() && m.bottom < vendor.recipient_window.top)
        .collect();
    lines(&head).iter().any(|line| line.what.contains(name))
}

/// Characters laid out with no glyph (Typst's "tofu", glyph 0, when no
/// font has the character), each once, in order of first appearance.
fn missing_glyphs(document: &PagedDocument) -> Vec<char> {
    fn walk(frame: &Frame, out: &mut Vec<char>) {
        for (_, item) in frame.items() {
            match item {
                FrameItem::Group(group) => walk(&group.frame, out),
                FrameItem::Text(text) => {
                    for glyph in text.glyphs.iter().filter(|g| g.id == 0) {
                        let chars = text.text.get(glyph.range()).unwrap_or_default().chars();
                        for c in chars.filter(|c| !c.is_whitespace()) {
                            if !out.contains(&c) {
                                out.push(c);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    document.pages().iter().for_each(|page| walk(&page.frame, &mut out));
    out
}

/// Text marks grouped into lines by baseline, top to bottom.
fn lines(marks: &[&Mark]) -> Vec<Mark> {
    let mut sorted: Vec<&Mark> = marks.to_vec();
    sorted.sort_by(|a, b| a.bottom.total_cmp(&b.bottom).then(a.left.total_cmp(&b.left)));
    let mut lines: Vec<Mark> = Vec::new();
    for m in sorted {
        match lines.last_mut() {
            Some(line) if m.top < line.bottom - 0.02 => {
                line.what.push(' ');
                line.what.push_str(&m.what);
                line.left = line.left.min(m.left);
                line.right = line.right.max(m.right);
                line.top = line.top.min(m.top);
                line.bottom = line.bottom.max(m.bottom);
            }
            _ => lines.push(m.clone()),
        }
    }
    lines
}

/// Everything printed on a page, with boxes in page coordinates.
fn marks(frame: &Frame) -> Vec<Mark> {
    let mut out = Vec::new();
    collect(frame, Transform::identity(), None, &mut out);
    out
}

/// The two address blocks' labels, interned once: a label compared by its
/// interned number needs neither an allocation nor Typst's interner lock.
static BLOCKS: LazyLock<[(PicoStr, &str); 2]> =
    LazyLock::new(|| [RECIPIENT_LABEL, RETURN_LABEL].map(|label| (PicoStr::intern(label), label)));

fn collect(frame: &Frame, ts: Transform, block: Option<&'static str>, out: &mut Vec<Mark>) {
    for (pos, item) in frame.items() {
        let ts = ts.pre_concat(Transform::translate(pos.x, pos.y));
        let mut mark = |what: EcoString, min: Point, max: Point| {
            let corners = [min, Point::new(max.x, min.y), Point::new(min.x, max.y), max]
                .map(|p| p.transform(ts));
            let xs = corners.map(|p| p.x.to_inches());
            let ys = corners.map(|p| p.y.to_inches());
            out.push(Mark {
                what,
                block,
                left: xs.into_iter().fold(f64::MAX, f64::min),
                top: ys.into_iter().fold(f64::MAX, f64::min),
                right: xs.into_iter().fold(f64::MIN, f64::max),
                bottom: ys.into_iter().fold(f64::MIN, f64::max),
            });
        };
        match item {
            FrameItem::Group(group) => {
                let label = group.label.map(|l| l.into_inner());
                let block = BLOCKS
                    .iter()
                    .find(|(pico, _)| Some(*pico) == label)
                    .map_or(block, |(_, name)| Some(*name));
                collect(&group.frame, ts.pre_concat(group.transform), block, out);
            }
            FrameItem::Text(text) => {
                if text.text.trim().is_empty() {
                    continue;
                }
                let (min, max) = ink_box(text);
                if min.x.to_pt().is_finite() && max.x.to_pt().is_finite() {
                    mark(text.text.clone(), min, max);
                }
            }
            FrameItem::Shape(shape, _) => {
                let bbox = shape.bbox(true);
                if bbox.min.x.to_pt().is_finite() && bbox.max.x.to_pt().is_finite() {
                    mark("a line or shape".into(), bbox.min, bbox.max);
                }
            }
            FrameItem::Image(_, size, _) => mark("an image".into(), Point::zero(), size.to_point()),
            FrameItem::Link(..) | FrameItem::Tag(_) => {}
        }
    }
}

/// Each glyph's ink box in ems (left, bottom, right, top), by font, as the
/// font gives it. A CFF font's boxes are read by decoding the glyph's
/// outline, and every letter is made of the same few hundred glyphs. Read
/// once per thread rather than once per text run, they cost 0.2% of a
/// 1,000-account run's CPU time instead of 3.3% (perf samples in outline
/// decoding and Typst's `TextItem::bbox`).
type InkBoxes = HashMap<FontInstance, HashMap<u16, Option<[Em; 4]>>>;

thread_local! {
    static INK_BOXES: RefCell<InkBoxes> = RefCell::default();
}

/// The ink box of a run of text, in the run's coordinates: exactly what
/// Typst's `TextItem::bbox` computes, glyph by glyph, with each glyph's box
/// from [`INK_BOXES`].
fn ink_box(text: &TextItem) -> (Point, Point) {
    INK_BOXES.with_borrow_mut(|fonts| {
        let boxes = fonts.entry(text.font.clone()).or_default();
        let mut min = Point::splat(Abs::inf());
        let mut max = Point::splat(-Abs::inf());
        let mut cursor = Point::zero();
        for glyph in &text.glyphs {
            let ink = boxes.entry(glyph.id).or_insert_with(|| {
                let rect = text.font.ttf().glyph_bounding_box(ttf_parser::GlyphId(glyph.id))?;
                Some(
                    [rect.x_min, rect.y_min, rect.x_max, rect.y_max]
                        .map(|units| text.font.to_em(units)),
                )
            });
            if let Some([left, bottom, right, top]) = *ink {
                let pos =
                    cursor + Point::new(glyph.x_offset.at(text.size), glyph.y_offset.at(text.size));
                let a = pos + Point::new(left.at(text.size), bottom.at(text.size));
                let b = pos + Point::new(right.at(text.size), top.at(text.size));
                min = min.min(a).min(b);
                max = max.max(a).max(b);
            }
            cursor += Point::new(glyph.x_advance.at(text.size), glyph.y_advance.at(text.size));
        }
        // Text runs are laid out with y pointing up, frames with y down.
        min.y *= -1.0;
        max.y *= -1.0;
        (min, max)
    })
}

#[cfg(test)]
mod tests;
