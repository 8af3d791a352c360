// Committed offsets and group metadata survive a broker restart: they live in
// __consumer_offsets and are read back at start-up, so a consumer of the group resumes after
// the last committed message.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { removeDir, startBrokerProcess, tempDir } from '../helpers/broker-process.js';
import { waitFor } from '../helpers/wait.js';

const TOPIC = 'ledger';
const GROUP = 'ledger-readers';

describe('group restart', { timeout: 300_000 }, () => {
  it('keeps committed offsets across a broker restart; a consumer resumes after them', async () => {
    const dataDir = tempDir();
    const overrides = { 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': 7 };
    const first = await startBrokerProcess({ dataDir, overrides });
    let kafka = new Kafka({ brokers: [first.bootstrap], logLevel: logLevel.NOTHING });
    let admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: TOPIC, messages: Array.from({ length: 90 }, (_, i) => ({ partition: i % 3, value: `before-${i}` })) });
    await producer.disconnect();

    const seenBefore = new Set<string>();
    const consumer = kafka.consumer({ groupId: GROUP, heartbeatInterval: 300, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seenBefore.add(message.value!.toString()) });
    await waitFor('90 messages before the restart', () => seenBefore.size === 90);
    await consumer.disconnect();
    // A commit outside group management (generation -1, no member) for another group, as tools do.
    const connection = await KafkaConnection.connect('127.0.0.1', first.port);
    const simple = await connection.request(ApiKey.OffsetCommit, 8, {
      groupId: 'tool-set',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ name: TOPIC, partitions: [{ partitionIndex: 1, committedOffset: 17, committedLeaderEpoch: -1, committedMetadata: 'set by a tool' }] }],
    });
    assert.equal(simple.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    connection.close();
    const committedBefore = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    assert.deepEqual(
      committedBefore[0]!.partitions.map((p) => [p.partition, p.offset]).sort(),
      [
        [0, '30'],
        [1, '30'],
        [2, '30'],
      ],
    );
    await admin.disconnect();
    assert.equal(await first.stop(), 0);

    const second = await startBrokerProcess({ dataDir, overrides });
    try {
      assert.ok(second.logLines.some((l) => l.includes('loaded offsets topic partition')), 'the coordinator read __consumer_offsets at start-up');
      kafka = new Kafka({ brokers: [second.bootstrap], logLevel: logLevel.NOTHING });
      admin = kafka.admin();
      await admin.connect();
      assert.deepEqual(await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] }), committedBefore);
      const tool = await admin.fetchOffsets({ groupId: 'tool-set', topics: [TOPIC] });
      assert.equal(tool[0]!.partitions.find((p) => p.partition === 1)!.offset, '17');
      const [group] = (await admin.describeGroups([GROUP])).groups;
      assert.equal(group!.state, 'Empty');
      assert.equal(group!.protocolType, 'consumer');

      const p2 = kafka.producer();
      await p2.connect();
      await p2.send({ topic: TOPIC, messages: Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, value: `after-${i}` })) });
      await p2.disconnect();
      const seenAfter: string[] = [];
      const c2 = kafka.consumer({ groupId: GROUP, heartbeatInterval: 300, maxWaitTimeInMs: 200 });
      await c2.connect();
      await c2.subscribe({ topic: TOPIC, fromBeginning: true });
      await c2.run({ eachMessage: async ({ message }) => void seenAfter.push(message.value!.toString()) });
      await waitFor('30 messages after the restart', () => seenAfter.length >= 30);
      await c2.disconnect();
      assert.deepEqual(seenAfter.sort(), Array.from({ length: 30 }, (_, i) => `after-${i}`).sort(), 'nothing committed before the restart is read again');
      await admin.disconnect();
    } finally {
      await second.stop();
      removeDir(dataDir);
    }
  });
});
