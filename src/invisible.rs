//! Characters that print as nothing. The export's cells are cleaned of
//! them (a name must print as it reads), a cell with nothing that prints
//! (a lone accent, a variation selector) is read as empty, and the
//! language notice's glyph check passes over them (they need no glyph).
//! One set, so that what kindly strips from a name and what it lets
//! through a notice unchecked are the same characters.

use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

/// Characters that print as nothing or change the direction of the text
/// around them: zero-width spaces and joiners, bidirectional marks,
/// embeddings, overrides (U+202E prints a name backwards) and isolates,
/// the soft hyphen, a stray byte-order mark and control characters other
/// than line breaks and tabs.
pub fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    ) || (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// Whether `text` puts anything on paper: a letter, digit, punctuation
/// mark or symbol. A text of spaces, combining marks (an accent with
/// nothing to sit on, a variation selector) and format characters alone
/// prints as a blank, though it is not empty.
pub fn prints(text: &str) -> bool {
    text.chars().any(|c| {
        c.is_ascii_graphic()
            || !matches!(
                c.general_category_group(),
                GeneralCategoryGroup::Mark
                    | GeneralCategoryGroup::Other
                    | GeneralCategoryGroup::Separator
            )
    })
}

/// How a message names a character: `U+0301`, the one way to name a
/// character that prints as nothing, or that no font has.
pub fn code_point(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_and_format_characters_alone_print_nothing() {
        for blank in ["\u{E0100}", "\u{200B}", "\u{0301}", " \u{0301}\u{FE0F} ", "\u{E0041}", ""] {
            assert!(!prints(blank), "{blank:?} prints");
        }
        for text in ["a", "\u{0301}e", "7", "-", "\u{FECB}", "李", "\u{1F600}"] {
            assert!(prints(text), "{text:?} prints nothing");
        }
    }

    #[test]
    fn direction_overrides_and_isolates_are_invisible_letters_are_not() {
        for c in ['\u{202E}', '\u{2066}', '\u{2069}', '\u{200B}', '\u{00AD}', '\u{0007}'] {
            assert!(invisible(c), "{c:?}");
        }
        for c in ['a', '\t', '\n', '\u{0301}', '\u{0639}'] {
            assert!(!invisible(c), "{c:?}");
        }
    }
}
