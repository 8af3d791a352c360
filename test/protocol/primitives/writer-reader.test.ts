// Writer and Reader: fixed-width integers, int64 as a JS number, strings and compact
// nullable strings, bytes, UUIDs, tagged-field sizing, RecordsSource parts, and the
// guarantee that a truncated or malformed frame throws ProtocolDecodeError.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  INLINE_RECORDS_BYTES_MAX,
  ProtocolDecodeError,
  ProtocolEncodeError,
  Reader,
  Writer,
  ZERO_UUID,
  type RecordsSource,
} from '../../../src/protocol/primitives/index.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function written(fn: (w: Writer) => void): Buffer {
  const w = new Writer({ initialCapacityBytes: 1 });
  fn(w);
  return w.finish();
}

test('fixed-width integers: big-endian, signed and unsigned, range-checked', () => {
  const b = written((w) => {
    w.writeInt8(-2);
    w.writeInt16(-2);
    w.writeUint16(65535);
    w.writeInt32(-2);
    w.writeUint32(4294967295);
    w.writeBool(true);
    w.writeFloat64(1.5);
  });
  assert.equal(b.toString('hex'), 'fe' + 'fffe' + 'ffff' + 'fffffffe' + 'ffffffff' + '01' + '3ff8000000000000');
  const r = new Reader(b);
  assert.equal(r.readInt8(), -2);
  assert.equal(r.readInt16(), -2);
  assert.equal(r.readUint16(), 65535);
  assert.equal(r.readInt32(), -2);
  assert.equal(r.readUint32(), 4294967295);
  assert.equal(r.readBool(), true);
  assert.equal(r.readFloat64(), 1.5);
  assert.equal(r.remaining, 0);
  for (const bad of [() => written((w) => w.writeInt8(128)), () => written((w) => w.writeInt16(40000)), () => written((w) => w.writeInt32(2 ** 31)), () => written((w) => w.writeUint16(-1)), () => written((w) => w.writeInt32(0.5))]) {
    assert.throws(bad, ProtocolEncodeError);
  }
});

test('int64 from and to JS numbers: exact below 2^53, Long.MAX_VALUE saturates', () => {
  const values = [0, -1, 1, 2 ** 32, -(2 ** 32), 2 ** 32 + 1, 2 ** 53 - 1, -(2 ** 53 - 1), 1711648200000];
  for (const n of values) {
    const b = written((w) => w.writeInt64(n));
    const ref = Buffer.alloc(8);
    ref.writeBigInt64BE(BigInt(n));
    assert.deepEqual(b, ref, `int64 ${n}`);
    assert.equal(new Reader(b).readInt64(), n);
  }
  const max = hex('7fffffffffffffff');
  const asNumber = new Reader(max).readInt64();
  assert.equal(asNumber, 2 ** 63); // nearest double
  assert.deepEqual(written((w) => w.writeInt64(asNumber)), max, 'Long.MAX_VALUE survives a round trip');
  assert.equal(new Reader(hex('8000000000000000')).readInt64(), -(2 ** 63));
  assert.deepEqual(written((w) => w.writeInt64(-(2 ** 63))), hex('8000000000000000'));
  assert.throws(() => written((w) => w.writeInt64(0.5)), ProtocolEncodeError);
  assert.throws(() => written((w) => w.writeInt64(Number.NaN)), ProtocolEncodeError);
});

test('strings: classic and compact, nullable, UTF-8', () => {
  const b = written((w) => {
    w.writeString('abc');
    w.writeNullableString(null);
    w.writeCompactString('');
    w.writeCompactNullableString(null);
    w.writeCompactNullableString('é');
    w.writeCompactString('x'.repeat(200));
  });
  const expected = '0003616263' + 'ffff' + '01' + '00' + '03c3a9' + 'c901' + '78'.repeat(200);
  assert.equal(b.toString('hex'), expected);
  const r = new Reader(b);
  assert.equal(r.readString(), 'abc');
  assert.equal(r.readNullableString(), null);
  assert.equal(r.readCompactString(), '');
  assert.equal(r.readCompactNullableString(), null);
  assert.equal(r.readCompactNullableString(), 'é');
  assert.equal(r.readCompactString(), 'x'.repeat(200));
  assert.equal(r.remaining, 0);

  // Null where the field is not nullable, and negative lengths other than -1.
  assert.throws(() => new Reader(hex('ffff')).readString(), ProtocolDecodeError);
  assert.throws(() => new Reader(hex('fffe')).readNullableString(), ProtocolDecodeError);
  assert.throws(() => new Reader(hex('00')).readCompactString(), ProtocolDecodeError);
  // Length beyond the frame.
  assert.throws(() => new Reader(hex('000561')).readString(), ProtocolDecodeError);
  assert.throws(() => new Reader(hex('0661')).readCompactNullableString(), ProtocolDecodeError);
  assert.throws(() => written((w) => w.writeString('x'.repeat(40000))), ProtocolEncodeError);
});

test('bytes: copies by default, views on request; records are views', () => {
  const frame = hex('00000002abcd' + '03efef' + '00000001ff');
  const r = new Reader(frame);
  const copy = r.readBytes();
  const view = r.readCompactBytes(true);
  const records = r.readNullableRecords()!;
  assert.deepEqual([...copy], [0xab, 0xcd]);
  assert.deepEqual([...view], [0xef, 0xef]);
  assert.deepEqual([...records], [0xff]);
  // Writing into the frame shows through views only (small Buffers share pool memory, so
  // compare by behaviour rather than by .buffer identity).
  frame[4] = 0;
  frame[7] = 0;
  frame[13] = 0;
  assert.equal(copy[0], 0xab);
  assert.equal(view[0], 0);
  assert.equal(records[0], 0);
  assert.equal(new Reader(hex('ffffffff')).readNullableBytes(), null);
  assert.throws(() => new Reader(hex('ffffffff')).readBytes(), ProtocolDecodeError);
  assert.throws(() => new Reader(hex('fffffffe')).readNullableRecords(), ProtocolDecodeError);
  assert.throws(() => new Reader(hex('7fffffff')).readBytes(), ProtocolDecodeError, 'no 2 GiB allocation');
});

test('UUIDs: lowercase canonical strings, zero UUID, invalid input rejected', () => {
  const id = '5f0cd0b4-8f0e-4c3f-9a61-03f1d2b3c4d5';
  const b = written((w) => {
    w.writeUuid(id);
    w.writeUuid(ZERO_UUID);
    w.writeUuid(id.toUpperCase());
  });
  assert.equal(b.subarray(0, 16).toString('hex'), id.replace(/-/g, ''));
  assert.equal(b.subarray(16, 32).toString('hex'), '0'.repeat(32));
  const r = new Reader(b);
  assert.equal(r.readUuid(), id);
  assert.equal(r.readUuid(), ZERO_UUID);
  assert.equal(r.readUuid(), id);
  for (const bad of ['', 'not-a-uuid', id.replace(/-/g, ''), id.slice(0, 35) + 'g', id.replace('-', '+')]) {
    assert.throws(() => written((w) => w.writeUuid(bad)), ProtocolEncodeError, bad);
  }
});

test('arrays: lengths are checked against the bytes left before anything is allocated', () => {
  assert.equal(new Reader(hex('ffffffff')).readNullableArrayLength(), -1);
  assert.equal(new Reader(hex('00')).readCompactNullableArrayLength(), -1);
  assert.throws(() => new Reader(hex('ffffffff')).readArrayLength(), ProtocolDecodeError);
  assert.throws(() => new Reader(hex('fffffffe')).readNullableArrayLength(), ProtocolDecodeError);
  assert.throws(() => new Reader(hex('00')).readCompactArrayLength(), ProtocolDecodeError);
  assert.throws(() => new Reader(hex('7fffffff')).readArrayLength(), ProtocolDecodeError);
  assert.throws(() => new Reader(hex('ffffffff0f')).readCompactArrayLength(), ProtocolDecodeError);
});

test('tagged fields: sized values are shifted behind their varint size; unknown tags skip', () => {
  const w = new Writer({ initialCapacityBytes: 8 });
  w.writeUnsignedVarint(2);
  w.writeUnsignedVarint(0);
  let mark = w.beginSized();
  w.writeCompactString('hi');
  w.endSized(mark);
  w.writeUnsignedVarint(7);
  mark = w.beginSized();
  w.writeRaw(Buffer.alloc(200, 0xaa)); // size 200 needs a 2-byte varint
  w.endSized(mark);
  w.writeInt8(0x55);
  const b = w.finish();
  assert.equal(b.subarray(0, 7).toString('hex'), '02' + '00' + '03' + '036869' + '07');
  assert.equal(b.subarray(7, 9).toString('hex'), 'c801');
  assert.equal(b.length, 9 + 200 + 1);
  const r = new Reader(b);
  r.skipTaggedFields();
  assert.equal(r.readInt8(), 0x55);
  assert.equal(r.remaining, 0);
  // A tagged field whose size runs past the frame.
  assert.throws(() => new Reader(hex('01' + '00' + '05' + '0102')).skipTaggedFields(), ProtocolDecodeError);
});

test('RecordsSource: the writer emits prefix, source, rest as parts', () => {
  const source: RecordsSource = { byteLength: 1000 };
  const w = new Writer();
  w.writeInt32(7);
  w.writeRecords(source, false);
  w.writeInt16(9);
  w.writeRecords(Buffer.from([1, 2, 3]), true);
  w.writeRecords(null, true);
  assert.equal(w.length, 4 + 4 + 1000 + 2 + 1 + 3 + 1);
  const parts = w.finishParts();
  assert.equal(parts.length, 3);
  assert.equal((parts[0] as Buffer).toString('hex'), '00000007' + '000003e8');
  assert.equal(parts[1], source);
  assert.equal((parts[2] as Buffer).toString('hex'), '0009' + '04010203' + '00');
  assert.equal(w.length, 0, 'finishParts resets');

  w.writeRecords(source, true);
  assert.throws(() => w.finish(), ProtocolEncodeError, 'finish() cannot flatten a file slice');
  w.reset();

  // A large in-memory Buffer is passed through, not copied; finish() still flattens it.
  const big = Buffer.alloc(INLINE_RECORDS_BYTES_MAX, 7);
  w.writeInt8(1);
  w.writeRecords(big, false);
  w.writeInt8(2);
  const bigParts = w.finishParts();
  assert.equal(bigParts[1], big);
  w.writeInt8(1);
  w.writeRecords(big, false);
  w.writeInt8(2);
  const flat = w.finish();
  assert.equal(flat.length, 1 + 4 + big.length + 1);
  assert.equal(flat[flat.length - 1], 2);

  // No tagged-field shifting across an external part.
  const mark = w.beginSized();
  w.writeRecords(source, false);
  assert.throws(() => w.endSized(mark), ProtocolEncodeError);
  w.reset();
  assert.throws(() => w.writeRecords({ byteLength: -1 }, false), ProtocolEncodeError);
});

test('writer reuse: output is a copy, reset keeps or drops the scratch buffer', () => {
  const w = new Writer({ initialCapacityBytes: 4, maxRetainedBytes: 64 });
  w.writeInt32(1);
  const first = w.finish();
  w.writeInt32(2);
  const second = w.finish();
  assert.equal(first.readInt32BE(0), 1, 'earlier output is not overwritten');
  assert.equal(second.readInt32BE(0), 2);
  w.writeRaw(Buffer.alloc(1000));
  w.reset();
  w.writeInt8(5);
  assert.deepEqual([...w.finish()], [5]);
  w.writeInt32(0);
  w.setInt32At(0, 42);
  assert.equal(w.finish().readInt32BE(0), 42);
  assert.throws(() => w.setInt32At(0, 1), ProtocolEncodeError, 'outside the written bytes');
});

test('a truncated frame throws ProtocolDecodeError from every read, never returns garbage', () => {
  const empty = Buffer.alloc(0);
  const reads: Array<[string, (r: Reader) => unknown]> = [
    ['int8', (r) => r.readInt8()],
    ['int16', (r) => r.readInt16()],
    ['uint16', (r) => r.readUint16()],
    ['int32', (r) => r.readInt32()],
    ['uint32', (r) => r.readUint32()],
    ['int64', (r) => r.readInt64()],
    ['float64', (r) => r.readFloat64()],
    ['bool', (r) => r.readBool()],
    ['uuid', (r) => r.readUuid()],
    ['uvarint', (r) => r.readUnsignedVarint()],
    ['varint', (r) => r.readVarint()],
    ['varlong', (r) => r.readVarlong()],
    ['string', (r) => r.readString()],
    ['compact string', (r) => r.readCompactNullableString()],
    ['bytes', (r) => r.readBytes()],
    ['records', (r) => r.readCompactNullableRecords()],
    ['array', (r) => r.readArrayLength()],
    ['tags', (r) => r.skipTaggedFields()],
  ];
  for (const [name, read] of reads) assert.throws(() => read(new Reader(empty)), ProtocolDecodeError, name);
  // A reader over the middle of a larger buffer never reads past its end.
  const big = hex('00000001 00000002 00000003');
  const r = new Reader(big, 4, 8);
  assert.equal(r.readInt32(), 2);
  assert.throws(() => r.readInt8(), ProtocolDecodeError);
  assert.throws(() => new Reader(big, 8, 20), ProtocolDecodeError, 'bounds beyond the buffer');
  assert.throws(() => new Reader(big).readRaw(-1), ProtocolDecodeError);
  const err = (() => {
    try {
      new Reader(hex('0005616263')).readString();
    } catch (e) {
      return e as ProtocolDecodeError;
    }
    return undefined;
  })();
  assert.ok(err instanceof ProtocolDecodeError);
  assert.equal(err.code, 'TIDELOG_ERR_PROTOCOL_DECODE');
  assert.equal(err.offset, 2);
});
