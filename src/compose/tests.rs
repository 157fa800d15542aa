//! Unit tests of [`super`] (`src/compose.rs`), kept beside it in a file of their
//! own so that the module reads as one idea.

use super::*;
use proptest::prelude::*;

#[test]
fn escape_neutralises_markup() {
    assert_eq!(escape("#panic(\"x\")"), "\\#panic\\(\\\"x\\\"\\)");
    assert_eq!(escape("*]_$ //"), "\\*\\]\\_\\$ \\/\\/");
    assert_eq!(escape("Zoë O'Brien-Núñez"), "Zoë O\\'Brien\\-Núñez");
    assert_eq!(escape("line\n= Heading"), "line \\= Heading");
}

#[test]
fn the_qr_image_has_the_code_modules_pixel_for_pixel() {
    let link = "https://pay.example/?account=1000012";
    let image = QrImage::of(link);
    let code =
        qrcodegen::QrCode::encode_binary(link.as_bytes(), qrcodegen::QrCodeEcc::Medium).unwrap();
    let side = code.size() as u32 * QR_PIXELS_PER_MODULE;
    assert_eq!((image.width, image.height), (side, side));
    for y in 0..image.height {
        for x in 0..image.width {
            let dark = code
                .get_module((x / QR_PIXELS_PER_MODULE) as i32, (y / QR_PIXELS_PER_MODULE) as i32);
            assert_eq!(image.white(x, y), !dark, "pixel {x},{y}");
        }
    }
}

/// What a phone reads from the image, with an independent decoder and
/// the white margin the layout leaves around the code.
#[test]
fn the_qr_image_reads_back_as_the_link() {
    let link = "https://pay.riversidefamilymed.example/?account=1000009";
    let image = QrImage::of(link);
    let margin = 4 * QR_PIXELS_PER_MODULE;
    let side = (image.width + 2 * margin) as usize;
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
        let (x, y) = ((x as u32).wrapping_sub(margin), (y as u32).wrapping_sub(margin));
        let inside = x < image.width && y < image.height;
        if !inside || image.white(x, y) { 255 } else { 0 }
    });
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    assert_eq!(grids[0].decode().unwrap().1, link);
}

/// The 1-bit PNG kindly makes for a link, read back.
struct QrImage {
    width: u32,
    height: u32,
    row_bytes: usize,
    pixels: Vec<u8>,
}

impl QrImage {
    fn of(link: &str) -> QrImage {
        let mut reader =
            png::Decoder::new(std::io::Cursor::new(qr_png(link).unwrap())).read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let frame = reader.next_frame(&mut pixels).unwrap();
        QrImage { width: frame.width, height: frame.height, row_bytes: frame.line_size, pixels }
    }

    fn white(&self, x: u32, y: u32) -> bool {
        self.pixels[y as usize * self.row_bytes + x as usize / 8] & (0x80 >> (x % 8)) != 0
    }
}

fn wording(templates: &[(&str, &str)]) -> Result<Wording, ComposeError> {
    let mut layouts =
        Layouts::load(&std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("layouts"))
            .unwrap();
    for (name, source) in templates {
        layouts.wording.insert(name.to_string(), source.to_string());
    }
    Wording::new(&layouts, &Default::default())
}

fn sample_letter(stage: Stage) -> Letter {
    let config: Config =
        toml::from_str(&std::fs::read_to_string("sample-data/kindly.toml").unwrap()).unwrap();
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let w = wording(&[]).unwrap();
    letter(&[(crate::synth::sample_account(), stage)], "P1", w.language_for("en"), as_of, &config)
}

#[test]
fn an_account_of_several_patients_names_the_patient_on_each_line_and_capitals_are_printed_as_asked()
{
    let mut config: Config =
        toml::from_str(&std::fs::read_to_string("sample-data/kindly.toml").unwrap()).unwrap();
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let w = wording(&[]).unwrap();
    let mut account = crate::synth::sample_account();
    account.charges[0].patient = "Ana Pérez".into();
    account.charges[1].patient = "Luis Pérez".into();
    account.guarantor.name = "JOSEPH MCDONALD".into();
    let made =
        letter(&[(account.clone(), Stage::Reminder)], "P1", w.language_for("en"), as_of, &config);
    let lines: Vec<&str> = made.items.iter().map(|i| i.description.as_str()).collect();
    assert_eq!(lines, ["Ana Pérez: New patient visit", "Luis Pérez: Lab work"]);
    assert_eq!(made.name, "JOSEPH MCDONALD", "as written by default");
    account.charges[1].patient = "Ana Pérez".into();
    config.letters.names = NameCase::TitleCaseAllCaps;
    let made = letter(&[(account, Stage::Reminder)], "P1", w.language_for("en"), as_of, &config);
    assert_eq!(
        made.items[0].description, "New patient visit",
        "one patient: the description alone"
    );
    assert_eq!(
        (made.name.as_str(), made.recipient[0].as_str()),
        ("Joseph McDonald", "Joseph McDonald")
    );
}

#[test]
fn a_misspelt_value_names_the_template_and_line() {
    let w =
        wording(&[("en/reminder.typ.j2", "Dear {{ name }},\n\nYou owe {{ balnce }}.")]).unwrap();
    let err = w.body(&sample_letter(Stage::Reminder)).unwrap_err().to_string();
    assert!(err.contains("wording/en/reminder.typ.j2") && err.contains("line 3"), "{err}");
    assert!(err.contains("`balnce`"), "{err}");
    assert!(err.contains("the values a letter has are account, accounts, balance,"), "{err}");
}

#[test]
fn a_misspelt_value_in_an_included_template_is_named_there() {
    let w = wording(&[
        (
            "en/reminder.typ.j2",
            "{% for plan in plans %}{{ plan.months }}{% endfor %}{% include \"en/_closing.typ.j2\" %}",
        ),
        ("en/_closing.typ.j2", "Call {{ practice.phone }} or {{ practice.phnoe }}."),
    ])
    .unwrap();
    let err = w.body(&sample_letter(Stage::Reminder)).unwrap_err().to_string();
    assert!(
        err.contains("wording/en/_closing.typ.j2") && err.contains("`practice.phnoe`"),
        "{err}"
    );
    assert!(
        err.contains("the values `practice` has are address,") && err.contains(" phone,"),
        "{err}"
    );
}

#[test]
fn a_value_the_letter_does_not_have_is_an_error_not_a_blank() {
    let w = wording(&[("en/reminder.typ.j2", "Reply by {{ reply_by }}.")]).unwrap();
    assert!(w.body(&sample_letter(Stage::Reminder)).is_err());
    assert!(w.body(&sample_letter(Stage::FinalNotice)).is_ok());
}

/// The household paragraph names the accounts the letter's stage is
/// about as a list and agrees with their number, in both languages.
#[test]
fn the_household_paragraph_lists_its_leading_accounts_in_good_grammar() {
    let w = wording(&[]).unwrap();
    for (leading, en, es) in [
        (&["H1"][..], "account H1, which has gone", "la cuenta H1, que lleva más"),
        (
            &["H1", "H4"],
            "account H1 and account H4, which have gone",
            "la cuenta H1 y la cuenta H4, que llevan",
        ),
        (
            &["H1", "H2", "H4"],
            "account H1, account H2 and account H4, which have gone",
            "la cuenta H1, la cuenta H2 y la cuenta H4, que llevan",
        ),
    ] {
        let mut letter = sample_letter(Stage::FinalNotice);
        let part = letter.accounts[0].clone();
        letter.accounts = (0..4).map(|_| part.clone()).collect();
        letter.leading_accounts = leading.iter().map(|a| a.to_string()).collect();
        let body = w.body(&letter).unwrap().replace('\n', " ");
        assert!(body.contains(en), "{body}");
        letter.language = "es".into();
        let body = w.body(&letter).unwrap().replace('\n', " ");
        assert!(body.contains(es), "{body}");
    }
}

#[test]
fn plans_never_go_under_the_minimum_payment() {
    let config: Config =
        toml::from_str(&std::fs::read_to_string("sample-data/kindly.toml").unwrap()).unwrap();
    let offered = |cents| {
        plans(Cents(cents), &config).into_iter().map(|p| (p.months, p.monthly)).collect::<Vec<_>>()
    };
    assert_eq!(
        offered(56818),
        [(3, "$189.40".into()), (6, "$94.70".into()), (12, "$47.35".into())]
    );
    assert_eq!(offered(10000), [(3, "$33.34".into())]);
    assert_eq!(offered(5000), []);
}

#[test]
fn every_stage_of_the_shipped_wording_renders() {
    let w = wording(&[]).unwrap();
    for stage in Stage::ALL {
        let body = w.body(&sample_letter(stage)).unwrap();
        assert!(body.contains("María José Rodríguez\\-Peña"), "{body}");
        assert!(body.contains(r"\$307\.50"), "{body}");
    }
}

#[test]
fn final_notice_wording() {
    let w = wording(&[]).unwrap();
    insta::assert_snapshot!(w.body(&sample_letter(Stage::FinalNotice)).unwrap());
}

proptest! {
    /// Whatever the text, the escaped form parses as plain markup: no
    /// code, math, emphasis, heading, list, raw, label or reference.
    #[test]
    fn escaped_text_is_only_text(text in "\\PC{0,40}") {
        let escaped = escape(&text);
        let root = typst::syntax::parse(&escaped);
        let (errors, warnings) = root.errors_and_warnings();
        prop_assert!(errors.is_empty() && warnings.is_empty(), "{errors:?} {warnings:?}");
        for node in root.children() {
            use typst::syntax::SyntaxKind::*;
            prop_assert!(
                matches!(node.kind(), Text | Space | Escape),
                "{text:?} -> {escaped:?} has {:?}", node.kind()
            );
        }
    }
}

/// A trial's variant is the variant's own file; a variant a language lacks
/// stops the run before any letter, naming the file to add.
#[test]
fn a_trials_variant_has_its_own_wording_in_every_language() {
    let layouts =
        Layouts::load(&std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("layouts"))
            .unwrap();
    let trial = |variant: &str| crate::config::Trial {
        stage: Stage::Reminder,
        variants: [("usual".to_string(), 50), (variant.to_string(), 50)].into(),
    };
    let trials = [("tone".to_string(), trial("warm"))].into();
    let wording = Wording::new(&layouts, &trials).unwrap();
    let usual = sample_letter(Stage::Reminder);
    let warm = Letter {
        wording: Some(crate::config::Assigned { trial: "tone".into(), variant: "warm".into() }),
        ..usual.clone()
    };
    let (usual, warm) = (wording.body(&usual).unwrap(), wording.body(&warm).unwrap());
    assert!(warm.contains("We will find a way") && !usual.contains("We will find a way"));
    let missing = Wording::new(&layouts, &[("tone".to_string(), trial("brief"))].into());
    let message = missing.err().unwrap().to_string();
    assert!(message.contains("add wording/en/reminder.brief.typ.j2"), "{message}");
    assert!(message.contains("the trial tone/brief needs it"), "{message}");
}
