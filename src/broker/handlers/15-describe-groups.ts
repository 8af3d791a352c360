// DescribeGroups: v0-5
// v1+: throttleTimeMs. v3+: authorizedOperations when asked (no authorizer yet: READ,
// DELETE and DESCRIBE, every operation on a group). v4+: members' groupInstanceId.
// v5+: flexible.
// A group this broker does not know is described as Dead with no members (as Kafka does up
// to v5). Member metadata and assignments are only filled in for a Stable group; otherwise
// they are empty, as is protocolData (the selected protocol).
import { ApiKey } from '../../protocol/generated/index.js';
import { defineHandler } from './handler.js';

/** Kafka's value for "authorized operations not requested". */
const OPERATIONS_NOT_REQUESTED = -2147483648;
/** AclOperation READ (3), DELETE (6), DESCRIBE (8): everything that applies to a group. */
const GROUP_OPERATIONS_ALL = (1 << 3) | (1 << 6) | (1 << 8);

export const describeGroupsHandler = defineHandler({
  apiKey: ApiKey.DescribeGroups,
  minVersion: 0,
  maxVersion: 5,
  handle(request, ctx) {
    const includeOps = ctx.apiVersion >= 3 && request.includeAuthorizedOperations;
    return {
      groups: request.groups.map((groupId) => {
        const d = ctx.services.groups.describeGroup(groupId);
        return {
          errorCode: d.errorCode,
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
          authorizedOperations: includeOps ? GROUP_OPERATIONS_ALL : OPERATIONS_NOT_REQUESTED,
        };
      }),
    };
  },
});
