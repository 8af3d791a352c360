// The transaction APIs over real sockets, against a broker in this process: FindCoordinator
// (keyType 1), InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn,
// DescribeTransactions and ListTransactions sent by our own client. The markers go through the
// injected writer (ReplicaManager.writeTxnMarkers, stubbed here to record them, so that these
// tests run before Part B's writer is merged). __transaction_state is fetched back and decoded
// with the generated codecs; a restart reads it back and completes a transaction left in
// PrepareAbort.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBroker, type EmbeddedBroker } from '../../src/embedded.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { decodeRecordBatches } from '../../src/client/record-batch.js';
import { ApiKey, dataCodecs } from '../../src/protocol/generated/index.js';
import { Reader } from '../../src/protocol/primitives/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import type { TxnMarkerEntry, TxnMarkerResult } from '../../src/partition/txn-markers.js';

const NUM_TXN_PARTITIONS = 3;
const CONFIG = { 'transaction.state.log.num.partitions': NUM_TXN_PARTITIONS, 'offsets.topic.num.partitions': 5 };

/** Stands in for ReplicaManager.writeTxnMarkers: records the markers, answers `answer`. */
class MarkerRecorder {
  readonly written: TxnMarkerEntry[] = [];
  answer: number = ErrorCode.NONE;
  hold = false;
  private held: (() => void)[] = [];
  calls = 0;

  install(broker: EmbeddedBroker): void {
    (broker.broker.replicas as unknown as { writeTxnMarkers: (m: TxnMarkerEntry[]) => Promise<TxnMarkerResult[]> }).writeTxnMarkers = (m) => this.write(m);
  }

  private async write(markers: TxnMarkerEntry[]): Promise<TxnMarkerResult[]> {
    this.calls++;
    if (this.hold) await new Promise<void>((resolve) => this.held.push(resolve));
    const answer = this.answer;
    if (answer === ErrorCode.NONE) this.written.push(...markers);
    return markers.map((m) => ({ producerId: m.producerId, partitions: m.partitions.map((p) => ({ topic: p.topic, partition: p.partition, errorCode: answer })) }));
  }

  release(): void {
    this.hold = false;
    const held = this.held;
    this.held = [];
    for (const r of held) r();
  }
}

/** Kafka's partitionFor, written out again for the test: abs(String.hashCode) % partitions. */
function txnPartition(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (Math.imul(31, h) + id.charCodeAt(i)) | 0;
  return (h === -2147483648 ? 0 : Math.abs(h)) % NUM_TXN_PARTITIONS;
}

interface DecodedRecord {
  transactionalId: string;
  state: number | null;
  producerId: number;
  producerEpoch: number;
  partitions: string[];
}

/** __transaction_state records of an id, fetched over the socket and decoded with the generated codecs. */
async function transactionLog(client: KafkaClient, transactionalId: string): Promise<DecodedRecord[]> {
  const [r] = await client.fetch([{ topic: '__transaction_state', partition: txnPartition(transactionalId), offset: 0 }], { maxWaitMs: 0 });
  assert.equal(r!.errorCode, ErrorCode.NONE);
  const out: DecodedRecord[] = [];
  for (const batch of decodeRecordBatches(r!.records ?? Buffer.alloc(0)).batches) {
    for (const record of batch.records) {
      const kr = new Reader(record.key!);
      assert.equal(kr.readInt16(), 0, 'key version 0');
      const key = dataCodecs.TransactionLogKey.decode(kr, 0);
      if (key.transactionalId !== transactionalId) continue;
      if (record.value === null) {
        out.push({ transactionalId, state: null, producerId: -1, producerEpoch: -1, partitions: [] });
        continue;
      }
      const vr = new Reader(record.value);
      const version = vr.readInt16();
      assert.equal(version, 0, 'value version 0 (transaction version 1)');
      const v = dataCodecs.TransactionLogValue.decode(vr, version);
      out.push({
        transactionalId,
        state: v.transactionStatus,
        producerId: v.producerId,
        producerEpoch: v.producerEpoch,
        partitions: (v.transactionPartitions ?? []).flatMap((t) => t.partitionIds.map((p) => `${t.topic}-${p}`)),
      });
    }
  }
  return out;
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('transaction APIs over sockets', { timeout: 120_000 }, () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tidelog-txn-apis-'));
  let broker: EmbeddedBroker;
  let c: KafkaConnection;
  let client: KafkaClient;
  const markers = new MarkerRecorder();

  const describeTxn = async (id: string) => (await c.request(ApiKey.DescribeTransactions, 0, { transactionalIds: [id] })).transactionStates[0]!;
  const init = (id: string, producerId = -1, producerEpoch = -1) => c.request(ApiKey.InitProducerId, 4, { transactionalId: id, transactionTimeoutMs: 60_000, producerId, producerEpoch });
  const addPartitions = async (version: number, id: string, producerId: number, producerEpoch: number, topics: { name: string; partitions: number[] }[]) => {
    const r = await c.request(ApiKey.AddPartitionsToTxn, version, { v3AndBelowTransactionalId: id, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: topics });
    return Object.fromEntries(r.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition.map((p) => [`${t.name}-${p.partitionIndex}`, p.partitionErrorCode])));
  };
  const endTxn = async (version: number, id: string, producerId: number, producerEpoch: number, committed: boolean) =>
    (await c.request(ApiKey.EndTxn, version, { transactionalId: id, producerId, producerEpoch, committed })).errorCode;

  before(async () => {
    broker = await startBroker({ dataDir, config: CONFIG });
    markers.install(broker);
    c = await KafkaConnection.connect('127.0.0.1', broker.port);
    client = await KafkaClient.connect({ bootstrap: broker.bootstrap });
    assert.equal((await client.createTopic('orders', { partitions: 2, replicationFactor: 1 })).errorCode, ErrorCode.NONE);
    // The group's coordinator lookup creates __consumer_offsets (a producer looks it up for
    // TxnOffsetCommit); a marker for a partition of a topic that does not exist is skipped.
    assert.equal((await c.request(ApiKey.FindCoordinator, 3, { key: 'readers', keyType: 0 })).errorCode, ErrorCode.NONE);
  });

  after(async () => {
    c?.close();
    client?.close();
    await broker?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('FindCoordinator keyType 1 creates __transaction_state and names this broker', async () => {
    const r = await c.request(ApiKey.FindCoordinator, 4, { keyType: 1, coordinatorKeys: ['tx-1', 'tx-2'] });
    for (const coordinator of r.coordinators) {
      assert.equal(coordinator.errorCode, ErrorCode.NONE);
      assert.equal(coordinator.nodeId, broker.broker.brokerId);
      assert.equal(coordinator.port, broker.port);
    }
    const v1 = await c.request(ApiKey.FindCoordinator, 1, { key: 'tx-1', keyType: 1 });
    assert.equal(v1.errorCode, ErrorCode.NONE);
    const topic = (await client.metadata(['__transaction_state'])).topics.find((t) => t.name === '__transaction_state')!;
    assert.equal(topic.partitions.length, NUM_TXN_PARTITIONS);
    assert.equal(topic.isInternal, true);
  });

  it('runs a transaction: InitProducerId, AddPartitionsToTxn (unknown partitions refuse the whole request), AddOffsetsToTxn, EndTxn commit; markers and records in Kafka\'s format', async () => {
    const p = await init('tx-1');
    assert.equal(p.errorCode, ErrorCode.NONE);
    assert.equal(p.producerEpoch, 0);
    assert.deepEqual(await addPartitions(3, 'tx-1', p.producerId, p.producerEpoch, [{ name: 'orders', partitions: [0, 1] }, { name: 'nope', partitions: [0] }, { name: 'orders', partitions: [9] }]), {
      'orders-0': ErrorCode.OPERATION_NOT_ATTEMPTED,
      'orders-1': ErrorCode.OPERATION_NOT_ATTEMPTED,
      'nope-0': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      'orders-9': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    });
    assert.deepEqual(await addPartitions(3, 'tx-1', p.producerId, p.producerEpoch, [{ name: 'orders', partitions: [0, 1] }]), { 'orders-0': ErrorCode.NONE, 'orders-1': ErrorCode.NONE });
    const offsets = await c.request(ApiKey.AddOffsetsToTxn, 3, { transactionalId: 'tx-1', producerId: p.producerId, producerEpoch: p.producerEpoch, groupId: 'readers' });
    assert.equal(offsets.errorCode, ErrorCode.NONE);
    const groupPartition = broker.broker.groups.partitionFor('readers');
    const ongoing = await describeTxn('tx-1');
    assert.equal(ongoing.transactionState, 'Ongoing');
    assert.deepEqual(
      ongoing.topics.map((t) => [t.topic, [...t.partitions].sort()]).sort(),
      [
        ['__consumer_offsets', [groupPartition]],
        ['orders', [0, 1]],
      ],
    );
    assert.equal(await endTxn(3, 'tx-1', p.producerId, p.producerEpoch, true), ErrorCode.NONE);
    await waitFor('CompleteCommit', async () => (await describeTxn('tx-1')).transactionState === 'CompleteCommit');
    assert.equal(markers.written.length, 1);
    const m = markers.written[0]!;
    assert.deepEqual({ producerId: m.producerId, producerEpoch: m.producerEpoch, commit: m.commit }, { producerId: p.producerId, producerEpoch: 0, commit: true });
    const leaderEpoch = broker.broker.topics.partition('__transaction_state', txnPartition('tx-1'))!.leaderEpoch;
    assert.equal(m.coordinatorEpoch, leaderEpoch, 'markers carry the coordinator epoch: the leader epoch of the transaction partition');
    assert.deepEqual(m.partitions.map((x) => `${x.topic}-${x.partition}`).sort(), [`__consumer_offsets-${groupPartition}`, 'orders-0', 'orders-1']);
    const log = await transactionLog(client, 'tx-1');
    assert.deepEqual(
      log.map((r) => [r.state, r.producerEpoch, r.partitions.sort()]),
      [
        [0, 0, []], // Empty
        [1, 0, ['orders-0', 'orders-1']], // Ongoing
        [1, 0, [`__consumer_offsets-${groupPartition}`, 'orders-0', 'orders-1'].sort()],
        [2, 0, [`__consumer_offsets-${groupPartition}`, 'orders-0', 'orders-1'].sort()], // PrepareCommit
        [4, 0, []], // CompleteCommit
      ],
    );
  });

  it('fences the old producer: PRODUCER_FENCED from v2 on, INVALID_PRODUCER_EPOCH before; a foreign producer id is INVALID_PRODUCER_ID_MAPPING', async () => {
    const old = await init('tx-fence');
    const now = await init('tx-fence');
    assert.equal(now.producerId, old.producerId);
    assert.equal(now.producerEpoch, old.producerEpoch + 1);
    assert.deepEqual(await addPartitions(3, 'tx-fence', old.producerId, old.producerEpoch, [{ name: 'orders', partitions: [0] }]), { 'orders-0': ErrorCode.PRODUCER_FENCED });
    assert.deepEqual(await addPartitions(1, 'tx-fence', old.producerId, old.producerEpoch, [{ name: 'orders', partitions: [0] }]), { 'orders-0': ErrorCode.INVALID_PRODUCER_EPOCH });
    assert.equal(await endTxn(1, 'tx-fence', old.producerId, old.producerEpoch, true), ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal(await endTxn(4, 'tx-fence', old.producerId, old.producerEpoch, true), ErrorCode.PRODUCER_FENCED);
    assert.deepEqual(await addPartitions(3, 'tx-fence', old.producerId + 12345, now.producerEpoch, [{ name: 'orders', partitions: [0] }]), { 'orders-0': ErrorCode.INVALID_PRODUCER_ID_MAPPING });
    // KIP-360 with a stale epoch: fenced.
    const stale = await init('tx-fence', old.producerId, old.producerEpoch + 7);
    assert.equal(stale.errorCode, ErrorCode.PRODUCER_FENCED);
    const staleV3 = await c.request(ApiKey.InitProducerId, 3, { transactionalId: 'tx-fence', transactionTimeoutMs: 60_000, producerId: old.producerId, producerEpoch: old.producerEpoch + 7 });
    assert.equal(staleV3.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
  });

  it('answers CONCURRENT_TRANSACTIONS while markers are pending, and a new producer aborts an ongoing transaction first', async () => {
    const p = await init('tx-busy');
    assert.deepEqual(await addPartitions(3, 'tx-busy', p.producerId, p.producerEpoch, [{ name: 'orders', partitions: [1] }]), { 'orders-1': ErrorCode.NONE });
    markers.hold = true;
    const callsBefore = markers.calls;
    assert.equal(await endTxn(3, 'tx-busy', p.producerId, p.producerEpoch, true), ErrorCode.NONE);
    await waitFor('the marker write', () => markers.calls > callsBefore);
    assert.equal(await endTxn(3, 'tx-busy', p.producerId, p.producerEpoch, true), ErrorCode.CONCURRENT_TRANSACTIONS);
    assert.equal((await init('tx-busy')).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    assert.equal((await describeTxn('tx-busy')).transactionState, 'PrepareCommit');
    markers.release();
    await waitFor('CompleteCommit', async () => (await describeTxn('tx-busy')).transactionState === 'CompleteCommit');

    // A new producer while a transaction is Ongoing: abort under a bumped epoch first.
    assert.deepEqual(await addPartitions(3, 'tx-busy', p.producerId, p.producerEpoch, [{ name: 'orders', partitions: [0] }]), { 'orders-0': ErrorCode.NONE });
    assert.equal((await init('tx-busy')).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    await waitFor('CompleteAbort', async () => (await describeTxn('tx-busy')).transactionState === 'CompleteAbort');
    const abortMarker = markers.written.at(-1)!;
    assert.equal(abortMarker.commit, false);
    assert.equal(abortMarker.producerEpoch, p.producerEpoch + 1);
    const retry = await init('tx-busy');
    assert.equal(retry.errorCode, ErrorCode.NONE);
    assert.equal(retry.producerEpoch, p.producerEpoch + 2);
    assert.equal(await endTxn(3, 'tx-busy', p.producerId, p.producerEpoch, false), ErrorCode.PRODUCER_FENCED);
  });

  it('AddPartitionsToTxn v4 batches transactions and verifies (verifyOnly) without adding', async () => {
    const p = await init('tx-v4');
    const r = await c.request(ApiKey.AddPartitionsToTxn, 5, {
      transactions: [
        { transactionalId: 'tx-v4', producerId: p.producerId, producerEpoch: p.producerEpoch, verifyOnly: false, topics: [{ name: 'orders', partitions: [0] }] },
        { transactionalId: 'tx-unknown', producerId: 1, producerEpoch: 0, verifyOnly: false, topics: [{ name: 'orders', partitions: [0] }] },
      ],
    });
    assert.equal(r.errorCode, ErrorCode.NONE);
    const byId = Object.fromEntries(r.resultsByTransaction.map((t) => [t.transactionalId, t.topicResults[0]!.resultsByPartition[0]!.partitionErrorCode]));
    assert.deepEqual(byId, { 'tx-v4': ErrorCode.NONE, 'tx-unknown': ErrorCode.INVALID_PRODUCER_ID_MAPPING });
    const verify = await c.request(ApiKey.AddPartitionsToTxn, 4, {
      transactions: [{ transactionalId: 'tx-v4', producerId: p.producerId, producerEpoch: p.producerEpoch, verifyOnly: true, topics: [{ name: 'orders', partitions: [0, 1] }] }],
    });
    assert.deepEqual(
      verify.resultsByTransaction[0]!.topicResults[0]!.resultsByPartition.map((x) => [x.partitionIndex, x.partitionErrorCode]),
      [
        [0, ErrorCode.NONE],
        [1, ErrorCode.TRANSACTION_ABORTABLE],
      ],
    );
    assert.deepEqual((await describeTxn('tx-v4')).topics, [{ topic: 'orders', partitions: [0] }]);
  });

  it('ListTransactions filters by state, producer id and duration (v1)', async () => {
    const all = await c.request(ApiKey.ListTransactions, 1, { stateFilters: [], producerIdFilters: [], durationFilter: -1 });
    assert.equal(all.errorCode, ErrorCode.NONE);
    const ids = all.transactionStates.map((t) => t.transactionalId).sort();
    assert.deepEqual(ids, ['tx-1', 'tx-busy', 'tx-fence', 'tx-v4']);
    const ongoing = await c.request(ApiKey.ListTransactions, 0, { stateFilters: ['Ongoing', 'Nope'], producerIdFilters: [] });
    assert.deepEqual(ongoing.unknownStateFilters, ['Nope']);
    assert.deepEqual(ongoing.transactionStates.map((t) => [t.transactionalId, t.transactionState]), [['tx-v4', 'Ongoing']]);
    const v4 = await describeTxn('tx-v4');
    assert.deepEqual((await c.request(ApiKey.ListTransactions, 1, { stateFilters: [], producerIdFilters: [v4.producerId], durationFilter: -1 })).transactionStates.map((t) => t.transactionalId), ['tx-v4']);
    assert.deepEqual((await c.request(ApiKey.ListTransactions, 1, { stateFilters: ['Ongoing'], producerIdFilters: [], durationFilter: 3_600_000 })).transactionStates, []);
    assert.equal((await describeTxn('no-such-id')).errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
  });

  it('ListTransactions v2 filters by an RE2/J pattern over the whole id (KIP-1152) and refuses a bad one', async () => {
    const list = async (transactionalIdPattern: string | null) => {
      const r = await c.request(ApiKey.ListTransactions, 2, { stateFilters: [], producerIdFilters: [], durationFilter: -1, transactionalIdPattern });
      return { errorCode: r.errorCode, ids: r.transactionStates.map((t) => t.transactionalId).sort() };
    };
    assert.deepEqual(await list('tx-(1|v4)'), { errorCode: ErrorCode.NONE, ids: ['tx-1', 'tx-v4'] });
    // The whole id must match: 'tx' alone matches none, as RE2/J's Pattern.matches.
    assert.deepEqual(await list('tx'), { errorCode: ErrorCode.NONE, ids: [] });
    assert.deepEqual(await list('tx-[[:alpha:]]+'), { errorCode: ErrorCode.NONE, ids: ['tx-busy', 'tx-fence'] });
    assert.deepEqual((await list('')).ids, ['tx-1', 'tx-busy', 'tx-fence', 'tx-v4']);
    assert.deepEqual((await list(null)).ids, ['tx-1', 'tx-busy', 'tx-fence', 'tx-v4']);
    assert.deepEqual(await list('tx-(?=1)'), { errorCode: ErrorCode.INVALID_REGULAR_EXPRESSION, ids: [] });
    assert.deepEqual(await list('tx-[1'), { errorCode: ErrorCode.INVALID_REGULAR_EXPRESSION, ids: [] });
  });

  it('reads the state back after a restart; a transaction left in PrepareAbort gets its markers and CompleteAbort', async () => {
    const p = await init('tx-restart');
    await addPartitions(3, 'tx-restart', p.producerId, p.producerEpoch, [{ name: 'orders', partitions: [0, 1] }]);
    markers.answer = ErrorCode.NOT_LEADER_OR_FOLLOWER; // the markers cannot be written before the restart
    assert.equal(await endTxn(3, 'tx-restart', p.producerId, p.producerEpoch, false), ErrorCode.NONE);
    const before = { committed: await describeTxn('tx-1'), ongoing: await describeTxn('tx-v4') };
    c.close();
    client.close();
    await broker.close();

    // The reloaded coordinator sends the PrepareAbort's markers as it starts, through the
    // broker's own marker writer: they land in the partitions' logs.
    broker = await startBroker({ dataDir, config: CONFIG });
    c = await KafkaConnection.connect('127.0.0.1', broker.port);
    client = await KafkaClient.connect({ bootstrap: broker.bootstrap });
    assert.deepEqual(await describeTxn('tx-1'), before.committed);
    assert.deepEqual(await describeTxn('tx-v4'), before.ongoing);
    await waitFor('CompleteAbort after the restart', async () => (await describeTxn('tx-restart')).transactionState === 'CompleteAbort');
    for (const partition of [0, 1]) {
      const [fetched] = await client.fetch([{ topic: 'orders', partition, offset: 0 }], { maxWaitMs: 0 });
      const markersHere = decodeRecordBatches(fetched!.records ?? Buffer.alloc(0)).batches.filter((b) => b.isControl && b.producerId === p.producerId);
      assert.equal(markersHere.length, 1, `one marker of the producer on orders-${partition}`);
      assert.equal(markersHere[0]!.records[0]!.key!.readInt16BE(2), 0, 'an ABORT marker (control type 0)');
    }
    assert.deepEqual((await transactionLog(client, 'tx-restart')).map((r) => r.state), [0, 1, 3, 5]);
    // The reloaded producer carries on; the next InitProducerId bumps the reloaded epoch.
    const again = await init('tx-1');
    assert.equal(again.producerEpoch, before.committed.producerEpoch + 1);
  });
});
