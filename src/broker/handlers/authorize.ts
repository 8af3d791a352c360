// Authorization for the handlers, after Kafka's AuthHelper: each handler asks here, at its
// top, before any service sees the request, with the connection's principal and address.
// With no authorizer configured (authorizer.class.name empty) everything is allowed and a
// check costs one null test: no per-record or per-partition work on the produce/fetch path.
import { AclOperation, CLUSTER_NAME, ResourceType, SUPPORTED_OPERATIONS } from '../../protocol/acl.js';
import type { RequestContext } from './handler.js';

export { AclOperation, ResourceType } from '../../protocol/acl.js';

/** Kafka's value of an authorized-operations field that was not asked for. */
export const OPERATIONS_NOT_REQUESTED = -2147483648;

/**
 * Whether the request's principal may perform `operation` on the resource. `logIfDenied`
 * false for checks that only filter what is shown (Kafka's logIfDenied).
 */
export function authorize(ctx: RequestContext, operation: AclOperation, resourceType: ResourceType, name: string, logIfDenied = true): boolean {
  const authorizer = ctx.services.authorizer;
  if (authorizer === null) return true;
  return authorizer.authorize(ctx.connection.principal, ctx.connection.remoteAddress, operation, resourceType, name, logIfDenied);
}

/** Whether the request's principal may perform `operation` on the cluster. */
export function authorizeCluster(ctx: RequestContext, operation: AclOperation, logIfDenied = true): boolean {
  return authorize(ctx, operation, ResourceType.CLUSTER, CLUSTER_NAME, logIfDenied);
}

/** Kafka's authorizeByResourceType: whether some resource of the type allows `operation`. */
export function authorizeByResourceType(ctx: RequestContext, operation: AclOperation, resourceType: ResourceType): boolean {
  const authorizer = ctx.services.authorizer;
  if (authorizer === null) return true;
  return authorizer.authorizeByResourceType(ctx.connection.principal, ctx.connection.remoteAddress, operation, resourceType);
}

/**
 * Names of `names` the principal may act on, as a set (Kafka's filterByAuthorized). Without
 * an authorizer, all of them.
 */
export function filterAuthorized(ctx: RequestContext, operation: AclOperation, resourceType: ResourceType, names: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const name of names) if (authorize(ctx, operation, resourceType, name, false)) out.add(name);
  return out;
}

/** The authorized-operations bit field of a resource (bit 1 << operation code), as Kafka fills it when asked. */
export function authorizedOperations(ctx: RequestContext, resourceType: ResourceType, name: string): number {
  let bits = 0;
  for (const op of SUPPORTED_OPERATIONS[resourceType] ?? []) if (authorize(ctx, op, resourceType, name, false)) bits |= 1 << op;
  return bits;
}

export function clusterAuthorizedOperations(ctx: RequestContext): number {
  return authorizedOperations(ctx, ResourceType.CLUSTER, CLUSTER_NAME);
}
