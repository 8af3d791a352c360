// Shared by DescribeAcls, CreateAcls and DeleteAcls: the wire fields of an ACL filter or
// creation as the security/acl model, and Kafka's "no authorizer" answer.
import type { AclBinding, AclBindingFilter } from '../../protocol/acl.js';

/** AclApis' answer when authorizer.class.name is empty (SECURITY_DISABLED). */
export const NO_AUTHORIZER_MESSAGE = 'No Authorizer is configured.';

export interface WireFilter {
  resourceTypeFilter: number;
  resourceNameFilter: string | null;
  patternTypeFilter: number;
  principalFilter: string | null;
  hostFilter: string | null;
  operation: number;
  permissionType: number;
}

export function toFilter(f: WireFilter): AclBindingFilter {
  return {
    pattern: { resourceType: f.resourceTypeFilter as AclBindingFilter['pattern']['resourceType'], name: f.resourceNameFilter, patternType: f.patternTypeFilter as AclBindingFilter['pattern']['patternType'] },
    entry: { principal: f.principalFilter, host: f.hostFilter, operation: f.operation as AclBindingFilter['entry']['operation'], permissionType: f.permissionType as AclBindingFilter['entry']['permissionType'] },
  };
}

export interface WireCreation {
  resourceType: number;
  resourceName: string;
  resourcePatternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

export function toBinding(c: WireCreation): AclBinding {
  return {
    pattern: { resourceType: c.resourceType as AclBinding['pattern']['resourceType'], name: c.resourceName, patternType: c.resourcePatternType as AclBinding['pattern']['patternType'] },
    entry: { principal: c.principal, host: c.host, operation: c.operation as AclBinding['entry']['operation'], permissionType: c.permissionType as AclBinding['entry']['permissionType'] },
  };
}
