// Kafka v2 record batches (magic 2) for clients and the control plane (the group
// coordinator's __consumer_offsets records): encode and decode, in every codec of compression.ts.
//
// The batch header's layout and readers are in records/batch-header.ts; the records follow it
// (compressed as one block when the attributes' low three bits say so).
// Record (varints zigzag): length varint | attributes int8 | timestampDelta varlong
//   | offsetDelta varint | keyLength varint (-1 = null) | key | valueLength varint | value
//   | headerCount varint | (keyLength varint | key | valueLength varint | value)*
import { Reader, Writer } from '../protocol/primitives/index.js';
import { compress, decompress } from './compression.js';
import { native } from '../native.js';
import { BatchAttributes, BatchHeader, CURRENT_MAGIC, baseOffsetOf, recordCountOf } from '../records/batch-header.js';

const H = BatchHeader;
const A = BatchAttributes;
/** Upper bound on the records one batch may claim (a corrupt count must not allocate). */
const RECORDS_PER_BATCH_MAX = 10_000_000;

/** CRC32C (Castagnoli) of buf[start, end), computed by the addon (hardware CRC32C). */
export function crc32c(buf: Buffer, start = 0, end = buf.length): number {
  return native.crc32c(buf.subarray(start, end));
}

export interface RecordHeader {
  readonly key: string;
  readonly value: Buffer | null;
}

export interface ProducerRecord {
  readonly key?: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: readonly RecordHeader[];
  /** Defaults to the batch's timestamp. */
  readonly timestampMs?: number;
}

export interface ConsumedRecord {
  readonly offset: number;
  readonly timestampMs: number;
  /** 'CreateTime' or 'LogAppendTime' */
  readonly timestampType: 'CreateTime' | 'LogAppendTime';
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: RecordHeader[];
}

export interface ConsumedBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly compression: number;
  readonly isControl: boolean;
  readonly isTransactional: boolean;
  readonly producerId: number;
  readonly records: ConsumedRecord[];
}

export class RecordBatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordBatchError';
  }
}

export interface EncodeOptions {
  /** Compression codec (src/client/compression.ts); default none. */
  readonly compression?: number;
  /** The batch timestamp; default now. */
  readonly timestampMs?: number;
  /**
   * The producer fields of the header; default none (producerId -1, epoch -1, sequence -1).
   * The group coordinator's transactional offset commits carry the committing producer's id
   * and epoch with baseSequence 0, as Kafka's coordinators write them.
   */
  readonly producer?: { readonly producerId: number; readonly producerEpoch: number; readonly baseSequence: number };
  /** Attributes bit 4: the batch belongs to a transaction (KIP-98). */
  readonly isTransactional?: boolean;
  /** Attributes bit 5: a control batch (a transaction marker); only coordinators write them. */
  readonly isControl?: boolean;
}

/** One v2 batch of the records, base offset 0 (the leader assigns offsets); no producer id unless options.producer. */
export function encodeRecordBatch(records: readonly ProducerRecord[], options: EncodeOptions = {}): Buffer {
  if (records.length === 0) throw new RecordBatchError('a record batch needs at least one record');
  const baseTimestamp = options.timestampMs ?? Date.now();
  const codec = options.compression ?? 0;
  const body = new Writer({ initialCapacityBytes: 256 });
  const all = new Writer({ initialCapacityBytes: 1024 });
  let maxTimestamp = baseTimestamp;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const ts = r.timestampMs ?? baseTimestamp;
    if (ts > maxTimestamp) maxTimestamp = ts;
    body.writeInt8(0);
    body.writeVarlong(ts - baseTimestamp);
    body.writeVarint(i);
    writeVarBytes(body, r.key ?? null);
    writeVarBytes(body, r.value);
    const headers = r.headers ?? [];
    body.writeVarint(headers.length);
    for (const h of headers) {
      writeVarBytes(body, Buffer.from(h.key, 'utf8'));
      writeVarBytes(body, h.value);
    }
    const recordBytes = body.finish();
    all.writeVarint(recordBytes.length);
    all.writeRaw(recordBytes);
  }
  const recordsSection = compress(codec, all.finish());
  const batch = Buffer.alloc(H.BYTES + recordsSection.length);
  batch.writeBigInt64BE(0n, H.BASE_OFFSET);
  batch.writeInt32BE(batch.length - H.LOG_OVERHEAD, H.BATCH_LENGTH);
  batch.writeInt32BE(-1, H.PARTITION_LEADER_EPOCH);
  batch.writeInt8(CURRENT_MAGIC, H.MAGIC);
  const attributes = (codec & A.COMPRESSION_MASK) | (options.isTransactional ? A.TRANSACTIONAL : 0) | (options.isControl ? A.CONTROL : 0);
  batch.writeInt16BE(attributes, H.ATTRIBUTES);
  batch.writeInt32BE(records.length - 1, H.LAST_OFFSET_DELTA);
  batch.writeBigInt64BE(BigInt(baseTimestamp), H.BASE_TIMESTAMP);
  batch.writeBigInt64BE(BigInt(maxTimestamp), H.MAX_TIMESTAMP);
  batch.writeBigInt64BE(BigInt(options.producer?.producerId ?? -1), H.PRODUCER_ID);
  batch.writeInt16BE(options.producer?.producerEpoch ?? -1, H.PRODUCER_EPOCH);
  batch.writeInt32BE(options.producer?.baseSequence ?? -1, H.BASE_SEQUENCE);
  batch.writeInt32BE(records.length, H.RECORD_COUNT);
  recordsSection.copy(batch, H.BYTES);
  batch.writeUInt32BE(crc32c(batch, H.ATTRIBUTES), H.CRC);
  return batch;
}

function writeVarBytes(w: Writer, b: Buffer | null): void {
  if (b === null) {
    w.writeVarint(-1);
    return;
  }
  w.writeVarint(b.length);
  w.writeRaw(b);
}

/**
 * Decodes every whole batch in `bytes` (a fetch response's records: batches back to back,
 * possibly ending in a partial batch, which is left out). Checks magic and CRC.
 */
export function decodeRecordBatches(bytes: Buffer): { batches: ConsumedBatch[]; bytesRead: number } {
  const batches: ConsumedBatch[] = [];
  let pos = 0;
  while (bytes.length - pos >= H.BYTES) {
    const batchLength = bytes.readInt32BE(pos + H.BATCH_LENGTH);
    if (batchLength < H.BYTES - H.LOG_OVERHEAD) throw new RecordBatchError(`record batch at byte ${pos} has length ${batchLength}`);
    const total = batchLength + H.LOG_OVERHEAD;
    if (pos + total > bytes.length) break;
    batches.push(decodeOne(bytes.subarray(pos, pos + total)));
    pos += total;
  }
  return { batches, bytesRead: pos };
}

function decodeOne(batch: Buffer): ConsumedBatch {
  const magic = batch.readInt8(H.MAGIC);
  if (magic !== CURRENT_MAGIC) throw new RecordBatchError(`record batch magic ${magic} is not supported (only v2 batches)`);
  const stored = batch.readUInt32BE(H.CRC);
  const computed = crc32c(batch, H.ATTRIBUTES);
  if (stored !== computed) throw new RecordBatchError(`record batch CRC ${stored} does not match its contents (${computed})`);
  const baseOffset = baseOffsetOf(batch);
  const attributes = batch.readInt16BE(H.ATTRIBUTES);
  const lastOffsetDelta = batch.readInt32BE(H.LAST_OFFSET_DELTA);
  const baseTimestamp = Number(batch.readBigInt64BE(H.BASE_TIMESTAMP));
  const maxTimestamp = Number(batch.readBigInt64BE(H.MAX_TIMESTAMP));
  const producerId = Number(batch.readBigInt64BE(H.PRODUCER_ID));
  const count = recordCountOf(batch);
  if (count < 0 || count > RECORDS_PER_BATCH_MAX) throw new RecordBatchError(`record batch claims ${count} records`);
  const compression = attributes & A.COMPRESSION_MASK;
  const logAppendTime = (attributes & A.TIMESTAMP_TYPE_LOG_APPEND_TIME) !== 0;
  const body = decompress(compression, batch.subarray(H.BYTES));
  const r = new Reader(body);
  const records: ConsumedRecord[] = [];
  for (let i = 0; i < count; i++) {
    const length = r.readVarint();
    if (length < 0 || length > r.remaining) throw new RecordBatchError(`record ${i} of batch ${baseOffset} has length ${length} with ${r.remaining} bytes left`);
    const end = r.offset + length;
    r.readInt8();
    const timestampDelta = r.readVarlong();
    const offsetDelta = r.readVarint();
    const key = readVarBytes(r);
    const value = readVarBytes(r);
    const headerCount = r.readVarint();
    if (headerCount < 0 || headerCount > length) throw new RecordBatchError(`record ${i} of batch ${baseOffset} claims ${headerCount} headers`);
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const k = readVarBytes(r);
      headers.push({ key: k ? k.toString('utf8') : '', value: readVarBytes(r) });
    }
    r.skipTo(end);
    records.push({
      offset: baseOffset + offsetDelta,
      timestampMs: logAppendTime ? maxTimestamp : baseTimestamp + timestampDelta,
      timestampType: logAppendTime ? 'LogAppendTime' : 'CreateTime',
      key,
      value,
      headers,
    });
  }
  return {
    baseOffset,
    lastOffset: baseOffset + lastOffsetDelta,
    compression,
    isControl: (attributes & A.CONTROL) !== 0,
    isTransactional: (attributes & A.TRANSACTIONAL) !== 0,
    producerId,
    records,
  };
}

function readVarBytes(r: Reader): Buffer | null {
  const n = r.readVarint();
  if (n < 0) return null;
  return Buffer.from(r.readRaw(n));
}
