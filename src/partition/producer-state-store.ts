// ProducerStateStore: keeps one partition's producer state (ProducerStateManager)
// across restarts. It knows up to which offset the state has seen every batch, writes that
// point and the state as a snapshot (producer-state-snapshot.ts) when the partition closes
// and at every recovery-point checkpoint (there with the fsync off the event loop; a
// restore, a truncation or a close makes such a write still running not land), and when the
// partition opens restores the snapshot and replays the batch headers after it. With no
// usable snapshot (a first start, a damaged file, one past the log end after lost writes) it
// replays the last two segments: Kafka would read the whole log then; Tidelog bounds the
// start-up work and forgets producers whose last batch is older. A follower's truncation
// rebuilds the state the same way. It also drops producers idle for producer.id.expiration.ms.
// Transactions: the snapshot keeps each producer's open transaction, and the replay applies
// transaction markers (control batches) too (the log reports every marker and every batch
// that starts a transaction, whatever the window of five batches per producer), so the open
// transactions and the first unstable offset come back as they were; an aborted transaction
// whose marker is replayed gets its txn index entry written again (appendAbortedTxn ignores
// one already there), since a crash may have come between the marker's append and its entry.
import type { BindingLog } from '../native.js';
import { BATCHES_RETAINED_PER_PRODUCER, type ProducerStateManager } from './producer-state.js';
import {
  deleteProducerStateSnapshot,
  PRODUCER_STATE_SNAPSHOT_FILE,
  readProducerStateSnapshot,
  supersedeProducerStateSnapshotWrites,
  writeProducerStateSnapshot,
  writeProducerStateSnapshotInBackground,
} from './producer-state-snapshot.js';

const CONTROL_ABORT = 0;
const CONTROL_COMMIT = 1;

/** What `ProducerStateStore.restore` did. */
export interface ProducerStateRestore {
  readonly fromSnapshot: boolean;
  /** Idempotent batches read back from the log. */
  readonly batchesRead: number;
  readonly producers: number;
  /** A snapshot that could not be used and why (it was deleted; the log was read instead). */
  readonly unusableSnapshot?: string;
  /** Restoring failed (the state starts empty): why. */
  readonly error?: string;
}

export class ProducerStateStore {
  /** Every batch below this offset has been applied to the state. */
  private appliedUpTo = 0;
  /** The snapshot on disk: its offset and the state's change count when it was written. */
  private onDisk: { readonly offset: number; readonly changes: number } | null = null;
  /** producer.id.expiration.ms, as the last restore was given it. */
  private expirationMs = Number.MAX_SAFE_INTEGER;

  constructor(
    private readonly dir: string,
    private readonly state: ProducerStateManager,
    private readonly log: BindingLog,
  ) {}

  /** Rebuilds the state from scratch as of the log end: when the partition opens, and after a truncation. Never throws. */
  restore(nowMs: number, expirationMs: number): ProducerStateRestore {
    const logEndOffset = this.log.state().logEndOffset;
    this.appliedUpTo = logEndOffset;
    this.expirationMs = expirationMs;
    this.onDisk = null;
    this.state.restore([]);
    // A background snapshot write still running holds the state being thrown away.
    supersedeProducerStateSnapshotWrites(this.dir);
    try {
      const read = readProducerStateSnapshot(this.dir);
      let unusable = 'unusable' in read ? read.unusable : undefined;
      let from: number | null = null;
      if (read.snapshot && read.snapshot.offset <= logEndOffset) {
        this.state.restore(read.snapshot.producers);
        from = read.snapshot.offset;
        this.onDisk = { offset: from, changes: this.state.changes };
      } else if (read.snapshot) {
        unusable = `${PRODUCER_STATE_SNAPSHOT_FILE} is at offset ${read.snapshot.offset}, past the log end ${logEndOffset}`;
        deleteProducerStateSnapshot(this.dir);
      }
      const batches = from === logEndOffset ? [] : this.log.producerBatches(from, BATCHES_RETAINED_PER_PRODUCER);
      for (const b of batches) {
        if (b.controlType === CONTROL_ABORT || b.controlType === CONTROL_COMMIT) {
          const completed = this.state.completeTxn({ producerId: b.producerId, producerEpoch: b.producerEpoch, coordinatorEpoch: b.coordinatorEpoch, commit: b.controlType === CONTROL_COMMIT, offset: b.baseOffset, timestampMs: b.maxTimestamp });
          if (completed?.isAborted) this.log.appendAbortedTxn({ producerId: completed.producerId, firstOffset: completed.firstOffset, lastOffset: completed.lastOffset, lastStableOffset: completed.lastStableOffset });
          continue;
        }
        const info = { producerId: b.producerId, producerEpoch: b.producerEpoch, firstSequence: b.firstSequence, lastSequence: b.lastSequence, offsetCount: b.lastOffset - b.baseOffset + 1, maxTimestamp: b.maxTimestamp, isTransactional: b.isTransactional };
        this.state.update(info, b.baseOffset);
      }
      this.state.removeExpired(nowMs, expirationMs);
      return { fromSnapshot: from !== null, batchesRead: batches.length, producers: this.state.producerCount, ...(unusable ? { unusableSnapshot: unusable } : {}) };
    } catch (err) {
      this.state.restore([]);
      return { fromSnapshot: false, batchesRead: 0, producers: 0, error: (err as Error).message };
    }
  }

  /** After an append (leader or follower) has been applied to the state: the log ends at `logEndOffset`. */
  applied(logEndOffset: number): void {
    this.appliedUpTo = logEndOffset;
  }

  /**
   * After the log was truncated (a follower's): rebuilds the state as of the new log end, as
   * Kafka's truncateAndReload does, from the snapshot if it is not past that end (it is
   * deleted if it is) and the batches after it. Dropping only the truncated batches would
   * keep what they changed, such as an epoch bump a deposed leader accepted.
   */
  truncated(logEndOffset: number): ProducerStateRestore {
    // restore() also stops a background write still running, which may be past the new end.
    if (this.onDisk && this.onDisk.offset > logEndOffset) deleteProducerStateSnapshot(this.dir);
    return this.restore(Date.now(), this.expirationMs);
  }

  /** Forgets producers idle for `expirationMs` (producer.id.expiration.ms); returns how many. */
  expire(nowMs: number, expirationMs: number): number {
    return this.state.removeExpired(nowMs, expirationMs);
  }

  private snapshotCurrent(): boolean {
    return this.onDisk !== null && this.onDisk.offset === this.appliedUpTo && this.onDisk.changes === this.state.changes;
  }

  /** Writes a snapshot now unless the one on disk is already current; a background write still running will not land. Throws on I/O errors. */
  writeSnapshot(): void {
    if (this.snapshotCurrent()) {
      supersedeProducerStateSnapshotWrites(this.dir);
      return;
    }
    writeProducerStateSnapshot(this.dir, { offset: this.appliedUpTo, producers: this.state.snapshot() });
    this.onDisk = { offset: this.appliedUpTo, changes: this.state.changes };
  }

  /**
   * Writes a snapshot of the state as it is now, with the fsync off the event loop, unless
   * the one on disk is already current (the periodic checkpoint). Resolves whether it landed
   * (false: current already, or a newer write, a restore or a close came first); rejects on
   * an I/O error.
   */
  async writeSnapshotInBackground(): Promise<boolean> {
    if (this.snapshotCurrent()) return false;
    const written = { offset: this.appliedUpTo, changes: this.state.changes };
    const landed = await writeProducerStateSnapshotInBackground(this.dir, { offset: written.offset, producers: this.state.snapshot() });
    if (landed) this.onDisk = written;
    return landed;
  }

  /** Closing without a snapshot (the partition is being deleted): a background write still running will not land. */
  abandonSnapshotWrites(): void {
    supersedeProducerStateSnapshotWrites(this.dir);
  }
}
