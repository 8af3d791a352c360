// Apache Kafka's own DumpLogSegments (org.apache.kafka.tools.DumpLogSegments, Kafka 4.x)
// reads the segment, offset index and time index files a Tidelog broker wrote: every batch
// and record with the right offsets, keys, values and headers, compressed batches
// included, and Kafka's index checks (the one it runs on start-up to decide whether to
// rebuild an index, and the entry-by-entry verification) find nothing wrong.
//
// Needs Java and Kafka's jars: scripts/fetch-kafka.sh fetches them with Maven into
// $HOME/.cache/tidelog the first time (about 15 s on a fresh machine). Without Java or
// Maven this test fails with a message saying what to install; it never skips.
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureKafkaLibs, KAFKA_MAIN, runKafkaClass, type JavaResult, type KafkaLibs } from '../../bench/kafka-dist.js';
import { startBroker } from '../../src/embedded.js';
import { tempDir } from '../helpers/broker-process.js';
import { kcat } from '../helpers/kcat.js';

const TOPIC = 'dump-log';
const PLAIN_RECORDS = 300;
const COMPRESSED_RECORDS = 40;
const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
// Small segments and a small index interval, so the topic spans several segments and each
// index holds several entries.
const SEGMENT_BYTES = 8192;
const INDEX_INTERVAL_BYTES = 512;

interface Produced {
  readonly key: string;
  readonly value: string;
  readonly headerKeys: string;
}

interface DumpedBatch {
  readonly file: string;
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly count: number;
  readonly position: number;
  readonly size: number;
  readonly magic: number;
  readonly codec: string;
  readonly isValid: boolean;
}

interface DumpedRecord {
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly headerKeys: string;
  readonly keySize: number;
  readonly valueSize: number;
}

interface IndexEntry {
  readonly file: string;
  readonly offset: number;
  readonly position: number;
}

interface Dump {
  readonly batches: DumpedBatch[];
  readonly records: DumpedRecord[];
  readonly indexEntries: IndexEntry[];
  readonly timeIndexEntries: { file: string; timestamp: number; offset: number }[];
  readonly unparsed: string[];
}

const BATCH_LINE =
  /^baseOffset: (\d+) lastOffset: (\d+) count: (\d+) .* position: (\d+) (?:CreateTime|LogAppendTime): -?\d+ size: (\d+) magic: (\d+) compresscodec: (\w+) crc: \d+ isvalid: (true|false)$/;
// With --print-data-log Kafka 4.4 prints "key: <k> payload: <v>" on the record's line.
const RECORD_LINE = /^\| offset: (\d+) (?:CreateTime|LogAppendTime): -?\d+ keySize: (-?\d+) valueSize: (-?\d+) sequence: -?\d+ headerKeys: \[([^\]]*)\](?: key: (.*?))?(?: payload: (.*))?$/;

/** Parses DumpLogSegments' stdout (its format is Kafka's DumpLogSegments.printBatchLevel and dumpLog). */
function parseDump(stdout: string): Dump {
  const dump: Dump = { batches: [], records: [], indexEntries: [], timeIndexEntries: [], unparsed: [] };
  let file = '';
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    let m: RegExpExecArray | null;
    if ((m = /^Dumping (.*)$/.exec(line))) file = path.basename(m[1]!);
    else if (/^Log starting offset: \d+$/.test(line)) continue;
    else if ((m = BATCH_LINE.exec(line)))
      dump.batches.push({ file, baseOffset: Number(m[1]), lastOffset: Number(m[2]), count: Number(m[3]), position: Number(m[4]), size: Number(m[5]), magic: Number(m[6]), codec: m[7]!, isValid: m[8] === 'true' });
    else if ((m = RECORD_LINE.exec(line)))
      dump.records.push({ offset: Number(m[1]), keySize: Number(m[2]), valueSize: Number(m[3]), headerKeys: m[4]!, key: m[5] ?? null, value: m[6] ?? null });
    else if ((m = /^offset: (\d+) position: (\d+)$/.exec(line))) dump.indexEntries.push({ file, offset: Number(m[1]), position: Number(m[2]) });
    else if ((m = /^timestamp: (-?\d+) offset: (\d+)$/.exec(line))) dump.timeIndexEntries.push({ file, timestamp: Number(m[1]), offset: Number(m[2]) });
    else dump.unparsed.push(line);
  }
  return dump;
}

/** Segment base offset from a file name such as 00000000000000000150.log. */
function baseOffsetOf(file: string): number {
  return Number(file.split('.')[0]);
}

/**
 * DumpLogSegments starts each file's consecutiveness check at offset -1, so a segment whose
 * base offset is not 0 is always reported as "-1 is followed by <base>" (Kafka's own
 * segments too). Anything else it writes to stderr is a finding.
 */
function findings(stderr: string): string[] {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const header = /^Non-consecutive offsets in (.*)$/.exec(lines[i]!);
    const pair = header ? /^ {2}-1 is followed by (\d+)$/.exec(lines[i + 1] ?? '') : null;
    if (header && pair && Number(pair[1]) === baseOffsetOf(path.basename(header[1]!)) && !/^ {2}\d+ is followed by/.test(lines[i + 2] ?? '')) {
      i++;
      continue;
    }
    out.push(lines[i]!);
  }
  return out;
}

describe('Kafka DumpLogSegments reads Tidelog segments', { timeout: 900_000 }, () => {
  let libs: KafkaLibs;
  let dataDir: string;
  let partitionDir: string;
  const produced: Produced[] = [];
  const consumedByOffset = new Map<number, { key: string; value: string }>();
  let segments: string[];

  before(async () => {
    // Kafka's jars (fetched on first use; throws with what to install if Java or Maven is missing).
    libs = await ensureKafkaLibs();

    dataDir = tempDir('tidelog-dump-log-');
    const broker = await startBroker({ dataDir, config: { 'log.segment.bytes': SEGMENT_BYTES, 'log.index.interval.bytes': INDEX_INTERVAL_BYTES } });
    try {
      // Keyed records with a header, uncompressed, in batches of 25.
      const plain: Produced[] = [];
      for (let i = 0; i < PLAIN_RECORDS; i++) plain.push({ key: `key-${i % 53}`, value: `value-${i}-${'x'.repeat(i % 40)}`, headerKeys: 'origin' });
      const sent = await kcat(
        ['-b', broker.bootstrap, '-t', TOPIC, '-P', '-K', '\t', '-H', 'origin=kcat', '-X', 'linger.ms=20', '-X', 'batch.num.messages=25'],
        `${plain.map((r) => `${r.key}\t${r.value}`).join('\n')}\n`,
      );
      assert.equal(sent.code, 0, `kcat producer failed: ${sent.stderr}`);
      produced.push(...plain);

      // One batch per codec, compressible values (librdkafka sends a batch uncompressed when
      // compression would not make it smaller).
      for (const codec of CODECS) {
        const records: Produced[] = [];
        for (let i = 0; i < COMPRESSED_RECORDS; i++) records.push({ key: `${codec}-key-${i}`, value: `${codec}-value-${i}-${'abcdefgh'.repeat(16)}`, headerKeys: '' });
        const r = await kcat(
          ['-b', broker.bootstrap, '-t', TOPIC, '-P', '-K', '\t', '-z', codec, '-X', 'linger.ms=200', '-X', 'batch.num.messages=1000'],
          `${records.map((x) => `${x.key}\t${x.value}`).join('\n')}\n`,
        );
        assert.equal(r.code, 0, `kcat ${codec} producer failed: ${r.stderr}`);
        produced.push(...records);
      }

      // What a consumer sees, to compare Kafka's reading of the files with.
      const consumed = await kcat(['-b', broker.bootstrap, '-t', TOPIC, '-C', '-e', '-o', 'beginning', '-J', '-q']);
      assert.equal(consumed.code, 0, `kcat consumer failed: ${consumed.stderr}`);
      for (const line of consumed.stdout.split('\n')) {
        if (!line.startsWith('{')) continue;
        const m = JSON.parse(line) as { offset: number; key: string; payload: string };
        consumedByOffset.set(m.offset, { key: m.key, value: m.payload });
      }
    } finally {
      // A clean shutdown: the files are what Kafka would find after a controlled stop.
      await broker.close();
    }
    partitionDir = path.join(dataDir, `${TOPIC}-0`);
    segments = readdirSync(partitionDir)
      .filter((f) => f.endsWith('.log'))
      .sort()
      .map((f) => f.slice(0, -'.log'.length));
  });

  after(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const files = (...suffixes: string[]): string => segments.flatMap((s) => suffixes.map((x) => path.join(partitionDir, `${s}${x}`))).join(',');

  async function dumpLogSegments(args: string[]): Promise<JavaResult> {
    const result = await runKafkaClass(libs, KAFKA_MAIN.dumpLogSegments, args, { heap: '256M', timeoutMs: 120_000 });
    assert.equal(result.code, 0, `DumpLogSegments ${args.join(' ')} exited ${result.code}:\n${result.stderr}`);
    return result;
  }

  it('the broker wrote several segments and every record was consumed once', () => {
    assert.equal(consumedByOffset.size, produced.length);
    assert.ok(segments.length >= 3, `expected several segments, found ${segments.join(', ')}`);
  });

  it('reads every batch and record with the offsets, keys, values and headers that were produced', async () => {
    const { stdout, stderr } = await dumpLogSegments(['--files', files('.log', '.index', '.timeindex'), '--print-data-log', '--deep-iteration']);
    assert.deepEqual(findings(stderr), [], 'DumpLogSegments reports no index mismatch, time index error or offset gap');
    const dump = parseDump(stdout);
    assert.deepEqual(dump.unparsed, [], 'every line of the dump is understood (no "invalid bytes at the end")');

    // Batches: valid v2, contiguous offsets across segments, each segment read to its end.
    let next = 0;
    for (const segment of segments) {
      const inFile = dump.batches.filter((b) => b.file === `${segment}.log`);
      assert.ok(inFile.length > 0, `segment ${segment} holds batches`);
      assert.equal(inFile[0]!.baseOffset, baseOffsetOf(`${segment}.log`), 'a segment starts at its base offset');
      let position = 0;
      for (const b of inFile) {
        assert.equal(b.magic, 2);
        assert.ok(b.isValid, `batch ${b.baseOffset} CRC is valid`);
        assert.equal(b.baseOffset, next, 'batches are contiguous');
        assert.equal(b.count, b.lastOffset - b.baseOffset + 1);
        assert.equal(b.position, position, 'batches are back to back');
        position += b.size;
        next = b.lastOffset + 1;
      }
      assert.equal(position, statSync(path.join(partitionDir, `${segment}.log`)).size, 'no bytes after the last batch');
    }
    assert.equal(next, produced.length);

    // One compressed batch per codec, holding that codec's records.
    for (const codec of CODECS) {
      const compressed = dump.batches.filter((b) => b.codec === codec);
      assert.equal(compressed.length, 1, `one ${codec} batch`);
      assert.equal(compressed[0]!.count, COMPRESSED_RECORDS);
    }

    // Records: dense offsets from 0, in the order produced, as the consumer saw them.
    assert.equal(dump.records.length, produced.length);
    dump.records.forEach((r, i) => {
      const want = produced[i]!;
      assert.equal(r.offset, i);
      assert.equal(r.key, want.key, `key at offset ${i}`);
      assert.equal(r.value, want.value, `value at offset ${i}`);
      assert.equal(r.keySize, Buffer.byteLength(want.key));
      assert.equal(r.valueSize, Buffer.byteLength(want.value));
      assert.equal(r.headerKeys, want.headerKeys);
      assert.deepEqual(consumedByOffset.get(i), { key: want.key, value: want.value });
    });

    // Offset index entries point at a batch of their segment: the batch's last offset at its position.
    assert.ok(dump.indexEntries.length >= segments.length, 'the offset indexes have entries');
    for (const e of dump.indexEntries) {
      const segment = e.file.replace(/\.index$/, '.log');
      const batch = dump.batches.find((b) => b.file === segment && b.position === e.position);
      assert.ok(batch, `index entry ${e.offset}@${e.position} of ${e.file} points at a batch`);
      assert.equal(batch.lastOffset, e.offset, `index entry at position ${e.position} names the batch's last offset`);
    }
    // Time index entries name the last offset of a batch of their segment, timestamps increasing.
    assert.ok(dump.timeIndexEntries.length >= 1, 'the time indexes have entries');
    for (const e of dump.timeIndexEntries) {
      const segment = e.file.replace(/\.timeindex$/, '.log');
      assert.ok(
        dump.batches.some((b) => b.file === segment && b.lastOffset === e.offset),
        `time index entry ${e.timestamp}:${e.offset} of ${e.file} names a batch's last offset`,
      );
    }
  });

  it("passes Kafka's index sanity check (the start-up check that decides whether to rebuild an index)", async () => {
    const { stdout, stderr } = await dumpLogSegments(['--files', files('.index', '.timeindex'), '--index-sanity-check']);
    assert.deepEqual(findings(stderr), []);
    for (const segment of segments) {
      for (const suffix of ['.index', '.timeindex']) {
        assert.match(stdout, new RegExp(`${segment}\\${suffix} passed sanity check\\.`), `${segment}${suffix} passes`);
      }
    }
  });

  it("passes Kafka's index verification (every entry checked against the log)", async () => {
    const { stdout, stderr } = await dumpLogSegments(['--files', files('.index', '.timeindex'), '--verify-index-only']);
    assert.deepEqual(findings(stderr), [], 'no "Mismatches in", timestamp mismatch, out-of-order timestamp or missing offset');
    assert.deepEqual(parseDump(stdout).unparsed, []);
  });
});
