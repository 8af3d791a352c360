// Varint, varlong and unsigned varint against known encodings (Kafka's ByteUtils) and a
// BigInt reference, including the edges: 0, -1, int32 limits, +-(2^53 - 1).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ProtocolDecodeError, ProtocolEncodeError, Reader, Writer } from '../../../src/protocol/primitives/index.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function written(fn: (w: Writer) => void): Buffer {
  const w = new Writer({ initialCapacityBytes: 1 });
  fn(w);
  return w.finish();
}

/** Reference zigzag varlong via BigInt (independent of the Writer's two-halves arithmetic). */
function bigVarlong(n: number): Buffer {
  let z = BigInt.asUintN(64, (BigInt(n) << 1n) ^ (BigInt(n) >> 63n));
  const out: number[] = [];
  while (z > 0x7fn) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return Buffer.from(out);
}

test('varint (zigzag int32): known encodings and round trip', () => {
  const cases: Array<[number, string]> = [
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [-64, '7f'],
    [64, '8001'],
    [2147483647, 'feffffff0f'],
    [-2147483648, 'ffffffff0f'],
  ];
  for (const [n, bytes] of cases) {
    const b = written((w) => w.writeVarint(n));
    assert.equal(b.toString('hex'), bytes, `varint ${n}`);
    const r = new Reader(b);
    assert.equal(r.readVarint(), n);
    assert.equal(r.remaining, 0);
  }
  assert.throws(() => written((w) => w.writeVarint(2147483648)), ProtocolEncodeError);
  assert.throws(() => written((w) => w.writeVarint(1.5)), ProtocolEncodeError);
});

test('varlong (zigzag int64): edges up to 2^53 - 1 match a BigInt reference', () => {
  const edges = [0, -1, 1, 2147483647, -2147483648, 2147483648, -2147483649, 2 ** 32, -(2 ** 32), 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 40 + 7];
  for (const n of edges) {
    const b = written((w) => w.writeVarlong(n));
    assert.deepEqual(b, bigVarlong(n), `varlong ${n}`);
    const r = new Reader(b);
    assert.equal(r.readVarlong(), n, `varlong ${n} decodes`);
    assert.equal(r.remaining, 0);
  }
  assert.equal(written((w) => w.writeVarlong(0)).toString('hex'), '00');
  assert.equal(written((w) => w.writeVarlong(-1)).toString('hex'), '01');
  assert.equal(written((w) => w.writeVarlong(2147483647)).toString('hex'), 'feffffff0f');
  assert.equal(written((w) => w.writeVarlong(2 ** 53 - 1)).toString('hex'), 'feffffffffffff1f');

  // Random safe integers of every magnitude.
  let s = 12345;
  for (let i = 0; i < 2000; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const magnitude = Math.floor((s / 4294967296) * 2 ** ((i % 53) + 1));
    const n = i % 2 === 0 || magnitude === 0 ? magnitude : -magnitude;
    const b = written((w) => w.writeVarlong(n));
    assert.deepEqual(b, bigVarlong(n), `varlong ${n}`);
    assert.equal(new Reader(b).readVarlong(), n);
  }
});

test('varlong: the full 64-bit range decodes, 11 bytes or a 65th bit is an error', () => {
  // Long.MIN_VALUE zigzags to 2^64 - 1: ten bytes.
  const min = hex('ffffffffffffffffff01');
  assert.equal(new Reader(min).readVarlong(), -(2 ** 63));
  assert.throws(() => new Reader(hex('ffffffffffffffffff02')).readVarlong(), ProtocolDecodeError);
  assert.throws(() => new Reader(hex('ffffffffffffffffffff01')).readVarlong(), ProtocolDecodeError);
  assert.throws(() => new Reader(hex('ffff')).readVarlong(), ProtocolDecodeError);
});

test('unsigned varint: known encodings, 5-byte limit, truncation', () => {
  const cases: Array<[number, string]> = [
    [0, '00'],
    [127, '7f'],
    [128, '8001'],
    [300, 'ac02'],
    [16383, 'ff7f'],
    [16384, '808001'],
    [4294967295, 'ffffffff0f'],
  ];
  for (const [n, bytes] of cases) {
    assert.equal(written((w) => w.writeUnsignedVarint(n)).toString('hex'), bytes, `uvarint ${n}`);
    assert.equal(new Reader(hex(bytes)).readUnsignedVarint(), n);
  }
  assert.throws(() => new Reader(hex('ffffffff1f')).readUnsignedVarint(), ProtocolDecodeError, 'more than 32 bits');
  assert.throws(() => new Reader(hex('ffffffffff01')).readUnsignedVarint(), ProtocolDecodeError, 'six bytes');
  assert.throws(() => new Reader(hex('80')).readUnsignedVarint(), ProtocolDecodeError, 'truncated');
  assert.throws(() => written((w) => w.writeUnsignedVarint(-1)), ProtocolEncodeError);
  assert.throws(() => written((w) => w.writeUnsignedVarint(2 ** 32)), ProtocolEncodeError);
});
