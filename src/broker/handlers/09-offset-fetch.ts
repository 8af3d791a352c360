// OffsetFetch: v1-9 (v0 read offsets from ZooKeeper and is not served)
// v1: the partitions asked for; a group error is reported on every partition.
// v2+: topics may be null (every committed offset of the group); a top-level errorCode.
// v3+: throttleTimeMs. v5+: committedLeaderEpoch. v6+: flexible.
// v7+: requireStable (KIP-447): a partition whose commit is still being written answers
//   UNSTABLE_OFFSET_COMMIT, which the client retries.
// v8+: several groups per request, each with its own error (KIP-709).
// v9: memberId/memberEpoch (KIP-848): a member of a consumer-protocol group must be known
//   (UNKNOWN_MEMBER_ID) and at its current epoch (STALE_MEMBER_EPOCH); epoch -1 (admin) always
//   reads. A member epoch for a classic group answers UNKNOWN_MEMBER_ID, as Kafka.
// Offsets are answered whatever the group's state; a partition without a committed offset
// (or an unknown group or topic) answers offset -1 with empty metadata and no error.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { GroupCoordinator, OffsetFetchResult } from '../../groups/group-coordinator.js';
import { defineHandler, type RequestContext } from './handler.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';

/**
 * Authorization (KafkaApis.handleOffsetFetchRequest): DESCRIBE on the group
 * (GROUP_AUTHORIZATION_FAILED); topics the principal may not DESCRIBE answer
 * TOPIC_AUTHORIZATION_FAILED per partition when named, and are left out of "all topics".
 */
function fetch(ctx: RequestContext, groups: GroupCoordinator, groupId: string, topics: readonly { name: string; partitionIndexes: readonly number[] }[] | null, requireStable: boolean, member?: { memberId: string | null; memberEpoch: number }): OffsetFetchResult {
  if (!authorize(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] };
  const visible = (topic: string) => authorize(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, topic);
  const allowed = topics === null ? null : topics.filter((t) => visible(t.name));
  const r = groups.fetchOffsets(
    groupId,
    allowed === null ? null : allowed.map((t) => ({ topic: t.name, partitions: t.partitionIndexes })),
    requireStable,
    member,
  );
  if (r.errorCode !== ErrorCode.NONE || ctx.services.authorizer === null) return r;
  const denied = (topics ?? [])
    .filter((t) => !visible(t.name))
    .map((t) => ({ topic: t.name, partitions: t.partitionIndexes.map((p) => ({ partition: p, offset: -1, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) }));
  return { ...r, topics: [...r.topics.filter((t) => visible(t.topic)), ...denied] };
}

function partitionsOut(r: OffsetFetchResult) {
  return r.topics.map((t) => ({
    name: t.topic,
    partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, committedOffset: p.offset, committedLeaderEpoch: p.leaderEpoch, metadata: p.metadata, errorCode: p.errorCode })),
  }));
}

export const offsetFetchHandler = defineHandler({
  apiKey: ApiKey.OffsetFetch,
  minVersion: 1,
  maxVersion: 9,
  handle(request, ctx) {
    const v = ctx.apiVersion;
    const { groups } = ctx.services;
    if (v >= 8) {
      return {
        groups: request.groups.map((g) => {
          const r = fetch(ctx, groups, g.groupId, g.topics, request.requireStable, v >= 9 ? { memberId: g.memberId, memberEpoch: g.memberEpoch } : undefined);
          return { groupId: g.groupId, errorCode: r.errorCode, topics: r.errorCode === ErrorCode.NONE ? partitionsOut(r) : [] };
        }),
      };
    }
    const topics = v >= 2 ? request.topics : (request.topics ?? []);
    const r = fetch(ctx, groups, request.groupId, topics, v >= 7 && request.requireStable);
    if (r.errorCode === ErrorCode.NONE) return { errorCode: ErrorCode.NONE, topics: partitionsOut(r) };
    if (v >= 2) return { errorCode: r.errorCode, topics: [] };
    // v1 has no top-level error: every partition asked for carries it.
    return {
      topics: (topics ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: r.errorCode })),
      })),
    };
  },
});
