// ConsumerGroupDescribe: v0-1 (KIP-848)
// v1: each member's MemberType (KIP-1099): 1, a consumer-protocol member (Tidelog has no
//   classic members in consumer groups).
// A group that does not exist answers GROUP_ID_NOT_FOUND "Group <id> not found."; a classic
// group GROUP_ID_NOT_FOUND "Group <id> is not a consumer group." (the Java admin client then
// describes it with DescribeGroups). authorizedOperations when asked.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { AclOperation, OPERATIONS_NOT_REQUESTED, ResourceType, authorize, authorizedOperations } from './authorize.js';

export const consumerGroupDescribeHandler = defineHandler({
  apiKey: ApiKey.ConsumerGroupDescribe,
  minVersion: 0,
  maxVersion: 1,
  handle(request, ctx) {
    return {
      groups: request.groupIds.map((groupId) => {
        // DESCRIBE on each group (KafkaApis.handleConsumerGroupDescribe).
        if (!authorize(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, groupId)) {
          return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null, groupId, authorizedOperations: OPERATIONS_NOT_REQUESTED };
        }
        const d = ctx.services.groups.consumerGroupDescribe(groupId);
        return {
          ...d,
          members: d.members.map((m) => ({ ...m, memberType: ctx.apiVersion >= 1 ? m.memberType : -1 })),
          authorizedOperations: request.includeAuthorizedOperations ? authorizedOperations(ctx, ResourceType.GROUP, groupId) : OPERATIONS_NOT_REQUESTED,
        };
      }),
    };
  },
});
