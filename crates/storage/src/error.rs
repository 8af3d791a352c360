//! The storage error type. Every variant maps to exactly one Kafka protocol error code, so the
//! control plane can put it into a response without interpreting it (Kafka errors are data).

use std::io;

/// Result alias for the storage crate.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// Errors from the log engine, one variant per Kafka error code
/// (`org.apache.kafka.common.protocol.Errors`).
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A batch failed its CRC32C check, or its header is malformed or truncated.
    /// Kafka: `CorruptRecordException`, `CORRUPT_MESSAGE` (2).
    #[error("CORRUPT_MESSAGE: {0}")]
    CorruptMessage(String),

    /// A batch is well formed but its contents break a rule (record count, offset delta,
    /// out-of-order offsets on a replica append).
    /// Kafka: `InvalidRecordException`, `INVALID_RECORD` (87).
    #[error("INVALID_RECORD: {0}")]
    InvalidRecord(String),

    /// A record's timestamp is outside `message.timestamp.before.max.ms` /
    /// `message.timestamp.after.max.ms` of the broker's clock (`CreateTime` topics), or a
    /// producer sent a batch marked `LogAppendTime` (KIP-937; Kafka's `LogValidator`).
    /// Kafka: `InvalidTimestampException`, `INVALID_TIMESTAMP` (32).
    #[error("INVALID_TIMESTAMP: {0}")]
    InvalidTimestamp(String),

    /// One batch is larger than `max.message.bytes`.
    /// Kafka: `RecordTooLargeException`, `MESSAGE_TOO_LARGE` (10).
    #[error("MESSAGE_TOO_LARGE: {0}")]
    MessageTooLarge(String),

    /// The whole append is larger than one segment position can address (2 GiB).
    /// Kafka: `RecordBatchTooLargeException`, `RECORD_LIST_TOO_LARGE` (18).
    #[error("RECORD_LIST_TOO_LARGE: {0}")]
    RecordListTooLarge(String),

    /// A batch with magic 0 or 1 (message format v0/v1); Tidelog stores v2 only.
    /// Kafka: `UnsupportedForMessageFormatException`, `UNSUPPORTED_FOR_MESSAGE_FORMAT` (43).
    #[error("UNSUPPORTED_FOR_MESSAGE_FORMAT: {0}")]
    UnsupportedForMessageFormat(String),

    /// The requested offset is below the log start offset or above the log end offset.
    /// Kafka: `OffsetOutOfRangeException`, `OFFSET_OUT_OF_RANGE` (1).
    #[error("OFFSET_OUT_OF_RANGE: {0}")]
    OffsetOutOfRange(String),

    /// A leader append carried a leader epoch older than the latest epoch in the log.
    /// Kafka: `FencedLeaderEpochException`, `FENCED_LEADER_EPOCH` (74).
    #[error("FENCED_LEADER_EPOCH: {0}")]
    FencedLeaderEpoch(String),

    /// A `LogConfig` value is outside its allowed range.
    /// Kafka: `InvalidConfigurationException`, `INVALID_CONFIG` (40).
    #[error("INVALID_CONFIG: {0}")]
    InvalidConfig(String),

    /// Sending a file slice to a socket failed (peer closed, reset, bad descriptor).
    /// Kafka: `NetworkException`, `NETWORK_EXCEPTION` (13).
    #[error("NETWORK_EXCEPTION: {context}: {source}")]
    Network {
        context: String,
        #[source]
        source: io::Error,
    },

    /// Sending a file slice made no progress within the send timeout.
    /// Kafka: `TimeoutException`, `REQUEST_TIMED_OUT` (7).
    #[error("REQUEST_TIMED_OUT: {0}")]
    RequestTimedOut(String),

    /// Any I/O failure on the log directory, or on-disk state that recovery cannot repair.
    /// Kafka: `KafkaStorageException`, `KAFKA_STORAGE_ERROR` (56).
    #[error("KAFKA_STORAGE_ERROR: {context}: {source}")]
    KafkaStorageError {
        context: String,
        #[source]
        source: io::Error,
    },
}

impl StorageError {
    /// The Kafka protocol error code (`Errors.code()`).
    #[must_use]
    pub fn kafka_error_code(&self) -> i16 {
        match self {
            Self::OffsetOutOfRange(_) => 1,
            Self::CorruptMessage(_) => 2,
            Self::RequestTimedOut(_) => 7,
            Self::MessageTooLarge(_) => 10,
            Self::Network { .. } => 13,
            Self::RecordListTooLarge(_) => 18,
            Self::InvalidTimestamp(_) => 32,
            Self::InvalidConfig(_) => 40,
            Self::UnsupportedForMessageFormat(_) => 43,
            Self::KafkaStorageError { .. } => 56,
            Self::FencedLeaderEpoch(_) => 74,
            Self::InvalidRecord(_) => 87,
        }
    }

    /// The Kafka protocol error name (`Errors.name()`), e.g. `CORRUPT_MESSAGE`.
    #[must_use]
    pub fn kafka_error_name(&self) -> &'static str {
        match self {
            Self::OffsetOutOfRange(_) => "OFFSET_OUT_OF_RANGE",
            Self::CorruptMessage(_) => "CORRUPT_MESSAGE",
            Self::RequestTimedOut(_) => "REQUEST_TIMED_OUT",
            Self::MessageTooLarge(_) => "MESSAGE_TOO_LARGE",
            Self::Network { .. } => "NETWORK_EXCEPTION",
            Self::RecordListTooLarge(_) => "RECORD_LIST_TOO_LARGE",
            Self::InvalidTimestamp(_) => "INVALID_TIMESTAMP",
            Self::InvalidConfig(_) => "INVALID_CONFIG",
            Self::UnsupportedForMessageFormat(_) => "UNSUPPORTED_FOR_MESSAGE_FORMAT",
            Self::KafkaStorageError { .. } => "KAFKA_STORAGE_ERROR",
            Self::FencedLeaderEpoch(_) => "FENCED_LEADER_EPOCH",
            Self::InvalidRecord(_) => "INVALID_RECORD",
        }
    }

    /// Wraps an I/O error on the log directory, naming what was being done.
    pub fn storage(context: impl Into<String>, source: io::Error) -> Self {
        Self::KafkaStorageError {
            context: context.into(),
            source,
        }
    }

    /// On-disk state that is wrong in a way recovery does not repair (for example two
    /// segments whose offsets overlap).
    pub fn storage_invalid_data(context: impl Into<String>) -> Self {
        let context = context.into();
        Self::KafkaStorageError {
            source: io::Error::new(io::ErrorKind::InvalidData, context.clone()),
            context,
        }
    }
}

/// `map_err` helper: `file.sync_data().map_err(io_context("fsync segment"))`.
pub(crate) fn io_context(context: impl Into<String>) -> impl FnOnce(io::Error) -> StorageError {
    let context = context.into();
    move |source| StorageError::storage(context, source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_kafka_code_and_name() {
        let io = || io::Error::other("x");
        let cases: Vec<(StorageError, i16, &str)> = vec![
            (
                StorageError::CorruptMessage(String::new()),
                2,
                "CORRUPT_MESSAGE",
            ),
            (
                StorageError::InvalidRecord(String::new()),
                87,
                "INVALID_RECORD",
            ),
            (
                StorageError::InvalidTimestamp(String::new()),
                32,
                "INVALID_TIMESTAMP",
            ),
            (
                StorageError::MessageTooLarge(String::new()),
                10,
                "MESSAGE_TOO_LARGE",
            ),
            (
                StorageError::RecordListTooLarge(String::new()),
                18,
                "RECORD_LIST_TOO_LARGE",
            ),
            (
                StorageError::UnsupportedForMessageFormat(String::new()),
                43,
                "UNSUPPORTED_FOR_MESSAGE_FORMAT",
            ),
            (
                StorageError::OffsetOutOfRange(String::new()),
                1,
                "OFFSET_OUT_OF_RANGE",
            ),
            (
                StorageError::FencedLeaderEpoch(String::new()),
                74,
                "FENCED_LEADER_EPOCH",
            ),
            (
                StorageError::InvalidConfig(String::new()),
                40,
                "INVALID_CONFIG",
            ),
            (
                StorageError::Network {
                    context: String::new(),
                    source: io(),
                },
                13,
                "NETWORK_EXCEPTION",
            ),
            (
                StorageError::RequestTimedOut(String::new()),
                7,
                "REQUEST_TIMED_OUT",
            ),
            (StorageError::storage("x", io()), 56, "KAFKA_STORAGE_ERROR"),
        ];
        for (err, code, name) in cases {
            assert_eq!(err.kafka_error_code(), code, "{err}");
            assert_eq!(err.kafka_error_name(), name);
            assert!(
                err.to_string().starts_with(name),
                "message starts with the name: {err}"
            );
        }
    }
}
