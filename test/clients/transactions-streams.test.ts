// Kafka Streams (kafka-streams 4.4.0, fetched by scripts/fetch-kafka.sh) with
// processing.guarantee=exactly_once_v2: the word count of Kafka's streams examples, unchanged
// (test/clients/java/WordCountEos.java), over input generated here; the counts it writes must
// be exact. The input goes in two halves, each processed by its own instance; the second
// starts with an empty state directory and restores the counts from the changelog topic
// (read_committed) first. Transactions carry every step: the repartition topic, the
// changelog, the output and the input offsets are written in one transaction per commit.
//
// The broker is Tidelog, or Apache Kafka 4.4.0 with TIDELOG_TXN_TEST_TARGET=kafka (see
// transactions-target.ts).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureKafkaLibs } from '../../bench/kafka-dist.js';
import { removeDir } from '../helpers/broker-process.js';
import { assertTransactionVersion, compileJava, failure, runJava, startTxnTarget, txnTargetKind, txnTargetTitle, type JavaPrograms, type TxnTarget } from './transactions-target.js';

const kind = txnTargetKind();
const LINES = 600;
const WORDS_PER_LINE_MAX = 8;
const VOCABULARY = Array.from({ length: 40 }, (_, i) => `w${i.toString(36)}${'abcdefgh'[i % 8]}`);

/** mulberry32: a small seeded generator, so that a failing input can be made again. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Lines of 1..8 words (mixed case: the application lower-cases), the count of each word, and
 * the count of each word in the first half of the lines (WordCountEos's first instance).
 */
function input(seed: number): { lines: string[]; counts: Map<string, number>; firstHalf: Map<string, number> } {
  const next = generator(seed);
  const lines: string[] = [];
  const counts = new Map<string, number>();
  let firstHalf = new Map<string, number>();
  for (let i = 0; i < LINES; i++) {
    const words: string[] = [];
    const n = 1 + Math.floor(next() * WORDS_PER_LINE_MAX);
    for (let j = 0; j < n; j++) {
      // Skewed towards the first words, so that some counts are large.
      const word = VOCABULARY[Math.floor(next() * next() * VOCABULARY.length)]!;
      words.push(next() < 0.2 ? word.toUpperCase() : word);
      counts.set(word, (counts.get(word) ?? 0) + 1);
    }
    lines.push(words.join(' '));
    if (lines.length === Math.floor(LINES / 2)) firstHalf = new Map(counts);
  }
  return { lines, counts, firstHalf };
}

describe(`Kafka Streams exactly_once_v2 word count against ${txnTargetTitle(kind)}`, { timeout: 300_000 }, () => {
  let target: TxnTarget;
  let programs: JavaPrograms;

  before(async () => {
    const libs = await ensureKafkaLibs();
    programs = await compileJava(libs, ['Out.java', 'Topics.java', 'WordCountEos.java']);
    target = await startTxnTarget(kind, libs);
  });

  after(async () => {
    await target?.stop();
    if (programs) removeDir(programs.dir);
  });

  it('counts every word exactly, across a restart that restores the counts from the changelog', async () => {
    const seed = Number.parseInt(process.env.TIDELOG_TXN_TEST_SEED ?? String(Date.now() % 1_000_000), 10);
    const { lines, counts, firstHalf } = input(seed);
    const linesFile = path.join(programs.dir, 'lines.txt');
    writeFileSync(linesFile, `${lines.join('\n')}\n`);
    // WordCountEos's stopping rule (not what is asserted): each instance runs until the output shows these counts.
    const expectedFile = path.join(programs.dir, 'expected.tsv');
    writeFileSync(expectedFile, [...counts].map(([w, n]) => `${w}\t${firstHalf.get(w) ?? 0}\t${n}\n`).join(''));
    const prefix = `streams-${randomBytes(3).toString('hex')}`;
    const run = await runJava(programs, 'WordCountEos', [target.bootstrap, prefix, linesFile, expectedFile, path.join(programs.dir, 'state')], 150_000);
    assert.equal(run.code, 0, `WordCountEos (seed ${seed}): ${failure(run, target)}`);
    assertTransactionVersion(run, target);
    assert.deepEqual(
      run.events.filter((e) => e.event === 'closed').map((e) => e.clean),
      [true, true],
      'both instances closed cleanly',
    );

    // Each word is a key of the output; read_committed reads its counts in the order written.
    const seen = new Map<string, number[]>();
    for (const e of run.events.filter((x) => x.event === 'record' && x.label === 'read_committed')) {
      const list = seen.get(e.key as string) ?? [];
      list.push(Number(e.value));
      seen.set(e.key as string, list);
    }
    assert.deepEqual([...seen.keys()].sort(), [...counts.keys()].sort(), `the words of the input (seed ${seed})`);
    for (const [word, expected] of counts) {
      const got = seen.get(word)!;
      assert.equal(got.at(-1), expected, `${word}: final count (seed ${seed}; counts written ${got.join(',')})`);
      // The first instance closed (committing) once it had counted the first half.
      const half = firstHalf.get(word);
      if (half !== undefined) assert.ok(got.includes(half), `${word}: the first instance's last count ${half} is among ${got.join(',')} (seed ${seed})`);
      // Exactly once: no count is written twice or goes back, none goes past the truth.
      for (let i = 1; i < got.length; i++) assert.ok(got[i]! > got[i - 1]!, `${word}: counts strictly increase (seed ${seed}): ${got.join(',')}`);
    }
  });
});
