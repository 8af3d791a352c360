// The JSON Kafka stores a resource's ACLs as (AclAuthorizer's ZooKeeper znodes, AclEntry.toJsonCompatibleMap):
//   {"version":1,"acls":[{"principal":"User:alice","permissionType":"Allow","operation":"Read","host":"*"}]}
// Used by the ZooKeeper store as Kafka writes it, and by the single-node file.
import { AclOperation, AclPermissionType, operationCamel, parseOperation, parsePermissionType, permissionCamel, type AccessControlEntry } from '../../protocol/acl.js';

export const ACL_JSON_VERSION = 1;

export function encodeAcls(entries: readonly AccessControlEntry[]): string {
  return JSON.stringify({
    version: ACL_JSON_VERSION,
    acls: entries.map((e) => ({ principal: e.principal, permissionType: permissionCamel(e.permissionType), operation: operationCamel(e.operation), host: e.host })),
  });
}

/** Decodes a znode's JSON; entries with an operation or permission this broker does not know are skipped. */
export function decodeAcls(text: string): AccessControlEntry[] {
  if (text.trim() === '') return [];
  const parsed = JSON.parse(text) as { version?: unknown; acls?: unknown };
  if (!Array.isArray(parsed.acls)) return [];
  const out: AccessControlEntry[] = [];
  for (const raw of parsed.acls as Record<string, unknown>[]) {
    const operation = typeof raw.operation === 'string' ? parseOperation(raw.operation) : undefined;
    const permissionType = typeof raw.permissionType === 'string' ? parsePermissionType(raw.permissionType) : undefined;
    if (operation === undefined || operation === AclOperation.UNKNOWN || operation === AclOperation.ANY) continue;
    if (permissionType !== AclPermissionType.ALLOW && permissionType !== AclPermissionType.DENY) continue;
    if (typeof raw.principal !== 'string' || typeof raw.host !== 'string') continue;
    out.push({ principal: raw.principal, host: raw.host, operation, permissionType });
  }
  return out;
}
