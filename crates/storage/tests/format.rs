//! Golden bytes: a v2 record batch written out by hand from Kafka's documented format
//! (<https://kafka.apache.org/documentation/#recordbatch>), with a CRC computed outside this
//! code base (Python, bitwise CRC-32C, reflected polynomial 0x82F63B78):
//!
//! ```text
//! def crc32c(data):
//!     crc = 0xFFFFFFFF
//!     for b in data:
//!         crc ^= b
//!         for _ in range(8):
//!             crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
//!     return crc ^ 0xFFFFFFFF
//! ```
//!
//! and the on-disk file names and index layouts Kafka's `DumpLogSegments` expects.

mod common;

use tidelog_storage::batch::{crc_of, RecordBatchHeader, TimestampType};
use tidelog_storage::{Log, LogConfig};

/// baseOffset 0, two records: (null key, "hello") and ("k", "world") 5 ms later.
#[rustfmt::skip]
const GOLDEN_BATCH: [u8; 86] = [
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // baseOffset: i64 = 0
    0x00, 0x00, 0x00, 0x4a,                         // batchLength: i32 = 74 (86 - 12)
    0xff, 0xff, 0xff, 0xff,                         // partitionLeaderEpoch: i32 = -1
    0x02,                                           // magic: i8 = 2
    0x37, 0xb9, 0xc2, 0xaa,                         // crc: u32 = 0x37b9c2aa (CRC-32C of attributes..end)
    0x00, 0x00,                                     // attributes: i16 = 0 (no compression, CreateTime)
    0x00, 0x00, 0x00, 0x01,                         // lastOffsetDelta: i32 = 1
    0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00, // baseTimestamp: i64 = 1700000000000
    0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x05, // maxTimestamp: i64 = 1700000000005
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // producerId: i64 = -1
    0xff, 0xff,                                     // producerEpoch: i16 = -1
    0xff, 0xff, 0xff, 0xff,                         // baseSequence: i32 = -1
    0x00, 0x00, 0x00, 0x02,                         // records count: i32 = 2
    // record 0
    0x16,                                           // length: varint 11 (zigzag 22)
    0x00,                                           // attributes: i8
    0x00,                                           // timestampDelta: varlong 0
    0x00,                                           // offsetDelta: varint 0
    0x01,                                           // keyLength: varint -1 (null)
    0x0a,                                           // valueLength: varint 5
    b'h', b'e', b'l', b'l', b'o',
    0x00,                                           // headers count: varint 0
    // record 1
    0x18,                                           // length: varint 12
    0x00,                                           // attributes
    0x0a,                                           // timestampDelta: varlong 5
    0x02,                                           // offsetDelta: varint 1
    0x02, b'k',                                     // keyLength 1, key "k"
    0x0a, b'w', b'o', b'r', b'l', b'd',             // valueLength 5, "world"
    0x00,                                           // headers count
];
const GOLDEN_CRC: u32 = 0x37b9_c2aa;

#[test]
fn crc32c_check_value() {
    // The standard CRC-32C check value.
    assert_eq!(crc32c::crc32c(b"123456789"), 0xE306_9283);
}

#[test]
fn golden_batch_parses_and_crc_agrees() {
    let h = RecordBatchHeader::parse(&GOLDEN_BATCH).unwrap();
    assert_eq!(h.base_offset, 0);
    assert_eq!(h.size_bytes(), 86);
    assert_eq!(h.partition_leader_epoch, -1);
    assert_eq!(h.magic, 2);
    assert_eq!(h.crc, GOLDEN_CRC);
    assert_eq!(h.last_offset_delta, 1);
    assert_eq!(h.base_timestamp, 1_700_000_000_000);
    assert_eq!(h.max_timestamp, 1_700_000_000_005);
    assert_eq!(h.producer_id, -1);
    assert_eq!(h.producer_epoch, -1);
    assert_eq!(h.base_sequence, -1);
    assert_eq!(h.records_count, 2);
    assert_eq!(h.timestamp_type(), TimestampType::CreateTime);
    assert_eq!(h.compression(), 0);
    assert_eq!(crc_of(&GOLDEN_BATCH), GOLDEN_CRC);
    // The test encoder produces the same bytes.
    let encoded = common::encode_batch(
        1_700_000_000_000,
        &[
            common::Rec {
                ts_delta: 0,
                key: None,
                value: b"hello",
            },
            common::Rec {
                ts_delta: 5,
                key: Some(b"k"),
                value: b"world",
            },
        ],
    );
    assert_eq!(encoded, GOLDEN_BATCH);
    // Record-level lookup walks the hand-written varints.
    assert_eq!(
        tidelog_storage::batch::first_record_at_or_after(&GOLDEN_BATCH, 1_700_000_000_001, 0),
        Some((1, 1_700_000_000_005))
    );
}

#[test]
fn golden_batch_on_disk_is_verbatim_and_indexes_are_kafkas() {
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig {
        index_interval_bytes: 0,
        ..LogConfig::default()
    };
    let mut log = Log::open(dir.path(), config, 0).unwrap();
    let mut first = GOLDEN_BATCH;
    log.append(&mut first, 7, 0).unwrap();
    let mut second = GOLDEN_BATCH;
    let info = log.append(&mut second, 7, 0).unwrap();
    assert_eq!((info.first_offset, info.last_offset), (2, 3));
    log.close().unwrap();

    let file = std::fs::read(dir.path().join("00000000000000000000.log")).unwrap();
    assert_eq!(file.len(), 172);
    // First batch: only the (CRC-excluded) leader epoch changed.
    let mut expect = GOLDEN_BATCH;
    expect[12..16].copy_from_slice(&7i32.to_be_bytes());
    assert_eq!(&file[..86], &expect);
    // Second: base offset 2, and the CRC is still the golden one.
    expect[0..8].copy_from_slice(&2i64.to_be_bytes());
    assert_eq!(&file[86..], &expect);
    assert_eq!(
        u32::from_be_bytes(file[86 + 17..86 + 21].try_into().unwrap()),
        GOLDEN_CRC
    );

    // With index.interval.bytes = 0 the second batch gets an entry: relative offset 3 (its
    // last offset), position 86. Trimmed on close.
    let index = std::fs::read(dir.path().join("00000000000000000000.index")).unwrap();
    assert_eq!(index, [0, 0, 0, 3, 0, 0, 0, 86]);
    // Time index: (1700000000005, relative offset 1) from the first batch's max, written at
    // the index entry; nothing larger came after.
    let time_index = std::fs::read(dir.path().join("00000000000000000000.timeindex")).unwrap();
    let mut te = 1_700_000_000_005i64.to_be_bytes().to_vec();
    te.extend_from_slice(&1u32.to_be_bytes());
    assert_eq!(time_index, te);
    let checkpoint = std::fs::read_to_string(dir.path().join("leader-epoch-checkpoint")).unwrap();
    assert_eq!(checkpoint, "0\n1\n7 0\n");
}
