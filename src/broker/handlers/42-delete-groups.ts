// DeleteGroups: v0-2
// v2+: flexible.
// Only a group without members (Empty) can be deleted: its offsets and metadata get
// tombstones in __consumer_offsets. Groups with members get NON_EMPTY_GROUP; unknown groups
// GROUP_ID_NOT_FOUND. Each group named is answered once.
import { ApiKey } from '../../protocol/generated/index.js';
import { defineHandler } from './handler.js';

export const deleteGroupsHandler = defineHandler({
  apiKey: ApiKey.DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  async handle(request, ctx) {
    const errors = await ctx.services.groups.deleteGroups(request.groupsNames);
    return { results: [...errors].map(([groupId, errorCode]) => ({ groupId, errorCode })) };
  },
});
