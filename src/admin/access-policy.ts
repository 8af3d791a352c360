// Who may call which admin route: each route's Kafka ACL (operation on a resource), the same
// ACLs the Kafka protocol checks (authorizer.class.name), so that a principal can do over
// HTTP exactly what it could do with Kafka's own tools. One table for every route, reviewed
// in one place; test/admin/admin-auth.test.ts fails when a route has no entry.
//
// What each entry follows (Kafka's KafkaApis): reading a topic's records READ, producing
// WRITE, describing DESCRIBE, configs DESCRIBE_CONFIGS / ALTER_CONFIGS, adding partitions
// ALTER, creating CREATE on the cluster (or the topic's own name, as CreateTopics allows),
// deleting DELETE; a group's offsets reset READ on the group (as OffsetCommit); listings of
// everything (topics, groups, transactions, log dirs, metrics) DESCRIBE on the cluster;
// elections ALTER on the cluster; aborting a transaction CLUSTER_ACTION (WriteTxnMarkers').
// Health checks and the OpenAPI document answer everyone: they hold no data. /metrics needs
// authentication only (scrapers), the console's files and Swagger UI authentication too.

/** Kafka's resource types and operations by name (security/acl/acl.ts maps them to codes). */
export type AccessResource = 'CLUSTER' | 'TOPIC' | 'GROUP' | 'TRANSACTIONAL_ID';
export type AccessOperation = 'READ' | 'WRITE' | 'CREATE' | 'DELETE' | 'ALTER' | 'DESCRIBE' | 'DESCRIBE_CONFIGS' | 'ALTER_CONFIGS' | 'CLUSTER_ACTION';

export interface RouteAccessRule {
  readonly operation: AccessOperation;
  readonly resource: AccessResource;
  /** The resource's name from the parsed request (cluster rules have none). */
  readonly name?: (input: { readonly params: Record<string, unknown>; readonly body: unknown }) => string;
  /** CREATE on the cluster, or else on this (topic) name: CreateTopics' rule. */
  readonly orOnName?: { readonly resource: AccessResource; readonly name: (input: { readonly params: Record<string, unknown>; readonly body: unknown }) => string };
}

/**
 * Public routes need no principal at all (health probes, the API's own description);
 * `authenticated` ones need credentials when admin.authentication asks for them, and no ACL
 * (/metrics: Prometheus scrapes with a password or a certificate, not a Kafka principal
 * granted cluster rights; Kafka's own metrics are outside its ACLs too).
 */
export type RouteAccess = RouteAccessRule | 'public' | 'authenticated';

const param = (key: string) => (input: { readonly params: Record<string, unknown> }) => String(input.params[key]);
const bodyName = (input: { readonly body: unknown }) => String((input.body as { name?: unknown } | undefined)?.name ?? '');
const cluster = (operation: AccessOperation): RouteAccessRule => ({ operation, resource: 'CLUSTER' });
const topic = (operation: AccessOperation): RouteAccessRule => ({ operation, resource: 'TOPIC', name: param('name') });
const group = (operation: AccessOperation): RouteAccessRule => ({ operation, resource: 'GROUP', name: param('id') });

/** `METHOD url` (fastify syntax) -> the access it needs. */
export const ROUTE_ACCESS: ReadonlyMap<string, RouteAccess> = new Map<string, RouteAccess>([
  ['GET /health/live', 'public'],
  ['GET /health/ready', 'public'],
  ['GET /openapi.json', 'public'],
  ['GET /metrics', 'authenticated'],
  ['GET /v1/cluster', cluster('DESCRIBE')],
  ['GET /v1/brokers', cluster('DESCRIBE')],
  ['GET /v1/brokers/:id/configs', cluster('DESCRIBE_CONFIGS')],
  ['GET /v1/log-dirs', cluster('DESCRIBE')],
  ['POST /v1/elections', cluster('ALTER')],
  ['GET /v1/throughput', cluster('DESCRIBE')],
  ['GET /v1/topics', cluster('DESCRIBE')],
  ['POST /v1/topics', { ...cluster('CREATE'), orOnName: { resource: 'TOPIC', name: bodyName } }],
  ['GET /v1/topics/:name', topic('DESCRIBE')],
  ['DELETE /v1/topics/:name', topic('DELETE')],
  ['POST /v1/topics/:name/partitions', topic('ALTER')],
  ['GET /v1/topics/:name/configs', topic('DESCRIBE_CONFIGS')],
  ['PATCH /v1/topics/:name/configs', topic('ALTER_CONFIGS')],
  ['GET /v1/topics/:name/partitions/:partition/messages', topic('READ')],
  ['POST /v1/topics/:name/messages', topic('WRITE')],
  ['GET /v1/topics/:name/partitions/:partition/producers', topic('READ')],
  ['POST /v1/topics/:name/partitions/:partition/transactions/abort', cluster('CLUSTER_ACTION')],
  ['GET /v1/groups', cluster('DESCRIBE')],
  ['GET /v1/groups/:id', group('DESCRIBE')],
  ['DELETE /v1/groups/:id', group('DELETE')],
  ['POST /v1/groups/:id/offsets/reset', group('READ')],
  ['GET /v1/share-groups', cluster('DESCRIBE')],
  ['GET /v1/share-groups/:id', group('DESCRIBE')],
  ['GET /v1/transactions', cluster('DESCRIBE')],
  ['GET /v1/transactions/hanging', cluster('DESCRIBE')],
  ['GET /v1/transactions/:id', { operation: 'DESCRIBE', resource: 'TRANSACTIONAL_ID', name: param('id') }],
]);

/** A route without an entry needs ALTER on the cluster: the safe default for anything new. */
export function routeAccess(method: string, url: string): RouteAccess {
  return ROUTE_ACCESS.get(`${method} ${url}`) ?? cluster('ALTER');
}
