// OffsetCommit: v2-9 (v0-1 are deprecated and not served: v0 stored offsets in ZooKeeper)
// v2-4: retentionTimeMs; -1 means the broker's offsets.retention.minutes, anything else
//   gives the commit its own expire timestamp (written as OffsetCommitValue v1).
// v3+: throttleTimeMs. v5+: no retention time. v6+: committedLeaderEpoch.
// v7+: groupInstanceId (KIP-345 fencing). v8+: flexible. v9: the generation field is named
//   generationIdOrMemberEpoch (KIP-848); for classic groups it is the generation, for
//   consumer-protocol groups the member epoch (STALE_MEMBER_EPOCH, UNKNOWN_MEMBER_ID; a member
//   committing below v9 gets UNSUPPORTED_VERSION, as Kafka).
// A commit with generation -1 and no member id (a "simple" consumer, or offsets stored by a
// tool) is allowed for a group without members, and creates the group if needed. Partitions
// of unknown topics get UNKNOWN_TOPIC_OR_PARTITION; metadata over 4096 bytes
// OFFSET_METADATA_TOO_LARGE. The response is sent after the offsets are appended to
// __consumer_offsets.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { failAll, knownPartitions, PartitionErrors } from './offset-commit-partitions.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';

export const offsetCommitHandler = defineHandler({
  apiKey: ApiKey.OffsetCommit,
  minVersion: 2,
  maxVersion: 9,
  async handle(request, ctx) {
    const v = ctx.apiVersion;
    const { services } = ctx;
    // Authorization (KafkaApis.handleOffsetCommitRequest): READ on the group, else every
    // partition GROUP_AUTHORIZATION_FAILED; READ on each topic, else TOPIC_AUTHORIZATION_FAILED.
    if (!authorize(ctx, AclOperation.READ, ResourceType.GROUP, request.groupId)) return { topics: failAll(request.topics, ErrorCode.GROUP_AUTHORIZATION_FAILED) };
    const errors = new PartitionErrors();
    const known = knownPartitions(services, request.topics, v >= 6, errors, (topic) => authorize(ctx, AclOperation.READ, ResourceType.TOPIC, topic));
    if (known.length > 0) {
      const results = await services.groups.commitOffsets({
        apiVersion: v,
        groupId: request.groupId,
        generationId: request.generationIdOrMemberEpoch,
        memberId: request.memberId,
        groupInstanceId: v >= 7 ? request.groupInstanceId : null,
        retentionTimeMs: v <= 4 ? request.retentionTimeMs : -1,
        topics: known,
      });
      for (const r of results) errors.set(r.topic, r.partition, r.errorCode);
    }
    return { topics: errors.answer(request.topics) };
  },
});
