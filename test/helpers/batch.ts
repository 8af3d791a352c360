// Builds Kafka v2 record batches by hand, for tests that need bytes a client would send
// (uncompressed, one batch, CRC32C computed here from its definition, not by our addon).
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32c(buf: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of buf) crc = CRC32C_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function varint(value: number): number[] {
  let v = (value << 1) ^ (value >> 31);
  const out: number[] = [];
  v >>>= 0;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

export interface TestRecord {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: [string, string][];
  /** The record's timestamp minus the batch's base timestamp. */
  timestampDelta?: number;
}

export interface BatchPlacement {
  /** Offsets a leader assigns are patched in by the log; a follower's batch carries them. */
  readonly baseOffset?: bigint;
  readonly leaderEpoch?: number;
}

export interface ProducerFields {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
}

/** One uncompressed v2 batch holding the records, base offset 0 unless placed, timestamps from timestampMs. */
export function recordBatch(records: readonly TestRecord[], timestampMs = Date.now(), producer?: ProducerFields, placement: BatchPlacement = {}): Buffer {
  const recordBytes: number[] = [];
  let maxDelta = 0;
  records.forEach((r, i) => {
    const delta = r.timestampDelta ?? 0;
    maxDelta = Math.max(maxDelta, delta);
    const body: number[] = [0, ...varint(delta), ...varint(i)];
    const key = r.key == null ? null : Buffer.from(r.key);
    const value = r.value === null ? null : Buffer.from(r.value);
    body.push(...varint(key ? key.length : -1), ...(key ?? []));
    body.push(...varint(value ? value.length : -1), ...(value ?? []));
    const headers = r.headers ?? [];
    body.push(...varint(headers.length));
    for (const [hk, hv] of headers) {
      body.push(...varint(Buffer.byteLength(hk)), ...Buffer.from(hk), ...varint(Buffer.byteLength(hv)), ...Buffer.from(hv));
    }
    recordBytes.push(...varint(body.length), ...body);
  });
  const HEADER = 61;
  const batch = Buffer.alloc(HEADER + recordBytes.length);
  batch.writeBigInt64BE(placement.baseOffset ?? 0n, 0); // baseOffset
  batch.writeInt32BE(batch.length - 12, 8); // batchLength
  batch.writeInt32BE(placement.leaderEpoch ?? -1, 12); // partitionLeaderEpoch
  batch.writeInt8(2, 16); // magic
  batch.writeInt16BE(0, 21); // attributes
  batch.writeInt32BE(records.length - 1, 23); // lastOffsetDelta
  batch.writeBigInt64BE(BigInt(timestampMs), 27); // baseTimestamp
  batch.writeBigInt64BE(BigInt(timestampMs + maxDelta), 35); // maxTimestamp
  batch.writeBigInt64BE(BigInt(producer?.producerId ?? -1), 43); // producerId
  batch.writeInt16BE(producer?.producerEpoch ?? -1, 51); // producerEpoch
  batch.writeInt32BE(producer?.baseSequence ?? -1, 53); // baseSequence
  batch.writeInt32BE(records.length, 57); // records count
  Buffer.from(recordBytes).copy(batch, HEADER);
  batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
  return batch;
}
