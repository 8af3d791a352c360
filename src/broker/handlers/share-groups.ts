// What the share-group handlers (76-79, 90-92) share: whether this broker coordinates a group
// (and has loaded its partition),
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
  if (ctx.services.groups.isGroupLoading(groupId)) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, errorMessage: 'The coordinator is loading and hence can\'t process requests.' };
  if (ctx.services.groups.group(groupId) !== undefined) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} is not a share group.` };
  return null;
}

/**
 * The share groups this broker coordinates, for ListGroups (type "share", protocol type
 * "share", state Empty or Stable), filtered as Kafka filters: states and types without regard
 * to case, an empty filter matching all.
 */
export function listShareGroups(ctx: RequestContext, statesFilter: readonly string[], typesFilter: readonly string[]): { groupId: string; protocolType: string; state: string; groupType: string }[] {
  if (typesFilter.length > 0 && !typesFilter.some((t) => t.toLowerCase() === 'share')) return [];
  const states = new Set(statesFilter.map((s) => s.toLowerCase()));
  const share = ctx.services.share;
  return share
    .groupIds()
    .filter((id) => ctx.services.groups.findGroupCoordinator(id).nodeId === ctx.services.brokerId && ctx.services.groups.group(id) === undefined)
    .map((groupId) => ({ groupId, protocolType: 'share', state: share.groupState(groupId), groupType: 'share' }))
    .filter((g) => states.size === 0 || states.has(g.state.toLowerCase()));
}

/** Deletes the named groups that are share groups (DeleteGroups); the others are not in the result. */
export async function deleteShareGroups(ctx: RequestContext, groupIds: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const id of groupIds) {
    if (!ctx.services.share.isShareGroup(id) || ctx.services.groups.group(id) !== undefined) continue;
    const refused = refuseShareGroup(ctx, id);
    out.set(id, refused ? refused.errorCode : await ctx.services.share.deleteGroup(id));
  }
  return out;
}
