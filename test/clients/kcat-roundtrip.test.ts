// Real third-party client: kcat (librdkafka) produces tens of thousands of keyed messages
// with headers through every compression codec and reads them back; content and
// per-partition order are checked against what was sent.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { kcat } from '../helpers/kcat.js';

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const MESSAGES_PER_CODEC = 10_000;
const PARTITIONS = 3;

interface Consumed {
  partition: number;
  offset: number;
  key: string;
  value: string;
  headers: string;
}

/** kcat -J prints one JSON object per message. */
function parseJsonLines(stdout: string): Consumed[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      const m = JSON.parse(l) as { partition: number; offset: number; key: string; payload: string; headers?: string[] };
      return { partition: m.partition, offset: m.offset, key: m.key, value: m.payload, headers: (m.headers ?? []).join(',') };
    });
}

describe('kcat round trip', { timeout: 600_000 }, () => {
  let broker: BrokerProcess;

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'num.partitions': PARTITIONS, 'log.segment.bytes': 1024 * 1024 } });
  });

  after(async () => {
    const code = await broker.stop();
    removeDir(broker.dataDir);
    assert.equal(code, 0, 'broker exits 0 on SIGTERM');
  });

  for (const codec of CODECS) {
    it(`produces and consumes ${MESSAGES_PER_CODEC} keyed messages with headers, compression ${codec}`, async () => {
      const topic = `kcat-${codec}`;
      const lines: string[] = [];
      for (let i = 0; i < MESSAGES_PER_CODEC; i++) lines.push(`key-${i % 97}\tvalue-${codec}-${i}-${'x'.repeat(i % 50)}`);
      const produced = await kcat(
        ['-b', broker.bootstrap, '-t', topic, '-P', '-K', '\t', '-H', `codec=${codec}`, '-H', 'origin=kcat', '-z', codec, '-X', 'linger.ms=5', '-X', 'batch.num.messages=1000'],
        `${lines.join('\n')}\n`,
      );
      assert.equal(produced.code, 0, `kcat producer failed: ${produced.stderr}`);

      const consumed = await kcat(['-b', broker.bootstrap, '-t', topic, '-C', '-e', '-o', 'beginning', '-J', '-q']);
      assert.equal(consumed.code, 0, `kcat consumer failed: ${consumed.stderr}`);
      const messages = parseJsonLines(consumed.stdout);
      assert.equal(messages.length, MESSAGES_PER_CODEC);

      // Every message arrives once, with its key, value and headers.
      const byValue = new Map(messages.map((m) => [m.value, m]));
      for (let i = 0; i < MESSAGES_PER_CODEC; i++) {
        const m = byValue.get(`value-${codec}-${i}-${'x'.repeat(i % 50)}`);
        assert.ok(m, `message ${i} missing`);
        assert.equal(m.key, `key-${i % 97}`);
        assert.equal(m.headers, `codec,${codec},origin,kcat`);
      }
      // Within a partition, offsets are dense from 0 and messages keep the order they were sent in.
      for (let p = 0; p < PARTITIONS; p++) {
        const inPartition = messages.filter((m) => m.partition === p);
        inPartition.forEach((m, i) => assert.equal(m.offset, i, `partition ${p} offsets are dense`));
        const sentIndex = inPartition.map((m) => Number(m.value.split('-')[2]));
        for (let i = 1; i < sentIndex.length; i++) assert.ok(sentIndex[i]! > sentIndex[i - 1]!, `partition ${p} keeps send order`);
        // Same key, same partition.
        const keys = new Set(inPartition.map((m) => m.key));
        for (let q = 0; q < PARTITIONS; q++) {
          if (q === p) continue;
          for (const m of messages.filter((x) => x.partition === q)) assert.ok(!keys.has(m.key), 'a key maps to one partition');
        }
      }
    });
  }

  it('reads from an offset and a partition, and reports the end of the partition', async () => {
    const topic = 'kcat-offsets';
    const lines = Array.from({ length: 100 }, (_, i) => `m${i}`);
    const produced = await kcat(['-b', broker.bootstrap, '-t', topic, '-p', '0', '-P'], `${lines.join('\n')}\n`);
    assert.equal(produced.code, 0, produced.stderr);
    const tail = await kcat(['-b', broker.bootstrap, '-t', topic, '-p', '0', '-C', '-o', '90', '-e', '-f', '%o:%s\\n', '-q']);
    assert.equal(tail.code, 0, tail.stderr);
    assert.deepEqual(tail.stdout.trim().split('\n'), lines.slice(90).map((v, i) => `${90 + i}:${v}`));
    const last = await kcat(['-b', broker.bootstrap, '-t', topic, '-p', '0', '-C', '-o', '-3', '-e', '-f', '%s\\n', '-q']);
    assert.deepEqual(last.stdout.trim().split('\n'), ['m97', 'm98', 'm99']);
  });

  it('lists the broker and topics in metadata (kcat -L)', async () => {
    const meta = await kcat(['-b', broker.bootstrap, '-L', '-J']);
    assert.equal(meta.code, 0, meta.stderr);
    const parsed = JSON.parse(meta.stdout) as { brokers: { id: number; name: string }[]; topics: { topic: string; partitions: unknown[] }[] };
    assert.deepEqual(parsed.brokers.map((b) => b.name), [broker.bootstrap]);
    const t = parsed.topics.find((x) => x.topic === 'kcat-gzip');
    assert.equal(t?.partitions.length, PARTITIONS);
  });
});
