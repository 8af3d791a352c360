// Owns the byte layout of a v2 record batch header (Kafka's DefaultRecordBatch) for the
// TypeScript side: named offsets, field readers, and one iterator over the whole batches of a
// buffer. Nothing else in src/ reads header bytes by number. Headers only: records are the
// client's (client/record-batch.ts) or the addon's to read.
//
// Layout, big-endian (61 bytes, then the records):
//   0 baseOffset int64 | 8 batchLength int32 (bytes after this field) | 12 partitionLeaderEpoch int32
//   | 16 magic int8 (2) | 17 crc uint32 (CRC32C of bytes 21..end) | 21 attributes int16
//   | 23 lastOffsetDelta int32 | 27 baseTimestamp int64 | 35 maxTimestamp int64
//   | 43 producerId int64 | 51 producerEpoch int16 | 53 baseSequence int32 | 57 recordCount int32
// Attributes: bits 0-2 compression, bit 3 timestamp type (1 = LogAppendTime), bit 4
// transactional, bit 5 control.

export const BatchHeader = {
  BASE_OFFSET: 0,
  BATCH_LENGTH: 8,
  PARTITION_LEADER_EPOCH: 12,
  MAGIC: 16,
  CRC: 17,
  ATTRIBUTES: 21,
  LAST_OFFSET_DELTA: 23,
  BASE_TIMESTAMP: 27,
  MAX_TIMESTAMP: 35,
  PRODUCER_ID: 43,
  PRODUCER_EPOCH: 51,
  BASE_SEQUENCE: 53,
  RECORD_COUNT: 57,
  /** Bytes of the header, records excluded (Kafka's RECORD_BATCH_OVERHEAD). */
  BYTES: 61,
  /** baseOffset + batchLength: the bytes not counted by batchLength (Kafka's LOG_OVERHEAD). */
  LOG_OVERHEAD: 12,
} as const;

export const CURRENT_MAGIC = 2;

export const BatchAttributes = {
  COMPRESSION_MASK: 0x07,
  TIMESTAMP_TYPE_LOG_APPEND_TIME: 0x08,
  TRANSACTIONAL: 0x10,
  CONTROL: 0x20,
} as const;

/** Total size in bytes of the batch at `pos` (its batchLength plus the log overhead). */
export function batchSize(buf: Buffer, pos = 0): number {
  return BatchHeader.LOG_OVERHEAD + buf.readInt32BE(pos + BatchHeader.BATCH_LENGTH);
}

export function baseOffsetOf(buf: Buffer, pos = 0): number {
  return Number(buf.readBigInt64BE(pos + BatchHeader.BASE_OFFSET));
}

/** baseOffset + lastOffsetDelta. */
export function lastOffsetOf(buf: Buffer, pos = 0): number {
  return baseOffsetOf(buf, pos) + buf.readInt32BE(pos + BatchHeader.LAST_OFFSET_DELTA);
}

export function recordCountOf(buf: Buffer, pos = 0): number {
  return buf.readInt32BE(pos + BatchHeader.RECORD_COUNT);
}

/** The producer fields of a batch's header. */
export function producerFieldsOf(buf: Buffer, pos = 0): { producerId: number; producerEpoch: number; baseSequence: number; lastOffsetDelta: number; maxTimestamp: number } {
  return {
    producerId: Number(buf.readBigInt64BE(pos + BatchHeader.PRODUCER_ID)),
    producerEpoch: buf.readInt16BE(pos + BatchHeader.PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(pos + BatchHeader.BASE_SEQUENCE),
    lastOffsetDelta: buf.readInt32BE(pos + BatchHeader.LAST_OFFSET_DELTA),
    maxTimestamp: Number(buf.readBigInt64BE(pos + BatchHeader.MAX_TIMESTAMP)),
  };
}

/**
 * The whole batches of `buf`, in order: each one's position and total size. Stops at the
 * first batch that is cut short (a fetch's size limit may cut the last one) or whose length
 * cannot hold a header (damage is the log's and the client's to report, not this reader's).
 */
export function* wholeBatches(buf: Buffer): Generator<{ readonly pos: number; readonly size: number }> {
  for (let pos = 0; buf.length - pos >= BatchHeader.BYTES; ) {
    const size = batchSize(buf, pos);
    if (size < BatchHeader.BYTES || pos + size > buf.length) return;
    yield { pos, size };
    pos += size;
  }
}
