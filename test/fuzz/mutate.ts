// Mutations of a valid request frame (4-byte size prefix + header + body), each of a kind a
// broken or hostile client produces. All but `size-lie` keep the size prefix true to the
// bytes that follow, so the broker sees exactly one frame and must answer it or close.
// Byte mutations mostly make frames the decoder refuses; `mutateFields` changes the request
// object before encoding instead (an empty or reserved name, -1, MAX_INT, an empty or doubled
// array), which reaches the handlers with well-formed but hostile values.
import { crc32c } from '../helpers/batch.js';
import type { Prng } from './prng.js';

export const MUTATIONS = ['bit-flip', 'truncate', 'length-lie', 'huge-count', 'insert', 'delete', 'wrong-version', 'size-lie'] as const;
export type MutationKind = (typeof MUTATIONS)[number];

export interface Mutated {
  /** A byte mutation, `fields` (mutateFields, then encoded) or `batch` (mutateBatch, then encoded). */
  readonly kind: MutationKind | 'fields' | 'batch';
  /** What was done, for a failure report: "flip bit 3 of byte 41". */
  readonly detail: string;
  /** The bytes to send, size prefix included. */
  readonly frame: Buffer;
}

/** Offset of the first byte after api key and version: mutations leave the API alone. */
const AFTER_KEY_AND_VERSION = 4 + 4;

/** Values a length or count field must never be trusted with. */
const LIES_INT32 = [0x7fffffff, -1, -2, 0x40000000, 0x10000, 1 << 24];
const LIES_INT16 = [0x7fff, -1, -2, 0x4000];
/** Unsigned varints: 2^32-1, 2^31, 2^28 (compact lengths and counts are +1). */
const LIES_UVARINT = [Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08]), Buffer.from([0x80, 0x80, 0x80, 0x80, 0x01]), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])];

function withSize(body: Buffer): Buffer {
  const out = Buffer.alloc(4 + body.length);
  out.writeInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

/** One mutation of `frame` (with size prefix) drawn from `rng`; `versions` are the API's valid ones (min, max). */
export function mutate(rng: Prng, frame: Buffer, versions: { min: number; max: number }, kind: MutationKind = rng.pick(MUTATIONS)): Mutated {
  const body = Buffer.from(frame.subarray(4));
  const at = (from = AFTER_KEY_AND_VERSION - 4) => rng.between(from, Math.max(from, body.length - 1));
  switch (kind) {
    case 'bit-flip': {
      const flips: string[] = [];
      for (let n = rng.between(1, 4); n > 0; n--) {
        const byte = at();
        const bit = rng.below(8);
        if (byte < body.length) body[byte]! ^= 1 << bit;
        flips.push(`${byte}.${bit}`);
      }
      return { kind, detail: `flip bits (byte.bit) ${flips.join(' ')}`, frame: withSize(body) };
    }
    case 'truncate': {
      const length = rng.below(body.length);
      return { kind, detail: `truncate the frame to ${length} of ${body.length} bytes`, frame: withSize(body.subarray(0, length)) };
    }
    case 'length-lie': {
      const pos = at();
      const width = rng.pick([2, 4, 5] as const);
      if (width === 5) {
        const lie = rng.pick(LIES_UVARINT);
        const out = Buffer.concat([body.subarray(0, pos), lie, body.subarray(Math.min(body.length, pos + 1))]);
        return { kind, detail: `varint ${lie.toString('hex')} over byte ${pos}`, frame: withSize(out) };
      }
      if (pos + width > body.length) return mutate(rng, frame, versions, 'bit-flip');
      const lie = width === 2 ? rng.pick(LIES_INT16) : rng.pick(LIES_INT32);
      if (width === 2) body.writeInt16BE(lie, pos);
      else body.writeInt32BE(lie, pos);
      return { kind, detail: `int${width * 8} ${lie} at byte ${pos}`, frame: withSize(body) };
    }
    case 'huge-count': {
      // An array count (int32) or a compact one (uvarint) announcing far more entries than follow.
      const pos = at();
      if (rng.below(2) === 0 && pos + 4 <= body.length) {
        body.writeInt32BE(rng.pick([0x7fffffff, 0x0fffffff, 100_000_000]), pos);
        return { kind, detail: `int32 count ${body.readInt32BE(pos)} at byte ${pos}`, frame: withSize(body) };
      }
      const lie = rng.pick(LIES_UVARINT);
      return { kind, detail: `varint count ${lie.toString('hex')} inserted at byte ${pos}`, frame: withSize(Buffer.concat([body.subarray(0, pos), lie, body.subarray(pos)])) };
    }
    case 'insert': {
      const pos = at();
      const bytes = rng.bytes(rng.between(1, 8));
      return { kind, detail: `insert ${bytes.toString('hex')} at byte ${pos}`, frame: withSize(Buffer.concat([body.subarray(0, pos), bytes, body.subarray(pos)])) };
    }
    case 'delete': {
      const pos = at();
      const n = rng.between(1, 8);
      return { kind, detail: `delete ${n} bytes at byte ${pos}`, frame: withSize(Buffer.concat([body.subarray(0, pos), body.subarray(pos + n)])) };
    }
    case 'wrong-version': {
      // Another version than the body was encoded for: valid ones (flexible vs not, fields
      // added or removed) and invalid ones.
      const version = rng.pick([versions.min - 1, versions.max + 1, rng.between(versions.min, versions.max), rng.between(versions.min, versions.max), -1, 0x7fff]);
      body.writeInt16BE(version, 2);
      return { kind, detail: `api version ${version}`, frame: withSize(body) };
    }
    case 'size-lie': {
      const out = Buffer.from(frame);
      const size = rng.pick([body.length + rng.between(1, 64), Math.max(0, body.length - rng.between(1, 16)), -1, 0x7fffffff, 0]);
      out.writeInt32BE(size, 0);
      return { kind, detail: `size prefix ${size} for ${body.length} bytes`, frame: out };
    }
  }
}

/** Edge values by type, for field mutations. */
const EDGE_STRINGS: readonly (string | null)[] = ['', '.', '..', '__consumer_offsets', '__transaction_state', 'x'.repeat(300), 'naïve/../topic', null];
const EDGE_NUMBERS = [0, -1, -2, 1, 0x7fff, -0x8000, 0x7fffffff, -0x80000000, 2 ** 40, -(2 ** 40), Number.MAX_SAFE_INTEGER];

/** Paths to every leaf and array of a request object. */
function fieldPaths(value: unknown, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (Buffer.isBuffer(value)) {
    out.push(path);
  } else if (Array.isArray(value)) {
    out.push(path);
    value.forEach((v, i) => fieldPaths(v, [...path, i], out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) fieldPaths(v, [...path, k], out);
  } else if (path.length > 0) {
    out.push(path);
  }
  return out;
}

function edgeValue(rng: Prng, current: unknown): unknown {
  if (Buffer.isBuffer(current)) return rng.pick([Buffer.alloc(0), rng.bytes(rng.between(1, 64)), Buffer.concat([current, current]), null]);
  if (Array.isArray(current)) return rng.pick([[], [...current, ...current], null, current.length > 0 ? Array.from({ length: 50 }, () => current[0]) : []]);
  if (typeof current === 'string' || current === null) return rng.pick(EDGE_STRINGS);
  if (typeof current === 'number') return rng.pick(EDGE_NUMBERS);
  if (typeof current === 'boolean') return !current;
  return current;
}

/** A deep copy of `request` with 1-3 fields set to edge values (arrays emptied, doubled or null). */
export function mutateFields(rng: Prng, request: unknown): { request: unknown; detail: string } {
  const copy = structuredCloneRequest(request);
  const changes: string[] = [];
  for (let n = rng.between(1, 3); n > 0; n--) {
    // Paths again after each change: an emptied array has no elements left to change.
    const paths = fieldPaths(copy).filter((p) => p.length > 0);
    if (paths.length === 0) break;
    const path = rng.pick(paths);
    let parent = copy as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    const last = path[path.length - 1]!;
    const next = edgeValue(rng, parent[last]);
    parent[last] = next;
    const shown = Buffer.isBuffer(next) ? `<${next.length} bytes>` : Array.isArray(next) ? `[${next.length} items]` : JSON.stringify(next)?.slice(0, 40);
    changes.push(`${path.join('.')} = ${shown}`);
  }
  return { request: copy, detail: changes.join(', ') };
}

/** structuredClone keeps Buffers as Uint8Arrays; copy them back to Buffers. */
function structuredCloneRequest(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  if (Array.isArray(value)) return value.map(structuredCloneRequest);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, structuredCloneRequest(v)]));
  return value;
}

/** Kafka v2 batch header offsets (DefaultRecordBatch). */
const BATCH = { batchLength: 8, leaderEpoch: 12, magic: 16, crc: 17, attributes: 21, lastOffsetDelta: 23, baseTimestamp: 27, maxTimestamp: 35, producerId: 43, producerEpoch: 51, baseSequence: 53, recordsCount: 57, records: 61 } as const;

/**
 * A v2 record batch with a header field lied about or its records' bytes changed, and its
 * CRC32C made right again (but one time in six), so that the broker's batch validation past
 * the CRC check sees it: compression flags over plain bytes, transactional and control bits,
 * negative or huge counts and deltas, records that end early or late.
 */
export function mutateBatch(rng: Prng, batch: Buffer): { batch: Buffer; detail: string } {
  let b = Buffer.from(batch);
  let detail: string;
  switch (rng.below(6)) {
    case 0: {
      const attributes = rng.pick([1, 2, 3, 4, 5, 7, 0x08, 0x10, 0x20, 0x30, 0x40, 0xffff]);
      b.writeUInt16BE(attributes, BATCH.attributes);
      detail = `attributes 0x${attributes.toString(16)}`;
      break;
    }
    case 1: {
      const field = rng.pick(['lastOffsetDelta', 'recordsCount', 'baseSequence', 'batchLength', 'leaderEpoch'] as const);
      const value = rng.pick([-1, 0, 1, 0x7fffffff, -0x80000000, 1000]);
      b.writeInt32BE(value, BATCH[field]);
      detail = `${field} ${value}`;
      break;
    }
    case 2: {
      const field = rng.pick(['baseTimestamp', 'maxTimestamp', 'producerId'] as const);
      const value = rng.pick([-1n, -2n, 0n, 0x7fffffffffffffffn, -0x8000000000000000n]);
      b.writeBigInt64BE(value, BATCH[field]);
      detail = `${field} ${value}`;
      break;
    }
    case 3: {
      const magic = rng.pick([0, 1, 3, 0x7f, -1]);
      b.writeInt8(magic, BATCH.magic);
      detail = `magic ${magic}`;
      break;
    }
    case 4: {
      const flips: string[] = [];
      for (let n = rng.between(1, 4); n > 0; n--) {
        const byte = rng.between(BATCH.records, b.length - 1);
        const bit = rng.below(8);
        b[byte]! ^= 1 << bit;
        flips.push(`${byte}.${bit}`);
      }
      detail = `flip record bits ${flips.join(' ')}`;
      break;
    }
    default: {
      let cut = rng.between(BATCH.records - 8, b.length + 8);
      if (cut === b.length) cut++;
      b = cut <= b.length ? b.subarray(0, cut) : Buffer.concat([b, rng.bytes(cut - b.length)]);
      // The batch length follows the bytes, so the change is inside the batch, not around it.
      if (b.length >= BATCH.batchLength + 4) b.writeInt32BE(b.length - 12, BATCH.batchLength);
      detail = `records cut or grown to ${cut} bytes`;
    }
  }
  if (b.length > BATCH.attributes && rng.below(6) !== 0) {
    b.writeUInt32BE(crc32c(b.subarray(BATCH.attributes)), BATCH.crc);
    detail += ', CRC fixed';
  }
  return { batch: b, detail };
}
