//! Unit tests of [`super`] (`src/proof.rs`), kept beside it in a file of their
//! own so that the module reads as one idea.

use super::*;

fn kind(stage: Stage, language: &str) -> Kind {
    Kind { stage, language: language.to_string(), print: Variant::Standard, wording: String::new() }
}

#[test]
fn the_picker_takes_each_kind_once_and_the_first_middle_and_last() {
    let mut picker = Picker::new(7);
    let offered = [
        kind(Stage::Reminder, "en"),
        kind(Stage::Reminder, "en"),
        kind(Stage::Reminder, "es"),
        kind(Stage::Reminder, "en"),
        kind(Stage::FinalNotice, "en"),
        kind(Stage::Reminder, "en"),
        kind(Stage::Reminder, "en"),
    ];
    let chosen: Vec<(usize, Vec<String>)> = offered
        .iter()
        .enumerate()
        .map(|(i, k)| (i, picker.offer(k)))
        .filter(|(_, w)| !w.is_empty())
        .collect();
    let at: Vec<usize> = chosen.iter().map(|(i, _)| *i).collect();
    assert_eq!(at, [0, 2, 3, 4, 6]);
    assert_eq!(
        chosen[0].1,
        ["the run's first letter", "the first reminder letter in en, standard print"]
    );
    assert_eq!(chosen[2].1, ["the run's middle letter (4 of 7)"]);
    assert_eq!(chosen[4].1, ["the run's last letter (7 of 7)"]);
    assert_eq!(picker.letters[&(Stage::Reminder, "en".to_string())], 5);
}

#[test]
fn one_letter_is_first_and_not_also_last() {
    let mut picker = Picker::new(1);
    assert_eq!(picker.offer(&kind(Stage::Reminder, "en")).len(), 2);
}
