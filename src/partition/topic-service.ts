// TopicService: topics as the broker sees them. Creates, deletes and grows topics in the
// MetadataStore and opens their partitions through the LogManager; validates names,
// counts and configs, answering with Kafka error codes (never throwing on bad input).
// Creation is all or nothing: a topic whose logs cannot be opened is removed again.
// The mutating methods return promises: with ZooKeeper they resolve once it acknowledged the
// write; with the local store the work is done before they return. In a cluster this broker
// opens only the partitions it holds a replica of, follows the controller's leadership
// decisions (applyChange), and places replicas through a ReplicaPlacement (the live brokers).
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import { ConfigError } from '../config/config-def.js';
import { effectiveTopicConfig, validateTopicConfigs, type EffectiveTopicConfig } from '../config/topic-config.js';
import { settle, type MaybePromise, type MetadataChange, type MetadataStore, type PartitionAssignment, type TopicMetadata } from '../cluster/metadata-store.js';
import type { AssignmentResult } from '../cluster/replica-assignment.js';
import { internalTopicRefusal, invalidTopicNameReason, isInternalTopic } from '../cluster/topic-name.js';
import type { LogManager } from './log-manager.js';
import type { Partition } from './partition.js';
import type { PartitionRegistry } from './partition-registry.js';
import { ErrorCode } from '../protocol/errors.js';

export interface TopicResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly topic?: TopicMetadata;
  /** Set when the operation was refused because the topic is internal (topic-name.ts). */
  readonly internalTopic?: true;
}

/** DeleteRecords of one partition: the new log start offset, or -1 with the error. */
export interface DeleteRecordsResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly lowWatermark: number;
}

/** DeleteRecords' offset meaning "up to the high watermark". */
export const DELETE_RECORDS_HIGH_WATERMARK = -1;

const ok = (topic?: TopicMetadata): TopicResult => (topic ? { errorCode: ErrorCode.NONE, errorMessage: null, topic } : { errorCode: ErrorCode.NONE, errorMessage: null });
const fail = (errorCode: number, errorMessage: string): TopicResult => ({ errorCode, errorMessage });

/** Replica placement in a cluster (ZkCluster.assignReplicas over the live brokers). */
export interface ReplicaPlacement {
  assignReplicas(count: number, replicationFactor: number, startPartitionId: number, existing?: readonly PartitionAssignment[]): AssignmentResult;
}

function storeFailure(err: unknown, name: string): TopicResult {
  const code = (err as { code?: unknown }).code;
  if (code === 'NODE_EXISTS') return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
  if (code === 'NO_NODE') return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
  if (code === 'CONNECTION_LOSS' || code === 'SESSION_EXPIRED') return fail(ErrorCode.REQUEST_TIMED_OUT, `ZooKeeper is unavailable: ${(err as Error).message}`);
  return fail(ErrorCode.UNKNOWN_SERVER_ERROR, `Metadata update of topic ${name} failed: ${(err as Error).message}`);
}

/** A MaybePromise of a result as a promise; a rejection (a ZooKeeper error) becomes a result. */
function settled(value: MaybePromise<TopicResult>, name: string): Promise<TopicResult> {
  return Promise.resolve(value).catch((err: unknown) => storeFailure(err, name));
}

/** Upper bound on partitions per request, so one request cannot exhaust file descriptors. */
export const MAX_PARTITIONS_PER_TOPIC = 10_000;

/** A local replica's role after a leadership change: offline means no live leader (or no ZooKeeper session). */
export type LeadershipRole = 'leader' | 'follower' | 'offline';
export type LeadershipListener = (partition: Partition, role: LeadershipRole) => void;

const loadingKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class TopicService {
  /** The partitions this broker holds (LogManager's registry: TopicService marks them ready once wired). */
  /** Partitions loadAll is opening (topic NUL partition): wired by it, not by a metadata change meanwhile. */
  private readonly loading = new Set<string>();

  private get registry(): PartitionRegistry {
    return this.logs.registry;
  }
  private readonly leadershipListeners: LeadershipListener[] = [];

  constructor(
    private readonly config: BrokerConfig,
    private readonly metadata: MetadataStore,
    private readonly logs: LogManager,
    private readonly logger: Logger,
    private readonly placement: ReplicaPlacement | null = null,
  ) {
    metadata.onChange?.((change) => this.applyChange(change));
  }

  get brokerId(): number {
    return this.config.brokerId;
  }

  /**
   * A change made elsewhere in the cluster: open the partitions this broker now holds, drop
   * those of deleted topics, apply config changes and the controller's leadership decisions.
   */
  applyChange(change: MetadataChange): void {
    if (change.kind === 'topic') {
      const t = this.metadata.getTopic(change.name);
      if (!t) return;
      try {
        this.openPartitions(t);
      } catch (err) {
        this.logger.error({ err, topic: t.name }, 'could not open the logs of a topic');
      }
      if (this.placement) this.applyReassignment(t);
      const effective = this.topicConfig(t);
      for (const p of this.partitionsOf(t.name)) if (p && JSON.stringify(p.config) !== JSON.stringify(effective)) p.updateConfig(effective);
    } else if (change.kind === 'topicDeleted') {
      if (this.registry.ofTopic(change.name).length > 0) {
        this.dropPartitions(change.name);
        this.logger.info({ topic: change.name }, 'deleted the logs of a deleted topic');
      }
    } else if (change.kind === 'partitionState') {
      const p = this.partition(change.topic, change.partition);
      if (p) this.applyLeadership(p);
    }
  }

  /**
   * The assignment of partitions this broker holds changed (a reassignment, KIP-455): a
   * replica still assigned learns the new replica set (as leader it starts tracking added
   * followers); one no longer assigned (the controller completed a move away from this broker,
   * or cancelled one to it) stops following, as Kafka's StopReplica with deletion, and its log
   * is deleted.
   */
  private applyReassignment(t: TopicMetadata): void {
    for (const p of this.registry.ofTopic(t.name)) {
      if (!p) continue;
      const a = t.partitions.find((x) => x.partition === p.index);
      if (!a) continue;
      if (a.replicas.includes(this.config.brokerId)) {
        if (a.replicas.join() !== p.replicas.join()) p.assignReplicas(a.replicas);
        continue;
      }
      if (p.leaderId !== -1 || p.isLeader) {
        p.becomeFollower(-1, p.leaderEpoch, p.isr, p.replicas);
      }
      this.emitLeadership(p, 'offline');
      try {
        this.logs.deletePartition(p.topic, p.index);
        this.logger.info({ topic: p.topic, partition: p.index, replicas: a.replicas }, 'no longer a replica (reassigned): deleted the local log');
      } catch (err) {
        this.logger.error({ err, topic: p.topic, partition: p.index }, 'could not delete the log of a replica reassigned away');
      }
    }
  }

  /**
   * Applies the controller's decision for one partition (its state znode) to the local
   * replica: becoming leader or follower on a new leader epoch (listeners hear of it: the
   * replica fetchers, the group coordinator), or only a new ISR under the same leadership.
   */
  private applyLeadership(p: Partition): void {
    const state = this.metadata.partitionState?.(p.topic, p.index);
    if (!state) return;
    const replicas = this.metadata.getTopic(p.topic)?.partitions.find((a) => a.partition === p.index)?.replicas ?? p.replicas;
    const sameLeadership = state.leader === p.leaderId && state.leaderEpoch === p.leaderEpoch;
    if (sameLeadership) {
      p.assignReplicas(replicas);
      p.updateIsr(state.isr);
      return;
    }
    let role: LeadershipRole;
    if (state.leader === this.config.brokerId) {
      p.becomeLeader(state.leaderEpoch, state.isr, replicas, Date.now());
      role = 'leader';
    } else {
      p.becomeFollower(state.leader, state.leaderEpoch, state.isr, replicas);
      role = state.leader === -1 ? 'offline' : 'follower';
    }
    this.logger.info({ topic: p.topic, partition: p.index, role, leader: state.leader, leaderEpoch: state.leaderEpoch, isr: state.isr }, 'partition leadership changed');
    this.emitLeadership(p, role);
  }

  /**
   * Listeners of leadership changes of local replicas, called in registration order. In a
   * cluster, a new listener first hears the current role of every local replica whose
   * leadership is known (those opened at start-up). On a single node this broker leads every
   * partition from the start and no change ever comes.
   */
  onLeadershipChange(listener: LeadershipListener): void {
    this.leadershipListeners.push(listener);
    if (!this.placement) return;
    for (const p of this.registry.ready()) {
      if (p.leaderEpoch < 0) continue;
      listener(p, p.isLeader ? 'leader' : p.leaderId === -1 ? 'offline' : 'follower');
    }
  }

  private emitLeadership(p: Partition, role: LeadershipRole): void {
    for (const l of this.leadershipListeners) {
      try {
        l(p, role);
      } catch (err) {
        this.logger.error({ err, topic: p.topic, partition: p.index, role }, 'a leadership listener failed');
      }
    }
  }

  /**
   * Stops leading and following everywhere (the ZooKeeper session is gone: another broker may
   * be leading by now). The new session's watches re-read every state znode and re-apply it.
   */
  stepDownAll(): void {
    for (const p of this.registry.ready()) {
      if (p.leaderId === -1) continue;
      p.becomeFollower(-1, p.leaderEpoch, p.isr, p.replicas);
      this.emitLeadership(p, 'offline');
    }
  }

  /**
   * Opens every partition this broker holds (recovering logs after a crash): the logs on the
   * thread pool, several at a time (LogManager.openPartitions), the internal topics' first.
   * Each partition is wired to its assignment (and, in a cluster, its leadership) and served
   * as soon as its log is open, so a broker whose listeners are up serves the partitions
   * loaded so far while the rest recover (the others answer NOT_LEADER_OR_FOLLOWER, and
   * Metadata LEADER_NOT_AVAILABLE: clients retry). `internalReady` resolves once the
   * partitions of __consumer_offsets and __transaction_state are open (the coordinators load
   * from them), `done` once every partition is.
   */
  loadAll(): { readonly internalReady: Promise<void>; readonly done: Promise<void> } {
    const wanted: { topic: string; partition: number; config: EffectiveTopicConfig }[] = [];
    for (const t of this.metadata.listTopics()) {
      const config = this.topicConfig(t);
      for (const a of t.partitions) if (a.replicas.includes(this.config.brokerId)) wanted.push({ topic: t.name, partition: a.partition, config });
    }
    // Array.prototype.sort is stable: the topics keep their order within each group.
    wanted.sort((a, b) => Number(isInternalTopic(b.topic)) - Number(isInternalTopic(a.topic)));
    for (const w of wanted) this.loading.add(loadingKey(w.topic, w.partition));
    let internalLeft = wanted.filter((w) => isInternalTopic(w.topic)).length;
    let internalOpened!: () => void;
    const internalReady = new Promise<void>((resolve) => (internalOpened = resolve));
    if (internalLeft === 0) internalOpened();
    const opening = this.logs.openPartitions(wanted, (p) => {
      this.loading.delete(loadingKey(p.topic, p.index));
      const t = this.metadata.getTopic(p.topic);
      // A topic deleted while its logs were opening: its partitions go as the others did.
      if (t) this.openPartitions(t, p.index);
      else this.logs.deletePartition(p.topic, p.index);
      if (isInternalTopic(p.topic) && --internalLeft === 0) internalOpened();
    });
    const done = opening.then(
      () => this.afterLoad(),
      (err: unknown) => {
        this.loading.clear();
        throw err;
      },
    );
    return { internalReady: Promise.race([internalReady, done]), done };
  }

  /** Every partition open: wires any not wired yet, and deals with partition directories no topic claims. */
  private afterLoad(): void {
    for (const t of this.metadata.listTopics()) this.openPartitions(t);
    const known = new Set(this.metadata.listTopics().map((t) => t.name));
    for (const found of this.logs.findPartitionDirs()) {
      if (!known.has(found.topic)) {
        this.logger.warn({ dir: found.dir }, 'partition directory of an unknown topic left in place');
      } else if (this.placement && !this.partition(found.topic, found.partition)) {
        // A stray replica: the partition was reassigned away (or the move to here cancelled)
        // while this broker was down, so it never heard it should delete the log.
        const replicas = this.metadata.getTopic(found.topic)?.partitions.find((a) => a.partition === found.partition)?.replicas ?? [];
        try {
          this.logs.deleteStrayPartitionDir(found.dir);
          this.logger.warn({ dir: found.dir, replicas }, 'deleted the log of a stray replica (this broker is no longer assigned the partition)');
        } catch (err) {
          this.logger.error({ err, dir: found.dir }, 'could not delete the log of a stray replica');
        }
      }
    }
  }

  /** Opens and wires the partitions of `t` this broker holds (only `only`, when given) that are not wired yet. */
  private openPartitions(t: TopicMetadata, only?: number): void {
    const config = this.topicConfig(t);
    for (const a of t.partitions) {
      if (only !== undefined && a.partition !== only) continue;
      // Being opened by loadAll, which wires it when its log is open.
      if (only === undefined && this.loading.has(loadingKey(t.name, a.partition))) continue;
      // Only the replicas this broker holds (on a single node: all of them), wired once.
      if (this.registry.get(t.name, a.partition) || !a.replicas.includes(this.config.brokerId)) continue;
      const p = this.logs.openPartition(t.name, a.partition, config);
      p.assignReplicas(a.replicas, a.replicas);
      if (this.placement) {
        // A replicated log commits only what the ISR had: the last checkpointed high watermark.
        if (a.replicas.length > 1) p.restoreHighWatermark(this.logs.highWatermarkCheckpoint(t.name, a.partition) ?? 0);
        // A cluster: no leader until the controller says so (epoch -1: any state is news).
        p.becomeFollower(-1, -1, a.replicas, a.replicas);
        this.applyLeadership(p);
      }
      this.registry.markReady(p);
    }
  }

  /**
   * The broker defaults changed (a dynamic broker config, Kafka's DynamicLogConfig.reconfigure):
   * every partition takes its topic's effective config again; a topic's own overrides still win.
   */
  refreshConfigs(): void {
    for (const t of this.metadata.listTopics()) {
      let effective: EffectiveTopicConfig;
      try {
        effective = this.topicConfig(t);
      } catch (err) {
        this.logger.error({ err, topic: t.name }, 'could not compute the config of a topic');
        continue;
      }
      for (const p of this.partitionsOf(t.name)) if (p && JSON.stringify(p.config) !== JSON.stringify(effective)) p.updateConfig(effective);
    }
  }

  topicConfig(t: TopicMetadata): EffectiveTopicConfig {
    return effectiveTopicConfig(this.config, t.configs);
  }

  getTopic(name: string): TopicMetadata | undefined {
    return this.metadata.getTopic(name);
  }

  getTopicById(id: string): TopicMetadata | undefined {
    return this.metadata.getTopicById(id);
  }

  listTopics(): readonly TopicMetadata[] {
    return this.metadata.listTopics();
  }

  partition(topic: string, index: number): Partition | undefined {
    return this.registry.get(topic, index);
  }

  /**
   * The local replica when this broker leads the partition and the client's current leader
   * epoch (-1: none sent) matches; otherwise the error a Kafka client acts on:
   * UNKNOWN_TOPIC_OR_PARTITION (no such partition in the cluster), NOT_LEADER_OR_FOLLOWER
   * (another broker leads it, or none), FENCED_LEADER_EPOCH (the client's epoch is older) or
   * UNKNOWN_LEADER_EPOCH (newer: this broker has not learnt of it yet).
   */
  leaderReplica(topic: string, index: number, currentLeaderEpoch = -1): { readonly partition: Partition; readonly errorCode: 0 } | { readonly partition: null; readonly errorCode: number } {
    const p = this.partition(topic, index);
    if (!p) {
      const exists = this.metadata.getTopic(topic)?.partitions.some((a) => a.partition === index) ?? false;
      return { partition: null, errorCode: exists ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    }
    if (!p.isLeader) return { partition: null, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
    if (currentLeaderEpoch !== -1 && currentLeaderEpoch !== p.leaderEpoch) {
      return { partition: null, errorCode: currentLeaderEpoch > p.leaderEpoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH };
    }
    return { partition: p, errorCode: ErrorCode.NONE };
  }

  /** A topic's partitions on this broker, by index (holes for those it holds no replica of). */
  partitionsOf(topic: string): readonly (Partition | undefined)[] {
    return this.registry.ofTopic(topic);
  }

  private assign(first: number, count: number, replicationFactor: number, existing?: readonly PartitionAssignment[]): PartitionAssignment[] | TopicResult {
    if (this.placement) {
      const r = this.placement.assignReplicas(count, replicationFactor, first, existing);
      if (!r.ok) return fail(ErrorCode[r.reason], r.message);
      return [...r.assignment].sort((a, b) => a[0] - b[0]).map(([partition, replicas]) => ({ partition, replicas: [...replicas] }));
    }
    // Single node: every replica is this broker.
    if (replicationFactor > 1) {
      return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor: ${replicationFactor} larger than available brokers: 1.`);
    }
    const out: PartitionAssignment[] = [];
    for (let i = 0; i < count; i++) out.push({ partition: first + i, replicas: [this.config.brokerId] });
    return out;
  }

  /** CreateTopics for one topic. numPartitions/replicationFactor of -1 take the broker defaults. */
  createTopic(
    name: string,
    numPartitions: number,
    replicationFactor: number,
    configs: Readonly<Record<string, string>>,
    options: { validateOnly?: boolean; manualAssignment?: PartitionAssignment[] } = {},
  ): Promise<TopicResult> {
    return settled(this.createTopicNow(name, numPartitions, replicationFactor, configs, options), name);
  }

  private createTopicNow(
    name: string,
    numPartitions: number,
    replicationFactor: number,
    configs: Readonly<Record<string, string>>,
    options: { validateOnly?: boolean; manualAssignment?: PartitionAssignment[] },
  ): MaybePromise<TopicResult> {
    const invalid = invalidTopicNameReason(name);
    if (invalid) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, invalid);
    if (this.metadata.getTopic(name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    const collides = this.metadata.listTopics().find((t) => t.name.replaceAll('.', '_') === name.replaceAll('.', '_'));
    if (collides) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${name}' collides with existing topic: ${collides.name}`);
    const partitions = numPartitions === -1 ? this.config.values['num.partitions'] : numPartitions;
    const rf = replicationFactor === -1 ? this.config.values['default.replication.factor'] : replicationFactor;
    let assignment: PartitionAssignment[];
    if (options.manualAssignment && options.manualAssignment.length > 0) {
      if (numPartitions !== -1 || replicationFactor !== -1) {
        return fail(ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
      }
      assignment = options.manualAssignment;
      const brokers = new Set(assignment.flatMap((a) => a.replicas));
      const known = new Set(this.metadata.liveBrokers?.().map((b) => b.id) ?? [this.config.brokerId]);
      if ([...brokers].some((b) => !known.has(b))) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Unknown broker in replica assignment ${[...brokers].join(',')}`);
    } else {
      if (partitions < 1) return fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions was set to an invalid non-positive value.`);
      if (partitions > MAX_PARTITIONS_PER_TOPIC) return fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions ${partitions} exceeds the limit of ${MAX_PARTITIONS_PER_TOPIC}.`);
      if (rf < 1) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
      const assigned = this.assign(0, partitions, rf);
      if (!Array.isArray(assigned)) return assigned;
      assignment = assigned;
    }
    let normalized: Record<string, string>;
    try {
      normalized = validateTopicConfigs(configs);
      effectiveTopicConfig(this.config, normalized);
    } catch (err) {
      if (err instanceof ConfigError) return fail(ErrorCode.INVALID_CONFIG, err.message);
      throw err;
    }
    if (options.validateOnly) return ok({ name, topicId: '00000000-0000-0000-0000-000000000000', partitions: assignment, configs: normalized });
    return settle(this.metadata.createTopic(name, assignment, normalized), (topic) => {
      try {
        this.openPartitions(topic);
      } catch (err) {
        this.logger.error({ err, topic: name }, 'could not open the logs of a new topic; removing it');
        this.dropPartitions(name);
        return settle(this.metadata.deleteTopic(name), () => fail(ErrorCode.KAFKA_STORAGE_ERROR, `Could not create the logs of topic ${name}: ${(err as Error).message}`));
      }
      this.logger.info({ topic: name, partitions: assignment.length, configs: normalized }, 'created topic');
      return ok(topic);
    });
  }

  /** Metadata auto-creation (auto.create.topics.enable). */
  autoCreate(name: string): Promise<TopicResult> {
    if (!this.config.values['auto.create.topics.enable'] || isInternalTopic(name)) return settled(fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unknown topic ${name}`), name);
    return this.createTopic(name, -1, -1, {});
  }

  /** DeleteTopics and the admin API's delete, by name. Internal topics are refused (topic-name.ts). */
  deleteTopic(name: string): Promise<TopicResult> {
    if (!this.config.values['delete.topic.enable']) return settled(fail(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.'), name);
    const t = this.metadata.getTopic(name);
    if (!t) return settled(fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.'), name);
    const refused = internalTopicRefusal(name, 'delete');
    if (refused) return settled(refused, name);
    return settled(
      settle(this.metadata.deleteTopic(name), () => {
        this.dropPartitions(name);
        this.logger.info({ topic: name }, 'deleted topic');
        return ok(t);
      }),
      name,
    );
  }

  /**
   * DeleteRecords on the leader: raises the partition's log start offset to `offset`
   * (DELETE_RECORDS_HIGH_WATERMARK: the high watermark), deleting whole segments below it.
   * Internal topics are refused first, as Kafka's ReplicaManager does; an offset above the
   * high watermark is OFFSET_OUT_OF_RANGE. Never throws: a storage failure is logged and
   * answered KAFKA_STORAGE_ERROR.
   */
  deleteRecords(topic: string, index: number, offset: number): DeleteRecordsResult {
    const refused = internalTopicRefusal(topic, 'deleteRecords');
    if (refused) return { errorCode: refused.errorCode, errorMessage: refused.errorMessage, lowWatermark: -1 };
    // The leader raises the log start offset; followers take it from its fetch responses.
    const { partition: p, errorCode } = this.leaderReplica(topic, index);
    if (!p) return { errorCode, errorMessage: null, lowWatermark: -1 };
    const target = offset === DELETE_RECORDS_HIGH_WATERMARK ? p.highWatermark : offset;
    if (target < 0 || target > p.highWatermark) return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, errorMessage: null, lowWatermark: -1 };
    try {
      if (target > p.logStartOffset) {
        p.deleteRecordsBefore(target);
        // The new log start offset goes to log-start-offset-checkpoint now rather than at the
        // next periodic checkpoint (Kafka's waits for it), with the fsync off the event loop.
        this.logs.checkpointRecoveryPoints().catch((err: unknown) => this.logger.error({ err, topic, partition: index }, 'checkpoint after delete records failed'));
      }
      return { errorCode: ErrorCode.NONE, errorMessage: null, lowWatermark: p.logStartOffset };
    } catch (err) {
      this.logger.error({ err, topic, partition: index }, 'delete records failed');
      return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: null, lowWatermark: -1 };
    }
  }

  /** Deletes a topic's local replicas; listeners first hear they are offline (fetchers stop, coordinators unload). */
  private dropPartitions(name: string): void {
    for (const p of this.registry.ofTopic(name)) {
      if (!p) continue;
      if (p.leaderId !== -1) {
        p.becomeFollower(-1, p.leaderEpoch, p.isr, p.replicas);
        this.emitLeadership(p, 'offline');
      }
      this.logs.deletePartition(p.topic, p.index);
    }
  }

  createPartitions(name: string, totalCount: number, validateOnly: boolean): Promise<TopicResult> {
    return settled(this.createPartitionsNow(name, totalCount, validateOnly), name);
  }

  private createPartitionsNow(name: string, totalCount: number, validateOnly: boolean): MaybePromise<TopicResult> {
    const t = this.metadata.getTopic(name);
    if (!t) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
    const refused = internalTopicRefusal(name, 'addPartitions');
    if (refused) return refused;
    const current = t.partitions.length;
    if (totalCount < current) return fail(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${current} partitions, which is higher than the requested ${totalCount}.`);
    if (totalCount === current) return fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partitions.`);
    if (totalCount > MAX_PARTITIONS_PER_TOPIC) return fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions ${totalCount} exceeds the limit of ${MAX_PARTITIONS_PER_TOPIC}.`);
    const assigned = this.assign(current, totalCount - current, t.partitions[0]?.replicas.length ?? 1, t.partitions);
    if (!Array.isArray(assigned)) return assigned;
    if (validateOnly) return ok(t);
    return settle(this.metadata.addPartitions(name, assigned), (next) => {
      this.openPartitions(next);
      this.logger.info({ topic: name, partitions: totalCount }, 'added partitions');
      return ok(next);
    });
  }

  /** Replaces a topic's config overrides (AlterConfigs) after validating all of them. */
  setTopicConfigs(name: string, configs: Readonly<Record<string, string>>, validateOnly: boolean): Promise<TopicResult> {
    return settled(this.setTopicConfigsNow(name, configs, validateOnly), name);
  }

  private setTopicConfigsNow(name: string, configs: Readonly<Record<string, string>>, validateOnly: boolean): MaybePromise<TopicResult> {
    const t = this.metadata.getTopic(name);
    if (!t) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist`);
    let normalized: Record<string, string>;
    let effective: EffectiveTopicConfig;
    try {
      normalized = validateTopicConfigs(configs);
      effective = effectiveTopicConfig(this.config, normalized);
    } catch (err) {
      if (err instanceof ConfigError) return fail(ErrorCode.INVALID_CONFIG, err.message);
      throw err;
    }
    if (validateOnly) return ok(t);
    return settle(this.metadata.setTopicConfigs(name, normalized), (next) => {
      for (const p of this.partitionsOf(name)) if (p) p.updateConfig(effective);
      this.logger.info({ topic: name, configs: normalized }, 'altered topic configs');
      return ok(next);
    });
  }
}
