// What Kafka refuses in a record batch a client produces, read from the batch header alone
// (the records are never decoded): the checks of Kafka's LogValidator.validateBatch for
// client appends that the log's own batch check (bounds, magic, CRC, offsets against the
// record count) does not make, KafkaApis' check that transactional batches come with a
// transactional id, and ProduceRequest's that zstd needs Produce v7. Batches that are not v2
// or too short are the log's to refuse. The log's validator (crates/storage log_validator.rs)
// checks the same two client rules again, with the records, for appends that skip this path.
import { ErrorCode } from '../protocol/errors.js';
import { BatchAttributes, BatchHeader, CURRENT_MAGIC } from '../records/batch-header.js';

const ZSTD = 4;

function v2Header(batch: Buffer | null): batch is Buffer {
  return batch !== null && batch.length >= BatchHeader.BYTES && batch[BatchHeader.MAGIC] === CURRENT_MAGIC;
}

/** Whether the batch is marked transactional (KafkaApis: such records need a transactionalId). */
export function isTransactionalBatch(batch: Buffer | null): boolean {
  return v2Header(batch) && (batch.readInt16BE(BatchHeader.ATTRIBUTES) & BatchAttributes.TRANSACTIONAL) !== 0;
}

/** Whether the batch is compressed with zstd (KIP-110: Produce v7+ only, as Kafka's ProduceRequest.validateRecords). */
export function isZstdBatch(batch: Buffer | null): boolean {
  return v2Header(batch) && (batch.readInt16BE(BatchHeader.ATTRIBUTES) & BatchAttributes.COMPRESSION_MASK) === ZSTD;
}

/** Kafka's refusal of a client's batch (INVALID_RECORD with LogValidator's message), or null. */
export function clientBatchRefusal(batch: Buffer | null, topicPartition: string): { errorCode: number; errorMessage: string } | null {
  if (!v2Header(batch)) return null;
  // A control batch (a transaction marker) is written by the transaction coordinator only:
  // from a client it would end or abort transactions for read_committed consumers.
  if ((batch.readInt16BE(BatchHeader.ATTRIBUTES) & BatchAttributes.CONTROL) !== 0) {
    return { errorCode: ErrorCode.INVALID_RECORD, errorMessage: `Clients are not allowed to write control records in topic partition ${topicPartition}.` };
  }
  const producerId = batch.readBigInt64BE(BatchHeader.PRODUCER_ID);
  const baseSequence = batch.readInt32BE(BatchHeader.BASE_SEQUENCE);
  if (producerId >= 0n && baseSequence < 0) {
    return { errorCode: ErrorCode.INVALID_RECORD, errorMessage: `Invalid sequence number ${baseSequence} in record batch with producerId ${producerId} in topic partition ${topicPartition}.` };
  }
  return null;
}
