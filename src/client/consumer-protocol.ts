// The consumer protocol's embedded messages (Kafka's ConsumerProtocol): the subscription a
// member sends in JoinGroup and the assignment the leader hands out in SyncGroup, each an
// int16 version followed by ConsumerProtocolSubscription / ConsumerProtocolAssignment.
// As Kafka, a newer version than we know is read with the newest schema we have (fields are
// only ever appended).
import { Reader, Writer } from '../protocol/primitives/index.js';
import { dataCodecs } from '../protocol/generated/index.js';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

export interface TopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

/** Decodes an assignment; empty for an empty buffer, null when it does not parse. */
export function decodeAssignment(bytes: Buffer): TopicPartitions[] | null {
  if (bytes.length === 0) return [];
  try {
    const r = new Reader(bytes);
    const version = Math.min(r.readInt16(), dataCodecs.ConsumerProtocolAssignment.maxVersion);
    if (version < 0) return null;
    return dataCodecs.ConsumerProtocolAssignment.decode(r, version).assignedPartitions.map((t) => ({ topic: t.topic, partitions: t.partitions }));
  } catch {
    return null;
  }
}

export function encodeAssignment(assigned: readonly TopicPartitions[], version = 0): Buffer {
  const w = new Writer({ initialCapacityBytes: 64 });
  w.writeInt16(version);
  dataCodecs.ConsumerProtocolAssignment.encode(w, version, { assignedPartitions: assigned.map((t) => ({ topic: t.topic, partitions: [...t.partitions] })), userData: null });
  return w.finish();
}

/** Decodes a subscription's topics; null when it does not parse. */
export function decodeSubscriptionTopics(bytes: Buffer): string[] | null {
  try {
    const r = new Reader(bytes);
    const version = Math.min(r.readInt16(), dataCodecs.ConsumerProtocolSubscription.maxVersion);
    if (version < 0) return null;
    return dataCodecs.ConsumerProtocolSubscription.decode(r, version).topics;
  } catch {
    return null;
  }
}

export function encodeSubscription(topics: readonly string[], version = 0): Buffer {
  const w = new Writer({ initialCapacityBytes: 64 });
  w.writeInt16(version);
  dataCodecs.ConsumerProtocolSubscription.encode(w, version, { topics: [...topics], userData: null });
  return w.finish();
}
