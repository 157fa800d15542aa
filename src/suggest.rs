//! `kindly mapping suggest`: read an unfamiliar export's header and a sample
//! of its rows, and write a starting mapping for the config, naming the
//! columns it could not place. A billing manager checks it and fills the gaps.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::io::Read;
use std::path::Path;

use crate::config::{CodeMeaning, Delimiter, Encoding, FIELDS, FieldKind};
use crate::ingest::{self, IngestError};

/// How many rows are looked at for formats and flag codes.
const SAMPLE_ROWS: usize = 500;

const DATE_FORMATS: &[&str] = &["%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y", "%Y%m%d", "%d.%m.%Y"];

fn normalise(header: &str) -> String {
    header.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// A mapping file for the export, as TOML text with comments. An export
/// that is not UTF-8 is read again as Windows-1252.
pub fn suggest(path: &Path) -> Result<String, IngestError> {
    let file = path.display().to_string();
    let open = || std::fs::File::open(path).map_err(|source| IngestError::Io { file: file.clone(), source });
    match suggest_from(&file, open()?, Encoding::Auto)? {
        Some(mapping) => Ok(mapping),
        None => Ok(suggest_from(&file, open()?, Encoding::Windows1252)?.unwrap_or_default()),
    }
}

/// A mapping file's text (what [`suggest`] writes) as the `[input]`
/// sections of a config, ready to paste: its top-level settings under
/// `[input]`, and `[columns]`, `[flags]` and `[hold_codes]` as
/// `[input.columns]` and so on. Comments stay where they are.
pub fn for_config(mapping: &str) -> String {
    let mut out = String::new();
    let mut opened = false;
    for line in mapping.lines() {
        let trimmed = line.trim_start();
        if !opened && !trimmed.is_empty() && !trimmed.starts_with('#') {
            out += "[input]\n";
            opened = true;
        }
        match trimmed.strip_prefix('[').filter(|_| !trimmed.starts_with("[[")) {
            Some(section) => {
                opened = true;
                out += &format!("[input.{section}\n");
            }
            None => {
                out += line;
                out.push('\n');
            }
        }
    }
    out
}

/// `None` when some of the sampled text is not in the encoding.
fn suggest_from(file: &str, reader: impl Read, encoding: Encoding) -> Result<Option<String>, IngestError> {
    let io = |source| IngestError::Io { file: file.to_string(), source };
    let prepared = ingest::prepare(reader, encoding, Delimiter::Auto).map_err(io)?;
    let (fields, delimiter) = (prepared.fields, prepared.delimiter);
    let mut csv = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(prepared.reader);
    let header = csv.byte_headers().map_err(|e| io(e.into()))?.clone();
    let mut names = Vec::new();
    for h in header.iter() {
        match fields.decode(h) {
            Ok(text) => names.push(text.trim().to_string()),
            Err(_) => return Ok(None),
        }
    }
    let mut samples: Vec<Vec<String>> = vec![Vec::new(); names.len()];
    let mut record = csv::ByteRecord::new();
    for _ in 0..SAMPLE_ROWS {
        match csv.read_byte_record(&mut record) {
            Ok(true) => {
                for (i, field) in record.iter().enumerate().take(names.len()) {
                    match fields.decode(field) {
                        Ok(text) => samples[i].push(text.trim().to_string()),
                        Err(_) => return Ok(None),
                    }
                }
            }
            Ok(false) => break,
            Err(_) => continue,
        }
    }

    // A name in parts is placed first, so that `Last` is not taken as the
    // whole name.
    let mut taken = BTreeSet::new();
    let parts = name_parts(&names);
    if let Some(parts) = &parts {
        taken.extend([Some(parts.first), parts.middle, Some(parts.last), parts.suffix].into_iter().flatten());
    }
    // Best header for each field: an exact spelling beats one that contains
    // a spelling; earlier spellings in the list beat later ones. A column's
    // values must fit the field: dates are never amounts, nor amounts dates.
    let mut placed: BTreeMap<&str, usize> = BTreeMap::new();
    let kinds: Vec<ValueKind> = samples.iter().map(|values| ValueKind::of(values)).collect();
    for spec in FIELDS {
        if spec.name == "guarantor" && parts.is_some() {
            continue;
        }
        let score = |header: &str| -> Option<usize> {
            let h = normalise(header);
            spec.seen.iter().enumerate().find_map(|(rank, s)| {
                if h == *s {
                    Some(rank)
                } else if s.len() > 3 && h.contains(s) {
                    Some(100 + rank)
                } else {
                    None
                }
            })
        };
        let best = names
            .iter()
            .enumerate()
            .filter(|(i, _)| !taken.contains(i) && kinds[*i].fits(spec.kind))
            .filter_map(|(i, n)| score(n).map(|s| (s, i)))
            .min();
        if let Some((_, i)) = best {
            taken.insert(i);
            placed.insert(spec.name, i);
        }
    }
    // A status column may have any header; its values give it away.
    if !placed.contains_key("hold_code")
        && let Some(i) = (0..names.len()).find(|i| !taken.contains(i) && looks_like_codes(&samples[*i]))
    {
        taken.insert(i);
        placed.insert("hold_code", i);
    }

    let mut out = String::new();
    let _ = writeln!(out, "# Mapping suggested by `kindly mapping suggest` for {file}.");
    let _ = writeln!(out, "# Check every line, then pass it with --mapping or copy it into the config's [input].");
    let dates: Vec<&str> = placed
        .get("service_date")
        .map(|&i| {
            let values: Vec<&String> = samples[i].iter().filter(|v| !v.is_empty()).collect();
            DATE_FORMATS
                .iter()
                .copied()
                .filter(|f| {
                    let parsed = values.iter().filter(|v| ingest::parse_date(v, &[f.to_string()]).is_ok()).count();
                    // A broken row or two must not hide the format of the rest.
                    !values.is_empty() && parsed * 10 >= values.len() * 9
                })
                .collect()
        })
        .unwrap_or_default();
    let dates = if dates.is_empty() { vec!["%Y-%m-%d", "%m/%d/%Y"] } else { dates };
    let _ = writeln!(out, "date_formats = {:?}", dates);
    let shown = match delimiter {
        b'\t' => "tab".to_string(),
        d => (d as char).to_string(),
    };
    let _ = writeln!(out, "delimiter = {shown:?}");
    let encoding = match fields {
        ingest::FieldText::Utf8 => "auto",
        ingest::FieldText::Windows1252 => "windows-1252",
    };
    let _ = writeln!(out, "encoding = {encoding:?}");

    let mut codes = BTreeSet::new();
    for spec in FIELDS.iter().filter(|f| f.kind == FieldKind::Flag) {
        if let Some(&i) = placed.get(spec.name) {
            codes.extend(samples[i].iter().filter(|v| !v.is_empty()).map(|v| v.to_uppercase()));
        }
    }
    let yes_words = ["Y", "YES", "TRUE", "T", "1", "X"];
    let no_words = ["N", "NO", "FALSE", "F", "0"];
    let yes: Vec<&String> = codes.iter().filter(|c| !no_words.contains(&c.as_str())).collect();
    let no: Vec<&String> = codes.iter().filter(|c| no_words.contains(&c.as_str())).collect();
    let _ = writeln!(out, "\n[flags]");
    let unknown: Vec<&&String> = yes.iter().filter(|c| !yes_words.contains(&c.as_str())).collect();
    if !unknown.is_empty() {
        let _ = writeln!(out, "# Codes seen in the flag columns that may not mean yes: {unknown:?}");
    }
    let _ = writeln!(out, "yes = {yes:?}");
    let _ = writeln!(out, "no = {no:?}");

    if let Some(&i) = placed.get("hold_code") {
        write_hold_codes(&mut out, &names[i], &samples[i]);
    }

    let _ = writeln!(out, "\n[columns]");
    for spec in FIELDS {
        if spec.name == "guarantor"
            && let Some(p) = &parts
        {
            let optional =
                |label: &str, at: Option<usize>| at.map_or(String::new(), |i| format!(", {label} = {:?}", names[i]));
            let _ = writeln!(
                out,
                "guarantor = {{ first = {:?}{}, last = {:?}{} }}",
                names[p.first],
                optional("middle", p.middle),
                names[p.last],
                optional("suffix", p.suffix)
            );
            continue;
        }
        match placed.get(spec.name) {
            Some(&i) if spec.name == "guarantor" && looks_last_first(&samples[i]) => {
                let _ =
                    writeln!(out, "# Its values are written \"Last, First\": letters print them as \"First Last\".");
                let _ = writeln!(out, "guarantor = {{ last_first = {:?} }}", names[i]);
            }
            Some(&i) => {
                let _ = writeln!(out, "{} = {:?}", spec.name, names[i]);
            }
            None if spec.required => {
                let _ = writeln!(out, "# {} = \"?\"   # required: no column found", spec.name);
            }
            None => {}
        }
    }
    if !placed.contains_key("charge") && !placed.contains_key("balance") {
        let _ = writeln!(out, "# charge or balance = \"?\"   # required: no amount column found");
    }
    if !placed.contains_key("language") {
        let _ = writeln!(out, "language = {{ value = \"en\" }}   # no language column: every letter in English");
    }
    let left: Vec<&String> = names.iter().enumerate().filter(|(i, _)| !taken.contains(i)).map(|(_, n)| n).collect();
    if !left.is_empty() {
        let _ = writeln!(out, "\n# Columns not placed: {left:?}");
    }
    for (i, name) in names.iter().enumerate().filter(|(i, _)| !taken.contains(i) && kinds[*i] == ValueKind::Amount) {
        let _ = writeln!(
            out,
            "# WARNING: column {name:?} holds amounts (e.g. {:?}) but is not placed. If it is a payment or an \
             adjustment, every balance would be wrong without it: name it above as payments or adjustments.",
            samples[i].iter().find(|v| !v.is_empty()).map_or("", String::as_str)
        );
    }
    Ok(Some(out))
}

/// What a column's sampled values look like, so that a column is only
/// suggested for a field whose kind its values fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValueKind {
    Empty,
    /// Most values are dates.
    Date,
    /// Most values are money: they parse as amounts and some are written
    /// with cents, a dollar sign or parentheses (so ZIP codes are not).
    Amount,
    Other,
}

impl ValueKind {
    fn of(values: &[String]) -> ValueKind {
        let filled: Vec<&String> = values.iter().filter(|v| !v.is_empty()).collect();
        if filled.is_empty() {
            return ValueKind::Empty;
        }
        let most = |ok: &dyn Fn(&str) -> bool| filled.iter().filter(|v| ok(v)).count() * 10 >= filled.len() * 9;
        let formats: Vec<String> = DATE_FORMATS.iter().map(|f| f.to_string()).collect();
        if most(&|v| ingest::parse_date(v, &formats).is_ok()) {
            ValueKind::Date
        } else if most(&|v| crate::money::Cents::parse(v).is_ok())
            && filled.iter().any(|v| v.contains(['.', '$', '(']) || v.ends_with("CR"))
        {
            ValueKind::Amount
        } else {
            ValueKind::Other
        }
    }

    fn fits(self, field: FieldKind) -> bool {
        match field {
            FieldKind::Date => matches!(self, ValueKind::Date | ValueKind::Empty),
            FieldKind::Amount => matches!(self, ValueKind::Amount | ValueKind::Empty),
            FieldKind::Text | FieldKind::Flag | FieldKind::Code => !matches!(self, ValueKind::Date | ValueKind::Amount),
        }
    }
}

/// The guarantor's name in separate columns, by position.
struct NameParts {
    first: usize,
    middle: Option<usize>,
    last: usize,
    suffix: Option<usize>,
}

/// Name-part columns (`Last`, `Guarantor Last`, `Pat First`, `MI`,
/// `Suffix`...), when there is both a first and a last.
fn name_parts(names: &[String]) -> Option<NameParts> {
    let find = |endings: &[&str]| {
        names.iter().position(|n| {
            let n = normalise(n);
            let n = ["guarantor", "guar", "patient", "pat", "resp", "responsible", "party"]
                .iter()
                .fold(n.as_str(), |n, prefix| n.strip_prefix(prefix).unwrap_or(n))
                .to_string();
            endings.contains(&n.as_str())
        })
    };
    Some(NameParts {
        first: find(&["first", "firstname", "fname", "given", "givenname"])?,
        middle: find(&["mi", "middle", "middlename", "middleinitial", "mname"]),
        last: find(&["last", "lastname", "lname", "surname", "familyname"])?,
        suffix: find(&["suffix", "sfx", "namesuffix"]),
    })
}

/// Whether a column looks like status codes: mostly empty, a few distinct
/// short values, written in capitals.
fn looks_like_codes(values: &[String]) -> bool {
    let filled: Vec<&String> = values.iter().filter(|v| !v.is_empty()).collect();
    let distinct: BTreeSet<&String> = filled.iter().copied().collect();
    !filled.is_empty()
        && filled.len() * 2 <= values.len()
        && distinct.len() <= 20
        && filled
            .iter()
            .all(|v| v.len() <= 12 && !v.chars().any(char::is_lowercase) && v.chars().any(char::is_alphabetic))
}

/// Whether most names are written `Last, First`.
fn looks_last_first(values: &[String]) -> bool {
    let filled: Vec<&String> = values.iter().filter(|v| !v.is_empty()).collect();
    !filled.is_empty() && filled.iter().filter(|v| ingest::natural_order(v).is_some()).count() * 10 >= filled.len() * 8
}

/// `[hold_codes]` for the values seen in the code column, with a meaning
/// proposed for the common ones and the rest left for a person.
fn write_hold_codes(out: &mut String, column: &str, values: &[String]) {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for value in values {
        for code in value.split([';', ',', '|']).map(str::trim).filter(|c| !c.is_empty()) {
            *counts.entry(code.to_uppercase()).or_default() += 1;
        }
    }
    let _ =
        writeln!(out, "\n# Codes seen in {column:?} (in the first {SAMPLE_ROWS} rows), with how many rows had each.");
    let mut line = String::from("# Meanings:");
    for (i, meaning) in CodeMeaning::ALL.iter().enumerate() {
        let end = if i + 1 == CodeMeaning::ALL.len() { '.' } else { ',' };
        let word = format!(" {}{end}", meaning.code());
        if line.len() + word.len() > 80 {
            let _ = writeln!(out, "{line}");
            line = String::from("#");
        }
        line.push_str(&word);
    }
    let _ = writeln!(out, "{line}\n# A code left out holds its account as unknown_hold_code.");
    let _ = writeln!(out, "[hold_codes]");
    for (code, count) in &counts {
        match CodeMeaning::guess(code) {
            Some(meaning) => {
                let _ = writeln!(out, "{code:?} = {:?}   # {count} rows; check", meaning.code());
            }
            None => {
                let _ = writeln!(out, "# {code:?} = \"?\"   # {count} rows; what does it mean?");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapping_becomes_the_configs_input_sections() {
        let mapping = "# Mapping suggested\ndate_formats = [\"%m/%d/%Y\"]\n\n[flags]\nyes = [\"Y\"]\n\n[columns]\naccount = \"Acct\"\n";
        let text = for_config(mapping);
        assert_eq!(
            text,
            "# Mapping suggested\n[input]\ndate_formats = [\"%m/%d/%Y\"]\n\n[input.flags]\nyes = [\"Y\"]\n\n\
             [input.columns]\naccount = \"Acct\"\n"
        );
        let config: toml::Value = toml::from_str(&text).unwrap();
        assert_eq!(config["input"]["columns"]["account"].as_str(), Some("Acct"));
    }
    use crate::config::Input;

    fn suggested(file: &str) -> Input {
        let text = suggest(Path::new("sample-data").join(file).as_path()).unwrap();
        toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    fn shipped(mapping: &str) -> Input {
        toml::from_str(&std::fs::read_to_string(Path::new("sample-data/mappings").join(mapping)).unwrap()).unwrap()
    }

    /// Headers match ignoring case, so the comparison does too.
    fn columns(input: &Input) -> String {
        format!("{:?}", input.columns).to_lowercase()
    }

    #[test]
    fn suggests_the_shipped_mappings_for_the_sample_exports() {
        for (export, mapping) in [
            ("statement-export.csv", "statement.toml"),
            ("tab-export.txt", "tab-utf16.toml"),
            ("split-names-export.csv", "split-names.toml"),
            ("last-first-statement.csv", "last-first.toml"),
            ("scripts-export.csv", "scripts.toml"),
        ] {
            let (got, want) = (suggested(export), shipped(mapping));
            assert_eq!(columns(&got), columns(&want), "{export}");
            assert_eq!(got.hold_codes, want.hold_codes, "{export}");
            assert_eq!(got.date_formats, want.date_formats, "{export}");
            assert_eq!(got.encoding, want.encoding, "{export}");
        }
        let config: crate::config::Config =
            toml::from_str(&std::fs::read_to_string("sample-data/kindly.toml").unwrap()).unwrap();
        let got = suggested("export.csv");
        assert_eq!(columns(&got), columns(&config.input));
        assert_eq!(got.date_formats, ["%Y-%m-%d", "%m/%d/%Y"]);
    }

    #[test]
    fn values_decide_between_dates_and_amounts_and_unplaced_amounts_are_named() {
        let export = "Acct,Name,Street,City,State,Zip,Payment Date,DOS,Charge,Pmts,Ins Adj\n\
                      1,Ann Lee,1 Main St,Eugene,OR,97401,2026-03-01,2026-01-05,120.00,20.00,(5.00)\n\
                      2,Bo Diaz,2 Oak Ave,Eugene,OR,97402,2026-03-02,2026-01-06,80.00,,\n";
        let text = suggest_from("t.csv", export.as_bytes(), Encoding::Auto).unwrap().unwrap();
        let input: Input = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(input.columns.payments, Some("Pmts".into()), "{text}");
        assert_eq!(input.columns.service_date, "DOS".into(), "{text}");
        assert!(text.contains("WARNING: column \"Ins Adj\" holds amounts"), "{text}");
        assert!(!text.contains("= \"Payment Date\""), "a date column is never an amount: {text}");
    }

    #[test]
    fn a_status_column_is_found_by_its_values_and_its_codes_listed() {
        let mut export = String::from("Acct,Name,Street,City,State,Zip,DOS,Charge,Misc 7\n");
        for (i, code) in ["", "", "BK", "", "DECEASED", "", "XQ", "", "", "BK"].iter().enumerate() {
            export.push_str(&format!("{i},Ann Lee,1 Main St,Eugene,OR,97401,2026-01-05,12.00,{code}\n"));
        }
        let text = suggest_from("t.csv", export.as_bytes(), Encoding::Auto).unwrap().unwrap();
        let input: Input = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(input.columns.hold_code, Some("Misc 7".into()), "{text}");
        assert_eq!(input.hold_codes.get("BK"), Some(&crate::config::CodeMeaning::Bankruptcy), "{text}");
        assert!(text.contains("# \"XQ\" = \"?\"   # 1 rows; what does it mean?"), "{text}");
    }
}
