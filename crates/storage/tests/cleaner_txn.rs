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
use tidelog_storage::batch::{RecordBatchHeader, RECORD_BATCH_OVERHEAD};
use tidelog_storage::cleaner_records::for_each_record;
use tidelog_storage::{AbortedTxn, CleanOptions, Log, LogConfig};

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
/// checked after every cleaning against a model: the read-committed view (latest value per
/// key, skipping aborted and open transactions) is unchanged by cleaning; no record of an
/// aborted transaction survives below the clean end; every marker survives; the transaction
/// index lists exactly the aborted transactions.
#[test]
fn random_transactions_and_cleanings_match_a_model() {
    for seed in 1..=24u64 {
        run_model(seed);
    }
}

fn run_model(seed: u64) {
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
                let result = log
                    .clean(&CleanOptions {
                        checkpoint_offset: checkpoint,
                        cleanable_up_to: first_unstable.unwrap_or(i64::MAX),
                        ..CleanOptions::new(NOW_MS)
                    })
                    .unwrap();
                assert!(!result.aborted);
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
    assert_eq!(
        log.aborted_txns(0, i64::MAX),
        aborted_model,
        "{at}: txn index"
    );
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
    for (_, bytes) in read_all(log) {
        let h = RecordBatchHeader::parse(&bytes).unwrap();
        if h.is_control_batch() {
            markers_seen.push(h.base_offset);
            continue;
        }
        let producer = (h.producer_id >= 0).then_some(h.producer_id);
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
    assert_eq!(markers_seen, markers, "{at}: markers");
    let got: std::collections::BTreeMap<&str, &str> =
        got.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(got, want, "{at}: read-committed view");
}
