// ZkClient against a real ZooKeeper: chroot creation, create/get/set with compare-and-set,
// multi, Kafka's checked ephemeral create, persistent watches, session expiry with a new
// session and re-armed watches, and the start-up error naming zookeeper.connect.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../src/logger.js';
import { parseConnectString, ZkClient, ZkError } from '../../src/cluster/zk-client.js';
import { freePort, startZooKeeper, type ZooKeeperServer } from './zookeeper.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Stalls this process's event loop past the session timeout: the server hears no pings and
 * expires the session, which the client learns when it reconnects (a long GC pause in Kafka).
 */
function stallEventLoop(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy: no callbacks run
  }
}

function connect(zk: ZooKeeperServer, chroot = '', timeoutMs = 10_000, sessionTimeoutMs = 4000): Promise<ZkClient> {
  return ZkClient.connect({ connect: `${zk.connect}${chroot}`, sessionTimeoutMs, connectionTimeoutMs: timeoutMs, logger: silentLogger() });
}

describe('ZkClient', { timeout: 120_000 }, () => {
  let zk: ZooKeeperServer;
  before(async () => {
    zk = await startZooKeeper();
  });
  after(async () => {
    await zk.close();
  });

  it('parses zookeeper.connect with and without a chroot', () => {
    assert.deepEqual(parseConnectString('a:1,b:2/kafka/x'), { servers: 'a:1,b:2', chroot: '/kafka/x' });
    assert.deepEqual(parseConnectString('a:1'), { servers: 'a:1', chroot: '' });
    assert.deepEqual(parseConnectString('a:1/'), { servers: 'a:1', chroot: '' });
  });

  it('creates a missing chroot and works inside it', async () => {
    const c = await connect(zk, '/tidelog/test-chroot');
    const root = await connect(zk);
    try {
      await c.create('/hello', 'world');
      assert.equal((await root.getData('/tidelog/test-chroot/hello'))?.data.toString(), 'world');
      assert.deepEqual(await c.getChildren('/'), ['hello']);
    } finally {
      c.close();
      root.close();
    }
  });

  it('compare-and-set with the znode version; NO_NODE reads as null; NODE_EXISTS and BAD_VERSION as ZkError', async () => {
    const c = await connect(zk, '/cas');
    try {
      assert.equal(await c.getData('/missing'), null);
      assert.equal(await c.getChildren('/missing'), null);
      await c.create('/n', '1');
      await assert.rejects(c.create('/n', '1'), (e: unknown) => e instanceof ZkError && e.code === 'NODE_EXISTS' && e.path === '/n');
      const v0 = await c.getData('/n');
      assert.equal(v0?.version, 0);
      assert.equal(v0?.ephemeralOwner, '0000000000000000');
      assert.equal(await c.setData('/n', '2', 0), 1);
      await assert.rejects(c.setData('/n', '3', 0), (e: unknown) => e instanceof ZkError && e.code === 'BAD_VERSION');
      assert.equal((await c.getData('/n'))?.data.toString(), '2');
      await c.multi([
        { op: 'check', path: '/n', version: 1 },
        { op: 'create', path: '/m', data: Buffer.from('x'), mode: 'persistent' },
      ]);
      await assert.rejects(
        c.multi([
          { op: 'create', path: '/k', data: Buffer.from('x'), mode: 'persistent' },
          { op: 'check', path: '/n', version: 0 },
        ]),
        (e: unknown) => e instanceof ZkError && e.code === 'BAD_VERSION' && (e as ZkError & { failedOp: number }).failedOp === 1,
      );
      assert.equal(await c.getData('/k'), null, 'a failed multi changes nothing');
      await c.mkdirp('/a/b/c');
      await c.deleteRecursive('/a');
      assert.equal(await c.getData('/a'), null);
    } finally {
      c.close();
    }
  });

  it("refuses an ephemeral owned by another session with Kafka's message; its own is fine", async () => {
    const a = await connect(zk, '/eph');
    const b = await connect(zk, '/eph');
    try {
      await a.createEphemeral('/e', 'a');
      await a.createEphemeral('/e', 'a');
      await assert.rejects(b.createEphemeral('/e', 'b'), /^ZkError: Error while creating ephemeral at \/e, node already exists and owner '\d+' does not match current session '\d+'$/);
      a.close();
      await waitFor('the ephemeral goes with its session', async () => (await b.getData('/e')) === null);
    } finally {
      a.close();
      b.close();
    }
  });

  it('persistent watches deliver every state, also across session expiry', async () => {
    const c = await connect(zk, '/watch', 10_000, 1000);
    let writer = await connect(zk, '/watch');
    try {
      const seen: (string[] | null)[] = [];
      const data: (string | null)[] = [];
      const children = c.watchChildren('/parent', (list) => seen.push(list === null ? null : [...list].sort()));
      const value = c.watchData('/parent', (v) => data.push(v === null ? null : v.data.toString()));
      await children.ready;
      await value.ready;
      assert.deepEqual(seen, [null]);
      assert.deepEqual(data, [null]);
      await writer.create('/parent', 'p1');
      await writer.create('/parent/x', '');
      await waitFor('child x seen', () => JSON.stringify(seen.at(-1)) === '["x"]');
      await waitFor('data p1 seen', () => (data.at(-1) as string | null) === 'p1');

      let newSessions = 0;
      c.on('newSession', () => newSessions++);
      const before = c.sessionId;
      stallEventLoop(2500);
      await waitFor('a new session after expiry', () => newSessions === 1);
      writer.close();
      writer = await connect(zk, '/watch');
      assert.notEqual(c.sessionId, before);
      await writer.create('/parent/y', '');
      await writer.setData('/parent', 'p2', -1);
      await waitFor('children seen after the new session', () => JSON.stringify(seen.at(-1)) === '["x","y"]');
      await waitFor('data seen after the new session', () => (data.at(-1) as string | null) === 'p2');
      children.close();
      value.close();
      const count = seen.length;
      await writer.create('/parent/z', '');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(seen.length, count, 'a closed subscription delivers nothing');
    } finally {
      c.close();
      writer.close();
    }
  });

  it('fails naming zookeeper.connect when nothing answers within zookeeper.connection.timeout.ms', async () => {
    const port = await freePort();
    const started = Date.now();
    await assert.rejects(
      ZkClient.connect({ connect: `127.0.0.1:${port}/tidelog`, sessionTimeoutMs: 4000, connectionTimeoutMs: 1500, logger: silentLogger() }),
      new RegExp(`^Error: Could not connect to ZooKeeper at zookeeper\\.connect=127\\.0\\.0\\.1:${port}/tidelog: timed out after 1500 ms \\(zookeeper\\.connection\\.timeout\\.ms=1500\\)$`),
    );
    const tookMs = Date.now() - started;
    assert.ok(tookMs >= 1400 && tookMs < 5000, `took ${tookMs} ms`);
  });
});
