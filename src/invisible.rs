//! Characters that print as nothing. The export's cells are cleaned of
//! them (a name must print as it reads), and the language notice's glyph
//! check passes over them (they need no glyph). One set, so that what
//! kindly strips from a name and what it lets through a notice unchecked
//! are the same characters.

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

#[cfg(test)]
mod tests {
    use super::*;

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
