//! `TimeIndex`: sparse map from timestamp to the offset from which to search for it.

use crate::batch::NO_TIMESTAMP;
use crate::segment_index::{IndexEntry, SegmentIndex};

/// Bytes per entry: timestamp (i64 BE) + relative offset (u32 BE).
pub const ENTRY_SIZE: usize = 12;
const _: () = assert!(ENTRY_SIZE == 12);

/// One time index entry with an absolute offset (Kafka's `TimestampOffset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimestampOffset {
    pub timestamp: i64,
    pub offset: i64,
}

fn timestamp_of(entry: &[u8]) -> i64 {
    i64::from_be_bytes(entry[0..8].try_into().expect("8 bytes"))
}

fn relative_of(entry: &[u8]) -> u32 {
    u32::from_be_bytes(entry[8..12].try_into().expect("4 bytes"))
}

impl IndexEntry for TimestampOffset {
    const SIZE: usize = ENTRY_SIZE;
    /// The last slot is kept for the entry written when the segment rolls.
    const RESERVED_SLOTS: usize = 1;

    fn decode(base_offset: i64, bytes: &[u8]) -> Self {
        Self {
            timestamp: timestamp_of(bytes),
            offset: base_offset + i64::from(relative_of(bytes)),
        }
    }

    fn relative_offset(bytes: &[u8]) -> u32 {
        relative_of(bytes)
    }

    fn empty(base_offset: i64) -> Self {
        Self {
            timestamp: NO_TIMESTAMP,
            offset: base_offset,
        }
    }

    /// Neither field goes back.
    fn follows(&self, previous: &Self) -> bool {
        self.timestamp >= previous.timestamp && self.offset >= previous.offset
    }
}

/// Kafka's `TimeIndex`: the `<base offset>.timeindex` file of a segment.
///
/// Byte layout: 12-byte entries `[timestamp: i64 BE][relative offset: u32 BE]`. An entry
/// `(t, o)` says: `t` is the largest timestamp in the segment up to the batch whose last
/// offset is `o` ("shallow" offset), so no batch before `o`'s has a timestamp above `t`.
/// Timestamps and offsets never decrease. An entry is added, when the timestamp grew, each
/// time the offset index gets one, and once more when the segment rolls or closes so the
/// last entry holds the segment's largest timestamp. The last slot of the preallocated file
/// is kept for that final entry, which is why `is_full` is one entry early.
///
/// Thread-safety: not internally synchronised; `&self` reads, `&mut self` writes.
///
/// After a crash: an untrimmed, missing or inconsistent file fails the sanity check on open
/// and is rebuilt from the segment's log.
pub type TimeIndex = SegmentIndex<TimestampOffset>;

impl SegmentIndex<TimestampOffset> {
    /// The entry with the largest timestamp `<= target`, or `(NO_TIMESTAMP, base_offset)`
    /// (Kafka's `lookup`).
    #[must_use]
    pub fn lookup(&self, target_ms: i64) -> TimestampOffset {
        match self.file().largest_lower_bound(&target_ms, timestamp_of) {
            Some(n) => self.at(n),
            None => TimestampOffset::empty(self.base_offset()),
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
        let relative = offset - self.base_offset();
        assert!((0..=i64::from(u32::MAX)).contains(&relative));
        let mut bytes = [0u8; ENTRY_SIZE];
        bytes[0..8].copy_from_slice(&timestamp.to_be_bytes());
        bytes[8..12].copy_from_slice(&(relative as u32).to_be_bytes());
        self.push(&bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index_file::IndexLoad;

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
