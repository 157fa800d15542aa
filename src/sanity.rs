//! Checks that catch a run that is wrong as a whole while every row reads
//! well: a date mistyped, or a mapping that took the wrong column. Each is
//! a warning with its likely fix, in `validate` (table and JSON) and in the
//! run's summary. They count what the run already counts; none reads the
//! export again.

use chrono::NaiveDate;
use serde::Serialize;

/// What the checks look at, counted over the whole export.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub as_of: Option<NaiveDate>,
    /// Data rows read.
    pub rows: u64,
    /// Rows rejected because their service is dated after the as-of date.
    pub after_as_of: u64,
}

/// One thing that looks wrong, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub code: &'static str,
    pub message: String,
}

/// The checks' warnings, most likely cause first.
pub fn warnings(facts: &Facts) -> Vec<Warning> {
    let mut found = Vec::new();
    if let Some(as_of) = facts.as_of
        && facts.rows > 0
        && facts.after_as_of * 2 > facts.rows
    {
        found.push(Warning {
            code: "most_rows_after_as_of",
            message: format!(
                "{} of {} rows are dated after the as-of date {as_of} and were rejected: is --as-of right \
                 (YYYY-MM-DD)? If it is, the export's dates may be read the wrong way round (check date_formats)",
                facts.after_as_of, facts.rows
            ),
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_rows_after_the_as_of_date_is_a_warning_and_a_few_are_not() {
        let as_of = NaiveDate::from_ymd_opt(2026, 7, 12);
        let facts = |after_as_of| Facts { as_of, rows: 85, after_as_of };
        let warned = warnings(&facts(51));
        assert_eq!(warned.len(), 1);
        assert!(warned[0].message.starts_with("51 of 85 rows are dated after the as-of date 2026-07-12"));
        assert!(warnings(&facts(3)).is_empty());
        assert!(warnings(&Facts::default()).is_empty());
    }
}
