// Share group routes (KIP-932): the cluster's share groups with their state, and one group
// with its epochs, members (subscriptions and assigned partitions) and per share-partition
// start offset and lag. Over the Kafka protocol to the group's coordinator, as Kafka's Admin
// client (client/share-group-admin.ts, shared with `tidelog share-groups`).
import { z } from 'zod';
import { KafkaClientError } from '../../client/kafka-client.js';
import { describeShareGroup, listShareGroups, shareGroupOffsets } from '../../client/share-group-admin.js';
import { AdminError, fromKafkaError } from '../errors.js';
import type { AdminContext } from '../context.js';
import { defineRoute, type AdminRoute } from '../route.js';

const GroupIdParam = z.object({ id: z.string().describe('Share group id') });

export const ShareGroupListSchema = z.object({
  groups: z.array(z.object({ groupId: z.string(), state: z.string().describe('Empty or Stable') })),
});

export const ShareGroupDetailSchema = z.object({
  groupId: z.string(),
  state: z.string().describe('Empty or Stable'),
  groupEpoch: z.number().int(),
  assignmentEpoch: z.number().int(),
  assignor: z.string().describe("The share-group assignor ('simple')"),
  members: z.array(
    z.object({
      memberId: z.string(),
      memberEpoch: z.number().int(),
      clientId: z.string(),
      clientHost: z.string(),
      subscribedTopics: z.array(z.string()),
      assignment: z.array(z.object({ topic: z.string(), partitions: z.array(z.number().int()) })).describe('Partitions assigned (several members may share one)'),
    }),
  ),
  offsets: z.array(
    z.object({
      topic: z.string(),
      partition: z.number().int(),
      startOffset: z.number().int().describe('The share-partition start offset (-1: not initialized)'),
      lag: z.number().int().describe('Records at or past the start offset not yet acknowledged or archived (-1: unknown)'),
    }),
  ),
});

async function overKafka<T>(ctx: AdminContext, subject: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof AdminError) throw err;
    if (err instanceof KafkaClientError && err.errorCode !== undefined) throw fromKafkaError(err.errorCode, null, subject);
    throw new AdminError('TIDELOG_ERR_COORDINATOR_NOT_AVAILABLE', `${subject}: ${(err as Error).message}`);
  }
}

export function shareGroupRoutes(ctx: AdminContext): AdminRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/v1/share-groups',
      operationId: 'listShareGroups',
      tag: 'share-groups',
      summary: 'All share groups (KIP-932) of the cluster with their state',
      response: { status: 200, description: 'The share groups, by id', schema: ShareGroupListSchema },
      errors: ['TIDELOG_ERR_COORDINATOR_NOT_AVAILABLE'],
      handle: () => overKafka(ctx, 'ListGroups', async () => ({ groups: await listShareGroups(await ctx.kafkaClient()) })),
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/share-groups/:id',
      operationId: 'describeShareGroup',
      tag: 'share-groups',
      summary: 'A share group: epochs, members with their assignments, start offset and lag per share-partition',
      params: GroupIdParam,
      response: { status: 200, description: 'The share group', schema: ShareGroupDetailSchema },
      errors: ['TIDELOG_ERR_GROUP_NOT_FOUND', 'TIDELOG_ERR_COORDINATOR_NOT_AVAILABLE'],
      handle: ({ params }) =>
        overKafka(ctx, params.id, async () => {
          const client = await ctx.kafkaClient();
          const { group } = await describeShareGroup(client, params.id);
          const offsets = await shareGroupOffsets(client, params.id);
          return {
            groupId: group.groupId,
            state: group.groupState,
            groupEpoch: group.groupEpoch,
            assignmentEpoch: group.assignmentEpoch,
            assignor: group.assignorName,
            members: group.members.map((m) => ({
              memberId: m.memberId,
              memberEpoch: m.memberEpoch,
              clientId: m.clientId,
              clientHost: m.clientHost,
              subscribedTopics: m.subscribedTopicNames,
              assignment: m.assignment.topicPartitions.map((t) => ({ topic: t.topicName, partitions: [...t.partitions].sort((a, b) => a - b) })),
            })),
            offsets: offsets.map((o) => ({ topic: o.topic, partition: o.partition, startOffset: o.startOffset, lag: o.lag })),
          };
        }),
    }),
  ];
}
