// The internal topic __transaction_state as the transaction coordinator sees it: which
// partition owns a transactional id, creating the topic on first use, appending the
// coordinator's records and reading a partition back when this broker becomes its leader.
//
// TransactionStateStore is the seam between the coordinator and the log (as OffsetsTopicStore
// is for the group coordinator), so that the state machine can be tested over an in-memory
// store; LogTransactionStateStore is the real one, over TopicService and ReplicaManager
// (appends with internal=true: clients may not write here).
//
// The coordinator epoch of a partition is its leader epoch, as in Kafka (the epoch of the
// LeaderAndIsr that made this broker leader): markers carry it, and a partition refuses
// markers of an older coordinator epoch (TRANSACTION_COORDINATOR_FENCED).
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import type { MetadataStore } from '../cluster/metadata-store.js';
import type { ReplicaManager } from '../partition/replica-manager.js';
import type { TopicService } from '../partition/topic-service.js';
import { ErrorCode } from '../protocol/errors.js';
import { javaStringHashCode, type AppendOutcome, type LeadershipRole, type OffsetsTopicCluster, type PartitionChunk } from '../groups/offsets-topic.js';

export const TRANSACTION_STATE_TOPIC_NAME = '__transaction_state';

/** The __transaction_state partition that owns a transactional id (Kafka's TransactionStateManager.partitionFor). */
export function partitionForTransactionalId(transactionalId: string, partitionCount: number): number {
  const h = javaStringHashCode(transactionalId);
  // Utils.abs maps Integer.MIN_VALUE to 0 instead of overflowing.
  const abs = h === -2147483648 ? 0 : Math.abs(h);
  return abs % partitionCount;
}

export type { AppendOutcome, LeadershipRole, PartitionChunk };

export interface TransactionStateStore {
  /** true in a cluster (leadership is learnt through onLeadershipChange); false on a single node. */
  readonly clustered: boolean;
  /** The partition count of the topic, or null when it does not exist yet. */
  partitionCount(): number | null;
  /** Creates the topic; NONE when it exists on return, else COORDINATOR_NOT_AVAILABLE (being created, or too few brokers). */
  create(): AppendOutcome;
  /** The partition's leader as the controller decided it (single node: this broker); -1 for none. */
  leaderOf(partition: number): number;
  /** Whether this broker leads the partition now. */
  isLocal(partition: number): boolean;
  /** The partition's leader epoch: the coordinator epoch of its transactions. */
  leaderEpoch(partition: number): number;
  /** Clustered stores: calls back after this broker's role for a partition changed, with the partition's leader epoch. */
  onLeadershipChange(listener: (partition: number, role: LeadershipRole, leaderEpoch: number) => void): void;
  logStartOffset(partition: number): number;
  /** Appends one batch with acks=all; Kafka error codes in the outcome, never a throw. */
  append(partition: number, batch: Buffer): Promise<AppendOutcome>;
  /** Reads from `offset` up to the log end, at most about maxBytes (whole first batch always). */
  read(partition: number, offset: number, maxBytes: number): Promise<PartitionChunk>;
}

/** __transaction_state in the broker's own logs. */
export class LogTransactionStateStore implements TransactionStateStore {
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
    const t = this.topics.getTopic(TRANSACTION_STATE_TOPIC_NAME);
    return t ? t.partitions.length : null;
  }

  /**
   * Kafka's creatable transaction state topic: transaction.state.log.num.partitions partitions,
   * replication factor transaction.state.log.replication.factor, and
   * TransactionStateManager.transactionTopicConfigs: compact, min.insync.replicas =
   * transaction.state.log.min.isr, segment.bytes = transaction.state.log.segment.bytes,
   * uncompressed, no unclean election. As for __consumer_offsets, fewer live brokers than the
   * replication factor refuses (COORDINATOR_NOT_AVAILABLE, the client retries).
   */
  create(): AppendOutcome {
    if (this.topics.getTopic(TRANSACTION_STATE_TOPIC_NAME)) return { errorCode: ErrorCode.NONE, errorMessage: null };
    const v = this.config.values;
    const replicationFactor = v['transaction.state.log.replication.factor'];
    const alive = this.cluster.liveBrokerIds().length;
    if (alive < replicationFactor) {
      this.logger.error(
        `Number of alive brokers '${alive}' does not meet the required replication factor '${replicationFactor}' for the transactions state topic ` +
          `(configured via 'transaction.state.log.replication.factor'). This error can be ignored if the cluster is starting up and not all brokers are up yet.`,
      );
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: `Number of alive brokers '${alive}' does not meet the required replication factor '${replicationFactor}' for the transactions state topic` };
    }
    if (this.creating) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'The transaction state topic is being created' };
    const created = this.topics.createTopic(TRANSACTION_STATE_TOPIC_NAME, v['transaction.state.log.num.partitions'], replicationFactor, {
      'cleanup.policy': 'compact',
      'min.insync.replicas': String(v['transaction.state.log.min.isr']),
      'segment.bytes': String(v['transaction.state.log.segment.bytes']),
      'compression.type': 'uncompressed',
      'unclean.leader.election.enable': 'false',
    });
    const creating = created.then((result) => {
      if (result.errorCode !== ErrorCode.NONE && result.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
        this.logger.warn({ topic: TRANSACTION_STATE_TOPIC_NAME, errorCode: result.errorCode, reason: result.errorMessage }, 'could not create the transaction state topic');
      }
    });
    this.creating = creating;
    void creating.finally(() => {
      if (this.creating === creating) this.creating = null;
    });
    if (this.topics.getTopic(TRANSACTION_STATE_TOPIC_NAME)) return { errorCode: ErrorCode.NONE, errorMessage: null };
    return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'The transaction state topic is being created' };
  }

  leaderOf(partition: number): number {
    const state = this.metadata.partitionState?.(TRANSACTION_STATE_TOPIC_NAME, partition);
    if (state) return state.leader;
    if (this.cluster.clustered) return -1;
    return this.topics.partition(TRANSACTION_STATE_TOPIC_NAME, partition)?.leaderId ?? -1;
  }

  isLocal(partition: number): boolean {
    const p = this.topics.partition(TRANSACTION_STATE_TOPIC_NAME, partition);
    return p !== undefined && p.leaderId === this.config.brokerId;
  }

  leaderEpoch(partition: number): number {
    return Math.max(0, this.topics.partition(TRANSACTION_STATE_TOPIC_NAME, partition)?.leaderEpoch ?? 0);
  }

  onLeadershipChange(listener: (partition: number, role: LeadershipRole, leaderEpoch: number) => void): void {
    this.topics.onLeadershipChange((p, role) => {
      if (p.topic === TRANSACTION_STATE_TOPIC_NAME) listener(p.index, role, Math.max(0, p.leaderEpoch));
    });
  }

  logStartOffset(partition: number): number {
    return this.topics.partition(TRANSACTION_STATE_TOPIC_NAME, partition)?.logStartOffset ?? 0;
  }

  async append(partition: number, batch: Buffer): Promise<AppendOutcome> {
    // Kafka's appendTransactionToLog: acks=-1 within request.timeout.ms.
    const r = await this.replicas.appendToPartition(TRANSACTION_STATE_TOPIC_NAME, partition, batch, -1, true, this.config.values['request.timeout.ms']);
    return { errorCode: r.errorCode, errorMessage: r.errorMessage };
  }

  async read(partition: number, offset: number, maxBytes: number): Promise<PartitionChunk> {
    const p = this.topics.partition(TRANSACTION_STATE_TOPIC_NAME, partition);
    if (!p) return { bytes: Buffer.alloc(0), logEndOffset: 0 };
    // The log end, not the high watermark: Kafka loads with FetchIsolation.LOG_END.
    const read = p.read(offset, maxBytes, 'replica', true);
    const bytes = read.slice ? await read.slice.toBuffer() : Buffer.alloc(0);
    return { bytes, logEndOffset: read.logEndOffset };
  }
}
