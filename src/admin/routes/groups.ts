// Consumer group routes: list, describe (state, protocol, members with their assignments,
// committed offset and lag per partition), delete, and offset resets. Everything goes
// through the GroupCoordinator, as the Kafka APIs do: a reset is an OffsetCommit outside
// group management (generation -1, no member), which the coordinator only accepts for a
// group without members, so a consumer that joins meanwhile cannot be rewound under it.
import { z } from 'zod';
import { ErrorCode } from '../../protocol/errors.js';
import { CONSUMER_PROTOCOL_TYPE, decodeAssignment } from '../../client/consumer-protocol.js';
import { AdminError, fromKafkaError } from '../errors.js';
import type { AdminContext } from '../context.js';
import { defineRoute, type AdminRoute } from '../route.js';

const GroupIdParam = z.object({ id: z.string().describe('Group id') });

export const GroupSummarySchema = z.object({
  groupId: z.string(),
  state: z.string().describe('Empty, PreparingRebalance, CompletingRebalance, Stable'),
  protocolType: z.string().describe("'consumer' for consumer groups; '' for groups that only store offsets"),
});
export const GroupListSchema = z.object({ groups: z.array(GroupSummarySchema) });

export const MemberSchema = z.object({
  memberId: z.string(),
  groupInstanceId: z.string().nullable().describe('KIP-345 static member id, or null'),
  clientId: z.string(),
  clientHost: z.string(),
  assignment: z.array(z.object({ topic: z.string(), partitions: z.array(z.number().int()) })).describe('Assigned partitions (consumer groups, Stable state)'),
});

export const GroupOffsetSchema = z.object({
  topic: z.string(),
  partition: z.number().int(),
  committedOffset: z.number().int().nullable().describe('null when nothing is committed'),
  logEndOffset: z.number().int().describe('The high watermark: what a consumer can read up to; -1 for a partition that no longer exists'),
  lag: z.number().int().nullable().describe('logEndOffset - committedOffset; null without a commit'),
  memberId: z.string().nullable().describe('The member the partition is assigned to, or null'),
});

export const GroupDetailSchema = z.object({
  groupId: z.string(),
  state: z.string(),
  protocolType: z.string(),
  protocol: z.string().describe('The assignor chosen for the current generation (Stable groups), else empty'),
  members: z.array(MemberSchema),
  offsets: z.array(GroupOffsetSchema),
});

export const ResetTarget = z.union([
  z.literal('earliest').describe('The log start offset'),
  z.literal('latest').describe('The high watermark'),
  z.object({ timestamp: z.number().int().describe('Epoch ms: the first offset with a timestamp at or after it (the high watermark when none)') }).strict(),
  z.object({ offset: z.number().int().describe('An offset, clamped to [log start, high watermark]') }).strict(),
]);

export const ResetOffsetsBody = z.object({
  topic: z.string().optional().describe('Only this topic (all its partitions); every topic with committed offsets when omitted'),
  partitions: z.array(z.number().int().min(0)).optional().describe('With topic: only these partitions'),
  to: ResetTarget,
  dryRun: z.boolean().optional().describe('Compute the new offsets without committing them'),
}).strict();

export const ResetOffsetsSchema = z.object({
  groupId: z.string(),
  dryRun: z.boolean(),
  offsets: z.array(z.object({ topic: z.string(), partition: z.number().int(), previousOffset: z.number().int().nullable(), newOffset: z.number().int() })),
});

export function groupRoutes(ctx: AdminContext): AdminRoute[] {
  const groups = () => ctx.broker.groups;
  const topics = () => ctx.broker.topics;

  /** Committed offsets of a group: topic → partition → offset. */
  const committed = (groupId: string): Map<string, Map<number, number>> => {
    const fetched = groups().fetchOffsets(groupId, null, false);
    if (fetched.errorCode !== ErrorCode.NONE) throw fromKafkaError(fetched.errorCode, null, groupId);
    const out = new Map<string, Map<number, number>>();
    for (const t of fetched.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== ErrorCode.NONE || p.offset < 0) continue;
        let m = out.get(t.topic);
        if (!m) out.set(t.topic, (m = new Map()));
        m.set(p.partition, p.offset);
      }
    }
    return out;
  };

  const describe = (groupId: string) => {
    const d = groups().describeGroup(groupId);
    if (d.errorCode !== ErrorCode.NONE) throw fromKafkaError(d.errorCode, null, groupId);
    if (d.state === 'Dead' || d.state === '') throw new AdminError('TIDELOG_ERR_GROUP_NOT_FOUND', `Group ${groupId} does not exist.`);
    return d;
  };

  return [
    defineRoute({
      method: 'GET',
      url: '/v1/groups',
      operationId: 'listGroups',
      tag: 'groups',
      summary: 'All consumer groups with their state',
      response: { status: 200, description: 'The groups, by id', schema: GroupListSchema },
      errors: ['TIDELOG_ERR_COORDINATOR_NOT_AVAILABLE'],
      handle: () => {
        const listed = groups().listGroups([], []);
        if (listed.errorCode !== ErrorCode.NONE) throw fromKafkaError(listed.errorCode, null, 'ListGroups');
        return { groups: listed.groups.map((g) => ({ groupId: g.groupId, state: g.state, protocolType: g.protocolType })).sort((a, b) => a.groupId.localeCompare(b.groupId)) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/groups/:id',
      operationId: 'describeGroup',
      tag: 'groups',
      summary: 'A group: state, protocol, members with assignments, committed offsets and lag',
      params: GroupIdParam,
      response: { status: 200, description: 'The group', schema: GroupDetailSchema },
      errors: ['TIDELOG_ERR_GROUP_NOT_FOUND', 'TIDELOG_ERR_COORDINATOR_NOT_AVAILABLE'],
      handle: ({ params }) => {
        const d = describe(params.id);
        const owner = new Map<string, string>();
        const members = d.members.map((m) => {
          const assignment = d.protocolType === CONSUMER_PROTOCOL_TYPE ? (decodeAssignment(m.assignment) ?? []) : [];
          for (const a of assignment) for (const p of a.partitions) owner.set(`${a.topic}\u0000${p}`, m.memberId);
          return { memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost, assignment: assignment.map((a) => ({ topic: a.topic, partitions: [...a.partitions] })) };
        });
        // Kafka's tool shows assigned partitions without a commit too: the union of both.
        const offsets = committed(params.id);
        const keys = new Set<string>([...owner.keys()]);
        for (const [topic, byPartition] of offsets) for (const p of byPartition.keys()) keys.add(`${topic}\u0000${p}`);
        const rows = [...keys].map((key) => {
          const [topic, partitionText] = key.split('\u0000') as [string, string];
          const partition = Number(partitionText);
          const p = topics().partition(topic, partition);
          const logEndOffset = p ? p.highWatermark : -1;
          const committedOffset = offsets.get(topic)?.get(partition) ?? null;
          return { topic, partition, committedOffset, logEndOffset, lag: committedOffset !== null && p ? Math.max(0, logEndOffset - committedOffset) : null, memberId: owner.get(key) ?? null };
        });
        rows.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
        return { groupId: d.groupId, state: d.state, protocolType: d.protocolType, protocol: d.protocolData, members, offsets: rows };
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/v1/groups/:id',
      operationId: 'deleteGroup',
      tag: 'groups',
      summary: 'Delete an Empty group and its committed offsets',
      params: GroupIdParam,
      response: { status: 204, description: 'Deleted' },
      errors: ['TIDELOG_ERR_GROUP_NOT_FOUND', 'TIDELOG_ERR_GROUP_NOT_EMPTY', 'TIDELOG_ERR_COORDINATOR_NOT_AVAILABLE'],
      handle: async ({ params }) => {
        const errorCode = (await groups().deleteGroups([params.id])).get(params.id) ?? ErrorCode.UNKNOWN_SERVER_ERROR;
        if (errorCode === ErrorCode.NON_EMPTY_GROUP) throw new AdminError('TIDELOG_ERR_GROUP_NOT_EMPTY', `Group ${params.id} has active members; stop its consumers first.`);
        if (errorCode !== ErrorCode.NONE) throw fromKafkaError(errorCode, null, params.id);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/groups/:id/offsets/reset',
      operationId: 'resetGroupOffsets',
      tag: 'groups',
      summary: "Reset an Empty group's committed offsets",
      description:
        "to: 'earliest', 'latest', {timestamp} or {offset}. Only for a group without members (409 otherwise). A group that does not exist yet is created with the offsets when a topic is named.",
      params: GroupIdParam,
      body: ResetOffsetsBody,
      response: { status: 200, description: 'The offsets before and after (with dryRun: after, if it were run)', schema: ResetOffsetsSchema },
      errors: ['TIDELOG_ERR_GROUP_NOT_EMPTY', 'TIDELOG_ERR_TOPIC_NOT_FOUND', 'TIDELOG_ERR_NOTHING_TO_RESET', 'TIDELOG_ERR_COORDINATOR_NOT_AVAILABLE'],
      handle: async ({ params, body }) => {
        const groupId = params.id;
        const d = groups().describeGroup(groupId);
        if (d.errorCode !== ErrorCode.NONE) throw fromKafkaError(d.errorCode, null, groupId);
        if (d.state !== 'Empty' && d.state !== 'Dead') {
          throw new AdminError('TIDELOG_ERR_GROUP_NOT_EMPTY', `Group ${groupId} is ${d.state} with ${d.members.length} member(s); offsets can only be reset when it is Empty.`);
        }
        if (body.partitions && body.topic === undefined) throw new AdminError('TIDELOG_ERR_VALIDATION', 'partitions needs topic.', [{ path: 'body.partitions', message: 'only allowed with topic' }]);
        const current = committed(groupId);
        const targets: { topic: string; partition: number }[] = [];
        if (body.topic !== undefined) {
          const t = topics().getTopic(body.topic);
          if (!t) throw new AdminError('TIDELOG_ERR_TOPIC_NOT_FOUND', `Topic ${body.topic} does not exist.`);
          const wanted = body.partitions ? new Set(body.partitions) : null;
          for (const a of t.partitions) if (!wanted || wanted.has(a.partition)) targets.push({ topic: t.name, partition: a.partition });
          const missing = body.partitions?.filter((p) => !t.partitions.some((a) => a.partition === p)) ?? [];
          if (missing.length > 0) throw new AdminError('TIDELOG_ERR_TOPIC_NOT_FOUND', `Topic ${body.topic} has no partition ${missing.join(', ')}.`);
        } else {
          for (const [topic, byPartition] of current) for (const partition of byPartition.keys()) if (topics().partition(topic, partition)) targets.push({ topic, partition });
        }
        if (targets.length === 0) throw new AdminError('TIDELOG_ERR_NOTHING_TO_RESET', `Group ${groupId} has no committed offsets to reset; name a topic.`);
        const to = body.to;
        const offsets = targets.map(({ topic, partition }) => {
          const p = topics().partition(topic, partition)!;
          const start = p.logStartOffset;
          const end = p.highWatermark;
          let next: number;
          if (to === 'earliest') next = start;
          else if (to === 'latest') next = end;
          else if ('timestamp' in to) next = p.offsetForTimestamp(to.timestamp)?.offset ?? end;
          else next = to.offset;
          next = Math.min(Math.max(next, start), end);
          return { topic, partition, previousOffset: current.get(topic)?.get(partition) ?? null, newOffset: next };
        });
        offsets.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
        if (!body.dryRun) {
          const byTopic = new Map<string, { partition: number; offset: number; leaderEpoch: number; commitTimestampMs: number; metadata: string }[]>();
          for (const o of offsets) {
            let list = byTopic.get(o.topic);
            if (!list) byTopic.set(o.topic, (list = []));
            list.push({ partition: o.partition, offset: o.newOffset, leaderEpoch: -1, commitTimestampMs: -1, metadata: '' });
          }
          const results = await groups().commitOffsets({
            groupId,
            generationId: -1,
            memberId: '',
            groupInstanceId: null,
            retentionTimeMs: -1,
            topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
          });
          const failed = results.find((r) => r.errorCode !== ErrorCode.NONE);
          if (failed) throw fromKafkaError(failed.errorCode, null, groupId);
        }
        return { groupId, dryRun: body.dryRun ?? false, offsets };
      },
    }),
  ];
}
