// A small encoder and decoder of Kafka v2 record batches (magic 2), for the control plane's
// own records in __consumer_offsets: the coordinator builds uncompressed batches of
// key/value records and reads them back at start-up. This is not the produce or fetch path
// (those move batches whole and never decode them); the CRC32C here is a TypeScript table,
// which is fine for a few batches per commit but would not be for the data path.
//
// Batch layout (DefaultRecordBatch in Kafka), big-endian:
//   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 (2)
//   | crc uint32 (CRC32C of everything after it) | attributes int16 | lastOffsetDelta int32
//   | baseTimestamp int64 | maxTimestamp int64 | producerId int64 | producerEpoch int16
//   | baseSequence int32 | recordCount int32 | records
// Record layout (varints are zigzag): length varint | attributes int8 | timestampDelta varlong
//   | offsetDelta varint | keyLength varint | key | valueLength varint (-1 = null) | value
//   | headerCount varint | headers
import { Reader, Writer } from '../protocol/primitives/index.js';

/** Bytes before the first record. */
export const RECORD_BATCH_HEADER_BYTES = 61;
/** Offset of the CRC field; the CRC covers the bytes from attributes (CRC_OFFSET + 4) on. */
const CRC_OFFSET = 17;
const ATTRIBUTES_OFFSET = 21;
const MAGIC_OFFSET = 16;
const COMPRESSION_MASK = 0x07;
const TRANSACTIONAL_FLAG = 0x10;
const CONTROL_FLAG = 0x20;
/** Upper bound on the records of one batch this decoder accepts (a corrupt count must not allocate). */
const RECORDS_PER_BATCH_MAX = 1_000_000;

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC32C (Castagnoli), as Kafka's Crc32C. */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = CRC32C_TABLE[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export interface KeyValueRecord {
  readonly key: Buffer;
  /** null is a tombstone. */
  readonly value: Buffer | null;
}

/** A record read back from a batch, with its absolute offset. */
export interface DecodedRecord extends KeyValueRecord {
  readonly offset: number;
  readonly timestampMs: number;
}

export interface DecodedBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  /** True for transaction markers and other control batches; their records are not data. */
  readonly isControl: boolean;
  readonly isTransactional: boolean;
  /** 0 = none; the coordinator only writes uncompressed batches and skips others with a warning. */
  readonly compression: number;
  readonly records: readonly DecodedRecord[];
}

export class RecordBatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordBatchError';
  }
}

/**
 * Encodes one uncompressed v2 batch with base offset 0 (the log assigns offsets on append),
 * no producer id and every record at timestampMs.
 */
export function encodeRecordBatch(records: readonly KeyValueRecord[], timestampMs: number): Buffer {
  if (records.length === 0) throw new RecordBatchError('a record batch needs at least one record');
  const w = new Writer({ initialCapacityBytes: 256 });
  const body = new Writer({ initialCapacityBytes: 256 });
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    body.writeInt8(0); // attributes
    body.writeVarlong(0); // timestampDelta
    body.writeVarint(i); // offsetDelta
    body.writeVarint(r.key.length);
    body.writeRaw(r.key);
    if (r.value === null) {
      body.writeVarint(-1);
    } else {
      body.writeVarint(r.value.length);
      body.writeRaw(r.value);
    }
    body.writeVarint(0); // headers
    const recordBytes = body.finish();
    w.writeVarint(recordBytes.length);
    w.writeRaw(recordBytes);
  }
  const recordsBytes = w.finish();
  const batch = Buffer.alloc(RECORD_BATCH_HEADER_BYTES + recordsBytes.length);
  batch.writeBigInt64BE(0n, 0); // baseOffset
  batch.writeInt32BE(batch.length - 12, 8); // batchLength: everything after itself
  batch.writeInt32BE(-1, 12); // partitionLeaderEpoch: set by the log on append
  batch.writeInt8(2, MAGIC_OFFSET);
  batch.writeInt16BE(0, ATTRIBUTES_OFFSET); // no compression, CreateTime, not transactional
  batch.writeInt32BE(records.length - 1, 23); // lastOffsetDelta
  batch.writeBigInt64BE(BigInt(timestampMs), 27); // baseTimestamp
  batch.writeBigInt64BE(BigInt(timestampMs), 35); // maxTimestamp
  batch.writeBigInt64BE(-1n, 43); // producerId
  batch.writeInt16BE(-1, 51); // producerEpoch
  batch.writeInt32BE(-1, 53); // baseSequence
  batch.writeInt32BE(records.length, 57);
  recordsBytes.copy(batch, RECORD_BATCH_HEADER_BYTES);
  batch.writeUInt32BE(crc32c(batch, ATTRIBUTES_OFFSET), CRC_OFFSET);
  return batch;
}

/**
 * Decodes every whole batch in `bytes` (a log slice: batches back to back; a partial batch
 * at the end, as a size-limited read returns, is left for the next read). Checks magic and
 * CRC; records of compressed batches are not decoded (records is empty, compression set).
 * Returns the batches and how many bytes they took.
 */
export function decodeRecordBatches(bytes: Buffer): { batches: DecodedBatch[]; bytesRead: number } {
  const batches: DecodedBatch[] = [];
  let pos = 0;
  while (bytes.length - pos >= RECORD_BATCH_HEADER_BYTES) {
    const batchLength = bytes.readInt32BE(pos + 8);
    const total = batchLength + 12;
    if (batchLength < RECORD_BATCH_HEADER_BYTES - 12) throw new RecordBatchError(`record batch at byte ${pos} has length ${batchLength}`);
    if (pos + total > bytes.length) break;
    batches.push(decodeOne(bytes.subarray(pos, pos + total)));
    pos += total;
  }
  return { batches, bytesRead: pos };
}

function decodeOne(batch: Buffer): DecodedBatch {
  const magic = batch.readInt8(MAGIC_OFFSET);
  if (magic !== 2) throw new RecordBatchError(`record batch magic ${magic} is not 2`);
  const storedCrc = batch.readUInt32BE(CRC_OFFSET);
  const computedCrc = crc32c(batch, ATTRIBUTES_OFFSET);
  if (storedCrc !== computedCrc) throw new RecordBatchError(`record batch CRC ${storedCrc} does not match its contents (${computedCrc})`);
  const baseOffset = Number(batch.readBigInt64BE(0));
  const attributes = batch.readInt16BE(ATTRIBUTES_OFFSET);
  const lastOffsetDelta = batch.readInt32BE(23);
  const baseTimestamp = Number(batch.readBigInt64BE(27));
  const count = batch.readInt32BE(57);
  const compression = attributes & COMPRESSION_MASK;
  const isControl = (attributes & CONTROL_FLAG) !== 0;
  const isTransactional = (attributes & TRANSACTIONAL_FLAG) !== 0;
  const lastOffset = baseOffset + lastOffsetDelta;
  if (count < 0 || count > RECORDS_PER_BATCH_MAX) throw new RecordBatchError(`record batch claims ${count} records`);
  const records: DecodedRecord[] = [];
  if (compression === 0) {
    const r = new Reader(batch, RECORD_BATCH_HEADER_BYTES);
    for (let i = 0; i < count; i++) {
      const length = r.readVarint();
      if (length < 0 || length > r.remaining) throw new RecordBatchError(`record ${i} has length ${length} with ${r.remaining} bytes left`);
      const end = r.offset + length;
      r.readInt8(); // attributes
      const timestampDelta = r.readVarlong();
      const offsetDelta = r.readVarint();
      const keyLength = r.readVarint();
      const key = keyLength < 0 ? Buffer.alloc(0) : Buffer.from(r.readRaw(keyLength));
      const valueLength = r.readVarint();
      const value = valueLength < 0 ? null : Buffer.from(r.readRaw(valueLength));
      r.skipTo(end); // headers: the coordinator's records carry none
      records.push({ offset: baseOffset + offsetDelta, timestampMs: baseTimestamp + timestampDelta, key, value });
    }
  }
  return { baseOffset, lastOffset, isControl, isTransactional, compression, records };
}
