// ProducerStateManager (after Kafka's): per partition, the state of each idempotent or
// transactional producer (producer id → epoch, the metadata of its last five batches, the
// coordinator epoch of its last marker, and the first offset of its ongoing transaction), used
// to drop duplicate retries and refuse out-of-order batches (KIP-98), and the partition's
// transactions: those ongoing, ordered by first offset, and those completed whose marker the
// high watermark has not passed yet. Together they give the first unstable offset, below
// which every transaction is decided (the last stable offset is min(it, high watermark)).
// Batch headers are read here, one per batch and never the records: producerId (offset 43),
// producerEpoch (51), baseSequence (53), lastOffsetDelta (23), maxTimestamp (35), attributes (21).
//
// The state survives restarts (ProducerStateStore in producer-state-store.ts).
// A producer whose last batch is older than producer.id.expiration.ms is forgotten
// (removeExpired) unless it has a transaction open, as Kafka does; a producer the state does
// not know gets its next batch accepted at any sequence.
// Errors are Kafka's (ProducerAppendInfo): INVALID_PRODUCER_EPOCH (an older epoch, batch or
// marker), OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_TXN_STATE (a non-transactional batch while the
// producer's transaction is open), TRANSACTION_COORDINATOR_FENCED (a marker from an older
// coordinator epoch). Appends that came through replication (a follower, a replay) are not checked.
// KIP-890's VerificationGuard: a leader that verified a transactional batch with the
// transaction coordinator (txn/transaction-verifier.ts) appends it with the guard it took
// before asking (startVerification); a marker of that producer, or the start of its
// transaction, clears the guard, so a batch whose transaction ended between the verification
// and its turn in the append queue is refused (INVALID_TXN_STATE) instead of opening a
// transaction no coordinator knows. Guards live in memory only (a restart drops them; the
// append then fails and the producer retries, verifying again).
import { ErrorCode } from '../protocol/errors.js';
import { BatchAttributes, BatchHeader, CURRENT_MAGIC, producerFieldsOf } from '../records/batch-header.js';

/** Kafka keeps the metadata of this many batches per producer for duplicate detection. */
export const BATCHES_RETAINED_PER_PRODUCER = 5;
const NO_PRODUCER_ID = -1;
const INT32_MAX = 2147483647;
/** No transaction open / no marker seen (Kafka's empty currentTxnFirstOffset, coordinatorEpoch -1). */
export const NO_OFFSET = -1;
export const NO_COORDINATOR_EPOCH = -1;

/** What is kept of one appended batch: its sequences and where it landed. */
export interface BatchMetadata {
  readonly firstSequence: number;
  readonly lastSequence: number;
  readonly firstOffset: number;
}

export interface BatchProducerInfo {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly firstSequence: number;
  readonly lastSequence: number;
  /** Offsets the batch spans (lastOffsetDelta + 1). */
  readonly offsetCount: number;
  /** The batch's max timestamp. */
  readonly maxTimestamp: number;
  /** Part of a transaction (attributes bit 4); absent means no. */
  readonly isTransactional?: boolean;
}

/** Who wrote a batch: a client (every check), a coordinator (epoch only: its batches carry no sequences), or a replica (none). */
export type AppendOrigin = 'client' | 'coordinator' | 'replication';

interface ProducerEntry {
  epoch: number;
  batches: BatchMetadata[];
  /** The largest max timestamp of its batches and markers: producer.id.expiration.ms counts from it. */
  lastTimestamp: number;
  coordinatorEpoch: number;
  /** First offset of its open transaction; NO_OFFSET when none. */
  currentTxnFirstOffset: number;
}

/** One producer's state as a snapshot keeps it. */
export interface ProducerSnapshotEntry {
  readonly producerId: number;
  readonly epoch: number;
  readonly lastTimestamp: number;
  readonly batches: readonly BatchMetadata[];
  /** Absent in snapshots written before transactions (read as NO_COORDINATOR_EPOCH). */
  readonly coordinatorEpoch?: number;
  /** Absent in snapshots written before transactions (read as NO_OFFSET). */
  readonly currentTxnFirstOffset?: number;
}

/** A producer as DescribeProducers reports it. */
export interface ActiveProducer {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly lastSequence: number;
  readonly lastTimestamp: number;
  readonly coordinatorEpoch: number;
  readonly currentTxnStartOffset: number;
}

/** A transaction a marker ended (Kafka's CompletedTxn), with what its txn index entry needs. */
export interface CompletedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  /** The marker's offset. */
  readonly lastOffset: number;
  readonly isAborted: boolean;
  /** The first offset of the next transaction still open then, else lastOffset + 1 (Kafka's lastStableOffset(completedTxn)). */
  readonly lastStableOffset: number;
}

export interface MarkerInfo {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  readonly commit: boolean;
  /** The marker's offset. */
  readonly offset: number;
  readonly timestampMs: number;
}

/** Kafka's VerificationGuard: compared by identity. */
export interface VerificationGuard {
  readonly producerId: number;
  readonly epoch: number;
  /** Taken for a transaction version 2 client (Kafka's VerificationStateEntry.supportsEpochBump). */
  supportsEpochBump?: boolean;
}

export type SequenceCheck = { readonly kind: 'append' } | { readonly kind: 'duplicate'; readonly firstOffset: number } | { readonly kind: 'error'; readonly errorCode: number; readonly message: string };

export type MarkerCheck = { readonly kind: 'append' } | { readonly kind: 'error'; readonly errorCode: number; readonly message: string };

/**
 * Reads the producer fields of a record batch (a produce request holds exactly one per
 * partition); null when it is not idempotent or not a v2 batch (the log refuses magic 0/1).
 */
export function readProducerInfo(batch: Buffer): BatchProducerInfo | null {
  if (batch.length < BatchHeader.BYTES || batch[BatchHeader.MAGIC] !== CURRENT_MAGIC) return null;
  const f = producerFieldsOf(batch);
  if (f.producerId === NO_PRODUCER_ID) return null;
  const offsetCount = f.lastOffsetDelta + 1;
  return {
    producerId: f.producerId,
    producerEpoch: f.producerEpoch,
    firstSequence: f.baseSequence,
    lastSequence: (f.baseSequence + offsetCount - 1) % (INT32_MAX + 1),
    offsetCount,
    maxTimestamp: f.maxTimestamp,
    isTransactional: (batch.readInt16BE(BatchHeader.ATTRIBUTES) & BatchAttributes.TRANSACTIONAL) !== 0,
  };
}

export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerEntry>();
  /** Verifications in flight or done, not yet used by the append that starts the transaction. */
  private readonly verifications = new Map<number, VerificationGuard>();
  /**
   * Open transactions: first offset → producer id. A transaction starts at a batch appended
   * after every open one began, so insertion order is offset order (restore inserts sorted).
   */
  private readonly ongoing = new Map<number, number>();
  /** Completed transactions whose marker is at or above the high watermark, in marker order (Kafka's unreplicatedTxns). */
  private unreplicated: { readonly firstOffset: number; readonly lastOffset: number }[] = [];
  private changeCount = 0;

  /** Grows with every change of the state (to tell whether a snapshot is still current). */
  get changes(): number {
    return this.changeCount;
  }

  /**
   * Kafka's maybeCreateVerificationStateEntry: the guard a verification of this producer's
   * transactional batch is made under (the one in place, if any at the same epoch).
   */
  startVerification(producerId: number, epoch: number, supportsEpochBump = false): VerificationGuard {
    const existing = this.verifications.get(producerId);
    if (existing && existing.epoch === epoch) {
      if (supportsEpochBump) existing.supportsEpochBump = true;
      return existing;
    }
    const guard: VerificationGuard = { producerId, epoch, supportsEpochBump };
    this.verifications.set(producerId, guard);
    return guard;
  }

  /**
   * Decides whether a batch is appended, dropped as a duplicate, or refused (Kafka's
   * ProducerAppendInfo.appendDataBatch). `guard`: the batch was verified under it (KIP-890): a
   * transactional batch that would open a transaction needs it to still be the producer's.
   */
  check(info: BatchProducerInfo, origin: AppendOrigin = 'client', guard?: VerificationGuard): SequenceCheck {
    if (origin === 'replication') return { kind: 'append' };
    const entry = this.producers.get(info.producerId);
    if (guard !== undefined && info.isTransactional && (entry === undefined || entry.currentTxnFirstOffset === NO_OFFSET) && this.verifications.get(info.producerId) !== guard) {
      return { kind: 'error', errorCode: ErrorCode.INVALID_TXN_STATE, message: `The transaction of producer ${info.producerId} ended after its batch was verified` };
    }
    // Kafka's checkSequence: while a transaction version 2 producer's batch is verified, a batch
    // of its that is not the first of its epoch here (sequence 0) cannot come first: an earlier
    // one was refused or is still on its way (e.g. waiting for the coordinator).
    if (origin === 'client' && info.firstSequence !== 0 && (entry === undefined || entry.batches.length === 0) && this.verifications.get(info.producerId)?.supportsEpochBump === true) {
      return { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `Out of order sequence number for producer ${info.producerId}: ${info.firstSequence} (expected 0, the first batch verified at epoch ${info.producerEpoch})` };
    }
    if (!entry) return { kind: 'append' };
    if (info.producerEpoch < entry.epoch) {
      return { kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, message: `Epoch ${info.producerEpoch} of producer ${info.producerId} is older than the current epoch ${entry.epoch}` };
    }
    if (origin === 'client') {
      const sequence = this.checkSequence(entry, info);
      if (sequence.kind !== 'append') return sequence;
    }
    if (entry.currentTxnFirstOffset !== NO_OFFSET && !info.isTransactional) {
      return { kind: 'error', errorCode: ErrorCode.INVALID_TXN_STATE, message: `Expected transactional write from producer ${info.producerId}` };
    }
    return { kind: 'append' };
  }

  private checkSequence(entry: ProducerEntry, info: BatchProducerInfo): SequenceCheck {
    if (info.producerEpoch > entry.epoch) {
      if (info.firstSequence !== 0) {
        return { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `Producer ${info.producerId} started epoch ${info.producerEpoch} at sequence ${info.firstSequence}, expected 0` };
      }
      return { kind: 'append' };
    }
    const duplicate = entry.batches.find((b) => b.firstSequence === info.firstSequence && b.lastSequence === info.lastSequence);
    if (duplicate) return { kind: 'duplicate', firstOffset: duplicate.firstOffset };
    // No batch metadata at this epoch (a marker bumped the epoch, transaction version 2): the
    // epoch's first batch is sequence 0 (Kafka's inSequence(NO_SEQUENCE, firstSeq)).
    const last = entry.batches[entry.batches.length - 1];
    const expected = last ? (last.lastSequence + 1) % (INT32_MAX + 1) : 0;
    if (info.firstSequence !== expected) {
      return { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `Out of order sequence number for producer ${info.producerId}: ${info.firstSequence} (expected ${expected})` };
    }
    return { kind: 'append' };
  }

  /** Records an appended batch; a transactional batch of a producer without an open transaction opens one at `firstOffset`. */
  update(info: BatchProducerInfo, firstOffset: number): void {
    const entry = this.entryFor(info.producerId, info.producerEpoch);
    entry.batches.push({ firstSequence: info.firstSequence, lastSequence: info.lastSequence, firstOffset });
    if (entry.batches.length > BATCHES_RETAINED_PER_PRODUCER) entry.batches.shift();
    entry.lastTimestamp = Math.max(entry.lastTimestamp, info.maxTimestamp);
    if (info.isTransactional && entry.currentTxnFirstOffset === NO_OFFSET) {
      entry.currentTxnFirstOffset = firstOffset;
      this.ongoing.set(firstOffset, info.producerId);
      // The transaction is open: its verification is used up (Kafka's clearVerificationStateEntry).
      this.verifications.delete(info.producerId);
    }
    this.changeCount++;
  }

  /**
   * The producer's entry at `epoch`: created if unknown; a newer epoch drops the batch
   * metadata (sequences restart at 0) but keeps the open transaction and the coordinator
   * epoch (Kafka's ProducerStateEntry.maybeUpdateProducerEpoch).
   */
  private entryFor(producerId: number, epoch: number): ProducerEntry {
    let entry = this.producers.get(producerId);
    if (!entry) {
      entry = { epoch, batches: [], lastTimestamp: -1, coordinatorEpoch: NO_COORDINATOR_EPOCH, currentTxnFirstOffset: NO_OFFSET };
      this.producers.set(producerId, entry);
    } else if (epoch !== entry.epoch) {
      // A replica takes what the leader wrote, an older epoch included (Kafka logs it and goes on).
      entry.epoch = epoch;
      entry.batches = [];
    }
    return entry;
  }

  /**
   * Whether the producer has a transaction open on this partition at `epoch` (Kafka's
   * ProducerStateManager hasOngoingTransaction): its next transactional batches need no
   * verification with the transaction coordinator (KIP-890).
   */
  hasOngoingTxn(producerId: number, epoch: number): boolean {
    const entry = this.producers.get(producerId);
    return entry !== undefined && entry.epoch === epoch && entry.currentTxnFirstOffset !== NO_OFFSET;
  }

  /** Whether a leader may append this transaction marker (Kafka's ProducerAppendInfo.appendEndTxnMarker checks, TV1). */
  checkMarker(producerId: number, producerEpoch: number, coordinatorEpoch: number): MarkerCheck {
    const entry = this.producers.get(producerId);
    if (!entry) return { kind: 'append' };
    if (producerEpoch < entry.epoch) {
      return { kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, message: `Epoch of producer ${producerId} is ${producerEpoch}, which is < the last seen epoch ${entry.epoch} (TV1)` };
    }
    if (coordinatorEpoch < entry.coordinatorEpoch) {
      return { kind: 'error', errorCode: ErrorCode.TRANSACTION_COORDINATOR_FENCED, message: `Invalid coordinator epoch for producerId ${producerId}: ${coordinatorEpoch} (zombie), ${entry.coordinatorEpoch} (current)` };
    }
    return { kind: 'append' };
  }

  /**
   * Records an appended marker: the producer's open transaction (if any) is complete, and
   * stays unstable until the high watermark passes the marker. Returns the completed
   * transaction (the txn index needs the aborted ones), or null when none was open: a marker
   * without data changes neither the last stable offset nor the index.
   */
  completeTxn(m: MarkerInfo): CompletedTxn | null {
    const entry = this.entryFor(m.producerId, m.producerEpoch);
    let completed: CompletedTxn | null = null;
    if (entry.currentTxnFirstOffset !== NO_OFFSET) {
      const firstOffset = entry.currentTxnFirstOffset;
      completed = { producerId: m.producerId, firstOffset, lastOffset: m.offset, isAborted: !m.commit, lastStableOffset: this.nextOpenTxnFirstOffset(m.producerId) ?? m.offset + 1 };
      this.ongoing.delete(firstOffset);
      this.unreplicated.push({ firstOffset, lastOffset: m.offset });
    }
    entry.coordinatorEpoch = m.coordinatorEpoch;
    entry.currentTxnFirstOffset = NO_OFFSET;
    // A batch verified before this marker belongs to the transaction it ended.
    this.verifications.delete(m.producerId);
    entry.lastTimestamp = Math.max(entry.lastTimestamp, m.timestampMs);
    this.changeCount++;
    return completed;
  }

  /** Kafka's findNextIncompleteTxn: the first open transaction of another producer. */
  private nextOpenTxnFirstOffset(producerId: number): number | null {
    for (const [firstOffset, owner] of this.ongoing) if (owner !== producerId) return firstOffset;
    return null;
  }

  /** The high watermark moved: completed transactions whose marker is below it are stable. */
  onHighWatermarkUpdated(highWatermark: number): void {
    if (this.unreplicated.length === 0) return;
    this.unreplicated = this.unreplicated.filter((t) => t.lastOffset >= highWatermark);
  }

  /**
   * The first offset of the earliest transaction not yet stable: open, or completed with its
   * marker at or above `highWatermark` (the pruning by onHighWatermarkUpdated may lag); null when none.
   */
  firstUnstableOffset(highWatermark: number): number | null {
    let first: number | null = null;
    for (const t of this.unreplicated) if (t.lastOffset >= highWatermark && (first === null || t.firstOffset < first)) first = t.firstOffset;
    const open = this.ongoing.keys().next();
    if (!open.done && (first === null || open.value < first)) first = open.value;
    return first;
  }

  /** How many transactions are open. */
  get ongoingTxnCount(): number {
    return this.ongoing.size;
  }

  /** Forgets producers without an open transaction whose last batch is `expirationMs` or more older than `nowMs` (Kafka's removeExpiredProducers); returns how many. */
  removeExpired(nowMs: number, expirationMs: number): number {
    let removed = 0;
    for (const [producerId, entry] of this.producers) {
      if (entry.currentTxnFirstOffset !== NO_OFFSET || nowMs - entry.lastTimestamp < expirationMs) continue;
      this.producers.delete(producerId);
      removed++;
    }
    if (removed > 0) this.changeCount++;
    return removed;
  }

  /** Every producer's state, for a snapshot. */
  snapshot(): ProducerSnapshotEntry[] {
    return [...this.producers].map(([producerId, e]) => ({ producerId, epoch: e.epoch, lastTimestamp: e.lastTimestamp, batches: [...e.batches], coordinatorEpoch: e.coordinatorEpoch, currentTxnFirstOffset: e.currentTxnFirstOffset }));
  }

  /** Replaces the state with a snapshot's; open transactions come back with their producers. */
  restore(entries: readonly ProducerSnapshotEntry[]): void {
    this.producers.clear();
    this.ongoing.clear();
    this.verifications.clear();
    this.unreplicated = [];
    const open: [number, number][] = [];
    for (const e of entries) {
      const currentTxnFirstOffset = e.currentTxnFirstOffset ?? NO_OFFSET;
      this.producers.set(e.producerId, {
        epoch: e.epoch,
        lastTimestamp: e.lastTimestamp,
        batches: e.batches.slice(-BATCHES_RETAINED_PER_PRODUCER),
        coordinatorEpoch: e.coordinatorEpoch ?? NO_COORDINATOR_EPOCH,
        currentTxnFirstOffset,
      });
      if (currentTxnFirstOffset !== NO_OFFSET) open.push([currentTxnFirstOffset, e.producerId]);
    }
    for (const [firstOffset, producerId] of open.sort((a, b) => a[0] - b[0])) this.ongoing.set(firstOffset, producerId);
    this.changeCount++;
  }

  /** Every known producer, as DescribeProducers answers (Kafka's UnifiedLog.activeProducers). */
  activeProducers(): ActiveProducer[] {
    return [...this.producers].map(([producerId, e]) => ({
      producerId,
      producerEpoch: e.epoch,
      lastSequence: e.batches[e.batches.length - 1]?.lastSequence ?? -1,
      lastTimestamp: e.lastTimestamp,
      coordinatorEpoch: e.coordinatorEpoch,
      currentTxnStartOffset: e.currentTxnFirstOffset,
    }));
  }

  get producerCount(): number {
    return this.producers.size;
  }
}
