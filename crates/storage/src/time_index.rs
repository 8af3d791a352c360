//! `TimeIndex`: sparse map from timestamp to the offset from which to search for it.

use std::path::Path;

use crate::batch::NO_TIMESTAMP;
use crate::error::Result;
use crate::index_file::{IndexFile, IndexLoad};

/// Bytes per entry: timestamp (i64 BE) + relative offset (u32 BE).
pub const ENTRY_SIZE: usize = 12;
const _: () = assert!(ENTRY_SIZE == 12);

/// One time index entry with an absolute offset (Kafka's `TimestampOffset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimestampOffset {
    pub timestamp: i64,
    pub offset: i64,
}

/// Kafka's `TimeIndex`: the `<base offset>.timeindex` file of a segment.
///
/// Byte layout: 12-byte entries `[timestamp: i64 BE][relative offset: u32 BE]`. An entry
/// `(t, o)` says: `t` is the largest timestamp in the segment up to the batch whose last
/// offset is `o` ("shallow" offset), so no batch before `o`'s has a timestamp above `t`.
/// Timestamps and offsets never decrease. An entry is added, when the timestamp grew, each
/// time the offset index gets one, and once more when the segment rolls or closes so the
/// last entry holds the segment's largest timestamp. The last slot of the preallocated file
/// is kept for that final entry, which is why [`TimeIndex::is_full`] is one entry early.
///
/// Thread-safety: not internally synchronised; `&self` reads, `&mut self` writes.
///
/// After a crash: an untrimmed, missing or inconsistent file fails the sanity check on open
/// and is rebuilt from the segment's log.
pub struct TimeIndex {
    base_offset: i64,
    file: IndexFile,
}

impl TimeIndex {
    pub(crate) fn open(path: &Path, base_offset: i64) -> Result<(Self, IndexLoad)> {
        let (file, mut load) = IndexFile::open(path, ENTRY_SIZE)?;
        let index = Self { base_offset, file };
        if load == IndexLoad::Clean {
            if let Err(reason) = index.sanity_check() {
                load = IndexLoad::Corrupt(reason);
            }
        }
        Ok((index, load))
    }

    fn timestamp_of(entry: &[u8]) -> i64 {
        i64::from_be_bytes(entry[0..8].try_into().expect("8 bytes"))
    }

    fn relative(entry: &[u8]) -> u32 {
        u32::from_be_bytes(entry[8..12].try_into().expect("4 bytes"))
    }

    fn at(&self, n: usize) -> TimestampOffset {
        let e = self.file.entry(n);
        TimestampOffset {
            timestamp: Self::timestamp_of(e),
            offset: self.base_offset + i64::from(Self::relative(e)),
        }
    }

    /// Kafka's `TimeIndex.sanityCheck` plus monotonicity of every entry.
    pub fn sanity_check(&self) -> std::result::Result<(), String> {
        let mut prev: Option<TimestampOffset> = None;
        for n in 0..self.file.entries() {
            let e = self.at(n);
            if let Some(p) = prev {
                if e.timestamp < p.timestamp || e.offset < p.offset {
                    return Err(format!(
                        "entry {n} ({}, {}) goes back from ({}, {})",
                        e.timestamp, e.offset, p.timestamp, p.offset
                    ));
                }
            }
            prev = Some(e);
        }
        Ok(())
    }

    #[must_use]
    pub fn entries(&self) -> usize {
        self.file.entries()
    }

    #[must_use]
    pub fn max_entries(&self) -> usize {
        self.file.capacity_entries()
    }

    /// Kafka's `TimeIndex.isFull`: the last slot is reserved for the roll-time entry.
    #[must_use]
    pub fn is_full(&self) -> bool {
        self.entries() + 1 >= self.max_entries()
    }

    /// Room for `n` more regular entries (keeping the reserved slot).
    #[must_use]
    pub fn has_room_for(&self, n: usize) -> bool {
        self.entries() + n < self.max_entries()
    }

    /// The last entry, or `(NO_TIMESTAMP, base_offset)` when empty (Kafka's `lastEntry`).
    #[must_use]
    pub fn last_entry(&self) -> TimestampOffset {
        match self.entries() {
            0 => TimestampOffset {
                timestamp: NO_TIMESTAMP,
                offset: self.base_offset,
            },
            n => self.at(n - 1),
        }
    }

    #[must_use]
    pub fn entry(&self, n: usize) -> TimestampOffset {
        assert!(n < self.entries());
        self.at(n)
    }

    /// The entry with the largest timestamp `<= target`, or `(NO_TIMESTAMP, base_offset)`
    /// (Kafka's `lookup`).
    #[must_use]
    pub fn lookup(&self, target_ms: i64) -> TimestampOffset {
        match self
            .file
            .largest_lower_bound(&target_ms, Self::timestamp_of)
        {
            Some(n) => self.at(n),
            None => TimestampOffset {
                timestamp: NO_TIMESTAMP,
                offset: self.base_offset,
            },
        }
    }

    /// Kafka's `maybeAppend`: adds `(timestamp, offset)` if `timestamp` is above the last
    /// entry's. `skip_full_check` is for the roll-time entry that uses the reserved slot.
    pub fn maybe_append(&mut self, timestamp: i64, offset: i64, skip_full_check: bool) {
        let last = self.last_entry();
        if timestamp <= last.timestamp {
            return;
        }
        assert!(
            offset >= last.offset,
            "time index offset {offset} below last {}",
            last.offset
        );
        if self.entries() >= self.max_entries() || (!skip_full_check && self.is_full()) {
            // Only reachable with skip_full_check=false, which the segment avoids by rolling;
            // the index is a hint, so dropping the entry is safe.
            return;
        }
        let relative = offset - self.base_offset;
        assert!((0..=i64::from(u32::MAX)).contains(&relative));
        let mut bytes = [0u8; ENTRY_SIZE];
        bytes[0..8].copy_from_slice(&timestamp.to_be_bytes());
        bytes[8..12].copy_from_slice(&(relative as u32).to_be_bytes());
        self.file.push(&bytes);
    }

    /// Removes every entry with offset `>= offset` (Kafka's `truncateTo`).
    pub fn truncate_to(&mut self, offset: i64) {
        let keep = if offset <= self.base_offset {
            0
        } else {
            let target = (offset - 1 - self.base_offset).min(i64::from(u32::MAX));
            match self
                .file
                .largest_lower_bound(&target, |e| i64::from(Self::relative(e)))
            {
                Some(n) => n + 1,
                None => 0,
            }
        };
        self.file.truncate_entries(keep);
    }

    pub(crate) fn reset(&mut self) {
        self.file.truncate_entries(0);
    }

    pub(crate) fn resize_for_max_bytes(&mut self, max_index_size_bytes: u32) -> Result<()> {
        let capacity = (max_index_size_bytes as usize / ENTRY_SIZE).max(self.entries() + 1);
        self.file.resize_entries(capacity)
    }

    /// Trims the file to its entries (Kafka's `trimToValidSize`), without fsync: the
    /// segment's flush (or its `on_become_inactive`) fsyncs it.
    pub(crate) fn trim_unflushed(&mut self) -> Result<()> {
        self.file.trim_unflushed()
    }

    /// The file holds exactly its entries (as a clean close leaves it).
    pub(crate) fn is_trimmed(&self) -> bool {
        self.file.is_trimmed()
    }

    pub(crate) fn flush(&self) -> Result<()> {
        self.file.flush()
    }

    pub(crate) fn path(&self) -> &Path {
        self.file.path()
    }

    pub(crate) fn rename_to(&mut self, path: &Path) -> Result<()> {
        self.file.rename_to(path)
    }

    pub(crate) fn delete(self) -> Result<()> {
        self.file.delete()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_and_reserved_slot() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("00000000000000000000.timeindex");
        let (mut idx, load) = TimeIndex::open(&path, 100).unwrap();
        assert_eq!(load, IndexLoad::Missing);
        idx.resize_for_max_bytes(12 * 3).unwrap();
        assert_eq!(
            idx.lookup(5),
            TimestampOffset {
                timestamp: NO_TIMESTAMP,
                offset: 100
            }
        );
        idx.maybe_append(10, 101, false);
        idx.maybe_append(10, 102, false); // not larger: ignored
        idx.maybe_append(20, 105, false);
        assert!(idx.is_full());
        idx.maybe_append(30, 107, false); // full: dropped
        assert_eq!(idx.entries(), 2);
        idx.maybe_append(30, 107, true); // the roll-time entry uses the reserved slot
        assert_eq!(idx.entries(), 3);
        assert_eq!(idx.lookup(9).offset, 100);
        assert_eq!(
            idx.lookup(10),
            TimestampOffset {
                timestamp: 10,
                offset: 101
            }
        );
        assert_eq!(
            idx.lookup(25),
            TimestampOffset {
                timestamp: 20,
                offset: 105
            }
        );
        assert_eq!(
            idx.lookup(i64::MAX),
            TimestampOffset {
                timestamp: 30,
                offset: 107
            }
        );
        idx.truncate_to(105);
        assert_eq!(idx.entries(), 1);
        idx.trim_unflushed().unwrap();
        drop(idx);
        let (idx, load) = TimeIndex::open(&path, 100).unwrap();
        assert_eq!(load, IndexLoad::Clean);
        assert_eq!(
            idx.last_entry(),
            TimestampOffset {
                timestamp: 10,
                offset: 101
            }
        );
    }
}
