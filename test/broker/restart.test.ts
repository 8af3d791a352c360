// Durability across restarts: a clean SIGTERM keeps every message and the next start skips
// recovery; a SIGKILL with acks=-1 and log.flush.interval.messages=1 loses no acknowledged
// message (the recovered log holds each one, in order, exactly once).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { recordBatch } from '../helpers/batch.js';
import { removeDir, startBrokerProcess, tempDir } from '../helpers/broker-process.js';
import { kcat } from '../helpers/kcat.js';

async function consumeAll(bootstrap: string, topic: string): Promise<string[]> {
  const out = await kcat(['-b', bootstrap, '-t', topic, '-C', '-e', '-o', 'beginning', '-f', '%p:%o:%s\\n', '-q']);
  assert.equal(out.code, 0, out.stderr);
  return out.stdout.split('\n').filter((l) => l !== '');
}

describe('restart', { timeout: 180_000 }, () => {
  it('keeps every message across a clean shutdown, which the next start does not need to recover', async () => {
    const dataDir = tempDir();
    const overrides = { 'num.partitions': 2, 'log.segment.bytes': 64 * 1024 };
    const first = await startBrokerProcess({ dataDir, overrides });
    const lines = Array.from({ length: 5000 }, (_, i) => `k${i % 10}\tmessage-${i}`);
    const produced = await kcat(['-b', first.bootstrap, '-t', 'durable', '-P', '-K', '\t', '-X', 'acks=all'], `${lines.join('\n')}\n`);
    assert.equal(produced.code, 0, produced.stderr);
    const before = await consumeAll(first.bootstrap, 'durable');
    assert.equal(before.length, 5000);
    assert.equal(await first.stop(), 0, 'SIGTERM exits 0');

    const second = await startBrokerProcess({ dataDir, overrides });
    try {
      assert.ok(!second.logLines.some((l) => l.includes('recovered log')), 'a clean shutdown leaves nothing to recover');
      const after = await consumeAll(second.bootstrap, 'durable');
      assert.deepEqual(after, before);
      const meta = await kcat(['-b', second.bootstrap, '-L', '-t', 'durable', '-J']);
      const topic = (JSON.parse(meta.stdout) as { topics: { topic: string; partitions: unknown[] }[] }).topics[0]!;
      assert.equal(topic.partitions.length, 2, 'the topic and its partition count survive');
    } finally {
      await second.stop();
      removeDir(dataDir);
    }
  });

  it('loses no acknowledged message when killed with SIGKILL (acks=-1, log.flush.interval.messages=1)', async () => {
    const dataDir = tempDir();
    const overrides = { 'log.flush.interval.messages': 1, 'log.segment.bytes': 32 * 1024 };
    const first = await startBrokerProcess({ dataDir, overrides });
    const conn = await KafkaConnection.connect('127.0.0.1', first.port);
    const created = await conn.request(ApiKey.CreateTopics, 7, { topics: [{ name: 'crash', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000 });
    assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);

    const acknowledged: number[] = [];
    let stop = false;
    const inFlight = new Set<Promise<void>>();
    let next = 0;
    const producer = (async () => {
      // Stop once the broker is gone: a closed connection rejects at once, and a loop of
      // microtasks would starve the event loop.
      while (!stop && !conn.closed) {
        const i = next++;
        const batch = recordBatch([{ key: `k${i}`, value: `acked-${i}` }]);
        const p = conn
          .request(ApiKey.Produce, 9, { acks: -1, timeoutMs: 5000, topicData: [{ name: 'crash', partitionData: [{ index: 0, records: batch }] }] })
          .then((r) => {
            if (r.responses[0]!.partitionResponses[0]!.errorCode === ErrorCode.NONE) acknowledged.push(i);
          })
          .catch(() => {});
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
        if (inFlight.size >= 8) await Promise.race(inFlight);
      }
    })();
    while (acknowledged.length < 300) await new Promise((r) => setTimeout(r, 20));
    await first.kill();
    stop = true;
    await producer;
    await Promise.allSettled([...inFlight]);
    conn.close();

    const second = await startBrokerProcess({ dataDir, overrides });
    try {
      const consumed = await consumeAll(second.bootstrap, 'crash');
      const values = consumed.map((l) => l.split(':')[2]!);
      // Offsets are dense and each value appears once.
      consumed.forEach((l, i) => assert.equal(Number(l.split(':')[1]), i));
      assert.equal(new Set(values).size, values.length, 'no duplicates');
      const present = new Set(values);
      for (const i of acknowledged) assert.ok(present.has(`acked-${i}`), `acknowledged message ${i} survives the crash`);
      // Single connection, pipelined in order: the log holds a prefix of what was sent, in order.
      values.forEach((v, i) => assert.equal(v, `acked-${i}`));
    } finally {
      await second.stop();
      removeDir(dataDir);
    }
  });
});
