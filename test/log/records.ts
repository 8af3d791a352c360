// Decodes v2 record batches for the log tests, from Kafka's documented format: checks each
// batch's CRC32C, inflates gzip (node:zlib) and reads every record's offset, key and value.
import { gunzipSync } from 'node:zlib';
import { crc32c } from '../helpers/batch.js';

export interface DecodedRecord {
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
}

export interface DecodedBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly attributes: number;
  readonly records: DecodedRecord[];
}

function readVarint(buf: Buffer, at: { pos: number }): number {
  let raw = 0;
  let shift = 0;
  for (;;) {
    const b = buf[at.pos++];
    if (b === undefined) throw new Error('varint runs past the end');
    raw += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
  }
  return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
}

function readBytes(buf: Buffer, at: { pos: number }): string | null {
  const len = readVarint(buf, at);
  if (len < 0) return null;
  const s = buf.subarray(at.pos, at.pos + len).toString();
  at.pos += len;
  return s;
}

/** Every batch in `buf` (whole batches back to back); throws on a torn or corrupt one. */
export function decodeBatches(buf: Buffer): DecodedBatch[] {
  const out: DecodedBatch[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (pos + 61 > buf.length) throw new Error(`torn batch header at byte ${pos}`);
    const size = buf.readInt32BE(pos + 8) + 12;
    if (pos + size > buf.length) throw new Error(`torn batch at byte ${pos}`);
    const batch = buf.subarray(pos, pos + size);
    if (crc32c(batch.subarray(21)) !== batch.readUInt32BE(17)) throw new Error(`CRC mismatch at byte ${pos}`);
    const baseOffset = Number(batch.readBigInt64BE(0));
    const attributes = batch.readInt16BE(21);
    const lastOffset = baseOffset + batch.readInt32BE(23);
    const count = batch.readInt32BE(57);
    const codec = attributes & 7;
    let body = batch.subarray(61);
    if (codec === 1) body = gunzipSync(body);
    else if (codec !== 0) throw new Error(`codec ${codec} not decoded by this test helper`);
    const records: DecodedRecord[] = [];
    const at = { pos: 0 };
    for (let i = 0; i < count; i++) {
      const len = readVarint(body, at);
      const end = at.pos + len;
      at.pos += 1; // attributes
      readVarint(body, at); // timestampDelta
      const offset = baseOffset + readVarint(body, at);
      const key = readBytes(body, at);
      const value = readBytes(body, at);
      at.pos = end; // headers
      records.push({ offset, key, value });
    }
    if (at.pos !== body.length) throw new Error(`batch at ${baseOffset}: bytes after the last record`);
    out.push({ baseOffset, lastOffset, attributes, records });
    pos += size;
  }
  return out;
}
