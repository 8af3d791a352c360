// Partition's transactions over a real log in a temp dir, without a broker process: the last
// stable offset while transactions are open, after their markers, and while a marker is not
// yet replicated; read_committed reads bounded by it, with the aborted transactions of the
// range read from the segments' txn indexes; the marker's refusals (Kafka's errors); a
// follower applying the leader's bytes (markers and index entries included); and a reopen
// that restores open transactions from the snapshot, or, without one, from the log, writing
// back a txn index entry the crash lost; the log cleaner never cleaning at or past the last
// stable offset, removing a marker once its transaction's data is gone and delete.retention.ms
// passed, and keeping a producer's last batch (empty) so a reopen from the log keeps its
// sequence.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { buildBrokerConfig } from '../../src/config/broker-config.js';
import { effectiveTopicConfig } from '../../src/config/topic-config.js';
import { openLog, Partition } from '../../src/partition/partition.js';
import { crc32c, recordBatch } from '../helpers/batch.js';
import { decodeBatches } from './records.js';

const BROKER = 0;
const EXPIRATION_MS = 86_400_000;
const dirs: string[] = [];
const open: Partition[] = [];

function partition(dir = mkdtempSync(path.join(os.tmpdir(), 'tidelog-partition-txn-')), overrides: Record<string, string> = {}): Partition {
  if (!dirs.includes(dir)) dirs.push(dir);
  const c = effectiveTopicConfig(buildBrokerConfig(new Map([['log.dirs', dir]])), overrides);
  const p = new Partition('t', 0, dir, openLog(dir, c, 0), c, BROKER);
  p.producerStore.restore(Date.now(), EXPIRATION_MS);
  open.push(p);
  return p;
}

/** A transactional (or, with `transactional` false, idempotent) batch of `n` records, keyed k0, k1, ... */
function batch(producerId: number, baseSequence: number, n: number, transactional = true, producerEpoch = 0, value = (i: number) => `p${producerId}-${baseSequence + i}`): Buffer {
  const b = recordBatch(Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: value(i) })), Date.now(), { producerId, producerEpoch, baseSequence });
  if (transactional) {
    b.writeInt16BE(0x10, 21);
    // The CRC covers the attributes: recompute it with the helper's own CRC32C.
    b.writeUInt32BE(crcOf(b), 17);
  }
  return b;
}

const crcOf = (b: Buffer) => crc32c(b.subarray(21));

const marker = (producerId: number, commit: boolean, coordinatorEpoch = 0, producerEpoch = 0) => ({ producerId, producerEpoch, coordinatorEpoch, commit });

async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { code: string }).code;
  }
  return 'resolved';
}

after(() => {
  for (const p of open) p.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('Partition transactions', () => {
  it('holds the last stable offset at the first open transaction; markers move it; read_committed stops there', async () => {
    const p = partition();
    await p.appendAsLeader(batch(1, 0, 2)); // 0-1, producer 1's transaction
    await p.appendAsLeader(batch(2, 0, 1)); // 2, producer 2's transaction
    await p.appendAsLeader(batch(3, 0, 1, false)); // 3, idempotent
    assert.equal(p.highWatermark, 4);
    assert.equal(p.lastStableOffset, 0);
    assert.equal(p.read(0, 1 << 20, 'read_committed', true).slice, null, 'nothing is stable yet');
    assert.equal(p.read(0, 1 << 20, 'read_uncommitted', true).slice?.lastOffset, 3);

    const commit = await p.appendTxnMarker(marker(1, true));
    assert.equal(commit.firstOffset, 4);
    assert.equal(p.lastStableOffset, 2, "producer 2's transaction is still open");
    const committed = p.read(0, 1 << 20, 'read_committed', true);
    assert.equal(committed.slice?.lastOffset, 1, 'read_committed reads below the last stable offset');
    assert.equal(committed.lastStableOffset, 2);
    assert.deepEqual(committed.abortedTransactions, []);

    await p.appendTxnMarker(marker(2, false));
    assert.equal(p.lastStableOffset, 6);
    const all = p.read(0, 1 << 20, 'read_committed', true);
    assert.equal(all.slice?.lastOffset, 5);
    assert.deepEqual(all.abortedTransactions, [{ producerId: 2, firstOffset: 2 }]);
    assert.deepEqual(p.read(5, 1 << 20, 'read_committed', true).abortedTransactions, [{ producerId: 2, firstOffset: 2 }], 'a read holding only the marker still gets it');
    assert.equal(p.read(0, 1 << 20, 'read_uncommitted', true).abortedTransactions, null);

    const batches = decodeBatches(await all.slice!.toBuffer());
    assert.deepEqual(
      batches.map((b) => [b.baseOffset, b.attributes]),
      [
        [0, 0x10],
        [2, 0x10],
        [3, 0],
        [4, 0x30],
        [5, 0x30],
      ],
    );
    const producer2 = p.activeProducers().find((a) => a.producerId === 2);
    assert.deepEqual([producer2?.producerEpoch, producer2?.lastSequence, producer2?.coordinatorEpoch, producer2?.currentTxnStartOffset], [0, 0, 0, -1]);
  });

  it("refuses what Kafka refuses: an older producer epoch, an older coordinator epoch, a plain batch inside a transaction, a follower's marker", async () => {
    const p = partition();
    await p.appendAsLeader(batch(7, 0, 1, true, 3));
    assert.equal(await rejection(p.appendAsLeader(batch(7, 1, 1, false, 3))), 'INVALID_TXN_STATE');
    assert.equal(await rejection(p.appendTxnMarker(marker(7, true, 0, 2))), 'INVALID_PRODUCER_EPOCH');
    await p.appendTxnMarker(marker(7, true, 5, 3));
    assert.equal(await rejection(p.appendTxnMarker(marker(7, false, 4, 3))), 'TRANSACTION_COORDINATOR_FENCED');
    assert.equal(p.logEndOffset, 2, 'nothing refused was written');
    p.becomeFollower(1, 1, [0, 1], [0, 1]);
    assert.equal(await rejection(p.appendTxnMarker(marker(7, true, 5, 3))), 'NOT_LEADER_OR_FOLLOWER');
  });

  it('keeps a completed transaction unstable until the high watermark passes its marker', async () => {
    const p = partition();
    p.becomeLeader(1, [0, 1], [0, 1], Date.now());
    await p.appendAsLeader(batch(4, 0, 3)); // 0-2
    p.recordFollowerFetch(1, 3, Date.now());
    assert.equal(p.highWatermark, 3);
    assert.equal(p.lastStableOffset, 0);
    await p.appendTxnMarker(marker(4, true)); // 3
    assert.equal(p.lastStableOffset, 0, 'the marker is not replicated yet');
    p.recordFollowerFetch(1, 4, Date.now());
    assert.equal(p.highWatermark, 4);
    assert.equal(p.lastStableOffset, 4);
  });

  it("as follower, applies the leader's markers: the same last stable offset and aborted transactions", async () => {
    const leader = partition();
    await leader.appendAsLeader(batch(1, 0, 2));
    await leader.appendAsLeader(batch(2, 0, 2));
    await leader.appendTxnMarker(marker(1, false, 9));
    const follower = partition();
    follower.becomeFollower(1, 1, [0, 1], [0, 1]);
    const fetched = leader.read(0, 1 << 20, 'replica', true);
    await follower.appendAsFollower(await fetched.slice!.toBuffer());
    follower.updateFollowerHighWatermark(leader.highWatermark);
    assert.equal(leader.lastStableOffset, 2);
    assert.equal(follower.lastStableOffset, 2, "producer 2's transaction is open on the follower too");
    assert.deepEqual(follower.activeProducers().map((a) => [a.producerId, a.coordinatorEpoch, a.currentTxnStartOffset]), [
      [1, 9, -1],
      [2, -1, 2],
    ]);
    // The follower leads now: the index entry it wrote answers read_committed.
    follower.becomeLeader(2, [0], [0, 1], Date.now());
    await follower.appendTxnMarker(marker(2, true));
    assert.equal(follower.lastStableOffset, 6);
    assert.deepEqual(follower.read(0, 1 << 20, 'read_committed', true).abortedTransactions, [{ producerId: 1, firstOffset: 0 }]);
  });

  it('reopened after a clean close, restores open transactions from the snapshot', async () => {
    const p = partition();
    await p.appendAsLeader(batch(1, 0, 1)); // 0
    await p.appendAsLeader(batch(2, 0, 1)); // 1
    await p.appendTxnMarker(marker(1, true, 3)); // 2
    assert.equal(p.close(), null);
    const again = partition(p.dir);
    assert.equal(again.lastStableOffset, 1);
    assert.equal(await rejection(again.appendTxnMarker(marker(1, true, 2))), 'TRANSACTION_COORDINATOR_FENCED', 'the coordinator epoch came back too');
  });

  it('reopened without a snapshot (a crash), replays the log and writes back the txn index entry it lost', async () => {
    const p = partition();
    await p.appendAsLeader(batch(1, 0, 2)); // 0-1
    await p.appendAsLeader(batch(2, 0, 1)); // 2
    await p.appendTxnMarker(marker(1, false)); // 3
    await p.appendAsLeader(batch(3, 0, 1)); // 4
    assert.equal(p.close({ writeProducerSnapshot: false }), null);
    const indexes = readdirSync(p.dir).filter((f) => f.endsWith('.txnindex'));
    assert.equal(indexes.length, 1, 'the abort wrote a txn index');
    for (const f of indexes) rmSync(path.join(p.dir, f));
    const again = partition(p.dir);
    assert.equal(again.lastStableOffset, 2, "producer 2's transaction is open again");
    await again.appendTxnMarker(marker(2, true));
    await again.appendTxnMarker(marker(3, true));
    assert.equal(again.lastStableOffset, 7);
    assert.deepEqual(again.read(0, 1 << 20, 'read_committed', true).abortedTransactions, [{ producerId: 1, firstOffset: 0 }]);
  });

  it('cleans a compacted log only below the last stable offset: an open transaction holds the cleaner back', async () => {
    const p = partition(undefined, { 'cleanup.policy': 'compact', 'segment.bytes': '1024', 'min.cleanable.dirty.ratio': '0.01' });
    const fill = async (producerId: number, rounds: number) => {
      for (let i = 0; i < rounds; i++) await p.appendAsLeader(batch(producerId, i * 4, 4, false, 0, () => 'x'.repeat(100)));
    };
    await fill(10, 6);
    const open = (await p.appendAsLeader(batch(11, 0, 1))).firstOffset;
    await fill(12, 12);
    assert.equal(p.lastStableOffset, open);
    assert.ok(p.state().segmentCount > 3, 'several inactive segments past the open transaction');
    const held = p.cleanableRange(-1, Date.now());
    assert.ok(held.firstUncleanableOffset <= open, `uncleanable from ${held.firstUncleanableOffset}, the transaction opened at ${open}`);
    const cleaned = await p.clean(-1, Date.now());
    assert.ok(cleaned.endOffset <= open, `cleaned up to ${cleaned.endOffset}`);
    assert.equal(p.read(0, 1 << 20, 'read_uncommitted', true).slice !== null, true);
    await p.appendTxnMarker(marker(11, true));
    const freed = p.cleanableRange(cleaned.endOffset, Date.now());
    assert.ok(freed.firstUncleanableOffset > open, `the commit frees the rest: uncleanable from ${freed.firstUncleanableOffset}`);
  });

  it("cleaning drops a committed marker after delete.retention.ms once its data is gone, keeps a producer's last batch empty, and a reopen from the log keeps its sequence", async () => {
    const p = partition(undefined, { 'cleanup.policy': 'compact', 'segment.bytes': '1024', 'delete.retention.ms': '1000' });
    const big = () => 'x'.repeat(100);
    await p.appendAsLeader(batch(1, 0, 2, true, 0, big)); // 0-1: k0, k1
    await p.appendTxnMarker(marker(1, true)); // 2
    await p.appendAsLeader(batch(1, 2, 2, true, 0, big)); // 3-4: k0, k1, producer 1's last batch
    await p.appendTxnMarker(marker(1, true)); // 5
    await p.appendAsLeader(recordBatch([{ key: 'k0', value: 'plain' }, { key: 'k1', value: 'plain' }])); // 6-7
    for (let i = 0; i < 3; i++) await p.appendAsLeader(recordBatch([{ key: `f${i}`, value: big() }])); // rolls a segment
    // Two segments: a reopen without a snapshot replays the last two, so it reads the cleaned one.
    assert.equal(p.state().segmentCount, 2);
    const now = Date.now();
    const first = await p.clean(-1, now);
    assert.equal(first.emptyBatchesKept, 1);
    assert.equal(first.markersRemoved, 0);
    await p.clean(-1, now); // the marker at 2 has no data left: its delete horizon is set
    const last = await p.clean(-1, now + 1000);
    assert.equal(last.markersRemoved, 1);
    const batches = decodeBatches(await p.read(0, 1 << 20, 'read_uncommitted', true).slice!.toBuffer());
    assert.deepEqual(
      batches.slice(0, 3).map((b) => [b.baseOffset, b.lastOffset, b.attributes & 0x30, b.records.length]),
      [
        [3, 4, 0x10, 0], // producer 1's last batch, empty
        [5, 5, 0x30, 1], // its marker stays
        [6, 7, 0, 2],
      ],
    );

    assert.equal(p.close({ writeProducerSnapshot: false }), null);
    const again = partition(p.dir, { 'cleanup.policy': 'compact', 'segment.bytes': '1024', 'delete.retention.ms': '1000' });
    const producer1 = again.activeProducers().find((a) => a.producerId === 1);
    assert.deepEqual([producer1?.producerEpoch, producer1?.lastSequence, producer1?.currentTxnStartOffset], [0, 3, -1], 'rebuilt from the log alone');
    assert.equal(await rejection(again.appendAsLeader(batch(1, 7, 1))), 'OUT_OF_ORDER_SEQUENCE_NUMBER', 'a gap after sequence 3');
    const next = await again.appendAsLeader(batch(1, 4, 1));
    assert.ok(next.firstOffset > 7, 'sequence 4 follows');
  });
});
