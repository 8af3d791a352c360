// TransactionMetadata (after Kafka's TransactionMetadata.scala): one transactional id's state
// at its coordinator, and the state machine of a transaction:
//
//   Empty ──AddPartitions/AddOffsets──> Ongoing ──EndTxn(commit)──> PrepareCommit ──markers──> CompleteCommit
//     ^                                   │ └────EndTxn(abort), timeout──> PrepareAbort ──markers──> CompleteAbort
//     └──InitProducerId (epoch bump) <────┴──── from Empty, CompleteCommit, CompleteAbort
//   Ongoing ──InitProducerId of a new producer, or the timeout──> PrepareEpochFence ──> PrepareAbort
//   Empty, CompleteCommit, CompleteAbort ──transactional.id.expiration.ms──> Dead (a tombstone)
//
// A change is made in two steps, as Kafka's: prepare* checks the transition and returns the
// target (a TxnTransitMetadata) with pendingState set, which blocks any other change
// (CONCURRENT_TRANSACTIONS); the target is written to __transaction_state; only once the write
// succeeded does completeTransitionTo apply it. A failed write clears the pending state.
//
// Not thread-safe: every call is on the JS thread (Kafka's inLock is not needed). A failed
// check in prepare* or completeTransitionTo is a coordinator bug, thrown as
// TransactionStateError (Kafka's IllegalStateException); callers check before preparing.
import { ErrorCode } from '../protocol/errors.js';

/** Kafka's TransactionState ids, as written in TransactionLogValue.transactionStatus. */
export const TransactionState = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
} as const;
export type TransactionState = (typeof TransactionState)[keyof typeof TransactionState];

const NAMES: readonly string[] = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence'];

/** The name DescribeTransactions and ListTransactions report (Kafka's TransactionState.name). */
export function transactionStateName(state: TransactionState): string {
  return NAMES[state]!;
}

/** Kafka's TransactionState.fromName; null for an unknown name. */
export function transactionStateFromName(name: string): TransactionState | null {
  const id = NAMES.indexOf(name);
  return id < 0 ? null : (id as TransactionState);
}

/** Kafka's TransactionState.fromId; null for an unknown id. */
export function transactionStateFromId(id: number): TransactionState | null {
  return Number.isInteger(id) && id >= 0 && id < NAMES.length ? (id as TransactionState) : null;
}

const S = TransactionState;

/** Kafka's validPreviousStates of each state. */
const VALID_PREVIOUS: Readonly<Record<TransactionState, readonly TransactionState[]>> = {
  [S.Empty]: [S.Empty, S.CompleteCommit, S.CompleteAbort],
  [S.Ongoing]: [S.Ongoing, S.Empty, S.CompleteCommit, S.CompleteAbort],
  [S.PrepareCommit]: [S.Ongoing],
  // Empty and Complete*: transaction version 2 may abort a transaction without partitions
  // (the client cannot know whether a leader added one for it).
  [S.PrepareAbort]: [S.Ongoing, S.PrepareEpochFence, S.Empty, S.CompleteCommit, S.CompleteAbort],
  [S.CompleteCommit]: [S.PrepareCommit],
  [S.CompleteAbort]: [S.PrepareAbort],
  [S.Dead]: [S.Empty, S.CompleteAbort, S.CompleteCommit],
  [S.PrepareEpochFence]: [S.Ongoing],
};

/** Kafka's isExpirationAllowed: the states a transactional id may expire in. */
export function isExpirationAllowed(state: TransactionState): boolean {
  return state === S.Empty || state === S.CompleteCommit || state === S.CompleteAbort;
}

export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
/** Short.MaxValue: an epoch is never handed out at this value, so a producer can always be fenced. */
export const PRODUCER_EPOCH_MAX = 32767;

/** Kafka's TransactionMetadata.isEpochExhausted: at Short.MaxValue - 1 the producer id is rotated. */
export function isEpochExhausted(producerEpoch: number): boolean {
  return producerEpoch >= PRODUCER_EPOCH_MAX - 1;
}

export interface TopicPartitionKey {
  readonly topic: string;
  readonly partition: number;
}

export function tpKey(p: TopicPartitionKey): string {
  return `${p.topic}\u0000${p.partition}`;
}

/** The target of a transition (Kafka's TxnTransitMetadata): what is written to the log, then applied. */
export interface TxnTransitMetadata {
  readonly producerId: number;
  readonly lastProducerId: number;
  readonly producerEpoch: number;
  readonly lastProducerEpoch: number;
  readonly txnTimeoutMs: number;
  readonly txnState: TransactionState;
  readonly topicPartitions: readonly TopicPartitionKey[];
  readonly txnStartTimestamp: number;
  readonly txnLastUpdateTimestamp: number;
  /** The transaction version of the client (1 or 2), written in the record from value version 1 on. */
  readonly clientTransactionVersion: number;
  /**
   * Transaction version 2 at an exhausted epoch: the producer id the transaction continues
   * under once complete (at epoch 0); -1 otherwise (Kafka's NextProducerId).
   */
  readonly nextProducerId: number;
}

/** A transition the state machine does not allow: a coordinator bug (Kafka's IllegalStateException). */
export class TransactionStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransactionStateError';
  }
}

export class TransactionMetadata {
  /** The state being written to the log; set while a transition is in flight. */
  pendingState: TransactionState | null = null;
  /**
   * A previous fence's bumped epoch may not have been written (the append failed): the next
   * fence does not bump again. Safe because that epoch was never returned to a client.
   */
  hasFailedEpochFence = false;
  readonly topicPartitions = new Map<string, TopicPartitionKey>();
  /** The transaction version the client last spoke (Kafka's clientTransactionVersion); 1 until one says 2. */
  clientTransactionVersion = 1;
  /** Set by a transaction-version-2 end at an exhausted epoch: the producer id handed out next. */
  nextProducerId = NO_PRODUCER_ID;

  constructor(
    readonly transactionalId: string,
    public producerId: number,
    public lastProducerId: number,
    public producerEpoch: number,
    public lastProducerEpoch: number,
    public txnTimeoutMs: number,
    public state: TransactionState,
    partitions: Iterable<TopicPartitionKey>,
    /** When the first partition was added; -1 when no transaction ran yet. */
    public txnStartTimestamp: number,
    /** Updated on every transition; transactional.id.expiration.ms counts from it. */
    public txnLastUpdateTimestamp: number,
  ) {
    for (const p of partitions) this.topicPartitions.set(tpKey(p), { topic: p.topic, partition: p.partition });
  }

  get pendingTransitionInProgress(): boolean {
    return this.pendingState !== null;
  }

  get isProducerEpochExhausted(): boolean {
    return isEpochExhausted(this.producerEpoch);
  }

  private get hasPendingTransaction(): boolean {
    return this.state === S.Ongoing || this.state === S.PrepareAbort || this.state === S.PrepareCommit;
  }

  partitions(): TopicPartitionKey[] {
    return [...this.topicPartitions.values()];
  }

  hasPartition(p: TopicPartitionKey): boolean {
    return this.topicPartitions.has(tpKey(p));
  }

  /** A marker was written for the partition (or its topic is gone): it leaves the transaction. */
  removePartition(p: TopicPartitionKey): void {
    if (this.state !== S.PrepareCommit && this.state !== S.PrepareAbort) {
      throw new TransactionStateError(`transaction ${this.transactionalId} is ${transactionStateName(this.state)} while removing a partition whose marker was written`);
    }
    this.topicPartitions.delete(tpKey(p));
  }

  /** Kafka's prepareFenceProducerEpoch: the ongoing transaction is aborted under a bumped epoch. */
  prepareFenceProducerEpoch(): TxnTransitMetadata {
    if (this.producerEpoch === PRODUCER_EPOCH_MAX) throw new TransactionStateError('cannot fence a producer at epoch Short.MaxValue');
    const bumped = this.hasFailedEpochFence ? this.producerEpoch : this.producerEpoch + 1;
    return this.prepareTransitionTo(S.PrepareEpochFence, this.producerId, bumped, NO_PRODUCER_EPOCH, this.txnTimeoutMs, this.partitions(), this.txnStartTimestamp, this.txnLastUpdateTimestamp);
  }

  /**
   * Kafka's prepareIncrementProducerEpoch (InitProducerId): a bumped epoch, or, with KIP-360's
   * expected epoch, the current one for a retry of a bump already made; PRODUCER_FENCED (as an
   * error code) for an epoch that is neither.
   */
  prepareIncrementProducerEpoch(newTxnTimeoutMs: number, expectedProducerEpoch: number | null, nowMs: number): TxnTransitMetadata | { errorCode: number } {
    if (this.isProducerEpochExhausted) throw new TransactionStateError(`no producer epoch left for producer id ${this.producerId}`);
    const bumped = this.producerEpoch + 1;
    let next: number;
    let last: number;
    if (expectedProducerEpoch === null) {
      // A new producer: bump, forget the last epoch (a new producer at -1 gets 0).
      next = bumped;
      last = NO_PRODUCER_EPOCH;
    } else if (this.producerEpoch === NO_PRODUCER_EPOCH || expectedProducerEpoch === this.producerEpoch) {
      // The producer continues after an error and no other producer initialized meanwhile.
      next = bumped;
      last = this.producerEpoch;
    } else if (expectedProducerEpoch === this.lastProducerEpoch) {
      // A retry of a bump that succeeded: answer the current epoch again.
      next = this.producerEpoch;
      last = this.lastProducerEpoch;
    } else {
      return { errorCode: ErrorCode.PRODUCER_FENCED };
    }
    return this.prepareTransitionTo(S.Empty, this.producerId, next, last, newTxnTimeoutMs, [], -1, nowMs);
  }

  /** Kafka's prepareProducerIdRotation: the epoch is exhausted, a new producer id starts at epoch 0. */
  prepareProducerIdRotation(newProducerId: number, newTxnTimeoutMs: number, nowMs: number, recordLastEpoch: boolean): TxnTransitMetadata {
    if (this.hasPendingTransaction) throw new TransactionStateError('cannot rotate producer ids while a transaction is still pending');
    return this.prepareTransitionTo(S.Empty, newProducerId, 0, recordLastEpoch ? this.producerEpoch : NO_PRODUCER_EPOCH, newTxnTimeoutMs, [], -1, nowMs);
  }

  prepareAddPartitions(added: readonly TopicPartitionKey[], nowMs: number, clientTransactionVersion = this.clientTransactionVersion): TxnTransitMetadata {
    const start = this.state === S.Empty || this.state === S.CompleteAbort || this.state === S.CompleteCommit ? nowMs : this.txnStartTimestamp;
    const all = new Map(this.topicPartitions);
    for (const p of added) all.set(tpKey(p), { topic: p.topic, partition: p.partition });
    return this.prepareTransitionTo(S.Ongoing, this.producerId, this.producerEpoch, this.lastProducerEpoch, this.txnTimeoutMs, [...all.values()], start, nowMs, clientTransactionVersion);
  }

  /**
   * Kafka's prepareAbortOrCommit. Transaction version 2 bumps the epoch here (the markers carry
   * the bumped one, fencing every batch of the transaction's epoch) and, at an exhausted epoch,
   * names the producer id the client continues with (`nextProducerId`). `noPartitionAdded`: a
   * version-2 abort of a transaction without partitions (Empty or Complete*), started now.
   */
  prepareAbortOrCommit(newState: typeof S.PrepareCommit | typeof S.PrepareAbort, nowMs: number, clientTransactionVersion = this.clientTransactionVersion, nextProducerId = NO_PRODUCER_ID, noPartitionAdded = false): TxnTransitMetadata {
    const bump = clientTransactionVersion >= 2;
    if (bump && this.producerEpoch >= PRODUCER_EPOCH_MAX) throw new TransactionStateError(`no producer epoch left to bump for producer id ${this.producerId}`);
    const epoch = bump ? this.producerEpoch + 1 : this.producerEpoch;
    const lastEpoch = bump ? this.producerEpoch : this.lastProducerEpoch;
    const start = noPartitionAdded ? nowMs : this.txnStartTimestamp;
    return this.prepareTransitionTo(newState, this.producerId, epoch, lastEpoch, this.txnTimeoutMs, noPartitionAdded ? [] : this.partitions(), start, nowMs, clientTransactionVersion, nextProducerId);
  }

  /**
   * Kafka's prepareComplete: CompleteCommit/CompleteAbort; with a next producer id (transaction
   * version 2 at an exhausted epoch) the transactional id moves to it, at epoch 0.
   */
  prepareComplete(nowMs: number): TxnTransitMetadata {
    const newState = this.state === S.PrepareCommit ? S.CompleteCommit : S.CompleteAbort;
    // The Prepare* record was written: a failed fence before it no longer matters.
    this.hasFailedEpochFence = false;
    if (this.clientTransactionVersion >= 2 && this.nextProducerId !== NO_PRODUCER_ID) {
      return this.prepareTransitionTo(newState, this.nextProducerId, 0, NO_PRODUCER_EPOCH, this.txnTimeoutMs, [], this.txnStartTimestamp, nowMs, this.clientTransactionVersion);
    }
    return this.prepareTransitionTo(newState, this.producerId, this.producerEpoch, this.lastProducerEpoch, this.txnTimeoutMs, [], this.txnStartTimestamp, nowMs, this.clientTransactionVersion);
  }

  prepareDead(): TxnTransitMetadata {
    return this.prepareTransitionTo(S.Dead, this.producerId, this.producerEpoch, this.lastProducerEpoch, this.txnTimeoutMs, [], this.txnStartTimestamp, this.txnLastUpdateTimestamp);
  }

  /** The current state as a transition target, without a pending state (for re-sending markers after a load). */
  prepareNoTransit(): TxnTransitMetadata {
    return {
      producerId: this.producerId,
      lastProducerId: this.lastProducerId,
      producerEpoch: this.producerEpoch,
      lastProducerEpoch: this.lastProducerEpoch,
      txnTimeoutMs: this.txnTimeoutMs,
      txnState: this.state,
      topicPartitions: this.partitions(),
      txnStartTimestamp: this.txnStartTimestamp,
      txnLastUpdateTimestamp: this.txnLastUpdateTimestamp,
      clientTransactionVersion: this.clientTransactionVersion,
      nextProducerId: this.nextProducerId,
    };
  }

  private prepareTransitionTo(
    newState: TransactionState,
    newProducerId: number,
    newEpoch: number,
    newLastEpoch: number,
    newTxnTimeoutMs: number,
    newTopicPartitions: readonly TopicPartitionKey[],
    newTxnStartTimestamp: number,
    updateTimestamp: number,
    clientTransactionVersion = this.clientTransactionVersion,
    nextProducerId = NO_PRODUCER_ID,
  ): TxnTransitMetadata {
    if (this.pendingState !== null) {
      throw new TransactionStateError(`transition of ${this.transactionalId} to ${transactionStateName(newState)} while ${transactionStateName(this.pendingState)} is pending`);
    }
    if (newProducerId < 0) throw new TransactionStateError(`illegal new producer id ${newProducerId}`);
    // A new id's epoch is -1 until its first InitProducerId completes; it may expire like that.
    if (newState !== S.Dead && newEpoch < 0) throw new TransactionStateError(`illegal new producer epoch ${newEpoch}`);
    if (!VALID_PREVIOUS[newState].includes(this.state)) {
      throw new TransactionStateError(`transition of ${this.transactionalId} from ${transactionStateName(this.state)} to ${transactionStateName(newState)} is not allowed`);
    }
    this.pendingState = newState;
    return {
      producerId: newProducerId,
      lastProducerId: this.producerId,
      producerEpoch: newEpoch,
      lastProducerEpoch: newLastEpoch,
      txnTimeoutMs: newTxnTimeoutMs,
      txnState: newState,
      topicPartitions: newTopicPartitions,
      txnStartTimestamp: newTxnStartTimestamp,
      txnLastUpdateTimestamp: updateTimestamp,
      clientTransactionVersion,
      nextProducerId,
    };
  }

  /**
   * Applies a transition whose record was written (Kafka's completeTransitionTo), after checking
   * it against the state it was prepared from: the pending state, the epoch (same, +1, or 0 for
   * a new producer id), and the partitions.
   */
  completeTransitionTo(t: TxnTransitMetadata): void {
    const toState = this.pendingState;
    const fail = (why: string): never => {
      throw new TransactionStateError(`transaction ${this.transactionalId} failed its transition to ${transactionStateName(t.txnState)}: ${why}`);
    };
    if (toState === null) return fail('no pending state');
    if (toState !== t.txnState) return fail(`the pending state is ${transactionStateName(toState)}`);
    const sameProducer = t.producerEpoch === this.producerEpoch && t.producerId === this.producerId;
    switch (toState) {
      case S.Empty: {
        const bump = t.producerEpoch === this.producerEpoch + 1 || (t.producerEpoch === 0 && t.producerId !== this.producerId);
        if ((this.producerEpoch !== t.producerEpoch && !bump) || t.topicPartitions.length > 0 || t.txnStartTimestamp !== -1) fail('not an epoch bump of an empty transaction');
        this.txnTimeoutMs = t.txnTimeoutMs;
        this.producerEpoch = t.producerEpoch;
        this.lastProducerEpoch = t.lastProducerEpoch;
        this.producerId = t.producerId;
        this.lastProducerId = t.lastProducerId;
        break;
      }
      case S.Ongoing: {
        const next = new Set(t.topicPartitions.map(tpKey));
        if (!sameProducer || ![...this.topicPartitions.keys()].every((k) => next.has(k)) || this.txnTimeoutMs !== t.txnTimeoutMs) fail('partitions or producer changed');
        this.txnStartTimestamp = t.txnStartTimestamp;
        for (const p of t.topicPartitions) this.topicPartitions.set(tpKey(p), { topic: p.topic, partition: p.partition });
        break;
      }
      case S.PrepareAbort:
      case S.PrepareCommit: {
        const next = new Set(t.topicPartitions.map(tpKey));
        const samePartitions = next.size === this.topicPartitions.size && [...this.topicPartitions.keys()].every((k) => next.has(k));
        // Transaction version 2 bumps the epoch; an abort without partitions starts (and empties) the transaction now.
        const noPartitionAdded = t.clientTransactionVersion >= 2 && toState === S.PrepareAbort && (this.state === S.Empty || this.state === S.CompleteCommit || this.state === S.CompleteAbort);
        const producerOk = t.clientTransactionVersion >= 2 ? t.producerId === this.producerId && t.producerEpoch === this.producerEpoch + 1 : sameProducer;
        if (!producerOk || (!samePartitions && !noPartitionAdded) || this.txnTimeoutMs !== t.txnTimeoutMs || (this.txnStartTimestamp !== t.txnStartTimestamp && !noPartitionAdded)) fail('the transaction changed');
        if (noPartitionAdded) this.topicPartitions.clear();
        this.producerEpoch = t.producerEpoch;
        this.lastProducerEpoch = t.lastProducerEpoch;
        this.txnStartTimestamp = t.txnStartTimestamp;
        this.nextProducerId = t.nextProducerId;
        break;
      }
      case S.CompleteAbort:
      case S.CompleteCommit: {
        const rotated = t.clientTransactionVersion >= 2 && this.nextProducerId !== NO_PRODUCER_ID && t.producerId === this.nextProducerId && t.producerEpoch === 0;
        if ((!sameProducer && !rotated) || this.txnTimeoutMs !== t.txnTimeoutMs || t.txnStartTimestamp === -1) fail('the transaction changed');
        if (rotated) {
          this.lastProducerId = this.producerId;
          this.producerId = t.producerId;
          this.producerEpoch = 0;
          this.lastProducerEpoch = NO_PRODUCER_EPOCH;
          this.nextProducerId = NO_PRODUCER_ID;
        }
        this.txnStartTimestamp = t.txnStartTimestamp;
        this.topicPartitions.clear();
        break;
      }
      case S.PrepareEpochFence:
        // A fence goes on to PrepareAbort at once (EndTxn from the coordinator); it is never completed.
        fail('PrepareEpochFence is never completed');
        break;
      case S.Dead:
        // An expired id leaves the cache once its tombstone is written; Dead is never applied.
        fail('Dead is never completed');
        break;
    }
    this.txnLastUpdateTimestamp = t.txnLastUpdateTimestamp;
    this.clientTransactionVersion = t.clientTransactionVersion;
    this.pendingState = null;
    this.state = toState;
  }
}
