// Shared vocabulary of the config APIs (DescribeConfigs, AlterConfigs,
// IncrementalAlterConfigs): resource types and Kafka's config type codes.
import { ErrorCode } from '../../protocol/errors.js';

export const ResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, BROKER: 4, CLUSTER: 4, BROKER_LOGGER: 8 } as const;

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
 * AlterConfigs and IncrementalAlterConfigs change topic configs only: broker configs are
 * static (server.properties) until dynamic broker configs exist. The error for any other
 * resource, or null for a topic.
 */
export function refuseNonTopicAlter(resourceType: number): { errorCode: number; errorMessage: string } | null {
  if (resourceType === ResourceType.TOPIC) return null;
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Only topic configs can be altered; broker configs are read from server.properties' };
}
