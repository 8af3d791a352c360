// Shared vocabulary of the config APIs (DescribeConfigs, AlterConfigs,
// IncrementalAlterConfigs): resource types and Kafka's config type codes.
import { ErrorCode, errorMessage } from '../../protocol/errors.js';
import { AclOperation, ResourceType as AclResourceType, authorize, authorizeCluster } from './authorize.js';
import type { RequestContext } from './handler.js';

export const ResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, BROKER: 4, CLUSTER: 4, BROKER_LOGGER: 8 } as const;

/**
 * Whether the principal may `operation` (DESCRIBE_CONFIGS or ALTER_CONFIGS) a config resource,
 * as KafkaApis/ConfigHelper: a topic's on the topic, a broker's (and broker logger's) on the
 * cluster. The error to answer, or null when allowed.
 */
export function refuseUnauthorizedConfig(ctx: RequestContext, operation: AclOperation, resourceType: number, resourceName: string): { errorCode: number; errorMessage: string } | null {
  if (resourceType === ResourceType.TOPIC) {
    return authorize(ctx, operation, AclResourceType.TOPIC, resourceName) ? null : { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: errorMessage(ErrorCode.TOPIC_AUTHORIZATION_FAILED) };
  }
  if (resourceType === ResourceType.BROKER || resourceType === ResourceType.BROKER_LOGGER) {
    return authorizeCluster(ctx, operation) ? null : { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: errorMessage(ErrorCode.CLUSTER_AUTHORIZATION_FAILED) };
  }
  return null;
}

export { AclOperation };

/** DescribeConfigs v3+ configType, from Kafka's ConfigDef types. */
export function configTypeCode(type: string): number {
  switch (type) {
    case 'boolean':
      return 1;
    case 'string':
      return 2;
    case 'int':
      return 3;
    case 'short':
      return 4;
    case 'long':
      return 5;
    case 'double':
      return 6;
    case 'list':
      return 7;
    case 'password':
      return 9;
    default:
      return 0;
  }
}

/**
 * AlterConfigs and IncrementalAlterConfigs change topic and broker configs (the latter in the
 * handlers, through dynamic-broker-config.ts). The error for any other resource (broker
 * loggers, groups, client metrics), or null for a topic.
 */
export function refuseNonTopicAlter(resourceType: number): { errorCode: number; errorMessage: string } | null {
  if (resourceType === ResourceType.TOPIC) return null;
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${resourceType}: only topic and broker configs can be altered` };
}
