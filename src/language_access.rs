//! The language-assistance notice (45 CFR 92.11): in English and the
//! languages `[language_access]` lists, that free language help and aids
//! are there and which number to call. Resolved once per process into the
//! data the layout `language-notice.typ` prints, as data (never markup).
//!
//! Each text comes from the layouts' table (`language-access.toml`), which
//! holds only published translations, each with its source beside it, or
//! from the config's `[language_access.texts]`, the practice's own, which
//! `validate` names so that someone checks them. Nothing here translates.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::{LanguageAccess, NoticePlacement, NoticeText};
use crate::invisible::{code_point, invisible};
use crate::layouts::{Layouts, NOTICE_LAYOUT, NOTICE_TEXTS};

/// The run folder's file of the notice alone, for the vendor to put in
/// every envelope (`placement = "insert"`).
pub const NOTICE_INSERT: &str = "language-notice.pdf";

/// The notice as every letter of a run prints it.
#[derive(Debug, Clone)]
pub struct Notice {
    pub placement: NoticePlacement,
    /// English first, then the config's languages in its order.
    pub languages: Vec<NoticeLanguage>,
}

/// One language's text, with its numbers filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct NoticeLanguage {
    pub code: String,
    pub name: String,
    pub text: String,
    pub source: String,
    pub from: TextFrom,
}

/// Where a language's text was taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextFrom {
    /// The layouts' table of published translations.
    Table,
    /// The practice's own text in its config, not checked by anyone here.
    Config,
}

/// What run.json records of a run's notice: where it went and each
/// language's text's source, for an auditor to check the words against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeRecord {
    pub placement: NoticePlacement,
    pub languages: Vec<RecordedLanguage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedLanguage {
    pub code: String,
    pub from: TextFrom,
    pub source: String,
}

#[derive(Debug, thiserror::Error)]
pub enum NoticeError {
    #[error("{file} is not a table of notice texts: {message}")]
    Table { file: String, message: String },
    #[error(
        "[language_access] lists the language {code:?}, which has no text: {table} has none \
         and the config has no [language_access.texts.{code}]. Add the published translation \
         to {table} with its source, or the practice's own text (name, text, source) to the \
         config; never a machine translation"
    )]
    NoText { code: String, table: String },
    #[error(
        "[language_access] is enabled, but the layouts folder {dir} has no {NOTICE_LAYOUT}, \
         the notice's layout: copy it from a new `kindly init` (and the lines of letter.typ \
         that include it)"
    )]
    NoLayout { dir: String },
    #[error(
        "the language-assistance notice in {name} ({code}) has {chars}, which no font in \
         {fonts} has: it would print as empty boxes. Add a font for that script to the folder, \
         or correct the text ({from})"
    )]
    MissingGlyph { code: String, name: String, chars: String, fonts: String, from: String },
    #[error(
        "the language-assistance insert takes {pages} pages, but it is one sheet in every \
         envelope, counted so and printed on one side: shorten the texts or the languages in \
         [language_access], or print the notice in each letter (placement = \"in_letter\"), \
         where it may take more pages and each is counted"
    )]
    InsertPages { pages: usize },
}

/// The table's file as a billing manager sees it.
fn table_file(layouts: &Layouts) -> String {
    layouts.dir.join(NOTICE_TEXTS).display().to_string()
}

impl Notice {
    /// The notice `config` asks for, or `None` when it is off.
    pub fn resolve(
        config: &LanguageAccess,
        layouts: &Layouts,
    ) -> Result<Option<Notice>, NoticeError> {
        if !config.enabled {
            return Ok(None);
        }
        if layouts.notice_layout.is_none() {
            return Err(NoticeError::NoLayout { dir: layouts.dir.display().to_string() });
        }
        let table: BTreeMap<String, NoticeText> = match &layouts.notice_texts {
            Some(text) => toml::from_str(text).map_err(|e| NoticeError::Table {
                file: table_file(layouts),
                message: e.to_string(),
            })?,
            None => BTreeMap::new(),
        };
        let codes = std::iter::once("en").chain(config.languages.iter().map(String::as_str));
        let languages = codes
            .map(|code| {
                let (text, from) = match (config.texts.get(code), table.get(code)) {
                    (Some(own), _) => (own, TextFrom::Config),
                    (None, Some(published)) => (published, TextFrom::Table),
                    (None, None) => {
                        return Err(NoticeError::NoText {
                            code: code.to_string(),
                            table: table_file(layouts),
                        });
                    }
                };
                // Each number isolated left to right: in an Arabic or Hebrew
                // sentence the groups of 1-541-555-0100 would otherwise be
                // set in reverse order (Unicode's bidirectional rules).
                let ltr = |number: &str| format!("\u{2066}{number}\u{2069}");
                Ok(NoticeLanguage {
                    code: code.to_string(),
                    name: text.name.clone(),
                    text: text
                        .text
                        .replace("{phone}", &ltr(&config.phone))
                        .replace("{tty}", &ltr(&config.tty)),
                    source: text.source.clone(),
                    from,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Some(Notice { placement: config.placement, languages }))
    }

    /// What run.json records of the notice.
    pub fn record(&self) -> NoticeRecord {
        NoticeRecord {
            placement: self.placement,
            languages: self
                .languages
                .iter()
                .map(|l| RecordedLanguage {
                    code: l.code.clone(),
                    from: l.from,
                    source: l.source.clone(),
                })
                .collect(),
        }
    }

    /// The languages whose text is the practice's own, for `validate` to name.
    pub fn to_check(&self) -> Vec<RecordedLanguage> {
        let record = self.record();
        record.languages.into_iter().filter(|l| l.from == TextFrom::Config).collect()
    }

    /// The notice as the layout reads it (`/notice.json`); `insert` when it is
    /// laid out alone, on the insert sheet.
    pub fn data(&self, insert: bool) -> Vec<u8> {
        #[derive(Serialize)]
        struct Data<'a> {
            insert: bool,
            languages: Vec<Language<'a>>,
        }
        #[derive(Serialize)]
        struct Language<'a> {
            lang: String,
            region: Option<String>,
            /// Whether the paragraph runs right to left, from its own
            /// script (its first strong character), not the language code:
            /// Typst would set Punjabi (`pa`, Gurmukhi) right to left.
            rtl: bool,
            name: &'a str,
            text: &'a str,
        }
        let languages = self
            .languages
            .iter()
            .map(|l| {
                let (lang, region) = typst_lang(&l.code);
                let rtl =
                    unicode_bidi::get_base_direction(format!("{} {}", l.name, l.text).as_str())
                        == unicode_bidi::Direction::Rtl;
                Language { lang, region, rtl, name: &l.name, text: &l.text }
            })
            .collect();
        serde_json::to_vec(&Data { insert, languages })
            .unwrap_or_else(|_| unreachable!("strings and booleans serialize"))
    }

    /// The first text with a character for which `covered` is false.
    pub fn check_glyphs(
        &self,
        covered: impl Fn(char) -> bool,
        fonts: &str,
    ) -> Result<(), NoticeError> {
        for l in &self.languages {
            let mut missing: Vec<char> = format!("{}{}", l.name, l.text)
                .chars()
                .filter(|&c| !c.is_whitespace() && !invisible(c) && !covered(c))
                .collect();
            missing.dedup();
            if !missing.is_empty() {
                let chars: Vec<String> =
                    missing.iter().take(5).map(|c| format!("{c:?} ({})", code_point(*c))).collect();
                return Err(NoticeError::MissingGlyph {
                    code: l.code.clone(),
                    name: l.name.clone(),
                    chars: chars.join(", "),
                    fonts: fonts.to_string(),
                    from: match l.from {
                        TextFrom::Table => format!("in {NOTICE_TEXTS}"),
                        TextFrom::Config => format!("[language_access.texts.{}]", l.code),
                    },
                });
            }
        }
        Ok(())
    }
}

/// A code such as `zh-TW` as Typst's `lang` and `region` (`zh`, `TW`); a
/// code Typst would refuse prints with no language set (`und`).
fn typst_lang(code: &str) -> (String, Option<String>) {
    let (lang, region) = code.split_once(['-', '_']).unwrap_or((code, ""));
    let letters = |s: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphabetic())
    };
    let region = letters(region, 2..=2).then(|| region.to_ascii_uppercase());
    if letters(lang, 2..=3) { (lang.to_ascii_lowercase(), region) } else { ("und".into(), None) }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn layouts(table: &str) -> Layouts {
        let mut layouts = Layouts::load(&PathBuf::from("layouts")).unwrap();
        layouts.notice_texts = Some(table.to_string());
        layouts
    }

    fn config(languages: &[&str], own: &[(&str, &str)]) -> LanguageAccess {
        LanguageAccess {
            enabled: true,
            phone: "1-541-555-0100".into(),
            tty: "711".into(),
            languages: languages.iter().map(|l| l.to_string()).collect(),
            placement: NoticePlacement::InLetter,
            texts: own
                .iter()
                .map(|(code, text)| {
                    let text = NoticeText {
                        name: format!("{code} name"),
                        text: text.to_string(),
                        source: "the practice's translator".into(),
                    };
                    (code.to_string(), text)
                })
                .collect(),
        }
    }

    const TABLE: &str = r#"
[en]
name = "English"
text = "Call {phone} (TTY: {tty})."
source = "kindly"
[es]
name = "Español"
text = "Llame al {phone}."
source = "a published translation, taken 2026-12-01"
"#;

    #[test]
    fn english_first_then_the_table_or_the_practices_own_text_with_the_numbers_isolated() {
        let own = [("vi", "Gọi {phone}."), ("es", "Su propio texto: {phone}.")];
        let notice =
            Notice::resolve(&config(&["vi", "es"], &own), &layouts(TABLE)).unwrap().unwrap();
        let codes: Vec<(&str, TextFrom)> =
            notice.languages.iter().map(|l| (l.code.as_str(), l.from)).collect();
        // The practice's own text replaces the table's, and validate names it.
        assert_eq!(
            codes,
            [("en", TextFrom::Table), ("vi", TextFrom::Config), ("es", TextFrom::Config)]
        );
        assert_eq!(
            notice.languages[0].text,
            "Call \u{2066}1-541-555-0100\u{2069} (TTY: \u{2066}711\u{2069})."
        );
        assert_eq!(notice.to_check().len(), 2);
        let without_own = Notice::resolve(&config(&["es"], &[]), &layouts(TABLE)).unwrap().unwrap();
        assert_eq!(without_own.languages[1].from, TextFrom::Table);
        assert!(without_own.to_check().is_empty());
        assert!(Notice::resolve(&LanguageAccess::default(), &layouts(TABLE)).unwrap().is_none());
    }

    #[test]
    fn a_language_without_a_text_is_refused_naming_both_places() {
        let error = Notice::resolve(&config(&["so"], &[]), &layouts(TABLE)).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("\"so\"")
                && message.contains("language-access.toml")
                && message.contains("[language_access.texts.so]"),
            "{message}"
        );
    }

    #[test]
    fn a_character_no_font_has_is_named_with_the_language() {
        let notice = Notice::resolve(&config(&["chr"], &[("chr", "ᏣᎳᎩ {phone}")]), &layouts(TABLE))
            .unwrap()
            .unwrap();
        let latin_only = |c: char| (c as u32) < 0x250 || ('\u{2066}'..='\u{2069}').contains(&c);
        let message = notice.check_glyphs(latin_only, "layouts/fonts").unwrap_err().to_string();
        assert!(message.contains("chr name (chr)") && message.contains("U+13E3"), "{message}");
        assert!(notice.check_glyphs(|_| true, "layouts/fonts").is_ok());
    }

    #[test]
    fn language_codes_become_typst_languages_and_regions() {
        assert_eq!(typst_lang("zh-TW"), ("zh".into(), Some("TW".into())));
        assert_eq!(typst_lang("VI"), ("vi".into(), None));
        assert_eq!(typst_lang("chr"), ("chr".into(), None));
        assert_eq!(typst_lang("x-klingon"), ("und".into(), None));
    }
}
