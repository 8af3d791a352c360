// What Kafka refuses in a record batch a client produces, read from the batch header alone
// (the records are never decoded): the checks of Kafka's LogValidator.validateBatch for
// client appends that the log's own batch check (bounds, magic, CRC, offsets against the
// record count) does not make, KafkaApis' check that transactional batches come with a
// transactional id, and ProduceRequest's that zstd needs Produce v7. Batches that are not v2 or too short are the log's to refuse.
//
// v2 batch header: baseOffset i64 @0, batchLength i32 @8, partitionLeaderEpoch i32 @12,
// magic i8 @16, crc u32 @17, attributes i16 @21 (bit 4 transactional, bit 5 control),
// lastOffsetDelta i32 @23, baseTimestamp i64 @27, maxTimestamp i64 @35, producerId i64 @43,
// producerEpoch i16 @51, baseSequence i32 @53, records count i32 @57, records @61.
import { ErrorCode } from '../protocol/errors.js';

const HEADER_BYTES = 61;
const MAGIC_OFFSET = 16;
const ATTRIBUTES_OFFSET = 21;
const PRODUCER_ID_OFFSET = 43;
const BASE_SEQUENCE_OFFSET = 53;
const TRANSACTIONAL_FLAG = 0x10;
const COMPRESSION_MASK = 0x07;
const ZSTD = 4;
const CONTROL_FLAG = 0x20;

function v2Header(batch: Buffer | null): batch is Buffer {
  return batch !== null && batch.length >= HEADER_BYTES && batch[MAGIC_OFFSET] === 2;
}

/** Whether the batch is marked transactional (KafkaApis: such records need a transactionalId). */
export function isTransactionalBatch(batch: Buffer | null): boolean {
  return v2Header(batch) && (batch.readInt16BE(ATTRIBUTES_OFFSET) & TRANSACTIONAL_FLAG) !== 0;
}

/** Whether the batch is compressed with zstd (KIP-110: Produce v7+ only, as Kafka's ProduceRequest.validateRecords). */
export function isZstdBatch(batch: Buffer | null): boolean {
  return v2Header(batch) && (batch.readInt16BE(ATTRIBUTES_OFFSET) & COMPRESSION_MASK) === ZSTD;
}

/** Kafka's refusal of a client's batch (INVALID_RECORD with LogValidator's message), or null. */
export function clientBatchRefusal(batch: Buffer | null, topicPartition: string): { errorCode: number; errorMessage: string } | null {
  if (!v2Header(batch)) return null;
  // A control batch (a transaction marker) is written by the transaction coordinator only:
  // from a client it would end or abort transactions for read_committed consumers.
  if ((batch.readInt16BE(ATTRIBUTES_OFFSET) & CONTROL_FLAG) !== 0) {
    return { errorCode: ErrorCode.INVALID_RECORD, errorMessage: `Clients are not allowed to write control records in topic partition ${topicPartition}.` };
  }
  const producerId = batch.readBigInt64BE(PRODUCER_ID_OFFSET);
  const baseSequence = batch.readInt32BE(BASE_SEQUENCE_OFFSET);
  if (producerId >= 0n && baseSequence < 0) {
    return { errorCode: ErrorCode.INVALID_RECORD, errorMessage: `Invalid sequence number ${baseSequence} in record batch with producerId ${producerId} in topic partition ${topicPartition}.` };
  }
  return null;
}
