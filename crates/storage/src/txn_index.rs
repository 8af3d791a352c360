//! `TransactionIndex`: the aborted transactions whose ABORT marker is in one segment, the
//! `<base>.txnindex` file beside its `.log` (Kafka's `TransactionIndex` and `AbortedTxn`).
//!
//! Owns: the file's bytes, its lifecycle with the segment (created on the first entry,
//! renamed, truncated and deleted with the segment) and the lookup a `read_committed` fetch
//! needs ([`TransactionIndex::collect_aborted_txns`]). Which entries to write is the
//! control plane's business (it sees the markers); this type only stores them.
//!
//! Byte layout (big-endian, no header, entries back to back, Kafka's `AbortedTxn`):
//!
//! ```text
//! offset  size  field
//!      0     2  version            0
//!      2     8  producerId
//!     10     8  firstOffset        first offset of the aborted transaction (may lie in an
//!                                  earlier segment)
//!     18     8  lastOffset         offset of its ABORT marker, inside this segment
//!     26     8  lastStableOffset   the partition's LSO once the marker was written
//! ```
//!
//! Entries are in increasing `lastOffset` order (markers are appended in log order). The
//! file does not exist until the first entry is written; an empty index has no file (as in
//! Kafka, whose `TransactionIndex` opens its channel lazily), so most segments cost nothing.
//! The one exception: a segment written by the log cleaner in place of segments that had
//! index files has one, empty if the cleaner removed every marker they named.
//!
//! Thread-safety: owned by one segment; `&self` reads and `&mut self` writes (the `Mutex`
//! around the `Log` in the binding serialises them). Entries are kept in memory (32 bytes
//! each) as well as on disk, so lookups do not read the file; no descriptor is kept open.
//!
//! After a crash: the file may end in a torn entry, or hold entries for markers that did not
//! reach the `.log`. [`TransactionIndex::open`] keeps the valid prefix (whole version-0
//! entries in `lastOffset` order, not below the segment's base offset) and cuts the rest; the
//! segment then drops entries at or past its recovered end ([`TransactionIndex::truncate_to`]).
//! An entry lost this way is written again by the control plane, which replays the markers
//! from the log on open (`Log::append_aborted_txn` is idempotent). Kafka instead rebuilds the
//! index from its producer state during segment recovery; here that state lives in
//! TypeScript, so the index is kept, not rebuilt.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::error::{io_context, Result, StorageError};

/// Bytes of one entry (Kafka's `AbortedTxn.TOTAL_SIZE`).
pub const ENTRY_SIZE: usize = 34;
const VERSION_OFFSET: usize = 0;
const PRODUCER_ID_OFFSET: usize = 2;
const FIRST_OFFSET_OFFSET: usize = 10;
const LAST_OFFSET_OFFSET: usize = 18;
const LAST_STABLE_OFFSET_OFFSET: usize = 26;
const _: () = assert!(LAST_STABLE_OFFSET_OFFSET + 8 == ENTRY_SIZE);
const _: () = assert!(VERSION_OFFSET + 2 == PRODUCER_ID_OFFSET);
/// `AbortedTxn.CURRENT_VERSION`.
pub const CURRENT_VERSION: i16 = 0;
/// Entries one segment's index may hold (`i32::MAX` bytes of file, as a segment's `.log`);
/// an append past it is refused, never wrapped.
pub const ENTRIES_MAX: usize = i32::MAX as usize / ENTRY_SIZE;

/// One aborted transaction (Kafka's `AbortedTxn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AbortedTxn {
    pub producer_id: i64,
    pub first_offset: i64,
    /// The ABORT marker's offset.
    pub last_offset: i64,
    pub last_stable_offset: i64,
}

impl AbortedTxn {
    /// The entry's 34 bytes.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; ENTRY_SIZE] {
        let mut b = [0u8; ENTRY_SIZE];
        b[VERSION_OFFSET..PRODUCER_ID_OFFSET].copy_from_slice(&CURRENT_VERSION.to_be_bytes());
        b[PRODUCER_ID_OFFSET..FIRST_OFFSET_OFFSET].copy_from_slice(&self.producer_id.to_be_bytes());
        b[FIRST_OFFSET_OFFSET..LAST_OFFSET_OFFSET]
            .copy_from_slice(&self.first_offset.to_be_bytes());
        b[LAST_OFFSET_OFFSET..LAST_STABLE_OFFSET_OFFSET]
            .copy_from_slice(&self.last_offset.to_be_bytes());
        b[LAST_STABLE_OFFSET_OFFSET..].copy_from_slice(&self.last_stable_offset.to_be_bytes());
        b
    }

    /// Reads an entry; `Err` names what is wrong (an unknown version).
    pub fn from_bytes(b: &[u8; ENTRY_SIZE]) -> std::result::Result<Self, String> {
        let i64_at = |at: usize| i64::from_be_bytes(b[at..at + 8].try_into().expect("8 bytes"));
        let version = i16::from_be_bytes([b[0], b[1]]);
        if version != CURRENT_VERSION {
            return Err(format!("unknown aborted transaction version {version}"));
        }
        Ok(Self {
            producer_id: i64_at(PRODUCER_ID_OFFSET),
            first_offset: i64_at(FIRST_OFFSET_OFFSET),
            last_offset: i64_at(LAST_OFFSET_OFFSET),
            last_stable_offset: i64_at(LAST_STABLE_OFFSET_OFFSET),
        })
    }
}

/// What [`TransactionIndex::collect_aborted_txns`] found (Kafka's `TxnIndexSearchResult`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TxnIndexSearch {
    pub aborted: Vec<AbortedTxn>,
    /// An entry's `lastStableOffset` reached the upper bound: later segments cannot hold an
    /// aborted transaction that overlaps the range.
    pub complete: bool,
}

/// What [`TransactionIndex::append`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnIndexAppend {
    Written,
    /// An entry with the same producer id and last offset was already there.
    AlreadyPresent,
}

/// How an index file opened (see the type's crash rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxnIndexLoad {
    /// Absent (an empty index) or every entry valid.
    Clean,
    /// The file held `dropped_bytes` past its valid prefix, cut off (why).
    Truncated { dropped_bytes: u64, reason: String },
}

/// What opening a log cut from one transaction index (reported by `Log::recovery`, for the
/// broker to log; the entries are written again by the control plane's replay).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnIndexRepair {
    pub path: PathBuf,
    pub dropped_bytes: u64,
    pub reason: String,
}

impl TxnIndexRepair {
    /// Adds a later cut of the same file.
    fn add(&mut self, dropped_bytes: u64, reason: &str) {
        self.dropped_bytes += dropped_bytes;
        self.reason.push_str("; ");
        self.reason.push_str(reason);
    }
}

/// Kafka's `TransactionIndex` for one segment; see the module docs.
pub struct TransactionIndex {
    path: PathBuf,
    /// The segment's base offset: no entry's `lastOffset` is below it.
    start_offset: i64,
    entries: Vec<AbortedTxn>,
    /// The file exists (its length is `entries.len() * ENTRY_SIZE`).
    file_exists: bool,
}

impl TransactionIndex {
    /// An index with no entries and no file at `path`; a stale file there is removed.
    pub fn create(path: &Path, start_offset: i64) -> Result<Self> {
        remove_if_exists(path)?;
        Ok(Self {
            path: path.to_path_buf(),
            start_offset,
            entries: Vec::new(),
            file_exists: false,
        })
    }

    /// Loads `path` if it exists, keeping its valid prefix (the sanity check of Kafka's
    /// `TransactionIndex.sanityCheck`, but repairing instead of failing: see the crash rule).
    pub fn open(path: &Path, start_offset: i64) -> Result<(Self, TxnIndexLoad)> {
        let mut index = Self {
            path: path.to_path_buf(),
            start_offset,
            entries: Vec::new(),
            file_exists: false,
        };
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((index, TxnIndexLoad::Clean))
            }
            Err(e) => return Err(StorageError::storage(format!("read {}", path.display()), e)),
        };
        index.file_exists = true;
        let mut reason = None;
        for chunk in bytes.chunks(ENTRY_SIZE) {
            let Ok(entry_bytes) = <&[u8; ENTRY_SIZE]>::try_from(chunk) else {
                reason = Some(format!("a torn entry of {} bytes at the end", chunk.len()));
                break;
            };
            let entry = match AbortedTxn::from_bytes(entry_bytes) {
                Ok(e) => e,
                Err(why) => {
                    reason = Some(why);
                    break;
                }
            };
            if let Err(why) = check_entry(start_offset, index.entries.last(), &entry) {
                reason = Some(why);
                break;
            }
            if index.entries.len() == ENTRIES_MAX {
                reason = Some(format!("more than {ENTRIES_MAX} entries"));
                break;
            }
            index.entries.push(entry);
        }
        let Some(reason) = reason else {
            return Ok((index, TxnIndexLoad::Clean));
        };
        let valid = index.entries.len() * ENTRY_SIZE;
        index.set_file_len(valid as u64)?;
        Ok((
            index,
            TxnIndexLoad::Truncated {
                dropped_bytes: (bytes.len() - valid) as u64,
                reason,
            },
        ))
    }

    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    #[must_use]
    pub fn entries(&self) -> &[AbortedTxn] {
        &self.entries
    }

    /// The file exists (at least one entry was written since the segment was created).
    #[must_use]
    pub fn file_exists(&self) -> bool {
        self.file_exists
    }

    /// Kafka's `TransactionIndex.append`, idempotent: an entry with the same producer id and
    /// `lastOffset` is not written again. An entry whose `lastOffset` is below the last
    /// entry's (a replay filling a gap) is inserted in order and the file rewritten.
    /// Errors: `lastOffset` below the segment's base offset, `firstOffset` outside
    /// `[0, lastOffset]`, a different entry at the same `lastOffset` (`InvalidRecord`); I/O.
    pub fn append(&mut self, entry: AbortedTxn) -> Result<TxnIndexAppend> {
        let at = self
            .entries
            .partition_point(|e| e.last_offset < entry.last_offset);
        if let Some(existing) = self.entries.get(at) {
            if existing.last_offset == entry.last_offset {
                if existing.producer_id == entry.producer_id {
                    return Ok(TxnIndexAppend::AlreadyPresent);
                }
                return Err(StorageError::InvalidRecord(format!(
                    "offset {} already ends the aborted transaction of producer {}, not {}",
                    entry.last_offset, existing.producer_id, entry.producer_id
                )));
            }
        }
        if self.entries.len() >= ENTRIES_MAX {
            return Err(StorageError::InvalidRecord(format!(
                "{} holds the most entries a transaction index may ({ENTRIES_MAX})",
                self.path.display()
            )));
        }
        let previous = at.checked_sub(1).map(|i| self.entries[i]);
        check_entry(self.start_offset, previous.as_ref(), &entry)
            .map_err(StorageError::InvalidRecord)?;
        if at == self.entries.len() {
            self.write_at(at, &entry)?;
            self.entries.push(entry);
        } else {
            self.entries.insert(at, entry);
            if let Err(e) = self.rewrite() {
                // The file still holds the entries without it.
                self.entries.remove(at);
                return Err(e);
            }
        }
        Ok(TxnIndexAppend::Written)
    }

    /// Appends one entry at slot `slot` (the end of the file), creating the file if needed.
    fn write_at(&mut self, slot: usize, entry: &AbortedTxn) -> Result<()> {
        let bytes = entry.to_bytes();
        // Assert right before the write: the bytes read back as the entry.
        debug_assert_eq!(AbortedTxn::from_bytes(&bytes).as_ref(), Ok(entry));
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&self.path)
            .map_err(io_context(format!("open {}", self.path.display())))?;
        self.file_exists = true;
        let position = (slot * ENTRY_SIZE) as u64;
        if let Err(e) = file.write_all_at(&bytes, position) {
            // Keep the file a whole number of entries.
            let _ = file.set_len(position);
            return Err(StorageError::storage(
                format!("write {}", self.path.display()),
                e,
            ));
        }
        Ok(())
    }

    /// Writes every entry to `<path>.tmp`, fsyncs it and renames it over the file (a crash
    /// leaves the old file or the new one; `Log::open` removes a leftover `.tmp`).
    fn rewrite(&mut self) -> Result<()> {
        let tmp = tmp_path(&self.path);
        let mut bytes = Vec::with_capacity(self.entries.len() * ENTRY_SIZE);
        for e in &self.entries {
            bytes.extend_from_slice(&e.to_bytes());
        }
        let mut file =
            File::create(&tmp).map_err(io_context(format!("create {}", tmp.display())))?;
        file.write_all(&bytes)
            .and_then(|()| file.sync_all())
            .map_err(io_context(format!("write {}", tmp.display())))?;
        std::fs::rename(&tmp, &self.path).map_err(io_context(format!(
            "rename {} to {}",
            tmp.display(),
            self.path.display()
        )))?;
        self.file_exists = true;
        Ok(())
    }

    /// Kafka's `collectAbortedTxns`: the entries with `lastOffset >= fetch_offset` and
    /// `firstOffset < upper_bound_offset`, stopping after the first whose
    /// `lastStableOffset >= upper_bound_offset` (then `complete`).
    #[must_use]
    pub fn collect_aborted_txns(
        &self,
        fetch_offset: i64,
        upper_bound_offset: i64,
    ) -> TxnIndexSearch {
        let mut out = TxnIndexSearch::default();
        let from = self
            .entries
            .partition_point(|e| e.last_offset < fetch_offset);
        for e in &self.entries[from..] {
            if e.first_offset < upper_bound_offset {
                out.aborted.push(*e);
            }
            if e.last_stable_offset >= upper_bound_offset {
                out.complete = true;
                break;
            }
        }
        out
    }

    /// [`Self::truncate_to`] on open or recovery: what it cut is added to `repair`.
    pub(crate) fn truncate_on_load(
        &mut self,
        offset: i64,
        repair: &mut Option<TxnIndexRepair>,
    ) -> Result<()> {
        let dropped = self.truncate_to(offset)?;
        if dropped > 0 {
            let bytes = (dropped * ENTRY_SIZE) as u64;
            let reason =
                format!("{dropped} entries name markers at or past the segment's end {offset}");
            match repair {
                Some(r) => r.add(bytes, &reason),
                None => {
                    *repair = Some(TxnIndexRepair {
                        path: self.path.clone(),
                        dropped_bytes: bytes,
                        reason,
                    });
                }
            }
        }
        Ok(())
    }

    /// Kafka's `TransactionIndex.truncateTo`: drops every entry whose `lastOffset` is
    /// `>= offset`. Returns how many were dropped.
    pub fn truncate_to(&mut self, offset: i64) -> Result<usize> {
        let keep = self.entries.partition_point(|e| e.last_offset < offset);
        let dropped = self.entries.len() - keep;
        if dropped > 0 {
            self.entries.truncate(keep);
            self.set_file_len((keep * ENTRY_SIZE) as u64)?;
        }
        Ok(dropped)
    }

    fn set_file_len(&mut self, len: u64) -> Result<()> {
        let file = OpenOptions::new()
            .write(true)
            .open(&self.path)
            .map_err(io_context(format!("open {}", self.path.display())))?;
        file.set_len(len)
            .map_err(io_context(format!("truncate {}", self.path.display())))
    }

    /// Renames the file if there is one; later appends use the new path either way.
    pub fn rename_to(&mut self, path: &Path) -> Result<()> {
        if self.file_exists {
            std::fs::rename(&self.path, path).map_err(io_context(format!(
                "rename {} to {}",
                self.path.display(),
                path.display()
            )))?;
        }
        self.path = path.to_path_buf();
        Ok(())
    }

    /// Creates the file, empty, if there is none: a cleaned segment that replaces segments
    /// with index files has one even when the cleaner removed every marker they named, so
    /// that a crash during the swap finds its `.txnindex.swap` and never keeps a replaced
    /// segment's index in its place (see `cleaner::complete_interrupted_swaps`).
    pub(crate) fn create_file(&mut self) -> Result<()> {
        if !self.file_exists {
            File::create(&self.path)
                .map_err(io_context(format!("create {}", self.path.display())))?;
            self.file_exists = true;
        }
        Ok(())
    }

    /// fsyncs the file if there is one.
    pub fn flush(&self) -> Result<()> {
        if self.file_exists {
            crate::index_file::fsync_path(&self.path)?;
        }
        Ok(())
    }

    /// Removes the file.
    pub fn delete(self) -> Result<()> {
        remove_if_exists(&self.path)
    }
}

/// Whether `entry` may follow `previous` in the index of the segment at `start_offset`:
/// `lastOffset` in the segment and after the previous entry's, `firstOffset` in
/// `[0, lastOffset]`.
fn check_entry(
    start_offset: i64,
    previous: Option<&AbortedTxn>,
    entry: &AbortedTxn,
) -> std::result::Result<(), String> {
    if entry.last_offset < start_offset {
        return Err(format!(
            "last offset {} is below the segment's base offset {start_offset}",
            entry.last_offset
        ));
    }
    if entry.first_offset < 0 || entry.first_offset > entry.last_offset {
        return Err(format!(
            "first offset {} is not in [0, last offset {}]",
            entry.first_offset, entry.last_offset
        ));
    }
    if let Some(previous) = previous {
        if entry.last_offset <= previous.last_offset {
            return Err(format!(
                "last offset {} does not follow the previous entry's {}",
                entry.last_offset, previous.last_offset
            ));
        }
    }
    Ok(())
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

fn remove_if_exists(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StorageError::storage(
            format!("remove {}", path.display()),
            e,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn txn(producer_id: i64, first: i64, last: i64, lso: i64) -> AbortedTxn {
        AbortedTxn {
            producer_id,
            first_offset: first,
            last_offset: last,
            last_stable_offset: lso,
        }
    }

    /// Kafka's layout, byte by byte: version 0, then four big-endian longs.
    #[test]
    fn an_entry_is_34_bytes_in_kafkas_layout() {
        let bytes = txn(0x0102_0304_0506_0708, 5, 0x10, -1).to_bytes();
        let mut want = vec![0u8, 0];
        want.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        want.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 5]);
        want.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0x10]);
        want.extend_from_slice(&[0xff; 8]);
        assert_eq!(bytes.to_vec(), want);
        assert_eq!(
            AbortedTxn::from_bytes(&bytes),
            Ok(txn(0x0102_0304_0506_0708, 5, 0x10, -1))
        );
        let mut v1 = bytes;
        v1[1] = 1;
        assert!(AbortedTxn::from_bytes(&v1).is_err());
    }

    #[test]
    fn the_file_appears_with_the_first_entry_and_appends_are_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("00000000000000000100.txnindex");
        let mut index = TransactionIndex::create(&path, 100).unwrap();
        assert!(!path.exists());
        assert_eq!(
            index.append(txn(7, 90, 105, 90)).unwrap(),
            TxnIndexAppend::Written
        );
        assert!(path.exists());
        assert_eq!(
            index.append(txn(7, 90, 105, 90)).unwrap(),
            TxnIndexAppend::AlreadyPresent
        );
        assert!(
            index.append(txn(8, 90, 105, 90)).is_err(),
            "another producer at the same marker"
        );
        assert!(
            index.append(txn(8, 90, 99, 90)).is_err(),
            "below the segment"
        );
        assert!(
            index.append(txn(8, 120, 110, 90)).is_err(),
            "first after last"
        );
        index.append(txn(8, 106, 120, 121)).unwrap();
        // A replay filling a gap goes in order.
        index.append(txn(9, 101, 110, 106)).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            3 * ENTRY_SIZE as u64
        );
        let (reopened, load) = TransactionIndex::open(&path, 100).unwrap();
        assert_eq!(load, TxnIndexLoad::Clean);
        assert_eq!(
            reopened
                .entries()
                .iter()
                .map(|e| e.last_offset)
                .collect::<Vec<_>>(),
            vec![105, 110, 120]
        );
    }

    /// Kafka's `TransactionIndexTest.testCollectAbortedTransactions` cases, against a plain
    /// filter of the entries (the model).
    #[test]
    fn collect_matches_a_plain_filter() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0.txnindex");
        let mut index = TransactionIndex::create(&path, 0).unwrap();
        let all = [
            txn(0, 0, 10, 11),
            txn(1, 5, 15, 13),
            txn(2, 18, 35, 25),
            txn(3, 32, 50, 40),
        ];
        for e in all {
            index.append(e).unwrap();
        }
        for fetch in 0..60 {
            for upper in fetch..70 {
                let got = index.collect_aborted_txns(fetch, upper);
                let mut want = TxnIndexSearch::default();
                for e in all.iter().filter(|e| e.last_offset >= fetch) {
                    if e.first_offset < upper {
                        want.aborted.push(*e);
                    }
                    if e.last_stable_offset >= upper {
                        want.complete = true;
                        break;
                    }
                }
                assert_eq!(got, want, "fetch {fetch} upper {upper}");
            }
        }
        assert_eq!(index.collect_aborted_txns(0, 32).aborted, all[..3].to_vec());
        assert!(index.collect_aborted_txns(0, 32).complete);
    }

    #[test]
    fn truncation_drops_entries_at_or_after_the_offset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0.txnindex");
        let mut index = TransactionIndex::create(&path, 0).unwrap();
        for (i, last) in [2, 5, 9].into_iter().enumerate() {
            index
                .append(txn(i as i64, last - 1, last, last + 1))
                .unwrap();
        }
        assert_eq!(index.truncate_to(6).unwrap(), 1);
        assert_eq!(index.truncate_to(5).unwrap(), 1);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), ENTRY_SIZE as u64);
        let (reopened, _) = TransactionIndex::open(&path, 0).unwrap();
        assert_eq!(reopened.entries(), &[txn(0, 1, 2, 3)]);
    }

    #[test]
    fn open_keeps_the_valid_prefix_of_a_damaged_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0.txnindex");
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&txn(1, 3, 4, 5).to_bytes());
        bytes.extend_from_slice(&txn(1, 6, 8, 9).to_bytes());
        bytes.extend_from_slice(&txn(1, 6, 9, 9).to_bytes()[..20]);
        std::fs::write(&path, &bytes).unwrap();
        let (index, load) = TransactionIndex::open(&path, 0).unwrap();
        assert_eq!(index.entries().len(), 2);
        assert!(matches!(
            load,
            TxnIndexLoad::Truncated {
                dropped_bytes: 20,
                ..
            }
        ));
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            2 * ENTRY_SIZE as u64
        );
        // Out of order and below the base: cut there.
        let mut bytes = txn(1, 3, 14, 15).to_bytes().to_vec();
        bytes.extend_from_slice(&txn(1, 3, 12, 15).to_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let (index, load) = TransactionIndex::open(&path, 10).unwrap();
        assert_eq!(index.entries(), &[txn(1, 3, 14, 15)]);
        assert!(matches!(load, TxnIndexLoad::Truncated { .. }));
        let (index, _) = TransactionIndex::open(&path, 15).unwrap();
        assert!(index.entries().is_empty());
    }
}
