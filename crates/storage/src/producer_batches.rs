//! The batches of idempotent and transactional producers still in a log, read back from
//! batch headers (and the one record of each transaction marker), so that the broker can
//! rebuild its producer state (Kafka's `ProducerStateManager`) when it opens a partition:
//! without it, a producer's retry that straddles a restart would be stored twice, and an
//! ongoing or aborted transaction would be forgotten. The caller replays from its last
//! snapshot's offset, or, with no usable snapshot, from the last two segments (a bound Tidelog
//! chooses: Kafka reads the whole log then). Only headers are read (one `pread` each), plus
//! the whole batch of a control batch (a marker is about 80 bytes).
//!
//! What is reported, in log order: each producer's latest `per_producer` batches (for
//! sequence deduplication), and, whatever that window, every transaction marker (control
//! batch: COMMIT or ABORT, with its coordinator epoch) and every batch that starts a
//! transaction (the producer's first transactional batch after a marker, or the first read),
//! so the caller knows each transaction's first offset and how it ended.
//!
//! After compaction a producer's last batch may be empty (header only: the log cleaner keeps
//! it for its sequences and epoch, Kafka's `RETAIN_EMPTY`); it is reported as any other batch.
//! A transaction marker whose transaction the cleaner removed whole may be gone.

use std::collections::{HashMap, VecDeque};

use crate::batch::TRANSACTIONAL_FLAG_MASK;
use crate::control_record::read_control_record;
use crate::error::Result;
use crate::log::Log;

/// Producer id of a batch written without idempotence.
const NO_PRODUCER_ID: i64 = -1;

/// How many segments, counted from the active one, a rebuild without a snapshot reads.
pub const SEGMENTS_READ_WITHOUT_SNAPSHOT: usize = 2;

/// `controlType` of a batch that is not a transaction marker.
pub const NOT_CONTROL: i16 = -1;

/// One producer's batch: its producer fields and the offsets it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerBatch {
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub first_sequence: i32,
    /// `first_sequence` plus the batch's last offset delta, wrapping past `i32::MAX` to 0.
    pub last_sequence: i32,
    pub base_offset: i64,
    pub last_offset: i64,
    /// The batch's max timestamp (what `producer.id.expiration.ms` is measured from).
    pub max_timestamp: i64,
    /// Attribute bit 4: part of a transaction (markers carry it too).
    pub is_transactional: bool,
    /// A transaction marker: 0 ABORT, 1 COMMIT; [`NOT_CONTROL`] (-1) for a data batch.
    pub control_type: i16,
    /// The marker's coordinator epoch; -1 for a data batch.
    pub coordinator_epoch: i32,
}

/// Where a rebuild starts reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadFrom {
    /// Batches whose last offset is at or after this offset (a snapshot's offset).
    Offset(i64),
    /// The last [`SEGMENTS_READ_WITHOUT_SNAPSHOT`] segments.
    LastSegments,
}

/// The batches of `log` written by producers (producer id set) from `from` on (never below
/// the log start offset): at most `per_producer` of each producer (its latest), plus every
/// transaction marker and every batch starting a transaction (see the module docs), in log
/// order. Control batches other than COMMIT and ABORT are skipped. Errors: damaged batch
/// headers or markers (`KafkaStorageError`, `CorruptMessage`).
pub fn producer_batches(
    log: &Log,
    from: ReadFrom,
    per_producer: usize,
) -> Result<Vec<ProducerBatch>> {
    let segments: Vec<_> = log.segments().collect();
    let (first_segment, wanted_from) = match from {
        ReadFrom::LastSegments => (
            segments
                .len()
                .saturating_sub(SEGMENTS_READ_WITHOUT_SNAPSHOT),
            i64::MIN,
        ),
        // The last segment whose base is at or below the offset holds it (or the gap before it).
        ReadFrom::Offset(offset) => (
            segments
                .iter()
                .rposition(|s| s.base_offset() <= offset)
                .unwrap_or(0),
            offset,
        ),
    };
    let from_offset = wanted_from.max(log.log_start_offset());
    let mut latest: HashMap<i64, VecDeque<ProducerBatch>> = HashMap::new();
    // Markers and transaction starts, kept whatever the window.
    let mut pinned: Vec<ProducerBatch> = Vec::new();
    // Producers inside a transaction (a transactional batch seen since their last marker).
    let mut in_txn: HashMap<i64, bool> = HashMap::new();
    for segment in &segments[first_segment..] {
        segment.for_each_batch_header(|position, h| {
            if h.producer_id == NO_PRODUCER_ID || h.last_offset() < from_offset {
                return Ok(());
            }
            let (control_type, coordinator_epoch) = if h.is_control_batch() {
                let marker = read_control_record(h, &segment.batch_bytes(position, h)?)?;
                if !marker.is_end_txn_marker() {
                    return Ok(());
                }
                (marker.control_type, marker.coordinator_epoch)
            } else {
                (NOT_CONTROL, -1)
            };
            let is_transactional = h.attributes & TRANSACTIONAL_FLAG_MASK != 0;
            let batch = ProducerBatch {
                producer_id: h.producer_id,
                producer_epoch: h.producer_epoch,
                first_sequence: h.base_sequence,
                last_sequence: increment_sequence(h.base_sequence, h.last_offset_delta),
                base_offset: h.base_offset,
                last_offset: h.last_offset(),
                max_timestamp: h.max_timestamp,
                is_transactional,
                control_type,
                coordinator_epoch,
            };
            let open = in_txn.entry(h.producer_id).or_insert(false);
            if control_type != NOT_CONTROL {
                *open = false;
                pinned.push(batch);
                return Ok(());
            }
            if is_transactional && !*open {
                *open = true;
                pinned.push(batch.clone());
            }
            if per_producer == 0 {
                return Ok(());
            }
            let kept = latest.entry(h.producer_id).or_default();
            if kept.len() == per_producer {
                kept.pop_front();
            }
            kept.push_back(batch);
            Ok(())
        })?;
    }
    let mut batches: Vec<ProducerBatch> = latest.into_values().flatten().collect();
    batches.extend(pinned);
    batches.sort_unstable_by_key(|b| b.base_offset);
    batches.dedup_by_key(|b| b.base_offset);
    Ok(batches)
}

/// Kafka's `DefaultRecordBatch.incrementSequence`: sequences wrap from `i32::MAX` to 0.
fn increment_sequence(sequence: i32, increment: i32) -> i32 {
    let next = i64::from(sequence) + i64::from(increment);
    (next % (i64::from(i32::MAX) + 1)) as i32
}
