// DescribeShareGroupOffsets: v0-1 (KIP-932)
// v1 (KIP-1226): Lag per partition. Each group's share-partitions: their start offset (-1 when
// never initialized), leader epoch and lag; Topics null names every topic the group has state
// for. DESCRIBE on the group (GROUP_AUTHORIZATION_FAILED for the group) and on each topic
// (topics refused are left out, as Kafka does); GROUP_ID_NOT_FOUND for an id that is not a
// share group; NOT_COORDINATOR where the group is coordinated elsewhere.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode, errorMessage } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';
import { refuseShareGroup } from './share-groups.js';

export const describeShareGroupOffsetsHandler = defineHandler({
  apiKey: ApiKey.DescribeShareGroupOffsets,
  minVersion: 0,
  maxVersion: 1,
  async handle(request, ctx) {
    const share = ctx.services.share;
    return {
      groups: await Promise.all(request.groups.map(async (g) => {
        if (!authorize(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, g.groupId)) return { groupId: g.groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: errorMessage(ErrorCode.GROUP_AUTHORIZATION_FAILED), topics: [] };
        const refused = refuseShareGroup(ctx, g.groupId);
        if (refused) return { groupId: g.groupId, ...refused, topics: [] };
        if (!share.isShareGroup(g.groupId)) return { groupId: g.groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${g.groupId} not found.`, topics: [] };
        const topics = (await share.describeOffsets(g.groupId, g.topics))
          .filter((t) => authorize(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, t.topicName))
          .map((t) => ({ ...t, partitions: t.partitions.map((p) => ({ ...p, errorMessage: p.errorCode === ErrorCode.NONE ? null : errorMessage(p.errorCode) })) }));
        return { groupId: g.groupId, errorCode: ErrorCode.NONE, errorMessage: null, topics };
      })),
    };
  },
});
