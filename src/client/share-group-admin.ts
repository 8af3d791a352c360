// Share groups (KIP-932) as Kafka's Admin client reads them: the share groups of the cluster
// (ListGroups v5, type "share", on every broker), one group's members and epochs
// (ShareGroupDescribe) and its share-partitions' start offsets and lag
// (DescribeShareGroupOffsets), each from the group's coordinator. Shared by
// `tidelog share-groups` and the admin API's share-group routes. Kafka errors are thrown as
// KafkaClientError with their code.
import { ApiKey } from '../protocol/generated/index.js';
import { ErrorCode, errorName } from '../protocol/errors.js';
import { KafkaClientError, type BrokerConnection, type KafkaClient } from './kafka-client.js';
import type { DescribedGroup } from '../protocol/generated/share-group-describe-response.js';

export interface ShareGroupListing {
  readonly groupId: string;
  readonly state: string;
}

export interface SharePartitionOffset {
  readonly topic: string;
  readonly partition: number;
  readonly startOffset: number;
  readonly leaderEpoch: number;
  readonly lag: number;
}

export async function listShareGroups(client: KafkaClient): Promise<ShareGroupListing[]> {
  await client.metadata([]);
  const out: ShareGroupListing[] = [];
  for (const b of client.knownBrokers()) {
    const conn = await client.broker(b.nodeId);
    const res = await conn.send(ApiKey.ListGroups, conn.version(ApiKey.ListGroups, 5, 5, 'ListGroups'), { statesFilter: [], typesFilter: ['share'] });
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaClientError(`${conn.address} answered ListGroups with ${errorName(res.errorCode)}`, res.errorCode);
    for (const g of res.groups) out.push({ groupId: g.groupId, state: g.groupState });
  }
  return out.sort((a, b) => a.groupId.localeCompare(b.groupId));
}

/** The group as its coordinator describes it, with the coordinator's connection. */
export async function describeShareGroup(client: KafkaClient, groupId: string): Promise<{ conn: BrokerConnection; group: DescribedGroup }> {
  const conn = await client.coordinator(groupId);
  const res = await conn.send(ApiKey.ShareGroupDescribe, conn.version(ApiKey.ShareGroupDescribe, 1, 1, 'ShareGroupDescribe'), { groupIds: [groupId], includeAuthorizedOperations: false });
  const group = res.groups[0]!;
  if (group.errorCode !== ErrorCode.NONE) throw new KafkaClientError(group.errorMessage ?? `cannot describe share group '${groupId}': ${errorName(group.errorCode)}`, group.errorCode);
  return { conn, group };
}

export async function shareGroupOffsets(client: KafkaClient, groupId: string): Promise<SharePartitionOffset[]> {
  const conn = await client.coordinator(groupId);
  const res = await conn.send(ApiKey.DescribeShareGroupOffsets, conn.version(ApiKey.DescribeShareGroupOffsets, 0, 1, 'DescribeShareGroupOffsets'), { groups: [{ groupId, topics: null }] });
  const g = res.groups[0]!;
  if (g.errorCode !== ErrorCode.NONE) throw new KafkaClientError(g.errorMessage ?? `cannot describe offsets of share group '${groupId}': ${errorName(g.errorCode)}`, g.errorCode);
  return g.topics
    .flatMap((t) => t.partitions.map((p) => ({ topic: t.topicName, partition: p.partitionIndex, startOffset: p.startOffset, leaderEpoch: p.leaderEpoch, lag: p.lag })))
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}
