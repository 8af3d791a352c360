// ReadShareGroupState: v0 (KIP-932, inter-broker)
// A share-partition leader reads the state of its share-partitions from their share
// coordinator (this broker when it leads their __share_group_state partition; else
// NOT_COORDINATOR). A share-partition never initialized answers StartOffset -1.
// CLUSTER_ACTION on the cluster (CLUSTER_AUTHORIZATION_FAILED per partition).
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode, errorMessage } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { AclOperation, authorizeCluster } from './authorize.js';

export const readShareGroupStateHandler = defineHandler({
  apiKey: ApiKey.ReadShareGroupState,
  minVersion: 0,
  maxVersion: 0,
  handle(request, ctx) {
    const allowed = authorizeCluster(ctx, AclOperation.CLUSTER_ACTION);
    const store = ctx.services.share.store;
    return {
      results: request.topics.map((t) => ({
        topicId: t.topicId,
        partitions: t.partitions.map((p) => {
          const fail = (code: number) => ({ partition: p.partition, errorCode: code, errorMessage: errorMessage(code), stateEpoch: 0, startOffset: -1, stateBatches: [] });
          if (!allowed) return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
          const key = { groupId: request.groupId, topicId: t.topicId, partition: p.partition };
          if (!store.isCoordinatorOf(key)) return fail(ErrorCode.NOT_COORDINATOR);
          const s = store.get(key);
          if (!s) return { partition: p.partition, errorCode: ErrorCode.NONE, errorMessage: null, stateEpoch: 0, startOffset: -1, stateBatches: [] };
          return { partition: p.partition, errorCode: ErrorCode.NONE, errorMessage: null, stateEpoch: s.stateEpoch, startOffset: s.startOffset, stateBatches: [...s.stateBatches] };
        }),
      })),
    };
  },
});
