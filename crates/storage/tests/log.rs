//! Behaviour of `Log`: validation, offsets, reads, rolling, retention, epochs, flush.

mod common;

use common::{assert_continuous, batch, read_all, slice_bytes, small_config};
use tidelog_storage::batch::{crc_of, RecordBatchHeader, TimestampType};
use tidelog_storage::{Log, LogConfig};

fn open(dir: &std::path::Path, config: LogConfig) -> Log {
    Log::open(dir, config, 0).unwrap()
}

#[test]
fn crc_mismatch_rejected_and_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    let good = batch(3, 10, 1000, b'a');
    let mut bad = batch(2, 10, 1000, b'b');
    let last = bad.len() - 3;
    bad[last] ^= 0x01; // a value byte
                       // Two batches in one request: the good one must not be written either (all or nothing).
    let mut req = [good.clone(), bad].concat();
    let before = req.clone();
    let err = log.append(&mut req, 0, 0).unwrap_err();
    assert_eq!(err.kafka_error_code(), 2, "{err}");
    assert_eq!(err.kafka_error_name(), "CORRUPT_MESSAGE");
    assert_eq!(
        req, before,
        "the request buffer is untouched when validation fails"
    );
    assert_eq!(log.log_end_offset(), 0);
    assert_eq!(log.size_bytes(), 0);
    assert_eq!(
        std::fs::metadata(dir.path().join("00000000000000000000.log"))
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        log.latest_epoch(),
        None,
        "no epoch recorded for a rejected append"
    );
}

#[test]
fn malformed_requests_map_to_kafka_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(
        dir.path(),
        LogConfig {
            max_message_bytes: 200,
            ..small_config()
        },
    );
    // MESSAGE_TOO_LARGE: one batch over max_message_bytes.
    let mut big = batch(1, 300, 0, b'x');
    assert_eq!(
        log.append(&mut big, 0, 0).unwrap_err().kafka_error_name(),
        "MESSAGE_TOO_LARGE"
    );
    // A follower copies what its leader accepted, whatever its own limit (Kafka's
    // appendAsFollower ignores the record size): a lower message.max.bytes on one broker must
    // not stop its replication.
    let replica_dir = tempfile::tempdir().unwrap();
    let mut replica = open(
        replica_dir.path(),
        LogConfig {
            max_message_bytes: 200,
            ..small_config()
        },
    );
    let copied = replica.append_as_follower(&big).unwrap();
    assert_eq!(copied.last_offset, 0, "{copied:?}");
    // UNSUPPORTED_FOR_MESSAGE_FORMAT: magic 1 (v1 message: offset, size, crc, magic at 16).
    let mut v1 = batch(1, 10, 0, b'x');
    v1[16] = 1;
    assert_eq!(
        log.append(&mut v1, 0, 0).unwrap_err().kafka_error_name(),
        "UNSUPPORTED_FOR_MESSAGE_FORMAT"
    );
    v1[16] = 0;
    assert_eq!(
        log.append(&mut v1, 0, 0).unwrap_err().kafka_error_code(),
        43
    );
    // CORRUPT_MESSAGE: unknown magic, truncated buffer, length below the header.
    let mut m3 = batch(1, 10, 0, b'x');
    m3[16] = 3;
    assert_eq!(log.append(&mut m3, 0, 0).unwrap_err().kafka_error_code(), 2);
    let mut cut = batch(2, 10, 0, b'x');
    cut.truncate(cut.len() - 1);
    assert_eq!(
        log.append(&mut cut, 0, 0).unwrap_err().kafka_error_code(),
        2
    );
    let mut short = batch(1, 10, 0, b'x');
    short[8..12].copy_from_slice(&20i32.to_be_bytes());
    assert_eq!(
        log.append(&mut short, 0, 0).unwrap_err().kafka_error_code(),
        2
    );
    let mut tiny = vec![0u8; 10];
    assert_eq!(
        log.append(&mut tiny, 0, 0).unwrap_err().kafka_error_code(),
        2
    );
    assert_eq!(log.append(&mut [], 0, 0).unwrap_err().kafka_error_code(), 2);
    // INVALID_RECORD: lastOffsetDelta disagreeing with the record count; zero records.
    let mut delta = batch(3, 10, 0, b'x');
    delta[23..27].copy_from_slice(&5i32.to_be_bytes());
    common::fix_crc(&mut delta);
    assert_eq!(
        log.append(&mut delta, 0, 0).unwrap_err().kafka_error_name(),
        "INVALID_RECORD"
    );
    let mut empty = batch(1, 10, 0, b'x');
    empty[57..61].copy_from_slice(&0i32.to_be_bytes());
    empty[23..27].copy_from_slice(&(-1i32).to_be_bytes());
    common::fix_crc(&mut empty);
    assert_eq!(
        log.append(&mut empty, 0, 0).unwrap_err().kafka_error_code(),
        87
    );
    assert_eq!(log.log_end_offset(), 0);
    assert_eq!(log.size_bytes(), 0);
}

#[test]
fn multiple_batches_in_one_append_get_consecutive_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    let mut req = [
        batch(3, 5, 100, b'a'),
        batch(1, 5, 300, b'b'),
        batch(4, 5, 200, b'c'),
    ]
    .concat();
    let info = log.append(&mut req, 0, 9999).unwrap();
    assert_eq!(
        (info.first_offset, info.last_offset, info.record_count),
        (0, 7, 8)
    );
    assert_eq!(info.log_end_offset, 8);
    assert_eq!(info.log_append_time_ms, -1);
    assert_eq!(info.max_timestamp, 300);
    assert_eq!(
        info.offset_of_max_timestamp, 3,
        "last offset of the batch holding the max"
    );
    assert_eq!(info.valid_bytes, req.len() as u64);
    // The caller's buffer was patched in place with the assigned offsets, CRCs still valid.
    let all = read_all(&log);
    assert_eq!(
        all.iter().map(|(b, _)| *b).collect::<Vec<_>>(),
        vec![0, 3, 4]
    );
    assert_eq!(all.concat_bytes(), req);
    for (_, b) in &all {
        assert_eq!(crc_of(b), RecordBatchHeader::parse(b).unwrap().crc);
    }
    let mut more = batch(2, 5, 400, b'd');
    let info = log.append(&mut more, 0, 0).unwrap();
    assert_eq!((info.first_offset, info.last_offset), (8, 9));
}

trait ConcatBytes {
    fn concat_bytes(&self) -> Vec<u8>;
}
impl ConcatBytes for Vec<(i64, Vec<u8>)> {
    fn concat_bytes(&self) -> Vec<u8> {
        self.iter().flat_map(|(_, b)| b.clone()).collect()
    }
}

#[test]
fn log_append_time_rewrites_timestamps_and_crc() {
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig {
        message_timestamp_type: TimestampType::LogAppendTime,
        ..small_config()
    };
    let mut log = open(dir.path(), config);
    let mut req = [batch(2, 5, 100, b'a'), batch(2, 5, 100, b'b')].concat();
    let info = log.append(&mut req, 0, 5555).unwrap();
    assert_eq!(info.log_append_time_ms, 5555);
    assert_eq!(info.max_timestamp, 5555);
    assert_eq!(info.offset_of_max_timestamp, 0);
    for (_, b) in read_all(&log) {
        let h = RecordBatchHeader::parse(&b).unwrap();
        assert_eq!(h.timestamp_type(), TimestampType::LogAppendTime);
        assert_eq!(h.max_timestamp, 5555);
        assert_eq!(
            h.base_timestamp, 100,
            "baseTimestamp untouched, as Kafka's in-place path"
        );
        assert_eq!(crc_of(&b), h.crc, "CRC recomputed");
    }
    assert_eq!(log.offset_for_timestamp(5000).unwrap(), Some((0, 5555)));
    assert_eq!(log.offset_for_timestamp(5556).unwrap(), None);
}

#[test]
fn reads_at_every_offset_inside_a_batch_return_that_batch() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(
        dir.path(),
        LogConfig {
            index_interval_bytes: 100,
            ..small_config()
        },
    );
    let mut expected = Vec::new();
    for i in 0..40 {
        let mut b = batch(1 + i % 5, 20 + i, 1000 + i as i64, i as u8);
        let info = log.append(&mut b, 0, 0).unwrap();
        expected.push((info.first_offset, info.last_offset, b));
    }
    assert!(log.segment_count() > 2);
    for (first, last, bytes) in &expected {
        for offset in *first..=*last {
            let s = log.read(offset, 1, i64::MAX, true).unwrap().unwrap();
            assert_eq!(
                (s.first_offset, s.last_offset),
                (*first, *last),
                "offset {offset}"
            );
            assert_eq!(&slice_bytes(&s), bytes);
            // Without min_one_message a too-small max_bytes returns nothing.
            assert!(log.read(offset, 1, i64::MAX, false).unwrap().is_none());
        }
    }
}

#[test]
fn read_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(
        dir.path(),
        LogConfig {
            segment_bytes: 1 << 20,
            index_interval_bytes: 64,
            ..small_config()
        },
    );
    let mut sizes = Vec::new();
    for i in 0..20 {
        let mut b = batch(2, 30, 0, i);
        log.append(&mut b, 0, 0).unwrap();
        sizes.push(b.len() as u32);
    }
    let leo = log.log_end_offset();
    assert_eq!(leo, 40);
    // Out of range / end of log.
    assert_eq!(
        log.read(41, 100, i64::MAX, true)
            .unwrap_err()
            .kafka_error_name(),
        "OFFSET_OUT_OF_RANGE"
    );
    assert_eq!(
        log.read(-1, 100, i64::MAX, true)
            .unwrap_err()
            .kafka_error_code(),
        1
    );
    assert!(log.read(40, 100, i64::MAX, true).unwrap().is_none());
    // max_offset (exclusive, e.g. high watermark): at it → None; batches crossing it excluded.
    assert!(log.read(10, 10_000, 10, true).unwrap().is_none());
    let s = log.read(0, 10_000, 10, true).unwrap().unwrap();
    assert_eq!((s.first_offset, s.last_offset), (0, 9));
    let s = log.read(0, 10_000, 11, true).unwrap().unwrap();
    assert_eq!(s.last_offset, 9, "the batch 10..=11 crosses max_offset 11");
    // max_bytes: whole batches only.
    let s = log
        .read(4, sizes[0] * 3 + 5, i64::MAX, false)
        .unwrap()
        .unwrap();
    assert_eq!(
        (s.first_offset, s.last_offset, s.size),
        (4, 9, sizes[0] * 3)
    );
    let s = log
        .read(4, sizes[0] * 3 - 1, i64::MAX, false)
        .unwrap()
        .unwrap();
    assert_eq!(s.last_offset, 7);
    // Everything.
    let s = log.read(0, u32::MAX, i64::MAX, false).unwrap().unwrap();
    assert_eq!(u64::from(s.size), log.size_bytes());
    assert_eq!(s.last_offset, 39);
}

#[test]
fn roll_by_size_keeps_offsets_continuous() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    for i in 0..100 {
        let mut b = batch(3, 100, i, (i % 256) as u8);
        log.append(&mut b, 0, 0).unwrap();
    }
    assert!(
        log.segment_count() >= 8,
        "rolled {} times",
        log.segment_count()
    );
    for seg in log.segments() {
        assert!(seg.size_bytes() <= 4096);
    }
    let bases = log.segment_base_offsets();
    for (base, name) in bases.iter().map(|b| (b, format!("{b:020}.log"))) {
        assert!(dir.path().join(&name).exists(), "{name}");
        let _ = base;
    }
    // Inactive segments' indexes are trimmed to their entries.
    let first = log.segments().next().unwrap();
    let len = std::fs::metadata(dir.path().join("00000000000000000000.index"))
        .unwrap()
        .len();
    assert_eq!(len, first.offset_index().entries() as u64 * 8);
    assert_continuous(&read_all(&log), 0, 300);
}

#[test]
fn roll_by_time_uses_first_batch_timestamp_or_append_time() {
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig {
        segment_bytes: 1 << 20,
        segment_ms: 1000,
        message_timestamp_type: TimestampType::LogAppendTime,
        ..small_config()
    };
    let mut log = open(dir.path(), config);
    let mut now = 10_000;
    for _ in 0..5 {
        let mut b = batch(1, 10, 0, 0);
        log.append(&mut b, 0, now).unwrap();
        now += 300;
    }
    // 10_000 .. 11_200: the batch at 11_200 is more than 1000 ms after 10_000.
    assert_eq!(log.segment_base_offsets(), vec![0, 4]);
    let mut b = batch(1, 10, 0, 0);
    log.append(&mut b, 0, now + 5000).unwrap();
    assert_eq!(log.segment_base_offsets(), vec![0, 4, 5]);
    assert_continuous(&read_all(&log), 0, 6);

    // CreateTime: the batch timestamps decide, not the clock.
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(
        dir.path(),
        LogConfig {
            segment_bytes: 1 << 20,
            segment_ms: 1000,
            ..small_config()
        },
    );
    log.append(&mut batch(1, 10, 5_000, 0), 0, 0).unwrap();
    log.append(&mut batch(1, 10, 5_900, 0), 0, 999_999).unwrap();
    assert_eq!(log.segment_count(), 1);
    log.append(&mut batch(1, 10, 6_001, 0), 0, 0).unwrap();
    assert_eq!(log.segment_base_offsets(), vec![0, 2]);
}

#[test]
fn roll_by_full_index() {
    let dir = tempfile::tempdir().unwrap();
    // 3 offset index entries, 2 time index entries (one kept for the roll).
    let config = LogConfig {
        segment_bytes: 1 << 20,
        index_interval_bytes: 0,
        max_index_size_bytes: 24,
        ..small_config()
    };
    let mut log = open(dir.path(), config);
    for i in 0..20 {
        log.append(&mut batch(1, 10, 100 + i, 0), 0, 0).unwrap();
    }
    assert!(log.segment_count() >= 5, "{:?}", log.segment_base_offsets());
    for seg in log.segments() {
        assert!(seg.offset_index().entries() <= 3);
        assert!(seg.time_index().entries() <= 2);
    }
    assert_continuous(&read_all(&log), 0, 20);
    for o in 0..20 {
        let s = log.read(o, 1, i64::MAX, true).unwrap().unwrap();
        assert_eq!(s.first_offset, o);
    }
}

#[test]
fn retention_by_size_and_time_keeps_offsets_continuous() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    for i in 0..60 {
        log.append(&mut batch(2, 100, 1000 + i * 10, 0), 0, 0)
            .unwrap();
    }
    let n = log.segment_count();
    assert!(n > 4);
    assert_eq!(log.delete_old_segments(0, -1, -1).unwrap(), 0, "unlimited");
    let total = log.size_bytes() as i64;
    let first_size = i64::from(log.segments().next().unwrap().size_bytes());
    // Size: keep at most total - first_size bytes → exactly the first segment goes.
    assert_eq!(
        log.delete_old_segments(0, -1, total - first_size).unwrap(),
        1
    );
    let start = log.log_start_offset();
    assert_eq!(start, log.segment_base_offsets()[0]);
    assert!(start > 0);
    assert_eq!(
        log.read(start - 1, 100, i64::MAX, true)
            .unwrap_err()
            .kafka_error_code(),
        1
    );
    assert_continuous(&read_all(&log), start, 120);
    // Time: segments whose largest timestamp is older than now - retention.
    let second_max = log
        .segments()
        .nth(1)
        .unwrap()
        .max_timestamp_and_offset()
        .timestamp;
    let deleted = log.delete_old_segments(second_max + 101, 100, -1).unwrap();
    assert_eq!(deleted, 2);
    assert_continuous(&read_all(&log), log.log_start_offset(), 120);
    // Never the active segment, even with zero retention.
    log.delete_old_segments(i64::MAX, 0, 0).unwrap();
    assert_eq!(log.segment_count(), 1);
    assert_eq!(log.log_start_offset(), log.segment_base_offsets()[0]);
    assert_continuous(&read_all(&log), log.log_start_offset(), 120);
    let info = log.append(&mut batch(1, 1, 0, 0), 0, 0).unwrap();
    assert_eq!(info.first_offset, 120);
}

#[test]
fn delete_records_before_raises_log_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    for _ in 0..40 {
        log.append(&mut batch(3, 100, 0, 0), 0, 0).unwrap();
    }
    let bases = log.segment_base_offsets();
    assert!(bases.len() > 3);
    assert_eq!(
        log.delete_records_before(121)
            .unwrap_err()
            .kafka_error_code(),
        1
    );
    let target = bases[2] + 1; // inside the third segment
    let deleted = log.delete_records_before(target).unwrap();
    assert_eq!(deleted, 2);
    assert_eq!(log.log_start_offset(), target);
    assert_eq!(
        log.read(target - 1, 100, i64::MAX, true)
            .unwrap_err()
            .kafka_error_code(),
        1
    );
    let s = log.read(target, 1, i64::MAX, true).unwrap().unwrap();
    assert_eq!(
        s.first_offset, bases[2],
        "the batch holding the new start is returned whole"
    );
    assert_eq!(
        log.delete_records_before(5).unwrap(),
        0,
        "below the start: no-op"
    );
    // Up to the log end offset: every inactive segment goes, the active stays.
    log.delete_records_before(120).unwrap();
    assert_eq!(log.segment_count(), 1);
    assert_eq!(log.log_start_offset(), 120);
    assert!(log.read(120, 100, i64::MAX, true).unwrap().is_none());
}

#[test]
fn truncate_to_mid_batch_and_across_segments() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    for i in 0..40 {
        log.append(&mut batch(3, 100, i, 0), i32::from(i >= 20) * 2, 0)
            .unwrap();
    }
    assert_eq!(log.leader_epoch_entries().len(), 2);
    let before = read_all(&log);
    log.truncate_to(200).unwrap();
    assert_eq!(log.log_end_offset(), 120, "no-op above the end");
    log.truncate_to(50).unwrap(); // inside batch 48..=50
    assert_eq!(log.log_end_offset(), 48);
    assert_eq!(
        log.latest_epoch(),
        Some(0),
        "epoch 2 started at 60: removed"
    );
    assert_eq!(read_all(&log), before[..16].to_vec());
    assert!(log.read(48, 100, i64::MAX, true).unwrap().is_none());
    assert_eq!(log.end_offset_for_epoch(0), (0, 48));
    let info = log.append(&mut batch(1, 1, 0, 0), 3, 0).unwrap();
    assert_eq!(info.first_offset, 48);
    assert_continuous(&read_all(&log), 0, 49);
    // Below the first segment's base after retention: the log restarts there.
    log.delete_records_before(48).unwrap();
    let first_base = log.segment_base_offsets()[0];
    log.truncate_to(first_base - 1).unwrap();
    assert_eq!(
        (
            log.log_start_offset(),
            log.log_end_offset(),
            log.segment_count()
        ),
        (first_base - 1, first_base - 1, 1)
    );
    assert_eq!(log.latest_epoch(), None);
}

#[test]
fn leader_epochs_checkpoint_and_fencing() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    log.append(&mut batch(2, 1, 0, 0), 0, 0).unwrap();
    log.append(&mut batch(2, 1, 0, 0), 0, 0).unwrap();
    log.append(&mut batch(2, 1, 0, 0), 3, 0).unwrap();
    log.append(&mut batch(2, 1, 0, 0), 5, 0).unwrap();
    let text = std::fs::read_to_string(dir.path().join("leader-epoch-checkpoint")).unwrap();
    assert_eq!(text, "0\n3\n0 0\n3 4\n5 6\n");
    assert_eq!(log.end_offset_for_epoch(5), (5, 8));
    assert_eq!(log.end_offset_for_epoch(3), (3, 6));
    assert_eq!(log.end_offset_for_epoch(4), (3, 6));
    assert_eq!(log.end_offset_for_epoch(6), (-1, -1));
    let err = log.append(&mut batch(1, 1, 0, 0), 4, 0).unwrap_err();
    assert_eq!(err.kafka_error_name(), "FENCED_LEADER_EPOCH");
    // The stored batches carry the epoch they were appended in.
    let all = read_all(&log);
    let epochs: Vec<i32> = all
        .iter()
        .map(|(_, b)| RecordBatchHeader::parse(b).unwrap().partition_leader_epoch)
        .collect();
    assert_eq!(epochs, vec![0, 0, 3, 5]);
}

#[test]
fn follower_append_keeps_offsets_and_epochs() {
    let dir_leader = tempfile::tempdir().unwrap();
    let mut leader = open(dir_leader.path(), small_config());
    for i in 0..30 {
        leader
            .append(
                &mut batch(2, 50, i, 0),
                i32::from(i >= 10) + i32::from(i >= 20),
                0,
            )
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let mut follower = open(dir.path(), small_config());
    let mut offset = 0;
    while let Some(s) = leader.read(offset, 700, i64::MAX, true).unwrap() {
        let bytes = slice_bytes(&s);
        let info = follower.append_as_follower(&bytes).unwrap();
        assert_eq!(
            (info.first_offset, info.last_offset),
            (s.first_offset, s.last_offset)
        );
        offset = s.last_offset + 1;
    }
    assert_eq!(read_all(&follower), read_all(&leader));
    assert_eq!(
        follower.leader_epoch_entries(),
        leader.leader_epoch_entries()
    );
    // Replaying an old batch is refused.
    let old = leader.read(0, 1, i64::MAX, true).unwrap().unwrap();
    let err = follower.append_as_follower(&slice_bytes(&old)).unwrap_err();
    assert_eq!(err.kafka_error_code(), 87);
    // A gap (as compaction leaves) is accepted; out-of-order batches in one request are not.
    let mut b = batch(1, 5, 0, 0);
    b[0..8].copy_from_slice(&100i64.to_be_bytes());
    follower.append_as_follower(&b).unwrap();
    assert_eq!(follower.log_end_offset(), 101);
    let s = follower.read(70, 1000, i64::MAX, true).unwrap().unwrap();
    assert_eq!(
        s.first_offset, 100,
        "a read inside the gap returns the next batch"
    );
    let mut b2 = b.clone();
    b2[0..8].copy_from_slice(&200i64.to_be_bytes());
    let mut b3 = b.clone();
    b3[0..8].copy_from_slice(&150i64.to_be_bytes());
    assert_eq!(
        follower
            .append_as_follower(&[b2, b3].concat())
            .unwrap_err()
            .kafka_error_code(),
        87
    );
}

#[test]
fn offsets_by_timestamp() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(
        dir.path(),
        LogConfig {
            index_interval_bytes: 64,
            ..small_config()
        },
    );
    // Batch i (offsets 3(i-1)..) holds 3 records at 1000*i + {0, 1, 2}.
    for i in 1..=50 {
        log.append(&mut batch(3, 40, i * 1000, 0), 0, 0).unwrap();
    }
    assert!(log.segment_count() > 2);
    assert_eq!(log.offset_for_timestamp(0).unwrap(), Some((0, 1000)));
    assert_eq!(log.offset_for_timestamp(1000).unwrap(), Some((0, 1000)));
    assert_eq!(
        log.offset_for_timestamp(1001).unwrap(),
        Some((1, 1001)),
        "record-level in uncompressed batches"
    );
    assert_eq!(log.offset_for_timestamp(1021).unwrap(), Some((3, 2000)));
    assert_eq!(
        log.offset_for_timestamp(37_002).unwrap(),
        Some((36 * 3 + 2, 37_002))
    );
    assert_eq!(
        log.offset_for_timestamp(37_015).unwrap(),
        Some((37 * 3, 38_000))
    );
    assert_eq!(log.offset_for_timestamp(50_021).unwrap(), None);
    assert_eq!(
        log.offset_for_timestamp(50_002).unwrap(),
        Some((149, 50_002))
    );
    assert_eq!(log.max_timestamp_and_offset().unwrap(), Some((149, 50_002)));
    // After retention the answer never precedes the log start.
    log.delete_records_before(40).unwrap();
    assert_eq!(log.offset_for_timestamp(0).unwrap().unwrap().0, 40);
}

#[test]
fn flush_moves_recovery_point_and_auto_flush() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(
        dir.path(),
        LogConfig {
            flush_interval_messages: 10,
            ..small_config()
        },
    );
    log.append(&mut batch(4, 10, 0, 0), 0, 0).unwrap();
    assert_eq!((log.unflushed_messages(), log.recovery_point()), (4, 0));
    log.append(&mut batch(4, 10, 0, 0), 0, 0).unwrap();
    assert_eq!(log.unflushed_messages(), 8);
    log.append(&mut batch(4, 10, 0, 0), 0, 0).unwrap();
    assert_eq!(
        (log.unflushed_messages(), log.recovery_point()),
        (0, 12),
        "flushed at 12 >= 10"
    );
    log.append(&mut batch(1, 10, 0, 0), 0, 0).unwrap();
    log.flush().unwrap();
    assert_eq!(log.recovery_point(), 13);
    assert!(log.last_flush_time_ms() > 0);
}

#[test]
fn close_trims_and_reopen_reads_identically() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    for i in 0..50 {
        log.append(&mut batch(1 + (i % 3) as usize, 80, i, 0), 1, 0)
            .unwrap();
    }
    let before = read_all(&log);
    let leo = log.log_end_offset();
    let bases = log.segment_base_offsets();
    log.close().unwrap();
    let active = format!("{:020}", bases.last().unwrap());
    let index_len = std::fs::metadata(dir.path().join(format!("{active}.index")))
        .unwrap()
        .len();
    assert!(index_len < 1024, "trimmed on close ({index_len})");
    let log = Log::open(dir.path(), small_config(), leo).unwrap();
    assert_eq!(log.log_end_offset(), leo);
    assert_eq!(log.recovery_point(), leo);
    assert_eq!(log.segment_base_offsets(), bases);
    assert_eq!(read_all(&log), before);
    assert_eq!(log.latest_epoch(), Some(1));
}

#[test]
fn config_is_validated() {
    let dir = tempfile::tempdir().unwrap();
    let err = Log::open(
        dir.path(),
        LogConfig {
            segment_bytes: 1,
            ..LogConfig::default()
        },
        0,
    )
    .err()
    .unwrap();
    assert_eq!(err.kafka_error_name(), "INVALID_CONFIG");
    let mut log = open(dir.path(), small_config());
    assert!(log
        .update_config(LogConfig {
            segment_ms: 0,
            ..small_config()
        })
        .is_err());
    log.update_config(LogConfig {
        segment_bytes: 200,
        ..small_config()
    })
    .unwrap();
    log.append(&mut batch(1, 150, 0, 0), 0, 0).unwrap();
    log.append(&mut batch(1, 150, 0, 0), 0, 0).unwrap();
    assert_eq!(log.segment_count(), 2);
}

#[test]
fn planned_flush_runs_outside_the_log_and_respects_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    log.append(&mut batch(5, 10, 0, 0), 0, 0).unwrap();
    let plan = log.begin_flush();
    // Appends go on while the plan runs; the recovery point only covers what was planned.
    log.append(&mut batch(5, 10, 0, 0), 0, 0).unwrap();
    plan.run().unwrap();
    log.complete_flush(&plan, true);
    assert_eq!((log.recovery_point(), log.unflushed_messages()), (5, 5));
    // A truncation between plan and completion: offsets may have been rewritten, so the
    // recovery point does not move.
    let plan = log.begin_flush();
    log.truncate_to(5).unwrap();
    log.append(&mut batch(9, 10, 0, 0), 0, 0).unwrap();
    plan.run().unwrap();
    log.complete_flush(&plan, true);
    assert_eq!(
        log.recovery_point(),
        5,
        "offsets 5..10 were planned, then rewritten"
    );
    log.flush().unwrap();
    assert_eq!((log.recovery_point(), log.unflushed_messages()), (14, 0));
}

/// A batch whose CRC is right but whose records are not records: the leader refuses it with
/// `INVALID_RECORD` and writes nothing; a timestamp out of bounds is `INVALID_TIMESTAMP`; the
/// log keeps appending. A follower's append does not walk records (the leader did).
#[test]
fn leader_appends_walk_the_records_followers_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig {
        message_timestamp_before_max_ms: 3_600_000,
        ..small_config()
    };
    let now_ms = 1_700_000_000_000;
    let mut log = open(dir.path(), config.clone());
    let mut good = batch(2, 10, now_ms, b'a');
    log.append(&mut good, 0, now_ms).unwrap();
    let size_before = log.size_bytes();

    let mut junk = batch(2, 10, now_ms, b'b');
    for (i, byte) in junk[61..].iter_mut().enumerate() {
        *byte = (i as u8).wrapping_mul(151) ^ 0x3c;
    }
    common::fix_crc(&mut junk);
    let junk_as_sent = junk.clone();
    let err = log.append(&mut junk, 0, now_ms).unwrap_err();
    assert_eq!(err.kafka_error_name(), "INVALID_RECORD", "{err}");
    assert_eq!(junk, junk_as_sent, "a refused batch is not patched");

    let mut old = batch(1, 10, now_ms - 3_600_001, b'c');
    let err = log.append(&mut old, 0, now_ms).unwrap_err();
    assert_eq!(err.kafka_error_name(), "INVALID_TIMESTAMP", "{err}");
    assert_eq!((log.log_end_offset(), log.size_bytes()), (2, size_before));

    let mut next = batch(1, 10, now_ms, b'd');
    assert_eq!(log.append(&mut next, 0, now_ms).unwrap().first_offset, 2);

    // Switched off (benchmarks only), the same bytes go in: the check is what refused them.
    let unchecked_dir = tempfile::tempdir().unwrap();
    let mut unchecked = open(
        unchecked_dir.path(),
        LogConfig {
            validate_records: false,
            ..config.clone()
        },
    );
    unchecked.append(&mut junk.clone(), 0, now_ms).unwrap();

    // Followers keep the leader's offsets and do not walk records.
    let follower_dir = tempfile::tempdir().unwrap();
    let mut follower = open(follower_dir.path(), config);
    follower.append_as_follower(&junk).unwrap();
}

/// Kafka's `LogValidator` sets a `CreateTime` batch's `maxTimestamp` from its records: a header
/// claiming a later maximum (which would hold back time-based retention and mislead the time
/// index) is rewritten, CRC included, and the append reports the records' maximum.
#[test]
fn max_timestamp_comes_from_the_records() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    let now_ms = 1_700_000_000_000;
    let mut b = batch(3, 10, now_ms, b'm'); // records at now, now+1, now+2
    let claimed = now_ms + 365 * 24 * 3_600_000;
    b[35..43].copy_from_slice(&claimed.to_be_bytes());
    common::fix_crc(&mut b);
    let info = log.append(&mut b, 0, now_ms).unwrap();
    assert_eq!(info.max_timestamp, now_ms + 2);
    let stored = &read_all(&log)[0].1;
    let header = RecordBatchHeader::parse(stored).unwrap();
    assert_eq!(header.max_timestamp, now_ms + 2);
    assert_eq!(
        header.crc,
        crc_of(stored),
        "the CRC covers the rewritten field"
    );
    assert_eq!(log.offset_for_timestamp(now_ms + 3).unwrap(), None);
}
