//! The memory-mapped, preallocated file under both indexes (Kafka's `AbstractIndex`).
//!
//! Byte layout: `entries` fixed-size entries from byte 0; while the segment is active the file
//! is preallocated (zero-filled) up to the largest multiple of the entry size that fits in
//! `max_index_size_bytes`, and it is trimmed to `entries * entry_size` when the segment rolls
//! or the log closes. A file longer than its entries, with a zero tail, therefore means the
//! log was not closed cleanly; the segment then rebuilds the index from its log.
//!
//! Thread-safety: owned by one segment; `&self` reads and `&mut self` writes, so the borrow
//! checker (and the `Mutex` around the `Log` in the binding) serialises them.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use memmap2::MmapMut;

use crate::error::{io_context, Result};

/// Why a loaded index cannot be trusted (the segment rebuilds it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IndexLoad {
    /// Trimmed and consistent.
    Clean,
    /// The file did not exist (created empty).
    Missing,
    /// Preallocated with a zero tail: the previous process did not close the log.
    Unclean,
    /// Size or contents fail the sanity check (reason).
    Corrupt(String),
}

/// No file descriptor is kept: the file is opened to map, resize or fsync it and closed
/// again (Kafka's `AbstractIndex` closes its `RandomAccessFile` after mapping too), so a
/// segment holds one descriptor, its `.log`, and 10,000 partitions fit in 20,000 of them.
pub(crate) struct IndexFile {
    path: PathBuf,
    /// None while the mapped length is zero (mmap of zero bytes is not allowed).
    mmap: Option<MmapMut>,
    entry_size: usize,
    entries: usize,
    /// Entries that fit in the current mapping.
    capacity_entries: usize,
}

impl IndexFile {
    /// Opens or creates the file and maps it at its current length (rounded down to whole
    /// entries). Reports `Unclean` if trailing zero entries were found (and drops them).
    pub fn open(path: &Path, entry_size: usize) -> Result<(Self, IndexLoad)> {
        let existed = path.exists();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io_context(format!("open index {}", path.display())))?;
        let len = file
            .metadata()
            .map_err(io_context(format!("stat index {}", path.display())))?
            .len();
        let mut load = if existed {
            IndexLoad::Clean
        } else {
            IndexLoad::Missing
        };
        if len % entry_size as u64 != 0 {
            load = IndexLoad::Corrupt(format!(
                "size {len} is not a multiple of the entry size {entry_size}"
            ));
        }
        if len > u64::from(u32::MAX) {
            load = IndexLoad::Corrupt(format!("size {len} is larger than any index"));
        }
        let mut index = Self {
            path: path.to_path_buf(),
            mmap: None,
            entry_size,
            entries: 0,
            capacity_entries: 0,
        };
        if load != IndexLoad::Clean {
            index.resize_with(&file, 0)?;
            return Ok((index, load));
        }
        let entries = (len / entry_size as u64) as usize;
        index.map(&file, entries)?;
        let valid = index.nonzero_prefix_entries(entries);
        index.entries = valid;
        if valid != entries {
            load = IndexLoad::Unclean;
        }
        Ok((index, load))
    }

    /// Entries before the zero tail of a preallocated file: `entries` if the last one is not
    /// all zeros, else found by binary search (entries are written in order from the start,
    /// so an untrimmed file is a written prefix and zeros). Touches O(log n) pages: walking
    /// back from the end of a 10 MiB preallocated index faults in every page of it, which
    /// after a crash cost ~20 ms of system time per partition.
    fn nonzero_prefix_entries(&self, entries: usize) -> usize {
        let is_zero = |n: usize| self.entry(n).iter().all(|&b| b == 0);
        if entries == 0 || !is_zero(entries - 1) {
            return entries;
        }
        // Invariant: every entry at or after `hi` is in the zero tail; `lo` is a candidate.
        let (mut lo, mut hi) = (0usize, entries - 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if is_zero(mid) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    }

    /// Opens the file again (read-write, never created: it exists while the index does).
    fn open_file(&self) -> Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .open(&self.path)
            .map_err(io_context(format!("open index {}", self.path.display())))
    }

    fn map(&mut self, file: &File, capacity_entries: usize) -> Result<()> {
        self.mmap = None;
        self.capacity_entries = capacity_entries;
        if capacity_entries == 0 {
            return Ok(());
        }
        // SAFETY: the file is opened read-write by this process and only this `IndexFile`
        // writes it; the mapping covers exactly `capacity_entries * entry_size` bytes, which
        // is the file's length (set by the caller before mapping). The mapping stays valid
        // after `file` is closed (POSIX keeps the mapped file referenced by the mapping). Another process truncating
        // the file would cause SIGBUS, as for Kafka's MappedByteBuffer; the partition
        // directory is owned by this broker alone.
        let mmap = unsafe {
            memmap2::MmapOptions::new()
                .len(capacity_entries * self.entry_size)
                .map_mut(file)
        }
        .map_err(io_context(format!("mmap index {}", self.path.display())))?;
        // Lookups are binary searches: no readahead. With the default advice, every page
        // fault reads ahead up to the device's read_ahead_kb (8 MiB here), so probing a
        // preallocated index after a crash zero-filled most of its 10 MiB: 4 ms a file.
        mmap.advise(memmap2::Advice::Random)
            .map_err(io_context(format!("madvise index {}", self.path.display())))?;
        self.mmap = Some(mmap);
        Ok(())
    }

    /// Sets the file length to `capacity_entries` entries and remaps it (Kafka's `resize`).
    /// Entries beyond the new capacity are dropped.
    pub fn resize_entries(&mut self, capacity_entries: usize) -> Result<()> {
        if capacity_entries > 0 && capacity_entries == self.capacity_entries && self.mmap.is_some()
        {
            // Already mapped at that size, so the file has that length (an active segment
            // made active again on open): no truncate or remap.
            return Ok(());
        }
        let file = self.open_file()?;
        self.resize_with(&file, capacity_entries)
    }

    fn resize_with(&mut self, file: &File, capacity_entries: usize) -> Result<()> {
        // No msync first (Kafka's resize has none either): pages written through a shared
        // mapping stay in the page cache after the unmap, and the next fsync of the file
        // writes them back. An msync here waited on writeback at every open.
        self.mmap = None;
        file.set_len((capacity_entries * self.entry_size) as u64)
            .map_err(io_context(format!("resize index {}", self.path.display())))?;
        self.entries = self.entries.min(capacity_entries);
        self.map(file, capacity_entries)
    }

    /// Trims the file to its entries (`trimToValidSize`) without fsync: the caller flushes
    /// (a roll, a close) or relies on the log's recovery point (a crash before the next flush
    /// rebuilds the index).
    pub fn trim_unflushed(&mut self) -> Result<()> {
        if self.capacity_entries != self.entries {
            self.resize_entries(self.entries)?;
        }
        Ok(())
    }

    /// The file holds exactly its entries (trimmed: what a clean close leaves).
    pub fn is_trimmed(&self) -> bool {
        self.capacity_entries == self.entries
    }

    /// msync of the mapping, then fsync of the file (its length after a resize).
    pub fn flush(&self) -> Result<()> {
        if let Some(m) = &self.mmap {
            m.flush()
                .map_err(io_context(format!("msync index {}", self.path.display())))?;
        }
        fsync_path(&self.path)
    }

    pub fn entries(&self) -> usize {
        self.entries
    }

    pub fn capacity_entries(&self) -> usize {
        self.capacity_entries
    }

    pub fn entry(&self, n: usize) -> &[u8] {
        assert!(n < self.capacity_entries, "index entry {n} beyond capacity");
        let m = self.mmap.as_ref().expect("mapped when capacity > 0");
        &m[n * self.entry_size..(n + 1) * self.entry_size]
    }

    /// Writes the next entry. The caller checked there is room.
    pub fn push(&mut self, bytes: &[u8]) {
        assert_eq!(bytes.len(), self.entry_size);
        assert!(
            self.entries < self.capacity_entries,
            "index {} is full",
            self.path.display()
        );
        let at = self.entries * self.entry_size;
        let m = self.mmap.as_mut().expect("mapped when capacity > 0");
        m[at..at + bytes.len()].copy_from_slice(bytes);
        self.entries += 1;
    }

    /// Keeps the first `entries` entries and zeroes the rest of the mapping, so a crash
    /// cannot resurrect them.
    pub fn truncate_entries(&mut self, entries: usize) {
        if entries >= self.entries {
            return;
        }
        let from = entries * self.entry_size;
        let to = self.entries * self.entry_size;
        if let Some(m) = self.mmap.as_mut() {
            m[from..to].fill(0);
        }
        self.entries = entries;
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the file; the open descriptor and the mapping are unaffected.
    pub fn rename_to(&mut self, path: &Path) -> Result<()> {
        std::fs::rename(&self.path, path).map_err(io_context(format!(
            "rename index {} to {}",
            self.path.display(),
            path.display()
        )))?;
        self.path = path.to_path_buf();
        Ok(())
    }

    pub fn delete(self) -> Result<()> {
        let Self { path, mmap, .. } = self;
        drop(mmap);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_context(format!("delete index {}", path.display()))(e)),
        }
    }

    /// Binary search for the last entry `n` with `key(n) <= target` (entries are sorted by
    /// `key`). Kafka's `AbstractIndex.largestLowerBoundSlotFor`.
    pub fn largest_lower_bound<K: Ord>(
        &self,
        target: &K,
        key: impl Fn(&[u8]) -> K,
    ) -> Option<usize> {
        if self.entries == 0 || key(self.entry(0)) > *target {
            return None;
        }
        let (mut lo, mut hi) = (0usize, self.entries - 1);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if key(self.entry(mid)) <= *target {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        Some(lo)
    }
}

/// fsyncs the index file at `path` through a descriptor opened for it (on Linux this also
/// writes back the pages dirtied through any shared mapping of the file). A file that is
/// gone (its segment was deleted or renamed meanwhile) has nothing left to flush.
pub(crate) fn fsync_path(path: &Path) -> Result<()> {
    match File::open(path) {
        Ok(f) => f
            .sync_all()
            .map_err(io_context(format!("fsync index {}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_context(format!("open index {}", path.display()))(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::{IndexFile, IndexLoad};

    /// An untrimmed file (written entries, then the zero tail of its preallocation) opens with
    /// exactly the written entries, for every count from none to full, as a linear scan finds.
    #[test]
    fn the_zero_tail_of_a_preallocated_file_is_found_by_binary_search() {
        let dir = tempfile::tempdir().unwrap();
        let capacity = 37;
        for written in 0..=capacity {
            let path = dir.path().join(format!("{written}.index"));
            let mut bytes = vec![0u8; capacity * 8];
            for n in 0..written {
                bytes[n * 8..n * 8 + 8].copy_from_slice(&(n as u64 + 1).to_be_bytes());
            }
            std::fs::write(&path, &bytes).unwrap();
            let (index, load) = IndexFile::open(&path, 8).unwrap();
            assert_eq!(index.entries(), written);
            let expected = if written == capacity {
                IndexLoad::Clean
            } else {
                IndexLoad::Unclean
            };
            assert_eq!(load, expected, "{written} entries written");
        }
    }
}
