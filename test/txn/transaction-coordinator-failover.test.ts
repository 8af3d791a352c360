// The transaction coordinator in a ZooKeeper cluster of three broker processes:
//   1. The first FindCoordinator (keyType 1) creates __transaction_state (replication factor
//      3); every broker then names the leader of the id's partition, and the other two answer
//      InitProducerId NOT_COORDINATOR.
//   2. On the coordinator a producer initializes twice (epoch 0, then 1) and starts a
//      transaction (AddPartitionsToTxn).
//   3. The coordinator is killed (SIGKILL): another broker becomes leader of the partition at
//      a higher leader epoch, loads it from its replica, and serves the transaction as it was
//      (Ongoing, same producer id and epoch, same partitions); the fenced epoch stays fenced.
//   4. The killed broker comes back as a follower and does not serve the id.
// Markers are not exercised here: they need Part B's WriteTxnMarkers and writeTxnMarkers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { partitionForTransactionalId } from '../../src/txn/transaction-state-topic.js';
import { BROKER_IDS, ThreeBrokerCluster, metadataFrom, requestOnce } from '../cluster/three-brokers.js';
import { zookeeperInstalled } from '../cluster/zookeeper.js';
import { waitFor } from '../helpers/wait.js';

const SKIP = zookeeperInstalled() ? false : 'ZooKeeper is not installed (scripts/install-test-deps.sh)';
const TXN_PARTITIONS = 3;
const OVERRIDES = {
  'zookeeper.session.timeout.ms': 4_000,
  'zookeeper.connection.timeout.ms': 10_000,
  'replica.lag.time.max.ms': 5_000,
  'transaction.state.log.replication.factor': 3,
  'transaction.state.log.min.isr': 2,
  'transaction.state.log.num.partitions': TXN_PARTITIONS,
};
const TXN_ID = 'failover-txn';
const COORDINATOR_TIMEOUT_MS = 60_000;

describe('transaction coordinator failover', { skip: SKIP, timeout: 240_000 }, () => {
  let cluster: ThreeBrokerCluster;

  before(async () => {
    cluster = await ThreeBrokerCluster.start({ chroot: '/txn-failover', overrides: OVERRIDES });
  });

  after(async () => {
    await cluster?.close();
  });

  const portOf = (id: number) => cluster.brokers.get(id)!.port;
  const find = (port: number) => requestOnce(port, ApiKey.FindCoordinator, 3, { key: TXN_ID, keyType: 1 }, `FindCoordinator from ${port}`);
  const init = (port: number, producerId = -1, producerEpoch = -1) =>
    requestOnce(port, ApiKey.InitProducerId, 4, { transactionalId: TXN_ID, transactionTimeoutMs: 60_000, producerId, producerEpoch }, `InitProducerId on ${port}`);
  const describeTxn = async (port: number) => (await requestOnce(port, ApiKey.DescribeTransactions, 0, { transactionalIds: [TXN_ID] }, `DescribeTransactions on ${port}`)).transactionStates[0]!;

  /** The coordinator every live broker names (once they agree), and that it serves the id. */
  async function agreedCoordinator(except: number | null): Promise<number> {
    let coordinator = -1;
    await waitFor(
      'every live broker to name the same coordinator, which serves the id',
      async () => {
        const answers = await Promise.all(cluster.livePorts().map((p) => find(p).catch(() => null)));
        if (answers.some((a) => a === null || a.errorCode !== ErrorCode.NONE)) return false;
        const ids = new Set(answers.map((a) => a!.nodeId));
        if (ids.size !== 1) return false;
        const id = [...ids][0]!;
        if (id === except || !cluster.brokers.has(id)) return false;
        const d = await describeTxn(portOf(id)).catch(() => null);
        coordinator = id;
        return d !== null && (d.errorCode === ErrorCode.NONE || d.errorCode === ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
      },
      { timeoutMs: COORDINATOR_TIMEOUT_MS, intervalMs: 200 },
    );
    return coordinator;
  }

  let producerId = -1;
  let coordinator = -1;

  it('creates __transaction_state on the first lookup; the partition leader is the coordinator, the others answer NOT_COORDINATOR', async () => {
    coordinator = await agreedCoordinator(null);
    const meta = await metadataFrom(portOf(coordinator), '__transaction_state');
    assert.equal(meta.partitions.length, TXN_PARTITIONS);
    const partition = meta.partitions[partitionForTransactionalId(TXN_ID, TXN_PARTITIONS)]!;
    assert.equal(partition.leader, coordinator);
    assert.equal(partition.replicas.length, 3);
    for (const id of BROKER_IDS) {
      if (id === coordinator) continue;
      assert.equal((await init(portOf(id))).errorCode, ErrorCode.NOT_COORDINATOR, `broker ${id}`);
    }
  });

  it('fails over: the new leader loads the partition and serves the ongoing transaction as it was', async () => {
    const first = await init(portOf(coordinator));
    assert.equal(first.errorCode, ErrorCode.NONE);
    const second = await init(portOf(coordinator));
    assert.deepEqual([second.errorCode, second.producerId, second.producerEpoch], [ErrorCode.NONE, first.producerId, first.producerEpoch + 1]);
    producerId = second.producerId;
    await cluster.createTopic('orders', 3, 3, {});
    const added = await requestOnce(portOf(coordinator), ApiKey.AddPartitionsToTxn, 3, {
      v3AndBelowTransactionalId: TXN_ID,
      v3AndBelowProducerId: producerId,
      v3AndBelowProducerEpoch: second.producerEpoch,
      v3AndBelowTopics: [{ name: 'orders', partitions: [0, 2] }],
    }, 'AddPartitionsToTxn');
    assert.deepEqual(added.resultsByTopicV3AndBelow[0]!.resultsByPartition.map((p) => p.partitionErrorCode), [ErrorCode.NONE, ErrorCode.NONE]);
    const before = await describeTxn(portOf(coordinator));
    assert.equal(before.transactionState, 'Ongoing');
    const epochBefore = (await metadataFrom(portOf(coordinator), '__transaction_state')).partitions[partitionForTransactionalId(TXN_ID, TXN_PARTITIONS)]!.leaderEpoch;

    const killed = coordinator;
    await cluster.kill(killed);
    coordinator = await agreedCoordinator(killed);
    assert.notEqual(coordinator, killed);
    const after = await describeTxn(portOf(coordinator));
    assert.deepEqual(after, before, 'the transaction as the old coordinator had it');
    const epochAfter = (await metadataFrom(portOf(coordinator), '__transaction_state')).partitions[partitionForTransactionalId(TXN_ID, TXN_PARTITIONS)]!.leaderEpoch;
    assert.ok(epochAfter > epochBefore, `a new coordinator epoch (${epochBefore} -> ${epochAfter})`);
    const zombie = await requestOnce(portOf(coordinator), ApiKey.AddPartitionsToTxn, 3, {
      v3AndBelowTransactionalId: TXN_ID,
      v3AndBelowProducerId: producerId,
      v3AndBelowProducerEpoch: first.producerEpoch,
      v3AndBelowTopics: [{ name: 'orders', partitions: [1] }],
    }, 'AddPartitionsToTxn (zombie)');
    assert.equal(zombie.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode, ErrorCode.PRODUCER_FENCED);

    // The killed broker comes back as a follower of the partition: it does not serve the id.
    await cluster.restartBroker(killed);
    await waitFor('the restarted broker to know the coordinator', async () => (await find(portOf(killed)).catch(() => null))?.nodeId === coordinator, { timeoutMs: COORDINATOR_TIMEOUT_MS, intervalMs: 200 });
    assert.equal((await describeTxn(portOf(killed))).errorCode, ErrorCode.NOT_COORDINATOR);
  });
});
