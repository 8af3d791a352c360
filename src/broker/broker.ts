// Broker: the object that owns everything of one broker process: configuration, metadata
// store, log manager, topics, the replica manager, the socket server and the request router.
// Start-up opens (and if needed recovers) every log before the listeners accept clients;
// shutdown stops accepting, finishes in-flight requests, then flushes and closes the logs.
import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import type { Listener } from '../config/listeners.js';
import { LocalMetadataStore } from '../cluster/local-metadata-store.js';
import type { MetadataStore } from '../cluster/metadata-store.js';
// The ZooKeeper client and the admin server (fastify, Swagger UI) are loaded only when
// configured, after the Kafka listeners: importing them costs ~60 ms and ~350 ms of start-up.
import type { ZkCluster } from '../cluster/zk-cluster.js';
import type { ReplicationManager } from '../replication/replication-manager.js';
import { LogManager } from '../log/log-manager.js';
import { SocketServer, type BoundListener } from '../server/socket-server.js';
import { ReplicaManager } from './replica-manager.js';
import { RequestRouter } from './request-router.js';
import { TopicService, type TopicResult } from './topic-service.js';
import { ProducerIdManager } from '../txn/producer-id-manager.js';
import { GroupCoordinator } from '../groups/group-coordinator.js';
import type { AdminServer } from '../admin/server.js';
import { BrokerMetrics } from '../admin/metrics.js';

/** Response bytes pending on one connection before the broker stops reading from it. */
const PENDING_RESPONSE_MAX_BYTES = 64 * 1024 * 1024;

export class Broker {
  readonly startedAtMs = Date.now();
  readonly producerIds: ProducerIdManager;
  private socketServer!: SocketServer;
  private stopped = false;
  /** The classic consumer-group coordinator; constructed and loaded in start(). */
  groups!: GroupCoordinator;
  /** Prometheus metrics (the router times every request here); served by the admin API. */
  readonly metrics: BrokerMetrics = new BrokerMetrics(this);
  /** The HTTP admin API (admin.listener), or null when disabled. */
  private admin: AdminServer | null = null;
  /** Membership, controller election and metadata in ZooKeeper; null on a single node (no zookeeper.connect). */
  cluster: ZkCluster | null = null;
  /** Replica fetchers and the ISR of the partitions this broker leads; null on a single node. */
  replication: ReplicationManager | null = null;

  private constructor(
    readonly config: BrokerConfig,
    readonly logger: Logger,
    readonly metadata: MetadataStore,
    readonly logs: LogManager,
    readonly topics: TopicService,
    readonly replicas: ReplicaManager,
  ) {
    this.producerIds = new ProducerIdManager(metadata);
  }

  get brokerId(): number {
    return this.config.brokerId;
  }

  get clusterId(): string {
    return this.metadata.clusterId;
  }

  static async start(config: BrokerConfig, logger: Logger): Promise<Broker> {
    for (const dir of config.logDirs) mkdirSync(dir, { recursive: true });
    const logs = new LogManager(config, logger);
    const cluster = config.values['zookeeper.connect'] ? await (await import('../cluster/zk-cluster.js')).ZkCluster.connect(config, logger) : null;
    const metadata = cluster ? cluster.metadata : new LocalMetadataStore(config.logDirs, config.brokerId, config.values['cluster.id']);
    const topics = new TopicService(config, metadata, logs, logger, cluster);
    const started = performance.now();
    await topics.loadAll();
    logs.startup();
    const broker = new Broker(config, logger, metadata, logs, topics, new ReplicaManager(topics, logger));
    broker.cluster = cluster;
    if (cluster) {
      const { ReplicationManager } = await import('../replication/replication-manager.js');
      broker.replication = new ReplicationManager(config, topics, broker.replicas, cluster, logger);
      broker.replication.start();
    }
    broker.groups = GroupCoordinator.forBroker(broker);
    await broker.groups.startup();
    const router = new RequestRouter(broker);
    broker.socketServer = new SocketServer(
      config.listeners,
      router,
      {
        requestMaxBytes: config.values['socket.request.max.bytes'],
        queuedMaxRequests: config.values['queued.max.requests'],
        pendingResponseMaxBytes: PENDING_RESPONSE_MAX_BYTES,
        idleMs: config.values['connections.max.idle.ms'],
        sendBufferBytes: config.values['socket.send.buffer.bytes'],
        receiveBufferBytes: config.values['socket.receive.buffer.bytes'],
      },
      logger,
    );
    await broker.socketServer.start();
    if (cluster) {
      // Registered once the listeners are bound, with their real ports (Kafka's order).
      try {
        await cluster.start(() => broker.advertisedListeners());
      } catch (err) {
        await broker.shutdown();
        throw err;
      }
    }
    const adminListener = config.values['admin.listener'];
    if (adminListener) {
      try {
        const { AdminServer } = await import('../admin/server.js');
        broker.admin = await AdminServer.start(broker, adminListener, logger);
      } catch (err) {
        await broker.shutdown();
        throw err;
      }
    }
    logger.info({ brokerId: config.brokerId, clusterId: metadata.clusterId, topics: metadata.listTopics().length, logsOpenMs: Math.round(performance.now() - started) }, 'broker started');
    return broker;
  }

  /** The listeners clients are told about, with ephemeral ports resolved to the bound ones. */
  advertisedListeners(): Listener[] {
    const bound = this.socketServer.bound;
    return this.config.advertisedListeners.map((l) => {
      const b = bound.find((x) => x.name === l.name);
      const port = l.port === 0 && b ? b.boundPort : l.port;
      const host = l.host === '' || l.host === '0.0.0.0' ? (b && b.host !== '' && b.host !== '0.0.0.0' ? b.host : '127.0.0.1') : l.host;
      return { ...l, host, port };
    });
  }

  /** The advertised endpoint for the listener a request arrived on. */
  endpointFor(listenerName: string): Listener {
    const all = this.advertisedListeners();
    return all.find((l) => l.name === listenerName) ?? all[0]!;
  }

  /** The controller's id: this broker on a single node, -1 in a cluster while there is none. */
  get controllerId(): number {
    return this.cluster ? this.cluster.controllerId : this.brokerId;
  }

  liveBrokerIds(): number[] {
    return this.cluster ? this.cluster.metadata.liveBrokers().map((b) => b.id) : [this.brokerId];
  }

  /** The live brokers with their endpoint on one listener (those without that listener are left out, as Kafka does). */
  liveBrokers(listenerName: string): { id: number; host: string; port: number; rack: string | null }[] {
    if (!this.cluster) {
      const endpoint = this.endpointFor(listenerName);
      return [{ id: this.brokerId, host: endpoint.host, port: endpoint.port, rack: this.config.values['broker.rack'] }];
    }
    return this.cluster.metadata.liveBrokers().flatMap((b) => {
      const e = b.endpoints.find((x) => x.listenerName === listenerName);
      return e ? [{ id: b.id, host: e.host, port: e.port, rack: b.rack }] : [];
    });
  }

  get boundListeners(): readonly BoundListener[] {
    return this.socketServer.bound;
  }

  get connectionCount(): number {
    return this.socketServer?.connectionCount ?? 0;
  }

  /** http://host:port of the admin API, or null when admin.listener is empty. */
  get adminUrl(): string | null {
    return this.admin?.url ?? null;
  }

  /**
   * Deletes a topic (DeleteTopics, the admin API): its logs, then its committed offsets in
   * every group, as Kafka's handleDeletedPartitions does.
   */
  async deleteTopic(name: string): Promise<TopicResult> {
    const result = await this.topics.deleteTopic(name);
    if (result.errorCode === 0) await this.groups.onTopicDeleted(name);
    return result;
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // The admin API goes first: it reads the subsystems that stop below.
    await this.admin?.close();
    // The replica fetchers stop before the controlled shutdown (Kafka's StopReplica to a
    // stopping broker): a follower that kept catching up would be taken back into the ISR by
    // its leader right after the controller removed it.
    await this.replication?.stop();
    // Then the cluster, while the listeners still answer: a controlled shutdown first moves the
    // leadership of this broker's partitions (clients in flight get NOT_LEADER_OR_FOLLOWER and
    // find the new leader), then the controller role moves at once, not after the session timeout.
    await this.cluster?.stop();
    await this.socketServer.shutdown();
    // As Kafka: requests stop first, then the coordinator (timers, parked requests, appends in flight).
    await this.groups.shutdown();
    this.logs.shutdown();
  }
}
