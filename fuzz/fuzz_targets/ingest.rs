//! Fuzzes the whole ingest path (encodings, delimiters, CSV, fields, money,
//! dates, checks) with the default mapping and two others, chosen by the
//! first byte. Ingest must never panic, and every row it reads must end up
//! in an account or among the rejects.
#![no_main]

use kindly::config::{Delimiter, Encoding, Input};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&choice, bytes)) = data.split_first() else { return };
    let mut input = Input::default();
    input.encoding = match choice % 4 {
        0 => Encoding::Auto,
        1 => Encoding::Windows1252,
        2 => Encoding::Utf16Le,
        _ => Encoding::Utf8,
    };
    input.delimiter = match (choice / 4) % 3 {
        0 => Delimiter::Auto,
        1 => Delimiter::Char(b';'),
        _ => Delimiter::Char(b'\t'),
    };
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    if let Ok(export) = kindly::ingest::read_export_from("fuzz.csv", bytes, &input, as_of) {
        let kept: usize = export.accounts.iter().map(|a| a.charges.len()).sum();
        assert_eq!(kept as u64 + export.rejects.len() as u64, export.rows);
    }
});
