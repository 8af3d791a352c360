// WriteTxnMarkers: v1 (inter-broker: the transaction coordinator asks partition leaders to
// end a transaction; Kafka 4.x serves v1-2 and removed v0 (KIP-896))
// v1: flexible; each marker names a producer id and epoch, the coordinator epoch, the result
//   (COMMIT or ABORT) and its partitions.
// v2 (KIP-1228): TransactionVersion of each marker (2 for a transaction of version 2, whose
//   marker carries the bumped epoch); passed on to the partition, which checks the epoch as for
//   version 1 (not >= the producer's epoch: INVALID_PRODUCER_EPOCH).
// Each marker is appended to its partitions as leader with acks=-1 (ReplicaManager.
// writeTxnMarkers); errors are per partition, as Kafka's handleWriteTxnMarkersRequest gives
// them: UNKNOWN_TOPIC_OR_PARTITION (no local replica), NOT_LEADER_OR_FOLLOWER,
// NOT_ENOUGH_REPLICAS, INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED,
// REQUEST_TIMED_OUT. The answer waits until every marker's partitions settled.
// Not implemented: CLUSTER_ACTION authorization (there is no authorizer yet; Kafka without
// one also lets any client send this request).
import { ApiKey } from '../../protocol/generated/index.js';
import type { TxnMarkerEntry } from '../../partition/txn-markers.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { AclOperation, authorizeCluster } from './authorize.js';

export const writeTxnMarkersHandler = defineHandler({
  apiKey: ApiKey.WriteTxnMarkers,
  minVersion: 1,
  maxVersion: 2,
  async handle(request, ctx) {
    // CLUSTER_ACTION on the cluster: only brokers write markers (KafkaApis.handleWriteTxnMarkersRequest).
    if (!authorizeCluster(ctx, AclOperation.CLUSTER_ACTION)) {
      return { markers: request.markers.map((m) => ({ producerId: m.producerId, topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED })) })) })) };
    }
    const markers: TxnMarkerEntry[] = request.markers.map((m) => ({
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      coordinatorEpoch: m.coordinatorEpoch,
      commit: m.transactionResult,
      partitions: m.topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition }))),
      transactionVersion: m.transactionVersion,
    }));
    const results = await ctx.services.replicas.writeTxnMarkers(markers);
    return {
      markers: results.map((r) => {
        const byTopic = new Map<string, { partitionIndex: number; errorCode: number }[]>();
        for (const p of r.partitions) {
          let list = byTopic.get(p.topic);
          if (!list) byTopic.set(p.topic, (list = []));
          list.push({ partitionIndex: p.partition, errorCode: p.errorCode });
        }
        return { producerId: r.producerId, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) };
      }),
    };
  },
});
