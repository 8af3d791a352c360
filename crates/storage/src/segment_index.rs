//! `SegmentIndex<E>`: what a segment's offset and time indexes share (Kafka's `AbstractIndex`
//! as the indexes see it): a base offset and an [`IndexFile`] of fixed-size entries of one
//! kind, decoded to absolute offsets, with the entry count, capacity, last entry, sanity
//! check, truncation and the file's life cycle written once. What differs per kind lives
//! with the kind: the entry layout and ordering rule in its [`IndexEntry`] impl, and its
//! lookups and appends in an `impl SegmentIndex<ThatEntry>` block (`offset_index.rs`,
//! `time_index.rs`).
//!
//! Thread-safety: not internally synchronised; `&self` reads and `&mut self` writes (the
//! segment owns its indexes).

use std::marker::PhantomData;
use std::path::Path;

use crate::error::Result;
use crate::index_file::{IndexFile, IndexLoad};

/// One kind of index entry: its bytes, its order, and what an empty index answers.
pub trait IndexEntry: Copy + std::fmt::Debug {
    /// Bytes per entry in the file.
    const SIZE: usize;
    /// Slots at the end of the file kept for a final entry (the time index keeps one for the
    /// entry it writes when the segment rolls).
    const RESERVED_SLOTS: usize;
    /// The entry at `bytes` (exactly `SIZE` of them) of an index whose base offset is `base_offset`.
    fn decode(base_offset: i64, bytes: &[u8]) -> Self;
    /// The offset of the entry at `bytes`, relative to the base offset (for truncation).
    fn relative_offset(bytes: &[u8]) -> u32;
    /// What `last_entry` answers for an empty index.
    fn empty(base_offset: i64) -> Self;
    /// Whether `self` may come after `previous` in a sound index.
    fn follows(&self, previous: &Self) -> bool;
}

/// A segment's index of entries `E` (see the module docs).
pub struct SegmentIndex<E> {
    base_offset: i64,
    file: IndexFile,
    entry: PhantomData<E>,
}

impl<E: IndexEntry> SegmentIndex<E> {
    pub(crate) fn open(path: &Path, base_offset: i64) -> Result<(Self, IndexLoad)> {
        let (file, mut load) = IndexFile::open(path, E::SIZE)?;
        let index = Self {
            base_offset,
            file,
            entry: PhantomData,
        };
        if load == IndexLoad::Clean {
            if let Err(reason) = index.sanity_check() {
                load = IndexLoad::Corrupt(reason);
            }
        }
        Ok((index, load))
    }

    pub(crate) fn at(&self, n: usize) -> E {
        E::decode(self.base_offset, self.file.entry(n))
    }

    pub(crate) fn file(&self) -> &IndexFile {
        &self.file
    }

    /// Appends an entry's bytes; the caller checked that it follows the last entry.
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.file.push(bytes);
    }

    /// Kafka's `sanityCheck` plus the ordering of every entry (`IndexEntry::follows`). The
    /// check against the log's size and next offset is the segment's.
    pub fn sanity_check(&self) -> std::result::Result<(), String> {
        let mut prev: Option<E> = None;
        for n in 0..self.file.entries() {
            let e = self.at(n);
            if let Some(p) = prev {
                if !e.follows(&p) {
                    return Err(format!("entry {n} {e:?} does not follow {p:?}"));
                }
            }
            prev = Some(e);
        }
        Ok(())
    }

    #[must_use]
    pub fn base_offset(&self) -> i64 {
        self.base_offset
    }

    #[must_use]
    pub fn entries(&self) -> usize {
        self.file.entries()
    }

    #[must_use]
    pub fn max_entries(&self) -> usize {
        self.file.capacity_entries()
    }

    /// Kafka's `isFull` (the reserved slots do not count as room).
    #[must_use]
    pub fn is_full(&self) -> bool {
        self.entries() + E::RESERVED_SLOTS >= self.max_entries()
    }

    /// Room for `n` more regular entries (keeping the reserved slots).
    #[must_use]
    pub fn has_room_for(&self, n: usize) -> bool {
        self.entries() + n + E::RESERVED_SLOTS <= self.max_entries()
    }

    /// The last entry, or `E::empty` when there is none (Kafka's `lastEntry`).
    #[must_use]
    pub fn last_entry(&self) -> E {
        match self.entries() {
            0 => E::empty(self.base_offset),
            n => self.at(n - 1),
        }
    }

    #[must_use]
    pub fn entry(&self, n: usize) -> E {
        assert!(n < self.entries());
        self.at(n)
    }

    /// Removes every entry with offset `>= offset` (Kafka's `truncateTo`).
    pub fn truncate_to(&mut self, offset: i64) {
        let keep = if offset <= self.base_offset {
            0
        } else {
            let target = (offset - 1 - self.base_offset).min(i64::from(u32::MAX));
            match self
                .file
                .largest_lower_bound(&target, |e| i64::from(E::relative_offset(e)))
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
        let capacity =
            (max_index_size_bytes as usize / E::SIZE).max(self.entries() + E::RESERVED_SLOTS);
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
