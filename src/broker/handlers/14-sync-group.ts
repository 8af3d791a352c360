// SyncGroup: v0-5
// v1+: throttleTimeMs. v3+: groupInstanceId (KIP-345 fencing). v4+: flexible.
// v5+: protocolType and protocolName, mandatory in the request and checked against the
//   group's (INCONSISTENT_GROUP_PROTOCOL), and returned with the assignment.
// The leader sends every member's assignment; the group's metadata and assignment are
// written to __consumer_offsets, then every member waiting in SyncGroup gets its own
// assignment. Members the leader left out get an empty one. A follower's SyncGroup parks
// until then; after the group is Stable it is answered at once.
// A classic member of a consumer group (KIP-848) gets its part of the broker's target
// assignment at once, or REBALANCE_IN_PROGRESS when it must rejoin first.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';

const EMPTY = Buffer.alloc(0);

export const syncGroupHandler = defineHandler({
  apiKey: ApiKey.SyncGroup,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, ctx) {
    const v = ctx.apiVersion;
    // READ on the group (KafkaApis.handleSyncGroupRequest).
    if (!authorize(ctx, AclOperation.READ, ResourceType.GROUP, request.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, protocolType: null, protocolName: null, assignment: EMPTY };
    if (v >= 5 && (request.protocolType === null || request.protocolName === null)) {
      return { errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL, protocolType: null, protocolName: null, assignment: EMPTY };
    }
    const result = await ctx.services.groups.syncGroup({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: v >= 3 ? request.groupInstanceId : null,
      protocolType: v >= 5 ? request.protocolType : null,
      protocolName: v >= 5 ? request.protocolName : null,
      assignments: request.assignments,
    });
    return {
      errorCode: result.errorCode,
      protocolType: v >= 5 ? result.protocolType : null,
      protocolName: v >= 5 ? result.protocolName : null,
      assignment: result.assignment,
    };
  },
});
