// DescribeClientQuotas: v0-1 (KIP-546; v1: flexible)
// Tidelog enforces no client quotas (producer_byte_rate, consumer_byte_rate,
// request_percentage, connection_creation_rate) and none can be set, so every filter matches
// nothing: an empty list. Served because Kafka's kafka-configs.sh asks it whenever it
// describes users (next to their SCRAM credentials, DescribeUserScramCredentials).
// INVALID_REQUEST for an entity type Kafka does not know ("Custom entity type ... not supported").
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { AclOperation, authorizeCluster } from './authorize.js';

const ENTITY_TYPES = new Set(['user', 'client-id', 'ip']);

export const describeClientQuotasHandler = defineHandler({
  apiKey: ApiKey.DescribeClientQuotas,
  minVersion: 0,
  maxVersion: 1,
  handle(request, ctx) {
    // Authorization (KafkaApis): DESCRIBE_CONFIGS on the cluster.
    if (!authorizeCluster(ctx, AclOperation.DESCRIBE_CONFIGS)) return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, entries: null };
    const custom = request.components.find((c) => !ENTITY_TYPES.has(c.entityType));
    if (custom) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Custom entity type '${custom.entityType}' not supported`, entries: null };
    return { errorCode: ErrorCode.NONE, errorMessage: null, entries: [] };
  },
});
