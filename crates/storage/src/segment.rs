//! `LogSegment`: one `.log` file with its `.index`, `.timeindex` and (once a transaction in
//! it aborts) `.txnindex`.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::batch::{crc_of, BatchMeta, RecordBatchHeader, NO_TIMESTAMP, RECORD_BATCH_OVERHEAD};
use crate::config::LogConfig;
use crate::epoch::LeaderEpochFileCache;
use crate::error::{io_context, Result, StorageError};
use crate::file_slice::FileSlice;
use crate::index_file::IndexLoad;
use crate::offset_index::OffsetIndex;
use crate::time_index::{TimeIndex, TimestampOffset};
use crate::txn_index::{
    AbortedTxn, TransactionIndex, TxnIndexAppend, TxnIndexLoad, TxnIndexRepair,
};

/// Suffix of the segment data file (Kafka's `LogFileUtils.LOG_FILE_SUFFIX`).
pub const LOG_FILE_SUFFIX: &str = "log";
pub const INDEX_FILE_SUFFIX: &str = "index";
pub const TIME_INDEX_FILE_SUFFIX: &str = "timeindex";
/// Kafka's `LogFileUtils.TXN_INDEX_FILE_SUFFIX`.
pub const TXN_INDEX_FILE_SUFFIX: &str = "txnindex";
/// Bytes read at a time while recovering a segment.
pub const RECOVERY_READ_CHUNK_BYTES: usize = 1 << 20;

/// `<20-digit zero-padded base offset>.<suffix>`, Kafka's `LogFileUtils.filenamePrefixFromOffset`.
#[must_use]
pub fn file_name(base_offset: i64, suffix: &str) -> String {
    format!("{base_offset:020}.{suffix}")
}

/// The base offset in a segment file name, if it is one.
#[must_use]
pub fn parse_base_offset(stem: &str) -> Option<i64> {
    if stem.len() != 20 || !stem.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    stem.parse().ok()
}

/// What a segment has for a read (see [`LogSegment::read`]).
pub(crate) enum SegmentRead {
    /// No batch in this segment reaches the offset: try the next segment.
    NotHere,
    /// The batch holding the offset exists but cannot be returned (it crosses `max_offset`,
    /// or is larger than `max_bytes` without `min_one_message`).
    Nothing,
    Slice(FileSlice),
}

/// Why [`LogSegment::recover`] stopped before the end of a segment's file (Kafka's
/// `CorruptRecordException` / `InvalidRecordException` messages during `LogSegment.recover`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidBatchReason {
    /// The file ends inside a batch (`needed_bytes` more than the `available_bytes` left):
    /// the torn tail of a write a crash cut short.
    Incomplete {
        needed_bytes: u64,
        available_bytes: u64,
    },
    /// The batch header cannot be read (bad magic, a length below the header size).
    BadHeader(String),
    /// The offsets go backwards or do not belong to the segment.
    BadOffsets {
        base_offset: i64,
        last_offset_delta: i32,
        expected_at_least: i64,
    },
    /// The CRC32C of the batch does not match the one stored in its header.
    CrcMismatch { stored: u32, computed: u32 },
    /// The file is longer than a segment can be (`i32::MAX` bytes).
    TooLarge { file_bytes: u64 },
}

impl InvalidBatchReason {
    /// A stable name for logs and metrics labels.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Incomplete { .. } => "incomplete_batch",
            Self::BadHeader(_) => "bad_header",
            Self::BadOffsets { .. } => "bad_offsets",
            Self::CrcMismatch { .. } => "crc_mismatch",
            Self::TooLarge { .. } => "segment_too_large",
        }
    }
}

impl std::fmt::Display for InvalidBatchReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Incomplete {
                needed_bytes,
                available_bytes,
            } => write!(
                f,
                "incomplete batch: {needed_bytes} bytes needed, {available_bytes} left in the file"
            ),
            Self::BadHeader(why) => write!(f, "unreadable batch header: {why}"),
            Self::BadOffsets {
                base_offset,
                last_offset_delta,
                expected_at_least,
            } => write!(
                f,
                "batch offsets {base_offset} (+{last_offset_delta}) where offset {expected_at_least} or above was expected"
            ),
            Self::CrcMismatch { stored, computed } => write!(
                f,
                "record is corrupt (stored crc = {stored}, computed crc = {computed})"
            ),
            Self::TooLarge { file_bytes } => {
                write!(f, "file of {file_bytes} bytes is larger than a segment can be")
            }
        }
    }
}

/// The first invalid batch [`LogSegment::recover`] found, and what it cut off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidBatch {
    /// Byte position of the invalid batch in the `.log` (Kafka's "at byte offset").
    pub position: u64,
    /// The first offset lost: the segment's next offset after recovery.
    pub offset: i64,
    pub reason: InvalidBatchReason,
    /// What the bytes cut off held, by their batch headers (see [`DroppedBatches`]).
    pub dropped: DroppedBatches,
}

/// Batches in bytes that recovery dropped, counted from their headers alone (best effort: the
/// walk stops at the first header it cannot read or that runs past the end of the file, and
/// the counts of a batch whose header is damaged are whatever the damage left).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DroppedBatches {
    pub batches: u64,
    pub records: u64,
    /// The largest last offset among them, if any whole batch was found.
    pub last_offset: Option<i64>,
    /// The walk reached the end of the bytes (false: the counts are a lower bound).
    pub complete: bool,
}

impl DroppedBatches {
    /// Adds the counts of `other` (a later stretch of dropped bytes).
    pub fn add(&mut self, other: &DroppedBatches) {
        self.batches += other.batches;
        self.records += other.records;
        self.last_offset = self.last_offset.max(other.last_offset);
        self.complete &= other.complete;
    }
}

/// What [`LogSegment::recover`] did to one segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentRecovery {
    /// Bytes removed from the end of the `.log`.
    pub truncated_bytes: u64,
    /// Set when bytes were removed: where and why.
    pub invalid: Option<InvalidBatch>,
}

/// Kafka's `LogSegment`: the batches from `base_offset` up to the next segment's base offset.
///
/// Byte layout: `<base>.log` is v2 record batches back to back, exactly as produced (see
/// [`crate::batch`]); positions are `u32` and a segment never exceeds `i32::MAX` bytes.
/// `<base>.index` ([`OffsetIndex`]) and `<base>.timeindex` ([`TimeIndex`]) are sparse and can
/// always be rebuilt from the `.log`. `<base>.txnindex` ([`TransactionIndex`]) lists the
/// aborted transactions whose marker is in this segment; it exists only once one is written,
/// and it is kept (not rebuilt) by recovery, which drops its entries past the recovered end.
///
/// Thread-safety: not internally synchronised. Appends and truncation take `&mut self`;
/// reads take `&self` and use positional I/O only. The `.log` file is shared by `Arc` with
/// every [`FileSlice`] handed out, so deleting a segment never invalidates a pending send.
///
/// After a crash: the `.log` may end in a torn or corrupt batch and the indexes may be stale
/// or untrimmed. [`LogSegment::recover`] (run by `Log::open` from the recovery point on)
/// validates every batch header and CRC, truncates the file after the last valid batch and
/// rebuilds both indexes. Segments wholly below the recovery point are only sanity-checked
/// ([`LogSegment::load_without_recovery`]).
pub struct LogSegment {
    base_offset: i64,
    log_path: PathBuf,
    log: Arc<File>,
    size_bytes: u32,
    next_offset: i64,
    offset_index: OffsetIndex,
    time_index: TimeIndex,
    txn_index: TransactionIndex,
    /// What opening the segment cut from its transaction index, until the log takes it.
    txn_index_repair: Option<TxnIndexRepair>,
    indexes_loaded_clean: bool,
    max_timestamp_so_far: i64,
    offset_of_max_timestamp_so_far: i64,
    /// Max timestamp of the first append (Kafka's `rollingBasedTimestamp`).
    rolling_based_timestamp_ms: Option<i64>,
    created_ms: i64,
    bytes_since_last_index_entry: u64,
}

impl LogSegment {
    /// Creates an empty active segment (any stale files of that name are replaced), with
    /// both indexes preallocated to `max_index_size_bytes`.
    pub fn create(dir: &Path, base_offset: i64, config: &LogConfig, now_ms: i64) -> Result<Self> {
        Self::create_with_suffix(dir, base_offset, config, now_ms, "")
    }

    /// [`Self::create`] with `file_suffix` after each file name (Kafka's `LogSegment.open`
    /// with a `fileSuffix`): the cleaner writes `<base>.log.cleaned` and its indexes so the
    /// files cannot be mistaken for live ones until [`Self::change_file_suffixes`].
    pub(crate) fn create_with_suffix(
        dir: &Path,
        base_offset: i64,
        config: &LogConfig,
        now_ms: i64,
        file_suffix: &str,
    ) -> Result<Self> {
        assert!(base_offset >= 0, "negative base offset {base_offset}");
        let name = |suffix: &str| format!("{}{file_suffix}", file_name(base_offset, suffix));
        let log_path = dir.join(name(LOG_FILE_SUFFIX));
        let log = open_without_atime(
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true),
            &log_path,
        )
        .map_err(io_context(format!("create {}", log_path.display())))?;
        for suffix in [INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX] {
            let p = dir.join(name(suffix));
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StorageError::storage(format!("remove {}", p.display()), e)),
            }
        }
        let (offset_index, _) = OffsetIndex::open(&dir.join(name(INDEX_FILE_SUFFIX)), base_offset)?;
        let (time_index, _) =
            TimeIndex::open(&dir.join(name(TIME_INDEX_FILE_SUFFIX)), base_offset)?;
        let txn_index =
            TransactionIndex::create(&dir.join(name(TXN_INDEX_FILE_SUFFIX)), base_offset)?;
        let mut seg = Self {
            base_offset,
            log_path,
            log: Arc::new(log),
            size_bytes: 0,
            next_offset: base_offset,
            offset_index,
            time_index,
            txn_index,
            txn_index_repair: None,
            indexes_loaded_clean: true,
            max_timestamp_so_far: NO_TIMESTAMP,
            offset_of_max_timestamp_so_far: base_offset,
            rolling_based_timestamp_ms: None,
            created_ms: now_ms,
            bytes_since_last_index_entry: 0,
        };
        seg.make_active(config)?;
        Ok(seg)
    }

    /// Opens an existing segment's files. Nothing is trusted yet: call
    /// [`Self::load_without_recovery`] or [`Self::recover`] next.
    pub fn open(dir: &Path, base_offset: i64, now_ms: i64) -> Result<Self> {
        let log_path = dir.join(file_name(base_offset, LOG_FILE_SUFFIX));
        let log = open_without_atime(OpenOptions::new().read(true).write(true), &log_path)
            .map_err(io_context(format!("open {}", log_path.display())))?;
        let len = log
            .metadata()
            .map_err(io_context(format!("stat {}", log_path.display())))?
            .len();
        let (offset_index, offset_load) = OffsetIndex::open(
            &dir.join(file_name(base_offset, INDEX_FILE_SUFFIX)),
            base_offset,
        )?;
        let (time_index, time_load) = TimeIndex::open(
            &dir.join(file_name(base_offset, TIME_INDEX_FILE_SUFFIX)),
            base_offset,
        )?;
        // A damaged tail is cut here; the entries it held are written again by the control
        // plane's replay of the markers (see `TransactionIndex`), so it does not make the
        // segment untrusted.
        let (txn_index, txn_load) = TransactionIndex::open(
            &dir.join(file_name(base_offset, TXN_INDEX_FILE_SUFFIX)),
            base_offset,
        )?;
        let txn_index_repair = match txn_load {
            TxnIndexLoad::Clean => None,
            TxnIndexLoad::Truncated {
                dropped_bytes,
                reason,
            } => Some(TxnIndexRepair {
                path: txn_index.path().to_path_buf(),
                dropped_bytes,
                reason,
            }),
        };
        Ok(Self {
            base_offset,
            log_path,
            log: Arc::new(log),
            // A file beyond i32::MAX cannot be a segment we wrote; recovery truncates it.
            size_bytes: len.min(i32::MAX as u64) as u32,
            next_offset: base_offset,
            offset_index,
            time_index,
            txn_index,
            txn_index_repair,
            indexes_loaded_clean: offset_load == IndexLoad::Clean
                && time_load == IndexLoad::Clean
                && i32::try_from(len).is_ok(),
            max_timestamp_so_far: NO_TIMESTAMP,
            offset_of_max_timestamp_so_far: base_offset,
            rolling_based_timestamp_ms: None,
            created_ms: now_ms,
            bytes_since_last_index_entry: 0,
        })
    }

    #[must_use]
    pub fn base_offset(&self) -> i64 {
        self.base_offset
    }

    /// Offset after the last batch (`base_offset` when empty).
    #[must_use]
    pub fn next_offset(&self) -> i64 {
        self.next_offset
    }

    #[must_use]
    pub fn size_bytes(&self) -> u32 {
        self.size_bytes
    }

    #[must_use]
    pub fn offset_index(&self) -> &OffsetIndex {
        &self.offset_index
    }

    #[must_use]
    pub fn time_index(&self) -> &TimeIndex {
        &self.time_index
    }

    /// What opening this segment cut from its transaction index, once.
    pub(crate) fn take_txn_index_repair(&mut self) -> Option<TxnIndexRepair> {
        self.txn_index_repair.take()
    }

    /// The aborted transactions whose marker is in this segment.
    #[must_use]
    pub fn txn_index(&self) -> &TransactionIndex {
        &self.txn_index
    }

    /// Kafka's `LogSegment.updateTxnIndex` for one aborted transaction whose marker
    /// (`last_offset`) is in this segment, below its next offset (`OffsetOutOfRange`
    /// otherwise). Idempotent (see [`TransactionIndex::append`]).
    pub(crate) fn append_aborted_txn(&mut self, entry: AbortedTxn) -> Result<TxnIndexAppend> {
        if entry.last_offset < self.base_offset || entry.last_offset >= self.next_offset {
            return Err(StorageError::OffsetOutOfRange(format!(
                "aborted transaction marker at offset {} is not in segment [{}, {})",
                entry.last_offset, self.base_offset, self.next_offset
            )));
        }
        self.txn_index.append(entry)
    }

    /// Copies the transaction index entries of `sources` (the segments this cleaned segment
    /// replaces, in order) into its own, but those whose ABORT marker the cleaner removed
    /// (`removed_markers`, their offsets in increasing order), and fsyncs it: every entry it takes names a marker
    /// still in this segment (Kafka rebuilds the cleaned index from the markers it keeps;
    /// copying under the log's lock also carries an entry written meanwhile).
    pub(crate) fn take_txn_index_entries_of(
        &mut self,
        sources: &[&LogSegment],
        removed_markers: &[i64],
    ) -> Result<()> {
        for source in sources {
            if source.txn_index.file_exists() {
                self.txn_index.create_file()?;
            }
            for entry in source.txn_index.entries() {
                if removed_markers.binary_search(&entry.last_offset).is_err() {
                    self.txn_index.append(*entry)?;
                }
            }
        }
        self.txn_index.flush()
    }

    #[must_use]
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Largest batch `maxTimestamp` seen and the last offset of the first batch holding it
    /// (Kafka's `maxTimestampAndOffsetSoFar`).
    #[must_use]
    pub fn max_timestamp_and_offset(&self) -> TimestampOffset {
        TimestampOffset {
            timestamp: self.max_timestamp_so_far,
            offset: self.offset_of_max_timestamp_so_far,
        }
    }

    /// Kafka's `largestTimestamp`: the max timestamp, or the file's modification time when
    /// no batch has one. Used by time retention.
    #[must_use]
    pub fn largest_timestamp_ms(&self) -> i64 {
        if self.max_timestamp_so_far >= 0 {
            return self.max_timestamp_so_far;
        }
        self.last_modified_ms()
    }

    /// Modification time of the `.log` file (Kafka's `lastModified`), 0 if unknown.
    #[must_use]
    pub fn last_modified_ms(&self) -> i64 {
        self.log
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_millis() as i64)
    }

    /// Sets the `.log` file's modification time (Kafka's `setLastModified`: a cleaned segment
    /// keeps the time of the segments it replaces, for time retention).
    pub(crate) fn set_last_modified_ms(&self, ms: i64) -> Result<()> {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
        self.log.set_modified(t).map_err(io_context(format!(
            "set mtime of {}",
            self.log_path.display()
        )))
    }

    /// `maxTimestamp` of the first batch (Kafka's `rollingBasedTimestamp`, which
    /// `getFirstBatchTimestamp` reads for `max.compaction.lag.ms`); `None` when empty.
    #[must_use]
    pub fn first_batch_timestamp_ms(&self) -> Option<i64> {
        self.rolling_based_timestamp_ms
    }

    /// The `.log` file, shared with every slice read from it.
    pub(crate) fn log_file(&self) -> &Arc<File> {
        &self.log
    }

    /// Renames the three files from `<name><old_suffix>` to `<name><new_suffix>` (Kafka's
    /// `changeFileSuffixes`), indexes first and the `.log` last: recovery looks only at the
    /// `.log` name, so a crash in between leaves a state it understands. Open handles and
    /// mappings stay valid across the rename.
    pub(crate) fn change_file_suffixes(
        &mut self,
        old_suffix: &str,
        new_suffix: &str,
    ) -> Result<()> {
        let rename = |path: &Path| -> Result<PathBuf> {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(old_suffix))
                .ok_or_else(|| {
                    StorageError::storage_invalid_data(format!(
                        "{} does not end in \"{old_suffix}\"",
                        path.display()
                    ))
                })?;
            Ok(path.with_file_name(format!("{name}{new_suffix}")))
        };
        let offset_index_path = rename(self.offset_index.path())?;
        let time_index_path = rename(self.time_index.path())?;
        let txn_index_path = rename(self.txn_index.path())?;
        let log_path = rename(&self.log_path)?;
        self.offset_index.rename_to(&offset_index_path)?;
        self.time_index.rename_to(&time_index_path)?;
        self.txn_index.rename_to(&txn_index_path)?;
        std::fs::rename(&self.log_path, &log_path).map_err(io_context(format!(
            "rename {} to {}",
            self.log_path.display(),
            log_path.display()
        )))?;
        self.log_path = log_path;
        Ok(())
    }

    /// Kafka's `timeWaitedForRoll`: time between the first batch of the segment and the
    /// incoming one, by batch timestamps when the first batch has one, else by the clock
    /// since the segment was created.
    #[must_use]
    pub fn time_waited_for_roll_ms(&self, now_ms: i64, message_timestamp_ms: i64) -> i64 {
        match self.rolling_based_timestamp_ms {
            Some(ts) if ts >= 0 => message_timestamp_ms.saturating_sub(ts),
            _ => now_ms.saturating_sub(self.created_ms),
        }
    }

    /// Preallocates both indexes to the configured size (Kafka's `resize` on the active
    /// segment).
    pub(crate) fn make_active(&mut self, config: &LogConfig) -> Result<()> {
        self.offset_index
            .resize_for_max_bytes(config.max_index_size_bytes)?;
        self.time_index
            .resize_for_max_bytes(config.max_index_size_bytes)
    }

    /// Kafka's `onBecomeInactiveSegment`: the final time index entry (in the reserved slot),
    /// then both indexes trimmed to their entries and fsynced.
    pub(crate) fn on_become_inactive(&mut self) -> Result<()> {
        self.on_become_inactive_unflushed()?;
        self.offset_index.flush()?;
        self.time_index.flush()
    }

    /// [`Self::on_become_inactive`] without the fsyncs: for a segment above the recovery
    /// point (a later flush covers its files; a crash before that recovers it again).
    pub(crate) fn on_become_inactive_unflushed(&mut self) -> Result<()> {
        self.time_index.maybe_append(
            self.max_timestamp_so_far,
            self.offset_of_max_timestamp_so_far,
            true,
        );
        self.offset_index.trim_unflushed()?;
        self.time_index.trim_unflushed()
    }

    /// Both indexes hold exactly their entries, as a clean roll or close leaves them.
    pub(crate) fn indexes_trimmed(&self) -> bool {
        self.offset_index.is_trimmed() && self.time_index.is_trimmed()
    }

    /// fsyncs the log and its indexes.
    pub fn flush(&self) -> Result<()> {
        self.log
            .sync_data()
            .map_err(io_context(format!("fsync {}", self.log_path.display())))?;
        self.offset_index.flush()?;
        self.time_index.flush()?;
        self.txn_index.flush()
    }

    /// The files to fsync for a flush run outside the log's lock: the `.log` by its open
    /// handle, the indexes by path (they keep no descriptor).
    pub(crate) fn flush_targets(&self, logs: &mut Vec<Arc<File>>, indexes: &mut Vec<PathBuf>) {
        logs.push(Arc::clone(&self.log));
        indexes.push(self.offset_index.path().to_path_buf());
        indexes.push(self.time_index.path().to_path_buf());
        if self.txn_index.file_exists() {
            indexes.push(self.txn_index.path().to_path_buf());
        }
    }

    /// Deletes the segment's files. Open `FileSlice`s keep the data readable until dropped.
    pub(crate) fn delete(self) -> Result<()> {
        let Self {
            log_path,
            offset_index,
            time_index,
            txn_index,
            ..
        } = self;
        offset_index.delete()?;
        time_index.delete()?;
        txn_index.delete()?;
        match std::fs::remove_file(&log_path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StorageError::storage(
                format!("delete {}", log_path.display()),
                e,
            )),
        }
    }

    /// Reads and checks the header of the committed batch at `position`. Committed bytes
    /// were validated before they were written (or by recovery), so any failure here is
    /// on-disk damage: `KafkaStorageError`.
    pub(crate) fn header_at(&self, position: u32) -> Result<RecordBatchHeader> {
        let header = self
            .try_header_at(position, self.size_bytes)
            .map_err(|reason| {
                StorageError::storage_invalid_data(format!(
                    "{} at byte {position}: {reason}",
                    self.log_path.display()
                ))
            })?;
        Ok(header)
    }

    /// Calls `f` with every batch header of the segment and its position, in order (one
    /// `pread` each; no record is read). Errors: a damaged header (`KafkaStorageError`, as
    /// `header_at`), or whatever `f` returns.
    pub(crate) fn for_each_batch_header(
        &self,
        mut f: impl FnMut(u32, &RecordBatchHeader) -> Result<()>,
    ) -> Result<()> {
        let mut position = 0;
        while position < self.size_bytes {
            let header = self.header_at(position)?;
            f(position, &header)?;
            position += header.size_bytes() as u32;
        }
        Ok(())
    }

    /// The whole batch at `position` whose header is `header` (from `header_at`), checked
    /// against its CRC after the read.
    pub(crate) fn batch_bytes(&self, position: u32, header: &RecordBatchHeader) -> Result<Vec<u8>> {
        let mut bytes = vec![0u8; header.size_bytes() as usize];
        self.log
            .read_exact_at(&mut bytes, u64::from(position))
            .map_err(io_context(format!("pread {}", self.log_path.display())))?;
        if crc_of(&bytes) != header.crc {
            return Err(StorageError::storage_invalid_data(format!(
                "{} at byte {position}: CRC32C mismatch",
                self.log_path.display()
            )));
        }
        Ok(bytes)
    }

    fn try_header_at(
        &self,
        position: u32,
        file_end: u32,
    ) -> std::result::Result<RecordBatchHeader, String> {
        let end = u64::from(position) + RECORD_BATCH_OVERHEAD as u64;
        if end > u64::from(file_end) {
            return Err(format!(
                "batch header ends at {end}, beyond the segment end {file_end}"
            ));
        }
        let mut buf = [0u8; RECORD_BATCH_OVERHEAD];
        self.log
            .read_exact_at(&mut buf, u64::from(position))
            .map_err(|e| format!("pread: {e}"))?;
        let header = RecordBatchHeader::parse(&buf).map_err(|e| e.to_string())?;
        if u64::from(position) + header.size_bytes() > u64::from(file_end) {
            return Err(format!(
                "batch of {} bytes runs past the segment end {file_end}",
                header.size_bytes()
            ));
        }
        if header.base_offset < self.base_offset
            || header.last_offset_delta < 0
            || header.last_offset() - self.base_offset > i64::from(i32::MAX)
        {
            return Err(format!(
                "batch offsets {}..={} do not belong to segment {}",
                header.base_offset,
                header.last_offset(),
                self.base_offset
            ));
        }
        Ok(header)
    }

    /// Kafka's `translateOffset`: the first batch (at or after `start_position`, a batch
    /// boundary) whose last offset is `>= target`, found via the offset index and a forward
    /// scan of batch headers.
    pub(crate) fn translate_offset(
        &self,
        target: i64,
        start_position: u32,
    ) -> Result<Option<(u32, RecordBatchHeader)>> {
        let mut position = self
            .offset_index
            .lookup(target)
            .position
            .max(start_position);
        while position < self.size_bytes {
            let header = self.header_at(position)?;
            if header.last_offset() >= target {
                return Ok(Some((position, header)));
            }
            position += header.size_bytes() as u32;
        }
        Ok(None)
    }

    /// End position and last offset of the last whole batch ending at or before `limit`,
    /// scanning from `first` (at `start_position`, which must fit). Starts from the offset
    /// index entry before the last one at or below `limit`, so the scan covers at most about
    /// two index intervals.
    fn last_batch_end_at_or_below(
        &self,
        limit: u64,
        start_position: u32,
        first: RecordBatchHeader,
    ) -> Result<(u32, i64)> {
        let mut position = start_position;
        let mut header = first;
        let limit_u32 = limit.min(u64::from(self.size_bytes)) as u32;
        if let Some(slot) = self.offset_index.slot_for_position(limit_u32) {
            if slot >= 1 {
                let e = self.offset_index.entry(slot - 1);
                if e.position > start_position {
                    position = e.position;
                    header = self.header_at(position)?;
                }
            }
        }
        let mut end = position + header.size_bytes() as u32;
        debug_assert!(u64::from(end) <= limit, "first batch must fit");
        let mut last_offset = header.last_offset();
        while end < self.size_bytes {
            let next = self.header_at(end)?;
            if u64::from(end) + next.size_bytes() > limit {
                break;
            }
            end += next.size_bytes() as u32;
            last_offset = next.last_offset();
        }
        Ok((end, last_offset))
    }

    /// Kafka's `LogSegment.read`: whole batches from the one holding `start_offset`, ending
    /// before any batch whose last offset is `>= max_offset`, within `max_bytes` (the first
    /// batch is returned whole when larger if `min_one_message`, KIP-74).
    pub(crate) fn read(
        &self,
        start_offset: i64,
        max_bytes: u32,
        max_offset: i64,
        min_one_message: bool,
    ) -> Result<SegmentRead> {
        let Some((start_position, first)) = self.translate_offset(start_offset, 0)? else {
            return Ok(SegmentRead::NotHere);
        };
        if first.last_offset() >= max_offset {
            return Ok(SegmentRead::Nothing);
        }
        let first_size = first.size_bytes();
        let budget = if min_one_message {
            u64::from(max_bytes).max(first_size)
        } else {
            u64::from(max_bytes)
        };
        if first_size > budget {
            return Ok(SegmentRead::Nothing);
        }
        let mut limit = u64::from(self.size_bytes);
        if max_offset < self.next_offset {
            if let Some((p, _)) = self.translate_offset(max_offset, start_position)? {
                limit = u64::from(p);
            }
        }
        limit = limit.min(u64::from(start_position) + budget);
        let (end, last_offset) = self.last_batch_end_at_or_below(limit, start_position, first)?;
        assert!(end > start_position && end <= self.size_bytes);
        Ok(SegmentRead::Slice(FileSlice {
            file: Arc::clone(&self.log),
            position: start_position,
            size: end - start_position,
            first_offset: first.base_offset,
            last_offset,
        }))
    }

    /// Appends validated batches with one positional write, then adds index entries
    /// (Kafka 3.x `LogSegment.append`: per batch, an offset index entry for the batch's last
    /// offset once more than `index_interval_bytes` went by since the previous one, and a
    /// time index entry with the max timestamp so far at the same moments).
    pub(crate) fn append(
        &mut self,
        buf: &[u8],
        metas: &[BatchMeta],
        index_interval_bytes: u32,
    ) -> Result<()> {
        let first = metas.first().expect("an append has at least one batch");
        let last = metas.last().expect("an append has at least one batch");
        assert!(
            first.base_offset >= self.next_offset,
            "append at {} below next offset {}",
            first.base_offset,
            self.next_offset
        );
        assert!(
            last.last_offset() - self.base_offset <= i64::from(i32::MAX),
            "relative offset overflow"
        );
        assert!(
            i32::try_from(u64::from(self.size_bytes) + buf.len() as u64).is_ok(),
            "segment position overflow"
        );
        // Assert right before the write: the buffer starts with the batch we think it does.
        debug_assert_eq!(
            RecordBatchHeader::parse(buf).map(|h| h.base_offset).ok(),
            Some(first.base_offset)
        );
        let position = self.size_bytes;
        if let Err(e) = self.log.write_all_at(buf, u64::from(position)) {
            // Undo a partial write so the file still ends on a batch boundary.
            let _ = self.log.set_len(u64::from(position));
            return Err(StorageError::storage(
                format!("write {}", self.log_path.display()),
                e,
            ));
        }
        if position == 0 {
            self.rolling_based_timestamp_ms = metas.iter().map(|m| m.max_timestamp).max();
        }
        for m in metas {
            self.index_batch(
                position + m.position,
                m.size_bytes,
                m.last_offset(),
                m.max_timestamp,
                index_interval_bytes,
            );
        }
        self.size_bytes = position + buf.len() as u32;
        self.next_offset = last.last_offset() + 1;
        Ok(())
    }

    fn index_batch(
        &mut self,
        position: u32,
        size_bytes: u32,
        last_offset: i64,
        max_timestamp: i64,
        index_interval_bytes: u32,
    ) {
        if max_timestamp > self.max_timestamp_so_far {
            self.max_timestamp_so_far = max_timestamp;
            self.offset_of_max_timestamp_so_far = last_offset;
        }
        if self.bytes_since_last_index_entry > u64::from(index_interval_bytes)
            && self.offset_index.has_room_for(1)
            && self.time_index.has_room_for(1)
        {
            self.offset_index.append(last_offset, position);
            self.time_index.maybe_append(
                self.max_timestamp_so_far,
                self.offset_of_max_timestamp_so_far,
                false,
            );
            self.bytes_since_last_index_entry = 0;
        }
        self.bytes_since_last_index_entry += u64::from(size_bytes);
    }

    /// Kafka's `LogSegment.recover`: validates every batch (header, offsets, CRC), rebuilds
    /// both indexes, re-adds leader epochs newer than the cache knows (`epochs_changed` is set
    /// if it did), and truncates the file after the last valid batch. Nothing is fsynced: the
    /// caller keeps the recovery point below this segment until a flush covers it. Returns
    /// the bytes truncated and, if any, the first invalid batch with what followed it.
    pub fn recover(
        &mut self,
        config: &LogConfig,
        epochs: &mut LeaderEpochFileCache,
        epochs_changed: &mut bool,
    ) -> Result<SegmentRecovery> {
        self.make_active(config)?;
        self.offset_index.reset();
        self.time_index.reset();
        self.max_timestamp_so_far = NO_TIMESTAMP;
        self.offset_of_max_timestamp_so_far = self.base_offset;
        self.rolling_based_timestamp_ms = None;
        self.bytes_since_last_index_entry = 0;
        let file_len = self
            .log
            .metadata()
            .map_err(io_context(format!("stat {}", self.log_path.display())))?
            .len();
        let scan_end = file_len.min(i32::MAX as u64);
        let mut reader = ChunkReader::new(Arc::clone(&self.log));
        let mut valid: u64 = 0;
        let mut next_offset = self.base_offset;
        let mut stop: Option<InvalidBatchReason> = None;
        while valid < scan_end {
            let incomplete = |needed: u64| InvalidBatchReason::Incomplete {
                needed_bytes: needed,
                available_bytes: scan_end - valid,
            };
            let Some(bytes) = reader.get(valid, RECORD_BATCH_OVERHEAD, scan_end)? else {
                stop = Some(incomplete(RECORD_BATCH_OVERHEAD as u64));
                break;
            };
            let header = match RecordBatchHeader::parse(bytes) {
                Ok(h) => h,
                Err(e) => {
                    stop = Some(InvalidBatchReason::BadHeader(e.to_string()));
                    break;
                }
            };
            let size = header.size_bytes();
            if header.base_offset < next_offset
                || header.last_offset_delta < 0
                || header.last_offset() - self.base_offset > i64::from(i32::MAX)
            {
                stop = Some(InvalidBatchReason::BadOffsets {
                    base_offset: header.base_offset,
                    last_offset_delta: header.last_offset_delta,
                    expected_at_least: next_offset,
                });
                break;
            }
            let Some(batch) = reader.get(valid, size as usize, scan_end)? else {
                stop = Some(incomplete(size));
                break;
            };
            let computed = crc_of(batch);
            if computed != header.crc {
                stop = Some(InvalidBatchReason::CrcMismatch {
                    stored: header.crc,
                    computed,
                });
                break;
            }
            if valid == 0 {
                self.rolling_based_timestamp_ms = Some(header.max_timestamp);
            }
            let epoch = header.partition_leader_epoch;
            if epoch >= 0 && epochs.latest_epoch().map_or(true, |l| epoch > l) {
                *epochs_changed |= epochs.assign(epoch, header.base_offset);
            }
            self.index_batch(
                valid as u32,
                size as u32,
                header.last_offset(),
                header.max_timestamp,
                config.index_interval_bytes,
            );
            valid += size;
            next_offset = header.next_offset();
        }
        let truncated = file_len - valid;
        let mut invalid = None;
        if truncated > 0 {
            let reason = stop.unwrap_or(InvalidBatchReason::TooLarge {
                file_bytes: file_len,
            });
            invalid = Some(InvalidBatch {
                position: valid,
                offset: next_offset,
                reason,
                dropped: self.count_batches_from(valid, scan_end),
            });
            self.log
                .set_len(valid)
                .map_err(io_context(format!("truncate {}", self.log_path.display())))?;
        }
        self.size_bytes = valid as u32;
        self.next_offset = next_offset;
        self.indexes_loaded_clean = true;
        // Entries for markers that did not survive (the crash rule of `TransactionIndex`).
        self.txn_index
            .truncate_on_load(next_offset, &mut self.txn_index_repair)?;
        Ok(SegmentRecovery {
            truncated_bytes: truncated,
            invalid,
        })
    }

    /// Counts the batches from `position` to `end` by their headers (see [`DroppedBatches`]);
    /// the first one may be invalid, so its offsets are not checked against the segment's.
    pub(crate) fn count_batches_from(&self, position: u64, end: u64) -> DroppedBatches {
        let mut out = DroppedBatches::default();
        let mut position = position;
        let mut buf = [0u8; RECORD_BATCH_OVERHEAD];
        loop {
            if position >= end {
                out.complete = true;
                return out;
            }
            if position + RECORD_BATCH_OVERHEAD as u64 > end
                || self.log.read_exact_at(&mut buf, position).is_err()
            {
                return out;
            }
            let Ok(header) = RecordBatchHeader::parse(&buf) else {
                return out;
            };
            if position + header.size_bytes() > end {
                return out;
            }
            out.batches += 1;
            out.records += u64::try_from(header.records_count).unwrap_or(0);
            out.last_offset = out.last_offset.max(Some(header.last_offset()));
            position += header.size_bytes();
        }
    }

    /// The whole segment's batches by their headers, for a segment deleted by recovery.
    pub(crate) fn count_all_batches(&self) -> DroppedBatches {
        self.count_batches_from(0, u64::from(self.size_bytes))
    }

    /// The clean-shutdown path: trusts the batches below the last offset index entry, checks
    /// that entry against the log (it must start a batch whose last offset it names, as
    /// Kafka's `DumpLogSegments --index-sanity-check` verifies), walks the batch headers from
    /// there to the end of the file, and checks the time index. Returns false if anything
    /// is off; the caller then runs [`Self::recover`].
    pub fn load_without_recovery(&mut self) -> Result<bool> {
        if !self.indexes_loaded_clean {
            return Ok(false);
        }
        let last_entry = self.offset_index.last_entry();
        if self.offset_index.entries() > 0 {
            if last_entry.position >= self.size_bytes {
                return Ok(false);
            }
            match self.try_header_at(last_entry.position, self.size_bytes) {
                Ok(h) if h.last_offset() == last_entry.offset => {}
                _ => return Ok(false),
            }
        }
        let time_last = self.time_index.last_entry();
        let mut max_ts = if self.time_index.entries() > 0 {
            time_last
        } else {
            TimestampOffset {
                timestamp: NO_TIMESTAMP,
                offset: self.base_offset,
            }
        };
        let mut position = last_entry.position;
        let mut next_offset = self.base_offset;
        while position < self.size_bytes {
            let Ok(header) = self.try_header_at(position, self.size_bytes) else {
                return Ok(false);
            };
            if header.base_offset < next_offset {
                return Ok(false);
            }
            if header.max_timestamp > max_ts.timestamp {
                max_ts = TimestampOffset {
                    timestamp: header.max_timestamp,
                    offset: header.last_offset(),
                };
            }
            next_offset = header.next_offset();
            position += header.size_bytes() as u32;
        }
        if self.time_index.entries() > 0
            && (time_last.offset >= next_offset || time_last.offset < self.base_offset)
        {
            return Ok(false);
        }
        self.next_offset = next_offset;
        self.txn_index
            .truncate_on_load(next_offset, &mut self.txn_index_repair)?;
        self.max_timestamp_so_far = max_ts.timestamp;
        self.offset_of_max_timestamp_so_far = max_ts.offset;
        self.bytes_since_last_index_entry = u64::from(self.size_bytes - last_entry.position);
        self.rolling_based_timestamp_ms = if self.size_bytes > 0 {
            Some(self.header_at(0)?.max_timestamp)
        } else {
            None
        };
        Ok(true)
    }

    /// Kafka's `LogSegment.truncateTo`: removes every batch whose last offset is `>= offset`
    /// (a batch is never cut in half, so an offset inside a batch removes the whole batch).
    /// Returns the bytes removed; afterwards `next_offset()` is `min(offset, base offset of
    /// the first removed batch)`.
    pub(crate) fn truncate_to(&mut self, offset: i64) -> Result<u64> {
        let Some((position, header)) = self.translate_offset(offset, 0)? else {
            return Ok(0);
        };
        let new_next = offset.min(header.base_offset).max(self.base_offset);
        self.offset_index.truncate_to(new_next);
        self.time_index.truncate_to(new_next);
        // Kafka truncates at `offset`; the log's new end is the tighter bound (a marker is a
        // batch of its own, so an entry at or past `new_next` names a removed marker).
        self.txn_index.truncate_to(new_next)?;
        let removed = u64::from(self.size_bytes - position);
        self.log
            .set_len(u64::from(position))
            .map_err(io_context(format!("truncate {}", self.log_path.display())))?;
        self.size_bytes = position;
        self.next_offset = new_next;
        // Re-derive the tail state from the last index entries plus a short header scan.
        let last_entry = self.offset_index.last_entry();
        let mut max_ts = self.time_index.last_entry();
        let mut p = last_entry.position;
        while p < self.size_bytes {
            let h = self.header_at(p)?;
            if h.max_timestamp > max_ts.timestamp {
                max_ts = TimestampOffset {
                    timestamp: h.max_timestamp,
                    offset: h.last_offset(),
                };
            }
            p += h.size_bytes() as u32;
        }
        self.max_timestamp_so_far = max_ts.timestamp;
        self.offset_of_max_timestamp_so_far = max_ts.offset;
        self.bytes_since_last_index_entry = u64::from(self.size_bytes - last_entry.position);
        if self.size_bytes == 0 {
            self.rolling_based_timestamp_ms = None;
        }
        Ok(removed)
    }

    /// Kafka's `findOffsetByTimestamp`: the first record at or after `target_ms` with offset
    /// `>= start_offset`, as `(offset, timestamp)`. Exact for uncompressed `CreateTime` batches
    /// (records are walked); for `LogAppendTime` batches every record carries the batch's
    /// `maxTimestamp`; for compressed `CreateTime` batches it answers with the batch's first
    /// offset and `maxTimestamp` (records are never decompressed here).
    pub(crate) fn find_offset_by_timestamp(
        &self,
        target_ms: i64,
        start_offset: i64,
    ) -> Result<Option<(i64, i64)>> {
        let t = self.time_index.lookup(target_ms);
        let mut position = self
            .offset_index
            .lookup(t.offset.max(start_offset))
            .position;
        while position < self.size_bytes {
            let h = self.header_at(position)?;
            if h.max_timestamp >= target_ms && h.last_offset() >= start_offset {
                return Ok(Some(self.refine_in_batch(
                    position,
                    &h,
                    target_ms,
                    start_offset,
                )?));
            }
            position += h.size_bytes() as u32;
        }
        Ok(None)
    }

    fn refine_in_batch(
        &self,
        position: u32,
        h: &RecordBatchHeader,
        target_ms: i64,
        start_offset: i64,
    ) -> Result<(i64, i64)> {
        let batch_level = (h.base_offset.max(start_offset), h.max_timestamp);
        if h.timestamp_type() == crate::batch::TimestampType::LogAppendTime || h.compression() != 0
        {
            return Ok(batch_level);
        }
        let mut bytes = vec![0u8; h.size_bytes() as usize];
        self.log
            .read_exact_at(&mut bytes, u64::from(position))
            .map_err(io_context(format!("pread {}", self.log_path.display())))?;
        Ok(
            crate::batch::first_record_at_or_after(&bytes, target_ms, start_offset)
                .unwrap_or(batch_level),
        )
    }

    /// The record with the segment's largest timestamp (for `ListOffsets` `MAX_TIMESTAMP`,
    /// KIP-734), as `(offset, timestamp)`, located like Kafka does: offset index lookup of the
    /// tracked shallow offset, then the first batch carrying that timestamp.
    pub(crate) fn max_timestamp_record(&self, start_offset: i64) -> Result<Option<(i64, i64)>> {
        if self.size_bytes == 0 || self.max_timestamp_so_far < 0 {
            return Ok(None);
        }
        let target = self.max_timestamp_so_far;
        let mut position = self
            .offset_index
            .lookup(self.offset_of_max_timestamp_so_far)
            .position;
        while position < self.size_bytes {
            let h = self.header_at(position)?;
            if h.max_timestamp == target && h.last_offset() >= start_offset {
                return Ok(Some(self.refine_in_batch(
                    position,
                    &h,
                    target,
                    start_offset,
                )?));
            }
            position += h.size_bytes() as u32;
        }
        Ok(None)
    }
}

/// Sequential reader for recovery: reads the file in large chunks instead of one `pread`
/// per batch.
struct ChunkReader {
    file: Arc<File>,
    buf: Vec<u8>,
    buf_start: u64,
}

impl ChunkReader {
    fn new(file: Arc<File>) -> Self {
        Self {
            file,
            buf: Vec::new(),
            buf_start: 0,
        }
    }

    /// `len` bytes at `position`, or `None` if they extend past `end`.
    fn get(&mut self, position: u64, len: usize, end: u64) -> Result<Option<&[u8]>> {
        if position + len as u64 > end {
            return Ok(None);
        }
        let have = position >= self.buf_start
            && position + len as u64 <= self.buf_start + self.buf.len() as u64;
        if !have {
            let want = (len.max(RECOVERY_READ_CHUNK_BYTES) as u64).min(end - position) as usize;
            self.buf.resize(want, 0);
            self.file
                .read_exact_at(&mut self.buf, position)
                .map_err(|e| StorageError::storage("read segment during recovery", e))?;
            self.buf_start = position;
        }
        let from = (position - self.buf_start) as usize;
        Ok(Some(&self.buf[from..from + len]))
    }
}

/// Opens a segment's log file with `O_NOATIME`: reads (fetches, sendfile on the event loop)
/// then never dirty the inode for its access time, which on the active segment would be every
/// first read after an append under `relatime`. The kernel allows the flag only to the file's
/// owner: elsewhere the file opens without it. Linux only; other systems open it plainly.
#[cfg(target_os = "linux")]
fn open_without_atime(options: &mut OpenOptions, path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    match options.clone().custom_flags(libc::O_NOATIME).open(path) {
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => options.open(path),
        opened => opened,
    }
}

#[cfg(not(target_os = "linux"))]
fn open_without_atime(options: &mut OpenOptions, path: &Path) -> std::io::Result<File> {
    options.open(path)
}
