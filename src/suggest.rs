//! `kindly mapping suggest`: read an unfamiliar export's header and a sample
//! of its rows, and write a starting mapping for the config, naming the
//! columns it could not place. A billing manager checks it and fills the gaps.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::io::Read;
use std::path::Path;

use crate::config::{Delimiter, Encoding, FIELDS, FieldKind};
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

    // Best header for each field: an exact spelling beats one that contains
    // a spelling; earlier spellings in the list beat later ones.
    let mut taken = BTreeSet::new();
    let mut placed: BTreeMap<&str, usize> = BTreeMap::new();
    for spec in FIELDS {
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
            .filter(|(i, _)| !taken.contains(i))
            .filter_map(|(i, n)| score(n).map(|s| (s, i)))
            .min();
        if let Some((_, i)) = best {
            taken.insert(i);
            placed.insert(spec.name, i);
        }
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
                    !values.is_empty() && values.iter().all(|v| ingest::parse_date(v, &[f.to_string()]).is_ok())
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

    let _ = writeln!(out, "\n[columns]");
    for spec in FIELDS {
        match placed.get(spec.name) {
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
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
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
        for (export, mapping) in [("statement-export.csv", "statement.toml"), ("tab-export.txt", "tab-utf16.toml")] {
            let (got, want) = (suggested(export), shipped(mapping));
            assert_eq!(columns(&got), columns(&want), "{export}");
            assert_eq!(got.date_formats, want.date_formats, "{export}");
            assert_eq!(got.encoding, want.encoding, "{export}");
        }
        let config: crate::config::Config =
            toml::from_str(&std::fs::read_to_string("sample-data/kindly.toml").unwrap()).unwrap();
        let got = suggested("export.csv");
        assert_eq!(columns(&got), columns(&config.input));
        assert_eq!(got.date_formats, ["%Y-%m-%d", "%m/%d/%Y"]);
    }
}
