// BrokerMetrics: the broker's Prometheus metrics (prom-client), one registry per broker so
// that two brokers in one process (tests, embedding) do not mix their numbers.
//
// On the request path there is exactly one call per request (observeRequest, from the
// RequestRouter): it times the request per API and, for Produce and Fetch, adds bytes and
// records per topic by walking batch headers (never records). Everything else is read when
// /metrics is scraped: connections, partitions, under-replicated partitions, log sizes and
// the purgatories (requests parked in flight), and the network limits reached
// (max.connections, max.connections.per.ip, queued.max.requests, queued.max.request.bytes).
//
// Names follow Prometheus conventions (units last, _total for counters) with Kafka's
// BrokerTopicMetrics and RequestMetrics in mind: bytes_in/bytes_out/messages_in per topic,
// request latency per API, purgatory sizes as in DelayedOperationPurgatory.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { ApiHistogram } from './api-histogram.js';
import { ApiKey, getApi } from '../protocol/generated/index.js';
import type { RequestTimes } from '../server/types.js';
import { ErrorCode, errorName } from '../protocol/errors.js';
import { recordCountOf, wholeBatches } from '../records/batch-header.js';
import type { LimitStats } from '../server/socket-server.js';

/** A partition as the metrics see it. */
interface PartitionView {
  readonly sizeBytes: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly isLeader: boolean;
  readonly highWatermark: number;
}

/** What the metrics read from the broker at scrape time (a Broker satisfies it). */
export interface MetricsSource {
  readonly brokerId: number;
  readonly connectionCount: number;
  /** The controller and the cluster's leadership, for the controller-only counts. */
  readonly clusterView?: {
    controllerId(): number;
    liveBrokers(): readonly { readonly id: number }[];
    partitionLeadership(topic: string, partition: number, local: () => null): { readonly leader: number } | null;
  };
  /** ISR changes this broker made as leader (Kafka IsrShrinksPerSec, IsrExpandsPerSec). */
  readonly isrChanges?: { readonly shrinks: number; readonly expands: number };
  /** Dead brokers this broker fenced, and times another broker fenced this one while it lived. */
  readonly fencing?: { readonly fencedBrokers: number; readonly timesFenced: number };
  /** What start-up recovery cut off since the process started (LogManager.recoveryTotals). */
  readonly logs: { readonly recoveryTotals: { readonly truncations: number; readonly droppedBytes: number; readonly droppedRecords: number } };
  /** Committed offsets of the groups this broker coordinates. */
  readonly groupOffsets?: () => Iterable<{ readonly group: string; readonly topic: string; readonly partition: number; readonly offset: number }>;
  /** Partition appends in flight and refused by produce.purgatory.max.appends. */
  readonly replicas?: { readonly appendsInFlightCount: number; readonly appendsRefused: number; readonly fetchesNotParked: number; readonly markersWritten?: { readonly commit: number; readonly abort: number } };
  /** The transaction coordinator: its transactional ids per state, and its partition loads. */
  readonly transactions?: { readonly manager: { stateCounts(): ReadonlyMap<string, number>; readonly loadStats: { readonly loads: number; readonly totalMs: number; readonly maxMs: number } } };
  /** Incremental fetch sessions (KIP-227). */
  readonly fetchSessions?: { readonly size: number; readonly partitionCount: number; readonly evictionCount: number; readonly createdCount: number };
  /** Network limits reached; null before the listeners start. */
  readonly limitStats?: LimitStats | null;
  /** The ACL authorizer (authorizer.class.name), or null: its denials and ACL count. */
  readonly authorizer?: { denials(): readonly { readonly operation: string; readonly resourceType: string; readonly count: number }[]; readonly aclCount: number } | null;
  /** SASL outcomes on the SASL listeners (security/sasl/sasl-authenticator.ts). */
  readonly sasl?: { readonly counts: { readonly successes: number; readonly failures: number; readonly reauthentications: number } };
  readonly topics: {
    listTopics(): readonly { readonly name: string; readonly topicId: string }[];
    partitionsOf(topic: string): readonly (PartitionView | undefined)[];
    partition(topic: string, partition: number): PartitionView | undefined;
    getTopicById(id: string): { readonly name: string; readonly partitions?: readonly { readonly partition: number }[] } | undefined;
    getTopic?(name: string): { readonly partitions: readonly { readonly partition: number }[] } | undefined;
  };
}

/**
 * How often the event loop lag histogram (nodejs_eventloop_lag_*) samples: a timer of this
 * period. Stalls longer than it are all seen; shorter ones are sampled.
 */
export const EVENT_LOOP_LAG_SAMPLE_MS = 100;
/** Latency buckets in seconds: 0.5 ms to 30 s (a long-poll fetch waits up to its MaxWaitMs). */
const LATENCY_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

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
  for (const { pos } of wholeBatches(records)) count += Math.max(0, recordCountOf(records, pos));
  return count;
}

/** Deepest nesting of a response body the error walk visits (responses -> topics -> partitions -> ...). */
const ERROR_WALK_DEPTH_MAX = 6;

/**
 * Calls `onError` for every non-zero `errorCode` in a response body: its plain objects and
 * arrays only (records, file slices and buffers are not walked), a few levels deep, as Kafka's
 * AbstractResponse.errorCounts() counts them.
 */
export function countErrorCodes(body: unknown, onError: (code: number) => void, depth = 0): void {
  if (depth > ERROR_WALK_DEPTH_MAX || typeof body !== 'object' || body === null) return;
  if (Array.isArray(body)) {
    for (const item of body) countErrorCodes(item, onError, depth + 1);
    return;
  }
  if (Object.getPrototypeOf(body) !== Object.prototype) return;
  for (const key in body) {
    const value = (body as Record<string, unknown>)[key];
    if (key === 'errorCode') {
      if (typeof value === 'number' && value !== 0) onError(value);
    } else if (typeof value === 'object' && value !== null) {
      countErrorCodes(value, onError, depth + 1);
    }
  }
}

/** One histogram of the request time split and the part of a request's times it observes. */
interface SplitHistogram {
  readonly histogram: ApiHistogram;
  readonly of: (t: RequestTimes) => number;
}

/**
 * The slot of frames that are not requests (raw SASL tokens after SaslHandshake v0): they share
 * one `api` label, "unknown", so that their first bytes do not make up label values.
 */
const UNKNOWN_API_SLOT = 1 << 12;

/** Bytes and records of one topic counted since the last scrape (added to the counters then). */
interface TopicFlow {
  bytesIn: number;
  recordsIn: number;
  bytesOut: number;
  recordsOut: number;
}

const NO_WAIT = { remoteMs: 0 } as const;

export class BrokerMetrics {
  readonly registry = new Registry();
  private readonly latency: ApiHistogram;
  /** Kafka's RequestMetrics time split, per API: queue, response queue, send, total (the handler's part is `latency`). */
  private readonly localTime: SplitHistogram;
  private readonly remoteTime: SplitHistogram;
  private readonly timeSplit: readonly SplitHistogram[];
  private readonly bytesIn: Counter<'topic'>;
  private readonly recordsIn: Counter<'topic'>;
  private readonly bytesOut: Counter<'topic'>;
  private readonly recordsOut: Counter<'topic'>;
  private readonly errors: Counter<'api' | 'error'>;
  /** Topics with a per-topic counter, so that deleted topics' series can be removed. */
  private readonly countedTopics = new Set<string>();
  /**
   * Per-topic counts of the request path, moved into the prom-client counters when they are read:
   * a Counter.inc with labels hashes them into a string on every call.
   */
  private readonly topicFlows = new Map<string, TopicFlow>();
  private produceWaiting = 0;
  private fetchWaiting = 0;

  constructor(private readonly source: MetricsSource) {
    const registers = [this.registry];
    // The event loop lag histogram samples every EVENT_LOOP_LAG_SAMPLE_MS rather than
    // prom-client's 10 ms: its timer alone woke an idle broker 100 times a second.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_LAG_SAMPLE_MS });
    const apiName = (key: number): string => (key === UNKNOWN_API_SLOT ? 'unknown' : (getApi(key)?.name ?? String(key)));
    const histogram = (name: string, help: string): ApiHistogram => new ApiHistogram(name, help, LATENCY_BUCKETS_SECONDS, apiName, this.registry);
    this.latency = histogram('tidelog_request_duration_seconds', 'Time from a decoded request to its response body, per Kafka API (the rate of _count is the request rate).');
    const split = (name: string, help: string, of: (t: RequestTimes) => number): SplitHistogram => ({ histogram: histogram(name, help), of });
    this.localTime = split('tidelog_request_local_time_seconds', "The handler's own time per Kafka API (Kafka LocalTimeMs): tidelog_request_duration_seconds without the purgatory wait.", () => 0);
    this.remoteTime = split('tidelog_request_remote_time_seconds', 'Time a request waited in a purgatory per Kafka API (Kafka RemoteTimeMs): an acks=-1 produce for the ISR, a long-poll fetch for data or MaxWaitMs; 0 for the rest.', () => 0);
    this.timeSplit = [
      split('tidelog_request_queue_time_seconds', "Time from a request frame's last bytes being read to its handler starting, per Kafka API (Kafka RequestQueueTimeMs): behind the requests before it in the same read, or held while its connection was muted.", (t) => t.queueMs),
      split('tidelog_response_queue_time_seconds', 'Time from a response being ready to its turn to be written, per Kafka API (Kafka ResponseQueueTimeMs): responses go out in request order, so a fast one waits behind a slow one before it.', (t) => t.responseQueueMs),
      split('tidelog_response_send_time_seconds', "Time to hand a response's bytes to the socket, per Kafka API (Kafka ResponseSendTimeMs): sendfile of fetched records included; bytes the kernel buffers count as sent.", (t) => t.sendMs),
      split('tidelog_request_total_time_seconds', 'Time from a request frame being read to its response being sent, per Kafka API (Kafka TotalTimeMs): queue + handler (tidelog_request_duration_seconds) + response queue + send.', (t) => t.queueMs + t.handlerMs + t.responseQueueMs + t.sendMs),
    ];
    const flush = (): void => this.flushTopicFlows();
    this.bytesIn = new Counter({ name: 'tidelog_topic_bytes_in_total', help: 'Record batch bytes appended by producers, per topic (Kafka BytesInPerSec).', labelNames: ['topic'], registers, collect: flush });
    this.recordsIn = new Counter({ name: 'tidelog_topic_records_in_total', help: 'Records appended by producers, per topic (Kafka MessagesInPerSec).', labelNames: ['topic'], registers, collect: flush });
    this.recordsOut = new Counter({ name: 'tidelog_topic_records_out_total', help: 'Records sent to consumers and replicas, per topic: the offsets the fetched batches span (whole batches, so a fetch from the middle of a batch counts the batch; compacted gaps count as records).', labelNames: ['topic'], registers, collect: flush });
    this.errors = new Counter({ name: 'tidelog_request_errors_total', help: 'Error codes in responses, per Kafka API and error (Kafka RequestMetrics ErrorsPerSec; NONE not counted): each partition, topic or group that answered an error counts once.', labelNames: ['api', 'error'], registers });
    this.bytesOut = new Counter({ name: 'tidelog_topic_bytes_out_total', help: 'Record batch bytes sent to consumers and replicas, per topic (Kafka BytesOutPerSec).', labelNames: ['topic'], registers, collect: flush });
    const self = this;
    new Gauge({
      name: 'tidelog_transactions',
      help: 'Transactional ids this broker coordinates, per state (Ongoing: a transaction is open; PrepareCommit/PrepareAbort: its markers are being written).',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        for (const [state, n] of self.source.transactions?.manager.stateCounts() ?? []) this.set({ state }, n);
      },
    });
    new Counter({
      name: 'tidelog_txn_markers_written_total',
      help: 'Transaction markers this broker wrote as partition leader, per result (commit, abort): one per partition of a transaction, once the ISR has it.',
      labelNames: ['result'],
      registers,
      collect() {
        this.reset();
        const m = self.source.replicas?.markersWritten;
        this.inc({ result: 'commit' }, m?.commit ?? 0);
        this.inc({ result: 'abort' }, m?.abort ?? 0);
      },
    });
    new Counter({
      name: 'tidelog_transaction_partition_loads_total',
      help: 'Partitions of __transaction_state this broker loaded on becoming their leader (the coordinator moving here).',
      registers,
      collect() {
        this.reset();
        this.inc(self.source.transactions?.manager.loadStats.loads ?? 0);
      },
    });
    new Counter({
      name: 'tidelog_transaction_partition_load_seconds_total',
      help: 'Time spent loading __transaction_state partitions (Kafka partition-load-time; divide by the loads for the average).',
      registers,
      collect() {
        this.reset();
        this.inc((self.source.transactions?.manager.loadStats.totalMs ?? 0) / 1000);
      },
    });
    new Gauge({
      name: 'tidelog_transaction_partition_load_seconds_max',
      help: 'The longest load of a __transaction_state partition since start (Kafka partition-load-time-max).',
      registers,
      collect() {
        this.set((self.source.transactions?.manager.loadStats.maxMs ?? 0) / 1000);
      },
    });
    new Counter({
      name: 'tidelog_brokers_fenced_total',
      help: 'Brokers this broker fenced (broker.fencing.enable): their inter-broker listener refused connections, so their registration was removed before the ZooKeeper session timeout.',
      registers,
      collect() {
        this.reset();
        this.inc(self.source.fencing?.fencedBrokers ?? 0);
      },
    });
    new Counter({
      name: 'tidelog_fenced_while_alive_total',
      help: 'Times this broker\'s registration was removed while its session lived (another broker fenced it: its listener had refused connections); it then registered again.',
      registers,
      collect() {
        this.reset();
        this.inc(self.source.fencing?.timesFenced ?? 0);
      },
    });
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
      name: 'tidelog_fetch_sessions',
      help: 'Incremental fetch sessions (KIP-227) kept for consumers and followers (Kafka NumIncrementalFetchSessions), at most max.incremental.fetch.session.cache.slots.',
      registers,
      collect() {
        this.set(self.source.fetchSessions?.size ?? 0);
      },
    });
    new Gauge({
      name: 'tidelog_fetch_session_partitions',
      help: 'Partitions held by all fetch sessions (Kafka NumIncrementalFetchPartitionsCached).',
      registers,
      collect() {
        this.set(self.source.fetchSessions?.partitionCount ?? 0);
      },
    });
    new Counter({
      name: 'tidelog_fetch_sessions_created_total',
      help: 'Fetch sessions opened by full fetches with epoch 0 (the Java client and franz-go open one per broker they fetch from).',
      registers,
      collect() {
        this.reset();
        this.inc(self.source.fetchSessions?.createdCount ?? 0);
      },
    });
    new Counter({
      name: 'tidelog_fetch_session_evictions_total',
      help: 'Fetch sessions evicted to make room for new ones (Kafka IncrementalFetchSessionEvictionsPerSec).',
      registers,
      collect() {
        this.reset();
        this.inc(self.source.fetchSessions?.evictionCount ?? 0);
      },
    });
    new Gauge({
      name: 'tidelog_produce_appends_in_flight',
      help: 'Partition appends queued for the log, being written, or waiting for acks=-1 (bounded by produce.purgatory.max.appends).',
      registers,
      collect() {
        this.set(self.source.replicas?.appendsInFlightCount ?? 0);
      },
    });
    new Counter({
      name: 'tidelog_produce_appends_refused_total',
      help: 'Partition appends answered REQUEST_TIMED_OUT without being appended, per limit (produce.purgatory.max.appends).',
      labelNames: ['limit'],
      registers,
      collect() {
        this.reset();
        this.inc({ limit: 'produce.purgatory.max.appends' }, self.source.replicas?.appendsRefused ?? 0);
      },
    });
    new Counter({
      name: 'tidelog_authorization_denials_total',
      help: 'Requests (or parts of them) the ACL authorizer denied, per operation and resource type (Kafka StandardAuthorizer authorization-denied-rate).',
      labelNames: ['operation', 'resource_type'],
      registers,
      collect() {
        this.reset();
        for (const d of self.source.authorizer?.denials() ?? []) this.inc({ operation: d.operation, resource_type: d.resourceType }, d.count);
      },
    });
    new Gauge({
      name: 'tidelog_acls',
      help: 'ACL entries the authorizer holds (Kafka acls-total-count); 0 without authorizer.class.name.',
      registers,
      collect() {
        this.set(self.source.authorizer?.aclCount ?? 0);
      },
    });
    new Counter({
      name: 'tidelog_fetches_not_parked_total',
      help: 'Consumer long-poll fetches answered at once (with what there was) instead of waiting, per limit (fetch.purgatory.max.requests).',
      labelNames: ['limit'],
      registers,
      collect() {
        this.reset();
        this.inc({ limit: 'fetch.purgatory.max.requests' }, self.source.replicas?.fetchesNotParked ?? 0);
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
    new Counter({
      name: 'tidelog_connections_refused_total',
      help: 'Connections closed as soon as accepted because a limit was reached, per limit (max.connections, max.connections.per.ip; Kafka ConnectionQuotas).',
      labelNames: ['limit'],
      registers,
      collect() {
        const stats = self.source.limitStats;
        this.reset();
        if (!stats) return;
        for (const [limit, n] of Object.entries(stats.connectionsRefused)) this.inc({ limit }, n);
      },
    });
    new Counter({
      name: 'tidelog_tls_handshake_failures_total',
      help: 'TLS handshakes that failed on SSL and SASL_SSL listeners (Kafka counts them in failed-authentication-total), per listener and reason: certificate (missing, untrusted, or no ssl.principal.mapping.rules rule), timeout (ssl.handshake.timeout.ms), handshake (not TLS, no shared version or cipher), closed (ended before the handshake finished, an untrusted required certificate included).',
      labelNames: ['listener', 'reason'],
      registers,
      collect() {
        const stats = self.source.limitStats;
        this.reset();
        if (!stats) return;
        for (const [listener, reasons] of Object.entries(stats.tlsHandshakeFailures)) for (const [reason, n] of Object.entries(reasons)) this.inc({ listener, reason }, n);
      },
    });
    new Counter({
      name: 'tidelog_sasl_authentications_total',
      help: "SASL exchanges on the SASL listeners, per result: success, failure (Kafka's failed-authentication-total), reauthentication (KIP-368).",
      labelNames: ['result'],
      registers,
      collect() {
        const counts = self.source.sasl?.counts;
        this.reset();
        if (!counts) return;
        this.inc({ result: 'success' }, counts.successes);
        this.inc({ result: 'failure' }, counts.failures);
        this.inc({ result: 'reauthentication' }, counts.reauthentications);
      },
    });
    new Counter({
      name: 'tidelog_connection_mutes_total',
      help: 'Times a connection stopped reading requests (Kafka mutes the channel), per limit: queued.max.requests in flight, response.pending (unsent responses over the per-connection bound: the client does not read), queued.max.request.bytes (the broker-wide request memory was spent).',
      labelNames: ['limit'],
      registers,
      collect() {
        const stats = self.source.limitStats;
        this.reset();
        if (!stats) return;
        this.inc({ limit: 'queued.max.requests' }, stats.mutes.queuedMaxRequests);
        this.inc({ limit: 'response.pending' }, stats.mutes.responsePending);
        this.inc({ limit: 'queued.max.request.bytes' }, stats.mutes.outOfMemory);
      },
    });
    new Gauge({
      name: 'tidelog_connections_muted',
      help: 'Connections whose requests are not read now (muted: see tidelog_connection_mutes_total for why).',
      registers,
      collect() {
        this.set(self.source.limitStats?.mutedConnections ?? 0);
      },
    });
    new Gauge({
      name: 'tidelog_memory_pool_used_bytes',
      help: 'Bytes of requests read and not yet answered, charged to queued.max.request.bytes (Kafka MemoryPoolUsed).',
      registers,
      collect() {
        this.set(self.source.limitStats?.requestMemoryUsedBytes ?? 0);
      },
    });
    new Gauge({
      name: 'tidelog_memory_pool_available_bytes',
      help: 'Bytes left of queued.max.request.bytes (Kafka MemoryPoolAvailable); -1 when it is unbounded.',
      registers,
      collect() {
        const stats = self.source.limitStats;
        this.set(!stats || stats.requestMemoryMaxBytes <= 0 ? -1 : Math.max(0, stats.requestMemoryMaxBytes - stats.requestMemoryUsedBytes));
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
      help: 'Partitions this broker leads whose ISR is smaller than their replica set (Kafka UnderReplicatedPartitions: counted by the leader only, so a sum over brokers counts each partition once).',
      registers,
      collect() {
        let n = 0;
        for (const t of self.source.topics.listTopics()) for (const p of self.source.topics.partitionsOf(t.name)) if (p && p.isLeader && p.isr.length < p.replicas.length) n++;
        this.set(n);
      },
    });
    new Gauge({
      name: 'tidelog_leader_count',
      help: 'Partitions this broker leads (Kafka LeaderCount).',
      registers,
      collect() {
        let n = 0;
        for (const t of self.source.topics.listTopics()) for (const p of self.source.topics.partitionsOf(t.name)) if (p?.isLeader) n++;
        this.set(n);
      },
    });
    new Gauge({
      name: 'tidelog_active_controller_count',
      help: '1 on the active controller, 0 elsewhere (Kafka ActiveControllerCount: a sum over brokers other than 1 is a problem).',
      registers,
      collect() {
        this.set(self.source.clusterView?.controllerId() === self.source.brokerId ? 1 : 0);
      },
    });
    new Gauge({
      name: 'tidelog_offline_partitions',
      help: 'Partitions without a live leader, counted by the active controller only (Kafka OfflinePartitionsCount); 0 on every other broker.',
      registers,
      collect() {
        const view = self.source.clusterView;
        if (!view || view.controllerId() !== self.source.brokerId) return this.set(0);
        let n = 0;
        for (const t of self.source.topics.listTopics()) {
          for (const a of self.source.topics.getTopic?.(t.name)?.partitions ?? []) {
            const leadership = view.partitionLeadership(t.name, a.partition, () => null);
            const local = self.source.topics.partition(t.name, a.partition);
            const leader = leadership ? leadership.leader : local?.isLeader ? self.source.brokerId : -1;
            if (leader < 0) n++;
          }
        }
        this.set(n);
      },
    });
    new Counter({
      name: 'tidelog_isr_shrinks_total',
      help: 'ISR shrinks this broker made as leader (Kafka IsrShrinksPerSec).',
      registers,
      collect() {
        this.reset();
        this.inc(self.source.isrChanges?.shrinks ?? 0);
      },
    });
    new Counter({
      name: 'tidelog_isr_expands_total',
      help: 'ISR expansions this broker made as leader (Kafka IsrExpandsPerSec).',
      registers,
      collect() {
        this.reset();
        this.inc(self.source.isrChanges?.expands ?? 0);
      },
    });
    new Gauge({
      name: 'tidelog_consumer_group_lag',
      help: "Offsets between a group's committed offset and the high watermark, per group, topic and partition: for the groups this broker coordinates and the partitions it leads (a sum over brokers counts each once where coordinator and leader are the same broker; Kafka itself exports no lag).",
      labelNames: ['group', 'topic', 'partition'],
      registers,
      collect() {
        this.reset();
        for (const o of self.source.groupOffsets?.() ?? []) {
          const p = self.source.topics.partition(o.topic, o.partition);
          if (!p || !p.isLeader || o.offset < 0) continue;
          this.set({ group: o.group, topic: o.topic, partition: String(o.partition) }, Math.max(0, p.highWatermark - o.offset));
        }
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
      this.topicFlows.delete(topic);
    }
  }

  /** After a response went out (Connection → RequestRouter.requestDone): Kafka's time split. */
  observeRequestTimes(apiKey: number, times: RequestTimes): void {
    for (const s of this.timeSplit) this.observeSplit(s, apiKey, s.of(times));
  }

  private observeSplit(s: SplitHistogram, apiKey: number, ms: number): void {
    s.histogram.observe(getApi(apiKey) ? apiKey : UNKNOWN_API_SLOT, Math.max(0, ms) / 1000);
  }

  /**
   * The one call per request: times it (from `startedMs`, a performance.now() taken before the
   * handler ran) and counts Produce/Fetch bytes when the answer is ready. `result` is what the
   * handler returned, a body or a promise of one.
   */
  observeRequest(apiKey: number, request: unknown, result: unknown, startedMs: number, wait: { readonly remoteMs: number } = NO_WAIT): void {
    if (result instanceof Promise) {
      if (apiKey === ApiKey.Produce) this.produceWaiting++;
      else if (apiKey === ApiKey.Fetch) this.fetchWaiting++;
      result.then(
        (body: unknown) => this.complete(apiKey, request, body, startedMs, true, wait),
        () => this.complete(apiKey, request, undefined, startedMs, true, wait),
      );
    } else {
      this.complete(apiKey, request, result, startedMs, false, wait);
    }
  }

  private complete(apiKey: number, request: unknown, body: unknown, startedMs: number, waited: boolean, wait: { readonly remoteMs: number }): void {
    try {
      this.account(apiKey, request, body, startedMs, waited, wait);
    } catch {
      // Metrics never fail a request (nor, from a promise callback, the process).
    }
  }

  private account(apiKey: number, request: unknown, body: unknown, startedMs: number, waited: boolean, wait: { readonly remoteMs: number }): void {
    if (waited) {
      if (apiKey === ApiKey.Produce) this.produceWaiting--;
      else if (apiKey === ApiKey.Fetch) this.fetchWaiting--;
    }
    const handlerMs = performance.now() - startedMs;
    this.latency.observe(getApi(apiKey) ? apiKey : UNKNOWN_API_SLOT, handlerMs / 1000);
    const remoteMs = Math.min(wait.remoteMs, handlerMs);
    this.observeSplit(this.localTime, apiKey, handlerMs - remoteMs);
    this.observeSplit(this.remoteTime, apiKey, remoteMs);
    if (body === undefined) return;
    countErrorCodes(body, (code) => this.errors.inc({ api: getApi(apiKey)?.name ?? String(apiKey), error: errorName(code) }));
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
        const flow = this.topicFlow(t.name);
        flow.bytesIn += bytes;
        flow.recordsIn += records;
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
      const flow = this.topicFlow(name);
      flow.bytesOut += bytes;
      flow.recordsOut += records;
    }
  }

  private topicFlow(topic: string): TopicFlow {
    let flow = this.topicFlows.get(topic);
    if (!flow) {
      flow = { bytesIn: 0, recordsIn: 0, bytesOut: 0, recordsOut: 0 };
      this.topicFlows.set(topic, flow);
      this.countedTopics.add(topic);
    }
    return flow;
  }

  /** Moves the request path's per-topic counts into the counters (each counter's collect, before it is read). */
  private flushTopicFlows(): void {
    for (const [topic, flow] of this.topicFlows) {
      const labels = { topic };
      if (flow.bytesIn > 0) this.bytesIn.inc(labels, flow.bytesIn);
      if (flow.recordsIn > 0) this.recordsIn.inc(labels, flow.recordsIn);
      if (flow.bytesOut > 0) this.bytesOut.inc(labels, flow.bytesOut);
      if (flow.recordsOut > 0) this.recordsOut.inc(labels, flow.recordsOut);
      flow.bytesIn = flow.recordsIn = flow.bytesOut = flow.recordsOut = 0;
    }
  }

  /** The Prometheus text exposition. */
  /**
   * The per-topic byte and record counters of this broker (Kafka's BytesIn/OutPerSec and
   * MessagesInPerSec before rating), for the admin API's /v1/throughput: rates are differences.
   */
  async topicTotals(): Promise<{ topic: string; bytesIn: number; bytesOut: number; messagesIn: number; messagesOut: number }[]> {
    const byTopic = new Map<string, { topic: string; bytesIn: number; bytesOut: number; messagesIn: number; messagesOut: number }>();
    const add = async (counter: Counter<'topic'>, field: 'bytesIn' | 'bytesOut' | 'messagesIn' | 'messagesOut') => {
      for (const v of (await counter.get()).values) {
        const topic = String(v.labels.topic ?? '');
        if (topic === '') continue;
        const entry = byTopic.get(topic) ?? { topic, bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 };
        entry[field] += v.value;
        byTopic.set(topic, entry);
      }
    };
    await add(this.bytesIn, 'bytesIn');
    await add(this.bytesOut, 'bytesOut');
    await add(this.recordsIn, 'messagesIn');
    await add(this.recordsOut, 'messagesOut');
    return [...byTopic.values()].sort((a, b) => a.topic.localeCompare(b.topic));
  }

  async render(): Promise<{ contentType: string; text: string }> {
    this.forgetDeletedTopics();
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
