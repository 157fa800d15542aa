//! The commands the README and docs/ show, run as written, so that an
//! example cannot drift from what kindly does. A block fenced as
//! ```` ```sh tested ```` is run line by line in a scratch copy of the
//! checkout's `sample-data/` and `layouts/`, `cargo run --` standing for
//! `kindly`: a line must exit 0, or the code its `# exit N` comment says,
//! and a `# prints: TEXT` line after it says what its output holds.

use std::path::{Path, PathBuf};

use crate::common::*;

/// One command of a tested block, as written, with what it must do.
struct Example {
    file: String,
    line: usize,
    command: String,
    exit: i32,
    prints: Vec<String>,
}

/// Every command of every tested block in `file`.
fn examples(file: &Path) -> Vec<Example> {
    let text = std::fs::read_to_string(file).unwrap();
    let name = file.strip_prefix(repo()).unwrap().display().to_string();
    let mut found: Vec<Example> = Vec::new();
    let mut tested = false;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            tested = !tested && trimmed == "```sh tested";
            continue;
        }
        if !tested || trimmed.is_empty() {
            continue;
        }
        if let Some(text) = trimmed.strip_prefix("# prints: ") {
            found.last_mut().unwrap().prints.push(text.to_string());
            continue;
        }
        if trimmed.starts_with('#') {
            continue;
        }
        let (command, comment) = trimmed.split_once("  #").unwrap_or((trimmed, ""));
        let exit = comment.trim().strip_prefix("# ").unwrap_or(comment.trim());
        let exit = exit
            .strip_prefix("exit ")
            .and_then(|n| n.split(':').next()?.trim().parse().ok())
            .unwrap_or(0);
        found.push(Example {
            file: name.clone(),
            line: i + 1,
            command: command.trim().to_string(),
            exit,
            prints: vec![],
        });
    }
    found
}

/// The README and every chapter of docs/.
fn documents() -> Vec<PathBuf> {
    let mut files = vec![repo().join("README.md")];
    let mut chapters: Vec<PathBuf> =
        std::fs::read_dir(repo().join("docs")).unwrap().map(|e| e.unwrap().path()).collect();
    chapters.retain(|p| p.extension().is_some_and(|e| e == "md"));
    chapters.sort();
    files.extend(chapters);
    files
}

/// Runs one document's examples in a scratch folder of its own.
fn run_examples(document: &Path) -> usize {
    let examples = examples(document);
    if examples.is_empty() {
        return 0;
    }
    let name = document.file_stem().unwrap().to_string_lossy().to_string();
    let dir = scratch(&format!("docs-{name}"));
    copy_tree(&repo().join("sample-data"), &dir.join("sample-data"));
    copy_tree(&repo().join("layouts"), &dir.join("layouts"));
    let bin = Path::new(env!("CARGO_BIN_EXE_kindly")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let mut cwd = dir.clone();
    for example in &examples {
        if example.command == "cargo test" {
            continue; // the tests themselves: what this runs in
        }
        if let Some(to) = example.command.strip_prefix("cd ") {
            cwd = cwd.join(to);
            continue;
        }
        let command = example.command.replacen("cargo run -- ", "kindly ", 1);
        let output = std::process::Command::new("sh")
            .arg("-c")
            .arg(&command)
            .current_dir(&cwd)
            .env("PATH", &path)
            .output()
            .unwrap();
        let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), stderr(&output));
        let place = format!("{}:{}: `{}`", example.file, example.line, example.command);
        assert_eq!(output.status.code(), Some(example.exit), "{place} exited otherwise:\n{said}");
        for text in &example.prints {
            assert!(said.contains(text), "{place} does not print {text:?}:\n{said}");
        }
    }
    examples.len()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "runs" {
                copy_tree(&entry.path(), &to.join(entry.file_name()));
            }
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

#[test]
fn the_commands_the_documents_show_do_what_they_say() {
    let run: usize = documents().iter().map(|d| run_examples(d)).sum();
    assert!(run >= 10, "the README and docs/ show tested commands: {run}");
}

#[test]
fn the_readme_is_a_front_door() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(readme.lines().count() <= 300, "the manual is in docs/, not the README");
    for chapter in documents().iter().skip(1) {
        let name = chapter.file_name().unwrap().to_string_lossy().to_string();
        assert!(readme.contains(&format!("docs/{name}")), "the README links docs/{name}");
    }
    for link in readme.split("](").skip(1).filter_map(|l| l.split(')').next()) {
        if !link.starts_with("http") && !link.starts_with('#') {
            let file = link.split('#').next().unwrap();
            assert!(repo().join(file).exists(), "the README links {link}, which is not there");
        }
    }
}
