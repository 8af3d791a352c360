// Kafka v2 record batches (magic 2) for clients and the control plane (the group
// coordinator's __consumer_offsets records): encode and decode, in every codec of compression.ts.
//
// Batch layout (Kafka's DefaultRecordBatch), big-endian:
//   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 (2)
//   | crc uint32 (CRC32C of everything after it) | attributes int16 | lastOffsetDelta int32
//   | baseTimestamp int64 | maxTimestamp int64 | producerId int64 | producerEpoch int16
//   | baseSequence int32 | recordCount int32 | records (compressed as one block when the
//   attributes' low three bits say so)
// Record (varints zigzag): length varint | attributes int8 | timestampDelta varlong
//   | offsetDelta varint | keyLength varint (-1 = null) | key | valueLength varint | value
//   | headerCount varint | (keyLength varint | key | valueLength varint | value)*
// Attributes: bits 0-2 compression, bit 3 timestamp type (1 = LogAppendTime), bit 4
// transactional, bit 5 control.
import { Reader, Writer } from '../protocol/primitives/index.js';
import { compress, decompress } from './compression.js';
import { native } from '../native.js';

export const RECORD_BATCH_HEADER_BYTES = 61;
const CRC_OFFSET = 17;
const ATTRIBUTES_OFFSET = 21;
const MAGIC_OFFSET = 16;
const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_FLAG = 0x08;
const TRANSACTIONAL_FLAG = 0x10;
const CONTROL_FLAG = 0x20;
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
}

/** One v2 batch of the records, base offset 0 (the leader assigns offsets), no producer id. */
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
  const batch = Buffer.alloc(RECORD_BATCH_HEADER_BYTES + recordsSection.length);
  batch.writeBigInt64BE(0n, 0);
  batch.writeInt32BE(batch.length - 12, 8);
  batch.writeInt32BE(-1, 12);
  batch.writeInt8(2, MAGIC_OFFSET);
  batch.writeInt16BE(codec & COMPRESSION_MASK, ATTRIBUTES_OFFSET);
  batch.writeInt32BE(records.length - 1, 23);
  batch.writeBigInt64BE(BigInt(baseTimestamp), 27);
  batch.writeBigInt64BE(BigInt(maxTimestamp), 35);
  batch.writeBigInt64BE(-1n, 43);
  batch.writeInt16BE(-1, 51);
  batch.writeInt32BE(-1, 53);
  batch.writeInt32BE(records.length, 57);
  recordsSection.copy(batch, RECORD_BATCH_HEADER_BYTES);
  batch.writeUInt32BE(crc32c(batch, ATTRIBUTES_OFFSET), CRC_OFFSET);
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
  while (bytes.length - pos >= RECORD_BATCH_HEADER_BYTES) {
    const batchLength = bytes.readInt32BE(pos + 8);
    if (batchLength < RECORD_BATCH_HEADER_BYTES - 12) throw new RecordBatchError(`record batch at byte ${pos} has length ${batchLength}`);
    const total = batchLength + 12;
    if (pos + total > bytes.length) break;
    batches.push(decodeOne(bytes.subarray(pos, pos + total)));
    pos += total;
  }
  return { batches, bytesRead: pos };
}

function decodeOne(batch: Buffer): ConsumedBatch {
  const magic = batch.readInt8(MAGIC_OFFSET);
  if (magic !== 2) throw new RecordBatchError(`record batch magic ${magic} is not supported (only v2 batches)`);
  const stored = batch.readUInt32BE(CRC_OFFSET);
  const computed = crc32c(batch, ATTRIBUTES_OFFSET);
  if (stored !== computed) throw new RecordBatchError(`record batch CRC ${stored} does not match its contents (${computed})`);
  const baseOffset = Number(batch.readBigInt64BE(0));
  const attributes = batch.readInt16BE(ATTRIBUTES_OFFSET);
  const lastOffsetDelta = batch.readInt32BE(23);
  const baseTimestamp = Number(batch.readBigInt64BE(27));
  const maxTimestamp = Number(batch.readBigInt64BE(35));
  const producerId = Number(batch.readBigInt64BE(43));
  const count = batch.readInt32BE(57);
  if (count < 0 || count > RECORDS_PER_BATCH_MAX) throw new RecordBatchError(`record batch claims ${count} records`);
  const compression = attributes & COMPRESSION_MASK;
  const logAppendTime = (attributes & TIMESTAMP_TYPE_FLAG) !== 0;
  const body = decompress(compression, batch.subarray(RECORD_BATCH_HEADER_BYTES));
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
    isControl: (attributes & CONTROL_FLAG) !== 0,
    isTransactional: (attributes & TRANSACTIONAL_FLAG) !== 0,
    producerId,
    records,
  };
}

function readVarBytes(r: Reader): Buffer | null {
  const n = r.readVarint();
  if (n < 0) return null;
  return Buffer.from(r.readRaw(n));
}
