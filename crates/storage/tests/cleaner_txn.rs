//! The log cleaner and transactions (Kafka's `CleanedTransactionMetadata`): records of
//! aborted transactions neither enter the offset map nor survive; a marker stays while data
//! of its transaction may remain, then goes after `delete.retention.ms` (KIP-534), with its
//! transaction index entry; a producer's last batch stays, empty if need be (Kafka's
//! `RETAIN_EMPTY`); the cleaned segment carries the transaction index entries of the markers
//! it keeps (also through a crash during the swap); nothing at or above the bound (the first
//! unstable offset) is touched.

mod common;

use std::path::Path;

use common::{keyed_batch, marker_batch, read_all};
use tidelog_storage::batch::{crc_of, RecordBatchHeader, RECORD_BATCH_OVERHEAD};
use tidelog_storage::cleaner_records::{delete_horizon_ms, for_each_record};
use tidelog_storage::control_record::{read_control_record, CONTROL_TYPE_COMMIT};
use tidelog_storage::producer_batches::{producer_batches, ReadFrom};
use tidelog_storage::{AbortedTxn, CleanOptions, CleanResult, Log, LogConfig};

const NOW_MS: i64 = 1_700_000_000_000;
const TXN: i16 = common::TRANSACTIONAL;

fn config() -> LogConfig {
    LogConfig {
        compacted: true,
        ..LogConfig::default()
    }
}

fn keys(names: &[&str]) -> Vec<Vec<u8>> {
    names.iter().map(|k| k.as_bytes().to_vec()).collect()
}

/// A plain (non-transactional, no producer) batch of `names` with `value` at `base`.
fn plain(base: i64, names: &[&str], value: &[u8]) -> Vec<u8> {
    keyed_batch(base, 0, -1, -1, -1, &keys(names), value)
}

/// A transactional batch of producer `pid` at `base`.
fn txn_data(base: i64, pid: i64, names: &[&str], value: &[u8]) -> Vec<u8> {
    keyed_batch(base, TXN, pid, 0, base as i32, &keys(names), value)
}

fn put(log: &mut Log, b: &[u8]) {
    log.append_as_follower(b).unwrap();
}

fn aborted(pid: i64, first: i64, last: i64) -> AbortedTxn {
    AbortedTxn {
        producer_id: pid,
        first_offset: first,
        last_offset: last,
        last_stable_offset: last + 1,
    }
}

/// Every batch: (base offset, is control, records as (offset, key, value)).
type Batch = (i64, bool, Vec<(i64, String, String)>);

fn batches(log: &Log) -> Vec<Batch> {
    read_all(log)
        .into_iter()
        .map(|(base, bytes)| {
            let h = RecordBatchHeader::parse(&bytes).unwrap();
            let mut recs = Vec::new();
            if !h.is_control_batch() {
                for_each_record(&h, &bytes[RECORD_BATCH_OVERHEAD..], |r| {
                    recs.push((
                        r.offset,
                        String::from_utf8(r.key.unwrap().to_vec()).unwrap(),
                        String::from_utf8(r.value.unwrap().to_vec()).unwrap(),
                    ));
                    Ok(())
                })
                .unwrap();
            }
            (base, h.is_control_batch(), recs)
        })
        .collect()
}

fn rec(offset: i64, key: &str, value: &str) -> (i64, String, String) {
    (offset, key.to_owned(), value.to_owned())
}

fn txnindex(dir: &Path, base: i64) -> std::path::PathBuf {
    dir.join(format!("{base:020}.txnindex"))
}

/// `delete.retention.ms` of `CleanOptions::new` (Kafka's default, one day).
const RETENTION_MS: i64 = 86_400_000;

/// One pass over the whole log (checkpoint -1: everything below the active segment is
/// dirty) at `now_ms`.
fn clean_all(log: &mut Log, now_ms: i64) -> CleanResult {
    let result = log
        .clean(&CleanOptions {
            checkpoint_offset: -1,
            ..CleanOptions::new(now_ms)
        })
        .unwrap();
    assert!(!result.aborted);
    result
}

/// The header of the batch at `base`, its CRC checked.
fn header_at(log: &Log, base: i64) -> Option<(RecordBatchHeader, Vec<u8>)> {
    read_all(log).into_iter().find_map(|(b, bytes)| {
        (b == base).then(|| {
            let h = RecordBatchHeader::parse(&bytes).unwrap();
            assert_eq!(crc_of(&bytes), h.crc, "CRC of the batch at {base}");
            (h, bytes)
        })
    })
}

#[test]
fn aborted_records_never_enter_the_offset_map_nor_survive_and_markers_stay() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::open(dir.path(), config(), 0).unwrap();
    put(&mut log, &plain(0, &["k0", "k1"], b"a1"));
    put(&mut log, &txn_data(2, 7, &["k0", "k1"], b"aborted"));
    put(&mut log, &marker_batch(4, 7, 0, false, 1));
    log.append_aborted_txn(aborted(7, 2, 4)).unwrap();
    put(&mut log, &txn_data(5, 8, &["k0"], b"c1"));
    put(&mut log, &marker_batch(6, 8, 0, true, 1));
    log.roll_now(NOW_MS).unwrap();
    put(&mut log, &plain(7, &["k2"], b"z"));
    let result = log.clean(&CleanOptions::new(NOW_MS)).unwrap();
    assert!(!result.aborted);
    assert_eq!(result.end_offset, 7);
    assert_eq!(result.aborted_records_removed, 2);
    // k1's latest is the value at 1: the aborted write at 3 did not shadow it. The aborted
    // batch is producer 7's last: it stays, empty, for its sequence (so its marker stays).
    assert_eq!(
        batches(&log),
        vec![
            (0, false, vec![rec(1, "k1", "a1")]),
            (2, false, vec![]),
            (4, true, vec![]),
            (5, false, vec![rec(5, "k0", "c1")]),
            (6, true, vec![]),
            (7, false, vec![rec(7, "k2", "z")]),
        ]
    );
    // The cleaned segment kept the transaction index entry; a second pass changes nothing.
    assert_eq!(log.aborted_txns(0, 10), vec![aborted(7, 2, 4)]);
    assert!(txnindex(dir.path(), 0).exists());
    let again = log
        .clean(&CleanOptions {
            checkpoint_offset: -1,
            ..CleanOptions::new(NOW_MS)
        })
        .unwrap();
    assert_eq!(again.records_removed, 0);
    log.close().unwrap();
    let log = Log::open(dir.path(), config(), 8).unwrap();
    assert_eq!(log.aborted_txns(0, 10), vec![aborted(7, 2, 4)]);
}

/// The marker of an aborted transaction may be in a later segment, even the active one; a
/// group of segments cleaned into one takes every entry of the group.
#[test]
fn markers_in_later_segments_and_groups_of_segments() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::open(dir.path(), config(), 0).unwrap();
    put(&mut log, &plain(0, &["a"], b"0"));
    put(&mut log, &txn_data(1, 3, &["a", "b"], b"x"));
    log.roll_now(NOW_MS).unwrap();
    put(&mut log, &marker_batch(3, 3, 0, false, 0));
    log.append_aborted_txn(aborted(3, 1, 3)).unwrap();
    put(&mut log, &txn_data(4, 5, &["b"], b"y"));
    log.roll_now(NOW_MS).unwrap();
    put(&mut log, &marker_batch(5, 5, 0, false, 0));
    log.append_aborted_txn(aborted(5, 4, 5)).unwrap();
    assert_eq!(log.segment_base_offsets(), vec![0, 3, 5]);
    let result = log.clean(&CleanOptions::new(NOW_MS)).unwrap();
    assert_eq!(result.end_offset, 5);
    assert_eq!(result.aborted_records_removed, 3);
    assert_eq!(
        log.segment_base_offsets(),
        vec![0, 5],
        "0 and 3 cleaned into one"
    );
    // Each aborted batch is its producer's last: kept empty.
    assert_eq!(
        batches(&log),
        vec![
            (0, false, vec![rec(0, "a", "0")]),
            (1, false, vec![]),
            (3, true, vec![]),
            (4, false, vec![]),
            (5, true, vec![]),
        ]
    );
    assert!(!txnindex(dir.path(), 3).exists());
    assert_eq!(
        log.segments().next().unwrap().txn_index().entries(),
        &[aborted(3, 1, 3)]
    );
    assert_eq!(
        log.aborted_txns(0, 6),
        vec![aborted(3, 1, 3), aborted(5, 4, 5)]
    );
}

/// Nothing at or above the bound (TypeScript passes the first unstable offset) is cleaned:
/// an open transaction's records are kept and do not shadow older values of their keys.
#[test]
fn an_open_transaction_above_the_bound_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::open(dir.path(), config(), 0).unwrap();
    put(&mut log, &plain(0, &["k"], b"old"));
    put(&mut log, &plain(1, &["k"], b"mid"));
    put(&mut log, &txn_data(2, 9, &["k"], b"open"));
    log.roll_now(NOW_MS).unwrap();
    put(&mut log, &plain(3, &["other"], b"v"));
    let result = log
        .clean(&CleanOptions {
            cleanable_up_to: 2,
            ..CleanOptions::new(NOW_MS)
        })
        .unwrap();
    assert_eq!(result.end_offset, 2);
    assert_eq!(
        batches(&log),
        vec![
            (1, false, vec![rec(1, "k", "mid")]),
            (2, false, vec![rec(2, "k", "open")]),
            (3, false, vec![rec(3, "other", "v")]),
        ]
    );
}

/// A crash during the swap: the `.txnindex.swap` of a committed `.log.swap` replaces the
/// replaced segments' indexes; if it was already renamed into place it is kept; a
/// `.txnindex.swap` without a `.log.swap` never committed and goes.
#[test]
fn an_interrupted_swap_keeps_the_cleaned_transaction_index() {
    let build = |dir: &Path| -> (Vec<u8>, Vec<u8>) {
        let mut log = Log::open(dir, config(), 0).unwrap();
        put(&mut log, &txn_data(0, 1, &["a"], b"x"));
        put(&mut log, &marker_batch(1, 1, 0, false, 0));
        log.append_aborted_txn(aborted(1, 0, 1)).unwrap();
        log.roll_now(NOW_MS).unwrap();
        put(&mut log, &txn_data(2, 2, &["b"], b"y"));
        put(&mut log, &marker_batch(3, 2, 0, false, 0));
        log.append_aborted_txn(aborted(2, 2, 3)).unwrap();
        log.roll_now(NOW_MS).unwrap();
        put(&mut log, &plain(4, &["c"], b"z"));
        log.close().unwrap();
        let mut joined = std::fs::read(dir.join(format!("{:020}.log", 0))).unwrap();
        joined.extend(std::fs::read(dir.join(format!("{:020}.log", 2))).unwrap());
        let mut index = std::fs::read(txnindex(dir, 0)).unwrap();
        index.extend(std::fs::read(txnindex(dir, 2)).unwrap());
        (joined, index)
    };
    let both = vec![aborted(1, 0, 1), aborted(2, 2, 3)];
    for case in ["txnindex.swap present", "txnindex already renamed"] {
        let dir = tempfile::tempdir().unwrap();
        let (joined_log, joined_index) = build(dir.path());
        std::fs::write(dir.path().join(format!("{:020}.log.swap", 0)), &joined_log).unwrap();
        if case == "txnindex.swap present" {
            std::fs::write(
                dir.path().join(format!("{:020}.txnindex.swap", 0)),
                &joined_index,
            )
            .unwrap();
        } else {
            std::fs::write(txnindex(dir.path(), 0), &joined_index).unwrap();
        }
        let log = Log::open(dir.path(), config(), 0).unwrap();
        assert_eq!(log.segment_base_offsets(), vec![0, 4], "{case}");
        assert_eq!(log.aborted_txns(0, 5), both, "{case}");
        assert!(!txnindex(dir.path(), 2).exists(), "{case}");
        assert_eq!(
            std::fs::read(txnindex(dir.path(), 0)).unwrap(),
            joined_index
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let (_, joined_index) = build(dir.path());
    let orphan = dir.path().join(format!("{:020}.txnindex.swap", 0));
    std::fs::write(&orphan, &joined_index).unwrap();
    let log = Log::open(dir.path(), config(), 0).unwrap();
    assert!(!orphan.exists());
    assert_eq!(log.segment_base_offsets(), vec![0, 2, 4]);
    assert_eq!(log.aborted_txns(0, 5), both);
}

/// A COMMIT marker stays while data of its transaction is in the log; once that data is
/// compacted away, the next pass sets the marker's delete horizon (KIP-534: attribute bit 6,
/// the horizon in `baseTimestamp`, the record unchanged), and a pass at or past the horizon
/// removes it. The marker of the producer's later transaction, whose data stays, stays.
#[test]
fn a_committed_marker_goes_after_delete_retention_once_its_data_is_compacted_away() {
    assert_eq!(CleanOptions::new(0).delete_retention_ms, RETENTION_MS);
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::open(dir.path(), config(), 0).unwrap();
    put(&mut log, &txn_data(0, 5, &["k"], b"v1"));
    put(&mut log, &marker_batch(1, 5, 0, true, 4));
    put(&mut log, &txn_data(2, 5, &["k"], b"v2"));
    put(&mut log, &marker_batch(3, 5, 0, true, 4));
    log.roll_now(NOW_MS).unwrap();
    put(&mut log, &plain(4, &["other"], b"z"));

    // Pass 1: the data at 0 goes; its marker stays (the pass read its data), no horizon.
    let first = clean_all(&mut log, NOW_MS);
    assert_eq!((first.records_removed, first.markers_removed), (1, 0));
    assert_eq!(
        batches(&log),
        vec![
            (1, true, vec![]),
            (2, false, vec![rec(2, "k", "v2")]),
            (3, true, vec![]),
            (4, false, vec![rec(4, "other", "z")]),
        ]
    );
    assert_eq!(delete_horizon_ms(&header_at(&log, 1).unwrap().0), None);

    // Pass 2: nothing of the transaction is left: the horizon is set, the marker kept.
    let second = clean_all(&mut log, NOW_MS + 10);
    assert_eq!(second.markers_removed, 0);
    let (h, bytes) = header_at(&log, 1).unwrap();
    assert_eq!(delete_horizon_ms(&h), Some(NOW_MS + 10 + RETENTION_MS));
    assert_eq!(h.attributes & 0x40, 0x40);
    assert_eq!(h.base_timestamp, NOW_MS + 10 + RETENTION_MS);
    assert_eq!((h.producer_id, h.records_count), (5, 1));
    let marker = read_control_record(&h, &bytes).unwrap();
    assert_eq!(
        (marker.control_type, marker.coordinator_epoch),
        (CONTROL_TYPE_COMMIT, 4)
    );
    assert_eq!(delete_horizon_ms(&header_at(&log, 3).unwrap().0), None);

    // Before the horizon it stays, also across a restart; at the horizon it goes.
    clean_all(&mut log, NOW_MS + 10 + RETENTION_MS - 1);
    assert!(header_at(&log, 1).is_some());
    log.close().unwrap();
    let mut log = Log::open(dir.path(), config(), 5).unwrap();
    let last = clean_all(&mut log, NOW_MS + 10 + RETENTION_MS);
    assert_eq!(
        (
            last.markers_removed,
            last.batches_removed,
            last.records_removed
        ),
        (1, 1, 1)
    );
    assert_eq!(
        batches(&log),
        vec![
            (2, false, vec![rec(2, "k", "v2")]),
            (3, true, vec![]),
            (4, false, vec![rec(4, "other", "z")]),
        ]
    );
    // The later marker never got a horizon: its transaction's data is still there.
    assert_eq!(delete_horizon_ms(&header_at(&log, 3).unwrap().0), None);
}

/// An aborted transaction: the first pass removes its data (the marker stays, the pass read
/// the data), the next sets the marker's horizon, one past the horizon removes the marker and
/// its transaction index entry, on disk too.
#[test]
fn an_aborted_transactions_data_then_marker_and_txnindex_entry_go() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::open(dir.path(), config(), 0).unwrap();
    put(&mut log, &plain(0, &["k"], b"good"));
    put(&mut log, &txn_data(1, 7, &["k"], b"bad"));
    put(&mut log, &marker_batch(2, 7, 0, false, 1));
    log.append_aborted_txn(aborted(7, 1, 2)).unwrap();
    // The producer's next transaction commits: the aborted batch is not its last.
    put(&mut log, &txn_data(3, 7, &["j"], b"ok"));
    put(&mut log, &marker_batch(4, 7, 0, true, 1));
    log.roll_now(NOW_MS).unwrap();
    put(&mut log, &plain(5, &["other"], b"z"));

    let first = clean_all(&mut log, NOW_MS);
    assert_eq!(first.aborted_records_removed, 1);
    assert_eq!(first.markers_removed, 0);
    assert_eq!(
        batches(&log),
        vec![
            (0, false, vec![rec(0, "k", "good")]),
            (2, true, vec![]),
            (3, false, vec![rec(3, "j", "ok")]),
            (4, true, vec![]),
            (5, false, vec![rec(5, "other", "z")]),
        ]
    );
    assert_eq!(log.aborted_txns(0, i64::MAX), vec![aborted(7, 1, 2)]);

    let second = clean_all(&mut log, NOW_MS);
    assert_eq!(second.markers_removed, 0);
    assert_eq!(
        delete_horizon_ms(&header_at(&log, 2).unwrap().0),
        Some(NOW_MS + RETENTION_MS)
    );
    assert_eq!(log.aborted_txns(0, i64::MAX), vec![aborted(7, 1, 2)]);

    let third = clean_all(&mut log, NOW_MS + RETENTION_MS);
    assert_eq!(third.markers_removed, 1);
    assert!(header_at(&log, 2).is_none());
    assert!(
        header_at(&log, 4).is_some(),
        "the COMMIT marker's data is there"
    );
    assert_eq!(log.aborted_txns(0, i64::MAX), vec![]);
    assert_eq!(
        std::fs::read(txnindex(dir.path(), 0)).unwrap(),
        Vec::<u8>::new()
    );
    log.close().unwrap();
    let log = Log::open(dir.path(), config(), 6).unwrap();
    assert_eq!(log.aborted_txns(0, i64::MAX), vec![]);
    assert_eq!(
        batches(&log),
        vec![
            (0, false, vec![rec(0, "k", "good")]),
            (3, false, vec![rec(3, "j", "ok")]),
            (4, true, vec![]),
            (5, false, vec![rec(5, "other", "z")]),
        ]
    );
}

/// A producer's last batch whose records are all compacted away stays as an empty batch:
/// header only, the same offsets, producer id, epoch and sequences, a valid CRC; reading the
/// log's producer batches (as the broker does on open) still finds its last sequence and
/// epoch, across a restart. Its earlier batch goes; once the producer writes again, the empty
/// batch is no longer its last and goes too.
#[test]
fn a_producers_last_batch_compacted_away_stays_empty_with_its_sequences() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::open(dir.path(), config(), 0).unwrap();
    let idempotent = |base: i64, sequence: i32, names: &[&str], value: &[u8]| {
        keyed_batch(base, 0, 9, 3, sequence, &keys(names), value)
    };
    put(&mut log, &idempotent(0, 0, &["a", "b"], b"1"));
    put(&mut log, &idempotent(2, 2, &["a", "c"], b"2"));
    put(&mut log, &plain(4, &["a", "b", "c"], b"3"));
    log.roll_now(NOW_MS).unwrap();
    put(&mut log, &plain(7, &["z"], b"z"));
    let before = header_at(&log, 2).unwrap().0;

    let result = clean_all(&mut log, NOW_MS);
    assert_eq!(result.empty_batches_kept, 1);
    assert_eq!(
        batches(&log),
        vec![
            (2, false, vec![]),
            (
                4,
                false,
                vec![rec(4, "a", "3"), rec(5, "b", "3"), rec(6, "c", "3")]
            ),
            (7, false, vec![rec(7, "z", "z")]),
        ]
    );
    let (empty, bytes) = header_at(&log, 2).unwrap();
    assert_eq!(bytes.len(), RECORD_BATCH_OVERHEAD);
    assert_eq!(empty.records_count, 0);
    assert_eq!(
        (
            empty.base_offset,
            empty.last_offset(),
            empty.producer_id,
            empty.producer_epoch,
            empty.base_sequence,
            empty.partition_leader_epoch,
        ),
        (2, 3, 9, 3, 2, before.partition_leader_epoch)
    );
    assert_eq!(empty.compression(), 0);
    assert_eq!(empty.max_timestamp, before.max_timestamp);

    let check = |log: &Log| {
        let of_9: Vec<_> = producer_batches(log, ReadFrom::Offset(0), 5)
            .unwrap()
            .into_iter()
            .filter(|b| b.producer_id == 9)
            .collect();
        assert_eq!(of_9.len(), 1);
        let b = &of_9[0];
        assert_eq!(
            (b.producer_epoch, b.first_sequence, b.last_sequence),
            (3, 2, 3)
        );
        assert_eq!((b.base_offset, b.last_offset), (2, 3));
    };
    check(&log);
    // Kept as it is by the next pass, and found after a restart.
    let again = clean_all(&mut log, NOW_MS);
    assert_eq!(again.empty_batches_kept, 0);
    assert_eq!(header_at(&log, 2).unwrap().1, bytes);
    log.close().unwrap();
    let mut log = Log::open(dir.path(), config(), 8).unwrap();
    check(&log);

    put(&mut log, &idempotent(8, 4, &["y"], b"4"));
    log.roll_now(NOW_MS).unwrap();
    put(&mut log, &plain(9, &["x"], b"x"));
    clean_all(&mut log, NOW_MS);
    assert!(
        header_at(&log, 2).is_none(),
        "no longer the producer's last"
    );
    assert!(header_at(&log, 8).is_some());
}

/// `producer.id.expiration.ms`: the last batch of a producer whose largest timestamp is that
/// old (and with no open transaction) is not kept for it: it goes as any other batch.
#[test]
fn an_expired_producers_last_batch_is_not_kept() {
    for (expiration_ms, kept) in [(NOW_MS - 1_000 + 1, true), (NOW_MS - 1_000, false)] {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::open(dir.path(), config(), 0).unwrap();
        // keyed_batch's timestamps are 1_000.
        put(&mut log, &keyed_batch(0, 0, 9, 0, 0, &keys(&["a"]), b"1"));
        put(&mut log, &plain(1, &["a"], b"2"));
        log.roll_now(NOW_MS).unwrap();
        put(&mut log, &plain(2, &["z"], b"z"));
        let result = log
            .clean(&CleanOptions {
                producer_id_expiration_ms: expiration_ms,
                ..CleanOptions::new(NOW_MS)
            })
            .unwrap();
        assert_eq!(result.empty_batches_kept, u64::from(kept));
        assert_eq!(
            header_at(&log, 0).is_some(),
            kept,
            "expiration {expiration_ms}"
        );
    }
}

/// A small deterministic generator (xorshift64*), so a failing seed replays exactly.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// What the model knows of one record written.
#[derive(Debug, Clone)]
struct Written {
    offset: i64,
    key: String,
    value: String,
    /// `Some(producer)` for a transactional record.
    producer: Option<i64>,
}

/// Seeded model test: plain writes, transactions of three producers that commit or abort,
/// rolls, restarts (clean and crashed) and cleanings bounded by the first unstable offset,
/// with the clock moving by half a `delete.retention.ms` now and then, checked after every
/// cleaning against a model: the read-committed view (latest value per key, skipping
/// aborted and open transactions) is unchanged by cleaning; no record of an aborted
/// transaction survives below the clean end; a marker is removed only when no data batch of
/// its transaction is left, so every transactional batch in the log is followed by its
/// producer's marker unless its transaction is open; the transaction index lists exactly the
/// aborted transactions whose markers are still there; each producer's last data batch (its
/// last sequence) is still there.
#[test]
fn random_transactions_and_cleanings_match_a_model() {
    let mut totals = CleanResult::default();
    for seed in 1..=24u64 {
        let t = run_model(seed);
        totals.markers_removed += t.markers_removed;
        totals.empty_batches_kept += t.empty_batches_kept;
    }
    // The seeds reach both: markers past their horizon, batches kept empty.
    assert!(totals.markers_removed > 0 && totals.empty_batches_kept > 0);
}

/// Runs one seed; returns the sums of what its cleanings did.
fn run_model(seed: u64) -> CleanResult {
    let mut totals = CleanResult::default();
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig {
        compacted: true,
        segment_bytes: 700,
        ..LogConfig::default()
    };
    let mut log = Log::open(dir.path(), config.clone(), 0).unwrap();
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut written: Vec<Written> = Vec::new();
    // Per producer: the first offset of its open transaction.
    let mut open: [Option<i64>; 3] = [None; 3];
    // Aborted transactions: (producer, first offset, marker offset).
    let mut aborted_model: Vec<AbortedTxn> = Vec::new();
    let mut markers: Vec<i64> = Vec::new();
    let mut checkpoint = -1;
    let mut now_ms = NOW_MS;
    for step in 0..300 {
        let next = log.log_end_offset();
        let first_unstable = open.iter().flatten().min().copied();
        match rng.below(20) {
            0..=5 => {
                let n = 1 + rng.below(3) as usize;
                write_random(&mut log, &mut rng, &mut written, n, None);
            }
            6..=11 => {
                let p = rng.below(3) as usize;
                let n = 1 + rng.below(2) as usize;
                write_random(&mut log, &mut rng, &mut written, n, Some(p as i64 + 1));
                open[p].get_or_insert(next);
            }
            12..=15 => {
                let p = rng.below(3) as usize;
                if let Some(first) = open[p].take() {
                    let commit = rng.below(2) == 0;
                    put(&mut log, &marker_batch(next, p as i64 + 1, 0, commit, 0));
                    markers.push(next);
                    if !commit {
                        let lso = open.iter().flatten().min().copied().unwrap_or(next + 1);
                        let entry = AbortedTxn {
                            producer_id: p as i64 + 1,
                            first_offset: first,
                            last_offset: next,
                            last_stable_offset: lso,
                        };
                        assert!(log.append_aborted_txn(entry).unwrap());
                        aborted_model.push(entry);
                    }
                }
            }
            16 => log.roll_now(NOW_MS).unwrap(),
            17 => {
                let leo = log.log_end_offset();
                if rng.below(2) == 0 {
                    log.close().unwrap();
                    log = Log::open(dir.path(), config.clone(), leo).unwrap();
                } else {
                    log.flush().unwrap();
                    drop(log);
                    log = Log::open(dir.path(), config.clone(), 0).unwrap();
                }
                assert_eq!(log.log_end_offset(), leo);
            }
            _ => {
                now_ms += rng.below(2) as i64 * (RETENTION_MS / 2);
                let result = log
                    .clean(&CleanOptions {
                        checkpoint_offset: checkpoint,
                        cleanable_up_to: first_unstable.unwrap_or(i64::MAX),
                        ..CleanOptions::new(now_ms)
                    })
                    .unwrap();
                assert!(!result.aborted);
                totals.markers_removed += result.markers_removed;
                totals.empty_batches_kept += result.empty_batches_kept;
                checkpoint = result.end_offset;
                check_model(
                    &log,
                    &written,
                    &open,
                    &aborted_model,
                    &markers,
                    result.end_offset,
                    &format!("seed {seed} step {step}"),
                );
            }
        }
    }
    totals
}

/// Writes `n` records with random keys at the log end, plain or from transactional
/// `producer`, and notes them in `written`.
fn write_random(
    log: &mut Log,
    rng: &mut Rng,
    written: &mut Vec<Written>,
    n: usize,
    producer: Option<i64>,
) {
    let next = log.log_end_offset();
    let names: Vec<String> = (0..n).map(|_| format!("k{}", rng.below(6))).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let value = match producer {
        None => format!("p{next}"),
        Some(p) => format!("t{p}@{next}"),
    };
    let batch = match producer {
        None => plain(next, &refs, value.as_bytes()),
        Some(p) => txn_data(next, p, &refs, value.as_bytes()),
    };
    put(log, &batch);
    for (i, key) in names.into_iter().enumerate() {
        written.push(Written {
            offset: next + i as i64,
            key,
            value: value.clone(),
            producer,
        });
    }
}

fn check_model(
    log: &Log,
    written: &[Written],
    open: &[Option<i64>; 3],
    aborted_model: &[AbortedTxn],
    markers: &[i64],
    clean_end: i64,
    at: &str,
) {
    let aborted = |producer: Option<i64>, offset: i64| {
        producer.is_some_and(|p| {
            aborted_model
                .iter()
                .any(|t| t.producer_id == p && t.first_offset <= offset && offset < t.last_offset)
        })
    };
    let pending = |producer: Option<i64>, offset: i64| {
        producer.is_some_and(|p| open[(p - 1) as usize].is_some_and(|f| offset >= f))
    };
    let mut want: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
    for w in written {
        if !aborted(w.producer, w.offset) && !pending(w.producer, w.offset) {
            want.insert(&w.key, &w.value);
        }
    }
    let mut got: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    let mut markers_seen = Vec::new();
    // Producers with a transactional batch in the log after their last marker there.
    let mut in_txn_in_log = std::collections::BTreeSet::new();
    for (_, bytes) in read_all(log) {
        let h = RecordBatchHeader::parse(&bytes).unwrap();
        if h.is_control_batch() {
            markers_seen.push(h.base_offset);
            in_txn_in_log.remove(&h.producer_id);
            continue;
        }
        let producer = (h.producer_id >= 0).then_some(h.producer_id);
        if producer.is_some() {
            in_txn_in_log.insert(h.producer_id);
        }
        for_each_record(&h, &bytes[RECORD_BATCH_OVERHEAD..], |r| {
            let key = String::from_utf8(r.key.unwrap().to_vec()).unwrap();
            let value = String::from_utf8(r.value.unwrap().to_vec()).unwrap();
            let is_aborted = aborted(producer, r.offset);
            assert!(
                !(is_aborted && r.offset < clean_end),
                "{at}: aborted record at {} survived below the clean end {clean_end}",
                r.offset
            );
            if !is_aborted && !pending(producer, r.offset) {
                got.insert(key, value);
            }
            Ok(())
        })
        .unwrap();
    }
    // Markers only go, and only those of transactions without data left: every
    // transactional batch is followed by a marker of its producer, or its transaction is open.
    assert!(
        markers_seen.iter().all(|m| markers.contains(m)),
        "{at}: markers"
    );
    let open_in_model: std::collections::BTreeSet<i64> = (1..=3)
        .filter(|p| open[(p - 1) as usize].is_some())
        .collect();
    assert_eq!(
        in_txn_in_log, open_in_model,
        "{at}: transactional batches without their marker"
    );
    let kept_aborted: Vec<AbortedTxn> = aborted_model
        .iter()
        .filter(|t| markers_seen.contains(&t.last_offset))
        .copied()
        .collect();
    assert_eq!(
        log.aborted_txns(0, i64::MAX),
        kept_aborted,
        "{at}: txn index"
    );
    // Each producer's last data batch is still in the log, whatever cleaning removed.
    let found = producer_batches(log, ReadFrom::Offset(0), 1).unwrap();
    for p in 1..=3 {
        let last_written = written
            .iter()
            .filter(|w| w.producer == Some(p))
            .map(|w| w.offset)
            .max();
        let last_found = found
            .iter()
            .filter(|b| b.producer_id == p && b.control_type < 0)
            .map(|b| b.last_offset)
            .max();
        assert_eq!(last_found, last_written, "{at}: producer {p}'s last batch");
    }
    let got: std::collections::BTreeMap<&str, &str> =
        got.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(got, want, "{at}: read-committed view");
}
