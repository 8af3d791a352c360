// Kafka's ACL model (org.apache.kafka.common.acl and .resource): resource types, pattern
// types, operations and permission types with Kafka's wire codes and names, the ACL binding
// (a resource pattern plus an access control entry), and the filter matching of
// ResourcePatternFilter / AccessControlEntryFilter / AclBindingFilter as Kafka defines it.
// Pure data and functions: no I/O, no state.

/** org.apache.kafka.common.resource.ResourceType, by wire code. */
export const ResourceType = {
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7,
} as const;
export type ResourceType = (typeof ResourceType)[keyof typeof ResourceType];

/** org.apache.kafka.common.resource.PatternType, by wire code. */
export const PatternType = {
  UNKNOWN: 0,
  ANY: 1,
  MATCH: 2,
  LITERAL: 3,
  PREFIXED: 4,
} as const;
export type PatternType = (typeof PatternType)[keyof typeof PatternType];

/** org.apache.kafka.common.acl.AclOperation, by wire code. */
export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
  TWO_PHASE_COMMIT: 15,
} as const;
export type AclOperation = (typeof AclOperation)[keyof typeof AclOperation];

/** org.apache.kafka.common.acl.AclPermissionType, by wire code. */
export const AclPermissionType = {
  UNKNOWN: 0,
  ANY: 1,
  DENY: 2,
  ALLOW: 3,
} as const;
export type AclPermissionType = (typeof AclPermissionType)[keyof typeof AclPermissionType];

/** The one name of the CLUSTER resource (Kafka's Resource.CLUSTER_NAME). */
export const CLUSTER_NAME = 'kafka-cluster';
/** ResourcePattern.WILDCARD_RESOURCE: a LITERAL pattern with this name matches every resource of its type. */
export const WILDCARD_RESOURCE = '*';
/** AclEntry.WildcardHost. */
export const WILDCARD_HOST = '*';
/** AclEntry.WildcardPrincipalString: matches every principal. */
export const WILDCARD_PRINCIPAL = 'User:*';

function invert<T extends Record<string, number>>(o: T): Map<number, keyof T & string> {
  return new Map(Object.entries(o).map(([k, v]) => [v, k as keyof T & string]));
}
const resourceTypeNames = invert(ResourceType);
const patternTypeNames = invert(PatternType);
const operationNames = invert(AclOperation);
const permissionNames = invert(AclPermissionType);

/** Upper-case enum name as Kafka prints it (TOPIC, LITERAL, READ, ALLOW); UNKNOWN for a code it does not know. */
export const resourceTypeName = (code: number): string => resourceTypeNames.get(code) ?? 'UNKNOWN';
export const patternTypeName = (code: number): string => patternTypeNames.get(code) ?? 'UNKNOWN';
export const operationName = (code: number): string => operationNames.get(code) ?? 'UNKNOWN';
export const permissionTypeName = (code: number): string => permissionNames.get(code) ?? 'UNKNOWN';

/** The code of an enum name, case-insensitive, underscores optional (Kafka's fromString). */
function codeOf(table: Record<string, number>, text: string): number | undefined {
  const wanted = text.replace(/[_-]/g, '').toUpperCase();
  for (const [name, code] of Object.entries(table)) if (name.replace(/_/g, '') === wanted) return code;
  return undefined;
}
export const parseResourceType = (t: string): ResourceType | undefined => codeOf(ResourceType, t) as ResourceType | undefined;
export const parsePatternType = (t: string): PatternType | undefined => codeOf(PatternType, t) as PatternType | undefined;
export const parseOperation = (t: string): AclOperation | undefined => codeOf(AclOperation, t) as AclOperation | undefined;
export const parsePermissionType = (t: string): AclPermissionType | undefined => codeOf(AclPermissionType, t) as AclPermissionType | undefined;

/** CamelCase names of ZooKeeper's ACL JSON and paths (SecurityUtils.resourceTypeName, operationName). */
const camelNames = (table: Record<string, number>): Map<number, string> =>
  new Map(
    Object.entries(table).map(([name, code]) => [
      code,
      name
        .toLowerCase()
        .split('_')
        .map((w) => w[0]!.toUpperCase() + w.slice(1))
        .join(''),
    ]),
  );
const camelResourceTypes = camelNames(ResourceType);
const camelOperations = camelNames(AclOperation);
const camelPermissions = camelNames(AclPermissionType);
/** "Topic", "TransactionalId": the resource type as ZooKeeper paths name it. */
export const resourceTypeCamel = (code: number): string => camelResourceTypes.get(code) ?? 'Unknown';
/** "Read", "IdempotentWrite": the operation as ZooKeeper's ACL JSON names it. */
export const operationCamel = (code: number): string => camelOperations.get(code) ?? 'Unknown';
/** "Allow", "Deny". */
export const permissionCamel = (code: number): string => camelPermissions.get(code) ?? 'Unknown';

/** ResourcePattern: a concrete (LITERAL or PREFIXED) resource an ACL is attached to. */
export interface ResourcePattern {
  readonly resourceType: ResourceType;
  readonly name: string;
  readonly patternType: PatternType;
}

/** AccessControlEntry: who, from where, what, allow or deny. */
export interface AccessControlEntry {
  /** "User:alice", or "User:*" for everyone. */
  readonly principal: string;
  /** An IP address, or "*" for every host. */
  readonly host: string;
  readonly operation: AclOperation;
  readonly permissionType: AclPermissionType;
}

export interface AclBinding {
  readonly pattern: ResourcePattern;
  readonly entry: AccessControlEntry;
}

/** ResourcePatternFilter: name null matches any; patternType ANY or MATCH as Kafka defines them. */
export interface ResourcePatternFilter {
  readonly resourceType: ResourceType;
  readonly name: string | null;
  readonly patternType: PatternType;
}

/** AccessControlEntryFilter: null principal/host match any; ANY operation/permission match any. */
export interface AccessControlEntryFilter {
  readonly principal: string | null;
  readonly host: string | null;
  readonly operation: AclOperation;
  readonly permissionType: AclPermissionType;
}

export interface AclBindingFilter {
  readonly pattern: ResourcePatternFilter;
  readonly entry: AccessControlEntryFilter;
}

/** ResourcePatternFilter.matches (Kafka's code, case by case). */
export function patternFilterMatches(f: ResourcePatternFilter, p: ResourcePattern): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== p.resourceType) return false;
  if (f.patternType !== PatternType.ANY && f.patternType !== PatternType.MATCH && f.patternType !== p.patternType) return false;
  if (f.name === null) return true;
  if (f.patternType === PatternType.ANY || f.patternType === p.patternType) return f.name === p.name;
  // MATCH: the ACLs that would apply to a resource of this name.
  if (p.patternType === PatternType.LITERAL) return f.name === p.name || p.name === WILDCARD_RESOURCE;
  if (p.patternType === PatternType.PREFIXED) return f.name.startsWith(p.name);
  return false;
}

/** AccessControlEntryFilter.matches. */
export function entryFilterMatches(f: AccessControlEntryFilter, e: AccessControlEntry): boolean {
  if (f.principal !== null && f.principal !== e.principal) return false;
  if (f.host !== null && f.host !== e.host) return false;
  if (f.operation !== AclOperation.ANY && f.operation !== e.operation) return false;
  return f.permissionType === AclPermissionType.ANY || f.permissionType === e.permissionType;
}

export function bindingFilterMatches(f: AclBindingFilter, b: AclBinding): boolean {
  return patternFilterMatches(f.pattern, b.pattern) && entryFilterMatches(f.entry, b.entry);
}

/**
 * Why a binding cannot be created (Kafka's AclControlManager.validateNewAcl and the
 * authorizer's checks), or null when it can. The message is Kafka's, for INVALID_REQUEST.
 */
export function invalidBindingReason(b: AclBinding): string | null {
  const { pattern, entry } = b;
  if (pattern.resourceType === ResourceType.ANY || pattern.resourceType === ResourceType.UNKNOWN || !resourceTypeNames.has(pattern.resourceType)) return 'Invalid resourceType ' + resourceTypeName(pattern.resourceType);
  if (pattern.patternType !== PatternType.LITERAL && pattern.patternType !== PatternType.PREFIXED) return 'Invalid patternType ' + patternTypeName(pattern.patternType);
  if (entry.operation === AclOperation.ANY || entry.operation === AclOperation.UNKNOWN || !operationNames.has(entry.operation)) return 'Invalid operation ' + operationName(entry.operation);
  if (entry.permissionType !== AclPermissionType.ALLOW && entry.permissionType !== AclPermissionType.DENY) return 'Invalid permissionType ' + permissionTypeName(entry.permissionType);
  if (pattern.name === '') return 'Resource name should not be empty';
  if (pattern.resourceType === ResourceType.CLUSTER && pattern.name !== CLUSTER_NAME) return `The only valid name for the CLUSTER resource is ${CLUSTER_NAME}`;
  const colon = entry.principal.indexOf(':');
  if (colon <= 0) return `Could not parse principal from \`${entry.principal}\` (no colon is present separating the principal type from the principal name)`;
  if (entry.host === '') return 'Invalid host: the host must not be empty';
  return null;
}

/**
 * Why a filter cannot be used (DescribeAcls, DeleteAcls): an UNKNOWN field, as Kafka's
 * request validation refuses; null when it is usable.
 */
export function invalidFilterReason(f: AclBindingFilter): string | null {
  if (f.pattern.resourceType === ResourceType.UNKNOWN || !resourceTypeNames.has(f.pattern.resourceType)) return 'Filter contain UNKNOWN elements';
  if (f.pattern.patternType === PatternType.UNKNOWN || !patternTypeNames.has(f.pattern.patternType)) return 'Filter contain UNKNOWN elements';
  if (f.entry.operation === AclOperation.UNKNOWN || !operationNames.has(f.entry.operation)) return 'Filter contain UNKNOWN elements';
  if (f.entry.permissionType === AclPermissionType.UNKNOWN || !permissionNames.has(f.entry.permissionType)) return 'Filter contain UNKNOWN elements';
  return null;
}

/** ResourcePattern.toString, as kafka-acls.sh prints it. */
export function patternText(p: ResourcePattern): string {
  return `ResourcePattern(resourceType=${resourceTypeName(p.resourceType)}, name=${p.name}, patternType=${patternTypeName(p.patternType)})`;
}

/** AccessControlEntry.toString. */
export function entryText(e: AccessControlEntry): string {
  return `(principal=${e.principal}, host=${e.host}, operation=${operationName(e.operation)}, permissionType=${permissionTypeName(e.permissionType)})`;
}

/** A map key for a pattern. */
export function patternKey(p: ResourcePattern): string {
  return `${p.resourceType}:${p.patternType}:${p.name}`;
}

export function sameEntry(a: AccessControlEntry, b: AccessControlEntry): boolean {
  return a.principal === b.principal && a.host === b.host && a.operation === b.operation && a.permissionType === b.permissionType;
}

/** The operations an authorized-operations bit field reports per resource type (Kafka's supported operations). */
export const SUPPORTED_OPERATIONS: Readonly<Partial<Record<ResourceType, readonly AclOperation[]>>> = {
  [ResourceType.TOPIC]: [AclOperation.READ, AclOperation.WRITE, AclOperation.CREATE, AclOperation.DELETE, AclOperation.ALTER, AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS],
  [ResourceType.GROUP]: [AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE],
  [ResourceType.CLUSTER]: [AclOperation.CREATE, AclOperation.ALTER, AclOperation.DESCRIBE, AclOperation.CLUSTER_ACTION, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS, AclOperation.IDEMPOTENT_WRITE],
  [ResourceType.TRANSACTIONAL_ID]: [AclOperation.DESCRIBE, AclOperation.WRITE, AclOperation.TWO_PHASE_COMMIT],
};
