//! Sharded runs: four shards and a merge give the same run folder as one
//! machine, and a merge refuses shards that are not one whole run.

use std::path::Path;

use crate::common::*;

/// Every file of a run folder but run.json, with its bytes.
pub fn files(folder: &Path) -> Vec<(String, Vec<u8>)> {
    let mut found = Vec::new();
    for dir in [folder.to_path_buf(), folder.join("letters")] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() && path.file_name().unwrap() != "run.json" {
                let name = path.strip_prefix(folder).unwrap().display().to_string();
                found.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    found.sort();
    found
}

/// `kindly merge` of `shards` into `out`, recorded in the ledger beside it.
pub fn merge(shards: &[&str], out: &Path) -> std::process::Output {
    let ledger = ledger_beside(out);
    let mut args = vec!["merge"];
    args.extend(shards);
    args.extend([
        "--out",
        out.to_str().unwrap(),
        "--ledger",
        ledger.to_str().unwrap(),
        "--new-ledger",
    ]);
    kindly(&args)
}

/// `count` shards of the sample export with `config`, each in `dir`.
pub fn shard_runs(dir: &Path, count: u32, config: &Path) -> Vec<String> {
    (1..=count)
        .map(|k| {
            let out = dir.join(format!("shard-{k}"));
            let output =
                run_with(config, &sample_export(), &out, &["--shard", &format!("{k}/{count}")]);
            assert!(output.status.success(), "{}", stderr(&output));
            out.display().to_string()
        })
        .collect()
}

#[test]
fn four_shards_merged_are_the_unsharded_run() {
    let dir = scratch("shards");
    let shards = shard_runs(&dir, 4, &config());
    let records: Vec<_> =
        shards.iter().map(|s| read_json(&Path::new(s).join("run.json"))).collect();
    let letters: Vec<u64> =
        records.iter().map(|r| r["counts"]["letters"].as_u64().unwrap()).collect();
    assert!(letters.iter().all(|&n| n > 0), "every shard has letters: {letters:?}");
    let rejected: Vec<u64> =
        records.iter().map(|r| r["counts"]["rows"]["rejected"].as_u64().unwrap()).collect();
    assert!(
        rejected[0] > 0 && rejected[1..].iter().all(|&n| n == 0),
        "shard 1 reports rejects: {rejected:?}"
    );

    let merged = dir.join("merged");
    let output = merge(&shards.iter().map(String::as_str).collect::<Vec<_>>(), &merged);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(kindly(&["verify", merged.to_str().unwrap()]).status.success());

    // Without combined print files: each shard writes its own, so a merged
    // run's print files are not the unsharded run's.
    let whole = sample_run();
    let (a, b) = (files(whole), files(&merged));
    assert_eq!(
        a.iter().map(|f| &f.0).collect::<Vec<_>>(),
        b.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{name} differs between the unsharded and the merged run");
    }
    let (whole, merged) = (read_json(&whole.join("run.json")), read_json(&merged.join("run.json")));
    assert_eq!(whole["counts"], merged["counts"]);
    assert_eq!(whole["files"], merged["files"]);
    assert_eq!(merged["merged_from"].as_array().unwrap().len(), 4);
}

#[test]
fn merged_shards_keep_each_shards_print_files() {
    let dir = scratch("shards-print");
    let shards = shard_runs(&dir, 2, &print_config(&dir));
    let merged = dir.join("merged");
    let output = merge(&[&shards[0], &shards[1]], &merged);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(kindly(&["verify", merged.to_str().unwrap()]).status.success());
    assert!(merged.join("print/letters-shard-1-of-2-0001.pdf").is_file());
    assert!(merged.join("print/letters-shard-2-of-2-0001.pdf").is_file());
    crate::vendors::assert_print_files_hold_their_pieces(&merged);
}

#[test]
fn a_merge_needs_every_shard_of_one_run() {
    let dir = scratch("shards-missing");
    let shards = shard_runs(&dir, 2, &config());
    let out = dir.join("merged");
    let output = merge(&[&shards[0]], &out);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("each of shards 1 to 2 exactly once"), "{}", stderr(&output));
    assert!(!out.exists());

    // A letter changed after its shard was made stops the merge.
    let letter = std::fs::read_dir(Path::new(&shards[1]).join("letters"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::write(&letter, b"not the letter").unwrap();
    let output = merge(&[&shards[0], &shards[1]], &out);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("fails its checks"), "{}", stderr(&output));
    assert!(!out.exists());
}

#[test]
fn shards_read_with_different_mappings_are_not_merged() {
    let dir = scratch("shards-mapping");
    // The config's own [input], as a mapping file: the same letters, but a
    // different file shaped the run, and run.json says so.
    let config = std::fs::read_to_string(config()).unwrap();
    let input = config.split("[input]").nth(1).unwrap().split("\n[vendor]").next().unwrap();
    let mapping = dir.join("mapping.toml");
    std::fs::write(&mapping, input.replace("[input.", "[")).unwrap();
    let first = dir.join("shard-1");
    run_ok(&sample_export(), &first, &["--shard", "1/2"]);
    let second = dir.join("shard-2");
    run_ok(&sample_export(), &second, &["--shard", "2/2", "--mapping", mapping.to_str().unwrap()]);
    assert!(
        read_json(&second.join("run.json"))["mapping"]["file"]
            .as_str()
            .unwrap()
            .ends_with("mapping.toml")
    );
    let out = dir.join("merged");
    let output = merge(&[first.to_str().unwrap(), second.to_str().unwrap()], &out);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("mapping"), "{}", stderr(&output));
    assert!(!out.exists());
}
