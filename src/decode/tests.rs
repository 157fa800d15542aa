//! Unit tests of [`super`] (`src/decode.rs`), kept beside it in a file of their
//! own so that the module reads as one idea.

use super::*;

#[test]
fn a_record_s_line_counts_the_breaks_before_it() {
    let text = b"a,b\r\n1,2\r\n\r\n3,4\n5,6";
    let mut reader = csv::ReaderBuilder::new().from_reader(&text[..]);
    let lines: Vec<u64> = reader
        .byte_records()
        .map(|r| line_at(text, r.unwrap().position().unwrap().byte()))
        .collect();
    assert_eq!(lines, [2, 4, 5]);
}

fn text(bytes: &[u8], encoding: Encoding) -> (String, u8) {
    let mut p = prepare(bytes, encoding, Delimiter::Auto).unwrap();
    let mut out = Vec::new();
    p.reader.read_to_end(&mut out).unwrap();
    (p.fields.decode(&out).unwrap().into_owned(), p.delimiter)
}

#[test]
fn byte_order_marks_choose_the_encoding() {
    assert_eq!(text(b"\xEF\xBB\xBFa;b\n", Encoding::Auto), ("a;b\n".into(), b';'));
    let utf16le: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain("Zoë\tx\n".encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    assert_eq!(text(&utf16le, Encoding::Auto), ("Zoë\tx\n".into(), b'\t'));
    let utf16be: Vec<u8> =
        [0xFE, 0xFF].into_iter().chain("a|b".encode_utf16().flat_map(u16::to_be_bytes)).collect();
    assert_eq!(text(&utf16be, Encoding::Auto), ("a|b".into(), b'|'));
}

#[test]
fn windows_1252_is_read_when_asked_and_named_when_not() {
    assert_eq!(text(b"Zo\xEB,N\xFA\xF1ez", Encoding::Windows1252).0, "Zoë,Núñez");
    let err = FieldText::Utf8.decode(b"Zo\xEB").unwrap_err();
    assert!(err.contains("byte 3 (0xEB)") && err.contains("--encoding windows-1252"), "{err}");
    let err = FieldText::Windows1252.decode(b"a\x81").unwrap_err();
    assert!(err.contains("byte 2 (0x81)"), "{err}");
}

#[test]
fn broken_utf16_is_an_error_not_a_replacement() {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend("ab".encode_utf16().flat_map(u16::to_le_bytes));
    bytes.extend([0x00, 0xD8, 0x41, 0x00]); // a lone high surrogate
    let mut p = prepare(&bytes[..], Encoding::Auto, Delimiter::Char(b',')).unwrap();
    let err = p.reader.read_to_end(&mut Vec::new()).unwrap_err();
    assert!(err.to_string().contains("not valid UTF-16"), "{err}");
}

#[test]
fn delimiters_are_counted_outside_quotes() {
    assert_eq!(sniff_delimiter(b"Account,Guarantor,\"Address; 1\"\n1;2;3;4"), b',');
    assert_eq!(sniff_delimiter(b"Account;\"Name, full\";City\n"), b';');
    assert_eq!(sniff_delimiter(b"Account\tName\tCity"), b'\t');
    assert_eq!(sniff_delimiter(b"Account|Name|City"), b'|');
    assert_eq!(sniff_delimiter(b"Account"), b',');
}
