//! Append-time validation of the records inside a producer's batch (Kafka's `LogValidator`:
//! `validateBatch`, `validateRecord`, `validateTimestamp`), run by the leader after the header
//! and CRC checks of [`crate::batch`] and before anything is written.
//!
//! A CRC only proves the bytes arrived as the producer sent them; it says nothing about
//! whether they are records. Without this walk a batch of random bytes, a gzip stream that
//! does not inflate, or codec id 7 would be stored and served, and consumers would stop at it.
//!
//! What one batch must satisfy, and the Kafka error each failure becomes:
//!
//! ```text
//! check                                                     error (code)
//! not a control batch (clients may not write them)          INVALID_RECORD (87)
//!   (AppendOrigin::Coordinator: a control batch must be one
//!   COMMIT or ABORT marker of a producer, transactional)    INVALID_RECORD (87)
//! producerId >= 0 implies baseSequence >= 0 (not markers)   INVALID_RECORD (87)
//! attribute bits 0-2 name a codec (0 none .. 4 zstd)        CORRUPT_MESSAGE (2)
//! the records section decompresses (bounded, see below)     CORRUPT_MESSAGE (2)
//! recordsCount records, each framed as below, no byte left  INVALID_RECORD (87)
//! record i has offsetDelta i                                INVALID_RECORD (87)
//! compacted topic (cleanup.policy compact): a key           INVALID_RECORD (87)
//! CreateTime topic: every timestamp but -1 within
//!   [now - message.timestamp.before.max.ms,
//!    now + message.timestamp.after.max.ms]                  INVALID_TIMESTAMP (32)
//! otherwise a batch marked LogAppendTime by the producer    INVALID_TIMESTAMP (32)
//! ```
//!
//! One record (varints zigzag, `DefaultRecord`):
//!
//! ```text
//! length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
//! keyLength varint (-1 null) | key | valueLength varint (-1 null) | value |
//! headerCount varint (>= 0) | headers: [keyLength varint (>= 0) | key |
//!                                       valueLength varint (-1 null) | value]
//! ```
//! and `length` must be exactly the bytes the fields take.
//!
//! Kafka rewrites a compressed batch whose offset deltas are not 0..n-1 (old clients) and
//! ignores them in an uncompressed one; Tidelog never rewrites a producer's batch, so it
//! refuses both (`INVALID_RECORD`): every client since message format v2 writes 0..n-1.
//!
//! Cost: an uncompressed batch is walked in place, reading only varints and skipping keys,
//! values and headers by length (no copy). A compressed batch is inflated with the codec's
//! streaming decoder, [`STREAM_CHUNK_BYTES`] at a time, into a scratch buffer the caller
//! reuses from append to append, and walked as it arrives (junk fails after the first chunk;
//! snappy, whose blocks expand at most about 21 times, is inflated whole). The compressed
//! bytes are stored as they came (never recompressed). The decompressed size is bounded by
//! [`RECORDS_DECOMPRESSED_MAX_BYTES`] (Kafka has no bound; without one a small batch could
//! inflate without limit), and a scratch buffer grown past [`SCRATCH_RETAINED_MAX_BYTES`] is
//! released after the batch. The walk also yields the records' largest timestamp, which
//! `Log::append` writes into a `CreateTime` batch's `maxTimestamp` as Kafka does.
//!
//! Followers do not run this: a follower's append copies batches the leader validated (as
//! Kafka's `appendAsFollower` skips `LogValidator`); only headers and CRCs are checked there.
//!
//! Thread-safety: free functions over byte slices and a caller-owned scratch buffer.

use std::io::Read;

use crate::batch::{
    RecordBatchHeader, TimestampType, CONTROL_FLAG_MASK, NO_TIMESTAMP, RECORD_BATCH_OVERHEAD,
    TRANSACTIONAL_FLAG_MASK,
};
use crate::compression::{Codec, Decompressor};
use crate::config::LogConfig;
use crate::control_record::read_control_record;
use crate::error::{Result, StorageError};
use crate::varint::{read_varint, read_varlong};

/// The most bytes one batch's records section may decompress to. A batch is at most
/// `max.message.bytes` compressed; 256 MiB leaves room for ratios beyond 100:1 at Kafka's
/// default 1 MiB, and is the same bound the addon's `decompressRecords` applies.
pub const RECORDS_DECOMPRESSED_MAX_BYTES: usize = 256 * 1024 * 1024;

/// Decompressed bytes read between two walks of a compressed stream: junk is refused after
/// this much inflating, not after the whole stream.
pub const STREAM_CHUNK_BYTES: usize = 64 * 1024;

/// Scratch capacity kept between appends; a larger buffer (one unusually large batch) is
/// freed after use so an idle partition does not hold it.
pub const SCRATCH_RETAINED_MAX_BYTES: usize = 4 * 1024 * 1024;

/// What validation keeps from batch to batch: the decompressed records of the batch being
/// walked and the codecs' reusable state. One per `Log`; empty between batches (its capacity
/// is kept up to [`SCRATCH_RETAINED_MAX_BYTES`]).
#[derive(Debug, Default)]
pub struct RecordsScratch {
    records: Vec<u8>,
    decompressor: Decompressor,
}

/// What the walk learned about one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordsSummary {
    /// Records walked (equals the header's `recordsCount`).
    pub records_count: i32,
    /// Largest record timestamp, `NO_TIMESTAMP` when every record has -1.
    pub max_record_timestamp: i64,
}

/// Who appends as leader (Kafka's `AppendOrigin`): a producer, or the broker itself writing
/// transaction markers (Kafka's `COORDINATOR`, the only origin allowed control batches).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendOrigin {
    Client,
    Coordinator,
}

/// Validates the records of one producer batch (`batch` is exactly one batch whose header,
/// size and CRC were already checked); see the module docs for the rules. `now_ms` is the
/// broker's clock for the timestamp bounds; `scratch` receives the decompressed records of
/// a compressed batch and is left empty.
pub fn validate_records(
    batch: &[u8],
    config: &LogConfig,
    now_ms: i64,
    scratch: &mut RecordsScratch,
) -> Result<RecordsSummary> {
    validate_records_from(AppendOrigin::Client, batch, config, now_ms, scratch)
}

/// [`validate_records`] for a batch from `origin`: with [`AppendOrigin::Coordinator`], a
/// control batch is accepted if it is one COMMIT or ABORT marker of a producer (producer id
/// set, transactional bit set, one record whose key and value Kafka's
/// `EndTransactionMarker` can read).
pub fn validate_records_from(
    origin: AppendOrigin,
    batch: &[u8],
    config: &LogConfig,
    now_ms: i64,
    scratch: &mut RecordsScratch,
) -> Result<RecordsSummary> {
    let header = RecordBatchHeader::parse(batch)?;
    debug_assert_eq!(header.size_bytes(), batch.len() as u64);
    let control = header.attributes & CONTROL_FLAG_MASK != 0;
    if control && origin == AppendOrigin::Client {
        return Err(StorageError::InvalidRecord(
            "Clients are not allowed to write control records".to_owned(),
        ));
    }
    if control {
        let marker = read_control_record(&header, batch)
            .map_err(|e| StorageError::InvalidRecord(e.to_string()))?;
        if !marker.is_end_txn_marker()
            || header.records_count != 1
            || header.producer_id < 0
            || header.attributes & TRANSACTIONAL_FLAG_MASK == 0
        {
            return Err(StorageError::InvalidRecord(format!(
                "a control batch appended as leader must be one transaction marker of a producer (type {}, {} records, producer {})",
                marker.control_type, header.records_count, header.producer_id
            )));
        }
    } else if header.producer_id >= 0 && header.base_sequence < 0 {
        return Err(StorageError::InvalidRecord(format!(
            "Invalid sequence number {} in record batch with producerId {}",
            header.base_sequence, header.producer_id
        )));
    }
    let codec = Codec::from_id(header.compression())?;
    let section = &batch[RECORD_BATCH_OVERHEAD..];
    if codec == Codec::None {
        return walk_records(&header, section, config, now_ms);
    }
    if codec == Codec::Lz4 && !lz4_frame_ends_with_end_mark(section) {
        return Err(StorageError::CorruptMessage(
            "lz4 records section: the frame does not end with its EndMark (truncated)".to_owned(),
        ));
    }
    let RecordsScratch {
        records,
        decompressor,
    } = scratch;
    records.clear();
    let result = if codec == Codec::Snappy {
        // Snappy blocks expand at most about 21 times: read whole.
        decompressor
            .decompress(codec, section, RECORDS_DECOMPRESSED_MAX_BYTES, records)
            .and_then(|()| walk_records(&header, records, config, now_ms))
    } else {
        let reader = decompressor
            .reader(codec, section)?
            .expect("gzip, lz4 and zstd stream");
        walk_stream(&header, codec, reader, records, config, now_ms)
    };
    records.clear();
    if records.capacity() > SCRATCH_RETAINED_MAX_BYTES {
        *records = Vec::new();
    }
    result
}

/// Whether an LZ4 frame ends as the format requires: a zero `EndMark` (4 bytes), then the
/// 4-byte content checksum if the frame descriptor's FLG (byte 4) has bit 2 set. The decoder
/// we use treats end of input before the `EndMark` as the end of the stream, which Kafka's
/// `KafkaLZ4BlockInputStream` and librdkafka do not, so a truncated frame is refused here.
fn lz4_frame_ends_with_end_mark(section: &[u8]) -> bool {
    let Some(&flg) = section.get(4) else {
        return false;
    };
    let tail_bytes = if flg & 0x04 != 0 { 8 } else { 4 };
    section.len() >= 7 + tail_bytes
        && section[section.len() - tail_bytes..section.len() - tail_bytes + 4] == [0, 0, 0, 0]
}

fn invalid(what: impl std::fmt::Display) -> StorageError {
    StorageError::InvalidRecord(what.to_string())
}

/// Skips a length-prefixed field: -1 is null when `nullable`, any other negative is invalid.
/// Returns whether the field was present (not null).
fn skip_bytes(b: &[u8], at: &mut usize, nullable: bool) -> Option<bool> {
    let length = read_varint(b, at)?;
    if length < 0 {
        return (nullable && length == -1).then_some(false);
    }
    let end = at.checked_add(length as usize)?;
    if end > b.len() {
        return None;
    }
    *at = end;
    Some(true)
}

/// The fields of one record the checks need.
struct RecordFields {
    timestamp_delta: i64,
    offset_delta: i32,
    has_key: bool,
}

/// Parses one record body (everything after its length), or `None` if the fields do not
/// take exactly `body.len()` bytes.
fn parse_body(body: &[u8]) -> Option<RecordFields> {
    let mut at = 1; // attributes (unused in v2)
    if body.is_empty() {
        return None;
    }
    let timestamp_delta = read_varlong(body, &mut at)?;
    let offset_delta = read_varint(body, &mut at)?;
    let has_key = skip_bytes(body, &mut at, true)?;
    skip_bytes(body, &mut at, true)?; // value
    let header_count = read_varint(body, &mut at)?;
    if header_count < 0 {
        return None;
    }
    for _ in 0..header_count {
        skip_bytes(body, &mut at, false)?; // header key: never null
        skip_bytes(body, &mut at, true)?; // header value
    }
    (at == body.len()).then_some(RecordFields {
        timestamp_delta,
        offset_delta,
        has_key,
    })
}

/// Where a walk over a records section stands; fed the section whole (uncompressed) or as
/// it is decompressed, chunk by chunk, so a stream whose first records are junk is refused
/// without inflating the rest.
struct Walk<'h> {
    header: &'h RecordBatchHeader,
    /// Records walked so far.
    index: i32,
    /// Byte position of the next record in the section.
    at: usize,
    max_record_timestamp: i64,
}

/// Whether a walk needs more of the section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    NeedMore,
    /// All `recordsCount` records walked (bytes may remain: the caller decides).
    Done,
}

impl<'h> Walk<'h> {
    fn new(header: &'h RecordBatchHeader) -> Self {
        Self {
            header,
            index: 0,
            at: 0,
            max_record_timestamp: NO_TIMESTAMP,
        }
    }

    /// Walks the whole records of `records` (the section so far) from where the walk stands.
    /// `complete`: no more bytes will come, so a record cut short is an error, not a wait.
    fn advance(
        &mut self,
        records: &[u8],
        complete: bool,
        config: &LogConfig,
        now_ms: i64,
    ) -> Result<Progress> {
        let header = self.header;
        let count = header.records_count;
        let log_append_time_batch = header.timestamp_type() == TimestampType::LogAppendTime;
        let create_time_topic = config.message_timestamp_type == TimestampType::CreateTime;
        while self.index < count {
            let i = self.index;
            let rest = records.len() - self.at;
            if rest == 0 {
                if complete {
                    return Err(invalid(format!(
                        "Incorrect declared batch size, premature EOF reached: the batch declares {count} records but holds {i}"
                    )));
                }
                return Ok(Progress::NeedMore);
            }
            let mut at = self.at;
            let Some(length) = read_varint(records, &mut at) else {
                if !complete && rest < 10 {
                    return Ok(Progress::NeedMore); // a varint may be cut short
                }
                return Err(invalid(format!(
                    "Found invalid record structure: record {i} has no valid length"
                )));
            };
            if length < 0 {
                return Err(invalid(format!(
                    "Found invalid record structure: record {i} has length {length}"
                )));
            }
            let end = at.saturating_add(length as usize);
            if end > records.len() {
                if !complete {
                    return Ok(Progress::NeedMore);
                }
                return Err(invalid(format!(
                    "Invalid record size: expected {length} bytes in record payload of record {i}, but only {} remain",
                    records.len() - at
                )));
            }
            let RecordFields {
                timestamp_delta,
                offset_delta,
                has_key,
            } = parse_body(&records[at..end]).ok_or_else(|| {
                invalid(format!(
                    "Found invalid record structure: record {i}'s fields do not fill its {length} bytes"
                ))
            })?;
            if offset_delta != i {
                return Err(invalid(format!(
                    "Record {i} has offset delta {offset_delta}; a producer's batch numbers its records 0, 1, 2, ..."
                )));
            }
            if config.compacted && !has_key {
                return Err(invalid(format!(
                    "Compacted topic cannot accept message without key (record {i})"
                )));
            }
            let timestamp = if log_append_time_batch {
                header.max_timestamp
            } else {
                header.base_timestamp.wrapping_add(timestamp_delta)
            };
            check_timestamp(
                timestamp,
                header,
                i,
                config,
                create_time_topic,
                log_append_time_batch,
                now_ms,
            )?;
            self.max_record_timestamp = self.max_record_timestamp.max(timestamp);
            self.at = end;
            self.index += 1;
        }
        Ok(Progress::Done)
    }

    /// Done, and `remaining_bytes` more followed the last declared record.
    fn refuse_leftover(&self, remaining_bytes: usize) -> Result<RecordsSummary> {
        if remaining_bytes > 0 {
            return Err(invalid(format!(
                "Incorrect declared batch size, records still remaining in file: {remaining_bytes} bytes after the {} declared records",
                self.header.records_count
            )));
        }
        Ok(RecordsSummary {
            records_count: self.header.records_count,
            max_record_timestamp: self.max_record_timestamp,
        })
    }
}

/// Walks a whole (uncompressed) records section in place.
fn walk_records(
    header: &RecordBatchHeader,
    records: &[u8],
    config: &LogConfig,
    now_ms: i64,
) -> Result<RecordsSummary> {
    let mut walk = Walk::new(header);
    let progress = walk.advance(records, true, config, now_ms)?;
    debug_assert_eq!(progress, Progress::Done);
    walk.refuse_leftover(records.len() - walk.at)
}

/// Decompresses a records section chunk by chunk into `records` (at most
/// [`RECORDS_DECOMPRESSED_MAX_BYTES`]), walking each chunk's whole records as it arrives;
/// after the last declared record the stream must end (read to its end, so gzip's CRC and
/// length trailer are checked).
fn walk_stream(
    header: &RecordBatchHeader,
    codec: Codec,
    mut reader: impl Read,
    records: &mut Vec<u8>,
    config: &LogConfig,
    now_ms: i64,
) -> Result<RecordsSummary> {
    let corrupt = |e: std::io::Error| {
        StorageError::CorruptMessage(format!("{} records section: {e}", codec.name()))
    };
    let mut walk = Walk::new(header);
    loop {
        let want = STREAM_CHUNK_BYTES.min(RECORDS_DECOMPRESSED_MAX_BYTES + 1 - records.len());
        let read = (&mut reader)
            .take(want as u64)
            .read_to_end(records)
            .map_err(corrupt)?;
        if records.len() > RECORDS_DECOMPRESSED_MAX_BYTES {
            return Err(StorageError::CorruptMessage(format!(
                "{} records section: expands to more than {RECORDS_DECOMPRESSED_MAX_BYTES} bytes",
                codec.name()
            )));
        }
        let complete = read < want; // a short read is the end of the stream
        if walk.advance(records, complete, config, now_ms)? == Progress::Done {
            let mut more = [0u8; 1];
            let after = (records.len() - walk.at) + reader.read(&mut more).map_err(corrupt)?;
            return walk.refuse_leftover(after);
        }
    }
}

/// Kafka's `validateTimestamp` for record `index`.
fn check_timestamp(
    timestamp: i64,
    header: &RecordBatchHeader,
    index: i32,
    config: &LogConfig,
    create_time_topic: bool,
    log_append_time_batch: bool,
    now_ms: i64,
) -> Result<()> {
    if create_time_topic && timestamp != NO_TIMESTAMP {
        let before_ms = config.message_timestamp_before_max_ms;
        let after_ms = config.message_timestamp_after_max_ms;
        let diff_ms = i128::from(now_ms) - i128::from(timestamp);
        if diff_ms > i128::from(before_ms) || -diff_ms > i128::from(after_ms) {
            return Err(StorageError::InvalidTimestamp(format!(
                "One or more records have been rejected due to invalid timestamp: Timestamp {timestamp} of message with offset {} is out of range. The timestamp should be within [{}, {}]",
                header.base_offset.wrapping_add(i64::from(index)),
                now_ms.saturating_sub(before_ms),
                now_ms.saturating_add(after_ms)
            )));
        }
    } else if log_append_time_batch {
        return Err(StorageError::InvalidTimestamp(format!(
            "One or more records have been rejected due to invalid timestamp: record {index}: Invalid timestamp type in message. Producer should not set timestamp type to LogAppendTime."
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{
        crc_of, validate_batches, Origin, ATTRIBUTES_OFFSET, CRC_OFFSET, RECORDS_COUNT_OFFSET,
    };
    use crate::cleaner_records::{build_batch, for_each_record, NewRecord};
    use crate::compression::decompress;

    const NOW_MS: i64 = 1_700_000_000_000;
    const ALL: [Codec; 5] = Codec::ALL;

    fn records(n: usize, ts: i64) -> Vec<NewRecord<'static>> {
        const HEADERS: &[(&[u8], Option<&[u8]>)] = &[(b"h", Some(b"v")), (b"n", None)];
        (0..n)
            .map(|i| NewRecord {
                timestamp: ts + i as i64,
                key: if i % 3 == 0 { None } else { Some(b"key") },
                value: if i % 5 == 4 {
                    None
                } else {
                    Some(b"some value bytes")
                },
                headers: if i % 2 == 0 { HEADERS } else { &[] },
            })
            .collect()
    }

    fn batch(codec: Codec, n: usize) -> Vec<u8> {
        build_batch(codec, TimestampType::CreateTime, &records(n, NOW_MS - 1000))
    }

    fn fix_crc(batch: &mut [u8]) {
        let crc = crc_of(batch);
        batch[CRC_OFFSET..CRC_OFFSET + 4].copy_from_slice(&crc.to_be_bytes());
    }

    fn set_batch_length(batch: &mut Vec<u8>, records: &[u8]) {
        batch.truncate(RECORD_BATCH_OVERHEAD);
        batch.extend_from_slice(records);
        let len = (batch.len() - 12) as i32;
        batch[8..12].copy_from_slice(&len.to_be_bytes());
        fix_crc(batch);
    }

    fn check(batch: &[u8]) -> Result<RecordsSummary> {
        validate_records(
            batch,
            &LogConfig::default(),
            NOW_MS,
            &mut RecordsScratch::default(),
        )
    }

    fn code(r: Result<RecordsSummary>) -> i16 {
        r.expect_err("refused").kafka_error_code()
    }

    #[test]
    fn valid_batches_of_every_codec_pass() {
        for codec in ALL {
            for n in [1, 2, 100] {
                let b = batch(codec, n);
                let s = check(&b).unwrap_or_else(|e| panic!("{codec:?} {n}: {e}"));
                assert_eq!(s.records_count, n as i32);
                assert_eq!(s.max_record_timestamp, NOW_MS - 1000 + n as i64 - 1);
            }
        }
    }

    #[test]
    fn random_record_bytes_are_invalid_record() {
        let mut b = batch(Codec::None, 3);
        let junk: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(97) ^ 0x5a).collect();
        set_batch_length(&mut b, &junk);
        assert_eq!(code(check(&b)), 87);
    }

    #[test]
    fn codec_5_6_7_are_corrupt_message() {
        for id in 5..=7u16 {
            let mut b = batch(Codec::None, 2);
            let attributes = u16::from_be_bytes([b[21], b[22]]) & !7 | id;
            b[ATTRIBUTES_OFFSET..ATTRIBUTES_OFFSET + 2].copy_from_slice(&attributes.to_be_bytes());
            fix_crc(&mut b);
            assert_eq!(code(check(&b)), 2, "codec {id}");
        }
    }

    #[test]
    fn a_stream_that_does_not_decompress_is_corrupt_message() {
        for codec in [Codec::Gzip, Codec::Snappy, Codec::Lz4, Codec::Zstd] {
            let mut b = batch(codec, 10);
            // Keep the stream's first bytes (its magic), break the rest.
            let keep = RECORD_BATCH_OVERHEAD + 4;
            let len = b.len();
            for (i, byte) in b[keep..len].iter_mut().enumerate() {
                *byte ^= 0xa5 ^ (i as u8);
            }
            fix_crc(&mut b);
            assert_eq!(code(check(&b)), 2, "{codec:?}");
            // Truncated streams too.
            let mut t = batch(codec, 10);
            let records = t[RECORD_BATCH_OVERHEAD..t.len() - 3].to_vec();
            set_batch_length(&mut t, &records);
            let e = check(&t).expect_err(&format!("truncated {codec:?}"));
            assert!(matches!(e.kafka_error_code(), 2 | 87), "{codec:?}: {e}");
        }
    }

    #[test]
    fn wrong_record_count_is_invalid_record_both_ways() {
        for codec in ALL {
            for count in [3i32, 5] {
                let mut b = batch(codec, 4);
                b[RECORDS_COUNT_OFFSET..RECORDS_COUNT_OFFSET + 4]
                    .copy_from_slice(&count.to_be_bytes());
                fix_crc(&mut b);
                let e = check(&b).expect_err("count");
                assert_eq!(e.kafka_error_code(), 87, "{codec:?} {count}: {e}");
            }
        }
    }

    #[test]
    fn offset_deltas_must_be_0_to_n_minus_1() {
        // Two records, the second claiming offset delta 0 again: rebuild by hand.
        let b = batch(Codec::None, 2);
        let mut at = RECORD_BATCH_OVERHEAD;
        let first_len = read_varint(&b, &mut at).unwrap() as usize;
        let second = at + first_len; // length varint of record 1
        let mut p = second;
        let _ = read_varint(&b, &mut p);
        let _ = b[p]; // attributes
        let mut q = p + 1;
        let _ = read_varlong(&b, &mut q);
        // offsetDelta 1 is one byte (zigzag 2); make it 0.
        assert_eq!(b[q], 2);
        let mut bad = b.clone();
        bad[q] = 0;
        fix_crc(&mut bad);
        assert_eq!(code(check(&bad)), 87);
    }

    #[test]
    fn compacted_topics_need_keys() {
        let compacted = LogConfig {
            compacted: true,
            ..LogConfig::default()
        };
        for codec in ALL {
            // records() leaves every third key null.
            let keyless = batch(codec, 3);
            let e = validate_records(&keyless, &compacted, NOW_MS, &mut RecordsScratch::default())
                .expect_err("a null key");
            assert_eq!(e.kafka_error_code(), 87, "{codec:?}: {e}");
            check(&keyless).unwrap();
            let keyed: Vec<NewRecord<'_>> = records(3, NOW_MS)
                .into_iter()
                .map(|r| NewRecord {
                    key: Some(b""),
                    ..r
                })
                .collect();
            let b = build_batch(codec, TimestampType::CreateTime, &keyed);
            validate_records(&b, &compacted, NOW_MS, &mut RecordsScratch::default())
                .expect("an empty key is a key");
        }
    }

    #[test]
    fn control_batches_and_negative_sequences_from_clients_are_invalid_record() {
        let mut b = batch(Codec::None, 1);
        b[22] |= 0x20;
        fix_crc(&mut b);
        assert_eq!(code(check(&b)), 87);
        let mut b = batch(Codec::None, 1);
        b[43..51].copy_from_slice(&7i64.to_be_bytes()); // producerId 7, baseSequence -1
        fix_crc(&mut b);
        assert_eq!(code(check(&b)), 87);
    }

    #[test]
    fn timestamps_outside_the_bounds_are_invalid_timestamp() {
        let config = LogConfig {
            message_timestamp_before_max_ms: 60_000,
            message_timestamp_after_max_ms: 1_000,
            ..LogConfig::default()
        };
        let run = |ts: i64, codec: Codec| {
            let b = build_batch(codec, TimestampType::CreateTime, &records(3, ts));
            validate_records(&b, &config, NOW_MS, &mut RecordsScratch::default())
        };
        for codec in [Codec::None, Codec::Zstd] {
            run(NOW_MS - 60_000, codec).unwrap();
            run(NOW_MS - 2, codec).unwrap(); // last record NOW_MS, first NOW_MS - 2
            assert_eq!(code(run(NOW_MS - 60_001, codec)), 32);
            assert_eq!(code(run(NOW_MS + 1_000, codec)), 32); // last is NOW + 1002
            assert_eq!(code(run(i64::MIN + 5, codec)), 32);
        }
        // -1 (no timestamp) is not checked.
        let b = build_batch(
            Codec::None,
            TimestampType::CreateTime,
            &[NewRecord {
                timestamp: -1,
                key: None,
                value: Some(b"x"),
                headers: &[],
            }],
        );
        validate_records(&b, &config, NOW_MS, &mut RecordsScratch::default()).unwrap();
        // LogAppendTime topics do not bound timestamps...
        let lat = LogConfig {
            message_timestamp_type: TimestampType::LogAppendTime,
            ..config.clone()
        };
        let old = build_batch(Codec::None, TimestampType::CreateTime, &records(2, 5));
        validate_records(&old, &lat, NOW_MS, &mut RecordsScratch::default()).unwrap();
        // ...but a producer may not mark its batch LogAppendTime.
        let marked = build_batch(Codec::None, TimestampType::LogAppendTime, &records(2, 5));
        assert_eq!(
            code(validate_records(
                &marked,
                &lat,
                NOW_MS,
                &mut RecordsScratch::default()
            )),
            32
        );
    }

    #[test]
    fn decompression_is_bounded_and_scratch_is_released() {
        let big = vec![7u8; SCRATCH_RETAINED_MAX_BYTES + 1];
        let recs = [NewRecord {
            timestamp: NOW_MS,
            key: None,
            value: Some(&big),
            headers: &[],
        }];
        let b = build_batch(Codec::Zstd, TimestampType::CreateTime, &recs);
        let mut scratch = RecordsScratch::default();
        validate_records(&b, &LogConfig::default(), NOW_MS, &mut scratch).unwrap();
        assert!(
            scratch.records.is_empty() && scratch.records.capacity() <= SCRATCH_RETAINED_MAX_BYTES
        );
        let small = batch(Codec::Gzip, 10);
        validate_records(&small, &LogConfig::default(), NOW_MS, &mut scratch).unwrap();
        assert!(
            scratch.records.capacity() > 0,
            "a small scratch buffer is kept"
        );
    }

    /// Counts the bytes a reader hands out.
    struct Counting<R> {
        inner: R,
        read_bytes: usize,
    }
    impl<R: Read> Read for Counting<R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.read_bytes += n;
            Ok(n)
        }
    }

    #[test]
    fn a_compressed_stream_is_refused_after_its_first_chunk_not_its_end() {
        // 64 MiB of zeros after nothing (a zero byte is a record of length 0: junk) and after
        // one valid record (leftover), with each streaming codec: refused having inflated
        // about one chunk, not 64 MiB.
        let zeros = vec![0u8; 64 * 1024 * 1024];
        for codec in [Codec::Gzip, Codec::Lz4, Codec::Zstd] {
            let one = batch(codec, 1);
            let header = RecordBatchHeader::parse(&one).unwrap();
            let mut plain = Vec::new();
            decompress(codec, &one[RECORD_BATCH_OVERHEAD..], 1 << 20, &mut plain).unwrap();
            for mut section in [Vec::new(), plain] {
                section.extend_from_slice(&zeros);
                let mut compressed = Vec::new();
                crate::compression::compress(codec, &section, &mut compressed).unwrap();
                let mut decompressor = Decompressor::default();
                let mut reader = Counting {
                    inner: decompressor.reader(codec, &compressed).unwrap().unwrap(),
                    read_bytes: 0,
                };
                let mut records = Vec::new();
                let e = walk_stream(
                    &header,
                    codec,
                    &mut reader,
                    &mut records,
                    &LogConfig::default(),
                    NOW_MS,
                )
                .expect_err("junk or leftover");
                assert_eq!(e.kafka_error_code(), 87, "{codec:?}: {e}");
                assert!(
                    reader.read_bytes <= 256 * 1024,
                    "{codec:?} inflated {} bytes before refusing",
                    reader.read_bytes
                );
            }
        }
    }

    /// Tiny deterministic generator (xorshift64*), so failures replay from the seed.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// An independent reading of a batch: the cleaner's record parser over the decompressed
    /// section. Whatever validation accepts must read back as exactly `recordsCount` records.
    fn reads_back_fully(batch: &[u8]) -> bool {
        let Ok(header) = RecordBatchHeader::parse(batch) else {
            return false;
        };
        let Ok(codec) = Codec::from_id(header.compression()) else {
            return false;
        };
        let mut plain = Vec::new();
        if decompress(codec, &batch[RECORD_BATCH_OVERHEAD..], 1 << 26, &mut plain).is_err() {
            return false;
        }
        let mut n = 0i64;
        let ok = for_each_record(&header, &plain, |r| {
            assert_eq!(r.offset, header.base_offset + n, "offsets are 0..n-1");
            n += 1;
            Ok(())
        })
        .is_ok();
        ok && n == i64::from(header.records_count)
    }

    /// Seeded fuzz: mutate valid batches (flip, set, insert or delete bytes after the CRC
    /// field, fix batchLength and the CRC), then the leader's checks (header, then records)
    /// must either refuse the batch or the batch must read back fully. Never a panic.
    /// `TIDELOG_FUZZ_SEED=<n>` replays another seed.
    #[test]
    fn fuzz_mutated_batches_are_refused_or_fully_parse() {
        let seed = std::env::var("TIDELOG_FUZZ_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0x7d1e_10c5_u64);
        let iterations = 4000;
        let mut rng = Rng(seed | 1);
        let mut scratch = RecordsScratch::default();
        let mut metas = Vec::new();
        let originals: Vec<Vec<u8>> = ALL
            .iter()
            .flat_map(|&c| [batch(c, 1), batch(c, 7)])
            .collect();
        let (mut refused, mut accepted) = (0u32, 0u32);
        for iteration in 0..iterations {
            let mut b = originals[rng.below(originals.len())].clone();
            for _ in 0..=rng.below(3) {
                let at = ATTRIBUTES_OFFSET + rng.below(b.len() - ATTRIBUTES_OFFSET);
                match rng.below(4) {
                    0 => b[at] ^= 1 << rng.below(8),
                    1 => b[at] = rng.next() as u8,
                    2 if at >= RECORD_BATCH_OVERHEAD => b.insert(at, rng.next() as u8),
                    3 if at >= RECORD_BATCH_OVERHEAD && b.len() > RECORD_BATCH_OVERHEAD + 1 => {
                        b.remove(at);
                    }
                    _ => b[at] = b[at].wrapping_add(1),
                }
            }
            let len = (b.len() - 12) as i32;
            b[8..12].copy_from_slice(&len.to_be_bytes());
            fix_crc(&mut b);
            let config = LogConfig::default();
            let verdict = validate_batches(&b, &config, Origin::Client, &mut metas)
                .and_then(|_| validate_records(&b, &config, NOW_MS, &mut scratch));
            match verdict {
                Err(_) => refused += 1,
                Ok(s) => {
                    accepted += 1;
                    assert!(
                        reads_back_fully(&b),
                        "seed {seed:#x} iteration {iteration}: accepted but does not read back: {b:02x?}"
                    );
                    assert_eq!(
                        s.records_count,
                        i32::from_be_bytes(b[57..61].try_into().unwrap())
                    );
                }
            }
        }
        // Both outcomes happen (mutations of timestamps, values and keys are harmless).
        assert!(
            refused > 100 && accepted > 100,
            "refused {refused}, accepted {accepted}"
        );
    }

    /// CPU cost of the walk alone (no disk, no append), in thread CPU time so other processes
    /// on a shared machine disturb it less than wall time:
    /// `cargo test -p tidelog-storage --release --lib walk_cpu_cost -- --ignored --nocapture`.
    /// Records are ProducerPerformance-like (random uppercase letters); figures are CPU seconds
    /// per GiB of uncompressed records.
    #[test]
    #[ignore = "a measurement, not a check; run by hand"]
    #[expect(
        clippy::cast_precision_loss,
        reason = "CPU seconds and byte counts far below 2^52, printed to 3 digits"
    )]
    fn walk_cpu_cost() {
        fn thread_cpu_s() -> f64 {
            let mut ts = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: clock_gettime writes one timespec through a valid, exclusive pointer.
            let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
            assert_eq!(rc, 0);
            ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
        }
        let volume_bytes = 256 * 1024 * 1024;
        let mut rng = Rng(0x9e37_79b9);
        println!("| records | batch of records | codec | walk CPU s per GiB of records | ns per record |");
        println!("| --- | --- | --- | ---: | ---: |");
        for (record_bytes, batch_bytes) in [(100, 16 * 1024), (1024, 16 * 1024), (100, 1024 * 1024)]
        {
            let values: Vec<Vec<u8>> = (0..64)
                .map(|_| {
                    (0..record_bytes)
                        .map(|_| b'A' + (rng.next() % 26) as u8)
                        .collect()
                })
                .collect();
            let per_batch = batch_bytes / record_bytes;
            let recs: Vec<NewRecord<'_>> = (0..per_batch)
                .map(|i| NewRecord {
                    timestamp: NOW_MS,
                    key: None,
                    value: Some(&values[i % values.len()]),
                    headers: &[],
                })
                .collect();
            for codec in ALL {
                if batch_bytes > 16 * 1024 && codec != Codec::None {
                    continue;
                }
                let b = build_batch(codec, TimestampType::CreateTime, &recs);
                let batches = volume_bytes / (per_batch * record_bytes);
                let mut scratch = RecordsScratch::default();
                let config = LogConfig::default();
                let start_s = thread_cpu_s();
                for _ in 0..batches {
                    validate_records(&b, &config, NOW_MS, &mut scratch).unwrap();
                }
                let cpu_s = thread_cpu_s() - start_s;
                let records = (batches * per_batch) as f64;
                let gib = (batches * per_batch * record_bytes) as f64 / f64::from(1u32 << 30);
                println!(
                    "| {record_bytes} B | {} KiB | {} | {:.3} | {:.1} |",
                    batch_bytes / 1024,
                    codec.name(),
                    cpu_s / gib,
                    cpu_s * 1e9 / records
                );
            }
        }
    }
}
