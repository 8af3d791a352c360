// AlterConfigs: v0-2
// Replaces a topic's whole set of config overrides (keys not named go back to their
// defaults), after validating every key and value (INVALID_CONFIG naming the key).
// validateOnly honoured. v2+: flexible. A BROKER resource (this broker's id, or "" for the
// cluster default) replaces that entity's dynamic broker configs (dynamic-broker-config.ts);
// a key that is not dynamic: INVALID_REQUEST naming it. Other resource types: INVALID_REQUEST.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, refuseNonTopicAlter, refuseUnauthorizedConfig, ResourceType } from './config-resources.js';
import { defineHandler } from './handler.js';

export const alterConfigsHandler = defineHandler({
  apiKey: ApiKey.AlterConfigs,
  minVersion: 0,
  maxVersion: 2,
  async handle(request, ctx) {
    const { services } = ctx;
    const responses = await Promise.all(request.resources.map(async (res) => {
      const base = { resourceType: res.resourceType, resourceName: res.resourceName };
      // ALTER_CONFIGS on the topic or the cluster (KafkaApis.handleAlterConfigsRequest).
      const denied = refuseUnauthorizedConfig(ctx, AclOperation.ALTER_CONFIGS, res.resourceType, res.resourceName);
      if (denied) return { ...base, ...denied };
      if (res.resourceType === ResourceType.BROKER) {
        const r = await services.dynamicConfig.replace(res.resourceName, Object.fromEntries(res.configs.map((c) => [c.name, c.value])), request.validateOnly);
        return { ...base, ...r };
      }
      const refused = refuseNonTopicAlter(res.resourceType);
      if (refused) return { ...base, ...refused };
      const configs: Record<string, string> = {};
      for (const c of res.configs) {
        if (c.value === null) return { ...base, errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Null value not supported for topic config ${c.name}` };
        configs[c.name] = c.value;
      }
      const r = await services.topics.setTopicConfigs(res.resourceName, configs, request.validateOnly);
      return { ...base, errorCode: r.errorCode, errorMessage: r.errorMessage };
    }));
    return { responses };
  },
});
