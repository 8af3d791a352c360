// SharePartition (src/share/share-partition.ts) against a plain per-offset model, with a
// seeded random sequence of acquisitions, acknowledgements, releases and lock expiries, plus
// the rules one by one: delivery counts, the delivery limit, the start offset moving, and a
// snapshot that restores the same state (ACQUIRED persisted as AVAILABLE).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AcknowledgeType, RecordState, SharePartition } from '../../src/share/share-partition.js';

const LIMIT = 5;

function fresh(start = 0): SharePartition {
  return new SharePartition('g', '00000000-0000-0000-0000-000000000001', 't', 0, { stateEpoch: 0, startOffset: start, stateBatches: [] }, () => LIMIT);
}

test('acquire, ACCEPT, RELEASE, REJECT, GAP and the start offset', () => {
  const sp = fresh(10);
  assert.deepEqual(sp.acquire('a', 10, 14, 100).ranges, [{ firstOffset: 10, lastOffset: 14, deliveryCount: 1 }]);
  // Nothing more to acquire up to 14.
  assert.deepEqual(sp.acquire('b', 10, 14, 100).ranges, []);
  // Another member may not acknowledge a's records.
  assert.equal(sp.acknowledge('b', 10, 10, [AcknowledgeType.ACCEPT]), false);
  assert.equal(sp.acknowledge('a', 10, 11, [AcknowledgeType.ACCEPT]), true);
  assert.equal(sp.startOffset, 12);
  assert.equal(sp.acknowledge('a', 12, 14, [AcknowledgeType.RELEASE, AcknowledgeType.REJECT, AcknowledgeType.GAP]), true);
  assert.equal(sp.startOffset, 12, '12 was released: the start stays');
  assert.equal(sp.nextFetchOffset(), 12);
  assert.deepEqual(sp.acquire('b', 12, 20, 100).ranges, [
    { firstOffset: 12, lastOffset: 12, deliveryCount: 2 },
    { firstOffset: 15, lastOffset: 20, deliveryCount: 1 },
  ]);
  assert.equal(sp.acknowledge('b', 12, 12, [AcknowledgeType.ACCEPT]), true);
  assert.equal(sp.startOffset, 15, 'past the acknowledged and archived records');
  // Acknowledging twice is an invalid record state.
  assert.equal(sp.acknowledge('b', 12, 12, [AcknowledgeType.ACCEPT]), false);
  // A batch's types: one for all, or one per offset; anything else is refused whole.
  assert.equal(sp.acknowledge('b', 15, 17, [AcknowledgeType.ACCEPT, AcknowledgeType.ACCEPT]), false);
  assert.equal(sp.acquiredCount(), 6);
});

test('a record released past group.share.delivery.count.limit is archived', () => {
  const sp = fresh();
  for (let n = 1; n <= LIMIT; n++) {
    assert.deepEqual(sp.acquire(`m${n}`, 0, 0, 1).ranges, [{ firstOffset: 0, lastOffset: 0, deliveryCount: n }]);
    assert.equal(sp.acknowledge(`m${n}`, 0, 0, [AcknowledgeType.RELEASE]), true);
  }
  assert.deepEqual(sp.acquire('x', 0, 0, 1).ranges, []);
  assert.equal(sp.startOffset, 1, 'archived at the start: the start moved past it');
});

test('an expired lock, or a member leaving, makes its records available again', () => {
  const sp = fresh();
  const first = sp.acquire('a', 0, 3, 2);
  assert.deepEqual(first.ranges, [{ firstOffset: 0, lastOffset: 1, deliveryCount: 1 }]);
  const second = sp.acquire('a', 2, 3, 10);
  assert.equal(sp.releaseAcquisition(first.acquisition), 2);
  assert.deepEqual(sp.acquire('b', 0, 3, 10).ranges, [{ firstOffset: 0, lastOffset: 1, deliveryCount: 2 }]);
  assert.equal(sp.releaseAcquisition(first.acquisition), 0, 'an old lock does not touch a newer acquisition');
  assert.equal(sp.releaseMember('a'), 2);
  assert.equal(sp.releaseAcquisition(second.acquisition), 0);
  assert.deepEqual(sp.counts(), { available: 2, acquired: 2, acknowledged: 0, archived: 0 });
});

test('a snapshot restores the same state, acquired records as available', () => {
  const sp = fresh(100);
  sp.acquire('a', 100, 109, 100);
  sp.acknowledge('a', 100, 100, [AcknowledgeType.RELEASE]);
  sp.acknowledge('a', 101, 102, [AcknowledgeType.ACCEPT, AcknowledgeType.REJECT]);
  sp.acknowledge('a', 105, 105, [AcknowledgeType.ACCEPT]);
  const snap = sp.snapshot();
  assert.equal(snap.startOffset, 100);
  assert.deepEqual(snap.stateBatches, [
    { firstOffset: 100, lastOffset: 100, deliveryState: RecordState.AVAILABLE, deliveryCount: 1 },
    { firstOffset: 101, lastOffset: 101, deliveryState: RecordState.ACKNOWLEDGED, deliveryCount: 1 },
    { firstOffset: 102, lastOffset: 102, deliveryState: RecordState.ARCHIVED, deliveryCount: 1 },
    { firstOffset: 103, lastOffset: 104, deliveryState: RecordState.AVAILABLE, deliveryCount: 1 },
    { firstOffset: 105, lastOffset: 105, deliveryState: RecordState.ACKNOWLEDGED, deliveryCount: 1 },
    { firstOffset: 106, lastOffset: 109, deliveryState: RecordState.AVAILABLE, deliveryCount: 1 },
  ]);
  const restored = new SharePartition('g', 't-id', 't', 0, snap, () => LIMIT);
  assert.deepEqual(restored.snapshot(), snap);
  assert.deepEqual(restored.acquire('b', 100, 120, 100).ranges, [
    { firstOffset: 100, lastOffset: 100, deliveryCount: 2 },
    { firstOffset: 103, lastOffset: 104, deliveryCount: 2 },
    { firstOffset: 106, lastOffset: 109, deliveryCount: 2 },
    { firstOffset: 110, lastOffset: 120, deliveryCount: 1 },
  ]);
});

test('seeded random operations agree with a per-offset model', () => {
  let seed = 0x5eed;
  const rand = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  type M = { state: 'avail' | 'acq' | 'done'; count: number; member: string | null; acq: number };
  for (let round = 0; round < 20; round++) {
    const sp = fresh();
    const model = new Map<number, M>();
    const acqs: number[] = [];
    const members = ['a', 'b', 'c'];
    let logEnd = 0;
    for (let step = 0; step < 300; step++) {
      const op = rand(5);
      if (op === 0) {
        logEnd += rand(5);
      } else if (op === 1 && logEnd > 0) {
        const m = members[rand(3)]!;
        const max = 1 + rand(6);
        const from = sp.nextFetchOffset();
        const got = sp.acquire(m, from, logEnd - 1, max);
        let n = 0;
        const expected: number[] = [];
        for (let o = from; o < logEnd && n < max; o++) {
          const r = model.get(o) ?? { state: 'avail', count: 0, member: null, acq: 0 };
          if (r.state === 'avail') {
            expected.push(o);
            model.set(o, { state: 'acq', count: r.count + 1, member: m, acq: got.acquisition });
            n++;
          }
        }
        assert.deepEqual(got.ranges.flatMap((x) => Array.from({ length: x.lastOffset - x.firstOffset + 1 }, (_, i) => x.firstOffset + i)), expected);
        for (const x of got.ranges) for (let o = x.firstOffset; o <= x.lastOffset; o++) assert.equal(model.get(o)!.count, x.deliveryCount);
        acqs.push(got.acquisition);
      } else if (op === 2) {
        const held = [...model].filter(([, r]) => r.state === 'acq');
        if (held.length === 0) continue;
        const [o, r] = held[rand(held.length)]!;
        const type = 1 + rand(3);
        assert.equal(sp.acknowledge(r.member!, o, o, [type]), true);
        if (type === AcknowledgeType.RELEASE) model.set(o, { ...r, state: r.count >= LIMIT ? 'done' : 'avail', member: null });
        else model.set(o, { ...r, state: 'done', member: null });
      } else if (op === 3 && acqs.length > 0) {
        const acq = acqs[rand(acqs.length)]!;
        let n = 0;
        for (const [o, r] of model) {
          if (r.state === 'acq' && r.acq === acq) {
            model.set(o, { ...r, state: r.count >= LIMIT ? 'done' : 'avail', member: null });
            n++;
          }
        }
        assert.equal(sp.releaseAcquisition(acq), n);
      } else if (op === 4) {
        // A wrong member's acknowledgement changes nothing.
        const held = [...model].filter(([, r]) => r.state === 'acq');
        if (held.length === 0) continue;
        const [o, r] = held[rand(held.length)]!;
        assert.equal(sp.acknowledge(`${r.member}-other`, o, o, [AcknowledgeType.ACCEPT]), false);
      }
      let start = 0;
      while (model.get(start)?.state === 'done') start++;
      assert.equal(sp.startOffset, start, `round ${round} step ${step}`);
      const c = sp.counts();
      assert.equal(c.acquired, [...model.values()].filter((r) => r.state === 'acq').length);
    }
  }
});
