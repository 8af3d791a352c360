// TransactionCoordinator (after Kafka's TransactionCoordinator.scala): InitProducerId with a transactional id,
// AddPartitionsToTxn (and its KIP-890 verifyOnly form), AddOffsetsToTxn, EndTxn,
// DescribeTransactions and ListTransactions, over the state machine of TransactionMetadata and
// the records of __transaction_state (TransactionStateManager).
//
// Concurrency: every state change happens on the JS thread. A transition is prepared (its
// pending state makes other requests answer CONCURRENT_TRANSACTIONS), appended with acks=all,
// then applied. EndTxn answers once PrepareCommit/PrepareAbort is written; the markers are then
// written by TransactionMarkerChannel, and CompleteCommit/CompleteAbort is appended once every
// partition has its marker (retried while the log answers COORDINATOR_NOT_AVAILABLE). Kafka's
// scheduler becomes two timers: the abort of timed-out transactions
// (transaction.abort.timed.out.transaction.cleanup.interval.ms) and the expiration of idle
// transactional ids (transaction.remove.expired.transaction.cleanup.interval.ms).
//
// Which transactional ids this broker serves: those whose __transaction_state partition it
// leads, loaded when it becomes leader (onElection, at the partition's leader epoch: the
// coordinator epoch) and dropped when it stops (onResignation), as Kafka's. Loaded
// transactions in PrepareCommit/PrepareAbort get their markers sent again.
//
// Transaction versions (transaction-version.ts): in version 1 the client adds partitions itself;
// in version 2 (KIP-890 part 2) partition leaders add them for it (addPartitionsToTransaction
// with clientTransactionVersion 2, from TransactionVerifier) and every EndTxn bumps the epoch
// (endTxn answers the new producer id and epoch; the markers carry the bumped epoch), as
// Kafka 4.x's endTransaction for TV2, retries of an end recognised by the epoch one below.
// Unlike version 1, a pending transition is checked before the producer id and epoch: while an
// end's markers are written every EndTxn answers CONCURRENT_TRANSACTIONS (the client retries),
// also one at the bumped epoch the end was answered.
//
// Kafka errors are returned as codes. A TransactionStateError thrown from the state machine
// means a coordinator bug; handlers turn it into UNKNOWN_SERVER_ERROR.
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import type { ClusterView } from '../cluster/cluster-view.js';
import type { MetadataStore } from '../cluster/metadata-store.js';
import type { ReplicaManager } from '../partition/replica-manager.js';
import type { TopicService } from '../partition/topic-service.js';
import { ErrorCode } from '../protocol/errors.js';
import { ApiKey } from '../protocol/generated/index.js';
import { GROUP_METADATA_TOPIC_NAME, type LeadershipRole } from '../groups/offsets-topic.js';
import {
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  PRODUCER_EPOCH_MAX,
  TransactionMetadata,
  TransactionState,
  isEpochExhausted,
  transactionStateName,
  type TopicPartitionKey,
  type TxnTransitMetadata,
} from './transaction-metadata.js';
import { TransactionStateManager, transactionConfig, type CoordinatorEpochAndMetadata, type ListedTransaction, type TransactionConfig } from './transaction-state-manager.js';
import { LogTransactionStateStore, TRANSACTION_STATE_TOPIC_NAME, type TransactionStateStore } from './transaction-state-topic.js';
import {
  MARKER_RETRY_BACKOFF_MS,
  TransactionMarkerChannel,
  type LocalTxnMarkerWriter,
  type MarkerDestination,
  type MarkerRouting,
  type RemoteTxnMarkerSender,
} from './transaction-marker-channel.js';
import type { TxnMarkerEntry, TxnMarkerResult } from '../partition/txn-markers.js';
import { TransactionVerifier } from './transaction-verifier.js';
import { InterBrokerConnections } from './inter-broker-connections.js';

const S = TransactionState;

export interface InitProducerIdResult {
  readonly errorCode: number;
  readonly producerId: number;
  readonly producerEpoch: number;
}

/** EndTxn's answer: transaction version 2 gives the client its next producer id and epoch. */
export interface EndTxnResult {
  readonly errorCode: number;
  readonly producerId: number;
  readonly producerEpoch: number;
}

export interface ProducerIdAndEpoch {
  readonly producerId: number;
  readonly producerEpoch: number;
}

export interface TransactionDescription {
  readonly errorCode: number;
  readonly transactionalId: string;
  readonly transactionState: string;
  readonly transactionTimeoutMs: number;
  readonly transactionStartTimeMs: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly topics: { topic: string; partitions: number[] }[];
}

/** FindCoordinator's answer for a transactional id: the leader of its partition, or an error. */
export interface TransactionCoordinatorLookup {
  readonly errorCode: number;
  readonly nodeId: number;
}

export interface TransactionCoordinatorOptions {
  readonly now?: () => number;
  /** Hands out producer ids (ProducerIdManager). */
  readonly generateProducerId: () => number;
  /** The __consumer_offsets partition of a group (AddOffsetsToTxn adds it to the transaction). */
  readonly offsetsPartitionFor: (groupId: string) => number;
}

type ApiResult<T> = { readonly error: number } | { readonly value: T };

export class TransactionCoordinator {
  readonly manager: TransactionStateManager;
  /** KIP-890 verification for partition leaders (set by forBroker; null in a bare coordinator). */
  verifier: TransactionVerifier | null = null;
  private active = false;
  private stopped = false;
  private abortTimer: NodeJS.Timeout | null = null;
  private expirationTimer: NodeJS.Timeout | null = null;
  private readonly now: () => number;
  /** Marker sends and Complete appends in flight (shutdown waits for them to stop). */
  private readonly completions = new Set<Promise<unknown>>();

  constructor(
    readonly config: TransactionConfig,
    private readonly store: TransactionStateStore,
    private readonly markers: TransactionMarkerChannel,
    private readonly logger: Logger,
    private readonly options: TransactionCoordinatorOptions,
  ) {
    this.now = options.now ?? (() => Date.now());
    this.manager = new TransactionStateManager(config, store, logger, this.now);
  }

  /**
   * The coordinator of a broker: __transaction_state in the broker's own logs, markers written
   * through `markerWriter` for the partitions this broker leads and WriteTxnMarkers for the others.
   */
  static forBroker(deps: {
    readonly config: BrokerConfig;
    readonly logger: Logger;
    readonly topics: TopicService;
    readonly replicas: ReplicaManager;
    readonly metadata: MetadataStore;
    readonly cluster: ClusterView;
    readonly markerWriter: LocalTxnMarkerWriter;
    readonly generateProducerId: () => number;
    readonly offsetsPartitionFor: (groupId: string) => number;
  }): TransactionCoordinator {
    const { config, cluster: view } = deps;
    const logger = deps.logger.child({ component: 'transaction-coordinator' });
    const cluster = { clustered: view.clustered, liveBrokerIds: () => view.liveBrokers().map((b) => b.id) };
    const store = new LogTransactionStateStore(config, deps.topics, deps.replicas, deps.metadata, cluster, logger);
    const routing = new ClusterMarkerRouting(config.brokerId, deps.topics, view);
    const remote = new ClientTxnMarkerSender(config, view);
    const channel = new TransactionMarkerChannel(routing, deps.markerWriter, remote, logger);
    const coordinator = new TransactionCoordinator(transactionConfig(config), store, channel, logger, { generateProducerId: deps.generateProducerId, offsetsPartitionFor: deps.offsetsPartitionFor });
    coordinator.verifier = new TransactionVerifier(config, view, coordinator);
    return coordinator;
  }

  // ---------------------------------------------------------------- life cycle

  /**
   * Loads every partition of __transaction_state this broker leads, then starts the timers. In
   * a cluster, also follows leadership from here on.
   */
  async startup(): Promise<void> {
    if (this.store.clustered) {
      this.store.onLeadershipChange((partition, role, leaderEpoch) => this.onLeadershipChange(partition, role, leaderEpoch));
    }
    const count = this.store.partitionCount();
    // One partition at a time, as Kafka's single loading thread (bounded memory at start-up).
    // In a cluster the listener above may have started some loads already.
    for (let p = 0; p < (count ?? 0); p++) {
      if (this.store.isLocal(p) && !this.manager.isOwnedOrLoading(p)) await this.onElection(p, this.store.leaderEpoch(p));
    }
    this.active = true;
    this.abortTimer = setInterval(() => {
      for (const run of this.abortTimedOutTransactions()) void run;
    }, this.config.abortTimedOutTransactionsIntervalMs);
    this.abortTimer.unref();
    this.expirationTimer = setInterval(() => {
      this.manager.removeExpiredTransactionalIds().catch((err: unknown) => this.logger.error({ err }, 'removing expired transactional ids failed'));
    }, this.config.removeExpiredTransactionalIdsIntervalMs);
    this.expirationTimer.unref();
  }

  private onLeadershipChange(partition: number, role: LeadershipRole, leaderEpoch: number): void {
    if (this.stopped) return;
    if (role !== 'leader') return this.onResignation(partition, role);
    // The same leadership reported again (a listener's replay): nothing to reload.
    if (this.manager.coordinatorEpochOf(partition) === leaderEpoch) return;
    this.onElection(partition, leaderEpoch).catch((err: unknown) => this.logger.error({ err, partition }, 'loading a transaction state partition failed'));
  }

  /**
   * Kafka's onElection: this broker leads the partition at `coordinatorEpoch`; its transactions
   * answer COORDINATOR_LOAD_IN_PROGRESS until read back, then those in PrepareCommit or
   * PrepareAbort get their markers written again.
   */
  async onElection(partition: number, coordinatorEpoch: number): Promise<void> {
    this.logger.info({ partition: `${TRANSACTION_STATE_TOPIC_NAME}-${partition}`, coordinatorEpoch }, 'elected as the transaction coordinator of the partition');
    const pending = await this.manager.loadPartition(partition, coordinatorEpoch);
    if (pending === null || this.stopped) return;
    for (const c of pending) this.completeTransaction(c.transactionalId, c.coordinatorEpoch, c.commit, c.metadata, c.transit);
  }

  /** Kafka's onResignation: another broker leads the partition now (or none does). */
  onResignation(partition: number, role: LeadershipRole = 'follower'): void {
    if (this.manager.removePartition(partition)) {
      this.logger.info({ partition: `${TRANSACTION_STATE_TOPIC_NAME}-${partition}`, role }, 'resigned as the transaction coordinator of the partition');
    }
  }

  /** Stops serving: timers stop, marker sends stop, appends in flight finish. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    this.active = false;
    if (this.abortTimer) clearInterval(this.abortTimer);
    if (this.expirationTimer) clearInterval(this.expirationTimer);
    this.abortTimer = this.expirationTimer = null;
    this.markers.stop();
    this.verifier?.close();
    this.manager.clear();
    while (this.completions.size > 0) await Promise.allSettled([...this.completions]);
    await this.manager.drain();
  }

  get isActive(): boolean {
    return this.active;
  }

  partitionFor(transactionalId: string): number {
    return this.manager.partitionFor(transactionalId);
  }

  /** Creates __transaction_state when missing; null when it exists, else the error to answer. */
  private ensureTopic(): number | null {
    if (this.store.partitionCount() !== null) return null;
    const created = this.store.create();
    if (created.errorCode !== ErrorCode.NONE) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const count = this.store.partitionCount() ?? 0;
    this.logger.info({ topic: TRANSACTION_STATE_TOPIC_NAME, partitions: count }, 'created the transaction state topic');
    // A single node leads the new, empty partitions at once; a cluster learns of its leadership
    // through onLeadershipChange and loads them then.
    if (!this.store.clustered) for (let p = 0; p < count; p++) if (this.store.isLocal(p)) this.manager.ownEmptyPartition(p, this.store.leaderEpoch(p));
    return null;
  }

  /**
   * FindCoordinator for a transactional id (Kafka's KafkaApis.getCoordinator): the leader of
   * its partition; COORDINATOR_NOT_AVAILABLE while the topic is being created or the partition
   * has no leader. The first lookup creates __transaction_state.
   */
  /**
   * The broker coordinating `transactionalId` now, without creating __transaction_state (a
   * partition leader verifying a produce, Kafka's AddPartitionsToTxnManager.getTransactionCoordinator):
   * COORDINATOR_NOT_AVAILABLE when the topic does not exist or the partition has no leader.
   */
  coordinatorOf(transactionalId: string): TransactionCoordinatorLookup {
    if (this.store.partitionCount() === null) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1 };
    const leader = this.store.leaderOf(this.partitionFor(transactionalId));
    if (leader === -1) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1 };
    return { errorCode: ErrorCode.NONE, nodeId: leader };
  }

  findCoordinator(transactionalId: string): TransactionCoordinatorLookup {
    const unavailable = { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1 };
    if (!this.active) return unavailable;
    const missing = this.ensureTopic();
    if (missing !== null) return { errorCode: missing, nodeId: -1 };
    const leader = this.store.leaderOf(this.partitionFor(transactionalId));
    if (leader === -1) return unavailable;
    return { errorCode: ErrorCode.NONE, nodeId: leader };
  }

  // ---------------------------------------------------------------- InitProducerId

  /**
   * InitProducerId with a transactional id (Kafka's handleInitProducerId): a new producer id
   * for a new transactional id, else the epoch bumped (fencing older producers); an ongoing
   * transaction is aborted first (CONCURRENT_TRANSACTIONS: the client retries); the producer
   * id is rotated when the epoch is exhausted. `expected` is KIP-360's producer id and epoch.
   */
  async initProducerId(transactionalId: string, transactionTimeoutMs: number, expected: ProducerIdAndEpoch | null): Promise<InitProducerIdResult> {
    const fail = (errorCode: number): InitProducerIdResult => ({ errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH });
    if (transactionalId === '') return fail(ErrorCode.INVALID_REQUEST);
    if (!this.manager.validateTransactionTimeoutMs(transactionTimeoutMs)) return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    let found = this.manager.getTransactionState(transactionalId);
    if (found === null) {
      const now = this.now();
      const created = new TransactionMetadata(transactionalId, this.options.generateProducerId(), NO_PRODUCER_ID, NO_PRODUCER_EPOCH, NO_PRODUCER_EPOCH, transactionTimeoutMs, S.Empty, [], -1, now);
      found = this.manager.putTransactionStateIfNotExists(created);
    }
    if (typeof found === 'number') return fail(found);
    const prepared = this.prepareInitProducerIdTransit(transactionTimeoutMs, found, expected);
    if ('error' in prepared) return fail(prepared.error);
    const transit = prepared.value;
    const { coordinatorEpoch } = found;
    if (transit.txnState === S.PrepareEpochFence) {
      // Abort the ongoing transaction under the bumped epoch, never returned to this client:
      // it retries, and its retry bumps the epoch again (or rotates the producer id).
      const errorCode = await this.endByCoordinator(transactionalId, transit.producerId, transit.producerEpoch, found.metadata.clientTransactionVersion);
      return fail(errorCode !== ErrorCode.NONE ? errorCode : ErrorCode.CONCURRENT_TRANSACTIONS);
    }
    const errorCode = await this.manager.appendTransactionToLog(transactionalId, coordinatorEpoch, transit);
    if (errorCode !== ErrorCode.NONE) {
      this.logger.info({ transactionalId, errorCode }, 'InitProducerId failed');
      return fail(errorCode);
    }
    this.logger.info({ transactionalId, producerId: transit.producerId, producerEpoch: transit.producerEpoch, partition: `${TRANSACTION_STATE_TOPIC_NAME}-${this.partitionFor(transactionalId)}` }, 'initialized transactional id');
    return { errorCode: ErrorCode.NONE, producerId: transit.producerId, producerEpoch: transit.producerEpoch };
  }

  private prepareInitProducerIdTransit(transactionTimeoutMs: number, found: CoordinatorEpochAndMetadata, expected: ProducerIdAndEpoch | null): ApiResult<TxnTransitMetadata> {
    const m = found.metadata;
    // KIP-360: a producer id given with the request must be this id's (or its previous one,
    // with an exhausted epoch: a retry after a rotation), unless the metadata was just created.
    const isValidProducerId = (e: ProducerIdAndEpoch) =>
      m.producerEpoch === NO_PRODUCER_EPOCH || e.producerId === m.producerId || (e.producerId === m.lastProducerId && isEpochExhausted(e.producerEpoch));
    if (m.pendingTransitionInProgress) return { error: ErrorCode.CONCURRENT_TRANSACTIONS };
    if (expected !== null && !isValidProducerId(expected)) return { error: ErrorCode.PRODUCER_FENCED };
    switch (m.state) {
      case S.PrepareAbort:
      case S.PrepareCommit:
        return { error: ErrorCode.CONCURRENT_TRANSACTIONS };
      case S.CompleteAbort:
      case S.CompleteCommit:
      case S.Empty: {
        if (m.isProducerEpochExhausted && (expected === null || expected.producerEpoch === m.producerEpoch)) {
          return { value: m.prepareProducerIdRotation(this.options.generateProducerId(), transactionTimeoutMs, this.now(), expected !== null) };
        }
        const r = m.prepareIncrementProducerEpoch(transactionTimeoutMs, expected?.producerEpoch ?? null, this.now());
        return 'errorCode' in r ? { error: r.errorCode } : { value: r };
      }
      case S.Ongoing:
        return { value: m.prepareFenceProducerEpoch() };
      default:
        // Dead and PrepareEpochFence are never the current state of a cached id.
        return { error: ErrorCode.UNKNOWN_SERVER_ERROR };
    }
  }

  // ---------------------------------------------------------------- AddPartitionsToTxn, AddOffsetsToTxn

  /**
   * Kafka's handleAddPartitionsToTransaction: the partitions join the transaction (Ongoing);
   * partitions already in an ongoing transaction answer NONE without a write.
   */
  async addPartitionsToTransaction(transactionalId: string, producerId: number, producerEpoch: number, partitions: readonly TopicPartitionKey[], clientTransactionVersion = 1): Promise<number> {
    if (transactionalId === '') return ErrorCode.INVALID_REQUEST;
    const found = this.manager.getTransactionState(transactionalId);
    if (typeof found === 'number') return found;
    if (found === null) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    const m = found.metadata;
    if (m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (m.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (m.pendingTransitionInProgress) return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (m.state === S.PrepareCommit || m.state === S.PrepareAbort) return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (m.state === S.Ongoing && partitions.every((p) => m.hasPartition(p))) return ErrorCode.NONE;
    const transit = m.prepareAddPartitions(partitions, this.now(), clientTransactionVersion);
    return this.manager.appendTransactionToLog(transactionalId, found.coordinatorEpoch, transit);
  }

  /**
   * KIP-890 verifyOnly (AddPartitionsToTxn v4+ from a partition leader): whether each partition
   * is in the ongoing transaction; TRANSACTION_ABORTABLE for one that is not, as Kafka 4.x.
   */
  verifyPartitionsInTransaction(transactionalId: string, producerId: number, producerEpoch: number, partitions: readonly TopicPartitionKey[]): { partition: TopicPartitionKey; errorCode: number }[] {
    const all = (errorCode: number) => partitions.map((partition) => ({ partition, errorCode }));
    if (transactionalId === '') return all(ErrorCode.INVALID_REQUEST);
    const found = this.manager.getTransactionState(transactionalId);
    if (typeof found === 'number') return all(found);
    if (found === null) return all(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    const m = found.metadata;
    if (m.producerId !== producerId) return all(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    if (m.producerEpoch !== producerEpoch) return all(ErrorCode.PRODUCER_FENCED);
    if (m.state === S.PrepareCommit || m.state === S.PrepareAbort) return all(ErrorCode.CONCURRENT_TRANSACTIONS);
    return partitions.map((partition) => ({ partition, errorCode: m.hasPartition(partition) ? ErrorCode.NONE : ErrorCode.TRANSACTION_ABORTABLE }));
  }

  /** Kafka's AddOffsetsToTxn: the group's __consumer_offsets partition joins the transaction. */
  addOffsetsToTransaction(transactionalId: string, producerId: number, producerEpoch: number, groupId: string): Promise<number> {
    return this.addPartitionsToTransaction(transactionalId, producerId, producerEpoch, [this.offsetsPartitionOf(groupId)]);
  }

  /** The __consumer_offsets partition of a group, as a transaction holds it. */
  offsetsPartitionOf(groupId: string): TopicPartitionKey {
    return { topic: GROUP_METADATA_TOPIC_NAME, partition: this.options.offsetsPartitionFor(groupId) };
  }

  // ---------------------------------------------------------------- EndTxn

  /** EndTxn from a client of transaction version 1 (Kafka's handleEndTransaction). */
  endTxn(transactionalId: string, producerId: number, producerEpoch: number, commit: boolean): Promise<number> {
    return this.endTransaction(transactionalId, producerId, producerEpoch, commit, true);
  }

  /**
   * EndTxn from a client of either version (Kafka's handleEndTransaction). Transaction version 1 answers the
   * producer id and epoch unchanged; version 2 the bumped epoch (or, at an exhausted epoch,
   * the next producer id at epoch 0).
   */
  async endTxnWithVersion(transactionalId: string, producerId: number, producerEpoch: number, commit: boolean, clientTransactionVersion: number): Promise<EndTxnResult> {
    if (clientTransactionVersion >= 2) return this.endTransactionV2(transactionalId, producerId, producerEpoch, commit, true);
    const errorCode = await this.endTransaction(transactionalId, producerId, producerEpoch, commit, true);
    return errorCode === ErrorCode.NONE ? { errorCode, producerId, producerEpoch } : { errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH };
  }

  /**
   * Kafka's endTransaction for transaction version 2. The epoch is bumped in the
   * PrepareCommit/PrepareAbort record (prepareAbortOrCommit), so a retry of an end that was
   * written comes with the epoch one below the current one (or, after a rotation, the previous
   * producer id at the exhausted epoch) and answers NONE with the current id and epoch. An abort
   * of a transaction without partitions (Empty, or Complete* not a retry) is allowed: the client
   * cannot know whether a leader added a partition for it. From the coordinator (isFromClient
   * false: a fence, a timeout) the epoch given is the fenced one.
   */
  private async endTransactionV2(transactionalId: string, producerId: number, producerEpoch: number, commit: boolean, isFromClient: boolean): Promise<EndTxnResult> {
    const fail = (errorCode: number): EndTxnResult => ({ errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH });
    if (transactionalId === '') return fail(ErrorCode.INVALID_REQUEST);
    const found = this.manager.getTransactionState(transactionalId);
    if (typeof found === 'number') return fail(found);
    if (found === null) return fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    const { coordinatorEpoch, metadata: m } = found;
    const isEpochFence = m.pendingState === S.PrepareEpochFence;
    const retryOnOverflow = !isEpochFence && m.lastProducerId === producerId && producerEpoch === PRODUCER_EPOCH_MAX - 1 && m.producerEpoch === 0;
    const retryOnEpochBump = !isEpochFence && m.producerEpoch === producerEpoch + 1;
    const isRetry = retryOnEpochBump || retryOnOverflow;
    let isValidEpoch: boolean;
    if (isEpochFence) isValidEpoch = (!isFromClient || producerEpoch === m.producerEpoch) && producerEpoch >= m.producerEpoch;
    else if (m.state === S.PrepareCommit || m.state === S.PrepareAbort) isValidEpoch = retryOnEpochBump;
    else if (m.state === S.CompleteCommit || m.state === S.CompleteAbort) isValidEpoch = isRetry || producerEpoch === m.producerEpoch;
    else isValidEpoch = producerEpoch === m.producerEpoch;
    // Kafka checks a pending transition first (unlike version 1): while the markers of an end are
    // written (pending CompleteCommit/CompleteAbort, the bumped epoch already in the metadata) every
    // EndTxn, also one at the bumped epoch it was answered, is CONCURRENT_TRANSACTIONS and retried;
    // so is one that uses a next producer id still only pending.
    if (m.pendingTransitionInProgress && !isEpochFence) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    if (m.producerId !== producerId && !retryOnOverflow) return fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    if (!isValidEpoch) return fail(ErrorCode.PRODUCER_FENCED);
    const current = (): EndTxnResult => ({ errorCode: ErrorCode.NONE, producerId: m.producerId, producerEpoch: m.producerEpoch });
    let next: typeof S.PrepareCommit | typeof S.PrepareAbort;
    let noPartitionAdded = false;
    switch (m.state) {
      case S.Ongoing:
        next = commit ? S.PrepareCommit : S.PrepareAbort;
        break;
      case S.CompleteCommit:
        if (commit) return isRetry ? current() : fail(this.invalidState(transactionalId, m.state, commit));
        if (isRetry) return fail(this.invalidState(transactionalId, m.state, commit));
        next = S.PrepareAbort;
        noPartitionAdded = true;
        break;
      case S.CompleteAbort:
        if (commit) return fail(this.invalidState(transactionalId, m.state, commit));
        if (isRetry) return current();
        next = S.PrepareAbort;
        noPartitionAdded = true;
        break;
      // Only a retry (the epoch below) gets here: the same end is still being completed.
      case S.PrepareCommit:
        return fail(commit ? ErrorCode.CONCURRENT_TRANSACTIONS : this.invalidState(transactionalId, m.state, commit));
      case S.PrepareAbort:
        return fail(!commit ? ErrorCode.CONCURRENT_TRANSACTIONS : this.invalidState(transactionalId, m.state, commit));
      case S.Empty:
        if (commit) return fail(this.invalidState(transactionalId, m.state, commit));
        next = S.PrepareAbort;
        noPartitionAdded = true;
        break;
      default:
        return fail(ErrorCode.UNKNOWN_SERVER_ERROR);
    }
    if (isEpochFence && next === S.PrepareAbort) {
      // The fence: the fenced epoch goes into the metadata, bumped once more by the abort.
      m.pendingState = null;
      m.producerEpoch = producerEpoch;
      m.lastProducerEpoch = NO_PRODUCER_EPOCH;
    }
    // At an exhausted epoch the transaction ends under the last epoch and the client continues
    // with a new producer id (Kafka's nextProducerId).
    const nextProducerId = !isEpochFence && m.isProducerEpochExhausted ? this.options.generateProducerId() : NO_PRODUCER_ID;
    const transit = m.prepareAbortOrCommit(next, this.now(), 2, nextProducerId, noPartitionAdded);
    const errorCode = await this.manager.appendTransactionToLog(transactionalId, coordinatorEpoch, transit);
    if (errorCode !== ErrorCode.NONE) {
      this.logger.info({ transactionalId, commit, errorCode, coordinatorEpoch }, 'could not write the end of the transaction; markers are not sent');
      if (isEpochFence) {
        const now = this.manager.getTransactionState(transactionalId);
        if (now !== null && typeof now !== 'number' && now.coordinatorEpoch === coordinatorEpoch) now.metadata.hasFailedEpochFence = true;
      }
      return fail(errorCode);
    }
    const after = this.manager.getTransactionState(transactionalId);
    if (typeof after === 'number') return fail(after);
    if (after === null || after.coordinatorEpoch !== coordinatorEpoch) return fail(ErrorCode.NOT_COORDINATOR);
    const a = after.metadata;
    if (a.producerId !== transit.producerId) return fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    if (a.producerEpoch !== transit.producerEpoch) return fail(ErrorCode.PRODUCER_FENCED);
    if (a.pendingTransitionInProgress) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    if (a.state !== next) return fail(this.invalidState(transactionalId, a.state, commit));
    // What the client continues with: the bumped epoch, or the next producer id at epoch 0.
    const answer: EndTxnResult = a.nextProducerId !== NO_PRODUCER_ID ? { errorCode: ErrorCode.NONE, producerId: a.nextProducerId, producerEpoch: 0 } : { errorCode: ErrorCode.NONE, producerId: a.producerId, producerEpoch: a.producerEpoch };
    const complete = a.prepareComplete(this.now());
    this.completeTransaction(transactionalId, coordinatorEpoch, next === S.PrepareCommit, a, complete);
    return answer;
  }

  /**
   * Kafka's endTransaction: writes PrepareCommit/PrepareAbort, answers, then writes the markers
   * and CompleteCommit/CompleteAbort. From the coordinator itself (isFromClient false: a fence
   * by InitProducerId, a timeout) the epoch given is the bumped one.
   */
  private async endTransaction(transactionalId: string, producerId: number, producerEpoch: number, commit: boolean, isFromClient: boolean): Promise<number> {
    if (transactionalId === '') return ErrorCode.INVALID_REQUEST;
    const found = this.manager.getTransactionState(transactionalId);
    if (typeof found === 'number') return found;
    if (found === null) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    const { coordinatorEpoch, metadata: m } = found;
    let isEpochFence = false;
    let transit: TxnTransitMetadata;
    if (m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    // A client's epoch must be the current one; the coordinator's own may be the bumped one.
    if ((isFromClient && producerEpoch !== m.producerEpoch) || producerEpoch < m.producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (m.pendingTransitionInProgress && m.pendingState !== S.PrepareEpochFence) return ErrorCode.CONCURRENT_TRANSACTIONS;
    switch (m.state) {
      case S.Ongoing: {
        const next = commit ? S.PrepareCommit : S.PrepareAbort;
        if (next === S.PrepareAbort && m.pendingState === S.PrepareEpochFence) {
          // The fence: the bumped epoch goes into the PrepareAbort record and the markers.
          isEpochFence = true;
          m.pendingState = null;
          m.producerEpoch = producerEpoch;
          m.lastProducerEpoch = NO_PRODUCER_EPOCH;
        }
        transit = m.prepareAbortOrCommit(next, this.now(), 1);
        break;
      }
      case S.CompleteCommit:
        return commit ? ErrorCode.NONE : this.invalidState(transactionalId, m.state, commit);
      case S.CompleteAbort:
        return !commit ? ErrorCode.NONE : this.invalidState(transactionalId, m.state, commit);
      case S.PrepareCommit:
        return commit ? ErrorCode.CONCURRENT_TRANSACTIONS : this.invalidState(transactionalId, m.state, commit);
      case S.PrepareAbort:
        return !commit ? ErrorCode.CONCURRENT_TRANSACTIONS : this.invalidState(transactionalId, m.state, commit);
      case S.Empty:
        return this.invalidState(transactionalId, m.state, commit);
      default:
        return ErrorCode.UNKNOWN_SERVER_ERROR;
    }
    const errorCode = await this.manager.appendTransactionToLog(transactionalId, coordinatorEpoch, transit);
    if (errorCode !== ErrorCode.NONE) {
      this.logger.info({ transactionalId, commit, errorCode, coordinatorEpoch }, 'could not write the end of the transaction; markers are not sent');
      if (isEpochFence) {
        const now = this.manager.getTransactionState(transactionalId);
        // The bumped epoch is in memory but not in the log: the next fence does not bump again.
        if (now !== null && typeof now !== 'number' && now.coordinatorEpoch === coordinatorEpoch) now.metadata.hasFailedEpochFence = true;
      }
      return errorCode;
    }
    // Written: check again before sending the markers (Kafka's sendTxnMarkersCallback).
    const after = this.manager.getTransactionState(transactionalId);
    if (typeof after === 'number') return after;
    if (after === null) return ErrorCode.NOT_COORDINATOR;
    if (after.coordinatorEpoch !== coordinatorEpoch) return ErrorCode.NOT_COORDINATOR;
    const a = after.metadata;
    if (a.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (a.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (a.pendingTransitionInProgress) return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (a.state !== (commit ? S.PrepareCommit : S.PrepareAbort)) return this.invalidState(transactionalId, a.state, commit);
    const complete = a.prepareComplete(this.now());
    this.completeTransaction(transactionalId, coordinatorEpoch, commit, a, complete);
    return ErrorCode.NONE;
  }

  /** An abort the coordinator decides (a fence, a timeout), at the fenced epoch, in the transaction's version. */
  private async endByCoordinator(transactionalId: string, producerId: number, fencedEpoch: number, clientTransactionVersion: number): Promise<number> {
    if (clientTransactionVersion >= 2) return (await this.endTransactionV2(transactionalId, producerId, fencedEpoch, false, false)).errorCode;
    return this.endTransaction(transactionalId, producerId, fencedEpoch, false, false);
  }

  private invalidState(transactionalId: string, state: TransactionState, commit: boolean): number {
    this.logger.debug({ transactionalId, state: transactionStateName(state), result: commit ? 'COMMIT' : 'ABORT' }, 'EndTxn in a state that does not allow it');
    return ErrorCode.INVALID_TXN_STATE;
  }

  /**
   * Writes the markers, then CompleteCommit/CompleteAbort (Kafka's addTxnMarkersToSend and
   * the channel's append of the completion): in the background, tracked for shutdown.
   */
  private completeTransaction(transactionalId: string, coordinatorEpoch: number, commit: boolean, metadata: TransactionMetadata, complete: TxnTransitMetadata): void {
    const isCurrent = () => !this.stopped && this.manager.isCurrent(transactionalId, coordinatorEpoch, metadata);
    const run = async () => {
      const sent = await this.markers.sendMarkers({ transactionalId, coordinatorEpoch, commit, metadata, isCurrent });
      if (sent !== 'done') return;
      for (;;) {
        if (!isCurrent()) return;
        const errorCode = await this.manager.appendTransactionToLog(transactionalId, coordinatorEpoch, complete, (code) => code === ErrorCode.COORDINATOR_NOT_AVAILABLE);
        if (errorCode === ErrorCode.NONE) {
          this.logger.debug({ transactionalId, commit }, 'completed the transaction');
          return;
        }
        if (errorCode !== ErrorCode.COORDINATOR_NOT_AVAILABLE) {
          // NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS: the new coordinator completes it from the log.
          this.logger.info({ transactionalId, commit, errorCode }, 'could not write the completion of the transaction; giving it up');
          return;
        }
        await this.markers.sleep(MARKER_RETRY_BACKOFF_MS);
      }
    };
    const p = run().catch((err: unknown) => this.logger.error({ err, transactionalId }, 'completing a transaction failed'));
    this.completions.add(p);
    void p.finally(() => this.completions.delete(p));
  }

  // ---------------------------------------------------------------- timeouts

  /**
   * Kafka's abortTimedOutTransactions: each Ongoing transaction past its timeout is fenced
   * (epoch bumped) and aborted, so that its producer cannot commit it any more.
   */
  abortTimedOutTransactions(): Promise<void>[] {
    const runs: Promise<void>[] = [];
    for (const t of this.manager.timedOutTransactions()) {
      const found = this.manager.getTransactionState(t.transactionalId);
      if (found === null || typeof found === 'number') continue;
      const m = found.metadata;
      if (m.producerId !== t.producerId || m.pendingTransitionInProgress) continue;
      let transit: TxnTransitMetadata;
      try {
        transit = m.prepareFenceProducerEpoch();
      } catch (err) {
        this.logger.error({ err, transactionalId: t.transactionalId }, 'cannot fence a timed-out transaction');
        continue;
      }
      this.logger.info({ transactionalId: t.transactionalId, producerId: m.producerId, producerEpoch: m.producerEpoch, timeoutMs: m.txnTimeoutMs }, 'aborting a timed-out transaction');
      runs.push(
        this.endByCoordinator(t.transactionalId, transit.producerId, transit.producerEpoch, m.clientTransactionVersion).then((errorCode) => {
          if (errorCode === ErrorCode.NONE) this.logger.info({ transactionalId: t.transactionalId }, 'rolled back the timed-out transaction');
          else if (errorCode === ErrorCode.INVALID_PRODUCER_ID_MAPPING || errorCode === ErrorCode.PRODUCER_FENCED || errorCode === ErrorCode.CONCURRENT_TRANSACTIONS) {
            this.logger.debug({ transactionalId: t.transactionalId, errorCode }, 'rollback of the timed-out transaction cancelled');
          } else this.logger.warn({ transactionalId: t.transactionalId, errorCode }, 'rollback of the timed-out transaction failed');
        }, (err: unknown) => this.logger.error({ err, transactionalId: t.transactionalId }, 'rollback of the timed-out transaction failed')),
      );
    }
    return runs;
  }

  // ---------------------------------------------------------------- DescribeTransactions, ListTransactions

  describeTransaction(transactionalId: string): TransactionDescription {
    const base = { transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [] };
    if (!this.active) return { ...base, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    if (transactionalId === '') return { ...base, errorCode: ErrorCode.INVALID_REQUEST };
    const found = this.manager.getTransactionState(transactionalId);
    if (typeof found === 'number') return { ...base, errorCode: found };
    // A Dead id is being expired: as good as gone.
    if (found === null || found.metadata.state === S.Dead) return { ...base, errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND };
    const m = found.metadata;
    const byTopic = new Map<string, number[]>();
    for (const p of m.partitions()) {
      let list = byTopic.get(p.topic);
      if (!list) byTopic.set(p.topic, (list = []));
      list.push(p.partition);
    }
    return {
      errorCode: ErrorCode.NONE,
      transactionalId,
      transactionState: transactionStateName(m.state),
      transactionTimeoutMs: m.txnTimeoutMs,
      transactionStartTimeMs: m.txnStartTimestamp,
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    };
  }

  listTransactions(producerIds: readonly number[], states: readonly string[], durationFilterMs: number, transactionalIdPattern: RegExp | null = null): { errorCode: number; unknownStateFilters: string[]; transactionStates: ListedTransaction[] } {
    if (!this.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, unknownStateFilters: [], transactionStates: [] };
    return this.manager.listTransactionStates(producerIds, states, durationFilterMs, transactionalIdPattern);
  }
}

// ---------------------------------------------------------------- the marker channel over the cluster

/** Where a partition's leader is, from this broker's topics and the cluster's leadership. */
export class ClusterMarkerRouting implements MarkerRouting {
  constructor(
    private readonly brokerId: number,
    private readonly topics: TopicService,
    private readonly cluster: ClusterView,
  ) {}

  destination(topic: string, partition: number): MarkerDestination {
    const t = this.topics.getTopic(topic);
    if (!t || partition < 0 || partition >= t.partitions.length) return { kind: 'deleted' };
    const leadership = this.cluster.partitionLeadership(topic, partition, () => {
      const p = this.topics.partition(topic, partition);
      return p ? { leader: p.leaderId, leaderEpoch: p.leaderEpoch, isr: p.isr } : null;
    });
    if (!leadership || leadership.leader < 0) return { kind: 'unavailable' };
    if (leadership.leader === this.brokerId) return { kind: 'local' };
    return { kind: 'remote', brokerId: leadership.leader };
  }
}

/** WriteTxnMarkers to other brokers over the inter-broker listener, one connection per broker. */
export class ClientTxnMarkerSender implements RemoteTxnMarkerSender {
  private readonly connections: InterBrokerConnections;

  constructor(config: BrokerConfig, cluster: ClusterView) {
    this.connections = new InterBrokerConnections(config, cluster, 'txn-markers');
  }

  async send(brokerId: number, markers: TxnMarkerEntry[]): Promise<TxnMarkerResult[]> {
    const conn = await this.connections.get(brokerId);
    const version = conn.version(ApiKey.WriteTxnMarkers, 0, 2, 'WriteTxnMarkers');
    const response = await conn.send(ApiKey.WriteTxnMarkers, version, {
      markers: markers.map((m) => {
        const byTopic = new Map<string, number[]>();
        for (const p of m.partitions) {
          let list = byTopic.get(p.topic);
          if (!list) byTopic.set(p.topic, (list = []));
          list.push(p.partition);
        }
        return {
          producerId: m.producerId,
          producerEpoch: m.producerEpoch,
          transactionResult: m.commit,
          coordinatorEpoch: m.coordinatorEpoch,
          // v2 only (ignorable below it).
          transactionVersion: m.transactionVersion ?? 0,
          topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
        };
      }),
    });
    return response.markers.map((r) => ({
      producerId: r.producerId,
      partitions: r.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode }))),
    }));
  }

  close(): void {
    this.connections.close();
  }
}
