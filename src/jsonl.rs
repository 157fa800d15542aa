//! JSON Lines, one value per line: the work files kindly keeps on disk
//! during a run (the export's partitions, each partition's audit rows), so
//! that memory does not grow with the export.

use std::io::{BufRead, Write};
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Appends `value` as one line.
pub fn write<T: Serialize>(out: &mut impl Write, value: &T) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}

/// The values of the file at `path`, line by line.
pub fn read<T: DeserializeOwned>(
    path: &Path,
) -> std::io::Result<impl Iterator<Item = std::io::Result<T>> + use<T>> {
    let file = std::io::BufReader::new(std::fs::File::open(path)?);
    Ok(file.lines().map(|line| Ok(serde_json::from_str(&line?)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_back_in_order() {
        let path = std::env::temp_dir().join(format!("kindly-jsonl-{}.jsonl", std::process::id()));
        let mut file = std::fs::File::create(&path).unwrap();
        for value in ["a\nb", "c"] {
            write(&mut file, &value).unwrap();
        }
        let back: Vec<String> = read(&path).unwrap().collect::<Result<_, _>>().unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(back, ["a\nb", "c"]);
    }
}
