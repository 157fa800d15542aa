//! Partition files on disk, in a private folder removed when done.

/// A private folder of partition files, removed when dropped.
pub(super) struct Spill(pub(super) std::path::PathBuf);

impl Spill {
    pub(super) fn create() -> std::io::Result<Spill> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!("kindly-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Spill(dir))
    }

    pub(super) fn part(&self, i: u64) -> std::path::PathBuf {
        self.0.join(format!("{i}.jsonl"))
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
