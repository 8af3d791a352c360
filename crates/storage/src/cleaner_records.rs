//! The records inside a v2 batch, read and rebuilt by the log cleaner (Kafka's
//! `DefaultRecord` and the parts of `MemoryRecordsBuilder` the cleaner uses).
//!
//! Byte layout of one record (all varints zigzag-encoded, as `ByteUtils.writeVarint`):
//!
//! ```text
//! length          varint   bytes of the record after this field
//! attributes      int8     unused (0)
//! timestampDelta  varlong  record timestamp - batch baseTimestamp
//! offsetDelta     varint   record offset - batch baseOffset
//! keyLength       varint   -1 for a null key
//! key             bytes
//! valueLength     varint   -1 for a null value (a tombstone)
//! value           bytes
//! headerCount     varint
//! headers         [headerKeyLength varint, headerKey, headerValueLength varint, headerValue]
//! ```
//!
//! A batch with the delete-horizon attribute (bit 6, KIP-534) carries the horizon in its
//! `baseTimestamp`; record timestamps stay `baseTimestamp + timestampDelta` either way, so a
//! rebuilt batch re-encodes each record's `timestampDelta` against its new base and copies
//! everything after it verbatim.
//!
//! Everything here works on byte slices and is `Send + Sync`; every length read from the
//! bytes is bounds-checked, and malformed input is `CORRUPT_MESSAGE`, never a panic.

use crate::batch::{
    crc_of, RecordBatchHeader, TimestampType, ATTRIBUTES_OFFSET, BATCH_LENGTH_OFFSET,
    CONTROL_FLAG_MASK, CRC_OFFSET, CURRENT_MAGIC, LOG_OVERHEAD, RECORD_BATCH_OVERHEAD,
    TIMESTAMP_TYPE_MASK,
};
use crate::compression::{compress, Codec};
use crate::error::{Result, StorageError};
use crate::varint::{read_varint, read_varlong, write_varlong};

/// Attribute bit 6: `baseTimestamp` holds the delete horizon (KIP-534,
/// `DefaultRecordBatch.DELETE_HORIZON_FLAG_MASK`).
pub const DELETE_HORIZON_FLAG_MASK: u16 = 0x40;

/// One record, borrowed from a (decompressed) records section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordRef<'a> {
    /// Absolute offset (batch base offset + offsetDelta).
    pub offset: i64,
    /// Absolute timestamp (batch base timestamp + timestampDelta).
    pub timestamp: i64,
    pub key: Option<&'a [u8]>,
    /// `None` for a tombstone.
    pub value: Option<&'a [u8]>,
    attributes: u8,
    /// The record body from offsetDelta to the end of the headers.
    after_timestamp: &'a [u8],
}

impl RecordRef<'_> {
    /// Appends the record with its timestamp re-expressed against `base_timestamp`.
    pub fn encode_into(&self, base_timestamp: i64, out: &mut Vec<u8>) {
        let delta = self.timestamp.wrapping_sub(base_timestamp);
        let mut head = [0u8; 11];
        head[0] = self.attributes;
        let n = 1 + write_varlong(&mut head[1..], delta);
        let body_len = n + self.after_timestamp.len();
        let mut len_buf = [0u8; 10];
        let m = write_varlong(&mut len_buf, body_len as i64);
        out.extend_from_slice(&len_buf[..m]);
        out.extend_from_slice(&head[..n]);
        out.extend_from_slice(self.after_timestamp);
    }
}

/// `length` bytes at `*at` for a length read from the data (-1 is null).
#[expect(
    clippy::option_option,
    reason = "outer None: malformed; inner None: a null field"
)]
fn get_bytes<'a>(b: &'a [u8], at: &mut usize, length: i32) -> Option<Option<&'a [u8]>> {
    if length < 0 {
        return (length == -1).then_some(None);
    }
    let end = at.checked_add(length as usize)?;
    let bytes = b.get(*at..end)?;
    *at = end;
    Some(Some(bytes))
}

fn parse_record<'a>(body: &'a [u8], header: &RecordBatchHeader) -> Option<RecordRef<'a>> {
    let attributes = *body.first()?;
    let mut at = 1;
    let timestamp_delta = read_varlong(body, &mut at)?;
    let after_timestamp = &body[at..];
    let offset_delta = read_varint(body, &mut at)?;
    if offset_delta < 0 || offset_delta > header.last_offset_delta {
        return None;
    }
    let key_length = read_varint(body, &mut at)?;
    let key = get_bytes(body, &mut at, key_length)?;
    let value_length = read_varint(body, &mut at)?;
    let value = get_bytes(body, &mut at, value_length)?;
    let header_count = read_varint(body, &mut at)?;
    if header_count < 0 {
        return None;
    }
    for _ in 0..header_count {
        let key_length = read_varint(body, &mut at)?;
        if key_length < 0 {
            return None;
        }
        get_bytes(body, &mut at, key_length)?;
        let value_length = read_varint(body, &mut at)?;
        get_bytes(body, &mut at, value_length)?;
    }
    if at != body.len() {
        return None;
    }
    Some(RecordRef {
        offset: header.base_offset + i64::from(offset_delta),
        timestamp: header.base_timestamp.wrapping_add(timestamp_delta),
        key,
        value,
        attributes,
        after_timestamp,
    })
}

/// Calls `f` for each of the `header.records_count` records in `records` (the batch's
/// records section, already decompressed). Checks each record's framing, that offsets
/// increase and stay within the batch, and that no byte is left over.
pub fn for_each_record<'a>(
    header: &RecordBatchHeader,
    records: &'a [u8],
    mut f: impl FnMut(RecordRef<'a>) -> Result<()>,
) -> Result<()> {
    let bad = |what: String| {
        StorageError::CorruptMessage(format!("batch at offset {}: {what}", header.base_offset))
    };
    if header.records_count < 0 {
        return Err(bad(format!(
            "negative record count {}",
            header.records_count
        )));
    }
    let mut at = 0;
    let mut previous_offset = header.base_offset - 1;
    for i in 0..header.records_count {
        let length = read_varint(records, &mut at)
            .filter(|&l| l >= 0)
            .ok_or_else(|| bad(format!("record {i}: bad length")))?;
        let body = records
            .get(at..at + length as usize)
            .ok_or_else(|| bad(format!("record {i}: {length} bytes past the end")))?;
        let record =
            parse_record(body, header).ok_or_else(|| bad(format!("record {i} is malformed")))?;
        if record.offset <= previous_offset {
            return Err(bad(format!(
                "record {i}: offset {} does not follow {previous_offset}",
                record.offset
            )));
        }
        previous_offset = record.offset;
        at += length as usize;
        f(record)?;
    }
    if at != records.len() {
        return Err(bad(format!(
            "{} bytes after the last of {} records",
            records.len() - at,
            header.records_count
        )));
    }
    Ok(())
}

/// The batch header fields a rebuilt batch takes (Kafka's `MemoryRecordsBuilder` arguments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchFields {
    pub base_offset: i64,
    pub partition_leader_epoch: i32,
    /// Everything but the delete-horizon bit, which [`Self::delete_horizon_ms`] decides.
    pub attributes: u16,
    pub last_offset_delta: i32,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    /// `Some(horizon)`: set bit 6 and store the horizon as `baseTimestamp`.
    pub delete_horizon_ms: Option<i64>,
}

impl BatchFields {
    /// The fields of `header`, keeping its delete horizon if it has one.
    #[must_use]
    pub fn of(header: &RecordBatchHeader) -> Self {
        Self {
            base_offset: header.base_offset,
            partition_leader_epoch: header.partition_leader_epoch,
            attributes: header.attributes & !DELETE_HORIZON_FLAG_MASK,
            last_offset_delta: header.last_offset_delta,
            producer_id: header.producer_id,
            producer_epoch: header.producer_epoch,
            base_sequence: header.base_sequence,
            delete_horizon_ms: delete_horizon_ms(header),
        }
    }
}

/// The batch's delete horizon (KIP-534), if bit 6 is set.
#[must_use]
pub fn delete_horizon_ms(header: &RecordBatchHeader) -> Option<i64> {
    (header.attributes & DELETE_HORIZON_FLAG_MASK != 0).then_some(header.base_timestamp)
}

/// Encodes a v2 batch holding `records` (each carrying its absolute offset and timestamp):
/// `baseTimestamp` is the delete horizon when there is one, else the first record's
/// timestamp; `maxTimestamp` is the largest record timestamp (`CreateTime`) or
/// `log_append_time_ms` (`LogAppendTime`); the records section is compressed with the codec
/// in `fields.attributes`; the CRC covers the result. `plain` is scratch space.
pub fn encode_batch(
    fields: &BatchFields,
    records: &[RecordRef<'_>],
    log_append_time_ms: i64,
    plain: &mut Vec<u8>,
    out: &mut Vec<u8>,
) -> Result<()> {
    let codec = Codec::from_id(fields.attributes & crate::batch::COMPRESSION_CODEC_MASK)?;
    let append_time = fields.attributes & TIMESTAMP_TYPE_MASK != 0;
    let first_timestamp = records
        .first()
        .map_or(crate::batch::NO_TIMESTAMP, |r| r.timestamp);
    let base_timestamp = fields.delete_horizon_ms.unwrap_or(first_timestamp);
    let max_timestamp = if append_time {
        log_append_time_ms
    } else {
        records
            .iter()
            .map(|r| r.timestamp)
            .max()
            .unwrap_or(crate::batch::NO_TIMESTAMP)
    };
    let mut previous = fields.base_offset - 1;
    for r in records {
        assert!(
            r.offset > previous
                && r.offset - fields.base_offset <= i64::from(fields.last_offset_delta),
            "record offset {} outside batch {}+{}",
            r.offset,
            fields.base_offset,
            fields.last_offset_delta
        );
        previous = r.offset;
    }
    plain.clear();
    for r in records {
        r.encode_into(base_timestamp, plain);
    }
    let mut attributes = fields.attributes;
    if fields.delete_horizon_ms.is_some() {
        attributes |= DELETE_HORIZON_FLAG_MASK;
    }
    let start = out.len();
    out.extend_from_slice(&fields.base_offset.to_be_bytes());
    out.extend_from_slice(&[0; 4]); // batchLength, below
    out.extend_from_slice(&fields.partition_leader_epoch.to_be_bytes());
    out.push(CURRENT_MAGIC as u8);
    out.extend_from_slice(&[0; 4]); // crc, below
    out.extend_from_slice(&attributes.to_be_bytes());
    out.extend_from_slice(&fields.last_offset_delta.to_be_bytes());
    out.extend_from_slice(&base_timestamp.to_be_bytes());
    out.extend_from_slice(&max_timestamp.to_be_bytes());
    out.extend_from_slice(&fields.producer_id.to_be_bytes());
    out.extend_from_slice(&fields.producer_epoch.to_be_bytes());
    out.extend_from_slice(&fields.base_sequence.to_be_bytes());
    out.extend_from_slice(&(records.len() as i32).to_be_bytes());
    debug_assert_eq!(out.len() - start, RECORD_BATCH_OVERHEAD);
    compress(codec, plain, out)?;
    let size = out.len() - start;
    let batch_length = i32::try_from(size - LOG_OVERHEAD)
        .map_err(|_| StorageError::RecordListTooLarge(format!("rebuilt batch of {size} bytes")))?;
    out[start + BATCH_LENGTH_OFFSET..start + BATCH_LENGTH_OFFSET + 4]
        .copy_from_slice(&batch_length.to_be_bytes());
    let crc = crc_of(&out[start..]);
    out[start + CRC_OFFSET..start + CRC_OFFSET + 4].copy_from_slice(&crc.to_be_bytes());
    // Assert right after encoding: the bytes read back as the batch we meant.
    let check = RecordBatchHeader::parse(&out[start..]).expect("a batch we just encoded");
    assert_eq!(check.size_bytes(), size as u64);
    assert_eq!(check.records_count as usize, records.len());
    assert_eq!(
        check.last_offset(),
        fields.base_offset + i64::from(fields.last_offset_delta)
    );
    assert_eq!(
        check.attributes & (CONTROL_FLAG_MASK | TIMESTAMP_TYPE_MASK),
        fields.attributes & (CONTROL_FLAG_MASK | TIMESTAMP_TYPE_MASK)
    );
    debug_assert_eq!(
        &out[start + ATTRIBUTES_OFFSET..start + ATTRIBUTES_OFFSET + 2],
        &attributes.to_be_bytes()
    );
    Ok(())
}

/// Encodes the empty batch that stands for `header`'s batch once cleaning removed all its
/// records but the batch must stay for its producer state (Kafka's
/// `BatchRetention.RETAIN_EMPTY` and `DefaultRecordBatch.writeEmptyHeader`): the same base
/// and last offsets, partition leader epoch, producer id, epoch and base sequence (so the
/// last sequence, base sequence + `lastOffsetDelta`, too), timestamp type, transactional and
/// control bits; no compression, no delete horizon, 0 records, and `maxTimestamp` as both
/// timestamps. The CRC covers the result.
pub fn encode_empty_batch(header: &RecordBatchHeader, out: &mut Vec<u8>) {
    let attributes = header.attributes
        & (TIMESTAMP_TYPE_MASK | crate::batch::TRANSACTIONAL_FLAG_MASK | CONTROL_FLAG_MASK);
    let start = out.len();
    out.extend_from_slice(&header.base_offset.to_be_bytes());
    out.extend_from_slice(&((RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) as i32).to_be_bytes());
    out.extend_from_slice(&header.partition_leader_epoch.to_be_bytes());
    out.push(CURRENT_MAGIC as u8);
    out.extend_from_slice(&[0; 4]); // crc, below
    out.extend_from_slice(&attributes.to_be_bytes());
    out.extend_from_slice(&header.last_offset_delta.to_be_bytes());
    out.extend_from_slice(&header.max_timestamp.to_be_bytes());
    out.extend_from_slice(&header.max_timestamp.to_be_bytes());
    out.extend_from_slice(&header.producer_id.to_be_bytes());
    out.extend_from_slice(&header.producer_epoch.to_be_bytes());
    out.extend_from_slice(&header.base_sequence.to_be_bytes());
    out.extend_from_slice(&0i32.to_be_bytes());
    assert_eq!(out.len() - start, RECORD_BATCH_OVERHEAD);
    let crc = crc_of(&out[start..]);
    out[start + CRC_OFFSET..start + CRC_OFFSET + 4].copy_from_slice(&crc.to_be_bytes());
    // Assert right after encoding: the bytes read back as the header we meant.
    let check = RecordBatchHeader::parse(&out[start..]).expect("a header we just encoded");
    assert_eq!(check.records_count, 0);
    assert_eq!(check.last_offset(), header.last_offset());
    assert_eq!(
        (check.producer_id, check.producer_epoch, check.base_sequence),
        (
            header.producer_id,
            header.producer_epoch,
            header.base_sequence
        )
    );
    assert_eq!(check.size_bytes(), RECORD_BATCH_OVERHEAD as u64);
}

/// A record to put into a new batch with [`build_batch`] (tests, tools).
#[derive(Debug, Clone, Copy)]
pub struct NewRecord<'a> {
    pub timestamp: i64,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub headers: &'a [(&'a [u8], Option<&'a [u8]>)],
}

/// Builds a producer batch (base offset 0, no producer id, offsets 0..n) of `records` with
/// `codec`, as a client would send it. `records` must not be empty.
#[must_use]
pub fn build_batch(
    codec: Codec,
    timestamp_type: TimestampType,
    records: &[NewRecord<'_>],
) -> Vec<u8> {
    assert!(!records.is_empty(), "a produced batch has records");
    let mut bodies: Vec<Vec<u8>> = Vec::with_capacity(records.len());
    let base_timestamp = records[0].timestamp;
    for (i, r) in records.iter().enumerate() {
        let mut body = Vec::new();
        let mut buf = [0u8; 10];
        let mut put = |body: &mut Vec<u8>, v: i64| {
            let n = write_varlong(&mut buf, v);
            body.extend_from_slice(&buf[..n]);
        };
        put(&mut body, i as i64); // offsetDelta
        for field in [r.key, r.value] {
            match field {
                None => put(&mut body, -1),
                Some(b) => {
                    put(&mut body, b.len() as i64);
                    body.extend_from_slice(b);
                }
            }
        }
        put(&mut body, r.headers.len() as i64);
        for (k, v) in r.headers {
            put(&mut body, k.len() as i64);
            body.extend_from_slice(k);
            match v {
                None => put(&mut body, -1),
                Some(v) => {
                    put(&mut body, v.len() as i64);
                    body.extend_from_slice(v);
                }
            }
        }
        bodies.push(body);
    }
    let refs: Vec<RecordRef<'_>> = records
        .iter()
        .zip(&bodies)
        .enumerate()
        .map(|(i, (r, body))| RecordRef {
            offset: i as i64,
            timestamp: r.timestamp,
            key: r.key,
            value: r.value,
            attributes: 0,
            after_timestamp: body,
        })
        .collect();
    let mut attributes = codec.id();
    if timestamp_type == TimestampType::LogAppendTime {
        attributes |= TIMESTAMP_TYPE_MASK;
    }
    let fields = BatchFields {
        base_offset: 0,
        partition_leader_epoch: -1,
        attributes,
        last_offset_delta: records.len() as i32 - 1,
        producer_id: -1,
        producer_epoch: -1,
        base_sequence: -1,
        delete_horizon_ms: None,
    };
    let max_timestamp = records
        .iter()
        .map(|r| r.timestamp)
        .max()
        .unwrap_or(base_timestamp);
    let mut out = Vec::new();
    encode_batch(&fields, &refs, max_timestamp, &mut Vec::new(), &mut out)
        .expect("encoding a well-formed batch");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compression::decompress;

    type Decoded = (i64, i64, Option<Vec<u8>>, Option<Vec<u8>>);

    fn records_of(batch: &[u8]) -> Vec<Decoded> {
        let header = RecordBatchHeader::parse(batch).unwrap();
        assert_eq!(crc_of(batch), header.crc);
        let mut plain = Vec::new();
        decompress(
            Codec::from_id(header.compression()).unwrap(),
            &batch[RECORD_BATCH_OVERHEAD..],
            1 << 20,
            &mut plain,
        )
        .unwrap();
        let mut out = Vec::new();
        for_each_record(&header, &plain, |r| {
            out.push((
                r.offset,
                r.timestamp,
                r.key.map(<[u8]>::to_vec),
                r.value.map(<[u8]>::to_vec),
            ));
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn build_and_read_back_with_every_codec() {
        for codec in [
            Codec::None,
            Codec::Gzip,
            Codec::Snappy,
            Codec::Lz4,
            Codec::Zstd,
        ] {
            let h: &[(&[u8], Option<&[u8]>)] = &[(b"h", Some(b"v")), (b"n", None)];
            let recs = [
                NewRecord {
                    timestamp: 1000,
                    key: Some(b"a"),
                    value: Some(b"1"),
                    headers: h,
                },
                NewRecord {
                    timestamp: 990,
                    key: None,
                    value: Some(b""),
                    headers: &[],
                },
                NewRecord {
                    timestamp: 1005,
                    key: Some(b""),
                    value: None,
                    headers: &[],
                },
            ];
            let batch = build_batch(codec, TimestampType::CreateTime, &recs);
            let header = RecordBatchHeader::parse(&batch).unwrap();
            assert_eq!(header.compression(), codec.id());
            assert_eq!(header.max_timestamp, 1005);
            assert_eq!(header.base_timestamp, 1000);
            assert_eq!(
                records_of(&batch),
                vec![
                    (0, 1000, Some(b"a".to_vec()), Some(b"1".to_vec())),
                    (1, 990, None, Some(Vec::new())),
                    (2, 1005, Some(Vec::new()), None),
                ]
            );
        }
    }

    #[test]
    fn matches_the_tests_hand_encoder_byte_for_byte() {
        // From Kafka's format description, as crates/storage/tests/common encodes it.
        let batch = build_batch(
            Codec::None,
            TimestampType::CreateTime,
            &[NewRecord {
                timestamp: 7,
                key: Some(b"k"),
                value: Some(b"v"),
                headers: &[],
            }],
        );
        let records = &batch[RECORD_BATCH_OVERHEAD..];
        assert_eq!(records, &[16, 0, 0, 0, 2, b'k', 2, b'v', 0]);
    }

    #[test]
    fn rebuild_keeps_offsets_and_sets_the_horizon() {
        let recs: Vec<NewRecord<'_>> = (0..5)
            .map(|i| NewRecord {
                timestamp: 100 + i,
                key: Some(b"k"),
                value: if i == 3 { None } else { Some(b"v") },
                headers: &[],
            })
            .collect();
        let mut batch = build_batch(Codec::Gzip, TimestampType::CreateTime, &recs);
        batch[..8].copy_from_slice(&50i64.to_be_bytes());
        let header = RecordBatchHeader::parse(&batch).unwrap();
        let mut plain = Vec::new();
        decompress(Codec::Gzip, &batch[61..], 1 << 20, &mut plain).unwrap();
        let mut kept = Vec::new();
        for_each_record(&header, &plain, |r| {
            if r.offset == 51 || r.offset == 53 {
                kept.push(r);
            }
            Ok(())
        })
        .unwrap();
        let mut fields = BatchFields::of(&header);
        fields.delete_horizon_ms = Some(9_000);
        let mut out = Vec::new();
        encode_batch(&fields, &kept, -1, &mut Vec::new(), &mut out).unwrap();
        let h = RecordBatchHeader::parse(&out).unwrap();
        assert_eq!(
            (h.base_offset, h.last_offset(), h.records_count),
            (50, 54, 2)
        );
        assert_eq!(delete_horizon_ms(&h), Some(9_000));
        assert_eq!(h.max_timestamp, 103);
        assert_eq!(
            records_of(&out),
            vec![
                (51, 101, Some(b"k".to_vec()), Some(b"v".to_vec())),
                (53, 103, Some(b"k".to_vec()), None)
            ]
        );
    }

    #[test]
    fn an_empty_batch_keeps_the_producer_fields_and_drops_codec_and_horizon() {
        let recs: Vec<NewRecord<'_>> = (0..3)
            .map(|i| NewRecord {
                timestamp: 500 + i,
                key: Some(b"k"),
                value: Some(b"v"),
                headers: &[],
            })
            .collect();
        let mut batch = build_batch(Codec::Zstd, TimestampType::LogAppendTime, &recs);
        let mut header = RecordBatchHeader::parse(&batch).unwrap();
        header.base_offset = 40;
        header.partition_leader_epoch = 6;
        header.attributes |= crate::batch::TRANSACTIONAL_FLAG_MASK | DELETE_HORIZON_FLAG_MASK;
        header.producer_id = 77;
        header.producer_epoch = 4;
        header.base_sequence = i32::MAX - 1;
        batch.clear();
        encode_empty_batch(&header, &mut batch);
        let empty = RecordBatchHeader::parse(&batch).unwrap();
        assert_eq!(batch.len(), RECORD_BATCH_OVERHEAD);
        assert_eq!(crc_of(&batch), empty.crc);
        assert_eq!(
            (empty.base_offset, empty.last_offset(), empty.records_count),
            (40, 42, 0)
        );
        assert_eq!((empty.partition_leader_epoch, empty.producer_id), (6, 77));
        assert_eq!(
            (empty.producer_epoch, empty.base_sequence),
            (4, i32::MAX - 1)
        );
        assert_eq!(
            empty.attributes,
            TIMESTAMP_TYPE_MASK | crate::batch::TRANSACTIONAL_FLAG_MASK,
            "no codec, no delete horizon"
        );
        assert_eq!(
            (empty.base_timestamp, empty.max_timestamp),
            (header.max_timestamp, header.max_timestamp)
        );
        assert!(for_each_record(&empty, &[], |_| unreachable!()).is_ok());
    }

    #[test]
    fn malformed_records_are_corrupt() {
        let batch = build_batch(
            Codec::None,
            TimestampType::CreateTime,
            &[NewRecord {
                timestamp: 7,
                key: Some(b"k"),
                value: Some(b"v"),
                headers: &[],
            }],
        );
        let header = RecordBatchHeader::parse(&batch).unwrap();
        let good = &batch[61..];
        for i in 0..good.len() {
            for delta in [1u8, 0x7f, 0x80] {
                let mut bad = good.to_vec();
                bad[i] = bad[i].wrapping_add(delta);
                let _ = for_each_record(&header, &bad, |_| Ok(()));
            }
        }
        assert!(for_each_record(&header, &good[..good.len() - 1], |_| Ok(())).is_err());
        let mut extra = good.to_vec();
        extra.push(0);
        assert!(for_each_record(&header, &extra, |_| Ok(())).is_err());
    }
}
