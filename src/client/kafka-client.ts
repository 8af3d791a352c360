// KafkaClient: a small Kafka client over KafkaConnection and the generated codecs, for the
// CLI tools, tests and (later) replication. It bootstraps from a list of host:port, learns
// the brokers and partition leaders from Metadata, keeps one connection per broker, picks
// each API's version from the broker's ApiVersions (within the range this code speaks), and
// routes produce, fetch and list-offsets to partition leaders and group APIs to the group's
// coordinator. Kafka errors come back as codes in results; a throw is a KafkaClientError
// (connection failures, an API the broker does not serve, a timeout).
import { ApiKey, type ApiTypes } from '../protocol/generated/index.js';
import { ErrorCode, errorName, isRetriable } from '../protocol/errors.js';
import { KafkaConnection, CONNECT_TIMEOUT_MS } from './kafka-connection.js';
import { PLAINTEXT_SECURITY, type ClientSecurity } from './client-security.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Attempts for a request that meets a retriable error (stale leader, topic being created). */
const RETRIES_MAX = 5;
const RETRY_BACKOFF_MS = 100;

export class KafkaClientError extends Error {
  constructor(
    message: string,
    /** The Kafka error code when the broker answered one, else undefined. */
    readonly errorCode?: number,
  ) {
    super(message);
    this.name = 'KafkaClientError';
  }
}

export interface ClientOptions {
  /** host:port, or several (comma separated or a list). */
  readonly bootstrap: string | readonly string[];
  readonly clientId?: string;
  readonly requestTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  /** How connections are secured (security.protocol, ssl.*, SASL); PLAINTEXT when absent. */
  readonly security?: ClientSecurity;
}

export interface BrokerInfo {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

export interface PartitionMetadata {
  readonly partition: number;
  readonly errorCode: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export interface TopicMetadata {
  readonly name: string;
  readonly topicId: string;
  readonly errorCode: number;
  readonly isInternal: boolean;
  readonly partitions: readonly PartitionMetadata[];
}

export interface ClusterMetadata {
  readonly clusterId: string | null;
  readonly controllerId: number;
  readonly brokers: readonly BrokerInfo[];
  readonly topics: readonly TopicMetadata[];
}

export interface FetchPartitionResult {
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  readonly records: Buffer | null;
}

export interface ConfigEntry {
  readonly name: string;
  readonly value: string | null;
  readonly readOnly: boolean;
  readonly isDefault: boolean;
  /** Kafka's ConfigSource: 1 dynamic topic, 4 static broker, 5 default, ... */
  readonly source: number;
  readonly isSensitive: boolean;
  readonly synonyms: readonly { name: string; value: string | null; source: number }[];
}

/** ListOffsets timestamps (Kafka's ListOffsetsRequest.EARLIEST_TIMESTAMP, LATEST_TIMESTAMP). */
export const EARLIEST_TIMESTAMP = -2;
export const LATEST_TIMESTAMP = -1;
/** ConfigResource types and IncrementalAlterConfigs operations. */
export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;
export const CONFIG_SET = 0;
export const CONFIG_DELETE = 1;

type Body<K extends ApiKey> = ApiTypes[K]['requestInput'];
type Response<K extends ApiKey> = ApiTypes[K]['response'];

function parseBootstrap(bootstrap: string | readonly string[]): { host: string; port: number }[] {
  const list = (typeof bootstrap === 'string' ? bootstrap.split(',') : bootstrap).map((s) => s.trim()).filter((s) => s.length > 0);
  if (list.length === 0) throw new KafkaClientError('no bootstrap server given');
  return list.map((entry) => {
    const m = /^(?:[A-Za-z0-9_]+:\/\/)?(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
    if (!m) throw new KafkaClientError(`bootstrap server '${entry}' must look like host:port`);
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  });
}

/** A connection to one broker with the API versions it serves. */
export class BrokerConnection {
  private constructor(
    readonly connection: KafkaConnection,
    readonly address: string,
    private readonly versions: ReadonlyMap<number, { min: number; max: number }>,
    private readonly requestTimeoutMs: number,
  ) {}

  static async open(host: string, port: number, clientId: string, connectTimeoutMs: number, requestTimeoutMs: number, security: ClientSecurity = PLAINTEXT_SECURITY): Promise<BrokerConnection> {
    const address = `${host}:${port}`;
    let connection: KafkaConnection;
    try {
      connection = await KafkaConnection.connect(host, port, clientId, connectTimeoutMs, undefined, security);
    } catch (err) {
      if ((err as Error).name === 'SaslAuthenticationError') throw new KafkaClientError(`${address}: ${(err as Error).message}`, (err as { errorCode?: number }).errorCode);
      const e = err as NodeJS.ErrnoException;
      // TLS failures (an untrusted certificate, a wrong host name) need their message; socket errors their code.
      const reason = e.code === undefined || e.code.startsWith('ERR_') || !/^E[A-Z]+$/.test(e.code) ? e.message : e.code;
      throw Object.assign(new KafkaClientError(`cannot connect to ${address}: ${reason}`), { code: e.code });
    }
    const versions = new Map<number, { min: number; max: number }>();
    // ApiVersions v3 (KIP-511); a broker that does not know v3 answers UNSUPPORTED_VERSION with its list in a v0 body.
    const probe = new BrokerConnection(connection, address, new Map([[ApiKey.ApiVersions, { min: 0, max: 3 }]]), requestTimeoutMs);
    let answer = await probe.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 'tidelog', clientSoftwareVersion: '0' });
    if (answer.errorCode === ErrorCode.UNSUPPORTED_VERSION) answer = await probe.send(ApiKey.ApiVersions, 0, {});
    if (answer.errorCode !== ErrorCode.NONE) throw new KafkaClientError(`${address} answered ApiVersions with ${errorName(answer.errorCode)}`, answer.errorCode);
    for (const k of answer.apiKeys) versions.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
    return new BrokerConnection(connection, address, versions, requestTimeoutMs);
  }

  /** The highest version in [min, max] the broker serves, or a KafkaClientError. */
  version(apiKey: ApiKey, min: number, max: number, name: string): number {
    const served = this.versions.get(apiKey);
    const v = served ? Math.min(max, served.max) : -1;
    if (!served || v < min || v < served.min) {
      throw new KafkaClientError(`${this.address} does not serve ${name} v${min}-${max}${served ? ` (it serves v${served.min}-${served.max})` : ''}`, ErrorCode.UNSUPPORTED_VERSION);
    }
    return v;
  }

  /** Sends one request; rejects on timeout (closing the connection: later answers would be out of order). */
  send<K extends ApiKey>(apiKey: K, version: number, body: Body<K>, extraTimeoutMs = 0): Promise<Response<K>> {
    const timeoutMs = this.requestTimeoutMs + extraTimeoutMs;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.connection.close();
        reject(new KafkaClientError(`request to ${this.address} timed out after ${timeoutMs} ms`, ErrorCode.REQUEST_TIMED_OUT));
      }, timeoutMs);
      this.connection.request(apiKey, version, body).then(
        (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        (err: Error) => {
          clearTimeout(timer);
          reject(err instanceof KafkaClientError ? err : new KafkaClientError(`${this.address}: ${err.message}`));
        },
      );
    });
  }

  /** Sends without waiting for an answer (Produce with acks=0). */
  sendNoResponse<K extends ApiKey>(apiKey: K, version: number, body: Body<K>): Promise<void> {
    return this.connection.request(apiKey, version, body, false).then(() => undefined);
  }

  /** The versions the broker serves, by API key (its ApiVersions answer). */
  get apiVersions(): ReadonlyMap<number, { min: number; max: number }> {
    return this.versions;
  }

  get closed(): boolean {
    return this.connection.closed;
  }

  close(): void {
    this.connection.close();
  }
}

export class KafkaClient {
  readonly clientId: string;
  private readonly requestTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly security: ClientSecurity;
  private readonly bootstrap: { host: string; port: number }[];
  private readonly brokers = new Map<number, BrokerInfo>();
  private readonly connections = new Map<string, Promise<BrokerConnection>>();
  private readonly topics = new Map<string, TopicMetadata>();
  private controllerId = -1;
  private closed = false;

  private constructor(options: ClientOptions) {
    this.clientId = options.clientId ?? 'tidelog';
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.connectTimeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
    this.security = options.security ?? PLAINTEXT_SECURITY;
    this.bootstrap = parseBootstrap(options.bootstrap);
  }

  /** Connects to the first reachable bootstrap server and reads the cluster's brokers. */
  static async connect(options: ClientOptions): Promise<KafkaClient> {
    const client = new KafkaClient(options);
    await client.metadata([]);
    return client;
  }

  // ---------------------------------------------------------------- connections

  private connectTo(host: string, port: number): Promise<BrokerConnection> {
    const key = `${host}:${port}`;
    let conn = this.connections.get(key);
    if (conn) return conn.then((c) => (c.closed ? this.reconnect(key, host, port) : c));
    conn = BrokerConnection.open(host, port, this.clientId, this.connectTimeoutMs, this.requestTimeoutMs, this.security);
    this.connections.set(key, conn);
    conn.catch(() => this.connections.delete(key));
    return conn;
  }

  private reconnect(key: string, host: string, port: number): Promise<BrokerConnection> {
    this.connections.delete(key);
    return this.connectTo(host, port);
  }

  /** Any live broker: a known one, else a bootstrap server. */
  async anyBroker(): Promise<BrokerConnection> {
    const candidates = [...[...this.brokers.values()].map((b) => ({ host: b.host, port: b.port })), ...this.bootstrap];
    let last: unknown = null;
    for (const c of candidates) {
      try {
        return await this.connectTo(c.host, c.port);
      } catch (err) {
        last = err;
      }
    }
    const list = this.bootstrap.map((b) => `${b.host}:${b.port}`).join(', ');
    const reason = last instanceof Error ? ((last as NodeJS.ErrnoException).code ?? last.message) : String(last);
    throw Object.assign(new KafkaClientError(`cannot connect to any bootstrap server (${list}): ${reason}`), { code: (last as NodeJS.ErrnoException)?.code });
  }

  async broker(nodeId: number): Promise<BrokerConnection> {
    let b = this.brokers.get(nodeId);
    if (!b) {
      await this.metadata([]);
      b = this.brokers.get(nodeId);
    }
    if (!b) throw new KafkaClientError(`broker ${nodeId} is not in the cluster metadata`);
    return this.connectTo(b.host, b.port);
  }

  /** The brokers learned so far (from Metadata and FindCoordinator). */
  knownBrokers(): BrokerInfo[] {
    return [...this.brokers.values()];
  }

  async controller(): Promise<BrokerConnection> {
    if (this.controllerId < 0) await this.metadata([]);
    return this.controllerId >= 0 ? this.broker(this.controllerId) : this.anyBroker();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.connections.values()) c.then((x) => x.close(), () => {});
    this.connections.clear();
  }

  // ---------------------------------------------------------------- metadata

  /** Metadata for the topics ([] = brokers only, null = every topic); caches leaders. */
  async metadata(topics: readonly string[] | null, allowAutoTopicCreation = false): Promise<ClusterMetadata> {
    const conn = await this.anyBroker();
    const v = conn.version(ApiKey.Metadata, 1, 12, 'Metadata');
    const r = await conn.send(ApiKey.Metadata, v, {
      topics: topics === null ? null : topics.map((name) => ({ name, topicId: '00000000-0000-0000-0000-000000000000' })),
      allowAutoTopicCreation,
    });
    const brokers = r.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack }));
    for (const b of brokers) this.brokers.set(b.nodeId, b);
    this.controllerId = r.controllerId;
    const out: TopicMetadata[] = r.topics.map((t) => ({
      name: t.name ?? '',
      topicId: t.topicId,
      errorCode: t.errorCode,
      isInternal: t.isInternal,
      partitions: t.partitions
        .map((p) => ({ partition: p.partitionIndex, errorCode: p.errorCode, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicaNodes, isr: p.isrNodes }))
        .sort((a, b) => a.partition - b.partition),
    }));
    for (const t of out) {
      if (t.errorCode === ErrorCode.NONE) this.topics.set(t.name, t);
      else this.topics.delete(t.name);
    }
    return { clusterId: r.clusterId, controllerId: r.controllerId, brokers, topics: out };
  }

  /** A topic's metadata (cached unless refresh); a KafkaClientError when it does not exist. */
  async topic(name: string, options: { refresh?: boolean; autoCreate?: boolean } = {}): Promise<TopicMetadata> {
    const cached = this.topics.get(name);
    if (cached && !options.refresh) return cached;
    for (let attempt = 0; ; attempt++) {
      const md = await this.metadata([name], options.autoCreate ?? false);
      const t = md.topics.find((x) => x.name === name);
      if (t && t.errorCode === ErrorCode.NONE && t.partitions.length > 0) return t;
      const code = t?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      // LEADER_NOT_AVAILABLE is how a broker answers a topic it is creating.
      if ((code === ErrorCode.LEADER_NOT_AVAILABLE || (options.autoCreate && code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)) && attempt < RETRIES_MAX) {
        await sleep(RETRY_BACKOFF_MS * (attempt + 1));
        continue;
      }
      if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw new KafkaClientError(`topic '${name}' does not exist`, code);
      throw new KafkaClientError(`topic '${name}': ${errorName(code)}`, code);
    }
  }

  async leaderFor(topic: string, partition: number): Promise<BrokerConnection> {
    const t = await this.topic(topic);
    const p = t.partitions.find((x) => x.partition === partition);
    if (!p) throw new KafkaClientError(`topic '${topic}' has no partition ${partition}`, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    if (p.leader < 0) throw new KafkaClientError(`partition ${topic}-${partition} has no leader`, ErrorCode.LEADER_NOT_AVAILABLE);
    return this.broker(p.leader);
  }

  /** Runs `attempt` again after a metadata refresh while it reports a retriable error code. */
  private async withRetries<T>(topic: string, attempt: () => Promise<{ errorCode: number; value: T }>): Promise<{ errorCode: number; value: T }> {
    for (let i = 0; ; i++) {
      const r = await attempt();
      if (r.errorCode === ErrorCode.NONE || !isRetriable(r.errorCode) || i >= RETRIES_MAX) return r;
      await sleep(RETRY_BACKOFF_MS * (i + 1));
      await this.topic(topic, { refresh: true }).catch(() => {});
    }
  }

  // ---------------------------------------------------------------- produce, fetch, offsets

  /**
   * Produces one partition's batches (v2 record batches, e.g. from encodeRecordBatch) to its
   * leader. acks 0 resolves once written (baseOffset -1).
   */
  async produce(topic: string, partition: number, records: Buffer, options: { acks?: number; timeoutMs?: number } = {}): Promise<{ errorCode: number; errorMessage: string | null; baseOffset: number }> {
    const acks = options.acks ?? -1;
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    const r = await this.withRetries(topic, async () => {
      const conn = await this.leaderFor(topic, partition);
      const v = conn.version(ApiKey.Produce, 3, 9, 'Produce');
      const body = { transactionalId: null, acks, timeoutMs, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] };
      if (acks === 0) {
        await conn.sendNoResponse(ApiKey.Produce, v, body);
        return { errorCode: ErrorCode.NONE, value: { errorMessage: null, baseOffset: -1 } };
      }
      const res = await conn.send(ApiKey.Produce, v, body);
      const p = res.responses[0]?.partitionResponses[0];
      if (!p) throw new KafkaClientError(`${conn.address} answered Produce without the partition`);
      return { errorCode: p.errorCode, value: { errorMessage: p.errorMessage, baseOffset: p.baseOffset } };
    });
    return { errorCode: r.errorCode, ...r.value };
  }

  /**
   * Fetches from partition leaders (one request per leader, in parallel). Records are the raw
   * batches (decode with decodeRecordBatches).
   */
  async fetch(
    partitions: readonly { topic: string; partition: number; offset: number; maxBytes?: number }[],
    options: { maxWaitMs?: number; minBytes?: number; maxBytes?: number; isolationLevel?: 0 | 1 } = {},
  ): Promise<FetchPartitionResult[]> {
    const byLeader = new Map<number, typeof partitions[number][]>();
    const failed: FetchPartitionResult[] = [];
    for (const p of partitions) {
      const t = await this.topic(p.topic);
      const meta = t.partitions.find((x) => x.partition === p.partition);
      if (!meta || meta.leader < 0) {
        failed.push({ topic: p.topic, partition: p.partition, errorCode: meta ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1, logStartOffset: -1, records: null });
        continue;
      }
      const list = byLeader.get(meta.leader) ?? [];
      list.push(p);
      byLeader.set(meta.leader, list);
    }
    const maxWaitMs = options.maxWaitMs ?? 500;
    const results = await Promise.all(
      [...byLeader].map(async ([leader, list]) => {
        const conn = await this.broker(leader);
        const v = conn.version(ApiKey.Fetch, 4, 12, 'Fetch');
        const topics = new Map<string, { partition: number; fetchOffset: number; partitionMaxBytes: number }[]>();
        for (const p of list) {
          const l = topics.get(p.topic) ?? [];
          l.push({ partition: p.partition, fetchOffset: p.offset, partitionMaxBytes: p.maxBytes ?? 1024 * 1024 });
          topics.set(p.topic, l);
        }
        const res = await conn.send(
          ApiKey.Fetch,
          v,
          {
            replicaId: -1,
            maxWaitMs,
            minBytes: options.minBytes ?? 1,
            maxBytes: options.maxBytes ?? 50 * 1024 * 1024,
            isolationLevel: options.isolationLevel ?? 0,
            sessionId: 0,
            sessionEpoch: -1,
            topics: [...topics].map(([topic, ps]) => ({ topic, partitions: ps.map((p) => ({ ...p, currentLeaderEpoch: -1, logStartOffset: -1 })) })),
          },
          maxWaitMs,
        );
        if (res.errorCode !== ErrorCode.NONE) return list.map((p) => ({ topic: p.topic, partition: p.partition, errorCode: res.errorCode, highWatermark: -1, logStartOffset: -1, records: null }));
        return res.responses.flatMap((t) =>
          t.partitions.map((p) => ({ topic: t.topic, partition: p.partitionIndex, errorCode: p.errorCode, highWatermark: p.highWatermark, logStartOffset: p.logStartOffset, records: p.records })),
        );
      }),
    );
    const all = [...failed, ...results.flat()];
    // Stale leaders: refresh metadata so the next fetch goes to the right broker.
    if (all.some((r) => r.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER || r.errorCode === ErrorCode.LEADER_NOT_AVAILABLE)) {
      for (const t of new Set(all.map((r) => r.topic))) await this.topic(t, { refresh: true }).catch(() => {});
    }
    return all;
  }

  /** ListOffsets: per partition, the offset for `timestamp` (EARLIEST_TIMESTAMP, LATEST_TIMESTAMP or epoch ms; -1 offset when none). */
  async listOffsets(topic: string, partitions: readonly number[], timestamp: number): Promise<Map<number, { errorCode: number; offset: number; timestamp: number }>> {
    const t = await this.topic(topic);
    const byLeader = new Map<number, number[]>();
    const out = new Map<number, { errorCode: number; offset: number; timestamp: number }>();
    for (const p of partitions) {
      const meta = t.partitions.find((x) => x.partition === p);
      if (!meta) {
        out.set(p, { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, offset: -1, timestamp: -1 });
        continue;
      }
      byLeader.set(meta.leader, [...(byLeader.get(meta.leader) ?? []), p]);
    }
    await Promise.all(
      [...byLeader].map(async ([leader, ps]) => {
        const conn = await this.broker(leader);
        const v = conn.version(ApiKey.ListOffsets, 1, 7, 'ListOffsets');
        const res = await conn.send(ApiKey.ListOffsets, v, {
          replicaId: -1,
          isolationLevel: 0,
          topics: [{ name: topic, partitions: ps.map((p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp })) }],
        });
        for (const rt of res.topics) for (const rp of rt.partitions) out.set(rp.partitionIndex, { errorCode: rp.errorCode, offset: rp.offset, timestamp: rp.timestamp });
      }),
    );
    return out;
  }

  /**
   * DeleteRecords: moves each partition's log start offset up to `offset` (-1 = the high
   * watermark), one request per leader. lowWatermark is the new log start offset.
   */
  async deleteRecords(partitions: readonly { topic: string; partition: number; offset: number }[]): Promise<{ topic: string; partition: number; errorCode: number; lowWatermark: number }[]> {
    const byLeader = new Map<number, typeof partitions[number][]>();
    const out: { topic: string; partition: number; errorCode: number; lowWatermark: number }[] = [];
    for (const p of partitions) {
      let meta: PartitionMetadata | undefined;
      try {
        meta = (await this.topic(p.topic)).partitions.find((x) => x.partition === p.partition);
      } catch (err) {
        if (!(err instanceof KafkaClientError) || err.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw err;
      }
      if (!meta || meta.leader < 0) {
        out.push({ topic: p.topic, partition: p.partition, errorCode: meta ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, lowWatermark: -1 });
        continue;
      }
      byLeader.set(meta.leader, [...(byLeader.get(meta.leader) ?? []), p]);
    }
    await Promise.all(
      [...byLeader].map(async ([leader, list]) => {
        const conn = await this.broker(leader);
        const v = conn.version(ApiKey.DeleteRecords, 0, 2, 'DeleteRecords');
        const topics = new Map<string, { partitionIndex: number; offset: number }[]>();
        for (const p of list) topics.set(p.topic, [...(topics.get(p.topic) ?? []), { partitionIndex: p.partition, offset: p.offset }]);
        const res = await conn.send(ApiKey.DeleteRecords, v, { topics: [...topics].map(([name, ps]) => ({ name, partitions: ps })), timeoutMs: this.requestTimeoutMs });
        for (const t of res.topics) for (const p of t.partitions) out.push({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode, lowWatermark: p.lowWatermark });
      }),
    );
    return out;
  }

  /**
   * ElectLeaders on the controller (electionType 0 preferred, 1 unclean; partitions null =
   * every partition, and then the controller leaves out those that needed no election).
   */
  async electLeaders(electionType: number, partitions: readonly { topic: string; partition: number }[] | null): Promise<{ errorCode: number; results: { topic: string; partition: number; errorCode: number; errorMessage: string | null }[] }> {
    const conn = await this.controller();
    const v = conn.version(ApiKey.ElectLeaders, electionType === 0 ? 0 : 1, 2, 'ElectLeaders');
    let topicPartitions: { topic: string; partitions: number[] }[] | null = null;
    if (partitions !== null) {
      const byTopic = new Map<string, number[]>();
      for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
      topicPartitions = [...byTopic].map(([topic, ps]) => ({ topic, partitions: ps }));
    }
    const res = await conn.send(ApiKey.ElectLeaders, v, { electionType, topicPartitions, timeoutMs: this.requestTimeoutMs });
    return {
      errorCode: res.errorCode,
      results: res.replicaElectionResults.flatMap((t) => t.partitionResult.map((p) => ({ topic: t.topic, partition: p.partitionId, errorCode: p.errorCode, errorMessage: p.errorMessage }))),
    };
  }

  /**
   * A request the controller must answer: sent to the controller Metadata names, and again
   * after a fresh Metadata when the answer is NOT_CONTROLLER (a failover), as Kafka's admin
   * client does, until the request timeout.
   */
  private async onController<T extends { errorCode: number }>(send: (conn: BrokerConnection) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.requestTimeoutMs;
    for (;;) {
      const answer = await send(await this.controller());
      if (answer.errorCode !== ErrorCode.NOT_CONTROLLER || Date.now() > deadline) return answer;
      await sleep(100);
      await this.metadata([]);
    }
  }

  /** AlterPartitionReassignments (KIP-455): per partition the target replicas, or null to cancel. */
  async alterPartitionReassignments(partitions: readonly { topic: string; partition: number; replicas: readonly number[] | null }[]): Promise<{ errorCode: number; errorMessage: string | null; results: { topic: string; partition: number; errorCode: number; errorMessage: string | null }[] }> {
    const byTopic = new Map<string, { partitionIndex: number; replicas: number[] | null }[]>();
    for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), { partitionIndex: p.partition, replicas: p.replicas === null ? null : [...p.replicas] }]);
    const res = await this.onController(async (conn) => {
      conn.version(ApiKey.AlterPartitionReassignments, 0, 0, 'AlterPartitionReassignments');
      return conn.send(ApiKey.AlterPartitionReassignments, 0, { timeoutMs: this.requestTimeoutMs, topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps })) });
    });
    return {
      errorCode: res.errorCode,
      errorMessage: res.errorMessage,
      results: res.responses.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode, errorMessage: p.errorMessage }))),
    };
  }

  /** ListPartitionReassignments (KIP-455): the ongoing ones, of the partitions given or all (null). */
  async listPartitionReassignments(partitions: readonly { topic: string; partition: number }[] | null): Promise<{ errorCode: number; errorMessage: string | null; reassignments: { topic: string; partition: number; replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }[] }> {
    let topics: { name: string; partitionIndexes: number[] }[] | null = null;
    if (partitions !== null) {
      const byTopic = new Map<string, number[]>();
      for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
      topics = [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
    }
    const res = await this.onController(async (conn) => {
      conn.version(ApiKey.ListPartitionReassignments, 0, 0, 'ListPartitionReassignments');
      return conn.send(ApiKey.ListPartitionReassignments, 0, { timeoutMs: this.requestTimeoutMs, topics });
    });
    return {
      errorCode: res.errorCode,
      errorMessage: res.errorMessage,
      reassignments: res.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: [...p.replicas], addingReplicas: [...p.addingReplicas], removingReplicas: [...p.removingReplicas] }))),
    };
  }

  /** DescribeLogDirs of one broker (topics null = every partition). */
  async describeLogDirs(nodeId: number, topics: readonly { topic: string; partitions: readonly number[] }[] | null): Promise<Response<typeof ApiKey.DescribeLogDirs>> {
    const conn = await this.broker(nodeId);
    const v = conn.version(ApiKey.DescribeLogDirs, 0, 4, 'DescribeLogDirs');
    return conn.send(ApiKey.DescribeLogDirs, v, { topics: topics === null ? null : topics.map((t) => ({ topic: t.topic, partitions: [...t.partitions] })) });
  }

  // ---------------------------------------------------------------- topics and configs

  async createTopic(
    name: string,
    options: { partitions?: number; replicationFactor?: number; configs?: Readonly<Record<string, string>>; validateOnly?: boolean } = {},
  ): Promise<{ errorCode: number; errorMessage: string | null }> {
    const conn = await this.controller();
    const v = conn.version(ApiKey.CreateTopics, 2, 7, 'CreateTopics');
    const res = await conn.send(ApiKey.CreateTopics, v, {
      topics: [
        {
          name,
          numPartitions: options.partitions ?? -1,
          replicationFactor: options.replicationFactor ?? -1,
          assignments: [],
          configs: Object.entries(options.configs ?? {}).map(([k, value]) => ({ name: k, value })),
        },
      ],
      timeoutMs: this.requestTimeoutMs,
      validateOnly: options.validateOnly ?? false,
    });
    const t = res.topics[0]!;
    if (t.errorCode === ErrorCode.NONE) this.topics.delete(name);
    return { errorCode: t.errorCode, errorMessage: t.errorMessage };
  }

  async deleteTopic(name: string): Promise<{ errorCode: number; errorMessage: string | null }> {
    const conn = await this.controller();
    const v = conn.version(ApiKey.DeleteTopics, 1, 6, 'DeleteTopics');
    const res = await conn.send(
      ApiKey.DeleteTopics,
      v,
      v >= 6 ? { topics: [{ name, topicId: '00000000-0000-0000-0000-000000000000' }], timeoutMs: this.requestTimeoutMs } : { topicNames: [name], timeoutMs: this.requestTimeoutMs },
    );
    this.topics.delete(name);
    const r = res.responses[0]!;
    return { errorCode: r.errorCode, errorMessage: r.errorMessage };
  }

  async createPartitions(name: string, count: number): Promise<{ errorCode: number; errorMessage: string | null }> {
    const conn = await this.controller();
    const v = conn.version(ApiKey.CreatePartitions, 0, 3, 'CreatePartitions');
    const res = await conn.send(ApiKey.CreatePartitions, v, { topics: [{ name, count, assignments: null }], timeoutMs: this.requestTimeoutMs, validateOnly: false });
    this.topics.delete(name);
    const r = res.results[0]!;
    return { errorCode: r.errorCode, errorMessage: r.errorMessage };
  }

  /**
   * Where a config request goes, as Kafka's admin client sends it: a broker resource with an id
   * to that broker (only it answers for its own configs), anything else to the controller.
   */
  private configResourceBroker(resourceType: number, resourceName: string): Promise<BrokerConnection> {
    return resourceType === RESOURCE_BROKER && /^\d+$/.test(resourceName) ? this.broker(Number(resourceName)) : this.controller();
  }

  /** DescribeConfigs of one resource; keys null = all. */
  async describeConfigs(resourceType: number, resourceName: string, keys: readonly string[] | null = null): Promise<{ errorCode: number; errorMessage: string | null; configs: ConfigEntry[] }> {
    const conn = await this.configResourceBroker(resourceType, resourceName);
    const v = conn.version(ApiKey.DescribeConfigs, 1, 4, 'DescribeConfigs');
    const res = await conn.send(ApiKey.DescribeConfigs, v, { resources: [{ resourceType, resourceName, configurationKeys: keys === null ? null : [...keys] }], includeSynonyms: true, includeDocumentation: false });
    const r = res.results[0]!;
    return {
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      configs: r.configs.map((c) => ({
        name: c.name,
        value: c.value,
        readOnly: c.readOnly,
        isDefault: c.configSource === 5,
        source: c.configSource,
        isSensitive: c.isSensitive,
        synonyms: c.synonyms.map((s) => ({ name: s.name, value: s.value, source: s.source })),
      })),
    };
  }

  /** IncrementalAlterConfigs: set and delete keys of one resource. */
  async alterConfigs(resourceType: number, resourceName: string, set: Readonly<Record<string, string>>, del: readonly string[]): Promise<{ errorCode: number; errorMessage: string | null }> {
    const conn = await this.configResourceBroker(resourceType, resourceName);
    const v = conn.version(ApiKey.IncrementalAlterConfigs, 0, 1, 'IncrementalAlterConfigs');
    const res = await conn.send(ApiKey.IncrementalAlterConfigs, v, {
      resources: [
        {
          resourceType,
          resourceName,
          configs: [...Object.entries(set).map(([name, value]) => ({ name, configOperation: CONFIG_SET, value })), ...del.map((name) => ({ name, configOperation: CONFIG_DELETE, value: null }))],
        },
      ],
      validateOnly: false,
    });
    const r = res.responses[0]!;
    return { errorCode: r.errorCode, errorMessage: r.errorMessage };
  }

  // ---------------------------------------------------------------- groups

  /** The coordinator of a group, or with keyType 1 of a transactional id (FindCoordinator, retried while it is loading). */
  async coordinator(groupId: string, keyType: 0 | 1 = 0): Promise<BrokerConnection> {
    for (let attempt = 0; ; attempt++) {
      const conn = await this.anyBroker();
      const v = conn.version(ApiKey.FindCoordinator, 1, 4, 'FindCoordinator');
      const res = await conn.send(ApiKey.FindCoordinator, v, v >= 4 ? { keyType, coordinatorKeys: [groupId] } : { key: groupId, keyType });
      const c = v >= 4 ? res.coordinators[0] : { nodeId: res.nodeId, host: res.host, port: res.port, errorCode: res.errorCode, errorMessage: res.errorMessage };
      if (c && c.errorCode === ErrorCode.NONE) {
        this.brokers.set(c.nodeId, { nodeId: c.nodeId, host: c.host, port: c.port, rack: null });
        return this.connectTo(c.host, c.port);
      }
      const code = c?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
      if (!isRetriable(code) || attempt >= RETRIES_MAX) throw new KafkaClientError(`no coordinator for ${keyType === 0 ? 'group' : 'transactional id'} '${groupId}': ${errorName(code)}`, code);
      await sleep(RETRY_BACKOFF_MS * (attempt + 1));
    }
  }

  /** ListGroups on every broker. */
  /** Every group of every broker; groupType (ListGroups v5, KIP-848) is 'classic' from brokers without it. */
  async listGroups(): Promise<{ groupId: string; protocolType: string; state: string; groupType: string }[]> {
    await this.metadata([]);
    const out: { groupId: string; protocolType: string; state: string; groupType: string }[] = [];
    for (const b of this.brokers.values()) {
      const conn = await this.broker(b.nodeId);
      const v = conn.version(ApiKey.ListGroups, 0, 5, 'ListGroups');
      const res = await conn.send(ApiKey.ListGroups, v, { statesFilter: [], typesFilter: [] });
      if (res.errorCode !== ErrorCode.NONE) throw new KafkaClientError(`${conn.address} answered ListGroups with ${errorName(res.errorCode)}`, res.errorCode);
      for (const g of res.groups) out.push({ groupId: g.groupId, protocolType: g.protocolType, state: g.groupState, groupType: v >= 5 ? g.groupType.toLowerCase() : 'classic' });
    }
    return out.sort((a, b) => a.groupId.localeCompare(b.groupId));
  }

  async describeGroup(groupId: string): Promise<Response<typeof ApiKey.DescribeGroups>['groups'][number]> {
    const conn = await this.coordinator(groupId);
    const v = conn.version(ApiKey.DescribeGroups, 0, 5, 'DescribeGroups');
    const res = await conn.send(ApiKey.DescribeGroups, v, { groups: [groupId], includeAuthorizedOperations: false });
    return res.groups[0]!;
  }

  /**
   * ConsumerGroupDescribe (KIP-848) at the group's coordinator: the group, or null when the
   * coordinator does not serve the API (then only classic groups exist there).
   */
  async consumerGroupDescribe(groupId: string): Promise<Response<typeof ApiKey.ConsumerGroupDescribe>['groups'][number] | null> {
    const conn = await this.coordinator(groupId);
    let v: number;
    try {
      v = conn.version(ApiKey.ConsumerGroupDescribe, 0, 1, 'ConsumerGroupDescribe');
    } catch {
      return null;
    }
    const res = await conn.send(ApiKey.ConsumerGroupDescribe, v, { groupIds: [groupId], includeAuthorizedOperations: false });
    return res.groups[0]!;
  }

  /** Committed offsets (topics null = every committed offset): topic → partition → offset (-1 none). */
  async fetchOffsets(groupId: string, topics: readonly { topic: string; partitions: readonly number[] }[] | null): Promise<Map<string, Map<number, number>>> {
    const conn = await this.coordinator(groupId);
    const v = conn.version(ApiKey.OffsetFetch, 2, 7, 'OffsetFetch');
    const res = await conn.send(ApiKey.OffsetFetch, v, { groupId, topics: topics === null ? null : topics.map((t) => ({ name: t.topic, partitionIndexes: [...t.partitions] })), requireStable: false });
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaClientError(`OffsetFetch for group '${groupId}': ${errorName(res.errorCode)}`, res.errorCode);
    const out = new Map<string, Map<number, number>>();
    for (const t of res.topics) {
      const m = new Map<number, number>();
      for (const p of t.partitions) if (p.errorCode === ErrorCode.NONE) m.set(p.partitionIndex, p.committedOffset);
      out.set(t.name, m);
    }
    return out;
  }

  /** OffsetCommit; generation -1 and member '' commit outside group management (an Empty group only). */
  async commitOffsets(
    groupId: string,
    offsets: readonly { topic: string; partition: number; offset: number }[],
    member: { generationId: number; memberId: string; groupInstanceId?: string | null } = { generationId: -1, memberId: '' },
  ): Promise<{ topic: string; partition: number; errorCode: number }[]> {
    const conn = await this.coordinator(groupId);
    const v = conn.version(ApiKey.OffsetCommit, 2, 8, 'OffsetCommit');
    const topics = new Map<string, { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; committedMetadata: string }[]>();
    for (const o of offsets) {
      const l = topics.get(o.topic) ?? [];
      l.push({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: '' });
      topics.set(o.topic, l);
    }
    const res = await conn.send(ApiKey.OffsetCommit, v, {
      groupId,
      generationIdOrMemberEpoch: member.generationId,
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId ?? null,
      retentionTimeMs: -1,
      topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
    });
    return res.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode })));
  }

  /** OffsetDelete: removes a group's committed offsets of some partitions (the group must not be subscribed to their topics). */
  async deleteOffsets(groupId: string, partitions: readonly { topic: string; partition: number }[]): Promise<{ errorCode: number; results: { topic: string; partition: number; errorCode: number }[] }> {
    const conn = await this.coordinator(groupId);
    const v = conn.version(ApiKey.OffsetDelete, 0, 0, 'OffsetDelete');
    const topics = new Map<string, { partitionIndex: number }[]>();
    for (const p of partitions) topics.set(p.topic, [...(topics.get(p.topic) ?? []), { partitionIndex: p.partition }]);
    const res = await conn.send(ApiKey.OffsetDelete, v, { groupId, topics: [...topics].map(([name, ps]) => ({ name, partitions: ps })) });
    return { errorCode: res.errorCode, results: res.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode }))) };
  }

  async deleteGroup(groupId: string): Promise<number> {
    const conn = await this.coordinator(groupId);
    const v = conn.version(ApiKey.DeleteGroups, 0, 2, 'DeleteGroups');
    const res = await conn.send(ApiKey.DeleteGroups, v, { groupsNames: [groupId] });
    return res.results[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
