// Topic routes: list, create, describe (per partition: leader, replicas, ISR, offsets, size;
// partitions this broker holds no replica of from the ClusterView and their leaders), delete,
// add partitions, and incremental config changes. Each calls TopicService, which
// validates everything before changing anything (a failed create leaves no topic) and
// answers Kafka error codes that become registry errors here.
import { z } from 'zod';
import { isInternalTopic } from '../../cluster/topic-name.js';
import type { TopicMetadata } from '../../cluster/metadata-store.js';
import { isTopicConfig } from '../../config/topic-config.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../../client/kafka-client.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { TopicResult } from '../../partition/topic-service.js';
import { AdminError, fromKafkaError } from '../errors.js';
import type { AdminContext } from '../context.js';
import { defineRoute, type AdminRoute } from '../route.js';

const TopicNameParam = z.object({ name: z.string().describe('Topic name') });
/** Config values may be given as JSON numbers or booleans; Kafka's configs are strings. */
const ConfigValue = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));
const ConfigMap = z.record(z.string(), ConfigValue);

export const CreateTopicBody = z.object({
  name: z.string().describe("1-249 characters of [a-zA-Z0-9._-], not '.' or '..'"),
  partitions: z.number().int().optional().describe('Partition count; the broker default (num.partitions) when omitted'),
  replicationFactor: z.number().int().optional().describe('Replicas per partition; the broker default (default.replication.factor) when omitted'),
  configs: ConfigMap.optional().describe('Topic config overrides, Kafka names: {"retention.ms": "86400000"}'),
  validateOnly: z.boolean().optional().describe('Validate only; create nothing'),
}).strict();

export const AddPartitionsBody = z.object({
  count: z.number().int().describe('The new total partition count (more than the topic has)'),
  validateOnly: z.boolean().optional(),
}).strict();

export const AlterConfigsBody = z.object({
  set: ConfigMap.optional().describe('Overrides to set'),
  delete: z.array(z.string()).optional().describe('Overrides to remove (back to the broker default)'),
  validateOnly: z.boolean().optional(),
}).strict();

export const PartitionSchema = z.object({
  partition: z.number().int(),
  leader: z.number().int().describe('Broker id of the leader, -1 when there is none'),
  leaderEpoch: z.number().int(),
  replicas: z.array(z.number().int()),
  isr: z.array(z.number().int()).describe('In-sync replicas'),
  logStartOffset: z.number().int(),
  logEndOffset: z.number().int().describe('-1 for a partition this broker holds no replica of'),
  highWatermark: z.number().int().describe("Consumers read up to here: the leader's, also of a partition this broker follows (its own when the leader does not answer); -1 when unknown"),
  sizeBytes: z.number().int().describe("Bytes on disk (all segments); of a partition this broker holds no replica of, the leader's; -1 when unknown"),
  segments: z.number().int(),
});

export const TopicDetailSchema = z.object({
  name: z.string(),
  topicId: z.string(),
  internal: z.boolean(),
  replicationFactor: z.number().int(),
  configs: z.record(z.string(), z.string()).describe('Config overrides of this topic (the rest are broker defaults)'),
  partitions: z.array(PartitionSchema),
});

export const TopicSummarySchema = z.object({
  name: z.string(),
  topicId: z.string(),
  internal: z.boolean(),
  partitions: z.number().int().describe('Partition count'),
  replicationFactor: z.number().int(),
});

export const TopicListSchema = z.object({ topics: z.array(TopicSummarySchema) });
export const TopicConfigsSchema = z.object({ name: z.string(), configs: z.record(z.string(), z.string()) });

function unwrap(result: TopicResult, subject: string): TopicMetadata {
  if (result.errorCode !== ErrorCode.NONE || !result.topic) throw fromKafkaError(result.errorCode, result.errorMessage, subject, result.internalTopic === true);
  return result.topic;
}

export function topicRoutes(ctx: AdminContext): AdminRoute[] {
  const topics = () => ctx.services.topics;

  const existing = (name: string): TopicMetadata => {
    const t = topics().getTopic(name);
    if (!t) throw new AdminError('TIDELOG_ERR_TOPIC_NOT_FOUND', `Topic ${name} does not exist.`);
    return t;
  };

  /**
   * Offsets and size of partitions this broker holds no replica of, from their leaders
   * (ListOffsets, DescribeLogDirs over the cluster client), as Kafka's admin client would
   * ask; -1 for what a leader did not answer. Partitions without a live leader are not asked.
   */
  const remoteState = async (topic: string, remote: readonly { partition: number; leader: number }[]) => {
    const out = new Map<number, { logStartOffset: number; highWatermark: number; sizeBytes: number }>();
    for (const r of remote) out.set(r.partition, { logStartOffset: -1, highWatermark: -1, sizeBytes: -1 });
    const led = remote.filter((r) => r.leader >= 0);
    if (led.length === 0) return out;
    try {
      const client = await ctx.kafkaClient();
      const ids = led.map((r) => r.partition);
      const byLeader = new Map<number, number[]>();
      for (const r of led) byLeader.set(r.leader, [...(byLeader.get(r.leader) ?? []), r.partition]);
      const offsets = () => Promise.all([client.listOffsets(topic, ids, EARLIEST_TIMESTAMP), client.listOffsets(topic, ids, LATEST_TIMESTAMP)]);
      // The client's cached metadata first (the console polls); fresh metadata once when a
      // leader moved or the topic is new to the client.
      let [earliest, latest] = await offsets().catch(() => [new Map(), new Map()] as const);
      if (ids.some((id) => earliest.get(id)?.errorCode !== ErrorCode.NONE || latest.get(id)?.errorCode !== ErrorCode.NONE)) {
        await client.topic(topic, { refresh: true });
        [earliest, latest] = await offsets();
      }
      const sizes = await Promise.all([...byLeader].map(([leader, partitions]) => client.describeLogDirs(leader, [{ topic, partitions }]).catch(() => null)));
      for (const id of ids) {
        const e = earliest.get(id);
        const l = latest.get(id);
        const entry = out.get(id)!;
        if (e?.errorCode === ErrorCode.NONE) entry.logStartOffset = e.offset;
        if (l?.errorCode === ErrorCode.NONE) entry.highWatermark = l.offset;
      }
      for (const res of sizes) {
        for (const dir of res?.results ?? []) {
          for (const tp of dir.topics) {
            if (tp.name !== topic) continue;
            for (const p of tp.partitions) {
              const entry = out.get(p.partitionIndex);
              if (entry) entry.sizeBytes = Math.max(0, entry.sizeBytes) + Number(p.partitionSize);
            }
          }
        }
      }
    } catch (err) {
      ctx.services.logger.debug({ err, topic }, 'admin: offsets of partitions led elsewhere not read');
    }
    return out;
  };

  const detail = async (t: TopicMetadata): Promise<z.input<typeof TopicDetailSchema>> => {
    // Leadership of partitions this broker holds no replica of comes from the ClusterView
    // (ZooKeeper's partition state), as Metadata answers it; their offsets from their leaders.
    const remote = t.partitions
      .filter((a) => !topics().partition(t.name, a.partition))
      .map((a) => ({ partition: a.partition, replicas: a.replicas, leadership: ctx.services.cluster.partitionLeadership(t.name, a.partition, () => null) }));
    // A follower's high watermark trails its leader's by up to a fetch: what consumers can
    // read (and the log start) of partitions this broker follows come from their leaders too.
    const followed = t.partitions.flatMap((a) => {
      const p = topics().partition(t.name, a.partition);
      return p && !p.isLeader && p.leaderId >= 0 ? [{ partition: a.partition, leader: p.leaderId }] : [];
    });
    const remoteStates = await remoteState(t.name, [...remote.map((r) => ({ partition: r.partition, leader: r.leadership?.leader ?? -1 })), ...followed]);
    return {
      name: t.name,
      topicId: t.topicId,
      internal: isInternalTopic(t.name),
      replicationFactor: t.partitions[0]?.replicas.length ?? 0,
      configs: { ...t.configs },
      partitions: t.partitions.map((a) => {
        const p = topics().partition(t.name, a.partition);
        if (!p) {
          const l = remote.find((r) => r.partition === a.partition)?.leadership ?? null;
          const st = remoteStates.get(a.partition);
          return {
            partition: a.partition,
            leader: l?.leader ?? -1,
            leaderEpoch: l?.leaderEpoch ?? -1,
            replicas: [...a.replicas],
            isr: [...(l?.isr ?? [])],
            logStartOffset: st?.logStartOffset ?? -1,
            logEndOffset: -1,
            highWatermark: st?.highWatermark ?? -1,
            sizeBytes: st?.sizeBytes ?? -1,
            segments: -1,
          };
        }
        const s = p.state();
        const atLeader = remoteStates.get(a.partition);
        return {
          partition: a.partition,
          leader: p.leaderId,
          leaderEpoch: p.leaderEpoch,
          replicas: [...p.replicas],
          isr: [...p.isr],
          logStartOffset: atLeader && atLeader.logStartOffset >= 0 ? atLeader.logStartOffset : s.logStartOffset,
          logEndOffset: s.logEndOffset,
          highWatermark: atLeader && atLeader.highWatermark >= 0 ? atLeader.highWatermark : p.highWatermark,
          sizeBytes: s.sizeBytes,
          segments: s.segmentCount,
        };
      }),
    };
  };

  return [
    defineRoute({
      method: 'GET',
      url: '/v1/topics',
      operationId: 'listTopics',
      tag: 'topics',
      summary: 'All topics, internal ones included',
      response: { status: 200, description: 'The topics, by name', schema: TopicListSchema },
      errors: [],
      handle: () => ({
        topics: [...topics().listTopics()]
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((t) => ({ name: t.name, topicId: t.topicId, internal: isInternalTopic(t.name), partitions: t.partitions.length, replicationFactor: t.partitions[0]?.replicas.length ?? 0 })),
      }),
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/topics',
      operationId: 'createTopic',
      tag: 'topics',
      summary: 'Create a topic',
      description: 'All or nothing: every argument and config is validated before anything is created.',
      body: CreateTopicBody,
      response: { status: 201, description: 'The topic as created (with validateOnly: as it would be)', schema: TopicDetailSchema },
      errors: ['TIDELOG_ERR_TOPIC_EXISTS', 'TIDELOG_ERR_TOPIC_NAME_INVALID', 'TIDELOG_ERR_PARTITIONS_INVALID', 'TIDELOG_ERR_REPLICATION_FACTOR_INVALID', 'TIDELOG_ERR_CONFIG_INVALID', 'TIDELOG_ERR_KAFKA'],
      handle: async ({ body }) => {
        // -1 asks TopicService for the broker default, so an explicit value below 1 is refused here.
        if (body.partitions !== undefined && body.partitions < 1) throw new AdminError('TIDELOG_ERR_PARTITIONS_INVALID', `Number of partitions must be at least 1, got ${body.partitions}.`);
        if (body.replicationFactor !== undefined && body.replicationFactor < 1) {
          throw new AdminError('TIDELOG_ERR_REPLICATION_FACTOR_INVALID', `Replication factor must be at least 1, got ${body.replicationFactor}.`);
        }
        const created = unwrap(await topics().createTopic(body.name, body.partitions ?? -1, body.replicationFactor ?? -1, body.configs ?? {}, { validateOnly: body.validateOnly ?? false }), body.name);
        return detail(created);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/topics/:name',
      operationId: 'describeTopic',
      tag: 'topics',
      summary: 'A topic with its partitions: leader, replicas, ISR, offsets, size on disk',
      params: TopicNameParam,
      response: { status: 200, description: 'The topic', schema: TopicDetailSchema },
      errors: ['TIDELOG_ERR_TOPIC_NOT_FOUND'],
      handle: ({ params }) => detail(existing(params.name)),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/v1/topics/:name',
      operationId: 'deleteTopic',
      tag: 'topics',
      summary: 'Delete a topic and its logs',
      description: 'Internal topics (__consumer_offsets, __transaction_state) are refused with TIDELOG_ERR_TOPIC_INTERNAL, as over the Kafka protocol.',
      params: TopicNameParam,
      response: { status: 204, description: 'Deleted' },
      errors: ['TIDELOG_ERR_TOPIC_NOT_FOUND', 'TIDELOG_ERR_TOPIC_DELETION_DISABLED', 'TIDELOG_ERR_TOPIC_INTERNAL'],
      handle: async ({ params }) => {
        unwrap(await ctx.services.deleteTopic(params.name), params.name);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/topics/:name/partitions',
      operationId: 'addPartitions',
      tag: 'topics',
      summary: 'Grow a topic to `count` partitions',
      description: 'Partitions can only be added. Keyed records of existing keys may then go to other partitions. Internal topics keep their count (TIDELOG_ERR_TOPIC_INTERNAL).',
      params: TopicNameParam,
      body: AddPartitionsBody,
      response: { status: 200, description: 'The topic with its new partitions', schema: TopicDetailSchema },
      errors: ['TIDELOG_ERR_TOPIC_NOT_FOUND', 'TIDELOG_ERR_PARTITIONS_INVALID', 'TIDELOG_ERR_TOPIC_INTERNAL'],
      handle: async ({ params, body }) => detail(unwrap(await topics().createPartitions(params.name, body.count, body.validateOnly ?? false), params.name)),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/v1/topics/:name/configs',
      operationId: 'alterTopicConfigs',
      tag: 'topics',
      summary: 'Set and delete config overrides of a topic (incremental)',
      description: 'All or nothing: the resulting overrides are validated as a whole before any is applied.',
      params: TopicNameParam,
      body: AlterConfigsBody,
      response: { status: 200, description: "The topic's overrides after the change", schema: TopicConfigsSchema },
      errors: ['TIDELOG_ERR_TOPIC_NOT_FOUND', 'TIDELOG_ERR_CONFIG_INVALID'],
      handle: async ({ params, body }) => {
        const t = existing(params.name);
        const set = body.set ?? {};
        const del = body.delete ?? [];
        const both = del.filter((k) => k in set);
        if (both.length > 0) throw new AdminError('TIDELOG_ERR_VALIDATION', `Config ${both.join(', ')} is both set and deleted.`, both.map((k) => ({ path: `body.delete`, message: `${k} is also in body.set` })));
        const unknown = del.filter((k) => !isTopicConfig(k));
        if (unknown.length > 0) throw new AdminError('TIDELOG_ERR_CONFIG_INVALID', `Unknown topic config ${unknown.join(', ')}.`);
        const next: Record<string, string> = { ...t.configs, ...set };
        for (const k of del) delete next[k];
        const updated = unwrap(await topics().setTopicConfigs(params.name, next, body.validateOnly ?? false), params.name);
        return { name: updated.name, configs: body.validateOnly ? next : { ...updated.configs } };
      },
    }),
  ];
}
