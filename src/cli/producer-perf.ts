// `tidelog producer-perf`: Kafka's ProducerPerformance (kafka-producer-perf-test.sh): sends
// --num-records records of --record-size bytes at up to --throughput records/s, in batches
// of batch.size bytes (or after linger.ms), up to max.in.flight.requests.per.connection
// requests per partition leader, and reports throughput and the latency of each record
// (from being added to a batch to its batch's acknowledgement): a progress line every 5 s on
// stderr, the summary on stdout ("N records sent, X records/sec (Y MB/sec), A ms avg latency,
// M ms max latency, P50 ms 50th, P95 ms 95th, P99 ms 99th, P999 ms 99.9th."), or JSON with --json.
import { ErrorCode } from '../protocol/errors.js';
import { ApiKey } from '../protocol/generated/index.js';
import { encodeRecordBatch, type ProducerRecord } from '../client/record-batch.js';
import type { BrokerConnection } from '../client/kafka-client.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, clientSettings, connectClient, mergedProperties, intFlag, kafkaError, out, parseFlags, parseKeyValues } from './common.js';
import { parseAcks, parseCompression } from './console-producer.js';
import { UsageError } from './usage-error.js';

const HELP = `Usage: tidelog producer-perf --bootstrap-server HOST:PORT --topic NAME --num-records N --record-size BYTES --throughput N [--producer-props K=V ...]

Measures produce throughput and latency (as kafka-producer-perf-test.sh).

Options:
  --topic NAME                 The topic (created if the broker auto-creates topics)
  --num-records N              Records to send
  --record-size BYTES          Bytes per record value
  --throughput N               Records per second at most; -1 for no limit
  --producer-props K=V ...     acks (default all), batch.size (16384), linger.ms (5),
                               compression.type (none, gzip, snappy, lz4, zstd),
                               max.in.flight.requests.per.connection (5), client.id, request.timeout.ms
  --producer.config FILE       The same properties from a file; --producer-props win over it
  --json                       Print the summary as one JSON object
${CONNECTION_HELP}

Example:
  tidelog producer-perf --bootstrap-server 127.0.0.1:9092 --topic perf --num-records 100000 --record-size 100 --throughput -1 --producer-props acks=1`;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  topic: { type: 'string' },
  'num-records': { type: 'string' },
  'record-size': { type: 'string' },
  throughput: { type: 'string' },
  'producer-props': { type: 'string', multiple: true },
  'producer.config': { type: 'string' },
  json: { type: 'boolean' },
  'print-metrics': { type: 'boolean' },
} as const;

const REPORT_INTERVAL_MS = 5000;
/** Latency samples kept for percentiles (Kafka keeps 500,000). */
const LATENCY_SAMPLES_MAX = 500_000;
const RECORD_SIZE_MAX = 10 * 1024 * 1024;

export interface PerfSummary {
  readonly records: number;
  readonly recordsPerSec: number;
  readonly mbPerSec: number;
  readonly avgLatencyMs: number;
  readonly maxLatencyMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
}

/** Kafka's Stats: totals, a reporting window, and sampled latencies for percentiles. */
class Stats {
  private readonly start = performance.now();
  private readonly samples: Int32Array;
  private readonly sampling: number;
  private sampleCount = 0;
  private index = 0;
  count = 0;
  bytes = 0;
  private latencySum = 0;
  private latencyMax = 0;
  private windowStart = performance.now();
  private windowCount = 0;
  private windowBytes = 0;
  private windowLatencySum = 0;
  private windowLatencyMax = 0;

  constructor(numRecords: number) {
    this.sampling = Math.max(1, Math.floor(numRecords / Math.min(numRecords, LATENCY_SAMPLES_MAX)));
    this.samples = new Int32Array(Math.min(numRecords, LATENCY_SAMPLES_MAX) + 1);
  }

  record(latencyMs: number, bytes: number): void {
    this.count++;
    this.bytes += bytes;
    this.latencySum += latencyMs;
    this.latencyMax = Math.max(this.latencyMax, latencyMs);
    this.windowCount++;
    this.windowBytes += bytes;
    this.windowLatencySum += latencyMs;
    this.windowLatencyMax = Math.max(this.windowLatencyMax, latencyMs);
    if (this.index++ % this.sampling === 0 && this.sampleCount < this.samples.length) this.samples[this.sampleCount++] = Math.round(latencyMs);
  }

  /** The window line, and a new window. */
  windowLine(): string {
    const elapsed = (performance.now() - this.windowStart) / 1000;
    const line = `${this.windowCount} records sent, ${(this.windowCount / elapsed).toFixed(1)} records/sec (${(this.windowBytes / elapsed / 1024 / 1024).toFixed(2)} MB/sec), ${(this.windowLatencySum / Math.max(1, this.windowCount)).toFixed(1)} ms avg latency, ${this.windowLatencyMax.toFixed(1)} ms max latency.`;
    this.windowStart = performance.now();
    this.windowCount = 0;
    this.windowBytes = 0;
    this.windowLatencySum = 0;
    this.windowLatencyMax = 0;
    return line;
  }

  summary(): PerfSummary {
    const elapsed = (performance.now() - this.start) / 1000;
    const sorted = Array.from(this.samples.subarray(0, this.sampleCount)).sort((a, b) => a - b);
    const pct = (p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);
    return {
      records: this.count,
      recordsPerSec: this.count / elapsed,
      mbPerSec: this.bytes / elapsed / 1024 / 1024,
      avgLatencyMs: this.latencySum / Math.max(1, this.count),
      maxLatencyMs: this.latencyMax,
      p50Ms: pct(0.5),
      p95Ms: pct(0.95),
      p99Ms: pct(0.99),
      p999Ms: pct(0.999),
    };
  }
}

export function summaryLine(s: PerfSummary): string {
  return `${s.records} records sent, ${s.recordsPerSec.toFixed(1)} records/sec (${s.mbPerSec.toFixed(2)} MB/sec), ${s.avgLatencyMs.toFixed(2)} ms avg latency, ${s.maxLatencyMs.toFixed(2)} ms max latency, ${s.p50Ms} ms 50th, ${s.p95Ms} ms 95th, ${s.p99Ms} ms 99th, ${s.p999Ms} ms 99.9th.`;
}

export async function runProducerPerf(args: string[]): Promise<number> {
  const parsed = parseFlags(args, OPTIONS, HELP, true);
  if (!parsed) return 0;
  const v = parsed.values;
  // Kafka's --producer-props takes several values after one flag: accept them as positionals.
  const extra = parsed.positionals.filter((p) => p.includes('='));
  const stray = parsed.positionals.filter((p) => !p.includes('='));
  if (stray.length > 0) throw new UsageError(`unexpected argument '${stray[0]}'`);
  if (!v.topic) throw new UsageError('--topic is required');
  const numRecords = intFlag(v['num-records'], '--num-records', { min: 1 });
  const recordSize = intFlag(v['record-size'], '--record-size', { min: 0 });
  const throughput = intFlag(v.throughput, '--throughput');
  if (numRecords === undefined) throw new UsageError('--num-records is required');
  if (recordSize === undefined) throw new UsageError('--record-size is required');
  if (recordSize > RECORD_SIZE_MAX) throw new UsageError(`--record-size must be at most ${RECORD_SIZE_MAX}`);
  if (throughput === undefined) throw new UsageError('--throughput is required (-1 for no limit)');
  if (throughput === 0 || throughput < -1) throw new UsageError('--throughput must be positive, or -1 for no limit');
  const props = mergedProperties(v['producer.config'], '--producer.config', parseKeyValues([...(v['producer-props'] ?? []), ...extra], '--producer-props'));
  const acks = parseAcks(props.acks);
  const compression = parseCompression(props['compression.type']);
  const batchBytes = intFlag(props['batch.size'], 'batch.size', { min: 1 }) ?? 16_384;
  const lingerMs = intFlag(props['linger.ms'], 'linger.ms', { min: 0 }) ?? 5;
  const maxInFlight = intFlag(props['max.in.flight.requests.per.connection'], 'max.in.flight.requests.per.connection', { min: 1 }) ?? 5;
  const topicName = v.topic;

  const client = await connectClient(v, props['client.id'] ?? 'tidelog-producer-perf', clientSettings(props, '--producer.config').requestTimeoutMs, props);
  try {
    const topic = await client.topic(topicName, { autoCreate: true });
    const partitions = topic.partitions.map((p) => p.partition);
    const leaders = new Map<number, BrokerConnection>();
    for (const p of partitions) leaders.set(p, await client.leaderFor(topicName, p));
    const inFlight = new Map<BrokerConnection, number>();
    // One payload of random uppercase letters, reused, as Kafka's tool.
    const payload = Buffer.alloc(recordSize);
    for (let i = 0; i < recordSize; i++) payload[i] = 65 + Math.floor(Math.random() * 26);

    const stats = new Stats(numRecords);
    let failure: Error | null = null;
    let waiters: (() => void)[] = [];
    const wake = () => {
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    };
    const progress = setInterval(() => process.stderr.write(`${stats.windowLine()}\n`), REPORT_INTERVAL_MS);
    progress.unref();

    let batch: ProducerRecord[] = [];
    let batchAddedAt: number[] = [];
    let batchBytes_ = 0;
    let batchStartedAt = 0;
    let partitionIndex = Math.floor(Math.random() * partitions.length);
    const pendingSends = new Set<Promise<void>>();

    const send = async () => {
      if (batch.length === 0) return;
      const records = batch;
      const addedAt = batchAddedAt;
      batch = [];
      batchAddedAt = [];
      batchBytes_ = 0;
      const partition = partitions[partitionIndex]!;
      partitionIndex = (partitionIndex + 1) % partitions.length;
      const conn = leaders.get(partition)!;
      while ((inFlight.get(conn) ?? 0) >= maxInFlight && !failure) await new Promise<void>((r) => waiters.push(r));
      if (failure) return;
      const bytes = encodeRecordBatch(records, { compression });
      const body = { transactionalId: null, acks, timeoutMs: 30_000, topicData: [{ name: topicName, partitionData: [{ index: partition, records: bytes }] }] };
      const version = conn.version(ApiKey.Produce, 3, 9, 'Produce');
      inFlight.set(conn, (inFlight.get(conn) ?? 0) + 1);
      const done = (errorCode: number, message: string | null) => {
        inFlight.set(conn, inFlight.get(conn)! - 1);
        if (errorCode !== ErrorCode.NONE) failure ??= kafkaError(`cannot produce to ${topicName}-${partition}`, errorCode, message);
        const now = performance.now();
        for (const t of addedAt) stats.record(now - t, recordSize);
        wake();
      };
      const p =
        acks === 0
          ? conn.sendNoResponse(ApiKey.Produce, version, body).then(() => done(ErrorCode.NONE, null))
          : conn.send(ApiKey.Produce, version, body).then((r) => {
              const pr = r.responses[0]?.partitionResponses[0];
              done(pr?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, pr?.errorMessage ?? null);
            });
      const tracked = p.catch((err: Error) => {
        inFlight.set(conn, inFlight.get(conn)! - 1);
        failure ??= err;
        wake();
      });
      pendingSends.add(tracked);
      void tracked.finally(() => pendingSends.delete(tracked));
    };

    const start = performance.now();
    for (let i = 0; i < numRecords && !failure; i++) {
      if (throughput > 0) {
        // Kafka's ThroughputThrottler: sleep while ahead of the target rate.
        const aheadMs = (i / throughput) * 1000 - (performance.now() - start);
        if (aheadMs > 2) {
          await send();
          await new Promise((r) => setTimeout(r, aheadMs));
        }
      }
      const now = performance.now();
      if (batch.length === 0) batchStartedAt = now;
      batch.push({ value: payload });
      batchAddedAt.push(now);
      batchBytes_ += recordSize + 8;
      if (batchBytes_ >= batchBytes || now - batchStartedAt >= lingerMs) await send();
      // Let responses in now and then: a tight loop would starve the socket.
      if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
    }
    await send();
    await Promise.all(pendingSends);
    clearInterval(progress);
    if (failure) throw failure;
    const summary = stats.summary();
    await out(v.json ? `${JSON.stringify({ ...summary, topic: topicName, recordSize, acks, compression: props['compression.type'] ?? 'none' })}\n` : `${summaryLine(summary)}\n`);
    return 0;
  } finally {
    client.close();
  }
}
