// Consumer groups in a ZooKeeper cluster (issue #7): a real ZooKeeper and broker processes on
// 127.0.0.1.
//   1. One broker alone with offsets.topic.replication.factor=3 refuses to create
//      __consumer_offsets: FindCoordinator answers COORDINATOR_NOT_AVAILABLE and the broker logs
//      Kafka's "Number of alive brokers ..." message.
//   2. Three brokers: the first FindCoordinator creates __consumer_offsets with
//      offsets.topic.num.partitions partitions, replication factor 3, compacted, segment.bytes
//      from offsets.topic.segment.bytes, and the brokers' min.insync.replicas.
//   3. FindCoordinator from every broker names the leader of the group's partition (its id
//      and port); the other two answer group requests NOT_COORDINATOR.
//   4. A kafkajs consumer group reads an RF 3 topic and commits; the coordinator is killed
//      with SIGKILL; another broker takes over the group's partition and loads it: the
//      offsets committed before the kill are there, the running member keeps consuming
//      records produced after the kill (every one; some twice when the client lost its
//      generation meanwhile: at least once), and a new member (after the first left) resumes
//      exactly at the committed offsets: nothing skipped, nothing read again.
//   5. The killed broker restarts and takes the group back by preferred leader election
//      (ElectLeaders): it loads the partition from its replica, the other broker unloads it,
//      and the running member follows and keeps consuming and committing.
//   6. A topic deleted through another broker loses its committed offsets on the coordinator
//      (last: deleting a topic while followers fetch it disturbs the replica fetchers).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { GROUP_METADATA_TOPIC_NAME, partitionForGroup } from '../../src/groups/offsets-topic.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { BROKER_IDS, ThreeBrokerCluster, metadataFrom, requestOnce, withTimeout } from './three-brokers.js';
import { startZooKeeper, zookeeperInstalled, type ZooKeeperServer } from './zookeeper.js';
import { waitFor } from '../helpers/wait.js';

const SKIP = zookeeperInstalled() ? false : 'ZooKeeper is not installed (scripts/install-test-deps.sh)';
const OFFSETS_PARTITIONS = 6;
const OFFSETS_SEGMENT_BYTES = 10 * 1024 * 1024;
const MIN_INSYNC_REPLICAS = 2;
const OVERRIDES = {
  'zookeeper.session.timeout.ms': 4_000,
  'zookeeper.connection.timeout.ms': 10_000,
  'replica.lag.time.max.ms': 5_000,
  'offsets.topic.replication.factor': 3,
  'offsets.topic.num.partitions': OFFSETS_PARTITIONS,
  'offsets.topic.segment.bytes': OFFSETS_SEGMENT_BYTES,
  'min.insync.replicas': MIN_INSYNC_REPLICAS,
  'group.initial.rebalance.delay.ms': 0,
};
const TOPIC = 'orders';
const TOPIC_PARTITIONS = 3;
const RECORDS_PER_PHASE = 90;
/** Bounds on waits (a hang becomes a readable failure; nothing asserts on elapsed time). */
const COORDINATOR_TIMEOUT_MS = 60_000;
const CONSUME_TIMEOUT_MS = 90_000;
const CLIENT_CLOSE_TIMEOUT_MS = 10_000;
const TOPIC_CONFIG_RESOURCE = 2;

async function findCoordinator(port: number, groupId: string) {
  return requestOnce(port, ApiKey.FindCoordinator, 3, { key: groupId, keyType: 0 }, `FindCoordinator from port ${port}`);
}

/** OffsetFetch v5 (every committed offset of the group): the group-level error code and the offsets. */
async function offsetFetch(port: number, groupId: string): Promise<{ errorCode: number; offsets: Map<number, number> }> {
  const r = await requestOnce(port, ApiKey.OffsetFetch, 5, { groupId, topics: null }, `OffsetFetch from port ${port}`);
  const offsets = new Map<number, number>();
  for (const t of r.topics) if (t.name === TOPIC) for (const p of t.partitions) offsets.set(p.partitionIndex, p.committedOffset);
  return { errorCode: r.errorCode, offsets };
}

describe('__consumer_offsets needs offsets.topic.replication.factor live brokers', { timeout: 120_000, skip: SKIP }, () => {
  let zk: ZooKeeperServer;
  let broker: BrokerProcess | undefined;

  before(async () => {
    zk = await startZooKeeper();
  });
  after(async () => {
    await broker?.kill();
    if (broker) removeDir(broker.dataDir);
    await zk?.close();
  });

  it('one broker of three refuses with COORDINATOR_NOT_AVAILABLE and logs Kafka\'s message', async () => {
    broker = await startBrokerProcess({ overrides: { 'broker.id': 1, 'zookeeper.connect': `${zk.connect}/tidelog-offsets-rf`, 'admin.listener': '', ...OVERRIDES } });
    await waitFor('the broker registered', async () => (await metadataFrom(broker!.port, null)).brokers.size === 1);
    const r = await findCoordinator(broker.port, 'any-group');
    assert.equal(r.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    assert.equal(r.nodeId, -1);
    const expected =
      "Number of alive brokers '1' does not meet the required replication factor '3' for the offsets topic (configured via 'offsets.topic.replication.factor'). " +
      'This error can be ignored if the cluster is starting up and not all brokers are up yet.';
    const logged = () =>
      broker!.logLines.some((l) => {
        try {
          return (JSON.parse(l) as { msg?: string }).msg === expected;
        } catch {
          return false;
        }
      });
    // The log line travels through the child's stdout: it may arrive after the response.
    await waitFor("the broker logs Kafka's message", logged, { timeoutMs: 10_000, intervalMs: 50 }).catch((err: Error) => {
      throw new Error(`${err.message}; it logged:\n${broker!.logLines.slice(-10).join('\n')}`);
    });
    const topics = await requestOnce(broker.port, ApiKey.Metadata, 9, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }, 'Metadata');
    assert.deepEqual(topics.topics.map((t) => t.name), [], 'the offsets topic was not created');
  });
});

interface Seen {
  readonly value: string;
  readonly partition: number;
  readonly offset: number;
}

describe('consumer groups across three brokers (real ZooKeeper)', { timeout: 600_000, skip: SKIP }, () => {
  let cluster: ThreeBrokerCluster;
  const portOf = (id: number) => cluster.brokers.get(id)!.port;

  before(async () => {
    cluster = await ThreeBrokerCluster.start({ chroot: '/tidelog-group-failover', overrides: OVERRIDES });
  });
  after(async () => {
    await cluster?.close();
  });

  /** The leader of the group's __consumer_offsets partition once every live broker agrees on one (`expected` if given). */
  async function offsetsLeader(groupId: string, expected?: number): Promise<number> {
    const partition = partitionForGroup(groupId, OFFSETS_PARTITIONS);
    let leader = -1;
    await waitFor(`one live leader of ${GROUP_METADATA_TOPIC_NAME}-${partition} seen by every broker`, async () => {
      const views = await cluster.metadataFromAll(GROUP_METADATA_TOPIC_NAME).catch(() => null);
      if (views === null) return false;
      const leaders = new Set(views.map((v) => v.partitions.find((p) => p.partition === partition)?.leader ?? -1));
      leader = [...leaders][0]!;
      return leaders.size === 1 && leader > 0 && cluster.livePorts().includes(portOf(leader)) && (expected === undefined || leader === expected);
    }, { timeoutMs: COORDINATOR_TIMEOUT_MS, intervalMs: 100 });
    return leader;
  }

  it('the first FindCoordinator creates __consumer_offsets: offsets.topic.* partitions and replication factor, compacted, the brokers\' min.insync.replicas', async () => {
    await waitFor('FindCoordinator answers a coordinator', async () => (await findCoordinator(portOf(1), 'first')).errorCode === ErrorCode.NONE, { timeoutMs: COORDINATOR_TIMEOUT_MS, intervalMs: 100 });
    for (const view of await cluster.metadataFromAll(GROUP_METADATA_TOPIC_NAME)) {
      assert.equal(view.partitions.length, OFFSETS_PARTITIONS, `partitions seen by broker ${view.from}`);
      for (const p of view.partitions) assert.deepEqual([...p.replicas].sort(), [...BROKER_IDS], `replicas of partition ${p.partition}`);
    }
    const described = await requestOnce(
      portOf(2),
      ApiKey.DescribeConfigs,
      4,
      { resources: [{ resourceType: TOPIC_CONFIG_RESOURCE, resourceName: GROUP_METADATA_TOPIC_NAME, configurationKeys: ['cleanup.policy', 'segment.bytes', 'min.insync.replicas', 'compression.type'] }], includeSynonyms: false, includeDocumentation: false },
      'DescribeConfigs',
    );
    const result = described.results[0]!;
    assert.equal(result.errorCode, ErrorCode.NONE);
    assert.deepEqual(Object.fromEntries(result.configs.map((c) => [c.name, c.value])), {
      'cleanup.policy': 'compact',
      'segment.bytes': String(OFFSETS_SEGMENT_BYTES),
      'min.insync.replicas': String(MIN_INSYNC_REPLICAS),
      'compression.type': 'producer',
    });
  });

  it('FindCoordinator from every broker names the leader of the group partition; the others answer NOT_COORDINATOR', async () => {
    const group = 'routing';
    const leader = await offsetsLeader(group);
    for (const id of BROKER_IDS) {
      const r = await findCoordinator(portOf(id), group);
      assert.equal(r.errorCode, ErrorCode.NONE, `FindCoordinator from broker ${id}`);
      assert.equal(r.nodeId, leader, `FindCoordinator from broker ${id}`);
      assert.equal(r.port, portOf(leader));
      assert.equal(r.host, '127.0.0.1');
    }
    await waitFor('the coordinator loaded the partition', async () => (await offsetFetch(portOf(leader), group)).errorCode === ErrorCode.NONE, { timeoutMs: COORDINATOR_TIMEOUT_MS, intervalMs: 100 });
    for (const id of BROKER_IDS.filter((b) => b !== leader)) {
      assert.equal((await offsetFetch(portOf(id), group)).errorCode, ErrorCode.NOT_COORDINATOR, `OffsetFetch on broker ${id}`);
      const hb = await requestOnce(portOf(id), ApiKey.Heartbeat, 3, { groupId: group, generationId: 1, memberId: 'm', groupInstanceId: null }, 'Heartbeat');
      assert.equal(hb.errorCode, ErrorCode.NOT_COORDINATOR, `Heartbeat on broker ${id}`);
      const join = await requestOnce(
        portOf(id),
        ApiKey.JoinGroup,
        5,
        { groupId: group, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] },
        'JoinGroup',
      );
      assert.equal(join.errorCode, ErrorCode.NOT_COORDINATOR, `JoinGroup on broker ${id}`);
    }
  });

  describe('SIGKILL of the coordinator', () => {
    const GROUP = 'order-readers';
    let kafka: Kafka;
    let admin: Admin;
    let producer: Producer;
    const consumers: Consumer[] = [];
    /** Set by the SIGKILL case for the preferred-election case after it. */
    let victim = -1;
    let successor = -1;
    const seenSecond: Seen[] = [];

    before(async () => {
      await cluster.createTopic(TOPIC, TOPIC_PARTITIONS, 3, { 'min.insync.replicas': String(MIN_INSYNC_REPLICAS) });
      kafka = new Kafka({
        clientId: 'group-failover-test',
        brokers: cluster.allPorts().map((p) => `127.0.0.1:${p}`),
        logLevel: logLevel.NOTHING,
        retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1_000 },
      });
      admin = kafka.admin();
      await admin.connect();
      producer = kafka.producer();
      await producer.connect();
    });
    after(async () => {
      // Bounded: a client retrying against a broken cluster must not hold the test open.
      const bounded = (p: Promise<unknown> | undefined, what: string) => withTimeout(Promise.resolve(p), CLIENT_CLOSE_TIMEOUT_MS, what).catch(() => undefined);
      await Promise.all(consumers.map((c) => bounded(c.disconnect(), 'consumer disconnect')));
      await bounded(producer?.disconnect(), 'producer disconnect');
      await bounded(admin?.disconnect(), 'admin disconnect');
    });

    async function produce(phase: string): Promise<string[]> {
      const values = Array.from({ length: RECORDS_PER_PHASE }, (_, i) => `${phase}-${i}`);
      await producer.send({ topic: TOPIC, acks: -1, messages: values.map((value, i) => ({ value, partition: i % TOPIC_PARTITIONS })) });
      return values;
    }

    async function startConsumer(seen: Seen[]): Promise<Consumer> {
      const consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1_000 } });
      consumers.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ partition, message }) => void seen.push({ value: message.value!.toString(), partition, offset: Number(message.offset) }) });
      return consumer;
    }

    /** The group's committed offsets, through whichever broker coordinates it now (kafkajs finds it). */
    async function committedOffsets(): Promise<number[]> {
      const r = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
      const byPartition = new Map(r[0]!.partitions.map((p) => [p.partition, Number(p.offset)]));
      return Array.from({ length: TOPIC_PARTITIONS }, (_, p) => byPartition.get(p) ?? -1);
    }

    async function waitForCommitted(expected: number[], what: string): Promise<void> {
      let last: number[] = [];
      await waitFor(`${what} (committed ${last.join()}, expected ${expected.join()})`, async () => {
          last = await committedOffsets().catch(() => last);
          return last.join() === expected.join();
        }, { timeoutMs: CONSUME_TIMEOUT_MS, intervalMs: 200 }
      );
    }

    /** The topic's high watermarks (a producer retry may have written a record twice: offsets are read, not computed). */
    async function highWatermarks(): Promise<number[]> {
      const r = await admin.fetchTopicOffsets(TOPIC);
      const byPartition = new Map(r.map((p) => [p.partition, Number(p.high)]));
      return Array.from({ length: TOPIC_PARTITIONS }, (_, p) => byPartition.get(p) ?? -1);
    }
    const valuesOf = (seen: readonly Seen[]) => new Set(seen.map((s) => s.value));

    it('the group keeps consuming under a new coordinator; committed offsets survive; a new member resumes at them', async (t) => {
      // Before the kill: one member consumes phase a and commits.
      const phaseA = await produce('a');
      const seenFirst: Seen[] = [];
      const first = await startConsumer(seenFirst);
      await waitFor('the first member consumed phase a', () => phaseA.every((v) => valuesOf(seenFirst).has(v)), { timeoutMs: CONSUME_TIMEOUT_MS, intervalMs: 100 });
      const committedBeforeKill = await highWatermarks();
      await waitForCommitted(committedBeforeKill, 'phase a committed');

      victim = await offsetsLeader(GROUP);
      const coordinator = await findCoordinator(portOf(victim), GROUP);
      assert.equal(coordinator.nodeId, victim, 'the coordinator is the leader of the group partition');
      const controller = (await cluster.metadata(null)).controllerId;
      t.diagnostic(`group ${GROUP}: ${GROUP_METADATA_TOPIC_NAME}-${partitionForGroup(GROUP, OFFSETS_PARTITIONS)}, coordinator broker ${victim}, controller ${controller}`);
      await cluster.kill(victim);

      // Another broker becomes leader of the group partition and loads it: the commits are there.
      successor = await offsetsLeader(GROUP);
      assert.notEqual(successor, victim);
      for (const port of cluster.livePorts()) {
        await waitFor(`FindCoordinator on port ${port} names broker ${successor}`, async () => {
          const r = await findCoordinator(port, GROUP).catch(() => null);
          return r !== null && r.errorCode === ErrorCode.NONE && r.nodeId === successor;
        }, { timeoutMs: COORDINATOR_TIMEOUT_MS, intervalMs: 100 });
      }
      let loaded = { errorCode: -1, offsets: new Map<number, number>() };
      await waitFor(`broker ${successor} loaded the group (last error ${loaded.errorCode})`, async () => {
        loaded = await offsetFetch(portOf(successor), GROUP).catch(() => loaded);
        return loaded.errorCode === ErrorCode.NONE;
      }, { timeoutMs: COORDINATOR_TIMEOUT_MS, intervalMs: 100 });
      assert.deepEqual([...loaded.offsets].sort((a, b) => a[0] - b[0]), committedBeforeKill.map((o, p) => [p, o]), 'the offsets committed before the kill');
      t.diagnostic(`new coordinator: broker ${successor}`);

      // The running member keeps consuming under the new coordinator.
      const phaseB = await produce('b');
      await waitFor('the first member consumed phase b after the kill', () => phaseB.every((v) => valuesOf(seenFirst).has(v)), { timeoutMs: CONSUME_TIMEOUT_MS, intervalMs: 100 });
      const committedAfterKill = await highWatermarks();
      await waitForCommitted(committedAfterKill, 'phase b committed through the new coordinator');
      await first.disconnect();

      // A new member resumes from the committed offsets: phase c only.
      const phaseC = await produce('c');
      await startConsumer(seenSecond);
      await waitFor('the new member consumed phase c', () => phaseC.every((v) => valuesOf(seenSecond).has(v)), { timeoutMs: CONSUME_TIMEOUT_MS, intervalMs: 100 });
      const reread = seenSecond.filter((s) => !s.value.startsWith('c-'));
      assert.deepEqual(reread, [], 'the new member read nothing before the committed offsets');
      for (let p = 0; p < TOPIC_PARTITIONS; p++) {
        const offsets = seenSecond.filter((s) => s.partition === p).map((s) => s.offset);
        assert.equal(Math.min(...offsets), committedAfterKill[p], `partition ${p} resumed at the committed offset`);
      }
      for (const v of [...phaseA, ...phaseB]) assert.ok(valuesOf(seenFirst).has(v), `record ${v} consumed by the first member`);
      const copies = new Map<string, number>();
      for (const s of seenFirst) copies.set(s.value, (copies.get(s.value) ?? 0) + 1);
      const again = [...copies].filter(([, n]) => n > 1).map(([v]) => v);
      t.diagnostic(`first member: ${seenFirst.length} records (${phaseA.length + phaseB.length} distinct expected), read again: ${again.filter((v) => v.startsWith('a-')).length} of phase a, ${again.filter((v) => v.startsWith('b-')).length} of phase b; new member: ${seenSecond.length} records`);
    });

    it('the restarted broker takes the group back by preferred leader election: it loads the replicated partition, the other unloads it, the member follows', async (t) => {
      assert.ok(victim > 0 && successor > 0, 'the SIGKILL case ran');
      const partition = partitionForGroup(GROUP, OFFSETS_PARTITIONS);
      await cluster.restartBroker(victim);
      await waitFor(`broker ${victim} back in the ISR of ${GROUP_METADATA_TOPIC_NAME}-${partition}`, async () => {
        const views = await cluster.metadataFromAll(GROUP_METADATA_TOPIC_NAME).catch(() => null);
        return views !== null && views.length === 3 && views.every((v) => v.partitions.find((p) => p.partition === partition)?.isr.includes(victim) ?? false);
      }, { timeoutMs: COORDINATOR_TIMEOUT_MS, intervalMs: 100 });
      const view = await cluster.metadata(GROUP_METADATA_TOPIC_NAME);
      assert.equal(view.partitions.find((p) => p.partition === partition)!.replicas[0], victim, 'the killed coordinator is the preferred replica');
      const committedBefore = await committedOffsets();

      // ElectLeaders (preferred) through the controller moves the partition back.
      const controllerPort = portOf(view.controllerId);
      const elected = await requestOnce(controllerPort, ApiKey.ElectLeaders, 1, { electionType: 0, topicPartitions: [{ topic: GROUP_METADATA_TOPIC_NAME, partitions: [partition] }], timeoutMs: 10_000 }, 'ElectLeaders');
      assert.equal(elected.errorCode, ErrorCode.NONE);
      assert.equal(elected.replicaElectionResults[0]!.partitionResult[0]!.errorCode, ErrorCode.NONE, elected.replicaElectionResults[0]!.partitionResult[0]!.errorMessage ?? '');
      await offsetsLeader(GROUP, victim);

      // The restarted broker read the group back from its replica of the partition.
      let loaded = { errorCode: -1, offsets: new Map<number, number>() };
      await waitFor(`broker ${victim} loaded the group (last error ${loaded.errorCode})`, async () => {
        loaded = await offsetFetch(portOf(victim), GROUP).catch(() => loaded);
        return loaded.errorCode === ErrorCode.NONE;
      }, { timeoutMs: COORDINATOR_TIMEOUT_MS, intervalMs: 100 });
      assert.deepEqual([...loaded.offsets].sort((a, b) => a[0] - b[0]), committedBefore.map((o, p) => [p, o]), 'the offsets committed through the other coordinator');
      // The other broker hears of the election through its own watch, maybe a moment later.
      await waitFor(`broker ${successor} unloaded the group (NOT_COORDINATOR)`, async () => (await offsetFetch(portOf(successor), GROUP).catch(() => null))?.errorCode === ErrorCode.NOT_COORDINATOR, { timeoutMs: COORDINATOR_TIMEOUT_MS, intervalMs: 100 });

      // The running member finds the coordinator again and keeps consuming; its commits land there.
      const phaseD = await produce('d');
      await waitFor('the member consumed phase d after the election', () => phaseD.every((v) => valuesOf(seenSecond).has(v)), { timeoutMs: CONSUME_TIMEOUT_MS, intervalMs: 100 }).catch((err: unknown) => {
        for (const id of BROKER_IDS) for (const l of cluster.brokers.get(id)!.logLines) if (/order-readers|__consumer_offsets-5|orders|controller|error|warn/i.test(l)) console.log(`broker ${id}: ${l.slice(0, 400)}`);
        console.log(`seen: ${seenSecond.map((x) => `${x.partition}:${x.offset}`).join(' ')}`);
        throw err;
      });
      const committedAfter = await highWatermarks();
      await waitForCommitted(committedAfter, 'phase d committed through the restarted coordinator');
      assert.deepEqual((await offsetFetch(portOf(victim), GROUP)).offsets.get(0), committedAfter[0]);
      const twice = (phase: string) => seenSecond.filter((x) => x.value.startsWith(phase)).length - new Set(seenSecond.filter((x) => x.value.startsWith(phase)).map((x) => x.value)).size;
      t.diagnostic(`group back on broker ${victim}; member: ${seenSecond.length} records, read again: ${twice('c-')} of phase c, ${twice('d-')} of phase d`);
    });
  });

  it('a topic deleted through another broker loses its committed offsets on the coordinator', async () => {
    const group = 'short-lived-readers';
    const topic = 'short-lived';
    await cluster.createTopic(topic, 1, 3, {});
    const coordinator = await offsetsLeader(group);
    await waitFor('the coordinator loaded the partition', async () => (await offsetFetch(portOf(coordinator), group)).errorCode === ErrorCode.NONE, { timeoutMs: COORDINATOR_TIMEOUT_MS, intervalMs: 100 });
    const committed = await requestOnce(
      portOf(coordinator),
      ApiKey.OffsetCommit,
      8,
      { groupId: group, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: -1, committedMetadata: null }] }] },
      'OffsetCommit',
    );
    assert.equal(committed.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    const other = BROKER_IDS.find((id) => id !== coordinator)!;
    const deleted = await requestOnce(portOf(other), ApiKey.DeleteTopics, 4, { topicNames: [topic], timeoutMs: 30_000 }, 'DeleteTopics');
    assert.equal(deleted.responses[0]!.errorCode, ErrorCode.NONE);
    await waitFor(`the offsets of ${topic} removed on broker ${coordinator}`, async () => {
      const r = await requestOnce(portOf(coordinator), ApiKey.OffsetFetch, 5, { groupId: group, topics: null }, 'OffsetFetch');
      return r.errorCode === ErrorCode.NONE && r.topics.every((t) => t.name !== topic);
    }, { timeoutMs: COORDINATOR_TIMEOUT_MS, intervalMs: 100 });
  });
});
