// ShareGroupDescribe: v1 (KIP-932; v0 was Kafka 4.0's early access, removed in 4.1)
// Each group: its state (Empty / Stable; GROUP_ID_NOT_FOUND for an unknown id or one that is
// not a share group), group and assignment epochs, the assignor ("simple") and each member
// with its subscription and assigned partitions. DESCRIBE on each group
// (GROUP_AUTHORIZATION_FAILED for that group), authorized operations when asked.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode, errorMessage } from '../../protocol/errors.js';
import type { DescribedGroupInput } from '../../protocol/generated/share-group-describe-response.js';
import { defineHandler, type RequestContext } from './handler.js';
import { AclOperation, OPERATIONS_NOT_REQUESTED, ResourceType, authorize, authorizedOperations } from './authorize.js';
import { refuseShareGroup } from './share-groups.js';

function describe(ctx: RequestContext, groupId: string, withOps: boolean): DescribedGroupInput {
  if (!authorize(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, groupId)) return { groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: errorMessage(ErrorCode.GROUP_AUTHORIZATION_FAILED) };
  const refused = refuseShareGroup(ctx, groupId);
  if (refused) return { groupId, ...refused };
  const share = ctx.services.share;
  if (!share.isShareGroup(groupId)) return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.` };
  const g = share.coordinator.group(groupId);
  const nameOf = (topicId: string): string => ctx.services.topics.getTopicById(topicId)?.name ?? '';
  return {
    groupId,
    groupState: share.groupState(groupId),
    groupEpoch: g?.groupEpoch ?? 0,
    assignmentEpoch: g?.assignmentEpoch ?? 0,
    assignorName: 'simple',
    members: [...(g?.members.values() ?? [])].map((m) => ({
      memberId: m.memberId,
      rackId: m.rackId,
      memberEpoch: m.memberEpoch,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscribedTopicNames: m.subscribedTopicNames,
      assignment: { topicPartitions: [...m.assignment].map(([topicId, partitions]) => ({ topicId, topicName: nameOf(topicId), partitions })) },
    })),
    authorizedOperations: withOps ? authorizedOperations(ctx, ResourceType.GROUP, groupId) : OPERATIONS_NOT_REQUESTED,
  };
}

export const shareGroupDescribeHandler = defineHandler({
  apiKey: ApiKey.ShareGroupDescribe,
  minVersion: 1,
  maxVersion: 1,
  handle(request, ctx) {
    return { groups: request.groupIds.map((id) => describe(ctx, id, request.includeAuthorizedOperations)) };
  },
});
