// Controlled shutdown as a client sees it: a kafkajs producer keeps sending (acks=1, one
// record to every partition every few milliseconds) to an RF 3 topic while the leader of one
// of its partitions stops with SIGTERM. Leadership moves before the broker closes its
// listeners, so the client meets NOT_LEADER_OR_FOLLOWER (or a closed connection), refreshes
// its metadata and goes on: no send fails, and every partition ends led by a running broker.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { startZooKeeper, type ZooKeeperServer } from './zookeeper.js';
import { waitFor } from '../helpers/wait.js';

const TOPIC = 'produced';
const PARTITIONS = 3;

async function leaders(port: number): Promise<{ leaders: number[]; brokers: number[] }> {
  const c = await KafkaConnection.connect('127.0.0.1', port, 'controlled-shutdown-test');
  try {
    const r = await c.request(ApiKey.Metadata, 9, { topics: [{ name: TOPIC }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    const t = r.topics[0]!;
    return { leaders: t.errorCode === ErrorCode.NONE ? [...t.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) => p.leaderId) : [], brokers: r.brokers.map((b) => b.nodeId).sort() };
  } finally {
    c.close();
  }
}

describe('controlled shutdown under a producer', { timeout: 120_000 }, () => {
  let zk: ZooKeeperServer;
  const brokers = new Map<number, BrokerProcess>();

  before(async () => {
    zk = await startZooKeeper();
    await Promise.all(
      [1, 2, 3].map(async (id) => {
        brokers.set(id, await startBrokerProcess({ overrides: { 'broker.id': id, 'zookeeper.connect': `${zk.connect}/controlled-shutdown`, 'zookeeper.session.timeout.ms': 3000, 'admin.listener': '', 'auto.leader.rebalance.enable': false } }));
      }),
    );
    await waitFor('three live brokers', async () => (await leaders(brokers.get(1)!.port)).brokers.join() === '1,2,3');
  });
  after(async () => {
    for (const b of brokers.values()) if (b.child.exitCode === null && b.child.signalCode === null) await b.kill();
    for (const b of brokers.values()) removeDir(b.dataDir);
    await zk.close();
  });

  it('no send fails while a partition leader stops', async () => {
    const kafka = new Kafka({ clientId: 'controlled-shutdown-test', brokers: [...brokers.values()].map((b) => b.bootstrap), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50 } });
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    try {
      assert.equal(await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true }), true);
      await waitFor('leaders', async () => (await leaders(brokers.get(1)!.port)).leaders.every((l) => l > 0));
      await producer.connect();
      const stopping = (await leaders(brokers.get(1)!.port)).leaders[0]!;

      let running = true;
      let sent = 0;
      const failures: string[] = [];
      const loop = (async () => {
        while (running) {
          try {
            await producer.send({ topic: TOPIC, acks: 1, messages: Array.from({ length: PARTITIONS }, (_, p) => ({ partition: p, value: `v${sent}` })) });
            sent++;
          } catch (err) {
            failures.push((err as Error).message);
          }
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      await waitFor('the producer under way', () => sent >= 20);
      const sentBefore = sent;
      assert.equal(await brokers.get(stopping)!.stop(), 0, 'a clean exit');
      await waitFor('the producer going on after the shutdown', () => sent >= sentBefore + 40, { timeoutMs: 30_000 });
      running = false;
      await loop;
      assert.deepEqual(failures, [], 'no send failed');
      const survivor = [...brokers].find(([id]) => id !== stopping)![1];
      const after = await leaders(survivor.port);
      assert.ok(after.leaders.every((l) => l > 0 && l !== stopping), JSON.stringify(after));
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});
