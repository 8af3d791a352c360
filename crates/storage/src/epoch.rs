//! `LeaderEpochFileCache`: which leader epoch started at which offset (KIP-101, KIP-279).

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{io_context, Result, StorageError};

/// File name inside the partition directory (Kafka's `LeaderEpochCheckpointFile.LEADER_EPOCH_CHECKPOINT_FILENAME`).
pub const LEADER_EPOCH_CHECKPOINT_FILENAME: &str = "leader-epoch-checkpoint";
/// Version line of the checkpoint format.
pub const CHECKPOINT_VERSION: u32 = 0;
/// Kafka's `UNDEFINED_EPOCH`.
pub const UNDEFINED_EPOCH: i32 = -1;
/// Kafka's `UNDEFINED_EPOCH_OFFSET`.
pub const UNDEFINED_EPOCH_OFFSET: i64 = -1;
/// Upper bound on entries read from a checkpoint, so a corrupt count cannot exhaust memory.
pub const CHECKPOINT_ENTRIES_MAX: usize = 1 << 20;

/// `(epoch, start offset)`: the first offset written by the leader in `epoch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochEntry {
    pub epoch: i32,
    pub start_offset: i64,
}

/// Kafka's `LeaderEpochFileCache` with its `LeaderEpochCheckpointFile`.
///
/// File layout (text, `\n` line ends), exactly Kafka's `CheckpointFile`:
///
/// ```text
/// 0            version
/// 2            number of entries
/// 0 0          epoch start_offset
/// 3 1500
/// ```
///
/// Entries increase in both epoch and start offset. The file is rewritten whole on every
/// change: written to `leader-epoch-checkpoint.tmp`, fsynced, renamed over the old one, and
/// the directory fsynced, so after a crash it holds either the old or the new list.
///
/// Thread-safety: not synchronised; owned by the `Log` (`&mut self` to change).
///
/// After a crash: the list may mention offsets the log lost; `Log::open` truncates it to the
/// recovered log end offset and re-adds epochs found in the batches it scanned.
pub struct LeaderEpochFileCache {
    path: PathBuf,
    dir: PathBuf,
    entries: Vec<EpochEntry>,
}

impl LeaderEpochFileCache {
    /// Loads `dir/leader-epoch-checkpoint` (missing → empty). A malformed file is a
    /// `KafkaStorageError`, as in Kafka.
    pub fn open(dir: &Path) -> Result<Self> {
        let path = dir.join(LEADER_EPOCH_CHECKPOINT_FILENAME);
        let _ = std::fs::remove_file(path.with_extension("tmp"));
        let mut cache = Self {
            path,
            dir: dir.to_path_buf(),
            entries: Vec::new(),
        };
        let text = match std::fs::read_to_string(&cache.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(cache),
            Err(e) => {
                return Err(StorageError::storage(
                    format!("read {}", cache.path.display()),
                    e,
                ))
            }
        };
        cache.entries = parse_checkpoint(&text).map_err(|reason| {
            StorageError::storage_invalid_data(format!(
                "malformed {}: {reason}",
                cache.path.display()
            ))
        })?;
        Ok(cache)
    }

    #[must_use]
    pub fn entries(&self) -> &[EpochEntry] {
        &self.entries
    }

    #[must_use]
    pub fn latest_epoch(&self) -> Option<i32> {
        self.entries.last().map(|e| e.epoch)
    }

    #[must_use]
    pub fn earliest_entry(&self) -> Option<EpochEntry> {
        self.entries.first().copied()
    }

    /// Kafka's `assign`: records that `epoch` starts at `start_offset` if that is news (a new
    /// epoch, or the latest epoch starting earlier). Entries that would break monotonicity
    /// (epoch `>=` or start offset `>=` the new one) are removed first. Returns whether the
    /// list changed; the caller persists with [`Self::flush`].
    pub fn assign(&mut self, epoch: i32, start_offset: i64) -> bool {
        if epoch < 0 || start_offset < 0 {
            return false;
        }
        let needed = self
            .entries
            .last()
            .map_or(true, |l| l.epoch != epoch || start_offset < l.start_offset);
        if !needed {
            return false;
        }
        while let Some(last) = self.entries.last() {
            if last.epoch >= epoch || last.start_offset >= start_offset {
                self.entries.pop();
            } else {
                break;
            }
        }
        self.entries.push(EpochEntry {
            epoch,
            start_offset,
        });
        true
    }

    /// Kafka's `endOffsetFor(requestedEpoch, logEndOffset)`, answering `OffsetForLeaderEpoch`:
    /// - the latest epoch → `(epoch, log_end_offset)`;
    /// - an epoch with a later one → `(largest known epoch <= requested, start offset of the
    ///   first epoch > requested)`; below every known epoch that is `(requested, start
    ///   offset of the earliest epoch)`;
    /// - above every known epoch, `UNDEFINED_EPOCH` requested, or an empty cache →
    ///   `(UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET)`.
    #[must_use]
    pub fn end_offset_for(&self, requested_epoch: i32, log_end_offset: i64) -> (i32, i64) {
        if requested_epoch == UNDEFINED_EPOCH {
            return (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET);
        }
        if self.latest_epoch() == Some(requested_epoch) {
            return (requested_epoch, log_end_offset);
        }
        let Some(higher) = self.entries.iter().find(|e| e.epoch > requested_epoch) else {
            return (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET);
        };
        match self
            .entries
            .iter()
            .rev()
            .find(|e| e.epoch <= requested_epoch)
        {
            Some(floor) => (floor.epoch, higher.start_offset),
            None => (requested_epoch, higher.start_offset),
        }
    }

    /// Kafka's `truncateFromEnd`: removes entries starting at or after `end_offset`.
    pub fn truncate_from_end(&mut self, end_offset: i64) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| e.start_offset < end_offset);
        before != self.entries.len()
    }

    /// Kafka's `truncateFromStart`: removes entries starting at or before `start_offset`,
    /// keeping the last of them moved up to `start_offset`.
    pub fn truncate_from_start(&mut self, start_offset: i64) -> bool {
        let below = self
            .entries
            .iter()
            .take_while(|e| e.start_offset <= start_offset)
            .count();
        if below == 0 {
            return false;
        }
        let kept = EpochEntry {
            epoch: self.entries[below - 1].epoch,
            start_offset,
        };
        let changed = below > 1 || self.entries[0] != kept;
        self.entries.drain(..below);
        self.entries.insert(0, kept);
        changed
    }

    /// Persists the list: temp file, fsync, rename, directory fsync.
    pub fn flush(&self) -> Result<()> {
        let tmp = self.path.with_extension("tmp");
        let mut text = format!("{CHECKPOINT_VERSION}\n{}\n", self.entries.len());
        for e in &self.entries {
            let _ = writeln!(text, "{} {}", e.epoch, e.start_offset);
        }
        let ctx = || format!("write {}", tmp.display());
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(io_context(ctx()))?;
        f.write_all(text.as_bytes()).map_err(io_context(ctx()))?;
        f.sync_all().map_err(io_context(ctx()))?;
        drop(f);
        std::fs::rename(&tmp, &self.path)
            .map_err(io_context(format!("rename {}", tmp.display())))?;
        sync_dir(&self.dir)
    }
}

/// fsyncs a directory so that creations, renames and deletions in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_context(format!("fsync directory {}", dir.display())))
}

fn parse_checkpoint(text: &str) -> std::result::Result<Vec<EpochEntry>, String> {
    let mut lines = text.lines();
    let version = lines.next().ok_or("empty file")?.trim();
    if version != CHECKPOINT_VERSION.to_string() {
        return Err(format!("unsupported version {version:?}"));
    }
    let count: usize = lines
        .next()
        .ok_or("missing entry count")?
        .trim()
        .parse()
        .map_err(|e| format!("entry count: {e}"))?;
    if count > CHECKPOINT_ENTRIES_MAX {
        return Err(format!(
            "entry count {count} above {CHECKPOINT_ENTRIES_MAX}"
        ));
    }
    let mut entries: Vec<EpochEntry> = Vec::with_capacity(count);
    for n in 0..count {
        let line = lines
            .next()
            .ok_or_else(|| format!("expected {count} entries, found {n}"))?;
        let mut parts = line.split_whitespace();
        let (Some(epoch), Some(offset), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("malformed line {line:?}"));
        };
        let epoch: i32 = epoch
            .parse()
            .map_err(|e| format!("epoch in {line:?}: {e}"))?;
        let start_offset: i64 = offset
            .parse()
            .map_err(|e| format!("offset in {line:?}: {e}"))?;
        if let Some(prev) = entries.last() {
            if epoch <= prev.epoch || start_offset < prev.start_offset {
                return Err(format!(
                    "entry {line:?} does not follow {} {}",
                    prev.epoch, prev.start_offset
                ));
            }
        }
        entries.push(EpochEntry {
            epoch,
            start_offset,
        });
    }
    if lines.any(|l| !l.trim().is_empty()) {
        return Err(format!("more lines than the {count} entries announced"));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(entries: &[(i32, i64)]) -> (tempfile::TempDir, LeaderEpochFileCache) {
        let dir = tempfile::tempdir().unwrap();
        let mut c = LeaderEpochFileCache::open(dir.path()).unwrap();
        for &(e, o) in entries {
            assert!(c.assign(e, o));
        }
        (dir, c)
    }

    #[test]
    fn file_format_is_kafkas() {
        let (dir, c) = cache(&[(0, 0), (3, 150), (4, 200)]);
        c.flush().unwrap();
        let text = std::fs::read_to_string(dir.path().join("leader-epoch-checkpoint")).unwrap();
        assert_eq!(text, "0\n3\n0 0\n3 150\n4 200\n");
        let again = LeaderEpochFileCache::open(dir.path()).unwrap();
        assert_eq!(again.entries(), c.entries());
    }

    #[test]
    fn malformed_file_is_a_storage_error() {
        let dir = tempfile::tempdir().unwrap();
        for text in ["1\n0\n", "0\n2\n0 0\n", "0\n1\nx 0\n", "0\n2\n3 10\n2 20\n"] {
            std::fs::write(dir.path().join("leader-epoch-checkpoint"), text).unwrap();
            let err = LeaderEpochFileCache::open(dir.path()).err().expect(text);
            assert_eq!(err.kafka_error_code(), 56);
        }
    }

    #[test]
    fn end_offset_for_follows_kafka() {
        let (_d, c) = cache(&[(1, 10), (3, 20), (5, 40)]);
        let leo = 55;
        assert_eq!(c.end_offset_for(5, leo), (5, 55), "latest epoch → LEO");
        assert_eq!(c.end_offset_for(3, leo), (3, 40), "start of the next epoch");
        assert_eq!(
            c.end_offset_for(4, leo),
            (3, 40),
            "unknown epoch between: floor epoch, next start"
        );
        assert_eq!(
            c.end_offset_for(0, leo),
            (0, 10),
            "below the earliest: earliest start offset"
        );
        assert_eq!(
            c.end_offset_for(6, leo),
            (-1, -1),
            "above the latest: undefined"
        );
        assert_eq!(c.end_offset_for(-1, leo), (-1, -1));
        let (_d, empty) = cache(&[]);
        assert_eq!(empty.end_offset_for(0, 0), (-1, -1));
    }

    #[test]
    fn assign_and_truncate() {
        let (_d, mut c) = cache(&[(1, 10), (3, 20)]);
        assert!(!c.assign(3, 25), "same epoch later: no change");
        assert!(c.assign(3, 15), "same epoch earlier start replaces");
        assert_eq!(
            c.entries(),
            &[
                EpochEntry {
                    epoch: 1,
                    start_offset: 10
                },
                EpochEntry {
                    epoch: 3,
                    start_offset: 15
                }
            ]
        );
        assert!(c.assign(7, 30));
        assert!(c.truncate_from_end(30));
        assert_eq!(c.latest_epoch(), Some(3));
        assert!(c.truncate_from_start(17));
        assert_eq!(
            c.entries(),
            &[EpochEntry {
                epoch: 3,
                start_offset: 17
            }]
        );
        assert!(!c.truncate_from_start(5));
    }
}
