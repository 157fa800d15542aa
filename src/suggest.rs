//! `kindly mapping suggest`: read an unfamiliar export's header and a sample
//! of its rows, and write a starting mapping for the config, naming the
//! columns it could not place. A billing manager checks it and fills the gaps.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::io::Read;
use std::path::Path;

use crate::config::{CodeMeaning, Delimiter, Encoding, FIELDS, FieldKind, FieldSpec};
use crate::ingest::{self, IngestError};

/// How many rows are looked at for formats and flag codes.
const SAMPLE_ROWS: usize = 500;

const DATE_FORMATS: &[&str] =
    &["%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y", "%Y%m%d", "%d.%m.%Y"];

fn normalise(header: &str) -> String {
    header.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// A mapping file for the export, as TOML text with comments. An export
/// that is not UTF-8 is read again as Windows-1252.
pub fn suggest(path: &Path) -> Result<String, IngestError> {
    let file = path.display().to_string();
    let open = || {
        std::fs::File::open(path).map_err(|source| IngestError::Io { file: file.clone(), source })
    };
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
fn suggest_from(
    file: &str,
    reader: impl Read,
    encoding: Encoding,
) -> Result<Option<String>, IngestError> {
    let Some(sample) = Sample::read(file, reader, encoding)? else { return Ok(None) };
    let placed = Placement::of(&sample);
    Ok(Some(write_mapping(file, &sample, &placed)))
}

/// The export's header and the values of its first rows, column by column.
struct Sample {
    names: Vec<String>,
    values: Vec<Vec<String>>,
    kinds: Vec<ValueKind>,
    delimiter: u8,
    fields: ingest::FieldText,
}

impl Sample {
    /// `None` when some of the sampled text is not in the encoding.
    fn read(
        file: &str,
        reader: impl Read,
        encoding: Encoding,
    ) -> Result<Option<Sample>, IngestError> {
        let io = |source| IngestError::Io { file: file.to_string(), source };
        let prepared = ingest::prepare(reader, encoding, Delimiter::Auto).map_err(io)?;
        if let Some(kind) = prepared.spreadsheet {
            return Err(IngestError::Spreadsheet { file: file.to_string(), kind });
        }
        let (fields, delimiter) = (prepared.fields, prepared.delimiter);
        let mut csv = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(prepared.reader);
        let header = csv.byte_headers().map_err(|e| io(e.into()))?.clone();
        let mut names = Vec::new();
        for h in header.iter() {
            match fields.decode(h) {
                Ok(text) => names.push(text.trim().to_string()),
                Err(_) => return Ok(None),
            }
        }
        let mut values: Vec<Vec<String>> = vec![Vec::new(); names.len()];
        let mut record = csv::ByteRecord::new();
        for _ in 0..SAMPLE_ROWS {
            match csv.read_byte_record(&mut record) {
                Ok(true) => {
                    for (i, field) in record.iter().enumerate().take(names.len()) {
                        match fields.decode(field) {
                            Ok(text) => values[i].push(text.trim().to_string()),
                            Err(_) => return Ok(None),
                        }
                    }
                }
                Ok(false) => break,
                Err(_) => continue,
            }
        }
        let kinds = values.iter().map(|v| ValueKind::of(v)).collect();
        Ok(Some(Sample { names, values, kinds, delimiter, fields }))
    }
}

/// Headers that say the column is insurance's, not the patient's: what is
/// still expected from the payer is never what the patient owes.
fn is_insurance(normalised: &str) -> bool {
    ["ins", "insurance", "payer", "primary", "secondary", "carrier"]
        .iter()
        .any(|p| normalised.starts_with(p))
}

/// Prefixes that say a column is the responsible party's (or the
/// patient's own share): `RespZip`, `GuarAddr1`, `PatBalance`.
const RESPONSIBLE: &[&str] =
    &["resp", "responsible", "guar", "guarantor", "pat", "patient", "pt", "self", "bill", "billto"];

/// Headers that say a date is not when the care was given.
const NOT_SERVICE_DATES: &[&str] =
    &["pay", "paid", "birth", "dob", "statement", "post", "print", "due", "created"];

/// The fields whose column must hold people's names, never ids.
const NAME_FIELDS: &[&str] = &["guarantor", "patient"];

/// Where each field was placed, with why where another column could have
/// been taken, and what was found on the way.
#[derive(Default)]
struct Placement {
    by_field: BTreeMap<&'static str, usize>,
    parts: Option<NameParts>,
    taken: BTreeSet<usize>,
    /// `# balance: "PatBalance" (...) rather than "InsBalance" (...)`.
    choices: Vec<String>,
    /// Several payment columns, read as a list.
    payments: Vec<usize>,
    /// An amount column of insurance's, read as the insurance-pending flag.
    pending_amount: Option<usize>,
    /// An aging report's columns of amounts by age, youngest first.
    buckets: Vec<usize>,
}

impl Placement {
    fn of(sample: &Sample) -> Placement {
        // A name in parts is placed first, so that `Last` is not taken as
        // the whole name.
        let mut placed = Placement { parts: name_parts(&sample.names), ..Placement::default() };
        if let Some(parts) = &placed.parts {
            placed.taken.extend(
                [Some(parts.first), parts.middle, Some(parts.last), parts.suffix]
                    .into_iter()
                    .flatten(),
            );
        }
        // An aging report: columns of amounts whose headers say their days
        // (`0-30`, `> 90`). It has no service dates.
        let mut buckets: Vec<(u32, usize)> = (0..sample.names.len())
            .filter(|i| sample.kinds[*i] == ValueKind::Amount)
            .filter_map(|i| crate::config::days_of(&sample.names[i]).map(|(from, _)| (from, i)))
            .collect();
        buckets.sort();
        if buckets.len() >= 2 {
            placed.buckets = buckets.into_iter().map(|(_, i)| i).collect();
            placed.taken.extend(placed.buckets.iter().copied());
        }
        for spec in FIELDS {
            let aging_date = spec.name == "service_date" && !placed.buckets.is_empty();
            if (spec.name == "guarantor" && placed.parts.is_some()) || aging_date {
                continue;
            }
            placed.place(spec, sample);
        }
        // A status column may have any header; its values give it away.
        if !placed.by_field.contains_key("hold_code")
            && let Some(i) = (0..sample.names.len())
                .find(|i| !placed.taken.contains(i) && looks_like_codes(&sample.values[*i]))
        {
            placed.taken.insert(i);
            placed.by_field.insert("hold_code", i);
        }
        placed.credits(sample);
        placed
    }

    /// The best column for `spec`, if any: by the header's spelling
    /// (exact beats contained; earlier spellings beat later), never one
    /// whose values cannot be the field's, insurance's columns last.
    fn place(&mut self, spec: &'static FieldSpec, sample: &Sample) {
        let mut candidates: Vec<(usize, usize)> = sample
            .names
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.taken.contains(i) && sample.kinds[*i].fits(spec.kind))
            .filter(|(i, _)| {
                !NAME_FIELDS.contains(&spec.name) || looks_like_names(&sample.values[*i])
            })
            .filter_map(|(i, n)| score(spec, n).map(|s| (s, i)))
            .collect();
        candidates.sort();
        let Some(&(_, best)) = candidates.first() else { return };
        self.taken.insert(best);
        self.by_field.insert(spec.name, best);
        // Other columns worth naming: as good a spelling, or insurance's.
        let others: Vec<&str> = candidates[1..]
            .iter()
            // (The penalties for whose a column is come in 500s.)
            .filter(|(score, i)| score % 500 < 100 || is_insurance(&normalise(&sample.names[*i])))
            .map(|(_, i)| sample.names[*i].as_str())
            .collect();
        if !others.is_empty() {
            let why = if is_insurance(&normalise(&sample.names[best])) {
                "none of them is the patient's own"
            } else if others.iter().any(|o| is_insurance(&normalise(o))) {
                "a column of insurance's is never what the patient owes"
            } else if spec.name == "guarantor" {
                "the letter goes to the person responsible for the bill; the patient's name is the patient column"
            } else {
                "its header is the closer match"
            };
            self.choices.push(format!(
                "# {}: chose {:?} over {}: {why}. Check it.",
                spec.name,
                sample.names[best],
                others.iter().map(|o| format!("{o:?}")).collect::<Vec<_>>().join(", ")
            ));
        }
    }

    /// Payments and adjustments: with a balance column they are not read
    /// (it states what is owed); otherwise every payment column is read,
    /// insurance's too, since both took money off the charge. An amount
    /// column of insurance's that is left is what insurance is still
    /// expected to pay: the insurance-pending flag, where none is placed.
    fn credits(&mut self, sample: &Sample) {
        if self.by_field.contains_key("balance") {
            for field in ["payments", "adjustments"] {
                if let Some(i) = self.by_field.remove(field) {
                    self.taken.remove(&i);
                    self.choices.retain(|c| !c.starts_with(&format!("# {field}:")));
                }
            }
        } else if let Some(&first) = self.by_field.get("payments") {
            let payments = FIELDS.iter().find(|f| f.name == "payments");
            let more: Vec<usize> = (0..sample.names.len())
                .filter(|i| !self.taken.contains(i) && sample.kinds[*i] == ValueKind::Amount)
                .filter(|i| payments.is_some_and(|spec| score(spec, &sample.names[*i]).is_some()))
                .collect();
            if !more.is_empty() {
                self.taken.extend(more.iter().copied());
                self.payments = std::iter::once(first).chain(more).collect();
            }
        }
        if !self.by_field.contains_key("insurance_pending") {
            self.pending_amount = (0..sample.names.len()).find(|i| {
                let h = normalise(&sample.names[*i]);
                !self.taken.contains(i)
                    && sample.kinds[*i] == ValueKind::Amount
                    && is_insurance(&h)
                    && ["balance", "bal", "due", "pending", "owed", "outstanding"]
                        .iter()
                        .any(|w| h.contains(w))
            });
            if let Some(i) = self.pending_amount {
                self.taken.insert(i);
            }
        }
    }
}

/// How well `header` fits `spec`: lower is better; `None` if not at all.
fn score(spec: &FieldSpec, header: &str) -> Option<usize> {
    let h = normalise(header);
    if spec.name == "service_date" && h != "date" && NOT_SERVICE_DATES.iter().any(|w| h.contains(w))
    {
        return None;
    }
    let found = spec.seen.iter().enumerate().find_map(|(rank, s)| {
        if h == *s {
            Some(rank)
        } else if s.len() > 3 && h.contains(s) {
            Some(100 + rank)
        } else if s.len() <= 3 && RESPONSIBLE.iter().any(|p| h.strip_prefix(p) == Some(s)) {
            // A short spelling only whole, or after a prefix that says whose
            // it is: `RespZip`, `GuarSt`.
            Some(50 + rank)
        } else {
            None
        }
    })?;
    let insurance = is_insurance(&h) && matches!(spec.kind, FieldKind::Amount | FieldKind::Text);
    // The patient's name is the guarantor's only where no other name is:
    // a child's bill goes to the parent.
    let patients =
        spec.name == "guarantor" && ["patient", "pat", "pt"].iter().any(|p| h.starts_with(p));
    Some(found + if insurance { 1000 } else { 0 } + if patients { 500 } else { 0 })
}

/// Writes the mapping file for what was placed.
fn write_mapping(file: &str, sample: &Sample, placed: &Placement) -> String {
    let (names, values) = (&sample.names, &sample.values);
    let mut out = String::new();
    let _ = writeln!(out, "# Mapping suggested by `kindly mapping suggest` for {file}.");
    let _ = writeln!(
        out,
        "# Check every line, then pass it with --mapping or copy it into the config's [input]."
    );
    // The formats of the service dates, or of an aging report's last payments.
    let dates: Vec<&str> = placed
        .by_field
        .get("service_date")
        .or(placed.by_field.get("last_payment_date"))
        .map(|&i| {
            let filled: Vec<&String> = values[i].iter().filter(|v| !v.is_empty()).collect();
            DATE_FORMATS
                .iter()
                .copied()
                .filter(|f| {
                    let parsed = filled
                        .iter()
                        .filter(|v| ingest::parse_date(v, &[f.to_string()]).is_ok())
                        .count();
                    // A broken row or two must not hide the format of the rest.
                    !filled.is_empty() && parsed * 10 >= filled.len() * 9
                })
                .collect()
        })
        .unwrap_or_default();
    let dates = if dates.is_empty() { vec!["%Y-%m-%d", "%m/%d/%Y"] } else { dates };
    let _ = writeln!(out, "date_formats = {:?}", dates);
    let seen = match sample.delimiter {
        b'\t' => "tab".to_string(),
        d => (d as char).to_string(),
    };
    // "auto": the same export saved again with another delimiter (Excel in
    // a locale that writes decimal commas saves `;`) still reads.
    let _ = writeln!(
        out,
        "# The export uses {seen:?} between columns; \"auto\" reads it from the header each time."
    );
    let _ = writeln!(out, "delimiter = \"auto\"");
    let encoding = match sample.fields {
        ingest::FieldText::Utf8 => "auto",
        ingest::FieldText::Windows1252 => "windows-1252",
    };
    let _ = writeln!(out, "encoding = {encoding:?}");
    if !placed.buckets.is_empty() {
        let columns: Vec<&String> = placed.buckets.iter().map(|i| &names[*i]).collect();
        let _ = writeln!(
            out,
            "# An aging report: what is owed by age. Each account's age is its oldest column"
        );
        let _ = writeln!(
            out,
            "# holding money, and its letter lists the amounts by age; there is no service date."
        );
        let _ = writeln!(out, "age_buckets = {columns:?}");
    }
    write_flags(&mut out, sample, placed);
    if let Some(&i) = placed.by_field.get("hold_code") {
        write_hold_codes(&mut out, &names[i], &values[i]);
    }
    write_columns(&mut out, sample, placed);
    write_warnings(&mut out, sample, placed);
    out
}

/// `[flags]`: the codes the placed yes/no columns hold.
fn write_flags(out: &mut String, sample: &Sample, placed: &Placement) {
    let mut codes = BTreeSet::new();
    for spec in FIELDS.iter().filter(|f| f.kind == FieldKind::Flag) {
        if let Some(&i) = placed.by_field.get(spec.name) {
            codes.extend(
                sample.values[i].iter().filter(|v| !v.is_empty()).map(|v| v.to_uppercase()),
            );
        }
    }
    let yes_words = ["Y", "YES", "TRUE", "T", "1", "X"];
    let no_words = ["N", "NO", "FALSE", "F", "0"];
    let yes: Vec<&String> = codes.iter().filter(|c| !no_words.contains(&c.as_str())).collect();
    let no: Vec<&String> = codes.iter().filter(|c| no_words.contains(&c.as_str())).collect();
    let _ = writeln!(out, "\n[flags]");
    let unknown: Vec<&&String> = yes.iter().filter(|c| !yes_words.contains(&c.as_str())).collect();
    if !unknown.is_empty() {
        let _ =
            writeln!(out, "# Codes seen in the flag columns that may not mean yes: {unknown:?}");
    }
    let _ = writeln!(out, "yes = {yes:?}");
    let _ = writeln!(out, "no = {no:?}");
}

/// `[columns]`: each field's column, with the choices explained.
fn write_columns(out: &mut String, sample: &Sample, placed: &Placement) {
    let (names, values) = (&sample.names, &sample.values);
    let _ = writeln!(out, "\n[columns]");
    for choice in &placed.choices {
        let _ = writeln!(out, "{choice}");
    }
    for spec in FIELDS {
        if spec.name == "guarantor"
            && let Some(p) = &placed.parts
        {
            let optional = |label: &str, at: Option<usize>| {
                at.map_or(String::new(), |i| format!(", {label} = {:?}", names[i]))
            };
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
        if spec.name == "payments" && !placed.payments.is_empty() {
            let columns: Vec<&String> = placed.payments.iter().map(|i| &names[*i]).collect();
            let _ = writeln!(
                out,
                "# Every payment column, insurance's too: each took money off the charge."
            );
            let _ = writeln!(out, "payments = {columns:?}");
            continue;
        }
        if spec.name == "insurance_pending"
            && let Some(i) = placed.pending_amount
        {
            let _ = writeln!(
                out,
                "# What insurance is still expected to pay: an account with any is on hold."
            );
            let _ = writeln!(out, "insurance_pending = {{ nonzero = {:?} }}", names[i]);
            continue;
        }
        match placed.by_field.get(spec.name) {
            Some(&i) if NAME_FIELDS.contains(&spec.name) && looks_last_first(&values[i]) => {
                let _ = writeln!(
                    out,
                    "# Its values are written \"Last, First\": letters print them as \"First Last\"."
                );
                if spec.name == "guarantor" {
                    let _ = writeln!(out, "guarantor = {{ last_first = {:?} }}", names[i]);
                } else {
                    let _ = writeln!(out, "{} = {:?}", spec.name, names[i]);
                }
            }
            Some(&i) => {
                let _ = writeln!(out, "{} = {:?}", spec.name, names[i]);
            }
            None if spec.required || (spec.name == "service_date" && placed.buckets.is_empty()) => {
                let _ = writeln!(out, "# {} = \"?\"   # required: no column found", spec.name);
            }
            None => {}
        }
    }
    if !placed.by_field.contains_key("charge") && !placed.by_field.contains_key("balance") {
        let _ = writeln!(out, "# charge or balance = \"?\"   # required: no amount column found");
    }
    if !placed.by_field.contains_key("language") {
        let _ = writeln!(
            out,
            "language = {{ value = \"en\" }}   # no language column: every letter in English"
        );
    }
}

/// What a person must look at: columns left, amounts that may matter,
/// a balance that looks like the wrong one.
fn write_warnings(out: &mut String, sample: &Sample, placed: &Placement) {
    let (names, values, kinds) = (&sample.names, &sample.values, &sample.kinds);
    let left: Vec<&String> = names
        .iter()
        .enumerate()
        .filter(|(i, _)| !placed.taken.contains(i))
        .map(|(_, n)| n)
        .collect();
    if !left.is_empty() {
        let _ = writeln!(out, "\n# Columns not placed: {left:?}");
    }
    let balance = placed.by_field.get("balance").copied();
    if balance.is_none() {
        for (i, name) in names
            .iter()
            .enumerate()
            .filter(|(i, _)| !placed.taken.contains(i) && kinds[*i] == ValueKind::Amount)
        {
            let _ = writeln!(
                out,
                "# WARNING: column {name:?} holds amounts (e.g. {:?}) but is not placed. If it is a payment or an \
                 adjustment, every balance would be wrong without it: name it above as payments or adjustments.",
                values[i].iter().find(|v| !v.is_empty()).map_or("", String::as_str)
            );
        }
    }
    // A balance column that is zero where another column of amounts is not
    // is likely the wrong one (insurance's, or last month's).
    if let Some(b) = balance {
        let zero = |i: usize| {
            values[i]
                .iter()
                .filter(|v| crate::money::Cents::parse(v).is_ok_and(|c| c.0 == 0))
                .count()
        };
        let owing = values[b].len().saturating_sub(zero(b));
        if owing * 2 < values[b].len()
            && let Some(other) = (0..names.len())
                .filter(|i| *i != b && kinds[*i] == ValueKind::Amount)
                .find(|i| (values[*i].len() - zero(*i)) * 2 > values[*i].len())
        {
            let _ = writeln!(
                out,
                "# WARNING: the balance column {:?} is zero in most rows, and {:?} is not: check that the balance \
                 is the patient's, or most accounts will be taken as owing nothing.",
                names[b], names[other]
            );
        }
    }
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
        let most = |ok: &dyn Fn(&str) -> bool| {
            filled.iter().filter(|v| ok(v)).count() * 10 >= filled.len() * 9
        };
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
            FieldKind::Text | FieldKind::Flag | FieldKind::Code => {
                !matches!(self, ValueKind::Date | ValueKind::Amount)
            }
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
        && filled.iter().all(|v| {
            v.len() <= 12
                && !v.chars().any(char::is_lowercase)
                && v.chars().any(char::is_alphabetic)
        })
}

/// Whether a column holds people's names: mostly letters, with a space or
/// a comma between the parts, not ids such as `P71033`.
fn looks_like_names(values: &[String]) -> bool {
    let filled: Vec<&String> = values.iter().filter(|v| !v.is_empty()).collect();
    let name = |v: &&String| {
        let letters = v.chars().filter(|c| c.is_alphabetic()).count();
        letters * 2 > v.chars().count() && v.trim().contains([' ', ','])
    };
    filled.is_empty() || filled.iter().filter(|v| name(v)).count() * 10 >= filled.len() * 6
}

/// Whether most names are written `Last, First`.
fn looks_last_first(values: &[String]) -> bool {
    let filled: Vec<&String> = values.iter().filter(|v| !v.is_empty()).collect();
    !filled.is_empty()
        && filled.iter().filter(|v| ingest::natural_order(v).is_some()).count() * 10
            >= filled.len() * 8
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
    let _ = writeln!(
        out,
        "\n# Codes seen in {column:?} (in the first {SAMPLE_ROWS} rows), with how many rows had each."
    );
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
mod tests;
