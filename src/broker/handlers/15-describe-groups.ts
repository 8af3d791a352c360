// DescribeGroups: v0-6
// v1+: throttleTimeMs. v3+: authorizedOperations when asked (no authorizer yet: READ,
// DELETE and DESCRIBE, every operation on a group). v4+: members' groupInstanceId.
// v5+: flexible.
// A group this broker does not know is described as Dead with no members (as Kafka does up
// to v5). Member metadata and assignments are only filled in for a Stable group; otherwise
// they are empty, as is protocolData (the selected protocol).
// v6 (KIP-1043): a group that does not exist, or is not a classic group (a KIP-848 consumer
// group: ConsumerGroupDescribe describes it), answers GROUP_ID_NOT_FOUND with Kafka's message
// ("Group g not found." / "Group g is not a classic group."), still in state Dead.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { AclOperation, OPERATIONS_NOT_REQUESTED, ResourceType, authorize, authorizedOperations } from './authorize.js';

export const describeGroupsHandler = defineHandler({
  apiKey: ApiKey.DescribeGroups,
  minVersion: 0,
  maxVersion: 6,
  handle(request, ctx) {
    const includeOps = ctx.apiVersion >= 3 && request.includeAuthorizedOperations;
    return {
      groups: request.groups.map((groupId) => {
        // DESCRIBE on each group (KafkaApis.handleDescribeGroupsRequest).
        if (!authorize(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, groupId)) {
          return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED };
        }
        const d = ctx.services.groups.describeGroup(groupId);
        const notFound = ctx.apiVersion >= 6 && d.notFound !== undefined;
        return {
          errorCode: notFound ? ErrorCode.GROUP_ID_NOT_FOUND : d.errorCode,
          errorMessage: notFound ? d.notFound! : null,
          groupId,
          groupState: d.state,
          protocolType: d.protocolType,
          protocolData: d.protocolData,
          members: d.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: ctx.apiVersion >= 4 ? m.groupInstanceId : null,
            clientId: m.clientId,
            clientHost: m.clientHost,
            memberMetadata: m.metadata,
            memberAssignment: m.assignment,
          })),
          authorizedOperations: includeOps ? authorizedOperations(ctx, ResourceType.GROUP, groupId) : OPERATIONS_NOT_REQUESTED,
        };
      }),
    };
  },
});
