// The internal topic __consumer_offsets as the group coordinator sees it: which partition
// owns a group, creating the topic on first use, appending the coordinator's record batches
// and reading a partition back at start-up.
//
// OffsetsTopicStore is the seam between the coordinator and the log, so that the state
// machine can be tested over an in-memory store; LogOffsetsTopicStore is the real one, over
// TopicService and ReplicaManager (appends with internal=true: clients may not write here).
//
// Single node: this broker leads every partition, from start-up on. In a cluster the
// controller chooses the leader of each partition (its state znode) and the store reports
// this broker's role as it changes (TopicService.onLeadershipChange): the coordinator of a
// group is the leader of the group's partition, as in Kafka.
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import type { MetadataStore } from '../cluster/metadata-store.js';
import type { ReplicaManager } from '../partition/replica-manager.js';
import type { TopicService } from '../partition/topic-service.js';
import { ErrorCode } from '../protocol/errors.js';

export const GROUP_METADATA_TOPIC_NAME = '__consumer_offsets';

/** Kafka's Utils.abs(String.hashCode): Java's hash over UTF-16 code units, int32 arithmetic. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** The __consumer_offsets partition that owns a group (GroupMetadataManager.partitionFor). */
export function partitionForGroup(groupId: string, partitionCount: number): number {
  const h = javaStringHashCode(groupId);
  // Utils.abs maps Integer.MIN_VALUE to 0 instead of overflowing.
  const abs = h === -2147483648 ? 0 : Math.abs(h);
  return abs % partitionCount;
}

export interface AppendOutcome {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

/** An append's outcome and, when it succeeded, the offset the log gave the batch's first record (-1 otherwise). */
export interface AppendResult extends AppendOutcome {
  readonly baseOffset: number;
}

export interface PartitionChunk {
  /** Whole batches, back to back (possibly with a partial batch at the end). */
  readonly bytes: Buffer;
  readonly logEndOffset: number;
}

/** This broker's role for a partition, as TopicService.onLeadershipChange reports it. */
export type LeadershipRole = 'leader' | 'follower' | 'offline';

export interface OffsetsTopicStore {
  /**
   * true in a cluster: this broker leads only the partitions the controller gave it and learns
   * of changes through onLeadershipChange. false on a single node, which leads every partition.
   */
  readonly clustered: boolean;
  /** The partition count of the topic, or null when it does not exist yet. */
  partitionCount(): number | null;
  /**
   * Creates the topic (offsets.topic.* settings); NONE when it exists on return (single node),
   * else an error code (COORDINATOR_NOT_AVAILABLE while a cluster creates it, or when it cannot).
   */
  create(): AppendOutcome;
  /** The partition's leader as the controller decided it (single node: this broker); -1 for none. */
  leaderOf(partition: number): number;
  /** Whether this broker leads the partition now (single node: always). */
  isLocal(partition: number): boolean;
  /** Clustered stores: calls back after this broker's role for a partition changed. */
  onLeadershipChange(listener: (partition: number, role: LeadershipRole) => void): void;
  logStartOffset(partition: number): number;
  /**
   * Appends one batch with acks=all (-1): it resolves once the ISR has the batch, so that a
   * commit the client was told of survives the loss of the leader. Kafka error codes in the
   * outcome, never a throw; the batch's base offset orders a commit against later ones (a
   * transaction's offsets lose to a plain commit written after them).
   */
  append(partition: number, batch: Buffer): Promise<AppendResult>;
  /** Reads from `offset` up to the log end, at most about maxBytes (whole first batch always). */
  read(partition: number, offset: number, maxBytes: number): Promise<PartitionChunk>;
}

/** What LogOffsetsTopicStore needs of the cluster (a single node: itself alone). */
export interface OffsetsTopicCluster {
  /** Whether zookeeper.connect is set. */
  readonly clustered: boolean;
  /** Broker ids registered now (Kafka's alive brokers). */
  liveBrokerIds(): readonly number[];
}

/** __consumer_offsets in the broker's own logs. */
export class LogOffsetsTopicStore implements OffsetsTopicStore {
  /** A creation sent to ZooKeeper and not yet answered: FindCoordinator retries do not repeat it. */
  private creating: Promise<unknown> | null = null;

  constructor(
    private readonly config: BrokerConfig,
    private readonly topics: TopicService,
    private readonly replicas: ReplicaManager,
    private readonly metadata: MetadataStore,
    private readonly cluster: OffsetsTopicCluster,
    private readonly logger: Logger,
  ) {}

  get clustered(): boolean {
    return this.cluster.clustered;
  }

  partitionCount(): number | null {
    const t = this.topics.getTopic(GROUP_METADATA_TOPIC_NAME);
    return t ? t.partitions.length : null;
  }

  /**
   * Kafka's creatable offsets topic: offsets.topic.num.partitions partitions, replication
   * factor offsets.topic.replication.factor, and GroupCoordinator.groupMetadataTopicConfigs
   * (compact, segment.bytes = offsets.topic.segment.bytes, compression as produced). As in
   * Kafka, min.insync.replicas is not set on the topic: it is the broker's.
   */
  create(): AppendOutcome {
    if (this.topics.getTopic(GROUP_METADATA_TOPIC_NAME)) return { errorCode: ErrorCode.NONE, errorMessage: null };
    const v = this.config.values;
    const replicationFactor = v['offsets.topic.replication.factor'];
    const alive = this.cluster.liveBrokerIds().length;
    if (alive < replicationFactor) {
      // Kafka's check and message (KafkaApis.createInternalTopic, AutoTopicCreationManager).
      this.logger.error(
        `Number of alive brokers '${alive}' does not meet the required replication factor '${replicationFactor}' for the offsets topic ` +
          `(configured via 'offsets.topic.replication.factor'). This error can be ignored if the cluster is starting up and not all brokers are up yet.`,
      );
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: `Number of alive brokers '${alive}' does not meet the required replication factor '${replicationFactor}' for the offsets topic` };
    }
    if (this.creating) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'The offsets topic is being created' };
    const created = this.topics.createTopic(GROUP_METADATA_TOPIC_NAME, v['offsets.topic.num.partitions'], replicationFactor, {
      'cleanup.policy': 'compact',
      'segment.bytes': String(v['offsets.topic.segment.bytes']),
      'compression.type': 'producer',
    });
    const creating = created.then((result) => {
      if (result.errorCode !== ErrorCode.NONE && result.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
        // Clients see COORDINATOR_NOT_AVAILABLE and retry.
        this.logger.warn({ topic: GROUP_METADATA_TOPIC_NAME, errorCode: result.errorCode, reason: result.errorMessage }, 'could not create the offsets topic');
      }
    });
    this.creating = creating;
    void creating.finally(() => {
      if (this.creating === creating) this.creating = null;
    });
    // With the local store the topic exists now (or creation failed); with ZooKeeper it
    // appears when the write is acknowledged: until then, as Kafka, COORDINATOR_NOT_AVAILABLE.
    if (this.topics.getTopic(GROUP_METADATA_TOPIC_NAME)) return { errorCode: ErrorCode.NONE, errorMessage: null };
    return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'The offsets topic is being created' };
  }

  leaderOf(partition: number): number {
    // In a cluster the controller's decision, whether or not this broker holds a replica.
    const state = this.metadata.partitionState?.(GROUP_METADATA_TOPIC_NAME, partition);
    if (state) return state.leader;
    if (this.cluster.clustered) return -1;
    return this.topics.partition(GROUP_METADATA_TOPIC_NAME, partition)?.leaderId ?? -1;
  }

  isLocal(partition: number): boolean {
    const p = this.topics.partition(GROUP_METADATA_TOPIC_NAME, partition);
    return p !== undefined && p.leaderId === this.config.brokerId;
  }

  onLeadershipChange(listener: (partition: number, role: LeadershipRole) => void): void {
    this.topics.onLeadershipChange((p, role) => {
      if (p.topic === GROUP_METADATA_TOPIC_NAME) listener(p.index, role);
    });
  }

  logStartOffset(partition: number): number {
    return this.topics.partition(GROUP_METADATA_TOPIC_NAME, partition)?.logStartOffset ?? 0;
  }

  async append(partition: number, batch: Buffer): Promise<AppendResult> {
    // Kafka's appendForGroup: acks=-1 within offsets.commit.timeout.ms (REQUEST_TIMED_OUT
    // after it, which the coordinator answers COORDINATOR_NOT_AVAILABLE: the client retries).
    const r = await this.replicas.appendToPartition(GROUP_METADATA_TOPIC_NAME, partition, batch, -1, true, this.config.values['offsets.commit.timeout.ms']);
    return { errorCode: r.errorCode, errorMessage: r.errorMessage, baseOffset: r.errorCode === ErrorCode.NONE ? r.baseOffset : -1 };
  }

  async read(partition: number, offset: number, maxBytes: number): Promise<PartitionChunk> {
    const p = this.topics.partition(GROUP_METADATA_TOPIC_NAME, partition);
    if (!p) return { bytes: Buffer.alloc(0), logEndOffset: 0 };
    // The log end, not the high watermark: Kafka loads with FetchIsolation.LOG_END.
    const read = p.read(offset, maxBytes, 'replica', true);
    const bytes = read.slice ? await read.slice.toBuffer() : Buffer.alloc(0);
    return { bytes, logEndOffset: read.logEndOffset };
  }
}
