// `tidelog configs`: Kafka's kafka-configs.sh for topics (DescribeConfigs and
// IncrementalAlterConfigs), read-only brokers, and SCRAM users (configs-users.ts).
import { ErrorCode } from '../protocol/errors.js';
import { RESOURCE_BROKER, RESOURCE_TOPIC, type ConfigEntry } from '../client/kafka-client.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectClient, kafkaError, out, parseFlags, parseKeyValues } from './common.js';
import { CliError, UsageError } from './usage-error.js';
import { runUsersOverKafka, runUsersOverZooKeeper } from './configs-users.js';

const HELP = `Usage: tidelog configs --bootstrap-server HOST:PORT (--describe | --alter) --entity-type topics --entity-name NAME [options]
       tidelog configs (--bootstrap-server HOST:PORT | --zookeeper HOST:PORT) (--describe | --alter) --entity-type users [--entity-name USER] [options]

Describe and change configs (as kafka-configs.sh).

Options:
  --describe                    Show the configs set on the entity (--all: every config with its value)
  --alter                       Change configs: --add-config and/or --delete-config
  --entity-type TYPE            topics, users (SCRAM credentials), or brokers (--describe only)
  --entity-name NAME            The topic name, user name or broker id (--topic NAME is short for topics)
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
  tidelog configs --bootstrap-server 127.0.0.1:9092 --command-config admin.properties --alter --entity-type users --entity-name alice --add-config 'SCRAM-SHA-256=[iterations=8192,password=alice-secret]'
  tidelog configs --zookeeper 127.0.0.1:2181 --alter --entity-type users --entity-name admin --add-config 'SCRAM-SHA-512=[password=admin-secret]'`;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  describe: { type: 'boolean' },
  alter: { type: 'boolean' },
  'entity-type': { type: 'string' },
  'entity-name': { type: 'string' },
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
  if (!entityName) throw new UsageError('--entity-name is required');
  const resourceType = entityType === 'topics' ? RESOURCE_TOPIC : RESOURCE_BROKER;
  const what = entityType === 'topics' ? `topic ${entityName}` : `broker ${entityName}`;

  const client = await connectClient(v, 'tidelog-configs');
  try {
    if (v.describe) {
      const r = await client.describeConfigs(resourceType, entityName);
      if (r.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw new CliError(`topic '${entityName}' does not exist`);
      if (r.errorCode !== ErrorCode.NONE) throw kafkaError(`cannot describe ${what}`, r.errorCode, r.errorMessage);
      const dynamicSource = entityType === 'topics' ? 1 : 2;
      const entries = v.all ? r.configs : r.configs.filter((c) => c.source === dynamicSource);
      const header = v.all ? `All configs for ${what} are:` : `Dynamic configs for ${what} are:`;
      await out(`${header}\n${entries.map((c) => `${formatEntry(c)}\n`).join('')}`);
      return 0;
    }
    if (entityType !== 'topics') throw new UsageError('--alter supports --entity-type topics only');
    const set = parseKeyValues(v['add-config'], '--add-config', true);
    const del = (v['delete-config'] ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
    if (Object.keys(set).length === 0 && del.length === 0) throw new UsageError('--alter needs --add-config and/or --delete-config');
    const both = del.filter((k) => k in set);
    if (both.length > 0) throw new UsageError(`config ${both.join(', ')} is both added and deleted`);
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
