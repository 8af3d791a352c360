// Consumer group routes: list, describe (state, protocol, members with their assignments,
// committed offset and lag per partition), delete, and offset resets, for every group of the
// cluster from any broker: each goes over the Kafka protocol to the group's coordinator and
// the partitions' leaders (GroupAdmin, shared with `tidelog consumer-groups`), as Kafka's
// AdminClient does. A reset is an OffsetCommit outside group management (generation -1, no
// member), which the coordinator only accepts for a group without members, so a consumer that
// joins meanwhile cannot be rewound under it.
import { z } from 'zod';
import { ErrorCode } from '../../protocol/errors.js';
import { KafkaClientError } from '../../client/kafka-client.js';
import type { GroupAdmin, ResetTarget as PlannedTarget } from '../../client/group-admin.js';
import { AdminError, fromKafkaError } from '../errors.js';
import type { AdminContext } from '../context.js';
import { defineRoute, type AdminRoute } from '../route.js';

const GroupIdParam = z.object({ id: z.string().describe('Group id') });

export const GroupSummarySchema = z.object({
  groupId: z.string(),
  state: z.string().describe('Classic groups: Empty, PreparingRebalance, CompletingRebalance, Stable; consumer groups (KIP-848): Empty, Assigning, Reconciling, Stable'),
  protocolType: z.string().describe("'consumer' for consumer groups; '' for groups that only store offsets"),
  groupType: z.string().describe("'classic' (JoinGroup/SyncGroup) or 'consumer' (the KIP-848 consumer group protocol)"),
});
export const GroupListSchema = z.object({ groups: z.array(GroupSummarySchema) });

export const MemberSchema = z.object({
  memberId: z.string(),
  groupInstanceId: z.string().nullable().describe('KIP-345 static member id, or null'),
  clientId: z.string(),
  clientHost: z.string(),
  assignment: z.array(z.object({ topic: z.string(), partitions: z.array(z.number().int()) })).describe('Assigned partitions (consumer groups, Stable state)'),
  memberEpoch: z.number().int().nullable().describe('KIP-848 groups: the member epoch; null for classic groups'),
  targetAssignment: z.array(z.object({ topic: z.string(), partitions: z.array(z.number().int()) })).nullable().describe('KIP-848 groups: the partitions the member is reconciling towards; null for classic groups'),
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
  protocol: z.string().describe('The assignor chosen for the current generation (Stable classic groups), or the server-side assignor of a consumer group (uniform, range)'),
  groupType: z.string().describe("'classic' or 'consumer' (KIP-848)"),
  groupEpoch: z.number().int().nullable().describe('KIP-848 groups: the group epoch; null for classic groups'),
  assignmentEpoch: z.number().int().nullable().describe('KIP-848 groups: the epoch of the target assignment; null for classic groups'),
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

/**
 * Runs a cluster call for a route: a Kafka error becomes the matching admin error, a broker
 * that cannot be reached a 503.
 */
async function overKafka<T>(ctx: AdminContext, subject: string, call: (admin: GroupAdmin) => Promise<T>): Promise<T> {
  try {
    return await call(await ctx.groupAdmin());
  } catch (err) {
    if (err instanceof AdminError) throw err;
    if (err instanceof KafkaClientError && err.errorCode !== undefined) throw fromKafkaError(err.errorCode, null, subject);
    throw new AdminError('TIDELOG_ERR_COORDINATOR_NOT_AVAILABLE', `${subject}: ${(err as Error).message}`);
  }
}

function plannedTarget(to: z.infer<typeof ResetTarget>): PlannedTarget {
  if (to === 'earliest') return { kind: 'earliest' };
  if (to === 'latest') return { kind: 'latest' };
  if ('timestamp' in to) return { kind: 'timestamp', timestampMs: to.timestamp };
  return { kind: 'offset', offset: to.offset };
}

export function groupRoutes(ctx: AdminContext): AdminRoute[] {
  const describe = (admin: GroupAdmin, groupId: string) =>
    admin.describe(groupId).then((d) => {
      if (d.state === 'Dead' || d.state === '') throw new AdminError('TIDELOG_ERR_GROUP_NOT_FOUND', `Group ${groupId} does not exist.`);
      return d;
    });

  return [
    defineRoute({
      method: 'GET',
      url: '/v1/groups',
      operationId: 'listGroups',
      tag: 'groups',
      summary: 'All consumer groups of the cluster with their state',
      response: { status: 200, description: 'The groups, by id', schema: GroupListSchema },
      errors: ['TIDELOG_ERR_COORDINATOR_NOT_AVAILABLE'],
      handle: () => overKafka(ctx, 'ListGroups', async (admin) => ({ groups: await admin.listGroups() })),
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
      handle: ({ params }) =>
        overKafka(ctx, params.id, async (admin) => {
          const d = await describe(admin, params.id);
          const offsets = (await admin.offsets(d)).map((o) => ({
            topic: o.topic,
            partition: o.partition,
            committedOffset: o.committedOffset,
            logEndOffset: o.logEndOffset ?? -1,
            lag: o.lag,
            memberId: o.member?.memberId ?? null,
          }));
          const copy = (a: readonly { topic: string; partitions: readonly number[] }[]) => a.map((x) => ({ topic: x.topic, partitions: [...x.partitions] }));
          return {
            groupId: d.groupId,
            state: d.state,
            protocolType: d.protocolType,
            protocol: d.protocol,
            groupType: d.groupType,
            groupEpoch: d.groupEpoch,
            assignmentEpoch: d.assignmentEpoch,
            members: d.members.map((m) => ({ ...m, assignment: copy(m.assignment), targetAssignment: m.targetAssignment ? copy(m.targetAssignment) : null })),
            offsets,
          };
        }),
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
      handle: ({ params }) =>
        overKafka(ctx, params.id, async (admin) => {
          const errorCode = await admin.deleteGroup(params.id);
          if (errorCode === ErrorCode.NON_EMPTY_GROUP) throw new AdminError('TIDELOG_ERR_GROUP_NOT_EMPTY', `Group ${params.id} has active members; stop its consumers first.`);
          if (errorCode !== ErrorCode.NONE) throw fromKafkaError(errorCode, null, params.id);
        }),
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
      handle: ({ params, body }) =>
        overKafka(ctx, params.id, async (admin) => {
          const groupId = params.id;
          const d = await admin.describe(groupId);
          if (d.state !== 'Empty' && d.state !== 'Dead') {
            throw new AdminError('TIDELOG_ERR_GROUP_NOT_EMPTY', `Group ${groupId} is ${d.state} with ${d.members.length} member(s); offsets can only be reset when it is Empty.`);
          }
          if (body.partitions && body.topic === undefined) throw new AdminError('TIDELOG_ERR_VALIDATION', 'partitions needs topic.', [{ path: 'body.partitions', message: 'only allowed with topic' }]);
          const partitionsOf = (topic: string) =>
            admin.partitionsOf(topic).catch((err: unknown) => {
              if (err instanceof KafkaClientError && err.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return null;
              throw err;
            });
          const targets: { topic: string; partition: number }[] = [];
          if (body.topic !== undefined) {
            const existing = await partitionsOf(body.topic);
            if (!existing) throw new AdminError('TIDELOG_ERR_TOPIC_NOT_FOUND', `Topic ${body.topic} does not exist.`);
            const missing = body.partitions?.filter((p) => !existing.includes(p)) ?? [];
            if (missing.length > 0) throw new AdminError('TIDELOG_ERR_TOPIC_NOT_FOUND', `Topic ${body.topic} has no partition ${missing.join(', ')}.`);
            for (const partition of body.partitions ?? existing) targets.push({ topic: body.topic, partition });
          } else {
            for (const [topic, byPartition] of await admin.committed(groupId)) {
              const existing = await partitionsOf(topic);
              for (const partition of byPartition.keys()) if (existing?.includes(partition)) targets.push({ topic, partition });
            }
          }
          if (targets.length === 0) throw new AdminError('TIDELOG_ERR_NOTHING_TO_RESET', `Group ${groupId} has no committed offsets to reset; name a topic.`);
          const offsets = await admin.planReset(groupId, targets, plannedTarget(body.to));
          if (!body.dryRun) {
            const failed = (await admin.commit(groupId, offsets)).find((r) => r.errorCode !== ErrorCode.NONE);
            if (failed?.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) throw new AdminError('TIDELOG_ERR_GROUP_NOT_EMPTY', `Group ${groupId} got members meanwhile; offsets can only be reset when it is Empty.`);
            if (failed) throw fromKafkaError(failed.errorCode, null, groupId);
          }
          return { groupId, dryRun: body.dryRun ?? false, offsets };
        }),
    }),
  ];
}
