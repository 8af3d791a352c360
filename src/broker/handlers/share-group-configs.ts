// Group configs (KIP-848/KIP-932's GroupConfig, ConfigResource.Type.GROUP = 32) as
// IncrementalAlterConfigs and DescribeConfigs serve them: the share.* keys of a share group
// (share.auto.offset.reset, share.record.lock.duration.ms, ...), kept by the share-group
// coordinator (share/share-group-coordinator.ts). ALTER_CONFIGS / DESCRIBE_CONFIGS on the group.
import { ErrorCode, errorMessage } from '../../protocol/errors.js';
import { SHARE_GROUP_CONFIG_KEYS } from '../../share/share-group-coordinator.js';
import type { RequestContext } from './handler.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';

/** Kafka's ConfigResource.Type.GROUP. */
export const GROUP_CONFIG_RESOURCE = 32;

const SET = 0;
const DELETE = 1;

export function alterGroupConfigs(ctx: RequestContext, groupId: string, configs: readonly { name: string; configOperation: number; value: string | null }[], validateOnly: boolean): { errorCode: number; errorMessage: string | null } {
  if (!authorize(ctx, AclOperation.ALTER_CONFIGS, ResourceType.GROUP, groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: errorMessage(ErrorCode.GROUP_AUTHORIZATION_FAILED) };
  const coordinator = ctx.services.share.coordinator;
  for (const c of configs) {
    if (c.configOperation !== SET && c.configOperation !== DELETE) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Config value append/subtract is not allowed for config key ${c.name}` };
    const bad = coordinator.validateGroupConfig(c.name, c.configOperation === SET ? c.value : null);
    if (bad) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: bad };
  }
  if (!validateOnly) for (const c of configs) coordinator.setGroupConfig(groupId, c.name, c.configOperation === SET ? c.value : null);
  return { errorCode: ErrorCode.NONE, errorMessage: null };
}

export function describeGroupConfigs(ctx: RequestContext, groupId: string, keep: (name: string) => boolean) {
  if (!authorize(ctx, AclOperation.DESCRIBE_CONFIGS, ResourceType.GROUP, groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: errorMessage(ErrorCode.GROUP_AUTHORIZATION_FAILED), configs: [] };
  const set = ctx.services.share.coordinator.groupConfig(groupId);
  const v = ctx.services.config.values as unknown as Record<string, unknown>;
  const configs = Object.entries(SHARE_GROUP_CONFIG_KEYS)
    .filter(([name]) => keep(name))
    .map(([name, brokerKey]) => {
      const dynamic = set.get(name);
      const def = brokerKey ? String(v[brokerKey]) : name === 'share.auto.offset.reset' ? 'latest' : 'read_uncommitted';
      return {
        name,
        value: dynamic ?? def,
        readOnly: false,
        isDefault: false,
        // DYNAMIC_GROUP_CONFIG (8) when set, else the broker's (STATIC_BROKER_CONFIG 4) or the default (5).
        configSource: dynamic !== undefined ? 8 : brokerKey ? 4 : 5,
        isSensitive: false,
        synonyms: [],
        configType: brokerKey ? 3 : 2,
        documentation: null,
      };
    });
  return { errorCode: ErrorCode.NONE, errorMessage: null, configs };
}
