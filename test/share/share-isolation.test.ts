// share.isolation.level=read_committed's pure parts (src/share/share-isolation.ts):
//   - which batches are aborted, decided as Kafka's fetcher decides it (a producer enters the
//     aborted set at the first offset of one of its aborted transactions, leaves it at its
//     ABORT marker), on batches encoded at known offsets;
//   - splitting acquired ranges around aborted ones, against a per-offset model with seeded
//     random ranges.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeRecordBatch } from '../../src/client/record-batch.js';
import { abortedOffsetRanges, splitAcquired, type OffsetRange } from '../../src/share/share-isolation.js';
import type { AcquiredRange } from '../../src/share/share-partition.js';

function at(baseOffset: number, batch: Buffer): Buffer {
  batch.writeBigInt64BE(BigInt(baseOffset), 0);
  return batch;
}

function data(baseOffset: number, producerId: number, count: number, transactional: boolean): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`v${baseOffset + i}`) }));
  return at(baseOffset, encodeRecordBatch(records, { timestampMs: 1, producer: { producerId, producerEpoch: 0, baseSequence: 0 }, isTransactional: transactional }));
}

function marker(baseOffset: number, producerId: number, type: 0 | 1): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(type, 2);
  return at(baseOffset, encodeRecordBatch([{ key, value: Buffer.alloc(6) }], { timestampMs: 1, producer: { producerId, producerEpoch: 0, baseSequence: -1 }, isTransactional: true, isControl: true }));
}

test('aborted batches: a producer is aborted from its transaction\'s first offset to its ABORT marker', () => {
  const log = Buffer.concat([
    data(0, 7, 2, true), // 0-1: producer 7, aborted below
    data(2, 8, 2, true), // 2-3: producer 8, committed
    data(4, 9, 1, false), // 4: not transactional
    marker(5, 7, 0), // 5: ABORT of producer 7
    marker(6, 8, 1), // 6: COMMIT of producer 8
    data(7, 7, 3, true), // 7-9: producer 7 again, aborted again
    marker(10, 7, 0),
    data(11, 7, 1, true), // 11: producer 7, a transaction not aborted
  ]);
  assert.deepEqual(abortedOffsetRanges(log, [{ producerId: 7, firstOffset: 7 }, { producerId: 7, firstOffset: 0 }]), [
    { firstOffset: 0, lastOffset: 1 },
    { firstOffset: 7, lastOffset: 9 },
  ]);
  assert.deepEqual(abortedOffsetRanges(log, []), []);
});

test('splitAcquired agrees with a per-offset model (seeded)', () => {
  let seed = 0x5eed;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let round = 0; round < 500; round++) {
    const ranges: AcquiredRange[] = [];
    let o = next(5);
    while (ranges.length < 1 + next(4)) {
      const len = 1 + next(6);
      ranges.push({ firstOffset: o, lastOffset: o + len - 1, deliveryCount: 1 + next(3) });
      o += len + next(3);
    }
    const remove: OffsetRange[] = [];
    let r = next(4);
    while (r < o + 3) {
      const len = 1 + next(5);
      if (next(2) === 0) remove.push({ firstOffset: r, lastOffset: r + len - 1 });
      r += len + 1 + next(3);
    }
    const { kept, removed } = splitAcquired(ranges, remove);
    const gone = (x: number): boolean => remove.some((g) => x >= g.firstOffset && x <= g.lastOffset);
    const expectKept = new Map<number, number>();
    const expectRemoved = new Set<number>();
    for (const a of ranges) for (let x = a.firstOffset; x <= a.lastOffset; x++) (gone(x) ? expectRemoved.add(x) : expectKept.set(x, a.deliveryCount));
    const gotKept = new Map<number, number>();
    for (const a of kept) for (let x = a.firstOffset; x <= a.lastOffset; x++) gotKept.set(x, a.deliveryCount);
    const gotRemoved = new Set<number>();
    for (const a of removed) for (let x = a.firstOffset; x <= a.lastOffset; x++) gotRemoved.add(x);
    assert.deepEqual(gotKept, expectKept, `round ${round}`);
    assert.deepEqual(gotRemoved, expectRemoved, `round ${round}`);
  }
});
