// Partition reassignment (KIP-455) on three broker processes over a real ZooKeeper, driven by
// `tidelog reassign-partitions` and, on a twin topic, by Kafka 4.4's own
// ReassignPartitionsCommand, whose output must have the same lines:
// - a move {1,2} -> {2,3} under a running acks=-1 producer: nothing acknowledged is lost, the
//   new replica holds the same records, broker 1's log is deleted, every broker's metadata
//   shows [2,3], --verify reports completion and clears the throttles;
// - a throttled move stays in progress (the new follower is held back by
//   follower.replication.throttled.rate), --list shows RS, adding and removing, --cancel goes
//   back to the original replicas (in RS order, as Kafka) and the added replica's log is deleted;
// - the legacy path: /admin/reassign_partitions written directly, as tools before KIP-455 did;
// - a controller failover in the middle of a throttled move: the new controller resumes it from
//   the topic znode and completes it once the throttle is lifted.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureKafkaLibs, runKafkaClass, type KafkaLibs } from '../../bench/kafka-dist.js';
import { KafkaClient, RESOURCE_BROKER } from '../../src/client/kafka-client.js';
import { ZkClient } from '../../src/cluster/zk-client.js';
import { decodeTopicAssignment, encodeLegacyReassignments, ZkPaths } from '../../src/cluster/zk-data.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { silentLogger } from '../../src/logger.js';
import { removeDir, tempDir } from '../helpers/broker-process.js';
import { waitFor } from '../helpers/wait.js';
import { tidelog } from '../cli/run.js';
import { requestOnce, ThreeBrokerCluster } from './three-brokers.js';
import { consumePartition, logSummary, readReplicaLog, verifyPartition } from './verifying-consumer.js';
import { VerifyingProducer } from './verifying-producer.js';

const OVERRIDES = {
  'zookeeper.session.timeout.ms': 4_000,
  'replica.lag.time.max.ms': 5_000,
  'auto.leader.rebalance.enable': false,
};
/** Enough data that a follower throttled to THROTTLE_BYTES_PER_SEC cannot catch up during the test. */
const SLOW_RECORDS = 3_000;
const SLOW_RECORD_BYTES = 1_000;
const THROTTLE_BYTES_PER_SEC = 1_000;

describe('partition reassignment on three brokers', { timeout: 300_000 }, () => {
  let cluster: ThreeBrokerCluster;
  let libs: KafkaLibs;
  let files: string;
  const B = () => ['--bootstrap-server', cluster.livePorts().map((p) => `127.0.0.1:${p}`).join(',')];
  const reassign = (...args: string[]) => tidelog(['reassign-partitions', ...B(), ...args]);
  const kafkaReassign = (...args: string[]) => runKafkaClass(libs, 'org.apache.kafka.tools.reassign.ReassignPartitionsCommand', [...B(), ...args], { heap: '256M', timeoutMs: 120_000 });
  const jsonFile = (name: string, partitions: { topic: string; partition: number; replicas: number[] }[]) => {
    const file = path.join(files, `${name}.json`);
    writeFileSync(file, JSON.stringify({ version: 1, partitions }));
    return file;
  };

  /** A one-partition topic on the given replicas, online with both in the ISR everywhere. */
  async function createOn(topic: string, replicas: number[]): Promise<void> {
    const port = cluster.livePorts()[0]!;
    const r = await requestOnce(port, ApiKey.CreateTopics, 5, { topics: [{ name: topic, numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: replicas }], configs: [] }], timeoutMs: 10_000, validateOnly: false }, `CreateTopics ${topic}`);
    assert.equal(r.topics[0]!.errorCode, ErrorCode.NONE, r.topics[0]!.errorMessage ?? '');
    await waitFor(`${topic} online with ISR ${replicas.join(',')}`, async () => {
      const views = await cluster.metadataFromAll(topic).catch(() => null);
      return views !== null && views.every((v) => v.partitions[0]?.errorCode === ErrorCode.NONE && v.partitions[0].isr.join() === [...replicas].sort().join());
    }, { timeoutMs: 30_000, intervalMs: 100 });
  }

  async function fill(topic: string): Promise<void> {
    const r = await tidelog(['producer-perf', ...B(), '--topic', topic, '--num-records', String(SLOW_RECORDS), '--record-size', String(SLOW_RECORD_BYTES), '--throughput', '-1', '--producer-props', 'acks=all']);
    assert.equal(r.code, 0, r.stderr);
  }

  async function replicasEverywhere(topic: string, replicas: number[]): Promise<void> {
    await waitFor(`every broker's metadata shows ${topic}-0 on ${replicas.join(',')}`, async () => {
      const views = await cluster.metadataFromAll(topic).catch(() => null);
      return views !== null && views.every((v) => v.partitions[0]?.replicas.join() === replicas.join());
    }, { timeoutMs: 30_000, intervalMs: 100 });
  }

  const hasLog = (broker: number, topic: string) => existsSync(path.join(cluster.dataDir(broker), `${topic}-0`));
  const sameShape = (s: string, topic: string) => s.replaceAll(topic, 'T');

  before(async () => {
    libs = await ensureKafkaLibs();
    files = tempDir('tidelog-reassign-');
    cluster = await ThreeBrokerCluster.start({ chroot: '/tidelog-reassign', overrides: OVERRIDES });
  });

  after(async () => {
    await cluster?.close();
    if (files) removeDir(files);
  });

  it('moves a partition with data from {1,2} to {2,3} under an acks=-1 producer: nothing acknowledged lost, the old replica deleted', async () => {
    const topic = 'moved';
    await createOn(topic, [1, 2]);
    const producer = new VerifyingProducer({ topic, partitions: 1, bootstrapPorts: () => cluster.allPorts(), pauseMs: 5 });
    await producer.start();
    try {
      await producer.waitForAcksSince(0, [0], 20_000, 'first acknowledged produce');
      await new Promise((r) => setTimeout(r, 1_000));
      const file = jsonFile('moved', [{ topic, partition: 0, replicas: [2, 3] }]);
      const exec = await reassign('--execute', '--reassignment-json-file', file);
      assert.equal(exec.code, 0, exec.stdout + exec.stderr);
      assert.equal(
        exec.stdout,
        `Current partition replica assignment\n\n{"version":1,"partitions":[{"topic":"moved","partition":0,"replicas":[1,2],"log_dirs":[${JSON.stringify(cluster.dataDir(1))},${JSON.stringify(cluster.dataDir(2))}]}]}\n\n` +
          'Save this to use as the --reassignment-json-file option during rollback\nSuccessfully started partition reassignment for moved-0\n',
      );
      let verify = '';
      await waitFor('--verify reports the reassignment completed', async () => {
        const r = await reassign('--verify', '--reassignment-json-file', file);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        verify = r.stdout;
        return verify.includes('is completed');
      }, { timeoutMs: 30_000, intervalMs: 300 });
      assert.equal(verify, 'Status of partition reassignment:\nReassignment of partition moved-0 is completed.\n\nClearing broker-level throttles on brokers 1,2,3\nClearing topic-level throttles on topic moved\n');
      await producer.waitForAcksSince(Date.now() + 1, [0], 20_000, 'acknowledged produce after the move');
    } finally {
      await producer.stop();
    }
    await replicasEverywhere(topic, [2, 3]);
    const view = await cluster.metadata(topic);
    assert.ok([2, 3].includes(view.partitions[0]!.leader), `leader ${view.partitions[0]!.leader} is a new replica`);
    await waitFor('broker 1 deleted its log of moved-0', () => !hasLog(1, topic), { timeoutMs: 10_000, intervalMs: 100 });
    const consumed = await consumePartition(cluster, topic, 0, 30_000);
    const v = verifyPartition(consumed, producer.partitions[0]!);
    assert.deepEqual(v.lost.slice(0, 20), [], 'acknowledged records lost');
    assert.deepEqual(v.problems.slice(0, 20), [], 'offsets and order');
    assert.ok(v.acknowledged > 0);
    await waitFor('brokers 2 and 3 hold the same records', () => logSummary(readReplicaLog(cluster.dataDir(2), topic, 0)) === logSummary(readReplicaLog(cluster.dataDir(3), topic, 0)), { timeoutMs: 20_000, intervalMs: 200 });
    assert.equal(logSummary(readReplicaLog(cluster.dataDir(3), topic, 0)), logSummary(consumed.records), 'the new replica holds what was consumed');
    const list = await reassign('--list');
    assert.equal(list.stdout, 'No partition reassignments found.\n');
  });

  it('a throttled move stays in progress: --list shows it, --cancel reverts it; the same lines as Kafka\'s tool', async () => {
    const [ours, theirs] = ['slow', 'slow-kafka'];
    await Promise.all([createOn(ours, [1, 2]), createOn(theirs, [1, 2])]);
    await fill(ours);
    await fill(theirs);
    const f = (t: string) => jsonFile(t, [{ topic: t, partition: 0, replicas: [2, 3] }]);
    const o = await reassign('--execute', '--reassignment-json-file', f(ours), '--throttle', String(THROTTLE_BYTES_PER_SEC));
    assert.equal(o.code, 0, o.stdout + o.stderr);
    const k = await kafkaReassign('--execute', '--additional', '--reassignment-json-file', f(theirs), '--throttle', String(THROTTLE_BYTES_PER_SEC));
    assert.equal(k.code, 0, k.stdout + k.stderr);
    assert.match(o.stdout, /Warning: You must run --verify periodically.*\nThe inter-broker throttle limit was set to 1000 B\/s\nSuccessfully started partition reassignment for slow-0\n$/);
    assert.equal(sameShape(o.stdout, ours), sameShape(k.stdout, theirs));

    // The throttle holds the new follower back: after a while broker 3 still lacks most records.
    await new Promise((r) => setTimeout(r, 3_000));
    const copied = readReplicaLog(cluster.dataDir(3), ours, 0).length;
    assert.ok(copied < SLOW_RECORDS, `broker 3 copied ${copied} of ${SLOW_RECORDS} records despite a ${THROTTLE_BYTES_PER_SEC} B/s throttle`);

    const [lo, lk] = await Promise.all([reassign('--list'), kafkaReassign('--list')]);
    assert.equal(lo.code, 0, lo.stderr);
    assert.equal(lo.stdout, 'Current partition reassignments:\nslow-0: replicas: 2,3,1. adding: 3. removing: 1.\nslow-kafka-0: replicas: 2,3,1. adding: 3. removing: 1.\n');
    assert.equal(lk.stdout, lo.stdout, 'Kafka\'s tool lists the same');

    const vo = await reassign('--verify', '--reassignment-json-file', f(ours));
    assert.equal(vo.stdout, 'Status of partition reassignment:\nReassignment of partition slow-0 is still in progress.\n\n');
    const vk = await kafkaReassign('--verify', '--reassignment-json-file', f(theirs));
    assert.equal(sameShape(vo.stdout, ours), sameShape(vk.stdout, theirs));

    // Both keep the throttles (clearing them would let the other tool's move complete at once).
    const co = await reassign('--cancel', '--preserve-throttles', '--reassignment-json-file', f(ours));
    const ck = await kafkaReassign('--cancel', '--preserve-throttles', '--reassignment-json-file', f(theirs));
    assert.equal(co.code, 0, co.stdout + co.stderr);
    assert.equal(ck.code, 0, ck.stdout + ck.stderr);
    assert.equal(co.stdout, 'Successfully cancelled partition reassignment for: slow-0\nNone of the specified partition moves are active.');
    assert.equal(sameShape(co.stdout, ours), sameShape(ck.stdout, theirs));
    // Back to the original replicas in the order they have in RS = TRS + ORS (Kafka's
    // ReplicaAssignment.originReplicas): the preferred leader may change, as with Kafka.
    await replicasEverywhere(ours, [2, 1]);
    await replicasEverywhere(theirs, [2, 1]);
    await waitFor('broker 3 deleted the logs of the cancelled replicas', () => !hasLog(3, ours) && !hasLog(3, theirs), { timeoutMs: 10_000, intervalMs: 100 });
    assert.equal((await reassign('--list')).stdout, 'No partition reassignments found.\n');
    const again = await reassign('--cancel', '--reassignment-json-file', f(ours));
    assert.equal(again.stdout, 'None of the specified partition reassignments are active.\nNone of the specified partition moves are active.Clearing broker-level throttles on brokers 1,2,3\nClearing topic-level throttles on topic slow\n');
  });

  it('--generate proposes an assignment over the given brokers, printed as Kafka\'s tool prints it', async () => {
    const file = path.join(files, 'topics.json');
    writeFileSync(file, JSON.stringify({ version: 1, topics: [{ topic: 'moved' }] }));
    const args = ['--generate', '--topics-to-move-json-file', file, '--broker-list', '1,3'];
    const [o, k] = await Promise.all([reassign(...args), kafkaReassign(...args)]);
    assert.equal(o.code, 0, o.stdout + o.stderr);
    assert.equal(k.code, 0, k.stdout + k.stderr);
    const m = /^Current partition replica assignment\n(.*)\n\nProposed partition reassignment configuration\n(.*)\n$/.exec(o.stdout);
    assert.ok(m, o.stdout);
    assert.equal(m[1], `{"version":1,"partitions":[{"topic":"moved","partition":0,"replicas":[2,3],"log_dirs":[${JSON.stringify(cluster.dataDir(2))},${JSON.stringify(cluster.dataDir(3))}]}]}`);
    const proposed = JSON.parse(m[2]!) as { partitions: { replicas: number[] }[] };
    assert.deepEqual([...proposed.partitions[0]!.replicas].sort(), [1, 3]);
    // The start broker is drawn at random (Kafka's AdminUtils): compare with the replicas masked.
    const mask = (s: string) => s.replace(/"replicas":\[[\d,]*\]/g, '"replicas":[R]');
    assert.equal(mask(o.stdout), mask(k.stdout));
  });

  it('errors are Kafka\'s: an unknown broker, an unknown partition, cancelling nothing', async () => {
    const client = await KafkaClient.connect({ bootstrap: cluster.livePorts().map((p) => `127.0.0.1:${p}`) });
    try {
      const r = await client.alterPartitionReassignments([
        { topic: 'moved', partition: 0, replicas: [2, 9] },
        { topic: 'moved', partition: 7, replicas: [1, 2] },
        { topic: 'moved', partition: 0, replicas: [] },
        { topic: 'nope', partition: 0, replicas: null },
      ]);
      assert.equal(r.errorCode, ErrorCode.NONE);
      assert.deepEqual(r.results.map((x) => x.errorCode), [ErrorCode.INVALID_REPLICA_ASSIGNMENT, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_REPLICA_ASSIGNMENT, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
      const cancel = await client.alterPartitionReassignments([{ topic: 'moved', partition: 0, replicas: null }]);
      assert.equal(cancel.results[0]!.errorCode, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS);
      // Another broker than the controller refuses, as Kafka's ZooKeeper-mode brokers do.
      const controller = (await cluster.metadata(null)).controllerId;
      const other = [...cluster.brokers].find(([id]) => id !== controller)![1];
      const answer = await requestOnce(other.port, ApiKey.ListPartitionReassignments, 0, { timeoutMs: 5_000, topics: null }, 'ListPartitionReassignments');
      assert.equal(answer.errorCode, ErrorCode.NOT_CONTROLLER);
    } finally {
      client.close();
    }
    const exec = await reassign('--execute', '--additional', '--reassignment-json-file', jsonFile('bad', [{ topic: 'moved', partition: 0, replicas: [2, 9] }]));
    assert.equal(exec.code, 1);
    assert.equal(exec.stdout, 'Error: Unknown broker id 9\n');
  });

  it('the legacy path: a reassignment written to /admin/reassign_partitions is carried out and leaves the znode', async () => {
    const topic = 'legacy';
    await createOn(topic, [1, 2]);
    const zk = await ZkClient.connect({ connect: cluster.connect, sessionTimeoutMs: 10_000, connectionTimeoutMs: 10_000, logger: silentLogger() });
    try {
      await zk.create(ZkPaths.reassignPartitions, encodeLegacyReassignments([{ topic, partition: 0, replicas: [3, 1] }]));
      await replicasEverywhere(topic, [3, 1]);
      await waitFor('/admin/reassign_partitions deleted once the move completed', async () => (await zk.getData(ZkPaths.reassignPartitions)) === null, { timeoutMs: 10_000, intervalMs: 100 });
    } finally {
      zk.close();
    }
    await waitFor('broker 2 deleted its log of legacy-0', () => !hasLog(2, topic), { timeoutMs: 10_000, intervalMs: 100 });
  });

  it('a controller failover in the middle: the new controller resumes the move from ZooKeeper and completes it', async (t) => {
    const topic = 'failover';
    await createOn(topic, [1, 2]);
    await fill(topic);
    const file = jsonFile(topic, [{ topic, partition: 0, replicas: [2, 3] }]);
    const exec = await reassign('--execute', '--additional', '--reassignment-json-file', file, '--throttle', String(THROTTLE_BYTES_PER_SEC));
    assert.equal(exec.code, 0, exec.stdout + exec.stderr);
    const zk = await ZkClient.connect({ connect: cluster.connect, sessionTimeoutMs: 10_000, connectionTimeoutMs: 10_000, logger: silentLogger() });
    try {
      const znode = decodeTopicAssignment(topic, (await zk.getData(ZkPaths.topic(topic)))!.data);
      assert.deepEqual([znode.partitions.get(0), znode.adding.get(0), znode.removing.get(0)], [[2, 3, 1], [3], [1]], 'the reassignment is in the topic znode');
    } finally {
      zk.close();
    }
    const controller = (await cluster.metadata(null)).controllerId;
    t.diagnostic(`killing the controller, broker ${controller}`);
    await cluster.kill(controller);
    await waitFor('a new controller', async () => {
      const v = await cluster.metadata(null).catch(() => null);
      return v !== null && v.controllerId > 0 && v.controllerId !== controller;
    }, { timeoutMs: 30_000, intervalMs: 100 });
    // The new controller lists the reassignment it found in ZooKeeper.
    await waitFor('the new controller lists the ongoing reassignment', async () => (await reassign('--list')).stdout === 'Current partition reassignments:\nfailover-0: replicas: 2,3,1. adding: 3. removing: 1.\n', { timeoutMs: 20_000, intervalMs: 300 });
    // A target replica must come back before the move can complete; broker 1 (only in the
    // original replicas) comes back after it, to find its log stray and delete it at start-up.
    const restartFirst = controller !== 1;
    if (restartFirst) {
      await cluster.restartBroker(controller);
      // Its throttle is lifted through its own connection: every broker must list it first
      // (the client routes a broker's configs by the metadata it gets).
      await waitFor(`every broker lists broker ${controller} again`, async () => (await cluster.metadataFromAll(null).catch(() => null))?.every((v) => v.brokers.has(controller)) === true, { timeoutMs: 30_000, intervalMs: 100 });
    }
    // Lift the throttle; the new follower catches up and the new controller completes the move.
    const client = await KafkaClient.connect({ bootstrap: cluster.livePorts().map((p) => `127.0.0.1:${p}`) });
    try {
      // Each broker's own dynamic configs are altered on that broker (as Kafka's admin client
      // sends them): the live ones; one still down keeps its throttle until it is back.
      for (const id of (await client.metadata([])).brokers.map((b) => b.nodeId)) {
        const r = await client.alterConfigs(RESOURCE_BROKER, String(id), {}, ['leader.replication.throttled.rate', 'follower.replication.throttled.rate']);
        assert.equal(r.errorCode, ErrorCode.NONE, r.errorMessage ?? '');
      }
    } finally {
      client.close();
    }
    await waitFor('--verify reports the reassignment completed', async () => (await reassign('--verify', '--reassignment-json-file', file)).stdout.includes('is completed'), { timeoutMs: 60_000, intervalMs: 500 });
    if (!restartFirst) await cluster.restartBroker(controller);
    await replicasEverywhere(topic, [2, 3]);
    await waitFor('broker 1 deleted its log of failover-0', () => !hasLog(1, topic), { timeoutMs: 20_000, intervalMs: 100 });
    const consumed = await consumePartition(cluster, topic, 0, 30_000);
    assert.equal(consumed.records.length, SLOW_RECORDS, 'every record is still there');
  });

  it('no broker logged an error through all of it', () => {
    const errors = [...cluster.brokers].flatMap(([id, b]) => b.logLines.filter((l) => /"level":(50|60)/.test(l)).map((l) => `broker ${id}: ${l.slice(0, 300)}`));
    assert.deepEqual(errors, []);
  });
});
