//! `Read` adapters the scan reads through: one hashes the file's bytes,
//! one counts lines so that a row's line is known.

use std::io::Read;

use sha2::{Digest, Sha256};

use crate::model::Line;

/// Hashes the export's bytes as they are read, so the file is read once.
pub(super) struct HashingReader<R> {
    pub(super) inner: R,
    pub(super) hasher: std::rc::Rc<std::cell::RefCell<Sha256>>,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.borrow_mut().update(&buf[..n]);
        Ok(n)
    }
}

/// Counts the line breaks that pass on to the CSV reader, so that a
/// record's byte offset (which the reader knows) becomes the line a person
/// finds in a text editor: for LF and CRLF alike, after any byte-order mark
/// and in any encoding (the stream is UTF-8 or single-byte by now), and for
/// a record with a line break inside quotes, the line it starts on.
pub(super) struct NewlineReader<R> {
    pub(super) inner: R,
    pub(super) newlines: std::rc::Rc<std::cell::RefCell<Newlines>>,
}

/// Offsets of the line-break bytes (`\r` and `\n`) read ahead of the
/// record being asked about; the CSV reader's buffer bounds how many there
/// are.
#[derive(Default)]
pub(super) struct Newlines {
    pub(super) read: u64,
    pub(super) ahead: std::collections::VecDeque<(u64, u8)>,
    pub(super) passed: u64,
}

impl Newlines {
    /// The line (1-based) of the record the CSV reader says starts at
    /// `offset`; offsets are asked about in increasing order. The reader
    /// may start a record at the line break before it (the `\n` of a
    /// `\r\n`, or blank lines), so line breaks that run on from the offset
    /// come before the record too.
    pub(super) fn line_at(&mut self, offset: u64) -> Line {
        let mut start = offset;
        while let Some(&(at, byte)) = self.ahead.front() {
            if at > start {
                break;
            }
            if at == start {
                start += 1;
            }
            self.passed += u64::from(byte == b'\n');
            self.ahead.pop_front();
        }
        self.passed + 1
    }
}

impl<R: Read> Read for NewlineReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut newlines = self.newlines.borrow_mut();
        let start = newlines.read;
        let breaks = buf[..n].iter().enumerate().filter(|(_, b)| matches!(b, b'\r' | b'\n'));
        newlines.ahead.extend(breaks.map(|(i, b)| (start + i as u64, *b)));
        newlines.read += n as u64;
        Ok(n)
    }
}
