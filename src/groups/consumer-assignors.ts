// Server-side assignors of the consumer group protocol (KIP-848): `uniform` and `range`, after
// Kafka's org.apache.kafka.coordinator.group.assignor.UniformAssignor and RangeAssignor. They
// turn the group's members (their subscribed topic ids and current target assignment) and the
// partition counts of the subscribed topics into a new target assignment. Pure functions: no
// state, no I/O; the coordinator calls them on the JS thread when the group epoch moves.
//
// uniform: every partition of the subscribed topics goes to one subscribed member, the counts
//   differing by at most one between members with the same subscription (Kafka's optimized
//   builder for homogeneous groups); sticky: a member keeps its partitions up to its quota, so
//   a rebalance moves as few partitions as it can. Heterogeneous subscriptions are assigned
//   partition by partition to the least-loaded subscriber, keeping current owners first.
// range: per topic, the subscribed members sorted by member id get contiguous ranges of
//   partitions, the first (count % members) one more (the classic RangeAssignor's layout, which
//   co-partitions topics of the same partition count).

/** topic id → partitions, sorted ascending. */
export type Assignment = Map<string, number[]>;

export interface AssignorMember {
  readonly memberId: string;
  /** Topic ids the member is subscribed to (resolved names and regexes). */
  readonly subscribedTopicIds: ReadonlySet<string>;
  /** The member's current target assignment (stickiness). */
  readonly current: Assignment;
}

export interface AssignorTopic {
  readonly topicId: string;
  readonly name: string;
  readonly numPartitions: number;
}

export interface ConsumerAssignor {
  readonly name: string;
  assign(members: readonly AssignorMember[], topics: ReadonlyMap<string, AssignorTopic>): Map<string, Assignment>;
}

function emptyResult(members: readonly AssignorMember[]): Map<string, Assignment> {
  return new Map(members.map((m) => [m.memberId, new Map<string, number[]>()]));
}

function add(result: Map<string, Assignment>, memberId: string, topicId: string, partition: number): void {
  const a = result.get(memberId)!;
  let ps = a.get(topicId);
  if (!ps) a.set(topicId, (ps = []));
  ps.push(partition);
}

function sortAll(result: Map<string, Assignment>): Map<string, Assignment> {
  for (const a of result.values()) for (const ps of a.values()) ps.sort((x, y) => x - y);
  return result;
}

export const uniformAssignor: ConsumerAssignor = {
  name: 'uniform',
  assign(members, topics) {
    const result = emptyResult(members);
    if (members.length === 0) return result;
    // Members grouped by subscription: a quota is only meaningful between members that could
    // take the same partitions.
    const bySubscription = new Map<string, AssignorMember[]>();
    for (const m of members) {
      const key = [...m.subscribedTopicIds].filter((t) => topics.has(t)).sort().join(',');
      let list = bySubscription.get(key);
      if (!list) bySubscription.set(key, (list = []));
      list.push(m);
    }
    if (bySubscription.size === 1) {
      const group = [...bySubscription.values()][0]!;
      const topicIds = [...group[0]!.subscribedTopicIds].filter((t) => topics.has(t)).sort();
      const all: [string, number][] = [];
      for (const t of topicIds) for (let p = 0; p < topics.get(t)!.numPartitions; p++) all.push([t, p]);
      const n = group.length;
      const minQuota = Math.floor(all.length / n);
      let extra = all.length % n;
      const count = new Map<string, number>(group.map((m) => [m.memberId, 0]));
      const taken = new Set<string>();
      // Sticky: members keep what they had, up to their quota (minQuota, or one more while extras last).
      const ordered = [...group].sort((a, b) => a.memberId.localeCompare(b.memberId));
      for (const m of ordered) {
        const mine: [string, number][] = [];
        for (const [t, ps] of m.current) {
          const topic = topics.get(t);
          if (!topic || !m.subscribedTopicIds.has(t)) continue;
          for (const p of ps) if (p < topic.numPartitions) mine.push([t, p]);
        }
        let quota = minQuota;
        if (mine.length > minQuota && extra > 0) {
          quota++;
          extra--;
        }
        for (const [t, p] of mine.slice(0, quota)) {
          const k = `${t}:${p}`;
          if (taken.has(k)) continue;
          taken.add(k);
          add(result, m.memberId, t, p);
          count.set(m.memberId, count.get(m.memberId)! + 1);
        }
      }
      // Then the unassigned partitions, each to the member furthest below its quota.
      for (const [t, p] of all) {
        if (taken.has(`${t}:${p}`)) continue;
        let best: AssignorMember | null = null;
        for (const m of ordered) {
          const c = count.get(m.memberId)!;
          if (best === null || c < count.get(best.memberId)!) best = m;
        }
        add(result, best!.memberId, t, p);
        count.set(best!.memberId, count.get(best!.memberId)! + 1);
      }
      return sortAll(result);
    }
    // Heterogeneous: partition by partition, current owner first if it is not above the
    // subscribers' average, else the least-loaded subscriber.
    const count = new Map<string, number>(members.map((m) => [m.memberId, 0]));
    const owner = new Map<string, string>();
    for (const m of members) for (const [t, ps] of m.current) for (const p of ps) owner.set(`${t}:${p}`, m.memberId);
    const sortedTopics = [...topics.values()].sort((a, b) => a.name.localeCompare(b.name));
    for (const topic of sortedTopics) {
      const subscribers = members.filter((m) => m.subscribedTopicIds.has(topic.topicId)).sort((a, b) => a.memberId.localeCompare(b.memberId));
      if (subscribers.length === 0) continue;
      const average = Math.ceil(topic.numPartitions / subscribers.length);
      const perTopic = new Map<string, number>();
      for (let p = 0; p < topic.numPartitions; p++) {
        const current = owner.get(`${topic.topicId}:${p}`);
        let chosen = subscribers.find((m) => m.memberId === current && (perTopic.get(m.memberId) ?? 0) < average);
        if (!chosen) {
          chosen = subscribers[0]!;
          for (const m of subscribers) if (count.get(m.memberId)! < count.get(chosen.memberId)!) chosen = m;
        }
        perTopic.set(chosen.memberId, (perTopic.get(chosen.memberId) ?? 0) + 1);
        count.set(chosen.memberId, count.get(chosen.memberId)! + 1);
        add(result, chosen.memberId, topic.topicId, p);
      }
    }
    return sortAll(result);
  },
};

export const rangeAssignor: ConsumerAssignor = {
  name: 'range',
  assign(members, topics) {
    const result = emptyResult(members);
    for (const topic of topics.values()) {
      const subscribers = members.filter((m) => m.subscribedTopicIds.has(topic.topicId)).map((m) => m.memberId).sort();
      if (subscribers.length === 0) continue;
      const per = Math.floor(topic.numPartitions / subscribers.length);
      const extra = topic.numPartitions % subscribers.length;
      let next = 0;
      subscribers.forEach((memberId, i) => {
        const n = per + (i < extra ? 1 : 0);
        for (let k = 0; k < n; k++) add(result, memberId, topic.topicId, next++);
      });
    }
    return sortAll(result);
  },
};

/** Kafka's class names for the same assignors (group.consumer.assignors may list either). */
const CLASS_NAMES: Record<string, string> = {
  'org.apache.kafka.coordinator.group.assignor.UniformAssignor': 'uniform',
  'org.apache.kafka.coordinator.group.assignor.RangeAssignor': 'range',
};

/** The assignors of group.consumer.assignors, in order (the first is the default); throws on an unknown one. */
export function configuredAssignors(names: readonly string[]): ConsumerAssignor[] {
  return names.map((raw) => {
    const name = CLASS_NAMES[raw.trim()] ?? raw.trim();
    if (name === 'uniform') return uniformAssignor;
    if (name === 'range') return rangeAssignor;
    throw new Error(`unknown server-side assignor ${raw} in group.consumer.assignors (Tidelog has uniform and range)`);
  });
}
