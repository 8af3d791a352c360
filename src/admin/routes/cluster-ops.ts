// Routes the web console's Topics and Operations pages need beyond the topic and group
// routes: every config of a topic or a broker with its value's source and default
// (DescribeConfigs with synonyms), the log dirs of every live broker with their usage
// (DescribeLogDirs), leader elections (ElectLeaders on the controller), and this broker's
// per-topic byte and record counters, from which the console draws throughput. Each Kafka
// call goes through the admin server's cluster client to the broker that owns the answer,
// so any broker of a cluster answers all of them.
import { z } from 'zod';
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode, errorName } from '../../protocol/errors.js';
import { KafkaClientError, RESOURCE_BROKER, RESOURCE_TOPIC } from '../../client/kafka-client.js';
import { AdminError, fromKafkaError } from '../errors.js';
import type { AdminContext } from '../context.js';
import { defineRoute, type AdminRoute } from '../route.js';

/** Kafka's ConfigSource (DescribeConfigsResponse), by code. */
const CONFIG_SOURCES: Record<number, string> = {
  0: 'UNKNOWN',
  1: 'TOPIC_CONFIG',
  2: 'DYNAMIC_BROKER_CONFIG',
  3: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
  4: 'STATIC_BROKER_CONFIG',
  5: 'DEFAULT_CONFIG',
  6: 'DYNAMIC_BROKER_LOGGER_CONFIG',
};

export const ConfigEntrySchema = z.object({
  name: z.string(),
  value: z.string().nullable().describe('null for a sensitive value or none'),
  source: z.string().describe("Where the value comes from: TOPIC_CONFIG (this topic's override), STATIC_BROKER_CONFIG, DEFAULT_CONFIG, ..."),
  isDefault: z.boolean(),
  readOnly: z.boolean(),
  sensitive: z.boolean(),
  defaultValue: z.string().nullable().describe('The value without the override (the next synonym), null when there is none'),
  defaultSource: z.string().nullable(),
});
export const ConfigListSchema = z.object({ resource: z.enum(['topic', 'broker']), name: z.string(), configs: z.array(ConfigEntrySchema) });

export const LogDirsSchema = z.object({
  brokers: z.array(
    z.object({
      brokerId: z.number().int(),
      error: z.string().nullable().describe('Why the broker did not answer, or null'),
      logDirs: z.array(
        z.object({
          path: z.string(),
          error: z.string().nullable(),
          totalBytes: z.number().int().describe('Size of the filesystem, -1 when unknown'),
          usableBytes: z.number().int().describe('Free space of the filesystem, -1 when unknown'),
          partitions: z.array(z.object({ topic: z.string(), partition: z.number().int(), sizeBytes: z.number().int(), offsetLag: z.number().int() })),
        }),
      ),
    }),
  ),
});

export const ElectLeadersBody = z.object({
  type: z.enum(['preferred', 'unclean']).describe('preferred: move leadership back to the first replica; unclean: elect a replica outside the ISR when none in it is alive'),
  partitions: z.array(z.object({ topic: z.string(), partition: z.number().int().min(0) }).strict()).max(10_000).optional().describe('Every partition when omitted'),
}).strict();

export const ElectLeadersSchema = z.object({
  results: z.array(z.object({ topic: z.string(), partition: z.number().int(), error: z.string().nullable().describe('ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE, ... or null for an election done'), message: z.string().nullable() })),
});

export const ThroughputSchema = z.object({
  brokerId: z.number().int(),
  timestampMs: z.number().int().describe('When the counters were read; rates are differences over time'),
  topics: z.array(
    z.object({
      topic: z.string(),
      bytesIn: z.number().describe('Record batch bytes appended by producers since the broker started'),
      bytesOut: z.number().describe('Record batch bytes sent to consumers and replicas'),
      messagesIn: z.number(),
      messagesOut: z.number(),
    }),
  ),
});

const BrokerIdParam = z.object({ id: z.coerce.number().int().min(0).describe('broker.id') }).strict();
const TopicNameParam = z.object({ name: z.string().describe('Topic name') }).strict();

type RawConfig = { name: string; value: string | null; readOnly: boolean; configSource: number; isSensitive: boolean; synonyms: readonly { name: string; value: string | null; source: number }[] };

function toEntry(c: RawConfig, overrideSource: number): z.input<typeof ConfigEntrySchema> {
  // The synonyms list the value's sources in order of precedence; the first one that is not
  // the override itself is what the value would be without it.
  const fallback = c.synonyms.find((s) => s.source !== overrideSource) ?? null;
  const source = (n: number) => CONFIG_SOURCES[n] ?? `SOURCE_${n}`;
  return {
    name: c.name,
    value: c.value,
    source: source(c.configSource),
    isDefault: c.configSource === 5,
    readOnly: c.readOnly,
    sensitive: c.isSensitive,
    defaultValue: c.configSource === overrideSource ? (fallback?.value ?? null) : c.value,
    defaultSource: c.configSource === overrideSource ? (fallback ? source(fallback.source) : null) : source(c.configSource),
  };
}

async function overKafka<T>(subject: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof AdminError) throw err;
    if (err instanceof KafkaClientError && err.errorCode !== undefined) throw fromKafkaError(err.errorCode, null, subject);
    throw new AdminError('TIDELOG_ERR_BROKER_NOT_AVAILABLE', `${subject}: ${(err as Error).message}`);
  }
}

export function clusterOpsRoutes(ctx: AdminContext): AdminRoute[] {
  /** DescribeConfigs of one resource, asked of the broker that owns it (a broker's own configs only it describes). */
  const describeConfigs = async (resourceType: number, resourceName: string, brokerId: number) => {
    const client = await ctx.kafkaClient();
    const conn = await client.broker(brokerId);
    const v = conn.version(ApiKey.DescribeConfigs, 1, 4, 'DescribeConfigs');
    const res = await conn.send(ApiKey.DescribeConfigs, v, { resources: [{ resourceType, resourceName, configurationKeys: null }], includeSynonyms: true, includeDocumentation: false });
    const r = res.results[0];
    if (!r) throw new AdminError('TIDELOG_ERR_INTERNAL', `DescribeConfigs answered no result for ${resourceName}`);
    if (r.errorCode !== ErrorCode.NONE) throw fromKafkaError(r.errorCode, r.errorMessage, resourceName);
    return [...r.configs].sort((a, b) => a.name.localeCompare(b.name));
  };

  return [
    defineRoute({
      method: 'GET',
      url: '/v1/topics/:name/configs',
      operationId: 'describeTopicConfigs',
      tag: 'topics',
      summary: 'Every config of a topic: value, source, and the default it overrides',
      params: TopicNameParam,
      response: { status: 200, description: "The topic's configs, by name", schema: ConfigListSchema },
      errors: ['TIDELOG_ERR_TOPIC_NOT_FOUND', 'TIDELOG_ERR_BROKER_NOT_AVAILABLE'],
      handle: ({ params }) =>
        overKafka(params.name, async () => {
          if (!ctx.services.topics.getTopic(params.name)) throw new AdminError('TIDELOG_ERR_TOPIC_NOT_FOUND', `Topic ${params.name} does not exist.`);
          const configs = await describeConfigs(RESOURCE_TOPIC, params.name, ctx.services.brokerId);
          return { resource: 'topic' as const, name: params.name, configs: configs.map((c) => toEntry(c, 1)) };
        }),
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/brokers/:id/configs',
      operationId: 'describeBrokerConfigs',
      tag: 'cluster',
      summary: 'Every config of a broker with its source (asked of that broker)',
      params: BrokerIdParam,
      response: { status: 200, description: "The broker's configs, by name", schema: ConfigListSchema },
      errors: ['TIDELOG_ERR_BROKER_NOT_FOUND', 'TIDELOG_ERR_BROKER_NOT_AVAILABLE'],
      handle: ({ params }) =>
        overKafka(`broker ${params.id}`, async () => {
          if (!ctx.services.cluster.liveBrokers().some((b) => b.id === params.id)) throw new AdminError('TIDELOG_ERR_BROKER_NOT_FOUND', `Broker ${params.id} is not a live broker of this cluster.`);
          const configs = await describeConfigs(RESOURCE_BROKER, String(params.id), params.id);
          return { resource: 'broker' as const, name: String(params.id), configs: configs.map((c) => toEntry(c, 2)) };
        }),
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/log-dirs',
      operationId: 'describeLogDirs',
      tag: 'cluster',
      summary: 'The log dirs of every live broker: filesystem size and free space, partitions and their size',
      response: { status: 200, description: 'Per broker, its log dirs', schema: LogDirsSchema },
      errors: ['TIDELOG_ERR_BROKER_NOT_AVAILABLE'],
      handle: () =>
        overKafka('DescribeLogDirs', async () => {
          const client = await ctx.kafkaClient();
          const ids = ctx.services.cluster.liveBrokers().map((b) => b.id).sort((a, b) => a - b);
          const brokers = await Promise.all(
            ids.map(async (brokerId) => {
              try {
                const res = await client.describeLogDirs(brokerId, null);
                if (res.errorCode !== ErrorCode.NONE) return { brokerId, error: errorName(res.errorCode), logDirs: [] };
                return {
                  brokerId,
                  error: null,
                  logDirs: res.results.map((d) => ({
                    path: d.logDir,
                    error: d.errorCode === ErrorCode.NONE ? null : errorName(d.errorCode),
                    totalBytes: Number(d.totalBytes ?? -1),
                    usableBytes: Number(d.usableBytes ?? -1),
                    partitions: d.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, sizeBytes: Number(p.partitionSize), offsetLag: Number(p.offsetLag) }))),
                  })),
                };
              } catch (err) {
                return { brokerId, error: (err as Error).message, logDirs: [] };
              }
            }),
          );
          return { brokers };
        }),
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/elections',
      operationId: 'electLeaders',
      tag: 'cluster',
      summary: 'Elect partition leaders (preferred or unclean), on the controller',
      description: "Per partition the outcome: null for an election done, else the Kafka error's name (ELECTION_NOT_NEEDED when the preferred replica already leads). Without partitions, every partition; the controller then leaves out those that needed none.",
      body: ElectLeadersBody,
      response: { status: 200, description: 'The outcome per partition', schema: ElectLeadersSchema },
      errors: ['TIDELOG_ERR_TOPIC_NOT_FOUND', 'TIDELOG_ERR_BROKER_NOT_AVAILABLE'],
      handle: ({ body }) =>
        overKafka('ElectLeaders', async () => {
          for (const p of body.partitions ?? []) {
            const t = ctx.services.topics.getTopic(p.topic);
            if (!t || !t.partitions.some((x) => x.partition === p.partition)) throw new AdminError('TIDELOG_ERR_TOPIC_NOT_FOUND', `Partition ${p.topic}-${p.partition} does not exist.`);
          }
          const client = await ctx.kafkaClient();
          const r = await client.electLeaders(body.type === 'preferred' ? 0 : 1, body.partitions ?? null);
          if (r.errorCode !== ErrorCode.NONE) throw fromKafkaError(r.errorCode, null, 'ElectLeaders');
          return { results: r.results.map((x) => ({ topic: x.topic, partition: x.partition, error: x.errorCode === ErrorCode.NONE ? null : errorName(x.errorCode), message: x.errorMessage })) };
        }),
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/throughput',
      operationId: 'throughput',
      tag: 'operations',
      summary: "This broker's per-topic byte and record counters (for rates)",
      description: 'The counters of /metrics (tidelog_topic_bytes_in_total, ...) as JSON with the time they were read: a rate is the difference of two reads over their time difference. Each broker counts what it served; ask each broker for the whole cluster.',
      response: { status: 200, description: 'The counters', schema: ThroughputSchema },
      errors: [],
      handle: async () => ({ brokerId: ctx.services.brokerId, timestampMs: Date.now(), topics: await ctx.services.metrics.topicTotals() }),
    }),
  ];
}
