//! End-to-end tests: the real `kindly` binary on real files, with the PDFs
//! read back. One test binary (with modules) because each links all of Typst.
//! Each module opens with what it checks; in short:

/// Helpers: the binary, scratch folders, runs of the shipped sample.
mod common;
/// `--confidential`: letters only to the address the patient asked for.
mod confidential;
/// The commands README.md and docs/ show, run as written.
mod docs;
/// `--holds`: accounts held by hand, and rows that hold nothing.
mod hold_list;
/// One envelope per household.
mod households;
/// The language-assistance notice, and names in other scripts.
mod language;
/// The ledger across months: what was sent decides what is next.
mod ledger;
/// What patients get: Spanish, large print, the QR code, accessible PDF.
mod letters;
/// `kindly lint` and runs refusing wording that fails it.
mod lint;
/// Month after month on one ledger: sequences, returns, reproduce, collisions.
mod months;
/// `kindly outcomes`: what letters led to, counted from the ledger.
mod outcomes;
/// Reading a PDF back: page sizes and each character's position.
mod pdf;
/// A practice as an office runs it: `init`, any folder, any `--out`.
mod practice;
/// proof.pdf and `kindly proof`.
mod proof;
/// report.html, checked without a browser.
mod report;
/// The sample run read back as a vendor and an auditor would.
mod run;
/// Patient data is data, never Typst code; guessed balances never mailed.
mod safety;
/// Other billing systems' exports, read through a mapping file.
mod shapes;
/// Shards and merge.
mod shards;
/// Snapshots of what kindly prints and records for the sample.
mod snapshots;
/// Wording trials: variants assigned, kept, recorded and compared.
mod trials;
/// `kindly validate` and bad input, named by file, line and column.
mod validate;
/// Vendors: print files, Click2Mail, Lob and PostGrid, `kindly handoff`.
mod vendors;
