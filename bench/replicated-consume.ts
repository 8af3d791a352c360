// The replicated consume-100b scenario's consumer, looked at fetch by fetch (issue #20: it
// read 0.53-1.11 of Kafka's records/s from Tidelog's cluster in four runs of the harness).
// Both three-broker clusters (bench/replicated.ts) run side by side as in the harness; each
// gets the scenario's topic, written once as bench/scenarios.ts writes it (ProducerPerformance,
// 100 B records, acks=1, replication factor 3). Then ConsumerPerformance reads it again and
// again with --print-metrics, the clusters alternating, each read in a new group. Prints, per
// read: the rate, what the consumer counted (fetches, bytes and records per fetch, fetch
// latency, requests per broker), the brokers' CPU and the idle side's; per cluster: the
// topic's layout (leader, replicas, ISR, the group coordinator), the batches the leader holds
// and the round trips of this process's own 1 MiB Fetch requests (Fetch v12, one at a time,
// from offset 0 to the end); once: each process's CPU with both clusters idle for 10 s.
//
//   node dist/bench/replicated-consume.js [--rounds 3] [--records 1000000] [--only tidelog|kafka]
//                                         [--consumer-property k=v ...] [--pin B:G] [--idle-before-read S]
//
// --idle-before-read S waits S seconds before each read. Each read line starts with how much
// of the topic's segment files each broker has in the page cache (fincore): on a machine
// that hands idle page cache back to its host (this one pages out file pages not touched for
// about a minute, bench/page-cache.ts), a read after a pause reads from the disk.
//
// --pin B:G as run.ts's: every broker, ZooKeeper and the controller on CPUs B, this process
// and so the consumers on CPUs G.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { KafkaConnection } from '../src/client/kafka-connection.js';
import { ApiKey } from '../src/protocol/generated/index.js';
import { awaitLeaders, createTopic, endOffsetSum } from './admin.js';
import type { BrokerKind, RunningBroker } from './brokers.js';
import { ensureKafkaLibs, KAFKA_MAIN, runKafkaClass, type KafkaLibs } from './kafka-dist.js';
import { producerPerformance } from './load-tools.js';
import { describeResidency, residency, topicSegmentFiles } from './page-cache.js';
import { cpuSeconds } from './proc-stats.js';
import { MIN_INSYNC_REPLICAS, REPLICATION_FACTOR, startKafkaCluster, startTidelogCluster } from './replicated.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    records: { type: 'string', default: '1000000' },
    only: { type: 'string' },
    'consumer-property': { type: 'string', multiple: true, default: [] },
    keep: { type: 'boolean', default: false },
    pin: { type: 'string' },
    'idle-before-read': { type: 'string', default: '0' },
  },
});
const TOPIC = 'p100';
const rounds = Number(values.rounds);
const records = Number(values.records);
const kinds: BrokerKind[] = values.only ? [values.only as BrokerKind] : ['tidelog', 'kafka'];
const idleBeforeReadMs = Number(values['idle-before-read']) * 1000;
if (!Number.isFinite(idleBeforeReadMs) || idleBeforeReadMs < 0) throw new Error(`--idle-before-read takes a number of seconds (0 or more), not ${values['idle-before-read']}`);

/** The consumer metrics compared (consumer-fetch-manager-metrics and the connection's). */
const METRICS = [
  'consumer-fetch-manager-metrics:fetch-total',
  'consumer-fetch-manager-metrics:fetch-rate',
  'consumer-fetch-manager-metrics:fetch-size-avg',
  'consumer-fetch-manager-metrics:fetch-size-max',
  'consumer-fetch-manager-metrics:records-per-request-avg',
  'consumer-fetch-manager-metrics:fetch-latency-avg',
  'consumer-fetch-manager-metrics:fetch-latency-max',
  'consumer-fetch-manager-metrics:bytes-consumed-total',
  'consumer-fetch-manager-metrics:records-consumed-total',
  'consumer-metrics:request-total',
  'consumer-metrics:io-wait-ratio',
  'consumer-metrics:io-ratio',
  'consumer-metrics:incoming-byte-total',
  'consumer-metrics:network-io-total',
  'consumer-metrics:connection-creation-total',
  'consumer-coordinator-metrics:join-time-max',
  'consumer-coordinator-metrics:sync-time-max',
];

function parseMetrics(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const m = /^([\w-]+:[\w-]+):\{([^}]*)\}\s*:\s*(\S+)/.exec(line);
    if (!m) continue;
    if (m[2]!.includes('topic=') || m[2]!.includes('node-id=')) {
      // Per node: keep the node-level request counts apart (which broker the fetches went to).
      const node = /node-id=node-(-?\d+)/.exec(m[2]!)?.[1];
      if (node !== undefined && (m[1] === 'consumer-node-metrics:request-total' || m[1] === 'consumer-node-metrics:incoming-byte-total')) out[`${m[1]}{node ${node}}`] = m[3]!;
      continue;
    }
    if (METRICS.includes(m[1]!)) out[m[1]!] = m[3]!;
  }
  return out;
}

async function layout(b: RunningBroker, group: string): Promise<string> {
  const c = await KafkaConnection.connect(b.host, b.port, 'bench-layout');
  try {
    const md = await c.request(ApiKey.Metadata, 12, { topics: [{ name: TOPIC }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const portOf = new Map(md.brokers.map((x) => [x.nodeId, `${x.host}:${x.port}`]));
    const parts = md.topics.flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}: leader ${p.leaderId} (${portOf.get(p.leaderId)}), replicas [${p.replicaNodes.join(',')}], isr [${p.isrNodes.join(',')}], epoch ${p.leaderEpoch}`));
    const fc = await c.request(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: [group] });
    const coord = fc.coordinators.map((x) => `coordinator of ${x.key}: ${x.nodeId} (${x.host}:${x.port}) error ${x.errorCode}`);
    return [`brokers ${md.brokers.map((x) => `${x.nodeId}=${x.host}:${x.port}${x.rack ? ` rack ${x.rack}` : ''}`).join(' ')}, controller ${md.controllerId}`, ...parts, ...coord].join('\n    ');
  } finally {
    c.close();
  }
}

/** Fetch v12 from the leader, 1 MiB at a time, from 0 to the end: count the batches and their sizes. */
async function batchLayout(b: RunningBroker): Promise<string> {
  const c = await KafkaConnection.connect(b.host, b.port, 'bench-batches');
  try {
    const md = await c.request(ApiKey.Metadata, 12, { topics: [{ name: TOPIC }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const leader = md.topics[0]!.partitions[0]!.leaderId;
    const ep = md.brokers.find((x) => x.nodeId === leader)!;
    const l = await KafkaConnection.connect(ep.host, ep.port, 'bench-batches');
    let offset = 0;
    let batches = 0;
    let bytes = 0;
    let responses = 0;
    let minSize = Infinity;
    let maxSize = 0;
    const sizes: number[] = [];
    const rttMs: number[] = [];
    try {
      for (;;) {
        const t0 = performance.now();
        const r = await l.request(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 52428800, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1048576 }] }], forgottenTopicsData: [], rackId: '' });
        rttMs.push(performance.now() - t0);
        const p = r.responses[0]!.partitions[0]!;
        const recs = p.records;
        if (!recs || recs.length === 0) break;
        responses++;
        sizes.push(recs.length);
        let pos = 0;
        let next = offset;
        while (pos + 61 <= recs.length) {
          const base = Number(recs.readBigInt64BE(pos));
          const len = recs.readInt32BE(pos + 8);
          if (pos + 12 + len > recs.length) break;
          const lastDelta = recs.readInt32BE(pos + 23);
          batches++;
          bytes += 12 + len;
          minSize = Math.min(minSize, 12 + len);
          maxSize = Math.max(maxSize, 12 + len);
          next = base + lastDelta + 1;
          pos += 12 + len;
        }
        if (next === offset) throw new Error(`no whole batch at offset ${offset} in ${recs.length} bytes`);
        offset = next;
        if (offset >= p.highWatermark) break;
      }
    } finally {
      l.close();
    }
    sizes.sort((a, z) => a - z);
    rttMs.sort((a, z) => a - z);
    const pct = (q: number): string => rttMs[Math.min(rttMs.length - 1, Math.floor(q * rttMs.length))]!.toFixed(2);
    const sum = rttMs.reduce((a, x) => a + x, 0);
    return `leader ${leader}: ${batches} batches, ${bytes} B, avg ${(bytes / batches).toFixed(0)} B (min ${minSize}, max ${maxSize}); 1 MiB fetches: ${responses} responses, median ${sizes[sizes.length >> 1]} B, smallest ${sizes[0]} B; round trip ms p50 ${pct(0.5)} p90 ${pct(0.9)} max ${pct(1)} sum ${sum.toFixed(0)}`;
  } finally {
    c.close();
  }
}

/** Per broker directory under `clusterDir`: how much of the topic's segment files is in the page cache. */
function cachedPerBroker(clusterDir: string): string {
  return readdirSync(clusterDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name.startsWith('broker-'))
    .map((e) => `${e.name} ${describeResidency(residency(topicSegmentFiles(path.join(clusterDir, e.name), TOPIC)))}`)
    .join(', ');
}

function taskset(pid: number, cpus: string): void {
  const r = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset ${cpus} ${pid}: ${r.stderr}`);
}

/** CPU seconds of processes that may have exited (then 0). */
function cpuOf(pid: number): number {
  try {
    return cpuSeconds(pid);
  } catch {
    return 0;
  }
}

async function consume(libs: KafkaLibs, b: RunningBroker, group: string, idlePids: readonly number[]): Promise<string> {
  const props = values['consumer-property'] as string[];
  const args = ['--bootstrap-server', b.bootstrap, '--topic', TOPIC, '--num-records', String(records), '--group', group, '--timeout', '60000', '--print-metrics', ...(props.length ? ['--command-property', ...props] : [])];
  const cpu0 = (b.pids ?? [b.pid]).map(cpuSeconds);
  const idle0 = idlePids.map(cpuOf);
  const t0 = performance.now();
  const r = await runKafkaClass(libs, KAFKA_MAIN.consumerPerformance, args, { heap: '512M', timeoutMs: 600_000, sampleCpu: true });
  const cpu = (b.pids ?? [b.pid]).map((pid, i) => cpuSeconds(pid) - cpu0[i]!);
  const idleCores = idlePids.reduce((a, pid, i) => a + Math.max(0, cpuOf(pid) - idle0[i]!), 0) / ((performance.now() - t0) / 1000);
  if (r.code !== 0) throw new Error(`ConsumerPerformance exited ${r.code}: ${r.stderr.slice(-2000)}`);
  const lines = r.stdout.split('\n');
  const h = lines.findIndex((x) => x.startsWith('start.time'));
  const row = lines[h + 1]!.split(',').map((s) => s.trim());
  const m = parseMetrics(r.stdout);
  const metrics = Object.entries(m)
    .map(([k, v]) => `${k.replace(/^consumer-(fetch-manager-|coordinator-|node-)?metrics:/, '')}=${v}`)
    .join(' ');
  return `records ${row[4]}, rebalance ${row[6]} ms, fetch ${row[7]} ms, ${Number(row[9]).toFixed(0)} records/s; broker CPU s ${cpu.map((x) => x.toFixed(2)).join(' / ')}; idle side and ZooKeeper/controller ${idleCores.toFixed(3)} cores; client ${r.load ? `${r.load.cores.toFixed(2)} cores, busiest ${r.load.busiestThread} ${r.load.busiestThreadShare.toFixed(2)}` : '-'}\n      ${metrics}`;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'tidelog-repcons-'));
const libs = await ensureKafkaLibs();
const clusters = new Map<BrokerKind, RunningBroker>();
const pin = values.pin?.split(':');
if (pin) taskset(process.pid, pin[1]!);
try {
  for (const kind of kinds) {
    const o = { dir: path.join(dir, kind), logPrefix: path.join(dir, kind) };
    const b = kind === 'tidelog' ? await startTidelogCluster(o) : await startKafkaCluster({ ...o, libs });
    clusters.set(kind, b);
    if (pin) for (const pid of [...(b.pids ?? [b.pid]), ...(b.auxPids ?? [])]) taskset(pid, pin[0]!);
    await createTopic({ host: b.host, port: b.port }, TOPIC, 1, { 'min.insync.replicas': String(MIN_INSYNC_REPLICAS) }, REPLICATION_FACTOR);
    await awaitLeaders(b.endpoints!, TOPIC, 1, 60_000);
    const p = await producerPerformance(libs, { bootstrap: b.bootstrap, topic: TOPIC, records, recordSize: 100, throughput: -1, acks: '1' });
    for (let i = 0; i < 600 && (await endOffsetSum(b.endpoints!, TOPIC, 1)) < records; i++) await new Promise((r) => setTimeout(r, 50));
    process.stdout.write(`${kind}: produced ${records} at ${p.recordsPerSec.toFixed(0)} records/s; bootstrap ${b.bootstrap}\n    ${await layout(b, 'bench-consumer-1')}\n    ${await batchLayout(b)}\n`);
  }
  // Both clusters idle: what each process uses with nothing to do (it is the idle side of the other's phases).
  const idleMs = 10_000;
  const procs = [...clusters.entries()].flatMap(([kind, c]) => [...(c.pids ?? [c.pid]).map((pid, i) => ({ name: `${kind} broker ${i + 1}`, pid })), ...(c.auxPids ?? []).map((pid) => ({ name: `${kind} ${kind === 'tidelog' ? 'ZooKeeper' : 'controller'}`, pid }))]);
  const before = procs.map((p) => cpuOf(p.pid));
  await new Promise((r) => setTimeout(r, idleMs));
  process.stdout.write(`idle, ${idleMs / 1000} s, CPU in cores: ${procs.map((p, i) => `${p.name} ${((cpuOf(p.pid) - before[i]!) / (idleMs / 1000)).toFixed(3)}`).join(', ')}\n`);
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? kinds : [...kinds].reverse();
    for (const kind of order) {
      const b = clusters.get(kind)!;
      const group = `bench-consumer-${round}`;
      const idlePids = [...clusters.values()].flatMap((c) => (c === b ? [...(c.auxPids ?? [])] : [...(c.pids ?? [c.pid]), ...(c.auxPids ?? [])]));
      if (idleBeforeReadMs > 0) await new Promise((r) => setTimeout(r, idleBeforeReadMs));
      const cached = cachedPerBroker(path.join(dir, kind));
      const line = await consume(libs, b, group, idlePids);
      process.stdout.write(`round ${round} ${kind}: ${cached}; ${line}\n    ${(await layout(b, group)).split('\n    ').pop()}\n    raw reads (this process, Fetch v12): ${await batchLayout(b)}\n`);
    }
  }
} finally {
  for (const b of clusters.values()) await b.stop();
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
}
