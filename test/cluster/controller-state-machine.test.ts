// The controller's writes of partition state znodes (src/cluster/partition-state-machine.ts)
// against a real ZooKeeper: compare-and-set with re-read when the partition leader wrote the
// znode meanwhile, fencing by /controller_epoch, a missing znode. The concurrent write is
// sent on the same session from inside `decide`, before the controller's multi: ZooKeeper
// applies one session's requests in order, so the race is lost every time, not by chance.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../src/logger.js';
import { ZkClient } from '../../src/cluster/zk-client.js';
import { CAS_ATTEMPTS_MAX, ControllerMovedError, updatePartitionState } from '../../src/cluster/partition-state-machine.js';
import { onlinePartitionDecision } from '../../src/cluster/leader-election.js';
import { decodeLeaderAndIsr, encodeLeaderAndIsr, type LeaderAndIsr, ZkPaths } from '../../src/cluster/zk-data.js';
import { startZooKeeper, type ZooKeeperServer } from './zookeeper.js';

describe('partition state writes by the controller', { timeout: 60_000 }, () => {
  let server: ZooKeeperServer;
  let zk: ZkClient;
  const path = ZkPaths.partitionState('t', 0);
  const read = async (): Promise<LeaderAndIsr> => decodeLeaderAndIsr(path, (await zk.getData(path))!.data);
  const write = (s: LeaderAndIsr) => zk.setData(path, encodeLeaderAndIsr(s), -1);
  let ctx: { epoch: number; epochZkVersion: number };

  before(async () => {
    server = await startZooKeeper();
    zk = await ZkClient.connect({ connect: `${server.connect}/sm`, sessionTimeoutMs: 4000, connectionTimeoutMs: 10_000, logger: silentLogger() });
    await zk.mkdirp(ZkPaths.topicPartition('t', 0));
    await zk.create(ZkPaths.controllerEpoch, '3');
    await zk.create(path, encodeLeaderAndIsr({ leader: 1, leaderEpoch: 0, isr: [1, 2, 3], controllerEpoch: 3 }));
    ctx = { epoch: 3, epochZkVersion: (await zk.getData(ZkPaths.controllerEpoch))!.version };
  });
  after(async () => {
    zk.close();
    await server.close();
  });

  it('re-reads and decides again when the leader changed the ISR in between', async () => {
    await write({ leader: 1, leaderEpoch: 2, isr: [1, 2, 3], controllerEpoch: 3 });
    const seen: number[][] = [];
    let leaderWrite: Promise<number> | null = null;
    const outcome = await updatePartitionState(zk, ctx, 't', 0, (current) => {
      seen.push([...current.isr]);
      // The first time, the partition leader shrinks its ISR (keeping leader and epoch) first.
      leaderWrite ??= write({ ...current, isr: [1, 3] });
      // Broker 3 died.
      return onlinePartitionDecision(current, [1, 2, 3], new Set([1, 2]), false, ctx.epoch);
    });
    await leaderWrite;
    assert.deepEqual(seen, [[1, 2, 3], [1, 3]], 'decided twice: on the stale and on the new state');
    assert.equal(outcome.kind, 'updated');
    assert.deepEqual(await read(), { leader: 1, leaderEpoch: 3, isr: [1], controllerEpoch: 3 });
  });

  it('no write, and ControllerMovedError, once another controller bumped /controller_epoch', async () => {
    const before = await zk.getData(path);
    const other = await ZkClient.connect({ connect: `${server.connect}/sm`, sessionTimeoutMs: 4000, connectionTimeoutMs: 10_000, logger: silentLogger() });
    try {
      await other.setData(ZkPaths.controllerEpoch, '4', ctx.epochZkVersion);
    } finally {
      other.close();
    }
    await assert.rejects(
      updatePartitionState(zk, ctx, 't', 0, (current) => onlinePartitionDecision(current, [1, 2, 3], new Set([2]), false, ctx.epoch)),
      (err: unknown) => err instanceof ControllerMovedError && err.epoch === 3,
    );
    const afterwards = await zk.getData(path);
    assert.equal(afterwards!.version, before!.version, 'the state znode was not written');
    ctx = { epoch: 4, epochZkVersion: (await zk.getData(ZkPaths.controllerEpoch))!.version };
  });

  it('a missing state znode is "gone"; no change needed writes nothing', async () => {
    assert.deepEqual(await updatePartitionState(zk, ctx, 't', 9, () => assert.fail('no decision without a state')), { kind: 'gone' });
    const before = await zk.getData(path);
    const outcome = await updatePartitionState(zk, ctx, 't', 0, (current) => onlinePartitionDecision(current, [1, 2, 3], new Set([1, 2, 3]), false, ctx.epoch));
    assert.equal(outcome.kind, 'unchanged');
    assert.equal((await zk.getData(path))!.version, before!.version);
  });

  it(`gives up after ${CAS_ATTEMPTS_MAX} lost compare-and-sets in a row`, async () => {
    let decisions = 0;
    const writes: Promise<number>[] = [];
    await assert.rejects(
      updatePartitionState(zk, ctx, 't', 0, (current) => {
        decisions++;
        writes.push(write({ ...current, isr: decisions % 2 === 0 ? [1] : [1, 2] }));
        return { next: { ...current, leader: 1, isr: [1], leaderEpoch: current.leaderEpoch + 1, controllerEpoch: ctx.epoch } };
      }),
      /changed under the controller 50 times in a row/,
    );
    await Promise.all(writes);
    assert.equal(decisions, CAS_ATTEMPTS_MAX);
  });

  it('refuses to write a state that breaks the invariants', async () => {
    await assert.rejects(
      updatePartitionState(zk, ctx, 't', 0, (current) => ({ next: { ...current, leader: 2, isr: [1], leaderEpoch: current.leaderEpoch + 1 } })),
      /refusing to write .* leader 2 not in ISR/,
    );
  });
});
