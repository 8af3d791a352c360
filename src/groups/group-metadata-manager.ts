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
// Transactional offset commits (KIP-98, TxnOffsetCommit): written as a transactional batch
// (the producer's id and epoch in its header, the same records as OffsetCommit's), held per
// producer until the transaction's marker reaches this partition (onTxnMarkerWritten, or a
// control batch read back while loading): COMMIT materializes them, ABORT drops them. A
// load reads up to the log end, so transactions still open stay pending after it.
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
import { GroupMetadata, type PendingTxnOffset } from './group-metadata.js';
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
import { GROUP_METADATA_TOPIC_NAME, partitionForGroup, type AppendResult, type OffsetsTopicStore } from './offsets-topic.js';
import { decodeRecordBatches, encodeRecordBatch, type ConsumedBatch, type EncodeOptions, type ProducerRecord } from '../client/record-batch.js';
import { ConsumerGroupReplay, decodeConsumerKey, groupTombstones as consumerGroupTombstones, isConsumerRecordType, rebuildConsumerGroup } from './consumer-records.js';
import { Reader } from '../protocol/primitives/index.js';
import { coordinatorErrorOf } from '../partition/internal-topic-store.js';
import type { VerificationGuard } from '../partition/producer-state.js';

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

/** The producer of a TxnOffsetCommit: its records go in a transactional batch with these header fields. */
export interface TxnProducer {
  readonly producerId: number;
  readonly producerEpoch: number;
}

/** Kafka's ControlRecordType: the key of a control record is version int16 (0) + type int16. */
export const ControlRecordType = { ABORT: 0, COMMIT: 1 } as const;

/** The offsets of one OffsetCommit request. */
export interface OffsetCommitRequest {
  /** The OffsetCommit version (consumer groups need v9+ from their members); absent: not checked. */
  readonly apiVersion?: number;
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
  /** Share-group records (types 10-15) read by the last load of each partition, for the share-group coordinator (src/share). */
  readonly loadedShareRecords = new Map<number, { key: Buffer; value: Buffer | null }[]>();
  /** Bumped on every election and resignation of a partition (see the header). */
  private readonly partitionEpochs = new Map<number, number>();
  /**
   * producerId → ids of groups that may hold its pending transactional offsets (Kafka's
   * openGroupsForProducer): a marker finds its groups without scanning them all. Entries may
   * be stale (a group deleted or unloaded since); the group itself is the truth.
   */
  private readonly openGroupsForProducer = new Map<number, Set<string>>();
  /** Markers written to a partition while it was loading, applied once its groups are in the cache. */
  private readonly markersWhileLoading = new Map<number, { producerId: number; commit: boolean }[]>();

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
    this.openGroupsForProducer.clear();
    this.markersWhileLoading.clear();
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
    for (const group of added) for (const producerId of group.activeProducers) this.addProducerGroup(producerId, group.groupId);
    // A marker written while the partition was read back (after the read had passed it) is
    // applied now; one the read saw finds nothing left to complete.
    const markers = this.markersWhileLoading.get(partition) ?? [];
    this.markersWhileLoading.delete(partition);
    for (const m of markers) this.completeTxn(partition, m.producerId, m.commit);
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
    this.markersWhileLoading.delete(partition);
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
    const appended = await this.trackAppend(this.appendBatch(group.groupId, records));
    const errorCode = mapOffsetCommitError(appended.errorCode);
    accepted.forEach((a, i) => {
      if (errorCode === ErrorCode.NONE && !group.is('Dead')) group.onOffsetCommitAppend(a.topic, a.partition, tokens[i]!, a.value, recordOffsetOf(appended, i));
      else group.failPendingOffsetWrite(a.topic, a.partition, tokens[i]!);
      results.push({ topic: a.topic, partition: a.partition, errorCode });
    });
    if (errorCode !== ErrorCode.NONE) this.logger.warn({ group: group.groupId, errorCode: appended.errorCode }, 'offset commit failed to append');
    return results;
  }

  /**
   * Kafka's storeOffsets for a TxnOffsetCommit: the offsets are the producer's pending ones
   * while the batch (transactional, with the producer's id and epoch, baseSequence 0 as
   * Kafka's coordinators write it) is appended, and stay pending after it until the
   * transaction's marker. A failed append drops them (the client retries); so does a guard
   * (KIP-890) no longer the producer's, the transaction having ended since it was verified
   * (INVALID_TXN_STATE). Commit timestamp
   * now; no expire timestamp (TxnOffsetCommit has no retention time).
   */
  async storeTxnOffsets(group: GroupMetadata, producer: TxnProducer, topics: OffsetCommitRequest['topics'], verificationGuard?: VerificationGuard): Promise<TopicPartitionError[]> {
    const nowMs = this.now();
    const results: TopicPartitionError[] = [];
    const accepted: { topic: string; partition: number; value: CommittedOffset }[] = [];
    for (const t of topics) {
      for (const x of t.partitions) {
        const metadata = x.metadata ?? '';
        if (Buffer.byteLength(metadata) > OFFSET_METADATA_MAX_BYTES) {
          results.push({ topic: t.topic, partition: x.partition, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE });
          continue;
        }
        accepted.push({ topic: t.topic, partition: x.partition, value: { offset: x.offset, leaderEpoch: x.leaderEpoch, metadata, commitTimestampMs: nowMs, expireTimestampMs: null } });
      }
    }
    if (accepted.length === 0) return results;
    const records = accepted.map((a) => ({ key: offsetCommitKey(group.groupId, a.topic, a.partition), value: offsetCommitValue(a.value) }));
    const entries = group.prepareTxnOffsetCommit(producer.producerId, accepted);
    this.addProducerGroup(producer.producerId, group.groupId);
    const appended = await this.trackAppend(
      this.appendBatch(group.groupId, records, { producer: { producerId: producer.producerId, producerEpoch: producer.producerEpoch, baseSequence: 0 }, isTransactional: true }, verificationGuard),
    );
    const errorCode = mapOffsetCommitError(appended.errorCode);
    accepted.forEach((a, i) => {
      const entry: PendingTxnOffset = entries[i]!;
      if (errorCode === ErrorCode.NONE && !group.is('Dead')) group.onTxnOffsetCommitAppend(producer.producerId, a.topic, a.partition, entry, recordOffsetOf(appended, i));
      else group.failPendingTxnOffsetCommit(producer.producerId, a.topic, a.partition, entry);
      results.push({ topic: a.topic, partition: a.partition, errorCode });
    });
    if (errorCode !== ErrorCode.NONE) this.logger.warn({ group: group.groupId, producerId: producer.producerId, errorCode: appended.errorCode }, 'transactional offset commit failed to append');
    return results;
  }

  /**
   * A transaction marker of `producerId` was written to `partition` (Kafka's
   * handleTxnCompletion): each group of the partition with offsets pending from the producer
   * materializes them (commit) or drops them (abort). On a partition being loaded the marker
   * is applied when the load finishes; on a partition not served here it is ignored (its
   * coordinator reads it back from the log). Returns how many groups completed.
   */
  completeTxn(partition: number, producerId: number, commit: boolean): number {
    if (this.loadingPartitions.has(partition)) {
      let markers = this.markersWhileLoading.get(partition);
      if (!markers) this.markersWhileLoading.set(partition, (markers = []));
      markers.push({ producerId, commit });
      return 0;
    }
    const groupIds = this.openGroupsForProducer.get(producerId);
    if (!groupIds) return 0;
    let completed = 0;
    for (const groupId of [...groupIds]) {
      const group = this.groups.get(groupId);
      if (!group || this.partitionFor(groupId) !== partition) {
        // Gone (deleted, unloaded): nothing to complete here any more.
        if (!group) groupIds.delete(groupId);
        continue;
      }
      groupIds.delete(groupId);
      if (group.is('Dead') || !group.hasPendingTxnOffsetsFrom(producerId)) continue;
      const outcome = group.completePendingTxnOffsetCommit(producerId, commit);
      if (outcome.unappended > 0) this.logger.warn({ group: groupId, producerId, offsets: outcome.unappended }, 'a transaction marker came before its offset commit record was appended; those offsets were dropped');
      completed++;
    }
    if (groupIds.size === 0) this.openGroupsForProducer.delete(producerId);
    return completed;
  }

  private addProducerGroup(producerId: number, groupId: string): void {
    let groupIds = this.openGroupsForProducer.get(producerId);
    if (!groupIds) this.openGroupsForProducer.set(producerId, (groupIds = new Set()));
    groupIds.add(groupId);
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
      if (live && requireStable && (live.hasPendingOffsetCommit(topic, partition) || live.hasPendingTxnOffsetCommit(topic, partition))) {
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
      if (group.hasNoMembers && !group.hasOffsets()) {
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
        if (group.consumer !== null) {
          group.consumer.dead = true;
          tombstones.push(...consumerGroupTombstones(group.consumer));
        }
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
    const errorCode = await this.trackAppend(this.append(group.groupId, [groupMetadataRecord(group, assignment)]));
    return mapStoreGroupError(errorCode);
  }

  /** Appends a consumer group's records (KIP-848) as one batch; the error code as storeGroup maps it. */
  async appendGroupRecords(groupId: string, records: readonly ProducerRecord[]): Promise<number> {
    return mapStoreGroupError(await this.trackAppend(this.append(groupId, records)));
  }

  /** Appends records for a group to its partition; the raw Kafka error code. */
  private async append(groupId: string, records: readonly ProducerRecord[]): Promise<number> {
    return (await this.appendBatch(groupId, records)).errorCode;
  }

  /** Appends records for a group to its partition as one batch; the raw Kafka error code and the batch's base offset. */
  private async appendBatch(groupId: string, records: readonly ProducerRecord[], options: Omit<EncodeOptions, 'timestampMs'> = {}, verificationGuard?: VerificationGuard): Promise<AppendResult> {
    if (this.ensureOffsetsTopic() !== null) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null, baseOffset: -1 };
    const batch = encodeRecordBatch(records, { ...options, timestampMs: this.now() });
    try {
      return await this.store.append(this.partitionFor(groupId), batch, verificationGuard);
    } catch (err) {
      this.logger.error({ err, group: groupId }, 'append to the offsets topic failed');
      return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: null, baseOffset: -1 };
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
   * the cache alone. Kafka's doLoadGroupsAndOffsets: offset records of a transactional batch
   * are pending for the batch's producer until a control batch of that producer (COMMIT:
   * they become committed unless a later record committed the partition; ABORT: dropped);
   * a tombstone outside a transaction deletes the committed offset and every pending one of
   * the partition (Kafka 4's replay, matching GroupMetadata.removeOffsets).
   */
  async loadPartition(partition: number): Promise<GroupMetadata[]> {
    const offsets = new Map<string, Map<string, LoadedOffset>>();
    /** producerId → group → topic/partition key → offset. */
    const pending = new Map<number, Map<string, Map<string, LoadedOffset>>>();
    const groupValues = new Map<string, GroupMetadataValue>();
    /** KIP-848 consumer groups, replayed record by record. */
    const consumerReplays = new Map<string, ConsumerGroupReplay>();
    const shareRecords: { key: Buffer; value: Buffer | null }[] = [];
    this.loadedShareRecords.set(partition, shareRecords);
    const name = `${GROUP_METADATA_TOPIC_NAME}-${partition}`;
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
        this.logger.error({ err, partition: name, offset: position }, 'unreadable batch in the offsets topic; stopped loading this partition');
        break;
      }
      if (batches.length === 0) break;
      for (const batch of batches) {
        if (batch.isControl) {
          const type = controlRecordTypeOf(batch);
          if (type === null) {
            this.logger.warn({ partition: name, offset: batch.baseOffset }, 'skipping a control batch that is not a transaction marker');
            continue;
          }
          const producerOffsets = pending.get(batch.producerId);
          pending.delete(batch.producerId);
          if (type !== ControlRecordType.COMMIT || !producerOffsets) continue;
          for (const [groupId, byTp] of producerOffsets) {
            let committed = offsets.get(groupId);
            if (!committed) offsets.set(groupId, (committed = new Map()));
            for (const [tp, o] of byTp) {
              const current = committed.get(tp);
              if (current === undefined || current.recordOffset < o.recordOffset) committed.set(tp, o);
            }
          }
          continue;
        }
        for (const record of batch.records) {
          records++;
          let key;
          try {
            if (record.key === null) throw new Error('a record without a key');
            const type = record.key.length >= 2 ? record.key.readInt16BE(0) : -1;
            if (type >= 10 && type <= 15) {
              shareRecords.push({ key: Buffer.from(record.key), value: record.value === null ? null : Buffer.from(record.value) });
              continue;
            }
            if (isConsumerRecordType(type)) {
              const r = new Reader(record.key);
              r.readInt16();
              const k = decodeConsumerKey(type, r);
              let replay = consumerReplays.get(k.groupId);
              if (!replay) consumerReplays.set(k.groupId, (replay = new ConsumerGroupReplay()));
              replay.apply(k, record.value);
              continue;
            }
            key = decodeOffsetsKey(record.key);
          } catch (err) {
            this.logger.warn({ partition, offset: record.offset, err: (err as Error).message }, 'skipping an unreadable offsets topic key');
            continue;
          }
          try {
            if (key.kind === 'offset') {
              const tp = `${key.topic}\u0000${key.partition}`;
              const value = record.value === null ? null : decodeOffsetCommitValue(record.value);
              if (batch.isTransactional) {
                let byGroup = pending.get(batch.producerId);
                if (value === null) {
                  byGroup?.get(key.group)?.delete(tp);
                  continue;
                }
                if (!byGroup) pending.set(batch.producerId, (byGroup = new Map()));
                let byTp = byGroup.get(key.group);
                if (!byTp) byGroup.set(key.group, (byTp = new Map()));
                byTp.set(tp, { value, recordOffset: record.offset });
              } else if (value === null) {
                offsets.get(key.group)?.delete(tp);
                for (const byGroup of pending.values()) byGroup.get(key.group)?.delete(tp);
              } else {
                let byTp = offsets.get(key.group);
                if (!byTp) offsets.set(key.group, (byTp = new Map()));
                byTp.set(tp, { value, recordOffset: record.offset });
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
    // Transactions still open at the log end: group → producer → their offsets.
    const pendingByGroup = new Map<string, Map<number, Map<string, LoadedOffset>>>();
    for (const [producerId, byGroup] of pending) {
      for (const [groupId, byTp] of byGroup) {
        if (byTp.size === 0) continue;
        let byProducer = pendingByGroup.get(groupId);
        if (!byProducer) pendingByGroup.set(groupId, (byProducer = new Map()));
        byProducer.set(producerId, byTp);
      }
    }
    const loaded: GroupMetadata[] = [];
    for (const [groupId, replay] of consumerReplays) {
      const consumer = rebuildConsumerGroup(groupId, replay);
      if (consumer === null) continue;
      // A consumer group replaces a classic group of the same id written before it (a conversion).
      groupValues.delete(groupId);
      const group = this.loadGroup(groupId, null, offsets.get(groupId), pendingByGroup.get(groupId));
      group.consumer = consumer;
      loaded.push(group);
      offsets.delete(groupId);
      pendingByGroup.delete(groupId);
    }
    for (const [groupId, value] of groupValues) loaded.push(this.loadGroup(groupId, value, offsets.get(groupId), pendingByGroup.get(groupId)));
    // Groups that only store offsets (or only have offsets of open transactions) have no metadata record.
    const offsetOnly = new Set([...[...offsets].filter(([, byTp]) => byTp.size > 0).map(([groupId]) => groupId), ...pendingByGroup.keys()]);
    for (const groupId of offsetOnly) {
      if (!groupValues.has(groupId)) loaded.push(this.loadGroup(groupId, null, offsets.get(groupId), pendingByGroup.get(groupId)));
    }
    if (records > 0) this.logger.info({ partition: name, records, groups: groupValues.size, openTransactions: pending.size }, 'loaded offsets topic partition');
    return loaded;
  }

  private loadGroup(groupId: string, value: GroupMetadataValue | null, offsets: Map<string, LoadedOffset> | undefined, pending: Map<number, Map<string, LoadedOffset>> | undefined): GroupMetadata {
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
      const { topic, partition } = splitTp(tp);
      group.putOffset(topic, partition, o.value, o.recordOffset);
    }
    for (const [producerId, byTp] of pending ?? []) {
      for (const [tp, o] of byTp) {
        const { topic, partition } = splitTp(tp);
        group.loadPendingTxnOffset(producerId, topic, partition, o.value, o.recordOffset);
      }
    }
    return group;
  }
}

/** An offset read back from the log, with the offset of its record. */
interface LoadedOffset {
  readonly value: CommittedOffset;
  readonly recordOffset: number;
}

function splitTp(tp: string): { topic: string; partition: number } {
  const sep = tp.lastIndexOf('\u0000');
  return { topic: tp.slice(0, sep), partition: Number(tp.slice(sep + 1)) };
}

/**
 * The marker type of a control batch (Kafka's ControlRecordType.parse of its first record's
 * key: version int16, type int16), or null for a batch without one or of another type.
 */
export function controlRecordTypeOf(batch: ConsumedBatch): number | null {
  const key = batch.records[0]?.key;
  if (!key || key.length < 4 || key.readInt16BE(0) < 0) return null;
  const type = key.readInt16BE(2);
  return type === ControlRecordType.ABORT || type === ControlRecordType.COMMIT ? type : null;
}

/** The log offset of the i-th record of an appended batch (-1 when the log did not say). */
function recordOffsetOf(appended: AppendResult, i: number): number {
  return appended.baseOffset >= 0 ? appended.baseOffset + i : -1;
}

/** Kafka's storeGroup error mapping (an error it does not map is passed on). */
function mapStoreGroupError(errorCode: number): number {
  return coordinatorErrorOf(errorCode) ?? errorCode;
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

/** The GroupMetadata record of a classic group with the given assignment (Kafka's newGroupMetadataRecord). */
export function groupMetadataRecord(group: GroupMetadata, assignment: ReadonlyMap<string, Buffer>): ProducerRecord {
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
  return { key: groupMetadataKey(group.groupId), value };
}
