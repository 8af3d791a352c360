//! The transaction index (`<base>.txnindex`) through the `Log`: Kafka's byte layout, the
//! segment an entry goes to, `aborted_txns` against a plain model, and the index's lifecycle
//! with its segment (roll, truncation, retention, `delete_records_before`, recovery).

mod common;

use common::{at_offset, batch, marker_batch, txn_batch};
use tidelog_storage::{AbortedTxn, Log, LogConfig, StorageError};

fn open(dir: &std::path::Path) -> Log {
    Log::open(dir, LogConfig::default(), 0).unwrap()
}

fn txn(producer_id: i64, first: i64, last: i64, lso: i64) -> AbortedTxn {
    AbortedTxn {
        producer_id,
        first_offset: first,
        last_offset: last,
        last_stable_offset: lso,
    }
}

/// Appends `b` as a follower would (keeping its offsets).
fn put(log: &mut Log, b: &[u8]) {
    log.append_as_follower(b).unwrap();
}

fn txnindex_path(dir: &std::path::Path, base: i64) -> std::path::PathBuf {
    dir.join(format!("{base:020}.txnindex"))
}

/// Kafka's `AbortedTxn` written by hand: version int16 0, then producerId, firstOffset,
/// lastOffset, lastStableOffset as big-endian int64.
fn kafka_entry(producer_id: i64, first: i64, last: i64, lso: i64) -> Vec<u8> {
    let mut b = 0i16.to_be_bytes().to_vec();
    for v in [producer_id, first, last, lso] {
        b.extend_from_slice(&v.to_be_bytes());
    }
    assert_eq!(b.len(), 34);
    b
}

#[test]
fn the_txnindex_file_holds_kafkas_exact_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path());
    put(&mut log, &txn_batch(0, 3, 42, 1, 0, b"v"));
    put(&mut log, &marker_batch(3, 42, 1, false, 7));
    put(&mut log, &txn_batch(4, 2, 43, 0, 0, b"v"));
    put(&mut log, &marker_batch(6, 43, 0, false, 7));
    let path = txnindex_path(dir.path(), 0);
    assert!(!path.exists(), "no file before the first entry");
    assert!(log.append_aborted_txn(txn(42, 0, 3, 4)).unwrap());
    assert!(log.append_aborted_txn(txn(43, 4, 6, 7)).unwrap());
    assert!(
        !log.append_aborted_txn(txn(43, 4, 6, 7)).unwrap(),
        "a replay writes nothing"
    );
    let mut want = kafka_entry(42, 0, 3, 4);
    want.extend_from_slice(&kafka_entry(43, 4, 6, 7));
    assert_eq!(std::fs::read(&path).unwrap(), want);
    log.close().unwrap();
    // Clean reopen keeps it byte for byte.
    let log = Log::open(dir.path(), LogConfig::default(), 7).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), want);
    assert_eq!(
        log.segments().next().unwrap().txn_index().entries(),
        &[txn(42, 0, 3, 4), txn(43, 4, 6, 7)]
    );
}

#[test]
fn an_entry_goes_to_the_segment_holding_its_marker() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path());
    put(&mut log, &txn_batch(0, 5, 9, 0, 0, b"v"));
    log.roll_now(1_000).unwrap();
    put(&mut log, &at_offset(batch(2, 10, 1_000, b'x'), 5));
    put(&mut log, &marker_batch(7, 9, 0, false, 1));
    assert!(matches!(
        log.append_aborted_txn(txn(9, 0, 8, 8)),
        Err(StorageError::OffsetOutOfRange(_))
    ));
    assert!(matches!(
        log.append_aborted_txn(txn(9, 8, 7, 8)),
        Err(StorageError::InvalidRecord(_))
    ));
    log.append_aborted_txn(txn(9, 0, 7, 8)).unwrap();
    assert!(matches!(
        log.append_aborted_txn(txn(10, 0, 7, 8)),
        Err(StorageError::InvalidRecord(_))
    ));
    assert!(!txnindex_path(dir.path(), 0).exists());
    assert_eq!(
        std::fs::read(txnindex_path(dir.path(), 5)).unwrap(),
        kafka_entry(9, 0, 7, 8)
    );
    // The fetch from inside the first segment finds it in the second.
    assert_eq!(log.aborted_txns(0, 8), vec![txn(9, 0, 7, 8)]);
    assert_eq!(log.aborted_txns(8, 9), vec![]);
}

/// `aborted_txns` against Kafka's rule applied to every entry of every segment from the one
/// holding the fetch offset, over many segments and every (fetch, upper bound) pair.
#[test]
fn aborted_txns_matches_kafkas_rule_over_many_segments() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path());
    // Producer p's transaction: data at 10p..10p+3, its ABORT marker at 10p+8 (other batches
    // between), LSO after it 10p+9; every third transaction commits instead.
    let mut entries = Vec::new();
    for p in 0..12i64 {
        let base = 10 * p;
        put(&mut log, &txn_batch(base, 4, p, 0, 0, b"v"));
        put(&mut log, &at_offset(batch(4, 10, 1_000, b'x'), base + 4));
        put(&mut log, &marker_batch(base + 8, p, 0, p % 3 == 2, 0));
        put(&mut log, &at_offset(batch(1, 10, 1_000, b'y'), base + 9));
        if p % 3 != 2 {
            let e = txn(p, base, base + 8, base + 9);
            log.append_aborted_txn(e).unwrap();
            entries.push(e);
        }
        if p % 4 == 3 {
            log.roll_now(1_000).unwrap();
        }
    }
    assert!(log.segment_count() >= 3);
    let bases = log.segment_base_offsets();
    for fetch in 0..125 {
        for upper in fetch..130 {
            let floor = bases.iter().rev().find(|&&b| b <= fetch).copied().unwrap();
            let mut want = Vec::new();
            for e in entries.iter().filter(|e| e.last_offset >= floor) {
                if e.last_offset >= fetch && e.first_offset < upper {
                    want.push(*e);
                }
                if e.last_offset >= fetch && e.last_stable_offset >= upper {
                    break;
                }
            }
            assert_eq!(
                log.aborted_txns(fetch, upper),
                want,
                "fetch {fetch} upper {upper}"
            );
        }
    }
}

#[test]
fn truncation_drops_entries_at_or_after_the_truncation_point() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path());
    put(&mut log, &txn_batch(0, 2, 1, 0, 0, b"v"));
    put(&mut log, &marker_batch(2, 1, 0, false, 0));
    put(&mut log, &txn_batch(3, 2, 2, 0, 0, b"v"));
    put(&mut log, &marker_batch(5, 2, 0, false, 0));
    log.append_aborted_txn(txn(1, 0, 2, 3)).unwrap();
    log.append_aborted_txn(txn(2, 3, 5, 6)).unwrap();
    log.roll_now(1_000).unwrap();
    put(&mut log, &txn_batch(6, 2, 3, 0, 0, b"v"));
    put(&mut log, &marker_batch(8, 3, 0, false, 0));
    log.append_aborted_txn(txn(3, 6, 8, 9)).unwrap();
    assert!(txnindex_path(dir.path(), 6).exists());
    // Into the first segment: the second goes with its index, the marker at 5 is cut.
    log.truncate_to(5).unwrap();
    assert!(!txnindex_path(dir.path(), 6).exists());
    assert_eq!(
        std::fs::read(txnindex_path(dir.path(), 0)).unwrap(),
        kafka_entry(1, 0, 2, 3)
    );
    assert_eq!(log.aborted_txns(0, 100), vec![txn(1, 0, 2, 3)]);
    // A new marker at the same offset after the truncation is a new entry.
    put(&mut log, &marker_batch(5, 4, 0, false, 0));
    log.append_aborted_txn(txn(4, 3, 5, 6)).unwrap();
    assert_eq!(
        log.aborted_txns(0, 100),
        vec![txn(1, 0, 2, 3), txn(4, 3, 5, 6)]
    );
    // Truncating at the marker itself drops it.
    log.truncate_to(2).unwrap();
    assert_eq!(
        std::fs::read(txnindex_path(dir.path(), 0)).unwrap(),
        Vec::<u8>::new()
    );
    assert_eq!(log.aborted_txns(0, 100), vec![]);
    put(&mut log, &marker_batch(2, 1, 0, false, 0));
    log.append_aborted_txn(txn(1, 0, 2, 3)).unwrap();
    log.truncate_fully_and_start_at(50).unwrap();
    assert!(!txnindex_path(dir.path(), 0).exists());
    assert!(log.aborted_txns(50, 100).is_empty());
}

#[test]
fn retention_and_delete_records_delete_the_index_with_its_segment() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path());
    for p in 0..3i64 {
        put(&mut log, &txn_batch(10 * p, 2, p, 0, 0, b"v"));
        put(&mut log, &marker_batch(10 * p + 2, p, 0, false, 0));
        log.append_aborted_txn(txn(p, 10 * p, 10 * p + 2, 10 * p + 3))
            .unwrap();
        log.roll_now(1_000).unwrap();
    }
    put(&mut log, &at_offset(batch(1, 10, 1_000, b'x'), 30));
    // Each roll starts the next segment at the log end offset, before the next gap.
    assert_eq!(log.segment_base_offsets(), vec![0, 3, 13, 23]);
    // delete_records_before inside segment 3: segment 0 goes, 3 keeps its index.
    log.delete_records_before(12).unwrap();
    assert!(!txnindex_path(dir.path(), 0).exists());
    assert!(txnindex_path(dir.path(), 3).exists());
    assert_eq!(log.aborted_txns(12, 100).len(), 2);
    // Retention by size down to the active segment.
    log.delete_old_segments(1_000, -1, 0).unwrap();
    assert_eq!(log.segment_base_offsets(), vec![23]);
    assert!(!txnindex_path(dir.path(), 3).exists());
    assert!(!txnindex_path(dir.path(), 13).exists());
    assert!(log.aborted_txns(30, 100).is_empty());
}

#[test]
fn recovery_keeps_the_index_and_drops_entries_past_the_recovered_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path());
    put(&mut log, &txn_batch(0, 2, 1, 0, 0, b"v"));
    put(&mut log, &marker_batch(2, 1, 0, false, 0));
    put(&mut log, &txn_batch(3, 2, 2, 0, 0, b"v"));
    put(&mut log, &marker_batch(5, 2, 0, false, 0));
    log.append_aborted_txn(txn(1, 0, 2, 3)).unwrap();
    log.append_aborted_txn(txn(2, 3, 5, 6)).unwrap();
    log.flush().unwrap();
    let log_path = log.segments().next().unwrap().log_path().to_path_buf();
    let marker_len = marker_batch(5, 2, 0, false, 0).len() as u64;
    drop(log); // a crash: no close
               // Full recovery of the segment keeps the index as it is.
    let log = Log::open(dir.path(), LogConfig::default(), 0).unwrap();
    assert_eq!(log.recovery().segments_recovered, 1);
    assert_eq!(
        log.aborted_txns(0, 100),
        vec![txn(1, 0, 2, 3), txn(2, 3, 5, 6)]
    );
    drop(log);
    // The last marker torn off the log: its entry goes too; a torn index tail is cut.
    let len = std::fs::metadata(&log_path).unwrap().len();
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&log_path)
        .unwrap();
    f.set_len(len - marker_len + 3).unwrap();
    let index = txnindex_path(dir.path(), 0);
    let mut bytes = std::fs::read(&index).unwrap();
    bytes.extend_from_slice(&kafka_entry(3, 6, 9, 10)[..17]);
    std::fs::write(&index, &bytes).unwrap();
    let log = Log::open(dir.path(), LogConfig::default(), 0).unwrap();
    assert_eq!(log.log_end_offset(), 5);
    assert_eq!(log.aborted_txns(0, 100), vec![txn(1, 0, 2, 3)]);
    assert_eq!(std::fs::read(&index).unwrap(), kafka_entry(1, 0, 2, 3));
    // Both cuts are reported, for the broker to log.
    let repairs = &log.recovery().txn_index_repairs;
    assert_eq!(repairs.len(), 1);
    assert_eq!(repairs[0].path, index);
    assert_eq!(repairs[0].dropped_bytes, 17 + 34);
    assert!(
        repairs[0].reason.contains("torn entry")
            && repairs[0].reason.contains("past the segment's end 5"),
        "{}",
        repairs[0].reason
    );
    drop(log);
    let log = Log::open(dir.path(), LogConfig::default(), 0).unwrap();
    assert!(
        log.recovery().txn_index_repairs.is_empty(),
        "nothing more to cut"
    );
}

#[test]
fn an_orphan_txnindex_is_removed_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    log.close().unwrap();
    let orphan = txnindex_path(dir.path(), 77);
    std::fs::write(&orphan, kafka_entry(1, 77, 78, 79)).unwrap();
    let _log = open(dir.path());
    assert!(!orphan.exists());
}

/// Markers are appended as leader only from the coordinator origin (Kafka's
/// `AppendOrigin.COORDINATOR`); a client's control batch, a marker without a producer, or a
/// control batch that is not a COMMIT/ABORT marker is `INVALID_RECORD`, and nothing is written.
#[test]
fn only_the_coordinator_origin_appends_transaction_markers() {
    use tidelog_storage::AppendOrigin;
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path());
    let now = 1_000;
    log.append_from(
        AppendOrigin::Client,
        &mut txn_batch(0, 2, 8, 0, 0, b"v"),
        0,
        now,
    )
    .unwrap();
    let refused = log.append(&mut marker_batch(0, 8, 0, false, 3), 0, now);
    assert!(matches!(refused, Err(StorageError::InvalidRecord(_))));
    let mut no_producer = marker_batch(0, -1, 0, false, 3);
    assert!(matches!(
        log.append_from(AppendOrigin::Coordinator, &mut no_producer, 0, now),
        Err(StorageError::InvalidRecord(_))
    ));
    // A control batch whose key names type 2 (KRaft's LEADER_CHANGE) is no marker.
    let mut leader_change = marker_batch(0, 8, 0, true, 3);
    // From the end: headers count (1), value (6), value length (1), then the key's type (2).
    let key_type_at = leader_change.len() - 1 - 6 - 1 - 2;
    assert_eq!(leader_change[key_type_at..key_type_at + 2], [0, 1]);
    leader_change[key_type_at + 1] = 2;
    common::fix_crc(&mut leader_change);
    assert!(matches!(
        log.append_from(AppendOrigin::Coordinator, &mut leader_change, 0, now),
        Err(StorageError::InvalidRecord(_))
    ));
    assert_eq!(log.log_end_offset(), 2);
    let info = log
        .append_from(
            AppendOrigin::Coordinator,
            &mut marker_batch(0, 8, 0, false, 3),
            0,
            now,
        )
        .unwrap();
    assert_eq!((info.first_offset, info.last_offset), (2, 2));
    log.append_aborted_txn(txn(8, 0, 2, 3)).unwrap();
    assert_eq!(log.aborted_txns(0, 3), vec![txn(8, 0, 2, 3)]);
}
