// `tidelog configs`: Kafka's kafka-configs.sh for topics and brokers (DescribeConfigs and
// IncrementalAlterConfigs: a broker id or --entity-default for the dynamic broker configs every
// broker shares), and SCRAM users (configs-users.ts). Output as ConfigCommand prints it.
import { ErrorCode } from '../protocol/errors.js';
import { RESOURCE_BROKER, RESOURCE_TOPIC, type ConfigEntry } from '../client/kafka-client.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectClient, kafkaError, out, parseFlags, parseKeyValues } from './common.js';
import { CliError, UsageError } from './usage-error.js';
import { runUsersOverKafka, runUsersOverZooKeeper } from './configs-users.js';

const HELP = `Usage: tidelog configs --bootstrap-server HOST:PORT (--describe | --alter) --entity-type topics --entity-name NAME [options]
       tidelog configs --bootstrap-server HOST:PORT (--describe | --alter) --entity-type brokers (--entity-name ID | --entity-default) [options]
       tidelog configs (--bootstrap-server HOST:PORT | --zookeeper HOST:PORT) (--describe | --alter) --entity-type users [--entity-name USER] [options]

Describe and change configs (as kafka-configs.sh).

Options:
  --describe                    Show the configs set on the entity (--all: every config with its value)
  --alter                       Change configs: --add-config and/or --delete-config
  --entity-type TYPE            topics, brokers (dynamic broker configs) or users (SCRAM credentials)
  --entity-name NAME            The topic name, user name or broker id (--topic NAME is short for topics);
                                brokers --describe without it: every broker and the cluster default
  --entity-default              brokers: the cluster-wide default of the dynamic broker configs
  --add-config K=V,K2=V2        Set configs (a value with commas goes in [brackets]);
                                users: 'SCRAM-SHA-256=[iterations=8192,password=SECRET]'
  --delete-config K,K2          Remove configs (back to the broker's default); users: SCRAM-SHA-256
  --zookeeper HOST:PORT         users: write the credentials straight into ZooKeeper (/config/users),
                                as Kafka's tool did: the first user of a cluster, before any broker runs
  --all                         --describe: every config, not only the overrides
${CONNECTION_HELP}

Examples:
  tidelog configs --bootstrap-server 127.0.0.1:9092 --alter --entity-type topics --entity-name orders --add-config retention.ms=3600000,cleanup.policy=compact
  tidelog configs --bootstrap-server 127.0.0.1:9092 --describe --entity-type topics --entity-name orders
  tidelog configs --bootstrap-server 127.0.0.1:9092 --alter --entity-type brokers --entity-default --add-config log.retention.ms=3600000
  tidelog configs --bootstrap-server 127.0.0.1:9092 --alter --entity-type brokers --entity-name 1 --add-config max.connections=1000 --delete-config message.max.bytes
  tidelog configs --bootstrap-server 127.0.0.1:9092 --command-config admin.properties --alter --entity-type users --entity-name alice --add-config 'SCRAM-SHA-256=[iterations=8192,password=alice-secret]'
  tidelog configs --zookeeper 127.0.0.1:2181 --alter --entity-type users --entity-name admin --add-config 'SCRAM-SHA-512=[password=admin-secret]'`;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  describe: { type: 'boolean' },
  alter: { type: 'boolean' },
  'entity-type': { type: 'string' },
  'entity-name': { type: 'string' },
  'entity-default': { type: 'boolean' },
  topic: { type: 'string' },
  'add-config': { type: 'string', multiple: true },
  'delete-config': { type: 'string', multiple: true },
  all: { type: 'boolean' },
} as const;

const SOURCES = ['UNKNOWN', 'DYNAMIC_TOPIC_CONFIG', 'DYNAMIC_BROKER_CONFIG', 'DYNAMIC_DEFAULT_BROKER_CONFIG', 'STATIC_BROKER_CONFIG', 'DEFAULT_CONFIG', 'DYNAMIC_BROKER_LOGGER_CONFIG', 'CLIENT_METRICS_CONFIG', 'GROUP_CONFIG'];

function formatEntry(c: ConfigEntry): string {
  const value = c.isSensitive ? null : c.value;
  const synonyms = c.synonyms.map((s) => `${SOURCES[s.source] ?? s.source}:${s.name}=${c.isSensitive ? null : s.value}`).join(', ');
  return `  ${c.name}=${value} sensitive=${c.isSensitive} synonyms={${synonyms}}`;
}

export async function runConfigs(args: string[]): Promise<number> {
  const parsed = parseFlags(args, OPTIONS, HELP);
  if (!parsed) return 0;
  const v = parsed.values;
  if (Boolean(v.describe) === Boolean(v.alter)) throw new UsageError('give exactly one of --describe, --alter');
  const entityType = v['entity-type'] ?? (v.topic !== undefined ? 'topics' : undefined);
  const entityName = v['entity-name'] ?? v.topic;
  if (entityType === undefined) throw new UsageError('--entity-type is required (topics, users or brokers)');
  if (entityType === 'users') {
    const flags = { describe: Boolean(v.describe), entityName, addConfig: v['add-config'], deleteConfig: v['delete-config'] };
    if (v.zookeeper !== undefined && v['bootstrap-server'] === undefined) return runUsersOverZooKeeper(v.zookeeper, flags);
    const usersClient = await connectClient(v, 'tidelog-configs');
    try {
      return await runUsersOverKafka(usersClient, flags);
    } finally {
      usersClient.close();
    }
  }
  if (entityType !== 'topics' && entityType !== 'brokers') throw new UsageError(`--entity-type ${entityType} is not supported: use topics, users or brokers`);
  if (entityType === 'brokers') return runBrokers(v);
  if (!entityName) throw new UsageError('--entity-name is required');
  const resourceType = RESOURCE_TOPIC;
  const what = `topic ${entityName}`;

  const client = await connectClient(v, 'tidelog-configs');
  try {
    if (v.describe) {
      const r = await client.describeConfigs(resourceType, entityName);
      if (r.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw new CliError(`topic '${entityName}' does not exist`);
      if (r.errorCode !== ErrorCode.NONE) throw kafkaError(`cannot describe ${what}`, r.errorCode, r.errorMessage);
      const entries = v.all ? r.configs : r.configs.filter((c) => c.source === 1);
      const header = v.all ? `All configs for ${what} are:` : `Dynamic configs for ${what} are:`;
      await out(`${header}\n${entries.map((c) => `${formatEntry(c)}\n`).join('')}`);
      return 0;
    }
    const { set, del } = alterFlags(v);
    // IncrementalAlterConfigs answers an unknown topic as INVALID/UNKNOWN per broker: check first for a clear message.
    await client.topic(entityName, { refresh: true });
    const r = await client.alterConfigs(resourceType, entityName, set, del);
    if (r.errorCode !== ErrorCode.NONE) throw kafkaError(`cannot alter ${what}`, r.errorCode, r.errorMessage);
    await out(`Completed updating config for ${what}.\n`);
    return 0;
  } finally {
    client.close();
  }
}

type Flags = ReturnType<typeof parseFlags<typeof OPTIONS>> extends infer R ? (R extends { values: infer V } ? V : never) : never;

/** --add-config and --delete-config, checked. */
function alterFlags(v: Flags): { set: Record<string, string>; del: string[] } {
  const set = parseKeyValues(v['add-config'], '--add-config', true);
  const del = (v['delete-config'] ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
  if (Object.keys(set).length === 0 && del.length === 0) throw new UsageError('--alter needs --add-config and/or --delete-config');
  const both = del.filter((k) => k in set);
  if (both.length > 0) throw new UsageError(`config ${both.join(', ')} is both added and deleted`);
  return { set, del };
}

/** ConfigCommand's dynamic source of an entity: DYNAMIC_BROKER_CONFIG for an id, DYNAMIC_DEFAULT_BROKER_CONFIG for the default. */
const dynamicSourceOf = (entity: string) => (entity === '' ? 3 : 2);

/** --entity-type brokers: a broker id, or the cluster-wide default ("", --entity-default). */
async function runBrokers(v: Flags): Promise<number> {
  if (v['entity-default'] && v['entity-name'] !== undefined) throw new UsageError('give only one of --entity-name, --entity-default');
  const named: string | undefined = v['entity-default'] ? '' : v['entity-name'];
  if (named !== undefined && named !== '' && !/^-?\d+$/.test(named)) throw new UsageError(`The entity name for brokers must be a valid integer broker id, found: ${named}`);
  if (v.alter && named === undefined) throw new UsageError('--alter --entity-type brokers needs --entity-name ID or --entity-default');
  const client = await connectClient(v, 'tidelog-configs');
  try {
    if (v.alter) {
      const entity = named!;
      const { set, del } = alterFlags(v);
      // As ConfigCommand: a key to delete must be set on the entity now.
      const now = await client.describeConfigs(RESOURCE_BROKER, entity);
      if (now.errorCode !== ErrorCode.NONE) throw kafkaError(`cannot describe ${entity === '' ? 'the default broker configs' : `broker ${entity}`}`, now.errorCode, now.errorMessage);
      const setNow = new Set(now.configs.filter((c) => c.source === dynamicSourceOf(entity)).map((c) => c.name));
      const missing = del.filter((k) => !setNow.has(k));
      if (missing.length > 0) throw new CliError(`Invalid config(s): ${missing.join(',')}`);
      const r = await client.alterConfigs(RESOURCE_BROKER, entity, set, del);
      if (r.errorCode !== ErrorCode.NONE) throw kafkaError(`cannot alter ${entity === '' ? 'the default broker configs' : `broker ${entity}`}`, r.errorCode, r.errorMessage);
      await out(entity === '' ? 'Completed updating default config for brokers in the cluster.\n' : `Completed updating config for broker ${entity}.\n`);
      return 0;
    }
    const ids = (await client.metadata([])).brokers.map((b) => String(b.nodeId));
    if (named !== undefined && named !== '' && !v.all && !ids.includes(named)) {
      await out(`The broker '${named}' doesn't exist and doesn't have dynamic config.\n`);
      return 0;
    }
    const entities = named !== undefined ? [named] : [...ids, ''];
    let text = '';
    for (const entity of entities) {
      text += entity === '' ? 'Default configs for brokers in the cluster are:\n' : `${v.all ? 'All' : 'Dynamic'} configs for broker ${entity} are:\n`;
      const r = await client.describeConfigs(RESOURCE_BROKER, entity);
      if (r.errorCode !== ErrorCode.NONE) throw kafkaError(`cannot describe ${entity === '' ? 'the default broker configs' : `broker ${entity}`}`, r.errorCode, r.errorMessage);
      const entries = (v.all ? r.configs : r.configs.filter((c) => c.source === dynamicSourceOf(entity))).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      text += entries.map((c) => `${formatEntry(c)}\n`).join('');
    }
    await out(text);
    return 0;
  } finally {
    client.close();
  }
}
