//! What USPS reads as a ZIP code, for every reader of addresses (the
//! export's columns, the confidential-address file): one rule, so the two
//! never accept different ZIPs. Leaf module: imports nothing of kindly's.

/// Whether `zip` is a five-digit ZIP or a ZIP+4 (`97477-1234`).
pub fn is_zip(zip: &str) -> bool {
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    match zip.split_once('-') {
        None => zip.len() == 5 && digits(zip),
        Some((five, four)) => five.len() == 5 && four.len() == 4 && digits(five) && digits(four),
    }
}
