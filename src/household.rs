//! Who shares an envelope: accounts whose guarantor has the same name and
//! mailing address, compared the way a mail clerk would. Case, spacing and
//! punctuation do not count, USPS street suffixes, directions and unit
//! words are read in their standard short form (`Street` = `St.`,
//! `Apartment 4` = `Apt 4` = `#4`), and only the five-digit ZIP counts (one
//! export may have the ZIP+4 where another row has not).
//!
//! The key is also what shards hash, so a household never splits between
//! shards, and what regroups the export's partitions when householding is
//! on, so a household's accounts are decided together.

use crate::model::{Account, Guarantor};

/// USPS street suffixes (Publication 28, appendix C1) and directions, long
/// form to standard abbreviation: the forms exports actually use.
const SHORT_FORMS: &[(&str, &str)] = &[
    ("ALLEY", "ALY"),
    ("AVENUE", "AVE"),
    ("AV", "AVE"),
    ("BOULEVARD", "BLVD"),
    ("CIRCLE", "CIR"),
    ("COURT", "CT"),
    ("COVE", "CV"),
    ("CROSSING", "XING"),
    ("DRIVE", "DR"),
    ("EXPRESSWAY", "EXPY"),
    ("FREEWAY", "FWY"),
    ("HIGHWAY", "HWY"),
    ("LANE", "LN"),
    ("LOOP", "LOOP"),
    ("PARKWAY", "PKWY"),
    ("PLACE", "PL"),
    ("PLAZA", "PLZ"),
    ("POINT", "PT"),
    ("ROAD", "RD"),
    ("ROUTE", "RTE"),
    ("SQUARE", "SQ"),
    ("STREET", "ST"),
    ("STR", "ST"),
    ("TERRACE", "TER"),
    ("TRAIL", "TRL"),
    ("TURNPIKE", "TPKE"),
    ("NORTH", "N"),
    ("SOUTH", "S"),
    ("EAST", "E"),
    ("WEST", "W"),
    ("NORTHEAST", "NE"),
    ("NORTHWEST", "NW"),
    ("SOUTHEAST", "SE"),
    ("SOUTHWEST", "SW"),
    ("POST", "PO"),
    ("OFFICE", ""),
    ("BOX", "BOX"),
];

/// Secondary unit designators (Publication 28, appendix C2): any of them
/// before a number reads as `#`, since one export writes `Apt 4` where
/// another writes `Unit 4` or `#4` for the same door.
const UNIT_WORDS: &[&str] = &[
    "APARTMENT",
    "APT",
    "UNIT",
    "SUITE",
    "STE",
    "SPACE",
    "SPC",
    "LOT",
    "TRAILER",
    "TRLR",
    "BUILDING",
    "BLDG",
    "ROOM",
    "RM",
    "NUMBER",
    "NO",
    "#",
];

/// The words of a text in upper case, punctuation dropped (`#` kept as a
/// word of its own, for units).
fn words(text: &str) -> Vec<String> {
    let mut spaced = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        if c == '#' {
            spaced.push_str(" # ");
        } else if c.is_alphanumeric() {
            spaced.extend(c.to_uppercase());
        } else if c.is_whitespace() || c == '-' || c == '/' || c == ',' {
            spaced.push(' ');
        }
        // Other punctuation (the period of `St.`, apostrophes) goes.
    }
    spaced.split_whitespace().map(str::to_string).collect()
}

/// A street address in standard form: `1200 Willow Creek Road, Apartment 4`
/// and `1200 willow creek rd #4` both read `1200 WILLOW CREEK RD # 4`.
pub fn street(lines: &[String]) -> String {
    let mut out: Vec<String> = Vec::new();
    for word in lines.iter().flat_map(|line| words(line)) {
        if UNIT_WORDS.contains(&word.as_str()) {
            if out.last().is_none_or(|w| w != "#") {
                out.push("#".to_string());
            }
            continue;
        }
        match SHORT_FORMS.iter().find(|(long, _)| *long == word) {
            Some((_, "")) => {}
            Some((_, short)) => out.push(short.to_string()),
            None => out.push(word),
        }
    }
    out.join(" ")
}

/// The key that puts a guarantor's accounts in one envelope: the five-digit
/// ZIP first (so that households sort in ZIP order), then street, city,
/// state and name, each in standard form.
pub fn key(guarantor: &Guarantor) -> String {
    let a = &guarantor.address;
    let zip5: String = a.zip.chars().take_while(char::is_ascii_digit).take(5).collect();
    [
        zip5,
        street(&a.street),
        words(&a.city).join(" "),
        words(&a.state).join(" "),
        words(&guarantor.name).join(" "),
    ]
    .join("|")
}

/// The key of one envelope: the household's, then the account's preferred
/// language. A guarantor whose accounts ask for different languages gets a
/// letter in each, rather than one letter in the language of whichever
/// account came first. An account readdressed at the patient's request
/// ([`crate::confidential`]) has an envelope of its own, even beside
/// another account at the same address: what the patient asked to keep
/// apart is never put in a letter with anything else.
pub fn envelope_key(account: &Account) -> String {
    let household = key(&account.guarantor);
    if account.confidential_address() {
        format!("{household}|confidential {}|{}", account.id, account.language)
    } else {
        format!("{household}|{}", account.language)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Address;

    fn guarantor(name: &str, street: &[&str], zip: &str) -> Guarantor {
        let street = street.iter().map(|s| s.to_string()).collect();
        Guarantor {
            name: name.into(),
            latin_name: None,
            address: Address { street, city: "Eugene".into(), state: "OR".into(), zip: zip.into() },
        }
    }

    #[test]
    fn an_address_written_two_ways_is_one_household() {
        let pairs = [
            (
                &["1200 Willow Creek Road", "Apartment 4"][..],
                &["1200 WILLOW CREEK RD.", "Apt 4"][..],
            ),
            (&["12 North Elm Street #4"], &["12 N. Elm St., Unit 4"]),
            (&["PO Box 77"], &["P.O. Box 77"]),
            (&["PO Box 77"], &["Post Office Box 77"]),
            (&["9 Oak  Avenue"], &["9 oak ave"]),
        ];
        for (a, b) in pairs {
            assert_eq!(
                key(&guarantor("Ana Ruiz", a, "97401")),
                key(&guarantor("ANA  RUIZ", b, "97401-1234")),
                "{a:?} {b:?}"
            );
        }
    }

    #[test]
    fn other_people_or_doors_are_other_households() {
        let home = key(&guarantor("Ana Ruiz", &["12 Elm St", "Apt 4"], "97401"));
        assert_ne!(home, key(&guarantor("Luis Ruiz", &["12 Elm St", "Apt 4"], "97401")));
        assert_ne!(home, key(&guarantor("Ana Ruiz", &["12 Elm St", "Apt 5"], "97401")));
        assert_ne!(home, key(&guarantor("Ana Ruiz", &["12 Elm Ave", "Apt 4"], "97401")));
        assert_ne!(home, key(&guarantor("Ana Ruiz", &["12 Elm St", "Apt 4"], "97402")));
    }

    #[test]
    fn the_key_starts_with_the_zip_code() {
        assert!(
            key(&guarantor("Ana Ruiz", &["12 Elm St"], "97401-1234"))
                .starts_with("97401|12 ELM ST|")
        );
    }
}
