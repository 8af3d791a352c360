//! Crash recovery: torn and corrupt tails, lost and damaged indexes, the clean-open path.

mod common;

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use common::{assert_continuous, batch, read_all, small_config};
use tidelog_storage::{FileSlice, Log};

/// Fills a log and "crashes" (drops it without close: indexes stay preallocated, nothing
/// trimmed). Returns the batches as written.
fn crashed_log(dir: &Path, batches: usize) -> Vec<(i64, Vec<u8>)> {
    let mut log = Log::open(dir, small_config(), 0).unwrap();
    for i in 0..batches {
        log.append(
            &mut batch(1 + i % 4, 90, 1000 + i as i64, i as u8),
            1 + i32::from(i >= batches / 2),
            0,
        )
        .unwrap();
    }
    let all = read_all(&log);
    drop(log);
    all
}

fn segment_path(dir: &Path, base: i64, ext: &str) -> std::path::PathBuf {
    dir.join(format!("{base:020}.{ext}"))
}

fn last_segment_base(dir: &Path) -> i64 {
    let mut bases: Vec<i64> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".log").map(|s| s.parse().unwrap())
        })
        .collect();
    bases.sort_unstable();
    *bases.last().unwrap()
}

fn slices_at_every_offset(log: &Log) -> Vec<(i64, i64, u32, u32)> {
    (log.log_start_offset()..log.log_end_offset())
        .map(|o| {
            let s: FileSlice = log.read(o, 700, i64::MAX, true).unwrap().unwrap();
            (s.first_offset, s.last_offset, s.position, s.size)
        })
        .collect()
}

#[test]
fn torn_tail_mid_batch_recovers_to_last_whole_batch_and_is_reported_as_incomplete() {
    let dir = tempfile::tempdir().unwrap();
    let written = crashed_log(dir.path(), 60);
    let last_base = last_segment_base(dir.path());
    let log_file = segment_path(dir.path(), last_base, "log");
    let len = std::fs::metadata(&log_file).unwrap().len();
    let (last_batch_base, last_batch) = written.last().unwrap();
    // Cut the last batch in half.
    let cut = last_batch.len() as u64 / 2;
    OpenOptions::new()
        .write(true)
        .open(&log_file)
        .unwrap()
        .set_len(len - cut)
        .unwrap();
    let log = Log::open(dir.path(), small_config(), 0).unwrap();
    assert_eq!(log.log_end_offset(), *last_batch_base);
    // Reported as an incomplete batch: what was left of it, and no whole batch dropped.
    let t = &log.recovery().truncations[0];
    assert_eq!(t.offset, *last_batch_base);
    assert_eq!(t.truncated_bytes, last_batch.len() as u64 - cut);
    assert_eq!(t.reason.kind(), "incomplete_batch");
    assert_eq!(t.dropped.batches, 0, "no whole batch was dropped");
    assert!(!t.dropped.complete);
    assert_eq!(read_all(&log), written[..written.len() - 1].to_vec());
    assert_eq!(
        std::fs::metadata(&log_file).unwrap().len(),
        len - last_batch.len() as u64
    );
    assert_continuous(&read_all(&log), 0, *last_batch_base);
}

#[test]
fn flipped_byte_in_last_batch_is_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let written = crashed_log(dir.path(), 40);
    let last_base = last_segment_base(dir.path());
    let log_file = segment_path(dir.path(), last_base, "log");
    let mut bytes = std::fs::read(&log_file).unwrap();
    let n = bytes.len();
    bytes[n - 5] ^= 0xff; // inside the last batch's records: CRC no longer matches
    std::fs::write(&log_file, &bytes).unwrap();
    // Even a recovery point at the old end recovers: the untrimmed index shows the crash.
    let log = Log::open(dir.path(), small_config(), 1 << 40).unwrap();
    assert_eq!(read_all(&log), written[..written.len() - 1].to_vec());
}

#[test]
fn garbage_after_the_last_batch_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let written = crashed_log(dir.path(), 30);
    let last_base = last_segment_base(dir.path());
    let log_file = segment_path(dir.path(), last_base, "log");
    let mut f = OpenOptions::new().append(true).open(&log_file).unwrap();
    f.write_all(&[0xab; 3000]).unwrap();
    drop(f);
    let mut log = Log::open(dir.path(), small_config(), 0).unwrap();
    assert_eq!(read_all(&log), written);
    let leo = log.log_end_offset();
    let info = log.append(&mut batch(1, 1, 0, 0), 2, 0).unwrap();
    assert_eq!(info.first_offset, leo);
}

#[test]
fn corruption_in_a_middle_segment_deletes_later_segments() {
    let dir = tempfile::tempdir().unwrap();
    let written = crashed_log(dir.path(), 80);
    let log = Log::open(dir.path(), small_config(), 0).unwrap();
    let bases = log.segment_base_offsets();
    drop(log);
    assert!(bases.len() > 4);
    let victim = bases[2];
    let log_file = segment_path(dir.path(), victim, "log");
    let mut bytes = std::fs::read(&log_file).unwrap();
    bytes[70] ^= 0x40; // first batch of that segment, past its header
    std::fs::write(&log_file, &bytes).unwrap();
    // Recovery point at the victim's base: it and everything after are "unflushed".
    let log = Log::open(dir.path(), small_config(), victim).unwrap();
    assert_eq!(log.log_end_offset(), victim);
    assert_eq!(log.segment_base_offsets(), bases[..3].to_vec());
    assert!(!segment_path(dir.path(), bases[3], "log").exists());
    let keep: Vec<_> = written
        .iter()
        .filter(|(b, _)| *b < victim)
        .cloned()
        .collect();
    assert_eq!(read_all(&log), keep);
    // The epoch cache no longer mentions offsets that are gone.
    assert!(log
        .leader_epoch_entries()
        .iter()
        .all(|e| e.start_offset < victim));
}

#[test]
fn deleted_indexes_are_rebuilt_and_reads_identical() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::open(dir.path(), small_config(), 0).unwrap();
    for i in 0..70 {
        log.append(&mut batch(1 + i % 3, 70, i as i64 * 7, 0), 0, 0)
            .unwrap();
    }
    let leo = log.log_end_offset();
    let before = slices_at_every_offset(&log);
    let by_time: Vec<_> = (0..500)
        .step_by(13)
        .map(|t| log.offset_for_timestamp(t).unwrap())
        .collect();
    let index_sizes: Vec<u64> = log
        .segments()
        .map(|s| s.offset_index().entries() as u64)
        .collect();
    log.close().unwrap();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let p = entry.unwrap().path();
        if p.extension()
            .is_some_and(|e| e == "index" || e == "timeindex")
        {
            std::fs::remove_file(p).unwrap();
        }
    }
    // A clean recovery point: only the missing indexes force the rebuild.
    let log = Log::open(dir.path(), small_config(), leo).unwrap();
    assert_eq!(log.log_end_offset(), leo);
    assert_eq!(slices_at_every_offset(&log), before);
    let by_time_after: Vec<_> = (0..500)
        .step_by(13)
        .map(|t| log.offset_for_timestamp(t).unwrap())
        .collect();
    assert_eq!(by_time_after, by_time);
    let rebuilt: Vec<u64> = log
        .segments()
        .map(|s| s.offset_index().entries() as u64)
        .collect();
    assert_eq!(
        rebuilt, index_sizes,
        "the same entries as written at append time"
    );
}

#[test]
fn corrupt_and_stale_indexes_are_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::open(dir.path(), small_config(), 0).unwrap();
    for i in 0..50 {
        log.append(&mut batch(2, 100, i, 0), 0, 0).unwrap();
    }
    let leo = log.log_end_offset();
    let before = slices_at_every_offset(&log);
    let bases = log.segment_base_offsets();
    log.close().unwrap();
    // Garbage in the first segment's index (not monotonic).
    let idx = segment_path(dir.path(), bases[0], "index");
    let mut bytes = std::fs::read(&idx).unwrap();
    assert!(bytes.len() >= 16);
    bytes[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
    std::fs::write(&idx, &bytes).unwrap();
    // A torn entry in the second segment's time index.
    let tidx = segment_path(dir.path(), bases[1], "timeindex");
    let len = std::fs::metadata(&tidx).unwrap().len();
    OpenOptions::new()
        .write(true)
        .open(&tidx)
        .unwrap()
        .set_len(len - 5)
        .unwrap();
    // Third segment: index entry that points at a position that is not a batch start.
    let idx3 = segment_path(dir.path(), bases[2], "index");
    let mut bytes = std::fs::read(&idx3).unwrap();
    let n = bytes.len();
    let pos = u32::from_be_bytes(bytes[n - 4..].try_into().unwrap());
    bytes[n - 4..].copy_from_slice(&(pos + 1).to_be_bytes());
    std::fs::write(&idx3, &bytes).unwrap();
    let log = Log::open(dir.path(), small_config(), leo).unwrap();
    assert_eq!(log.log_end_offset(), leo);
    assert_eq!(slices_at_every_offset(&log), before);
}

#[test]
fn clean_open_trusts_flushed_segments_and_recovery_point_zero_rescans() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::open(dir.path(), small_config(), 0).unwrap();
    for i in 0..30 {
        log.append(&mut batch(2, 100, i, 0), 0, 0).unwrap();
    }
    let leo = log.log_end_offset();
    log.close().unwrap();
    // Flip a record byte in the first batch (not the header): only a CRC scan notices.
    let f = segment_path(dir.path(), 0, "log");
    let mut bytes = std::fs::read(&f).unwrap();
    bytes[80] ^= 1;
    std::fs::write(&f, &bytes).unwrap();
    let log = Log::open(dir.path(), small_config(), leo).unwrap();
    assert_eq!(
        log.log_end_offset(),
        leo,
        "clean open: sanity check only, no CRC scan"
    );
    drop(log);
    let log = Log::open(dir.path(), small_config(), 0).unwrap();
    assert_eq!(
        log.log_end_offset(),
        0,
        "full recovery stops at the first bad batch"
    );
    assert_eq!(log.segment_count(), 1);
}

#[test]
fn unflushed_tail_with_lost_segment_files() {
    let dir = tempfile::tempdir().unwrap();
    let written = crashed_log(dir.path(), 60);
    let last = last_segment_base(dir.path());
    // The newest segment vanished entirely (created after the last directory fsync).
    for ext in ["log", "index", "timeindex"] {
        std::fs::remove_file(segment_path(dir.path(), last, ext)).unwrap();
    }
    let mut log = Log::open(dir.path(), small_config(), 0).unwrap();
    assert_eq!(log.log_end_offset(), last);
    let keep: Vec<_> = written.iter().filter(|(b, _)| *b < last).cloned().collect();
    assert_eq!(read_all(&log), keep);
    assert!(log
        .leader_epoch_entries()
        .iter()
        .all(|e| e.start_offset < last));
    log.append(&mut batch(1, 1, 0, 0), 5, 0).unwrap();
    assert_continuous(&read_all(&log), 0, last + 1);
}

#[test]
fn epochs_are_rebuilt_from_batches_when_the_checkpoint_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::open(dir.path(), small_config(), 0).unwrap();
    for i in 0..12 {
        log.append(&mut batch(1, 10, 0, 0), i / 4, 0).unwrap();
    }
    let entries = log.leader_epoch_entries().to_vec();
    drop(log);
    std::fs::remove_file(dir.path().join("leader-epoch-checkpoint")).unwrap();
    let log = Log::open(dir.path(), small_config(), 0).unwrap();
    assert_eq!(log.leader_epoch_entries(), entries.as_slice());
}

#[test]
fn leftover_files_are_cleaned() {
    let dir = tempfile::tempdir().unwrap();
    crashed_log(dir.path(), 5);
    std::fs::write(dir.path().join("00000000000000000999.index"), [0u8; 16]).unwrap();
    std::fs::write(dir.path().join("00000000000000000000.log.deleted"), b"x").unwrap();
    std::fs::write(dir.path().join("leader-epoch-checkpoint.tmp"), b"junk").unwrap();
    let log = Log::open(dir.path(), small_config(), 0).unwrap();
    assert!(!dir.path().join("00000000000000000999.index").exists());
    assert!(!dir.path().join("00000000000000000000.log.deleted").exists());
    assert!(!dir.path().join("leader-epoch-checkpoint.tmp").exists());
    assert_eq!(log.segment_count(), 1);
}

#[test]
fn a_truncation_is_reported_with_file_position_offsets_and_what_was_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let written = crashed_log(dir.path(), 80);
    let log = Log::open(dir.path(), small_config(), 0).unwrap();
    assert!(
        log.recovery().truncations.is_empty(),
        "a crash after whole writes truncates nothing"
    );
    let bases = log.segment_base_offsets();
    drop(log);
    assert!(bases.len() > 4);
    let victim = bases[2];
    let log_file = segment_path(dir.path(), victim, "log");
    let mut bytes = std::fs::read(&log_file).unwrap();
    // The second batch of the segment, past its header: its CRC no longer matches.
    let first_len = written.iter().find(|(b, _)| *b == victim).unwrap().1.len();
    bytes[first_len + 70] ^= 0x40;
    std::fs::write(&log_file, &bytes).unwrap();
    let log = Log::open(dir.path(), small_config(), victim).unwrap();
    let recovery = log.recovery();
    assert_eq!(recovery.truncations.len(), 1);
    let t = &recovery.truncations[0];
    assert_eq!(t.segment, log_file);
    assert_eq!(t.base_offset, victim);
    assert_eq!(t.position, first_len as u64);
    let lost: Vec<_> = written.iter().filter(|(b, _)| *b > victim).collect();
    assert_eq!(t.offset, lost[0].0, "the first offset lost");
    assert_eq!(log.log_end_offset(), t.offset);
    assert_eq!(t.truncated_bytes, (bytes.len() - first_len) as u64);
    assert_eq!(t.deleted_segments.len(), bases.len() - 3);
    assert!(matches!(
        t.reason,
        tidelog_storage::InvalidBatchReason::CrcMismatch { .. }
    ));
    assert_eq!(t.reason.kind(), "crc_mismatch");
    // Every dropped batch is counted, the damaged one included (its header is intact).
    assert!(t.dropped.complete);
    assert_eq!(t.dropped.batches, lost.len() as u64);
    let lost_records: u64 = lost
        .iter()
        .map(|(b, bytes)| (common::last_offset_of(bytes) - b + 1) as u64)
        .sum();
    assert_eq!(t.dropped.records, lost_records);
    assert_eq!(
        t.dropped.last_offset,
        Some(common::last_offset_of(&written.last().unwrap().1))
    );
    let on_disk: u64 = lost.iter().map(|(_, b)| b.len() as u64).sum();
    assert_eq!(t.truncated_bytes + t.deleted_bytes, on_disk);
}

#[test]
fn recovered_segments_keep_the_recovery_point_until_a_flush() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::open(dir.path(), small_config(), 0).unwrap();
    for i in 0..10 {
        log.append(&mut batch(1, 90, i, 0), 0, 0).unwrap();
    }
    log.flush().unwrap();
    let flushed = log.log_end_offset();
    for i in 0..30 {
        log.append(&mut batch(1, 90, i, 0), 0, 0).unwrap();
    }
    let leo = log.log_end_offset();
    drop(log); // a crash: no close
    let mut log = Log::open(dir.path(), small_config(), flushed).unwrap();
    assert_eq!(log.log_end_offset(), leo);
    assert!(log.recovery().segments_recovered > 0);
    // Recovery does not fsync what it checked: the recovery point stays until a flush does.
    assert_eq!(log.recovery_point(), flushed);
    log.flush().unwrap();
    assert_eq!(log.recovery_point(), leo);
    log.close().unwrap();
    let log = Log::open(dir.path(), small_config(), leo).unwrap();
    assert_eq!(
        log.recovery().segments_recovered,
        0,
        "a clean open recovers nothing"
    );
    assert_eq!(log.recovery_point(), leo);
}
