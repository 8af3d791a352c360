// InternalTopicStore: a coordinator's internal topic (__consumer_offsets for the group
// coordinator, __transaction_state for the transaction coordinator) in this broker's own
// logs: creating it on first use as Kafka does (KafkaApis.createInternalTopic: refused while
// fewer brokers are alive than its replication factor, COORDINATOR_NOT_AVAILABLE while the
// creation is under way), who leads each partition, this broker's role as it changes, appends
// with acks=-1 as the coordinator (internal: control and transactional batches allowed,
// clients' checks skipped) and reads of a partition back to its log end when it is loaded.
// What differs per topic is its settings (InternalTopicSettings); groups/offsets-topic.ts and
// txn/transaction-state-topic.ts add their own seam on top.
import type { Logger } from 'pino';
import type { MetadataStore } from '../cluster/metadata-store.js';
import { ErrorCode } from '../protocol/errors.js';
import type { VerificationGuard } from './producer-state.js';
import type { ReplicaManager } from './replica-manager.js';
import type { LeadershipRole, TopicService } from './topic-service.js';

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

/** What an internal topic store needs of the cluster (a single node: itself alone). */
export interface InternalTopicCluster {
  /** Whether zookeeper.connect is set. */
  readonly clustered: boolean;
  /** Broker ids registered now (Kafka's alive brokers). */
  liveBrokerIds(): readonly number[];
}

/** One internal topic's settings, from the broker config. */
export interface InternalTopicSettings {
  readonly name: string;
  /** How Kafka's messages name it ("offsets topic", "transactions state topic"). */
  readonly description: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** The config key of the replication factor, for the message when too few brokers are alive. */
  readonly replicationFactorKey: string;
  readonly topicConfigs: Readonly<Record<string, string>>;
  /** How long an append waits for the ISR (Kafka: offsets.commit.timeout.ms, request.timeout.ms). */
  readonly appendTimeoutMs: number;
}

export class InternalTopicStore {
  /** A creation sent to ZooKeeper and not yet answered: coordinator lookups retrying do not repeat it. */
  private creating: Promise<unknown> | null = null;

  constructor(
    protected readonly settings: InternalTopicSettings,
    private readonly brokerId: number,
    protected readonly topics: TopicService,
    private readonly replicas: ReplicaManager,
    private readonly metadata: MetadataStore,
    private readonly cluster: InternalTopicCluster,
    private readonly logger: Logger,
  ) {}

  get clustered(): boolean {
    return this.cluster.clustered;
  }

  partitionCount(): number | null {
    const t = this.topics.getTopic(this.settings.name);
    return t ? t.partitions.length : null;
  }

  /**
   * Creates the topic; NONE when it exists on return (single node), else
   * COORDINATOR_NOT_AVAILABLE: while a cluster creates it, or while fewer brokers are alive
   * than its replication factor (Kafka's check and message).
   */
  create(): AppendOutcome {
    const { name, description, replicationFactor, replicationFactorKey } = this.settings;
    if (this.topics.getTopic(name)) return { errorCode: ErrorCode.NONE, errorMessage: null };
    const alive = this.cluster.liveBrokerIds().length;
    if (alive < replicationFactor) {
      this.logger.error(
        `Number of alive brokers '${alive}' does not meet the required replication factor '${replicationFactor}' for the ${description} ` +
          `(configured via '${replicationFactorKey}'). This error can be ignored if the cluster is starting up and not all brokers are up yet.`,
      );
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: `Number of alive brokers '${alive}' does not meet the required replication factor '${replicationFactor}' for the ${description}` };
    }
    const beingCreated = { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: `The ${description} is being created` };
    if (this.creating) return beingCreated;
    const creating = this.topics.createTopic(name, this.settings.partitions, replicationFactor, this.settings.topicConfigs).then((result) => {
      if (result.errorCode !== ErrorCode.NONE && result.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
        // Clients see COORDINATOR_NOT_AVAILABLE and retry.
        this.logger.warn({ topic: name, errorCode: result.errorCode, reason: result.errorMessage }, `could not create the ${description}`);
      }
    });
    this.creating = creating;
    void creating.finally(() => {
      if (this.creating === creating) this.creating = null;
    });
    // With the local store the topic exists now (or creation failed); with ZooKeeper it
    // appears when the write is acknowledged: until then, as Kafka, COORDINATOR_NOT_AVAILABLE.
    return this.topics.getTopic(name) ? { errorCode: ErrorCode.NONE, errorMessage: null } : beingCreated;
  }

  /** The partition's leader: in a cluster the controller's decision, whether or not this broker holds a replica; -1 for none. */
  leaderOf(partition: number): number {
    const state = this.metadata.partitionState?.(this.settings.name, partition);
    if (state) return state.leader;
    if (this.cluster.clustered) return -1;
    return this.topics.partition(this.settings.name, partition)?.leaderId ?? -1;
  }

  /** Whether this broker leads the partition now (single node: always). */
  isLocal(partition: number): boolean {
    const p = this.topics.partition(this.settings.name, partition);
    return p !== undefined && p.leaderId === this.brokerId;
  }

  /** The partition's leader epoch as this broker knows it (0 before any). */
  leaderEpoch(partition: number): number {
    return Math.max(0, this.topics.partition(this.settings.name, partition)?.leaderEpoch ?? 0);
  }

  /** Calls back after this broker's role for a partition of the topic changed, with the partition's leader epoch. */
  onLeadershipChange(listener: (partition: number, role: LeadershipRole, leaderEpoch: number) => void): void {
    this.topics.onLeadershipChange((p, role) => {
      if (p.topic === this.settings.name) listener(p.index, role, Math.max(0, p.leaderEpoch));
    });
  }

  logStartOffset(partition: number): number {
    return this.topics.partition(this.settings.name, partition)?.logStartOffset ?? 0;
  }

  /**
   * Appends one batch as the coordinator with acks=-1 within the topic's append timeout
   * (REQUEST_TIMED_OUT after it); Kafka error codes in the result, never a throw.
   * `verificationGuard`: a transactional batch verified with the transaction coordinator
   * under it (KIP-890), refused if the transaction ended since.
   */
  async append(partition: number, batch: Buffer, verificationGuard?: VerificationGuard): Promise<AppendResult> {
    const r = await this.replicas.appendToPartition(this.settings.name, partition, batch, -1, true, this.settings.appendTimeoutMs, undefined, verificationGuard);
    return { errorCode: r.errorCode, errorMessage: r.errorMessage, baseOffset: r.errorCode === ErrorCode.NONE ? r.baseOffset : -1 };
  }

  /** Reads from `offset` to the log end (Kafka loads with FetchIsolation.LOG_END), at most about maxBytes (the first batch whole). */
  async read(partition: number, offset: number, maxBytes: number): Promise<PartitionChunk> {
    const p = this.topics.partition(this.settings.name, partition);
    if (!p) return { bytes: Buffer.alloc(0), logEndOffset: 0 };
    const read = p.read(offset, maxBytes, 'replica', true);
    const bytes = read.slice ? await read.slice.toBuffer() : Buffer.alloc(0);
    return { bytes, logEndOffset: read.logEndOffset };
  }
}

/**
 * What a coordinator answers for the error of an append to its internal topic (Kafka's
 * storeGroup and appendTransactionToLog mappings): the partition not ready or the ISR late
 * is COORDINATOR_NOT_AVAILABLE (the client retries), leadership lost NOT_COORDINATOR (the
 * client looks the coordinator up again), a batch too large UNKNOWN_SERVER_ERROR; null for an
 * error neither maps (the caller logs it and passes it on).
 */
export function coordinatorErrorOf(appendErrorCode: number): number | null {
  switch (appendErrorCode) {
    case ErrorCode.NONE:
      return ErrorCode.NONE;
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return null;
  }
}
