// Shared vocabulary of the config APIs (DescribeConfigs, AlterConfigs,
// IncrementalAlterConfigs): resource types and Kafka's config type codes.
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
