//! `Log`: one partition's log, the segments in offset order (Kafka's `UnifiedLog` over
//! `LocalLog`, without tiered storage).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::batch::{
    set_base_offset, set_log_append_time, set_max_timestamp, set_partition_leader_epoch,
    validate_batches, BatchMeta, Origin, TimestampType, NO_TIMESTAMP,
};
use crate::config::LogConfig;
use crate::epoch::{sync_dir, EpochEntry, LeaderEpochFileCache};
use crate::error::{io_context, Result, StorageError};
use crate::file_slice::FileSlice;
use crate::log_validator::{validate_records_from, AppendOrigin};
use crate::segment::{
    parse_base_offset, DroppedBatches, InvalidBatchReason, LogSegment, SegmentRead,
    INDEX_FILE_SUFFIX, LOG_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX, TXN_INDEX_FILE_SUFFIX,
};
use crate::txn_index::{AbortedTxn, TxnIndexAppend};

/// What an append did (Kafka's `LogAppendInfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendInfo {
    pub first_offset: i64,
    pub last_offset: i64,
    /// The broker time written into the batches with `LogAppendTime`, else -1.
    pub log_append_time_ms: i64,
    /// Largest batch `maxTimestamp` of the append (the append time with `LogAppendTime`).
    pub max_timestamp: i64,
    /// With `CreateTime`, the last offset of the first batch holding `max_timestamp` (Kafka's
    /// "shallow" offset, as in the time index); with `LogAppendTime`, `first_offset`.
    pub offset_of_max_timestamp: i64,
    /// Sum of the batches' record counts.
    pub record_count: u64,
    /// Log end offset after the append.
    pub log_end_offset: i64,
    /// Bytes written.
    pub valid_bytes: u64,
}

/// Milliseconds since the Unix epoch by the wall clock.
#[must_use]
pub fn wall_clock_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// One partition's log: a directory of [`LogSegment`]s, the last one active, plus the
/// [`LeaderEpochFileCache`].
///
/// Layout: see the crate docs; segment files are named by base offset, and segments cover
/// increasing, non-overlapping offset ranges. The log start offset is the first offset a
/// reader may fetch; the log end offset (LEO) is the next offset to assign; the recovery
/// point is the offset below which everything is known to be fsynced.
///
/// Thread-safety: `Send + Sync` but not internally synchronised: mutations take `&mut self`,
/// reads `&self` (the binding keeps it behind a `Mutex`). The [`FileSlice`]s returned by
/// reads hold their file open and can be sent without the log.
///
/// After a crash: [`Log::open`] with the last checkpointed recovery point trusts segments
/// wholly below it after a sanity check, and recovers the rest: each batch's header and CRC
/// are checked, a torn or corrupt tail is truncated at the last valid batch, later segments
/// are deleted, indexes are rebuilt, and the leader epoch cache is truncated to match. What
/// was cut off is reported by [`Log::recovery`]. Recovered segments are not fsynced by the
/// open (as in Kafka's `LogLoader`): the recovery point stays at the checkpointed value until
/// the next flush, so a second crash recovers them again. A batch that was completely
/// written and fsynced is never lost. The log start offset is not
/// persisted here: after open it is the first segment's base offset, and the owner (which
/// keeps Kafka's `log-start-offset-checkpoint`) raises it again with
/// [`Log::delete_records_before`].
#[expect(
    clippy::struct_field_names,
    reason = "log_start_offset is Kafka's logStartOffset"
)]
pub struct Log {
    dir: PathBuf,
    config: LogConfig,
    segments: BTreeMap<i64, LogSegment>,
    log_start_offset: i64,
    recovery_point: i64,
    leader_epoch_cache: LeaderEpochFileCache,
    unflushed_messages: u64,
    last_flush_time_ms: i64,
    /// Files were created or deleted since the directory was last fsynced.
    dir_dirty: bool,
    /// Reused between appends so validation does not allocate.
    metas: Vec<BatchMeta>,
    /// Decompressed records of the batch being validated ([`crate::log_validator`]), reused.
    records_scratch: crate::log_validator::RecordsScratch,
    /// Bumped by every truncation, so a flush planned before one does not move the
    /// recovery point over offsets that were rewritten meanwhile.
    truncations: u64,
    /// What [`Log::open`] recovered and cut off.
    recovery: LogRecovery,
}

/// What [`Log::open`] found and did to the segments it could not trust (Kafka's `LogLoader`
/// logs the same facts: "Found invalid messages in log segment ... at byte offset ...",
/// "Truncated ... invalid bytes", "Deleting segments ... as they are after the corruption").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogRecovery {
    /// Segments whose batches were validated one by one (from the recovery point on, and any
    /// that failed the sanity check).
    pub segments_recovered: u32,
    /// One entry per segment cut short at an invalid batch.
    pub truncations: Vec<RecoveryTruncation>,
    /// Transaction indexes cut on open: a torn or invalid tail, or entries naming markers
    /// the recovered `.log` no longer holds.
    pub txn_index_repairs: Vec<crate::txn_index::TxnIndexRepair>,
}

/// One segment cut short by recovery, and the later segments deleted with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryTruncation {
    /// The segment's `.log` file.
    pub segment: PathBuf,
    pub base_offset: i64,
    /// Byte position of the first invalid batch (the segment's new size).
    pub position: u64,
    /// The first offset lost (the segment's next offset after recovery).
    pub offset: i64,
    /// Bytes cut from this segment.
    pub truncated_bytes: u64,
    /// Later segments deleted because they followed the damage (empty for a damaged segment
    /// wholly below the recovery point, whose successors are kept).
    pub deleted_segments: Vec<PathBuf>,
    pub deleted_bytes: u64,
    /// What the cut bytes and the deleted segments held, by their batch headers.
    pub dropped: DroppedBatches,
    pub reason: InvalidBatchReason,
}

/// The fsyncs of one flush, planned under the log's lock by [`Log::begin_flush`] and run
/// without it ([`FlushPlan::run`]), so appends and reads continue while the disk works;
/// [`Log::complete_flush`] then moves the recovery point.
#[derive(Debug)]
pub struct FlushPlan {
    files: Vec<std::sync::Arc<std::fs::File>>,
    /// Index files, fsynced by path (a segment deleted meanwhile is skipped).
    index_paths: Vec<PathBuf>,
    dir: Option<PathBuf>,
    log_end_offset: i64,
    unflushed_messages: u64,
    truncations: u64,
}

impl FlushPlan {
    /// The offset everything below which is durable once [`Self::run`] succeeds.
    #[must_use]
    pub fn log_end_offset(&self) -> i64 {
        self.log_end_offset
    }

    /// fsyncs the planned files and, if segments were created or deleted, the directory.
    pub fn run(&self) -> Result<()> {
        for f in &self.files {
            f.sync_data().map_err(io_context("fsync segment file"))?;
        }
        for p in &self.index_paths {
            crate::index_file::fsync_path(p)?;
        }
        if let Some(dir) = &self.dir {
            sync_dir(dir)?;
        }
        Ok(())
    }
}

impl Log {
    /// Opens (or creates) the partition log in `dir`; see the type docs for recovery.
    pub fn open(dir: impl AsRef<Path>, config: LogConfig, recovery_point: i64) -> Result<Self> {
        config.validate()?;
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(io_context(format!("create {}", dir.display())))?;
        let now_ms = wall_clock_ms();
        crate::cleaner::complete_interrupted_swaps(&dir)?;
        let bases = scan_directory(&dir)?;
        let mut leader_epoch_cache = LeaderEpochFileCache::open(&dir)?;
        let Loaded {
            mut segments,
            mut dir_dirty,
            mut epochs_changed,
            recovery,
            recovered_tail,
        } = load_segments(
            &dir,
            &config,
            &bases,
            recovery_point,
            &mut leader_epoch_cache,
            now_ms,
        )?;
        // Segments recovery deleted are made durable below; a first segment created here
        // only at the next flush, which fsyncs the directory before moving the recovery
        // point (a new partition costs no directory fsync: Kafka's creates none either).
        let deleted_by_recovery = dir_dirty;
        if segments.is_empty() {
            let seg = LogSegment::create(&dir, 0, &config, now_ms)?;
            segments.insert(0, seg);
            dir_dirty = true;
        }
        // Segments must not overlap.
        let mut prev: Option<(i64, i64)> = None;
        for seg in segments.values() {
            if let Some((prev_base, prev_next)) = prev {
                if prev_next > seg.base_offset() {
                    return Err(StorageError::storage_invalid_data(format!(
                        "segment {prev_base} ends at offset {prev_next}, after the next segment's base {}",
                        seg.base_offset()
                    )));
                }
            }
            prev = Some((seg.base_offset(), seg.next_offset()));
        }
        let last_base = *segments.keys().next_back().expect("at least one segment");
        for (&base, seg) in &mut segments {
            if base == last_base {
                seg.make_active(&config)?;
            } else if recovered_tail.contains(&base) {
                seg.on_become_inactive_unflushed()?;
            } else if !seg.indexes_trimmed() {
                // Trusted segments were trimmed when they rolled; only a leftover is fixed.
                seg.on_become_inactive()?;
            }
        }
        let mut log = Self {
            dir,
            config,
            log_start_offset: *segments.keys().next().expect("at least one segment"),
            segments,
            recovery_point: 0,
            leader_epoch_cache,
            unflushed_messages: 0,
            last_flush_time_ms: now_ms,
            dir_dirty,
            metas: Vec::new(),
            records_scratch: crate::log_validator::RecordsScratch::default(),
            truncations: 0,
            recovery,
        };
        let leo = log.log_end_offset();
        // Everything now on disk was either trusted (below the old recovery point), recovered
        // and fsynced (below it too), or recovered but not fsynced (from the old recovery
        // point on: that point stays).
        log.recovery_point = if recovered_tail.is_empty() {
            leo
        } else {
            recovery_point.clamp(0, leo)
        };
        epochs_changed |= log.leader_epoch_cache.truncate_from_end(leo);
        epochs_changed |= log
            .leader_epoch_cache
            .truncate_from_start(log.log_start_offset);
        if epochs_changed {
            log.leader_epoch_cache.flush()?;
        }
        if deleted_by_recovery {
            sync_dir(&log.dir)?;
            log.dir_dirty = false;
        }
        Ok(log)
    }

    /// What [`Log::open`] recovered and truncated.
    #[must_use]
    pub fn recovery(&self) -> &LogRecovery {
        &self.recovery
    }

    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    #[must_use]
    pub fn config(&self) -> &LogConfig {
        &self.config
    }

    /// Replaces the configuration; it applies from the next append (index sizes from the
    /// next segment).
    pub fn update_config(&mut self, config: LogConfig) -> Result<()> {
        config.validate()?;
        self.config = config;
        Ok(())
    }

    #[must_use]
    pub fn log_start_offset(&self) -> i64 {
        self.log_start_offset
    }

    #[must_use]
    pub fn log_end_offset(&self) -> i64 {
        self.active().next_offset()
    }

    #[must_use]
    pub fn recovery_point(&self) -> i64 {
        self.recovery_point
    }

    /// Bytes of all segment files.
    #[must_use]
    pub fn size_bytes(&self) -> u64 {
        self.segments
            .values()
            .map(|s| u64::from(s.size_bytes()))
            .sum()
    }

    #[must_use]
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// Base offsets of the segments, in order.
    #[must_use]
    pub fn segment_base_offsets(&self) -> Vec<i64> {
        self.segments.keys().copied().collect()
    }

    pub fn segments(&self) -> impl Iterator<Item = &LogSegment> {
        self.segments.values()
    }

    #[must_use]
    pub fn latest_epoch(&self) -> Option<i32> {
        self.leader_epoch_cache.latest_epoch()
    }

    #[must_use]
    pub fn leader_epoch_entries(&self) -> &[EpochEntry] {
        self.leader_epoch_cache.entries()
    }

    #[must_use]
    pub fn unflushed_messages(&self) -> u64 {
        self.unflushed_messages
    }

    #[must_use]
    pub fn last_flush_time_ms(&self) -> i64 {
        self.last_flush_time_ms
    }

    /// How many truncations the log has seen since it was opened (the cleaner checks it did
    /// not change while it worked without the lock).
    pub(crate) fn truncation_count(&self) -> u64 {
        self.truncations
    }

    /// Kafka's `replaceSegments` for the cleaner: swaps `cleaned` (its files named
    /// `<base>.log.cleaned` etc., written, trimmed and fsynced) in for the segments `old`,
    /// given as base offset and `.log` file as they were when cleaning started. The cleaned
    /// segment takes the transaction index entries of `old` but those naming a marker in
    /// `removed_markers` (offsets, increasing): the ABORT markers the cleaner removed.
    ///
    /// If the log changed meanwhile (a truncation, retention deleting one of them, one of them
    /// becoming the active segment), nothing is swapped, the cleaned files are deleted and the
    /// answer is `None`. Otherwise: `.cleaned` → `.swap` and a directory fsync (the commit
    /// point: recovery on open completes a swap from here, see
    /// `cleaner::complete_interrupted_swaps`), the old segments leave the map and their files
    /// are renamed `.deleted` (removed on open if a crash leaves them), then `.swap` → final
    /// names. The old segments are returned for the caller to delete after releasing the
    /// lock (Kafka's asynchronous segment deletion); slices already handed out keep reading
    /// them through their open file.
    pub(crate) fn replace_segments(
        &mut self,
        mut cleaned: LogSegment,
        old: &[(i64, std::sync::Arc<std::fs::File>)],
        removed_markers: &[i64],
        truncations: u64,
    ) -> Result<Option<Vec<LogSegment>>> {
        let active_base = self.active().base_offset();
        let unchanged = truncations == self.truncations
            && !old.is_empty()
            && old.iter().all(|(base, file)| {
                *base != active_base
                    && self
                        .segments
                        .get(base)
                        .is_some_and(|s| std::sync::Arc::ptr_eq(s.log_file(), file))
            });
        if !unchanged {
            cleaned.delete()?;
            return Ok(None);
        }
        assert_eq!(
            cleaned.base_offset(),
            old[0].0,
            "a cleaned segment starts where its group does"
        );
        let next_base = self
            .segments
            .range(old[old.len() - 1].0 + 1..)
            .next()
            .map_or(i64::MAX, |(b, _)| *b);
        assert!(
            cleaned.next_offset() <= next_base,
            "cleaned segment ends at {} past the next segment {next_base}",
            cleaned.next_offset()
        );
        // Under the lock, so an entry appended to an old segment while the cleaner worked is
        // carried over too; fsynced before the commit point below.
        let sources: Vec<&LogSegment> = old
            .iter()
            .map(|(base, _)| self.segments.get(base).expect("checked above"))
            .collect();
        cleaned.take_txn_index_entries_of(&sources, removed_markers)?;
        cleaned.change_file_suffixes(
            crate::cleaner::CLEANED_FILE_SUFFIX,
            crate::cleaner::SWAP_FILE_SUFFIX,
        )?;
        sync_dir(&self.dir)?;
        let mut replaced = Vec::with_capacity(old.len());
        for (base, _) in old {
            replaced.push(self.segments.remove(base).expect("checked above"));
        }
        let base = cleaned.base_offset();
        self.segments.insert(base, cleaned);
        self.dir_dirty = true;
        for seg in &mut replaced {
            seg.change_file_suffixes("", crate::cleaner::DELETED_FILE_SUFFIX)?;
        }
        self.segments
            .get_mut(&base)
            .expect("just inserted")
            .change_file_suffixes(crate::cleaner::SWAP_FILE_SUFFIX, "")?;
        Ok(Some(replaced))
    }

    fn active(&self) -> &LogSegment {
        self.segments
            .values()
            .next_back()
            .expect("a log always has an active segment")
    }

    fn active_mut(&mut self) -> &mut LogSegment {
        self.segments
            .values_mut()
            .next_back()
            .expect("a log always has an active segment")
    }

    /// Appends producer batches as the leader (Kafka's `appendAsLeader`).
    ///
    /// `batches` holds one or more v2 batches back to back; all of them are validated before
    /// anything is written: headers (bounds, magic, CRC32C, record count vs `lastOffsetDelta`,
    /// `max_message_bytes`), then, unless `validate_records` is off, the records inside
    /// ([`crate::log_validator::validate_records`]: codec, framing, count, offset deltas,
    /// timestamps against `now_ms`). A refused append writes nothing. Then, in place in
    /// `batches`: `baseOffset` is set to the next offsets, `partitionLeaderEpoch` to
    /// `leader_epoch`, and with `LogAppendTime` the timestamp type bit and `maxTimestamp`;
    /// with `CreateTime` (and the walk on) `maxTimestamp` becomes the records' largest
    /// timestamp, as Kafka's `LogValidator` sets it (CRC recomputed when either changes). The bytes go to the active
    /// segment with one write. `leader_epoch` newer than the cache's latest starts a new epoch
    /// at the first offset; older is `FencedLeaderEpoch`; negative leaves the cache alone.
    pub fn append(
        &mut self,
        batches: &mut [u8],
        leader_epoch: i32,
        now_ms: i64,
    ) -> Result<AppendInfo> {
        self.append_from(AppendOrigin::Client, batches, leader_epoch, now_ms)
    }

    /// [`Self::append`] for batches from `origin`: [`AppendOrigin::Coordinator`] is the
    /// broker writing transaction markers (control batches, Kafka's `appendAsLeader` with
    /// `AppendOrigin.COORDINATOR`); everything else is checked as for a producer.
    pub fn append_from(
        &mut self,
        origin: AppendOrigin,
        batches: &mut [u8],
        leader_epoch: i32,
        now_ms: i64,
    ) -> Result<AppendInfo> {
        let mut metas = std::mem::take(&mut self.metas);
        let result = self.append_as_leader(origin, batches, leader_epoch, now_ms, &mut metas);
        self.metas = metas;
        result
    }

    fn append_as_leader(
        &mut self,
        origin: AppendOrigin,
        batches: &mut [u8],
        leader_epoch: i32,
        now_ms: i64,
        metas: &mut Vec<BatchMeta>,
    ) -> Result<AppendInfo> {
        let mut summary = validate_batches(batches, &self.config, Origin::Client, metas)?;
        if self.config.validate_records {
            let mut scratch = std::mem::take(&mut self.records_scratch);
            let walked = metas.iter_mut().try_for_each(|m| {
                let batch = &batches[m.position as usize..(m.position + m.size_bytes) as usize];
                let records =
                    validate_records_from(origin, batch, &self.config, now_ms, &mut scratch)?;
                // The records' maximum, not the header's claim (patched below).
                m.max_timestamp = records.max_record_timestamp;
                Ok::<(), StorageError>(())
            });
            self.records_scratch = scratch;
            walked?;
            summary.max_timestamp = NO_TIMESTAMP;
            summary.max_timestamp_batch = 0;
            for (i, m) in metas.iter().enumerate() {
                if m.max_timestamp > summary.max_timestamp {
                    summary.max_timestamp = m.max_timestamp;
                    summary.max_timestamp_batch = i;
                }
            }
        }
        if leader_epoch >= 0 {
            if let Some(latest) = self.latest_epoch() {
                if leader_epoch < latest {
                    return Err(StorageError::FencedLeaderEpoch(format!(
                        "append with leader epoch {leader_epoch}, but the log is at epoch {latest}"
                    )));
                }
            }
        }
        let first_offset = self.log_end_offset();
        let last_offset = first_offset
            .checked_add(summary.offset_count as i64 - 1)
            .ok_or_else(|| StorageError::InvalidRecord("offsets overflow i64".to_owned()))?;
        let log_append_time = self.config.message_timestamp_type == TimestampType::LogAppendTime;
        let max_timestamp = if log_append_time {
            now_ms
        } else {
            summary.max_timestamp
        };
        self.maybe_roll(
            summary.total_bytes,
            first_offset,
            last_offset,
            max_timestamp,
            metas.len(),
            now_ms,
        )?;
        let mut next = first_offset;
        for m in metas.iter_mut() {
            let batch = &mut batches[m.position as usize..(m.position + m.size_bytes) as usize];
            set_base_offset(batch, next);
            set_partition_leader_epoch(batch, leader_epoch);
            if log_append_time {
                set_log_append_time(batch, now_ms);
                m.max_timestamp = now_ms;
            } else {
                set_max_timestamp(batch, m.max_timestamp);
            }
            m.base_offset = next;
            m.partition_leader_epoch = leader_epoch;
            next = m.last_offset() + 1;
        }
        assert_eq!(next - 1, last_offset);
        let interval = self.config.index_interval_bytes;
        self.active_mut().append(batches, metas, interval)?;
        if leader_epoch >= 0 && self.leader_epoch_cache.assign(leader_epoch, first_offset) {
            self.leader_epoch_cache.flush()?;
        }
        self.after_append(summary.records_count)?;
        Ok(AppendInfo {
            first_offset,
            last_offset,
            log_append_time_ms: if log_append_time {
                now_ms
            } else {
                NO_TIMESTAMP
            },
            max_timestamp,
            offset_of_max_timestamp: if log_append_time {
                first_offset
            } else {
                metas[summary.max_timestamp_batch].last_offset()
            },
            record_count: summary.records_count,
            log_end_offset: self.log_end_offset(),
            valid_bytes: summary.total_bytes,
        })
    }

    /// Appends batches copied from the leader, keeping their offsets (Kafka's
    /// `appendAsFollower`). Offsets must start at or after the log end offset and increase
    /// from batch to batch (gaps, as left by compaction, are allowed). Leader epochs are
    /// taken from each batch's `partitionLeaderEpoch`. Only headers and CRCs are checked: the
    /// records were validated by the leader that appended them (Kafka's `appendAsFollower`
    /// skips `LogValidator` too), so a follower does not walk them again.
    pub fn append_as_follower(&mut self, batches: &[u8]) -> Result<AppendInfo> {
        let mut metas = std::mem::take(&mut self.metas);
        let result = self.append_replicated(batches, &mut metas);
        self.metas = metas;
        result
    }

    fn append_replicated(
        &mut self,
        batches: &[u8],
        metas: &mut Vec<BatchMeta>,
    ) -> Result<AppendInfo> {
        let summary = validate_batches(batches, &self.config, Origin::Replication, metas)?;
        let leo = self.log_end_offset();
        let first = metas.first().expect("validated append has a batch");
        let first_offset = first.base_offset;
        let last_offset = metas
            .last()
            .expect("validated append has a batch")
            .last_offset();
        if first_offset < leo {
            return Err(StorageError::InvalidRecord(format!(
                "replicated batch at offset {first_offset} is below the log end offset {leo}"
            )));
        }
        let now_ms = wall_clock_ms();
        self.maybe_roll(
            summary.total_bytes,
            first_offset,
            last_offset,
            summary.max_timestamp,
            metas.len(),
            now_ms,
        )?;
        let interval = self.config.index_interval_bytes;
        self.active_mut().append(batches, metas, interval)?;
        let mut epochs_changed = false;
        for m in metas.iter() {
            if m.partition_leader_epoch >= 0 {
                epochs_changed |= self
                    .leader_epoch_cache
                    .assign(m.partition_leader_epoch, m.base_offset);
            }
        }
        if epochs_changed {
            self.leader_epoch_cache.flush()?;
        }
        self.after_append(summary.records_count)?;
        Ok(AppendInfo {
            first_offset,
            last_offset,
            log_append_time_ms: NO_TIMESTAMP,
            max_timestamp: summary.max_timestamp,
            offset_of_max_timestamp: metas[summary.max_timestamp_batch].last_offset(),
            record_count: summary.records_count,
            log_end_offset: self.log_end_offset(),
            valid_bytes: summary.total_bytes,
        })
    }

    fn after_append(&mut self, records: u64) -> Result<()> {
        self.unflushed_messages = self.unflushed_messages.saturating_add(records);
        if self.unflushed_messages >= self.config.flush_interval_messages {
            self.flush()?;
        }
        Ok(())
    }

    /// Kafka's `maybeRoll`: a new segment when the active one is non-empty and the append
    /// would take it past `segment_bytes`, when `segment_ms` separates its first batch from
    /// this one, or when either index might run out of room; also when the append's offsets
    /// would not fit the 32-bit relative offsets of the active segment.
    fn maybe_roll(
        &mut self,
        append_bytes: u64,
        first_offset: i64,
        last_offset: i64,
        max_timestamp: i64,
        batch_count: usize,
        now_ms: i64,
    ) -> Result<()> {
        let config = &self.config;
        let seg = self.active();
        let size = u64::from(seg.size_bytes());
        let index_entries_max = batch_count
            .min((append_bytes / u64::from(config.index_interval_bytes.max(1))) as usize + 1);
        let relative_overflow = last_offset - seg.base_offset() > i64::from(i32::MAX);
        let full = size > 0
            && (size + append_bytes > u64::from(config.segment_bytes)
                || seg.time_waited_for_roll_ms(now_ms, max_timestamp) > config.segment_ms
                || !seg.offset_index().has_room_for(index_entries_max)
                || !seg.time_index().has_room_for(index_entries_max));
        if full || relative_overflow {
            self.roll(first_offset.max(self.log_end_offset()), now_ms)?;
        }
        Ok(())
    }

    /// Kafka's `roll`: the active segment becomes inactive (final time index entry, indexes
    /// trimmed) and an empty segment starting at `new_base` becomes active. An empty active
    /// segment is replaced rather than kept.
    fn roll(&mut self, new_base: i64, now_ms: i64) -> Result<()> {
        let active_base = self.active().base_offset();
        if self.active().size_bytes() == 0 {
            let old = self.segments.remove(&active_base).expect("active exists");
            old.delete()?;
        } else {
            self.active_mut().on_become_inactive()?;
        }
        let seg = LogSegment::create(&self.dir, new_base, &self.config, now_ms)?;
        self.segments.insert(new_base, seg);
        self.dir_dirty = true;
        let first_base = *self.segments.keys().next().expect("segments");
        self.log_start_offset = self.log_start_offset.max(first_base);
        Ok(())
    }

    /// Forces a new active segment at the log end offset (for tests and admin tools).
    pub fn roll_now(&mut self, now_ms: i64) -> Result<()> {
        if self.active().size_bytes() > 0 {
            self.roll(self.log_end_offset(), now_ms)?;
        }
        Ok(())
    }

    /// fsyncs every segment that may hold unflushed data (log and indexes) and the directory,
    /// then moves the recovery point to the log end offset (Kafka's `flush`).
    pub fn flush(&mut self) -> Result<()> {
        let plan = self.begin_flush();
        let result = plan.run();
        self.complete_flush(&plan, result.is_ok());
        result
    }

    /// Plans a flush: the files of every segment that may hold unflushed data. Run it with
    /// [`FlushPlan::run`] (no lock needed), then call [`Self::complete_flush`].
    pub fn begin_flush(&mut self) -> FlushPlan {
        let active_base = self.active().base_offset();
        let mut files = Vec::new();
        let mut index_paths = Vec::new();
        for seg in self.segments.values() {
            if seg.next_offset() > self.recovery_point || seg.base_offset() == active_base {
                seg.flush_targets(&mut files, &mut index_paths);
            }
        }
        let dir = std::mem::take(&mut self.dir_dirty).then(|| self.dir.clone());
        FlushPlan {
            files,
            index_paths,
            dir,
            log_end_offset: self.log_end_offset(),
            unflushed_messages: self.unflushed_messages,
            truncations: self.truncations,
        }
    }

    /// Records the outcome of a planned flush: on success the recovery point moves up to the
    /// planned log end offset (unless the log was truncated meanwhile).
    pub fn complete_flush(&mut self, plan: &FlushPlan, succeeded: bool) {
        if !succeeded {
            self.dir_dirty |= plan.dir.is_some();
            return;
        }
        if plan.truncations == self.truncations {
            self.recovery_point = self
                .recovery_point
                .max(plan.log_end_offset.min(self.log_end_offset()));
            self.unflushed_messages = self
                .unflushed_messages
                .saturating_sub(plan.unflushed_messages);
        }
        self.last_flush_time_ms = wall_clock_ms();
    }

    /// Flushes, trims the active segment's indexes and closes the files. The next
    /// [`Log::open`] with `recovery_point == log_end_offset()` only sanity-checks.
    pub fn close(mut self) -> Result<()> {
        self.flush()?;
        self.active_mut().on_become_inactive()?;
        self.active().flush()
    }

    /// Reads whole batches starting with the one that holds `offset` (Kafka's `read`).
    ///
    /// - `offset` below the log start offset or above the log end offset: `OffsetOutOfRange`.
    /// - `offset` at the log end offset, or `>= max_offset` (exclusive bound such as the high
    ///   watermark): `None`.
    /// - Otherwise the slice starts at the batch containing `offset` (or the next batch after
    ///   a gap), never includes a batch whose last offset is `>= max_offset`, stays within
    ///   `max_bytes` except that the first batch is whole even if larger when
    ///   `min_one_message` (KIP-74; without it such a read returns `None`), ends on a batch
    ///   boundary, and stays inside one segment.
    pub fn read(
        &self,
        offset: i64,
        max_bytes: u32,
        max_offset: i64,
        min_one_message: bool,
    ) -> Result<Option<FileSlice>> {
        let leo = self.log_end_offset();
        if offset < self.log_start_offset || offset > leo {
            return Err(StorageError::OffsetOutOfRange(format!(
                "offset {offset} outside [{}, {leo}]",
                self.log_start_offset
            )));
        }
        if offset >= leo || offset >= max_offset {
            return Ok(None);
        }
        let start_base = self.segments.range(..=offset).next_back().map_or_else(
            || *self.segments.keys().next().expect("segments"),
            |(b, _)| *b,
        );
        for seg in self.segments.range(start_base..).map(|(_, s)| s) {
            match seg.read(offset, max_bytes, max_offset, min_one_message)? {
                SegmentRead::NotHere => {}
                SegmentRead::Nothing => return Ok(None),
                SegmentRead::Slice(slice) => return Ok(Some(slice)),
            }
        }
        Ok(None)
    }

    /// `ListOffsets` by timestamp (Kafka's `fetchOffsetByTimestamp` for a real timestamp):
    /// the first record with timestamp `>= timestamp_ms` at or after the log start offset, as
    /// `(offset, timestamp)`; `None` if every record is older. See
    /// [`LogSegment`]'s `find_offset_by_timestamp` for the precision within a batch.
    pub fn offset_for_timestamp(&self, timestamp_ms: i64) -> Result<Option<(i64, i64)>> {
        for seg in self.segments.values() {
            if seg.size_bytes() == 0 || seg.max_timestamp_and_offset().timestamp < timestamp_ms {
                continue;
            }
            if seg.next_offset() <= self.log_start_offset {
                continue;
            }
            if let Some(found) =
                seg.find_offset_by_timestamp(timestamp_ms, self.log_start_offset)?
            {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// `ListOffsets` `MAX_TIMESTAMP` (-3, KIP-734): the record with the largest timestamp as
    /// `(offset, timestamp)`, `None` for an empty log or when no batch has a timestamp.
    pub fn max_timestamp_and_offset(&self) -> Result<Option<(i64, i64)>> {
        let mut best: Option<&LogSegment> = None;
        for seg in self.segments.values() {
            if seg.next_offset() <= self.log_start_offset || seg.size_bytes() == 0 {
                continue;
            }
            if best.map_or(true, |b| {
                seg.max_timestamp_and_offset().timestamp > b.max_timestamp_and_offset().timestamp
            }) {
                best = Some(seg);
            }
        }
        match best {
            Some(seg) => seg.max_timestamp_record(self.log_start_offset),
            None => Ok(None),
        }
    }

    /// Kafka's `updateTxnIndex` for one aborted transaction: writes `entry` into the
    /// transaction index of the segment holding its marker (`entry.last_offset`, normally in
    /// the active segment). Idempotent: an entry with the same producer id and last offset is
    /// not written twice (a replay after a restart calls this again); returns whether it
    /// wrote. A marker in a segment already deleted (below the first segment) is ignored.
    /// Errors: the marker at or past the log end offset (`OffsetOutOfRange`); `firstOffset`
    /// outside `[0, lastOffset]`, or another producer's entry at that marker
    /// (`InvalidRecord`); I/O (`KafkaStorageError`).
    pub fn append_aborted_txn(&mut self, entry: AbortedTxn) -> Result<bool> {
        let leo = self.log_end_offset();
        if entry.last_offset >= leo {
            return Err(StorageError::OffsetOutOfRange(format!(
                "aborted transaction marker at offset {} is not below the log end offset {leo}",
                entry.last_offset
            )));
        }
        let recovery_point = self.recovery_point;
        let Some((_, segment)) = self.segments.range_mut(..=entry.last_offset).next_back() else {
            return Ok(false);
        };
        let file_existed = segment.txn_index().file_exists();
        if segment.append_aborted_txn(entry)? == TxnIndexAppend::AlreadyPresent {
            return Ok(false);
        }
        // Durability as for the segment's other files: the next flush fsyncs the index of a
        // segment above the recovery point (and the directory, for a new file). A segment
        // wholly below it is not flushed again, and a replay from a later snapshot would not
        // write the entry again: fsync it now (a rare path: the marker's segment rolled and
        // was flushed before the entry came).
        if segment.next_offset() <= recovery_point {
            segment.txn_index().flush()?;
            if !file_existed {
                sync_dir(&self.dir)?;
            }
        } else if !file_existed {
            self.dir_dirty = true;
        }
        Ok(true)
    }

    /// Kafka's `collectAbortedTransactions`: the aborted transactions a fetch of
    /// `[fetch_offset, upper_bound_offset)` must report, from the segment holding
    /// `fetch_offset` on: every entry with `lastOffset >= fetch_offset` and
    /// `firstOffset < upper_bound_offset`, stopping once an entry's `lastStableOffset`
    /// reaches `upper_bound_offset`. In marker order.
    #[must_use]
    pub fn aborted_txns(&self, fetch_offset: i64, upper_bound_offset: i64) -> Vec<AbortedTxn> {
        let start_base = self
            .segments
            .range(..=fetch_offset)
            .next_back()
            .map_or(i64::MIN, |(b, _)| *b);
        let mut out = Vec::new();
        for seg in self.segments.range(start_base..).map(|(_, s)| s) {
            let found = seg
                .txn_index()
                .collect_aborted_txns(fetch_offset, upper_bound_offset);
            out.extend(found.aborted);
            if found.complete {
                break;
            }
        }
        out
    }

    /// `OffsetForLeaderEpoch` (KIP-101/279): see [`LeaderEpochFileCache::end_offset_for`].
    #[must_use]
    pub fn end_offset_for_epoch(&self, epoch: i32) -> (i32, i64) {
        self.leader_epoch_cache
            .end_offset_for(epoch, self.log_end_offset())
    }

    /// Removes everything from `offset` on (Kafka's `truncateTo`, used by followers after
    /// `OffsetForLeaderEpoch`). A batch is never split: if `offset` falls inside a batch the
    /// whole batch goes and the log end offset becomes that batch's base offset. Below the
    /// first segment, the log is emptied and restarts at `offset`. No-op at or above the log
    /// end offset.
    pub fn truncate_to(&mut self, offset: i64) -> Result<()> {
        if offset < 0 {
            return Err(StorageError::OffsetOutOfRange(format!(
                "cannot truncate to negative offset {offset}"
            )));
        }
        if offset >= self.log_end_offset() {
            return Ok(());
        }
        let first_base = *self.segments.keys().next().expect("segments");
        if offset < first_base {
            return self.truncate_fully_and_start_at(offset);
        }
        let doomed: Vec<i64> = self.segments.range(offset + 1..).map(|(b, _)| *b).collect();
        for base in doomed {
            let seg = self.segments.remove(&base).expect("listed");
            seg.delete()?;
            self.dir_dirty = true;
        }
        self.truncations += 1;
        let config = self.config.clone();
        let active = self.active_mut();
        active.truncate_to(offset)?;
        active.make_active(&config)?;
        self.log_start_offset = self.log_start_offset.min(offset);
        let leo = self.log_end_offset();
        self.recovery_point = self.recovery_point.min(leo);
        if self.leader_epoch_cache.truncate_from_end(leo) {
            self.leader_epoch_cache.flush()?;
        }
        Ok(())
    }

    /// Deletes every segment and restarts the log empty at `offset` (Kafka's
    /// `truncateFullyAndStartAt`); the leader epoch cache is cleared.
    pub fn truncate_fully_and_start_at(&mut self, offset: i64) -> Result<()> {
        if offset < 0 {
            return Err(StorageError::OffsetOutOfRange(format!(
                "cannot start at negative offset {offset}"
            )));
        }
        self.truncations += 1;
        for (_, seg) in std::mem::take(&mut self.segments) {
            seg.delete()?;
        }
        let seg = LogSegment::create(&self.dir, offset, &self.config, wall_clock_ms())?;
        self.segments.insert(offset, seg);
        self.dir_dirty = true;
        self.log_start_offset = offset;
        self.recovery_point = offset;
        self.leader_epoch_cache.truncate_from_end(i64::MIN);
        self.leader_epoch_cache.flush()?;
        sync_dir(&self.dir)?;
        self.dir_dirty = false;
        Ok(())
    }

    /// `DeleteRecords`: raises the log start offset to `offset` and deletes the segments
    /// wholly below it (never the active one). Returns the segments deleted.
    /// `OffsetOutOfRange` above the log end offset; no-op at or below the log start offset.
    pub fn delete_records_before(&mut self, offset: i64) -> Result<usize> {
        let leo = self.log_end_offset();
        if offset > leo {
            return Err(StorageError::OffsetOutOfRange(format!(
                "cannot delete records before {offset}: log end offset is {leo}"
            )));
        }
        if offset <= self.log_start_offset {
            return Ok(0);
        }
        self.log_start_offset = offset;
        let bases: Vec<i64> = self.segments.keys().copied().collect();
        let deletable = bases.windows(2).take_while(|w| w[1] <= offset).count();
        self.delete_first_segments(deletable)
    }

    /// Retention (Kafka's `deleteOldSegments`): deletes the oldest segments while their
    /// largest timestamp is more than `retention_ms` before `now_ms`, or while the log stays at
    /// or above `retention_bytes` without them, and those wholly below the log start offset.
    /// -1 disables a limit. The active segment is never deleted. The log start offset moves
    /// to the new first segment. Returns the segments deleted.
    pub fn delete_old_segments(
        &mut self,
        now_ms: i64,
        retention_ms: i64,
        retention_bytes: i64,
    ) -> Result<usize> {
        let candidates: Vec<&LogSegment> = self
            .segments
            .values()
            .take(self.segments.len() - 1)
            .collect();
        let mut by_time = 0;
        if retention_ms >= 0 {
            by_time = candidates
                .iter()
                .take_while(|s| now_ms.saturating_sub(s.largest_timestamp_ms()) > retention_ms)
                .count();
        }
        let mut by_size = 0;
        if retention_bytes >= 0 {
            let mut diff = self.size_bytes() as i64 - retention_bytes;
            for s in &candidates {
                let size = i64::from(s.size_bytes());
                if diff - size < 0 {
                    break;
                }
                diff -= size;
                by_size += 1;
            }
        }
        let bases: Vec<i64> = self.segments.keys().copied().collect();
        let below_start = bases
            .windows(2)
            .take_while(|w| w[1] <= self.log_start_offset)
            .count();
        self.delete_first_segments(by_time.max(by_size).max(below_start))
    }

    fn delete_first_segments(&mut self, count: usize) -> Result<usize> {
        let count = count.min(self.segments.len() - 1);
        for _ in 0..count {
            let (_, seg) = self.segments.pop_first().expect("counted");
            seg.delete()?;
            self.dir_dirty = true;
        }
        let first_base = *self.segments.keys().next().expect("segments");
        self.log_start_offset = self.log_start_offset.max(first_base);
        if self
            .leader_epoch_cache
            .truncate_from_start(self.log_start_offset)
        {
            self.leader_epoch_cache.flush()?;
        }
        if count > 0 {
            sync_dir(&self.dir)?;
            self.dir_dirty = false;
        }
        Ok(count)
    }
}

/// The segments [`Log::open`] loaded: trusted or recovered, in offset order.
struct Loaded {
    segments: BTreeMap<i64, LogSegment>,
    dir_dirty: bool,
    epochs_changed: bool,
    recovery: LogRecovery,
    /// Recovered segments at or after the recovery point, not fsynced.
    recovered_tail: Vec<i64>,
}

/// Loads the segments `bases` of `dir` for [`Log::open`]: those wholly below the recovery
/// point that pass the sanity check are trusted; the rest are recovered, and after a torn or
/// corrupt tail the later segments are deleted.
fn load_segments(
    dir: &Path,
    config: &LogConfig,
    bases: &[i64],
    recovery_point: i64,
    leader_epoch_cache: &mut LeaderEpochFileCache,
    now_ms: i64,
) -> Result<Loaded> {
    let mut segments: BTreeMap<i64, LogSegment> = BTreeMap::new();
    let mut dir_dirty = false;
    let mut epochs_changed = false;
    let mut recovery = LogRecovery::default();
    // Recovered segments at or after the recovery point are not fsynced here (Kafka does
    // not either): the recovery point stays where it was, so a crash before the next
    // flush recovers them again. Damaged segments below it are fsynced at once.
    let mut recovered_tail: Vec<i64> = Vec::new();
    for (i, &base) in bases.iter().enumerate() {
        let mut seg = LogSegment::open(dir, base, now_ms)?;
        let next_base = bases.get(i + 1).copied();
        let trusted = seg.load_without_recovery()? && seg.next_offset() <= recovery_point;
        if trusted {
            recovery
                .txn_index_repairs
                .extend(seg.take_txn_index_repair());
            segments.insert(base, seg);
            continue;
        }
        let outcome = seg.recover(config, leader_epoch_cache, &mut epochs_changed)?;
        recovery
            .txn_index_repairs
            .extend(seg.take_txn_index_repair());
        recovery.segments_recovered += 1;
        // A segment wholly below the recovery point held flushed data: keep what follows
        // it (as Kafka does for a damaged old segment). Otherwise the damage is the torn
        // tail of a crash and nothing after it can be trusted.
        let below_recovery_point = next_base.is_some_and(|n| n <= recovery_point);
        if below_recovery_point {
            seg.on_become_inactive_unflushed()?;
            seg.flush()?;
        } else {
            recovered_tail.push(base);
        }
        let log_path = seg.log_path().to_path_buf();
        segments.insert(base, seg);
        let Some(invalid) = outcome.invalid else {
            continue;
        };
        let mut truncation = RecoveryTruncation {
            segment: log_path,
            base_offset: base,
            position: invalid.position,
            offset: invalid.offset,
            truncated_bytes: outcome.truncated_bytes,
            deleted_segments: Vec::new(),
            deleted_bytes: 0,
            dropped: invalid.dropped,
            reason: invalid.reason,
        };
        if below_recovery_point {
            recovery.truncations.push(truncation);
            continue;
        }
        for &later in &bases[i + 1..] {
            let later_seg = LogSegment::open(dir, later, now_ms)?;
            truncation.dropped.add(&later_seg.count_all_batches());
            truncation.deleted_bytes += u64::from(later_seg.size_bytes());
            truncation
                .deleted_segments
                .push(later_seg.log_path().to_path_buf());
            later_seg.delete()?;
            dir_dirty = true;
        }
        recovery.truncations.push(truncation);
        break;
    }
    Ok(Loaded {
        segments,
        dir_dirty,
        epochs_changed,
        recovery,
        recovered_tail,
    })
}

/// Lists segment base offsets in `dir`, removing leftovers Kafka would remove: temporary,
/// deleted, cleaned and swap files, and indexes without a `.log`.
fn scan_directory(dir: &Path) -> Result<Vec<i64>> {
    let mut bases = Vec::new();
    let mut indexes = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(io_context(format!("list {}", dir.display())))?;
    for entry in entries {
        let entry = entry.map_err(io_context(format!("list {}", dir.display())))?;
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if matches!(ext, "deleted" | "cleaned" | "swap")
            || (ext == "tmp" && name != "leader-epoch-checkpoint.tmp")
        {
            std::fs::remove_file(&path)
                .map_err(io_context(format!("remove {}", path.display())))?;
            continue;
        }
        let Some((stem, ext)) = name.split_once('.') else {
            continue;
        };
        let Some(base) = parse_base_offset(stem) else {
            continue;
        };
        match ext {
            LOG_FILE_SUFFIX => bases.push(base),
            INDEX_FILE_SUFFIX | TIME_INDEX_FILE_SUFFIX | TXN_INDEX_FILE_SUFFIX => {
                indexes.push((base, path));
            }
            _ => {}
        }
    }
    bases.sort_unstable();
    for (base, path) in indexes {
        if bases.binary_search(&base).is_err() {
            std::fs::remove_file(&path)
                .map_err(io_context(format!("remove orphan {}", path.display())))?;
        }
    }
    Ok(bases)
}
