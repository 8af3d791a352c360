// What the share-group handlers (76-79, 90-92) share: whether this broker coordinates a group,
// and the rule that one group id is either a share group or a classic/consumer group.
import { ErrorCode } from '../../protocol/errors.js';
import type { RequestContext } from './handler.js';

/**
 * The error when this broker may not serve `groupId` as a share group: NOT_COORDINATOR (the
 * group's __consumer_offsets partition is led elsewhere), COORDINATOR_NOT_AVAILABLE, or
 * GROUP_ID_NOT_FOUND when the id names a classic or consumer group (Kafka's
 * "Group %s is not a share group."). null when it may.
 */
export function refuseShareGroup(ctx: RequestContext, groupId: string): { errorCode: number; errorMessage: string } | null {
  const found = ctx.services.groups.findGroupCoordinator(groupId);
  if (found.errorCode !== ErrorCode.NONE) return { errorCode: found.errorCode, errorMessage: `The coordinator is not available.` };
  if (found.nodeId !== ctx.services.brokerId) return { errorCode: ErrorCode.NOT_COORDINATOR, errorMessage: `This is not the correct coordinator.` };
  if (ctx.services.groups.group(groupId) !== undefined) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} is not a share group.` };
  return null;
}
