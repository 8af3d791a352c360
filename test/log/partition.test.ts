// Partition's replication rules over a real log in a temp dir, without a broker process:
// the high watermark as the smallest log end offset of the ISR (never lower), acks=-1 waiters
// (committed, timeout, leadership lost), ISR shrink and expand, a follower's high watermark
// bounded by what it holds, and truncation.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { buildBrokerConfig } from '../../src/config/broker-config.js';
import { effectiveTopicConfig } from '../../src/config/topic-config.js';
import { openLog, Partition } from '../../src/partition/partition.js';
import { recordBatch } from '../helpers/batch.js';

const BROKER = 0;
const dirs: string[] = [];
const open: Partition[] = [];

function partition(): Partition {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tidelog-partition-'));
  dirs.push(dir);
  const config = effectiveTopicConfig(buildBrokerConfig(new Map([['log.dirs', dir]])), {});
  const p = new Partition('t', 0, dir, openLog(dir, config, 0), config, BROKER);
  open.push(p);
  return p;
}

/** Appends `n` records as leader, one batch. */
async function append(p: Partition, n: number): Promise<number> {
  const result = await p.appendAsLeader(recordBatch(Array.from({ length: n }, (_, i) => ({ value: `v${i}` }))));
  return result.lastOffset + 1;
}

after(() => {
  for (const p of open) p.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('Partition', () => {
  it('alone, commits on append: the high watermark is the log end offset', async () => {
    const p = partition();
    assert.equal(await append(p, 3), 3);
    assert.equal(p.highWatermark, 3);
    assert.equal(await p.waitForCommit(3, 1000), 'committed');
  });

  it('as leader of three, moves the high watermark to the smallest log end offset of the ISR, never back', async () => {
    const p = partition();
    p.becomeLeader(1, [0, 1, 2], [0, 1, 2], Date.now());
    await append(p, 5);
    assert.equal(p.highWatermark, 0, 'no follower has fetched');
    const acks = p.waitForCommit(5, 60_000);
    p.recordFollowerFetch(1, 5, Date.now());
    assert.equal(p.highWatermark, 0, 'follower 2 holds nothing yet');
    p.recordFollowerFetch(2, 3, Date.now());
    assert.equal(p.highWatermark, 3);
    p.recordFollowerFetch(2, 1, Date.now());
    assert.equal(p.highWatermark, 3, 'a lower fetch offset does not move it back');
    p.recordFollowerFetch(2, 5, Date.now());
    assert.equal(p.highWatermark, 5);
    assert.equal(await acks, 'committed');
  });

  it('commits past a follower that leaves the ISR, and waits for it again once it is back in', async () => {
    const p = partition();
    p.becomeLeader(1, [0, 1, 2], [0, 1, 2], Date.now());
    await append(p, 4);
    p.recordFollowerFetch(1, 4, Date.now());
    assert.equal(p.highWatermark, 0);
    p.updateIsr([0, 1]);
    assert.equal(p.highWatermark, 4, 'the ISR without the lagging follower has everything');
    p.updateIsr([0, 1, 2]);
    await append(p, 2);
    p.recordFollowerFetch(1, 6, Date.now());
    assert.equal(p.highWatermark, 4, 'follower 2 is in the ISR again and has nothing past 4');
  });

  it('answers acks=-1 waiters with timeout, and with notLeader when leadership moves', async () => {
    const p = partition();
    p.becomeLeader(1, [0, 1], [0, 1], Date.now());
    await append(p, 2);
    assert.equal(await p.waitForCommit(2, 10), 'timeout');
    const waiting = p.waitForCommit(2, 60_000);
    p.becomeFollower(1, 2, [1], [0, 1]);
    assert.equal(await waiting, 'notLeader');
    assert.equal(await p.waitForCommit(2, 60_000), 'notLeader', 'a follower does not take new waiters');
  });

  it("as follower, takes the leader's high watermark only up to what it holds, and truncates", async () => {
    const leader = partition();
    await append(leader, 3);
    await append(leader, 3);
    const follower = partition();
    follower.becomeFollower(1, 1, [0, 1], [0, 1]);
    const fetched = leader.read(0, 1 << 20, 'replica', true);
    assert.ok(fetched.slice);
    await follower.appendAsFollower(await fetched.slice.toBuffer());
    assert.equal(follower.logEndOffset, 6);
    follower.updateFollowerHighWatermark(10);
    assert.equal(follower.highWatermark, 6, 'never past its own log end');
    follower.updateFollowerHighWatermark(4);
    assert.equal(follower.highWatermark, 6, 'never lower');
    follower.truncateTo(3);
    assert.equal(follower.logEndOffset, 3, 'truncated at the batch boundary');
    assert.equal(follower.highWatermark, 3, 'truncation brings the high watermark down to the log end');
  });
  it('appends as follower on the JS thread below 1 MiB and on the thread pool above, with the same result', async () => {
    const leader = partition();
    // Batches of ~100 KiB: 12 of them make a fetch past 1 MiB, the size where appends leave the JS thread.
    const value = 'x'.repeat(1000);
    for (let i = 0; i < 12; i++) await leader.appendAsLeader(recordBatch(Array.from({ length: 100 }, () => ({ value }))));
    const small = leader.read(0, 1, 'replica', true);
    const large = leader.read(0, 64 << 20, 'replica', true);
    assert.ok(small.slice && large.slice);
    const smallBytes = await small.slice.toBuffer();
    const largeBytes = await large.slice.toBuffer();
    assert.ok(smallBytes.length < 1 << 20 && largeBytes.length >= 1 << 20, `${smallBytes.length} and ${largeBytes.length} bytes`);
    for (const bytes of [smallBytes, largeBytes]) {
      const follower = partition();
      follower.becomeFollower(1, 1, [0, 1], [0, 1]);
      assert.equal(follower.logEndOffset, 0);
      const appending = follower.appendAsFollower(bytes);
      const records = bytes === smallBytes ? 100 : 1200;
      // The small append is done when the call returns; the large one once the pool thread has run.
      assert.equal(follower.logEndOffset, bytes === smallBytes ? records : 0);
      const result = await appending;
      await follower.followerAppendSettled();
      assert.equal(result.logEndOffset, records);
      assert.equal(follower.logEndOffset, records);
      const back = follower.read(0, 64 << 20, 'replica', true);
      assert.deepEqual(await back.slice!.toBuffer(), bytes, "the follower holds the leader's bytes");
    }
  });
});
