//! What patients get: Spanish, large print, the QR code, accessible PDF.

use crate::common::*;
use crate::pdf;

fn run_two(dir: &std::path::Path, language: &str, large: &str) -> (pdf::Pdf, Vec<u8>) {
    let row = format!(
        "400,Zoë O'Brien-Núñez,1 Main St,,Eugene,OR,97401,2026-07-01,Visit,120.00,,,{language},N,N,N,{large}\n"
    );
    let export = write_export(dir, &row);
    let out = dir.join("run");
    run_ok(&export, &out, &[]);
    let manifest = read_csv(&out.join("manifest.csv"));
    assert_eq!(manifest.len(), 1);
    let bytes = std::fs::read(out.join(&manifest[0]["file"])).unwrap();
    (pdf::read(&bytes), bytes)
}

#[test]
fn spanish_letters_are_in_spanish_with_spanish_dates() {
    let dir = scratch("spanish");
    let (doc, _) = run_two(&dir, "Spanish", "N");
    let text = doc.text();
    assert!(text.contains("Estimado(a) Zoë O'Brien-Núñez:"), "{text}");
    assert!(text.contains("30 de noviembre de 2026"), "{text}");
    assert!(text.contains("Fecha del servicio"), "{text}");
    assert!(text.contains("de lunes a viernes"), "{text}");
    let manifest = read_csv(&dir.join("run/manifest.csv"));
    assert_eq!(manifest[0]["language"], "es");
    let audit = read_csv(&dir.join("run/audit.csv"));
    assert_eq!(
        (audit[0]["preferred_language"].as_str(), audit[0]["letter_language"].as_str()),
        ("es", "es")
    );
}

#[test]
fn large_print_sets_the_body_at_16_points_or_more() {
    let dir = scratch("large");
    let (doc, _) = run_two(&dir, "en", "Y");
    let greeting: Vec<_> =
        doc.lines(1).into_iter().filter(|l| l.text().starts_with("Dear ")).collect();
    assert_eq!(greeting.len(), 1);
    let size_pt = greeting[0].glyphs[0].size_in * 72.0;
    assert!(size_pt >= 15.9, "greeting at {size_pt} pt");
    assert_eq!(read_csv(&dir.join("run/manifest.csv"))[0]["variant"], "large_print");
}

#[test]
fn letters_are_tagged_for_screen_readers() {
    let dir = scratch("tagged");
    let (_, bytes) = run_two(&dir, "en", "N");
    let doc = pdf_extract::Document::load_mem(&bytes).unwrap();
    let catalog = doc.catalog().unwrap();
    assert!(catalog.get(b"StructTreeRoot").is_ok(), "tagged PDF has a structure tree");
    assert!(catalog.get(b"MarkInfo").is_ok());
}

#[test]
fn preview_draws_pages_as_png() {
    let dir = scratch("png");
    let export = write_export(
        &dir,
        "500,Ann Lee,1 Main St,,Eugene,OR,97401,2026-07-01,Visit,120.00,,,en,N,N,N,N\n",
    );
    let pdf = dir.join("ann.pdf");
    let output = on_export(
        "preview",
        &config(),
        &export,
        &["--account", "500", "-o", pdf.to_str().unwrap(), "--png"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let png = std::fs::read(dir.join("ann-1.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // 2 pixels per point: 1224 x 1584 for US Letter.
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (1224, 1584));
}

/// A stub that does not fit below the wording goes to the foot of a page of
/// its own (the wording is pushed down here by a layout edit).
#[test]
fn a_stub_that_does_not_fit_goes_to_the_foot_of_the_next_page() {
    let dir = scratch("stub");
    let layouts = layouts_with(&dir, "letter.typ", |t| {
        t.replace("// Tear-off remittance stub", "#v(5.3in)\n// Tear-off")
    });
    let export = write_export(
        &dir,
        "700,Ann Lee,1 Main St,,Eugene,OR,97401,2026-07-01,Visit,120.00,,,en,N,N,N,N\n",
    );
    let pdf = dir.join("ann.pdf");
    let output = on_export(
        "preview",
        &config(),
        &export,
        &["--account", "700", "-o", pdf.to_str().unwrap(), "--layouts", layouts.to_str().unwrap()],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let doc = pdf::read(&std::fs::read(&pdf).unwrap());
    assert_eq!(doc.pages.len(), 2);
    let stub = |page| doc.lines(page).into_iter().find(|l| l.text().contains("Amount enclosed"));
    assert!(stub(1).is_none(), "the stub is not on page 1");
    let line = stub(2).expect("the stub is on page 2");
    assert!(line.top() > 9.5, "the stub is at the foot of page 2, not at {:.2} in", line.top());
}

#[test]
fn pdf_a_can_be_chosen_in_the_config() {
    let dir = scratch("pdfa");
    let config =
        config_with(&dir, |t| t.replace("standard = \"plain\"", "standard = \"pdf-a-2b\""));
    let export = write_export(
        &dir,
        "600,Ann Lee,1 Main St,,Eugene,OR,97401,2026-07-01,Visit,120.00,,,en,N,N,N,N\n",
    );
    let out = dir.join("run");
    let output = run_with(&config, &export, &out, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let manifest = read_csv(&out.join("manifest.csv"));
    let bytes = std::fs::read(out.join(&manifest[0]["file"])).unwrap();
    let xmp = String::from_utf8_lossy(&bytes);
    assert!(
        xmp.contains("<pdfaid:part>2</pdfaid:part>"),
        "PDF/A-2 identification in the XMP metadata"
    );
    assert!(
        xmp.contains("<pdfaid:conformance>B</pdfaid:conformance>"),
        "PDF/A-2b conformance in the XMP metadata"
    );
}
