// Replica placement against the examples of Kafka's AdminUtils.assignReplicasToBrokers
// documentation and the properties its AdminRackAwareTest checks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assignReplicasToBrokers, rackAlternatedBrokerList, type BrokerPlacement } from '../../src/cluster/replica-assignment.js';

const noRack = (...ids: number[]): BrokerPlacement[] => ids.map((id) => ({ id, rack: null }));

function assigned(brokers: BrokerPlacement[], partitions: number, rf: number, opts: Parameters<typeof assignReplicasToBrokers>[3] = {}): number[][] {
  const r = assignReplicasToBrokers(brokers, partitions, rf, opts);
  assert.ok(r.ok, r.ok ? '' : r.message);
  return [...r.assignment.entries()].sort((a, b) => a[0] - b[0]).map(([, replicas]) => [...replicas]);
}

/** A seeded generator (mulberry32), so that random placements are reproducible. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('replica assignment (Kafka AdminUtils.assignReplicasToBrokers)', () => {
  it('matches the rack-unaware example of the Kafka documentation (5 brokers, 10 partitions, RF 3)', () => {
    // broker-0  broker-1  broker-2  broker-3  broker-4
    // p0        p1        p2        p3        p4       (1st replica)
    // p5        p6        p7        p8        p9       (1st replica)
    // p4        p0        p1        p2        p3       (2nd replica)
    // p8        p9        p5        p6        p7       (2nd replica)
    // p3        p4        p0        p1        p2       (3nd replica)
    // p7        p8        p9        p5        p6       (3nd replica)
    const table = [
      ['p0', 'p1', 'p2', 'p3', 'p4'],
      ['p5', 'p6', 'p7', 'p8', 'p9'],
      ['p4', 'p0', 'p1', 'p2', 'p3'],
      ['p8', 'p9', 'p5', 'p6', 'p7'],
      ['p3', 'p4', 'p0', 'p1', 'p2'],
      ['p7', 'p8', 'p9', 'p5', 'p6'],
    ];
    const got = assigned(noRack(0, 1, 2, 3, 4), 10, 3, { fixedStartIndex: 0 });
    for (let p = 0; p < 10; p++) {
      for (let replica = 0; replica < 3; replica++) {
        const row = table[replica * 2 + (p >= 5 ? 1 : 0)]!;
        assert.equal(got[p]![replica], row.indexOf(`p${p}`), `p${p} replica ${replica + 1}`);
      }
    }
  });

  it('matches the rack-aware example: brokers alternated rack by rack', () => {
    // "0 -> rack1, 1 -> rack3, 2 -> rack3, 3 -> rack2, 4 -> rack2, 5 -> rack1" gives 0, 3, 1, 5, 4, 2
    const brokers: BrokerPlacement[] = [
      { id: 0, rack: 'rack1' },
      { id: 1, rack: 'rack3' },
      { id: 2, rack: 'rack3' },
      { id: 3, rack: 'rack2' },
      { id: 4, rack: 'rack2' },
      { id: 5, rack: 'rack1' },
    ];
    assert.deepEqual(rackAlternatedBrokerList(brokers), [0, 3, 1, 5, 4, 2]);
    // "0 = List(0, 3, 1), 1 = List(3, 1, 5), 2 = List(1, 5, 4), 3 = List(5, 4, 2), 4 = List(4, 2, 0), 5 = List(2, 0, 3)"
    assert.deepEqual(assigned(brokers, 6, 3, { fixedStartIndex: 0 }), [
      [0, 3, 1],
      [3, 1, 5],
      [1, 5, 4],
      [5, 4, 2],
      [4, 2, 0],
      [2, 0, 3],
    ]);
  });

  it('spreads leaders and replicas evenly, never two replicas of a partition on one broker or (with racks) one rack', () => {
    const random = seeded(7);
    for (let round = 0; round < 200; round++) {
      const n = 1 + Math.floor(random() * 9);
      const racks = Math.floor(random() * 4);
      const brokers = Array.from({ length: n }, (_, i) => ({ id: 100 + i * 3, rack: racks === 0 ? null : `r${i % racks}` }));
      const rf = 1 + Math.floor(random() * n);
      const partitions = n * (1 + Math.floor(random() * 4));
      const got = assigned(brokers, partitions, rf, { random });
      const leaders = new Map<number, number>();
      const replicas = new Map<number, number>();
      for (const list of got) {
        assert.equal(list.length, rf);
        assert.equal(new Set(list).size, rf, 'replicas on distinct brokers');
        if (racks > 0) {
          const distinctRacks = new Set(list.map((b) => brokers.find((x) => x.id === b)!.rack)).size;
          assert.equal(distinctRacks, Math.min(rf, new Set(brokers.map((b) => b.rack)).size), 'as many racks as possible');
        }
        leaders.set(list[0]!, (leaders.get(list[0]!) ?? 0) + 1);
        for (const b of list) replicas.set(b, (replicas.get(b) ?? 0) + 1);
      }
      // Partitions are a multiple of the broker count: every broker leads the same number.
      assert.deepEqual(new Set(leaders.values()), new Set([partitions / n]), `leaders even for ${JSON.stringify(brokers)} rf ${rf}`);
      if (racks === 0) assert.deepEqual(new Set(replicas.values()), new Set([(partitions * rf) / n]), 'replicas even');
    }
  });

  it("answers Kafka's errors", () => {
    const tooMany = assignReplicasToBrokers(noRack(1), 3, 3);
    assert.deepEqual(tooMany, { ok: false, reason: 'INVALID_REPLICATION_FACTOR', message: 'Replication factor: 3 larger than available brokers: 1.' });
    const partial = assignReplicasToBrokers([{ id: 1, rack: 'a' }, { id: 2, rack: null }], 1, 1);
    assert.deepEqual(partial, { ok: false, reason: 'INVALID_REPLICA_ASSIGNMENT', message: 'Not all brokers have rack information for replica rack aware assignment.' });
  });

  it('continues from startPartitionId when partitions are added', () => {
    const all = assigned(noRack(1, 2, 3), 6, 2, { fixedStartIndex: 1 });
    const added = assigned(noRack(1, 2, 3), 3, 2, { fixedStartIndex: 1, startPartitionId: 3 });
    assert.deepEqual(added, all.slice(3));
  });
});
