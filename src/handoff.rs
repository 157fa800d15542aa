//! Handing a run to its print-and-mail vendor in the vendor's own shape:
//! Click2Mail's batch XML beside the combined print files, Lob's letter
//! requests and bulk CSV, PostGrid's letter requests. The files are written
//! from the run folder's manifest.csv a row at a time, by the run itself
//! (into the run folder) or later by `kindly handoff` (into a folder of its
//! own, with copies of the PDFs the requests name), so both give the same
//! bytes. No network call is made and no credential is written: Click2Mail's
//! username and password are placeholders the upload script fills in.

use std::io::Write;
use std::path::{Path, PathBuf};

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use serde_json::{Value, json};

use crate::config::{Config, ReturnAddress, Vendor, VendorFormat};
use crate::print_files::PRINT_DIR;
use crate::run_folder::{HashedFile, MANIFEST_CSV, ManifestRow, OutputError};

/// Stand-ins the upload script replaces with the account's credentials.
pub const CLICK2MAIL_USERNAME: &str = "${CLICK2MAIL_USERNAME}";
pub const CLICK2MAIL_PASSWORD: &str = "${CLICK2MAIL_PASSWORD}";
pub const LOB_LETTERS: &str = "lob-letters.jsonl";
pub const LOB_ADDRESSES: &str = "lob-addresses.csv";
pub const POSTGRID_LETTERS: &str = "postgrid-letters.jsonl";
pub const HANDOFF_JSON: &str = "handoff.json";

#[derive(Debug, thiserror::Error)]
pub enum HandoffError {
    #[error(
        "{vendor} takes combined print files, and the run {folder} has none; make the run again with \
         `[print] combined = true` in the config"
    )]
    NoPrintFiles { vendor: &'static str, folder: PathBuf },
    #[error("{path} cannot be read: {source}")]
    Manifest { path: PathBuf, source: csv::Error },
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Unreadable(#[from] crate::run_folder::FolderError),
    #[error("{folder} fails its checks, so it is not handed over:\n  {}", .problems.join("\n  "))]
    FailsChecks { folder: PathBuf, problems: Vec<String> },
    #[error(transparent)]
    Approval(#[from] crate::approval::ApprovalError),
    #[error(transparent)]
    Join(#[from] crate::print_join::JoinError),
    #[error("the hand-off is not recorded in the ledger, so nothing was handed over: {0}")]
    Ledger(String),
    #[error(
        "{0} already exists. A hand-off folder is written once and kept as it went to the vendor: choose \
         another --out (kindly never writes over one)"
    )]
    Exists(PathBuf),
    #[error(
        "{0} is a trial run (--trial): the ledger does not know its letters, so they cannot go to the vendor. \
         Make the run without --trial"
    )]
    Trial(PathBuf),
    #[error(
        "{0} is one shard of a run: put the shards together with `kindly merge` and hand over the merged run"
    )]
    Shard(PathBuf),
}

/// Writes the vendor's request files for the run whose manifest.csv is in
/// `folder`, into `folder`. Each file written is passed to `written` with
/// its SHA-256.
pub fn write_requests(
    config: &Config,
    folder: &Path,
    mut written: impl FnMut(&str, &str),
) -> Result<(), HandoffError> {
    let vendor = &config.vendor;
    if vendor.format == VendorFormat::Generic {
        return Ok(());
    }
    let from = config.practice.return_address().map_err(HandoffError::Config)?;
    let mut files = Files { folder, written: &mut written };
    let rows = manifest(folder)?;
    match vendor.format {
        VendorFormat::Generic => Ok(()),
        VendorFormat::Click2mail => click2mail(vendor, &from, rows, &mut files, folder),
        VendorFormat::Lob => lob(vendor, &from, rows, &mut files),
        VendorFormat::Postgrid => postgrid(vendor, &from, rows, &mut files),
    }
}

/// The run folder's manifest.csv, row by row.
fn manifest(
    folder: &Path,
) -> Result<impl Iterator<Item = Result<ManifestRow, HandoffError>>, HandoffError> {
    let path = folder.join(MANIFEST_CSV);
    let reader = csv::Reader::from_path(&path)
        .map_err(|source| HandoffError::Manifest { path: path.clone(), source })?;
    Ok(reader.into_deserialize().map(move |row| {
        row.map_err(|source| HandoffError::Manifest { path: path.clone(), source })
    }))
}

/// Where request files go, and who hears of each one finished.
struct Files<'a> {
    folder: &'a Path,
    written: &'a mut dyn FnMut(&str, &str),
}

impl Files<'_> {
    fn create(&self, name: &str) -> Result<HashedFile, OutputError> {
        HashedFile::create(self.folder.join(name))
    }

    fn finish(&mut self, name: &str, file: HashedFile) -> Result<(), OutputError> {
        let sha256 = file.finish()?;
        (self.written)(name, &sha256);
        Ok(())
    }
}

fn io(path: PathBuf) -> impl Fn(std::io::Error) -> OutputError {
    move |source| OutputError::Io { path: path.clone(), source }
}

/// One batch XML per combined print file (`click2mail-letters-0001.xml`
/// for `print/letters-0001.pdf`), a job per piece with its page range.
fn click2mail(
    vendor: &Vendor,
    from: &ReturnAddress,
    rows: impl Iterator<Item = Result<ManifestRow, HandoffError>>,
    files: &mut Files,
    folder: &Path,
) -> Result<(), HandoffError> {
    let mut open: Option<(String, Writer<HashedFile>)> = None;
    for row in rows {
        let row = row?;
        let (Some(first), Some(last)) = (row.print_first_page, row.print_last_page) else {
            return Err(HandoffError::NoPrintFiles {
                vendor: "Click2Mail",
                folder: folder.to_path_buf(),
            });
        };
        let pdf = row
            .print_file
            .strip_prefix(&format!("{PRINT_DIR}/"))
            .unwrap_or(&row.print_file)
            .to_string();
        if open.as_ref().is_none_or(|(name, _)| *name != pdf) {
            if let Some((name, writer)) = open.take() {
                close_batch(files, &name, writer)?;
            }
            open = Some((pdf.clone(), start_batch(files, &pdf)?));
        }
        if let Some((name, writer)) = open.as_mut() {
            job(writer, vendor, from, &row, first, last)
                .map_err(io(files.folder.join(batch_name(name))))?;
        }
    }
    if let Some((name, writer)) = open {
        close_batch(files, &name, writer)?;
    }
    Ok(())
}

fn batch_name(pdf: &str) -> String {
    format!("click2mail-{}.xml", pdf.trim_end_matches(".pdf"))
}

fn start_batch(files: &Files, pdf: &str) -> Result<Writer<HashedFile>, OutputError> {
    let name = batch_name(pdf);
    let mut writer = Writer::new_with_indent(files.create(&name)?, b'\t', 1);
    let fail = io(files.folder.join(&name));
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None))).map_err(&fail)?;
    writer.write_event(Event::Start(BytesStart::new("batch"))).map_err(&fail)?;
    for (tag, value) in
        [("username", CLICK2MAIL_USERNAME), ("password", CLICK2MAIL_PASSWORD), ("filename", pdf)]
    {
        text(&mut writer, tag, value).map_err(&fail)?;
    }
    Ok(writer)
}

fn close_batch(
    files: &mut Files,
    pdf: &str,
    mut writer: Writer<HashedFile>,
) -> Result<(), OutputError> {
    let name = batch_name(pdf);
    let fail = io(files.folder.join(&name));
    writer.write_event(Event::End(BytesEnd::new("batch"))).map_err(&fail)?;
    let mut file = writer.into_inner();
    file.write_all(b"\n").map_err(&fail)?;
    files.finish(&name, file)
}

fn text(writer: &mut Writer<HashedFile>, tag: &str, value: &str) -> std::io::Result<()> {
    writer.create_element(tag).write_text_content(BytesText::new(value))?;
    Ok(())
}

fn job(
    w: &mut Writer<HashedFile>,
    vendor: &Vendor,
    from: &ReturnAddress,
    row: &ManifestRow,
    first: usize,
    last: usize,
) -> std::io::Result<()> {
    let o = &vendor.click2mail;
    let print_option = if vendor.duplex { "Printing both sides" } else { "Printing One side" };
    w.create_element("job").write_inner_content(|w| {
        text(w, "startingPage", &first.to_string())?;
        text(w, "endingPage", &last.to_string())?;
        w.create_element("printProductionOptions").write_inner_content(|w| {
            text(w, "documentClass", &o.document_class)?;
            text(w, "layout", &o.layout)?;
            text(w, "productionTime", &o.production_time)?;
            text(w, "envelope", &o.envelope)?;
            text(w, "color", &o.color)?;
            text(w, "paperType", &o.paper_type)?;
            text(w, "printOption", print_option)?;
            text(w, "mailClass", &o.mail_class)
        })?;
        w.create_element("returnAddress").write_inner_content(|w| {
            text(w, "name", &from.name)?;
            text(w, "organization", &from.name)?;
            text(w, "address1", from.street.first().map_or("", String::as_str))?;
            text(w, "address2", from.street.get(1).map_or("", String::as_str))?;
            text(w, "city", &from.city)?;
            text(w, "state", &from.state)?;
            text(w, "postalCode", &from.zip)
        })?;
        w.create_element("recipients").write_inner_content(|w| {
            w.create_element("address").write_inner_content(|w| {
                text(w, "name", &row.recipient_name)?;
                text(w, "organization", "")?;
                text(w, "address1", &row.address_line_1)?;
                text(w, "address2", &row.address_line_2)?;
                text(w, "address3", "")?;
                text(w, "city", &row.city)?;
                text(w, "state", &row.state)?;
                text(w, "postalCode", &row.zip)?;
                text(w, "country", "US")
            })?;
            Ok(())
        })?;
        Ok(())
    })?;
    Ok(())
}

/// What every request names the piece by: no account number or balance.
fn metadata(row: &ManifestRow) -> Value {
    json!({ "piece_id": row.piece_id, "stage": row.stage, "language": row.language })
}

/// The key a vendor refuses a second upload by: the piece and the SHA-256
/// of its very PDF, so the same letter always has the same key, whatever
/// else of the run or its config changed (combined print files, another
/// vendor's options), and a different letter never has it. Lob and
/// PostGrid take up to 256 characters.
fn idempotency_key(row: &ManifestRow) -> String {
    format!("kindly-{}-{}", row.piece_id, &row.sha256[..row.sha256.len().min(32)])
}

/// A JSON line per letter for Lob's `POST /v1/letters`, and Lob's bulk CSV.
fn lob(
    vendor: &Vendor,
    from: &ReturnAddress,
    rows: impl Iterator<Item = Result<ManifestRow, HandoffError>>,
    files: &mut Files,
) -> Result<(), HandoffError> {
    let lob_address = |name: &str, street: [&str; 2], city: &str, state: &str, zip: &str| {
        let mut address = json!({
            "name": name, "address_line1": street[0], "address_city": city,
            "address_state": state, "address_zip": zip, "address_country": "US",
        });
        if !street[1].is_empty() {
            address["address_line2"] = json!(street[1]);
        }
        address
    };
    let street = [0, 1].map(|i| from.street.get(i).map_or("", String::as_str));
    let sender = lob_address(&from.name, street, &from.city, &from.state, &from.zip);
    let mut letters = files.create(LOB_LETTERS)?;
    let mut csv = csv::Writer::from_writer(files.create(LOB_ADDRESSES)?);
    let csv_fail = |e: csv::Error| OutputError::Io {
        path: files.folder.join(LOB_ADDRESSES),
        source: e.into(),
    };
    csv.write_record([
        "name",
        "address_line1",
        "address_line2",
        "address_city",
        "address_state",
        "address_zip",
        "piece_id",
    ])
    .map_err(csv_fail)?;
    let o = &vendor.lob;
    for row in rows {
        let row = row?;
        let to = [row.address_line_1.as_str(), row.address_line_2.as_str()];
        let request = json!({
            "description": row.piece_id,
            "to": lob_address(&row.recipient_name, to, &row.city, &row.state, &row.zip),
            "from": sender,
            "file": row.file,
            "color": vendor.color,
            "double_sided": vendor.duplex,
            "address_placement": o.address_placement,
            "mail_type": o.mail_type,
            "use_type": o.use_type,
            "metadata": metadata(&row),
            "idempotency_key": idempotency_key(&row),
        });
        json_line(&mut letters, &request).map_err(io(files.folder.join(LOB_LETTERS)))?;
        let record =
            [&row.recipient_name, to[0], to[1], &row.city, &row.state, &row.zip, &row.piece_id];
        csv.write_record(record).map_err(csv_fail)?;
    }
    files.finish(LOB_LETTERS, letters)?;
    let file = csv.into_inner().map_err(|e| OutputError::Io {
        path: files.folder.join(LOB_ADDRESSES),
        source: e.into_error(),
    })?;
    files.finish(LOB_ADDRESSES, file)?;
    Ok(())
}

/// A JSON line per letter for PostGrid's `POST /print-mail/v1/letters`.
/// PostGrid's contacts split a person's name in two; kindly has the name
/// as the export prints it, so it goes whole in `firstName`.
fn postgrid(
    vendor: &Vendor,
    from: &ReturnAddress,
    rows: impl Iterator<Item = Result<ManifestRow, HandoffError>>,
    files: &mut Files,
) -> Result<(), HandoffError> {
    let contact = |name: (&str, &str), street: [&str; 2], city: &str, state: &str, zip: &str| {
        json!({
            name.0: name.1, "addressLine1": street[0], "addressLine2": street[1], "city": city,
            "provinceOrState": state, "postalOrZip": zip, "countryCode": "US",
        })
    };
    let street = [0, 1].map(|i| from.street.get(i).map_or("", String::as_str));
    let sender = contact(("companyName", &from.name), street, &from.city, &from.state, &from.zip);
    let mut letters = files.create(POSTGRID_LETTERS)?;
    for row in rows {
        let row = row?;
        let to = [row.address_line_1.as_str(), row.address_line_2.as_str()];
        let request = json!({
            "description": row.piece_id,
            "to": contact(("firstName", &row.recipient_name), to, &row.city, &row.state, &row.zip),
            "from": sender,
            "pdf": row.file,
            "addressPlacement": vendor.postgrid.address_placement,
            "doubleSided": vendor.duplex,
            "color": vendor.color,
            "mailingClass": vendor.postgrid.mailing_class,
            "metadata": metadata(&row),
            "idempotencyKey": idempotency_key(&row),
        });
        json_line(&mut letters, &request).map_err(io(files.folder.join(POSTGRID_LETTERS)))?;
    }
    files.finish(POSTGRID_LETTERS, letters)?;
    Ok(())
}

fn json_line(file: &mut HashedFile, value: &Value) -> std::io::Result<()> {
    serde_json::to_writer(&mut *file, value)?;
    file.write_all(b"\n")
}

/// What `kindly handoff` wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Handoff {
    /// The run folder handed over, and the SHA-256 of its run.json.
    pub run: String,
    pub run_json_sha256: String,
    pub vendor: VendorFormat,
    pub pieces: u64,
    /// Every file of the hand-off folder but this record, with its SHA-256.
    pub files: std::collections::BTreeMap<String, String>,
    /// Who approved the run, and when, if someone did (`kindly approve`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval: Option<crate::approval::Approval>,
}

/// Writes a vendor's files from a finished run folder into a new folder
/// `out`, with copies of the PDFs they name, without laying letters out
/// again. The run is verified first, and must be approved if the run or
/// the config asks for approval; a trial run or a shard is refused. `out`
/// appears only when complete, and only after `handed` (which records the
/// pieces as handed to the vendor) has succeeded, so no hand-off folder
/// exists that the ledger does not know of.
pub fn handoff(
    run: &Path,
    config: &Config,
    format: VendorFormat,
    out: &Path,
    handed: impl FnOnce(&Handoff) -> Result<(), HandoffError>,
) -> Result<Handoff, HandoffError> {
    let problems = crate::verify::verify(run)?;
    if !problems.is_empty() {
        return Err(HandoffError::FailsChecks { folder: run.to_path_buf(), problems });
    }
    let (record, run_json) = crate::run_folder::read_record(run)?;
    if record.trial {
        return Err(HandoffError::Trial(run.to_path_buf()));
    }
    if record.shard.is_some() {
        return Err(HandoffError::Shard(run.to_path_buf()));
    }
    let approval = match config.mailing.require_approval || record.approval_required {
        true => Some(crate::approval::check(run)?),
        false => crate::approval::check(run).ok(),
    };
    if out.exists() {
        return Err(HandoffError::Exists(out.to_path_buf()));
    }
    let name =
        out.file_name().map_or_else(|| "handoff".into(), |n| n.to_string_lossy().into_owned());
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let partial = parent.join(format!(".{name}.{}.partial", std::process::id()));
    let result = fill(run, config, format, &record, &partial);
    let files = match result {
        Ok(files) => files,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&partial);
            return Err(e);
        }
    };
    let handoff = Handoff {
        run: run.display().to_string(),
        run_json_sha256: crate::digest::sha256(&run_json),
        vendor: format,
        pieces: record.counts.letters,
        files,
        approval,
    };
    let published = crate::run_folder::write_file(
        &partial.join(HANDOFF_JSON),
        &crate::run_folder::to_json(&handoff),
    )
    .map_err(HandoffError::from)
    .and_then(|()| handed(&handoff))
    .and_then(|()| std::fs::rename(&partial, out).map_err(|e| io(out.to_path_buf())(e).into()));
    if let Err(e) = published {
        let _ = std::fs::remove_dir_all(&partial);
        return Err(e);
    }
    Ok(handoff)
}

/// Copies the manifests and the PDFs the vendor takes into `dir`, and
/// writes the vendor's requests beside them.
fn fill(
    run: &Path,
    config: &Config,
    format: VendorFormat,
    record: &crate::run_folder::RunRecord,
    dir: &Path,
) -> Result<std::collections::BTreeMap<String, String>, HandoffError> {
    let mut files = std::collections::BTreeMap::new();
    let mut copy = |name: &str| -> Result<(), HandoffError> {
        let bytes = crate::run_folder::read(run, name)?;
        let to = dir.join(name);
        if let Some(folder) = to.parent() {
            std::fs::create_dir_all(folder).map_err(io(folder.to_path_buf()))?;
        }
        crate::run_folder::write_file(&to, &bytes)?;
        files.insert(name.to_string(), crate::digest::sha256(&bytes));
        Ok(())
    };
    std::fs::create_dir_all(dir).map_err(io(dir.to_path_buf()))?;
    copy(MANIFEST_CSV)?;
    copy(crate::run_folder::MANIFEST_JSON)?;
    // The language-assistance notice, when it goes in every envelope.
    if record.files.contains_key(crate::language_access::NOTICE_INSERT) {
        copy(crate::language_access::NOTICE_INSERT)?;
    }
    let print_files: Vec<&String> =
        record.files.keys().filter(|f| f.starts_with(&format!("{PRINT_DIR}/"))).collect();
    if format.needs_combined() && print_files.is_empty() {
        // A run made without combined files: they are made now from its
        // letters, and the hand-off's manifest says where each piece is.
        let mut rows: Vec<ManifestRow> = manifest(run)?.collect::<Result<_, _>>()?;
        let (written, placed) =
            crate::print_join::join_letters(run, &rows, config.print.max_pages, dir)?;
        for row in &mut rows {
            let at = placed.get(&row.piece_id);
            row.print_file = at.map(|p| p.file.clone()).unwrap_or_default();
            row.print_first_page = at.map(|p| p.first_page);
            row.print_last_page = at.map(|p| p.last_page);
        }
        files.extend(written.into_iter().map(|w| (w.file, w.sha256)));
        let path = dir.join(MANIFEST_CSV);
        let mut out = csv::Writer::from_writer(HashedFile::create(path.clone())?);
        for row in &rows {
            out.serialize(row)
                .map_err(|e| OutputError::Io { path: path.clone(), source: e.into() })?;
        }
        let file = out
            .into_inner()
            .map_err(|e| OutputError::Io { path: path.clone(), source: e.into_error() })?;
        files.insert(MANIFEST_CSV.to_string(), file.finish()?);
    } else if format.needs_combined() {
        print_files.into_iter().try_for_each(|f| copy(f))?;
    } else {
        for row in manifest(run)? {
            copy(&row?.file)?;
        }
        if format == VendorFormat::Generic {
            print_files.into_iter().try_for_each(|f| copy(f))?;
        }
    }
    let mut config = config.clone();
    config.vendor.format = format;
    write_requests(&config, dir, |name, sha| {
        files.insert(name.to_string(), sha.to_string());
    })?;
    Ok(files)
}
