// `tidelog dump-log` reads segment, offset index and time index files from disk as Kafka's
// DumpLogSegments (org.apache.kafka.tools.DumpLogSegments, Kafka 4.4) does: both are run on the
// same files, written by a broker process after real traffic (keyed records, every codec, a
// consumer group's commits in __consumer_offsets), and print the same lines; then the same on
// a segment Kafka's own broker wrote.
import assert from 'node:assert/strict';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startKafka } from '../../bench/brokers.js';
import { ensureKafkaLibs, KAFKA_MAIN, runKafkaClass, type KafkaLibs } from '../../bench/kafka-dist.js';
import { removeDir, startBrokerProcess, tempDir } from '../helpers/broker-process.js';
import { isOneLineError, tidelog } from './run.js';

const TOPIC = 'dumped';
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

describe('tidelog dump-log prints what Kafka DumpLogSegments prints', { timeout: 300_000 }, () => {
  let libs: KafkaLibs;
  let dataDir: string;
  let scratch: string;
  let segments: string[];
  let offsetsSegments: string[];

  before(async () => {
    libs = await ensureKafkaLibs();
    dataDir = tempDir('tidelog-dump-cli-');
    scratch = tempDir('tidelog-dump-cli-scratch-');
    // Small segments and index interval: several segments, several index entries each.
    const broker = await startBrokerProcess({ dataDir, overrides: { 'log.segment.bytes': 2048, 'log.index.interval.bytes': 256, 'offsets.topic.num.partitions': 1 } });
    try {
      const B = ['--bootstrap-server', broker.bootstrap];
      assert.equal((await tidelog(['topics', ...B, '--create', '--topic', TOPIC, '--partitions', '1'])).code, 0);
      for (const codec of CODECS) {
        const input = Array.from({ length: 40 }, (_, i) => `${codec}-key-${i}\t${codec} value ${i} ${'abc'.repeat(i % 7)}`).join('\n');
        const r = await tidelog(['console-producer', ...B, '--topic', TOPIC, '--property', 'parse.key=true', '--compression-codec', codec, '--producer-property', 'batch.size=1024'], { input });
        assert.equal(r.code, 0, r.stderr);
      }
      // A group's commits and metadata in __consumer_offsets.
      const consumed = await tidelog(['console-consumer', ...B, '--topic', TOPIC, '--group', 'dumpers', '--from-beginning', '--max-messages', '25']);
      assert.equal(consumed.code, 0, consumed.stderr);
    } finally {
      assert.equal(await broker.stop(), 0, 'clean shutdown');
    }
    const logs = (dir: string) => readdirSync(path.join(dataDir, dir)).filter((f) => f.endsWith('.log')).sort().map((f) => path.join(dataDir, dir, f.slice(0, -'.log'.length)));
    segments = logs(`${TOPIC}-0`);
    offsetsSegments = logs('__consumer_offsets-0');
  });

  after(() => {
    if (dataDir) removeDir(dataDir);
    if (scratch) removeDir(scratch);
  });

  async function both(args: string[]): Promise<{ stdout: string; stderr: string }> {
    const [ours, theirs] = await Promise.all([tidelog(['dump-log', ...args]), runKafkaClass(libs, KAFKA_MAIN.dumpLogSegments, args, { heap: '256M', timeoutMs: 120_000 })]);
    assert.equal(theirs.code, 0, `DumpLogSegments ${args.join(' ')}: ${theirs.stderr}`);
    assert.equal(ours.code, 0, `dump-log ${args.join(' ')}: ${ours.stderr}`);
    assert.equal(ours.stdout, theirs.stdout, `stdout of ${args.join(' ')}`);
    assert.equal(ours.stderr, withoutFirstOffsetQuirk(theirs.stderr), `stderr of ${args.join(' ')}`);
    return ours;
  }

  /**
   * DumpLogSegments starts each file's consecutiveness check at -1, so it reports
   * "-1 is followed by <base offset>" for every segment not starting at 0; dump-log does not.
   */
  function withoutFirstOffsetQuirk(stderr: string): string {
    return stderr.replace(/Non-consecutive offsets in [^\n]*\n {2}-1 is followed by \d+\n(?! {2}\d)/g, '');
  }

  const files = (list: readonly string[], ...suffixes: string[]) => list.flatMap((s) => suffixes.map((x) => `${s}${x}`)).join(',');

  it('the broker wrote several segments of several codecs', () => {
    assert.ok(segments.length >= 3, `segments: ${segments.join(', ')}`);
    assert.ok(offsetsSegments.length >= 1 && statSync(`${offsetsSegments[0]}.log`).size > 0);
  });

  it('batches only, then every record, then keys and payloads, with the indexes', async () => {
    await both(['--files', files(segments, '.log')]);
    await both(['--files', files(segments, '.log', '.index', '.timeindex'), '--deep-iteration']);
    await both(['--files', files(segments, '.log'), '--print-data-log']);
    await both(['--files', files(segments, '.log'), '--print-data-log', '--skip-record-metadata']);
  });

  it('index checks and the offsets decoder', async () => {
    await both(['--files', files(segments, '.index', '.timeindex'), '--verify-index-only']);
    await both(['--files', files(segments, '.index', '.timeindex'), '--index-sanity-check']);
    await both(['--files', files(offsetsSegments, '.log'), '--offsets-decoder']);
  });

  it('reports damage: a torn last batch, and index entries that name no batch', async () => {
    const { copyFileSync, truncateSync } = await import('node:fs');
    const base = path.join(scratch, path.basename(segments[0]!));
    for (const ext of ['.log', '.index', '.timeindex']) copyFileSync(`${segments[0]}${ext}`, `${base}${ext}`);
    truncateSync(`${base}.log`, statSync(`${base}.log`).size - 7);
    // An index entry pointing into the middle of the log.
    const index = Buffer.alloc(8);
    index.writeInt32BE(1, 0);
    index.writeInt32BE(0, 4);
    writeFileSync(`${base}.index`, index);
    const damaged = await both(['--files', `${base}.log,${base}.index`, '--deep-iteration']);
    assert.match(damaged.stdout, /\nFound \d+ invalid bytes at the end of 00000000000000000000\.log\n/);
    assert.match(damaged.stderr, /^Mismatches in :.*00000000000000000000\.index\n {2}Index offset: 1, log offset: \d+\n/);
  });

  it('mistakes are one line', async () => {
    const missing = await tidelog(['dump-log', '--files', path.join(scratch, '00000000000000000999.log')]);
    assert.equal(missing.code, 1);
    assert.ok(isOneLineError(missing), missing.stderr);
    assert.match(missing.stderr, /cannot open .*00000000000000000999\.log: ENOENT/);
    const none = await tidelog(['dump-log']);
    assert.equal(none.code, 2);
    assert.equal(none.stderr, 'tidelog: --files FILE[,FILE...] is required\n');
    const help = await tidelog(['dump-log', '--help']);
    assert.match(help.stdout, /^Usage: tidelog dump-log /);
  });
});

describe("tidelog dump-log reads segments Kafka's own broker wrote", { timeout: 300_000 }, () => {
  let libs: KafkaLibs;
  let dir: string;
  let partitionDir: string;

  before(async () => {
    libs = await ensureKafkaLibs();
    dir = tempDir('tidelog-dump-kafka-');
    const kafka = await startKafka({ libs, dir, logFile: path.join(dir, 'kafka.log'), config: { 'log.index.interval.bytes': '256' } });
    try {
      const B = ['--bootstrap-server', kafka.bootstrap];
      assert.equal((await tidelog(['topics', ...B, '--create', '--topic', TOPIC, '--partitions', '1'])).code, 0);
      for (const codec of CODECS) {
        const input = Array.from({ length: 30 }, (_, i) => `${codec}-key-${i}\t${codec} value ${i}`).join('\n');
        const r = await tidelog(['console-producer', ...B, '--topic', TOPIC, '--property', 'parse.key=true', '--compression-codec', codec, '--producer-property', 'batch.size=512'], { input });
        assert.equal(r.code, 0, r.stderr);
      }
    } finally {
      await kafka.stop();
    }
    partitionDir = path.join(kafka.dataDir, `${TOPIC}-0`);
  });

  after(() => {
    if (dir) removeDir(dir);
  });

  it('prints the same lines as DumpLogSegments', async () => {
    const base = path.join(partitionDir, '00000000000000000000');
    for (const args of [['--files', `${base}.log,${base}.index,${base}.timeindex`, '--print-data-log'], ['--files', `${base}.index,${base}.timeindex`, '--verify-index-only']]) {
      const [ours, theirs] = await Promise.all([tidelog(['dump-log', ...args]), runKafkaClass(libs, KAFKA_MAIN.dumpLogSegments, args, { heap: '256M', timeoutMs: 120_000 })]);
      assert.equal(theirs.code, 0, theirs.stderr);
      assert.equal(ours.code, 0, ours.stderr);
      assert.equal(ours.stdout, theirs.stdout, args.join(' '));
      assert.equal(ours.stderr, theirs.stderr, args.join(' '));
    }
    const batches = (await tidelog(['dump-log', '--files', `${base}.log`])).stdout.split('\n').filter((l) => l.startsWith('baseOffset: '));
    for (const codec of CODECS) assert.ok(batches.some((l) => l.includes(` compresscodec: ${codec} `)), `a ${codec} batch`);
  });
});
