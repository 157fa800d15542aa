//! Unit tests of [`super`] (`src/preflight.rs`), kept beside it in a file of their
//! own so that the module reads as one idea.

use super::*;
use crate::compose::{self, Wording};
use crate::config::Config;
use crate::layouts::Layouts;
use crate::policy::Stage;
use crate::render::Renderer;

fn config() -> Config {
    toml::from_str(&std::fs::read_to_string("sample-data/kindly.toml").unwrap()).unwrap()
}

/// Lays out the sample letter with an edited layout, account and vendor.
fn check_with(
    edit_layout: impl Fn(&str) -> String,
    edit_account: impl Fn(&mut crate::model::Account),
    vendor: &Vendor,
) -> Result<(), Violation> {
    let mut layouts = Layouts::load(std::path::Path::new("layouts")).unwrap();
    layouts.letter = edit_layout(&layouts.letter);
    let wording = Wording::new(&layouts, &Default::default()).unwrap();
    let renderer = Renderer::new(&layouts, &config().pdf, None).unwrap();
    let mut account = crate::synth::sample_account();
    edit_account(&mut account);
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let letter = compose::letter(
        &[(account.clone(), Stage::Reminder)],
        "T1",
        wording.language_for("en"),
        as_of,
        &config(),
    );
    let body = wording.body(&letter).unwrap();
    let document = renderer.layout(compose::files(&letter, body).unwrap(), as_of).unwrap();
    check_page(&document, vendor, &[("the guarantor's name", &account.guarantor.name)])
}

fn unchanged(layout: &str) -> String {
    layout.to_string()
}

#[test]
fn the_shipped_layout_passes() {
    assert_eq!(check_with(unchanged, |_| {}, &config().vendor), Ok(()));
}

#[test]
fn a_character_no_font_has_holds_the_letter_and_is_named() {
    // Emoji, and Cherokee, a script the layouts have no font for.
    for (name, missing) in [("Ann 🙂 Lee", "'🙂' (U+1F642)"), ("ᏌᏊ Lee", "'Ꮜ' (U+13CC)")]
    {
        let v = check_with(unchanged, |a| a.guarantor.name = name.into(), &config().vendor)
            .unwrap_err();
        assert_eq!(v.rule, "missing glyph", "{name}");
        assert!(
            v.detail.contains(missing) && v.detail.contains("the guarantor's name"),
            "{}",
            v.detail
        );
    }
    // Latin, Greek and Cyrillic from Inter; the rest from layouts/fonts' Noto.
    for printable in [
        "Zoë Núñez-Đặng",
        "Αλέξης Παππάς",
        "Ольга Петрова",
        "محمد علي",
        "王小明",
        "김민준",
        "राजेश कुमार",
        "ሰላም ተስፋዬ",
        "Արամ Պետրոսյան",
    ] {
        assert_eq!(
            check_with(unchanged, |a| a.guarantor.name = printable.into(), &config().vendor),
            Ok(())
        );
    }
}

/// The sample account's plan-offer letter (with its QR codes), laid out.
fn plan_offer() -> PagedDocument {
    let layouts = Layouts::load(std::path::Path::new("layouts")).unwrap();
    let wording = Wording::new(&layouts, &Default::default()).unwrap();
    let renderer = Renderer::new(&layouts, &config().pdf, None).unwrap();
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let letter = compose::letter(
        &[(crate::synth::sample_account(), Stage::PlanOffer)],
        "T1",
        wording.language_for("en"),
        as_of,
        &config(),
    );
    assert_eq!(
        letter.payment_link.as_deref(),
        Some("https://pay.riversidefamilymed.example/?account=0000000")
    );
    let files = compose::files(&letter, wording.body(&letter).unwrap()).unwrap();
    renderer.layout(files, as_of).unwrap()
}

#[test]
fn ink_boxes_are_the_boxes_typst_computes() {
    fn each_text(frame: &Frame, seen: &mut usize) {
        for (_, item) in frame.items() {
            match item {
                FrameItem::Group(group) => each_text(&group.frame, seen),
                FrameItem::Text(text) => {
                    let typst = text.bbox();
                    // Twice: the second from the glyphs' boxes kept.
                    for _ in 0..2 {
                        assert_eq!(ink_box(text), (typst.min, typst.max), "{:?}", text.text);
                    }
                    *seen += 1;
                }
                _ => {}
            }
        }
    }
    let mut seen = 0;
    plan_offer().pages().iter().for_each(|page| each_text(&page.frame, &mut seen));
    assert!(seen > 50, "only {seen} runs of text");
}

#[test]
fn the_payment_qr_code_is_printed_beside_the_payment_paragraph_and_on_the_stub() {
    let document = plan_offer();
    let images: Vec<Mark> =
        marks(&document.pages()[0].frame).into_iter().filter(|m| m.what == "an image").collect();
    assert_eq!(images.len(), 2, "{images:?}");
    assert!(
        images.iter().all(|m| (m.right - m.left) >= 0.69),
        "at least 0.7 in. wide to scan: {images:?}"
    );
    assert!(images[1].top > 9.0, "one on the tear-off stub: {images:?}");
}

#[test]
fn a_misplaced_address_block_is_caught() {
    let moved = |l: &str| {
        l.replace(
            "dy: rect.top * 1in + inset - margin.top,",
            "dy: rect.top * 1in + inset - margin.top + 0.3in,",
        )
    };
    let v = check_with(moved, |_| {}, &config().vendor).unwrap_err();
    assert_eq!(v.rule, "address window");
    assert!(
        v.detail.starts_with("recipient line 3") && v.detail.contains("in. below the window"),
        "{v}"
    );
}

#[test]
fn an_address_too_long_for_the_window_is_measured() {
    let long = |a: &mut crate::model::Account| {
        a.guarantor.address.street[0] =
            "12345 Martin Luther King Jr Boulevard Northeast Building 7".into()
    };
    let v = check_with(unchanged, long, &config().vendor).unwrap_err();
    assert_eq!(v.rule, "address window");
    assert!(v.detail.starts_with("recipient line 2 (\"12345 Martin"), "{v}");
    assert!(v.detail.contains("in. past the window's safe area"), "{v}");
}

#[test]
fn anything_else_inside_a_window_is_caught() {
    let extra = |l: &str| format!("{l}\n#place(top + left, dx: 3.2in, dy: 1.9in)[Acct 1000064]\n");
    let v = check_with(extra, |_| {}, &config().vendor).unwrap_err();
    assert_eq!(v.rule, "window content");
    assert!(v.detail.contains("Acct") && v.detail.contains("recipient window"), "{v}");
}

#[test]
fn the_slide_tolerance_counts() {
    // The shipped block sits just inside the safe area; a vendor whose
    // inserts slide further needs a smaller block.
    let mut vendor = config().vendor;
    vendor.tolerance = 0.3;
    let v = check_with(unchanged, |_| {}, &vendor).unwrap_err();
    assert_eq!(v.rule, "address window");
}

#[test]
fn print_near_the_edge_is_caught() {
    let edge = |l: &str| format!("{l}\n#place(bottom + right, dx: 0.72in, dy: 0.2in)[x]\n");
    let v = check_with(edge, |_| {}, &config().vendor).unwrap_err();
    assert_eq!(v.rule, "page margin");
    assert!(v.detail.contains("from the right edge"), "{v}");
}

#[test]
fn a4_pages_are_caught() {
    let a4 = |l: &str| l.replace("paper: \"us-letter\"", "paper: \"a4\"");
    let v = check_with(a4, |_| {}, &config().vendor).unwrap_err();
    assert_eq!(v.rule, "page size");
    assert!(v.detail.contains("8.27 x 11.69 in."), "{v}");
}

#[test]
fn address_line_count_and_sheet_limit() {
    let seven = |l: &str| {
        l.replace(
            "#window-block(win.recipient, d.recipient,",
            "#window-block(win.recipient, d.recipient + (\"A\", \"B\", \"C\"),",
        )
    };
    let mut vendor = config().vendor;
    vendor.recipient_window.height = 3.0;
    let v = check_with(seven, |_| {}, &vendor).unwrap_err();
    assert_eq!(v.rule, "address lines", "{v}");

    let mut vendor = config().vendor;
    vendor.duplex = false;
    vendor.max_sheets = 1;
    let two_pages = |l: &str| format!("{l}\n#pagebreak()\nMore.\n");
    let v = check_with(two_pages, |_| {}, &vendor).unwrap_err();
    assert_eq!(v.rule, "sheet limit");
}

fn guarantor(name: &str, street: &str, zip: &str) -> crate::model::Guarantor {
    let mut g = crate::synth::sample_account().guarantor;
    g.name = name.into();
    g.address.street = vec![street.into()];
    g.address.zip = zip.into();
    g
}

#[test]
fn lobs_limits_hold_what_lob_would_refuse() {
    let lob = crate::config::VendorFormat::Lob.limits();
    assert_eq!(
        check_recipient(&lob, "Lob", &guarantor(&"A".repeat(40), &"S".repeat(64), "97401-1234")),
        Ok(())
    );
    let v = check_recipient(&lob, "Lob", &guarantor(&"A".repeat(41), "1 Main St", "97401"))
        .unwrap_err();
    assert_eq!(v.rule, "vendor field limit");
    assert!(v.detail.contains("41 characters; Lob takes at most 40"), "{}", v.detail);
    let v = check_recipient(&lob, "Lob", &guarantor("Ana", &"S".repeat(65), "97401")).unwrap_err();
    assert!(v.detail.contains("street line"), "{}", v.detail);
    for zip in ["9740", "97401-12", "974011234", "ABCDE", "97401 1234"] {
        let v = check_recipient(&lob, "Lob", &guarantor("Ana", "1 Main St", zip)).unwrap_err();
        assert!(v.detail.contains(&format!("{zip:?}")), "{}", v.detail);
    }
    // Characters, not bytes: an accented name is as long as it looks.
    assert_eq!(
        check_recipient(&lob, "Lob", &guarantor(&"é".repeat(40), "1 Main St", "97401")),
        Ok(())
    );
    let generic = crate::config::VendorFormat::Generic.limits();
    assert_eq!(
        check_recipient(
            &generic,
            "the print vendor",
            &guarantor(&"A".repeat(90), "1 Main St", "9740")
        ),
        Ok(())
    );
}

#[test]
fn a_page_limit_holds_longer_letters() {
    let limits = crate::config::FieldLimits { pages: Some(10), ..Default::default() };
    assert_eq!(check_pages(&limits, "Stannp", 10), Ok(()));
    assert_eq!(check_pages(&limits, "Stannp", 11).unwrap_err().rule, "vendor page limit");
}

proptest::proptest! {
    #[test]
    fn a_zip_fits_its_shape_exactly_when_digit_for_digit(zip in "[0-9A-Z -]{0,11}") {
        let fits = zip_fits(&zip, "#####") || zip_fits(&zip, "#####-####");
        let b = zip.as_bytes();
        let five = b.len() == 5 && b.iter().all(u8::is_ascii_digit);
        let nine = b.len() == 10 && b[5] == b'-' && b[..5].iter().chain(&b[6..]).all(u8::is_ascii_digit);
        proptest::prop_assert_eq!(fits, five || nine);
    }
}
