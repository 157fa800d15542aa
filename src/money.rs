//! Money as integer cents. Billing exports write amounts in many ways; all of
//! them parse exactly here, and nothing in kindly ever holds money as a float.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An amount of money in US cents. Negative amounts are credits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cents(pub i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("{0:?} is not an amount of money (expected e.g. 1234.56, $1,234.56 or (25.00))")]
    Unreadable(String),
    #[error(
        "{0:?} is more than any one amount kindly accepts ({max}); check that the column mapped here holds money",
        max = Cents::LARGEST
    )]
    TooLarge(String),
}

impl Cents {
    pub const ZERO: Cents = Cents(0);

    /// The largest charge, payment, adjustment or balance kindly reads from
    /// an export: $99,999,999.99, far past any medical bill. Capping each
    /// amount is what keeps every sum exact: i64 cents would need over 900
    /// million such amounts in one total to overflow, where two uncapped
    /// charges of $92,233,720,368,547,758.07 wrapped round to a two-cent
    /// credit.
    pub const LARGEST: Cents = Cents(9_999_999_999);

    pub fn from_dollars(dollars: i64) -> Cents {
        Cents(dollars * 100)
    }

    /// Parses `1234.56`, `1,234.56`, `$1,234.56`, `-25.00`, `(25.00)`,
    /// `25.00-`, `25.00 CR` and `25`. At most two decimal places: a third
    /// would have to be rounded, and rounding someone's balance silently is
    /// not ours to do.
    pub fn parse(text: &str) -> Result<Cents, MoneyError> {
        let err = || MoneyError::Unreadable(text.to_string());
        let too_large = || MoneyError::TooLarge(text.to_string());
        let mut s = text.trim();
        let mut negative = false;
        // Accounting systems mark credits after the amount.
        if let Some(rest) =
            s.strip_suffix("CR").or_else(|| s.strip_suffix("cr")).or_else(|| s.strip_suffix('-'))
        {
            negative = true;
            s = rest.trim_end();
        }
        if let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
            if negative {
                return Err(err());
            }
            negative = true;
            s = inner.trim();
        }
        if let Some(rest) = s.strip_prefix('-') {
            if negative {
                return Err(err());
            }
            negative = true;
            s = rest.trim_start();
        }
        s = s.strip_prefix('$').unwrap_or(s);
        if s.is_empty() {
            return Err(err());
        }
        let (whole, frac) = match s.split_once('.') {
            Some((w, f)) => (w, f),
            None => (s, ""),
        };
        if frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        if whole.is_empty() && frac.is_empty() {
            return Err(err());
        }
        let digits = strip_thousands(whole).ok_or_else(err)?;
        let mut cents: i64 = 0;
        for b in digits.bytes().chain(frac.bytes()).chain("00"[frac.len()..].bytes()) {
            cents = cents
                .checked_mul(10)
                .and_then(|c| c.checked_add(i64::from(b - b'0')))
                .ok_or_else(too_large)?;
        }
        Ok(Cents(if negative { -cents } else { cents }))
    }

    /// An amount as an export writes it: as [`Cents::parse`] reads it, and
    /// no larger than [`Cents::LARGEST`] either way.
    pub fn parse_amount(text: &str) -> Result<Cents, MoneyError> {
        let cents = Cents::parse(text)?;
        if cents.0.abs() > Cents::LARGEST.0 {
            return Err(MoneyError::TooLarge(text.to_string()));
        }
        Ok(cents)
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// `amount / parts`, rounded up to the cent so that `parts` payments never
    /// fall short of the amount.
    pub fn div_ceil(self, parts: i64) -> Cents {
        Cents((self.0 + parts - 1).div_euclid(parts))
    }
}

/// Accepts `1,234` but not `1,23,4` or `,123`: a misplaced separator usually
/// means a column was split wrongly, and guessing would invent money.
fn strip_thousands(whole: &str) -> Option<String> {
    if whole.is_empty() {
        return Some(String::new());
    }
    let groups: Vec<&str> = whole.split(',').collect();
    let ok = groups.iter().enumerate().all(|(i, g)| {
        g.bytes().all(|b| b.is_ascii_digit())
            && if i == 0 {
                !g.is_empty() && (groups.len() == 1 || g.len() <= 3)
            } else {
                g.len() == 3
            }
    });
    ok.then(|| groups.concat())
}

impl fmt::Display for Cents {
    /// `$1,234.56`, and `-$25.00` for credits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}${}.{:02}", thousands(abs / 100), abs % 100)
    }
}

/// `12,345`: a whole number with its thousands grouped, as letters and
/// reports print counts and dollars.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    grouped
}

impl Add for Cents {
    type Output = Cents;
    fn add(self, rhs: Cents) -> Cents {
        Cents(self.0 + rhs.0)
    }
}

impl AddAssign for Cents {
    fn add_assign(&mut self, rhs: Cents) {
        self.0 += rhs.0;
    }
}

impl Sub for Cents {
    type Output = Cents;
    fn sub(self, rhs: Cents) -> Cents {
        Cents(self.0 - rhs.0)
    }
}

impl Neg for Cents {
    type Output = Cents;
    fn neg(self) -> Cents {
        Cents(-self.0)
    }
}

impl Sum for Cents {
    fn sum<I: Iterator<Item = Cents>>(iter: I) -> Cents {
        iter.fold(Cents::ZERO, Add::add)
    }
}

/// In config files and JSON, money is written as a string like `"10.00"` so a
/// billing manager never meets a float.
impl Serialize for Cents {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        s.serialize_str(&format!("{sign}{}.{:02}", abs / 100, abs % 100))
    }
}

impl<'de> Deserialize<'de> for Cents {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Cents, D::Error> {
        let text = String::deserialize(d)?;
        Cents::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_ways_exports_write_money() {
        for (text, cents) in [
            ("1234.56", 123456),
            ("1,234.56", 123456),
            ("$1,234.56", 123456),
            ("(25.00)", -2500),
            ("-25.00", -2500),
            ("-$25.00", -2500),
            ("25", 2500),
            ("25.5", 2550),
            (".5", 50),
            (" 0.00 ", 0),
            ("1,000,000.01", 100000001),
            ("25.00-", -2500),
            ("25.00 CR", -2500),
            ("$1,025.00CR", -102500),
        ] {
            assert_eq!(Cents::parse(text), Ok(Cents(cents)), "{text}");
        }
    }

    #[test]
    fn rejects_what_would_need_a_guess() {
        for text in [
            "", "abc", "1.234", "1,23.00", ",123", "12,34", "--5", "(-5)", "$", "1e3", ".", "-5-",
            "(5) CR", "CR", "5 DR",
        ] {
            assert!(Cents::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn rejects_amounts_too_large_to_add_up_exactly() {
        assert_eq!(Cents::parse_amount("$99,999,999.99"), Ok(Cents::LARGEST));
        assert_eq!(Cents::parse_amount("(99,999,999.99)"), Ok(-Cents::LARGEST));
        for text in [
            "100,000,000.00",
            "92233720368547758.07",
            "-92233720368547758.07",
            "99999999999999999999.99",
        ] {
            assert_eq!(
                Cents::parse_amount(text),
                Err(MoneyError::TooLarge(text.to_string())),
                "{text}"
            );
        }
        assert_eq!(
            Cents::parse("100,000,000.00"),
            Ok(Cents(10_000_000_000)),
            "a total may be larger"
        );
        assert!(matches!(Cents::parse("99999999999999999999.99"), Err(MoneyError::TooLarge(_))));
        let message = MoneyError::TooLarge("100000000".into()).to_string();
        assert!(message.contains("$99,999,999.99"), "{message}");
    }

    #[test]
    fn displays_as_a_patient_reads_it() {
        assert_eq!(Cents(123456).to_string(), "$1,234.56");
        assert_eq!(Cents(5).to_string(), "$0.05");
        assert_eq!(Cents(-2500).to_string(), "-$25.00");
        assert_eq!(Cents(100000000).to_string(), "$1,000,000.00");
    }

    #[test]
    fn div_ceil_never_falls_short() {
        assert_eq!(Cents(10000).div_ceil(3), Cents(3334));
        assert_eq!(Cents(9000).div_ceil(3), Cents(3000));
    }

    proptest! {
        #[test]
        fn display_round_trips(c in -10_000_000_000i64..10_000_000_000) {
            prop_assert_eq!(Cents::parse(&Cents(c).to_string()), Ok(Cents(c)));
        }

        #[test]
        fn serde_form_round_trips(c in -10_000_000_000i64..10_000_000_000) {
            let json = serde_json::to_string(&Cents(c)).unwrap();
            prop_assert_eq!(serde_json::from_str::<Cents>(&json).unwrap(), Cents(c));
        }

        #[test]
        fn never_panics(s in "\\PC{0,24}") {
            let _ = Cents::parse(&s);
        }
    }
}
