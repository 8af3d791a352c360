// DeleteGroups: v0-2
// v2+: flexible.
// Only a group without members (Empty) can be deleted: its offsets and metadata get
// tombstones in __consumer_offsets. Groups with members get NON_EMPTY_GROUP; unknown groups
// GROUP_ID_NOT_FOUND. Each group named is answered once.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { deleteShareGroups } from './share-groups.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';

export const deleteGroupsHandler = defineHandler({
  apiKey: ApiKey.DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  async handle(request, ctx) {
    // DELETE on each group (KafkaApis.handleDeleteGroupsRequest); refused ones never reach the coordinator.
    const authorized = request.groupsNames.filter((g) => authorize(ctx, AclOperation.DELETE, ResourceType.GROUP, g));
    // Share groups (#19 part 2, src/share) are deleted by the share-group coordinator.
    const shareErrors = await deleteShareGroups(ctx, authorized);
    const allowed = authorized.filter((g) => !shareErrors.has(g));
    const errors = allowed.length > 0 ? await ctx.services.groups.deleteGroups(allowed) : new Map<string, number>();
    for (const [g, e] of shareErrors) errors.set(g, e);
    const denied = request.groupsNames.filter((g) => !authorized.includes(g)).map((groupId) => ({ groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED }));
    return { results: [...denied, ...[...errors].map(([groupId, errorCode]) => ({ groupId, errorCode }))] };
  },
});
