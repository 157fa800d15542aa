//! Procedure and diagnosis codes in a service's description. Letters name a
//! service in plain words and print no codes: a patient does not know
//! `99213`, and a diagnosis code on a letter tells whoever opens it more
//! than the patient chose to share. Billing systems often put the code in
//! the description (`99213 - Office visit`, `Z00.00 Annual exam`,
//! `CPT: 80053 Metabolic panel`), so ingest takes it out and says so.
//!
//! What counts as a code, by shape: a CPT code (five digits, or four and
//! `F` or `T`), with or without a modifier (`99213-25`); an HCPCS code (a
//! letter and four digits, `J1100`); an ICD-10 code with its dot (`E11.9`),
//! or without one right after a marker (`Dx I10`). Markers (`CPT`, `HCPCS`,
//! `ICD-10`, `Dx`...) go with the code after them. Shorter letter-and-digit
//! words such as `B12` or `COVID-19` are words, not codes.

/// The description without its codes, or `None` if it has none. A marker
/// goes with the code right after it, also when that code comes next only
/// because the words between were codes taken out (`CPT Dx I10`).
pub fn without_codes(text: &str) -> Option<String> {
    // Empty brackets are what is left of `(99213)`; dropped before the
    // words are read, so they never stand between a marker and its code.
    let words = text.split_whitespace().filter(|w| !matches!(*w, "()" | "[]"));
    let mut kept: Vec<&str> = Vec::new();
    let mut removed = false;
    for word in words {
        let bare_word = bare(word);
        let after_marker = kept.last().is_some_and(|w| is_marker(bare(w)));
        if is_code(bare_word) || (after_marker && is_undotted_icd(bare_word)) {
            if after_marker {
                kept.pop();
            }
            removed = true;
        } else {
            kept.push(word);
        }
    }
    removed.then(|| tidy(&kept.join(" ")))
}

/// A word without the punctuation that sits around a code in a list.
fn bare(word: &str) -> &str {
    word.trim_matches(|c: char| {
        matches!(c, '-' | '–' | ',' | ';' | ':' | '(' | ')' | '[' | ']' | '/' | '|')
    })
}

fn is_marker(word: &str) -> bool {
    const MARKERS: &[&str] = &[
        "CPT",
        "HCPCS",
        "ICD",
        "ICD10",
        "ICD-10",
        "ICD-10-CM",
        "ICD9",
        "ICD-9",
        "DX",
        "DIAG",
        "DIAGNOSIS",
        "PROC",
    ];
    MARKERS.iter().any(|m| m.eq_ignore_ascii_case(word))
}

fn is_code(word: &str) -> bool {
    let (code, modifier) = word.split_once('-').unwrap_or((word, ""));
    let modifier_ok = modifier.is_empty()
        || (modifier.len() == 2 && modifier.bytes().all(|b| b.is_ascii_alphanumeric()));
    (modifier_ok && (is_cpt(code) || is_hcpcs(code))) || is_dotted_icd(word)
}

fn is_cpt(word: &str) -> bool {
    let b = word.as_bytes();
    b.len() == 5
        && b[..4].iter().all(u8::is_ascii_digit)
        && (b[4].is_ascii_digit() || matches!(b[4], b'F' | b'T'))
}

fn is_hcpcs(word: &str) -> bool {
    let b = word.as_bytes();
    b.len() == 5 && (b'A'..=b'V').contains(&b[0]) && b[1..].iter().all(u8::is_ascii_digit)
}

/// `E11.9`, `Z00.00`, `S72.001A`: a letter, two digits or a digit and a
/// letter, a dot and one to four letters or digits.
fn is_dotted_icd(word: &str) -> bool {
    let Some((head, tail)) = word.split_once('.') else { return false };
    is_undotted_icd(head)
        && head.len() == 3
        && (1..=4).contains(&tail.len())
        && tail.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// `I10`, `E119`: an ICD-10 code written without its dot, which only a
/// marker before it tells from a word.
fn is_undotted_icd(word: &str) -> bool {
    let b = word.as_bytes();
    (3..=7).contains(&b.len())
        && b[0].is_ascii_uppercase()
        && b[1].is_ascii_digit()
        && b[2..].iter().all(u8::is_ascii_alphanumeric)
}

/// What is left after the codes, without separators at its ends.
fn tidy(text: &str) -> String {
    text.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, '-' | '–' | ':' | ';' | ',' | '/' | '|')
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::{bare, is_code, without_codes};
    use proptest::prelude::*;

    proptest! {
        /// Whatever the text, no code is left in what prints, and taking
        /// codes out again changes nothing.
        #[test]
        fn no_code_is_left(text in "((99213|E11\\.9|J1100|Dx I10|CPT|\\(|\\)|-|[A-Za-z0-9.,:()-]{1,8}) ?){0,8}") {
            if let Some(plain) = without_codes(&text) {
                prop_assert!(!plain.split_whitespace().any(|w| is_code(bare(w))), "{text:?} -> {plain:?}");
                prop_assert_eq!(without_codes(&plain), None, "{:?} -> {:?}", text, plain);
            }
        }
    }

    #[test]
    fn codes_come_out_and_words_stay() {
        for (written, printed) in [
            ("99213 - Office visit", Some("Office visit")),
            ("Office visit (99213)", Some("Office visit")),
            ("CPT: 80053 Metabolic panel", Some("Metabolic panel")),
            ("99214-25 Established patient visit", Some("Established patient visit")),
            ("Z00.00 Annual exam", Some("Annual exam")),
            ("Follow-up visit, Dx: I10", Some("Follow-up visit")),
            ("Flu shot G0008 / Z23", Some("Flu shot / Z23")),
            ("J1100 Injection", Some("Injection")),
            ("0042T", Some("")),
            ("Vitamin B12 injection", None),
            ("COVID-19 vaccine", None),
            ("X-ray, 2 views", None),
            ("Lab work", None),
            ("Dx review", None),
            ("CPT Dx I10Dx I10 9921399213", Some("9921399213")),
            ("CPT () I10 visit", Some("visit")),
        ] {
            assert_eq!(without_codes(written).as_deref(), printed, "{written:?}");
        }
    }
}
