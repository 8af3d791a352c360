// Transactions on a replicated partition, three broker processes over a real ZooKeeper: the
// leader writes WriteTxnMarkers' control batches with acks=-1, the followers apply what they
// fetch (their producer state and txn index follow the leader's: DescribeProducers on each
// replica shows it), a follower refuses markers with NOT_LEADER_OR_FOLLOWER, and after the
// leader is killed the new leader keeps the open transaction open (the last stable offset does
// not move past it) and answers read_committed fetches with the aborted transaction its own
// txn index recorded as a follower; its marker then ends the open transaction.
// The test plays the coordinator with producer ids it makes up, so KIP-890's verification of
// transactional produce with the real coordinator is off (transaction.partition.verification.enable).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeRecordBatches } from '../../src/client/record-batch.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { requestOnce, ThreeBrokerCluster } from '../cluster/three-brokers.js';
import { zookeeperInstalled } from '../cluster/zookeeper.js';
import { crc32c, recordBatch } from '../helpers/batch.js';
import { waitFor } from '../helpers/wait.js';

const TOPIC = 'txn-replicated';

function txnBatch(producerId: number, value: string): Buffer {
  const b = recordBatch([{ value }], Date.now(), { producerId, producerEpoch: 0, baseSequence: 0 });
  b.writeInt16BE(0x10, 21);
  b.writeUInt32BE(crc32c(b.subarray(21)), 17);
  return b;
}

describe('transactions on a three-broker cluster', { skip: !zookeeperInstalled() && 'ZooKeeper is not installed (scripts/install-test-deps.sh)', timeout: 180_000 }, () => {
  let cluster: ThreeBrokerCluster;
  let leader = -1;

  before(async () => {
    cluster = await ThreeBrokerCluster.start({ chroot: '/txn-replication-test', overrides: { 'zookeeper.session.timeout.ms': 4000, 'replica.lag.time.max.ms': 3000, 'offsets.topic.replication.factor': 1, 'admin.listener': 'http://127.0.0.1:0', 'transaction.partition.verification.enable': false } });
    await cluster.createTopic(TOPIC, 1, 3, { 'min.insync.replicas': '2' });
    await cluster.waitForFullIsr(TOPIC, 30_000);
    leader = (await cluster.metadata(TOPIC)).partitions[0]!.leader;
  });
  after(async () => {
    await cluster?.close();
  });

  const portOf = (id: number) => cluster.brokers.get(id)!.port;

  const markers = async (id: number, producerId: number, commit: boolean) =>
    (await requestOnce(portOf(id), ApiKey.WriteTxnMarkers, 1, { markers: [{ producerId, producerEpoch: 0, coordinatorEpoch: 1, transactionResult: commit, topics: [{ name: TOPIC, partitionIndexes: [0] }] }] }, 'WriteTxnMarkers')).markers[0]!.topics[0]!.partitions[0]!.errorCode;

  const producersOn = async (id: number) =>
    (await requestOnce(portOf(id), ApiKey.DescribeProducers, 0, { topics: [{ name: TOPIC, partitionIndexes: [0] }] }, 'DescribeProducers')).topics[0]!.partitions[0]!.activeProducers.map((p) => [p.producerId, p.coordinatorEpoch, p.currentTxnStartOffset]).sort((a, b) => a[0]! - b[0]!);

  async function readCommitted(id: number) {
    const r = await requestOnce(portOf(id), ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 1, topics: [{ topic: TOPIC, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }] }, 'Fetch');
    const p = r.responses[0]!.partitions[0]!;
    const batches = p.records ? decodeRecordBatches(Buffer.from(p.records)).batches : [];
    return { errorCode: p.errorCode, highWatermark: p.highWatermark, lastStableOffset: p.lastStableOffset, abortedTransactions: p.abortedTransactions, offsets: batches.map((b) => b.baseOffset) };
  }

  it('replicates markers, open transactions and the txn index; the new leader after a SIGKILL keeps the open transaction open', async () => {
    const init = async () => (await requestOnce(portOf(leader), ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000 }, 'InitProducerId')).producerId;
    const [p1, p2] = [await init(), await init()];
    for (const [producerId, value, offset] of [
      [p1, 'aborted', 0],
      [p2, 'open', 1],
    ] as const) {
      const r = await requestOnce(portOf(leader), ApiKey.Produce, 9, { transactionalId: 'app', acks: -1, timeoutMs: 10_000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: txnBatch(producerId, value) }] }] }, 'Produce');
      assert.deepEqual([r.responses[0]!.partitionResponses[0]!.errorCode, r.responses[0]!.partitionResponses[0]!.baseOffset], [ErrorCode.NONE, offset]);
    }
    const follower = [1, 2, 3].find((id) => id !== leader)!;
    assert.equal(await markers(follower, p1, false), ErrorCode.NOT_LEADER_OR_FOLLOWER);
    assert.equal(await markers(leader, p1, false), ErrorCode.NONE, 'acks=-1: the ISR has the marker');
    for (const id of [1, 2, 3]) {
      await waitFor(`broker ${id} applied the marker`, async () => JSON.stringify(await producersOn(id)) === JSON.stringify([[p1, 1, -1], [p2, -1, 1]].sort((a, b) => a[0]! - b[0]!)), { timeoutMs: 20_000, intervalMs: 100 });
    }
    assert.deepEqual(await readCommitted(leader), { errorCode: ErrorCode.NONE, highWatermark: 3, lastStableOffset: 1, abortedTransactions: [{ producerId: p1, firstOffset: 0 }], offsets: [0] });

    await cluster.kill(leader);
    const old = leader;
    await waitFor('a new leader', async () => {
      const l = (await cluster.metadata(TOPIC)).partitions[0]!.leader;
      return l !== old && l > 0;
    }, { timeoutMs: 30_000, intervalMs: 100 });
    leader = (await cluster.metadata(TOPIC)).partitions[0]!.leader;
    let read = await readCommitted(leader);
    for (let i = 0; i < 100 && read.errorCode !== ErrorCode.NONE; i++) {
      await new Promise((r) => setTimeout(r, 100));
      read = await readCommitted(leader);
    }
    assert.deepEqual(read, { errorCode: ErrorCode.NONE, highWatermark: 3, lastStableOffset: 1, abortedTransactions: [{ producerId: p1, firstOffset: 0 }], offsets: [0] }, "the open transaction is still open on the new leader; its txn index knows the aborted one");
    assert.equal(await markers(leader, p2, true), ErrorCode.NONE);
    read = await readCommitted(leader);
    assert.deepEqual([read.highWatermark, read.lastStableOffset, read.offsets], [4, 4, [0, 1, 2, 3]]);
  });
});
