//! Test helpers: a small v2 record batch encoder written from Kafka's documented format, and
//! log helpers. Independent of the crate's own parsing except for the CRC routine (whose
//! output the format test pins against a hand-computed constant).
#![allow(dead_code)]

use tidelog_storage::{FileSlice, Log, LogConfig};

pub fn zigzag_varint(out: &mut Vec<u8>, v: i64) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    loop {
        let byte = (z & 0x7f) as u8;
        z >>= 7;
        if z == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// One record: (timestamp delta, key, value).
pub struct Rec<'a> {
    pub ts_delta: i64,
    pub key: Option<&'a [u8]>,
    pub value: &'a [u8],
}

/// Encodes a v2 batch (uncompressed, no producer id) with base offset 0.
pub fn encode_batch(base_timestamp: i64, records: &[Rec<'_>]) -> Vec<u8> {
    encode_batch_full(0, -1, base_timestamp, 0, records)
}

pub fn encode_batch_full(
    base_offset: i64,
    leader_epoch: i32,
    base_timestamp: i64,
    attributes: i16,
    records: &[Rec<'_>],
) -> Vec<u8> {
    let mut body = Vec::new();
    let mut max_delta = 0;
    for (i, r) in records.iter().enumerate() {
        let mut rec = vec![0u8]; // attributes
        zigzag_varint(&mut rec, r.ts_delta);
        zigzag_varint(&mut rec, i as i64);
        match r.key {
            None => zigzag_varint(&mut rec, -1),
            Some(k) => {
                zigzag_varint(&mut rec, k.len() as i64);
                rec.extend_from_slice(k);
            }
        }
        zigzag_varint(&mut rec, r.value.len() as i64);
        rec.extend_from_slice(r.value);
        zigzag_varint(&mut rec, 0); // headers
        zigzag_varint(&mut body, rec.len() as i64);
        body.extend_from_slice(&rec);
        max_delta = max_delta.max(r.ts_delta);
    }
    let mut b = Vec::with_capacity(61 + body.len());
    b.extend_from_slice(&base_offset.to_be_bytes());
    b.extend_from_slice(&((49 + body.len()) as i32).to_be_bytes());
    b.extend_from_slice(&leader_epoch.to_be_bytes());
    b.push(2);
    b.extend_from_slice(&[0; 4]); // crc, below
    b.extend_from_slice(&attributes.to_be_bytes());
    b.extend_from_slice(&(records.len() as i32 - 1).to_be_bytes());
    b.extend_from_slice(&base_timestamp.to_be_bytes());
    b.extend_from_slice(&(base_timestamp + max_delta).to_be_bytes());
    b.extend_from_slice(&(-1i64).to_be_bytes());
    b.extend_from_slice(&(-1i16).to_be_bytes());
    b.extend_from_slice(&(-1i32).to_be_bytes());
    b.extend_from_slice(&(records.len() as i32).to_be_bytes());
    b.extend_from_slice(&body);
    fix_crc(&mut b);
    b
}

pub fn fix_crc(batch: &mut [u8]) {
    let crc = crc32c::crc32c(&batch[21..]);
    batch[17..21].copy_from_slice(&crc.to_be_bytes());
}

/// A batch of `n` records whose values are `value_len` bytes of `fill`, timestamps
/// `ts, ts+1, …`.
pub fn batch(n: usize, value_len: usize, ts: i64, fill: u8) -> Vec<u8> {
    let value = vec![fill; value_len];
    let recs: Vec<Rec<'_>> = (0..n)
        .map(|i| Rec {
            ts_delta: i as i64,
            key: None,
            value: &value,
        })
        .collect();
    encode_batch(ts, &recs)
}

/// `batch(n, 10, ts, b'p')` from idempotent producer `producer_id` at `epoch`, starting at
/// `base_sequence` (header offsets 43, 51 and 53).
pub fn idempotent_batch(
    n: usize,
    ts: i64,
    producer_id: i64,
    epoch: i16,
    base_sequence: i32,
) -> Vec<u8> {
    let mut b = batch(n, 10, ts, b'p');
    b[43..51].copy_from_slice(&producer_id.to_be_bytes());
    b[51..53].copy_from_slice(&epoch.to_be_bytes());
    b[53..57].copy_from_slice(&base_sequence.to_be_bytes());
    fix_crc(&mut b);
    b
}

pub fn small_config() -> LogConfig {
    LogConfig {
        segment_bytes: 4096,
        index_interval_bytes: 256,
        max_index_size_bytes: 1024,
        ..LogConfig::default()
    }
}

pub fn slice_bytes(s: &FileSlice) -> Vec<u8> {
    s.read_to_vec().unwrap()
}

/// Every batch in the log, in order, as (base offset, bytes), by reading from the log start.
pub fn read_all(log: &Log) -> Vec<(i64, Vec<u8>)> {
    let mut out = Vec::new();
    let mut offset = log.log_start_offset();
    while let Some(slice) = log.read(offset, u32::MAX, i64::MAX, true).unwrap() {
        let bytes = slice_bytes(&slice);
        let mut at = 0;
        while at < bytes.len() {
            let len = i32::from_be_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize + 12;
            let base = i64::from_be_bytes(bytes[at..at + 8].try_into().unwrap());
            out.push((base, bytes[at..at + len].to_vec()));
            at += len;
        }
        offset = slice.last_offset + 1;
    }
    out
}

pub fn base_offset_of(b: &[u8]) -> i64 {
    i64::from_be_bytes(b[0..8].try_into().unwrap())
}

pub fn last_offset_of(b: &[u8]) -> i64 {
    base_offset_of(b) + i64::from(i32::from_be_bytes(b[23..27].try_into().unwrap()))
}

/// Asserts batches are back to back in offset order with no gap from `start`.
pub fn assert_continuous(batches: &[(i64, Vec<u8>)], start: i64, end: i64) {
    let mut expect = start;
    for (base, b) in batches {
        assert_eq!(*base, expect, "offsets continue");
        expect = last_offset_of(b) + 1;
    }
    assert_eq!(expect, end);
}

/// Attribute bit 4 (`isTransactional`) and bit 5 (`isControlBatch`).
pub const TRANSACTIONAL: i16 = 0x10;
pub const CONTROL: i16 = 0x20;

/// Sets the producer fields (header offsets 43, 51, 53) and recomputes the CRC.
pub fn with_producer(mut b: Vec<u8>, producer_id: i64, epoch: i16, base_sequence: i32) -> Vec<u8> {
    b[43..51].copy_from_slice(&producer_id.to_be_bytes());
    b[51..53].copy_from_slice(&epoch.to_be_bytes());
    b[53..57].copy_from_slice(&base_sequence.to_be_bytes());
    fix_crc(&mut b);
    b
}

/// Sets the base offset (outside the CRC), for follower appends at chosen offsets.
pub fn at_offset(mut b: Vec<u8>, base_offset: i64) -> Vec<u8> {
    b[0..8].copy_from_slice(&base_offset.to_be_bytes());
    b
}

/// A transactional batch of `n` keyed records (`k0`, `k1`, … with value `value`) from
/// `producer_id`, at `base_offset`.
pub fn txn_batch(
    base_offset: i64,
    n: usize,
    producer_id: i64,
    epoch: i16,
    base_sequence: i32,
    value: &[u8],
) -> Vec<u8> {
    let keys: Vec<Vec<u8>> = (0..n).map(|i| format!("k{i}").into_bytes()).collect();
    keyed_batch(
        base_offset,
        TRANSACTIONAL,
        producer_id,
        epoch,
        base_sequence,
        &keys,
        value,
    )
}

/// A batch of records with `keys`, all with `value`, at `base_offset`, with `attributes`.
pub fn keyed_batch(
    base_offset: i64,
    attributes: i16,
    producer_id: i64,
    epoch: i16,
    base_sequence: i32,
    keys: &[Vec<u8>],
    value: &[u8],
) -> Vec<u8> {
    let recs: Vec<Rec<'_>> = keys
        .iter()
        .map(|k| Rec {
            ts_delta: 0,
            key: Some(k),
            value,
        })
        .collect();
    let b = encode_batch_full(base_offset, 0, 1_000, attributes, &recs);
    with_producer(b, producer_id, epoch, base_sequence)
}

/// A COMMIT (`commit`) or ABORT marker of `producer_id` at `base_offset`, as Kafka's
/// `MemoryRecords.withEndTransactionMarker` writes it: one record, key version 0 + type,
/// value version 0 + coordinator epoch, transactional and control bits, sequence -1.
pub fn marker_batch(
    base_offset: i64,
    producer_id: i64,
    epoch: i16,
    commit: bool,
    coordinator_epoch: i32,
) -> Vec<u8> {
    let mut key = vec![0u8, 0];
    key.extend_from_slice(&i16::from(commit).to_be_bytes());
    let mut value = vec![0u8, 0];
    value.extend_from_slice(&coordinator_epoch.to_be_bytes());
    let b = encode_batch_full(
        base_offset,
        0,
        1_000,
        TRANSACTIONAL | CONTROL,
        &[Rec {
            ts_delta: 0,
            key: Some(&key),
            value: &value,
        }],
    );
    with_producer(b, producer_id, epoch, -1)
}
