// JoinGroup: v0-9
// v0: no rebalance timeout (the session timeout serves as one, as in Kafka). v1+: rebalanceTimeoutMs.
// v2+: throttleTimeMs. v4+: a dynamic member joining without an id first gets
//   MEMBER_ID_REQUIRED with its id and joins again with it (KIP-394).
// v5+: groupInstanceId, static membership (KIP-345): a known instance rejoining with no
//   member id replaces its old id, without a rebalance when its protocols did not change;
//   a stale member id of an instance gets FENCED_INSTANCE_ID. v6+: flexible.
// v7+: protocolType in the response; protocolName nullable. v8+: reason (logged).
// v9+: skipAssignment: a static leader rejoining a Stable group is told it leads but must
//   not compute an assignment.
// The request parks until the rebalance completes (every known member rejoined, the
// rebalance timeout passed, or the initial delay of a new group elapsed); the leader's
// response carries every member's metadata for the selected protocol.
// A consumer group (KIP-848) with members takes the member as a classic member of it: no
// leader, the broker's target assignment decides (ConsumerCoordinator.classicJoin).
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';

export const joinGroupHandler = defineHandler({
  apiKey: ApiKey.JoinGroup,
  minVersion: 0,
  maxVersion: 9,
  async handle(request, ctx) {
    const v = ctx.apiVersion;
    const groupInstanceId = v >= 5 ? request.groupInstanceId : null;
    // READ on the group (KafkaApis.handleJoinGroupRequest).
    if (!authorize(ctx, AclOperation.READ, ResourceType.GROUP, request.groupId)) {
      return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, generationId: -1, protocolType: null, protocolName: v >= 7 ? null : '', leader: '', skipAssignment: false, memberId: request.memberId, members: [] };
    }
    // Share groups (#19 part 2): an id that names a share group is no classic group (Kafka's "Group %s is not a classic group.").
    if (ctx.services.share.isShareGroup(request.groupId)) {
      return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, generationId: -1, protocolType: null, protocolName: v >= 7 ? null : '', leader: '', skipAssignment: false, memberId: request.memberId, members: [] };
    }
    const result = await ctx.services.groups.joinGroup({
      groupId: request.groupId,
      memberId: request.memberId,
      groupInstanceId,
      requireKnownMemberId: v >= 4 && groupInstanceId === null,
      supportSkippingAssignment: v >= 9,
      clientId: ctx.clientId ?? '',
      // Kafka reports the client's InetAddress, which prints with a leading slash.
      clientHost: `/${ctx.connection.remoteAddress}`,
      rebalanceTimeoutMs: v === 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs,
      sessionTimeoutMs: request.sessionTimeoutMs,
      protocolType: request.protocolType,
      protocols: request.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
      reason: v >= 8 ? request.reason : null,
    });
    return {
      errorCode: result.errorCode,
      generationId: result.generationId,
      protocolType: v >= 7 ? result.protocolType : null,
      // Before v7 the protocol name is not nullable: Kafka sends '' instead.
      protocolName: v >= 7 ? result.protocolName : (result.protocolName ?? ''),
      leader: result.leader,
      skipAssignment: v >= 9 && result.skipAssignment,
      memberId: result.memberId,
      members: result.members.map((m) => ({ memberId: m.memberId, groupInstanceId: v >= 5 ? m.groupInstanceId : null, metadata: m.metadata })),
    };
  },
});
