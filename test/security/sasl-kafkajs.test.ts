// SASL_PLAINTEXT with a third client implementation, kafkajs (its own PLAIN and SCRAM code, and
// the SaslHandshake v1 + SaslAuthenticate exchange): a producer and a consumer group per
// mechanism, and a wrong password refused with kafkajs' authentication error.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';
import { waitFor } from '../helpers/wait.js';
import { ADMIN, createScramUser, saslOverrides, writeClientProperties } from './sasl-broker.js';

describe('SASL_PLAINTEXT with kafkajs', { timeout: 180_000 }, () => {
  let broker: BrokerProcess;
  let dir: string;

  before(async () => {
    dir = tempDir('tidelog-sasl-js-');
    broker = await startBrokerProcess({ overrides: saslOverrides({ 'group.initial.rebalance.delay.ms': 0 }) });
    const adminConfig = writeClientProperties(dir, 'admin.properties', 'PLAIN', ADMIN.user, ADMIN.password);
    await createScramUser(broker.bootstrap, adminConfig, 'jsuser', 'SCRAM-SHA-256=[password=js-256],SCRAM-SHA-512=[password=js-512]');
  });

  after(async () => {
    await broker.stop();
    removeDir(broker.dataDir);
    removeDir(dir);
  });

  const logins: SASLOptions[] = [
    { mechanism: 'plain', username: 'plainuser', password: 'plain-pw' },
    { mechanism: 'scram-sha-256', username: 'jsuser', password: 'js-256' },
    { mechanism: 'scram-sha-512', username: 'jsuser', password: 'js-512' },
  ];
  for (const sasl of logins) {
    it(`produces and consumes in a group with ${sasl.mechanism}`, async () => {
      const kafka = new Kafka({ clientId: 'sasl-js', brokers: [broker.bootstrap], sasl, logLevel: logLevel.NOTHING, retry: { retries: 3 } });
      const topic = `js-${sasl.mechanism}`;
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
      await producer.disconnect();
      const consumer = kafka.consumer({ groupId: `g-${sasl.mechanism}` });
      const seen: string[] = [];
      await consumer.connect();
      try {
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
        await waitFor('three messages', () => seen.length >= 3, { timeoutMs: 60_000 });
      } finally {
        await consumer.disconnect();
      }
      assert.deepEqual(seen, ['a', 'b', 'c']);
    });
  }

  it('refuses a wrong password with an authentication error', async () => {
    const kafka = new Kafka({ clientId: 'sasl-js', brokers: [broker.bootstrap], sasl: { mechanism: 'scram-sha-256', username: 'jsuser', password: 'wrong' }, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const admin = kafka.admin();
    await assert.rejects(admin.connect(), (err: Error) => {
      assert.equal(err.name, 'KafkaJSSASLAuthenticationError');
      assert.match(err.message, /SASL SCRAM SHA256 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256/);
      return true;
    });
  });
});
