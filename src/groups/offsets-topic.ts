// The internal topic __consumer_offsets as the group coordinator sees it: which partition
// owns a group, creating the topic on first use, appending the coordinator's record batches
// and reading a partition back at start-up.
//
// OffsetsTopicStore is the seam between the coordinator and the log, so that the state
// machine can be tested over an in-memory store; LogOffsetsTopicStore is the real one, over
// TopicService and ReplicaManager (appends with internal=true: clients may not write here).
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import type { ReplicaManager } from '../broker/replica-manager.js';
import type { TopicService } from '../broker/topic-service.js';
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

export interface PartitionChunk {
  /** Whole batches, back to back (possibly with a partial batch at the end). */
  readonly bytes: Buffer;
  readonly logEndOffset: number;
}

export interface OffsetsTopicStore {
  /** The partition count of the topic, or null when it does not exist yet. */
  partitionCount(): number | null;
  /** Creates the topic (offsets.topic.* settings); an error code when it cannot. */
  create(): AppendOutcome;
  /** Whether this broker leads the partition (single node: always). */
  isLocal(partition: number): boolean;
  logStartOffset(partition: number): number;
  /** Appends one batch with acks=all; Kafka error codes in the outcome, never a throw. */
  append(partition: number, batch: Buffer): Promise<AppendOutcome>;
  /** Reads from `offset` up to the log end, at most about maxBytes (whole first batch always). */
  read(partition: number, offset: number, maxBytes: number): Promise<PartitionChunk>;
}

/** __consumer_offsets in the broker's own logs. */
export class LogOffsetsTopicStore implements OffsetsTopicStore {
  constructor(
    private readonly config: BrokerConfig,
    private readonly topics: TopicService,
    private readonly replicas: ReplicaManager,
    private readonly logger: Logger,
  ) {}

  partitionCount(): number | null {
    const t = this.topics.getTopic(GROUP_METADATA_TOPIC_NAME);
    return t ? t.partitions.length : null;
  }

  create(): AppendOutcome {
    const v = this.config.values;
    const created = this.topics.createTopic(GROUP_METADATA_TOPIC_NAME, v['offsets.topic.num.partitions'], v['offsets.topic.replication.factor'], {
      'cleanup.policy': 'compact',
      'segment.bytes': String(v['offsets.topic.segment.bytes']),
      'compression.type': 'producer',
    });
    void created.then((result) => {
      if (result.errorCode !== ErrorCode.NONE && result.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
        // Kafka: "Internal topic creation will fail until the cluster size meets this
        // replication factor requirement"; clients see COORDINATOR_NOT_AVAILABLE and retry.
        this.logger.warn({ topic: GROUP_METADATA_TOPIC_NAME, errorCode: result.errorCode, reason: result.errorMessage }, 'could not create the offsets topic');
      }
    });
    // With the local store the topic exists now (or creation failed); with ZooKeeper it
    // appears when the write is acknowledged: until then, as Kafka, COORDINATOR_NOT_AVAILABLE.
    if (this.topics.getTopic(GROUP_METADATA_TOPIC_NAME)) return { errorCode: ErrorCode.NONE, errorMessage: null };
    return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'The offsets topic is being created' };
  }

  isLocal(partition: number): boolean {
    const p = this.topics.partition(GROUP_METADATA_TOPIC_NAME, partition);
    return p !== undefined && p.leaderId === this.config.brokerId;
  }

  logStartOffset(partition: number): number {
    return this.topics.partition(GROUP_METADATA_TOPIC_NAME, partition)?.logStartOffset ?? 0;
  }

  async append(partition: number, batch: Buffer): Promise<AppendOutcome> {
    const r = await this.replicas.appendToPartition(GROUP_METADATA_TOPIC_NAME, partition, batch, -1, true);
    return { errorCode: r.errorCode, errorMessage: r.errorMessage };
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
