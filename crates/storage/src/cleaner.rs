//! The log cleaner: compaction of `cleanup.policy=compact` logs, keeping the latest record of
//! every key (Kafka's `LogCleaner.Cleaner`, `LogToClean` and the offsets part of
//! `LogCleanerManager`).
//!
//! One pass over a log, given the cleaner checkpoint (the first offset not yet cleaned, kept
//! by the caller in Kafka's `cleaner-offset-checkpoint`):
//!
//! 1. Under the log's lock, [`Log::cleanable_range`]: the dirty section runs from the
//!    checkpoint to the first uncleanable offset, the lowest of the active segment's base
//!    offset, `cleanable_up_to` (the last stable offset) and the base offset of the first dirty
//!    segment whose largest timestamp is within `min.compaction.lag.ms` of now. The inactive
//!    segments below that are snapshotted: their `.log` files are immutable from here on, so
//!    everything else reads them through their `Arc<File>` without the lock.
//! 2. Without the lock: the [`OffsetMap`] (key hash → latest offset) is built from the dirty
//!    section, decompressing batches as needed. If it fills, cleaning stops at the batch that
//!    did not fit; that offset is the new checkpoint.
//! 3. Without the lock: the segments below the new checkpoint (clean and dirty alike) are
//!    grouped by size (Kafka's `groupSegmentsBySize`) and each group is rewritten into one
//!    `<base>.log.cleaned` keeping only, per record: records past the map, and keyed records
//!    that are the latest for their key, tombstones only until their batch's delete horizon.
//!    Records without a key are dropped (they are invalid in a compacted topic). Batches keep
//!    their base and last offsets; a batch that keeps every record is copied verbatim, one that
//!    loses some is rebuilt with the same codec, and one that loses all is dropped. The first
//!    time a batch keeping a tombstone is cleaned it gets a delete horizon of now +
//!    `delete.retention.ms` (KIP-534, attribute bit 6 with the horizon in `baseTimestamp`), so
//!    a tombstone survives one cleaning and then `delete.retention.ms`.
//!
//! Transactions (Kafka's `CleanedTransactionMetadata`): the aborted transactions overlapping
//! the cleaned range are read from the transaction indexes under the lock in step 1. A
//! transactional batch of an aborted transaction (same producer, offsets between the
//! transaction's first offset and its ABORT marker) neither enters the offset map nor
//! survives cleaning: its records are dropped whole. A transaction marker (COMMIT or ABORT
//! control batch) stays while data of its transaction may remain: if the pass read a
//! transactional data batch of its producer since that producer's previous marker (even one
//! it removes now), the marker is kept as it is. Otherwise the transaction can no longer be
//! seen and the marker goes as a tombstone does (KIP-534): the first pass that finds it so
//! sets its delete horizon (now + `delete.retention.ms`), a pass at or past the horizon
//! removes it. An ABORT marker's transaction index entry goes with it: the cleaned segment
//! takes over the entries of the segments it replaces but those of the markers removed
//! (`Log::replace_segments`), so every entry still names a marker in the log. The caller must
//! pass `cleanable_up_to` at or below the first unstable offset (Kafka cleans only below
//! the last stable offset): a transaction still open below it would be taken as committed.
//!
//! Producer state (Kafka's `BatchRetention.RETAIN_EMPTY`): before rewriting, the pass reads
//! every batch header of the log (the active segment too, up to its size at step 1) for
//! each producer's last data batch and last epoch. A batch that loses all its records but
//! is its producer's last data batch is kept as an empty batch (header only: same offsets,
//! producer id, epoch and sequences), so a producer state rebuilt from the log
//! ([`crate::producer_batches`]) still finds the producer's last sequence; a marker that is
//! the last batch of a producer without data batches is kept (it holds the epoch). Kafka
//! asks its producer state for the active producers; here a producer counts unless it
//! expired by the rule of Kafka's `isProducerExpired` applied to the log (no open
//! transaction, and its largest batch timestamp `producer_id_expiration_ms` or more before
//! now), so an expired producer's last batch goes. A transactional empty batch keeps the
//! marker after it, as in Kafka.
//! 4. Under the lock, per group: `Log::replace_segments` swaps the cleaned segment in
//!    (`.cleaned` → `.swap`, fsync of the directory, old segments renamed `.deleted`,
//!    `.swap` → `.log`), or gives up if the log changed meanwhile (truncation, retention).
//!    The old files are unlinked after the lock is released.
//!
//! After a crash: `.cleaned` files are deleted on open; a `<base>.log.swap` means the swap
//! was committed, and [`complete_interrupted_swaps`] finishes it (Kafka's `LogLoader` swap
//! handling): the old segments it covers are deleted, its indexes are dropped to be rebuilt,
//! and it is renamed to `<base>.log`.
//!
//! Thread-safety: [`clean`] takes the log through [`LogLock`] and holds the lock only for
//! steps 1 and 4, so appends and reads continue while it works. At most one clean per log at a
//! time (the caller's rule). It checks `abort` before every batch.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::batch::{
    crc_of, BatchMeta, RecordBatchHeader, RECORD_BATCH_OVERHEAD, TRANSACTIONAL_FLAG_MASK,
};
use crate::cleaner_offset_map::OffsetMap;
use crate::cleaner_records::{
    delete_horizon_ms, encode_batch, encode_empty_batch, for_each_record, BatchFields, RecordRef,
};
use crate::compression::{decompress, Codec};
use crate::config::LogConfig;
use crate::control_record::read_control_record;
use crate::epoch::sync_dir;
use crate::error::{io_context, Result, StorageError};
use crate::log::{wall_clock_ms, Log};
use crate::segment::{
    parse_base_offset, LogSegment, INDEX_FILE_SUFFIX, LOG_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX,
    TXN_INDEX_FILE_SUFFIX,
};

/// Suffix of a segment being written by the cleaner (Kafka's `CleanedFileSuffix`).
pub const CLEANED_FILE_SUFFIX: &str = ".cleaned";
/// Suffix of a cleaned segment whose swap is committed (Kafka's `SwapFileSuffix`).
pub const SWAP_FILE_SUFFIX: &str = ".swap";
/// Suffix of a replaced segment awaiting deletion (Kafka's `DeletedFileSuffix`); `Log::open`
/// removes any left by a crash.
pub const DELETED_FILE_SUFFIX: &str = ".deleted";
/// `log.cleaner.io.buffer.size`: bytes read from a source segment at a time, and buffered
/// before a write to the cleaned segment.
pub const CLEANER_IO_BUFFER_BYTES: usize = 512 * 1024;
/// `log.cleaner.dedupe.buffer.size` default: memory budget of the offset map.
pub const DEDUPE_BUFFER_BYTES_DEFAULT: u64 = 128 * 1024 * 1024;
/// Default limit on what one batch's records may decompress to.
pub const BATCH_DECOMPRESSED_BYTES_MAX_DEFAULT: usize = 256 * 1024 * 1024;

/// What one pass cleans and how (Kafka's topic and cleaner configs, plus the checkpoint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanOptions {
    /// The cleaner checkpoint: the first offset not cleaned yet. Below the log start offset
    /// or above the log end offset (or -1, none) it means the log start offset.
    pub checkpoint_offset: i64,
    /// Never clean at or above this offset (the last stable offset: the lower of the high
    /// watermark and the first unstable offset, see the module docs on transactions);
    /// `i64::MAX` for no bound.
    pub cleanable_up_to: i64,
    pub now_ms: i64,
    /// `delete.retention.ms`.
    pub delete_retention_ms: i64,
    /// `min.compaction.lag.ms`.
    pub min_compaction_lag_ms: i64,
    /// Keys the offset map may hold (from `log.cleaner.dedupe.buffer.size`).
    pub offset_map_entries_max: usize,
    /// Largest decompressed records section accepted in one batch.
    pub batch_decompressed_bytes_max: usize,
    /// `producer.id.expiration.ms`: a producer without an open transaction whose largest
    /// batch timestamp is this much older than `now_ms` is expired, and its last batch is not
    /// kept for it (Kafka keeps only the last batches of active producers).
    pub producer_id_expiration_ms: i64,
}

impl CleanOptions {
    /// Kafka's defaults at `now_ms`, no checkpoint and no upper bound; but producers never
    /// expire (`producer_id_expiration_ms` is `i64::MAX`): the broker passes its
    /// `producer.id.expiration.ms`.
    #[must_use]
    pub fn new(now_ms: i64) -> Self {
        Self {
            checkpoint_offset: -1,
            cleanable_up_to: i64::MAX,
            now_ms,
            delete_retention_ms: 86_400_000,
            min_compaction_lag_ms: 0,
            offset_map_entries_max: OffsetMap::entries_for_buffer_bytes(
                DEDUPE_BUFFER_BYTES_DEFAULT,
            ),
            batch_decompressed_bytes_max: BATCH_DECOMPRESSED_BYTES_MAX_DEFAULT,
            producer_id_expiration_ms: i64::MAX,
        }
    }
}

/// The dirty section of a log and its size (Kafka's `LogToClean` with `cleanableOffsets`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CleanableRange {
    pub first_dirty_offset: i64,
    /// Exclusive end of what may be cleaned now.
    pub first_uncleanable_offset: i64,
    /// Bytes of the segments before the dirty section.
    pub clean_bytes: u64,
    /// Bytes of the segments holding the cleanable dirty section.
    pub cleanable_bytes: u64,
    /// Earliest first-batch timestamp among the dirty inactive segments (Kafka's
    /// `earliestDirtySegmentTimestamp` for `max.compaction.lag.ms`), if any has one.
    pub earliest_dirty_timestamp_ms: Option<i64>,
}

impl CleanableRange {
    /// `cleanableBytes / (cleanBytes + cleanableBytes)`, 0 for an empty log.
    #[must_use]
    #[expect(
        clippy::cast_precision_loss,
        reason = "a ratio; byte counts far below 2^52"
    )]
    pub fn dirty_ratio(&self) -> f64 {
        let total = self.clean_bytes + self.cleanable_bytes;
        if total == 0 {
            0.0
        } else {
            self.cleanable_bytes as f64 / total as f64
        }
    }
}

/// What a pass did (Kafka's `CleanerStats`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CleanResult {
    /// Where the dirty section started.
    pub first_dirty_offset: i64,
    /// The new checkpoint when not `aborted`: everything below it is clean.
    pub end_offset: i64,
    /// The log changed under the cleaner (truncation, retention), or it was asked to stop;
    /// segments swapped before that stay swapped, but the checkpoint must not move.
    pub aborted: bool,
    pub segments_before: u64,
    pub segments_after: u64,
    pub bytes_before: u64,
    pub bytes_after: u64,
    pub batches_read: u64,
    pub batches_removed: u64,
    pub records_read: u64,
    pub records_removed: u64,
    /// Tombstones removed because their delete horizon passed.
    pub tombstones_removed: u64,
    /// Records without a key, removed (Kafka's `invalidMessagesRead`).
    pub invalid_records_removed: u64,
    /// Records of aborted transactions, removed (their batches count in `batches_removed`
    /// and `records_removed` too).
    pub aborted_records_removed: u64,
    /// Transaction markers removed because no data of their transaction was left and their
    /// delete horizon passed (they count in `batches_removed` and `records_removed` too).
    pub markers_removed: u64,
    /// Batches whose records were all removed, kept empty because each is its producer's
    /// last (Kafka's `RETAIN_EMPTY`).
    pub empty_batches_kept: u64,
    /// Keys in the offset map, and its use of `offset_map_entries_max`.
    pub offset_map_keys: u64,
    pub offset_map_utilization: f64,
    pub dirty_bytes_read: u64,
}

/// Access to a log shared with other threads; the cleaner holds the lock only inside
/// `with_log`.
pub trait LogLock {
    fn with_log<T>(&self, f: impl FnOnce(&mut Log) -> Result<T>) -> Result<T>;
}

impl LogLock for Mutex<Log> {
    fn with_log<T>(&self, f: impl FnOnce(&mut Log) -> Result<T>) -> Result<T> {
        let mut guard = self
            .lock()
            .map_err(|_| StorageError::storage_invalid_data("log lock poisoned"))?;
        f(&mut guard)
    }
}

struct Exclusive<'a>(std::cell::RefCell<&'a mut Log>);

impl LogLock for Exclusive<'_> {
    fn with_log<T>(&self, f: impl FnOnce(&mut Log) -> Result<T>) -> Result<T> {
        f(&mut self.0.borrow_mut())
    }
}

impl Log {
    /// The dirty section for cleaner checkpoint `checkpoint_offset` (see [`CleanOptions`]),
    /// and the sizes the dirty ratio is made of. Reads nothing but segment metadata.
    #[must_use]
    pub fn cleanable_range(
        &self,
        checkpoint_offset: i64,
        cleanable_up_to: i64,
        now_ms: i64,
        min_compaction_lag_ms: i64,
    ) -> CleanableRange {
        let start = self.log_start_offset();
        let leo = self.log_end_offset();
        let first_dirty = if checkpoint_offset < start || checkpoint_offset > leo {
            start
        } else {
            checkpoint_offset
        };
        let segments: Vec<&LogSegment> = self.segments().collect();
        let active_base = segments
            .last()
            .expect("a log has an active segment")
            .base_offset();
        let floor_base = segments
            .iter()
            .rev()
            .find(|s| s.base_offset() <= first_dirty)
            .map_or(i64::MIN, |s| s.base_offset());
        let dirty_inactive: Vec<&&LogSegment> = segments
            .iter()
            .filter(|s| s.base_offset() >= floor_base && s.base_offset() < active_base)
            .collect();
        let mut uncleanable = cleanable_up_to.min(active_base);
        if min_compaction_lag_ms > 0 {
            let newest_allowed = now_ms.saturating_sub(min_compaction_lag_ms);
            if let Some(s) = dirty_inactive
                .iter()
                .find(|s| s.largest_timestamp_ms() > newest_allowed)
            {
                uncleanable = uncleanable.min(s.base_offset());
            }
        }
        let first_uncleanable = uncleanable.max(first_dirty);
        let clean_bytes = segments
            .iter()
            .filter(|s| s.base_offset() < first_dirty)
            .map(|s| u64::from(s.size_bytes()))
            .sum();
        let cleanable_bytes = if first_uncleanable > first_dirty {
            segments
                .iter()
                .filter(|s| s.base_offset() >= floor_base && s.base_offset() < first_uncleanable)
                .map(|s| u64::from(s.size_bytes()))
                .sum()
        } else {
            0
        };
        let earliest_dirty_timestamp_ms = dirty_inactive
            .iter()
            .filter_map(|s| s.first_batch_timestamp_ms())
            .filter(|&t| t > 0)
            .min();
        CleanableRange {
            first_dirty_offset: first_dirty,
            first_uncleanable_offset: first_uncleanable,
            clean_bytes,
            cleanable_bytes,
            earliest_dirty_timestamp_ms,
        }
    }

    /// One cleaning pass with the log borrowed exclusively (no concurrency): [`clean`] for a
    /// log not shared with other threads.
    pub fn clean(&mut self, options: &CleanOptions) -> Result<CleanResult> {
        clean(
            &Exclusive(std::cell::RefCell::new(self)),
            options,
            &AtomicBool::new(false),
        )
    }
}

/// Why a pass stopped early.
enum Stop {
    Aborted,
    Failed(StorageError),
}

impl From<StorageError> for Stop {
    fn from(e: StorageError) -> Self {
        Self::Failed(e)
    }
}

type Step<T> = std::result::Result<T, Stop>;

/// One cleaning pass over a shared log (see the module docs). An error means the log could
/// not be read or written as expected (damage, I/O): the caller should stop cleaning this
/// log, as Kafka marks such a partition uncleanable.
pub fn clean(
    log: &impl LogLock,
    options: &CleanOptions,
    abort: &AtomicBool,
) -> Result<CleanResult> {
    let plan = log.with_log(|l| Ok(CleanPlan::new(l, options)))?;
    let mut result = CleanResult {
        first_dirty_offset: plan.range.first_dirty_offset,
        end_offset: plan.range.first_dirty_offset,
        ..CleanResult::default()
    };
    if plan.range.first_uncleanable_offset <= plan.range.first_dirty_offset {
        return Ok(result);
    }
    match plan.run(log, options, abort, &mut result) {
        Ok(()) => Ok(result),
        Err(Stop::Aborted) => {
            result.aborted = true;
            Ok(result)
        }
        Err(Stop::Failed(e)) => {
            // A read cut short by a concurrent truncation is not damage.
            if log
                .with_log(|l| Ok(!plan.still_matches(l)))
                .unwrap_or(false)
            {
                result.aborted = true;
                return Ok(result);
            }
            Err(e)
        }
    }
}

/// An inactive segment as it was when the pass started.
struct SourceSegment {
    base_offset: i64,
    next_offset: i64,
    size_bytes: u32,
    file: Arc<File>,
    path: PathBuf,
    last_modified_ms: i64,
    offset_index_bytes: u64,
    time_index_bytes: u64,
    /// Where reading the dirty section may start (offset index lookup of the first dirty
    /// offset in the segment holding it, else 0).
    dirty_start_position: u32,
}

struct CleanPlan {
    dir: PathBuf,
    config: LogConfig,
    truncations: u64,
    range: CleanableRange,
    /// Every segment below the first uncleanable offset, in order.
    segments: Vec<SourceSegment>,
    /// The segments from the first uncleanable offset on (the active one included), as large
    /// as they were: read for [`LastBatches`] only.
    tail: Vec<SourceSegment>,
    aborted: AbortedTxns,
}

/// Where each producer's last batches are in the whole log (Kafka's
/// `lastRecordsOfActiveProducers`, read here from the batch headers since producer state
/// lives in the control plane): the last offset of its last data batch (the one holding its
/// highest sequence), the epoch of its last batch of any kind, and what decides whether it
/// expired (Kafka's `isProducerExpired`: no open transaction, and its largest timestamp
/// `producer.id.expiration.ms` or more before now).
struct LastBatches {
    by_producer: std::collections::HashMap<i64, LastBatch>,
    now_ms: i64,
    producer_id_expiration_ms: i64,
}

#[derive(Clone, Copy)]
struct LastBatch {
    last_data_offset: Option<i64>,
    producer_epoch: i16,
    last_timestamp_ms: i64,
    /// A transactional data batch came after its last marker.
    in_txn: bool,
}

impl LastBatches {
    fn add(&mut self, header: &RecordBatchHeader) {
        if header.producer_id < 0 {
            return;
        }
        let last = self
            .by_producer
            .entry(header.producer_id)
            .or_insert(LastBatch {
                last_data_offset: None,
                producer_epoch: header.producer_epoch,
                last_timestamp_ms: header.max_timestamp,
                in_txn: false,
            });
        last.producer_epoch = header.producer_epoch;
        last.last_timestamp_ms = last.last_timestamp_ms.max(header.max_timestamp);
        if header.is_control_batch() {
            last.in_txn = false;
        } else {
            last.last_data_offset = Some(header.last_offset());
            last.in_txn |= header.attributes & TRANSACTIONAL_FLAG_MASK != 0;
        }
    }

    /// Kafka's `isBatchLastRecordOfProducer`: the producer's last data batch (it holds the
    /// last sequence), or, for a producer without data batches, a marker of its last epoch
    /// (it holds the epoch, needed for fencing).
    fn is_last_of_producer(&self, header: &RecordBatchHeader) -> bool {
        if header.producer_id < 0 {
            return false;
        }
        self.by_producer
            .get(&header.producer_id)
            .filter(|last| {
                last.in_txn
                    || self.now_ms.saturating_sub(last.last_timestamp_ms)
                        < self.producer_id_expiration_ms
            })
            .is_some_and(|last| match last.last_data_offset {
                Some(offset) => offset == header.last_offset(),
                None => header.is_control_batch() && header.producer_epoch == last.producer_epoch,
            })
    }
}

/// The state one pass carries from batch to batch and group to group.
struct PassState<'a> {
    map: &'a OffsetMap,
    /// The new checkpoint: batches at or past it are copied as they are.
    end: i64,
    last_batches: LastBatches,
    /// Producers with transactional data batches read since their last marker (Kafka's
    /// `CleanedTransactionMetadata` ongoing transactions): the next marker of such a producer
    /// must stay, its transaction can still be seen.
    in_txn: std::collections::HashSet<i64>,
    /// Offsets of the ABORT markers removed from the group being cleaned: their transaction
    /// index entries are not carried over.
    removed_markers: Vec<i64>,
}

/// The aborted transactions overlapping the cleaned range, by producer: `(first offset,
/// marker offset)` in increasing order. A producer has at most one transaction open at a
/// time, so a transactional batch of that producer inside one of these ranges belongs to
/// that aborted transaction.
#[derive(Default)]
struct AbortedTxns {
    by_producer: std::collections::HashMap<i64, Vec<(i64, i64)>>,
}

impl AbortedTxns {
    /// Every transaction index entry of `log` with a marker at or after `from` and a first
    /// offset below `upper` (all of them, not Kafka's early stop at the last stable offset:
    /// reading the in-memory entries of every segment is cheap, and it does not depend on
    /// the recorded last stable offsets).
    fn of(log: &Log, from: i64, upper: i64) -> Self {
        let mut out = Self::default();
        for seg in log.segments() {
            for e in seg.txn_index().entries() {
                if e.last_offset >= from && e.first_offset < upper {
                    out.by_producer
                        .entry(e.producer_id)
                        .or_default()
                        .push((e.first_offset, e.last_offset));
                }
            }
        }
        for ranges in out.by_producer.values_mut() {
            ranges.sort_unstable();
        }
        out
    }

    /// Whether `header` is a data batch of an aborted transaction.
    fn holds(&self, header: &RecordBatchHeader) -> bool {
        if header.attributes & TRANSACTIONAL_FLAG_MASK == 0 || header.is_control_batch() {
            return false;
        }
        let Some(ranges) = self.by_producer.get(&header.producer_id) else {
            return false;
        };
        let after = ranges.partition_point(|&(first, _)| first <= header.base_offset);
        after > 0 && header.base_offset <= ranges[after - 1].1
    }
}

impl CleanPlan {
    fn new(log: &Log, options: &CleanOptions) -> Self {
        let range = log.cleanable_range(
            options.checkpoint_offset,
            options.cleanable_up_to,
            options.now_ms,
            options.min_compaction_lag_ms,
        );
        let segments: Vec<SourceSegment> = log
            .segments()
            .filter(|s| s.base_offset() < range.first_uncleanable_offset)
            .map(|s| {
                let holds_first_dirty = s.base_offset() <= range.first_dirty_offset
                    && s.next_offset() > range.first_dirty_offset;
                SourceSegment {
                    base_offset: s.base_offset(),
                    next_offset: s.next_offset(),
                    size_bytes: s.size_bytes(),
                    file: Arc::clone(s.log_file()),
                    path: s.log_path().to_path_buf(),
                    last_modified_ms: s.last_modified_ms(),
                    offset_index_bytes: s.offset_index().entries() as u64
                        * crate::offset_index::ENTRY_SIZE as u64,
                    time_index_bytes: s.time_index().entries() as u64
                        * crate::time_index::ENTRY_SIZE as u64,
                    dirty_start_position: if holds_first_dirty {
                        s.offset_index().lookup(range.first_dirty_offset).position
                    } else {
                        0
                    },
                }
            })
            .collect();
        let tail: Vec<SourceSegment> = log
            .segments()
            .filter(|s| s.base_offset() >= range.first_uncleanable_offset)
            .map(|s| SourceSegment {
                base_offset: s.base_offset(),
                next_offset: s.next_offset(),
                size_bytes: s.size_bytes(),
                file: Arc::clone(s.log_file()),
                path: s.log_path().to_path_buf(),
                last_modified_ms: 0,
                offset_index_bytes: 0,
                time_index_bytes: 0,
                dirty_start_position: 0,
            })
            .collect();
        let from = segments
            .first()
            .map_or(range.first_dirty_offset, |s| s.base_offset);
        Self {
            dir: log.dir().to_path_buf(),
            config: log.config().clone(),
            truncations: log.truncation_count(),
            aborted: AbortedTxns::of(log, from, range.first_uncleanable_offset),
            range,
            segments,
            tail,
        }
    }

    /// Whether every snapshotted segment is still in the log, unchanged.
    fn still_matches(&self, log: &Log) -> bool {
        log.truncation_count() == self.truncations
            && self.segments.iter().all(|s| {
                log.segments()
                    .any(|l| l.base_offset() == s.base_offset && Arc::ptr_eq(l.log_file(), &s.file))
            })
    }

    fn run(
        &self,
        log: &impl LogLock,
        options: &CleanOptions,
        abort: &AtomicBool,
        result: &mut CleanResult,
    ) -> Step<()> {
        let mut map = OffsetMap::new(options.offset_map_entries_max);
        let end = self.build_offset_map(&mut map, options, abort, result)?;
        result.end_offset = end;
        result.offset_map_keys = map.len() as u64;
        result.offset_map_utilization = map.utilization();
        if end <= self.range.first_dirty_offset {
            return Ok(());
        }
        let mut pass = PassState {
            map: &map,
            end,
            last_batches: self.last_batches(options, abort)?,
            in_txn: std::collections::HashSet::new(),
            removed_markers: Vec::new(),
        };
        let below_end: Vec<&SourceSegment> = self
            .segments
            .iter()
            .filter(|s| s.base_offset < end)
            .collect();
        for group in group_segments_by_size(
            &below_end,
            self.config.segment_bytes,
            self.config.max_index_size_bytes,
        ) {
            let mut stats = CleanResult::default();
            pass.removed_markers.clear();
            let cleaned = self.clean_group(group, &mut pass, options, abort, &mut stats)?;
            let size_after = u64::from(cleaned.size_bytes());
            let old: Vec<(i64, Arc<File>)> = group
                .iter()
                .map(|s| (s.base_offset, Arc::clone(&s.file)))
                .collect();
            let removed_markers = &pass.removed_markers;
            let replaced = log.with_log(|l| {
                l.replace_segments(cleaned, &old, removed_markers, self.truncations)
            })?;
            let Some(replaced) = replaced else {
                return Err(Stop::Aborted);
            };
            // Unlinking (and unmapping the indexes) happens after the lock is released.
            for seg in replaced {
                seg.delete()?;
            }
            result.segments_before += group.len() as u64;
            result.segments_after += 1;
            result.bytes_before += group.iter().map(|s| u64::from(s.size_bytes)).sum::<u64>();
            result.bytes_after += size_after;
            result.batches_read += stats.batches_read;
            result.batches_removed += stats.batches_removed;
            result.records_read += stats.records_read;
            result.records_removed += stats.records_removed;
            result.tombstones_removed += stats.tombstones_removed;
            result.invalid_records_removed += stats.invalid_records_removed;
            result.aborted_records_removed += stats.aborted_records_removed;
            result.markers_removed += stats.markers_removed;
            result.empty_batches_kept += stats.empty_batches_kept;
        }
        Ok(())
    }

    /// Every producer's last batches in the whole log as it was when the pass started (the
    /// snapshotted segments, then the rest up to its size then: bytes below it do not change
    /// but by a truncation, which makes the swap give up). Reads only batch headers.
    fn last_batches(&self, options: &CleanOptions, abort: &AtomicBool) -> Step<LastBatches> {
        let mut out = LastBatches {
            by_producer: std::collections::HashMap::new(),
            now_ms: options.now_ms,
            producer_id_expiration_ms: options.producer_id_expiration_ms,
        };
        let mut header_bytes = [0u8; RECORD_BATCH_OVERHEAD];
        for seg in self.segments.iter().chain(&self.tail) {
            let mut position: u64 = 0;
            while position < u64::from(seg.size_bytes) {
                if abort.load(Ordering::Relaxed) {
                    return Err(Stop::Aborted);
                }
                let damage = |what: String| {
                    StorageError::storage_invalid_data(format!(
                        "{} at byte {position}: {what}",
                        seg.path.display()
                    ))
                };
                if position + RECORD_BATCH_OVERHEAD as u64 > u64::from(seg.size_bytes) {
                    return Err(damage("a batch header past the end".to_owned()).into());
                }
                seg.file
                    .read_exact_at(&mut header_bytes, position)
                    .map_err(io_context(format!("read {}", seg.path.display())))?;
                let header =
                    RecordBatchHeader::parse(&header_bytes).map_err(|e| damage(e.to_string()))?;
                out.add(&header);
                position += header.size_bytes();
            }
        }
        Ok(out)
    }

    /// Kafka's `buildOffsetMap`: every keyed record of the dirty section, in offset order.
    /// Returns the end of what the map covers (the new checkpoint).
    fn build_offset_map(
        &self,
        map: &mut OffsetMap,
        options: &CleanOptions,
        abort: &AtomicBool,
        result: &mut CleanResult,
    ) -> Step<i64> {
        let first_dirty = self.range.first_dirty_offset;
        let upper = self.range.first_uncleanable_offset;
        let mut plain = Vec::new();
        for seg in self.segments.iter().filter(|s| s.next_offset > first_dirty) {
            let mut reader = BatchReader::new(seg, seg.dirty_start_position);
            while let Some((header, batch)) = reader.next()? {
                if abort.load(Ordering::Relaxed) {
                    return Err(Stop::Aborted);
                }
                if header.last_offset() < first_dirty {
                    continue;
                }
                if header.last_offset() >= upper {
                    return Ok(header.base_offset.clamp(first_dirty, upper));
                }
                if header.is_control_batch() || self.aborted.holds(&header) {
                    continue;
                }
                let count = usize::try_from(header.records_count).unwrap_or(0);
                if !map.is_empty() && map.would_overflow(count) {
                    return Ok(header.base_offset.max(first_dirty));
                }
                result.dirty_bytes_read += header.size_bytes();
                let records = records_section(&header, batch, options, &mut plain)?;
                for_each_record(&header, records, |r| {
                    if let Some(key) = r.key {
                        if r.offset >= first_dirty {
                            map.put(key, r.offset);
                        }
                    }
                    Ok(())
                })?;
            }
        }
        Ok(upper)
    }

    /// Kafka's `cleanSegments`: `group` rewritten into one `.cleaned` segment at the group's
    /// base offset, indexes built, trimmed and fsynced, modification time carried over.
    fn clean_group(
        &self,
        group: &[&SourceSegment],
        pass: &mut PassState<'_>,
        options: &CleanOptions,
        abort: &AtomicBool,
        stats: &mut CleanResult,
    ) -> Step<LogSegment> {
        let mut cleaned = LogSegment::create_with_suffix(
            &self.dir,
            group[0].base_offset,
            &self.config,
            wall_clock_ms(),
            CLEANED_FILE_SUFFIX,
        )?;
        let mut write = || -> Step<()> {
            let mut out = SegmentWriter::default();
            for seg in group {
                self.clean_into(seg, &mut cleaned, &mut out, pass, options, abort, stats)?;
            }
            out.flush(&mut cleaned, self.config.index_interval_bytes)?;
            cleaned.on_become_inactive()?;
            cleaned.flush()?;
            let modified = group.iter().map(|s| s.last_modified_ms).max().unwrap_or(0);
            cleaned.set_last_modified_ms(modified)?;
            Ok(())
        };
        match write() {
            Ok(()) => Ok(cleaned),
            Err(e) => {
                let _ = cleaned.delete();
                Err(e)
            }
        }
    }

    /// Kafka's `cleanInto` over one source segment.
    #[expect(
        clippy::too_many_arguments,
        reason = "one pass's state, as Kafka's cleanInto"
    )]
    fn clean_into(
        &self,
        seg: &SourceSegment,
        cleaned: &mut LogSegment,
        out: &mut SegmentWriter,
        pass: &mut PassState<'_>,
        options: &CleanOptions,
        abort: &AtomicBool,
        stats: &mut CleanResult,
    ) -> Step<()> {
        let (map, end) = (pass.map, pass.end);
        let mut reader = BatchReader::new(seg, 0);
        let mut plain = Vec::new();
        let mut scratch = Vec::new();
        while let Some((header, batch)) = reader.next()? {
            if abort.load(Ordering::Relaxed) {
                return Err(Stop::Aborted);
            }
            stats.batches_read += 1;
            stats.records_read += header.records_count.max(0) as u64;
            let last_of_producer = pass.last_batches.is_last_of_producer(&header);
            if header.is_control_batch() {
                let discardable = !pass.in_txn.remove(&header.producer_id);
                if header.base_offset >= end || !discardable {
                    out.push_verbatim(&header, batch);
                } else {
                    Self::clean_marker(
                        &header,
                        batch,
                        last_of_producer,
                        pass,
                        out,
                        options,
                        stats,
                    )?;
                }
            } else if header.base_offset >= end {
                out.push_verbatim(&header, batch);
            } else if header.last_offset() < end && self.aborted.holds(&header) {
                pass.in_txn.insert(header.producer_id);
                let records = header.records_count.max(0) as u64;
                stats.records_removed += records;
                stats.aborted_records_removed += records;
                out.push_empty_or_drop(&header, batch, last_of_producer, stats);
            } else {
                if header.attributes & TRANSACTIONAL_FLAG_MASK != 0 {
                    pass.in_txn.insert(header.producer_id);
                }
                let horizon = delete_horizon_ms(&header);
                let retain_deletes = horizon.map_or(true, |h| options.now_ms < h);
                let records = records_section(&header, batch, options, &mut plain)?;
                let mut kept: Vec<RecordRef<'_>> =
                    Vec::with_capacity(header.records_count.max(0) as usize);
                let mut has_tombstone = false;
                for_each_record(&header, records, |r| {
                    let retain = if r.offset >= end {
                        true
                    } else if let Some(key) = r.key {
                        let latest = r.offset >= map.get(key);
                        if latest && r.value.is_none() && !retain_deletes {
                            stats.tombstones_removed += 1;
                        }
                        latest && (r.value.is_some() || retain_deletes)
                    } else {
                        stats.invalid_records_removed += 1;
                        false
                    };
                    if retain {
                        has_tombstone |= r.value.is_none();
                        kept.push(r);
                    }
                    Ok(())
                })?;
                stats.records_removed += (header.records_count as usize - kept.len()) as u64;
                let set_horizon = has_tombstone && horizon.is_none();
                if kept.is_empty() {
                    out.push_empty_or_drop(&header, batch, last_of_producer, stats);
                } else if kept.len() == header.records_count as usize && !set_horizon {
                    out.push_verbatim(&header, batch);
                } else {
                    let mut fields = BatchFields::of(&header);
                    if set_horizon {
                        fields.delete_horizon_ms =
                            Some(options.now_ms.saturating_add(options.delete_retention_ms));
                    }
                    out.push_rebuilt(&fields, &kept, header.max_timestamp, &mut scratch)?;
                }
            }
            if out.bytes.len() >= CLEANER_IO_BUFFER_BYTES {
                out.flush(cleaned, self.config.index_interval_bytes)?;
            }
        }
        Ok(())
    }
}

impl CleanPlan {
    /// A transaction marker below the clean end with no data of its transaction read in this
    /// pass (Kafka's `CleanedTransactionMetadata.onControlBatchRead` returning discardable,
    /// then `checkBatchRetention` and `filterTo`, KIP-534): the first pass to find it so sets
    /// its delete horizon to now + `delete.retention.ms`; a pass at or past the horizon
    /// removes it, and with it (an ABORT marker's) transaction index entry, unless it is its
    /// producer's last batch (a producer without data batches left: the marker holds its
    /// epoch). Other control batches (not COMMIT or ABORT) are kept as they are.
    fn clean_marker(
        header: &RecordBatchHeader,
        batch: &[u8],
        last_of_producer: bool,
        pass: &mut PassState<'_>,
        out: &mut SegmentWriter,
        options: &CleanOptions,
        stats: &mut CleanResult,
    ) -> Step<()> {
        let remove = |pass: &mut PassState<'_>, stats: &mut CleanResult| {
            stats.batches_removed += 1;
            stats.records_removed += header.records_count.max(0) as u64;
            stats.markers_removed += 1;
            pass.removed_markers.push(header.base_offset);
        };
        if header.records_count == 0 {
            // An empty control batch (Kafka writes them for a producer's last marker): its
            // transaction was cleaned already.
            if last_of_producer {
                out.push_verbatim(header, batch);
            } else {
                remove(pass, stats);
            }
            return Ok(());
        }
        if !read_control_record(header, batch)?.is_end_txn_marker() {
            out.push_verbatim(header, batch);
            return Ok(());
        }
        match delete_horizon_ms(header) {
            Some(horizon) if horizon <= options.now_ms && !last_of_producer => {
                remove(pass, stats);
            }
            Some(_) => out.push_verbatim(header, batch),
            None => {
                let mut plain = Vec::new();
                let records = records_section(header, batch, options, &mut plain)?;
                let mut all = Vec::with_capacity(header.records_count.max(0) as usize);
                for_each_record(header, records, |r| {
                    all.push(r);
                    Ok(())
                })?;
                let mut fields = BatchFields::of(header);
                fields.delete_horizon_ms =
                    Some(options.now_ms.saturating_add(options.delete_retention_ms));
                out.push_rebuilt(&fields, &all, header.max_timestamp, &mut Vec::new())?;
            }
        }
        Ok(())
    }
}

/// The records section of a batch, decompressed into `plain` when compressed.
fn records_section<'a>(
    header: &RecordBatchHeader,
    batch: &'a [u8],
    options: &CleanOptions,
    plain: &'a mut Vec<u8>,
) -> Result<&'a [u8]> {
    let codec = Codec::from_id(header.compression())?;
    let section = &batch[RECORD_BATCH_OVERHEAD..];
    if codec == Codec::None {
        return Ok(section);
    }
    plain.clear();
    decompress(codec, section, options.batch_decompressed_bytes_max, plain).map_err(|e| {
        StorageError::CorruptMessage(format!("batch at offset {}: {e}", header.base_offset))
    })?;
    Ok(plain)
}

/// Batches bound for the cleaned segment, written [`CLEANER_IO_BUFFER_BYTES`] at a time.
#[derive(Default)]
struct SegmentWriter {
    bytes: Vec<u8>,
    metas: Vec<BatchMeta>,
}

impl SegmentWriter {
    fn meta(&mut self, header: &RecordBatchHeader, position: usize) {
        self.metas.push(BatchMeta {
            position: position as u32,
            size_bytes: header.size_bytes() as u32,
            base_offset: header.base_offset,
            last_offset_delta: header.last_offset_delta,
            records_count: header.records_count,
            max_timestamp: header.max_timestamp,
            partition_leader_epoch: header.partition_leader_epoch,
        });
    }

    fn push_verbatim(&mut self, header: &RecordBatchHeader, batch: &[u8]) {
        let position = self.bytes.len();
        self.bytes.extend_from_slice(batch);
        self.meta(header, position);
    }

    fn push_rebuilt(
        &mut self,
        fields: &BatchFields,
        records: &[RecordRef<'_>],
        log_append_time_ms: i64,
        scratch: &mut Vec<u8>,
    ) -> Result<()> {
        let position = self.bytes.len();
        encode_batch(
            fields,
            records,
            log_append_time_ms,
            scratch,
            &mut self.bytes,
        )?;
        let header = RecordBatchHeader::parse(&self.bytes[position..])?;
        self.meta(&header, position);
        Ok(())
    }

    /// A batch that lost all its records: kept empty if it is its producer's last (Kafka's
    /// `BatchRetention.RETAIN_EMPTY`: the producer's sequence and epoch stay in the log for
    /// the producer state rebuilt from it), else dropped.
    fn push_empty_or_drop(
        &mut self,
        header: &RecordBatchHeader,
        batch: &[u8],
        last_of_producer: bool,
        stats: &mut CleanResult,
    ) {
        if !last_of_producer {
            stats.batches_removed += 1;
        } else if header.records_count == 0 {
            self.push_verbatim(header, batch);
        } else {
            let position = self.bytes.len();
            encode_empty_batch(header, &mut self.bytes);
            let empty = RecordBatchHeader::parse(&self.bytes[position..])
                .expect("an empty batch just encoded");
            self.meta(&empty, position);
            stats.empty_batches_kept += 1;
        }
    }

    fn flush(&mut self, cleaned: &mut LogSegment, index_interval_bytes: u32) -> Result<()> {
        if self.metas.is_empty() {
            return Ok(());
        }
        let new_size = u64::from(cleaned.size_bytes()) + self.bytes.len() as u64;
        if i32::try_from(new_size).is_err() {
            return Err(StorageError::RecordListTooLarge(format!(
                "cleaned segment {} would grow to {new_size} bytes",
                cleaned.log_path().display()
            )));
        }
        cleaned.append(&self.bytes, &self.metas, index_interval_bytes)?;
        self.bytes.clear();
        self.metas.clear();
        Ok(())
    }
}

/// Reads the batches of a snapshotted segment in order, [`CLEANER_IO_BUFFER_BYTES`] at a
/// time, checking each header and CRC after the read (the bytes were checked before they
/// were written; a failure here is damage).
struct BatchReader<'a> {
    seg: &'a SourceSegment,
    buf: Vec<u8>,
    buf_start: u64,
    position: u64,
    next_offset_min: i64,
}

impl<'a> BatchReader<'a> {
    fn new(seg: &'a SourceSegment, position: u32) -> Self {
        Self {
            seg,
            buf: Vec::new(),
            buf_start: 0,
            position: u64::from(position),
            next_offset_min: seg.base_offset,
        }
    }

    fn damage(&self, what: impl std::fmt::Display) -> StorageError {
        StorageError::storage_invalid_data(format!(
            "{} at byte {}: {what}",
            self.seg.path.display(),
            self.position
        ))
    }

    /// Makes `[position, position + len)` available in the buffer.
    fn fill(&mut self, len: u64) -> Result<()> {
        let end = u64::from(self.seg.size_bytes);
        if self.position + len > end {
            return Err(self.damage(format!("{len} bytes needed, the segment ends at {end}")));
        }
        if self.position >= self.buf_start
            && self.position + len <= self.buf_start + self.buf.len() as u64
        {
            return Ok(());
        }
        let want = len
            .max(CLEANER_IO_BUFFER_BYTES as u64)
            .min(end - self.position);
        self.buf.resize(want as usize, 0);
        self.seg
            .file
            .read_exact_at(&mut self.buf, self.position)
            .map_err(io_context(format!("read {}", self.seg.path.display())))?;
        self.buf_start = self.position;
        Ok(())
    }

    fn next(&mut self) -> Result<Option<(RecordBatchHeader, &[u8])>> {
        if self.position >= u64::from(self.seg.size_bytes) {
            return Ok(None);
        }
        self.fill(RECORD_BATCH_OVERHEAD as u64)?;
        let at = (self.position - self.buf_start) as usize;
        let header = RecordBatchHeader::parse(&self.buf[at..]).map_err(|e| self.damage(e))?;
        if header.base_offset < self.next_offset_min || header.last_offset_delta < 0 {
            return Err(self.damage(format!(
                "batch offsets {}..={} out of order (expected at least {})",
                header.base_offset,
                header.last_offset(),
                self.next_offset_min
            )));
        }
        self.fill(header.size_bytes())?;
        let at = (self.position - self.buf_start) as usize;
        let batch = &self.buf[at..at + header.size_bytes() as usize];
        if crc_of(batch) != header.crc {
            return Err(StorageError::storage_invalid_data(format!(
                "{} at byte {}: CRC32C mismatch",
                self.seg.path.display(),
                self.position
            )));
        }
        self.position += header.size_bytes();
        self.next_offset_min = header.next_offset();
        Ok(Some((header, batch)))
    }
}

/// Kafka's `groupSegmentsBySize`: consecutive segments whose `.log` bytes sum to at most
/// `segment_bytes`, each index to at most `max_index_size_bytes`, and whose offsets fit the
/// 32-bit relative offsets of one segment.
fn group_segments_by_size<'a, 'b>(
    segments: &'b [&'a SourceSegment],
    segment_bytes: u32,
    max_index_size_bytes: u32,
) -> Vec<&'b [&'a SourceSegment]> {
    let mut groups = Vec::new();
    let mut start = 0;
    while start < segments.len() {
        let first = segments[start];
        let mut log_bytes = u64::from(first.size_bytes);
        let mut index_bytes = first.offset_index_bytes;
        let mut time_index_bytes = first.time_index_bytes;
        let mut end = start + 1;
        while let Some(next) = segments.get(end) {
            let fits = log_bytes + u64::from(next.size_bytes) <= u64::from(segment_bytes)
                && index_bytes + next.offset_index_bytes <= u64::from(max_index_size_bytes)
                && time_index_bytes + next.time_index_bytes <= u64::from(max_index_size_bytes)
                && (next.size_bytes == 0
                    || next.next_offset - 1 - first.base_offset <= i64::from(i32::MAX));
            if !fits {
                break;
            }
            log_bytes += u64::from(next.size_bytes);
            index_bytes += next.offset_index_bytes;
            time_index_bytes += next.time_index_bytes;
            end += 1;
        }
        groups.push(&segments[start..end]);
        start = end;
    }
    groups
}

/// Finishes swaps a crash interrupted and removes cleaner leftovers, before the log's files
/// are listed on open (Kafka's `LogLoader` handling of `.cleaned` and `.swap` files):
///
/// - `*.cleaned`: a cleaning that had not committed; deleted.
/// - `<base>.index.swap`, `<base>.timeindex.swap`: deleted; the swapped segment's indexes
///   are rebuilt by recovery.
/// - `<base>.log.swap`: committed. Its batches are checked (a torn tail is cut as recovery
///   would), every segment with a base offset in `[base, its next offset)` — the segments it
///   replaces, including `<base>.log` itself — is deleted with its indexes, and it becomes
///   `<base>.log`.
/// - `<base>.txnindex.swap` beside a `<base>.log.swap`: the swapped segment's transaction
///   index (it holds the entries of the segments replaced whose markers the cleaner kept,
///   written before the commit), which
///   cannot be rebuilt from the log: it replaces `<base>.txnindex`. Without it, a
///   `<base>.txnindex` is kept: either the swap's index was already renamed into place, or
///   none of the segments it replaced had an index file (a cleaned segment replacing ones
///   that had writes its own, empty if every marker they named was removed).
///   Any other `.txnindex.swap` belonged to a swap that never committed and is deleted.
pub fn complete_interrupted_swaps(dir: &Path) -> Result<()> {
    let list = |dir: &Path| -> Result<Vec<(PathBuf, String)>> {
        let mut out = Vec::new();
        for entry in
            std::fs::read_dir(dir).map_err(io_context(format!("list {}", dir.display())))?
        {
            let entry = entry.map_err(io_context(format!("list {}", dir.display())))?;
            if let Some(name) = entry.file_name().to_str() {
                out.push((entry.path(), name.to_owned()));
            }
        }
        Ok(out)
    };
    let remove = |path: &Path| -> Result<()> {
        match std::fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StorageError::storage(
                format!("remove {}", path.display()),
                e,
            )),
        }
    };
    let log_swap_suffix = format!(".{LOG_FILE_SUFFIX}{SWAP_FILE_SUFFIX}");
    let txn_swap_suffix = format!(".{TXN_INDEX_FILE_SUFFIX}{SWAP_FILE_SUFFIX}");
    let entries = list(dir)?;
    let is_log_swap = |stem: &str| {
        entries
            .iter()
            .any(|(_, n)| n.strip_suffix(&log_swap_suffix) == Some(stem))
    };
    let mut swaps = Vec::new();
    let mut changed = false;
    for (path, name) in &entries {
        let path = path.clone();
        if name.ends_with(CLEANED_FILE_SUFFIX) {
            remove(&path)?;
            changed = true;
        } else if let Some(stem) = name.strip_suffix(&log_swap_suffix) {
            if let Some(base) = parse_base_offset(stem) {
                swaps.push((base, path));
            }
        } else if name
            .strip_suffix(&txn_swap_suffix)
            .is_some_and(&is_log_swap)
        {
            // Kept: renamed into place with its `.log.swap` below.
        } else if name.ends_with(SWAP_FILE_SUFFIX) {
            remove(&path)?;
            changed = true;
        }
    }
    swaps.sort_unstable_by_key(|(base, _)| *base);
    for (base, swap_path) in swaps {
        let next_offset = check_swap_segment(&swap_path, base)?;
        let replaced_end = next_offset.max(base + 1);
        let txn_swap = swap_path.with_file_name(format!(
            "{}{SWAP_FILE_SUFFIX}",
            crate::segment::file_name(base, TXN_INDEX_FILE_SUFFIX)
        ));
        let has_txn_swap = txn_swap.exists();
        for (path, name) in list(dir)? {
            let Some((stem, ext)) = name.split_once('.') else {
                continue;
            };
            let Some(b) = parse_base_offset(stem) else {
                continue;
            };
            let in_range = b >= base && b < replaced_end;
            let replaced_file = match ext {
                LOG_FILE_SUFFIX | INDEX_FILE_SUFFIX | TIME_INDEX_FILE_SUFFIX => true,
                TXN_INDEX_FILE_SUFFIX => b != base || has_txn_swap,
                _ => false,
            };
            if in_range && replaced_file {
                remove(&path)?;
            }
        }
        if has_txn_swap {
            let final_txn =
                txn_swap.with_file_name(crate::segment::file_name(base, TXN_INDEX_FILE_SUFFIX));
            std::fs::rename(&txn_swap, &final_txn).map_err(io_context(format!(
                "rename {} to {}",
                txn_swap.display(),
                final_txn.display()
            )))?;
        }
        let final_path = swap_path.with_file_name(crate::segment::file_name(base, LOG_FILE_SUFFIX));
        std::fs::rename(&swap_path, &final_path).map_err(io_context(format!(
            "rename {} to {}",
            swap_path.display(),
            final_path.display()
        )))?;
        changed = true;
    }
    if changed {
        sync_dir(dir)?;
    }
    Ok(())
}

/// Validates a `.log.swap` file batch by batch (header, offsets, CRC), truncates a torn tail,
/// and returns the offset after its last batch (`base` when empty).
fn check_swap_segment(path: &Path, base: i64) -> Result<i64> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(io_context(format!("open {}", path.display())))?;
    let len = file
        .metadata()
        .map_err(io_context(format!("stat {}", path.display())))?
        .len()
        .min(i32::MAX as u64) as u32;
    let seg = SourceSegment {
        base_offset: base,
        next_offset: base,
        size_bytes: len,
        file: Arc::new(file),
        path: path.to_path_buf(),
        last_modified_ms: 0,
        offset_index_bytes: 0,
        time_index_bytes: 0,
        dirty_start_position: 0,
    };
    let mut reader = BatchReader::new(&seg, 0);
    let mut next_offset = base;
    let mut valid: u64 = 0;
    while let Ok(Some((header, _))) = reader.next() {
        next_offset = header.next_offset();
        valid = reader.position;
    }
    if valid < u64::from(len) {
        seg.file
            .set_len(valid)
            .map_err(io_context(format!("truncate {}", path.display())))?;
        seg.file
            .sync_data()
            .map_err(io_context(format!("fsync {}", path.display())))?;
    }
    Ok(next_offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(base: i64, next: i64, size: u32, index_entries: u64) -> SourceSegment {
        SourceSegment {
            base_offset: base,
            next_offset: next,
            size_bytes: size,
            file: Arc::new(tempfile::tempfile().unwrap()),
            path: PathBuf::from("x"),
            last_modified_ms: 0,
            offset_index_bytes: index_entries * 8,
            time_index_bytes: index_entries * 12,
            dirty_start_position: 0,
        }
    }

    fn bases(groups: &[&[&SourceSegment]]) -> Vec<Vec<i64>> {
        groups
            .iter()
            .map(|g| g.iter().map(|s| s.base_offset).collect())
            .collect()
    }

    #[test]
    fn groups_by_log_size_index_size_and_offset_range() {
        let segs = [
            seg(0, 10, 400, 1),
            seg(10, 20, 400, 1),
            seg(20, 30, 400, 1),
            seg(30, 40, 1000, 1),
            seg(40, 40, 0, 0),
        ];
        let refs: Vec<&SourceSegment> = segs.iter().collect();
        assert_eq!(
            bases(&group_segments_by_size(&refs, 1000, 1024)),
            vec![vec![0, 10], vec![20], vec![30, 40]]
        );
        // Index budget: 12-byte time index entries, 24 bytes fit two.
        assert_eq!(
            bases(&group_segments_by_size(&refs, 10_000, 24)),
            vec![vec![0, 10], vec![20, 30, 40]]
        );
        let wide = [
            seg(0, 10, 1, 1),
            seg(10, i64::from(i32::MAX) + 1, 1, 1),
            seg(i64::from(i32::MAX) + 1, i64::from(i32::MAX) + 5, 1, 1),
        ];
        let refs: Vec<&SourceSegment> = wide.iter().collect();
        assert_eq!(
            bases(&group_segments_by_size(&refs, 10_000, 1024)),
            vec![vec![0, 10], vec![i64::from(i32::MAX) + 1]]
        );
    }
}
