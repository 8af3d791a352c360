// IncrementalAlterConfigs: v0-1
// Per-key operations on a topic's overrides (KIP-339): SET (0), DELETE (1, back to the
// default), APPEND (2) and SUBTRACT (3) for list keys (cleanup.policy). Everything is validated
// before anything changes. validateOnly honoured. v1+: flexible. BROKER resources (this broker's
// id, or "" for the cluster default): the operations on that entity's dynamic broker configs
// (dynamic-broker-config.ts: Kafka's dynamic keys Tidelog applies at once, e.g. log.retention.ms,
// message.max.bytes, max.connections, the replication throttles); any other key: INVALID_REQUEST
// "Cannot update these configs dynamically"; a bad value: INVALID_REQUEST naming the key.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { effectiveTopicConfig, isTopicConfig } from '../../config/topic-config.js';
import { AclOperation, refuseNonTopicAlter, refuseUnauthorizedConfig, ResourceType } from './config-resources.js';
import { defineHandler } from './handler.js';
import { GROUP_CONFIG_RESOURCE, alterGroupConfigs } from './share-group-configs.js';

const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;
const LIST_KEYS = new Set(['cleanup.policy']);

export const incrementalAlterConfigsHandler = defineHandler({
  apiKey: ApiKey.IncrementalAlterConfigs,
  minVersion: 0,
  maxVersion: 1,
  async handle(request, ctx) {
    const { services } = ctx;
    const responses = await Promise.all(request.resources.map(async (res) => {
      const base = { resourceType: res.resourceType, resourceName: res.resourceName };
      // ALTER_CONFIGS on the topic or the cluster (KafkaApis.handleIncrementalAlterConfigsRequest).
      const denied = refuseUnauthorizedConfig(ctx, AclOperation.ALTER_CONFIGS, res.resourceType, res.resourceName);
      if (denied) return { ...base, ...denied };
      // Share groups (#19 part 2): group configs, ConfigResource.Type.GROUP (share-group-configs.ts).
      if (res.resourceType === GROUP_CONFIG_RESOURCE) return { ...base, ...(await alterGroupConfigs(ctx, res.resourceName, res.configs, request.validateOnly)) };
      if (res.resourceType === ResourceType.BROKER) {
        const r = await services.dynamicConfig.incrementalAlter(res.resourceName, res.configs.map((c) => ({ name: c.name, op: c.configOperation, value: c.value })), request.validateOnly);
        return { ...base, ...r };
      }
      const refused = refuseNonTopicAlter(res.resourceType);
      if (refused) return { ...base, ...refused };
      const topic = services.topics.getTopic(res.resourceName);
      if (!topic) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${res.resourceName} does not exist` };
      const next: Record<string, string> = { ...topic.configs };
      const effective = effectiveTopicConfig(services.config, topic.configs) as unknown as Record<string, unknown>;
      for (const c of res.configs) {
        switch (c.configOperation) {
          case SET:
            if (c.value === null) return { ...base, errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Null value not supported for ${c.name}` };
            next[c.name] = c.value;
            break;
          case DELETE:
            // Kafka refuses to delete a key that is not a topic config at all.
            if (!isTopicConfig(c.name)) return { ...base, errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Unknown topic config name: ${c.name}` };
            delete next[c.name];
            break;
          case APPEND:
          case SUBTRACT: {
            if (!LIST_KEYS.has(c.name)) return { ...base, errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Config value append/subtract is not allowed for config key ${c.name}` };
            const current = next[c.name]?.split(',') ?? (effective['cleanupPolicy'] as string[]);
            const items = (c.value ?? '').split(',').filter((v) => v !== '');
            const updated = c.configOperation === APPEND ? [...current, ...items.filter((v) => !current.includes(v))] : current.filter((v) => !items.includes(v));
            next[c.name] = updated.join(',');
            break;
          }
          default:
            return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown config operation ${c.configOperation}` };
        }
      }
      const r = await services.topics.setTopicConfigs(res.resourceName, next, request.validateOnly);
      return { ...base, errorCode: r.errorCode, errorMessage: r.errorMessage };
    }));
    return { responses };
  },
});
