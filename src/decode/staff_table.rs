//! A small table staff keep in a spreadsheet and save as CSV beside the
//! export (the hold list, the confidential addresses): its columns found by
//! name in any case, each cell's text (UTF-8, or Windows-1252 where a field
//! is not UTF-8, as "ANSI" saves write it), rows left blank skipped, and
//! each row's line, so that whatever cannot be read is named by line,
//! column and value. One reader for every such file, so that they all
//! accept the same spreadsheets and refuse the same mistakes.

use std::path::{Path, PathBuf};

use super::{FieldText, SmallCsv};

/// A staff file that cannot be read, or a row of it that cannot.
#[derive(Debug, thiserror::Error)]
pub enum StaffFileError {
    #[error("cannot read {what} {}: {source}", file.display())]
    Read { what: &'static str, file: PathBuf, source: std::io::Error },
    #[error(
        "{}:{}: column {:?}, value {:?}: {}",
        file.display(), problem.line, problem.column, problem.value, problem.reason
    )]
    Row { what: &'static str, file: PathBuf, problem: TableProblem },
}

impl StaffFileError {
    /// Which file it is, as messages call it ("the hold list").
    pub fn what(&self) -> &'static str {
        match self {
            StaffFileError::Read { what, .. } | StaffFileError::Row { what, .. } => what,
        }
    }
}

/// Reads the staff file at `path` (`what` in messages: "the hold list")
/// and makes `rows` of its table: what they make, and the file's bytes (for
/// its SHA-256).
pub fn read_file<T>(
    path: &Path,
    what: &'static str,
    rows: impl FnOnce(&StaffTable) -> Result<T, TableProblem>,
) -> Result<(T, Vec<u8>), StaffFileError> {
    let bytes = std::fs::read(path).map_err(|source| StaffFileError::Read {
        what,
        file: path.to_path_buf(),
        source,
    })?;
    let made = StaffTable::read(&bytes)
        .and_then(|table| rows(&table))
        .map_err(|problem| StaffFileError::Row { what, file: path.to_path_buf(), problem })?;
    Ok((made, bytes))
}

/// What is wrong with a table, where: the line (1 is the header), the
/// column as its header names it, the value and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableProblem {
    pub line: u64,
    pub column: String,
    pub value: String,
    pub reason: String,
}

impl TableProblem {
    pub fn new(line: u64, column: &str, value: &str, reason: impl Into<String>) -> TableProblem {
        TableProblem {
            line,
            column: column.to_string(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}

/// A column of the table: where it is and its name as the header writes it
/// (lower case, trimmed).
#[derive(Debug, Clone)]
pub struct Column {
    at: usize,
    pub name: String,
}

/// One row that is not blank: its line and its cells' text, trimmed.
#[derive(Debug, Clone)]
pub struct StaffRow {
    pub line: u64,
    cells: Vec<String>,
}

impl StaffRow {
    /// The row's text in `column` (empty where the row is short or the
    /// table has no such column).
    pub fn get(&self, column: Option<&Column>) -> &str {
        column.and_then(|c| self.cells.get(c.at)).map_or("", String::as_str)
    }

    /// The row's value in `column` as `read` reads it, none where it is
    /// blank (or the table has no such column), or a problem saying that
    /// it is not `form` (such as "a date like 2026-12-07").
    pub fn optional<T>(
        &self,
        column: Option<&Column>,
        read: impl Fn(&str) -> Option<T>,
        form: &str,
    ) -> Result<Option<T>, TableProblem> {
        let (Some(column), text) = (column, self.get(column)) else { return Ok(None) };
        if text.is_empty() {
            return Ok(None);
        }
        read(text).map(Some).ok_or_else(|| self.problem(column, format!("is not {form}")))
    }

    /// A problem with this row's value in `column`.
    pub fn problem(&self, column: &Column, reason: impl Into<String>) -> TableProblem {
        TableProblem::new(self.line, &column.name, self.get(Some(column)), reason)
    }
}

/// The whole table, read.
#[derive(Debug, Clone)]
pub struct StaffTable {
    names: Vec<String>,
    pub rows: Vec<StaffRow>,
}

impl StaffTable {
    /// Reads a table from a file's bytes.
    pub fn read(bytes: &[u8]) -> Result<StaffTable, TableProblem> {
        let csv = SmallCsv::new(bytes);
        let mut reader = csv.reader();
        let text = |field: &[u8]| {
            FieldText::Utf8
                .decode(field)
                .or_else(|_| FieldText::Windows1252.decode(field))
                .map(|t| t.trim().to_string())
        };
        let headers =
            reader.byte_headers().map_err(|e| TableProblem::new(1, "", "", e.to_string()))?;
        let names: Vec<String> =
            headers.iter().map(|h| text(h).unwrap_or_default().to_lowercase()).collect();
        let mut rows = Vec::new();
        for record in reader.byte_records() {
            let record = record
                .map_err(|e| TableProblem::new(csv.line(e.position()), "", "", e.to_string()))?;
            let line = csv.line(record.position());
            let cells = record
                .iter()
                .enumerate()
                .map(|(i, field)| {
                    text(field).map_err(|e| {
                        let column = names.get(i).map_or("", String::as_str);
                        TableProblem::new(line, column, "", e)
                    })
                })
                .collect::<Result<Vec<String>, _>>()?;
            if cells.iter().any(|c| !c.is_empty()) {
                rows.push(StaffRow { line, cells });
            }
        }
        Ok(StaffTable { names, rows })
    }

    /// The first column named any of `names` (lower case), if there is one.
    pub fn column(&self, names: &[&str]) -> Option<Column> {
        let at = self.names.iter().position(|n| names.contains(&n.as_str()))?;
        Some(Column { at, name: self.names[at].clone() })
    }

    /// The column named any of `names`, or a problem naming the first of
    /// them and the header the table should have (`header`, such as
    /// `account,reason,until,note`), for the table called `what`.
    pub fn require(
        &self,
        names: &[&str],
        what: &str,
        header: &str,
    ) -> Result<Column, TableProblem> {
        self.column(names).ok_or_else(|| {
            let reason = format!(
                "{what} has no {} column; its first line names the columns, separated by commas (or \
                 semicolons): {header}",
                names[0]
            );
            TableProblem::new(1, names[0], "", reason)
        })
    }
}

/// For tests of a staff file's reader: `text` written as the file `name`
/// in a folder of its own, read by `read`, the folder removed.
#[cfg(test)]
pub(crate) fn read_as_file<T>(name: &str, text: &[u8], read: impl Fn(&Path) -> T) -> T {
    let dir =
        std::env::temp_dir().join(format!("kindly-{name}-{}-{}", std::process::id(), text.len()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let read = read(&path);
    std::fs::remove_dir_all(&dir).unwrap();
    read
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_read_as_spreadsheets_save_them() {
        let table = StaffTable::read(
            b"\xEF\xBB\xBFAccount;Note\r\n1000012;Caf\xE9\r\n;\r\n 1000019 ;\"a; b\"\r\n",
        )
        .unwrap();
        let (account, note) = (table.column(&["account"]), table.column(&["note", "notes"]));
        let rows: Vec<(u64, &str, &str)> = table
            .rows
            .iter()
            .map(|r| (r.line, r.get(account.as_ref()), r.get(note.as_ref())))
            .collect();
        assert_eq!(rows, [(2, "1000012", "Café"), (4, "1000019", "a; b")], "blank line 3 skipped");
        let missing = table.require(&["reason"], "the hold list", "account,reason").unwrap_err();
        assert_eq!((missing.line, missing.column.as_str()), (1, "reason"));
        assert!(
            missing.reason.starts_with("the hold list has no reason column"),
            "{}",
            missing.reason
        );
    }
}
