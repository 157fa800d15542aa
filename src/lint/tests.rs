//! Unit tests of [`super`] (`src/lint.rs`), kept beside it in a file of their
//! own so that the module reads as one idea.

use super::*;
use crate::money::Cents;

#[test]
fn english_syllables_on_known_words() {
    for (word, n) in [
        ("bill", 1),
        ("balance", 2),
        ("payment", 2),
        ("assistance", 3),
        ("financial", 3),
        ("available", 4),
        ("table", 2),
        ("paid", 1),
        ("owed", 1),
        ("$102.50", 1),
    ] {
        assert_eq!(english_syllables(word), n, "{word}");
    }
}

#[test]
fn spanish_syllables_on_known_words() {
    for (word, n) in [
        ("pago", 2),
        ("factura", 3),
        ("asistencia", 4),
        ("financiera", 4),
        ("día", 2),
        ("teléfono", 4),
        ("cuenta", 2),
        ("leer", 2),
    ] {
        assert_eq!(spanish_syllables(word), n, "{word}");
    }
}

#[test]
fn reading_scores_on_known_passages() {
    // Short, plain sentences score low; a long legal sentence scores high.
    let plain = sentences("We know bills can be hard. Please call us. We are glad to help.");
    assert!(flesch_kincaid_grade(&plain) < 3.0, "{}", flesch_kincaid_grade(&plain));
    let legal = sentences(
        "Notwithstanding any previous correspondence, the aforementioned outstanding obligation remains \
         immediately due and payable in accordance with the applicable contractual provisions.",
    );
    assert!(flesch_kincaid_grade(&legal) > 14.0, "{}", flesch_kincaid_grade(&legal));
    let facil = sentences("Su saldo es de cien dólares. Llámenos hoy. Con gusto le ayudamos.");
    assert!(fernandez_huerta(&facil) > 70.0, "{}", fernandez_huerta(&facil));
    let dificil = sentences(
        "No obstante cualquier comunicación anterior, la obligación pendiente anteriormente mencionada \
         permanece inmediatamente exigible conforme a las disposiciones contractuales aplicables.",
    );
    assert!(fernandez_huerta(&dificil) < 40.0, "{}", fernandez_huerta(&dificil));
}

#[test]
fn plain_text_drops_markup_and_keeps_escaped_characters() {
    let text = plain_text(
        "Dear Zo\\ë O\\'Brien,\n\n*Ways to pay:* #with-qr[online at pay\\.x\\.example]\n#services\n- 3 monthly payments of \\$10\\.00",
    );
    assert_eq!(
        text,
        "Dear Zoë O'Brien,\n\nWays to pay: online at pay.x.example\n\n3 monthly payments of $10.00.\n"
    );
}

#[test]
fn sentences_do_not_split_at_abbreviations_or_addresses() {
    let s = sentences(
        "Call us at 8 a.m. to 5 p.m. any day. Pay at pay.example.com today! Gracias. ¿Preguntas? Sí.",
    );
    assert_eq!(
        s,
        [
            "Call us at 8 a.m. to 5 p.m. any day.",
            "Pay at pay.example.com today!",
            "Gracias.",
            "¿Preguntas?",
            "Sí."
        ]
    );
}

#[test]
fn credit_reporting_follows_balance_age_and_state() {
    let c = LintConfig::default();
    assert!(c.credit_reporting_possible(Cents(60000), 400, "OR"));
    assert!(!c.credit_reporting_possible(Cents(49999), 400, "OR"));
    assert!(!c.credit_reporting_possible(Cents(60000), 364, "OR"));
    for state in ["CO", "ny", "CA"] {
        assert!(!c.credit_reporting_possible(Cents(60000), 400, state));
    }
    assert_eq!(c.credit_language("We may tell the Credit Bureau."), Some("credit bureau"));
}
