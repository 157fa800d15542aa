//! What every end-to-end test needs: the `kindly` binary, scratch folders
//! that are new for each test, and the shipped sample run made once.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub const AS_OF: &str = "2026-11-30";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn config() -> PathBuf {
    repo().join("sample-data/kindly.toml")
}

pub fn sample_export() -> PathBuf {
    repo().join("sample-data/export.csv")
}

/// A fresh, empty folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A copy of the shipped layouts with one file (a path inside `layouts/`)
/// changed.
pub fn layouts_with(dir: &Path, file: &str, edit: impl Fn(&str) -> String) -> PathBuf {
    let copy = dir.join("layouts");
    copy_dir(&repo().join("layouts"), &copy);
    let path = copy.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, edit(&text)).unwrap();
    copy
}

/// A copy of the sample config in `dir`, pointing at the shipped layouts,
/// with `edit` applied to its text.
pub fn config_with(dir: &Path, edit: impl Fn(&str) -> String) -> PathBuf {
    let path = dir.join("kindly.toml");
    let layouts = format!("layouts = {:?}", repo().join("layouts").display().to_string());
    let text =
        std::fs::read_to_string(config()).unwrap().replace("layouts = \"../layouts\"", &layouts);
    std::fs::write(&path, edit(&text)).unwrap();
    path
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// The `kindly` binary with these arguments, to run or spawn.
pub fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kindly"));
    command.args(args);
    command
}

pub fn kindly(args: &[&str]) -> Output {
    command(args).output().unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A ledger that is never there, for the commands that only read one
/// (`validate`, `preview`, `proof`): they decide as if nothing had been
/// sent, whatever sample runs a developer left beside the sample config.
pub fn no_ledger() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-no-ledger").join("kindly-ledger.sqlite")
}

/// A kindly command on an export with a config, as of the tests' date, with
/// no ledger unless `extra` names one.
pub fn on_export(command: &str, config: &Path, export: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        command,
        export.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--as-of",
        AS_OF,
    ];
    let ledger = no_ledger().display().to_string();
    if !extra.contains(&"--ledger") {
        args.extend(["--ledger", &ledger, "--new-ledger"]);
    }
    args.extend_from_slice(extra);
    kindly(&args)
}

/// `kindly run` on an export into `out`, as of the tests' date.
pub fn run_with(config: &Path, export: &Path, out: &Path, extra: &[&str]) -> Output {
    run_as_of(config, export, out, AS_OF, extra)
}

/// `kindly run` on an export into `out`, as of `as_of`, with the ledger
/// beside `out` (a ledger of the test's own) unless `extra` names one.
pub fn run_as_of(config: &Path, export: &Path, out: &Path, as_of: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "run",
        export.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--as-of",
        as_of,
    ];
    args.extend(["--out", out.to_str().unwrap(), "--quiet"]);
    let ledger = ledger_beside(out).display().to_string();
    if !extra.contains(&"--ledger") {
        args.extend(["--ledger", &ledger, "--new-ledger"]);
    }
    args.extend_from_slice(extra);
    kindly(&args)
}

/// The ledger the tests' runs into `out` use: beside it.
pub fn ledger_beside(out: &Path) -> PathBuf {
    out.parent().unwrap().join("kindly-ledger.sqlite")
}

/// Runs kindly with the sample config and insists it succeeds.
pub fn run_ok(export: &Path, out: &Path, extra: &[&str]) {
    let output = run_with(&config(), export, out, extra);
    assert!(output.status.success(), "kindly run failed: {}", stderr(&output));
}

/// The sample run, made once and shared by the tests that only read it.
pub fn sample_run() -> &'static Path {
    static RUN: OnceLock<PathBuf> = OnceLock::new();
    RUN.get_or_init(|| {
        let out = scratch("sample").join("run");
        run_ok(&sample_export(), &out, &[]);
        out
    })
}

/// A copy of the sample config in `dir` with combined print files on.
pub fn print_config(dir: &Path) -> PathBuf {
    config_with(dir, |t| t.replace("combined = false", "combined = true"))
}

/// The sample run with combined print files, made once and shared.
pub fn print_run() -> &'static Path {
    static RUN: OnceLock<PathBuf> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = scratch("sample-print");
        let out = dir.join("run");
        let output = run_with(&print_config(&dir), &sample_export(), &out, &[]);
        assert!(output.status.success(), "kindly run failed: {}", stderr(&output));
        out
    })
}

pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

pub fn read_csv(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    csv::Reader::from_path(path).unwrap().deserialize().map(Result::unwrap).collect()
}

/// Header of the default export layout, for tests that write their own rows.
pub const HEADER: &str = "Account,Guarantor,Address 1,Address 2,City,State,ZIP,Service Date,Description,Charge,Payments,Adjustments,Language,Insurance Pending,Dispute,Do Not Mail,Large Print\n";

pub fn write_export(dir: &Path, rows: &str) -> PathBuf {
    let path = dir.join("export.csv");
    std::fs::write(&path, format!("{HEADER}{rows}")).unwrap();
    path
}

/// The sample config's recipient window: left, top, width, height in inches.
pub const RECIPIENT_WINDOW: (f64, f64, f64, f64) = (0.625, 2.125, 4.0, 1.0);

/// The first line in the recipient window of each letter of a run (the
/// name it is addressed to, read back from the PDF), by account.
pub fn names_in_window(run: &Path) -> std::collections::BTreeMap<String, String> {
    read_csv(&run.join("audit.csv"))
        .into_iter()
        .filter(|row| !row["piece_id"].is_empty())
        .map(|row| {
            let file = run.join("letters").join(format!("{}.pdf", row["piece_id"]));
            let doc = crate::pdf::read(&std::fs::read(file).unwrap());
            let first = doc
                .lines_touching(1, RECIPIENT_WINDOW)
                .first()
                .map(|l| l.text())
                .unwrap_or_default();
            (row["account"].clone(), first)
        })
        .collect()
}

/// `kindly sample-export --months`: `months` monthly exports of one
/// practice of `accounts` accounts, the first as of `first`, into `dir`;
/// `extra` arguments after them (`--trial`).
pub fn sample_months(
    dir: &Path,
    (accounts, seed): (usize, u64),
    first: &str,
    months: usize,
    extra: &[&str],
) {
    let (accounts, seed, months) = (accounts.to_string(), seed.to_string(), months.to_string());
    let mut args = vec![
        "sample-export",
        "--accounts",
        &accounts,
        "--seed",
        &seed,
        "--as-of",
        first,
        "--months",
        &months,
        "-o",
        dir.to_str().unwrap(),
    ];
    args.extend(extra);
    let made = kindly(&args);
    assert!(made.status.success(), "{}", stderr(&made));
}
