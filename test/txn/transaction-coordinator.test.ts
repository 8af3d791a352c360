// The transaction coordinator's state machine over an in-memory __transaction_state and an
// injected marker writer (the seam Part B's ReplicaManager.writeTxnMarkers fills): every
// transition is checked in the records written (decoded with the generated codecs), the
// markers sent, and the errors Kafka answers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../src/logger.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { TransactionCoordinator } from '../../src/txn/transaction-coordinator.js';
import { TransactionMarkerChannel, type MarkerDestination } from '../../src/txn/transaction-marker-channel.js';
import { transactionLogKey, transactionLogValue, type TransactionLogEntry } from '../../src/txn/transaction-log.js';
import { TransactionState, transactionStateName } from '../../src/txn/transaction-metadata.js';
import { partitionForTransactionalId } from '../../src/txn/transaction-state-topic.js';
import { encodeRecordBatch } from '../../src/client/record-batch.js';
import { MemoryTransactionStateStore } from './memory-transaction-state-store.js';
import { CONFIG, logOf, RecordingMarkerWriter } from './coordinator-fixtures.js';

interface Harness {
  coordinator: TransactionCoordinator;
  store: MemoryTransactionStateStore;
  writer: RecordingMarkerWriter;
  clock: { now: number };
  deleted: Set<string>;
}

let nextProducerId = 1000;

async function start(store = new MemoryTransactionStateStore(), writer = new RecordingMarkerWriter(), clock = { now: 1_000_000 }): Promise<Harness> {
  const deleted = new Set<string>();
  const routing = { destination: (topic: string): MarkerDestination => (deleted.has(topic) ? { kind: 'deleted' } : { kind: 'local' }) };
  const remote = { send: async () => Promise.reject(new Error('no remote broker in this test')), close: () => {} };
  const channel = new TransactionMarkerChannel(routing, writer, remote, silentLogger(), 5);
  const coordinator = new TransactionCoordinator(CONFIG, store, channel, silentLogger(), {
    now: () => clock.now,
    generateProducerId: () => nextProducerId++,
    offsetsPartitionFor: (groupId) => groupId.length % 50,
  });
  await coordinator.startup();
  return { coordinator, store, writer, clock, deleted };
}

/** The TransactionLogValue records of a transactional id, in log order (null for a tombstone). */

function states(store: MemoryTransactionStateStore, transactionalId: string): string[] {
  return logOf(store, transactionalId).map((e) => (e === null ? 'tombstone' : transactionStateName(e.state)));
}

async function waitUntil(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const TP = (topic: string, partition: number) => ({ topic, partition });

describe('transaction coordinator', () => {
  it('gives a new transactional id a producer id at epoch 0 and writes Empty (no partitions) to its partition', async () => {
    const { coordinator, store } = await start();
    const r = await coordinator.initProducerId('tx-a', 60_000, null);
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.equal(r.producerEpoch, 0);
    const [entry] = logOf(store, 'tx-a');
    assert.deepEqual(entry, { producerId: r.producerId, producerEpoch: 0, txnTimeoutMs: 60_000, state: TransactionState.Empty, topicPartitions: [], txnLastUpdateTimestampMs: 1_000_000, txnStartTimestampMs: -1 });
    await coordinator.shutdown();
  });

  it('commits: Ongoing with its partitions, PrepareCommit, a COMMIT marker on every partition at the coordinator epoch, CompleteCommit', async () => {
    const store = new MemoryTransactionStateStore();
    const partition = partitionForTransactionalId('tx-b', 3);
    store.leaderEpochs.set(partition, 7);
    const { coordinator, writer } = await start(store);
    const { producerId, producerEpoch } = await coordinator.initProducerId('tx-b', 60_000, null);
    assert.equal(await coordinator.addPartitionsToTransaction('tx-b', producerId, producerEpoch, [TP('orders', 0), TP('orders', 1)]), ErrorCode.NONE);
    assert.equal(await coordinator.addOffsetsToTransaction('tx-b', producerId, producerEpoch, 'group-1'), ErrorCode.NONE);
    // Already in the transaction: answered without a write.
    const appends = store.appendCount;
    assert.equal(await coordinator.addPartitionsToTransaction('tx-b', producerId, producerEpoch, [TP('orders', 1)]), ErrorCode.NONE);
    assert.equal(store.appendCount, appends);
    assert.equal(coordinator.describeTransaction('tx-b').transactionState, 'Ongoing');
    assert.equal(await coordinator.endTxn('tx-b', producerId, producerEpoch, true), ErrorCode.NONE);
    await waitUntil('CompleteCommit', () => coordinator.describeTransaction('tx-b').transactionState === 'CompleteCommit');
    assert.deepEqual(states(store, 'tx-b'), ['Empty', 'Ongoing', 'Ongoing', 'PrepareCommit', 'CompleteCommit']);
    const log = logOf(store, 'tx-b');
    assert.deepEqual(log[3]!.topicPartitions, [TP('__consumer_offsets', 7), TP('orders', 0), TP('orders', 1)]);
    assert.deepEqual(log[4]!.topicPartitions, [], 'Complete* records carry no partitions');
    assert.equal(log[1]!.txnStartTimestampMs, 1_000_000);
    assert.equal(writer.written.length, 1);
    const marker = writer.written[0]!;
    assert.equal(marker.commit, true);
    assert.equal(marker.producerId, producerId);
    assert.equal(marker.producerEpoch, producerEpoch);
    assert.equal(marker.coordinatorEpoch, 7, 'the coordinator epoch is the partition leader epoch');
    assert.deepEqual([...marker.partitions].sort((a, b) => (a.topic + a.partition < b.topic + b.partition ? -1 : 1)), [TP('__consumer_offsets', 7), TP('orders', 0), TP('orders', 1)]);
    await coordinator.shutdown();
  });

  it('answers CONCURRENT_TRANSACTIONS while the markers are written; NONE to a retried end once complete; INVALID_TXN_STATE to the opposite end', async () => {
    const { coordinator, writer } = await start();
    const { producerId, producerEpoch } = await coordinator.initProducerId('tx-c', 60_000, null);
    await coordinator.addPartitionsToTransaction('tx-c', producerId, producerEpoch, [TP('t', 0)]);
    writer.hold = true;
    assert.equal(await coordinator.endTxn('tx-c', producerId, producerEpoch, false), ErrorCode.NONE);
    await waitUntil('the marker request', () => writer.calls === 1);
    assert.equal(await coordinator.endTxn('tx-c', producerId, producerEpoch, false), ErrorCode.CONCURRENT_TRANSACTIONS);
    assert.equal(await coordinator.addPartitionsToTransaction('tx-c', producerId, producerEpoch, [TP('t', 1)]), ErrorCode.CONCURRENT_TRANSACTIONS);
    assert.equal((await coordinator.initProducerId('tx-c', 60_000, null)).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    assert.equal(coordinator.describeTransaction('tx-c').transactionState, 'PrepareAbort');
    writer.hold = false;
    writer.release();
    await waitUntil('CompleteAbort', () => coordinator.describeTransaction('tx-c').transactionState === 'CompleteAbort');
    assert.equal(writer.written[0]!.commit, false);
    assert.equal(await coordinator.endTxn('tx-c', producerId, producerEpoch, false), ErrorCode.NONE);
    assert.equal(await coordinator.endTxn('tx-c', producerId, producerEpoch, true), ErrorCode.INVALID_TXN_STATE);
    // A new transaction may start after the end.
    assert.equal(await coordinator.addPartitionsToTransaction('tx-c', producerId, producerEpoch, [TP('t', 2)]), ErrorCode.NONE);
    await coordinator.shutdown();
  });

  it('fences: a new producer aborts the ongoing transaction under a bumped epoch (CONCURRENT_TRANSACTIONS), its retry bumps again, the old producer is PRODUCER_FENCED', async () => {
    const { coordinator, store, writer } = await start();
    const old = await coordinator.initProducerId('tx-d', 60_000, null);
    await coordinator.addPartitionsToTransaction('tx-d', old.producerId, old.producerEpoch, [TP('t', 0)]);
    const first = await coordinator.initProducerId('tx-d', 60_000, null);
    assert.equal(first.errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    await waitUntil('the abort', () => coordinator.describeTransaction('tx-d').transactionState === 'CompleteAbort');
    assert.deepEqual(states(store, 'tx-d'), ['Empty', 'Ongoing', 'PrepareAbort', 'CompleteAbort']);
    assert.equal(logOf(store, 'tx-d')[2]!.producerEpoch, old.producerEpoch + 1, 'the fence bumps the epoch in PrepareAbort');
    assert.equal(writer.written[0]!.producerEpoch, old.producerEpoch + 1, 'and the markers carry it');
    assert.equal(writer.written[0]!.commit, false);
    const retry = await coordinator.initProducerId('tx-d', 60_000, null);
    assert.equal(retry.errorCode, ErrorCode.NONE);
    assert.equal(retry.producerId, old.producerId);
    assert.equal(retry.producerEpoch, old.producerEpoch + 2);
    // The zombie.
    assert.equal(await coordinator.addPartitionsToTransaction('tx-d', old.producerId, old.producerEpoch, [TP('t', 1)]), ErrorCode.PRODUCER_FENCED);
    assert.equal(await coordinator.endTxn('tx-d', old.producerId, old.producerEpoch, true), ErrorCode.PRODUCER_FENCED);
    assert.equal(await coordinator.addOffsetsToTransaction('tx-d', old.producerId + 1, retry.producerEpoch, 'g'), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    await coordinator.shutdown();
  });

  it('KIP-360: the current epoch is bumped, the previous one (a retry) answered again, any other PRODUCER_FENCED', async () => {
    const { coordinator } = await start();
    const a = await coordinator.initProducerId('tx-e', 60_000, null);
    const b = await coordinator.initProducerId('tx-e', 60_000, { producerId: a.producerId, producerEpoch: a.producerEpoch });
    assert.deepEqual(b, { errorCode: ErrorCode.NONE, producerId: a.producerId, producerEpoch: a.producerEpoch + 1 });
    const retried = await coordinator.initProducerId('tx-e', 60_000, { producerId: a.producerId, producerEpoch: a.producerEpoch });
    assert.deepEqual(retried, b, 'a retry of the bump gets the same epoch');
    const stale = await coordinator.initProducerId('tx-e', 60_000, { producerId: a.producerId, producerEpoch: 17 });
    assert.equal(stale.errorCode, ErrorCode.PRODUCER_FENCED);
    const otherId = await coordinator.initProducerId('tx-e', 60_000, { producerId: a.producerId + 999, producerEpoch: 0 });
    assert.equal(otherId.errorCode, ErrorCode.PRODUCER_FENCED);
    await coordinator.shutdown();
  });

  it('refuses a timeout above transaction.max.timeout.ms, an empty id, and answers INVALID_PRODUCER_ID_MAPPING / INVALID_TXN_STATE as Kafka', async () => {
    const { coordinator } = await start();
    assert.equal((await coordinator.initProducerId('tx-f', 900_001, null)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    assert.equal((await coordinator.initProducerId('tx-f', 0, null)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    assert.equal((await coordinator.initProducerId('', 1000, null)).errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal(await coordinator.addPartitionsToTransaction('unknown', 1, 0, [TP('t', 0)]), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    assert.equal(await coordinator.endTxn('unknown', 1, 0, true), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    assert.equal(await coordinator.endTxn('', 1, 0, true), ErrorCode.INVALID_REQUEST);
    const p = await coordinator.initProducerId('tx-f', 1000, null);
    assert.equal(await coordinator.endTxn('tx-f', p.producerId, p.producerEpoch, true), ErrorCode.INVALID_TXN_STATE, 'nothing to end in Empty');
    assert.equal(coordinator.describeTransaction('nope').errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    await coordinator.shutdown();
  });

  it('verifyOnly (KIP-890): NONE for a partition in the transaction, TRANSACTION_ABORTABLE for one that is not, nothing added', async () => {
    const { coordinator, store } = await start();
    const p = await coordinator.initProducerId('tx-g', 60_000, null);
    await coordinator.addPartitionsToTransaction('tx-g', p.producerId, p.producerEpoch, [TP('t', 0)]);
    const appends = store.appendCount;
    const r = coordinator.verifyPartitionsInTransaction('tx-g', p.producerId, p.producerEpoch, [TP('t', 0), TP('t', 1)]);
    assert.deepEqual(r.map((x) => x.errorCode), [ErrorCode.NONE, ErrorCode.TRANSACTION_ABORTABLE]);
    assert.equal(store.appendCount, appends);
    assert.deepEqual(coordinator.verifyPartitionsInTransaction('tx-g', p.producerId, p.producerEpoch + 1, [TP('t', 0)]).map((x) => x.errorCode), [ErrorCode.PRODUCER_FENCED]);
    await coordinator.shutdown();
  });

  it('aborts a transaction past its timeout under a bumped epoch; the producer is then fenced', async () => {
    const { coordinator, store, clock } = await start();
    const p = await coordinator.initProducerId('tx-h', 10_000, null);
    await coordinator.addPartitionsToTransaction('tx-h', p.producerId, p.producerEpoch, [TP('t', 0)]);
    clock.now += 5_000;
    assert.equal(coordinator.abortTimedOutTransactions().length, 0, 'not yet');
    clock.now += 5_001;
    await Promise.all(coordinator.abortTimedOutTransactions());
    await waitUntil('the abort', () => coordinator.describeTransaction('tx-h').transactionState === 'CompleteAbort');
    assert.deepEqual(states(store, 'tx-h'), ['Empty', 'Ongoing', 'PrepareAbort', 'CompleteAbort']);
    assert.equal(await coordinator.endTxn('tx-h', p.producerId, p.producerEpoch, true), ErrorCode.PRODUCER_FENCED);
    await coordinator.shutdown();
  });

  it('expires an idle transactional id with a tombstone after transactional.id.expiration.ms', async () => {
    const { coordinator, store, clock } = await start();
    await coordinator.initProducerId('tx-i', 60_000, null);
    const busy = await coordinator.initProducerId('tx-busy', 600_000, null);
    await coordinator.addPartitionsToTransaction('tx-busy', busy.producerId, busy.producerEpoch, [TP('t', 0)]);
    clock.now += 59_999;
    assert.deepEqual(await coordinator.manager.removeExpiredTransactionalIds(), []);
    clock.now += 1;
    assert.deepEqual(await coordinator.manager.removeExpiredTransactionalIds(), ['tx-i'], 'an Ongoing transaction does not expire');
    assert.deepEqual(states(store, 'tx-i'), ['Empty', 'tombstone']);
    assert.equal(coordinator.describeTransaction('tx-i').errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    // The id starts again with a new producer id.
    const again = await coordinator.initProducerId('tx-i', 60_000, null);
    assert.equal(again.producerEpoch, 0);
    await coordinator.shutdown();
  });

  it('reloads the state from the log; a transaction found in PrepareCommit gets its markers and CompleteCommit', async () => {
    const store = new MemoryTransactionStateStore();
    const first = await start(store);
    const done = await first.coordinator.initProducerId('tx-done', 60_000, null);
    await first.coordinator.addPartitionsToTransaction('tx-done', done.producerId, done.producerEpoch, [TP('t', 0)]);
    const pending = await first.coordinator.initProducerId('tx-pending', 60_000, null);
    await first.coordinator.addPartitionsToTransaction('tx-pending', pending.producerId, pending.producerEpoch, [TP('t', 1), TP('u', 0)]);
    first.writer.answer = () => ErrorCode.NOT_LEADER_OR_FOLLOWER; // the markers cannot be written before the "crash"
    assert.equal(await first.coordinator.endTxn('tx-pending', pending.producerId, pending.producerEpoch, true), ErrorCode.NONE);
    await waitUntil('a marker attempt', () => first.writer.calls > 0);
    await first.coordinator.shutdown();
    assert.deepEqual(states(store, 'tx-pending'), ['Empty', 'Ongoing', 'PrepareCommit']);

    const second = await start(store);
    const described = second.coordinator.describeTransaction('tx-done');
    assert.equal(described.transactionState, 'Ongoing');
    assert.deepEqual(described.topics, [{ topic: 't', partitions: [0] }]);
    assert.equal(described.producerId, done.producerId);
    await waitUntil('the reloaded commit to complete', () => second.coordinator.describeTransaction('tx-pending').transactionState === 'CompleteCommit');
    assert.deepEqual(states(store, 'tx-pending'), ['Empty', 'Ongoing', 'PrepareCommit', 'CompleteCommit']);
    assert.equal(second.writer.written[0]!.commit, true);
    assert.deepEqual(second.writer.written[0]!.partitions.length, 2);
    // The reloaded Ongoing transaction carries on.
    assert.equal(await second.coordinator.endTxn('tx-done', done.producerId, done.producerEpoch, false), ErrorCode.NONE);
    await waitUntil('abort', () => second.coordinator.describeTransaction('tx-done').transactionState === 'CompleteAbort');
    await second.coordinator.shutdown();
  });

  it('rotates the producer id at epoch Short.MAX-1 (read back from the log)', async () => {
    const store = new MemoryTransactionStateStore();
    const partition = partitionForTransactionalId('tx-old', 3);
    const entry: TransactionLogEntry = { producerId: 77, producerEpoch: 32766, txnTimeoutMs: 60_000, state: TransactionState.CompleteCommit, topicPartitions: [], txnLastUpdateTimestampMs: 1, txnStartTimestampMs: 1 };
    await store.append(partition, encodeRecordBatch([{ key: transactionLogKey('tx-old'), value: transactionLogValue(entry) }]));
    const { coordinator } = await start(store);
    const r = await coordinator.initProducerId('tx-old', 60_000, null);
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.notEqual(r.producerId, 77);
    assert.equal(r.producerEpoch, 0);
    await coordinator.shutdown();
  });

  it('drops a deleted topic\'s partition, retries NOT_LEADER_OR_FOLLOWER, and stops on TRANSACTION_COORDINATOR_FENCED', async () => {
    const { coordinator, writer, deleted, store } = await start();
    const p = await coordinator.initProducerId('tx-j', 60_000, null);
    await coordinator.addPartitionsToTransaction('tx-j', p.producerId, p.producerEpoch, [TP('gone', 0), TP('t', 0)]);
    deleted.add('gone');
    let failures = 3;
    writer.answer = () => (failures-- > 0 ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.NONE);
    await coordinator.endTxn('tx-j', p.producerId, p.producerEpoch, true);
    await waitUntil('CompleteCommit', () => coordinator.describeTransaction('tx-j').transactionState === 'CompleteCommit');
    assert.deepEqual(writer.written.flatMap((m) => m.partitions), [TP('t', 0)]);
    assert.ok(writer.calls >= 4, 'retried');

    const q = await coordinator.initProducerId('tx-k', 60_000, null);
    await coordinator.addPartitionsToTransaction('tx-k', q.producerId, q.producerEpoch, [TP('t', 0)]);
    writer.answer = () => ErrorCode.TRANSACTION_COORDINATOR_FENCED;
    await coordinator.endTxn('tx-k', q.producerId, q.producerEpoch, true);
    const calls = writer.calls;
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(writer.calls <= calls + 1, 'no retries once fenced');
    assert.deepEqual(states(store, 'tx-k'), ['Empty', 'Ongoing', 'PrepareCommit']);
    await coordinator.shutdown();
  });

  it('a failed append answers the mapped error and clears the pending state', async () => {
    const { coordinator, store } = await start();
    const p = await coordinator.initProducerId('tx-l', 60_000, null);
    store.failAppendsWith = ErrorCode.NOT_ENOUGH_REPLICAS;
    assert.equal(await coordinator.addPartitionsToTransaction('tx-l', p.producerId, p.producerEpoch, [TP('t', 0)]), ErrorCode.COORDINATOR_NOT_AVAILABLE);
    store.failAppendsWith = ErrorCode.NOT_LEADER_OR_FOLLOWER;
    assert.equal(await coordinator.addPartitionsToTransaction('tx-l', p.producerId, p.producerEpoch, [TP('t', 0)]), ErrorCode.NOT_COORDINATOR);
    store.failAppendsWith = ErrorCode.NONE;
    assert.equal(await coordinator.addPartitionsToTransaction('tx-l', p.producerId, p.producerEpoch, [TP('t', 0)]), ErrorCode.NONE);
    await coordinator.shutdown();
  });

  it('lists transactions by state, producer id and duration; unknown state names come back', async () => {
    const { coordinator, clock } = await start();
    const a = await coordinator.initProducerId('tx-m', 60_000, null);
    const b = await coordinator.initProducerId('tx-n', 60_000, null);
    await coordinator.addPartitionsToTransaction('tx-m', a.producerId, a.producerEpoch, [TP('t', 0)]);
    clock.now += 1000;
    const all = coordinator.listTransactions([], [], -1);
    assert.deepEqual(all.transactionStates.map((t) => [t.transactionalId, t.transactionState]).sort(), [['tx-m', 'Ongoing'], ['tx-n', 'Empty']]);
    const ongoing = coordinator.listTransactions([], ['Ongoing', 'Bogus'], -1);
    assert.deepEqual(ongoing.unknownStateFilters, ['Bogus']);
    assert.deepEqual(ongoing.transactionStates.map((t) => t.transactionalId), ['tx-m']);
    assert.deepEqual(coordinator.listTransactions([b.producerId], [], -1).transactionStates.map((t) => t.transactionalId), ['tx-n']);
    assert.deepEqual(coordinator.listTransactions([], ['Ongoing'], 999).transactionStates.map((t) => t.transactionalId), ['tx-m']);
    assert.deepEqual(coordinator.listTransactions([], ['Ongoing'], 1000).transactionStates, [], 'running for 1000 ms is not longer than 1000 ms');
    await coordinator.shutdown();
  });

  it('in a cluster: NOT_COORDINATOR until elected; loads at the leader epoch; a resignation unloads and stops the markers', async () => {
    const store = new MemoryTransactionStateStore(3, { clustered: true });
    const { coordinator, writer } = await start(store);
    const partition = partitionForTransactionalId('tx-o', 3);
    assert.equal((await coordinator.initProducerId('tx-o', 60_000, null)).errorCode, ErrorCode.NOT_COORDINATOR);
    assert.equal(coordinator.findCoordinator('tx-o').errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE, 'no leader yet');
    store.setLeader(partition, MemoryTransactionStateStore.THIS_BROKER_ID);
    await waitUntil('the load', () => coordinator.manager.isOwned(partition));
    assert.deepEqual(coordinator.findCoordinator('tx-o'), { errorCode: ErrorCode.NONE, nodeId: MemoryTransactionStateStore.THIS_BROKER_ID });
    const p = await coordinator.initProducerId('tx-o', 60_000, null);
    assert.equal(p.errorCode, ErrorCode.NONE);
    await coordinator.addPartitionsToTransaction('tx-o', p.producerId, p.producerEpoch, [TP('t', 0)]);
    writer.hold = true;
    await coordinator.endTxn('tx-o', p.producerId, p.producerEpoch, true);
    await waitUntil('the marker request', () => writer.calls === 1);
    assert.equal(writer.written.length, 0);
    store.setLeader(partition, 2);
    assert.equal((await coordinator.initProducerId('tx-o', 60_000, null)).errorCode, ErrorCode.NOT_COORDINATOR);
    assert.deepEqual(coordinator.findCoordinator('tx-o'), { errorCode: ErrorCode.NONE, nodeId: 2 });
    writer.hold = false;
    writer.release();
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(writer.calls, 1, 'the old coordinator does not retry');
    // Elected again (a newer epoch): the PrepareCommit is read back and completed.
    store.setLeader(partition, MemoryTransactionStateStore.THIS_BROKER_ID);
    await waitUntil('CompleteCommit', () => coordinator.describeTransaction('tx-o').transactionState === 'CompleteCommit');
    assert.equal(writer.written.at(-1)!.coordinatorEpoch, store.leaderEpoch(partition));
    await coordinator.shutdown();
  });
});
