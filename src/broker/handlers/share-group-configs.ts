// Group configs (KIP-848/KIP-932's GroupConfig, ConfigResource.Type.GROUP = 32) as
// IncrementalAlterConfigs and DescribeConfigs serve them: Kafka 4.4's consumer.*, share.*,
// streams.* and errors.deadletterqueue.* keys, kept cluster-wide by GroupConfigs
// (config/group-configs.ts). ALTER_CONFIGS / DESCRIBE_CONFIGS on the group.
import { ErrorCode, errorMessage } from '../../protocol/errors.js';
import type { RequestContext } from './handler.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';

export { GROUP_CONFIG_RESOURCE } from '../../config/group-config.js';

export async function alterGroupConfigs(ctx: RequestContext, groupId: string, configs: readonly { name: string; configOperation: number; value: string | null }[], validateOnly: boolean): Promise<{ errorCode: number; errorMessage: string | null }> {
  if (!authorize(ctx, AclOperation.ALTER_CONFIGS, ResourceType.GROUP, groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: errorMessage(ErrorCode.GROUP_AUTHORIZATION_FAILED) };
  return ctx.services.share.groupConfigs.alter(groupId, configs, validateOnly);
}

export function describeGroupConfigs(ctx: RequestContext, groupId: string, keep: (name: string) => boolean, includeDocumentation: boolean) {
  if (!authorize(ctx, AclOperation.DESCRIBE_CONFIGS, ResourceType.GROUP, groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: errorMessage(ErrorCode.GROUP_AUTHORIZATION_FAILED), configs: [] };
  return { errorCode: ErrorCode.NONE, errorMessage: null, configs: ctx.services.share.groupConfigs.describe(groupId, keep).map((e) => (includeDocumentation ? e : { ...e, documentation: null })) };
}
