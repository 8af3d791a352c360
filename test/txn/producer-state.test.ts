// ProducerStateManager's own rules (src/txn/producer-state.ts) and the snapshot file
// (src/txn/producer-state-snapshot.ts) on a real directory: expiry by producer.id.expiration.ms
// counted from the batches' max timestamps, a snapshot round trip, and what a damaged file
// turns into.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { ProducerStateManager, readProducerInfo, type BatchProducerInfo } from '../../src/txn/producer-state.js';
import { recordBatch } from '../helpers/batch.js';
import { PRODUCER_STATE_SNAPSHOT_FILE, readProducerStateSnapshot, writeProducerStateSnapshot } from '../../src/txn/producer-state-snapshot.js';
import { removeDir, tempDir } from '../helpers/broker-process.js';

const batch = (producerId: number, firstSequence: number, maxTimestamp: number, producerEpoch = 0): BatchProducerInfo => ({ producerId, producerEpoch, firstSequence, lastSequence: firstSequence, offsetCount: 1, maxTimestamp });

describe('ProducerStateManager', () => {
  it("reads a v2 batch's producer fields, and nothing from a magic 1 message set or a plain batch", () => {
    const batch = recordBatch([{ value: 'a' }, { value: 'b' }], 1_234, { producerId: 9, producerEpoch: 3, baseSequence: 2147483647 });
    assert.deepEqual(readProducerInfo(batch), { producerId: 9, producerEpoch: 3, firstSequence: 2147483647, lastSequence: 0, offsetCount: 2, maxTimestamp: 1_234 });
    batch.writeInt8(1, 16);
    assert.equal(readProducerInfo(batch), null);
    assert.equal(readProducerInfo(recordBatch([{ value: 'c' }])), null);
  });

  it('forgets producers whose last batch is expirationMs old, counted from their newest timestamp', () => {
    const state = new ProducerStateManager();
    state.update(batch(1, 0, 1_000), 0);
    state.update(batch(1, 1, 5_000), 1);
    state.update(batch(2, 0, 2_000), 2);
    const before = state.changes;
    assert.equal(state.removeExpired(6_000, 4_000), 1, 'producer 2: 6000 - 2000 >= 4000');
    assert.equal(state.producerCount, 1);
    assert.ok(state.changes > before);
    assert.deepEqual(state.check(batch(1, 2, 6_000)), { kind: 'append' });
    assert.equal(state.check(batch(1, 7, 6_000)).kind, 'error', 'producer 1 is still known');
    assert.equal(state.removeExpired(8_999, 4_000), 0);
    assert.equal(state.removeExpired(9_000, 4_000), 1);
  });

  it('restores what it snapshots, duplicates and epochs included', () => {
    const state = new ProducerStateManager();
    state.update(batch(7, 0, 100), 10);
    state.update(batch(7, 0, 200, 1), 11);
    const copy = new ProducerStateManager();
    copy.restore(state.snapshot());
    assert.deepEqual(copy.snapshot(), [{ producerId: 7, epoch: 1, lastTimestamp: 200, batches: [{ firstSequence: 0, lastSequence: 0, firstOffset: 11 }] }]);
    assert.deepEqual(copy.check(batch(7, 0, 300, 1)), { kind: 'duplicate', firstOffset: 11 });
    assert.equal(copy.check(batch(7, 1, 300, 0)).kind, 'error');
  });
});

describe('producer state snapshot file', () => {
  let dir = '';
  afterEach(() => removeDir(dir));

  it('round-trips, and a damaged or foreign file is reported and deleted', () => {
    dir = tempDir();
    const file = path.join(dir, PRODUCER_STATE_SNAPSHOT_FILE);
    assert.deepEqual(readProducerStateSnapshot(dir), { snapshot: null });
    const producers = [{ producerId: 3, epoch: 2, lastTimestamp: -1, batches: [{ firstSequence: 2147483647, lastSequence: 0, firstOffset: 9 }] }];
    writeProducerStateSnapshot(dir, { offset: 10, producers });
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { version: 1, offset: 10, producers });
    assert.deepEqual(readProducerStateSnapshot(dir), { snapshot: { version: 1, offset: 10, producers } });
    assert.ok(existsSync(file), 'reading keeps a good snapshot');

    writeFileSync(file, JSON.stringify({ version: 2, offset: 10, producers: [] }));
    const wrongVersion = readProducerStateSnapshot(dir);
    assert.equal(wrongVersion.snapshot, null);
    assert.match('unusable' in wrongVersion ? (wrongVersion.unusable ?? '') : '', /producer-state\.json: version: /);
    assert.equal(existsSync(file), false);

    writeFileSync(file, '{"version":1,"offset":-4,"producers":[]}');
    const negative = readProducerStateSnapshot(dir);
    assert.match('unusable' in negative ? (negative.unusable ?? '') : '', /offset: /);
  });
});
