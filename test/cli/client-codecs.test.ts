// The client's codecs (src/client): CRC32C against its check value, murmur2 against kafkajs's
// independent implementation, record batches round-tripped through every codec the client
// writes (and read by kafkajs's decoder), and the range assignor.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { crc32c, decodeRecordBatches, encodeRecordBatch } from '../../src/client/record-batch.js';
import { Compression } from '../../src/client/compression.js';
import { murmur2, partitionForKey } from '../../src/client/partitioner.js';
import { rangeAssign } from '../../src/client/group-member.js';

const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer) => number;
const kafkajsDecoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => unknown;
const kafkajsRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (d: unknown) => Promise<{ records: { key: Buffer | null; value: Buffer | null; offset: string; headers: Record<string, Buffer> }[] }>;

/** A seeded generator (mulberry32), so that failures reproduce. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('client codecs', () => {
  it('CRC32C has its check value', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
    const big = Buffer.alloc(1000, 7);
    assert.equal(crc32c(big, 3, 997), crc32c(big.subarray(3, 997)));
  });

  it('murmur2 agrees with kafkajs on random keys (Kafka default partitioning)', () => {
    const next = rng(42);
    for (let i = 0; i < 2000; i++) {
      const key = Buffer.from(Array.from({ length: Math.floor(next() * 40) }, () => Math.floor(next() * 256)));
      assert.equal(murmur2(key), kafkajsMurmur2(key), key.toString('hex'));
    }
    assert.ok(partitionForKey(Buffer.from('user-1'), 3) >= 0);
  });

  it('round-trips record batches with keys, nulls, headers and timestamps through none, gzip and snappy', async () => {
    const records = [
      { key: Buffer.from('k1'), value: Buffer.from('v1'), headers: [{ key: 'h', value: Buffer.from('x') }] },
      { key: null, value: null },
      { key: Buffer.alloc(0), value: Buffer.from('é'.repeat(300)), timestampMs: 1_700_000_000_123 },
    ];
    for (const compression of [Compression.none, Compression.gzip, Compression.snappy, Compression.lz4, Compression.zstd]) {
      const batch = encodeRecordBatch(records, { compression, timestampMs: 1_700_000_000_000 });
      const { batches, bytesRead } = decodeRecordBatches(Buffer.concat([batch, batch.subarray(0, 20)]));
      assert.equal(bytesRead, batch.length, 'a partial batch at the end is left');
      const [b] = batches;
      assert.equal(b!.compression, compression);
      assert.deepEqual(
        b!.records.map((r) => [r.offset, r.key?.toString() ?? null, r.value?.toString() ?? null, r.timestampMs, r.headers.map((h) => [h.key, h.value?.toString()])]),
        [
          [0, 'k1', 'v1', 1_700_000_000_000, [['h', 'x']]],
          [1, null, null, 1_700_000_000_000, []],
          [2, '', 'é'.repeat(300), 1_700_000_000_123, []],
        ],
      );
      if (compression === Compression.none || compression === Compression.gzip) {
        // kafkajs decodes none and gzip on its own: an independent reader of our bytes.
        const decoded = await kafkajsRecordBatch(new kafkajsDecoder(batch));
        assert.deepEqual(decoded.records.map((r) => r.value?.toString() ?? null), ['v1', null, 'é'.repeat(300)]);
      }
    }
    const corrupt = encodeRecordBatch([{ value: Buffer.from('x') }]);
    corrupt[corrupt.length - 1]! ^= 1;
    assert.throws(() => decodeRecordBatches(corrupt), /CRC/);
  });

  it('assigns partitions as Kafka range assignor', () => {
    const assigned = rangeAssign(
      [
        { memberId: 'b', topics: ['t', 'u'] },
        { memberId: 'a', topics: ['t'] },
      ],
      (t) => (t === 't' ? 5 : 2),
    );
    assert.deepEqual(assigned.get('a'), [{ topic: 't', partitions: [0, 1, 2] }]);
    assert.deepEqual(assigned.get('b'), [
      { topic: 't', partitions: [3, 4] },
      { topic: 'u', partitions: [0, 1] },
    ]);
  });
});
