// Replica placement at topic creation, after Kafka's AdminUtils.assignReplicasToBrokers:
// 1. Spread replicas evenly among brokers.
// 2. For each partition, put its replicas on different brokers (and, with racks, different racks).
// The first replica of each partition goes round-robin from a random start; the followers
// are shifted by an amount that grows each time the round-robin wraps, so that partitions
// with the same leader have different followers. With broker.rack set, the brokers are first
// interleaved rack by rack ("rack-alternated") and a follower is skipped while a rack or a
// broker without a replica of that partition remains. Kafka's RackAwareMode.Enforced: either
// every broker has a rack or none does.

export interface BrokerPlacement {
  readonly id: number;
  readonly rack: string | null;
}

/** The outcome: replicas per partition, or an error with Kafka's message. */
export type AssignmentResult =
  | { readonly ok: true; readonly assignment: ReadonlyMap<number, readonly number[]> }
  | { readonly ok: false; readonly reason: 'INVALID_REPLICATION_FACTOR' | 'INVALID_PARTITIONS' | 'INVALID_REPLICA_ASSIGNMENT'; readonly message: string };

export interface AssignOptions {
  /** Kafka's fixedStartIndex: both the start and the first shift; -1 draws them at random. */
  readonly fixedStartIndex?: number;
  /** First partition id to assign (when adding partitions). */
  readonly startPartitionId?: number;
  /** For reproducible draws; Math.random by default. */
  readonly random?: () => number;
}

function replicaIndex(firstReplicaIndex: number, secondReplicaShift: number, replica: number, nBrokers: number): number {
  const shift = 1 + ((secondReplicaShift + replica) % (nBrokers - 1));
  return (firstReplicaIndex + shift) % nBrokers;
}

/** Kafka's getRackAlternatedBrokerList: one broker of each rack in turn (racks and brokers sorted). */
export function rackAlternatedBrokerList(brokers: readonly BrokerPlacement[]): number[] {
  const byRack = new Map<string, number[]>();
  for (const b of [...brokers].sort((x, y) => x.id - y.id)) {
    const list = byRack.get(b.rack!) ?? [];
    list.push(b.id);
    byRack.set(b.rack!, list);
  }
  const racks = [...byRack.keys()].sort();
  const cursors = new Map(racks.map((r) => [r, 0]));
  const out: number[] = [];
  for (let rackIndex = 0; out.length < brokers.length; rackIndex = (rackIndex + 1) % racks.length) {
    const rack = racks[rackIndex]!;
    const at = cursors.get(rack)!;
    const list = byRack.get(rack)!;
    if (at < list.length) {
      out.push(list[at]!);
      cursors.set(rack, at + 1);
    }
  }
  return out;
}

export function assignReplicasToBrokers(brokers: readonly BrokerPlacement[], nPartitions: number, replicationFactor: number, options: AssignOptions = {}): AssignmentResult {
  const fixedStartIndex = options.fixedStartIndex ?? -1;
  const startPartitionId = options.startPartitionId ?? -1;
  const random = options.random ?? Math.random;
  const draw = (n: number) => Math.floor(random() * n);
  if (nPartitions <= 0) return { ok: false, reason: 'INVALID_PARTITIONS', message: 'Number of partitions must be larger than 0.' };
  if (replicationFactor <= 0) return { ok: false, reason: 'INVALID_REPLICATION_FACTOR', message: 'Replication factor must be larger than 0.' };
  if (replicationFactor > brokers.length) {
    return { ok: false, reason: 'INVALID_REPLICATION_FACTOR', message: `Replication factor: ${replicationFactor} larger than available brokers: ${brokers.length}.` };
  }
  const racked = brokers.filter((b) => b.rack !== null).length;
  if (racked !== 0 && racked !== brokers.length) {
    return { ok: false, reason: 'INVALID_REPLICA_ASSIGNMENT', message: 'Not all brokers have rack information for replica rack aware assignment.' };
  }
  const out = new Map<number, number[]>();
  if (racked === 0) {
    const brokerArray = [...brokers].map((b) => b.id).sort((a, b) => a - b);
    const n = brokerArray.length;
    const startIndex = fixedStartIndex >= 0 ? fixedStartIndex : draw(n);
    let currentPartitionId = Math.max(0, startPartitionId);
    let nextReplicaShift = fixedStartIndex >= 0 ? fixedStartIndex : draw(n);
    for (let i = 0; i < nPartitions; i++) {
      if (currentPartitionId > 0 && currentPartitionId % n === 0) nextReplicaShift += 1;
      const firstReplicaIndex = (currentPartitionId + startIndex) % n;
      const replicas = [brokerArray[firstReplicaIndex]!];
      for (let j = 0; j < replicationFactor - 1; j++) replicas.push(brokerArray[replicaIndex(firstReplicaIndex, nextReplicaShift, j, n)]!);
      out.set(currentPartitionId, replicas);
      currentPartitionId += 1;
    }
    return { ok: true, assignment: out };
  }
  const rackOf = new Map(brokers.map((b) => [b.id, b.rack!]));
  const numRacks = new Set(rackOf.values()).size;
  const arranged = rackAlternatedBrokerList(brokers);
  const n = arranged.length;
  const startIndex = fixedStartIndex >= 0 ? fixedStartIndex : draw(n);
  let currentPartitionId = Math.max(0, startPartitionId);
  let nextReplicaShift = fixedStartIndex >= 0 ? fixedStartIndex : draw(n);
  for (let i = 0; i < nPartitions; i++) {
    if (currentPartitionId > 0 && currentPartitionId % n === 0) nextReplicaShift += 1;
    const firstReplicaIndex = (currentPartitionId + startIndex) % n;
    const leader = arranged[firstReplicaIndex]!;
    const replicas = [leader];
    const racksWithReplicas = new Set([rackOf.get(leader)!]);
    const brokersWithReplicas = new Set([leader]);
    let k = 0;
    for (let j = 0; j < replicationFactor - 1; j++) {
      for (;;) {
        const broker = arranged[replicaIndex(firstReplicaIndex, nextReplicaShift * numRacks, k, n)]!;
        const rack = rackOf.get(broker)!;
        k += 1;
        // Skip a broker whose rack already has a replica while a rack has none, or that already
        // has a replica while a broker has none.
        if ((!racksWithReplicas.has(rack) || racksWithReplicas.size === numRacks) && (!brokersWithReplicas.has(broker) || brokersWithReplicas.size === n)) {
          replicas.push(broker);
          racksWithReplicas.add(rack);
          brokersWithReplicas.add(broker);
          break;
        }
      }
    }
    out.set(currentPartitionId, replicas);
    currentPartitionId += 1;
  }
  return { ok: true, assignment: out };
}
