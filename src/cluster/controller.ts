// ClusterController: what the elected controller does, after Kafka's KafkaController (ZooKeeper
// mode). This first layer: partition state for new partitions (Kafka's
// PartitionStateMachine NewPartition -> OnlinePartition: leader = the first live replica of
// the assignment, ISR = the live replicas, leader epoch 0), written only if the controller
// epoch is still ours (a multi that checks /controller_epoch's version, so a deposed
// controller writes nothing); partitions without a live replica wait for one to join; and
// topic deletion requested in /admin/delete_topics. Work runs one event at a time, as
// Kafka's ControllerEventManager. Leader election on broker loss is the next layer (README).
import type { Logger } from 'pino';
import type { MetadataChange, TopicMetadata } from './metadata-store.js';
import type { ControllerContext, ControllerListener } from './controller-election.js';
import { isZkError, type Subscription, type ZkClient } from './zk-client.js';
import type { ZkMetadataStore } from './zk-metadata-store.js';
import { encodeLeaderAndIsr, ZkPaths } from './zk-data.js';

export class ClusterController implements ControllerListener {
  private context: ControllerContext | null = null;
  private deletions: Subscription | null = null;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly zk: ZkClient,
    private readonly store: ZkMetadataStore,
    private readonly logger: Logger,
  ) {
    store.onChange((change) => this.onMetadataChange(change));
  }

  get active(): boolean {
    return this.context !== null;
  }

  /** Runs controller work one event at a time; an event of a superseded term does nothing. */
  private enqueue(what: string, work: (ctx: ControllerContext) => Promise<void>): Promise<void> {
    const ctx = this.context;
    if (!ctx) return Promise.resolve();
    this.queue = this.queue.then(async () => {
      if (this.context !== ctx) return;
      try {
        await work(ctx);
      } catch (err) {
        this.logger.error({ err, event: what }, 'controller event failed');
      }
    });
    return this.queue;
  }

  async onBecomeController(ctx: ControllerContext): Promise<void> {
    this.context = ctx;
    await this.enqueue('failover', async (c) => {
      for (const t of this.store.listTopics()) await this.initPartitions(c, t);
    });
    this.deletions = this.zk.watchChildren(ZkPaths.deleteTopics, (names) => {
      for (const name of names ?? []) void this.enqueue('deleteTopic', () => this.deleteTopic(name));
    });
    await this.deletions.ready;
  }

  onResign(): void {
    this.context = null;
    this.deletions?.close();
    this.deletions = null;
  }

  private onMetadataChange(change: MetadataChange): void {
    if (!this.context) return;
    if (change.kind === 'topic') {
      void this.enqueue('topicChange', async (c) => {
        const t = this.store.getTopic(change.name);
        if (t) await this.initPartitions(c, t);
      });
    } else if (change.kind === 'brokers') {
      // A broker joined: partitions that had no live replica can get a leader now.
      void this.enqueue('brokerChange', async (c) => {
        for (const t of this.store.listTopics()) await this.initPartitions(c, t);
      });
    }
  }

  /** New partitions get their first leader and ISR. */
  private async initPartitions(ctx: ControllerContext, t: TopicMetadata): Promise<void> {
    const live = new Set(this.store.liveBrokers().map((b) => b.id));
    for (const a of t.partitions) {
      if (this.store.partitionState(t.name, a.partition)) continue;
      const liveReplicas = a.replicas.filter((r) => live.has(r));
      if (liveReplicas.length === 0) {
        this.logger.warn({ topic: t.name, partition: a.partition, replicas: a.replicas }, 'no live replica: the partition stays offline until one joins');
        continue;
      }
      const state = { leader: liveReplicas[0]!, leaderEpoch: 0, isr: liveReplicas, controllerEpoch: ctx.epoch };
      await this.zk.mkdirp(ZkPaths.topicPartition(t.name, a.partition));
      try {
        await this.zk.multi([
          { op: 'check', path: ZkPaths.controllerEpoch, version: ctx.epochZkVersion },
          { op: 'create', path: ZkPaths.partitionState(t.name, a.partition), data: encodeLeaderAndIsr(state), mode: 'persistent' },
        ]);
        this.logger.info({ topic: t.name, partition: a.partition, leader: state.leader, isr: state.isr }, 'partition online');
      } catch (err) {
        if (isZkError(err, 'NODE_EXISTS')) continue;
        if (isZkError(err, 'BAD_VERSION')) {
          this.logger.warn({ controllerEpoch: ctx.epoch }, 'controller epoch moved on: this broker is no longer the controller');
          return;
        }
        throw err;
      }
    }
  }

  /** Kafka's TopicDeletionManager, without waiting for replicas: the brokers drop their logs when the topic leaves ZooKeeper. */
  private async deleteTopic(name: string): Promise<void> {
    await this.zk.deleteRecursive(ZkPaths.topic(name));
    try {
      await this.zk.delete(ZkPaths.topicConfig(name));
    } catch (err) {
      if (!isZkError(err, 'NO_NODE')) throw err;
    }
    try {
      await this.zk.delete(ZkPaths.deleteTopic(name));
    } catch (err) {
      if (!isZkError(err, 'NO_NODE')) throw err;
    }
    this.logger.info({ topic: name }, 'deleted topic');
  }
}
