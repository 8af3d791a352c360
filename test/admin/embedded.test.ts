// `import { startBroker } from 'tidelog'`: two brokers in this process, each on its own
// ephemeral Kafka and admin ports with its own temporary data directory; kafkajs produces to
// and consumes from one of them, and the other does not see the topic.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type EmbeddedBroker, type StartBrokerOptions } from '../../src/index.js';
import { waitFor } from '../helpers/wait.js';

describe('startBroker (embedded)', { timeout: 120_000 }, () => {
  it('runs two brokers in one process; kafkajs produces and consumes against one', async () => {
    const options: StartBrokerOptions = { config: { 'num.partitions': 2, 'group.initial.rebalance.delay.ms': 0 } };
    const brokers: EmbeddedBroker[] = await Promise.all([startBroker(options), startBroker(options)]);
    const [a, b] = brokers as [EmbeddedBroker, EmbeddedBroker];
    try {
      assert.notEqual(a.port, b.port);
      assert.notEqual(a.dataDir, b.dataDir);
      assert.equal(a.bootstrap, `127.0.0.1:${a.port}`);
      assert.ok(a.broker.adminUrl && b.broker.adminUrl && a.broker.adminUrl !== b.broker.adminUrl, 'each has its own ephemeral admin port');

      const kafka = new Kafka({ clientId: 'embedded-test', brokers: [a.bootstrap], logLevel: logLevel.NOTHING });
      const producer = kafka.producer();
      await producer.connect();
      const values = Array.from({ length: 10 }, (_, i) => `event-${i}`);
      await producer.send({ topic: 'events', messages: values.map((value, i) => ({ key: `k${i}`, value })) });
      await producer.disconnect();

      const consumer = kafka.consumer({ groupId: 'embedded-readers', maxWaitTimeInMs: 100 });
      const received: string[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic: 'events', fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void received.push(message.value!.toString()) });
      await waitFor('every event', () => received.length >= values.length);
      await consumer.disconnect();
      assert.deepEqual([...received].sort(), [...values].sort());

      assert.ok(a.broker.topics.getTopic('events'), 'the topic is on the broker kafkajs talked to');
      assert.equal(b.broker.topics.getTopic('events'), undefined, 'and not on the other');
      const topic = (await (await fetch(`${a.broker.adminUrl}/v1/topics/events`)).json()) as { partitions: { highWatermark: number }[] };
      assert.equal(topic.partitions.reduce((n, p) => n + p.highWatermark, 0), values.length);
    } finally {
      await Promise.all(brokers.map((x) => x.close()));
    }
    assert.ok(!existsSync(a.dataDir) && !existsSync(b.dataDir), 'temporary data directories are removed');
  });

  it('closes itself at the end of an `await using` scope, has the admin URL and a test-friendly group delay', async () => {
    let dataDir: string;
    {
      await using broker = await startBroker();
      dataDir = broker.dataDir;
      assert.equal(broker.adminUrl, broker.broker.adminUrl);
      assert.match(broker.adminUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await fetch(`${broker.adminUrl}/v1/cluster`);
      assert.equal(health.status, 200);
      assert.equal(broker.broker.config.values['group.initial.rebalance.delay.ms'], 0);
      assert.ok(existsSync(dataDir));
    }
    assert.ok(!existsSync(dataDir), 'disposed: stopped and its temporary directory removed');
  });

  it('removes its temporary directory when start-up fails', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'tidelog-embedded-'));
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      await assert.rejects(startBroker({ port }), /listeners: cannot listen on PLAINTEXT:\/\/127\.0\.0\.1:\d+: EADDRINUSE/);
      assert.deepEqual(readdirSync(tmp), [], 'no temporary data directory left behind');
    } finally {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
      blocker.close();
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
