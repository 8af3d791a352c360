//! `OffsetIndex`: sparse map from offset to the file position of the batch holding it.

use crate::segment_index::{IndexEntry, SegmentIndex};

/// Bytes per entry: relative offset (u32 BE) + position (u32 BE).
pub const ENTRY_SIZE: usize = 8;
const _: () = assert!(ENTRY_SIZE == 8);

/// One offset index entry, with the offset made absolute again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetPosition {
    pub offset: i64,
    pub position: u32,
}

fn relative_of(entry: &[u8]) -> u32 {
    u32::from_be_bytes(entry[0..4].try_into().expect("4 bytes"))
}

fn position_of(entry: &[u8]) -> u32 {
    u32::from_be_bytes(entry[4..8].try_into().expect("4 bytes"))
}

impl IndexEntry for OffsetPosition {
    const SIZE: usize = ENTRY_SIZE;
    const RESERVED_SLOTS: usize = 0;

    fn decode(base_offset: i64, bytes: &[u8]) -> Self {
        Self {
            offset: base_offset + i64::from(relative_of(bytes)),
            position: position_of(bytes),
        }
    }

    fn relative_offset(bytes: &[u8]) -> u32 {
        relative_of(bytes)
    }

    fn empty(base_offset: i64) -> Self {
        Self {
            offset: base_offset,
            position: 0,
        }
    }

    /// Both fields strictly increasing.
    fn follows(&self, previous: &Self) -> bool {
        self.offset > previous.offset && self.position > previous.position
    }
}

/// Kafka's `OffsetIndex`: the `<base offset>.index` file of a segment.
///
/// Byte layout: a sequence of 8-byte entries `[relative offset: u32 BE][position: u32 BE]`
/// where relative offset = offset - segment base offset. An entry `(o, p)` says the batch
/// starting at byte `p` of the `.log` has last offset `o` (Kafka 3.x `LogSegment.append`
/// indexes `batch.lastOffset()`), so any offset `>= o` is found at or after `p`. Entries are
/// strictly increasing in both fields; one is written each time `index_interval_bytes` of
/// batches have gone by. The file is preallocated and mmap'd while its segment is active and
/// trimmed when the segment rolls or the log closes.
///
/// Thread-safety: not internally synchronised; `lookup` takes `&self`, `append` and
/// `truncate_to` take `&mut self`.
///
/// After a crash: an untrimmed (zero-tailed), missing, or inconsistent file fails
/// [`SegmentIndex::sanity_check`] on open and is rebuilt from the segment's log.
pub type OffsetIndex = SegmentIndex<OffsetPosition>;

impl SegmentIndex<OffsetPosition> {
    /// The entry with the largest offset `<= target`, or `(base_offset, 0)` (Kafka's
    /// `lookup`).
    #[must_use]
    pub fn lookup(&self, target: i64) -> OffsetPosition {
        let none = OffsetPosition::empty(self.base_offset());
        let Some(relative) = target.checked_sub(self.base_offset()) else {
            return none;
        };
        if relative < 0 {
            return none;
        }
        let relative = relative.min(i64::from(u32::MAX)) as u32;
        match self.file().largest_lower_bound(&relative, relative_of) {
            Some(n) => self.at(n),
            None => none,
        }
    }

    /// The index of the last entry with position `<= position`.
    #[must_use]
    pub fn slot_for_position(&self, position: u32) -> Option<usize> {
        self.file().largest_lower_bound(&position, position_of)
    }

    /// Appends `(offset, position)`. Panics if the index is full or the entry does not
    /// follow the last one: both are bugs in the segment (Kafka throws
    /// `InvalidOffsetException`).
    pub fn append(&mut self, offset: i64, position: u32) {
        let relative = offset - self.base_offset();
        assert!(
            (0..=i64::from(u32::MAX)).contains(&relative),
            "offset {offset} not addressable from base {}",
            self.base_offset()
        );
        if self.entries() > 0 {
            let last = self.last_entry();
            assert!(
                offset > last.offset && position > last.position,
                "index entry ({offset}, {position}) does not follow ({}, {})",
                last.offset,
                last.position
            );
        }
        let mut bytes = [0u8; ENTRY_SIZE];
        bytes[0..4].copy_from_slice(&(relative as u32).to_be_bytes());
        bytes[4..8].copy_from_slice(&position.to_be_bytes());
        self.push(&bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index_file::IndexLoad;
    use proptest::prelude::*;
    use std::collections::BTreeMap;
    use std::path::Path;

    fn open(dir: &Path, base: i64, max_bytes: u32) -> OffsetIndex {
        let (mut idx, load) =
            OffsetIndex::open(&dir.join("00000000000000000045.index"), base).unwrap();
        assert_eq!(load, IndexLoad::Missing);
        idx.resize_for_max_bytes(max_bytes).unwrap();
        idx
    }

    /// Kafka's `OffsetIndexTest.randomLookupTest`: every lookup agrees with a `TreeMap`
    /// floor lookup.
    #[test]
    fn random_lookup_matches_btreemap() {
        let dir = tempfile::tempdir().unwrap();
        let base = 45;
        let mut idx = open(dir.path(), base, 30 * 8);
        let mut model = BTreeMap::new();
        // Seeded xorshift64: the same sequence on every run.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |bound: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % bound
        };
        let mut offsets: Vec<i64> = (0..30).map(|_| next(10_000) as i64).collect();
        offsets.sort_unstable();
        offsets.dedup();
        let mut positions: Vec<u32> = (0..offsets.len()).map(|_| next(1_000_000) as u32).collect();
        positions.sort_unstable();
        positions.dedup();
        offsets.truncate(positions.len());
        positions.truncate(offsets.len());
        for (o, p) in offsets.iter().zip(positions.iter()) {
            idx.append(base + o, *p);
            model.insert(base + o, *p);
        }
        for _ in 0..2000 {
            let target = next(12_000) as i64 + base - 100;
            let expected = model.range(..=target).next_back().map_or(
                OffsetPosition {
                    offset: base,
                    position: 0,
                },
                |(&o, &p)| OffsetPosition {
                    offset: o,
                    position: p,
                },
            );
            assert_eq!(idx.lookup(target), expected, "lookup({target})");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        #[test]
        fn lookup_truncate_reopen(deltas in proptest::collection::vec(1u32..50, 0..40), cut in 0i64..2000, probes in proptest::collection::vec(0i64..2100, 20)) {
            let dir = tempfile::tempdir().unwrap();
            let base = 1000;
            let mut idx = open(dir.path(), base, 64 * 8);
            let mut model = BTreeMap::new();
            let (mut off, mut pos) = (base, 0u32);
            for d in deltas {
                off += i64::from(d);
                pos += d * 7;
                idx.append(off, pos);
                model.insert(off, pos);
            }
            idx.truncate_to(base + cut);
            model.retain(|&o, _| o < base + cut);
            prop_assert_eq!(idx.entries(), model.len());
            idx.trim_unflushed().unwrap();
            drop(idx);
            let (idx, load) = OffsetIndex::open(&dir.path().join("00000000000000000045.index"), base).unwrap();
            prop_assert_eq!(load, IndexLoad::Clean);
            for p in probes {
                let target = base + p - 50;
                let expected = model.range(..=target).next_back().map_or(OffsetPosition { offset: base, position: 0 }, |(&o, &p)| OffsetPosition { offset: o, position: p });
                prop_assert_eq!(idx.lookup(target), expected);
            }
        }
    }

    #[test]
    fn full_and_sanity() {
        let dir = tempfile::tempdir().unwrap();
        let mut idx = open(dir.path(), 0, 8 * 3 + 5);
        assert_eq!(idx.max_entries(), 3);
        idx.append(1, 10);
        idx.append(5, 20);
        assert!(!idx.is_full());
        idx.append(9, 30);
        assert!(idx.is_full());
        assert!(idx.sanity_check().is_ok());
        drop(idx);
        // A file with a torn entry is corrupt.
        let path = dir.path().join("00000000000000000045.index");
        let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(8 * 3 + 3).unwrap();
        let (_, load) = OffsetIndex::open(&path, 0).unwrap();
        assert!(matches!(load, IndexLoad::Corrupt(_)), "{load:?}");
    }
}
