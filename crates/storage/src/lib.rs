//! Tidelog's partition log engine.
//!
//! A partition is a directory laid out exactly as Apache Kafka lays it out, so Kafka's own
//! tools (`kafka-dump-log.sh`, `DumpLogSegments`) read it:
//!
//! ```text
//! <dir>/00000000000000000000.log        v2 record batches, verbatim        (FileRecords)
//! <dir>/00000000000000000000.index      8-byte entries, sparse             (OffsetIndex)
//! <dir>/00000000000000000000.timeindex  12-byte entries, sparse            (TimeIndex)
//! <dir>/00000000000000000000.txnindex   34-byte entries, aborted txns      (TransactionIndex)
//! <dir>/leader-epoch-checkpoint         text: version, count, epoch lines  (LeaderEpochFileCache)
//! ```
//!
//! The hot path never copies records: a leader append validates batch headers and CRC32C,
//! walks the records in place (decompressing a compressed batch into a reused scratch buffer,
//! [`log_validator`]), patches offsets in place and issues one `pwrite`; a read finds a byte range with the mmap'd
//! offset index and a short scan of batch headers, and the bytes reach the socket with
//! `sendfile(2)` ([`FileSlice::send_to_fd`]).
//!
//! Every type here names the Kafka class it follows (`LogSegment`, `OffsetIndex`,
//! `TimeIndex`, `LeaderEpochFileCache`, `UnifiedLog`/`LocalLog` as [`Log`]); the doc comment
//! of each states its byte layout, its thread-safety, and what happens after a crash.

pub mod batch;
pub mod cleaner;
pub mod cleaner_offset_map;
pub mod cleaner_records;
pub mod compression;
pub mod config;
pub mod control_record;
pub mod epoch;
pub mod error;
pub mod file_slice;
mod index_file;
pub mod log;
pub mod log_dir_lock;
pub mod log_validator;
pub mod offset_index;
pub mod page_cache;
pub mod producer_batches;
pub mod segment;
pub mod segment_index;
pub mod shared_log;
mod slice_send;
pub mod time_index;
pub mod txn_index;
pub mod varint;

pub use batch::{RecordBatchHeader, TimestampType};
pub use cleaner::{CleanOptions, CleanResult, CleanableRange, LogLock};
pub use config::LogConfig;
pub use epoch::{EpochEntry, LeaderEpochFileCache};
pub use error::{Result, StorageError};
pub use file_slice::FileSlice;
pub use log::{AppendInfo, FlushPlan, Log, LogRecovery, RecoveryTruncation};
pub use log_dir_lock::{LogDirLock, LogDirLockError};
pub use log_validator::AppendOrigin;
pub use offset_index::OffsetIndex;
pub use segment::{DroppedBatches, InvalidBatchReason, LogSegment};
pub use shared_log::SharedLog;
pub use time_index::TimeIndex;
pub use txn_index::{AbortedTxn, TransactionIndex};
