//! `tidelog-native`: the napi-rs binding over `tidelog-storage`.
//!
//! Thin by design (rolldown's `*_binding` shape): every type exposed to JavaScript is named
//! `Binding*`, holds no policy, and converts at the edge. Errors cross as JS `Error`s whose
//! `code` is the Kafka error name (`'CORRUPT_MESSAGE'`) and whose `kafkaErrorCode` is the
//! numeric Kafka code (2); the message starts with the name too. Nothing panics across the
//! boundary: panics are caught and become `KAFKA_STORAGE_ERROR`.
//!
//! The `Log` lives in a `tidelog_storage::SharedLog` (its lock, the clean gate, flush without
//! the lock, close), shared by `Arc` with the tasks on the libuv thread pool (`append`,
//! `appendAsFollower`, `flush`, `clean`). Every such task is one `StorageTask`: a closure run
//! on the pool whose `StorageError` becomes the JS error at the boundary.
#![expect(
    clippy::must_use_candidate,
    reason = "exported methods are called from JavaScript, where #[must_use] means nothing"
)]

pub mod exit_watchdog;
pub mod socket;

use std::os::fd::AsRawFd;
use std::sync::Arc;

use napi::bindgen_prelude::{AsyncTask, Buffer, BufferSlice, JsObjectValue, ToNapiValue, TypeName};
use napi::{Env, JsValue, Status, Task};
use napi_derive::napi;
use socket::duplicate_socket;
use tidelog_storage::batch::TimestampType;
use tidelog_storage::cleaner_offset_map::OffsetMap;
use tidelog_storage::producer_batches::{producer_batches, ReadFrom};
use tidelog_storage::shared_log::catch_panics as guard;
use tidelog_storage::{
    AbortedTxn, AppendInfo, AppendOrigin, CleanOptions, CleanResult, CleanableRange, FileSlice,
    Log, LogConfig, SharedLog, StorageError,
};

/// Largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// Builds the JS error for a storage error: `code` = Kafka error name, `kafkaErrorCode` =
/// numeric Kafka code.
fn js_error(env: Env, e: &StorageError) -> napi::Error {
    let build = || -> napi::Result<napi::Error> {
        let mut obj = env.create_error(napi::Error::new(Status::GenericFailure, e.to_string()))?;
        obj.set_named_property("code", e.kafka_error_name())?;
        obj.set_named_property("kafkaErrorCode", i32::from(e.kafka_error_code()))?;
        Ok(napi::Error::from(obj.to_unknown()))
    };
    build().unwrap_or_else(|_| napi::Error::new(Status::GenericFailure, e.to_string()))
}

/// Work for the libuv thread pool: `work` runs there (panics caught), its result becomes the
/// JS value with `to_js` on the JS thread, and a `StorageError` becomes the JS error with
/// its Kafka code. Every async method of the binding is one of these.
pub struct StorageTask<T, J> {
    work: Option<Box<dyn FnOnce() -> Result<T, StorageError> + Send>>,
    to_js: fn(T) -> J,
    error: Option<StorageError>,
}

impl<T, J> StorageTask<T, J> {
    fn new(
        work: impl FnOnce() -> Result<T, StorageError> + Send + 'static,
        to_js: fn(T) -> J,
    ) -> AsyncTask<Self>
    where
        Self: Task,
    {
        AsyncTask::new(Self {
            work: Some(Box::new(work)),
            to_js,
            error: None,
        })
    }
}

impl<T: Send + 'static, J: ToNapiValue + TypeName> Task for StorageTask<T, J> {
    type Output = T;
    type JsValue = J;

    fn compute(&mut self) -> napi::Result<T> {
        let work = self
            .work
            .take()
            .ok_or_else(|| napi::Error::from_reason("task ran twice"))?;
        guard(work).map_err(|e| {
            self.error = Some(e);
            napi::Error::from_status(Status::GenericFailure)
        })
    }

    fn resolve(&mut self, _env: Env, output: T) -> napi::Result<J> {
        Ok((self.to_js)(output))
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> napi::Result<J> {
        Err(self.error.take().map_or(err, |e| js_error(env, &e)))
    }
}

/// `LogConfig` from JavaScript. All sizes in bytes, times in milliseconds.
#[napi(object)]
#[derive(Clone, Copy)]
pub struct BindingLogConfig {
    pub segment_bytes: f64,
    pub segment_ms: f64,
    pub index_interval_bytes: f64,
    pub max_index_size_bytes: f64,
    pub max_message_bytes: f64,
    pub log_append_time: bool,
    /// Values at or above 2^53 (e.g. Kafka's `Long.MAX_VALUE`) or `Infinity` mean never.
    pub flush_interval_messages: f64,
    /// `message.timestamp.before.max.ms`; absent, or at or above 2^53, means no bound.
    pub message_timestamp_before_max_ms: Option<f64>,
    /// `message.timestamp.after.max.ms`; absent, or at or above 2^53, means no bound.
    pub message_timestamp_after_max_ms: Option<f64>,
    /// `cleanup.policy` includes `compact`: records without a key are refused (default false).
    pub compacted: Option<bool>,
    /// Walk the records of leader appends (default true); false only for benchmarks that
    /// measure the walk's cost.
    pub validate_records: Option<bool>,
}

/// A millisecond bound from JavaScript: absent or beyond 2^53 is Kafka's `Long.MAX_VALUE`.
fn bound_ms(name: &str, v: Option<f64>) -> Result<i64, StorageError> {
    match v {
        None => Ok(i64::MAX),
        Some(v) if v >= MAX_SAFE_INTEGER => Ok(i64::MAX),
        Some(v) => Ok(whole_number(name, v, MAX_SAFE_INTEGER)? as i64),
    }
}

fn whole_number(name: &str, v: f64, max: f64) -> Result<f64, StorageError> {
    if v.is_nan() || v < 0.0 || v.fract() != 0.0 || v > max {
        return Err(StorageError::InvalidConfig(format!(
            "{name} must be a whole number in [0, {max}], got {v}"
        )));
    }
    Ok(v)
}

impl BindingLogConfig {
    fn log_config(&self) -> Result<LogConfig, StorageError> {
        let u32_max = f64::from(u32::MAX);
        let flush = if self.flush_interval_messages >= MAX_SAFE_INTEGER {
            u64::MAX
        } else {
            whole_number(
                "flushIntervalMessages",
                self.flush_interval_messages,
                MAX_SAFE_INTEGER,
            )? as u64
        };
        let config = LogConfig {
            segment_bytes: whole_number("segmentBytes", self.segment_bytes, u32_max)? as u32,
            segment_ms: whole_number(
                "segmentMs",
                self.segment_ms.min(MAX_SAFE_INTEGER),
                MAX_SAFE_INTEGER,
            )? as i64,
            index_interval_bytes: whole_number(
                "indexIntervalBytes",
                self.index_interval_bytes,
                u32_max,
            )? as u32,
            max_index_size_bytes: whole_number(
                "maxIndexSizeBytes",
                self.max_index_size_bytes,
                u32_max,
            )? as u32,
            max_message_bytes: whole_number("maxMessageBytes", self.max_message_bytes, u32_max)?
                as u32,
            message_timestamp_type: if self.log_append_time {
                TimestampType::LogAppendTime
            } else {
                TimestampType::CreateTime
            },
            message_timestamp_before_max_ms: bound_ms(
                "messageTimestampBeforeMaxMs",
                self.message_timestamp_before_max_ms,
            )?,
            message_timestamp_after_max_ms: bound_ms(
                "messageTimestampAfterMaxMs",
                self.message_timestamp_after_max_ms,
            )?,
            compacted: self.compacted.unwrap_or(false),
            validate_records: self.validate_records.unwrap_or(true),
            flush_interval_messages: flush,
        };
        config.validate()?;
        Ok(config)
    }
}

/// What an append did (`AppendInfo`).
#[napi(object)]
pub struct BindingAppendResult {
    pub first_offset: i64,
    pub last_offset: i64,
    /// The broker time written into the batches with `LogAppendTime`, else -1.
    pub log_append_time_ms: i64,
    pub max_timestamp: i64,
    pub offset_of_max_timestamp: i64,
    pub record_count: i64,
    pub log_end_offset: i64,
}

impl From<AppendInfo> for BindingAppendResult {
    fn from(a: AppendInfo) -> Self {
        Self {
            first_offset: a.first_offset,
            last_offset: a.last_offset,
            log_append_time_ms: a.log_append_time_ms,
            max_timestamp: a.max_timestamp,
            offset_of_max_timestamp: a.offset_of_max_timestamp,
            record_count: a.record_count as i64,
            log_end_offset: a.log_end_offset,
        }
    }
}

/// Offsets and sizes of the log, for metrics and checkpoints.
#[napi(object)]
pub struct BindingLogState {
    pub log_start_offset: i64,
    pub log_end_offset: i64,
    pub recovery_point: i64,
    pub size_bytes: i64,
    pub segment_count: u32,
    /// -1 when no leader epoch is known.
    pub latest_epoch: i32,
    pub unflushed_messages: i64,
    pub last_flush_time_ms: i64,
}

/// `(offset, timestamp)` answer of `ListOffsets`.
#[napi(object)]
pub struct BindingTimestampOffset {
    pub offset: i64,
    pub timestamp: i64,
}

/// `OffsetForLeaderEpoch` answer; `(-1, -1)` when undefined.
#[napi(object)]
pub struct BindingEpochEndOffset {
    pub leader_epoch: i32,
    pub end_offset: i64,
}

/// One producer's batch in the log (see `producerBatches`).
#[napi(object)]
pub struct BindingProducerBatch {
    pub producer_id: i64,
    pub producer_epoch: i32,
    pub first_sequence: i32,
    /// `firstSequence` plus the batch's last offset delta, wrapping past 2^31 - 1 to 0.
    pub last_sequence: i32,
    pub base_offset: i64,
    pub last_offset: i64,
    pub max_timestamp: i64,
    /// Attribute bit 4: part of a transaction (markers carry it too).
    pub is_transactional: bool,
    /// A transaction marker (control batch): 0 ABORT, 1 COMMIT; -1 for a data batch.
    pub control_type: i32,
    /// The marker's coordinator epoch (`EndTransactionMarker`); -1 for a data batch.
    pub coordinator_epoch: i32,
}

/// One aborted transaction for the transaction index (Kafka's `AbortedTxn`): its first offset,
/// the offset of its ABORT marker (`lastOffset`), and the partition's last stable offset once
/// the marker was written.
#[napi(object)]
#[derive(Clone, Copy)]
pub struct BindingAbortedTxn {
    pub producer_id: i64,
    pub first_offset: i64,
    pub last_offset: i64,
    pub last_stable_offset: i64,
}

/// An aborted transaction a `read_committed` fetch reports (Fetch's `AbortedTransaction`).
#[napi(object)]
pub struct BindingAbortedTransaction {
    pub producer_id: i64,
    pub first_offset: i64,
}

/// Whole record batches of one segment (see `FileSlice`). Keeps the segment file open, so it
/// stays valid even if retention deletes the segment before it is sent.
#[napi]
pub struct BindingFileSlice {
    inner: FileSlice,
}

#[napi]
impl BindingFileSlice {
    /// Bytes in the slice.
    #[napi(getter)]
    pub fn size(&self) -> u32 {
        self.inner.size
    }

    /// Base offset of the first batch (may be below the requested offset).
    #[napi(getter)]
    pub fn first_offset(&self) -> i64 {
        self.inner.first_offset
    }

    /// Last offset of the last batch.
    #[napi(getter)]
    pub fn last_offset(&self) -> i64 {
        self.inner.last_offset
    }

    /// Byte position of the slice in its segment file.
    #[napi(getter)]
    pub fn position(&self) -> u32 {
        self.inner.position
    }

    /// Sends the slice, from byte `skip` on (default 0: what `trySendTo` already sent is
    /// skipped), to a socket descriptor with sendfile(2), on the libuv thread pool; waits
    /// there while the socket is full. Resolves with the bytes this call sent. Nothing else
    /// may write to the socket meanwhile. The task sends through its own copy of the
    /// descriptor, so closing the socket meanwhile cannot redirect the bytes to whatever
    /// reuses the number.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn send_to(
        &self,
        env: &Env,
        fd: i32,
        skip: Option<u32>,
    ) -> napi::Result<AsyncTask<StorageTask<u64, i64>>> {
        // The task's own copy of the descriptor, closed when the task is dropped.
        let socket = duplicate_socket(fd).map_err(|e| js_error(*env, &e))?;
        let slice = self.inner.clone();
        let skip = skip.unwrap_or(0);
        Ok(StorageTask::new(
            move || slice.send_to_fd(socket.as_raw_fd(), skip),
            // At most the slice's size (u32): far below 2^53.
            |sent| sent as i64,
        ))
    }

    /// Sends `head`, the slice and `tail` on the calling thread, as far as it can without
    /// blocking it: nothing unless every page of the slice is in the page cache
    /// (cachestat(2)), then in order until all is sent, the socket is full or 2 MiB of the
    /// slice went out, corked so they leave in full segments. Returns the bytes sent,
    /// counting `head` first; the caller sends the rest (the slice's with
    /// `sendTo(fd, skip)`). Saves the thread-pool round trip for the common case: a reader
    /// near the log end.
    #[napi]
    pub fn try_send_to(&self, env: &Env, fd: i32, head: &[u8], tail: &[u8]) -> napi::Result<i64> {
        // The slices borrow the JS Buffers' memory for the duration of the call.
        guard(|| self.inner.send_cached_nonblocking(fd, head, tail))
            // At most the slice (u32) plus two response fragments: far below 2^53.
            .map(|n| n as i64)
            .map_err(|e| js_error(*env, &e))
    }

    /// Copies the slice's bytes from byte `skip` on into `dest` from `destOffset` (as many as
    /// fit) on the calling thread, only if they are all in the page cache (cachestat): the
    /// TLS listeners' path, which encrypts records in user space and reads them into a
    /// buffer it reuses. Returns the bytes copied; 0 when they are not cached (the caller
    /// then reads with `toBuffer`, off the loop) or none are left from `skip`.
    #[napi]
    pub fn try_read_into(
        &self,
        env: &Env,
        mut dest: BufferSlice,
        dest_offset: u32,
        skip: u32,
    ) -> napi::Result<u32> {
        let dest: &mut [u8] = &mut dest;
        let from = (dest_offset as usize).min(dest.len());
        // The slice borrows the JS Buffer's memory for the duration of the call.
        guard(|| self.inner.read_cached_into(skip, &mut dest[from..]))
            // At most the slice's size (u32).
            .map(|n| n as u32)
            .map_err(|e| js_error(*env, &e))
    }

    /// Copies the slice into a new Buffer with pread (the path when sendfile cannot be used).
    #[napi(ts_return_type = "Promise<Buffer>")]
    pub fn to_buffer(&self) -> AsyncTask<StorageTask<Vec<u8>, Buffer>> {
        let slice = self.inner.clone();
        StorageTask::new(move || slice.read_to_vec(), Buffer::from)
    }
}

/// One cleaning pass's settings (Kafka's topic configs and the cleaner checkpoint).
#[napi(object)]
#[derive(Clone, Copy)]
pub struct BindingCleanOptions {
    /// The cleaner checkpoint (first offset not cleaned yet); -1 when there is none.
    pub checkpoint_offset: i64,
    /// Never clean at or above this offset: the last stable offset (the lower of the high
    /// watermark and the first unstable offset: records of a transaction still open must not
    /// be cleaned, they would be taken as committed); none when absent.
    pub cleanable_up_to: Option<i64>,
    pub now_ms: i64,
    /// `delete.retention.ms`.
    pub delete_retention_ms: i64,
    /// `min.compaction.lag.ms`.
    pub min_compaction_lag_ms: i64,
    /// `log.cleaner.dedupe.buffer.size` (memory of the offset map); 128 MiB when absent.
    pub dedupe_buffer_bytes: Option<f64>,
    /// `producer.id.expiration.ms`: the last batch of a producer idle this long is not kept
    /// for its producer state; producers never expire when absent.
    pub producer_id_expiration_ms: Option<i64>,
}

/// What a pass did (`CleanResult`).
#[napi(object)]
pub struct BindingCleanResult {
    pub first_dirty_offset: i64,
    /// The new cleaner checkpoint, unless `aborted`.
    pub end_offset: i64,
    /// The log changed under the cleaner or it was stopped; keep the old checkpoint.
    pub aborted: bool,
    pub segments_before: i64,
    pub segments_after: i64,
    pub bytes_before: i64,
    pub bytes_after: i64,
    pub batches_read: i64,
    pub batches_removed: i64,
    pub records_read: i64,
    pub records_removed: i64,
    pub tombstones_removed: i64,
    /// Records without a key, which a compacted topic cannot hold.
    pub invalid_records_removed: i64,
    /// Records of aborted transactions removed (also counted in `recordsRemoved`).
    pub aborted_records_removed: i64,
    /// Transaction markers removed: no data of their transaction left and their delete
    /// horizon passed (also counted in `batchesRemoved`).
    pub markers_removed: i64,
    /// Batches emptied of records but kept as their producer's last (Kafka's `RETAIN_EMPTY`).
    pub empty_batches_kept: i64,
    pub offset_map_keys: i64,
    pub offset_map_utilization: f64,
    pub dirty_bytes_read: i64,
}

impl From<CleanResult> for BindingCleanResult {
    fn from(r: CleanResult) -> Self {
        let n = |v: u64| v.min(i64::MAX as u64) as i64;
        Self {
            first_dirty_offset: r.first_dirty_offset,
            end_offset: r.end_offset,
            aborted: r.aborted,
            segments_before: n(r.segments_before),
            segments_after: n(r.segments_after),
            bytes_before: n(r.bytes_before),
            bytes_after: n(r.bytes_after),
            batches_read: n(r.batches_read),
            batches_removed: n(r.batches_removed),
            records_read: n(r.records_read),
            records_removed: n(r.records_removed),
            tombstones_removed: n(r.tombstones_removed),
            invalid_records_removed: n(r.invalid_records_removed),
            aborted_records_removed: n(r.aborted_records_removed),
            markers_removed: n(r.markers_removed),
            empty_batches_kept: n(r.empty_batches_kept),
            offset_map_keys: n(r.offset_map_keys),
            offset_map_utilization: r.offset_map_utilization,
            dirty_bytes_read: n(r.dirty_bytes_read),
        }
    }
}

/// The dirty section and the sizes of the dirty ratio (`CleanableRange`).
#[napi(object)]
pub struct BindingCleanableRange {
    pub first_dirty_offset: i64,
    pub first_uncleanable_offset: i64,
    pub clean_bytes: i64,
    pub cleanable_bytes: i64,
    /// cleanableBytes / (cleanBytes + cleanableBytes).
    pub dirty_ratio: f64,
    /// Earliest first-batch timestamp of the dirty inactive segments, -1 when none.
    pub earliest_dirty_timestamp_ms: i64,
}

impl From<CleanableRange> for BindingCleanableRange {
    fn from(r: CleanableRange) -> Self {
        Self {
            first_dirty_offset: r.first_dirty_offset,
            first_uncleanable_offset: r.first_uncleanable_offset,
            clean_bytes: r.clean_bytes as i64,
            cleanable_bytes: r.cleanable_bytes as i64,
            dirty_ratio: r.dirty_ratio(),
            earliest_dirty_timestamp_ms: r.earliest_dirty_timestamp_ms.unwrap_or(-1),
        }
    }
}

/// One segment cut short by recovery on open (see `tidelog_storage::RecoveryTruncation`).
/// Paths are strings; counts of what was dropped come from batch headers (best effort:
/// `countsComplete` false means they are lower bounds).
#[napi(object)]
pub struct BindingRecoveryTruncation {
    /// The segment's `.log` file.
    pub segment: String,
    pub base_offset: i64,
    /// Byte position of the first invalid batch in the segment.
    pub position: i64,
    /// The first offset lost (the new log end offset of that segment).
    pub offset: i64,
    pub truncated_bytes: i64,
    /// Later segments deleted because they followed the damage.
    pub deleted_segments: Vec<String>,
    pub deleted_bytes: i64,
    pub dropped_batches: i64,
    pub dropped_records: i64,
    /// Largest last offset among the dropped batches, -1 if none was whole.
    pub dropped_last_offset: i64,
    pub counts_complete: bool,
    /// Stable name: `incomplete_batch`, `bad_header`, `bad_offsets`, `crc_mismatch`,
    /// `segment_too_large`.
    pub reason: String,
    /// Human-readable detail of the reason (Kafka's exception message).
    pub detail: String,
}

/// A transaction index (`.txnindex`) cut on open: a torn or invalid tail, or entries whose
/// markers the recovered log no longer holds. The broker's replay of the markers writes the
/// missing entries again (`appendAbortedTxn`).
#[napi(object)]
pub struct BindingTxnIndexRepair {
    pub path: String,
    pub dropped_bytes: i64,
    pub reason: String,
}

/// What opening the log recovered (see `BindingLog.recovery`).
#[napi(object)]
pub struct BindingLogRecovery {
    /// Segments whose batches were checked one by one (from the recovery point on).
    pub segments_recovered: u32,
    pub truncations: Vec<BindingRecoveryTruncation>,
    pub txn_index_repairs: Vec<BindingTxnIndexRepair>,
}

fn saturating_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl From<&tidelog_storage::LogRecovery> for BindingLogRecovery {
    fn from(r: &tidelog_storage::LogRecovery) -> Self {
        Self {
            segments_recovered: r.segments_recovered,
            truncations: r
                .truncations
                .iter()
                .map(|t| BindingRecoveryTruncation {
                    segment: t.segment.display().to_string(),
                    base_offset: t.base_offset,
                    position: saturating_i64(t.position),
                    offset: t.offset,
                    truncated_bytes: saturating_i64(t.truncated_bytes),
                    deleted_segments: t
                        .deleted_segments
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect(),
                    deleted_bytes: saturating_i64(t.deleted_bytes),
                    dropped_batches: saturating_i64(t.dropped.batches),
                    dropped_records: saturating_i64(t.dropped.records),
                    dropped_last_offset: t.dropped.last_offset.unwrap_or(-1),
                    counts_complete: t.dropped.complete,
                    reason: t.reason.kind().to_owned(),
                    detail: t.reason.to_string(),
                })
                .collect(),
            txn_index_repairs: r
                .txn_index_repairs
                .iter()
                .map(|t| BindingTxnIndexRepair {
                    path: t.path.display().to_string(),
                    dropped_bytes: saturating_i64(t.dropped_bytes),
                    reason: t.reason.clone(),
                })
                .collect(),
        }
    }
}

/// A leader (`Some(epoch)`) or follower (`None`) append on the libuv thread pool.
type AppendTask = AsyncTask<StorageTask<AppendInfo, BindingAppendResult>>;

impl BindingLog {
    /// The JS Buffer is referenced (not copied) until done and is patched in place (offsets,
    /// leader epoch, `LogAppendTime`).
    fn append_task(
        &self,
        origin: AppendOrigin,
        mut batches: Buffer,
        leader_epoch: Option<i32>,
        now_ms: i64,
    ) -> AppendTask {
        let log = Arc::clone(&self.log);
        StorageTask::new(
            move || {
                let bytes: &mut [u8] = &mut batches;
                log.with_log(|log| match leader_epoch {
                    Some(epoch) => log.append_from(origin, bytes, epoch, now_ms),
                    None => log.append_as_follower(bytes),
                })
            },
            Into::into,
        )
    }
}

/// One partition's log (Kafka's `UnifiedLog`), open until `close()`.
#[napi]
pub struct BindingLog {
    log: Arc<SharedLog>,
}

#[napi]
impl BindingLog {
    /// Opens or creates the log in `dir`, recovering everything from `recoveryPoint` on.
    /// Synchronous: meant for start-up.
    #[napi(factory)]
    pub fn open(
        env: &Env,
        dir: String,
        config: BindingLogConfig,
        recovery_point: i64,
    ) -> napi::Result<BindingLog> {
        guard(|| {
            Log::open(
                std::path::PathBuf::from(dir),
                config.log_config()?,
                recovery_point,
            )
        })
        .map(|log| BindingLog {
            log: Arc::new(SharedLog::new(log)),
        })
        .map_err(|e| js_error(*env, &e))
    }

    /// `open` on the libuv thread pool (start-up opens many logs at once). A bad config
    /// rejects at once with `INVALID_CONFIG`.
    #[napi(ts_return_type = "Promise<BindingLog>")]
    pub fn open_async(
        env: &Env,
        dir: String,
        config: BindingLogConfig,
        recovery_point: i64,
    ) -> napi::Result<AsyncTask<StorageTask<Log, BindingLog>>> {
        let config = config.log_config().map_err(|e| js_error(*env, &e))?;
        Ok(StorageTask::new(
            move || Log::open(std::path::PathBuf::from(dir), config, recovery_point),
            |log| BindingLog {
                log: Arc::new(SharedLog::new(log)),
            },
        ))
    }

    /// What opening the log recovered: segments checked and any truncation (with the file,
    /// position, bytes and batches dropped and why), for the broker to log and count.
    #[napi]
    pub fn recovery(&self, env: &Env) -> napi::Result<BindingLogRecovery> {
        self.log
            .with_log(|log| Ok(BindingLogRecovery::from(log.recovery())))
            .map_err(|e| js_error(*env, &e))
    }

    /// Leader append of one or more v2 batches, off the JS thread. The Buffer is patched in
    /// place with the assigned offsets and must not be modified until the promise settles.
    #[napi(ts_return_type = "Promise<BindingAppendResult>")]
    pub fn append(&self, batches: Buffer, leader_epoch: i32, now_ms: i64) -> AppendTask {
        self.append_task(AppendOrigin::Client, batches, Some(leader_epoch), now_ms)
    }

    /// Leader append of transaction markers (control batches: one COMMIT or ABORT record
    /// each, producer id and transactional bit set), off the JS thread: Kafka's
    /// `appendAsLeader` with `AppendOrigin.COORDINATOR`, the only origin allowed control
    /// batches (`append` refuses them with `INVALID_RECORD`, as Kafka does for clients).
    /// Anything else in the Buffer is checked as `append` checks it.
    #[napi(ts_return_type = "Promise<BindingAppendResult>")]
    pub fn append_as_coordinator(
        &self,
        batches: Buffer,
        leader_epoch: i32,
        now_ms: i64,
    ) -> AppendTask {
        self.append_task(
            AppendOrigin::Coordinator,
            batches,
            Some(leader_epoch),
            now_ms,
        )
    }

    /// `append` on the JS thread (cheaper for small batches: no thread hop).
    #[napi]
    pub fn append_sync(
        &self,
        env: &Env,
        mut batches: BufferSlice<'_>,
        leader_epoch: i32,
        now_ms: i64,
    ) -> napi::Result<BindingAppendResult> {
        // BufferSlice borrows the JS memory for the duration of the call (no napi reference).
        let bytes: &mut [u8] = &mut batches;
        self.log
            .with_log(|log| log.append(bytes, leader_epoch, now_ms))
            .map(Into::into)
            .map_err(|e| js_error(*env, &e))
    }

    /// Follower append keeping the batches' offsets, off the JS thread.
    #[napi(ts_return_type = "Promise<BindingAppendResult>")]
    pub fn append_as_follower(&self, batches: Buffer) -> AppendTask {
        self.append_task(AppendOrigin::Client, batches, None, 0)
    }

    /// `appendAsFollower` on the JS thread: a follower's small appends (a fetch carrying a
    /// batch or two, as a caught-up follower's do) cost less without the thread-pool hop.
    #[napi]
    pub fn append_as_follower_sync(
        &self,
        env: &Env,
        mut batches: BufferSlice<'_>,
    ) -> napi::Result<BindingAppendResult> {
        // BufferSlice borrows the JS memory for the duration of the call (no napi reference).
        let bytes: &mut [u8] = &mut batches;
        self.log
            .with_log(|log| log.append_as_follower(bytes))
            .map(Into::into)
            .map_err(|e| js_error(*env, &e))
    }

    /// Finds whole batches from `offset` (index lookup and a few header reads; no data is
    /// copied). `null` at the end of the log or at `maxOffset` (exclusive). Throws
    /// `OFFSET_OUT_OF_RANGE` outside [logStartOffset, logEndOffset].
    #[napi]
    pub fn read(
        &self,
        env: &Env,
        offset: i64,
        max_bytes: u32,
        max_offset: i64,
        min_one_message: bool,
    ) -> napi::Result<Option<BindingFileSlice>> {
        self.log
            .with_log(|log| log.read(offset, max_bytes, max_offset, min_one_message))
            .map(|s| s.map(|inner| BindingFileSlice { inner }))
            .map_err(|e| js_error(*env, &e))
    }

    /// First record with timestamp >= `timestampMs` (`ListOffsets`), or `null`.
    #[napi]
    pub fn offset_for_timestamp(
        &self,
        env: &Env,
        timestamp_ms: i64,
    ) -> napi::Result<Option<BindingTimestampOffset>> {
        self.log
            .with_log(|log| log.offset_for_timestamp(timestamp_ms))
            .map(|r| r.map(|(offset, timestamp)| BindingTimestampOffset { offset, timestamp }))
            .map_err(|e| js_error(*env, &e))
    }

    /// Record with the largest timestamp (`ListOffsets` `MAX_TIMESTAMP`), or `null`.
    #[napi]
    pub fn max_timestamp_and_offset(
        &self,
        env: &Env,
    ) -> napi::Result<Option<BindingTimestampOffset>> {
        self.log
            .with_log(|log| log.max_timestamp_and_offset())
            .map(|r| r.map(|(offset, timestamp)| BindingTimestampOffset { offset, timestamp }))
            .map_err(|e| js_error(*env, &e))
    }

    /// The batches of idempotent and transactional producers from `fromOffset` on, or, when
    /// it is `null`, in the last two segments (never below the log start offset): at most
    /// `perProducer` of each producer (its latest), plus every transaction marker (COMMIT or
    /// ABORT control batch, with `controlType` and `coordinatorEpoch`) and every batch that
    /// starts a transaction (a producer's first transactional batch after its last marker),
    /// whatever `perProducer`, in log order. Reads batch headers (and the record of each
    /// marker), on the calling thread: meant for opening a partition.
    #[napi]
    pub fn producer_batches(
        &self,
        env: &Env,
        from_offset: Option<i64>,
        per_producer: u32,
    ) -> napi::Result<Vec<BindingProducerBatch>> {
        let from = from_offset.map_or(ReadFrom::LastSegments, ReadFrom::Offset);
        self.log
            .with_log(|log| producer_batches(log, from, per_producer as usize))
            .map(|batches| {
                batches
                    .into_iter()
                    .map(|b| BindingProducerBatch {
                        producer_id: b.producer_id,
                        producer_epoch: i32::from(b.producer_epoch),
                        first_sequence: b.first_sequence,
                        last_sequence: b.last_sequence,
                        base_offset: b.base_offset,
                        last_offset: b.last_offset,
                        max_timestamp: b.max_timestamp,
                        is_transactional: b.is_transactional,
                        control_type: i32::from(b.control_type),
                        coordinator_epoch: b.coordinator_epoch,
                    })
                    .collect()
            })
            .map_err(|e| js_error(*env, &e))
    }

    /// Kafka's `updateTxnIndex`: writes an aborted transaction into the transaction index
    /// (`<base>.txnindex`) of the segment holding its marker (`lastOffset`). Idempotent: an
    /// entry with the same producerId and lastOffset is not written twice; returns whether it
    /// wrote. A marker below the first segment is ignored (false). Throws
    /// `OFFSET_OUT_OF_RANGE` for a marker at or past the log end offset, `INVALID_RECORD` for
    /// firstOffset outside [0, lastOffset] or another producer's entry at that marker.
    #[napi]
    pub fn append_aborted_txn(&self, env: &Env, txn: BindingAbortedTxn) -> napi::Result<bool> {
        self.log
            .with_log(|log| {
                log.append_aborted_txn(AbortedTxn {
                    producer_id: txn.producer_id,
                    first_offset: txn.first_offset,
                    last_offset: txn.last_offset,
                    last_stable_offset: txn.last_stable_offset,
                })
            })
            .map_err(|e| js_error(*env, &e))
    }

    /// Kafka's `collectAbortedTransactions` for a `read_committed` fetch of
    /// [fetchOffset, upperBoundOffset): every aborted transaction with lastOffset >=
    /// fetchOffset and firstOffset < upperBoundOffset, from the segment holding fetchOffset
    /// on, stopping once an entry's lastStableOffset reaches upperBoundOffset. In marker order.
    #[napi]
    pub fn aborted_txns(
        &self,
        env: &Env,
        fetch_offset: i64,
        upper_bound_offset: i64,
    ) -> napi::Result<Vec<BindingAbortedTransaction>> {
        self.log
            .with_log(|log| Ok(log.aborted_txns(fetch_offset, upper_bound_offset)))
            .map(|txns| {
                txns.into_iter()
                    .map(|t| BindingAbortedTransaction {
                        producer_id: t.producer_id,
                        first_offset: t.first_offset,
                    })
                    .collect()
            })
            .map_err(|e| js_error(*env, &e))
    }

    /// `OffsetForLeaderEpoch` (KIP-101/279).
    #[napi]
    pub fn end_offset_for_epoch(
        &self,
        env: &Env,
        epoch: i32,
    ) -> napi::Result<BindingEpochEndOffset> {
        self.log
            .with_log(|log| Ok(log.end_offset_for_epoch(epoch)))
            .map(|(leader_epoch, end_offset)| BindingEpochEndOffset {
                leader_epoch,
                end_offset,
            })
            .map_err(|e| js_error(*env, &e))
    }

    /// Removes everything from `offset` on (follower truncation).
    #[napi]
    pub fn truncate_to(&self, env: &Env, offset: i64) -> napi::Result<()> {
        self.log
            .with_log(|log| log.truncate_to(offset))
            .map_err(|e| js_error(*env, &e))
    }

    /// Raises the log start offset (`DeleteRecords`) and deletes segments wholly below it.
    #[napi]
    pub fn delete_records_before(&self, env: &Env, offset: i64) -> napi::Result<()> {
        self.log
            .with_log(|log| log.delete_records_before(offset).map(|_| ()))
            .map_err(|e| js_error(*env, &e))
    }

    /// Retention: -1 disables a limit. Returns the number of segments deleted.
    #[napi]
    pub fn delete_old_segments(
        &self,
        env: &Env,
        now_ms: i64,
        retention_ms: i64,
        retention_bytes: i64,
    ) -> napi::Result<u32> {
        self.log
            .with_log(|log| log.delete_old_segments(now_ms, retention_ms, retention_bytes))
            .map(|n| n as u32)
            .map_err(|e| js_error(*env, &e))
    }

    /// Replaces the configuration (applies from the next append).
    #[napi]
    pub fn update_config(&self, env: &Env, config: BindingLogConfig) -> napi::Result<()> {
        self.log
            .with_log(|log| log.update_config(config.log_config()?))
            .map_err(|e| js_error(*env, &e))
    }

    /// fsyncs up to the log end offset and advances the recovery point, off the JS thread.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn flush(&self) -> AsyncTask<StorageTask<(), ()>> {
        let log = Arc::clone(&self.log);
        StorageTask::new(move || log.flush(), |()| ())
    }

    /// The dirty section for cleaner checkpoint `checkpointOffset` (-1: none) and the sizes
    /// of the dirty ratio; `cleanableUpTo` bounds it (the last stable offset). Reads segment
    /// metadata only.
    #[napi]
    pub fn cleanable_range(
        &self,
        env: &Env,
        checkpoint_offset: i64,
        cleanable_up_to: i64,
        now_ms: i64,
        min_compaction_lag_ms: i64,
    ) -> napi::Result<BindingCleanableRange> {
        self.log
            .with_log(|log| {
                Ok(log.cleanable_range(
                    checkpoint_offset,
                    cleanable_up_to,
                    now_ms,
                    min_compaction_lag_ms,
                ))
            })
            .map(Into::into)
            .map_err(|e| js_error(*env, &e))
    }

    /// One compaction pass (Kafka's log cleaner) on the libuv thread pool: keeps the latest
    /// record of each key below the first uncleanable offset, rewriting inactive segments into
    /// `.cleaned` files and swapping them in. The log's lock is held only to plan and to swap,
    /// so appends and reads go on meanwhile; slices read before a swap stay valid. One clean
    /// per log at a time. Resolves with what it did; `aborted` when the log changed under it
    /// or `close()` stopped it (keep the old checkpoint then). Rejects on damage or I/O errors.
    #[napi(ts_return_type = "Promise<BindingCleanResult>")]
    pub fn clean(
        &self,
        env: &Env,
        options: BindingCleanOptions,
    ) -> napi::Result<AsyncTask<StorageTask<CleanResult, BindingCleanResult>>> {
        let dedupe = match options.dedupe_buffer_bytes {
            None => tidelog_storage::cleaner::DEDUPE_BUFFER_BYTES_DEFAULT,
            Some(b) => whole_number("dedupeBufferBytes", b, MAX_SAFE_INTEGER)
                .map_err(|e| js_error(*env, &e))? as u64,
        };
        let clean_options = CleanOptions {
            checkpoint_offset: options.checkpoint_offset,
            cleanable_up_to: options.cleanable_up_to.unwrap_or(i64::MAX),
            now_ms: options.now_ms,
            delete_retention_ms: options.delete_retention_ms.max(0),
            min_compaction_lag_ms: options.min_compaction_lag_ms.max(0),
            offset_map_entries_max: OffsetMap::entries_for_buffer_bytes(dedupe),
            producer_id_expiration_ms: options.producer_id_expiration_ms.unwrap_or(i64::MAX),
            ..CleanOptions::new(options.now_ms)
        };
        let log = Arc::clone(&self.log);
        Ok(StorageTask::new(
            move || log.clean(&clean_options),
            Into::into,
        ))
    }

    /// The log start offset alone: `state()` builds an eight-field object, and the fetch path
    /// asks for this one number several times per request.
    #[napi]
    pub fn log_start_offset(&self, env: &Env) -> napi::Result<i64> {
        self.log
            .with_log(|log| Ok(log.log_start_offset()))
            .map_err(|e| js_error(*env, &e))
    }

    #[napi]
    pub fn state(&self, env: &Env) -> napi::Result<BindingLogState> {
        self.log
            .with_log(|log| {
                Ok(BindingLogState {
                    log_start_offset: log.log_start_offset(),
                    log_end_offset: log.log_end_offset(),
                    recovery_point: log.recovery_point(),
                    size_bytes: log.size_bytes() as i64,
                    segment_count: log.segment_count() as u32,
                    latest_epoch: log.latest_epoch().unwrap_or(-1),
                    unflushed_messages: log.unflushed_messages().min(i64::MAX as u64) as i64,
                    last_flush_time_ms: log.last_flush_time_ms(),
                })
            })
            .map_err(|e| js_error(*env, &e))
    }

    /// Stops a running `clean` and waits for it (it stops within one batch), then flushes,
    /// trims the indexes and closes the files. Later calls fail with `KAFKA_STORAGE_ERROR`
    /// ("the log is closed"); closing twice is a no-op.
    #[napi]
    pub fn close(&self, env: &Env) -> napi::Result<()> {
        self.log.close().map_err(|e| js_error(*env, &e))
    }
}

/// Largest output of `decompressRecords`, whatever the caller asks (a batch inflating past
/// it is treated as corrupt: a compression bomb must not exhaust memory).
const DECOMPRESSED_MAX_BYTES: u32 = 256 * 1024 * 1024;

/// Decompresses the records section of a v2 batch compressed with Kafka codec `codec`
/// (1 gzip, 2 snappy, 3 lz4, 4 zstd; 0 copies), producing at most `maxBytes`. For clients
/// (the CLI's consumer); the broker itself never decompresses on the produce or fetch path.
#[napi]
#[allow(
    clippy::needless_pass_by_value,
    reason = "napi-rs hands JavaScript arguments over by value; `#[expect]` is not met inside the macro expansion"
)]
pub fn decompress_records(
    env: Env,
    codec: u32,
    data: BufferSlice<'_>,
    max_bytes: u32,
) -> napi::Result<Buffer> {
    guard(|| {
        let codec =
            tidelog_storage::compression::Codec::from_id(u16::try_from(codec).unwrap_or(u16::MAX))?;
        let mut out = Vec::new();
        tidelog_storage::compression::decompress(
            codec,
            &data,
            max_bytes.min(DECOMPRESSED_MAX_BYTES) as usize,
            &mut out,
        )?;
        Ok(out)
    })
    .map(Buffer::from)
    .map_err(|e| js_error(env, &e))
}

/// Compresses a batch's records section with Kafka codec `codec`, in the framing Kafka's Java
/// producer writes (gzip stream, xerial-framed snappy, LZ4 frame, zstd frame). For clients
/// building batches (the CLI's producer).
#[napi]
#[allow(
    clippy::needless_pass_by_value,
    reason = "napi-rs hands JavaScript arguments over by value; `#[expect]` is not met inside the macro expansion"
)]
pub fn compress_records(env: Env, codec: u32, data: BufferSlice<'_>) -> napi::Result<Buffer> {
    guard(|| {
        let codec =
            tidelog_storage::compression::Codec::from_id(u16::try_from(codec).unwrap_or(u16::MAX))?;
        let mut out = Vec::new();
        tidelog_storage::compression::compress(codec, &data, &mut out)?;
        Ok(out)
    })
    .map(Buffer::from)
    .map_err(|e| js_error(env, &e))
}

/// CRC32C (Castagnoli) of `data`, hardware-accelerated: the checksum of a v2 record batch
/// (over attributes..end). For clients building or checking batches in JavaScript.
#[napi(js_name = "crc32c")]
#[allow(
    clippy::needless_pass_by_value,
    reason = "napi-rs hands JavaScript arguments over by value; `#[expect]` is not met inside the macro expansion"
)]
pub fn crc32c(data: BufferSlice<'_>) -> u32 {
    crc32c::crc32c(&data)
}

/// Sets a socket's `SO_SNDBUF` and `SO_RCVBUF` (`socket.send.buffer.bytes`,
/// `socket.receive.buffer.bytes`); -1 leaves that one to the OS.
#[napi]
pub fn set_socket_buffer_sizes(
    env: Env,
    fd: i32,
    send_bytes: i32,
    receive_bytes: i32,
) -> napi::Result<()> {
    socket::set_buffer_sizes(fd, send_bytes, receive_bytes).map_err(|e| js_error(env, &e))
}

/// Whether the kernel offers kTLS (the `tls` TCP upper layer protocol): what a TLS listener
/// would need to keep sendfile. See `socket::kernel_tls_available`.
#[napi]
pub fn kernel_tls_available() -> bool {
    socket::kernel_tls_available()
}

/// Shuts a socket down both ways (`shutdown(2)`): a `sendTo` still running through its own
/// copy of the descriptor fails at once, and the peer sees the end of the stream, which
/// closing the descriptor alone does not do while that copy is open.
#[napi]
pub fn shut_down_socket(env: Env, fd: i32) -> napi::Result<()> {
    socket::shut_down(fd).map_err(|e| js_error(env, &e))
}

/// The exclusive lock on one log directory (`<dir>/.lock`), held until `release()` or until
/// the process ends. A directory another process holds throws an `Error` whose `code` is
/// `'LOG_DIR_LOCKED'` and whose `holderPid` is the holder's pid when known; any other failure
/// throws with `code` `'LOG_DIR_LOCK_FAILED'`.
#[napi]
pub struct BindingLogDirLock {
    inner: Option<tidelog_storage::LogDirLock>,
}

#[napi]
impl BindingLogDirLock {
    #[napi(factory)]
    #[allow(
        clippy::needless_pass_by_value,
        reason = "napi-rs hands JavaScript arguments over by value; `#[expect]` is not met inside the macro expansion"
    )]
    pub fn acquire(env: Env, dir: String) -> napi::Result<Self> {
        use tidelog_storage::LogDirLockError;
        match tidelog_storage::LogDirLock::try_lock(std::path::Path::new(&dir)) {
            Ok(lock) => Ok(Self { inner: Some(lock) }),
            Err(e) => {
                let (code, holder) = match &e {
                    LogDirLockError::Held { holder_pid, .. } => ("LOG_DIR_LOCKED", *holder_pid),
                    LogDirLockError::Io { .. } => ("LOG_DIR_LOCK_FAILED", None),
                };
                let mut obj =
                    env.create_error(napi::Error::new(Status::GenericFailure, e.to_string()))?;
                obj.set_named_property("code", code)?;
                if let Some(pid) = holder {
                    obj.set_named_property("holderPid", pid)?;
                }
                Err(napi::Error::from(obj.to_unknown()))
            }
        }
    }

    /// Releases the lock; later calls do nothing.
    #[napi]
    pub fn release(&mut self) {
        self.inner.take();
    }
}
