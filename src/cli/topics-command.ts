// `tidelog topics`: Kafka's kafka-topics.sh over the Kafka protocol (CreateTopics,
// DeleteTopics, CreatePartitions, Metadata, DescribeConfigs), same flags and output shape.
import { ErrorCode } from '../protocol/errors.js';
import { RESOURCE_TOPIC, type KafkaClient } from '../client/kafka-client.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectClient, intFlag, kafkaError, out, parseFlags, parseKeyValues } from './common.js';
import { CliError, UsageError } from './usage-error.js';

const HELP = `Usage: tidelog topics --bootstrap-server HOST:PORT ACTION [options]

Create, list, describe, alter and delete topics (as kafka-topics.sh).

Actions (exactly one):
  --create                  Create --topic (with --partitions, --replication-factor, --config)
  --list                    List topic names (--topic REGEX: those matching it)
  --describe                Describe --topic (a name or REGEX), or every topic
  --alter                   Grow --topic to --partitions N
  --delete                  Delete --topic

Options:
  --topic NAME              The topic (a comma-separated list for --describe and --delete)
  --partitions N            Partition count (create: default num.partitions of the broker)
  --replication-factor N    Replicas per partition (create: default default.replication.factor)
  --config KEY=VALUE        A topic config override for --create (repeatable)
  --if-not-exists           --create: succeed when the topic exists
  --if-exists               --alter, --delete, --describe: succeed when the topic does not exist
  --exclude-internal        --list, --describe: leave out internal topics
  --under-replicated-partitions   --describe: only partitions whose ISR is smaller than their replicas
  --unavailable-partitions        --describe: only partitions without a live leader
  --topics-with-overrides         --describe: only topics with configs of their own (no partition lines)
${CONNECTION_HELP}

Examples:
  tidelog topics --bootstrap-server 127.0.0.1:9092 --create --topic orders --partitions 3 --config retention.ms=86400000
  tidelog topics --bootstrap-server 127.0.0.1:9092 --describe --topic orders`;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  create: { type: 'boolean' },
  list: { type: 'boolean' },
  describe: { type: 'boolean' },
  alter: { type: 'boolean' },
  delete: { type: 'boolean' },
  topic: { type: 'string' },
  partitions: { type: 'string' },
  'replication-factor': { type: 'string' },
  config: { type: 'string', multiple: true },
  'if-not-exists': { type: 'boolean' },
  'if-exists': { type: 'boolean' },
  'exclude-internal': { type: 'boolean' },
  'under-replicated-partitions': { type: 'boolean' },
  'unavailable-partitions': { type: 'boolean' },
  'topics-with-overrides': { type: 'boolean' },
} as const;

/**
 * A topic id as Kafka's tools print it (org.apache.kafka.common.Uuid.toString: the 16 bytes
 * in URL-safe base64 without padding), from the UUID text the client decodes.
 */
function kafkaUuid(uuid: string): string {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex').toString('base64url');
}

/** --describe's filters (Kafka's TopicCommand.DescribeOptions). */
interface DescribeFilters {
  readonly excludeInternal: boolean;
  readonly ifExists: boolean;
  readonly underReplicated: boolean;
  readonly unavailable: boolean;
  readonly withOverrides: boolean;
}

/** Kafka's --topic for --list and --describe: a name, or a regular expression matched against whole names. */
function topicMatcher(topic: string): (name: string) => boolean {
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${topic})$`);
  } catch {
    return (name) => name === topic;
  }
  return (name) => name === topic || re.test(name);
}

export async function runTopics(args: string[]): Promise<number> {
  const parsed = parseFlags(args, OPTIONS, HELP);
  if (!parsed) return 0;
  const v = parsed.values;
  const actions = (['create', 'list', 'describe', 'alter', 'delete'] as const).filter((a) => v[a]);
  if (actions.length !== 1) throw new UsageError(`give exactly one of --create, --list, --describe, --alter, --delete (got ${actions.length === 0 ? 'none' : actions.map((a) => `--${a}`).join(' ')})`);
  const action = actions[0]!;
  if ((action === 'create' || action === 'alter' || action === 'delete') && !v.topic) throw new UsageError(`--${action} needs --topic`);
  if (action === 'alter' && v.partitions === undefined) throw new UsageError('--alter needs --partitions N (the new total)');
  const partitions = intFlag(v.partitions, '--partitions', { min: 1 });
  const replicationFactor = intFlag(v['replication-factor'], '--replication-factor', { min: 1 });
  const configs = parseKeyValues(v.config, '--config');
  if (action !== 'create' && v.config) throw new UsageError('--config is only for --create (use tidelog configs --alter to change a topic)');
  for (const f of ['under-replicated-partitions', 'unavailable-partitions', 'topics-with-overrides'] as const) {
    if (v[f] && action !== 'describe') throw new UsageError(`--${f} goes with --describe`);
  }

  const client = await connectClient(v, 'tidelog-topics');
  try {
    switch (action) {
      case 'create': {
        const r = await client.createTopic(v.topic!, { ...(partitions !== undefined ? { partitions } : {}), ...(replicationFactor !== undefined ? { replicationFactor } : {}), configs });
        if (r.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS && v['if-not-exists']) return 0;
        if (r.errorCode !== ErrorCode.NONE) throw kafkaError(`cannot create topic '${v.topic}'`, r.errorCode, r.errorMessage);
        await out(`Created topic ${v.topic}.\n`);
        return 0;
      }
      case 'list': {
        const md = await client.metadata(null);
        const matches = v.topic !== undefined ? topicMatcher(v.topic) : () => true;
        const names = md.topics.filter((t) => !(v['exclude-internal'] && t.isInternal) && matches(t.name)).map((t) => t.name).sort();
        await out(names.map((n) => `${n}\n`).join(''));
        return 0;
      }
      case 'describe':
        return await describe(client, v.topic, {
          excludeInternal: v['exclude-internal'] ?? false,
          ifExists: v['if-exists'] ?? false,
          underReplicated: v['under-replicated-partitions'] ?? false,
          unavailable: v['unavailable-partitions'] ?? false,
          withOverrides: v['topics-with-overrides'] ?? false,
        });
      case 'alter': {
        const r = await client.createPartitions(v.topic!, partitions!);
        if (r.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && v['if-exists']) return 0;
        if (r.errorCode !== ErrorCode.NONE) throw kafkaError(`cannot alter topic '${v.topic}'`, r.errorCode, r.errorMessage);
        await out(`Topic ${v.topic} now has ${partitions} partitions.\n`);
        return 0;
      }
      case 'delete': {
        for (const name of v.topic!.split(',')) {
          const r = await client.deleteTopic(name);
          if (r.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && v['if-exists']) continue;
          if (r.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw new CliError(`topic '${name}' does not exist`);
          if (r.errorCode !== ErrorCode.NONE) throw kafkaError(`cannot delete topic '${name}'`, r.errorCode, r.errorMessage);
          await out(`Deleted topic ${name}.\n`);
        }
        return 0;
      }
    }
  } finally {
    client.close();
  }
}

async function describe(client: KafkaClient, topicFlag: string | undefined, filters: DescribeFilters): Promise<number> {
  const { excludeInternal, ifExists } = filters;
  // A plain list of names is asked for by name (an unknown one is an error); a regex filters every topic.
  const isRegex = topicFlag !== undefined && /[*?+[\]()|^$\\]/.test(topicFlag);
  const md = await client.metadata(topicFlag && !isRegex ? topicFlag.split(',') : null);
  const matches = topicFlag !== undefined && isRegex ? topicMatcher(topicFlag) : () => true;
  const live = new Set(md.brokers.map((b) => b.nodeId));
  // Kafka: partition filters print partition lines only; --topics-with-overrides prints topic lines only.
  const partitionFilter = filters.underReplicated || filters.unavailable;
  const lines: string[] = [];
  for (const t of [...md.topics].sort((a, b) => a.name.localeCompare(b.name))) {
    if (excludeInternal && t.isInternal) continue;
    if (!matches(t.name)) continue;
    if (t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
      if (ifExists) continue;
      throw new CliError(`topic '${t.name}' does not exist`);
    }
    if (t.errorCode !== ErrorCode.NONE) throw kafkaError(`cannot describe topic '${t.name}'`, t.errorCode, null);
    const described = await client.describeConfigs(RESOURCE_TOPIC, t.name);
    // Like kafka-topics.sh: only the configs set on the topic itself.
    const overrides = described.configs.filter((c) => c.source === 1).map((c) => `${c.name}=${c.isSensitive ? '(sensitive)' : c.value}`);
    const rf = t.partitions[0]?.replicas.length ?? 0;
    if (!partitionFilter && (!filters.withOverrides || overrides.length > 0)) {
      lines.push(`Topic: ${t.name}\tTopicId: ${kafkaUuid(t.topicId)}\tPartitionCount: ${t.partitions.length}\tReplicationFactor: ${rf}\tConfigs: ${overrides.join(',')}`);
    }
    if (filters.withOverrides) continue;
    for (const p of t.partitions) {
      const underReplicated = p.isr.length < p.replicas.length;
      const unavailable = p.leader < 0 || !live.has(p.leader);
      if (partitionFilter && !((filters.underReplicated && underReplicated) || (filters.unavailable && unavailable))) continue;
      lines.push(`\tTopic: ${t.name}\tPartition: ${p.partition}\tLeader: ${p.leader < 0 ? 'none' : p.leader}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}\tElr: N/A\tLastKnownElr: N/A`);
    }
  }
  await out(lines.map((l) => `${l}\n`).join(''));
  return 0;
}
