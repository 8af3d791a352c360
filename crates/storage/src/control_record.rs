//! The record inside a control batch (KIP-98): Kafka's `ControlRecordType` key and the
//! `EndTransactionMarker` value of a COMMIT or ABORT marker.
//!
//! Owns: reading a marker back from a stored control batch (producer state is rebuilt from
//! them on open, see [`crate::producer_batches`]). Writing markers is the control plane's.
//!
//! Byte layout (big-endian), in the one record of a control batch (attribute bit 5):
//!
//! ```text
//! key    version int16 (0) | type int16    0 ABORT, 1 COMMIT (2.. are `KRaft`'s, not markers)
//! value  version int16 (0) | coordinatorEpoch int32      (EndTransactionMarker)
//! ```
//!
//! Kafka writes control batches uncompressed; a compressed one is read all the same. Pure
//! functions over byte slices (`Send + Sync`); every length is bounds-checked and malformed
//! input is `CORRUPT_MESSAGE`, never a panic.

use crate::batch::{RecordBatchHeader, RECORD_BATCH_OVERHEAD};
use crate::cleaner_records::for_each_record;
use crate::compression::{decompress, Codec};
use crate::error::{Result, StorageError};

/// `ControlRecordType.ABORT`.
pub const CONTROL_TYPE_ABORT: i16 = 0;
/// `ControlRecordType.COMMIT`.
pub const CONTROL_TYPE_COMMIT: i16 = 1;
/// Bytes of a control record key (version + type).
pub const CONTROL_KEY_SIZE: usize = 4;
/// Bytes of an `EndTransactionMarker` value (version + coordinator epoch).
pub const END_TXN_MARKER_VALUE_SIZE: usize = 6;
/// Largest control batch records section read (a marker's is about 20 bytes).
const CONTROL_RECORDS_BYTES_MAX: usize = 64 * 1024;

/// The marker a control batch holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlRecord {
    /// The key's type: [`CONTROL_TYPE_ABORT`], [`CONTROL_TYPE_COMMIT`] or another control
    /// type (`KRaft`'s), for which `coordinator_epoch` is -1.
    pub control_type: i16,
    /// The `EndTransactionMarker`'s coordinator epoch (-1 for other control types).
    pub coordinator_epoch: i32,
}

impl ControlRecord {
    /// A COMMIT or ABORT marker.
    #[must_use]
    pub fn is_end_txn_marker(&self) -> bool {
        matches!(self.control_type, CONTROL_TYPE_ABORT | CONTROL_TYPE_COMMIT)
    }
}

/// Reads the control record of `batch` (one whole control batch). Errors: not a control
/// batch, no record, a key or value too short for its type (`CorruptMessage`).
pub fn read_control_record(header: &RecordBatchHeader, batch: &[u8]) -> Result<ControlRecord> {
    let bad = |what: &str| {
        StorageError::CorruptMessage(format!(
            "control batch at offset {}: {what}",
            header.base_offset
        ))
    };
    if !header.is_control_batch() {
        return Err(bad("the control attribute is not set"));
    }
    let section = batch
        .get(RECORD_BATCH_OVERHEAD..)
        .ok_or_else(|| bad("shorter than a batch header"))?;
    let codec = Codec::from_id(header.compression())?;
    let mut plain = Vec::new();
    let records = if codec == Codec::None {
        section
    } else {
        decompress(codec, section, CONTROL_RECORDS_BYTES_MAX, &mut plain)?;
        &plain[..]
    };
    let mut first: Option<(Vec<u8>, Option<Vec<u8>>)> = None;
    for_each_record(header, records, |r| {
        if first.is_none() {
            first = Some((
                r.key.unwrap_or_default().to_vec(),
                r.value.map(<[u8]>::to_vec),
            ));
        }
        Ok(())
    })?;
    let (key, value) = first.ok_or_else(|| bad("no record"))?;
    if key.len() < CONTROL_KEY_SIZE {
        return Err(bad(&format!("key of {} bytes", key.len())));
    }
    let control_type = i16::from_be_bytes([key[2], key[3]]);
    if !matches!(control_type, CONTROL_TYPE_ABORT | CONTROL_TYPE_COMMIT) {
        return Ok(ControlRecord {
            control_type,
            coordinator_epoch: -1,
        });
    }
    let value = value.unwrap_or_default();
    if value.len() < END_TXN_MARKER_VALUE_SIZE {
        return Err(bad(&format!(
            "end transaction marker value of {} bytes",
            value.len()
        )));
    }
    Ok(ControlRecord {
        control_type,
        coordinator_epoch: i32::from_be_bytes([value[2], value[3], value[4], value[5]]),
    })
}
