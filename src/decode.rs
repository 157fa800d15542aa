//! Turning an export's bytes into text: byte-order marks, UTF-16, Windows-1252
//! and the delimiter. Bad bytes are never replaced: they are reported with
//! where they are and what to do about them. A leaf: the export reader, the
//! hold list, the confidential addresses and the returns file all read
//! through it, and it stands on nothing of kindly's.

use std::borrow::Cow;
use std::io::{self, BufRead, BufReader, Read};

use encoding_rs::{Decoder, DecoderResult, UTF_16BE, UTF_16LE, WINDOWS_1252};
use serde::Deserialize;

mod staff_table;
#[cfg(test)]
pub(crate) use staff_table::read_as_file;
pub use staff_table::{Column, StaffFileError, StaffRow, StaffTable, TableProblem, read_file};

/// The delimiter a config names, or `auto` to find it in the file's first
/// line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delimiter {
    Auto,
    Char(u8),
}

impl<'de> Deserialize<'de> for Delimiter {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Delimiter, D::Error> {
        let text = String::deserialize(d)?;
        Delimiter::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Delimiter {
    pub fn parse(text: &str) -> Result<Delimiter, String> {
        match text {
            "auto" => Ok(Delimiter::Auto),
            "\\t" | "\t" | "tab" => Ok(Delimiter::Char(b'\t')),
            t if t.len() == 1 && t.is_ascii() && t != "\"" => Ok(Delimiter::Char(t.as_bytes()[0])),
            t => Err(format!(
                "{t:?} is not a delimiter: use \"auto\", \",\", \";\", \"|\" or \"tab\""
            )),
        }
    }
}

/// The export's encoding as a config names it; `auto` reads a byte-order
/// mark, else UTF-8, else (by the whole file) Windows-1252.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    Auto,
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "windows-1252")]
    Windows1252,
    #[serde(rename = "utf-16le")]
    Utf16Le,
    #[serde(rename = "utf-16be")]
    Utf16Be,
}

impl Encoding {
    pub fn parse(text: &str) -> Result<Encoding, String> {
        Encoding::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(
            text,
        ))
        .map_err(|_| {
            format!(
                "{text:?} is not an encoding: use auto, utf-8, windows-1252, utf-16le or utf-16be"
            )
        })
    }
}

/// How each field's bytes become text once the stream is UTF-8 or
/// single-byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldText {
    Utf8,
    Windows1252,
}

impl FieldText {
    /// The text of one field, or which byte is bad and what to do.
    pub fn decode(self, bytes: &[u8]) -> Result<Cow<'_, str>, String> {
        match self {
            FieldText::Utf8 => std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|e| {
                format!(
                    "byte {} (0x{:02X}) is not UTF-8 text; if the export was saved as Windows-1252 (\"ANSI\"), \
                     run again with --encoding windows-1252",
                    e.valid_up_to() + 1,
                    bytes[e.valid_up_to()]
                )
            }),
            FieldText::Windows1252 => {
                // Five bytes are unassigned in Windows-1252; the WHATWG
                // decoder would pass them through as control characters.
                if let Some(at) = bytes.iter().position(|b| matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D)) {
                    return Err(format!(
                        "byte {} (0x{:02X}) has no meaning in Windows-1252; check the export's encoding (--encoding)",
                        at + 1,
                        bytes[at]
                    ));
                }
                Ok(WINDOWS_1252.decode_without_bom_handling(bytes).0)
            }
        }
    }
}

/// A whole small CSV file as a spreadsheet saves it (a hold list, a
/// vendor's returns): its text without a byte-order mark, read with rows of
/// any length and the delimiter its header uses (a spreadsheet set to a
/// language that writes decimal commas saves "CSV" with semicolons), and
/// the line each record starts on.
pub struct SmallCsv<'a> {
    text: &'a [u8],
}

impl<'a> SmallCsv<'a> {
    pub fn new(bytes: &'a [u8]) -> SmallCsv<'a> {
        SmallCsv { text: bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes) }
    }

    pub fn reader(&self) -> csv::Reader<&'a [u8]> {
        csv::ReaderBuilder::new()
            .flexible(true)
            .delimiter(sniff_delimiter(self.text))
            .from_reader(self.text)
    }

    /// The line of the record (or error) at `position`; 0 without one.
    pub fn line(&self, position: Option<&csv::Position>) -> u64 {
        position.map_or(0, |p| line_at(self.text, p.byte()))
    }
}

/// The line (1-based) of the record that the CSV reader says starts at
/// byte `offset` of `text`. The reader may start a record at the line
/// break before it (the `\n` of a `\r\n`, or a blank line), so line breaks
/// that run on from the offset come before the record too.
fn line_at(text: &[u8], offset: u64) -> u64 {
    let offset = (offset as usize).min(text.len());
    let (before, after) = text.split_at(offset);
    let breaks = after.iter().take_while(|b| matches!(b, b'\r' | b'\n'));
    let newlines = before.iter().chain(breaks).filter(|&&b| b == b'\n').count();
    newlines as u64 + 1
}

/// An export ready for the CSV reader: a byte stream in UTF-8 or
/// Windows-1252, how to read its fields, and its delimiter.
pub struct Prepared<'a> {
    pub reader: BufReader<Box<dyn Read + 'a>>,
    pub fields: FieldText,
    pub delimiter: u8,
    /// UTF-8 only because `auto` saw no byte-order mark: the whole file may
    /// yet turn out to be Windows-1252 (see [`Utf8Evidence`]).
    pub may_be_windows_1252: bool,
    /// What the file is instead, if it is a spreadsheet's own file rather
    /// than text (see [`spreadsheet`]).
    pub spreadsheet: Option<&'static str>,
}

/// What a file whose first bytes are `head` is, if it is a spreadsheet
/// program's own file (a workbook is a zip archive, an old one an OLE
/// compound file) rather than the text kindly reads.
pub fn spreadsheet(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"PK\x03\x04") {
        Some("an Excel workbook (.xlsx) or another spreadsheet file (.ods)")
    } else if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        Some("an Excel 97-2003 workbook (.xls)")
    } else {
        None
    }
}

/// What the rows of an export read as UTF-8 showed about its encoding:
/// Excel's "CSV (Comma delimited)" saves Windows-1252, whose accented
/// letters are not UTF-8. A file with no valid non-ASCII UTF-8 anywhere,
/// some fields that are not UTF-8, and no byte Windows-1252 leaves
/// unassigned is Windows-1252; a file with both kinds is broken, and said
/// so row by row.
#[derive(Debug, Clone, Copy, Default)]
pub struct Utf8Evidence {
    /// Rows with a field that is not UTF-8, and the first one's line.
    pub invalid_rows: u64,
    pub first_invalid_line: u64,
    /// Rows with non-ASCII text that is valid UTF-8.
    pub valid_rows: u64,
    /// Whether a byte unassigned in Windows-1252 was seen.
    pub not_windows_1252: bool,
}

impl Utf8Evidence {
    /// Looks at one row's fields.
    pub fn row<'f>(&mut self, line: u64, fields: impl Iterator<Item = &'f [u8]>) {
        let (mut invalid, mut valid) = (false, false);
        for field in fields.filter(|f| !f.is_ascii()) {
            match std::str::from_utf8(field) {
                Ok(_) => valid = true,
                Err(_) => invalid = true,
            }
            self.not_windows_1252 |=
                field.iter().any(|b| matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D));
        }
        if invalid {
            if self.invalid_rows == 0 {
                self.first_invalid_line = line;
            }
            self.invalid_rows += 1;
        }
        self.valid_rows += u64::from(valid);
    }

    /// Whether the file, read so far as UTF-8, is Windows-1252.
    pub fn is_windows_1252(&self) -> bool {
        self.invalid_rows > 0 && self.valid_rows == 0 && !self.not_windows_1252
    }
}

/// Sniffs the byte-order mark and the delimiter, and transcodes UTF-16.
pub fn prepare<'a>(
    raw: impl Read + 'a,
    encoding: Encoding,
    delimiter: Delimiter,
) -> io::Result<Prepared<'a>> {
    let mut raw = BufReader::with_capacity(64 * 1024, raw);
    let head = raw.fill_buf()?;
    let spreadsheet = spreadsheet(head);
    let bom = if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        Some(Encoding::Utf8)
    } else if head.starts_with(&[0xFF, 0xFE]) {
        Some(Encoding::Utf16Le)
    } else if head.starts_with(&[0xFE, 0xFF]) {
        Some(Encoding::Utf16Be)
    } else {
        None
    };
    let chosen = match encoding {
        Encoding::Auto => bom.unwrap_or(Encoding::Utf8),
        forced => forced,
    };
    let (stream, fields): (Box<dyn Read + 'a>, FieldText) = match chosen {
        Encoding::Utf16Le | Encoding::Utf16Be => {
            let codec = if chosen == Encoding::Utf16Le { UTF_16LE } else { UTF_16BE };
            (Box::new(Utf16Reader::new(raw, codec.new_decoder_with_bom_removal())), FieldText::Utf8)
        }
        Encoding::Utf8 | Encoding::Auto => {
            if bom == Some(Encoding::Utf8) {
                raw.consume(3);
            }
            (Box::new(raw), FieldText::Utf8)
        }
        Encoding::Windows1252 => (Box::new(raw), FieldText::Windows1252),
    };
    let mut reader = BufReader::with_capacity(64 * 1024, stream);
    let delimiter = match delimiter {
        Delimiter::Char(c) => c,
        Delimiter::Auto => sniff_delimiter(reader.fill_buf()?),
    };
    let may_be_windows_1252 = encoding == Encoding::Auto && bom.is_none();
    Ok(Prepared { reader, fields, delimiter, may_be_windows_1252, spreadsheet })
}

/// The candidate that occurs most often, outside quotes, in the header line.
fn sniff_delimiter(head: &[u8]) -> u8 {
    let mut counts = [0usize; 4];
    let candidates = [b',', b'\t', b';', b'|'];
    let mut quoted = false;
    for &b in head.iter().take_while(|&&b| b != b'\n') {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(i) = candidates.iter().position(|&c| c == b) {
            counts[i] += 1;
        }
    }
    let best = (0..4).max_by_key(|&i| (counts[i], 4 - i)).unwrap_or(0);
    candidates[best]
}

/// Streams UTF-16 as UTF-8, failing at the first malformed unit.
struct Utf16Reader<R> {
    inner: R,
    decoder: Decoder,
    input: Vec<u8>,
    output: Vec<u8>,
    start: usize,
    end: usize,
    read_so_far: u64,
    done: bool,
}

impl<R: Read> Utf16Reader<R> {
    fn new(inner: R, decoder: Decoder) -> Self {
        const CHUNK: usize = 32 * 1024;
        let room = decoder.max_utf8_buffer_length_without_replacement(CHUNK).unwrap_or(4 * CHUNK);
        Utf16Reader {
            inner,
            decoder,
            input: vec![0; CHUNK],
            output: vec![0; room],
            start: 0,
            end: 0,
            read_so_far: 0,
            done: false,
        }
    }
}

impl<R: Read> Read for Utf16Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.start == self.end && !self.done {
            let n = self.inner.read(&mut self.input)?;
            let last = n == 0;
            let (result, read, written) = self.decoder.decode_to_utf8_without_replacement(
                &self.input[..n],
                &mut self.output,
                last,
            );
            if let DecoderResult::Malformed(bad, _) = result {
                let at = self.read_so_far + read as u64 - u64::from(bad);
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "byte {} is not valid UTF-16; check the export's encoding (--encoding)",
                        at + 1
                    ),
                ));
            }
            // The output buffer is sized for the worst case, so a whole
            // chunk always decodes in one go.
            debug_assert_eq!(read, n);
            self.read_so_far += n as u64;
            self.start = 0;
            self.end = written;
            self.done = last;
        }
        let n = buf.len().min(self.end - self.start);
        buf[..n].copy_from_slice(&self.output[self.start..self.start + n]);
        self.start += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
