// Reader: decodes Kafka primitive types from one frame held in a Buffer, between offset and
// end. Every read checks the remaining length first and throws ProtocolDecodeError instead
// of reading past the frame, so a truncated or hostile frame never yields garbage.
// Lengths are validated before anything is allocated: a string, bytes or array length larger
// than the bytes left in the frame is an error (as Kafka's generated readers check
// `arrayLength > _readable.remaining()`), and negative lengths other than -1 (null, and only
// where the field is nullable) are errors.
//
// Records (and bytes fields marked zeroCopy in Kafka's JSON) are returned as subarrays that
// share memory with the frame Buffer; other bytes fields are copied so that long-lived state
// (group assignments, SASL tokens) does not pin the whole request frame.

import { ProtocolDecodeError } from './errors.js';
import { uuidToString } from './uuid.js';
import { unzigzag32 } from './varint.js';

const TWO_POW_32 = 4294967296;
const INT16_MAX = 0x7fff;

export class Reader {
  readonly buf: Buffer;
  /** Exclusive end of the readable region. */
  readonly end: number;
  private pos: number;

  constructor(buf: Buffer, offset = 0, end = buf.length) {
    if (!(offset >= 0 && offset <= end && end <= buf.length)) {
      throw new ProtocolDecodeError(`invalid reader bounds [${offset}, ${end}) for ${buf.length} bytes`, offset);
    }
    this.buf = buf;
    this.pos = offset;
    this.end = end;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  // ---------------------------------------------------------------- fixed width

  readInt8(): number {
    const p = this.take(1);
    return (this.buf[p]! << 24) >> 24;
  }

  readBool(): boolean {
    const p = this.take(1);
    return this.buf[p] !== 0;
  }

  readInt16(): number {
    const p = this.take(2);
    const b = this.buf;
    return ((b[p]! << 24) | (b[p + 1]! << 16)) >> 16;
  }

  readUint16(): number {
    const p = this.take(2);
    const b = this.buf;
    return (b[p]! << 8) | b[p + 1]!;
  }

  readInt32(): number {
    const p = this.take(4);
    const b = this.buf;
    return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
  }

  readUint32(): number {
    const p = this.take(4);
    const b = this.buf;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  /** Big-endian int64 as a JS number: exact for |n| < 2^53, nearest double beyond. */
  readInt64(): number {
    const p = this.take(8);
    const b = this.buf;
    const hi = (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
    const lo = ((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0;
    return hi * TWO_POW_32 + lo;
  }

  readFloat64(): number {
    const p = this.take(8);
    return this.buf.readDoubleBE(p);
  }

  readUuid(): string {
    const p = this.take(16);
    return uuidToString(this.buf, p);
  }

  // ---------------------------------------------------------------- varints

  /** Unsigned varint, at most 5 bytes, as a uint32 (Kafka's readUnsignedVarint). */
  readUnsignedVarint(): number {
    const b = this.buf;
    const start = this.pos;
    let p = start;
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (p >= this.end) throw this.underflow(start, 1);
      const byte = b[p++]!;
      if (shift === 28 && byte > 0x0f) throw new ProtocolDecodeError('unsigned varint does not fit in 32 bits', start);
      value |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.pos = p;
        return value >>> 0;
      }
    }
    throw new ProtocolDecodeError('unsigned varint longer than 5 bytes', start);
  }

  /** Zigzag varint as an int32 (Kafka's readVarint). */
  readVarint(): number {
    return unzigzag32(this.readUnsignedVarint());
  }

  /** Zigzag varlong as a JS number: exact for |n| < 2^53 (Kafka's readVarlong). */
  readVarlong(): number {
    const b = this.buf;
    const start = this.pos;
    let p = start;
    let lo = 0;
    let hi = 0;
    let byte = 0;
    let done = false;
    // Bytes 0-3 carry bits 0-27, byte 4 bits 28-34 (straddling the halves), bytes 5-9 bits 35-63.
    for (let i = 0; i < 10; i++) {
      if (p >= this.end) throw this.underflow(start, 1);
      byte = b[p++]!;
      const bits = byte & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= bits << 28;
        hi = bits >>> 4;
      } else {
        if (i === 9 && bits > 1) throw new ProtocolDecodeError('varlong does not fit in 64 bits', start);
        hi |= bits << (7 * i - 32);
      }
      if (byte < 0x80) {
        done = true;
        break;
      }
    }
    if (!done) throw new ProtocolDecodeError('varlong longer than 10 bytes', start);
    this.pos = p;
    lo >>>= 0;
    hi >>>= 0;
    // 64-bit unzigzag: (z >>> 1) ^ -(z & 1).
    let rlo = ((lo >>> 1) | (hi << 31)) >>> 0;
    let rhi = hi >>> 1;
    if ((lo & 1) !== 0) {
      rlo = ~rlo >>> 0;
      rhi = ~rhi;
    }
    return (rhi | 0) * TWO_POW_32 + rlo;
  }

  // ---------------------------------------------------------------- strings

  /** STRING: int16 length + UTF-8; a null (-1) is an error. */
  readString(): string {
    const start = this.pos;
    const n = this.readInt16();
    if (n < 0) throw new ProtocolDecodeError(`non-nullable string has length ${n}`, start);
    return this.utf8(n);
  }

  /** NULLABLE_STRING: int16 length (-1 = null) + UTF-8. */
  readNullableString(): string | null {
    const start = this.pos;
    const n = this.readInt16();
    if (n < 0) {
      if (n === -1) return null;
      throw new ProtocolDecodeError(`nullable string has length ${n}`, start);
    }
    return this.utf8(n);
  }

  /** COMPACT_STRING: unsigned varint length + 1; 0 (null) is an error. */
  readCompactString(): string {
    const start = this.pos;
    const u = this.readUnsignedVarint();
    if (u === 0) throw new ProtocolDecodeError('non-nullable compact string is null', start);
    if (u - 1 > INT16_MAX) throw new ProtocolDecodeError(`compact string length ${u - 1} exceeds the int16 limit`, start);
    return this.utf8(u - 1);
  }

  /** COMPACT_NULLABLE_STRING: unsigned varint length + 1, 0 = null. */
  readCompactNullableString(): string | null {
    const start = this.pos;
    const u = this.readUnsignedVarint();
    if (u === 0) return null;
    if (u - 1 > INT16_MAX) throw new ProtocolDecodeError(`compact string length ${u - 1} exceeds the int16 limit`, start);
    return this.utf8(u - 1);
  }

  // ---------------------------------------------------------------- bytes and records

  /** BYTES: int32 length + bytes (copied unless view is true). */
  readBytes(view = false): Buffer {
    const start = this.pos;
    const n = this.readInt32();
    if (n < 0) throw new ProtocolDecodeError(`non-nullable bytes have length ${n}`, start);
    return this.slice(n, view);
  }

  readNullableBytes(view = false): Buffer | null {
    const start = this.pos;
    const n = this.readInt32();
    if (n < 0) {
      if (n === -1) return null;
      throw new ProtocolDecodeError(`nullable bytes have length ${n}`, start);
    }
    return this.slice(n, view);
  }

  /** COMPACT_BYTES: unsigned varint length + 1 + bytes (copied unless view is true). */
  readCompactBytes(view = false): Buffer {
    const start = this.pos;
    const u = this.readUnsignedVarint();
    if (u === 0) throw new ProtocolDecodeError('non-nullable compact bytes are null', start);
    return this.slice(u - 1, view);
  }

  readCompactNullableBytes(view = false): Buffer | null {
    const u = this.readUnsignedVarint();
    if (u === 0) return null;
    return this.slice(u - 1, view);
  }

  /** RECORDS (non-nullable): int32 length + bytes, zero copy. */
  readRecords(): Buffer {
    return this.readBytes(true);
  }

  /** RECORDS (nullable): int32 length (-1 = null) + bytes, zero copy. */
  readNullableRecords(): Buffer | null {
    return this.readNullableBytes(true);
  }

  readCompactRecords(): Buffer {
    return this.readCompactBytes(true);
  }

  readCompactNullableRecords(): Buffer | null {
    return this.readCompactNullableBytes(true);
  }

  /** n raw bytes as a zero-copy subarray. */
  readRaw(n: number): Buffer {
    if (!(n >= 0)) throw new ProtocolDecodeError(`invalid raw length ${n}`, this.pos);
    return this.slice(n, true);
  }

  // ---------------------------------------------------------------- arrays and tagged fields

  /** ARRAY length (int32) of a non-nullable array. */
  readArrayLength(): number {
    const start = this.pos;
    const n = this.readInt32();
    if (n < 0) throw new ProtocolDecodeError(`non-nullable array has length ${n}`, start);
    if (n > this.end - this.pos) throw this.badLength(n, start);
    return n;
  }

  /** ARRAY length of a nullable array: -1 for null. */
  readNullableArrayLength(): number {
    const start = this.pos;
    const n = this.readInt32();
    if (n < 0) {
      if (n === -1) return -1;
      throw new ProtocolDecodeError(`nullable array has length ${n}`, start);
    }
    if (n > this.end - this.pos) throw this.badLength(n, start);
    return n;
  }

  /** COMPACT_ARRAY length (unsigned varint count + 1) of a non-nullable array. */
  readCompactArrayLength(): number {
    const start = this.pos;
    const u = this.readUnsignedVarint();
    if (u === 0) throw new ProtocolDecodeError('non-nullable compact array is null', start);
    if (u - 1 > this.end - this.pos) throw this.badLength(u - 1, start);
    return u - 1;
  }

  /** COMPACT_ARRAY length of a nullable array: -1 for null. */
  readCompactNullableArrayLength(): number {
    const start = this.pos;
    const u = this.readUnsignedVarint();
    if (u - 1 > this.end - this.pos) throw this.badLength(u - 1, start);
    return u - 1;
  }

  /**
   * Reads a tagged field's size and returns the offset at which the field ends, after
   * checking that it lies inside the frame. Pair with endTaggedField().
   */
  readTaggedFieldEnd(): number {
    const start = this.pos;
    const size = this.readUnsignedVarint();
    const fieldEnd = this.pos + size;
    if (fieldEnd > this.end) throw this.underflow(start, size);
    return fieldEnd;
  }

  /** Checks that a known tagged field consumed exactly its declared size. */
  endTaggedField(fieldEnd: number, tag: number): void {
    if (this.pos !== fieldEnd) {
      throw new ProtocolDecodeError(`tagged field ${tag} did not match its declared size (ends at ${fieldEnd})`, this.pos);
    }
  }

  /** Skips to the end of an unknown tagged field (offset from readTaggedFieldEnd()). */
  skipTo(offset: number): void {
    if (offset < this.pos || offset > this.end) throw new ProtocolDecodeError(`cannot skip to ${offset}`, this.pos);
    this.pos = offset;
  }

  /** Reads a tagged-field section, skipping every field (for structs with no known tags). */
  skipTaggedFields(): void {
    const count = this.readUnsignedVarint();
    for (let i = 0; i < count; i++) {
      this.readUnsignedVarint();
      this.skipTo(this.readTaggedFieldEnd());
    }
  }

  /** Skips n bytes. */
  skip(n: number): void {
    if (!(n >= 0)) throw new ProtocolDecodeError(`invalid skip length ${n}`, this.pos);
    this.take(n);
  }

  /** Throws if any byte is left unread (a decoded message must consume its whole frame). */
  expectEnd(what: string): void {
    if (this.pos !== this.end) {
      throw new ProtocolDecodeError(`${this.end - this.pos} unexpected trailing bytes after ${what}`, this.pos);
    }
  }

  // ---------------------------------------------------------------- internals

  /** Advances over n bytes and returns their start, or throws if fewer remain. */
  private take(n: number): number {
    const p = this.pos;
    if (n > this.end - p) throw this.underflow(p, n);
    this.pos = p + n;
    return p;
  }

  private utf8(n: number): string {
    const p = this.take(n);
    return this.buf.toString('utf8', p, p + n);
  }

  private slice(n: number, view: boolean): Buffer {
    const p = this.take(n);
    const sub = this.buf.subarray(p, p + n);
    return view ? sub : Buffer.from(sub);
  }

  private underflow(at: number, n: number): ProtocolDecodeError {
    return new ProtocolDecodeError(`needed ${n} bytes but only ${this.end - at} remain in the frame`, at);
  }

  private badLength(n: number, at: number): ProtocolDecodeError {
    return new ProtocolDecodeError(`length ${n} exceeds the ${this.end - this.pos} bytes left in the frame`, at);
  }
}
