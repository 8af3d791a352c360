// Transactions on a compacted topic, end to end with real clients: kafkajs's transactional
// producer commits and aborts updates of ten keys, the cleaner compacts the topic, and kcat
// (librdkafka) reads it back. read_committed sees each key's last committed value and never an
// aborted one, before and after cleaning; after cleaning, read_uncommitted no longer sees the
// aborted records either (the cleaner drops aborted transactions' data), each key is left once,
// and the log still ends where it did. The same holds after a restart over the cleaned log.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startBroker, type EmbeddedBroker } from '../../src/embedded.js';
import { kcat } from '../helpers/kcat.js';
import { waitFor } from '../helpers/wait.js';

const TOPIC = 'balances';
const KEYS = 10;
const ROUNDS = 12;
const BROKER_CONFIG = {
  'transaction.state.log.num.partitions': 2,
  'log.cleaner.backoff.ms': 200,
  // Markers and emptied batches go soon after cleaning; 0 would remove them at once.
  'log.cleaner.delete.retention.ms': 1000,
};

describe('transactions on a compacted topic (kafkajs producer, kcat consumer)', { timeout: 180_000 }, () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tidelog-txn-compacted-'));
  let broker: EmbeddedBroker;
  let producer: Producer;
  /** Each key's last committed value, and every aborted value. */
  const committed = new Map<string, string>();
  const aborted = new Set<string>();

  before(async () => {
    broker = await startBroker({ dataDir, config: BROKER_CONFIG });
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        {
          topic: TOPIC,
          numPartitions: 1,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'segment.bytes', value: '2048' },
            { name: 'min.cleanable.dirty.ratio', value: '0.01' },
            { name: 'delete.retention.ms', value: '1000' },
          ],
        },
      ],
    });
    await admin.disconnect();
    producer = kafka.producer({ transactionalId: 'balances-app', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    // Every third round is aborted; the others commit one new value per key.
    for (let round = 0; round < ROUNDS; round++) {
      const txn = await producer.transaction();
      const messages = Array.from({ length: KEYS }, (_, k) => ({ key: `k${k}`, value: `k${k}-r${round}` }));
      await txn.send({ topic: TOPIC, messages });
      if (round % 3 === 2) {
        await txn.abort();
        for (const m of messages) aborted.add(m.value);
      } else {
        await txn.commit();
        for (const m of messages) committed.set(m.key, m.value);
      }
    }
    // Non-transactional filler of one key rolls the segments past the transactions, so that
    // every transaction lies in segments the cleaner may clean (the active one never is).
    const filler = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await filler.connect();
    for (let i = 0; i < 40; i++) await filler.send({ topic: TOPIC, messages: [{ key: 'filler', value: `f${i}-${'x'.repeat(100)}` }] });
    await filler.disconnect();
  });

  after(async () => {
    await producer?.disconnect().catch(() => {});
    await broker?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Every record of the topic as key=value, read to the end by kcat at the isolation level. */
  async function read(isolation: 'read_committed' | 'read_uncommitted'): Promise<{ key: string; value: string; offset: number }[]> {
    const r = await kcat(['-C', '-b', broker.bootstrap, '-t', TOPIC, '-o', 'beginning', '-e', '-q', '-X', `isolation.level=${isolation}`, '-f', '%o %k=%s\\n']);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => {
        const [offset, kv] = [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)];
        const eq = kv.indexOf('=');
        return { offset: Number(offset), key: kv.slice(0, eq), value: kv.slice(eq + 1) };
      });
  }

  const lastPerKey = (records: { key: string; value: string }[]) => new Map(records.filter((r) => r.key !== 'filler').map((r) => [r.key, r.value]));

  it('read_committed sees the last committed value of each key and no aborted one, before cleaning and after', async () => {
    const before = await read('read_committed');
    assert.equal(before.filter((r) => aborted.has(r.value)).length, 0, 'no aborted value read_committed');
    assert.deepEqual(lastPerKey(before), committed);

    // The cleaner drops the aborted transactions' records: read_uncommitted stops seeing them,
    // and each key's older committed values are compacted away.
    await waitFor(
      'the cleaner to remove aborted records and older values',
      async () => {
        const all = await read('read_uncommitted');
        const dataRecords = all.filter((r) => r.key !== 'filler');
        return dataRecords.every((r) => !aborted.has(r.value)) && dataRecords.length === KEYS;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const after = await read('read_committed');
    assert.deepEqual(lastPerKey(after), committed);
    assert.equal(after.filter((r) => r.key !== 'filler').length, KEYS, 'one record per key is left');
    // Offsets are kept: the records that are left keep theirs, in order.
    const offsets = after.map((r) => r.offset);
    assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b));
  });

  it('a restart over the cleaned log reads the same, and the producer id keeps its epoch', async () => {
    const beforeRestart = await read('read_committed');
    const described = broker.broker.transactions.describeTransaction('balances-app');
    await producer.disconnect();
    await broker.close();
    broker = await startBroker({ dataDir, config: BROKER_CONFIG, port: Number(broker.bootstrap.split(':')[1]) });
    assert.deepEqual(await read('read_committed'), beforeRestart);
    const again = broker.broker.transactions.describeTransaction('balances-app');
    assert.deepEqual([again.producerId, again.producerEpoch, again.transactionState], [described.producerId, described.producerEpoch, described.transactionState]);
  });
});
