// What OffsetCommit and TxnOffsetCommit share: the request's partitions split into those of
// topics that exist (for the group coordinator) and those that do not
// (UNKNOWN_TOPIC_OR_PARTITION, decided here from the topic metadata, not a local replica: the
// coordinator need not hold one, as Kafka's metadataCache), and the response, every
// partition answered in request order with the error recorded for it.
import { ErrorCode } from '../../protocol/errors.js';
import type { OffsetCommitParams } from '../../groups/group-coordinator.js';
import type { BrokerServices } from '../../services/broker-services.js';

interface RequestTopic {
  readonly name: string;
  /** From TxnOffsetCommit v6 (KIP-1319) the topic is named by id; answered back as given. */
  readonly topicId?: string;
  readonly partitions: readonly { readonly partitionIndex: number; readonly committedOffset: number; readonly committedLeaderEpoch: number; readonly committedMetadata: string | null }[];
}

/** Each partition's error code, by topic and partition. */
export class PartitionErrors {
  private readonly byKey = new Map<string, number>();

  set(topic: string, partition: number, errorCode: number): void {
    this.byKey.set(`${topic}\u0000${partition}`, errorCode);
  }

  /** The response's topics: every partition of the request, with its error (UNKNOWN_SERVER_ERROR if none was recorded: a bug). */
  answer(topics: readonly RequestTopic[]): { name: string; topicId?: string; partitions: { partitionIndex: number; errorCode: number }[] }[] {
    return topics.map((t) => ({
      name: t.name,
      ...(t.topicId !== undefined ? { topicId: t.topicId } : {}),
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: this.byKey.get(`${t.name}\u0000${p.partitionIndex}`) ?? ErrorCode.UNKNOWN_SERVER_ERROR })),
    }));
  }
}

/** Every partition of the request answered with one error (authorization failures). */
export function failAll(topics: readonly RequestTopic[], errorCode: number): { name: string; topicId?: string; partitions: { partitionIndex: number; errorCode: number }[] }[] {
  return topics.map((t) => ({ name: t.name, ...(t.topicId !== undefined ? { topicId: t.topicId } : {}), partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) }));
}

/**
 * The partitions of existing topics, as the group coordinator takes them; the others get
 * UNKNOWN_TOPIC_OR_PARTITION in `errors`, and those of topics `readable` refuses (checked
 * first, so nothing is said about their existence) TOPIC_AUTHORIZATION_FAILED.
 */
export function knownPartitions(services: BrokerServices, topics: readonly RequestTopic[], withLeaderEpoch: boolean, errors: PartitionErrors, readable: (topic: string) => boolean = () => true): OffsetCommitParams['topics'][number][] {
  const known: OffsetCommitParams['topics'][number][] = [];
  for (const t of topics) {
    if (!readable(t.name)) {
      for (const p of t.partitions) errors.set(t.name, p.partitionIndex, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      continue;
    }
    const topic = services.topics.getTopic(t.name);
    const partitions = [];
    for (const p of t.partitions) {
      if (!topic?.partitions.some((a) => a.partition === p.partitionIndex)) {
        errors.set(t.name, p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        continue;
      }
      partitions.push({ partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: withLeaderEpoch ? p.committedLeaderEpoch : -1, commitTimestampMs: -1, metadata: p.committedMetadata });
    }
    if (partitions.length > 0) known.push({ topic: t.name, partitions });
  }
  return known;
}
