// ReadShareGroupStateSummary: v0-1 (KIP-932, inter-broker)
// The group coordinator asks a share coordinator for the summary of share-partitions it
// coordinates (DescribeShareGroupOffsets in a cluster): state epoch, leader epoch, start offset
// and (v1, KIP-1226) the delivery-complete count; StartOffset -1 for a share-partition never
// initialized, NOT_COORDINATOR where this broker does not lead its __share_group_state
// partition. CLUSTER_ACTION on the cluster (CLUSTER_AUTHORIZATION_FAILED per partition).
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode, errorMessage } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { AclOperation, authorizeCluster } from './authorize.js';

export const readShareGroupStateSummaryHandler = defineHandler({
  apiKey: ApiKey.ReadShareGroupStateSummary,
  minVersion: 0,
  maxVersion: 1,
  handle(request, ctx) {
    const allowed = authorizeCluster(ctx, AclOperation.CLUSTER_ACTION);
    const store = ctx.services.share.store;
    return {
      results: request.topics.map((t) => ({
        topicId: t.topicId,
        partitions: t.partitions.map((p) => {
          const summary = { partition: p.partition, errorCode: ErrorCode.NONE as number, errorMessage: null as string | null, stateEpoch: 0, leaderEpoch: -1, startOffset: -1, deliveryCompleteCount: -1 };
          const fail = (code: number) => ({ ...summary, errorCode: code, errorMessage: errorMessage(code) });
          if (!allowed) return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
          const key = { groupId: request.groupId, topicId: t.topicId, partition: p.partition };
          if (!store.isCoordinatorOf(key)) return fail(ErrorCode.NOT_COORDINATOR);
          const s = store.get(key);
          if (!s) return summary;
          return { ...summary, stateEpoch: s.stateEpoch, leaderEpoch: s.leaderEpoch, startOffset: s.startOffset, deliveryCompleteCount: s.deliveryCompleteCount };
        }),
      })),
    };
  },
});
