//! The v2 record batch (message format 2, KIP-98), read and patched by its header only.
//!
//! Byte layout (big-endian), from <https://kafka.apache.org/documentation/#recordbatch>:
//!
//! ```text
//! offset  size  field
//!      0     8  baseOffset             patched by the leader on append (outside the CRC)
//!      8     4  batchLength            bytes after this field: total size = batchLength + 12
//!     12     4  partitionLeaderEpoch   set by the leader on append (outside the CRC)
//!     16     1  magic                  2 (v0/v1 messages also keep magic at byte 16)
//!     17     4  crc                    CRC-32C (Castagnoli) of bytes 21..end
//!     21     2  attributes             bits 0-2 compression, 3 timestamp type,
//!                                      4 transactional, 5 control, 6 delete horizon
//!     23     4  lastOffsetDelta
//!     27     8  baseTimestamp          (Kafka's firstTimestamp)
//!     35     8  maxTimestamp
//!     43     8  producerId
//!     51     2  producerEpoch
//!     53     4  baseSequence
//!     57     4  recordsCount
//!     61     …  records (varint-framed; compressed as a whole when compression != 0)
//! ```
//!
//! The hot path touches only these 61 bytes and the CRC; it never walks records. The one
//! exception is [`first_record_at_or_after`], used by `ListOffsets` on uncompressed batches.

use crate::config::LogConfig;
use crate::error::{Result, StorageError};

pub const BASE_OFFSET_OFFSET: usize = 0;
pub const BATCH_LENGTH_OFFSET: usize = 8;
/// `Records.LOG_OVERHEAD`: baseOffset + batchLength, the bytes not counted by batchLength.
pub const LOG_OVERHEAD: usize = 12;
pub const PARTITION_LEADER_EPOCH_OFFSET: usize = 12;
pub const MAGIC_OFFSET: usize = 16;
pub const CRC_OFFSET: usize = 17;
pub const ATTRIBUTES_OFFSET: usize = 21;
pub const LAST_OFFSET_DELTA_OFFSET: usize = 23;
pub const BASE_TIMESTAMP_OFFSET: usize = 27;
pub const MAX_TIMESTAMP_OFFSET: usize = 35;
pub const PRODUCER_ID_OFFSET: usize = 43;
pub const PRODUCER_EPOCH_OFFSET: usize = 51;
pub const BASE_SEQUENCE_OFFSET: usize = 53;
pub const RECORDS_COUNT_OFFSET: usize = 57;
/// `DefaultRecordBatch.RECORD_BATCH_OVERHEAD`: size of the header, the smallest batch.
pub const RECORD_BATCH_OVERHEAD: usize = 61;
const _: () = assert!(RECORD_BATCH_OVERHEAD == RECORDS_COUNT_OFFSET + 4);
const _: () = assert!(CRC_OFFSET + 4 == ATTRIBUTES_OFFSET);
const _: () = assert!(MAGIC_OFFSET + 1 == CRC_OFFSET);

/// The only message format Tidelog stores.
pub const CURRENT_MAGIC: i8 = 2;
/// `RecordBatch.NO_TIMESTAMP`.
pub const NO_TIMESTAMP: i64 = -1;
/// `RecordBatch.NO_PARTITION_LEADER_EPOCH`.
pub const NO_PARTITION_LEADER_EPOCH: i32 = -1;
pub const COMPRESSION_CODEC_MASK: u16 = 0x07;
pub const TIMESTAMP_TYPE_MASK: u16 = 0x08;
pub const TRANSACTIONAL_FLAG_MASK: u16 = 0x10;
pub const CONTROL_FLAG_MASK: u16 = 0x20;

/// `message.timestamp.type`, and bit 3 of a batch's attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampType {
    /// The producer's timestamps are kept (attribute bit 3 clear).
    CreateTime,
    /// The broker overwrites `maxTimestamp` with its clock on append (attribute bit 3 set).
    LogAppendTime,
}

fn be_i64(b: &[u8], at: usize) -> i64 {
    i64::from_be_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}
fn be_i32(b: &[u8], at: usize) -> i32 {
    i32::from_be_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}
fn be_u32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}
fn be_u16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes(b[at..at + 2].try_into().expect("2 bytes"))
}
fn be_i16(b: &[u8], at: usize) -> i16 {
    i16::from_be_bytes(b[at..at + 2].try_into().expect("2 bytes"))
}

/// The decoded 61-byte header of a v2 record batch (Kafka's `DefaultRecordBatch` accessors).
///
/// A plain value: parsing copies the fields out, so it is `Send + Sync` and outlives the
/// buffer it came from. [`RecordBatchHeader::parse`] checks only what the header alone can
/// prove (magic, minimum length); the CRC needs the whole batch ([`crc_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordBatchHeader {
    pub base_offset: i64,
    pub batch_length: i32,
    pub partition_leader_epoch: i32,
    pub magic: i8,
    pub crc: u32,
    pub attributes: u16,
    pub last_offset_delta: i32,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub records_count: i32,
}

impl RecordBatchHeader {
    /// Reads a header from the first bytes of `b`.
    ///
    /// Errors: fewer than 17 bytes or a batch length below the v2 header size →
    /// `CorruptMessage`; magic 0 or 1 → `UnsupportedForMessageFormat`; any other magic →
    /// `CorruptMessage`.
    pub fn parse(b: &[u8]) -> Result<Self> {
        if b.len() <= MAGIC_OFFSET {
            return Err(StorageError::CorruptMessage(format!(
                "{} bytes cannot hold a record batch header",
                b.len()
            )));
        }
        let magic = b[MAGIC_OFFSET] as i8;
        if magic == 0 || magic == 1 {
            return Err(StorageError::UnsupportedForMessageFormat(format!(
                "magic {magic} (message format v{magic}); only v2 record batches are stored"
            )));
        }
        if magic != CURRENT_MAGIC {
            return Err(StorageError::CorruptMessage(format!(
                "unknown magic {magic}"
            )));
        }
        if b.len() < RECORD_BATCH_OVERHEAD {
            return Err(StorageError::CorruptMessage(format!(
                "{} bytes cannot hold a v2 batch header ({RECORD_BATCH_OVERHEAD})",
                b.len()
            )));
        }
        let batch_length = be_i32(b, BATCH_LENGTH_OFFSET);
        if batch_length < (RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) as i32 {
            return Err(StorageError::CorruptMessage(format!(
                "batch length {batch_length} is below the v2 header size"
            )));
        }
        Ok(Self {
            base_offset: be_i64(b, BASE_OFFSET_OFFSET),
            batch_length,
            partition_leader_epoch: be_i32(b, PARTITION_LEADER_EPOCH_OFFSET),
            magic,
            crc: be_u32(b, CRC_OFFSET),
            attributes: be_u16(b, ATTRIBUTES_OFFSET),
            last_offset_delta: be_i32(b, LAST_OFFSET_DELTA_OFFSET),
            base_timestamp: be_i64(b, BASE_TIMESTAMP_OFFSET),
            max_timestamp: be_i64(b, MAX_TIMESTAMP_OFFSET),
            producer_id: be_i64(b, PRODUCER_ID_OFFSET),
            producer_epoch: be_i16(b, PRODUCER_EPOCH_OFFSET),
            base_sequence: be_i32(b, BASE_SEQUENCE_OFFSET),
            records_count: be_i32(b, RECORDS_COUNT_OFFSET),
        })
    }

    /// Total bytes of the batch on disk (`sizeInBytes`): batchLength + 12.
    #[must_use]
    pub fn size_bytes(&self) -> u64 {
        self.batch_length as u64 + LOG_OVERHEAD as u64
    }

    /// `lastOffset()`: baseOffset + lastOffsetDelta.
    #[must_use]
    pub fn last_offset(&self) -> i64 {
        self.base_offset
            .saturating_add(i64::from(self.last_offset_delta))
    }

    /// `nextOffset()`.
    #[must_use]
    pub fn next_offset(&self) -> i64 {
        self.last_offset().saturating_add(1)
    }

    #[must_use]
    pub fn timestamp_type(&self) -> TimestampType {
        if self.attributes & TIMESTAMP_TYPE_MASK == 0 {
            TimestampType::CreateTime
        } else {
            TimestampType::LogAppendTime
        }
    }

    /// Compression codec id (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd).
    #[must_use]
    pub fn compression(&self) -> u16 {
        self.attributes & COMPRESSION_CODEC_MASK
    }

    #[must_use]
    pub fn is_control_batch(&self) -> bool {
        self.attributes & CONTROL_FLAG_MASK != 0
    }
}

/// CRC-32C (Castagnoli) of a whole batch as stored in its `crc` field: bytes from
/// `attributes` to the end. Hardware accelerated (SSE 4.2, or the `ARMv8` CRC instructions) by the `crc32c` crate.
#[must_use]
pub fn crc_of(batch: &[u8]) -> u32 {
    crc32c::crc32c(&batch[ATTRIBUTES_OFFSET..])
}

/// Who produced the bytes being appended; decides which checks apply (Kafka's
/// `AppendOrigin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A producer: offsets are assigned by the log; counts must match offset deltas.
    Client,
    /// A follower copying the leader: offsets are kept; they must increase.
    Replication,
}

/// What validation learned about one batch of an append; the append writes its index
/// entries from this without reading the bytes again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BatchMeta {
    /// Position of the batch inside the append buffer.
    pub position: u32,
    pub size_bytes: u32,
    pub base_offset: i64,
    pub last_offset_delta: i32,
    pub records_count: i32,
    pub max_timestamp: i64,
    pub partition_leader_epoch: i32,
}

impl BatchMeta {
    pub fn last_offset(&self) -> i64 {
        self.base_offset + i64::from(self.last_offset_delta)
    }
}

/// Totals of a validated append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AppendSummary {
    pub total_bytes: u64,
    /// Sum of `recordsCount` over the batches.
    pub records_count: u64,
    /// Sum of `lastOffsetDelta + 1`: how many offsets the append takes.
    pub offset_count: u64,
    /// Largest `maxTimestamp` and the index (into the metas) of the first batch holding it.
    pub max_timestamp: i64,
    pub max_timestamp_batch: usize,
}

/// Validates every batch of `buf` without changing it (Kafka's `analyzeAndValidateRecords`
/// plus `LogValidator.validateBatch`), filling `metas` with one entry per batch.
///
/// Checks, per batch: header present and in bounds, magic 2, CRC-32C; for `Origin::Client`,
/// size within `max_message_bytes` (a follower copies what its leader accepted whatever its
/// own limit: Kafka's `appendAsFollower` ignores the record size), `recordsCount >= 1` and
/// `lastOffsetDelta == recordsCount - 1`; for `Origin::Replication`, offsets increase.
pub(crate) fn validate_batches(
    buf: &[u8],
    config: &LogConfig,
    origin: Origin,
    metas: &mut Vec<BatchMeta>,
) -> Result<AppendSummary> {
    metas.clear();
    if buf.is_empty() {
        return Err(StorageError::CorruptMessage(
            "append of zero bytes".to_owned(),
        ));
    }
    if buf.len() > i32::MAX as usize {
        return Err(StorageError::RecordListTooLarge(format!(
            "append of {} bytes exceeds the {} bytes a segment can address",
            buf.len(),
            i32::MAX
        )));
    }
    let mut position = 0usize;
    let mut summary = AppendSummary {
        total_bytes: 0,
        records_count: 0,
        offset_count: 0,
        max_timestamp: NO_TIMESTAMP,
        max_timestamp_batch: 0,
    };
    let mut next_offset_min = i64::MIN;
    while position < buf.len() {
        let rest = &buf[position..];
        let header = RecordBatchHeader::parse(rest).map_err(|e| at_position(e, position))?;
        let size = header.size_bytes();
        if origin == Origin::Client && size > u64::from(config.max_message_bytes) {
            return Err(StorageError::MessageTooLarge(format!(
                "batch at byte {position} is {size} bytes, above max_message_bytes {}",
                config.max_message_bytes
            )));
        }
        if size > rest.len() as u64 {
            return Err(StorageError::CorruptMessage(format!(
                "batch at byte {position} claims {size} bytes but only {} remain",
                rest.len()
            )));
        }
        let batch = &rest[..size as usize];
        let crc = crc_of(batch);
        if crc != header.crc {
            return Err(StorageError::CorruptMessage(format!(
                "batch at byte {position}: CRC32C is {crc:#010x}, header says {:#010x}",
                header.crc
            )));
        }
        check_counts_and_offsets(&header, position, origin, &mut next_offset_min)?;
        if header.max_timestamp > summary.max_timestamp {
            summary.max_timestamp = header.max_timestamp;
            summary.max_timestamp_batch = metas.len();
        }
        summary.total_bytes += size;
        summary.records_count += header.records_count as u64;
        summary.offset_count += header.last_offset_delta as u64 + 1;
        metas.push(BatchMeta {
            position: position as u32,
            size_bytes: size as u32,
            base_offset: header.base_offset,
            last_offset_delta: header.last_offset_delta,
            records_count: header.records_count,
            max_timestamp: header.max_timestamp,
            partition_leader_epoch: header.partition_leader_epoch,
        });
        position += size as usize;
    }
    debug_assert_eq!(summary.total_bytes, buf.len() as u64);
    Ok(summary)
}

/// Record-count and offset rules of one batch (Kafka's `LogValidator.validateBatch` for
/// clients, `analyzeAndValidateRecords` ordering for replicas).
fn check_counts_and_offsets(
    header: &RecordBatchHeader,
    position: usize,
    origin: Origin,
    next_offset_min: &mut i64,
) -> Result<()> {
    if header.last_offset_delta < 0 {
        return Err(StorageError::InvalidRecord(format!(
            "batch at byte {position}: negative lastOffsetDelta {}",
            header.last_offset_delta
        )));
    }
    match origin {
        Origin::Client => {
            if header.records_count < 1 {
                return Err(StorageError::InvalidRecord(format!(
                        "batch at byte {position}: record count {} (a produced batch holds at least one record)",
                        header.records_count
                    )));
            }
            if i64::from(header.last_offset_delta) != i64::from(header.records_count) - 1 {
                return Err(StorageError::InvalidRecord(format!(
                    "batch at byte {position}: lastOffsetDelta {} does not match record count {}",
                    header.last_offset_delta, header.records_count
                )));
            }
        }
        Origin::Replication => {
            if header.records_count < 0 {
                return Err(StorageError::InvalidRecord(format!(
                    "batch at byte {position}: negative record count {}",
                    header.records_count
                )));
            }
            if header.base_offset < 0 || header.base_offset < *next_offset_min {
                return Err(StorageError::InvalidRecord(format!(
                        "batch at byte {position}: base offset {} is out of order (expected at least {})",
                        header.base_offset,
                        (*next_offset_min).max(0)
                    )));
            }
            *next_offset_min = header.next_offset();
        }
    }
    Ok(())
}

fn at_position(err: StorageError, position: usize) -> StorageError {
    match err {
        StorageError::CorruptMessage(m) => {
            StorageError::CorruptMessage(format!("batch at byte {position}: {m}"))
        }
        StorageError::UnsupportedForMessageFormat(m) => {
            StorageError::UnsupportedForMessageFormat(format!("batch at byte {position}: {m}"))
        }
        other => other,
    }
}

/// Sets `baseOffset` (outside the CRC).
pub(crate) fn set_base_offset(batch: &mut [u8], base_offset: i64) {
    batch[BASE_OFFSET_OFFSET..BASE_OFFSET_OFFSET + 8].copy_from_slice(&base_offset.to_be_bytes());
}

/// Sets `partitionLeaderEpoch` (outside the CRC).
pub(crate) fn set_partition_leader_epoch(batch: &mut [u8], epoch: i32) {
    batch[PARTITION_LEADER_EPOCH_OFFSET..PARTITION_LEADER_EPOCH_OFFSET + 4]
        .copy_from_slice(&epoch.to_be_bytes());
}

/// Kafka's `DefaultRecordBatch.setMaxTimestamp(LOG_APPEND_TIME, now)`: sets the timestamp
/// type bit and `maxTimestamp`, then rewrites the CRC. Like Kafka's in-place path it leaves
/// `baseTimestamp` and the record deltas alone: readers of a `LogAppendTime` batch take every
/// record's timestamp from `maxTimestamp`. Returns false when nothing needed to change.
pub(crate) fn set_log_append_time(batch: &mut [u8], now_ms: i64) -> bool {
    let attributes = be_u16(batch, ATTRIBUTES_OFFSET);
    let new_attributes = attributes | TIMESTAMP_TYPE_MASK;
    if attributes == new_attributes && be_i64(batch, MAX_TIMESTAMP_OFFSET) == now_ms {
        return false;
    }
    batch[ATTRIBUTES_OFFSET..ATTRIBUTES_OFFSET + 2].copy_from_slice(&new_attributes.to_be_bytes());
    batch[MAX_TIMESTAMP_OFFSET..MAX_TIMESTAMP_OFFSET + 8].copy_from_slice(&now_ms.to_be_bytes());
    let crc = crc_of(batch);
    batch[CRC_OFFSET..CRC_OFFSET + 4].copy_from_slice(&crc.to_be_bytes());
    true
}

/// Kafka's `DefaultRecordBatch.setMaxTimestamp(CREATE_TIME, max)` after `LogValidator` walked
/// the records: sets `maxTimestamp` to the largest record timestamp and rewrites the CRC, so a
/// header that claims another maximum (the time index and retention read it) cannot stay.
/// Returns false when it already held that value.
pub(crate) fn set_max_timestamp(batch: &mut [u8], max_timestamp_ms: i64) -> bool {
    if be_i64(batch, MAX_TIMESTAMP_OFFSET) == max_timestamp_ms {
        return false;
    }
    batch[MAX_TIMESTAMP_OFFSET..MAX_TIMESTAMP_OFFSET + 8]
        .copy_from_slice(&max_timestamp_ms.to_be_bytes());
    let crc = crc_of(batch);
    batch[CRC_OFFSET..CRC_OFFSET + 4].copy_from_slice(&crc.to_be_bytes());
    true
}

/// Reads a zigzag varint (`ByteUtils.readVarlong`), returning the value and bytes consumed.
fn read_varlong(b: &[u8]) -> Option<(i64, usize)> {
    let mut raw: u64 = 0;
    for (i, &byte) in b.iter().enumerate().take(10) {
        raw |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            let value = ((raw >> 1) as i64) ^ -((raw & 1) as i64);
            return Some((value, i + 1));
        }
    }
    None
}

/// For `ListOffsets` on an uncompressed `CreateTime` batch: the first record whose timestamp
/// is at least `target_ms` and whose offset is at least `min_offset`, as `(offset, timestamp)`.
/// Walks only each record's length, attributes, timestampDelta and offsetDelta.
///
/// Returns `None` if no record qualifies, or if the batch is compressed or malformed (callers
/// then fall back to batch granularity).
#[must_use]
pub fn first_record_at_or_after(
    batch: &[u8],
    target_ms: i64,
    min_offset: i64,
) -> Option<(i64, i64)> {
    let header = RecordBatchHeader::parse(batch).ok()?;
    if header.compression() != 0 || batch.len() as u64 != header.size_bytes() {
        return None;
    }
    let mut at = RECORD_BATCH_OVERHEAD;
    for _ in 0..header.records_count {
        let (length, n) = read_varlong(batch.get(at..)?)?;
        let body_start = at + n;
        let body_end = body_start.checked_add(usize::try_from(length).ok()?)?;
        let body = batch.get(body_start..body_end)?;
        // body: attributes i8, timestampDelta varlong, offsetDelta varint, ...
        let (ts_delta, n1) = read_varlong(body.get(1..)?)?;
        let (offset_delta, _) = read_varlong(body.get(1 + n1..)?)?;
        let timestamp = header.base_timestamp.checked_add(ts_delta)?;
        let offset = header.base_offset.checked_add(offset_delta)?;
        if timestamp >= target_ms && offset >= min_offset {
            return Some((offset, timestamp));
        }
        at = body_end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varlong_zigzag() {
        assert_eq!(read_varlong(&[0x00]), Some((0, 1)));
        assert_eq!(read_varlong(&[0x01]), Some((-1, 1)));
        assert_eq!(read_varlong(&[0x02]), Some((1, 1)));
        assert_eq!(read_varlong(&[0x96, 0x01]), Some((75, 2)));
        assert_eq!(read_varlong(&[0x80]), None);
    }
}
