// OffsetDelete: v0 (KIP-496)
// Deletes a group's committed offsets. In an Empty group any offset may go; in a consumer
// group with members, partitions of topics the members subscribe to answer
// GROUP_SUBSCRIBED_TO_TOPIC and the others are deleted; other non-empty groups get
// NON_EMPTY_GROUP. Unknown groups: GROUP_ID_NOT_FOUND. Partitions of unknown topics:
// UNKNOWN_TOPIC_OR_PARTITION. A group-level error answers with no partitions.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';

export const offsetDeleteHandler = defineHandler({
  apiKey: ApiKey.OffsetDelete,
  minVersion: 0,
  maxVersion: 0,
  async handle(request, ctx) {
    const { services } = ctx;
    // DELETE on the group, READ on each topic (KafkaApis.handleOffsetDeleteRequest).
    if (!authorize(ctx, AclOperation.DELETE, ResourceType.GROUP, request.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] };
    const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;
    const errors = new Map<string, number>();
    const known: { topic: string; partition: number }[] = [];
    for (const t of request.topics) {
      if (!authorize(ctx, AclOperation.READ, ResourceType.TOPIC, t.name)) {
        for (const p of t.partitions) errors.set(key(t.name, p.partitionIndex), ErrorCode.TOPIC_AUTHORIZATION_FAILED);
        continue;
      }
      const topic = services.topics.getTopic(t.name);
      for (const p of t.partitions) {
        // The topic's metadata, not a local replica: the coordinator need not hold one.
        if (topic?.partitions.some((a) => a.partition === p.partitionIndex)) known.push({ topic: t.name, partition: p.partitionIndex });
        else errors.set(key(t.name, p.partitionIndex), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      }
    }
    const r = await services.groups.deleteOffsets(request.groupId, known);
    if (r.errorCode !== ErrorCode.NONE) return { errorCode: r.errorCode, topics: [] };
    for (const p of r.partitions) errors.set(key(p.topic, p.partition), p.errorCode);
    return {
      errorCode: ErrorCode.NONE,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: errors.get(key(t.name, p.partitionIndex)) ?? ErrorCode.NONE })),
      })),
    };
  },
});
