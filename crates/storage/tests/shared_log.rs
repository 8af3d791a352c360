//! `SharedLog`: the rules of a log shared between threads — closed logs, panics, flush without
//! the lock, one clean at a time, and close stopping a running clean and waiting for it.

mod common;

use std::sync::Arc;
use std::thread;

use common::read_all;
use tidelog_storage::batch::TimestampType;
use tidelog_storage::cleaner_records::{build_batch, NewRecord};
use tidelog_storage::compression::Codec;
use tidelog_storage::{CleanOptions, Log, LogConfig, SharedLog};

const NOW_MS: i64 = 1_700_000_000_000;

fn config() -> LogConfig {
    LogConfig {
        segment_bytes: 1024,
        index_interval_bytes: 128,
        max_index_size_bytes: 1024,
        ..LogConfig::default()
    }
}

fn produce(log: &SharedLog, key: &str, value: &str) {
    let recs = [NewRecord {
        timestamp: NOW_MS,
        key: Some(key.as_bytes()),
        value: Some(value.as_bytes()),
        headers: &[],
    }];
    let mut bytes = build_batch(Codec::None, TimestampType::CreateTime, &recs);
    log.with_log(|l| l.append(&mut bytes, 0, NOW_MS)).unwrap();
}

/// A compacted-looking log: the same few keys over many segments, the active one rolled.
fn dirty_log(dir: &std::path::Path) -> SharedLog {
    let log = SharedLog::new(Log::open(dir, config(), 0).unwrap());
    for i in 0..200 {
        produce(
            &log,
            &format!("k{}", i % 5),
            &format!("value-{i:04}-{}", "x".repeat(40)),
        );
    }
    log.with_log(|l| l.roll_now(NOW_MS)).unwrap();
    log
}

#[test]
fn appends_flushes_and_reads_through_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let log = dirty_log(dir.path());
    log.flush().unwrap();
    let batches = log.with_log(|l| Ok(read_all(l))).unwrap();
    assert_eq!(batches.len(), 200);
    assert_eq!(log.with_log(|l| Ok(l.log_end_offset())).unwrap(), 200);
}

#[test]
fn a_closed_log_refuses_every_call_and_closing_twice_is_fine() {
    let dir = tempfile::tempdir().unwrap();
    let log = dirty_log(dir.path());
    log.close().unwrap();
    let err = log.with_log(|l| Ok(l.log_end_offset())).unwrap_err();
    assert!(err.to_string().contains("the log is closed"), "{err}");
    assert!(log.flush().is_err());
    // The gate is shut: a clean after close does nothing and says so.
    assert!(log.clean(&CleanOptions::new(NOW_MS)).unwrap().aborted);
    log.close().unwrap();
    // Reopened, everything appended is there.
    let reopened = Log::open(dir.path(), config(), 0).unwrap();
    assert_eq!(reopened.log_end_offset(), 200);
}

#[test]
fn a_panic_becomes_a_storage_error_and_the_log_is_then_unusable() {
    let dir = tempfile::tempdir().unwrap();
    let log = dirty_log(dir.path());
    let err = log
        .with_log(|_| -> tidelog_storage::Result<()> { panic!("boom") })
        .unwrap_err();
    assert_eq!(err.kafka_error_name(), "KAFKA_STORAGE_ERROR");
    assert!(err.to_string().contains("internal error: boom"), "{err}");
    let after = log.with_log(|l| Ok(l.log_end_offset())).unwrap_err();
    assert!(after.to_string().contains("poisoned lock"), "{after}");
}

#[test]
fn cleans_one_at_a_time_and_close_stops_a_running_clean() {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(dirty_log(dir.path()));
    // Hold the log's lock so that a clean started now stops at its first step, inside the gate.
    let (cleaner, second, closer) = log
        .with_log(|_| {
            let cleaner = {
                let log = Arc::clone(&log);
                thread::spawn(move || log.clean(&CleanOptions::new(NOW_MS)))
            };
            while !log.is_cleaning() {
                thread::yield_now();
            }
            // A second clean of the same log is refused while the first holds the gate.
            let second = log.clean(&CleanOptions::new(NOW_MS));
            let closer = {
                let log = Arc::clone(&log);
                thread::spawn(move || log.close())
            };
            while !log.is_closing() {
                thread::yield_now();
            }
            Ok((cleaner, second, closer))
        })
        .unwrap();
    let second = second.unwrap_err();
    assert!(second.to_string().contains("already running"), "{second}");
    // Once the lock is free, the clean sees the stop, leaves the gate, and close finishes.
    let result = cleaner.join().unwrap().unwrap();
    assert!(result.aborted, "the clean was stopped by close");
    closer.join().unwrap().unwrap();
    assert!(!log.is_cleaning());
    assert!(log.with_log(|l| Ok(l.log_end_offset())).is_err());
    // Nothing of the stopped clean is left in the directory: the log reopens whole.
    let reopened = Log::open(dir.path(), config(), 0).unwrap();
    assert_eq!(reopened.log_end_offset(), 200);
    assert_eq!(read_all(&reopened).len(), 200);
}

#[test]
fn a_clean_through_the_shared_log_compacts() {
    let dir = tempfile::tempdir().unwrap();
    let log = dirty_log(dir.path());
    let result = log.clean(&CleanOptions::new(NOW_MS)).unwrap();
    assert!(!result.aborted);
    assert!(result.records_removed > 0, "{result:?}");
    assert!(!log.is_cleaning());
}
