// The records of __consumer_offsets, in Kafka's formats (GroupMetadataManager's
// offsetCommitKey/Value and groupMetadataKey/Value), so that Kafka's own tools read our
// offsets topic and we read theirs:
//   key   = int16 version + OffsetCommitKey (versions 0-1, written as 1)
//         | int16 version + GroupMetadataKey (version 2)
//   value = int16 version + OffsetCommitValue (written as 3, or 1 when the commit carries an
//           explicit expire timestamp: OffsetCommit v2-4 retention time)
//         | int16 version + GroupMetadataValue (written as 3)
//         | null: a tombstone, deleting the key (an offset, or a whole group's metadata).
import { dataCodecs } from '../protocol/generated/index.js';
import type { GroupMetadataValue } from '../protocol/generated/group-metadata-value.js';
import { Reader, Writer } from '../protocol/primitives/index.js';

const OFFSET_COMMIT_KEY_VERSION = 1;
const GROUP_METADATA_KEY_VERSION = 2;
const OFFSET_COMMIT_VALUE_VERSION = 3;
const OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRE = 1;
const GROUP_METADATA_VALUE_VERSION = 3;

export interface CommittedOffset {
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestampMs: number;
  /** Only for commits that asked for a retention time (OffsetCommit v2-4); null otherwise. */
  readonly expireTimestampMs: number | null;
}

export type OffsetsRecordKey =
  | { readonly kind: 'offset'; readonly group: string; readonly topic: string; readonly partition: number }
  | { readonly kind: 'group'; readonly group: string };

export type GroupMetadataRecordValue = GroupMetadataValue;

const writer = new Writer({ initialCapacityBytes: 1024, maxRetainedBytes: 1024 * 1024 });

export function offsetCommitKey(group: string, topic: string, partition: number): Buffer {
  writer.reset();
  writer.writeInt16(OFFSET_COMMIT_KEY_VERSION);
  dataCodecs.OffsetCommitKey.encode(writer, OFFSET_COMMIT_KEY_VERSION, { group, topic, partition });
  return writer.finish();
}

export function offsetCommitValue(o: CommittedOffset): Buffer {
  writer.reset();
  if (o.expireTimestampMs !== null) {
    writer.writeInt16(OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRE);
    dataCodecs.OffsetCommitValue.encode(writer, OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRE, {
      offset: o.offset,
      metadata: o.metadata,
      commitTimestamp: o.commitTimestampMs,
      expireTimestamp: o.expireTimestampMs,
    });
  } else {
    writer.writeInt16(OFFSET_COMMIT_VALUE_VERSION);
    dataCodecs.OffsetCommitValue.encode(writer, OFFSET_COMMIT_VALUE_VERSION, {
      offset: o.offset,
      leaderEpoch: o.leaderEpoch,
      metadata: o.metadata,
      commitTimestamp: o.commitTimestampMs,
    });
  }
  return writer.finish();
}

export function groupMetadataKey(group: string): Buffer {
  writer.reset();
  writer.writeInt16(GROUP_METADATA_KEY_VERSION);
  dataCodecs.GroupMetadataKey.encode(writer, GROUP_METADATA_KEY_VERSION, { group });
  return writer.finish();
}

export function groupMetadataValue(value: GroupMetadataValue): Buffer {
  writer.reset();
  writer.writeInt16(GROUP_METADATA_VALUE_VERSION);
  dataCodecs.GroupMetadataValue.encode(writer, GROUP_METADATA_VALUE_VERSION, value);
  return writer.finish();
}

/** Thrown for a key or value this coordinator cannot read (an unknown version). */
export class OffsetsRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OffsetsRecordError';
  }
}

export function decodeOffsetsKey(key: Buffer): OffsetsRecordKey {
  const r = new Reader(key);
  const version = r.readInt16();
  if (version === 0 || version === 1) {
    const k = dataCodecs.OffsetCommitKey.decode(r, version);
    return { kind: 'offset', group: k.group, topic: k.topic, partition: k.partition };
  }
  if (version === GROUP_METADATA_KEY_VERSION) {
    return { kind: 'group', group: dataCodecs.GroupMetadataKey.decode(r, version).group };
  }
  throw new OffsetsRecordError(`unknown __consumer_offsets key version ${version}`);
}

export function decodeOffsetCommitValue(value: Buffer): CommittedOffset {
  const r = new Reader(value);
  const version = r.readInt16();
  const c = dataCodecs.OffsetCommitValue;
  if (version < c.minVersion || version > c.maxVersion) throw new OffsetsRecordError(`unknown offset commit value version ${version}`);
  const v = c.decode(r, version);
  return {
    offset: v.offset,
    leaderEpoch: v.leaderEpoch,
    metadata: v.metadata,
    commitTimestampMs: v.commitTimestamp,
    expireTimestampMs: version === 1 && v.expireTimestamp !== -1 ? v.expireTimestamp : null,
  };
}

export function decodeGroupMetadataValue(value: Buffer): GroupMetadataValue {
  const r = new Reader(value);
  const version = r.readInt16();
  const c = dataCodecs.GroupMetadataValue;
  if (version < c.minVersion || version > c.maxVersion) throw new OffsetsRecordError(`unknown group metadata value version ${version}`);
  return c.decode(r, version);
}
