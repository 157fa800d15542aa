//! `[language_access]`: the notice, in English and the languages the
//! practice's patients read, that free language help and aids are there and
//! how to ask for them (45 CFR 92.11, the 2024 Section 1557 rule). Off by
//! default; the texts come from the layouts' table of published
//! translations (`layouts/language-access.toml`) or, for a language it
//! lacks, from `[language_access.texts]` here (the crate's `language_access`
//! module resolves them).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LanguageAccess {
    /// Whether every letter carries the notice.
    pub enabled: bool,
    /// The number patients call for an interpreter or a translation,
    /// printed where a text says `{phone}`.
    pub phone: String,
    /// The TTY or relay number (`711` is the national relay), printed where
    /// a text says `{tty}`.
    pub tty: String,
    /// The languages after English, as codes (`es`, `zh`, `vi`, `ko`...), in
    /// the order printed: the state's most spoken by people with limited
    /// English, at least 15.
    pub languages: Vec<String>,
    pub placement: NoticePlacement,
    /// The practice's own texts, by language code, for languages the
    /// layouts' table lacks (or to replace its text).
    pub texts: BTreeMap<String, NoticeText>,
}

/// Where the notice goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticePlacement {
    /// On a page of its own after the letter: printed on both sides
    /// (`[vendor] duplex`), that is the back of the letter's last sheet,
    /// which costs no paper when the letter has an odd number of pages;
    /// else one more sheet.
    #[default]
    InLetter,
    /// A separate sheet, `language-notice.pdf` in the run folder, that the
    /// vendor puts in every envelope: one more sheet each.
    Insert,
}

/// One language's notice.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeText {
    /// The language's name in itself (`Tiếng Việt`), printed before its text.
    pub name: String,
    /// The notice, with `{phone}` and `{tty}` where the numbers go.
    pub text: String,
    /// Where the text comes from: the published translation (its address
    /// and the date it was taken), or who translated it for the practice.
    pub source: String,
}

impl LanguageAccess {
    /// Where the notice goes, or `None` when it is off: the one answer
    /// compose (a page in the letter?) and the run (an insert sheet?) share.
    pub fn placed(&self) -> Option<NoticePlacement> {
        self.enabled.then_some(self.placement)
    }

    /// What cannot make a notice, in the words of the config file.
    pub(super) fn check(&self) -> Result<(), String> {
        for (code, text) in &self.texts {
            let empty = [("name", &text.name), ("text", &text.text), ("source", &text.source)]
                .into_iter()
                .find(|(_, value)| value.trim().is_empty());
            if let Some((field, _)) = empty {
                return Err(format!(
                    "[language_access.texts.{code}] has no {field}: each text needs the language's \
                     name in itself, the text, and its source (where the translation was published, \
                     or who translated it)"
                ));
            }
        }
        if !self.enabled {
            return Ok(());
        }
        if self.phone.trim().is_empty() {
            return Err(
                "[language_access] is enabled but has no phone: the notice tells patients \
                        which number to call for free language help"
                    .into(),
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        for code in &self.languages {
            if code == "en" {
                return Err("[language_access] languages lists \"en\": English is always first; \
                            list only the other languages"
                    .into());
            }
            if !seen.insert(code) {
                return Err(format!("[language_access] languages lists {code:?} twice"));
            }
        }
        Ok(())
    }
}
