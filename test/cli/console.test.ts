// `tidelog console-producer` and `tidelog console-consumer` as subprocesses: keys and
// separators, gzip and snappy batches written by the tool (read back by kafkajs, an
// independent decoder), batches compressed by librdkafka (kcat) with gzip, snappy and zstd
// and lz4 decoded, --partition/--offset, --max-messages, --timeout-ms, print
// properties, and consuming in a group that commits.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { kcat } from '../helpers/kcat.js';
import { waitFor } from '../helpers/wait.js';
import { isOneLineError, tidelog } from './run.js';

describe('tidelog console-producer and console-consumer', { timeout: 240_000 }, () => {
  let broker: BrokerProcess;
  let B: string[];

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'group.initial.rebalance.delay.ms': 0, 'num.partitions': 1 } });
    B = ['--bootstrap-server', broker.bootstrap];
  });

  after(async () => {
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
  });

  it('produces keyed lines and consumes them with keys, offsets, partitions and timestamps', async () => {
    assert.equal((await tidelog(['topics', ...B, '--create', '--topic', 'keyed', '--partitions', '3'])).code, 0);
    const lines = Array.from({ length: 30 }, (_, i) => `user-${i % 6}:event-${i}`);
    const produced = await tidelog(['console-producer', ...B, '--topic', 'keyed', '--property', 'parse.key=true', '--property', 'key.separator=:', '--producer-property', 'acks=1'], { input: `${lines.join('\n')}\n` });
    assert.equal(produced.code, 0, produced.stderr);

    const consumed = await tidelog([
      'console-consumer', ...B, '--topic', 'keyed', '--from-beginning', '--max-messages', '30',
      '--property', 'print.key=true', '--property', 'print.offset=true', '--property', 'print.partition=true', '--property', 'print.timestamp=true', '--property', 'key.separator=|',
    ]);
    assert.equal(consumed.code, 0, consumed.stderr);
    assert.equal(consumed.stderr, 'Processed a total of 30 messages\n');
    const rows = consumed.stdout.trimEnd().split('\n').map((l) => l.split('|'));
    assert.equal(rows.length, 30);
    const partitionOfKey = new Map<string, string>();
    const offsets = new Map<string, number[]>();
    for (const [ts, partition, offset, key, value] of rows as [string, string, string, string, string][]) {
      assert.match(ts, /^CreateTime:\d{13}$/);
      assert.match(partition, /^Partition:[0-2]$/);
      assert.equal(value.split('-')[1] !== undefined, true);
      // Same key, same partition (murmur2, as Kafka's default partitioner).
      if (partitionOfKey.has(key)) assert.equal(partitionOfKey.get(key), partition, key);
      partitionOfKey.set(key, partition);
      offsets.set(partition, [...(offsets.get(partition) ?? []), Number(offset.replace('Offset:', ''))]);
    }
    for (const list of offsets.values()) assert.deepEqual(list, list.map((_, i) => i), 'per partition, offsets in order from 0');
    // Per key, lines arrive in the order they were written.
    const byKey = new Map<string, string[]>();
    for (const r of rows) byKey.set(r[3]!, [...(byKey.get(r[3]!) ?? []), r[4]!]);
    for (const [key, values] of byKey) assert.deepEqual(values, lines.filter((l) => l.startsWith(`${key}:`)).map((l) => l.slice(key.length + 1)));
  });

  it('writes gzip and snappy batches that kafkajs reads back', async () => {
    for (const codec of ['gzip', 'snappy', 'none']) {
      const topic = `compressed-${codec}`;
      const input = Array.from({ length: 50 }, (_, i) => `${codec} line ${i} ${'x'.repeat(100)}`).join('\n');
      const r = await tidelog(['console-producer', ...B, '--topic', topic, '--compression-codec', codec], { input });
      assert.equal(r.code, 0, r.stderr);
      const back = await tidelog(['console-consumer', ...B, '--topic', topic, '--from-beginning', '--max-messages', '50']);
      assert.deepEqual(back.stdout.trimEnd().split('\n'), input.split('\n'), codec);
    }
    // kafkajs decodes gzip itself: an independent check of the batches this tool writes.
    const kafka = new Kafka({ clientId: 'cli-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: 'kafkajs-reads-gzip', maxWaitTimeInMs: 100 });
    const values: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: 'compressed-gzip', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
    const deadline = Date.now() + 30_000;
    while (values.length < 50 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await consumer.disconnect();
    assert.equal(values.length, 50);
    assert.equal(values[49], `gzip line 49 ${'x'.repeat(100)}`);
  });

  it('writes lz4 and zstd batches that kcat (librdkafka) reads back', async () => {
    for (const codec of ['lz4', 'zstd']) {
      const topic = `written-${codec}`;
      const input = Array.from({ length: 30 }, (_, i) => `${codec} record ${i} ${'y'.repeat(80)}`).join('\n');
      const r = await tidelog(['console-producer', ...B, '--topic', topic, '--compression-codec', codec], { input });
      assert.equal(r.code, 0, r.stderr);
      const back = await kcat(['-b', broker.bootstrap, '-t', topic, '-C', '-e', '-o', 'beginning', '-q']);
      assert.equal(back.code, 0, back.stderr);
      assert.deepEqual(back.stdout.trimEnd().split('\n'), input.split('\n'), codec);
    }
  });

  it('decodes batches compressed by librdkafka with every codec: gzip, snappy, lz4, zstd', async () => {
    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
      const topic = `kcat-${codec}`;
      const input = Array.from({ length: 20 }, (_, i) => `${codec}-${i}`).join('\n') + '\n';
      const produced = await kcat(['-b', broker.bootstrap, '-t', topic, '-P', '-z', codec, '-X', 'linger.ms=50'], input);
      assert.equal(produced.code, 0, produced.stderr);
      const back = await tidelog(['console-consumer', ...B, '--topic', topic, '--from-beginning', '--max-messages', '20', '--timeout-ms', '5000']);
      assert.equal(back.code, 0, back.stderr);
      assert.deepEqual(back.stdout.trimEnd().split('\n'), input.trimEnd().split('\n'), codec);
    }
  });

  it('reads one partition from an offset, stops at --max-messages and after --timeout-ms', async () => {
    const input = Array.from({ length: 10 }, (_, i) => `m${i}`).join('\n');
    assert.equal((await tidelog(['console-producer', ...B, '--topic', 'single'], { input })).code, 0);
    const fromFour = await tidelog(['console-consumer', ...B, '--topic', 'single', '--partition', '0', '--offset', '4', '--max-messages', '3', '--property', 'print.offset=true']);
    assert.equal(fromFour.stdout, 'Offset:4\tm4\nOffset:5\tm5\nOffset:6\tm6\n');
    const started = Date.now();
    const idle = await tidelog(['console-consumer', ...B, '--topic', 'single', '--timeout-ms', '1000']);
    assert.equal(idle.code, 0, idle.stderr);
    assert.equal(idle.stdout, '', 'without --from-beginning: only new records');
    assert.ok(Date.now() - started < 30_000);
    const bad = await tidelog(['console-consumer', ...B, '--topic', 'single', '--offset', '3']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--offset needs --partition/);
    const noPartition = await tidelog(['console-consumer', ...B, '--topic', 'single', '--partition', '7']);
    assert.equal(noPartition.code, 1);
    assert.match(noPartition.stderr, /has no partition 7/);
  });

  it('reads client properties from --producer.config and --consumer.config (flags win over the file)', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tidelog-props-'));
    try {
      const producerConfig = path.join(dir, 'producer.properties');
      writeFileSync(producerConfig, '# Kafka producer properties\nacks=1\ncompression.type=zstd\nclient.id=file-producer\nrequest.timeout.ms=20000\n');
      const produced = await tidelog(['console-producer', ...B, '--topic', 'from-config', '--producer.config', producerConfig], { input: 'a\nb\nc\n' });
      assert.equal(produced.code, 0, produced.stderr);
      const dumped = await tidelog(['dump-log', '--files', path.join(broker.dataDir, 'from-config-0', '00000000000000000000.log')]);
      assert.match(dumped.stdout, / compresscodec: zstd /, 'compression.type from the file');

      const consumerConfig = path.join(dir, 'consumer.properties');
      writeFileSync(consumerConfig, 'client.id=file-consumer\ngroup.id=from-file\nauto.offset.reset=earliest\n');
      const consumed = await tidelog(['console-consumer', ...B, '--topic', 'from-config', '--consumer.config', consumerConfig, '--max-messages', '3']);
      assert.equal(consumed.code, 0, consumed.stderr);
      assert.equal(consumed.stdout, 'a\nb\nc\n');
      // The group (group.id from the file) committed, and the member's client.id was the file's.
      const described = await tidelog(['consumer-groups', ...B, '--describe', '--group', 'from-file']);
      assert.match(described.stdout, /from-file\s+from-config\s+0\s+3\s+3\s+0/);
      // While a member is live, its CLIENT-ID is the --consumer-property one, over the file's.
      const member = tidelog(['console-consumer', ...B, '--topic', 'from-config', '--consumer.config', consumerConfig, '--consumer-property', 'client.id=flag-consumer', '--group', 'live-one', '--timeout-ms', '8000']);
      let members = '';
      await waitFor('a live member of live-one', async () => {
        members = (await tidelog(['consumer-groups', ...B, '--describe', '--group', 'live-one', '--members'])).stdout;
        return /live-one\s+\S+\s+\S+\s+\S+\s+1/.test(members);
      });
      assert.match(members, /live-one\s+\S+\s+\S+\s+flag-consumer\s+1/);
      assert.equal((await member).code, 0);

      const bad = await tidelog(['console-consumer', ...B, '--topic', 'from-config', '--consumer.config', path.join(dir, 'missing.properties')]);
      assert.equal(bad.code, 2);
      assert.ok(isOneLineError(bad), bad.stderr);
      assert.match(bad.stderr, /--consumer\.config .*missing\.properties: ENOENT/);
    } finally {
      removeDir(dir);
    }
    const perfHelp = await tidelog(['producer-perf', '--help']);
    assert.match(perfHelp.stdout, /compression\.type \(none, gzip, snappy, lz4, zstd\)/);
    assert.match(perfHelp.stdout, /--producer\.config FILE/);
    assert.match((await tidelog(['consumer-perf', '--help'])).stdout, /--reporting-interval MS/);
  });

  it('consumes in a group: commits what it printed and resumes there', async () => {
    const input = Array.from({ length: 8 }, (_, i) => `g${i}`).join('\n');
    assert.equal((await tidelog(['console-producer', ...B, '--topic', 'grouped'], { input })).code, 0);
    const first = await tidelog(['console-consumer', ...B, '--topic', 'grouped', '--group', 'console-readers', '--from-beginning', '--max-messages', '5']);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(first.stdout.trimEnd().split('\n'), ['g0', 'g1', 'g2', 'g3', 'g4']);
    const second = await tidelog(['console-consumer', ...B, '--topic', 'grouped', '--group', 'console-readers', '--from-beginning', '--timeout-ms', '1500']);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(second.stdout.trimEnd().split('\n'), ['g5', 'g6', 'g7'], 'the group resumes from its commit');
  });
});
