// `tidelog acls`: Kafka's kafka-acls.sh (kafka.admin.AclCommand) over CreateAcls, DescribeAcls
// and DeleteAcls. Owns the flags as AclCommand reads them (--add/--remove/--list, principals
// and hosts, operations, resources, --resource-pattern-type, the --producer/--consumer
// conveniences) and AclCommand's output:
//   Adding ACLs for resource `ResourcePattern(resourceType=TOPIC, name=t, patternType=LITERAL)`: 
//    	(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)
//   Current ACLs for resource `ResourcePattern(...)`:
//   	(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)
// (byte for byte as Kafka 4.4's org.apache.kafka.tools.AclCommand prints them).
import { createInterface } from 'node:readline/promises';
import { createAcls, deleteAcls, describeAcls } from '../client/acl-admin.js';
import { errorName } from '../protocol/errors.js';
import {
  AclOperation,
  AclPermissionType,
  CLUSTER_NAME,
  PatternType,
  ResourceType,
  entryText,
  operationName,
  parseOperation,
  parsePatternType,
  patternKey,
  patternText,
  patternTypeName,
  resourceTypeName,
  type AccessControlEntry,
  type AclBinding,
  type AclBindingFilter,
  type ResourcePattern,
  type ResourcePatternFilter,
} from '../protocol/acl.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectClient, out, parseFlags } from './common.js';
import { CliError, UsageError } from './usage-error.js';

const HELP = `Usage: tidelog acls --bootstrap-server HOST:PORT (--add | --remove | --list) [options]

Add, remove and list ACLs (as kafka-acls.sh). The broker needs authorizer.class.name set.

Actions:
  --add                       Add the ACLs described by the options
  --remove                    Remove them (all ACLs of the resources when no principal is given)
  --list                      List the ACLs of the resources given (all ACLs without a resource)
Resources:
  --topic NAME                A topic (repeatable; "*" for all topics)
  --group NAME                A consumer group (repeatable)
  --transactional-id ID       A transactional id (repeatable)
  --cluster                   The cluster
  --resource-pattern-type T   LITERAL (default), PREFIXED; for --list/--remove also ANY, MATCH
ACL entries:
  --allow-principal P         e.g. User:alice or User:* (repeatable)
  --deny-principal P          (repeatable)
  --allow-host HOST           IP address the allow principals connect from (default *)
  --deny-host HOST            IP address the deny principals connect from (default *)
  --operation OP              Read, Write, Create, Delete, Alter, Describe, ClusterAction,
                              DescribeConfigs, AlterConfigs, IdempotentWrite, All (default All)
  --principal P               With --list: only the ACLs of this principal
  --producer                  Convenience: WRITE, DESCRIBE, CREATE on the topics (and WRITE,
                              DESCRIBE on --transactional-id)
  --idempotent                With --producer: IDEMPOTENT_WRITE on the cluster
  --consumer                  Convenience: READ, DESCRIBE on the topics, READ on the --group
  --force                     Remove without asking
${CONNECTION_HELP}`;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  add: { type: 'boolean' },
  remove: { type: 'boolean' },
  list: { type: 'boolean' },
  topic: { type: 'string', multiple: true },
  group: { type: 'string', multiple: true },
  'transactional-id': { type: 'string', multiple: true },
  cluster: { type: 'boolean' },
  'resource-pattern-type': { type: 'string' },
  'allow-principal': { type: 'string', multiple: true },
  'deny-principal': { type: 'string', multiple: true },
  'allow-host': { type: 'string', multiple: true },
  'deny-host': { type: 'string', multiple: true },
  operation: { type: 'string', multiple: true },
  principal: { type: 'string', multiple: true },
  producer: { type: 'boolean' },
  consumer: { type: 'boolean' },
  idempotent: { type: 'boolean' },
  force: { type: 'boolean' },
} as const;

type Values = NonNullable<ReturnType<typeof parseFlags<typeof OPTIONS>>>['values'];

export async function runAcls(args: string[]): Promise<number> {
  const parsed = parseFlags(args, OPTIONS, HELP);
  if (!parsed) return 0;
  const v = parsed.values;
  const actions = [v.add, v.remove, v.list].filter(Boolean).length;
  if (actions !== 1) throw new UsageError('Command must include exactly one action: --list, --add, --remove.');
  if ((v.producer || v.consumer) && !v.add && !v.remove) throw new UsageError('--producer and --consumer go with --add or --remove');
  if (v.consumer && !v.group?.length) throw new UsageError('With --consumer you must specify a --group');
  if (v.idempotent && !v.producer) throw new UsageError('--idempotent goes with --producer');

  const patternTypeText = v['resource-pattern-type'] ?? 'LITERAL';
  const patternType = parsePatternType(patternTypeText);
  if (patternType === undefined || patternType === PatternType.UNKNOWN) throw new UsageError(`Invalid --resource-pattern-type ${patternTypeText}`);
  if (v.add && patternType !== PatternType.LITERAL && patternType !== PatternType.PREFIXED) {
    throw new UsageError(`A '--resource-pattern-type' value of '${patternTypeName(patternType)}' is not valid when adding acls.`);
  }
  const filters = resourceFilters(v, patternType);

  const client = await connectClient(v, 'tidelog-acls');
  try {
    if (v.list) return await list(client, filters, v.principal ?? null);
    const bindings = entriesByResource(v, patternType);
    if (v.add) {
      if (bindings.size === 0) throw new UsageError('You must specify one of: --allow-principal, --deny-principal when trying to add ACLs.');
      for (const { pattern, entries } of bindings.values()) {
        await out(`Adding ACLs for resource \`${patternText(pattern)}\`: \n ${tabbed(entries)}\n\n`);
      }
      const all: AclBinding[] = [...bindings.values()].flatMap(({ pattern, entries }) => entries.map((entry) => ({ pattern, entry })));
      const results = await createAcls(client, all);
      const failed = results.findIndex((r) => r.errorCode !== 0);
      if (failed >= 0) throw new CliError(`Error while adding ACLs: ${errorName(results[failed]!.errorCode)}: ${results[failed]!.errorMessage ?? ''}`);
      return await list(client, filters, null);
    }
    // --remove
    if (filters.length === 0) throw new UsageError('You must specify one of: --topic, --cluster, --group, --transactional-id when trying to remove ACLs.');
    const deletions: AclBindingFilter[] = [];
    if (bindings.size === 0) {
      for (const f of filters) {
        if (!v.force && !(await confirm(`Are you sure you want to delete all ACLs for resource filter \`${filterText(f)}\`? (y/n)`))) return 0;
        deletions.push({ pattern: f, entry: { principal: null, host: null, operation: AclOperation.ANY, permissionType: AclPermissionType.ANY } });
      }
    } else {
      for (const { pattern, entries } of bindings.values()) {
        const f: ResourcePatternFilter = pattern;
        if (!v.force && !(await confirm(`Are you sure you want to remove ACLs: \n ${tabbed(entries)}\n from resource filter \`${filterText(f)}\`? (y/n)`))) return 0;
        for (const e of entries) deletions.push({ pattern: f, entry: e });
      }
    }
    const results = await deleteAcls(client, deletions);
    const failed = results.find((r) => r.errorCode !== 0);
    if (failed) throw new CliError(`Error while removing ACLs: ${errorName(failed.errorCode)}: ${failed.errorMessage ?? ''}`);
    return await list(client, filters, null);
  } finally {
    client.close();
  }
}

/** AclCommand's ACL lines: each entry after a tab, one per line. */
function tabbed(entries: readonly AccessControlEntry[]): string {
  return entries.map((e) => `\t${entryText(e)}`).join('\n');
}

/** ResourcePatternFilter.toString. */
function filterText(f: ResourcePatternFilter): string {
  return `ResourcePattern(resourceType=${resourceTypeName(f.resourceType)}, name=${f.name}, patternType=${patternTypeName(f.patternType)})`;
}

function resourceFilters(v: Values, patternType: PatternType): ResourcePatternFilter[] {
  const out: ResourcePatternFilter[] = [];
  for (const name of v.topic ?? []) out.push({ resourceType: ResourceType.TOPIC, name, patternType });
  for (const name of v.group ?? []) out.push({ resourceType: ResourceType.GROUP, name, patternType });
  for (const name of v['transactional-id'] ?? []) out.push({ resourceType: ResourceType.TRANSACTIONAL_ID, name, patternType });
  if (v.cluster || (v.producer && v.idempotent)) out.push({ resourceType: ResourceType.CLUSTER, name: CLUSTER_NAME, patternType: patternType === PatternType.PREFIXED ? PatternType.LITERAL : patternType });
  return out;
}

/** The ACL entries the flags describe, by resource (AclCommand.getResourceToAcls). */
function entriesByResource(v: Values, patternType: PatternType): Map<string, { pattern: ResourcePattern; entries: AccessControlEntry[] }> {
  const entries = (operations: readonly AclOperation[]): AccessControlEntry[] => {
    const out: AccessControlEntry[] = [];
    const add = (principals: readonly string[] | undefined, hosts: readonly string[] | undefined, permissionType: AclPermissionType) => {
      for (const principal of principals ?? []) {
        if (principal.indexOf(':') <= 0) throw new UsageError(`Invalid principal ${principal}: expected TYPE:NAME, e.g. User:alice`);
        for (const host of hosts?.length ? hosts : ['*']) for (const operation of operations) out.push({ principal, host, operation, permissionType });
      }
    };
    add(v['allow-principal'], v['allow-host'], AclPermissionType.ALLOW);
    add(v['deny-principal'], v['deny-host'], AclPermissionType.DENY);
    return out;
  };
  const result = new Map<string, { pattern: ResourcePattern; entries: AccessControlEntry[] }>();
  const put = (pattern: ResourcePattern, list: AccessControlEntry[]) => {
    if (list.length === 0) return;
    const existing = result.get(patternKey(pattern));
    if (existing) existing.entries.push(...list.filter((e) => !existing.entries.some((x) => entryText(x) === entryText(e))));
    else result.set(patternKey(pattern), { pattern, entries: list });
  };
  const pattern = (resourceType: ResourceType, name: string): ResourcePattern => ({ resourceType, name, patternType: resourceType === ResourceType.CLUSTER ? PatternType.LITERAL : patternType });
  if (v.producer || v.consumer) {
    for (const t of v.topic ?? []) {
      if (v.producer) put(pattern(ResourceType.TOPIC, t), entries([AclOperation.WRITE, AclOperation.DESCRIBE, AclOperation.CREATE]));
      if (v.consumer) put(pattern(ResourceType.TOPIC, t), entries([AclOperation.READ, AclOperation.DESCRIBE]));
    }
    if (v.producer) for (const id of v['transactional-id'] ?? []) put(pattern(ResourceType.TRANSACTIONAL_ID, id), entries([AclOperation.WRITE, AclOperation.DESCRIBE]));
    if (v.producer && v.idempotent) put(pattern(ResourceType.CLUSTER, CLUSTER_NAME), entries([AclOperation.IDEMPOTENT_WRITE]));
    if (v.consumer) for (const g of v.group ?? []) put(pattern(ResourceType.GROUP, g), entries([AclOperation.READ]));
    return result;
  }
  const operations = (v.operation?.length ? v.operation : ['All']).map((text) => {
    const op = parseOperation(text);
    if (op === undefined || op === AclOperation.ANY || op === AclOperation.UNKNOWN) throw new UsageError(`Invalid --operation ${text}`);
    return op;
  });
  for (const f of resourceFilters(v, patternType)) {
    if (f.name === null) continue;
    // AclCommand refuses operations a resource type does not have, e.g. Read on the cluster.
    const bad = operations.find((op) => op !== AclOperation.ALL && !VALID_OPERATIONS[f.resourceType]?.includes(op));
    if (bad !== undefined) throw new UsageError(`ResourceType ${resourceTypeName(f.resourceType)} only supports operations ${(VALID_OPERATIONS[f.resourceType] ?? []).map(operationName).join(',')}`);
    put(pattern(f.resourceType, f.name), entries(operations));
  }
  return result;
}

/** AclCommand's ResourceTypeToValidOperations. */
const VALID_OPERATIONS: Partial<Record<ResourceType, readonly AclOperation[]>> = {
  [ResourceType.TOPIC]: [AclOperation.READ, AclOperation.WRITE, AclOperation.CREATE, AclOperation.DESCRIBE, AclOperation.DELETE, AclOperation.ALTER, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS, AclOperation.ALL],
  [ResourceType.GROUP]: [AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE, AclOperation.ALL],
  [ResourceType.CLUSTER]: [AclOperation.CREATE, AclOperation.CLUSTER_ACTION, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS, AclOperation.IDEMPOTENT_WRITE, AclOperation.ALTER, AclOperation.DESCRIBE, AclOperation.ALL],
  [ResourceType.TRANSACTIONAL_ID]: [AclOperation.DESCRIBE, AclOperation.WRITE, AclOperation.TWO_PHASE_COMMIT, AclOperation.ALL],
};

async function list(client: Parameters<typeof describeAcls>[0], filters: readonly ResourcePatternFilter[], principals: readonly string[] | null): Promise<number> {
  const wanted: ResourcePatternFilter[] = filters.length > 0 ? [...filters] : [{ resourceType: ResourceType.ANY, name: null, patternType: PatternType.ANY }];
  const byResource = new Map<string, { pattern: ResourcePattern; entries: AccessControlEntry[] }>();
  for (const f of wanted) {
    for (const principal of principals ?? [null]) {
      const r = await describeAcls(client, { pattern: f, entry: { principal, host: null, operation: AclOperation.ANY, permissionType: AclPermissionType.ANY } });
      if (r.errorCode !== 0) throw new CliError(`Error while listing ACLs: ${errorName(r.errorCode)}: ${r.errorMessage ?? ''}`);
      for (const { pattern, entry } of r.value) {
        const key = patternKey(pattern);
        const group = byResource.get(key) ?? { pattern, entries: [] };
        group.entries.push(entry);
        byResource.set(key, group);
      }
    }
  }
  if (principals) await out(principals.map((p) => `ACLs for principal \`${p}\`\n`).join(''));
  for (const { pattern, entries } of byResource.values()) await out(`Current ACLs for resource \`${patternText(pattern)}\`:\n${tabbed(entries)}\n\n`);
  return 0;
}

/** Asks on the terminal; anything but "y", or standard input at its end, is no. */
async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const closed = new Promise<string>((resolve) => rl.once('close', () => resolve('')));
    const answer = await Promise.race([rl.question(`${question}\n`), closed]);
    return answer.trim().toLowerCase() === 'y';
  } finally {
    rl.close();
  }
}
