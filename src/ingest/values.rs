//! The small parsers of one value each: dates, yes/no flags, ZIP codes,
//! languages.

use chrono::{Datelike, NaiveDate};

use crate::config::FlagCodes;

/// Tries each configured format in turn.
pub fn parse_date(text: &str, formats: &[String]) -> Result<NaiveDate, String> {
    // `%Y` reads `26` as the year 26, so a year before 1900 means "try the
    // next format" (`%y`), not "no date".
    formats
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(text, f).ok().filter(|d| d.year() >= 1900))
        .ok_or_else(|| {
            let shown: Vec<String> = formats
                .iter()
                .map(|f| {
                    f.replace("%Y", "YYYY")
                        .replace("%y", "YY")
                        .replace("%m", "MM")
                        .replace("%d", "DD")
                })
                .collect();
            format!("{text:?} is not a date in the accepted formats ({})", shown.join(", "))
        })
}

pub(super) fn parse_flag(text: &str, codes: &FlagCodes) -> Result<bool, String> {
    let matches = |list: &[String]| list.iter().any(|c| c.trim().eq_ignore_ascii_case(text));
    if matches(&codes.yes) {
        Ok(true)
    } else if text.is_empty() || matches(&codes.no) {
        Ok(false)
    } else {
        fn listed(list: &[String]) -> String {
            list.iter().map(|c| c.trim()).filter(|c| !c.is_empty()).collect::<Vec<_>>().join("/")
        }
        let yes = match listed(&codes.yes) {
            none if none.is_empty() => "nothing".to_string(),
            codes => codes,
        };
        let no = match listed(&codes.no) {
            none if none.is_empty() => "an empty cell".to_string(),
            codes => format!("{codes} or an empty cell"),
        };
        Err(format!(
            "{text:?} is not a yes/no value: {yes} means yes and {no} means no ([input.flags] in the config, or \
             [flags] in a mapping file)"
        ))
    }
}

/// ZIP+4 as several billing systems store it, nine digits without the
/// hyphen (`787042231`), written as USPS and the vendors take it
/// (`78704-2231`); anything else as it is.
pub(super) fn zip_plus_four(zip: String) -> String {
    if zip.len() == 9 && zip.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}-{}", &zip[..5], &zip[5..])
    } else {
        zip
    }
}

pub(super) fn normalise_language(text: &str) -> String {
    match text.trim().to_lowercase().as_str() {
        "" | "en" | "eng" | "english" => "en".into(),
        "es" | "spa" | "spanish" | "español" | "espanol" => "es".into(),
        other => other.to_string(),
    }
}
