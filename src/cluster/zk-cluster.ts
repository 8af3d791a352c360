// ZkCluster: a broker's part in a ZooKeeper cluster (zookeeper.connect set), wiring the
// pieces together in Kafka's start-up order: connect (chroot created if missing), Kafka's
// top-level paths and /cluster/id, the metadata copy (ZkMetadataStore) before the logs open;
// then, once the listeners are bound, the broker registration and the controller election.
// Shutdown goes the other way: the controller resigns (another broker takes over at once),
// the registration is removed, the session closes.
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import type { Listener } from '../config/listeners.js';
import { BrokerRegistration } from './broker-registration.js';
import { ClusterController } from './controller.js';
import { ControllerElection } from './controller-election.js';
import type { PartitionAssignment } from './metadata-store.js';
import { assignReplicasToBrokers, type AssignmentResult } from './replica-assignment.js';
import { ZkClient } from './zk-client.js';
import { ZkMetadataStore } from './zk-metadata-store.js';

export class ZkCluster {
  private registration: BrokerRegistration | null = null;
  private election: ControllerElection | null = null;
  readonly controller: ClusterController;

  private constructor(
    readonly zk: ZkClient,
    readonly metadata: ZkMetadataStore,
    private readonly config: BrokerConfig,
    private readonly logger: Logger,
  ) {
    this.controller = new ClusterController(zk, metadata, logger);
  }

  static async connect(config: BrokerConfig, logger: Logger): Promise<ZkCluster> {
    const v = config.values;
    if (config.brokerId < 0) throw new Error(`broker.id must be set (0 or more) with zookeeper.connect; got ${config.brokerId}`);
    const zk = await ZkClient.connect({
      connect: v['zookeeper.connect']!,
      sessionTimeoutMs: v['zookeeper.session.timeout.ms'],
      connectionTimeoutMs: v['zookeeper.connection.timeout.ms'],
      logger,
    });
    try {
      const metadata = await ZkMetadataStore.start(zk, config.brokerId, v['cluster.id'], logger);
      logger.info({ zookeeper: v['zookeeper.connect'], sessionId: zk.sessionId, clusterId: metadata.clusterId, topics: metadata.listTopics().length }, 'connected to ZooKeeper');
      return new ZkCluster(zk, metadata, config, logger);
    } catch (err) {
      zk.close();
      throw err;
    }
  }

  /** Registers the broker (its bound endpoints) and joins the controller election. */
  async start(endpoints: () => Listener[]): Promise<void> {
    this.registration = new BrokerRegistration(this.zk, this.config.brokerId, endpoints, this.config.values['broker.rack'], this.logger);
    await this.registration.register();
    this.election = new ControllerElection(this.zk, this.config.brokerId, this.controller, this.logger);
    await this.election.start();
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
    try {
      await this.election?.stop();
      await this.registration?.deregister();
    } catch (err) {
      this.logger.warn({ err }, 'could not leave the cluster cleanly; the session timeout will');
    } finally {
      this.metadata.close();
      this.zk.close();
    }
  }
}
