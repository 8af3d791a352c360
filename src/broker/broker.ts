// Broker: the object that owns everything of one broker process: configuration, metadata
// store, log manager, topics, the replica manager, the socket server and the request router.
// Start-up opens (and if needed recovers) every log before the listeners accept clients;
// shutdown stops accepting, finishes in-flight requests, then flushes and closes the logs.
import { performance as nodePerformance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import type { Listener } from '../config/listeners.js';
import { LocalMetadataStore } from '../cluster/local-metadata-store.js';
import { LocalBrokerConfigStore } from '../cluster/broker-config-store.js';
import { DynamicBrokerConfig } from '../config/dynamic-broker-config.js';
import { checkListenerStores, listenerSslSettings } from '../security/tls/listener-tls.js';
import type { MetadataStore } from '../cluster/metadata-store.js';
// The ZooKeeper client and the admin server (fastify, Swagger UI) are loaded only when
// configured, after the Kafka listeners: importing them costs ~60 ms and ~350 ms of start-up.
import type { ZkCluster } from '../cluster/zk-cluster.js';
import type { ReplicationManager } from '../replication/replication-manager.js';
import { LogManager } from '../partition/log-manager.js';
import { LogDirLocks } from '../partition/log-dir-lock.js';
import { SocketServer, type BoundListener, type LimitStats } from '../server/socket-server.js';
import { ReplicaManager } from '../partition/replica-manager.js';
import { RequestRouter } from './request-router.js';
import { TopicService, type TopicResult } from '../partition/topic-service.js';
import { ProducerIdManager } from '../txn/producer-id-manager.js';
import { GroupCoordinator } from '../groups/group-coordinator.js';
import { GROUP_METADATA_TOPIC_NAME } from '../groups/offsets-topic.js';
import { ShareService } from '../share/share-service.js';
import { GroupConfigs } from '../config/group-configs.js';
import { consumerGroupSettings } from '../config/group-config.js';
import { LocalGroupConfigStore } from '../cluster/group-config-store.js';
import { TransactionCoordinator } from '../txn/transaction-coordinator.js';
import type { LazyAdminServer } from '../admin/lazy-admin-server.js';
import { BrokerMetrics } from '../metrics/broker-metrics.js';
import { SingleNodeClusterView, ZkClusterView, type ClusterView } from '../cluster/cluster-view.js';
import { interBrokerListenerName } from '../security/inter-broker.js';
import type { BrokerServices } from '../services/broker-services.js';
import { FetchSessionCache } from '../partition/fetch-sessions.js';
import { AclAuthorizer } from '../security/acl/authorizer.js';
import { LocalAclStore } from '../security/acl/local-acl-store.js';
import { parseSuperUsers } from '../config/authorizer-keys.js';
import { SaslAuthenticator } from '../security/sasl/sasl-authenticator.js';
import { saslSettingsOf } from '../security/sasl/sasl-settings.js';
import { ScramCredentialStore, verifyScramPassword } from '../security/sasl/credential-store.js';

/**
 * Response bytes waiting for the peer to read them on one connection before the broker stops
 * reading its requests. Kafka reads a connection's next request only once the previous
 * response is sent; we let a connection pipeline (queued.max.requests) but keep what a
 * client that does not read can pin small. Record bytes of fetches go out with sendfile and
 * are not buffered, so this bounds headers and small responses only.
 */
export const PENDING_RESPONSE_MAX_BYTES = 1024 * 1024;
/**
 * Where start-up went: ms since the process started (performance.now()) at Node's bootstrap
 * end and at each `tidelog:` mark (main.ts, broker-command.ts, Broker.open), for the
 * 'broker started' line and bench/startup.ts.
 */
function startupMarks(): Record<string, number> {
  const out: Record<string, number> = { nodeBootstrap: Math.round(nodePerformance.nodeTiming.bootstrapComplete) };
  for (const m of performance.getEntriesByType('mark')) if (m.name.startsWith('tidelog:')) out[m.name.slice(8)] = Math.round(m.startTime);
  return out;
}

/** After taking a partition's leadership, the followers' parked fetches are answered again this much later (see Broker.open). */
const LEADER_WAKE_AGAIN_MS = 50;

export class Broker {
  readonly startedAtMs = Date.now();
  readonly producerIds: ProducerIdManager;
  private socketServer!: SocketServer;
  /** Start-up's log loading, settled (success or failure): shutdown waits for it. */
  private loading: Promise<void> = Promise.resolve();
  private stopped = false;
  /** The locks on the log dirs, released once the logs are closed. */
  private dirLocks: LogDirLocks | null = null;
  /** The classic consumer-group coordinator; constructed and loaded in start(). */
  groups!: GroupCoordinator;
  share!: ShareService;
  /** The transaction coordinator; constructed and loaded in start(), after the group coordinator. */
  transactions!: TransactionCoordinator;
  /** Prometheus metrics (the router times every request here); served by the admin API. */
  readonly metrics: BrokerMetrics = new BrokerMetrics(this);
  /** The HTTP admin API (admin.listener), or null when disabled. */
  private admin: LazyAdminServer | null = null;
  /** Membership, controller election and metadata in ZooKeeper; null on a single node (no zookeeper.connect). */
  private cluster: ZkCluster | null = null;
  /** Replica fetchers and the ISR of the partitions this broker leads; null on a single node. */
  private replication: ReplicationManager | null = null;
  /** Who is in the cluster, for both front ends and the group coordinator. */
  readonly clusterView: ClusterView;
  /** Incremental fetch sessions (KIP-227). */
  readonly fetchSessions: FetchSessionCache;
  /** What handlers and the admin API see of this broker; built once in open(). */
  services!: BrokerServices;
  /** The ACL authorizer (authorizer.class.name), or null: every request allowed. */
  authorizer: AclAuthorizer | null = null;
  /** SASL sessions and the SCRAM credentials (security/sasl). */
  sasl!: SaslAuthenticator;
  private closeUserConfigs: (() => void) | null = null;
  private closeGroupConfigs: () => void = () => {};
  /** Dynamic broker configs; loaded in open() before the logs. */
  dynamicConfig!: DynamicBrokerConfig;

  private constructor(
    readonly config: BrokerConfig,
    readonly logger: Logger,
    readonly metadata: MetadataStore,
    readonly logs: LogManager,
    readonly topics: TopicService,
    readonly replicas: ReplicaManager,
    cluster: ZkCluster | null,
  ) {
    this.producerIds = new ProducerIdManager(metadata);
    this.fetchSessions = new FetchSessionCache(config.values['max.incremental.fetch.session.cache.slots']);
    this.cluster = cluster;
    this.clusterView = cluster ? new ZkClusterView(cluster) : new SingleNodeClusterView(config.brokerId, config.values['broker.rack'], () => this.advertisedListeners(), config);
  }

  get brokerId(): number {
    return this.config.brokerId;
  }

  get clusterId(): string {
    return this.metadata.clusterId;
  }

  /**
   * Locks every log dir (a second broker on the same dirs is refused before it reads or
   * writes anything there), then opens the broker; a failed start releases the locks.
   */
  static async start(config: BrokerConfig, logger: Logger): Promise<Broker> {
    const dirLocks = LogDirLocks.acquire(config.logDirs);
    try {
      return await Broker.open(config, logger, dirLocks);
    } catch (err) {
      dirLocks.release();
      throw err;
    }
  }

  private static async open(config: BrokerConfig, logger: Logger, dirLocks: LogDirLocks): Promise<Broker> {
    // Checked before anything opens: a bad SASL setting stops start-up naming its key.
    const saslSettings = saslSettingsOf(config);
    const logs = new LogManager(config, logger);
    performance.mark('tidelog:broker-open');
    const cluster = config.values['zookeeper.connect'] ? await (await import('../cluster/zk-cluster.js')).ZkCluster.connect(config, logger) : null;
    const metadata = cluster ? cluster.metadata : new LocalMetadataStore(config.logDirs, config.brokerId, config.values['cluster.id']);
    // Dynamic broker configs are applied before any log opens, so the logs start with the
    // defaults the cluster set (Kafka reads them from ZooKeeper before the LogManager starts).
    const dynamicConfig = await DynamicBrokerConfig.load(config, cluster ? new (await import('../cluster/zk-broker-config-store.js')).ZkBrokerConfigStore(cluster.zk, logger) : new LocalBrokerConfigStore(metadata as LocalMetadataStore), logger);
    const topics = new TopicService(config, metadata, logs, logger, cluster);
    const started = performance.now();
    // A single node serves each partition as soon as its log is open: the listeners open once
    // the coordinators' internal topics are loaded, while the other logs still recover. In a
    // cluster, a broker registers (and can be elected leader) only with every log open.
    const loading = topics.loadAll();
    // Awaited below; a failure before then is not an unhandled rejection.
    loading.done.catch(() => {});
    await (cluster ? loading.done : loading.internalReady);
    const broker = new Broker(config, logger, metadata, logs, topics, new ReplicaManager(topics, logger, config.values['produce.purgatory.max.appends'], config.values['fetch.purgatory.max.requests']), cluster);
    broker.dirLocks = dirLocks;
    broker.dynamicConfig = dynamicConfig;
    // Topic defaults: every partition's effective config again (topics with their own override keep it).
    dynamicConfig.onReconfigure(() => topics.refreshConfigs());
    broker.loading = loading.done.catch(() => {});
    if (cluster) {
      const { ZkUserConfigs } = await import('../security/sasl/zk-user-configs.js');
      const users = await ZkUserConfigs.start(cluster.zk, logger);
      broker.closeUserConfigs = () => users.close();
      broker.sasl = new SaslAuthenticator(saslSettings, new ScramCredentialStore(users), logger);
    } else {
      const local = metadata as LocalMetadataStore;
      broker.sasl = new SaslAuthenticator(saslSettings, new ScramCredentialStore({ all: () => local.userConfigs(), write: (u, c) => local.setUserConfigs(u, c) }), logger);
    }
    if (cluster) {
      const { ReplicationManager } = await import('../replication/replication-manager.js');
      broker.replication = new ReplicationManager(config, topics, broker.replicas, cluster, logger);
      broker.replication.start();
      // Failover: a new leader answers its followers' parked fetches so that they fetch its new
      // partitions now; again a moment later for a follower that learnt of the change after it
      // (both read the same state znode within milliseconds).
      let wakeAgain: NodeJS.Timeout | null = null;
      topics.onLeadershipChange((_p, role) => {
        if (role !== 'leader') return;
        broker.replicas.wakeReplicaFetches();
        wakeAgain ??= setTimeout(() => {
          wakeAgain = null;
          broker.replicas.wakeReplicaFetches();
        }, LEADER_WAKE_AGAIN_MS);
        wakeAgain.unref();
      });
    }
    broker.groups = GroupCoordinator.forBroker({ config, logger, topics, replicas: broker.replicas, metadata, cluster: broker.clusterView });
    // Group configs (GROUP config resource), the same on every broker: ZooKeeper or the metadata file.
    const groupConfigs = await GroupConfigs.load(config, cluster ? new (await import('../cluster/zk-group-config-store.js')).ZkGroupConfigStore(cluster.zk, logger) : new LocalGroupConfigStore(metadata as LocalMetadataStore), logger);
    broker.closeGroupConfigs = () => groupConfigs.close();
    broker.groups.consumer.groupConfigOf = (groupId) => consumerGroupSettings(groupConfigs.groupConfig(groupId), config);
    broker.share = new ShareService({ config, logger, topics, replicas: broker.replicas, metadata, cluster: { clustered: broker.clusterView.clustered, liveBrokerIds: () => broker.clusterView.liveBrokers().map((b) => b.id) }, clusterView: broker.clusterView, groupConfigs, groupLog: { append: (groupId, records) => broker.groups.appendShareGroupRecords(groupId, records), partitionFor: (groupId) => broker.groups.partitionFor(groupId) } });
    // Share-group membership lives in __consumer_offsets: the share coordinator replays a partition's records when it is loaded.
    broker.groups.shareGroupsLoaded = (partition, records) => broker.share.coordinator.loadPartition(partition, records);
    broker.groups.shareGroupsUnloaded = (partition) => broker.share.coordinator.unloadPartition(partition);
    // A transaction's marker on a __consumer_offsets partition commits or drops the offsets
    // the transaction committed there (TxnOffsetCommit), once the ISR has it.
    broker.replicas.onTxnMarkerWritten = (topic, partition, producerId, commit) => {
      if (topic === GROUP_METADATA_TOPIC_NAME) broker.groups.onTxnMarkerWritten(partition, producerId, commit);
    };
    performance.mark('tidelog:logs-open');
    await broker.groups.startup();
    broker.transactions = TransactionCoordinator.forBroker({
      config,
      logger,
      topics,
      replicas: broker.replicas,
      metadata,
      cluster: broker.clusterView,
      // The markers of the partitions this broker leads are written here (ReplicaManager.writeTxnMarkers).
      markerWriter: broker.replicas,
      generateProducerId: () => broker.producerIds.generateProducerId(),
      offsetsPartitionFor: (groupId) => broker.groups.partitionFor(groupId),
    });
    await broker.transactions.startup();
    await broker.share.startup();
    if (config.values['authorizer.class.name'] !== '') {
      // ACLs from ZooKeeper (Kafka's /kafka-acl layout) in a cluster, the data dir on a single
      // node; loaded before the listeners open, so no request is ever served unauthorized.
      const store = cluster ? await (await import('../security/acl/zk-acl-store.js')).ZkAclStore.start(cluster.zk, logger) : new LocalAclStore(config.logDirs[0]!);
      broker.authorizer = await AclAuthorizer.start(store, { superUsers: parseSuperUsers(config.values['super.users']), allowEveryoneIfNoAclFound: config.values['allow.everyone.if.no.acl.found'] }, logger);
    }
    broker.services = broker.buildServices();
    const router = new RequestRouter(broker.services);
    broker.socketServer = new SocketServer(
      config.listeners,
      router,
      {
        requestMaxBytes: config.values['socket.request.max.bytes'],
        queuedMaxRequests: config.values['queued.max.requests'],
        pendingResponseMaxBytes: PENDING_RESPONSE_MAX_BYTES,
        idleMs: config.values['connections.max.idle.ms'],
        saslMaxReceiveBytes: saslSettings.maxReceiveBytes,
        sendBufferBytes: config.values['socket.send.buffer.bytes'],
        receiveBufferBytes: config.values['socket.receive.buffer.bytes'],
      },
      {
        maxConnections: config.values['max.connections'],
        maxConnectionsPerIp: config.values['max.connections.per.ip'],
        perIpOverrides: config.perIpOverrides,
        protectedListener: config.listeners.length > 1 ? interBrokerListenerName(config) : null,
        queuedMaxRequestBytes: config.values['queued.max.request.bytes'],
      },
      logger,
      config,
    );
    // Connection limits (Kafka's SocketServer reconfigurable).
    dynamicConfig.onReconfigure((c, changed) => {
      if (changed.has('max.connections') || changed.has('max.connections.per.ip') || changed.has('max.connections.per.ip.overrides')) {
        broker.socketServer.reconfigureConnectionLimits({ maxConnections: c.values['max.connections'], maxConnectionsPerIp: c.values['max.connections.per.ip'], perIpOverrides: c.perIpOverrides });
      }
    });
    // The TLS listeners' key and trust stores (listener.name.<l>.ssl.*): checked before a change
    // is stored, loaded for new connections once it is.
    dynamicConfig.addValidator((candidate) => {
      for (const l of candidate.listeners) {
        if (l.securityProtocol !== 'SSL' && l.securityProtocol !== 'SASL_SSL') continue;
        if (JSON.stringify(listenerSslSettings(candidate, l.name)) !== JSON.stringify(listenerSslSettings(config, l.name))) checkListenerStores(candidate, l);
      }
    });
    dynamicConfig.onReconfigure((_c, changed) => {
      if ([...changed].some((k) => k.startsWith('listener.name.'))) broker.socketServer.reconfigureTls();
    });
    performance.mark('tidelog:coordinators-ready');
    await broker.socketServer.start();
    performance.mark('tidelog:listening');
    const servingMs = Math.round(performance.now() - started);
    try {
      await loading.done;
    } catch (err) {
      await broker.shutdown();
      throw err;
    }
    logs.startup();
    if (cluster) {
      // Registered once the listeners are bound, with their real ports (Kafka's order).
      try {
        await cluster.start(() => broker.advertisedListeners(), interBrokerListenerName(config));
      } catch (err) {
        await broker.shutdown();
        throw err;
      }
    }
    performance.mark('tidelog:logs-startup');
    const adminListener = config.values['admin.listener'];
    if (adminListener) {
      try {
        // Bound now; its modules (fastify, routes, console) load on the first request or a
        // second after start-up, off the path of the first produce (lazy-admin-server.ts).
        const { LazyAdminServer } = await import('../admin/lazy-admin-server.js');
        // HTTP Basic on the admin API checks the SCRAM users the SASL listeners authenticate.
        broker.admin = await LazyAdminServer.start(broker.services, adminListener, logger, (user, password) => verifyScramPassword(broker.sasl.credentials, user, password));
        performance.mark('tidelog:admin-listening');
      } catch (err) {
        await broker.shutdown();
        throw err;
      }
    }
    performance.mark('tidelog:started');
    logger.info({ brokerId: config.brokerId, clusterId: metadata.clusterId, topics: metadata.listTopics().length, servingMs, logsOpenMs: Math.round(performance.now() - started), startupMs: startupMarks() }, 'broker started');
    return broker;
  }

  /** The listeners clients are told about, with ephemeral ports resolved to the bound ones. */
  advertisedListeners(): Listener[] {
    const bound = this.socketServer?.bound ?? [];
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

  private buildServices(): BrokerServices {
    const broker = this;
    return {
      config: this.config,
      dynamicConfig: this.dynamicConfig,
      logger: this.logger,
      brokerId: this.brokerId,
      get clusterId() {
        return broker.clusterId;
      },
      startedAtMs: this.startedAtMs,
      cluster: this.clusterView,
      metadata: this.metadata,
      logs: this.logs,
      topics: this.topics,
      replicas: this.replicas,
      fetchSessions: this.fetchSessions,
      groups: this.groups,
      share: this.share,
      producerIds: this.producerIds,
      transactions: this.transactions,
      metrics: this.metrics,
      authorizer: this.authorizer,
      sasl: this.sasl,
      advertisedListeners: () => this.advertisedListeners(),
      endpointFor: (listenerName) => this.endpointFor(listenerName),
      deleteTopic: (name) => this.deleteTopic(name),
      isListening: () => !this.stopped && this.socketServer.bound.length > 0,
    };
  }

  get boundListeners(): readonly BoundListener[] {
    return this.socketServer.bound;
  }

  /** The network limits reached so far (max.connections*, queued.max.*), for /metrics; null before start. */
  /** Brokers this broker fenced, and times it was fenced itself while alive (none on a single node). */
  get fencing(): { fencedBrokers: number; timesFenced: number } {
    return { fencedBrokers: this.cluster?.fencedBrokers.length ?? 0, timesFenced: this.cluster?.timesFenced ?? 0 };
  }

  /** ISR shrinks and expansions made as leader (none on a single node). */
  get isrChanges(): { shrinks: number; expands: number } {
    return this.replication?.isrChanges ?? { shrinks: 0, expands: 0 };
  }

  /** Committed offsets of the groups this broker coordinates, for the lag metric. */
  *groupOffsets(): Generator<{ group: string; topic: string; partition: number; offset: number }> {
    if (!this.groups) return;
    for (const g of this.groups.listGroups([], []).groups) {
      for (const t of this.groups.fetchOffsets(g.groupId, null, false).topics) {
        for (const p of t.partitions) yield { group: g.groupId, topic: t.topic, partition: p.partition, offset: p.offset };
      }
    }
  }

  get limitStats(): LimitStats | null {
    return this.socketServer?.limitStats ?? null;
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
    this.dynamicConfig?.close();
    this.closeGroupConfigs();
    // Then the cluster, while the listeners still answer: a controlled shutdown first moves the
    // leadership of this broker's partitions (clients in flight get NOT_LEADER_OR_FOLLOWER and
    // find the new leader), then the controller role moves at once, not after the session timeout.
    await this.cluster?.stop();
    this.closeUserConfigs?.();
    await this.socketServer.shutdown();
    // As Kafka: requests stop first, then the coordinator (timers, parked requests, appends in flight).
    await this.transactions?.shutdown();
    this.share?.shutdown();
    await this.groups.shutdown();
    // Logs still opening (a stop during start-up recovery) are closed with the others.
    await this.loading;
    await this.logs.shutdown();
    this.authorizer?.close();
    this.dirLocks?.release();
  }
}
