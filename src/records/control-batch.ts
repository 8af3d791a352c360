// Owns the transaction markers' bytes (Kafka's EndTransactionMarker in a control batch,
// KIP-98): building the one-record control batch the partition leader appends to end a
// transaction, and reading the marker back from a batch (a follower's fetched chunk, a
// replay). Nothing else in src/ reads or writes control records.
//
// A marker batch: the v2 header (batch-header.ts) with attributes TRANSACTIONAL | CONTROL
// (0x30, never compressed), the producer's id and epoch, baseSequence -1, one record:
//   length varint | attributes int8 (0) | timestampDelta varlong (0) | offsetDelta varint (0)
//   | keyLength varint (4) | key: version int16 (0), type int16 (0 ABORT, 1 COMMIT)
//   | valueLength varint (6) | value: version int16 (0), coordinatorEpoch int32
//   | headerCount varint (0)
// 78 bytes in all. The CRC32C is computed by the caller's function (the addon's), so this
// module stays at the bottom of the import graph.
import { BatchAttributes, BatchHeader, CURRENT_MAGIC } from './batch-header.js';

/** Kafka's ControlRecordType: the key's type field. */
export const ControlType = {
  ABORT: 0,
  COMMIT: 1,
} as const;

/** The only control record key and marker value version Kafka writes. */
const CONTROL_KEY_VERSION = 0;
const END_TXN_MARKER_VALUE_VERSION = 0;
const KEY_BYTES = 4;
const VALUE_BYTES = 6;
/** attributes, timestampDelta, offsetDelta, keyLength, key, valueLength, value, headerCount (each varint here is one byte). */
const RECORD_BODY_BYTES = 1 + 1 + 1 + 1 + KEY_BYTES + 1 + VALUE_BYTES + 1;
/** The whole marker batch: header, the record's length varint, the record. */
export const END_TXN_MARKER_BATCH_BYTES = BatchHeader.BYTES + 1 + RECORD_BODY_BYTES;
const NO_SEQUENCE = -1;

export interface EndTxnMarkerFields {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  readonly commit: boolean;
  /** The offset the batch will have (a leader writing it at its log end). */
  readonly baseOffset: number;
  readonly partitionLeaderEpoch: number;
  readonly timestampMs: number;
}

/** A marker read back from a control batch. */
export interface EndTxnMarker {
  readonly controlType: number;
  readonly coordinatorEpoch: number;
}

/** Builds the control batch that ends a transaction; `crc32c` computes the checksum (the addon's). */
export function buildEndTxnMarkerBatch(f: EndTxnMarkerFields, crc32c: (bytes: Buffer) => number): Buffer {
  const b = Buffer.alloc(END_TXN_MARKER_BATCH_BYTES);
  const H = BatchHeader;
  b.writeBigInt64BE(BigInt(f.baseOffset), H.BASE_OFFSET);
  b.writeInt32BE(b.length - H.LOG_OVERHEAD, H.BATCH_LENGTH);
  b.writeInt32BE(f.partitionLeaderEpoch, H.PARTITION_LEADER_EPOCH);
  b.writeInt8(CURRENT_MAGIC, H.MAGIC);
  b.writeInt16BE(BatchAttributes.TRANSACTIONAL | BatchAttributes.CONTROL, H.ATTRIBUTES);
  b.writeInt32BE(0, H.LAST_OFFSET_DELTA);
  b.writeBigInt64BE(BigInt(f.timestampMs), H.BASE_TIMESTAMP);
  b.writeBigInt64BE(BigInt(f.timestampMs), H.MAX_TIMESTAMP);
  b.writeBigInt64BE(BigInt(f.producerId), H.PRODUCER_ID);
  b.writeInt16BE(f.producerEpoch, H.PRODUCER_EPOCH);
  b.writeInt32BE(NO_SEQUENCE, H.BASE_SEQUENCE);
  b.writeInt32BE(1, H.RECORD_COUNT);
  let pos = H.BYTES;
  // Varints are zigzag: 2n for n >= 0. Every one here fits one byte.
  b.writeUInt8(RECORD_BODY_BYTES * 2, pos++);
  b.writeInt8(0, pos++); // record attributes
  b.writeUInt8(0, pos++); // timestampDelta
  b.writeUInt8(0, pos++); // offsetDelta
  b.writeUInt8(KEY_BYTES * 2, pos++);
  b.writeInt16BE(CONTROL_KEY_VERSION, pos);
  b.writeInt16BE(f.commit ? ControlType.COMMIT : ControlType.ABORT, pos + 2);
  pos += KEY_BYTES;
  b.writeUInt8(VALUE_BYTES * 2, pos++);
  b.writeInt16BE(END_TXN_MARKER_VALUE_VERSION, pos);
  b.writeInt32BE(f.coordinatorEpoch, pos + 2);
  pos += VALUE_BYTES;
  b.writeUInt8(0, pos++); // headerCount
  if (pos !== b.length) throw new Error(`marker batch layout: wrote ${pos} of ${b.length} bytes`);
  b.writeUInt32BE(crc32c(b.subarray(H.ATTRIBUTES)), H.CRC);
  return b;
}

export function isControlBatch(buf: Buffer, pos = 0): boolean {
  return (buf.readInt16BE(pos + BatchHeader.ATTRIBUTES) & BatchAttributes.CONTROL) !== 0;
}

export function isTransactionalBatch(buf: Buffer, pos = 0): boolean {
  return (buf.readInt16BE(pos + BatchHeader.ATTRIBUTES) & BatchAttributes.TRANSACTIONAL) !== 0;
}

/** Reads a zigzag varint at `at.pos` (at most 5 bytes); null when it runs past `end`. */
function readVarint(buf: Buffer, at: { pos: number }, end: number): number | null {
  let raw = 0;
  for (let shift = 0; shift <= 28; shift += 7) {
    if (at.pos >= end) return null;
    const byte = buf[at.pos++]!;
    raw += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  }
  return null;
}

/**
 * The marker in the control batch at `pos` (`size` bytes, already known whole), or null when
 * the batch is not a control batch, holds no record (the cleaner emptied it), or is not an
 * end-transaction marker Kafka knows (an unknown key version or type is skipped, as Kafka's
 * consumers skip it). Control batches are never compressed.
 */
export function readEndTxnMarker(buf: Buffer, pos: number, size: number): EndTxnMarker | null {
  if (size < BatchHeader.BYTES || !isControlBatch(buf, pos)) return null;
  if (buf.readInt32BE(pos + BatchHeader.RECORD_COUNT) < 1) return null;
  if ((buf.readInt16BE(pos + BatchHeader.ATTRIBUTES) & BatchAttributes.COMPRESSION_MASK) !== 0) return null;
  const end = pos + size;
  const at = { pos: pos + BatchHeader.BYTES };
  const length = readVarint(buf, at, end);
  if (length === null || length < 0 || at.pos + length > end) return null;
  const recordEnd = at.pos + length;
  at.pos += 1; // attributes
  if (readVarint(buf, at, recordEnd) === null || readVarint(buf, at, recordEnd) === null) return null; // timestampDelta, offsetDelta
  const keyLength = readVarint(buf, at, recordEnd);
  if (keyLength === null || keyLength < KEY_BYTES || at.pos + keyLength > recordEnd) return null;
  const keyVersion = buf.readInt16BE(at.pos);
  const controlType = buf.readInt16BE(at.pos + 2);
  at.pos += keyLength;
  if (keyVersion !== CONTROL_KEY_VERSION || (controlType !== ControlType.ABORT && controlType !== ControlType.COMMIT)) return null;
  const valueLength = readVarint(buf, at, recordEnd);
  if (valueLength === null || valueLength < VALUE_BYTES || at.pos + valueLength > recordEnd) return null;
  return { controlType, coordinatorEpoch: buf.readInt32BE(at.pos + 2) };
}
