// Three broker processes and a real ZooKeeper on 127.0.0.1 (zookeeper.connect with a chroot):
// all register; exactly one is controller; SIGKILL of the controller elects another; a topic
// created through one broker (RF 3, 3 partitions) is seen with the same assignment and
// leaders from all three; a duplicate broker id is refused; with RF 1 produce and consume work
// end to end through the leader, and the other brokers answer NOT_LEADER_OR_FOLLOWER.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { cliPath, removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { startZooKeeper, type ZooKeeperServer } from './zookeeper.js';
import { waitFor } from '../helpers/wait.js';

const CHROOT = '/tidelog-test';

interface MetadataView {
  brokers: number[];
  controllerId: number;
  topics: Map<string, { partition: number; leader: number; replicas: number[]; errorCode: number }[]>;
}

async function metadata(b: BrokerProcess, topics: string[] | null = null): Promise<MetadataView> {
  const c = await KafkaConnection.connect('127.0.0.1', b.port, 'cluster-test');
  try {
    const r = await c.request(ApiKey.Metadata, 9, { topics: topics === null ? null : topics.map((name) => ({ name })), allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    return {
      brokers: r.brokers.map((x) => x.nodeId).sort(),
      controllerId: r.controllerId,
      topics: new Map(r.topics.map((t) => [t.name!, t.partitions.map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, replicas: [...p.replicaNodes], errorCode: p.errorCode })).sort((a, b) => a.partition - b.partition)])),
    };
  } finally {
    c.close();
  }
}

describe('a three-broker cluster on ZooKeeper', { timeout: 240_000 }, () => {
  let zk: ZooKeeperServer;
  const brokers = new Map<number, BrokerProcess>();
  const dirs: string[] = [];
  const start = async (id: number) => {
    const b = await startBrokerProcess({
      overrides: {
        'broker.id': id,
        'zookeeper.connect': `${zk.connect}${CHROOT}`,
        'zookeeper.session.timeout.ms': 4000,
        'zookeeper.connection.timeout.ms': 10000,
      },
    });
    dirs.push(b.dataDir);
    brokers.set(id, b);
    return b;
  };

  before(async () => {
    zk = await startZooKeeper();
    await Promise.all([1, 2, 3].map((id) => start(id)));
  });
  after(async () => {
    for (const b of brokers.values()) await b.stop();
    for (const d of dirs) removeDir(d);
    await zk.close();
  });

  it('all three register, every broker lists all three, exactly one is controller', async () => {
    for (const b of brokers.values()) await waitFor('three live brokers', async () => (await metadata(b)).brokers.join() === '1,2,3');
    const views = await Promise.all([...brokers.values()].map((b) => metadata(b)));
    const controller = views[0]!.controllerId;
    assert.ok([1, 2, 3].includes(controller));
    for (const v of views) assert.equal(v.controllerId, controller, 'one controller for everyone');
    const elected = [...brokers.values()].flatMap((b) => b.logLines.filter((l) => l.includes('"elected controller"')));
    assert.equal(elected.length, 1, 'exactly one broker was elected');
  });

  it("every broker's admin API shows the real controller, every live broker and every group of the cluster", async () => {
    for (const b of brokers.values()) await waitFor('three live brokers', async () => (await metadata(b)).brokers.join() === '1,2,3');
    const controller = (await metadata(brokers.get(1)!)).controllerId;
    for (const b of brokers.values()) {
      const cluster = (await (await fetch(`${b.adminUrl}/v1/cluster`)).json()) as { controllerId: number; brokers: { id: number; port: number; isController: boolean; version: string | null }[] };
      assert.equal(cluster.controllerId, controller, `controller seen by ${b.port}`);
      assert.deepEqual(cluster.brokers.map((x) => [x.id, x.port, x.isController]), [1, 2, 3].map((id) => [id, brokers.get(id)!.port, id === controller]));
      assert.equal(cluster.brokers.filter((x) => x.version !== null).length, 1, 'the answering broker gives its version');
      const listed = (await (await fetch(`${b.adminUrl}/v1/brokers`)).json()) as { brokers: unknown[] };
      assert.deepEqual(listed.brokers, cluster.brokers);
    }
    // Groups whose coordinators are spread over the three brokers (committed outside group management).
    const client = await KafkaClient.connect({ bootstrap: `127.0.0.1:${brokers.get(1)!.port}` });
    const groupIds = Array.from({ length: 8 }, (_, i) => `spread-${i}`);
    const coordinators = new Set<string>();
    try {
      assert.equal((await client.createTopic('admin-groups', { partitions: 1, replicationFactor: 1 })).errorCode, ErrorCode.NONE);
      for (const g of groupIds) {
        const results = await client.commitOffsets(g, [{ topic: 'admin-groups', partition: 0, offset: 0 }]);
        assert.deepEqual(results.map((r) => r.errorCode), [ErrorCode.NONE]);
        coordinators.add((await client.coordinator(g)).address);
      }
    } finally {
      client.close();
    }
    assert.ok(coordinators.size >= 2, `the groups have coordinators on several brokers: ${[...coordinators].join(', ')}`);
    for (const b of brokers.values()) {
      const listed = (await (await fetch(`${b.adminUrl}/v1/groups`)).json()) as { groups: { groupId: string; state: string }[] };
      assert.deepEqual(listed.groups.filter((g) => g.groupId.startsWith('spread-')).map((g) => [g.groupId, g.state]), groupIds.map((g) => [g, 'Empty']), `groups listed by ${b.port}`);
      for (const g of groupIds.slice(0, 3)) {
        const described = (await (await fetch(`${b.adminUrl}/v1/groups/${g}`)).json()) as { offsets: { topic: string; committedOffset: number; logEndOffset: number }[] };
        assert.deepEqual(described.offsets.map((o) => [o.topic, o.committedOffset, o.logEndOffset]), [['admin-groups', 0, 0]], `${g} described by ${b.port}`);
      }
    }
  });

  it('a topic created through one broker (RF 3, 3 partitions) looks the same from all three', async () => {
    const c = await KafkaConnection.connect('127.0.0.1', brokers.get(2)!.port, 'cluster-test');
    try {
      const r = await c.request(ApiKey.CreateTopics, 5, { topics: [{ name: 'rf3', numPartitions: 3, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
      assert.equal(r.topics[0]!.errorCode, ErrorCode.NONE, r.topics[0]!.errorMessage ?? '');
      const tooMany = await c.request(ApiKey.CreateTopics, 5, { topics: [{ name: 'rf4', numPartitions: 1, replicationFactor: 4, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
      assert.equal(tooMany.topics[0]!.errorCode, ErrorCode.INVALID_REPLICATION_FACTOR);
      assert.equal(tooMany.topics[0]!.errorMessage, 'Replication factor: 4 larger than available brokers: 3.');
    } finally {
      c.close();
    }
    let first: string | null = null;
    for (const b of brokers.values()) {
      await waitFor(`leaders of rf3 on broker ${b.port}`, async () => {
        const ps = (await metadata(b, ['rf3'])).topics.get('rf3');
        return ps !== undefined && ps.length === 3 && ps.every((p) => p.errorCode === ErrorCode.NONE);
      });
      const partitions = (await metadata(b, ['rf3'])).topics.get('rf3')!;
      assert.equal(partitions.length, 3);
      for (const p of partitions) {
        assert.deepEqual([...p.replicas].sort(), [1, 2, 3]);
        assert.equal(p.leader, p.replicas[0], 'the preferred replica leads');
      }
      const shown = JSON.stringify(partitions);
      first ??= shown;
      assert.equal(shown, first, 'the same assignment and leaders everywhere');
    }
    const leaders = new Set((await metadata(brokers.get(1)!, ['rf3'])).topics.get('rf3')!.map((p) => p.leader));
    assert.equal(leaders.size, 3, 'leadership spread over the three brokers');
  });

  it("the CLI's --zookeeper finds the registered brokers, as Kafka's older scripts did", async () => {
    const listed = spawnSync(process.execPath, [cliPath, 'topics', '--zookeeper', `${zk.connect}${CHROOT}`, '--list'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(listed.status, 0, listed.stderr);
    assert.ok(listed.stdout.split('\n').includes('rf3'), listed.stdout);
    const empty = spawnSync(process.execPath, [cliPath, 'topics', '--zookeeper', `${zk.connect}/no-such-cluster`, '--list'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(empty.status, 2);
    assert.match(empty.stderr, /^tidelog: no broker is registered in ZooKeeper at .*\/no-such-cluster/);
  });

  it('with RF 1 produce and consume go through the leader; the others answer NOT_LEADER_OR_FOLLOWER', async () => {
    const kafka = new Kafka({ clientId: 'cluster-test', brokers: [brokers.get(1)!.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: 'unused' });
    try {
      assert.equal(await admin.createTopics({ topics: [{ topic: 'rf1', numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true }), true);
      await waitFor('rf1 online', async () => (await metadata(brokers.get(3)!, ['rf1'])).topics.get('rf1')?.every((p) => p.errorCode === ErrorCode.NONE) ?? false);
      await producer.connect();
      const messages = Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: i % 3 }));
      await producer.send({ topic: 'rf1', acks: -1, messages });
      const view = (await metadata(brokers.get(1)!, ['rf1'])).topics.get('rf1')!;
      for (const p of view) {
        const offsets = await admin.fetchTopicOffsets('rf1');
        assert.equal(offsets.find((o) => Number(o.partition) === p.partition)?.high, '10');
        // Produce to a broker that is not the leader.
        const other = [...brokers.entries()].find(([id]) => id !== p.leader)![1];
        const c = await KafkaConnection.connect('127.0.0.1', other.port, 'cluster-test');
        try {
          const fetch = await c.request(ApiKey.Fetch, 11, {
            replicaId: -1,
            maxWaitMs: 0,
            minBytes: 1,
            maxBytes: 1 << 20,
            isolationLevel: 0,
            sessionId: 0,
            sessionEpoch: -1,
            topics: [{ topic: 'rf1', partitions: [{ partition: p.partition, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
            forgottenTopicsData: [],
            rackId: '',
          });
          assert.equal(fetch.responses[0]!.partitions[0]!.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
        } finally {
          c.close();
        }
      }
      // Read everything back through kafkajs (which follows the leaders).
      const seen: string[] = [];
      await consumer.connect().catch(() => undefined);
      for (const p of view) {
        const leader = brokers.get(p.leader)!;
        const c = await KafkaConnection.connect('127.0.0.1', leader.port, 'cluster-test');
        try {
          const fetch = await c.request(ApiKey.Fetch, 4, {
            replicaId: -1,
            maxWaitMs: 0,
            minBytes: 1,
            maxBytes: 1 << 20,
            isolationLevel: 0,
            topics: [{ topic: 'rf1', partitions: [{ partition: p.partition, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }],
          });
          const part = fetch.responses[0]!.partitions[0]!;
          assert.equal(part.errorCode, ErrorCode.NONE);
          assert.equal(part.highWatermark, 10);
          seen.push(String(p.partition));
        } finally {
          c.close();
        }
      }
      assert.equal(seen.length, 3);
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it('refuses a second broker with an id already registered', async () => {
    // It binds its listeners before registering (Kafka's order), then stops with the error.
    const duplicate = await startBrokerProcess({
      overrides: { 'broker.id': 2, 'zookeeper.connect': `${zk.connect}${CHROOT}`, 'zookeeper.session.timeout.ms': 4000, 'admin.listener': '' },
    }).catch((err: Error) => err);
    if (!(duplicate instanceof Error)) {
      dirs.push(duplicate.dataDir);
      const code = await new Promise<number | null>((resolve) => (duplicate.child.exitCode !== null ? resolve(duplicate.child.exitCode) : duplicate.child.once('exit', resolve)));
      assert.notEqual(code, 0);
    }
    const output = duplicate instanceof Error ? duplicate.message : duplicate.logLines.join('\n');
    assert.match(output, /Error while creating ephemeral at \/brokers\/ids\/2, node already exists and owner '\d+' does not match current session '\d+'/);
    assert.equal((await metadata(brokers.get(2)!)).brokers.join(), '1,2,3', 'the registered broker 2 is still there');
  });

  it('SIGKILL of the controller elects another', async () => {
    const before = (await metadata(brokers.get(1)!)).controllerId;
    const victim = brokers.get(before)!;
    await victim.kill();
    brokers.delete(before);
    const started = Date.now();
    const rest = [...brokers.values()];
    await waitFor('a new controller known to both survivors', async () => {
      const views = await Promise.all(rest.map((b) => metadata(b)));
      return views.every((v) => v.controllerId !== before && v.controllerId !== -1 && v.controllerId === views[0]!.controllerId && v.brokers.length === 2);
    }, { timeoutMs: 30_000 });
    const elapsedMs = Date.now() - started;
    assert.ok(elapsedMs < 15_000, `took ${elapsedMs} ms (session timeout 4000 ms)`);
  });
});
