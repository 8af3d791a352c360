// BrokerMetrics: the broker's Prometheus metrics (prom-client), one registry per broker so
// that two brokers in one process (tests, embedding) do not mix their numbers.
//
// On the request path there is exactly one call per request (observeRequest, from the
// RequestRouter): it times the request per API and, for Produce and Fetch, adds bytes and
// records per topic by walking batch headers (never records). Everything else is read when
// /metrics is scraped: connections, partitions, under-replicated partitions, log sizes and
// the purgatories (requests parked in flight).
//
// Names follow Prometheus conventions (units last, _total for counters) with Kafka's
// BrokerTopicMetrics and RequestMetrics in mind: bytes_in/bytes_out/messages_in per topic,
// request latency per API, purgatory sizes as in DelayedOperationPurgatory.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ApiKey, getApi } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/errors.js';

/** What the metrics read from the broker at scrape time (a Broker satisfies it). */
export interface MetricsSource {
  readonly connectionCount: number;
  readonly topics: {
    listTopics(): readonly { readonly name: string; readonly topicId: string }[];
    partitionsOf(topic: string): readonly { readonly sizeBytes: number; readonly replicas: readonly number[]; readonly isr: readonly number[] }[];
    getTopicById(id: string): { readonly name: string } | undefined;
  };
  /** What start-up recovery cut off since the process started (LogManager.recoveryTotals). */
  readonly logs: { readonly recoveryTotals: { readonly truncations: number; readonly droppedBytes: number; readonly droppedRecords: number } };
}

/** Latency buckets in seconds: 0.5 ms to 30 s (a long-poll fetch waits up to its MaxWaitMs). */
const LATENCY_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Byte offsets in a v2 record batch header (see src/client/record-batch.ts for the layout). */
const BATCH_LENGTH_OFFSET = 8;
const BATCH_RECORD_COUNT_OFFSET = 57;
const BATCH_HEADER_BYTES = 61;

interface ProduceRequestView {
  readonly acks: number;
  readonly topicData: readonly { readonly name: string; readonly partitionData: readonly { readonly records: Buffer | null }[] }[];
}
interface ProduceResponseView {
  readonly responses: readonly { readonly partitionResponses: readonly { readonly errorCode?: number }[] }[];
}
interface FetchResponseView {
  readonly responses?: readonly { readonly topic?: string; readonly topicId?: string; readonly partitions?: readonly { readonly records?: { readonly byteLength: number } | null }[] }[];
}

/** Records in a buffer of v2 batches, from their headers (whole batches only). */
export function countRecords(records: Buffer): number {
  let count = 0;
  let pos = 0;
  while (records.length - pos >= BATCH_HEADER_BYTES) {
    const batchLength = records.readInt32BE(pos + BATCH_LENGTH_OFFSET);
    if (batchLength < BATCH_HEADER_BYTES - 12) break;
    count += Math.max(0, records.readInt32BE(pos + BATCH_RECORD_COUNT_OFFSET));
    pos += batchLength + 12;
  }
  return count;
}

export class BrokerMetrics {
  readonly registry = new Registry();
  private readonly latency: Histogram<'api'>;
  private readonly latencyByKey: (ReturnType<Histogram<'api'>['labels']> | undefined)[] = [];
  private readonly bytesIn: Counter<'topic'>;
  private readonly recordsIn: Counter<'topic'>;
  private readonly bytesOut: Counter<'topic'>;
  private readonly recordsOut: Counter<'topic'>;
  /** Topics with a per-topic counter, so that deleted topics' series can be removed. */
  private readonly countedTopics = new Set<string>();
  private produceWaiting = 0;
  private fetchWaiting = 0;

  constructor(private readonly source: MetricsSource) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.latency = new Histogram({
      name: 'tidelog_request_duration_seconds',
      help: 'Time from a decoded request to its response body, per Kafka API (the rate of _count is the request rate).',
      labelNames: ['api'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.bytesIn = new Counter({ name: 'tidelog_topic_bytes_in_total', help: 'Record batch bytes appended by producers, per topic (Kafka BytesInPerSec).', labelNames: ['topic'], registers });
    this.recordsIn = new Counter({ name: 'tidelog_topic_records_in_total', help: 'Records appended by producers, per topic (Kafka MessagesInPerSec).', labelNames: ['topic'], registers });
    this.recordsOut = new Counter({ name: 'tidelog_topic_records_out_total', help: 'Records sent to consumers and replicas, per topic: the offsets the fetched batches span (whole batches, so a fetch from the middle of a batch counts the batch; compacted gaps count as records).', labelNames: ['topic'], registers });
    this.bytesOut = new Counter({ name: 'tidelog_topic_bytes_out_total', help: 'Record batch bytes sent to consumers and replicas, per topic (Kafka BytesOutPerSec).', labelNames: ['topic'], registers });
    const self = this;
    new Gauge({
      name: 'tidelog_produce_purgatory_size',
      help: 'Produce requests waiting for their acks (Kafka DelayedProduce purgatory; on one node, appends in flight).',
      registers,
      collect() {
        this.set(self.produceWaiting);
      },
    });
    new Gauge({
      name: 'tidelog_fetch_purgatory_size',
      help: 'Fetch requests parked waiting for data or MaxWaitMs (Kafka DelayedFetch purgatory, long-poll).',
      registers,
      collect() {
        this.set(self.fetchWaiting);
      },
    });
    new Gauge({
      name: 'tidelog_connections',
      help: 'Open client connections.',
      registers,
      collect() {
        this.set(self.source.connectionCount);
      },
    });
    new Gauge({
      name: 'tidelog_topics',
      help: 'Topics, internal ones included.',
      registers,
      collect() {
        this.set(self.source.topics.listTopics().length);
      },
    });
    new Gauge({
      name: 'tidelog_partitions',
      help: 'Partitions this broker holds a replica of.',
      registers,
      collect() {
        let n = 0;
        for (const t of self.source.topics.listTopics()) n += self.source.topics.partitionsOf(t.name).filter(Boolean).length;
        this.set(n);
      },
    });
    new Gauge({
      name: 'tidelog_under_replicated_partitions',
      help: 'Partitions whose ISR is smaller than their replica set (0 on a single node).',
      registers,
      collect() {
        let n = 0;
        for (const t of self.source.topics.listTopics()) for (const p of self.source.topics.partitionsOf(t.name)) if (p && p.isr.length < p.replicas.length) n++;
        this.set(n);
      },
    });
    // Log recovery at start-up (Kafka logs it only): segments cut short at an invalid batch.
    const recoveryCounters = [
      ['tidelog_log_recovery_truncations_total', 'Segments that start-up recovery truncated at an invalid or incomplete batch (each logged at WARN).', 'truncations'],
      ['tidelog_log_recovery_dropped_bytes_total', 'Bytes start-up recovery dropped: the truncated tails and the later segments deleted with them.', 'droppedBytes'],
      ['tidelog_log_recovery_dropped_records_total', 'Records in the batches start-up recovery dropped, counted from their headers.', 'droppedRecords'],
    ] as const;
    for (const [name, help, field] of recoveryCounters) {
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(self.source.logs.recoveryTotals[field]);
        },
      });
    }
    new Gauge({
      name: 'tidelog_log_size_bytes',
      help: 'Bytes on disk of the logs of each topic (all segments of all its partitions on this broker).',
      labelNames: ['topic'],
      registers,
      collect() {
        this.reset();
        for (const t of self.source.topics.listTopics()) {
          let size = 0;
          for (const p of self.source.topics.partitionsOf(t.name)) if (p) size += p.sizeBytes;
          this.set({ topic: t.name }, size);
        }
      },
    });
  }

  /** Drops the per-topic counters of topics that no longer exist. */
  private forgetDeletedTopics(): void {
    const known = new Set(this.source.topics.listTopics().map((t) => t.name));
    for (const topic of this.countedTopics) {
      if (known.has(topic)) continue;
      for (const counter of [this.bytesIn, this.recordsIn, this.bytesOut, this.recordsOut]) counter.remove({ topic });
      this.countedTopics.delete(topic);
    }
  }

  /**
   * The one call per request: times it (from `startedMs`, a performance.now() taken before the
   * handler ran) and counts Produce/Fetch bytes when the answer is ready. `result` is what the
   * handler returned, a body or a promise of one.
   */
  observeRequest(apiKey: number, request: unknown, result: unknown, startedMs: number): void {
    if (result instanceof Promise) {
      if (apiKey === ApiKey.Produce) this.produceWaiting++;
      else if (apiKey === ApiKey.Fetch) this.fetchWaiting++;
      result.then(
        (body: unknown) => this.complete(apiKey, request, body, startedMs, true),
        () => this.complete(apiKey, request, undefined, startedMs, true),
      );
    } else {
      this.complete(apiKey, request, result, startedMs, false);
    }
  }

  private complete(apiKey: number, request: unknown, body: unknown, startedMs: number, waited: boolean): void {
    try {
      this.account(apiKey, request, body, startedMs, waited);
    } catch {
      // Metrics never fail a request (nor, from a promise callback, the process).
    }
  }

  private account(apiKey: number, request: unknown, body: unknown, startedMs: number, waited: boolean): void {
    if (waited) {
      if (apiKey === ApiKey.Produce) this.produceWaiting--;
      else if (apiKey === ApiKey.Fetch) this.fetchWaiting--;
    }
    let child = this.latencyByKey[apiKey];
    if (!child) child = this.latencyByKey[apiKey] = this.latency.labels(getApi(apiKey)?.name ?? String(apiKey));
    child.observe((performance.now() - startedMs) / 1000);
    if (body === undefined) return;
    if (apiKey === ApiKey.Produce) this.countProduce(request as ProduceRequestView, body);
    else if (apiKey === ApiKey.Fetch) this.countFetch(body as FetchResponseView);
  }

  private countProduce(request: ProduceRequestView, body: unknown): void {
    // acks=0 has no response body: count what was sent, as Kafka counts before appending.
    const responses = typeof body === 'object' && body !== null && 'responses' in body ? (body as ProduceResponseView).responses : null;
    request.topicData.forEach((t, ti) => {
      let bytes = 0;
      let records = 0;
      t.partitionData.forEach((p, pi) => {
        const errorCode = responses ? (responses[ti]?.partitionResponses[pi]?.errorCode ?? ErrorCode.NONE) : ErrorCode.NONE;
        if (!p.records || errorCode !== ErrorCode.NONE) return;
        bytes += p.records.length;
        records += countRecords(p.records);
      });
      if (bytes > 0) {
        this.countedTopics.add(t.name);
        this.bytesIn.inc({ topic: t.name }, bytes);
        this.recordsIn.inc({ topic: t.name }, records);
      }
    });
  }

  private countFetch(body: FetchResponseView): void {
    for (const t of body.responses ?? []) {
      let bytes = 0;
      let records = 0;
      for (const p of t.partitions ?? []) {
        const r = p.records as { byteLength: number; firstOffset?: number; lastOffset?: number } | null | undefined;
        if (!r) continue;
        bytes += r.byteLength;
        if (r.firstOffset !== undefined && r.lastOffset !== undefined && r.byteLength > 0) records += r.lastOffset - r.firstOffset + 1;
      }
      if (bytes === 0) continue;
      const name = t.topic ? t.topic : t.topicId ? this.source.topics.getTopicById(t.topicId)?.name : undefined;
      if (!name) continue;
      this.countedTopics.add(name);
      this.bytesOut.inc({ topic: name }, bytes);
      this.recordsOut.inc({ topic: name }, records);
    }
  }

  /** The Prometheus text exposition. */
  async render(): Promise<{ contentType: string; text: string }> {
    this.forgetDeletedTopics();
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
