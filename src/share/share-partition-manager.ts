// SharePartitionManager (after Kafka's SharePartitionManager and ShareSessionCache): the
// share-partition leader's side of share groups. It holds a SharePartition for every
// (group, topic partition) this broker leads and a share consumer fetched, the share sessions
// of ShareFetch/ShareAcknowledge, the acquisition locks, and persists every state change
// through the share coordinator's store (share-state-store.ts) before answering.
//
// Share sessions (KIP-932): ShareFetch with ShareSessionEpoch 0 opens the session of
// (group, member) with the partitions it names (replacing an older one); later requests carry
// the next epoch (1, 2, ... wrapping to 1), add partitions and forget others; -1 closes it
// (acknowledgements only). A session closed (or its connection) releases the records the
// member holds in the session's partitions, and a member leaving the group all it holds.
//
// Initialization: the first fetch of a share-partition without stored state starts it at the
// group's share.auto.offset.reset (latest: the high watermark; earliest: the log start) and
// writes that state, so that a restart does not move it.
import type { Logger } from 'pino';
import { abortedOffsetRanges, splitAcquired } from './share-isolation.js';
import type { BrokerConfig } from '../config/broker-config.js';
import type { Partition } from '../partition/partition.js';
import type { TopicService } from '../partition/topic-service.js';
import { ErrorCode } from '../protocol/errors.js';
import { AcknowledgeType, SharePartition, type AcquiredRange, type PersistedShareState } from './share-partition.js';
import type { ShareStateStore } from './share-state-store.js';
import type { SharePartitionKey } from './share-state-records.js';

/** The share coordinator's transient errors (Kafka's persister retries them). */
const COORDINATOR_UNAVAILABLE: ReadonlySet<number> = new Set([ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.NOT_COORDINATOR]);

export interface ShareGroupSettings {
  readonly autoOffsetReset: 'latest' | 'earliest';
  /** share.isolation.level: read_committed acquires up to the last stable offset and skips aborted transactions. */
  readonly isolationLevel: 'read_uncommitted' | 'read_committed';
  readonly recordLockDurationMs: number;
  readonly deliveryCountLimit: number;
}

export interface AckBatch {
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly acknowledgeTypes: readonly number[];
}

export interface TopicIdPartition {
  readonly topicId: string;
  readonly partition: number;
}

export interface FetchedSharePartition {
  readonly errorCode: number;
  readonly records: Buffer;
  readonly acquired: AcquiredRange[];
}

interface ShareSession {
  readonly groupId: string;
  readonly memberId: string;
  epoch: number;
  readonly partitions: Map<string, TopicIdPartition>;
  readonly connectionId: number;
}

const NO_RECORDS = Buffer.alloc(0);
/** The most log bytes one share-partition reads for one ShareFetch (the first batch is whole regardless, KIP-74). */
const SHARE_READ_BYTES_MAX = 4 * 1024 * 1024;

export function tpKey(topicId: string, partition: number): string {
  return `${topicId}:${partition}`;
}

function spKey(groupId: string, topicId: string, partition: number): string {
  return `${groupId}\u0000${topicId}\u0000${partition}`;
}

/** ShareRequestMetadata.nextEpoch: 0 → 1, MAX → 1. */
function nextEpoch(epoch: number): number {
  return epoch === 2147483647 ? 1 : epoch + 1;
}

export type SessionOutcome = { errorCode: number; errorMessage: string | null; session: ShareSession | null };

export class SharePartitionManager {
  private readonly partitions = new Map<string, SharePartition>();
  /** Cached share-partitions whose state epoch is to be checked against the store before their next use (a new share session). */
  private readonly revalidate = new Set<string>();
  private readonly loading = new Map<string, Promise<SharePartition | number>>();
  private readonly sessions = new Map<string, ShareSession>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Fetches parked for data: woken by a release (new AVAILABLE records) on any share-partition. */
  private readonly releaseWaiters = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly config: BrokerConfig,
    private readonly topics: TopicService,
    private readonly store: ShareStateStore,
    private readonly settingsOf: (groupId: string) => ShareGroupSettings,
    private readonly logger: Logger,
  ) {}

  // ---------------------------------------------------------------- sessions

  /**
   * Applies a ShareFetch's session fields (Kafka's SharePartitionManager.newContext): the
   * session after the request, or the error to answer at the top level.
   */
  fetchSession(groupId: string, memberId: string, epoch: number, added: readonly TopicIdPartition[], forgotten: readonly TopicIdPartition[], hasAcks: boolean, connection: { id: number; socket: import('node:net').Socket }): SessionOutcome {
    const key = `${groupId}\u0000${memberId}`;
    if (epoch === 0) {
      if (hasAcks) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Acknowledge data present in initial fetch request', session: null };
      const old = this.sessions.get(key);
      if (old) this.closeSession(old);
      if (this.sessions.size >= this.config.values['group.share.max.share.sessions']) {
        return { errorCode: ErrorCode.SHARE_SESSION_LIMIT_REACHED, errorMessage: 'The limit of share sessions has been reached', session: null };
      }
      const session: ShareSession = { groupId, memberId, epoch: 1, partitions: new Map(), connectionId: connection.id };
      for (const tp of added) session.partitions.set(tpKey(tp.topicId, tp.partition), tp);
      // A share-partition cached with nothing in flight may have had its offsets altered through
      // its share coordinator meanwhile (AlterShareGroupOffsets while the group was empty): its
      // state epoch is checked against the store before this session's first fetch of it.
      for (const tp of added) {
        const k = spKey(groupId, tp.topicId, tp.partition);
        const cached = this.partitions.get(k);
        if (cached && cached.acquiredCount() === 0) this.revalidate.add(k);
      }
      this.sessions.set(key, session);
      connection.socket.once('close', () => {
        if (this.sessions.get(key) === session) this.closeSession(session);
      });
      return { errorCode: ErrorCode.NONE, errorMessage: null, session };
    }
    const session = this.sessions.get(key);
    if (!session) return { errorCode: ErrorCode.SHARE_SESSION_NOT_FOUND, errorMessage: `Share session not found for member ${memberId}`, session: null };
    if (epoch === -1) return { errorCode: ErrorCode.NONE, errorMessage: null, session };
    if (session.epoch !== epoch) return { errorCode: ErrorCode.INVALID_SHARE_SESSION_EPOCH, errorMessage: `Share session epoch ${epoch} does not match ${session.epoch}`, session: null };
    for (const tp of added) session.partitions.set(tpKey(tp.topicId, tp.partition), tp);
    // A forgotten partition leaves the session only: the member may still acknowledge what it
    // holds there (a reassignment takes a partition away with its records in flight); those it
    // never answers come back when their lock expires or the session closes (Kafka alike).
    for (const tp of forgotten) session.partitions.delete(tpKey(tp.topicId, tp.partition));
    session.epoch = nextEpoch(session.epoch);
    return { errorCode: ErrorCode.NONE, errorMessage: null, session };
  }

  /** ShareAcknowledge's session check (Kafka's acknowledgeSessionUpdate): epoch 0 is refused. */
  acknowledgeSession(groupId: string, memberId: string, epoch: number): SessionOutcome {
    if (epoch === 0) return { errorCode: ErrorCode.INVALID_SHARE_SESSION_EPOCH, errorMessage: 'ShareAcknowledge cannot open a share session', session: null };
    const session = this.sessions.get(`${groupId}\u0000${memberId}`);
    if (!session) return { errorCode: ErrorCode.SHARE_SESSION_NOT_FOUND, errorMessage: `Share session not found for member ${memberId}`, session: null };
    if (epoch === -1) return { errorCode: ErrorCode.NONE, errorMessage: null, session };
    if (session.epoch !== epoch) return { errorCode: ErrorCode.INVALID_SHARE_SESSION_EPOCH, errorMessage: `Share session epoch ${epoch} does not match ${session.epoch}`, session: null };
    session.epoch = nextEpoch(session.epoch);
    return { errorCode: ErrorCode.NONE, errorMessage: null, session };
  }

  /** Closes a session (epoch -1, a newer session of the member, its connection gone): its member's records are released. */
  closeSession(session: ShareSession): void {
    const key = `${session.groupId}\u0000${session.memberId}`;
    if (this.sessions.get(key) === session) this.sessions.delete(key);
    this.releaseMember(session.groupId, session.memberId);
  }

  private releaseMember(groupId: string, memberId: string): void {
    let released = false;
    for (const sp of this.partitions.values()) {
      if (sp.groupId === groupId && sp.releaseMember(memberId) > 0) {
        this.persistInBackground(sp);
        released = true;
      }
    }
    if (released) this.wakeReleaseWaiters();
  }

  /** Closes the member's session, if any (it left the group or was fenced). */
  memberLeft(groupId: string, memberId: string): void {
    const session = this.sessions.get(`${groupId}\u0000${memberId}`);
    if (session) this.closeSession(session);
    else this.releaseMember(groupId, memberId);
  }

  sessionCount(): number {
    return this.sessions.size;
  }

  // ---------------------------------------------------------------- share-partitions

  /** The leader partition of a topic id, or the error (UNKNOWN_TOPIC_ID, NOT_LEADER_OR_FOLLOWER). */
  leaderPartition(topicId: string, partition: number): { topic: string; p: Partition } | number {
    const t = this.topics.getTopicById(topicId);
    if (!t) return ErrorCode.UNKNOWN_TOPIC_ID;
    if (!t.partitions.some((a) => a.partition === partition)) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    const p = this.topics.partition(t.name, partition);
    if (!p || !p.isLeader) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    return { topic: t.name, p };
  }

  /** The share-partition, loaded from the store or initialized on first use; an error code otherwise. */
  async sharePartition(groupId: string, topicId: string, partition: number): Promise<SharePartition | number> {
    const k = spKey(groupId, topicId, partition);
    const found = this.partitions.get(k);
    const leader = this.leaderPartition(topicId, partition);
    if (typeof leader === 'number') {
      // Leadership moved: the state is the new leader's to serve (it reloads it from the store).
      if (found) this.partitions.delete(k);
      return leader;
    }
    if (found && this.revalidate.delete(k)) {
      const read = await this.store.readState({ groupId, topicId, partition }, Math.max(0, leader.p.leaderEpoch));
      if (read.errorCode === ErrorCode.NONE && read.state && read.state.stateEpoch !== found.stateEpoch && this.partitions.get(k) === found && found.acquiredCount() === 0) {
        this.logger.info({ group: groupId, topic: leader.topic, partition, stateEpoch: read.state.stateEpoch }, 'share-partition state altered through its share coordinator; reloading it');
        this.partitions.delete(k);
      }
    }
    const current = this.partitions.get(k);
    if (current) return current;
    let pending = this.loading.get(k);
    if (!pending) {
      pending = this.load(groupId, topicId, leader.topic, leader.p);
      this.loading.set(k, pending);
      void pending.finally(() => this.loading.delete(k));
    }
    return pending;
  }

  private async load(groupId: string, topicId: string, topic: string, p: Partition): Promise<SharePartition | number> {
    const key: SharePartitionKey = { groupId, topicId, partition: p.index };
    const settings = () => this.settingsOf(groupId);
    const leaderEpoch = Math.max(0, p.leaderEpoch);
    const read = await this.store.readState(key, leaderEpoch);
    if (read.errorCode !== ErrorCode.NONE) return read.errorCode;
    let stored: PersistedShareState | null = read.state;
    if (!stored) {
      const startOffset = settings().autoOffsetReset === 'earliest' ? p.logStartOffset : p.highWatermark;
      stored = { stateEpoch: 0, startOffset, stateBatches: [] };
      const errorCode = await this.store.write(key, stored, leaderEpoch, 0);
      if (errorCode !== ErrorCode.NONE) return errorCode;
    }
    const sp = new SharePartition(groupId, topicId, topic, p.index, stored, () => settings().deliveryCountLimit);
    if (sp.startOffset < p.logStartOffset) sp.resetStartOffset(p.logStartOffset);
    this.partitions.set(spKey(groupId, topicId, p.index), sp);
    return sp;
  }

  /** The share-partitions this broker serves now, optionally of one group. */
  servedPartitions(groupId?: string): SharePartition[] {
    return [...this.partitions.values()].filter((sp) => groupId === undefined || sp.groupId === groupId);
  }

  /** Forgets a group's in-memory share-partitions (the group was deleted or its offsets altered). */
  forgetGroup(groupId: string, topicId?: string): void {
    for (const [k, sp] of this.partitions) if (sp.groupId === groupId && (topicId === undefined || sp.topicId === topicId)) this.partitions.delete(k);
  }

  // ---------------------------------------------------------------- acknowledge and fetch

  /**
   * Applies a member's acknowledgements to one share-partition and persists the result: NONE,
   * INVALID_RECORD_STATE when a batch names records the member does not hold (the valid
   * batches still apply), or the share-partition's / the store's error.
   */
  async acknowledge(groupId: string, memberId: string, tp: TopicIdPartition, batches: readonly AckBatch[]): Promise<number> {
    const sp = await this.sharePartition(groupId, tp.topicId, tp.partition);
    if (typeof sp === 'number') return sp;
    let errorCode: number = ErrorCode.NONE;
    let released = false;
    for (const b of batches) {
      if (b.acknowledgeTypes.length === 1 && b.acknowledgeTypes[0] === AcknowledgeType.RENEW) {
        const acquisition = sp.renew(memberId, b.firstOffset, b.lastOffset);
        this.startLock(sp, acquisition);
        continue;
      }
      if (!sp.acknowledge(memberId, b.firstOffset, b.lastOffset, b.acknowledgeTypes)) errorCode = ErrorCode.INVALID_RECORD_STATE;
      else if (b.acknowledgeTypes.includes(AcknowledgeType.RELEASE)) released = true;
    }
    const persisted = await this.persist(sp);
    if (released) this.wakeReleaseWaiters();
    return persisted !== ErrorCode.NONE ? persisted : errorCode;
  }

  /**
   * Acquires records of one share-partition for a member: reads the log from the lowest
   * available offset (up to the high watermark), acquires the available offsets of what was
   * read (at most maxRecords) and locks them for the group's record lock duration. The
   * records returned are whole batches; the client keeps the acquired offsets only.
   */
  async fetch(groupId: string, memberId: string, tp: TopicIdPartition, maxRecords: number, maxBytes: number): Promise<FetchedSharePartition> {
    const sp = await this.sharePartition(groupId, tp.topicId, tp.partition);
    // The share coordinator not reachable yet (__share_group_state being created, its leader
    // moving): the share-partition is not initialized, and the fetch answers no records for it
    // and no error, to be tried again on the next poll (Kafka's persister retries these errors
    // itself and SharePartitionManager completes a not-yet-initialized partition empty; the
    // Java client treats COORDINATOR_NOT_AVAILABLE in ShareFetch as fatal).
    if (typeof sp === 'number' && COORDINATOR_UNAVAILABLE.has(sp)) return { errorCode: ErrorCode.NONE, records: NO_RECORDS, acquired: [] };
    if (typeof sp === 'number') return { errorCode: sp, records: NO_RECORDS, acquired: [] };
    const leader = this.leaderPartition(tp.topicId, tp.partition);
    if (typeof leader === 'number') return { errorCode: leader, records: NO_RECORDS, acquired: [] };
    const p = leader.p;
    if (sp.startOffset < p.logStartOffset) sp.resetStartOffset(p.logStartOffset);
    // share.isolation.level: read_committed acquires up to the last stable offset only.
    const committed = this.settingsOf(groupId).isolationLevel === 'read_committed';
    const readableEnd = committed ? p.lastStableOffset : p.highWatermark;
    // Kafka's in-flight limit (SharePartition.maxInFlightRecords): offsets at or past
    // startOffset + group.share.partition.max.record.locks are not acquired until the start
    // moves, which also bounds every scan of the window.
    const maxLocks = this.config.values['group.share.partition.max.record.locks'];
    const windowEnd = sp.startOffset + maxLocks - 1;
    const from = sp.nextFetchOffset();
    if (from > windowEnd) return { errorCode: ErrorCode.NONE, records: NO_RECORDS, acquired: [] };
    if (from >= readableEnd) return { errorCode: ErrorCode.NONE, records: NO_RECORDS, acquired: [] };
    let read;
    try {
      // At most SHARE_READ_BYTES_MAX per partition and fetch: the read starts at the lowest
      // available offset, and what lies past the window cannot be acquired anyway.
      read = p.read(from, Math.max(1, Math.min(maxBytes, SHARE_READ_BYTES_MAX)), committed ? 'read_committed' : 'read_uncommitted', true);
    } catch (err) {
      this.logger.warn({ err, topic: leader.topic, partition: tp.partition }, 'share fetch read failed');
      return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, records: NO_RECORDS, acquired: [] };
    }
    if (!read.slice) return { errorCode: ErrorCode.NONE, records: NO_RECORDS, acquired: [] };
    const lastOffset = Math.min(read.slice.lastOffset, readableEnd - 1, windowEnd);
    const { ranges, acquisition } = sp.acquire(memberId, from, lastOffset, maxRecords);
    if (ranges.length === 0) return { errorCode: ErrorCode.NONE, records: NO_RECORDS, acquired: [] };
    this.startLock(sp, acquisition);
    const records = await read.slice.toBuffer();
    if (!committed || !read.abortedTransactions || read.abortedTransactions.length === 0) return { errorCode: ErrorCode.NONE, records, acquired: ranges };
    // Records of aborted transactions are archived at once and not delivered (Kafka's
    // filterAbortedTransactionalAcquiredRecords); the archive is persisted before the answer.
    const { kept, removed } = splitAcquired(ranges, abortedOffsetRanges(records, read.abortedTransactions));
    if (removed.length === 0) return { errorCode: ErrorCode.NONE, records, acquired: ranges };
    for (const r of removed) sp.acknowledge(memberId, r.firstOffset, r.lastOffset, [AcknowledgeType.REJECT]);
    const persisted = await this.persist(sp);
    if (persisted !== ErrorCode.NONE) this.logger.warn({ group: groupId, topic: leader.topic, partition: tp.partition, errorCode: persisted }, 'could not persist the archive of aborted records');
    return { errorCode: ErrorCode.NONE, records: kept.length > 0 ? records : NO_RECORDS, acquired: kept };
  }

  /**
   * Waits until one of the partitions may have records to acquire (the log grew, or records
   * were released), or maxWaitMs passed.
   */
  waitForRecords(tps: readonly TopicIdPartition[], maxWaitMs: number): Promise<void> {
    if (maxWaitMs <= 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const cancels: (() => void)[] = [];
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.timers.delete(timer);
        for (const c of cancels) c();
        this.releaseWaiters.delete(finish);
        resolve();
      };
      const timer = setTimeout(finish, maxWaitMs);
      this.timers.add(timer);
      this.releaseWaiters.add(finish);
      for (const tp of tps) {
        const leader = this.leaderPartition(tp.topicId, tp.partition);
        if (typeof leader !== 'number') cancels.push(leader.p.onData(finish));
      }
    });
  }

  private wakeReleaseWaiters(): void {
    for (const w of [...this.releaseWaiters]) w();
  }

  private startLock(sp: SharePartition, acquisition: number): void {
    const ms = this.settingsOf(sp.groupId).recordLockDurationMs;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.partitions.get(spKey(sp.groupId, sp.topicId, sp.partition)) !== sp) return;
      if (sp.releaseAcquisition(acquisition) > 0) {
        this.persistInBackground(sp);
        this.wakeReleaseWaiters();
      }
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  private async persist(sp: SharePartition): Promise<number> {
    const p = this.topics.partition(sp.topic, sp.partition);
    return this.store.write({ groupId: sp.groupId, topicId: sp.topicId, partition: sp.partition }, sp.snapshot(), Math.max(0, p?.leaderEpoch ?? 0), sp.deliveryCompleteCount());
  }

  private persistInBackground(sp: SharePartition): void {
    void this.persist(sp).catch((err: unknown) => this.logger.warn({ err }, 'share group state write failed'));
  }

  shutdown(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.wakeReleaseWaiters();
  }
}
