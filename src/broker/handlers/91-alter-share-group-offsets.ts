// AlterShareGroupOffsets: v0 (KIP-932)
// Sets the start offset of share-partitions of an empty share group (kafka-share-groups.sh
// --reset-offsets): a new state epoch with nothing in flight, persisted in
// __share_group_state. NON_EMPTY_GROUP while the group has members. READ on the group and on
// each topic (TOPIC_AUTHORIZATION_FAILED per partition); UNKNOWN_TOPIC_OR_PARTITION for
// partitions that do not exist.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode, errorMessage } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';
import { refuseShareGroup } from './share-groups.js';

export const alterShareGroupOffsetsHandler = defineHandler({
  apiKey: ApiKey.AlterShareGroupOffsets,
  minVersion: 0,
  maxVersion: 0,
  async handle(request, ctx) {
    const fail = (errorCode: number, message: string | null) => ({ errorCode, errorMessage: message, responses: [] });
    if (!authorize(ctx, AclOperation.READ, ResourceType.GROUP, request.groupId)) return fail(ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage(ErrorCode.GROUP_AUTHORIZATION_FAILED));
    const refused = refuseShareGroup(ctx, request.groupId);
    if (refused) return fail(refused.errorCode, refused.errorMessage);
    const allowed = request.topics.filter((t) => authorize(ctx, AclOperation.READ, ResourceType.TOPIC, t.topicName));
    const denied = request.topics
      .filter((t) => !allowed.includes(t))
      .map((t) => ({ topicName: t.topicName, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: errorMessage(ErrorCode.TOPIC_AUTHORIZATION_FAILED) })) }));
    const r = await ctx.services.share.alterOffsets(request.groupId, allowed);
    return { errorCode: r.errorCode, errorMessage: r.errorMessage, responses: r.errorCode === ErrorCode.NONE ? [...r.responses, ...denied] : [] };
  },
});
