// OffsetCommit: v2-9 (v0-1 are deprecated and not served: v0 stored offsets in ZooKeeper)
// v2-4: retentionTimeMs; -1 means the broker's offsets.retention.minutes, anything else
//   gives the commit its own expire timestamp (written as OffsetCommitValue v1).
// v3+: throttleTimeMs. v5+: no retention time. v6+: committedLeaderEpoch.
// v7+: groupInstanceId (KIP-345 fencing). v8+: flexible. v9: the generation field is named
//   generationIdOrMemberEpoch (KIP-848); for classic groups it is the generation.
// A commit with generation -1 and no member id (a "simple" consumer, or offsets stored by a
// tool) is allowed for a group without members, and creates the group if needed. Partitions
// of unknown topics get UNKNOWN_TOPIC_OR_PARTITION; metadata over 4096 bytes
// OFFSET_METADATA_TOO_LARGE. The response is sent after the offsets are appended to
// __consumer_offsets.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { OffsetCommitParams } from '../../groups/group-coordinator.js';
import { defineHandler } from './handler.js';

export const offsetCommitHandler = defineHandler({
  apiKey: ApiKey.OffsetCommit,
  minVersion: 2,
  maxVersion: 9,
  async handle(request, ctx) {
    const v = ctx.apiVersion;
    const { services } = ctx;
    const errors = new Map<string, number>();
    const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;
    const known: OffsetCommitParams['topics'][number][] = [];
    for (const t of request.topics) {
      const topic = services.topics.getTopic(t.name);
      const partitions = [];
      for (const p of t.partitions) {
        // The topic's metadata, not a local replica: the coordinator need not hold one (Kafka's metadataCache.contains).
        if (!topic?.partitions.some((a) => a.partition === p.partitionIndex)) {
          errors.set(key(t.name, p.partitionIndex), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          continue;
        }
        partitions.push({ partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: v >= 6 ? p.committedLeaderEpoch : -1, commitTimestampMs: -1, metadata: p.committedMetadata });
      }
      if (partitions.length > 0) known.push({ topic: t.name, partitions });
    }
    if (known.length > 0) {
      const results = await services.groups.commitOffsets({
        groupId: request.groupId,
        generationId: request.generationIdOrMemberEpoch,
        memberId: request.memberId,
        groupInstanceId: v >= 7 ? request.groupInstanceId : null,
        retentionTimeMs: v <= 4 ? request.retentionTimeMs : -1,
        topics: known,
      });
      for (const r of results) errors.set(key(r.topic, r.partition), r.errorCode);
    }
    return {
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: errors.get(key(t.name, p.partitionIndex)) ?? ErrorCode.UNKNOWN_SERVER_ERROR })),
      })),
    };
  },
});
