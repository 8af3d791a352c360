// The share coordinator's storage (after Kafka's ShareCoordinatorShard): the state of every
// share-partition in the compacted internal topic __share_group_state, cached in memory.
// The share-partition leader (share-partition-manager.ts) reads a share-partition's state when
// it first serves it and writes a snapshot after every change it must not lose
// (acknowledgements, releases, a moved start offset); the write is acknowledged by the ISR
// (acks=-1) before the client hears of its acknowledgement.
//
// Placement as Kafka's: the partition of a share-partition is
// abs(hash("<group>:<topic id>:<partition>")) % share.coordinator.state.topic.num.partitions,
// the key Kafka's FindCoordinator(keyType SHARE) uses. The topic is created on first use with
// share.coordinator.state.topic.* (compact, min.insync.replicas from
// share.coordinator.state.topic.min.isr).
//
// In a cluster the share coordinator of a share-partition is the leader of its
// __share_group_state partition: a share-partition leader on another broker reads and writes
// through it with ReadShareGroupState / WriteShareGroupState (Kafka's DefaultStatePersister;
// a write carries the whole in-flight window and start offset, which the coordinator merges
// as Kafka's ShareCoordinatorShard does, so the result is the same snapshot). This broker
// caches the partitions it leads: loaded when it becomes their leader, dropped when it
// stops.
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import type { MetadataStore } from '../cluster/metadata-store.js';
import type { ReplicaManager } from '../partition/replica-manager.js';
import type { TopicService } from '../partition/topic-service.js';
import { InternalTopicStore, coordinatorErrorOf, type InternalTopicCluster } from '../partition/internal-topic-store.js';
import { ErrorCode } from '../protocol/errors.js';
import { decodeRecordBatches, encodeRecordBatch } from '../client/record-batch.js';
import { javaStringHashCode } from '../groups/offsets-topic.js';
import { applyShareUpdate, decodeShareRecord, shareSnapshotKey, shareSnapshotValue, type SharePartitionKey, type StoredShareState } from './share-state-records.js';
import type { PersistedShareState } from './share-partition.js';
import type { InterBrokerConnections } from '../txn/inter-broker-connections.js';
import { ApiKey } from '../protocol/generated/index.js';

export const SHARE_GROUP_STATE_TOPIC_NAME = '__share_group_state';

/** What ReadShareGroupStateSummary tells of a share-partition. */
export interface ShareStateSummary {
  readonly stateEpoch: number;
  readonly startOffset: number;
  readonly leaderEpoch: number;
  /** -1 when unknown (a state written before KIP-1226's field). */
  readonly deliveryCompleteCount: number;
}
const LOAD_BUFFER_BYTES = 5 * 1024 * 1024;

/** Kafka's Uuid.toString: URL-safe base64 of the 16 bytes, no padding. */
export function kafkaUuidString(uuid: string): string {
  return Buffer.from(uuid.replaceAll('-', ''), 'hex').toString('base64url');
}

function keyString(k: SharePartitionKey): string {
  return `${k.groupId}\u0000${k.topicId}\u0000${k.partition}`;
}

export class ShareStateStore extends InternalTopicStore {
  private readonly states = new Map<string, { key: SharePartitionKey; state: StoredShareState }>();

  constructor(
    config: BrokerConfig,
    topics: TopicService,
    replicas: ReplicaManager,
    metadata: MetadataStore,
    cluster: InternalTopicCluster,
    private readonly log: Logger,
    /** To the share coordinators on other brokers (null on a single node). */
    private readonly connections: InterBrokerConnections | null = null,
  ) {
    const v = config.values;
    super(
      {
        name: SHARE_GROUP_STATE_TOPIC_NAME,
        description: 'share group state topic',
        partitions: v['share.coordinator.state.topic.num.partitions'],
        replicationFactor: v['share.coordinator.state.topic.replication.factor'],
        replicationFactorKey: 'share.coordinator.state.topic.replication.factor',
        topicConfigs: {
          'cleanup.policy': 'compact',
          'segment.bytes': String(v['share.coordinator.state.topic.segment.bytes']),
          'min.insync.replicas': String(v['share.coordinator.state.topic.min.isr']),
          'compression.type': 'producer',
        },
        appendTimeoutMs: v['share.coordinator.write.timeout.ms'],
      },
      config.brokerId,
      topics,
      replicas,
      metadata,
      cluster,
      log,
    );
  }

  /** The __share_group_state partition of a share-partition (Kafka's ShareCoordinatorService.partitionFor). */
  partitionOf(k: SharePartitionKey, partitionCount: number): number {
    const h = javaStringHashCode(`${k.groupId}:${kafkaUuidString(k.topicId)}:${k.partition}`);
    return (h === -2147483648 ? 0 : Math.abs(h)) % partitionCount;
  }

  /**
   * FindCoordinator with key type SHARE (2): the share coordinator of the key
   * "<group>:<topic id, Kafka's base64>:<partition>" (Kafka's SharePartitionKey), the leader of
   * its __share_group_state partition; the topic is created on the first lookup. INVALID_REQUEST
   * for a key that is not of that form.
   */
  findCoordinator(key: string): { errorCode: number; errorMessage: string | null; nodeId: number } {
    const m = /^(.+):([A-Za-z0-9_-]{22}):(\d+)$/.exec(key);
    if (!m || Number(m[3]) > 2147483647) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Share coordinator key must be of the form groupId:topicId:partition, not ${key}`, nodeId: -1 };
    const created = this.create();
    if (created.errorCode !== ErrorCode.NONE) return { errorCode: created.errorCode, errorMessage: created.errorMessage, nodeId: -1 };
    const h = javaStringHashCode(key);
    const leader = this.leaderOf((h === -2147483648 ? 0 : Math.abs(h)) % this.partitionCount()!);
    if (leader < 0) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: null, nodeId: -1 };
    return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: leader };
  }

  /** Reads every partition of the topic this broker leads into the cache (start-up), and follows leadership from then on. */
  async load(): Promise<void> {
    if (this.clustered) {
      this.onLeadershipChange((p, role) => {
        if (role === 'leader') void this.loadPartition(p).catch((err: unknown) => this.log.warn({ err, partition: p }, 'loading share group state failed'));
        else this.dropPartition(p);
      });
    }
    const count = this.partitionCount();
    if (count === null) return;
    for (let p = 0; p < count; p++) if (this.isLocal(p)) await this.loadPartition(p);
  }

  private dropPartition(partition: number): void {
    const count = this.partitionCount();
    if (count === null) return;
    for (const [k, e] of this.states) if (this.partitionOf(e.key, count) === partition) this.states.delete(k);
  }

  private async loadPartition(partition: number): Promise<void> {
    let position = this.logStartOffset(partition);
    let records = 0;
    for (;;) {
      const chunk = await this.read(partition, position, LOAD_BUFFER_BYTES);
      if (chunk.bytes.length === 0) break;
      const { batches } = decodeRecordBatches(chunk.bytes);
      if (batches.length === 0) break;
      for (const batch of batches) {
        if (batch.isControl) continue;
        for (const r of batch.records) {
          if (r.key === null) continue;
          try {
            const d = decodeShareRecord(r.key, r.value);
            records++;
            const ks = keyString(d.key);
            if (d.value === null) this.states.delete(ks);
            else if (d.type === 'snapshot') this.states.set(ks, { key: d.key, state: d.value });
            else {
              const base = this.states.get(ks);
              if (base) this.states.set(ks, { key: d.key, state: applyShareUpdate(base.state, d.value) });
            }
          } catch (err) {
            this.log.warn({ partition, offset: r.offset, err: (err as Error).message }, 'skipping an unreadable share group state record');
          }
        }
      }
      position = batches[batches.length - 1]!.lastOffset + 1;
      if (position >= chunk.logEndOffset) break;
    }
    if (records > 0) this.log.info({ partition: `${SHARE_GROUP_STATE_TOPIC_NAME}-${partition}`, records }, 'loaded share group state partition');
  }

  /** The stored state of a share-partition, or null when it was never initialized. */
  get(k: SharePartitionKey): StoredShareState | null {
    return this.states.get(keyString(k))?.state ?? null;
  }

  /** Every share-partition with state, optionally of one group. */
  entries(groupId?: string): { key: SharePartitionKey; state: StoredShareState }[] {
    return [...this.states.values()].filter((e) => groupId === undefined || e.key.groupId === groupId);
  }

  /**
   * The state of a share-partition wherever its coordinator is: this broker's cache when it
   * leads the state partition, else ReadShareGroupState to the leader. state null: never
   * initialized.
   */
  async readState(k: SharePartitionKey, leaderEpoch: number): Promise<{ errorCode: number; state: StoredShareState | null }> {
    const created = this.create();
    if (created.errorCode !== ErrorCode.NONE) return { errorCode: created.errorCode, state: null };
    const partition = this.partitionOf(k, this.partitionCount()!);
    if (this.isLocal(partition)) return { errorCode: ErrorCode.NONE, state: this.get(k) };
    const leader = this.leaderOf(partition);
    if (leader < 0 || !this.connections) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, state: null };
    try {
      const conn = await this.connections.get(leader);
      const res = await conn.send(ApiKey.ReadShareGroupState, 0, { groupId: k.groupId, topics: [{ topicId: k.topicId, partitions: [{ partition: k.partition, leaderEpoch }] }] });
      const r = res.results[0]?.partitions[0];
      if (!r) return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, state: null };
      if (r.errorCode !== ErrorCode.NONE) return { errorCode: r.errorCode, state: null };
      if (r.startOffset < 0) return { errorCode: ErrorCode.NONE, state: null };
      const now = Date.now();
      return { errorCode: ErrorCode.NONE, state: { stateEpoch: r.stateEpoch, startOffset: r.startOffset, stateBatches: r.stateBatches, leaderEpoch, snapshotEpoch: 0, createTimestampMs: now, writeTimestampMs: now, deliveryCompleteCount: -1 } };
    } catch (err) {
      this.log.warn({ err: (err as Error).message, leader }, 'ReadShareGroupState failed');
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, state: null };
    }
  }

  /**
   * Summaries of share-partitions of one group wherever their coordinators are (Kafka's
   * Persister.readSummary): this broker's cache for the ones it coordinates, one
   * ReadShareGroupStateSummary per other share coordinator for the rest. Each key → its summary,
   * null when never initialized, or an error code.
   */
  async readSummaries(groupId: string, partitions: readonly { topicId: string; partition: number }[]): Promise<Map<string, ShareStateSummary | null | number>> {
    const out = new Map<string, ShareStateSummary | null | number>();
    const created = this.create();
    if (created.errorCode !== ErrorCode.NONE) {
      for (const p of partitions) out.set(`${p.topicId}:${p.partition}`, created.errorCode);
      return out;
    }
    const count = this.partitionCount()!;
    const remote = new Map<number, { topicId: string; partition: number }[]>();
    for (const p of partitions) {
      const k = { groupId, topicId: p.topicId, partition: p.partition };
      const statePartition = this.partitionOf(k, count);
      if (this.isLocal(statePartition)) {
        const s = this.get(k);
        out.set(`${p.topicId}:${p.partition}`, s ? { stateEpoch: s.stateEpoch, startOffset: s.startOffset, leaderEpoch: s.leaderEpoch, deliveryCompleteCount: s.deliveryCompleteCount } : null);
        continue;
      }
      const leader = this.leaderOf(statePartition);
      if (leader < 0 || !this.connections) {
        out.set(`${p.topicId}:${p.partition}`, ErrorCode.COORDINATOR_NOT_AVAILABLE);
        continue;
      }
      remote.set(leader, [...(remote.get(leader) ?? []), p]);
    }
    await Promise.all(
      [...remote].map(async ([leader, ps]) => {
        const byTopic = new Map<string, number[]>();
        for (const p of ps) byTopic.set(p.topicId, [...(byTopic.get(p.topicId) ?? []), p.partition]);
        try {
          const conn = await this.connections!.get(leader);
          const res = await conn.send(ApiKey.ReadShareGroupStateSummary, conn.version(ApiKey.ReadShareGroupStateSummary, 0, 1, 'ReadShareGroupStateSummary'), {
            groupId,
            topics: [...byTopic].map(([topicId, parts]) => ({ topicId, partitions: parts.map((partition) => ({ partition, leaderEpoch: -1 })) })),
          });
          for (const t of res.results) {
            for (const r of t.partitions) {
              out.set(`${t.topicId}:${r.partition}`, r.errorCode !== ErrorCode.NONE ? r.errorCode : r.startOffset < 0 ? null : { stateEpoch: r.stateEpoch, startOffset: r.startOffset, leaderEpoch: r.leaderEpoch, deliveryCompleteCount: r.deliveryCompleteCount });
            }
          }
        } catch (err) {
          this.log.warn({ err: (err as Error).message, leader }, 'ReadShareGroupStateSummary failed');
          for (const p of ps) out.set(`${p.topicId}:${p.partition}`, ErrorCode.COORDINATOR_NOT_AVAILABLE);
        }
      }),
    );
    return out;
  }

  /** Writes a snapshot of a share-partition; a Kafka error code (NONE once the ISR has it). */
  async write(k: SharePartitionKey, state: PersistedShareState, leaderEpoch: number, deliveryCompleteCount: number): Promise<number> {
    const created = this.create();
    if (created.errorCode !== ErrorCode.NONE) return created.errorCode;
    const count = this.partitionCount()!;
    const partition = this.partitionOf(k, count);
    if (!this.isLocal(partition)) return this.writeRemote(partition, k, state, leaderEpoch, deliveryCompleteCount);
    return this.writeLocal(k, state, leaderEpoch, deliveryCompleteCount);
  }

  private async writeRemote(partition: number, k: SharePartitionKey, state: PersistedShareState, leaderEpoch: number, deliveryCompleteCount: number): Promise<number> {
    const leader = this.leaderOf(partition);
    if (leader < 0 || !this.connections) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    try {
      const conn = await this.connections.get(leader);
      const res = await conn.send(ApiKey.WriteShareGroupState, conn.version(ApiKey.WriteShareGroupState, 0, 1, 'WriteShareGroupState'), {
        groupId: k.groupId,
        topics: [{ topicId: k.topicId, partitions: [{ partition: k.partition, stateEpoch: state.stateEpoch, leaderEpoch, startOffset: state.startOffset, deliveryCompleteCount, stateBatches: [...state.stateBatches] }] }],
      });
      return res.results[0]?.partitions[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    } catch (err) {
      this.log.warn({ err: (err as Error).message, leader }, 'WriteShareGroupState failed');
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }

  /** Whether this broker is the share coordinator of the share-partition (it leads its state partition). */
  isCoordinatorOf(k: SharePartitionKey): boolean {
    const count = this.partitionCount();
    return count !== null && this.isLocal(this.partitionOf(k, count));
  }

  /**
   * Writes a snapshot as the share coordinator (this broker leads the state partition): a
   * write merged over what is stored (Kafka's merge: batches from the start offset on replace
   * the offsets they cover), appended with acks=-1.
   */
  async writeLocal(k: SharePartitionKey, state: PersistedShareState, leaderEpoch: number, deliveryCompleteCount: number): Promise<number> {
    const count = this.partitionCount();
    if (count === null) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const partition = this.partitionOf(k, count);
    if (!this.isLocal(partition)) return ErrorCode.NOT_COORDINATOR;
    const now = Date.now();
    const old = this.states.get(keyString(k))?.state;
    // A share-partition leader that lost its leadership may not overwrite its successor's state.
    if (old && leaderEpoch < old.leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH;
    const stored: StoredShareState = {
      ...state,
      leaderEpoch,
      snapshotEpoch: (old?.snapshotEpoch ?? -1) + 1,
      createTimestampMs: old?.createTimestampMs ?? now,
      writeTimestampMs: now,
      deliveryCompleteCount,
    };
    const batch = encodeRecordBatch([{ key: shareSnapshotKey(k), value: shareSnapshotValue(stored) }], { timestampMs: now });
    const r = await this.append(partition, batch);
    if (r.errorCode !== ErrorCode.NONE) {
      this.log.warn({ group: k.groupId, topicId: k.topicId, partition: k.partition, errorCode: r.errorCode }, 'share group state write failed');
      return coordinatorErrorOf(r.errorCode) ?? r.errorCode;
    }
    this.states.set(keyString(k), { key: k, state: stored });
    return ErrorCode.NONE;
  }

  /** Deletes a share-partition's state with a tombstone (DeleteShareGroupState). */
  async delete(k: SharePartitionKey): Promise<number> {
    const count = this.partitionCount();
    if (count === null || !this.states.has(keyString(k))) return ErrorCode.NONE;
    const partition = this.partitionOf(k, count);
    if (!this.isLocal(partition)) return ErrorCode.NOT_COORDINATOR;
    const batch = encodeRecordBatch([{ key: shareSnapshotKey(k), value: null }], { timestampMs: Date.now() });
    const r = await this.append(partition, batch);
    if (r.errorCode !== ErrorCode.NONE) return coordinatorErrorOf(r.errorCode) ?? r.errorCode;
    this.states.delete(keyString(k));
    return ErrorCode.NONE;
  }
}
