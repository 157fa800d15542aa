//! kindly: monthly patient-balance letters, from a billing export to
//! print-ready PDFs and a vendor manifest.
//!
//! The pipeline runs one way, each stage a module of plain functions over
//! plain data: [`ingest`] reads the export, [`policy`] decides each account,
//! [`compose`] writes the wording, [`render`] lays it out with Typst, and
//! [`output`] writes the run folder. [`pipeline`] wires them together.

pub mod compose;
pub mod config;
pub mod ingest;
mod jsonl;
pub mod layouts;
pub mod lint;
pub mod merge;
pub mod model;
pub mod money;
pub mod output;
pub mod pipeline;
pub mod policy;
pub mod preflight;
pub mod render;
pub mod report;
pub mod shard;
pub mod sorted;
pub mod suggest;
pub mod synth;
pub mod verify;

/// Peak resident memory of this process in bytes, where the OS tells it.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
