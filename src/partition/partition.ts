// Partition: one topic-partition replica on this broker. Owns its log handle, its role
// (leader, follower or offline) with the leader epoch, the high watermark (separate from the
// log end offset: consumers never read past it), the ordered append queue, the waiters of
// long-poll fetches and of acks=-1 produces, the producer state (idempotence and
// transactions) with the last stable offset it gives, the transaction markers (appendTxnMarker
// as leader; a follower applies the markers it fetches) and the aborted-transaction index
// entries they produce, and, as leader, the follower tracking that moves the high watermark
// (FollowerTracker).
// All state changes happen on the JS thread; disk work runs in the addon off the thread.
import type { EffectiveTopicConfig } from '../config/topic-config.js';
import { native, type BindingAppendResult, type BindingFileSlice, type BindingLog } from '../native.js';
import type { BindingCleanableRange, BindingCleanResult } from '../../native/binding.js';
import { toBindingLogConfig } from './log-config.js';
import { ProducerStateManager, readProducerInfo, type AppendOrigin, type BatchProducerInfo, type CompletedTxn, type VerificationGuard } from './producer-state.js';
import { ProducerStateStore } from './producer-state-store.js';
import { errorName } from '../protocol/errors.js';
import { FollowerTracker } from './follower-tracker.js';
import { baseOffsetOf, wholeBatches } from '../records/batch-header.js';
import { buildEndTxnMarkerBatch, ControlType, isControlBatch, readEndTxnMarker } from '../records/control-batch.js';

export interface PartitionReadResult {
  readonly slice: BindingFileSlice | null;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  /** read_committed: the aborted transactions of the range read (Fetch's abortedTransactions); null otherwise. */
  readonly abortedTransactions: { producerId: number; firstOffset: number }[] | null;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
}

export type Isolation = 'read_uncommitted' | 'read_committed' | 'replica';

/** Thrown by storage calls; `code` is the Kafka error name (e.g. CORRUPT_MESSAGE). */
export interface StorageError extends Error {
  code: string;
}

/**
 * Appends below this size, as leader and as follower, run on the JS thread (appendSync,
 * appendAsFollowerSync) when they cannot fsync: the thread-pool hop costs 17-20 us per call,
 * more than the whole append of a 16 KiB batch (BENCHMARKS.md, Storage: sync 76-83 % of the
 * write ceiling from 16 KiB to 64 KiB, async 31-42 %; Replicated: with pooled fetch frames, a
 * follower's CPU per GiB 30 % lower under acks=all). Larger appends, and appends that may
 * fsync (flush.messages set), go off the thread.
 */
const SYNC_APPEND_MAX_BYTES = 1024 * 1024;
const NEVER = Number.MAX_SAFE_INTEGER;

/** A transaction marker to append as leader (WriteTxnMarkers). */
export interface TxnMarkerAppend {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  readonly commit: boolean;
}

interface PendingAppend {
  /** A producer's batches, or a marker the leader builds at its log end when its turn comes. */
  readonly records: Buffer | TxnMarkerAppend;
  readonly origin: AppendOrigin;
  readonly leaderEpoch: number;
  /** The KIP-890 verification the batch was appended under, if it was verified. */
  readonly guard?: VerificationGuard;
  readonly resolve: (r: BindingAppendResult) => void;
  readonly reject: (e: unknown) => void;
}

/** Why an acks=-1 wait ended. */
export type CommitWait = 'committed' | 'timeout' | 'notLeader';

interface CommitWaiter {
  readonly offset: number;
  readonly resolve: (outcome: CommitWait) => void;
  readonly timer: NodeJS.Timeout;
}

export class Partition {
  // The replica state below changes only through becomeLeader, becomeFollower, updateIsr and
  // assignReplicas: Partition is its one owner, the rest of the broker reads it.
  private epoch = 0;
  private leader: number;
  private replicaIds: number[];
  private isrIds: number[];
  private epochStartOffset = 0;
  /** As leader: each follower's log end offset and lag. */
  readonly followers = new FollowerTracker();
  private hw: number;
  private readonly waiters = new Set<() => void>();
  private commitWaiters: CommitWaiter[] = [];
  private followerAppend: Promise<void> = Promise.resolve();
  private readonly appendQueue: PendingAppend[] = [];
  private appending = false;
  /**
   * The log end offset as of the last append or truncation (-1: ask the log). The log changes
   * only through this class, on this thread, so this saves a call into the addon (which builds
   * the whole state object) each time the produce, fetch and replication paths look at it.
   */
  private leo = -1;
  /** Bumped whenever `leo` is forgotten, so an append that finishes off the thread after a truncation does not bring back its stale end. */
  private leoGeneration = 0;
  private closed = false;
  /** Idempotent producers' sequence state (KIP-98). */
  readonly producerState = new ProducerStateManager();
  /** Keeps producerState across restarts (its snapshot and replay). */
  readonly producerStore: ProducerStateStore;

  constructor(
    readonly topic: string,
    readonly index: number,
    readonly dir: string,
    private readonly log: BindingLog,
    private topicConfig: EffectiveTopicConfig,
    readonly brokerId: number,
  ) {
    this.producerStore = new ProducerStateStore(dir, this.producerState, log);
    this.leader = brokerId;
    this.replicaIds = [brokerId];
    this.isrIds = [brokerId];
    // A single replica has every message it holds; replication will restore the HW
    // from replication-offset-checkpoint instead.
    this.hw = log.state().logEndOffset;
  }

  /** Leader epoch of the current leadership; bumps on every leader change. */
  get leaderEpoch(): number {
    return this.epoch;
  }

  /** The leader's broker id; -1 while the partition has none. */
  get leaderId(): number {
    return this.leader;
  }

  get replicas(): readonly number[] {
    return this.replicaIds;
  }

  get isr(): readonly number[] {
    return this.isrIds;
  }

  /** The log end offset when this broker's current leadership began (Kafka's leaderEpochStartOffset). */
  get leaderEpochStartOffset(): number {
    return this.epochStartOffset;
  }

  get config(): EffectiveTopicConfig {
    return this.topicConfig;
  }

  /**
   * The replica set as the topic's assignment says (a reassignment or the first open); with
   * `isr`, also the ISR (a new partition starts with every replica in it).
   */
  assignReplicas(replicas: readonly number[], isr?: readonly number[]): void {
    this.replicaIds = [...replicas];
    if (isr) this.isrIds = [...isr];
    // A reassignment under the same leadership: the leader tracks the added followers.
    if (this.isLeader) this.followers.track(replicas, this.brokerId);
  }

  get logStartOffset(): number {
    return this.log.logStartOffset();
  }

  get logEndOffset(): number {
    if (this.leo < 0) this.leo = this.log.state().logEndOffset;
    return this.leo;
  }

  private forgetLogEndOffset(): void {
    this.leo = -1;
    this.leoGeneration++;
  }

  /** Whether an append of `bytes` runs on the JS thread (see SYNC_APPEND_MAX_BYTES). */
  private appendsOnThread(bytes: number): boolean {
    return bytes < SYNC_APPEND_MAX_BYTES && this.config.flushMessages >= NEVER;
  }

  /** After an append off the thread: its end, unless the log was truncated or changed meanwhile. */
  private appended(generation: number, logEndOffset: number): void {
    if (generation === this.leoGeneration) this.leo = logEndOffset;
    else this.forgetLogEndOffset();
  }

  get highWatermark(): number {
    return this.hw;
  }

  get sizeBytes(): number {
    return this.log.state().sizeBytes;
  }

  state() {
    return this.log.state();
  }

  /**
   * Appends producer batches as leader. Appends to one partition are applied strictly in
   * call order (a connection's pipelined produce requests must land in the order sent), so
   * they go through a queue; the addon works off the JS thread.
   */
  appendAsLeader(records: Buffer, origin: AppendOrigin = 'client', guard?: VerificationGuard): Promise<BindingAppendResult> {
    return this.enqueue(records, origin, guard);
  }

  /**
   * Appends a transaction marker (a COMMIT or ABORT control batch) as leader, in turn with
   * the producers' appends: the producer's open transaction ends (an aborted one gets its
   * txn index entry). Rejects with `code` INVALID_PRODUCER_EPOCH (older than the producer's
   * epoch), TRANSACTION_COORDINATOR_FENCED (older coordinator epoch than the last marker's)
   * or NOT_LEADER_OR_FOLLOWER, as Kafka's ProducerAppendInfo.appendEndTxnMarker.
   */
  appendTxnMarker(marker: TxnMarkerAppend): Promise<BindingAppendResult> {
    return this.enqueue(marker, 'coordinator');
  }

  private enqueue(records: Buffer | TxnMarkerAppend, origin: AppendOrigin, guard?: VerificationGuard): Promise<BindingAppendResult> {
    return new Promise((resolve, reject) => {
      this.appendQueue.push({ records, origin, leaderEpoch: this.leaderEpoch, guard, resolve, reject });
      if (!this.appending) void this.drainAppends();
    });
  }

  private async drainAppends(): Promise<void> {
    this.appending = true;
    while (this.appendQueue.length > 0) {
      const next = this.appendQueue.shift()!;
      if (this.closed || !this.isLeader || next.leaderEpoch !== this.leaderEpoch) {
        next.reject(Object.assign(new Error(`This broker no longer leads ${this.topic}-${this.index}`), { code: 'NOT_LEADER_OR_FOLLOWER' }));
        continue;
      }
      if (!Buffer.isBuffer(next.records)) {
        await this.appendMarker(next.records, next);
        continue;
      }
      // Sequence checks happen here, in append order, so a batch is judged against the
      // batches really appended before it.
      const producer = readProducerInfo(next.records);
      if (producer) {
        const check = this.producerState.check(producer, next.origin, next.guard);
        if (check.kind === 'duplicate') {
          next.resolve(duplicateResult(check.firstOffset, producer.offsetCount, this.logEndOffset));
          continue;
        }
        if (check.kind === 'error') {
          next.reject(Object.assign(new Error(check.message), { code: errorName(check.errorCode) }));
          continue;
        }
      }
      try {
        const sync = this.appendsOnThread(next.records.length);
        const generation = this.leoGeneration;
        const result = sync ? this.log.appendSync(next.records, next.leaderEpoch, Date.now()) : await this.log.append(next.records, next.leaderEpoch, Date.now());
        this.appended(generation, result.logEndOffset);
        if (producer) this.producerState.update(producer, result.firstOffset);
        this.producerStore.applied(result.logEndOffset);
        this.onLogEndOffsetAdvanced(result.logEndOffset);
        next.resolve(result);
      } catch (err) {
        this.forgetLogEndOffset();
        next.reject(err);
      }
    }
    this.appending = false;
  }

  /**
   * The leader's marker append: checked against the producer state, built with this
   * leadership's epoch and appended with the coordinator origin (Kafka's
   * AppendOrigin.COORDINATOR: the one append that may carry a control batch, which client
   * appends refuse), in turn with the other appends of the queue.
   */
  private async appendMarker(marker: TxnMarkerAppend, pending: PendingAppend): Promise<void> {
    const check = this.producerState.checkMarker(marker.producerId, marker.producerEpoch, marker.coordinatorEpoch);
    if (check.kind === 'error') {
      pending.reject(Object.assign(new Error(check.message), { code: errorName(check.errorCode) }));
      return;
    }
    try {
      const nowMs = Date.now();
      const batch = buildEndTxnMarkerBatch({ ...marker, baseOffset: this.logEndOffset, partitionLeaderEpoch: pending.leaderEpoch, timestampMs: nowMs }, (b) => native.crc32c(b));
      let result;
      try {
        result = await this.log.appendAsCoordinator(batch, pending.leaderEpoch, nowMs);
      } finally {
        this.forgetLogEndOffset();
      }
      const completed = this.producerState.completeTxn({ ...marker, offset: result.firstOffset, timestampMs: nowMs });
      this.writeTxnIndexEntry(completed);
      this.producerStore.applied(result.logEndOffset);
      this.onLogEndOffsetAdvanced(result.logEndOffset);
      pending.resolve(result);
    } catch (err) {
      pending.reject(err);
    }
  }

  /** An aborted transaction's entry in the txn index of the segment holding its marker (Kafka's updateTxnIndex). */
  private writeTxnIndexEntry(completed: CompletedTxn | null): void {
    if (!completed?.isAborted) return;
    this.log.appendAbortedTxn({ producerId: completed.producerId, firstOffset: completed.firstOffset, lastOffset: completed.lastOffset, lastStableOffset: completed.lastStableOffset });
  }

  /** After a leader append: a lone ISR commits at once; otherwise the followers' fetches move the high watermark. */
  private onLogEndOffsetAdvanced(logEndOffset: number): void {
    if (this.isr.length <= 1 && logEndOffset > this.hw) this.setHighWatermark(logEndOffset);
    this.wakeWaiters();
  }

  /** Closed (deleted, or the broker is stopping): no call reaches the log any more. */
  get isClosed(): boolean {
    return this.closed;
  }

  get isLeader(): boolean {
    return this.leaderId === this.brokerId;
  }

  /**
   * This broker leads from now on (a new leader epoch, or the same one re-read): followers
   * start unknown, the high watermark moves once the ISR has fetched (Kafka's makeLeader).
   */
  becomeLeader(leaderEpoch: number, isr: readonly number[], replicas: readonly number[], nowMs: number): void {
    const newLeadership = !this.isLeader || leaderEpoch !== this.leaderEpoch;
    this.leader = this.brokerId;
    this.epoch = leaderEpoch;
    this.replicaIds = [...replicas];
    this.isrIds = [...isr];
    if (newLeadership) {
      this.epochStartOffset = this.logEndOffset;
      this.followers.reset(replicas, isr, this.brokerId, nowMs);
    }
    this.maybeIncrementHighWatermark();
  }

  /** Another broker leads (or none: leaderId -1); appends stop, acks=-1 waiters learn it. */
  becomeFollower(leaderId: number, leaderEpoch: number, isr: readonly number[], replicas: readonly number[]): void {
    this.leader = leaderId;
    this.epoch = leaderEpoch;
    this.replicaIds = [...replicas];
    this.isrIds = [...isr];
    this.followers.clear();
    this.failCommitWaiters();
  }

  /** The ISR changed under the same leadership (this leader's own ISR update, or the controller's). */
  updateIsr(isr: readonly number[]): void {
    this.isrIds = [...isr];
    if (this.isLeader) this.maybeIncrementHighWatermark();
  }

  /** As leader: a follower fetched from `fetchOffset`; the high watermark may move. */
  recordFollowerFetch(replicaId: number, fetchOffset: number, nowMs: number): void {
    this.followers.recordFetch(replicaId, fetchOffset, this.logEndOffset, nowMs);
    this.maybeIncrementHighWatermark();
  }

  /** As leader: the high watermark becomes the smallest log end offset in the ISR (never lower). */
  maybeIncrementHighWatermark(): void {
    if (!this.isLeader) return;
    const committed = this.followers.committedOffset(this.isr, this.brokerId, this.logEndOffset);
    if (committed > this.hw) {
      this.setHighWatermark(committed);
      this.wakeWaiters();
    }
  }

  /** As follower: the leader's high watermark, bounded by what this replica holds. */
  updateFollowerHighWatermark(leaderHighWatermark: number): void {
    const hw = Math.min(leaderHighWatermark, this.logEndOffset);
    if (hw > this.hw) {
      this.setHighWatermark(hw);
      this.wakeWaiters();
    }
  }

  /** Restores the high watermark from replication-offset-checkpoint at start-up (never past the log end). */
  restoreHighWatermark(offset: number): void {
    this.hw = Math.max(this.log.logStartOffset(), Math.min(offset, this.logEndOffset));
    this.producerState.onHighWatermarkUpdated(this.hw);
  }

  /**
   * The last stable offset (Kafka's UnifiedLog.lastStableOffset): below it every transaction
   * is decided and replicated, so read_committed consumers read up to it. The first unstable
   * offset (never below the log start offset), or the high watermark when that is lower.
   */
  get lastStableOffset(): number {
    const firstUnstable = this.producerState.firstUnstableOffset(this.hw);
    if (firstUnstable === null) return this.hw;
    return Math.min(Math.max(firstUnstable, this.log.logStartOffset()), this.hw);
  }

  private setHighWatermark(offset: number): void {
    this.hw = offset;
    this.producerState.onHighWatermarkUpdated(offset);
    if (this.commitWaiters.length === 0) return;
    const still: CommitWaiter[] = [];
    for (const w of this.commitWaiters) {
      if (w.offset <= offset) {
        clearTimeout(w.timer);
        w.resolve('committed');
      } else still.push(w);
    }
    this.commitWaiters = still;
  }

  /**
   * acks=-1: resolves 'committed' once the high watermark reaches `offset` (the ISR has
   * everything below it), 'notLeader' when this broker stops leading first, 'timeout' after
   * `timeoutMs` (the produce request's timeout).
   */
  waitForCommit(offset: number, timeoutMs: number): Promise<CommitWait> {
    if (this.hw >= offset) return Promise.resolve('committed');
    if (!this.isLeader || this.closed) return Promise.resolve('notLeader');
    return new Promise((resolve) => {
      const waiter: CommitWaiter = {
        offset,
        resolve,
        timer: setTimeout(() => {
          this.commitWaiters = this.commitWaiters.filter((w) => w !== waiter);
          resolve('timeout');
        }, Math.max(0, timeoutMs)),
      };
      this.commitWaiters.push(waiter);
    });
  }

  private failCommitWaiters(): void {
    const waiters = this.commitWaiters;
    this.commitWaiters = [];
    for (const w of waiters) {
      clearTimeout(w.timer);
      w.resolve('notLeader');
    }
  }

  /**
   * Follower append of batches fetched from the leader, keeping their offsets and leader
   * epochs; the producer state follows along, so this replica can lead without forgetting
   * which retries are duplicates. Called by one replica fetcher at a time.
   */
  async appendAsFollower(records: Buffer): Promise<BindingAppendResult> {
    const generation = this.leoGeneration;
    let result: BindingAppendResult;
    if (this.appendsOnThread(records.length)) {
      // As the leader's appendSync: a caught-up follower's fetch carries a batch or two, and the
      // thread-pool hop (a wake-up of a pool thread and then of this one) costs more than the write.
      try {
        result = this.log.appendAsFollowerSync(records);
      } catch (err) {
        this.forgetLogEndOffset();
        throw err;
      }
    } else {
      const appending = this.log.appendAsFollower(records);
      this.followerAppend = appending.then(
        () => undefined,
        () => undefined,
      );
      try {
        result = await appending;
      } catch (err) {
        this.forgetLogEndOffset();
        throw err;
      }
    }
    this.appended(generation, result.logEndOffset);
    for (const batch of fetchedProducerBatches(records)) {
      if (batch.kind === 'marker') this.writeTxnIndexEntry(this.producerState.completeTxn(batch.marker));
      else this.producerState.update(batch.info, batch.baseOffset);
    }
    this.producerStore.applied(result.logEndOffset);
    this.wakeWaiters();
    return result;
  }

  /**
   * Resolves once a follower append in flight has landed. A fetcher for a new leader waits
   * for it before truncating, so an append fetched from the old leader cannot land after the
   * truncation, past a gap.
   */
  followerAppendSettled(): Promise<void> {
    return this.followerAppend;
  }

  /**
   * Reads from fetchOffset: up to the high watermark for read_uncommitted consumers, the last
   * stable offset for read_committed ones (with the aborted transactions of the range read,
   * Kafka's collectAbortedTransactions), the log end for replicas.
   */
  read(fetchOffset: number, maxBytes: number, isolation: Isolation, minOneMessage: boolean): PartitionReadResult {
    // What this thread has seen appended (an append off the thread may have gone further).
    const logEndOffset = this.logEndOffset;
    const lastStableOffset = this.lastStableOffset;
    const maxOffset = isolation === 'replica' ? logEndOffset : isolation === 'read_committed' ? lastStableOffset : this.hw;
    const slice = this.log.read(fetchOffset, maxBytes, maxOffset, minOneMessage);
    let abortedTransactions: { producerId: number; firstOffset: number }[] | null = null;
    if (isolation === 'read_committed') {
      abortedTransactions = slice ? this.log.abortedTxns(fetchOffset, slice.lastOffset + 1).map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset })) : [];
    }
    return { slice, highWatermark: this.hw, lastStableOffset, abortedTransactions, logStartOffset: this.log.logStartOffset(), logEndOffset };
  }

  /** The producers this replica knows, as DescribeProducers answers. */
  activeProducers() {
    return this.producerState.activeProducers();
  }

  offsetForTimestamp(timestampMs: number) {
    return this.log.offsetForTimestamp(timestampMs);
  }

  maxTimestampAndOffset() {
    return this.log.maxTimestampAndOffset();
  }

  endOffsetForEpoch(epoch: number) {
    return this.log.endOffsetForEpoch(epoch);
  }

  /** DeleteRecords: raises the log start offset (never above the high watermark). */
  deleteRecordsBefore(offset: number): void {
    this.forgetLogEndOffset();
    this.log.deleteRecordsBefore(offset);
  }

  /** Follower truncation (by leader epoch): everything from `offset` on goes. */
  truncateTo(offset: number): void {
    this.forgetLogEndOffset();
    this.log.truncateTo(offset);
    this.producerStore.truncated(this.logEndOffset);
    if (this.hw > this.logEndOffset) this.hw = this.logEndOffset;
    this.producerState.onHighWatermarkUpdated(this.hw);
  }

  /** The latest leader epoch in this replica's log (-1: none), what a follower asks OffsetForLeaderEpoch about. */
  get latestEpoch(): number {
    return this.log.state().latestEpoch;
  }

  /** Deletes segments past retention; returns how many went. */
  applyRetention(nowMs: number): number {
    if (!this.config.cleanupPolicy.includes('delete')) return 0;
    this.forgetLogEndOffset();
    return this.log.deleteOldSegments(nowMs, this.config.retentionMs, this.config.retentionBytes);
  }

  /** cleanup.policy includes compact: the log cleaner keeps the latest record per key. */
  get isCompacted(): boolean {
    return this.config.cleanupPolicy.includes('compact');
  }

  /**
   * The log cleaner's dirty section from `checkpoint` (-1: none), bounded by the last stable
   * offset (the high watermark, or lower while a transaction is undecided: Kafka's
   * LogCleanerManager never cleans past it, so an open transaction's records and what follows
   * stay until its marker is written and replicated).
   */
  cleanableRange(checkpoint: number, nowMs: number): BindingCleanableRange {
    return this.log.cleanableRange(checkpoint, this.lastStableOffset, nowMs, this.config.minCompactionLagMs);
  }

  /**
   * One compaction pass off the JS thread (see LogCleaner); never past the last stable offset.
   * `producerIdExpirationMs` (producer.id.expiration.ms): a producer's last batch is kept,
   * emptied if need be, for its producer state unless the producer has been idle this long.
   */
  clean(checkpoint: number, nowMs: number, dedupeBufferBytes?: number, producerIdExpirationMs?: number): Promise<BindingCleanResult> {
    return this.log.clean({
      checkpointOffset: checkpoint,
      cleanableUpTo: this.lastStableOffset,
      nowMs,
      deleteRetentionMs: this.config.deleteRetentionMs,
      minCompactionLagMs: this.config.minCompactionLagMs,
      dedupeBufferBytes,
      producerIdExpirationMs,
    });
  }

  updateConfig(config: EffectiveTopicConfig): void {
    this.topicConfig = config;
    this.log.updateConfig(toBindingLogConfig(config));
  }

  flush(): Promise<void> {
    return this.log.flush();
  }

  /** Registers a callback for the next advance of the log; returns a function that removes it. */
  onData(callback: () => void): () => void {
    this.waiters.add(callback);
    return () => this.waiters.delete(callback);
  }

  private wakeWaiters(): void {
    if (this.waiters.size === 0) return;
    const callbacks = [...this.waiters];
    this.waiters.clear();
    for (const cb of callbacks) cb();
  }

  /**
   * Closes the log (flushes and trims its indexes), by default after writing the producer
   * state snapshot; queued appends fail. Returns the error writing the snapshot, if any: the
   * log is closed either way. Closing twice does nothing.
   */
  close(options: { writeProducerSnapshot?: boolean } = {}): Error | null {
    if (this.closed) return null;
    this.closed = true;
    this.failCommitWaiters();
    this.wakeWaiters();
    let snapshotError: Error | null = null;
    try {
      if (options.writeProducerSnapshot ?? true) this.producerStore.writeSnapshot();
      else this.producerStore.abandonSnapshotWrites();
    } catch (err) {
      snapshotError = err as Error;
    }
    this.forgetLogEndOffset();
    this.log.close();
    return snapshotError;
  }
}

/** The answer to a retried batch that is already in the log: its original offsets (KIP-98). */
function duplicateResult(firstOffset: number, offsetCount: number, logEndOffset: number): BindingAppendResult {
  return { firstOffset, lastOffset: firstOffset + offsetCount - 1, logAppendTimeMs: -1, maxTimestamp: -1, offsetOfMaxTimestamp: -1, recordCount: offsetCount, logEndOffset };
}

type FetchedProducerBatch = { readonly kind: 'data'; readonly info: BatchProducerInfo; readonly baseOffset: number } | { readonly kind: 'marker'; readonly marker: Parameters<ProducerStateManager['completeTxn']>[0] };

/** Each idempotent or transactional batch's producer fields and base offset, and each transaction marker, from the batches of a fetched chunk. */
function* fetchedProducerBatches(records: Buffer): Generator<FetchedProducerBatch> {
  for (const { pos, size } of wholeBatches(records)) {
    const batch = records.subarray(pos, pos + size);
    const info = readProducerInfo(batch);
    if (!info) continue;
    const baseOffset = baseOffsetOf(records, pos);
    const marker = readEndTxnMarker(records, pos, size);
    if (marker) {
      const commit = marker.controlType === ControlType.COMMIT;
      yield { kind: 'marker', marker: { producerId: info.producerId, producerEpoch: info.producerEpoch, coordinatorEpoch: marker.coordinatorEpoch, commit, offset: baseOffset, timestampMs: info.maxTimestamp } };
    } else if (!isControlBatch(records, pos)) {
      yield { kind: 'data', info, baseOffset };
    }
  }
}

export function openLog(dir: string, config: EffectiveTopicConfig, recoveryPoint: number): BindingLog {
  return native.BindingLog.open(dir, toBindingLogConfig(config), recoveryPoint);
}

/** openLog on the thread pool (start-up opens many logs at once). */
export function openLogAsync(dir: string, config: EffectiveTopicConfig, recoveryPoint: number): Promise<BindingLog> {
  return native.BindingLog.openAsync(dir, toBindingLogConfig(config), recoveryPoint);
}
