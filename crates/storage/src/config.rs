//! Per-partition log configuration, named after Kafka's topic configs with units last.

use crate::batch::TimestampType;
use crate::error::{Result, StorageError};

/// The largest segment, in bytes: index positions are 32-bit and Kafka's `segment.bytes` is
/// an `int`.
pub const SEGMENT_BYTES_MAX: u32 = i32::MAX as u32;
/// Kafka's lower bound for `segment.bytes` (`LegacyRecord.RECORD_OVERHEAD_V0`).
pub const SEGMENT_BYTES_MIN: u32 = 14;
/// Smallest index we accept: two time index entries, because `TimeIndex` keeps its last
/// slot for the entry written when the segment rolls.
pub const MAX_INDEX_SIZE_BYTES_MIN: u32 = 24;

/// Configuration of one partition log. Every field is public; `Default` gives Kafka's
/// broker defaults.
///
/// Changing it with [`crate::Log::update_config`] applies to the next append; index sizes
/// apply to segments created afterwards (as in Kafka).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// `segment.bytes` (`log.segment.bytes`): roll when the active segment would grow past
    /// this. Default 1 GiB.
    pub segment_bytes: u32,
    /// `segment.ms` (`log.roll.ms`): roll when this much time separates the first batch of
    /// the active segment from the incoming one. Default 7 days.
    pub segment_ms: i64,
    /// `index.interval.bytes`: bytes of batches between two offset index entries.
    /// Default 4096.
    pub index_interval_bytes: u32,
    /// `segment.index.bytes` (`log.index.size.max.bytes`): preallocated size of each index
    /// file of the active segment; a full index rolls the segment. Default 10 MiB.
    pub max_index_size_bytes: u32,
    /// `max.message.bytes`: the largest record batch accepted. Default 1048588.
    pub max_message_bytes: u32,
    /// `message.timestamp.type`: `CreateTime` keeps the producer's timestamps,
    /// `LogAppendTime` overwrites them with the broker's clock on append.
    pub message_timestamp_type: TimestampType,
    /// `message.timestamp.before.max.ms` (KIP-937): with `CreateTime`, a record whose
    /// timestamp is more than this before the broker's clock is refused with
    /// `INVALID_TIMESTAMP`. Default `i64::MAX` (Kafka's `Long.MAX_VALUE`: no bound).
    pub message_timestamp_before_max_ms: i64,
    /// `message.timestamp.after.max.ms` (KIP-937): the same bound after the broker's clock.
    /// Default `i64::MAX`.
    pub message_timestamp_after_max_ms: i64,
    /// `cleanup.policy` includes `compact`: a leader append refuses records without a key
    /// (`INVALID_RECORD`, Kafka's `LogValidator.validateKey`). Default false.
    pub compacted: bool,
    /// Whether a leader append walks the records of each batch (Kafka's `LogValidator`: codec,
    /// record framing, count, offset deltas, timestamps; see [`crate::log_validator`]).
    /// Always true in a broker; false exists only so a benchmark can measure what the walk
    /// costs (Kafka has no such switch).
    pub validate_records: bool,
    /// `flush.messages`: fsync after this many unflushed records. Default never
    /// (`u64::MAX`, Kafka's `Long.MAX_VALUE`), leaving durability to replication.
    pub flush_interval_messages: u64,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            segment_bytes: 1_073_741_824,
            segment_ms: 604_800_000,
            index_interval_bytes: 4096,
            max_index_size_bytes: 10_485_760,
            max_message_bytes: 1_048_588,
            message_timestamp_type: TimestampType::CreateTime,
            message_timestamp_before_max_ms: i64::MAX,
            message_timestamp_after_max_ms: i64::MAX,
            compacted: false,
            validate_records: true,
            flush_interval_messages: u64::MAX,
        }
    }
}

impl LogConfig {
    /// Checks every value against its limit (Kafka's `LogConfig` validators, tightened
    /// where our formats need it).
    pub fn validate(&self) -> Result<()> {
        if !(SEGMENT_BYTES_MIN..=SEGMENT_BYTES_MAX).contains(&self.segment_bytes) {
            return Err(StorageError::InvalidConfig(format!(
                "segment_bytes {} outside [{SEGMENT_BYTES_MIN}, {SEGMENT_BYTES_MAX}]",
                self.segment_bytes
            )));
        }
        if self.segment_ms < 1 {
            return Err(StorageError::InvalidConfig(format!(
                "segment_ms {} must be at least 1",
                self.segment_ms
            )));
        }
        if self.index_interval_bytes > SEGMENT_BYTES_MAX {
            return Err(StorageError::InvalidConfig(format!(
                "index_interval_bytes {} larger than {SEGMENT_BYTES_MAX}",
                self.index_interval_bytes
            )));
        }
        if !(MAX_INDEX_SIZE_BYTES_MIN..=SEGMENT_BYTES_MAX).contains(&self.max_index_size_bytes) {
            return Err(StorageError::InvalidConfig(format!(
                "max_index_size_bytes {} outside [{MAX_INDEX_SIZE_BYTES_MIN}, {SEGMENT_BYTES_MAX}]",
                self.max_index_size_bytes
            )));
        }
        if self.max_message_bytes > SEGMENT_BYTES_MAX {
            return Err(StorageError::InvalidConfig(format!(
                "max_message_bytes {} larger than {SEGMENT_BYTES_MAX}",
                self.max_message_bytes
            )));
        }
        if self.message_timestamp_before_max_ms < 0 || self.message_timestamp_after_max_ms < 0 {
            return Err(StorageError::InvalidConfig(format!(
                "message_timestamp_before_max_ms {} and message_timestamp_after_max_ms {} must be at least 0",
                self.message_timestamp_before_max_ms, self.message_timestamp_after_max_ms
            )));
        }
        if self.flush_interval_messages == 0 {
            return Err(StorageError::InvalidConfig(
                "flush_interval_messages must be at least 1".to_owned(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_kafkas_and_valid() {
        let c = LogConfig::default();
        assert_eq!(c.segment_bytes, 1024 * 1024 * 1024);
        assert_eq!(c.segment_ms, 7 * 24 * 60 * 60 * 1000);
        assert_eq!(c.index_interval_bytes, 4096);
        assert_eq!(c.max_index_size_bytes, 10 * 1024 * 1024);
        assert_eq!(c.max_message_bytes, 1024 * 1024 + 12);
        assert_eq!(c.message_timestamp_type, TimestampType::CreateTime);
        c.validate().unwrap();
    }

    #[test]
    fn limits_are_enforced() {
        let bad = [
            LogConfig {
                segment_bytes: 10,
                ..LogConfig::default()
            },
            LogConfig {
                segment_bytes: u32::MAX,
                ..LogConfig::default()
            },
            LogConfig {
                segment_ms: 0,
                ..LogConfig::default()
            },
            LogConfig {
                max_index_size_bytes: 8,
                ..LogConfig::default()
            },
            LogConfig {
                flush_interval_messages: 0,
                ..LogConfig::default()
            },
            LogConfig {
                message_timestamp_before_max_ms: -1,
                ..LogConfig::default()
            },
            LogConfig {
                message_timestamp_after_max_ms: -1,
                ..LogConfig::default()
            },
        ];
        for c in bad {
            let err = c.validate().unwrap_err();
            assert_eq!(err.kafka_error_code(), 40, "{c:?}");
        }
    }
}
