// DescribeConfigs: v0-4
// Topic resources: every topic config with its effective value and source (topic override,
// static broker config, default); broker resources (name = this broker's id: every broker key
// with its current value; "" : the cluster-wide dynamic defaults that are set), sources
// DYNAMIC_BROKER_CONFIG / DYNAMIC_DEFAULT_BROKER_CONFIG / STATIC_BROKER_CONFIG / DEFAULT_CONFIG
// and synonyms in Kafka's order (dynamic-broker-config.ts). v1+: synonyms on request (includeSynonyms),
// configSource instead of isDefault. v3+: configType and documentation (includeDocumentation).
// v4+: flexible. Unknown topic: UNKNOWN_TOPIC_OR_PARTITION; other broker id or resource type:
// INVALID_REQUEST. configurationKeys filters the keys returned.
import { ApiKey } from '../../protocol/generated/index.js';
import type { DescribeConfigsResultInput } from '../../protocol/generated/describe-configs-response.js';
import { ErrorCode } from '../../protocol/errors.js';
import { describeTopicConfig } from '../../config/topic-config.js';
import { ConfigSource } from '../../config/topic-config.js';
import { AclOperation, configTypeCode, refuseUnauthorizedConfig, ResourceType } from './config-resources.js';
import { GROUP_CONFIG_RESOURCE, describeGroupConfigs } from './share-group-configs.js';
import { defineHandler } from './handler.js';

export const describeConfigsHandler = defineHandler({
  apiKey: ApiKey.DescribeConfigs,
  minVersion: 0,
  maxVersion: 4,
  handle(request, ctx) {
    const { services, apiVersion } = ctx;
    const results = request.resources.map((res): DescribeConfigsResultInput => {
      const base = { resourceType: res.resourceType, resourceName: res.resourceName };
      const wanted = res.configurationKeys === null ? null : new Set(res.configurationKeys);
      const keep = (name: string) => wanted === null || wanted.has(name);
      // DESCRIBE_CONFIGS on the topic or the cluster, before anything about the resource is told.
      const denied = refuseUnauthorizedConfig(ctx, AclOperation.DESCRIBE_CONFIGS, res.resourceType, res.resourceName);
      if (denied) return { ...base, ...denied, configs: [] };
      // Share groups (#19 part 2): group configs, ConfigResource.Type.GROUP (share-group-configs.ts).
      if (res.resourceType === GROUP_CONFIG_RESOURCE) return { ...base, ...describeGroupConfigs(ctx, res.resourceName, keep, request.includeDocumentation) };
      if (res.resourceType === ResourceType.TOPIC) {
        const topic = services.topics.getTopic(res.resourceName);
        if (!topic) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${res.resourceName} does not exist`, configs: [] };
        const configs = describeTopicConfig(services.config, topic.configs, services.dynamicConfig)
          .filter((e) => keep(e.name))
          .map((e) => ({
            name: e.name,
            value: e.value,
            readOnly: e.readOnly,
            isDefault: apiVersion === 0 && e.isDefault, // v0 only; later versions carry configSource
            configSource: e.source,
            isSensitive: e.sensitive,
            synonyms: request.includeSynonyms ? e.synonyms : [],
            configType: configTypeCode(e.type),
            documentation: request.includeDocumentation ? e.doc : null,
          }));
        return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs };
      }
      if (res.resourceType === ResourceType.BROKER) {
        // This broker's id: every key, its current value, and the synonyms by source (dynamic
        // per-broker, dynamic default, static, Kafka's default); "": the dynamic defaults set.
        const described = services.dynamicConfig.describe(res.resourceName);
        if (described.errorCode !== ErrorCode.NONE) return { ...base, errorCode: described.errorCode, errorMessage: described.errorMessage, configs: [] };
        const configs = described.entries
          .filter((e) => keep(e.name))
          .map((e) => ({
            name: e.name,
            value: e.value,
            readOnly: e.readOnly,
            isDefault: apiVersion === 0 && e.source === ConfigSource.DEFAULT_CONFIG,
            configSource: e.source,
            isSensitive: e.sensitive,
            synonyms: request.includeSynonyms ? e.synonyms : [],
            configType: configTypeCode(e.type),
            documentation: request.includeDocumentation ? e.doc : null,
          }));
        return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs };
      }
      return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${res.resourceType}`, configs: [] };
    });
    return { results };
  },
});
