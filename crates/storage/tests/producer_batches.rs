//! Reading idempotent producers' batches back from a log (`producer_batches`), for rebuilding
//! producer state when a partition opens.

mod common;

use common::{at_offset, batch, idempotent_batch, marker_batch, txn_batch};
use tidelog_storage::producer_batches::{producer_batches, ReadFrom};
use tidelog_storage::{Log, LogConfig};

fn open(dir: &std::path::Path, segment_bytes: u32) -> Log {
    let config = LogConfig {
        segment_bytes,
        ..LogConfig::default()
    };
    Log::open(dir, config, 0).unwrap()
}

#[test]
fn keeps_each_producers_latest_batches_in_log_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), 1 << 20);
    for i in 0..7 {
        log.append(&mut idempotent_batch(2, 1_000, 7, 0, i * 2), 0, 1_000)
            .unwrap();
        log.append(&mut batch(1, 10, 1_000, b'n'), 0, 1_000)
            .unwrap();
    }
    log.append(
        &mut idempotent_batch(3, 1_000, 9, 3, i32::MAX - 1),
        0,
        1_000,
    )
    .unwrap();
    let got = producer_batches(&log, ReadFrom::LastSegments, 5).unwrap();
    let of_7: Vec<(i32, i32, i64)> = got
        .iter()
        .filter(|b| b.producer_id == 7)
        .map(|b| (b.first_sequence, b.last_sequence, b.base_offset))
        .collect();
    assert_eq!(
        of_7,
        vec![(4, 5, 6), (6, 7, 9), (8, 9, 12), (10, 11, 15), (12, 13, 18)]
    );
    let last = got.last().unwrap();
    assert_eq!(
        (
            last.producer_id,
            last.producer_epoch,
            last.first_sequence,
            last.last_sequence
        ),
        (9, 3, i32::MAX - 1, 0),
        "i32::MAX - 1, i32::MAX, then 0"
    );
    assert_eq!((last.base_offset, last.last_offset), (21, 23));
    assert_eq!(got.len(), 6);
}

#[test]
fn reads_from_an_offset_or_only_the_last_two_segments() {
    let dir = tempfile::tempdir().unwrap();
    let one = idempotent_batch(1, 1_000, 0, 0, 0).len() as u32;
    // Segments of one batch each: every append rolls a new one.
    let mut log = open(dir.path(), one);
    for producer in 0..4 {
        log.append(&mut idempotent_batch(1, 1_000, producer, 0, 0), 0, 1_000)
            .unwrap();
    }
    assert_eq!(log.segment_count(), 4);
    let producers = |from| -> Vec<i64> {
        producer_batches(&log, from, 5)
            .unwrap()
            .iter()
            .map(|b| b.producer_id)
            .collect()
    };
    assert_eq!(producers(ReadFrom::LastSegments), vec![2, 3]);
    assert_eq!(producers(ReadFrom::Offset(1)), vec![1, 2, 3]);
    assert_eq!(producers(ReadFrom::Offset(4)), Vec::<i64>::new());
    assert!(producer_batches(&log, ReadFrom::LastSegments, 0)
        .unwrap()
        .is_empty());
    // Nothing below the log start offset, even inside a segment read whole.
    log.delete_records_before(3).unwrap();
    let after: Vec<i64> = producer_batches(&log, ReadFrom::Offset(0), 5)
        .unwrap()
        .iter()
        .map(|b| b.producer_id)
        .collect();
    assert_eq!(after, vec![3]);
}

#[test]
fn follows_an_epoch_bump_and_producers_interleaved_across_segments() {
    let dir = tempfile::tempdir().unwrap();
    let one = idempotent_batch(1, 1_000, 0, 0, 0).len() as u32;
    let mut log = open(dir.path(), 2 * one);
    for (producer, epoch, sequence) in [
        (5, 0, 0),
        (6, 0, 0),
        (5, 0, 1),
        (5, 1, 0),
        (6, 0, 1),
        (5, 1, 1),
    ] {
        log.append(
            &mut idempotent_batch(1, 2_000 + i64::from(sequence), producer, epoch, sequence),
            0,
            1_000,
        )
        .unwrap();
    }
    assert_eq!(log.segment_count(), 3);
    let got: Vec<(i64, i16, i32, i64, i64)> = producer_batches(&log, ReadFrom::Offset(0), 5)
        .unwrap()
        .iter()
        .map(|b| {
            (
                b.producer_id,
                b.producer_epoch,
                b.first_sequence,
                b.base_offset,
                b.max_timestamp,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (5, 0, 0, 0, 2_000),
            (6, 0, 0, 1, 2_000),
            (5, 0, 1, 2, 2_001),
            (5, 1, 0, 3, 2_000),
            (6, 0, 1, 4, 2_001),
            (5, 1, 1, 5, 2_001)
        ]
    );
}

/// Transactional batches carry `is_transactional`; markers are reported with their type and
/// coordinator epoch; and every marker and every transaction's first batch is reported even
/// when the per-producer window has moved past it (the caller needs each transaction's first
/// offset and its end to rebuild ongoing transactions and the transaction index).
#[test]
fn reports_markers_and_transaction_starts_whatever_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), 1 << 20);
    let put = |log: &mut Log, b: Vec<u8>| {
        log.append_as_follower(&b).unwrap();
    };
    // Producer 4: an aborted transaction of three batches, then a committed one, then an
    // ongoing one. Producer 5: idempotent only. Between them, a plain batch.
    put(&mut log, txn_batch(0, 1, 4, 2, 0, b"a"));
    put(&mut log, txn_batch(1, 1, 4, 2, 1, b"a"));
    put(&mut log, at_offset(batch(1, 10, 1_000, b'n'), 2));
    put(&mut log, txn_batch(3, 1, 4, 2, 2, b"a"));
    put(&mut log, marker_batch(4, 4, 2, false, 17));
    put(&mut log, at_offset(idempotent_batch(2, 1_000, 5, 0, 0), 5));
    put(&mut log, txn_batch(7, 2, 4, 2, 3, b"c"));
    put(&mut log, marker_batch(9, 4, 2, true, 18));
    put(&mut log, txn_batch(10, 1, 4, 2, 5, b"o"));
    put(&mut log, txn_batch(11, 1, 4, 2, 6, b"o"));
    let rows = |per_producer| -> Vec<(i64, i64, bool, i16, i32)> {
        producer_batches(&log, ReadFrom::Offset(0), per_producer)
            .unwrap()
            .iter()
            .map(|b| {
                (
                    b.base_offset,
                    b.producer_id,
                    b.is_transactional,
                    b.control_type,
                    b.coordinator_epoch,
                )
            })
            .collect()
    };
    assert_eq!(
        rows(100),
        vec![
            (0, 4, true, -1, -1),
            (1, 4, true, -1, -1),
            (3, 4, true, -1, -1),
            (4, 4, true, 0, 17),
            (5, 5, false, -1, -1),
            (7, 4, true, -1, -1),
            (9, 4, true, 1, 18),
            (10, 4, true, -1, -1),
            (11, 4, true, -1, -1),
        ]
    );
    // A window of one: producer 4's latest batch, plus its markers and transaction starts.
    assert_eq!(
        rows(1),
        vec![
            (0, 4, true, -1, -1),
            (4, 4, true, 0, 17),
            (5, 5, false, -1, -1),
            (7, 4, true, -1, -1),
            (9, 4, true, 1, 18),
            (10, 4, true, -1, -1),
            (11, 4, true, -1, -1),
        ]
    );
    let marker = producer_batches(&log, ReadFrom::Offset(4), 1).unwrap()[0].clone();
    assert_eq!(
        (
            marker.base_offset,
            marker.last_offset,
            marker.producer_epoch
        ),
        (4, 4, 2)
    );
    assert_eq!(marker.first_sequence, -1, "markers carry no sequence");
}
