// The load generators: Apache Kafka's own performance tools (kafka-tools, run on the JVM as
// kafka-producer-perf-test.sh and friends run them, with -Xmx512M) and kcat (librdkafka, a
// C client) as a second, non-JVM generator. Each wrapper runs one tool to completion, checks
// its exit status and parses the figures it prints. Given the SASL_SSL settings
// (bench/security.ts), Kafka's tools read them from a client properties file
// (--command-config, what 4.4 calls --producer.config/--consumer.config) and kcat gets them
// as -X options.
import { KAFKA_MAIN, runKafkaClass, type KafkaLibs } from './kafka-dist.js';
import type { GeneratorLoad } from './proc-stats.js';
import { runProcess } from './run-process.js';
import type { SaslSsl } from './security.js';

/** kafka-producer-perf-test.sh and kafka-consumer-perf-test.sh set KAFKA_HEAP_OPTS=-Xmx512M. */
const TOOL_HEAP = '512M';
const TOOL_TIMEOUT_MS = 1_800_000;

export interface ToolRun {
  /** The command as a reader can run it ($KAFKA_LIBS is the fetched libs folder). */
  readonly command: string;
  readonly wallMs: number;
  /** Its threads' CPU over the run (null when it ran under a second). */
  readonly load: GeneratorLoad | null;
}

function quote(a: string): string {
  return /[\s*'"$]/.test(a) ? `'${a}'` : a;
}

function javaCommand(mainClass: string, args: readonly string[]): string {
  return ['java', `-Xmx${TOOL_HEAP}`, '-cp', "'$KAFKA_LIBS/*'", mainClass, ...args.map(quote)].join(' ');
}

async function runTool(libs: KafkaLibs, mainClass: string, args: string[]): Promise<{ stdout: string; stderr: string; run: ToolRun }> {
  const r = await runKafkaClass(libs, mainClass, args, { heap: TOOL_HEAP, timeoutMs: TOOL_TIMEOUT_MS, sampleCpu: true });
  const command = javaCommand(mainClass, args);
  if (r.code !== 0) throw new Error(`${command} exited ${r.code}:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}`);
  return { stdout: r.stdout, stderr: r.stderr, run: { command, wallMs: r.wallMs, load: r.load ?? null } };
}

/** Producer settings every producer run gets, on both brokers. */
function producerProps(bootstrap: string, acks: string, transactional: boolean): string[] {
  // Idempotence off: the Java producer turns it on by default for acks=all, which needs
  // InitProducerId; the comparison is of the log, so both brokers get the same plain producer.
  // A transactional producer needs it (and acks=all).
  return [`bootstrap.servers=${bootstrap}`, `acks=${acks}`, `enable.idempotence=${transactional}`];
}

export interface ProducerResult {
  readonly records: number;
  readonly recordsPerSec: number;
  /** ProducerPerformance's MB/sec: record size × records/s ÷ 2^20. */
  readonly mibPerSec: number;
  readonly avgLatencyMs: number;
  readonly maxLatencyMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly run: ToolRun;
}

// "1000000 records sent, 412345.6 records/sec (39.32 MB/sec), 12.3 ms avg latency, 250.0 ms max latency, 3 ms 50th, 40 ms 95th, 90 ms 99th, 200 ms 99.9th."
const PRODUCER_SUMMARY =
  /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th/;

/** org.apache.kafka.tools.ProducerPerformance (kafka-producer-perf-test.sh). `throughput` -1 is unthrottled. */
export async function producerPerformance(
  libs: KafkaLibs,
  o: { bootstrap: string; topic: string; records: number; recordSize: number; throughput: number; acks: string; transaction?: { readonly id: string; readonly durationMs: number }; security?: SaslSsl },
): Promise<ProducerResult> {
  const txn = o.transaction ? ['--transactional-id', o.transaction.id, '--transaction-duration-ms', String(o.transaction.durationMs)] : [];
  const security = o.security ? ['--command-config', o.security.clientConfig] : [];
  const args = ['--topic', o.topic, '--num-records', String(o.records), '--record-size', String(o.recordSize), '--throughput', String(o.throughput), ...txn, ...security, '--command-property', ...producerProps(o.bootstrap, o.acks, o.transaction !== undefined)];
  const { stdout, stderr, run } = await runTool(libs, KAFKA_MAIN.producerPerformance, args);
  const m = PRODUCER_SUMMARY.exec(stdout);
  if (!m) throw new Error(`no summary line from ProducerPerformance:\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`);
  if (/Exception/.test(stdout + stderr)) throw new Error(`ProducerPerformance reported errors:\n${stdout.slice(-2000)}\n${stderr.slice(-4000)}`);
  return {
    records: Number(m[1]),
    recordsPerSec: Number(m[2]),
    mibPerSec: Number(m[3]),
    avgLatencyMs: Number(m[4]),
    maxLatencyMs: Number(m[5]),
    p50Ms: Number(m[6]),
    p95Ms: Number(m[7]),
    p99Ms: Number(m[8]),
    p999Ms: Number(m[9]),
    run,
  };
}

export interface ConsumerResult {
  readonly records: number;
  readonly mib: number;
  /** Records/s and MiB/s over the fetch time (ConsumerPerformance's fetch.nMsg.sec, fetch.MB.sec: after the group joined). */
  readonly recordsPerSec: number;
  readonly mibPerSec: number;
  readonly rebalanceMs: number;
  readonly fetchMs: number;
  /** What the consumer's fetches looked like (--print-metrics), to compare brokers by mechanism rather than rate. */
  readonly fetches: ConsumerFetchMetrics | null;
  readonly run: ToolRun;
}

/** ConsumerPerformance --print-metrics: the consumer-fetch-manager-metrics the comparison needs (whole run). */
export interface ConsumerFetchMetrics {
  /** fetch-total: Fetch requests answered. */
  readonly fetchTotal: number;
  /** fetch-size-avg: bytes per fetch response (record bytes of all partitions). */
  readonly fetchSizeAvgBytes: number;
  readonly recordsPerRequestAvg: number;
  /** fetch-latency-avg / -max: request sent to response read, as the client saw it. */
  readonly fetchLatencyAvgMs: number;
  readonly fetchLatencyMaxMs: number;
}

/** One metric of --print-metrics' table ("group:name:{client-id=...}   : value"): the client's, not a topic's or a node's. */
function printedMetric(stdout: string, group: string, name: string): number {
  const m = new RegExp(`^${group}:${name}:\\{client-id=[^,}]*\\}\\s*:\\s*(\\S+)`, 'm').exec(stdout);
  return m ? Number(m[1]) : NaN;
}

function fetchMetrics(stdout: string): ConsumerFetchMetrics | null {
  const g = 'consumer-fetch-manager-metrics';
  const fetchTotal = printedMetric(stdout, g, 'fetch-total');
  if (Number.isNaN(fetchTotal)) return null;
  return {
    fetchTotal,
    fetchSizeAvgBytes: printedMetric(stdout, g, 'fetch-size-avg'),
    recordsPerRequestAvg: printedMetric(stdout, g, 'records-per-request-avg'),
    fetchLatencyAvgMs: printedMetric(stdout, g, 'fetch-latency-avg'),
    fetchLatencyMaxMs: printedMetric(stdout, g, 'fetch-latency-max'),
  };
}

/** org.apache.kafka.tools.ConsumerPerformance (kafka-consumer-perf-test.sh): a consumer group reading from the earliest offset. */
export async function consumerPerformance(libs: KafkaLibs, o: { bootstrap: string; topic: string; records: number; group: string; security?: SaslSsl }): Promise<ConsumerResult> {
  const security = o.security ? ['--command-config', o.security.clientConfig] : [];
  // --print-metrics prints the client's metrics once it has stopped, outside the timed part.
  const args = ['--bootstrap-server', o.bootstrap, '--topic', o.topic, '--num-records', String(o.records), '--group', o.group, '--timeout', '60000', '--print-metrics', ...security];
  const { stdout, run } = await runTool(libs, KAFKA_MAIN.consumerPerformance, args);
  // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const lines = stdout.trim().split('\n');
  const header = lines.findIndex((l) => l.startsWith('start.time'));
  const row = header >= 0 ? lines[header + 1]?.split(',').map((s) => s.trim()) : undefined;
  if (!row || row.length < 10) throw new Error(`no result line from ConsumerPerformance:\n${stdout.slice(-2000)}`);
  return {
    mib: Number(row[2]),
    records: Number(row[4]),
    rebalanceMs: Number(row[6]),
    fetchMs: Number(row[7]),
    mibPerSec: Number(row[8]),
    recordsPerSec: Number(row[9]),
    fetches: fetchMetrics(stdout),
    run,
  };
}

export interface LatencyResult {
  readonly avgMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly run: ToolRun;
}

/**
 * org.apache.kafka.tools.EndToEndLatency (kafka-e2e-latency.sh): sends one record, waits
 * until its consumer has it, then the next; percentiles are whole milliseconds.
 */
export async function endToEndLatency(libs: KafkaLibs, o: { bootstrap: string; topic: string; records: number; recordSize: number; acks: string }): Promise<LatencyResult> {
  const args = [o.bootstrap, o.topic, String(o.records), o.acks, String(o.recordSize)];
  const { stdout, run } = await runTool(libs, KAFKA_MAIN.endToEndLatency, args);
  const avg = /Avg latency: ([\d.]+) ms/.exec(stdout);
  const pct = /Percentiles: 50th = (\d+), 99th = (\d+), 99\.9th = (\d+)/.exec(stdout);
  if (!avg || !pct) throw new Error(`no latency summary from EndToEndLatency:\n${stdout.slice(-2000)}`);
  return { avgMs: Number(avg[1]), p50Ms: Number(pct[1]), p99Ms: Number(pct[2]), p999Ms: Number(pct[3]), run };
}

/** kcat with `args`; on CPU `cpu` alone (taskset, which execs kcat in its own process) when given. */
async function runKcat(args: string[], onStdout?: (chunk: Buffer) => void, cpu?: number): Promise<{ wallMs: number; stderr: string; load: GeneratorLoad | null }> {
  const [command, argv] = cpu === undefined ? ['kcat', args] : ['taskset', ['-c', String(cpu), 'kcat', ...args]];
  const r = await runProcess(command, argv, undefined, TOOL_TIMEOUT_MS, 'kcat', { sampleCpu: true, onStdout: onStdout ?? (() => {}) });
  if (r.code !== 0) throw new Error(`kcat ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(-4000)}`);
  return { wallMs: r.wallMs, stderr: r.stderr, load: r.load ?? null };
}

/** kcat -P -l: every line of `file` is one record (the newline is not part of it). */
export async function kcatProduce(o: { bootstrap: string; topic: string; file: string; records: number; acks: string; extraArgs?: readonly string[]; security?: SaslSsl }): Promise<{ recordsPerSec: number; run: ToolRun }> {
  const args = ['-P', '-b', o.bootstrap, '-t', o.topic, '-p', '0', ...(o.security?.kcatArgs ?? []), '-X', `acks=${o.acks}`, ...(o.extraArgs ?? []), '-l', o.file];
  const { wallMs, stderr, load } = await runKcat(args);
  if (/Delivery failed|ERROR/i.test(stderr)) throw new Error(`kcat reported failures: ${stderr.slice(-4000)}`);
  return { recordsPerSec: o.records / (wallMs / 1000), run: { command: ['kcat', ...args.map(quote)].join(' '), wallMs, load } };
}

/**
 * kcat -C from the beginning to the end of partition 0, one byte of output per record (counted
 * here); with `cpu`, kcat runs on that CPU alone.
 */
export async function kcatConsume(o: { bootstrap: string; topic: string; cpu?: number; isolation?: 'read_committed' | 'read_uncommitted'; security?: SaslSsl }): Promise<{ records: number; recordsPerSec: number; run: ToolRun }> {
  const isolation = o.isolation ? ['-X', `isolation.level=${o.isolation}`] : [];
  const args = ['-C', '-b', o.bootstrap, '-t', o.topic, '-p', '0', ...(o.security?.kcatArgs ?? []), '-o', 'beginning', '-e', '-q', ...isolation, '-f', '.'];
  let records = 0;
  const { wallMs, load } = await runKcat(args, (chunk) => (records += chunk.length), o.cpu);
  const pin = o.cpu === undefined ? [] : ['taskset', '-c', String(o.cpu)];
  return { records, recordsPerSec: records / (wallMs / 1000), run: { command: [...pin, 'kcat', ...args.map(quote)].join(' '), wallMs, load } };
}
