// LeaveGroup: v0-5
// v0-2: one memberId; the member's error is the response's error. v1+: throttleTimeMs.
// v3+: a batch of members, each with its own error, and removal of a static member by its
//   groupInstanceId alone (empty memberId, KIP-345). v4+: flexible. v5+: reason (logged).
// A member leaving a Stable or CompletingRebalance group starts a rebalance; leaving during
// PreparingRebalance may complete it. Members unknown to the group get UNKNOWN_MEMBER_ID.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';

export const leaveGroupHandler = defineHandler({
  apiKey: ApiKey.LeaveGroup,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, ctx) {
    const v = ctx.apiVersion;
    // READ on the group (KafkaApis.handleLeaveGroupRequest).
    if (!authorize(ctx, AclOperation.READ, ResourceType.GROUP, request.groupId)) return v >= 3 ? { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, members: [] } : { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const leaving = v >= 3 ? request.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, reason: v >= 5 ? m.reason : null })) : [{ memberId: request.memberId, groupInstanceId: null, reason: null }];
    const result = await ctx.services.groups.leaveGroup(request.groupId, leaving);
    if (v >= 3) return { errorCode: result.errorCode, members: result.members };
    // Kafka's LeaveGroupResponse for v0-2: the first member error becomes the top-level one.
    const memberError = result.members.find((m) => m.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE;
    return { errorCode: result.errorCode !== ErrorCode.NONE ? result.errorCode : memberError };
  },
});
