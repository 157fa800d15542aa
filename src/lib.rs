//! kindly: monthly patient-balance letters, from a billing export to
//! print-ready PDFs and a vendor manifest.
//!
//! The pipeline runs one way, each stage a module of plain functions over
//! plain data: [`ingest`] reads the export, [`policy`] decides each account,
//! [`compose`] writes the wording, [`render`] lays it out with Typst, and
//! [`run_folder`] writes the run folder (and reads it back). [`pipeline`] wires them together.
//!
//! Imports follow that direction and never go back up it. The compiler
//! would allow a cycle, so this list is the rule, kept by hand: a module
//! imports only modules on the lines above its own.
//! - leaves: [`stage`] (the four letters), [`money`], [`digest`], [`dates`], [`decode`], [`sanity`], `jsonl`, [`sorted`], [`lock`], [`png_file`], [`usps`], [`invisible`] (characters that print as nothing)
//! - [`confidential`] (addresses patients asked their letters be sent to)
//! - [`config`] (the practice's settings), [`layouts`]
//! - [`model`] (the data that flows), [`practice`] (its ledger and run folders), [`hold_list`], [`language_access`] (the notice of free language help)
//! - [`household`] (who shares an envelope), [`policy`], [`preflight`], [`synth`]
//! - [`ingest`], [`compose`], [`shard`]
//! - [`run_folder`], [`render`], [`lint`], [`suggest`]
//! - [`proof`] (the proof set signed before mailing), [`validation`], [`verify`], [`print_files`]
//! - [`report`] (report.html), [`print_join`] (combined print files from a run's letter PDFs), [`approval`]
//! - [`ledger`], [`handoff`]
//! - [`outcomes`] (what earlier letters led to)
//! - [`changes`] (what the ledger tells a new run's report: the last run beside it, and outcomes)
//! - [`merge`]
//! - [`pipeline`], which may use all of the above

pub mod approval;
pub mod changes;
pub mod compose;
pub mod confidential;
pub mod config;
pub mod dates;
pub mod decode;
pub mod digest;
pub mod handoff;
pub mod hold_list;
pub mod household;
pub mod ingest;
pub mod invisible;
mod jsonl;
pub mod language_access;
pub mod layouts;
pub mod ledger;
pub mod lint;
pub mod lock;
pub mod merge;
pub mod model;
pub mod money;
pub mod outcomes;
pub mod pipeline;
pub mod png_file;
pub mod policy;
pub mod practice;
pub mod preflight;
pub mod print_files;
pub mod print_join;
pub mod proof;
pub mod render;
pub mod report;
pub mod run_folder;
pub mod sanity;
pub mod shard;
pub mod sorted;
pub mod stage;
pub mod suggest;
pub mod synth;
pub mod usps;
pub mod validation;
pub mod verify;

/// Peak resident memory of this process in bytes, where the OS tells it.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod layering {
    use std::collections::BTreeMap;
    use std::path::Path;

    /// The modules of each line of the rule in this file's opening comment,
    /// by line number: a module may import those on lines above its own.
    fn levels() -> BTreeMap<String, usize> {
        let rule = include_str!("lib.rs")
            .lines()
            .take_while(|l| l.starts_with("//!"))
            .filter(|l| l.starts_with("//! - "));
        let mut levels = BTreeMap::new();
        for (level, line) in rule.enumerate() {
            for name in line.split('`').skip(1).step_by(2) {
                levels.insert(name.to_string(), level);
            }
        }
        levels
    }

    /// Every source file under `dir`.
    fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files(&path, out);
            } else {
                out.push(path);
            }
        }
    }

    /// Every `crate::NAME` in the code (tests aside: a `tests.rs`, or what
    /// follows `#[cfg(test)]`) of each file under `dir`.
    fn imports(dir: &Path, out: &mut Vec<(String, String)>) {
        let mut found = Vec::new();
        files(dir, &mut found);
        for path in found.into_iter().filter(|p| !p.ends_with("tests.rs")) {
            let relative = path.strip_prefix("src").unwrap().to_string_lossy().replace('\\', "/");
            let module = relative.split(['/', '.']).next().unwrap().to_string();
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap();
            for (at, _) in code.match_indices("crate::") {
                let name: String = code[at + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                out.push((module.clone(), name));
            }
        }
    }

    /// The terminal is the `kindly` command's: the library parses no
    /// arguments, draws no progress bar and picks no allocator, so another
    /// program (a test, a service) can call it as it is.
    #[test]
    fn the_library_names_no_command_line_crate() {
        let mut found = Vec::new();
        files(Path::new("src"), &mut found);
        for path in found.iter().filter(|p| !p.starts_with("src/bin")) {
            let text = std::fs::read_to_string(path).unwrap();
            let text = text.split("#[cfg(test)]").next().unwrap();
            for name in ["clap::", "indicatif::", "mimalloc", "ExitCode"] {
                assert!(
                    !text.contains(name),
                    "{} names {name}, which belongs to src/bin/kindly",
                    path.display()
                );
            }
        }
    }

    #[test]
    fn imports_run_one_way() {
        let levels = levels();
        assert!(levels.len() > 20, "the rule lists the modules: {levels:?}");
        let mut found = Vec::new();
        imports(Path::new("src"), &mut found);
        for (module, name) in found {
            if let (Some(own), Some(theirs)) = (levels.get(&module), levels.get(&name))
                && module != name
            {
                assert!(
                    theirs < own,
                    "{module} imports {name}, which is not above it in lib.rs's rule"
                );
            }
        }
    }
}
