// Compaction end to end with a real client: kcat (librdkafka) produces keyed records, with
// every codec and with tombstones (-Z sends an empty value as NULL), to topics created with
// cleanup.policy=compact and 1 KiB segments on a broker started in-process; the cleaner runs
// (LogManager.cleanNow, or in the background); kcat reads back the latest value per key at
// its original offset. A reader fetching while the cleaner works sees a consistent log.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBroker, type EmbeddedBroker } from '../../src/embedded.js';
import { kcat } from '../helpers/kcat.js';
import { decodeBatches } from './records.js';

interface Consumed {
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
}

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

async function createCompacted(b: EmbeddedBroker, topic: string, configs: Record<string, string> = {}): Promise<void> {
  const r = await b.broker.topics.createTopic(topic, 1, 1, { 'cleanup.policy': 'compact', 'segment.bytes': '1024', ...configs });
  assert.equal(r.errorCode, 0, JSON.stringify(r));
}

async function produce(b: EmbeddedBroker, topic: string, lines: readonly string[], codec: string = 'none'): Promise<void> {
  const r = await kcat(['-b', b.bootstrap, '-t', topic, '-P', '-K', ':', '-Z', '-z', codec, '-X', 'linger.ms=2', '-X', 'batch.num.messages=25'], `${lines.join('\n')}\n`);
  assert.equal(r.code, 0, `kcat producer failed: ${r.stderr}`);
}

async function consume(b: EmbeddedBroker, topic: string): Promise<Consumed[]> {
  const r = await kcat(['-b', b.bootstrap, '-t', topic, '-C', '-e', '-o', 'beginning', '-J', '-q', '-X', 'check.crcs=true']);
  assert.equal(r.code, 0, `kcat consumer failed: ${r.stderr}`);
  const out = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      const m = JSON.parse(l) as { offset: number; key: string | null; payload: string | null };
      return { offset: m.offset, key: m.key, value: m.payload };
    });
  for (let i = 1; i < out.length; i++) assert.ok(out[i]!.offset > out[i - 1]!.offset, 'offsets increase');
  return out;
}

/** The latest record of each key below `end`, then every record from `end` on. */
function compacted(before: readonly Consumed[], end: number): Consumed[] {
  const latest = new Map<string | null, Consumed>();
  for (const r of before) if (r.offset < end) latest.set(r.key, r);
  return [...[...latest.values()].sort((a, b) => a.offset - b.offset), ...before.filter((r) => r.offset >= end)];
}

function lastValues(records: readonly Consumed[]): Map<string | null, string | null> {
  return new Map(records.map((r) => [r.key, r.value]));
}

function leftovers(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.endsWith('.cleaned') || n.endsWith('.swap'));
}

describe('compaction with kcat', { timeout: 300_000 }, () => {
  let b: EmbeddedBroker;

  before(async () => {
    b = await startBroker({ config: { 'log.cleaner.enable': false } });
  });

  after(async () => {
    await b.close();
  });

  it('keeps the latest value per key at its offset, through every codec', async () => {
    const topic = 'compact-codecs';
    await createCompacted(b, topic);
    for (const codec of CODECS) {
      const lines: string[] = [];
      for (let round = 0; round < 30; round++) for (let k = 0; k < 10; k++) lines.push(`key-${(k * 7 + round) % 13}:${codec}-${round}-${k}-${'v'.repeat(k * 3)}`);
      await produce(b, topic, lines, codec);
    }
    const before = await consume(b, topic);
    assert.equal(before.length, CODECS.length * 300);
    const summaries = await b.broker.logs.cleanNow();
    const s = summaries.find((x) => x.topic === topic);
    assert.ok(s, 'the topic was cleaned');
    assert.equal(s.aborted, false);
    assert.ok(s.recordsRemoved > 0 && s.bytesAfter < s.bytesBefore, JSON.stringify(s));
    const after = await consume(b, topic);
    assert.deepEqual(after, compacted(before, s.endOffset));
    assert.deepEqual(lastValues(after), lastValues(before), 'every key still ends at its latest value');
    assert.ok(after.length < before.length / 2);
    const dir = path.join(b.dataDir, `${topic}-0`);
    assert.deepEqual(leftovers(dir), []);
    const checkpoint = fs.readFileSync(path.join(b.dataDir, 'cleaner-offset-checkpoint'), 'utf8');
    assert.match(checkpoint, new RegExp(`^${topic} 0 ${s.endOffset}$`, 'm'));
  });

  it('removes a tombstone only after one cleaning and delete.retention.ms', async () => {
    const topic = 'compact-tombstones';
    await createCompacted(b, topic, { 'delete.retention.ms': '60000' });
    const filler = (tag: string) => Array.from({ length: 60 }, (_, i) => `filler-${i % 5}:${tag}-${i}-${'f'.repeat(20)}`);
    await produce(b, topic, ['doomed-1:a', 'doomed-2:a', 'kept:a', 'doomed-1:b']);
    await produce(b, topic, ['doomed-1:', 'doomed-2:']); // tombstones
    await produce(b, topic, filler('one'));
    const nowMs = Date.now();
    const first = (await b.broker.logs.cleanNow(nowMs)).find((x) => x.topic === topic);
    assert.ok(first && first.tombstonesRemoved === 0);
    let records = await consume(b, topic);
    assert.deepEqual(
      records.filter((r) => r.key?.startsWith('doomed')).map((r) => [r.key, r.value]),
      [
        ['doomed-1', null],
        ['doomed-2', null],
      ],
      'the values are gone, the tombstones stay',
    );
    // More data to clean; within delete.retention.ms of the first cleaning they still stay.
    await produce(b, topic, filler('two'));
    const second = (await b.broker.logs.cleanNow(nowMs + 59_000)).find((x) => x.topic === topic);
    assert.ok(second && second.tombstonesRemoved === 0);
    records = await consume(b, topic);
    assert.equal(records.filter((r) => r.key?.startsWith('doomed')).length, 2);
    // Past it they go, and with them the keys.
    await produce(b, topic, filler('three'));
    const third = (await b.broker.logs.cleanNow(nowMs + 61_000)).find((x) => x.topic === topic);
    assert.ok(third);
    assert.equal(third.tombstonesRemoved, 2);
    records = await consume(b, topic);
    assert.equal(records.filter((r) => r.key?.startsWith('doomed')).length, 0);
    assert.deepEqual(records.find((r) => r.key === 'kept')?.value, 'a');
  });

  it('readers fetching while the cleaner runs see whole batches and every latest value', async () => {
    const topic = 'compact-busy';
    await createCompacted(b, topic, { 'segment.bytes': '16384' });
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) lines.push(`key-${i % 50}:value-${i}-${'p'.repeat(i % 40)}`);
    await produce(b, topic, lines, 'gzip');
    const final = new Map<string, string>();
    for (const l of lines) final.set(l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1));
    const partition = b.broker.logs.getPartition(topic, 0)!;

    const cleaning = b.broker.logs.cleanNow();
    let done = false;
    void cleaning.finally(() => {
      done = true;
    });
    // A real client reading at the same time...
    const consumer = consume(b, topic);
    // ...and a fetch loop in the broker itself, pass after pass until the cleaner is done.
    let passes = 0;
    while (!done || passes === 0) {
      const seen = new Map<string | null, string | null>();
      let offset = partition.logStartOffset;
      let previous = -1;
      for (;;) {
        const { slice } = partition.read(offset, 32 * 1024, 'read_uncommitted', true);
        if (!slice) break;
        for (const batch of decodeBatches(await slice.toBuffer())) {
          for (const r of batch.records) {
            assert.ok(r.offset > previous, 'offsets increase');
            previous = r.offset;
            seen.set(r.key, r.value);
          }
        }
        offset = slice.lastOffset + 1;
      }
      assert.deepEqual(seen, final, `pass ${passes}: every key at its latest value`);
      passes++;
    }
    const summaries = await cleaning;
    const s = summaries.find((x) => x.topic === topic);
    assert.ok(s && !s.aborted && s.recordsRemoved > 0);
    assert.deepEqual(lastValues(await consumer), final, 'kcat, reading during the clean');
    const after = await consume(b, topic);
    assert.deepEqual(lastValues(after), final);
    assert.ok(after.length < 20_000);
  });
});

describe('background log cleaner', { timeout: 120_000 }, () => {
  it('compacts a dirty topic on its own and stops with the broker', async () => {
    const b = await startBroker({ config: { 'log.cleaner.enable': true, 'log.cleaner.backoff.ms': 20 } });
    try {
      const topic = 'compact-background';
      await createCompacted(b, topic, { 'min.cleanable.dirty.ratio': '0.01' });
      const lines: string[] = [];
      for (let i = 0; i < 400; i++) lines.push(`key-${i % 7}:value-${i}`);
      await produce(b, topic, lines);
      const checkpointFile = path.join(b.dataDir, 'cleaner-offset-checkpoint');
      // Wait for the cleaner's checkpoint (the test's timeout bounds the wait).
      for (;;) {
        if (fs.existsSync(checkpointFile) && fs.readFileSync(checkpointFile, 'utf8').includes(`${topic} 0 `)) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const after = await consume(b, topic);
      assert.ok(after.length < 400, `compacted: ${after.length} records left`);
      assert.deepEqual(lastValues(after), new Map(lines.map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)])));
    } finally {
      await b.close();
    }
  });
});
