//! Plain-language and compliance checks on the wording, run on every stage's
//! letter in every language with sample values before any run starts.
//!
//! Each finding names the template, the rule and the sentence at fault, so a
//! billing manager can fix the wording without guessing. The thresholds and
//! phrase lists live in `[lint]` in the config.

use std::fmt;

use crate::compose::Letter;
use crate::config::LintConfig;
use crate::policy::Stage;

/// One problem in one template.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub template: String,
    pub rule: &'static str,
    pub detail: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.template, self.rule, self.detail)
    }
}

/// The reading score of a letter's wording, for people: "Flesch-Kincaid
/// grade 6.1".
pub fn readability(language: &str, body: &str) -> Option<String> {
    let sentences = sentences(&plain_text(body));
    match language {
        "en" => Some(format!("Flesch-Kincaid grade {:.1}", flesch_kincaid_grade(&sentences))),
        "es" => Some(format!("Fernández-Huerta reading ease {:.0}", fernandez_huerta(&sentences))),
        _ => None,
    }
}

/// Checks one letter's wording (`body`, Typst markup) written for `letter`.
pub fn check_wording(
    template: &str,
    letter: &Letter,
    body: &str,
    config: &LintConfig,
) -> Vec<Finding> {
    let text = plain_text(body);
    let sentences = sentences(&text);
    let mut findings = Vec::new();
    let mut fail = |rule, detail: String| {
        findings.push(Finding { template: template.to_string(), rule, detail })
    };
    let lower = text.to_lowercase();

    if let Some((rule, detail)) = too_hard_to_read(&letter.language, &sentences, config) {
        fail(rule, detail);
    }
    for (what, any_of) in required(letter, config) {
        if !any_of.is_empty() && !any_of.iter().any(|needle| lower.contains(&needle.to_lowercase()))
        {
            fail("required", format!("no sentence gives {what} (looked for {any_of:?})"));
        }
    }
    if !body.contains("#signature") {
        fail("signature", "the letter is not signed: add #signature at the end".into());
    }
    for phrase in &config.forbidden {
        if let Some(sentence) = sentence_with(&sentences, phrase) {
            fail("forbidden phrase", format!("{phrase:?} in: {sentence:?}"));
        }
    }
    if !letter.credit_reporting_possible
        && let Some(phrase) = config.credit_language(&text)
    {
        let sentence = sentence_with(&sentences, phrase).map_or("", String::as_str);
        fail(
            "credit reporting",
            format!(
                "{phrase:?} in {sentence:?}, but this account cannot be reported (under {}, younger than {} days, \
                 or in {}); wrap it in {{% if credit_reporting_possible %}}",
                config.credit_reporting_min_balance,
                config.credit_reporting_min_days,
                config.credit_reporting_banned_states.join(", ")
            ),
        );
    }
    findings
}

/// A letter harder to read than the config allows in its language: the
/// rule and what was found, with the hardest sentence.
fn too_hard_to_read(
    language: &str,
    sentences: &[String],
    config: &LintConfig,
) -> Option<(&'static str, String)> {
    match language {
        "en" => {
            let grade = flesch_kincaid_grade(sentences);
            if grade > config.max_grade_en {
                return Some((
                    "reading grade",
                    format!(
                        "Flesch-Kincaid grade {grade:.1}, above {:.1}; the hardest sentence is: {:?}",
                        config.max_grade_en,
                        hardest(sentences, |s| flesch_kincaid_grade(&[s]))
                    ),
                ));
            }
        }
        "es" => {
            let ease = fernandez_huerta(sentences);
            if ease < config.min_ease_es {
                return Some((
                    "reading ease",
                    format!(
                        "Fernández-Huerta reading ease {ease:.0}, below {:.0}; the hardest sentence is: {:?}",
                        config.min_ease_es,
                        hardest(sentences, |s| -fernandez_huerta(&[s]))
                    ),
                ));
            }
        }
        _ => {}
    }
    None
}

/// What every letter must say, each with the words that say it (any of
/// them): the balance, the date, how to reach and pay the practice, that
/// help exists, thanks; from the plan offer on, a plan's monthly amount.
fn required(letter: &Letter, config: &LintConfig) -> Vec<(&'static str, Vec<String>)> {
    let practice = &letter.practice;
    let mut required = vec![
        ("the balance", vec![letter.balance.clone()]),
        (
            "the due or reply-by date",
            vec![letter.reply_by.clone().unwrap_or_else(|| letter.due_date.clone())],
        ),
        ("the phone number", vec![practice.phone.clone()]),
        ("the office hours", vec![practice.hours.clone()]),
        ("the mailing address", practice.address.first().cloned().into_iter().collect()),
        ("a way to pay online", vec![practice.portal.clone()]),
        ("how to ask for financial assistance", vec![practice.assistance.clone()]),
        (
            "that financial assistance exists",
            config.assistance.get(&letter.language).cloned().unwrap_or_default(),
        ),
        ("thanks", config.thanks.get(&letter.language).cloned().unwrap_or_default()),
    ];
    if letter.stage >= Stage::PlanOffer {
        required.push((
            "a payment plan with its monthly amount",
            letter.plans.iter().map(|p| p.monthly.clone()).collect(),
        ));
    }
    required
}

/// The first sentence that contains a phrase, ignoring case on both sides
/// (the config's phrases may be written with capitals).
fn sentence_with<'a>(sentences: &'a [String], phrase: &str) -> Option<&'a String> {
    let phrase = phrase.to_lowercase();
    sentences.iter().find(|s| s.to_lowercase().contains(&phrase))
}

/// The words of the wording, without Typst markup: escapes resolved,
/// emphasis and calls like `#services` removed, list items as sentences.
pub fn plain_text(markup: &str) -> String {
    let mut out = String::with_capacity(markup.len());
    for line in markup.lines() {
        let line = line.trim();
        let line = line
            .strip_prefix("- ")
            .map(|item| format!("{item}."))
            .unwrap_or_else(|| line.to_string());
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => out.extend(chars.next()),
                '*' | '[' | ']' => {}
                '#' => {
                    while chars
                        .peek()
                        .is_some_and(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
                    {
                        chars.next();
                    }
                }
                _ => out.push(c),
            }
        }
        out.push('\n');
    }
    out
}

/// Splits text into sentences: at `.`, `!` or `?` followed by a space and a
/// capital letter, or at the end of a line. "a.m. to" and web addresses do
/// not end a sentence.
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let chars: Vec<char> = line.chars().collect();
        let mut start = 0;
        for i in 0..chars.len() {
            let ends = matches!(chars[i], '.' | '!' | '?' | ':')
                && chars.get(i + 1) == Some(&' ')
                && chars.get(i + 2).is_some_and(|c| c.is_uppercase() || *c == '¿' || *c == '¡');
            if ends {
                out.push(chars[start..=i].iter().collect::<String>());
                start = i + 2;
            }
        }
        out.push(chars[start..].iter().collect::<String>());
    }
    out.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| s.chars().any(char::is_alphabetic))
        .collect()
}

/// Words and syllables in some sentences, counting syllables one way.
fn words_and_syllables<S: AsRef<str>>(sentences: &[S], syllables: fn(&str) -> usize) -> (f64, f64) {
    let words = sentences
        .iter()
        .flat_map(|s| s.as_ref().split_whitespace())
        .filter(|w| w.chars().any(char::is_alphanumeric));
    let (n, total) = words.fold((0, 0), |(n, total), w| (n + 1, total + syllables(w)));
    (n as f64, total as f64)
}

/// Flesch-Kincaid grade level: 0.39 (words/sentences) + 11.8 (syllables/words) - 15.59.
pub fn flesch_kincaid_grade<S: AsRef<str>>(sentences: &[S]) -> f64 {
    let (words, syllables) = words_and_syllables(sentences, english_syllables);
    if words == 0.0 {
        return 0.0;
    }
    0.39 * words / sentences.len().max(1) as f64 + 11.8 * syllables / words - 15.59
}

/// Fernández-Huerta reading ease for Spanish: 206.84 - 0.60 P - 1.02 F, with
/// P syllables and F sentences per 100 words.
pub fn fernandez_huerta<S: AsRef<str>>(sentences: &[S]) -> f64 {
    let (words, syllables) = words_and_syllables(sentences, spanish_syllables);
    if words == 0.0 {
        return 100.0;
    }
    206.84 - 0.60 * syllables * 100.0 / words - 1.02 * sentences.len() as f64 * 100.0 / words
}

fn hardest(sentences: &[String], score: impl Fn(&str) -> f64) -> &str {
    sentences.iter().max_by(|a, b| score(a).total_cmp(&score(b))).map_or("", String::as_str)
}

/// Vowel groups, less a silent final "e"; numbers and symbols count as one.
pub fn english_syllables(word: &str) -> usize {
    let w: Vec<char> = word.to_lowercase().chars().filter(|c| c.is_alphabetic()).collect();
    if w.is_empty() {
        return 1;
    }
    let vowel = |c: char| "aeiouy".contains(c);
    let mut count: usize = 0;
    let mut previous = false;
    for &c in &w {
        let v = vowel(c);
        if v && !previous {
            count += 1;
        }
        previous = v;
    }
    let n = w.len();
    // A final "e" is silent ("bike"), except after a consonant and "l" ("table").
    let silent_e =
        n > 2 && w[n - 1] == 'e' && !vowel(w[n - 2]) && (w[n - 2] != 'l' || vowel(w[n - 3]));
    if silent_e {
        count -= 1;
    }
    if n > 3 && w.ends_with(&['e', 'd']) && !matches!(w[n - 3], 't' | 'd') && !vowel(w[n - 3]) {
        count = count.saturating_sub(1);
    }
    count.max(1)
}

/// Vowel groups, split where two strong vowels (a, e, o) or an accented í or
/// ú meet another vowel: the hiatus rule of Spanish syllables.
pub fn spanish_syllables(word: &str) -> usize {
    let w: Vec<char> = word.to_lowercase().chars().filter(|c| c.is_alphabetic()).collect();
    if w.is_empty() {
        return 1;
    }
    let vowel = |c: char| "aeiouáéíóúü".contains(c);
    let strong = |c: char| "aeoáéóíú".contains(c);
    let mut count = 0;
    let mut previous: Option<char> = None;
    for &c in &w {
        if vowel(c) {
            match previous {
                Some(p) if strong(p) && strong(c) => count += 1,
                Some(_) => {}
                None => count += 1,
            }
            previous = Some(c);
        } else {
            previous = None;
        }
    }
    count.max(1)
}

#[cfg(test)]
mod tests;
