// ProducerStateStore on a real log (the addon's BindingLog in a temporary directory): a
// follower's truncation rebuilds the state as of the new log end, undoing what the truncated
// batches did (an epoch bump), and deletes a snapshot that covered them; a snapshot still
// being written in the background (the periodic checkpoint's) when the log is truncated or
// the partition closes without a snapshot does not land.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { native, type BindingLog, type BindingLogConfig } from '../../src/native.js';
import { ProducerStateManager, readProducerInfo } from '../../src/partition/producer-state.js';
import { PRODUCER_STATE_SNAPSHOT_FILE, readProducerStateSnapshot } from '../../src/partition/producer-state-snapshot.js';
import { ProducerStateStore } from '../../src/partition/producer-state-store.js';
import { recordBatch } from '../helpers/batch.js';
import { removeDir, tempDir } from '../helpers/broker-process.js';

const CONFIG: BindingLogConfig = {
  segmentBytes: 1 << 20,
  segmentMs: 7 * 24 * 3600 * 1000,
  indexIntervalBytes: 4096,
  maxIndexSizeBytes: 1 << 16,
  maxMessageBytes: 1_048_588,
  logAppendTime: false,
  flushIntervalMessages: Number.MAX_SAFE_INTEGER,
};
const DAY_MS = 86_400_000;

/** The leader's path for one producer: append a batch, then record it in the state; returns its first offset. */
function leaderAppend(log: BindingLog, state: ProducerStateManager, store: ProducerStateStore, producerId: number) {
  return (producerEpoch: number, baseSequence: number): number => {
    const batch = recordBatch([{ value: `e${producerEpoch}s${baseSequence}` }], Date.now(), { producerId, producerEpoch, baseSequence });
    const info = readProducerInfo(batch)!;
    const result = log.appendSync(batch, 0, Date.now());
    state.update(info, result.firstOffset);
    store.applied(result.logEndOffset);
    return result.firstOffset;
  };
}

describe('ProducerStateStore', () => {
  let dir = '';
  afterEach(() => removeDir(dir));

  it("rebuilds the state on truncation, undoing a truncated epoch bump, and drops a snapshot past the new end", () => {
    dir = tempDir();
    const log = native.BindingLog.open(dir, CONFIG, 0);
    try {
      const state = new ProducerStateManager();
      const store = new ProducerStateStore(dir, state, log);
      assert.deepEqual(store.restore(Date.now(), DAY_MS), { fromSnapshot: false, batchesRead: 0, producers: 0 });
      const append = leaderAppend(log, state, store, 42);
      append(0, 0);
      append(0, 1);
      const bumpedAt = append(1, 0);
      store.writeSnapshot();
      const file = path.join(dir, PRODUCER_STATE_SNAPSHOT_FILE);
      assert.ok(existsSync(file));
      const epoch0 = (baseSequence: number) => readProducerInfo(recordBatch([{ value: 'x' }], Date.now(), { producerId: 42, producerEpoch: 0, baseSequence }))!;
      assert.equal(state.check(epoch0(2)).kind, 'error', 'epoch 1 fences epoch 0');

      log.truncateTo(bumpedAt);
      const rebuilt = store.truncated(bumpedAt);
      assert.equal(existsSync(file), false, 'the snapshot covered the truncated batch');
      assert.deepEqual(rebuilt, { fromSnapshot: false, batchesRead: 2, producers: 1 });
      assert.deepEqual(state.check(epoch0(2)), { kind: 'append' }, 'epoch 0 goes on where it was');
      assert.deepEqual(state.check(epoch0(1)), { kind: 'duplicate', firstOffset: 1 });
    } finally {
      log.close();
    }
  });

  it('a background snapshot write does not land after a truncation or a close without a snapshot', async () => {
    dir = tempDir();
    const log = native.BindingLog.open(dir, CONFIG, 0);
    try {
      const state = new ProducerStateManager();
      const store = new ProducerStateStore(dir, state, log);
      store.restore(Date.now(), DAY_MS);
      const append = leaderAppend(log, state, store, 7);
      const file = path.join(dir, PRODUCER_STATE_SNAPSHOT_FILE);
      append(0, 0);
      assert.equal(await store.writeSnapshotInBackground(), true);
      assert.equal(readProducerStateSnapshot(dir).snapshot?.offset, 1);
      assert.equal(await store.writeSnapshotInBackground(), false, 'current already: not rewritten');

      // The periodic write of the state at offset 3 is running when the log is cut back to 1.
      append(0, 1);
      const cutAt = append(1, 0);
      const running = store.writeSnapshotInBackground();
      log.truncateTo(cutAt - 1);
      store.truncated(cutAt - 1);
      assert.equal(await running, false);
      assert.equal(readProducerStateSnapshot(dir).snapshot?.offset, 1, 'the snapshot past the new end never landed');
      assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith(PRODUCER_STATE_SNAPSHOT_FILE)), [PRODUCER_STATE_SNAPSHOT_FILE], 'no temporary file left');

      // Closing without a snapshot (a deleted partition) stops one running too.
      append(1, 0);
      const dropped = store.writeSnapshotInBackground();
      store.abandonSnapshotWrites();
      assert.equal(await dropped, false);
      assert.equal(readProducerStateSnapshot(dir).snapshot?.offset, 1);
      assert.ok(existsSync(file));
    } finally {
      log.close();
    }
  });
});
