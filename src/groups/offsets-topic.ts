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
import type { VerificationGuard } from '../partition/producer-state.js';
import type { ReplicaManager } from '../partition/replica-manager.js';
import type { LeadershipRole, TopicService } from '../partition/topic-service.js';
import { InternalTopicStore, type AppendOutcome, type AppendResult, type InternalTopicCluster, type PartitionChunk } from '../partition/internal-topic-store.js';

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

export type { AppendOutcome, AppendResult, PartitionChunk };

/** This broker's role for a partition, as TopicService.onLeadershipChange reports it. */
export type { LeadershipRole };

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
   * transaction's offsets lose to a plain commit written after them). `verificationGuard`: a
   * transactional batch verified under it (KIP-890), refused if the transaction ended since.
   */
  append(partition: number, batch: Buffer, verificationGuard?: VerificationGuard): Promise<AppendResult>;
  /** Reads from `offset` up to the log end, at most about maxBytes (whole first batch always). */
  read(partition: number, offset: number, maxBytes: number): Promise<PartitionChunk>;
}

/** What LogOffsetsTopicStore needs of the cluster (a single node: itself alone). */
export type OffsetsTopicCluster = InternalTopicCluster;

/**
 * __consumer_offsets in the broker's own logs: Kafka's creatable offsets topic
 * (offsets.topic.num.partitions partitions, replication factor
 * offsets.topic.replication.factor, GroupCoordinator.groupMetadataTopicConfigs: compact,
 * segment.bytes = offsets.topic.segment.bytes, compression as produced; as in Kafka,
 * min.insync.replicas is not set on the topic: it is the broker's). Appends wait for the ISR
 * within offsets.commit.timeout.ms (Kafka's appendForGroup; REQUEST_TIMED_OUT after it, which
 * the coordinator answers COORDINATOR_NOT_AVAILABLE: the client retries).
 */
export class LogOffsetsTopicStore extends InternalTopicStore implements OffsetsTopicStore {
  constructor(config: BrokerConfig, topics: TopicService, replicas: ReplicaManager, metadata: MetadataStore, cluster: OffsetsTopicCluster, logger: Logger) {
    const v = config.values;
    const settings = {
      name: GROUP_METADATA_TOPIC_NAME,
      description: 'offsets topic',
      partitions: v['offsets.topic.num.partitions'],
      replicationFactor: v['offsets.topic.replication.factor'],
      replicationFactorKey: 'offsets.topic.replication.factor',
      topicConfigs: { 'cleanup.policy': 'compact', 'segment.bytes': String(v['offsets.topic.segment.bytes']), 'compression.type': 'producer' },
      appendTimeoutMs: v['offsets.commit.timeout.ms'],
    };
    super(settings, config.brokerId, topics, replicas, metadata, cluster, logger);
  }
}
