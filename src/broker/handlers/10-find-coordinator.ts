// FindCoordinator: v0-6
// v0: a group key only. v1+: keyType (0 = group, 1 = transaction) and errorMessage.
// v3+: flexible. v4+: batched coordinatorKeys, one result per key (KIP-699).
// v5: no change the broker sees. v6: keyType 2 (SHARE, KIP-932): the share coordinator of a
// share-partition, key "<group>:<topic id>:<partition>", the leader of its
// __share_group_state partition (share/share-state-store.ts); CLUSTER_ACTION on the cluster,
// as Kafka (brokers ask it of each other); INVALID_REQUEST below v6.
// The group coordinator is the leader of the group's __consumer_offsets partition (single
// node: this broker; in a cluster: whichever broker the controller made leader), reported with
// its endpoint on the listener the request came in on, as Kafka's getCoordinator does.
// COORDINATOR_NOT_AVAILABLE while the topic is being created (the first lookup creates it;
// fewer live brokers than offsets.topic.replication.factor refuses), or while the partition
// has no live leader. keyType 1 (transaction): the leader of the transactional id's
// __transaction_state partition (TransactionCoordinator.findCoordinator), the topic created on
// the first lookup in the same way. An unknown keyType is INVALID_REQUEST.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode, errorMessage } from '../../protocol/errors.js';
import { brokersOnListener } from '../../cluster/cluster-view.js';
import { defineHandler, type RequestContext } from './handler.js';
import { AclOperation, ResourceType, authorize, authorizeCluster } from './authorize.js';

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;
const KEY_TYPE_SHARE = 2;

interface Found {
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
}

function find(ctx: RequestContext, key: string, keyType: number): Found {
  const none = (errorCode: number, message: string): Found => ({ errorCode, errorMessage: message, nodeId: -1, host: '', port: -1 });
  if (keyType === KEY_TYPE_SHARE && ctx.apiVersion >= 6) {
    if (!authorizeCluster(ctx, AclOperation.CLUSTER_ACTION)) return none(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage(ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
    const share = ctx.services.share.store.findCoordinator(key);
    if (share.errorCode !== ErrorCode.NONE) return none(share.errorCode, share.errorMessage ?? errorMessage(share.errorCode));
    return located(ctx, share.nodeId, none);
  }
  if (keyType !== KEY_TYPE_GROUP && keyType !== KEY_TYPE_TRANSACTION) return none(ErrorCode.INVALID_REQUEST, `Unknown coordinator type ${keyType} in FindCoordinator request`);
  // DESCRIBE on the group or transactional id (KafkaApis.getCoordinator).
  if (keyType === KEY_TYPE_GROUP && !authorize(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, key)) return none(ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage(ErrorCode.GROUP_AUTHORIZATION_FAILED));
  if (keyType === KEY_TYPE_TRANSACTION && !authorize(ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, key)) return none(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, errorMessage(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED));
  const found = keyType === KEY_TYPE_TRANSACTION ? ctx.services.transactions.findCoordinator(key) : ctx.services.groups.findGroupCoordinator(key);
  if (found.errorCode !== ErrorCode.NONE) return none(found.errorCode, errorMessage(found.errorCode));
  return located(ctx, found.nodeId, none);
}

/** The coordinator's endpoint on the request's listener: a leader not registered (dead), or without this listener, is no coordinator for this client. */
function located(ctx: RequestContext, nodeId: number, none: (errorCode: number, message: string) => Found): Found {
  const node = brokersOnListener(ctx.services.cluster, ctx.connection.listener.name).find((b) => b.id === nodeId);
  if (!node) return none(ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage(ErrorCode.COORDINATOR_NOT_AVAILABLE));
  return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: node.id, host: node.host, port: node.port };
}

export const findCoordinatorHandler = defineHandler({
  apiKey: ApiKey.FindCoordinator,
  minVersion: 0,
  maxVersion: 6,
  handle(request, ctx) {
    if (ctx.apiVersion >= 4) {
      return { coordinators: request.coordinatorKeys.map((key) => ({ key, ...find(ctx, key, request.keyType) })) };
    }
    return find(ctx, request.key, ctx.apiVersion >= 1 ? request.keyType : KEY_TYPE_GROUP);
  },
});
