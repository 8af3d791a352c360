// Real third-party client: kafkajs (producer and admin) against a broker process, with the
// messages read back by a second, independent client (kcat).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, CompressionTypes } from 'kafkajs';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { kcat } from '../helpers/kcat.js';

describe('kafkajs', { timeout: 180_000 }, () => {
  let broker: BrokerProcess;
  let kafka: Kafka;

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'auto.create.topics.enable': false } });
    kafka = new Kafka({ clientId: 'tidelog-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
  });

  after(async () => {
    await broker.stop();
    removeDir(broker.dataDir);
  });

  it('admin creates, lists, describes and deletes topics', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      assert.equal(await admin.createTopics({ topics: [{ topic: 'js-admin', numPartitions: 4, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] }), true);
      assert.equal(await admin.createTopics({ topics: [{ topic: 'js-admin', numPartitions: 4 }] }), false, 'an existing topic is not created again');
      assert.ok((await admin.listTopics()).includes('js-admin'));
      const meta = await admin.fetchTopicMetadata({ topics: ['js-admin'] });
      assert.equal(meta.topics[0]!.partitions.length, 4);
      for (const p of meta.topics[0]!.partitions) {
        assert.equal(p.leader, 0);
        assert.deepEqual(p.replicas, [0]);
        assert.deepEqual(p.isr, [0]);
      }
      const configs = await admin.describeConfigs({ resources: [{ type: 2, name: 'js-admin', configNames: ['retention.ms', 'cleanup.policy'] }], includeSynonyms: false });
      const entries = Object.fromEntries(configs.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
      assert.deepEqual(entries, { 'retention.ms': '3600000', 'cleanup.policy': 'delete' });
      await admin.createPartitions({ topicPartitions: [{ topic: 'js-admin', count: 6 }] });
      assert.equal((await admin.fetchTopicMetadata({ topics: ['js-admin'] })).topics[0]!.partitions.length, 6);
      // kafkajs wraps per-topic errors in a KafkaJSAggregateError naming each Kafka error type.
      const failsWith = (type: string) => (err: unknown) => {
        const errors = (err as { errors?: { type?: string }[] }).errors ?? [];
        assert.deepEqual(errors.map((e) => e.type), [type]);
        return true;
      };
      await assert.rejects(admin.createTopics({ topics: [{ topic: 'bad name!', numPartitions: 1 }] }), failsWith('INVALID_TOPIC_EXCEPTION'));
      await assert.rejects(admin.createTopics({ topics: [{ topic: 'bad-config', configEntries: [{ name: 'cleanup.policy', value: 'sometimes' }] }] }), failsWith('INVALID_CONFIG'));
      assert.ok(!(await admin.listTopics()).includes('bad-config'), 'a failed create leaves no topic');
      await admin.deleteTopics({ topics: ['js-admin'] });
      assert.ok(!(await admin.listTopics()).includes('js-admin'));
    } finally {
      await admin.disconnect();
    }
  });

  it('producer messages (keys, headers, gzip) are read back by kcat', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'js-produce', numPartitions: 3 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const sent: string[] = [];
    for (let b = 0; b < 20; b++) {
      const messages = Array.from({ length: 100 }, (_, i) => {
        const n = b * 100 + i;
        sent.push(`js-${n}`);
        return { key: `key-${n % 13}`, value: `js-${n}`, headers: { source: 'kafkajs', n: String(n) } };
      });
      const res = await producer.send({ topic: 'js-produce', acks: -1, compression: b % 2 === 0 ? CompressionTypes.GZIP : CompressionTypes.None, messages });
      assert.ok(res.every((r) => r.errorCode === 0));
    }
    await producer.disconnect();
    const read = await kcat(['-b', broker.bootstrap, '-t', 'js-produce', '-C', '-e', '-o', 'beginning', '-J', '-q']);
    assert.equal(read.code, 0, read.stderr);
    const got = read.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { key: string; payload: string; headers: string[]; partition: number });
    assert.deepEqual(got.map((m) => m.payload).sort(), [...sent].sort());
    for (const m of got) {
      const n = Number(m.payload.slice(3));
      assert.equal(m.key, `key-${n % 13}`);
      assert.deepEqual(m.headers, ['source', 'kafkajs', 'n', String(n)]);
    }
    // kafkajs partitions by murmur2 of the key, like the Java client: a key stays on one partition.
    const partitionOfKey = new Map<string, number>();
    for (const m of got) {
      const seen = partitionOfKey.get(m.key);
      if (seen !== undefined) assert.equal(m.partition, seen);
      partitionOfKey.set(m.key, m.partition);
    }
  });
});
