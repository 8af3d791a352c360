// The replicated producer scenarios looked at process by process and thread by thread (issue
// #20: Tidelog's broker CPU per GiB for acks=all was 0.69 of Kafka's at full volumes, the aim
// 0.5). Both three-broker clusters (bench/replicated.ts) run side by side as in the harness;
// each round writes a new topic on each (ProducerPerformance, 100 B records, replication factor
// 3, min.insync.replicas=2), the clusters alternating who goes first. Prints per run: the rate,
// then for each broker (the partition's leader first) its user and system CPU per GiB, its
// context switches per produce batch (voluntary: it waited for something, a socket or another
// thread; involuntary: the scheduler took the CPU) and its busiest threads.
// Topics are kept until the end, so a later round does not write into pages an earlier one freed.
//
//   node dist/bench/replicated-produce.js [--rounds 2] [--records 2000000] [--acks all|1]
//                                         [--only tidelog|kafka] [--node-flags "..."]
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { KafkaConnection } from '../src/client/kafka-connection.js';
import { ApiKey } from '../src/protocol/generated/index.js';
import { awaitLeaders, createTopic } from './admin.js';
import type { BrokerKind, RunningBroker } from './brokers.js';
import { ensureKafkaLibs } from './kafka-dist.js';
import { producerPerformance } from './load-tools.js';
import { CLK_TCK, cpuTimes } from './proc-stats.js';
import { MIN_INSYNC_REPLICAS, REPLICATION_FACTOR, startKafkaCluster, startTidelogCluster } from './replicated.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    records: { type: 'string', default: '2000000' },
    acks: { type: 'string', default: 'all' },
    only: { type: 'string' },
    'node-flags': { type: 'string', default: '' },
  },
});
const rounds = Number(values.rounds);
const records = Number(values.records);
const kinds: BrokerKind[] = values.only ? [values.only as BrokerKind] : ['tidelog', 'kafka'];
const GiB = 1024 ** 3;
/** ProducerPerformance's batches: 16 KiB (batch.size) of 100 B records, as the leader stores them. */
const RECORDS_PER_BATCH = 163;

interface ThreadStat {
  readonly name: string;
  readonly cpuSec: number;
  readonly voluntary: number;
  readonly involuntary: number;
}

/** Every thread of a process: its name, CPU seconds and context switches. */
function threads(pid: number): Map<string, ThreadStat> {
  const out = new Map<string, ThreadStat>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      const num = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
      out.set(tid, { name, cpuSec: (Number(f[11]) + Number(f[12])) / CLK_TCK, voluntary: num('voluntary_ctxt_switches'), involuntary: num('nonvoluntary_ctxt_switches') });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

interface ProcessSample {
  readonly user: number;
  readonly system: number;
  readonly threads: Map<string, ThreadStat>;
}

function sample(pid: number): ProcessSample {
  const t = cpuTimes(pid);
  return { user: t.userSec, system: t.systemSec, threads: threads(pid) };
}

/** What a process did between two samples: CPU, context switches, its busiest threads (threads of one name summed). */
function describe(before: ProcessSample, after: ProcessSample, gib: number, batches: number): string {
  let voluntary = 0;
  let involuntary = 0;
  const byName = new Map<string, number>();
  for (const [tid, a] of after.threads) {
    const b = before.threads.get(tid) ?? { cpuSec: 0, voluntary: 0, involuntary: 0 };
    voluntary += a.voluntary - b.voluntary;
    involuntary += a.involuntary - b.involuntary;
    const name = a.name.replace(/\d+$/, 'N');
    byName.set(name, (byName.get(name) ?? 0) + a.cpuSec - b.cpuSec);
  }
  const top = [...byName]
    .filter(([, s]) => s > 0)
    .sort((x, y) => y[1] - x[1])
    .slice(0, 6)
    .map(([n, s]) => `${n} ${(s / gib).toFixed(1)}`)
    .join(', ');
  const user = after.user - before.user;
  const system = after.system - before.system;
  return `CPU ${((user + system) / gib).toFixed(1)} s/GiB (user ${(user / gib).toFixed(1)}, system ${(system / gib).toFixed(1)}); context switches per batch ${(voluntary / batches).toFixed(2)} voluntary, ${(involuntary / batches).toFixed(2)} involuntary; threads s/GiB: ${top}`;
}

async function leaderOf(b: RunningBroker, topic: string): Promise<number> {
  const c = await KafkaConnection.connect(b.host, b.port, 'bench-layout');
  try {
    const md = await c.request(ApiKey.Metadata, 12, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    return md.topics[0]!.partitions[0]!.leaderId;
  } finally {
    c.close();
  }
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'tidelog-repprod-'));
const libs = await ensureKafkaLibs();
const clusters = new Map<BrokerKind, RunningBroker>();
const nodeFlags = values['node-flags'].split(/\s+/).filter(Boolean);
try {
  for (const kind of kinds) {
    const o = { dir: path.join(dir, kind), logPrefix: path.join(dir, kind), nodeFlags };
    const b = kind === 'tidelog' ? await startTidelogCluster(o) : await startKafkaCluster({ ...o, libs });
    clusters.set(kind, b);
    // Warm-up, as the harness's: a topic written once so that every broker has run leader and follower code.
    await createTopic({ host: b.host, port: b.port }, 'warm-up', 3, { 'min.insync.replicas': String(MIN_INSYNC_REPLICAS) }, REPLICATION_FACTOR);
    await awaitLeaders(b.endpoints!, 'warm-up', 3, 60_000);
    await producerPerformance(libs, { bootstrap: b.bootstrap, topic: 'warm-up', records: 2_000_000, recordSize: 100, throughput: -1, acks: values.acks });
    process.stdout.write(`${kind}: started, warmed up; bootstrap ${b.bootstrap}\n`);
  }
  const gib = (records * 100) / GiB;
  const batches = records / RECORDS_PER_BATCH;
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? kinds : [...kinds].reverse();
    for (const kind of order) {
      const b = clusters.get(kind)!;
      const topic = `p-${round}`;
      await createTopic({ host: b.host, port: b.port }, topic, 1, { 'min.insync.replicas': String(MIN_INSYNC_REPLICAS) }, REPLICATION_FACTOR);
      await awaitLeaders(b.endpoints!, topic, 1, 60_000);
      const leader = await leaderOf(b, topic);
      const pids = b.pids ?? [b.pid];
      const before = pids.map(sample);
      const p = await producerPerformance(libs, { bootstrap: b.bootstrap, topic, records, recordSize: 100, throughput: -1, acks: values.acks });
      const after = pids.map(sample);
      const total = pids.reduce((a, _, i) => a + after[i]!.user - before[i]!.user + after[i]!.system - before[i]!.system, 0);
      const lines = pids
        .map((_, i) => ({ id: i + 1, text: describe(before[i]!, after[i]!, gib, batches) }))
        .sort((x, y) => Number(y.id === leader) - Number(x.id === leader))
        .map((x) => `    broker ${x.id}${x.id === leader ? ' (leader)' : ' (follower)'}: ${x.text}`);
      process.stdout.write(`round ${round} ${kind} acks=${values.acks}: ${p.recordsPerSec.toFixed(0)} records/s, brokers ${(total / gib).toFixed(1)} s/GiB, latency avg ${p.avgLatencyMs} ms\n${lines.join('\n')}\n`);
    }
  }
} finally {
  for (const b of clusters.values()) await b.stop();
  rmSync(dir, { recursive: true, force: true });
}
