//! End-to-end tests: the real `kindly` binary on real files, with the PDFs
//! read back. One test binary (with modules) because each links all of Typst.

mod common;
mod hold_list;
mod households;
mod ledger;
mod letters;
mod lint;
mod months;
mod pdf;
mod practice;
mod proof;
mod report;
mod run;
mod safety;
mod shapes;
mod shards;
mod snapshots;
mod validate;
mod vendors;
