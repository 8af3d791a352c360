// ProducerStateManager (after Kafka's): per partition, the state of each idempotent producer
// (producer id → epoch and the metadata of its last five batches), used to drop duplicate
// retries and refuse out-of-order batches (KIP-98). Batch headers are read here, one per
// batch and never the records: producerId (offset 43), producerEpoch (51), baseSequence (53),
// lastOffsetDelta (23), maxTimestamp (35), batchLength (8).
//
// The state survives restarts (ProducerStateStore in producer-state-store.ts).
// A producer whose last batch is older than producer.id.expiration.ms is forgotten
// (removeExpired), as Kafka does; a producer the state does not know gets its next batch
// accepted at any sequence.
import { ErrorCode } from '../protocol/errors.js';
import { BatchHeader, CURRENT_MAGIC, producerFieldsOf } from '../records/batch-header.js';

/** Kafka keeps the metadata of this many batches per producer for duplicate detection. */
export const BATCHES_RETAINED_PER_PRODUCER = 5;
const NO_PRODUCER_ID = -1;
const INT32_MAX = 2147483647;

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
}

interface ProducerEntry {
  epoch: number;
  batches: BatchMetadata[];
  /** The largest max timestamp of its batches: producer.id.expiration.ms counts from it. */
  lastTimestamp: number;
}

/** One producer's state as a snapshot keeps it. */
export interface ProducerSnapshotEntry {
  readonly producerId: number;
  readonly epoch: number;
  readonly lastTimestamp: number;
  readonly batches: readonly BatchMetadata[];
}

export type SequenceCheck = { readonly kind: 'append' } | { readonly kind: 'duplicate'; readonly firstOffset: number } | { readonly kind: 'error'; readonly errorCode: number; readonly message: string };

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
  };
}

export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerEntry>();
  private changeCount = 0;

  /** Grows with every change of the state (to tell whether a snapshot is still current). */
  get changes(): number {
    return this.changeCount;
  }

  /** Decides whether a batch from an idempotent producer is appended, dropped as a duplicate, or refused. */
  check(info: BatchProducerInfo): SequenceCheck {
    const entry = this.producers.get(info.producerId);
    if (!entry) return { kind: 'append' };
    if (info.producerEpoch < entry.epoch) {
      return { kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, message: `Epoch ${info.producerEpoch} of producer ${info.producerId} is older than the current epoch ${entry.epoch}` };
    }
    if (info.producerEpoch > entry.epoch) {
      if (info.firstSequence !== 0) {
        return { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `Producer ${info.producerId} started epoch ${info.producerEpoch} at sequence ${info.firstSequence}, expected 0` };
      }
      return { kind: 'append' };
    }
    const duplicate = entry.batches.find((b) => b.firstSequence === info.firstSequence && b.lastSequence === info.lastSequence);
    if (duplicate) return { kind: 'duplicate', firstOffset: duplicate.firstOffset };
    const last = entry.batches[entry.batches.length - 1];
    const expected = last ? (last.lastSequence + 1) % (INT32_MAX + 1) : 0;
    if (last && info.firstSequence !== expected) {
      return { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `Out of order sequence number for producer ${info.producerId}: ${info.firstSequence} (expected ${expected})` };
    }
    return { kind: 'append' };
  }

  /** Records an appended batch. */
  update(info: BatchProducerInfo, firstOffset: number): void {
    let entry = this.producers.get(info.producerId);
    if (!entry || info.producerEpoch > entry.epoch) {
      entry = { epoch: info.producerEpoch, batches: [], lastTimestamp: -1 };
      this.producers.set(info.producerId, entry);
    }
    entry.batches.push({ firstSequence: info.firstSequence, lastSequence: info.lastSequence, firstOffset });
    if (entry.batches.length > BATCHES_RETAINED_PER_PRODUCER) entry.batches.shift();
    entry.lastTimestamp = Math.max(entry.lastTimestamp, info.maxTimestamp);
    this.changeCount++;
  }

  /** Forgets producers whose last batch is `expirationMs` or more older than `nowMs` (Kafka's removeExpiredProducers); returns how many. */
  removeExpired(nowMs: number, expirationMs: number): number {
    let removed = 0;
    for (const [producerId, entry] of this.producers) {
      if (nowMs - entry.lastTimestamp < expirationMs) continue;
      this.producers.delete(producerId);
      removed++;
    }
    if (removed > 0) this.changeCount++;
    return removed;
  }

  /** Every producer's state, for a snapshot. */
  snapshot(): ProducerSnapshotEntry[] {
    return [...this.producers].map(([producerId, e]) => ({ producerId, epoch: e.epoch, lastTimestamp: e.lastTimestamp, batches: [...e.batches] }));
  }

  /** Replaces the state with a snapshot's. */
  restore(entries: readonly ProducerSnapshotEntry[]): void {
    this.producers.clear();
    for (const e of entries) this.producers.set(e.producerId, { epoch: e.epoch, lastTimestamp: e.lastTimestamp, batches: e.batches.slice(-BATCHES_RETAINED_PER_PRODUCER) });
    this.changeCount++;
  }

  get producerCount(): number {
    return this.producers.size;
  }
}
