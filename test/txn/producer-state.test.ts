// ProducerStateManager's own rules (src/partition/producer-state.ts) and the snapshot file
// (src/partition/producer-state-snapshot.ts) on a real directory: expiry by producer.id.expiration.ms
// counted from the batches' max timestamps, a snapshot round trip, and what a damaged file
// turns into; transactions (Kafka's ProducerStateManagerTest cases, our own code): open ones
// ordered by first offset, the first unstable offset while a completed transaction's marker is
// above the high watermark, each marker's errors, the txn index entry's last stable offset,
// snapshots keeping open transactions, and the version 1 file still read.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ProducerStateManager, readProducerInfo, type BatchProducerInfo } from '../../src/partition/producer-state.js';
import { recordBatch } from '../helpers/batch.js';
import { PRODUCER_STATE_SNAPSHOT_FILE, readProducerStateSnapshot, writeProducerStateSnapshot } from '../../src/partition/producer-state-snapshot.js';
import { removeDir, tempDir } from '../helpers/broker-process.js';

const batch = (producerId: number, firstSequence: number, maxTimestamp: number, producerEpoch = 0): BatchProducerInfo => ({ producerId, producerEpoch, firstSequence, lastSequence: firstSequence, offsetCount: 1, maxTimestamp });
const txnBatch = (producerId: number, firstSequence: number, producerEpoch = 0): BatchProducerInfo => ({ ...batch(producerId, firstSequence, 1_000, producerEpoch), isTransactional: true });
const marker = (producerId: number, offset: number, commit: boolean, coordinatorEpoch = 0, producerEpoch = 0) => ({ producerId, producerEpoch, coordinatorEpoch, commit, offset, timestampMs: 2_000 });

describe('ProducerStateManager', () => {
  it("reads a v2 batch's producer fields, and nothing from a magic 1 message set or a plain batch", () => {
    const batch = recordBatch([{ value: 'a' }, { value: 'b' }], 1_234, { producerId: 9, producerEpoch: 3, baseSequence: 2147483647 });
    assert.deepEqual(readProducerInfo(batch), { producerId: 9, producerEpoch: 3, firstSequence: 2147483647, lastSequence: 0, offsetCount: 2, maxTimestamp: 1_234, isTransactional: false });
    batch.writeInt16BE(0x10, 21);
    assert.equal(readProducerInfo(batch)?.isTransactional, true, 'attributes bit 4');
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
    assert.deepEqual(copy.snapshot(), [{ producerId: 7, epoch: 1, lastTimestamp: 200, batches: [{ firstSequence: 0, lastSequence: 0, firstOffset: 11 }], coordinatorEpoch: -1, currentTxnFirstOffset: -1 }]);
    assert.deepEqual(copy.check(batch(7, 0, 300, 1)), { kind: 'duplicate', firstOffset: 11 });
    assert.equal(copy.check(batch(7, 1, 300, 0)).kind, 'error');
  });
});

describe('ProducerStateManager transactions', () => {
  it('opens a transaction at its first transactional batch; the first unstable offset is the earliest open one', () => {
    const state = new ProducerStateManager();
    assert.equal(state.firstUnstableOffset(0), null);
    state.update(batch(1, 0, 1_000), 0);
    assert.equal(state.firstUnstableOffset(1), null, 'an idempotent batch opens nothing');
    state.update(txnBatch(2, 0), 1);
    state.update(txnBatch(3, 0), 2);
    state.update(txnBatch(2, 1), 3);
    assert.equal(state.ongoingTxnCount, 2);
    assert.equal(state.firstUnstableOffset(4), 1);
    assert.deepEqual(
      state.activeProducers().map((p) => [p.producerId, p.currentTxnStartOffset, p.lastSequence]),
      [
        [1, -1, 0],
        [2, 1, 1],
        [3, 2, 0],
      ],
    );
  });

  it('completes a transaction at its marker; it stays unstable until the high watermark passes the marker', () => {
    const state = new ProducerStateManager();
    state.update(txnBatch(2, 0), 0);
    state.update(txnBatch(3, 0), 1);
    const committed = state.completeTxn(marker(2, 2, true));
    assert.deepEqual(committed, { producerId: 2, firstOffset: 0, lastOffset: 2, isAborted: false, lastStableOffset: 1 }, "producer 3's open transaction at 1 is the next unstable offset");
    assert.equal(state.firstUnstableOffset(2), 0, 'the marker at 2 is not below the high watermark');
    assert.equal(state.firstUnstableOffset(3), 1, 'replicated: only producer 3 is open');
    state.onHighWatermarkUpdated(3);
    assert.equal(state.firstUnstableOffset(0), 1, 'pruned: the high watermark no longer matters for it');
    const aborted = state.completeTxn(marker(3, 3, false));
    assert.deepEqual(aborted, { producerId: 3, firstOffset: 1, lastOffset: 3, isAborted: true, lastStableOffset: 4 }, 'none open after it: marker + 1');
    assert.equal(state.firstUnstableOffset(4), null);
    assert.equal(state.completeTxn(marker(3, 4, false)), null, 'a marker without an open transaction completes nothing');
    assert.equal(state.activeProducers().find((p) => p.producerId === 3)?.coordinatorEpoch, 0);
  });

  it("refuses a non-transactional batch while the producer's transaction is open (INVALID_TXN_STATE), before the marker only", () => {
    const state = new ProducerStateManager();
    state.update(txnBatch(5, 0), 0);
    const refused = state.check(batch(5, 1, 1_000));
    assert.equal(refused.kind === 'error' && refused.errorCode, ErrorCode.INVALID_TXN_STATE);
    assert.deepEqual(state.check(txnBatch(5, 0)), { kind: 'duplicate', firstOffset: 0 }, 'a retry is still a duplicate');
    state.completeTxn(marker(5, 1, true));
    assert.deepEqual(state.check(batch(5, 1, 1_000)), { kind: 'append' });
  });

  it("checks markers as Kafka's appendEndTxnMarker: an older producer epoch, then an older coordinator epoch", () => {
    const state = new ProducerStateManager();
    assert.deepEqual(state.checkMarker(9, 0, 0), { kind: 'append' }, 'an unknown producer');
    state.update(txnBatch(9, 0, 2), 0);
    const epoch = state.checkMarker(9, 1, 0);
    assert.equal(epoch.kind === 'error' && epoch.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    state.completeTxn(marker(9, 1, false, 5, 3));
    const fenced = state.checkMarker(9, 3, 4);
    assert.equal(fenced.kind === 'error' && fenced.errorCode, ErrorCode.TRANSACTION_COORDINATOR_FENCED);
    assert.deepEqual(state.checkMarker(9, 3, 5), { kind: 'append' });
    // The abort came with the bumped epoch 3 (InitProducerId fencing): sequences restart at 0.
    assert.equal(state.check(txnBatch(9, 1, 2)).kind, 'error');
    assert.deepEqual(state.check(txnBatch(9, 0, 3)), { kind: 'append' });
  });

  it('skips the sequence checks for a coordinator, the epoch check too for a replica', () => {
    const state = new ProducerStateManager();
    state.update(txnBatch(4, 0, 1), 0);
    assert.deepEqual(state.check(txnBatch(4, 7, 1), 'coordinator'), { kind: 'append' });
    assert.equal(state.check(txnBatch(4, 7, 0), 'coordinator').kind, 'error');
    assert.deepEqual(state.check(txnBatch(4, 7, 0), 'replication'), { kind: 'append' });
  });

  it('keeps producers with an open transaction past producer.id.expiration.ms', () => {
    const state = new ProducerStateManager();
    state.update(txnBatch(1, 0), 0);
    state.update(batch(2, 0, 1_000), 1);
    assert.equal(state.removeExpired(1_000_000, 10), 1);
    assert.equal(state.firstUnstableOffset(2), 0);
  });

  it('snapshots open transactions and coordinator epochs, and restores them in offset order', () => {
    const state = new ProducerStateManager();
    state.update(txnBatch(8, 0), 5);
    state.update(txnBatch(7, 0), 6);
    state.update(txnBatch(6, 0), 7);
    state.completeTxn(marker(8, 8, true, 3));
    const copy = new ProducerStateManager();
    copy.restore(state.snapshot().reverse());
    assert.equal(copy.ongoingTxnCount, 2);
    assert.equal(copy.firstUnstableOffset(9), 6);
    assert.deepEqual(copy.completeTxn(marker(6, 9, false)), { producerId: 6, firstOffset: 7, lastOffset: 9, isAborted: true, lastStableOffset: 6 });
    const fenced = copy.checkMarker(8, 0, 2);
    assert.equal(fenced.kind === 'error' && fenced.errorCode, ErrorCode.TRANSACTION_COORDINATOR_FENCED);
  });
});

describe('producer state snapshot file', () => {
  let dir = '';
  afterEach(() => removeDir(dir));

  it('round-trips, and a damaged or foreign file is reported and deleted', () => {
    dir = tempDir();
    const file = path.join(dir, PRODUCER_STATE_SNAPSHOT_FILE);
    assert.deepEqual(readProducerStateSnapshot(dir), { snapshot: null });
    const producers = [{ producerId: 3, epoch: 2, lastTimestamp: -1, batches: [{ firstSequence: 2147483647, lastSequence: 0, firstOffset: 9 }], coordinatorEpoch: 4, currentTxnFirstOffset: 8 }];
    writeProducerStateSnapshot(dir, { offset: 10, producers });
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { version: 2, offset: 10, producers });
    assert.deepEqual(readProducerStateSnapshot(dir), { snapshot: { offset: 10, producers } });
    assert.ok(existsSync(file), 'reading keeps a good snapshot');

    writeFileSync(file, JSON.stringify({ version: 3, offset: 10, producers: [] }));
    const wrongVersion = readProducerStateSnapshot(dir);
    assert.equal(wrongVersion.snapshot, null);
    assert.match('unusable' in wrongVersion ? (wrongVersion.unusable ?? '') : '', /producer-state\.json: version: /);
    assert.equal(existsSync(file), false);

    writeFileSync(file, '{"version":1,"offset":-4,"producers":[]}');
    const negative = readProducerStateSnapshot(dir);
    assert.match('unusable' in negative ? (negative.unusable ?? '') : '', /offset: /);
  });

  it('reads a version 1 file (before transactions) as producers without a transaction', () => {
    dir = tempDir();
    const v1 = { version: 1, offset: 4, producers: [{ producerId: 3, epoch: 2, lastTimestamp: 7, batches: [{ firstSequence: 0, lastSequence: 3, firstOffset: 0 }] }] };
    writeFileSync(path.join(dir, PRODUCER_STATE_SNAPSHOT_FILE), JSON.stringify(v1));
    const read = readProducerStateSnapshot(dir);
    assert.ok(read.snapshot);
    const state = new ProducerStateManager();
    state.restore(read.snapshot.producers);
    assert.deepEqual(state.activeProducers(), [{ producerId: 3, producerEpoch: 2, lastSequence: 3, lastTimestamp: 7, coordinatorEpoch: -1, currentTxnStartOffset: -1 }]);
    assert.equal(state.firstUnstableOffset(4), null);
  });
});

describe('ProducerStateManager verification guards (KIP-890)', () => {
  it('a batch verified before a marker of its producer is refused; one verified after it, or continuing an open transaction, is appended', () => {
    const state = new ProducerStateManager();
    // Transaction 1 opens under its verification; the guard is used up by the append.
    const g1 = state.startVerification(7, 0);
    assert.deepEqual(state.check(txnBatch(7, 0), 'client', g1), { kind: 'append' });
    state.update(txnBatch(7, 0), 10);
    assert.ok(state.hasOngoingTxn(7, 0));
    // A batch continuing the open transaction needs no guard.
    assert.deepEqual(state.check(txnBatch(7, 1), 'client', g1), { kind: 'append' });
    state.update(txnBatch(7, 1), 11);
    // A late batch verified while transaction 1 was still open (same guard taken again) lands after its marker.
    const late = state.startVerification(7, 0);
    state.completeTxn(marker(7, 12, true));
    assert.ok(!state.hasOngoingTxn(7, 0));
    const refused = state.check(txnBatch(7, 2), 'client', late);
    assert.equal(refused.kind === 'error' && refused.errorCode, ErrorCode.INVALID_TXN_STATE);
    // Transaction 2, verified after the marker: appended.
    const g2 = state.startVerification(7, 0);
    assert.notEqual(g2, late);
    assert.deepEqual(state.check(txnBatch(7, 2), 'client', g2), { kind: 'append' });
    // Without a guard (verification off) nothing changes; replication is never checked.
    state.completeTxn(marker(7, 13, false));
    assert.deepEqual(state.check(txnBatch(7, 2), 'client'), { kind: 'append' });
    assert.deepEqual(state.check(txnBatch(7, 2), 'replication', late), { kind: 'append' });
  });
});

describe('ProducerStateManager sequences at an epoch a marker bumped (transaction version 2)', () => {
  const outOfOrder = (c: ReturnType<ProducerStateManager['check']>) => c.kind === 'error' && c.errorCode === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER;

  it("after a marker at the next epoch the epoch's first batch is sequence 0 (Kafka's inSequence(NO_SEQUENCE, seq)); a later one cannot come first", () => {
    const state = new ProducerStateManager();
    state.update(txnBatch(7, 0, 4), 10);
    state.update(txnBatch(7, 1, 4), 11);
    // The commit's marker carries the bumped epoch 5: no batch of epoch 5 yet.
    state.completeTxn(marker(7, 12, true, 0, 5));
    // The second batch of epoch 5 arriving first (the first one was refused, to be retried): refused too.
    assert.ok(outOfOrder(state.check(txnBatch(7, 3, 5), 'client')));
    assert.deepEqual(state.check(txnBatch(7, 0, 5), 'client'), { kind: 'append' });
    state.update(txnBatch(7, 0, 5), 13);
    assert.deepEqual(state.check(txnBatch(7, 1, 5), 'client'), { kind: 'append' });
  });

  it('while a version-2 batch of a producer new to the partition is verified, only sequence 0 can come first', () => {
    const state = new ProducerStateManager();
    const guard = state.startVerification(8, 0, true);
    assert.ok(outOfOrder(state.check(txnBatch(8, 5), 'client', guard)));
    assert.deepEqual(state.check(txnBatch(8, 0), 'client', guard), { kind: 'append' });
    // Version 1 (no epoch bump) keeps what it did: a producer unknown here may start anywhere.
    const v1 = new ProducerStateManager();
    assert.deepEqual(v1.check(txnBatch(8, 5), 'client', v1.startVerification(8, 0)), { kind: 'append' });
  });
});
