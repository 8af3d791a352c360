// The client side of ACL administration (Kafka's Admin createAcls / describeAcls /
// deleteAcls) over CreateAcls, DescribeAcls and DeleteAcls: used by `tidelog acls` and the
// tests. Errors come back as codes, as the broker answered them.
import { ApiKey } from '../protocol/generated/index.js';
import type { AclBinding, AclBindingFilter } from '../protocol/acl.js';
import type { KafkaClient } from './kafka-client.js';

export interface AclResult<T> {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly value: T;
}

function filterFields(f: AclBindingFilter) {
  return {
    resourceTypeFilter: f.pattern.resourceType,
    resourceNameFilter: f.pattern.name,
    patternTypeFilter: f.pattern.patternType,
    principalFilter: f.entry.principal,
    hostFilter: f.entry.host,
    operation: f.entry.operation,
    permissionType: f.entry.permissionType,
  };
}

export async function describeAcls(client: KafkaClient, filter: AclBindingFilter): Promise<AclResult<AclBinding[]>> {
  const conn = await client.anyBroker();
  const v = conn.version(ApiKey.DescribeAcls, 1, 3, 'DescribeAcls');
  const res = await conn.send(ApiKey.DescribeAcls, v, filterFields(filter));
  const value: AclBinding[] = res.resources.flatMap((r) =>
    r.acls.map((a) => ({
      pattern: { resourceType: r.resourceType as AclBinding['pattern']['resourceType'], name: r.resourceName, patternType: r.patternType as AclBinding['pattern']['patternType'] },
      entry: { principal: a.principal, host: a.host, operation: a.operation as AclBinding['entry']['operation'], permissionType: a.permissionType as AclBinding['entry']['permissionType'] },
    })),
  );
  return { errorCode: res.errorCode, errorMessage: res.errorMessage, value };
}

/** One result per binding, in order. */
export async function createAcls(client: KafkaClient, bindings: readonly AclBinding[]): Promise<{ errorCode: number; errorMessage: string | null }[]> {
  const conn = await client.anyBroker();
  const v = conn.version(ApiKey.CreateAcls, 1, 3, 'CreateAcls');
  const res = await conn.send(ApiKey.CreateAcls, v, {
    creations: bindings.map((b) => ({
      resourceType: b.pattern.resourceType,
      resourceName: b.pattern.name,
      resourcePatternType: b.pattern.patternType,
      principal: b.entry.principal,
      host: b.entry.host,
      operation: b.entry.operation,
      permissionType: b.entry.permissionType,
    })),
  });
  return res.results.map((r) => ({ errorCode: r.errorCode, errorMessage: r.errorMessage }));
}

/** One result per filter: the bindings it deleted. */
export async function deleteAcls(client: KafkaClient, filters: readonly AclBindingFilter[]): Promise<AclResult<AclBinding[]>[]> {
  const conn = await client.anyBroker();
  const v = conn.version(ApiKey.DeleteAcls, 1, 3, 'DeleteAcls');
  const res = await conn.send(ApiKey.DeleteAcls, v, { filters: filters.map(filterFields) });
  return res.filterResults.map((r) => ({
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
    value: r.matchingAcls.map((a) => ({
      pattern: { resourceType: a.resourceType as AclBinding['pattern']['resourceType'], name: a.resourceName, patternType: a.patternType as AclBinding['pattern']['patternType'] },
      entry: { principal: a.principal, host: a.host, operation: a.operation as AclBinding['entry']['operation'], permissionType: a.permissionType as AclBinding['entry']['permissionType'] },
    })),
  }));
}
