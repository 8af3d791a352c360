// Transaction version 2 (KIP-890 part 2) in the transaction coordinator's state machine, over
// an in-memory __transaction_state and a recording marker writer: every end bumps the epoch
// (in the PrepareCommit/PrepareAbort record, the markers and EndTxn's answer), a retry of an
// end comes with the epoch one below and answers the current one, an abort without partitions
// is allowed and writes no marker, an exhausted epoch continues under the next producer id at
// epoch 0 (also for a retry), and the records are TransactionLogValue version 1 with the
// client's transaction version, read back after a restart.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../src/logger.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { TransactionCoordinator } from '../../src/txn/transaction-coordinator.js';
import { TransactionMarkerChannel } from '../../src/txn/transaction-marker-channel.js';
import { transactionLogKey, transactionLogValue, type TransactionLogEntry } from '../../src/txn/transaction-log.js';
import { TransactionState, transactionStateName } from '../../src/txn/transaction-metadata.js';
import { partitionForTransactionalId } from '../../src/txn/transaction-state-topic.js';
import { encodeRecordBatch } from '../../src/client/record-batch.js';
import { MemoryTransactionStateStore } from './memory-transaction-state-store.js';
import { CONFIG, logOf, RecordingMarkerWriter } from './coordinator-fixtures.js';

let nextProducerId = 5000;

async function start(store = new MemoryTransactionStateStore(), writer = new RecordingMarkerWriter()) {
  const routing = { destination: () => ({ kind: 'local' as const }) };
  const remote = { send: async () => Promise.reject(new Error('no remote broker in this test')), close: () => {} };
  const channel = new TransactionMarkerChannel(routing, writer, remote, silentLogger(), 5);
  const coordinator = new TransactionCoordinator(CONFIG, store, channel, silentLogger(), { generateProducerId: () => nextProducerId++, offsetsPartitionFor: () => 0 });
  await coordinator.startup();
  return { coordinator, store, writer };
}

/** The log of `transactionalId` (these tests write no tombstones). */
function entriesOf(store: MemoryTransactionStateStore, transactionalId: string): TransactionLogEntry[] {
  return logOf(store, transactionalId).filter((e): e is TransactionLogEntry => e !== null);
}

async function waitUntil(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const TP = (topic: string, partition: number) => ({ topic, partition });
const state = (c: TransactionCoordinator, id: string) => c.describeTransaction(id).transactionState;

describe('transaction coordinator, transaction version 2', () => {
  it('bumps the epoch at every end: in the Prepare record, the markers and the answer; a retry with the epoch below answers the current one', async () => {
    const { coordinator, store, writer } = await start();
    const p = await coordinator.initProducerId('tv2-a', 60_000, null);
    assert.equal(p.producerEpoch, 0);
    // A partition leader adds the partition for the client (implicit add).
    assert.equal(await coordinator.addPartitionsToTransaction('tv2-a', p.producerId, 0, [TP('t', 0)], 2), ErrorCode.NONE);
    assert.deepEqual(await coordinator.endTxnWithVersion('tv2-a', p.producerId, 0, true, 2), { errorCode: ErrorCode.NONE, producerId: p.producerId, producerEpoch: 1 });
    await waitUntil('CompleteCommit', () => state(coordinator, 'tv2-a') === 'CompleteCommit');
    assert.deepEqual(
      writer.written.map((m) => [m.producerEpoch, m.commit, m.transactionVersion]),
      [[1, true, 2]],
      'the marker carries the bumped epoch and transaction version 2',
    );
    // The client did not get the answer and retries with epoch 0: NONE, with the epoch it should use.
    assert.deepEqual(await coordinator.endTxnWithVersion('tv2-a', p.producerId, 0, true, 2), { errorCode: ErrorCode.NONE, producerId: p.producerId, producerEpoch: 1 });
    // A commit at the current epoch with nothing added is not a retry: INVALID_TXN_STATE.
    assert.equal((await coordinator.endTxnWithVersion('tv2-a', p.producerId, 1, true, 2)).errorCode, ErrorCode.INVALID_TXN_STATE);
    // Epoch 1 transaction, aborted: epoch 2.
    assert.equal(await coordinator.addPartitionsToTransaction('tv2-a', p.producerId, 1, [TP('t', 1)], 2), ErrorCode.NONE);
    assert.deepEqual(await coordinator.endTxnWithVersion('tv2-a', p.producerId, 1, false, 2), { errorCode: ErrorCode.NONE, producerId: p.producerId, producerEpoch: 2 });
    await waitUntil('CompleteAbort', () => state(coordinator, 'tv2-a') === 'CompleteAbort');
    // An epoch two below is a zombie.
    assert.equal((await coordinator.endTxnWithVersion('tv2-a', p.producerId, 0, false, 2)).errorCode, ErrorCode.PRODUCER_FENCED);
    assert.equal(await coordinator.addPartitionsToTransaction('tv2-a', p.producerId, 1, [TP('t', 0)], 2), ErrorCode.PRODUCER_FENCED);

    const log = entriesOf(store, 'tv2-a');
    assert.deepEqual(
      log.map((e) => [transactionStateName(e.state), e.producerEpoch, e.clientTransactionVersion ?? 'v0']),
      [
        ['Empty', 0, 'v0'],
        ['Ongoing', 0, 2],
        ['PrepareCommit', 1, 2],
        ['CompleteCommit', 1, 2],
        ['Ongoing', 1, 2],
        ['PrepareAbort', 2, 2],
        ['CompleteAbort', 2, 2],
      ],
      'transaction-version-2 records are TransactionLogValue version 1 with ClientTransactionVersion 2',
    );
    await coordinator.shutdown();
  });

  it('aborts a transaction without partitions (Empty, or after a commit): the epoch is bumped, no marker is written; a commit of nothing is INVALID_TXN_STATE', async () => {
    const { coordinator, writer } = await start();
    const p = await coordinator.initProducerId('tv2-b', 60_000, null);
    assert.equal((await coordinator.endTxnWithVersion('tv2-b', p.producerId, p.producerEpoch, true, 2)).errorCode, ErrorCode.INVALID_TXN_STATE);
    assert.deepEqual(await coordinator.endTxnWithVersion('tv2-b', p.producerId, p.producerEpoch, false, 2), { errorCode: ErrorCode.NONE, producerId: p.producerId, producerEpoch: p.producerEpoch + 1 });
    await waitUntil('CompleteAbort', () => state(coordinator, 'tv2-b') === 'CompleteAbort');
    assert.equal(writer.calls, 0, 'no partition, no marker');
    // Transaction version 1 on the same id: Empty cannot be aborted there.
    const q = await coordinator.initProducerId('tv2-b', 60_000, null);
    assert.equal(await coordinator.endTxn('tv2-b', q.producerId, q.producerEpoch, false), ErrorCode.INVALID_TXN_STATE);
    await coordinator.shutdown();
  });

  it('at an exhausted epoch the transaction ends under the last epoch and the client continues with the next producer id at epoch 0, also on a retry', async () => {
    const store = new MemoryTransactionStateStore();
    const partition = partitionForTransactionalId('tv2-c', 3);
    const entry: TransactionLogEntry = { producerId: 77, producerEpoch: 32765, txnTimeoutMs: 60_000, state: TransactionState.CompleteCommit, topicPartitions: [], txnLastUpdateTimestampMs: 1, txnStartTimestampMs: 1, clientTransactionVersion: 2 };
    await store.append(partition, encodeRecordBatch([{ key: transactionLogKey('tv2-c'), value: transactionLogValue(entry) }]));
    const { coordinator, writer } = await start(store);
    const p = await coordinator.initProducerId('tv2-c', 60_000, null);
    assert.deepEqual([p.producerId, p.producerEpoch], [77, 32766]);
    assert.equal(await coordinator.addPartitionsToTransaction('tv2-c', 77, 32766, [TP('t', 2)], 2), ErrorCode.NONE);
    const ended = await coordinator.endTxnWithVersion('tv2-c', 77, 32766, true, 2);
    assert.equal(ended.errorCode, ErrorCode.NONE);
    assert.notEqual(ended.producerId, 77);
    assert.equal(ended.producerEpoch, 0);
    await waitUntil('CompleteCommit', () => state(coordinator, 'tv2-c') === 'CompleteCommit');
    assert.deepEqual([writer.written[0]!.producerId, writer.written[0]!.producerEpoch], [77, 32767], 'the markers end the old producer id at its last epoch');
    assert.deepEqual([coordinator.describeTransaction('tv2-c').producerId, coordinator.describeTransaction('tv2-c').producerEpoch], [ended.producerId, 0]);
    assert.deepEqual(await coordinator.endTxnWithVersion('tv2-c', 77, 32766, true, 2), ended, 'a retry from the old producer id gets the new one');
    // The new producer id carries on.
    assert.equal(await coordinator.addPartitionsToTransaction('tv2-c', ended.producerId, 0, [TP('t', 2)], 2), ErrorCode.NONE);
    assert.deepEqual(await coordinator.endTxnWithVersion('tv2-c', ended.producerId, 0, true, 2), { errorCode: ErrorCode.NONE, producerId: ended.producerId, producerEpoch: 1 });
    await coordinator.shutdown();
  });

  it('a transaction found in PrepareCommit after a restart gets its markers at the bumped epoch, and its id stays on version 2', async () => {
    const store = new MemoryTransactionStateStore();
    const first = await start(store);
    const p = await first.coordinator.initProducerId('tv2-d', 60_000, null);
    assert.equal(await first.coordinator.addPartitionsToTransaction('tv2-d', p.producerId, p.producerEpoch, [TP('t', 0)], 2), ErrorCode.NONE);
    first.writer.answer = () => ErrorCode.NOT_LEADER_OR_FOLLOWER;
    assert.equal((await first.coordinator.endTxnWithVersion('tv2-d', p.producerId, p.producerEpoch, true, 2)).errorCode, ErrorCode.NONE);
    await waitUntil('a marker attempt', () => first.writer.calls > 0);
    await first.coordinator.shutdown();

    const second = await start(store);
    await waitUntil('the reloaded commit to complete', () => state(second.coordinator, 'tv2-d') === 'CompleteCommit');
    assert.deepEqual([second.writer.written[0]!.producerEpoch, second.writer.written[0]!.transactionVersion], [p.producerEpoch + 1, 2]);
    assert.deepEqual(await second.coordinator.endTxnWithVersion('tv2-d', p.producerId, p.producerEpoch, true, 2), { errorCode: ErrorCode.NONE, producerId: p.producerId, producerEpoch: p.producerEpoch + 1 }, 'the retry is recognised after the reload');
    await second.coordinator.shutdown();
  });

  it('InitProducerId fences an ongoing version-2 transaction: its abort is written at a bumped epoch, the old producer is fenced', async () => {
    const { coordinator, writer } = await start();
    const old = await coordinator.initProducerId('tv2-e', 60_000, null);
    assert.equal(await coordinator.addPartitionsToTransaction('tv2-e', old.producerId, old.producerEpoch, [TP('t', 0)], 2), ErrorCode.NONE);
    assert.equal((await coordinator.initProducerId('tv2-e', 60_000, null)).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    await waitUntil('CompleteAbort', () => state(coordinator, 'tv2-e') === 'CompleteAbort');
    assert.equal(writer.written[0]!.commit, false);
    assert.ok(writer.written[0]!.producerEpoch > old.producerEpoch);
    const fresh = await coordinator.initProducerId('tv2-e', 60_000, null);
    assert.equal(fresh.errorCode, ErrorCode.NONE);
    assert.ok(fresh.producerEpoch > writer.written[0]!.producerEpoch);
    assert.equal((await coordinator.endTxnWithVersion('tv2-e', old.producerId, old.producerEpoch, true, 2)).errorCode, ErrorCode.PRODUCER_FENCED);
    await coordinator.shutdown();
  });
});
