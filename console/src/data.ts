// Loads shared by several pages: every topic with its partitions (list, then each topic's
// detail; a topic deleted between the two is left out), and partition health counts.
import { api, type TopicDetail, type TopicSummary } from './api';

/** Details are fetched for at most this many topics per refresh; the rest show their summary only. */
export const DETAILED_TOPICS_MAX = 200;

export interface TopicsLoad {
  summaries: TopicSummary[];
  details: Map<string, TopicDetail>;
}

export async function loadTopics(): Promise<TopicsLoad> {
  const { topics } = await api<{ topics: TopicSummary[] }>('listTopics');
  const settled = await Promise.allSettled(topics.slice(0, DETAILED_TOPICS_MAX).map((t) => api<TopicDetail>('describeTopic', { params: { name: t.name } })));
  const details = new Map<string, TopicDetail>();
  for (const s of settled) if (s.status === 'fulfilled') details.set(s.value.name, s.value);
  return { summaries: topics, details };
}

export function partitionHealth(details: Iterable<TopicDetail>): { partitions: number; underReplicated: number; offline: number; sizeBytes: number } {
  let partitions = 0;
  let underReplicated = 0;
  let offline = 0;
  let sizeBytes = 0;
  for (const t of details) {
    for (const p of t.partitions) {
      partitions++;
      if (p.leader < 0) offline++;
      else if (p.isr.length < p.replicas.length) underReplicated++;
      sizeBytes += Math.max(0, p.sizeBytes);
    }
  }
  return { partitions, underReplicated, offline, sizeBytes };
}
