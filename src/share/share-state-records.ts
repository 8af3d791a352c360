// The records of __share_group_state, in Kafka's formats (ShareCoordinatorRecordSerde,
// kafka-share-coordinator 4.4.0), so that Kafka's own tools read ours and we read theirs:
//   key   = int16 record type (0 = ShareSnapshotKey, 1 = ShareUpdateKey) + the key (version 0:
//           GroupId, TopicId, Partition)
//   value = int16 version (0) + ShareSnapshotValue / ShareUpdateValue (flexible)
//         | null: a tombstone (DeleteShareGroupState).
// Tidelog writes snapshots only (each is the whole state of the share-partition, and the topic
// is compacted); it reads updates too, applying them over the last snapshot as Kafka does.
import { dataCodecs } from '../protocol/generated/index.js';
import { Reader, Writer } from '../protocol/primitives/index.js';
import type { PersistedShareState, StateBatch } from './share-partition.js';

export const SHARE_SNAPSHOT_RECORD = 0;
export const SHARE_UPDATE_RECORD = 1;

export interface SharePartitionKey {
  readonly groupId: string;
  readonly topicId: string;
  readonly partition: number;
}

export interface StoredShareState extends PersistedShareState {
  readonly leaderEpoch: number;
  readonly snapshotEpoch: number;
  readonly createTimestampMs: number;
  readonly writeTimestampMs: number;
  readonly deliveryCompleteCount: number;
}

const writer = new Writer({ initialCapacityBytes: 1024, maxRetainedBytes: 1024 * 1024 });

export function shareSnapshotKey(k: SharePartitionKey): Buffer {
  writer.reset();
  writer.writeInt16(SHARE_SNAPSHOT_RECORD);
  dataCodecs.ShareSnapshotKey.encode(writer, 0, { groupId: k.groupId, topicId: k.topicId, partition: k.partition });
  return writer.finish();
}

export function shareSnapshotValue(s: StoredShareState): Buffer {
  writer.reset();
  writer.writeInt16(0);
  dataCodecs.ShareSnapshotValue.encode(writer, 0, {
    snapshotEpoch: s.snapshotEpoch,
    stateEpoch: s.stateEpoch,
    leaderEpoch: s.leaderEpoch,
    startOffset: s.startOffset,
    deliveryCompleteCount: s.deliveryCompleteCount,
    createTimestamp: s.createTimestampMs,
    writeTimestamp: s.writeTimestampMs,
    stateBatches: s.stateBatches.map((b) => ({ firstOffset: b.firstOffset, lastOffset: b.lastOffset, deliveryState: b.deliveryState, deliveryCount: b.deliveryCount })),
  });
  return writer.finish();
}

export type DecodedShareRecord =
  | { readonly type: 'snapshot'; readonly key: SharePartitionKey; readonly value: StoredShareState | null }
  | { readonly type: 'update'; readonly key: SharePartitionKey; readonly value: { snapshotEpoch: number; leaderEpoch: number; startOffset: number; stateBatches: StateBatch[] } | null };

/** Decodes a record of the topic; throws on bytes that are not one. */
export function decodeShareRecord(key: Buffer, value: Buffer | null): DecodedShareRecord {
  const kr = new Reader(key);
  const type = kr.readInt16();
  if (type !== SHARE_SNAPSHOT_RECORD && type !== SHARE_UPDATE_RECORD) throw new Error(`unknown share state record type ${type}`);
  const k = (type === SHARE_SNAPSHOT_RECORD ? dataCodecs.ShareSnapshotKey : dataCodecs.ShareUpdateKey).decode(kr, 0);
  const sk: SharePartitionKey = { groupId: k.groupId, topicId: k.topicId, partition: k.partition };
  if (value === null) return type === SHARE_SNAPSHOT_RECORD ? { type: 'snapshot', key: sk, value: null } : { type: 'update', key: sk, value: null };
  const vr = new Reader(value);
  const version = vr.readInt16();
  if (type === SHARE_SNAPSHOT_RECORD) {
    const v = dataCodecs.ShareSnapshotValue.decode(vr, version);
    return {
      type: 'snapshot',
      key: sk,
      value: {
        snapshotEpoch: v.snapshotEpoch,
        stateEpoch: v.stateEpoch,
        leaderEpoch: v.leaderEpoch,
        startOffset: v.startOffset,
        deliveryCompleteCount: v.deliveryCompleteCount,
        createTimestampMs: v.createTimestamp,
        writeTimestampMs: v.writeTimestamp,
        stateBatches: v.stateBatches.map((b) => ({ firstOffset: b.firstOffset, lastOffset: b.lastOffset, deliveryState: b.deliveryState, deliveryCount: b.deliveryCount })),
      },
    };
  }
  const v = dataCodecs.ShareUpdateValue.decode(vr, version);
  return {
    type: 'update',
    key: sk,
    value: {
      snapshotEpoch: v.snapshotEpoch,
      leaderEpoch: v.leaderEpoch,
      startOffset: v.startOffset,
      stateBatches: v.stateBatches.map((b) => ({ firstOffset: b.firstOffset, lastOffset: b.lastOffset, deliveryState: b.deliveryState, deliveryCount: b.deliveryCount })),
    },
  };
}

/**
 * Applies an update over a snapshot as Kafka's ShareCoordinatorShard.merge: a start offset
 * other than -1 replaces the old one; the update's batches replace the offsets they cover;
 * batches wholly below the start offset are dropped.
 */
export function applyShareUpdate(base: StoredShareState, u: { snapshotEpoch: number; leaderEpoch: number; startOffset: number; stateBatches: StateBatch[] }): StoredShareState {
  const startOffset = u.startOffset === -1 ? base.startOffset : u.startOffset;
  const perOffset = new Map<number, StateBatch>();
  for (const b of [...base.stateBatches, ...u.stateBatches]) {
    for (let o = Math.max(b.firstOffset, startOffset); o <= b.lastOffset; o++) perOffset.set(o, { firstOffset: o, lastOffset: o, deliveryState: b.deliveryState, deliveryCount: b.deliveryCount });
  }
  const batches: StateBatch[] = [];
  for (const o of [...perOffset.keys()].sort((a, b) => a - b)) {
    const r = perOffset.get(o)!;
    const last = batches[batches.length - 1];
    if (last && last.lastOffset === o - 1 && last.deliveryState === r.deliveryState && last.deliveryCount === r.deliveryCount) batches[batches.length - 1] = { ...last, lastOffset: o };
    else batches.push(r);
  }
  return { ...base, leaderEpoch: u.leaderEpoch === -1 ? base.leaderEpoch : u.leaderEpoch, startOffset, stateBatches: batches };
}
