// Apache Kafka's own DumpLogSegments reads a log Tidelog's cleaner rewrote: batches rebuilt
// with their original codec (gzip, snappy, lz4, zstd) and CRC are valid to Kafka, records keep
// their offsets, keys and values, tombstone batches carry the delete horizon where Kafka
// looks for it (KIP-534), and the cleaned segments' indexes pass Kafka's checks.
//
// Needs Java and Kafka's jars, as test/storage/kafka-dump-log.test.ts (scripts/fetch-kafka.sh).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureKafkaLibs, KAFKA_MAIN, runKafkaClass, type JavaResult, type KafkaLibs } from '../../bench/kafka-dist.js';
import { startBroker } from '../../src/embedded.js';
import { tempDir } from '../helpers/broker-process.js';
import { kcat } from '../helpers/kcat.js';

const TOPIC = 'dump-compacted';
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const BATCH_LINE = /^baseOffset: (\d+) lastOffset: (\d+) count: (\d+) .*deleteHorizonMs: OptionalLong(?:\[(\d+)\]|\.empty) .*position: \d+ (?:CreateTime|LogAppendTime): -?\d+ size: \d+ magic: (\d+) compresscodec: (\w+) crc: \d+ isvalid: (true|false)$/;
const RECORD_LINE = /^\| offset: (\d+) (?:CreateTime|LogAppendTime): -?\d+ keySize: (-?\d+) valueSize: (-?\d+) .*?(?: key: (.*?))?(?: payload: (.*))?$/;

interface Batch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly count: number;
  readonly deleteHorizonMs: number | null;
  readonly codec: string;
  readonly isValid: boolean;
}

describe('Kafka DumpLogSegments reads a compacted Tidelog log', { timeout: 900_000 }, () => {
  let libs: KafkaLibs;
  let dataDir: string;
  let files: string[];
  const consumed = new Map<number, { key: string; value: string | null }>();
  let cleanedAtMs = 0;
  let endOffset = 0;

  before(async () => {
    libs = await ensureKafkaLibs();
    dataDir = tempDir('tidelog-dump-compacted-');
    const broker = await startBroker({ dataDir, config: { 'log.cleaner.enable': false, 'log.index.interval.bytes': 128 } });
    try {
      const created = await broker.broker.topics.createTopic(TOPIC, 1, 1, { 'cleanup.policy': 'compact', 'segment.bytes': '1024' });
      assert.equal(created.errorCode, 0);
      for (const codec of CODECS) {
        const lines: string[] = [];
        for (let i = 0; i < 60; i++) lines.push(`${codec}-${i % 9}:${codec}-value-${i}-${'abcdefgh'.repeat(4)}`);
        lines.push(`${codec}-0:`); // a tombstone (-Z)
        const r = await kcat(['-b', broker.bootstrap, '-t', TOPIC, '-P', '-K', ':', '-Z', '-z', codec, '-X', 'linger.ms=5', '-X', 'batch.num.messages=20'], `${lines.join('\n')}\n`);
        assert.equal(r.code, 0, r.stderr);
      }
      cleanedAtMs = Date.now();
      const summary = (await broker.broker.logs.cleanNow(cleanedAtMs)).find((s) => s.topic === TOPIC);
      assert.ok(summary && summary.recordsRemoved > 0, JSON.stringify(summary));
      endOffset = summary.endOffset;
      const c = await kcat(['-b', broker.bootstrap, '-t', TOPIC, '-C', '-e', '-o', 'beginning', '-J', '-q', '-X', 'check.crcs=true']);
      assert.equal(c.code, 0, c.stderr);
      for (const line of c.stdout.split('\n')) {
        if (!line.startsWith('{')) continue;
        const m = JSON.parse(line) as { offset: number; key: string; payload: string | null };
        consumed.set(m.offset, { key: m.key, value: m.payload });
      }
    } finally {
      await broker.close();
    }
    const dir = path.join(dataDir, `${TOPIC}-0`);
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .sort()
      .map((f) => path.join(dir, f.slice(0, -'.log'.length)));
  });

  after(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function dump(args: string[]): Promise<JavaResult> {
    const result = await runKafkaClass(libs, KAFKA_MAIN.dumpLogSegments, args, { heap: '256M', timeoutMs: 120_000 });
    assert.equal(result.code, 0, `DumpLogSegments ${args.join(' ')} exited ${result.code}:\n${result.stderr}`);
    return result;
  }

  it('reads every rebuilt batch and record as a consumer does', async () => {
    const { stdout, stderr } = await dump(['--files', files.map((f) => `${f}.log`).join(','), '--print-data-log', '--deep-iteration']);
    // Offsets have gaps after compaction, which DumpLogSegments reports; nothing else may appear.
    const other = stderr.split('\n').filter((l) => l.trim() !== '' && !/^Non-consecutive offsets in |^ {2}\d+ is followed by \d+$|^ {2}-1 is followed by \d+$/.test(l));
    assert.deepEqual(other, []);
    const batches: Batch[] = [];
    const records = new Map<number, { key: string; value: string | null; valueSize: number }>();
    for (const line of stdout.split('\n')) {
      let m: RegExpExecArray | null;
      if ((m = BATCH_LINE.exec(line))) {
        batches.push({ baseOffset: Number(m[1]), lastOffset: Number(m[2]), count: Number(m[3]), deleteHorizonMs: m[4] === undefined ? null : Number(m[4]), codec: m[6]!, isValid: m[7] === 'true' });
        assert.equal(m[5], '2');
      } else if ((m = RECORD_LINE.exec(line))) {
        records.set(Number(m[1]), { key: m[4]!, value: Number(m[3]) < 0 ? null : (m[5] ?? ''), valueSize: Number(m[3]) });
      }
    }
    assert.ok(batches.length > 0);
    for (const b of batches) assert.ok(b.isValid, `batch ${b.baseOffset} is valid to Kafka`);
    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) assert.ok(batches.some((b) => b.codec === codec), `a ${codec} batch is left`);
    // Below the cleaned end some batches lost records but kept their last offset.
    assert.ok(batches.some((b) => b.lastOffset < endOffset && b.count < b.lastOffset - b.baseOffset + 1), 'rebuilt batches keep their offsets');
    // The records Kafka reads are the ones kcat consumed, offset by offset.
    assert.deepEqual(
      [...records.entries()].map(([o, r]) => [o, r.key, r.value]),
      [...consumed.entries()].map(([o, r]) => [o, r.key, r.value]),
    );
    // Tombstones below the cleaned end sit in batches carrying the delete horizon.
    const tombstones = [...records.entries()].filter(([o, r]) => r.value === null && o < endOffset);
    assert.ok(tombstones.length > 0);
    for (const [offset] of tombstones) {
      const b = batches.find((x) => x.baseOffset <= offset && offset <= x.lastOffset)!;
      assert.equal(b.deleteHorizonMs, cleanedAtMs + 86_400_000, `tombstone at ${offset}: delete horizon = cleaning time + delete.retention.ms`);
    }
  });

  it("the cleaned segments pass Kafka's index sanity check and verification", async () => {
    const indexes = files.flatMap((f) => [`${f}.index`, `${f}.timeindex`]).join(',');
    const sanity = await dump(['--files', indexes, '--index-sanity-check']);
    // A small cleaned segment may have no offset index entry at all ("is empty").
    for (const f of files) assert.match(sanity.stdout, new RegExp(`${path.basename(f)}\\.index (passed sanity check|is empty)\\.`));
    for (const f of files) assert.match(sanity.stdout, new RegExp(`${path.basename(f)}\\.timeindex passed sanity check\\.`));
    const verify = await dump(['--files', indexes, '--verify-index-only']);
    const other = verify.stderr.split('\n').filter((l) => l.trim() !== '' && !/^Non-consecutive offsets in |^ {2}-?\d+ is followed by \d+$/.test(l));
    assert.deepEqual(other, [], 'no index mismatch, timestamp mismatch or out-of-order timestamp');
  });
});
