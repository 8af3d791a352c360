// ZkCluster: a broker's part in a ZooKeeper cluster (zookeeper.connect set), wiring the
// pieces together in Kafka's start-up order: connect (chroot created if missing), Kafka's
// top-level paths and /cluster/id, the metadata copy (ZkMetadataStore) before the logs open;
// then, once the listeners are bound, the broker registration and the controller election.
// Shutdown goes the other way. With controlled.shutdown.enable (Kafka's default) it starts with
// a controlled shutdown: the registration goes first, so the controller (this broker or
// another) moves leadership of the partitions this broker leads to other ISR members and
// removes it from the ISR of the rest, as for a dead broker; stop() waits until ZooKeeper
// shows that done (bounded by controlled.shutdown.max.retries * .retry.backoff.ms) while the
// listeners still answer (NOT_LEADER_OR_FOLLOWER once leadership moved). Then the controller
// resigns (another broker takes over at once) and the session closes.
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import type { Listener } from '../config/listeners.js';
import { BrokerFencing } from './broker-fencing.js';
import { BrokerRegistration } from './broker-registration.js';
import { ClusterController } from './controller.js';
import { ControllerElection } from './controller-election.js';
import type { PartitionAssignment } from './metadata-store.js';
import { assignReplicasToBrokers, type AssignmentResult } from './replica-assignment.js';
import { ZkClient } from './zk-client.js';
import { ZkMetadataStore } from './zk-metadata-store.js';
import { ConfigThrottles } from './replication-throttle.js';

/** How often a controlled shutdown looks at the watched partition states. */
const CONTROLLED_SHUTDOWN_POLL_MS = 50;

/** How often a broker waiting for ZooKeeper at start-up says so. */
const ZK_WAITING_NOTICE_MS = 3000;

export class ZkCluster {
  private registration: BrokerRegistration | null = null;
  /** Set once /brokers/ids/<id> was created: a broker refused at registration has nothing to hand over. */
  private registered = false;
  private election: ControllerElection | null = null;
  /** Removes the registration of a broker whose listener refuses connections (broker.fencing.enable). */
  private fencing: BrokerFencing | null = null;
  readonly controller: ClusterController;
  /** The replication throttle rates (dynamic broker configs, kept current in the configuration). */
  readonly throttles: ConfigThrottles;

  private constructor(
    readonly zk: ZkClient,
    readonly metadata: ZkMetadataStore,
    private readonly config: BrokerConfig,
    private readonly logger: Logger,
  ) {
    this.controller = new ClusterController(zk, metadata, config, logger);
    this.throttles = new ConfigThrottles(config);
  }

  static async connect(config: BrokerConfig, logger: Logger): Promise<ZkCluster> {
    const v = config.values;
    if (config.brokerId < 0) throw new Error(`broker.id must be set (0 or more) with zookeeper.connect; got ${config.brokerId}`);
    // An unreachable ZooKeeper is said within seconds and every few seconds after, until
    // zookeeper.connection.timeout.ms ends the wait (Kafka only says so at the end).
    const startedMs = Date.now();
    const waiting = setInterval(() => {
      logger.warn({ zookeeper: v['zookeeper.connect'], waitedMs: Date.now() - startedMs, timeoutMs: v['zookeeper.connection.timeout.ms'] }, 'ZooKeeper not reachable yet; still trying');
    }, ZK_WAITING_NOTICE_MS);
    let zk: ZkClient;
    try {
      zk = await ZkClient.connect({
        connect: v['zookeeper.connect']!,
        sessionTimeoutMs: v['zookeeper.session.timeout.ms'],
        connectionTimeoutMs: v['zookeeper.connection.timeout.ms'],
        logger,
      });
    } finally {
      clearInterval(waiting);
    }
    try {
      const metadata = await ZkMetadataStore.start(zk, config.brokerId, v['cluster.id'], logger);
      logger.info({ zookeeper: v['zookeeper.connect'], sessionId: zk.sessionId, clusterId: metadata.clusterId, topics: metadata.listTopics().length }, 'connected to ZooKeeper');
      return new ZkCluster(zk, metadata, config, logger);
    } catch (err) {
      zk.close();
      throw err;
    }
  }

  /**
   * Registers the broker (its bound endpoints), joins the controller election, and starts
   * watching the other brokers' inter-broker listeners (`interBrokerListener`) for fencing.
   */
  async start(endpoints: () => Listener[], interBrokerListener: string): Promise<void> {
    this.registration = new BrokerRegistration(this.zk, this.config.brokerId, endpoints, this.config.values['broker.rack'], this.logger);
    await this.registration.register();
    this.registered = true;
    this.election = new ControllerElection(this.zk, this.config.brokerId, this.controller, this.logger);
    await this.election.start();
    if (this.config.values['broker.fencing.enable']) {
      this.fencing = new BrokerFencing(this.zk, this.metadata, this.config.brokerId, interBrokerListener, this.logger);
      this.fencing.start();
    }
  }

  /** Times another broker fenced this one while it lived (its registration removed, then made again). */
  get timesFenced(): number {
    return this.registration?.fencedCount ?? 0;
  }

  /** Brokers this broker fenced (broker.fencing.enable), oldest first. */
  get fencedBrokers(): readonly { brokerId: number; atMs: number }[] {
    return this.fencing?.fenced ?? [];
  }

  /** The controller's broker id; -1 while there is none. */
  get controllerId(): number {
    return this.election?.controllerId ?? -1;
  }

  /**
   * Replica placement for new partitions over the live brokers (Kafka's AdminUtils). When
   * partitions are added, the start continues from the existing partition 0's first replica.
   */
  assignReplicas(count: number, replicationFactor: number, startPartitionId: number, existing?: readonly PartitionAssignment[]): AssignmentResult {
    const brokers = this.metadata.liveBrokers().map((b) => ({ id: b.id, rack: b.rack }));
    let fixedStartIndex = -1;
    const first = existing?.find((a) => a.partition === 0)?.replicas[0];
    if (first !== undefined) fixedStartIndex = Math.max(0, brokers.findIndex((b) => b.id >= first));
    return assignReplicasToBrokers(brokers, count, replicationFactor, { startPartitionId, fixedStartIndex });
  }

  async stop(): Promise<void> {
    // This broker's own listeners close after this; it must not take part in fencing then.
    this.fencing?.stop();
    try {
      if (this.registration && this.registered && this.config.values['controlled.shutdown.enable']) await this.controlledShutdown(this.registration);
      await this.election?.stop();
      await this.registration?.deregister();
    } catch (err) {
      this.logger.warn({ err }, 'could not leave the cluster cleanly; the session timeout will');
    } finally {
      this.metadata.close();
      this.zk.close();
    }
  }

  /**
   * Kafka's controlled shutdown, through ZooKeeper instead of the ControlledShutdown RPC: this
   * broker leaves /brokers/ids, the controller treats it as gone, and this waits until no
   * partition state names it leader, nor keeps it in the ISR of a partition that has a leader
   * (an offline partition keeps its last ISR, this broker included, so that it can come back).
   * Partitions with no other ISR member go offline, as Kafka's do once the broker stops.
   */
  private async controlledShutdown(registration: BrokerRegistration): Promise<void> {
    const id = this.config.brokerId;
    const v = this.config.values;
    const waitMs = Math.max(1, v['controlled.shutdown.max.retries']) * v['controlled.shutdown.retry.backoff.ms'];
    const started = Date.now();
    this.logger.info({ brokerId: id }, 'controlled shutdown: leaving /brokers/ids so that the controller moves leadership');
    await registration.deregister();
    const remaining = () => this.partitionsHeldBy(id);
    while (remaining().length > 0 && Date.now() - started < waitMs) await new Promise((r) => setTimeout(r, CONTROLLED_SHUTDOWN_POLL_MS));
    const left = remaining();
    if (left.length > 0) this.logger.warn({ brokerId: id, partitions: left.slice(0, 20), count: left.length, waitedMs: Date.now() - started }, 'controlled shutdown: leadership did not move in time; stopping anyway');
    else this.logger.info({ brokerId: id, tookMs: Date.now() - started }, 'controlled shutdown: no partition led by this broker');
  }

  /** Partitions (as "topic-partition") this broker still leads, or is in the ISR of while another broker leads. */
  private partitionsHeldBy(id: number): string[] {
    const out: string[] = [];
    for (const t of this.metadata.listTopics()) {
      for (const a of t.partitions) {
        const s = this.metadata.partitionState(t.name, a.partition);
        if (s && (s.leader === id || (s.leader !== -1 && s.isr.includes(id)))) out.push(`${t.name}-${a.partition}`);
      }
    }
    return out;
  }
}
