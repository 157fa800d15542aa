//! Locks that keep two kindly processes from writing the same run folder or
//! the same ledger at once.
//!
//! A lock is an operating-system lock on a small file beside what it guards
//! (`flock` on Unix, `LockFileEx` on Windows, through `std::fs::File::try_lock`),
//! so it is released when its process ends however it ends, `kill -9`
//! included: a lock file left behind by a dead process is simply taken.
//! The file says who holds it, so the process refused can name the holder.
//! Leaf module: imports nothing of kindly's.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A held lock; dropping it releases it.
#[derive(Debug)]
pub struct Lock {
    file: File,
    path: PathBuf,
}

/// Another process holds the lock.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{holder} (lock file {path})")]
    Held { path: PathBuf, holder: String },
    #[error("cannot use the lock file {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// How often a waiting process tries the lock again.
const RETRY: Duration = Duration::from_millis(100);

impl Lock {
    /// Takes the lock at `path`, waiting up to `wait` for its holder to let
    /// go, and writes `holder` into it for whoever is refused next.
    pub fn take(path: &Path, holder: &str, wait: Duration) -> Result<Lock, LockError> {
        let io = |source| LockError::Io { path: path.to_path_buf(), source };
        let started = Instant::now();
        let mut file = loop {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)
                .map_err(io)?;
            match file.try_lock() {
                // The holder before may have removed the file between our
                // open and our lock: then the lock is on a file no longer at
                // the path, and the path is opened again.
                Ok(()) if still_at(&file, path) => break file,
                Ok(()) => continue,
                Err(TryLockError::WouldBlock) if started.elapsed() < wait => {
                    std::thread::sleep(RETRY)
                }
                Err(TryLockError::WouldBlock) => {
                    let mut text = String::new();
                    let _ = file.read_to_string(&mut text);
                    let holder =
                        if text.trim().is_empty() { "another kindly process".into() } else { text };
                    return Err(LockError::Held {
                        path: path.to_path_buf(),
                        holder: holder.trim().to_string(),
                    });
                }
                Err(TryLockError::Error(e)) => return Err(io(e)),
            }
        };
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        file.write_all(holder.as_bytes()).map_err(io)?;
        Ok(Lock { file, path: path.to_path_buf() })
    }
}

/// Whether the locked `file` is still the file at `path`.
#[cfg(unix)]
fn still_at(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(held), Ok(there)) => (held.dev(), held.ino()) == (there.dev(), there.ino()),
        _ => false,
    }
}

/// Elsewhere a lock file is never removed (see [`Drop`]), so it is.
#[cfg(not(unix))]
fn still_at(_: &File, _: &Path) -> bool {
    true
}

/// The lock file is removed while the lock is still held, so a practice's
/// folders keep no `.lock` files between runs; a process that opened it a
/// moment before then holds a lock on a file no longer at its path, sees so
/// ([`still_at`]) and opens the path again. (Where files cannot be removed
/// while open, the emptied file stays.)
impl Drop for Lock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        #[cfg(unix)]
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

/// Who is taking a lock, for the message another process gets: this
/// process's id, what it does and when it started (wall clock, only to tell
/// a person).
pub fn holder(what: &str) -> String {
    let now = chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
    format!("kindly (process {}) {what}, since {now}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_taker_is_refused_naming_the_first_and_gets_it_once_released() {
        let dir = std::env::temp_dir().join(format!("kindly-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.lock");
        let first = Lock::take(&path, "the first run", Duration::ZERO).unwrap();
        let refused = Lock::take(&path, "the second", Duration::from_millis(250)).unwrap_err();
        assert!(refused.to_string().starts_with("the first run"), "{refused}");
        drop(first);
        assert!(!path.exists(), "a released lock leaves no file behind");
        Lock::take(&path, "the second", Duration::ZERO).unwrap();
    }

    #[test]
    fn a_waiter_gets_the_lock_once_its_file_is_removed_and_holds_it_alone() {
        let dir = std::env::temp_dir().join(format!("kindly-lock-race-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("y.lock");
        let first = Lock::take(&path, "the first run", Duration::ZERO).unwrap();
        let waiting = {
            let path = path.clone();
            std::thread::spawn(move || {
                Lock::take(&path, "the waiter", Duration::from_secs(5)).unwrap()
            })
        };
        std::thread::sleep(Duration::from_millis(300));
        drop(first);
        let second = waiting.join().unwrap();
        let third = Lock::take(&path, "a third", Duration::ZERO).unwrap_err();
        assert!(third.to_string().starts_with("the waiter"), "one holder at a time: {third}");
        drop(second);
    }
}
