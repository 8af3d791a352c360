// TransactionStateManager (after Kafka's TransactionStateManager.scala): the storage side of
// the transaction coordinator. It maps a transactional id to its __transaction_state
// partition, holds the cache of TransactionMetadata of the partitions this broker leads (each
// with the coordinator epoch it was loaded at), writes transitions and tombstones as record
// batches, and reads a partition back when this broker becomes its leader.
//
// Every method runs on the JS thread; appends are awaited, and the cache changes only after an
// append succeeded and the partition is still owned at the same coordinator epoch (Kafka's
// check after appendTransactionToLog): a resignation or a re-election while the append was in
// flight answers NOT_COORDINATOR, and the new owner reads the record back from the log.
//
// Loading (Kafka's loadTransactionsForTxnTopicPartition): the partition answers
// COORDINATOR_LOAD_IN_PROGRESS while it is read from the log start to the log end; the latest
// value of a key wins, a tombstone deletes it. A load overtaken by a resignation or a newer
// election is discarded.
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import { ErrorCode } from '../protocol/errors.js';
import { decodeRecordBatches, encodeRecordBatch, type ConsumedBatch, type ProducerRecord } from '../client/record-batch.js';
import {
  decodeTransactionLogKey,
  decodeTransactionLogValue,
  transactionLogKey,
  transactionLogValue,
} from './transaction-log.js';
import {
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  TransactionMetadata,
  TransactionState,
  isExpirationAllowed,
  transactionStateFromName,
  transactionStateName,
  type TxnTransitMetadata,
} from './transaction-metadata.js';
import { partitionForTransactionalId, TRANSACTION_STATE_TOPIC_NAME, type TransactionStateStore } from './transaction-state-topic.js';
import { coordinatorErrorOf } from '../partition/internal-topic-store.js';

/** Kafka's TransactionConfig: the transaction.* broker keys the coordinator uses. */
export interface TransactionConfig {
  readonly transactionalIdExpirationMs: number;
  readonly transactionMaxTimeoutMs: number;
  readonly transactionLogNumPartitions: number;
  readonly transactionLogLoadBufferBytes: number;
  readonly abortTimedOutTransactionsIntervalMs: number;
  readonly removeExpiredTransactionalIdsIntervalMs: number;
}

export function transactionConfig(config: BrokerConfig): TransactionConfig {
  const v = config.values;
  return {
    transactionalIdExpirationMs: v['transactional.id.expiration.ms'],
    transactionMaxTimeoutMs: v['transaction.max.timeout.ms'],
    transactionLogNumPartitions: v['transaction.state.log.num.partitions'],
    transactionLogLoadBufferBytes: v['transaction.state.log.load.buffer.size'],
    abortTimedOutTransactionsIntervalMs: v['transaction.abort.timed.out.transaction.cleanup.interval.ms'],
    removeExpiredTransactionalIdsIntervalMs: v['transaction.remove.expired.transaction.cleanup.interval.ms'],
  };
}

/** A transactional id's metadata with the coordinator epoch of its partition (Kafka's CoordinatorEpochAndTxnMetadata). */
export interface CoordinatorEpochAndMetadata {
  readonly coordinatorEpoch: number;
  readonly metadata: TransactionMetadata;
}

/** getTransactionState's answer: an error code, the metadata, or null when the id is unknown here. */
export type TransactionStateLookup = number | CoordinatorEpochAndMetadata | null;

/** A transaction loaded in PrepareCommit or PrepareAbort: its markers must be (re)sent. */
export interface PendingCompletion {
  readonly transactionalId: string;
  readonly coordinatorEpoch: number;
  readonly commit: boolean;
  readonly metadata: TransactionMetadata;
  readonly transit: TxnTransitMetadata;
}

export interface TimedOutTransaction {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
}

export interface ListedTransaction {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly transactionState: string;
}

interface PartitionEntry {
  readonly coordinatorEpoch: number;
  readonly byId: Map<string, TransactionMetadata>;
}

export class TransactionStateManager {
  /** Owned partitions: their coordinator epoch and transactions (Kafka's transactionMetadataCache). */
  private readonly cache = new Map<number, PartitionEntry>();
  /** Partitions being read back, with the load's token (Kafka's loadingPartitions). */
  private readonly loading = new Map<number, number>();
  private loadTokens = 0;
  /** Partitions loaded since start, and how long they took (the coordinator's load metrics). */
  readonly loadStats = { loads: 0, totalMs: 0, maxMs: 0 };
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    readonly config: TransactionConfig,
    private readonly store: TransactionStateStore,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  // ---------------------------------------------------------------- partitions

  /** The partition count in use: the topic's, or transaction.state.log.num.partitions until it exists. */
  partitionCount(): number {
    return this.store.partitionCount() ?? this.config.transactionLogNumPartitions;
  }

  partitionFor(transactionalId: string): number {
    return partitionForTransactionalId(transactionalId, this.partitionCount());
  }

  /** Kafka's validateTransactionTimeoutMs. */
  validateTransactionTimeoutMs(txnTimeoutMs: number): boolean {
    return txnTimeoutMs <= this.config.transactionMaxTimeoutMs && txnTimeoutMs > 0;
  }

  isOwned(partition: number): boolean {
    return this.cache.has(partition);
  }

  isOwnedOrLoading(partition: number): boolean {
    return this.cache.has(partition) || this.loading.has(partition);
  }

  /** The coordinator epoch the partition was loaded at; null when it is not owned (or still loading). */
  coordinatorEpochOf(partition: number): number | null {
    return this.cache.get(partition)?.coordinatorEpoch ?? null;
  }

  ownedPartitions(): number[] {
    return [...this.cache.keys()];
  }

  get isLoading(): boolean {
    return this.loading.size > 0;
  }

  /** Owns a partition known to be empty (a topic this broker just created): no read needed. */
  ownEmptyPartition(partition: number, coordinatorEpoch: number): void {
    if (this.cache.has(partition) || this.loading.has(partition)) return;
    this.cache.set(partition, { coordinatorEpoch, byId: new Map() });
  }

  /**
   * Kafka's getTransactionState: COORDINATOR_LOAD_IN_PROGRESS while the id's partition loads,
   * NOT_COORDINATOR when this broker does not own it, else the metadata (null when unknown).
   */
  getTransactionState(transactionalId: string): TransactionStateLookup {
    const partition = this.partitionFor(transactionalId);
    if (this.loading.has(partition)) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    const entry = this.cache.get(partition);
    if (!entry) return ErrorCode.NOT_COORDINATOR;
    const metadata = entry.byId.get(transactionalId);
    return metadata ? { coordinatorEpoch: entry.coordinatorEpoch, metadata } : null;
  }

  /** Kafka's putTransactionStateIfNotExists: the cached metadata of the id, adding `metadata` when there is none. */
  putTransactionStateIfNotExists(metadata: TransactionMetadata): number | CoordinatorEpochAndMetadata {
    const partition = this.partitionFor(metadata.transactionalId);
    if (this.loading.has(partition)) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    const entry = this.cache.get(partition);
    if (!entry) return ErrorCode.NOT_COORDINATOR;
    let current = entry.byId.get(metadata.transactionalId);
    if (!current) entry.byId.set(metadata.transactionalId, (current = metadata));
    return { coordinatorEpoch: entry.coordinatorEpoch, metadata: current };
  }

  /** Whether `metadata` is still the cached one of its id at `coordinatorEpoch` (a marker loop's check). */
  isCurrent(transactionalId: string, coordinatorEpoch: number, metadata: TransactionMetadata): boolean {
    const found = this.getTransactionState(transactionalId);
    return found !== null && typeof found !== 'number' && found.coordinatorEpoch === coordinatorEpoch && found.metadata === metadata;
  }

  // ---------------------------------------------------------------- appends

  /**
   * Kafka's appendTransactionToLog: writes the transition with acks=all, then applies it if the
   * partition is still owned at the same coordinator epoch. Resolves with the error code the
   * caller answers: the log's errors mapped as Kafka maps them (COORDINATOR_NOT_AVAILABLE for
   * what a retry may fix, NOT_COORDINATOR when leadership moved). After a failure the pending
   * state is cleared, unless `retryOnError` says the caller retries the same transition.
   */
  appendTransactionToLog(transactionalId: string, coordinatorEpoch: number, transit: TxnTransitMetadata, retryOnError: (errorCode: number) => boolean = () => false): Promise<number> {
    return this.track(this.doAppend(transactionalId, coordinatorEpoch, transit, retryOnError));
  }

  private async doAppend(transactionalId: string, coordinatorEpoch: number, transit: TxnTransitMetadata, retryOnError: (errorCode: number) => boolean): Promise<number> {
    const record: ProducerRecord = {
      key: transactionLogKey(transactionalId),
      value: transactionLogValue({
        producerId: transit.producerId,
        producerEpoch: transit.producerEpoch,
        txnTimeoutMs: transit.txnTimeoutMs,
        state: transit.txnState,
        topicPartitions: transit.topicPartitions,
        txnLastUpdateTimestampMs: transit.txnLastUpdateTimestamp,
        txnStartTimestampMs: transit.txnStartTimestamp,
        clientTransactionVersion: transit.clientTransactionVersion,
        previousProducerId: transit.lastProducerId,
        nextProducerId: transit.nextProducerId,
      }),
    };
    let errorCode = await this.append(this.partitionFor(transactionalId), [record], transactionalId);
    const found = this.getTransactionState(transactionalId);
    if (errorCode === ErrorCode.NONE) {
      if (typeof found === 'number') errorCode = found;
      else if (found === null || found.coordinatorEpoch !== coordinatorEpoch) errorCode = ErrorCode.NOT_COORDINATOR;
      else found.metadata.completeTransitionTo(transit);
      if (errorCode !== ErrorCode.NONE) this.logger.info({ transactionalId, coordinatorEpoch, errorCode }, 'the transaction partition moved while its record was appended');
    } else if (found !== null && typeof found !== 'number' && found.coordinatorEpoch === coordinatorEpoch && !retryOnError(errorCode)) {
      // No transition is in flight any more: the client may try again.
      found.metadata.pendingState = null;
    }
    return errorCode;
  }

  /** Appends records to a partition; the error code mapped as Kafka's appendTransactionToLog does. */
  private async append(partition: number, records: readonly ProducerRecord[], what: string): Promise<number> {
    let code: number;
    try {
      // Kafka writes the transaction log uncompressed (TransactionLog.EnforcedCompression).
      const batch = encodeRecordBatch(records, { timestampMs: this.now() });
      code = (await this.store.append(partition, batch)).errorCode;
    } catch (err) {
      this.logger.error({ err, transactionalId: what }, 'append to the transaction state topic failed');
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    }
    const mapped = coordinatorErrorOf(code);
    if (mapped !== null) return mapped;
    this.logger.error({ transactionalId: what, errorCode: code }, 'unexpected error appending to the transaction state topic');
    return code;
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise)).catch(() => {});
    return promise;
  }

  /** Resolves once the appends and loads in flight finished (shutdown). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  // ---------------------------------------------------------------- loading

  /**
   * Kafka's loadTransactionsForTxnTopicPartition: reads the partition back and owns it at
   * `coordinatorEpoch`. Resolves with the transactions found in PrepareCommit or PrepareAbort
   * (their markers are sent again, their Complete record written), or null when the load was
   * overtaken by a resignation or another election.
   */
  loadPartition(partition: number, coordinatorEpoch: number): Promise<PendingCompletion[] | null> {
    this.cache.delete(partition);
    const token = ++this.loadTokens;
    this.loading.set(partition, token);
    return this.track(this.doLoad(partition, coordinatorEpoch, token));
  }

  private async doLoad(partition: number, coordinatorEpoch: number, token: number): Promise<PendingCompletion[] | null> {
    const started = this.now();
    const name = `${TRANSACTION_STATE_TOPIC_NAME}-${partition}`;
    const loaded = new Map<string, TransactionMetadata>();
    let records = 0;
    try {
      let position = this.store.logStartOffset(partition);
      for (;;) {
        if (this.loading.get(partition) !== token) break;
        const chunk = await this.store.read(partition, position, this.config.transactionLogLoadBufferBytes);
        if (chunk.bytes.length === 0) break;
        const batches: ConsumedBatch[] = decodeRecordBatches(chunk.bytes).batches;
        if (batches.length === 0) break;
        for (const batch of batches) {
          if (batch.isControl) continue;
          for (const record of batch.records) {
            records++;
            try {
              if (record.key === null) throw new Error('a record without a key');
              const transactionalId = decodeTransactionLogKey(record.key);
              if (record.value === null) {
                loaded.delete(transactionalId);
                continue;
              }
              const v = decodeTransactionLogValue(record.value);
              // Kafka's readTxnRecordValue: the last producer id and epochs are not in value v0;
              // v1 (transaction version 2) has the previous and next producer ids.
              const m = new TransactionMetadata(transactionalId, v.producerId, v.previousProducerId ?? NO_PRODUCER_ID, v.producerEpoch, NO_PRODUCER_EPOCH, v.txnTimeoutMs, v.state, v.topicPartitions, v.txnStartTimestampMs, v.txnLastUpdateTimestampMs);
              m.clientTransactionVersion = v.clientTransactionVersion ?? 1;
              m.nextProducerId = v.nextProducerId ?? NO_PRODUCER_ID;
              loaded.set(transactionalId, m);
            } catch (err) {
              this.logger.warn({ partition: name, offset: record.offset, err: (err as Error).message }, 'skipping an unreadable transaction log record');
            }
          }
        }
        position = batches[batches.length - 1]!.lastOffset + 1;
        if (position >= chunk.logEndOffset) break;
      }
    } catch (err) {
      // As Kafka: the partition is served with what could be read; the error is the log's.
      this.logger.error({ err, partition: name }, 'error loading the transaction state partition');
    }
    if (this.loading.get(partition) !== token) {
      this.logger.info({ partition: name }, 'resigned from the transaction state partition while loading it; its transactions were not loaded');
      return null;
    }
    this.loading.delete(partition);
    this.cache.set(partition, { coordinatorEpoch, byId: loaded });
    const loadMs = this.now() - started;
    this.loadStats.loads++;
    this.loadStats.totalMs += loadMs;
    this.loadStats.maxMs = Math.max(this.loadStats.maxMs, loadMs);
    const pending: PendingCompletion[] = [];
    for (const [transactionalId, metadata] of loaded) {
      if (metadata.state === TransactionState.PrepareCommit || metadata.state === TransactionState.PrepareAbort) {
        const commit = metadata.state === TransactionState.PrepareCommit;
        pending.push({ transactionalId, coordinatorEpoch, commit, metadata, transit: metadata.prepareComplete(this.now()) });
      }
    }
    this.logger.info({ partition: name, coordinatorEpoch, records, transactions: loaded.size, pendingCompletion: pending.length, loadMs }, 'loaded transaction state partition');
    return pending;
  }

  /** How many transactional ids this broker coordinates, per state name (Ongoing, PrepareCommit, ...). */
  stateCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const entry of this.cache.values()) {
      for (const m of entry.byId.values()) {
        const name = transactionStateName(m.state);
        counts.set(name, (counts.get(name) ?? 0) + 1);
      }
    }
    return counts;
  }

  /** Kafka's removeTransactionsForTxnTopicPartition: the partition is no longer served here. Returns whether it was. */
  removePartition(partition: number): boolean {
    const served = this.cache.delete(partition);
    const loading = this.loading.delete(partition);
    return served || loading;
  }

  clear(): void {
    this.cache.clear();
    this.loading.clear();
  }

  // ---------------------------------------------------------------- timeouts and expiration

  /** Kafka's timedOutTransactions: Ongoing transactions, no transition in flight, past their timeout. */
  timedOutTransactions(): TimedOutTransaction[] {
    const now = this.now();
    const out: TimedOutTransaction[] = [];
    for (const entry of this.cache.values()) {
      for (const m of entry.byId.values()) {
        if (m.pendingTransitionInProgress || m.state !== TransactionState.Ongoing) continue;
        if (m.txnStartTimestamp + m.txnTimeoutMs < now) out.push({ transactionalId: m.transactionalId, producerId: m.producerId, producerEpoch: m.producerEpoch });
      }
    }
    return out;
  }

  /**
   * Kafka's removeExpiredTransactionalIds: ids with no transaction (Empty, CompleteCommit,
   * CompleteAbort) and no change for transactional.id.expiration.ms get a tombstone, one batch
   * per partition; once it is written they leave the cache. Resolves with the ids removed.
   */
  async removeExpiredTransactionalIds(): Promise<string[]> {
    const now = this.now();
    const removed: string[] = [];
    const writes: Promise<void>[] = [];
    for (const [partition, entry] of this.cache) {
      const expiring: { metadata: TransactionMetadata; transit: TxnTransitMetadata }[] = [];
      for (const m of entry.byId.values()) {
        if (!isExpirationAllowed(m.state) || m.pendingTransitionInProgress) continue;
        if (m.txnLastUpdateTimestamp > now - this.config.transactionalIdExpirationMs) continue;
        expiring.push({ metadata: m, transit: m.prepareDead() });
      }
      if (expiring.length === 0) continue;
      const records = expiring.map((e) => ({ key: transactionLogKey(e.metadata.transactionalId), value: null }));
      const write = this.append(partition, records, `${expiring.length} expired transactional ids`).then((errorCode) => {
        for (const { metadata, transit } of expiring) {
          const current = this.cache.get(partition);
          const same = current !== undefined && current.coordinatorEpoch === entry.coordinatorEpoch && current.byId.get(metadata.transactionalId) === metadata;
          if (errorCode === ErrorCode.NONE && same && metadata.pendingState === TransactionState.Dead && metadata.producerEpoch === transit.producerEpoch) {
            current.byId.delete(metadata.transactionalId);
            removed.push(metadata.transactionalId);
          } else {
            metadata.pendingState = null;
          }
        }
        if (errorCode !== ErrorCode.NONE) this.logger.warn({ partition: `${TRANSACTION_STATE_TOPIC_NAME}-${partition}`, errorCode }, 'could not write tombstones for expired transactional ids; will retry');
      });
      writes.push(this.track(write));
    }
    await Promise.all(writes);
    if (removed.length > 0) this.logger.info({ transactionalIds: removed.length }, 'removed expired transactional ids');
    return removed;
  }

  // ---------------------------------------------------------------- listing

  /**
   * Kafka's listTransactionStates (ListTransactions): the transactions of the owned partitions
   * matching every filter given (producer ids, states, running longer than durationFilterMs
   * when >= 0, transactional ids matching the pattern when there is one). Unknown state names
   * come back in unknownStateFilters; Dead ids are left out.
   */
  listTransactionStates(producerIds: readonly number[], stateNames: readonly string[], durationFilterMs: number, transactionalIdPattern: RegExp | null = null): { errorCode: number; unknownStateFilters: string[]; transactionStates: ListedTransaction[] } {
    if (this.loading.size > 0) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, unknownStateFilters: [], transactionStates: [] };
    const unknownStateFilters: string[] = [];
    const states = new Set<TransactionState>();
    for (const name of stateNames) {
      const s = transactionStateFromName(name);
      if (s === null) unknownStateFilters.push(name);
      else states.add(s);
    }
    const pids = new Set(producerIds);
    const now = this.now();
    const transactionStates: ListedTransaction[] = [];
    for (const entry of this.cache.values()) {
      for (const m of entry.byId.values()) {
        if (m.state === TransactionState.Dead) continue;
        if (pids.size > 0 && !pids.has(m.producerId)) continue;
        if (stateNames.length > 0 && !states.has(m.state)) continue;
        if (durationFilterMs >= 0 && now - m.txnStartTimestamp <= durationFilterMs) continue;
        if (transactionalIdPattern !== null && !transactionalIdPattern.test(m.transactionalId)) continue;
        transactionStates.push({ transactionalId: m.transactionalId, producerId: m.producerId, transactionState: transactionStateName(m.state) });
      }
    }
    return { errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates };
  }
}
