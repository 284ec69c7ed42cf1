//! The data directory's writer lock: one process at a time stores and
//! analyses in a data directory, the others wait their turn.
//!
//! SQLite serialises single writes, but an ingest is a sequence of them
//! (store batches, then analysis steps that read what waits and commit what
//! they computed, then the search index, which has a lock of its own): two
//! interleaved would fail ("database is locked") or analyse the same arrivals
//! twice. `DIR/dossier.lock` is an advisory lock (`flock`), which the system
//! drops when its process ends, however it ends: a killed run never leaves a
//! stale lock behind.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use fs4::fs_std::FileExt;

use crate::{Result, StoreError};

/// Held while a process writes to a data directory; dropping it lets the next one in.
#[derive(Debug)]
pub struct WriterLock {
    _file: File,
}

/// The lock file in a data directory.
pub const LOCK_FILE: &str = "dossier.lock";

fn io(dir: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: dir.join(LOCK_FILE).display().to_string(), source }
}

fn open(dir: &Path) -> Result<File> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    OpenOptions::new().read(true).write(true).create(true).truncate(false).open(dir.join(LOCK_FILE)).map_err(io(dir))
}

/// Who holds the lock, as its holder wrote it ("pid 1234"), or "" when it did not say yet.
fn holder(file: &mut File) -> String {
    let mut s = String::new();
    let _ = file.rewind().and_then(|_| file.take(200).read_to_string(&mut s));
    s.trim().to_string()
}

fn claimed(mut file: File) -> WriterLock {
    // Said for the next one to wait; nothing depends on it.
    let _ = file.set_len(0).and_then(|_| file.rewind()).and_then(|_| write!(file, "pid {}", std::process::id()));
    WriterLock { _file: file }
}

impl WriterLock {
    /// Takes the lock of the data directory `dir`, waiting as long as another
    /// process holds it; before waiting, `on_wait` hears who holds it (to
    /// say so: "waiting for another dossier writing to DIR (pid 1234)").
    pub fn acquire(dir: &Path, on_wait: impl FnOnce(&str)) -> Result<WriterLock> {
        let mut file = open(dir)?;
        if file.try_lock_exclusive().map_err(io(dir))? {
            return Ok(claimed(file));
        }
        on_wait(&holder(&mut file));
        file.lock_exclusive().map_err(io(dir))?;
        Ok(claimed(file))
    }

    /// Takes the lock if it comes free within `patience`; `Ok(Err(holder))` when it did not.
    pub fn acquire_within(dir: &Path, patience: Duration) -> Result<std::result::Result<WriterLock, String>> {
        let mut file = open(dir)?;
        let start = Instant::now();
        loop {
            if file.try_lock_exclusive().map_err(io(dir))? {
                return Ok(Ok(claimed(file)));
            }
            if start.elapsed() >= patience {
                return Ok(Err(holder(&mut file)));
            }
            std::thread::sleep(Duration::from_millis(50).min(patience));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_waits_for_the_first_and_hears_who_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let first = WriterLock::acquire(dir.path(), |_| panic!("nobody holds it yet")).unwrap();
        let busy = WriterLock::acquire_within(dir.path(), Duration::from_millis(100)).unwrap();
        assert_eq!(busy.unwrap_err(), format!("pid {}", std::process::id()));
        let (tx, rx) = std::sync::mpsc::channel();
        let d = dir.path().to_path_buf();
        let waiter = std::thread::spawn(move || {
            let lock = WriterLock::acquire(&d, |who| tx.send(who.to_string()).unwrap()).unwrap();
            drop(lock);
        });
        assert_eq!(rx.recv().unwrap(), format!("pid {}", std::process::id()));
        std::thread::sleep(Duration::from_millis(100));
        assert!(!waiter.is_finished(), "waits while the first holds it");
        drop(first);
        waiter.join().unwrap();
        assert!(WriterLock::acquire_within(dir.path(), Duration::ZERO).unwrap().is_ok());
    }
}
