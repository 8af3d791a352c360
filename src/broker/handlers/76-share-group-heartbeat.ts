// ShareGroupHeartbeat: v1 (KIP-932; v0 was Kafka 4.0's early access, removed in 4.1)
// A share consumer joins (MemberEpoch 0, with its subscription), keeps its membership alive
// and leaves (-1); the answer carries the member epoch and, when it changed, the member's
// partitions (share/share-group-coordinator.ts). READ on the group
// (GROUP_AUTHORIZATION_FAILED), DESCRIBE on the subscribed topics (TOPIC_AUTHORIZATION_FAILED,
// v1+). An id that names a classic or consumer group answers GROUP_ID_NOT_FOUND.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode, errorMessage } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';
import { refuseShareGroup } from './share-groups.js';

export const shareGroupHeartbeatHandler = defineHandler({
  apiKey: ApiKey.ShareGroupHeartbeat,
  minVersion: 1,
  maxVersion: 1,
  async handle(request, ctx) {
    const fail = (errorCode: number, message: string | null) => ({ errorCode, errorMessage: message, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null });
    if (!authorize(ctx, AclOperation.READ, ResourceType.GROUP, request.groupId)) return fail(ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage(ErrorCode.GROUP_AUTHORIZATION_FAILED));
    for (const t of request.subscribedTopicNames ?? []) {
      if (!authorize(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, t)) return fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `Unauthorized topics: ${t}`);
    }
    const refused = refuseShareGroup(ctx, request.groupId);
    if (refused) return fail(refused.errorCode, refused.errorMessage);
    return await ctx.services.share.coordinator.heartbeat({
      groupId: request.groupId,
      memberId: request.memberId,
      memberEpoch: request.memberEpoch,
      rackId: request.rackId,
      subscribedTopicNames: request.subscribedTopicNames,
      clientId: ctx.clientId ?? '',
      clientHost: `/${ctx.connection.remoteAddress}`,
    });
  },
});
