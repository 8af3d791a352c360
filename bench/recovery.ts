// Crash-recovery benchmark: how long a broker with many partitions takes to serve again
// after SIGKILL, and after a clean SIGTERM. Creates `--partitions N` partitions (topics of 10
// partitions each), writes one small batch to each (acks=1), kills the broker with SIGKILL,
// restarts it on the same data directory and measures the time from spawn until the broker
// serves: Metadata lists every partition with a leader, and a produce and a fetch of that
// record on the last partition succeed; and, before that, the time until a produce to the
// first partition succeeds (a single node serves each partition as soon as its log is open).
// Then the same after a clean shutdown.
//
//   node dist/bench/recovery.js [--partitions 2000] [--dir /tmp/x] [--keep] [--crash-only] [--override k=v ...]
//
// --crash-only stops after the SIGKILL and keeps the data directory, to profile a restart.
//
// Prints one JSON line per phase and a summary line; BENCHMARKS.md records the figures.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { KafkaConnection } from '../src/client/kafka-connection.js';
import { ApiKey } from '../src/protocol/generated/index.js';
import { recordBatch } from '../test/helpers/batch.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cliPath = path.join(repoRoot, 'dist', 'bundle', 'tidelog.mjs');
const PARTITIONS_PER_TOPIC = 10;
/** Topics per CreateTopics request and partitions per Produce request. */
const TOPICS_PER_REQUEST = 100;
const SERVE_TIMEOUT_MS = 600_000;

interface Options {
  readonly partitions: number;
  readonly dir: string | null;
  readonly keep: boolean;
  /** Stop once the broker is killed, leaving the crashed data directory (for profiling a restart). */
  readonly crashOnly: boolean;
  readonly overrides: readonly string[];
}

function parseArgs(argv: readonly string[]): Options {
  let partitions = 2000;
  let dir: string | null = null;
  let keep = false;
  let crashOnly = false;
  const overrides: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--partitions') partitions = Number(argv[++i]);
    else if (a === '--dir') dir = argv[++i] ?? null;
    else if (a === '--keep') keep = true;
    else if (a === '--crash-only') crashOnly = keep = true;
    else if (a === '--override') overrides.push(argv[++i] ?? '');
    else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(partitions) || partitions < PARTITIONS_PER_TOPIC || partitions % PARTITIONS_PER_TOPIC !== 0) throw new Error('--partitions must be a multiple of 10');
  return { partitions, dir, keep, crashOnly, overrides };
}

interface Running {
  readonly child: ChildProcess;
  readonly port: number;
  readonly exited: Promise<number | null>;
  readonly lines: string[];
}

/** Starts the broker; resolves when its Kafka listener is bound (it may still be opening logs). */
// A broker still running when the benchmark exits (it failed half-way) is killed with it.
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function startBroker(dataDir: string, overrides: readonly string[]): Promise<Running> {
  const args = [cliPath, 'broker', '--config', path.join(repoRoot, 'config', 'server.properties'), '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', `log.dirs=${dataDir}`, '--override', 'admin.listener='];
  for (const o of overrides) args.push('--override', o);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  live.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    }),
  );
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === 'listening' && typeof entry.port === 'number') resolve({ child, port: entry.port, exited, lines });
      } catch {
        // not a JSON line
      }
    });
    void exited.then((code) => reject(new Error(`broker exited with ${code}:\n${lines.slice(-20).join('\n')}`)));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const topicName = (t: number): string => `recovery-${String(t).padStart(5, '0')}`;

async function createTopics(c: KafkaConnection, topics: number): Promise<void> {
  for (let first = 0; first < topics; first += TOPICS_PER_REQUEST) {
    const names = Array.from({ length: Math.min(TOPICS_PER_REQUEST, topics - first) }, (_, i) => topicName(first + i));
    const r = await c.request(ApiKey.CreateTopics, 7, { topics: names.map((name) => ({ name, numPartitions: PARTITIONS_PER_TOPIC, replicationFactor: 1 })), timeoutMs: 60_000 });
    const bad = r.topics.find((t) => t.errorCode !== 0);
    if (bad) throw new Error(`CreateTopics ${bad.name}: ${bad.errorCode} ${bad.errorMessage ?? ''}`);
  }
}

/** One small batch to every partition, acks=1. */
async function writeEverywhere(c: KafkaConnection, topics: number): Promise<void> {
  for (let first = 0; first < topics; first += TOPICS_PER_REQUEST) {
    const names = Array.from({ length: Math.min(TOPICS_PER_REQUEST, topics - first) }, (_, i) => topicName(first + i));
    const topicData = names.map((name) => ({ name, partitionData: Array.from({ length: PARTITIONS_PER_TOPIC }, (_, index) => ({ index, records: recordBatch([{ key: 'k', value: `${name}-${index}` }]) })) }));
    const r = await c.request(ApiKey.Produce, 9, { acks: 1, timeoutMs: 30_000, topicData });
    for (const t of r.responses) for (const p of t.partitionResponses) if (p.errorCode !== 0) throw new Error(`Produce ${t.name}-${p.index}: error ${p.errorCode}`);
  }
}

/**
 * Polls until the broker serves: Metadata lists every partition with a leader, then a
 * produce (acks=1) and a fetch of that record on the last partition. Resolves with ms since `t0`.
 */
async function awaitServing(port: number, topics: number, t0: number): Promise<{ firstServedMs: number; metadataMs: number; servedMs: number }> {
  let metadataMs = -1;
  let firstServedMs = -1;
  const lastTopic = topicName(topics - 1);
  const lastPartition = PARTITIONS_PER_TOPIC - 1;
  let lastError = '';
  while (performance.now() - t0 < SERVE_TIMEOUT_MS) {
    let c: KafkaConnection | null = null;
    try {
      c = await KafkaConnection.connect('127.0.0.1', port, 'tidelog-bench-recovery');
      if (firstServedMs < 0) {
        // The first partition of the first topic: served before the others have recovered?
        const first = await c.request(ApiKey.Produce, 9, { acks: 1, timeoutMs: 10_000, topicData: [{ name: topicName(0), partitionData: [{ index: 0, records: recordBatch([{ value: 'first' }]) }] }] });
        if (first.responses[0]!.partitionResponses[0]!.errorCode !== 0) throw new Error(`first produce error ${first.responses[0]!.partitionResponses[0]!.errorCode}`);
        firstServedMs = performance.now() - t0;
      }
      if (metadataMs < 0) {
        const m = await c.request(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
        const ready = m.topics.filter((t) => t.name?.startsWith('recovery-') && t.errorCode === 0).reduce((n, t) => n + t.partitions.filter((p) => p.errorCode === 0 && p.leaderId >= 0).length, 0);
        if (ready < topics * PARTITIONS_PER_TOPIC) throw new Error(`metadata: ${ready} partitions ready`);
        metadataMs = performance.now() - t0;
      }
      const value = `probe-${Date.now()}`;
      const produced = await c.request(ApiKey.Produce, 9, { acks: 1, timeoutMs: 10_000, topicData: [{ name: lastTopic, partitionData: [{ index: lastPartition, records: recordBatch([{ value }]) }] }] });
      const pr = produced.responses[0]!.partitionResponses[0]!;
      if (pr.errorCode !== 0) throw new Error(`produce error ${pr.errorCode}`);
      const fetched = await c.request(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, topics: [{ topic: lastTopic, partitions: [{ partition: lastPartition, fetchOffset: Number(pr.baseOffset), partitionMaxBytes: 1 << 20 }] }] });
      const fp = fetched.responses[0]!.partitions[0]!;
      if (fp.errorCode !== 0 || !fp.records || !Buffer.from(fp.records).includes(value)) throw new Error(`fetch error ${fp.errorCode}`);
      return { firstServedMs, metadataMs, servedMs: performance.now() - t0 };
    } catch (err) {
      lastError = (err as Error).message;
      await sleep(10);
    } finally {
      c?.close();
    }
  }
  throw new Error(`not serving after ${SERVE_TIMEOUT_MS} ms: ${lastError}`);
}

/** The broker's own "broker started" figure (ms spent opening logs), if it logged one. */
function logsOpenMs(lines: readonly string[]): number | null {
  for (const l of lines) {
    try {
      const e = JSON.parse(l) as { msg?: string; logsOpenMs?: number };
      if (e.msg === 'broker started' && typeof e.logsOpenMs === 'number') return e.logsOpenMs;
    } catch {
      // not JSON
    }
  }
  return null;
}

async function restartAndMeasure(phase: string, dataDir: string, options: Options, topics: number): Promise<Running> {
  const t0 = performance.now();
  const b = await startBroker(dataDir, options.overrides);
  const listeningMs = performance.now() - t0;
  const { firstServedMs, metadataMs, servedMs } = await awaitServing(b.port, topics, t0);
  console.log(JSON.stringify({ phase, partitions: options.partitions, listeningMs: Math.round(listeningMs), firstServedMs: Math.round(firstServedMs), metadataMs: Math.round(metadataMs), servedMs: Math.round(servedMs), brokerLogsOpenMs: logsOpenMs(b.lines) }));
  return b;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const topics = options.partitions / PARTITIONS_PER_TOPIC;
  const dataDir = options.dir ?? mkdtempSync(path.join(os.tmpdir(), 'tidelog-recovery-'));
  try {
    const first = await startBroker(dataDir, options.overrides);
    const c = await KafkaConnection.connect('127.0.0.1', first.port, 'tidelog-bench-recovery');
    let t = performance.now();
    await createTopics(c, topics);
    const createMs = performance.now() - t;
    t = performance.now();
    await writeEverywhere(c, topics);
    const writeMs = performance.now() - t;
    c.close();
    console.log(JSON.stringify({ phase: 'create', partitions: options.partitions, createMs: Math.round(createMs), writeMs: Math.round(writeMs) }));
    first.child.kill('SIGKILL');
    await first.exited;
    if (options.crashOnly) {
      console.log(JSON.stringify({ phase: 'killed', dataDir }));
      return;
    }

    const afterKill = await restartAndMeasure('restart after SIGKILL', dataDir, options, topics);
    afterKill.child.kill('SIGTERM');
    const code = await afterKill.exited;
    if (code !== 0) throw new Error(`SIGTERM exit code ${code}`);
    const afterClean = await restartAndMeasure('restart after SIGTERM', dataDir, options, topics);
    afterClean.child.kill('SIGTERM');
    await afterClean.exited;
  } finally {
    if (!options.keep) rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
