// WriteShareGroupState: v0-1 (KIP-932, inter-broker; v1: DeliveryCompleteCount, KIP-1226)
// A share-partition leader writes the state of a share-partition (start offset and in-flight
// window) through its share coordinator, which appends it to __share_group_state with
// acks=-1 before answering. NOT_COORDINATOR when this broker does not lead the state
// partition; FENCED_LEADER_EPOCH for a leader epoch older than the stored one.
// CLUSTER_ACTION on the cluster.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode, errorMessage } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { AclOperation, authorizeCluster } from './authorize.js';

export const writeShareGroupStateHandler = defineHandler({
  apiKey: ApiKey.WriteShareGroupState,
  minVersion: 0,
  maxVersion: 1,
  async handle(request, ctx) {
    const allowed = authorizeCluster(ctx, AclOperation.CLUSTER_ACTION);
    const store = ctx.services.share.store;
    const results = [];
    for (const t of request.topics) {
      const partitions = [];
      for (const p of t.partitions) {
        let code: number = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
        if (allowed) {
          const key = { groupId: request.groupId, topicId: t.topicId, partition: p.partition };
          code = await store.writeLocal(key, { stateEpoch: p.stateEpoch, startOffset: p.startOffset, stateBatches: p.stateBatches }, p.leaderEpoch, ctx.apiVersion >= 1 ? p.deliveryCompleteCount : -1);
        }
        partitions.push({ partition: p.partition, errorCode: code, errorMessage: code === ErrorCode.NONE ? null : errorMessage(code) });
      }
      results.push({ topicId: t.topicId, partitions });
    }
    return { results };
  },
});
