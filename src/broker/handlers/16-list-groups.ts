// ListGroups: v0-5
// v1+: throttleTimeMs. v3+: flexible. v4+: statesFilter (KIP-518; matched without regard to
// case) and each group's state. v5+: typesFilter and each group's type (KIP-848): every group
// here is "classic".
import { ApiKey } from '../../protocol/generated/index.js';
import { defineHandler } from './handler.js';
import { listShareGroups } from './share-groups.js';
import { AclOperation, ResourceType, authorize, authorizeCluster } from './authorize.js';

export const listGroupsHandler = defineHandler({
  apiKey: ApiKey.ListGroups,
  minVersion: 0,
  maxVersion: 5,
  handle(request, ctx) {
    const v = ctx.apiVersion;
    const r = ctx.services.groups.listGroups(v >= 4 ? request.statesFilter : [], v >= 5 ? request.typesFilter : []);
    // DESCRIBE on the cluster lists every group; otherwise those the principal may DESCRIBE
    // (KafkaApis.handleListGroupsRequest).
    const all = authorizeCluster(ctx, AclOperation.DESCRIBE, false);
    // Share groups (#19 part 2, src/share): listed with type "share" beside the others.
    const listed: { groupId: string; protocolType: string; state: string; groupType: string }[] = [...r.groups];
    if (r.errorCode === 0) listed.push(...listShareGroups(ctx, v >= 4 ? request.statesFilter : [], v >= 5 ? request.typesFilter : []));
    const groups = all ? listed : listed.filter((g) => authorize(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, g.groupId, false));
    return {
      errorCode: r.errorCode,
      groups: groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: g.groupType })),
    };
  },
});
