// Transactions through faults (issue #15), on a real ZooKeeper and three broker processes:
//   1. Kafka's TransactionalMessageCopier (the tool of Kafka's own exactly-once system tests)
//      copies a partition into a three-partition topic in transactions of 50 records, with
//      random aborts, committing its consumer offsets in each transaction; in the middle the
//      leader of its transactional id's __transaction_state partition (its coordinator) is
//      killed with SIGKILL. A read_committed consumer must then see every input record exactly
//      once, none twice and none partially, and the group's committed offset must be the end
//      of the input.
//   2. A transactional producer (Kafka's ProducerPerformance, transaction.timeout.ms 3000) is
//      killed with SIGKILL in the middle of a transaction: its coordinator aborts the
//      transaction once it times out, so the partition's last stable offset moves past it and
//      read_committed consumers see none of it.
//   3. (below) the copier against a single broker killed with SIGKILL and restarted.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { ensureKafkaLibs, javaBin, KAFKA_MAIN, classPath, runKafkaClass, type KafkaLibs } from '../../bench/kafka-dist.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { kcat } from '../helpers/kcat.js';
import { waitFor } from '../helpers/wait.js';
import { requestOnce, ThreeBrokerCluster } from './three-brokers.js';
import { zookeeperInstalled } from './zookeeper.js';

const COPIER = 'org.apache.kafka.tools.TransactionalMessageCopier';
const INPUT = 'txn-in';
const OUTPUT = 'txn-out';
const RECORDS = 2_000;
const TRANSACTION_SIZE = 50;

describe('transactions through a coordinator kill and a producer kill (three brokers, real ZooKeeper)', { timeout: 400_000, skip: zookeeperInstalled() ? false : 'ZooKeeper is not installed (scripts/install-test-deps.sh)' }, () => {
  let cluster: ThreeBrokerCluster;
  let libs: KafkaLibs;

  const bootstrap = (): string => cluster.livePorts().map((p) => `127.0.0.1:${p}`).join(',');

  /** The broker coordinating a transactional id, as FindCoordinator answers it. */
  async function coordinatorOf(transactionalId: string): Promise<number> {
    let nodeId = -1;
    await waitFor(`a coordinator for ${transactionalId}`, async () => {
      const r = await requestOnce(cluster.livePorts()[0]!, ApiKey.FindCoordinator, 4, { keyType: 1, coordinatorKeys: [transactionalId] }, 'FindCoordinator').catch(() => null);
      const c = r?.coordinators[0];
      if (!c || c.errorCode !== ErrorCode.NONE) return false;
      nodeId = c.nodeId;
      return true;
    }, { timeoutMs: 30_000 });
    return nodeId;
  }

  async function listOffset(topic: string, partition: number, isolationLevel: 0 | 1): Promise<number> {
    const client = await KafkaClient.connect({ bootstrap: bootstrap() });
    try {
      const leader = await client.leaderFor(topic, partition);
      const r = await leader.send(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel, topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1 }] }] });
      const p = r.topics[0]!.partitions[0]!;
      assert.equal(p.errorCode, ErrorCode.NONE);
      return p.offset;
    } finally {
      client.close();
    }
  }

  before(async () => {
    libs = await ensureKafkaLibs();
    cluster = await ThreeBrokerCluster.start({
      chroot: '/tidelog-txn-failover',
      overrides: {
        'zookeeper.session.timeout.ms': 4_000,
        'replica.lag.time.max.ms': 5_000,
        'offsets.topic.replication.factor': 3,
        'transaction.state.log.replication.factor': 3,
        'transaction.state.log.min.isr': 2,
        'transaction.abort.timed.out.transaction.cleanup.interval.ms': 1_000,
        'group.initial.rebalance.delay.ms': 0,
        'auto.leader.rebalance.enable': false,
      },
    });
    await cluster.createTopic(INPUT, 1, 3, { 'min.insync.replicas': '2' });
    await cluster.createTopic(OUTPUT, 3, 3, { 'min.insync.replicas': '2' });
    const input = Array.from({ length: RECORDS }, (_, i) => String(i)).join('\n');
    const produced = await kcat(['-P', '-b', bootstrap(), '-t', INPUT, '-p', '0', '-X', 'acks=all'], `${input}\n`);
    assert.equal(produced.code, 0, produced.stderr);
  });

  after(async () => {
    await cluster?.close();
  });

  it('a copier loses and repeats nothing when its coordinator is killed mid-stream', async () => {
    const transactionalId = 'copier-1';
    const copier = runKafkaClass(libs, COPIER, [
      '--broker-list', bootstrap(),
      '--input-topic', INPUT, '--input-partition', '0', '--output-topic', OUTPUT,
      '--consumer-group', 'copier-group', '--transactional-id', transactionalId,
      '--max-messages', String(RECORDS), '--transaction-size', String(TRANSACTION_SIZE),
      '--transaction-timeout', '10000', '--enable-random-aborts', '--use-group-metadata',
    ], { heap: '256M', timeoutMs: 240_000 });
    // Kill the coordinator once some transactions have committed.
    await waitFor('the first committed transactions', async () => (await listOffset(OUTPUT, 0, 1).catch(() => 0)) + (await listOffset(OUTPUT, 1, 1).catch(() => 0)) + (await listOffset(OUTPUT, 2, 1).catch(() => 0)) > TRANSACTION_SIZE, { timeoutMs: 60_000, intervalMs: 100 });
    const coordinator = await coordinatorOf(transactionalId);
    await cluster.kill(coordinator);
    const r = await copier;
    assert.equal(r.code, 0, `copier exited ${r.code}:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
    assert.notEqual(await coordinatorOf(transactionalId), coordinator, 'another broker coordinates the id now');

    const committed = await kcat(['-C', '-b', bootstrap(), '-t', OUTPUT, '-o', 'beginning', '-e', '-q', '-f', '%s\\n', '-X', 'isolation.level=read_committed'], undefined, 60_000);
    assert.equal(committed.code, 0, committed.stderr);
    const values = committed.stdout.split('\n').filter((l) => l !== '').map(Number).sort((a, b) => a - b);
    const duplicates = values.filter((v, i) => i > 0 && values[i - 1] === v).length;
    assert.equal(duplicates, 0, 'no record committed twice');
    assert.deepEqual(values, Array.from({ length: RECORDS }, (_, i) => i), 'every input record committed exactly once');
    const uncommitted = await kcat(['-C', '-b', bootstrap(), '-t', OUTPUT, '-o', 'beginning', '-e', '-q', '-f', '.', '-X', 'isolation.level=read_uncommitted'], undefined, 60_000);
    assert.ok(uncommitted.stdout.length >= RECORDS, 'read_uncommitted sees the aborted attempts too');

    const client = await KafkaClient.connect({ bootstrap: bootstrap() });
    try {
      assert.equal((await client.fetchOffsets('copier-group', [{ topic: INPUT, partitions: [0] }])).get(INPUT)?.get(0), RECORDS, 'the offsets committed in the transactions reach the end of the input');
    } finally {
      client.close();
    }
    await cluster.restartBroker(coordinator);
  });

  it('an open transaction whose producer died is aborted after its timeout', async () => {
    const topic = 'txn-stuck';
    await cluster.createTopic(topic, 1, 3, { 'min.insync.replicas': '2' });
    const java = spawn(javaBin(), ['-Xmx256M', '-cp', classPath(libs), KAFKA_MAIN.producerPerformance, '--topic', topic, '--num-records', '1000000', '--record-size', '100', '--throughput', '200', '--transactional-id', 'stuck-1', '--transaction-duration-ms', '600000', '--command-property', `bootstrap.servers=${bootstrap()}`, 'acks=all', 'transaction.timeout.ms=3000'], { stdio: 'ignore' });
    try {
      await waitFor('records of the open transaction in the log', async () => (await listOffset(topic, 0, 0).catch(() => 0)) > 20, { timeoutMs: 60_000, intervalMs: 100 });
      assert.equal(await listOffset(topic, 0, 1), 0, 'the open transaction holds the last stable offset at its start');
    } finally {
      java.kill('SIGKILL');
    }
    // The coordinator aborts it once transaction.timeout.ms has passed: an ABORT marker ends it.
    await waitFor('the timed-out transaction aborted', async () => {
      const end = await listOffset(topic, 0, 0);
      return (await listOffset(topic, 0, 1)) === end && end > 20;
    }, { timeoutMs: 60_000, intervalMs: 200 });
    const read = await kcat(['-C', '-b', bootstrap(), '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '.', '-X', 'isolation.level=read_committed'], undefined, 60_000);
    assert.equal(read.code, 0, read.stderr);
    assert.equal(read.stdout.length, 0, 'read_committed sees nothing of the aborted transaction');
  });
});

// 3. The same copier against a single broker killed with SIGKILL in the middle and started
//    again on its port and data directory: the coordinator reads __transaction_state back,
//    the open transaction is aborted (the copier's producer re-initialises), and the output
//    under read_committed is every input record exactly once.
describe('transactions through a single-node SIGKILL and restart', { timeout: 300_000 }, () => {
  const SINGLE_RECORDS = 3_000;
  let broker: BrokerProcess;
  let libs: KafkaLibs;

  before(async () => {
    libs = await ensureKafkaLibs();
    broker = await startBrokerProcess({ overrides: { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': 1_000, 'group.initial.rebalance.delay.ms': 0 } });
    const client = await KafkaClient.connect({ bootstrap: broker.bootstrap });
    try {
      assert.equal((await client.createTopic(INPUT, { partitions: 1, replicationFactor: 1 })).errorCode, ErrorCode.NONE);
      assert.equal((await client.createTopic(OUTPUT, { partitions: 3, replicationFactor: 1 })).errorCode, ErrorCode.NONE);
    } finally {
      client.close();
    }
    const input = Array.from({ length: SINGLE_RECORDS }, (_, i) => String(i)).join('\n');
    const produced = await kcat(['-P', '-b', broker.bootstrap, '-t', INPUT, '-p', '0', '-X', 'acks=all'], `${input}\n`);
    assert.equal(produced.code, 0, produced.stderr);
  });

  after(async () => {
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
  });

  it('a copier loses and repeats nothing when the broker is killed mid-stream and restarted', async () => {
    const copier = runKafkaClass(libs, COPIER, [
      '--broker-list', broker.bootstrap,
      '--input-topic', INPUT, '--input-partition', '0', '--output-topic', OUTPUT,
      '--consumer-group', 'copier-single', '--transactional-id', 'copier-single-1',
      '--max-messages', String(SINGLE_RECORDS), '--transaction-size', '20',
      '--transaction-timeout', '10000', '--enable-random-aborts', '--use-group-metadata',
    ], { heap: '256M', timeoutMs: 240_000 });
    const committedOutput = async (): Promise<number> => {
      const conn = await KafkaConnection.connect('127.0.0.1', broker.port, 'progress').catch(() => null);
      if (!conn) return 0;
      try {
        const r = await conn.request(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 1, topics: [{ name: OUTPUT, partitions: [0, 1, 2].map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: -1 })) }] });
        return r.topics[0]!.partitions.reduce((sum, p) => sum + Math.max(0, p.offset), 0);
      } finally {
        conn.close();
      }
    };
    await waitFor('the first committed transactions', async () => (await committedOutput()) > 40, { timeoutMs: 60_000, intervalMs: 100 });
    const { port, dataDir } = broker;
    const committedAtKill = await committedOutput();
    await broker.kill();
    assert.ok(committedAtKill < SINGLE_RECORDS, `killed mid-stream (${committedAtKill} of ${SINGLE_RECORDS} committed)`);
    broker = await startBrokerProcess({ port, dataDir, overrides: { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': 1_000, 'group.initial.rebalance.delay.ms': 0 } });
    const r = await copier;
    assert.equal(r.code, 0, `copier exited ${r.code}:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);

    const committed = await kcat(['-C', '-b', broker.bootstrap, '-t', OUTPUT, '-o', 'beginning', '-e', '-q', '-f', '%s\\n', '-X', 'isolation.level=read_committed'], undefined, 60_000);
    assert.equal(committed.code, 0, committed.stderr);
    const values = committed.stdout.split('\n').filter((l) => l !== '').map(Number).sort((a, b) => a - b);
    assert.deepEqual(values, Array.from({ length: SINGLE_RECORDS }, (_, i) => i), 'every input record committed exactly once');
    const client = await KafkaClient.connect({ bootstrap: broker.bootstrap });
    try {
      assert.equal((await client.fetchOffsets('copier-single', [{ topic: INPUT, partitions: [0] }])).get(INPUT)?.get(0), SINGLE_RECORDS);
    } finally {
      client.close();
    }
  });
});
