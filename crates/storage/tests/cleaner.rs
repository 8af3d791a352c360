//! Log compaction (`cleanup.policy=compact`): latest value per key, tombstones and their
//! delete horizon, offsets kept, compressed batches, grouping, the swap and its crash
//! recovery, cleaning next to appends and reads, and a seeded model test.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use common::read_all;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use tidelog_storage::batch::{crc_of, RecordBatchHeader, TimestampType, RECORD_BATCH_OVERHEAD};
use tidelog_storage::cleaner::clean;
use tidelog_storage::cleaner_records::{
    build_batch, delete_horizon_ms, for_each_record, NewRecord,
};
use tidelog_storage::compression::{decompress, Codec};
use tidelog_storage::{CleanOptions, CleanResult, Log, LogConfig, LogLock, Result};

const NOW_MS: i64 = 1_700_000_000_000;

fn config() -> LogConfig {
    LogConfig {
        segment_bytes: 1024,
        index_interval_bytes: 128,
        max_index_size_bytes: 1024,
        ..LogConfig::default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rec {
    offset: i64,
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
}

/// One produced record: key and value, `None` for null.
type Kv<'a> = (Option<&'a str>, Option<&'a str>);

fn produce(log: &mut Log, codec: Codec, records: &[Kv<'_>], timestamp: i64) -> i64 {
    let recs: Vec<NewRecord<'_>> = records
        .iter()
        .map(|(k, v)| NewRecord {
            timestamp,
            key: k.map(str::as_bytes),
            value: v.map(str::as_bytes),
            headers: &[],
        })
        .collect();
    let mut bytes = build_batch(codec, TimestampType::CreateTime, &recs);
    log.append(&mut bytes, 0, timestamp).unwrap().first_offset
}

/// Every batch of the log with its records, checking each batch's CRC and that offsets
/// increase strictly across the whole log.
fn decode(log: &Log) -> Vec<(RecordBatchHeader, Vec<Rec>)> {
    let mut out = Vec::new();
    let mut previous = -1;
    for (_, bytes) in read_all(log) {
        let header = RecordBatchHeader::parse(&bytes).unwrap();
        assert_eq!(
            crc_of(&bytes),
            header.crc,
            "batch at {}",
            header.base_offset
        );
        assert!(header.base_offset > previous, "batches in offset order");
        let mut plain = Vec::new();
        decompress(
            Codec::from_id(header.compression()).unwrap(),
            &bytes[RECORD_BATCH_OVERHEAD..],
            1 << 24,
            &mut plain,
        )
        .unwrap();
        let mut recs = Vec::new();
        for_each_record(&header, &plain, |r| {
            assert!(r.offset > previous, "offsets increase");
            previous = r.offset;
            recs.push(Rec {
                offset: r.offset,
                key: r.key.map(<[u8]>::to_vec),
                value: r.value.map(<[u8]>::to_vec),
            });
            Ok(())
        })
        .unwrap();
        previous = previous.max(header.last_offset());
        out.push((header, recs));
    }
    out
}

fn records(log: &Log) -> Vec<Rec> {
    decode(log).into_iter().flat_map(|(_, r)| r).collect()
}

fn options(checkpoint: i64, now_ms: i64) -> CleanOptions {
    CleanOptions {
        checkpoint_offset: checkpoint,
        ..CleanOptions::new(now_ms)
    }
}

fn leftover_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| {
            let ext = Path::new(n).extension().and_then(|e| e.to_str());
            matches!(ext, Some("cleaned" | "swap"))
        })
        .collect()
}

fn kv(key: &str, value: &str) -> Rec {
    Rec {
        offset: 0,
        key: Some(key.as_bytes().to_vec()),
        value: Some(value.as_bytes().to_vec()),
    }
}

#[test]
fn repeated_keys_compact_to_the_latest_value_per_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::open(dir.path(), config(), 0).unwrap();
    let mut written = Vec::new();
    for round in 0..30 {
        let values: Vec<String> = (0..4).map(|k| format!("value-{k}-{round}")).collect();
        let keys: Vec<String> = (0..4).map(|k| format!("key-{k}")).collect();
        let batch: Vec<Kv<'_>> = keys
            .iter()
            .zip(&values)
            .map(|(k, v)| (Some(k.as_str()), Some(v.as_str())))
            .collect();
        let base = produce(&mut log, Codec::None, &batch, NOW_MS - 60_000);
        for (i, (k, v)) in batch.iter().enumerate() {
            written.push((
                base + i as i64,
                k.unwrap().to_owned(),
                v.unwrap().to_owned(),
            ));
        }
    }
    log.roll_now(NOW_MS).unwrap();
    let leo = log.log_end_offset();
    let segments_before = log.segment_count();
    assert!(segments_before > 3, "small segments: {segments_before}");
    let size_before = log.size_bytes();

    let result = log.clean(&options(-1, NOW_MS)).unwrap();
    assert!(!result.aborted);
    assert_eq!(result.first_dirty_offset, 0);
    assert_eq!(
        result.end_offset, leo,
        "everything before the active segment is cleaned"
    );
    assert_eq!(result.records_removed, 29 * 4);
    assert_eq!(result.offset_map_keys, 4);
    assert!(log.size_bytes() < size_before);
    assert_eq!(log.log_end_offset(), leo, "the log end offset never moves");
    assert_eq!(log.log_start_offset(), 0);

    let got = records(&log);
    let expected: Vec<Rec> = written[written.len() - 4..]
        .iter()
        .map(|(o, k, v)| Rec {
            offset: *o,
            ..kv(k, v)
        })
        .collect();
    assert_eq!(
        got, expected,
        "latest value per key, at its original offset"
    );

    // Reads at every offset still land on a batch holding it or the next one after a gap.
    for offset in 0..leo {
        let slice = log.read(offset, 1 << 20, i64::MAX, true).unwrap().unwrap();
        assert!(slice.last_offset >= offset);
    }
    assert!(leftover_files(dir.path()).is_empty());

    // Close and reopen: the cleaned segments pass the clean-shutdown checks.
    log.close().unwrap();
    let mut log = Log::open(dir.path(), config(), leo).unwrap();
    assert_eq!(records(&log), expected);
    assert_eq!(log.log_end_offset(), leo);

    // The next pass groups the now small segments into one (Kafka's groupSegmentsBySize).
    let cleaned_segments = log.segment_count();
    produce(
        &mut log,
        Codec::None,
        &[(Some("key-0"), Some("last"))],
        NOW_MS,
    );
    log.roll_now(NOW_MS).unwrap();
    let r = log.clean(&options(result.end_offset, NOW_MS)).unwrap();
    assert_eq!(r.segments_after, 1);
    assert_eq!(
        log.segment_count(),
        2,
        "one cleaned segment and the active one, from {cleaned_segments}"
    );
    assert_eq!(records(&log).len(), 4);
}

#[test]
fn batches_keep_their_offsets_and_empty_batches_go() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::open(dir.path(), config(), 0).unwrap();
    produce(
        &mut log,
        Codec::None,
        &[
            (Some("a"), Some("1")),
            (Some("b"), Some("1")),
            (Some("c"), Some("1")),
        ],
        NOW_MS,
    );
    produce(
        &mut log,
        Codec::None,
        &[(Some("a"), Some("2")), (Some("b"), Some("2"))],
        NOW_MS,
    );
    produce(
        &mut log,
        Codec::None,
        &[(Some("d"), Some("1")), (Some("a"), Some("3"))],
        NOW_MS,
    );
    log.roll_now(NOW_MS).unwrap();
    log.clean(&options(-1, NOW_MS)).unwrap();
    let batches = decode(&log);
    let shape: Vec<(i64, i64, i32)> = batches
        .iter()
        .map(|(h, _)| (h.base_offset, h.last_offset(), h.records_count))
        .collect();
    // Batch 0..=2 keeps c; 3..=4 keeps b; 5..=6 is whole and copied verbatim.
    assert_eq!(shape, vec![(0, 2, 1), (3, 4, 1), (5, 6, 2)]);
    assert_eq!(
        records(&log),
        vec![
            Rec {
                offset: 2,
                ..kv("c", "1")
            },
            Rec {
                offset: 4,
                ..kv("b", "2")
            },
            Rec {
                offset: 5,
                ..kv("d", "1")
            },
            Rec {
                offset: 6,
                ..kv("a", "3")
            },
        ]
    );
    // Now a batch that loses everything disappears, leaving a gap readers skip.
    produce(
        &mut log,
        Codec::None,
        &[(Some("c"), Some("2")), (Some("b"), Some("3"))],
        NOW_MS,
    );
    log.roll_now(NOW_MS).unwrap();
    let r = log.clean(&options(7, NOW_MS)).unwrap();
    assert_eq!(
        (r.first_dirty_offset, r.end_offset, r.batches_removed),
        (7, 9, 2)
    );
    let shape: Vec<(i64, i64)> = decode(&log)
        .iter()
        .map(|(h, _)| (h.base_offset, h.last_offset()))
        .collect();
    assert_eq!(shape, vec![(5, 6), (7, 8)]);
    assert_eq!(
        log.read(0, 1 << 20, i64::MAX, true)
            .unwrap()
            .unwrap()
            .first_offset,
        5
    );
    assert_eq!(
        log.log_start_offset(),
        0,
        "compaction never moves the log start offset"
    );
}

#[test]
fn null_keys_are_removed_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::open(dir.path(), config(), 0).unwrap();
    produce(
        &mut log,
        Codec::None,
        &[(None, Some("x")), (Some("k"), Some("1")), (None, Some("y"))],
        NOW_MS,
    );
    log.roll_now(NOW_MS).unwrap();
    let r = log.clean(&options(-1, NOW_MS)).unwrap();
    assert_eq!(r.invalid_records_removed, 2);
    assert_eq!(
        records(&log),
        vec![Rec {
            offset: 1,
            ..kv("k", "1")
        }]
    );
}

#[test]
fn tombstones_survive_one_cleaning_and_then_delete_retention() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::open(dir.path(), config(), 0).unwrap();
    let retention = 10_000;
    produce(
        &mut log,
        Codec::None,
        &[(Some("gone"), Some("v")), (Some("kept"), Some("v"))],
        NOW_MS,
    );
    produce(&mut log, Codec::None, &[(Some("gone"), None)], NOW_MS);
    log.roll_now(NOW_MS).unwrap();
    let clean_at = |log: &mut Log, checkpoint: i64, now: i64| {
        let o = CleanOptions {
            delete_retention_ms: retention,
            ..options(checkpoint, now)
        };
        log.clean(&o).unwrap()
    };
    // First cleaning: the value goes, the tombstone stays and its batch gets a horizon.
    let r1 = clean_at(&mut log, -1, NOW_MS);
    assert_eq!(r1.tombstones_removed, 0);
    let batches = decode(&log);
    assert_eq!(batches.len(), 2);
    assert_eq!(
        batches[1].1,
        vec![Rec {
            offset: 2,
            key: Some(b"gone".to_vec()),
            value: None
        }]
    );
    assert_eq!(delete_horizon_ms(&batches[1].0), Some(NOW_MS + retention));
    assert_eq!(
        batches[1].0.max_timestamp, NOW_MS,
        "maxTimestamp stays the record's"
    );
    assert_eq!(delete_horizon_ms(&batches[0].0), None);

    // More data makes the log dirty again; before the horizon the tombstone survives.
    produce(&mut log, Codec::None, &[(Some("other"), Some("v"))], NOW_MS);
    log.roll_now(NOW_MS).unwrap();
    let r2 = clean_at(&mut log, r1.end_offset, NOW_MS + retention - 1);
    assert_eq!(r2.tombstones_removed, 0);
    assert!(records(&log)
        .iter()
        .any(|r| r.key.as_deref() == Some(b"gone".as_slice())));
    let horizon_batch = decode(&log)
        .into_iter()
        .find(|(h, _)| h.base_offset == 2)
        .unwrap();
    assert_eq!(
        delete_horizon_ms(&horizon_batch.0),
        Some(NOW_MS + retention),
        "the horizon is set once"
    );

    // At the horizon it goes.
    produce(&mut log, Codec::None, &[(Some("more"), Some("v"))], NOW_MS);
    log.roll_now(NOW_MS).unwrap();
    let r3 = clean_at(&mut log, r2.end_offset, NOW_MS + retention);
    assert_eq!(r3.tombstones_removed, 1);
    let keys: Vec<Vec<u8>> = records(&log).into_iter().map(|r| r.key.unwrap()).collect();
    assert_eq!(
        keys,
        vec![b"kept".to_vec(), b"other".to_vec(), b"more".to_vec()]
    );
}

#[test]
fn compressed_batches_are_compacted_and_keep_their_codec() {
    for codec in [Codec::Gzip, Codec::Snappy, Codec::Lz4, Codec::Zstd] {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::open(dir.path(), config(), 0).unwrap();
        let mut latest = BTreeMap::new();
        for round in 0..12 {
            let values: Vec<String> = (0..6)
                .map(|k| format!("{}-{k}-{round}", codec.name()).repeat(3))
                .collect();
            let keys: Vec<String> = (0..6).map(|k| format!("key{}", (k + round) % 9)).collect();
            let batch: Vec<Kv<'_>> = keys
                .iter()
                .zip(&values)
                .map(|(k, v)| (Some(k.as_str()), Some(v.as_str())))
                .collect();
            let base = produce(&mut log, codec, &batch, NOW_MS);
            for (i, (k, v)) in keys.iter().zip(&values).enumerate() {
                latest.insert(k.clone(), (base + i as i64, v.clone()));
            }
        }
        log.roll_now(NOW_MS).unwrap();
        let r = log.clean(&options(-1, NOW_MS)).unwrap();
        assert!(r.records_removed > 0, "{codec:?}");
        let batches = decode(&log);
        for (h, _) in &batches {
            assert_eq!(
                h.compression(),
                codec.id(),
                "rebuilt batches keep {codec:?}"
            );
        }
        let mut got: Vec<(i64, String, String)> = batches
            .into_iter()
            .flat_map(|(_, r)| r)
            .map(|r| {
                (
                    r.offset,
                    String::from_utf8(r.key.unwrap()).unwrap(),
                    String::from_utf8(r.value.unwrap()).unwrap(),
                )
            })
            .collect();
        got.sort();
        let mut expected: Vec<(i64, String, String)> =
            latest.into_iter().map(|(k, (o, v))| (o, k, v)).collect();
        expected.sort();
        assert_eq!(got, expected, "{codec:?}");
    }
}

#[test]
fn slices_read_before_a_swap_keep_reading_the_old_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::open(dir.path(), config(), 0).unwrap();
    for i in 0..20 {
        let v = format!("v{i}");
        produce(
            &mut log,
            Codec::None,
            &[(Some("k"), Some(v.as_str()))],
            NOW_MS,
        );
    }
    log.roll_now(NOW_MS).unwrap();
    let before = log.read(0, 1 << 20, i64::MAX, true).unwrap().unwrap();
    let bytes_before = before.read_to_vec().unwrap();
    log.clean(&options(-1, NOW_MS)).unwrap();
    assert_eq!(records(&log).len(), 1);
    assert_eq!(
        before.read_to_vec().unwrap(),
        bytes_before,
        "the replaced file stays readable"
    );
}

#[test]
fn the_active_segment_the_bound_and_the_compaction_lag_are_respected() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::open(dir.path(), config(), 0).unwrap();
    for i in 0..10 {
        let v = format!("old{i}");
        produce(
            &mut log,
            Codec::None,
            &[(Some("k"), Some(v.as_str()))],
            NOW_MS - 100_000,
        );
    }
    log.roll_now(NOW_MS).unwrap();
    let recent_base = log.log_end_offset();
    for i in 0..10 {
        let v = format!("new{i}");
        produce(
            &mut log,
            Codec::None,
            &[(Some("k"), Some(v.as_str()))],
            NOW_MS - 10,
        );
    }
    log.roll_now(NOW_MS).unwrap();
    let active_base = log.log_end_offset();
    produce(
        &mut log,
        Codec::None,
        &[(Some("k"), Some("active"))],
        NOW_MS,
    );

    let range = log.cleanable_range(-1, i64::MAX, NOW_MS, 0);
    assert_eq!(
        (range.first_dirty_offset, range.first_uncleanable_offset),
        (0, active_base)
    );
    assert_eq!(range.clean_bytes, 0);
    assert!((range.dirty_ratio() - 1.0).abs() < f64::EPSILON);
    assert_eq!(range.earliest_dirty_timestamp_ms, Some(NOW_MS - 100_000));
    // min.compaction.lag.ms: the segment with recent records is not cleanable yet.
    let lagged = log.cleanable_range(-1, i64::MAX, NOW_MS, 1000);
    assert_eq!(lagged.first_uncleanable_offset, recent_base);
    // The high watermark bounds it too.
    assert_eq!(
        log.cleanable_range(-1, 5, NOW_MS, 0)
            .first_uncleanable_offset,
        5
    );

    let r = log
        .clean(&CleanOptions {
            min_compaction_lag_ms: 1000,
            ..options(-1, NOW_MS)
        })
        .unwrap();
    assert_eq!(r.end_offset, recent_base);
    let values: Vec<Vec<u8>> = records(&log)
        .into_iter()
        .map(|r| r.value.unwrap())
        .collect();
    assert_eq!(
        values.len(),
        1 + 10 + 1,
        "one old value, every recent one, the active one"
    );
    assert_eq!(values[0], b"old9".to_vec());

    let r = log.clean(&options(r.end_offset, NOW_MS)).unwrap();
    assert_eq!(r.end_offset, active_base);
    let values: Vec<Vec<u8>> = records(&log)
        .into_iter()
        .map(|r| r.value.unwrap())
        .collect();
    assert_eq!(
        values,
        vec![b"new9".to_vec(), b"active".to_vec()],
        "the active segment is never cleaned"
    );
    let after = log.cleanable_range(r.end_offset, i64::MAX, NOW_MS, 0);
    assert_eq!(after.cleanable_bytes, 0);
    assert!(after.dirty_ratio() < f64::EPSILON);
    // Nothing dirty: a pass is a no-op.
    let idle = log.clean(&options(r.end_offset, NOW_MS)).unwrap();
    assert_eq!((idle.segments_before, idle.end_offset), (0, active_base));
}

#[test]
fn a_full_offset_map_cleans_part_and_the_checkpoint_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::open(dir.path(), config(), 0).unwrap();
    for round in 0..3 {
        for k in 0..8 {
            let (key, v) = (format!("k{k}"), format!("{round}"));
            produce(
                &mut log,
                Codec::None,
                &[(Some(key.as_str()), Some(v.as_str()))],
                NOW_MS,
            );
        }
    }
    log.roll_now(NOW_MS).unwrap();
    let small = CleanOptions {
        offset_map_entries_max: 5,
        ..options(-1, NOW_MS)
    };
    let r = log.clean(&small).unwrap();
    assert_eq!(r.end_offset, 5, "the map took 5 keys");
    assert_eq!(r.offset_map_keys, 5);
    let mut checkpoint = r.end_offset;
    let mut passes = 1;
    while checkpoint < 24 {
        let r = log
            .clean(&CleanOptions {
                checkpoint_offset: checkpoint,
                ..small.clone()
            })
            .unwrap();
        assert!(r.end_offset > checkpoint);
        checkpoint = r.end_offset;
        passes += 1;
    }
    assert!(passes > 3);
    let got: Vec<(i64, Vec<u8>)> = records(&log)
        .into_iter()
        .map(|r| (r.offset, r.value.unwrap()))
        .collect();
    assert_eq!(
        got,
        (16..24).map(|o| (o, b"2".to_vec())).collect::<Vec<_>>()
    );
}

/// A `Mutex<Log>` whose `n`th lock runs `meddle` first: a truncation or retention landing
/// between the cleaner's unlocked work and its swap.
struct Meddling<F: FnMut(&mut Log)> {
    log: Mutex<Log>,
    calls: Mutex<usize>,
    at_call: usize,
    meddle: Mutex<F>,
}

impl<F: FnMut(&mut Log)> LogLock for Meddling<F> {
    fn with_log<T>(&self, f: impl FnOnce(&mut Log) -> Result<T>) -> Result<T> {
        let mut log = self.log.lock().unwrap();
        let mut calls = self.calls.lock().unwrap();
        *calls += 1;
        if *calls == self.at_call {
            (self.meddle.lock().unwrap())(&mut log);
        }
        f(&mut log)
    }
}

fn keyed_log(dir: &Path, rounds: usize) -> Log {
    let mut log = Log::open(dir, config(), 0).unwrap();
    for round in 0..rounds {
        let v = format!("v{round}");
        produce(
            &mut log,
            Codec::None,
            &[(Some("a"), Some(v.as_str())), (Some("b"), Some(v.as_str()))],
            NOW_MS,
        );
    }
    log.roll_now(NOW_MS).unwrap();
    log
}

#[test]
fn a_truncation_or_retention_before_the_swap_aborts_it() {
    type Meddle = fn(&mut Log);
    let cases: [Meddle; 2] = [
        |log| log.truncate_to(3).unwrap(),
        |log| {
            log.delete_old_segments(i64::MAX, 0, -1).unwrap();
        },
    ];
    for meddle in cases {
        let dir = tempfile::tempdir().unwrap();
        let log = keyed_log(dir.path(), 40);
        let lock = Meddling {
            log: Mutex::new(log),
            calls: Mutex::new(0),
            at_call: 2,
            meddle: Mutex::new(meddle),
        };
        let before = records(&lock.log.lock().unwrap());
        let r = clean(&lock, &options(-1, NOW_MS), &AtomicBool::new(false)).unwrap();
        assert!(r.aborted);
        assert_eq!(r.segments_after, 0);
        assert!(
            !std::fs::read_dir(dir.path()).unwrap().any(|e| e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".deleted")),
            "no .deleted files"
        );
        assert!(
            leftover_files(dir.path()).is_empty(),
            "{:?}",
            leftover_files(dir.path())
        );
        let log = lock.log.into_inner().unwrap();
        let after = records(&log);
        assert!(
            after.iter().all(|r| before.contains(r)),
            "nothing rewritten"
        );
        let leo = log.log_end_offset();
        log.close().unwrap();
        let reopened = Log::open(dir.path(), config(), leo).unwrap();
        assert_eq!(records(&reopened), after);
    }
}

#[test]
fn an_abort_leaves_the_log_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let log = Mutex::new(keyed_log(dir.path(), 40));
    let before = read_all(&log.lock().unwrap());
    let r = clean(&log, &options(-1, NOW_MS), &AtomicBool::new(true)).unwrap();
    assert!(r.aborted);
    assert_eq!(read_all(&log.lock().unwrap()), before);
    assert!(leftover_files(dir.path()).is_empty());
}

fn copy_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn log_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| Path::new(n).extension().is_some_and(|e| e == "log"))
        .collect();
    names.sort();
    names
}

/// Leaves the files a crash at `what` would leave, given the cleaned segment's bytes.
fn lay_out_crash(dir: &Path, what: &str, cleaned_log: &[u8]) {
    let swap_name = format!("{:020}.log.swap", 0);
    if what == "swapped, old files not yet unlinked" {
        for base in [0, 8, 16] {
            for ext in ["log", "index", "timeindex"] {
                let name = format!("{base:020}.{ext}");
                std::fs::rename(dir.join(&name), dir.join(format!("{name}.deleted"))).unwrap();
            }
        }
        std::fs::write(dir.join(format!("{:020}.log", 0)), cleaned_log).unwrap();
    } else if what == "cleaned only" {
        std::fs::write(dir.join(format!("{:020}.log.cleaned", 0)), cleaned_log).unwrap();
        std::fs::write(dir.join(format!("{:020}.index.cleaned", 0)), b"").unwrap();
    } else {
        std::fs::write(dir.join(&swap_name), cleaned_log).unwrap();
        std::fs::write(dir.join(format!("{:020}.index.swap", 0)), [0xffu8; 16]).unwrap();
    }
}

#[test]
fn an_interrupted_swap_is_completed_or_discarded_on_open() {
    // A log whose first three segments clean into one group.
    let big = LogConfig {
        segment_bytes: 4096,
        ..config()
    };
    let original = tempfile::tempdir().unwrap();
    let mut log = Log::open(original.path(), big.clone(), 0).unwrap();
    for segment in 0..3 {
        for round in 0..4 {
            let v = format!("{segment}-{round}");
            produce(
                &mut log,
                Codec::Gzip,
                &[(Some("a"), Some(v.as_str())), (Some("b"), Some(v.as_str()))],
                NOW_MS,
            );
        }
        log.roll_now(NOW_MS).unwrap();
    }
    produce(
        &mut log,
        Codec::None,
        &[(Some("c"), Some("active"))],
        NOW_MS,
    );
    let leo = log.log_end_offset();
    let all_before = records(&log);
    log.close().unwrap();
    assert_eq!(log_files(original.path()).len(), 4);

    // What a finished clean produces.
    let finished = tempfile::tempdir().unwrap();
    copy_dir(original.path(), finished.path());
    let mut log = Log::open(finished.path(), big.clone(), leo).unwrap();
    let r = log.clean(&options(-1, NOW_MS)).unwrap();
    assert_eq!((r.segments_before, r.segments_after), (3, 1));
    let cleaned_records = records(&log);
    log.close().unwrap();
    let cleaned_log = std::fs::read(finished.path().join(format!("{:020}.log", 0))).unwrap();

    let crash_points: [(&str, &[&str]); 5] = [
        // Swap committed, no old segment deleted yet.
        ("swap, all old", &[]),
        // Swap committed, the first old segment deleted.
        (
            "swap, first old gone",
            &["00000000000000000000.log", "00000000000000000000.index"],
        ),
        // Swap committed, two old segments gone.
        (
            "swap, two old gone",
            &[
                "00000000000000000000.log",
                "00000000000000000008.log",
                "00000000000000000008.timeindex",
            ],
        ),
        // Not committed: only a .cleaned file.
        ("cleaned only", &[]),
        // Swapped; the replaced files renamed .deleted but not unlinked.
        ("swapped, old files not yet unlinked", &[]),
    ];
    for (what, deleted) in crash_points {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(original.path(), dir.path());
        for name in deleted {
            std::fs::remove_file(dir.path().join(name)).unwrap();
        }
        lay_out_crash(dir.path(), what, &cleaned_log);
        let log = Log::open(dir.path(), big.clone(), leo).unwrap();
        assert_eq!(log.log_end_offset(), leo, "{what}");
        if what == "cleaned only" {
            assert_eq!(
                records(&log),
                all_before,
                "{what}: the old segments are kept"
            );
            assert_eq!(log.segment_count(), 4);
        } else {
            assert_eq!(
                records(&log),
                cleaned_records,
                "{what}: the swap is completed"
            );
            assert_eq!(log.segment_count(), 2, "{what}");
        }
        assert!(
            !std::fs::read_dir(dir.path()).unwrap().any(|e| e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".deleted")),
            "{what}"
        );
        assert!(
            leftover_files(dir.path()).is_empty(),
            "{what}: {:?}",
            leftover_files(dir.path())
        );
        drop(log);
        // And it opens again the same way.
        let again = Log::open(dir.path(), big.clone(), 0).unwrap();
        assert_eq!(again.log_end_offset(), leo);
    }
}

#[test]
fn cleaning_runs_beside_appends_and_reads() {
    let dir = tempfile::tempdir().unwrap();
    let log = Mutex::new(Log::open(dir.path(), config(), 0).unwrap());
    let done = AtomicBool::new(false);
    let keys = 13;
    let rounds = 300;
    std::thread::scope(|s| {
        // The producer: every key once per round, rolling now and then.
        s.spawn(|| {
            for round in 0..rounds {
                for k in 0..keys {
                    let (key, v) = (format!("k{k}"), format!("{round}"));
                    let mut l = log.lock().unwrap();
                    produce(
                        &mut l,
                        Codec::Lz4,
                        &[(Some(key.as_str()), Some(v.as_str()))],
                        NOW_MS,
                    );
                }
                if round % 20 == 19 {
                    log.lock().unwrap().roll_now(NOW_MS).unwrap();
                }
            }
            done.store(true, Ordering::SeqCst);
        });
        // A reader: whole, valid batches in offset order, every time.
        s.spawn(|| {
            let mut passes = 0;
            while !done.load(Ordering::SeqCst) || passes < 3 {
                let guard = log.lock().unwrap();
                let start = guard.log_start_offset();
                drop(guard);
                let mut offset = start;
                let mut previous = -1;
                loop {
                    let slice = log
                        .lock()
                        .unwrap()
                        .read(offset, 4096, i64::MAX, true)
                        .unwrap();
                    let Some(slice) = slice else { break };
                    let bytes = slice.read_to_vec().unwrap();
                    let mut at = 0;
                    while at < bytes.len() {
                        let h = RecordBatchHeader::parse(&bytes[at..]).unwrap();
                        let b = &bytes[at..at + h.size_bytes() as usize];
                        assert_eq!(crc_of(b), h.crc, "never a torn batch");
                        assert!(h.base_offset > previous);
                        previous = h.last_offset();
                        at += b.len();
                    }
                    offset = slice.last_offset + 1;
                }
                passes += 1;
            }
        });
        // The cleaner, without the lock between its steps.
        s.spawn(|| {
            let mut checkpoint = -1;
            let mut swaps = 0;
            while !done.load(Ordering::SeqCst) || swaps == 0 {
                let r = clean(&log, &options(checkpoint, NOW_MS), &AtomicBool::new(false)).unwrap();
                assert!(!r.aborted);
                checkpoint = r.end_offset;
                swaps += r.segments_after;
            }
        });
    });
    let mut log = log.into_inner().unwrap();
    log.roll_now(NOW_MS).unwrap();
    log.clean(&options(-1, NOW_MS)).unwrap();
    let got: Vec<(Vec<u8>, Vec<u8>)> = records(&log)
        .into_iter()
        .map(|r| (r.key.unwrap(), r.value.unwrap()))
        .collect();
    let expected: Vec<(Vec<u8>, Vec<u8>)> = (0..keys)
        .map(|k| {
            (
                format!("k{k}").into_bytes(),
                format!("{}", rounds - 1).into_bytes(),
            )
        })
        .collect();
    assert_eq!(got, expected);
}

// ---- seeded model test

#[derive(Debug, Clone)]
enum Op {
    /// Records (key index or none, value or tombstone) in one batch with a codec.
    Append(Vec<(Option<u8>, bool)>, u8),
    Roll,
    Clean {
        map_entries: usize,
    },
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (proptest::collection::vec((proptest::option::weighted(0.95, 0u8..12), proptest::bool::weighted(0.85)), 1..6), 0u8..5)
            .prop_map(|(recs, codec)| Op::Append(recs, codec)),
        2 => Just(Op::Roll),
        2 => (1usize..20).prop_map(|n| Op::Clean { map_entries: if n > 14 { 1 << 20 } else { n } }),
        1 => Just(Op::Reopen),
    ]
}

fn run_model(dir: &Path, ops: &[Op]) {
    let mut log = Some(Log::open(dir, config(), 0).unwrap());
    // Everything ever appended, by offset; and the cleaner checkpoint.
    let mut appended: BTreeMap<i64, Rec> = BTreeMap::new();
    let mut checkpoint = -1i64;
    let mut value_seq = 0u32;
    for op in ops {
        let l = log.as_mut().unwrap();
        match op {
            Op::Append(recs, codec) => {
                let owned: Vec<(Option<String>, Option<String>)> = recs
                    .iter()
                    .map(|(k, has_value)| {
                        value_seq += 1;
                        (
                            k.map(|k| format!("key{k}")),
                            has_value.then(|| format!("value{value_seq}")),
                        )
                    })
                    .collect();
                let kvs: Vec<Kv<'_>> = owned
                    .iter()
                    .map(|(k, v)| (k.as_deref(), v.as_deref()))
                    .collect();
                let codec = Codec::from_id(u16::from(*codec)).unwrap();
                let base = produce(l, codec, &kvs, NOW_MS);
                for (i, (k, v)) in owned.into_iter().enumerate() {
                    let offset = base + i as i64;
                    appended.insert(
                        offset,
                        Rec {
                            offset,
                            key: k.map(String::into_bytes),
                            value: v.map(String::into_bytes),
                        },
                    );
                }
            }
            Op::Roll => l.roll_now(NOW_MS).unwrap(),
            Op::Clean { map_entries } => {
                let o = CleanOptions {
                    offset_map_entries_max: *map_entries,
                    delete_retention_ms: i64::MAX / 4,
                    ..options(checkpoint, NOW_MS)
                };
                let r: CleanResult = l.clean(&o).unwrap();
                assert!(!r.aborted);
                assert!(r.end_offset >= r.first_dirty_offset);
                checkpoint = r.end_offset;
                check_model(l, &appended, checkpoint);
            }
            Op::Reopen => {
                let l = log.take().unwrap();
                let leo = l.log_end_offset();
                l.close().unwrap();
                log = Some(Log::open(dir, config(), leo).unwrap());
            }
        }
    }
    let l = log.as_mut().unwrap();
    l.roll_now(NOW_MS).unwrap();
    let r = l
        .clean(&CleanOptions {
            delete_retention_ms: i64::MAX / 4,
            ..options(checkpoint, NOW_MS)
        })
        .unwrap();
    check_model(l, &appended, r.end_offset);
}

/// Below `clean_end`: exactly the latest record of each key among the offsets below it
/// (tombstones included, as they never expire here; records without keys gone). From
/// `clean_end` on: everything appended.
fn check_model(log: &Log, appended: &BTreeMap<i64, Rec>, clean_end: i64) {
    let mut latest: BTreeMap<Vec<u8>, &Rec> = BTreeMap::new();
    for r in appended.range(..clean_end).map(|(_, r)| r) {
        if let Some(k) = &r.key {
            latest.insert(k.clone(), r);
        }
    }
    let mut expected: Vec<Rec> = latest.into_values().cloned().collect();
    expected.sort_by_key(|r| r.offset);
    expected.extend(appended.range(clean_end..).map(|(_, r)| r.clone()));
    assert_eq!(records(log), expected, "clean end {clean_end}");
    assert_eq!(
        log.log_end_offset(),
        appended.keys().next_back().map_or(0, |o| o + 1)
    );
}

#[test]
fn random_appends_and_cleanings_match_a_model_map() {
    let config = Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    runner
        .run(&proptest::collection::vec(op(), 1..60), |ops| {
            let dir = tempfile::tempdir().unwrap();
            run_model(dir.path(), &ops);
            Ok(())
        })
        .unwrap();
}
