// GroupMetadataManager (after Kafka's GroupMetadataManager.scala): the storage side of the
// group coordinator. It holds the cache of groups (with their committed offsets), maps a group
// to its __consumer_offsets partition, writes group metadata and offset commits as record
// batches, rebuilds the cache from the log at start-up, and removes offsets and groups with
// tombstones (DeleteGroups, OffsetDelete, expiration). The state machine is GroupCoordinator's.
//
// Every method runs on the JS thread; appends are awaited, and the cache changes only after
// an append succeeded (Kafka's pendingOffsetCommits make a commit in flight visible as such).
// Loading: the latest value for a key wins; a null value (tombstone) deletes the key.
//
// Partition ownership (Kafka's ownedPartitions and loadingPartitions): on a single node this
// broker coordinates every partition once start-up loaded them. In a cluster it coordinates
// the partitions it leads: an election marks the partition loading until its groups are read
// back, a resignation removes them at once. Each election and resignation bumps the
// partition's epoch, so that a load overtaken by a resignation (the reads are asynchronous)
// is discarded instead of filling the cache with groups another broker now coordinates.
import type { Logger } from 'pino';
import { ErrorCode } from '../protocol/errors.js';
import type { GroupMetadataValue } from '../protocol/generated/group-metadata-value.js';
import { GroupMetadata } from './group-metadata.js';
import { MemberMetadata } from './member-metadata.js';
import {
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  decodeOffsetsKey,
  groupMetadataKey,
  groupMetadataValue,
  offsetCommitKey,
  offsetCommitValue,
  type CommittedOffset,
} from './offsets-records.js';
import { GROUP_METADATA_TOPIC_NAME, partitionForGroup, type OffsetsTopicStore } from './offsets-topic.js';
import { decodeRecordBatches, encodeRecordBatch, type ConsumedBatch, type ProducerRecord } from '../client/record-batch.js';

/** Kafka's offset.metadata.max.bytes default: longer commit metadata gets OFFSET_METADATA_TOO_LARGE. */
export const OFFSET_METADATA_MAX_BYTES = 4096;
/** Kafka's offsets.load.buffer.size default: bytes read per step when loading a partition. */
export const OFFSETS_LOAD_BUFFER_BYTES = 5 * 1024 * 1024;

const EMPTY = Buffer.alloc(0);

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface TopicPartitionError extends TopicPartition {
  readonly errorCode: number;
}

export interface OffsetCommitPartition {
  readonly partition: number;
  readonly offset: number;
  readonly leaderEpoch: number;
  /** OffsetCommit v1 only; -1 means "now". */
  readonly commitTimestampMs: number;
  readonly metadata: string | null;
}

/** The offsets of one OffsetCommit request. */
export interface OffsetCommitRequest {
  /** OffsetCommit v2-4 retention time; -1 for the broker's retention. */
  readonly retentionTimeMs: number;
  readonly topics: readonly { topic: string; partitions: readonly OffsetCommitPartition[] }[];
}

export interface FetchedOffset {
  readonly partition: number;
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly errorCode: number;
}

export interface OffsetFetchResult {
  readonly errorCode: number;
  readonly topics: { topic: string; partitions: FetchedOffset[] }[];
}

export class GroupMetadataManager {
  private readonly groups = new Map<string, GroupMetadata>();
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Clustered: partitions whose groups are loaded and served here. */
  private readonly ownedPartitions = new Set<number>();
  /** Partitions being read back; their groups answer COORDINATOR_LOAD_IN_PROGRESS. */
  private readonly loadingPartitions = new Set<number>();
  /** Bumped on every election and resignation of a partition (see the header). */
  private readonly partitionEpochs = new Map<number, number>();

  constructor(
    private readonly store: OffsetsTopicStore,
    /** offsets.topic.num.partitions: the partition count until the topic exists. */
    private readonly offsetsTopicNumPartitions: number,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  // ---------------------------------------------------------------- the cache

  getGroup(groupId: string): GroupMetadata | undefined {
    return this.groups.get(groupId);
  }

  addGroup(group: GroupMetadata): GroupMetadata {
    this.groups.set(group.groupId, group);
    return group;
  }

  currentGroups(): GroupMetadata[] {
    return [...this.groups.values()];
  }

  /** Forgets every group and partition (the coordinator unloaded them at shutdown). */
  clear(): void {
    this.groups.clear();
    for (const p of [...this.ownedPartitions, ...this.loadingPartitions]) this.bumpEpoch(p);
    this.ownedPartitions.clear();
    this.loadingPartitions.clear();
  }

  // ---------------------------------------------------------------- the offsets topic

  partitionCount(): number | null {
    return this.store.partitionCount();
  }

  /** The __consumer_offsets partition that owns the group. */
  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.store.partitionCount() ?? this.offsetsTopicNumPartitions);
  }

  isLocalPartition(partition: number): boolean {
    return this.store.isLocal(partition);
  }

  /** The partition's leader as the controller decided it; -1 for none. */
  leaderOf(partition: number): number {
    return this.store.leaderOf(partition);
  }

  get clustered(): boolean {
    return this.store.clustered;
  }

  /**
   * Kafka's isGroupLocal: whether this broker coordinates the group's partition. A single node
   * does once the partition is loaded (and until the topic exists, which it will create); a
   * cluster member once it was elected leader and loaded the partition.
   */
  isGroupLocal(groupId: string): boolean {
    const partition = this.partitionFor(groupId);
    if (this.loadingPartitions.has(partition)) return false;
    if (this.store.clustered) return this.ownedPartitions.has(partition);
    return this.store.partitionCount() === null || this.store.isLocal(partition);
  }

  /** Kafka's isGroupLoading: the group's partition is being read back. */
  isGroupLoading(groupId: string): boolean {
    return this.loadingPartitions.has(this.partitionFor(groupId));
  }

  /** Whether any partition is being read back (ListGroups answers COORDINATOR_LOAD_IN_PROGRESS). */
  get isLoading(): boolean {
    return this.loadingPartitions.size > 0;
  }

  isPartitionOwned(partition: number): boolean {
    return this.ownedPartitions.has(partition);
  }

  /**
   * Kafka's addLoadingPartition: the start of a partition's election; the epoch its load must
   * still hold when it completes, or null when the partition is loaded or loading already.
   */
  beginLoading(partition: number): number | null {
    if (this.ownedPartitions.has(partition) || this.loadingPartitions.has(partition)) return null;
    this.loadingPartitions.add(partition);
    return this.bumpEpoch(partition);
  }

  /**
   * The end of a load: the groups go into the cache and the partition is owned, unless a
   * resignation came meanwhile (then nothing changes). Returns the groups added. As Kafka, the
   * partition is owned even when reading it failed (loaded is then what could be read).
   */
  finishLoading(partition: number, epoch: number, loaded: readonly GroupMetadata[]): GroupMetadata[] {
    if (this.partitionEpochs.get(partition) !== epoch || !this.loadingPartitions.has(partition)) return [];
    const added: GroupMetadata[] = [];
    for (const group of loaded) {
      if (this.groups.has(group.groupId)) {
        this.logger.error({ group: group.groupId, partition }, 'attempt to load a group failed because another group with the same id is already cached');
        continue;
      }
      this.groups.set(group.groupId, group);
      added.push(group);
    }
    this.loadingPartitions.delete(partition);
    this.ownedPartitions.add(partition);
    return added;
  }

  /** Whether a load begun at `epoch` is still the partition's current one. */
  isCurrentLoad(partition: number, epoch: number): boolean {
    return this.partitionEpochs.get(partition) === epoch && this.loadingPartitions.has(partition);
  }

  /**
   * Kafka's removeGroupsForPartition: the partition is no longer served here; its groups leave
   * the cache (each passed to onGroupUnloaded first). Returns how many groups were removed.
   */
  removeGroupsForPartition(partition: number, onGroupUnloaded: (g: GroupMetadata) => void): number {
    this.bumpEpoch(partition);
    this.ownedPartitions.delete(partition);
    this.loadingPartitions.delete(partition);
    let removed = 0;
    for (const group of [...this.groups.values()]) {
      if (this.partitionFor(group.groupId) !== partition) continue;
      onGroupUnloaded(group);
      this.groups.delete(group.groupId);
      removed++;
    }
    return removed;
  }

  private bumpEpoch(partition: number): number {
    const epoch = (this.partitionEpochs.get(partition) ?? 0) + 1;
    this.partitionEpochs.set(partition, epoch);
    return epoch;
  }

  /** Creates __consumer_offsets on first use; COORDINATOR_NOT_AVAILABLE when it cannot be. */
  ensureOffsetsTopic(): number | null {
    if (this.store.partitionCount() !== null) return null;
    const created = this.store.create();
    if (created.errorCode !== ErrorCode.NONE) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    this.logger.info({ topic: GROUP_METADATA_TOPIC_NAME, partitions: this.store.partitionCount() }, 'created the offsets topic');
    return null;
  }

  // ---------------------------------------------------------------- offsets

  /**
   * Kafka's storeOffsets: appends the commits as one batch and, once appended, makes them the
   * group's committed offsets. Metadata over OFFSET_METADATA_MAX_BYTES is refused per partition.
   */
  async storeOffsets(group: GroupMetadata, p: OffsetCommitRequest): Promise<TopicPartitionError[]> {
    const nowMs = this.now();
    const expireTimestampMs = p.retentionTimeMs === -1 ? null : nowMs + p.retentionTimeMs;
    const results: TopicPartitionError[] = [];
    const accepted: { topic: string; partition: number; value: CommittedOffset }[] = [];
    for (const t of p.topics) {
      for (const x of t.partitions) {
        const metadata = x.metadata ?? '';
        if (Buffer.byteLength(metadata) > OFFSET_METADATA_MAX_BYTES) {
          results.push({ topic: t.topic, partition: x.partition, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE });
          continue;
        }
        accepted.push({
          topic: t.topic,
          partition: x.partition,
          value: { offset: x.offset, leaderEpoch: x.leaderEpoch, metadata, commitTimestampMs: x.commitTimestampMs === -1 ? nowMs : x.commitTimestampMs, expireTimestampMs },
        });
      }
    }
    if (accepted.length === 0) return results;
    const records = accepted.map((a) => ({ key: offsetCommitKey(group.groupId, a.topic, a.partition), value: offsetCommitValue(a.value) }));
    const tokens = accepted.map((a) => group.prepareOffsetCommit(a.topic, a.partition));
    const appended = await this.trackAppend(this.append(group.groupId, records));
    const errorCode = mapOffsetCommitError(appended);
    accepted.forEach((a, i) => {
      if (errorCode === ErrorCode.NONE && !group.is('Dead')) group.onOffsetCommitAppend(a.topic, a.partition, tokens[i]!, a.value);
      else group.failPendingOffsetWrite(a.topic, a.partition, tokens[i]!);
      results.push({ topic: a.topic, partition: a.partition, errorCode });
    });
    if (errorCode !== ErrorCode.NONE) this.logger.warn({ group: group.groupId, errorCode: appended }, 'offset commit failed to append');
    return results;
  }

  /**
   * Kafka's getOffsets: committed offsets of a group, whatever its state (it may only store
   * offsets). null topics means every committed offset. Partitions without one answer -1.
   * requireStable: a partition with a commit in flight answers UNSTABLE_OFFSET_COMMIT.
   */
  getOffsets(groupId: string, topics: readonly { topic: string; partitions: readonly number[] }[] | null, requireStable: boolean): OffsetFetchResult {
    const group = this.groups.get(groupId);
    const live = group && !group.is('Dead') ? group : undefined;
    const answer = (topic: string, partition: number): FetchedOffset => {
      if (live && requireStable && live.hasPendingOffsetCommit(topic, partition)) {
        return { partition, offset: -1, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT };
      }
      const o = live?.offset(topic, partition);
      return o ? { partition, offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE } : { partition, offset: -1, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE };
    };
    if (topics === null) {
      if (!live) return { errorCode: ErrorCode.NONE, topics: [] };
      return { errorCode: ErrorCode.NONE, topics: [...live.offsets].map(([topic, byPartition]) => ({ topic, partitions: [...byPartition.keys()].map((p) => answer(topic, p)) })) };
    }
    return { errorCode: ErrorCode.NONE, topics: topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => answer(t.topic, p)) })) };
  }

  // ---------------------------------------------------------------- removal

  /**
   * Kafka's cleanupGroupMetadata: removes offsets chosen by `select`, marks groups with
   * neither members nor offsets Dead, drops Dead groups, and writes the tombstones (one
   * batch per group). Returns how many offsets were removed.
   */
  async cleanupGroupMetadata(groups: readonly GroupMetadata[], select: (g: GroupMetadata) => TopicPartition[], onGroupDead: (g: GroupMetadata) => void): Promise<number> {
    let removedCount = 0;
    const appends: Promise<void>[] = [];
    for (const group of groups) {
      const removed = select(group);
      if (group.is('Empty') && !group.hasOffsets()) {
        this.logger.info({ group: group.groupId, generation: group.generationId }, 'group transitioned to Dead');
        group.transitionTo('Dead');
      }
      const tombstones: ProducerRecord[] = removed.map((tp) => ({ key: offsetCommitKey(group.groupId, tp.topic, tp.partition), value: null }));
      if (group.is('Dead')) {
        if (this.groups.get(group.groupId) === group) {
          onGroupDead(group);
          this.groups.delete(group.groupId);
        }
        // A group that only stored offsets (generation 0) never wrote metadata.
        if (group.generationId > 0) tombstones.push({ key: groupMetadataKey(group.groupId), value: null });
      }
      removedCount += removed.length;
      if (tombstones.length === 0) continue;
      appends.push(
        this.trackAppend(this.append(group.groupId, tombstones)).then((errorCode) => {
          if (errorCode !== ErrorCode.NONE) this.logger.warn({ group: group.groupId, errorCode }, 'could not write tombstones for removed group metadata');
        }),
      );
    }
    await Promise.all(appends);
    return removedCount;
  }

  // ---------------------------------------------------------------- appends

  /** Kafka's storeGroup: the group's metadata with the given assignment, one record. */
  async storeGroup(group: GroupMetadata, assignment: ReadonlyMap<string, Buffer>): Promise<number> {
    const protocol = group.protocolName;
    const value = groupMetadataValue({
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol,
      leader: group.leaderId,
      currentStateTimestamp: group.currentStateTimestampMs ?? -1,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: protocol !== null ? m.metadata(protocol) : EMPTY,
        assignment: assignment.get(m.memberId) ?? EMPTY,
      })),
    });
    const errorCode = await this.trackAppend(this.append(group.groupId, [{ key: groupMetadataKey(group.groupId), value }]));
    return mapStoreGroupError(errorCode);
  }

  /** Appends records for a group to its partition; the raw Kafka error code. */
  private async append(groupId: string, records: readonly ProducerRecord[]): Promise<number> {
    if (this.ensureOffsetsTopic() !== null) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    const batch = encodeRecordBatch(records, { timestampMs: this.now() });
    try {
      const outcome = await this.store.append(this.partitionFor(groupId), batch);
      return outcome.errorCode;
    } catch (err) {
      this.logger.error({ err, group: groupId }, 'append to the offsets topic failed');
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    }
  }

  private trackAppend<T>(promise: Promise<T>): Promise<T> {
    this.track(promise);
    return promise;
  }

  /** Keeps a task's promise until it settles, so that shutdown can wait for it; errors are logged. */
  track(promise: Promise<unknown>): void {
    const p = promise.catch((err: unknown) => this.logger.error({ err }, 'group coordinator task failed'));
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** Waits for appends and follow-up tasks in flight. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  // ---------------------------------------------------------------- loading

  /**
   * Reads one partition of __consumer_offsets from its start and rebuilds its groups; they go
   * into the cache through finishLoading, so that a load overtaken by a resignation leaves
   * the cache alone.
   */
  async loadPartition(partition: number): Promise<GroupMetadata[]> {
    const offsets = new Map<string, Map<string, CommittedOffset>>();
    const groupValues = new Map<string, GroupMetadataValue>();
    let position = this.store.logStartOffset(partition);
    let records = 0;
    for (;;) {
      const chunk = await this.store.read(partition, position, OFFSETS_LOAD_BUFFER_BYTES);
      if (chunk.bytes.length === 0) break;
      let batches: ConsumedBatch[];
      try {
        batches = decodeRecordBatches(chunk.bytes).batches;
      } catch (err) {
        // The log checked these batches on append and on recovery: this is a bug or a disk
        // fault. Keep what was read so far rather than refusing to start.
        this.logger.error({ err, partition: `${GROUP_METADATA_TOPIC_NAME}-${partition}`, offset: position }, 'unreadable batch in the offsets topic; stopped loading this partition');
        break;
      }
      if (batches.length === 0) break;
      for (const batch of batches) {
        if (batch.isControl || batch.isTransactional) continue; // no transactional offset commits yet
        for (const record of batch.records) {
          records++;
          let key;
          try {
            if (record.key === null) throw new Error('a record without a key');
            key = decodeOffsetsKey(record.key);
          } catch (err) {
            this.logger.warn({ partition, offset: record.offset, err: (err as Error).message }, 'skipping an unreadable offsets topic key');
            continue;
          }
          try {
            if (key.kind === 'offset') {
              const tp = `${key.topic}\u0000${key.partition}`;
              let byGroup = offsets.get(key.group);
              if (record.value === null) {
                byGroup?.delete(tp);
              } else {
                if (!byGroup) offsets.set(key.group, (byGroup = new Map()));
                byGroup.set(tp, decodeOffsetCommitValue(record.value));
              }
            } else if (record.value === null) {
              groupValues.delete(key.group);
            } else {
              groupValues.set(key.group, decodeGroupMetadataValue(record.value));
            }
          } catch (err) {
            this.logger.warn({ partition, offset: record.offset, err: (err as Error).message }, 'skipping an unreadable offsets topic value');
          }
        }
      }
      position = batches[batches.length - 1]!.lastOffset + 1;
      if (position >= chunk.logEndOffset) break;
    }
    const loaded: GroupMetadata[] = [];
    for (const [groupId, value] of groupValues) loaded.push(this.loadGroup(groupId, value, offsets.get(groupId)));
    for (const [groupId, byTp] of offsets) {
      if (groupValues.has(groupId) || byTp.size === 0) continue;
      // Groups that only store offsets have no metadata record.
      loaded.push(this.loadGroup(groupId, null, byTp));
    }
    if (records > 0) this.logger.info({ partition: `${GROUP_METADATA_TOPIC_NAME}-${partition}`, records, groups: groupValues.size }, 'loaded offsets topic partition');
    return loaded;
  }

  private loadGroup(groupId: string, value: GroupMetadataValue | null, offsets: Map<string, CommittedOffset> | undefined): GroupMetadata {
    const members = value?.members ?? [];
    const group = new GroupMetadata(groupId, members.length === 0 ? 'Empty' : 'Stable', this.now);
    if (value) {
      group.generationId = value.generation;
      group.protocolType = value.protocolType === '' ? null : value.protocolType;
      group.protocolName = value.protocol;
      group.leaderId = value.leader;
      group.currentStateTimestampMs = value.currentStateTimestamp === -1 ? null : value.currentStateTimestamp;
      for (const m of members) {
        const member = new MemberMetadata(
          m.memberId,
          m.groupInstanceId,
          m.clientId,
          m.clientHost,
          m.rebalanceTimeout === -1 ? m.sessionTimeout : m.rebalanceTimeout,
          m.sessionTimeout,
          value.protocolType,
          [{ name: value.protocol ?? '', metadata: m.subscription }],
        );
        member.assignment = m.assignment;
        group.add(member, null);
      }
      group.subscribedTopics = group.computeSubscribedTopics();
    }
    for (const [tp, o] of offsets ?? []) {
      const sep = tp.lastIndexOf('\u0000');
      group.putOffset(tp.slice(0, sep), Number(tp.slice(sep + 1)), o);
    }
    return group;
  }
}

/** Kafka's storeGroup error mapping. */
function mapStoreGroupError(errorCode: number): number {
  switch (errorCode) {
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
      return errorCode;
  }
}

/** Kafka's storeOffsets error mapping. */
function mapOffsetCommitError(errorCode: number): number {
  switch (errorCode) {
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return mapStoreGroupError(errorCode);
  }
}
