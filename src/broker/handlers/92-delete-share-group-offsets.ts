// DeleteShareGroupOffsets: v0 (KIP-932)
// Deletes the share-partition state of topics of an empty share group
// (kafka-share-groups.sh --delete-offsets): tombstones in __share_group_state. NON_EMPTY_GROUP
// while the group has members. DELETE on the group, READ on each topic
// (TOPIC_AUTHORIZATION_FAILED per topic).
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode, errorMessage } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';
import { refuseShareGroup } from './share-groups.js';

export const deleteShareGroupOffsetsHandler = defineHandler({
  apiKey: ApiKey.DeleteShareGroupOffsets,
  minVersion: 0,
  maxVersion: 0,
  async handle(request, ctx) {
    const fail = (errorCode: number, message: string | null) => ({ errorCode, errorMessage: message, responses: [] });
    if (!authorize(ctx, AclOperation.DELETE, ResourceType.GROUP, request.groupId)) return fail(ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage(ErrorCode.GROUP_AUTHORIZATION_FAILED));
    const refused = refuseShareGroup(ctx, request.groupId);
    if (refused) return fail(refused.errorCode, refused.errorMessage);
    if (!ctx.services.share.isShareGroup(request.groupId)) return fail(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${request.groupId} not found.`);
    const names = request.topics.map((t) => t.topicName);
    const allowed = names.filter((n) => authorize(ctx, AclOperation.READ, ResourceType.TOPIC, n));
    const denied = names.filter((n) => !allowed.includes(n)).map((topicName) => ({ topicName, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: errorMessage(ErrorCode.TOPIC_AUTHORIZATION_FAILED) }));
    const r = await ctx.services.share.deleteOffsets(request.groupId, allowed);
    return { errorCode: r.errorCode, errorMessage: r.errorMessage, responses: r.errorCode === ErrorCode.NONE ? [...r.responses, ...denied] : [] };
  },
});
