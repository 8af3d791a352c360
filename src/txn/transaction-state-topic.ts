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
import type { LeadershipRole, TopicService } from '../partition/topic-service.js';
import { InternalTopicStore, type AppendOutcome, type InternalTopicCluster, type PartitionChunk } from '../partition/internal-topic-store.js';
import { javaStringHashCode } from '../groups/offsets-topic.js';

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

/**
 * __transaction_state in the broker's own logs: Kafka's creatable transaction state topic
 * (transaction.state.log.num.partitions partitions, replication factor
 * transaction.state.log.replication.factor, TransactionStateManager.transactionTopicConfigs:
 * compact, min.insync.replicas = transaction.state.log.min.isr, segment.bytes =
 * transaction.state.log.segment.bytes, uncompressed, no unclean election). Appends wait for
 * the ISR within request.timeout.ms (Kafka's appendTransactionToLog).
 */
export class LogTransactionStateStore extends InternalTopicStore implements TransactionStateStore {
  constructor(config: BrokerConfig, topics: TopicService, replicas: ReplicaManager, metadata: MetadataStore, cluster: InternalTopicCluster, logger: Logger) {
    const v = config.values;
    const settings = {
      name: TRANSACTION_STATE_TOPIC_NAME,
      description: 'transactions state topic',
      partitions: v['transaction.state.log.num.partitions'],
      replicationFactor: v['transaction.state.log.replication.factor'],
      replicationFactorKey: 'transaction.state.log.replication.factor',
      topicConfigs: {
        'cleanup.policy': 'compact',
        'min.insync.replicas': String(v['transaction.state.log.min.isr']),
        'segment.bytes': String(v['transaction.state.log.segment.bytes']),
        'compression.type': 'uncompressed',
        'unclean.leader.election.enable': 'false',
      },
      appendTimeoutMs: v['request.timeout.ms'],
    };
    super(settings, config.brokerId, topics, replicas, metadata, cluster, logger);
  }
}
