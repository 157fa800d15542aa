//! The one reader of dates that people type or that small files hold: the
//! hold list's `until`, a returns file's `date`, and `--as-of`, `--date` and
//! `--on` on the command line. ISO (`2026-12-07`, also `2026-12-7`), or the
//! US form spreadsheets write (`12/7/2026`); a returns file's timestamps
//! (`2026-12-07T10:15:00Z`) are read by their date. A two-digit year or a
//! day-first date (`07/12/2026` in much of the world) is never guessed at:
//! the message says which forms are read. (The export's own dates follow
//! the mapping's `date_formats`.) Leaf module: imports nothing of kindly's.

use chrono::NaiveDate;

/// The forms [`parse`] reads, for messages.
pub const FORMS: &str = "a date like 2026-12-07 or 12/07/2026";

/// A date as a person or a spreadsheet wrote it, or what is wrong with it.
pub fn parse(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    let date =
        text.get(..10).filter(|_| text.len() > 10 && text.as_bytes()[10] == b'T').unwrap_or(text);
    ["%Y-%m-%d", "%m/%d/%Y"].iter().find_map(|form| {
        NaiveDate::parse_from_str(date, form)
            .ok()
            .filter(|_| four_digit_year(date, form.starts_with("%Y")))
    })
}

/// chrono's `%Y` also takes a year of one to three digits (`26-12-07`):
/// a year is written in full or it is not read.
fn four_digit_year(text: &str, year_first: bool) -> bool {
    let year = if year_first { text.split('-').next() } else { text.rsplit('/').next() };
    year.is_some_and(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))
}

/// [`parse`] for a command-line argument: the error says what is read.
pub fn parse_given(text: &str) -> Result<NaiveDate, String> {
    parse(text).ok_or_else(|| format!("{text:?} is not {FORMS}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_and_us_dates_are_read_and_nothing_is_guessed() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        for text in [
            "2026-12-07",
            "2026-12-7",
            " 2026-12-07 ",
            "12/07/2026",
            "12/7/2026",
            "2026-12-07T10:15:00Z",
        ] {
            assert_eq!(parse(text), Some(day), "{text}");
        }
        for text in
            ["07.12.2026", "12/07/26", "26-12-07", "2026-13-01", "Dec 7, 2026", "", "2026-12-07x"]
        {
            assert_eq!(parse(text), None, "{text}");
        }
        assert_eq!(
            parse_given("12/07/26").unwrap_err(),
            "\"12/07/26\" is not a date like 2026-12-07 or 12/07/2026"
        );
    }
}
