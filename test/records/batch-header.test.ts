// records/batch-header.ts against batches built by an independent encoder (test/helpers/batch.ts):
// every field reader, and the whole-batch iterator over back-to-back batches, a cut last
// batch and a length too small to hold a header.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BatchHeader, baseOffsetOf, batchSize, lastOffsetOf, producerFieldsOf, recordCountOf, wholeBatches } from '../../src/records/batch-header.js';
import { recordBatch } from '../helpers/batch.js';

describe('record batch headers', () => {
  const a = recordBatch([{ value: 'a' }, { value: 'b' }, { value: 'c', timestampDelta: 7 }], 1_700_000_000_000, { producerId: 42, producerEpoch: 3, baseSequence: 10 }, { baseOffset: 100n });
  const b = recordBatch([{ key: 'k', value: 'v' }], 1_700_000_000_500, undefined, { baseOffset: 103n });

  it('reads each field where Kafka puts it', () => {
    assert.equal(batchSize(a), a.length);
    assert.equal(baseOffsetOf(a), 100);
    assert.equal(lastOffsetOf(a), 102);
    assert.equal(recordCountOf(a), 3);
    assert.deepEqual(producerFieldsOf(a), { producerId: 42, producerEpoch: 3, baseSequence: 10, lastOffsetDelta: 2, maxTimestamp: 1_700_000_000_007 });
    assert.equal(a[BatchHeader.MAGIC], 2);
  });

  it('iterates whole batches back to back and stops at a cut one', () => {
    const both = Buffer.concat([a, b]);
    assert.deepEqual([...wholeBatches(both)], [{ pos: 0, size: a.length }, { pos: a.length, size: b.length }]);
    assert.equal(baseOffsetOf(both, a.length), 103);
    assert.deepEqual([...wholeBatches(both.subarray(0, both.length - 1))], [{ pos: 0, size: a.length }], 'the cut last batch is left out');
    assert.deepEqual([...wholeBatches(both.subarray(0, BatchHeader.BYTES - 1))], [], 'less than a header');
  });

  it('stops at a length that cannot hold a header', () => {
    const damaged = Buffer.concat([a, b]);
    damaged.writeInt32BE(10, a.length + BatchHeader.BATCH_LENGTH);
    assert.deepEqual([...wholeBatches(damaged)], [{ pos: 0, size: a.length }]);
  });
});
