// Heartbeat: v0-4
// v1+: throttleTimeMs. v3+: groupInstanceId (KIP-345: a stale member id of a static member
// gets FENCED_INSTANCE_ID). v4+: flexible.
// Keeps the member's session alive. While the group prepares a rebalance the answer is
// REBALANCE_IN_PROGRESS (the member must rejoin); an old generation gets ILLEGAL_GENERATION
// and an unknown member UNKNOWN_MEMBER_ID. A classic member of a consumer group (KIP-848) is
// told REBALANCE_IN_PROGRESS when it must rejoin to revoke or to get partitions.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';

export const heartbeatHandler = defineHandler({
  apiKey: ApiKey.Heartbeat,
  minVersion: 0,
  maxVersion: 4,
  handle(request, ctx) {
    // READ on the group (KafkaApis.handleHeartbeatRequest).
    if (!authorize(ctx, AclOperation.READ, ResourceType.GROUP, request.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const groupInstanceId = ctx.apiVersion >= 3 ? request.groupInstanceId : null;
    return { errorCode: ctx.services.groups.heartbeat(request.groupId, request.memberId, groupInstanceId, request.generationId) };
  },
});
