// What ShareFetch (78) and ShareAcknowledge (79) share: resolving and authorizing their
// partitions, the current leader of each, and the endpoints of the leaders of partitions
// answered NOT_LEADER_OR_FOLLOWER.
import { ErrorCode } from '../../protocol/errors.js';
import { brokersOnListener } from '../../cluster/cluster-view.js';
import type { RequestContext } from './handler.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';

export interface ResolvedPartition {
  readonly topicId: string;
  readonly partition: number;
  /** NONE when it may be served here; else UNKNOWN_TOPIC_ID, TOPIC_AUTHORIZATION_FAILED. */
  readonly errorCode: number;
}

/** Resolves topic ids and checks READ on each topic (one check per topic). */
export function resolvePartitions(ctx: RequestContext, topics: readonly { topicId: string; partitions: readonly number[] }[]): ResolvedPartition[] {
  const out: ResolvedPartition[] = [];
  for (const t of topics) {
    const meta = ctx.services.topics.getTopicById(t.topicId);
    const errorCode = !meta ? ErrorCode.UNKNOWN_TOPIC_ID : !authorize(ctx, AclOperation.READ, ResourceType.TOPIC, meta.name) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.NONE;
    for (const p of t.partitions) out.push({ topicId: t.topicId, partition: p, errorCode });
  }
  return out;
}

/** The partition's leader and epoch as this broker knows them ({-1, -1} when unknown). */
export function currentLeader(ctx: RequestContext, topicId: string, partition: number): { leaderId: number; leaderEpoch: number } {
  const meta = ctx.services.topics.getTopicById(topicId);
  if (!meta) return { leaderId: -1, leaderEpoch: -1 };
  const state = ctx.services.metadata.partitionState?.(meta.name, partition);
  if (state) return { leaderId: state.leader, leaderEpoch: state.leaderEpoch };
  const p = ctx.services.topics.partition(meta.name, partition);
  return p ? { leaderId: p.leaderId, leaderEpoch: p.leaderEpoch } : { leaderId: -1, leaderEpoch: -1 };
}

/** NodeEndpoints: the listener's endpoints of the given brokers. */
export function nodeEndpoints(ctx: RequestContext, ids: Iterable<number>): { nodeId: number; host: string; port: number; rack: string | null }[] {
  const wanted = new Set(ids);
  return brokersOnListener(ctx.services.cluster, ctx.connection.listener.name)
    .filter((b) => wanted.has(b.id))
    .map((b) => ({ nodeId: b.id, host: b.host, port: b.port, rack: b.rack }));
}

/** Groups per-partition results by topic id, in first-seen order. */
export function byTopic<T extends { topicId: string }>(items: readonly T[]): { topicId: string; partitions: Omit<T, 'topicId'>[] }[] {
  const m = new Map<string, Omit<T, 'topicId'>[]>();
  for (const { topicId, ...rest } of items) {
    let list = m.get(topicId);
    if (!list) m.set(topicId, (list = []));
    list.push(rest);
  }
  return [...m].map(([topicId, partitions]) => ({ topicId, partitions }));
}
