//! The exclusive lock on a log directory (Kafka's `.lock` file, `FileLock` in
//! `LogManager.lockLogDirs`): one broker process owns a directory, a second one is refused
//! before it reads or writes anything there.
//!
//! Layout: `<log.dir>/.lock`, a regular file. Kafka leaves it empty; Tidelog writes the
//! holder's process id and a newline into it after taking the lock, so a refused broker can
//! name the holder. The content is informational only: the lock is the kernel's, not the
//! file's.
//!
//! The lock is an open-file-description lock (`F_OFD_SETLK`, Linux 3.15+) on the whole file:
//! it belongs to this open file, not to the process, so closing some other descriptor of the
//! same file in this process does not drop it (classic POSIX locks would), and it conflicts
//! with the classic POSIX lock Apache Kafka's `FileChannel.tryLock` takes, so Tidelog and
//! Kafka refuse each other's directories too. Elsewhere (macOS) it is `flock(LOCK_EX)`.
//!
//! Thread-safety: a [`LogDirLock`] is plain data; dropping it (or [`LogDirLock::release`])
//! releases the lock. After a crash the kernel drops the lock with the process, so a stale
//! `.lock` file never blocks a restart.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// The lock file's name in every log directory, as Kafka names it.
pub const LOCK_FILE_NAME: &str = ".lock";

/// Why a log directory could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum LogDirLockError {
    /// Another process holds the lock.
    #[error("{} is locked by another process{}: another broker is using this log directory", path.display(), holder_text(*holder_pid))]
    Held {
        path: PathBuf,
        /// The holder's pid, when known (written by Tidelog, or reported by the kernel for
        /// Kafka's POSIX lock).
        holder_pid: Option<i32>,
    },
    /// The lock file could not be opened or locked.
    #[error("cannot lock {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

fn holder_text(pid: Option<i32>) -> String {
    pid.map_or_else(String::new, |pid| format!(" (pid {pid})"))
}

/// An exclusive lock on one log directory, held until dropped.
#[derive(Debug)]
pub struct LogDirLock {
    file: File,
    path: PathBuf,
}

impl LogDirLock {
    /// Takes the lock on `dir` (which must exist) without waiting, creating `dir/.lock` if
    /// needed, and records this process's id in it.
    pub fn try_lock(dir: &Path) -> Result<Self, LogDirLockError> {
        let path = dir.join(LOCK_FILE_NAME);
        let io_error = |source| LogDirLockError::Io {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_error)?;
        match lock_exclusive(&file) {
            Ok(()) => {}
            Err(e) if is_contended(&e) => {
                let holder_pid = holder_pid_of(&mut file);
                return Err(LogDirLockError::Held { path, holder_pid });
            }
            Err(e) => return Err(io_error(e)),
        }
        // Informational: the holder's pid. A failure here does not undo the lock.
        let mut record = || -> io::Result<()> {
            file.set_len(0)?;
            file.seek(SeekFrom::Start(0))?;
            writeln!(file, "{}", std::process::id())?;
            file.flush()
        };
        record().map_err(io_error)?;
        Ok(Self { file, path })
    }

    /// The `.lock` file this lock is on.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Releases the lock (as dropping does). The file stays, as Kafka leaves it.
    pub fn release(self) {
        drop(self);
    }
}

impl Drop for LogDirLock {
    fn drop(&mut self) {
        // Closing the descriptor releases an OFD or flock lock; clear the pid first so the
        // file does not name a process that no longer holds it.
        let _ = self.file.set_len(0);
    }
}

fn is_contended(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(code) if code == libc::EAGAIN || code == libc::EACCES || code == libc::EWOULDBLOCK)
}

/// The holder's pid: the one Tidelog wrote into the file, else the kernel's answer for a
/// classic POSIX lock (Kafka's). `None` when neither says.
fn holder_pid_of(file: &mut File) -> Option<i32> {
    let mut text = String::new();
    let written = file
        .seek(SeekFrom::Start(0))
        .and_then(|_| file.take(32).read_to_string(&mut text))
        .ok()
        .and_then(|_| text.trim().parse::<i32>().ok())
        .filter(|pid| *pid > 0);
    written.or_else(|| posix_lock_holder(file))
}

#[cfg(target_os = "linux")]
fn whole_file_write_lock() -> libc::flock {
    // SAFETY: `flock` is a plain C struct of integers; all-zero is a valid value, and
    // l_start = l_len = 0 with SEEK_SET means "the whole file".
    let mut lock: libc::flock = unsafe { std::mem::zeroed() };
    lock.l_type = libc::F_WRLCK as libc::c_short;
    lock.l_whence = libc::SEEK_SET as libc::c_short;
    lock
}

#[cfg(target_os = "linux")]
fn lock_exclusive(file: &File) -> io::Result<()> {
    let lock = whole_file_write_lock();
    // SAFETY: the descriptor is open for the lifetime of `file`, and F_OFD_SETLK reads only
    // the `flock` struct we pass by pointer, which outlives the call.
    let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_SETLK, &lock) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(target_os = "linux")]
fn posix_lock_holder(file: &File) -> Option<i32> {
    let mut lock = whole_file_write_lock();
    // SAFETY: as above; F_GETLK writes the conflicting lock into the struct we own.
    let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETLK, &mut lock) };
    // An OFD holder reports pid -1; F_UNLCK means nobody holds it any more.
    (rc == 0 && i32::from(lock.l_type) != libc::F_UNLCK && lock.l_pid > 0).then_some(lock.l_pid)
}

#[cfg(not(target_os = "linux"))]
fn lock_exclusive(file: &File) -> io::Result<()> {
    // SAFETY: flock(2) on a descriptor that is open for the lifetime of `file`.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn posix_lock_holder(_file: &File) -> Option<i32> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_dir_is_refused_and_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let first = LogDirLock::try_lock(dir.path()).unwrap();
        let err = LogDirLock::try_lock(dir.path()).unwrap_err();
        match &err {
            LogDirLockError::Held { path, holder_pid } => {
                assert_eq!(path, &dir.path().join(".lock"));
                assert_eq!(*holder_pid, Some(std::process::id() as i32));
            }
            LogDirLockError::Io { .. } => panic!("expected Held, got {err}"),
        }
        assert!(err
            .to_string()
            .contains("another broker is using this log directory"));
        first.release();
        let again = LogDirLock::try_lock(dir.path()).unwrap();
        assert_eq!(again.path(), dir.path().join(".lock"));
    }

    #[test]
    fn closing_another_descriptor_of_the_file_keeps_the_lock() {
        // Classic POSIX locks would be dropped here; OFD locks are not.
        let dir = tempfile::tempdir().unwrap();
        let _held = LogDirLock::try_lock(dir.path()).unwrap();
        drop(File::open(dir.path().join(".lock")).unwrap());
        assert!(matches!(
            LogDirLock::try_lock(dir.path()),
            Err(LogDirLockError::Held { .. })
        ));
    }

    #[test]
    fn a_missing_dir_is_an_io_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let err = LogDirLock::try_lock(&missing).unwrap_err();
        assert!(matches!(err, LogDirLockError::Io { .. }));
        assert!(err.to_string().contains("nope/.lock"), "{err}");
    }

    #[test]
    fn release_clears_the_recorded_pid() {
        let dir = tempfile::tempdir().unwrap();
        let lock = LogDirLock::try_lock(dir.path()).unwrap();
        let text = std::fs::read_to_string(dir.path().join(".lock")).unwrap();
        assert_eq!(text.trim(), std::process::id().to_string());
        lock.release();
        assert_eq!(
            std::fs::read_to_string(dir.path().join(".lock")).unwrap(),
            ""
        );
    }
}
