// Three broker processes (broker.id 1..3) on 127.0.0.1 over one real ZooKeeper (with a
// chroot), for the failover tests: start, SIGKILL, restart on the same port and data
// directory, and read the cluster's view through Metadata v9 from any live broker.
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey, type ApiTypes } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';
import { startZooKeeper, type ZooKeeperServer } from './zookeeper.js';
import { waitFor } from '../helpers/wait.js';

export const BROKER_IDS = [1, 2, 3] as const;
/** Bounds one Metadata or admin request of the harness (a broker that hangs must not hang the test). */
export const ADMIN_REQUEST_TIMEOUT_MS = 5_000;
const CONNECT_TIMEOUT_MS = 2_000;
/** A restarted broker can fail with "node already exists" while its old session lingers. */
const RESTART_ATTEMPTS_MAX = 20;

export interface PartitionView {
  readonly partition: number;
  readonly errorCode: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: number[];
  readonly isr: number[];
}

export interface MetadataView {
  /** The broker that answered. */
  readonly from: number;
  readonly controllerId: number;
  readonly brokers: Map<number, { host: string; port: number }>;
  readonly partitions: PartitionView[];
}

export interface ClusterOptions {
  readonly chroot: string;
  /** Broker config overrides shared by the three brokers. */
  readonly overrides: Record<string, string | number | boolean>;
}

/** Rejects after `ms` (and runs `onTimeout`, e.g. closing the connection the promise waits on). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string, onTimeout: () => void = () => {}): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`${what}: no answer in ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One request on a fresh connection, bounded in time. */
export async function requestOnce<K extends ApiKey>(port: number, apiKey: K, version: number, body: ApiTypes[K]['requestInput'], what: string): Promise<ApiTypes[K]['response']> {
  const conn = await KafkaConnection.connect('127.0.0.1', port, 'failover-test', CONNECT_TIMEOUT_MS);
  try {
    return await withTimeout(conn.request(apiKey, version, body), ADMIN_REQUEST_TIMEOUT_MS, what, () => conn.close());
  } finally {
    conn.close();
  }
}

/** Metadata v9 from the broker on `port` (brokers, controller, and the topic's partitions with leader epoch and ISR). */
export async function metadataFrom(port: number, topic: string | null): Promise<MetadataView> {
  const conn = await KafkaConnection.connect('127.0.0.1', port, 'failover-test', CONNECT_TIMEOUT_MS);
  try {
    const r = await withTimeout(
      conn.request(ApiKey.Metadata, 9, { topics: topic === null ? [] : [{ name: topic }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }),
      ADMIN_REQUEST_TIMEOUT_MS,
      `Metadata from port ${port}`,
      () => conn.close(),
    );
    const brokers = new Map(r.brokers.map((b) => [b.nodeId, { host: b.host, port: b.port }]));
    const from = [...brokers].find(([, b]) => b.port === port)?.[0] ?? -1;
    const t = topic === null ? undefined : r.topics.find((x) => x.name === topic);
    const partitions = (t?.partitions ?? [])
      .map((p) => ({ partition: p.partitionIndex, errorCode: p.errorCode, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: [...p.replicaNodes], isr: [...p.isrNodes].sort((a, b) => a - b) }))
      .sort((a, b) => a.partition - b.partition);
    return { from, controllerId: r.controllerId, brokers, partitions };
  } finally {
    conn.close();
  }
}

export class ThreeBrokerCluster {
  readonly brokers = new Map<number, BrokerProcess>();
  /** Each broker's data directory and port, kept across kills so that a restart reuses them. */
  private readonly dataDirs = new Map<number, string>();
  private readonly ports = new Map<number, number>();

  private constructor(
    readonly zk: ZooKeeperServer,
    private readonly options: ClusterOptions,
  ) {}

  static async start(options: ClusterOptions): Promise<ThreeBrokerCluster> {
    const zk = await startZooKeeper();
    const cluster = new ThreeBrokerCluster(zk, options);
    try {
      await Promise.all(BROKER_IDS.map((id) => cluster.startBroker(id)));
      await waitFor('three live brokers and a controller, seen by all', async () => (await Promise.all(cluster.livePorts().map((p) => metadataFrom(p, null).catch(() => null)))).every((v) => v !== null && v.brokers.size === 3 && v.controllerId > 0), { timeoutMs: 30_000, intervalMs: 100 });
    } catch (err) {
      await cluster.close();
      throw err;
    }
    return cluster;
  }

  get connect(): string {
    return `${this.zk.connect}${this.options.chroot}`;
  }

  /** Ports of the brokers started by the test and not killed (for metadata and bootstrap). */
  livePorts(): number[] {
    return [...this.brokers.values()].filter((b) => b.child.exitCode === null && b.child.signalCode === null).map((b) => b.port);
  }

  /** Every port a broker of the test ever listened on (a killed one refuses connections; clients try the next). */
  allPorts(): number[] {
    return [...this.ports.values()];
  }

  dataDir(id: number): string {
    const dir = this.dataDirs.get(id);
    if (dir === undefined) throw new Error(`broker ${id} was never started`);
    return dir;
  }

  async startBroker(id: number): Promise<BrokerProcess> {
    const dataDir = this.dataDirs.get(id) ?? tempDir(`tidelog-failover-${id}-`);
    this.dataDirs.set(id, dataDir);
    const port = this.ports.get(id);
    const b = await startBrokerProcess({
      dataDir,
      ...(port === undefined ? {} : { port }),
      overrides: { 'broker.id': id, 'zookeeper.connect': this.connect, 'admin.listener': '', ...this.options.overrides },
    });
    this.ports.set(id, b.port);
    this.brokers.set(id, b);
    return b;
  }

  /** SIGKILL; resolves with the time the signal was sent (Date.now()). */
  async kill(id: number): Promise<number> {
    const b = this.brokers.get(id);
    if (!b) throw new Error(`broker ${id} is not running`);
    const killedAtMs = Date.now();
    await b.kill();
    return killedAtMs;
  }

  /**
   * Starts a killed broker again on its port and data directory. Kafka's (and Tidelog's)
   * broker fails start-up while its old session's ephemeral /brokers/ids/<id> exists, so
   * wait until the survivors no longer list it, and try again on that error.
   */
  async restartBroker(id: number): Promise<BrokerProcess> {
    await waitFor(`broker ${id} gone from the survivors' metadata (its session expired)`, async () => {
      const views = await Promise.all(this.livePorts().map((p) => metadataFrom(p, null).catch(() => null)));
      return views.some((v) => v !== null && !v.brokers.has(id));
    }, { timeoutMs: 30_000, intervalMs: 100 });
    let lastError: Error | null = null;
    for (let attempt = 0; attempt < RESTART_ATTEMPTS_MAX; attempt++) {
      try {
        return await this.startBroker(id);
      } catch (err) {
        lastError = err as Error;
        if (!/node already exists/.test(lastError.message)) throw lastError;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    throw lastError ?? new Error(`broker ${id} did not restart`);
  }

  /** Metadata from the first live broker that answers. */
  async metadata(topic: string | null): Promise<MetadataView> {
    let last: unknown = null;
    for (const port of this.livePorts()) {
      try {
        return await metadataFrom(port, topic);
      } catch (err) {
        last = err;
      }
    }
    throw new Error(`no live broker answered Metadata: ${String(last)}`);
  }

  /** Metadata from every live broker (they learn from ZooKeeper watches at slightly different times). */
  async metadataFromAll(topic: string | null): Promise<MetadataView[]> {
    return Promise.all(this.livePorts().map((p) => metadataFrom(p, topic)));
  }

  /** CreateTopics v5 through a live broker; throws on an error code. */
  async createTopic(name: string, partitions: number, replicationFactor: number, configs: Record<string, string>): Promise<void> {
    const port = this.livePorts()[0]!;
    // Placement uses the brokers this broker has seen register (a watch, a moment after ZooKeeper has them).
    await waitFor('the creating broker sees all three brokers', async () => (await metadataFrom(port, null).catch(() => null))?.brokers.size === 3, { timeoutMs: 30_000, intervalMs: 100 });
    const r = await requestOnce(port, ApiKey.CreateTopics, 5, { topics: [{ name, numPartitions: partitions, replicationFactor, assignments: [], configs: Object.entries(configs).map(([k, value]) => ({ name: k, value })) }], timeoutMs: 10_000, validateOnly: false }, `CreateTopics ${name}`);
    const t = r.topics[0]!;
    if (t.errorCode !== ErrorCode.NONE) throw new Error(`CreateTopics ${name}: error ${t.errorCode} ${t.errorMessage ?? ''}`);
    await waitFor(`topic ${name} online with a full ISR on every broker`, async () => {
      const views = await this.metadataFromAll(name).catch(() => null);
      return views !== null && views.every((v) => v.partitions.length === partitions && v.partitions.every((p) => p.errorCode === ErrorCode.NONE && p.leader > 0 && p.isr.length === replicationFactor));
    }, { timeoutMs: 30_000, intervalMs: 100 });
  }

  /** Waits until every live broker reports an ISR of all three replicas for every partition of the topic. */
  async waitForFullIsr(topic: string, timeoutMs: number): Promise<void> {
    await waitFor(`ISR [1,2,3] for every partition of ${topic}, seen by all three brokers`, async () => {
      const views = await this.metadataFromAll(topic).catch(() => null);
      return views !== null && views.length === 3 && views.every((v) => v.partitions.length > 0 && v.partitions.every((p) => p.errorCode === ErrorCode.NONE && p.isr.join() === '1,2,3'));
    }, { timeoutMs: timeoutMs, intervalMs: 100 });
  }

  async close(): Promise<void> {
    for (const b of this.brokers.values()) if (b.child.exitCode === null && b.child.signalCode === null) await b.kill();
    for (const dir of this.dataDirs.values()) removeDir(dir);
    await this.zk.close();
  }
}
