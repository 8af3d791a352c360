// The scenarios, after LinkedIn's "Benchmarking Apache Kafka: 2 Million Writes Per Second
// (On Three Cheap Machines)" (2014), scaled to one node: one producer with small records and
// no replication, the same with bigger records, acks=all, three producers at once, one
// consumer reading what was produced, and end-to-end latency; plus kcat (librdkafka) as a
// second, non-JVM load generator for producing and consuming.
//
// Each scenario runs against one broker and checks what it did: the log end offsets
// (ListOffsets) equal the records sent, and a consumer counts as many records as there are.
//
// SASL_SSL_SCENARIOS (ids ending in -sasl-ssl, not run by default) are four of them again,
// on their own topics, with the load generators on the brokers' SASL_SSL listener (TLS and
// SASL PLAIN, bench/security.ts); the harness's own requests stay on PLAINTEXT.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { awaitLeaders, createTopic, endOffsetSum, type Endpoints } from './admin.js';
import type { RunningBroker } from './brokers.js';
import type { KafkaLibs } from './kafka-dist.js';
import { consumerPerformance, endToEndLatency, kcatConsume, kcatProduce, producerPerformance, type ConsumerFetchMetrics, type ToolRun } from './load-tools.js';
import { describeResidency, evictFiles, residency, topicSegmentFiles, warmFiles } from './page-cache.js';
import type { GeneratorLoad } from './proc-stats.js';
import type { SaslSsl } from './security.js';

export interface Volumes {
  /** One producer, 100-byte records (and what the consumers read). */
  readonly records100: number;
  /** One producer, 1 KiB records. */
  readonly records1k: number;
  readonly recordsAcksAll: number;
  /** One transactional producer (acks=all, idempotent), 100 B records. */
  readonly recordsTransactional: number;
  /** Each of the three concurrent producers. */
  readonly recordsPerProducerOf3: number;
  /** kcat's producer (lines of the pre-generated file). */
  readonly kcatRecords: number;
  /** Fixed-rate producer for produce latency: records/s and seconds. */
  readonly latencyRate: number;
  readonly latencySeconds: number;
  /** EndToEndLatency: records sent one at a time. */
  readonly e2eRecords: number;
  /** Unmeasured produce at the start of each broker's round, so neither is measured cold. */
  readonly warmupRecords: number;
}

export const QUICK: Volumes = {
  records100: 1_000_000,
  records1k: 200_000,
  recordsAcksAll: 500_000,
  recordsTransactional: 500_000,
  recordsPerProducerOf3: 300_000,
  kcatRecords: 1_000_000,
  latencyRate: 10_000,
  latencySeconds: 10,
  e2eRecords: 3_000,
  warmupRecords: 2_000_000,
};

export const FULL: Volumes = {
  records100: 10_000_000,
  records1k: 2_000_000,
  recordsAcksAll: 5_000_000,
  recordsTransactional: 5_000_000,
  recordsPerProducerOf3: 3_000_000,
  kcatRecords: 10_000_000,
  latencyRate: 10_000,
  latencySeconds: 60,
  e2eRecords: 20_000,
  warmupRecords: 3_000_000,
};

export interface ScenarioContext {
  readonly libs: KafkaLibs;
  readonly broker: RunningBroker;
  readonly volumes: Volumes;
  readonly round: number;
  /** The pre-generated kcat input: `records` lines of `recordSize` bytes. */
  readonly kcatFile: string;
  /** The SASL_SSL settings, when the brokers were started with that listener. */
  readonly saslSsl?: SaslSsl;
  /** A cluster (--replicated): topics get this replication factor and min.insync.replicas. */
  readonly replication?: { readonly factor: number; readonly minInsyncReplicas: number };
}

export interface Latency {
  readonly avgMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
}

/** What a scenario reports; the runner adds the broker's CPU and the machine's other load. */
export interface Outcome {
  /** Records moved (produced or consumed). */
  readonly records: number;
  /** Record value bytes moved (what "GB moved" counts). */
  readonly bytes: number;
  readonly recordsPerSec: number;
  /** MiB of record values per second. */
  readonly mibPerSec: number;
  readonly latency?: Latency;
  /** What was checked, e.g. "end offset 1000000 = 1000000 sent". */
  readonly check: string;
  readonly commands: readonly string[];
  readonly notes?: string;
  /** What the load generator(s) used: a busiest thread near 1 core means the client was the limit. */
  readonly generator?: GeneratorLoad | null;
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  /** Which figures the report shows for it. */
  readonly kind: 'throughput' | 'latency';
  /** Its load generators use the brokers' SASL_SSL listener (which the runner then starts them with). */
  readonly saslSsl?: boolean;
  /** Unmeasured set-up right before the measured phase (the data a consumer reads). */
  prepare?(ctx: ScenarioContext): Promise<void>;
  run(ctx: ScenarioContext): Promise<Outcome>;
}

const MiB = 1024 * 1024;

/** Several generators at once: their cores add up; the busiest thread is the busiest of all. */
function combinedLoad(loads: readonly (GeneratorLoad | null)[]): GeneratorLoad | null {
  if (loads.some((l) => l === null)) return null;
  const all = loads as GeneratorLoad[];
  const busiest = all.reduce((a, b) => (b.busiestThreadShare > a.busiestThreadShare ? b : a));
  return { cores: all.reduce((a, l) => a + l.cores, 0), busiestThread: busiest.busiestThread, busiestThreadShare: busiest.busiestThreadShare };
}

/** The broker, or every broker of a cluster (admin requests that need a partition's leader ask each). */
function ep(b: RunningBroker): Endpoints {
  return b.endpoints ?? { host: b.host, port: b.port };
}

/**
 * Creates a scenario's topic: on a single broker with replication factor 1; on a cluster
 * (ctx.replication) with its replication factor and min.insync.replicas, then waits until
 * every partition has a leader (Kafka's CreateTopics answers before its brokers know them).
 */
async function benchTopic(ctx: ScenarioContext, topic: string, partitions: number): Promise<void> {
  const r = ctx.replication;
  const first = { host: ctx.broker.host, port: ctx.broker.port };
  if (!r) return createTopic(first, topic, partitions);
  await createTopic(first, topic, partitions, { 'min.insync.replicas': String(r.minInsyncReplicas) }, r.factor);
  await awaitLeaders(ep(ctx.broker), topic, partitions, 60_000);
}

/** Where a load generator connects: the PLAINTEXT listener, or the SASL_SSL one with its settings. */
interface Client {
  readonly bootstrap: string;
  readonly security?: SaslSsl;
}

function clientOf({ broker, saslSsl }: ScenarioContext, secured: boolean): Client {
  if (!secured) return { bootstrap: broker.bootstrap };
  if (!saslSsl || broker.saslSslBootstrap === undefined) throw new Error(`${broker.kind} was started without a SASL_SSL listener`);
  return { bootstrap: broker.saslSslBootstrap, security: saslSsl };
}

const SASL_SSL_TITLE = ', over SASL_SSL (TLS, SASL PLAIN)';

/** How long a cluster's followers may take to bring the high watermark up to what acks=1 acknowledged. */
const REPLICATION_CATCH_UP_MS = 30_000;

async function expectEndOffset(b: RunningBroker, topic: string, partitions: number, sent: number): Promise<string> {
  // ListOffsets latest is the high watermark: on a cluster, after an acks=1 run, it reaches the
  // last record once the followers have it.
  const deadline = performance.now() + (b.endpoints ? REPLICATION_CATCH_UP_MS : 0);
  for (;;) {
    const end = await endOffsetSum(ep(b), topic, partitions);
    if (end === sent) return `end offset ${end} = sent`;
    if (end > sent || performance.now() >= deadline) throw new Error(`${topic}: log end offset ${end}, but ${sent} records were sent`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function oneProducer(id: string, title: string, topic: string, records: (v: Volumes) => number, recordSize: number, acks: string, secured = false): Scenario {
  return {
    id,
    title,
    kind: 'throughput',
    saslSsl: secured,
    async run(ctx) {
      const { libs, broker, volumes } = ctx;
      await benchTopic(ctx, topic, 1);
      const n = records(volumes);
      const r = await producerPerformance(libs, { ...clientOf(ctx, secured), topic, records: n, recordSize, throughput: -1, acks });
      const check = await expectEndOffset(broker, topic, 1, n);
      return {
        records: n,
        bytes: n * recordSize,
        recordsPerSec: r.recordsPerSec,
        mibPerSec: r.mibPerSec,
        latency: { avgMs: r.avgLatencyMs, p50Ms: r.p50Ms, p99Ms: r.p99Ms, p999Ms: r.p999Ms },
        check,
        commands: [r.run.command],
        generator: r.run.load,
      };
    },
  };
}

const PRODUCE_100: Scenario = oneProducer('produce-100b', '1 producer, 100 B records, acks=1', 'p100', (v) => v.records100, 100, '1');
const PRODUCE_1K: Scenario = oneProducer('produce-1kib', '1 producer, 1 KiB records, acks=1', 'p1k', (v) => v.records1k, 1024, '1');
const PRODUCE_ACKS_ALL: Scenario = oneProducer('produce-100b-acks-all', '1 producer, 100 B records, acks=-1 (all)', 'p100-all', (v) => v.recordsAcksAll, 100, '-1');

/** How long each transaction of the transactional scenario stays open (ProducerPerformance --transaction-duration-ms). */
const TRANSACTION_DURATION_MS = 100;

/**
 * ProducerPerformance with a transactional id: a transaction every 100 ms (InitProducerId,
 * AddPartitionsToTxn, the batches, EndTxn and the markers), acks=all. Checked by a
 * read_committed consumer (kcat), which must count every record sent: the end offset also
 * holds one marker per transaction.
 */
const PRODUCE_TRANSACTIONAL: Scenario = {
  id: 'produce-100b-transactional',
  title: `1 transactional producer, 100 B records, a commit every ${TRANSACTION_DURATION_MS} ms (acks=all)`,
  kind: 'throughput',
  async run(ctx) {
    const { libs, broker, volumes, round } = ctx;
    const topic = 'p100-txn';
    await benchTopic(ctx, topic, 1);
    const n = volumes.recordsTransactional;
    const r = await producerPerformance(libs, { bootstrap: broker.bootstrap, topic, records: n, recordSize: 100, throughput: -1, acks: '-1', transaction: { id: `bench-txn-${round}`, durationMs: TRANSACTION_DURATION_MS } });
    const read = await kcatConsume({ bootstrap: broker.bootstrap, topic, isolation: 'read_committed' });
    if (read.records !== n) throw new Error(`${topic}: a read_committed consumer counted ${read.records} records, but ${n} were sent`);
    const end = await endOffsetSum(ep(broker), topic, 1);
    return {
      records: n,
      bytes: n * 100,
      recordsPerSec: r.recordsPerSec,
      mibPerSec: r.mibPerSec,
      latency: { avgMs: r.avgLatencyMs, p50Ms: r.p50Ms, p99Ms: r.p99Ms, p999Ms: r.p999Ms },
      check: `read_committed count ${read.records} = sent (end offset ${end}: ${end - n} markers)`,
      commands: [r.run.command, read.run.command],
      generator: r.run.load,
    };
  },
};

const PRODUCE_3: Scenario = {
  id: 'produce-100b-3-producers',
  title: '3 producers at once, 100 B records, acks=1, 3 partitions',
  kind: 'throughput',
  async run(ctx) {
    const { libs, broker, volumes } = ctx;
    const topic = 'p100-3x';
    const partitions = 3;
    await benchTopic(ctx, topic, partitions);
    const n = volumes.recordsPerProducerOf3;
    const runs = await Promise.all([0, 1, 2].map(() => producerPerformance(libs, { bootstrap: broker.bootstrap, topic, records: n, recordSize: 100, throughput: -1, acks: '1' })));
    const check = await expectEndOffset(broker, topic, partitions, 3 * n);
    const sum = (f: (r: (typeof runs)[number]) => number): number => runs.reduce((a, r) => a + f(r), 0);
    return {
      records: 3 * n,
      bytes: 3 * n * 100,
      recordsPerSec: sum((r) => r.recordsPerSec),
      mibPerSec: sum((r) => r.mibPerSec),
      check,
      commands: [`3 at once: ${runs[0]!.run.command}`],
      generator: combinedLoad(runs.map((r) => r.run.load)),
      notes: `per producer: ${runs.map((r) => Math.round(r.recordsPerSec)).join(', ')} records/s`,
    };
  },
};

/** The consumer's fetches as it counted them: the same data read in the same number and size of fetches is the same mechanism. */
function fetchNote(f: ConsumerFetchMetrics | null): string {
  if (!f) return '';
  return `; ${f.fetchTotal} fetches of ${Math.round(f.fetchSizeAvgBytes)} B and ${Math.round(f.recordsPerRequestAvg)} records on average, fetch latency avg ${f.fetchLatencyAvgMs.toFixed(1)} max ${f.fetchLatencyMaxMs} ms`;
}

/**
 * Where the consumer's data is when it starts reading: `'memory'`, every page of the topic's
 * segment files read just before (a consumer that keeps up reads from the page cache), or
 * `'disk'`, none of them (a consumer far behind). Set in the scenario's unmeasured prepare
 * step for both brokers alike, so it does not depend on how long ago the data was written
 * (bench/page-cache.ts).
 */
type ReadFrom = 'memory' | 'disk';

function oneConsumer(id: string, title: string, topic: string, writtenBy: string, secured = false, readFrom: ReadFrom = 'memory'): Scenario {
  /** The page cache as the read starts, for the notes. */
  let cacheAtStart = '';
  return {
    id,
    title,
    kind: 'throughput',
    saslSsl: secured,
    prepare(ctx) {
      const files = topicSegmentFiles(ctx.broker.dataDir, topic);
      if (readFrom === 'memory') warmFiles(files);
      else evictFiles(files);
      cacheAtStart = describeResidency(residency(files));
      return Promise.resolve();
    },
    async run(ctx) {
      const { libs, broker, round } = ctx;
      const end = await endOffsetSum(ep(broker), topic, 1);
      if (end === 0) throw new Error(`${topic} is empty: run ${writtenBy} first`);
      const r = await consumerPerformance(libs, { ...clientOf(ctx, secured), topic, records: end, group: `bench-${id}-${round}` });
      if (r.records !== end) throw new Error(`ConsumerPerformance consumed ${r.records} records of ${end}`);
      return {
        records: r.records,
        bytes: r.records * 100,
        recordsPerSec: r.recordsPerSec,
        mibPerSec: r.mibPerSec,
        check: `consumed ${r.records} = end offset`,
        commands: [r.run.command],
        generator: r.run.load,
        notes: `at the start its segment files (all replicas) had ${cacheAtStart}; group join ${r.rebalanceMs} ms (excluded from the rate), fetch ${r.fetchMs} ms${fetchNote(r.fetches)}`,
      };
    },
  };
}

const CONSUME_100: Scenario = oneConsumer('consume-100b', '1 consumer (group) reading the 100 B topic from the start, from the page cache', 'p100', 'produce-100b');
const CONSUME_100_FROM_DISK: Scenario = oneConsumer('consume-100b-from-disk', '1 consumer (group) reading the 100 B topic from the start, from the disk (its files evicted from the page cache first)', 'p100', 'produce-100b', false, 'disk');

function kcatProducer(id: string, title: string, topic: string, secured = false): Scenario {
  return {
    id,
    title,
    kind: 'throughput',
    saslSsl: secured,
    async run(ctx) {
      const { broker, volumes, kcatFile } = ctx;
      await benchTopic(ctx, topic, 1);
      const n = volumes.kcatRecords;
      const r = await kcatProduce({ ...clientOf(ctx, secured), topic, file: kcatFile, records: n, acks: '1' });
      const check = await expectEndOffset(broker, topic, 1, n);
      return { records: n, bytes: n * 100, recordsPerSec: r.recordsPerSec, mibPerSec: (r.recordsPerSec * 100) / MiB, check, commands: [r.run.command], generator: r.run.load, notes: 'rate over kcat\'s whole run (start to exit)' };
    },
  };
}

const KCAT_PRODUCE: Scenario = kcatProducer('kcat-produce-100b', 'kcat (librdkafka) producer, 100 B records, acks=1', 'kcat100');

/** kcat -C of a whole one-partition topic, checked against its end offset. */
async function kcatConsumeAll(broker: RunningBroker, topic: string, writtenBy: string, cpu?: number, client: Client = { bootstrap: broker.bootstrap }): Promise<Outcome> {
  const end = await endOffsetSum(ep(broker), topic, 1);
  if (end === 0) throw new Error(`${topic} is empty: ${writtenBy} writes it`);
  const r = await kcatConsume({ ...client, topic, cpu });
  if (r.records !== end) throw new Error(`kcat consumed ${r.records} records of ${end}`);
  return { records: r.records, bytes: r.records * 100, recordsPerSec: r.recordsPerSec, mibPerSec: (r.recordsPerSec * 100) / MiB, check: `consumed ${r.records} = end offset`, commands: [r.run.command], generator: r.run.load, notes: 'rate over kcat\'s whole run (start to exit)' };
}

const KCAT_CONSUME: Scenario = {
  id: 'kcat-consume-100b',
  title: 'kcat (librdkafka) consumer reading the kcat topic from the start',
  kind: 'throughput',
  run: ({ broker }) => kcatConsumeAll(broker, 'kcat100', 'kcat-produce-100b'),
};

const SAME_BATCHES_TOPIC = 'kcat100-full';
const SAME_BATCHES_NOTE = 'the topic was written first, unmeasured, by kcat -P -X linger.ms=200 of the same file';

/**
 * The kcat topic above holds the batches kcat's producer made against each broker, and it
 * makes smaller ones against a broker that acknowledges sooner; librdkafka fetches one batch
 * per round trip, so the two brokers would serve different data. Here kcat's producer waits
 * up to 200 ms per batch (linger.ms), which fills every batch to its 1 MB batch.size: both
 * brokers store the same batches, and the reads compare the fetch paths alone. Written once
 * per broker and round, by whichever scenario reading it runs first.
 */
async function writeSameBatchesTopic(ctx: ScenarioContext): Promise<void> {
  const { broker, volumes, kcatFile } = ctx;
  await benchTopic(ctx, SAME_BATCHES_TOPIC, 1);
  await awaitLeaders(ep(broker), SAME_BATCHES_TOPIC, 1);
  if ((await endOffsetSum(ep(broker), SAME_BATCHES_TOPIC, 1)) === 0) {
    await kcatProduce({ bootstrap: broker.bootstrap, topic: SAME_BATCHES_TOPIC, file: kcatFile, records: volumes.kcatRecords, acks: '1', extraArgs: ['-X', 'linger.ms=200'] });
  }
  await expectEndOffset(broker, SAME_BATCHES_TOPIC, 1, volumes.kcatRecords);
}

/** A kcat read of the same-batches topic; on CPU `cpu` alone when given. */
function sameBatchesRead(id: string, title: string, cpu?: () => number): Scenario {
  return {
    id,
    title,
    kind: 'throughput',
    prepare: writeSameBatchesTopic,
    async run({ broker }) {
      const pinnedTo = cpu?.();
      const o = await kcatConsumeAll(broker, SAME_BATCHES_TOPIC, 'its prepare step', pinnedTo);
      const pinning = pinnedTo === undefined ? '' : `; kcat on CPU ${pinnedTo} alone (taskset), the broker unpinned`;
      return { ...o, notes: `${o.notes}${pinning}; ${SAME_BATCHES_NOTE}` };
    },
  };
}

const KCAT_CONSUME_SAME_BATCHES = sameBatchesRead('kcat-consume-100b-same-batches', 'kcat (librdkafka) consumer reading a topic of the same full 1 MB batches on both brokers');

/**
 * The same read with kcat on one CPU (the last), the broker free to use all. librdkafka hands
 * every fetch from its broker thread to the application thread through a futex wake-up; on a
 * VM, waking a vCPU that went idle costs far more than a wake-up on a busy one, so unpinned,
 * kcat's own speed depends on how much of the other core the broker leaves idle (a broker
 * that uses less CPU makes kcat slower). On one core kcat's threads take turns without
 * cross-CPU wake-ups, and the figure compares the brokers again. BENCHMARKS.md has the
 * measurements behind this.
 */
const KCAT_CONSUME_ONE_CORE = sameBatchesRead('kcat-consume-100b-one-core', 'kcat (librdkafka) consumer pinned to one core, reading the same full 1 MB batches', lastAllowedCpu);

/** The highest CPU this process may run on (`Cpus_allowed_list`, e.g. "0-1" or "0,2-3"). */
function lastAllowedCpu(): number {
  const line = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
  const last = line ? Number(line[1]!.split(',').pop()!.split('-').pop()) : NaN;
  return Number.isInteger(last) ? last : os.cpus().length - 1;
}

const PRODUCE_LATENCY: Scenario = {
  id: 'produce-latency',
  title: 'produce latency at a fixed rate below saturation (100 B, acks=1)',
  kind: 'latency',
  async run(ctx) {
    const { libs, broker, volumes } = ctx;
    const topic = 'lat';
    await benchTopic(ctx, topic, 1);
    const n = volumes.latencyRate * volumes.latencySeconds;
    const r = await producerPerformance(libs, { bootstrap: broker.bootstrap, topic, records: n, recordSize: 100, throughput: volumes.latencyRate, acks: '1' });
    const check = await expectEndOffset(broker, topic, 1, n);
    return {
      records: n,
      bytes: n * 100,
      recordsPerSec: r.recordsPerSec,
      mibPerSec: r.mibPerSec,
      latency: { avgMs: r.avgLatencyMs, p50Ms: r.p50Ms, p99Ms: r.p99Ms, p999Ms: r.p999Ms },
      check,
      commands: [r.run.command],
      notes: `send to acknowledgement, ${volumes.latencyRate} records/s for ${volumes.latencySeconds} s; includes the producer's linger.ms (5 ms default in Kafka 4 clients)`,
    };
  },
};

const E2E_LATENCY: Scenario = {
  id: 'e2e-latency',
  title: 'end-to-end latency, one record in flight (EndToEndLatency, 100 B, acks=1)',
  kind: 'latency',
  async run(ctx) {
    const { libs, broker, volumes } = ctx;
    const topic = 'e2e';
    await benchTopic(ctx, topic, 1);
    const n = volumes.e2eRecords;
    const r = await endToEndLatency(libs, { bootstrap: broker.bootstrap, topic, records: n, recordSize: 100, acks: '1' });
    const check = await expectEndOffset(broker, topic, 1, n);
    return {
      records: n,
      bytes: n * 100,
      recordsPerSec: n / (r.run.wallMs / 1000),
      mibPerSec: (n * 100) / MiB / (r.run.wallMs / 1000),
      latency: { avgMs: r.avgMs, p50Ms: r.p50Ms, p99Ms: r.p99Ms, p999Ms: r.p999Ms },
      check,
      commands: [r.run.command],
      notes: 'produce, then poll until the consumer has it; percentiles in whole ms',
    };
  },
};

/** In the order they run: the consumers read what the producers before them wrote. */
export const SCENARIOS: readonly Scenario[] = [PRODUCE_100, PRODUCE_1K, PRODUCE_ACKS_ALL, PRODUCE_TRANSACTIONAL, PRODUCE_3, CONSUME_100, CONSUME_100_FROM_DISK, KCAT_PRODUCE, KCAT_CONSUME, KCAT_CONSUME_SAME_BATCHES, KCAT_CONSUME_ONE_CORE, PRODUCE_LATENCY, E2E_LATENCY];

/**
 * The same producers and consumers with the load generators on the SASL_SSL listener, on
 * topics of their own. Run only when named (--scenarios), after the plain ones.
 */
export const SASL_SSL_SCENARIOS: readonly Scenario[] = [
  oneProducer('produce-100b-sasl-ssl', `1 producer, 100 B records, acks=1${SASL_SSL_TITLE}`, 'p100-sasl-ssl', (v) => v.records100, 100, '1', true),
  oneConsumer('consume-100b-sasl-ssl', `1 consumer (group) reading the 100 B topic from the start, from the page cache${SASL_SSL_TITLE}`, 'p100-sasl-ssl', 'produce-100b-sasl-ssl', true),
  kcatProducer('kcat-produce-100b-sasl-ssl', `kcat (librdkafka) producer, 100 B records, acks=1${SASL_SSL_TITLE}`, 'kcat100-sasl-ssl', true),
  {
    id: 'kcat-consume-100b-sasl-ssl',
    title: `kcat (librdkafka) consumer reading the kcat topic from the start${SASL_SSL_TITLE}`,
    kind: 'throughput',
    saslSsl: true,
    run: (ctx) => kcatConsumeAll(ctx.broker, 'kcat100-sasl-ssl', 'kcat-produce-100b-sasl-ssl', undefined, clientOf(ctx, true)),
  },
];

/** Every scenario --scenarios may name, in the order they run. */
export const ALL_SCENARIOS: readonly Scenario[] = [...SCENARIOS, ...SASL_SSL_SCENARIOS];

/** Unmeasured: a produce and a read of the warm-up topic so both brokers' JITs have run. */
export async function warmUp(ctx: ScenarioContext): Promise<ToolRun[]> {
  const topic = 'warmup';
  // On a cluster, one partition led by each broker: all three run the leader's and the followers' code.
  await benchTopic(ctx, topic, ctx.replication ? 3 : 1);
  const n = ctx.volumes.warmupRecords;
  const p = await producerPerformance(ctx.libs, { bootstrap: ctx.broker.bootstrap, topic, records: n, recordSize: 100, throughput: -1, acks: '1' });
  const c = await consumerPerformance(ctx.libs, { bootstrap: ctx.broker.bootstrap, topic, records: n, group: `bench-warmup-${ctx.round}` });
  return [p.run, c.run];
}

/** Unmeasured, the same over SASL_SSL: the TLS and SASL code of both brokers runs before the secured scenarios do. */
export async function warmUpSaslSsl(ctx: ScenarioContext): Promise<ToolRun[]> {
  const topic = 'warmup-sasl-ssl';
  await benchTopic(ctx, topic, 1);
  const n = ctx.volumes.warmupRecords;
  const client = clientOf(ctx, true);
  const p = await producerPerformance(ctx.libs, { ...client, topic, records: n, recordSize: 100, throughput: -1, acks: '1' });
  const c = await consumerPerformance(ctx.libs, { ...client, topic, records: n, group: `bench-warmup-sasl-ssl-${ctx.round}` });
  return [p.run, c.run];
}
