// Writer: serialises Kafka primitive types into one growable Buffer that is reused across
// messages (reset() keeps the allocation, up to maxRetainedBytes). Output is copied out by
// finish()/finishParts(), which also reset the writer, so one Writer can serve a whole
// connection or process: encoding is synchronous and nothing aliases the scratch buffer.
//
// Records fields may be external RecordsSource objects (file slices for sendfile): the
// length prefix goes into the buffer, the source is appended to the output parts, and the
// next bytes start a new chunk. Large in-memory record Buffers are passed through the same
// way (zero copy) instead of being copied into the scratch buffer.
//
// Integers are range-checked on write (a value that does not fit is a caller bug and throws
// ProtocolEncodeError instead of being silently truncated). Not thread-safe; not re-entrant.

import { ProtocolEncodeError } from './errors.js';
import type { FramePart, RecordsSource, RecordsValue } from './records-source.js';
import { uuidToBytes } from './uuid.js';
import { sizeOfUnsignedVarint, zigzag32 } from './varint.js';

const TWO_POW_32 = 4294967296;
const TWO_POW_63 = 9223372036854775808;
const INT16_MAX = 0x7fff;
const INT32_MAX = 0x7fffffff;

/** Record Buffers at least this large are passed through as parts instead of copied. */
export const INLINE_RECORDS_BYTES_MAX = 16 * 1024;

export interface WriterOptions {
  /** Initial scratch buffer size. */
  readonly initialCapacityBytes?: number;
  /** reset() drops a scratch buffer that grew beyond this size, so one huge message does not pin memory. */
  readonly maxRetainedBytes?: number;
}

export class Writer {
  private buf: Buffer;
  private pos = 0;
  /** Scratch-buffer offsets at which each external part sits, ascending. */
  private extAt: number[] = [];
  private ext: FramePart[] = [];
  private extBytes = 0;
  private readonly initialCapacityBytes: number;
  private readonly maxRetainedBytes: number;

  constructor(options: WriterOptions = {}) {
    this.initialCapacityBytes = options.initialCapacityBytes ?? 4096;
    this.maxRetainedBytes = options.maxRetainedBytes ?? 1024 * 1024;
    this.buf = Buffer.allocUnsafe(this.initialCapacityBytes);
  }

  /** Total bytes written so far, external parts included. */
  get length(): number {
    return this.pos + this.extBytes;
  }

  /** Discards everything written; keeps the scratch buffer unless it grew past maxRetainedBytes. */
  reset(): this {
    this.pos = 0;
    if (this.ext.length !== 0) {
      this.extAt = [];
      this.ext = [];
      this.extBytes = 0;
    }
    if (this.buf.length > this.maxRetainedBytes) this.buf = Buffer.allocUnsafe(this.initialCapacityBytes);
    return this;
  }

  // ---------------------------------------------------------------- fixed width

  writeInt8(value: number): void {
    if ((value << 24) >> 24 !== value) throw outOfRange('int8', value);
    const p = this.reserve(1);
    this.buf[p] = value;
  }

  writeBool(value: boolean): void {
    const p = this.reserve(1);
    this.buf[p] = value ? 1 : 0;
  }

  writeInt16(value: number): void {
    if ((value << 16) >> 16 !== value) throw outOfRange('int16', value);
    const p = this.reserve(2);
    const b = this.buf;
    b[p] = value >>> 8;
    b[p + 1] = value;
  }

  writeUint16(value: number): void {
    if ((value & 0xffff) !== value) throw outOfRange('uint16', value);
    const p = this.reserve(2);
    const b = this.buf;
    b[p] = value >>> 8;
    b[p + 1] = value;
  }

  writeInt32(value: number): void {
    if ((value | 0) !== value) throw outOfRange('int32', value);
    const p = this.reserve(4);
    const b = this.buf;
    b[p] = value >>> 24;
    b[p + 1] = value >>> 16;
    b[p + 2] = value >>> 8;
    b[p + 3] = value;
  }

  writeUint32(value: number): void {
    if (value >>> 0 !== value) throw outOfRange('uint32', value);
    const p = this.reserve(4);
    const b = this.buf;
    b[p] = value >>> 24;
    b[p + 1] = value >>> 16;
    b[p + 2] = value >>> 8;
    b[p + 3] = value;
  }

  /**
   * Writes a JS number as a big-endian int64. Exact for |value| < 2^53 (and for any
   * integral double below 2^63); values at or beyond +-2^63 saturate to Long.MAX_VALUE /
   * Long.MIN_VALUE, so Long.MAX_VALUE survives a decode/encode round trip.
   */
  writeInt64(value: number): void {
    let hi: number;
    let lo: number;
    if ((value | 0) === value) {
      hi = value < 0 ? -1 : 0;
      lo = value;
    } else {
      if (!Number.isInteger(value)) throw outOfRange('int64', value);
      if (value >= TWO_POW_63) {
        hi = 0x7fffffff;
        lo = 0xffffffff;
      } else if (value < -TWO_POW_63) {
        hi = -0x80000000;
        lo = 0;
      } else {
        hi = Math.floor(value / TWO_POW_32);
        lo = value - hi * TWO_POW_32;
      }
    }
    const p = this.reserve(8);
    const b = this.buf;
    b[p] = hi >>> 24;
    b[p + 1] = hi >>> 16;
    b[p + 2] = hi >>> 8;
    b[p + 3] = hi;
    b[p + 4] = lo >>> 24;
    b[p + 5] = lo >>> 16;
    b[p + 6] = lo >>> 8;
    b[p + 7] = lo;
  }

  writeFloat64(value: number): void {
    const p = this.reserve(8);
    this.buf.writeDoubleBE(value, p);
  }

  writeUuid(value: string): void {
    const p = this.reserve(16);
    if (!uuidToBytes(value, this.buf, p)) {
      this.pos = p;
      throw new ProtocolEncodeError(`not a UUID in 8-4-4-4-12 hex form: ${JSON.stringify(value)}`);
    }
  }

  // ---------------------------------------------------------------- varints

  /** Unsigned varint of 0 <= value < 2^32 (Kafka's writeUnsignedVarint). */
  writeUnsignedVarint(value: number): void {
    if (value >>> 0 !== value) throw outOfRange('unsigned varint', value);
    if (value < 0x80) {
      const p = this.reserve(1);
      this.buf[p] = value;
      return;
    }
    const p = this.reserve(sizeOfUnsignedVarint(value));
    this.putUnsignedVarint(p, value);
  }

  /** Zigzag varint of an int32 (Kafka's writeVarint). */
  writeVarint(value: number): void {
    if ((value | 0) !== value) throw outOfRange('varint', value);
    this.writeUnsignedVarint(zigzag32(value));
  }

  /** Zigzag varlong of an int64 held in a JS number (Kafka's writeVarlong); exact for |value| < 2^53. */
  writeVarlong(value: number): void {
    if ((value | 0) === value) {
      this.writeUnsignedVarint(zigzag32(value));
      return;
    }
    if (!Number.isInteger(value)) throw outOfRange('varlong', value);
    let hi: number;
    let lo: number;
    if (value >= TWO_POW_63) {
      hi = 0x7fffffff;
      lo = 0xffffffff;
    } else if (value < -TWO_POW_63) {
      hi = -0x80000000;
      lo = 0;
    } else {
      hi = Math.floor(value / TWO_POW_32) | 0;
      lo = value - Math.floor(value / TWO_POW_32) * TWO_POW_32;
    }
    // 64-bit zigzag on the two halves: (n << 1) ^ (n >> 63).
    const sign = hi >> 31;
    let zhi = (((hi << 1) | (lo >>> 31)) ^ sign) >>> 0;
    let zlo = ((lo << 1) ^ sign) >>> 0;
    this.ensure(10);
    const b = this.buf;
    let p = this.pos;
    while (zhi !== 0 || zlo > 0x7f) {
      b[p++] = (zlo & 0x7f) | 0x80;
      zlo = ((zlo >>> 7) | (zhi << 25)) >>> 0;
      zhi >>>= 7;
    }
    b[p++] = zlo;
    this.pos = p;
  }

  // ---------------------------------------------------------------- strings

  /** STRING: int16 length + UTF-8 bytes. */
  writeString(value: string): void {
    const n = utf8Length(value);
    if (n > INT16_MAX) throw new ProtocolEncodeError(`string of ${n} bytes exceeds the int16 length limit`);
    this.writeInt16(n);
    this.putUtf8(value, n);
  }

  /** NULLABLE_STRING: int16 length (-1 for null) + UTF-8 bytes. */
  writeNullableString(value: string | null): void {
    if (value === null) this.writeInt16(-1);
    else this.writeString(value);
  }

  /** COMPACT_STRING: unsigned varint (length + 1) + UTF-8 bytes. */
  writeCompactString(value: string): void {
    const n = utf8Length(value);
    if (n > INT16_MAX) throw new ProtocolEncodeError(`string of ${n} bytes exceeds the int16 length limit`);
    this.writeUnsignedVarint(n + 1);
    this.putUtf8(value, n);
  }

  /** COMPACT_NULLABLE_STRING: unsigned varint (length + 1, 0 for null) + UTF-8 bytes. */
  writeCompactNullableString(value: string | null): void {
    if (value === null) this.writeUnsignedVarint(0);
    else this.writeCompactString(value);
  }

  // ---------------------------------------------------------------- bytes

  /** BYTES: int32 length + bytes. */
  writeBytes(value: Uint8Array): void {
    this.writeInt32(value.length);
    this.writeRaw(value);
  }

  writeNullableBytes(value: Uint8Array | null): void {
    if (value === null) this.writeInt32(-1);
    else this.writeBytes(value);
  }

  /** COMPACT_BYTES: unsigned varint (length + 1) + bytes. */
  writeCompactBytes(value: Uint8Array): void {
    this.writeUnsignedVarint(value.length + 1);
    this.writeRaw(value);
  }

  writeCompactNullableBytes(value: Uint8Array | null): void {
    if (value === null) this.writeUnsignedVarint(0);
    else this.writeCompactBytes(value);
  }

  /** Copies bytes into the frame with no length prefix. */
  writeRaw(value: Uint8Array): void {
    const n = value.length;
    const p = this.reserve(n);
    this.buf.set(value, p);
  }

  // ---------------------------------------------------------------- records

  /**
   * RECORDS / COMPACT_RECORDS: a length prefix (int32, or unsigned varint length + 1 when
   * compact; -1 / 0 for null) followed by the bytes. A RecordsSource (or a Buffer of at
   * least INLINE_RECORDS_BYTES_MAX) becomes its own output part, see finishParts().
   */
  writeRecords(value: RecordsValue, compact: boolean): void {
    if (value === null) {
      if (compact) this.writeUnsignedVarint(0);
      else this.writeInt32(-1);
      return;
    }
    const n = value.byteLength;
    if (!Number.isInteger(n) || n < 0 || n > INT32_MAX - 1) {
      throw new ProtocolEncodeError(`records byteLength ${n} is not a valid int32 length`);
    }
    if (compact) this.writeUnsignedVarint(n + 1);
    else this.writeInt32(n);
    if (ArrayBuffer.isView(value)) {
      const bytes = value as Uint8Array;
      if (n < INLINE_RECORDS_BYTES_MAX) this.writeRaw(bytes);
      else this.pushPart(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, n));
    } else {
      this.pushPart(value);
    }
  }

  // ---------------------------------------------------------------- arrays, tags, structs

  /** ARRAY length: int32 count, -1 for a null array. */
  writeArrayLength(count: number): void {
    this.writeInt32(count);
  }

  /** COMPACT_ARRAY length: unsigned varint count + 1, 0 for a null array (count -1). */
  writeCompactArrayLength(count: number): void {
    this.writeUnsignedVarint(count + 1);
  }

  /** An empty tagged-field section (count 0). */
  writeEmptyTaggedFields(): void {
    const p = this.reserve(1);
    this.buf[p] = 0;
  }

  /**
   * Starts a value whose unsigned-varint byte size must precede it (a tagged field). Write
   * the value, then call endSized(mark): the value is shifted right to make room for its
   * size. Tagged values are small; no records may be written in between.
   */
  beginSized(): number {
    return this.pos;
  }

  endSized(mark: number): void {
    const lastExt = this.extAt.length === 0 ? -1 : this.extAt[this.extAt.length - 1]!;
    if (mark < 0 || mark > this.pos || lastExt > mark) {
      throw new ProtocolEncodeError('endSized() called with a stale mark');
    }
    const size = this.pos - mark;
    const n = sizeOfUnsignedVarint(size);
    this.reserve(n);
    this.buf.copyWithin(mark + n, mark, mark + size);
    this.putUnsignedVarint(mark, size);
  }

  /** Overwrites 4 bytes already written at offset (a frame size placeholder). */
  setInt32At(offset: number, value: number): void {
    if (offset < 0 || offset + 4 > this.pos) throw new ProtocolEncodeError(`setInt32At(${offset}) outside the written bytes`);
    if ((value | 0) !== value) throw outOfRange('int32', value);
    this.buf.writeInt32BE(value, offset);
  }

  // ---------------------------------------------------------------- output

  /**
   * Returns the bytes written as one Buffer (a copy) and resets the writer. In-memory
   * record parts are concatenated; throws if an external RecordsSource was written.
   */
  finish(): Buffer {
    if (this.ext.length === 0) {
      const out = copyOut(this.buf, 0, this.pos);
      this.reset();
      return out;
    }
    const parts = this.finishParts();
    for (const part of parts) {
      if (!Buffer.isBuffer(part)) {
        throw new ProtocolEncodeError('finish() cannot flatten an external RecordsSource; use finishParts()');
      }
    }
    return Buffer.concat(parts as Buffer[]);
  }

  /**
   * Returns the frame as parts in wire order (Buffers are copies or the caller's own record
   * Buffers; other parts are the caller's RecordsSource objects) and resets the writer.
   */
  finishParts(): FramePart[] {
    const parts: FramePart[] = [];
    let start = 0;
    for (let i = 0; i < this.ext.length; i++) {
      const at = this.extAt[i]!;
      if (at > start) parts.push(copyOut(this.buf, start, at));
      parts.push(this.ext[i]!);
      start = at;
    }
    if (this.pos > start || parts.length === 0) parts.push(copyOut(this.buf, start, this.pos));
    this.reset();
    return parts;
  }

  // ---------------------------------------------------------------- internals

  private pushPart(part: FramePart | RecordsSource): void {
    this.extAt.push(this.pos);
    this.ext.push(part);
    this.extBytes += part.byteLength;
  }

  /** Advances pos by n bytes (growing the buffer) and returns the old pos. */
  private reserve(n: number): number {
    const p = this.pos;
    if (p + n > this.buf.length) this.grow(n);
    this.pos = p + n;
    return p;
  }

  private ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    const needed = this.pos + n;
    let capacity = Math.max(this.buf.length * 2, 256);
    while (capacity < needed) capacity *= 2;
    const next = Buffer.allocUnsafe(capacity);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private putUnsignedVarint(p: number, value: number): void {
    const b = this.buf;
    let v = value;
    while (v > 0x7f) {
      b[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[p] = v;
  }

  private putUtf8(value: string, byteLength: number): void {
    const p = this.reserve(byteLength);
    if (byteLength === value.length) {
      // ASCII (utf8Length counted no multi-byte chars): plain stores beat a native call for short strings.
      const b = this.buf;
      for (let i = 0; i < byteLength; i++) b[p + i] = value.charCodeAt(i);
    } else {
      this.buf.write(value, p, byteLength, 'utf8');
    }
  }
}

/** UTF-8 byte length; scans short strings in JS to skip a native call for the common ASCII case. */
function utf8Length(value: string): number {
  const n = value.length;
  if (n > 64) return Buffer.byteLength(value, 'utf8');
  for (let i = 0; i < n; i++) {
    if (value.charCodeAt(i) > 0x7f) return Buffer.byteLength(value, 'utf8');
  }
  return n;
}

function copyOut(buf: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  buf.copy(out, 0, start, end);
  return out;
}

function outOfRange(type: string, value: number): ProtocolEncodeError {
  return new ProtocolEncodeError(`${value} is not a valid ${type}`);
}
